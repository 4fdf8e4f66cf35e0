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

# Cells read as missing values: pandas' default na_values, plus "?" (the UCI files' unknown value) and a lone
# "-" (a spreadsheet's blank). Written out rather than taken from pandas' private list so that the README's list
# stays true; matched after stripping spaces, and kept as written so that messages can quote them.
MISSING_MARKS = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
    "NULL", "NaN", "None", "n/a", "nan", "null", "?", "-",
})


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


def numbers(cells: pd.Series, decimal: str = ".", thousands: str | None = None) -> pd.Series:
    """The cells as float64 numbers, NaN where a cell is missing or not a number written with `decimal` as its
    decimal mark and `thousands` (or nothing) between groups of digits. As pandas' read_csv reads them: with
    decimal "," a cell "1.5" is not a number (unless "." is the thousands separator)."""
    if decimal == "." and thousands is None:
        return pd.to_numeric(cells, errors="coerce")
    text = cells.astype("string").str.strip()
    if thousands is not None:
        text = text.str.replace(thousands, "", regex=False)
    if decimal != ".":
        text = text.mask(text.str.contains(".", regex=False).fillna(False)).str.replace(decimal, ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype(np.float64)


def missing_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """True where a cell is empty or a missing-value mark (NA, NaN, ?, -, ...: MISSING_MARKS)."""
    return frame.isna() | frame.apply(lambda column: column.str.strip().isin(MISSING_MARKS))


def _is_missing(cell) -> bool:
    return not isinstance(cell, str) or cell.strip() in MISSING_MARKS


def separator_regex(separator: str) -> str:
    """The pandas `sep` for a config separator ("whitespace" and "tab" are spelled out in configs)."""
    named = {"whitespace": r"\s+", "tab": "\t"}
    if separator in named:
        return named[separator]
    # Cells are read with skipinitialspace, so ", " means ","; kept as is, pandas would split on the two-character
    # pattern and reject files such as nonlinear.csv, whose header "x,y" has no space after its comma.
    return separator.strip(" ") or separator


def read_frame(path: Path, *, header: bool | str, separator: str, encoding: str, decimal: str = ".",
               thousands: str | None = None, key: str = "dataset",
               separator_given: bool = True) -> tuple[pd.DataFrame, bool]:
    """Read every cell as text, as written (missing-value marks too; empty cells are NaN); return (frame with
    column names, whether the file had a header row). `decimal` and `thousands` say how numbers are written,
    for telling a header row from data; `separator_given` False when the separator is the default, not written.
    DataError for a file that cannot be read as the config says."""
    _refuse_binary(path, encoding, key)
    try:
        raw = pd.read_csv(
            path,
            sep=separator_regex(separator),
            header=None,
            dtype=str,
            keep_default_na=False,  # marks such as "NA" stay as written, for messages to quote (missing_cells)
            na_values=[""],
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
        ragged = _ragged(e)
        guess = _guess_separator(path, encoding)
        if guess and guess != separator:
            said = f"got {separator!r}, which splits" if separator_given else f"the default {separator!r} splits"
            raise DataError(f"{said} {path.name} into rows of different lengths ({ragged}); the file looks "
                            f"{guess}-separated{_settings_for(path, encoding, guess, decimal, thousands)}",
                            key=(key, "separator")) from None
        raise DataError(f"{path}: rows have different numbers of columns ({ragged}); check the separator, and "
                        "quote cells that hold it") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read it ({e.strerror or e}); check that the file is readable by you",
                        key=(key, "path") if key == "dataset" else None) from None
    if raw.shape[1] == 1:
        guess = _guess_separator(path, encoding)
        if guess and guess != separator:
            said = f"got {separator!r}, which reads" if separator_given else f"the default {separator!r} reads"
            raise DataError(f"{said} {path.name} as a single column; the file looks "
                            f"{guess}-separated{_settings_for(path, encoding, guess, decimal, thousands)}",
                            key=(key, "separator"))
    looks_named = _looks_like_header(raw, decimal, thousands)
    if header is False and looks_named:
        # Read as data, the names would be one more row: text in number columns, or an extra class of labels.
        names = ", ".join(repr(c.strip()) for c in raw.iloc[0, :8] if isinstance(c, str))
        more = ", ..." if raw.shape[1] > 8 else ""
        if key == "dataset":
            raise DataError(f"got false, but the first row of {path.name} looks like a header ({names}{more}: text "
                            "above columns of numbers); set header: true (or leave header: auto)",
                            key=(key, "header"))
        raise DataError(f"{path}: the first row looks like a header ({names}{more}), but the run was trained on a "
                        "file without one, so every row is read as data; remove that row")
    if header is True and not looks_named and (cells := _looks_like_data(raw, decimal, thousands)):
        # The mirror of the check above: as names, a row of data would be lost, and the columns misnamed.
        more = ", ..." if raw.shape[1] > 8 else ""
        if key == "dataset":
            raise DataError(f"got true, but the first row of {path.name} looks like data ({cells}{more}: values like "
                            "those in the rows below it), so it would be read as column names and lost; set header: "
                            "false, or leave header: auto", key=(key, "header"))
        raise DataError(f"{path}: the first row looks like data ({cells}{more}), but the run was trained on a file "
                        "with a header row, so that row would be read as column names; add the training file's "
                        "header row above it")
    has_header = looks_named if header == "auto" else bool(header)
    if has_header:
        names = [n.strip() if not _is_missing(n) else f"column_{i}" for i, n in enumerate(raw.iloc[0])]
        raw = raw.iloc[1:].reset_index(drop=True)
        raw.columns = names
    else:
        raw.columns = [str(i) for i in range(raw.shape[1])]
    if raw.empty:
        raise DataError(f"{path}: the file holds a header but no data rows; a CSV needs at least one row of values "
                        "below its header")
    return raw, has_header


def _looks_like_header(raw: pd.DataFrame, decimal: str = ".", thousands: str | None = None) -> bool:
    """A first row is a header when one of its cells is text in a column whose other cells are numbers."""

    def is_number(cells: pd.Series) -> pd.Series:
        # In any notation: "1,81" or "2 291,32" below a name is a number not yet configured, not a second name.
        known = numbers(cells, decimal, thousands).notna()
        if not known.all():
            known = known | _in_some_notation(cells)
        return known

    def is_text(cell) -> bool:
        return not _is_missing(cell) and not is_number(pd.Series([cell], dtype=str)).iloc[0]

    if len(raw) < 2:
        # A lone row of text cells is a header without data (reported as such), not a data row of text.
        return len(raw) == 1 and all(is_text(c) for c in raw.iloc[0])
    first, rest = raw.iloc[0], raw.iloc[1:]
    for column in raw.columns:
        if is_text(first[column]) and is_number(rest[column]).mean() > 0.9:
            return True
    # Every first-row cell is text, but no column is numbers below it (labels, gaps): a header if the first
    # row's cells never recur below it.
    return all(is_text(c) for c in first) and not any(
        (rest[c] == first[c]).any() for c in raw.columns
    ) and rest.apply(is_number).values.mean() > 0.5


def _looks_like_data(raw: pd.DataFrame, decimal: str = ".", thousands: str | None = None) -> str:
    """The first row's cells, quoted ("'4.7', '3.5', 'setosa'"), when that row is data like the rows below it:
    in each column a number near the range of the numbers below it, or a label that recurs below it; else "".
    A row of the column positions pandas writes for unnamed columns ("0,1,2") stays a header."""
    if len(raw) < 2:
        return ""
    first, rest = raw.iloc[0], raw.iloc[1:]
    seen = 0
    for column in raw.columns:
        cell = first[column]
        if _is_missing(cell):
            continue  # an empty name, or a gap in the data: no evidence either way
        below = rest[column][~missing_cells(rest[[column]]).iloc[:, 0]]
        if below.empty:
            return ""
        values = numbers(below, decimal, thousands)
        if values.notna().all():
            value = numbers(pd.Series([cell], dtype=str), decimal, thousands).iloc[0]
            low, high = values.min(), values.max()
            # Half the column's span either side: the first row may hold its smallest or largest value.
            if not low - (high - low) / 2 <= value <= high + (high - low) / 2:  # NaN (text) never is
                return ""
        elif cell.strip() not in set(below.str.strip()):
            return ""
        seen += 1
    written = [c.strip() for c in first if not _is_missing(c)]
    if not seen or written in ([str(i) for i in range(len(first))], [str(i) for i in range(1, len(first) + 1)]):
        return ""
    return ", ".join(repr(c.strip()) if isinstance(c, str) else "empty" for c in first.iloc[:8])


def _settings_for(path: Path, encoding: str, separator: str, decimal: str, thousands: str | None) -> str:
    """The rest of the separator message: ": set dataset.separator: ";"", or, when the file split on `separator`
    holds numbers that `decimal` and `thousands` do not read, every setting at once: ", with numbers written with
    a decimal comma and '.' between thousands ('1.234,5' in line 2): set dataset.separator: ";", dataset.decimal:
    "," and dataset.thousands: ".""."""
    fixes = [f"dataset.separator: {_yaml_char(separator)}"]
    found = ""
    try:
        split = pd.read_csv(path, sep=separator_regex(separator), header=None, dtype=str, keep_default_na=False,
                            na_values=[""], skipinitialspace=True, encoding=encoding, encoding_errors="replace",
                            nrows=200, on_bad_lines="skip", engine="python")
    except (OSError, ValueError, pd.errors.ParserError):
        split = None
    if split is not None and len(split):
        body = split.iloc[1:] if _looks_like_header(split, decimal, thousands) else split
        failing = [cells for cells in (_present(body[c]) for c in body.columns)
                   if len(cells) and numbers(cells, decimal, thousands).isna().any()]
        notation = next((n for n in (_fitting(cells, failing, decimal, thousands, separator) for cells in failing) if n),
                        None)
        if notation is not None:
            fixes += _setting_changes(notation, decimal, thousands)
            # Shown: a cell with the thousands separator when the settings name one, so the user sees it.
            fitting = [c for c in failing if _fits(c, notation)]
            column = next((c for c in fitting if notation[1] is not None
                           and c.str.contains(notation[1], regex=False).any()), fitting[0])
            label = numbers(column, decimal, thousands).isna().idxmax()
            found = f", with numbers written with {_NOTATIONS[notation][0]} ({column.loc[label]!r} in line {label + 1})"
    settings = ", ".join(fixes[:-1]) + f" and {fixes[-1]}" if len(fixes) > 1 else fixes[0]
    return f"{found}: set {settings}"


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
    decimal: str = ".",
    thousands: str | None = None,
    separator_given: bool = True,
) -> Table:
    """Read `path` and pick the target and feature columns; raise DataError for anything unusable.
    Numbers are read with `decimal` as the decimal mark and `thousands` between digit groups (pandas' own);
    `separator_given` False when `separator` is the default, which the config does not write."""
    frame, has_header = read_frame(path, header=header, separator=separator, encoding=encoding, decimal=decimal,
                                   thousands=thousands, separator_given=separator_given)
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
    used = frame.iloc[:, sorted(cols + [t])]
    gaps = missing_cells(used)
    if gaps.values.any():
        rows = gaps.any(axis=1)
        n_rows, found = int(rows.sum()), _missing_summary(used, gaps)
        if missing == "drop":
            notes.append(f"dropped {n_rows} of {len(frame)} rows with missing values in {path.name} ({found})")
            frame = frame.loc[~rows].reset_index(drop=True)
            if frame.empty:
                raise DataError(f"{path}: every row has a missing value, so dropping them leaves no data")
        else:
            raise DataError(
                f"{path}: {n_rows} {'row has' if n_rows == 1 else 'rows have'} missing values (first in data row "
                f"{int(rows.values.argmax()) + 1}): {found}; set dataset.missing: drop to skip those rows, or fill "
                "in those cells"
            )
    x = np.empty((len(frame), len(cols)), dtype=np.float32)
    others = [frame.iloc[:, c] for c in sorted(cols + [t])]  # for one message that names every setting needed
    for j, c in enumerate(cols):
        values = numbers(frame.iloc[:, c], decimal, thousands)
        bad = values.isna()
        if bad.any():
            row = int(bad.values.argmax())
            raise DataError(f"{path}: feature column {names[c]!r} holds "
                            + _not_a_number(frame.iloc[:, c], row, decimal, thousands, separator, others,
                                            "text ({cell!r} in data row {row}); features must be numbers: leave it "
                                            "out with dataset.features, or encode it as numbers"))
        column = values.to_numpy(dtype=np.float64)
        if not np.isfinite(column).all():
            row = int((~np.isfinite(column)).argmax())
            raise DataError(
                f"{path}: feature column {names[c]!r} holds {frame.iloc[row, c]!r} in data row {row + 1}; "
                "features must be finite numbers"
            )
        x[:, j] = column
    y_text = frame.iloc[:, t]
    y_num = numbers(y_text, decimal, thousands)
    if y_num.isna().any():
        row = int(y_num.isna().values.argmax())
        hint = _not_a_number(y_text, row, decimal, thousands, separator, others, "")
        if hint:  # labels such as "1,5" are numbers in another notation, not classes
            raise DataError(f"{path}: target column {names[t]!r} holds {hint}")
    y = y_num.to_numpy(dtype=np.float64) if y_num.notna().all() else y_text.str.strip().to_numpy(dtype=object)
    if y.dtype != object and not np.isfinite(y).all():
        row = int((~np.isfinite(y)).argmax())
        raise DataError(f"{path}: target column {names[t]!r} holds {y_text.iloc[row]!r} in data row {row + 1}; "
                        "targets must be finite numbers or class labels")
    return Table(x, y, [names[c] for c in cols], cols, names[t], t, len(names), has_header)


