"""The Keras backend and device: choose them, import Keras once with them, seed everything.

Importing this module is cheap; only `activate` imports Keras (and with it TensorFlow, JAX or PyTorch).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import platform
import re
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nnrun.errors import ConfigError, NnrunError

if TYPE_CHECKING:
    from nnrun.config.schema import Spec

BACKENDS = ("jax", "tensorflow", "torch")
DEVICES = ("auto", "cpu", "gpu")


def installed(backend: str) -> bool:
    """True when the backend's package can be imported (checked without importing it)."""
    return importlib.util.find_spec(backend) is not None


def _has_module(name: str) -> bool:
    """True when the dotted module `name` can be found; False also when a parent package is missing."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def resolve_backend(spec: Spec) -> str:
    """The backend a run uses: the config's, else $KERAS_BACKEND, else jax if installed, else tensorflow."""
    wanted = spec.backend
    if wanted == "auto":
        env = os.environ.get("KERAS_BACKEND", "")
        if env in BACKENDS:
            wanted = env
        else:
            wanted = next((b for b in _preference() if installed(b)), "tensorflow")
    if not installed(wanted):
        raise spec.error(
            ("backend",),
            f"got {wanted}, which is not installed here; pip install {wanted}, "
            f"or use one of: {', '.join(b for b in BACKENDS if installed(b)) or 'none installed'}",
        )
    return wanted


def _preference() -> tuple[str, ...]:
    """Backends in the order `auto` tries them. jax trains small MLPs 2-8x faster than tensorflow on CPU; but
    PyPI's plain jax is CPU-only, so on a machine with an NVIDIA GPU where jax has no CUDA plugin (nnrun[cuda]
    installs it) and TensorFlow has its CUDA libraries, tensorflow comes first: it trains on the GPU. Without
    them tensorflow would train on the CPU too, slower than jax. Decided without importing any framework."""
    if nvidia_gpu_present() and not jax_has_cuda() and tensorflow_has_cuda():
        return ("tensorflow", "jax", "torch")
    return ("jax", "tensorflow", "torch")


def nvidia_gpu_present() -> bool:
    """True when the NVIDIA driver is loaded (its /proc entry or a /dev/nvidia<N> device exists)."""
    return Path("/proc/driver/nvidia/version").exists() or any(Path("/dev").glob("nvidia[0-9]*"))


def jax_has_cuda() -> bool:
    """True when a CUDA plugin for jax is installed (jax[cuda12], jax[cuda13]: nnrun[cuda], nnrun[cuda13])."""
    return any(installed(f"jax_cuda{v}_plugin") for v in (12, 13))


def tensorflow_has_cuda() -> bool:
    """True when TensorFlow can find CUDA's libraries: pip's (tensorflow[and-cuda], or jax's CUDA extra, install
    nvidia-cudnn) or a cuDNN that the system's loader knows."""
    import ctypes.util

    return _has_module("nvidia.cudnn") or ctypes.util.find_library("cudnn") is not None


def gpu_fix(backend: str) -> str:
    """What to install so that `backend` sees an NVIDIA GPU."""
    return {
        "jax": 'pip install "jax[cuda12]" (jax\'s CUDA plugin)',
        "tensorflow": 'pip install "tensorflow[and-cuda]" (its CUDA libraries)',
        "torch": "install a CUDA build of torch (pytorch.org lists them)",
    }[backend]


def no_gpu_reason(backend: str) -> str:
    """Why `backend` sees no GPU, and what to do: `--device gpu`'s error after "--device gpu: "."""
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES")
    if hidden is not None and hidden.strip() in ("", "-1"):
        return f"CUDA_VISIBLE_DEVICES={hidden!r} hides every GPU from {backend}; unset it, or use --device cpu or auto"
    if backend == "jax" and not jax_has_cuda():
        return (
            "jax sees no GPU: it has no CUDA plugin here; on a machine with an NVIDIA GPU, pip install "
            '"jax[cuda12]"; or use --device cpu or auto'
        )
    if not nvidia_gpu_present():
        return f"{backend} sees no GPU: no NVIDIA driver is loaded on this machine; use --device cpu or auto"
    return (
        f"{backend} sees no GPU, though an NVIDIA driver is loaded (are CUDA's libraries missing, or newer than "
        f"the driver?); {gpu_fix(backend)}, or use --device cpu or auto"
    )


@dataclass
class Device:
    """A device a backend trains on: "cpu", or "gpu:<index as the backend numbers them>"."""

    label: str
    name: str  # "NVIDIA H200", the processor's model name, or "" when unknown
    memory_gib: float | None = None  # a GPU's total memory (GiB, 2**30 bytes); None on the CPU or when unknown


