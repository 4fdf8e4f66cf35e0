"""What people read of a sweep folder: its pictures (score.png, params.png, parallel.png), `nnrun compare SWEEP`
and `nnrun show SWEEP`.

The sweep folders are built as `nnrun sweep` leaves them (docs: /work/wt/notes/sweep-design.md, README "The
sweep folder"): the trials are real run folders, trained once per session on the embedded breast-cancer data (a
few epochs each), renamed trials/NNNN; sweep.yaml, trials.csv and metrics.json are written here by
`write_sweep`, so these views are tested without the sweep driver.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import CONFIGS

# --- sweep folders, as nnrun sweep leaves them ---

STARTED = "2026-11-30T08:30:00+00:00"
FINISHED = "2026-11-30T08:31:40+00:00"
LR = "optimizer.learning_rate"
PARAMETERS = {  # the sweep file's `parameters`, in its order
    LR: {"distribution": "log_uniform", "min": 3.0e-4, "max": 3.0e-2},
    "batch_size": {"values": [16, 32, 64]},
    "layers": {
        "values": [
            [{"type": "Dense", "units": 16}, {"type": "Dense", "units": 1, "activation": "sigmoid"}],
            [
                {"type": "Dense", "units": 16},
                {"type": "Dropout", "rate": 0.2},
                {"type": "Dense", "units": 8},
                {"type": "Dense", "units": 1, "activation": "sigmoid"},
            ],
        ]
    },
}


def trial_row(
    number: int,
    state: str,
    score: float | None,
    params: dict[str, Any],
    *,
    epochs_run: int | None = 3,
    duration_s: float | None = 1.5,
    fit_s: float | None = 1.1,
    run: str | None = None,
) -> dict[str, Any]:
    """One trial as trials.csv holds it."""
    return {
        "number": number,
        "state": state,
        "score": score,
        "params": params,
        "epochs_run": epochs_run,
        "duration_s": duration_s,
        "fit_s": fit_s,
        "run": run if run is not None else f"trials/{number:04d}",
    }


def _cell(value: Any) -> Any:
    """A parameter's value in trials.csv: JSON for lists, mappings, booleans and null; numbers and text plain."""
    if isinstance(value, (list, dict, bool)) or value is None:
        return json.dumps(value, separators=(",", ":"))
    return value


