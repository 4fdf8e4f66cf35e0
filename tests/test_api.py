"""`from nnrun import api`: one run as a quiet function that returns its Outcome."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import CONFIGS, REPO, tiny_config

from nnrun import api
from nnrun.errors import ConfigError, NnrunError


def test_train_prints_nothing_and_returns_the_outcome(tmp_path):
    """The issue's own line: only what the caller prints appears, on stdout or stderr."""
    code = (
        "from nnrun import api; o = api.train('configs/quickstart.yaml', overrides=['epochs=2'], "
        f"runs_dir={str(tmp_path / 'r')!r}); print(o.status, o.run_dir)"
    )
    process = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr
    run = next((tmp_path / "r").iterdir())
    assert process.stdout == f"completed {run}\n"
    assert process.stderr == ""
    assert json.loads((run / "metrics.json").read_text())["epochs_run"] == 2


def test_check_returns_the_spec_with_the_backend_resolved():
    spec = api.check(CONFIGS / "pima.yaml", overrides=["epochs=7"])
    assert spec.epochs == 7 and spec.name == "pima"
    assert spec.backend in ("jax", "tensorflow", "torch")


def test_bad_input_raises_before_any_folder(write_config, tmp_path):
    with pytest.raises(ConfigError, match=r"epochs: got -1"):
        api.train(write_config(tiny_config(epochs=-1)), runs_dir=tmp_path / "runs")
    with pytest.raises(ConfigError, match=r"kfold: missing; add `kfold: 5`"):
        api.kfold(write_config(tiny_config()), runs_dir=tmp_path / "runs")
    with pytest.raises(NnrunError, match=r"dataset.path: \S+absent.csv not found"):
        api.train(
            write_config(tiny_config(dataset={"path": str(tmp_path / "absent.csv"), "target": 0})),
            runs_dir=tmp_path / "runs",
        )
    assert not (tmp_path / "runs").exists()


def test_epochs_and_notes_go_to_the_callbacks_not_the_terminal(write_config, tmp_path, capfd):
    epochs, notes = [], []
    outcome = api.train(
        write_config(tiny_config(epochs=3)), runs_dir=tmp_path / "runs", on_epoch=epochs.append, on_note=notes.append
    )
    assert outcome.status == "completed" and outcome.ok and outcome.error is None
    assert [e["epoch"] for e in epochs] == [1, 2, 3] and {e["epochs"] for e in epochs} == {3}
    assert epochs[0]["fold"] is None and set(epochs[0]["logs"]) >= {"loss", "accuracy"}
    assert outcome.metrics["status"] == "completed" and "test" in outcome.metrics
    assert outcome.notes == notes
    assert outcome.warnings == outcome.metrics.get("warnings", [])
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_an_interrupted_run_is_an_outcome(write_config, tmp_path):
    def interrupt(epoch):
        if epoch["epoch"] == 2:
            raise KeyboardInterrupt

    outcome = api.train(write_config(tiny_config(epochs=5)), runs_dir=tmp_path / "runs", on_epoch=interrupt)
    assert outcome.status == "interrupted" and isinstance(outcome.error, KeyboardInterrupt)
    metrics = json.loads((outcome.run_dir / "metrics.json").read_text())
    assert metrics["status"] == "interrupted" and metrics["epochs_run"] == 2


def test_a_failed_fold_is_an_outcome_naming_the_fold(write_config, tmp_path, monkeypatch):
    def fail_in_fold_2(epoch):
        if epoch["fold"] == 2:
            raise RuntimeError("out of memory in a test")

    folds = []
    outcome = api.kfold(
        write_config(tiny_config()), k=3, runs_dir=tmp_path / "runs", on_epoch=fail_in_fold_2, on_fold=folds.append
    )
    assert outcome.status == "failed" and outcome.stopped_in == "fold-2"
    assert isinstance(outcome.error, RuntimeError) and str(outcome.error) == "out of memory in a test"
    assert outcome.metrics["error"] == {"type": "RuntimeError", "message": "out of memory in a test"}
    assert [f["fold"] for f in folds] == [1]  # the finished fold was heard
    assert (outcome.run_dir / "error.txt").exists()


def test_a_failure_before_the_folder_exists_is_a_failed_outcome_without_one(write_config, tmp_path, monkeypatch):
    import nnrun.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("the model could not be built")

    monkeypatch.setattr(nnrun.pipeline, "_checked_model", broken)
    outcome = api.train(write_config(tiny_config()), runs_dir=tmp_path / "runs")
    assert outcome.status == "failed" and outcome.run_dir is None and outcome.metrics == {}
    assert str(outcome.error) == "the model could not be built"
    assert not (tmp_path / "runs").exists()


def test_kfold_and_predict(write_config, tmp_path):
    config = write_config(tiny_config(kfold={"k": 2, "refit": True}))
    heard = []
    outcome = api.kfold(config, runs_dir=tmp_path / "runs", on_epoch=heard.append)
    assert outcome.status == "completed" and outcome.stopped_in == ""
    assert [f["fold"] for f in outcome.metrics["folds"]] == [1, 2]
    assert {e["fold"] for e in heard} == {1, 2, "final"}
    rows = tmp_path / "rows.csv"
    rows.write_text("0,0\n1,1\n")
    predictions = api.predict(outcome.run_dir, rows)
    assert predictions.rows == 2 and len(predictions.table) == 2 and predictions.score is None
