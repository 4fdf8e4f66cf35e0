"""The config layer called directly: YAML reading, `--set` parsing and applying, validation, and a
property test that any input ends in a Spec or an NnrunError, never another exception.

Pure Python: nothing here imports Keras or trains anything (see test_check_command.py for the CLI).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import yaml
from helpers import tiny_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnrun.config.json_schema import json_schema
from nnrun.config.load import build_spec, load_spec
from nnrun.config.overrides import apply_override, parse_override
from nnrun.config.schema import Spec, default_at, expand_shorthand
from nnrun.config.yamlfile import dump_yaml, parse_yaml
from nnrun.errors import ConfigError, NnrunError, keypath

PATH = Path("exp.yaml")  # build_spec only uses it for messages and the default name


def build(config: dict, *overrides: str) -> Spec:
    """Validate a config dict as if read from exp.yaml (a deep copy: --set edits the data in place)."""
    text = yaml.safe_dump(config, sort_keys=False)
    data, root = parse_yaml(text, str(PATH))
    return build_spec(data, root, PATH, overrides)


def build_error(config: dict, *overrides: str) -> str:
    with pytest.raises(ConfigError) as caught:
        build(config, *overrides)
    return str(caught.value)


# --- reading YAML ---


def test_yaml_1e_minus_3_is_a_number():
    # PyYAML's YAML 1.1 rule reads `1e-3` as the string "1e-3"; a learning rate must reach Keras as a float.
    data, _ = parse_yaml("optimizer: {name: adam, learning_rate: 1e-3}\nx: [1E5, -2.5e+3, .5e1, 1_000e2]\n", "f")
    assert data["optimizer"]["learning_rate"] == 0.001
    assert data["x"] == [100000.0, -2500.0, 5.0, 100000.0]
    assert parse_yaml("a: [1e, e5, 1e-3x, '1e-3']\n", "f")[0] == {"a": ["1e", "e5", "1e-3x", "1e-3"]}


def test_yaml_keeps_plain_scalars():
    data, _ = parse_yaml("a: 1\nb: 0.5\nc: true\nd: null\ne: adam\nf: .inf\ng: 0x10\nh: =\n", "f")
    assert data == {"a": 1, "b": 0.5, "c": True, "d": None, "e": "adam", "f": math.inf, "g": 16, "h": "="}


def test_parse_yaml_returns_the_nodes_with_lines():
    data, root = parse_yaml("a: 1\nb:\n  c: 2\n", "f")
    assert data == {"a": 1, "b": {"c": 2}}
    (_, _), (b_key, b_value) = root.value
    assert (b_key.start_mark.line, b_value.value[0][0].start_mark.line) == (1, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1,\n", "f:2:1: YAML syntax error: "),
        ("a: 1\n a: 2\n", "f:2:3: YAML syntax error: mapping values are not allowed here"),
        ("a: 1\nb: {c: 1, c: 2}\n", "f:2:11: key 'c' appears twice (first on line 2); keep one"),
        (
            "a: !!python/object/apply:os.getcwd []\n",
            "f:1:4: YAML syntax error: the tag !!python/object/apply:os.getcwd is not allowed",
        ),
        ("a: *nowhere\n", "f:1:4: YAML syntax error: found undefined alias 'nowhere'"),
        ("? [a, b]\n: 1\n", "f:1:3: YAML syntax error: found unhashable key"),
        ("a: 1\n\x07\n", "f:2:1: the character '\\x07' is not allowed in YAML (a control character); remove it"),
        (
            "a: !foo 1\n",
            "f:1:4: YAML syntax error: the tag !foo is not allowed: nnrun reads plain YAML only, no custom tags",
        ),
        # PyYAML raises bare ValueError/KeyError for these; they must still be one located message.
        (
            "name: 2020-13-45\n",
            "f:1:7: YAML syntax error: cannot read '2020-13-45' as a date (month must be in 1..12); "
            "quote it to keep it as text",
        ),
        ("a: 1\nb: !!int x\n", "f:2:4: YAML syntax error: cannot read x as an integer ("),
        (
            "a: !!bool maybe\n",
            "f:1:4: YAML syntax error: cannot read maybe as true or false; quote it to keep it as text",
        ),
        ("a: !!timestamp x\n", "f:1:4: YAML syntax error: cannot read x as a date; quote it to keep it as text"),
        (
            "a: 1\n---\nb: 2\n",
            "f:2:1: YAML syntax error: a second YAML document starts here ('---'); a config is one document",
        ),
    ],
)
def test_parse_yaml_errors(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, "f")
    assert str(caught.value).startswith(message)


def test_aliases_are_not_reported_as_duplicates():
    data, _ = parse_yaml("base: &b {type: Dense, units: 4}\nlayers: [*b, *b]\nloop: &l [*l]\n", "f")
    assert data["layers"] == [{"type": "Dense", "units": 4}] * 2
    assert data["loop"][0] is data["loop"]


def test_load_spec_reads_a_file(write_config):
    spec = load_spec(write_config(tiny_config(), name="or-gate"), ["epochs=7"])
    assert (spec.name, spec.epochs, spec.seed) == ("or-gate", 7, 42)
    assert spec.config_dir == write_config(tiny_config()).parent


# --- --set: parsing ---


@pytest.mark.parametrize(
    ("text", "loc", "value"),
    [
        ("epochs=10", ("epochs",), 10),
        ("dataset.test=0.3", ("dataset", "test"), 0.3),
        ("optimizer.learning_rate=1e-3", ("optimizer", "learning_rate"), 0.001),
        ("metrics=[accuracy, mae]", ("metrics",), ["accuracy", "mae"]),
        ("dataset.features=[0, 2, name]", ("dataset", "features"), [0, 2, "name"]),
        ("name=pima", ("name",), "pima"),
        ("name='007'", ("name",), "007"),
        ("activation=null", ("activation",), None),
        ("activation=", ("activation",), None),
        ("early_stopping=true", ("early_stopping",), True),
        ("dataset.separator=;", ("dataset", "separator"), ";"),
        ("dataset.separator==", ("dataset", "separator"), "="),
        ("layers[0].units=16", ("layers", 0, "units"), 16),
        ("layers[:-1].units=16", ("layers", slice(None, -1), "units"), 16),
        ("layers[1:].units=16", ("layers", slice(1, None), "units"), 16),
        ("layers[::2]={type: Dropout, rate: 0.1}", ("layers", slice(None, None, 2)), {"type": "Dropout", "rate": 0.1}),
        ("layers[-3:-1].units=16", ("layers", slice(-3, -1), "units"), 16),
        ("optimizer={name: sgd, learning_rate: 0.01}", ("optimizer",), {"name": "sgd", "learning_rate": 0.01}),
        ("layers.0.units=16", ("layers", 0, "units"), 16),
        ("layers[-1].activation=softmax", ("layers", -1, "activation"), "softmax"),
        ("dataset.inline.x[2][1]=0.5", ("dataset", "inline", "x", 2, 1), 0.5),
        (" epochs = 4", ("epochs",), 4),
    ],
)
def test_parse_override(text, loc, value):
    assert parse_override(text) == (loc, value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("epochs", "--set epochs: expected key.path=value, e.g. --set optimizer.learning_rate=0.01"),
        ("=3", "--set =3: expected key.path=value"),
        ("metrics=[1,", "--set metrics=[1,: cannot read the value '[1,' as YAML: "),
        ("name='x", "--set name='x: cannot read the value ''x' as YAML: "),
        (
            "optimizer=name: sgd",
            "--set optimizer=name: sgd: give one value per --set (a number, a word, a [list] or a "
            "{mapping} in braces), not key: value",
        ),
        (
            "layers[::0].units=1",
            "--set layers[::0].units=1: cannot read the key path 'layers[::0].units': a slice's step cannot be 0",
        ),
        ("layers[:x].units=1", "--set layers[:x].units=1: cannot read the key path 'layers[:x].units'"),
        ("layers[1:2:3:4].units=1", "--set layers[1:2:3:4].units=1: cannot read the key path"),
        (
            "layers[x].units=1",
            "--set layers[x].units=1: cannot read the key path 'layers[x].units'; write it as dataset.test or layers[0].units",
        ),
        ("a..b=1", "--set a..b=1: cannot read the key path 'a..b'"),
        ("epochs.=1", "--set epochs.=1: cannot read the key path 'epochs.'"),
        ("0.units=1", "--set 0.units=1: cannot read the key path '0.units'"),
        ("[0].units=1", "--set [0].units=1: a key path starts with a key name, e.g. layers[0].units"),
        (
            "epochs=!!python/object/apply:os.getcwd []",
            "--set epochs=!!python/object/apply:os.getcwd []: cannot read the value "
            "'!!python/object/apply:os.getcwd []' as YAML: the tag !!python/object/apply:os.getcwd is not allowed",
        ),
    ],
)
def test_parse_override_errors(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_override(text)
    assert str(caught.value).startswith(message)


def test_keypath():
    assert keypath(("layers", 2, "units")) == "layers[2].units"
    assert keypath(("dataset", "inline", "x", 0, 1)) == "dataset.inline.x[0][1]"
    assert keypath(()) == "(top level)"


# --- --set: applying ---


def apply(config: dict, text: str) -> dict:
    data = copy.deepcopy(config)
    loc, value = parse_override(text)
    apply_override(data, loc, value, text, default_at, expand_shorthand)
    return data


def apply_error(config: dict, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        apply(config, text)
    return str(caught.value)


def test_set_replaces_and_adds_values():
    config = tiny_config()
    assert apply(config, "epochs=10")["epochs"] == 10
    assert apply(config, "layers[0].units=16")["layers"][0] == {"type": "Dense", "units": 16, "activation": "relu"}
    assert apply(config, "layers.1.units=3")["layers"][1]["units"] == 3
    assert apply(config, "layers[-1].units=2")["layers"][1]["units"] == 2
    assert apply(config, "dataset.scale=standard")["dataset"]["scale"] == "standard"
    assert apply(config, "kfold.k=5")["kfold"] == {"k": 5}
    assert config == tiny_config()  # apply() worked on a copy


def test_set_returns_the_path_with_negative_indexes_resolved():
    data = tiny_config()
    assert apply_override(data, ("layers", -1, "units"), 2, "layers[-1].units=2", default_at, expand_shorthand) == [
        ("layers", 1, "units")
    ]
    assert apply_override(data, ("layers", -2), {"type": "Dense"}, "layers[-2]=...", default_at, expand_shorthand) == [
        ("layers", 0)
    ]


def three_layers() -> dict:
    return tiny_config(
        layers=[
            {"type": "Dense", "units": 4},
            {"type": "Dense", "units": 5},
            {"type": "Dense", "units": 1, "activation": "sigmoid"},
        ]
    )


def test_a_slice_sets_every_item_it_selects():
    assert [layer["units"] for layer in apply(three_layers(), "layers[:-1].units=32")["layers"]] == [32, 32, 1]
    assert [layer["units"] for layer in apply(three_layers(), "layers[1:].units=7")["layers"]] == [4, 7, 7]
    assert [layer["units"] for layer in apply(three_layers(), "layers[::2].units=9")["layers"]] == [9, 5, 9]
    assert [layer["units"] for layer in apply(three_layers(), "layers[-2:].units=3")["layers"]] == [4, 3, 3]


def test_a_slice_returns_each_key_it_set_and_an_empty_slice_sets_nothing():
    data = three_layers()
    assert apply_override(
        data, ("layers", slice(None, -1), "units"), 8, "layers[:-1].units=8", default_at, expand_shorthand
    ) == [("layers", 0, "units"), ("layers", 1, "units")]
    assert apply(tiny_config(layers=[{"type": "Dense", "units": 1}]), "layers[:-1].units=8")["layers"] == [
        {"type": "Dense", "units": 1}
    ]
    assert apply(three_layers(), "layers[5:].units=8") == three_layers()


def test_a_slice_gives_each_item_its_own_copy():
    data = apply(three_layers(), "layers[:2]={type: Dense, units: 6}")
    data["layers"][0]["units"] = 1
    assert data["layers"][1] == {"type": "Dense", "units": 6}


def test_a_flow_mapping_replaces_the_whole_key():
    assert apply(tiny_config(), "optimizer={name: sgd, learning_rate: 0.01}")["optimizer"] == {
        "name": "sgd",
        "learning_rate": 0.01,
    }


def test_set_under_an_optimizer_name_makes_a_mapping():
    assert apply(tiny_config(optimizer="adam"), "optimizer.learning_rate=0.01")["optimizer"] == {
        "name": "adam",
        "learning_rate": 0.01,
    }


def test_set_under_an_absent_optimizer_starts_from_the_default_name():
    config = tiny_config()
    del config["optimizer"]
    assert apply(config, "optimizer.learning_rate=0.01")["optimizer"] == {"name": "rmsprop", "learning_rate": 0.01}


def test_set_under_loss_and_metric_names():
    assert apply(tiny_config(), "loss.from_logits=true")["loss"] == {"name": "binary_crossentropy", "from_logits": True}
    assert apply(tiny_config(), "metrics[0].threshold=0.3")["metrics"] == [{"name": "accuracy", "threshold": 0.3}]


def test_set_under_kfold_and_early_stopping_shorthands():
    assert apply(tiny_config(kfold=4), "kfold.refit=true")["kfold"] == {"k": 4, "refit": True}
    assert apply(tiny_config(early_stopping=True), "early_stopping.patience=3")["early_stopping"] == {"patience": 3}
    assert apply(tiny_config(early_stopping=False), "early_stopping.patience=3")["early_stopping"] == {"patience": 3}
    assert build(tiny_config(kfold=4), "kfold.refit=true").kfold.model_dump() == {
        "k": 4,
        "shuffle": True,
        "stratify": "auto",
        "refit": True,
        "refit_epochs": None,
        "monitor": None,
        "smoothing": 0.0,
        "skip_epochs": 0,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("layers[5].units=16", "--set layers[5].units=16: layers has 2 items, so [5] does not exist (valid: 0 to 1)"),
        (
            "layers[-3].units=16",
            "--set layers[-3].units=16: layers has 2 items, so [-3] does not exist (valid: 0 to 1)",
        ),
        ("layers[2]=1", "--set layers[2]=1: layers has 2 items, so [2] does not exist (valid: 0 to 1)"),
        ("metrics[1]=mae", "--set metrics[1]=mae: metrics has 1 item, so [1] does not exist (valid: 0)"),
        ("epochs.value=3", "--set epochs.value=3: epochs is 3, not a mapping, so it has no key 'value'"),
        ("seed.value=3", "--set seed.value=3: seed is 42, not a mapping, so it has no key 'value'"),
        ("epochs[0]=3", "--set epochs[0]=3: epochs is 3, not a list, so [0] does not exist"),
        ("dataset[0]=3", "--set dataset[0]=3: dataset is {"),
        ("layers.units=3", "--set layers.units=3: layers is [{"),
        ("dataset.inline.x.y=3", "--set dataset.inline.x.y=3: dataset.inline.x is [[0, 0], "),
        ("name.first=a", "--set name.first=a: name is"),
        ("epochs[:-1]=3", "--set epochs[:-1]=3: epochs is 3, not a list, so [:-1] does not exist"),
        ("dataset[1:].x=3", "--set dataset[1:].x=3: dataset is {"),
        ("seed[::2].x=3", "--set seed[::2].x=3: seed is 42, not a list, so [::2] does not exist"),
        (
            "layers[:-1].units.x=3",
            "--set layers[:-1].units.x=3: layers[0].units is 4, not a mapping, so it has no key 'x'",
        ),
    ],
)
def test_set_errors(text, message):
    config = tiny_config(name="nn")
    assert apply_error(config, text).startswith(message)


def test_set_list_hint():
    assert apply_error(tiny_config(), "layers.units=3").endswith(
        "not a mapping, so it has no key 'units' (write an index: layers[0].units)"
    )


def test_set_errors_are_one_line():
    with pytest.raises(ConfigError) as caught:
        build(tiny_config(), "=\n")
    assert str(caught.value) == "--set =\\n: expected key.path=value, e.g. --set optimizer.learning_rate=0.01"


# --- validation through build_spec ---


def test_valid_config_gives_a_spec_with_defaults():
    spec = build(tiny_config())
    assert spec.name == "exp"  # from exp.yaml
    assert spec.backend == "auto"  # the config keeps it; api.check resolves it (tests/test_backends.py)
    assert spec.dataset.inline.x[0] == [0.0, 0.0]
    assert [layer.kwargs() for layer in spec.layers] == [
        {"units": 4, "activation": "relu"},
        {"units": 1, "activation": "sigmoid"},
    ]
    assert (spec.batch_size, spec.optimizer, spec.early_stopping, spec.kfold) == (4, "adam", None, None)


def test_layer_keyword_arguments_pass_through():
    spec = build(tiny_config(layers=[{"type": "Dense", "units": 3, "kernel_initializer": "he_normal"}]))
    assert spec.layers[0].kwargs() == {"units": 3, "kernel_initializer": "he_normal"}


def test_kfold_int_shorthand():
    assert build(tiny_config(kfold=4)).kfold.model_dump() == {
        "k": 4,
        "shuffle": True,
        "stratify": "auto",
        "refit": False,
        "refit_epochs": None,
        "monitor": None,
        "smoothing": 0.0,
        "skip_epochs": 0,
    }


def test_early_stopping_shorthands():
    assert build(tiny_config(early_stopping=True)).early_stopping.model_dump() == {
        "monitor": "val_loss",
        "patience": 10,
        "min_delta": 0.0,
        "mode": "auto",
        "restore_best_weights": True,
        "start_from_epoch": 0,
    }
    assert build(tiny_config(early_stopping=False)).early_stopping is None


def test_inline_one_feature_and_text_labels():
    spec = build(tiny_config(dataset={"inline": {"x": [1, 2.5, 3], "y": ["a", "b", 1]}}))
    assert spec.dataset.inline.x == [1.0, 2.5, 3.0]
    assert spec.dataset.inline.y == ["a", "b", 1]


def test_scale_number_and_test_types():
    spec = build(tiny_config(dataset={"source": "sklearn:digits", "scale": 16, "test": 100}))
    assert (spec.dataset.scale, spec.dataset.test) == (16.0, 100)
    assert isinstance(build(tiny_config(dataset={"source": "sklearn:wine", "test": 0.25})).dataset.test, float)


@pytest.mark.parametrize("name", ["pima", "run.v2", "a+b", "A_1-x", "7"])
def test_names_that_are_accepted(name):
    assert build(tiny_config(name=name)).name == name


def test_default_name_is_made_safe():
    text = yaml.safe_dump(tiny_config())
    data, root = parse_yaml(text, "f")
    assert build_spec(copy.deepcopy(data), root, Path("dir/my run (2).yaml")).name == "my-run--2-"
    assert build_spec(copy.deepcopy(data), root, Path("_.yaml")).name == "run"
    assert build_spec(copy.deepcopy(data), None, None).name == "run"


def test_spec_error_locates_a_key_in_the_file():
    text = yaml.safe_dump(tiny_config(early_stopping={"monitor": "val_loss"}), sort_keys=False)
    data, root = parse_yaml(text, "exp.yaml")
    spec = build_spec(data, root, PATH)
    line = text.splitlines().index("  monitor: val_loss") + 1
    error = spec.error(("early_stopping", "monitor"), "got val_loss; it needs validation rows")
    assert str(error) == f"exp.yaml:{line}: early_stopping.monitor: got val_loss; it needs validation rows"


def test_spec_error_locates_a_key_given_by_set():
    spec = build(tiny_config(), "early_stopping.monitor=val_accuracy")
    error = spec.error(("early_stopping", "monitor"), "needs validation rows")
    assert str(error) == "--set early_stopping.monitor=val_accuracy: early_stopping.monitor: needs validation rows"


def test_error_from_a_set_value_names_the_set():
    message = build_error(tiny_config(), "dataset.test=1.5")
    assert (
        message
        == "--set dataset.test=1.5: dataset.test: got 1.5; must be a fraction 0 <= f < 1, or an int N for the last N rows"
    )


def test_set_unknown_key_suggests():
    message = build_error(tiny_config(), "epoch=3")
    assert message.startswith(
        "--set epoch=3: epoch: unknown key (did you mean 'epochs'?); valid keys here: name, seed,"
    )


def test_errors_without_a_file_still_name_the_key():
    with pytest.raises(ConfigError) as caught:
        build_spec({**tiny_config(), "epochs": 0}, None, None)
    assert str(caught.value) == "epochs: got 0; must be greater than 0"
    with pytest.raises(ConfigError) as caught:
        build_spec([], None, None)
    assert str(caught.value).startswith("config: the top level must be a mapping")


def csv_dataset(**dataset) -> dict:
    return tiny_config(dataset={"path": "data.csv", **dataset})


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        (
            {"decimal": ".."},
            "dataset.decimal: got '..'; must be one character other than a digit or sign (the decimal "
            'mark), e.g. "," or "."',
        ),
        ({"decimal": ""}, "dataset.decimal: got ''; must be one character"),
        ({"decimal": "5"}, "dataset.decimal: got '5'; must be one character"),
        (
            {"thousands": "-"},
            "dataset.thousands: got '-'; must be one character other than a digit or sign (the "
            'thousands separator), e.g. "." or ","',
        ),
        (
            {"separator": ";", "decimal": ";"},
            "dataset.decimal: got ';'; the separator ';' splits the columns, so it cannot "
            "be the decimal mark too; set the separator the file uses, or another decimal mark",
        ),
        (
            {"separator": "tab", "thousands": "\t"},
            "dataset.thousands: got '\\t'; the separator 'tab' splits the columns",
        ),
        (
            {"separator": "whitespace", "thousands": " "},
            "dataset.thousands: got ' '; the separator 'whitespace' splits",
        ),
        (
            {"decimal": ",", "thousands": ","},
            "dataset.thousands: got ','; the same as decimal: a number cannot use ',' for "
            'both; use thousands: ".", or null (none)',
        ),
        (
            {"thousands": "."},
            "dataset.thousands: got '.'; the same as decimal: a number cannot use '.' for both; use "
            'thousands: ",", or null (none)',
        ),
    ],
)
def test_decimal_and_thousands_are_checked_at_their_key(dataset, message):
    assert "exp.yaml:" in (error := build_error(csv_dataset(**dataset)))
    assert error.split(": ", 1)[1].startswith(message)


def test_decimal_and_thousands_from_set_blame_that_set():
    assert build_error(csv_dataset(separator=";"), 'dataset.decimal=";"').startswith(
        "--set dataset.decimal=\";\": dataset.decimal: got ';'; the separator ';' splits the columns"
    )


def test_a_comma_file_may_use_a_decimal_comma():
    # Its numbers with a comma are quoted ("1,81"), which pandas reads with decimal ",".
    spec = build(csv_dataset(decimal=",", thousands="."))
    assert (spec.dataset.decimal, spec.dataset.thousands, spec.dataset.separator) == (",", ".", ",")
    assert build(csv_dataset(separator=";", thousands=",")).dataset.thousands == ","


def test_decimal_is_a_csv_option():
    assert build_error(tiny_config(dataset={"source": "sklearn:iris", "decimal": ","})).endswith(
        "dataset: decimal only apply to a CSV path, not to source data"
    )
    assert "decimal" not in build(tiny_config()).resolved()["dataset"]


def test_resolved_dump_is_valid_yaml_in_schema_order():
    spec = build(tiny_config(kfold=3, optimizer={"name": "sgd", "momentum": 0.9}))
    text = dump_yaml(spec.resolved())
    assert "- {type: Dense, units: 4, activation: relu}" in text.splitlines()
    assert "optimizer: {name: sgd, momentum: 0.9}" in text.splitlines()
    assert list(yaml.safe_load(text)) == list(Spec.model_fields)


def test_json_schema_lists_required_keys():
    schema = json_schema()
    assert set(schema["required"]) == {"dataset", "layers", "loss", "epochs"}
    assert set(schema["properties"]) == set(Spec.model_fields)


def test_json_schema_states_the_constraints_the_checks_enforce():
    # The field types declare their constraints once (config/fields.py): an editor flags what `nnrun check` refuses.
    defs = json_schema()["$defs"]
    dataset, kfold = defs["DatasetSpec"]["properties"], defs["KFoldSpec"]["properties"]
    assert {"type": "string", "minLength": 1} == {k: dataset["separator"][k] for k in ("type", "minLength")}
    assert {"type": "string", "pattern": "^val_"} in kfold["monitor"]["anyOf"]
    assert {"type": "integer", "minimum": 0} in dataset["test"]["anyOf"]
    assert {"type": "number", "minimum": 0, "exclusiveMaximum": 1} in dataset["test"]["anyOf"]
    assert {"type": "number", "exclusiveMinimum": 0} in dataset["scale"]["anyOf"]


# --- property: any input ends in a Spec or an NnrunError, never another exception ---

KEYS = [
    *Spec.model_fields,
    "path",
    "source",
    "inline",
    "x",
    "y",
    "header",
    "separator",
    "decimal",
    "thousands",
    "target",
    "features",
    "test",
    "validation",
    "scale",
    "type",
    "units",
    "rate",
    "activation",
    "k",
    "refit",
    "refit_epochs",
    "stratify",
    "smoothing",
    "skip_epochs",
    "patience",
    "monitor",
    "name",
    "learning_rate",
    "input_shape",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 300),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(["adam", "Dense", "sklearn:iris", "auto", "best", "jax", "standard", "1e-3", "a/b"]),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=6), st.integers(-2, 3), st.booleans(), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=10,
)
PROPERTY = settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def outcome(text: str, overrides=()) -> Spec | None:
    """Validate YAML text; on success check that the resolved config validates again to the same thing."""
    try:
        data, root = parse_yaml(text, str(PATH))
        spec = build_spec(data, root, PATH, overrides)
    except NnrunError as e:
        message = str(e)
        for line in message.split("\n"):  # one line per problem, each saying where it comes from
            assert line.startswith((f"{PATH}:", f"{PATH}: ", "--set ")), message
        return None
    assert isinstance(spec, Spec)
    again = build_spec(*parse_yaml(dump_yaml(spec.resolved()), "resolved.yaml"), PATH)
    assert again.resolved() == spec.resolved()
    return spec


def dump(value) -> str | None:
    try:
        return yaml.safe_dump(value, sort_keys=False)
    except yaml.YAMLError:  # a value PyYAML cannot write (a key it cannot represent)
        return None


@PROPERTY
@given(values)
def test_random_documents(document):
    text = dump(document)
    if text is not None:
        outcome(text)


@PROPERTY
@given(st.text(alphabet="{}[]:,-?&*!|>'\"%#@ \n\tab01.=\\\x00", max_size=40))
def test_random_text(text):
    outcome(text)


def _paths(value, prefix=()) -> list[tuple]:
    out = [prefix] if prefix else []
    items = value.items() if isinstance(value, dict) else enumerate(value[:2]) if isinstance(value, list) else ()
    for key, child in items:
        out += _paths(child, (*prefix, key))
    return out


VALID = tiny_config(
    dataset={"inline": {"x": [[0, 0], [0, 1], [1, 0], [1, 1]], "y": [0, 1, 1, 1]}, "test": 1},
    early_stopping={"monitor": "loss", "patience": 3},
    kfold={"k": 3, "refit": True},
)
PATHS = _paths(VALID)
mutations = st.lists(
    st.tuples(st.sampled_from(PATHS), st.sampled_from(["set", "delete", "add"]), keys, values), min_size=1, max_size=3
)


@PROPERTY
@given(mutations)
def test_mutated_valid_config(changes):
    config = copy.deepcopy(VALID)
    for path, how, key, value in changes:
        parent = config
        try:
            for part in path[:-1]:
                parent = parent[part]
            if how == "set":
                parent[path[-1]] = value
            elif how == "delete":
                del parent[path[-1]]
            elif isinstance(parent[path[-1]], dict):
                parent[path[-1]][key] = value
        except (KeyError, IndexError, TypeError):  # an earlier change removed or replaced the path
            pass
    text = dump(config)
    if text is not None:
        outcome(text)


set_keys = st.lists(
    st.one_of(st.sampled_from(KEYS), st.integers(-3, 3).map(lambda i: f"[{i}]"), st.text("ab.[]0-_=", max_size=4)),
    min_size=1,
    max_size=4,
).map(lambda parts: ".".join(parts).replace(".[", "["))
set_values = st.one_of(
    st.sampled_from(
        [
            "1",
            "0",
            "-1",
            "0.5",
            "1e-3",
            "true",
            "null",
            "",
            "[1, 2]",
            "[",
            "{a: 1}",
            "adam",
            "[accuracy]",
            "!!python/object:x 1",
            "&a [*a]",
            "'x",
            "a: b",
            "-",
            "sklearn:iris",
            "best",
        ]
    ),
    st.text(max_size=6),
)
set_args = st.one_of(st.tuples(set_keys, set_values).map("=".join), st.text(max_size=12))


@PROPERTY
@given(st.lists(set_args, max_size=3))
def test_random_set_arguments(overrides):
    outcome(yaml.safe_dump(VALID), overrides)


def test_the_property_checker_accepts_a_valid_config_and_rejects_a_bad_one():
    # Guards the property tests against passing vacuously.
    assert isinstance(outcome(yaml.safe_dump(VALID)), Spec)
    assert outcome(yaml.safe_dump({**VALID, "epochs": 0})) is None
