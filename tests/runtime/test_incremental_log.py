"""The snapshot log is stored as append-only rows: a long execution writes one row per interpreter
input (never rewriting earlier ones), resumes after a restart from those rows, and a data dir
whose executions still hold whole snapshots (the layout before the log had its own table) resumes
too."""

from __future__ import annotations

import json
import sqlite3

import pytest
from runtime_helpers import ROLE, interpreter

from stepline.clock import VirtualClock
from stepline.config import Config
from stepline.runtime import build_runtime
from stepline.runtime.stores.base import Append, ExecutionRecord
from stepline.runtime.stores.memory import MemoryStore
from stepline.runtime.stores.sqlite import SqliteStore

ROUNDS = 120


def loop(rounds: int) -> dict:
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"i": 0}, "Next": "Tick"},
            "Tick": {"Type": "Wait", "Seconds": 1, "Assign": {"i": "{% $i + 1 %}"}, "Next": "Again?"},
            "Again?": {"Type": "Choice", "Default": "Done",
                       "Choices": [{"Condition": f"{{% $i < {rounds} %}}", "Next": "Tick"}]},
            "Done": {"Type": "Succeed", "Output": "{% {'rounds': $i} %}"},
        },
    }


def _runtime(tmp_path, clock, store="sqlite"):
    rt = build_runtime(Config(data_dir=tmp_path), clock=clock, store=store, interpreter=interpreter())
    resumed = rt.start()
    return rt, resumed


def _start_loop(rt) -> str:
    machine = rt.api.call("CreateStateMachine", {"name": "loop", "definition": json.dumps(loop(ROUNDS)),
                                                 "roleArn": ROLE})["stateMachineArn"]
    arn = rt.api.call("StartExecution", {"stateMachineArn": machine, "name": "long"})["executionArn"]
    assert rt.service.engine.wait_idle(30)
    return arn


def _tick(rt, rounds: int) -> None:
    """Fire the loop's Wait timer ``rounds`` times, letting each round be committed."""
    engine = rt.service.engine
    for _ in range(rounds):
        assert engine.timers.advance_to_next()
        assert engine.wait_idle(30)


def _rows(tmp_path) -> list[tuple[int, str]]:
    db = sqlite3.connect(str(tmp_path / "control.sqlite"))
    try:
        return db.execute("select seq, entry from snapshot_log order by seq").fetchall()
    finally:
        db.close()


def _header(tmp_path) -> str:
    db = sqlite3.connect(str(tmp_path / "control.sqlite"))
    try:
        return db.execute("select snapshot from executions").fetchone()[0]
    finally:
        db.close()


def _uninterrupted_history(tmp_path) -> list[tuple[str, float]]:
    rt, _ = _runtime(tmp_path / "reference", VirtualClock(), store="memory")
    arn = _start_loop(rt)
    record = rt.run_until_complete(arn, timeout=60)
    events = [(e["type"], e["timestamp"]) for e in rt.store.history(arn)]
    rt.stop()
    assert record.status == "SUCCEEDED"
    return events


def test_long_execution_appends_one_row_per_input_and_resumes_after_restart(tmp_path):
    clock = VirtualClock()
    rt, _ = _runtime(tmp_path, clock)
    arn = _start_loop(rt)
    _tick(rt, 30)
    rows_30, header_30 = _rows(tmp_path), _header(tmp_path)
    _tick(rt, 40)
    rows_70, header_70 = _rows(tmp_path), _header(tmp_path)
    rt.stop()  # the process "dies" in the middle of the loop

    # the start plus one TimerFired per round: rows grow with the rounds, the earlier ones untouched
    assert [seq for seq, _ in rows_30] == list(range(31))
    assert [seq for seq, _ in rows_70] == list(range(71))
    assert rows_70[:31] == rows_30
    assert [json.loads(entry)[:2] for _, entry in rows_70[1:]] == [["input", "TimerFired"]] * 70
    assert header_70 == header_30 and "log" not in json.loads(header_70)  # the rest is written once

    rt2, resumed = _runtime(tmp_path, clock)
    assert resumed == [arn]
    record = rt2.run_until_complete(arn, timeout=60)
    events = rt2.store.history(arn)
    assert rt2.store.log_rows(arn) == ROUNDS + 1
    rt2.stop()
    assert record.status == "SUCCEEDED" and json.loads(record.output) == {"rounds": ROUNDS}
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert [(e["type"], e["timestamp"]) for e in events] == _uninterrupted_history(tmp_path)


