"""The pictures nnrun draws: history.png (one train run's curves, or a k-fold run's mean and folds), confusion.png
and the overlay of `compare --plot`.

Every figure is laid out by matplotlib's constrained layout with its legend outside the axes ("outside lower
center"), so no legend covers a curve and no layout warning is raised; the tests draw them with warnings as errors.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from nnrun.runs.folder import atomic_write, kept_epoch
from nnrun.runs.verdict import baseline_name

TRAINING, VALIDATION, TEST = "tab:blue", "tab:orange", "tab:green"
SPLIT_WORDS = {"train": "training", "validation": "validation", "test": "test"}
# Baselines in colours of their own, none a curve's: dark grey for the training rows' (it often lies on the
# training curve), brown for the validation rows', the test star's green for the test rows' (the star is compared
# with it); black for a line several splits share.
BASELINE_COLOURS = {"train": "dimgray", "validation": "tab:brown", "test": TEST, "shared": "black"}
DECADES = 1  # a panel whose positive values span more than this many powers of ten gets a log scale: on a linear
# axis, a loss falling from 500 to 10 lies flat after its first epochs


def _figure(**kwargs):
    """A matplotlib Figure drawn by Agg (files only: no display on servers and CI), with constrained layout.
    Without pyplot, which takes 0.4 s to import and keeps every figure until it is closed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: Path) -> None:
    """Write the figure to `path` atomically."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    atomic_write(path, buffer.getvalue())


def _finite(values) -> list[float]:
    import math

    return [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]


def spans_decades(values, decades: float = DECADES) -> bool:
    """Whether the finite values are all positive and the largest is more than 10**decades times the smallest:
    on a linear axis everything after the first epochs would look flat."""
    values = _finite(values)
    return bool(values) and min(values) > 0 and max(values) > 10**decades * min(values)


def _plain_log_ticks(axis) -> None:
    """A log axis's ticks as plain numbers (0.6, 0.4, 20) rather than matplotlib's 6x10^-1; the ticks between
    the powers of ten labelled only where the axis spans under 1.5 decades (beyond, 0.2, 0.3, ..., 0.9 of every
    decade print over each other)."""
    from matplotlib.ticker import LogFormatter

    class Plain(LogFormatter):
        def __call__(self, x, pos=None):
            return f"{x:g}" if super().__call__(x, pos) else ""

    axis.set_major_formatter(Plain(labelOnlyBase=False, minor_thresholds=(1.5, 0.5)))
    axis.set_minor_formatter(Plain(labelOnlyBase=False, minor_thresholds=(1.5, 0.5)))


def _scale(ax, values, name: str = "") -> None:
    """A log y axis when `values` (everything drawn on `ax`) span more than DECADES decades, its ticks written as
    plain numbers, and the y label saying so ("loss (log scale)"): a log axis unsaid reads as a linear one."""
    if spans_decades(values):
        ax.set_yscale("log")
        _plain_log_ticks(ax.yaxis)
        ax.set_ylabel(f"{name} (log scale)" if name else "log scale")


def _height_of(value: float, curves: list[float]) -> float:
    """Where `value` will lie on a panel drawing `curves` and it: 0 at the bottom, 1 at the top (in decades on a
    log scale), before the axes are laid out."""
    return float(_heights(curves, value)([value])[0])


def _heights(curves: list[float], *also: float):
    """`_height_of` for many values at once: a function of an array of values, on the panel of `curves` and
    `also`."""
    import numpy as np

    drawn = _finite(curves) + list(also)
    low, high = (min(drawn), max(drawn)) if drawn else (0.0, 1.0)
    if high <= low:
        return lambda values: np.full(len(values), 0.5)
    if spans_decades(drawn):
        return lambda values: np.log10(np.asarray(values, dtype=float) / low) / np.log10(high / low)
    return lambda values: (np.asarray(values, dtype=float) - low) / (high - low)


def _tag_place(value: float, up: bool, tag: str, curves: list[float], lines) -> tuple[float, str]:
    """Where along its line a baseline's name goes, as (the axes' fraction, alignment): at the left end, else a
    third or two thirds of the way, else the right end (where the kept epoch and the test star are), whichever
    first has no curve of `lines` ([(epochs, values)]) passing through the name's box (else where the fewest
    do)."""
    import numpy as np

    xs = [x for epochs, _ in lines for x in epochs]
    if not xs or max(xs) == min(xs):
        return 0.0, "left"
    low, high = min(xs), max(xs)
    width, height = 0.0125 * len(tag) + 0.02, 0.08  # of the axes: x-small letters, and the offset from the line
    heights = _heights(curves, value)
    at = float(heights([value])[0])
    band = (at, at + height) if up else (at - height, at)
    crossings = {}
    for start, align in ((0.0, "left"), (1 / 3, "left"), (2 / 3, "left"), (1.0, "right")):
        left = start if align == "left" else start - width
        x0, x1 = low + left * (high - low), low + (left + width) * (high - low)
        count = 0
        for epochs, values in lines:
            if len(epochs) < 2:
                continue
            xs = np.asarray(epochs, dtype=float)
            inside = np.concatenate([[x0], xs[(xs > x0) & (xs < x1)], [x1]])  # the curve's segments in the box
            ys = heights(np.interp(inside, xs, np.asarray(values, dtype=float)))
            ys = ys[np.isfinite(ys)]
            count += int(np.sum((np.maximum(ys[:-1], ys[1:]) >= band[0]) & (np.minimum(ys[:-1], ys[1:]) <= band[1])))
        crossings[start, align] = count
        if not crossings[start, align]:
            return start, align
    return min(crossings, key=crossings.get)  # a curve on its baseline crosses it everywhere: the least


def _baseline(
    ax, value: float, curves: list[float], colour: str, label: str, tag: str = "", up: bool | None = None, lines=()
) -> bool:
    """A dashed horizontal line at `value`, above the curves (they show through its gaps), named by `tag`
    ("baseline: training + validation"; the legend may hold two lines that look alike, from two panels) above
    the line or, near the panel's top, below it, where no curve of `lines` crosses the name (`_tag_place`);
    when it lies so far
    from the curves that showing it would squeeze them into a strip (more than their own span away), an arrow at
    the axes' edge says where it is instead. Returns whether the line was drawn (and so belongs to the axis's
    range)."""
    values = _finite(curves)
    low, high = (min(values), max(values)) if values else (value, value)
    span = high - low
    if values and span > 0 and not low - span <= value <= high + span:
        above = value > high
        # Stacked, one line below (above) the other, when several baselines of a panel are off the scale.
        stacked = getattr(ax, "_nnrun_off_scale", {True: 0, False: 0})
        ax._nnrun_off_scale = {**stacked, above: stacked[above] + 1}
        shift = 0.075 * stacked[above]
        # on a white box: a vertical line (the kept epoch) may pass under it
        ax.annotate(
            f"{'↑' if above else '↓'} {label}: {value:.4g} (off the scale)",
            xy=(0.5, 0.97 - shift if above else 0.03 + shift),
            xycoords="axes fraction",
            ha="center",
            va="top" if above else "bottom",
            fontsize="small",
            color=colour,
            zorder=5,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1},
        )
        ax.plot(
            [], [], color=colour, linestyle=BASELINE_DASH, linewidth=BASELINE_WIDTH, label=label, gid="baseline"
        )  # the legend entry all the same
        return False
    ax.axhline(
        value, color=colour, linestyle=BASELINE_DASH, linewidth=BASELINE_WIDTH, label=label, zorder=3, gid="baseline"
    )
    if tag:
        up = _height_of(value, curves) < 0.85 if up is None else up
        x, align = _tag_place(value, up, tag, curves, lines)
        ax.annotate(
            tag,
            (x, value),
            xycoords=("axes fraction", "data"),
            xytext=(3 if align == "left" else -3, 3 if up else -3),
            textcoords="offset points",
            ha=align,
            va="bottom" if up else "top",
            fontsize="x-small",
            color=colour,
            zorder=4,
            gid="baseline-tag",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.5},
        )
    return True


# Short dashes, thicker than a curve and drawn above the curves: where a curve lies on its baseline (a model no
# better than always answering the most frequent class), the two alternate along the line and both stay seen.
BASELINE_DASH, BASELINE_WIDTH = (0, (2.0, 1.5)), 2.2


def _on_baseline(epochs: list, values: list, baseline: float, curves: list[float], words: str) -> str:
    """ "training curve = baseline from epoch 8" when a curve ends lying on its baseline: so close that the
    drawing cannot tell them apart (within 1% of the panel's height, or 0.1% of the value) and within 1% of the
    baseline's value (a loss 6% above it, on a panel spanning 0.4 to 5, is near it, not on it), for at least its
    last three epochs and a fifth of them; else ''."""
    import math

    drawn = _finite(curves) + [baseline]
    log = spans_decades(drawn) and baseline > 0
    span = math.log10(max(drawn) / min(drawn)) if log else max(drawn) - min(drawn)

    def on(value) -> bool:
        if not (isinstance(value, (int, float)) and math.isfinite(value)):
            return False
        if abs(value - baseline) > 0.01 * abs(baseline):
            return False
        if log:
            return value > 0 and abs(math.log10(value / baseline)) <= 0.01 * span
        return abs(value - baseline) <= max(0.01 * span, 0.001 * abs(baseline))

    tail = 0
    for value in reversed(values):
        if not on(value):
            break
        tail += 1
    if tail < 3 or tail < 0.2 * len(values):
        return ""
    start = epochs[len(values) - tail]
    return f"{words} curve = baseline" + (f" from epoch {start:g}" if tail < len(values) else "")


def _same(a: float, b: float, curves: list[float]) -> bool:
    """Whether two baselines would draw as one line: within 2.5% of the panel's height apart (of its decades on a
    log scale: a few pixels), or 0.5% of their value. Apart, they would read as one thick smudge anyway."""
    import math

    values = _finite(curves) + [a, b]
    if spans_decades(values) and a > 0 and b > 0:
        return abs(math.log10(a / b)) <= 0.025 * math.log10(max(values) / min(values))
    return abs(a - b) <= max(0.025 * (max(values) - min(values)), 0.005 * max(abs(a), abs(b)))


def _baselines(
    ax, values: dict[str, float], curves: list[float], suffix: str = "", lines: dict[str, str] | None = None, points=()
) -> list[float]:
    """The baseline of each split in `values` ({"train": 0.65, "validation": 0.62, "test": 0.6}) as dashed lines
    in colours no curve has; splits whose baselines coincide share one line, labelled with all of them
    ("baseline, training and validation rows"). Returns the values drawn as lines; `lines`, when given, gets the
    colour of each split's line drawn."""
    groups: list[list[str]] = []
    for split in ("train", "validation", "test"):
        if not isinstance(values.get(split), (int, float)):
            continue
        group = next((g for g in groups if _same(values[g[0]], values[split], curves)), None)
        (group.append(split) if group else groups.append([split]))
    # Each line's name above it, or below it near the top; of two lines closer than a name's height, the lower
    # one's below it, so that neither name sits on the other line.
    heights = {g[0]: _height_of(values[g[0]], curves) for g in groups}
    up = {split: height < 0.85 for split, height in heights.items()}
    ordered = sorted(heights, key=heights.get)
    for lower, upper in zip(ordered, ordered[1:]):
        if heights[upper] - heights[lower] < 0.08:
            up[lower], up[upper] = False, True
    drawn = []
    for group in groups:
        colour = BASELINE_COLOURS[group[0]] if len(group) == 1 else BASELINE_COLOURS["shared"]
        words = [SPLIT_WORDS[s] for s in group]
        label = (
            f"baseline, {' and '.join([', '.join(words[:-1]), words[-1]] if len(words) > 1 else words)} rows{suffix}"
        )
        if _baseline(
            ax, values[group[0]], curves, colour, label, f"baseline: {' + '.join(words)}", up[group[0]], points
        ):
            drawn.append(values[group[0]])
            if lines is not None:
                lines.update({split: colour for split in group})
    return drawn


