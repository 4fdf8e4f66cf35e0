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
        return dict(importlib.import_module(f"keras.src.{kind}").ALL_OBJECTS_DICT)
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
    return not all(layer.built for layer in model._flatten_layers()) or any(
        part is not None and not part.built for part in compiled
    )


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


# Random draws up to this many values are sampled at a size rounded up to a power of two (at least BUCKET_MIN):
# larger ones at their own size, where compiling their sampler is small beside what their model costs.
BUCKET_MIN, BUCKET_MAX = 256, 1 << 22


def bucket_random_draws() -> bool:
    """Make Keras's jax random draws outside compiled functions (`keras.src.backend.jax.random`'s uniform,
    normal and truncated_normal: what every weight initializer samples with) sample a power-of-two number of
    values and keep the first ones, reshaped; True when done (or already).

    jax compiles its sampler once per shape: one program of a few tenths of a second per new weight shape, which
    was a fifth of a sweep trial's time (every trial has new layer shapes). With jax's partitionable threefry
    (its default, `jax_threefry_partitionable`), a value depends only on the key and its flat index, so the first
    n values of a longer draw are bit for bit the values of a draw of n: the weights do not change, only how
    many samplers are compiled (one per power of two, kept in jax's compilation cache). Draws inside a traced
    function (dropout in a training step), or with the partitionable threefry turned off, are left to Keras.
    Private because Keras has no hook for how its backend samples. Checked on Keras 3.15.1 with jax 0.10
    (tests/test_keras_private.py compares both ways bit for bit). Without it: False, and each weight shape
    compiles its sampler."""
    try:
        import jax
        import numpy as np
        from keras.src.backend.jax import random as jax_random
    except ImportError:
        return False
    if getattr(jax_random, "_nnrun_bucketed", False):
        return True
    needed = ("uniform", "normal", "truncated_normal", "jax_draw_seed", "floatx")
    if not all(hasattr(jax_random, name) for name in needed) or not hasattr(jax.core, "Tracer"):
        return False

    def sample(draw, seed, shape, dtype, **kwargs):
        shape = tuple(int(d) for d in shape)
        n = int(np.prod(shape, dtype=np.int64))
        traced = any(isinstance(v, jax.core.Tracer) for v in (seed, *kwargs.values()))
        if traced or not 0 < n <= BUCKET_MAX or not jax.config.jax_threefry_partitionable:
            return draw(seed, shape=shape, dtype=dtype, **kwargs)
        size = max(BUCKET_MIN, 1 << (n - 1).bit_length())
        values = np.asarray(draw(seed, shape=(size,), dtype=dtype, **kwargs))
        return jax.device_put(np.ascontiguousarray(values[:n].reshape(shape)))  # a copy that compiles nothing

    # Keras's own functions, but for the sampling itself: the same arguments, and the same arithmetic after it.
    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        dtype = dtype or jax_random.floatx()
        seed = jax_random.jax_draw_seed(seed)
        return sample(jax.random.uniform, seed, shape, dtype, minval=minval, maxval=maxval)

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        dtype = dtype or jax_random.floatx()
        seed = jax_random.jax_draw_seed(seed)
        return sample(jax.random.normal, seed, shape, dtype) * stddev + mean

    def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        dtype = dtype or jax_random.floatx()
        seed = jax_random.jax_draw_seed(seed)
        return sample(jax.random.truncated_normal, seed, shape, dtype, lower=-2.0, upper=2.0) * stddev + mean

    jax_random._nnrun_keras = {name: getattr(jax_random, name) for name in ("uniform", "normal", "truncated_normal")}
    jax_random.uniform, jax_random.normal, jax_random.truncated_normal = uniform, normal, truncated_normal
    jax_random._nnrun_bucketed = True
    return True
