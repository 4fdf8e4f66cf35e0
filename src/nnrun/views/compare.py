"""`nnrun compare`: one row per run, the config values that differ between them, and their scores, as a Rich
table, CSV, JSON or Markdown — the same rows and columns in every format.

Standard library, PyYAML and Rich only (matplotlib, for --plot, is imported by plots.py when asked).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import operator
import re
import textwrap
from dataclasses import dataclass, field, replace
from typing import Any

from nnrun.errors import RunError, did_you_mean
from nnrun.runs.folder import direction, recorded_direction
from nnrun.runs.record import RunRecord, flatten

RUN_COLUMNS = ("run", "kind", "status", "started", "duration_s", "epochs_run")
WARNINGS = "warnings"  # a column only when a listed run has any (metrics.json `warnings`: see verdict.py)
_OPS = {
    ">=": operator.ge,
    "<=": operator.le,
    "!=": operator.ne,
    "==": operator.eq,
    "=": operator.eq,
    ">": operator.gt,
    "<": operator.lt,
}
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
    flats: dict[str, dict[str, Any]] = field(default_factory=dict)  # each run's normalised config, by run name
    directions: dict[str, str] = field(default_factory=dict)  # each result column's better way: "max" or "min"


def compare(records: list[RunRecord], *, show_all: bool = False, metrics: list[str] | None = None) -> Comparison:
    """Rows and columns for `records`: run columns, the config keys whose values differ between the runs
    (every key with `show_all`), then the result columns (those matching `metrics` when given). Configs are
    compared normalised (see `normalised_flats`): a shorthand and its long form are one value, in one column."""
    flats = normalised_flats(records)
    keys = list(dict.fromkeys(k for flat in flats for k in flat if k not in _SKIPPED_KEYS))
    sections = list(dict.fromkeys(re.split(r"[.\[]", k, maxsplit=1)[0] for k in keys))

    def place(key: str) -> tuple[int, int]:  # dataset.* together, layers[1].* before layers[2].* (else stable)
        index = re.match(r"^\w+\[(\d+)\]", key)
        return sections.index(re.split(r"[.\[]", key, maxsplit=1)[0]), int(index.group(1)) if index else 0

    keys.sort(key=place)
    shared: dict[str, Any] = {}
    config_columns = []
    for key in keys:
        values = {_canonical(flat.get(key, _MISSING)) for flat in flats}
        if not show_all and key.startswith("dataset.") and _unset_beside_named_sources(key, flats):
            continue  # a CSV option, null in every run that has it, beside runs on a named source: nothing to compare
        if len(values) == 1 and len(records) > 1 and not show_all:
            shared[key] = flats[0][key]
        else:
            config_columns.append(key)
    results = [r.results() for r in records]
    result_columns = list(dict.fromkeys(k for res in results for k in res))
    result_columns.sort(key=lambda c: not c.startswith("test_"))  # test scores first, then validation (stable)
    if metrics:
        result_columns = _pick(result_columns, metrics)
    warned = [WARNINGS] if any(r.warnings for r in records) else []
    rows = []
    for record, flat, result in zip(records, flats, results):
        row = {
            "run": record.name,
            "kind": record.kind,
            "status": record.status,
            "started": record.metrics.get("started"),
            "duration_s": record.metrics.get("duration_s"),
            "epochs_run": record.metrics.get("epochs_run"),
        }
        if warned:
            row[WARNINGS] = record.warnings or None
        row.update({k: flat.get(k) for k in config_columns})
        row.update({k: _number(result.get(k)) for k in result_columns})
        rows.append(row)
    return Comparison(
        [*RUN_COLUMNS, *warned, *config_columns, *result_columns],
        rows,
        shared,
        config_columns,
        result_columns,
        {r.name: flat for r, flat in zip(records, flats)},
        {c: _direction(records, c) for c in result_columns},
    )


def _direction(records: list[RunRecord], column: str) -> str:
    """Which way a score column is better: as the first run that records it says (metrics.json `directions`),
    else by the name rules of runs written before them (runs.folder.direction)."""
    said = next((r.metrics for r in records if recorded_direction(r.metrics, column)), {})
    return direction(said, column)


def _unset_beside_named_sources(key: str, flats: list[dict[str, Any]]) -> bool:
    """Whether `key` is null wherever it is set, and the runs without it read a named source (sklearn:iris),
    where the CSV options (header, separator, ...) mean nothing. Elsewhere a missing key and null differ."""
    lacking = [flat for flat in flats if key not in flat]
    return (
        bool(lacking)
        and all(flat[key] is None for flat in flats if key in flat)
        and all(flat.get("dataset.source") is not None for flat in lacking)
    )


def select(
    records: list[RunRecord],
    *,
    filters: list[str] = (),
    sort: str | None = None,
    reverse: bool = False,
    top: int | None = None,
    show_all: bool = False,
    metrics: list[str] | None = None,
) -> Comparison:
    """`compare` of the runs that pass every filter, sorted, the first `top` of them: the differing columns,
    the shared values and the best scores are those of the runs shown, not of every run read."""
    comparison = sort_rows(
        keep(compare(records, show_all=show_all, metrics=metrics), records, list(filters)),
        sort,
        reverse=reverse,
        top=top,
    )
    by_name = {r.name: r for r in records}
    shown = [by_name[row["run"]] for row in comparison.rows]
    if len(shown) == len(records) and [r.name for r in shown] == [r.name for r in records]:
        return comparison
    return compare(shown, show_all=show_all, metrics=metrics) if shown else comparison


# --- normalising configs ---

# Keys whose value is a Keras name or {name: ..., <arguments>} (metrics' items too); sections with a shorthand.
_NAMED = ("optimizer", "loss")
_SECTIONS = ("kfold", "early_stopping")


def normalised_flats(records: list[RunRecord]) -> list[dict[str, Any]]:
    """Each run's config as dotted keys, normalised so that equal settings read equal: `optimizer: adam` and
    `{name: adam}`, `kfold: 4` and `{k: 4}`, `early_stopping: true` and `{}` (every default filled), a key an
    older run lacks and its default. A key that is a value in one run and a mapping in another (`early_stopping:
    null` beside a mapping) is one column holding the whole value, never `key` and `key.subkey` both."""
    schema = _needs_schema([r.config for r in records if r.config])
    configs = [_normalised(r.config, schema) if r.config else {} for r in records]
    for key in _NAMED:  # a name beside {name: ..., arguments}: both as mappings, so that the arguments line up
        if any(isinstance(c.get(key), dict) for c in configs):
            for c in configs:
                if isinstance(c.get(key), str):
                    c[key] = {"name": c[key]}
    whole: set[str] = set()
    while True:
        flats = [flatten(c, whole=whole) for c in configs]
        leaves = {k for flat in flats for k in flat}
        split = {k for k in leaves if any(o.startswith((f"{k}.", f"{k}[")) for o in leaves)}
        if not split:
            return flats
        whole |= split


def _normalised(config: dict[str, Any], schema: bool) -> dict[str, Any]:
    """One config in its long form; with `schema`, the defaults filled where the schema has them."""
    out = dict(config)
    if schema:
        from nnrun.config.schema import expand_shorthand

        for key in _TOP_KEYS:
            out.setdefault(key, _default((key,)))
        for key in _SECTIONS:
            value = out.get(key)
            if value is False:
                out[key] = None
            elif value is not None:
                value = expand_shorthand((key,), value)
                if isinstance(value, dict):  # in the schema's order, k first
                    filled = {**section_defaults(key), **value}
                    order = [*_section_fields(key), *value]
                    out[key] = dict(sorted(filled.items(), key=lambda item: order.index(item[0])))
    for key in _NAMED:
        if isinstance(out.get(key), dict) and list(out[key]) == ["name"]:
            out[key] = out[key]["name"]
    if isinstance(out.get("metrics"), list):
        out["metrics"] = [m["name"] if isinstance(m, dict) and list(m) == ["name"] else m for m in out["metrics"]]
    return out


def _needs_schema(configs: list[dict[str, Any]]) -> bool:
    """Whether filling defaults can change anything: a key missing, a shorthand, sections of different keys.
    Runs nnrun saved are resolved (every default filled): then the schema (pydantic, ~0.3 s) is not imported."""
    sections = {key: {tuple(sorted(c[key])) for c in configs if isinstance(c.get(key), dict)} for key in _SECTIONS}
    return (
        any(k not in c for c in configs for k in _TOP_KEYS)
        or any(c.get(k) is not None and not isinstance(c.get(k), dict) for c in configs for k in _SECTIONS)
        or any(len(shapes) > 1 for shapes in sections.values())
    )


# The top-level keys with a default (name's is the config file's name: not one value).
_TOP_KEYS = (
    "seed",
    "backend",
    "activation",
    "optimizer",
    "metrics",
    "batch_size",
    "steps_per_execution",
    "early_stopping",
    "kfold",
)


def _default(loc: tuple) -> Any:
    from nnrun.config.schema import default_at

    return default_at(loc)


@functools.cache
def _section_fields(key: str) -> tuple[str, ...]:
    from nnrun.config.schema import fields_at

    return tuple(fields_at((key,)))


@functools.cache
def _section_defaults(key: str) -> tuple[tuple[str, Any], ...]:
    from nnrun.config.schema import model_at

    model = model_at((key,))
    return tuple((name, _default((key, name))) for name, f in model.model_fields.items() if not f.is_required())


def section_defaults(key: str) -> dict[str, Any]:
    """The schema's defaults of section `key` (kfold, early_stopping): {patience: 10, ...}; k has none."""
    return dict(_section_defaults(key))


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
        match = [
            c
            for c in columns
            if c in (name, f"{name}_std")
            or c.removeprefix("test_") == name
            or c.removeprefix("val_") in (name, f"{name}_std")
        ]
        if not match:
            raise RunError(
                f"--metrics {name}: no run has that score{did_you_mean(name, columns)}; "
                f"valid: {', '.join(columns) or 'none (no run has scores yet)'}"
            )
        out += [c for c in match if c not in out]
    return out