def _epochs_axis(ax) -> None:
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)


def _legend(fig, ncols: int = 4, title: str | None = None) -> None:
    """One legend for the whole figure, below the panels (outside every axes), each label once."""
    handles: dict[str, Any] = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if not label.startswith("_"):
                handles.setdefault(label, handle)
    if not handles:
        return
    # As many columns as fit the figure's width: a legend wider than the figure is cut at both edges.
    renderer = fig.canvas.get_renderer()
    for n in range(min(ncols, len(handles)), 0, -1):
        legend = fig.legend(
            handles.values(),
            handles.keys(),
            loc="outside lower center",
            ncols=n,
            fontsize="small",
            frameon=False,
            title=title,
            title_fontsize="small",
        )
        if n == 1 or legend.get_window_extent(renderer).width <= 0.98 * fig.bbox.width:
            return
        legend.remove()


def _suptitle(fig, text: str):
    """The figure's title, each line wrapped (at its spaces) to the figure's width: a one-panel figure is 5.2 in
    wide, and a run's name, status and warning on one line would be cut at both edges."""
    renderer = fig.canvas.get_renderer()
    lines = text.split("\n")
    title = fig.suptitle(text)
    for chars in range(max(map(len, lines)) - 5, 19, -5):
        if title.get_window_extent(renderer).width <= 0.98 * fig.bbox.width:
            break
        title.set_text("\n".join(part for line in lines for part in textwrap.wrap(line, chars) or [""]))
    return title


