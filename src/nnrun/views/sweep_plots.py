"""The pictures of a sweep folder, redrawn by the sweep after every finished trial (`draw`):

- score.png: each trial's score over the trial number, the best so far as a step line, pruned and failed
  trials marked apart;
- params.png: the score against each parameter, one panel each (a log axis for log_uniform parameters, short
  labels for values such as whole layer lists);
- parallel.png: parallel coordinates, one axis per parameter then the score, one line per trial coloured by
  its score, the best trial drawn over the rest.

They read trials.csv, metrics.json and sweep.yaml only (runs/sweep_record.py), never a trial's folder, so
drawing costs the same after the 200th trial as after the first. Matplotlib's Agg, no pyplot (plots._figure).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from nnrun.runs.sweep_record import SweepRecord, Trial, read_sweep, trials_text
from nnrun.views.plots import _figure, _legend, _save, spans_decades

PICTURES = ("score.png", "params.png", "parallel.png")
COMPLETED, BEST, BEST_LINE = "tab:blue", "tab:orange", "tab:red"
# Trials without a score, marked past the worst scores: (marker, colour, what the legend says).
UNSCORED = {
    "failed": ("X", "tab:red", "failed"),
    "diverged": ("v", "tab:purple", "diverged (loss NaN or inf)"),
    "interrupted": ("|", "dimgray", "interrupted"),
    "crashed": ("|", "black", "crashed"),
    "pruned": ("o", "gray", "pruned before its first value"),
}
LABEL_CHARS = 16  # a categorical value's label on an axis is cut to this many characters
LOG_DISTRIBUTIONS = ("log_uniform", "int_log_uniform")


def draw(sweep_dir: Path) -> list[Path]:
    """Write score.png, params.png and parallel.png into the sweep folder `sweep_dir` (atomically: a reader
    never sees half a file) from its trials.csv, metrics.json and sweep.yaml; returns their paths. Works at
    any point of a sweep: no trial yet, only failed ones, one running. Raises OSError when the folder cannot
    be written."""
    sweep_dir = Path(sweep_dir)
    record = read_sweep(sweep_dir)
    paths = []
    for name, figure in zip(PICTURES, (score_figure, params_figure, parallel_figure)):
        _save(figure(record), sweep_dir / name)
        paths.append(sweep_dir / name)
    return paths


# --- what every picture says ---


def _better(record: SweepRecord) -> str:
    return "lower is better" if record.goal == "minimize" else "higher is better"


def _score_text(value: float | None) -> str:
    if value is None:
        return "none"
    return f"{value:.4f}" if 1e-3 <= abs(value) < 1e5 or value == 0 else f"{value:.4g}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _searched_paths(record: SweepRecord) -> list[str]:
    """The parameters the sweep varies: not one set to a single value ({value: 0.2}, {values: [0.2]}), which
    searches nothing and would get a panel of one column of points."""
    return [p for p in record.parameters if not _constant(record, p)]


def _constant(record: SweepRecord, path: str) -> bool:
    return record.distribution(path) == "values" and len(record.choices(path)) <= 1


def searched(record: SweepRecord) -> str:
    """'quickstart-search: random search over 3 parameters (optimizer.learning_rate, batch_size, layers)'; the
    parameters set to one value after them ('; set: dataset.validation=0.2')."""
    method = f"{record.method} search" if record.method else "search"
    paths = _searched_paths(record)
    fixed = [
        f"{p}={short_label(record.choices(p)[0])}"
        for p in record.parameters
        if _constant(record, p) and record.choices(p)
    ]
    return (
        f"{record.name}: {method} over {_plural(len(paths), 'parameter')}"
        + (f" ({', '.join(paths)})" if paths else "")
        + (f"; set: {', '.join(fixed)}" if fixed else "")
    )


def progress(record: SweepRecord) -> str:
    """'trials: 50 planned, 49 finished (40 completed, 5 pruned, 3 failed, 1 diverged), 1 interrupted', and
    the sweep's status unless it completed."""
    status = "" if record.status == "completed" else f"; sweep {record.status}"
    return f"trials: {trials_text(record)}{status}"


