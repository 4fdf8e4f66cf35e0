"""Finding dataset files (next to the config, in the data directory, in ./data) and the download registry.

Downloads go through the real code path with `file://` URLs of files the tests write, so no network is needed.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from nnrun.config.load import load_spec
from nnrun.data import load, registry
from nnrun.data.registry import REGISTRY, KnownFile, data_dir, locate
from nnrun.errors import DataError

CSV = b"a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n"


@pytest.fixture
def places(tmp_path, monkeypatch):
    """A config folder, a data directory ($NNRUN_DATA_DIR) and a working directory, all empty."""
    config_dir, data, cwd = tmp_path / "configs", tmp_path / "datadir", tmp_path / "cwd"
    for folder in (config_dir, data, cwd):
        folder.mkdir()
    monkeypatch.setenv("NNRUN_DATA_DIR", str(data))
    monkeypatch.chdir(cwd)
    return config_dir, data, cwd


@pytest.fixture
def served(tmp_path, monkeypatch):
    """Register toy.csv with a file:// URL of a file the test wrote; returns (KnownFile, the served file)."""
    source = tmp_path / "upstream" / "toy-source.csv"
    source.parent.mkdir()
    source.write_bytes(CSV)

    def register(url: str | None = None, sha256: str | None = None) -> KnownFile:
        known = KnownFile("toy.csv", url or source.as_uri(), sha256 or hashlib.sha256(CSV).hexdigest(), "toy data")
        monkeypatch.setattr(registry, "REGISTRY", {known.name: known})
        return known

    return register


