"""`dataset.source: keras:<name>`: the seed configs that use Keras's own datasets, end to end on small stand-in
archives (tests/keras_archives.py) read by Keras's own loaders offline, and what a user sees of each new key
(flatten, num_words, encode, maxlen, validation: N), of Keras's test split, of labels following the loss, of the
channel axis, of a missing or broken archive, of `nnrun datasets` and of `nnrun predict` on image and text runs.

Every test gets an empty Keras cache through conftest's `keras_offline` (network and hash check stubbed) and
writes the stand-ins it needs there; nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import CONFIGS, REPO, import_keras, only_run
from keras_archives import (
    FASHION_MNIST_FOLDER,
    write_boston_housing,
    write_cifar10,
    write_fashion_mnist,
    write_imdb,
    write_mnist,
    write_reuters,
)

from nnrun.config import catalog

RUN_FILES = {
    "metrics.json",
    "config.yaml",
    "history.csv",
    "model.keras",
    "summary.txt",
    "preprocess.json",
    "env.json",
    "history.png",
}
NEW_CONFIGS = ["mnist", "mnist-adam", "fashion-mnist", "imdb", "reuters", "boston-keras", "mnist-conv"]
TF_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets"
KERAS_SEED = 113  # the shuffle seed of Keras's imdb / reuters / boston_housing loaders

# What each config needs to train in a second or two on its stand-in: the stand-in writer, --set overrides, and
# the rows it then reports (Keras's own test split kept). fashion-mnist and reuters hold out 5,000 and 1,000
# training rows, more than the stand-ins have. Every fit, validation and test batch has the same number of
# rows, so XLA compiles each step once (most of a run's time).
STAND_INS = {
    "mnist": (write_mnist, ["epochs=1", "batch_size=16"], "rows: 64 train, 16 test;"),
    "mnist-adam": (write_mnist, ["epochs=1", "batch_size=16"], "rows: 64 train, 16 test;"),
    "fashion-mnist": (
        write_fashion_mnist,
        ["epochs=1", "batch_size=16", "dataset.validation=16"],
        "rows: 48 train, 16 validation, 16 test;",
    ),
    "imdb": (write_imdb, ["epochs=1", "batch_size=20"], "rows: 40 train, 20 test;"),
    "reuters": (
        partial(write_reuters, n=230),
        ["epochs=1", "batch_size=16", "dataset.validation=16"],
        "rows: 168 train, 16 validation, 46 test;",
    ),  # Keras's reuters keeps 20 % (46) as its test split;
    # 5 newswires a topic, so that the training rows hold every topic the test and validation rows do
    "mnist-conv": (
        write_mnist,
        ["epochs=1", "batch_size=16", "dataset.validation=16", "backend=jax"],  # in-process
        "rows: 48 train, 16 validation, 16 test;",
    ),
    "boston-keras": (
        write_boston_housing,
        ["epochs=2", "batch_size=10"],
        "4 folds of 40 training rows (10 held out each), 10 test rows kept for the refit;",
    ),
}


# --- the seed's own code, verbatim from seeds/003-tensors-imdb-reuters-boston-kfold.txt ---


def vectorize_sequences(sequences, dimension=10000):
    results = np.zeros((len(sequences), dimension))
    for i, sequence in enumerate(sequences):
        results[i, sequence] = 1.0
    return results


def to_one_hot(labels, dimension=46):
    results = np.zeros((len(labels), dimension))
    for i, label in enumerate(labels):
        results[i, label] = 1.0
    return results


# --- helpers ---


def sets(*overrides: str) -> list[str]:
    """--set arguments for the CLI."""
    return [arg for o in overrides for arg in ("--set", o)]


def no_run_folder(runs: Path) -> bool:
    return not runs.exists() or not any(runs.iterdir())


def train(cli, config: Path, runs: Path, *overrides: str) -> Path:
    """`nnrun train config --runs-dir runs --set ...`, which must succeed; returns the run folder."""
    result = cli("train", config, "--runs-dir", runs, "-q", *sets(*overrides))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return only_run(runs)


def assert_complete(run: Path) -> None:
    """A run folder with every artifact and a completed status."""
    assert RUN_FILES <= {p.name for p in run.iterdir()}, sorted(p.name for p in run.iterdir())
    assert json.loads((run / "metrics.json").read_text())["status"] == "completed"
    assert (run / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(pd.read_csv(run / "history.csv")) >= 1


def one_error_line(result) -> str:
    """The single stderr line of a rejected command (exit code 2, no traceback), without "error: "."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines[0]
    return lines[0].removeprefix("error: ")


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the first line of `path` that contains `text`."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def spec_of(write_config, config: dict, *overrides: str):
    from nnrun.config.load import load_spec

    return load_spec(write_config(config), list(overrides))


