"""Splitting rows into training, validation and test sets (seeded, stratified for classification)."""

from __future__ import annotations

import math
from collections.abc import Callable
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


def fold_problem(n_rows: int, k: int, labels: np.ndarray | None, classes: list | None = None) -> str | None:
    """Why k folds cannot be cut from `n_rows` training rows (stratified when `labels` is given), or None."""
    if k > n_rows:
        return f"got {k}, but there are only {n_rows} training rows; k can be at most {n_rows}"
    if labels is not None:
        counts = np.bincount(labels)
        smallest = int(counts[counts > 0].min())
        if smallest < 2:
            return single_row_classes(k, labels, classes)
        if k > smallest:
            return (f"got {k}, but the smallest class has only {smallest} training rows, and stratified folds "
                    f"need each class in every fold; use k <= {smallest}, or kfold.stratify: false")
    return None


@dataclass
class Part:
    """One split to score, as `check_scorable` names it in messages: `rows` are the class ids of the rows scored,
    `trained` those of the rows the model that scores them is fitted on."""

    rows: np.ndarray
    trained: np.ndarray
    name: str  # "the test rows", "fold 2's held-out rows"
    label: str  # in the counts: "test", "fold 2 held out"
    training: str = "the training rows"


def counts(ids: np.ndarray, classes: list, limit: int = 8) -> str:
    """'setosa 20, versicolor 20': each class that the class ids `ids` hold, in class order, with its count; past
    `limit` classes, how many more there are."""
    found = np.bincount(ids, minlength=len(classes))
    shown = [f"{classes[i]} {found[i]}" for i in np.flatnonzero(found)]
    more = len(shown) - limit
    return ", ".join(shown[:limit]) + (f", and {more} more classes" if more > 0 else "") if shown else "none"


def check_scorable(part: Part, classes: list, *, key: tuple, got: str, fix: str, notes: list[str],
                   blame: Callable[[], tuple[tuple, str, str]] | None = None) -> None:
    """Refuse a split that cannot be scored: rows of a class the training rows lack (a score of a class never
    trained on), or training rows of a single class. A split whose rows hold a single class that training has
    is merely lopsided: a note. `got` says what the value at `key` is (`20 (the last 20 rows)`); `fix` is the
    advice that ends the message (`use test: 0.2, which ...`). `blame`, called only to refuse, gives another
    (key, got, fix) when the rows of another key caused the problem. Raises DataError at `key`."""
    if not len(part.rows):
        return
    have = set(np.unique(part.trained).tolist())
    held = np.unique(part.rows).tolist()
    missing = [classes[i] for i in held if i not in have]
    figures = f"{part.label}: {counts(part.rows, classes)}; training: {counts(part.trained, classes)}"
    if (missing or len(have) == 1) and blame is not None:
        key, got, fix = blame()
    if missing:
        which = ", ".join(map(str, missing[:8])) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        raise DataError(f"got {got}: {part.name} hold {'class' if len(missing) == 1 else 'classes'} {which}, which "
                        f"{part.training} lack ({figures}), so the model would be scored on a class it never saw; "
                        f"{fix}", key=key)
    if len(have) == 1:
        raise DataError(f"got {got}: {part.training} hold a single class ({figures}), so the model learns to "
                        f"answer it whatever the features; {fix}", key=key)
    if len(held) == 1 and len(part.rows) >= len(have):
        notes.append(f"{keypath(key)}: {got}: {part.name} hold a single class ({figures}), so their score says nothing "
                     f"about the others; {fix}")


def single_row_classes(k: int, labels: np.ndarray, classes: list | None) -> str:
    """The kfold.k problem of classes with one training row: the fold that holds such a row out has none of its
    class to train on, stratified or not."""
    found = np.bincount(labels)
    ones = [str(classes[i]) if classes else str(i) for i in np.flatnonzero(found == 1)]
    which = ", ".join(ones[:8]) + (f" and {len(ones) - 8} more" if len(ones) > 8 else "")
    return (f"got {k}, but {'class' if len(ones) == 1 else 'classes'} {which} {'has' if len(ones) == 1 else 'have'} "
            "a single training row, which the fold that holds it out cannot train on; every class needs at least "
            "2 rows: drop those rows or add more")
