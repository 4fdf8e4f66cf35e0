"""The stand-in archives of tests/keras_archives.py are read by Keras's own dataset loaders
(keras.datasets.<name>.load_data) exactly as they were written, offline.

They use conftest's `keras_offline` fixture: Keras's cache folder redirected to tmp_path, the hash check
against the real downloads stubbed, and the network stubbed so a missing archive fails at once.
"""

from __future__ import annotations

import gzip
from collections import Counter

import numpy as np
import pytest
from keras_archives import (
    CIFAR10_ARCHIVE,
    CIFAR10_BATCH_ROWS,
    CIFAR10_FOLDER,
    FASHION_MNIST_FOLDER,
    REUTERS_TOPICS,
    WRITERS,
    write_boston_housing,
    write_cifar10,
    write_fashion_mnist,
    write_imdb,
    write_mnist,
    write_reuters,
)

KERAS_SEED = 113  # the shuffling seed of Keras's imdb, reuters and boston_housing loaders


def assert_same(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    if not np.array_equal(actual, expected):  # assert_array_equal alone takes seconds on cifar10's 150 MB
        np.testing.assert_array_equal(actual, expected)


def keras_shuffle(*arrays_per_split):
    """The order Keras's loaders put each split in: one RandomState(113) permuting the splits in turn."""
    rng = np.random.RandomState(KERAS_SEED)
    out = []
    for arrays in arrays_per_split:
        indices = np.arange(len(arrays[0]))
        rng.shuffle(indices)
        out.append([a[indices] for a in arrays])
    return out


def as_multiset(xs, ys) -> Counter:
    return Counter((tuple(int(w) for w in x), int(y)) for x, y in zip(xs, ys))


def keras_words(xs, start_char=1, oov_char=2, index_from=3) -> list[list[int]]:
    """Keras's default word-rank mapping: start_char first, ranks + index_from, and (num_words=None meaning
    the largest index seen) that largest index itself becomes oov_char, as `w < num_words` excludes it."""
    seqs = [[start_char] + [w + index_from for w in x] for x in xs]
    num_words = max(max(s) for s in seqs)
    return [[w if w < num_words else oov_char for w in s] for s in seqs]


# ------------------------------------------------------------------------------------- read by Keras


def test_mnist(keras_offline):
    import keras

    written = write_mnist(keras_offline)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    assert_same(x_train, written["x_train"])
    assert_same(y_train, written["y_train"])
    assert_same(x_test, written["x_test"])
    assert_same(y_test, written["y_test"])
    assert x_train.shape == (64, 28, 28) and x_train.dtype == np.uint8 and y_test.shape == (16,)


def test_fashion_mnist(keras_offline):
    import keras

    written = write_fashion_mnist(keras_offline, n_train=30, n_test=12)
    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    assert_same(x_train, written["x_train"])
    assert_same(y_train, written["y_train"])
    assert_same(x_test, written["x_test"])
    assert_same(y_test, written["y_test"])
    folder = keras_offline / FASHION_MNIST_FOLDER
    with gzip.open(folder / "train-labels-idx1-ubyte.gz") as f:  # the IDX headers of the real files
        assert f.read(8) == bytes([0, 0, 8, 1]) + (30).to_bytes(4, "big")
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz") as f:
        assert f.read(16) == bytes([0, 0, 8, 3]) + b"".join(v.to_bytes(4, "big") for v in (12, 28, 28))


def test_cifar10(keras_offline):
    import keras

    written = write_cifar10(keras_offline, n_test=10)
    assert (keras_offline / CIFAR10_ARCHIVE).is_file()
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    if keras.backend.image_data_format() != "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    assert_same(x_train, written["x_train"])
    assert_same(y_train, written["y_train"])
    assert_same(x_test, written["x_test"])
    assert_same(y_test, written["y_test"])
    assert x_train.shape == (5 * CIFAR10_BATCH_ROWS, 32, 32, 3) and y_train.shape == (5 * CIFAR10_BATCH_ROWS, 1)
    assert x_test.shape == (10, 32, 32, 3) and y_test.dtype == np.uint8
    # Keras extracted the archive next to it, under the name it asked get_file for.
    assert (keras_offline / "cifar-10-batches-py-target" / CIFAR10_FOLDER / "data_batch_5").is_file()
    # Each data batch is its 8 distinct images repeated (10,000 = 1,250 x 8); all 10 classes occur among the 40.
    batches = x_train.reshape(5, CIFAR10_BATCH_ROWS // 8, 8, -1)
    assert (batches == batches[:, :1]).all()
    distinct = batches[:, 0].reshape(40, -1)
    assert len(np.unique(distinct, axis=0)) == 40
    assert set(np.unique(y_train)) == set(range(10))
    distinct_labels = y_train.reshape(5, CIFAR10_BATCH_ROWS // 8, 8)[:, 0].ravel()
    assert (
        nearest_centroid_accuracy({"x_train": distinct, "y_train": distinct_labels, "x_test": x_test, "y_test": y_test})
        > 0.5
    )  # the images carry the class; chance is 0.1


def test_imdb(keras_offline):
    import keras

    written = write_imdb(keras_offline)
    (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data()
    assert x_train.dtype == object and x_train.shape == (40,) and x_test.shape == (20,)
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    (wx_train, wy_train), (wx_test, wy_test) = keras_shuffle(
        (written["x_train"], written["y_train"]), (written["x_test"], written["y_test"])
    )
    expected = keras_words(list(wx_train) + list(wx_test))
    assert [list(x) for x in x_train] == expected[:40] and [list(x) for x in x_test] == expected[40:]
    assert_same(y_train, wy_train)
    assert_same(y_test, wy_test)
    # Without Keras's re-indexing the sequences come back as written, only shuffled.
    (raw_train, raw_y_train), (raw_test, raw_y_test) = keras.datasets.imdb.load_data(
        start_char=None, index_from=0, oov_char=None, num_words=51
    )
    assert as_multiset(raw_train, raw_y_train) == as_multiset(written["x_train"], written["y_train"])
    assert as_multiset(raw_test, raw_y_test) == as_multiset(written["x_test"], written["y_test"])
    assert keras.datasets.imdb.get_word_index() == written["word_index"]


def test_reuters(keras_offline):
    import keras

    written = write_reuters(keras_offline)
    (x_train, y_train), (x_test, y_test) = keras.datasets.reuters.load_data()
    assert x_train.dtype == object and len(x_train) == 48 and len(x_test) == 12  # test_split=0.2
    assert y_train.dtype == np.int64
    [(wx, wy)] = keras_shuffle((written["x"], written["y"]))
    expected = keras_words(list(wx))
    assert [list(x) for x in x_train] == expected[:48] and [list(x) for x in x_test] == expected[48:]
    assert_same(np.concatenate([y_train, y_test]), wy)
    (raw_train, raw_y_train), (raw_test, raw_y_test) = keras.datasets.reuters.load_data(
        start_char=None, index_from=0, oov_char=None, num_words=51, test_split=0.5
    )
    assert as_multiset(list(raw_train) + list(raw_test), np.concatenate([raw_y_train, raw_y_test])) == as_multiset(
        written["x"], written["y"]
    )
    assert keras.datasets.reuters.get_word_index() == written["word_index"]
    assert set(written["y"].tolist()) == set(range(REUTERS_TOPICS))


def test_boston_housing(keras_offline):
    import keras

    written = write_boston_housing(keras_offline)
    (x_train, y_train), (x_test, y_test) = keras.datasets.boston_housing.load_data()
    [(x, y)] = keras_shuffle((written["x"], written["y"]))
    assert_same(x_train, x[:40])
    assert_same(x_test, x[40:])
    assert_same(y_train, y[:40])
    assert_same(y_test, y[40:])
    assert x_train.dtype == np.float64 and x_train.shape == (40, 13) and y_test.shape == (10,)


def test_a_missing_archive_fails_at_once_without_downloading(keras_offline):
    import keras

    write_mnist(keras_offline)  # another dataset's archive does not help
    with pytest.raises(Exception, match="URL fetch failure.*offline test"):
        keras.datasets.imdb.load_data()
    assert sorted(p.name for p in keras_offline.iterdir()) == ["mnist.npz"]  # nothing half-written


# ------------------------------------------------------------------------------- the archives' contents


@pytest.mark.parametrize("name", sorted(set(WRITERS) - {"cifar10"}))  # cifar10's 150 MB: its test above
def test_the_same_seed_writes_the_same_bytes(name, tmp_path):
    def files(seed: int, folder: str) -> dict[str, bytes]:
        root = tmp_path / folder
        WRITERS[name](root, seed=seed)
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    first = files(0, "a")
    assert first and files(0, "b") == first
    assert files(1, "c") != first


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_every_digit_class_is_present_and_a_nearest_centroid_beats_chance(name, tmp_path):
    data = WRITERS[name](tmp_path)
    assert set(data["y_train"].tolist()) == set(range(10)) and set(data["y_test"].tolist()) == set(range(10))
    assert nearest_centroid_accuracy(data) > 0.5  # chance is 0.1


def test_imdb_labels_are_balanced_and_the_words_carry_the_sentiment(tmp_path):
    data = write_imdb(tmp_path, vocabulary=50)
    assert np.bincount(data["y_train"]).tolist() == [20, 20] and np.bincount(data["y_test"]).tolist() == [10, 10]
    for x in (data["x_train"], data["x_test"]):
        assert x.ndim == 1 and all(type(w) is int and 1 <= w <= 50 for seq in x for w in seq)
    upper = np.array([np.mean(np.array(seq) > 25) for seq in data["x_test"]])
    assert np.mean((upper > 0.5) == data["y_test"]) > 0.7
    assert data["word_index"] == {f"word{r}": r for r in range(1, 51)}


def test_reuters_topics_follow_the_documented_rule(tmp_path):
    few = write_reuters(tmp_path / "few", n=20)
    assert len(set(few["y"].tolist())) == 20  # fewer rows than topics: each row a different topic
    data = write_reuters(tmp_path / "many", n=92, vocabulary=60)
    assert np.bincount(data["y"]).tolist() == [2] * REUTERS_TOPICS
    topic_word = np.array([Counter(seq).most_common(1)[0][0] - 1 for seq in data["x"]])
    assert np.mean(topic_word == data["y"]) > 0.7


def test_boston_prices_are_realistic_and_nearly_linear(tmp_path):
    data = write_boston_housing(tmp_path, n=200)
    x, y = data["x"], data["y"]
    assert x.shape == (200, 13) and y.shape == (200,) and 5 <= y.min() and y.max() <= 50
    assert set(np.unique(x[:, 3])) <= {0.0, 1.0} and np.all(x[:, 8] == np.round(x[:, 8]))
    design = np.column_stack([x, np.ones(len(x))])
    residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    assert 1 - residual.var() / y.var() > 0.8


def nearest_centroid_accuracy(data: dict) -> float:
    x_train = np.asarray(data["x_train"], dtype=np.float32).reshape(len(data["x_train"]), -1)
    x_test = np.asarray(data["x_test"], dtype=np.float32).reshape(len(data["x_test"]), -1)
    y_train, y_test = data["y_train"].ravel(), data["y_test"].ravel()
    centroids = np.stack([x_train[y_train == c].mean(axis=0) for c in range(10)])
    predicted = np.argmin(((x_test[:, None, :] - centroids[None]) ** 2).sum(axis=2), axis=1)
    return float(np.mean(predicted == y_test))
