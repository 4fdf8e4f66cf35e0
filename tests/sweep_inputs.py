"""The sweep files the tests use: a base config, a valid sweep over it, and the catalogue of bad sweep files
(each with the exact line `nnrun sweep` must answer it with)."""

import pytest

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


P6 = "sweep.yaml:6: parameters.batch_size"  # the second parameter's line


# One line each, located in the sweep file (or the --set), the value, what is valid.
REFUSALS = [
    pytest.param(
        SWEEP.replace("optimizer.learning_rate:", "optimizer.learnig_rate:"),
        "sweep.yaml:5: parameters.optimizer.learnig_rate: SGD takes no argument 'learnig_rate' (did you mean "
        "'learning_rate'?); its arguments: learning_rate, momentum, nesterov, weight_decay, clipnorm, "
        "clipvalue, global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor, "
        "gradient_accumulation_steps, name",
        id="unknown-path-argument",
    ),
    pytest.param(
        SWEEP.replace("batch_size:", "batch_sise:"),
        "sweep.yaml:6: parameters.batch_sise: unknown key (did you mean 'batch_size'?); valid keys here: "
        "name, seed, backend, dataset, layers, activation, loss, optimizer, metrics, epochs, batch_size, "
        "steps_per_execution, early_stopping, kfold",
        id="unknown-path",
    ),
    pytest.param(
        SWEEP.replace("batch_size:", "layers[:-1].unit:"),
        "sweep.yaml:6: parameters.layers[:-1].unit: layers[0].unit: Dense takes no argument 'unit' (did you "
        "mean 'units'?); its arguments: units, activation, use_bias, kernel_initializer, bias_initializer, "
        "kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, "
        "lora_rank, lora_alpha, quantization_config, trainable, dtype, autocast, name",
        id="unknown-path-slice",
    ),
    pytest.param(
        SWEEP.replace("batch_size:", "layers[5].units:"),
        "sweep.yaml:6: parameters.layers[5].units: layers has 2 items, so [5] does not exist (valid: 0 to 1)",
        id="path-index-out-of-range",
    ),
    pytest.param(
        SWEEP.replace("batch_size:", "epochs[:-1]:"),
        "sweep.yaml:6: parameters.epochs[:-1]: epochs is 20, not a list, so [:-1] does not exist",
        id="path-slice-on-a-number",
    ),
    pytest.param(
        SWEEP.replace("batch_size:", "'layers[x]':"),
        "sweep.yaml:6: parameters.layers[x]: cannot read the key path 'layers[x]'; write it as dataset.test "
        "or layers[0].units",
        id="path-unreadable",
    ),
    pytest.param(
        SWEEP + "  layers[0].units: {values: [3]}\n  layers.0.units: {values: [4]}\n",
        "sweep.yaml:8: parameters.layers.0.units: the same key as layers[0].units, written another way; keep one",
        id="path-twice",
    ),
    pytest.param(
        SWEEP.replace("min: 1.0e-4, max: 1.0e-1", "min: 1.0e-1, max: 1.0e-4"),
        "sweep.yaml:5: parameters.optimizer.learning_rate: min 0.1 is above max 0.0001; give min <= max",
        id="min-above-max",
    ),
    pytest.param(
        SWEEP.replace("min: 1.0e-4", "min: 0"),
        "sweep.yaml:5: parameters.optimizer.learning_rate: min 0: a log_uniform range must lie above 0 (the "
        "log of 0 or less does not exist); give min > 0, e.g. 1.0e-4, or use uniform",
        id="log-through-0",
    ),
    pytest.param(
        SWEEP.replace("{values: [2, 4]}", "{distribution: int_log_uniform, min: -2, max: 4}"),
        f"{P6}: min -2: a int_log_uniform range must lie above 0 (the log of 0 or less does not exist); "
        "give min > 0, e.g. 1.0e-4, or use int_uniform",
        id="int-log-below-0",
    ),
    pytest.param(
        SWEEP.replace("random", "grid"),
        "sweep.yaml:5: parameters.optimizer.learning_rate: got distribution log_uniform; method grid needs "
        "values: [...] for every parameter (nnrun runs each combination): give values, or use method: random "
        "or tpe",
        id="grid-over-a-range",
    ),
    pytest.param(
        SWEEP.replace("{values: [2, 4]}", "{distribution: int_uniform, min: 0.5, max: 4}"),
        f"{P6}: min 0.5 is not a whole number; int_uniform takes whole numbers for min, max and step (or use "
        "distribution: uniform)",
        id="int-uniform-non-integer",
    ),
    pytest.param(
        SWEEP.replace("{values: [2, 4]}", "{distribution: int_uniform, min: 2, max: 10, step: 3}"),
        f"{P6}: max 10 is not min 2 plus a whole number of steps of 3; e.g. max: 8",
        id="step-misses-max",
    ),
    pytest.param(
        SWEEP.replace("min: 1.0e-4, max: 1.0e-1", "min: 1.0e-4, max: 1.0e-1, step: 0.01"),
        "sweep.yaml:5: parameters.optimizer.learning_rate: step does not apply to log_uniform (the steps "
        "would not be even on a log scale); remove it",
        id="step-on-log",
    ),
    pytest.param(SWEEP.replace("[2, 4]", "[]"), f"{P6}: values is empty; give at least one value", id="values-empty"),
    pytest.param(
        SWEEP.replace("[2, 4]", "[2, 4, 2]"), f"{P6}: values[2] is 2 again (as values[0]); keep one", id="values-twice"
    ),
    pytest.param(
        SWEEP.replace("{values: [2, 4]}", "[2, 4]"),
        f"{P6}: must be a mapping: {{values: [2, 4]}}, or {{distribution: uniform, min: ..., max: ...}}",
        id="parameter-not-a-mapping",
    ),
    pytest.param(
        SWEEP.replace("{values: [2, 4]}", "{values: [2, 4], min: 1}"),
        f"{P6}: give either values or a distribution with min and max, not both (got values and min)",
        id="parameter-both-forms",
    ),
    pytest.param(
        SWEEP.replace("{values: [2, 4]}", "{min: 1, max: 3}"),
        f"{P6}: give values: [...] or distribution: uniform | log_uniform | int_uniform | int_log_uniform "
        "with min and max (got min, max)",
        id="parameter-no-form",
    ),
    pytest.param(
        SWEEP.replace("{values: [2, 4]}", "{distribution: uniform, min: 1}"),
        f"{P6}: distribution uniform needs min and max (max missing)",
        id="range-without-max",
    ),
    pytest.param(
        SWEEP.replace("log_uniform", "loguniform"),
        "sweep.yaml:5: parameters.optimizer.learning_rate.distribution: got loguniform; must be uniform, "
        "log_uniform, int_uniform or int_log_uniform (did you mean 'log_uniform'?)",
        id="distribution-unknown",
    ),
    pytest.param(
        SWEEP.replace("{values: [2, 4]}", "{values: [2, 4], vals: 1}"),
        f"{P6}.vals: unknown key (did you mean 'values'?); valid keys here: values, distribution, min, max, step",
        id="parameter-unknown-key",
    ),
    pytest.param(
        SWEEP + "metric: val_acc\n",
        "sweep.yaml:7: metric.name: got val_acc, which the base config does not report (did you mean "
        "'val_accuracy'?); valid: val_loss, val_accuracy",
        id="metric-not-reported",
    ),
    pytest.param(
        SWEEP + "metric: test_accuracy\n",
        "sweep.yaml:7: metric.name: got test_accuracy; it would select on the test rows, which must stay "
        "unseen until the chosen model is scored: use val_accuracy (validation rows)",
        id="metric-test",
    ),
    pytest.param(
        SWEEP + "metric: accuracy\n",
        "sweep.yaml:7: metric.name: got accuracy, a value on the training rows, which rewards overfitting: "
        "use val_accuracy (validation rows)",
        id="metric-training-rows",
    ),
    pytest.param(
        SWEEP + "metric: {name: val_loss, goal: min}\n",
        "sweep.yaml:7: metric.goal: got min; must be minimize or maximize",
        id="goal",
    ),
    pytest.param(
        SWEEP + "metric: {goal: minimize}\n",
        "sweep.yaml:7: metric.name: required key is missing (e.g. name: val_mae)",
        id="metric-without-name",
    ),
    pytest.param(
        SWEEP.replace("trials: 4", "trials: 0"),
        "sweep.yaml:3: trials: got 0; must be greater than 0",
        id="trials-below-1",
    ),
    pytest.param(
        SWEEP + "parallel: 0\n", "sweep.yaml:7: parallel: got 0; must be greater than 0", id="parallel-below-1"
    ),
    pytest.param(
        SWEEP.replace("trials: 4\n", ""),
        "sweep.yaml:1: trials: required key is missing for method random (e.g. trials: 20)",
        id="trials-missing",
    ),
    pytest.param(
        SWEEP.replace("random", "grid")
        .replace("trials: 4", "trials: 5")
        .replace("{distribution: log_uniform, min: 1.0e-4, max: 1.0e-1}", "{values: [0.1, 0.01]}"),
        "sweep.yaml:3: trials: got 5; the grid has 4 points (2 × 2), so at most 4: leave trials out to run them all",
        id="grid-trials-above-its-size",
    ),
    pytest.param(
        SWEEP + "trails: 3\n",
        "sweep.yaml:7: trails: unknown key (did you mean 'trials'?); valid keys here: name, config, method, "
        "metric, trials, parallel, seed, score, parameters, early_terminate",
        id="unknown-top-level-key",
    ),
    pytest.param(
        SWEEP.replace("random", "rnd"),
        "sweep.yaml:2: method: got rnd; must be grid, random or tpe (did you mean 'random'?)",
        id="method",
    ),
    pytest.param(
        SWEEP + "score: folds\n",
        "sweep.yaml:7: score: got folds; must be train or kfold (did you mean 'kfold'?)",
        id="score",
    ),
    pytest.param(
        SWEEP.replace("config: base.yaml\n", ""),
        "sweep.yaml:1: config: required key is missing (e.g. config: boston.yaml)",
        id="config-missing",
    ),
    pytest.param(
        SWEEP.replace("base.yaml", "bse.yaml"),
        "sweep.yaml:1: config: got bse.yaml; no such file (bse.yaml) (did you mean 'base.yaml'?); "
        "give the base experiment's config file, relative to the sweep file",
        id="base-config-missing",
    ),
    pytest.param(
        SWEEP.replace("base.yaml", "invalid.yaml"),
        "invalid.yaml:11: epochs: got 0; must be greater than 0",
        id="base-config-invalid",
    ),
    pytest.param(
        SWEEP.replace("{values: [2, 4]}", "{values: [2, 0]}"),
        f"{P6}: values[1] = 0 makes the config invalid: batch_size: got 0; must be greater than 0",
        id="value-makes-the-config-invalid",
    ),
    pytest.param(
        SWEEP.replace("batch_size: {values: [2, 4]}", "layers[:-1].units: {distribution: int_uniform, min: 0, max: 9}"),
        "sweep.yaml:6: parameters.layers[:-1].units: min 0 makes the config invalid: layers[0].units: got 0; "
        "must be greater than 0",
        id="range-end-makes-the-config-invalid",
    ),
    pytest.param(
        SWEEP + "  activation: {values: [relu, rleu]}\n",
        "sweep.yaml:7: parameters.activation: values[1] = rleu makes the config invalid: activation: got "
        "'rleu'; unknown activation (did you mean 'relu'?); valid: celu, elu, exponential, gelu, glu, "
        "hard_shrink, hard_sigmoid, hard_silu, hard_swish, hard_tanh, leaky_relu, linear, log_sigmoid, "
        "log_softmax, mish, relu, relu6, selu, sigmoid, silu, soft_shrink, softmax, softplus, softsign, "
        "sparse_plus, sparse_sigmoid, sparsemax, squareplus, swish, tanh, tanh_shrink, threshold",
        id="value-keras-refuses",
    ),
    pytest.param(
        SWEEP.replace("base.yaml", "no-validation.yaml"),
        "sweep.yaml:1: score: got train, which scores each trial on its validation rows, but "
        "no-validation.yaml has none: set dataset.validation in it (e.g. 0.2), or search with score: kfold",
        id="train-score-without-validation",
    ),
    pytest.param(
        SWEEP + "  dataset.validation: {values: [0.25, 0]}\n",
        "sweep.yaml:7: parameters.dataset.validation.values[1]: values[1] = 0 leaves no validation rows, "
        "which score: train scores each trial on: keep dataset.validation above 0, or use score: kfold",
        id="value-removes-the-validation-rows",
    ),
    pytest.param(
        SWEEP.replace("base.yaml", "no-validation.yaml") + "score: kfold\n",
        "sweep.yaml:7: score: got kfold, but no-validation.yaml has no kfold: add `kfold: 3` (the number of "
        "folds) to it, or use score: train",
        id="kfold-score-without-kfold",
    ),
    pytest.param(
        SWEEP + "early_terminate: {type: median, min_epochs: 20}\n",
        "sweep.yaml:7: early_terminate.min_epochs: got 20; the base config trains 20 epochs, so no trial would "
        "ever be stopped: give less than 20",
        id="min-epochs-beyond-the-epochs",
    ),
    pytest.param(
        SWEEP + "early_terminate: {type: medain}\n",
        "sweep.yaml:7: early_terminate.type: got medain; must be median or hyperband (did you mean 'median'?)",
        id="pruner",
    ),
    pytest.param(
        SWEEP.split("parameters:")[0],
        "sweep.yaml:1: parameters: required key is missing (e.g. parameters: {batch_size: {values: [16, 32]}})",
        id="parameters-missing",
    ),
    pytest.param(
        SWEEP.split("parameters:")[0] + "parameters: {}\n",
        "sweep.yaml:4: parameters: is empty; give at least one key path to search, e.g. batch_size: {values: [16, 32]}",
        id="parameters-empty",
    ),
    pytest.param(
        SWEEP + "name: a b\n",
        "sweep.yaml:7: name: got a b; must start with a letter or digit and hold only letters, digits and . _ + -",
        id="name",
    ),
    pytest.param(
        "", "sweep.yaml: the sweep file is empty; it needs at least config, method and parameters", id="empty-file"
    ),
    pytest.param(
        "- config\n",
        "sweep.yaml: the top level must be a mapping of keys (config:, method:, parameters:, ...); got [config]",
        id="not-a-mapping",
    ),
    pytest.param(
        BASE,
        "sweep.yaml: an experiment config (it has dataset, layers, loss), not a sweep file: train it "
        "with nnrun train sweep.yaml, or search it with a sweep file that names it (config: sweep.yaml, "
        "method: random, trials: 10, parameters: {...}; see the README's Sweeps)",
        id="experiment-config",
    ),
    pytest.param(
        SWEEP.replace("trials: 4", "trials: 4\nmetric: val_accuracy") + "  metrics: {values: [[accuracy], [mse]]}\n",
        "sweep.yaml:8: parameters.metrics.values[1]: got [mse], which leaves the config without val_accuracy, the "
        "sweep's metric, so that trial could not be scored: keep it among the config's metrics in every value",
        id="metric-removed-by-a-parameter",
    ),
    pytest.param(
        SWEEP + "  loss: {values: [binary_crossentropy, mse]}\n",
        "sweep.yaml:1: metric.name: got val_loss, but loss is searched: each trial's val_loss would be its own "
        "loss function's value, and values of different losses cannot be compared; use a metric every trial "
        "reports: val_accuracy",
        id="val-loss-with-the-loss-searched",
    ),
]
