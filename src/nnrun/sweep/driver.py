"""The search: Optuna proposes each trial's values (ask), an executor runs the trial, Optuna hears its score
(tell). The study lives in the sweep folder's `study.journal`, so a stopped sweep resumes where it was.

Trial states (trials.csv, metrics.json `states`): completed (scored), pruned (stopped by early_terminate),
failed (an error, or its worker died), diverged (NaN loss), interrupted (Ctrl-C: run again on resume),
running. `trials` counts the finished ones: completed, pruned, failed and diverged.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from nnrun.runs.folder import now_iso
from nnrun.sweep.executor import Epoch, Executor, Finished, Job, Lost
from nnrun.sweep.folder import FINISHED, SweepFolder, TrialRecord, mark_stopped, trial_dir


class Space(Protocol):
    """The search space as the driver needs it (sweep/space.py builds it from the sweep file)."""

    parameters: list[str]  # the parameter paths, in the sweep file's order

    def distributions(self) -> dict[str, Any]: ...  # Optuna's distributions, by path
    def grid(self) -> list[dict[str, Any]] | None: ...  # every grid point (Optuna params), or None
    def values(self, params: dict[str, Any]) -> dict[str, Any]: ...  # Optuna params -> the config values
    def overrides(self, values: dict[str, Any]) -> list[tuple[str, str]]: ...  # -> (--set text, label)


@dataclass
class Plan:
    """Everything the driver needs to know about a sweep (from the resolved sweep file)."""

    name: str
    config: Path  # the base config
    method: str  # grid | random | tpe
    metric: str  # val_<m>
    goal: str  # minimize | maximize
    trials: int
    parallel: int
    seed: int
    score: str  # train | kfold
    space: Space
    k: int | None = None  # the folds of score: kfold (None: the base config's)
    pruner: str | None = None  # median | hyperband
    min_epochs: int = 1
    max_epochs: int = 100  # hyperband's largest budget: the base config's epochs
    device: str = "auto"
    max_failures: int = 5  # failed trials in a row that stop the sweep
    backend: str | None = None  # the base config's, when every trial trains with it (None: `backend` is searched)


@dataclass
class Progress:
    """Who hears about the sweep as it goes (the command line prints; tests collect)."""

    trial_started: Callable[[TrialRecord], None] = lambda record: None
    trial_finished: Callable[[TrialRecord, TrialRecord | None], None] = lambda record, best: None
    tick: Callable[[dict[str, Any]], None] = lambda counts: None
    stopping: Callable[[int], None] = lambda running: None  # Ctrl-C: the running trials are being stopped


@dataclass
class Result:
    status: str  # completed | interrupted | failed
    records: list[TrialRecord]
    best: TrialRecord | None
    message: str = ""  # why a sweep stopped before its trials ran (failed)
    folder: Path | None = None
    summary: dict[str, Any] = field(default_factory=dict)


def score_of(metrics: dict[str, Any], metric: str, score: str) -> float | None:
    """A finished trial's score: its final validation value of `metric` (val_<m>): metrics.json
    `validation[m]` of a train run, `validation_mean[m]` of a k-fold run; None when absent or not finite."""
    scores = metrics.get("validation_mean" if score == "kfold" else "validation") or {}
    value = scores.get(metric.removeprefix("val_"))
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


class Driver:
    def __init__(
        self,
        plan: Plan,
        folder: SweepFolder,
        executor: Executor,
        progress: Progress | None = None,
        draw: Callable[[Path, bool, bool], bool | None] | None = None,
    ):
        """`draw(folder, final, idle)` draws the sweep's pictures; while the sweep runs (final False) it is asked
        again after every turn of the loop until it says it drew (True), once trials have finished since it last
        did; `idle`: no trial is left to start and a worker waits (a core is free)."""
        self.plan, self.folder, self.executor = plan, folder, executor
        self.progress = progress or Progress()
        self.draw = draw
        self.undrawn = False  # a trial finished since the pictures were last drawn
        self.records: dict[int, TrialRecord] = {}
        self.running: dict[int, Any] = {}  # trial number -> optuna Trial
        self.started_at: dict[int, float] = {}  # trial number -> time.monotonic() when it was handed to the executor
        self.failures_in_row = 0
        self.stop_message = ""
        self.last_value: dict[int, float] = {}  # each pruning trial's last reported value: a pruned trial's score
        self.cancelled: str | None = None  # the signal that stopped the sweep
        self.started = now_iso()

    # --- the study ---

    def _study(self):
        import optuna
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        fresh = not self.folder.journal().exists()  # before the backend makes the file
        storage = JournalStorage(JournalFileBackend(str(self.folder.journal())))
        existing = 0 if fresh else len(optuna.load_study(study_name=self.plan.name, storage=storage).trials)
        # The sampler's seed moves on with the trials already asked, so a resumed sweep proposes new values
        # rather than the first ones again; from the start, the same seed proposes the same trials.
        seed = self.plan.seed + existing
        sampler = (
            optuna.samplers.TPESampler(seed=seed)
            if self.plan.method == "tpe"
            else optuna.samplers.RandomSampler(seed=seed)
        )
        if self.plan.pruner == "median":
            pruner = optuna.pruners.MedianPruner(
                n_startup_trials=min(5, max(1, self.plan.trials // 4)), n_warmup_steps=self.plan.min_epochs
            )
        elif self.plan.pruner == "hyperband":
            pruner = optuna.pruners.HyperbandPruner(
                min_resource=self.plan.min_epochs, max_resource=self.plan.max_epochs
            )
        else:
            pruner = optuna.pruners.NopPruner()
        study = optuna.create_study(
            storage=storage,
            study_name=self.plan.name,
            direction=self.plan.goal,
            sampler=sampler,
            pruner=pruner,
            load_if_exists=True,
        )
        if fresh:
            for point in self.plan.space.grid() or []:
                study.enqueue_trial(point)
        return study

    def _recover(self, study) -> None:
        """Read back the trials of an earlier run of this sweep: a trial still `running` in the journal (its
        driver was killed) is marked interrupted, in the journal and in its folder, and queued again."""
        from optuna.trial import TrialState

        for trial in study.get_trials(deepcopy=False):
            if trial.state == TrialState.WAITING:
                continue
            # The state nnrun gave it (set before every tell); a trial without one was running when its driver
            # was killed: it ends now, interrupted (FAIL for Optuna), and is queued again.
            state = trial.user_attrs.get("state") or (
                "completed"
                if trial.state == TrialState.COMPLETE
                else "pruned"
                if trial.state == TrialState.PRUNED
                else "interrupted"
            )
            if trial.state == TrialState.RUNNING:
                mark_stopped(self.folder.path / trial_dir(trial.number), "interrupted", "the sweep stopped")
                study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
                study.enqueue_trial(trial.params)
                state = "interrupted"
            self.records[trial.number] = TrialRecord(
                trial.number,
                state,
                self.plan.space.values(trial.params),
                score=trial.value if trial.state in (TrialState.COMPLETE, TrialState.PRUNED) else None,
                epochs_run=trial.user_attrs.get("epochs_run"),
                duration_s=trial.user_attrs.get("duration_s"),
                fit_s=trial.user_attrs.get("fit_s"),
                wall_s=trial.user_attrs.get("wall_s"),
                error=trial.user_attrs.get("error"),
            )

    # --- the loop ---

    def run(self) -> Result:
        # The workers first: they import Keras while the study is read (the driver has no use for Keras).
        self.executor.prepare(self._remaining())
        study = self._study()
        self._recover(study)
        distributions = self.plan.space.distributions()
        status = "completed"
        self._write("running")
        with self._signals():
            try:
                while not self.cancelled:
                    finished = self._finished()
                    if not self.running and (finished >= self.plan.trials or self.stop_message):
                        break
                    while (
                        self.executor.free() > 0
                        and not self.stop_message
                        and not self.cancelled
                        and finished + len(self.running) < self.plan.trials
                    ):
                        self._start(study.ask(distributions))
                    # Between trials started and heard, so no worker waits for the pictures; at once when no
                    # trial is left to start and a worker is idle: its core draws, and warms matplotlib for
                    # the end's drawing.
                    self._draw(idle=finished + len(self.running) >= self.plan.trials and self.executor.free() > 0)
                    for event in self.executor.events(timeout=0.5):
                        self._hear(study, event)
                    self.progress.tick(self._counts())
                if self.cancelled and self.running:
                    status = "interrupted"
                    self.progress.stopping(len(self.running))
                    for event in self.executor.cancel(grace=10.0):  # a second Ctrl-C in here: killed at once
                        self._hear(study, event, cancelled=True)
                elif self.cancelled and self._finished() < self.plan.trials:
                    status = "interrupted"
            finally:
                self.executor.close()
                for number in list(self.running):  # none should be left; any that is was stopped with the sweep
                    self._end(study, number, "interrupted", error=None, metrics={})
            if self.stop_message and status == "completed":
                status = "failed"
            records = sorted(self.records.values(), key=lambda r: r.number)
            if status == "completed" and not any(r.state == "completed" for r in records):
                status = "failed"
                self.stop_message = "no trial completed, so there is no best trial: " + _why_none(records)
            self._write(status, final=True)
        from nnrun.sweep.folder import best_record

        return Result(status, records, best_record(records, self.plan.goal), self.stop_message, self.folder.path)

    @contextmanager
    def _signals(self):
        """Ctrl-C and SIGTERM set `cancelled`, which the loop reads between two steps (so no journal or file is
        left half-written); a second one raises KeyboardInterrupt, which stops the waiting for the running
        trials and kills them."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handle(signum, frame):
            if self.cancelled:
                raise KeyboardInterrupt
            self.cancelled = signal.Signals(signum).name

        previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _remaining(self) -> int:
        """Trials still to run, as the folder's metrics.json counts them before the study is read (all, if none)."""
        try:
            states = self.folder.metrics().get("states") or {}
        except Exception:  # noqa: BLE001 - a new sweep has none yet
            states = {}
        return max(0, self.plan.trials - sum(states.get(state) or 0 for state in FINISHED))

    def _finished(self) -> int:
        return sum(r.state in FINISHED for r in self.records.values())

    def _counts(self) -> dict[str, Any]:
        from nnrun.sweep.folder import STATES, best_record

        counts = {state: sum(r.state == state for r in self.records.values()) for state in STATES}
        return {
            **counts,
            "finished": self._finished(),
            "planned": self.plan.trials,
            "best": best_record(list(self.records.values()), self.plan.goal),
        }

    def _start(self, trial) -> None:
        plan = self.plan
        values = plan.space.values(trial.params)
        overrides = plan.space.overrides(values)
        if "seed" not in values:  # every trial from the sweep's seed: trials differ by their parameters only
            overrides.append((f"seed={plan.seed}", "the sweep's seed"))
        job = Job(
            trial.number,
            str(self.folder.path / trial_dir(trial.number)),
            str(plan.config),
            overrides,
            plan.score,
            plan.k,
            plan.device,
            plan.metric,
            prune=plan.pruner is not None,
            min_epochs=plan.min_epochs,
            every=report_every(plan),
        )
        self.records[trial.number] = record = TrialRecord(trial.number, "running", values)
        self.running[trial.number] = trial
        self.started_at[trial.number] = time.monotonic()
        self.executor.start(job)
        self._write("running")
        self.progress.trial_started(record)

    def _hear(self, study, event, cancelled: bool = False) -> None:
        if isinstance(event, Epoch):
            trial = self.running.get(event.trial)
            if trial is None:
                return
            trial.report(event.value, event.step)
            self.last_value[event.trial] = event.value
            stop = None
            if not cancelled and trial.should_prune():
                stop = (
                    f"pruned by the sweep ({self.plan.pruner}) after epoch {event.step}: {self.plan.metric} "
                    f"{event.value:.4g} fell behind the other trials at that epoch"
                )
            self.executor.answer(event.trial, stop)
            return
        if isinstance(event, Lost):
            state = "interrupted" if cancelled else "failed"
            mark_stopped(self.folder.path / trial_dir(event.trial), state, event.why)
            self._end(study, event.trial, state, error=event.why, metrics={})
            return
        assert isinstance(event, Finished)
        state = {"completed": "completed", "diverged": "diverged", "failed": "failed"}.get(event.status, "interrupted")
        if event.status == "interrupted" and event.stopped_by and not cancelled:
            state = "pruned"
        score = None
        error = event.error
        if state == "completed":
            score = score_of(event.metrics, self.plan.metric, self.plan.score)
            if score is None:
                state, error = "failed", f"its metrics.json has no finite {self.plan.metric}"
        elif state == "pruned":
            score = self.last_value.get(event.trial)  # the value it was pruned with (Optuna keeps it too)
        self._end(study, event.trial, state, error=error, metrics=event.metrics, score=score)

    def _end(
        self, study, number: int, state: str, error: str | None, metrics: dict[str, Any], score: float | None = None
    ) -> None:
        from optuna.trial import TrialState

        trial = self.running.pop(number)
        started = self.started_at.pop(number, None)
        record = self.records[number]
        record.state, record.score, record.error = state, score, error
        record.epochs_run = metrics.get("epochs_run") or _kfold_epochs(metrics)
        record.duration_s, record.fit_s = metrics.get("duration_s"), _fit_s(metrics)
        record.wall_s = round(time.monotonic() - started, 3) if started is not None else None
        for key, value in (
            ("state", state),
            ("error", error),
            ("epochs_run", record.epochs_run),
            ("duration_s", record.duration_s),
            ("fit_s", record.fit_s),
            ("wall_s", record.wall_s),
        ):
            if value is not None:
                trial.set_user_attr(key, value)
        if state == "completed":
            study.tell(trial, score)
        else:
            study.tell(trial, state=TrialState.PRUNED if state == "pruned" else TrialState.FAIL)
        if state == "interrupted":
            study.enqueue_trial(trial.params)  # a resumed sweep runs it again, with the same values
        if state == "failed":
            self.failures_in_row += 1
            if self.failures_in_row >= self.plan.max_failures and not self.stop_message:
                traceback = self.folder.path / trial_dir(number) / "error.txt"
                see = f" (see {trial_dir(number)}/error.txt)" if traceback.exists() else ""
                self.stop_message = (
                    f"{self.failures_in_row} trials failed in a row, so the sweep stopped; the last, "
                    f"trial {number}: {error}{see}"
                )
        elif state in ("completed", "pruned", "diverged"):
            self.failures_in_row = 0
        self._write("running")
        counts = self._counts()
        self.progress.trial_finished(record, counts["best"])

    def _write(self, status: str, final: bool = False) -> None:
        plan = self.plan
        summary = {
            "status": status,
            "name": plan.name,
            "started": self.started,
            "method": plan.method,
            "metric": {"name": plan.metric, "goal": plan.goal},
            "score": plan.score,
            "trials": plan.trials,
            "parallel": plan.parallel,
            "seed": plan.seed,
            "parameters": plan.space.parameters,
        }
        if status != "running":
            summary.update(finished=now_iso(), duration_s=self.folder.clock.seconds())
        if self.stop_message:
            summary["stopped_because"] = self.stop_message
        self.folder.write(summary, list(self.records.values()), plan.space.parameters)
        if any(r.state in FINISHED for r in self.records.values()):
            self.undrawn = True
            if final:
                self._draw(final=True)

    def _draw(self, final: bool = False, idle: bool = False) -> None:
        if self.draw is None or not self.undrawn:
            return
        try:
            if self.draw(self.folder.path, final, idle) is not False:
                self.undrawn = False
        except Exception:  # noqa: BLE001 - a picture that cannot be drawn must not stop the search
            self.undrawn = False