def best_line(record: SweepRecord) -> str:
    """'best val_loss 0.0638 at trial 39 (goal: minimize)', or that no trial has completed yet."""
    best = record.best
    goal = f"goal: {record.goal} {record.metric}"
    if best is None or best.score is None:
        return f"no completed trial yet ({goal})"
    return f"best {record.metric} {_score_text(best.score)} at trial {best.number} ({goal})"


def title(record: SweepRecord, what: str | None, chars: int) -> str:
    """The lines above a picture: what it shows, what the sweep searched, how far it got and its best."""
    import textwrap

    lines = [what] if what else []
    lines += textwrap.wrap(searched(record), chars)
    lines += textwrap.wrap(f"{progress(record)}; {best_line(record)}", chars)
    return "\n".join(lines)


def _scored(record: SweepRecord) -> tuple[list[Trial], list[Trial], list[Trial]]:
    """(completed with a score, pruned with a score, the finished rest: failed, diverged, interrupted, crashed)."""
    completed = [t for t in record.trials if t.state == "completed" and t.score is not None]
    pruned = [t for t in record.trials if t.state == "pruned" and t.score is not None]
    rest = [t for t in record.trials if t not in completed and t not in pruned and t.state != "running"]
    return completed, pruned, rest


def _unscored_look(state: str) -> tuple[str, str, str]:
    return UNSCORED.get(state, ("X", "tab:red", state))


def _score_axis(ax, record: SweepRecord, values: list[float], *, band: bool, label: bool = True) -> float:
    """Set the score's axis: log when the scores span more than a decade, its name and which way is better,
    room around the scores for the best trial's star, and with `band` a strip past the worst scores, behind a
    dashed line, for the marks of trials without a score. Returns the height (data units) for those marks."""
    from matplotlib.ticker import FuncFormatter

    log = spans_decades(values)
    if log:
        ax.set_yscale("log")
    if label:
        ax.set_ylabel(f"{record.metric} ({_better(record)})")
    if not values:  # nothing to scale by: the marks in the middle
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        return 0.5
    to, back = (math.log10, lambda v: 10**v) if log else (float, float)
    low, high = to(min(values)), to(max(values))
    span = high - low or abs(high) * 0.2 or 1.0
    if high == low:
        low, high = low - span / 2, high + span / 2
    top = _worst_edge(record) == "top"
    sign, worst = (1, high) if top else (-1, low)
    limits = [low - 0.1 * span, high + 0.1 * span]
    mark = worst + sign * 0.24 * span
    if band:
        limits[1 if top else 0] = worst + sign * 0.34 * span
        line = back(worst + sign * 0.14 * span)
        ax.axhline(line, color="silver", linestyle="--", linewidth=0.9, zorder=1)
        from matplotlib.transforms import blended_transform_factory

        ax.text(
            0.995,
            line,
            "no score ",
            transform=blended_transform_factory(ax.transAxes, ax.transData),
            ha="right",
            va="bottom" if top else "top",
            fontsize="x-small",
            color="gray",
            zorder=2,
        )
    ax.set_ylim(back(limits[0]), back(limits[1]))
    scored = (back(low - 0.1 * span), back(high + 0.1 * span))  # no number on the band: a mark there has no score

    def plain(value: float, _=None, minor: bool = False) -> str:
        if not scored[0] <= value <= scored[1]:
            return ""
        if minor and f"{value:.0e}"[0] not in "235":  # 0.2, 0.3, 0.5 between the decades: 0.6 ... 0.9 crowd
            return ""
        return f"{value:g}"

    ax.yaxis.set_major_formatter(FuncFormatter(plain))
    if log:
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda value, _: plain(value, minor=True)))
    return back(mark)


# --- score.png ---


