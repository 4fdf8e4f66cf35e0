"""Whether the process that wrote a `running` run folder can still be running.

A run records who writes it when it starts (`identity`: pid, host, the machine's boot and the process's start
time), and its heartbeat is the time its history.csv was last flushed, which happens every epoch. A reader
(`compare`, `show`) calls `gone` to tell a live run from one killed outright (SIGKILL, power loss).
Standard library only.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime
from pathlib import Path
from typing import Any

# A run on another host is taken for crashed after this long without a heartbeat, or ten of its average
# epochs when those are longer: its pid cannot be checked from here, and a long epoch is not a crash.
STALE_AFTER_S = 30 * 60
STALE_EPOCHS = 10


def _boot_id() -> str | None:
    """This boot of the machine (Linux); a run recorded under another boot cannot still be running."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


def _process_start(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot (Linux), or None: tells a pid reused after the
    run's process ended from the run's own process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rpartition(")")[2].split()[19])  # field 22, counted after the command name in ( )
    except (OSError, ValueError, IndexError):
        return None


def identity() -> dict[str, Any]:
    """What a run's metrics.json records about the process writing it."""
    me = {"pid": os.getpid(), "host": socket.gethostname(), "boot_id": _boot_id(), "process_start": _process_start(os.getpid())}
    return {k: v for k, v in me.items() if v is not None}


def _histories(folder: Path) -> list[Path]:
    """The run's history.csv and its folds' (a k-fold run trains in fold-N/ and final/)."""
    return [folder / "history.csv", *folder.glob("*/history.csv")]


def heartbeat(folder: Path) -> float | None:
    """The last sign of life of the run in `folder` (seconds since the epoch): the newest modification time of
    its metrics.json and of its history files."""
    times = []
    for path in (folder / "metrics.json", *_histories(folder)):
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            pass
    return max(times, default=None)


def _epochs_seen(folder: Path) -> int:
    """Epochs written to the run's history files so far (lines past each header)."""
    total = 0
    for path in _histories(folder):
        try:
            with open(path, "rb") as f:
                total += max(0, sum(1 for _ in f) - 1)
        except OSError:
            pass
    return total


def gone(metrics: dict[str, Any], folder: Path, now: float | None = None) -> str | None:
    """Why the process of a run whose metrics.json says `running` cannot be running any more, or None when it
    may be. On this host the pid is checked (and that it is still the same process); on another host, or when
    no usable pid was recorded, only a heartbeat that has stopped for long can tell."""
    pid, host = metrics.get("pid"), metrics.get("host")
    checkable = isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 and isinstance(host, str)
    who = f"its process (pid {pid} on {host})" if checkable else "its process"
    if checkable and host == socket.gethostname():
        boot = metrics.get("boot_id")
        if isinstance(boot, str) and _boot_id() not in (None, boot):
            return f"{who} is gone: the machine has restarted since"
        if not _pid_exists(pid):
            return f"{who} is gone: it was killed or the machine stopped"
        started = metrics.get("process_start")
        if isinstance(started, int) and _process_start(pid) not in (None, started):
            return f"{who} is gone: that pid now belongs to another process"
        return None
    beat = heartbeat(folder)
    if beat is None:
        return None
    silent = (time.time() if now is None else now) - beat
    limit = STALE_AFTER_S
    start = started_at(metrics)
    epochs = _epochs_seen(folder)
    if start is not None and epochs:
        limit = max(limit, STALE_EPOCHS * (beat - start.timestamp()) / epochs)
    if silent <= limit:
        return None
    why = (f"its pid cannot be checked from this host, {socket.gethostname()}" if checkable
           else "it recorded no pid and host to check")
    return f"{who} has sent no heartbeat for {duration(silent)} ({why})"


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user
    except (OverflowError, ValueError):
        return False  # no such pid can exist
    return True


def started_at(metrics: dict[str, Any]) -> datetime | None:
    """metrics.json's `started` (an ISO time with the writer's offset), or None when missing or unreadable."""
    text = metrics.get("started")
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def duration(seconds: float) -> str:
    """'2 h 05 min', '12 min', '40 s'."""
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"