def files_in(folder: Path) -> list[str]:
    """Every name in `folder` (hidden temp files too); [] when it does not exist."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- where files are found ---


def test_data_dir_is_the_environment_variable_else_data(monkeypatch, tmp_path):
    monkeypatch.setenv("NNRUN_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    monkeypatch.setenv("NNRUN_DATA_DIR", "~/somewhere")
    assert data_dir() == Path.home() / "somewhere"
    monkeypatch.delenv("NNRUN_DATA_DIR")
    assert data_dir() == Path("data")
    monkeypatch.setenv("NNRUN_DATA_DIR", "")
    assert data_dir() == Path("data")


def test_next_to_the_config_comes_first(places):
    config_dir, data, _ = places
    (config_dir / "d.csv").write_text("config copy")
    (data / "d.csv").write_text("data dir copy")
    assert locate("d.csv", config_dir) == config_dir / "d.csv"


def test_then_the_data_dir(places):
    config_dir, data, _ = places
    (data / "d.csv").write_text("data dir copy")
    notes: list[str] = []
    assert locate("d.csv", config_dir, notes.append) == data / "d.csv"
    assert notes == []


def test_subfolders_resolve_in_both_places(places):
    config_dir, data, _ = places
    (data / "sub").mkdir()
    (data / "sub" / "d.csv").write_text("x")
    assert locate("sub/d.csv", config_dir) == data / "sub" / "d.csv"


def test_else_data_under_the_working_directory(places, monkeypatch):
    config_dir, data, cwd = places
    monkeypatch.delenv("NNRUN_DATA_DIR")
    (data / "d.csv").write_text("not looked at without the variable")
    (cwd / "data").mkdir()
    (cwd / "data" / "d.csv").write_text("cwd copy")
    found = locate("d.csv", config_dir)
    assert found.resolve() == cwd / "data" / "d.csv"
    assert found.read_text() == "cwd copy"


def test_absolute_path(places, tmp_path):
    config_dir, _, _ = places
    target = tmp_path / "elsewhere.csv"
    target.write_bytes(CSV)
    assert locate(str(target), config_dir) == target


def test_absolute_path_that_does_not_exist(places, tmp_path):
    config_dir, _, _ = places
    missing = tmp_path / "nowhere" / "pima-indians-diabetes.csv"  # a registry name, but absolute: no download
    with pytest.raises(DataError) as err:
        locate(str(missing), config_dir)
    message = str(err.value)
    assert message.startswith(f"dataset.path: {missing} not found (looked in {missing.parent})")
    assert "NNRUN_DATA_DIR" in message
    assert not (tmp_path / "nowhere").exists()


def test_directory_is_an_error(places):
    config_dir, data, _ = places
    (data / "folder.csv").mkdir()
    with pytest.raises(DataError) as err:
        locate("folder.csv", config_dir)
    assert str(err.value) == f"dataset.path: {data / 'folder.csv'} is a directory; give a CSV file"


def test_unknown_relative_file_names_where_it_looked(places):
    config_dir, data, _ = places
    with pytest.raises(DataError) as err:
        locate("nosuch.csv", config_dir)
    message = str(err.value)
    assert message.startswith("dataset.path: nosuch.csv not found")
    assert f"looked in {config_dir.resolve()} and {data.resolve()}" in message
    assert "set NNRUN_DATA_DIR" in message


def test_unknown_file_through_a_config(places, write_config):
    _, data, _ = places
    config = write_config(
        {"dataset": {"path": "nosuch.csv"}, "layers": [{"type": "Dense", "units": 1}], "loss": "mse", "epochs": 1}
    )
    with pytest.raises(DataError) as err:
        load(load_spec(config))
    assert f"looked in {config.parent.resolve()} and {data.resolve()}" in str(err.value)


# --- downloads ---


def test_missing_registry_file_is_downloaded_into_the_data_dir(places, served):
    config_dir, data, _ = places
    known = served()
    notes: list[str] = []
    found = locate("toy.csv", config_dir, notes.append)
    assert found == data / "toy.csv"
    assert found.read_bytes() == CSV
    assert files_in(data) == ["toy.csv"]  # no temp file left next to it
    assert notes == [f"downloading toy.csv from {known.url}"]
    # The second time it is simply found.
    notes.clear()
    assert locate("toy.csv", config_dir, notes.append) == data / "toy.csv" and notes == []


def test_download_creates_the_data_dir(places, served, monkeypatch, tmp_path):
    config_dir, _, _ = places
    fresh = tmp_path / "new" / "data"
    monkeypatch.setenv("NNRUN_DATA_DIR", str(fresh))
    served()
    assert locate("toy.csv", config_dir) == fresh / "toy.csv"
    assert (fresh / "toy.csv").read_bytes() == CSV


def test_downloaded_file_loads_through_a_config(places, served, write_config):
    _, data, _ = places
    served()
    config = write_config(
        {
            "dataset": {"path": "toy.csv", "test": 1},
            "layers": [{"type": "Dense", "units": 1}],
            "loss": "binary_crossentropy",
            "epochs": 1,
        }
    )
    loaded = load(load_spec(config))
    assert loaded.path == data / "toy.csv"
    assert loaded.x.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]]
    assert loaded.notes and loaded.notes[0].startswith("downloading toy.csv from file://")


def test_wrong_sha256_is_an_error_and_leaves_nothing(places, served):
    config_dir, data, _ = places
    known = served(sha256="0" * 64)
    with pytest.raises(DataError) as err:
        locate("toy.csv", config_dir)
    message = str(err.value)
    assert known.url in message
    assert f"has sha256 {hashlib.sha256(CSV).hexdigest()}, expected {'0' * 64}" in message
    assert "not saved" in message
    assert files_in(data) == []


@pytest.mark.parametrize("url", ["file:///nonexistent/x.csv", "http://127.0.0.1:9/x.csv", "notaurl"])
def test_unreachable_url_names_file_folder_and_url(places, served, url):
    config_dir, data, _ = places
    served(url=url)
    with pytest.raises(DataError) as err:
        locate("toy.csv", config_dir)
    message = str(err.value)
    where = f"dataset.path: toy.csv is not in {data.resolve()} and could not be downloaded from {url}"
    assert message.startswith(where)
    assert "by hand" in message
    assert "\n" not in message
    assert files_in(data) == []


def test_name_not_in_the_registry_is_not_downloaded(places, served):
    config_dir, data, _ = places
    served()
    with pytest.raises(DataError, match=r"other\.csv not found"):
        locate("other.csv", config_dir)
    assert files_in(data) == []


# --- the real registry ---


def test_registry_entries_are_pinned_and_described():
    assert sorted(REGISTRY) == [
        "boston-housing.csv",
        "nonlinear.csv",
        "pima-indians-diabetes.csv",
        "thoracic-surgery.csv",
    ]
    for name, known in REGISTRY.items():
        assert known.name == name
        assert known.url.startswith("https://")
        assert re.search(r"/[0-9a-f]{40}/", known.url), f"{name}: URL not pinned to a commit"
        assert re.fullmatch(r"[0-9a-f]{64}", known.sha256)
        assert known.description


def test_registry_sha256_match_the_shared_files(datasets):
    for name, known in REGISTRY.items():
        assert hashlib.sha256((datasets / name).read_bytes()).hexdigest() == known.sha256, name


def test_registry_files_present_are_found_not_downloaded(datasets, monkeypatch, tmp_path):
    monkeypatch.setenv("NNRUN_DATA_DIR", str(datasets))
    for name in REGISTRY:
        notes: list[str] = []
        assert locate(name, tmp_path, notes.append) == datasets / name
        assert notes == []


def test_a_failed_download_creates_no_data_directory(places, served, monkeypatch):
    config_dir, data, cwd = places
    monkeypatch.delenv("NNRUN_DATA_DIR")  # the default: ./data, which does not exist yet
    served(url="file:///nonexistent/x.csv")
    with pytest.raises(DataError):
        locate("toy.csv", config_dir)
    assert not (cwd / "data").exists()
    served()
    assert locate("toy.csv", config_dir) == Path("data") / "toy.csv" and (cwd / "data" / "toy.csv").exists()


def test_the_download_is_announced_before_it_starts(places, served):
    config_dir, data, _ = places
    served()
    heard = []
    locate("toy.csv", config_dir, lambda note: heard.append((note, (data / "toy.csv").exists())))
    assert heard == [(f"downloading toy.csv from {registry.REGISTRY['toy.csv'].url}", False)]
