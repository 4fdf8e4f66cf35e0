"""Reading and writing YAML: the safe loader nnrun reads configs with, its error messages, and the
dumper for resolved configs. PyYAML only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from nnrun.errors import ConfigError


class Loader(yaml.SafeLoader):
    """PyYAML's safe loader, but `1e-3` is a number as in YAML 1.2 (YAML 1.1 wants `1.0e-3` and reads
    `learning_rate: 1e-3` as the string "1e-3", which would reach Keras as a string)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # PyYAML raises bare ValueError/KeyError for `2020-13-45` (read as a date) or `!!int x`:
        # turn them into a YAML error that carries the line.
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as e:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            kind = {"!!timestamp": "a date", "!!int": "an integer", "!!float": "a number", "!!bool": "true or false"}
            value = show_value(node.value) if isinstance(node.value, str) else "the value"
            detail = f" ({e})" if type(e) is ValueError else ""  # "month must be in 1..12"; others are PyYAML internals
            problem = f"cannot read {value} as {kind.get(tag, tag)}{detail}"
            raise yaml.constructor.ConstructorError(
                None, None, f"{problem}; quote it to keep it as text", node.start_mark
            ) from None


Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)
# YAML 1.1's `=` "value key" has no constructor in the safe loader: `separator: =` would fail; it is text.
Loader.yaml_implicit_resolvers["="] = [
    r for r in Loader.yaml_implicit_resolvers.get("=", []) if r[0] != "tag:yaml.org,2002:value"
]


# PyYAML's wording of the usual slips (problem, then context), and what they mean in plain words.
_HINTS = (
    (
        r"but found '<block (mapping|sequence) start>'",
        "this line is indented differently from the lines above "
        "it: the keys of one mapping, or the items of one list, "
        "need the same indentation",
    ),
    (
        r"expected <block end>, but found '<scalar>'",
        "text follows a quoted value: quote the whole value, in double quotes if it holds a '",
    ),
    (r"expected ',' or '\]'", "a [ list is not closed with ], or its items are not separated by commas"),
    (r"expected ',' or '\}'", "a { mapping is not closed with }, or its entries are not separated by commas"),
    (
        r"mapping values are not allowed here",
        "a second ': ' on one line: quote the value, or put the nested key on a line of its own",
    ),
    (r"found character '\\t' that cannot start any token", "YAML is indented with spaces, never tabs"),
    (r"found character '[@`]' that cannot start any token", "YAML reserves @ and ` at the start of a value: quote it"),
)


def yaml_problem(e: yaml.YAMLError) -> str:
    """The problem part of a YAML error, with Python-object tags explained rather than PyYAML's jargon."""
    problem = getattr(e, "problem", None) or getattr(e, "context", None) or str(e).splitlines()[0] or "invalid YAML"
    context = getattr(e, "context", None) or ""
    hint = next((h for pattern, h in _HINTS if re.search(pattern, problem) or re.search(pattern, context)), None)
    if hint:
        problem = f"{problem} ({hint})"
    opened = _opened_at(e)
    if opened:
        problem = f"{problem}; {opened}"
    if problem == "but found another document":
        problem = "a second YAML document starts here ('---'); a config is one document"
    tag = re.search(r"for the tag '([^']+)'", problem)
    if "could not determine a constructor" in problem and tag:
        name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        never = "never Python objects" if name.startswith("!!python/") else "no custom tags"
        problem = f"the tag {name} is not allowed: nnrun reads plain YAML only, {never}"
    return problem


# What PyYAML's context names when a bracket or a quote is still open where the error is found.
_OPENERS = {
    "while parsing a flow mapping": "the { ",
    "while parsing a flow sequence": "the [ ",
    "while scanning a quoted scalar": "the quote ",
}


