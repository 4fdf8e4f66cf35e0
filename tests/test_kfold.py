"""`nnrun kfold` end to end, in-process: the run folder and its arithmetic, the refit and predict on it, early
stopping in folds, --k, --smoke, and the errors that must stop a run before it writes anything.

Every CLI k-fold run trains k (+1) models, so the completed runs are shared by module-scoped fixtures.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import load, only_run, run_cli, tiny_config

TOP_FILES = {"config.yaml", "env.json", "folds.json", "metrics.json", "history_mean.csv", "history.png"}
RUN_FILES = {
    "config.yaml",
    "env.json",
    "history.csv",
    "history.png",
    "metrics.json",
    "model.keras",
    "preprocess.json",
    "summary.txt",
}
NAMES = ["loss", "accuracy", "val_loss", "val_accuracy"]

# breast_cancer with a wide layer and a high learning rate overfits within a few epochs, so the best epoch of
# the mean val_loss curve comes well before `epochs` and refit_epochs: best is visible. One batch per epoch (batch_size
# above the row count) keeps XLA compiling few shapes, which is most of a fold's time.
OVERFIT = """\
dataset: {source: "sklearn:breast_cancer", test: 0.2, scale: standard}
layers: [{type: Dense, units: 64, activation: relu}, {type: Dense, units: 1, activation: sigmoid}]
loss: binary_crossentropy
optimizer: {name: adam, learning_rate: 0.05}
metrics: [accuracy]
epochs: 20
batch_size: 512
"""


def read_csv(path: Path) -> list[dict[str, float]]:
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    import sklearn.datasets

    bunch = sklearn.datasets.load_breast_cancer()
    return bunch.data.astype(np.float32).astype(np.float64), bunch.target


@pytest.fixture(scope="module")
def refit_run(tmp_path_factory):
    """A completed 3-fold run with a refit of best-epoch length: (run folder, CliRunner result)."""
    folder = tmp_path_factory.mktemp("refit")
    config = folder / "overfit.yaml"
    config.write_text(OVERFIT + "kfold: {k: 3, refit: true, refit_epochs: best}\n")
    result = run_cli("kfold", config, "--runs-dir", folder / "runs")
    assert result.exit_code == 0, result.output
    return only_run(folder / "runs"), result


@pytest.fixture(scope="module")
def early_run(tmp_path_factory):
    """`kfold: 3` overridden by --k 2, no refit, early stopping with patience 1 (the folds stop at different
    epochs with this seed): (run folder, result)."""
    folder = tmp_path_factory.mktemp("early")
    config = folder / "early.yaml"
    config.write_text(OVERFIT + "early_stopping: {patience: 1}\nkfold: 3\n")
    result = run_cli("kfold", config, "--k", "2", "--runs-dir", folder / "runs", "-q")
    assert result.exit_code == 0, result.output
    return only_run(folder / "runs"), result


# --- the completed run with a refit ---


def test_refit_run_writes_every_file(refit_run):
    run, _ = refit_run
    assert run.name.endswith("-overfit")
    assert {p.name for p in run.iterdir()} == TOP_FILES | {"fold-1", "fold-2", "fold-3", "final"}
    for sub in ("fold-1", "fold-2", "fold-3", "final"):
        assert RUN_FILES <= {p.name for p in (run / sub).iterdir()}, sub
    assert not [p for p in run.rglob(".*")], "temporary files left behind"
    assert (run / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for i in (1, 2, 3):
        fold = load(run / f"fold-{i}" / "metrics.json")
        assert (fold["status"], fold["kind"], fold["fold"], fold["k"]) == ("completed", "fold", i, 3)
    assert load(run / "final" / "metrics.json")["kind"] == "refit"


def test_the_run_its_folds_and_its_refit_record_which_way_each_metric_is_better(refit_run):
    run, _ = refit_run
    for path in (run, run / "fold-1", run / "final"):
        assert load(path / "metrics.json")["directions"] == {"loss": "min", "accuracy": "max"}, path


def test_only_the_refit_draws_a_confusion_matrix_of_the_test_rows(refit_run):
    run, _ = refit_run
    for i in (1, 2, 3):  # each fold would cost a prediction pass for a matrix nobody asked for
        assert not (run / f"fold-{i}" / "confusion.csv").exists()
    final = load(run / "final" / "metrics.json")
    assert final["confusion"]["split"] == "test" and final["confusion"]["rows"] == final["rows"]["test"]
    assert (run / "final" / "confusion.png").exists()
    text = (run / "final" / "confusion.csv").read_text()
    assert text.startswith("true \\ predicted (test rows),malignant,benign\n")


def test_validation_mean_and_std_are_numpys_over_the_folds(refit_run):
    run, _ = refit_run
    metrics = load(run / "metrics.json")
    assert (metrics["status"], metrics["kind"], metrics["k"], metrics["epochs"]) == ("completed", "kfold", 3, 20)
    assert metrics["stratified"] is True
    assert [f["fold"] for f in metrics["folds"]] == [1, 2, 3]
    for split in ("validation", "train"):
        per_fold = [load(run / f"fold-{i}" / "metrics.json")[split] for i in (1, 2, 3)]
        # The summary must hold exactly what each fold folder says, not a recomputation that could drift.
        assert [f[split] for f in metrics["folds"]] == per_fold
        for name in ("loss", "accuracy"):
            column = np.array([p[name] for p in per_fold])
            assert metrics[f"{split}_mean"][name] == pytest.approx(column.mean(), rel=1e-12)
            assert metrics[f"{split}_std"][name] == pytest.approx(column.std(), rel=1e-12, abs=1e-15)
    for fold in metrics["folds"]:
        assert fold["status"] == "completed" and fold["epochs_run"] == 20 and fold["duration_s"] > 0
        assert fold["baseline"]["accuracy"] < fold["validation"]["accuracy"]


def test_folds_json_partitions_the_training_rows_and_matches_what_each_fold_fitted(refit_run):
    run, _ = refit_run
    plan = load(run / "folds.json")
    x, _ = breast_cancer()
    test, folds = set(plan["test"]), [set(f) for f in plan["folds"]]
    assert len(folds) == 3 and len(test) == 114  # ceil(0.2 * 569)
    assert all(not test & f for f in folds)
    assert not (folds[0] & folds[1] or folds[0] & folds[2] or folds[1] & folds[2])
    assert sorted(test.union(*folds)) == list(range(len(x)))
    train = sorted(set(range(len(x))) - test)
    for i, held in enumerate(folds, start=1):
        fit = sorted(set(train) - held)
        # Each fold's scaler was fitted on its fit rows: ties folds.json to the data the fold really trained on.
        stats = load(run / f"fold-{i}" / "preprocess.json")["scaler"]["stats"]
        np.testing.assert_allclose(stats["mean"], x[fit].mean(axis=0), rtol=1e-6)
        np.testing.assert_allclose(stats["std"], x[fit].std(axis=0), rtol=1e-6)
    final = load(run / "final" / "preprocess.json")["scaler"]["stats"]
    np.testing.assert_allclose(final["mean"], x[train].mean(axis=0), rtol=1e-6)
    assert load(run / "metrics.json")["rows"] == {"train": len(train), "test": len(test)}


def test_history_mean_is_the_mean_and_std_of_the_fold_histories(refit_run):
    run, _ = refit_run
    with open(run / "history_mean.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["epoch", "folds"] + [f"{n}_{s}" for n in NAMES for s in ("mean", "std")]
    mean = read_csv(run / "history_mean.csv")
    folds = [read_csv(run / f"fold-{i}" / "history.csv") for i in (1, 2, 3)]
    assert [row["epoch"] for row in mean] == list(range(1, 21))
    for e, row in enumerate(mean):
        assert row["folds"] == 3
        for name in NAMES:
            values = np.array([h[e][name] for h in folds])
            assert row[f"{name}_mean"] == pytest.approx(values.mean(), rel=1e-12)
            assert row[f"{name}_std"] == pytest.approx(values.std(), rel=1e-12, abs=1e-15)


def test_best_epoch_is_the_minimum_of_the_mean_val_loss(refit_run):
    run, _ = refit_run
    metrics = load(run / "metrics.json")
    mean = read_csv(run / "history_mean.csv")
    curve = [row["val_loss_mean"] for row in mean]
    expected = int(np.argmin(curve)) + 1
    assert metrics["best_epoch"] == expected
    assert metrics["best"] == {"monitor": "val_loss", "epoch": expected, "value": pytest.approx(min(curve), rel=1e-12)}
    assert expected < metrics["epochs"], "the fixture should overfit, or refit_epochs: best proves nothing"


def test_the_refit_trains_for_the_best_epoch_and_reports_the_test_score(refit_run):
    run, _ = refit_run
    metrics = load(run / "metrics.json")
    final = load(run / "final" / "metrics.json")
    best = metrics["best_epoch"]
    assert metrics["final"]["status"] == "completed"
    assert metrics["final"]["epochs"] == metrics["final"]["epochs_run"] == best
    assert final["epochs_run"] == final["epochs"] == best
    assert len(read_csv(run / "final" / "history.csv")) == best
    assert metrics["test"] == metrics["final"]["test"] == final["test"]
    assert set(metrics["test"]) == {"loss", "accuracy"}
    assert "validation" not in final  # the refit has no validation rows
    assert metrics["baseline"]["test"]["accuracy"] < metrics["test"]["accuracy"]


def test_the_output_has_a_line_per_fold_and_the_mean_row(refit_run):
    run, result = refit_run
    out = result.stdout
    assert re.findall(r"^fold (\d)/3 completed: 20 epochs, val_loss \d", out, flags=re.M) == ["1", "2", "3"]
    metrics = load(run / "metrics.json")
    mean, std = metrics["validation_mean"], metrics["validation_std"]
    row = next(line for line in out.splitlines() if "mean ± std" in line)
    for name in ("loss", "accuracy"):
        assert f"{mean[name]:.4f} ± {std[name]:.4f}" in row
    assert "3 stratified folds of 455 training rows" in out and "then a refit (best epoch)" in out
    assert "final: test" in out and f"best epoch of the mean val_loss curve: {metrics['best_epoch']} " in out
    assert f"run folder: {run}" in out


def test_a_run_that_beats_its_baseline_has_no_warning(refit_run):
    run, result = refit_run
    metrics = load(run / "metrics.json")
    assert metrics["validation_mean"]["accuracy"] > 0.9 > metrics["baseline"]["validation"]["accuracy"]
    assert metrics["warnings"] == [] and "warning" not in result.output
    assert metrics["baseline"]["train"]["accuracy"] == pytest.approx(
        np.mean([load(run / f"fold-{i}" / "metrics.json")["baseline"]["train"]["accuracy"] for i in (1, 2, 3)])
    )


def test_predict_on_a_kfold_run_uses_the_refit_model(refit_run, tmp_path):
    import keras

    run, _ = refit_run
    x, y = breast_cancer()
    rows = load(run / "folds.json")["test"]
    inputs = tmp_path / "rows.csv"
    np.savetxt(inputs, x[rows], delimiter=",", fmt="%.9g")  # features only, as the data has no header
    result = run_cli("predict", run, inputs)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))
    assert list(table.columns)[-4:] == ["prediction", "probability", "p_malignant", "p_benign"]
    assert len(table) == len(rows)
    assert (table["prediction"] == np.where(y[rows] == 1, "benign", "malignant")).mean() > 0.85

    def outputs(sub: str) -> np.ndarray:
        stats = load(run / sub / "preprocess.json")["scaler"]["stats"]
        scaled = ((x[rows] - stats["mean"]) / stats["std"]).astype(np.float32)
        model = keras.saving.load_model(run / sub / "model.keras", compile=False)
        return np.asarray(model.predict(scaled, verbose=0))[:, 0]

    np.testing.assert_allclose(table["p_benign"], outputs("final"), atol=1e-4)
    assert np.abs(table["p_benign"] - outputs("fold-1")).max() > 1e-3  # not some fold's model


def test_the_refit_config_is_a_train_config_that_repeats_the_refit(refit_run, tmp_path):
    run, _ = refit_run
    best = load(run / "metrics.json")["best_epoch"]
    checked = run_cli("check", run / "final" / "config.yaml")
    assert checked.exit_code == 0, checked.output
    lines = checked.stdout.splitlines()
    assert "  validation: 0.0" in lines
    assert f"epochs: {best}" in lines and "epochs: 20" not in lines
    again = run_cli("train", run / "final" / "config.yaml", "--runs-dir", tmp_path / "again", "-q")
    assert again.exit_code == 0, again.output
    repeat = only_run(tmp_path / "again")
    assert (repeat / "history.csv").read_text() == (run / "final" / "history.csv").read_text()
    assert load(repeat / "metrics.json")["test"] == load(run / "metrics.json")["test"]


# --- a run without refit, with early stopping, k from --k ---


def test_dash_k_overrides_the_config_k(early_run):
    run, result = early_run
    metrics = load(run / "metrics.json")
    assert metrics["k"] == 2 and len(metrics["folds"]) == 2
    assert sorted(p.name for p in run.iterdir() if p.is_dir()) == ["fold-1", "fold-2"]
    assert len(load(run / "folds.json")["folds"]) == 2
    assert yaml.safe_load((run / "config.yaml").read_text())["kfold"]["k"] == 2  # the saved config reruns it
    assert re.findall(r"^fold (\d)/2 completed", result.stdout, flags=re.M) == ["1", "2"]


def test_without_refit_there_is_no_final_model_or_test_score(early_run, tmp_path):
    run, result = early_run
    metrics = load(run / "metrics.json")
    assert not (run / "final").exists()
    assert "final" not in metrics and "test" not in metrics
    assert "final: test" not in result.stdout
    inputs = tmp_path / "rows.csv"
    np.savetxt(inputs, breast_cancer()[0][:3], delimiter=",", fmt="%.9g")
    refused = run_cli("predict", run, inputs)
    assert refused.exit_code == 2
    assert refused.stderr.startswith(f"error: {run}: this k-fold run has no final/ model")
    assert "kfold.refit" in refused.stderr and str(run / "fold-1") in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_each_fold_line_says_where_early_stopping_stopped_it_and_which_weights_it_kept(early_run, cli):
    run, result = early_run
    folds = load(run / "metrics.json")["folds"]
    assert any(f["stopped_early"] for f in folds)
    for f in folds:
        line = next(line for line in result.stdout.splitlines() if line.startswith(f"fold {f['fold']}/2 "))
        if not f["stopped_early"]:
            assert "stopped early" not in line and "early_stop" not in f
            continue
        stop = f["early_stop"]
        assert stop == load(run / f"fold-{f['fold']}" / "metrics.json")["early_stop"]
        assert stop["epoch"] == f["epochs_run"] < 20 and stop["restored_epoch"] == stop["epoch"] - 1  # patience 1
        said = (
            f"stopped early at epoch {stop['epoch']} of 20: val_loss did not improve for 1 epoch (patience); "
            f"the weights of epoch {stop['restored_epoch']}, its best, were restored"
        )
        assert line.endswith(f" s); {said}")
        assert f"fold {f['fold']}: {said}" in cli("show", run).stdout.splitlines()


def test_early_stopped_folds_count_only_where_they_reached(early_run):
    run, _ = early_run
    metrics = load(run / "metrics.json")
    stopped = [f["epochs_run"] for f in metrics["folds"]]
    histories = [read_csv(run / f"fold-{i}" / "history.csv") for i in (1, 2)]
    assert [len(h) for h in histories] == stopped
    assert len(set(stopped)) == 2, f"with this seed the folds stop at different epochs, got {stopped}"
    assert all(n < 20 for n in stopped) and any(f.get("stopped_early") for f in metrics["folds"])
    mean = read_csv(run / "history_mean.csv")
    assert len(mean) == max(stopped) == metrics["epochs_run"]
    for row in mean:
        e = int(row["epoch"])
        reached = [h[e - 1] for h in histories if len(h) >= e]
        assert row["folds"] == len(reached) <= 2
        for name in NAMES:
            values = np.array([r[name] for r in reached])
            assert row[f"{name}_mean"] == pytest.approx(values.mean(), rel=1e-12)
            assert row[f"{name}_std"] == pytest.approx(values.std(), rel=1e-12, abs=1e-15)
    assert [row["folds"] for row in mean].count(1) == max(stopped) - min(stopped)
    # The best epoch compares only epochs both folds reached, so each candidate averages the same folds.
    full = [row for row in mean if row["folds"] == 2]
    assert metrics["best_epoch"] == int(full[int(np.argmin([r["val_loss_mean"] for r in full]))]["epoch"])
    assert metrics["best_epoch"] <= min(stopped)


# --- other runs ---


def test_dash_k_works_without_a_kfold_key_on_a_regression(cli, write_config, tmp_path):
    config = write_config(
        'dataset: {source: "sklearn:diabetes", scale: standard}\nlayers: [{type: Dense, units: 1}]\n'
        "loss: mse\nmetrics: [mae]\nepochs: 2\nbatch_size: 512\n",
        name="diabetes",
    )
    result = cli("kfold", config, "--k", "2", "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path / "runs")
    metrics = load(run / "metrics.json")
    assert metrics["k"] == 2 and metrics["stratified"] is False and metrics["status"] == "completed"
    assert set(metrics["validation_mean"]) == {"loss", "mae"} == set(metrics["validation_std"])
    maes = np.array([f["validation"]["mae"] for f in metrics["folds"]])
    assert metrics["validation_mean"]["mae"] == pytest.approx(maes.mean(), rel=1e-12)
    assert metrics["baseline"]["rule"] == "each fold's training mean"
    assert "2 folds of 353 training rows" in result.stdout and "stratified" not in result.stdout
    assert "val_mae" in (run / "history_mean.csv").read_text().splitlines()[0]


def test_a_kfold_run_no_better_than_its_baseline_warns_once_with_the_folds_and_the_refit(
    cli, write_config, tmp_path, monkeypatch
):
    import sys

    import nnrun.views.plots

    titles = []  # history.png is drawn after the verdict: its title names the warning
    draw = lambda *a, metrics, **k: titles.append(metrics.get("warnings"))  # noqa: E731
    # nnrun.engine.kfold imports Keras: patched where it is, else where it will take kfold_png from when imported
    for module in (nnrun.views.plots, sys.modules.get("nnrun.engine.kfold")):
        if module is not None:
            monkeypatch.setattr(module, "kfold_png", draw)
    # One constant feature: every model predicts one class for all rows, which scores what the baseline scores.
    config = write_config(
        tiny_config(dataset={"inline": {"x": [[1, 1]] * 16, "y": [0, 1] * 8}, "test": 4}, kfold={"k": 2, "refit": True})
    )
    result = cli("kfold", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    expected = (
        "no better than the baseline: refit test accuracy 0.5000 vs baseline 0.5000; mean validation accuracy "
        "0.5000 vs baseline 0.5000; mean train accuracy 0.5000 vs baseline 0.5000; it learned next to nothing, "
        "even on the rows it trained on; try more epochs (it ran 3), another optimizer.learning_rate or a "
        "larger model; the features may also say little about this target"
    )
    assert [line for line in result.stdout.splitlines() if "warning" in line] == [f"warning: {expected}"]
    run = only_run(tmp_path / "runs")
    metrics = load(run / "metrics.json")
    assert metrics["status"] == "completed" and metrics["warnings"] == [expected]
    assert load(run / "fold-1" / "metrics.json")["warnings"]  # each fold and the refit keep their own verdict
    assert load(run / "final" / "metrics.json")["warnings"]
    assert titles[-1] == [expected]


def test_smoke_passes_and_keeps_no_run_folder(cli, write_config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = write_config(tiny_config(epochs=50, kfold=2))
    result = cli("kfold", config, "--smoke", "-q")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if line.startswith("smoke test passed"))
    assert "trained 1 epoch per fold" in line and "fold-2" in line and "fold-3" not in line
    assert not (tmp_path / "runs").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]


# --- errors: one line, exit code 2, nothing written ---


@pytest.mark.parametrize(
    ("change", "args", "expected"),
    [
        ({}, [], "kfold: missing; add `kfold: 5` (the number of folds) to the config, or pass --k 5"),
        ({"kfold": 1}, [], "kfold.k: got 1; must be greater than or equal to 2"),
        (
            {"kfold": {"k": 13, "stratify": False}},
            [],
            "kfold.k: got 13, but there are only 12 training rows; k can be at most 12",
        ),
        (
            {"kfold": 4},
            [],
            "kfold.k: got 4, but the smallest class has only 3 training rows, and stratified folds "
            "need each class in every fold; use k <= 3, or kfold.stratify: false",
        ),
        (
            {"kfold": {"k": 2, "stratify": True}, "loss": "mse", "metrics": []},
            [],
            "kfold.stratify: got true, but loss mse makes this a regression, which has no classes to stratify; "
            "use stratify: auto or false",
        ),
        (
            {"kfold": {"k": 2, "monitor": "loss"}},
            [],
            "kfold.monitor: got loss; must be a val_ value, as the folds' mean validation curve is: val_loss",
        ),
        (
            {"kfold": {"k": 2, "monitor": "val_accuracyy"}},
            [],
            "kfold.monitor: got 'val_accuracyy', which this model does not report (did you mean 'val_accuracy'?)",
        ),
        (
            {"kfold": {"k": 2, "monitor": "val_accuracyy"}, "early_stopping": {"monitor": "val_los"}},
            [],
            "early_stopping.monitor: got 'val_los', which this model does not report (did you mean 'val_loss'?)",
        ),
    ],
    ids=[
        "missing",
        "k-1",
        "k-over-rows",
        "k-over-smallest-class",
        "stratify-regression",
        "monitor-not-val",
        "monitor-typo",
        "early-stopping-typo",
    ],
)
def test_kfold_errors_are_one_line_and_leave_no_run_folder(
    cli, write_config, tmp_path, monkeypatch, change, args, expected
):
    monkeypatch.chdir(tmp_path)  # a run folder would land in ./runs
    config = write_config(tiny_config(**change))
    result = cli("kfold", config, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {config}"), result.stderr
    for piece in (expected,) if isinstance(expected, str) else expected:
        assert piece in lines[0]
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]


def test_kfold_monitor_message_says_got_once(cli, write_config, tmp_path):
    result = cli("kfold", write_config(tiny_config(kfold={"k": 2, "monitor": "loss"})), "--runs-dir", tmp_path / "r")
    assert result.exit_code == 2
    assert result.stderr.count("got") == 1 and "val_loss or val_loss" not in result.stderr


def test_dash_k_below_two_is_refused_by_the_command_line(cli, write_config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("kfold", write_config(tiny_config(kfold=3)), "--k", "1")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --k 1: kfold.k: got 1; must be greater than or equal to 2"
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]


def test_train_rejects_an_unknown_early_stopping_monitor(cli, write_config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = write_config(
        tiny_config(
            dataset={
                "inline": {"x": [[0, 0], [0, 1], [1, 0], [1, 1]] * 5, "y": [0, 1, 1, 1] * 5},
                "test": 4,
                "validation": 0.25,
            },
            early_stopping={"monitor": "val_acc"},
        )
    )
    result = cli("train", config)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {config}:"), result.stderr
    assert (
        "early_stopping.monitor: got 'val_acc', which this model does not report (did you mean 'val_accuracy'?)"
        in lines[0]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]


def test_dash_k_turns_on_a_kfold_set_to_false(cli, write_config, tmp_path):
    # `kfold: false` switches k-fold settings off in the config; --k asks for folds anyway, as --set would
    result = cli("kfold", write_config(tiny_config(kfold=False)), "--k", "2", "--smoke", "--runs-dir", tmp_path / "r")
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "r").iterdir()
    assert json.loads((run / "metrics.json").read_text())["k"] == 2


def test_errors_caused_by_dash_k_name_it(cli, write_config, tmp_path):
    config = write_config(tiny_config())  # 12 training rows
    result = cli("kfold", config, "--k", "13", "--runs-dir", tmp_path / "r")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --k 13: kfold.k: got 13, but there are only 12 training rows; k can be at most 12"
    )


def test_a_failing_fold_marks_the_whole_run_names_the_fold_and_keeps_the_finished_ones(
    cli, write_config, tmp_path, monkeypatch
):
    from helpers import import_keras

    import_keras()
    import nnrun.engine.train

    original, calls = nnrun.engine.train.fit, []

    def fit_failing_in_fold_2(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("out of memory in a test")
        return original(*args, **kwargs)

    monkeypatch.setattr(nnrun.engine.train, "fit", fit_failing_in_fold_2)
    result = cli("kfold", write_config(tiny_config(kfold={"k": 3, "refit": True})), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 1, result.output
    run = only_run(tmp_path / "runs")
    assert result.stderr == (
        f"error: run failed in fold-2: RuntimeError: out of memory in a test; traceback in {run / 'error.txt'}\n"
    )
    metrics = load(run / "metrics.json")
    assert metrics["status"] == "failed" and metrics["stopped_in"] == "fold-2"
    assert metrics["error"] == {"type": "RuntimeError", "message": "out of memory in a test"}
    assert [f["status"] for f in metrics["folds"]] == ["completed"]  # the finished fold is kept, and counted
    assert metrics["folds_done"] == 1 and "validation_mean" in metrics
    assert (run / "fold-1" / "model.keras").exists() and load(run / "fold-1" / "metrics.json")["status"] == "completed"
    assert load(run / "fold-2" / "metrics.json")["status"] == "failed"
    assert "out of memory in a test" in (run / "error.txt").read_text()
    assert not (run / "fold-3").exists() and not (run / "final").exists()


def test_a_failure_after_the_last_fold_blames_no_fold(cli, write_config, tmp_path, monkeypatch):
    import nnrun.engine.kfold

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(nnrun.engine.kfold, "kfold_png", full_disk)
    result = cli("kfold", write_config(tiny_config(kfold=2)), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 1, result.output
    run = only_run(tmp_path / "runs")
    assert result.stderr.startswith("error: run failed: OSError: [Errno 28] No space left on device; traceback in")
    metrics = load(run / "metrics.json")
    assert metrics["status"] == "failed" and "stopped_in" not in metrics
    assert [f["status"] for f in metrics["folds"]] == ["completed", "completed"]


# --- folds that cannot be scored; what --smoke trains on; an interrupted refit's table ---

SORTED_ROWS = {"x": [[i, i % 3] for i in range(16)], "y": [0] * 8 + [1] * 8}  # sorted by class


def test_unshuffled_unstratified_folds_of_a_sorted_file_are_refused_before_any_folder(
    cli, write_config, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    config = write_config(
        tiny_config(dataset={"inline": SORTED_ROWS, "test": 0}, kfold={"k": 2, "shuffle": False, "stratify": False})
    )
    result = cli("kfold", config, "--smoke")  # the check is on the real folds, not --smoke's first rows
    assert result.exit_code == 2, result.output
    assert re.fullmatch(
        rf"error: {re.escape(str(config))}:\d+: kfold\.shuffle: got false: fold 1's held-out rows hold class 0, "
        r"which its training rows lack \(fold 1 held out: 0 8; training: 1 8\), so the model would be scored on a "
        r"class it never saw; use kfold\.shuffle: true, or kfold\.stratify: auto to keep every class in every fold",
        result.stderr.strip(),
    ), result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]
    # the same folds, shuffled (by --set): fine
    assert cli("kfold", config, "--set", "kfold.shuffle=true", "--smoke").exit_code == 0


def test_smoke_announces_the_rows_each_fold_and_the_refit_train_on(cli, write_config, tmp_path):
    config = write_config(tiny_config(kfold={"k": 2, "refit": True}, batch_size=2))  # 12 training rows, 4 test rows
    result = cli("kfold", config, "--smoke")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith(
        "exp: 2 stratified folds of 12 training rows, 4 test rows kept for the refit; --smoke: each fold trains on "
        "the first 4 of its 6 training rows and validates on the first 2 of its 6 held-out rows; then a refit on the "
        "first 4 of the 12 training rows, tested on the first 2 of the 4 test rows; "
    )
    assert ", 1 epoch, batch 2; " in result.stdout.splitlines()[0]
    plain = cli("kfold", config, "--set", "kfold.refit=false", "--set", "epochs=1", "--runs-dir", tmp_path / "runs")
    assert plain.stdout.splitlines()[0].startswith(
        "exp: 2 stratified folds of 12 training rows (6 held out each), 4 test rows set aside (scored only by "
        "kfold.refit); "
    )


def test_an_interrupted_refit_shows_no_test_baseline():
    from rich.console import Console

    from nnrun.views.report import kfold_table

    test = {"loss": 0.5, "accuracy": 0.75}
    folds = [
        {"fold": i, "status": "completed", "epochs_run": 3, "validation": test, "baseline": {"accuracy": 0.6}}
        for i in (1, 2)
    ]
    metrics = {
        "name": "exp",
        "status": "interrupted",
        "k": 2,
        "folds": folds,
        "validation_mean": test,
        "validation_std": {"loss": 0.0, "accuracy": 0.0},
        "duration_s": 1.0,
        "stopped_in": "final",
        "baseline": {
            "rule": "each fold's most frequent training class",
            "validation": {"accuracy": 0.6},
            "test": {"accuracy": 0.6, "loss": 0.7},
        },
        "final": {"status": "interrupted", "epochs": 3, "epochs_run": 1, "train": test},
    }

    def rows(m) -> list[str]:
        console = Console(file=io.StringIO(), width=150, color_system=None)
        for part in kfold_table(m):
            console.print(part)
        return [line.split("│")[1].strip() for line in console.file.getvalue().splitlines() if line.startswith("│")]

    assert rows(metrics) == ["fold 1", "fold 2", "mean ± std", "baseline", "final: test"]
    finished = {**metrics, "status": "completed", "final": {**metrics["final"], "status": "completed", "test": test}}
    assert rows(finished) == ["fold 1", "fold 2", "mean ± std", "baseline", "final: test", "baseline: test"]
