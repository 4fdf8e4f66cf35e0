"""Splitting rows into training, validation and test sets (seeded, stratified for classification)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnrun.errors import DataError, keypath


@dataclass
class Split:
    """Row indices of each set; disjoint, together covering every row. Train rows keep file order."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def split_rows(
    n: int, *, test: int | float, validation: int | float, seed: int, labels: np.ndarray | None, notes: list[str]
) -> Split:
    """Split rows 0..n-1. `test`: int = the last N rows, float = a seeded fraction; `validation`: int = the
    first N of the rows that remain (in file order), float = a seeded fraction of them. `labels` (class ids)
    makes the random splits stratified."""
    rows = np.arange(n)
    if isinstance(test, int):
        if test >= n:
            raise DataError(f"got {test}, but the data has {n} rows; leave at least one row for training",
                            key=("dataset", "test"))
        rest, test_rows = rows[: n - test], rows[n - test :]
    elif test > 0:
        rest, test_rows = _fraction(rows, test, seed, labels, ("dataset", "test"), notes)
    else:
        rest, test_rows = rows, rows[:0]
    if isinstance(validation, int) and validation > 0:
        if validation >= len(rest):
            raise DataError(f"got {validation}, but there are only {len(rest)} training rows; leave at least one "
                            "to train on", key=("dataset", "validation"))
        ordered = np.sort(rest)
        fit_rows, val_rows = ordered[validation:], ordered[:validation]
    elif validation > 0:
        sub_labels = labels[rest] if labels is not None else None
        fit_rows, val_rows = _fraction(rest, validation, seed, sub_labels, ("dataset", "validation"), notes)
    else:
        fit_rows, val_rows = rest, rows[:0]
    return Split(np.sort(fit_rows), np.sort(val_rows), np.sort(test_rows))


def _fraction(rows: np.ndarray, fraction: float, seed: int, labels, key: str, notes: list[str]):
    """Hold out ceil(fraction * len(rows)) random rows (as scikit-learn counts them); return (kept, held out)."""
    n = len(rows)
    held = math.ceil(fraction * n)
    if held >= n:
        raise DataError(f"got {fraction}, which holds out {held} of {n} rows and leaves none to train on", key=key)
    stratify = None
    if labels is not None:
        counts = np.bincount(labels)
        counts = counts[counts > 0]
        if counts.min() >= 2 and held >= len(counts) and n - held >= len(counts):
            stratify = labels
        else:
            notes.append(
                f"{keypath(key)}: {held} of {n} rows cannot hold every class in proportion "
                f"(smallest class: {counts.min()} rows); split without stratification"
            )
    from sklearn.model_selection import train_test_split  # here: importing scikit-learn takes a second

    kept, out = train_test_split(rows, test_size=held, random_state=seed, shuffle=True, stratify=stratify)
    return kept, out


def fold_rows(
    rows: np.ndarray, *, k: int, shuffle: bool, seed: int, labels: np.ndarray | None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cut `rows` (the training rows) into k folds with scikit-learn's splitters: stratified by `labels`
    (class ids of those rows) when given, plain otherwise. Returns (fit rows, held-out rows) per fold,
    each sorted; the held-out parts are disjoint and together cover `rows`."""
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter_class = StratifiedKFold if labels is not None else KFold
    splitter = splitter_class(n_splits=k, shuffle=shuffle, random_state=seed if shuffle else None)
    parts = splitter.split(rows, labels) if labels is not None else splitter.split(rows)
    return [(np.sort(rows[fit]), np.sort(rows[held])) for fit, held in parts]


def fold_problem(n_rows: int, k: int, labels: np.ndarray | None) -> str | None:
    """Why k folds cannot be cut from `n_rows` training rows (stratified when `labels` is given), or None."""
    if k > n_rows:
        return f"got {k}, but there are only {n_rows} training rows; k can be at most {n_rows}"
    if labels is not None:
        counts = np.bincount(labels)
        smallest = int(counts[counts > 0].min())
        if k > smallest:
            return (f"got {k}, but the smallest class has only {smallest} training rows, and stratified folds "
                    f"need each class in every fold; use k <= {smallest}, or kfold.stratify: false")
    return None
