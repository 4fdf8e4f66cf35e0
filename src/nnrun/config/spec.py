"""The config schema: read YAML safely, apply `--set` overrides, validate, fill defaults, dump.

Pure Python (pydantic + PyYAML): nothing here imports a machine-learning framework, so a bad
config is rejected in well under a second and before any run folder exists.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from nnrun.config.catalog import KERAS, SKLEARN, keras_source, sources
from nnrun.errors import ConfigError, closest, did_you_mean, keypath
from nnrun.config.overrides import apply_override, parse_override
from nnrun.config.yamlfile import read_yaml, show_value

SCALES = ("none", "standard", "minmax")
CSV_ONLY = ("header", "separator", "encoding", "decimal", "thousands", "target", "features", "missing")
TEXT_ONLY = ("num_words", "encode", "maxlen")  # the word-index datasets' options (keras:imdb, keras:reuters)
DEFAULT_TEST = 0.2
DEFAULT_NUM_WORDS = 10_000  # the seeds' choice; all of IMDB's 88,584 words would make 88,584-wide multi-hot rows
# Layer keyword arguments nnrun sets itself: the input shape comes from the data.
INPUT_SHAPE_KEYS = ("input_shape", "input_dim", "batch_input_shape", "batch_size", "input_length")


# --- field types whose validation gives one clear message instead of one per union branch ---


def _separator_chars(separator: str) -> str:
    """The characters a config separator splits on (csvfile.separator_regex reads it; pandas is not imported here)."""
    return {"whitespace": " \t", "tab": "\t"}.get(separator, separator.strip(" ") or separator)


def _custom(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _name_or_mapping(what: str, example: str):
    def check(value: Any) -> str | dict:
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, dict) and isinstance(value.get("name"), str) and value["name"].strip():
            return dict(value)
        raise _custom(
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
        raise _custom("column", "must be a column name or a 0-based column index (negative counts from the end)")
    return value


Column = Annotated[
    int | str, PlainValidator(_check_column), WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string"}]})
]


def _rows_or_fraction(kind: str, rows: str, zero: str):
    """A field taking an int N (`rows`, e.g. "the last N rows") or a fraction 0 <= f < 1 of seeded random rows."""

    def check(value: Any) -> int | float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _custom(kind, f"must be an int N >= 0 ({rows}) or a fraction 0 <= f < 1 (seeded random rows)")
        if isinstance(value, int) and value < 0:
            raise _custom(kind, f"must be an int N >= 0 ({rows}); 0 means {zero}")
        if isinstance(value, float) and not 0 <= value < 1:
            raise _custom(kind, f"must be a fraction 0 <= f < 1, or an int N for {rows}")
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
    raise _custom("scale", "must be one of none, standard, minmax, or a number > 0 to divide by (255 for images)")


Scale = Annotated[
    str | float,
    PlainValidator(_check_scale),
    WithJsonSchema({"anyOf": [{"enum": list(SCALES)}, {"type": "number", "exclusiveMinimum": 0}]}),
]


def _check_header(value: Any) -> bool | str:
    if isinstance(value, bool) or value == "auto":
        return value
    raise _custom("header", "must be true, false or auto")


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
    raise _custom("row", "must be a row of numbers like [0.5, 1] (or, for one feature, a single number)")


Row = Annotated[
    list[float] | float,
    PlainValidator(_check_row),
    WithJsonSchema({"anyOf": [{"type": "array", "items": {"type": "number"}, "minItems": 1}, {"type": "number"}]}),
]


def _check_label(value: Any) -> float | int | str:
    if _is_number(value) or isinstance(value, str):
        return value
    raise _custom("label", "must be a number or a class label (a string); write true/false labels as 1/0")


Label = Annotated[
    float | int | str, PlainValidator(_check_label), WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}]})
]


def _check_refit_epochs(value: Any) -> int | str | None:
    if value is None or value == "best" or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        return value
    raise _custom("refit_epochs", "must be an int > 0, best (the best epoch of the mean validation curve) or null (= epochs)")


RefitEpochs = Annotated[
    int | str | None,
    PlainValidator(_check_refit_epochs),
    WithJsonSchema({"anyOf": [{"type": "integer", "exclusiveMinimum": 0}, {"const": "best"}, {"type": "null"}]}),
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- the schema ---


class InlineData(_Section):
    """The data itself, written in the config."""

    # Row and Label validate each item with one message (a plain union would report once per branch,
    # under key paths like `x.list[list[float]][0]`).
    x: list[Row] = Field(description="Feature rows (a list of lists), or one value per row.")
    y: list[Label] = Field(description="One target value (number or class label) per row of x.")

    @model_validator(mode="after")
    def _same_length(self) -> InlineData:
        if len(self.x) != len(self.y):
            raise _custom(
                "inline", f"x has {len(self.x)} rows but y has {len(self.y)} values; give one y value per row of x"
            )
        if not self.x:
            raise _custom("inline", "x and y are empty; give at least one row")
        if len({isinstance(row, list) for row in self.x}) > 1:
            raise _custom("inline", "x mixes rows [..] and single numbers; write every row of x the same way")
        widths = {len(row) for row in self.x if isinstance(row, list)}
        if len(widths) > 1:
            raise _custom("inline", f"rows of x have different lengths {sorted(widths)}; give every row the same length")
        return self


class DatasetSpec(_Section):
    """Where the data comes from and how it is split and scaled."""

    path: str | None = Field(
        None,
        description="A CSV file: absolute, relative to the config, or found in the data directory "
        "($NNRUN_DATA_DIR, else ./data); well-known files are downloaded on first use.",
        examples=["pima-indians-diabetes.csv"],
    )
    source: str | None = Field(
        None,
        description="An embedded dataset (sklearn:iris | wine | breast_cancer | digits | diabetes) or a Keras "
        "dataset (keras:mnist | fashion_mnist | cifar10 | imdb | reuters | boston_housing), downloaded once into "
        "$KERAS_HOME/datasets; `nnrun datasets` lists them all.",
        examples=["sklearn:breast_cancer", "keras:mnist"],
    )
    inline: InlineData | None = Field(None, description="The data itself: {x: [[...], ...], y: [...]}.")
    header: Header = Field("auto", description="CSV: true if the first row holds column names; auto detects it.")
    separator: str = Field(",", description='CSV: the column separator; "whitespace" for space-separated files.')
    encoding: str = Field("utf-8", description="CSV: the text encoding (e.g. cp949, latin-1).")
    decimal: str = Field(
        ".", description='CSV: the decimal mark in numbers: "." or "," (spreadsheet exports such as 1,81), as pandas\' '
        "decimal.", examples=[","],
    )
    thousands: str | None = Field(
        None, description='CSV: the character between groups of thousands in numbers ("." in 1.234,5), as pandas\' '
        "thousands; null = none.", examples=["."],
    )
    target: Column | None = Field(
        None, description="CSV: the target column, by name or 0-based index; null = the last column."
    )
    features: list[Column] | None = Field(
        None, description="CSV: the feature columns, by name or index; null = every column but the target."
    )
    missing: Literal["error", "drop"] = Field(
        "error", description="CSV: what to do with rows that have missing values (empty cells, NA, NaN, ?, -, ...): "
        "error, or drop those rows."
    )
    test: TestSize | None = Field(
        None,
        description="Held-out test rows: an int N = the last N rows in file order; a fraction = seeded random "
        "rows (stratified for classification); 0 = no test set. null = 0.2, or for a keras: source its own test "
        "split (its test rows come last).",
    )
    validation: ValidationSize = Field(
        0.0, description="Training rows held out and watched during fit (val_* metrics): a fraction = seeded random "
        "rows; an int N = the first N training rows (as the seeds take x_train[:10000]).",
    )
    scale: Scale = Field(
        "none", description="Feature scaling fitted on the training rows only: none | standard | minmax | a divisor "
        "(255 for images).",
    )
    flatten: bool = Field(
        False, description="Reshape each sample into one vector (28x28 images into 784 values), as the seeds' "
        "reshape((60000, 28 * 28)) does; false keeps the shape, for Flatten or Conv2D layers.",
    )
    num_words: PositiveInt | None = Field(
        None, description="keras:imdb and keras:reuters: keep the N most frequent words; rarer ones become the "
        f"out-of-vocabulary index 2. null = {DEFAULT_NUM_WORDS}.",
    )
    encode: Literal["multi_hot", "sequence"] | None = Field(
        None, description="keras:imdb and keras:reuters: multi_hot = one 0/1 vector of num_words values per text "
        "(the seeds' vectorize_sequences); sequence = the word indices padded to maxlen, for Embedding layers. "
        "null = multi_hot.",
    )
    maxlen: PositiveInt | None = Field(
        None, description="encode: sequence: pad or cut every text to this many word indices (cutting the start, "
        "as keras.utils.pad_sequences does); null = the longest text.",
    )

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str | None) -> str | None:
        if value is None:
            return value
        kind, _, name = value.partition(":")
        if not ((kind == "sklearn" and name in SKLEARN) or (kind == "keras" and name in KERAS)):
            valid = sources()
            prefixed = [v for v in valid if v.partition(":")[2] == value]  # `mnist` for keras:mnist
            hint = f" (did you mean '{prefixed[0]}'?)" if prefixed else did_you_mean(value, valid)
            raise _custom("source", f"unknown dataset source{hint}; valid: {', '.join(valid)}")
        return value

    @field_validator("separator")
    @classmethod
    def _separator(cls, value: str) -> str:
        if value == "":
            raise _custom("separator", 'must not be empty; use "," or ";" or "\\t" or "whitespace"')
        return value

    @field_validator("decimal", "thousands")
    @classmethod
    def _number_mark(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        key = info.field_name
        what = "decimal mark" if key == "decimal" else "thousands separator"
        if len(value) != 1 or value.isdigit() or value in "+-":
            examples = '"," or "."' if key == "decimal" else '"." or ","'
            raise _custom(key, f"must be one character other than a digit or sign (the {what}), e.g. {examples}")
        separator = info.data.get("separator")
        # A comma file can still carry "1,81" or "1,234" in quoted cells (pandas reads them); any other clash
        # would cut the numbers into columns.
        if separator is not None and value != "," and value in _separator_chars(separator):
            raise _custom(key, f"the separator {separator!r} splits the columns, so it cannot be the {what} too; "
                          f"set the separator the file uses, or another {what}")
        if key == "thousands" and value == info.data.get("decimal"):
            other = '"."' if value == "," else '","'
            raise _custom(key, f"the same as decimal: a number cannot use {value!r} for both; use thousands: {other}, "
                          "or null (none)")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> DatasetSpec:
        given = [k for k in ("path", "source", "inline") if getattr(self, k) is not None]
        if len(given) != 1:
            got = "none of them" if not given else " and ".join(given)
            raise _custom("dataset", f"give exactly one of path, source or inline (got {got})")
        if self.path is None:
            csv_only = sorted(self.model_fields_set & set(CSV_ONLY))
            if csv_only:
                raise _custom("dataset", f"{', '.join(csv_only)} only apply to a CSV path, not to {given[0]} data")
        keras = keras_source(self.source)
        if keras is not None and keras.text:
            self.num_words = self.num_words or DEFAULT_NUM_WORDS
            self.encode = self.encode or "multi_hot"
            if self.maxlen is not None and self.encode != "sequence":
                raise _custom("dataset", f"maxlen applies to encode: sequence; {self.encode} rows have num_words values")
            if self.encode == "sequence" and self.scale != "none":
                raise _custom("dataset", f"scale: {show_value(self.scale)} would change the word indices of encode: "
                              "sequence, which an Embedding layer looks up; use scale: none")
        else:
            text_only = [k for k in TEXT_ONLY if getattr(self, k) is not None]
            if text_only:
                raise _custom("dataset", f"{', '.join(text_only)} only apply to keras:imdb and keras:reuters, not to "
                              f"{self.source or given[0]} data")
        if self.test is None and keras is None:  # a Keras dataset's own test split is known once it is loaded
            self.test = DEFAULT_TEST
        return self


class LayerSpec(BaseModel):
    """One Keras layer: its class name and keyword arguments."""

    model_config = ConfigDict(extra="allow", strict=True)

    type: str = Field(description="A Keras layer class name, e.g. Dense, Dropout, BatchNormalization, Flatten.",
                      examples=["Dense"])
    units: PositiveInt | None = Field(None, description="Dense and recurrent layers: number of outputs.")
    filters: PositiveInt | None = Field(None, description="Convolution layers: number of filters.")
    rate: Fraction | None = Field(None, description="Dropout layers: fraction of inputs dropped, 0 <= rate < 1.")
    activation: str | None = Field(None, description="Activation name; unset = the top-level default.")

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if not value.strip():
            raise _custom("layer_type", "must be a Keras layer class name such as Dense")
        return value

    @model_validator(mode="after")
    def _no_input_shape(self) -> LayerSpec:
        for key in INPUT_SHAPE_KEYS:
            if key == "input_dim" and self.type == "Embedding":  # there it is the vocabulary size, not a shape
                continue
            if key in (self.model_extra or {}):
                raise _custom(
                    "input_shape", f"remove {key}: nnrun infers the input shape from the data (and batch_size is top-level)"
                )
        return self

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments for the Keras layer class (everything but `type`, unset ones left out)."""
        given = {k: getattr(self, k) for k in ("units", "filters", "rate", "activation") if getattr(self, k) is not None}
        return {**given, **(self.model_extra or {})}