@dataclass
class Activated:
    """The backend in force and the device it trains on."""

    backend: str
    backend_version: str
    keras_version: str
    device: str  # "cpu" or "gpu:0"
    device_name: str = ""  # "NVIDIA H200", or the processor's name
    device_memory_gib: float | None = None  # the GPU's total memory; None on the CPU

    @property
    def where(self) -> str:
        """The device as the start line shows it: "cpu", or "gpu:0 (NVIDIA H200, 139.8 GiB)"."""
        if self.device == "cpu":
            return "cpu"
        size = f", {self.device_memory_gib:g} GiB" if self.device_memory_gib else ""
        return f"{self.device} ({self.device_name}{size})" if self.device_name else self.device


def activate(backend: str, device: str = "auto") -> Activated:
    """Import Keras with `backend` on `device` (auto | cpu | gpu); raise NnrunError when that cannot be had."""
    if device not in DEVICES:
        raise NnrunError(f"--device {device}: unknown device; valid: {', '.join(DEVICES)}")
    loaded = sys.modules.get("keras")
    if loaded is not None:
        current = loaded.backend.backend()
        if current != backend:
            raise ConfigError(
                f"backend: got {backend}, but Keras is already loaded with {current} in this process; "
                "run nnrun in a new process to switch backends"
            )
    else:
        os.environ["KERAS_BACKEND"] = backend
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter
        if device == "cpu":
            os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
            os.environ["JAX_PLATFORMS"] = "cpu"
        else:
            # jax and TensorFlow take most of a GPU's memory at start by default; nnrun's models need little, and
            # a sweep's workers (and other runs) share the GPU: each takes what it uses instead.
            os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
            os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
        if backend == "tensorflow":
            _quietly(lambda: __import__("tensorflow"))
        if backend == "jax":
            _compilation_cache()
        with _unused_keras_parts_deferred():
            importlib.import_module("keras")
    import keras

    if backend != "tensorflow" and "tensorflow" not in sys.modules:
        _without_tensorflow()
    if backend == "jax":
        _shared_samplers()
    if loaded is None:
        freeze_imports()
    gpus = [] if device == "cpu" else _quietly(lambda: gpu_devices(backend))
    if device == "gpu" and not gpus:
        raise NnrunError(f"--device gpu: {no_gpu_reason(backend)}")
    used = gpus[0] if gpus else Device("cpu", cpu_name())
    module = sys.modules.get(backend) or __import__(backend)
    return Activated(
        backend, getattr(module, "__version__", "?"), keras.__version__, used.label, used.name, used.memory_gib
    )


def freeze_imports() -> None:
    """Move every object alive now (the modules of Python, numpy, the backend and Keras, hundreds of thousands of
    them) out of the garbage collector's reach. Keras's clear_session and nnrun's own release between folds and
    sweep trials each run a full collection, which otherwise walks all of them: 0.3-0.5 s a call here, about 10
    calls per 3-fold run. What is frozen is never freed, so call it when what is alive is what stays alive: just
    after the imports (a collection first would cost as much as the ones it saves, for the few cycles the imports
    left behind). Results do not change; only what the collector looks at."""
    import gc

    gc.freeze()


def compilation_cache() -> str | None:
    """Where jax keeps compiled programs between runs: $JAX_COMPILATION_CACHE_DIR when the user set it, else
    nnrun's cache folder ($XDG_CACHE_HOME or ~/.cache, then nnrun/jax); None when NNRUN_JAX_CACHE=off."""
    if os.environ.get("NNRUN_JAX_CACHE", "").lower() in ("off", "0", "false", "no"):
        return None
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return os.environ["JAX_COMPILATION_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nnrun", "jax")


def _compilation_cache() -> None:
    """Turn on jax's persistent compilation cache before jax is imported: a run that compiled the same training
    step before (the same model, batch size and backend) loads it instead of compiling it again, which is ~2 s of
    a 1500-epoch pima run. The programs are the same, and so are the results."""
    folder = compilation_cache()
    if folder is None:
        return
    os.environ["JAX_COMPILATION_CACHE_DIR"] = folder
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")  # small models compile fast, but often
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")


# Parts of Keras's API that `import keras` loads eagerly and nnrun never uses, each with an optional dependency it
# imports: scikit-learn (and SciPy) for the scikit-learn wrappers, matplotlib.pyplot for the image-gallery plots;
# together 1-2 s of Keras's 3-4 s import. They are loaded when first used, as usual, only not before.
DEFERRED_KERAS_MODULES = ("keras.wrappers", "keras.visualization", "keras.src.visualization")
# Keras's file editor imports IPython (about 1 s) for showing a model's weights in a notebook. A process that has
# not imported IPython when it imports Keras is no notebook, and never becomes one: there, Keras is told IPython is
# missing (as it handles on machines without it). Inside IPython or Jupyter, IPython is loaded already and is used.
NOTEBOOK_ONLY = "IPython"


