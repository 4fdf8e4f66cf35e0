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

from nnrun.config.catalog import keras_source
from nnrun.data.preprocess import Preprocess, Scaler
from nnrun.data.split import (
    Part, Split, check_scorable, counts, fold_problem, fold_rows, single_row_classes, split_rows,
)
from nnrun.data.target import check_classes, encode, encode_labels, numeric_target, plain_label
from nnrun.errors import DataError
from nnrun.config.task import infer_task, target_kind

if TYPE_CHECKING:
    from nnrun.config.schema import Spec

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
            thousands=ds.thousands, separator_given="separator" in ds.model_fields_set,
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
    if loaded.class_ids is not None:
        ids, classes = loaded.class_ids, loaded.preprocess.classes

        def blame(part: str):
            return lambda: _split_blame(loaded, split, ds.test, ds.validation, spec.seed, part)

        check_scorable(Part(ids[split.test], ids[split.train], "the test rows", "test"), classes,
                       key=("dataset", "test"), got=_test_value(loaded, split, ds.test),
                       fix=_advice("test", 0 if ds.test is None else ds.test), notes=loaded.notes, blame=blame("test"))
        check_scorable(Part(ids[split.validation], ids[split.train], "the validation rows", "validation"), classes,
                       key=("dataset", "validation"), got=_described(ds.validation, len(split.validation), "first"),
                       fix=_advice("validation", ds.validation), notes=loaded.notes, blame=blame("validation"))
    return prepare(loaded, split, ds.scale)


def _split_blame(loaded: Loaded, split: Split, test: int | float | None, validation: int | float, seed: int,
                 part: str) -> tuple[tuple, str, str]:
    """(key, value, advice) of a train split whose `part` ("test" or "validation") cannot be scored. The key
    blamed is the one whose rows took the classes the training rows lack: the test rows, the validation rows,
    or, when both took some, the one cut in file order (an int), which is what a sorted file defeats. Its advice
    is a stratified fraction only when that split, with this seed, mends it."""
    ids = loaded.class_ids
    # The classes of the scored rows that training lacks; when it lacks none (training holds a single class),
    # every class it lacks.
    lost = np.setdiff1d(np.unique(ids[getattr(split, part)]), ids[split.train])
    lost = lost if len(lost) else np.setdiff1d(np.unique(ids), ids[split.train])
    took = {"test": np.isin(ids[split.test], lost).any(), "validation": np.isin(ids[split.validation], lost).any()}
    values = {"test": loaded.test if test is None else test, "validation": validation}
    ints = [k for k in ("validation", "test") if isinstance(values[k], int) and values[k] > 0]
    if took["test"] != took["validation"]:
        culprit = "test" if took["test"] else "validation"
    else:
        culprit = ints[0] if ints else part
    rows = getattr(split, culprit)
    got = _test_value(loaded, split, test) if culprit == "test" else _described(validation, len(rows), "first")
    if culprit != part:  # the other split's counts show where the missing classes went
        got = f"{got[:-1]}: {counts(ids[rows], loaded.preprocess.classes)})"
    if culprit not in ints:
        return ("dataset", culprit), got, RARE
    for change in ([culprit], ints):
        if _mended(loaded, {**values, **dict.fromkeys(change, 0.2)}, seed):
            return ("dataset", culprit), got, ("use " + " and ".join(f"{k}: 0.2" for k in ("test", "validation") if k in change)
                                               + (", which is" if len(change) == 1 else ", which are")
                                               + " shuffled and stratified")
    sizes = np.bincount(ids)
    small = int(lost[np.argmin(sizes[lost])])
    return ("dataset", culprit), got, (f"class {loaded.preprocess.classes[small]} has only {_rows(sizes[small])}, "
                                       "too few to be both trained on and scored: add rows of it, or drop them")


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _mended(loaded: Loaded, values: dict, seed: int) -> bool:
    """Whether splitting with these test and validation values stratifies both and leaves the training rows
    every class the other splits hold, and more than one."""
    notes: list[str] = []
    try:
        split = split_rows(len(loaded.x), test=values["test"], validation=values["validation"], seed=seed,
                           labels=loaded.class_ids, notes=notes)
    except DataError:  # an int validation that the smaller rest cannot hold
        return False
    ids = loaded.class_ids
    have = set(np.unique(ids[split.train]).tolist())
    scored = set(np.unique(ids[split.test]).tolist()) | set(np.unique(ids[split.validation]).tolist())
    return not notes and len(have) > 1 and scored <= have


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
    if problem and labels is not None and isinstance(loaded.test, int) and loaded.test > 0:
        # A class too small for the folds because the last-rows test took most of it: the test is to blame.
        ids, classes = loaded.class_ids, loaded.preprocess.classes
        left = np.bincount(labels, minlength=len(classes))
        small = int(np.argmin(np.where(left > 0, left, len(ids) + 1)))
        if (ids[split.test] == small).any() and _folds_mended(loaded, spec, k):
            raise DataError(f"got {_test_value(loaded, split, ds.test)}, which takes {_rows(int((ids == small).sum() - left[small]))} "
                            f"of class {classes[small]} and leaves it {_rows(int(left[small]))} to cut into {k} "
                            "stratified folds; use test: 0.2, which is shuffled and stratified", key=("dataset", "test"))
    if problem:
        raise DataError(problem, key=("kfold", "k"))
    parts = fold_rows(split.train, k=k, shuffle=kf.shuffle, seed=spec.seed, labels=labels)
    if kf.refit:
        check_test_split(loaded, split, ds.test)
    if loaded.class_ids is not None:
        ids, classes = loaded.class_ids, loaded.preprocess.classes
        for i, (fit, held) in enumerate(parts, start=1):
            check_scorable(Part(ids[held], ids[fit], f"fold {i}'s held-out rows", f"fold {i} held out",
                                training="its training rows"),
                           classes, key=("kfold", "k"), got=str(k), fix="", notes=loaded.notes,
                           blame=lambda fit=fit: _fold_blame(loaded, split, fit, ds.test, spec, k))
    return Folds(loaded, split, parts, stratified=labels is not None, scale=ds.scale)


