"""`nnrun compare`: one row per run, the config values that differ between them, and their scores, as a Rich
table, CSV, JSON or Markdown — the same rows and columns in every format.

Standard library, PyYAML and Rich only (matplotlib, for --plot, is imported by plots.py when asked).
"""

from __future__ import annotations

import csv
import io
import json
import math
import operator
import re
from dataclasses import dataclass
from typing import Any

from nnrun.errors import RunError, did_you_mean
from nnrun.run_record import RunRecord
from nnrun.runs import higher_is_better

RUN_COLUMNS = ("run", "kind", "status", "started", "duration_s", "epochs_run")
WARNINGS = "warnings"  # a column only when a listed run has any (metrics.json `warnings`: see verdict.py)
_OPS = {">=": operator.ge, "<=": operator.le, "!=": operator.ne, "==": operator.eq, "=": operator.eq,
        ">": operator.gt, "<": operator.lt}
_FILTER = re.compile(r"^\s*([^<>=!\s]+)\s*(>=|<=|!=|==|=|>|<)\s*(.*?)\s*$")
_SKIPPED_KEYS = ("name",)  # the run column names the run already


@dataclass
class Comparison:
    """What every format renders: the columns, one dict per run, and the config values every run shares."""

    columns: list[str]
    rows: list[dict[str, Any]]
    shared: dict[str, Any]
    config_columns: list[str]
    result_columns: list[str]


def compare(records: list[RunRecord], *, show_all: bool = False, metrics: list[str] | None = None) -> Comparison:
    """Rows and columns for `records`: run columns, the config keys whose values differ between the runs
    (every key with `show_all`), then the result columns (those matching `metrics` when given)."""
    keys = list(dict.fromkeys(k for r in records for k in r.flat if k not in _SKIPPED_KEYS))
    shared: dict[str, Any] = {}
    config_columns = []
    for key in keys:
        values = {_canonical(r.flat.get(key, _MISSING)) for r in records}
        if len(values) == 1 and len(records) > 1 and not show_all:
            shared[key] = records[0].flat[key]
        else:
            config_columns.append(key)
    results = [r.results() for r in records]
    result_columns = list(dict.fromkeys(k for res in results for k in res))
    result_columns.sort(key=lambda c: not c.startswith("test_"))  # test scores first, then validation (stable)
    if metrics:
        result_columns = _pick(result_columns, metrics)
    warned = [WARNINGS] if any(r.warnings for r in records) else []
    rows = []
    for record, result in zip(records, results):
        row = {"run": record.name, "kind": record.kind, "status": record.status,
               "started": record.metrics.get("started"), "duration_s": record.metrics.get("duration_s"),
               "epochs_run": record.metrics.get("epochs_run")}
        if warned:
            row[WARNINGS] = record.warnings or None
        row.update({k: record.flat.get(k) for k in config_columns})
        row.update({k: _number(result.get(k)) for k in result_columns})
        rows.append(row)
    return Comparison([*RUN_COLUMNS, *warned, *config_columns, *result_columns], rows, shared, config_columns,
                      result_columns)


_MISSING = object()


def _canonical(value: Any) -> Any:
    """A hashable stand-in that tells 1, 1.0 and true apart (equal in Python, different in a config)."""
    if value is _MISSING:
        return "<missing>"
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True, default=str)
    return type(value).__name__, value


