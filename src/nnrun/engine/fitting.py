"""How a compiled model is fitted: on jax, one compiled call per epoch; on tensorflow, Keras's fit fed a
tf.data pipeline; elsewhere, or when the config sets steps_per_execution itself, Keras's fit on the arrays.

Keras's jax trainer calls into XLA once per batch and copies its whole state back into the model's variables at
every epoch's end; for the small models nnrun's users train, that per-call machinery, not the arithmetic, is most
of the time (pima: about 2 of the 2.3 ms an epoch takes). `fit` here keeps Keras's own `train_step` and
`test_step`, its metrics, its callbacks and their hooks, and its shuffle order (numpy's global generator, one
permutation per epoch), but runs each epoch's batches as one compiled jax call (and its validation as a second)
on arrays that stay on the device. Imports Keras: import this module only once the backend is active.
"""

from __future__ import annotations

import keras
import numpy as np

from nnrun.engine import keras_private

EPOCH_LOOP = "compiled epochs"
KERAS_FIT = "keras fit"
TF_DATA = "keras fit, tf.data"


def loop(model: keras.Model, auto: bool) -> str:
    """Which training loop `fit` runs for `model` when steps_per_execution was left to nnrun (`auto`): the
    compiled epoch loop on jax (when the model is compiled with jit, and Keras has the internals it builds the
    model with: keras_private.can_build_like_fit), Keras's fit on a tf.data pipeline on tensorflow; Keras's fit
    on the arrays otherwise."""
    if (
        auto
        and keras.backend.backend() == "jax"
        and model.jit_compile
        and not model.run_eagerly
        and keras_private.can_build_like_fit(model)
    ):
        return EPOCH_LOOP
    if auto and keras.backend.backend() == "tensorflow":
        return TF_DATA
    return KERAS_FIT


def fit(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    validation: tuple[np.ndarray, np.ndarray] | None,
    epochs: int,
    batch_size: int,
    callbacks: list[keras.callbacks.Callback],
    auto: bool = True,
) -> None:
    """Train `model` on (x, y) for `epochs`, scoring `validation` after each one, with Keras `callbacks`."""
    chosen = loop(model, auto)
    if chosen == EPOCH_LOOP:
        _EpochLoop(model, batch_size).fit(x, y, validation, epochs, callbacks)
    elif chosen == TF_DATA:
        train, val = _tf_datasets(x, y, validation, batch_size)
        model.fit(train, validation_data=val, epochs=epochs, verbose=0, callbacks=callbacks)
    else:
        model.fit(
            x, y, validation_data=validation, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=callbacks
        )


