"""Backends: jax is the default when installed; TensorFlow stays supported (one subprocess, as it is slow)."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml
from conftest import tiny_config

from nnrun.backend import installed


def test_tensorflow_backend_trains_and_predicts_cleanly(tmp_path):
    config = tmp_path / "tf.yaml"
    config.write_text(yaml.safe_dump(tiny_config(backend="tensorflow")))
    result = subprocess.run([sys.executable, "-m", "nnrun", "train", str(config), "--runs-dir", str(tmp_path / "runs")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    run = next((tmp_path / "runs").iterdir())
    env = json.loads((run / "env.json").read_text())
    assert env["backend"] == "tensorflow" and env["backend_version"][0] == "2"
    assert json.loads((run / "metrics.json").read_text())["status"] == "completed"
    # TensorFlow's native start-up notices (oneDNN, CUDA) are kept out of the user's terminal
    assert "oneDNN" not in result.stderr and "cuda" not in result.stderr.lower(), result.stderr


def test_auto_backend_prefers_jax_then_tensorflow(write_config, monkeypatch):
    from nnrun.spec import load_spec

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    path = write_config(tiny_config())
    assert load_spec(path).backend == ("jax" if installed("jax") else "tensorflow")
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    assert load_spec(path).backend == "tensorflow"  # the user's environment choice wins over auto
    assert load_spec(path, ["backend=jax"]).backend == "jax"  # and the config's explicit choice over both


def test_auto_prefers_tensorflow_on_an_nvidia_machine_without_cuda_jax(write_config, monkeypatch):
    from nnrun import backend
    from nnrun.spec import load_spec

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setattr(backend, "installed", lambda name: name in ("jax", "tensorflow"))
    monkeypatch.setattr(backend, "nvidia_gpu_present", lambda: True)
    monkeypatch.setattr(backend, "jax_has_cuda", lambda: False)
    assert load_spec(write_config(tiny_config())).backend == "tensorflow"
    monkeypatch.setattr(backend, "jax_has_cuda", lambda: True)
    assert load_spec(write_config(tiny_config())).backend == "jax"
    monkeypatch.setattr(backend, "nvidia_gpu_present", lambda: False)
    monkeypatch.setattr(backend, "jax_has_cuda", lambda: False)
    assert load_spec(write_config(tiny_config())).backend == "jax"


def test_an_uninstalled_backend_is_a_config_error(write_config, monkeypatch):
    import pytest

    from nnrun import backend
    from nnrun.errors import ConfigError
    from nnrun.spec import load_spec

    monkeypatch.setattr(backend, "installed", lambda name: name == "jax")
    with pytest.raises(ConfigError, match=r"backend: got torch, which is not installed here; pip install torch, "
                                          r"or use one of: jax"):
        load_spec(write_config(tiny_config(backend="torch")))