def score_figure(record: SweepRecord):
    """Each trial's score over the trial number: completed trials as dots, pruned ones as open circles at the
    value they had when stopped, trials without a score as marks past the worst scores, the best so far as a
    step line and the best trial as a star."""
    from matplotlib.ticker import MaxNLocator

    completed, pruned, rest = _scored(record)
    fig = _figure(figsize=(9, 5.2))
    ax = fig.subplots()
    ax.scatter(
        [t.number for t in completed],
        [t.score for t in completed],
        s=28,
        color=COMPLETED,
        zorder=3,
        label=f"completed ({len(completed)})" if completed else "_",
    )
    if pruned:
        ax.scatter(
            [t.number for t in pruned],
            [t.score for t in pruned],
            s=32,
            facecolors="none",
            edgecolors="gray",
            linewidths=1.2,
            zorder=3,
            label=f"pruned ({len(pruned)}): stopped early, its last value",
        )
    best = record.best
    if completed:
        xs, ys, best_so_far = [], [], None
        for trial in sorted(completed, key=lambda t: t.number):
            if best_so_far is None or record.better(trial.score, best_so_far):
                best_so_far = trial.score
            xs.append(trial.number)
            ys.append(best_so_far)
        last = max(t.number for t in record.trials if t.state != "running")
        ax.step([*xs, last], [*ys, ys[-1]], where="post", color=BEST, linewidth=1.8, zorder=2, label="best so far")
    if best is not None and best.score is not None:
        ax.scatter(
            [best.number],
            [best.score],
            s=220,
            marker="*",
            color=BEST,
            edgecolors="black",
            linewidths=0.8,
            zorder=4,
            label=f"best: trial {best.number}, {_score_text(best.score)}",
        )
    mark = _score_axis(ax, record, [t.score for t in completed + pruned], band=bool(rest))
    _unscored_marks(ax, record, rest, [t.number for t in rest], mark)
    if not completed and not pruned:
        ax.text(0.5, 0.6, "no trial has a score yet", transform=ax.transAxes, ha="center", va="center", color="gray")
    numbers = [t.number for t in record.trials]
    if numbers:
        ax.set_xlim(min(numbers) - 0.6, max(numbers) + 0.6)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial number (the order the trials were started in)")
    ax.grid(alpha=0.3)
    ax.set_title(title(record, None, 110), fontsize="medium")
    _legend(fig, ncols=3)
    return fig


def _worst_edge(record: SweepRecord) -> str:
    """Where trials without a score are marked: at the edge of the worst scores (the top when lower is
    better), never among the best."""
    return "top" if record.goal == "minimize" else "bottom"


def _unscored_marks(ax, record: SweepRecord, trials: list[Trial], xs: list[float], y: float) -> None:
    """Trials without a score as marks at height `y` (the band past the worst scores: see `_score_axis`), one
    legend entry per state with its count."""
    by_state: dict[str, list[float]] = {}
    for trial, x in zip(trials, xs):
        by_state.setdefault(trial.state, []).append(x)
    for state, positions in by_state.items():
        marker, colour, words = _unscored_look(state)
        ax.scatter(
            positions,
            [y] * len(positions),
            marker=marker,
            s=45,
            color=colour,
            zorder=3,
            label=f"{words} ({len(positions)}): no score",
        )


# --- params.png ---


