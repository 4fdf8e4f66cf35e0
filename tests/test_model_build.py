"""Config names becoming Keras objects: every bad name, argument or metric is one error at its exact key, the
same from plain `nnrun check` (Keras's names as data, keras_names.json) and from building the model (Keras
itself); whole numbers are floats where Keras wants one; one parameter count everywhere."""

from __future__ import annotations

import json
import re

import pytest
from helpers import import_keras, one_error, tiny_config

from nnrun.config import keras_names

HIDDEN = {"type": "Dense", "units": 4, "activation": "relu"}
SIGMOID = {"type": "Dense", "units": 1, "activation": "sigmoid"}
LINEAR = {"type": "Dense", "units": 1}
SOFTMAX = {"type": "Dense", "units": 2, "activation": "softmax"}


def hidden(**arguments) -> dict:
    return tiny_config(layers=[{**HIDDEN, **arguments}, SIGMOID])


def before(*layers: dict) -> dict:
    return tiny_config(layers=[*layers, HIDDEN, SIGMOID])


def optimizer(**arguments) -> dict:
    return tiny_config(optimizer={"name": "adam", **arguments})


def regression(*metrics, y=None) -> dict:
    config = tiny_config(loss="mse", layers=[HIDDEN, LINEAR], metrics=list(metrics))
    if y is not None:
        config["dataset"]["inline"]["y"] = y
    return config


def classes(loss: str, *metrics) -> dict:
    return tiny_config(loss=loss, layers=[HIDDEN, SOFTMAX], metrics=list(metrics))


PRICES = [1.5, 2.25, 3.5, 48.9] * 4