def test_old_format_whole_snapshot_still_resumes(tmp_path):
    clock = VirtualClock()
    rt, _ = _runtime(tmp_path, clock)
    arn = _start_loop(rt)
    _tick(rt, 25)
    whole = rt.store.load_snapshot(arn)
    rt.stop()
    assert len(whole["log"]) == 26

    # rewrite the data dir in the layout before the log had its own table: the whole snapshot,
    # log included, in executions.snapshot, and no snapshot_log table at all
    db = sqlite3.connect(str(tmp_path / "control.sqlite"))
    with db:
        db.execute("update executions set snapshot = ? where arn = ?", (json.dumps(whole), arn))
        db.execute("drop table snapshot_log")
    db.close()

    rt2, resumed = _runtime(tmp_path, clock)
    assert resumed == [arn]
    _tick(rt2, 10)
    assert [seq for seq, _ in _rows(tmp_path)] == list(range(26, 36))  # appended after the old log
    assert rt2.store.load_snapshot(arn)["log"][:26] == whole["log"]
    record = rt2.run_until_complete(arn, timeout=60)
    events = rt2.store.history(arn)
    rt2.stop()
    assert record.status == "SUCCEEDED" and json.loads(record.output) == {"rounds": ROUNDS}
    assert [(e["type"], e["timestamp"]) for e in events] == _uninterrupted_history(tmp_path)


def _record(status: str = "RUNNING") -> ExecutionRecord:
    return ExecutionRecord("arn:aws:states:us-east-1:123456789012:execution:m:a", "m", "a", status, 1.0, "{}", "{}")


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_store_appends_log_entries_and_refuses_a_position_twice(tmp_path, kind):
    store = SqliteStore(tmp_path / "c.sqlite") if kind == "sqlite" else MemoryStore()
    rec = _record()
    store.create_execution(Append(rec, [{"id": 1, "type": "ExecutionStarted"}], {"seed": 7, "log": [["start", 1]]}))
    store.append_many([Append(rec, [{"id": 2, "type": "WaitStateEntered"}], None, [["input", 2]], 1)])
    assert store.load_snapshot(rec.arn) == {"seed": 7, "log": [["start", 1], ["input", 2]]}

    with pytest.raises(ValueError):  # position 1 is stored already: the whole batch is refused
        store.append_many([Append(_record("SUCCEEDED"), [{"id": 3, "type": "WaitStateExited"}], None,
                                  [["input", 3]], 1)])
    assert store.load_snapshot(rec.arn)["log"] == [["start", 1], ["input", 2]]
    assert [e["id"] for e in store.history(rec.arn)] == [1, 2]
    assert store.get_execution(rec.arn).status == "RUNNING"

    # a whole snapshot replaces the stored log; entries given with it follow it
    store.append_many([Append(rec, [], {"seed": 7, "log": [["start", 9]]}, [["input", 10]], 1)])
    assert store.load_snapshot(rec.arn) == {"seed": 7, "log": [["start", 9], ["input", 10]]}
    assert store.log_rows(rec.arn) == 2


def test_old_format_failed_execution_redrives_and_appends_after_its_log(tmp_path):
    failing = {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 1, "Next": "Broken"},
                                              "Broken": {"Type": "Fail", "Error": "Broken", "Cause": "always"}}}
    clock = VirtualClock()
    rt, _ = _runtime(tmp_path, clock)
    machine = rt.api.call("CreateStateMachine", {"name": "f", "definition": json.dumps(failing),
                                                 "roleArn": ROLE})["stateMachineArn"]
    arn = rt.api.call("StartExecution", {"stateMachineArn": machine})["executionArn"]
    assert rt.run_until_complete(arn, timeout=30).status == "FAILED"
    whole = rt.store.load_snapshot(arn)
    rt.stop()
    db = sqlite3.connect(str(tmp_path / "control.sqlite"))
    with db:
        db.execute("update executions set snapshot = ? where arn = ?", (json.dumps(whole), arn))
        db.execute("drop table snapshot_log")
    db.close()

    rt2, resumed = _runtime(tmp_path, clock)
    assert resumed == []
    rt2.api.call("RedriveExecution", {"executionArn": arn})
    record = rt2.run_until_complete(arn, timeout=30)
    types = [e["type"] for e in rt2.store.history(arn)]
    snapshot = rt2.store.load_snapshot(arn)
    rt2.stop()
    assert record.status == "FAILED" and record.redrive_count == 1 and record.error == "Broken"
    assert types.count("ExecutionRedriven") == 1 and types[-1] == "ExecutionFailed"
    assert [seq for seq, _ in _rows(tmp_path)] == [len(whole["log"])]  # only the redrive, after the old log
    assert snapshot["log"] == [*whole["log"], ["redrive", snapshot["log"][-1][1]]]
