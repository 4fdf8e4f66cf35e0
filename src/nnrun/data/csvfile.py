"""Reading a CSV file into feature and target columns: header detection, separators, encodings, checks."""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.io.common import infer_compression

from nnrun.errors import DataError, did_you_mean

# Cells read as missing: pandas' defaults plus "?", which the UCI files use for unknown values.
MISSING_MARKS = ["?"]


@dataclass
class Table:
    """The columns nnrun uses from a CSV file."""

    x: np.ndarray  # (rows, features) float32
    y: np.ndarray  # (rows,) the raw target: numbers or strings
    feature_names: list[str]
    feature_columns: list[int]  # 0-based positions in the file
    target_name: str
    target_column: int
    n_columns: int
    header: bool


def separator_regex(separator: str) -> str:
    """The pandas `sep` for a config separator ("whitespace" and "tab" are spelled out in configs)."""
    named = {"whitespace": r"\s+", "tab": "\t"}
    if separator in named:
        return named[separator]
    # Cells are read with skipinitialspace, so ", " means ","; kept as is, pandas would split on the two-character
    # pattern and reject files such as nonlinear.csv, whose header "x,y" has no space after its comma.
    return separator.strip(" ") or separator


def read_frame(path: Path, *, header: bool | str, separator: str, encoding: str, key: str = "dataset") -> tuple[pd.DataFrame, bool]:
    """Read every cell as text; return (frame with column names, whether the file had a header row)."""
    _refuse_binary(path, encoding, key)
    try:
        raw = pd.read_csv(
            path,
            sep=separator_regex(separator),
            header=None,
            dtype=str,
            na_values=MISSING_MARKS,
            skipinitialspace=True,
            encoding=encoding,
            engine="python" if len(separator_regex(separator)) > 1 else "c",
        )
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; a CSV needs at least one row") from None
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path}: not {encoding} text (byte {e.object[e.start]:#x} at offset {e.start}); "
            f"set {key}.encoding to the file's encoding, e.g. {_guess_encoding(path)}"
        ) from None
    except LookupError:
        raise DataError(f"got {encoding}; not an encoding Python knows (e.g. utf-8, cp949, latin-1)",
                        key=(key, "encoding")) from None
    except pd.errors.ParserError as e:
        raise DataError(f"{path}: rows have different numbers of columns ({_ragged(e)}); check the separator, and "
                        "quote cells that hold it") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read it ({e.strerror or e}); check that the file is readable by you",
                        key=(key, "path") if key == "dataset" else None) from None
    if raw.shape[1] == 1:
        guess = _guess_separator(path, encoding)
        if guess and guess != separator:
            raise DataError(
                f"got {separator!r}, which reads {path.name} as a single column; "
                f"the file looks {guess}-separated: set separator: {guess!r}", key=(key, "separator"),
            )
    has_header = _looks_like_header(raw) if header == "auto" else bool(header)
    if has_header:
        names = [str(n).strip() if isinstance(n, str) else f"column_{i}" for i, n in enumerate(raw.iloc[0])]
        raw = raw.iloc[1:].reset_index(drop=True)
        raw.columns = names
    else:
        raw.columns = [str(i) for i in range(raw.shape[1])]
    if raw.empty:
        raise DataError(f"{path}: the file holds a header but no data rows; a CSV needs at least one row of values "
                        "below its header")
    return raw, has_header


def _looks_like_header(raw: pd.DataFrame) -> bool:
    """A first row is a header when one of its cells is text in a column whose other cells are numbers."""
    if len(raw) < 2:
        # A lone row of text cells is a header without data (reported as such), not a data row of text.
        return len(raw) == 1 and all(_is_text(c) for c in raw.iloc[0])
    first, rest = raw.iloc[0], raw.iloc[1:]
    for column in raw.columns:
        body = pd.to_numeric(rest[column], errors="coerce")
        if _is_text(first[column]) and body.notna().mean() > 0.9:
            return True
    # Every first-row cell is text (not a number: every cell is read as a str), but no column is numbers below
    # it (labels, gaps): a header if the first row's cells never recur below it.
    return all(_is_text(c) for c in first) and not any(
        (rest[c] == first[c]).any() for c in raw.columns
    ) and rest.apply(pd.to_numeric, errors="coerce").notna().values.mean() > 0.5


