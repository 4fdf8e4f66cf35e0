"""Keras's names as data: every layer, activation, initializer, regularizer, constraint, optimizer, loss and
metric a config can name, the arguments each takes, and what each metric measures.

The lists are generated from the installed Keras's registries into keras_names.json (by engine/keras_names_json.py:
regenerate with `python -m nnrun.engine.keras_names_json` after upgrading Keras; tests/test_model_build.py checks
they match), so that `check_names` can refuse a misspelled name, an unknown or mistyped argument, or a metric
that means nothing for the loss, without importing Keras: plain `nnrun check` stays fast. When the installed
Keras is not the version the lists were made from, they are not used, and the same checks run when `model.build`
meets the names.

The checks themselves (`check_arguments`, `metric_problem`) are shared with model.py, which feeds them what it
reads from Keras's live classes, so both paths give the same message.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnrun.config.yamlfile import show_value
from nnrun.errors import did_you_mean

if TYPE_CHECKING:
    from nnrun.config.schema import Spec

DATA = Path(__file__).with_name("keras_names.json")
# The kinds of named objects, as Keras's modules call them (keras.<kind>.get resolves their names).
KINDS = ("initializers", "regularizers", "constraints", "optimizers", "losses", "metrics")
# A layer argument whose value is resolved with a Keras registry, by the argument name's suffix.
SUFFIX_KIND = {"_initializer": "initializers", "_regularizer": "regularizers", "_constraint": "constraints"}
# Keras 2 argument names people still write, and what Keras 3 calls them.
RENAMED = {"lr": "learning_rate", "init": "kernel_initializer", "decay": "weight_decay", "output_dim": "units"}
# Registry entries that are base classes or wrappers, not something to train with.
INTERNAL = {
    "initializer",
    "regularizer",
    "constraint",
    "loss",
    "loss_function_wrapper",
    "metric",
    "mean_metric_wrapper",
    "optimizer",
    "optimizermap",
    "lossscaleoptimizer",
    "multioptimizer",
}
# Layers that wrap code or a saved program rather than describe a computation: a config cannot hold them safely.
CODE_LAYERS = {
    "Lambda": "a Lambda layer runs a Python function",
    "JaxLayer": "a JaxLayer runs a JAX function",
    "FlaxLayer": "a FlaxLayer runs a Flax module",
    "TorchModuleWrapper": "a TorchModuleWrapper runs a PyTorch module",
    "TFSMLayer": "a TFSMLayer runs a TensorFlow SavedModel loaded from disk",
}
# Arguments of the same name mean the same thing in every Keras class that takes them; Keras accepts these
# values without a word (beta_1: 2, a negative learning rate or stddev) and trains on nonsense. (low, high,
# whether each bound is included, what to say.)
RANGES = {
    "learning_rate": (0, math.inf, False, False, "a number > 0, such as 0.001"),
    "momentum": (0, 1, True, True, "a number from 0 to 1"),
    "ema_momentum": (0, 1, True, True, "a number from 0 to 1"),
    "beta_1": (0, 1, True, False, "a number from 0 to below 1, such as 0.9"),
    "beta_2": (0, 1, True, False, "a number from 0 to below 1, such as 0.999"),
    "rho": (0, 1, True, False, "a number from 0 to below 1, such as 0.9"),
    "epsilon": (0, math.inf, True, False, "a number >= 0, such as 1e-07"),
    "weight_decay": (0, math.inf, True, False, "a number >= 0"),
    "clipnorm": (0, math.inf, False, False, "a number > 0, such as 1.0"),
    "clipvalue": (0, math.inf, False, False, "a number > 0, such as 0.5"),
    "global_clipnorm": (0, math.inf, False, False, "a number > 0, such as 1.0"),
    "label_smoothing": (0, 1, True, True, "a number from 0 to 1, such as 0.1"),
    "dropout": (0, 1, True, False, "a fraction from 0 to below 1"),
    "recurrent_dropout": (0, 1, True, False, "a fraction from 0 to below 1"),
    "stddev": (0, math.inf, True, False, "a number >= 0, such as 0.05"),
    "delta": (0, math.inf, False, False, "a number > 0, such as 1.0"),
    "l1": (0, math.inf, True, False, "a number >= 0, such as 0.01"),
    "l2": (0, math.inf, True, False, "a number >= 0, such as 0.01"),
    "max_value": (0, math.inf, False, False, "a number > 0, such as 2"),
    "loss_scale_factor": (0, math.inf, False, False, "a number > 0, such as 1.0"),
    "thresholds": (0, 1, True, True, "a number from 0 to 1, or a list of them, such as 0.5"),
}
# Arguments of Keras's metrics, losses, optimizers, initializers, regularizers and constraints that must be whole
# numbers: Keras takes any value and fails with Python's own words ('<=' not supported between 'str' and 'int')
# or only when training. (the lowest valid value or None, what to say)
WHOLE = {
    "num_thresholds": (2, "a whole number > 1, such as 200"),
    "k": (1, "a whole number > 0, such as 5"),
    "top_k": (1, "a whole number > 0, such as 1"),
    "class_id": (0, "a whole number >= 0 (a class index)"),
    "num_labels": (1, "a whole number > 0"),
    "num_regressors": (0, "a whole number >= 0"),
    "axis": (None, "a whole number (an axis index), such as -1"),
    "gradient_accumulation_steps": (1, "a whole number > 0"),
    "ema_overwrite_frequency": (1, "a whole number > 0"),
    "ns_steps": (1, "a whole number > 0, such as 5"),
    "warmup_steps": (0, "a whole number >= 0"),
    "dynamic_growth_steps": (1, "a whole number > 0, such as 2000"),
    "seed": (0, "a whole number >= 0, such as 42"),
}
# Arguments that take one number or a list of them (Precision's thresholds).
LISTS = {"thresholds"}
# What each target encoding is, in words, and the metrics that fit it.
TARGETS = {
    "raw": ("a regression (one number per row)", "mae, mse, root_mean_squared_error or r2_score"),
    "binary": ("0/1 classes with one output", "accuracy, auc, precision or recall"),
    "sparse": (
        "class ids, one per row, against one output per class",
        "accuracy, sparse_categorical_accuracy or sparse_top_k_categorical_accuracy",
    ),
    "onehot": ("one-hot rows, one column per class", "accuracy, categorical_accuracy, auc, precision or recall"),
}
FORMS = {
    "binary": "0/1 targets",
    "sparse": "class ids",
    "onehot": "one-hot rows",
    "same": "targets shaped like the output",
}


# --- what a Keras class takes and measures (read from the class: by the generator and by model.py) ---


def arg_tags(cls: type, extra: tuple = (), numbers: bool = False) -> dict[str, str]:
    """{argument: "float" | "bool" | "int" | "required" | "any"} for `cls.__init__`, in order, then `extra`
    names (the base class's arguments a subclass passes on through **kwargs). With `numbers` (every class but
    layers, whose whole-number arguments often take tuples too), "int": a number (its default is a whole
    number), a whole number when WHOLE names it."""
    tags: dict[str, str] = {}
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = p.default
        tags[name] = (
            "required"
            if default is p.empty
            else "bool"
            if isinstance(default, bool)
            else "float"
            if isinstance(default, float)
            else "int"
            if numbers and (name in WHOLE or isinstance(default, int))
            else "any"
        )
    for name in extra:
        tags.setdefault(name, "any")
    return tags


def metric_traits(cls: type) -> dict[str, Any]:
    """What a Keras metric class measures, from the module Keras keeps it in and its name:
    family (classification | regression | other), the targets it expects (binary, sparse, onehot, same as the
    output, or any), whether it compares the outputs within each row (an `axis` argument), and whether it
    divides by the targets."""
    module = cls.__module__.rsplit(".", 1)[-1]
    name = cls.__name__
    classification = module in (
        "accuracy_metrics",
        "confusion_metrics",
        "f_score_metrics",
        "iou_metrics",
        "hinge_metrics",
    ) or (module == "probabilistic_metrics" and "Crossentropy" in name)
    regression = module in ("regression_metrics", "correlation_metrics")
    form = (
        "sparse"
        if name.startswith("Sparse")
        else "binary"
        if name.startswith("Binary")
        else "onehot"
        if name.startswith(("Categorical", "TopK", "OneHot"))
        else "any"
        if module in ("iou_metrics", "reduction_metrics")
        else "same"
    )
    return {
        "family": "classification" if classification else "regression" if regression else "other",
        "form": form,
        "per_row": regression and "axis" in inspect.signature(cls.__init__).parameters,
        "percentage": "Percentage" in name,
    }


# The "accuracy" Keras's compile turns into binary, sparse or categorical accuracy to suit the output.
AUTO_ACCURACY = {"family": "classification", "form": "auto", "per_row": False, "percentage": False}


def is_auto_accuracy(value: Any) -> bool:
    return isinstance(value, str) and value.lower() in ("accuracy", "acc")


# --- the shared checks ---


def unknown_name(name: Any, what: str, valid: list[str]) -> str:
    """The problem text for a name Keras does not know (valid: the names to suggest and list)."""
    return f"got {name!r}; unknown {what}{did_you_mean(name, valid)}; valid: {', '.join(sorted(valid))}"


def check_arguments(spec: Spec, loc: tuple, owner: str, tags: dict[str, str], kwargs: dict) -> dict:
    """Raise (at `loc` + the argument) for an argument `owner` does not take, a value of the wrong type
    (text for a number, a number for true/false) or out of its range (RANGES); return the arguments with whole
    numbers made floats where Keras wants a float (learning_rate: 1 is 1.0, which Keras would refuse as an int)."""
    out = dict(kwargs)
    for key, value in kwargs.items():
        if key not in tags:
            params = list(tags)
            hint = f" (Keras 3 calls it '{RENAMED[key]}')" if RENAMED.get(key) in tags else did_you_mean(key, params)
            raise spec.error(
                (*loc, key), f"{owner} takes no argument '{key}'{hint}; its arguments: {', '.join(params)}"
            )
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if tags[key] == "float" and value is not None:
            if number:
                out[key] = float(value)
            elif (
                isinstance(value, list)
                and value
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            ):
                out[key] = [float(v) for v in value]  # some take a (low, high) pair, as RandomZoom's factors
            else:
                text = RANGES[key][4] if key in RANGES else "a number"
                raise spec.error((*loc, key), f"got {quoted(value)}; {owner}'s {key} must be {text}")
        if tags[key] == "bool" and not isinstance(value, bool):
            raise spec.error((*loc, key), f"got {quoted(value)}; {owner}'s {key} must be true or false")
        if tags[key] == "int" and value is not None:
            out[key] = _number(spec, (*loc, key), owner, key, value)
        if key in RANGES and value is not None:
            low, high, low_in, high_in, text = RANGES[key]
            values = value if key in LISTS and isinstance(value, list) and value else [value]
            for v in values:
                if not _is_number(v) or v < low or v > high or (v == low and not low_in) or (v == high and not high_in):
                    raise spec.error((*loc, key), f"got {quoted(value)}; {owner}'s {key} must be {text}")
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(spec: Spec, loc: tuple, owner: str, key: str, value: Any) -> Any:
    """`value` of an "int" argument, checked: a number, and a whole one in WHOLE's range when WHOLE names the
    argument (a whole float such as 200.0 becomes the int Keras needs)."""
    if key not in WHOLE:
        if not _is_number(value):
            text = RANGES[key][4] if key in RANGES else "a number"
            raise spec.error(loc, f"got {quoted(value)}; {owner}'s {key} must be {text}")
        return value
    low, text = WHOLE[key]
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if not _is_number(value) or not whole or (low is not None and value < low):
        raise spec.error(loc, f"got {quoted(value)}; {owner}'s {key} must be {text}")
    return int(value)


def quoted(value: Any) -> str:
    """A received value as the user wrote it: text in quotes ('x'), anything else as YAML writes it (-1, 1.5,
    [1, 2])."""
    return repr(value) if isinstance(value, str) else show_value(value)


def metric_problem(name: str, traits: dict[str, Any], kind: str, loss: str, example: Any = None) -> str | None:
    """Why metric `name` means nothing for targets of `kind` (data.target.Kind) under `loss`, and what to use
    instead; None when it can mean something. `example`, for a regression: a target value other than 0 and 1,
    None when every target is 0 or 1 (then accuracy, thresholding the output at 0.5, is the seeds' perceptron
    score, and the metric is judged as for 0/1 classes), or ... when the targets are not known yet (plain
    `check` of a CSV: only what holds whatever the values are is refused).
    Refused: a classification metric on a regression; a metric that
    expects other targets than the loss gives (categorical_accuracy on one 0/1 output is always 1.0); one that
    compares the outputs within a row when there is one output a row (NaN or constant); one that divides by
    targets that are mostly 0. Kept: mse, mae, r2_score ... on class probabilities (the Brier score and kin)."""
    what, use = TARGETS[kind]
    if kind == "raw" and example is None:
        kind, (what, use) = "binary", TARGETS["binary"]
    if kind == "raw":
        if traits["family"] == "classification" and example is not ...:
            what = what.replace(")", f", such as {example:g})")
            return (
                f"got {name!r}, a classification metric, but loss {loss} makes this {what}, so it means nothing "
                f"here: use {use} (or, for classes, a classification loss such as binary_crossentropy)"
            )
        if traits["per_row"]:
            return (
                f"got {name!r}, which compares the outputs within each row, but this model has one output a "
                f"row, so it is NaN or constant: use {use}"
            )
        return None
    form = traits["form"]
    if (
        form not in ("auto", "any", kind)
        and not (form == "same" and kind in ("binary", "onehot"))
        and not (form == "binary" and kind == "onehot")
    ):  # binary_accuracy on one-hot rows: per-cell, but real
        return (
            f"got {name!r}, which expects {FORMS[form]}, but loss {loss} gives {what}, so it means nothing "
            f"here: use {use}"
        )
    if traits["per_row"] and kind == "binary":
        return (
            f"got {name!r}, which compares the outputs within each row, but this model has one output a row, "
            f"so it is NaN or constant: use {use}"
        )
    if traits["percentage"]:
        return f"got {name!r}, which divides by each target, and most targets of {what} are 0: use {use}"
    return None


# --- the fast path: the same checks from the generated lists ---


@functools.cache
def catalog() -> dict[str, Any] | None:
    """The generated lists, or None when the installed Keras is another version than they were made from."""
    from importlib.metadata import PackageNotFoundError, version

    data = json.loads(DATA.read_text(encoding="utf-8"))
    try:
        installed = version("keras")
    except PackageNotFoundError:
        return None
    return data if installed == data["keras"] else None


def check_names(spec: Spec) -> None:
    """Raise ConfigError (at its key) for a name Keras does not know, an argument its class does not take or a
    value it cannot use, and a metric that means nothing for the loss; without importing Keras. A name is
    matched as Keras's own lookup of its kind matches it (exactly, or for optimizers in any case)."""
    from nnrun.config.task import target_kind

    cat = catalog()
    if cat is None:
        return
    activations = cat["activations"]

    def activation(loc: tuple, value: Any) -> None:
        if isinstance(value, str) and value not in activations:
            raise spec.error(loc, unknown_name(value, "activation", activations))

    if spec.activation is not None:
        activation(("activation",), spec.activation)
    for i, layer in enumerate(spec.layers):
        loc = ("layers", i)
        tags = cat["layers"].get(layer.type)
        if layer.type in CODE_LAYERS:
            continue  # model.build says why
        if tags is None:
            raise spec.error((*loc, "type"), unknown_layer(layer.type, list(cat["layers"])))
        kwargs = layer.kwargs()
        check_arguments(spec, loc, layer.type, tags, kwargs)
        for key, value in kwargs.items():
            if key == "activation" or key.endswith("_activation"):
                activation((*loc, key), value)
            for suffix, kind in SUFFIX_KIND.items():
                if key.endswith(suffix) and value is not None:
                    _named(spec, cat, (*loc, key), value, kind, suffix.strip("_"))
    _named(spec, cat, ("optimizer",), spec.optimizer, "optimizers", "optimizer")
    _named(spec, cat, ("loss",), spec.loss, "losses", "loss")
    kind, loss = target_kind(spec.loss), spec.loss if isinstance(spec.loss, str) else spec.loss["name"]
    example = ...  # a CSV's or a Keras dataset's targets are read by model.build
    if kind == "raw" and spec.dataset.inline is not None:
        example = non_binary(spec.dataset.inline.y)
    for i, value in enumerate(spec.metrics):
        loc = ("metrics", i)
        name = value if isinstance(value, str) else value["name"]
        if is_auto_accuracy(name) and isinstance(value, str):
            traits = AUTO_ACCURACY
        else:
            cls = _named(spec, cat, loc, value, "metrics", "metric")
            traits = cat["metric_traits"].get(cls) if cls else None
        problem = metric_problem(name, traits, kind, loss, example) if traits else None
        if problem:
            raise spec.error(loc, problem)


