"""fitting.fit: on jax, nnrun's compiled epochs must train exactly as Keras's own fit does (same batches, same
metrics, same callbacks' view), only faster."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import import_keras

keras = import_keras()
if keras.backend.backend() != "jax":
    pytest.skip("the compiled epoch loop is jax's", allow_module_level=True)

from nnrun.engine.fitting import EPOCH_LOOP, KERAS_FIT, fit, loop  # noqa: E402 - after Keras has its backend


def _model(steps: int, kind: str = "binary") -> keras.Model:
    """A small model of `kind`: binary (Dropout, two metrics) or classes (BatchNormalization, integer labels),
    compiled to run `steps` steps per call into the backend (what Keras's fit obeys)."""
    keras.utils.set_random_seed(3)
    if kind == "binary":
        layers = [
            keras.layers.Dense(5, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
        loss, metrics = "binary_crossentropy", ["accuracy", "auc"]
    else:
        layers = [
            keras.layers.Dense(6),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    model = keras.Sequential([keras.Input((3,)), *layers])
    model.compile(optimizer="adam", loss=loss, metrics=metrics, steps_per_execution=steps)
    return model


def _data(rows: int, seed: int = 0, kind: str = "binary") -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3)).astype("float32")
    if kind == "binary":
        return x, (x.sum(axis=1) > 0).astype("float32")
    return x, np.digitize(x[:, 0], [-0.5, 0.5])  # integer class ids 0, 1, 2


def _train(
    auto: bool,
    rows: int,
    batch_size: int,
    epochs: int = 4,
    validation: bool = True,
    callbacks=(),
    kind: str = "binary",
    model: keras.Model | None = None,
    keras_steps: int = 1,
) -> keras.Model:
    steps = -(-rows // batch_size)
    model = model or _model(steps if auto else keras_steps, kind)
    x, y = _data(rows, kind=kind)
    fit(
        model, x, y, _data(7, seed=1, kind=kind) if validation else None, epochs, batch_size, list(callbacks), auto=auto
    )
    return model


def _same(ours: keras.Model, theirs: keras.Model) -> None:
    """The same history, weights (BatchNormalization's statistics too) and optimizer state."""
    assert list(ours.history.history) == list(theirs.history.history)
    for name, values in theirs.history.history.items():
        np.testing.assert_allclose(ours.history.history[name], values, rtol=1e-5, atol=1e-7, err_msg=name)
    for mine, keras_weights in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(mine, keras_weights, rtol=1e-5, atol=1e-7)
    for mine, keras_value in zip(ours.optimizer.variables, theirs.optimizer.variables, strict=True):
        np.testing.assert_allclose(np.asarray(mine), np.asarray(keras_value), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "rows, batch_size, kind, validation",
    [
        (10, 4, "binary", True),
        (12, 4, "binary", True),
        (3, 8, "binary", True),
        (10, 4, "binary", False),
        (11, 4, "classes", True),
    ],
    ids=[
        "a partial last batch",
        "full batches only",
        "one batch smaller than batch_size",
        "no validation",
        "batch normalization and integer labels",
    ],
)
def test_compiled_epochs_train_as_keras_fit_does(rows, batch_size, kind, validation):
    ours = _train(True, rows, batch_size, kind=kind, validation=validation)
    theirs = _train(False, rows, batch_size, kind=kind, validation=validation)
    assert loop(ours, True) == EPOCH_LOOP and loop(theirs, False) == KERAS_FIT
    assert set(ours.history.history) >= {"loss", "accuracy"} and ("val_loss" in ours.history.history) == validation
    _same(ours, theirs)
    assert int(ours.optimizer.iterations) == 4 * -(-rows // batch_size)


def test_a_second_fit_continues_as_keras_fit_continues():
    ours, theirs = _train(True, 10, 4, epochs=2), _train(False, 10, 4, epochs=2)
    again = {}
    for auto, model in ((True, ours), (False, theirs)):
        np.random.seed(5)  # the shuffle's generator, as both models' first fits left it
        again[auto] = _train(auto, 10, 4, epochs=3, model=model)
    _same(again[True], again[False])


class Recorder(keras.callbacks.Callback):
    """Records every hook Keras calls, with the weights' sum at each epoch's end."""

    def __init__(self):
        super().__init__()
        self.calls, self.weights = [], []

    def __getattribute__(self, name):
        attribute = super().__getattribute__(name)
        if name.startswith("on_") and callable(attribute):

            def record(*args, **kwargs):
                self.calls.append(name)
                if name == "on_epoch_end":
                    self.weights.append(self.model.get_weights()[0].copy())
                return attribute(*args, **kwargs)

            return record
        return attribute


def test_callbacks_see_the_hooks_and_the_weights_keras_fit_gives_them():
    ours, theirs = Recorder(), Recorder()
    _train(True, 10, 4, epochs=3, callbacks=[ours])
    _train(False, 10, 4, epochs=3, callbacks=[theirs], keras_steps=3)  # Keras too calls into jax once an epoch
    assert ours.calls == theirs.calls
    # (Keras's base Callback forwards on_train_batch_* to on_batch_*: those are recorded too)
    assert [c for c in ours.calls if not c.startswith("on_batch")][:9] == [
        "on_train_begin",
        "on_epoch_begin",
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_test_begin",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_test_end",
        "on_epoch_end",
    ]
    assert len(ours.weights) == 3 and not np.allclose(ours.weights[0], ours.weights[-1])
    for mine, keras_weights in zip(ours.weights, theirs.weights, strict=True):
        np.testing.assert_allclose(mine, keras_weights, rtol=1e-5, atol=1e-7)


def test_callbacks_that_change_the_model_are_obeyed_and_can_restore_the_best():
    def halving(epoch, learning_rate):
        return learning_rate / 2

    models = {}
    for auto in (True, False):
        early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=100, restore_best_weights=True)
        schedule = keras.callbacks.LearningRateScheduler(halving)
        models[auto] = _train(auto, 10, 4, epochs=6, callbacks=[schedule, early])
    assert float(models[True].optimizer.learning_rate) == pytest.approx(0.001 / 2**6)
    _same(models[True], models[False])


def test_a_callback_stops_training_after_the_epoch_it_asks_in():
    class StopAfter2(keras.callbacks.Callback):
        logs_only = True

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    model = _train(True, 10, 4, epochs=5, callbacks=[StopAfter2()])
    assert len(model.history.history["loss"]) == 2 and int(model.optimizer.iterations) == 2 * 3


def test_an_exception_in_a_callback_leaves_the_model_at_its_last_finished_epoch():
    class FailIn3(keras.callbacks.Callback):
        logs_only = True

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    model = _model(3)
    x, y = _data(10)
    with pytest.raises(KeyboardInterrupt):
        fit(model, x, y, None, 5, 4, [FailIn3()])
    _same_weights = _train(False, 10, 4, epochs=3, validation=False).get_weights()  # Keras's fit, 3 epochs
    for mine, keras_weights in zip(model.get_weights(), _same_weights, strict=True):
        np.testing.assert_allclose(mine, keras_weights, rtol=1e-5, atol=1e-7)


def test_explicit_steps_per_execution_keeps_keras_fit():
    assert loop(_model(3), auto=False) == KERAS_FIT
    model = _model(3)
    model.jit_compile = False
    assert loop(model, auto=True) == KERAS_FIT  # the epoch loop is jit-compiled by nature


def test_a_keras_without_the_trainer_internals_trains_with_its_own_fit(monkeypatch):
    from nnrun.engine import keras_private

    assert loop(_model(1), auto=True) == EPOCH_LOOP
    monkeypatch.setattr(keras_private, "can_build_like_fit", lambda model: False)
    assert loop(_model(1), auto=True) == KERAS_FIT
