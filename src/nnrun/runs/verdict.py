"""Whether a finished run learned anything: its scores against the baseline nnrun computes (metrics.json
`baseline`: what a model that ignores the features scores), as at most one warning per run, with the figures
and the likely fixes. Standard library only: it reads metrics.json-shaped dicts.

What decides a split: the metrics the baseline also scores (accuracy and its variants, mae, mse), else the
loss. A classifier overfitting its training rows can have a held-out cross-entropy above the baseline's while
its accuracy is clearly better; its accuracy is what the user reads, so the loss is judged only when no such
metric is tracked. A model that closes less than BARELY of the gap between the baseline and a perfect score
(accuracy 1, error 0) does not beat the baseline in any sense a user relies on, and is flagged as well.
Independently, a loss HUGE times the baseline's or more is flagged: the model is far off.

The evaluated splits (test, validation) are judged; the training rows too, since a model no better than the
baseline even on the rows it trained on has learned nothing at all, and that calls for other fixes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nnrun.runs.folder import direction

HUGE = 100  # a loss this many times the baseline's is "orders of magnitude" above it (a diverging fit)
BARELY = 0.05  # a score that closes less than this share of the gap to a perfect score barely beats the baseline
_SAME = 1e-6  # relative tolerance: Keras reports float32 scores, the baseline is computed in float64
# The names Keras reports a metric under (the config's own spelling for a name: `Accuracy`, `MAE`,
# `MeanAbsoluteError`), folded to lower case without underscores, that the baseline scores under its own name.
_ALIASES = {"mae": "mae", "meanabsoluteerror": "mae", "mse": "mse", "meansquarederror": "mse",
            "accuracy": "accuracy", "acc": "accuracy", "binaryaccuracy": "accuracy",
            "categoricalaccuracy": "accuracy", "sparsecategoricalaccuracy": "accuracy"}
_ORDER = ("test", "validation", "train")


@dataclass
class Hints:
    """What the fixes depend on: the largest training feature value when the features were not scaled (None
    when they were, or when they are small or word indices), the epochs run, whether early stopping ended the run."""

    unscaled_max: float | None = None
    epochs_run: int = 0
    stopped_early: bool = False


@dataclass
class _Split:
    pairs: list[tuple[str, float, float, bool]]  # (metric, model, baseline, higher is better) that decide this split
    huge: tuple[float, float] | None  # (loss, baseline loss) when the loss is HUGE times the baseline's

    @property
    def worse(self) -> list[tuple[str, float, float, bool]]:
        """The figures no better than the baseline's."""
        return [p for p in self.pairs if _no_better(*p)]

    @property
    def weak(self) -> list[tuple[str, float, float, bool]]:
        """The figures that close less than BARELY of the gap between the baseline and a perfect score."""
        return [p for p in self.pairs if _no_better(*p) or _gain(*p) < BARELY]

    @property
    def flagged(self) -> bool:
        return bool(self.weak) or self.huge is not None


def baseline_warning(scores: dict[str, Any], baseline: dict[str, Any], hints: Hints,
                     labels: dict[str, str] | None = None, run_metrics: dict[str, Any] | None = None) -> str | None:
    """One line (without the `warning:` prefix) when the model does not clearly beat the baseline where it is
    judged, or its loss is HUGE times the baseline's or more; None when it does beat it.

    The evaluated splits (test, validation) are judged when the run has them, else the training rows: on each,
    a figure no better than the baseline's, or better by less than BARELY of the gap to a perfect score, flags
    it. The training rows flag a run that has evaluated splits only when they are no better at all (nothing was
    learned); otherwise they choose the fixes: a model that beats the baseline on its training rows only is
    memorising them, one that barely beats it there learned next to nothing.

    `scores` and `baseline` map a split (train, validation, test) to {metric: value}, as in metrics.json;
    `labels` names the splits in the message (a k-fold run's "mean validation"); `run_metrics`, the run's
    metrics.json, says which way each metric is better (its `directions`: runs.folder.direction)."""
    names = {s: s for s in _ORDER} | (labels or {})
    judged = {s: _judge(scores[s], baseline[s], run_metrics or {}) for s in _ORDER
              if isinstance(scores.get(s), dict) and isinstance(baseline.get(s), dict)}
    judged = {s: j for s, j in judged.items() if j.pairs or j.huge}
    train = judged.get("train")
    flagged = [s for s, j in judged.items() if s != "train" and j.flagged]
    if train is not None and (train.worse or train.huge or (train.weak and (flagged or len(judged) == 1))):
        flagged.append("train")
    if not flagged:
        return None
    if any(judged[s].huge for s in flagged):
        shown = [s for s in flagged if s != "train"] or flagged  # the held-out figures say it; train adds length
        figures = "; ".join(_figures(names[s], judged[s]) for s in shown)
        return f"the loss is orders of magnitude above the baseline's: {figures}; {_huge_fix(hints)}"
    figures = _led(flagged, judged, names)
    if "train" in flagged:
        where = "" if flagged == ["train"] else ", even on the rows it trained on"
        return f"{figures}; it learned next to nothing{where}; {_underfit_fix(hints)}"
    contrast = f" ({_figures(names['train'], train, everything=True)})" if train is not None else ""
    return (f"{figures}{contrast}; it beats the baseline only on the rows it trained on: try early_stopping "
            "or fewer epochs, Dropout layers or a smaller model; the features may also say little about this target")