class _DeferredKerasParts(importlib.abc.MetaPathFinder):
    """Finds DEFERRED_KERAS_MODULES as lazy modules (importlib.util.LazyLoader): the module object exists, and
    its code runs at the first access to one of its attributes. Reports NOTEBOOK_ONLY as not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == NOTEBOOK_ONLY:
            raise ModuleNotFoundError(f"{name} is not imported with Keras outside a notebook", name=name)
        if name not in DEFERRED_KERAS_MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


@contextmanager
def _unused_keras_parts_deferred():
    """While Keras is first imported, defer DEFERRED_KERAS_MODULES, and keep NOTEBOOK_ONLY out."""
    finder = _DeferredKerasParts()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def _without_tensorflow() -> None:
    """Tell Keras that TensorFlow is unavailable when another backend trains on numpy arrays.

    Keras probes `tf.available` when seeding and when saving a model, which imports TensorFlow (4-5 s here)
    only to check for TF objects that a jax or torch run fed with numpy arrays never holds. A Keras without the
    switch (keras_private.hide_tensorflow) imports TensorFlow: slower, the same results.
    """
    from nnrun.engine.keras_private import hide_tensorflow

    hide_tensorflow()


def _shared_samplers() -> None:
    """Let the weight initializers' random draws share a few compiled samplers instead of compiling one per
    weight shape (keras_private.bucket_random_draws): the same weights, a few tenths of a second less for every
    new layer shape, which a sweep meets at every trial. A Keras without the hook compiles one per shape."""
    from nnrun.engine.keras_private import bucket_random_draws

    bucket_random_draws()


_NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog|[IW]\d{4} |E\d{4} .*(cuInit|cuda))")


def _quietly(action):
    """Run `action` with the process's stderr captured, passing on every line but TensorFlow's start-up noise
    (oneDNN and CUDA notices that its C++ code writes before any log level applies)."""
    try:
        saved = os.dup(2)
    except OSError:
        return action()
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            return action()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            for line in captured.read().decode("utf-8", "replace").splitlines():
                if line.strip() and not _NOISE.match(line):
                    sys.stderr.write(line + "\n")


def gpu_devices(backend: str) -> list[Device]:
    """The GPUs the backend sees, in its order (the first is the one Keras trains on); empty on a CPU-only
    machine. Imports the backend."""
    if backend == "jax":
        import jax

        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        ordinals = [d.id if getattr(d, "local_hardware_id", None) is None else d.local_hardware_id for d in gpus]
        return [
            Device(f"gpu:{i}", getattr(d, "device_kind", "") or str(d), cuda_memory_gib(ordinal))
            for i, (d, ordinal) in enumerate(zip(gpus, ordinals))
        ]
    if backend == "tensorflow":
        import tensorflow as tf

        devices = []
        for i, d in enumerate(tf.config.list_physical_devices("GPU")):
            details = tf.config.experimental.get_device_details(d)
            devices.append(
                Device(
                    f"gpu:{i}",
                    details.get("device_name", "") or d.name,
                    cuda_memory_gib(int(d.name.rsplit(":", 1)[-1])),
                )
            )
        return devices
    import torch

    devices = []
    for i in range(torch.cuda.device_count()):
        properties = torch.cuda.get_device_properties(i)
        devices.append(Device(f"gpu:{i}", properties.name, round(properties.total_memory / 2**30, 1)))
    return devices


def cuda_memory_gib(ordinal: int) -> float | None:
    """The total memory of CUDA device `ordinal` (numbered as this process sees them, after CUDA_VISIBLE_DEVICES)
    in GiB, from the CUDA driver that the backend has loaded; None when it cannot be read. jax and TensorFlow
    report only what their allocators may take."""
    import ctypes

    for library in ("libcuda.so.1", "libcuda.dylib", "nvcuda.dll"):
        try:
            cuda = ctypes.CDLL(library)
            break
        except OSError:
            continue
    else:
        return None
    handle, total = ctypes.c_int(), ctypes.c_size_t()
    try:
        if (
            cuda.cuInit(0)
            or cuda.cuDeviceGet(ctypes.byref(handle), int(ordinal))
            or cuda.cuDeviceTotalMem_v2(ctypes.byref(total), handle)
        ):
            return None
    except (AttributeError, TypeError, ValueError):
        return None
    return round(total.value / 2**30, 1)


def cpu_name() -> str:
    """The processor's model name ("AMD EPYC 9654 96-Core Processor"): /proc/cpuinfo's on Linux, sysctl's on
    macOS, else what Python's platform module knows ("" when nothing)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                    return value.strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            found = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5, check=False
            )
            if found.returncode == 0 and found.stdout.strip():
                return found.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine()


def seed_everything(seed: int, backend: str) -> None:
    """Seed Python, NumPy and Keras's backend, and reset Keras's global state, so a run repeats exactly."""
    import keras

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    if backend == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.experimental.enable_op_determinism()
        except Exception:  # noqa: BLE001 - older TensorFlow: determinism is best effort there
            pass
