"""`nnrun predict`: the saved preprocessing and model applied to new rows, from a run folder."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli, tiny_config

FLOWERS = """sepal_length,sepal_width,petal_length,petal_width,species
5.1,3.5,1.4,0.2,setosa
4.9,3.0,1.4,0.2,setosa
4.7,3.2,1.3,0.2,setosa
5.0,3.6,1.4,0.2,setosa
5.4,3.9,1.7,0.4,setosa
7.0,3.2,4.7,1.4,versicolor
6.4,3.2,4.5,1.5,versicolor
6.9,3.1,4.9,1.5,versicolor
5.5,2.3,4.0,1.3,versicolor
6.5,2.8,4.6,1.5,versicolor
6.3,3.3,6.0,2.5,virginica
5.8,2.7,5.1,1.9,virginica
7.1,3.0,5.9,2.1,virginica
6.3,2.9,5.6,1.8,virginica
6.5,3.0,5.8,2.2,virginica
"""


@pytest.fixture(scope="module")
def flower_run(tmp_path_factory):
    """A trained classification run on a headered CSV with string labels (trained once for the module)."""
    folder = tmp_path_factory.mktemp("flowers")
    (folder / "flowers.csv").write_text(FLOWERS)
    (folder / "exp.yaml").write_text(
        "dataset: {path: flowers.csv, target: species, test: 0, scale: standard}\n"
        "layers: [{type: Dense, units: 8, activation: relu}, {type: Dense, units: 3, activation: softmax}]\n"
        "loss: sparse_categorical_crossentropy\noptimizer: {name: adam, learning_rate: 0.05}\n"
        "metrics: [accuracy]\nepochs: 60\nbatch_size: 15\n"
    )
    result = run_cli("train", folder / "exp.yaml", "--runs-dir", folder / "runs", "-q")
    assert result.exit_code == 0, result.output
    return next((folder / "runs").iterdir()), folder


def test_predict_classification_with_the_target_column(cli, flower_run):
    run, folder = flower_run
    result = cli("predict", run, folder / "flowers.csv")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))
    assert list(table.columns)[-5:] == ["prediction", "probability", "p_setosa", "p_versicolor", "p_virginica"]
    assert set(table["prediction"]) <= {"setosa", "versicolor", "virginica"}
    probs = table[["p_setosa", "p_versicolor", "p_virginica"]].to_numpy()
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert np.allclose(table["probability"], probs.max(axis=1))
    accuracy = (table["prediction"] == table["species"]).mean()
    assert accuracy >= 0.8  # the rows it was trained on
    assert f"accuracy {accuracy:.4f}" in result.stderr


def test_predict_without_the_target_writes_to_the_file_asked(cli, flower_run, tmp_path):
    run, folder = flower_run
    rows = tmp_path / "new.csv"
    rows.write_text("sepal_length,sepal_width,petal_length,petal_width\n5.0,3.4,1.5,0.2\n6.7,3.0,5.2,2.3\n")
    out = tmp_path / "predictions.csv"
    before = snapshot(run)
    result = cli("predict", run, rows, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "wrote 2 predictions" in result.stderr and "score" not in result.stderr
    table = pd.read_csv(out)
    assert list(table["prediction"]) == ["setosa", "virginica"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv", "predictions.csv"]  # nothing else written
    assert snapshot(run) == before  # the run folder is only read


def snapshot(folder) -> dict:
    """Every file under `folder` with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


TAKES = "; predict takes the feature columns sepal_length, sepal_width, petal_length, petal_width and optionally the target 'species'"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("sepal_length,sepal_width,petal_length\n5.0,3.4,1.5\n", "missing column 'petal_width'" + TAKES),
        (
            "sepal_length,sepal_width,petal_length,petal_width,colour\n5,3,1,0,red\n",
            "unexpected column 'colour'" + TAKES,
        ),
        (
            "sepal_length,sepal_width,petal_length,petal_width\n5.0,3.4,x,0.2\n",
            "column 'petal_length' holds 'x' in data row 1; features must be numbers (empty cells too must be filled)",
        ),
        (
            "sepal_length,sepal_width,petal_length,petal_width\n5.0,3.4,1.4,0.2\n5.1,NA,1.4,0.2\n",
            "column 'sepal_width' holds 'NA' in data row 2; features must be numbers (empty cells too must be filled)",
        ),
    ],
)
def test_predict_input_errors(cli, flower_run, tmp_path, content, expected):
    run, _ = flower_run
    rows = tmp_path / "bad.csv"
    rows.write_text(content)
    result = cli("predict", run, rows)
    assert result.exit_code == 2
    assert result.stderr == f"error: {rows}: {expected}\n"


def test_predict_needs_a_run_with_a_model(cli, tmp_path, flower_run):
    _, folder = flower_run
    empty = tmp_path / "20261122-000000-broken"
    empty.mkdir()
    (empty / "metrics.json").write_text('{"status": "failed"}')
    result = cli("predict", empty, folder / "flowers.csv")
    assert result.exit_code == 2
    assert "no model.keras in this run folder (its status is failed)" in result.stderr
    missing = cli("predict", tmp_path / "nope", folder / "flowers.csv")
    assert missing.exit_code == 2 and "not a run folder" in missing.stderr


def test_predict_refuses_a_file_without_the_header_the_run_was_trained_with(cli, flower_run, tmp_path):
    run, _ = flower_run
    rows = tmp_path / "rows.csv"
    rows.write_text("".join(FLOWERS.splitlines(keepends=True)[1:]))  # the same rows, no header
    result = cli("predict", run, rows)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        f"error: {rows}: the first row looks like data ('5.1', '3.5', '1.4', '0.2', 'setosa'), but the run was trained "
        "on a file with a header row, so that row would be read as column names; add the training file's header row "
        "above it\n"
    )