# --- choosing rows ---


def parse_filter(text: str) -> tuple[str, Any, Any]:
    """'status=completed', 'optimizer.learning_rate<0.01', 'test_accuracy>=0.7' -> (key, op, value)."""
    match = _FILTER.match(text)
    if not match:
        raise RunError(
            f"--filter {text}: not a condition; write KEY=VALUE, KEY!=VALUE, KEY>NUMBER, KEY<=NUMBER, ... "
            "(e.g. --filter status=completed --filter test_accuracy>0.7)"
        )
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
        values = {r.name: {**comparison.flats.get(r.name, r.flat), **r.results()} for r in records}  # also hidden ones
        known = set(comparison.columns) | {k for v in values.values() for k in v}
        if key not in known:
            raise RunError(
                f"--filter {text}: no column or config key {key!r}{did_you_mean(key, sorted(known))}; "
                f"columns: {', '.join(comparison.columns)}"
            )
        rows = [row for row in rows if _holds(row[key] if key in row else values[row["run"]].get(key), op, value)]
    return replace(comparison, rows=rows)


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


def sort_rows(
    comparison: Comparison, column: str | None, *, reverse: bool = False, top: int | None = None
) -> Comparison:
    """Rows sorted by `column` (scores: best first, which way the runs' metrics.json record, else as their name
    says; other columns ascending), runs without the value last; then the first `top`."""
    rows = list(comparison.rows)
    if column is not None:
        if column not in comparison.columns:
            raise RunError(
                f"--sort {column}: no such column{did_you_mean(column, comparison.columns)}; "
                f"columns: {', '.join(comparison.columns)}"
            )
        descending = column in comparison.result_columns and _better(comparison, column) == "max"
        present = [r for r in rows if r.get(column) is not None]
        absent = [r for r in rows if r.get(column) is None]
        numeric = all(isinstance(r[column], (int, float)) for r in present)
        present.sort(key=lambda r: r[column] if numeric else _text(r[column]), reverse=descending != reverse)
        rows = present + absent
    if top is not None:
        rows = rows[:top]
    return replace(comparison, rows=rows)


