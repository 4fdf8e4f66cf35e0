"""`--set key.path=value` overrides: parse them and apply them to a config's raw data before validation."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

from nnrun.errors import ConfigError, keypath
from nnrun.config.yamlfile import Loader, show_value, yaml_problem

_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(-?\d+)\]|\.(\d+)")


def parse_override(text: str) -> tuple[tuple, Any]:
    """'layers[0].units=16' -> (('layers', 0, 'units'), 16); the value is read as a YAML scalar or list."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {text}: expected key.path=value, e.g. --set optimizer.learning_rate=0.01")
    loc: list = []
    pos = 0
    while pos < len(key):
        if loc and key[pos] == "." and pos + 1 < len(key) and not key[pos + 1].isdigit():
            pos += 1
        m = _PART.match(key, pos)
        if not m:
            raise ConfigError(f"--set {text}: cannot read the key path '{key}'; write it as dataset.test or layers[0].units")
        name, index, dotted_index = m.groups()
        loc.append(name if name is not None else int(index if index is not None else dotted_index))
        pos = m.end()
    if not isinstance(loc[0], str):
        raise ConfigError(f"--set {text}: a key path starts with a key name, e.g. layers[0].units")
    try:
        value = yaml.load(raw, Loader=Loader) if raw.strip() else None  # same reading as in a config file
    except yaml.YAMLError as e:
        raise ConfigError(f"--set {text}: cannot read the value '{raw}' as YAML: {yaml_problem(e)}") from None
    if isinstance(value, dict):
        raise ConfigError(f"--set {text}: give one value per --set (a number, a word or a [list]), not a mapping")
    return tuple(loc), value


def apply_override(
    data: dict, loc: tuple, value: Any, text: str,
    default_at: Callable[[tuple], Any], expand: Callable[[tuple, Any], Any],
) -> tuple:
    """Set `value` at `loc` in the raw config, creating mappings on the way: an absent key starts from its schema
    default (`default_at`), a shorthand from the mapping it stands for (`expand`: `optimizer: adam` -> {name: adam}).

    Returns `loc` with negative indexes counted from the start, as validation errors report them.
    """
    node: Any = data
    done: list = []  # the path walked so far, indexes made non-negative
    for depth, part in enumerate(loc[:-1]):
        nxt = loc[depth + 1]
        if isinstance(part, int):
            if not isinstance(node, list) or not -len(node) <= part < len(node):
                raise ConfigError(f"--set {text}: {_no_index(node, tuple(done), part)}")
            part %= len(node)
            child = node[part]
        else:
            if not isinstance(node, dict):
                raise ConfigError(f"--set {text}: {_not_mapping(tuple(done), node, part)}")
            child = node.get(part)
            if child is None:
                # Start from the default, so optimizer.learning_rate on an absent optimizer keeps rmsprop
                # and seed.x is refused as seed's default 42 would be.
                child = default_at((*done, part))
                child = ([] if isinstance(nxt, int) else {}) if child is None else child
        done.append(part)
        child = expand(tuple(done), child)
        if isinstance(nxt, str) and not isinstance(child, dict):
            raise ConfigError(f"--set {text}: {_not_mapping(tuple(done), child, nxt)}")
        if isinstance(nxt, int) and not isinstance(child, list):
            raise ConfigError(f"--set {text}: {_no_index(child, tuple(done), nxt)}")
        node[part] = child
        node = child
    last = loc[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or not -len(node) <= last < len(node):
            raise ConfigError(f"--set {text}: {_no_index(node, tuple(done), last)}")
        last %= len(node)
    elif not isinstance(node, dict):
        raise ConfigError(f"--set {text}: {_not_mapping(tuple(done), node, last)}")
    node[last] = value
    return (*done, last)


def _not_mapping(loc: tuple, value: Any, key: str) -> str:
    hint = f" (write an index: {keypath((*loc, 0, key))})" if isinstance(value, list) else ""
    return f"{keypath(loc)} is {show_value(value)}, not a mapping, so it has no key '{key}'{hint}"


def _no_index(node: Any, loc: tuple, index: int) -> str:
    if not isinstance(node, list):
        return f"{keypath(loc)} is {show_value(node)}, not a list, so [{index}] does not exist"
    size = len(node)
    valid = f" (valid: 0 to {size - 1})" if size > 1 else " (valid: 0)" if size else ""
    return f"{keypath(loc)} has {size} item{'' if size == 1 else 's'}, so [{index}] does not exist{valid}"
