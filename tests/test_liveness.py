"""Telling a live `running` run from one whose process was killed outright (SIGKILL, power loss, pid reused),
on this host by its pid and on another host by its heartbeat (history.csv flushed every epoch)."""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import datetime
from pathlib import Path

import pytest
from helpers import RUN_CONFIGS as CONFIGS
from helpers import A, dead_pid, history, make_run, running_metrics

from nnrun.runs.liveness import STALE_AFTER_S, gone, heartbeat, identity
from nnrun.runs.record import read_run

HOST = socket.gethostname()
ELSEWHERE = HOST + "-elsewhere"


def run_with(tmp_path, metrics, epochs=5, age_s=0.0, started_s_ago=None):
    """A running run folder whose files were last written `age_s` seconds ago, started ten minutes before that
    unless `started_s_ago` says otherwise."""
    metrics = {**metrics, "started": _iso(time.time() - (age_s + 600 if started_s_ago is None else started_s_ago))}
    run = make_run(tmp_path / "runs", A, CONFIGS[A], metrics, history(epochs=epochs) if epochs else None)
    then = time.time() - age_s
    for name in ("metrics.json", "history.csv"):
        if (run / name).exists():
            os.utime(run / name, (then, then))
    return run


def test_identity_records_what_the_readers_check():
    me = identity()
    assert me["pid"] == os.getpid() and me["host"] == HOST
    if os.path.exists("/proc/self/stat"):  # Linux: the boot and the process's start tell a reused pid apart
        assert isinstance(me["boot_id"], str) and isinstance(me["process_start"], int)
    assert gone(me, Path(".")) is None


def test_this_process_is_alive_and_a_reaped_one_is_gone(tmp_path):
    assert gone({**identity()}, tmp_path) is None
    reason = gone({"pid": dead_pid(), "host": HOST}, tmp_path)
    assert reason and "is gone: it was killed or the machine stopped" in reason


def test_a_live_pid_that_started_at_another_time_is_a_reused_pid(tmp_path):
    me = identity()
    if "process_start" not in me:
        pytest.skip("no /proc: only the pid can be checked")
    reason = gone({**me, "process_start": me["process_start"] + 1}, tmp_path)
    assert reason and "now belongs to another process" in reason


def test_a_run_from_an_earlier_boot_of_this_machine_is_gone(tmp_path):
    me = identity()
    if "boot_id" not in me:
        pytest.skip("no /proc: the boot cannot be told")
    reason = gone({**me, "boot_id": "00000000-0000-0000-0000-000000000000"}, tmp_path)
    assert reason and "the machine has restarted since" in reason


def test_another_hosts_run_is_believed_while_its_heartbeat_is_recent(tmp_path):
    run = run_with(tmp_path, running_metrics(pid=dead_pid(), host=ELSEWHERE), age_s=STALE_AFTER_S - 60)
    assert read_run(run).status == "running"


def test_another_hosts_run_without_a_heartbeat_for_long_is_crashed(tmp_path):
    # 5 epochs in its first 10 minutes: two minutes an epoch, so the 30 minutes apply
    run = run_with(tmp_path, running_metrics(pid=12345, host=ELSEWHERE), age_s=2 * 3600 + 300)
    record = read_run(run)
    assert record.status == "crashed"
    assert record.warning == (
        f"says running, but its process (pid 12345 on {ELSEWHERE}) has sent no heartbeat for "
        f"2 h 05 min (its pid cannot be checked from this host, {HOST})"
    )
    assert record.metrics["epochs_run"] == 5


def test_long_epochs_on_another_host_stretch_the_wait(tmp_path):
    # 3 epochs in the 6 hours before its last heartbeat: 2 h an epoch, so 3 h of silence is not yet a crash
    metrics = running_metrics(pid=12345, host=ELSEWHERE)
    run = run_with(tmp_path, metrics, epochs=3, age_s=3 * 3600, started_s_ago=9 * 3600)
    metrics = json.loads((run / "metrics.json").read_text())
    assert heartbeat(run) is not None and read_run(run).status == "running"
    assert gone(metrics, run, now=time.time() + 18 * 3600) is not None  # ten epochs' time: it is gone


def test_a_kfold_runs_heartbeat_is_its_newest_fold(tmp_path):
    run = run_with(tmp_path, running_metrics(pid=12345, host=ELSEWHERE), epochs=0, age_s=5 * 3600)
    fold = run / "fold-2"
    fold.mkdir()
    (fold / "history.csv").write_text("epoch,loss\n1,0.5\n")
    assert abs(heartbeat(run) - time.time()) < 60
    assert read_run(run).status == "running"


@pytest.mark.parametrize(
    "who",
    [{}, {"pid": "123", "host": HOST}, {"pid": True, "host": HOST}, {"pid": 5}],
    ids=["none", "pid-text", "pid-bool", "no-host"],
)
def test_a_run_whose_process_cannot_be_checked_is_judged_by_its_heartbeat(tmp_path, who):
    metrics = {**{k: v for k, v in running_metrics(pid=1, host=HOST).items() if k not in ("pid", "host")}, **who}
    assert read_run(run_with(tmp_path, metrics, age_s=60)).status == "running"
    stale = read_run(run_with(tmp_path / "old", metrics, age_s=10 * 3600))
    assert stale.status == "crashed" and "has sent no heartbeat for 10 h 00 min" in stale.warning


def test_show_gives_a_running_runs_heartbeat(cli, tmp_path):
    run = run_with(tmp_path, {**running_metrics(pid=os.getpid(), host=HOST), **identity()}, age_s=3600 + 30)
    lines = cli("show", run).stdout.splitlines()
    [line] = [line for line in lines if line.startswith("heartbeat: ")]
    assert line.endswith("(1 h 00 min ago)")
    assert "heartbeat" not in json.dumps(json.loads((run / "metrics.json").read_text()))  # a file time, not a write


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds).astimezone().isoformat(timespec="seconds")


@pytest.mark.parametrize(
    "torn",
    ["6,0.16", "6,0.1\n", "6,0.1,0.2,0.3,0.4,0.5\n", "6,0.1,0.2,0.3,0.4\n6,0"],
    ids=["no-newline", "too-few-cells", "too-many-cells", "cut-after-a-full-line"],
)
def test_a_crashed_runs_torn_history_line_is_not_counted(tmp_path, torn):
    run = run_with(tmp_path, running_metrics(pid=dead_pid(), host=HOST), epochs=5)
    with open(run / "history.csv", "a") as f:  # the writer died in the middle of epoch 6's line
        f.write(torn)
    expected = 6 if torn.startswith("6,0.1,0.2,0.3,0.4\n") else 5
    record = read_run(run)
    assert record.status == "crashed" and record.metrics["epochs_run"] == expected
