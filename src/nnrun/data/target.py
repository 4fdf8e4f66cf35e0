"""How the target is encoded for the loss: class labels to ids, one-hot or 0/1 rows, numeric targets (what the
loss asks for is nnrun.config.task's)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnrun.errors import DataError
from nnrun.config.task import Kind


def encode_labels(y: np.ndarray, classes: list | None = None) -> tuple[np.ndarray, list]:
    """Map labels to class ids 0..C-1; classes are sorted unless given. Returns (ids, classes)."""
    if classes is None:
        values = np.unique(y)
        classes = [plain_label(v) for v in values]
    lookup = {plain_label(c): i for i, c in enumerate(classes)}
    ids = np.fromiter((lookup[plain_label(v)] for v in y), dtype=np.int64, count=len(y))
    return ids, classes


def plain_label(value: Any) -> Any:
    """A JSON-friendly label: 1.0 -> 1, numpy scalars -> Python ones, strings unchanged."""
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def encode(ids: np.ndarray, kind: Kind, n_classes: int) -> np.ndarray:
    """Class ids as the loss wants them: float 0/1, int ids, one-hot rows, or float ids (raw)."""
    if kind == "sparse":
        return ids.astype(np.int32)
    if kind == "onehot":
        return np.eye(n_classes, dtype=np.float32)[ids]
    return ids.astype(np.float32).reshape(-1, 1)  # one column, like the model's output: every Keras metric takes it


def check_classes(classes: list, kind: Kind, loss: str | dict, target: str) -> None:
    """Raise DataError when the number of classes cannot work with the loss."""
    name = loss["name"] if isinstance(loss, dict) else loss
    shown = ", ".join(map(str, classes[:6])) + (", ..." if len(classes) > 6 else "")
    if len(classes) < 2:
        raise DataError(
            f"column {target!r} holds a single class ({shown}); a classifier needs at least two", key=("dataset", "target")
        )
    if kind == "binary" and len(classes) != 2:
        raise DataError(
            f"got {name}, which needs 2 classes, but target {target!r} has {len(classes)} ({shown}); use loss: "
            f"sparse_categorical_crossentropy with a last layer of units: {len(classes)}, activation: softmax",
            key=("loss",),
        )


def numeric_target(y: np.ndarray, target: str) -> np.ndarray:
    """The target as float32 values for regression; raise DataError when it holds text."""
    if y.dtype == object:
        sample = next(v for v in y if isinstance(v, str))
        raise DataError(
            f"column {target!r} holds text ({sample!r}), which a regression cannot fit; "
            "use a classification loss such as sparse_categorical_crossentropy", key=("dataset", "target"),
        )
    return y.astype(np.float32).reshape(-1, 1)  # one column, like the model's output
