"""Devices: which one a run trains on, what env.json records of it, and what `--device gpu` says without one.

This machine has no GPU: the GPU paths run on fakes (a backend module or a CUDA driver that answers as an H200
would), and the one test that needs a real GPU skips, saying why. benchmarks/gpu_check.sh checks a real one.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from helpers import import_keras, tiny_config

from nnrun.engine import backend
from nnrun.engine.backend import Activated, Device, cpu_name, cuda_memory_gib, gpu_devices, no_gpu_reason

H200_BYTES = 150_110_000_000  # 139.8 GiB


def fake_jax(*devices):
    return SimpleNamespace(devices=lambda: list(devices))


def jax_gpu(index: int, kind: str = "NVIDIA H200"):
    return SimpleNamespace(platform="gpu", device_kind=kind, id=index, local_hardware_id=index)


def test_jax_gpus_are_named_and_sized_from_the_cuda_driver(monkeypatch):
    asked = []
    monkeypatch.setitem(sys.modules, "jax", fake_jax(jax_gpu(0), jax_gpu(1, "NVIDIA A100-SXM4-80GB")))
    monkeypatch.setattr(backend, "cuda_memory_gib", lambda ordinal: asked.append(ordinal) or [139.8, 79.3][ordinal])
    assert gpu_devices("jax") == [Device("gpu:0", "NVIDIA H200", 139.8), Device("gpu:1", "NVIDIA A100-SXM4-80GB", 79.3)]
    assert asked == [0, 1]


def test_jax_on_the_cpu_has_no_gpus(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", fake_jax(SimpleNamespace(platform="cpu", device_kind="cpu", id=0)))
    assert gpu_devices("jax") == []


def test_tensorflow_gpus_are_named_from_its_device_details(monkeypatch):
    gpu = SimpleNamespace(name="/physical_device:GPU:0", device_type="GPU")
    config = SimpleNamespace(
        list_physical_devices=lambda kind: [gpu] if kind == "GPU" else [],
        experimental=SimpleNamespace(
            get_device_details=lambda d: {"device_name": "NVIDIA H200", "compute_capability": (9, 0)}
        ),
    )
    monkeypatch.setitem(sys.modules, "tensorflow", SimpleNamespace(config=config))
    monkeypatch.setattr(backend, "cuda_memory_gib", lambda ordinal: 139.8 if ordinal == 0 else None)
    assert gpu_devices("tensorflow") == [Device("gpu:0", "NVIDIA H200", 139.8)]


def test_torch_gpus_are_named_and_sized_from_their_properties(monkeypatch):
    properties = SimpleNamespace(name="NVIDIA H200", total_memory=H200_BYTES)
    cuda = SimpleNamespace(device_count=lambda: 1, get_device_properties=lambda i: properties)
    monkeypatch.setitem(sys.modules, "torch", SimpleNamespace(cuda=cuda))
    assert gpu_devices("torch") == [Device("gpu:0", "NVIDIA H200", 139.8)]


class FakeDriver:
    """libcuda as ctypes sees it: cuInit, cuDeviceGet and cuDeviceTotalMem_v2 returning CUDA's error codes."""

    def __init__(self, init_error: int = 0, memory: dict[int, int] | None = None):
        self.init_error, self.memory = init_error, memory or {0: H200_BYTES}

    def cuInit(self, flags):
        return self.init_error

    def cuDeviceGet(self, handle, ordinal):
        if ordinal not in self.memory:
            return 101  # CUDA_ERROR_INVALID_DEVICE
        handle._obj.value = ordinal
        return 0

    def cuDeviceTotalMem_v2(self, total, handle):
        total._obj.value = self.memory[handle.value]
        return 0


