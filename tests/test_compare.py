"""`nnrun compare`: which columns it shows, sorting, filtering, --metrics, the four formats, broken runs, run
discovery and --plot. Run folders are written by hand (no model is trained), shaped as train and kfold write them."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
from pathlib import Path

import pytest
from helpers import (  # run folders, as nnrun train and nnrun kfold leave them
    FINISHED,
    KF,
    SCORES,
    TR,
    A,
    B,
    C,
    boston_config,
    dead_pid,
    history,
    kfold_metrics,
    make_run,
    pima_config,
    running_metrics,
    train_metrics,
)
from helpers import RUN_CONFIGS as CONFIGS

from nnrun.runs.folder import direction
from nnrun.runs.record import read_run
from nnrun.views import compare as cmp

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUN_COLUMNS = ["run", "kind", "status", "started", "duration_s", "epochs_run"]


@pytest.fixture(autouse=True)
def plain_output(monkeypatch):
    """The CLI's output must not depend on the terminal settings of whoever runs the tests; a wide pipe (the
    tests read a line per run), unless a test says otherwise."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "1000")


@pytest.fixture
def pima_runs(tmp_path) -> Path:
    """tmp_path/runs with runs A, B, C."""
    root = tmp_path / "runs"
    for name, (test, validation) in SCORES.items():
        make_run(root, name, CONFIGS[name], train_metrics("pima", test, validation), history())
    return root


@pytest.fixture
def boston_runs(tmp_path) -> Path:
    """tmp_path/boston with a 2-fold run (val_mae 2.5481 ± 0.2912) and a train run (val_mae 2.4)."""
    root = tmp_path / "boston"
    make_run(
        root,
        KF,
        boston_config(0.001),
        kfold_metrics(
            "boston", {"loss": 14.8858, "mae": 2.5481}, {"loss": 2.9415, "mae": 0.2912}, {"loss": 9.0960, "mae": 2.1150}
        ),
        history(("loss", "mae"), start=20.0),
        kind="kfold",
    )
    make_run(
        root,
        TR,
        boston_config(0.01),
        train_metrics("boston", {"loss": 10.0, "mae": 2.2}, {"loss": 13.0, "mae": 2.4}),
        history(("loss", "mae"), start=18.0),
    )
    return root


def records(root: Path) -> list:
    return [read_run(p) for p in sorted(root.iterdir())]