def _missing_summary(used: pd.DataFrame, gaps: pd.DataFrame) -> str:
    """"temp: 3 ('NA' x2, '?' x1), pressure: 1 (empty x1)": each column with missing values, in file order, how
    many, and the marks found as written."""
    parts = []
    for column in used.columns[gaps.any(axis=0).to_numpy()]:
        cells = used[column][gaps[column]]
        marks = cells.fillna("").str.strip().value_counts(sort=True)
        shown = ", ".join(f"{repr(m) if m else 'empty'} x{n}" for m, n in marks.items())
        parts.append(f"{column}: {int(gaps[column].sum())} ({shown})")
    return ", ".join(parts)


# The characters spreadsheets put between groups of thousands, as messages name them: French exports use a
# no-break space (or, lately, a narrow one), Swiss ones an apostrophe (or a typographic one).
_THOUSANDS = {".": "'.'", ",": "','", "\xa0": "a no-break space", "\u202f": "a narrow no-break space",
              " ": "a space", "'": "an apostrophe", "\u2019": "a typographic apostrophe (\u2019)"}


def _notation_pattern(decimal: str, thousands: str | None) -> re.Pattern:
    """A number in this notation: digits grouped by threes with `thousands` (or not grouped), then `decimal` and
    digits. So that "1,81" is not read as 181 with thousands ","."""
    if (decimal, thousands) == (".", None):
        return re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
    grouped = rf"\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|" if thousands else ""
    return re.compile(rf"[+-]?(?:{grouped}\d+)?(?:{re.escape(decimal)}\d+)?")


