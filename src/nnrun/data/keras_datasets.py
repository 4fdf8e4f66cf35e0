"""Keras's built-in datasets (`source: keras:mnist`, ...), loaded through Keras's own loaders: they download an
archive once into $KERAS_HOME/datasets, check its hash, and read it. The rows come back as nnrun's other sources
give them: Keras's training rows, then its test rows, which stay the test split unless `dataset.test` says
otherwise. Imports Keras: the caller activates the backend first.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnrun.config.catalog import KerasDataset, keras_archive_mismatch, keras_cache, keras_files_present, mismatch_problem
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


def load_keras(dataset: KerasDataset, num_words: int | None, encode: str | None, maxlen: int | None,
               announce: Callable[[str], None]) -> KerasData:
    """Load `dataset` with Keras's loader (downloading it if needed, which `announce` hears about first); text
    datasets keep `num_words` words and become multi-hot rows or padded sequences (`encode`, `maxlen`). Raises
    DataError when the archive is missing and cannot be downloaded, or cannot be read, or is not byte for byte the
    published one (catalog.pinned_hash: Keras's pin, or nnrun's for fashion-mnist's files; it is then left in place)."""
    # Keras's loader would take a mismatching archive for a stale download, fetch it again and, offline, delete it.
    mismatch = keras_archive_mismatch(dataset)
    if mismatch is not None:
        raise DataError(mismatch_problem(dataset, mismatch), key=("dataset", "source"))
    import keras

    loader = getattr(keras.datasets, dataset.name)
    if not keras_files_present(dataset):
        announce(f"downloading keras:{dataset.name} ({dataset.size / 2**20:.1f} MB) from {dataset.url} into "
                 f"{keras_cache()}")
    try:  # Keras's own download messages would go to stdout, which is nnrun's (and a second error line)
        with contextlib.redirect_stdout(io.StringIO()):
            (x_train, y_train), (x_test, y_test) = loader.load_data(**({"num_words": num_words} if dataset.text else {}))
    except Exception as e:  # noqa: BLE001 - Keras raises a bare Exception for a failed download
        problem = _unavailable(dataset, e)
        if problem is e:
            raise
        raise problem from None
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
    words = np.concatenate([np.asarray(s, dtype=np.int64) for s in sequences]) if len(sequences) else lengths
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


def _unavailable(dataset: KerasDataset, error: Exception) -> Exception:
    """The one-line error for a Keras dataset that could not be had: missing and not downloadable, or unreadable.
    Any other failure is returned as it is, to surface as a bug rather than as advice to delete the archive."""
    cache = keras_cache()
    missing = [f for f in dataset.files if not (cache / f).is_file()]
    if missing:
        reason = str(error).strip().splitlines()[0].rsplit(" -- ", 1)[-1] if str(error).strip() else type(error).__name__
        return DataError(
            f"keras:{dataset.name} is not in {cache} (no {missing[0]}) and could not be downloaded from "
            f"{dataset.url_for(missing[0])} ({reason}); download it by hand and save it as {cache / missing[0]}, "
            "or set KERAS_HOME to a folder whose datasets/ holds it", key=("dataset", "source"),
        )
    if not isinstance(error, (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, pickle.UnpicklingError)):
        return error
    where = cache / dataset.files[0] if len(dataset.files) == 1 else cache / dataset.files[0].split("/")[0]
    # The exception's type, not its text: numpy's text for a damaged .npz suggests loading it with allow_pickle.
    return DataError(
        f"keras:{dataset.name}: cannot read {where} ({type(error).__name__}): it is damaged or not the archive Keras "
        "expects; delete it so that Keras downloads it again", key=("dataset", "source"),
    )