def short_label(value: Any, chars: int = LABEL_CHARS) -> str:
    """A categorical value as a short axis label: a layer list as its units ('16-drop0.2-8-1'), a mapping as
    'k=v, ...', a number as written, longer text cut with '…'."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        parts = []
        for layer in value:
            if "units" in layer:
                parts.append(f"{layer['units']}")
            elif "rate" in layer:
                parts.append(f"drop{layer['rate']:g}" if isinstance(layer["rate"], (int, float)) else "drop")
            elif "filters" in layer:
                parts.append(f"c{layer['filters']}")
            else:
                parts.append(str(layer.get("type", "?"))[:4].lower())
        text = "-".join(parts)
    elif isinstance(value, dict):
        text = ", ".join(f"{k}={short_label(v, chars)}" for k, v in value.items())
    elif isinstance(value, bool) or value is None:
        text = json.dumps(value)
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, (int, str)):
        text = str(value)
    else:
        text = json.dumps(value, separators=(",", ":"))
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _labels(values: list[Any]) -> list[str]:
    """Short labels, distinct: two values cut to the same text are told apart by a number."""
    labels = [short_label(v) for v in values]
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):
        if labels.count(label) > 1:
            seen[label] = seen.get(label, 0) + 1
            labels[i] = f"{label[: LABEL_CHARS - 3]} #{seen[label]}"
    return labels


def _is_layer_list(values: list[Any]) -> bool:
    return any(isinstance(v, list) and v and all(isinstance(x, dict) and "type" in x for x in v) for v in values)


class _Axis:
    """Where a parameter's values go on an axis: numbers as they are (log10 for a log distribution), values
    of a choice at 0, 1, 2, ... in the sweep file's order."""

    def __init__(self, record: SweepRecord, path: str):
        self.path = path
        self.kind = record.distribution(path)
        self.log = self.kind in LOG_DISTRIBUTIONS
        self.choices = record.choices(path) if self.kind == "values" else []
        self.labels = _labels(self.choices)
        spec = (record.sweep.get("parameters") or {}).get(path)
        numbers = [t.params[path] for t in record.trials if _number(t.params.get(path))]
        bounds = [spec.get("min"), spec.get("max")] if isinstance(spec, dict) else []
        bounds = [b for b in bounds if _number(b)] or numbers
        if self.log:
            bounds = [b for b in bounds if b > 0]
        self.low, self.high = (min(bounds), max(bounds)) if bounds else (0.0, 1.0)

    @property
    def categorical(self) -> bool:
        return self.kind == "values"

    def position(self, value: Any) -> float | None:
        """Where `value` lies on the axis (data units; categorical: its index), None when it cannot be placed."""
        if self.categorical:
            from nnrun.runs.sweep_record import _same

            return next((float(i) for i, c in enumerate(self.choices) if _same(c, value)), None)
        if not _number(value) or (self.log and value <= 0):
            return None
        return float(value)

    def fraction(self, value: Any) -> float | None:
        """The value's place between the axis's ends, 0 to 1 (parallel coordinates)."""
        position = self.position(value)
        if position is None:
            return None
        if self.categorical:
            return 0.5 if len(self.choices) < 2 else position / (len(self.choices) - 1)
        low, high = self.low, self.high
        if self.log:
            position, low, high = math.log10(position), math.log10(low), math.log10(high)
        return 0.5 if high == low else (position - low) / (high - low)

    def title(self) -> str:
        what = {
            "log_uniform": "log scale",
            "int_log_uniform": "log scale",
            "uniform": "uniform",
            "int_uniform": "integers",
            "values": "choices",
        }.get(self.kind, self.kind)
        if self.categorical and _is_layer_list(self.choices):
            what = "units per layer"
        return f"{self.path} ({what})"


def _jitter(number: int) -> float:
    """A small sideways shift, the same for a trial in every picture: trials of one choice do not hide each other."""
    return ((number * 0.6180339887) % 1.0 - 0.5) * 0.36


