"""Reading a config: the YAML file, then the `--set` overrides, then validation into a `Spec` (its name filled,
Keras's names checked). The one entry for every command that reads a config.

Pure Python (pydantic + PyYAML): nothing here imports a machine-learning framework, so a bad config is rejected
in well under a second and before any run folder exists.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from nnrun.config.locations import Origin
from nnrun.config.overrides import apply_override, parse_override
from nnrun.config.problems import describe
from nnrun.config.schema import Spec, default_at, expand_shorthand
from nnrun.config.yamlfile import read_yaml, show_value
from nnrun.errors import ConfigError


def load_spec(path: str | Path, overrides: list[str | tuple[str, str]] | tuple = ()) -> Spec:
    """Read, override and validate a config file; return the Spec with its name filled (`backend: auto` is kept:
    the engine resolves it, see pipeline.load).
    Each override is a `--set` text ("epochs=5"), or (text, how the command line gave it) as ("kfold.k=5", "--k 5")."""
    path = Path(path)
    data, root = read_yaml(path)
    return build_spec(data, root, path, overrides)


def build_spec(data: Any, root: yaml.Node | None, path: Path | None, overrides=()) -> Spec:
    """Validate already-parsed config data (see `load_spec`)."""
    name = str(path) if path else "config"
    if data is None:
        raise ConfigError(f"{name}: the config is empty; it needs at least dataset, layers, loss and epochs")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{name}: the top level must be a mapping of keys (dataset:, layers:, ...); got {show_value(data)}"
        )
    if {"method", "parameters"} <= set(data) and "layers" not in data:
        raise ConfigError(
            f"{name}: a sweep file (it has method and parameters), not an experiment config: run it "
            f"with nnrun sweep {name}, or train its base config ({data.get('config', 'config:')})"
        )
    set_by: dict[tuple, str] = {}
    for given in overrides:
        text, label = given if isinstance(given, tuple) else (given, f"--set {given}")
        try:
            loc, value = parse_override(text)
            for key in apply_override(data, loc, value, text, default_at, expand_shorthand):
                set_by.pop(key, None)  # a key given twice: the later --set, in its own place in the order
                set_by[key] = label
        except ConfigError as e:  # the message quotes the argument: a newline in it must not split the line
            raise ConfigError(str(e).replace("\n", "\\n")) from None
    origin = Origin(path, root, set_by)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as e:
        raise ConfigError(describe(e, origin, data)) from None
    spec._origin = origin
    if spec.name is None:
        spec.name = re.sub(r"[^A-Za-z0-9._+-]", "-", path.stem if path else "run").lstrip("._+-") or "run"
    from nnrun.config.keras_names import check_names  # light: Keras's names as data

    check_names(spec)
    return spec
