"""Small stand-in archives for Keras's built-in datasets, written in exactly the on-disk format that
`keras.datasets.<name>.load_data()` reads from `$KERAS_HOME/datasets`, so tests can use Keras's own loaders
offline. Everything is tiny and deterministic from `seed`; images carry a class-dependent bright block and
texts a label-dependent vocabulary, so a tiny model can beat chance.

Each writer takes `datasets`, the `$KERAS_HOME/datasets` folder (created if missing), and returns the arrays
it wrote. Keras checks each file it pins a hash for against the real download's, and nnrun checks those and
fashion-mnist's (which Keras pins none for) before it (catalog.KERAS_HASHES, catalog.PUBLISHED_HASHES): a test
stubs Keras's check (`keras.src.utils.file_utils.validate_file`) and pins the stand-ins in nnrun's tables
(StandInHashes), as conftest's `keras_offline` fixture does.

Format notes (Keras 3 loaders, keras/src/datasets/*.py):
- npz files are zip archives of `<key>.npy` members; mnist and boston_housing are read with
  `allow_pickle=False`, imdb and reuters (ragged object arrays) with a restricted unpickler that only admits
  numpy's ndarray/dtype/_reconstruct: the sequences must be plain lists of Python ints (a numpy scalar
  inside a list is refused) and pickle protocol 3 or 4 (what `np.lib.format.write_array` uses). Keras then
  shuffles with RandomState(113), prepends start_char=1, adds index_from=3, and with num_words=None keeps
  words below the largest index seen, so that largest word itself comes back as oov_char=2.
- cifar10: Keras fetches `cifar-10-batches-py-target_archive` (a tar.gz), extracts it again on every load
  into `cifar-10-batches-py-target/`, and reads `cifar-10-batches-py/data_batch_1..5` and `test_batch`:
  pickled dicts with bytes keys, protocol 3 or 4 (protocol 2 pickles bytes via `_codecs.encode`, protocol 5
  pickles arrays via `_frombuffer`; Keras refuses both). Its loader hard-codes 10,000 rows per training
  batch, so each data batch holds `n_per_batch` distinct images repeated cyclically to 10,000 rows
  (and Keras always returns 50,000 training rows); the test batch may hold any number of rows.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import pickle
import tarfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

CIFAR10_BATCH_ROWS = 10_000  # rows per data_batch_<i>; keras.datasets.cifar10.load_data cannot read others
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_ARCHIVE = "cifar-10-batches-py-target_archive"  # get_file(fname="cifar-10-batches-py-target", extract=True)
CIFAR10_LABEL_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FASHION_MNIST_FOLDER = "fashion-mnist"
REUTERS_TOPICS = 46
_PICKLE_PROTOCOL = 4  # Keras's RestrictedUnpickler reads 3 and 4 only (see the module docstring)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same seed gives the same bytes


# Every stand-in written for a file nnrun pins a hash for: its absolute path -> the sha256 of the bytes written.
WRITTEN: dict[Path, str] = {}


def _pinned(path: Path) -> None:
    WRITTEN[Path(path).resolve()] = hashlib.sha256(Path(path).read_bytes()).hexdigest()


class StandInHashes(Mapping):
    """catalog.KERAS_HASHES (or PUBLISHED_HASHES) as tests install it: a file that a writer here wrote under
    `datasets` is pinned to the bytes written, so nnrun's check passes the stand-in as it passes the real archive, and
    refuses it once it is changed; every other file keeps its real pin (a real archive copied in is checked as a
    user's would be)."""

    def __init__(self, pins: Mapping[str, str], datasets: Path):
        self._pins, self._datasets = dict(pins), Path(datasets)

    def __getitem__(self, file: str) -> str:
        pin = self._pins[file]  # a file the table does not pin stays unpinned
        return WRITTEN.get((self._datasets / file).resolve(), pin)

    def __iter__(self) -> Iterator[str]:
        return iter(self._pins)

    def __len__(self) -> int:
        return len(self._pins)


def _folder(datasets: Path) -> Path:
    datasets = Path(datasets)
    datasets.mkdir(parents=True, exist_ok=True)
    return datasets


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """What np.savez writes (an uncompressed zip of <key>.npy members), with fixed timestamps."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for key, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=array.dtype == object)
            archive.writestr(zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_DATE), member.getvalue())


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def _labels(n: int, classes: int, rng: np.random.Generator) -> np.ndarray:
    """n labels, each class appearing (when n >= classes) as evenly as possible, in shuffled order."""
    labels = np.arange(n) % classes
    rng.shuffle(labels)
    return labels


def _sequences(n: int) -> np.ndarray:
    """A 1-D object array of length n (np.array of equal-length lists would make a 2-D int array)."""
    return np.empty(n, dtype=object)


# ---------------------------------------------------------------------------------------------- images


def _grey_images(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """28x28 uint8 images: dim noise (0..63) with a bright 7x7 block whose place (a 4x4 grid) is the class."""
    images = rng.integers(0, 64, size=(len(labels), 28, 28), dtype=np.uint8)
    for image, label in zip(images, labels):
        row, col = divmod(int(label), 4)
        image[row * 7 : (row + 1) * 7, col * 7 : (col + 1) * 7] = rng.integers(192, 256, size=(7, 7), dtype=np.uint8)
    return images


def _colour_images(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """32x32x3 uint8 images (channels last): dim noise with a bright 8x8 block in channel class % 3,
    placed on a 4x4 grid by class."""
    images = rng.integers(0, 64, size=(len(labels), 32, 32, 3), dtype=np.uint8)
    for image, label in zip(images, labels):
        row, col = divmod(int(label), 4)
        image[row * 8 : (row + 1) * 8, col * 8 : (col + 1) * 8, int(label) % 3] = rng.integers(
            192, 256, size=(8, 8), dtype=np.uint8
        )
    return images


def _mnist_like(n_train: int, n_test: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    y_train = _labels(n_train, 10, rng).astype(np.uint8)
    y_test = _labels(n_test, 10, rng).astype(np.uint8)
    return {
        "x_train": _grey_images(y_train, rng),
        "y_train": y_train,
        "x_test": _grey_images(y_test, rng),
        "y_test": y_test,
    }


def write_mnist(datasets: Path, n_train=64, n_test=16, seed=0) -> dict:
    """datasets/mnist.npz: x_train (N, 28, 28) uint8, y_train (N,) uint8, x_test, y_test."""
    arrays = _mnist_like(n_train, n_test, seed)
    _write_npz(_folder(datasets) / "mnist.npz", arrays)
    _pinned(Path(datasets) / "mnist.npz")
    return arrays


def _idx(array: np.ndarray) -> bytes:
    """The IDX format of the MNIST files: magic (0, 0, type 0x08 = ubyte, ndim), big-endian int32 sizes, data.
    Keras skips the header (8 bytes for labels, 16 for images) and reads the uint8 data that follows."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_fashion_mnist(datasets: Path, n_train=64, n_test=16, seed=0) -> dict:
    """datasets/fashion-mnist/{train,t10k}-{labels-idx1,images-idx3}-ubyte.gz: gzipped IDX files."""
    arrays = _mnist_like(n_train, n_test, seed)
    folder = _folder(datasets) / FASHION_MNIST_FOLDER
    folder.mkdir(exist_ok=True)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(_gzip(_idx(arrays[f"y_{split}"])))
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(_gzip(_idx(arrays[f"x_{split}"])))
        _pinned(folder / f"{prefix}-labels-idx1-ubyte.gz")
        _pinned(folder / f"{prefix}-images-idx3-ubyte.gz")
    return arrays


def _cifar_rows(images: np.ndarray) -> np.ndarray:
    """CIFAR's row layout: (N, 3072) uint8, channel first (1024 red, 1024 green, 1024 blue values)."""
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2)).reshape(len(images), 3072)