def test_predict_regression_on_a_headerless_file(cli, write_config, tmp_path):
    data = tmp_path / "line.csv"
    xs = np.linspace(0, 1, 40)
    data.write_text("".join(f"{x:.4f},{2 * x + 1:.4f}\n" for x in xs))
    config = write_config(
        tiny_config(
            dataset={"path": str(data), "test": 0},
            layers=[{"type": "Dense", "units": 1}],
            loss="mse",
            metrics=["mae"],
            epochs=150,
            batch_size=8,
            optimizer={"name": "adam", "learning_rate": 0.1},
        )
    )
    assert cli("train", config, "--runs-dir", tmp_path / "runs", "-q").exit_code == 0
    run = next((tmp_path / "runs").iterdir())
    new = tmp_path / "new.csv"
    new.write_text("0.25\n0.75\n")  # features only
    result = cli("predict", run, new)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout), header=0)
    assert np.allclose(table["prediction"], [1.5, 2.5], atol=0.15)
    with_target = cli("predict", run, data)  # the training layout: feature and target
    assert with_target.exit_code == 0 and "mae" in with_target.stderr
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("1,2,3\n")
    bad = cli("predict", run, wrong)
    assert bad.exit_code == 2 and "has 3 columns; the model takes 1 feature columns, or 2 with the target" in bad.stderr
    named = tmp_path / "named.csv"
    named.write_text("x\n0.25\n0.75\n")
    headed = cli("predict", run, named)
    assert headed.exit_code == 2 and headed.stderr == (
        f"error: {named}: the first row looks like a header ('x'), but the run was trained on a file without one, so "
        "every row is read as data; remove that row\n"
    )


def test_predict_reads_decimal_commas_as_the_run_was_trained(cli, write_config, tmp_path):
    data = tmp_path / "line.csv"
    xs = np.linspace(0, 1, 40)
    data.write_text("x;y\n" + "".join(f"{x:.4f};{2 * x + 1:.4f}\n".replace(".", ",") for x in xs))
    config = write_config(
        tiny_config(
            dataset={"path": str(data), "test": 0, "separator": ";", "decimal": ","},
            layers=[{"type": "Dense", "units": 1}],
            loss="mse",
            metrics=["mae"],
            epochs=150,
            batch_size=8,
            optimizer={"name": "adam", "learning_rate": 0.1},
        )
    )
    assert cli("train", config, "--runs-dir", tmp_path / "runs", "-q").exit_code == 0
    run = next((tmp_path / "runs").iterdir())
    new = tmp_path / "new.csv"
    new.write_text("x;y\n0,25;1,5\n0,75;2,5\n")
    result = cli("predict", run, new)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))
    assert list(table["x"]) == ["0,25", "0,75"]  # the input rows as written
    assert np.allclose(table["prediction"], [1.5, 2.5], atol=0.15)
    mae = float(result.stderr.split("mae ")[1].split()[0].rstrip(","))
    assert mae < 0.15  # the target "1,5" read as 1.5, not as a missing value
    points = tmp_path / "points.csv"
    points.write_text("x\n0.25\n")
    bad = cli("predict", run, points)
    assert bad.exit_code == 2 and bad.stderr == (
        f"error: {points}: column 'x' holds '0.25' in data row 1; features must be numbers (decimal ',' as in the "
        "training file; empty cells too must be filled)\n"
    )


def test_a_run_from_before_decimal_existed_reads_decimal_points(cli, flower_run, tmp_path):
    import json

    run, folder = flower_run
    old = copy_run(run, tmp_path)
    pre = json.loads((old / "preprocess.json").read_text())
    for key in ("decimal", "thousands"):
        del pre["csv"][key]
    (old / "preprocess.json").write_text(json.dumps(pre))
    result = cli("predict", old, folder / "flowers.csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == cli("predict", run, folder / "flowers.csv").stdout


def copy_run(run, tmp_path):
    import shutil

    return shutil.copytree(run, tmp_path / run.name)


def test_a_model_holding_a_lambda_layer_is_refused_not_run(cli, flower_run, tmp_path):
    from helpers import import_keras

    keras = import_keras()
    run, folder = flower_run
    copy = copy_run(run, tmp_path)
    marker = tmp_path / "code-ran"
    # Written as the model's function: if loading or predicting ran it, the marker file would appear.
    path = str(marker)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Lambda(lambda x: x + len(open(path, "w").name) * 0),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.save(copy / "model.keras")
    marker.unlink()  # building the model above called the function once
    before = snapshot(copy)
    result = cli("predict", copy, folder / "flowers.csv", "-o", tmp_path / "out.csv")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert result.stderr == (
        f"error: {copy / 'model.keras'}: holds Python code (a Lambda layer's function), which "
        "nnrun does not run: models are loaded in Keras's safe mode; save the model without Lambda "
        "layers (Keras layers such as Rescaling or Activation do the same safely)\n"
    )
    assert not marker.exists() and not (tmp_path / "out.csv").exists() and snapshot(copy) == before


def test_a_damaged_model_file_is_one_line(cli, flower_run, tmp_path):
    run, folder = flower_run
    copy = copy_run(run, tmp_path)
    (copy / "model.keras").write_bytes(b"PK\x03\x04 cut off")
    result = cli("predict", copy, folder / "flowers.csv")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {copy / 'model.keras'}: cannot load this model (")
    assert result.stderr.endswith("); is it a .keras file that nnrun train wrote?\n")
    assert result.stderr.count("\n") == 1
