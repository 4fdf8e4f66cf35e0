"""The README stays true: every config key documented, every example config listed, every command real."""

from __future__ import annotations

import re

import pytest
from helpers import CONFIGS, REPO

from nnrun.config.schema import DatasetSpec, EarlyStoppingSpec, KFoldSpec, Spec

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
    assert commands >= {"train", "kfold", "check", "predict", "schema"}
    for command in commands:
        result = cli(command, "--help")
        assert result.exit_code == 0, f"nnrun {command} --help failed: {result.output}"


def test_the_test_command_is_what_ci_runs():
    assert "NNRUN_DATA_DIR=../shared/datasets python -m pytest -q" in README
    assert "python -m pytest -q" in (REPO / ".ci" / "run").read_text()


def shown_commands() -> list[tuple[list[str], str | None]]:
    """(arguments, the error line the README shows right after, if any) for every `nnrun train|kfold|check` line in
    the README's code blocks whose config file exists in the repository."""
    import shlex

    out = []
    for block in re.findall(r"```(?:bash|console)\n(.*?)```", README, flags=re.DOTALL):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            match = re.match(r"^(?:\$ )?nnrun ((?:train|kfold|check) .*?)(?:\s+#.*)?$", line)
            if match:
                args = shlex.split(match.group(1))
                after = [line for line in lines[i + 1 :] if not line.startswith("note:")]  # notes come first
                following = after[0] if after else ""
                shown = (args, following if following.startswith("error:") else None)
                if (REPO / args[1]).is_file() and shown not in out:  # a line shown twice is run once
                    out.append(shown)
    return out


@pytest.mark.parametrize("args, error", shown_commands(), ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_readme_command_lines_do_what_the_readme_shows(cli, monkeypatch, tmp_path, datasets, request, args, error):
    monkeypatch.chdir(REPO)
    if "source: keras:" in (REPO / args[1]).read_text(encoding="utf-8"):
        request.getfixturevalue("keras_offline")  # an empty Keras cache, and no download even with a network
    if args[0] in ("train", "kfold"):
        args = [*args, "--smoke"]  # the whole pipeline, one epoch, nothing kept
    result = cli(*args)
    if error is None:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 2
        assert result.stderr.startswith(error.removesuffix("...").rstrip())


def test_every_show_line_names_one_run():
    # `nnrun show runs/*-quickstart` stopped with "Got unexpected extra argument(s)" once the quick start had
    # been followed twice: show takes one run, and a bare glob may give several
    blocks = "\n".join(re.findall(r"```(?:bash|console)\n(.*?)```", README, flags=re.DOTALL))
    shown = re.findall(r"^(?:\$ )?nnrun show (.*?)(?:\s+#.*)?$", blocks, flags=re.MULTILINE)
    assert shown
    for argument in shown:
        assert "*" not in argument or re.fullmatch(r"\$\(ls -d \S+ \| tail -1\)", argument), argument