def _fold_blame(loaded: Loaded, split: Split, fit: np.ndarray, test: int | float | None, spec: Spec,
                k: int) -> tuple[tuple, str, str]:
    """(key, value, advice) for a fold that cannot be scored, its training rows being `fit`. The test rows are
    blamed when they took rows of the classes those lack and either left the folds a single class or, cut in
    file order, a stratified fraction would mend it; else the fold settings are."""
    ids, kf = loaded.class_ids, spec.kfold
    lost = np.setdiff1d(np.unique(ids), ids[fit])
    value = loaded.test if test is None else test
    if np.isin(ids[split.test], lost).any():
        got = _test_value(loaded, split, test)
        if isinstance(value, int) and value > 0 and _folds_mended(loaded, spec, k):
            return ("dataset", "test"), got, "use test: 0.2, which is shuffled and stratified"
        if len(np.unique(ids[split.train])) == 1:  # the test rows took every other class
            return ("dataset", "test"), got, _advice("test", value)
    return _fold_advice(k, kf.shuffle, ids[split.train], loaded.preprocess.classes)


def _folds_mended(loaded: Loaded, spec: Spec, k: int) -> bool:
    """Whether a stratified test fraction of 0.2 leaves rows that these k-fold settings cut into folds whose
    training rows hold every class their held-out rows hold."""
    notes: list[str] = []
    split = split_rows(len(loaded.x), test=0.2, validation=0.0, seed=spec.seed, labels=loaded.class_ids, notes=notes)
    ids = loaded.class_ids
    labels = ids[split.train] if spec.kfold.stratify is not False else None
    if notes or fold_problem(len(split.train), k, labels, loaded.preprocess.classes):
        return False
    parts = fold_rows(split.train, k=k, shuffle=spec.kfold.shuffle, seed=spec.seed, labels=labels)
    return all(set(np.unique(ids[held]).tolist()) <= set(np.unique(ids[fit]).tolist())
               and len(np.unique(ids[fit])) > 1 for fit, held in parts)


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
