"""The exceptions nnrun raises on purpose, and the exit codes they map to.

Everything a user can get wrong (config, data, command-line arguments) is an `NnrunError`:
the CLI prints its message as one line and exits with `exit_code`, without a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# Exit codes, documented in the README.
EXIT_OK = 0
EXIT_FAILED = 1  # the run raised an unexpected exception (status `failed`)
EXIT_BAD_INPUT = 2  # config, data or arguments rejected before anything ran
EXIT_DIVERGED = 3  # the loss became NaN or infinite (status `diverged`)
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM (status `interrupted`), as shells report SIGINT


class NnrunError(Exception):
    """A problem the user can fix; `str(error)` is the whole one-line message."""

    exit_code = EXIT_BAD_INPUT


class ConfigError(NnrunError):
    """The config (or a `--set` override) is invalid."""


class DataError(NnrunError):
    """The dataset cannot be found, read or used as the config asks.

    With `key` (a config key path such as ("dataset", "target")), the message is "<key path>: <problem>", and
    the pipeline re-raises it located in the config file or the `--set` that gave the value."""

    def __init__(self, problem: str, key: tuple | None = None):
        super().__init__(f"{keypath(key)}: {problem}" if key else problem)
        self.problem = problem
        self.key = key


class RunError(NnrunError):
    """A run folder cannot be read or used (predict on a broken run, say)."""


def closest(value: object, choices: Iterable[str]) -> str | None:
    """The choice `value` most likely misspells (same letters in another case, else difflib's closest at 0.6),
    or None when none is close."""
    if not isinstance(value, str):
        return None
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    if value.lower() in lowered and lowered[value.lower()] != value:
        return lowered[value.lower()]
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    if not close:
        close = [lowered[c] for c in difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)]
    return close[0] if close else None


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """Return " (did you mean 'x'?)" for the closest choice to `value`, or "" when none is close."""
    close = closest(value, choices)
    return f" (did you mean '{close}'?)" if close else ""


def first_line(error: BaseException) -> str:
    """An exception's message cut to its first line (the type's name when the message is empty)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def keypath(loc: tuple) -> str:
    """('layers', 2, 'units') -> 'layers[2].units'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
