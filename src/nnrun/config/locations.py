"""Where a key of a config came from, for the "file:line: " or "--set k=v: " that starts every message about it:
the YAML node that holds the key (or the section around a missing one), or the `--set` argument that gave it.

Pure Python (PyYAML's nodes).
"""

from __future__ import annotations

from pathlib import Path

import yaml


class Origin:
    """Where each key of a config came from: a YAML node (file, line) or a `--set` argument."""

    def __init__(self, path: Path | None, root: yaml.Node | None, overrides: dict[tuple, str]):
        self.path = path
        self.root = root
        self.overrides = overrides

    def where(self, loc: tuple, about: tuple[str, ...] = ()) -> str:
        """A "file:line: " or "--set k=v: " prefix for messages about key `loc`: the --set that gave the value at
        `loc` (the most specific one: `--set optimizer.lr=0.1` rather than `--set optimizer=adam` before it),
        else, for a key holding values that a --set gave (`optimizer` after `--set optimizer.lr=0.1`), the last
        such --set, else the file's line. With `about` (keys under `loc`), only a --set of those keys, or of
        `loc` or above it, counts: `--set layers[2].activation=softmax` is not blamed for the layer's units.
        A key missing from the file under a section only --sets gave (`--set kfold.shuffle=false` without a
        kfold: block) is blamed on those --sets, not on the file."""
        given = list(self.overrides)  # in command-line order, a key given twice at its last place
        live = [
            key
            for i, key in enumerate(given)  # not replaced by a later --set of a key above it
            if not any(key[: len(later)] == later for later in given[i + 1 :])
        ]
        covering = [key for key in live if loc[: len(key)] == key]
        inside = [key for key in live if key[: len(loc)] == loc]
        if about:
            inside = [key for key in inside if len(key) > len(loc) and key[len(loc)] in about]
        if covering or inside:
            key = max(covering, key=len) if covering else inside[-1]
            return f"{self.overrides[key]}: "
        found = _reached(self.root, loc)
        if found < len(loc) - 1:  # the section holding the key is not in the file
            made = [key for key in live if key[: found + 1] == loc[: found + 1]]
            if made:
                return f"{self.overrides[made[-1]]}: "
        node = _find_node(self.root, loc)
        if node is not None and self.path is not None:
            return f"{self.path}:{node.start_mark.line + 1}: "
        return f"{self.path}: " if self.path else ""


def _reached(node: yaml.Node | None, loc: tuple) -> int:
    """How many parts of `loc` the YAML file holds (len(loc) when it holds the key itself)."""
    for depth, part in enumerate(loc):
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            return depth
        if node is None:
            return depth
    return len(loc)


def _find_node(node: yaml.Node | None, loc: tuple) -> yaml.Node | None:
    """The YAML node that locates key `loc`: the key itself, or for a key not in the file (a missing key,
    `kfold: 4` for kfold.k) the key or list item that holds it."""
    at = node
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is None:
                return at
            at, node = match  # the key's own line (`dataset:`), not the first line of its block
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = at = node.value[part]
        else:
            return at
    return at
