"""pydantic's validation errors as nnrun's one-line messages: "file:line: key.path: got <value>; <what is
valid>", one line per problem, a misspelt key and the required key it stands for told as one slip.

Pure Python (pydantic).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from nnrun.config.locations import Origin
from nnrun.config.schema import LayerSpec, example_at, fields_at, model_at
from nnrun.config.yamlfile import show_value
from nnrun.errors import closest, did_you_mean, keypath


def describe(error: ValidationError, origin: Origin, data: dict) -> str:
    """Turn pydantic's errors into nnrun's one-line messages (one line per problem)."""
    lines = []
    errors = error.errors(include_url=False)
    missing = {tuple(err["loc"]) for err in errors if err["type"] == "missing"}
    # A misspelt required key (`epoch: 1500`) is one slip, not two: its unknown-key line names the missing key,
    # and the "required key is missing" line for that key is dropped.
    misspelt = {}
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden" and isinstance(loc[-1], str):
            close = closest(loc[-1], fields_at(loc[:-1]))
            if close is not None and (*loc[:-1], close) in missing:
                misspelt[loc] = (*loc[:-1], close)
    # Likewise where unknown keys are allowed (a layer's keys are Keras's arguments): `{typ: Dense}`.
    for err in errors:
        loc = tuple(err["loc"])
        given = _data_at(data, loc[:-1])
        if err["type"] == "missing" and loc not in misspelt.values() and isinstance(given, dict):
            typo = next(
                (
                    k
                    for k in given
                    if isinstance(k, str) and k not in fields_at(loc[:-1]) and closest(k, [loc[-1]]) == loc[-1]
                ),
                None,
            )
            if typo is not None:
                example = example_at(loc)
                e_g = f"; e.g. {loc[-1]}: {example}" if example is not None else ""
                lines.append(
                    f"{origin.where((*loc[:-1], typo))}{keypath((*loc[:-1], typo))}: unknown key (did you "
                    f"mean '{loc[-1]}'? it is required){e_g}".replace("\n", "\\n")
                )
                misspelt[(*loc[:-1], typo)] = loc
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "missing" and loc in misspelt.values():
            continue
        if err["type"] == "invalid_key":  # pydantic puts the bad key itself at the end of loc
            loc = loc[:-1]
        where = origin.where(loc)
        problem = _problem(err, loc, by_set=where.startswith("--"))
        if loc in misspelt:
            problem = problem.replace("?)", "? it is required)", 1)
        line = f"{where}{keypath(loc)}: {problem}"
        lines.append(line.replace("\n", "\\n"))  # a key with a newline in it must not split the line
    return "\n".join(dict.fromkeys(lines))


# Errors about a whole section, raised by its model validator: their input is the section itself,
# too long to repeat, and the message already says what is wrong with it.
_SECTION_CHECKS = ("dataset", "inline", "input_shape")
# Sections that also accept a shorthand instead of a mapping.
_SHORTHANDS = {"kfold": "an int k >= 2 (the number of folds) or ", "early_stopping": "true, false or "}


def _problem(err: dict, loc: tuple, by_set: bool = False) -> str:
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        valid = fields_at(loc[:-1])
        hint = did_you_mean(loc[-1], valid)
        return f"unknown key{hint}; valid keys here: {', '.join(valid)}"
    if kind == "missing":
        example = example_at(loc)
        if example is None:
            return "required key is missing"
        if by_set:  # a --set made the section: the fix is one more --set
            also = " or nnrun kfold --k 5" if loc == ("kfold", "k") else ""
            return f"required key is missing; add --set {keypath(loc)}={show_value(example)}{also}"
        return f"required key is missing (e.g. {loc[-1]}: {example})"
    if kind == "invalid_key":
        valid = fields_at(loc)
        return f"got the key {show_value(value)}; keys are names" + (
            f" (valid keys here: {', '.join(valid)})" if valid else ""
        )
    message = err["msg"].replace("Input should be", "must be").replace("Value error, ", "")
    message = message.replace(" after validation", "")
    if kind == "model_type":  # pydantic says "a valid dictionary or instance of KFoldSpec": name no classes
        model = model_at(loc)
        if model is LayerSpec:
            message = (
                "must be a mapping {type: <Keras layer class>, <argument>: <value>, ...}, e.g. {type: Dense, units: 8}"
            )
        else:
            keys = f" with keys among: {', '.join(model.model_fields)}" if model else ""
            message = f"must be {_SHORTHANDS.get(loc[-1] if loc else '', '')}a mapping{keys}"
    if kind == "literal_error":  # YAML spells booleans true and false
        message = re.sub(r"\bTrue\b", "true", re.sub(r"\bFalse\b", "false", message))
    if isinstance(value, dict) and kind in _SECTION_CHECKS:
        return message[0].lower() + message[1:]
    if kind in ("decimal", "thousands"):  # punctuation, quoted: "got ;; the separator" would read as a typo
        return f"got {value!r}; {message}"
    return f"got {show_value(value)}; {message[0].lower() + message[1:]}"


def _data_at(data: Any, loc: tuple) -> Any:
    """The config data at `loc` (None when it is not there)."""
    for part in loc:
        if (
            isinstance(data, dict)
            and part in data
            or isinstance(data, list)
            and isinstance(part, int)
            and 0 <= part < len(data)
        ):
            data = data[part]
        else:
            return None
    return data
