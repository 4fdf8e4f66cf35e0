"""Every private Keras API nnrun uses, each behind one small function: the rest of nnrun calls these, never
`keras.src` or a `_name` of a Keras object. Keras may change any of them in a minor release without notice;
tests/test_keras_private.py touches each one on the installed Keras and names the one that is gone, and
pyproject.toml pins Keras to the minor versions checked (CHECKED).

Each function says what it reads, why no public API serves, and what nnrun does without it: it degrades
(fewer names in a message, a slower loop, an imported TensorFlow, a direction from the metric's name) rather
than fail a run.

Imports Keras: import this module only once the backend is active. The one thing nnrun knows of Keras's module
layout before Keras is imported (which of its modules to load lazily: backend.DEFERRED_KERAS_MODULES) is in
backend.py, since it acts before this module can be imported; tests/test_backends.py fails when it stops working.
"""

from __future__ import annotations

import importlib
from typing import Any

import keras

CHECKED = "3.15"  # the Keras minor versions every function below was checked on (3.15.1)


def registry(kind: str) -> dict[str, Any]:
    """Keras's registry of `kind` (activations, initializers, regularizers, constraints, optimizers, losses,
    metrics): `keras.src.<kind>.ALL_OBJECTS_DICT`, every name `keras.<kind>.get` resolves, in each spelling it
    holds (mae, MeanAbsoluteError), mapped to its class or function.

    Private because Keras's public API resolves a name (`keras.<kind>.get`) but cannot list them; nnrun lists
    them in its messages ('valid: ...'), finds the class a name's arguments go to, and generates
    keras_names.json from them. Checked on Keras 3.15.1. Without it: {} (an unknown name is still refused, by
    Keras's own `get`, but the message lists no valid names; keras_names.json cannot be generated)."""
    try:
        return dict(getattr(importlib.import_module(f"keras.src.{kind}"), "ALL_OBJECTS_DICT"))
    except (ImportError, AttributeError, TypeError):
        return {}


def hide_tensorflow() -> bool:
    """Tell Keras that TensorFlow is unavailable (`keras.src.utils.module_utils.tensorflow._available = False`);
    True when done.

    Keras probes `tf.available` when seeding and when saving a model, which imports TensorFlow (4-5 s) only to
    look for TensorFlow objects that a jax or torch run fed with numpy arrays never holds; Keras has no public
    switch for it. Checked on Keras 3.15.1. Without it: False, and Keras imports TensorFlow, which costs those
    seconds and changes nothing else."""
    try:
        from keras.src.utils import module_utils

        lazy = module_utils.tensorflow
        # vars(), not hasattr: a missing attribute would make the lazy module import TensorFlow to look for it
        if "_available" not in vars(lazy):
            return False
        lazy._available = False
    except (ImportError, AttributeError, TypeError):
        return False
    return True


# The parts of Keras's Trainer the compiled epoch loop (fitting.py) uses to build a model as Keras's fit does.
_TRAINER = ("_symbolic_build", "_compile_metrics", "_compile_loss", "_flatten_layers")


def can_build_like_fit(model: keras.Model) -> bool:
    """Whether `model` has the Trainer internals `builds_from_a_batch` and `build_like_fit` use
    (`Trainer._symbolic_build`, `_compile_metrics`, `_compile_loss`, `Layer._flatten_layers`).

    Keras's fit builds the layers, the optimizer's slots and the compiled metrics from one batch before its first
    epoch, with no public method for it; fitting.py's compiled epoch loop must do the same to train the same
    weights. Checked on Keras 3.15.1. Without them, fitting.py runs Keras's own fit instead of its compiled
    epochs: the same results, slower on jax."""
    return all(hasattr(model, name) for name in _TRAINER)


def builds_from_a_batch(model: keras.Model) -> bool:
    """Whether Keras's fit would draw a batch (and so one shuffle) to build `model` before its first epoch: the
    condition of Keras's `Trainer._symbolic_build` (a layer, the compiled metrics or the compiled loss not
    built). Checked on Keras 3.15.1; only called when `can_build_like_fit(model)`."""
    compiled = (model._compile_metrics, model._compile_loss)
    return (not all(layer.built for layer in model._flatten_layers())
            or any(part is not None and not part.built for part in compiled))


def build_like_fit(model: keras.Model, batch: tuple[Any, Any]) -> None:
    """Build `model`'s layers, optimizer slots and compiled metrics from `batch` (x, y), as Keras's fit does before
    epoch 1 (`Trainer._symbolic_build(data_batch=batch)`). Checked on Keras 3.15.1; only called when
    `can_build_like_fit(model)`."""
    model._symbolic_build(data_batch=batch)


def metric_direction(metric: keras.metrics.Metric) -> str | None:
    """Which way `metric` is better, as Keras itself says: "max" or "min", from the metric's `_direction`
    ("up" or "down"), which Keras sets on its metric classes and reads to decide EarlyStopping's mode: auto.
    A metric wrapping a loss function is "down".

    Private because Keras has no public accessor for it. Checked on Keras 3.15.1. Without it (an older Keras,
    or a metric that says nothing, such as TruePositives): None, and nnrun decides from the metric's name
    (runs.folder.direction)."""
    said = getattr(metric, "_direction", None)
    return {"up": "max", "down": "min"}.get(said) if isinstance(said, str) else None