def _number(value: Any) -> Any:
    """JSON's null for NaN and infinity (a diverged run's scores), so every format can carry them."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _pick(columns: list[str], wanted: list[str]) -> list[str]:
    """The result columns `--metrics` names: full column names (val_mae) or metric names (mae: test_ and val_)."""
    out = []
    for name in wanted:
        match = [c for c in columns if c in (name, f"{name}_std") or c.removeprefix("test_") == name
                 or c.removeprefix("val_") in (name, f"{name}_std")]
        if not match:
            raise RunError(f"--metrics {name}: no run has that score{did_you_mean(name, columns)}; "
                           f"valid: {', '.join(columns) or 'none (no run has scores yet)'}")
        out += [c for c in match if c not in out]
    return out


# --- choosing rows ---


def parse_filter(text: str) -> tuple[str, Any, Any]:
    """'status=completed', 'optimizer.learning_rate<0.01', 'test_accuracy>=0.7' -> (key, op, value)."""
    match = _FILTER.match(text)
    if not match:
        raise RunError(f"--filter {text}: not a condition; write KEY=VALUE, KEY!=VALUE, KEY>NUMBER, KEY<=NUMBER, ... "
                       "(e.g. --filter status=completed --filter test_accuracy>0.7)")
    key, op, raw = match.groups()
    if not raw:
        raise RunError(f"--filter {text}: no value after {op}; e.g. --filter {key}{op}0.7")
    value = _scalar(raw)
    if op not in ("=", "==", "!=") and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        raise RunError(f"--filter {text}: {op} compares numbers, but got {raw!r}; for text use = or !=")
    return key, _OPS[op], value


def _scalar(raw: str) -> Any:
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return {"true": True, "false": False, "null": None, "none": None}.get(raw.lower(), raw)


def keep(comparison: Comparison, records: list[RunRecord], filters: list[str]) -> Comparison:
    """Only the rows every filter accepts. A filter may name any column, or any config key (also shared ones)."""
    rows = comparison.rows
    for text in filters:
        key, op, value = parse_filter(text)
        values = {r.name: {**r.flat, **r.results()} for r in records}  # also what --metrics hides
        known = set(comparison.columns) | {k for v in values.values() for k in v}
        if key not in known:
            raise RunError(f"--filter {text}: no column or config key {key!r}{did_you_mean(key, sorted(known))}; "
                           f"columns: {', '.join(comparison.columns)}")
        rows = [row for row in rows if _holds(row[key] if key in row else values[row["run"]].get(key), op, value)]
    return Comparison(comparison.columns, rows, comparison.shared, comparison.config_columns, comparison.result_columns)


def _holds(actual: Any, op, wanted: Any) -> bool:
    if op in (operator.eq, operator.ne):
        if isinstance(actual, (int, float)) and isinstance(wanted, (int, float)) and not isinstance(actual, bool):
            return op(float(actual), float(wanted))
        return op(_text(actual), _text(wanted))
    try:
        return bool(op(float(actual), float(wanted)))
    except (TypeError, ValueError):
        return False  # a run without the value, or a text value, fails an ordering condition


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def sort_rows(comparison: Comparison, column: str | None, *, reverse: bool = False, top: int | None = None) -> Comparison:
    """Rows sorted by `column` (scores: best first, the direction inferred from the name; other columns
    ascending), runs without the value last; then the first `top`."""
    rows = list(comparison.rows)
    if column is not None:
        if column not in comparison.columns:
            raise RunError(f"--sort {column}: no such column{did_you_mean(column, comparison.columns)}; "
                           f"columns: {', '.join(comparison.columns)}")
        descending = column in comparison.result_columns and higher_is_better(_metric(column))
        present = [r for r in rows if r.get(column) is not None]
        absent = [r for r in rows if r.get(column) is None]
        numeric = all(isinstance(r[column], (int, float)) for r in present)
        present.sort(key=lambda r: r[column] if numeric else _text(r[column]), reverse=descending != reverse)
        rows = present + absent
    if top is not None:
        rows = rows[:top]
    return Comparison(comparison.columns, rows, comparison.shared, comparison.config_columns, comparison.result_columns)


def is_score(column: str) -> bool:
    """Result columns are test_<metric> and val_<metric>; config keys are dotted paths and never start so."""
    return column.startswith(("test_", "val_"))


def _metric(column: str) -> str:
    """val_accuracy_std -> accuracy_std (lower is better: a spread), test_loss -> loss."""
    return column.removeprefix("test_").removeprefix("val_")


def best_values(comparison: Comparison) -> dict[str, Any]:
    """The best value of each score column among the rows (std columns have no best)."""
    out = {}
    for column in comparison.result_columns:
        if column.endswith("_std"):
            continue
        values = [r[column] for r in comparison.rows if isinstance(r.get(column), (int, float))]
        if values:
            out[column] = (max if higher_is_better(_metric(column)) else min)(values)
    return out


# --- formats ---


def cell(column: str, value: Any, row: dict[str, Any] | None = None) -> str:
    """A value as the table and Markdown show it: scores to 4 decimals (a k-fold mean with its ± std), config
    values as written (null for an unset one)."""
    if value is None:
        return "" if is_score(column) or column in (*RUN_COLUMNS, WARNINGS) else "null"
    if column == WARNINGS and isinstance(value, list):  # their heads: the whole lines are in JSON, CSV and show
        return "; ".join(str(w).split(":", 1)[0] for w in value)
    if column == "duration_s" and isinstance(value, (int, float)):
        return f"{value:.1f}"
    if column == "started" and isinstance(value, str):
        return value[:19].replace("T", " ")
    if isinstance(value, float) and is_score(column):
        text = f"{value:.4f}" if 1e-3 <= abs(value) < 1e5 or value == 0 else f"{value:.4g}"
        std = (row or {}).get(f"{column}_std")
        return f"{text} ± {std:.4f}" if isinstance(std, float) else text
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def shown_columns(comparison: Comparison) -> list[str]:
    """The table's columns: a std column is shown inside its mean's cell (2.5481 ± 0.2912)."""
    return [c for c in comparison.columns if not (c.endswith("_std") and c.removesuffix("_std") in comparison.columns)]


def to_json(comparison: Comparison) -> str:
    """A JSON list of objects, one per row, numbers as numbers."""
    return json.dumps(comparison.rows, indent=2, ensure_ascii=False, default=str) + "\n"


def to_csv(comparison: Comparison) -> str:
    """CSV with a header row; lists and mappings as compact JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(comparison.columns)
    for row in comparison.rows:
        writer.writerow(["" if row[c] is None else json.dumps(row[c], separators=(",", ":"))
                         if isinstance(row[c], (list, dict)) else ("true" if row[c] is True else "false"
                                                                    if row[c] is False else row[c])
                         for c in comparison.columns])
    return buffer.getvalue()


