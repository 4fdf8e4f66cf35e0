"""samples.png of an image classifier's run: a grid of scored images, each titled with the predicted class and,
when it is wrong, the true one in red (with a red border), beside confusion.png.

Which runs have images: samples of 2-D (height x width) or 3-D (height x width x 1, 3 or 4 channels) shape, Keras's
image datasets and scikit-learn's digits (flattened or not), and CSV rows whose feature columns are a square number
of at least 16 x 16 = 256 (784 pixel columns are a 28 x 28 image). Narrower tables are not guessed at: 64 or 100
features are more often measurements than pixels.

NumPy only; the drawing is plots.samples_figure.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from nnrun.data.preprocess import Preprocess

IMAGE_SOURCES = {
    "keras:mnist": (28, 28),
    "keras:fashion_mnist": (28, 28),
    "keras:cifar10": (32, 32, 3),
    "sklearn:digits": (8, 8),
}
CSV_SIDE = 16  # the smallest side of a square image a CSV's pixel columns are taken for
GRID = (4, 8)  # rows x columns of images
MISTAKES = 8  # at most this many of the grid's places go to misclassified images beyond the first ones


def image_shape(pre: Preprocess) -> tuple[int, ...] | None:
    """The (height, width) or (height, width, channels) a sample is drawn as, or None when the samples are not images.
    A trailing channel axis of 1 is dropped (drawn as grey levels)."""
    shape = tuple(int(n) for n in pre.input_shape)
    size = math.prod(shape) if shape else 0
    known = IMAGE_SOURCES.get(pre.source)
    if known is not None and math.prod(known) == size:
        shape = known
    elif len(shape) == 1 and pre.source == "csv":
        side = math.isqrt(size)
        shape = (side, side) if side >= CSV_SIDE and side * side == size else shape
    if len(shape) == 3 and shape[-1] == 1:
        shape = shape[:2]
    if len(shape) == 2 and min(shape) >= 2 or len(shape) == 3 and shape[-1] in (3, 4) and min(shape[:2]) >= 2:
        return shape
    return None


def choose(
    predicted: np.ndarray, truth: np.ndarray, places: int = GRID[0] * GRID[1], mistakes: int = MISTAKES
) -> np.ndarray:
    """Row indices to draw, in row order: the first rows, then up to `mistakes` misclassified rows after them
    (so a good model's grid still shows what it gets wrong), filled up with further rows when there are fewer."""
    n = len(truth)
    first = places - mistakes
    wrong = np.flatnonzero(predicted[first:] != truth[first:])[:mistakes] + first
    picks = np.union1d(np.arange(min(first, n)), wrong)
    rest = np.setdiff1d(np.arange(min(n, places + len(wrong))), picks)[: places - len(picks)]
    return np.union1d(picks, rest)[:places]


def write(
    path: Path, x: np.ndarray, predicted: np.ndarray, truth: np.ndarray, pre: Preprocess, split: str, name: str = ""
) -> bool:
    """Draw samples.png of the scaled model inputs `x` (the `split` rows), unscaled back to the values read, with
    their predicted and true class ids. False (and nothing written) when the samples are not images."""
    from nnrun.views.plots import samples_png

    shape = image_shape(pre)
    if shape is None:
        return False
    rows = choose(predicted, truth)
    images = pre.scaler.invert(np.asarray(x[rows])).reshape(len(rows), *shape)
    classes = [str(c) for c in pre.classes]
    wrong = int(np.count_nonzero(predicted != truth))
    shown = int(np.count_nonzero(predicted[rows] != truth[rows]))
    title = (
        f"{name + ': ' if name else ''}{len(rows)} of the {len(truth):,} {split} images, predicted class "
        f"above each; red: wrong (the true class below), {shown} of the {wrong:,} mistakes shown"
    )
    samples_png(
        images,
        [classes[i] for i in predicted[rows]],
        [classes[i] for i in truth[rows]],
        [int(r) + 1 for r in rows],
        path,
        title,
        columns=GRID[1],
    )
    return True