def _is_text(cell) -> bool:
    """A cell that is neither empty nor a number."""
    return isinstance(cell, str) and pd.isna(pd.to_numeric(cell, errors="coerce"))


def _guess_separator(path: Path, encoding: str) -> str | None:
    try:
        with open(path, encoding=encoding, errors="replace") as f:
            lines = [line for line in (f.readline() for _ in range(20)) if line.strip()]
    except OSError:
        return None
    try:
        delimiter = csv.Sniffer().sniff("".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        # The Sniffer wants one character between columns, so it gives up on columns padded with runs of
        # spaces (boston-housing.csv): call a file whitespace-separated when that splits every line alike.
        widths = {len(line.split()) for line in lines}
        return "whitespace" if len(widths) == 1 and min(widths) > 1 else None
    return {"\t": "tab"}.get(delimiter, delimiter)


# The first bytes of files people pass for a CSV by mistake, and what to tell them.
_BINARY = {
    b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"%PDF": "a PDF document",
    b"PK\x03\x04": "a zip archive (an Excel .xlsx file is one: save the sheet as CSV)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls or Office file (save the sheet as CSV)",
    b"\x1f\x8b": "gzip-compressed data (name it .csv.gz, or decompress it)",
    b"\x93NUMPY": "a NumPy .npy array",
    **{bytes([0x80, protocol]): "a Python pickle" for protocol in (2, 3, 4, 5)},  # not 0x80 alone: cp1252's euro sign
}
_UTF_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16 and UTF-32 text holds NUL bytes too


def _refuse_binary(path: Path, encoding: str, key: str) -> None:
    """DataError for a file that is not text at all (an image, an archive, a spreadsheet), which pandas would
    otherwise misread as rows of odd columns; UTF-16 without a byte-order mark is named as such."""
    try:
        wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    except LookupError:
        return  # read_csv reports the unknown encoding
    if wide or infer_compression(str(path), "infer"):  # NUL bytes are expected; pandas decompresses by extension
        return
    try:
        with open(path, "rb") as f:
            head = f.read(8192)
    except OSError:
        return  # read_csv reports it
    kind = next((what for magic, what in _BINARY.items() if head.startswith(magic)), None)
    if kind is None and b"\x00" in head and not head.startswith(_UTF_BOMS):
        for order, zeros in (("le", head[1::2]), ("be", head[0::2])):  # ASCII as UTF-16: every other byte is 0
            if zeros and zeros.count(0) > 0.9 * len(zeros):
                raise DataError(f"{path}: not {encoding} text: it looks like UTF-16 without a byte-order mark; "
                                f"set {key}.encoding: utf-16-{order}")
        kind = "binary data"
    if kind is not None:
        raise DataError(f"{path}: not a CSV text file: it holds {kind}; give a text file of comma-separated rows")


def _ragged(error: pd.errors.ParserError) -> str:
    """pandas' "Error tokenizing data. C error: Expected 3 fields in line 6, saw 4" as "line 6 has 4 cells,
    the lines before it 3"."""
    text = str(error).strip().splitlines()[-1]
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    return f"line {m[2]} has {m[3]} cells, the lines before it {m[1]}" if m else text


def _guess_encoding(path: Path) -> str:
    data = path.read_bytes()[:65536]
    if data.startswith(_UTF_BOMS):
        return "utf-16"
    for candidate in ("cp949", "shift_jis", "gb18030"):
        try:
            data.decode(candidate)
            return candidate
        except UnicodeDecodeError:
            continue
    return "latin-1"


def resolve_column(ref: int | str, names: list[str], header: bool, key: tuple, path: Path) -> int:
    """A 0-based position for a column given by name or index (negative counts from the end)."""
    n = len(names)
    if isinstance(ref, int):
        if not -n <= ref < n:
            raise DataError(f"got {ref}; {path.name} has {n} columns, so valid indices are 0 to {n - 1} "
                            "(or -1 for the last)", key=key)
        return ref % n
    if ref in names and header:
        return names.index(ref)
    if not header:
        raise DataError(
            f"got {ref!r}, a column name, but {path.name} has no header row; "
            f"use a 0-based index (0 to {n - 1}), or set dataset.header: true", key=key,
        )
    raise DataError(f"got {ref!r}; no such column{did_you_mean(ref, names)}; columns: {', '.join(names)}", key=key)


def read_table(
    path: Path,
    *,
    header: bool | str,
    separator: str,
    encoding: str,
    target: int | str | None,
    features: list[int | str] | None,
    missing: str,
    notes: list[str],
) -> Table:
    """Read `path` and pick the target and feature columns; raise DataError for anything unusable."""
    frame, has_header = read_frame(path, header=header, separator=separator, encoding=encoding)
    names = list(frame.columns)
    if len(names) < 2:
        raise DataError(f"{path}: only one column was found; nnrun needs at least one feature and a target")
    t = resolve_column(-1 if target is None else target, names, has_header, ("dataset", "target"), path)
    if features is None:
        cols = [i for i in range(len(names)) if i != t]
    else:
        cols = [resolve_column(f, names, has_header, ("dataset", "features", i), path) for i, f in enumerate(features)]
        key = ("dataset", "features")
        if t in cols:
            raise DataError(f"column {names[t]!r} is the target; remove it from features", key=key)
        dup = {names[c] for c in cols if cols.count(c) > 1}
        if dup:
            raise DataError(f"column {sorted(dup)[0]!r} is listed twice; list each column once", key=key)
        if not cols:
            raise DataError("the list is empty; give at least one feature column", key=key)
    used = frame.iloc[:, cols + [t]]
    empty = used.isna()
    if empty.values.any():
        rows = empty.any(axis=1)
        if missing == "drop":
            notes.append(f"dropped {int(rows.sum())} of {len(frame)} rows with empty cells in {path.name}")
            frame = frame.loc[~rows].reset_index(drop=True)
            if frame.empty:
                raise DataError(f"{path}: every row has an empty cell, so dropping them leaves no data")
        else:
            counts = empty.sum()
            worst = counts[counts > 0]
            column = worst.index[0]
            first_row = int(empty[column].values.argmax()) + 1
            n_rows = int(rows.sum())
            raise DataError(
                f"{path}: {n_rows} {'row has' if n_rows == 1 else 'rows have'} empty cells (column {column!r}: "
                f"{int(worst.iloc[0])}, first in data row {first_row}); set dataset.missing: drop to skip those rows, "
                "or fill them in"
            )
    x = np.empty((len(frame), len(cols)), dtype=np.float32)
    for j, c in enumerate(cols):
        values = pd.to_numeric(frame.iloc[:, c], errors="coerce")
        bad = values.isna()
        if bad.any():
            row = int(bad.values.argmax())
            raise DataError(
                f"{path}: feature column {names[c]!r} holds text ({frame.iloc[row, c]!r} in data row {row + 1}); "
                "features must be numbers: leave it out with dataset.features, or encode it as numbers"
            )
        column = values.to_numpy(dtype=np.float64)
        if not np.isfinite(column).all():
            row = int((~np.isfinite(column)).argmax())
            raise DataError(
                f"{path}: feature column {names[c]!r} holds {frame.iloc[row, c]!r} in data row {row + 1}; "
                "features must be finite numbers"
            )
        x[:, j] = column
    y_text = frame.iloc[:, t]
    y_num = pd.to_numeric(y_text, errors="coerce")
    y = y_num.to_numpy(dtype=np.float64) if y_num.notna().all() else y_text.str.strip().to_numpy(dtype=object)
    if y.dtype != object and not np.isfinite(y).all():
        row = int((~np.isfinite(y)).argmax())
        raise DataError(f"{path}: target column {names[t]!r} holds {y_text.iloc[row]!r} in data row {row + 1}; "
                        "targets must be finite numbers or class labels")
    return Table(x, y, [names[c] for c in cols], cols, names[t], t, len(names), has_header)
