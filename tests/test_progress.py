"""What a terminal shows while a run starts and trains: a first line before the slow imports, and the progress
bar without a plain line repeating it (a pipe gets the plain `epoch N/M` lines instead)."""

from __future__ import annotations

import io
import re

import pytest
import yaml
from helpers import import_keras, tiny_config
from rich.console import Console

keras = import_keras()  # the way nnrun imports it (its backend), before nnrun.engine.callbacks imports Keras

from nnrun.engine.callbacks import EpochProgress  # noqa: E402


def _train(console: Console, epochs: int = 3) -> str:
    progress = EpochProgress(console, epochs)
    progress.on_train_begin()
    for epoch in range(epochs):
        progress.on_epoch_end(epoch, {"loss": 0.5 / (epoch + 1), "accuracy": 0.7})
    progress.on_train_end()
    progress.close()  # fit_run closes it again, whatever happened
    return console.file.getvalue()


def test_a_finished_bar_is_not_followed_by_a_plain_line_repeating_it():
    out = _train(Console(file=io.StringIO(), width=120, force_terminal=True, color_system=None))
    assert "3/3" in out and "loss 0.1667" in out  # the bar, finished
    assert "epoch 3/3  loss" not in out  # the plain line a pipe gets


@pytest.mark.parametrize(
    ("width", "epochs", "label"), [(80, 40, ""), (80, 60, "fold 1/4 "), (100, 5000, ""), (120, 30, "")]
)
def test_the_bar_keeps_the_epoch_count_and_eta_and_drops_metrics_that_do_not_fit(width, epochs, label):
    console = Console(file=io.StringIO(), width=width, force_terminal=True, color_system=None)
    progress = EpochProgress(console, epochs, label)
    progress.on_train_begin()
    logs = {"loss": 35.24, "mae": 2.2, "val_loss": 0.06785, "val_mae": 3.125, "accuracy": 0.75}
    done = min(epochs, 2224)
    for epoch in range(done):
        progress.on_epoch_end(epoch, logs)
    progress.close()
    screen = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", console.file.getvalue()).replace("\r", "\n")
    last = [line for line in screen.split("\n") if line.strip()][-1]
    assert len(last) <= width
    assert last.startswith(f"{label}epoch {done}/{epochs} eta 0:0")
    metrics = re.split(r"[━╸╺]", last)[-1].strip().split("  ")  # each whole, the first ones kept
    shown = ["loss 35.24", "mae 2.2", "accuracy 0.75", "val_loss 0.06785", "val_mae 3.125"][: len(metrics)]
    assert metrics == shown and len(metrics) >= 2


def test_a_pipe_gets_the_plain_lines_once():
    out = _train(Console(file=io.StringIO(), width=120, color_system=None), epochs=3)
    assert out.splitlines() == [
        "epoch 1/3  loss 0.5  accuracy 0.7",
        "epoch 2/3  loss 0.25  accuracy 0.7",
        "epoch 3/3  loss 0.1667  accuracy 0.7",
    ]


def test_check_deep_says_what_it_loads_first_on_stderr(cli, tmp_path, monkeypatch):
    import keras

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # standard error as a terminal, for Rich
    monkeypatch.setenv("NO_COLOR", "1")
    backend = keras.backend.backend()  # the one this test process has loaded (callbacks imports Keras)
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(tiny_config(backend=backend)), encoding="utf-8")
    result = cli("check", path, "--deep")
    assert result.exit_code == 0, result.stderr
    first = re.sub(r"\x1b\[[0-9;]*m", "", result.stderr.splitlines()[0])  # dim: the style, not the words
    assert first == f"loading the data and keras with {backend}..."
    assert result.stdout.startswith(f"# {path}: valid")  # stdout stays the resolved config
    monkeypatch.delenv("TTY_COMPATIBLE")
    assert cli("check", path, "--deep").stderr == ""  # not a terminal: a log gets what it got before
