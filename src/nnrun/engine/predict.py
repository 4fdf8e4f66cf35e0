"""`nnrun predict`: apply a run's saved preprocessing and model to new rows.

Classification gives the predicted label, its probability and one probability column per class;
regression gives the predicted value. When the input holds the target column too, the score is reported.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nnrun.config.catalog import keras_source
from nnrun.config.yamlfile import parse_yaml
from nnrun.data.csvfile import numbers, read_frame
from nnrun.data.preprocess import Preprocess
from nnrun.errors import DataError, RunError, first_line
from nnrun.runs.folder import atomic_write, read_json


@dataclass
class Predictions:
    """The output table, and the score when the input carried the target."""

    table: pd.DataFrame
    score: dict[str, float] | None
    rows: int


def model_folder(run_dir: Path) -> Path:
    """The folder holding the model to use: the run itself, or a k-fold run's `final/` refit."""
    if not run_dir.is_dir():
        raise RunError(
            f"{run_dir}: not a run folder (no such directory); give a folder that nnrun train or kfold "
            "wrote, such as runs/20261122-143005-pima (nnrun compare lists them)"
        )
    if (run_dir / "final" / "model.keras").exists():
        return run_dir / "final"
    if not (run_dir / "model.keras").exists():
        status = ""
        if (run_dir / "metrics.json").exists():
            try:
                metrics = read_json(run_dir / "metrics.json")
            except RunError:
                metrics = {}
            if metrics.get("kind") == "sweep":
                best = (metrics.get("best") or {}).get("run")
                usable = best and (run_dir / best / "model.keras").exists()
                raise RunError(
                    f"{run_dir}: a sweep folder, which holds one run per trial; predict with its best "
                    + (
                        f"trial's: nnrun predict {run_dir / best} FILE.csv"
                        if usable
                        else f"trial retrained: nnrun train {run_dir / 'best.yaml'}, then predict with that run"
                    )
                )
            if metrics.get("kind") == "kfold" and (run_dir / "fold-1" / "model.keras").exists():
                raise RunError(
                    f"{run_dir}: this k-fold run has no final/ model (it ran without kfold.refit); "
                    f"rerun it with --set kfold.refit=true, or predict with one fold's model: "
                    f"{run_dir / 'fold-1'}"
                )
            if metrics.get("status") == "completed":
                raise RunError(
                    f"{run_dir}: no model.keras in this run folder, though it completed (the file was "
                    "deleted or moved); put it back, or train the run again"
                )
            if metrics.get("status"):
                status = f" (its status is {metrics['status']})"
        raise RunError(
            f"{run_dir}: no model.keras in this run folder{status}; predict needs a run that finished training"
        )
    return run_dir


def features_of(
    frame: pd.DataFrame, has_header: bool, pre: Preprocess, path: Path
) -> tuple[np.ndarray, pd.Series | None]:
    """Pick the feature columns (and the target, when present) from an input frame, checking its columns."""
    names, target = pre.feature_names, pre.target_name
    if has_header:
        columns = list(frame.columns)
        missing = [n for n in names if n not in columns]
        extra = [c for c in columns if c not in names and c != target]
        if missing or extra:
            problem = (
                f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"
                if missing
                else f"unexpected column{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}"
            )
            raise DataError(
                f"{path}: {problem}; predict takes the feature columns {', '.join(names)} "
                f"and optionally the target {target!r}"
            )
        x_frame = frame[names]
        y = frame[target] if target in columns else None
    else:
        n = frame.shape[1]
        csv = pre.csv or {}
        if n == len(names):
            x_frame, y = frame, None
        elif csv and n == csv["n_columns"]:
            x_frame, y = frame.iloc[:, csv["feature_columns"]], frame.iloc[:, csv["target_column"]]
        elif not csv and n == len(names) + 1:
            x_frame, y = frame.iloc[:, :-1], frame.iloc[:, -1]
        else:
            with_target = csv["n_columns"] if csv else len(names) + 1
            raise DataError(
                f"{path}: has {n} columns; the model takes {len(names)} feature columns, or {with_target} with the "
                f"target {target!r} as in the training file"
            )
    decimal, thousands = (pre.csv or {}).get("decimal", "."), (pre.csv or {}).get("thousands")
    values = x_frame.apply(numbers, args=(decimal, thousands))
    if values.isna().values.any():
        row, col = np.argwhere(values.isna().values)[0]
        written = (
            ""
            if (decimal, thousands) == (".", None)
            else (
                f"decimal {decimal!r}"
                + (f" and thousands {thousands!r}" if thousands else "")
                + " as in the training file; "
            )
        )
        raise DataError(
            f"{path}: column {x_frame.columns[col]!r} holds {x_frame.iloc[row, col]!r} in data row {row + 1}; "
            f"features must be numbers ({written}empty cells too must be filled)"
        )
    return values.to_numpy(dtype=np.float32), y