class EarlyStoppingSpec(_Section):
    """Stop when a monitored value stops improving (Keras's EarlyStopping)."""

    monitor: str = Field("val_loss", description="The value watched: loss, val_loss, val_accuracy, ...")
    patience: Annotated[int, Field(strict=True, ge=0)] = Field(10, description="Epochs without improvement to wait.")
    min_delta: Annotated[float, Field(ge=0)] = Field(0.0, description="Smallest change that counts as improvement.")
    mode: Literal["auto", "min", "max"] = Field("auto", description="Whether lower or higher is better; auto infers.")
    restore_best_weights: bool = Field(True, description="Keep the weights of the best epoch, not the last.")
    start_from_epoch: Annotated[int, Field(strict=True, ge=0)] = Field(0, description="Epochs before watching starts.")


class KFoldSpec(_Section):
    """K-fold cross-validation settings, used by `nnrun kfold`."""

    k: Annotated[int, Field(strict=True, ge=2)] = Field(description="Number of folds (at least 2).", examples=[5])
    shuffle: bool = Field(True, description="Shuffle rows (with the seed) before splitting into folds.")
    stratify: Literal["auto", True, False] = Field(
        "auto", description="Keep class ratios in every fold; auto = yes for classification."
    )
    refit: bool = Field(False, description="After the folds, train on all training rows and score the test rows.")
    refit_epochs: RefitEpochs = Field(
        None, description="Epochs for the refit: null = epochs, best = the best epoch of the mean validation curve."
    )
    monitor: str | None = Field(
        None, description="The mean validation curve that picks the best epoch; null = early_stopping.monitor "
        "when it watches a val_ value, else val_loss.", examples=["val_mae"],
    )
    smoothing: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.0, description="Exponential smoothing factor of the mean validation curve, for history.png and the best "
        "epoch (the seed uses 0.9); 0 = none.",
    )
    skip_epochs: Annotated[int, Field(strict=True, ge=0)] = Field(
        0, description="First epochs left out of history.png's mean curve and of the best-epoch choice (the seed skips 10).",
    )

    @field_validator("monitor")
    @classmethod
    def _validation_monitor(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("val_"):
            other = "" if value == "loss" else f" or val_{value}"
            raise _custom("val_monitor", f"must be a val_ value, as the folds' mean validation curve is: val_loss{other}")
        return value

    def monitor_for(self, early_stopping: EarlyStoppingSpec | None) -> str:
        """The value whose mean curve picks the best epoch."""
        if self.monitor:
            return self.monitor
        if early_stopping is not None and early_stopping.monitor.startswith("val_"):
            return early_stopping.monitor
        return "val_loss"


class Spec(_Section):
    """One nnrun experiment."""

    model_config = ConfigDict(extra="forbid", strict=True, title="nnrun experiment")

    name: str | None = Field(
        None, description="The run name; null = the config file's name.", pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$"
    )
    seed: Annotated[int, Field(strict=True, ge=0)] = Field(42, description="Seeds Python, NumPy, Keras and the splits.")
    backend: Literal["auto", "jax", "tensorflow", "torch"] = Field(
        "auto", description="Keras backend; auto = $KERAS_BACKEND, else jax if installed, else tensorflow."
    )
    dataset: DatasetSpec = Field(description="The data: one of path, source or inline.")
    layers: list[LayerSpec] = Field(min_length=1, description="The layers in order; the input shape is inferred.")
    activation: str | None = Field(
        None,
        description="Default activation for every layer but the last that takes one and sets none; "
        "null = Keras's default (linear).",
        examples=["relu"],
    )
    loss: _name_or_mapping("loss", "binary_crossentropy") = Field(  # type: ignore[valid-type]
        description="A Keras loss name, or {name: ..., <arguments>}.", examples=["binary_crossentropy"]
    )
    optimizer: _name_or_mapping("optimizer", "adam") = Field(  # type: ignore[valid-type]
        "rmsprop", description="A Keras optimizer name, or {name: sgd, learning_rate: 0.01, ...}."
    )
    metrics: list[_name_or_mapping("metric", "accuracy")] = Field(  # type: ignore[valid-type]
        default_factory=list, description="Keras metric names (or {name: ..., <arguments>})."
    )
    epochs: PositiveInt = Field(description="Passes over the training rows.", examples=[100])
    batch_size: PositiveInt = Field(32, description="Rows per gradient step.")
    steps_per_execution: PositiveInt | Literal["auto"] = Field(
        "auto", description="How training is driven; auto = the fastest: on jax one compiled call per epoch (the "
        "history Keras's fit gives), on tensorflow Keras's fit on a tf.data pipeline (its own shuffle order). A "
        "number = Keras's fit on the arrays, with that many gradient steps per call into the backend."
    )
    early_stopping: EarlyStoppingSpec | None = Field(None, description="Stop when the monitored value stalls.")
    kfold: KFoldSpec | None = Field(None, description="K-fold settings for `nnrun kfold`: k, or {k, shuffle, ...}.")

    _origin: Origin | None = PrivateAttr(None)

    @field_validator("early_stopping", "kfold", mode="before")
    @classmethod
    def _shorthand(cls, value: Any, info) -> Any:
        return None if value is False else expand_shorthand((info.field_name,), value)

    @property
    def config_dir(self) -> Path:
        """The folder relative CSV paths are resolved against (the config's own folder)."""
        return self._origin.path.parent if self._origin and self._origin.path else Path.cwd()

    def error(self, loc: tuple, problem: str, about: tuple[str, ...] = ()) -> ConfigError:
        """A ConfigError for key `loc`, located in the YAML file or the `--set` that gave it; `about`: the keys
        under `loc` the problem is about (units, for "the output has 3 units" at a layer), which decide that."""
        where = self._origin.where(loc, about) if self._origin else ""
        return ConfigError(f"{where}{keypath(loc)}: {problem}")

    def resolved(self) -> dict[str, Any]:
        """The config with every default filled, as plain data (what `nnrun check` prints and runs save)."""
        data = self.model_dump(mode="json")
        data["layers"] = [{k: v for k, v in layer.items() if v is not None} for layer in data["layers"]]
        ds = data["dataset"]
        for key in ("path", "source", "inline"):  # only the source in use
            if ds[key] is None:
                del ds[key]
        if "path" not in ds:  # CSV reading options do not apply to embedded or inline data
            for key in CSV_ONLY:
                del ds[key]
        if ds["num_words"] is None:  # nor the text options to anything but imdb and reuters
            for key in TEXT_ONLY:
                del ds[key]
        return data


# --- locating keys in the YAML text and in --set overrides ---


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
        live = [key for i, key in enumerate(given)  # not replaced by a later --set of a key above it
                if not any(key[: len(later)] == later for later in given[i + 1:])]
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


# Keys whose value is a Keras name or {name: ..., <arguments>}.
_NAMED = (("loss",), ("optimizer",), ("metrics", int))


def expand_shorthand(loc: tuple, value: Any) -> Any:
    """A shorthand at `loc` written out as the mapping it stands for: `optimizer: adam` -> {name: adam},
    `kfold: 4` -> {k: 4}, `early_stopping: true` -> {} (every default); anything else unchanged.
    Validation uses it, and so does --set, to add a key under a shorthand (kfold.refit=true on `kfold: 4`)."""
    shape = tuple(int if isinstance(p, int) else p for p in loc)
    if shape in _NAMED and isinstance(value, str):
        return {"name": value}
    if loc == ("kfold",) and isinstance(value, int) and not isinstance(value, bool):
        return {"k": value}
    if loc == ("early_stopping",) and isinstance(value, bool) or loc == ("kfold",) and value is False:
        return {}  # `true`, or `false` about to be configured by a --set below it (--k 5 on `kfold: false`)
    return value


def default_at(loc: tuple) -> Any:
    """The schema default of key `loc` (None when it has none), e.g. 'rmsprop' for ('optimizer',)."""
    model = _model_at(loc[:-1])
    field = model.model_fields.get(loc[-1]) if model and isinstance(loc[-1], str) else None
    if field is None or field.is_required():
        return None
    return field.get_default(call_default_factory=True)


# --- validation ---


def load_spec(path: str | Path, overrides: list[str | tuple[str, str]] | tuple = ()) -> Spec:
    """Read, override and validate a config file; return the Spec with its name filled (`backend: auto` is kept:
    the engine resolves it, see pipeline.load).
    Each override is a `--set` text ("epochs=5"), or (text, how the command line gave it) as ("kfold.k=5", "--k 5")."""
    path = Path(path)
    data, root = read_yaml(path)
    return build_spec(data, root, path, overrides)


def build_spec(data: Any, root: yaml.Node | None, path: Path | None, overrides=()) -> Spec:
    """Validate already-parsed config data (see `load_spec`)."""
    name = str(path) if path else "config"
    if data is None:
        raise ConfigError(f"{name}: the config is empty; it needs at least dataset, layers, loss and epochs")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{name}: the top level must be a mapping of keys (dataset:, layers:, ...); got {show_value(data)}"
        )
    set_by: dict[tuple, str] = {}
    for given in overrides:
        text, label = given if isinstance(given, tuple) else (given, f"--set {given}")
        try:
            loc, value = parse_override(text)
            for key in apply_override(data, loc, value, text, default_at, expand_shorthand):
                set_by.pop(key, None)  # a key given twice: the later --set, in its own place in the order
                set_by[key] = label
        except ConfigError as e:  # the message quotes the argument: a newline in it must not split the line
            raise ConfigError(str(e).replace("\n", "\\n")) from None
    origin = Origin(path, root, set_by)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_first_problem(e, origin, data)) from None
    spec._origin = origin
    if spec.name is None:
        spec.name = re.sub(r"[^A-Za-z0-9._+-]", "-", path.stem if path else "run").lstrip("._+-") or "run"
    from nnrun.config.keras_names import check_names  # light: Keras's names as data

    check_names(spec)
    return spec


