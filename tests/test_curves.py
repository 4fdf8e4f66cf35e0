"""The arithmetic behind a k-fold run's summary: mean curves over folds of unequal length, smoothing, the best
epoch and the mean ± std of the fold scores. NumPy is the reference everywhere."""

from __future__ import annotations

import numpy as np
import pytest

from nnrun.runs.curves import best_epoch, mean_history, smooth, summarize


def history(values: dict[str, list[float]]) -> list[dict[str, float]]:
    n = len(next(iter(values.values())))
    return [{"epoch": e + 1, **{k: v[e] for k, v in values.items()}} for e in range(n)]


# Fold 2 stopped early after 3 of 5 epochs (early stopping): it must not count, as 0 or otherwise, after that.
FOLDS = [
    history({"loss": [0.9, 0.7, 0.5, 0.4, 0.35], "val_loss": [1.0, 0.8, 0.7, 0.65, 0.6]}),
    history({"loss": [0.8, 0.6, 0.55], "val_loss": [0.9, 0.85, 0.9]}),
    history({"loss": [1.1, 0.9, 0.6, 0.5, 0.45], "val_loss": [1.2, 0.9, 0.75, 0.7, 0.72]}),
]


def test_mean_history_averages_only_the_folds_that_reached_each_epoch():
    mean = mean_history(FOLDS)
    assert [row["epoch"] for row in mean] == [1, 2, 3, 4, 5]
    assert [row["folds"] for row in mean] == [3, 3, 3, 2, 2]
    for row in mean:
        e = row["epoch"]
        for name in ("loss", "val_loss"):
            values = np.array([h[e - 1][name] for h in FOLDS if len(h) >= e])
            assert row[f"{name}_mean"] == pytest.approx(values.mean(), abs=1e-12)
            assert row[f"{name}_std"] == pytest.approx(values.std(), abs=1e-12)  # ddof=0
    padded = np.mean([0.65, 0.0, 0.7])
    assert mean[3]["val_loss_mean"] == pytest.approx(0.675) and mean[3]["val_loss_mean"] != pytest.approx(padded)


def test_mean_history_columns_keep_nnrun_order():
    mean = mean_history(FOLDS)
    assert list(mean[0]) == ["epoch", "folds", "loss_mean", "loss_std", "val_loss_mean", "val_loss_std"]
    assert mean_history([]) == []


def seed_smooth_curve(points, factor=0.9):
    """The seed notebook's smooth_curve, written out independently of nnrun."""
    smoothed_points = []
    for point in points:
        if smoothed_points:
            previous = smoothed_points[-1]
            smoothed_points.append(previous * factor + point * (1 - factor))
        else:
            smoothed_points.append(point)
    return smoothed_points


def test_smooth_matches_the_seed_smooth_curve():
    points = list(np.random.default_rng(0).normal(size=30))
    assert smooth(points, 0.9) == pytest.approx(seed_smooth_curve(points, 0.9), abs=1e-12)
    assert smooth(points, 0.5) == pytest.approx(seed_smooth_curve(points, 0.5), abs=1e-12)
    assert smooth(points, 0.0) == points
    assert smooth([], 0.9) == []


def mean_rows(name: str, values: list[float], folds: list[int] | None = None) -> list[dict[str, float]]:
    folds = folds or [3] * len(values)
    return [{"epoch": e + 1, "folds": f, f"{name}_mean": v} for e, (v, f) in enumerate(zip(values, folds))]


def test_best_epoch_minimises_losses_and_maximises_accuracies():
    values = [0.5, 0.3, 0.4, 0.9, 0.2, 0.6]
    low = best_epoch(mean_rows("val_loss", values), "val_loss")
    assert low == {"monitor": "val_loss", "epoch": 5, "value": 0.2}
    high = best_epoch(mean_rows("val_accuracy", values), "val_accuracy")
    assert high == {"monitor": "val_accuracy", "epoch": 4, "value": 0.9}


def test_best_epoch_follows_the_direction_the_run_recorded():
    values = [0.5, 0.3, 0.9, 0.2]
    rows = mean_rows("val_pearson_correlation", values)
    recorded = {"directions": {"loss": "min", "pearson_correlation": "max"}}  # as Keras's metric says
    assert best_epoch(rows, "val_pearson_correlation", run_metrics=recorded)["epoch"] == 3
    assert best_epoch(rows, "val_pearson_correlation")["epoch"] == 4  # a run without them: the name rules


def test_best_epoch_skips_the_first_epochs():
    values = [0.1, 0.5, 0.3, 0.4]
    assert best_epoch(mean_rows("val_loss", values), "val_loss")["epoch"] == 1
    assert best_epoch(mean_rows("val_loss", values), "val_loss", skip=1)["epoch"] == 3
    assert best_epoch(mean_rows("val_loss", values), "val_loss", skip=4) is None


def test_best_epoch_picks_on_the_smoothed_curve():
    # A single lucky dip at epoch 2 wins raw; the smoothed curve prefers the steady decline at the end.
    values = [1.0, 0.1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15, 0.12]
    rows = mean_rows("val_loss", values)
    assert best_epoch(rows, "val_loss")["epoch"] == 2
    curve = seed_smooth_curve(values, 0.9)
    expected = int(np.argmin(curve)) + 1
    assert expected != 2
    best = best_epoch(rows, "val_loss", smoothing=0.9)
    assert best["epoch"] == expected
    assert best["value"] == values[expected - 1]  # the mean itself, not the smoothed value
    assert best["smoothed"] == pytest.approx(curve[expected - 1], abs=1e-12)
    assert "smoothed" not in best_epoch(rows, "val_loss")


def test_best_epoch_smoothing_starts_after_the_skipped_epochs():
    values = [5.0, 5.0, 1.0, 0.9, 0.97, 0.99]
    best = best_epoch(mean_rows("val_loss", values), "val_loss", smoothing=0.5, skip=2)
    curve = seed_smooth_curve(values[2:], 0.5)
    assert best["epoch"] == int(np.argmin(curve)) + 3
    assert best["smoothed"] == pytest.approx(min(curve), abs=1e-12)


def test_best_epoch_only_counts_epochs_every_fold_reached():
    # Epoch 5 looks best, but only one of three folds got there: it averages a different set of folds.
    rows = mean_rows("val_loss", [0.9, 0.6, 0.5, 0.4, 0.1], folds=[3, 3, 3, 2, 1])
    assert best_epoch(rows, "val_loss")["epoch"] == 5
    assert best_epoch(rows, "val_loss", folds=3)["epoch"] == 3
    assert best_epoch(rows, "val_loss", folds=3, skip=3) is None


def test_best_epoch_ignores_missing_and_non_finite_values():
    rows = mean_rows("val_loss", [0.9, float("nan"), 0.5, float("inf")])
    assert best_epoch(rows, "val_loss")["epoch"] == 3
    assert best_epoch(rows, "val_mae") is None


def test_summarize_is_numpys_mean_and_population_std():
    scores = [{"loss": 0.31, "accuracy": 0.8}, {"loss": 0.27, "accuracy": 0.9}, {"loss": 0.4, "accuracy": 0.85}]
    means, stds = summarize(scores)
    assert list(means) == ["loss", "accuracy"] and list(stds) == ["loss", "accuracy"]
    for name in ("loss", "accuracy"):
        column = np.array([s[name] for s in scores])
        assert means[name] == pytest.approx(column.mean(), abs=1e-12)
        assert stds[name] == pytest.approx(column.std(ddof=0), abs=1e-12)
        assert stds[name] != pytest.approx(column.std(ddof=1), abs=1e-6)