def _why_none(records: list[TrialRecord]) -> str:
    """What the trials of a sweep without a completed one came to: 'trial 0 failed: ..., trial 1 diverged'."""
    return "; ".join(f"trial {r.number} {r.state}" + (f": {r.error}" if r.error else "") for r in records[:3]) + (
        "; ..." if len(records) > 3 else ""
    )


def report_every(plan: Plan) -> int:
    """How often a pruning trial reports its value: every epoch up to 100 epochs past min_epochs, then about 100
    times in all (each report waits for the pruner's answer, about a millisecond)."""
    return max(1, (plan.max_epochs - plan.min_epochs) // 100)


def _kfold_epochs(metrics: dict[str, Any]) -> int | None:
    folds = metrics.get("folds") or []
    runs = [f.get("epochs_run") for f in folds if f.get("epochs_run") is not None]
    return sum(runs) if runs else None


def _fit_s(metrics: dict[str, Any]) -> float | None:
    """The seconds a trial spent in Keras's fit: a train run's fit_s, or the sum over a k-fold run's folds (and
    its refit); None when no part says."""
    if "fit_s" in metrics:
        return metrics["fit_s"]
    parts = [f.get("fit_s") for f in metrics.get("folds") or []] + [(metrics.get("final") or {}).get("fit_s")]
    parts = [p for p in parts if isinstance(p, (int, float))]
    return round(sum(parts), 3) if parts else None
