"""Every dataset nnrun knows by name and where each comes from: scikit-learn's embedded datasets, the registry of
public CSV files (downloaded into the data directory), and Keras's built-in datasets (downloaded into Keras's
cache). Plain data and the standard library only: `nnrun check` and `nnrun datasets` read it without importing
numpy or any machine-learning framework.
"""

from __future__ import annotations

import contextlib
import json
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
        EmbeddedDataset(
            "breast_cancer", 569, 30, "classification", 2, "UCI Wisconsin breast cancer: malignant or benign"
        ),
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
            size=23_278,
            task="classification",
            classes=2,
            rows=768,
            features=8,
        ),
        KnownFile(
            "thoracic-surgery.csv",
            f"{_GILBUT}/deeplearning/dataset/ThoraricSurgery.csv",
            "b51f69e60765c0b724c356fc3b9c5777b213c920b75ebb75b37b1f4b3702c379",
            "UCI Thoracic Surgery: death within a year of lung surgery (0/1)",
            size=21_257,
            task="classification",
            classes=2,
            rows=470,
            features=17,
        ),
        KnownFile(
            "boston-housing.csv",
            f"{_GILBUT}/deeplearning/dataset/housing.csv",
            "baadf72995725d76efe787b664e1f083388c79ba21ef9a7990d87f774184735a",
            "Boston housing, whitespace-separated: median home value (k$)",
            size=49_082,
            task="regression",
            rows=506,
            features=13,
        ),
        KnownFile(
            "nonlinear.csv",
            "https://raw.githubusercontent.com/dknife/ML/cbd91071181ee17a9f9953a1255102e28c6b721e/data/nonlinear.csv",
            "11379be6b92eb399ebf489e4f7ebd2ca96b85099a1f70713a36748916d0b4a7c",
            "A synthetic nonlinear curve x -> y",
            size=39_843,
            task="regression",
            rows=1000,
            features=1,
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
    for f in (
        "train-labels-idx1-ubyte.gz",
        "train-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
    )
)
KERAS: dict[str, KerasDataset] = {
    d.name: d
    for d in (
        KerasDataset(
            "mnist",
            ("mnist.npz",),
            f"{_TF_DATASETS}/mnist.npz",
            11_490_434,
            60_000,
            10_000,
            (28, 28),
            "classification",
            10,
            "handwritten digits 0-9, 28x28 grayscale images",
        ),
        KerasDataset(
            "fashion_mnist",
            _FASHION,
            f"{_TF_DATASETS}/train-labels-idx1-ubyte.gz",
            30_878_645,
            60_000,
            10_000,
            (28, 28),
            "classification",
            10,
            "Zalando clothing in 10 categories, 28x28 grayscale",
        ),
        KerasDataset(
            "cifar10",
            ("cifar-10-batches-py-target_archive",),
            "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
            170_498_071,
            50_000,
            10_000,
            (32, 32, 3),
            "classification",
            10,
            "32x32 colour photos of 10 object classes",
        ),
        KerasDataset(
            "imdb",
            ("imdb.npz",),
            f"{_TF_DATASETS}/imdb.npz",
            17_464_789,
            25_000,
            25_000,
            (),
            "classification",
            2,
            "movie reviews as word indices, labelled negative (0) or positive (1)",
        ),
        KerasDataset(
            "reuters",
            ("reuters.npz",),
            f"{_TF_DATASETS}/reuters.npz",
            2_110_848,
            8_982,
            2_246,
            (),
            "classification",
            46,
            "Reuters newswires as word indices, 46 topics",
        ),
        KerasDataset(
            "boston_housing",
            ("boston_housing.npz",),
            f"{_TF_DATASETS}/boston_housing.npz",
            57_026,
            404,
            102,
            (13,),
            "regression",
            None,
            "Boston suburbs in the 1970s: 13 features, median home value (k$)",
        ),
    )
}


# The hash each Keras loader pins for its archive (keras/src/datasets/<name>.py, `file_hash=` of its get_file call),
# by the archive's path under $KERAS_HOME/datasets. Keras checks a cached archive against it and, on a mismatch,
# downloads the file again and deletes it when that fails: nnrun checks first (keras_archive_mismatch), so that a
# user's file is never lost. Keras reads 64 hex digits as a sha256 and anything else as an md5, as here.
# fashion-mnist's files are absent: Keras pins no hash for them (and so never deletes them); PUBLISHED_HASHES has them.
# tests/test_keras_datasets.py asserts this table equals the installed Keras's pins.
KERAS_HASHES: dict[str, str] = {
    "mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    "cifar-10-batches-py-target_archive": "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    "imdb.npz": "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    "reuters.npz": "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
    "boston_housing.npz": "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
}


# nnrun's own pins, for the files Keras pins no hash for: Keras checks nothing, so a truncated or altered download
# would load as whatever its bytes decode to, or fail deep in the loader naming no file. These are the sha256s of
# the files Keras downloads (Zalando's published Fashion-MNIST files, byte for byte: the same md5s as Zalando's
# README gives). tests/test_keras_datasets.py asserts that every file of KERAS is pinned in one table or the other.
PUBLISHED_HASHES: dict[str, str] = {
    "fashion-mnist/train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "fashion-mnist/train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "fashion-mnist/t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "fashion-mnist/t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}


def pinned_hash(file: str) -> str | None:
    """The hash a file of Keras's cache must have: Keras's pin (KERAS_HASHES), else nnrun's (PUBLISHED_HASHES)."""
    return KERAS_HASHES.get(file) or PUBLISHED_HASHES.get(file)


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


