"""`nnrun compare SWEEP` (its trials, best first, with the parameters the sweep chose and their scores),
`nnrun show SWEEP` (status, the trials counted by state, the best trial and how to retrain it, the top five),
and a sweep folder among other runs in `compare` (one row: its best trial).

Reads files only (runs/sweep_record.py and each trial's run folder, as compare reads any run): no Optuna, no
ML framework, no matplotlib.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from nnrun.runs.liveness import duration, heartbeat, started_at
from nnrun.runs.record import RunRecord, flatten, read_run
from nnrun.runs.sweep_record import SweepRecord, Trial, is_sweep_folder, read_sweep, trials_text
from nnrun.views import compare as cmp
from nnrun.views.report import human_size
from nnrun.views.sweep_plots import short_label

TOP = 5  # trials show lists


# --- compare ---


def trial_records(sweep: SweepRecord) -> list[RunRecord]:
    """Each trial of trials.csv as a run record named by its folder (trials/0003), status its state in the
    sweep (pruned, failed, ...; crashed when the sweep died while it ran); a trial that failed before it had a
    run folder is a record with no scores."""
    records = []
    for trial in sweep.trials:
        folder = sweep.path / trial.folder
        if folder.is_dir():
            record = read_run(folder)
        else:
            record = RunRecord(folder, trial.state, {"kind": sweep.score_kind}, {})
        record.name = trial.folder
        if not (trial.state == "running" and record.status == "crashed"):
            record.status = trial.state
        records.append(record)
    return records


def compare_trials(
    sweep: SweepRecord,
    records: list[RunRecord],
    *,
    filters: list[str] = (),
    sort: str | None = None,
    reverse: bool = False,
    top: int | None = None,
    metrics: list[str] | None = None,
) -> cmp.Comparison:
    """The trials (`records`, from trial_records) as compare's rows: run, kind, status, duration_s, epochs_run,
    the scores (the sweep's metric first: the trial's score in the sweep), then one column per parameter path
    of the sweep with the value the trial took. Best first by the sweep's metric and goal unless `sort` says
    otherwise; `filters`, `reverse` and `top` as for runs."""
    metric = sweep.metric
    results = [r.results() for r in records]
    result_columns = list(dict.fromkeys([metric, *(k for res in results for k in res)]))
    result_columns[1:] = sorted(result_columns[1:], key=lambda c: not c.startswith("test_"))
    if metrics:
        result_columns = cmp._pick(result_columns, metrics)
    params = sweep.parameters
    rows, flats = [], {}
    for trial, record, result in zip(sweep.trials, records, results):
        row = {
            "run": record.name,
            "kind": record.kind,
            "status": record.status,
            "duration_s": trial.duration_s if trial.duration_s is not None else record.metrics.get("duration_s"),
            "epochs_run": trial.epochs_run if trial.epochs_run is not None else record.metrics.get("epochs_run"),
        }
        row.update({k: cmp._number(result.get(k)) for k in result_columns})
        if metric in result_columns:
            row[metric] = trial.score
        row.update({p: trial.params.get(p) for p in params})
        rows.append(row)
        flats[record.name] = {**record.flat, **trial.params}
    columns = ["run", "kind", "status", "duration_s", "epochs_run", *result_columns, *params]
    comparison = cmp.Comparison(columns, rows, {}, list(params), result_columns, flats)
    comparison = cmp.keep(comparison, records, list(filters))
    if sort is None:
        order = {t.number: i for i, t in enumerate(sweep.ranked())}
        numbers = {r.name: t.number for t, r in zip(sweep.trials, records)}
        comparison.rows.sort(key=lambda row: order[numbers[row["run"]]])
        if reverse:
            comparison.rows.reverse()
        if top is not None:
            del comparison.rows[top:]
        return comparison
    return cmp.sort_rows(comparison, sort, reverse=reverse, top=top)


def shortened(comparison: cmp.Comparison) -> tuple[cmp.Comparison, list[str]]:
    """For the table on a terminal: parameter values that are lists or mappings (whole layer stacks) as the
    short labels params.png writes ('16-drop0.2-8-1': units per layer), and the columns shortened so."""
    columns = [
        c for c in comparison.config_columns if any(isinstance(row.get(c), (list, dict)) for row in comparison.rows)
    ]
    if not columns:
        return comparison, []
    rows = [
        {**row, **{c: short_label(row[c]) for c in columns if isinstance(row.get(c), (list, dict))}}
        for row in comparison.rows
    ]
    return cmp.Comparison(
        comparison.columns,
        rows,
        comparison.shared,
        comparison.config_columns,
        comparison.result_columns,
        comparison.flats,
    ), columns


def shortened_note(columns: list[str]) -> str:
    return (
        f"{', '.join(columns)}: shortened (a layer list as its units per layer, 16-drop0.2-8-1); "
        "--format json or csv has the whole values"
    )


def heading(sweep: SweepRecord) -> str:
    """The line compare prints above a sweep's trials."""
    method = f"{sweep.method} search" if sweep.method else "search"
    return (
        f"sweep {sweep.path}: {method}, {sweep.metric} ({sweep.goal}), {sweep.status}; trials: "
        f"{trials_text(sweep)}; best first"
    )


def named_sweep(arguments: list[str], found: list[Path]) -> Path | None:
    """The sweep folder when compare's arguments name exactly one folder and it is a sweep folder (then compare
    lists its trials); None otherwise (a sweep folder among other runs is one row: see best_trials)."""
    import glob

    if len(found) != 1 or not is_sweep_folder(found[0]):
        return None
    named = {Path(p) for a in arguments for p in (glob.glob(a) if glob.has_magic(a) else [a])}
    return found[0] if found[0] in named else None


