"""Backends: jax is the default when installed; TensorFlow stays supported and is tested in subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from helpers import tiny_config

from nnrun.engine.backend import BACKENDS, installed


@pytest.mark.parametrize("backend", [b for b in BACKENDS if installed(b)])
def test_each_backend_repeats_a_run_exactly_in_a_new_process(tmp_path, backend):
    # Two processes at once (the machine has two cores): same config and seed, so the same history to the last bit.
    config = tmp_path / "exp.yaml"
    config.write_text(yaml.safe_dump(tiny_config(backend=backend, epochs=5)))
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "nnrun", "train", str(config), "--runs-dir", str(tmp_path / r)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in ("a", "b")
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        # The backends' native start-up notices (oneDNN, CUDA) are kept out of the user's terminal
        assert "oneDNN" not in stderr and "cuda" not in stderr.lower(), stderr
    a, b = (next((tmp_path / r).iterdir()) for r in ("a", "b"))
    assert (a / "history.csv").read_text() == (b / "history.csv").read_text()
    assert json.loads((a / "metrics.json").read_text())["status"] == "completed"
    env = json.loads((a / "env.json").read_text())
    assert (
        env["backend"] == backend and env["backend_version"][0].isdigit() and env["device"].startswith(("cpu", "gpu"))
    )
    assert env["seed"] == 42 and env["command"] == f"python -m nnrun train {config} --runs-dir {tmp_path / 'a'}"
    assert env["keras"].startswith("3.") and env["numpy"] and env["python"]
    # each backend's fastest loop is the default (benchmarks/run.py measures them)
    assert (
        env["performance"]["training_loop"]
        == {"jax": "compiled epochs", "tensorflow": "keras fit, tf.data", "torch": "keras fit"}[backend]
    )


def test_auto_backend_prefers_jax_then_tensorflow(write_config, monkeypatch):
    from nnrun.api import check as load_spec

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    path = write_config(tiny_config())
    assert load_spec(path).backend == ("jax" if installed("jax") else "tensorflow")
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    assert load_spec(path).backend == "tensorflow"  # the user's environment choice wins over auto
    assert load_spec(path, ["backend=jax"]).backend == "jax"  # and the config's explicit choice over both


def test_auto_prefers_tensorflow_on_an_nvidia_machine_without_cuda_jax(write_config, monkeypatch):
    from nnrun.api import check as load_spec
    from nnrun.engine import backend

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setattr(backend, "installed", lambda name: name in ("jax", "tensorflow"))
    monkeypatch.setattr(backend, "nvidia_gpu_present", lambda: True)
    monkeypatch.setattr(backend, "jax_has_cuda", lambda: False)
    monkeypatch.setattr(backend, "tensorflow_has_cuda", lambda: True)
    assert load_spec(write_config(tiny_config())).backend == "tensorflow"
    monkeypatch.setattr(backend, "jax_has_cuda", lambda: True)  # nnrun[cuda]: jax trains on the GPU, and faster
    assert load_spec(write_config(tiny_config())).backend == "jax"
    # A tensorflow without CUDA's libraries would train on the CPU too, slower than jax there
    monkeypatch.setattr(backend, "jax_has_cuda", lambda: False)
    monkeypatch.setattr(backend, "tensorflow_has_cuda", lambda: False)
    assert load_spec(write_config(tiny_config())).backend == "jax"
    monkeypatch.setattr(backend, "nvidia_gpu_present", lambda: False)
    monkeypatch.setattr(backend, "jax_has_cuda", lambda: False)
    assert load_spec(write_config(tiny_config())).backend == "jax"


def test_an_uninstalled_backend_is_a_config_error(write_config, monkeypatch):
    import pytest

    from nnrun.api import check as load_spec
    from nnrun.engine import backend
    from nnrun.errors import ConfigError

    monkeypatch.setattr(backend, "installed", lambda name: name == "jax")
    with pytest.raises(
        ConfigError,
        match=r"backend: got torch, which is not installed here; pip install torch, "
        r"or use one of: jax",
    ):
        load_spec(write_config(tiny_config(backend="torch")))


def test_the_jax_compilation_cache_folder(monkeypatch, tmp_path):
    from nnrun.engine.backend import compilation_cache

    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path / "mine"))
    assert compilation_cache() == str(tmp_path / "mine")  # the user's choice first
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert compilation_cache() == str(tmp_path / "xdg" / "nnrun" / "jax")
    monkeypatch.setenv("NNRUN_JAX_CACHE", "off")
    assert compilation_cache() is None


def test_training_on_jax_fills_the_compilation_cache(cli, write_config, tmp_path):
    import os

    from helpers import import_keras

    if import_keras().backend.backend() != "jax":
        pytest.skip("the cache is jax's")
    assert cli("train", write_config(tiny_config()), "--runs-dir", tmp_path / "runs", "-q").exit_code == 0
    assert any(os.scandir(os.environ["JAX_COMPILATION_CACHE_DIR"]))  # compiled steps kept for the next run


def test_keras_is_imported_without_its_sklearn_wrappers_pyplot_and_ipython():
    """Keras's scikit-learn wrappers and image-gallery plots (which import scikit-learn, SciPy's stats and
    matplotlib.pyplot: 1-2 s) are loaded at their first use, not with Keras, and hold what they held; IPython (1 s,
    for Keras's notebook displays) is left out of a process that is no notebook, and used in one that is."""
    probe = (
        "import sys\n"
        "if 'notebook' in sys.argv:\n"
        "    import IPython\n"
        "from nnrun.engine.backend import activate\n"
        "activate('jax' if 'jax' in sys.argv else 'tensorflow')\n"
        "print(sorted(m for m in ('sklearn', 'scipy.stats', 'matplotlib.pyplot', 'IPython') if m in sys.modules))\n"
        "import keras\n"
        "from keras.src.saving import file_editor\n"
        "from keras.src.visualization import plot_image_gallery\n"
        "print(keras.wrappers.SKLearnClassifier.__name__, keras.visualization.plot_image_gallery.__name__,\n"
        "      'sklearn' in sys.modules, 'matplotlib.pyplot' in sys.modules, file_editor.ipython is not None)\n"
    )
    backend = "jax" if installed("jax") else "tensorflow"

    def run(*args):
        done = subprocess.run(
            [sys.executable, "-c", probe, backend, *args], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()[-2:]

    assert run() == ["[]", "SKLearnClassifier plot_image_gallery True True False"]
    if installed("IPython"):
        assert run("notebook") == ["['IPython']", "SKLearnClassifier plot_image_gallery True True True"]