def params_figure(record: SweepRecord):
    """One panel per parameter, the score against its value: completed trials as dots (a black bar at the
    median of each choice's), pruned ones as open circles, trials without a score as marks past the worst, the
    best trial as a star. Panels share the score axis."""
    import statistics

    from matplotlib.ticker import FuncFormatter

    paths = _searched_paths(record)
    completed, pruned, rest = _scored(record)
    n = max(len(paths), 1)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig = _figure(figsize=(3.7 * ncols + 0.8, 2.9 * nrows + 1.5))
    grid = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    axes = [ax for row in grid for ax in row]
    scores = [t.score for t in completed + pruned]
    best = record.best
    for i, ax in enumerate(axes):
        if i >= len(paths):
            ax.set_visible(False)
            continue
        axis = _Axis(record, paths[i])
        mark = _score_axis(ax, record, scores, band=bool(rest), label=i % ncols == 0)
        # sideways only among named choices: on an axis of numbers (8, 12, 16) a shifted point reads as a value
        # never tried
        shift = _jitter if axis.categorical and not all(map(_number, axis.choices)) else (lambda _: 0.0)

        def placed(trials: list[Trial], axis=axis, shift=shift) -> tuple[list[float], list[Any]]:
            points = [(axis.position(t.params.get(axis.path)), t) for t in trials]
            return ([p + shift(t.number) for p, t in points if p is not None], [t for p, t in points if p is not None])

        xs, shown = placed(completed)
        ax.scatter(
            xs,
            [t.score for t in shown],
            s=22,
            color=COMPLETED,
            alpha=0.85,
            zorder=3,
            label=f"completed ({len(completed)})" if completed else "_",
        )
        if pruned:
            xs, shown = placed(pruned)
            ax.scatter(
                xs,
                [t.score for t in shown],
                s=26,
                facecolors="none",
                edgecolors="gray",
                zorder=3,
                label=f"pruned ({len(pruned)}): its value when stopped",
            )
        xs, shown = placed(rest)
        _unscored_marks(ax, record, shown, xs, mark)
        if best is not None and best.score is not None and axis.position(best.params.get(axis.path)) is not None:
            x = axis.position(best.params.get(axis.path)) + shift(best.number)
            ax.scatter(
                [x],
                [best.score],
                s=180,
                marker="*",
                color=BEST,
                edgecolors="black",
                linewidths=0.8,
                zorder=4,
                label=f"best: trial {best.number}",
            )
        if axis.categorical:
            for j, _choice in enumerate(axis.choices):
                mine = [t.score for t in completed if axis.position(t.params.get(axis.path)) == j]
                if len(mine) >= 3:  # of fewer, the points say it
                    median = statistics.median(mine)
                    ax.plot(
                        [j - 0.3, j + 0.3],
                        [median, median],
                        color="black",
                        linewidth=1.6,
                        zorder=4,
                        label="median of a choice's completed trials",
                    )
            ax.set_xticks(range(len(axis.choices)), axis.labels)
            ax.set_xlim(-0.6, len(axis.choices) - 0.4)
            if max((len(label) for label in axis.labels), default=0) * len(axis.labels) > 30:
                ax.tick_params(axis="x", labelrotation=25)
                for label in ax.get_xticklabels():
                    label.set_horizontalalignment("right")
        else:
            if axis.log:
                ax.set_xscale("log")
                plain = FuncFormatter(lambda value, _: f"{value:g}")
                ax.xaxis.set_major_formatter(plain)
                ax.xaxis.set_minor_formatter(FuncFormatter(lambda value, _: ""))
            low, high = axis.low, axis.high
            if high > low:  # the whole range searched, a little beyond
                if axis.log:
                    pad = (high / low) ** 0.04
                    ax.set_xlim(low / pad, high * pad)
                else:
                    pad = 0.04 * (high - low)
                    ax.set_xlim(low - pad, high + pad)
        ax.set_title(axis.title(), fontsize="small")
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize="small")
    if not paths:
        axes[0].set_visible(True)
        axes[0].text(0.5, 0.5, "this sweep has no parameters", ha="center", va="center", color="gray")
    fig.suptitle(
        title(record, f"{record.metric} against each parameter", int(11.5 * (3.7 * ncols + 0.8))), fontsize="medium"
    )
    _legend(fig, ncols=3)
    return fig


# --- parallel.png ---


