"""Ctrl-C and SIGTERM sent to a real `nnrun train` process: the run ends `interrupted`, with its history and model."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
import yaml
from helpers import tiny_config


def start_long_run(tmp_path):
    config = tmp_path / "long.yaml"
    config.write_text(yaml.safe_dump(tiny_config(epochs=100_000)))
    runs = tmp_path / "runs"
    process = subprocess.Popen(
        [sys.executable, "-m", "nnrun", "train", str(config), "--runs-dir", str(runs), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:  # wait until training is under way: a few epochs in history.csv
        histories = list(runs.glob("*/history.csv"))
        if histories and histories[0].read_text().count("\n") > 3:
            return process, histories[0].parent
        if process.poll() is not None:
            pytest.fail(f"nnrun ended early: {process.communicate()}")
        time.sleep(0.1)
    process.kill()
    pytest.fail("training did not start within 120 s")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_at_the_epoch_end_and_keeps_everything(tmp_path, signum):
    process, run = start_long_run(tmp_path)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "stopping at the end of this epoch" in err and "history and the model so far are kept" in err
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["status"] == "interrupted" and metrics["interrupted_by"] == signum.name
    assert metrics["epochs_run"] >= 3 and set(metrics["train"]) == {"loss", "accuracy"}
    assert (run / "history.csv").read_text().count("\n") == metrics["epochs_run"] + 1
    for name in ("model.keras", "history.png", "config.yaml", "summary.txt"):
        assert (run / name).exists(), name
    assert "run folder:" in out
    # a few epochs of a tiny model rarely beat the baseline, but an interrupted run is not judged on them
    assert "warnings" not in metrics and "warning:" not in out + err


def test_a_second_ctrl_c_stops_at_once_and_still_records_the_run(tmp_path):
    process, run = start_long_run(tmp_path)
    process.send_signal(signal.SIGINT)
    time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode == 130
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["status"] == "interrupted" and metrics["epochs_run"] >= 3


def test_a_killed_run_shows_as_crashed_in_compare(cli, tmp_path):
    process, run = start_long_run(tmp_path)
    process.kill()  # SIGKILL: no handler runs, metrics.json still says running
    process.communicate(timeout=60)
    assert json.loads((run / "metrics.json").read_text())["status"] == "running"
    result = cli("compare", run.parent, "--format", "json")
    assert result.exit_code == 0
    [row] = json.loads(result.stdout)
    assert row["status"] == "crashed"
    assert row["epochs_run"] >= 3  # read back from history.csv, flushed every epoch
    assert f"its process (pid {process.pid} on " in result.stderr and "it was killed" in result.stderr
