"""`--set key.path=value` overrides: parse them and apply them to a config's raw data before validation."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import yaml

from nnrun.config.yamlfile import Loader, show_value, yaml_problem
from nnrun.errors import ConfigError, keypath

# A key, an index ([0], [-1] or .0), or a slice ([:-1], [1:], [::2]) as Python writes them.
_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(-?\d+)\]|\.(\d+)|\[(-?\d*):(-?\d*)(?::(-?\d*))?\]")

Part = str | int | slice


def parse_key(key: str) -> tuple[Part, ...]:
    """'layers[:-1].units' -> ('layers', slice(None, -1), 'units'). Raises ConfigError with the problem alone
    (the caller says where the key came from)."""
    loc: list[Part] = []
    pos = 0
    while pos < len(key):
        if loc and key[pos] == "." and pos + 1 < len(key) and not key[pos + 1].isdigit():
            pos += 1
        m = _PART.match(key, pos)
        if not m:
            raise ConfigError(f"cannot read the key path '{key}'; write it as dataset.test or layers[0].units")
        name, index, dotted_index, start, stop, step = m.groups()
        if name is not None:
            loc.append(name)
        elif index is not None or dotted_index is not None:
            loc.append(int(index if index is not None else dotted_index))
        else:
            if step == "0" or step == "-0":
                raise ConfigError(f"cannot read the key path '{key}': a slice's step cannot be 0")
            loc.append(slice(*(int(v) if v else None for v in (start, stop, step))))
        pos = m.end()
    if not loc:
        raise ConfigError(f"cannot read the key path '{key}'; write it as dataset.test or layers[0].units")
    if not isinstance(loc[0], str):
        raise ConfigError("a key path starts with a key name, e.g. layers[0].units")
    return tuple(loc)


def parse_override(text: str) -> tuple[tuple[Part, ...], Any]:
    """'layers[0].units=16' -> (('layers', 0, 'units'), 16); the value is read as YAML: a scalar, a [list] or
    a {mapping} in braces (a sweep's choices are whole subtrees). Slices select several list items:
    'layers[:-1].units=16' -> (('layers', slice(None, -1), 'units'), 16)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {text}: expected key.path=value, e.g. --set optimizer.learning_rate=0.01")
    try:
        loc = parse_key(key)
    except ConfigError as e:
        raise ConfigError(f"--set {text}: {e}") from None
    try:
        value = yaml.load(raw, Loader=Loader) if raw.strip() else None  # same reading as in a config file
    except yaml.YAMLError as e:
        raise ConfigError(f"--set {text}: cannot read the value '{raw}' as YAML: {yaml_problem(e)}") from None
    # `--set optimizer=name: sgd` reads as a mapping too, but is more likely a slip than a whole subtree.
    if isinstance(value, dict) and not raw.lstrip().startswith("{"):
        raise ConfigError(
            f"--set {text}: give one value per --set (a number, a word, a [list] or a {{mapping}} "
            "in braces), not key: value"
        )
    return loc, value


def apply_override(
    data: dict,
    loc: tuple,
    value: Any,
    text: str,
    default_at: Callable[[tuple], Any],
    expand: Callable[[tuple, Any], Any],
) -> list[tuple]:
    """Set `value` at `loc` in the raw config, creating mappings on the way: an absent key starts from its schema
    default (`default_at`), a shorthand from the mapping it stands for (`expand`: `optimizer: adam` -> {name: adam}).
    A slice sets every item it selects (none, for an empty slice), each its own copy of `value`.

    Returns the keys set, negative indexes and slices counted out from the start, as validation errors report
    them: [('layers', 0, 'units'), ('layers', 1, 'units')] for layers[:-1].units on three layers."""
    keys: list[tuple] = []
    _set(data, (), tuple(loc), value, text, default_at, expand, keys)
    return keys


def _set(node: Any, done: tuple, rest: tuple, value: Any, text: str, default_at, expand, keys: list) -> None:
    part, nxt = rest[0], rest[1:]
    if isinstance(part, (int, slice)):
        if not isinstance(node, list) or isinstance(part, int) and not -len(node) <= part < len(node):
            raise ConfigError(f"--set {text}: {_no_index(node, done, part)}")
        indexes = range(len(node))[part] if isinstance(part, slice) else [part % len(node)]
    else:
        if not isinstance(node, dict):
            raise ConfigError(f"--set {text}: {_not_mapping(done, node, part)}")
        indexes = [part]
    for key in indexes:
        here = (*done, key)
        if not nxt:
            node[key] = copy.deepcopy(value) if isinstance(part, slice) else value
            keys.append(here)
            continue
        child = node[key] if isinstance(node, list) else node.get(key)
        if child is None:
            # Start from the default, so optimizer.learning_rate on an absent optimizer keeps rmsprop
            # and seed.x is refused as seed's default 42 would be.
            child = default_at(here)
            child = ([] if isinstance(nxt[0], (int, slice)) else {}) if child is None else child
        child = expand(here, child)
        if isinstance(nxt[0], str) and not isinstance(child, dict):
            raise ConfigError(f"--set {text}: {_not_mapping(here, child, nxt[0])}")
        if isinstance(nxt[0], (int, slice)) and not isinstance(child, list):
            raise ConfigError(f"--set {text}: {_no_index(child, here, nxt[0])}")
        node[key] = child
        _set(child, here, nxt, value, text, default_at, expand, keys)


def show_part(part: int | slice) -> str:
    """[2], or a slice as Python writes it: [:-1], [1:], [::2]."""
    if isinstance(part, int):
        return f"[{part}]"
    bounds = ["" if v is None else str(v) for v in (part.start, part.stop)]
    step = "" if part.step is None else f":{part.step}"
    return f"[{bounds[0]}:{bounds[1]}{step}]"


def show_key(loc: tuple) -> str:
    """keypath() for a key path that may hold slices: ('layers', slice(None, -1), 'units') -> layers[:-1].units."""
    out = ""
    for part in loc:
        out += show_part(part) if isinstance(part, (int, slice)) else (f".{part}" if out else str(part))
    return out or keypath(())


def _not_mapping(loc: tuple, value: Any, key: str) -> str:
    hint = f" (write an index: {keypath((*loc, 0, key))})" if isinstance(value, list) else ""
    return f"{keypath(loc)} is {show_value(value)}, not a mapping, so it has no key '{key}'{hint}"


def _no_index(node: Any, loc: tuple, index: int | slice) -> str:
    if not isinstance(node, list):
        return f"{keypath(loc)} is {show_value(node)}, not a list, so {show_part(index)} does not exist"
    size = len(node)
    valid = f" (valid: 0 to {size - 1})" if size > 1 else " (valid: 0)" if size else ""
    return f"{keypath(loc)} has {size} item{'' if size == 1 else 's'}, so [{index}] does not exist{valid}"
