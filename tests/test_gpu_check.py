"""benchmarks/gpu_check.py reads each run's device and result from its folder, and flags a run off the device."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
gpu_check = pytest.importorskip("gpu_check")

# A stand-in for `python -m nnrun train ...`: writes a run folder as nnrun would, on the device given in argv[1]
FAKE_NNRUN = """
import json, sys
from pathlib import Path
device, name, memory = sys.argv[1].split("|")
runs = Path(sys.argv[sys.argv.index("--runs-dir") + 1]) / "20261130-120000-mnist"
runs.mkdir(parents=True)
(runs / "env.json").write_text(json.dumps({"device": device, "device_name": name,
                                           "device_memory_gib": float(memory) if memory else None}))
(runs / "metrics.json").write_text(json.dumps({"status": "completed", "fit_s": 2.5, "epochs_run": 5,
                                               "test": {"accuracy": 0.9731}}))
"""


@pytest.mark.parametrize(
    ("written", "shown", "problems"),
    [
        ("gpu:0|NVIDIA H200|139.8", "gpu:0 (NVIDIA H200, 139.8 GiB)", []),
        ("cpu|AMD EPYC|", "cpu (AMD EPYC)", ["trained on cpu, not on the gpu"]),
    ],
)
def test_each_run_shows_its_device_and_result(tmp_path, monkeypatch, written, shown, problems):
    fake = tmp_path / "fake_nnrun.py"
    fake.write_text(FAKE_NNRUN)
    monkeypatch.setattr(gpu_check, "NNRUN", [sys.executable, str(fake), written])
    run = gpu_check.Run("mnist", ["train", "configs/mnist.yaml", "-q", "--device", "gpu"])
    gpu_check.execute(run, tmp_path, tmp_path / "work", "gpu", timeout=60)
    assert run.exit_code == 0 and run.devices == [shown] and run.problems == problems
    assert run.result == "completed: test accuracy 0.9731 in 5 epochs, fit 2.5 s" and run.accuracy == 0.9731
    assert "$ nnrun train configs/mnist.yaml -q --device gpu --runs-dir" in (tmp_path / "log.txt").read_text()


def test_the_cpu_figures_come_from_the_benchmark_table():
    cpu = gpu_check.reference()
    rows = json.loads((REPO / "docs" / "benchmarks.json").read_text())["rows"]
    (epoch,) = [r["nnrun"] for r in rows if r["workload"] == "P3 MNIST (real): one epoch"]
    assert cpu["epoch"] == epoch and 0.9 < cpu["accuracy"] < 1 and cpu["process_s"] > 0
