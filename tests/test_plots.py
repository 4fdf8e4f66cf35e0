"""The pictures: history.png of a train run and of a k-fold run, confusion.png/.csv, and `compare --plot`.

Figures are drawn with warnings turned into errors (a matplotlib warning is what leaked to stderr) and inspected
through their Axes: what each panel shows, its scale, and where the legend sits. The run-folder tests train tiny
models (a second each)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import CONFIGS, tiny_config

from nnrun.runs.record import read_run
from nnrun.views import confusion, plots

# What matplotlib warns would reach the user's stderr: drawing tests fail on any warning. (Not the tests that
# train: the ML frameworks' own deprecation warnings are not ours to fail on.)
STRICT = pytest.mark.filterwarnings("error")


def history(n: int = 10, **curves) -> list[dict[str, float]]:
    return [{"epoch": e + 1, **{k: f(e) for k, f in curves.items()}} for e in range(n)]


TRAIN_METRICS = {
    "name": "pima",
    "kind": "train",
    "status": "completed",
    "epochs": 10,
    "epochs_run": 8,
    "stopped_early": True,
    "restored_epoch": 5,
    "best": {"monitor": "val_loss", "value": 0.4},
    "test": {"loss": 0.45, "accuracy": 0.75},
    "baseline": {
        "rule": "always 0 (the most frequent training class)",
        "train": {"loss": 0.64, "accuracy": 0.65},
        "validation": {"loss": 0.66, "accuracy": 0.62},
        "test": {"loss": 0.68, "accuracy": 0.6},
    },
}
ROWS = history(
    8,
    loss=lambda e: 0.7 - 0.04 * e,
    accuracy=lambda e: 0.6 + 0.03 * e,
    val_loss=lambda e: 0.7 - 0.03 * e,
    val_accuracy=lambda e: 0.6 + 0.02 * e,
)


def drawn(fig):
    fig.canvas.draw()  # lays the figure out (constrained layout runs here), as saving does
    return fig


def panels(fig):
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def hlines(ax) -> list[float]:
    return [
        line.get_ydata()[0]
        for line in ax.get_lines()
        if len(set(line.get_ydata())) == 1 and len(line.get_xdata()) == 2 and line.get_gid() == "baseline"
    ]


def vlines(ax) -> list[float]:
    return [
        line.get_xdata()[0]
        for line in ax.get_lines()
        if len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1] and line.get_linestyle() == "-."
    ]


def assert_labels_apart(fig):
    """No two texts drawn on the axes (the runs' numbers at their curves' ends) overlap."""
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].texts]
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]


def assert_legend_outside(fig):
    """Every legend is the figure's, within the figure's width (not cut at its edges), and its box overlaps no
    panel."""
    assert all(ax.get_legend() is None for ax in fig.axes)
    assert fig.legends, "no legend"
    renderer = fig.canvas.get_renderer()
    for legend in fig.legends:
        box = legend.get_window_extent(renderer)
        assert 0 <= box.x0 and box.x1 <= fig.bbox.width, (box, fig.bbox)
        for ax in panels(fig):
            assert not box.overlaps(ax.get_window_extent(renderer)), ax.get_title()


# --- history.png of a train run ---


@STRICT
def test_train_history_shows_baselines_kept_epoch_and_test_score():
    fig = drawn(plots.history_figure(ROWS, TRAIN_METRICS))
    loss, accuracy = panels(fig)
    assert (loss.get_title(), accuracy.get_title()) == ("loss", "accuracy")
    assert sorted(hlines(loss)) == [0.64, 0.66, 0.68] and sorted(hlines(accuracy)) == [0.6, 0.62, 0.65]
    assert vlines(loss) == [5] and vlines(accuracy) == [5]  # the restored epoch, not the last (8)
    [star] = [line for line in accuracy.get_lines() if line.get_marker() == "*"]
    assert (list(star.get_xdata()), list(star.get_ydata())) == ([5], [0.75])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "weights kept: epoch 5 (best val_loss, restored)" in labels
    assert "test score of the kept weights" in labels and "baseline, test rows" in labels
    assert fig.legends[0].get_title().get_text() == "baseline = always 0 (the most frequent training class)"
    assert fig.get_suptitle() == "pima: completed, 8 of 10 epochs (stopped early)"
    assert_legend_outside(fig)


@STRICT
def test_a_metric_spelt_otherwise_still_gets_its_baseline():
    # Keras reports a metric under the spelling the config gives (`Acc`, `MAE`); the baseline scores it as accuracy
    rows = [{"epoch": r["epoch"], "loss": r["loss"], "Acc": r["accuracy"]} for r in ROWS]
    accuracy = panels(drawn(plots.history_figure(rows, TRAIN_METRICS)))[1]
    assert accuracy.get_title() == "Acc" and sorted(hlines(accuracy)) == [0.6, 0.62, 0.65]


@STRICT
def test_without_restored_weights_the_kept_epoch_is_the_last():
    metrics = {k: v for k, v in TRAIN_METRICS.items() if k != "restored_epoch"}
    loss = panels(drawn(plots.history_figure(ROWS, metrics)))[0]
    assert vlines(loss) == [8]
    [star] = [line for line in loss.get_lines() if line.get_marker() == "*"]
    assert list(star.get_xdata()) == [8]


@STRICT
def test_a_run_without_test_rows_draws_no_test_score():
    metrics = {k: v for k, v in TRAIN_METRICS.items() if k != "test"}
    fig = drawn(plots.history_figure(ROWS, metrics))
    assert not [line for ax in panels(fig) for line in ax.get_lines() if line.get_marker() == "*"]


@STRICT
def test_log_scale_when_values_span_more_than_one_decade():
    # boston's loss falls from 500 to about 10, 1.7 decades: on a linear axis everything after epoch 7 lay flat
    falling = history(30, loss=lambda e: 10 + 490 * 0.7**e, mae=lambda e: 5 - 0.1 * e)  # 500 -> 10; 5 -> 2.1
    loss, mae = panels(drawn(plots.history_figure(falling, {"name": "x", "status": "completed"})))
    assert loss.get_yscale() == "log" and mae.get_yscale() == "linear"
    assert loss.get_ylabel() == "loss (log scale)" and mae.get_ylabel() == ""  # a log axis says so
    assert plots.spans_decades([100, 9.9]) and not plots.spans_decades([100, 10.0])
    assert not plots.spans_decades([1000, 0.001, -1.0])  # a negative value has no log


@STRICT
def test_a_baseline_far_off_the_curves_is_an_arrow_not_a_squeezed_axis():
    rows = history(5, loss=lambda e: 12 - e, val_loss=lambda e: 14 - e)  # 8 .. 14
    metrics = {
        "name": "boston",
        "status": "completed",
        "baseline": {"rule": "always 22.5 (the training mean)", "train": {"loss": 80.7}, "validation": {"loss": 13}},
    }
    [ax] = panels(drawn(plots.history_figure(rows, metrics)))
    assert hlines(ax) == [13]
    assert ax.get_ylim()[1] < 20
    [text] = [t for t in ax.texts if t.get_gid() != "baseline-tag"]
    assert text.get_text() == "↑ baseline, training rows: 80.7 (off the scale)"
    assert [t.get_text() for t in ax.texts if t.get_gid() == "baseline-tag"] == ["baseline: validation"]
    # centred on a white box: the kept epoch's line near the right edge no longer runs through its words
    assert text.get_horizontalalignment() == "center" and text.get_bbox_patch() is not None


@STRICT
def test_an_interrupted_run_without_a_test_score_draws_no_test_baseline():
    metrics = {k: v for k, v in TRAIN_METRICS.items() if k != "test"} | {"status": "interrupted"}
    fig = drawn(plots.history_figure(ROWS, metrics))
    loss, accuracy = panels(fig)
    assert sorted(hlines(loss)) == [0.64, 0.66] and sorted(hlines(accuracy)) == [0.62, 0.65]
    assert not any("test" in t.get_text() for t in fig.legends[0].get_texts())


@STRICT
def test_a_log_axis_writes_its_ticks_as_plain_numbers():
    falling = history(30, loss=lambda e: 1000 * 0.7**e)
    (loss,) = panels(drawn(plots.history_figure(falling, {"name": "x", "status": "completed"})))
    labels = [t.get_text() for t in loss.get_yticklabels() if t.get_text()]
    assert labels and all(re.fullmatch(r"[0-9.e+-]+", t) for t in labels), labels  # not $\mathdefault{10^{2}}$


@STRICT
def test_coinciding_baselines_are_one_line_in_a_colour_no_curve_has():
    # thoracic: the training baseline 0.8571 lay on the blue training curve, in its blue, and vanished there
    metrics = {
        "name": "thoracic",
        "status": "completed",
        "test": {"accuracy": 0.78},
        "baseline": {"train": {"accuracy": 0.8571}, "validation": {"accuracy": 0.8574}, "test": {"accuracy": 0.8}},
    }
    rows = history(
        8, loss=lambda e: 1 - 0.05 * e, accuracy=lambda e: min(0.8571, 0.6 + 0.05 * e), val_accuracy=lambda e: 0.84
    )
    fig = drawn(plots.history_figure(rows, metrics))
    accuracy = panels(fig)[1]
    assert sorted(hlines(accuracy)) == [0.8, 0.8571]  # train and validation, 0.03% apart: one line
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "baseline, training and validation rows" in labels and "baseline, test rows" in labels
    curves = {
        line.get_color()
        for line in accuracy.get_lines()
        if line.get_gid() != "baseline" and line.get_linestyle() in ("-", "--")
    }
    baselines = {line.get_color() for line in accuracy.get_lines() if line.get_gid() == "baseline"}
    assert len(baselines) == 2 and not baselines & curves
    assert all(
        line.get_zorder() > curves_z
        for line in accuracy.get_lines()
        if line.get_gid() == "baseline"
        for curves_z in [accuracy.get_lines()[0].get_zorder()]
    )  # on top: the curve shows through the gaps


THORACIC = {
    "name": "thoracic",
    "status": "completed",
    "epochs": 30,
    "epochs_run": 30,
    "test": {"loss": 0.58, "accuracy": 0.78},
    "baseline": {
        "rule": "always 0 (the most frequent training class)",
        "train": {"loss": 0.4136, "accuracy": 0.8571},
        "test": {"loss": 0.5, "accuracy": 0.8},
    },
}


@STRICT
def test_a_curve_on_its_baseline_leaves_the_baseline_seen_and_says_so():
    # thoracic: the training accuracy lay exactly on the training baseline from epoch 8, and hid it
    rows = history(
        30, loss=lambda e: 0.4136 * (1 + 3 / (e + 1)), accuracy=lambda e: 0.8571 if e >= 7 else 0.5 + 0.05 * e
    )
    loss, accuracy = panels(drawn(plots.history_figure(rows, THORACIC)))
    assert accuracy.get_title() == "accuracy\ntraining curve = baseline from epoch 8"
    assert loss.get_title() == "loss"  # 8% above its baseline at the end: apart, and not said to be on it
    # pima-kfold: a mean training loss 6% above its baseline, on a panel spanning 0.4 to 5, is near it, not on it
    near = history(60, loss=lambda e: 0.6438 * 1.06 if e > 30 else 5 - 0.14 * e)
    assert (
        plots._on_baseline([r["epoch"] for r in near], [r["loss"] for r in near], 0.6438, [0.4, 5.2], "training") == ""
    )
    curve = next(line for line in accuracy.get_lines() if line.get_label() == "training rows")
    [line] = [line for line in accuracy.get_lines() if line.get_gid() == "baseline" and line.get_ydata()[0] == 0.8571]
    # above the curve, wider than it, in gaps the curve shows through: both seen where they coincide
    assert line.get_zorder() > curve.get_zorder() and line.get_linewidth() > curve.get_linewidth()
    offset, dashes = line._unscaled_dash_pattern
    assert dashes and len(dashes) == 2 and line.get_color() != curve.get_color()


@STRICT
def test_each_baseline_is_named_clear_of_the_curves_and_close_ones_on_either_side():
    # diabetes: the loss panel's "training and validation" and the mae panel's "training, validation and test"
    # baselines were two black lines of one look in the legend; each now says which it is, in its panel
    metrics = {
        "name": "diabetes",
        "status": "completed",
        "test": {"loss": 2900.0, "mae": 42.0},
        "baseline": {
            "rule": "always 151.2 (the training mean)",
            "train": {"loss": 6000.0, "mae": 66.0},
            "validation": {"loss": 6010.0, "mae": 66.1},
            "test": {"loss": 5400.0, "mae": 66.2},
        },
    }
    rows = history(
        60,
        loss=lambda e: 2500 + 30000 * 0.7**e,
        mae=lambda e: 40 + 130 * 0.8**e,
        val_loss=lambda e: 3000 + 32000 * 0.7**e,
        val_mae=lambda e: 45 + 130 * 0.8**e,
    )
    fig = drawn(plots.history_figure(rows, metrics))
    loss, mae = panels(fig)
    tags = {t.get_text(): t for t in loss.texts if t.get_gid() == "baseline-tag"}
    assert set(tags) == {"baseline: training + validation", "baseline: test"}
    assert [t.get_text() for t in mae.texts if t.get_gid() == "baseline-tag"] == [
        "baseline: training + validation + test"
    ]
    renderer = fig.canvas.get_renderer()
    upper, lower = tags["baseline: training + validation"], tags["baseline: test"]
    assert upper.get_window_extent(renderer).y0 > lower.get_window_extent(renderer).y1  # apart: one above, one below
    for ax in (loss, mae):  # no curve runs through a name, nor does the test star sit on one
        for tag in (t for t in ax.texts if t.get_gid() == "baseline-tag"):
            box = tag.get_window_extent(renderer)
            for line in ax.get_lines():
                if line.get_gid() != "baseline" and len(line.get_xdata()) > 2 or line.get_marker() == "*":
                    points = ax.transData.transform(line.get_xydata())
                    assert not any(box.contains(x, y) for x, y in points), (tag.get_text(), line.get_label())


@STRICT
def test_a_curve_on_its_baseline_from_the_first_epoch_and_a_k_fold_mean():
    rows = history(5, loss=lambda e: 0.5, accuracy=lambda e: 0.8571)
    _, accuracy = panels(drawn(plots.history_figure(rows, THORACIC)))
    assert accuracy.get_title() == "accuracy\ntraining curve = baseline"
    histories, mean, _ = kfold_inputs()
    flat = [{**r, "val_loss_mean": 0.9} for r in mean]  # the mean validation loss on its baseline throughout
    fig = drawn(
        plots.kfold_figure(
            histories, flat, "pima", monitor="val_loss", metrics={"baseline": {"validation": {"loss": 0.9}}}
        )
    )
    assert fig.axes[0].get_title() == "loss: mean over the folds\nmean validation curve = baseline"


@STRICT
def test_baselines_merge_when_the_panel_could_not_tell_them_apart():
    # boston fold 2: mae baselines 6.43 and 6.39 on a 2..20 panel drew as two overlapping lines, and so did mse
    # baselines 81.8 and 77.2 on a log panel from 8 to 500; 81.8 and 60 there lie visibly apart
    metrics = {
        "name": "boston",
        "status": "completed",
        "baseline": {"train": {"loss": 81.77, "mae": 6.4255}, "validation": {"loss": 60.0, "mae": 6.3906}},
    }
    rows = history(
        30,
        loss=lambda e: 8 + 500 * 0.7**e,
        mae=lambda e: 2 + 18 * 0.8**e,
        val_loss=lambda e: 8 + 450 * 0.7**e,
        val_mae=lambda e: 2 + 17 * 0.8**e,
    )
    loss, mae = panels(drawn(plots.history_figure(rows, metrics)))
    assert loss.get_yscale() == "log" and sorted(hlines(loss)) == [60.0, 81.77]
    assert plots._same(81.77, 77.23, [8, 500]) and not plots._same(81.77, 60, [8, 500])
    assert hlines(mae) == [6.4255]


@STRICT
def test_the_title_carries_the_head_of_the_runs_warning():
    metrics = {
        **TRAIN_METRICS,
        "warnings": [
            "no better than the baseline: test accuracy 0.7800 vs baseline 0.8000; try dataset.scale: standard"
        ],
    }
    title = drawn(plots.history_figure(ROWS, metrics)).get_suptitle()
    assert title == (
        "pima: completed, 8 of 10 epochs (stopped early)\n"
        "warning: no better than the baseline (nnrun show has the details)"
    )
    histories, mean, kmetrics = kfold_inputs()
    fig = drawn(
        plots.kfold_figure(
            histories,
            mean,
            "boston",
            monitor="val_loss",
            metrics={**kmetrics, "warnings": ["barely better than the baseline: ..."]},
        )
    )
    assert fig.get_suptitle() == "boston\nwarning: barely better than the baseline (nnrun show has the details)"


@STRICT
def test_the_refit_says_it_is_the_refit_and_on_how_many_rows():
    metrics = {
        "name": "boston",
        "kind": "refit",
        "status": "completed",
        "epochs": 74,
        "epochs_run": 74,
        "rows": {"train": 404, "test": 102},
    }
    title = drawn(plots.history_figure(history(3, loss=lambda e: 1.0 / (e + 1)), metrics)).get_suptitle()
    assert " ".join(title.split()) == "boston: the k-fold run's refit (completed), 74 epochs on all 404 training rows"


@STRICT
def test_many_metrics_wrap_into_rows_of_three_panels():
    names = ["loss", "a", "b", "c", "d"]
    rows = history(3, **{n: (lambda e: 1.0 + e) for n in names})
    fig = drawn(plots.history_figure(rows, {"name": "x", "status": "completed"}))
    assert [ax.get_title() for ax in panels(fig)] == names
    assert_legend_outside(fig)


@STRICT
def test_a_one_panel_title_is_wrapped_inside_the_figure():
    # a loss-only run has one panel, 5.2 in wide: its name, status and warning were cut at both edges
    metrics = {
        "name": "boston-search-base",
        "kind": "fold",
        "fold": 2,
        "k": 3,
        "status": "completed",
        "epochs": 100,
        "epochs_run": 28,
        "stopped_early": True,
        "warnings": ["no better than the baseline: val_loss 80 against 70"],
    }
    fig = drawn(
        plots.history_figure(history(28, loss=lambda e: 100 / (e + 1), val_loss=lambda e: 90 / (e + 1)), metrics)
    )
    assert len(panels(fig)) == 1
    box = fig._suptitle.get_window_extent(fig.canvas.get_renderer())
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width, (box, fig.bbox)
    words = " ".join(fig.get_suptitle().split())
    assert words == (
        "boston-search-base: fold 2 of 3 (completed), 28 of 100 epochs (stopped early) warning: no "
        "better than the baseline (nnrun show has the details)"
    )


@STRICT
def test_a_run_stopped_before_its_first_epoch_draws_a_note_not_empty_axes():
    metrics = {
        "name": "pima-kfold",
        "kind": "refit",
        "status": "interrupted",
        "epochs": 300,
        "epochs_run": 0,
        "rows": {"train": 700},
        "baseline": {"train": {"loss": 0.64}},
    }
    fig = drawn(plots.history_figure([], metrics))
    assert panels(fig) == []
    assert [t.get_text() for t in fig.texts if t.get_gid() == "nothing-to-draw"] == [
        "interrupted before its first epoch ended: nothing to draw"
    ]
    box = fig._suptitle.get_window_extent(fig.canvas.get_renderer())
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width


def test_kfold_title_says_the_refit_was_interrupted_not_the_folds():
    metrics = {
        "epochs": 300,
        "folds_done": 5,
        "rows": {"train": 700},
        "stopped_in": "final",
        "final": {"status": "interrupted", "epochs": 300, "epochs_run": 0},
    }
    assert plots.kfold_title("pima-kfold", 5, "interrupted", metrics) == (
        "pima-kfold: 5-fold cross-validation (completed), up to 300 epochs per fold; the refit on all 700 training"
        " rows interrupted before its first epoch"
    )
    metrics["final"]["epochs_run"] = 12
    assert plots.kfold_title("pima-kfold", 5, "interrupted", metrics).endswith(
        "; the refit on all 700 training rows interrupted at epoch 12"
    )


# --- history.png of a k-fold run ---


def kfold_inputs(k: int = 3):
    from nnrun.runs.curves import mean_history

    histories = [
        history(
            12,
            loss=lambda e, i=i: 100 / (e + 1) + i,
            mae=lambda e, i=i: 9 - 0.5 * e + i,
            val_loss=lambda e, i=i: 120 / (e + 1) + i,
            val_mae=lambda e, i=i: 10 - 0.5 * e + i,
        )
        for i in range(k)
    ]
    metrics = {
        "k": k,
        "baseline": {"validation": {"loss": 60.0, "mae": 6.0}, "test": {"loss": 62.0, "mae": 3.0}},
        "final": {"status": "completed", "epochs": 9, "epochs_run": 9},
        "test": {"loss": 9.5, "mae": 2.5},
    }
    return histories, mean_history(histories), metrics


@STRICT
def test_kfold_history_shows_every_metric_with_band_folds_best_epoch_and_refit():
    histories, mean, metrics = kfold_inputs()
    fig = drawn(
        plots.kfold_figure(
            histories,
            mean,
            "boston",
            monitor="val_mae",
            smoothing=0.5,
            skip=2,
            best={"epoch": 9, "monitor": "val_mae", "value": 6.5},
            metrics=metrics,
        )
    )
    axes = panels(fig)
    assert [ax.get_title() for ax in axes] == [
        "loss: mean over the folds, from epoch 3",
        "val_loss of each fold, from epoch 3",
        "mae: mean over the folds, from epoch 3",
        "val_mae of each fold, from epoch 3",
    ]
    loss_mean, loss_folds, mae_mean, mae_folds = axes
    assert len(loss_mean.collections) == 1 and len(mae_mean.collections) == 1  # the ± std band
    assert vlines(loss_mean) == [9] and vlines(mae_mean) == [9]
    assert hlines(mae_mean) == [6.0, 3.0]  # the folds' validation rows' and, with the refit's star, the test rows'
    [star] = [line for line in mae_mean.get_lines() if line.get_marker() == "*"]
    assert (list(star.get_xdata()), list(star.get_ydata())) == ([9], [2.5])
    assert len(loss_folds.get_lines()) == 3 and loss_folds.get_lines()[0].get_xdata()[0] == 3
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {
        "fold 1",
        "fold 2",
        "fold 3",
        "val_mae smoothed (factor 0.5): picks the best epoch",
        "validation: mean of 3 folds",
    } <= set(labels)
    assert_legend_outside(fig)


@STRICT
def test_kfold_mean_over_fewer_folds_is_dotted_from_where_a_fold_stopped_and_says_so():
    from nnrun.runs.curves import mean_history

    # fold 2 stopped early at epoch 6, the others ran 10: from epoch 7 the mean is over 2 folds
    histories = [
        history(
            6 if i == 1 else 10,
            loss=lambda e, i=i: 1 - 0.05 * e + i / 10,
            val_loss=lambda e, i=i: 1.1 - 0.04 * e + i / 10,
        )
        for i in range(3)
    ]
    mean = mean_history(histories)
    assert [r["folds"] for r in mean] == [3] * 6 + [2] * 4
    fig = drawn(plots.kfold_figure(histories, mean, "x", monitor="val_loss", metrics={"k": 3}))
    left = panels(fig)[0]
    solid = [line for line in left.get_lines() if line.get_label() == "validation: mean of 3 folds"]
    dotted = [line for line in left.get_lines() if line.get_gid() == "fewer-folds"]
    assert list(solid[0].get_xdata()) == [1, 2, 3, 4, 5, 6]
    assert [list(line.get_xdata()) for line in dotted] == [[6, 7, 8, 9, 10]] * 2  # validation and training
    assert all(line.get_linestyle() == ":" for line in dotted)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "validation: mean of the folds still running (from epoch 7: 2 of 3 folds)" in labels
    assert "training: mean of the folds still running (from epoch 7: 2 of 3 folds)" in labels
    # every fold as long: no dotted part
    histories = [history(10, loss=lambda e: 1 - 0.05 * e, val_loss=lambda e: 1 - 0.04 * e)] * 3
    left = panels(drawn(plots.kfold_figure(histories, mean_history(histories), "x", monitor="val_loss")))[0]
    assert not [line for line in left.get_lines() if line.get_gid() == "fewer-folds"]


@STRICT
def test_baselines_off_the_scale_are_said_one_below_the_other():
    histories, mean, metrics = kfold_inputs()
    metrics = {**metrics, "baseline": {"train": {"mae": 600.0}, "validation": {"mae": 900.0}, "test": {"mae": 3000.0}}}
    fig = drawn(plots.kfold_figure(histories, mean, "boston", monitor="val_mae", metrics=metrics))
    mae_mean = panels(fig)[2]
    notes = [t for t in mae_mean.texts if "off the scale" in t.get_text()]
    assert len(notes) >= 2
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in notes]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert_legend_outside(fig)


@STRICT
def test_kfold_with_many_folds_has_one_legend_entry_for_them():
    histories, mean, metrics = kfold_inputs(k=12)
    fig = drawn(plots.kfold_figure(histories, mean, "x", monitor="val_loss", metrics=metrics))
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "each of the 12 folds" in labels and "fold 1" not in labels
    assert_legend_outside(fig)


@STRICT
def test_kfold_fold_colours_share_no_hue_with_the_splits_and_the_rule_titles_the_legend():
    from matplotlib.colors import to_hex

    histories, mean, metrics = kfold_inputs(k=7)
    metrics["baseline"]["rule"] = "each fold's training mean"
    fig = drawn(plots.kfold_figure(histories, mean, "x", monitor="val_loss", metrics=metrics))
    folds = [to_hex(line.get_color()) for line in panels(fig)[1].get_lines()]
    splits = {to_hex(c) for c in (plots.TRAINING, plots.VALIDATION, plots.TEST, *plots.BASELINE_COLOURS.values())}
    assert len(set(folds)) == 7 and not set(folds) & splits
    assert fig.legends[0].get_title().get_text() == "baseline = each fold's training mean"


# --- confusion matrix ---

# --- confusion matrix ---


@STRICT
def test_predicted_ids_of_binary_sparse_and_one_hot_outputs():
    assert list(confusion.predicted_ids(np.array([[0.2], [0.5], [0.51], [0.9]]), "binary")) == [0, 0, 1, 1]
    assert list(confusion.predicted_ids(np.array([[-0.1], [0.3]]), "binary", logits=True)) == [0, 1]
    probs = np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]])
    assert list(confusion.predicted_ids(probs, "sparse")) == [1, 0]
    assert list(confusion.predicted_ids(probs, "onehot")) == [1, 0]
    assert list(confusion.true_ids(np.array([[0, 0, 1], [1, 0, 0]]))) == [2, 0]
    assert list(confusion.true_ids(np.array([[1.0], [0.0]]))) == [1, 0]


@STRICT
def test_confusion_matrix_counts_a_known_case():
    truth = np.array([0, 0, 0, 1, 1, 2])
    predicted = np.array([0, 1, 0, 1, 1, 1])
    counts = confusion.matrix(truth, predicted, 4)  # class 3 has no rows: still a row and a column of zeros
    assert counts.tolist() == [[2, 1, 0, 0], [0, 2, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    assert confusion.recalls(counts) == [pytest.approx(2 / 3), 1.0, 0.0, None]
    # an id beyond the classes (a model with more output units than classes) is left out, as scikit-learn leaves it
    assert confusion.matrix(np.array([0, 1, 1]), np.array([0, 5, 1]), 2).tolist() == [[1, 0], [0, 1]]


@STRICT
def test_confusion_csv_names_the_rows_it_counts_and_reads_back(tmp_path):
    counts = np.array([[5, 1], [2, 7]])
    text = confusion.csv_text(counts, ["no", "yes"], "validation")
    assert text == "true \\ predicted (validation rows),no,yes\nno,5,1\nyes,2,7\n"
    (tmp_path / "confusion.csv").write_text(text)
    assert confusion.read_csv(tmp_path / "confusion.csv") == {
        "split": "validation",
        "classes": ["no", "yes"],
        "counts": [[5, 1], [2, 7]],
    }


@STRICT
def test_confusion_figure_has_class_names_counts_and_recall():
    fig = drawn(plots.confusion_figure(np.array([[5, 1], [2, 7]]), ["no", "yes"], "x: test rows"))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["no", "yes"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["no (0.833)", "yes (0.778)"]
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "5", "7"]


@STRICT
def test_confusion_figure_and_show_round_a_recall_alike(cli, tmp_path):
    # 39 of 40: confusion.png said 98%, show 0.97
    counts = np.array([[39, 1], [0, 10]])
    ax = drawn(plots.confusion_figure(counts, ["0", "1"], "x")).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0 (0.975)", "1 (1.000)"]
    run = write_run(tmp_path, "20261122-080000-x", 0.01, [0.9])
    (run / "confusion.csv").write_text(confusion.csv_text(counts, ["0", "1"], "test"))
    assert "0.975" in cli("show", run).stdout


@STRICT
def test_confusion_figure_of_many_classes_renders():
    counts = np.diag(np.arange(1, 47))
    fig = drawn(plots.confusion_figure(counts, [f"topic {i}" for i in range(46)], "reuters"))
    assert not fig.axes[0].texts  # 46 x 46 numbers would not fit their cells


# --- compare --plot ---


def write_run(root: Path, name: str, lr: float, losses: list[float], status: str = "completed", **changes) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    config = {"name": "pima", "optimizer": {"name": "adam", "learning_rate": lr}, "epochs": len(losses), **changes}
    (folder / "metrics.json").write_text(
        json.dumps({"status": status, "kind": "train", "name": "pima", "config": config, "epochs_run": len(losses)})
    )
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    (folder / "history.csv").write_text(
        "epoch,loss,val_loss\n" + "".join(f"{e + 1},{v},{v}\n" for e, v in enumerate(losses))
    )
    return folder


@STRICT
def test_compare_plot_marks_identical_curves_labels_every_run_alike_and_keeps_the_legend_off(tmp_path):
    from nnrun.views import compare as cmp

    same = [0.9, 0.7, 0.6, 0.55]
    paths = [
        write_run(tmp_path, "20261122-080000-pima", 0.01, same),
        write_run(tmp_path, "20261122-081000-pima", 0.001, [0.9, 0.8, 0.75, 0.7]),
        write_run(tmp_path, "20261122-082000-pima", 0.01, same),
    ]
    records = [read_run(p) for p in paths]
    labels = cmp.labels(cmp.compare(records), records)
    assert labels == {
        "20261122-080000-pima": "20261122-080000-pima: learning_rate=0.01",
        "20261122-081000-pima": "20261122-081000-pima: learning_rate=0.001",
        "20261122-082000-pima": "20261122-082000-pima: learning_rate=0.01",
    }
    fig, count = plots.overlay_figure(records, "val_loss", labels)
    drawn(fig)
    assert count == 3
    first, _, third = fig.axes[0].get_lines()
    assert first.get_linestyle() != third.get_linestyle()
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == [
        "1: 20261122-080000-pima\n    learning_rate=0.01",
        "2: 20261122-081000-pima\n    learning_rate=0.001",
        "3: 20261122-082000-pima, the same settings and curve as 1\n    learning_rate=0.01",
    ]
    assert fig.axes[0].get_title() == "val_loss over epochs: 3 runs; 1 identical to another (line styles)"
    assert_legend_outside(fig)


@STRICT
def test_compare_plot_run_numbers_sit_on_white_above_the_curves(tmp_path):
    # run 2 continues run 1's curve: its thick dashed line ran over the "1" at run 1's end
    paths = [
        write_run(tmp_path, "20261122-080000-pima", 0.01, [0.9, 0.7, 0.6]),
        write_run(tmp_path, "20261122-081000-pima", 0.01, [0.9, 0.7, 0.6, 0.55, 0.5]),
    ]
    fig, _ = plots.overlay_figure([read_run(p) for p in paths], "val_loss", {})
    ax = drawn(fig).axes[0]
    tags = [t for t in ax.texts if t.get_gid() == "end-label"]
    assert sorted(t.get_text() for t in tags) == ["1", "2"]
    assert all(t.get_zorder() > max(line.get_zorder() for line in ax.get_lines()) for t in tags)
    assert all(t.get_bbox_patch().get_facecolor()[:3] == (1.0, 1.0, 1.0) for t in tags)


@STRICT
def test_compare_plot_of_many_mixed_runs_fits_and_warns_nothing(tmp_path):
    records = [
        read_run(
            write_run(
                tmp_path, f"20261122-08{i:02d}00-pima", 0.01 * (i + 1), [1000 * 0.5**e / (i + 1) for e in range(12)]
            )
        )
        for i in range(12)
    ]
    long = "units=8, " * 40  # more differing values than a legend line holds
    fig, _ = plots.overlay_figure(records, "loss", {r.name: f"{r.name}: {long}" for r in records})
    drawn(fig)
    assert fig.axes[0].get_yscale() == "log"
    assert all(t.get_text().count("\n") <= 2 for t in fig.legends[0].get_texts())  # the name and two lines
    renderer = fig.canvas.get_renderer()
    assert fig.legends[0].get_window_extent(renderer).width <= fig.bbox.width  # inside the picture
    assert_legend_outside(fig)


@STRICT
def test_compare_plot_labels_leave_out_null_keys_and_list_the_most_differing_first(tmp_path):
    from nnrun.views import compare as cmp

    paths = [write_run(tmp_path, f"20261122-08{i}000-pima", 0.01, [0.9, 0.7]) for i in range(3)]
    for path, epochs, source in zip(paths, (40, 300, 5000), ("pima.csv", "pima.csv", None)):
        config = yaml.safe_load((path / "config.yaml").read_text())
        # a scikit-learn run has no CSV path: null where the other runs have one
        config.update(epochs=epochs, dataset={"path": source, "seed": 1 if source else 2})
        (path / "config.yaml").write_text(yaml.safe_dump(config))
        metrics = json.loads((path / "metrics.json").read_text())
        (path / "metrics.json").write_text(json.dumps({**metrics, "config": config}))
    records = [read_run(p) for p in paths]
    labels = cmp.labels(cmp.compare(records), records)
    # epochs has three values, seed two, path one (and a null)
    assert labels == {
        "20261122-080000-pima": "20261122-080000-pima: epochs=40, seed=1, path=pima.csv",
        "20261122-081000-pima": "20261122-081000-pima: epochs=300, seed=1, path=pima.csv",
        "20261122-082000-pima": "20261122-082000-pima: epochs=5000, seed=2",
    }


@STRICT
def test_compare_plot_of_runs_of_very_different_lengths(tmp_path):
    # an interrupted 2238-epoch quickstart squeezed the others into the first 2% and hid the same-seed runs
    curve = [1 / (e + 1) for e in range(300)]
    records = [
        read_run(write_run(tmp_path, "20261122-080000-q", 0.01, curve[:40])),
        read_run(write_run(tmp_path, "20261122-081000-q", 0.01, curve[:50])),
        read_run(write_run(tmp_path, "20261122-082000-q", 0.01, curve)),
        read_run(write_run(tmp_path, "20261122-083000-q", 0.02, [0.5] * 10)),
    ]
    fig, _ = plots.overlay_figure(records, "loss", {})
    drawn(fig)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "epoch (log scale: the runs' lengths differ tenfold)"
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts[:3] == [
        "1: 20261122-080000-q",
        "2: 20261122-081000-q, the same curve as 1 over the first 40 epochs",
        "3: 20261122-082000-q, the same curve as 1 over the first 40 epochs",
    ]
    assert all(len(line) <= 110 for t in texts for line in t.split("\n"))
    # 1 and 2 end a few epochs apart at nearly one height: a label each (neither curve ends where the other
    # does), moved apart rather than printed over each other
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "3", "4"]
    assert_labels_apart(fig)
    assert_legend_outside(fig)


@STRICT
def test_compare_plot_cli_writes_nothing_but_its_line_to_stderr(cli, tmp_path):
    for i in range(3):
        write_run(tmp_path / "runs", f"20261122-08{i}000-pima", 0.01 * (i + 1), [0.9, 0.7, 0.6])
    result = cli("compare", tmp_path / "runs", "--plot", "val_loss", "-o", tmp_path / "p.png")
    assert result.exit_code == 0
    assert result.stderr == f"wrote {tmp_path / 'p.png'}: val_loss of 3 runs\n"


@STRICT
def test_compare_plot_tags_only_runs_whose_curves_end_at_the_same_point(tmp_path):
    # a tag read "1, 2, 4, 5" though run 2's curve ended elsewhere
    curve = [1 / (e + 1) for e in range(30)]
    records = [
        read_run(write_run(tmp_path, "20261122-080000-q", 0.01, curve)),
        read_run(write_run(tmp_path, "20261122-081000-q", 0.02, curve[:29] + [curve[29] * 1.04])),
        read_run(write_run(tmp_path, "20261122-082000-q", 0.03, curve[:28] + [curve[29]])),
        read_run(write_run(tmp_path, "20261122-083000-q", 0.04, curve)),
        read_run(write_run(tmp_path, "20261122-084000-q", 0.05, [0.9 - 0.02 * e for e in range(30)])),
    ]
    fig, _ = plots.overlay_figure(records, "loss", {})
    drawn(fig)
    # 1 and 4 end at one point; 2 four percent higher, 3 one epoch earlier at the same height: tags of their own
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["1, 4", "2", "3", "5"]
    assert_labels_apart(fig)


@STRICT
def test_compare_plot_marks_an_unfinished_run_in_its_label_and_at_its_last_point(tmp_path):
    records = [
        read_run(write_run(tmp_path, "20261122-080000-q", 0.01, [0.9, 0.7, 0.6, 0.55, 0.5])),
        read_run(write_run(tmp_path, "20261122-081000-q", 0.02, [0.8, 0.6, 0.5], status="interrupted")),
    ]
    fig, _ = plots.overlay_figure(records, "loss", {})
    drawn(fig)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["1: 20261122-080000-q", "2: 20261122-081000-q, interrupted at epoch 3"]
    finished, interrupted = fig.axes[0].get_lines()
    assert finished.get_marker() in ("None", None, "")
    assert interrupted.get_marker() == "X" and interrupted.get_markevery() == [2]  # its last point only
    assert fig.axes[0].get_xlabel() == "epoch"  # nothing cut


@STRICT
def test_compare_plot_cuts_a_far_longer_unfinished_run_where_the_others_end_and_says_so(tmp_path):
    # an interrupted 2238-epoch run squeezed the others into the first 2% of the axis
    records = [
        read_run(
            write_run(tmp_path, "20261122-080000-q", 0.01, [1 / (e + 1) for e in range(2238)], status="interrupted")
        ),
        read_run(write_run(tmp_path, "20261122-081000-q", 0.02, [1 / (e + 2) for e in range(30)])),
        read_run(write_run(tmp_path, "20261122-082000-q", 0.03, [1 / (e + 3) for e in range(40)])),
    ]
    fig, _ = plots.overlay_figure(records, "loss", {})
    drawn(fig)
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear" and ax.get_xlim()[1] <= 45  # (and not 2238)
    assert ax.get_xlabel() == "epoch (cut at epoch 40, where the other runs end: run 1 goes on to epoch 2238)"
    assert max(ax.get_lines()[0].get_xdata()) == 40
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts[0] == "1: 20261122-080000-q, interrupted at epoch 2238"
    assert "1 →" in [t.get_text() for t in ax.texts]  # at the axis's end: it goes on
    assert_legend_outside(fig)


@STRICT
def test_compare_plot_labels_put_the_keys_that_tell_runs_apart_first(tmp_path):
    from nnrun.views import compare as cmp

    long = "a-rather-long-value-that-fills-the-legend-line"
    paths = []
    # epochs, batch_size and seed differ for A, B and C alike; only the learning rate tells C from D
    for i, (epochs, lr) in enumerate(((10, 0.01), (20, 0.01), (30, 0.1), (30, 0.01))):
        paths.append(
            write_run(
                tmp_path,
                f"20261122-08{i}000-pima",
                lr,
                [0.9, 0.7],
                epochs=epochs,
                batch_size=epochs,
                seed=epochs,
                **{f"note{n}": f"{long}-{epochs}" for n in range(4)},
            )
        )
    records = [read_run(p) for p in paths]
    items = cmp.label_items(cmp.compare(records), records)
    assert items["20261122-082000-pima"][:2] == ["epochs=30", "learning_rate=0.1"]
    assert items["20261122-083000-pima"][:2] == ["epochs=30", "learning_rate=0.01"]
    fig, _ = plots.overlay_figure(records, "loss", items)
    drawn(fig)
    visible = [t.get_text().split("\n", 1)[1] for t in fig.legends[0].get_texts()]
    assert len(set(visible)) == 4 and all("…" in v for v in visible)  # cut, and still each its own


def test_legend_settings_cut_alike_lead_with_what_differs():
    same = [f"key{i}=a-long-value-{i}" for i in range(12)]
    texts = plots._legend_settings([[*same, "x=1"], [*same, "x=2"]], width=60)
    assert texts[0] != texts[1] and texts[1].startswith("    x=2, key0=")


@STRICT
def test_compare_plot_says_which_runs_have_the_same_settings(tmp_path):
    records = [
        read_run(write_run(tmp_path, "20261122-080000-q", 0.01, [0.9, 0.7, 0.6])),
        read_run(write_run(tmp_path, "20261122-081000-q", 0.02, [0.8, 0.7, 0.6])),
        read_run(write_run(tmp_path, "20261122-082000-q", 0.01, [0.9, 0.8, 0.7])),
    ]  # 1's settings, another curve
    from nnrun.views import compare as cmp

    fig, _ = plots.overlay_figure(records, "loss", cmp.label_items(cmp.compare(records), records))
    texts = [t.get_text() for t in drawn(fig).legends[0].get_texts()]
    assert texts[2] == "3: 20261122-082000-q, the same settings as 1\n    learning_rate=0.01"


def test_compare_plot_cli_labels_by_what_differs_between_the_runs_plotted(cli, tmp_path, monkeypatch):
    root = tmp_path / "runs"
    write_run(root, "20261122-080000-pima", 0.01, [0.9, 0.7], batch_size=8)
    write_run(root, "20261122-081000-pima", 0.001, [0.9, 0.8], batch_size=8)
    no_curve = write_run(root, "20261122-082000-pima", 0.01, [0.9, 0.6], batch_size=16)
    (no_curve / "history.csv").write_text("epoch,loss\n1,0.9\n")  # no val_loss
    saved = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: saved.append(fig))
    result = cli("compare", root, "--plot", "val_loss", "-o", tmp_path / "p.png")
    assert result.exit_code == 0, result.stderr
    texts = [t.get_text() for t in saved[0].legends[0].get_texts()]
    assert texts == [
        "1: 20261122-080000-pima\n    learning_rate=0.01",
        "2: 20261122-081000-pima\n    learning_rate=0.001",
    ]


# --- the run folder ---


def test_a_classification_run_writes_its_confusion_matrix(cli, write_config, tmp_path):
    config = write_config(tiny_config(), name="tiny")
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    [run] = (tmp_path / "runs").iterdir()
    assert {"confusion.csv", "confusion.png", "history.png"} <= {p.name for p in run.iterdir()}
    metrics = json.loads((run / "metrics.json").read_text())
    cm = confusion.read_csv(run / "confusion.csv")
    assert cm["split"] == "test" and cm["classes"] == ["0", "1"] and sum(map(sum, cm["counts"])) == 4
    assert metrics["confusion"]["split"] == "test" and metrics["confusion"]["rows"] == 4
    assert metrics["confusion"]["accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    assert metrics["rows"] == {"train": 12, "test": 4}

    shown = cli("show", run).stdout
    assert "confusion matrix of the 4 test rows (confusion.csv, picture: confusion.png)" in shown
    assert "recall" in shown


def test_without_test_rows_the_confusion_matrix_counts_the_validation_rows(cli, write_config, tmp_path):
    dataset = {**tiny_config()["dataset"], "test": 0, "validation": 0.25}
    result = cli("train", write_config(tiny_config(dataset=dataset)), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    [run] = (tmp_path / "runs").iterdir()
    assert (run / "confusion.csv").read_text().startswith("true \\ predicted (validation rows),0,1\n")


def test_a_regression_run_has_no_confusion_matrix(cli, write_config, tmp_path):
    config = tiny_config(
        loss="mse", metrics=["mae"], layers=[{"type": "Dense", "units": 4}, {"type": "Dense", "units": 1}]
    )
    config["dataset"]["inline"]["y"] = [0.5, 1.5, 2.0, 3.0] * 4
    result = cli("train", write_config(config), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    [run] = (tmp_path / "runs").iterdir()
    assert not (run / "confusion.csv").exists() and (run / "history.png").exists()


@STRICT
def test_show_lists_the_recalls_of_many_classes(cli, tmp_path):
    run = write_run(tmp_path, "20261122-080000-digits", 0.01, [0.9])
    counts = np.diag(np.arange(1, 21))
    counts[3, 3], counts[3, 5] = 1, 3  # class 3: recall 0.25, the lowest
    (run / "confusion.csv").write_text(confusion.csv_text(counts, [f"c{i}" for i in range(20)], "test"))
    shown = cli("show", run).stdout
    assert "20 classes; lowest recall: c3 0.250, c0 1.000" in shown


# --- samples.png of an image classifier ---


def image_preprocess(source: str, shape: list[int], scaler=None, classes=None):
    from nnrun.data.preprocess import Preprocess, Scaler

    return Preprocess(
        source, "classification", "sparse", [], "label", classes or list(range(10)), scaler or Scaler(), shape
    )


@pytest.mark.parametrize(
    "source, shape, drawn_as",
    [
        ("keras:mnist", [784], (28, 28)),  # flatten: true
        ("keras:mnist", [28, 28], (28, 28)),
        ("keras:fashion_mnist", [28, 28, 1], (28, 28)),  # a channel axis of 1: grey levels
        ("keras:cifar10", [3072], (32, 32, 3)),
        ("keras:cifar10", [32, 32, 3], (32, 32, 3)),
        ("sklearn:digits", [64], (8, 8)),
        ("csv", [784], (28, 28)),  # 784 pixel columns
        ("csv", [256], (16, 16)),
        ("csv", [64], None),  # 64 measurements are not taken for an 8x8 image
        ("csv", [8], None),
        ("sklearn:iris", [4], None),
        ("keras:imdb", [10000], None),  # a square, but words
        ("keras:boston_housing", [13], None),
        ("inline", [12, 12], (12, 12)),
        ("inline", [5, 5, 7], None),  # 7 channels are no picture
    ],
)
def test_which_samples_are_drawn_as_images(source, shape, drawn_as):
    from nnrun.views import samples

    assert samples.image_shape(image_preprocess(source, shape)) == drawn_as


def test_the_grid_shows_the_first_rows_and_then_mistakes():
    from nnrun.views import samples

    truth = np.zeros(100, dtype=int)
    predicted = truth.copy()
    predicted[[2, 30, 40, 50, 99]] = 1
    assert samples.choose(predicted, truth).tolist() == [*range(28), 30, 40, 50, 99]
    assert samples.choose(truth, truth).tolist() == list(range(32))  # no mistakes: the first 32
    assert samples.choose(predicted[:5], truth[:5]).tolist() == [0, 1, 2, 3, 4]


def test_samples_are_drawn_as_read_not_as_scaled(monkeypatch, tmp_path):
    """The pixels drawn are the values in the file (0-255), whichever scaling the model was given."""
    from nnrun.data.preprocess import Scaler
    from nnrun.views import samples

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (40, 784)).astype(np.uint8)
    drawn = {}
    monkeypatch.setattr(
        plots,
        "samples_png",
        lambda images, predicted, truth, numbers, path, title, columns: drawn.update(
            images=images, predicted=predicted, truth=truth, numbers=numbers, title=title
        ),
    )
    for scale in (255, "standard", "minmax", "none"):
        scaler = Scaler.fit(scale, pixels)
        truth = np.arange(40) % 10
        predicted = truth.copy()
        predicted[35] = 3
        pre = image_preprocess("csv", [784], scaler)
        assert samples.write(tmp_path / "samples.png", scaler.apply(pixels), predicted, truth, pre, "test", "digits")
        rows = [*range(31), 35]
        np.testing.assert_allclose(drawn["images"], pixels[rows].reshape(32, 28, 28), atol=1e-3)
        assert drawn["numbers"] == [r + 1 for r in rows]
        assert drawn["predicted"][31] == "3" and drawn["truth"][31] == "5"
        assert drawn["title"] == (
            "digits: 32 of the 40 test images, predicted class above each; red: wrong (the "
            "true class below), 1 of the 1 mistakes shown"
        )


@STRICT
def test_samples_figure_marks_mistakes_in_red_with_the_true_class():
    images = np.random.default_rng(0).integers(0, 256, (10, 28, 28))
    names = ["T-shirt/top", "Trouser", "Ankle boot"]
    predicted = [names[i % 3] for i in range(10)]
    truth = list(predicted)
    truth[4] = "Ankle boot"
    fig = drawn(plots.samples_figure(images, predicted, truth, list(range(1, 11)), "fashion", columns=4))
    (ax,) = fig.axes
    texts = {t.get_text(): t.get_color() for t in ax.texts}
    assert list(texts)[3:7] == ["#4: T-shirt/top", "#5: Trouser", "true: Ankle boot", "#6: Ankle boot"]
    assert texts["#5: Trouser"] == texts["true: Ankle boot"] == plots.MISTAKE and texts["#4: T-shirt/top"] == "black"
    (border,) = ax.patches  # one mistake, one red border, around the fifth image (row 2, column 1 of 4)
    assert border.get_edgecolor()[:3] == pytest.approx((0.839, 0.153, 0.157), abs=0.01)
    canvas = ax.get_images()[0].get_array()
    assert canvas.max() <= 1.0 and canvas.shape == (3 * (28 + 2 * 7), 4 * (28 + 7))  # 3 rows of 4, 0-255 as 0-1
    x, y = border.get_xy()
    np.testing.assert_allclose(np.asarray(canvas)[int(y) + 1 : int(y) + 29, int(x) + 1 : int(x) + 29], images[4] / 255)


@STRICT
def test_digits_on_a_0_to_16_scale_are_drawn_in_full_ink():
    # scikit-learn's digits hold 0-16, not 0-255: drawn as 0-255 they were white on white
    images = np.random.default_rng(0).integers(0, 17, (4, 8, 8)).astype(float)
    images[:, 0, 0] = 16
    canvas = np.asarray(
        plots.samples_figure(images, ["1"] * 4, ["1"] * 4, [1, 2, 3, 4], "digits").axes[0].get_images()[0].get_array()
    )
    assert canvas.max() == 1.0


@STRICT
def test_colour_samples_are_drawn_in_colour():
    images = np.random.default_rng(0).random((3, 32, 32, 3))
    fig = drawn(plots.samples_figure(images, ["cat"] * 3, ["cat"] * 3, [1, 2, 3], "cifar"))
    assert fig.axes[0].get_images()[0].get_array().shape[2] == 3 and not fig.axes[0].patches


def test_a_tabular_classifier_has_no_samples_picture(cli, write_config, tmp_path):
    result = cli("train", write_config(tiny_config(), name="tiny"), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    [run] = (tmp_path / "runs").iterdir()
    assert (run / "confusion.png").exists() and not (run / "samples.png").exists()


def test_an_image_run_draws_its_test_images_beside_the_confusion_matrix(cli, keras_offline, tmp_path):
    from keras_archives import write_mnist

    write_mnist(keras_offline)
    result = cli(
        "train",
        CONFIGS / "mnist.yaml",
        "--runs-dir",
        tmp_path / "runs",
        "-q",
        "--set",
        "epochs=1",
        "--set",
        "batch_size=16",
    )
    assert result.exit_code == 0, result.output
    [run] = (tmp_path / "runs").iterdir()
    assert (run / "samples.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (run / "confusion.png").exists()
