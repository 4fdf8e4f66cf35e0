"""`nnrun show` (one run: status, scores, best epoch, config, files) and `nnrun diff` (two runs: what changed
in the config, and the scores with their difference). Rich and the run's own files only."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from rich.markup import escape
from rich.table import Table

from nnrun.config.yamlfile import dump_yaml
from nnrun.runs.folder import direction, kept_epoch, recorded_direction
from nnrun.runs.liveness import duration, heartbeat, started_at
from nnrun.runs.record import RunRecord
from nnrun.views.compare import cell
from nnrun.views.report import human_size


def _params(m: dict) -> str | None:
    """As the console said it when the run started: '657 params (641 trainable, 16 non-trainable)'."""
    from nnrun.views.report import params_text

    if not isinstance(m.get("params"), int):
        return None
    return params_text(m["params"], m.get("trainable_params")).replace(" params", "", 1)


def show_run(record: RunRecord) -> list:
    """Renderables describing one run."""
    from nnrun.views.report import kept_weights_line, kfold_table, train_table

    m = record.metrics
    out: list = [f"[bold]{escape(str(record.path))}[/]"]
    facts = {
        "name": m.get("name"),
        "kind": record.kind,
        "status": record.status,
        "started": m.get("started"),
        "finished": cell("started", m.get("finished")) or None,
        "duration_s": m.get("duration_s"),
        "epochs run": m.get("epochs_run"),
        "best epoch": _best(m),
        "weights kept": _kept(m, record.kind),
        "params": _params(m),
        "heartbeat": _heartbeat(record),
    }
    out.append("\n".join(f"{k}: {escape(cell(k, v))}" for k, v in facts.items() if v is not None))
    for warning in ([record.warning] if record.warning else []) + record.warnings:
        out.append(f"[yellow]warning:[/] {escape(warning)}")
    if m.get("error"):
        out.append(f"[red]error:[/] {escape(str(m['error'].get('type')))}: {escape(str(m['error'].get('message')))}")
    if record.status not in ("unreadable",) and m.get("name"):
        for part in (kfold_table if record.kind == "kfold" else train_table)({**m, "status": record.status})[1:]:
            if isinstance(part, Table) and not part.row_count:
                continue  # a run that stopped before any score (crashed, failed early) has none to tabulate
            out.append(part if isinstance(part, Table) else escape(str(part)))
        if record.kind == "kfold":
            out += [
                escape(f"fold {f.get('fold')}: {kept}")
                for f in m.get("folds") or []
                if isinstance(f, dict) and (kept := kept_weights_line(f))
            ]
    out += _confusion(record)
    if record.config:
        out.append("[bold]config[/]\n" + escape(dump_yaml(record.config).rstrip()))
    files = sorted(record.path.iterdir())
    out.append(
        "[bold]files[/]\n"
        + "\n".join(
            f"{escape(p.name)}/" if p.is_dir() else f"{escape(p.name)}  ({human_size(p.stat().st_size)})" for p in files
        )
    )
    return out


MATRIX_WIDTH = 100  # the widest confusion matrix show prints (columns); a wider one is summed up by its recalls


def _confusion(record: RunRecord) -> list:
    """The confusion matrix of confusion.csv (a k-fold run's: its refit's, in final/): a table of counts with
    each true class's recall, or, with many classes, the classes of lowest recall and the file to open."""
    from nnrun.views import confusion

    path = next(
        (p for p in (record.path / "confusion.csv", record.path / "final" / "confusion.csv") if p.is_file()), None
    )
    if path is None:
        return []
    where = escape(str(path.relative_to(record.path)))
    try:
        cm = confusion.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as e:
        return [f"[yellow]warning:[/] {where}: cannot read it ({escape(str(e))})"]
    classes, counts, recall = cm["classes"], cm["counts"], confusion.recalls(cm["counts"])
    rows = sum(map(sum, counts))
    heading = (
        f"[bold]confusion matrix[/] of the {rows} {escape(cm['split'])} rows "
        f"({where}, picture: {where.removesuffix('.csv')}.png)"
    )
    shown = [escape(str(c))[:10] for c in classes]
    digits = len(str(max(map(max, counts), default=0)))
    width = max(map(len, ["true \\ predicted", *shown])) + sum(max(len(c), digits) + 3 for c in shown) + 13
    if width <= MATRIX_WIDTH:
        table = Table(title="true class (rows) by predicted class (columns)", title_justify="left")
        table.add_column("true \\ predicted", no_wrap=True)
        for name in shown:
            table.add_column(name, justify="right", no_wrap=True)
        table.add_column("recall", justify="right", no_wrap=True)
        for i, (name, row, r) in enumerate(zip(shown, counts, recall)):
            cells = [f"[bold]{v}[/]" if i == j else str(v) for j, v in enumerate(row)]  # the diagonal: right
            table.add_row(name, *cells, confusion.recall_text(r))
        return [heading, table]
    ranked = sorted((r, c) for c, r in zip(shown, recall) if r is not None)
    worst = ", ".join(f"{c} {confusion.recall_text(r)}" for r, c in ranked[:10])
    return [f"{heading}\n{len(classes)} classes; lowest recall: {worst}"]


