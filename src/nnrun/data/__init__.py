"""From the config's `dataset` section to numpy arrays: load, encode the target, split, scale.

    loaded = load(spec)                      # every row, target encoded for the loss
    split = split_rows(len(loaded.x), ...)   # row indices
    arrays = prepare(loaded, split, scale)   # scaled train/validation/test arrays + preprocess state
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnrun.catalog import keras_source
from nnrun.data.preprocess import Preprocess, Scaler
from nnrun.data.split import Part, Split, check_scorable, fold_problem, fold_rows, single_row_classes, split_rows
from nnrun.data.target import check_classes, encode, encode_labels, infer_task, numeric_target, plain_label, target_kind

if TYPE_CHECKING:
    from nnrun.spec import Spec

__all__ = ["Arrays", "Folds", "Loaded", "Preprocess", "Split", "load", "load_folds", "load_split", "prepare", "split_rows"]


@dataclass
class Loaded:
    """Every row of the dataset, the target encoded for the loss; not yet split or scaled."""

    x: np.ndarray
    y: np.ndarray
    class_ids: np.ndarray | None  # for stratified splits (classification only)
    preprocess: Preprocess
    test: int | float  # the test split to cut: dataset.test, or a Keras dataset's own (its last rows)
    path: Path | None = None  # the CSV file read, if any
    notes: list[str] = field(default_factory=list)


@dataclass
class Arrays:
    """Scaled arrays for fit / evaluate; validation and test are None when those splits are empty."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    preprocess: Preprocess
    split: Split
    notes: list[str] = field(default_factory=list)

    def head(self, train_rows: int, other_rows: int) -> Arrays:
        """The first rows of each split (what `--smoke` trains on)."""

        def cut(a, n):
            return None if a is None else a[:n]

        return Arrays(
            self.x_train[:train_rows], self.y_train[:train_rows], cut(self.x_val, other_rows),
            cut(self.y_val, other_rows), cut(self.x_test, other_rows), cut(self.y_test, other_rows),
            self.preprocess, self.split, self.notes,
        )

    def target_range(self) -> tuple[float, float]:
        """Smallest and largest training target (for checking a regression output's activation)."""
        return float(np.min(self.y_train)), float(np.max(self.y_train))


def load(spec: Spec, announce: Callable[[str], None] | None = None) -> Loaded:
    """Read the dataset the spec names and encode its target for the spec's loss; `announce` hears about a
    download as it starts (other remarks are collected in `notes`)."""
    ds = spec.dataset
    notes: list[str] = []
    csv_info, path, test = None, None, ds.test
    if ds.path is not None:
        from nnrun.data.csvfile import read_table
        from nnrun.data.registry import locate

        path = locate(ds.path, spec.config_dir, announce or notes.append)
        table = read_table(
            path, header=ds.header, separator=ds.separator, encoding=ds.encoding,
            target=ds.target, features=ds.features, missing=ds.missing, notes=notes, decimal=ds.decimal,
            thousands=ds.thousands,
        )
        x, y_raw, names, target_name, given_classes = table.x, table.y, table.feature_names, table.target_name, None
        csv_info = {
            "path": str(path.resolve()),
            "header": table.header, "separator": ds.separator, "encoding": ds.encoding,
            "decimal": ds.decimal, "thousands": ds.thousands,
            "feature_columns": table.feature_columns, "target_column": table.target_column, "n_columns": table.n_columns,
        }
        source = "csv"
    elif (keras := keras_source(ds.source)) is not None:
        from nnrun.data.keras_datasets import load_keras

        data = load_keras(keras, ds.num_words, ds.encode, ds.maxlen, announce or notes.append)
        x, y_raw, names, target_name, given_classes = data.x, data.y, data.feature_names, data.target_name, data.classes
        source, test = ds.source, data.test_rows if ds.test is None else ds.test
        if test != data.test_rows:
            notes.append(f"dataset.test: {test} replaces {ds.source}'s own test split (its last {data.test_rows:,} rows), "
                         "so some of Keras's test rows are trained on; leave test unset to keep Keras's split")
    elif ds.source is not None:
        x, y_raw, names, target_name, given_classes = _sklearn(ds.source.partition(":")[2])
        source = ds.source
    else:
        x = np.asarray(ds.inline.x, dtype=np.float32)
        x = x.reshape(len(x), -1) if x.ndim == 1 else x
        if any(isinstance(v, str) for v in ds.inline.y):
            # Any text makes every label text, as in a CSV column (and np.unique cannot sort a mix of str and int).
            y_raw = np.asarray([v if isinstance(v, str) else str(plain_label(v)) for v in ds.inline.y], dtype=object)
        else:
            y_raw = np.asarray(ds.inline.y, dtype=np.float64)
        names, target_name, given_classes, source = [f"x{i}" for i in range(x.shape[1])], "y", None, "inline"

    task = infer_task(spec.loss)
    kind = target_kind(spec.loss)
    classes, ids = None, None
    if task == "classification":
        if given_classes is not None:  # scikit-learn's targets are already class ids, in its own class order
            ids, classes = y_raw.astype(np.int64), given_classes
        else:
            ids, classes = encode_labels(y_raw)
        check_classes(classes, kind, spec.loss, target_name)
        y = encode(ids, kind, len(classes))
    else:
        y = numeric_target(y_raw, target_name)
    if ds.flatten:
        x = x.reshape(len(x), -1)
    pre = Preprocess(source, task, kind, list(names), str(target_name), classes, Scaler(), list(x.shape[1:]), csv_info)
    # Pixels stay as read (uint8 for Keras's images: a quarter of float32's memory); prepare's scaler makes the
    # float32 arrays the model takes, so converting here would add a whole float32 copy (220 MB for MNIST).
    small_ints = x.dtype.kind in "ui" and x.dtype.itemsize <= 2  # values float32 holds exactly
    return Loaded(x if small_ints else x.astype(np.float32, copy=False), y, ids, pre, test, path, notes)


