"""How a compiled model is fitted: on jax, one compiled call per epoch; on tensorflow, Keras's fit fed a cached
tf.data pipeline; elsewhere, or when the config sets steps_per_execution itself, Keras's fit on the arrays.

Keras's jax trainer calls into XLA once per batch and copies its whole state back into the model's variables at
every epoch's end; for the small models nnrun's users train, that per-call machinery, not the arithmetic, is most
of the time (pima: about 2 of the 2.3 ms an epoch takes). `fit` here keeps Keras's own `train_step` and
`test_step`, its metrics and its callbacks, and its shuffle order (numpy's global generator, one permutation per
epoch), but runs each epoch — shuffle, every batch, then validation — as one compiled jax function on arrays that
stay on the device. Imports Keras: import this module only once the backend is active.
"""

from __future__ import annotations

import keras
import numpy as np

EPOCH_LOOP = "compiled epochs"
KERAS_FIT = "keras fit"
TF_DATA = "keras fit, cached tf.data"


def loop(model: keras.Model, auto: bool) -> str:
    """Which training loop `fit` runs for `model`: the compiled epoch loop when the backend is jax, the model is
    compiled with jit and steps_per_execution was left to nnrun (`auto`); Keras's fit otherwise."""
    if auto and keras.backend.backend() == "jax" and model.jit_compile and not model.run_eagerly:
        return EPOCH_LOOP
    if auto and keras.backend.backend() == "tensorflow":
        return TF_DATA
    return KERAS_FIT


def fit(model: keras.Model, x: np.ndarray, y: np.ndarray, validation: tuple[np.ndarray, np.ndarray] | None,
        epochs: int, batch_size: int, callbacks: list[keras.callbacks.Callback], auto: bool = True) -> None:
    """Train `model` on (x, y) for `epochs`, scoring `validation` after each one, with Keras `callbacks`."""
    chosen = loop(model, auto)
    if chosen == EPOCH_LOOP:
        _EpochLoop(model, batch_size).fit(x, y, validation, epochs, callbacks)
    elif chosen == TF_DATA:
        train, val = _tf_datasets(x, y, validation, batch_size)
        model.fit(train, validation_data=val, epochs=epochs, verbose=0, callbacks=callbacks)
    else:
        model.fit(x, y, validation_data=validation, epochs=epochs, batch_size=batch_size, verbose=0,
                  callbacks=callbacks)


def _tf_datasets(x, y, validation, batch_size: int):
    """(training, validation) tf.data pipelines that keep the rows in memory once and reshuffle every epoch
    (seeded by the global seed Keras sets); Keras's own pipeline for arrays gathers each batch anew."""
    import tensorflow as tf

    train = (tf.data.Dataset.from_tensor_slices((x, y)).cache().shuffle(len(x), reshuffle_each_iteration=True)
             .batch(batch_size).prefetch(tf.data.AUTOTUNE))
    val = tf.data.Dataset.from_tensor_slices(validation).batch(batch_size).cache() if validation is not None else None
    return train, val


def _log_only(callback: keras.callbacks.Callback) -> bool:
    """True for callbacks that read nothing but the logs (nnrun's own say so): the model's variables need not be
    brought up to date for them after every epoch."""
    return getattr(callback, "logs_only", False)