@dataclass(frozen=True)
class Mismatch:
    """A file in Keras's cache whose bytes are not those of the archive Keras publishes."""

    path: Path
    algorithm: str  # sha256, or md5 where Keras pins an md5
    expected: str
    found: str


def keras_archive_mismatch(dataset: KerasDataset, rehash: bool = True) -> Mismatch | None:
    """The first file of `dataset` in Keras's cache whose hash differs from the one pinned for it (pinned_hash: Keras's
    pin, or nnrun's where Keras pins none), else None (missing files included).

    Hashing reads the whole file: about 15 ms for mnist.npz (11 MB), 0.2 s for cifar10's 170 MB. rehash=False
    (`nnrun datasets`) takes the digest recorded in Keras's cache (RECORDED_HASHES) while the file's size, mtime,
    ctime and inode are unchanged, and records those it computes. Loading rehashes, and writes nothing: a wrong
    verdict there would cost the user the file."""
    cache = keras_cache()
    recorded = {} if rehash else _recorded_hashes(cache)
    mismatch, changed = None, False
    for file in dataset.files:
        expected = pinned_hash(file)
        path = cache / file
        if expected is None or not path.is_file():
            continue
        algorithm = "sha256" if len(expected) == 64 else "md5"  # Keras's rule (file_utils.resolve_hasher)
        st = path.stat()
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, algorithm]
        entry = recorded.get(file)
        if isinstance(entry, list) and entry[:-1] == stamp:
            found = entry[-1]
        else:
            found = _digest(path, algorithm)
            recorded[file], changed = [*stamp, found], True
        if found != expected:
            mismatch = Mismatch(path, algorithm, expected, found)
            break
    if changed and not rehash:
        _record_hashes(cache, recorded)
    return mismatch


# In Keras's cache: {file: [size, mtime_ns, ctime_ns, inode, algorithm, digest]}, so that `nnrun datasets` hashes
# a 170 MB archive once, not on every listing. A user cannot set a file's ctime: a file changed in place or replaced
# gets a new one, whatever its mtime says.
RECORDED_HASHES = ".nnrun-hashes.json"


def _recorded_hashes(cache: Path) -> dict:
    try:
        recorded = json.loads((cache / RECORDED_HASHES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def _record_hashes(cache: Path, recorded: dict) -> None:
    """Best effort, atomically (two nnruns may list at once): without the record, the next listing hashes again."""
    try:
        fd, tmp = tempfile.mkstemp(dir=cache, prefix=f"{RECORDED_HASHES}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(recorded, f)
        os.replace(tmp, cache / RECORDED_HASHES)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def mismatch_problem(dataset: KerasDataset, mismatch: Mismatch) -> str:
    """What is wrong with a mismatching archive and what to do, in one line (an error's or a listing's)."""
    file = mismatch.path.relative_to(keras_cache()).as_posix()
    return (
        f"keras:{dataset.name}: {mismatch.path} is not the archive Keras publishes ({mismatch.algorithm} "
        f"{mismatch.found}, expected {mismatch.expected}): it is damaged or was changed; delete it so that nnrun "
        f"downloads it again from {dataset.url_for(file)}, or replace it with the original from that URL"
    )


def _digest(path: Path, algorithm: str) -> str:
    import hashlib  # here: only a listing or a load of a Keras dataset hashes

    hasher = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            hasher.update(chunk)
    return hasher.hexdigest()


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
    here: bool  # already on this machine, and usable
    location: str  # where it is (or will be) kept
    origin: str  # where it comes from: a URL, or scikit-learn's package
    description: str
    problem: str | None = None  # why a file that is here cannot be used (here is then False), with the fix


def entries() -> list[Entry]:
    """Every dataset nnrun knows: scikit-learn's, the registry's files, then Keras's."""
    out = []
    for d in SKLEARN.values():
        out.append(
            Entry(
                f"source: sklearn:{d.name}",
                "embedded",
                _task(d.task, d.classes),
                d.rows,
                None,
                _features(d.features),
                None,
                True,
                "scikit-learn's package",
                "scikit-learn",
                d.description,
            )
        )
    for f in REGISTRY.values():
        where = data_dir() / f.name
        out.append(
            Entry(
                f"path: {f.name}",
                "registry",
                _task(f.task, f.classes),
                f.rows,
                None,
                _features(f.features),
                f.size,
                where.is_file(),
                str(where.parent),
                f.url,
                f.description,
            )
        )
    for k in KERAS.values():
        sample = (
            "word indices" if k.text else "x".join(map(str, k.shape)) if len(k.shape) > 1 else _features(k.shape[0])
        )
        origin = k.url if len(k.files) == 1 else f"{k.url.rsplit('/', 1)[0]}/ ({len(k.files)} files)"
        mismatch = keras_archive_mismatch(k, rehash=False)
        out.append(
            Entry(
                f"source: keras:{k.name}",
                "keras",
                _task(k.task, k.classes),
                k.train_rows + k.test_rows,
                k.test_rows,
                sample,
                k.size,
                mismatch is None and keras_files_present(k),
                str(keras_cache()),
                origin,
                k.description,
                None if mismatch is None else mismatch_problem(k, mismatch),
            )
        )
    return out


def _task(task: str, classes: int | None) -> str:
    return f"{task} ({classes} classes)" if classes else task


def _features(n: int) -> str:
    return f"{n} feature{'' if n == 1 else 's'}"
