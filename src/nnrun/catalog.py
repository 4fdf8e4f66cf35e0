"""Every dataset nnrun knows by name and where each comes from: scikit-learn's embedded datasets, the registry of
public CSV files (downloaded into the data directory), and Keras's built-in datasets (downloaded into Keras's
cache). Plain data and the standard library only: `nnrun check` and `nnrun datasets` read it without importing
numpy or any machine-learning framework.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EmbeddedDataset:
    """A dataset that ships inside scikit-learn's package: always on the machine."""

    name: str
    rows: int
    features: int
    task: str
    classes: int | None
    description: str


SKLEARN: dict[str, EmbeddedDataset] = {
    d.name: d
    for d in (
        EmbeddedDataset("iris", 150, 4, "classification", 3, "Fisher's iris flowers: petal and sepal sizes, 3 species"),
        EmbeddedDataset("wine", 178, 13, "classification", 3, "UCI wine: chemical analysis of 3 cultivars"),
        EmbeddedDataset("breast_cancer", 569, 30, "classification", 2, "UCI Wisconsin breast cancer: malignant or benign"),
        EmbeddedDataset("digits", 1797, 64, "classification", 10, "8x8 images of handwritten digits"),
        EmbeddedDataset("diabetes", 442, 10, "regression", None, "diabetes progression after one year"),
    )
}


@dataclass(frozen=True)
class KnownFile:
    """A public dataset file: where to fetch it and the sha256 it must have."""

    name: str
    url: str
    sha256: str
    description: str
    size: int = 0  # bytes
    task: str = ""
    classes: int | None = None
    rows: int = 0
    features: int = 0


_GILBUT = "https://raw.githubusercontent.com/gilbutITbook/080228/81c204745bbc7b1d9e5d7e0798b4983010b67aa1"
REGISTRY: dict[str, KnownFile] = {
    f.name: f
    for f in (
        KnownFile(
            "pima-indians-diabetes.csv",
            "https://raw.githubusercontent.com/jbrownlee/Datasets/357ed4a2b0d25702e92bdefe48ab8e397991cdc5/"
            "pima-indians-diabetes.data.csv",
            "6bfe5d0f379d17a0e0819b996407e3c09bf80febd4287f2ed212190dfff154af",
            "UCI Pima Indians Diabetes: diabetes within 5 years (0/1)",
            size=23_278, task="classification", classes=2, rows=768, features=8,
        ),
        KnownFile(
            "thoracic-surgery.csv",
            f"{_GILBUT}/deeplearning/dataset/ThoraricSurgery.csv",
            "b51f69e60765c0b724c356fc3b9c5777b213c920b75ebb75b37b1f4b3702c379",
            "UCI Thoracic Surgery: death within a year of lung surgery (0/1)",
            size=21_257, task="classification", classes=2, rows=470, features=17,
        ),
        KnownFile(
            "boston-housing.csv",
            f"{_GILBUT}/deeplearning/dataset/housing.csv",
            "baadf72995725d76efe787b664e1f083388c79ba21ef9a7990d87f774184735a",
            "Boston housing, whitespace-separated: median home value (k$)",
            size=49_082, task="regression", rows=506, features=13,
        ),
        KnownFile(
            "nonlinear.csv",
            "https://raw.githubusercontent.com/dknife/ML/cbd91071181ee17a9f9953a1255102e28c6b721e/data/nonlinear.csv",
            "11379be6b92eb399ebf489e4f7ebd2ca96b85099a1f70713a36748916d0b4a7c",
            "A synthetic nonlinear curve x -> y",
            size=39_843, task="regression", rows=1000, features=1,
        ),
    )
}


@dataclass(frozen=True)
class KerasDataset:
    """One of Keras's built-in datasets, as its `keras.datasets.<name>.load_data()` returns it."""

    name: str
    files: tuple[str, ...]  # what the loader keeps in $KERAS_HOME/datasets once downloaded
    url: str  # where the (first) file is downloaded from
    size: int  # bytes downloaded
    train_rows: int
    test_rows: int  # Keras's own test split: the last rows of the dataset nnrun loads
    shape: tuple[int, ...]  # one sample as loaded; () for the word-index sequences of a text dataset
    task: str
    classes: int | None
    description: str

    def url_for(self, file: str) -> str:
        """Where one of `files` is downloaded from."""
        return self.url if len(self.files) == 1 else f"{self.url.rsplit('/', 1)[0]}/{file.rsplit('/', 1)[-1]}"

    @property
    def text(self) -> bool:
        """True for the word-index datasets (imdb, reuters), which num_words / encode / maxlen apply to."""
        return self.shape == ()


