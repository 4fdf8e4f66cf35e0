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
from conftest import CONFIGS, SWEEPS

from nnrun import api
from nnrun.errors import ConfigError
from nnrun.sweep import space
from nnrun.sweep.file import flow, load_sweep

# A base config written as text, so that messages about it name exact lines: inline OR-gate data, 3 of its 12
# training rows held out for validation, 2 folds for score: kfold.
BASE = """\
dataset:
  inline: {x: [[0, 0], [0, 1], [1, 0], [1, 1], [0, 0], [0, 1], [1, 0], [1, 1], [0, 0], [0, 1], [1, 0], [1, 1], [0, 0], [0, 1], [1, 0], [1, 1]], y: [0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1]}
  test: 4
  validation: 0.25
layers:
  - {type: Dense, units: 4, activation: relu}
  - {type: Dense, units: 1, activation: sigmoid}
loss: binary_crossentropy
optimizer: {name: sgd, learning_rate: 0.01}
metrics: [accuracy]
epochs: 20
seed: 7
kfold: 2
"""

# A valid sweep over BASE; the refusals below change one thing in it. Line 6 is the first parameter.
SWEEP = """\
config: base.yaml
method: random
trials: 4
parameters:
  optimizer.learning_rate: {distribution: log_uniform, min: 1.0e-4, max: 1.0e-1}
  batch_size: {values: [2, 4]}
"""


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "no-validation.yaml").write_text(BASE.replace("  validation: 0.25\n", "").replace("kfold: 2\n", ""),
                                                 encoding="utf-8")
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


@pytest.mark.parametrize(("metric", "goal"), [
    ("val_accuracy", "maximize"), ("val_loss", "minimize"), ("{name: val_accuracy, goal: minimize}", "minimize"),
])
def test_the_goal_comes_from_the_metrics_direction_unless_given(folder, metric, goal):
    assert resolve(folder, SWEEP + f"metric: {metric}\n").metric.goal == goal