def _better(comparison: Comparison, column: str) -> str:
    return comparison.directions.get(column) or direction({}, column)


def is_score(column: str) -> bool:
    """Result columns are test_<metric> and val_<metric>; config keys are dotted paths and never start so."""
    return column.startswith(("test_", "val_"))


def best_values(comparison: Comparison) -> dict[str, Any]:
    """The best value of each score column among the rows (std columns have no best)."""
    out = {}
    for column in comparison.result_columns:
        if column.endswith("_std"):
            continue
        values = [r[column] for r in comparison.rows if isinstance(r.get(column), (int, float))]
        if values:
            out[column] = (max if _better(comparison, column) == "max" else min)(values)
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
    if isinstance(value, dict):
        return _mapping_text(column, value)
    if column == "layers" and isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return ", ".join(_layer_text(layer) for layer in value)
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):  # metrics: [accuracy, {name: auc, ...}]
        return "[" + ", ".join(_mapping_text("", v) if isinstance(v, dict) else json.dumps(v) for v in value) + "]"
    if isinstance(value, list):  # ", " between items: a long list may wrap between them, never inside one
        return json.dumps(value, separators=(", ", ":"), ensure_ascii=False)
    return str(value)


def _mapping_text(column: str, value: dict[str, Any]) -> str:
    """{patience=5, monitor=val_acc}: a whole section (early_stopping set in one run, null in another) without
    the entries at their defaults; early_stopping with every default reads `true`, as a config would say it."""
    if column in _SECTIONS:
        defaults = section_defaults(column)
        value = {k: v for k, v in value.items() if k not in defaults or _canonical(defaults[k]) != _canonical(v)}
        if not value and column == "early_stopping":
            return "true"
    return "{" + ", ".join(f"{k}={cell(k, v)}" for k, v in value.items()) + "}"