def keras_order(*splits):
    """Each split's rows in the order Keras's loaders give them: one RandomState(113) shuffling each in turn."""
    rng = np.random.RandomState(KERAS_SEED)
    out = []
    for rows in splits:
        indices = np.arange(len(rows))
        rng.shuffle(indices)
        out.append([rows[i] for i in indices])
    return out


def imdb_config(**dataset) -> dict:
    return {
        "dataset": {"source": "keras:imdb", **dataset},
        "layers": [
            {"type": "Dense", "units": 4, "activation": "relu"},
            {"type": "Dense", "units": 1, "activation": "sigmoid"},
        ],
        "loss": "binary_crossentropy",
        "epochs": 1,
        "batch_size": 20,
    }


def mnist_config(layers: list[dict], **dataset) -> dict:
    return {
        "dataset": {"source": "keras:mnist", "scale": 255, **dataset},
        "layers": layers,
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
        "epochs": 1,
        "batch_size": 16,
    }


# --- 1. the configs are valid without any archive ---


@pytest.mark.parametrize("name", NEW_CONFIGS)
def test_new_config_passes_check_without_its_archive(cli, keras_offline, name):
    result = cli("check", CONFIGS / f"{name}.yaml")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    resolved = yaml.safe_load(result.stdout)
    assert resolved["dataset"]["source"].startswith("keras:")
    assert not keras_offline.exists() or not any(keras_offline.iterdir())  # check downloaded nothing


# --- 2. end to end on stand-in archives ---


@pytest.mark.parametrize("name", NEW_CONFIGS)
def test_new_config_trains_end_to_end_on_a_stand_in(cli, keras_offline, tmp_path, name):
    writer, overrides, rows = STAND_INS[name]
    writer(keras_offline)
    runs = tmp_path / "runs"
    command = "kfold" if name == "boston-keras" else "train"
    result = cli(command, CONFIGS / f"{name}.yaml", "--runs-dir", runs, *sets(*overrides))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert rows in result.stdout
    run = only_run(runs)
    assert run.name.endswith(f"-{name}")
    if name == "boston-keras":
        assert {"fold-1", "fold-2", "fold-3", "fold-4", "final"} <= {p.name for p in run.iterdir()}
        assert json.loads((run / "metrics.json").read_text())["status"] == "completed"
        for sub in ("fold-1", "fold-2", "fold-3", "fold-4", "final"):
            assert_complete(run / sub)
        assert "mae" in json.loads((run / "final" / "metrics.json").read_text())["test"]
    else:
        assert_complete(run)
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["dataset"]["source"] == yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())["dataset"]["source"]


def test_check_deep_loads_the_stand_in_and_builds_the_model(cli, keras_offline):
    write_mnist(keras_offline)  # 64 training + 16 test images
    result = cli("check", "--deep", CONFIGS / "mnist.yaml")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "(data loaded, model built)" in result.stdout
    assert "# data: 64 train, 16 test rows, input shape (784,), task classification" in result.stdout


# --- 3. IMDB multi-hot rows are the seed's vectorize_sequences ---


def test_imdb_multi_hot_equals_the_seeds_vectorize_sequences(keras_offline, write_config):
    import keras

    from nnrun.data import load_split

    write_imdb(keras_offline)  # 40 training + 20 test reviews
    arrays = load_split(spec_of(write_config, imdb_config(num_words=10000, encode="multi_hot")))
    (train_data, train_labels), (test_data, test_labels) = keras.datasets.imdb.load_data(num_words=10000)
    x_train = vectorize_sequences(train_data)
    x_test = vectorize_sequences(test_data)
    assert arrays.x_val is None
    assert arrays.x_train.shape == (40, 10000) and arrays.x_test.shape == (20, 10000)
    np.testing.assert_array_equal(arrays.x_train, x_train)
    np.testing.assert_array_equal(arrays.x_test, x_test)
    np.testing.assert_array_equal(arrays.y_train.ravel(), train_labels)
    np.testing.assert_array_equal(arrays.y_test.ravel(), test_labels)


@pytest.mark.parametrize("num_words", [10000, 20])
def test_imdb_multi_hot_rows_hold_start_char_and_word_ranks_plus_3(keras_offline, write_config, num_words):
    """Without Keras's loader: a review's row is 1 exactly at 1 (start_char) and each of its words' rank + 3
    (index_from), a rank + 3 beyond num_words becoming 2 (the out-of-vocabulary index)."""
    from nnrun.data import load

    written = write_imdb(keras_offline, vocabulary=50)
    reverse_word_index = {rank: word for word, rank in written["word_index"].items()}
    loaded = load(spec_of(write_config, imdb_config(num_words=num_words)))
    train, test = keras_order(written["x_train"], written["x_test"])
    labels_train, labels_test = keras_order(written["y_train"], written["y_test"])
    reviews = [[reverse_word_index[r] for r in review] for review in train + test]  # the texts as words
    assert loaded.x.shape == (60, num_words)
    clipped = 0
    for row, words, label, y in zip(loaded.x, reviews, labels_train + labels_test, loaded.y):
        indices = {written["word_index"][w] + 3 for w in words}
        expected = {1} | {i if i < num_words else 2 for i in indices}
        clipped += any(i >= num_words for i in indices)
        assert set(np.flatnonzero(row)) == expected
        assert set(np.unique(row)) == {0.0, 1.0}
        assert float(y[0]) == label
    if num_words == 20:
        assert clipped > 0  # the small vocabulary did send words to index 2
    else:
        assert clipped == 0


