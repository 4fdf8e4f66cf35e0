"""Arithmetic on per-epoch histories: the mean and spread over k-fold runs, smoothing, the best epoch.

NumPy only, so reading runs back (compare, plots) never needs an ML framework.
"""

from __future__ import annotations

import numpy as np

from nnrun.runs.folder import direction, ordered


def mean_history(histories: list[list[dict[str, float]]]) -> list[dict[str, float]]:
    """Per epoch: `folds` (how many histories reached it) and `<name>_mean`, `<name>_std` of every value.

    A history that ended early (early stopping) simply stops counting: later epochs average the histories
    that reached them, never a padded zero. std is NumPy's (population, ddof=0), as `scores.std()` gives."""
    names = ordered(dict.fromkeys(k for h in histories for row in h for k in row if k != "epoch"))
    by_epoch: dict[int, list[dict[str, float]]] = {}
    for history in histories:
        for row in history:
            by_epoch.setdefault(int(row["epoch"]), []).append(row)
    out = []
    for epoch in sorted(by_epoch):
        rows = by_epoch[epoch]
        entry: dict[str, float] = {"epoch": epoch, "folds": len(rows)}
        for name in names:
            values = np.array([r[name] for r in rows if name in r], dtype=np.float64)
            entry[f"{name}_mean"] = float(values.mean()) if values.size else float("nan")
            entry[f"{name}_std"] = float(values.std()) if values.size else float("nan")
        out.append(entry)
    return out


def smooth(values: list[float], factor: float) -> list[float]:
    """Exponential moving average: each point is factor * previous + (1 - factor) * point (the seed's
    smooth_curve); factor 0 returns the values unchanged."""
    out: list[float] = []
    for value in values:
        out.append(value if not out else out[-1] * factor + value * (1 - factor))
    return out


def best_epoch(mean: list[dict[str, float]], monitor: str, *, smoothing: float = 0.0, skip: int = 0,
               folds: int | None = None, run_metrics: dict | None = None) -> dict[str, float] | None:
    """The best epoch of the mean `monitor` curve: {"epoch", "value" (the mean there), "monitor"}, or None.

    Only epochs after the first `skip` count, and only those every one of `folds` histories reached, so each
    candidate averages the same folds; with `smoothing`, the smoothed curve (the seed's way) picks the epoch.
    `run_metrics`, the run's metrics.json, says which way the monitor is better (runs.folder.direction)."""
    rows = [r for r in mean if r["epoch"] > skip and (folds is None or r["folds"] == folds)
            and np.isfinite(r.get(f"{monitor}_mean", np.nan))]
    if not rows:
        return None
    curve = smooth([r[f"{monitor}_mean"] for r in rows], smoothing)
    pick = int(np.argmax(curve) if direction(run_metrics or {}, monitor) == "max" else np.argmin(curve))
    best = {"monitor": monitor, "epoch": int(rows[pick]["epoch"]), "value": rows[pick][f"{monitor}_mean"]}
    if smoothing:
        best["smoothed"] = curve[pick]
    return best


def summarize(values: list[dict[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    """Mean and std (ddof=0) of each metric over the folds' metric dicts: (means, stds)."""
    names = ordered(dict.fromkeys(k for v in values for k in v))
    means, stds = {}, {}
    for name in names:
        column = np.array([v[name] for v in values if name in v], dtype=np.float64)
        means[name], stds[name] = float(column.mean()), float(column.std())
    return means, stds