# (config, the error without its file:line prefix). Plain check and check --deep both give it.
BOTH = {
    "learning-rate-text": (
        optimizer(learning_rate="big"),
        "optimizer.learning_rate: got 'big'; Adam's learning_rate must be a number > 0, such as 0.001",
    ),
    "learning-rate-negative": (
        optimizer(learning_rate=-1),
        "optimizer.learning_rate: got -1; Adam's learning_rate must be a number > 0, such as 0.001",
    ),
    "momentum-negative": (
        tiny_config(optimizer={"name": "sgd", "momentum": -1}),
        "optimizer.momentum: got -1; SGD's momentum must be a number from 0 to 1",
    ),
    "beta-1-two": (
        optimizer(beta_1=2),
        "optimizer.beta_1: got 2; Adam's beta_1 must be a number from 0 to below 1, such as 0.9",
    ),
    "epsilon-text": (
        optimizer(epsilon="x"),
        "optimizer.epsilon: got 'x'; Adam's epsilon must be a number >= 0, such as 1e-07",
    ),
    "amsgrad-text": (optimizer(amsgrad="yes"), "optimizer.amsgrad: got 'yes'; Adam's amsgrad must be true or false"),
    "lr-keras-2": (
        optimizer(lr=0.1),
        "optimizer.lr: Adam takes no argument 'lr' (Keras 3 calls it 'learning_rate'); "
        "its arguments: learning_rate, beta_1",
    ),
    "initializer-stddev-negative": (
        hidden(kernel_initializer={"name": "random_normal", "stddev": -1}),
        "layers[0].kernel_initializer.stddev: got -1; RandomNormal's stddev must be a number >= 0, such as 0.05",
    ),
    "initializer-misspelled-argument": (
        hidden(kernel_initializer={"name": "random_normal", "stdev": 1}),
        "layers[0].kernel_initializer.stdev: RandomNormal takes no argument 'stdev' "
        "(did you mean 'stddev'?); its arguments: mean, stddev, seed",
    ),
    "initializer-misspelled-name": (
        hidden(kernel_initializer={"name": "random_normall"}),
        "layers[0].kernel_initializer.name: got 'random_normall'; unknown initializer (did you mean 'random_normal'?)",
    ),
    "regularizer-text": (
        hidden(kernel_regularizer={"name": "l2", "l2": "big"}),
        "layers[0].kernel_regularizer.l2: got 'big'; L2's l2 must be a number >= 0, such as 0.01",
    ),
    "regularizer-negative": (
        hidden(kernel_regularizer={"name": "l2", "l2": -1}),
        "layers[0].kernel_regularizer.l2: got -1; L2's l2 must be a number >= 0, such as 0.01",
    ),
    "batch-norm-momentum": (
        before({"type": "BatchNormalization", "momentum": 2}),
        "layers[0].momentum: got 2; BatchNormalization's momentum must be a number from 0 to 1",
    ),
    "leaky-relu-slope-text": (
        before({"type": "LeakyReLU", "negative_slope": "x"}),
        "layers[0].negative_slope: got 'x'; LeakyReLU's negative_slope must be a number",
    ),
    "lstm-dropout-two": (
        before({"type": "Reshape", "target_shape": [2, 1]}, {"type": "LSTM", "units": 2, "dropout": 2}),
        "layers[1].dropout: got 2; LSTM's dropout must be a fraction from 0 to below 1",
    ),
    "layer-bool-text": (hidden(use_bias="no"), "layers[0].use_bias: got 'no'; Dense's use_bias must be true or false"),
    "loss-delta-text": (
        tiny_config(loss={"name": "huber", "delta": "x"}, layers=[HIDDEN, LINEAR], metrics=["mae"]),
        "loss.delta: got 'x'; Huber's delta must be a number > 0, such as 1.0",
    ),
    "label-smoothing-two": (
        tiny_config(loss={"name": "binary_crossentropy", "label_smoothing": 2}),
        "loss.label_smoothing: got 2; BinaryCrossentropy's label_smoothing must be a number from 0 to 1, such as 0.1",
    ),
    "misspelled-activation": (
        hidden(activation="rleu"),
        "layers[0].activation: got 'rleu'; unknown activation (did you mean 'relu'?); valid: celu, elu",
    ),
    "accuracy-on-prices": (
        regression("mae", "accuracy", y=PRICES),
        "metrics[1]: got 'accuracy', a classification metric, but loss mse makes this a regression "
        "(one number per row, such as 48.9), so it means nothing here: use mae, mse, "
        "root_mean_squared_error or r2_score (or, for classes, a classification loss such as "
        "binary_crossentropy)",
    ),
    "auc-on-prices": (
        regression({"name": "auc", "num_thresholds": 100}, y=PRICES),
        "metrics[0]: got 'auc', a classification metric, but loss mse makes this a regression",
    ),
    "pearson-on-one-output": (
        regression("pearson_correlation"),
        "metrics[0]: got 'pearson_correlation', which compares the outputs within each row, but "
        "this model has one output a row, so it is NaN or constant",
    ),
    "categorical-accuracy-on-one-output": (
        tiny_config(metrics=["categorical_accuracy"]),
        "metrics[0]: got 'categorical_accuracy', which expects one-hot rows, but loss "
        "binary_crossentropy gives 0/1 classes with one output, so it means nothing "
        "here: use accuracy, auc, precision or recall",
    ),
    "mape-on-classes": (
        tiny_config(metrics=["mape"]),
        "metrics[0]: got 'mape', which divides by each target, and most targets of 0/1 classes with one output are 0",
    ),
    "mse-on-class-ids": (
        classes("sparse_categorical_crossentropy", "mse"),
        "metrics[0]: got 'mse', which expects targets shaped like the output, but loss "
        "sparse_categorical_crossentropy gives class ids, one per row, against one output per class, so "
        "it means nothing here: use accuracy, sparse_categorical_accuracy or "
        "sparse_top_k_categorical_accuracy",
    ),
    "sparse-accuracy-on-one-hot": (
        classes("categorical_crossentropy", "sparse_categorical_accuracy"),
        "metrics[0]: got 'sparse_categorical_accuracy', which expects class ids, but loss "
        "categorical_crossentropy gives one-hot rows",
    ),
    "auc-thresholds-one": (
        tiny_config(metrics=[{"name": "auc", "num_thresholds": 1}]),
        "metrics[0].num_thresholds: got 1; AUC's num_thresholds must be a whole number > 1, such as 200",
    ),
    "auc-thresholds-text": (
        tiny_config(metrics=[{"name": "auc", "num_thresholds": "x"}]),
        "metrics[0].num_thresholds: got 'x'; AUC's num_thresholds must be a whole number > 1",
    ),
    "auc-thresholds-fraction": (
        tiny_config(metrics=[{"name": "auc", "num_thresholds": 1.5}]),
        "metrics[0].num_thresholds: got 1.5; AUC's num_thresholds must be a whole number > 1",
    ),
    "precision-threshold-two": (
        tiny_config(metrics=[{"name": "precision", "thresholds": 2}]),
        "metrics[0].thresholds: got 2; Precision's thresholds must be a number from 0 to 1, or a list of them",
    ),
    "precision-thresholds-list": (
        tiny_config(metrics=[{"name": "precision", "thresholds": [0.5, "x"]}]),
        "metrics[0].thresholds: got [0.5, x]; Precision's thresholds must be a number from 0 to 1, or a list of them",
    ),
    "precision-top-k-text": (
        tiny_config(metrics=[{"name": "precision", "top_k": "x"}]),
        "metrics[0].top_k: got 'x'; Precision's top_k must be a whole number > 0",
    ),
    "max-norm-text": (
        hidden(kernel_constraint={"name": "max_norm", "max_value": "x"}),
        "layers[0].kernel_constraint.max_value: got 'x'; MaxNorm's max_value must be a number > 0, such as 2",
    ),
    "max-norm-negative": (
        hidden(kernel_constraint={"name": "max_norm", "max_value": -1}),
        "layers[0].kernel_constraint.max_value: got -1; MaxNorm's max_value must be a number > 0",
    ),
    "constraint-axis-text": (
        hidden(kernel_constraint={"name": "unit_norm", "axis": "x"}),
        "layers[0].kernel_constraint.axis: got 'x'; UnitNorm's axis must be a whole number (an axis index), such as -1",
    ),
    "loss-axis-text": (
        tiny_config(loss={"name": "binary_crossentropy", "axis": "x"}),
        "loss.axis: got 'x'; BinaryCrossentropy's axis must be a whole number",
    ),
    "loss-scale-factor-text": (
        optimizer(loss_scale_factor="x"),
        "optimizer.loss_scale_factor: got 'x'; Adam's loss_scale_factor must be a number > 0",
    ),
    "gradient-accumulation-text": (
        optimizer(gradient_accumulation_steps="x"),
        "optimizer.gradient_accumulation_steps: got 'x'; Adam's gradient_accumulation_steps must be a whole number > 0",
    ),
    "initializer-seed-text": (
        hidden(kernel_initializer={"name": "he_normal", "seed": "x"}),
        "layers[0].kernel_initializer.seed: got 'x'; HeNormal's seed must be a whole number >= 0",
    ),
    "constraint-name-case": (
        hidden(kernel_constraint="maxnorm"),
        "layers[0].kernel_constraint: got 'maxnorm'; unknown constraint (did you mean 'max_norm'?)",
    ),
    "constraint-camel-lower": (
        hidden(kernel_constraint="nonneg"),
        "layers[0].kernel_constraint: got 'nonneg'; unknown constraint (did you mean 'non_neg'?)",
    ),
    "initializer-name-case": (
        hidden(kernel_initializer="henormal"),
        "layers[0].kernel_initializer: got 'henormal'; unknown initializer (did you mean 'he_normal'?)",
    ),
    "regularizer-name-case": (
        hidden(kernel_regularizer="l1L2"),
        "layers[0].kernel_regularizer: got 'l1L2'; unknown regularizer (did you mean 'l1l2'?)",
    ),
    "loss-name-case": (
        tiny_config(loss="BINARY_CROSSENTROPY"),
        "loss: got 'BINARY_CROSSENTROPY'; unknown loss (did you mean 'binary_crossentropy'?)",
    ),
    "metric-name-case": (tiny_config(metrics=["Mae"]), "metrics[0]: got 'Mae'; unknown metric (did you mean 'mae'?)"),
}
# Refused by Keras itself, when the model is built: plain check cannot know.
DEEP_ONLY = {
    "clipnorm-and-clipvalue": (
        optimizer(clipnorm=1, clipvalue=1),
        "optimizer.clipvalue: got 1; Adam refuses it: Only one of clipnorm, clipvalue and global_clipnorm can be set",
    ),
    "conv-kernel-size-zero": (
        before({"type": "Conv1D", "filters": 2, "kernel_size": 0}, {"type": "Flatten"}),
        "layers[0].kernel_size: got 0; Conv1D refuses it: The kernel_size argument must be a tuple "
        "of 1 integers (value > 0)",
    ),
    "conv-strides-text": (
        before({"type": "Conv1D", "filters": 2, "kernel_size": 1, "strides": "a"}, {"type": "Flatten"}),
        "layers[0].strides: got 'a'; Conv1D refuses it: The strides argument must be a tuple of 1 integers",
    ),
    "constraint-axis-beyond-the-kernel": (
        hidden(kernel_constraint={"name": "max_norm", "axis": 5}),
        "layers[0].kernel_constraint.axis: got 5; MaxNorm's axis must be from -2 to 1 "
        "for this layer's kernel (shape (2, 4)), such as -1",
    ),
    "loss-axis-beyond-the-outputs": (
        tiny_config(loss={"name": "binary_crossentropy", "axis": 3}),
        "loss.axis: got 3; BinaryCrossentropy's axis must be from -2 to 1 for this model's "
        "outputs (shape (2, 1)), such as -1",
    ),
    "negative-slope-as-written": (
        before({"type": "LeakyReLU", "negative_slope": -1}),
        "layers[0].negative_slope: got -1; LeakyReLU refuses it: The negative_slope value of a "
        "Leaky ReLU layer cannot be None or negative value",
    ),
    "accuracy-on-csv-prices": (
        None,
        "metrics[0]: got 'accuracy', a classification metric, but loss mse makes this a "
        "regression (one number per row, such as 48.9)",
    ),
}
# Meaningful, so accepted by both.
GOOD = {
    "learning-rate-whole-number": optimizer(learning_rate=1),
    "accuracy-on-0-1-regression": regression("accuracy", "mae"),  # the seeds' perceptrons: mse on 0/1, accuracy
    "brier-score-and-auc": tiny_config(metrics=["accuracy", "mse", "auc", "AUC", "precision", "recall", "f1_score"]),
    "regression-metrics": regression("mae", "r2_score", "RootMeanSquaredError", y=PRICES),
    "one-hot-metrics": classes(
        "categorical_crossentropy", "accuracy", "auc", "mse", "categorical_accuracy", "binary_accuracy"
    ),
    "class-id-metrics": classes("sparse_categorical_crossentropy", "acc", "sparse_top_k_categorical_accuracy"),
    "regularizer-whole-number": hidden(kernel_regularizer={"name": "l2", "l2": 1}, kernel_initializer="he_normal"),
    "optimizer-name-in-any-case": tiny_config(optimizer="Adam"),  # Keras lower-cases optimizer names, only those
    "whole-number-arguments": tiny_config(
        metrics=[{"name": "auc", "num_thresholds": 200.0}, {"name": "precision", "thresholds": [0.3, 0.7]}],
        loss={"name": "binary_crossentropy", "axis": -1},
    ),
    "constraint-arguments": hidden(
        kernel_constraint={"name": "max_norm", "max_value": 3, "axis": 0}, bias_constraint="NonNeg"
    ),
}


