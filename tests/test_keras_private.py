"""Every private Keras API nnrun uses (src/nnrun/engine/keras_private.py), touched on the installed Keras: after a
Keras upgrade, the test of each one that is gone or changed fails naming it and the Keras version."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import import_keras

keras = import_keras()

from nnrun.engine import keras_private  # noqa: E402 - after Keras has its backend


def gone(api: str, what: str) -> str:
    """The failure message: the API, the installed Keras, what nnrun was checked on and what to do."""
    return (
        f"{api}: {what} in Keras {keras.__version__}; nnrun's fence (src/nnrun/engine/keras_private.py) was "
        f"checked on Keras {keras_private.CHECKED}: adapt the function there (and CHECKED, and the keras pin in "
        "pyproject.toml), or install a Keras it was checked on"
    )


def test_the_checked_versions_are_the_installed_one_and_the_pin():
    installed = ".".join(keras.__version__.split(".")[:2])
    assert installed == keras_private.CHECKED, gone(
        "keras_private.CHECKED", f"is {keras_private.CHECKED}: check every function on this Keras, then set it"
    )
    major, minor = keras_private.CHECKED.split(".")
    pin = f'"keras>={major}.{minor},<{major}.{int(minor) + 1}"'
    assert pin in (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"), (
        f"pyproject.toml: pin {pin}, the Keras versions src/nnrun/engine/keras_private.py was checked on"
    )


@pytest.mark.parametrize(
    "kind, name, expected",
    [
        ("activations", "relu", "relu"),
        ("initializers", "glorot_uniform", "GlorotUniform"),
        ("regularizers", "l2", "L2"),
        ("constraints", "max_norm", "MaxNorm"),
        ("optimizers", "adam", "Adam"),
        ("losses", "mse", "mean_squared_error"),
        ("metrics", "auc", "AUC"),
    ],
)
def test_the_registries(kind, name, expected):
    found = keras_private.registry(kind)
    assert found, gone(f"keras.src.{kind}.ALL_OBJECTS_DICT", "is gone or empty")
    assert getattr(found.get(name), "__name__", None) == expected, gone(
        f"keras.src.{kind}.ALL_OBJECTS_DICT", f"maps {name!r} to {found.get(name)!r}, not {expected}"
    )


def test_the_tensorflow_switch():
    from keras.src.utils import module_utils

    lazy = getattr(module_utils, "tensorflow", None)
    before = vars(lazy).get("_available") if lazy is not None else None
    try:
        assert keras_private.hide_tensorflow(), gone("keras.src.utils.module_utils.tensorflow._available", "is gone")
        assert lazy.available is False, gone(
            "keras.src.utils.module_utils.tensorflow._available", "no longer decides tensorflow.available"
        )
    finally:
        if lazy is not None and "_available" in vars(lazy):
            lazy._available = before


def test_the_trainer_internals_build_a_model_as_fit_does():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", "auc"])
    missing = [name for name in keras_private._TRAINER if not hasattr(model, name)]
    assert keras_private.can_build_like_fit(model), gone(", ".join(f"Trainer.{n}" for n in missing), "is gone")
    assert keras_private.builds_from_a_batch(model), gone(
        "Trainer._compile_metrics/_compile_loss/_flatten_layers", "say a fresh compiled model is built"
    )
    x, y = np.zeros((4, 3), "float32"), np.zeros((4, 1), "float32")
    keras_private.build_like_fit(model, (x, y))
    assert not keras_private.builds_from_a_batch(model), gone(
        "Trainer._symbolic_build", "leaves the layers, the compiled metrics or the compiled loss unbuilt"
    )
    assert model.optimizer.built, gone("Trainer._symbolic_build", "leaves the optimizer unbuilt")


@pytest.mark.parametrize(
    "metric, expected",
    [
        (lambda: keras.metrics.AUC(), "max"),
        (lambda: keras.metrics.BinaryAccuracy(), "max"),
        (lambda: keras.metrics.CosineSimilarity(), "max"),
        (lambda: keras.metrics.MeanSquaredError(), "min"),
        (lambda: keras.metrics.MeanMetricWrapper(keras.losses.mean_absolute_error, name="mae"), "min"),
    ],
)
def test_the_metric_directions(metric, expected):
    built = metric()
    said = keras_private.metric_direction(built)
    assert said == expected, gone(
        f"{type(built).__name__}._direction", f"says {getattr(built, '_direction', '(nothing)')!r}, not {expected!r}"
    )


INITIALIZERS = [
    "glorot_uniform",
    "he_normal",
    "glorot_normal",
    "lecun_uniform",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "orthogonal",
]


@pytest.mark.parametrize("shape", [(13, 42), (8, 1), (1,), (99, 99), (3, 3, 1, 32), (257,)])
def test_the_shared_samplers_draw_the_same_weights_bit_for_bit(shape):
    if keras.backend.backend() != "jax":
        pytest.skip("the samplers are jax's")
    from keras.src.backend.jax import random as jax_random

    assert keras_private.bucket_random_draws(), gone("keras.src.backend.jax.random", "has no uniform, normal, ...")
    shared = {name: getattr(jax_random, name) for name in ("uniform", "normal", "truncated_normal")}
    own = jax_random._nnrun_keras  # Keras's functions, as they were
    try:
        for init in INITIALIZERS if len(shape) > 1 else [i for i in INITIALIZERS if i != "orthogonal"]:
            drawn = {}
            for way in ("keras", "shared"):
                for name, function in (own if way == "keras" else shared).items():
                    setattr(jax_random, name, function)
                drawn[way] = np.asarray(keras.initializers.get({"class_name": init, "config": {"seed": 7}})(shape))
            assert drawn["keras"].tobytes() == drawn["shared"].tobytes(), (init, shape)
        for dtype in ("float32", "float16", "bfloat16"):
            for name in shared:
                one, two = keras.random.SeedGenerator(3), keras.random.SeedGenerator(3)
                a = np.asarray(own[name](shape, dtype=dtype, seed=one))
                b = np.asarray(shared[name](shape, dtype=dtype, seed=two))
                assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (name, dtype, shape)
    finally:
        for name, function in shared.items():
            setattr(jax_random, name, function)


def test_the_shared_samplers_compile_one_sampler_for_many_shapes():
    if keras.backend.backend() != "jax":
        pytest.skip("the samplers are jax's")
    import jax

    keras_private.bucket_random_draws()
    keras.initializers.GlorotUniform(seed=1)((13, 39))  # the sampler of 512 values (and the seed's steps) compiled
    compiled = []

    def heard(name, secs, **kwargs):
        if name == "/jax/core/compile/backend_compile_duration":
            compiled.append(secs)

    jax.monitoring.register_event_duration_secs_listener(heard)
    try:
        for units in range(20, 40):  # twenty new kernel shapes of 260 to 507 values: no new program
            keras.initializers.GlorotUniform(seed=units)((13, units))
    finally:
        jax.monitoring.unregister_event_duration_listener(heard)
    assert compiled == []
