"""The config schema: `Spec` and its sections (dataset, layers, early_stopping, kfold), their defaults and the
checks that span several keys; what the schema says about one key (its model, default, shorthand).

Pure Python (pydantic): nothing here imports a machine-learning framework, so a bad config is rejected in well
under a second and before any run folder exists.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from nnrun.config.catalog import keras_source
from nnrun.config.fields import (
    Column,
    Fraction,
    Header,
    Label,
    LayerType,
    NonNegativeInt,
    PositiveInt,
    RefitEpochs,
    Row,
    RunName,
    Scale,
    Separator,
    Source,
    TestSize,
    ValidationMonitor,
    ValidationSize,
    invalid,
    name_or_mapping,
)
from nnrun.config.locations import Origin
from nnrun.config.yamlfile import show_value
from nnrun.errors import ConfigError, keypath

CSV_ONLY = ("header", "separator", "encoding", "decimal", "thousands", "target", "features", "missing")
TEXT_ONLY = ("num_words", "encode", "maxlen")  # the word-index datasets' options (keras:imdb, keras:reuters)
DEFAULT_TEST = 0.2
DEFAULT_NUM_WORDS = 10_000  # the seeds' choice; all of IMDB's 88,584 words would make 88,584-wide multi-hot rows
# Layer keyword arguments nnrun sets itself: the input shape comes from the data.
INPUT_SHAPE_KEYS = ("input_shape", "input_dim", "batch_input_shape", "batch_size", "input_length")


def _separator_chars(separator: str) -> str:
    """The characters a config separator splits on (csvfile.separator_regex reads it; pandas is not imported here)."""
    return {"whitespace": " \t", "tab": "\t"}.get(separator, separator.strip(" ") or separator)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class InlineData(_Section):
    """The data itself, written in the config."""

    # Row and Label validate each item with one message (a plain union would report once per branch,
    # under key paths like `x.list[list[float]][0]`).
    x: list[Row] = Field(description="Feature rows (a list of lists), or one value per row.")
    y: list[Label] = Field(description="One target value (number or class label) per row of x.")

    @model_validator(mode="after")
    def _same_length(self) -> InlineData:
        if len(self.x) != len(self.y):
            raise invalid(
                "inline", f"x has {len(self.x)} rows but y has {len(self.y)} values; give one y value per row of x"
            )
        if not self.x:
            raise invalid("inline", "x and y are empty; give at least one row")
        if len({isinstance(row, list) for row in self.x}) > 1:
            raise invalid("inline", "x mixes rows [..] and single numbers; write every row of x the same way")
        widths = {len(row) for row in self.x if isinstance(row, list)}
        if len(widths) > 1:
            raise invalid(
                "inline", f"rows of x have different lengths {sorted(widths)}; give every row the same length"
            )
        return self


class DatasetSpec(_Section):
    """Where the data comes from and how it is split and scaled."""

    path: str | None = Field(
        None,
        description="A CSV file: absolute, relative to the config, or found in the data directory "
        "($NNRUN_DATA_DIR, else ./data); well-known files are downloaded on first use.",
        examples=["pima-indians-diabetes.csv"],
    )
    source: Source | None = Field(
        None,
        description="An embedded dataset (sklearn:iris | wine | breast_cancer | digits | diabetes) or a Keras "
        "dataset (keras:mnist | fashion_mnist | cifar10 | imdb | reuters | boston_housing), downloaded once into "
        "$KERAS_HOME/datasets; `nnrun datasets` lists them all.",
        examples=["sklearn:breast_cancer", "keras:mnist"],
    )
    inline: InlineData | None = Field(None, description="The data itself: {x: [[...], ...], y: [...]}.")
    header: Header = Field("auto", description="CSV: true if the first row holds column names; auto detects it.")
    separator: Separator = Field(",", description='CSV: the column separator; "whitespace" for space-separated files.')
    encoding: str = Field("utf-8", description="CSV: the text encoding (e.g. cp949, latin-1).")
    decimal: str = Field(
        ".",
        description='CSV: the decimal mark in numbers: "." or "," (spreadsheet exports such as 1,81), as pandas\' '
        "decimal.",
        examples=[","],
    )
    thousands: str | None = Field(
        None,
        description='CSV: the character between groups of thousands in numbers ("." in 1.234,5), as pandas\' '
        "thousands; null = none.",
        examples=["."],
    )
    target: Column | None = Field(
        None, description="CSV: the target column, by name or 0-based index; null = the last column."
    )
    features: list[Column] | None = Field(
        None, description="CSV: the feature columns, by name or index; null = every column but the target."
    )
    missing: Literal["error", "drop"] = Field(
        "error",
        description="CSV: what to do with rows that have missing values (empty cells, NA, NaN, ?, -, ...): "
        "error, or drop those rows.",
    )
    test: TestSize | None = Field(
        None,
        description="Held-out test rows: an int N = the last N rows in file order; a fraction = seeded random "
        "rows (stratified for classification); 0 = no test set. null = 0.2, or for a keras: source its own test "
        "split (its test rows come last).",
    )
    validation: ValidationSize = Field(
        0.0,
        description="Training rows held out and watched during fit (val_* metrics): a fraction = seeded random "
        "rows; an int N = the first N training rows (as the seeds take x_train[:10000]).",
    )
    scale: Scale = Field(
        "none",
        description="Feature scaling fitted on the training rows only: none | standard | minmax | a divisor "
        "(255 for images).",
    )
    flatten: bool = Field(
        False,
        description="Reshape each sample into one vector (28x28 images into 784 values), as the seeds' "
        "reshape((60000, 28 * 28)) does; false keeps the shape, for Flatten or Conv2D layers.",
    )
    num_words: PositiveInt | None = Field(
        None,
        description="keras:imdb and keras:reuters: keep the N most frequent words; rarer ones become the "
        f"out-of-vocabulary index 2. null = {DEFAULT_NUM_WORDS}.",
    )
    encode: Literal["multi_hot", "sequence"] | None = Field(
        None,
        description="keras:imdb and keras:reuters: multi_hot = one 0/1 vector of num_words values per text "
        "(the seeds' vectorize_sequences); sequence = the word indices padded to maxlen, for Embedding layers. "
        "null = multi_hot.",
    )
    maxlen: PositiveInt | None = Field(
        None,
        description="encode: sequence: pad or cut every text to this many word indices (cutting the start, "
        "as keras.utils.pad_sequences does); null = the longest text.",
    )

    @field_validator("decimal", "thousands")
    @classmethod
    def _number_mark(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        key = info.field_name
        what = "decimal mark" if key == "decimal" else "thousands separator"
        if len(value) != 1 or value.isdigit() or value in "+-":
            examples = '"," or "."' if key == "decimal" else '"." or ","'
            raise invalid(key, f"must be one character other than a digit or sign (the {what}), e.g. {examples}")
        separator = info.data.get("separator")
        # A comma file can still carry "1,81" or "1,234" in quoted cells (pandas reads them); any other clash
        # would cut the numbers into columns.
        if separator is not None and value != "," and value in _separator_chars(separator):
            raise invalid(
                key,
                f"the separator {separator!r} splits the columns, so it cannot be the {what} too; "
                f"set the separator the file uses, or another {what}",
            )
        if key == "thousands" and value == info.data.get("decimal"):
            other = '"."' if value == "," else '","'
            raise invalid(
                key,
                f"the same as decimal: a number cannot use {value!r} for both; use thousands: {other}, or null (none)",
            )
        return value

    @model_validator(mode="after")
    def _one_source(self) -> DatasetSpec:
        given = [k for k in ("path", "source", "inline") if getattr(self, k) is not None]
        if len(given) != 1:
            got = "none of them" if not given else " and ".join(given)
            raise invalid("dataset", f"give exactly one of path, source or inline (got {got})")
        if self.path is None:
            csv_only = sorted(self.model_fields_set & set(CSV_ONLY))
            if csv_only:
                raise invalid("dataset", f"{', '.join(csv_only)} only apply to a CSV path, not to {given[0]} data")
        keras = keras_source(self.source)
        if keras is not None and keras.text:
            self.num_words = self.num_words or DEFAULT_NUM_WORDS
            self.encode = self.encode or "multi_hot"
            if self.maxlen is not None and self.encode != "sequence":
                raise invalid(
                    "dataset", f"maxlen applies to encode: sequence; {self.encode} rows have num_words values"
                )
            if self.encode == "sequence" and self.scale != "none":
                raise invalid(
                    "dataset",
                    f"scale: {show_value(self.scale)} would change the word indices of encode: "
                    "sequence, which an Embedding layer looks up; use scale: none",
                )
        else:
            text_only = [k for k in TEXT_ONLY if getattr(self, k) is not None]
            if text_only:
                raise invalid(
                    "dataset",
                    f"{', '.join(text_only)} only apply to keras:imdb and keras:reuters, not to "
                    f"{self.source or given[0]} data",
                )
        if self.test is None and keras is None:  # a Keras dataset's own test split is known once it is loaded
            self.test = DEFAULT_TEST
        return self


class LayerSpec(BaseModel):
    """One Keras layer: its class name and keyword arguments."""

    model_config = ConfigDict(extra="allow", strict=True)

    type: LayerType = Field(
        description="A Keras layer class name, e.g. Dense, Dropout, BatchNormalization, Flatten.", examples=["Dense"]
    )
    units: PositiveInt | None = Field(None, description="Dense and recurrent layers: number of outputs.")
    filters: PositiveInt | None = Field(None, description="Convolution layers: number of filters.")
    rate: Fraction | None = Field(None, description="Dropout layers: fraction of inputs dropped, 0 <= rate < 1.")
    activation: str | None = Field(None, description="Activation name; unset = the top-level default.")

    @model_validator(mode="after")
    def _no_input_shape(self) -> LayerSpec:
        for key in INPUT_SHAPE_KEYS:
            if key == "input_dim" and self.type == "Embedding":  # there it is the vocabulary size, not a shape
                continue
            if key in (self.model_extra or {}):
                raise invalid(
                    "input_shape",
                    f"remove {key}: nnrun infers the input shape from the data (and batch_size is top-level)",
                )
        return self

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments for the Keras layer class (everything but `type`, unset ones left out)."""
        given = {
            k: getattr(self, k) for k in ("units", "filters", "rate", "activation") if getattr(self, k) is not None
        }
        return {**given, **(self.model_extra or {})}