def shown_columns(comparison: Comparison) -> list[str]:
    """The table's columns: the run's name, its scores (what a reader looks for first), the rest of the run's
    columns (kind, status, ...), then the config keys; a std column is shown inside its mean's cell
    (2.5481 ± 0.2912)."""
    scores = set(comparison.result_columns)
    columns = [
        c for c in comparison.columns if not (c.endswith("_std") and c.removesuffix("_std") in comparison.columns)
    ]
    return (
        columns[:1]
        + [c for c in columns if c in scores]
        + [c for c in columns[1:] if c not in scores and c not in comparison.config_columns]
        + [c for c in columns if c in comparison.config_columns]
    )


def to_json(comparison: Comparison) -> str:
    """A JSON list of objects, one per row, numbers as numbers."""
    return json.dumps(comparison.rows, indent=2, ensure_ascii=False, default=str) + "\n"


def to_csv(comparison: Comparison) -> str:
    """CSV with a header row; lists and mappings as compact JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(comparison.columns)
    for row in comparison.rows:
        writer.writerow(
            [
                ""
                if row[c] is None
                else json.dumps(row[c], separators=(",", ":"))
                if isinstance(row[c], (list, dict))
                else ("true" if row[c] is True else "false" if row[c] is False else row[c])
                for c in comparison.columns
            ]
        )
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


def to_text(comparison: Comparison, *, transpose: bool = False) -> str:
    """The table as plain aligned text (for a pipe or a file: no box drawing, no colour), at its natural width:
    one line per run (`transpose`: one line per column, one column per run), scores right-aligned."""
    columns = shown_columns(comparison)
    cells = [[cell(c, row[c], row) for c in columns] for row in comparison.rows]
    if transpose:
        names = [row["run"] for row in comparison.rows]
        grid = [["", *names], *([c, *(r[i] for r in cells)] for i, c in enumerate(columns) if c != "run")]
        right = [False] * len(grid[0])
    else:
        grid = [columns, *cells]
        right = [_numeric(comparison, c) for c in columns]
    widths = [max(len(r[i]) for r in grid) for i in range(len(grid[0]))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right)).rstrip()

    return "\n".join([line(grid[0]), line(["-" * w for w in widths]), *(line(r) for r in grid[1:])]) + "\n"


def _numeric(comparison: Comparison, column: str) -> bool:
    return column in comparison.result_columns or column in ("duration_s", "epochs_run")


_STATUS_STYLE = {
    "failed": "red",
    "crashed": "red",
    "diverged": "red",
    "unreadable": "red",
    "interrupted": "yellow",
    "running": "cyan",
}
_SHORT_HEADERS = {"duration_s": "secs", "epochs_run": "epochs"}


@dataclass
class _Cell:
    text: str  # plain
    markup: str  # with its style
    whole: bool  # one value: never broken across lines (a list or mapping may break between its items)


def _cells(comparison: Comparison, columns: list[str]) -> list[list[_Cell]]:
    """Each row's cells, styled: the best value of each score in bold green, failed and crashed runs in red."""
    best = best_values(comparison)
    out = []
    for row in comparison.rows:
        cells = []
        flat = comparison.flats.get(row["run"], {})
        for column in columns:
            # a key the run's config lacks (a CSV option of a run on embedded data) is blank; a key set to null: null
            absent = column in comparison.config_columns and column not in flat and bool(flat)
            text = "" if absent else cell(column, row[column], row)
            if column in best and row[column] == best[column] and len(comparison.rows) > 1:
                markup = f"[bold green]{_escape(text)}[/]"
            elif column == "status" and row[column] in _STATUS_STYLE:
                markup = f"[{_STATUS_STYLE[row[column]]}]{_escape(text)}[/]"
            elif column == WARNINGS and text:
                markup = f"[yellow]{_escape(text)}[/]"
            else:
                markup = _escape(text)
            cells.append(_Cell(text, markup, column == WARNINGS or not isinstance(row[column], (list, dict))))
        out.append(cells)
    return out


def _min_width(texts: list[str], cells: list[_Cell]) -> int:
    """The narrowest a column can be without breaking a value: its widest whole value, the widest word (or
    header line) of the rest."""
    words = [len(w) for t in texts for line in t.split("\n") for w in [line]]
    words += [len(c.text) if c.whole else max((len(w) for w in c.text.split(" ")), default=0) for c in cells]
    return max(words, default=1)


