"""The Keras backend and device: choose them, import Keras once with them, seed everything.

Importing this module is cheap; only `activate` imports Keras (and with it TensorFlow, JAX or PyTorch).
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import tempfile
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
        raise spec.error(("backend",), f"got {wanted}, which is not installed here; pip install {wanted}, "
                         f"or use one of: {', '.join(b for b in BACKENDS if installed(b)) or 'none installed'}")
    return wanted


def _preference() -> tuple[str, ...]:
    """Backends in the order `auto` tries them. jax trains small MLPs 2-8x faster than tensorflow on CPU; but
    PyPI's jax is CPU-only, so on a machine with an NVIDIA GPU and no CUDA plugin for jax, tensorflow
    (which finds the GPU itself) comes first. Decided without importing any framework."""
    if nvidia_gpu_present() and not jax_has_cuda():
        return ("tensorflow", "jax", "torch")
    return ("jax", "tensorflow", "torch")


def nvidia_gpu_present() -> bool:
    """True when the NVIDIA driver is loaded (its /proc entry or a /dev/nvidia<N> device exists)."""
    return Path("/proc/driver/nvidia/version").exists() or any(Path("/dev").glob("nvidia[0-9]*"))


def jax_has_cuda() -> bool:
    """True when a CUDA plugin for jax is installed (jax[cuda12] and similar)."""
    return any(installed(f"jax_cuda{v}_plugin") for v in (12, 13))


@dataclass
class Activated:
    """The backend in force and the device it trains on."""

    backend: str
    backend_version: str
    keras_version: str
    device: str  # "cpu" or "gpu" (with the device name when known)


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
        if backend == "tensorflow":
            _quietly(lambda: __import__("tensorflow"))
        if backend == "jax":
            _compilation_cache()
    import keras

    if backend != "tensorflow" and "tensorflow" not in sys.modules:
        _without_tensorflow()
    if backend == "jax":
        _shared_samplers()
    if loaded is None:
        freeze_imports()
    gpus = _quietly(lambda: _gpus(backend))
    if device == "gpu" and not gpus:
        raise NnrunError(f"--device gpu: no GPU is visible to {backend}; use --device cpu or auto")
    used = f"gpu ({gpus[0]})" if gpus and device != "cpu" else "cpu"
    module = sys.modules.get(backend) or __import__(backend)
    return Activated(backend, getattr(module, "__version__", "?"), keras.__version__, used)


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


def _gpus(backend: str) -> list[str]:
    """Names of the GPUs the backend sees (empty on a CPU-only machine)."""
    if backend == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform == "gpu"]
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    import torch

    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]


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
