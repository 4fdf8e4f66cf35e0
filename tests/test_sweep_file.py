"""The sweep file (nnrun.sweep.file, nnrun.sweep.space): what a valid sweep resolves to, the grid, Optuna's
distributions, the --set texts of a trial, and every refusal with its exact one-line message.

Nothing here imports Keras or trains anything (one test compiles a model to learn Keras's metric names)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import CONFIGS, SWEEPS
from sweep_inputs import BASE, SWEEP

from nnrun import api
from nnrun.errors import ConfigError
from nnrun.sweep import space
from nnrun.sweep.file import flow, load_sweep


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "no-validation.yaml").write_text(
        BASE.replace("  validation: 0.25\n", "").replace("kfold: 2\n", ""), encoding="utf-8"
    )
    (tmp_path / "invalid.yaml").write_text(BASE.replace("epochs: 20", "epochs: 0"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def resolve(folder: Path, text: str, overrides=()) -> space.SweepFile:
    (folder / "sweep.yaml").write_text(text, encoding="utf-8")
    sweep = load_sweep("sweep.yaml", overrides)  # in the current directory: messages name it sweep.yaml
    space.validate(sweep, sweep.base)
    return sweep


def refusal(folder: Path, text: str, overrides=()) -> str:
    with pytest.raises(ConfigError) as caught:
        resolve(folder, text, overrides)
    return str(caught.value)


# --- valid sweeps ---


def test_defaults_are_filled(folder):
    sweep = resolve(folder, SWEEP)
    resolved = sweep.resolved()
    assert resolved["name"] == "sweep"  # the file's stem
    assert resolved["config"] == str(folder / "base.yaml")  # absolute
    assert resolved["metric"] == {"name": "val_loss", "goal": "minimize"}
    assert resolved["score"] == "train"
    assert resolved["seed"] == 7  # the base config's
    assert resolved["parallel"] == min(os.cpu_count() or 1, 4)
    assert resolved["early_terminate"] is None
    assert resolved["parameters"] == {
        "optimizer.learning_rate": {"distribution": "log_uniform", "min": 1e-4, "max": 0.1},
        "batch_size": {"values": [2, 4]},
    }
    assert sweep.base.epochs == 20 and sweep.config_path == Path("base.yaml")


def test_parallel_is_at_most_the_trials(folder):
    assert resolve(folder, SWEEP + "parallel: 16\n").parallel == 4
    assert resolve(folder, SWEEP + "parallel: 1\n").parallel == 1


@pytest.mark.parametrize(
    ("metric", "goal"),
    [
        ("val_accuracy", "maximize"),
        ("val_loss", "minimize"),
        ("{name: val_accuracy, goal: minimize}", "minimize"),
    ],
)
def test_the_goal_comes_from_the_metrics_direction_unless_given(folder, metric, goal):
    assert resolve(folder, SWEEP + f"metric: {metric}\n").metric.goal == goal


def test_the_metric_names_are_keras_names(folder):
    base = yaml.safe_load(BASE)
    base.update(
        loss="mse",
        metrics=[
            "mae",
            "RootMeanSquaredError",
            {"name": "mean_squared_error", "dtype": "float32"},
            {"name": "LogCoshError", "dtype": "float32"},
        ],
    )
    (folder / "base.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    spec = api.check(folder / "base.yaml")
    assert space.reported_metrics(spec) == ["loss", "mae", "RootMeanSquaredError", "mean_squared_error", "logcosh"]
    assert resolve(folder, SWEEP + "metric: val_RootMeanSquaredError\n").metric.goal == "minimize"


def test_the_metric_names_are_those_keras_reports(folder):
    """The names reported_metrics predicts without Keras are the ones a compiled model reports."""
    base = yaml.safe_load(BASE)
    base.update(
        loss="mse",
        layers=[{"type": "Dense", "units": 1}],
        metrics=[
            "mae",
            "RootMeanSquaredError",
            {"name": "mean_squared_error", "dtype": "float32"},
            {"name": "LogCoshError", "dtype": "float32"},
        ],
    )
    del base["dataset"]["inline"]
    base["dataset"]["inline"] = {"x": [[0.1], [0.5], [0.9], [0.3]] * 4, "y": [0.2, 0.4, 0.6, 0.8] * 4}
    (folder / "base.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    spec = api.check(folder / "base.yaml")
    prepared = api.prepare(spec)
    x, y = prepared.arrays.x_train[:4], prepared.arrays.y_train[:4]
    keras_names = list(prepared.model.evaluate(x, y, verbose=0, return_dict=True))
    assert sorted(space.reported_metrics(spec)) == sorted(keras_names)


def test_score_kfold_needs_no_validation_rows(folder):
    text = SWEEP.replace("base.yaml", "no-validation.yaml").replace(
        "method: random\n", "method: random\nscore: kfold\n"
    )
    (folder / "no-validation.yaml").write_text(BASE.replace("  validation: 0.25\n", ""), encoding="utf-8")
    assert resolve(folder, text).score == "kfold"


def test_a_parameter_may_give_the_validation_rows(folder):
    text = SWEEP.replace("base.yaml", "no-validation.yaml") + "  dataset.validation: {values: [0.25]}\n"
    assert resolve(folder, text).parameters["dataset.validation"].values == [0.25]


def test_grid_is_every_combination_in_the_files_order(folder):
    text = (
        SWEEP.replace("random", "grid")
        .replace("trials: 4\n", "")
        .replace("{distribution: log_uniform, min: 1.0e-4, max: 1.0e-1}", "{values: [0.1, 0.01, 0.001]}")
    )
    sweep = resolve(folder, text)
    assert sweep.trials == 6  # 3 x 2: the grid's size
    assert space.grid(sweep.parameters) == [
        {"optimizer.learning_rate": lr, "batch_size": b} for lr in (0.1, 0.01, 0.001) for b in (2, 4)
    ]
    assert resolve(folder, text + "trials: 5\n").trials == 5  # fewer than the grid: the first 5


def test_overrides_are_set_texts_in_order_with_the_seed_first():
    params = {
        "layers": [{"type": "Dense", "units": 30}, {"type": "Dense", "units": 1}],
        "layers[:-1].units": 12,
        "optimizer": {"name": "sgd", "learning_rate": 0.01},
        "dataset.scale": "none",
        "activation": None,
    }
    assert space.overrides(params, seed=42) == [
        ("seed=42", "sweep seed 42"),
        ("layers=[{type: Dense, units: 30}, {type: Dense, units: 1}]", "sweep parameter layers"),
        ("layers[:-1].units=12", "sweep parameter layers[:-1].units"),
        ("optimizer={name: sgd, learning_rate: 0.01}", "sweep parameter optimizer"),
        ("dataset.scale=none", "sweep parameter dataset.scale"),
        ("activation=null", "sweep parameter activation"),
    ]
    assert space.overrides({"batch_size": 16}) == [("batch_size=16", "sweep parameter batch_size")]


@pytest.mark.parametrize(
    "value",
    [
        "1e-3",
        "yes",
        "null",
        "a: b",
        "a\nb",
        "",
        None,
        True,
        1.0e-5,
        float("inf"),
        [{"type": "Dense", "units": 3}],
        {"name": "sgd", "momentum": 0.9},
    ],
)
def test_flow_reads_back_to_the_same_value(value):
    from nnrun.config.overrides import parse_override

    text = f"key={flow(value)}"
    assert "\n" not in text
    _, back = parse_override(text)
    assert (back, type(back)) == (value, type(value))


def test_a_trials_parameters_make_a_valid_config(folder):
    text = (
        SWEEP + "  layers: {values: [[{type: Dense, units: 1, activation: sigmoid}], "
        "[{type: Dense, units: 8}, {type: Dense, units: 8}, {type: Dense, units: 1, activation: sigmoid}]]}\n"
        "  layers[:-1].units: {distribution: int_uniform, min: 1, max: 99}\n"
    )
    sweep = resolve(folder, text)
    params = {
        "optimizer.learning_rate": 0.003,
        "batch_size": 4,
        "layers": sweep.parameters["layers"].values[1],
        "layers[:-1].units": 17,
    }
    spec = api.check(sweep.config_path, space.overrides(params, seed=sweep.seed))
    assert [layer.units for layer in spec.layers] == [17, 17, 1]
    assert (spec.seed, spec.batch_size, spec.optimizer["learning_rate"]) == (7, 4, 0.003)


# --- --set on the sweep's keys ---


def test_set_on_sweep_keys(folder):
    sweep = resolve(
        folder,
        SWEEP,
        [
            "trials=9",
            "parameters.batch_size.values=[1, 2, 3]",
            "parameters.optimizer.learning_rate.max=0.5",
            "metric.goal=maximize",
            "parameters.epochs={values: [5, 10]}",
        ],
    )
    assert sweep.trials == 9
    assert sweep.parameters["batch_size"].values == [1, 2, 3]
    assert sweep.parameters["optimizer.learning_rate"].max == 0.5
    assert sweep.metric.name == "val_loss" and sweep.metric.goal == "maximize"
    assert list(sweep.parameters) == ["optimizer.learning_rate", "batch_size", "epochs"]


def test_set_finds_a_parameter_written_another_way(folder):
    sweep = resolve(folder, SWEEP + "  layers[0].units: {values: [2, 3]}\n", ["parameters.layers.0.units.values=[5]"])
    assert list(sweep.parameters) == ["optimizer.learning_rate", "batch_size", "layers[0].units"]
    assert sweep.parameters["layers[0].units"].values == [5]


def test_set_errors_name_the_argument(folder):
    assert refusal(folder, SWEEP, ["trials=0"]) == "--set trials=0: trials: got 0; must be greater than 0"
    assert (
        refusal(folder, SWEEP, [("parallel=0", "--parallel 0")])
        == "--parallel 0: parallel: got 0; must be greater than 0"
    )
    assert refusal(folder, SWEEP, ["parameters.batch_size.values[1]=0"]) == (
        "--set parameters.batch_size.values[1]=0: parameters.batch_size: values[1] = 0 makes the config invalid: "
        "batch_size: got 0; must be greater than 0"
    )


# --- Optuna ---


def test_distributions_and_the_grid_through_optuna(folder):
    optuna = pytest.importorskip("optuna")
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    text = (
        SWEEP + "  layers[:-1].units: {distribution: int_uniform, min: 1, max: 99}\n"
        "  epochs: {distribution: int_uniform, min: 10, max: 30, step: 10}\n"
        "  optimizer.momentum: {distribution: uniform, min: 0, max: 0.9}\n"
        "  layers: {values: [[{type: Dense, units: 1, activation: sigmoid}]]}\n"
    )
    sweep = resolve(folder, text)
    found = space.distributions(sweep.parameters)
    assert list(found) == list(sweep.parameters)
    assert found["optimizer.learning_rate"] == FloatDistribution(1e-4, 0.1, log=True)
    assert found["batch_size"] == CategoricalDistribution(["2", "4"])
    assert found["layers[:-1].units"] == IntDistribution(1, 99)
    assert found["epochs"] == IntDistribution(10, 30, step=10)
    assert found["optimizer.momentum"] == FloatDistribution(0.0, 0.9)
    assert found["layers"] == CategoricalDistribution(["[{type: Dense, units: 1, activation: sigmoid}]"])

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    point = {
        **{p: v for p, v in zip(sweep.parameters, (0.01, 4, 12, 20, 0.5))},
        "layers": sweep.parameters["layers"].values[0],
    }
    study.enqueue_trial(space.encode(sweep.parameters, point))
    trial = study.ask(found)
    assert space.decode(sweep.parameters, trial.params) == point  # the enqueued grid point, decoded
    drawn = space.decode(sweep.parameters, study.ask(found).params)
    assert list(drawn) == list(sweep.parameters)
    assert drawn["batch_size"] in (2, 4) and isinstance(drawn["layers"], list)
    spec = api.check(sweep.config_path, space.overrides(drawn, seed=sweep.seed))  # a valid config
    assert spec.batch_size == drawn["batch_size"]


def test_loading_and_validating_imports_no_framework(folder):
    (folder / "sweep.yaml").write_text(SWEEP, encoding="utf-8")
    probe = (
        "import sys\nfrom nnrun.sweep.file import load_sweep\nfrom nnrun.sweep import space\n"
        "s = load_sweep('sweep.yaml'); space.validate(s, s.base)\n"
        "print([m for m in ('keras', 'tensorflow', 'jax', 'torch', 'optuna') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=folder)
    assert result.stdout.strip() == "[]", result.stderr


# --- the shipped sweeps ---


@pytest.mark.parametrize(
    ("name", "method", "trials", "score", "metric", "base"),
    [
        ("boston-search", "random", 10, "kfold", {"name": "val_loss", "goal": "minimize"}, "boston-search-base.yaml"),
        ("pima-search", "tpe", 30, "train", {"name": "val_loss", "goal": "minimize"}, "pima.yaml"),
        ("pima-grid", "grid", 6, "train", {"name": "val_accuracy", "goal": "maximize"}, "pima.yaml"),
    ],
)
def test_the_shipped_sweeps_validate(name, method, trials, score, metric, base):
    sweep = load_sweep(CONFIGS / f"{name}.yaml")
    space.validate(sweep, sweep.base)
    resolved = sweep.resolved()
    assert (resolved["name"], resolved["method"], resolved["trials"], resolved["score"], resolved["metric"]) == (
        name,
        method,
        trials,
        score,
        metric,
    )
    assert resolved["config"] == str((CONFIGS / base).resolve())


def test_every_shipped_sweep_is_tested():
    assert {p.stem for p in SWEEPS} == {"boston-search", "pima-search", "pima-grid"}


def test_boston_search_is_the_lectures_search():
    sweep = load_sweep(CONFIGS / "boston-search.yaml")
    space.validate(sweep, sweep.base)
    base = sweep.base
    assert (base.kfold.k, base.epochs, base.loss, base.optimizer["name"]) == (3, 100, "mse", "sgd")
    assert base.early_stopping.patience == 10
    params = sweep.resolved()["parameters"]
    assert [len(layers) - 1 for layers in params["layers"]["values"]] == [0, 1, 2, 3]  # hidden layers
    assert params["layers[:-1].units"] == {"distribution": "int_uniform", "min": 1, "max": 99}
    assert params["optimizer.learning_rate"] == {"distribution": "log_uniform", "min": 3e-4, "max": 3e-2}
    # With no hidden layer the units slice is empty: the output layer keeps its one unit.
    spec = api.check(
        sweep.config_path,
        space.overrides(
            {"layers": params["layers"]["values"][0], "layers[:-1].units": 50, "optimizer.learning_rate": 0.01}
        ),
    )
    assert [layer.units for layer in spec.layers] == [1]


# --- refusals: every one is in the bad-input catalogue (tests/test_bad_inputs.py, REFUSALS in sweep_inputs.py) ---


def test_every_problem_of_the_schema_gets_its_own_line(folder):
    text = SWEEP.replace("random", "rnd").replace("trials: 4", "trials: 0")
    assert refusal(folder, text).splitlines() == [
        "sweep.yaml:2: method: got rnd; must be grid, random or tpe (did you mean 'random'?)",
        "sweep.yaml:3: trials: got 0; must be greater than 0",
    ]


def test_a_range_is_checked_with_each_value_of_an_earlier_parameter_of_the_same_key(folder):
    """With no hidden layer (the first layers value) layers[:-1] is empty: min 0 fails with the second value."""
    text = (
        SWEEP + "  layers: {values: [[{type: Dense, units: 1, activation: sigmoid}], [{type: Dense, units: 8}, "
        "{type: Dense, units: 1, activation: sigmoid}]]}\n"
        "  layers[:-1].units: {distribution: int_uniform, min: 0, max: 99}\n"
    )
    assert refusal(folder, text) == (
        "sweep.yaml:8: parameters.layers[:-1].units: min 0 with layers at values[1] makes "
        "the config invalid: layers[0].units: got 0; must be greater than 0"
    )


def test_a_parameter_is_checked_with_the_parameters_before_it_applied(folder):
    """The base config has two layers, but the layers parameter before it leaves one: layers[1] is refused."""
    text = (
        SWEEP + "  layers: {values: [[{type: Dense, units: 1, activation: sigmoid}]]}\n"
        "  layers[1].units: {values: [3]}\n"
    )
    assert refusal(folder, text) == (
        "sweep.yaml:8: parameters.layers[1].units: layers has 1 item, so [1] does not exist (valid: 0)"
    )


def test_a_constant_is_one_value_set_in_every_trial(folder):
    sweep = resolve(folder, SWEEP + "  epochs: {value: 7}\n")
    assert sweep.parameters["epochs"].values == [7]
    assert space.grid_size({"epochs": sweep.parameters["epochs"]}) == 1
    assert refusal(folder, SWEEP + "  epochs: {value: 7, values: [8]}\n") == (
        "sweep.yaml:7: parameters.epochs: value is a constant: give it alone, not with values"
    )