def json_rows(cli, *args) -> list[dict]:
    result = cli("compare", *args, "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def names(rows: list[dict]) -> list[str]:
    return [row["run"] for row in rows]


def row_line(text: str, run: str) -> str:
    """The one output line of `run`'s row (table, plain text or Markdown)."""
    lines = [line for line in text.splitlines() if run in line]
    assert len(lines) == 1, f"{run} on {len(lines)} lines:\n{text}"
    return lines[0]


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


# --- 1. which columns ---


def test_columns_are_the_run_columns_the_config_keys_that_differ_and_the_scores(cli, pima_runs):
    rows = json_rows(cli, pima_runs)
    assert list(rows[0]) == [
        *RUN_COLUMNS,
        "layers[0].units",
        "optimizer.learning_rate",
        "test_loss",
        "test_accuracy",
        "val_loss",
        "val_accuracy",
    ]
    assert {r["run"]: (r["optimizer.learning_rate"], r["layers[0].units"]) for r in rows} == {
        A: (0.01, 8),
        B: (0.001, 8),
        C: (0.01, 16),
    }


def test_shared_values_are_printed_once_above_the_table_not_as_columns(cli, pima_runs):
    result = cli("compare", pima_runs)
    assert result.exit_code == 0, result.stderr
    first, *rest = result.stdout.splitlines()
    header = next(line for line in rest if " kind " in line)
    assert first.startswith("shared by every run: ")
    for shared in (
        "optimizer.name=adam",
        "layers[1].units=1",
        "epochs=3",
        "early_stopping=null",
        'metrics=["accuracy"]',
    ):
        assert shared in first
    assert "learning_rate" not in first and "layers[0].units" not in first
    # the header is the line naming the run columns; a shared key there would be a column too many
    assert "optimizer.learning_rate" in header and "optimizer.name" not in header and "batch_size" not in header


def test_all_makes_every_config_key_a_column(cli, pima_runs):
    result = cli("compare", pima_runs, "--all", "--format", "json")
    keys = list(json.loads(result.stdout)[0])
    flat = [k for k in read_run(pima_runs / A).flat if k != "name"]  # the run column names the run already
    filled = ["steps_per_execution", "kfold"]  # pima_config lacks them: their defaults are filled in
    assert keys == [*RUN_COLUMNS, *flat, *filled, "test_loss", "test_accuracy", "val_loss", "val_accuracy"]
    assert "shared by every run" not in cli("compare", pima_runs, "--all").stdout


def test_a_key_only_some_runs_have_is_a_differing_column(tmp_path):
    root = tmp_path / "runs"
    scheduled = pima_config(0.01, 8, dataset={**pima_config()["dataset"], "stratify": True})
    make_run(root, "r1", pima_config(0.01, 8), train_metrics("pima", *SCORES[A]))
    make_run(root, "r2", scheduled, train_metrics("pima", *SCORES[B]))
    comparison = cmp.compare(records(root))
    assert comparison.config_columns == ["dataset.stratify"]
    assert [row["dataset.stratify"] for row in comparison.rows] == [None, True]


def test_a_key_an_older_run_lacks_reads_as_its_default(tmp_path):
    root = tmp_path / "runs"
    make_run(root, "r1", pima_config(steps_per_execution="auto"), train_metrics("pima", *SCORES[A]))
    make_run(
        root, "r2", {k: v for k, v in pima_config().items() if k != "early_stopping"}, train_metrics("pima", *SCORES[B])
    )
    comparison = cmp.compare(records(root))
    assert comparison.config_columns == []
    assert comparison.shared["early_stopping"] is None and comparison.shared["steps_per_execution"] == "auto"
    # a key without a default is still absent: set to null in one run and missing in another, it differs
    make_run(
        root,
        "r3",
        pima_config(dataset={**pima_config()["dataset"], "stratify": None}),
        train_metrics("pima", *SCORES[C]),
    )
    assert cmp.compare(records(root)).config_columns == ["dataset.stratify"]


def test_the_config_comes_from_config_yaml_when_metrics_json_has_no_copy(tmp_path):
    # runs written before metrics.json carried the config
    root = tmp_path / "runs"
    for name in (A, B):
        make_run(root, name, CONFIGS[name], train_metrics("pima", *SCORES[name]), config_in_metrics=False)
    assert cmp.compare(records(root)).config_columns == ["optimizer.learning_rate"]


# --- 2. sorting, and the best value of each score ---


@pytest.fixture
def pima_runs_and_one_without_scores(pima_runs) -> Path:
    # still running on another machine: no scores yet
    make_run(pima_runs, "20261122-083000-pima", pima_config(0.1, 8), running_metrics(pid=1, host="elsewhere-7"))
    return pima_runs


NO_SCORES = "20261122-083000-pima"


@pytest.mark.parametrize(
    ("args", "order"),
    [
        (["--sort", "test_accuracy"], [B, A, C, NO_SCORES]),  # higher is better: highest first
        (["--sort", "test_loss"], [A, C, B, NO_SCORES]),  # lower is better: lowest first
        (["--sort", "val_loss"], [B, A, C, NO_SCORES]),
        (["--sort", "test_accuracy", "--reverse"], [C, A, B, NO_SCORES]),  # still last: it has no value to order
        (["--sort", "test_loss", "--reverse"], [B, C, A, NO_SCORES]),
        (["--sort", "optimizer.learning_rate"], [B, A, C, NO_SCORES]),  # config values: ascending (stable on ties)
        (["--sort", "test_accuracy", "--top", "2"], [B, A]),
    ],
)
def test_sort_orders_scores_best_first_and_runs_without_the_value_last(
    cli, pima_runs_and_one_without_scores, args, order
):
    assert names(json_rows(cli, pima_runs_and_one_without_scores, *args)) == order


def test_sort_by_val_mae_puts_the_lowest_first(cli, boston_runs):
    assert names(json_rows(cli, boston_runs, "--sort", "val_mae")) == [TR, KF]  # 2.4 < 2.5481
    assert names(json_rows(cli, boston_runs, "--sort", "val_mae", "--reverse")) == [KF, TR]


def test_sort_by_a_std_column_puts_the_smallest_spread_first(cli, tmp_path):
    root = tmp_path / "runs"
    for name, std in (("wide", 0.09), ("narrow", 0.01)):
        make_run(
            root,
            name,
            pima_config(),
            kfold_metrics(
                "pima", {"loss": 0.5, "accuracy": 0.75}, {"loss": 0.02, "accuracy": std}, {"loss": 0.5, "accuracy": 0.7}
            ),
        )
    assert names(json_rows(cli, root, "--sort", "val_accuracy_std")) == ["narrow", "wide"]


def cosine_runs(root: Path, directions: dict | None) -> Path:
    """Two runs scored by cosine_similarity, which Keras says is better higher though its name reads like a
    distance; metrics.json's `directions` as given (None: a run written before nnrun recorded them)."""
    for name, score in (("low", 0.2), ("high", 0.9)):
        metrics = train_metrics(
            "pima", {"loss": 0.5, "cosine_similarity": score}, {"loss": 0.5, "cosine_similarity": score}
        )
        make_run(
            root,
            name,
            pima_config(metrics=["cosine_similarity"]),
            metrics if directions is None else {**metrics, "directions": directions},
        )
    return root


def test_sort_follows_the_direction_the_runs_recorded(cli, tmp_path):
    root = cosine_runs(tmp_path / "runs", {"loss": "min", "cosine_similarity": "max"})
    assert names(json_rows(cli, root, "--sort", "test_cosine_similarity")) == ["high", "low"]
    assert names(json_rows(cli, root, "--sort", "val_cosine_similarity", "--reverse")) == ["low", "high"]
    best = cmp.best_values(cmp.compare(records(root)))
    assert best["test_cosine_similarity"] == 0.9


def test_runs_written_before_directions_were_recorded_sort_by_the_name_rules(cli, tmp_path):
    root = cosine_runs(tmp_path / "runs", None)
    assert names(json_rows(cli, root, "--sort", "test_cosine_similarity")) == ["low", "high"]  # as before
    assert cmp.best_values(cmp.compare(records(root)))["test_cosine_similarity"] == 0.2


def test_beside_an_old_run_the_direction_a_newer_run_recorded_decides(cli, tmp_path):
    root = cosine_runs(tmp_path / "runs", None)
    metrics = json.loads((root / "high" / "metrics.json").read_text())
    metrics["directions"] = {"loss": "min", "cosine_similarity": "max"}
    (root / "high" / "metrics.json").write_text(json.dumps(metrics))
    assert names(json_rows(cli, root, "--sort", "test_cosine_similarity")) == ["high", "low"]


@pytest.mark.parametrize(
    "metrics, name, expected",
    [
        ({"directions": {"loss": "min", "f1_score": "max"}}, "val_f1_score[0]", "max"),  # one value per class
        ({"directions": {"loss": "min", "mae": "max"}}, "val_mae_std", "min"),  # a spread: the smaller the better
        ({"directions": {"cosine_similarity": "up"}}, "test_cosine_similarity", "min"),  # not one nnrun writes
        ({}, "test_auc", "max"),
        ({}, "val_loss", "min"),
        ({"directions": None}, "accuracy", "max"),
    ],
)
def test_the_direction_of_a_score(metrics, name, expected):
    assert direction(metrics, name) == expected


def test_unknown_sort_column_is_one_error_line_with_a_suggestion(cli, pima_runs):
    result = cli("compare", pima_runs, "--sort", "test_acuracy")
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = error_lines(result)
    assert "did you mean 'test_accuracy'" in line


def test_best_values_are_the_max_of_accuracies_and_the_min_of_losses(pima_runs):
    best = cmp.best_values(cmp.compare(records(pima_runs)))
    assert best == {"test_loss": 0.40, "test_accuracy": 0.80, "val_loss": 0.47, "val_accuracy": 0.78}


def _styled_cells(comparison, width: int = 200) -> dict[str, object]:
    """Each cell's text -> its Rich style, from to_table rendered on a true-colour terminal."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system="truecolor", force_terminal=True)
    out = {}
    for segment in console.render(cmp.to_table(comparison)):
        if segment.text.strip():
            out.setdefault(segment.text.strip(), segment.style)
    return out


def test_table_shows_the_best_value_of_each_score_in_bold_green(pima_runs):
    styles = _styled_cells(cmp.compare(records(pima_runs)))
    best = {"0.4000", "0.8000", "0.4700", "0.7800"}  # test_loss, test_accuracy, val_loss, val_accuracy
    others = {"0.5000", "0.4500", "0.7500", "0.7000", "0.5200", "0.6000", "0.7300", "0.6800"}
    for text in best:
        assert styles[text].bold and styles[text].color.name == "green", text
    for text in others:
        style = styles[text]
        assert not (style and style.bold and style.color and style.color.name == "green"), text


def test_table_of_a_single_run_highlights_nothing(pima_runs):
    # one row: "best" would mean nothing. (With one run every config key is a column: hence the width.)
    comparison = cmp.compare([read_run(pima_runs / A)])
    styles = _styled_cells(comparison, width=1000)
    assert not any(styles[text] and styles[text].bold for text in ("0.4000", "0.7500", "0.5200", "0.7300"))


# --- 3. --filter ---


@pytest.fixture
def four_runs(pima_runs) -> Path:
    """A, B, C and a failed run D (learning rate 0.01, units 8, no scores)."""
    failed = {
        **running_metrics(pid=1, host="trainer-7"),
        "status": "failed",
        "finished": FINISHED,
        "duration_s": 0.8,
        "error": {"type": "ValueError", "message": "bad shape"},
    }
    make_run(pima_runs, "20261122-084000-pima", pima_config(0.01, 8), failed)
    return pima_runs


D = "20261122-084000-pima"


@pytest.mark.parametrize(
    ("filters", "kept"),
    [
        (["status=completed"], [A, B, C]),
        (["status!=completed"], [D]),
        (["test_accuracy>0.7"], [A, B]),  # C's 0.70 is not above; D has no score
        (["test_accuracy>=0.7"], [A, B, C]),
        (["test_loss<0.45"], [A]),
        (["optimizer.learning_rate=0.01"], [A, C, D]),
        (["optimizer.learning_rate=1e-2"], [A, C, D]),  # numbers compare as numbers, however written
        (["optimizer.learning_rate!=0.01"], [B]),
        (["layers[0].units>8"], [C]),
        (["optimizer.learning_rate=0.01", "test_accuracy>0.72"], [A]),  # ANDed
        (["status=completed", "layers[0].units=8", "optimizer.learning_rate<0.01"], [B]),
    ],
)
def test_filter_keeps_the_runs_where_every_condition_holds(cli, four_runs, filters, kept):
    args = [a for f in filters for a in ("--filter", f)]
    assert names(json_rows(cli, four_runs, *args)) == kept


def test_filter_on_a_config_key_every_run_shares(cli, pima_runs):
    # A and C share learning rate 0.01: it is no column, yet the filter must still see it
    args = (pima_runs / A, pima_runs / C)
    assert names(json_rows(cli, *args, "--filter", "optimizer.learning_rate=0.01")) == [A, C]
    assert names(json_rows(cli, *args, "--filter", "optimizer.learning_rate=0.001")) == []
    assert names(json_rows(cli, *args, "--filter", "optimizer.name!=adam")) == []


def test_filter_on_an_unknown_key_is_an_error_with_a_suggestion(cli, pima_runs):
    result = cli("compare", pima_runs, "--filter", "optimizer.learning_rat=0.01")
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert "did you mean 'optimizer.learning_rate'" in line


@pytest.mark.parametrize("text", ["status", ">0.7", "test_accuracy 0.7", "=completed"])
def test_malformed_filter_is_an_error(cli, pima_runs, text):
    result = cli("compare", pima_runs, "--filter", text)
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert "not a condition" in line


def test_filter_without_a_value_is_an_error(cli, pima_runs):
    assert cli("compare", pima_runs, "--filter", "test_accuracy>").exit_code == 2


# --- 4. --metrics ---


def score_columns(rows: list[dict]) -> list[str]:
    return [k for k in rows[0] if k.startswith(("test_", "val_"))]


def test_metrics_by_metric_name_keeps_its_test_and_val_columns(cli, pima_runs):
    rows = json_rows(cli, pima_runs, "--metrics", "accuracy")
    assert score_columns(rows) == ["test_accuracy", "val_accuracy"]


def test_metrics_by_metric_name_keeps_a_kfold_runs_std_too(cli, pima_runs):
    make_run(
        pima_runs,
        "20261122-085000-pima-kfold",
        pima_config(0.01, 8),
        kfold_metrics(
            "pima", {"loss": 0.5, "accuracy": 0.76}, {"loss": 0.02, "accuracy": 0.03}, {"loss": 0.48, "accuracy": 0.74}
        ),
    )
    rows = json_rows(cli, pima_runs, "--metrics", "accuracy")
    assert score_columns(rows) == ["test_accuracy", "val_accuracy", "val_accuracy_std"]


def test_metrics_by_full_column_name_keeps_only_that_column(cli, boston_runs):
    rows = json_rows(cli, boston_runs, "--metrics", "val_mae")
    assert score_columns(rows)[0] == "val_mae"
    assert "test_mae" not in rows[0] and "val_loss" not in rows[0]


def test_several_metrics_comma_separated(cli, boston_runs):
    rows = json_rows(cli, boston_runs, "--metrics", "test_loss, val_mae")
    assert score_columns(rows)[:2] == ["test_loss", "val_mae"]
    assert "val_loss" not in rows[0]


def test_metrics_by_full_column_name_keeps_the_kfold_std_beside_it(cli, boston_runs):
    rows = json_rows(cli, boston_runs, "--metrics", "val_mae")
    assert score_columns(rows) == ["val_mae", "val_mae_std"]


def test_unknown_metric_is_an_error_naming_the_valid_ones(cli, boston_runs):
    result = cli("compare", boston_runs, "--metrics", "accuracy")
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert "--metrics accuracy" in line and "val_mae" in line


# --- 5. every format carries the same data ---


@pytest.fixture
def mixed_runs(pima_runs) -> Path:
    """A, B, C and a 2-fold pima run: train and k-fold rows together."""
    make_run(
        pima_runs,
        "20261122-085000-pima-kfold",
        pima_config(0.01, 32),
        kfold_metrics(
            "pima",
            {"loss": 0.4923, "accuracy": 0.7612},
            {"loss": 0.0211, "accuracy": 0.0345},
            {"loss": 0.4811, "accuracy": 0.7353},
        ),
        history(),
        kind="kfold",
    )
    return pima_runs


def test_json_is_a_list_of_objects_with_numbers_as_numbers(cli, mixed_runs):
    rows = json_rows(cli, mixed_runs)
    assert isinstance(rows, list) and len(rows) == 4 and all(isinstance(r, dict) for r in rows)
    for row in rows:
        for column in ("duration_s", "epochs_run", "layers[0].units", "test_loss", "test_accuracy", "val_accuracy"):
            assert isinstance(row[column], (int, float)) and not isinstance(row[column], bool), (column, row)
    kfold = next(r for r in rows if r["kind"] == "kfold")
    assert kfold["val_accuracy"] == 0.7612 and kfold["val_accuracy_std"] == 0.0345
    assert next(r for r in rows if r["run"] == A)["val_accuracy_std"] is None  # a train run has no spread


def test_csv_has_the_same_columns_and_values_as_json(cli, mixed_runs):
    rows = json_rows(cli, mixed_runs)
    result = cli("compare", mixed_runs, "--format", "csv")
    assert result.exit_code == 0
    reader = csv.reader(io.StringIO(result.stdout))
    header, *lines = list(reader)
    assert header == list(rows[0])
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows):
        for text, (column, value) in zip(line, row.items()):
            if value is None:
                assert text == "", column
            elif isinstance(value, (int, float)):
                assert float(text) == value, column
            else:
                assert text == str(value), column


@pytest.mark.parametrize("format_", ["table", "markdown"])
def test_table_and_markdown_show_every_row_and_every_score(cli, mixed_runs, format_):
    rows = json_rows(cli, mixed_runs)
    result = cli("compare", mixed_runs, "--format", format_)
    assert result.exit_code == 0
    for row in rows:
        line = row_line(result.stdout, row["run"])
        for column in ("test_loss", "test_accuracy", "val_loss", "val_accuracy"):
            expected = f"{row[column]:.4f}"
            if row.get(f"{column}_std") is not None:
                expected += f" ± {row[column + '_std']:.4f}"
            assert expected in line, (column, line)
        assert cmp.cell("optimizer.learning_rate", row["optimizer.learning_rate"]) in line
    assert "0.7612 ± 0.0345" in result.stdout
    assert "val_accuracy_std" not in result.stdout  # shown inside its mean's cell, not as a column


def test_markdown_is_a_table_with_the_shared_values_above(cli, pima_runs):
    text = cli("compare", pima_runs, "--format", "markdown").stdout
    lines = text.splitlines()
    assert lines[0].startswith("Shared by every run: ") and "`optimizer.name=adam`" in lines[0]
    table = lines[2:]
    assert table[0] == (
        "| run | test_loss | test_accuracy | val_loss | val_accuracy | kind | status | started | "
        "duration_s | epochs_run | layers[0].units | optimizer.learning_rate |"
    )  # scores first
    assert table[1] == "|---|---:|---:|---:|---:|---|---|---|---|---|---|---|"  # scores right-aligned
    assert len(table) == 2 + 3 and all(line.startswith("| ") and line.endswith(" |") for line in table[2:])


@pytest.mark.parametrize("format_", ["table", "csv", "json", "markdown"])
def test_output_option_writes_the_file_instead_of_stdout(cli, pima_runs, tmp_path, format_):
    expected = cli("compare", pima_runs, "--format", format_).stdout
    out = tmp_path / f"out.{format_}"
    result = cli("compare", pima_runs, "--format", format_, "-o", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == expected


# --- 6. train and k-fold runs together ---


def test_kfold_and_train_runs_in_one_table(cli, boston_runs):
    table = cli("compare", boston_runs)
    assert table.exit_code == 0
    kfold_line = row_line(table.stdout, KF)
    assert " kfold " in kfold_line and "2.5481 ± 0.2912" in kfold_line and "14.8858 ± 2.9415" in kfold_line
    assert "2.1150" in kfold_line  # the refit's test score
    train_line = row_line(table.stdout, TR)
    assert " train " in train_line and "2.4000" in train_line and "±" not in train_line
    rows = {r["run"]: r for r in json_rows(cli, boston_runs)}
    assert rows[KF]["kind"] == "kfold"
    assert (rows[KF]["val_mae"], rows[KF]["val_mae_std"], rows[KF]["test_mae"]) == (2.5481, 0.2912, 2.1150)
    assert (rows[TR]["val_mae"], rows[TR]["val_mae_std"]) == (2.4, None)


# --- 6b. runs that did not beat their baseline ---

WARNED = (
    "no better than the baseline: test accuracy 0.7000 vs baseline 0.7000; train accuracy 0.6300 vs baseline "
    "0.7000; it learned next to nothing, even on the rows it trained on; try more epochs (it ran 3), another "
    "optimizer.learning_rate or a larger model; the features may also say little about this target"
)


@pytest.fixture
def warned_runs(pima_runs) -> Path:
    """pima_runs, where C says it is no better than its baseline (metrics.json `warnings`) and A and B say none."""
    for name in (A, B, C):
        path = pima_runs / name / "metrics.json"
        metrics = json.loads(path.read_text())
        path.write_text(json.dumps({**metrics, "warnings": [WARNED] if name == C else []}))
    return pima_runs


def test_a_warned_run_carries_its_warnings_in_json_and_csv(cli, warned_runs):
    rows = {r["run"]: r for r in json_rows(cli, warned_runs)}
    assert rows[C]["warnings"] == [WARNED] and rows[A]["warnings"] is None and rows[B]["warnings"] is None
    assert list(rows[A])[: len(RUN_COLUMNS) + 1] == [*RUN_COLUMNS, "warnings"]
    result = cli("compare", warned_runs, "--format", "csv")
    by_run = {line["run"]: line for line in csv.DictReader(io.StringIO(result.stdout))}
    assert json.loads(by_run[C]["warnings"]) == [WARNED] and by_run[A]["warnings"] == ""


@pytest.mark.parametrize("format_", ["table", "markdown"])
def test_a_warned_run_is_marked_in_the_table_by_its_warnings_head(cli, warned_runs, format_):
    result = cli("compare", warned_runs, "--format", format_)
    assert result.exit_code == 0
    assert "no better than the baseline" in row_line(result.stdout, C)
    assert "baseline" not in row_line(result.stdout, A)
    assert "it learned next to nothing" not in result.stdout  # the whole line is in JSON, CSV and show
    assert result.stderr == ""


def test_no_warnings_column_when_no_run_has_a_warning(cli, pima_runs):
    assert "warnings" not in json_rows(cli, pima_runs)[0]
    assert cmp.cell("warnings", None) == "" and cmp.cell("warnings", ["a: b", "c"]) == "a; c"


# --- 7. broken runs ---


def warnings(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning:")]


def test_a_torn_metrics_json_is_shown_as_unreadable_with_one_warning(cli, tmp_path):
    root = tmp_path / "runs"
    make_run(root, A, CONFIGS[A], train_metrics("pima", *SCORES[A]), history())
    make_run(root, B, CONFIGS[B], train_metrics("pima", *SCORES[B]), history())
    whole = json.dumps({**train_metrics("pima", *SCORES[C]), "config": CONFIGS[C]}, indent=2)
    make_run(root, C, CONFIGS[C], whole[: len(whole) // 2], history())  # cut off mid-write
    result = cli("compare", root)
    assert result.exit_code == 0
    [warning] = warnings(result)
    assert C in warning and A not in warning and B not in warning
    assert "unreadable" in warning
    assert " unreadable" in row_line(result.stdout, C)
    for name in (A, B):
        assert " completed " in row_line(result.stdout, name)
    # the config still comes from config.yaml: C's units (16) are shown
    assert {r["run"]: r["layers[0].units"] for r in json_rows(cli, root)}[C] == 16


def test_a_folder_with_a_config_but_no_metrics_json_is_unreadable(cli, pima_runs):
    make_run(pima_runs, "20261122-090000-pima", pima_config(0.1, 8), None)
    result = cli("compare", pima_runs, "--format", "json")
    assert result.exit_code == 0
    rows = {r["run"]: r for r in json.loads(result.stdout)}  # warnings go to stderr: stdout stays JSON
    assert rows["20261122-090000-pima"]["status"] == "unreadable"
    assert rows["20261122-090000-pima"]["optimizer.learning_rate"] == 0.1
    [warning] = warnings(result)
    assert "20261122-090000-pima" in warning and "no metrics.json" in warning


def test_running_with_a_dead_pid_on_this_host_is_crashed(cli, pima_runs):
    make_run(
        pima_runs,
        "20261122-090000-pima",
        pima_config(0.1, 8),
        running_metrics(pid=dead_pid(), host=socket.gethostname()),
        history(epochs=5),
    )
    result = cli("compare", pima_runs, "--format", "json")
    row = {r["run"]: r for r in json.loads(result.stdout)}["20261122-090000-pima"]
    assert row["status"] == "crashed"
    assert row["epochs_run"] == 5  # from history.csv: the metrics.json of a running run has no epochs_run yet
    [warning] = warnings(result)
    assert "20261122-090000-pima" in warning and "gone" in warning


def test_running_with_a_live_pid_on_this_host_stays_running(cli, pima_runs):
    make_run(
        pima_runs,
        "20261122-090000-pima",
        pima_config(0.1, 8),
        running_metrics(pid=os.getpid(), host=socket.gethostname()),
        history(epochs=5),
    )
    result = cli("compare", pima_runs, "--format", "json")
    row = {r["run"]: r for r in json.loads(result.stdout)}["20261122-090000-pima"]
    assert row["status"] == "running"
    assert warnings(result) == []


def test_running_on_another_host_stays_running(cli, pima_runs):
    # its pid means nothing here, dead or not
    make_run(
        pima_runs,
        "20261122-090000-pima",
        pima_config(0.1, 8),
        running_metrics(pid=dead_pid(), host=socket.gethostname() + "-elsewhere"),
    )
    result = cli("compare", pima_runs, "--format", "json")
    row = {r["run"]: r for r in json.loads(result.stdout)}["20261122-090000-pima"]
    assert row["status"] == "running"
    assert warnings(result) == []


# --- 8. finding the runs ---


def test_no_arguments_compares_every_run_under_runs(cli, pima_runs, monkeypatch):
    monkeypatch.chdir(pima_runs.parent)
    assert names(json_rows(cli)) == [A, B, C]


def test_a_folder_of_runs_run_folders_and_a_glob_pattern(cli, pima_runs, boston_runs):
    assert names(json_rows(cli, boston_runs)) == [KF, TR]
    assert names(json_rows(cli, pima_runs / C, pima_runs / A)) == [C, A]  # in the order given
    # quoted, so nnrun expands it, not the shell
    assert names(json_rows(cli, f"{pima_runs}/*-08[01]000-pima")) == [A, B]
    assert names(json_rows(cli, pima_runs, pima_runs / A)) == [A, B, C]  # each run once


def test_kfold_fold_folders_are_not_separate_runs(cli, boston_runs):
    assert (boston_runs / KF / "fold-1" / "metrics.json").exists()  # they are run folders themselves
    assert names(json_rows(cli, boston_runs)) == [KF, TR]
    assert names(json_rows(cli, f"{boston_runs}/*")) == [KF, TR]


@pytest.mark.parametrize("argument", ["nosuch", "runs/*-nosuch-*"])
def test_a_path_that_does_not_exist_is_an_error(cli, pima_runs, monkeypatch, argument):
    monkeypatch.chdir(pima_runs.parent)
    result = cli("compare", argument)
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert f"{argument}: no such run folder" in line


def test_no_runs_at_all_is_not_an_error(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("compare")
    assert result.exit_code == 0
    assert "no runs found" in result.stderr and result.stdout == ""
    (tmp_path / "empty").mkdir()
    result = cli("compare", "empty")
    assert result.exit_code == 0 and "no runs found" in result.stderr


# --- 9. --plot ---


def test_plot_writes_a_png(cli, pima_runs, tmp_path):
    out = tmp_path / "val_loss.png"
    result = cli("compare", pima_runs, "--plot", "val_loss", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    assert result.stdout == ""


def plotted(result) -> int:
    """How many curves `compare --plot` says it drew."""
    match = re.search(r"of (\d+) runs?", result.stderr)
    assert match, result.stderr
    return int(match.group(1))


def test_plot_draws_only_the_runs_that_have_the_curve_and_says_so(cli, pima_runs, tmp_path):
    make_run(pima_runs, "20261122-090000-pima", pima_config(0.1), None)  # no history.csv: no curve
    result = cli("compare", pima_runs, "--plot", "val_loss", "-o", tmp_path / "p.png")
    assert result.exit_code == 0
    assert plotted(result) == 3 and "1 without that curve" in result.stderr


def test_plot_draws_only_the_filtered_runs(cli, pima_runs, tmp_path):
    result = cli(
        "compare", pima_runs, "--filter", "optimizer.learning_rate=0.01", "--plot", "val_loss", "-o", tmp_path / "p.png"
    )
    assert plotted(result) == 2  # A and C


def test_plot_of_same_named_runs_draws_only_the_filtered_ones(cli, tmp_path):
    # the refits of two k-fold runs: both folders are named final
    for parent, lr in (("20261122-090000-pima", 0.01), ("20261122-091000-pima", 0.001)):
        make_run(tmp_path / "runs" / parent, "final", pima_config(lr), train_metrics("pima", *SCORES[A]), history())
    result = cli(
        "compare",
        f"{tmp_path}/runs/*/final",
        "--filter",
        "optimizer.learning_rate=0.01",
        "--plot",
        "val_loss",
        "-o",
        tmp_path / "p.png",
    )
    assert plotted(result) == 1


def test_plot_of_kfold_runs_uses_the_mean_history(monkeypatch, boston_runs, tmp_path):
    from nnrun.views import plots

    figures = []
    save = plots._save
    monkeypatch.setattr(plots, "_save", lambda fig, path: (figures.append(fig), save(fig, path)))
    chosen = records(boston_runs)
    out = tmp_path / "p.png"
    plots.overlay_png(chosen, "val_loss", out, labels={KF: "kfold", TR: "train"})
    lines = {line.get_label(): list(line.get_ydata()) for line in figures[0].axes[0].get_lines()}
    expected_mean = [r["val_loss"] for r in history(("loss", "mae"), start=20.0)]  # history_mean's val_loss_mean
    assert lines == {
        f"1: {KF} (mean of 2 folds)\n    kfold": expected_mean,
        f"2: {TR}\n    train": [r["val_loss"] for r in history(("loss", "mae"), start=18.0)],
    }
    assert out.read_bytes()[:8] == PNG_SIGNATURE


def test_plot_of_an_unknown_curve_lists_the_valid_ones(cli, boston_runs, tmp_path):
    result = cli("compare", boston_runs, "--plot", "val_accuracy", "-o", tmp_path / "p.png")
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert "val_accuracy" in line and "val_loss" in line and "val_mae" in line
    assert "folds" not in line.split("valid:")[1]  # history_mean.csv's bookkeeping column is no curve
    assert not (tmp_path / "p.png").exists()


def test_plot_needs_an_output_file(cli, pima_runs):
    result = cli("compare", pima_runs, "--plot", "val_loss")
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert "-o" in line


def test_labels_name_every_run_then_the_values_that_differ(pima_runs):
    chosen = records(pima_runs)
    assert cmp.labels(cmp.compare(chosen), chosen) == {
        A: f"{A}: layers[0].units=8, learning_rate=0.01",
        B: f"{B}: layers[0].units=8, learning_rate=0.001",
        C: f"{C}: layers[0].units=16, learning_rate=0.01",
    }


def test_labels_are_alike_when_the_values_do_not_tell_runs_apart(pima_runs):
    make_run(pima_runs, "again", CONFIGS[A], train_metrics("pima", *SCORES[A]))  # A repeated
    chosen = records(pima_runs)
    got = cmp.labels(cmp.compare(chosen), chosen)
    assert got[A] == f"{A}: layers[0].units=8, learning_rate=0.01"
    assert got["again"] == "again: layers[0].units=8, learning_rate=0.01"
    assert got[B] == f"{B}: layers[0].units=8, learning_rate=0.001"


# --- 13. the table at a fixed width ---


def test_table_header_at_a_fixed_width(tmp_path):
    from rich.console import Console

    root = tmp_path / "runs"
    make_run(root, "r1", pima_config(0.01), {**train_metrics("pima", {"accuracy": 0.75}, {}), "duration_s": 3.5})
    make_run(root, "r2", pima_config(0.1), {**train_metrics("pima", {"accuracy": 0.8}, {}), "duration_s": 4.25})
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(cmp.to_table(cmp.compare(records(root))))
    lines = console.file.getvalue().splitlines()
    assert lines[0] == (
        "run  test_accuracy  kind   status     started              duration_s  epochs_run  optimizer.learning_rate"
    )
    assert lines[2].rstrip() == (
        "r1          0.7500  train  completed  2026-11-22 08:19:01         3.5           3  0.01"
    )
    assert all(len(line) <= 120 for line in lines)


def test_an_ordering_filter_needs_a_number(cli, pima_runs):
    result = cli("compare", pima_runs, "--filter", "test_accuracy>abc")
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "error: --filter test_accuracy>abc: > compares numbers, but got 'abc'; for text use = or !="
    )


def test_a_filter_can_use_a_score_that_metrics_hides(cli, pima_runs):
    rows = json_rows(cli, pima_runs, "--metrics", "accuracy", "--filter", "test_loss<10")
    assert rows and all("test_loss" not in row for row in rows)


def test_a_file_is_not_a_run_folder(cli, pima_runs):
    metrics = next(p for p in pima_runs.iterdir() if p.is_dir()) / "metrics.json"
    result = cli("compare", metrics)
    assert result.exit_code == 2
    assert "not a run folder (a file)" in result.stderr


# --- 14. readable at any width: the table fitted to the terminal, normalised keys, filtered columns, a pipe ---

QS, QS2, PK = "20261122-100000-quickstart", "20261122-101500-quickstart", "20261122-103000-pima-kfold"


def quickstart_config(**changes) -> dict:
    """A resolved config as nnrun saves it: `optimizer: adam` stays a name, early stopping a full mapping."""
    config = {
        "name": "quickstart",
        "seed": 42,
        "backend": "jax",
        "dataset": {
            "source": "sklearn:breast_cancer",
            "test": 0.2,
            "validation": 0.2,
            "scale": "standard",
            "flatten": False,
        },
        "layers": [
            {"type": "Dense", "units": 16},
            {"type": "Dropout", "rate": 0.2},
            {"type": "Dense", "units": 8},
            {"type": "Dense", "units": 1, "activation": "sigmoid"},
        ],
        "activation": "relu",
        "loss": "binary_crossentropy",
        "optimizer": "adam",
        "metrics": ["accuracy"],
        "epochs": 30,
        "batch_size": 32,
        "steps_per_execution": "auto",
        "early_stopping": {
            "monitor": "val_loss",
            "patience": 5,
            "min_delta": 0.0,
            "mode": "auto",
            "restore_best_weights": True,
            "start_from_epoch": 0,
        },
        "kfold": None,
    }
    config.update(changes)
    return config


@pytest.fixture
def width_runs(tmp_path) -> Path:
    """Two quickstart train runs (units 16 and 32; the second's optimizer a mapping with a learning rate) and a
    pima k-fold run, as an older nnrun wrote it (`kfold: 5` and `optimizer: {name: adam}`, some keys missing)."""
    root = tmp_path / "mixed"
    make_run(
        root,
        QS,
        quickstart_config(),
        train_metrics(
            "quickstart", {"loss": 0.1055, "accuracy": 0.9649}, {"loss": 0.0885, "accuracy": 0.967}, epochs_run=30
        ),
    )
    layers = [{"type": "Dense", "units": 32}, *quickstart_config()["layers"][1:]]
    make_run(
        root,
        QS2,
        quickstart_config(layers=layers, optimizer={"name": "adam", "learning_rate": 0.01}),
        train_metrics(
            "quickstart", {"loss": 0.0911, "accuracy": 0.9737}, {"loss": 0.0807, "accuracy": 0.978}, epochs_run=21
        ),
    )
    make_run(
        root,
        PK,
        pima_config(0.01, 12, optimizer={"name": "adam"}, kfold=5, epochs=1500, batch_size=64),
        kfold_metrics(
            "pima-kfold",
            {"loss": 0.6278, "accuracy": 0.7386},
            {"loss": 0.0921, "accuracy": 0.0321},
            {"loss": 0.7838, "accuracy": 0.75},
            k=5,
        ),
        history(),
        kind="kfold",
    )
    return root


def rendered(comparison, width: int, **options) -> list[str]:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None)
    for part in cmp.render(comparison, width, **options):
        console.print(part)
    return console.file.getvalue().splitlines()


def whole_values(comparison) -> list[str]:
    """Every value the table shows, as it shows it (a mapping or list: each of its items, which may wrap apart);
    not the start time, which a narrow table leaves to the run names (20261122-100000-...)."""
    out = []
    for row in comparison.rows:
        for column in cmp.shown_columns(comparison):
            if column in ("run", "started"):
                continue
            text = cmp.cell(column, row[column], row)
            out += text.split(", ") if isinstance(row[column], (dict, list)) else [text]
    return [v for v in out if v]


@pytest.mark.parametrize("width", [80, 100, 120])
def test_width_runs_fit_the_console_and_every_value_is_whole(width_runs, width):
    comparison = cmp.select(records(width_runs))
    lines = rendered(comparison, width)
    assert max(len(line) for line in lines) <= width
    missing = [v for v in whole_values(comparison) if not any(v in line for line in lines)]
    assert missing == []
    for name in (QS, QS2, PK):  # whole, or in a column header: its date and time above the rest of its name
        stamp, rest = name[:16], name[16:]
        assert any(name in line for line in lines) or any(stamp in a and rest in b for a, b in zip(lines, lines[1:]))
    assert "0.7386 ± 0.0321" in "\n".join(lines)  # a k-fold mean and its spread, on one line


def test_few_runs_and_many_keys_are_shown_one_column_per_run(width_runs):
    lines = rendered(cmp.select(records(width_runs)), 100)
    labels = [line.split("  ")[0] for line in lines]
    assert "layers[0].units" in labels and "test_accuracy" in labels  # keys down the side
    assert any(line.startswith("kfold ") and "{k=5}" in line and line.count("null") == 2 for line in lines)


def test_runs_are_rows_with_full_headers_when_they_fit(pima_runs):
    lines = rendered(cmp.select(records(pima_runs)), 200)
    header = next(line for line in lines if line.startswith("run "))
    assert "optimizer.learning_rate" in header and "test_accuracy" in header and "started" in header
    assert sum(1 for line in lines if line.startswith("20261122-")) == 3  # a line per run
    at_120 = rendered(cmp.select(records(pima_runs)), 120)  # shorter headers: still a line per run
    assert sum(1 for line in at_120 if line.startswith("20261122-")) == 3 and max(map(len, at_120)) <= 120


def test_a_narrow_console_gets_shorter_headers_then_one_column_per_run(pima_runs):
    comparison = cmp.select(records(pima_runs))
    at_100 = rendered(comparison, 100)
    assert "every run: kind=train, status=completed" in at_100  # said once above the table, not in each row
    assert any("optimizer." in line for line in at_100) and any("learning_rate" in line for line in at_100)
    assert not any(line.startswith("started") or " started " in line for line in at_100)  # the names carry it
    assert sum(1 for line in at_100 if line.startswith("20261122-")) == 3
    at_80 = rendered(comparison, 80)
    assert max(len(line) for line in at_80) <= 80


@pytest.mark.parametrize("transpose", [True, False])
def test_transpose_asks_for_one_layout(pima_runs, transpose):
    lines = rendered(cmp.select(records(pima_runs)), 200, transpose=transpose)
    runs_as_rows = sum(1 for line in lines if line.startswith("20261122-")) == 3
    assert runs_as_rows is not transpose
    if transpose:
        assert any(line.startswith("test_accuracy ") for line in lines)


def test_a_table_too_wide_for_any_layout_is_split_and_repeats_the_row_numbers(tmp_path):
    root = tmp_path / "runs"
    for i in range(12):
        make_run(
            root,
            f"20261122-0{i:02d}000-pima",
            pima_config(0.01 * (i + 1), 8 + i, epochs=3 + i, batch_size=16 + i),
            train_metrics("pima", *SCORES[A]),
        )
    comparison = cmp.select(records(root))
    lines = rendered(comparison, 80)
    assert max(len(line) for line in lines) <= 80
    assert [v for v in whole_values(comparison) if not any(v in line for line in lines)] == []
    rules = [i for i, line in enumerate(lines) if line.startswith("─")]
    assert len(rules) >= 2  # more than one table
    assert re.match(r"^ #  run ", lines[rules[0] - 1]) and lines[rules[0] + 1].startswith(" 1  20261122-000000-pima ")
    for rule in rules[1:]:  # the next tables: the row numbers, not the names again (a third of the line)
        assert lines[rule - 1].startswith(" # ") and "run" not in lines[rule - 1]
        assert [line[:3] for line in lines[rule + 1 : rule + 13]] == [f"{i:>2} " for i in range(1, 13)]


def test_a_shorthand_and_its_long_form_are_one_value(tmp_path):
    root = tmp_path / "runs"
    es = {
        "monitor": "val_loss",
        "patience": 10,
        "min_delta": 0.0,
        "mode": "auto",
        "restore_best_weights": True,
        "start_from_epoch": 0,
    }
    kf = {
        "k": 4,
        "shuffle": True,
        "stratify": "auto",
        "refit": False,
        "refit_epochs": None,
        "monitor": None,
        "smoothing": 0.0,
        "skip_epochs": 0,
    }
    make_run(
        root, "short", pima_config(optimizer="adam", early_stopping=True, kfold=4), train_metrics("pima", *SCORES[A])
    )
    make_run(
        root,
        "long",
        pima_config(optimizer={"name": "adam"}, early_stopping=es, kfold=kf),
        train_metrics("pima", *SCORES[B]),
    )
    make_run(
        root,
        "empty",
        pima_config(optimizer={"name": "adam"}, early_stopping={}, kfold={"k": 4}),
        train_metrics("pima", *SCORES[C]),
    )
    comparison = cmp.compare(records(root))
    assert comparison.config_columns == []
    assert comparison.shared["optimizer"] == "adam" and comparison.shared["kfold.k"] == 4
    assert "early_stopping=true" in cmp.shared_line(comparison)  # every default: as a config says it


@pytest.mark.parametrize(
    ("key", "one", "other", "column", "cells"),
    [
        ("early_stopping", None, {"patience": 5}, "early_stopping", ["null", "{patience=5}"]),
        ("kfold", None, 4, "kfold", ["null", "{k=4}"]),
        ("kfold", 4, {"k": 5, "refit": True}, "kfold.k kfold.refit", ["4", "5", "false", "true"]),
        ("optimizer", "adam", {"name": "adam", "learning_rate": 0.01}, "optimizer.learning_rate", ["", "0.01"]),
        ("optimizer", "adam", "sgd", "optimizer", ["adam", "sgd"]),
        (
            "metrics",
            ["accuracy"],
            [{"name": "auc", "curve": "PR"}],
            "metrics",
            ['["accuracy"]', "{name=auc, curve=PR}"],
        ),
    ],
)
def test_a_value_in_one_run_and_a_mapping_in_another_give_one_column(tmp_path, key, one, other, column, cells):
    root = tmp_path / "runs"
    make_run(root, "r1", pima_config(**{key: one}), train_metrics("pima", *SCORES[A]))
    make_run(root, "r2", pima_config(**{key: other}), train_metrics("pima", *SCORES[B]))
    comparison = cmp.compare(records(root))
    assert [c for c in comparison.config_columns if c.split(".")[0].split("[")[0] == key] == column.split()
    text = "\n".join(rendered(comparison, 120))
    for value in cells:
        assert value in text


def test_filter_and_top_recompute_the_differing_columns(cli, pima_runs):
    rows = json_rows(cli, pima_runs, "--filter", "layers[0].units=8")  # A and B: only the learning rate differs
    assert [k for k in rows[0] if k not in RUN_COLUMNS and not cmp.is_score(k)] == ["optimizer.learning_rate"]
    rows = json_rows(cli, pima_runs, "--sort", "val_accuracy", "--top", "2")  # B and A: the same
    assert names(rows) == [B, A]
    assert [k for k in rows[0] if k not in RUN_COLUMNS and not cmp.is_score(k)] == ["optimizer.learning_rate"]
    text = cli("compare", pima_runs, "--filter", "optimizer.learning_rate=0.01").stdout  # A and C: the units differ
    assert "optimizer.learning_rate=0.01" in text.splitlines()[0]  # now shared by every run listed
    assert "0.8000" not in text  # B's best accuracy is not the best of the runs shown


def test_a_pipe_gets_the_same_values_one_line_per_run(cli, width_runs):
    result = cli("compare", width_runs)  # CliRunner: not a terminal
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("shared by every run: ")
    comparison = cmp.select(records(width_runs))
    for row in comparison.rows:
        line = row_line(result.stdout, row["run"])
        for column in cmp.shown_columns(comparison):
            assert cmp.cell(column, row[column], row) in line
    transposed = cli("compare", width_runs, "--transpose").stdout.splitlines()
    assert all(name in transposed[1] for name in (QS, QS2, PK))  # one column per run
    assert any(line.startswith("test_accuracy ") for line in transposed)


# --- 15. many runs, a pipe, headers: readable at 80, 100 and 120 columns ---


@pytest.fixture
def many_runs(width_runs) -> Path:
    """width_runs and five more: quickstart variants, boston (a CSV with its options null) and a pima CSV run
    with a long list of features (a list may wrap: Rich would narrow every column to fit it)."""
    root = width_runs
    for i, units in enumerate((4, 24, 48)):
        layers = [{"type": "Dense", "units": units}, *quickstart_config()["layers"][1:]]
        make_run(
            root,
            f"20261122-11{i}000-quickstart",
            quickstart_config(layers=layers, epochs=40 + i),
            train_metrics("quickstart", {"loss": 0.1 + i / 100, "accuracy": 0.95 + i / 100}, {}),
        )
    make_run(
        root,
        "20261122-120000-boston",
        boston_config(
            0.01,
            dataset={
                "path": "housing.csv",
                "target": 13,
                "test": 0.2,
                "scale": "standard",
                "header": None,
                "decimal": None,
            },
        ),
        train_metrics("boston", {"loss": 10.0, "mae": 2.2}, {"loss": 13.0, "mae": 2.4}),
    )
    features = ["pregnancies", "glucose", "blood_pressure", "skin_thickness", "insulin", "bmi", "pedigree", "age"]
    make_run(
        root,
        "20261122-121000-pima",
        pima_config(0.001, 8, dataset={**pima_config()["dataset"], "decimal": None, "features": features}),
        train_metrics("pima", *SCORES[A]),
    )
    return root


def header_shown(column: str, text: str) -> bool:
    """Whether `column`'s header is in the rendered text: in full, shortened on two lines, as its group's
    (layers[2].units in `layers`, dataset.source and dataset.path in `dataset`), or as a key=value under the table."""
    short = cmp._header(column, compact=True).split("\n")
    group = (
        "layers"
        if column.startswith("layers[")
        else "dataset"
        if column in ("dataset.source", "dataset.path")
        else None
    )
    return (
        column in text
        or all(part in text for part in short)
        or f"{column}=" in text
        or (group is not None and re.search(rf"(^|  ){re.escape(group)}(  |$)", text, re.M) is not None)
    )


RUN_ROW = re.compile(r"^\s*(\d+)  (20261\d{3}-\d{6}-[^\s:]+)(?:\s|$)")  # a row of the first table: number, run


@pytest.mark.parametrize("width", [80, 100, 120])
@pytest.mark.parametrize("transpose", [None, False])
def test_many_mixed_runs_fit_every_width_with_values_and_headers_whole(many_runs, width, transpose):
    comparison = cmp.select(records(many_runs))
    lines = rendered(comparison, width, transpose=transpose)
    assert max(len(line) for line in lines) <= width
    assert [v for v in whole_values(comparison) if not any(v in line for line in lines)] == []
    text = "\n".join(lines)
    for column in cmp.shown_columns(comparison):
        if column not in ("run", "started", "kind", "status"):  # the last three: above the table or in the names
            assert header_shown(column, text), column


def test_many_runs_are_one_row_per_run_with_the_scores_in_the_first_table(many_runs):
    comparison = cmp.select(records(many_runs))
    lines = rendered(comparison, 80)
    first_table = lines[: next(i for i, line in enumerate(lines) if i > 5 and not RUN_ROW.match(line))]
    assert [RUN_ROW.match(line).groups() for line in first_table if RUN_ROW.match(line)] == [
        (str(i), row["run"]) for i, row in enumerate(comparison.rows, 1)
    ]
    assert len(comparison.rows) == 8
    assert "0.9649" in "\n".join(first_table)  # the test accuracy, before any config key
    assert not any(line.startswith("layers[0].units") for line in lines)  # not one column per run
    assert len(lines) < 120


# --- 16. thirteen mixed runs at 80 columns: train and k-fold, scikit-learn and CSV data, classifiers and regressors ---


def sklearn_config(
    name: str,
    source: str,
    layers: list,
    *,
    loss="binary_crossentropy",
    metrics=("accuracy",),
    validation=0.2,
    scale="standard",
    early_stopping=None,
    **changes,
) -> dict:
    """A resolved config of a run on scikit-learn data, as nnrun saves it (no CSV keys at all)."""
    config = {
        "name": name,
        "seed": 42,
        "backend": "jax",
        "dataset": {"source": source, "test": 0.2, "validation": validation, "scale": scale, "flatten": False},
        "layers": layers,
        "activation": "relu",
        "loss": loss,
        "optimizer": "adam",
        "metrics": list(metrics),
        "epochs": 3,
        "batch_size": 32,
        "steps_per_execution": "auto",
        "early_stopping": early_stopping,
        "kfold": None,
    }
    config.update(changes)
    return config


def csv_config(
    name: str,
    path: str,
    target: int,
    layers: list,
    *,
    separator=",",
    features=None,
    test=0.2,
    loss="binary_crossentropy",
    metrics=("accuracy",),
    **changes,
) -> dict:
    """A resolved config of a run on a CSV file, as nnrun saves it (every CSV key filled)."""
    config = {
        "name": name,
        "seed": 42,
        "backend": "jax",
        "dataset": {
            "path": path,
            "header": False,
            "separator": separator,
            "encoding": "utf-8",
            "decimal": ".",
            "thousands": None,
            "target": target,
            "features": features,
            "missing": "error",
            "test": test,
            "validation": 0.0,
            "scale": "none",
            "flatten": False,
        },
        "layers": layers,
        "activation": "relu",
        "loss": loss,
        "optimizer": "adam",
        "metrics": list(metrics),
        "epochs": 3,
        "batch_size": 64,
        "steps_per_execution": "auto",
        "early_stopping": None,
        "kfold": None,
    }
    config.update(changes)
    return config


def dense(*units: int, last: str | None = None) -> list[dict]:
    layers = [{"type": "Dense", "units": u} for u in units]
    if last:
        layers[-1]["activation"] = last
    return layers


ES = {
    "monitor": "val_loss",
    "patience": 5,
    "min_delta": 0.0,
    "mode": "auto",
    "restore_best_weights": True,
    "start_from_epoch": 0,
}
KFOLD = {
    "k": 4,
    "shuffle": True,
    "stratify": "auto",
    "refit": True,
    "refit_epochs": "best",
    "monitor": "val_mae",
    "smoothing": 0.9,
    "skip_epochs": 10,
}
QUICK_LAYERS = [{"type": "Dense", "units": 16}, {"type": "Dropout", "rate": 0.2}, *dense(8), *dense(1, last="sigmoid")]


@pytest.fixture
def thirteen_runs(tmp_path) -> Path:
    """Thirteen runs as `nnrun train` and `nnrun kfold` leave them for the configs quickstart (3), digits (2),
    diabetes-regression (2), boston (train and k-fold), thoracic, pima (2) and pima-kfold."""
    root = tmp_path / "thirteen"
    bc, wide = (
        ({"loss": 0.5617, "accuracy": 0.7281}, {"loss": 0.541, "accuracy": 0.7692}),
        [{"type": "Dense", "units": 32}],
    )
    runs = [
        (
            "081401-quickstart",
            sklearn_config("quickstart", "sklearn:breast_cancer", QUICK_LAYERS, early_stopping=ES),
            bc,
        ),
        (
            "081405-digits",
            sklearn_config(
                "digits",
                "sklearn:digits",
                dense(64, 10, last="softmax"),
                validation=0.1,
                scale=16.0,
                loss="sparse_categorical_crossentropy",
            ),
            ({"loss": 0.9076, "accuracy": 0.875}, {"loss": 0.9027, "accuracy": 0.8889}),
        ),
        (
            "081411-diabetes-regression",
            sklearn_config(
                "diabetes-regression",
                "sklearn:diabetes",
                dense(32, 16, 1, last="linear"),
                validation=0.1,
                loss="mse",
                metrics=("mae",),
                optimizer={"name": "adam", "learning_rate": 0.01},
                early_stopping={**ES, "patience": 30},
            ),
            ({"loss": 17418.1602, "mae": 110.7997}, {"loss": 24953.3047, "mae": 138.8741}),
        ),
        (
            "081415-boston",
            csv_config(
                "boston",
                "boston-housing.csv",
                13,
                dense(64, 64, 1, last="linear"),
                separator="whitespace",
                loss="mse",
                metrics=("mae",),
                seed=113,
                batch_size=1,
                optimizer="rmsprop",
                kfold=KFOLD,
            ),
            ({"loss": 17.9681, "mae": 2.8831}, {}),
        ),
        (
            "081419-thoracic",
            csv_config(
                "thoracic",
                "thoracic-surgery.csv",
                17,
                dense(30, 20, 10, 1, last="sigmoid"),
                features=list(range(17)),
                test=50,
                seed=777,
            ),
            ({"loss": 0.9976, "accuracy": 0.78}, {}),
        ),
        (
            "081424-pima",
            csv_config("pima", "pima-indians-diabetes.csv", 8, dense(12, 8, 1, last="sigmoid"), test=68),
            ({"loss": 1.5895, "accuracy": 0.5441}, {}),
        ),
        (
            "081510-quickstart",
            sklearn_config("quickstart", "sklearn:breast_cancer", [*wide, *QUICK_LAYERS[1:]], early_stopping=ES),
            ({"loss": 0.3703, "accuracy": 0.8684}, {}),
        ),
        (
            "081517-quickstart",
            sklearn_config(
                "quickstart",
                "sklearn:breast_cancer",
                QUICK_LAYERS,
                early_stopping=ES,
                optimizer={"name": "adam", "learning_rate": 0.01},
            ),
            ({"loss": 0.1107, "accuracy": 0.9649}, {"loss": 0.0905, "accuracy": 0.967}),
        ),
        (
            "081526-digits",
            sklearn_config(
                "digits",
                "sklearn:digits",
                dense(64, 10, last="softmax"),
                validation=0.1,
                scale=16.0,
                loss="sparse_categorical_crossentropy",
                epochs=5,
            ),
            ({"loss": 0.5164, "accuracy": 0.9167}, {"loss": 0.5166, "accuracy": 0.9236}),
        ),
        (
            "081550-diabetes-regression",
            sklearn_config(
                "diabetes-regression",
                "sklearn:diabetes",
                dense(32, 16, 1, last="linear"),
                validation=0.1,
                loss="mse",
                metrics=("mae",),
                optimizer={"name": "adam", "learning_rate": 0.001},
                early_stopping={**ES, "patience": 30},
            ),
            ({"loss": 26327.7129, "mae": 144.9085}, {"loss": 36165.1172, "mae": 175.0812}),
        ),
        (
            "081558-pima",
            csv_config(
                "pima",
                "pima-indians-diabetes.csv",
                8,
                dense(12, 8, 1, last="sigmoid"),
                test=68,
                optimizer={"name": "adam", "learning_rate": 0.01},
            ),
            ({"loss": 0.7219, "accuracy": 0.5735}, {}),
        ),
    ]
    for name, config, (test, validation) in runs:
        make_run(root, f"20261130-{name}", config, train_metrics(config["name"], test, validation))
    make_run(
        root,
        "20261130-081429-pima-kfold",
        csv_config(
            "pima-kfold",
            "pima-indians-diabetes.csv",
            8,
            dense(12, 8, 1, last="sigmoid"),
            test=68,
            kfold={"k": 5, "shuffle": True, "stratify": True, "refit": True},
        ),
        kfold_metrics(
            "pima-kfold",
            {"loss": 1.7547, "accuracy": 0.6143},
            {"loss": 0.1702, "accuracy": 0.0136},
            {"loss": 1.5895, "accuracy": 0.5441},
            k=5,
        ),
        history(),
        kind="kfold",
    )
    make_run(
        root,
        "20261130-081535-boston",
        csv_config(
            "boston",
            "boston-housing.csv",
            13,
            dense(64, 64, 1, last="linear"),
            separator="whitespace",
            loss="mse",
            metrics=("mae",),
            seed=113,
            batch_size=16,
            optimizer="rmsprop",
            kfold=KFOLD,
        ),
        kfold_metrics(
            "boston",
            {"loss": 178.4299, "mae": 11.1128},
            {"loss": 16.0786, "mae": 0.561},
            {"loss": 70.8703, "mae": 6.1758},
            k=4,
        ),
        history(("loss", "mae"), start=20.0),
        kind="kfold",
    )
    return root


CSV_KEYS = (
    "dataset.path",
    "dataset.header",
    "dataset.separator",
    "dataset.encoding",
    "dataset.decimal",
    "dataset.target",
    "dataset.features",
    "dataset.missing",
)


@pytest.mark.parametrize("width", [80, 100, 120])
def test_thirteen_mixed_runs_are_a_row_each_scores_first_and_the_csv_keys_under_the_table(thirteen_runs, width):
    comparison = cmp.select(records(thirteen_runs))
    assert len(comparison.rows) == 13 and all(k in comparison.config_columns for k in CSV_KEYS)
    lines = rendered(comparison, width)
    text = "\n".join(lines)
    assert max(len(line) for line in lines) <= width
    # a row per run, numbered, in the first table, with its test scores beside its name
    rows = {m.group(2): line for line in lines if (m := RUN_ROW.match(line))}
    assert list(rows) == [row["run"] for row in comparison.rows]
    assert "0.7281" in rows["20261130-081401-quickstart"] and "110.7997" in rows["20261130-081411-diabetes-regression"]
    assert "0.5441" in rows["20261130-081429-pima-kfold"]
    # a mean and its spread whole, wherever its column lands
    for value in ("1.7547 ± 0.1702", "0.6143 ± 0.0136", "178.4299 ± 16.0786", "11.1128 ± 0.5610"):
        assert value in text
    # the data each run read, as one column: a scikit-learn source or a CSV file
    dataset = [line for line in lines if re.match(r"^\s*\d+  ", line) and "sklearn:" in line]
    assert len(dataset) == 7 and sum("boston-housing.csv" in line for line in lines) >= 2
    # CSV options, which the scikit-learn runs lack, are no column: a line per CSV run under the table
    headers = " ".join(lines[i - 2] + " " + lines[i - 1] for i, line in enumerate(lines) if line.startswith("─"))
    assert not re.search(r"\b(path|header|separator|encoding|decimal|target|features|missing)\b", headers)
    under = lines[lines.index("keys that most runs lack (not in the table above), by row:") :]
    joined = "\n".join(under)
    assert re.search(r"^\s+4  20261130-081415-boston: dataset\.separator=whitespace, dataset\.target=13", joined, re.M)
    assert 'dataset.separator=","' in joined  # a comma, quoted
    assert not any("sklearn" in line or "quickstart: dataset." in line for line in under)
    assert any(line.startswith("  set alike by every run that has them: dataset.header=false") for line in under)
    # the layers, one column: each layer whole
    for layer in ("Dense(16)", "Dropout(0.2)", "Dense(1,sigmoid)", "Dense(10,softmax)", "Dense(1,linear)"):
        assert layer in text
    tables = sum(1 for line in lines if line.startswith("─"))
    # (it was 12 tables of 249 lines at 80 columns)
    assert tables <= {80: 6, 100: 5, 120: 4}[width] and len(lines) <= {80: 120, 100: 100, 120: 85}[width]


def test_thirteen_mixed_runs_through_a_pipe_fit_columns(cli, thirteen_runs, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("compare", thirteen_runs)
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and result.stderr == "" and max(map(len, lines)) <= 80
    assert sum(1 for line in lines if RUN_ROW.match(line)) == 13
    assert "keys that most runs lack (not in the table above), by row:" in lines


def test_thirteen_mixed_runs_in_csv_keep_every_key_as_a_column(cli, thirteen_runs):
    result = cli("compare", thirteen_runs, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 13 and all(k in rows[0] for k in CSV_KEYS) and "layers[1].rate" in rows[0]
    quick = next(r for r in rows if r["run"] == "20261130-081401-quickstart")
    assert quick["dataset.path"] == quick["dataset.header"] == "" and quick["dataset.source"] == "sklearn:breast_cancer"
    thoracic = next(r for r in rows if r["run"] == "20261130-081419-thoracic")
    assert thoracic["dataset.separator"] == "," and thoracic["layers[3].units"] == "1"


def test_csv_options_null_beside_runs_on_named_sources_are_no_column(tmp_path):
    root = tmp_path / "runs"
    make_run(root, QS, quickstart_config(), train_metrics("quickstart", *SCORES[A]))
    for name, header in (("r1", None), ("r2", True)):
        make_run(
            root,
            name,
            pima_config(dataset={**pima_config()["dataset"], "decimal": None, "header": header}),
            train_metrics("pima", *SCORES[B]),
        )
    comparison = cmp.select(records(root))
    assert "dataset.decimal" not in comparison.config_columns and "dataset.header" in comparison.config_columns
    assert "dataset.decimal" not in comparison.shared
    assert "dataset.decimal" in cmp.select(records(root), show_all=True).config_columns


@pytest.mark.parametrize("columns", ["80", "100", None])
def test_a_pipe_is_fitted_to_columns_or_to_120(cli, many_runs, monkeypatch, columns):
    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    else:
        monkeypatch.delenv("COLUMNS")
    result = cli("compare", many_runs)
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and max(len(line) for line in lines) <= int(columns or 120)
    comparison = cmp.select(records(many_runs))
    assert [v for v in whole_values(comparison) if not any(v in line for line in lines)] == []
    assert not any("started" in line for line in lines)  # as on a terminal: the run names carry it
    assert "\x1b[" not in result.stdout  # no colour in a pipe