def _tf_datasets(x, y, validation, batch_size: int):
    """(training, validation) tf.data pipelines: the rows are sliced once, and each epoch shuffles them in a buffer
    of the whole set (seeded from numpy's generator, which the run's seed sets). Keras's own pipeline for arrays
    gathers every batch from a new permutation, which costs tensorflow 4x the time per epoch on small data (pima's
    fit: 66 s against 16 s); the buffer holds one more copy of the training rows."""
    import tensorflow as tf

    train = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(len(x), seed=int(np.random.randint(2**31 - 1)), reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    val = tf.data.Dataset.from_tensor_slices(validation).batch(batch_size) if validation is not None else None
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

    def _scan(self, step, state, x, y, order, rows: int):
        """Run `step` (Keras's train_step or test_step) over the rows of (x, y), in `order` when one is given (each
        batch gathered as it is used: the data is never copied whole), else as they are; gives (last logs, state)."""
        jax, size = self.jax, self.batch_size
        full, rest = divmod(rows, size)
        if order is None:
            order = jax.numpy.arange(rows)
        logs = None
        if full:

            def body(carry, batch_rows):
                logs, carry = step(carry, (x[batch_rows], y[batch_rows]))
                return carry, logs

            state, every = jax.lax.scan(body, state, order[: full * size].reshape(full, size))
            logs = jax.tree_util.tree_map(lambda t: t[-1], every)
        if rest:
            tail = order[full * size :]
            logs, state = step(state, (x[tail], y[tail]))
        return logs, state

    def _train_epoch(self, state, fresh_metrics, x, y, order, rows: int):
        trainable, non_trainable, optimizer, _ = state
        return self._scan(
            self.model.train_step, (trainable, non_trainable, optimizer, fresh_metrics), x, y, order, rows
        )

    def _test_epoch(self, state, fresh_metrics, x, y, rows: int):
        trainable, non_trainable = state
        logs, _ = self._scan(self.model.test_step, (trainable, non_trainable, fresh_metrics), x, y, None, rows)
        return logs

    def _on_host(self, logs: dict) -> dict[str, np.ndarray]:
        """An epoch's logs as numpy values, fetched from the device in one transfer (the epoch's one wait)."""
        return {k: np.asarray(v) for k, v in self.jax.device_get(logs).items()}

    def _state(self) -> tuple[list, list, list, list]:
        model = self.model
        return (
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            [v.value for v in model.optimizer.variables],
            [v.value for v in model.metrics_variables],
        )

    def _write_back(self, state) -> None:
        """Copy `state` into the model's variables (what Keras's jax trainer calls jax_state_sync)."""
        model = self.model
        for variables, values in zip(
            (
                model.trainable_variables,
                model.non_trainable_variables,
                model.optimizer.variables,
                model.metrics_variables,
            ),
            state,
        ):
            for variable, value in zip(variables, values):
                variable.assign(value)

    def fit(self, x: np.ndarray, y: np.ndarray, validation, epochs: int, callbacks: list) -> None:
        jax, model = self.jax, self.model
        rows = len(x)
        steps = -(-rows // self.batch_size)
        draws = keras_private.builds_from_a_batch(model)
        # Builds the layers, the optimizer's slots and the compiled metrics, as Keras's fit does before epoch 1.
        keras_private.build_like_fit(model, (x[: self.batch_size], y[: self.batch_size]))
        if draws:  # Keras's fit draws one permutation for that batch: so does this loop, for the same batches after
            np.random.permutation(rows)
        model.reset_metrics()
        fresh = [v.value for v in model.metrics_variables]
        x_dev, y_dev = jax.device_put(x), jax.device_put(y)
        val = tuple(jax.device_put(a) for a in validation) if validation is not None else None
        # Callbacks that read or change the model (EarlyStopping, a learning-rate schedule) see its variables up to
        # date at every epoch's end, and what they change is read back; nnrun's own read only the logs.
        in_sync = not all(_log_only(c) for c in callbacks)
        hooks = keras.callbacks.CallbackList(
            callbacks, add_history=True, add_progbar=False, model=model, epochs=epochs, steps=steps, verbose=0
        )
        model.stop_training = False
        state = self._state()
        finished, logs = False, {}
        try:
            hooks.on_train_begin()
            for epoch in range(epochs):
                hooks.on_epoch_begin(epoch)
                if in_sync:
                    state = self._state()
                # Keras's array adapter draws each epoch's order from numpy's global generator: so does this loop,
                # so that a seed gives the same batches either way.
                order = np.random.permutation(rows).astype(np.int32)
                hooks.on_train_batch_begin(0)  # one call per epoch, as Keras's fit makes them per execution
                train_logs, trained = self._train(state, fresh, x_dev, y_dev, order, rows=rows)
                logs = self._on_host(train_logs)
                state = trained  # only now: until the epoch's results are on the host, the model keeps the last
                hooks.on_train_batch_end(steps - 1, logs)
                if val is not None:
                    logs = {**logs, **self._validate(hooks, state, fresh, val)}
                if in_sync:
                    self._write_back(state)
                hooks.on_epoch_end(epoch, logs)
                if in_sync:
                    state = self._state()
                if model.stop_training:
                    break
            finished = True
        finally:
            self._write_back(state)
            model.optimizer.finalize_variable_values(model.trainable_weights)
        if finished:
            hooks.on_train_end(logs)

    def _validate(self, hooks, state, fresh, val) -> dict[str, np.ndarray]:
        """Score the validation rows, with the hooks Keras's evaluate calls; gives the val_ logs."""
        hooks.on_test_begin()
        hooks.on_test_batch_begin(0)
        logs = self._on_host(self._test(state[:2], fresh, *val, rows=len(val[0])))
        hooks.on_test_batch_end(-(-len(val[0]) // self.batch_size) - 1, logs)
        hooks.on_test_end(logs)
        return {f"val_{k}": v for k, v in logs.items()}
