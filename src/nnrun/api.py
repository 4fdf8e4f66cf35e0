"""nnrun as Python functions: check a config, train or k-fold it, predict with a run, quietly.

    from nnrun import api
    spec = api.check("configs/pima.yaml", overrides=["epochs=50"])      # a validated Spec, or ConfigError

Nothing here prints. Bad input raises the NnrunError subclasses (errors.py), as the command line reports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nnrun.config.load import load_spec
from nnrun.config.schema import Spec, config_problems

Overrides = Sequence["str | tuple[str, str]"]


def check(config: str | Path, overrides: Overrides = ()) -> Spec:
    """The validated Spec of a YAML config with its `--set` overrides applied ("epochs=5", or (text, how the
    command line gave it) such as ("kfold.k=5", "--k 5")), every default filled and `backend: auto` resolved
    to the backend this machine trains with. Reads neither the data nor Keras (that is `prepare`).

    Raises ConfigError (a file that cannot be read, bad YAML, an invalid key or value, an uninstalled backend)."""
    spec = _load(config, overrides)
    config_problems(spec)
    return spec


def _load(config: str | Path, overrides: Overrides) -> Spec:
    """The Spec, `backend: auto` resolved (what `train` and `kfold` start from; `check` checks more)."""
    from nnrun.engine.backend import resolve_backend  # light: imports no framework

    spec = load_spec(config, list(overrides))
    spec.backend = resolve_backend(spec)
    return spec