def predict(run_dir: Path, csv_path: Path, device: str = "auto") -> Predictions:
    """Predictions for the rows of `csv_path` from the model of `run_dir`."""
    folder = model_folder(run_dir)
    pre = Preprocess.from_json(read_json(folder / "preprocess.json"))
    env = read_json(folder / "env.json")
    config, _ = parse_yaml((folder / "config.yaml").read_text(encoding="utf-8"), str(folder / "config.yaml"))
    known = keras_source(pre.source)
    if known is not None and known.text:
        raise DataError(
            f"{run_dir}: this model reads {pre.source.partition(':')[2]} texts encoded from Keras's word "
            "indices, which nnrun predict cannot make from a CSV file"
        )
    if not csv_path.is_file():
        raise DataError(
            f"{csv_path}: {'is a directory' if csv_path.is_dir() else 'no such file'}; give a CSV file of rows to predict"
        )
    csv = pre.csv or {"header": "auto", "separator": ",", "encoding": "utf-8"}
    # Runs from before dataset.decimal and thousands existed read numbers the default way.
    frame, has_header = read_frame(
        csv_path,
        header="auto" if not pre.csv else csv["header"],
        separator=csv["separator"],
        encoding=csv["encoding"],
        decimal=csv.get("decimal", "."),
        thousands=csv.get("thousands"),
        key="predict input",
    )
    x, truth = features_of(frame, has_header, pre, csv_path)

    from nnrun.engine.backend import activate, installed

    backend = env.get("backend") if installed(env.get("backend", "")) else "jax" if installed("jax") else "tensorflow"
    activate(backend, device)
    model = load_model(folder / "model.keras")
    x = x.reshape(len(x), *pre.input_shape)  # image rows (784 pixel columns) back into the model's 28x28
    out = np.asarray(model.predict(pre.scaler.apply(x), batch_size=1024, verbose=0))
    loss = config.get("loss") if isinstance(config, dict) else None
    logits = isinstance(loss, dict) and bool(loss.get("from_logits"))
    table = frame.copy()
    score = None
    if pre.task == "classification":
        probs = _probabilities(out, pre.target_kind, logits)
        ids = probs.argmax(axis=1)
        labels = np.asarray(pre.classes, dtype=object)[ids]
        table["prediction"] = labels
        table["probability"] = probs[np.arange(len(ids)), ids]
        for i, label in enumerate(pre.classes):
            table[f"p_{label}"] = probs[:, i]
        if truth is not None:
            truth_labels = [_label(v, csv.get("decimal", "."), csv.get("thousands")) for v in truth]
            score = {"accuracy": float(np.mean([str(a) == str(b) for a, b in zip(truth_labels, labels)]))}
    else:
        values = out.reshape(len(out), -1)[:, 0]
        table["prediction"] = values
        if truth is not None:
            t = numbers(truth, csv.get("decimal", "."), csv.get("thousands")).to_numpy(dtype=np.float64)
            err = values - t
            score = {"mae": float(np.nanmean(np.abs(err))), "mse": float(np.nanmean(err**2))}
    return Predictions(table, score, len(table))


def load_model(path: Path):
    """The Keras model saved at `path`, loaded in Keras's safe mode: a model that would run code when loaded (a
    Python lambda in a Lambda layer) is refused, not executed. RunError naming the file when it cannot load."""
    import keras

    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - any failure to read a file the user gave is a one-line answer
        text = first_line(e)
        if "safe_mode" in text:
            raise RunError(
                f"{path}: holds Python code (a Lambda layer's function), which nnrun does not run: models "
                "are loaded in Keras's safe mode; save the model without Lambda layers (Keras layers such "
                "as Rescaling or Activation do the same safely)"
            ) from None
        raise RunError(
            f"{path}: cannot load this model ({type(e).__name__}: {text}); is it a .keras file that nnrun train wrote?"
        ) from None


def _probabilities(out: np.ndarray, kind: str, logits: bool) -> np.ndarray:
    """Per-class probabilities (rows sum to 1) from the model output."""
    out = out.reshape(len(out), -1).astype(np.float64)
    if kind == "binary" or out.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-out[:, 0])) if logits else out[:, 0]
        return np.stack([1.0 - p, p], axis=1)
    if logits:
        e = np.exp(out - out.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return out


def _label(value, decimal: str = ".", thousands: str | None = None):
    """A label read from a CSV as it appears in preprocess.json's classes (1.0 -> 1)."""
    number = numbers(pd.Series([value], dtype=str), decimal, thousands).iloc[0]
    if pd.notna(number) and float(number).is_integer():
        return int(number)
    return value.strip() if isinstance(value, str) else value


def write_csv(table: pd.DataFrame, out: Path | None) -> str | None:
    """Write to `out` atomically, or return the CSV text (for stdout) when `out` is None."""
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, float_format="%.6g")
    if out is None:
        return buffer.getvalue()
    if out.is_dir():
        raise DataError(f"-o {out}: is a directory; give a file name such as predictions.csv")
    if not out.parent.exists():
        raise DataError(
            f"-o {out}: the folder {out.parent} does not exist; create it first, or write into an existing folder"
        )
    atomic_write(out, buffer.getvalue())
    return None