# Other ways of writing numbers that spreadsheets export: (decimal, thousands) -> (what to call it, a pattern every
# cell must match). A cell of plain digits matches each. Tried in this order (see _fitting).
_NOTATIONS = {
    (",", None): ("a decimal comma", _notation_pattern(",", None)),
    **{(",", t): (f"a decimal comma and {name} between thousands", _notation_pattern(",", t))
       for t, name in _THOUSANDS.items() if t != ","},
    **{(".", t): (f"{name} between thousands", _notation_pattern(".", t)) for t, name in _THOUSANDS.items() if t != "."},
    (".", None): ("a decimal point", _notation_pattern(".", None)),
}


def _yaml_char(char: str) -> str:
    """A character as a double-quoted YAML scalar that can be copied into a config: "\\u00a0" for a no-break space."""
    if char in ("tab", "whitespace"):  # the separators' names
        return char
    escaped = "".join(c if c == " " or (c.isprintable() and c.isascii() and c not in '"\\') else f"\\u{ord(c):04x}"
                      for c in char)
    return f'"{escaped}"'


def _present(cells: pd.Series) -> pd.Series:
    """The cells that are not missing, stripped (index kept)."""
    return cells[~missing_cells(cells.to_frame()).iloc[:, 0]].str.strip()


def _fits(cells: pd.Series, notation: tuple) -> bool:
    """Every cell (present, stripped) is a number in `notation`."""
    pattern = _NOTATIONS[notation][1]
    return bool(cells.map(lambda c: bool(pattern.fullmatch(c))).all()) and bool(numbers(cells, *notation).notna().all())


