"""The fast commands stay fast: `nnrun --help`, `--version`, `check` and `schema` import no ML framework."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import CONFIGS

HEAVY = ("tensorflow", "keras", "jax", "torch")
PROBE = """
import runpy, sys
sys.argv = ["nnrun", *{args!r}]
try:
    runpy.run_module("nnrun", run_name="__main__")
except SystemExit as e:
    code = e.code
else:
    code = 0
sys.stdout.flush()
print("HEAVY:" + ",".join(m for m in {heavy!r} if m in sys.modules), "EXIT:" + str(code))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["check", str(CONFIGS / "pima.yaml")],
        ["check", str(CONFIGS / "quickstart.yaml"), "--set", "epochs=5"],
        ["schema"],
        ["train", str(CONFIGS / "pima.yaml"), "--set", "epochs=0"],  # a bad config is rejected before any import
    ],
)
def test_fast_commands_import_no_ml_framework(args):
    result = subprocess.run([sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
                            capture_output=True, text=True, timeout=60)
    expected_exit = 2 if "epochs=0" in args else 0
    # "HEAVY: EXIT:0" means no heavy module; "HEAVY:keras,jax EXIT:0" names the ones imported
    assert result.stdout.strip().splitlines()[-1] == f"HEAVY: EXIT:{expected_exit}", result.stdout + result.stderr


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "nnrun", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("nnrun ")