def _cifar_images(rows: np.ndarray) -> np.ndarray:
    """What Keras makes of CIFAR rows with channels_last: (N, 32, 32, 3) (a view, no copy)."""
    return rows.reshape(len(rows), 3, 32, 32).transpose(0, 2, 3, 1)


def _cifar_batch(name: str, rows: np.ndarray, labels: np.ndarray) -> bytes:
    """One CIFAR batch file: a pickled dict with bytes keys; data (N, 3072) uint8, labels a list of Python ints."""
    batch = {
        b"batch_label": name.encode(),
        b"labels": [int(label) for label in labels],
        b"data": rows,
        b"filenames": [f"stand_in_{i:05d}.png".encode() for i in range(len(rows))],
    }
    return pickle.dumps(batch, protocol=_PICKLE_PROTOCOL)


def write_cifar10(datasets: Path, n_per_batch=8, n_test=8, seed=0) -> dict:
    """datasets/cifar-10-batches-py-target_archive: a tar.gz of cifar-10-batches-py/ (batches.meta,
    data_batch_1..5, test_batch).

    There are 5 * n_per_batch distinct training images (every class present when that is >= 10); each data
    batch repeats its n_per_batch images cyclically to 10,000 rows, because Keras's loader copies exactly
    10,000 rows per batch. Returns what keras.datasets.cifar10.load_data() gives with the default
    channels_last: x_train (50000, 32, 32, 3) uint8, y_train (50000, 1) uint8, x_test (n_test, 32, 32, 3),
    y_test (n_test, 1); the x arrays are views of the (N, 3072) rows written.
    """
    if not 1 <= n_per_batch <= CIFAR10_BATCH_ROWS:
        raise ValueError(f"n_per_batch must be 1..{CIFAR10_BATCH_ROWS}, got {n_per_batch}")
    rng = np.random.default_rng(seed)
    distinct_labels = _labels(5 * n_per_batch, 10, rng).astype(np.uint8)
    distinct_rows = _cifar_rows(_colour_images(distinct_labels, rng))
    y_test = _labels(n_test, 10, rng).astype(np.uint8)
    test_rows = _cifar_rows(_colour_images(y_test, rng))

    repeats = -(-CIFAR10_BATCH_ROWS // n_per_batch)
    x_batches, y_batches = [], []
    # The repeated rows compress ~100:1 when n_per_batch images (3 KiB each) fit deflate's 32 KiB window.
    with (
        open(_folder(datasets) / CIFAR10_ARCHIVE, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT, copybufsize=1 << 22) as tar,
    ):

        def add(name: str, data: bytes | None = None) -> None:
            info = tarfile.TarInfo(f"{CIFAR10_FOLDER}/{name}" if name else CIFAR10_FOLDER)
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            else:
                info.size, info.mode = len(data), 0o644
            tar.addfile(info, None if data is None else io.BytesIO(data))

        add("")
        add(
            "batches.meta",
            pickle.dumps(
                {
                    b"num_cases_per_batch": CIFAR10_BATCH_ROWS,
                    b"label_names": [n.encode() for n in CIFAR10_LABEL_NAMES],
                    b"num_vis": 3072,
                },
                protocol=_PICKLE_PROTOCOL,
            ),
        )
        for i in range(5):
            part = slice(i * n_per_batch, (i + 1) * n_per_batch)
            x_batches.append(np.tile(distinct_rows[part], (repeats, 1))[:CIFAR10_BATCH_ROWS])
            y_batches.append(np.tile(distinct_labels[part], repeats)[:CIFAR10_BATCH_ROWS])
            add(f"data_batch_{i + 1}", _cifar_batch(f"training batch {i + 1} of 5", x_batches[-1], y_batches[-1]))
        add("test_batch", _cifar_batch("testing batch 1 of 1", test_rows, y_test))

    _pinned(Path(datasets) / CIFAR10_ARCHIVE)
    x_train = _cifar_images(np.concatenate(x_batches))
    x_test = _cifar_images(test_rows)
    return {
        "x_train": x_train,
        "y_train": np.concatenate(y_batches).reshape(-1, 1),
        "x_test": x_test,
        "y_test": y_test.reshape(-1, 1),
    }


# ----------------------------------------------------------------------------------------------- texts


def _word_index(vocabulary: int) -> dict[str, int]:
    """{word: rank}, ranks 1..vocabulary as in Keras's *_word_index.json (rank 1 = most frequent)."""
    return {f"word{rank}": rank for rank in range(1, vocabulary + 1)}


def _write_word_index(path: Path, word_index: dict[str, int]) -> None:
    path.write_text(json.dumps(word_index), encoding="utf-8")


def write_imdb(datasets: Path, n_train=40, n_test=20, vocabulary=50, seed=0) -> dict:
    """datasets/imdb.npz (x_train, x_test: object arrays of lists of word ranks 1..vocabulary; y_train,
    y_test: int64 0/1, balanced) and datasets/imdb_word_index.json. Positive reviews lean on the upper half
    of the vocabulary, negative ones on the lower half. Returns the arrays and "word_index"."""
    if vocabulary < 2:
        raise ValueError(f"vocabulary must be >= 2, got {vocabulary}")
    rng = np.random.default_rng(seed)
    half = vocabulary // 2

    def reviews(labels: np.ndarray) -> np.ndarray:
        out = _sequences(len(labels))
        for i, label in enumerate(labels):
            length = int(rng.integers(5, 21))
            words = rng.integers(1, vocabulary + 1, size=length)
            leaning = rng.random(length) < 0.5  # half the words carry the sentiment
            words[leaning] = (
                rng.integers(half + 1, vocabulary + 1, size=leaning.sum())
                if label
                else rng.integers(1, half + 1, size=leaning.sum())
            )
            out[i] = [int(w) for w in words]
        return out

    y_train = _labels(n_train, 2, rng).astype(np.int64)
    y_test = _labels(n_test, 2, rng).astype(np.int64)
    arrays = {"x_train": reviews(y_train), "y_train": y_train, "x_test": reviews(y_test), "y_test": y_test}
    folder = _folder(datasets)
    _write_npz(folder / "imdb.npz", arrays)
    _pinned(folder / "imdb.npz")
    word_index = _word_index(vocabulary)
    _write_word_index(folder / "imdb_word_index.json", word_index)
    return {**arrays, "word_index": word_index}


def write_reuters(datasets: Path, n=60, vocabulary=50, seed=0) -> dict:
    """datasets/reuters.npz (x: object array of lists of word ranks 1..vocabulary; y: int64 topics 0..45,
    each topic present when n >= 46) and datasets/reuters_word_index.json. Each newswire repeats its topic's
    own word (rank topic % vocabulary + 1). Returns the arrays and "word_index"."""
    rng = np.random.default_rng(seed)
    y = _labels(n, REUTERS_TOPICS, rng).astype(np.int64)
    x = _sequences(n)
    for i, topic in enumerate(y):
        words = rng.integers(1, vocabulary + 1, size=int(rng.integers(5, 21)))
        words[rng.random(len(words)) < 0.4] = int(topic) % vocabulary + 1
        x[i] = [int(w) for w in words]
    arrays = {"x": x, "y": y}
    folder = _folder(datasets)
    _write_npz(folder / "reuters.npz", arrays)
    _pinned(folder / "reuters.npz")
    word_index = _word_index(vocabulary)
    _write_word_index(folder / "reuters_word_index.json", word_index)
    return {**arrays, "word_index": word_index}


# --------------------------------------------------------------------------------------------- tabular

# (low, high) of each of the 13 Boston housing features in the real data, and a weight per feature (in k$
# per half-range) for the stand-in price: RM and LSTAT dominate as in the real data.
_BOSTON_FEATURES = (
    ("CRIM", 0.006, 89.0, -1.5),
    ("ZN", 0.0, 100.0, 0.5),
    ("INDUS", 0.46, 27.7, -0.5),
    ("CHAS", 0.0, 1.0, 1.0),
    ("NOX", 0.385, 0.871, -1.5),
    ("RM", 3.56, 8.78, 6.0),
    ("AGE", 2.9, 100.0, -0.5),
    ("DIS", 1.13, 12.1, -1.5),
    ("RAD", 1.0, 24.0, 1.0),
    ("TAX", 187.0, 711.0, -1.0),
    ("PTRATIO", 12.6, 22.0, -2.0),
    ("B", 0.32, 396.9, 0.5),
    ("LSTAT", 1.73, 37.97, -6.0),
)


def write_boston_housing(datasets: Path, n=50, seed=0) -> dict:
    """datasets/boston_housing.npz: x (n, 13) float64 in the real features' ranges (CHAS 0/1, RAD whole),
    y (n,) float64 prices in k$: 22.5 + a linear function of x + noise, clipped to 5..50."""
    rng = np.random.default_rng(seed)
    low = np.array([f[1] for f in _BOSTON_FEATURES])
    high = np.array([f[2] for f in _BOSTON_FEATURES])
    weight = np.array([f[3] for f in _BOSTON_FEATURES])
    x = low + rng.random((n, len(_BOSTON_FEATURES))) * (high - low)
    x[:, 3] = np.round(x[:, 3])  # CHAS
    x[:, 8] = np.round(x[:, 8])  # RAD
    scaled = 2 * (x - low) / (high - low) - 1  # -1..1
    y = np.clip(22.5 + scaled @ weight + rng.normal(0.0, 1.5, size=n), 5.0, 50.0)
    arrays = {"x": x.astype(np.float64), "y": y.astype(np.float64)}
    _write_npz(_folder(datasets) / "boston_housing.npz", arrays)
    _pinned(Path(datasets) / "boston_housing.npz")
    return arrays


WRITERS = {
    "mnist": write_mnist,
    "fashion_mnist": write_fashion_mnist,
    "cifar10": write_cifar10,
    "imdb": write_imdb,
    "reuters": write_reuters,
    "boston_housing": write_boston_housing,
}
