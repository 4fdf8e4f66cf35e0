"""fitting.fit: on jax, nnrun's compiled epochs must train exactly as Keras's own fit does (same batches, same
metrics, same callbacks' view), only faster."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import import_keras

keras = import_keras()
if keras.backend.backend() != "jax":
    pytest.skip("the compiled epoch loop is jax's", allow_module_level=True)

from nnrun.fitting import EPOCH_LOOP, KERAS_FIT, fit, loop  # noqa: E402 - after Keras has its backend


def _model(seed: int = 3, **compile_args) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", "auc"], **compile_args)
    return model


def _data(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3)).astype("float32")
    return x, (x.sum(axis=1) > 0).astype("float32")


def _train(auto: bool, rows: int, batch_size: int, epochs: int = 4, validation: bool = True, callbacks=()):
    model = _model(steps_per_execution=-(-rows // batch_size) if auto else 1)
    x, y = _data(rows)
    fit(model, x, y, _data(7, seed=1) if validation else None, epochs, batch_size, list(callbacks), auto=auto)
    return model


@pytest.mark.parametrize("rows, batch_size", [(10, 4), (12, 4), (3, 8)],
                         ids=["a partial last batch", "full batches only", "one batch smaller than batch_size"])
def test_compiled_epochs_train_as_keras_fit_does(rows, batch_size):
    ours, theirs = _train(True, rows, batch_size), _train(False, rows, batch_size)
    assert loop(ours, True) == EPOCH_LOOP and loop(theirs, False) == KERAS_FIT
    assert list(ours.history.history) == list(theirs.history.history) == [
        "accuracy", "auc", "loss", "val_accuracy", "val_auc", "val_loss"]
    for name, values in theirs.history.history.items():
        np.testing.assert_allclose(ours.history.history[name], values, rtol=1e-5, err_msg=name)
    for mine, keras_weights in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, keras_weights, rtol=1e-5)
    # the optimizer's state is in the model too: a later fit, or a saved model, continues from it
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations) == 4 * -(-rows // batch_size)


def test_callbacks_that_read_the_model_see_each_epochs_weights_and_can_restore_the_best():
    seen = {True: [], False: []}

    class Weights(keras.callbacks.Callback):
        def __init__(self, into):
            super().__init__()
            self.into = into

        def on_epoch_end(self, epoch, logs=None):
            self.into.append(self.model.get_weights()[0].copy())

    restored = {}
    for auto in (True, False):
        early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=100, restore_best_weights=True)
        restored[auto] = _train(auto, 10, 4, epochs=6, callbacks=[Weights(seen[auto]), early]).get_weights()[0]
        assert early.best_epoch >= 0
    assert len(seen[True]) == 6 and not np.allclose(seen[True][0], seen[True][-1])
    for ours, theirs in zip(seen[True], seen[False]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    np.testing.assert_allclose(restored[True], restored[False], rtol=1e-5)


def test_a_callback_stops_training_after_the_epoch_it_asks_in():
    class StopAfter2(keras.callbacks.Callback):
        logs_only = True

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    model = _train(True, 10, 4, epochs=5, callbacks=[StopAfter2()])
    assert len(model.history.history["loss"]) == 2 and int(model.optimizer.iterations) == 2 * 3


def test_an_exception_in_a_callback_leaves_the_model_at_its_last_finished_epoch():
    weights = []

    class FailIn3(keras.callbacks.Callback):
        logs_only = True

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    model = _model(steps_per_execution=3)
    x, y = _data(10)
    with pytest.raises(KeyboardInterrupt):
        fit(model, x, y, None, 5, 4, [FailIn3()])
    weights = model.get_weights()
    reference = _train(True, 10, 4, epochs=3, validation=False)
    for mine, full in zip(weights, reference.get_weights()):
        np.testing.assert_allclose(mine, full, rtol=1e-5)


def test_explicit_steps_per_execution_keeps_keras_fit():
    assert loop(_model(), auto=False) == KERAS_FIT
    assert loop(_model(jit_compile=False), auto=True) == KERAS_FIT  # the epoch loop is jit-compiled by nature
