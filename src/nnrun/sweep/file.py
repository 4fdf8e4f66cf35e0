"""The sweep file: its schema, `--set` on its keys, and the base experiment it searches over.

    sweep = load_sweep("configs/boston-search.yaml", overrides=["trials=20"])
    space.validate(sweep, sweep.base)      # every check against the base config; fills the defaults

Pure Python (pydantic + PyYAML, and the base config through nnrun.api.check): no Keras, no Optuna.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, PrivateAttr, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from nnrun.config.locations import Origin
from nnrun.config.overrides import apply_override, parse_key, parse_override, show_key
from nnrun.config.schema import Spec, example_at, fields_at
from nnrun.config.yamlfile import read_yaml, show_value
from nnrun.errors import ConfigError, did_you_mean, keypath

METHODS = ("grid", "random", "tpe")
SCORES = ("train", "kfold")
GOALS = ("minimize", "maximize")
PRUNERS = ("median", "hyperband")
DISTRIBUTIONS = ("uniform", "log_uniform", "int_uniform", "int_log_uniform")
# A parameter's own keys: in `--set parameters.<path>.<key>=...` they end the parameter's path.
PARAMETER_KEYS = ("values", "distribution", "min", "max", "step")


def _custom(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _one_of(kind: str, choices: tuple[str, ...]):
    """A field taking one of `choices`, refused in one line with a did-you-mean."""

    def check(value: Any) -> str:
        if isinstance(value, str) and value in choices:
            return value
        raise _custom(kind, f"must be {', '.join(choices[:-1])} or {choices[-1]}{did_you_mean(value, choices)}")

    return Annotated[str, PlainValidator(check)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_number(value: Any) -> int | float:
    if _is_number(value):
        return value
    raise _custom("number", "must be a number")


Number = Annotated[int | float, PlainValidator(_check_number)]
PositiveInt = Annotated[int, Field(strict=True, gt=0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class MetricSpec(_Section):
    """The score each trial is judged by."""

    name: str = Field(description="val_loss or val_<a metric the base config reports>.", examples=["val_mae"])
    goal: _one_of("goal", GOALS) | None = Field(  # type: ignore[valid-type]
        None, description="minimize | maximize; null = the metric's direction (losses and errors: minimize)."
    )


class Parameter(_Section):
    """One searched key: `{values: [...]}` (choices, any YAML), or `{distribution: ..., min: ..., max: ...}`;
    `{value: X}` is a constant (one choice), set in every trial."""

    values: list[Any] | None = Field(None, description="The choices, any YAML values (whole subtrees too).")
    distribution: _one_of("distribution", DISTRIBUTIONS) | None = Field(  # type: ignore[valid-type]
        None, description="uniform | log_uniform | int_uniform | int_log_uniform"
    )
    min: Number | None = Field(None, description="The range's low end (included).")
    max: Number | None = Field(None, description="The range's high end (included).")
    step: Number | None = Field(None, description="uniform, int_uniform: only min + a whole number of steps.")

    @model_validator(mode="before")
    @classmethod
    def _mapping(cls, value: Any) -> Any:
        if isinstance(value, dict) and "value" in value:  # W&B's constant: the same value in every trial
            others = [k for k in value if k != "value"]
            if others:
                raise _custom("form", f"value is a constant: give it alone, not with {', '.join(map(str, others))}")
            return {"values": [value["value"]]}
        if isinstance(value, dict):
            return value
        example = f"{{values: {show_value(value if isinstance(value, list) else [value])}}}"
        raise _custom("parameter", f"must be a mapping: {example}, or {{distribution: uniform, min: ..., max: ...}}")

    @model_validator(mode="after")
    def _one_form(self) -> Parameter:
        ranged = [k for k in ("distribution", "min", "max", "step") if getattr(self, k) is not None]
        if self.values is not None:
            if ranged:
                raise _custom(
                    "form",
                    f"give either values or a distribution with min and max, not both "
                    f"(got values and {', '.join(ranged)})",
                )
            if not self.values:
                raise _custom("form", "values is empty; give at least one value")
            texts = [flow(v) for v in self.values]
            for i, text in enumerate(texts):
                if text in texts[:i]:
                    raise _custom(
                        "form",
                        f"values[{i}] is {show_value(self.values[i])} again (as values[{texts.index(text)}]); keep one",
                    )
            return self
        if self.distribution is None:
            given = f" (got {', '.join(ranged)})" if ranged else ""
            raise _custom(
                "form", f"give values: [...] or distribution: {' | '.join(DISTRIBUTIONS)} with min and max{given}"
            )
        d, low, high, step = self.distribution, self.min, self.max, self.step
        missing = [k for k in ("min", "max") if getattr(self, k) is None]
        if missing:
            raise _custom("form", f"distribution {d} needs min and max ({' and '.join(missing)} missing)")
        if d.startswith("int_"):
            wrong = [
                (k, v)
                for k, v in (("min", low), ("max", high), ("step", step))
                if v is not None and not (isinstance(v, int) or float(v).is_integer())
            ]
            if wrong:
                k, v = wrong[0]
                raise _custom(
                    "form",
                    f"{k} {show_value(v)} is not a whole number; {d} takes whole numbers for min, "
                    "max and step (or use distribution: uniform)",
                )
        if low > high:
            raise _custom("form", f"min {show_value(low)} is above max {show_value(high)}; give min <= max")
        if d.endswith("log_uniform") and low <= 0:
            raise _custom(
                "form",
                f"min {show_value(low)}: a {d} range must lie above 0 (the log of 0 or less does "
                "not exist); give min > 0, e.g. 1.0e-4, or use "
                f"{'int_uniform' if d.startswith('int_') else 'uniform'}",
            )
        if step is not None:
            if d.endswith("log_uniform"):
                raise _custom(
                    "form", f"step does not apply to {d} (the steps would not be even on a log scale); remove it"
                )
            if step <= 0:
                raise _custom("form", f"step {show_value(step)} must be above 0")
            steps = (high - low) / step
            if abs(steps - round(steps)) > 1e-9 * max(1.0, abs(steps)):
                fit = low + int(steps) * step
                raise _custom(
                    "form",
                    f"max {show_value(high)} is not min {show_value(low)} plus a whole number of "
                    f"steps of {show_value(step)}; e.g. max: {show_value(round(fit, 12))}",
                )
        number = int if d.startswith("int_") else float  # the values Optuna gives
        self.min, self.max = number(low), number(high)
        self.step = None if step is None else number(step)
        return self

    @property
    def kind(self) -> str:
        """'values', or the distribution's name."""
        return "values" if self.values is not None else str(self.distribution)

    def candidates(self) -> list[tuple[str, tuple, Any]]:
        """The values the base config is checked with: every choice, or min and max of a range, each as
        (what to call it, its key under the parameter, the value)."""
        if self.values is not None:
            return [(f"values[{i}] = {show_value(v)}", ("values", i), v) for i, v in enumerate(self.values)]
        return [(f"{end} {show_value(getattr(self, end))}", (end,), getattr(self, end)) for end in ("min", "max")]

    def resolved(self) -> dict[str, Any]:
        if self.values is not None:
            return {"values": list(self.values)}
        number = int if self.kind.startswith("int_") else float
        out = {"distribution": self.distribution, "min": number(self.min), "max": number(self.max)}
        if self.step is not None:
            out["step"] = number(self.step)
        return out


