"""A catalogue of bad inputs: every one is answered the same way.

Whatever the user gets wrong (the YAML file, a key, a value, a `--set`, the data file, the folds, the model's
output layer, a predict input or run folder), nnrun must exit with code 2, print exactly one `error:` line on
stderr (`note:` lines aside) that names the key path or file, the value received and what would be valid,
print no traceback and no resolved config, and write nothing: no run folder, no predictions file.

Every row is rejected before training starts, on data the test writes itself, so the module runs in seconds.
"""

from __future__ import annotations

import re
import shutil
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from helpers import BASE_YAML, import_keras, run_cli, tiny_config  # BASE_YAML: line 8 is epochs
from sweep_inputs import BASE, REFUSALS

Fragment = str | re.Pattern

# The OR gate of tiny_config, as a headered CSV: 16 rows, two numeric features, target column y.
OR_ROWS = ["0,0,0", "0,1,1", "1,0,1", "1,1,1"] * 4
GOOD_CSV = "a,b,y\n" + "\n".join(OR_ROWS) + "\n"
# The start of a PNG image: the binary file a user may pass by mistake.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 3


@dataclass(frozen=True)
class Case:
    """One bad input and the three things its error line must name.

    `config` is written to exp.yaml (a dict, or raw text or bytes); `files` are written next to it (None makes
    a folder); `argv` follows the command, with {config}, {tmp} and {run} (the trained run) filled in.
    `where`, `got` and `valid` are substrings of the error line, or patterns searched in it."""

    id: str
    where: Fragment
    got: Fragment
    valid: Fragment
    config: dict | str | bytes | None = None
    files: dict[str, str | bytes | None] = field(default_factory=dict)
    argv: tuple[str, ...] = ("{config}",)
    command: str = "train"
    setup: Callable | None = None  # (tmp_path, monkeypatch, trained run or None), for what files cannot express


def at(keypath: str) -> re.Pattern:
    """The error's location in exp.yaml: file, line and key path."""
    return re.compile(rf"exp\.yaml:\d+: {re.escape(keypath)}: ")


def by_set(argument: str, keypath: str) -> str:
    """The error's location when a --set gave the value: the argument, then the key path."""
    return f"--set {argument}: {keypath}: "


def then_what(problem: str) -> re.Pattern:
    """The problem, then after a semicolon what to do about it."""
    return re.compile(re.escape(problem) + r".*; \w")


def with_dataset(**values) -> dict:
    config = tiny_config()
    config["dataset"].update(values)
    return config


def with_layers(*layers: dict) -> dict:
    return tiny_config(layers=list(layers))


def on_csv(**dataset) -> dict:
    """tiny_config reading data.csv (written next to the config) instead of inline rows."""
    return tiny_config(dataset={"path": "data.csv", "test": 0, **dataset})


def csv_rows(*rows: str, header: str = "a,b,y") -> str:
    return "\n".join([header, *rows]) + "\n"


def unreadable(tmp_path: Path, monkeypatch, run: Path | None) -> None:
    """data.csv cannot be opened. chmod 000 does not stop root (as CI and this container run), so the
    operating system's refusal is raised where nnrun opens the file."""
    import pandas

    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(pandas, "read_csv", refuse)


def no_gpu(tmp_path: Path, monkeypatch, run: Path | None) -> None:
    """A machine without a GPU or its driver, as every backend sees it (also where the tests run on a GPU)."""
    from nnrun.engine import backend

    monkeypatch.setattr(backend, "gpu_devices", lambda name: [])
    monkeypatch.setattr(backend, "nvidia_gpu_present", lambda: False)
    monkeypatch.setattr(backend, "jax_has_cuda", lambda: True)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)


def changed_keras_archive(tmp_path: Path, monkeypatch, run: Path | None) -> None:
    """Keras's cache holds a boston_housing.npz that is not Keras's (Keras would delete it); the file must stay.
    Keras is imported first: on its first import it writes keras.json into $KERAS_HOME."""
    import_keras()
    archive = tmp_path / "keras-home" / "datasets" / "boston_housing.npz"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip archive
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))


def changed_fashion_mnist_file(tmp_path: Path, monkeypatch, run: Path | None) -> None:
    """Keras's cache holds a fashion-mnist file that is not the published one (Keras pins no hash for it)."""
    import_keras()
    folder = tmp_path / "keras-home" / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b" + bytes(10))  # a gzip header, cut short
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))


def run_without_model(tmp_path: Path, monkeypatch, run: Path) -> None:
    """A copy of the trained run whose model.keras is gone (a run that failed before saving it)."""
    shutil.copytree(run, tmp_path / "no-model")
    (tmp_path / "no-model" / "model.keras").unlink()


def failed_run(tmp_path: Path, monkeypatch, run: Path) -> None:
    """A run that failed before it saved a model: its metrics.json says so."""
    (tmp_path / "failed").mkdir()
    (tmp_path / "failed" / "metrics.json").write_text('{"status": "failed", "kind": "train"}')


# Rows sorted by class, as many published files are: the last rows are all class 1, the first all class 0.
SORTED = {"x": [[i, i % 3] for i in range(16)], "y": [0] * 8 + [1] * 8}

PREDICT_TAKES = "predict takes the feature columns a, b and optionally the target 'y'"

