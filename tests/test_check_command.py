"""`nnrun check` (without --deep) and `nnrun schema`: what a user sees for good and bad configs.

Every rejected config must exit 2 and print one line per problem on stderr, each starting with
"error:", naming the key path, the value received and what would be valid, and no traceback.
Nothing here imports Keras or trains anything.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml
from helpers import BASE_YAML, EXPERIMENTS, errors, one_error, tiny_config

from nnrun.config.schema import DatasetSpec, Spec


def insert_line(text: str, after: int, line: str) -> str:
    """`text` with `line` inserted after line number `after` (1-based; 0 = at the top)."""
    lines = text.splitlines(keepends=True)
    return "".join(lines[:after] + [line + "\n"] + lines[after:])


def check_config(cli, write_config, config, *args) -> str:
    """Write `config`, run `nnrun check` on it, expect exactly one error line and return it."""
    return one_error(cli("check", write_config(config), *args))


def line_of(path: Path, message: str) -> int:
    m = re.match(re.escape(str(path)) + r":(\d+): ", message)
    assert m, f"no {path}:<line> prefix in {message!r}"
    return int(m.group(1))


# --- the YAML file itself ---


def test_yaml_syntax_error_names_file_line_and_column(cli, write_config):
    path = write_config("dataset:\n  test: 0.2\n layers: []\n")
    message = one_error(cli("check", path))
    assert message.startswith(f"{path}:3:")
    assert re.match(re.escape(str(path)) + r":3:\d+: YAML syntax error: ", message)


def test_unclosed_flow_list_reports_where_the_file_ends(cli, write_config):
    path = write_config("epochs: 3\nmetrics: [accuracy, mae\n")
    message = one_error(cli("check", path))
    assert message.startswith(f"{path}:3:1: YAML syntax error: ")
    assert "']'" in message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_config(cli, write_config, text):
    path = write_config(text)
    message = one_error(cli("check", path))
    assert message == f"{path}: the config is empty; it needs at least dataset, layers, loss and epochs"


@pytest.mark.parametrize(
    ("text", "shown"),
    [("- dataset: x\n- epochs: 3\n", "[{dataset: x}, {epochs: 3}]"), ("hello\n", "hello"), ("42\n", "42")],
)
def test_top_level_must_be_a_mapping(cli, write_config, text, shown):
    path = write_config(text)
    message = one_error(cli("check", path))
    assert message == f"{path}: the top level must be a mapping of keys (dataset:, layers:, ...); got {shown}"


def test_duplicate_top_level_key_names_both_lines(cli, write_config):
    path = write_config(BASE_YAML + "epochs: 5\n")
    message = one_error(cli("check", path))
    assert message == f"{path}:9:1: key 'epochs' appears twice (first on line 8); keep one"


def test_duplicate_nested_key_names_both_lines(cli, write_config):
    path = write_config(insert_line(BASE_YAML, 3, "  test: 0.5"))
    message = one_error(cli("check", path))
    assert message == f"{path}:4:3: key 'test' appears twice (first on line 3); keep one"


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/name:os.system",
        "!!python/object:builtins.dict {{}}",
    ],
)
def test_python_tags_are_refused_and_never_executed(cli, write_config, tmp_path, tag):
    marker = tmp_path / "executed"
    path = write_config(BASE_YAML.replace("epochs: 3", "epochs: " + tag.format(marker=marker)))
    message = one_error(cli("check", path))
    assert message.startswith(f"{path}:8:9: YAML syntax error: the tag !!python/")
    assert "is not allowed: nnrun reads plain YAML only, never Python objects" in message
    assert not marker.exists()


def test_missing_config_file(cli, tmp_path):
    path = tmp_path / "nope.yaml"
    assert (
        one_error(cli("check", path))
        == f"{path}: no such config file; give the path of a YAML config, such as configs/pima.yaml"
    )


def test_directory_given_as_config(cli, tmp_path):
    assert one_error(cli("check", tmp_path)) == f"{tmp_path}: is a directory; give a YAML config file"


def test_non_utf8_config(cli, tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(BASE_YAML.replace("epochs: 3", "name: caf\xe9\nepochs: 3").encode("latin-1"))
    message = one_error(cli("check", path))
    offset = BASE_YAML.index("epochs") + len("name: caf")
    assert message == f"{path}: not UTF-8 text (byte 0xe9 at offset {offset}); save it as UTF-8"


def test_control_character_in_config(cli, write_config):
    path = write_config(BASE_YAML.replace("loss: binary", "loss: bin\x00ary"))
    message = one_error(cli("check", path))
    assert message == f"{path}:7:10: the character '\\x00' is not allowed in YAML (a control character); remove it"


def test_two_documents_in_one_file(cli, write_config):
    path = write_config(BASE_YAML + "---\nepochs: 4\n")
    message = one_error(cli("check", path))
    assert message.startswith(f"{path}:9:1: YAML syntax error: a second YAML document starts here")


def test_recursive_alias_is_an_error_not_a_crash(cli, write_config):
    path = write_config(BASE_YAML.replace("loss: binary_crossentropy", "loss: binary_crossentropy\nmetrics: &m [*m]"))
    message = one_error(cli("check", path))
    assert message.startswith(f"{path}:8: metrics[0]: got ")
    assert "must be a Keras metric name (e.g. accuracy)" in message


# --- unknown keys ---

TOP_KEYS = "name, seed, backend, dataset, layers, activation, loss, optimizer, metrics, epochs, batch_size, steps_per_execution, early_stopping, kfold"
DATASET_KEYS = "path, source, inline, header, separator, encoding, decimal, thousands, target, features, missing, test, validation, scale, flatten, num_words, encode, maxlen"


@pytest.mark.parametrize(
    ("after", "line", "keypath", "suggestion", "valid"),
    [
        (8, "epoch: 5", "epoch", "epochs", TOP_KEYS),
        (0, "layer: []", "layer", "layers", TOP_KEYS),
        (8, "zzzqqq: 1", "zzzqqq", None, TOP_KEYS),
        (3, "  tset: 0.3", "dataset.tset", "test", DATASET_KEYS),
        (3, "  sepparator: ';'", "dataset.sepparator", "separator", DATASET_KEYS),
        (3, "  Scale: standard", "dataset.Scale", "scale", DATASET_KEYS),
        (
            8,
            "early_stopping: {monitor: loss, patiense: 5}",
            "early_stopping.patiense",
            "patience",
            "monitor, patience, min_delta, mode, restore_best_weights, start_from_epoch",
        ),
        (
            8,
            "kfold:\n  k: 3\n  shufle: false",
            "kfold.shufle",
            "shuffle",
            "k, shuffle, stratify, refit, refit_epochs, monitor, smoothing, skip_epochs",
        ),
    ],
)
def test_unknown_key_suggests_and_lists_valid_keys_at_its_line(
    cli, write_config, after, line, keypath, suggestion, valid
):
    path = write_config(insert_line(BASE_YAML, after, line))
    message = one_error(cli("check", path))
    key_line = after + 1 + line.count("\n")  # the unknown key is on the last inserted line
    hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
    assert message == f"{path}:{key_line}: {keypath}: unknown key{hint}; valid keys here: {valid}"


def test_every_problem_gets_its_own_line(cli, write_config):
    text = insert_line(BASE_YAML.replace("epochs: 3", "epochs: 0"), 3, "  tset: 0.3") + "batch_size: -4\n"
    path = write_config(text)
    lines = errors(cli("check", path))
    assert lines == [
        f"{path}:4: dataset.tset: unknown key (did you mean 'test'?); valid keys here: {DATASET_KEYS}",
        f"{path}:9: epochs: got 0; must be greater than 0",
        f"{path}:10: batch_size: got -4; must be greater than 0",
    ]


# --- wrong types and ranges ---


def with_dataset(**values) -> dict:
    config = tiny_config()
    config["dataset"].update(values)
    return config


def with_layers(*layers) -> dict:
    return tiny_config(layers=list(layers))


CSV = {"path": "data.csv"}

# (config, key path, the "got ..." text or None, a fragment of what is valid)
BAD_VALUES = {
    "epochs 0": (tiny_config(epochs=0), "epochs", "got 0", "must be greater than 0"),
    "epochs -1": (tiny_config(epochs=-1), "epochs", "got -1", "must be greater than 0"),
    "epochs string": (tiny_config(epochs="10"), "epochs", "got '10'", "must be a valid integer"),
    "epochs bool": (tiny_config(epochs=True), "epochs", "got true", "must be a valid integer"),
    "epochs float": (tiny_config(epochs=2.5), "epochs", "got 2.5", "must be a valid integer"),
    "epochs null": (tiny_config(epochs=None), "epochs", "got null", "must be a valid integer"),
    "batch_size 0": (tiny_config(batch_size=0), "batch_size", "got 0", "must be greater than 0"),
    "layers empty": (tiny_config(layers=[]), "layers", "got []", "at least 1 item"),
    "layers mapping": (tiny_config(layers={"type": "Dense"}), "layers", "got {type: Dense}", "must be a valid list"),
    "layer not a mapping": (
        with_layers("Dense"),
        "layers[0]",
        "got Dense",
        "must be a mapping {type: <Keras layer class>",
    ),
    "layer without type": (with_layers({"units": 3}), "layers[0].type", None, "required key is missing"),
    "layer type empty": (
        with_layers({"type": " "}),
        "layers[0].type",
        "got ' '",
        "Keras layer class name such as Dense",
    ),
    "units -3": (with_layers({"type": "Dense", "units": -3}), "layers[0].units", "got -3", "must be greater than 0"),
    "units 0": (with_layers({"type": "Dense", "units": 0}), "layers[0].units", "got 0", "must be greater than 0"),
    "units 2.0": (
        with_layers({"type": "Dense", "units": 2.0}),
        "layers[0].units",
        "got 2.0",
        "must be a valid integer",
    ),
    "dropout rate 1.0": (
        with_layers({"type": "Dense", "units": 4}, {"type": "Dropout", "rate": 1.0}, {"type": "Dense", "units": 1}),
        "layers[1].rate",
        "got 1.0",
        "must be less than 1",
    ),
    "input_shape": (
        with_layers({"type": "Dense", "units": 4, "input_shape": [2]}, {"type": "Dense", "units": 1}),
        "layers[0]",
        None,
        "remove input_shape: nnrun infers the input shape from the data",
    ),
    "input_dim": (
        with_layers({"type": "Dense", "units": 4}, {"type": "Dense", "units": 1, "input_dim": 4}),
        "layers[1]",
        None,
        "remove input_dim: nnrun infers the input shape from the data",
    ),
    "test -1": (with_dataset(test=-1), "dataset.test", "got -1", "must be an int N >= 0 (the last N rows)"),
    "test 1.5": (with_dataset(test=1.5), "dataset.test", "got 1.5", "must be a fraction 0 <= f < 1"),
    "test string": (with_dataset(test="x"), "dataset.test", "got x", "an int N >= 0 (the last N rows) or a fraction"),
    "test bool": (with_dataset(test=True), "dataset.test", "got true", "an int N >= 0 (the last N rows) or a fraction"),
    "validation 1.0": (
        with_dataset(validation=1.0),
        "dataset.validation",
        "got 1.0",
        "must be a fraction 0 <= f < 1, or an int N",
    ),
    "validation -0.1": (
        with_dataset(validation=-0.1),
        "dataset.validation",
        "got -0.1",
        "must be a fraction 0 <= f < 1",
    ),
    "validation -5": (
        with_dataset(validation=-5),
        "dataset.validation",
        "got -5",
        "an int N >= 0 (the first N training rows)",
    ),
    "validation text": (
        with_dataset(validation="first"),
        "dataset.validation",
        "got first",
        "an int N >= 0 (the first N training rows) or a fraction",
    ),
    "flatten text": (with_dataset(flatten="maybe"), "dataset.flatten", "got maybe", "valid boolean"),
    "num_words on iris": (
        tiny_config(dataset={"source": "sklearn:iris", "num_words": 100}),
        "dataset",
        None,
        "num_words only apply to keras:imdb and keras:reuters, not to sklearn:iris data",
    ),
    "encode on csv": (
        tiny_config(dataset={**CSV, "encode": "sequence"}),
        "dataset",
        None,
        "encode only apply to keras:imdb and keras:reuters, not to path data",
    ),
    "maxlen with multi_hot": (
        tiny_config(dataset={"source": "keras:imdb", "maxlen": 100}),
        "dataset",
        None,
        "maxlen applies to encode: sequence; multi_hot rows have num_words values",
    ),
    "scale on sequences": (
        tiny_config(dataset={"source": "keras:imdb", "encode": "sequence", "scale": 255}),
        "dataset",
        None,
        "scale: 255.0 would change the word indices of encode: sequence, which an Embedding layer "
        "looks up; use scale: none",
    ),
    "encode unknown": (
        tiny_config(dataset={"source": "keras:imdb", "encode": "one_hot"}),
        "dataset.encode",
        "got one_hot",
        "'multi_hot' or 'sequence'",
    ),
    "num_words 0": (
        tiny_config(dataset={"source": "keras:reuters", "num_words": 0}),
        "dataset.num_words",
        "got 0",
        "greater than 0",
    ),
    "source keras typo": (
        tiny_config(dataset={"source": "keras:mnits"}),
        "dataset.source",
        "got keras:mnits",
        "(did you mean 'keras:mnist'?); valid: sklearn:iris",
    ),
    "source iris without prefix": (
        tiny_config(dataset={"source": "iris"}),
        "dataset.source",
        "got iris",
        "(did you mean 'sklearn:iris'?)",
    ),
    "source without prefix": (
        tiny_config(dataset={"source": "fashion_mnist"}),
        "dataset.source",
        "got fashion_mnist",
        "(did you mean 'keras:fashion_mnist'?)",
    ),
    "scale zscore": (
        with_dataset(scale="zscore"),
        "dataset.scale",
        "got zscore",
        "one of none, standard, minmax, or a number > 0",
    ),
    "scale -1": (with_dataset(scale=-1), "dataset.scale", "got -1", "one of none, standard, minmax, or a number > 0"),
    "scale inf": (with_dataset(scale=float("inf")), "dataset.scale", "got .inf", "a number > 0 to divide by"),
    "header maybe": (
        tiny_config(dataset={**CSV, "header": "maybe"}),
        "dataset.header",
        "got maybe",
        "must be true, false or auto",
    ),
    "missing keep": (
        tiny_config(dataset={**CSV, "missing": "keep"}),
        "dataset.missing",
        "got keep",
        "'error' or 'drop'",
    ),
    "target bool": (
        tiny_config(dataset={**CSV, "target": True}),
        "dataset.target",
        "got true",
        "a column name or a 0-based column index",
    ),
    "features float": (
        tiny_config(dataset={**CSV, "features": [0, 1.5]}),
        "dataset.features[1]",
        "got 1.5",
        "0-based column index",
    ),
    "separator empty": (tiny_config(dataset={**CSV, "separator": ""}), "dataset.separator", "got ''", 'use "," or ";"'),
    "path and source": (
        tiny_config(dataset={**CSV, "source": "sklearn:iris"}),
        "dataset",
        None,
        "give exactly one of path, source or inline (got path and source)",
    ),
    "no data": (
        tiny_config(dataset={"test": 0.1}),
        "dataset",
        None,
        "give exactly one of path, source or inline (got none of them)",
    ),
    "csv keys with source": (
        tiny_config(dataset={"source": "sklearn:iris", "separator": ";", "target": 3}),
        "dataset",
        None,
        "separator, target only apply to a CSV path, not to source data",
    ),
    "csv key with inline": (
        with_dataset(header=True),
        "dataset",
        None,
        "header only apply to a CSV path, not to inline data",
    ),
    "unknown sklearn source": (
        tiny_config(dataset={"source": "sklearn:irsi"}),
        "dataset.source",
        "got sklearn:irsi",
        "unknown dataset source (did you mean 'sklearn:iris'?); valid: sklearn:iris, sklearn:wine, "
        "sklearn:breast_cancer, sklearn:digits, sklearn:diabetes",
    ),
    "name with slash": (tiny_config(name="a/b"), "name", "got a/b", "only letters, digits and . _ + -"),
    "name starting with a dot": (
        tiny_config(name=".hidden"),
        "name",
        "got .hidden",
        "must start with a letter or digit",
    ),
    "loss 5": (
        tiny_config(loss=5),
        "loss",
        "got 5",
        "must be a Keras loss name (e.g. binary_crossentropy) or a mapping",
    ),
    "loss {}": (
        tiny_config(loss={}),
        "loss",
        "got {}",
        "or a mapping {name: binary_crossentropy, <argument>: <value>, ...}",
    ),
    "loss mapping without name": (
        tiny_config(loss={"from_logits": True}),
        "loss",
        "got {from_logits: true}",
        "{name: binary_crossentropy,",
    ),
    "optimizer list": (
        tiny_config(optimizer=["adam"]),
        "optimizer",
        "got [adam]",
        "must be a Keras optimizer name (e.g. adam)",
    ),
    "metrics string": (tiny_config(metrics="accuracy"), "metrics", "got accuracy", "must be a valid list"),
    "metric number": (tiny_config(metrics=["accuracy", 3]), "metrics[1]", "got 3", "Keras metric name (e.g. accuracy)"),
    "activation number": (tiny_config(activation=5), "activation", "got 5", "must be a valid string"),
    "seed -1": (tiny_config(seed=-1), "seed", "got -1", "must be greater than or equal to 0"),
    "backend theano": (
        tiny_config(backend="theano"),
        "backend",
        "got theano",
        "must be 'auto', 'jax', 'tensorflow' or 'torch'",
    ),
    "task is the loss's to decide": (tiny_config(task="classification"), "task", None, "unknown key"),
    "kfold 1": (tiny_config(kfold=1), "kfold.k", "got 1", "must be greater than or equal to 2"),
    "kfold true": (
        tiny_config(kfold=True),
        "kfold",
        "got true",
        "an int k >= 2 (the number of folds) or a mapping with keys among: k, shuffle",
    ),
    "kfold without k": (tiny_config(kfold={"shuffle": False}), "kfold.k", None, "required key is missing"),
    "kfold stratify": (
        tiny_config(kfold={"k": 3, "stratify": "often"}),
        "kfold.stratify",
        "got often",
        "must be 'auto', true or false",
    ),
    "kfold refit_epochs 0": (
        tiny_config(kfold={"k": 3, "refit_epochs": 0}),
        "kfold.refit_epochs",
        "got 0",
        "an int > 0, best (the best epoch",
    ),
    "early_stopping 5": (
        tiny_config(early_stopping=5),
        "early_stopping",
        "got 5",
        "true, false or a mapping with keys among: monitor,",
    ),
    "patience -1": (
        tiny_config(early_stopping={"patience": -1}),
        "early_stopping.patience",
        "got -1",
        "greater than or equal to 0",
    ),
    "mode": (
        tiny_config(early_stopping={"mode": "bigger"}),
        "early_stopping.mode",
        "got bigger",
        "'auto', 'min' or 'max'",
    ),
    "inline x and y lengths": (
        with_dataset(inline={"x": [[0, 1], [1, 0], [1, 1]], "y": [1, 0]}),
        "dataset.inline",
        None,
        "x has 3 rows but y has 2 values; give one y value per row of x",
    ),
    "inline row widths": (
        with_dataset(inline={"x": [[0, 1], [1], [1, 1]], "y": [1, 0, 1]}),
        "dataset.inline",
        None,
        "rows of x have different lengths [1, 2]; give every row the same length",
    ),
    "inline empty": (
        with_dataset(inline={"x": [], "y": []}),
        "dataset.inline",
        None,
        "x and y are empty; give at least one row",
    ),
    "inline empty row": (
        with_dataset(inline={"x": [[0, 1], []], "y": [1, 0]}),
        "dataset.inline.x[1]",
        "got []",
        "must be a row of numbers",
    ),
    "inline rows and numbers": (
        with_dataset(inline={"x": [[0, 1], 2], "y": [1, 0]}),
        "dataset.inline",
        None,
        "x mixes rows [..] and single numbers; write every row of x the same way",
    ),
    "inline text feature": (
        with_dataset(inline={"x": [[0, "a"]], "y": [1]}),
        "dataset.inline.x[0]",
        "got [0, a]",
        "must be a row of numbers",
    ),
    "inline null label": (
        with_dataset(inline={"x": [[0, 1]], "y": [None]}),
        "dataset.inline.y[0]",
        "got null",
        "a number or a class label",
    ),
    "inline without y": (with_dataset(inline={"x": [[0, 1]]}), "dataset.inline.y", None, "required key is missing"),
}


@pytest.mark.parametrize(("config", "keypath", "got", "valid"), BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_bad_value_is_one_line_with_key_value_and_what_is_valid(cli, write_config, config, keypath, got, valid):
    path = write_config(config)
    message = one_error(cli("check", path))
    number = line_of(path, message)
    problem = message.removeprefix(f"{path}:{number}: ")
    assert problem.startswith(f"{keypath}: {got + '; ' if got else ''}"), problem
    assert valid in problem
    # The line number points at the key; at the list item for layers[1]; at the enclosing key or item when
    # the key is not in the file (a missing key, `kfold: 1` for kfold.k).
    lines = path.read_text(encoding="utf-8").splitlines()
    parts = re.findall(r"\.?([A-Za-z_]+)|\[(\d+)\]", keypath)
    while parts and parts[-1][0] and not any(line.lstrip("- ").startswith(f"{parts[-1][0]}:") for line in lines):
        parts.pop()
    key, index = parts[-1]
    text = lines[number - 1].lstrip()
    assert text.lstrip("- ").startswith(f"{key}:") if key else text.startswith("-"), (number, text)


def test_section_error_points_at_the_section_key(cli, write_config):
    path = write_config(BASE_YAML.replace("  test: 0\n", "  test: 0\n  source: sklearn:iris\n"))
    assert one_error(cli("check", path)) == (
        f"{path}:1: dataset: give exactly one of path, source or inline (got source and inline)"
    )


def test_non_string_keys_are_named_as_keys(cli, write_config):
    path = write_config(insert_line(BASE_YAML, 3, "  true: 3"))
    message = one_error(cli("check", path))
    assert message == f"{path}:1: dataset: got the key true; keys are names (valid keys here: {DATASET_KEYS})"


def test_a_value_that_yaml_prints_on_several_lines_stays_on_one(cli, write_config):
    path = write_config(BASE_YAML.replace("epochs: 3", "epochs: !!binary aGVsbG8="))
    assert one_error(cli("check", path)) == f"{path}:8: epochs: got !!binary | aGVsbG8=; must be a valid integer"


def test_long_values_are_shortened(cli, write_config):
    path = write_config(tiny_config(epochs="x" * 200))
    assert one_error(cli("check", path)).endswith(f": epochs: got {'x' * 57}...; must be a valid integer")


# --- --set on the command line ---


def test_set_error_names_the_argument(cli, write_config):
    path = write_config(BASE_YAML)
    assert one_error(cli("check", path, "--set", "epochs=0")) == "--set epochs=0: epochs: got 0; must be greater than 0"


def test_set_unknown_key_suggests(cli, write_config):
    message = one_error(cli("check", write_config(BASE_YAML), "--set", "dataset.tset=0.3"))
    assert (
        message
        == f"--set dataset.tset=0.3: dataset.tset: unknown key (did you mean 'test'?); valid keys here: {DATASET_KEYS}"
    )


def test_set_short_option_and_several_sets(cli, write_config):
    result = cli("check", write_config(BASE_YAML), "-s", "epochs=7", "--set", "batch_size=2", "--set", "epochs=9")
    assert result.exit_code == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert (resolved["epochs"], resolved["batch_size"]) == (9, 2)  # the last --set of a key wins


def test_set_index_out_of_range(cli, write_config):
    message = one_error(cli("check", write_config(BASE_YAML), "--set", "layers[5].units=16"))
    assert message == "--set layers[5].units=16: layers has 2 items, so [5] does not exist (valid: 0 to 1)"


def test_set_without_equals(cli, write_config):
    message = one_error(cli("check", write_config(BASE_YAML), "--set", "epochs"))
    assert message == "--set epochs: expected key.path=value, e.g. --set optimizer.learning_rate=0.01"


def test_set_unparsable_value(cli, write_config):
    message = one_error(cli("check", write_config(BASE_YAML), "--set", "metrics=[1,"))
    assert message.startswith("--set metrics=[1,: cannot read the value '[1,' as YAML: ")


def test_set_error_when_the_file_is_fine_points_at_the_set_not_the_file(cli, write_config):
    # layers[-1] is layers[1]: the message must blame the --set, not line 6 of the file that says units: 1.
    message = one_error(cli("check", write_config(BASE_YAML), "--set", "layers[-1].units=0"))
    assert message == "--set layers[-1].units=0: layers[1].units: got 0; must be greater than 0"


def test_set_a_slice_sets_every_layer_but_the_last(cli, write_config):
    config = tiny_config(
        layers=[
            {"type": "Dense", "units": 4},
            {"type": "Dense", "units": 5},
            {"type": "Dense", "units": 1, "activation": "sigmoid"},
        ]
    )
    resolved = check_ok(cli, write_config(config), "--set", "layers[:-1].units=32")
    assert [layer["units"] for layer in resolved["layers"]] == [32, 32, 1]


def test_set_an_empty_slice_sets_nothing(cli, write_config):
    config = tiny_config(layers=[{"type": "Dense", "units": 1, "activation": "sigmoid"}])
    resolved = check_ok(cli, write_config(config), "--set", "layers[:-1].units=32")
    assert resolved["layers"] == [{"type": "Dense", "units": 1, "activation": "sigmoid"}]


def test_set_a_slice_error_names_the_item_and_blames_the_set(cli, write_config):
    message = one_error(cli("check", write_config(BASE_YAML), "--set", "layers[:-1].units=0"))
    assert message == "--set layers[:-1].units=0: layers[0].units: got 0; must be greater than 0"


def test_set_a_slice_on_a_value_that_is_not_a_list(cli, write_config):
    message = one_error(cli("check", write_config(BASE_YAML), "--set", "epochs[:-1]=3"))
    assert message == "--set epochs[:-1]=3: epochs is 3, not a list, so [:-1] does not exist"


def test_set_a_mapping_in_braces(cli, write_config):
    resolved = check_ok(cli, write_config(BASE_YAML), "--set", "optimizer={name: sgd, learning_rate: 0.01}")
    assert resolved["optimizer"] == {"name": "sgd", "learning_rate": 0.01}


# --- the resolved config ---


def check_ok(cli, path: Path, *args) -> dict:
    result = cli("check", path, *args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    first, _, rest = result.stdout.partition("\n")
    assert first == f"# {path}: valid. Resolved config (every default filled):"
    return yaml.safe_load(rest)


def test_check_prints_every_default(cli, write_config, monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    resolved = check_ok(cli, write_config(BASE_YAML, name="pima-2"))
    assert resolved["name"] == "pima-2"
    assert resolved["seed"] == 42
    assert resolved["batch_size"] == 32
    assert resolved["optimizer"] == "rmsprop"
    assert resolved["metrics"] == []
    assert resolved["activation"] is None
    assert resolved["early_stopping"] is None and resolved["kfold"] is None
    assert resolved["epochs"] == 3 and resolved["loss"] == "binary_crossentropy"
    assert resolved["layers"] == [
        {"type": "Dense", "units": 4, "activation": "relu"},
        {"type": "Dense", "units": 1, "activation": "sigmoid"},
    ]
    dataset = resolved["dataset"]
    assert dataset["inline"] == {"x": [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], "y": [0, 1, 1, 1]}
    assert (dataset["test"], dataset["validation"], dataset["scale"]) == (0, 0.0, "none")
    assert list(resolved) == list(Spec.model_fields)  # every top-level key, in schema order


def test_check_fills_dataset_defaults_for_a_csv_path(cli, write_config):
    resolved = check_ok(cli, write_config(tiny_config(dataset={"path": "data.csv"})))
    assert resolved["dataset"] == {
        "path": "data.csv",
        "header": "auto",
        "separator": ",",
        "encoding": "utf-8",
        "decimal": ".",
        "thousands": None,
        "target": None,
        "features": None,
        "missing": "error",
        "test": 0.2,
        "validation": 0.0,
        "scale": "none",
        "flatten": False,
    }  # check does not read the CSV: a missing file is for --deep or train to report


def test_check_expands_shorthands(cli, write_config):
    resolved = check_ok(cli, write_config(tiny_config(kfold=4, early_stopping=True)))
    assert resolved["kfold"] == {
        "k": 4,
        "shuffle": True,
        "stratify": "auto",
        "refit": False,
        "refit_epochs": None,
        "monitor": None,
        "smoothing": 0.0,
        "skip_epochs": 0,
    }
    assert resolved["early_stopping"] == {
        "monitor": "val_loss",
        "patience": 10,
        "min_delta": 0.0,
        "mode": "auto",
        "restore_best_weights": True,
        "start_from_epoch": 0,
    }
    assert check_ok(cli, write_config(tiny_config(early_stopping=False)))["early_stopping"] is None


@pytest.mark.parametrize(
    "config",
    [
        tiny_config(),
        tiny_config(kfold={"k": 3, "refit": True, "refit_epochs": "best"}, early_stopping={"monitor": "loss"}),
        tiny_config(
            dataset={"source": "sklearn:iris", "test": 0.25, "scale": "standard"},
            optimizer={"name": "sgd", "learning_rate": 0.01},
        ),
        tiny_config(
            dataset={
                "path": "x.csv",
                "target": "label",
                "features": [0, "b"],
                "header": True,
                "separator": "whitespace",
            }
        ),
        tiny_config(dataset={"inline": {"x": [1, 2, 3], "y": ["a", "b", "a"]}, "test": 0, "scale": 255}),
    ],
    ids=["inline", "kfold-early-stopping", "sklearn", "csv", "inline-1d-labels"],
)
def test_resolved_config_validates_again_to_the_same_thing(cli, write_config, config):
    first = check_ok(cli, write_config(config, name="first"))
    again = check_ok(cli, write_config(first, name="second"))
    assert again == first
    assert again["name"] == "first"  # the name is now written in the file, not taken from its stem


@pytest.mark.parametrize("config", EXPERIMENTS, ids=lambda p: p.name)
def test_shipped_configs_are_valid_and_round_trip(cli, write_config, config):
    first = check_ok(cli, config)
    assert check_ok(cli, write_config(first)) == first


def test_name_defaults_to_the_file_stem(cli, tmp_path):
    path = tmp_path / "my experiment (v2).yaml"
    path.write_text(BASE_YAML, encoding="utf-8")
    assert check_ok(cli, path)["name"] == "my-experiment--v2-"  # made safe for a folder name


def test_backend_auto_resolves_to_an_installed_backend(cli, write_config, monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    backend = check_ok(cli, write_config(BASE_YAML))["backend"]
    assert backend in ("jax", "tensorflow", "torch")
    assert importlib.util.find_spec(backend) is not None


def test_backend_auto_follows_keras_backend_variable(cli, write_config, monkeypatch):
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("tensorflow is not installed")
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    assert check_ok(cli, write_config(BASE_YAML))["backend"] == "tensorflow"


def test_backend_that_is_not_installed(cli, write_config):
    missing = next((b for b in ("torch", "jax", "tensorflow") if importlib.util.find_spec(b) is None), None)
    if missing is None:
        pytest.skip("every backend is installed")
    message = one_error(cli("check", write_config(tiny_config(backend=missing))))
    assert f": backend: got {missing}, which is not installed here; pip install {missing}" in message


# --- nnrun schema ---


@pytest.fixture
def schema(cli) -> dict:
    result = cli("schema")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_schema_has_every_key(schema):
    assert schema["type"] == "object"
    assert set(schema["properties"]) == set(Spec.model_fields)
    assert set(schema["required"]) == {"dataset", "layers", "loss", "epochs"}
    dataset = schema["$defs"][schema["properties"]["dataset"]["$ref"].rsplit("/", 1)[-1]]
    assert set(dataset["properties"]) == set(DatasetSpec.model_fields)
    assert dataset["additionalProperties"] is False
    assert schema["additionalProperties"] is False
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_describes_every_key(schema):
    for key, prop in schema["properties"].items():
        assert prop.get("description"), key


def test_schema_allows_the_documented_shorthands(schema):
    # DESIGN.md's example says `kfold: 4`; an editor using the schema must not flag it.
    assert {"type": "integer", "minimum": 2} in schema["properties"]["kfold"]["anyOf"]
    assert {"type": "boolean"} in schema["properties"]["early_stopping"]["anyOf"]
    assert schema["properties"]["seed"]["default"] == 42
    assert schema["properties"]["optimizer"]["default"] == "rmsprop"


def test_an_option_without_its_value_is_one_line(cli, write_config):
    path = write_config(BASE_YAML)
    assert (
        one_error(cli("check", path, "--set"))
        == "nnrun check: Option '--set' requires an argument; see nnrun check --help"
    )


def test_plain_check_says_on_its_last_line_what_only_deep_checks(cli, write_config):
    result = cli("check", write_config(BASE_YAML))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "# not checked without --deep: the data, the layer shapes, the output "
        "layer against the loss and the classes, and the metrics against the "
        "target values"
    )


def test_plain_check_catches_a_misspelled_keras_name_without_keras(cli, write_config):
    message = one_error(cli("check", write_config(BASE_YAML), "--set", "layers[0].activation=rleu"))
    assert message.startswith(
        "--set layers[0].activation=rleu: layers[0].activation: got 'rleu'; unknown activation "
        "(did you mean 'relu'?); valid: celu, elu,"
    )


def test_a_value_from_the_file_is_blamed_on_its_line_not_on_a_set_beside_it(cli, write_config):
    config = BASE_YAML + "optimizer: {name: sgd, lr: 0.5}\n"
    message = one_error(cli("check", write_config(config), "--set", "optimizer.name=adam"))
    assert message.startswith(f"{write_config(config)}:9: optimizer.lr: Adam takes no argument 'lr'")


@pytest.mark.parametrize(
    ("sets", "blamed"),
    [
        (["optimizer=adam", "optimizer.lr=0.1"], "--set optimizer.lr=0.1"),  # the most specific, not the first
        (["optimizer.lr=0.1", "optimizer.name=adam"], "--set optimizer.lr=0.1"),  # the one at the key, not the last
        (["optimizer.lr=0.2", "optimizer=adam", "optimizer.lr=0.1"], "--set optimizer.lr=0.1"),  # a key given twice
    ],
)
def test_the_set_that_gave_the_value_is_blamed(cli, write_config, sets, blamed):
    args = [a for s in sets for a in ("--set", s)]
    message = one_error(cli("check", write_config(BASE_YAML), *args))
    assert message.startswith(f"{blamed}: optimizer.lr: Adam takes no argument 'lr'")


@pytest.mark.parametrize(
    ("sets", "blamed"),
    [
        (["layers[1].units=3", "layers[1].activation=softmax"], "--set layers[1].units=3"),  # the units, not the last
        (["layers[1].activation=softmax", "layers[1].units=3"], "--set layers[1].units=3"),
    ],
)
def test_an_output_layer_error_is_blamed_on_the_set_of_the_key_it_is_about(cli, write_config, sets, blamed):
    args = [a for s in sets for a in ("--set", s)]
    message = one_error(cli("check", write_config(BASE_YAML), "--deep", *args))
    assert message == (
        f"{blamed}: layers[1]: the output has 3 units, but binary_crossentropy needs 1: write "
        "{type: Dense, units: 1, activation: sigmoid}"
    )


def test_units_from_the_file_are_blamed_on_its_line_not_on_a_set_of_the_activation(cli, write_config):
    path = write_config(BASE_YAML)
    message = one_error(
        cli("check", path, "--deep", "--set", "loss=categorical_crossentropy", "--set", "layers[1].activation=softmax")
    )
    assert message.startswith(f"{path}:6: layers[1]: the output has 1 unit, but categorical_crossentropy on 2 classes")


def test_a_section_only_a_set_gave_is_blamed_on_that_set_with_the_set_to_add(cli, write_config):
    message = one_error(cli("check", write_config(BASE_YAML), "--set", "kfold.shuffle=false"))
    assert message == (
        "--set kfold.shuffle=false: kfold.k: required key is missing; add --set kfold.k=5 or nnrun kfold --k 5"
    )


def test_a_misspelt_layer_type_is_named_with_the_key_it_misspells(cli, write_config):
    path = write_config(BASE_YAML.replace("{type: Dense, units: 4", "{typ: Dense, units: 4"))
    assert one_error(cli("check", path)) == (
        f"{path}:5: layers[0].typ: unknown key (did you mean 'type'? it is required); e.g. type: Dense"
    )
