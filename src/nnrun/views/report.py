"""What nnrun prints: when a `train` or `kfold` run ends, the result tables, one line per finished fold and the
line that explains an interrupted or diverged run; and the table of `nnrun datasets`. Reads only metrics.json
data and the catalog (Rich, no ML framework)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from nnrun.runs.folder import ordered


def plural(n: int, word: str) -> str:
    """'1 epoch', '5 epochs'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def params_text(total: int, trainable: int | None = None) -> str:
    """'641 params', or '657 params (641 trainable, 16 non-trainable)' when some are not trained (BatchNormalization's
    moving statistics). The model's weights only: the optimizer's state, which Keras's own summary adds once the
    optimizer is built, is not a parameter of the model."""
    text = f"{total:,} params"
    if trainable is not None and trainable != total:
        text += f" ({trainable:,} trainable, {total - trainable:,} non-trainable)"
    return text


def human_size(n: float) -> str:
    """'512 B', '3.4 KB', '1.2 MB'."""
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KB", "MB", "GB"):
        n /= 1024
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}"


def datasets_table(entries: list, width: int | None = None) -> Table:
    """`nnrun datasets`: one row per catalog.Entry, what to write in a config first. Within `width` columns:
    the config column never wraps (it is copied into configs), the others only between words; when the table
    is too wide, the sources' addresses shrink to host and file name, and go when even that does not fit
    (`--format json` has them)."""
    header = ("dataset", "task", "rows", "sample", "download", "here", "from")
    whole = ("dataset", "download", "here")
    for short, drop in ((False, False), (True, False), (True, True)):
        names = header[:-1] if drop else header
        rows = [_dataset_cells(e, short)[: len(names)] for e in entries]
        plain = [[_plain(c) for c in row] for row in rows]
        low = [
            max([len(n)] + [len(r[i]) if n in whole else max(map(len, r[i].split())) for r in plain])
            for i, n in enumerate(names)
        ]
        high = [max([len(n)] + [len(r[i]) for r in plain]) for i, n in enumerate(names)]
        gaps = len(names) if short else 3 * len(names) + 1  # narrow: no box, a space between the columns
        if width is None or sum(high) + gaps <= width:
            return _datasets_grid(names, rows, None, short)
        if sum(low) + gaps <= width:
            slack, fixed = width - sum(low) - gaps, []
            for lo, hi in zip(low, high):  # the earlier columns get their whole width first
                grow = min(hi - lo, slack)
                fixed.append(lo + grow)
                slack -= grow
            return _datasets_grid(names, rows, fixed, short)
    return _datasets_grid(names, rows, None, short)


def _plain(markup: str) -> str:
    from rich.text import Text

    return Text.from_markup(markup).plain


def _dataset_cells(e, short: bool) -> list[str]:
    # narrow: "broken" (the `not usable:` line under the table says why), so that 80 columns hold every column
    here = "[green]yes[/]" if e.here else f"[red]{'broken' if short else 'not usable'}[/]" if e.problem else "no"
    rows = f"{e.rows:,}" if e.test_rows is None else f"{e.rows - e.test_rows:,} + {e.test_rows:,} test"
    return [
        e.config,
        e.task,
        rows,
        e.sample,
        "-" if e.size is None else human_size(e.size),
        here,
        _short_origin(e.origin) if short else e.origin,
    ]


def _datasets_grid(names: tuple, rows: list[list[str]], widths: list[int] | None, narrow: bool) -> Table:
    table = Table(box=None, padding=(0, 1, 0, 0), pad_edge=False, header_style="bold underline") if narrow else Table()
    for i, name in enumerate(names):
        table.add_column(
            name,
            justify="right" if name in ("rows", "download") else "left",
            no_wrap=name in ("dataset", "download", "here"),
            overflow="fold",
            width=widths[i] if widths else None,
        )
    for row in rows:
        table.add_row(*row)
    return table


