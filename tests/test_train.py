"""`nnrun train` end to end, in-process on tiny data: the run folder, its files, statuses and exit codes."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import HEAVY, PROBE, import_keras, only_run, tiny_config

from nnrun.config.load import load_spec

RUN_FILES = {
    "config.yaml",
    "metrics.json",
    "history.csv",
    "summary.txt",
    "model.keras",
    "preprocess.json",
    "env.json",
    "history.png",
}


def test_train_writes_a_complete_run_folder(cli, write_config, tmp_path):
    config = write_config(
        tiny_config(
            dataset={
                "inline": {"x": [[0, 0], [0, 1], [1, 0], [1, 1]] * 5, "y": [0, 1, 1, 1] * 5},
                "test": 4,
                "validation": 0.25,
            }
        ),
        name="tiny",
    )
    result = cli("train", config, "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path / "runs")
    assert run.name.endswith("-tiny") and run.name[:8].isdigit()
    assert RUN_FILES <= {p.name for p in run.iterdir()}
    assert not [p.name for p in run.iterdir() if p.name.startswith(".")], "temporary files left behind"

    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["kind"] == "train" and metrics["name"] == "tiny"
    assert metrics["epochs_run"] == 3 and metrics["duration_s"] > 0
    assert metrics["params"] == 2 * 4 + 4 + 4 + 1
    for split in ("train", "validation", "test"):
        assert set(metrics[split]) == {"loss", "accuracy"}
        assert 0 <= metrics[split]["accuracy"] <= 1
    base = metrics["baseline"]
    assert base["test"]["accuracy"] == 0.75 and base["rule"].startswith("always class '1' ")  # OR-gate rows: mostly 1
    assert abs(base["test"]["loss"] - 0.5623) < 1e-3  # cross-entropy of predicting the 3:1 class shares
    assert 1 <= metrics["best_epoch"] <= 3

    with open(run / "history.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]

    resolved = yaml.safe_load((run / "config.yaml").read_text())
    assert resolved["batch_size"] == 4 and resolved["seed"] == 42 and resolved["name"] == "tiny"
    assert load_spec(run / "config.yaml").resolved() == resolved  # the saved config is itself a valid config

    env = json.loads((run / "env.json").read_text())
    assert env["backend"] in ("jax", "tensorflow", "torch") and env["device"] == "cpu" and env["seed"] == 42
    assert env["keras"].startswith("3.")
    pre = json.loads((run / "preprocess.json").read_text())
    assert pre["classes"] == [0, 1] and pre["task"] == "classification" and pre["target_kind"] == "binary"
    summary = (run / "summary.txt").read_text(encoding="utf-8")
    assert "\nmodel: 17 params\n" in summary and "Total params" not in summary  # the count the console gives
    assert (run / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    out = result.stdout
    assert "epoch 1/3" in out and "epoch 3/3" in out  # plain progress lines when stdout is not a terminal
    assert "completed after 3 epochs" in out and f"run folder: {run}" in out


def test_same_seed_gives_the_same_history(cli, write_config, tmp_path):
    config = write_config(tiny_config(epochs=4))
    for _ in range(2):
        assert cli("train", config, "--runs-dir", tmp_path / "runs", "-q").exit_code == 0
    first, second = sorted((tmp_path / "runs").iterdir())
    assert first.name != second.name  # a second run in the same second gets its own folder
    assert (first / "history.csv").read_text() == (second / "history.csv").read_text()
    other = write_config(tiny_config(epochs=4, seed=7), name="other")
    assert cli("train", other, "--runs-dir", tmp_path / "runs2", "-q").exit_code == 0
    assert (only_run(tmp_path / "runs2") / "history.csv").read_text() != (first / "history.csv").read_text()


def test_quiet_prints_no_progress_but_the_result(cli, write_config, tmp_path):
    result = cli("train", write_config(tiny_config()), "--runs-dir", tmp_path / "runs", "--quiet")
    assert result.exit_code == 0
    assert "epoch 1/3" not in result.stdout and "run folder:" in result.stdout


def test_divergence_is_a_status_and_an_exit_code(cli, write_config, tmp_path):
    config = write_config(
        tiny_config(
            layers=[{"type": "Dense", "units": 1}],
            loss="mse",
            metrics=[],
            epochs=20,
            optimizer={"name": "sgd", "learning_rate": 1e30},
        )
    )
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 3
    assert "diverged at epoch" in result.stderr
    metrics = json.loads((only_run(tmp_path / "runs") / "metrics.json").read_text())
    assert metrics["status"] == "diverged" and metrics["diverged_at"] == metrics["epochs_run"] < 20


def test_smoke_runs_one_epoch_and_keeps_nothing(cli, write_config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("train", write_config(tiny_config(epochs=50)), "--smoke")
    assert result.exit_code == 0, result.output
    assert "smoke test passed" in result.stdout and "metrics.json" in result.stdout
    assert not (tmp_path / "runs").exists()
    kept = cli("train", write_config(tiny_config(epochs=50)), "--smoke", "--runs-dir", tmp_path / "kept", "-q")
    assert kept.exit_code == 0, kept.output
    assert json.loads((only_run(tmp_path / "kept") / "metrics.json").read_text())["epochs_run"] == 1


def test_early_stopping_stops_and_is_recorded(cli, write_config, tmp_path):
    config = write_config(
        tiny_config(
            epochs=200,
            optimizer={"name": "sgd", "learning_rate": 1e-9},
            dataset={
                "inline": {"x": [[0, 0], [0, 1], [1, 0], [1, 1]] * 5, "y": [0, 1, 1, 1] * 5},
                "test": 0,
                "validation": 0.25,
            },
            early_stopping={"monitor": "val_loss", "patience": 2, "min_delta": 0.1},
        )
    )
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path / "runs")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["stopped_early"] is True and metrics["epochs_run"] == 3
    assert metrics["best"]["monitor"] == "val_loss"
    assert metrics["restored_epoch"] == 1  # restore_best_weights (on by default); min_delta: no later epoch is better
    # the learning rate is too small to change val_loss by 0.1: Keras's best stays epoch 1, the first one watched
    assert metrics["early_stop"] == {
        "epoch": 3,
        "epochs": 200,
        "monitor": "val_loss",
        "patience": 2,
        "min_delta": 0.1,
        "restored_epoch": 1,
    }
    line = (
        "stopped early at epoch 3 of 200: val_loss did not improve by more than 0.1 (min_delta) for 2 epochs "
        "(patience); the weights of epoch 1, its best, were restored"
    )
    assert line in result.stdout.splitlines()  # also with --quiet: it is part of the result
    shown = cli("show", run)
    assert line in shown.stdout.splitlines()


def test_early_stopping_without_restoring_says_the_last_weights_were_kept(cli, write_config, tmp_path):
    config = write_config(
        tiny_config(
            epochs=200,
            optimizer={"name": "sgd", "learning_rate": 1e-9},
            dataset={
                "inline": {"x": [[0, 0], [0, 1], [1, 0], [1, 1]] * 5, "y": [0, 1, 1, 1] * 5},
                "test": 0,
                "validation": 0.25,
            },
            early_stopping={"monitor": "val_loss", "patience": 0, "restore_best_weights": False},
        )
    )
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    assert (
        "stopped early at epoch 2 of 200: val_loss did not improve for 1 epoch (patience); the last epoch's "
        "weights were kept (restore_best_weights: false)"
    ) in result.stdout.splitlines()


def test_a_run_that_stops_by_itself_says_nothing_of_early_stopping(cli, write_config, tmp_path):
    config = write_config(tiny_config(early_stopping={"monitor": "loss", "patience": 50}))
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    assert "stopped early" not in result.stdout
    metrics = json.loads((only_run(tmp_path / "runs") / "metrics.json").read_text())
    assert metrics["stopped_early"] is False and "early_stop" not in metrics


# --- a run that learned nothing says so ---

# One constant feature: every model predicts one class for every row, which scores what the baseline (the
# majority training class, class 0 on a tie) scores: 0.5 on these balanced rows, on the test rows and the training rows.
NO_SIGNAL = {"inline": {"x": [[1, 1]] * 16, "y": [0, 1] * 8}, "test": 4}


def test_a_model_no_better_than_the_baseline_warns_once_and_keeps_the_warning(cli, write_config, tmp_path):
    config = write_config(tiny_config(dataset=NO_SIGNAL))
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "--quiet")
    assert result.exit_code == 0, result.output
    expected = (
        "no better than the baseline: test accuracy 0.5000 vs baseline 0.5000; train accuracy 0.5000 vs "
        "baseline 0.5000; it learned next to nothing, even on the rows it trained on; try more epochs (it ran "
        "3), another optimizer.learning_rate or a larger model; the features may also say little about this "
        "target"
    )
    assert [line for line in result.stdout.splitlines() if line.startswith("warning:")] == [f"warning: {expected}"]
    assert "warning" not in result.stderr
    run = only_run(tmp_path / "runs")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["warnings"] == [expected]
    shown = cli("show", run)
    assert f"warning: {expected}" in shown.stdout.splitlines()


def test_a_huge_loss_on_unscaled_features_warns_and_suggests_scaling(cli, write_config, tmp_path):
    # A linear model that starts as y = x1 + x2 on features in the hundreds, for a target in 0..2, and a
    # learning rate too small to move it: the loss is about 10^6 times the training mean's.
    config = write_config(
        tiny_config(
            dataset={"inline": {"x": [[100 * i, 50] for i in range(16)], "y": [i % 3 for i in range(16)]}, "test": 4},
            layers=[{"type": "Dense", "units": 1, "kernel_initializer": "ones"}],
            loss="mse",
            metrics=["mae"],
            optimizer={"name": "sgd", "learning_rate": 1e-12},
            epochs=1,
        )
    )
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    [warning] = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert re.fullmatch(
        r"warning: the loss is orders of magnitude above the baseline's: test mae \S+ vs baseline "
        r"\d\.\d{4}, test loss \S+ vs baseline \d\.\d{4} \(\S+ times\); try dataset\.scale: "
        r"standard \(the features are not scaled; values reach 1,100\), or a lower "
        r"optimizer\.learning_rate",
        warning,
    ), warning
    metrics = json.loads((only_run(tmp_path / "runs") / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["warnings"] == [warning.removeprefix("warning: ")]
    assert metrics["test"]["loss"] >= 100 * metrics["baseline"]["test"]["loss"]


def test_a_model_that_learned_has_no_warning(cli, write_config, tmp_path):
    config = write_config(tiny_config(epochs=60, optimizer={"name": "adam", "learning_rate": 0.1}))
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    metrics = json.loads((only_run(tmp_path / "runs") / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] == 1.0 > metrics["baseline"]["test"]["accuracy"]
    assert metrics["warnings"] == [] and "warning" not in result.output


def test_a_diverged_or_smoke_run_gets_no_baseline_warning(cli, write_config, tmp_path):
    diverged = write_config(
        tiny_config(
            dataset=NO_SIGNAL,
            layers=[{"type": "Dense", "units": 1}],
            loss="mse",
            metrics=[],
            epochs=20,
            optimizer={"name": "sgd", "learning_rate": 1e30},
        )
    )
    result = cli("train", diverged, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 3 and "warning" not in result.output
    assert "warnings" not in json.loads((only_run(tmp_path / "runs") / "metrics.json").read_text())
    smoke = cli(
        "train", write_config(tiny_config(dataset=NO_SIGNAL), name="smoke"), "--smoke", "--runs-dir", tmp_path / "smoke"
    )
    assert smoke.exit_code == 0 and "warning" not in smoke.output


@pytest.mark.parametrize("restore", [True, False])
def test_restored_weights_are_recorded_as_the_epoch_kept(cli, write_config, tmp_path, restore):
    # a learning rate so high the validation loss is best early, then worse for `patience` epochs
    config = write_config(
        tiny_config(
            epochs=50,
            optimizer={"name": "sgd", "learning_rate": 5.0},
            dataset={
                "inline": {"x": [[0, 0], [0, 1], [1, 0], [1, 1]] * 5, "y": [0, 1, 1, 1] * 5},
                "test": 0,
                "validation": 0.25,
            },
            early_stopping={"monitor": "val_loss", "patience": 3, "restore_best_weights": restore},
        )
    )
    assert cli("train", config, "--runs-dir", tmp_path / "runs", "-q").exit_code == 0
    run = only_run(tmp_path / "runs")
    metrics = json.loads((run / "metrics.json").read_text())
    with open(run / "history.csv", newline="") as f:
        val = [float(r["val_loss"]) for r in csv.DictReader(f)]
    assert metrics["best_epoch"] == 1 + val.index(min(val)) < metrics["epochs_run"]
    if restore:
        assert metrics["restored_epoch"] == metrics["best_epoch"]  # Keras's best epoch, 1-based as history.csv
    else:
        assert "restored_epoch" not in metrics  # the last epoch's weights are kept


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"layers": [{"type": "Dense2", "units": 1}]},
            "layers[0].type: got 'Dense2'; not a Keras layer (did you mean 'Dense'?)",
        ),
        (
            {"layers": [{"type": "Dense", "unit": 1}]},
            "layers[0].unit: Dense takes no argument 'unit' (did you mean 'units'?)",
        ),
        (
            {"layers": [{"type": "Dense", "units": 1, "activation": "sigmoidd"}]},
            "layers[0].activation: got 'sigmoidd'; unknown activation (did you mean 'sigmoid'?)",
        ),
        (
            {"layers": [{"type": "Dense", "units": 1, "activation": "sigmoid", "kernel_initializer": "he_normall"}]},
            "layers[0].kernel_initializer: got 'he_normall'; unknown initializer (did you mean 'he_normal'?)",
        ),
        ({"layers": [{"type": "Dense"}]}, "layers[0]: Dense needs units"),
        ({"optimizer": "adamm"}, "optimizer: got 'adamm'; unknown optimizer (did you mean 'adam'?)"),
        (
            {"optimizer": {"name": "sgd", "lr": 0.1}},
            "optimizer.lr: SGD takes no argument 'lr' (Keras 3 calls it 'learning_rate')",
        ),
        (
            {"loss": "binary_crossentropyy"},
            "loss: got 'binary_crossentropyy'; unknown loss (did you mean 'binary_crossentropy'?)",
        ),
        (
            {"loss": {"name": "binary_crossentropy", "from_logit": True}},
            "loss.from_logit: BinaryCrossentropy takes no argument 'from_logit' (did you mean 'from_logits'?)",
        ),
        ({"metrics": ["accuracy", "aucc"]}, "metrics[1]: got 'aucc'; unknown metric (did you mean 'auc'?)"),
        ({"activation": "rellu"}, "activation: got 'rellu'; unknown activation (did you mean 'relu'?)"),
        (
            {"layers": [{"type": "Dense", "units": 2, "activation": "softmax"}]},
            "layers[0]: the output has 2 units, but binary_crossentropy needs 1: write {type: Dense, units: 1, activation: sigmoid}",
        ),
        (
            {"layers": [{"type": "Dense", "units": 1, "activation": "softmax"}]},
            "layers[0].activation: got softmax; binary_crossentropy needs outputs from sigmoid: write activation: sigmoid, "
            "or activation: linear with loss: {name: binary_crossentropy, from_logits: true}",
        ),
        (
            {"loss": "sparse_categorical_crossentropy"},
            "layers[1]: the output has 1 unit with sigmoid, but sparse_categorical_crossentropy on 2 classes (0, 1) "
            "needs 2 units with softmax: write units: 2, activation: softmax; or keep 1 unit with activation: sigmoid and "
            "use loss: binary_crossentropy, the simpler choice for two classes",
        ),
        (
            {
                "layers": [
                    {"type": "Conv2D", "filters": 2, "kernel_size": 3},
                    {"type": "Dense", "units": 1, "activation": "sigmoid"},
                ]
            },
            "layers[0]: Conv2D cannot take input of shape (None, 2)",
        ),
        (
            {
                "layers": [
                    {"type": "Lambda", "function": "__import__('os').system('touch pwned')"},
                    {"type": "Dense", "units": 1, "activation": "sigmoid"},
                ]
            },
            "layers[0].type: got 'Lambda'; a Lambda layer runs a Python function, and nnrun runs no code from a config; "
            "use Keras layers that do the same, such as Rescaling, Normalization, Activation or Reshape",
        ),
        (
            {"early_stopping": {"monitor": "val_loss"}},
            "early_stopping.monitor: got val_loss; it needs validation rows: set dataset.validation (e.g. 0.2) or monitor: loss",
        ),
    ],
)
def test_model_errors_are_one_line_and_leave_no_run_folder(cli, write_config, tmp_path, change, expected):
    config = write_config(tiny_config(**change))
    result = cli("train", config, "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert expected in lines[0]
    assert str(config) in lines[0]  # where: the config file and line of the key
    assert "Traceback" not in result.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_an_output_activation_that_cannot_reach_the_target_is_noted(cli, write_config, tmp_path):
    config = write_config(
        tiny_config(
            dataset={"inline": {"x": [[0], [1], [2], [3]] * 2, "y": [0, 5, 10, 15] * 2}, "test": 0},
            layers=[{"type": "Dense", "units": 1, "activation": "sigmoid"}],
            loss="mse",
            metrics=["mae"],
        )
    )
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0
    assert (
        "note: layers[0].activation: sigmoid outputs values in [0, 1], but the target ranges from 0 to 15"
        in result.stdout
    )


def test_a_failure_inside_training_is_recorded(cli, write_config, tmp_path, monkeypatch):
    import_keras()
    import nnrun.engine.train

    def broken_fit(*args, **kwargs):
        raise RuntimeError("out of memory in a test")

    monkeypatch.setattr(nnrun.engine.train, "fit", broken_fit)
    result = cli("train", write_config(tiny_config()), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 1
    run = only_run(tmp_path / "runs")
    assert "run failed: RuntimeError: out of memory in a test" in result.stderr and "error.txt" in result.stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["status"] == "failed"
    assert metrics["error"] == {"type": "RuntimeError", "message": "out of memory in a test"}
    assert "Traceback" in (run / "error.txt").read_text()


def test_ctrl_c_keeps_the_history_and_says_interrupted(cli, write_config, tmp_path, monkeypatch):
    keras = import_keras()

    class StopAtEpoch2(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    import nnrun.engine.train

    original = nnrun.engine.train.fit
    monkeypatch.setattr(nnrun.engine.train, "fit", lambda *a, **k: original(*a[:6], [*a[6], StopAtEpoch2()], **k))
    result = cli("train", write_config(tiny_config(epochs=10)), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 130 and "interrupted" in result.stderr
    run = only_run(tmp_path / "runs")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["status"] == "interrupted" and metrics["epochs_run"] == 2
    assert (run / "model.keras").exists() and (run / "history.png").exists()


def test_an_unwritable_runs_dir_is_a_clear_error(cli, write_config, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = cli("train", write_config(tiny_config()), "--runs-dir", blocker / "runs")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: --runs-dir {blocker / 'runs'}: cannot create a run folder there")


def test_check_deep_builds_the_model_without_training_or_writing(cli, write_config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    good = cli("check", write_config(tiny_config()), "--deep")
    assert good.exit_code == 0, good.output
    assert good.stdout.strip().splitlines()[-1] == (
        "# data: 12 train, 4 test rows, input shape (2,), task classification; model: 17 params; output fits the loss"
    )
    bad = cli(
        "check", write_config(tiny_config(layers=[{"type": "Dense", "units": 3, "activation": "softmax"}])), "--deep"
    )
    assert bad.exit_code == 2 and "but binary_crossentropy needs 1" in bad.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]  # no runs/ folder, nothing else written


def test_the_saved_config_reruns_from_the_run_folder(cli, tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "points.csv").write_text("".join(f"{i % 7},{i % 3},{int(i % 7 > 3)}\n" for i in range(40)))
    (project / "exp.yaml").write_text(
        "dataset: {path: points.csv, test: 8}\nlayers: [{type: Dense, units: 1, activation: sigmoid}]\n"
        "loss: binary_crossentropy\nepochs: 2\n"
    )
    monkeypatch.chdir(tmp_path)
    assert cli("train", project / "exp.yaml", "-q").exit_code == 0
    first = only_run(tmp_path / "runs")
    assert yaml.safe_load((first / "config.yaml").read_text())["dataset"]["path"] == str(project / "points.csv")
    again = cli("train", first / "config.yaml", "--runs-dir", tmp_path / "again", "-q")
    assert again.exit_code == 0, again.output
    assert (only_run(tmp_path / "again") / "history.csv").read_text() == (first / "history.csv").read_text()


def test_a_data_directory_file_keeps_its_portable_name(cli, write_config, tmp_path, monkeypatch):
    data = tmp_path / "shared"
    data.mkdir()
    (data / "points.csv").write_text("".join(f"{i % 7},{int(i % 7 > 3)}\n" for i in range(20)))
    monkeypatch.setenv("NNRUN_DATA_DIR", str(data))
    config = write_config(
        "dataset: {path: points.csv, test: 4}\nlayers: [{type: Dense, units: 1, activation: sigmoid}]\n"
        "loss: binary_crossentropy\nepochs: 1\n"
    )
    assert cli("train", config, "--runs-dir", tmp_path / "runs", "-q").exit_code == 0
    saved = yaml.safe_load((only_run(tmp_path / "runs") / "config.yaml").read_text())
    assert saved["dataset"]["path"] == "points.csv"


def test_data_errors_say_where_the_value_came_from(cli, write_config, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
    config = write_config(tiny_config(dataset={"path": str(data), "test": 0}))
    by_set = cli("train", config, "--set", "dataset.target=9", "--runs-dir", tmp_path / "runs")
    assert by_set.exit_code == 2
    assert by_set.stderr.startswith("error: --set dataset.target=9: dataset.target: got 9; d.csv has 3 columns")
    in_file = cli("train", write_config(tiny_config(dataset={"path": str(data), "test": 0, "target": "z"})))
    assert in_file.exit_code == 2
    assert "exp.yaml:" in in_file.stderr and "dataset.target: got 'z'; no such column" in in_file.stderr


def test_metrics_with_one_value_per_class_are_recorded(cli, write_config, tmp_path):
    config = write_config(tiny_config(metrics=["accuracy", "auc", {"name": "f1_score", "threshold": 0.5}]))
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path / "runs")
    header = (run / "history.csv").read_text().splitlines()[0]
    assert header == "epoch,loss,accuracy,auc,f1_score"
    assert set(json.loads((run / "metrics.json").read_text())["test"]) == {"loss", "accuracy", "auc", "f1_score"}


def test_env_records_the_configs_git_commit_and_whether_the_tree_is_dirty(tmp_path):
    import subprocess

    from nnrun.engine.train import _git

    def git(*args):
        return subprocess.run(["git", "-C", str(tmp_path), *args], capture_output=True, text=True, check=True).stdout

    assert _git(tmp_path) is None  # not a repository: nothing to record
    git("init", "-q")
    (tmp_path / "exp.yaml").write_text("epochs: 3\n")
    git("add", "exp.yaml")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "config")
    head = git("rev-parse", "HEAD").strip()
    assert _git(tmp_path) == {"commit": head, "dirty": False}
    (tmp_path / "exp.yaml").write_text("epochs: 5\n")
    assert _git(tmp_path) == {"commit": head, "dirty": True}


def test_steps_per_execution_auto_runs_compiled_epochs_with_keras_fits_history(cli, write_config, tmp_path):
    histories = {}
    for steps in ("auto", 1):
        config = write_config(tiny_config(epochs=4, steps_per_execution=steps), name=f"spe-{steps}")
        assert cli("train", config, "--runs-dir", tmp_path / str(steps), "-q").exit_code == 0
        run = only_run(tmp_path / str(steps))
        histories[steps] = (run / "history.csv").read_text()
        env = json.loads((run / "env.json").read_text())
        assert env["performance"] == {
            "training_loop": "compiled epochs" if steps == "auto" else "keras fit",
            "steps_per_execution": 3 if steps == "auto" else 1,
            "jit_compile": True,
            "compilation_cache": os.environ["JAX_COMPILATION_CACHE_DIR"],
        }
    # 12 training rows, batch 4: nnrun's one compiled call per epoch, or Keras's fit with one call per step
    assert histories["auto"] == histories[1]


# --- splits that cannot be scored (case 08: a file sorted by class, `test: 20` takes the last rows) ---

CASE_08 = Path("/work/shared/cases/round-2/08-sorted-file-last-rows-test")
SORTED_ROWS = {"x": [[i, i % 3] for i in range(16)], "y": [0] * 8 + [1] * 8}  # sorted by class
SORTED_REFUSAL = (
    "the test rows hold class 1, which the training rows lack (test: 1 8; training: 0 8), so the model "
    "would be scored on a class it never saw; use test: 0.2, which is shuffled and stratified"
)


def test_a_test_set_of_a_class_never_trained_on_is_refused_before_any_run_folder(
    cli, write_config, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    config = write_config(tiny_config(dataset={"inline": SORTED_ROWS, "test": 8}))
    result = cli("train", config)
    assert result.exit_code == 2, result.output
    assert re.fullmatch(
        rf"error: {re.escape(str(config))}:\d+: dataset\.test: got 8 \(the last 8 rows\): "
        rf"{re.escape(SORTED_REFUSAL)}",
        result.stderr.strip(),
    ), result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]
    # --smoke trains on the first rows of each split, but the check is on the real split
    assert cli("train", config, "--smoke").exit_code == 2
    deep = cli("check", config, "--deep")
    assert deep.exit_code == 2 and deep.stderr.strip().endswith(SORTED_REFUSAL)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]


def test_the_sorted_flowers_case_is_refused_without_importing_keras(tmp_path):
    if not CASE_08.is_dir():
        pytest.skip("needs the round-2 cases")
    args = ["train", str(CASE_08 / "config.yaml"), "--runs-dir", str(tmp_path / "runs")]
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1] == "HEAVY: EXIT:2", result.stdout + result.stderr
    assert result.stderr.strip() == (
        f"error: {CASE_08 / 'config.yaml'}:5: dataset.test: got 20 (the last 20 rows): the test rows hold class "
        "virginica, which the training rows lack (test: virginica 20; training: setosa 20, versicolor 20), so the "
        "model would be scored on a class it never saw; use test: 0.2, which is shuffled and stratified"
    )
    assert not (tmp_path / "runs").exists()


def test_a_single_class_test_set_trains_with_a_note(cli, write_config, tmp_path):
    config = write_config(tiny_config(dataset={"inline": SORTED_ROWS, "test": 4}, epochs=1))
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "note: dataset.test: 4 (the last 4 rows): the test rows hold a single class (test: 1 4; training: 0 8, 1 4), "
        "so their score says nothing about the others; use test: 0.2, which is shuffled and stratified"
    )


def test_smoke_says_which_rows_it_trains_on(cli, write_config, tmp_path):
    config = write_config(
        tiny_config(
            dataset={
                "inline": {"x": [[0, 0], [0, 1], [1, 0], [1, 1]] * 10, "y": [0, 1, 1, 1] * 10},
                "test": 8,
                "validation": 0.25,
            },
            batch_size=4,
        )
    )
    result = cli("train", config, "--smoke", "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 0, result.output
    assert (
        "; rows (--smoke: the first rows of each split): 8 of 24 train, 4 of 8 validation, 4 of 8 test; "
        in result.stdout.splitlines()[0]
    )
    full = cli("train", config, "--set", "epochs=1", "--runs-dir", tmp_path / "runs")
    assert "; rows: 24 train, 8 validation, 8 test; " in full.stdout.splitlines()[0]


def test_an_interrupted_run_shows_no_baseline_of_a_split_it_did_not_score(cli, write_config, tmp_path, monkeypatch):
    import_keras()  # nnrun.engine.train imports Keras: with the backend nnrun would choose
    import nnrun.engine.train
    from nnrun.engine.callbacks import StopRequest

    class SignalAfterEpoch2(StopRequest):
        """A Ctrl-C arriving during epoch 2: the epoch finishes, then the run stops `interrupted`."""

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.requested = "SIGINT"
            super().on_epoch_end(epoch, logs)

    monkeypatch.setattr(nnrun.engine.train, "StopRequest", SignalAfterEpoch2)
    config = write_config(
        tiny_config(
            epochs=10,
            dataset={
                "inline": {"x": [[0, 0], [0, 1], [1, 0], [1, 1]] * 5, "y": [0, 1, 1, 1] * 5},
                "test": 4,
                "validation": 0.25,
            },
        )
    )
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 130, result.output
    metrics = json.loads((only_run(tmp_path / "runs") / "metrics.json").read_text())
    assert metrics["status"] == "interrupted" and "test" not in metrics and "test" in metrics["baseline"]
    rows = [line.split("│")[1].strip() for line in result.stdout.splitlines() if line.startswith("│")]
    assert rows == ["train", "validation", "validation, baseline"]
    shown = cli("show", only_run(tmp_path / "runs"))
    assert [line.split("│")[1].strip() for line in shown.stdout.splitlines() if line.startswith("│")] == rows


def test_a_run_early_stopping_did_not_end_says_which_weights_were_restored(cli, write_config, tmp_path):
    # Keras's EarlyStopping puts back the best epoch's weights at the end of every fit with restore_best_weights,
    # also when patience never ran out: the scores are then the best epoch's, which the result must say.
    config = write_config(
        tiny_config(
            epochs=20,
            optimizer={"name": "sgd", "learning_rate": 5.0},
            dataset={
                "inline": {"x": [[0, 0], [0, 1], [1, 0], [1, 1]] * 5, "y": [0, 1, 1, 1] * 5},
                "test": 0,
                "validation": 0.25,
            },
            early_stopping={"monitor": "val_loss", "patience": 1000},
        )
    )
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path / "runs")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["stopped_early"] is False and metrics["epochs_run"] == 20
    restored = metrics["restored_epoch"]
    assert restored == metrics["best_epoch"] < 20
    line = (
        f"early stopping did not stop the run, but the weights of epoch {restored}, its best, were restored at the "
        f"end (restore_best_weights: true), so the scores are epoch {restored}'s, not epoch 20's"
    )
    assert line in result.stdout.splitlines()
    assert line in cli("show", run).stdout.splitlines()


def test_an_interrupted_run_does_not_call_its_logged_scores_the_restored_epochs():
    # Ctrl-C ends fit, and Keras's EarlyStopping then restores the best weights into model.keras; the scores kept
    # are the last finished epoch's logs, which the line must not attribute to the restored epoch
    from nnrun.views.report import kept_weights_line

    interrupted = {"status": "interrupted", "epochs_run": 2238, "restored_epoch": 46}
    assert kept_weights_line(interrupted) == (
        "model.keras holds the weights of epoch 46, its best "
        "(restore_best_weights: true); the scores are those logged at epoch 2238, "
        "the last finished"
    )
    assert "so the scores are epoch 46's" in kept_weights_line({**interrupted, "status": "completed"})
    assert kept_weights_line({**interrupted, "restored_epoch": 2238}) is None


def test_metrics_json_records_which_way_each_metric_is_better(cli, write_config, tmp_path):
    """As Keras's metric says (f_beta_score: higher, though its name ends in 'score'), else by the name
    (false_negatives, which Keras says nothing about); one entry for each metric the run reports."""
    config = write_config(tiny_config(metrics=["accuracy", "auc", "f_beta_score", "false_negatives"]))
    result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    metrics = json.loads((only_run(tmp_path / "runs") / "metrics.json").read_text())
    assert metrics["directions"] == {
        "loss": "min",
        "accuracy": "max",
        "auc": "max",
        "f_beta_score": "max",
        "false_negatives": "min",
    }
    assert set(metrics["directions"]) == set(metrics["test"])