def _in_some_notation(cells: pd.Series) -> pd.Series:
    """True where a cell is a number in one of _NOTATIONS."""
    patterns = [pattern for _, pattern in _NOTATIONS.values()]
    return cells.map(lambda c: isinstance(c, str) and any(p.fullmatch(c.strip()) for p in patterns)
                     and any(ch.isdigit() for ch in c))


def _fitting(cells: pd.Series, others: list[pd.Series], decimal: str, thousands: str | None,
             separator: str) -> tuple | None:
    """The notation (decimal, thousands) that reads every one of `cells` (present, stripped; some not numbers as
    `decimal` and `thousands` read them) and, of those, the one that also reads every column of `others` that
    some notation reads; None when no notation reads `cells` (text)."""
    # In a ,-separated file a comma within a number is quoted, and "1,234" is more often thousands.
    order = [n for n in _NOTATIONS if n != (decimal, thousands)]
    if separator_regex(separator) == ",":
        order.insert(0, order.pop(order.index((".", ","))))

    def usable(notation: tuple, columns: list[pd.Series]) -> bool:
        # "1.5" is a number with a decimal point, not one with thousands that happen to be absent.
        t = notation[1]
        return t is None or any(c.str.contains(t, regex=False).any() for c in columns)

    numeric = [c for c in others if any(_fits(c, n) for n in order)]
    fit = [n for n in order if _fits(cells, n) and usable(n, [cells, *numeric])]
    if not fit:
        return None
    return next((n for n in fit if all(_fits(c, n) for c in numeric)), fit[0])


