"""The data directory, and downloading (with a sha256 check) the registry's well-known public files into it."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from nnrun.config.catalog import REGISTRY, KnownFile, data_dir
from nnrun.errors import DataError
from nnrun.runs.folder import atomic_write


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
