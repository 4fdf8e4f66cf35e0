"""history.png: loss and metric curves over epochs, training against validation."""

from __future__ import annotations

from pathlib import Path

from nnrun.runs import atomic_write


def _figure(**kwargs):
    """A matplotlib Figure drawn by Agg (files only: no display on servers and CI). Without pyplot, which takes
    0.4 s to import and keeps every figure until it is closed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: Path) -> None:
    """Write the figure to `path` atomically."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    atomic_write(path, buffer.getvalue())


def history_png(rows: list[dict[str, float]], path: Path, title: str) -> None:
    """Plot one panel per quantity (loss first), training solid and validation dashed; write `path` atomically."""
    names = [k for k in (rows[0] if rows else {}) if k != "epoch" and not k.startswith("val_")]
    names = names or ["loss"]
    fig = _figure(figsize=(4.2 * len(names), 3.4))
    axes = fig.subplots(1, len(names), squeeze=False)
    epochs = [r["epoch"] for r in rows]
    for ax, name in zip(axes[0], names):
        ax.plot(epochs, [r.get(name, float("nan")) for r in rows], label="training", color="tab:blue")
        if any(f"val_{name}" in r for r in rows):
            ax.plot(epochs, [r.get(f"val_{name}", float("nan")) for r in rows], label="validation",
                    color="tab:orange", linestyle="--")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)


def kfold_png(histories: list[list[dict[str, float]]], mean: list[dict[str, float]], path: Path, title: str, *,
              monitor: str, smoothing: float = 0.0, skip: int = 0, best: dict | None = None) -> None:
    """A k-fold run's curves of `monitor`: left, the mean over folds with a +-std band (from epoch skip + 1,
    smoothed as well when `smoothing` > 0) and the best epoch marked; right, each fold's own curve."""
    from nnrun.curves import smooth

    rows = [r for r in mean if r["epoch"] > skip] or mean
    epochs = [r["epoch"] for r in rows]
    values = [r.get(f"{monitor}_mean", float("nan")) for r in rows]
    spread = [r.get(f"{monitor}_std", float("nan")) for r in rows]
    fig = _figure(figsize=(10, 3.8))
    left, right = fig.subplots(1, 2)
    left.plot(epochs, values, color="tab:orange", label=f"mean of {len(histories)} folds")
    left.fill_between(epochs, [v - s for v, s in zip(values, spread)], [v + s for v, s in zip(values, spread)],
                      color="tab:orange", alpha=0.2, label="± std")
    if smoothing:
        left.plot(epochs, smooth(values, smoothing), color="tab:red", label=f"smoothed (factor {smoothing:g})")
    train = monitor.removeprefix("val_")
    if any(f"{train}_mean" in r for r in rows):
        left.plot(epochs, [r.get(f"{train}_mean", float("nan")) for r in rows], color="tab:blue", linestyle="--",
                  label=f"training {train} (mean)")
    if best:
        left.axvline(best["epoch"], color="gray", linestyle=":", label=f"best epoch {best['epoch']}")
    left.set_title(f"{monitor}: mean over folds" + (f", from epoch {skip + 1}" if skip and rows is not mean else ""))
    for i, history in enumerate(histories, 1):
        shown = [r for r in history if r["epoch"] > skip] or history
        right.plot([r["epoch"] for r in shown], [r.get(monitor, float("nan")) for r in shown], linewidth=1,
                   label=f"fold {i}")
    right.set_title(f"{monitor} per fold")
    for ax in (left, right):
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if ax is left or len(histories) <= 10:  # beyond ten folds a legend would cover the curves
            ax.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)


def overlay_png(records, metric: str, path: Path, labels: dict[str, str]) -> int:
    """One line per run of `metric` over epochs (a k-fold run: its mean over the folds); write `path` and
    return how many runs had that curve. RunError when none has it, naming the curves that exist."""
    from nnrun.errors import RunError
    from nnrun.runs import read_history

    curves, names = [], set()
    for record in records:
        mean = (record.path / "history_mean.csv").exists()
        rows = read_history(record.path / ("history_mean.csv" if mean else "history.csv"))
        column = f"{metric}_mean" if mean else metric
        names.update(k.removesuffix("_mean") for k in (rows[0] if rows else {}) if not k.endswith("_std"))
        if rows and column in rows[0]:
            curves.append((labels.get(record.name, record.name), [r["epoch"] for r in rows], [r[column] for r in rows]))
    if not curves:
        valid = sorted(names - {"epoch", "folds"})
        raise RunError(f"--plot {metric}: none of these runs has that curve; valid: {', '.join(valid) or 'none'}")
    fig = _figure(figsize=(8, 4.5))
    ax = fig.subplots()
    for label, epochs, values in curves:
        ax.plot(epochs, values, label=label, linewidth=1.2)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} over epochs ({len(curves)} runs)")
    ax.grid(alpha=0.3)
    if len(curves) <= 15:
        ax.legend(fontsize="small")
    fig.tight_layout()
    _save(fig, path)
    return len(curves)