def non_binary(values) -> float | None:
    """A regression target value other than 0 and 1 (the one farthest from them), or None when all are 0 or 1."""
    others = [float(v) for v in values if isinstance(v, (int, float)) and v not in (0, 1)]
    return max(others, key=lambda v: min(abs(v), abs(v - 1))) if others else None


def unknown_layer(name: str, names: list[str]) -> str:
    return (
        f"got {name!r}; not a Keras layer{did_you_mean(name, names)}; "
        "use a class name from keras.layers such as Dense, Dropout, Flatten, Conv2D"
    )


def _named(spec: Spec, cat: dict, loc: tuple, value: Any, kind: str, what: str) -> str | None:
    """Check a name (or {name: ..., <arguments>}) of `kind`; return the class its arguments go to, if known."""
    if isinstance(value, dict) and "name" not in value:
        return None  # Keras's own {class_name: ..., config: ...}: Keras reads it
    name = value if isinstance(value, str) else value["name"]
    table = cat[kind]
    names = table["names"]
    if not isinstance(name, str):
        return None
    # Keras looks names up exactly (Relu, maxnorm and Mae are refused), except for the kinds it lower-cases
    # first (optimizers: Adam).
    lowered = {n.lower(): n for n in names} if table.get("any_case") else {}
    found = name if name in names else lowered.get(name.lower())
    if found is None:
        valid = [n for n in names if n == n.lower() and n not in INTERNAL]
        raise spec.error(loc if isinstance(value, str) else (*loc, "name"), unknown_name(name, what, valid))
    cls = names[found]
    if isinstance(value, dict) and len(value) > 1:
        args = {k: v for k, v in value.items() if k != "name"}
        if cls is None:
            raise spec.error(loc, f"{name} takes no arguments; write it as a plain name")
        if cls in table["classes"]:
            check_arguments(spec, loc, cls, table["classes"][cls], args)
    return cls