class EarlyTerminate(_Section):
    """Pruning: stop trials that fall behind, by their metric each epoch."""

    type: _one_of("early_terminate", PRUNERS) = Field(  # type: ignore[valid-type]
        description="median (Optuna's MedianPruner) | hyperband (HyperbandPruner).", examples=["median"]
    )
    min_epochs: PositiveInt = Field(1, description="Epochs every trial runs before it may be stopped.")


def _check_parameters(value: Any) -> Any:
    if not isinstance(value, dict):
        raise _custom("parameters", "must be a mapping of key paths to searches, e.g. {batch_size: {values: [16, 32]}}")
    if not value:
        raise _custom(
            "parameters", "is empty; give at least one key path to search, e.g. batch_size: {values: [16, 32]}"
        )
    return value


class SweepFile(_Section):
    """One nnrun sweep: a search over keys of a base experiment config."""

    model_config = ConfigDict(extra="forbid", strict=True, title="nnrun sweep")

    name: str | None = Field(
        None, description="The sweep's name; null = the file's name.", pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$"
    )
    config: str = Field(description="The base experiment config, relative to this file.", examples=["boston.yaml"])
    method: _one_of("method", METHODS) = Field(  # type: ignore[valid-type]
        description="grid (every combination of the values) | random | tpe (Optuna's TPE sampler).",
        examples=["random"],
    )
    metric: MetricSpec | None = Field(None, description="{name, goal}, or just the name; null = val_loss.")
    trials: PositiveInt | None = Field(None, description="Trials to run; grid: null = the grid's size.", examples=[20])
    parallel: PositiveInt | None = Field(None, description="Trials at once; null = the CPU count, at most trials.")
    seed: Annotated[int, Field(strict=True, ge=0)] | None = Field(
        None, description="The sampler's seed and every trial's config seed; null = the base config's seed."
    )
    score: _one_of("score", SCORES) = Field(  # type: ignore[valid-type]
        "train", description="train: the final validation value; kfold: the mean over the base config's folds."
    )
    # Validated key by key by _validate (pydantic would name a non-string key `parameters.[key]`).
    parameters: dict[str, Parameter] = Field(
        default_factory=dict,
        description="Key paths as --set takes them (slices too) -> {values: [...]} or {distribution, min, max}.",
    )
    early_terminate: EarlyTerminate | None = Field(
        None, description="Optional pruning: {type: median | hyperband, min_epochs: N}, or just the type."
    )

    _origin: Origin | None = PrivateAttr(None)
    _path: Path | None = PrivateAttr(None)
    _base: Spec | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("metric"), str):
            data = {**data, "metric": {"name": data["metric"]}}
        if isinstance(data, dict) and isinstance(data.get("early_terminate"), str):
            data = {**data, "early_terminate": {"type": data["early_terminate"]}}
        return data

    @property
    def path(self) -> Path | None:
        """The sweep file."""
        return self._path

    @property
    def config_path(self) -> Path:
        """The base config: `config` taken from the sweep file's folder (relative to the current directory when
        the sweep file's path is, so messages name it as the user would; resolved() gives it absolute)."""
        folder = self._path.parent if self._path is not None else Path()
        return Path(os.path.normpath(folder / self.config))

    @property
    def base(self) -> Spec:
        """The base config as `nnrun.api.check` validated it (set by load_sweep)."""
        if self._base is None:
            raise RuntimeError("SweepFile.base: the sweep was not read by load_sweep")
        return self._base

    def where(self, loc: tuple) -> str:
        """The "file:line: " (or "--set ...: ") prefix for messages about key `loc` of the sweep file."""
        return self._origin.where(loc) if self._origin else ""

    def error(self, loc: tuple, problem: str) -> ConfigError:
        """A ConfigError for key `loc`, located in the sweep file or the `--set` that gave it."""
        return ConfigError(f"{self.where(loc)}{keypath(loc)}: {problem}".replace("\n", "\\n"))

    def resolved(self) -> dict[str, Any]:
        """The sweep as plain data, every default filled once space.validate has run; `config` absolute."""
        data = self.model_dump(mode="json", exclude={"parameters"})
        data["config"] = str(self.config_path.resolve())
        data["parameters"] = {path: p.resolved() for path, p in self.parameters.items()}
        return data


