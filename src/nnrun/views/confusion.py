"""The confusion matrix of a classification run: predicted class ids from the model's outputs, the matrix
(scikit-learn's confusion_matrix), confusion.csv and confusion.png, and reading confusion.csv back for show.

NumPy and scikit-learn (matplotlib for the pictures); the model is only asked for `predict`, so this module imports no ML framework.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from nnrun.runs.folder import atomic_write
from nnrun.views.plots import confusion_png, recall_text  # noqa: F401 - recall_text: show.py reads it here

CORNER = "true \\ predicted"  # confusion.csv's first header cell, followed by " (<split> rows)"


def predicted_ids(outputs: np.ndarray, target_kind: str, logits: bool = False) -> np.ndarray:
    """Class ids from model outputs of shape (rows, units): a single sigmoid unit is class 1 above 0.5
    (above 0 when the loss takes logits); several units, the largest."""
    out = np.asarray(outputs, dtype=np.float64).reshape(len(outputs), -1)
    if target_kind == "binary" or out.shape[1] == 1:
        return (out[:, 0] > (0.0 if logits else 0.5)).astype(np.int64)
    return out.argmax(axis=1)


def true_ids(y: np.ndarray) -> np.ndarray:
    """Class ids from targets: one-hot rows (rows, classes) by their largest entry, else the ids themselves."""
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y)).astype(np.int64)


def matrix(truth: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) counts: row = true class id, column = predicted class id (scikit-learn's
    confusion_matrix; a pair with an id outside 0..n_classes-1 is not counted)."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(truth, predicted, labels=list(range(n_classes)))


def csv_text(counts: np.ndarray, classes: list, split: str) -> str:
    """confusion.csv: a header naming the rows it counts ("true \\ predicted (test rows)") and the predicted
    classes; then one line per true class: its name and its counts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f"{CORNER} ({split} rows)", *classes])
    for name, row in zip(classes, counts):
        writer.writerow([name, *(int(v) for v in row)])
    return buffer.getvalue()


def read_csv(path: Path) -> dict[str, Any]:
    """confusion.csv back: {"split", "classes", "counts" (list of rows)}. ValueError when it is not one."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    if not rows or not rows[0] or not rows[0][0].startswith(CORNER):
        raise ValueError("not a confusion matrix written by nnrun")
    split = rows[0][0].removeprefix(CORNER).strip(" ()").removesuffix(" rows")
    classes = rows[0][1:]
    counts = [[int(v) for v in row[1:]] for row in rows[1:]]
    if len(counts) != len(classes) or any(len(r) != len(classes) for r in counts):
        raise ValueError("its rows and columns do not match")
    return {"split": split, "classes": classes, "counts": counts}


def recalls(counts) -> list[float | None]:
    """Each true class's recall: its diagonal count over its row's total (None for a class with no rows)."""
    counts = np.asarray(counts)
    totals = counts.sum(axis=1)
    return [float(counts[i, i] / t) if t else None for i, t in enumerate(totals)]


def write(
    folder: Path,
    model,
    x: np.ndarray,
    y: np.ndarray,
    classes: list,
    target_kind: str,
    split: str,
    *,
    logits: bool = False,
    batch_size: int = 1024,
    name: str = "",
    preprocess=None,
    pictures: bool = True,
) -> dict[str, Any]:
    """Predict `x` with `model`, write confusion.csv and confusion.png into `folder`, and samples.png when
    `preprocess` (the run's Preprocess) says the samples are images (without `pictures`, confusion.csv alone);
    return what metrics.json keeps: {"split", "rows", "accuracy"}."""
    outputs = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    truth = true_ids(y)
    predicted = predicted_ids(outputs, target_kind, logits)
    counts = matrix(truth, predicted, len(classes))
    if preprocess is not None and pictures:
        from nnrun.views import samples

        samples.write(folder / "samples.png", x, predicted, truth, preprocess, split, name)
    atomic_write(folder / "confusion.csv", csv_text(counts, classes, split))
    accuracy = float(np.trace(counts) / max(1, counts.sum()))
    title = f"{name + ': ' if name else ''}confusion matrix of the {len(truth)} {split} rows\naccuracy {accuracy:.4f}"
    if pictures:
        confusion_png(counts, classes, folder / "confusion.png", title)
    return {"split": split, "rows": int(len(truth)), "accuracy": accuracy}
