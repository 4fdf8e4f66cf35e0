"""The README stays true: every config key documented, every example config listed, every command real."""

from __future__ import annotations

import re

import pytest
from conftest import CONFIGS, REPO

from nnrun.spec import DatasetSpec, EarlyStoppingSpec, KFoldSpec, Spec

README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("model", [Spec, DatasetSpec, EarlyStoppingSpec, KFoldSpec], ids=lambda m: m.__name__)
def test_every_config_key_is_in_the_reference(model):
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", README, flags=re.MULTILINE))
    assert set(model.model_fields) - documented == set()


def test_every_example_config_is_listed():
    listed = set(re.findall(r"`([a-z-]+)`", README))
    assert {p.stem for p in CONFIGS.glob("*.yaml")} - listed == set()


def test_every_command_shown_exists(cli):
    blocks = "\n".join(re.findall(r"```(?:bash|console)\n(.*?)```", README, flags=re.DOTALL))
    shown = re.findall(r"`(nnrun [^`]+)`", README) + re.findall(r"^(?:\$ )?(nnrun .*)$", blocks, flags=re.MULTILINE)
    commands = {m.group(1) for line in shown if (m := re.match(r"nnrun (?:--\w+ )?([a-z]+)", line))}
    assert commands >= {"train", "check", "predict", "schema"}
    for command in commands:
        result = cli(command, "--help")
        assert result.exit_code == 0, f"nnrun {command} --help failed: {result.output}"


def test_the_test_command_is_what_ci_runs():
    assert "NNRUN_DATA_DIR=../shared/datasets python -m pytest -q" in README
    assert "python -m pytest -q" in (REPO / ".ci" / "run").read_text()