class EarlyStoppingSpec(_Section):
    """Stop when a monitored value stops improving (Keras's EarlyStopping)."""

    monitor: str = Field("val_loss", description="The value watched: loss, val_loss, val_accuracy, ...")
    patience: NonNegativeInt = Field(10, description="Epochs without improvement to wait.")
    min_delta: Annotated[float, Field(ge=0)] = Field(0.0, description="Smallest change that counts as improvement.")
    mode: Literal["auto", "min", "max"] = Field("auto", description="Whether lower or higher is better; auto infers.")
    restore_best_weights: bool = Field(True, description="Keep the weights of the best epoch, not the last.")
    start_from_epoch: NonNegativeInt = Field(0, description="Epochs before watching starts.")


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
    monitor: ValidationMonitor | None = Field(
        None,
        description="The mean validation curve that picks the best epoch; null = early_stopping.monitor "
        "when it watches a val_ value, else val_loss.",
        examples=["val_mae"],
    )
    smoothing: Fraction = Field(
        0.0,
        description="Exponential smoothing factor of the mean validation curve, for history.png and the best "
        "epoch (the seed uses 0.9); 0 = none.",
    )
    skip_epochs: NonNegativeInt = Field(
        0,
        description="First epochs left out of history.png's mean curve and of the best-epoch choice (the seed skips 10).",
    )

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

    name: RunName | None = Field(None, description="The run name; null = the config file's name.")
    seed: NonNegativeInt = Field(42, description="Seeds Python, NumPy, Keras and the splits.")
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
    loss: name_or_mapping("loss", "binary_crossentropy") = Field(  # type: ignore[valid-type]
        description="A Keras loss name, or {name: ..., <arguments>}.", examples=["binary_crossentropy"]
    )
    optimizer: name_or_mapping("optimizer", "adam") = Field(  # type: ignore[valid-type]
        "rmsprop", description="A Keras optimizer name, or {name: sgd, learning_rate: 0.01, ...}."
    )
    metrics: list[name_or_mapping("metric", "accuracy")] = Field(  # type: ignore[valid-type]
        default_factory=list, description="Keras metric names (or {name: ..., <arguments>})."
    )
    epochs: PositiveInt = Field(description="Passes over the training rows.", examples=[100])
    batch_size: PositiveInt = Field(32, description="Rows per gradient step.")
    steps_per_execution: PositiveInt | Literal["auto"] = Field(
        "auto",
        description="How training is driven; auto = the fastest: on jax one compiled call per epoch (the "
        "history Keras's fit gives), on tensorflow Keras's fit on a tf.data pipeline (its own shuffle order). A "
        "number = Keras's fit on the arrays, with that many gradient steps per call into the backend.",
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


# --- what the schema says about one key ---


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
    model = model_at(loc[:-1])
    field = model.model_fields.get(loc[-1]) if model and isinstance(loc[-1], str) else None
    if field is None or field.is_required():
        return None
    return field.get_default(call_default_factory=True)


def model_at(loc: tuple) -> type[BaseModel] | None:
    """The schema model that holds the keys at `loc` (None outside the schema)."""
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


def fields_at(loc: tuple, model_at=model_at) -> list[str]:
    """The keys the schema knows at `loc` (a section's keys), in the schema's order; [] outside the schema.
    `model_at` finds the pydantic model at a location (this schema's, or another's: the sweep file's)."""
    model = model_at(loc)
    return list(model.model_fields) if model else []


def example_at(loc: tuple, model_at=model_at) -> Any:
    """The example value the schema gives key `loc` (None when it gives none): 100 for ('epochs',)."""
    model = model_at(loc[:-1])
    field = model.model_fields.get(loc[-1]) if model else None
    return field.examples[0] if field is not None and field.examples else None


# --- settings that validate alone but cannot train together ---


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