def _header(column: str, compact: bool) -> str:
    """A column's header; compact: on two lines where that makes it narrower (optimizer. / learning_rate,
    test_ / accuracy), and secs, epochs for duration_s, epochs_run."""
    if not compact:
        return column
    if column in _SHORT_HEADERS:
        return _SHORT_HEADERS[column]
    if is_score(column):
        head, rest = column.split("_", 1)
        return f"{head}_\n{rest}"
    if "." in column:
        head, rest = column.rsplit(".", 1)
        return f"{head}.\n{rest}"
    return column


def _run_header(name: str, compact: bool) -> str:
    """A run's name as a column header (transposed): compact, its date and time above the rest of its name."""
    stamp = re.match(r"^(\d{8}-\d{6})-(.+)$", name)
    return f"{stamp.group(1)}-\n{stamp.group(2)}" if compact and stamp else name


def _layout(
    comparison: Comparison, compact: bool, transpose: bool
) -> tuple[list[str], list[list[_Cell]], list[str], str]:
    """(headers, rows of cells, justifications, the line above the table) of one layout, before fitting.
    Compact: shorter headers; kind and status, when every run has the same, said above the table; the start time
    left out when every run's name begins with it (20261122-080000-pima)."""
    columns = shown_columns(comparison)
    above = []
    if compact and comparison.rows:
        for column in ("kind", "status"):
            values = {row[column] for row in comparison.rows}
            if len(values) == 1 and len(comparison.rows) > 1:
                above.append(f"{column}={cell(column, values.pop())}")
                columns.remove(column)
        if all(re.match(r"^\d{8}-\d{6}-", str(row["run"]).rsplit("/", 1)[-1]) for row in comparison.rows):
            columns.remove("started")
    note = ("every run: " + ", ".join(above)) if above else ""
    cells = _cells(comparison, columns)
    if not transpose:
        headers = [_header(c, compact) for c in columns]
        justify = ["right" if _numeric(comparison, c) else "left" for c in columns]
        return headers, cells, justify, note
    runs = [cells[i][0] for i in range(len(cells))]  # the run column: headers now
    headers = ["", *(_run_header(c.text, compact) for c in runs)]
    grid = [[_Cell(c, _escape(c), True), *(row[j] for row in cells)] for j, c in enumerate(columns) if j > 0]
    return headers, grid, ["left"] * len(headers), note


def _table(headers: list[str], rows: list[list[_Cell]], justify: list[str], keep: list[int], width: int | None = None):
    """A Rich table of the columns `keep` (indexes), every column at least as wide as its widest whole value.
    Within `width`, the widths are set here: Rich, when a table is too wide, narrows every wrappable column
    alike, headers and whole values too; only lists and mappings may wrap (between their items)."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    mins, fixed = _fit(headers, rows, keep, width)
    for i in keep:
        table.add_column(
            headers[i],
            justify=justify[i],
            overflow="fold",
            no_wrap=False,
            min_width=mins[i],
            width=fixed[i] if width is not None else None,
        )
    for row in rows:
        table.add_row(*(row[i].markup for i in keep))
    return table


def _fit(headers: list[str], rows: list[list[_Cell]], keep: list[int], width: int | None):
    """({column: narrowest width}, {column: width given}) of the columns `keep` in a table `width` wide: each
    at its narrowest, the lists and mappings given what is left, in order, up to their width on one line."""
    mins = {
        i: max(_min_width([headers[i]], [row[i] for row in rows]), max(len(line) for line in headers[i].split("\n")))
        for i in keep
    }
    fixed = dict(mins)
    if width is not None:
        natural = {i: max(mins[i], *(len(line) for row in rows for line in row[i].text.split("\n"))) for i in keep}
        slack = width - sum(mins.values()) - 2 * (len(keep) - 1)
        for i in keep:
            grow = min(natural[i] - mins[i], max(slack, 0))
            fixed[i], slack = mins[i] + grow, slack - grow
    return mins, fixed


def _height(headers: list[str], rows: list[list[_Cell]], blocks: list[list[int]], width: int) -> int:
    """How many lines the tables `blocks` take: each its header, its rule, and each row as high as its most
    wrapped cell."""
    lines = 0
    for keep in blocks:
        _, fixed = _fit(headers, rows, keep, width)
        lines += max(h.count("\n") + 1 for h in (headers[i] for i in keep)) + 1
        for row in rows:
            lines += max(
                1
                if row[i].whole
                else sum(len(textwrap.wrap(part, max(fixed[i], 1)) or [""]) for part in row[i].text.split("\n"))
                for i in keep
            )
    return lines


def _widths(headers: list[str], rows: list[list[_Cell]], i: int) -> tuple[int, int]:
    """Column i's narrowest width that breaks no whole value (see `_min_width`), and its width with every value
    on one line."""
    from rich.cells import cell_len

    header = max(cell_len(line) for line in headers[i].split("\n"))
    natural = max((cell_len(line) for row in rows for line in row[i].text.split("\n")), default=0)
    return max(header, _min_width([], [row[i] for row in rows])), max(header, natural)


def _needed(headers: list[str], rows: list[list[_Cell]], keep: list[int]) -> int:
    """Columns wide enough for every whole value, and the gaps between them."""
    return sum(_widths(headers, rows, i)[0] for i in keep) + 2 * (len(keep) - 1)


def _numbered(headers: list[str], rows: list[list[_Cell]], justify: list[str]):
    """The layout with each row's number in a first column "#": a table split into several repeats the number,
    not the run's name (a third of an 80-column line), which only the first table shows."""
    numbers = [_Cell(str(i), str(i), True) for i in range(1, len(rows) + 1)]
    return ["#", *headers], [[n, *row] for n, row in zip(numbers, rows)], ["right", *justify]


