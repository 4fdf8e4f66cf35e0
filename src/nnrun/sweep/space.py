"""The search space of a sweep: its checks against the base config, the grid, Optuna's distributions, and the
`--set` texts a trial runs with.

A trial's parameters are {key path: value} in the sweep file's order, the values as the config takes them
(16, 'adam', [{type: Dense, units: 30}, ...]). Optuna sees the same parameters through `encode`/`decode`:
ranges as its Float/IntDistribution, choices as the one-line YAML text of each value (a choice can be a whole
subtree, which Optuna's categorical choices cannot hold).
"""

from __future__ import annotations

import itertools
import math
import os
import re
from typing import TYPE_CHECKING, Any

import yaml

from nnrun.config.overrides import parse_key, show_key
from nnrun.config.schema import Spec
from nnrun.config.yamlfile import Loader, show_value
from nnrun.errors import ConfigError, did_you_mean, keypath
from nnrun.runs.folder import higher_is_better
from nnrun.sweep.file import MetricSpec, Parameter, SweepFile, flow

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution

Space = dict[str, Parameter]

# Keras's default names of the metric classes whose name is not their class name in snake case.
_KERAS_METRIC_NAMES = {"FBetaScore": "fbeta_score", "LogCoshError": "logcosh"}


def reported_metrics(spec: Spec) -> list[str]:
    """The values a run of `spec` reports each epoch, as history.csv and metrics.json name them: loss, then each
    metric as Keras names it — a metric given by name keeps that name (mae, accuracy, RootMeanSquaredError);
    one given with arguments ({name: auc, num_thresholds: 50}) is named after its class (auc)."""
    names = ["loss"]
    for value in spec.metrics:
        if isinstance(value, str):
            names.append(value)
        elif "name" in value and len(value) == 1:
            names.append(value["name"])
        elif "name" in value:
            names.append(_class_default_name(value["name"]))
        else:  # Keras's own {class_name: ..., config: {...}}
            config = value.get("config") if isinstance(value.get("config"), dict) else {}
            names.append(config.get("name") or _snake(str(value.get("class_name", ""))))
    return names


def _class_default_name(name: str) -> str:
    from nnrun.config.keras_names import catalog

    cat = catalog()
    cls = (cat["metrics"]["names"].get(name) if cat else None) or name
    return _KERAS_METRIC_NAMES.get(cls) or _snake(cls)