def load_sweep(path: str | Path, overrides: list[str | tuple[str, str]] | tuple = ()) -> SweepFile:
    """Read a sweep file, apply `--set` overrides to its keys, validate it and load its base config.

    Each override is a `--set` text ("trials=20", "parameters.batch_size.values=[16, 32]": a parameter's path
    ends at its own key values | distribution | min | max | step) or (text, how the command line gave it) as
    ("trials=20", "--trials 20"). The base config is validated by nnrun.api.check (its errors are the usual
    ones); the parameters are checked against it by space.validate, which also fills the defaults.

    Raises ConfigError (one line per problem: `file:line: key.path: got X; what is valid`)."""
    path = Path(path)
    data, root = read_yaml(path)
    if data is None:
        raise ConfigError(f"{path}: the sweep file is empty; it needs at least config, method and parameters")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping of keys (config:, method:, parameters:, ...); "
            f"got {show_value(data)}"
        )
    experiment = [k for k in ("dataset", "layers", "loss") if k in data]
    if experiment and not any(k in data for k in ("method", "parameters", "config")):
        raise ConfigError(
            f"{path}: an experiment config (it has {', '.join(experiment)}), not a sweep file: train it "
            f"with nnrun train {path}, or search it with a sweep file that names it (config: {path.name}, "
            "method: random, trials: 10, parameters: {...}; see the README's Sweeps)"
        )
    set_by: dict[tuple, str] = {}
    for given in overrides:
        text, label = given if isinstance(given, tuple) else (given, f"--set {given}")
        try:
            loc, value = _sweep_override(text, data)
            for key in apply_override(data, loc, value, text, _default_at, _expand):
                set_by.pop(key, None)
                set_by[key] = label
        except ConfigError as e:
            raise ConfigError(str(e).replace("\n", "\\n")) from None
    origin = Origin(path, root, set_by)
    sweep = _validate(data, origin)
    sweep._origin, sweep._path = origin, path
    if sweep.name is None:
        sweep.name = re.sub(r"[^A-Za-z0-9._+-]", "-", path.stem).lstrip("._+-") or "sweep"
    _check_paths(sweep)
    sweep._base = _load_base(sweep)
    return sweep