def to_markdown(comparison: Comparison) -> str:
    """A GitHub Markdown table, preceded by the shared config values."""
    columns = shown_columns(comparison)
    lines = []
    if comparison.shared:
        lines.append("Shared by every run: " + ", ".join(f"`{k}={cell(k, v)}`" for k, v in comparison.shared.items()))
        lines.append("")
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "|".join("---:" if c in comparison.result_columns else "---" for c in columns) + "|")
    for row in comparison.rows:
        lines.append("| " + " | ".join(cell(c, row[c], row).replace("|", "\\|") for c in columns) + " |")
    return "\n".join(lines) + "\n"


def to_text(comparison: Comparison) -> str:
    """The table as plain aligned text (for a pipe or a file: no box drawing, no colour), scores right-aligned."""
    columns = shown_columns(comparison)
    cells = [[cell(c, row[c], row) for c in columns] for row in comparison.rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    right = [c in comparison.result_columns or c in ("duration_s", "epochs_run") for c in columns]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)]) + "\n"


def to_table(comparison: Comparison):
    """A Rich table; the best value of each score column in bold green, failed and crashed runs in red."""
    from rich.table import Table

    best = best_values(comparison)
    table = Table(show_lines=False)
    for column in shown_columns(comparison):
        numeric = column in comparison.result_columns or column in ("duration_s", "epochs_run")
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    style = {"failed": "red", "crashed": "red", "diverged": "red", "unreadable": "red", "interrupted": "yellow",
             "running": "cyan"}
    for row in comparison.rows:
        cells = []
        for column in shown_columns(comparison):
            text = cell(column, row[column], row)
            if column in best and row[column] == best[column] and len(comparison.rows) > 1:
                text = f"[bold green]{_escape(text)}[/]"
            elif column == "status" and row[column] in style:
                text = f"[{style[row[column]]}]{_escape(text)}[/]"
            elif column == WARNINGS and text:
                text = f"[yellow]{_escape(text)}[/]"
            else:
                text = _escape(text)
            cells.append(text)
        table.add_row(*cells)
    return table


def labels(comparison: Comparison, records: list[RunRecord]) -> dict[str, str]:
    """A legend label per run (by folder name), every one the same way: the run's name, then the config values
    that differ ("20261122-081901-pima: units=16, learning_rate=0.01")."""
    by_name = {row["run"]: row for row in comparison.rows}
    out = {}
    for record in records:
        row = by_name.get(record.name, {})
        parts = [f"{_short(k)}={cell(k, row.get(k))}" for k in comparison.config_columns if k in row]
        out[record.name] = ", ".join(parts)
    return {name: f"{name}: {label}" if label else name for name, label in out.items()}


def _short(key: str) -> str:
    """optimizer.learning_rate -> learning_rate; layers[0].units -> layers[0].units (the index matters)."""
    return key if "[" in key else key.rsplit(".", 1)[-1]


def shared_line(comparison: Comparison) -> str:
    return "shared by every run: " + ", ".join(f"{k}={cell(k, v)}" for k, v in comparison.shared.items())


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