def _first_problem(error: ValidationError, origin: Origin, data: dict) -> str:
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
            close = closest(loc[-1], _fields_at(loc[:-1]))
            if close is not None and (*loc[:-1], close) in missing:
                misspelt[loc] = (*loc[:-1], close)
    # Likewise where unknown keys are allowed (a layer's keys are Keras's arguments): `{typ: Dense}`.
    for err in errors:
        loc = tuple(err["loc"])
        given = _data_at(data, loc[:-1])
        if err["type"] == "missing" and loc not in misspelt.values() and isinstance(given, dict):
            typo = next((k for k in given if isinstance(k, str) and k not in _fields_at(loc[:-1])
                         and closest(k, [loc[-1]]) == loc[-1]), None)
            if typo is not None:
                example = _example_at(loc)
                e_g = f"; e.g. {loc[-1]}: {example}" if example is not None else ""
                lines.append(f"{origin.where((*loc[:-1], typo))}{keypath((*loc[:-1], typo))}: unknown key (did you "
                             f"mean '{loc[-1]}'? it is required){e_g}".replace("\n", "\\n"))
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
            problem = problem.replace("?)", f"? it is required)", 1)
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
        valid = _fields_at(loc[:-1])
        hint = did_you_mean(loc[-1], valid)
        return f"unknown key{hint}; valid keys here: {', '.join(valid)}"
    if kind == "missing":
        example = _example_at(loc)
        if example is None:
            return "required key is missing"
        if by_set:  # a --set made the section: the fix is one more --set
            also = " or nnrun kfold --k 5" if loc == ("kfold", "k") else ""
            return f"required key is missing; add --set {keypath(loc)}={show_value(example)}{also}"
        return f"required key is missing (e.g. {loc[-1]}: {example})"
    if kind == "invalid_key":
        valid = _fields_at(loc)
        return f"got the key {show_value(value)}; keys are names" + (f" (valid keys here: {', '.join(valid)})" if valid else "")
    message = err["msg"].replace("Input should be", "must be").replace("Value error, ", "")
    message = message.replace(" after validation", "")
    if kind in ("string_pattern_mismatch",):
        message = "must start with a letter or digit and hold only letters, digits and . _ + -"
    if kind == "model_type":  # pydantic says "a valid dictionary or instance of KFoldSpec": name no classes
        model = _model_at(loc)
        if model is LayerSpec:
            message = "must be a mapping {type: <Keras layer class>, <argument>: <value>, ...}, e.g. {type: Dense, units: 8}"
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
        if isinstance(data, dict) and part in data or isinstance(data, list) and isinstance(part, int) \
                and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The schema model that holds the keys at `loc` (None outside the schema)."""
    import typing

    model: type[BaseModel] | None = Spec
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return None
        candidates = [model.model_fields[part].annotation]
        model = None
        while candidates:
            tp = candidates.pop()
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                model = tp
                break
            candidates.extend(typing.get_args(tp))
    return model


def _fields_at(loc: tuple) -> list[str]:
    model = _model_at(loc)
    return list(model.model_fields) if model else []


def _example_at(loc: tuple) -> Any:
    model = _model_at(loc[:-1])
    field = model.model_fields.get(loc[-1]) if model else None
    return field.examples[0] if field is not None and field.examples else None


def training_problems(spec: Spec, *, has_validation: bool) -> None:
    """Raise for settings that validate alone but cannot train together (checked before any run starts)."""
    es = spec.early_stopping
    if es is not None and es.monitor.startswith("val_") and not has_validation:
        raise spec.error(
            ("early_stopping", "monitor"),
            f"got {es.monitor}; it needs validation rows: set dataset.validation (e.g. 0.2) or monitor: loss",
        )


def config_problems(spec: Spec) -> None:
    """What `training_problems` can tell from the config alone, for plain `nnrun check` (which loads no data):
    the validation rows exist when dataset.validation is set, and in every fold of `nnrun kfold`."""
    if spec.kfold is None:
        training_problems(spec, has_validation=bool(spec.dataset.validation))


def json_schema() -> dict[str, Any]:
    """The config's JSON Schema (draft 2020-12), for editors."""
    schema = Spec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    # The shorthands the "before" validators accept (`kfold: 4`, `early_stopping: true`) are invisible to
    # pydantic's schema; without them an editor would flag the design document's own example.
    props = schema["properties"]
    props["kfold"]["anyOf"].insert(0, {"type": "integer", "minimum": 2})
    props["early_stopping"]["anyOf"].insert(0, {"type": "boolean"})
    return schema
