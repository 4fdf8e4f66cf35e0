"""The fast commands stay fast: `nnrun --help`, `--version`, `check`, `schema`, `datasets`, and `compare`, `show`
and `diff` (which read run folders) import no ML framework."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import CONFIGS, HEAVY, KF, PROBE, RUN_CONFIGS, SCORES, A, history, kfold_metrics, make_run, train_metrics


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["check", str(CONFIGS / "pima.yaml")],
        ["check", str(CONFIGS / "quickstart.yaml"), "--set", "epochs=5"],
        ["schema"],
        ["datasets"],
        ["check", str(CONFIGS / "mnist.yaml")],  # a Keras dataset is checked without Keras
        ["train", str(CONFIGS / "pima.yaml"), "--set", "epochs=0"],  # a bad config is rejected before any import
    ],
)
def test_fast_commands_import_no_ml_framework(args):
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)], capture_output=True, text=True, timeout=60
    )
    expected_exit = 2 if "epochs=0" in args else 0
    # "HEAVY: EXIT:0" means no heavy module; "HEAVY:keras,jax EXIT:0" names the ones imported
    assert result.stdout.strip().splitlines()[-1] == f"HEAVY: EXIT:{expected_exit}", result.stdout + result.stderr


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "nnrun", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("nnrun ")


@pytest.fixture
def runs(tmp_path):
    """A train run, a k-fold run (with fold folders) and a torn one, written by hand."""
    root = tmp_path / "runs"
    make_run(root, A, RUN_CONFIGS[A], train_metrics("pima", *SCORES[A]), history())
    make_run(
        root,
        KF,
        RUN_CONFIGS[A],
        kfold_metrics(
            "pima", {"loss": 0.5, "accuracy": 0.75}, {"loss": 0.02, "accuracy": 0.03}, {"loss": 0.48, "accuracy": 0.74}
        ),
        history(),
        kind="kfold",
    )
    make_run(root, "torn", RUN_CONFIGS[A], '{"status": "comp', history())
    return root


READERS = {
    "compare": lambda root: ["compare", str(root)],
    "compare-json": lambda root: ["compare", str(root), "--format", "json", "--sort", "test_accuracy"],
    "show": lambda root: ["show", str(root / A)],
    "show-kfold": lambda root: ["show", str(root / KF)],
    "show-torn": lambda root: ["show", str(root / "torn")],
    "diff": lambda root: ["diff", str(root / A), str(root / KF)],
}


@pytest.mark.parametrize("command", list(READERS))
def test_reading_runs_imports_no_ml_framework_nor_matplotlib(runs, command):
    heavy = (*HEAVY, "matplotlib")
    args = READERS[command](runs)
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=heavy)], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1] == "HEAVY: EXIT:0", result.stdout + result.stderr


def test_compare_plot_imports_matplotlib_but_no_ml_framework(runs, tmp_path):
    args = ["compare", str(runs), "--plot", "val_loss", "-o", str(tmp_path / "p.png")]
    probe = PROBE.format(args=args, heavy=HEAVY) + "print('matplotlib' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    # matplotlib is checked too, or a plot drawn without it would pass for one drawn with it
    assert result.stdout.strip().splitlines()[-2:] == ["HEAVY: EXIT:0", "True"], result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["check", str(CONFIGS / "pima.yaml")],
        ["check", str(CONFIGS / "quickstart.yaml")],
        ["datasets"],
    ],
)
def test_the_fastest_commands_import_not_even_numpy(args):
    # numpy alone costs about 0.1-0.2 s here, a third of `nnrun check`: plain check reads the config and the
    # generated Keras names, and needs no array
    heavy = (*HEAVY, "numpy", "pandas")
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=heavy)], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1] == "HEAVY: EXIT:0", result.stdout + result.stderr