def write_sweep(
    folder: Path,
    rows: list[dict[str, Any]],
    *,
    parameters: dict[str, Any] | None = None,
    name: str = "quickstart-search",
    method: str = "random",
    metric: str = "val_loss",
    goal: str = "minimize",
    planned: int | None = None,
    status: str = "completed",
    score: str = "train",
    base: dict[str, Any] | None = None,
    pid: int = 31337,
    host: str = "trainer-7",
    runs: dict[int, Path] | None = None,
) -> Path:
    """Write the sweep folder `folder` as the sweep driver leaves it: sweep.yaml (resolved), trials.csv (one
    line per row of `rows`, see trial_row), metrics.json (states counted, the best completed trial), best.yaml;
    `runs` are run folders copied in as trials/NNNN."""
    parameters = PARAMETERS if parameters is None else parameters
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trials").mkdir(exist_ok=True)
    for number, run in (runs or {}).items():
        shutil.copytree(run, folder / "trials" / f"{number:04d}")
    planned = len(rows) if planned is None else planned
    base = base or {"name": "quickstart", "epochs": 3}
    sweep = {
        "name": name,
        "config": "/work/configs/quickstart.yaml",
        "method": method,
        "metric": {"name": metric, "goal": goal},
        "trials": planned,
        "parallel": 2,
        "seed": 42,
        "score": score,
        "parameters": parameters,
        "early_terminate": None,
        "base": base,
    }
    (folder / "sweep.yaml").write_text(yaml.safe_dump(sweep, sort_keys=False), encoding="utf-8")
    with open(folder / "trials.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["number", "state", "score", *parameters, "epochs_run", "duration_s", "fit_s", "run"])
        for r in rows:
            writer.writerow(
                [
                    r["number"],
                    r["state"],
                    "" if r["score"] is None else r["score"],
                    *(_cell(r["params"].get(p)) for p in parameters),
                    *("" if r[k] is None else r[k] for k in ("epochs_run", "duration_s", "fit_s")),
                    r["run"],
                ]
            )
    states = dict.fromkeys(("completed", "pruned", "failed", "diverged", "interrupted", "running"), 0)
    for r in rows:
        states[r["state"]] += 1
    done = [r for r in rows if r["state"] == "completed" and r["score"] is not None]
    best = (min if goal == "minimize" else max)(done, key=lambda r: r["score"]) if done else None
    metrics = {
        "kind": "sweep",
        "status": status,
        "name": name,
        "started": STARTED,
        "finished": None if status == "running" else FINISHED,
        "duration_s": None if status == "running" else 100.0,
        "method": method,
        "metric": {"name": metric, "goal": goal},
        "score": score,
        "trials": planned,
        "states": states,
        "best": best
        and {"trial": best["number"], "score": best["score"], "params": best["params"], "run": best["run"]},
        "parameters": list(parameters),
        "pid": pid,
        "host": host,
    }
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    if best:
        (folder / "best.yaml").write_text(
            yaml.safe_dump({**base, "name": f"{name}-best"}, sort_keys=False), encoding="utf-8"
        )
    return folder


def train_trials(root: Path, settings: list[dict[str, Any]], *, epochs: int = 3, k: int | None = None) -> list[Path]:
    """Real run folders of configs/quickstart.yaml with each settings' parameters (--set path=value), trained
    in this process (Keras is imported once); with `k`, k-fold runs."""
    from nnrun import api

    runs = []
    for i, params in enumerate(settings):
        overrides = [f"epochs={epochs}", "early_stopping=null", *(f"{p}={json.dumps(v)}" for p, v in params.items())]
        if k:
            outcome = api.kfold(
                CONFIGS / "quickstart.yaml", overrides=overrides, k=k, runs_dir=root / f"{i:04d}", device="cpu"
            )
        else:
            outcome = api.train(
                CONFIGS / "quickstart.yaml", overrides=overrides, runs_dir=root / f"{i:04d}", device="cpu"
            )
        assert outcome.status == "completed", outcome
        runs.append(outcome.run_dir)
    return runs


def val_score(run: Path, metric: str = "loss", epoch: int | None = None) -> float:
    """A trial's score as the sweep records it: its final validation value, or that of `epoch` (a pruned trial's
    value when it was stopped)."""
    if epoch is None:
        return json.loads((run / "metrics.json").read_text())["validation"][metric]
    with open(run / "history.csv", encoding="utf-8") as f:
        return float(list(csv.DictReader(f))[epoch - 1][f"val_{metric}"])


LAYERS_A, LAYERS_B = PARAMETERS["layers"]["values"]
SETTINGS = [  # the trials trained for real, once per session
    {LR: 0.001, "batch_size": 32, "layers": LAYERS_A},
    {LR: 0.01, "batch_size": 16, "layers": LAYERS_A},
    {LR: 0.0005, "batch_size": 64, "layers": LAYERS_B},
    {LR: 0.02, "batch_size": 32, "layers": LAYERS_B},
]


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> list[Path]:
    """Four real quickstart runs (3 epochs each) with SETTINGS' parameters."""
    return train_trials(tmp_path_factory.mktemp("trained"), SETTINGS)


def six_trials(trained: list[Path]) -> tuple[list[dict], dict[int, Path]]:
    """trials.csv rows and run folders of a 6-trial sweep: four completed, one pruned (stopped after its first
    epoch), one failed before it had a run folder."""
    rows = [
        trial_row(0, "completed", val_score(trained[0]), SETTINGS[0]),
        trial_row(1, "completed", val_score(trained[1]), SETTINGS[1]),
        trial_row(
            2, "failed", None, {LR: 0.0291, "batch_size": 16, "layers": LAYERS_B}, epochs_run=None, fit_s=None, run=""
        ),
        trial_row(3, "completed", val_score(trained[2]), SETTINGS[2]),
        trial_row(4, "pruned", val_score(trained[3], epoch=1), SETTINGS[3], epochs_run=1),
        trial_row(5, "completed", val_score(trained[3]), SETTINGS[3]),
    ]
    return rows, {0: trained[0], 1: trained[1], 3: trained[2], 4: trained[3], 5: trained[3]}


@pytest.fixture
def sweep(tmp_path, trained) -> Path:
    rows, runs = six_trials(trained)
    return write_sweep(tmp_path / "runs" / "20261130-083000-quickstart-search", rows, runs=runs)


@pytest.fixture(autouse=True)
def plain_output(monkeypatch):
    """The CLI's output must not depend on the terminal of whoever runs the tests; a wide pipe."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "1000")


def ranked(rows: list[dict], goal: str = "minimize") -> list[int]:
    """The trial numbers best first: completed by score, then pruned by score, then the rest by number."""
    sign = 1 if goal == "minimize" else -1

    def key(r):
        group = 0 if r["state"] == "completed" else 1 if r["score"] is not None else 2
        return group, 0 if r["score"] is None else sign * r["score"], r["number"]

    return [r["number"] for r in sorted(rows, key=key)]


# --- the pictures ---

STRICT = pytest.mark.filterwarnings("error")  # a matplotlib warning is what would reach the sweep's stderr


def synthetic_rows(n: int, *, failed=(), pruned=(), diverged=(), running=()) -> list[dict]:
    """n trials over PARAMETERS with scores shaped like a learning-rate search (best near lr 0.01); only
    trials.csv is written for them: the pictures read nothing else."""
    import math

    rows = []
    for i in range(n):
        lr = 3e-4 * 100 ** ((i * 0.37) % 1)
        params = {LR: round(lr, 6), "batch_size": [16, 32, 64][i % 3], "layers": PARAMETERS["layers"]["values"][i % 2]}
        score = round(0.06 + 0.2 * math.log10(0.01 / lr) ** 2 + 0.01 * (i % 3), 4)
        state = (
            "failed"
            if i in failed
            else "pruned"
            if i in pruned
            else "diverged"
            if i in diverged
            else "running"
            if i in running
            else "completed"
        )
        rows.append(
            trial_row(
                i,
                state,
                score * 1.5 if state == "pruned" else score if state == "completed" else None,
                params,
                epochs_run=None if state in ("failed", "running") else 3,
            )
        )
    return rows


def picture_sweep(tmp_path: Path, rows: list[dict], **kwargs) -> Path:
    return write_sweep(tmp_path / "sweep", rows, **kwargs)


@STRICT
@pytest.mark.parametrize("n", [3, 10, 50])
def test_draw_writes_the_three_pictures(tmp_path, n):
    from nnrun.views.sweep_plots import draw

    folder = picture_sweep(tmp_path, synthetic_rows(n, failed={1}, pruned={2} if n > 3 else ()))
    paths = draw(folder)
    assert [p.name for p in paths] == ["score.png", "params.png", "parallel.png"]
    for path in paths:
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@STRICT
@pytest.mark.parametrize("case", ["no trials.csv yet", "only failed", "one running", "one completed"])
def test_draw_at_any_point_of_a_sweep(tmp_path, case):
    from nnrun.views.sweep_plots import draw

    rows = {
        "no trials.csv yet": [],
        "only failed": synthetic_rows(3, failed={0, 1, 2}),
        "one running": synthetic_rows(1, running={0}),
        "one completed": synthetic_rows(1),
    }[case]
    folder = picture_sweep(tmp_path, rows, planned=10, status="running")
    if case == "no trials.csv yet":
        (folder / "trials.csv").unlink()
    assert all(p.is_file() for p in draw(folder))


def record_of(tmp_path: Path, rows: list[dict], **kwargs):
    from nnrun.runs.sweep_record import read_sweep

    return read_sweep(picture_sweep(tmp_path, rows, **kwargs))


def line_of(ax, colour: str):
    from matplotlib.colors import same_color

    return next(line for line in ax.get_lines() if same_color(line.get_color(), colour))


@STRICT
def test_score_png_has_the_best_so_far_and_marks_the_trials_without_a_score(tmp_path):
    from nnrun.views import sweep_plots

    rows = synthetic_rows(10, failed={4}, pruned={6}, diverged={8})
    fig = sweep_plots.score_figure(record_of(tmp_path, rows))
    ax = fig.axes[0]
    done = [r for r in rows if r["state"] == "completed"]
    best = min(done, key=lambda r: r["score"])
    title = ax.get_title().replace("\n", " ")
    assert "quickstart-search: random search over 3 parameters (optimizer.learning_rate, batch_size, layers)" in title
    assert (
        "trials: 10 planned, 10 finished (7 completed, 1 pruned, 1 failed, 1 diverged); "
        f"best val_loss {best['score']:.4f} at trial {best['number']} (goal: minimize val_loss)"
    ) in title
    assert ax.get_ylabel() == "val_loss (lower is better)"
    step = line_of(ax, sweep_plots.BEST)
    running = [min(r["score"] for r in done if r["number"] <= d["number"]) for d in done]
    assert list(step.get_ydata()) == [*running, running[-1]]
    assert list(step.get_xdata()) == [*(r["number"] for r in done), 9]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == [
        "completed (7)",
        "pruned (1): stopped early, its last value",
        "best so far",
        f"best: trial {best['number']}, {best['score']:.4f}",
        "failed (1): no score",
        "diverged (loss NaN or inf) (1): no score",
    ]
    # trials without a score lie past the worst score, beyond the dashed line (lower is better: above it)
    marks = [c for c in ax.collections if c.get_label().startswith(("failed", "diverged"))]
    heights = [c.get_offsets()[0][1] for c in marks]
    assert min(heights) > max(r["score"] for r in rows if r["score"] is not None)


@STRICT
def test_score_png_of_a_maximized_metric_marks_failures_below(tmp_path):
    from nnrun.views import sweep_plots

    rows = [
        trial_row(0, "completed", 0.91, SETTINGS[0]),
        trial_row(1, "failed", None, SETTINGS[1]),
        trial_row(2, "completed", 0.95, SETTINGS[2]),
    ]
    fig = sweep_plots.score_figure(record_of(tmp_path, rows, metric="val_accuracy", goal="maximize"))
    ax = fig.axes[0]
    assert ax.get_ylabel() == "val_accuracy (higher is better)"
    assert "best val_accuracy 0.9500 at trial 2 (goal: maximize val_accuracy)" in ax.get_title().replace("\n", " ")
    assert list(line_of(ax, sweep_plots.BEST).get_ydata()) == [0.91, 0.95, 0.95]
    failed = next(c for c in ax.collections if c.get_label().startswith("failed"))
    assert failed.get_offsets()[0][1] < 0.91


@STRICT
def test_params_png_has_a_panel_per_parameter_log_for_log_uniform_and_short_labels(tmp_path):
    from nnrun.views import sweep_plots

    fig = sweep_plots.params_figure(record_of(tmp_path, synthetic_rows(12, failed={3})))
    fig.canvas.draw()
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [
        "optimizer.learning_rate (log scale)",
        "batch_size (choices)",
        "layers (units per layer)",
    ]
    assert [ax.get_xscale() for ax in panels] == ["log", "linear", "linear"]
    assert [t.get_text() for t in panels[1].get_xticklabels()] == ["16", "32", "64"]
    assert [t.get_text() for t in panels[2].get_xticklabels()] == ["16-1", "16-drop0.2-8-1"]
    # the whole range searched is on the axis, a little beyond
    low, high = panels[0].get_xlim()
    assert low < 3.0e-4 < 3.0e-2 < high < 0.04
    assert panels[0].get_ylabel() == "val_loss (lower is better)"
    assert fig.get_suptitle().startswith("val_loss against each parameter\n")


@STRICT
def test_params_png_jitters_only_named_choices_and_leaves_out_a_constant(tmp_path):
    from nnrun.views import sweep_plots

    parameters = {
        "dataset.validation": {"values": [0.2]},
        "layers[0].units": {"values": [8, 12, 16]},
        "dataset.scale": {"values": ["none", "standard"]},
    }
    rows = [
        trial_row(
            i,
            "completed",
            0.6 + 0.02 * i,
            {
                "dataset.validation": 0.2,
                "layers[0].units": [8, 12, 16][i % 3],
                "dataset.scale": ["none", "standard"][i // 3],
            },
        )
        for i in range(6)
    ]
    record = record_of(
        tmp_path, rows, parameters=parameters, name="pima-grid", method="grid", metric="val_accuracy", goal="maximize"
    )
    fig = sweep_plots.params_figure(record)
    fig.canvas.draw()
    units, scale = [ax for ax in fig.axes if ax.get_visible()]
    assert [units.get_title(), scale.get_title()] == ["layers[0].units (choices)", "dataset.scale (choices)"]
    # on an axis of numbers, each point at its value; among named choices, shifted sideways
    assert sorted({float(x) for x in units.collections[0].get_offsets()[:, 0]}) == [0.0, 1.0, 2.0]
    assert len({float(x) for x in scale.collections[0].get_offsets()[:, 0]}) > 2
    title = " ".join(fig.get_suptitle().split())
    assert (
        "pima-grid: grid search over 2 parameters (layers[0].units, dataset.scale); set: dataset.validation=0.2"
        in title
    )
    axes = sweep_plots.parallel_figure(record).axes[0]
    names = [t.get_text() for t in axes.texts]
    assert "dataset.scale" in names and "dataset.validation" not in names


def test_short_labels_of_categorical_values():
    from nnrun.views.sweep_plots import short_label

    assert short_label(LAYERS_B) == "16-drop0.2-8-1"
    assert (
        short_label([{"type": "Conv2D", "filters": 32}, {"type": "Flatten"}, {"type": "Dense", "units": 10}])
        == "c32-flat-10"
    )
    assert short_label({"name": "sgd", "momentum": 0.9}) == "name=sgd, momen…"
    assert short_label(0.001) == "0.001" and short_label(True) == "true" and short_label("adam") == "adam"
    assert short_label("a-very-long-optimizer-name") == "a-very-long-opt…"


@STRICT
def test_parallel_png_colours_by_score_and_draws_the_best_over_the_rest(tmp_path):
    from nnrun.views import sweep_plots

    rows = synthetic_rows(10, failed={4}, pruned={6})
    fig = sweep_plots.parallel_figure(record_of(tmp_path, rows))
    fig.canvas.draw()
    ax, bar = fig.axes[0], fig.axes[1]
    assert bar.get_ylabel() == "val_loss (lower is better; darker is better)"
    done = [r for r in rows if r["state"] == "completed"]
    best = min(done, key=lambda r: r["score"])
    red = line_of(ax, sweep_plots.BEST_LINE)
    assert red.get_linewidth() > 3 and red.get_zorder() > max(
        line.get_zorder() for line in ax.get_lines() if line is not red and len(line.get_xdata()) == 4
    )
    assert list(red.get_xdata()) == [0, 1, 2, 3] and red.get_ydata()[-1] == 0.0  # the lowest score: the axis's foot
    texts = {t.get_text() for t in ax.texts}
    assert {
        "optimizer.\nlearning_rate (log)",
        "batch_size",
        "layers",
        "val_loss\n(lower is better)",
        "no score",
        "16-1",
        "16-drop0.2-8-1",
        "64",
    } <= texts
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == [
        "completed trial (8)",
        f"best: trial {best['number']}, {best['score']:.4f}",
        "pruned (1): value when stopped",
        "failed (1): no score",
    ]
    assert "parallel coordinates: each trial's parameters, then its val_loss" in ax.get_title()


# --- nnrun compare SWEEP ---


def test_compare_a_sweep_lists_its_trials_best_first_with_the_sweeps_parameters(cli, sweep, trained):
    rows, _ = six_trials(trained)
    result = cli("compare", sweep, "--format", "json")
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [r["run"] for r in listed] == [f"trials/{n:04d}" for n in ranked(rows)]
    # the run's columns, the scores (the sweep's metric first), then exactly the sweep's parameters
    assert list(listed[0]) == [
        "run",
        "kind",
        "status",
        "duration_s",
        "epochs_run",
        "val_loss",
        "test_loss",
        "test_accuracy",
        "val_accuracy",
        LR,
        "batch_size",
        "layers",
    ]
    by_run = {r["run"]: r for r in listed}
    for row in rows:
        shown = by_run[f"trials/{row['number']:04d}"]
        assert shown["status"] == row["state"] and shown["val_loss"] == row["score"]
        assert {p: shown[p] for p in PARAMETERS} == row["params"]  # a layer list whole, as the trial took it
    assert by_run["trials/0002"]["test_loss"] is None  # failed before it had a run folder: no scores


def test_compare_a_sweep_as_a_table_says_what_it_is_and_shortens_layer_lists(cli, sweep, trained):
    rows, _ = six_trials(trained)
    result = cli("compare", sweep)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"sweep {sweep}: random search, val_loss (minimize), completed; trials: 6 planned, "
        "6 finished (4 completed, 1 pruned, 1 failed); best first"
    )
    body = [line.split() for line in lines if line.startswith("trials/")]
    assert [cells[0] for cells in body] == [f"trials/{n:04d}" for n in ranked(rows)]
    best = rows[ranked(rows)[0]]
    assert body[0][-3:] == [
        f"{best['params'][LR]:g}",
        str(best["params"]["batch_size"]),
        "16-1" if best["params"]["layers"] == LAYERS_A else "16-drop0.2-8-1",
    ]
    assert {cells[-1] for cells in body} == {"16-1", "16-drop0.2-8-1"}
    assert lines[-1] == (
        "layers: shortened (a layer list as its units per layer, 16-drop0.2-8-1); --format json "
        "or csv has the whole values"
    )


def test_compare_a_sweep_with_top_filter_and_sort(cli, sweep, trained):
    rows, _ = six_trials(trained)
    top2 = cli("compare", sweep, "--top", "2", "--format", "json")
    assert [r["run"] for r in json.loads(top2.stdout)] == [f"trials/{n:04d}" for n in ranked(rows)[:2]]
    by_batch = cli("compare", sweep, "--filter", "batch_size=32", "--format", "json")
    assert sorted(r["run"] for r in json.loads(by_batch.stdout)) == ["trials/0000", "trials/0004", "trials/0005"]
    by_lr = cli("compare", sweep, "--sort", LR, "--format", "json")
    assert [r[LR] for r in json.loads(by_lr.stdout)] == [0.0005, 0.001, 0.01, 0.02, 0.02, 0.0291]


def test_compare_the_trials_folders_reads_them_as_runs(cli, sweep):
    result = cli("compare", str(sweep / "trials" / "*"), "--format", "json")
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [r["run"] for r in listed] == ["0000", "0001", "0003", "0004", "0005"]  # the failed trial has no folder
    assert {r["kind"] for r in listed} == {"train"} and {r["status"] for r in listed} == {"completed"}
    assert "optimizer.learning_rate" in listed[0] and "batch_size" in listed[0] and "layers[1].type" in listed[0]


def test_a_sweep_among_runs_is_one_row_its_best_trial(cli, sweep, trained, tmp_path):
    rows, _ = six_trials(trained)
    shutil.copytree(trained[0], tmp_path / "runs" / "20261130-090000-quickstart")
    result = cli("compare", tmp_path / "runs", "--format", "json")
    assert result.exit_code == 0, result.stderr
    listed = {r["run"]: r for r in json.loads(result.stdout)}
    best = ranked(rows)[0]
    assert list(listed) == [f"{sweep.name} (best: trial {best})", "20261130-090000-quickstart"]
    assert listed[f"{sweep.name} (best: trial {best})"]["val_loss"] == rows[best]["score"]
    assert listed[f"{sweep.name} (best: trial {best})"]["optimizer.learning_rate"] == rows[best]["params"][LR]


def test_a_sweep_without_a_completed_trial_among_runs_is_a_row_without_scores(cli, tmp_path, trained):
    run = trained[0]
    config = json.loads((run / "metrics.json").read_text())["config"]
    folder = write_sweep(
        tmp_path / "runs" / "20261130-100000-quickstart-search",
        [trial_row(0, "failed", None, SETTINGS[0], run="")],
        base=config,
        status="running",
        pid=os.getpid(),
        host=socket.gethostname(),
    )
    shutil.copytree(run, tmp_path / "runs" / "20261130-090000-quickstart")
    listed = json.loads(cli("compare", tmp_path / "runs", "--format", "json").stdout)
    assert [(r["run"], r["kind"], r["status"], r["val_loss"]) for r in listed] == [
        ("20261130-090000-quickstart", "train", "completed", val_score(run)),
        (folder.name, "sweep", "running", None),
    ]
    # its config is the sweep's base: it adds no column of its own
    assert [k for k in listed[0] if "." in k or k in ("layers", "batch_size")] == []


# --- nnrun show SWEEP ---


def lines_of(result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return [line.rstrip() for line in result.stdout.splitlines()]


def test_show_a_sweep(cli, sweep, trained):
    rows, _ = six_trials(trained)
    best = rows[ranked(rows)[0]]
    result = cli("show", sweep)
    assert result.exit_code == 0, result.stderr
    lines = lines_of(result)
    assert lines[:12] == [
        str(sweep),
        "name: quickstart-search",
        "kind: sweep",
        "status: completed",
        "method: random",
        "metric: val_loss (minimize)",
        "score: train (each trial's final validation score)",
        "started: 2026-11-30 08:30:00",
        "finished: 2026-11-30 08:31:40",
        "duration_s: 100.0",
        "trials: 6 planned, 6 finished (4 completed, 1 pruned, 1 failed)",
        f"best trial: {best['number']}, val_loss {best['score']:.4f}",
    ]
    layers = (
        "Dense(16), Dense(1,sigmoid)"
        if best["params"]["layers"] == LAYERS_A
        else "Dense(16), Dropout(0.2), Dense(8), Dense(1,sigmoid)"
    )
    assert lines[12:17] == [
        f"  optimizer.learning_rate: {best['params'][LR]:g}",
        f"  batch_size: {best['params']['batch_size']}",
        f"  layers: {layers}",
        f"  run folder: {sweep}/trials/{best['number']:04d}",
        f"  retrain it: nnrun train {sweep}/best.yaml",
    ]
    assert "top 5 trials by val_loss (minimize)" in lines
    table = [[c.strip() for c in line.strip("│").split("│")] for line in lines if line.startswith("│")]
    assert [row[0] for row in table] == [str(n) for n in ranked(rows)[:5]]  # the failed trial has no score
    assert table[0] == [
        str(best["number"]),
        "completed",
        f"{best['score']:.4f}",
        f"{best['params'][LR]:g}",
        str(best["params"]["batch_size"]),
        "16-1" if best["params"]["layers"] == LAYERS_A else "16-drop0.2-8-1",
        "3",
        "1.5",
    ]
    assert table[-1][1] == "pruned"
    files = lines[lines.index("files") + 1 :]
    assert files[:2] == ["best.yaml  (" + files[0].split("(")[1], "metrics.json  (" + files[1].split("(")[1]]
    assert "trials/  (5 run folders)" in files and any(f.startswith("trials.csv  (") for f in files)


def test_show_a_crashed_sweep(cli, tmp_path, trained):
    from test_compare import dead_pid

    pid = dead_pid()
    rows = [
        trial_row(0, "completed", val_score(trained[0]), SETTINGS[0]),
        trial_row(1, "running", None, SETTINGS[1], epochs_run=None, duration_s=None, fit_s=None),
    ]
    folder = write_sweep(
        tmp_path / "20261130-083000-quickstart-search",
        rows,
        runs={0: trained[0]},
        planned=10,
        status="running",
        pid=pid,
        host=socket.gethostname(),
    )
    lines = lines_of(cli("show", folder))
    assert "status: crashed" in lines
    assert "trials: 10 planned, 1 finished (1 completed), 1 crashed" in lines
    assert (
        f"warning: says running, but its process (pid {pid} on {socket.gethostname()}) is gone: it was killed "
        "or the machine stopped"
    ) in lines
    assert f"resume it: nnrun sweep --resume {folder} (finished trials are kept)" in lines
    assert any(line.startswith("heartbeat: ") for line in lines)
    listed = json.loads(cli("compare", folder, "--format", "json").stdout)
    assert [(r["run"], r["status"]) for r in listed] == [("trials/0000", "completed"), ("trials/0001", "crashed")]


def test_show_a_running_sweep_is_not_crashed(cli, tmp_path, trained):
    rows = [
        trial_row(0, "completed", val_score(trained[0]), SETTINGS[0]),
        trial_row(1, "running", None, SETTINGS[1], epochs_run=None, duration_s=None, fit_s=None),
    ]
    folder = write_sweep(
        tmp_path / "s",
        rows,
        runs={0: trained[0]},
        planned=10,
        status="running",
        pid=os.getpid(),
        host=socket.gethostname(),
    )
    lines = lines_of(cli("show", folder))
    assert "status: running" in lines and "trials: 10 planned, 1 finished (1 completed), 1 running" in lines
    assert not any(line.startswith(("warning:", "resume it:")) for line in lines)


def test_show_a_sweep_with_no_completed_trial(cli, tmp_path):
    rows = [trial_row(0, "failed", None, SETTINGS[0], run=""), trial_row(1, "diverged", None, SETTINGS[1], run="")]
    lines = lines_of(cli("show", write_sweep(tmp_path / "s", rows)))
    assert "trials: 2 planned, 2 finished (1 failed, 1 diverged)" in lines
    assert "best trial: none yet (no trial has completed)" in lines
    assert not any(line.startswith("top ") for line in lines)


def test_show_and_compare_a_kfold_scored_sweep(cli, tmp_path):
    from test_compare import history, kfold_metrics, make_run

    root = tmp_path / "s" / "trials"
    scores = {0: 0.31, 1: 0.27}
    for n, score in scores.items():
        config = {"name": "quickstart", "optimizer": {"name": "adam", "learning_rate": 0.001 * (n + 1)}}
        make_run(
            root,
            f"{n:04d}",
            config,
            kfold_metrics(
                "quickstart",
                {"loss": score, "accuracy": 0.9},
                {"loss": 0.02, "accuracy": 0.01},
                {"loss": 0.3, "accuracy": 0.9},
            ),
            history(),
            kind="kfold",
        )
    rows = [trial_row(n, "completed", s, {LR: 0.001 * (n + 1)}) for n, s in scores.items()]
    folder = write_sweep(tmp_path / "s", rows, parameters={LR: PARAMETERS[LR]}, score="kfold")
    lines = lines_of(cli("show", folder))
    assert "score: kfold (each trial's mean over its folds)" in lines and "best trial: 1, val_loss 0.2700" in lines
    listed = json.loads(cli("compare", folder, "--format", "json").stdout)
    assert [(r["run"], r["kind"], r["val_loss"], r["val_loss_std"]) for r in listed] == [
        ("trials/0001", "kfold", 0.27, 0.02),
        ("trials/0000", "kfold", 0.31, 0.02),
    ]


# --- fast paths ---


@pytest.mark.parametrize("command", ["compare", "compare-json", "show"])
def test_reading_a_sweep_imports_no_ml_framework_optuna_nor_matplotlib(sweep, command):
    from test_fast_paths import HEAVY, PROBE

    args = {
        "compare": ["compare", str(sweep)],
        "compare-json": ["compare", str(sweep.parent), "--format", "json"],
        "show": ["show", str(sweep)],
    }[command]
    heavy = (*HEAVY, "optuna", "matplotlib")
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=heavy)], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1] == "HEAVY: EXIT:0", result.stdout + result.stderr