class _EpochLoop:
    """Keras's train_step and test_step, scanned over an epoch's batches inside one jitted function."""

    def __init__(self, model: keras.Model, batch_size: int):
        import jax

        self.jax = jax
        self.model = model
        self.batch_size = batch_size
        self._train = jax.jit(self._train_epoch, static_argnames=("rows",))
        self._test = jax.jit(self._test_epoch, static_argnames=("rows",))

    def _batches(self, data: tuple, rows: int):
        """(stacked full batches, the partial last batch or None) of `data`'s first `rows` rows."""
        full, rest = divmod(rows, self.batch_size)
        stacked = tuple(a[:full * self.batch_size].reshape((full, self.batch_size) + a.shape[1:]) for a in data)
        tail = tuple(a[full * self.batch_size:rows] for a in data) if rest else None
        return (stacked if full else None), tail

    def _scan(self, step, state, data: tuple, rows: int):
        """Run `step` (Keras's train_step or test_step) over `data` in batches; gives (last logs, state)."""
        lax = self.jax.lax
        stacked, tail = self._batches(data, rows)
        logs = None
        if stacked is not None:
            def body(carry, batch):
                logs, carry = step(carry, batch)
                return carry, logs

            state, every = lax.scan(body, state, stacked)
            logs = self.jax.tree_util.tree_map(lambda t: t[-1], every)
        if tail is not None:
            logs, state = step(state, tail)
        return logs, state

    def _train_epoch(self, state, fresh_metrics, x, y, order, rows: int):
        trainable, non_trainable, optimizer, _ = state
        data = (x[order], y[order])
        return self._scan(self.model.train_step, (trainable, non_trainable, optimizer, fresh_metrics), data, rows)

    def _test_epoch(self, state, fresh_metrics, x, y, rows: int):
        trainable, non_trainable = state
        logs, _ = self._scan(self.model.test_step, (trainable, non_trainable, fresh_metrics), (x, y), rows)
        return logs

    def _state(self) -> tuple[list, list, list, list]:
        model = self.model
        return ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables],
                [v.value for v in model.optimizer.variables], [v.value for v in model.metrics_variables])

    def _write_back(self, state) -> None:
        """Copy `state` into the model's variables (what Keras's jax trainer calls jax_state_sync)."""
        model = self.model
        for variables, values in zip((model.trainable_variables, model.non_trainable_variables,
                                      model.optimizer.variables, model.metrics_variables), state):
            for variable, value in zip(variables, values):
                variable.assign(value)

    def fit(self, x: np.ndarray, y: np.ndarray, validation, epochs: int, callbacks: list) -> None:
        jax, model = self.jax, self.model
        rows = len(x)
        # Builds the layers, the optimizer's slots and the compiled metrics, as Keras's fit does before epoch 1.
        model._symbolic_build(data_batch=(x[:self.batch_size], y[:self.batch_size]))
        model.reset_metrics()
        fresh = [v.value for v in model.metrics_variables]
        x_dev, y_dev = jax.device_put(x), jax.device_put(y)
        val = tuple(jax.device_put(a) for a in validation) if validation is not None else None
        every_epoch = not all(_log_only(c) for c in callbacks)
        hooks = keras.callbacks.CallbackList(callbacks, add_history=True, add_progbar=False, model=model,
                                             epochs=epochs, steps=-(-rows // self.batch_size), verbose=0)
        # Keras's fit draws one permutation more, for the batch it builds the model with; drawing it too keeps
        # the same seed giving the same batches in both loops.
        np.random.permutation(rows)
        model.stop_training = False
        state = self._state()
        finished, logs = False, {}
        try:
            hooks.on_train_begin()
            for epoch in range(epochs):
                hooks.on_epoch_begin(epoch)
                # Keras's array adapter draws each epoch's order from numpy's global generator: so does this loop,
                # so that a seed gives the same batches either way.
                order = np.random.permutation(rows).astype(np.int32)
                train_logs, state = self._train(state, fresh, x_dev, y_dev, order, rows=rows)
                if val is not None:
                    val_logs = self._test(state[:2], fresh, *val, rows=len(val[0]))
                    train_logs = {**train_logs, **{f"val_{k}": v for k, v in val_logs.items()}}
                logs = {k: np.asarray(v) for k, v in jax.device_get(train_logs).items()}
                if every_epoch:
                    self._write_back(state)
                hooks.on_epoch_end(epoch, logs)
                if model.stop_training:
                    break
            finished = True
        finally:
            self._write_back(state)
            model.optimizer.finalize_variable_values(model.trainable_weights)
        if finished:
            hooks.on_train_end(logs)
