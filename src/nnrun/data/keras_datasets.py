"""Keras's built-in datasets (`source: keras:mnist`, ...), loaded through Keras's own loaders: they download an
archive once into $KERAS_HOME/datasets, check its hash, and read it. The rows come back as nnrun's other sources
give them: Keras's training rows, then its test rows, which stay the test split unless `dataset.test` says
otherwise. Imports Keras: the caller activates the backend first.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from nnrun.catalog import KerasDataset, keras_cache
from nnrun.errors import DataError

FASHION_LABELS = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                  "Ankle boot")
CIFAR10_LABELS = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
BOSTON_FEATURES = ("CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX", "PTRATIO", "B", "LSTAT")


@dataclass
class KerasData:
    """Every row of a Keras dataset (training rows first), before the target is encoded for the loss."""

    x: np.ndarray
    y: np.ndarray  # class ids (classification) or values (boston_housing)
    feature_names: list[str]
    target_name: str
    classes: list | None  # labels in class-id order
    test_rows: int  # how many of the last rows are Keras's own test split


def load_keras(dataset: KerasDataset, num_words: int | None, encode: str | None, maxlen: int | None) -> KerasData:
    """Load `dataset` with Keras's loader (downloading it if needed); text datasets keep `num_words` words and
    become multi-hot rows or padded sequences (`encode`, `maxlen`). Raises DataError when the archive is
    missing and cannot be downloaded, or cannot be read."""
    import keras

    loader = getattr(keras.datasets, dataset.name)
    try:
        (x_train, y_train), (x_test, y_test) = loader.load_data(**({"num_words": num_words} if dataset.text else {}))
    except Exception as e:  # noqa: BLE001 - Keras raises a bare Exception for a failed download
        raise _unavailable(dataset, e) from None
    y = np.concatenate([np.asarray(y_train).reshape(-1), np.asarray(y_test).reshape(-1)])
    if dataset.text:
        sequences = [*x_train, *x_test]
        x = multi_hot(sequences, num_words) if encode == "multi_hot" else padded(sequences, maxlen)
        names = []
    else:
        x = np.concatenate([x_train, x_test])
        names = list(BOSTON_FEATURES) if dataset.name == "boston_housing" else \
            [f"pixel_{i}" for i in range(int(np.prod(x.shape[1:])))]
    return KerasData(x, y, names, *_target(dataset), len(x_test))


def multi_hot(sequences, dimension: int) -> np.ndarray:
    """One row per sequence with 1.0 at each word index it holds: the seeds' vectorize_sequences."""
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    words = np.fromiter(itertools.chain.from_iterable(sequences), dtype=np.int64, count=int(lengths.sum()))
    out = np.zeros((len(sequences), dimension), dtype=np.float32)
    out[np.repeat(np.arange(len(sequences)), lengths), words] = 1.0
    return out


def padded(sequences, maxlen: int | None) -> np.ndarray:
    """The sequences as one integer matrix, zero-padded (and cut) at the start to `maxlen` or the longest."""
    import keras

    return keras.utils.pad_sequences(sequences, maxlen=maxlen).astype(np.float32)


def _target(dataset: KerasDataset) -> tuple[str, list | None]:
    """The target's name and class labels (in id order) of `dataset`."""
    if dataset.name == "boston_housing":
        return "MEDV", None
    if dataset.name == "imdb":
        return "sentiment", ["negative", "positive"]
    if dataset.name == "reuters":
        import keras

        return "topic", list(keras.datasets.reuters.get_label_names())
    labels = {"fashion_mnist": FASHION_LABELS, "cifar10": CIFAR10_LABELS}.get(dataset.name, range(10))
    return "label", list(labels)


def _unavailable(dataset: KerasDataset, error: Exception) -> DataError:
    """The one-line error for a Keras dataset that could not be had: missing and not downloadable, or unreadable."""
    cache = keras_cache()
    missing = [f for f in dataset.files if not (cache / f).is_file()]
    reason = str(error).strip().splitlines()[0].rsplit(" -- ", 1)[-1] if str(error).strip() else type(error).__name__
    if missing:
        url = dataset.url_for(missing[0])
        return DataError(
            f"keras:{dataset.name} is not in {cache} (no {missing[0]}) and could not be downloaded from {url} "
            f"({reason}); download it into that folder by hand, or set KERAS_HOME to a folder whose datasets/ holds it",
            key=("dataset", "source"),
        )
    return DataError(
        f"keras:{dataset.name}: cannot read {cache / dataset.files[0]} ({reason}); delete it so that Keras downloads "
        "it again", key=("dataset", "source"),
    )