def _opened_at(e: yaml.YAMLError) -> str | None:
    """'the { was opened at line 2, column 10' when the error is found on a later line than the bracket or quote
    left open: the reported line is then the one after the slip, and the opening line is where to look."""
    context, start, found = (
        getattr(e, "context", None),
        getattr(e, "context_mark", None),
        getattr(e, "problem_mark", None),
    )
    opener = _OPENERS.get(context or "")
    if opener is None or start is None or found is None or start.line == found.line:
        return None
    return f"{opener}was opened at line {start.line + 1}, column {start.column + 1}"


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Read a YAML file with the safe loader; return (data, root node). Errors name line and column."""
    if not path.exists():
        raise ConfigError(f"{path}: no such config file; give the path of a YAML config, such as configs/pima.yaml")
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory; give a YAML config file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {e.object[e.start]:#x} at offset {e.start}); save it as UTF-8"
        ) from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read it ({e.strerror}); check that the file is readable by you") from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, name: str) -> tuple[Any, yaml.Node | None]:
    """Parse YAML text safely (no Python tags, no duplicate keys); `name` prefixes error messages."""
    try:
        # Created inside the try: the reader refuses control characters (NUL, ...) as soon as it is built.
        loader = Loader(text)
    except yaml.reader.ReaderError as e:
        raise ConfigError(f"{name}:{_line_col(text, e.position)}: {_reader_problem(e)}") from None
    try:
        root = loader.get_single_node()
        if root is not None:
            _reject_duplicate_keys(root, name)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        at = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise ConfigError(f"{at}: YAML syntax error: {yaml_problem(e)}") from None
    except yaml.reader.ReaderError as e:
        raise ConfigError(f"{name}:{_line_col(text, e.position)}: {_reader_problem(e)}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{name}: YAML error: {yaml_problem(e)}") from None
    finally:
        loader.dispose()
    return data, root


def _line_col(text: str, position: int) -> str:
    """'line:column' (1-based) of a character offset, as YAML syntax errors give them."""
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    return f"{line}:{column}"


def _reader_problem(e: yaml.reader.ReaderError) -> str:
    char = e.character if isinstance(e.character, str) else chr(e.character)
    return f"the character {char!r} is not allowed in YAML (a control character); remove it"


def _reject_duplicate_keys(node: yaml.Node, name: str, visited: set[int] | None = None) -> None:
    # An alias is the same node object as its anchor, and `&a [*a]` contains itself: visit each node once.
    visited = set() if visited is None else visited
    if id(node) in visited:
        return
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise ConfigError(
                        f"{name}:{key.start_mark.line + 1}:{key.start_mark.column + 1}: key {key.value!r} appears "
                        f"twice (first on line {seen[key.value]}); keep one"
                    )
                seen[key.value] = key.start_mark.line + 1
            _reject_duplicate_keys(value, name, visited)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _reject_duplicate_keys(item, name, visited)


class _ShowDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # show a value repeated by a YAML alias in full, not as &id001


def show_value(value: Any) -> str:
    try:
        text = yaml.dump(value, Dumper=_ShowDumper, default_flow_style=True, width=10_000).strip()
    except RecursionError:  # `&a [*a]` contains itself: only anchors can write it
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    text = re.sub(r"\s*\n\s*", " ", text.removesuffix("...").strip())  # one line (a !!binary value spans several)
    return text if len(text) <= 60 else text[:57] + "..."


class _Flow(dict):
    """A mapping written on one line ({type: Dense, units: 8})."""


class _FlowList(list):
    """A list of plain values written on one line ([accuracy, mae])."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _flow_leaves(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        inner = {k: _flow_leaves(v, k) for k, v in value.items()}
        return _Flow(inner) if key in ("layers", "optimizer", "loss", "metrics") else inner
    if isinstance(value, list):
        items = [_flow_leaves(v, key) for v in value]
        return _FlowList(items) if all(not isinstance(v, (dict, list)) for v in value) else items
    return value


def dump_yaml(data: Any) -> str:
    """YAML for resolved configs: sections as blocks, layers and lists on one line each, keys in schema order."""
    return yaml.dump(_flow_leaves(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