def _sklearn(name: str):
    """(x, y, feature names, target name, class labels or None) of an embedded scikit-learn dataset."""
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, f"load_{name}")()
    names = [str(n) for n in getattr(bunch, "feature_names", [])] or [f"x{i}" for i in range(bunch.data.shape[1])]
    target_names = getattr(bunch, "target_names", None)
    # Class names as labels (setosa, malignant; digits keep their numbers); the target itself stays the ids,
    # so a regression on them (mse on digits) sees numbers too.
    classes = [plain_label(t) for t in target_names] if target_names is not None and name != "diabetes" else None
    return bunch.data.astype(np.float32), bunch.target.astype(np.float64), names, "class" if classes else "target", classes


def prepare(loaded: Loaded, split: Split, scale: str | float) -> Arrays:
    """Fit the scaler on the split's training rows only, and cut the arrays."""
    scaler = Scaler.fit(scale, _take(loaded.x, split.train))
    pre = replace(loaded.preprocess, scaler=scaler)

    def part(rows):
        return (scaler.apply(_take(loaded.x, rows)), _take(loaded.y, rows)) if len(rows) else (None, None)

    x_train, y_train = part(split.train)
    x_val, y_val = part(split.validation)
    x_test, y_test = part(split.test)
    return Arrays(x_train, y_train, x_val, y_val, x_test, y_test, pre, split, list(loaded.notes))