def _column(rows: list[dict[str, float]], name: str) -> list[float]:
    return [r.get(name, float("nan")) for r in rows]


def _loss_title(metrics: dict[str, Any]) -> str:
    """'loss (mse)': the loss panel says which loss, from the run's config."""
    loss = (metrics.get("config") or {}).get("loss")
    name = loss.get("name") if isinstance(loss, dict) else loss
    return f"loss ({name})" if isinstance(name, str) else "loss"


def train_title(metrics: dict[str, Any]) -> str:
    """'pima: completed, 150 of 1500 epochs (stopped early)'; a k-fold run's refit says so, and on how many rows."""
    name, status = metrics.get("name", "run"), metrics.get("status", "")
    run, planned = metrics.get("epochs_run"), metrics.get("epochs")
    epochs = f"{run} of {planned} epochs" if run is not None and planned and run != planned else f"{run or 0} epochs"
    early = " (stopped early)" if metrics.get("stopped_early") else ""
    if metrics.get("kind") == "refit":
        rows = (metrics.get("rows") or {}).get("train")
        on = f" on all {rows} training rows" if rows else " on every training row"
        return f"{name}: the k-fold run's refit ({status}), {epochs}{early}{on}"
    if metrics.get("kind") == "fold":
        return f"{name}: fold {metrics.get('fold')} of {metrics.get('k')} ({status}), {epochs}{early}"
    return f"{name}: {status}, {epochs}{early}"


def _warning_line(metrics: dict[str, Any]) -> str:
    """'\nwarning: no better than the baseline (see metrics.json)': the head of the run's first warning (up to
    its first colon), on a second title line; '' without one."""
    warnings = metrics.get("warnings") or []
    if not warnings or not isinstance(warnings[0], str):
        return ""
    head = warnings[0].split(":", 1)[0].strip()
    more = f" (+{len(warnings) - 1} more)" if len(warnings) > 1 else ""
    return f"\nwarning: {head}{more} (nnrun show has the details)"


def history_png(rows: list[dict[str, float]], path: Path, metrics: dict[str, Any]) -> None:
    """history.png of a train run (or a fold, or a k-fold run's refit): one panel per quantity of history.csv
    (loss first), training solid and validation dashed; in each, the baseline of each split as a dotted line
    (metrics["baseline"]), the epoch whose weights were kept, and the test score at that epoch.

    `metrics` is the run's metrics.json content (status, epochs_run, baseline, test, restored_epoch, kind, rows);
    the title is drawn from it. Writes `path` atomically."""
    fig = history_figure(rows, metrics)
    _save(fig, path)


