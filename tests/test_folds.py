"""K-fold row plans: `fold_rows` invariants over many sizes, `fold_problem` messages, and `load_folds` keeping the
test rows out of every fold and fitting each fold's scaler on that fold's own fit rows.

No Keras here: folds are plain NumPy / scikit-learn.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nnrun.config.load import build_spec
from nnrun.data import load_folds
from nnrun.data.split import fold_problem, fold_rows
from nnrun.errors import DataError

SIZES = [(n, k) for n, k in itertools.product((10, 37, 101), (2, 3, 5, 10)) if k <= n]


def sparse_rows(n: int, seed: int = 0) -> np.ndarray:
    """n sorted row numbers out of range(3n): a training set with holes, as after a test split."""
    return np.sort(np.random.default_rng(seed).choice(3 * n, size=n, replace=False))


def check_partition(parts, rows: np.ndarray, k: int) -> None:
    """The contract every fold plan keeps, whatever the splitter."""
    assert len(parts) == k
    held = [h for _, h in parts]
    for a, b in itertools.combinations(held, 2):
        assert not set(a) & set(b), "a row is held out by two folds"
    together = np.concatenate(held)
    # Exactly the given rows, each once: a row outside them would be a test row leaking into a fold.
    assert np.array_equal(np.sort(together), rows)
    for fit, h in parts:
        assert np.array_equal(fit, np.setdiff1d(rows, h))
        assert np.array_equal(fit, np.sort(fit)) and np.array_equal(h, np.sort(h))
    sizes = [len(h) for h in held]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize(("n", "k"), SIZES)
def test_plain_folds_partition_the_given_rows(n, k, shuffle):
    rows = sparse_rows(n)
    check_partition(fold_rows(rows, k=k, shuffle=shuffle, seed=3, labels=None), rows, k)


# (class counts, k): balanced and imbalanced, smallest class >= k as fold_problem demands.
STRATA = [([5, 5], 2), ([25, 9, 3], 3), ([30, 7], 5), ([80, 16, 5], 5), ([60, 31, 10], 10), ([12, 12, 13], 10)]


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize(("counts", "k"), STRATA)
def test_stratified_folds_keep_each_class_share(counts, k, shuffle):
    rng = np.random.default_rng(1)
    labels = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    rows = sparse_rows(len(labels))
    parts = fold_rows(rows, k=k, shuffle=shuffle, seed=3, labels=labels)
    check_partition(parts, rows, k)
    label_of = dict(zip(rows.tolist(), labels.tolist()))
    for _, held in parts:
        in_fold = np.bincount([label_of[r] for r in held.tolist()], minlength=len(counts))
        for c, total in enumerate(counts):
            assert abs(in_fold[c] - total / k) < 1, (c, in_fold, counts)


@pytest.mark.parametrize("labels", [None, np.array([0, 1, 1, 2] * 9 + [1])], ids=["plain", "stratified"])
def test_shuffled_folds_follow_the_seed(labels):
    rows = sparse_rows(37)

    def held(seed):
        return [h.tolist() for _, h in fold_rows(rows, k=3, shuffle=True, seed=seed, labels=labels)]

    assert held(5) == held(5)
    assert held(5) != held(6)


@pytest.mark.parametrize(("n", "k"), SIZES)
def test_unshuffled_folds_are_contiguous_blocks_in_order(n, k):
    rows = sparse_rows(n)
    parts = fold_rows(rows, k=k, shuffle=False, seed=3, labels=None)
    assert np.array_equal(np.concatenate([h for _, h in parts]), rows)
    # scikit-learn's KFold: the first n % k folds take one row more.
    assert [len(h) for _, h in parts] == [n // k + (i < n % k) for i in range(k)]
    # The seed must not matter when nothing is shuffled.
    again = fold_rows(rows, k=k, shuffle=False, seed=99, labels=None)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(parts, again))


def test_fold_problem_k_larger_than_the_rows():
    message = fold_problem(5, 6, None)
    assert message is not None
    assert "got 6" in message and "only 5 training rows" in message and "k can be at most 5" in message
    assert fold_problem(5, 5, None) is None


def test_fold_problem_k_larger_than_the_smallest_class():
    labels = np.array([0] * 10 + [2] * 3)  # class 1 absent: an unused class id is not "the smallest class"
    message = fold_problem(len(labels), 4, labels)
    assert message is not None
    assert "got 4" in message
    assert "the smallest class has only 3 training rows" in message
    assert "use k <= 3" in message and "kfold.stratify: false" in message
    assert fold_problem(len(labels), 3, labels) is None
    assert fold_problem(len(labels), 4, None) is None  # unstratified, 13 rows are plenty


def test_fold_problem_reports_the_row_limit_before_the_class_limit():
    message = fold_problem(4, 5, np.array([0, 0, 1, 1]))
    assert message is not None and "only 4 training rows" in message and "smallest class" not in message


def inline_spec(n: int = 30, **kfold) -> tuple:
    rng = np.random.default_rng(7)
    # Features on very different scales and offsets, so every subset of rows has its own mean and std.
    x = np.column_stack([rng.normal(5, 2, n), rng.exponential(40, n)]).round(3)
    y = [int(v) for v in rng.permutation([0] * (n // 2) + [1] * (n - n // 2))]
    spec = build_spec(
        {
            "dataset": {"inline": {"x": x.tolist(), "y": y}, "test": 0.2, "scale": "standard"},
            "layers": [{"type": "Dense", "units": 1, "activation": "sigmoid"}],
            "loss": "binary_crossentropy",
            "epochs": 1,
            "kfold": {"k": 3, **kfold},
        },
        None,
        None,
    )
    return spec, x.astype(np.float32).astype(np.float64)


def test_load_folds_keeps_the_test_rows_out_of_every_fold():
    spec, x = inline_spec()
    folds = load_folds(spec, 3)
    test = set(folds.split.test.tolist())
    assert len(test) == 6  # ceil(0.2 * 30)
    held = [set(h.tolist()) for _, h in folds.parts]
    for fit, h in folds.parts:
        assert not test & set(fit.tolist()) and not test & set(h.tolist())
    assert sorted(set().union(*held) | test) == list(range(len(x)))
    assert sum(len(h) for h in held) + len(test) == len(x)  # no row counted twice
    assert folds.stratified  # a classification, stratify: auto
    for i in range(3):
        arrays = folds.fold(i)
        assert arrays.x_test is None and arrays.y_test is None


def test_each_fold_scaler_is_fitted_on_its_fit_rows_only():
    spec, x = inline_spec()
    folds = load_folds(spec, 3)
    everything = x[folds.split.train]
    for i, (fit, held) in enumerate(folds.parts):
        arrays = folds.fold(i)
        stats = arrays.preprocess.scaler.stats
        np.testing.assert_allclose(stats["mean"], x[fit].mean(axis=0), rtol=1e-9)
        np.testing.assert_allclose(stats["std"], x[fit].std(axis=0), rtol=1e-9)
        # Fitting on every training row (held-out ones included) would be the leak this guards against.
        assert not np.allclose(stats["mean"], everything.mean(axis=0), rtol=1e-6)
        expected_val = (x[held] - x[fit].mean(axis=0)) / x[fit].std(axis=0)
        np.testing.assert_allclose(arrays.x_val, expected_val, rtol=1e-5, atol=1e-5)
        assert len(arrays.x_train) == len(fit)
    refit = folds.refit()
    np.testing.assert_allclose(refit.preprocess.scaler.stats["mean"], everything.mean(axis=0), rtol=1e-9)
    assert len(refit.x_test) == len(folds.split.test)


def test_load_folds_ignores_dataset_validation_with_a_note():
    spec, x = inline_spec()
    spec = spec.model_copy(update={"dataset": spec.dataset.model_copy(update={"validation": 0.25})})
    folds = load_folds(spec, 3)
    assert any("dataset.validation: 0.25 is not used by nnrun kfold" in note for note in folds.loaded.notes)
    assert len(folds.split.validation) == 0
    assert len(folds.split.train) + len(folds.split.test) == len(x)


def test_a_regression_is_not_stratified_on_auto():
    spec, _ = inline_spec()
    spec = spec.model_copy(update={"loss": "mse"})
    assert load_folds(spec, 3).stratified is False


# --- folds that cannot be scored: a class a fold's training rows lack ---


def sorted_spec(sizes: dict[str, int], test: int | float = 0, seed: int = 42, **kfold):
    """Inline rows sorted by class, as a published file often is; k-fold settings from `kfold`."""
    y = [label for label, n in sizes.items() for _ in range(n)]
    return build_spec(
        {
            "dataset": {"inline": {"x": [[i] for i in range(len(y))], "y": y}, "test": test},
            "layers": [{"type": "Dense", "units": len(sizes), "activation": "softmax"}],
            "loss": "sparse_categorical_crossentropy",
            "epochs": 1,
            "seed": seed,
            "kfold": kfold,
        },
        None,
        None,
    )


def refused(spec, k: int) -> DataError:
    with pytest.raises(DataError) as err:
        load_folds(spec, k)
    return err.value


def test_unshuffled_unstratified_folds_of_a_sorted_file_are_refused():
    error = refused(sorted_spec({"a": 20, "b": 20, "c": 20}, k=3, shuffle=False, stratify=False), 3)
    assert str(error) == (
        "kfold.shuffle: got false: fold 1's held-out rows hold class a, which its training rows lack "
        "(fold 1 held out: a 20; training: b 20, c 20), so the model would be scored on a class it never saw; "
        "use kfold.shuffle: true, or kfold.stratify: auto to keep every class in every fold"
    )


@pytest.mark.parametrize("kfold", [{"shuffle": False}, {"stratify": False}, {}])
def test_stratified_or_shuffled_folds_of_a_sorted_file_are_fine(kfold):
    folds = load_folds(sorted_spec({"a": 20, "b": 20, "c": 20}, k=3, **kfold), 3)
    assert folds.loaded.notes == []


def test_shuffled_unstratified_folds_that_hold_a_small_class_out_whole_are_refused():
    # seed 12 puts all 3 rows of b into one of the 3 folds; stratified folds would keep one in each
    error = refused(sorted_spec({"a": 30, "b": 3}, seed=12, k=3, stratify=False), 3)
    assert str(error).startswith("kfold.stratify: got false: fold ")
    assert "hold class b, which its training rows lack" in str(error)
    assert str(error).endswith("; use kfold.stratify: auto to keep every class in every fold")


def test_a_class_smaller_than_k_held_out_whole_names_the_largest_k_that_works():
    error = refused(sorted_spec({"a": 30, "b": 2}, seed=1, k=4, stratify=False), 4)
    assert str(error).startswith("kfold.k: got 4: fold ")
    assert str(error).endswith("; use k <= 2 with kfold.stratify: auto to keep every class in every fold")


@pytest.mark.parametrize("stratify", ["auto", False])
def test_a_class_of_one_training_row_cannot_be_cut_into_folds(stratify):
    error = refused(sorted_spec({"a": 30, "b": 1}, k=3, stratify=stratify), 3)
    assert str(error).startswith("kfold.k: got 3")
    assert "class b has a single training row, which the fold that holds it out cannot train on" in str(
        error
    ) or "hold class b, which its training rows lack" in str(error)
    assert str(error).endswith("every class needs at least 2 rows: drop those rows or add more")


def test_fold_problem_names_a_one_row_class_instead_of_asking_for_k_below_two():
    message = fold_problem(11, 2, np.array([0] * 10 + [1]), ["no", "yes"])
    assert message == (
        "got 2, but class yes has a single training row, which the fold that holds it out cannot "
        "train on; every class needs at least 2 rows: drop those rows or add more"
    )


def test_the_refit_test_rows_are_checked_only_with_a_refit():
    spec = sorted_spec({"a": 20, "b": 20, "c": 20}, test=20, k=2, refit=True)
    error = refused(spec, 2)
    assert str(error) == (
        "dataset.test: got 20 (the last 20 rows): the test rows hold class c, which the training rows lack "
        "(test: c 20; training: a 20, b 20), so the model would be scored on a class it never saw; "
        "use test: 0.2, which is shuffled and stratified"
    )
    folds = load_folds(sorted_spec({"a": 20, "b": 20, "c": 20}, test=20, k=2), 2)  # no refit: no test score
    assert len(folds.split.test) == 20


def test_folds_left_a_single_class_by_the_test_rows_are_refused_at_dataset_test():
    error = refused(sorted_spec({"a": 20, "b": 20}, test=20, k=2), 2)
    assert str(error) == (
        "dataset.test: got 20 (the last 20 rows): its training rows hold a single class (fold 1 held out: a 10; "
        "training: a 10), so the model learns to answer it whatever the features; use test: 0.2, which is shuffled "
        "and stratified"
    )


# --- the key blamed is the one whose rows took the class (review finding 3) ---


def test_a_last_rows_test_that_leaves_a_class_too_few_rows_for_stratified_folds_is_blamed():
    error = refused(sorted_spec({"a": 20, "b": 20, "c": 12}, test=10, k=3), 3)
    assert str(error) == (
        "dataset.test: got 10 (the last 10 rows), which takes 10 rows of class c and leaves it "
        "2 rows to cut into 3 stratified folds; use test: 0.2, which is shuffled and stratified"
    )
    assert error.key == ("dataset", "test")


def test_a_last_rows_test_that_leaves_shuffled_folds_too_few_rows_of_a_class_is_blamed():
    # seed 2 puts both remaining rows of c into fold 3
    error = refused(sorted_spec({"a": 20, "b": 20, "c": 12}, test=10, seed=2, k=3, stratify=False), 3)
    assert str(error).startswith(
        "dataset.test: got 10 (the last 10 rows): fold 3's held-out rows hold class c, which its training rows lack"
    )
    assert str(error).endswith("; use test: 0.2, which is shuffled and stratified")


def test_unshuffled_folds_stay_blamed_when_a_test_fraction_would_not_mend_them():
    error = refused(sorted_spec({"a": 20, "b": 20, "c": 12}, test=10, k=3, shuffle=False, stratify=False), 3)
    assert str(error).startswith("kfold.shuffle: got false: fold 3's held-out rows hold class c")
