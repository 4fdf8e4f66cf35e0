"""The config's field types: each is a pydantic type with its constraints (ranges, lengths, choices), which give
both the check and the JSON schema, and `says`, which gives every way a value fails them one clear message
instead of pydantic's one per union branch (under key paths like `x.list[list[float]][0]`) and constraint.

Pure Python (pydantic): nothing here imports a machine-learning framework.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from annotated_types import Predicate
from pydantic import Field, ValidationError, WithJsonSchema, WrapValidator
from pydantic_core import PydanticCustomError

from nnrun.config.catalog import sources
from nnrun.errors import did_you_mean

SCALES = ("none", "standard", "minmax")


def invalid(kind: str, message: str) -> PydanticCustomError:
    """The error a validator raises for a value it refuses: `message` is the whole problem ("must be ..."),
    which problems.py prints after the value received."""
    return PydanticCustomError(kind, message)


def says(kind: str, message: str | Callable[[Any], str], *, only_for: type | None = None) -> WrapValidator:
    """Annotate a type with the one message (`message`, or `message(value)` when it depends on the value) for
    every way a value fails that type and its constraints; `kind` names the problem for problems.py. With
    `only_for`, values of other types keep pydantic's own message ("must be a valid string")."""

    def validate(value: Any, handler: Callable[[Any], Any]) -> Any:
        if only_for is not None and not isinstance(value, only_for):
            return handler(value)
        try:
            return handler(value)
        except ValidationError:
            raise invalid(kind, message(value) if callable(message) else message) from None

    return WrapValidator(validate)


# Constraints pydantic has no keyword for. str.strip() is "" for a blank text (its idea of space is Python's).
NotBlank = Annotated[str, Predicate(str.strip)]
PositiveInt = Annotated[int, Field(strict=True, gt=0)]
NonNegativeInt = Annotated[int, Field(strict=True, ge=0)]
Fraction = Annotated[float, Field(strict=True, ge=0, lt=1)]


def _has_a_name(mapping: dict) -> bool:
    return isinstance(mapping.get("name"), str) and bool(mapping["name"].strip())


# A mapping such as {name: sgd, learning_rate: 0.01}: its other keys are the Keras object's arguments, of any
# kind (keras_names says which it takes), so pydantic's TypedDict, which wants text keys, cannot say it.
_Named = Annotated[
    dict,
    Predicate(_has_a_name),
    WithJsonSchema({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}),
]


def name_or_mapping(what: str, example: str):
    """A Keras name (`adam`) or a mapping {name: adam, <argument>: <value>, ...}, e.g. for the optimizer."""
    return Annotated[
        NotBlank | _Named,
        says(
            "name_or_mapping",
            f"must be a Keras {what} name (e.g. {example}) or a mapping {{name: {example}, <argument>: <value>, ...}}",
        ),
    ]


Column = Annotated[
    int | Annotated[str, Field(min_length=1)],
    says("column", "must be a column name or a 0-based column index (negative counts from the end)"),
]


def _rows_or_fraction(kind: str, rows: str, zero: str):
    """A field taking an int N (`rows`, e.g. "the last N rows") or a fraction 0 <= f < 1 of seeded random rows."""

    def problem(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be an int N >= 0 ({rows}) or a fraction 0 <= f < 1 (seeded random rows)"
        if isinstance(value, int):
            return f"must be an int N >= 0 ({rows}); 0 means {zero}"
        return f"must be a fraction 0 <= f < 1, or an int N for {rows}"

    return Annotated[NonNegativeInt | Fraction, says(kind, problem)]


TestSize = _rows_or_fraction("test", "the last N rows", "no test set")
ValidationSize = _rows_or_fraction("validation", "the first N training rows", "no validation")

Scale = Annotated[
    # allow_inf_nan: dividing by .inf would silently turn every feature into 0.
    Literal[SCALES] | Annotated[float, Field(gt=0, allow_inf_nan=False)],
    says("scale", "must be one of none, standard, minmax, or a number > 0 to divide by (255 for images)"),
]

Header = Annotated[bool | Literal["auto"], says("header", "must be true, false or auto")]

Row = Annotated[
    Annotated[list[float], Field(min_length=1)] | float,
    says("row", "must be a row of numbers like [0.5, 1] (or, for one feature, a single number)"),
]

# int first: a label 1 stays 1 (a class), where float first would make it 1.0.
Label = Annotated[
    int | float | str,
    says("label", "must be a number or a class label (a string); write true/false labels as 1/0"),
]

RefitEpochs = Annotated[
    PositiveInt | Literal["best"] | None,
    says("refit_epochs", "must be an int > 0, best (the best epoch of the mean validation curve) or null (= epochs)"),
]


def _unknown_source(value: str) -> str:
    valid = sources()
    prefixed = [v for v in valid if v.partition(":")[2] == value]  # `mnist` for keras:mnist
    hint = f" (did you mean '{prefixed[0]}'?)" if prefixed else did_you_mean(value, valid)
    return f"unknown dataset source{hint}; valid: {', '.join(valid)}"


Source = Annotated[str, Predicate(frozenset(sources()).__contains__), says("source", _unknown_source, only_for=str)]

Separator = Annotated[
    str,
    Field(min_length=1),
    says("separator", 'must not be empty; use "," or ";" or "\\t" or "whitespace"', only_for=str),
]

LayerType = Annotated[NotBlank, says("layer_type", "must be a Keras layer class name such as Dense", only_for=str)]

RunName = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$"),
    says("name", "must start with a letter or digit and hold only letters, digits and . _ + -", only_for=str),
]


def _not_validation(value: str) -> str:
    other = "" if value == "loss" else f" or val_{value}"
    return f"must be a val_ value, as the folds' mean validation curve is: val_loss{other}"


ValidationMonitor = Annotated[str, Field(pattern=r"^val_"), says("val_monitor", _not_validation, only_for=str)]
