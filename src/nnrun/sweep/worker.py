"""A sweep's worker process: runs one trial after another through the quiet API, importing Keras once.

Started by the local executor as `python -m nnrun.sweep.worker [--backend jax] [--device auto]`: with a backend,
it imports Keras with it (and what a trial imports after it) before it says it is ready, so that the first trial
does not wait for the imports, which overlap the driver's start instead. It reads jobs (executor.Job as JSON) on
standard input and answers on the standard output it had at start, which is then pointed at standard error
so that nothing a library prints can break a message. Messages it sends:

    {"event": "ready", "pid": 123, "backend": "jax"}                 backend: what it imported Keras with (or null)
    {"event": "epoch", "trial": 3, "step": 12, "value": 0.41}        only for jobs with `prune`
    {"event": "finished", "trial": 3, "status": "completed", "metrics": {...}, "error": null, "rss_mb": 812}

and it obeys {"job": {...}}, {"stop": "reason"} (stop the running trial at its epoch's end) and {"exit": true}.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from nnrun.sweep.channel import Channel


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux /proc; 0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        return 0.0


def run_job(job: dict[str, Any], channel: Channel) -> dict[str, Any]:
    """Run one trial; return its `finished` message."""
    from nnrun import api

    def on_epoch(epoch: dict[str, Any]) -> str | None:
        if channel.poll() == [] and channel.closed:  # the driver is gone (killed): stop, recorded interrupted
            return "the sweep's driver stopped"
        step = epoch["epoch"]
        due = step >= job["min_epochs"] and (step - job["min_epochs"]) % job["every"] == 0
        if not (job["prune"] and due and epoch["fold"] in (None, 1)):  # a k-fold trial: judged on its first fold
            return None
        value = epoch["logs"].get(job["metric"])
        if value is None:
            return None
        channel.send({"event": "epoch", "trial": job["trial"], "step": step, "value": value})
        answer = channel.recv()  # the pruner's decision, before the next epoch starts
        if answer is None:
            return "the sweep's driver stopped"
        return answer.get("stop")

    overrides = [tuple(o) for o in job["overrides"]]
    common = {
        "overrides": overrides,
        "run_dir": Path(job["run_dir"]),
        "device": job["device"],
        "on_epoch": on_epoch,
        "pictures": job.get("pictures", False),
    }
    try:
        if job["score"] == "kfold":
            outcome = api.kfold(job["config"], k=job.get("k"), **common)
        else:
            outcome = api.train(job["config"], **common)
    except Exception as error:  # noqa: BLE001 - bad input for this trial's values: the trial fails, not the worker
        return {
            "event": "finished",
            "trial": job["trial"],
            "status": "failed",
            "metrics": {},
            "error": f"{type(error).__name__}: {error}",
            "traceback": traceback.format_exc(),
        }
    error = outcome.error
    stopped_by = outcome.metrics.get("interrupted_by") if outcome.status == "interrupted" and error is None else None
    return {
        "event": "finished",
        "trial": job["trial"],
        "status": outcome.status,
        "metrics": outcome.metrics,
        "error": None if error is None else f"{type(error).__name__}: {error}".splitlines()[0],
        "stopped_by": stopped_by if stopped_by and stopped_by.startswith("pruned") else None,
    }


def _die_with_the_driver() -> None:
    """Ask Linux to send SIGTERM to this worker when its driver dies (prctl PR_SET_PDEATHSIG), so that a killed
    driver leaves no worker training on: SIGTERM stops the trial at its epoch's end, recorded interrupted.
    Elsewhere, the worker notices at its next epoch that the driver's pipe has closed."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the driver died before the call
            os.kill(os.getpid(), signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def warm_up(backend: str, device: str) -> bool:
    """Import Keras with `backend` on `device`, and the modules every trial imports next (Keras's models and
    layers, nnrun's training loop). A failure here is left for the first trial to meet and report as its own
    error. Says whether Keras is imported."""
    try:
        from nnrun.engine.backend import activate, freeze_imports

        activate(backend, device)
        import nnrun.engine.kfold  # noqa: F401

        freeze_imports()  # what the imports after Keras's added, too
        return True
    except Exception:  # noqa: BLE001 - the trial that needs it will fail with the message
        traceback.print_exc()
        return False


def main(argv: list[str] | None = None) -> None:
    _die_with_the_driver()
    import argparse

    parser = argparse.ArgumentParser(prog="python -m nnrun.sweep.worker")
    parser.add_argument("--backend", help="import Keras with this backend before the first job")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    protocol_out = os.dup(1)
    os.dup2(2, 1)  # what Keras, jax or a callback prints goes to the worker's log, never into a message
    sys.stdout = os.fdopen(1, "w", buffering=1)
    channel = Channel(0, protocol_out)
    warm = bool(args.backend) and warm_up(args.backend, args.device)
    channel.send({"event": "ready", "pid": os.getpid(), "backend": args.backend if warm else None})
    while True:
        message = channel.recv()
        if message is None or message.get("exit"):
            return
        if "job" not in message:
            continue  # a stop for a trial that has just finished
        result = run_job(message["job"], channel)
        _release()
        result["rss_mb"] = rss_mb()
        try:
            channel.send(result)
        except OSError:  # the driver is gone: the trial's folder says how it ended
            return


def _release() -> None:
    """Free the last trial's model, optimizer and compiled functions before the next trial builds its own."""
    if "keras" in sys.modules:
        sys.modules["keras"].backend.clear_session()
    gc.collect()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # the driver stops an idle worker with SIGINT only when the sweep is cancelled
        pass
