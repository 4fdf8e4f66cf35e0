"""Runs started together never share a folder: each `nnrun train` creates its folder with an exclusive mkdir."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import yaml
from helpers import tiny_config

RUN_FILES = {
    "config.yaml",
    "env.json",
    "history.csv",
    "history.png",
    "metrics.json",
    "model.keras",
    "preprocess.json",
    "summary.txt",
    "confusion.csv",
    "confusion.png",
}


def test_ten_processes_creating_a_folder_in_the_same_second_get_ten(tmp_path):
    # Every process waits for the same instant, then asks for the same stamp and name.
    start = time.time() + 1.5
    script = (
        "import sys, time; from datetime import datetime; from pathlib import Path; from nnrun.runs.folder import RunFolder\n"
        f"time.sleep(max(0, {start} - time.time()))\n"
        "print(RunFolder.create(Path(sys.argv[1]), 'pima', now=datetime(2026, 11, 22, 14, 30, 5)).path.name)\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(10)
    ]
    names = [p.communicate(timeout=60)[0].strip() for p in processes]
    assert sorted(names) == sorted(["20261122-143005-pima", *(f"20261122-143005-pima-{n}" for n in range(2, 11))])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


# Each process imports Keras (3-6 s of CPU): three show the behaviour; ten, the stress, run with the slow tests.
@pytest.mark.parametrize("n", [3, pytest.param(10, marks=pytest.mark.slow)])
def test_concurrent_trains_give_as_many_complete_distinct_run_folders(tmp_path, n):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config(name="same")))
    runs = tmp_path / "runs"
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "nnrun", "train", str(config), "--runs-dir", str(runs), "-q"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    folders = sorted(runs.iterdir())
    assert len(folders) == n
    histories = set()
    for folder in folders:
        assert {p.name for p in folder.iterdir()} == RUN_FILES, folder
        metrics = json.loads((folder / "metrics.json").read_text())
        assert metrics["status"] == "completed" and metrics["epochs_run"] == 3
        histories.add((folder / "history.csv").read_text())
    assert len(histories) == 1  # the same config and seed: identical histories, none mixed with another's