def _default_at(loc: tuple) -> Any:
    """What an absent key starts from under --set: metric.goal=maximize keeps the default metric, val_loss."""
    return {"name": "val_loss"} if loc == ("metric",) else None


def _expand(loc: tuple, value: Any) -> Any:
    """`metric: val_mae` is {name: val_mae}, so --set metric.goal=maximize adds to it."""
    return {"name": value} if loc == ("metric",) and isinstance(value, str) else value


def _sweep_override(text: str, data: dict) -> tuple[tuple, Any]:
    """(key path, value) of a --set on a sweep key. Under `parameters`, the searched key path is one key of the
    mapping, written as in the file (or any way that reads the same: layers.0.units for layers[0].units)."""
    loc, value = parse_override(text)
    if loc[0] != "parameters" or len(loc) == 1:
        return loc, value
    rest = text.partition("=")[0].strip()[len("parameters") :].removeprefix(".")
    m = re.fullmatch(rf"(.+?)\.({'|'.join(PARAMETER_KEYS)})((?:\[-?\d+\])*)", rest)
    searched, tail = (
        (m.group(1), (m.group(2), *(int(i) for i in re.findall(r"-?\d+", m.group(3))))) if m else (rest, ())
    )
    params = data.get("parameters")
    if isinstance(params, dict):
        same = [k for k in params if isinstance(k, str) and _same_path(k, searched)]
        searched = same[0] if same else searched
    return ("parameters", searched, *tail), value


def _same_path(a: str, b: str) -> bool:
    try:
        return parse_key(a) == parse_key(b)
    except ConfigError:
        return a == b


def _validate(data: dict, origin: Origin) -> SweepFile:
    """The SweepFile, or ConfigError with one line per problem, parameters in the file's order."""
    lines: list[str] = []
    params = data.get("parameters")
    parsed: dict[str, Parameter] = {}
    if "parameters" not in data:
        lines.append(
            f"{origin.where(('parameters',))}parameters: required key is missing (e.g. parameters: "
            "{batch_size: {values: [16, 32]}})"
        )
    else:
        try:
            _check_parameters(params)
        except PydanticCustomError as e:
            lines.append(_line(origin, ("parameters",), "parameters", e.message(), params))
        else:
            for key, value in params.items():
                if not isinstance(key, str):
                    lines.append(
                        f"{origin.where(('parameters',))}parameters: got the key {show_value(key)}; "
                        "keys are key paths such as batch_size or layers[0].units"
                    )
                    continue
                try:
                    parsed[key] = Parameter.model_validate(value)
                except ValidationError as e:
                    lines += _lines(e, origin, ("parameters", key))
    rest = {k: v for k, v in data.items() if k != "parameters"}
    try:
        sweep = SweepFile.model_validate(rest)
    except ValidationError as e:
        lines = _lines(e, origin, ()) + lines
    if lines:
        raise ConfigError("\n".join(dict.fromkeys(line.replace("\n", "\\n") for line in lines)))
    sweep.parameters = parsed
    return sweep


