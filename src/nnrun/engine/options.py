"""How to run an experiment, as opposed to what to run (that is the Spec)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console


@dataclass
class Options:
    """Command-line choices that shape a run but are not part of its config."""

    runs_dir: Path = Path("runs")
    device: str = "auto"  # auto | cpu | gpu
    quiet: bool = False  # no progress display
    smoke: bool = False  # one epoch on a few batches
    console: Console = field(default_factory=Console)