def _blocks(headers: list[str], rows: list[list[_Cell]], width: int) -> list[list[int]]:
    """The columns split into tables that each fit `width`, each repeating the first column (run, or key), in
    as few lines as it can: each column at its narrowest (the fewest tables), or the lists and mappings on one
    line where they fit, in this table or the next (a column of layers wrapped to four lines a row makes a
    table four times as high)."""
    sizes = [_widths(headers, rows, i) for i in range(len(headers))]

    def split(natural: bool, move: bool) -> list[list[int]]:
        blocks: list[list[int]] = [[0]]
        used = sizes[0][0]
        for i in range(1, len(headers)):
            narrow, wide = sizes[i]
            fits = used + 2 + wide <= width
            if len(blocks[-1]) > 1 and (
                used + 2 + narrow > width or (move and not fits and sizes[0][0] + 2 + wide <= width)
            ):
                blocks.append([0])
                used = sizes[0][0]
                fits = used + 2 + wide <= width
            blocks[-1].append(i)
            used += 2 + (wide if natural and fits else narrow)
        return blocks

    tight = split(False, False)
    if len(tight) == 1:
        return tight
    candidates = [tight, split(True, False), split(True, True)]
    return min(candidates, key=lambda blocks: (_height(headers, rows, blocks, width), len(blocks)))


def render(comparison: Comparison, width: int, *, transpose: bool | None = None) -> list:
    """What `compare` prints on a terminal `width` columns wide: the shared values, then the table, no line
    wider than `width` and no value broken across lines (a list or mapping only between its items).

    The first layout that fits: one row per run; the same with shorter headers (see `_layout`); one column per
    run (`transpose`, chosen when there are few runs and many columns; True asks for it, False forbids it); one
    row per run of the narrower table `_grouped` makes (the data source and the layer stacks as one column each,
    the keys most runs lack listed under the table). When none fits: for up to FEW_RUNS runs the layout that
    needs the fewest tables, otherwise one row per run (a column per run would make a screenful per key block),
    split into as many tables as it needs, each repeating the run (or key) column."""
    orders = {None: [False, True], True: [True], False: [False]}[transpose]
    tried = []
    for flip in orders:
        for compact in (False, True):
            headers, rows, justify, note = _layout(comparison, compact, flip)
            blocks = _blocks(headers, rows, width)
            if len(blocks) == 1:
                return _parts(comparison, note, [_table(headers, rows, justify, blocks[0], width)])
            if not flip:
                headers, rows, justify = _numbered(headers, rows, justify)
                blocks = _blocks(headers, rows, width)
            tried.append((len(blocks), not flip, comparison, headers, rows, justify, note, blocks, []))
    if transpose is not True:
        grouped, other, alike = _grouped(comparison)
        if grouped is not comparison:
            headers, rows, justify, note = _layout(grouped, True, False)
            blocks = _blocks(headers, rows, width)
            after = _other_lines(other, alike, width)
            if len(blocks) == 1:
                return _parts(grouped, note, [_table(headers, rows, justify, blocks[0], width)], after)
            headers, rows, justify = _numbered(headers, rows, justify)
            blocks = _blocks(headers, rows, width)
            tried.append((len(blocks), True, grouped, headers, rows, justify, note, blocks, after))
    if transpose is None and len(comparison.rows) > FEW_RUNS:
        tried = [t for t in tried if t[1]]  # one row per run
    _, _, shown, headers, rows, justify, note, blocks, after = min(tried, key=lambda t: t[0])  # the first of the fewest
    return _parts(shown, note, [_table(headers, rows, justify, b, width) for b in blocks], after)