def history_figure(rows: list[dict[str, float]], metrics: dict[str, Any]):
    """The Figure history_png saves (for tests: inspect its Axes). Without a row (a run stopped before its first
    epoch ended), a note saying so under the title, and no axes: an empty panel read as a broken picture."""
    if not rows:
        fig = _figure(figsize=(9, 2.4))
        fig.text(
            0.5,
            0.45,
            f"{metrics.get('status') or 'stopped'} before its first epoch ended: nothing to draw",
            ha="center",
            va="center",
            color="gray",
            gid="nothing-to-draw",
        )
        _suptitle(fig, train_title(metrics) + _warning_line(metrics))
        return fig
    names = [k for k in (rows[0] if rows else {}) if k != "epoch" and not k.startswith("val_")] or ["loss"]
    n = len(names)
    cols = min(n, 3)
    grid = (n + cols - 1) // cols
    fig = _figure(figsize=(1.0 + 4.2 * cols, 1.3 + 3.2 * grid))
    axes = fig.subplots(grid, cols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    epochs = [r["epoch"] for r in rows]
    kept, why = kept_epoch(metrics)
    baseline, test = metrics.get("baseline") or {}, metrics.get("test") or {}
    for ax, name in zip(axes, names):
        drawn = _column(rows, name)
        ax.plot(epochs, drawn, label="training rows", color=TRAINING)
        if any(f"val_{name}" in r for r in rows):
            ax.plot(epochs, _column(rows, f"val_{name}"), label="validation rows", color=VALIDATION, linestyle="--")
            drawn += _column(rows, f"val_{name}")
        key = baseline_name(name) or name
        # The curves show the training and validation rows; the test rows' baseline only beside a test score (an
        # interrupted run has none).
        splits = ("train", "validation", "test") if isinstance(metrics.get("test"), dict) else ("train", "validation")
        values = {s: (baseline.get(s) or {}).get(key) for s in splits}
        lines: dict[str, str] = {}
        points = [(epochs, _column(rows, c)) for c in (name, f"val_{name}") if any(c in r for r in rows)]
        drawn += _baselines(ax, values, list(drawn), lines=lines, points=points)
        # a curve on its baseline (a model that always answers the most frequent class): said under the title
        notes = [
            _on_baseline(epochs, _column(rows, column), values[split], drawn, words)
            for split, column, words in (("train", name, "training"), ("validation", f"val_{name}", "validation"))
            if split in lines and any(column in r for r in rows)
        ]
        if kept is not None and rows:
            ax.axvline(kept, color="gray", linestyle="-.", linewidth=1, label=f"weights kept: epoch {kept} ({why})")
        if isinstance(test.get(name), (int, float)) and kept is not None:
            ax.plot(
                [kept],
                [test[name]],
                marker="*",
                markersize=13,
                color=TEST,
                linestyle="none",
                label="test score of the kept weights",
            )
            drawn.append(test[name])
        ax.set_title("\n".join([_loss_title(metrics) if name == "loss" else name, *filter(None, notes)]))
        _scale(ax, drawn, name)
        _epochs_axis(ax)
    _suptitle(fig, train_title(metrics) + _warning_line(metrics))
    _legend(fig, ncols=3, title=f"baseline = {baseline['rule']}" if baseline.get("rule") else None)
    return fig


def kfold_title(name: str, k: int, status: str, metrics: dict[str, Any]) -> str:
    """A k-fold run's history.png title: 'boston: 4-fold cross-validation (completed), up to 100 epochs per fold,
    then a refit of 74 epochs on all 404 training rows'; when the refit is what stopped, the folds say completed
    and the refit says how far it got ('; the refit on all 700 training rows interrupted before its first
    epoch')."""
    done = metrics.get("folds_done", k)
    folds = f"{k}-fold cross-validation" + (f", {done} of {k} folds run" if done != k else "")
    refit = metrics.get("final")
    if refit and metrics.get("stopped_in") == "final":  # every fold finished: what stopped is the refit
        run = refit.get("epochs_run") or 0
        when = f"at epoch {run}" if run else "before its first epoch"
        rows = (metrics.get("rows") or {}).get("train")
        on = f" on all {rows} training rows" if rows else ""
        return (
            f"{name}: {k}-fold cross-validation (completed), up to {metrics.get('epochs')} epochs per fold;"
            f" the refit{on} {refit.get('status') or status} {when}"
        )
    on = (
        f", then a refit of {refit.get('epochs_run')} epochs on all {metrics['rows']['train']} training rows"
        if refit and metrics.get("rows")
        else ""
    )
    return f"{name}: {folds} ({status}), up to {metrics.get('epochs')} epochs per fold{on}"


def kfold_png(
    histories: list[list[dict[str, float]]],
    mean: list[dict[str, float]],
    path: Path,
    title: str,
    *,
    monitor: str,
    smoothing: float = 0.0,
    skip: int = 0,
    best: dict | None = None,
    metrics: dict[str, Any] | None = None,
) -> None:
    """history.png of a k-fold run: one row per quantity (loss first). Left, the mean validation curve over
    the folds with a ±std band, the training mean dashed, the folds' baseline dotted, the best epoch of the mean
    `monitor` curve and, with a refit, its test score at the epochs it trained; right, each fold's validation
    curve. Epochs from skip + 1; the `monitor` panel adds the curve smoothed by `smoothing` when > 0.
    `metrics` is the run's metrics.json content (baseline, final, test). Writes `path` atomically."""
    fig = kfold_figure(
        histories, mean, title, monitor=monitor, smoothing=smoothing, skip=skip, best=best, metrics=metrics
    )
    _save(fig, path)


def _mean_curve(ax, epochs, values, fewer, *, color, label, fewer_label, words="", linestyle="-") -> None:
    """A mean over the folds: as `linestyle` while every fold contributes, thin and dotted from index `fewer`
    (None: everywhere all of them), labelled "<fewer_label>: mean of the folds still running (<words>)"."""
    end = len(epochs) if fewer is None else fewer
    if end:
        ax.plot(epochs[:end], values[:end], color=color, linestyle=linestyle, label=label)
    if fewer is not None:
        start = max(fewer - 1, 0)  # from the last epoch of all folds: the curve stays one line
        ax.plot(
            epochs[start:],
            values[start:],
            color=color,
            linestyle=":",
            linewidth=1.2,
            gid="fewer-folds",
            label=f"{fewer_label}: mean of the folds still running ({words})",
        )


def kfold_figure(histories, mean, title, *, monitor, smoothing=0.0, skip=0, best=None, metrics=None):
    """The Figure kfold_png saves (for tests: inspect its Axes)."""
    from matplotlib import colormaps

    from nnrun.runs.curves import smooth

    metrics = metrics or {}
    rows = [r for r in mean if r["epoch"] > skip] or mean
    epochs = [r["epoch"] for r in rows]
    names = [
        k.removesuffix("_mean") for k in (mean[0] if mean else {}) if k.endswith("_mean") and not k.startswith("val_")
    ]
    names = [n for n in names if f"val_{n}_mean" in mean[0]] or [monitor.removeprefix("val_")]
    k = len(histories)
    fig = _figure(figsize=(11, 1.4 + 3.1 * len(names)))
    axes = fig.subplots(len(names), 2, squeeze=False)
    baseline = metrics.get("baseline") or {}
    final, test = metrics.get("final") or {}, metrics.get("test") or {}
    many = k > 10  # beyond ten folds, a legend entry each would crowd the picture: one grey entry for them all
    # no colour of the mean panel (blue, orange, green, red, the baselines' brown) and no two of one hue; past
    # seven folds, viridis short of its pale yellow
    dark = ["tab:purple", "tab:cyan", "tab:pink", "tab:olive", "tab:gray", "darkgoldenrod", "navy"]
    colours = dark.__getitem__ if k <= len(dark) else (lambda i: colormaps["viridis"](0.85 * i / (k - 1)))
    from_epoch = f", from epoch {skip + 1}" if skip and rows is not mean else ""
    # Where folds stopped early, the later epochs' mean is over the folds still running: a jump there is the
    # fold that left, not the curve turning. From the first such epoch the means are drawn dotted and say so.
    counts = [r.get("folds") for r in rows]
    full = max([c for c in counts if isinstance(c, (int, float))], default=k)
    fewer = next((i for i, c in enumerate(counts) if isinstance(c, (int, float)) and c < full), None)
    fewer_words = "" if fewer is None else f"from epoch {epochs[fewer]:g}: {counts[fewer]:g} of {full:g} folds"
    for (left, right), name in zip(axes, names):
        val = f"val_{name}"
        values, spread = _column(rows, f"{val}_mean"), _column(rows, f"{val}_std")
        low, high = [v - s for v, s in zip(values, spread)], [v + s for v, s in zip(values, spread)]
        _mean_curve(
            left,
            epochs,
            values,
            fewer,
            color=VALIDATION,
            label=f"validation: mean of {k} folds",
            fewer_label="validation",
            words=fewer_words,
        )
        whole = len(epochs) if fewer is None else fewer
        left.fill_between(
            epochs[:whole],
            low[:whole],
            high[:whole],
            color=VALIDATION,
            alpha=0.2,
            label="validation: ± std over the folds",
        )
        if fewer is not None:
            start = max(fewer - 1, 0)
            left.fill_between(epochs[start:], low[start:], high[start:], color=VALIDATION, alpha=0.08)
        drawn = values + [v for v in low if v > 0] + high
        if smoothing and val == monitor:
            left.plot(
                epochs,
                smooth(values, smoothing),
                color="tab:red",
                label=f"{monitor} smoothed (factor {smoothing:g}): picks the best epoch",
            )
        if f"{name}_mean" in rows[0]:
            train = _column(rows, f"{name}_mean")
            _mean_curve(
                left,
                epochs,
                train,
                fewer,
                color=TRAINING,
                linestyle="--",
                label="training: mean of the folds",
                fewer_label="training",
                words=fewer_words,
            )
            drawn += train
        if best:
            left.axvline(
                best["epoch"],
                color="gray",
                linestyle="-.",
                linewidth=1,
                label=f"best epoch {best['epoch']} (of the mean {best['monitor']})",
            )
        at = final.get("epochs_run") or final.get("epochs")
        starred = isinstance(test.get(name), (int, float)) and at
        # the folds' baselines (means over the folds); the test rows' whenever the refit's test star is drawn:
        # it is what the star is compared with
        key = baseline_name(name) or name
        splits = ("train", "validation", "test") if starred else ("train", "validation")
        baselines = {s: (baseline.get(s) or {}).get(key) for s in splits}
        lines: dict[str, str] = {}
        points = [(epochs, _column(rows, c)) for c in (f"{val}_mean", f"{name}_mean") if c in rows[0]]
        drawn += _baselines(left, baselines, list(drawn), lines=lines, points=points)
        notes = [
            _on_baseline(epochs, _column(rows, column), baselines[split], drawn, f"mean {words}")
            for split, column, words in (
                ("train", f"{name}_mean", "training"),
                ("validation", f"{val}_mean", "validation"),
            )
            if split in lines and column in rows[0]
        ]
        if starred:
            left.plot(
                [at],
                [test[name]],
                marker="*",
                markersize=13,
                color=TEST,
                linestyle="none",
                label=f"test score of the refit ({at} epochs on all training rows)",
            )
            drawn.append(test[name])
        left.set_title("\n".join([f"{name}: mean over the folds{from_epoch}", *filter(None, notes)]))
        _scale(left, drawn, name)
        shown_all = []
        for i, history in enumerate(histories, 1):
            shown = [r for r in history if r["epoch"] > skip] or history
            curve = _column(shown, val)
            shown_all += curve
            label = (f"each of the {k} folds" if i == 1 else "_") if many else f"fold {i}"
            right.plot(
                [r["epoch"] for r in shown],
                curve,
                linewidth=1,
                label=label,
                color="gray" if many else colours(i - 1),
                alpha=0.6 if many else 1.0,
            )
        right.set_title(f"{val} of each fold{from_epoch}")
        _scale(right, shown_all, val)
        for ax in (left, right):
            _epochs_axis(ax)
    _suptitle(fig, title + _warning_line(metrics))
    _legend(fig, ncols=4, title=f"baseline = {baseline['rule']}" if baseline.get("rule") else None)
    return fig


def recall_text(recall: float | None) -> str:
    """A recall as confusion.png and `nnrun show` both print it: three decimals (39 of 40 rows: 0.975, which
    two would round either way), "-" for a class without rows."""
    return "-" if recall is None else f"{recall:.3f}"


def confusion_png(matrix, classes: list, path: Path, title: str) -> None:
    """confusion.png: rows are the true classes, columns the predicted ones, each cell its count of rows; the
    colour is the share of the true class's rows (so rare classes read as clearly as common ones). Each row's
    label ends with its recall. Writes `path` atomically."""
    _save(confusion_figure(matrix, classes, title), path)


def confusion_figure(matrix, classes: list, title: str):
    """The Figure confusion_png saves."""
    import numpy as np

    matrix = np.asarray(matrix)
    n = len(classes)
    totals = matrix.sum(axis=1)
    shares = np.divide(matrix, totals[:, None], out=np.zeros(matrix.shape, dtype=float), where=totals[:, None] > 0)
    side = min(max(4.5, 0.45 * n + 2.5), 16)
    fig = _figure(figsize=(side + 1.2, side))
    ax = fig.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of the true class's rows")
    names = [str(c) for c in classes]
    ax.set_xticks(range(n), names, rotation=90 if n * max(map(len, names)) > 4 * side else 0)
    recall = [recall_text(s if t else None) for s, t in zip(np.diag(shares), totals)]
    ax.set_yticks(range(n), [f"{c} ({r})" for c, r in zip(names, recall)])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class (recall)")
    if n <= 20:  # beyond, the numbers would not fit their cells: colour alone
        size = "medium" if n <= 8 else "small" if n <= 14 else "x-small"
        for i in range(n):
            for j in range(n):
                ax.text(
                    j,
                    i,
                    str(int(matrix[i, j])),
                    ha="center",
                    va="center",
                    fontsize=size,
                    color="white" if shares[i, j] > 0.6 else "black",
                )
    ax.set_title(title)
    return fig


MISTAKE = "tab:red"


def samples_png(
    images, predicted: list[str], truth: list[str], numbers: list[int], path: Path, title: str, columns: int = 8
) -> None:
    """samples.png: `images` (n, height, width) grey levels or (n, height, width, 3 or 4) colours, as read (0-255
    or 0-1), in a grid of `columns`; each titled with its row number and predicted class, a wrong one in red with
    a red border and its true class below. Writes `path` atomically."""
    _save(samples_figure(images, predicted, truth, numbers, title, columns), path)


def samples_figure(images, predicted: list[str], truth: list[str], numbers: list[int], title: str, columns: int = 8):
    """The Figure samples_png saves: one Axes showing every image on a single canvas, with the titles as texts
    and the borders of mistakes as rectangles (32 Axes of their own took 2 s to lay out and draw; this 0.2 s)."""
    import numpy as np
    from matplotlib.patches import Rectangle

    images = np.asarray(images, dtype=np.float64)
    # Pixels as read: 0-255 (Keras's images), 0-16 (scikit-learn's digits), or already 0-1; the brightest level a
    # format has is not written in it, so the darkest ink drawn is the largest value present.
    top = float(images.max()) if images.size and images.max() > 1.0 else 1.0
    n, (height, width) = len(images), images.shape[1:3]
    grey = images.ndim == 3
    columns = max(1, min(columns, n))
    rows = max(1, -(-n // columns))
    gap, head = max(2, width // 4), max(5, height // 4)  # pixels between images, and above/below each for text
    cell_w, cell_h = width + gap, height + 2 * head
    # The background: white, which is 0 for the "binary" grey map and 1 for colours.
    canvas = np.full((rows * cell_h, columns * cell_w, *images.shape[3:]), 0.0 if grey else 1.0)
    side = 1.3 * columns  # inches across the images; the height follows the canvas, plus the title's
    fig = _figure(figsize=(side + 0.3, side * canvas.shape[0] / canvas.shape[1] + 0.7))
    ax = fig.subplots()
    ax.set_axis_off()
    for i in range(n):
        y, x = (i // columns) * cell_h + head, (i % columns) * cell_w + gap // 2
        canvas[y : y + height, x : x + width] = np.clip(images[i] / top, 0.0, 1.0)
        wrong = predicted[i] != truth[i]
        colour = MISTAKE if wrong else "black"
        ax.text(
            x + width / 2 - 0.5,
            y - 1.5,
            f"#{numbers[i]}: {predicted[i]}",
            ha="center",
            va="bottom",
            fontsize="small",
            color=colour,
        )
        if wrong:
            ax.add_patch(Rectangle((x - 1, y - 1), width + 1, height + 1, fill=False, edgecolor=MISTAKE, linewidth=2.5))
            ax.text(
                x + width / 2 - 0.5,
                y + height + 0.5,
                f"true: {truth[i]}",
                ha="center",
                va="top",
                fontsize="small",
                color=MISTAKE,
            )
    ax.imshow(canvas, cmap="binary" if grey else None, vmin=0, vmax=1, interpolation="nearest")
    ax.set_title("\n".join(textwrap.wrap(title, 12 * columns + 10)), fontsize="medium")
    return fig


def _end_labels(ax, ends: list[tuple[float, float, str, Any]]) -> None:
    """Each run's number just right of its last point. Runs whose curves end at the same point (the same last
    epoch, and last values the drawing cannot tell apart) share one label ("2, 5"); labels of ends that are
    merely near each other are moved apart, up or down, with a thin line to their points, rather than printed
    over each other or merged into a label that names a run whose curve ends elsewhere."""
    import math

    ax.autoscale_view()
    to_axes = ax.transScale + ax.transLimits  # data -> the axes' fractions, before layout
    groups: list[list] = []
    for x, y, text, colour in ends:
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        fx, fy = to_axes.transform((x, y))
        group = next((g for g in groups if g[0][2] == x and abs(g[0][1] - fy) < RESOLUTION), None)
        (group.append((fx, fy, x, y, text, colour)) if group else groups.append([(fx, fy, x, y, text, colour)]))
    placed: list[tuple[float, float]] = []
    for group in sorted(groups, key=lambda g: g[0][1]):  # from the bottom up: each label above those it meets
        fx, fy, x, y, _, colour = group[0]
        at = fy
        for _, py in sorted(p for p in placed if abs(p[0] - fx) < 0.06):  # upwards past each label in the way
            if abs(py - at) < 0.999 * LABEL_HEIGHT:
                at = py + LABEL_HEIGHT
        placed.append((fx, at))
        moved = abs(at - fy) > 1e-9
        ax.annotate(
            ", ".join(g[4] for g in group),
            (x, y),
            xytext=(fx + (0.02 if moved else 0.006), at),
            textcoords="axes fraction",
            fontsize="x-small",
            va="center",
            annotation_clip=False,
            color=colour if len(group) == 1 else "black",
            zorder=5,
            gid="end-label",
            # above every curve, on white: a later run continuing this one's curve runs over its end
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.8},
            arrowprops={"arrowstyle": "-", "color": colour, "linewidth": 0.6, "shrinkA": 0, "shrinkB": 1}
            if moved
            else None,
        )


RESOLUTION = 0.004  # of the axes' height: about 1.5 pixels of the overlay's plot, what the drawing can resolve
LABEL_HEIGHT = 0.04  # of the axes' height: one line of x-small text
UNFINISHED = {
    "interrupted": "interrupted at epoch {}",
    "crashed": "crashed at epoch {}",
    "running": "still running, at epoch {}",
    "failed": "failed at epoch {}",
}
CUT = 3  # an unfinished run this many times longer than every other run cuts the epoch axis at their length


def overlay_png(records, metric: str, path: Path, labels: dict[str, str | list[str]]) -> int:
    """One line per run of `metric` over epochs (a k-fold run: its mean over the folds); write `path` and
    return how many runs had that curve. RunError when none has it, naming the curves that exist.

    `labels`: per run (by name), its label ("name: key=value, ...") or its key=value items in the order they
    should be read (see compare.label_items). Runs are numbered in the legend (below the axes, never on the
    curves); a run whose curve equals an earlier one's is drawn in a different line style and labelled "same
    curve as N"; an unfinished run (interrupted, crashed, still running) says so and ends in a cross; one far
    longer than the others is cut where they end, and the axis says so."""
    fig, count = overlay_figure(records, metric, labels)
    _save(fig, path)
    return count


def _legend_settings(items: list[list[str]], width: int) -> list[str]:
    """Each run's settings as a legend shows them: its items on at most two lines of `width`, cut with "…".
    Where two runs with different settings would read alike once cut, the later one's items that the earlier
    one lacks come first."""

    def cut(parts: list[str]) -> str:
        return (
            "\n".join(
                textwrap.wrap(
                    ", ".join(parts),
                    width=width,
                    max_lines=2,
                    placeholder=" …",
                    initial_indent="    ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                )
            )
            if parts
            else ""
        )

    texts = [cut(parts) for parts in items]
    for j in range(len(items)):
        for i in range(j):
            if texts[i] == texts[j] and items[i] != items[j]:
                own = [p for p in items[j] if p not in items[i]]
                texts[j] = cut(own + [p for p in items[j] if p not in own])
    return texts


def overlay_figure(records, metric: str, labels: dict[str, str | list[str]]):
    """The Figure overlay_png saves and how many curves it has. `labels` may also be a function of the runs
    that have the curve, returning their labels (the settings that differ between the runs plotted)."""
    import numpy as np

    from nnrun.errors import RunError
    from nnrun.runs.folder import read_history

    histories, names = [], set()
    for record in records:
        mean = (record.path / "history_mean.csv").exists()
        rows = read_history(record.path / ("history_mean.csv" if mean else "history.csv"))
        column = f"{metric}_mean" if mean else metric
        names.update(k.removesuffix("_mean") for k in (rows[0] if rows else {}) if not k.endswith("_std"))
        if rows and column in rows[0]:
            histories.append((record, mean, rows, column))
    if callable(labels):
        labels = labels([h[0] for h in histories])
    curves = []
    for record, mean, rows, column in histories:
        label = labels.get(record.name)  # None: settings not known (not "the same as another run's")
        if isinstance(label, str):  # "name: key=value, ...": one item
            label = [label.removeprefix(record.name).removeprefix(": ")] if label != record.name else []
        head = record.name + (f" (mean of {record.metrics.get('k') or 'the'} folds)" if mean else "")
        epochs, values = [r["epoch"] for r in rows], [r[column] for r in rows]
        unfinished = UNFINISHED.get(record.status)
        if unfinished:
            head += f", {unfinished.format(int(epochs[-1]))}"
        curves.append(((head, label), epochs, values, bool(unfinished)))
    if not curves:
        valid = sorted(names - {"epoch", "folds"})
        raise RunError(f"--plot {metric}: none of these runs has that curve; valid: {', '.join(valid) or 'none'}")
    styles = ["-", "--", ":", "-."]
    same: dict[int, tuple[int, int]] = {}  # curve index -> (the first curve equal to it, over how many epochs)
    for i, (_, epochs, values, _) in enumerate(curves):
        for j in range(i):
            if j in same:
                continue
            # same seed, another length (an interrupted or longer run): the same curve over the shorter one
            n = min(len(epochs), len(curves[j][1]))
            if (
                n >= 2
                and curves[j][1][:n] == epochs[:n]
                and np.allclose(curves[j][2][:n], values[:n], rtol=1e-9, atol=0, equal_nan=True)
            ):
                same[i] = (j, n if len(epochs) != len(curves[j][1]) else 0)
                break
    # An unfinished run far longer than the others (2000 epochs beside 30) would squeeze them into the axis's
    # first percent: the axis ends where the longest of the others does, and says where the cut runs go on to.
    others = [c[1][-1] for c in curves if not c[3]]
    cut_at = max(others) if others else None
    cut = {i for i, c in enumerate(curves) if c[3] and cut_at and c[1][-1] > CUT * cut_at}
    columns = 1 if len(curves) <= 8 else 2
    width = 110 // columns  # characters: the legend stays as wide as the figure
    settings = _legend_settings([c[0][1] or [] for c in curves], width)
    firsts = {}  # a run's settings -> the first run with them
    texts, looks, repeats = [], [], {}
    for i, ((head, _), _, _, _) in enumerate(curves):
        style, linewidth = "-", 1.4
        text = f"{i + 1}: {head}"
        alike = firsts.setdefault(tuple(curves[i][0][1]), i) if curves[i][0][1] is not None else i
        if i in same:
            first, over = same[i]
            repeats[first] = repeats.get(first, 0) + 1
            style = styles[repeats[first] % len(styles)]
            linewidth = 2.2
            both = "settings and " if alike == first and not over else ""
            text += f", the same {both}curve as {first + 1}" + (f" over the first {over} epochs" if over else "")
        elif alike != i:
            text += f", the same settings as {alike + 1}"
        lines = textwrap.wrap(text, width=width, subsequent_indent="    ")
        texts.append("\n".join(lines + ([settings[i]] if settings[i] else [])))
        looks.append((style, linewidth))
    rows = sum(t.count("\n") + 1 for t in texts) / columns
    fig = _figure(figsize=(9, 4.6 + 0.19 * rows))
    ax = fig.subplots()
    if len(curves) > 10:  # past ten, tab10 repeats its colours: tab20's ten dark ones, then its ten light ones
        from matplotlib import colormaps

        ax.set_prop_cycle(color=[colormaps["tab20"](i) for i in [*range(0, 20, 2), *range(1, 20, 2)]])
    ax.margins(x=0.07)  # room right of the curves' ends for their numbers
    drawn, ends = [], []
    for i, (((_, _), epochs, values, unfinished), text, (style, linewidth)) in enumerate(zip(curves, texts, looks)):
        if i in cut:
            keep = [e <= cut_at for e in epochs]
            epochs, values = [e for e, k in zip(epochs, keep) if k], [v for v, k in zip(values, keep) if k]
        marker = {"marker": "X", "markevery": [len(epochs) - 1], "markersize": 7} if unfinished and i not in cut else {}
        (line,) = ax.plot(epochs, values, linestyle=style, linewidth=linewidth, label=text, **marker)
        ends.append((epochs[-1], values[-1], f"{i + 1} →" if i in cut else str(i + 1), line.get_color()))
        drawn += values
    _scale(ax, drawn, metric)
    _epochs_axis(ax)
    lengths = [c[1][-1] if i not in cut else cut_at for i, c in enumerate(curves) if c[1]]
    notes = []
    if cut:
        runs = ", ".join(f"run {i + 1} goes on to epoch {int(curves[i][1][-1])}" for i in sorted(cut))
        notes.append(f"cut at epoch {int(cut_at)}, where the other runs end: {runs}")
    if lengths and min(lengths) > 0 and max(lengths) > 10 * min(lengths):
        # one run far longer (300 epochs beside 3) would squeeze the others into the first percent
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis)  # 1, 10, 100 rather than 10^0, 10^1, 10^2
        notes.insert(0, "log scale: the runs' lengths differ tenfold")
    if notes:
        ax.set_xlabel("\n".join(textwrap.wrap(f"epoch ({'; '.join(notes)})", 100)))
    if len(curves) <= 20:  # the run's number at its last point: the key to the legend below
        _end_labels(ax, ends)
    if not ax.get_ylabel():  # else _scale's, with its scale
        ax.set_ylabel(metric)
    identical = f"; {len(same)} identical to another (line styles)" if same else ""
    ax.set_title(f"{metric} over epochs: {len(curves)} runs{identical}")
    if len(curves) <= 30:
        fig.legend(loc="outside lower center", ncols=columns, fontsize="small", frameon=False)
    return fig, len(curves)
