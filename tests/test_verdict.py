"""verdict.baseline_warning: when a finished run's scores do not beat the baseline, the one line that says so,
with the figures and the fixes that fit the case; no line when the model clearly beats it. Pure Python, fast."""

from __future__ import annotations

import pytest

from nnrun.runs.verdict import HUGE, Hints, baseline_warning

HINTS = Hints(None, 100)

# thoracic.yaml as it trains (seed 777): test accuracy 0.78 against "always 0" at 0.80, training rows barely better
THORACIC = (
    {"train": {"loss": 0.3992, "accuracy": 0.8595}, "test": {"loss": 0.5564, "accuracy": 0.78}},
    {"train": {"accuracy": 0.8571, "loss": 0.4101}, "test": {"accuracy": 0.8, "loss": 0.5125}},
)


def test_a_classifier_at_its_baseline_that_learned_nothing_gets_the_figures_and_the_underfit_fixes():
    warning = baseline_warning(*THORACIC, Hints(470.0, 100))
    assert warning == (
        "no better than the baseline: test accuracy 0.7800 vs baseline 0.8000; barely better than the baseline: "
        "train accuracy 0.8595 vs baseline 0.8571; it learned next to nothing, even on the rows it trained on; try dataset.scale: standard (the "
        "features are not scaled; values reach 470), more epochs (it ran 100), another optimizer.learning_rate or a "
        "larger model; the features may also say little about this target"
    )


def test_a_huge_loss_on_an_unscaled_regression_suggests_scaling_first():
    scores = {"train": {"loss": 5.9e32, "mae": 1.0e16}, "test": {"loss": 6.1e32, "mae": 1.1e16}}
    base = {"train": {"mse": 84.5, "mae": 6.6, "loss": 84.5}, "test": {"mse": 80.1, "mae": 6.4, "loss": 80.1}}
    warning = baseline_warning(scores, base, Hints(711.0, 30))
    assert warning == (
        "the loss is orders of magnitude above the baseline's: test mae 1.1e+16 vs baseline 6.4000, test loss "
        "6.1e+32 vs baseline 80.1000 (7.6e+30 times); try dataset.scale: standard (the features are not scaled; "
        "values reach 711), or a lower optimizer.learning_rate"
    )
    scaled = baseline_warning(scores, base, Hints(None, 30))
    assert scaled.endswith("; try a lower optimizer.learning_rate") and "dataset.scale" not in scaled


def test_a_loss_HUGE_times_the_baseline_is_flagged_even_where_the_metrics_look_fine():
    base = {"test": {"accuracy": 0.6, "loss": 0.67}}
    assert baseline_warning({"test": {"loss": 0.67 * HUGE, "accuracy": 0.9}}, base, HINTS).startswith(
        "the loss is orders of magnitude above the baseline's: test loss 67.0000 vs baseline 0.6700 (100 times)"
    )
    assert baseline_warning({"test": {"loss": 0.67 * HUGE * 0.99, "accuracy": 0.9}}, base, HINTS) is None


def test_a_model_that_beats_the_baseline_only_on_its_training_rows_is_told_it_memorises_them():
    scores = {"train": {"loss": 0.2, "accuracy": 0.95}, "test": {"loss": 0.9, "accuracy": 0.6}}
    base = {"train": {"accuracy": 0.65, "loss": 0.64}, "test": {"accuracy": 0.6, "loss": 0.67}}
    assert baseline_warning(scores, base, HINTS) == (
        "no better than the baseline: test accuracy 0.6000 vs baseline 0.6000 (train accuracy 0.9500 vs baseline "
        "0.6500); it beats the baseline only on the rows it trained on: try early_stopping or fewer epochs, Dropout "
        "layers or a smaller model; the features may also say little about this target"
    )


def test_barely_better_is_said_so_with_the_regression_figures():
    # the unscaled SGD regression of cases/round-2/09 (scale: none, metrics: [mae]): it predicts about the mean
    scores = {"train": {"loss": 126.16, "mae": 9.4563}, "test": {"loss": 71.21, "mae": 7.15}}
    base = {
        "train": {"mse": 121.63, "mae": 9.5638, "loss": 121.63},
        "test": {"mse": 74.25, "mae": 7.2545, "loss": 74.25},
    }
    warning = baseline_warning(scores, base, Hints(711.0, 30))
    assert warning.startswith(
        "barely better than the baseline: test mae 7.1500 vs baseline 7.2545; "
        "train mae 9.4563 vs baseline 9.5638; it learned next to nothing"
    )