FEW_RUNS = 4  # up to this many runs a too-wide table may turn to one column per run


def _parts(comparison: Comparison, note: str, tables: list, after: list[str] = ()) -> list:
    from rich.text import Text

    lines = [Text(line) for line in (shared_line(comparison) if comparison.shared else "", note) if line]
    return [*lines, *tables, *(Text(line) for line in after)]


def _grouped(comparison: Comparison) -> tuple[Comparison, list[tuple[str, list[str]]], list[str]]:
    """The table of many mixed runs made narrower, for a terminal: the data each run read (dataset.source or
    dataset.path) as one column `dataset`; the layers as one column `layers` (Dense(16), Dropout(0.2), ...) when
    the runs' stacks differ in length or layer types (then layers[2].units of one run and of another are not
    the same layer); and the config keys fewer than half of the runs have (a CSV file's options beside runs on
    scikit-learn data), which would be columns blank in most rows, out of the table.

    Returns the narrower Comparison (the comparison itself when there is nothing to group), each run's items
    for those keys [(run, ["dataset.path=pima.csv", ...])], and the items of the keys that every run having
    them sets alike (said once)."""
    names = [row["run"] for row in comparison.rows]
    flats = {name: dict(comparison.flats.get(name, {})) for name in names}
    rows = [dict(row) for row in comparison.rows]
    columns, shared = list(comparison.config_columns), dict(comparison.shared)

    def merge(keys: list[str], into: str, value) -> None:
        nonlocal columns
        at = min(columns.index(k) for k in keys)
        columns = [c for c in columns[:at] if c not in keys] + [into] + [c for c in columns[at:] if c not in keys]
        for row in rows:
            flat = flats[row["run"]]
            merged = value(flat)
            row[into] = merged
            if merged is not None:
                flat[into] = merged

    sources = ("dataset.source", "dataset.path")
    if all(k in columns for k in sources) and not any(
        all(f.get(k) is not None for k in sources) for f in flats.values()
    ):
        merge(list(sources), "dataset", lambda f: f.get("dataset.source", f.get("dataset.path")))
    stacks = {name: _layer_stack(flat) for name, flat in flats.items()}
    layer_keys = [c for c in columns if c.startswith("layers[")]
    if layer_keys and len({tuple(layer.get("type") for layer in stack) for stack in stacks.values()}) > 1:
        merge(layer_keys, "layers", lambda f: [dict(layer) for layer in _layer_stack(f)] or None)
        shared = {k: v for k, v in shared.items() if not k.startswith("layers[")}
    counted = [name for name in names if flats[name]]  # a run without a config has no keys to lack
    have = {c: [name for name in counted if c in flats[name]] for c in columns}
    minority = [c for c in columns if 2 * len(have[c]) < len(counted)]
    alike = [c for c in minority if len(have[c]) > 1 and len({_canonical(flats[n][c]) for n in have[c]}) == 1]
    other = [
        (name, [_item(c, flats[name][c]) for c in minority if c not in alike and c in flats[name]]) for name in names
    ]
    if columns == comparison.config_columns and not minority:
        return comparison, [], []
    config = [c for c in columns if c not in minority]
    before = [
        c for c in comparison.columns if c not in comparison.config_columns and c not in comparison.result_columns
    ]
    for row in rows:
        for c in minority:
            row.pop(c, None)
    grouped = Comparison(
        [*before, *config, *comparison.result_columns], rows, shared, config, comparison.result_columns, flats
    )
    return (
        grouped,
        [(f"{i}  {n}", items) for i, (n, items) in enumerate(other, 1) if items],
        [_item(c, flats[have[c][0]][c]) for c in alike],
    )


def _item(key: str, value: Any) -> str:
    """key=value in a line of items: a text that holds a comma or a space quoted (separator=",")."""
    text = cell(key, value)
    quoted = isinstance(value, str) and (not text or re.search(r"[,\s]", text))
    return f"{key}={json.dumps(text) if quoted else text}"


def _layer_stack(flat: dict[str, Any]) -> list[dict[str, Any]]:
    """The layers of a flattened config: {"layers[0].units": 8, ...} -> [{"units": 8, ...}, ...]."""
    stack: dict[int, dict[str, Any]] = {}
    for key, value in flat.items():
        match = re.match(r"^layers\[(\d+)\]\.(.+)$", key)
        if match:
            stack.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [stack[i] for i in sorted(stack)]


# Written without their names, in this order: their values say what they are (16, 0.2, sigmoid)
_UNNAMED = ("units", "filters", "rate", "activation")