def test_a_gpus_memory_from_the_cuda_driver(monkeypatch):
    monkeypatch.setattr(ctypes, "CDLL", lambda name: FakeDriver())
    assert cuda_memory_gib(0) == 139.8
    assert cuda_memory_gib(1) is None  # no such device
    monkeypatch.setattr(ctypes, "CDLL", lambda name: FakeDriver(init_error=100))  # CUDA_ERROR_NO_DEVICE
    assert cuda_memory_gib(0) is None

    def missing(name):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", missing)
    assert cuda_memory_gib(0) is None


def test_the_device_on_the_start_line():
    assert Activated("jax", "0.11.2", "3.15.1", "gpu:0", "NVIDIA H200", 139.8).where == "gpu:0 (NVIDIA H200, 139.8 GiB)"
    assert Activated("jax", "0.11.2", "3.15.1", "gpu:0", "NVIDIA H200").where == "gpu:0 (NVIDIA H200)"
    assert Activated("jax", "0.10.2", "3.15.1", "cpu", "AMD EPYC").where == "cpu"


def test_the_processor_is_named():
    name = cpu_name()
    assert name and name not in ("x86_64", "aarch64", "arm64")  # a model name, not the architecture
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:
        model = None
    if model:
        assert name == model


def test_env_json_records_the_cpu_by_name(cli, write_config, tmp_path):
    import_keras()
    result = cli("train", write_config(tiny_config()), "--device", "cpu", "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    env = json.loads((next((tmp_path / "runs").iterdir()) / "env.json").read_text())
    assert (env["device"], env["device_name"], env["device_memory_gib"]) == ("cpu", cpu_name(), None)


def test_a_run_on_a_gpu_records_its_name_and_memory(cli, write_config, tmp_path, monkeypatch):
    # The backend answers as on an H200 (the arithmetic still runs where Keras put it: the fake moves nothing)
    import_keras()
    monkeypatch.setattr(backend, "gpu_devices", lambda name: [Device("gpu:0", "NVIDIA H200", 139.8)])
    for device in ("gpu", "auto"):
        runs = tmp_path / device
        result = cli("train", write_config(tiny_config()), "--device", device, "--runs-dir", runs)
        assert result.exit_code == 0, result.output
        assert "on gpu:0 (NVIDIA H200, 139.8 GiB)" in result.stdout  # the start line
        assert "note:" not in result.output
        env = json.loads((next(runs.iterdir()) / "env.json").read_text())
        assert (env["device"], env["device_name"], env["device_memory_gib"]) == ("gpu:0", "NVIDIA H200", 139.8)


def test_auto_notes_a_gpu_the_backend_cannot_use(cli, write_config, tmp_path, monkeypatch):
    keras = import_keras()
    monkeypatch.setattr(backend, "gpu_devices", lambda name: [])
    monkeypatch.setattr(backend, "nvidia_gpu_present", lambda: True)
    config = write_config(tiny_config())
    result = cli("train", config, "--runs-dir", tmp_path / "auto", "-q")
    assert result.exit_code == 0, result.output
    fix = {
        "jax": 'pip install "jax[cuda12]" (jax\'s CUDA plugin)',
        "tensorflow": 'pip install "tensorflow[and-cuda]" (its CUDA libraries)',
        "torch": "install a CUDA build of torch (pytorch.org lists them)",
    }[keras.backend.backend()]
    assert (
        f"note: an NVIDIA GPU is here, but {keras.backend.backend()} does not see it: this run trains on the "
        f"CPU; to train on the GPU, {fix}"
    ) in result.output
    env = json.loads((next((tmp_path / "auto").iterdir()) / "env.json").read_text())
    assert env["device"] == "cpu"
    # --device cpu is the user's choice: nothing to note
    result = cli("train", config, "--device", "cpu", "--runs-dir", tmp_path / "cpu", "-q")
    assert result.exit_code == 0 and "note:" not in result.output, result.output


def test_device_gpu_without_one_is_one_line_and_writes_nothing(cli, write_config, tmp_path, monkeypatch):
    keras = import_keras()
    name = keras.backend.backend()
    monkeypatch.setattr(backend, "gpu_devices", lambda name: [])
    monkeypatch.setattr(backend, "jax_has_cuda", lambda: False)
    monkeypatch.setattr(backend, "nvidia_gpu_present", lambda: False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    result = cli("train", write_config(tiny_config()), "--device", "gpu", "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2
    expected = (
        (
            "jax sees no GPU: it has no CUDA plugin here; on a machine with an NVIDIA GPU, pip install "
            '"jax[cuda12]"; or use --device cpu or auto'
        )
        if name == "jax"
        else f"{name} sees no GPU: no NVIDIA driver is loaded on this machine; use --device cpu or auto"
    )
    assert result.stderr == f"error: --device gpu: {expected}\n"
    assert not (tmp_path / "runs").exists()


def test_why_no_gpu_is_seen(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(backend, "jax_has_cuda", lambda: False)
    monkeypatch.setattr(backend, "nvidia_gpu_present", lambda: True)
    assert no_gpu_reason("jax") == (
        "jax sees no GPU: it has no CUDA plugin here; on a machine with an NVIDIA GPU, "
        'pip install "jax[cuda12]"; or use --device cpu or auto'
    )
    monkeypatch.setattr(backend, "jax_has_cuda", lambda: True)
    assert no_gpu_reason("jax") == (
        "jax sees no GPU, though an NVIDIA driver is loaded (are CUDA's libraries missing, or newer than the "
        'driver?); pip install "jax[cuda12]" (jax\'s CUDA plugin), or use --device cpu or auto'
    )
    assert no_gpu_reason("tensorflow") == (
        "tensorflow sees no GPU, though an NVIDIA driver is loaded (are CUDA's libraries missing, or newer than the "
        'driver?); pip install "tensorflow[and-cuda]" (its CUDA libraries), or use --device cpu or auto'
    )
    monkeypatch.setattr(backend, "nvidia_gpu_present", lambda: False)
    assert (
        no_gpu_reason("torch")
        == "torch sees no GPU: no NVIDIA driver is loaded on this machine; use --device cpu or auto"
    )
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert (
        no_gpu_reason("jax")
        == "CUDA_VISIBLE_DEVICES='-1' hides every GPU from jax; unset it, or use --device cpu or auto"
    )


def test_a_gpu_run_lets_jax_take_only_the_memory_it_uses():
    # jax takes 75 % of a GPU at start by default: a sweep's second worker on the same GPU would find none left
    if not backend.installed("jax"):
        pytest.skip("needs jax")
    code = (
        "import os; from nnrun.engine.backend import activate; activate('jax', 'auto'); "
        "print(os.environ['XLA_PYTHON_CLIENT_PREALLOCATE'], os.environ['TF_FORCE_GPU_ALLOW_GROWTH'])"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("XLA_PYTHON_CLIENT_PREALLOCATE", "TF_FORCE_GPU_ALLOW_GROWTH", "KERAS_BACKEND")
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["false", "true"]


def real_gpu_skip() -> str | None:
    """Why the real-GPU test cannot run here, or None when jax can see an NVIDIA GPU."""
    if not backend.nvidia_gpu_present():
        return "needs an NVIDIA GPU (no NVIDIA driver is loaded here); benchmarks/gpu_check.sh checks one"
    if not backend.jax_has_cuda():
        return 'needs jax\'s CUDA plugin: pip install ".[cuda]"'
    return None


@pytest.mark.skipif(real_gpu_skip() is not None, reason=real_gpu_skip() or "")
def test_a_run_on_a_real_gpu(write_config, tmp_path):
    config = write_config(tiny_config(backend="jax"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nnrun",
            "train",
            str(config),
            "--device",
            "gpu",
            "-q",
            "--runs-dir",
            str(tmp_path / "runs"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    env = json.loads((next((tmp_path / "runs").iterdir()) / "env.json").read_text())
    assert env["device"] == "gpu:0" and env["device_name"] and env["device_memory_gib"] > 1, env