def _short_origin(origin: str) -> str:
    """https://raw.githubusercontent.com/a/b/c/housing.csv -> raw.githubusercontent.com/…/housing.csv."""
    from urllib.parse import urlsplit

    url, _, rest = origin.partition(" ")
    parts = urlsplit(url)
    if not parts.netloc:
        return origin
    segments = [s for s in parts.path.split("/") if s]
    tail = f"/…/{segments[-1]}" if len(segments) > 1 else f"/{segments[-1]}" if segments else ""
    return f"{parts.netloc}{tail}" + (f" {rest}" if rest else "")


def _fmt(value) -> str:
    return "" if value is None else f"{value:.4f}"


def train_table(metrics: dict[str, Any]) -> list:
    """A train run's result: a headline, a table of every split (and the baseline), the baseline's rule."""
    splits = [s for s in ("train", "validation", "test") if s in metrics]
    names = ordered(dict.fromkeys(k for s in splits for k in metrics[s]))
    out: list = [
        f"{metrics['name']}: {metrics['status']} after {plural(metrics.get('epochs_run', 0), 'epoch')} in "
        f"{metrics.get('duration_s', 0):.1f} s"
    ]
    table = Table()
    table.add_column("split")
    for name in names:
        table.add_column(name, justify="right")
    for split in splits:
        table.add_row(split, *(_fmt(metrics[split].get(n)) for n in names))
    base = metrics.get("baseline", {})
    # The baseline of the last split scored, next to it: an interrupted run has no test score, only its baseline.
    shown = next((s for s in reversed(splits) if s in base), None)
    if shown is not None and any(n in base[shown] for n in names):
        table.add_row(f"{shown}, baseline", *(_fmt(base[shown].get(n)) for n in names), style="dim")
    out.append(table)
    if "rule" in base:
        out.append(f"baseline = {base['rule']}")
    kept = kept_weights_line(metrics)
    if kept:
        out.append(kept)
    return out


def kept_weights_line(metrics: dict[str, Any]) -> str | None:
    """Which epoch's weights a run's scores belong to, when they are not the last epoch's: how early stopping
    ended the run (`early_stop`), or, for a run it did not end, the best epoch that Keras's EarlyStopping puts back
    at the end of every fit with restore_best_weights (`restored_epoch`). None when the last epoch's weights are
    scored."""
    if isinstance(metrics.get("early_stop"), dict):
        return early_stop_line(metrics["early_stop"])
    restored, last = metrics.get("restored_epoch"), metrics.get("epochs_run")
    if (
        isinstance(restored, int)
        and isinstance(last, int)
        and restored != last
        and metrics.get("status") != "completed"
    ):
        # An interrupted run keeps the logs of its last finished epoch as its scores: they are not the restored
        # weights' (Keras restores them when fit ends, however it ends).
        return (
            f"model.keras holds the weights of epoch {restored}, its best (restore_best_weights: true); the scores "
            f"are those logged at epoch {last}, the last finished"
        )
    if isinstance(restored, int) and isinstance(last, int) and restored != last:
        return (
            f"early stopping did not stop the run, but the weights of epoch {restored}, its best, were restored "
            f"at the end (restore_best_weights: true), so the scores are epoch {restored}'s, not epoch {last}'s"
        )
    return None


def early_stop_line(stop: dict[str, Any]) -> str:
    """How early stopping ended a run (metrics.json `early_stop`): 'stopped early at epoch 12 of 200: val_loss
    did not improve by more than 0.1 (min_delta) for 2 epochs (patience); the weights of epoch 10, its best,
    were restored'."""
    delta = f" by more than {stop['min_delta']:g} (min_delta)" if stop.get("min_delta") else ""
    # Keras stops once `patience` epochs have passed without improvement, and after one with patience 0.
    waited = plural(max(1, int(stop.get("patience") or 0)), "epoch")
    restored = stop.get("restored_epoch")
    kept = (
        f"the weights of epoch {restored}, its best, were restored"
        if restored is not None
        else "the last epoch's weights were kept (restore_best_weights: false)"
    )
    return (
        f"stopped early at epoch {stop.get('epoch')} of {stop.get('epochs')}: {stop.get('monitor')} did not "
        f"improve{delta} for {waited} (patience); {kept}"
    )


