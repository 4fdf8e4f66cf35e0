"""The house's rules, checked on the source: no import cycles, and no room importing a room above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "nnrun"

# Lowest first: a module may import its own room and the rooms below it, never one above.
LAYERS = [
    {"nnrun", "nnrun.errors"},
    {"nnrun.config"},
    {"nnrun.runs"},
    {"nnrun.data"},
    {"nnrun.views"},
    {"nnrun.engine"},
    {"nnrun.pipeline", "nnrun.api"},
    {"nnrun.sweep"},
    {"nnrun.cli", "nnrun.__main__"},
]


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The nnrun modules a file imports, at any depth (a function's lazy import counts), except those only
    imported for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for n in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("nnrun"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nnrun"):
            for alias in node.names:  # `from nnrun.views import plots` imports the module nnrun.views.plots
                sub = f"{node.module}.{alias.name}"
                found.add(sub if (SRC.parent / sub.replace(".", "/")).with_suffix(".py").exists() else node.module)
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in SRC.rglob("*.py")}


def layer(module: str) -> int:
    for depth in range(module.count(".") + 1, 0, -1):
        prefix = ".".join(module.split(".")[:depth])
        for i, names in enumerate(LAYERS):
            if prefix in names:
                return i
    raise AssertionError(f"{module}: in no layer of tests/test_architecture.py; add its room to LAYERS")


def test_every_module_is_in_a_layer():
    for module in graph():
        layer(module)


def test_no_room_imports_a_room_above_it():
    upward = [f"{m} imports {t}" for m, targets in graph().items() for t in targets if layer(t) > layer(m)]
    assert not upward, (
        "imports against the layers (lowest first: "
        + " < ".join("/".join(sorted(n)) for n in LAYERS)
        + "):\n"
        + "\n".join(sorted(upward))
    )


def test_no_import_cycles():
    g = graph()
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for t in sorted(g.get(m, ())):
            if t not in g:
                continue
            if state.get(t) == 1:
                cycles.append(" -> ".join(path[path.index(t) :] + [t]))
            elif t not in state:
                visit(t)
        path.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import nnrun.views.plots\n", {"nnrun.views.plots"}),
        ("def f():\n    from nnrun.engine import model\n", {"nnrun.engine.model"}),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from nnrun.engine import model\n", set()),
    ],
)
def test_the_walk_sees_lazy_imports_and_skips_type_checking_ones(tmp_path, source, expected):
    path = tmp_path / "m.py"
    path.write_text(source)
    assert imports(path) == expected