# Errors whose message says all (a model validator's, about a whole mapping): no "got <the mapping>".
_WHOLE = ("form", "parameter", "parameters")


def _lines(error: ValidationError, origin: Origin, prefix: tuple) -> list[str]:
    out = []
    for err in error.errors(include_url=False):
        loc = (*prefix, *err["loc"])
        out.append(_line(origin, loc, err["type"], err["msg"], err.get("input"), err))
    return out


def _line(origin: Origin, loc: tuple, kind: str, message: str, value: Any, err: dict | None = None) -> str:
    if kind == "extra_forbidden":
        valid = _fields_at(loc[:-1])
        problem = f"unknown key{did_you_mean(loc[-1], valid)}; valid keys here: {', '.join(valid)}"
    elif kind == "missing":
        example = _example_at(loc)
        problem = "required key is missing" + (f" (e.g. {loc[-1]}: {example})" if example is not None else "")
    elif kind in _WHOLE:
        problem = message
    else:
        message = message.replace("Input should be", "must be").replace("Value error, ", "")
        if kind == "string_pattern_mismatch":
            message = "must start with a letter or digit and hold only letters, digits and . _ + -"
        if kind == "model_type":
            message = f"must be a mapping with keys among: {', '.join(_fields_at(loc))}"
            if loc == ("metric",):
                message = "must be a metric name such as val_loss, or {name: val_loss, goal: minimize}"
        problem = f"got {show_value(value)}; {message[0].lower() + message[1:]}"
    return f"{origin.where(loc)}{keypath(loc)}: {problem}"


def _model_at(loc: tuple) -> type[BaseModel] | None:
    models = {(): SweepFile, ("metric",): MetricSpec, ("early_terminate",): EarlyTerminate}
    if len(loc) == 2 and loc[0] == "parameters":
        return Parameter
    return models.get(loc)


def _fields_at(loc: tuple) -> list[str]:
    return fields_at(loc, _model_at)


def _example_at(loc: tuple) -> Any:
    return example_at(loc, _model_at)


def _check_paths(sweep: SweepFile) -> None:
    """Every parameter's key is a key path --set can read, and no two name the same key."""
    seen: dict[str, str] = {}
    for key in sweep.parameters:
        try:
            parts = show_key(parse_key(key))  # one way of writing it (slices are not hashable before 3.12)
        except ConfigError as e:
            raise sweep.error(("parameters", key), str(e)) from None
        if parts in seen:
            raise sweep.error(("parameters", key), f"the same key as {seen[parts]}, written another way; keep one")
        seen[parts] = key


def _load_base(sweep: SweepFile) -> Spec:
    from nnrun import api

    config = sweep.config_path
    if not config.is_file():
        folder = config.parent
        near = sorted(p.name for p in folder.glob("*.y*ml")) if folder.is_dir() else []
        hint = did_you_mean(config.name, near)
        what = "is a directory" if config.is_dir() else "no such file"
        raise sweep.error(
            ("config",),
            f"got {show_value(sweep.config)}; {what} ({config}){hint}; give the base "
            "experiment's config file, relative to the sweep file",
        )
    return api.check(config)


def flow(value: Any) -> str:
    """A value as one line of YAML that nnrun's loader reads back to the same value: 16, adam, '1e-3',
    [{type: Dense, units: 30}, {type: Dense, units: 1}] (the text of a --set)."""
    text = yaml.dump(value, Dumper=_FlowDumper, default_flow_style=True, width=1_000_000, sort_keys=False)
    return text.strip().removesuffix("...").strip()


def _flow_dumper() -> type:
    from nnrun.config.yamlfile import Loader

    class Dumper(yaml.SafeDumper):
        pass

    # Quote what nnrun's loader would read as another type: the string "1e-3" is a number to it.
    Dumper.yaml_implicit_resolvers = {k: list(v) for k, v in Loader.yaml_implicit_resolvers.items()}
    Dumper.ignore_aliases = lambda self, data: True
    # A line break in a string: "a\nb" on one line, not a quoted scalar folded over several.
    Dumper.add_representer(
        str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style='"' if "\n" in v else None)
    )
    return Dumper


_FlowDumper = _flow_dumper()
