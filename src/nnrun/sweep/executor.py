"""Where a sweep's trials run. The boundary is small — start a trial, hear what happened, stop one, cancel
all — so that another executor (a cluster's) is one new class; `LocalExecutor` runs them in worker processes
on this machine that live across trials.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from nnrun.sweep.channel import Channel


@dataclass
class Job:
    """One trial to run: a train (score: train) or k-fold (score: kfold) run of `config` with `overrides`
    ((text, label) pairs, as api.train takes them), written into `run_dir`. With `prune`, the trial reports
    `metric` (an Epoch event) after epoch `min_epochs` and every `every` epochs after it, and waits for the
    answer (`answer`: go on, or stop at this epoch's end), so that it stops at the epoch the pruner decided on.
    Without `pictures` (a sweep's default) its run folder has no .png: the sweep's pictures show the trials, and drawing a trial's took a third of a small one's
    time."""

    trial: int
    run_dir: str
    config: str
    overrides: list[tuple[str, str]]
    score: str = "train"
    k: int | None = None
    device: str = "auto"
    metric: str = "val_loss"
    prune: bool = False
    min_epochs: int = 1
    every: int = 1
    pictures: bool = False


@dataclass
class Epoch:
    """A pruning trial's monitored value after an epoch (`step`, 1-based)."""

    trial: int
    step: int
    value: float


@dataclass
class Finished:
    """A trial's run ended: its status (completed, interrupted, diverged, failed), metrics.json's content, and
    the error of a failed one ("Type: message")."""

    trial: int
    status: str
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    stopped_by: str | None = None


@dataclass
class Lost:
    """A trial whose worker died before it could say how the trial ended (`why`: its exit)."""

    trial: int
    why: str


Event = Epoch | Finished | Lost


class Executor(Protocol):
    slots: int

    def prepare(self, trials: int) -> None: ...  # get ready to run `trials` at once, before the first is asked
    def free(self) -> int: ...
    def start(self, job: Job) -> None: ...
    def events(self, timeout: float) -> list[Event]: ...
    def answer(self, trial: int, stop: str | None) -> None: ...
    def cancel(self, grace: float) -> list[Event]: ...
    def close(self) -> None: ...


@dataclass
class _Worker:
    process: subprocess.Popen
    channel: Channel
    ready: bool = False
    backend: str | None = None  # what it imported Keras with before its first trial (said when ready)
    trial: int | None = None  # the trial it runs, None when idle
    trials: int = 0  # trials it has run
    rss_mb: float = 0.0
    first_rss_mb: float = 0.0  # after its first trial: the baseline its growth is measured from


class LocalExecutor:
    """`slots` worker processes (`python -m nnrun.sweep.worker`), started by `prepare` (or when first needed) and
    kept across trials, so that Keras is imported, and jax's compiled steps cached, once per worker. With a
    `backend`, each worker imports Keras with it (on `device`) as it starts, while the driver reads the study.
    A worker is replaced after `max_trials` trials, or when its memory has grown by more than `max_growth_mb`
    since its first trial, so that a long sweep's memory stays flat. Their standard error goes to `log`
    (appended)."""

    def __init__(
        self,
        slots: int,
        log: Path,
        max_trials: int = 50,
        max_growth_mb: float = 500.0,
        backend: str | None = None,
        device: str = "auto",
    ):
        self.slots = slots
        self.log = log
        self.backend, self.device = backend, device
        self.max_trials = max_trials
        self.max_growth_mb = max_growth_mb
        self.workers: list[_Worker] = []
        self._pending: list[Event] = []

    # --- the boundary ---

    def prepare(self, trials: int) -> None:
        """Start the workers for `trials` at once (at most `slots`), so that they import Keras before the first
        trial is asked."""
        while len(self.workers) < min(trials, self.slots):
            self._spawn()

    def free(self) -> int:
        return self.slots - sum(w.trial is not None for w in self.workers)

    def start(self, job: Job) -> None:
        worker = next((w for w in self.workers if w.trial is None), None) or self._spawn()
        worker.trial = job.trial
        try:
            worker.channel.send({"job": asdict(job)})
        except OSError:  # it died while idle: this trial is lost with it (events() says so)
            pass

    def events(self, timeout: float) -> list[Event]:
        out, self._pending = self._pending, []
        if out:
            timeout = 0.0
        fds = {w.channel.fd_in: w for w in self.workers}
        if fds:
            ready, _, _ = select.select(list(fds), [], [], timeout)
            for fd in ready:
                fds[fd].channel._read()
        elif timeout:
            time.sleep(timeout)
        for worker in list(self.workers):
            for message in worker.channel.poll():
                out.extend(self._event(worker, message))
            if worker not in self.workers:  # retired after its trial
                continue
            if worker.channel.closed or worker.process.poll() is not None:
                out.extend(self._lose(worker))
        return out

    def answer(self, trial: int, stop: str | None) -> None:
        """Answer a trial waiting after an Epoch event: None goes on; a reason stops it at this epoch's end."""
        for worker in self.workers:
            if worker.trial == trial:
                try:
                    worker.channel.send({"stop": stop} if stop else {"go": True})
                except OSError:
                    pass

    def cancel(self, grace: float = 10.0) -> list[Event]:
        """Stop every running trial: SIGINT asks each at once to stop at its epoch's end (the run is recorded
        `interrupted`); those still running after `grace` seconds, or all on a KeyboardInterrupt while
        waiting, are killed. Returns what was heard meanwhile (Finished, or Lost for the killed)."""
        busy = [w for w in self.workers if w.trial is not None]
        for worker in busy:
            _signal(worker, signal.SIGINT)
        heard: list[Event] = []
        deadline = time.monotonic() + grace
        try:
            while any(w.trial is not None for w in self.workers) and time.monotonic() < deadline:
                for event in self.events(0.1):
                    if isinstance(event, Epoch):  # a pruning trial waiting for its answer: it is to stop
                        self.answer(event.trial, "the sweep was stopped")
                    else:
                        heard.append(event)
        except KeyboardInterrupt:
            pass
        for worker in list(self.workers):
            if worker.trial is not None:
                _signal(worker, signal.SIGKILL)
                worker.process.wait()
                heard.extend(self._lose(worker))
        return heard

    def close(self) -> None:
        for worker in self.workers:
            try:
                worker.channel.send({"exit": True})
            except OSError:
                pass
        for worker in self.workers:
            try:
                worker.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
            _close_fds(worker)
        self.workers = []

    # --- workers ---

    def _spawn(self) -> _Worker:
        warm = ["--backend", self.backend, "--device", self.device] if self.backend else []
        with open(self.log, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "nnrun.sweep.worker", *warm],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,  # the terminal's Ctrl-C reaches the driver only
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        worker = _Worker(process, Channel(process.stdout.fileno(), process.stdin.fileno()))
        self.workers.append(worker)
        return worker

    def _event(self, worker: _Worker, message: dict[str, Any]) -> list[Event]:
        kind = message.get("event")
        if kind == "ready":
            worker.ready, worker.backend = True, message.get("backend")
            return []
        if kind == "epoch":
            return [Epoch(message["trial"], message["step"], message["value"])]
        if kind == "finished":
            worker.trial, worker.trials = None, worker.trials + 1
            worker.rss_mb = message.get("rss_mb") or 0.0
            if worker.trials == 1:
                worker.first_rss_mb = worker.rss_mb
            if worker.trials >= self.max_trials or worker.rss_mb - worker.first_rss_mb > self.max_growth_mb:
                self._retire(worker)
            return [
                Finished(
                    message["trial"],
                    message["status"],
                    message.get("metrics") or {},
                    message.get("error"),
                    message.get("stopped_by"),
                )
            ]
        return []

    def _lose(self, worker: _Worker) -> list[Event]:
        """A worker that exited: its trial, if it had one, is lost; it leaves the pool."""
        worker.process.poll()
        if worker.process.returncode is None:
            worker.process.kill()
        worker.process.wait()
        code = worker.process.returncode
        self.workers.remove(worker)
        _close_fds(worker)
        if worker.trial is None:
            return []
        why = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
        return [Lost(worker.trial, f"its worker process (pid {worker.process.pid}) died: {why}")]

    def _retire(self, worker: _Worker) -> None:
        try:
            worker.channel.send({"exit": True})
        except OSError:
            pass
        worker.process.wait(timeout=30)
        self.workers.remove(worker)
        _close_fds(worker)


def _signal(worker: _Worker, signum: int) -> None:
    try:
        worker.process.send_signal(signum)
    except ProcessLookupError:
        pass


def _close_fds(worker: _Worker) -> None:
    for f in (worker.process.stdin, worker.process.stdout):
        try:
            f.close()
        except OSError:
            pass
