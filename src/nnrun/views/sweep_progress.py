"""What `nnrun sweep` prints as it goes: one line per finished trial, a live status line on a terminal (trials
done, running, failed, pruned, the best so far, the time left), and at the end the best trials and the command
that retrains the best."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def short(value: Any, width: int = 28) -> str:
    """A parameter's value in a line: numbers to 4 significant digits, lists and mappings as YAML flow text,
    cut with … past `width`."""
    if isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, (list, dict)):
        import yaml

        text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000).strip()
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def values_text(values: dict[str, Any]) -> str:
    return ", ".join(f"{path}={short(v)}" for path, v in values.items())


class SweepProgress:
    """Prints a sweep's news to `console`: a line per finished trial; on a terminal, a status line under them."""

    def __init__(self, console: Console, metric: str, planned: int, parallel: int, quiet: bool = False):
        self.console, self.metric, self.planned, self.parallel, self.quiet = console, metric, planned, parallel, quiet
        self.started = time.monotonic()
        self.durations: list[float] = []
        self.status = None
        if console.is_terminal and not quiet:
            self.status = console.status("starting the workers (each imports Keras once)...", spinner="dots")
            self.status.start()

    def trial_started(self, record) -> None:
        pass

    def trial_finished(self, record, best) -> None:
        if record.duration_s:
            self.durations.append(record.duration_s)
        if self.quiet:
            return
        score = f"{self.metric} {record.score:.4g}" if record.score is not None else record.state
        mark = " (best so far)" if best is not None and best.number == record.number else ""
        why = f": {record.error}" if record.error and record.state != "completed" else ""
        took = f", {record.duration_s:.1f} s" if record.duration_s else ""
        self.console.print(
            f"trial {record.number:>3} {record.state:<11} {escape(score)}{mark}{took}  "
            f"{escape(values_text(record.values))}{escape(why)}",
            highlight=False,
            soft_wrap=True,
        )

    def stopping(self, running: int) -> None:
        """Ctrl-C: the running trials are asked to stop at their epoch's end; this can take a few seconds."""
        self.close()
        self.console.print(
            f"stopping: {_trials(running)} running, each ends its epoch and is kept as interrupted "
            "(Ctrl-C again to stop them at once)",
            highlight=False,
            soft_wrap=True,
        )

    def tick(self, counts: dict[str, Any]) -> None:
        if self.status is None:
            return
        best = counts["best"]
        left = counts["planned"] - counts["finished"]
        eta = ""
        if self.durations and left > 0:
            mean = sum(self.durations) / len(self.durations)
            eta = f", about {_duration(mean * left / max(1, self.parallel))} left"
        text = (
            f"trials {counts['finished']}/{counts['planned']} done, {counts['running']} running"
            + "".join(f", {counts[s]} {s}" for s in ("pruned", "failed", "diverged") if counts[s])
            + (f"; best {self.metric} {best.score:.4g} (trial {best.number})" if best else "")
            + eta
        )
        self.status.update(escape(text))

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


def end_report(console: Console, result, metric: str, goal: str, folder) -> None:
    """The states counted, the five best trials with the values that vary among them, and the command that
    retrains the best."""
    counts: dict[str, int] = {}
    for r in result.records:
        counts[r.state] = counts.get(r.state, 0) + 1
    console.print(
        f"sweep {result.status}: " + ", ".join(f"{n} {s}" for s, n in counts.items()), highlight=False, soft_wrap=True
    )
    scored = [r for r in result.records if r.state == "completed" and r.score is not None]
    if scored:
        sign = 1 if goal == "minimize" else -1
        top = sorted(scored, key=lambda r: (sign * r.score, r.number))[:5]
        # The values every scored trial shares (a constant, or a choice all took) say nothing about the ranking.
        paths = [p for p in top[0].values if len({short(r.values.get(p), 10_000) for r in scored}) > 1]
        table = Table(
            title=f"best trials ({metric}, {'lowest' if sign == 1 else 'highest'} first)",
            title_justify="left",
            box=None,
            pad_edge=False,
        )
        table.add_column("trial", justify="right", no_wrap=True)
        table.add_column(metric, justify="right", no_wrap=True)
        for path in paths:
            table.add_column(path, overflow="fold")
        for r in top:
            table.add_row(str(r.number), f"{r.score:.4g}", *(short(r.values.get(p), 40) for p in paths))
        console.print(table)
    console.print(f"sweep folder: {folder}", highlight=False, soft_wrap=True)
    if scored:
        console.print(f"retrain the best: nnrun train {folder / 'best.yaml'}", highlight=False, soft_wrap=True)


def _trials(n: int) -> str:
    return f"{n} trial{'' if n == 1 else 's'}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