def csv_prices(tmp_path) -> dict:
    (tmp_path / "homes.csv").write_text("rooms,price\n" + "".join(f"{i % 5},{p}\n" for i, p in enumerate(PRICES)))
    return tiny_config(dataset={"path": "homes.csv", "test": 0}, loss="mse", layers=[HIDDEN, LINEAR])


@pytest.fixture
def keras_only(monkeypatch):
    """Plain check's lists switched off, as with another Keras version: model.build meets every name."""
    monkeypatch.setattr(keras_names, "catalog", lambda: None)


def located(message: str) -> str:
    assert re.match(r"\S*exp\.yaml:\d+: ", message), message
    return re.sub(r"^\S*exp\.yaml:\d+: ", "", message)


@pytest.mark.parametrize("name", list(BOTH))
def test_plain_check_refuses_at_the_key(cli, write_config, name):
    config, expected = BOTH[name]
    assert located(one_error(cli("check", write_config(config)))).startswith(expected)


@pytest.mark.parametrize("name", list(BOTH))
def test_building_the_model_refuses_at_the_same_key_with_the_same_words(cli, write_config, keras_only, name):
    config, expected = BOTH[name]
    assert located(one_error(cli("check", write_config(config), "--deep"))).startswith(expected)


@pytest.mark.parametrize("name", list(DEEP_ONLY))
def test_what_keras_refuses_is_reported_at_the_argument_it_names(cli, write_config, tmp_path, name):
    config, expected = DEEP_ONLY[name]
    path = write_config(config if config is not None else csv_prices(tmp_path))
    assert cli("check", path).exit_code == 0
    assert located(one_error(cli("check", path, "--deep"))).startswith(expected)


