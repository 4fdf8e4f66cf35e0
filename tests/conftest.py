"""Shared test fixtures: config files written on the fly, the CLI runner, the shared datasets folder, Keras's
dataset cache. Fixtures only: what test modules import lives in helpers.py."""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import sys
import tempfile
import urllib.error
from pathlib import Path

import pytest
import yaml
from helpers import import_keras, run_cli, shared_datasets

# Tests change directory; a relative data dir (as the README's test command gives) must still point there.
if os.environ.get("NNRUN_DATA_DIR"):
    os.environ["NNRUN_DATA_DIR"] = str(Path(os.environ["NNRUN_DATA_DIR"]).resolve())
# Keras's dataset cache ($KERAS_HOME/datasets) starts empty for every test session, whatever the developer has
# downloaded: a test that wants an archive writes a stand-in (tests/keras_archives.py) through keras_offline.
_KERAS_HOME = tempfile.mkdtemp(prefix="nnrun-tests-keras-home-")
os.environ["KERAS_HOME"] = _KERAS_HOME
atexit.register(shutil.rmtree, _KERAS_HOME, ignore_errors=True)
# jax's compilation cache likewise starts empty, so no developer's cache can change what a test sees; shared
# by the session's subprocesses, which it speeds up.
_JAX_CACHE = tempfile.mkdtemp(prefix="nnrun-tests-jax-cache-")
os.environ["JAX_COMPILATION_CACHE_DIR"] = _JAX_CACHE
atexit.register(shutil.rmtree, _JAX_CACHE, ignore_errors=True)
# In a pipe the CLI's tables follow $COLUMNS when it is set (`nnrun datasets`, `compare`); pytest-xdist's workers
# set COLUMNS=80, a developer's shell may too: the tests see it unset, whoever runs them and however.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)


@pytest.fixture
def datasets() -> Path:
    """The shared datasets folder; tests that need the real files skip without it."""
    folder = shared_datasets()
    if folder is None:
        pytest.skip("needs NNRUN_DATA_DIR pointing at the shared datasets (CI sets it)")
    return folder


@pytest.fixture
def cli():
    """Invoke nnrun in-process: cli("train", "x.yaml") -> click Result (exit_code, stdout, stderr)."""
    return run_cli


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a config dict (or raw YAML text) to tmp_path/<name>.yaml and return its path."""

    def write(config: dict | str, name: str = "exp") -> Path:
        path = tmp_path / f"{name}.yaml"
        path.write_text(
            config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False), encoding="utf-8"
        )
        return path

    return write


def _offline(url, *args, **kwargs):
    raise urllib.error.URLError(f"offline test: refusing to download {url}")


@pytest.fixture
def keras_offline(tmp_path: Path, monkeypatch) -> Path:
    """Keras (and nnrun) reading Keras's datasets from tmp_path/"datasets" only; returns that folder (not yet
    created). The network fetch is stubbed, and the archives' hash check: Keras's is skipped, and nnrun's table
    of pins (Keras's, and its own for fashion-mnist) takes each stand-in tests/keras_archives.py writes there as it
    was written.

    Keras reads $KERAS_HOME once, when it is imported, into config._KERAS_DIR, which get_file reads on each call;
    nnrun reads $KERAS_HOME itself (to name the folder in errors and in `nnrun datasets`): both are set."""
    import_keras()
    from keras.src.backend import config
    from keras.src.utils import file_utils

    assert file_utils.config is config
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path))
    from keras_archives import StandInHashes

    from nnrun.config import catalog

    monkeypatch.setattr(file_utils, "validate_file", lambda *args, **kwargs: True)  # the real files' hashes
    monkeypatch.setattr(catalog, "KERAS_HASHES", StandInHashes(catalog.KERAS_HASHES, tmp_path / "datasets"))
    monkeypatch.setattr(catalog, "PUBLISHED_HASHES", StandInHashes(catalog.PUBLISHED_HASHES, tmp_path / "datasets"))
    monkeypatch.setattr(file_utils, "urlretrieve", _offline)
    return tmp_path / "datasets"


@pytest.fixture
def real_archives() -> Path:
    """Keras's own archives, byte for byte: $NNRUN_DATA_DIR/keras/datasets (read-only; see SOURCES.md there)."""
    folder = shared_datasets()
    if folder is None or not (folder / "keras" / "datasets" / "mnist.npz").is_file():
        pytest.skip("needs NNRUN_DATA_DIR pointing at the shared datasets, with Keras's archives in keras/datasets")
    return folder / "keras" / "datasets"


@pytest.fixture
def keras_as_installed(request, monkeypatch) -> Path:
    """keras_offline, but with Keras's own hash check and nnrun's table of Keras's pins, as a user has them."""
    import_keras()
    from keras.src.utils import file_utils

    from nnrun.config import catalog

    validate_file, pins, published = file_utils.validate_file, catalog.KERAS_HASHES, catalog.PUBLISHED_HASHES
    folder = request.getfixturevalue("keras_offline")
    monkeypatch.setattr(file_utils, "validate_file", validate_file)
    monkeypatch.setattr(catalog, "KERAS_HASHES", pins)
    monkeypatch.setattr(catalog, "PUBLISHED_HASHES", published)
    return folder


def pytest_runtest_teardown(item, nextitem):
    """Keras's clear_session(), run before every model nnrun builds, calls gc.collect(): a full collection walks
    every object of the process, Keras's, jax's and TensorFlow's modules and all that earlier tests left alive,
    0.2-0.5 s a model, an eighth of the suite's time. What is still alive after a test is moved out of the
    collector's sight (gc.freeze), so each collection walks only the objects of the test that is running."""
    if "keras" in sys.modules:
        gc.collect()
        gc.freeze()
