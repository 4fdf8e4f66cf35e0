"""The config's field types that pydantic's own types cannot say in one message: a Keras name or mapping, a
column, a row count or fraction, a scale, ... Each validates a value and gives one clear message instead of
pydantic's one per union branch (under key paths like `x.list[list[float]][0]`).

Pure Python (pydantic): nothing here imports a machine-learning framework.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

SCALES = ("none", "standard", "minmax")


def invalid(kind: str, message: str) -> PydanticCustomError:
    """The error a validator raises for a value it refuses: `message` is the whole problem ("must be ..."),
    which problems.py prints after the value received."""
    return PydanticCustomError(kind, message)


def name_or_mapping(what: str, example: str):
    def check(value: Any) -> str | dict:
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, dict) and isinstance(value.get("name"), str) and value["name"].strip():
            return dict(value)
        raise invalid(
            "name_or_mapping",
            f"must be a Keras {what} name (e.g. {example}) or a mapping "
            f"{{name: {example}, <argument>: <value>, ...}}",
        )

    schema = {
        "anyOf": [
            {"type": "string"},
            {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
        ]
    }
    return Annotated[str | dict, PlainValidator(check), WithJsonSchema(schema)]


def _check_column(value: Any) -> int | str:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise invalid("column", "must be a column name or a 0-based column index (negative counts from the end)")
    return value


Column = Annotated[
    int | str, PlainValidator(_check_column), WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string"}]})
]


def _rows_or_fraction(kind: str, rows: str, zero: str):
    """A field taking an int N (`rows`, e.g. "the last N rows") or a fraction 0 <= f < 1 of seeded random rows."""

    def check(value: Any) -> int | float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise invalid(kind, f"must be an int N >= 0 ({rows}) or a fraction 0 <= f < 1 (seeded random rows)")
        if isinstance(value, int) and value < 0:
            raise invalid(kind, f"must be an int N >= 0 ({rows}); 0 means {zero}")
        if isinstance(value, float) and not 0 <= value < 1:
            raise invalid(kind, f"must be a fraction 0 <= f < 1, or an int N for {rows}")
        return value

    schema = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "number", "minimum": 0, "exclusiveMaximum": 1}]}
    return Annotated[int | float, PlainValidator(check), WithJsonSchema(schema)]


TestSize = _rows_or_fraction("test", "the last N rows", "no test set")
ValidationSize = _rows_or_fraction("validation", "the first N training rows", "no validation")


def _check_scale(value: Any) -> str | float:
    if isinstance(value, str) and value in SCALES:
        return value
    # isfinite: dividing by .inf would silently turn every feature into 0.
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 and math.isfinite(value):
        return float(value)
    raise invalid("scale", "must be one of none, standard, minmax, or a number > 0 to divide by (255 for images)")


Scale = Annotated[
    str | float,
    PlainValidator(_check_scale),
    WithJsonSchema({"anyOf": [{"enum": list(SCALES)}, {"type": "number", "exclusiveMinimum": 0}]}),
]


def _check_header(value: Any) -> bool | str:
    if isinstance(value, bool) or value == "auto":
        return value
    raise invalid("header", "must be true, false or auto")


Header = Annotated[
    bool | str, PlainValidator(_check_header), WithJsonSchema({"anyOf": [{"type": "boolean"}, {"const": "auto"}]})
]

PositiveInt = Annotated[int, Field(strict=True, gt=0)]
Fraction = Annotated[float, Field(strict=True, ge=0, lt=1)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_row(value: Any) -> list[float] | float:
    if _is_number(value):
        return float(value)
    if isinstance(value, list) and value and all(_is_number(v) for v in value):
        return [float(v) for v in value]
    raise invalid("row", "must be a row of numbers like [0.5, 1] (or, for one feature, a single number)")


Row = Annotated[
    list[float] | float,
    PlainValidator(_check_row),
    WithJsonSchema({"anyOf": [{"type": "array", "items": {"type": "number"}, "minItems": 1}, {"type": "number"}]}),
]


def _check_label(value: Any) -> float | int | str:
    if _is_number(value) or isinstance(value, str):
        return value
    raise invalid("label", "must be a number or a class label (a string); write true/false labels as 1/0")


Label = Annotated[
    float | int | str, PlainValidator(_check_label), WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}]})
]


def _check_refit_epochs(value: Any) -> int | str | None:
    if value is None or value == "best" or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        return value
    raise invalid("refit_epochs", "must be an int > 0, best (the best epoch of the mean validation curve) or null (= epochs)")


RefitEpochs = Annotated[
    int | str | None,
    PlainValidator(_check_refit_epochs),
    WithJsonSchema({"anyOf": [{"type": "integer", "exclusiveMinimum": 0}, {"const": "best"}, {"type": "null"}]}),
]
