"""`nnrun show RUN` and `nnrun diff A B`, on run folders written by hand (see test_compare.make_run)."""

from __future__ import annotations

import os
import re
import socket

import pytest
from helpers import (
    KF,
    SCORES,
    TR,
    A,
    B,
    dead_pid,
    history,
    kfold_metrics,
    make_run,
    pima_config,
    running_metrics,
    train_metrics,
)
from helpers import RUN_CONFIGS as CONFIGS

from nnrun.runs.record import read_run
from nnrun.views.show import ABSENT, config_changes


@pytest.fixture(autouse=True)
def plain_output(monkeypatch):
    """The CLI's output must not depend on the terminal settings of whoever runs the tests."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


def table_rows(text: str) -> dict[str, list[str]]:
    """The body rows of the Rich tables in `text`, by their first cell: {"test": ["0.4000", "0.7500"], ...}."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            rows[cells[0]] = cells[1:]
    return rows


def lines_starting(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


@pytest.fixture
def pima_run(tmp_path):
    return make_run(tmp_path / "runs", A, CONFIGS[A], train_metrics("pima", *SCORES[A]), history())


@pytest.fixture
def kfold_run(tmp_path):
    return make_run(
        tmp_path / "runs",
        KF,
        CONFIGS[A] | {"name": "boston"},
        kfold_metrics(
            "boston", {"loss": 14.8858, "mae": 2.5481}, {"loss": 2.9415, "mae": 0.2912}, {"loss": 9.0960, "mae": 2.1150}
        ),
        history(("loss", "mae"), start=20.0),
        kind="kfold",
    )


# --- 10. show ---


def test_show_a_train_run(cli, pima_run):
    result = cli("show", pima_run)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0] == str(pima_run)
    for fact in (
        "name: pima",
        "kind: train",
        "status: completed",
        "started: 2026-11-22 08:19:01",
        "duration_s: 12.4",
        "epochs run: 3",
        "best epoch: 3 (val_loss 0.5200)",
        "weights kept: epoch 3 (the last)",
        "params: 221",
    ):
        assert fact in out.splitlines(), fact
    rows = table_rows(out)
    assert rows["test"] == ["0.4000", "0.7500"]
    assert rows["validation"] == ["0.5200", "0.7300"]
    assert rows["test, baseline"] == ["0.6000", "1.1250"]
    config = out.split("\nconfig\n")[1].split("\nfiles\n")[0]
    assert "optimizer: {name: adam, learning_rate: 0.01}" in config and "epochs: 3" in config
    files = out.split("\nfiles\n")[1].splitlines()
    assert [f.split()[0] for f in files] == ["config.yaml", "history.csv", "metrics.json"]
    assert all(re.search(r"  \(\d+(\.\d)? K?B\)$", f) for f in files), files  # with their sizes


def test_show_says_whose_weights_are_kept_when_restored(cli, tmp_path):
    # the best epoch (the monitored value's best) and the weights model.keras holds are two facts: say both
    metrics = train_metrics("pima", *SCORES[A]) | {"restored_epoch": 2}
    run = make_run(tmp_path / "runs", A, CONFIGS[A], metrics, history())
    assert (
        "weights kept: epoch 2 (best val_loss, restored)" in cli("show", run).stdout.splitlines()
    )  # as history.png says


def test_show_a_kfold_run_has_the_per_fold_table(cli, kfold_run):
    result = cli("show", kfold_run)
    assert result.exit_code == 0, result.stderr
    rows = table_rows(result.stdout)
    assert rows["fold 1"][:2] == ["completed", "3"] and rows["fold 1"][2:] == ["11.9443", "2.2569"]
    assert rows["fold 2"][2:] == ["17.8273", "2.8393"]
    assert rows["mean ± std"][2:] == ["14.8858 ± 2.9415", "2.5481 ± 0.2912"]
    assert rows["final: test"] == ["completed", "3", "9.0960", "2.1150"]
    assert "kind: kfold" in result.stdout.splitlines()
    files = result.stdout.split("\nfiles\n")[1].splitlines()
    assert "fold-1/" in files and "fold-2/" in files


def test_show_a_crashed_run_says_so_and_why(cli, tmp_path):
    run = make_run(
        tmp_path / "runs", A, CONFIGS[A], running_metrics(pid=dead_pid(), host=socket.gethostname()), history(epochs=5)
    )
    result = cli("show", run)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "status: crashed" in lines and "epochs run: 5" in lines
    assert "split" not in result.stdout  # no scores yet: no empty score table
    [warning] = lines_starting(result.stdout, "warning:")
    assert "is gone" in warning


def test_show_a_running_run_has_no_warning(cli, tmp_path):
    run = make_run(tmp_path / "runs", A, CONFIGS[A], running_metrics(pid=os.getpid(), host=socket.gethostname()))
    result = cli("show", run)
    assert "status: running" in result.stdout.splitlines()
    assert lines_starting(result.stdout, "warning:") == []