_TF_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets"
_FASHION = tuple(
    f"fashion-mnist/{f}"
    for f in ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
              "t10k-images-idx3-ubyte.gz")
)
KERAS: dict[str, KerasDataset] = {
    d.name: d
    for d in (
        KerasDataset("mnist", ("mnist.npz",), f"{_TF_DATASETS}/mnist.npz", 11_490_434, 60_000, 10_000, (28, 28),
                     "classification", 10, "handwritten digits 0-9, 28x28 grayscale images"),
        KerasDataset("fashion_mnist", _FASHION, f"{_TF_DATASETS}/train-labels-idx1-ubyte.gz", 30_878_645, 60_000,
                     10_000, (28, 28), "classification", 10, "Zalando clothing in 10 categories, 28x28 grayscale"),
        KerasDataset("cifar10", ("cifar-10-batches-py-target_archive",),
                     "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", 170_498_071, 50_000, 10_000,
                     (32, 32, 3), "classification", 10, "32x32 colour photos of 10 object classes"),
        KerasDataset("imdb", ("imdb.npz",), f"{_TF_DATASETS}/imdb.npz", 17_464_789, 25_000, 25_000, (),
                     "classification", 2, "movie reviews as word indices, labelled negative (0) or positive (1)"),
        KerasDataset("reuters", ("reuters.npz",), f"{_TF_DATASETS}/reuters.npz", 2_110_848, 8_982, 2_246, (),
                     "classification", 46, "Reuters newswires as word indices, 46 topics"),
        KerasDataset("boston_housing", ("boston_housing.npz",), f"{_TF_DATASETS}/boston_housing.npz", 57_026, 404,
                     102, (13,), "regression", None, "Boston suburbs in the 1970s: 13 features, median home value (k$)"),
    )
}


def data_dir() -> Path:
    """The data directory, where CSV paths are looked up and registry files downloaded: $NNRUN_DATA_DIR, else ./data."""
    return Path(os.environ.get("NNRUN_DATA_DIR") or "data").expanduser()


def keras_cache() -> Path:
    """The folder Keras's loaders download into: $KERAS_HOME/datasets, else ~/.keras/datasets (falling back to
    /tmp/.keras/datasets when that is not writable, as Keras itself does)."""
    home = os.environ.get("KERAS_HOME")
    if not home:
        user = os.path.expanduser("~")
        home = os.path.join(user if os.access(user, os.W_OK) else "/tmp", ".keras")
    home = os.path.expanduser(home)
    if os.path.isdir(home) and not os.access(home, os.W_OK):
        home = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return Path(home) / "datasets"


def keras_files_present(dataset: KerasDataset) -> bool:
    """True when every file of `dataset` is already in Keras's cache (no download needed)."""
    cache = keras_cache()
    return all((cache / f).is_file() for f in dataset.files)


def keras_source(source: str | None) -> KerasDataset | None:
    """The Keras dataset a `dataset.source` value names (`keras:mnist`), else None."""
    if source and source.startswith("keras:"):
        return KERAS.get(source.partition(":")[2])
    return None


def sources() -> list[str]:
    """Every valid `dataset.source` value."""
    return [f"sklearn:{n}" for n in SKLEARN] + [f"keras:{n}" for n in KERAS]


@dataclass(frozen=True)
class Entry:
    """One line of `nnrun datasets`."""

    config: str  # what to write under `dataset:`
    kind: str  # embedded | registry | keras
    task: str
    rows: int
    test_rows: int | None  # Keras's own test split, counted in rows
    sample: str  # one sample's shape, or its feature count
    size: int | None  # bytes to download; None when nothing is downloaded
    here: bool  # already on this machine
    location: str  # where it is (or will be) kept
    origin: str  # where it comes from: a URL, or scikit-learn's package
    description: str


def entries() -> list[Entry]:
    """Every dataset nnrun knows: scikit-learn's, the registry's files, then Keras's."""
    out = []
    for d in SKLEARN.values():
        out.append(Entry(f"source: sklearn:{d.name}", "embedded", _task(d.task, d.classes), d.rows, None, _features(d.features),
                         None, True, "scikit-learn's package", "scikit-learn", d.description))
    for f in REGISTRY.values():
        where = data_dir() / f.name
        out.append(Entry(f"path: {f.name}", "registry", _task(f.task, f.classes), f.rows, None, _features(f.features), f.size,
                         where.is_file(), str(where.parent), f.url, f.description))
    for k in KERAS.values():
        sample = "word indices" if k.text else "x".join(map(str, k.shape)) if len(k.shape) > 1 else _features(k.shape[0])
        origin = k.url if len(k.files) == 1 else f"{k.url.rsplit('/', 1)[0]}/ ({len(k.files)} files)"
        out.append(Entry(f"source: keras:{k.name}", "keras", _task(k.task, k.classes), k.train_rows + k.test_rows, k.test_rows, sample,
                         k.size, keras_files_present(k), str(keras_cache()), origin, k.description))
    return out


def _task(task: str, classes: int | None) -> str:
    return f"{task} ({classes} classes)" if classes else task


def _features(n: int) -> str:
    return f"{n} feature{'' if n == 1 else 's'}"