def _setting_changes(notation: tuple, decimal: str, thousands: str | None) -> list[str]:
    """The settings that read numbers in `notation` instead: ['dataset.decimal: ","', 'dataset.thousands: "."']."""
    fixes = [f"dataset.decimal: {_yaml_char(notation[0])}"] if notation[0] != decimal else []
    if notation[1] != thousands:
        fixes.append(f"dataset.thousands: {_yaml_char(notation[1])}" if notation[1] else "dataset.thousands: null")
    return fixes


def _not_a_number(cells: pd.Series, row: int, decimal: str, thousands: str | None, separator: str,
                  others: list[pd.Series], text: str) -> str:
    """What the cell at 0-based `row` is, for the message "column 'x' holds ...": numbers written in another
    notation than `decimal` and `thousands` (when every cell of the column is a number in it; the one that also
    reads the other columns of `others` that hold such numbers, so that one message gives every setting), else
    `text` formatted with cell and row (1-based)."""
    cell = cells.iloc[row]
    failing = [c for c in map(_present, others) if len(c) and numbers(c, decimal, thousands).isna().any()]
    notation = _fitting(_present(cells), failing, decimal, thousands, separator)
    if notation is None:
        return text.format(cell=cell, row=row + 1)
    fixes = _setting_changes(notation, decimal, thousands)
    return f"numbers written with {_NOTATIONS[notation][0]} ({cell!r} in data row {row + 1}); set {' and '.join(fixes)}"