def _heartbeat(record: RunRecord) -> str | None:
    """'2026-11-22 14:31:05 (4 s ago)': a running or crashed run's last sign of life."""
    if record.status not in ("running", "crashed"):
        return None
    beat = heartbeat(record.path)
    if beat is None:
        return None
    started = started_at(record.metrics)
    zone = (
        started.tzinfo if started else None
    )  # the zone `started` is shown in (the writer's): they compare at a glance
    return f"{datetime.fromtimestamp(beat, tz=zone):%Y-%m-%d %H:%M:%S} ({duration(max(0.0, time.time() - beat))} ago)"


def _kept(metrics: dict[str, Any], kind: str) -> str | None:
    """'epoch 46 (best val_loss, restored)' or 'epoch 30 (the last)': whose weights model.keras holds, which the
    best epoch (the monitored value's best, or min_delta's) need not be; history.png marks the same epoch."""
    epoch, why = kept_epoch(metrics)
    return None if kind == "kfold" or not epoch else f"epoch {epoch} ({why})"


def _best(metrics: dict[str, Any]) -> str | None:
    """'74 (val_mae 2.4937)': the best epoch and its monitored value."""
    epoch = metrics.get("best_epoch")
    if epoch is None:
        return None
    best = metrics.get("best") or {}
    value = best.get("value")
    return f"{epoch} ({best.get('monitor')} {value:.4f})" if isinstance(value, (int, float)) else str(epoch)


ABSENT = object()  # a key one run's config does not have (unlike one set to null)


def config_changes(a: RunRecord, b: RunRecord) -> list[tuple[str, Any, Any]]:
    """(key, value in a, value in b) for every dotted config key whose value differs; ABSENT when missing."""
    keys = list(dict.fromkeys([*a.flat, *b.flat]))
    return [
        (k, a.flat.get(k, ABSENT), b.flat.get(k, ABSENT))
        for k in keys
        if a.flat.get(k, ABSENT) != b.flat.get(k, ABSENT)
    ]


def diff_runs(a: RunRecord, b: RunRecord) -> list:
    """Renderables comparing two runs: config changes (old -> new) and scores (a, b, b - a, which is better)."""
    out: list = [
        f"[bold]a[/] {escape(str(a.path))} ({a.kind}, {a.status})\n"
        f"[bold]b[/] {escape(str(b.path))} ({b.kind}, {b.status})"
    ]
    changes = config_changes(a, b)
    if changes:
        table = Table(title="config: a -> b", title_justify="left")
        for column in ("key", "a", "b"):
            table.add_column(column, overflow="fold")
        for key, old, new in changes:
            table.add_row(escape(key), escape(_shown(old)), escape(_shown(new)))
        out.append(table)
    else:
        out.append("config: identical")
    ra, rb = a.results(), b.results()
    names = [k for k in dict.fromkeys([*ra, *rb]) if not k.endswith("_std")]
    if names:
        table = Table(title="scores", title_justify="left")
        for column, justify in (
            ("score", "left"),
            ("a", "right"),
            ("b", "right"),
            ("b - a", "right"),
            ("better", "left"),
        ):
            table.add_column(column, justify=justify)
        for name in names:
            va, vb = ra.get(name), rb.get(name)
            numbers = isinstance(va, (int, float)) and isinstance(vb, (int, float))
            delta = vb - va if numbers else None
            better = ""
            if numbers and delta != 0:
                said = b.metrics if recorded_direction(b.metrics, name) else a.metrics  # old runs: the name rules
                better = "b" if (delta > 0) == (direction(said, name) == "max") else "a"
            elif numbers:
                better = "same"
            table.add_row(
                name, cell(name, va, ra), cell(name, vb, rb), "" if delta is None else f"{delta:+.4f}", better
            )
        out.append(table)
    else:
        out.append("scores: neither run has any")
    return out


def _shown(value: Any) -> str:
    return "(absent)" if value is ABSENT else cell("", value)