@pytest.mark.parametrize(
    ("scores", "base"),
    [
        # pima.yaml: 75 % against 60 %, although its overfit test cross-entropy is above the baseline's
        (
            {"train": {"loss": 0.39, "accuracy": 0.81}, "test": {"loss": 0.78, "accuracy": 0.75}},
            {"train": {"accuracy": 0.65, "loss": 0.64}, "test": {"accuracy": 0.60, "loss": 0.67}},
        ),
        # boston k-fold: mean validation mae 2.5 against 6.4, refit test 2.1 against 7.7
        (
            {
                "train": {"loss": 7.1, "mae": 1.87},
                "validation": {"loss": 14.9, "mae": 2.55},
                "test": {"loss": 9.1, "mae": 2.1},
            },
            {
                "train": {"mse": 84.0, "mae": 6.6, "loss": 84.0},
                "validation": {"mse": 80.7, "mae": 6.4, "loss": 80.7},
                "test": {"mse": 99.5, "mae": 7.7, "loss": 99.5},
            },
        ),
        # no metric the baseline scores: the loss decides
        ({"test": {"loss": 0.3}}, {"test": {"accuracy": 0.6, "loss": 0.67}}),
    ],
)
def test_a_model_that_clearly_beats_the_baseline_gets_no_warning(scores, base):
    assert baseline_warning(scores, base, HINTS) is None


def test_the_loss_decides_only_when_no_metric_is_comparable():
    base = {"test": {"accuracy": 0.6, "loss": 0.67}}
    assert baseline_warning({"test": {"loss": 0.7}}, base, HINTS).startswith(
        "no better than the baseline: test loss 0.7000 vs baseline 0.6700"
    )
    assert baseline_warning({"test": {"loss": 0.7, "accuracy": 0.9}}, base, HINTS) is None


def test_the_metric_direction_and_keras_metric_names_are_used():
    base = {"test": {"mse": 10.0, "mae": 2.0, "loss": 10.0}}
    assert baseline_warning({"test": {"loss": 5.0, "mean_absolute_error": 2.5}}, base, HINTS).startswith(
        "no better than the baseline: test mean_absolute_error 2.5000 vs baseline 2.0000"
    )
    assert baseline_warning({"test": {"loss": 5.0, "mean_absolute_error": 1.0}}, base, HINTS) is None
    accuracy = {"test": {"accuracy": 0.5}}
    assert baseline_warning({"test": {"binary_accuracy": 0.5}}, accuracy, HINTS).startswith(
        "no better than the baseline: test binary_accuracy 0.5000 vs baseline 0.5000"
    )


def test_float32_scores_equal_to_the_baseline_are_no_better():
    import numpy as np

    tied = float(np.float32(43 / 50))  # Keras's float32 accuracy of 43 right out of 50, a hair above 43/50
    assert tied > 43 / 50
    warning = baseline_warning({"test": {"accuracy": tied}}, {"test": {"accuracy": 43 / 50}}, HINTS)
    assert warning.startswith("no better than the baseline: test accuracy 0.8600 vs baseline 0.8600")


def test_training_rows_alone_are_judged_when_nothing_is_held_out():
    base = {"train": {"accuracy": 0.75, "loss": 0.56}}
    assert baseline_warning({"train": {"accuracy": 0.76, "loss": 0.5}}, base, HINTS).startswith(
        "barely better than the baseline: train accuracy 0.7600 vs baseline 0.7500; it learned next to nothing; "
        "try more epochs (it ran 100), another optimizer.learning_rate or a larger model"
    )
    assert baseline_warning({"train": {"accuracy": 1.0, "loss": 0.1}}, base, HINTS) is None


def test_training_rows_barely_better_while_the_test_rows_clearly_are_is_no_warning():
    scores = {"train": {"accuracy": 0.76}, "test": {"accuracy": 0.9}}
    assert baseline_warning(scores, {"train": {"accuracy": 0.75}, "test": {"accuracy": 0.6}}, HINTS) is None
    worse = baseline_warning(
        {"train": {"accuracy": 0.7}, "test": {"accuracy": 0.9}},
        {"train": {"accuracy": 0.75}, "test": {"accuracy": 0.6}},
        HINTS,
    )
    assert worse.startswith(
        "no better than the baseline: train accuracy 0.7000 vs baseline 0.7500; it learned next to nothing; "
    )