@pytest.mark.parametrize("deep", [False, True])
@pytest.mark.parametrize("name", list(GOOD))
def test_meaningful_choices_are_accepted(cli, write_config, name, deep):
    result = cli("check", write_config(GOOD[name]), *(["--deep"] if deep else []))
    assert result.exit_code == 0, result.stderr


def test_a_whole_number_is_the_float_keras_wants():
    problems = keras_names.check_arguments(
        None,
        ("optimizer",),
        "Adam",
        {"learning_rate": "float", "amsgrad": "bool", "factor": "float"},
        {"learning_rate": 1, "amsgrad": False, "factor": [0, 1]},
    )
    assert problems == {"learning_rate": 1.0, "amsgrad": False, "factor": [0.0, 1.0]}
    assert isinstance(problems["learning_rate"], float)


def test_a_whole_learning_rate_trains(cli, write_config, tmp_path):
    result = cli(
        "train", write_config(optimizer(learning_rate=1)), "--runs-dir", tmp_path / "runs", "-q", "--set", "epochs=1"
    )
    assert result.exit_code == 0, result.stderr
    (run,) = (tmp_path / "runs").iterdir()
    assert json.loads((run / "metrics.json").read_text())["config"]["optimizer"]["learning_rate"] == 1


def test_the_set_that_gave_the_value_is_blamed_not_an_earlier_one(cli, write_config):
    path = write_config(tiny_config())
    message = one_error(cli("check", path, "--set", "optimizer=adam", "--set", "optimizer.learning_rate=-1"))
    assert message.startswith("--set optimizer.learning_rate=-1: optimizer.learning_rate: got -1;")