def _led(flagged: list[str], judged: dict[str, _Split], names: dict[str, str]) -> str:
    """The weak figures of the flagged splits, in order, each run of them led by the phrase true of every figure
    in it: 'barely better than the baseline: test mae 7.6136 vs baseline 7.7387; no better than the baseline:
    train mae ...'. A split's figures are joined by ', ', the splits by '; '."""
    runs: list[tuple[str, list[tuple[str, str]]]] = []
    for s in flagged:
        for pair in judged[s].weak:
            lead = "no better than the baseline" if _no_better(*pair) else "barely better than the baseline"
            figure = (s, _figures(names[s], _Split([pair], None)))
            if runs and runs[-1][0] == lead:
                runs[-1][1].append(figure)
            else:
                runs.append((lead, [figure]))

    def joined(figures: list[tuple[str, str]]) -> str:
        return "".join(("" if i == 0 else ", " if s == figures[i - 1][0] else "; ") + text
                       for i, (s, text) in enumerate(figures))

    return "; ".join(f"{lead}: {joined(figures)}" for lead, figures in runs)


def _judge(scores: dict[str, Any], base: dict[str, Any], run_metrics: dict[str, Any]) -> _Split:
    pairs = []
    for name, value in scores.items():
        key = baseline_name(name)
        if key is not None and _finite(value) and _finite(base.get(key)):
            pairs.append((name, float(value), float(base[key]), direction(run_metrics, name) == "max"))
    loss, ref = scores.get("loss"), base.get("loss")
    comparable = _finite(loss) and _finite(ref)
    if not pairs and comparable:
        pairs.append(("loss", float(loss), float(ref), direction(run_metrics, "loss") == "max"))
    huge = (float(loss), float(ref)) if comparable and ref > 0 and loss >= HUGE * ref else None
    return _Split(pairs, huge)


def baseline_name(metric: str) -> str | None:
    """The name the baseline scores a reported metric under (`Accuracy`, `acc`, `binary_accuracy` -> accuracy;
    `MAE`, `MeanAbsoluteError` -> mae), or None when the baseline has no such score."""
    return _ALIASES.get(metric.lower().replace("_", ""))


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _no_better(name: str, model: float, ref: float, higher: bool) -> bool:
    slack = _SAME * max(1.0, abs(ref))
    return model <= ref + slack if higher else model >= ref - slack


def _gain(name: str, model: float, ref: float, higher: bool) -> float:
    """The share of the gap between the baseline and a perfect score (1 for higher-better, 0 otherwise) closed."""
    if higher:
        return (model - ref) / (1 - ref) if ref < 1 else 0.0
    return (ref - model) / ref if ref > 0 else 0.0


def _figures(label: str, split: _Split, everything: bool = False) -> str:
    """'test accuracy 0.7800 vs baseline 0.8000', 'test loss 5.9e+32 vs baseline 84.5800 (7.0e+30 times)':
    the figures no better than the baseline (every figure with `everything`), and a HUGE loss."""
    listed = split.pairs if everything else split.weak
    parts = [f"{label} {name} {_num(model)} vs baseline {_num(ref)}" for name, model, ref, _ in listed]
    if split.huge:
        loss, ref = split.huge
        ratio = loss / ref
        times = f" ({ratio:,.0f} times)" if ratio < 1e6 else f" ({ratio:.1e} times)"
        at = next((i for i, (name, *_) in enumerate(listed) if name == "loss"), None)
        if at is None:
            parts.append(f"{label} loss {_num(loss)} vs baseline {_num(ref)}{times}")
        else:
            parts[at] += times
    return ", ".join(parts)


def _num(value: float) -> str:
    return f"{value:.4f}" if 1e-3 <= abs(value) < 1e5 or value == 0 else f"{value:.4g}"


def _scale_hint(hints: Hints) -> str | None:
    if hints.unscaled_max is None:
        return None
    return f"dataset.scale: standard (the features are not scaled; values reach {hints.unscaled_max:,.4g})"


def _huge_fix(hints: Hints) -> str:
    scale = _scale_hint(hints)
    if scale:
        return f"try {scale}, or a lower optimizer.learning_rate"
    return "try a lower optimizer.learning_rate"


def _underfit_fix(hints: Hints) -> str:
    tries = [t for t in (_scale_hint(hints),) if t]
    if hints.stopped_early:
        tries.append(f"a larger early_stopping.patience (it stopped at epoch {hints.epochs_run})")
    else:
        tries.append(f"more epochs (it ran {hints.epochs_run})")
    tries += ["another optimizer.learning_rate", "a larger model"]
    listed = ", ".join(tries[:-1]) + f" or {tries[-1]}"
    return f"try {listed}; the features may also say little about this target"