def test_early_stopping_turns_more_epochs_into_more_patience():
    stopped = baseline_warning(*THORACIC, Hints(None, 12, stopped_early=True))
    assert "a larger early_stopping.patience (it stopped at epoch 12)" in stopped and "more epochs" not in stopped


def test_kfold_labels_name_the_splits():
    scores = {"train": {"accuracy": 0.62}, "validation": {"accuracy": 0.6}, "test": {"accuracy": 0.9}}
    base = {"train": {"accuracy": 0.65}, "validation": {"accuracy": 0.65}, "test": {"accuracy": 0.6}}
    warning = baseline_warning(
        scores, base, HINTS, labels={"train": "mean train", "validation": "mean validation", "test": "refit test"}
    )
    assert warning.startswith(
        "no better than the baseline: mean validation accuracy 0.6000 vs baseline 0.6500; "
        "mean train accuracy 0.6200 vs baseline 0.6500; it learned next to nothing, even on the "
        "rows it trained on"
    )


def test_missing_or_non_finite_scores_are_not_judged():
    assert baseline_warning({}, {}, HINTS) is None
    assert baseline_warning({"test": {"accuracy": None}}, {"test": {"accuracy": 0.6}}, HINTS) is None
    assert baseline_warning({"test": {"f1_score[0]": 0.1}}, {"test": {"accuracy": 0.6}}, HINTS) is None


# --- review finding 10: a lead phrase true of every figure it leads; every spelling Keras reports ---


def test_each_figure_is_led_by_the_phrase_true_of_it():
    # boston, unscaled, sgd, learning_rate 1e-6: the test mae is barely better, the training mae no better
    scores = {"train": {"loss": 95.2, "mae": 6.9012}, "test": {"loss": 80.3, "mae": 7.6136}}
    base = {"train": {"mse": 84.4, "mae": 6.6001, "loss": 84.4}, "test": {"mse": 81.0, "mae": 7.7387, "loss": 81.0}}
    assert baseline_warning(scores, base, Hints(711.0, 30)).startswith(
        "barely better than the baseline: test mae 7.6136 vs baseline 7.7387; no better than the baseline: train mae "
        "6.9012 vs baseline 6.6001; it learned next to nothing, even on the rows it trained on; "
    )


def test_figures_of_one_split_get_their_own_lead_phrase_too():
    scores = {"test": {"loss": 80.0, "mae": 7.6, "mse": 82.0}}
    base = {"test": {"mse": 81.0, "mae": 7.7, "loss": 81.0}}
    assert baseline_warning(scores, base, HINTS).startswith(
        "barely better than the baseline: test mae 7.6000 vs baseline 7.7000; no better than the baseline: test mse "
        "82.0000 vs baseline 81.0000; "
    )


@pytest.mark.parametrize(
    "name",
    [
        "Accuracy",
        "ACCURACY",
        "Acc",
        "acc",
        "BinaryAccuracy",
        "binary_accuracy",
        "SparseCategoricalAccuracy",
        "CategoricalAccuracy",
    ],
)
def test_every_spelling_of_accuracy_keras_reports_is_judged_as_accuracy(name):
    # Keras reports a metric given by name under that very spelling; a high cross-entropy must not decide
    base = {"test": {"accuracy": 0.5, "loss": 0.69}}
    assert baseline_warning({"test": {"loss": 0.9, name: 0.9}}, base, HINTS) is None
    assert baseline_warning({"test": {"loss": 0.5, name: 0.5}}, base, HINTS).startswith(
        f"no better than the baseline: test {name} 0.5000 vs baseline 0.5000; "
    )


@pytest.mark.parametrize(
    ("name", "base_name"),
    [("MAE", "mae"), ("MeanAbsoluteError", "mae"), ("Mae", "mae"), ("MSE", "mse"), ("MeanSquaredError", "mse")],
)
def test_every_spelling_of_the_errors_is_judged_against_the_baselines_error(name, base_name):
    base = {"test": {"mse": 10.0, "mae": 2.0, "loss": 10.0}}
    assert baseline_warning({"test": {"loss": 50.0, name: 0.5}}, base, HINTS) is None
    assert baseline_warning({"test": {"loss": 5.0, name: 20.0}}, base, HINTS).startswith(
        f"no better than the baseline: test {name} 20.0000 vs baseline {base['test'][base_name]:.4f}"
    )