def test_the_lists_match_the_installed_keras():
    """Fails after a Keras upgrade: run `python -m nnrun.engine.keras_names_json` and commit keras_names.json."""
    import_keras()
    from nnrun.engine.keras_names_json import generate

    assert json.loads(keras_names.DATA.read_text(encoding="utf-8")) == json.loads(json.dumps(generate()))


def test_plain_check_does_not_use_lists_made_for_another_keras(monkeypatch, tmp_path):
    data = json.loads(keras_names.DATA.read_text(encoding="utf-8"))
    other = tmp_path / "names.json"
    other.write_text(json.dumps({**data, "keras": "0.0.1"}))
    monkeypatch.setattr(keras_names, "DATA", other)
    keras_names.catalog.cache_clear()
    try:
        assert keras_names.catalog() is None
    finally:
        keras_names.catalog.cache_clear()


def test_summary_counts_the_model_not_the_optimizer_state():
    keras = import_keras()
    from nnrun.config.load import build_spec
    from nnrun.engine.model import param_counts
    from nnrun.engine.train import summary_text

    model = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(4), keras.layers.BatchNormalization(), keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)  # Keras's own totals now add Adam's moments
    assert param_counts(model) == (33, 25)
    text = summary_text(build_spec(tiny_config(), None, None), model)
    assert "\nmodel: 33 params (25 trainable, 8 non-trainable)\n" in text
    assert "Total params" not in text and "Optimizer params" not in text


def test_every_place_gives_the_same_count(cli, write_config, tmp_path):
    config = tiny_config(layers=[HIDDEN, {"type": "BatchNormalization"}, SIGMOID], epochs=1)
    result = cli("train", write_config(config), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 0, result.stderr
    (run,) = (tmp_path / "runs").iterdir()
    assert "exp: 33 params (25 trainable, 8 non-trainable), 1 epoch" in result.stdout
    assert "\nmodel: 33 params (25 trainable, 8 non-trainable)\n" in (run / "summary.txt").read_text(encoding="utf-8")
    metrics = json.loads((run / "metrics.json").read_text())
    assert (metrics["params"], metrics["trainable_params"]) == (33, 25)
    assert "params: 33 (25 trainable, 8 non-trainable)" in cli("show", run).stdout