CASES = [
    # --- the YAML file itself ---
    Case(
        "yaml-syntax-error",
        config="dataset:\n  test: 0.2\n layers: []\n",
        where=re.compile(r"exp\.yaml:3:\d+: YAML syntax error"),
        got="'<block mapping start>'",
        valid="indented differently from the lines above it",
    ),
    Case(
        "yaml-unclosed-list",
        config="epochs: 3\nmetrics: [accuracy, mae\n",
        where=re.compile(r"exp\.yaml:3:1: YAML syntax error"),
        got="got '<stream end>'",
        valid="a [ list is not closed with ]",
    ),
    Case(
        "yaml-tab-indent",
        config="epochs: 3\n\tname: x\n",
        where=re.compile(r"exp\.yaml:2:1: YAML syntax error"),
        got="found character '\\t'",
        valid="indented with spaces, never tabs",
    ),
    Case(
        "yaml-text-after-quotes",
        config="epochs: 3\nname: 'it's'\n",
        where=re.compile(r"exp\.yaml:2:\d+: YAML syntax error"),
        got="but found '<scalar>'",
        valid="quote the whole value, in double quotes",
    ),
    Case(
        "yaml-reserved-character",
        config="epochs: 3\nname: @home\n",
        where=re.compile(r"exp\.yaml:2:7: YAML syntax error"),
        got="found character '@'",
        valid="quote it",
    ),
    Case(
        "yaml-two-colons",
        config=BASE_YAML + "name: a: b\n",
        where=re.compile(r"exp\.yaml:9:\d+: YAML syntax error"),
        got="mapping values are not allowed here",
        valid="quote the value",
    ),
    Case(
        "empty-file",
        config="",
        where="exp.yaml: ",
        got="the config is empty",
        valid="it needs at least dataset, layers, loss and epochs",
    ),
    Case(
        "top-level-list",
        config="- dataset: x\n- epochs: 3\n",
        where="exp.yaml: ",
        got="got [{dataset: x}, {epochs: 3}]",
        valid="the top level must be a mapping of keys",
    ),
    Case("top-level-scalar", config="42\n", where="exp.yaml: ", got="got 42", valid="must be a mapping of keys"),
    Case(
        "duplicate-key",
        config=BASE_YAML + "epochs: 5\n",
        where="exp.yaml:9:1: key 'epochs'",
        got="appears twice (first on line 8)",
        valid="keep one",
    ),
    Case(
        "python-object-tag",
        config=BASE_YAML.replace("epochs: 3", "epochs: !!python/object/apply:os.system ['true']"),
        where=re.compile(r"exp\.yaml:8:\d+: "),
        got="the tag !!python/object/apply:os.system",
        valid="nnrun reads plain YAML only, never Python objects",
    ),
    Case(
        "config-not-utf8",
        config=BASE_YAML.replace("epochs: 3", "name: caf\xe9\nepochs: 3").encode("latin-1"),
        where="exp.yaml: ",
        got="byte 0xe9",
        valid="save it as UTF-8",
    ),
    Case(
        "config-missing",
        argv=("{tmp}/nope.yaml",),
        where="nope.yaml: ",
        got="no such config file",
        valid=then_what("no such config file"),
    ),
    Case(
        "config-argument-missing",
        argv=(),
        where="nnrun train: ",
        got="Missing argument 'CONFIG'",
        valid="usage: nnrun train [OPTIONS] {CONFIG}",
    ),
    Case(
        "config-is-a-directory",
        files={"configs": None},
        argv=("{tmp}/configs",),
        where="configs: ",
        got="is a directory",
        valid="give a YAML config file",
    ),
    Case(
        "yaml-unclosed-mapping",
        config=BASE_YAML.replace("  test: 0\n", "  test: {fraction: 0.2\n"),
        where=re.compile(r"exp\.yaml:4:\d+: YAML syntax error"),
        got="expected ',' or '}'",
        valid="the { was opened at line 3, column 9",
    ),
    Case(
        "yaml-unclosed-quote",
        config=BASE_YAML + "name: 'pima\n",
        where=re.compile(r"exp\.yaml:10:1: YAML syntax error"),
        got="found unexpected end of stream",
        valid="the quote was opened at line 9, column 7",
    ),
    # --- keys ---
    Case(
        "unknown-top-key",
        config=BASE_YAML + "epoch: 5\n",
        where=at("epoch"),
        got="unknown key",
        valid="(did you mean 'epochs'?); valid keys here: name, seed, backend",
    ),
    Case(
        "unknown-dataset-key",
        config=with_dataset(tset=0.3),
        where=at("dataset.tset"),
        got="unknown key",
        valid="(did you mean 'test'?); valid keys here: path, source, inline",
    ),
    Case(
        "unknown-layer-argument",
        config=with_layers({"type": "Dense", "unit": 1}),
        where=at("layers[0].unit"),
        got="no argument 'unit'",
        valid="did you mean 'units'?",
    ),
    Case(
        "keras-2-optimizer-argument",
        config=tiny_config(optimizer={"name": "sgd", "lr": 0.1}),
        where=at("optimizer.lr"),
        got="no argument 'lr'",
        valid="Keras 3 calls it 'learning_rate'",
    ),
    Case(
        "required-key-missing",
        config={k: v for k, v in tiny_config().items() if k != "loss"},
        where=at("loss"),
        got="required key is missing",
        valid="e.g. loss: binary_crossentropy",
    ),
    Case(
        "misspelt-required-key",
        config=BASE_YAML.replace("epochs: 3", "epoch: 3"),
        where=at("epoch"),
        got="unknown key",
        valid="(did you mean 'epochs'? it is required); valid keys here: name, seed, backend",
    ),
    Case(
        "check-val-monitor-without-validation",
        command="check",
        config=tiny_config(early_stopping={"monitor": "val_accuracy"}),
        where=at("early_stopping.monitor"),
        got="got val_accuracy",
        valid="set dataset.validation (e.g. 0.2) or monitor: loss",
    ),
    Case(
        "misspelt-layer-type",
        config=with_layers({"typ": "Dense", "units": 1, "activation": "sigmoid"}),
        where=at("layers[0].typ"),
        got="unknown key",
        valid="(did you mean 'type'? it is required); e.g. type: Dense",
    ),
    # --- wrong types and ranges ---
    Case(
        "epochs-text",
        config=tiny_config(epochs="ten"),
        where=at("epochs"),
        got="got ten",
        valid="must be a valid integer",
    ),
    Case("epochs-zero", config=tiny_config(epochs=0), where=at("epochs"), got="got 0", valid="must be greater than 0"),
    Case(
        "epochs-negative",
        config=tiny_config(epochs=-5),
        where=at("epochs"),
        got="got -5",
        valid="must be greater than 0",
    ),
    Case(
        "batch-size-zero",
        config=tiny_config(batch_size=0),
        where=at("batch_size"),
        got="got 0",
        valid="must be greater than 0",
    ),
    Case(
        "batch-size-negative",
        config=tiny_config(batch_size=-1),
        where=at("batch_size"),
        got="got -1",
        valid="must be greater than 0",
    ),
    Case(
        "batch-size-list",
        config=tiny_config(batch_size=[4]),
        where=at("batch_size"),
        got="got [4]",
        valid="must be a valid integer",
    ),
    Case(
        "units-zero",
        config=with_layers({"type": "Dense", "units": 0}),
        where=at("layers[0].units"),
        got="got 0",
        valid="must be greater than 0",
    ),
    Case(
        "units-negative",
        config=with_layers({"type": "Dense", "units": -3}),
        where=at("layers[0].units"),
        got="got -3",
        valid="must be greater than 0",
    ),
    Case(
        "layers-mapping",
        config=tiny_config(layers={"type": "Dense", "units": 1}),
        where=at("layers"),
        got="got {type: Dense, units: 1}",
        valid="must be a valid list",
    ),
    Case(
        "validation-one",
        config=with_dataset(validation=1.0),
        where=at("dataset.validation"),
        got="got 1.0",
        valid="0 <= f < 1",
    ),
    Case(
        "unknown-scale",
        config=with_dataset(scale="zscore"),
        where=at("dataset.scale"),
        got="got zscore",
        valid="must be one of none, standard, minmax",
    ),
    Case(
        "unknown-backend",
        config=tiny_config(backend="theano"),
        where=at("backend"),
        got="got theano",
        valid="'jax', 'tensorflow' or 'torch'",
    ),
    Case(
        "unknown-source",
        config=tiny_config(dataset={"source": "sklearn:irsi"}),
        where=at("dataset.source"),
        got="got sklearn:irsi",
        valid="(did you mean 'sklearn:iris'?); valid: sklearn:iris",
    ),
    Case(
        "inline-lengths",
        config=with_dataset(inline={"x": [[0, 1], [1, 0], [1, 1]], "y": [1, 0]}),
        where=at("dataset.inline"),
        got="x has 3 rows but y has 2 values",
        valid="give one y value per row of x",
    ),
    # --- Keras names and arguments, checked when the model is built ---
    Case(
        "unknown-layer",
        config=with_layers({"type": "Dense2", "units": 1}),
        where=at("layers[0].type"),
        got="got 'Dense2'",
        valid="did you mean 'Dense'?",
    ),
    Case(
        "unknown-activation",
        config=with_layers({"type": "Dense", "units": 1, "activation": "sigmoidd"}),
        where=at("layers[0].activation"),
        got="got 'sigmoidd'",
        valid="did you mean 'sigmoid'?",
    ),
    Case(
        "unknown-default-activation",
        config=tiny_config(activation="rellu"),
        where=at("activation"),
        got="got 'rellu'",
        valid="did you mean 'relu'?",
    ),
    Case(
        "unknown-initializer",
        config=with_layers({"type": "Dense", "units": 1, "activation": "sigmoid", "kernel_initializer": "he_normall"}),
        where=at("layers[0].kernel_initializer"),
        got="got 'he_normall'",
        valid="did you mean 'he_normal'?",
    ),
    Case(
        "unknown-optimizer",
        config=tiny_config(optimizer="adamm"),
        where=at("optimizer"),
        got="got 'adamm'",
        valid="did you mean 'adam'?",
    ),
    Case(
        "unknown-loss",
        config=tiny_config(loss="binary_crossentropyy"),
        where=at("loss"),
        got="got 'binary_crossentropyy'",
        valid="did you mean 'binary_crossentropy'?",
    ),
    Case(
        "unknown-metric",
        config=tiny_config(metrics=["accuracy", "aucc"]),
        where=at("metrics[1]"),
        got="got 'aucc'",
        valid="did you mean 'auc'?",
    ),
    Case(
        "dense-without-units",
        config=with_layers({"type": "Dense"}),
        where=at("layers[0]"),
        got="Dense needs units",
        valid="e.g. units: 8",
    ),
    Case(
        "layer-argument-value",
        config=tiny_config(layers=[{"type": "Dropout", "rate": 1.5}, *tiny_config()["layers"]]),
        where=at("layers[0].rate"),
        got="got 1.5",
        valid="must be less than 1",
    ),
    Case(
        "lambda-layer",
        config=tiny_config(layers=[{"type": "Lambda", "function": "lambda x: x"}, *tiny_config()["layers"]]),
        where=at("layers[0].type"),
        got="got 'Lambda'",
        valid="use Keras layers that do the same",
    ),
    Case(
        "learning-rate-text",
        config=tiny_config(optimizer={"name": "adam", "learning_rate": "big"}),
        where=at("optimizer.learning_rate"),
        got="got 'big'",
        valid="must be a number > 0, such as 0.001",
    ),
    Case(
        "beta-1-above-one",
        config=tiny_config(optimizer={"name": "adam", "beta_1": 2}),
        where=at("optimizer.beta_1"),
        got="got 2",
        valid="must be a number from 0 to below 1",
    ),
    Case(
        "momentum-negative",
        config=tiny_config(optimizer={"name": "sgd", "momentum": -1}),
        where=at("optimizer.momentum"),
        got="got -1",
        valid="must be a number from 0 to 1",
    ),
    Case(
        "epsilon-text",
        config=tiny_config(optimizer={"name": "adam", "epsilon": "x"}),
        where=at("optimizer.epsilon"),
        got="got 'x'",
        valid="must be a number >= 0",
    ),
    Case(
        "clipnorm-and-clipvalue",
        config=tiny_config(optimizer={"name": "adam", "clipnorm": 1, "clipvalue": 1}),
        where=at("optimizer.clipvalue"),
        got="got 1",
        valid="Only one of clipnorm, clipvalue and global_clipnorm",
    ),
    Case(
        "initializer-stddev-negative",
        config=with_layers(
            {
                "type": "Dense",
                "units": 1,
                "activation": "sigmoid",
                "kernel_initializer": {"name": "random_normal", "stddev": -1},
            }
        ),
        where=at("layers[0].kernel_initializer.stddev"),
        got="got -1",
        valid="must be a number >= 0",
    ),
    Case(
        "regularizer-text",
        config=with_layers(
            {"type": "Dense", "units": 1, "activation": "sigmoid", "kernel_regularizer": {"name": "l2", "l2": "big"}}
        ),
        where=at("layers[0].kernel_regularizer.l2"),
        got="got 'big'",
        valid="must be a number >= 0",
    ),
    Case(
        "conv-kernel-size-zero",
        config=tiny_config(
            layers=[{"type": "Conv1D", "filters": 2, "kernel_size": 0}, {"type": "Flatten"}, *tiny_config()["layers"]]
        ),
        where=at("layers[0].kernel_size"),
        got="got 0",
        valid="must be a tuple of 1 integers (value > 0)",
    ),
    Case(
        "lstm-dropout-above-one",
        config=tiny_config(
            layers=[
                {"type": "Reshape", "target_shape": [2, 1]},
                {"type": "LSTM", "units": 2, "dropout": 2},
                *tiny_config()["layers"],
            ]
        ),
        where=at("layers[1].dropout"),
        got="got 2",
        valid="must be a fraction from 0 to below 1",
    ),
    Case(
        "auc-thresholds-one",
        config=tiny_config(metrics=[{"name": "auc", "num_thresholds": 1}]),
        where=at("metrics[0].num_thresholds"),
        got="got 1",
        valid="must be a whole number > 1, such as 200",
    ),
    Case(
        "auc-thresholds-text",
        config=tiny_config(metrics=[{"name": "auc", "num_thresholds": "x"}]),
        where=at("metrics[0].num_thresholds"),
        got="got 'x'",
        valid="must be a whole number > 1",
    ),
    Case(
        "constraint-name-case",
        config=with_layers({"type": "Dense", "units": 1, "activation": "sigmoid", "kernel_constraint": "maxnorm"}),
        where=at("layers[0].kernel_constraint"),
        got="got 'maxnorm'",
        valid="did you mean 'max_norm'?",
    ),
    Case(
        "metric-name-case",
        config=tiny_config(metrics=["Mae"]),
        where=at("metrics[0]"),
        got="got 'Mae'",
        valid="did you mean 'mae'?",
    ),
    Case(
        "constraint-argument-text",
        config=with_layers(
            {
                "type": "Dense",
                "units": 1,
                "activation": "sigmoid",
                "kernel_constraint": {"name": "max_norm", "max_value": "x"},
            }
        ),
        where=at("layers[0].kernel_constraint.max_value"),
        got="got 'x'",
        valid="must be a number > 0, such as 2",
    ),
    Case(
        "constraint-axis-beyond-the-kernel",
        config=with_layers(
            {
                "type": "Dense",
                "units": 1,
                "activation": "sigmoid",
                "kernel_constraint": {"name": "unit_norm", "axis": 5},
            }
        ),
        where=at("layers[0].kernel_constraint.axis"),
        got="got 5",
        valid="must be from -2 to 1 for this layer's kernel",
    ),
    Case(
        "loss-axis-beyond-the-outputs",
        config=tiny_config(loss={"name": "binary_crossentropy", "axis": 3}),
        where=at("loss.axis"),
        got="got 3",
        valid="must be from -2 to 1 for this model's outputs",
    ),
    # --- the output layer against the loss and the classes ---
    Case(
        "output-units-for-binary-loss",
        config=with_layers({"type": "Dense", "units": 2, "activation": "softmax"}),
        where=at("layers[0]"),
        got="the output has 2 units",
        valid="write {type: Dense, units: 1, activation: sigmoid}",
    ),
    Case(
        "output-activation-for-binary-loss",
        config=with_layers({"type": "Dense", "units": 1, "activation": "softmax"}),
        where=at("layers[0].activation"),
        got="got softmax",
        valid="write activation: sigmoid",
    ),
    Case(
        "output-units-for-classes",
        config=tiny_config(loss="sparse_categorical_crossentropy"),
        where=at("layers[1]"),
        got="the output has 1 unit with sigmoid,",
        valid="write units: 2, activation: softmax; or keep 1 unit with "
        "activation: sigmoid and use loss: binary_crossentropy, the simpler choice for two classes",
    ),
    Case(
        "binary-loss-three-classes",
        config=with_dataset(inline={"x": [[0], [1], [2]] * 4, "y": [0, 1, 2] * 4}),
        where=at("loss"),
        got="got binary_crossentropy",
        valid="use loss: sparse_categorical_crossentropy",
    ),
    Case(
        "early-stopping-without-validation",
        config=tiny_config(early_stopping={"monitor": "val_loss"}),
        where=at("early_stopping.monitor"),
        got="got val_loss",
        valid="set dataset.validation",
    ),
    Case(
        "categorical-loss-one-sigmoid-unit",
        config=tiny_config(loss="categorical_crossentropy"),
        where=at("layers[1]"),
        got="the output has 1 unit with sigmoid",
        valid="write units: 2, activation: softmax; or keep 1 unit with activation: sigmoid and use loss: "
        "binary_crossentropy, the simpler choice for two classes",
    ),
    Case(
        "accuracy-on-regression",
        config=on_csv(target="price")
        | {"loss": "mse", "layers": [{"type": "Dense", "units": 4}, {"type": "Dense", "units": 1}]},
        files={"data.csv": csv_rows("1,2,245000", "2,3,310000", "3,1,198000", "1,1,150000", header="a,b,price")},
        where=at("metrics[0]"),
        got="got 'accuracy', a classification metric, but loss mse makes this a regression",
        valid="use mae, mse, root_mean_squared_error or r2_score",
    ),
    Case(
        "regression-metric-on-class-ids",
        config=tiny_config(
            loss="sparse_categorical_crossentropy",
            metrics=["mae"],
            layers=[{"type": "Dense", "units": 2, "activation": "softmax"}],
        ),
        where=at("metrics[0]"),
        got="got 'mae', which expects targets shaped like the output",
        valid="use accuracy, sparse_categorical_accuracy or sparse_top_k_categorical_accuracy",
    ),
    Case(
        "pearson-on-one-output",
        config=tiny_config(metrics=["pearson_correlation"]),
        where=at("metrics[0]"),
        got="got 'pearson_correlation', which compares the outputs within each row",
        valid="use accuracy, auc",
    ),
    # --- --set ---
    Case(
        "set-unknown-key",
        config=tiny_config(),
        argv=("{config}", "--set", "epoch=5"),
        where=by_set("epoch=5", "epoch"),
        got="unknown key",
        valid="(did you mean 'epochs'?); valid keys here: name",
    ),
    Case(
        "set-missing-index",
        config=tiny_config(),
        argv=("{config}", "--set", "layers[5].units=16"),
        where="--set layers[5].units=16: layers",
        got="[5] does not exist",
        valid="valid: 0 to 1",
    ),
    Case(
        "set-unparsable-value",
        config=tiny_config(),
        argv=("{config}", "--set", "metrics=[1,"),
        where="--set metrics=[1,: ",
        got="cannot read the value '[1,' as YAML",
        valid=re.compile(r"as YAML: \S"),
    ),
    Case(
        "set-without-equals",
        config=tiny_config(),
        argv=("{config}", "--set", "epochs"),
        where="--set ",
        got="--set epochs: ",
        valid="expected key.path=value, e.g. --set optimizer.learning_rate=0.01",
    ),
    Case(
        "set-wrong-type",
        config=tiny_config(),
        argv=("{config}", "--set", "epochs=ten"),
        where=by_set("epochs=ten", "epochs"),
        got="got ten",
        valid="must be a valid integer",
    ),
    Case(
        "set-most-specific-blamed",
        config=tiny_config(),
        argv=("{config}", "--set", "optimizer=adam", "--set", "optimizer.lr=0.1"),
        where=by_set("optimizer.lr=0.1", "optimizer.lr"),
        got="no argument 'lr'",
        valid="Keras 3 calls it 'learning_rate'",
    ),
    Case(
        "set-learning-rate-text",
        config=tiny_config(),
        argv=("{config}", "--set", "optimizer.learning_rate=big"),
        where=by_set("optimizer.learning_rate=big", "optimizer.learning_rate"),
        got="got 'big'",
        valid="must be a number > 0",
    ),
    Case(
        "set-misspelled-activation",
        config=tiny_config(),
        argv=("{config}", "--set", "layers[0].activation=rleu"),
        where=by_set("layers[0].activation=rleu", "layers[0].activation"),
        got="got 'rleu'",
        valid="did you mean 'relu'?",
    ),
    Case(
        "set-constraint-argument-text",
        config=tiny_config(
            layers=[
                {"type": "Dense", "units": 4, "kernel_constraint": {"name": "max_norm"}},
                tiny_config()["layers"][-1],
            ]
        ),
        argv=("{config}", "--set", "layers[0].kernel_constraint.max_value=abc"),
        where=by_set("layers[0].kernel_constraint.max_value=abc", "layers[0].kernel_constraint.max_value"),
        got="got 'abc'",
        valid="must be a number > 0",
    ),
    Case(
        "set-output-units-blamed-on-units",
        config=tiny_config(),
        argv=("{config}", "--set", "layers[1].units=3", "--set", "layers[1].activation=softmax"),
        where=by_set("layers[1].units=3", "layers[1]"),
        got="the output has 3 units",
        valid="write {type: Dense, units: 1, activation: sigmoid}",
    ),
    Case(
        "set-section-without-its-required-key",
        command="check",
        config=tiny_config(),
        argv=("{config}", "--set", "kfold.shuffle=false"),
        where=by_set("kfold.shuffle=false", "kfold.k"),
        got="required key is missing",
        valid="add --set kfold.k=5 or nnrun kfold --k 5",
    ),
    # --- the data file ---
    Case(
        "data-file-missing",
        config=on_csv(path="missing.csv"),
        where=at("dataset.path"),
        got="missing.csv not found",
        valid="set NNRUN_DATA_DIR to the folder that holds it",
    ),
    Case(
        "data-file-unreadable",
        config=on_csv(),
        files={"data.csv": GOOD_CSV},
        setup=unreadable,
        where=at("dataset.path"),
        got="data.csv: cannot read it (Permission denied)",
        valid="check that the file is readable by you",
    ),
    Case(
        "data-file-is-a-directory",
        config=on_csv(path="tables"),
        files={"tables": None},
        where=at("dataset.path"),
        got="tables is a directory",
        valid="give a CSV file",
    ),
    Case(
        "data-file-empty",
        config=on_csv(),
        files={"data.csv": ""},
        where="data.csv: ",
        got="the file is empty",
        valid="a CSV needs at least one row",
    ),
    Case(
        "data-file-header-only",
        config=on_csv(),
        files={"data.csv": "a,b,y\n"},
        where="data.csv: ",
        got="holds a header but no data rows",
        valid=then_what("no data rows"),
    ),
    Case(
        "data-file-compressed",
        config=on_csv(),
        files={"data.csv": b"PK\x03\x04" + zlib.compress(GOOD_CSV.encode())},
        where="data.csv: ",
        got="it holds a zip archive",
        valid="save the sheet as CSV",
    ),
    Case(
        "data-file-latin1",
        config=on_csv(),
        files={"data.csv": GOOD_CSV.replace("a,b,y", "caf\xe9,b,y").encode("latin-1")},
        where="data.csv: ",
        got="not utf-8 text (byte 0xe9",
        valid="set dataset.encoding to the file's encoding",
    ),
    Case(
        "data-file-image",
        config=on_csv(),
        files={"data.csv": PNG},
        where="data.csv: ",
        got="not a CSV text file: it holds a PNG image",
        valid="give a text file of comma-separated rows",
    ),
    Case(
        "data-file-one-column",
        config=on_csv(),
        files={"data.csv": "y\n0\n1\n0\n1\n"},
        where="data.csv: ",
        got="only one column was found",
        valid="at least one feature and a target",
    ),
    Case(
        "data-file-other-separator",
        config=on_csv(),
        files={"data.csv": GOOD_CSV.replace(",", ";")},
        where=at("dataset.separator"),
        got="the default ','",
        valid='set dataset.separator: ";"',
    ),
    Case(
        "data-file-ragged",
        config=on_csv(),
        files={"data.csv": csv_rows(*OR_ROWS[:4], "1,1,1,1")},
        where="data.csv: ",
        got="rows have different numbers of columns",
        valid=re.compile(r"line 6 has 4 cells, the lines before it 3\); check the separator"),
    ),
    Case(
        "target-column-missing",
        config=on_csv(target="z"),
        files={"data.csv": GOOD_CSV},
        where=at("dataset.target"),
        got="got 'z'",
        valid="columns: a, b, y",
    ),
    Case(
        "target-index-out-of-range",
        config=on_csv(target=9),
        files={"data.csv": GOOD_CSV},
        where=at("dataset.target"),
        got="got 9",
        valid="valid indices are 0 to 2",
    ),
    Case(
        "feature-column-missing",
        config=on_csv(features=["a", "c"]),
        files={"data.csv": GOOD_CSV},
        where=at("dataset.features[1]"),
        got="got 'c'",
        valid="columns: a, b, y",
    ),
    Case(
        "single-class-target",
        config=on_csv(),
        files={"data.csv": csv_rows(*["0,1,1", "1,0,1"] * 4)},
        where=at("dataset.target"),
        got="holds a single class (1)",
        valid="a classifier needs at least two",
    ),
    Case(
        "text-feature",
        config=on_csv(),
        files={"data.csv": csv_rows(*OR_ROWS[:3], "1,x,1", *OR_ROWS[4:])},
        where="data.csv: feature column 'b'",
        got="'x' in data row 4",
        valid="features must be numbers",
    ),
    Case(
        "missing-value",
        config=on_csv(),
        files={"data.csv": csv_rows(*OR_ROWS[:5], "1,,1", *OR_ROWS[6:])},
        where="data.csv: ",
        got="(first in data row 6): b: 1 (empty x1)",
        valid="set dataset.missing: drop",
    ),
    Case(
        "text-target-for-regression",
        config={**on_csv(), "loss": "mse", "metrics": []},
        files={"data.csv": csv_rows(*[f"{r[:3]},{'yes' if r[-1] == '1' else 'no'}" for r in OR_ROWS])},
        where=at("dataset.target"),
        got="holds text ('",
        valid="use a classification loss",
    ),
    Case(
        "keras-archive-not-keras-s",
        setup=changed_keras_archive,
        config={
            **tiny_config(dataset={"source": "keras:boston_housing"}),
            "loss": "mse",
            "metrics": ["mae"],
            "layers": [{"type": "Dense", "units": 1}],
        },
        where=at("dataset.source"),
        got=re.compile(
            r"keras:boston_housing: \S+/keras-home/datasets/boston_housing\.npz is not the archive Keras "
            r"publishes \(sha256 [0-9a-f]{64}, expected f553886a1f8d\w{52}\)"
        ),
        valid="delete it so that nnrun downloads it again from https://storage.googleapis.com/tensorflow/"
        "tf-keras-datasets/boston_housing.npz, or replace it with the original from that URL",
    ),
    Case(
        "decimal-commas",
        config=on_csv(separator=";"),
        files={"data.csv": csv_rows("1,5;0;0", "0,5;1;1", header="a;b;y")},
        where="data.csv: feature column 'a'",
        got="numbers written with a decimal comma ('1,5' in data row 1)",
        valid='set dataset.decimal: ","',
    ),
    Case(
        "decimal-commas-wrong-separator",
        config=on_csv(),
        files={"data.csv": csv_rows("1,5;0;0", "0,5;1;1", header="a;b;y")},
        where=at("dataset.separator"),
        got="the default ','",
        valid='set dataset.separator: ";" and dataset.decimal: ","',
    ),
    Case(
        "decimal-same-as-separator",
        config=on_csv(separator=";", decimal=";"),
        files={"data.csv": GOOD_CSV},
        where=at("dataset.decimal"),
        got="got ';'",
        valid="cannot be the decimal mark too",
    ),
    Case(
        "decimal-two-characters",
        config=on_csv(decimal=".."),
        files={"data.csv": GOOD_CSV},
        where=at("dataset.decimal"),
        got="got '..'",
        valid="must be one character",
    ),
    Case(
        "thousands-same-as-decimal",
        config=on_csv(decimal=",", thousands=","),
        files={"data.csv": GOOD_CSV},
        where=at("dataset.thousands"),
        got="got ','",
        valid='use thousands: "."',
    ),
    Case(
        "missing-values-as-text",
        config=on_csv(),
        files={"data.csv": csv_rows("NA,0,0", "1,?,1", "NaN,1,1", *OR_ROWS[3:])},
        where="data.csv: ",
        got="a: 2 ('NA' x1, 'NaN' x1), b: 1 ('?' x1)",
        valid="set dataset.missing: drop",
    ),
    Case(
        "header-false-on-names",
        config=on_csv(header=False),
        files={"data.csv": GOOD_CSV},
        where=at("dataset.header"),
        got="got false, but the first row of data.csv looks like a header ('a', 'b', 'y'",
        valid="set header: true (or leave header: auto)",
    ),
    Case(
        "header-true-on-data",
        config=on_csv(header=True),
        files={"data.csv": GOOD_CSV.split("\n", 1)[1]},
        where=at("dataset.header"),
        got="got true, but the first row of data.csv looks like data ('0', '0', '0': values",
        valid="so it would be read as column names and lost; set header: false, or leave header: auto",
    ),
    Case(
        "separator-given-wrong",
        config=on_csv(separator=";"),
        files={"data.csv": GOOD_CSV},
        where=at("dataset.separator"),
        got="got ';', which reads data.csv as a single column",
        valid='set dataset.separator: ","',
    ),
    Case(
        "no-break-space-thousands",
        config=on_csv(separator=";"),
        files={"data.csv": csv_rows("2\xa0291,32;0;0", "12,5;1;1", "3;0;1", header="a;b;y")},
        where="data.csv: feature column 'a'",
        got="numbers written with a decimal comma and a no-break space between thousands ('2\\xa0291,32' in data row 1)",
        valid='set dataset.decimal: "," and dataset.thousands: "\\u00a0"',
    ),
    Case(
        "narrow-no-break-space-thousands",
        config=on_csv(separator=";", decimal=","),
        files={"data.csv": csv_rows("2\u202f291,32;0;0", "12,5;1;1", "3;0;1", header="a;b;y")},
        where="data.csv: feature column 'a'",
        got="a decimal comma and a narrow no-break space between thousands ('2\\u202f291,32' in data row 1)",
        valid='set dataset.thousands: "\\u202f"',
    ),
    Case(
        "apostrophe-thousands",
        config=on_csv(),
        files={"data.csv": csv_rows("2'291.32,0,0", "12.5,1,1", "3,0,1")},
        where="data.csv: feature column 'a'",
        got="""an apostrophe between thousands ("2'291.32" in data row 1)""",
        valid='set dataset.thousands: "\'"',
    ),
    Case(
        "separator-decimal-and-thousands-at-once",
        config=on_csv(),
        files={"data.csv": csv_rows("1.234,5;0;0", "12,25;1;1", "3;0;1", header="a;b;y")},
        where=at("dataset.separator"),
        got="the default ',' splits data.csv into rows of different lengths",
        valid='set dataset.separator: ";", dataset.decimal: "," and dataset.thousands: "."',
    ),
    Case(
        "fashion-mnist-file-not-the-published-one",
        setup=changed_fashion_mnist_file,
        config={
            **tiny_config(dataset={"source": "keras:fashion_mnist"}),
            "loss": "sparse_categorical_crossentropy",
            "layers": [{"type": "Flatten"}, {"type": "Dense", "units": 10, "activation": "softmax"}],
        },
        where=at("dataset.source"),
        got=re.compile(
            r"keras:fashion_mnist: \S+/keras-home/datasets/fashion-mnist/train-labels-idx1-ubyte\.gz is not "
            r"the archive Keras publishes \(sha256 [0-9a-f]{64}, expected a04f17134ac0\w{52}\)"
        ),
        valid="delete it so that nnrun downloads it again from https://storage.googleapis.com/tensorflow/"
        "tf-keras-datasets/train-labels-idx1-ubyte.gz, or replace it with the original from that URL",
    ),
    # --- splits ---
    Case(
        "test-takes-every-row",
        config=with_dataset(test=16),
        where=at("dataset.test"),
        got="got 16",
        valid="leave at least one row for training",
    ),
    Case(
        "test-fraction-takes-every-row",
        config=with_dataset(test=0.99),
        where=at("dataset.test"),
        got="got 0.99",
        valid="leaves none to train on",
    ),
    Case(
        "validation-takes-every-row",
        config=with_dataset(validation=12),
        where=at("dataset.validation"),
        got="got 12",
        valid="leave at least one to train on",
    ),
    Case(
        "test-last-rows-of-a-class-never-trained-on",
        config=with_dataset(inline=SORTED, test=8),
        where=at("dataset.test"),
        got="got 8 (the last 8 rows): the test rows hold class 1, which the training rows "
        "lack (test: 1 8; training: 0 8)",
        valid="use test: 0.2, which is shuffled and stratified",
    ),
    Case(
        "test-by-set-of-a-class-never-trained-on",
        config=with_dataset(inline=SORTED, test=0),
        argv=("{config}", "--set", "dataset.test=9"),
        where=by_set("dataset.test=9", "dataset.test"),
        got="got 9 (the last 9 rows): the test rows hold class 1, which",
        valid="use test: 0.2, which is shuffled",
    ),
    Case(
        "validation-first-rows-of-a-class-never-trained-on",
        config=with_dataset(inline=SORTED, test=0, validation=8),
        where=at("dataset.validation"),
        got="got 8 (the first 8 rows): the validation rows hold class 0",
        valid="use validation: 0.2, which is shuffled and stratified",
    ),
    Case(
        "validation-first-rows-took-a-class-the-test-holds",
        config=with_dataset(inline=SORTED, test=0.25, validation=6),
        where=at("dataset.validation"),
        got="got 6 (the first 6 rows: 0 6): the test rows hold class 0, which the training rows lack",
        valid="use validation: 0.2, which is shuffled and stratified",
    ),
    Case(
        "test-last-row-of-a-one-row-class",
        config=with_dataset(inline={"x": SORTED["x"], "y": [0] * 15 + [1]}, test=1),
        where=at("dataset.test"),
        got="got 1 (the last 1 rows): the test rows hold class 1",
        valid="class 1 has only 1 row, too few to be both trained on and scored: add rows of it, or drop them",
    ),
    Case(
        "kfold-test-leaves-a-class-too-few-rows-for-the-folds",
        command="kfold",
        config=tiny_config(dataset={"inline": SORTED, "test": 6}, kfold=3),
        where=at("dataset.test"),
        got="got 6 (the last 6 rows), which takes 6 rows of class 1 and leaves it 2 rows to cut into 3 stratified folds",
        valid="use test: 0.2, which is shuffled and stratified",
    ),
    # --- k-fold ---
    Case(
        "kfold-without-k",
        command="kfold",
        config=tiny_config(),
        where="exp.yaml: kfold: ",
        got="missing",
        valid="add `kfold: 5`",
    ),
    Case(
        "kfold-k-one",
        command="kfold",
        config=tiny_config(kfold=1),
        where=at("kfold.k"),
        got="got 1",
        valid="greater than or equal to 2",
    ),
    Case(
        "kfold-dash-k-one",
        command="kfold",
        config=tiny_config(kfold=3),
        argv=("{config}", "--k", "1"),
        where="--k 1: kfold.k: ",
        got="got 1",
        valid="greater than or equal to 2",
    ),
    Case(
        "kfold-k-over-rows",
        command="kfold",
        config=tiny_config(),
        argv=("{config}", "--k", "13"),
        where="--k 13: kfold.k: ",
        got="got 13",
        valid="k can be at most 12",
    ),
    Case(
        "kfold-k-over-smallest-class",
        command="kfold",
        config=tiny_config(kfold=4),
        where=at("kfold.k"),
        got="got 4",
        valid="use k <= 3",
    ),
    Case(
        "kfold-dash-k-not-a-number",
        command="kfold",
        config=tiny_config(),
        argv=("{config}", "--k", "two"),
        where="--k",
        got="two",
        valid="integer",
    ),
    Case(
        "unknown-command",
        command="trian",
        config=tiny_config(),
        where="nnrun: ",
        got="No such command 'trian'",
        valid="Did you mean 'train'?",
    ),
    Case(
        "unknown-option",
        config=tiny_config(),
        argv=("{config}", "--epoch", "3"),
        where="nnrun train: ",
        got="No such option: --epoch",
        valid="usage: nnrun train [OPTIONS] {CONFIG}",
    ),
    Case(
        "device-unknown",
        config=tiny_config(),
        argv=("{config}", "--device", "tpu"),
        where="--device",
        got="tpu",
        valid="'auto', 'cpu', 'gpu'",
    ),
    Case(
        "kfold-unshuffled-folds-of-a-sorted-file",
        command="kfold",
        config=tiny_config(dataset={"inline": SORTED, "test": 0}, kfold={"k": 2, "shuffle": False, "stratify": False}),
        where=at("kfold.shuffle"),
        got="got false: fold 1's held-out rows hold class 0, which its training rows lack",
        valid="use kfold.shuffle: true, or kfold.stratify: auto",
    ),
    Case(
        "kfold-class-of-one-row",
        command="kfold",
        config=tiny_config(dataset={"inline": {"x": SORTED["x"], "y": [0] * 15 + [1]}, "test": 0}, kfold=2),
        where=at("kfold.k"),
        got="got 2, but class 1 has a single training row",
        valid="every class needs at least 2 rows: drop those rows or add more",
    ),
    Case(
        "kfold-refit-test-of-a-class-never-trained-on",
        command="kfold",
        config=tiny_config(dataset={"inline": SORTED, "test": 8}, kfold={"k": 2, "refit": True}),
        where=at("dataset.test"),
        got="got 8 (the last 8 rows): the test rows hold class 1",
        valid="use test: 0.2, which is shuffled and stratified",
    ),
    Case(
        "kfold-folds-left-one-class-by-the-test",
        command="kfold",
        config=tiny_config(dataset={"inline": SORTED, "test": 8}, kfold=2),
        where=at("dataset.test"),
        got="got 8 (the last 8 rows): its training rows hold a single class",
        valid="use test: 0.2, which is shuffled and stratified",
    ),
    Case(
        "device-gpu-none-there",
        config=tiny_config(),
        argv=("{config}", "--device", "gpu"),
        setup=no_gpu,
        where="--device gpu: ",
        got=re.compile(r"^error: --device gpu: \w+ sees no GPU"),
        valid="no NVIDIA driver is loaded on this machine; use --device cpu or auto",
    ),
    # --- predict ---
    Case(
        "predict-missing-column",
        command="predict",
        files={"new.csv": "a\n0\n1\n"},
        argv=("{run}", "{tmp}/new.csv"),
        where="new.csv: ",
        got="missing column 'b'",
        valid=PREDICT_TAKES,
    ),
    Case(
        "predict-extra-column",
        command="predict",
        files={"new.csv": "a,b,colour\n0,1,red\n"},
        argv=("{run}", "{tmp}/new.csv"),
        where="new.csv: ",
        got="unexpected column 'colour'",
        valid=PREDICT_TAKES,
    ),
    Case(
        "predict-text-cell",
        command="predict",
        files={"new.csv": "a,b\n0,1\n1,x\n"},
        argv=("{run}", "{tmp}/new.csv"),
        where="new.csv: column 'b'",
        got="'x' in data row 2",
        valid="features must be numbers",
    ),
    Case(
        "predict-input-missing",
        command="predict",
        argv=("{run}", "{tmp}/new.csv"),
        where="new.csv: ",
        got="no such file",
        valid="give a CSV file of rows to predict",
    ),
    Case(
        "predict-input-is-a-directory",
        command="predict",
        files={"rows": None},
        argv=("{run}", "{tmp}/rows"),
        where="rows: ",
        got="is a directory",
        valid="give a CSV file of rows to predict",
    ),
    Case(
        "predict-input-empty",
        command="predict",
        files={"new.csv": ""},
        argv=("{run}", "{tmp}/new.csv"),
        where="new.csv: ",
        got="the file is empty",
        valid="at least one row",
    ),
    Case(
        "predict-run-without-model",
        command="predict",
        setup=run_without_model,
        files={"new.csv": "a,b\n0,1\n"},
        argv=("{tmp}/no-model", "{tmp}/new.csv"),
        where="no-model: ",
        got="no model.keras in this run folder, though it completed",
        valid="put it back, or train the run again",
    ),
    Case(
        "predict-failed-run",
        command="predict",
        setup=failed_run,
        files={"new.csv": "a,b\n0,1\n"},
        argv=("{tmp}/failed", "{tmp}/new.csv"),
        where="failed: ",
        got="no model.keras in this run folder (its status is failed)",
        valid="predict needs a run that finished training",
    ),
    Case(
        "predict-run-missing",
        command="predict",
        files={"new.csv": "a,b\n0,1\n"},
        argv=("{tmp}/no-run", "{tmp}/new.csv"),
        where="no-run: ",
        got="no such directory",
        valid=then_what("no such directory"),
    ),
    Case(
        "predict-output-folder-missing",
        command="predict",
        files={"new.csv": "a,b\n0,1\n"},
        argv=("{run}", "{tmp}/new.csv", "-o", "{tmp}/out/p.csv"),
        where="-o ",
        got="out/p.csv: the folder",
        valid=then_what("does not exist"),
    ),
    Case(
        "predict-input-without-the-header",
        command="predict",
        files={"new.csv": "1,0\n0,1\n0,0\n1,1\n"},
        argv=("{run}", "{tmp}/new.csv"),
        where="new.csv: ",
        got="the first row looks like data ('1', '0')",
        valid="add the training file's header row above it",
    ),
]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """One tiny completed run on a headered CSV (columns a, b, y), shared by the predict rows."""
    folder = tmp_path_factory.mktemp("trained")
    (folder / "data.csv").write_text(GOOD_CSV)
    (folder / "exp.yaml").write_text(yaml.safe_dump(on_csv(test=4)))
    result = run_cli("train", folder / "exp.yaml", "--runs-dir", folder / "runs", "-q")
    assert result.exit_code == 0, result.output
    (run,) = (folder / "runs").iterdir()
    return run


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_bad_input_is_one_line_naming_where_what_and_what_is_valid(case, cli, tmp_path, monkeypatch, request):
    monkeypatch.chdir(tmp_path)  # anything written by mistake lands where the test looks for it
    monkeypatch.setenv("NNRUN_DATA_DIR", str(tmp_path / "empty-data-dir"))  # nothing found by luck
    (tmp_path / "empty-data-dir").mkdir()
    config = tmp_path / "exp.yaml"
    if case.config is not None:
        text = case.config if isinstance(case.config, (str, bytes)) else yaml.safe_dump(case.config, sort_keys=False)
        config.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    for name, content in case.files.items():
        if content is None:
            (tmp_path / name).mkdir()
        else:
            (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    run = request.getfixturevalue("trained_run") if case.command == "predict" else None
    if case.setup is not None:
        case.setup(tmp_path, monkeypatch, run)
    argv = [a.format(config=config, tmp=tmp_path, run=run) for a in case.argv]
    if case.command in ("train", "kfold"):
        argv += ["--runs-dir", tmp_path / "runs"]
    elif case.command == "predict" and "-o" not in argv:
        argv += ["-o", tmp_path / "predictions.csv"]
    before = files_under(tmp_path)

    result = cli(case.command, *argv)

    shown = f"exit {result.exit_code}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.exit_code == 2, shown
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr, shown
    lines = [line for line in result.stderr.splitlines() if not line.startswith("note:")]
    assert len(lines) == 1 and lines[0].startswith("error: "), shown
    message = lines[0]
    for fragment in (case.where, case.got, case.valid):
        found = fragment.search(message) if isinstance(fragment, re.Pattern) else fragment in message
        assert found, f"{fragment!r} not in {message!r}"
    # Notes may come first on stdout; a resolved config, a progress line or predictions may not.
    assert all(line.startswith("note:") for line in result.stdout.splitlines()), shown
    assert files_under(tmp_path) == before, "something was written"


def test_the_catalogue_keeps_at_least_forty_distinct_inputs():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    inputs = [(c.command, repr(c.config), repr(sorted(c.files.items())), c.argv, c.setup) for c in CASES]
    assert len(set(inputs)) == len(CASES)


# --- sweep files: `nnrun sweep` answers each the same way (the texts in tests/sweep_inputs.py) ---


@pytest.mark.parametrize(("text", "message"), REFUSALS)
def test_bad_sweep_file_is_one_line_and_writes_nothing(text, message, cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "no-validation.yaml").write_text(
        BASE.replace("  validation: 0.25\n", "").replace("kfold: 2\n", ""), encoding="utf-8"
    )
    (tmp_path / "invalid.yaml").write_text(BASE.replace("epochs: 20", "epochs: 0"), encoding="utf-8")
    (tmp_path / "sweep.yaml").write_text(text, encoding="utf-8")
    before = files_under(tmp_path)
    result = cli("sweep", "sweep.yaml", "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""
    assert files_under(tmp_path) == before, "something was written"


def test_a_sweep_file_given_to_train_is_one_line(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "sweep.yaml").write_text(
        "config: base.yaml\nmethod: random\ntrials: 2\nparameters:\n  batch_size: {values: [2, 4]}\n", encoding="utf-8"
    )
    result = cli("train", "sweep.yaml", "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: sweep.yaml: a sweep file (it has method and parameters), not an experiment config: "
        "run it with nnrun sweep sweep.yaml, or train its base config (base.yaml)\n"
    )
    assert not (tmp_path / "runs").exists()