# --- 4. labels follow the loss ---


def test_reuters_labels_are_one_hot_for_categorical_crossentropy_and_ids_for_sparse(keras_offline, write_config):
    import keras

    from nnrun.data import load

    write_reuters(keras_offline)
    (_, train_labels), (_, test_labels) = keras.datasets.reuters.load_data(num_words=10000)
    labels = np.concatenate([train_labels, test_labels])
    config = {
        "dataset": {"source": "keras:reuters"},
        "layers": [{"type": "Dense", "units": 46, "activation": "softmax"}],
        "loss": "categorical_crossentropy",
        "epochs": 1,
    }
    onehot = load(spec_of(write_config, config)).y
    assert onehot.shape == (60, 46)
    np.testing.assert_array_equal(onehot, to_one_hot(labels))
    np.testing.assert_array_equal(onehot, keras.utils.to_categorical(labels, 46))
    sparse = load(spec_of(write_config, config, "loss=sparse_categorical_crossentropy")).y
    assert sparse.shape == (60,) and np.issubdtype(sparse.dtype, np.integer)
    np.testing.assert_array_equal(sparse, labels)


def test_binary_crossentropy_on_mnist_says_the_target_has_10_classes(cli, keras_offline, tmp_path):
    write_mnist(keras_offline)
    runs = tmp_path / "runs"
    result = cli("train", CONFIGS / "mnist.yaml", "--runs-dir", runs, *sets("loss=binary_crossentropy"))
    message = one_error_line(result)
    assert "binary_crossentropy" in message and "has 10 (" in message
    assert no_run_folder(runs)


# --- 5. validation: N takes the first N training rows ---


def test_validation_int_takes_the_first_n_training_rows(keras_offline, write_config):
    from nnrun.config.load import load_spec
    from nnrun.data import load_split

    written = write_fashion_mnist(keras_offline)  # Keras's fashion loader keeps the files' order
    arrays = load_split(load_spec(CONFIGS / "fashion-mnist.yaml", ["dataset.validation=10"]))
    assert arrays.x_val.shape == (10, 28, 28)
    np.testing.assert_allclose(arrays.x_val, written["x_train"][:10] / 255, rtol=1e-6)
    np.testing.assert_array_equal(arrays.y_val, written["y_train"][:10])
    np.testing.assert_allclose(arrays.x_train, written["x_train"][10:] / 255, rtol=1e-6)
    np.testing.assert_array_equal(arrays.y_train, written["y_train"][10:])
    np.testing.assert_allclose(arrays.x_test, written["x_test"] / 255, rtol=1e-6)


# --- 6. Keras's test split ---


def test_keras_test_split_is_kept_by_default(keras_offline, cli):
    from nnrun.config.load import load_spec
    from nnrun.data import load_split

    written = write_mnist(keras_offline, n_train=64, n_test=16)
    arrays = load_split(load_spec(CONFIGS / "mnist-adam.yaml"))
    assert len(arrays.x_test) == 16 and len(arrays.x_train) == 64
    np.testing.assert_allclose(arrays.x_test, written["x_test"] / 255, rtol=1e-6)
    np.testing.assert_array_equal(arrays.y_test, written["y_test"])
    np.testing.assert_allclose(arrays.x_train, written["x_train"] / 255, rtol=1e-6)
    result = cli("check", CONFIGS / "mnist-adam.yaml")
    assert result.exit_code == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)["dataset"]
    assert "test" in resolved and resolved["test"] is None


def test_fractional_test_replaces_keras_split_with_a_seeded_random_split(keras_offline):
    from nnrun.config.load import load_spec
    from nnrun.data import load_split

    write_mnist(keras_offline, n_train=64, n_test=16)
    first = load_split(load_spec(CONFIGS / "mnist-adam.yaml", ["dataset.test=0.25"]))
    again = load_split(load_spec(CONFIGS / "mnist-adam.yaml", ["dataset.test=0.25"]))
    other_seed = load_split(load_spec(CONFIGS / "mnist-adam.yaml", ["dataset.test=0.25", "seed=7"]))
    test_rows = np.sort(first.split.test)
    assert len(test_rows) == 20  # a quarter of all 80 rows, not Keras's 16
    assert (test_rows < 64).any()  # drawn from Keras's training rows too
    assert not np.array_equal(test_rows, np.arange(64, 80))
    np.testing.assert_array_equal(test_rows, np.sort(again.split.test))  # seeded
    assert not np.array_equal(test_rows, np.sort(other_seed.split.test))
    assert len(first.x_train) == 60


