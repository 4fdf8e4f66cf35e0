"""Train/validation/test splits: invariants over many sizes and seeds, then the end-to-end split of real files.

No Keras here: `split_rows` and `load_split` are plain NumPy / scikit-learn.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnrun.config.load import build_spec
from nnrun.data import load_split, split_rows
from nnrun.errors import DataError

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sizes(n: int, test: int | float, validation: float) -> tuple[int, int] | None:
    """(test rows, validation rows) the contract promises, or None when no training row would be left."""
    n_test = test if isinstance(test, int) else math.ceil(test * n) if test > 0 else 0
    if n_test >= n:
        return None
    rest = n - n_test
    n_val = math.ceil(validation * rest) if validation > 0 else 0
    if n_val >= rest:
        return None
    return n_test, n_val


def check_partition(split, n: int) -> None:
    """Train, validation and test are disjoint, sorted, and cover rows 0..n-1 exactly once."""
    together = np.concatenate([split.train, split.validation, split.test])
    assert len(together) == n
    assert np.array_equal(np.sort(together), np.arange(n))
    for part in (split.train, split.validation, split.test):
        assert np.array_equal(part, np.sort(part))
    assert len(split.train) > 0


tests = st.one_of(
    st.integers(min_value=0, max_value=60),
    st.floats(min_value=0.01, max_value=0.6, allow_nan=False),
)


@SETTINGS
@given(
    n=st.integers(min_value=5, max_value=500),
    test=tests,
    validation=st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.5]),
    seed=st.integers(min_value=0, max_value=2**31 - 1),
)
def test_unstratified_split_partitions_every_row(n, test, validation, seed):
    expected = sizes(n, test, validation)
    if expected is None:
        with pytest.raises(DataError, match=r"dataset\.(test|validation): got"):
            split_rows(n, test=test, validation=validation, seed=seed, labels=None, notes=[])
        return
    notes: list[str] = []
    split = split_rows(n, test=test, validation=validation, seed=seed, labels=None, notes=notes)
    check_partition(split, n)
    n_test, n_val = expected
    assert len(split.test) == n_test
    assert len(split.validation) == n_val
    if isinstance(test, int):
        # An int test set is the last N rows in file order, whatever the seed.
        assert np.array_equal(split.test, np.arange(n - test, n))
    assert notes == []


@SETTINGS
@given(
    class_sizes=st.lists(st.integers(min_value=2, max_value=120), min_size=2, max_size=5),
    test=st.floats(min_value=0.1, max_value=0.5),
    validation=st.sampled_from([0.0, 0.2, 0.3]),
    seed=st.integers(min_value=0, max_value=2**31 - 1),
    shuffle_seed=st.integers(min_value=0, max_value=1000),
)
def test_stratified_split_keeps_class_shares(class_sizes, test, validation, seed, shuffle_seed):
    labels = np.random.default_rng(shuffle_seed).permutation(np.repeat(np.arange(len(class_sizes)), class_sizes))
    n = len(labels)
    notes: list[str] = []
    expected = sizes(n, test, validation)
    if expected is None:
        with pytest.raises(DataError):
            split_rows(n, test=test, validation=validation, seed=seed, labels=labels, notes=notes)
        return
    split = split_rows(n, test=test, validation=validation, seed=seed, labels=labels, notes=notes)
    check_partition(split, n)
    assert (len(split.test), len(split.validation)) == expected
    overall = np.bincount(labels, minlength=len(class_sizes)) / n
    if not any(k.startswith("dataset.test") for k in notes):
        got = np.bincount(labels[split.test], minlength=len(class_sizes))
        assert np.all(np.abs(got - overall * len(split.test)) <= 1), (got, overall * len(split.test))
    if validation and not any(k.startswith("dataset.validation") for k in notes):
        # Validation is drawn from the rows left after the test set, so its shares follow those rows.
        pool = np.concatenate([split.train, split.validation])
        pool_share = np.bincount(labels[pool], minlength=len(class_sizes)) / len(pool)
        got = np.bincount(labels[split.validation], minlength=len(class_sizes))
        assert np.all(np.abs(got - pool_share * len(split.validation)) <= 1)
        # ...which differ from the overall shares by less than one test-set rounding, scaled down.
        assert np.all(np.abs(got - overall * len(split.validation)) <= 1 + len(split.validation) / len(pool))


def test_stratified_test_set_matches_overall_share_on_a_skewed_dataset():
    labels = np.array([0] * 90 + [1] * 10)  # 10% positives, all at the end of the file
    split = split_rows(100, test=0.2, validation=0.25, seed=3, labels=labels, notes=(notes := []))
    assert notes == []
    assert np.bincount(labels[split.test]).tolist() == [18, 2]
    assert np.bincount(labels[split.validation]).tolist() == [18, 2]
    assert np.bincount(labels[split.train]).tolist() == [54, 6]


@pytest.mark.parametrize("n", [5, 17, 100, 499])
@pytest.mark.parametrize("fraction", [0.1, 0.2, 1 / 3, 0.5])
def test_fraction_test_holds_ceil_of_fraction_times_rows(n, fraction):
    split = split_rows(n, test=fraction, validation=0.0, seed=0, labels=None, notes=[])
    assert len(split.test) == math.ceil(fraction * n)
    assert len(split.train) == n - math.ceil(fraction * n)
    assert len(split.validation) == 0


@pytest.mark.parametrize("n", [5, 50, 500])
def test_int_test_is_exactly_the_last_rows(n):
    split = split_rows(n, test=3, validation=0.0, seed=0, labels=None, notes=[])
    assert split.test.tolist() == [n - 3, n - 2, n - 1]
    assert split.train.tolist() == list(range(n - 3))


def test_test_zero_means_no_test_set():
    for test in (0, 0.0):
        split = split_rows(10, test=test, validation=0.0, seed=0, labels=None, notes=[])
        assert split.test.tolist() == [] and split.train.tolist() == list(range(10))


@pytest.mark.parametrize("n", [50, 200, 500])
def test_same_seed_same_split_other_seed_other_split(n):
    labels = np.arange(n) % 3

    def run(seed, labels):
        return split_rows(n, test=0.2, validation=0.2, seed=seed, labels=labels, notes=[])

    for lab in (None, labels):
        a, b, c = run(7, lab), run(7, lab), run(8, lab)
        assert np.array_equal(a.test, b.test) and np.array_equal(a.validation, b.validation)
        assert np.array_equal(a.train, b.train)
        assert not np.array_equal(a.test, c.test)
        assert not np.array_equal(a.validation, c.validation)


def test_stratification_impossible_adds_a_note_and_still_splits():
    labels = np.array([0] * 20 + [1] * 19 + [2])  # class 2 has a single row
    notes: list[str] = []
    split = split_rows(40, test=0.25, validation=0.2, seed=1, labels=labels, notes=notes)
    check_partition(split, 40)
    assert len(split.test) == 10
    test_notes = [m for m in notes if m.startswith("dataset.test")]
    assert len(test_notes) == 1
    assert "smallest class: 1 rows" in test_notes[0]
    assert "without stratification" in test_notes[0]


def test_stratification_impossible_when_the_test_set_is_smaller_than_the_class_count():
    labels = np.repeat(np.arange(5), 4)  # 5 classes, 20 rows; 0.1 holds out 2 rows
    notes: list[str] = []
    split = split_rows(20, test=0.1, validation=0.0, seed=0, labels=labels, notes=notes)
    assert len(split.test) == 2
    assert len(notes) == 1 and "2 of 20 rows cannot hold every class" in notes[0]


@pytest.mark.parametrize("test", [10, 11, 500])
def test_int_test_not_smaller_than_rows_is_an_error(test):
    with pytest.raises(DataError) as err:
        split_rows(10, test=test, validation=0.0, seed=0, labels=None, notes=[])
    message = str(err.value)
    assert message.startswith(f"dataset.test: got {test}")
    assert "10 rows" in message and "at least one row for training" in message


def test_fraction_leaving_no_training_rows_is_an_error():
    with pytest.raises(DataError) as err:
        split_rows(5, test=0.9, validation=0.0, seed=0, labels=None, notes=[])
    assert str(err.value) == "dataset.test: got 0.9, which holds out 5 of 5 rows and leaves none to train on"


def test_validation_leaving_no_training_rows_is_an_error():
    # test 3 of 5 rows leaves 2; validation 0.6 of 2 = ceil(1.2) = 2 rows: none left to train on.
    with pytest.raises(DataError) as err:
        split_rows(5, test=3, validation=0.6, seed=0, labels=None, notes=[])
    assert str(err.value).startswith("dataset.validation: got 0.6, which holds out 2 of 2 rows")


# --- the same through load_split, on data the tests write and on the real files ---


def spec_for(dataset: dict, loss: str = "binary_crossentropy", seed: int = 42):
    config = {"dataset": dataset, "layers": [{"type": "Dense", "units": 1}], "loss": loss, "epochs": 1, "seed": seed}
    return build_spec(config, None, None)


def test_load_split_int_test_is_the_last_rows_of_the_file(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(30)), encoding="utf-8")
    arrays = load_split(spec_for({"path": str(path), "test": 5, "validation": 0.2}))
    assert arrays.x_test[:, 0].tolist() == [25, 26, 27, 28, 29]
    assert arrays.y_test.ravel().tolist() == [1, 0, 1, 0, 1]
    assert len(arrays.x_val) == 5  # ceil(0.2 * 25)
    seen = sorted(arrays.x_train[:, 0].tolist() + arrays.x_val[:, 0].tolist())
    assert seen == list(range(25))
    # Training rows keep file order.
    assert arrays.x_train[:, 0].tolist() == sorted(arrays.x_train[:, 0].tolist())


def test_load_split_without_test_or_validation_gives_none(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(10)), encoding="utf-8")
    arrays = load_split(spec_for({"path": str(path), "test": 0}))
    assert arrays.x_test is None and arrays.y_test is None
    assert arrays.x_val is None and arrays.y_val is None
    assert arrays.x_train.shape == (10, 1)


def test_pima_test_68_is_the_last_68_rows(datasets):
    arrays = load_split(spec_for({"path": str(datasets / "pima-indians-diabetes.csv"), "test": 68}))
    assert arrays.x_train.shape == (700, 8) and arrays.x_test.shape == (68, 8)
    # The file's last row: 1,93,70,31,0,30.4,0.315,23,0 (and no final newline).
    assert arrays.x_test[-1].tolist() == pytest.approx([1, 93, 70, 31, 0, 30.4, 0.315, 23])
    assert arrays.y_test[-1] == 0
    assert arrays.split.test.tolist() == list(range(700, 768))


def test_pima_fraction_split_is_stratified(datasets):
    arrays = load_split(spec_for({"path": str(datasets / "pima-indians-diabetes.csv"), "test": 0.2, "validation": 0.2}))
    assert arrays.notes == []
    assert len(arrays.y_test) == math.ceil(0.2 * 768) == 154
    # 268 of 768 rows are positive: 53.7 expected in 154 test rows.
    assert abs(arrays.y_test.sum() - 154 * 268 / 768) <= 1
    assert abs(arrays.y_val.sum() - len(arrays.y_val) * 268 / 768) <= 2
    assert len(arrays.y_train) + len(arrays.y_val) + len(arrays.y_test) == 768


def test_iris_csv_stratified_test_keeps_ten_of_each_class(datasets):
    arrays = load_split(
        spec_for({"path": str(datasets / "extra" / "iris.csv"), "test": 0.2}, loss="sparse_categorical_crossentropy")
    )
    # The file is sorted by class: an unstratified last-rows split would hold only Iris-virginica.
    assert np.bincount(arrays.y_test).tolist() == [10, 10, 10]
    assert np.bincount(arrays.y_train).tolist() == [40, 40, 40]


def test_regression_split_is_not_stratified_and_adds_no_note(datasets):
    arrays = load_split(
        spec_for(
            {"path": str(datasets / "boston-housing.csv"), "separator": "whitespace", "test": 0.2, "validation": 0.1},
            loss="mse",
        )
    )
    assert arrays.notes == []
    assert (len(arrays.y_train), len(arrays.y_val), len(arrays.y_test)) == (363, 41, 102)


def test_load_split_seed_changes_the_rows(datasets):
    path = str(datasets / "pima-indians-diabetes.csv")
    a = load_split(spec_for({"path": path, "test": 0.2}, seed=1))
    b = load_split(spec_for({"path": path, "test": 0.2}, seed=1))
    c = load_split(spec_for({"path": path, "test": 0.2}, seed=2))
    assert np.array_equal(a.split.test, b.split.test) and np.array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.split.test, c.split.test)


# --- splits that cannot be scored: a class the training rows lack (case 08, a file sorted by class) ---


def sorted_file(tmp_path, sizes=(("a", 20), ("b", 20), ("c", 20))) -> str:
    """A CSV sorted by class, as many are published: feature x, then class y."""
    path = tmp_path / "sorted.csv"
    rows = [f"{i},{label}" for i, (label, n) in enumerate((label, n) for label, n in sizes for _ in range(n))]
    path.write_text("x,y\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def three_classes(path: str, **dataset):
    return spec_for({"path": path, **dataset}, loss="sparse_categorical_crossentropy")


def test_last_rows_test_of_a_class_never_trained_on_is_refused(tmp_path):
    with pytest.raises(DataError) as err:
        load_split(three_classes(sorted_file(tmp_path), test=20))
    assert str(err.value) == (
        "dataset.test: got 20 (the last 20 rows): the test rows hold class c, which the training rows lack "
        "(test: c 20; training: a 20, b 20), so the model would be scored on a class it never saw; "
        "use test: 0.2, which is shuffled and stratified"
    )
    assert err.value.key == ("dataset", "test")


def test_a_test_set_reaching_into_the_next_class_is_refused_for_the_class_it_took_whole(tmp_path):
    with pytest.raises(DataError) as err:
        load_split(three_classes(sorted_file(tmp_path), test=30))
    assert "the test rows hold class c, which the training rows lack (test: b 10, c 20; training: a 20, b 10)" in str(
        err.value
    )


def test_first_rows_validation_of_a_class_never_trained_on_is_refused(tmp_path):
    with pytest.raises(DataError) as err:
        load_split(three_classes(sorted_file(tmp_path), test=0, validation=20))
    assert str(err.value) == (
        "dataset.validation: got 20 (the first 20 rows): the validation rows hold class a, which the training rows "
        "lack (validation: a 20; training: b 20, c 20), so the model would be scored on a class it never saw; "
        "use validation: 0.2, which is shuffled and stratified"
    )
    assert err.value.key == ("dataset", "validation")


def test_validation_is_checked_against_the_rows_left_after_the_test_set(tmp_path):
    # test takes c; validation 20 takes a: only b would be trained on
    with pytest.raises(DataError, match=r"^dataset\.test: got 20 .* hold class c, which"):
        load_split(three_classes(sorted_file(tmp_path), test=20, validation=20))


def test_a_single_class_test_set_that_training_knows_gets_a_note(tmp_path):
    arrays = load_split(three_classes(sorted_file(tmp_path), test=15))
    assert arrays.notes == [
        "dataset.test: 15 (the last 15 rows): the test rows hold a single class (test: c 15; training: a 20, "
        "b 20, c 5), so their score says nothing about the others; use test: 0.2, which is shuffled and stratified"
    ]
    assert len(arrays.x_test) == 15


def test_a_single_class_validation_set_gets_a_note(tmp_path):
    arrays = load_split(three_classes(sorted_file(tmp_path), test=0.2, validation=10))
    assert [n for n in arrays.notes if n.startswith("dataset.validation")] == [
        "dataset.validation: 10 (the first 10 rows): the validation rows hold a single class (validation: a 10; "
        "training: a 6, b 16, c 16), so their score says nothing about the others; use validation: 0.2, which is "
        "shuffled and stratified"
    ]


def test_a_shuffled_stratified_split_of_a_sorted_file_is_fine(tmp_path):
    arrays = load_split(three_classes(sorted_file(tmp_path), test=0.2, validation=0.2))
    assert arrays.notes == []


def test_a_one_row_class_drawn_into_the_test_set_is_refused(tmp_path):
    # 40 rows, class c has one: no stratified split (a note), and seed 1 draws that row into the test set
    path = sorted_file(tmp_path, (("a", 20), ("b", 19), ("c", 1)))
    with pytest.raises(DataError) as err:
        load_split(spec_for({"path": path, "test": 0.25}, loss="sparse_categorical_crossentropy", seed=1))
    assert str(err.value).startswith(
        "dataset.test: got 0.25 (10 rows drawn at random): the test rows hold class c, "
        "which the training rows lack (test: "
    )
    assert str(err.value).endswith(
        "; a class with this few rows cannot be both trained on and scored: add rows of "
        "it, drop them, or try another seed"
    )


def test_a_regression_on_a_sorted_file_is_not_checked(tmp_path):
    path = tmp_path / "rising.csv"
    path.write_text("x,y\n" + "".join(f"{i},{i // 20}\n" for i in range(60)), encoding="utf-8")
    arrays = load_split(spec_for({"path": str(path), "test": 20, "validation": 20}, loss="mse"))
    assert arrays.notes == [] and len(arrays.x_test) == 20


def test_a_binary_test_set_of_one_row_gets_no_note(tmp_path):
    # a test set smaller than the classes cannot hold them all: not worth a note
    arrays = load_split(spec_for({"path": sorted_file(tmp_path, (("a", 10), ("b", 10))), "test": 1}))
    assert arrays.notes == []


# --- the key blamed is the one whose rows took the class (review finding 3) ---


def test_first_rows_validation_that_took_a_class_from_a_random_test_set_is_blamed(tmp_path):
    # case 08 with test: 0.2 and validation: 20: the test draws 4 of each class, then the first 20 rows of the
    # rest take every other row of a, which the test rows hold
    with pytest.raises(DataError) as err:
        load_split(three_classes(sorted_file(tmp_path), test=0.2, validation=20))
    assert str(err.value) == (
        "dataset.validation: got 20 (the first 20 rows: a 16, b 4): the test rows hold class a, which the training "
        "rows lack (test: a 4, b 4, c 4; training: b 12, c 16), so the model would be scored on a class it never "
        "saw; use validation: 0.2, which is shuffled and stratified"
    )
    assert err.value.key == ("dataset", "validation")


def test_last_rows_test_and_first_rows_validation_both_become_fractions_when_one_alone_is_not_enough(tmp_path):
    with pytest.raises(DataError) as err:
        load_split(three_classes(sorted_file(tmp_path), test=20, validation=20))
    assert str(err.value).endswith("; use test: 0.2 and validation: 0.2, which are shuffled and stratified")
    assert err.value.key == ("dataset", "test")


def test_last_rows_test_that_left_a_random_validation_one_row_of_a_class_is_blamed(tmp_path):
    # the test takes 10 of c's 11 rows; the validation fraction (unstratified: c has one row left) draws the last
    with pytest.raises(DataError) as err:
        load_split(
            spec_for(
                {"path": sorted_file(tmp_path, (("a", 20), ("b", 20), ("c", 11))), "test": 10, "validation": 0.5},
                loss="sparse_categorical_crossentropy",
                seed=0,
            )
        )
    assert str(err.value).startswith("dataset.test: got 10 (the last 10 rows): the test rows hold class c")
    assert str(err.value).endswith("; use test: 0.2, which is shuffled and stratified")


def test_a_one_row_class_in_last_rows_test_is_not_told_a_fraction_would_help(tmp_path):
    with pytest.raises(DataError) as err:
        load_split(three_classes(sorted_file(tmp_path, (("a", 20), ("b", 20), ("c", 1))), test=1))
    assert str(err.value).endswith(
        "; class c has only 1 row, too few to be both trained on and scored: add rows of it, or drop them"
    )
