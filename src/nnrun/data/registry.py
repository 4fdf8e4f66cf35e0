"""The data directory and the registry of well-known public files nnrun can download and verify."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nnrun.errors import DataError
from nnrun.runs import atomic_write


@dataclass(frozen=True)
class KnownFile:
    """A public dataset file: where to fetch it and the sha256 it must have."""

    name: str
    url: str
    sha256: str
    description: str


_GILBUT = "https://raw.githubusercontent.com/gilbutITbook/080228/81c204745bbc7b1d9e5d7e0798b4983010b67aa1"
REGISTRY: dict[str, KnownFile] = {
    f.name: f
    for f in (
        KnownFile(
            "pima-indians-diabetes.csv",
            "https://raw.githubusercontent.com/jbrownlee/Datasets/357ed4a2b0d25702e92bdefe48ab8e397991cdc5/"
            "pima-indians-diabetes.data.csv",
            "6bfe5d0f379d17a0e0819b996407e3c09bf80febd4287f2ed212190dfff154af",
            "UCI Pima Indians Diabetes: 768 rows, 8 features, class 0/1",
        ),
        KnownFile(
            "thoracic-surgery.csv",
            f"{_GILBUT}/deeplearning/dataset/ThoraricSurgery.csv",
            "b51f69e60765c0b724c356fc3b9c5777b213c920b75ebb75b37b1f4b3702c379",
            "UCI Thoracic Surgery: 470 rows, 17 features, 1-year risk 0/1",
        ),
        KnownFile(
            "boston-housing.csv",
            f"{_GILBUT}/deeplearning/dataset/housing.csv",
            "baadf72995725d76efe787b664e1f083388c79ba21ef9a7990d87f774184735a",
            "Boston housing (whitespace-separated): 506 rows, 13 features, median value",
        ),
        KnownFile(
            "nonlinear.csv",
            "https://raw.githubusercontent.com/dknife/ML/cbd91071181ee17a9f9953a1255102e28c6b721e/data/nonlinear.csv",
            "11379be6b92eb399ebf489e4f7ebd2ca96b85099a1f70713a36748916d0b4a7c",
            "Synthetic nonlinear curve: 1000 rows, x -> y",
        ),
    )
}


def data_dir() -> Path:
    """The data directory: $NNRUN_DATA_DIR, else ./data."""
    return Path(os.environ.get("NNRUN_DATA_DIR") or "data").expanduser()


def locate(path: str, config_dir: Path, announce: Callable[[str], None] | None = None) -> Path:
    """Find a dataset file: absolute, next to the config, in the data directory, or downloaded there.

    Returns the file's path; raises DataError naming every place looked and, for registry files, the URL.
    """
    given = Path(path).expanduser()
    candidates = [given] if given.is_absolute() else [config_dir / given, data_dir() / given]
    for candidate in candidates:
        if candidate.is_dir():
            raise DataError(f"{candidate} is a directory; give a CSV file", key=("dataset", "path"))
        if candidate.is_file():
            return candidate
    known = REGISTRY.get(given.name) if given.name == path else None
    if known is None:
        looked = " and ".join(str(c.parent.resolve()) for c in candidates)
        raise DataError(
            f"{path} not found (looked in {looked}); check the name, or set NNRUN_DATA_DIR to the folder that holds it",
            key=("dataset", "path"),
        )
    target = data_dir() / known.name
    if announce is not None:
        announce(f"downloading {known.name} from {known.url}")
    download(known, target)
    return target


def download(known: KnownFile, target: Path) -> None:
    """Fetch `known` into `target`, verifying its sha256; nothing is left behind on failure."""
    key = ("dataset", "path")
    try:
        with urllib.request.urlopen(known.url, timeout=30) as response:
            payload = response.read()
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise DataError(
            f"{known.name} is not in {target.parent.resolve()} and could not be downloaded from {known.url} "
            f"({reason}); fetch it into that folder by hand, or set NNRUN_DATA_DIR", key=key,
        ) from None
    digest = hashlib.sha256(payload).hexdigest()
    if digest != known.sha256:
        raise DataError(
            f"the file downloaded from {known.url} has sha256 {digest}, expected {known.sha256}; it was not saved",
            key=key,
        )
    try:  # the data directory is made only now, for a verified file: a failed download leaves nothing behind
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, payload)
    except OSError as e:
        raise DataError(f"cannot save {known.name} into {target.parent}: {e.strerror or e}", key=key) from None