# --- 7. encode: sequence ---


def test_sequence_encoding_is_keras_pad_sequences(keras_offline, write_config):
    import keras

    from nnrun.data import load

    write_imdb(keras_offline)
    loaded = load(spec_of(write_config, imdb_config(num_words=10000, encode="sequence", maxlen=8)))
    (x_train, _), (x_test, _) = keras.datasets.imdb.load_data(num_words=10000)
    expected = keras.utils.pad_sequences([*x_train, *x_test], maxlen=8)
    assert loaded.x.shape == (60, 8)
    np.testing.assert_array_equal(loaded.x, expected)


def test_embedding_model_trains_on_sequences(cli, keras_offline, write_config, tmp_path):
    write_imdb(keras_offline)
    config = {
        "dataset": {"source": "keras:imdb", "num_words": 100, "encode": "sequence", "maxlen": 8},
        "layers": [
            {"type": "Embedding", "input_dim": 100, "output_dim": 4},
            {"type": "GlobalAveragePooling1D"},
            {"type": "Dense", "units": 1, "activation": "sigmoid"},
        ],
        "loss": "binary_crossentropy",
        "metrics": ["accuracy"],
        "epochs": 2,
        "batch_size": 16,
    }
    run = train(cli, write_config(config), tmp_path / "runs")
    assert_complete(run)
    assert "embedding" in (run / "summary.txt").read_text().lower()


# --- 8. the channel axis ---


def test_conv2d_on_28x28_images_gets_a_channel_axis(cli, keras_offline, write_config, tmp_path):
    write_mnist(keras_offline)
    config = mnist_config(
        [
            {"type": "Conv2D", "filters": 4, "kernel_size": 3, "activation": "relu"},
            {"type": "Flatten"},
            {"type": "Dense", "units": 10, "activation": "softmax"},
        ]
    )
    run = train(cli, write_config(config), tmp_path / "runs")
    assert_complete(run)
    summary = (run / "summary.txt").read_text()
    line = next((line for line in summary.splitlines() if "channel_axis" in line), None)
    assert line is not None, summary
    assert "Reshape" in line and "(None, 28, 28, 1)" in line


def test_conv2d_on_colour_images_gets_no_channel_axis(keras_offline, write_config):
    from nnrun.data import Split, load, prepare
    from nnrun.engine.model import build

    write_cifar10(keras_offline, n_per_batch=2, n_test=4)  # 50,000 training rows whatever n_per_batch is
    config = {
        "dataset": {"source": "keras:cifar10"},
        "layers": [
            {"type": "Conv2D", "filters": 4, "kernel_size": 3, "activation": "relu"},
            {"type": "Flatten"},
            {"type": "Dense", "units": 10, "activation": "softmax"},
        ],
        "loss": "sparse_categorical_crossentropy",
        "epochs": 1,
    }
    spec = spec_of(write_config, config)
    loaded = load(spec)
    assert loaded.x.shape == (50_004, 32, 32, 3)
    arrays = prepare(loaded, Split(np.arange(8), np.arange(0), np.arange(50_000, 50_004)), "none")  # a few rows
    model = build(spec, arrays)
    assert "channel_axis" not in [layer.name for layer in model.layers]
    assert tuple(model.input_shape) == (None, 32, 32, 3)
    conv = next(layer for layer in model.layers if type(layer).__name__ == "Conv2D")
    assert tuple(conv.kernel.shape) == (3, 3, 3, 4)  # convolves the 3 colour channels


def test_dense_first_on_28x28_images_asks_for_flatten(cli, keras_offline, write_config, tmp_path):
    write_mnist(keras_offline)
    path = write_config(
        mnist_config(
            [
                {"type": "Dense", "units": 8, "activation": "relu"},
                {"type": "Dense", "units": 10, "activation": "softmax"},
            ]
        )
    )
    runs = tmp_path / "runs"
    message = one_error_line(cli("train", path, "--runs-dir", runs))
    assert "layers[1]" in message
    assert "add {type: Flatten}" in message and "dataset.flatten: true" in message
    assert no_run_folder(runs)


# --- 9. missing or broken archives ---


def test_missing_mnist_offline_is_one_line_naming_cache_file_and_url(cli, keras_offline, tmp_path):
    runs = tmp_path / "runs"
    config = CONFIGS / "mnist.yaml"
    message = one_error_line(cli("train", config, "--runs-dir", runs))
    line = line_of(config, "source: keras:mnist")
    assert message.startswith(f"{config}:{line}: dataset.source: keras:mnist is not in {keras_offline} (no mnist.npz)")
    assert f"could not be downloaded from {TF_DATASETS}/mnist.npz (" in message
    assert no_run_folder(runs)


