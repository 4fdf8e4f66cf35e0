"""The seeds' image examples and Keras's Boston housing on Keras's real archives (issue 16): each config trains as
it is written and reaches the goal the README's seed-examples table states; samples.png of a real run; and
`nnrun predict` on rows of real MNIST pixels.

The archives are byte-identical copies of Keras's downloads in $NNRUN_DATA_DIR/keras/datasets (read-only; see
SOURCES.md there). Each test links them into its own Keras cache, so that Keras's and nnrun's hash checks run as a
user's would and nothing is written next to them. Without them every test here skips, saying so.

Every run here trains on the real archives and is marked slow (about 5 minutes altogether on 2 cores; CI runs them).
The seed fixes the initial weights and the shuffles, and jax on CPU repeats a run exactly, so a goal met here is met
in CI; the goals keep a margin below what was measured (README: "The seed examples").
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import CONFIGS
from keras_archives import FASHION_MNIST_FOLDER

ARCHIVES = ("mnist.npz", "boston_housing.npz", FASHION_MNIST_FOLDER)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def real_keras(keras_as_installed, real_archives) -> Path:  # noqa: F811
    """A Keras cache holding links to the real archives, checked by Keras's and nnrun's pinned hashes."""
    keras_as_installed.mkdir()
    for file in ARCHIVES:
        (keras_as_installed / file).symlink_to(real_archives / file)
    return keras_as_installed


def run(cli, command: str, config: str, runs: Path, *overrides: str) -> tuple[Path, dict]:
    """`nnrun <command> configs/<config>.yaml` (which must succeed): its run folder and metrics.json."""
    sets = [arg for o in overrides for arg in ("--set", o)]
    result = cli(command, CONFIGS / f"{config}.yaml", "--runs-dir", runs, "-q", *sets)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    (folder,) = [p for p in runs.iterdir() if p.is_dir()]
    return folder, json.loads((folder / "metrics.json").read_text())


def assert_image_run(folder: Path, metrics: dict, split: str) -> None:
    """The pictures of an image classifier: confusion matrix and samples of the same split, and a baseline."""
    assert metrics["confusion"]["split"] == split
    assert (folder / "confusion.png").read_bytes()[:8] == PNG
    assert (folder / "samples.png").read_bytes()[:8] == PNG
    assert metrics["baseline"][split]["accuracy"] < 0.12  # always the most frequent class: about 10 %


@pytest.mark.slow
def test_mnist_reaches_the_lectures_test_accuracy_over_four_seeds(cli, real_keras, tmp_path):
    """The config's seed 42 and seeds 1-3: the median test accuracy reaches ~98 %, each at least 97 %. The final
    weights' test accuracy moves by +-0.4 points from seed to seed (README, "The seed examples")."""
    accuracies = {}
    for seed in (42, 1, 2, 3):
        folder, metrics = run(cli, "train", "mnist", tmp_path / str(seed), f"seed={seed}")
        accuracies[seed] = metrics["test"]["accuracy"]
        assert metrics["rows"] == {"train": 60000, "test": 10000}
        assert_image_run(folder, metrics, "test")
    assert min(accuracies.values()) >= 0.97, accuracies
    assert np.median(list(accuracies.values())) >= 0.975, accuracies


@pytest.mark.slow
def test_mnist_adam_reaches_97_percent(cli, real_keras, tmp_path):
    folder, metrics = run(cli, "train", "mnist-adam", tmp_path / "runs")
    assert metrics["test"]["accuracy"] >= 0.97
    assert_image_run(folder, metrics, "test")


@pytest.mark.slow
def test_fashion_mnist_reaches_the_lectures_validation_accuracy(cli, real_keras, tmp_path):
    folder, metrics = run(cli, "train", "fashion-mnist", tmp_path / "runs")
    assert metrics["rows"] == {"train": 55000, "validation": 5000, "test": 10000}
    assert metrics["validation"]["accuracy"] >= 0.87
    assert_image_run(folder, metrics, "test")


@pytest.mark.slow
def test_mnist_conv_reaches_its_goal(real_keras, tmp_path):
    """In a process of its own: the config asks for tensorflow (jax's convolutions are ~8x slower on a CPU), and
    this process has Keras loaded with jax."""
    runs = tmp_path / "runs"
    done = subprocess.run(
        [sys.executable, "-m", "nnrun", "train", CONFIGS / "mnist-conv.yaml", "--runs-dir", runs, "-q"],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr
    (folder,) = runs.iterdir()
    metrics = json.loads((folder / "metrics.json").read_text())
    assert json.loads((folder / "env.json").read_text())["backend"] == "tensorflow"
    assert metrics["test"]["accuracy"] >= 0.985
    assert_image_run(folder, metrics, "test")


@pytest.mark.slow
def test_boston_keras_kfold_reaches_the_lectures_mae(cli, real_keras, tmp_path):
    folder, metrics = run(cli, "kfold", "boston-keras", tmp_path / "runs")
    assert metrics["validation_mean"]["mae"] <= 2.8
    final = json.loads((folder / "final" / "metrics.json").read_text())
    assert final["rows"] == {"train": 404, "test": 102}
    assert final["test"]["mae"] <= 3.0


# an epoch on the 60,000 real images; on stand-ins, test_keras_datasets' test_predict_takes_784_pixel_columns
@pytest.mark.slow
def test_predict_reads_real_mnist_rows_as_the_right_digits(cli, real_keras, real_archives, tmp_path):
    """20 rows of the real test set as 784 pixel columns (0-255), as a user would export them, after one epoch."""
    folder, metrics = run(cli, "train", "mnist", tmp_path / "runs", "epochs=1")
    with np.load(real_archives / "mnist.npz") as mnist:
        images, digits = mnist["x_test"][:20], mnist["y_test"][:20]
    rows = tmp_path / "digits.csv"
    np.savetxt(rows, images.reshape(20, 784), fmt="%d", delimiter=",")
    result = cli("predict", folder, rows)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    table = pd.read_csv(io.StringIO(result.stdout))
    assert len(table) == 20
    assert np.mean(table["prediction"].to_numpy() == digits) >= 0.9
    assert metrics["test"]["accuracy"] >= 0.9
    assert_image_run(folder, metrics, "test")