def test_show_an_unreadable_run_still_shows_its_config(cli, tmp_path):
    run = make_run(tmp_path / "runs", A, CONFIGS[A], '{"status": "completed", "kind": "tr')
    result = cli("show", run)
    assert result.exit_code == 0
    assert "status: unreadable" in result.stdout.splitlines()
    [warning] = lines_starting(result.stdout, "warning:")
    assert "metrics.json is unreadable" in warning
    assert "learning_rate: 0.01" in result.stdout


def test_show_a_failed_run_shows_its_error(cli, tmp_path):
    failed = {
        **running_metrics(pid=1, host="trainer-7"),
        "status": "failed",
        "duration_s": 0.8,
        "error": {"type": "ValueError", "message": "Input 0 is incompatible with the layer"},
    }
    run = make_run(tmp_path / "runs", A, CONFIGS[A], failed)
    result = cli("show", run)
    assert result.exit_code == 0
    assert "error: ValueError: Input 0 is incompatible with the layer" in result.stdout.splitlines()


def test_show_a_folder_that_is_not_a_run(cli, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("x")
    result = cli("show", tmp_path / "notes")
    assert result.exit_code == 2
    [line] = lines_starting(result.stderr, "error:")
    assert "not a run folder" in line


@pytest.mark.parametrize("path", ["nosuch", "a-file.txt"])
def test_show_a_path_that_is_no_folder(cli, tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file.txt").write_text("x")
    result = cli("show", path)
    assert result.exit_code == 2
    [line] = lines_starting(result.stderr, "error:")
    assert f"{path}: no such run folder" in line


def test_show_prints_the_runs_own_warnings_and_its_early_stop(cli, tmp_path):
    warning = "no better than the baseline: test accuracy 0.7500 vs baseline 0.7500; ..."
    stop = {"epoch": 3, "epochs": 200, "monitor": "val_loss", "patience": 2, "min_delta": 0.0, "restored_epoch": 1}
    metrics = train_metrics("pima", *SCORES[A]) | {"warnings": [warning], "stopped_early": True, "early_stop": stop}
    result = cli("show", make_run(tmp_path / "runs", A, CONFIGS[A], metrics, history()))
    assert result.exit_code == 0, result.stderr
    assert lines_starting(result.stdout, "warning:") == [f"warning: {warning}"]
    assert (
        "stopped early at epoch 3 of 200: val_loss did not improve for 2 epochs (patience); the weights of "
        "epoch 1, its best, were restored"
    ) in result.stdout.splitlines()


def test_show_a_kfold_run_says_which_folds_and_refit_stopped_early(cli, tmp_path):
    metrics = kfold_metrics(
        "boston", {"loss": 14.8858, "mae": 2.5481}, {"loss": 2.9415, "mae": 0.2912}, {"loss": 9.0960, "mae": 2.1150}
    )
    stop = {"epoch": 3, "epochs": 100, "monitor": "val_mae", "patience": 1, "min_delta": 0.5, "restored_epoch": None}
    metrics["folds"][1] |= {"stopped_early": True, "early_stop": stop}
    metrics["final"]["early_stop"] = stop | {"monitor": "loss"}
    metrics["warnings"] = ["barely better than the baseline: mean validation mae 2.5481 vs baseline 2.6000; ..."]
    run = make_run(
        tmp_path / "runs", KF, CONFIGS[A] | {"name": "boston"}, metrics, history(("loss", "mae")), kind="kfold"
    )
    lines = cli("show", run).stdout.splitlines()
    kept = "the last epoch's weights were kept (restore_best_weights: false)"
    assert (
        f"fold 2: stopped early at epoch 3 of 100: val_mae did not improve by more than 0.5 (min_delta) for 1 "
        f"epoch (patience); {kept}"
    ) in lines
    assert not [line for line in lines if line.startswith("fold 1: stopped")]
    assert (
        f"final: stopped early at epoch 3 of 100: loss did not improve by more than 0.5 (min_delta) for 1 epoch "
        f"(patience); {kept}"
    ) in lines
    assert lines_starting("\n".join(lines), "warning:") == [f"warning: {metrics['warnings'][0]}"]


# --- 11. diff ---


@pytest.fixture
def two_runs(tmp_path):
    """a: A's config and scores; b: learning rate 0.001 and dataset.stratify set (a has no such key), scores
    a little apart: test_loss and test_accuracy +0.0123, val_loss -0.0123, val_accuracy equal."""
    root = tmp_path / "runs"
    a = make_run(root, A, CONFIGS[A], train_metrics("pima", *SCORES[A]))
    config_b = pima_config(0.001, 8, dataset={**CONFIGS[A]["dataset"], "stratify": True})
    b = make_run(
        root,
        B,
        config_b,
        train_metrics("pima", {"loss": 0.4123, "accuracy": 0.7623}, {"loss": 0.5077, "accuracy": 0.73}),
    )
    return a, b


def test_diff_shows_the_config_changes_old_and_new(cli, two_runs):
    result = cli("diff", *two_runs)
    assert result.exit_code == 0, result.stderr
    rows = table_rows(result.stdout)
    assert rows["optimizer.learning_rate"] == ["0.01", "0.001"]
    assert rows["dataset.stratify"] == ["(absent)", "true"]
    assert "layers[0].units" not in rows and "loss" not in rows  # unchanged keys are left out


def test_diff_shows_the_scores_their_difference_and_which_is_better(cli, two_runs):
    rows = table_rows(cli("diff", *two_runs).stdout)
    assert rows["test_loss"] == ["0.4000", "0.4123", "+0.0123", "a"]  # loss: lower is better
    assert rows["test_accuracy"] == ["0.7500", "0.7623", "+0.0123", "b"]  # accuracy: higher is better
    assert rows["val_loss"] == ["0.5200", "0.5077", "-0.0123", "b"]
    assert rows["val_accuracy"] == ["0.7300", "0.7300", "+0.0000", "same"]


@pytest.mark.parametrize("recorded, better", [({"loss": "min", "cosine_similarity": "max"}, "b"), (None, "a")])
def test_diff_says_which_is_better_as_the_runs_recorded_else_by_the_name(cli, tmp_path, recorded, better):
    """cosine_similarity: Keras says higher is better; a run written before metrics.json recorded `directions`
    is read by the name rules, as before (lower)."""
    for name, score in (("a", 0.2), ("b", 0.9)):
        metrics = train_metrics("pima", {"loss": 0.5, "cosine_similarity": score}, {"loss": 0.5})
        make_run(
            tmp_path,
            name,
            pima_config(metrics=["cosine_similarity"]),
            {**metrics, "directions": recorded} if recorded else metrics,
        )
    rows = table_rows(cli("diff", tmp_path / "a", tmp_path / "b").stdout)
    assert rows["test_cosine_similarity"] == ["0.2000", "0.9000", "+0.7000", better]


def test_diff_is_directed_a_to_b(cli, two_runs):
    a, b = two_runs
    rows = table_rows(cli("diff", b, a).stdout)
    assert rows["optimizer.learning_rate"] == ["0.001", "0.01"]
    assert rows["dataset.stratify"] == ["true", "(absent)"]
    assert rows["test_accuracy"] == ["0.7623", "0.7500", "-0.0123", "a"]


def test_diff_of_identical_configs(cli, tmp_path):
    root = tmp_path / "runs"
    a = make_run(root, A, CONFIGS[A], train_metrics("pima", *SCORES[A]))
    b = make_run(root, "again", CONFIGS[A], train_metrics("pima", *SCORES[B]))
    result = cli("diff", a, b)
    assert result.exit_code == 0
    assert "config: identical" in result.stdout.splitlines()
    assert table_rows(result.stdout)["test_accuracy"] == ["0.7500", "0.8000", "+0.0500", "b"]


def test_diff_of_a_kfold_and_a_train_run(cli, tmp_path, kfold_run):
    train = make_run(
        tmp_path / "runs",
        TR,
        CONFIGS[A] | {"name": "boston"},
        train_metrics("boston", {"loss": 10.0, "mae": 2.2}, {"loss": 13.0, "mae": 2.4}),
    )
    result = cli("diff", kfold_run, train)
    assert result.stdout.splitlines()[:2] == [f"a {kfold_run} (kfold, completed)", f"b {train} (train, completed)"]
    rows = table_rows(result.stdout)
    assert rows["val_mae"] == ["2.5481 ± 0.2912", "2.4000", "-0.1481", "b"]
    assert rows["test_mae"] == ["2.1150", "2.2000", "+0.0850", "a"]
    assert "val_mae_std" not in rows  # the spread is shown in its mean's cell


def test_diff_when_a_run_has_no_scores(cli, tmp_path, pima_run):
    running = make_run(tmp_path / "runs", "elsewhere", CONFIGS[A], running_metrics(pid=1, host="trainer-7"))
    result = cli("diff", pima_run, running)
    assert result.exit_code == 0
    assert table_rows(result.stdout)["test_accuracy"] == ["0.7500", "", "", ""]
    both = cli("diff", running, running)
    assert "scores: neither run has any" in both.stdout.splitlines()


def test_diff_of_a_missing_run(cli, pima_run, tmp_path):
    result = cli("diff", pima_run, tmp_path / "nosuch")
    assert result.exit_code == 2
    [line] = lines_starting(result.stderr, "error:")
    assert "no such run folder" in line


def test_diff_tells_a_null_value_from_an_absent_key(cli, tmp_path):
    root = tmp_path / "runs"
    a = make_run(root, A, CONFIGS[A] | {"activation": None}, train_metrics("pima", *SCORES[A]))
    b = make_run(root, B, CONFIGS[A] | {"activation": "relu"}, train_metrics("pima", *SCORES[B]))
    assert table_rows(cli("diff", a, b).stdout)["activation"] == ["null", "relu"]


def test_config_changes_lists_each_changed_key_once_a_keys_first(two_runs):
    a, b = (read_run(p) for p in two_runs)
    assert config_changes(a, b) == [("optimizer.learning_rate", 0.01, 0.001), ("dataset.stratify", ABSENT, True)]
    assert config_changes(a, a) == []