def test_missing_fashion_mnist_names_the_first_missing_file(cli, keras_offline, tmp_path):
    runs = tmp_path / "runs"
    config = CONFIGS / "fashion-mnist.yaml"
    message = one_error_line(cli("train", config, "--runs-dir", runs))
    assert "keras:fashion_mnist" in message and str(keras_offline) in message
    assert f"(no {FASHION_MNIST_FOLDER}/train-labels-idx1-ubyte.gz)" in message
    assert f"{TF_DATASETS}/train-labels-idx1-ubyte.gz" in message
    assert no_run_folder(runs)

    # With the training files there, the first file still missing is the test images.
    write_fashion_mnist(keras_offline)
    (keras_offline / FASHION_MNIST_FOLDER / "t10k-images-idx3-ubyte.gz").unlink()
    message = one_error_line(cli("train", config, "--runs-dir", runs))
    assert f"(no {FASHION_MNIST_FOLDER}/t10k-images-idx3-ubyte.gz)" in message
    assert f"{TF_DATASETS}/t10k-images-idx3-ubyte.gz" in message
    assert no_run_folder(runs)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_changed_mnist_archive_is_refused_with_both_hashes_and_kept(cli, keras_offline, tmp_path, damage):
    write_mnist(keras_offline)
    archive = keras_offline / "mnist.npz"
    written = archive.read_bytes()
    damaged = b"<html>not a zip file</html>\n" if damage == "garbage" else written[: len(written) // 2]
    archive.write_bytes(damaged)
    runs = tmp_path / "runs"
    message = one_error_line(cli("train", CONFIGS / "mnist.yaml", "--runs-dir", runs))
    assert (
        f"dataset.source: keras:mnist: {archive} is not the archive Keras publishes (sha256 "
        f"{hashlib.sha256(damaged).hexdigest()}, expected {hashlib.sha256(written).hexdigest()}): " in message
    )
    assert message.endswith(
        f"delete it so that nnrun downloads it again from {TF_DATASETS}/mnist.npz, or replace "
        "it with the original from that URL"
    )
    assert archive.read_bytes() == damaged
    assert no_run_folder(runs)


def test_a_changed_file_keras_pins_no_hash_for_is_refused_by_nnrun_s_pin_naming_the_file(cli, keras_offline, tmp_path):
    write_fashion_mnist(keras_offline)
    labels = keras_offline / FASHION_MNIST_FOLDER / "train-labels-idx1-ubyte.gz"
    written = labels.read_bytes()
    labels.write_bytes(b"<html>not a gzip file</html>\n")
    runs = tmp_path / "runs"
    message = one_error_line(cli("train", CONFIGS / "fashion-mnist.yaml", "--runs-dir", runs))
    assert (
        f"dataset.source: keras:fashion_mnist: {labels} is not the archive Keras publishes (sha256 "
        f"{hashlib.sha256(b'<html>not a gzip file</html>' + bytes([10])).hexdigest()}, expected "
        f"{hashlib.sha256(written).hexdigest()}): " in message
    )
    assert message.endswith(
        f"delete it so that nnrun downloads it again from {TF_DATASETS}/train-labels-idx1-ubyte.gz"
        ", or replace it with the original from that URL"
    )
    assert labels.read_bytes() == b"<html>not a gzip file</html>\n"
    assert no_run_folder(runs)


# --- 10. nnrun datasets ---


def test_datasets_lists_every_catalog_entry(cli, keras_offline):
    result = cli("datasets")
    assert result.exit_code == 0, result.stderr
    for config in ("source: keras:mnist", "path: pima-indians-diabetes.csv", "source: sklearn:iris"):
        assert config in result.stdout
    for entry in catalog.entries():
        assert entry.config in result.stdout


@pytest.mark.parametrize("columns", [80, 100, 120])
def test_datasets_fits_the_width_and_never_splits_a_word(cli, keras_offline, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    result = cli("datasets")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    table = lines[: next(i for i, line in enumerate(lines) if line.startswith(("where each", "registry files")))]
    assert max(len(line) for line in table) <= columns, result.stdout
    words = set(result.stdout.split())
    for entry in catalog.entries():
        assert any(entry.config in line for line in table)  # what a config takes: whole, on one line
        assert set(entry.task.split()) <= words and set(entry.sample.split()) <= words
    if "from" not in table[0].split():
        assert "where each comes from: `nnrun datasets --format json`" in result.stdout


def test_datasets_json_says_whether_mnist_is_here(cli, keras_offline):
    def mnist_here() -> bool:
        result = cli("datasets", "--format", "json")
        assert result.exit_code == 0, result.stderr
        listed = json.loads(result.stdout)
        assert len(listed) == 15
        assert {e["config"] for e in listed} == {e.config for e in catalog.entries()}
        (mnist,) = [e for e in listed if e["config"] == "source: keras:mnist"]
        assert mnist["location"] == str(keras_offline)
        return mnist["here"]

    assert mnist_here() is False
    write_mnist(keras_offline)
    assert mnist_here() is True


# --- 11. predict ---


def predict_images(cli, run: Path, images: np.ndarray, tmp_path: Path) -> pd.DataFrame:
    """`nnrun predict run rows.csv` on images written as header-less rows of 784 pixel values."""
    rows = tmp_path / "rows.csv"
    np.savetxt(rows, images.reshape(len(images), -1), fmt="%d", delimiter=",")
    result = cli("predict", run, rows)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return pd.read_csv(io.StringIO(result.stdout))


@pytest.mark.parametrize("name", ["mnist", "mnist-adam"])
def test_predict_takes_784_pixel_columns(cli, keras_offline, tmp_path, name):
    import keras

    written = write_mnist(keras_offline)
    run = train(cli, CONFIGS / f"{name}.yaml", tmp_path / "runs", "epochs=1", "batch_size=16")
    images = written["x_test"][:5]
    table = predict_images(cli, run, images, tmp_path)
    assert len(table) == 5
    assert set(table["prediction"]) <= set(range(10))
    # The same digits as the saved model gives on the images themselves (so the pixels were reshaped right).
    model = keras.saving.load_model(run / "model.keras", compile=False)
    shape = (5, 784) if name == "mnist" else (5, 28, 28)
    expected = model.predict(images.reshape(shape).astype(np.float32) / 255, verbose=0).argmax(axis=1)
    np.testing.assert_array_equal(table["prediction"].to_numpy(), expected)


def test_predict_refuses_an_imdb_run(cli, keras_offline, write_config, tmp_path):
    write_imdb(keras_offline)
    run = train(cli, write_config(imdb_config(num_words=100)), tmp_path / "runs")
    rows = tmp_path / "rows.csv"
    rows.write_text(",".join(["0"] * 100) + "\n")
    message = one_error_line(cli("predict", run, rows))
    assert "word indices" in message


# --- 12. the data directory's README ---


def test_data_readme_mentions_every_known_dataset():
    text = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    names = [f"keras:{n}" for n in catalog.KERAS] + [f"sklearn:{n}" for n in catalog.SKLEARN] + list(catalog.REGISTRY)
    missing = [n for n in names if not re.search(re.escape(n) + r"\b", text)]
    assert not missing, f"data/README.md does not mention {missing}"


# --- what a user is told when a choice quietly changes the experiment ---


def test_a_test_size_on_a_keras_source_says_keras_test_rows_are_trained_on(keras_offline, write_config):
    from nnrun.data import load_split

    write_mnist(keras_offline, n_train=64, n_test=16)
    arrays = load_split(spec_of(write_config, mnist_config([{"type": "Flatten"}], test=4)))
    assert len(arrays.x_test) == 4
    assert any(
        note.startswith("dataset.test: 4 replaces keras:mnist's own test split (its last 16 rows)")
        for note in arrays.notes
    ), arrays.notes
    kept = load_split(spec_of(write_config, mnist_config([{"type": "Flatten"}])))
    assert not any("replaces" in note for note in kept.notes)


def test_an_embedding_smaller_than_the_vocabulary_is_refused_before_training(
    cli, keras_offline, write_config, tmp_path
):
    write_imdb(keras_offline, vocabulary=50)
    config = imdb_config(num_words=100, encode="sequence", maxlen=8)
    config["layers"] = [
        {"type": "Embedding", "input_dim": 20, "output_dim": 4},
        {"type": "GlobalAveragePooling1D"},
        {"type": "Dense", "units": 1, "activation": "sigmoid"},
    ]
    runs = tmp_path / "runs"
    message = one_error_line(cli("train", write_config(config), "--runs-dir", runs))
    assert re.search(
        r"layers\[0\]\.input_dim: got 20, but the data holds word indices up to \d+: write input_dim: "
        r"100$",
        message,
    ), message
    assert no_run_folder(runs)


def test_an_embedding_straight_into_dense_is_told_to_pool(cli, keras_offline, write_config, tmp_path):
    write_imdb(keras_offline)
    config = imdb_config(num_words=100, encode="sequence", maxlen=8)
    config["layers"] = [
        {"type": "Embedding", "input_dim": 100, "output_dim": 4},
        {"type": "Dense", "units": 1, "activation": "sigmoid"},
    ]
    message = one_error_line(cli("train", write_config(config), "--runs-dir", tmp_path / "runs"))
    assert "layers[1]: the output has shape (None, 8, 1)" in message
    assert message.endswith("add {type: GlobalAveragePooling1D} or {type: Flatten} after the Embedding layer")


def test_a_download_is_announced_once_by_nnrun_not_by_keras(cli, keras_offline, tmp_path):
    result = cli("train", CONFIGS / "mnist.yaml", "--runs-dir", tmp_path / "runs")  # missing: Keras tries to download
    assert result.exit_code == 2
    assert (
        result.stdout.count(
            f"note: downloading keras:mnist (11.0 MB) from {TF_DATASETS}/mnist.npz into {keras_offline}"
        )
        == 1
    ), result.stdout
    assert "Downloading data from" not in result.output  # Keras's own line, on stdout, would repeat it


# --- 13. an archive that is not byte for byte Keras's is kept, refused and listed as not usable ---


def test_nnruns_table_of_pinned_hashes_is_the_installed_keras_s(monkeypatch):
    """Every file each loader asks get_file for, and the hash it pins (file_hash, or md5_hash in old Kerases),
    equals catalog.KERAS and catalog.KERAS_HASHES: a Keras upgrade that changes either fails here."""
    keras = import_keras()
    pins = {}
    for name, dataset in catalog.KERAS.items():
        load_data = getattr(keras.datasets, name).load_data
        asked = []

        def get_file(
            fname=None,
            origin=None,
            untar=False,
            md5_hash=None,
            file_hash=None,
            cache_subdir="datasets",
            extract=False,
            asked=asked,
            **kwargs,
        ):
            fname = fname or origin.rsplit("/", 1)[-1]
            if (extract or untar) and "." not in fname:
                fname += "_archive"  # where get_file keeps an archive it extracts into the folder `fname`
            asked.append(Path(cache_subdir).relative_to("datasets").joinpath(fname).as_posix())
            pins[asked[-1]] = file_hash or md5_hash
            return "/nonexistent/" + fname  # the loader fails reading it, after asking for every file

        monkeypatch.setattr(sys.modules[load_data.__module__], "get_file", get_file)
        with pytest.raises(OSError):
            load_data()
        assert tuple(asked) == dataset.files, name
    assert dict(catalog.KERAS_HASHES) == {file: pin for file, pin in pins.items() if pin is not None}
    assert all(len(pin) in (32, 64) for pin in catalog.KERAS_HASHES.values())  # md5 or sha256, as Keras tells
    # nnrun pins the rest itself: every file is checked before Keras reads it.
    assert set(catalog.PUBLISHED_HASHES) == {file for file, pin in pins.items() if pin is None}
    assert all(len(pin) == 64 for pin in catalog.PUBLISHED_HASHES.values())


def one_byte_changed(source: Path, copy: Path) -> bytes:
    """A copy of `source` with its middle byte changed: the same size, readable, not Keras's. Returns its bytes."""
    content = bytearray(source.read_bytes())
    content[len(content) // 2] ^= 0xFF
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(content)
    return bytes(content)


def test_keras_alone_deletes_a_changed_archive_when_offline(keras_as_installed, real_archives):
    """What nnrun's check prevents: Keras's loader takes the changed copy for a stale download and removes it."""
    import keras

    one_byte_changed(real_archives / "mnist.npz", keras_as_installed / "mnist.npz")
    with pytest.raises(Exception, match="URL fetch failure.*offline test"):
        keras.datasets.mnist.load_data()
    assert not (keras_as_installed / "mnist.npz").exists()


@pytest.mark.parametrize(
    "name, file, config", [("mnist", "mnist.npz", "mnist"), ("boston_housing", "boston_housing.npz", "boston-keras")]
)
def test_a_real_archive_with_one_byte_changed_is_refused_kept_and_listed_not_usable(
    cli, keras_as_installed, real_archives, tmp_path, name, file, config
):
    archive = keras_as_installed / file
    damaged = one_byte_changed(real_archives / file, archive)
    path = CONFIGS / f"{config}.yaml"
    runs = tmp_path / "runs"
    problem = (
        f"keras:{name}: {archive} is not the archive Keras publishes (sha256 "
        f"{hashlib.sha256(damaged).hexdigest()}, expected {catalog.KERAS_HASHES[file]}): it is damaged or was "
        f"changed; delete it so that nnrun downloads it again from {TF_DATASETS}/{file}, or replace it with the "
        "original from that URL"
    )
    command = "kfold" if config == "boston-keras" else "train"
    message = one_error_line(cli(command, path, "--runs-dir", runs))
    assert message == f"{path}:{line_of(path, f'source: keras:{name}')}: dataset.source: {problem}"
    assert no_run_folder(runs)
    assert archive.read_bytes() == damaged

    listed = cli("datasets", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    (entry,) = [e for e in json.loads(listed.stdout) if e["config"] == f"source: keras:{name}"]
    assert entry["here"] is False and entry["problem"] == problem
    table = cli("datasets")
    assert table.exit_code == 0, table.stderr
    (row,) = [line for line in table.stdout.splitlines() if f"source: keras:{name} " in line]
    assert re.search(r"│ not usable +│", row), row
    assert f"not usable: {problem}" in table.stdout.splitlines()
    assert archive.read_bytes() == damaged


def test_nnrun_s_fashion_mnist_pins_are_the_published_files_sha256s(real_archives):
    for file, pin in catalog.PUBLISHED_HASHES.items():
        assert hashlib.sha256((real_archives / file).read_bytes()).hexdigest() == pin, file


def test_a_truncated_real_fashion_mnist_file_is_refused_naming_it_and_listed_not_usable(
    cli, keras_as_installed, real_archives, tmp_path
):
    """Keras pins no hash for fashion-mnist: without nnrun's pin, a truncated download fails deep in the loader
    (EOFError), naming the folder and no sha256."""
    folder = keras_as_installed / FASHION_MNIST_FOLDER
    folder.mkdir(parents=True)
    for file in catalog.KERAS["fashion_mnist"].files:
        (keras_as_installed / file).symlink_to(real_archives / file)
    file = f"{FASHION_MNIST_FOLDER}/t10k-images-idx3-ubyte.gz"
    damaged = keras_as_installed / file
    damaged.unlink()
    truncated = (real_archives / file).read_bytes()[:100_000]
    damaged.write_bytes(truncated)
    problem = (
        f"keras:fashion_mnist: {damaged} is not the archive Keras publishes (sha256 "
        f"{hashlib.sha256(truncated).hexdigest()}, expected {catalog.PUBLISHED_HASHES[file]}): it is damaged or "
        f"was changed; delete it so that nnrun downloads it again from {TF_DATASETS}/t10k-images-idx3-ubyte.gz, "
        "or replace it with the original from that URL"
    )
    path, runs = CONFIGS / "fashion-mnist.yaml", tmp_path / "runs"
    message = one_error_line(cli("train", path, "--runs-dir", runs))
    assert message == f"{path}:{line_of(path, 'source: keras:fashion_mnist')}: dataset.source: {problem}"
    assert no_run_folder(runs) and damaged.read_bytes() == truncated
    (entry,) = [
        e
        for e in json.loads(cli("datasets", "--format", "json").stdout)
        if e["config"] == "source: keras:fashion_mnist"
    ]
    assert entry["here"] is False and entry["problem"] == problem
    table = cli("datasets").stdout
    (row,) = [line for line in table.splitlines() if "source: keras:fashion_mnist " in line]
    assert re.search(r"│ not usable +│", row), row
    assert f"not usable: {problem}" in table.splitlines()


def test_real_archives_load_and_are_listed_here(cli, keras_as_installed, real_archives):
    """Keras's own files, linked into the cache, pass nnrun's check and then Keras's own; fashion-mnist's
    (which Keras pins no hash for) too."""
    keras_as_installed.mkdir()
    for file in ("mnist.npz", "boston_housing.npz", FASHION_MNIST_FOLDER):
        (keras_as_installed / file).symlink_to(real_archives / file)
    listed = {e["config"]: e for e in json.loads(cli("datasets", "--format", "json").stdout)}
    for name in ("mnist", "fashion_mnist", "boston_housing"):
        assert listed[f"source: keras:{name}"]["here"] is True and listed[f"source: keras:{name}"]["problem"] is None
    result = cli("check", "--deep", CONFIGS / "mnist.yaml")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "# data: 60000 train, 10000 test rows, input shape (784,)" in result.stdout
    assert (keras_as_installed / "mnist.npz").is_symlink()


def test_datasets_hashes_an_archive_once_until_it_changes(cli, keras_offline, monkeypatch):
    hashed = []
    digest = catalog._digest
    monkeypatch.setattr(catalog, "_digest", lambda path, algorithm: hashed.append(path) or digest(path, algorithm))

    def mnist() -> dict:
        result = cli("datasets", "--format", "json")
        assert result.exit_code == 0, result.stderr
        return next(e for e in json.loads(result.stdout) if e["config"] == "source: keras:mnist")

    archive = keras_offline / "mnist.npz"
    write_mnist(keras_offline)
    assert mnist()["here"] is True and mnist()["here"] is True
    assert hashed == [archive]
    # One byte changed in place, its mtime put back: the ctime still tells.
    stat = archive.stat()
    with open(archive, "r+b") as f:
        f.seek(stat.st_size // 2)
        byte = f.read(1)
        f.seek(stat.st_size // 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    os.utime(archive, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert mnist()["problem"].startswith(f"keras:mnist: {archive} is not the archive Keras publishes")
    assert hashed == [archive] * 2
    # Loading never trusts the record.
    assert catalog.keras_archive_mismatch(catalog.KERAS["mnist"]) is not None
    assert hashed == [archive] * 3


def test_datasets_says_how_to_move_the_data_folders(cli, keras_offline, monkeypatch, tmp_path):
    monkeypatch.delenv("NNRUN_DATA_DIR", raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    text = " ".join(cli("datasets").stdout.split())
    assert f"kept in {tmp_path.resolve() / 'data'} (set NNRUN_DATA_DIR to move it)" in text
    assert "(set KERAS_HOME to move it)" in text and "$NNRUN_DATA_DIR" not in text
    monkeypatch.setenv("NNRUN_DATA_DIR", str(tmp_path / "elsewhere"))
    assert f"{tmp_path / 'elsewhere'} (set by NNRUN_DATA_DIR)" in " ".join(cli("datasets").stdout.split())