def _take(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """a[rows] for sorted, distinct rows; a view when they are one block (a Keras dataset's training rows and
    its test rows are), where indexing would copy: 1 GB for IMDB's 25,000 multi-hot rows."""
    if rows[-1] - rows[0] + 1 == len(rows):
        return a[rows[0] : rows[-1] + 1]
    return a[rows]


def load_split(spec: Spec, announce: Callable[[str], None] | None = None) -> Arrays:
    """load + split_rows + prepare, as `nnrun train` does."""
    loaded = load(spec, announce)
    ds = spec.dataset
    split = split_rows(
        len(loaded.x), test=loaded.test, validation=ds.validation, seed=spec.seed, labels=loaded.class_ids,
        notes=loaded.notes,
    )
    check_test_split(loaded, split, ds.test)
    if loaded.class_ids is not None:
        ids, classes = loaded.class_ids, loaded.preprocess.classes
        check_scorable(Part(ids[split.validation], ids[split.train], "the validation rows", "validation"), classes,
                       key=("dataset", "validation"), got=_described(ds.validation, len(split.validation), "first"),
                       fix=_advice("validation", ds.validation), notes=loaded.notes)
    return prepare(loaded, split, ds.scale)


# The advice when a seeded, stratified fraction split leaves a class out of training: stratification was
# impossible (a note says so), as some class has too few rows.
RARE = "a class with this few rows cannot be both trained on and scored: add rows of it, drop them, or try another seed"


def _advice(key: str, value: int | float) -> str:
    """How to mend dataset.test or dataset.validation when it split off a class: file-order rows (an int) become a
    stratified fraction; a fraction that could not be stratified needs more rows of the small class."""
    if isinstance(value, float):
        return RARE
    return f"use {key}: 0.2, which is shuffled and stratified"


def _described(value: int | float | None, rows: int, end: str) -> str:
    """What a dataset.test or dataset.validation value took: '20 (the last 20 rows)'."""
    if isinstance(value, float):
        return f"{value} ({rows} rows drawn at random)"
    return f"{value} (the {end} {rows} rows)"


def check_test_split(loaded: Loaded, split: Split, test: int | float | None) -> None:
    """Refuse test rows that cannot be scored by a model fitted on `split.train` (a classification's test rows
    holding a class its training rows lack); note test rows of a single class. `test` is dataset.test (None
    for a Keras dataset's own test split)."""
    if loaded.class_ids is None:
        return
    ids = loaded.class_ids
    check_scorable(Part(ids[split.test], ids[split.train], "the test rows", "test"), loaded.preprocess.classes,
                   key=("dataset", "test"), got=_test_value(loaded, split, test),
                   fix=_advice("test", 0 if test is None else test), notes=loaded.notes)


def _test_value(loaded: Loaded, split: Split, test: int | float | None) -> str:
    if test is None:
        return f"no value, so {loaded.preprocess.source}'s own test split (its last {len(split.test):,} rows)"
    return _described(test, len(split.test), "last")


@dataclass
class Folds:
    """The k-fold plan: every row loaded, the test rows set aside, and each fold's (fit, held-out) rows."""

    loaded: Loaded
    split: Split  # train = every row the folds share out; validation is empty; test is untouched by the folds
    parts: list[tuple[np.ndarray, np.ndarray]]
    stratified: bool
    scale: str | float

    def fold(self, i: int) -> Arrays:
        """Fold i's arrays (0-based): fit on the other folds' rows, validate on its own; no test rows.
        The scaler is fitted on the fold's fit rows alone, so nothing of the held-out rows leaks in."""
        fit, held = self.parts[i]
        return prepare(self.loaded, Split(fit, held, self.split.test[:0]), self.scale)

    def refit(self) -> Arrays:
        """Every training row to fit on, and the test rows to score."""
        return prepare(self.loaded, self.split, self.scale)


def load_folds(spec: Spec, k: int, announce: Callable[[str], None] | None = None) -> Folds:
    """Load the data, set the test rows aside as `nnrun train` would, and cut the rest into k folds
    (stratified when kfold.stratify asks for it, or, on auto, for a classification)."""
    from nnrun.errors import DataError

    loaded = load(spec, announce)
    ds, kf = spec.dataset, spec.kfold
    if ds.validation:
        loaded.notes.append(f"dataset.validation: {ds.validation} is not used by nnrun kfold: each fold validates "
                            "on its own held-out rows")
    split = split_rows(len(loaded.x), test=loaded.test, validation=0.0, seed=spec.seed, labels=loaded.class_ids,
                       notes=loaded.notes)
    if kf.stratify is True and loaded.class_ids is None:
        loss = spec.loss["name"] if isinstance(spec.loss, dict) else spec.loss
        raise DataError(f"got true, but loss {loss} makes this a regression, which has no classes "
                        "to stratify; use stratify: auto or false", key=("kfold", "stratify"))
    labels = loaded.class_ids[split.train] if loaded.class_ids is not None and kf.stratify is not False else None
    problem = fold_problem(len(split.train), k, labels, loaded.preprocess.classes)
    if problem:
        raise DataError(problem, key=("kfold", "k"))
    parts = fold_rows(split.train, k=k, shuffle=kf.shuffle, seed=spec.seed, labels=labels)
    if kf.refit:
        check_test_split(loaded, split, ds.test)
    if loaded.class_ids is not None:
        ids, classes = loaded.class_ids, loaded.preprocess.classes
        if len(np.unique(ids[split.train])) == 1:  # the test rows took every other class
            key, got, fix = ("dataset", "test"), _test_value(loaded, split, ds.test), _advice("test", ds.test or 0)
        else:
            key, got, fix = _fold_advice(k, kf.shuffle, ids[split.train], classes)
        for i, (fit, held) in enumerate(parts, start=1):
            check_scorable(Part(ids[held], ids[fit], f"fold {i}'s held-out rows", f"fold {i} held out",
                                training="its training rows"),
                           classes, key=key, got=got, fix=fix, notes=loaded.notes)
    return Folds(loaded, split, parts, stratified=labels is not None, scale=ds.scale)


def _fold_advice(k: int, shuffle: bool, ids: np.ndarray, classes: list) -> tuple[tuple, str, str]:
    """(key, value, advice) for unstratified folds that cannot be scored (stratified ones keep every class in
    every fold): unshuffled folds cut a sorted file by class; shuffled ones can hold a small class out whole."""
    if not shuffle:
        return ("kfold", "shuffle"), "false", ("use kfold.shuffle: true, or kfold.stratify: auto to keep every class "
                                               "in every fold")
    found = np.bincount(ids)
    smallest = int(found[found > 0].min())
    if smallest >= k:
        return ("kfold", "stratify"), "false", "use kfold.stratify: auto to keep every class in every fold"
    if smallest >= 2:
        return ("kfold", "k"), str(k), f"use k <= {smallest} with kfold.stratify: auto to keep every class in every fold"
    problem = single_row_classes(k, ids, classes)
    return ("kfold", "k"), str(k), problem.split("; ", 1)[1]