def _snake(name: str) -> str:
    """Keras's to_snake_case: RootMeanSquaredError -> root_mean_squared_error, AUC -> auc."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# --- the checks ---


def validate(sweep: SweepFile, base: Spec) -> None:
    """Check the sweep against its base config and fill the defaults that depend on it (metric val_loss, goal
    from the metric's direction, grid trials = the grid's size, seed = the base config's, parallel = the CPU
    count at most trials). Every value of every parameter is tried on the base config (each choice; min and
    max of a range), the parameters before it at their first value, as a trial would apply them.

    Raises ConfigError, one line, located in the sweep file: an unknown key path (did-you-mean against the base
    config's keys), grid over a range, a metric the base config does not report, test_* as the metric, trials
    above the grid's size, a train score without validation rows, a kfold score without kfold, min_epochs
    beyond the base config's epochs, a value that makes the base config invalid."""
    _check_metric(sweep, base)
    if sweep.score == "kfold" and base.kfold is None:
        raise sweep.error(
            ("score",),
            f"got kfold, but {sweep.config_path.name} has no kfold: add `kfold: 3` (the "
            "number of folds) to it, or use score: train",
        )
    if sweep.method == "grid":
        ranged = [path for path, p in sweep.parameters.items() if p.values is None]
        if ranged:
            p = sweep.parameters[ranged[0]]
            raise sweep.error(
                ("parameters", ranged[0]),
                f"got distribution {p.distribution}; method grid needs "
                "values: [...] for every parameter (nnrun runs each combination): give values, or use "
                "method: random or tpe",
            )
        size = grid_size(sweep.parameters)
        if sweep.trials is None:
            sweep.trials = size
        elif sweep.trials > size:
            sizes = " × ".join(str(len(p.values or ())) for p in sweep.parameters.values())
            raise sweep.error(
                ("trials",),
                f"got {sweep.trials}; the grid has {size} points ({sizes}), so at most "
                f"{size}: leave trials out to run them all",
            )
    elif sweep.trials is None:
        raise sweep.error(("trials",), f"required key is missing for method {sweep.method} (e.g. trials: 20)")
    et = sweep.early_terminate
    if et is not None and et.min_epochs >= base.epochs:
        raise sweep.error(
            ("early_terminate", "min_epochs"),
            f"got {et.min_epochs}; the base config trains "
            f"{base.epochs} epochs, so no trial would ever be stopped: give less than {base.epochs}",
        )
    _check_values(sweep, base)
    if sweep.seed is None:
        sweep.seed = base.seed
    sweep.parallel = min(sweep.parallel or os.cpu_count() or 1, sweep.trials)


def _check_metric(sweep: SweepFile, base: Spec) -> None:
    if sweep.metric is None:
        sweep.metric = MetricSpec(name="val_loss")
    name, loc = sweep.metric.name, ("metric", "name")
    reported = reported_metrics(base)
    valid = [f"val_{m}" for m in reported]
    if name.startswith("test_"):
        fix = f"val_{name.removeprefix('test_')}"
        raise sweep.error(
            loc,
            f"got {show_value(name)}; it would select on the test rows, which must stay unseen "
            f"until the chosen model is scored: use {fix if fix in valid else 'val_loss'} (validation "
            "rows)",
        )
    if name in reported:
        raise sweep.error(
            loc,
            f"got {show_value(name)}, a value on the training rows, which rewards overfitting: "
            f"use val_{name} (validation rows)",
        )
    if name not in valid:
        raise sweep.error(
            loc,
            f"got {show_value(name)}, which the base config does not report"
            f"{did_you_mean(name, valid)}; valid: {', '.join(valid)}",
        )
    searched = [path for path in sweep.parameters if parse_key(path)[0] == "loss"]
    if name == "val_loss" and searched:
        raise sweep.error(
            loc,
            f"got val_loss, but {searched[0]} is searched: each trial's val_loss would be its own "
            "loss function's value, and values of different losses cannot be compared; use a metric "
            f"every trial reports{(': ' + ', '.join(v for v in valid if v != 'val_loss')) if len(valid) > 1 else ' (add one to the base config, e.g. metrics: [mae])'}",
        )
    if sweep.metric.goal is None:
        sweep.metric.goal = "maximize" if higher_is_better(name) else "minimize"


def _check_values(sweep: SweepFile, base: Spec) -> None:
    """Each candidate of each parameter on the base config (see validate), and the validation rows a train
    score needs: refused at the parameter that removes them, else at score."""
    from nnrun import api

    candidates = {path: p.candidates() for path, p in sweep.parameters.items()}
    firsts = {path: (f"{path}={flow(c[0][2])}", f"sweep parameter {path}") for path, c in candidates.items()}
    paths = list(candidates)
    first = base  # with every parameter so far at its first value
    for k, path in enumerate(paths):
        # The earlier parameters at their first values, as one trial has them; and each other value of an
        # earlier parameter of the same key (`layers`, for layers[:-1].units): what a trial of that depth sets.
        contexts = [("", [firsts[q] for q in paths[:k]])]
        for q in paths[:k]:
            if parse_key(q)[0] == parse_key(path)[0]:
                contexts += [
                    (
                        f" with {q} at {keypath(at)}",
                        [(f"{q}={flow(v)}", firsts[q][1]) if r == q else firsts[r] for r in paths[:k]],
                    )
                    for _, at, v in candidates[q][1:]
                ]
        for i, (what, under, value) in enumerate(candidates[path]):
            text = f"{path}={flow(value)}"
            label = "sweep candidate"  # taken off again: the message is located in the sweep file instead
            for context, before in contexts:
                try:
                    spec = api.check(sweep.config_path, [*before, (text, label)])
                except ConfigError as e:
                    raise _value_problem(sweep, path, what + context, under, str(e), text, label) from None
                if sweep.metric.name.removeprefix("val_") not in reported_metrics(spec):
                    raise sweep.error(
                        ("parameters", path, *under),
                        f"got {show_value(value)}, which leaves the config without "
                        f"{sweep.metric.name}, the sweep's metric, so that trial could not be scored: "
                        f"keep it among the config's metrics in every value",
                    )
                if sweep.score == "train" and not spec.dataset.validation and parse_key(path)[0] == "dataset":
                    raise sweep.error(
                        ("parameters", path, *under),
                        f"{what} leaves no validation rows, which "
                        "score: train scores each trial on: keep dataset.validation above 0, or use "
                        "score: kfold",
                    )
                first = spec if i == 0 and not context else first
    if sweep.score == "train" and not first.dataset.validation:
        raise sweep.error(
            ("score",),
            f"got train, which scores each trial on its validation rows, but "
            f"{sweep.config_path.name} has none: set dataset.validation in it (e.g. 0.2), or search "
            "with score: kfold",
        )


def _value_problem(
    sweep: SweepFile, path: str, what: str, under: tuple, message: str, text: str, label: str
) -> ConfigError:
    """The config's own message, located at the parameter: 'parameters.P: min 0 makes the config invalid:
    layers[0].units: got 0; ...', or for a key path the base config does not have, 'parameters.P: <why>'."""
    inner = message.removeprefix(f"{label}: ")
    about_path = False
    if inner.startswith(f"--set {text}: "):  # the path itself: an index or key that does not exist
        inner, about_path = inner.removeprefix(f"--set {text}: "), True
    elif message.startswith(f"{label}: "):
        key, _, problem = inner.partition(": ")
        if _in(key, parse_key(path)) and re.search(r"unknown key|takes no argument|not a mapping", problem):
            about_path = True
            if key == show_key(parse_key(path)):
                inner = problem
    loc = ("parameters", path)
    if about_path:
        return ConfigError(f"{sweep.where(loc)}{keypath(loc)}: {inner}")
    return ConfigError(f"{sweep.where((*loc, *under))}{keypath(loc)}: {what} makes the config invalid: {inner}")


def _in(key: str, path: tuple) -> bool:
    """Whether config key `key` (as keypath writes it: layers[0].unit) is one the parameter's `path`
    (layers[:-1].unit) sets, or a key above it."""
    try:
        parts = parse_key(key)
    except ConfigError:
        return False
    if len(parts) > len(path):
        return False
    return all(p == q or isinstance(q, slice) and isinstance(p, int) for p, q in zip(parts, path))


# --- the grid and Optuna ---


def grid_size(space: Space) -> int:
    """The number of combinations of every parameter's values."""
    return math.prod(len(p.values or ()) for p in space.values())


def grid(space: Space) -> list[dict[str, Any]]:
    """Every combination of the parameters' values, in the file's order (the last parameter varies fastest).
    Raises ValueError for a range (validate refuses grid over one first)."""
    if any(p.values is None for p in space.values()):
        raise ValueError("grid: every parameter needs values")
    paths = list(space)
    return [dict(zip(paths, combo)) for combo in itertools.product(*(space[p].values for p in paths))]


def distributions(space: Space) -> dict[str, BaseDistribution]:
    """Optuna's distribution of each parameter, in the file's order: Float/IntDistribution for a range (log for
    log_uniform, step when given), CategoricalDistribution over each choice's YAML text for values."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out: dict[str, BaseDistribution] = {}
    for path, p in space.items():
        if p.values is not None:
            out[path] = CategoricalDistribution([flow(v) for v in p.values])
        elif p.kind.startswith("int_"):
            out[path] = IntDistribution(int(p.min), int(p.max), log=p.kind == "int_log_uniform", step=int(p.step or 1))
        else:
            out[path] = FloatDistribution(
                float(p.min), float(p.max), log=p.kind == "log_uniform", step=None if p.step is None else float(p.step)
            )
    return out


def encode(space: Space, params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as Optuna holds them (for study.enqueue_trial): choices as their YAML text."""
    return {path: flow(value) if space[path].values is not None else value for path, value in params.items()}


def decode(space: Space, optuna_params: dict[str, Any]) -> dict[str, Any]:
    """Optuna's params of a trial as the config takes them, in the file's order."""
    return {
        path: yaml.load(optuna_params[path], Loader=Loader) if p.values is not None else optuna_params[path]
        for path, p in space.items()
        if path in optuna_params
    }


def overrides(params: dict[str, Any], seed: int | None = None) -> list[tuple[str, str]]:
    """The `--set` texts of a trial, with how to name each in an error, for nnrun.api (overrides=...):
    [("seed=42", "sweep seed 42"), ("layers=[{type: Dense, units: 30}, ...]", "sweep parameter layers"), ...].
    `seed` (the sweep's) comes first; the parameters follow in the order given (grid and decode give the
    file's), so `layers` is set before `layers[:-1].units`."""
    out = [] if seed is None else [(f"seed={seed}", f"sweep seed {seed}")]
    return out + [(f"{path}={flow(value)}", f"sweep parameter {path}") for path, value in params.items()]