def best_trials(records: list[RunRecord]) -> list[RunRecord]:
    """`records` with each sweep folder replaced by its best trial's run, named '<sweep> (best: trial 3)' ('best
    so far' while the sweep has not completed). A sweep with no completed trial stays one row of kind sweep with
    its status and no scores, its config the sweep's base config (sweep.yaml `base`), so that it adds no
    column of its own."""
    out = []
    for record in records:
        if record.kind != "sweep" and not (record.path / "sweep.yaml").is_file():
            out.append(record)
            continue
        sweep = read_sweep(record.path)
        best = sweep.best
        if best is None or not (record.path / best.folder).is_dir():
            base = sweep.sweep.get("base")
            config = base if isinstance(base, dict) else {}
            out.append(
                RunRecord(
                    record.path,
                    sweep.status,
                    {**record.metrics, "kind": "sweep"},
                    config,
                    sweep.warning,
                    flatten(config),
                    record.name,
                )
            )
            continue
        trial = read_run(record.path / best.folder)
        so_far = "best" if sweep.status == "completed" else "best so far"
        trial.name = f"{record.name} ({so_far}: trial {best.number})"
        out.append(trial)
    return out


# --- show ---


def show_sweep(sweep: SweepRecord) -> list:
    """Renderables describing one sweep folder."""
    m = sweep.metrics
    out: list = [f"[bold]{escape(str(sweep.path))}[/]"]
    score = {
        "train": "train (each trial's final validation score)",
        "kfold": "kfold (each trial's mean over its folds)",
    }.get(sweep.score_kind, sweep.score_kind)
    facts = {
        "name": sweep.name,
        "kind": "sweep",
        "status": sweep.status,
        "method": sweep.method,
        "metric": f"{sweep.metric} ({sweep.goal})",
        "score": score,
        "started": m.get("started"),
        "finished": cmp.cell("started", m.get("finished")) or None,
        "duration_s": m.get("duration_s"),
        "trials": trials_text(sweep),
        "heartbeat": _heartbeat(sweep),
    }
    out.append("\n".join(f"{k}: {escape(cmp.cell(k, v))}" for k, v in facts.items() if v is not None))
    for warning in ([sweep.warning] if sweep.warning else []) + sweep.problems:
        out.append(f"[yellow]warning:[/] {escape(warning)}")
    if sweep.status in ("crashed", "interrupted"):
        out.append(escape(f"resume it: nnrun sweep --resume {sweep.path} (finished trials are kept)"))
    best = sweep.best
    if best is None:
        out.append("best trial: none yet (no trial has completed)")
    else:
        lines = [f"[bold]best trial:[/] {best.number}, {escape(sweep.metric)} {escape(_score(best.score))}"]
        lines += [f"  {escape(p)}: {escape(cmp.cell(p, best.params.get(p)))}" for p in sweep.parameters]
        lines.append(f"  run folder: {escape(str(sweep.path / best.folder))}")
        if (sweep.path / "best.yaml").is_file():
            lines.append(f"  retrain it: nnrun train {escape(str(sweep.path / 'best.yaml'))}")
        out.append("\n".join(lines))
    ranked = [t for t in sweep.ranked() if t.score is not None][:TOP]
    if ranked:
        out.append(_top_table(sweep, ranked))
    out.append("[bold]files[/]\n" + "\n".join(_file_line(p) for p in sorted(sweep.path.iterdir())))
    return out


def _score(value: float | None) -> str:
    return cmp.cell("val_score", value) or "none"


def _top_table(sweep: SweepRecord, trials: list[Trial]) -> Table:
    """The best trials: number, state, score, each parameter (lists as their short labels, as params.png
    writes them), epochs and seconds."""
    table = Table(title=f"top {len(trials)} trials by {sweep.metric} ({sweep.goal})", title_justify="left")
    table.add_column("trial", justify="right")
    table.add_column("state")
    table.add_column(sweep.metric, justify="right")
    for path in sweep.parameters:
        table.add_column(path)
    table.add_column("epochs", justify="right")
    table.add_column("secs", justify="right")
    for trial in trials:
        values = [_param_text(trial.params.get(p)) for p in sweep.parameters]
        table.add_row(
            str(trial.number),
            trial.state,
            _score(trial.score),
            *map(escape, values),
            "" if trial.epochs_run is None else str(trial.epochs_run),
            "" if trial.duration_s is None else f"{trial.duration_s:.1f}",
        )
    return table


def _param_text(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return short_label(value)
    return cmp.cell("", value)


def _file_line(path: Path) -> str:
    if path.is_dir():
        runs = sum(1 for p in path.iterdir() if p.is_dir()) if path.name == "trials" else None
        return f"{escape(path.name)}/" + (
            f"  ({runs} run folder{'' if runs == 1 else 's'})" if runs is not None else ""
        )
    return f"{escape(path.name)}  ({human_size(path.stat().st_size)})"


def _heartbeat(sweep: SweepRecord) -> str | None:
    """A running or crashed sweep's last sign of life: when metrics.json was last written (after each trial)."""
    import time
    from datetime import datetime

    if sweep.status not in ("running", "crashed"):
        return None
    beat = heartbeat(sweep.path)
    if beat is None:
        return None
    started = started_at(sweep.metrics)
    zone = started.tzinfo if started else None
    return f"{datetime.fromtimestamp(beat, tz=zone):%Y-%m-%d %H:%M:%S} ({duration(max(0.0, time.time() - beat))} ago)"