def parallel_figure(record: SweepRecord):
    """Parallel coordinates: an axis per parameter, then the score; each trial a line through its values,
    coloured by its score (better: darker), the best trial in red over the rest; pruned trials grey dashed,
    trials without a score grey dotted, ending in their mark below the score axis."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.lines import Line2D

    paths = _searched_paths(record)
    axes = [_Axis(record, p) for p in paths]
    completed, pruned, rest = _scored(record)
    scores = [t.score for t in completed + pruned]
    log = spans_decades(scores)
    low, high = (min(scores), max(scores)) if scores else (0.0, 1.0)
    if high == low:
        low, high = (low * 0.9, low * 1.1) if low > 0 else (low - 0.5, high + 0.5)
    norm = (LogNorm if log else Normalize)(vmin=low, vmax=high)
    # Better scores dark, worse ones light: the good trials stand out, the poor ones fade towards the paper.
    cmap = colormaps["viridis" if record.goal == "minimize" else "viridis_r"]

    def score_fraction(score: float) -> float:
        if log:
            return (math.log10(score) - math.log10(low)) / (math.log10(high) - math.log10(low))
        return (score - low) / (high - low)

    fig = _figure(figsize=(max(7.0, 1.9 * (len(paths) + 1) + 2.5), 5.4))
    ax = fig.subplots()
    last = len(paths)

    def ys(trial: Trial) -> list[float]:
        return [float("nan") if (f := a.fraction(trial.params.get(a.path))) is None else f for a in axes]

    def goodness(trial: Trial) -> float:
        return -trial.score if record.goal == "minimize" else trial.score

    # Trials without a score end past the worst end of the score axis, at a tick of its own ("no score"); the
    # axes' names go above that when it is at the top.
    off = 1.07 if _worst_edge(record) == "top" else -0.07
    names = 1.13 if rest and off > 1 else 1.03
    for trial in rest:
        marker, colour, _ = _unscored_look(trial.state)
        ax.plot(range(last + 1), [*ys(trial), off], color="gray", linestyle=":", linewidth=1.0, zorder=1)
        ax.scatter([last], [off], marker=marker, color=colour, s=40, zorder=2, clip_on=False)
    for trial in pruned:
        ax.plot(
            range(last + 1),
            [*ys(trial), score_fraction(trial.score)],
            color="gray",
            linestyle="--",
            linewidth=1.0,
            alpha=0.7,
            zorder=1,
        )
    # Many trials: thinner, fainter lines, so that where they crowd still reads as more of them.
    thin = min(1.0, math.sqrt(30 / max(len(completed), 1)))
    for rank, trial in enumerate(sorted(completed, key=goodness)):  # the better drawn later, over the worse
        ax.plot(
            range(last + 1),
            [*ys(trial), score_fraction(trial.score)],
            color=cmap(norm(trial.score)),
            linewidth=max(0.5, 1.4 * thin),
            alpha=max(0.3, 0.9 * thin),
            zorder=3 + rank / max(len(completed), 1),
        )
    best = record.best
    if best is not None and best.score is not None:
        ax.plot(
            range(last + 1),
            [*ys(best), score_fraction(best.score)],
            color=BEST_LINE,
            linewidth=3.2,
            zorder=5,
            solid_capstyle="round",
        )
    for i, axis in enumerate(axes):
        _draw_axis(ax, i, axis, names)
    _draw_score_axis(ax, last, record, low, high, log, bool(scores), names, off if rest else None)
    ax.set_xlim(-0.45, last + 0.35)
    ax.set_ylim(-0.12, names + 0.09)
    ax.set_axis_off()
    example = cmap(norm(best.score)) if best is not None and best.score is not None else cmap(0.5)
    handles = [Line2D([], [], color=example, linewidth=1.4, label=f"completed trial ({len(completed)})")][
        : len(completed)
    ]
    if best is not None and best.score is not None:
        handles.append(
            Line2D(
                [], [], color=BEST_LINE, linewidth=3.2, label=f"best: trial {best.number}, {_score_text(best.score)}"
            )
        )
    if pruned:
        handles.append(
            Line2D([], [], color="gray", linestyle="--", label=f"pruned ({len(pruned)}): value when stopped")
        )
    states = {}
    for trial in rest:
        states[trial.state] = states.get(trial.state, 0) + 1
    for state, count in states.items():
        marker, colour, words = _unscored_look(state)
        handles.append(
            Line2D(
                [],
                [],
                color="gray",
                linestyle=":",
                marker=marker,
                markerfacecolor=colour,
                markeredgecolor=colour,
                label=f"{words} ({count}): no score",
            )
        )
    fig.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)), fontsize="small", frameon=False)
    if scores:
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.01, fraction=0.04)
        bar.set_label(f"{record.metric} ({_better(record)}; darker is better)", fontsize="small")
        bar.set_ticks(_tick_values(low, high, log), labels=[_tick_text(v) for v in _tick_values(low, high, log)])
        bar.minorticks_off()
        bar.ax.tick_params(labelsize="small")
    ax.set_title(
        title(
            record,
            f"parallel coordinates: each trial's parameters, then its {record.metric}",
            int(10 * fig.get_figwidth()),
        ),
        fontsize="medium",
    )
    return fig


def _tick_values(low: float, high: float, log: bool) -> list[float]:
    """The axis's two ends, and round values between them (1, 2, 5 times a power of ten on a log axis) not
    too close to an end to be read apart."""
    if high <= low:
        return [low]
    from matplotlib.ticker import LogLocator, MaxNLocator

    inner = (LogLocator(subs=(1.0, 2.0, 5.0)) if log else MaxNLocator(5)).tick_values(low, high)

    def at(v: float) -> float:
        return (
            (math.log10(v) - math.log10(low)) / (math.log10(high) - math.log10(low))
            if log
            else (v - low) / (high - low)
        )

    inner = [float(v) for v in inner if 0.08 <= at(v) <= 0.92]
    if len(inner) > 4:
        inner = inner[::2]
    return [low, *inner, high]


def _tick_text(value: float) -> str:
    return f"{value:.3g}"


def _axis_name(text: str) -> str:
    """optimizer.learning_rate -> 'optimizer.\\nlearning_rate': axis names stay as narrow as their axes."""
    head, dot, tail = text.rpartition(".")
    return f"{head}.\n{tail}" if dot and len(text) > 14 else text


def _draw_axis(ax, x: int, axis: _Axis, names: float) -> None:
    """A vertical axis at x with its values written on its left, its name above it."""
    ax.plot([x, x], [0, 1], color="black", linewidth=0.9, zorder=6)
    box = {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.5}
    if axis.categorical:
        ticks = [(axis.fraction(c), label) for c, label in zip(axis.choices, axis.labels)]
    else:
        values = _tick_values(axis.low, axis.high, axis.log)
        if axis.kind.startswith("int") and axis.high - axis.low >= 4:
            values = sorted({round(v) for v in values})
        ticks = [(axis.fraction(v), _tick_text(v)) for v in values]
    for y, label in ticks:
        if y is None:
            continue
        ax.plot([x - 0.025, x], [y, y], color="black", linewidth=0.9, zorder=6)
        ax.text(x - 0.04, y, label, ha="right", va="center", fontsize="x-small", zorder=7, bbox=box)
    scale = " (log)" if axis.log else ""
    ax.text(x, names, _axis_name(axis.path) + scale, ha="center", va="bottom", fontsize="small")


def _draw_score_axis(
    ax,
    x: int,
    record: SweepRecord,
    low: float,
    high: float,
    log: bool,
    scored: bool,
    names: float,
    unscored: float | None,
) -> None:
    ax.plot([x, x], [0, 1], color="black", linewidth=1.4, zorder=6)
    box = {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.5}
    if scored:
        for value in _tick_values(low, high, log):
            y = (
                (math.log10(value) - math.log10(low)) / (math.log10(high) - math.log10(low))
                if log
                else (value - low) / (high - low)
            )
            ax.plot([x, x + 0.025], [y, y], color="black", linewidth=0.9, zorder=6)
            ax.text(x + 0.04, y, _tick_text(value), ha="left", va="center", fontsize="x-small", zorder=7, bbox=box)
    if unscored is not None:
        ax.text(x + 0.06, unscored, "no score", ha="left", va="center", fontsize="x-small", zorder=7, bbox=box)
    ax.text(
        x, names, f"{record.metric}\n({_better(record)})", ha="center", va="bottom", fontsize="small", fontweight="bold"
    )


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