def test_the_metric_names_are_keras_names(folder):
    base = yaml.safe_load(BASE)
    base.update(loss="mse", metrics=["mae", "RootMeanSquaredError", {"name": "mean_squared_error", "dtype": "float32"},
                                     {"name": "LogCoshError", "dtype": "float32"}])
    (folder / "base.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    spec = api.check(folder / "base.yaml")
    assert space.reported_metrics(spec) == ["loss", "mae", "RootMeanSquaredError", "mean_squared_error", "logcosh"]
    assert resolve(folder, SWEEP + "metric: val_RootMeanSquaredError\n").metric.goal == "minimize"


def test_the_metric_names_are_those_keras_reports(folder):
    """The names reported_metrics predicts without Keras are the ones a compiled model reports."""
    base = yaml.safe_load(BASE)
    base.update(loss="mse", layers=[{"type": "Dense", "units": 1}],
                metrics=["mae", "RootMeanSquaredError", {"name": "mean_squared_error", "dtype": "float32"},
                         {"name": "LogCoshError", "dtype": "float32"}])
    del base["dataset"]["inline"]
    base["dataset"]["inline"] = {"x": [[0.1], [0.5], [0.9], [0.3]] * 4, "y": [0.2, 0.4, 0.6, 0.8] * 4}
    (folder / "base.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    spec = api.check(folder / "base.yaml")
    prepared = api.prepare(spec)
    x, y = prepared.arrays.x_train[:4], prepared.arrays.y_train[:4]
    keras_names = list(prepared.model.evaluate(x, y, verbose=0, return_dict=True))
    assert sorted(space.reported_metrics(spec)) == sorted(keras_names)


def test_score_kfold_needs_no_validation_rows(folder):
    text = SWEEP.replace("base.yaml", "no-validation.yaml").replace("method: random\n", "method: random\nscore: kfold\n")
    (folder / "no-validation.yaml").write_text(BASE.replace("  validation: 0.25\n", ""), encoding="utf-8")
    assert resolve(folder, text).score == "kfold"


def test_a_parameter_may_give_the_validation_rows(folder):
    text = SWEEP.replace("base.yaml", "no-validation.yaml") + "  dataset.validation: {values: [0.25]}\n"
    assert resolve(folder, text).parameters["dataset.validation"].values == [0.25]


def test_grid_is_every_combination_in_the_files_order(folder):
    text = SWEEP.replace("random", "grid").replace("trials: 4\n", "").replace(
        "{distribution: log_uniform, min: 1.0e-4, max: 1.0e-1}", "{values: [0.1, 0.01, 0.001]}")
    sweep = resolve(folder, text)
    assert sweep.trials == 6  # 3 x 2: the grid's size
    assert space.grid(sweep.parameters) == [
        {"optimizer.learning_rate": lr, "batch_size": b} for lr in (0.1, 0.01, 0.001) for b in (2, 4)
    ]
    assert resolve(folder, text + "trials: 5\n").trials == 5  # fewer than the grid: the first 5


def test_overrides_are_set_texts_in_order_with_the_seed_first():
    params = {"layers": [{"type": "Dense", "units": 30}, {"type": "Dense", "units": 1}], "layers[:-1].units": 12,
              "optimizer": {"name": "sgd", "learning_rate": 0.01}, "dataset.scale": "none", "activation": None}
    assert space.overrides(params, seed=42) == [
        ("seed=42", "sweep seed 42"),
        ("layers=[{type: Dense, units: 30}, {type: Dense, units: 1}]", "sweep parameter layers"),
        ("layers[:-1].units=12", "sweep parameter layers[:-1].units"),
        ("optimizer={name: sgd, learning_rate: 0.01}", "sweep parameter optimizer"),
        ("dataset.scale=none", "sweep parameter dataset.scale"),
        ("activation=null", "sweep parameter activation"),
    ]
    assert space.overrides({"batch_size": 16}) == [("batch_size=16", "sweep parameter batch_size")]


@pytest.mark.parametrize("value", ["1e-3", "yes", "null", "a: b", "a\nb", "", None, True, 1.0e-5, float("inf"),
                                   [{"type": "Dense", "units": 3}], {"name": "sgd", "momentum": 0.9}])
def test_flow_reads_back_to_the_same_value(value):
    from nnrun.config.overrides import parse_override

    text = f"key={flow(value)}"
    assert "\n" not in text
    _, back = parse_override(text)
    assert (back, type(back)) == (value, type(value))


def test_a_trials_parameters_make_a_valid_config(folder):
    text = SWEEP + "  layers: {values: [[{type: Dense, units: 1, activation: sigmoid}], " \
                   "[{type: Dense, units: 8}, {type: Dense, units: 8}, {type: Dense, units: 1, activation: sigmoid}]]}\n" \
                   "  layers[:-1].units: {distribution: int_uniform, min: 1, max: 99}\n"
    sweep = resolve(folder, text)
    params = {"optimizer.learning_rate": 0.003, "batch_size": 4, "layers": sweep.parameters["layers"].values[1],
              "layers[:-1].units": 17}
    spec = api.check(sweep.config_path, space.overrides(params, seed=sweep.seed))
    assert [layer.units for layer in spec.layers] == [17, 17, 1]
    assert (spec.seed, spec.batch_size, spec.optimizer["learning_rate"]) == (7, 4, 0.003)


# --- --set on the sweep's keys ---


def test_set_on_sweep_keys(folder):
    sweep = resolve(folder, SWEEP, ["trials=9", "parameters.batch_size.values=[1, 2, 3]",
                                    "parameters.optimizer.learning_rate.max=0.5", "metric.goal=maximize",
                                    "parameters.epochs={values: [5, 10]}"])
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
    assert refusal(folder, SWEEP, [("parallel=0", "--parallel 0")]) == \
        "--parallel 0: parallel: got 0; must be greater than 0"
    assert refusal(folder, SWEEP, ["parameters.batch_size.values[1]=0"]) == (
        "--set parameters.batch_size.values[1]=0: parameters.batch_size: values[1] = 0 makes the config invalid: "
        "batch_size: got 0; must be greater than 0")


# --- Optuna ---


def test_distributions_and_the_grid_through_optuna(folder):
    optuna = pytest.importorskip("optuna")
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    text = SWEEP + "  layers[:-1].units: {distribution: int_uniform, min: 1, max: 99}\n" \
                   "  epochs: {distribution: int_uniform, min: 10, max: 30, step: 10}\n" \
                   "  optimizer.momentum: {distribution: uniform, min: 0, max: 0.9}\n" \
                   "  layers: {values: [[{type: Dense, units: 1, activation: sigmoid}]]}\n"
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
    point = {**{p: v for p, v in zip(sweep.parameters, (0.01, 4, 12, 20, 0.5))},
             "layers": sweep.parameters["layers"].values[0]}
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
    probe = ("import sys\nfrom nnrun.sweep.file import load_sweep\nfrom nnrun.sweep import space\n"
             "s = load_sweep('sweep.yaml'); space.validate(s, s.base)\n"
             "print([m for m in ('keras', 'tensorflow', 'jax', 'torch', 'optuna') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=folder)
    assert result.stdout.strip() == "[]", result.stderr


# --- the shipped sweeps ---


@pytest.mark.parametrize(("name", "method", "trials", "score", "metric", "base"), [
    ("boston-search", "random", 10, "kfold", {"name": "val_loss", "goal": "minimize"}, "boston-search-base.yaml"),
    ("pima-search", "tpe", 30, "train", {"name": "val_loss", "goal": "minimize"}, "pima.yaml"),
    ("pima-grid", "grid", 6, "train", {"name": "val_accuracy", "goal": "maximize"}, "pima.yaml"),
])
def test_the_shipped_sweeps_validate(name, method, trials, score, metric, base):
    sweep = load_sweep(CONFIGS / f"{name}.yaml")
    space.validate(sweep, sweep.base)
    resolved = sweep.resolved()
    assert (resolved["name"], resolved["method"], resolved["trials"], resolved["score"], resolved["metric"]) == (
        name, method, trials, score, metric)
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
    spec = api.check(sweep.config_path, space.overrides({"layers": params["layers"]["values"][0],
                                                        "layers[:-1].units": 50, "optimizer.learning_rate": 0.01}))
    assert [layer.units for layer in spec.layers] == [1]


# --- refusals: one line each, located in the sweep file (or the --set), the value, what is valid ---

P6 = "sweep.yaml:6: parameters.batch_size"  # the second parameter's line


@pytest.mark.parametrize(("text", "message"), [
    pytest.param(SWEEP.replace("optimizer.learning_rate:", "optimizer.learnig_rate:"),
                 "sweep.yaml:5: parameters.optimizer.learnig_rate: SGD takes no argument 'learnig_rate' (did you mean "
                 "'learning_rate'?); its arguments: learning_rate, momentum, nesterov, weight_decay, clipnorm, "
                 "clipvalue, global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor, "
                 "gradient_accumulation_steps, name", id="unknown-path-argument"),
    pytest.param(SWEEP.replace("batch_size:", "batch_sise:"),
                 "sweep.yaml:6: parameters.batch_sise: unknown key (did you mean 'batch_size'?); valid keys here: "
                 "name, seed, backend, dataset, layers, activation, loss, optimizer, metrics, epochs, batch_size, "
                 "steps_per_execution, early_stopping, kfold", id="unknown-path"),
    pytest.param(SWEEP.replace("batch_size:", "layers[:-1].unit:"),
                 "sweep.yaml:6: parameters.layers[:-1].unit: layers[0].unit: Dense takes no argument 'unit' (did you "
                 "mean 'units'?); its arguments: units, activation, use_bias, kernel_initializer, bias_initializer, "
                 "kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, "
                 "lora_rank, lora_alpha, quantization_config, trainable, dtype, autocast, name", id="unknown-path-slice"),
    pytest.param(SWEEP.replace("batch_size:", "layers[5].units:"),
                 "sweep.yaml:6: parameters.layers[5].units: layers has 2 items, so [5] does not exist (valid: 0 to 1)",
                 id="path-index-out-of-range"),
    pytest.param(SWEEP.replace("batch_size:", "epochs[:-1]:"),
                 "sweep.yaml:6: parameters.epochs[:-1]: epochs is 20, not a list, so [:-1] does not exist",
                 id="path-slice-on-a-number"),
    pytest.param(SWEEP.replace("batch_size:", "'layers[x]':"),
                 "sweep.yaml:6: parameters.layers[x]: cannot read the key path 'layers[x]'; write it as dataset.test "
                 "or layers[0].units", id="path-unreadable"),
    pytest.param(SWEEP + "  layers[0].units: {values: [3]}\n  layers.0.units: {values: [4]}\n",
                 "sweep.yaml:8: parameters.layers.0.units: the same key as layers[0].units, written another way; "
                 "keep one", id="path-twice"),
    pytest.param(SWEEP.replace("min: 1.0e-4, max: 1.0e-1", "min: 1.0e-1, max: 1.0e-4"),
                 "sweep.yaml:5: parameters.optimizer.learning_rate: min 0.1 is above max 0.0001; give min <= max",
                 id="min-above-max"),
    pytest.param(SWEEP.replace("min: 1.0e-4", "min: 0"),
                 "sweep.yaml:5: parameters.optimizer.learning_rate: min 0: a log_uniform range must lie above 0 (the "
                 "log of 0 or less does not exist); give min > 0, e.g. 1.0e-4, or use uniform", id="log-through-0"),
    pytest.param(SWEEP.replace("{values: [2, 4]}", "{distribution: int_log_uniform, min: -2, max: 4}"),
                 f"{P6}: min -2: a int_log_uniform range must lie above 0 (the log of 0 or less does not exist); "
                 "give min > 0, e.g. 1.0e-4, or use int_uniform", id="int-log-below-0"),
    pytest.param(SWEEP.replace("random", "grid"),
                 "sweep.yaml:5: parameters.optimizer.learning_rate: got distribution log_uniform; method grid needs "
                 "values: [...] for every parameter (nnrun runs each combination): give values, or use method: random "
                 "or tpe", id="grid-over-a-range"),
    pytest.param(SWEEP.replace("{values: [2, 4]}", "{distribution: int_uniform, min: 0.5, max: 4}"),
                 f"{P6}: min 0.5 is not a whole number; int_uniform takes whole numbers for min, max and step (or use "
                 "distribution: uniform)", id="int-uniform-non-integer"),
    pytest.param(SWEEP.replace("{values: [2, 4]}", "{distribution: int_uniform, min: 2, max: 10, step: 3}"),
                 f"{P6}: max 10 is not min 2 plus a whole number of steps of 3; e.g. max: 8", id="step-misses-max"),
    pytest.param(SWEEP.replace("min: 1.0e-4, max: 1.0e-1", "min: 1.0e-4, max: 1.0e-1, step: 0.01"),
                 "sweep.yaml:5: parameters.optimizer.learning_rate: step does not apply to log_uniform (the steps "
                 "would not be even on a log scale); remove it", id="step-on-log"),
    pytest.param(SWEEP.replace("[2, 4]", "[]"), f"{P6}: values is empty; give at least one value", id="values-empty"),
    pytest.param(SWEEP.replace("[2, 4]", "[2, 4, 2]"), f"{P6}: values[2] is 2 again (as values[0]); keep one",
                 id="values-twice"),
    pytest.param(SWEEP.replace("{values: [2, 4]}", "[2, 4]"),
                 f"{P6}: must be a mapping: {{values: [2, 4]}}, or {{distribution: uniform, min: ..., max: ...}}",
                 id="parameter-not-a-mapping"),
    pytest.param(SWEEP.replace("{values: [2, 4]}", "{values: [2, 4], min: 1}"),
                 f"{P6}: give either values or a distribution with min and max, not both (got values and min)",
                 id="parameter-both-forms"),
    pytest.param(SWEEP.replace("{values: [2, 4]}", "{min: 1, max: 3}"),
                 f"{P6}: give values: [...] or distribution: uniform | log_uniform | int_uniform | int_log_uniform "
                 "with min and max (got min, max)", id="parameter-no-form"),
    pytest.param(SWEEP.replace("{values: [2, 4]}", "{distribution: uniform, min: 1}"),
                 f"{P6}: distribution uniform needs min and max (max missing)", id="range-without-max"),
    pytest.param(SWEEP.replace("log_uniform", "loguniform"),
                 "sweep.yaml:5: parameters.optimizer.learning_rate.distribution: got loguniform; must be uniform, "
                 "log_uniform, int_uniform or int_log_uniform (did you mean 'log_uniform'?)", id="distribution-unknown"),
    pytest.param(SWEEP.replace("{values: [2, 4]}", "{values: [2, 4], vals: 1}"),
                 f"{P6}.vals: unknown key (did you mean 'values'?); valid keys here: values, distribution, min, max, "
                 "step", id="parameter-unknown-key"),
    pytest.param(SWEEP + "metric: val_acc\n",
                 "sweep.yaml:7: metric.name: got val_acc, which the base config does not report (did you mean "
                 "'val_accuracy'?); valid: val_loss, val_accuracy", id="metric-not-reported"),
    pytest.param(SWEEP + "metric: test_accuracy\n",
                 "sweep.yaml:7: metric.name: got test_accuracy; it would select on the test rows, which must stay "
                 "unseen until the chosen model is scored: use val_accuracy (validation rows)", id="metric-test"),
    pytest.param(SWEEP + "metric: accuracy\n",
                 "sweep.yaml:7: metric.name: got accuracy, a value on the training rows, which rewards overfitting: "
                 "use val_accuracy (validation rows)", id="metric-training-rows"),
    pytest.param(SWEEP + "metric: {name: val_loss, goal: min}\n",
                 "sweep.yaml:7: metric.goal: got min; must be minimize or maximize", id="goal"),
    pytest.param(SWEEP + "metric: {goal: minimize}\n",
                 "sweep.yaml:7: metric.name: required key is missing (e.g. name: val_mae)", id="metric-without-name"),
    pytest.param(SWEEP.replace("trials: 4", "trials: 0"), "sweep.yaml:3: trials: got 0; must be greater than 0",
                 id="trials-below-1"),
    pytest.param(SWEEP + "parallel: 0\n", "sweep.yaml:7: parallel: got 0; must be greater than 0",
                 id="parallel-below-1"),
    pytest.param(SWEEP.replace("trials: 4\n", ""),
                 "sweep.yaml:1: trials: required key is missing for method random (e.g. trials: 20)",
                 id="trials-missing"),
    pytest.param(SWEEP.replace("random", "grid").replace("trials: 4", "trials: 5").replace(
        "{distribution: log_uniform, min: 1.0e-4, max: 1.0e-1}", "{values: [0.1, 0.01]}"),
                 "sweep.yaml:3: trials: got 5; the grid has 4 points (2 × 2), so at most 4: leave trials out to run "
                 "them all", id="grid-trials-above-its-size"),
    pytest.param(SWEEP + "trails: 3\n",
                 "sweep.yaml:7: trails: unknown key (did you mean 'trials'?); valid keys here: name, config, method, "
                 "metric, trials, parallel, seed, score, parameters, early_terminate", id="unknown-top-level-key"),
    pytest.param(SWEEP.replace("random", "rnd"),
                 "sweep.yaml:2: method: got rnd; must be grid, random or tpe (did you mean 'random'?)", id="method"),
    pytest.param(SWEEP + "score: folds\n",
                 "sweep.yaml:7: score: got folds; must be train or kfold (did you mean 'kfold'?)", id="score"),
    pytest.param(SWEEP.replace("config: base.yaml\n", ""),
                 "sweep.yaml:1: config: required key is missing (e.g. config: boston.yaml)", id="config-missing"),
    pytest.param(SWEEP.replace("base.yaml", "bse.yaml"),
                 "sweep.yaml:1: config: got bse.yaml; no such file (bse.yaml) (did you mean 'base.yaml'?); "
                 "give the base experiment's config file, relative to the sweep file", id="base-config-missing"),
    pytest.param(SWEEP.replace("base.yaml", "invalid.yaml"),
                 "invalid.yaml:11: epochs: got 0; must be greater than 0", id="base-config-invalid"),
    pytest.param(SWEEP.replace("{values: [2, 4]}", "{values: [2, 0]}"),
                 f"{P6}: values[1] = 0 makes the config invalid: batch_size: got 0; must be greater than 0",
                 id="value-makes-the-config-invalid"),
    pytest.param(SWEEP.replace("batch_size: {values: [2, 4]}", "layers[:-1].units: {distribution: int_uniform, min: 0, "
                                                                 "max: 9}"),
                 "sweep.yaml:6: parameters.layers[:-1].units: min 0 makes the config invalid: layers[0].units: got 0; "
                 "must be greater than 0", id="range-end-makes-the-config-invalid"),
    pytest.param(SWEEP + "  activation: {values: [relu, rleu]}\n",
                 "sweep.yaml:7: parameters.activation: values[1] = rleu makes the config invalid: activation: got "
                 "'rleu'; unknown activation (did you mean 'relu'?); valid: celu, elu, exponential, gelu, glu, "
                 "hard_shrink, hard_sigmoid, hard_silu, hard_swish, hard_tanh, leaky_relu, linear, log_sigmoid, "
                 "log_softmax, mish, relu, relu6, selu, sigmoid, silu, soft_shrink, softmax, softplus, softsign, "
                 "sparse_plus, sparse_sigmoid, sparsemax, squareplus, swish, tanh, tanh_shrink, threshold",
                 id="value-keras-refuses"),
    pytest.param(SWEEP.replace("base.yaml", "no-validation.yaml"),
                 "sweep.yaml:1: score: got train, which scores each trial on its validation rows, but "
                 "no-validation.yaml has none: set dataset.validation in it (e.g. 0.2), or search with score: kfold",
                 id="train-score-without-validation"),
    pytest.param(SWEEP + "  dataset.validation: {values: [0.25, 0]}\n",
                 "sweep.yaml:7: parameters.dataset.validation.values[1]: values[1] = 0 leaves no validation rows, "
                 "which score: train scores each trial on: keep dataset.validation above 0, or use score: kfold",
                 id="value-removes-the-validation-rows"),
    pytest.param(SWEEP.replace("base.yaml", "no-validation.yaml") + "score: kfold\n",
                 "sweep.yaml:7: score: got kfold, but no-validation.yaml has no kfold: add `kfold: 3` (the number of "
                 "folds) to it, or use score: train", id="kfold-score-without-kfold"),
    pytest.param(SWEEP + "early_terminate: {type: median, min_epochs: 20}\n",
                 "sweep.yaml:7: early_terminate.min_epochs: got 20; the base config trains 20 epochs, so no trial would "
                 "ever be stopped: give less than 20", id="min-epochs-beyond-the-epochs"),
    pytest.param(SWEEP + "early_terminate: {type: medain}\n",
                 "sweep.yaml:7: early_terminate.type: got medain; must be median or hyperband (did you mean 'median'?)",
                 id="pruner"),
    pytest.param(SWEEP.split("parameters:")[0], "sweep.yaml:1: parameters: required key is missing (e.g. parameters: "
                 "{batch_size: {values: [16, 32]}})", id="parameters-missing"),
    pytest.param(SWEEP.split("parameters:")[0] + "parameters: {}\n",
                 "sweep.yaml:4: parameters: is empty; give at least one key path to search, e.g. batch_size: "
                 "{values: [16, 32]}", id="parameters-empty"),
    pytest.param(SWEEP + "name: a b\n", "sweep.yaml:7: name: got a b; must start with a letter or digit and hold only "
                 "letters, digits and . _ + -", id="name"),
    pytest.param("", "sweep.yaml: the sweep file is empty; it needs at least config, method and parameters",
                 id="empty-file"),
    pytest.param("- config\n", "sweep.yaml: the top level must be a mapping of keys (config:, method:, parameters:, "
                 "...); got [config]", id="not-a-mapping"),
])
def test_refusal(folder, text, message):
    assert refusal(folder, text) == message


def test_every_problem_of_the_schema_gets_its_own_line(folder):
    text = SWEEP.replace("random", "rnd").replace("trials: 4", "trials: 0")
    assert refusal(folder, text).splitlines() == [
        "sweep.yaml:2: method: got rnd; must be grid, random or tpe (did you mean 'random'?)",
        "sweep.yaml:3: trials: got 0; must be greater than 0",
    ]


def test_a_range_is_checked_with_each_value_of_an_earlier_parameter_of_the_same_key(folder):
    """With no hidden layer (the first layers value) layers[:-1] is empty: min 0 fails with the second value."""
    text = SWEEP + "  layers: {values: [[{type: Dense, units: 1, activation: sigmoid}], [{type: Dense, units: 8}, " \
                   "{type: Dense, units: 1, activation: sigmoid}]]}\n" \
                   "  layers[:-1].units: {distribution: int_uniform, min: 0, max: 99}\n"
    assert refusal(folder, text) == ("sweep.yaml:8: parameters.layers[:-1].units: min 0 with layers at values[1] makes "
                                     "the config invalid: layers[0].units: got 0; must be greater than 0")


def test_a_parameter_is_checked_with_the_parameters_before_it_applied(folder):
    """The base config has two layers, but the layers parameter before it leaves one: layers[1] is refused."""
    text = SWEEP + "  layers: {values: [[{type: Dense, units: 1, activation: sigmoid}]]}\n" \
                   "  layers[1].units: {values: [3]}\n"
    assert refusal(folder, text) == ("sweep.yaml:8: parameters.layers[1].units: layers has 1 item, so [1] does not "
                                     "exist (valid: 0)")