def kfold_table(metrics: dict[str, Any]) -> list:
    """A k-fold run's result: one row per fold (its held-out rows' metrics), the mean ± std over the folds,
    the refit's test score when there is one, and the baselines next to them."""
    folds = metrics.get("folds", [])
    final = metrics.get("final")
    names = ordered(dict.fromkeys(k for f in folds for k in f.get("validation", {})))
    if final:
        names += [n for n in ordered(final.get("test", {})) if n not in names]
    out: list = [
        f"{metrics['name']}: {metrics['status']}, {len(folds)} of {metrics.get('k')} folds"
        f"{' and the refit' if final else ''} in {metrics.get('duration_s', 0):.1f} s"
    ]
    table = Table(caption="validation: each fold's held-out rows; test: the rows no fold saw", caption_justify="left")
    for column in ("", "status", "epochs"):
        table.add_column(column, no_wrap=True)
    for name in names:
        table.add_column(name, justify="right")
    for f in folds:
        table.add_row(
            f"fold {f['fold']}",
            f["status"],
            str(f.get("epochs_run", "")),
            *(_fmt(f.get("validation", {}).get(n)) for n in names),
        )
    mean, std = metrics.get("validation_mean", {}), metrics.get("validation_std", {})
    if mean:
        table.add_row(
            "mean ± std", "", "", *(f"{mean[n]:.4f} ± {std[n]:.4f}" if n in mean else "" for n in names), style="bold"
        )
    base = metrics.get("baseline", {})
    if base.get("validation") and any(f.get("validation") for f in folds):
        table.add_row("baseline", "", "", *(_fmt(base["validation"].get(n)) for n in names), style="dim")
    if final:
        table.add_row(
            "final: test",
            final["status"],
            str(final.get("epochs_run", "")),
            *(_fmt(final.get("test", {}).get(n)) for n in names),
            style="bold",
        )
        if base.get("test") and final.get("test"):  # an interrupted refit has the test rows' baseline, no score
            table.add_row("baseline: test", "", "", *(_fmt(base["test"].get(n)) for n in names), style="dim")
    out.append(table)
    best = metrics.get("best")
    if best and isinstance(best.get("value"), (int, float)):
        smoothed = f", smoothed {best['smoothed']:.4f}" if isinstance(best.get("smoothed"), (int, float)) else ""
        out.append(f"best epoch of the mean {best['monitor']} curve: {best['epoch']} ({best['value']:.4f}{smoothed})")
    if "rule" in base:
        out.append(f"baseline = {base['rule']}")
    kept = kept_weights_line(final) if final else None
    if kept:
        out.append(f"final: {kept}")
    return out


def fold_line(fold: dict[str, Any], k: int) -> str:
    """One line as a fold finishes: 'fold 2/4 completed: 100 epochs, val_loss 8.1234, val_mae 2.1000 (24.1 s)',
    and how early stopping ended it when it did."""
    scores = ", ".join(f"val_{n} {v:.4f}" for n, v in fold.get("validation", {}).items())
    kept = kept_weights_line(fold)
    stop = f"; {kept}" if kept else ""
    return (
        f"fold {fold['fold']}/{k} {fold['status']}: {plural(fold.get('epochs_run', 0), 'epoch')}"
        f"{', ' + scores if scores else ''} ({fold.get('duration_s', 0):.1f} s){stop}"
    )


def stop_message(metrics: dict[str, Any]) -> str:
    """Why a run ended early (interrupted or diverged) and what is kept, in one line."""
    where = metrics.get("stopped_in")
    if metrics["status"] == "interrupted":
        if where:
            return (
                f"interrupted in {where} ({metrics.get('interrupted_by', 'at an epoch end')}); the finished "
                f"folds, and {where}'s history and model so far, are kept"
            )
        return (
            f"interrupted after epoch {metrics.get('epochs_run')} ({metrics.get('interrupted_by')}); "
            "the history and the model so far are kept"
        )
    at = f"{' in ' + where if where else ''} at epoch {metrics.get('diverged_at')}"
    return (
        f"diverged{at}: the loss became NaN or infinite; try a lower learning rate or scaled features "
        "(dataset.scale: standard)"
    )