def _layer_text(layer: dict[str, Any]) -> str:
    """Dense(16), Dense(1,sigmoid), Dropout(0.2), Conv2D(32,relu,kernel_size=3): one layer, without spaces (a
    column of layers may wrap between layers, never inside one)."""
    unnamed = [cell(k, layer[k]) for k in _UNNAMED if k in layer]
    named = [f"{k}={cell(k, v)}" for k, v in layer.items() if k not in _UNNAMED and k != "type"]
    return f"{layer.get('type', '?')}({','.join(unnamed + named).replace(' ', '')})"


def _other_lines(other: list[tuple[str, list[str]]], alike: list[str], width: int) -> list[str]:
    """The keys `_grouped` left out of the table, under it: a line per run that has any, then those every run
    having them sets alike; wrapped to `width` between items."""
    if not other and not alike:
        return []
    wrap = functools.partial(textwrap.wrap, width=width, subsequent_indent="      ", break_on_hyphens=False)
    lines = ["keys that most runs lack (not in the table above), by row:"]
    for name, items in other:
        lines += wrap(f"{name}: {', '.join(items)}", initial_indent=" " * (4 - name.index(" ")))
    if alike:
        lines += wrap(f"set alike by every run that has them: {', '.join(alike)}", initial_indent="  ")
    return lines


def to_table(comparison: Comparison):
    """The Rich table with one row per run and full headers (what `render` shows when it fits)."""
    headers, rows, justify, _ = _layout(comparison, False, False)
    return _table(headers, rows, justify, list(range(len(headers))))


def labels(comparison: Comparison, records: list[RunRecord]) -> dict[str, str]:
    """A legend label per run (by folder name), every one the same way: the run's name, then the config values
    that differ ("20261122-081901-pima: units=16, learning_rate=0.01"), in the order of `label_items`."""
    return {
        name: f"{name}: {', '.join(items)}" if items else name
        for name, items in label_items(comparison, records).items()
    }


def label_items(comparison: Comparison, records: list[RunRecord]) -> dict[str, list[str]]:
    """Each run's config values that differ between `records` (by folder name), as key=value items in one order
    for every run, the keys that tell the runs apart first (a legend cuts long labels): first the key that
    splits the runs into the most groups of equal values, then the one that splits those groups most, and so
    on; then the rest, those with the most distinct values first. A key the run lacks or leaves null (a CSV key
    of a scikit-learn run) is left out, not written `path=null`."""
    by_name = {row["run"]: row for row in comparison.rows}
    rows = [by_name.get(r.name, {}) for r in records]

    def shown(row: dict[str, Any], key: str) -> str | None:
        return None if row.get(key) is None else cell(key, row[key])

    def distinct(key: str) -> int:
        return len({shown(row, key) for row in rows} - {None})

    keys = sorted(comparison.config_columns, key=distinct, reverse=True)  # stable: the config's order on ties
    order: list[str] = []
    groups = [list(range(len(rows)))]
    while True:

        def split(key: str, groups: list[list[int]] = groups) -> list[list[int]]:
            out: list[list[int]] = []
            for group in groups:
                parts: dict[str | None, list[int]] = {}
                for i in group:
                    parts.setdefault(shown(rows[i], key), []).append(i)
                out += parts.values()
            return out

        best = max((k for k in keys if k not in order), key=lambda k: len(split(k)), default=None)
        if best is None or len(split(best)) == len(groups):
            break
        order.append(best)
        groups = split(best)
    order += [k for k in keys if k not in order]
    return {
        record.name: [f"{_short(k)}={shown(row, k)}" for k in order if shown(row, k) is not None]
        for record, row in zip(records, rows)
    }


def _short(key: str) -> str:
    """optimizer.learning_rate -> learning_rate; layers[0].units -> layers[0].units (the index matters)."""
    return key if "[" in key else key.rsplit(".", 1)[-1]


def shared_line(comparison: Comparison) -> str:
    """'shared by every run: seed=42, ..., early_stopping={patience=5}': a section every run sets alike is one
    entry, written as a config would (its values at their defaults left out)."""
    parts: dict[str, str] = {}
    for key, value in comparison.shared.items():
        section = key.split(".", 1)[0]
        if (
            section in _SECTIONS
            and "." in key
            and not any(c.startswith(f"{section}.") for c in comparison.config_columns)
        ):
            whole = {k.split(".", 1)[1]: v for k, v in comparison.shared.items() if k.startswith(f"{section}.")}
            parts[section] = f"{section}={_mapping_text(section, whole)}"
        else:
            parts[key] = f"{key}={cell(key, value)}"
    return "shared by every run: " + ", ".join(parts.values())


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
