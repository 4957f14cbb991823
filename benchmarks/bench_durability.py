"""One long execution: a loop of ``ITERATIONS`` Wait 0 s -> Choice rounds (each round is one timer
input to the interpreter, so one snapshot log entry and one store commit) run on a virtual clock,
persisted to SQLite (synchronous=FULL) and, for comparison, in the in-memory store.

Reports wall time, the bytes the process handed to write(2) during the run (/proc/self/io
``wchar``: WAL pages and their fsync'd commits), the stored rows and payload, and the time to
restore the execution from its stored snapshot. The same loop at ``SHORT`` rounds gives the
per-round cost at two lengths: a ratio near 1 means writes grow linearly with the execution's
length (rewriting the whole log each commit made it grow with the length squared).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from pathlib import Path

from stepline.clock import VirtualClock
from stepline.config import Config

ITERATIONS = 5_000
SHORT = 1_000
ROLE = "arn:aws:iam::123456789012:role/stepline"


def definition(rounds: int) -> dict:
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"i": 0}, "Next": "Tick"},
            "Tick": {"Type": "Wait", "Seconds": 0, "Assign": {"i": "{% $i + 1 %}"}, "Next": "Again?"},
            "Again?": {"Type": "Choice", "Default": "Done",
                       "Choices": [{"Condition": f"{{% $i < {rounds} %}}", "Next": "Tick"}]},
            "Done": {"Type": "Succeed", "Output": "{% {'rounds': $i} %}"},
        },
    }


def _written() -> int:
    """Bytes this process has passed to write(2) so far (0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(store: str, rounds: int) -> dict:
    from stepline.runtime import build_runtime

    with tempfile.TemporaryDirectory() as tmp:
        config = Config(data_dir=Path(tmp))
        rt = build_runtime(config, clock=VirtualClock(), store=store)
        rt.start()
        machine = rt.api.call("CreateStateMachine", {"name": "loop", "definition": json.dumps(definition(rounds)),
                                                     "roleArn": ROLE})["stateMachineArn"]
        written, t0 = _written(), time.perf_counter()
        arn = rt.api.call("StartExecution", {"stateMachineArn": machine, "name": "long"})["executionArn"]
        assert rt.run_until_idle(timeout=1800), "the loop did not finish"
        seconds, written = time.perf_counter() - t0, _written() - written
        record = rt.service.execution(arn)
        assert record.status == "SUCCEEDED" and json.loads(record.output) == {"rounds": rounds}, record
        events = len(rt.store.history(arn))
        log_rows = rt.store.log_rows(arn)
        t1 = time.perf_counter()
        snapshot = rt.store.load_snapshot(arn)
        rt.service.engine.interpreter.restore(rt.service.load(record.definition), snapshot)
        restore_seconds = time.perf_counter() - t1
        rt.stop()
        payload = 0
        if store == "sqlite":
            db = sqlite3.connect(str(Path(tmp) / "control.sqlite"))
            payload = db.execute("select coalesce(sum(length(entry)), 0) from snapshot_log").fetchone()[0]
            payload += db.execute("select coalesce(sum(length(snapshot)), 0) from executions").fetchone()[0]
            db.close()
        return {"seconds": seconds, "written": written, "events": events, "log_rows": log_rows,
                "payload": payload, "restore": restore_seconds, "log": len(snapshot["log"])}


def main() -> None:
    long_sql, long_mem = run("sqlite", ITERATIONS), run("memory", ITERATIONS)
    short_sql = run("sqlite", SHORT)
    print(f"one execution, {ITERATIONS} rounds of Wait 0 s -> Choice (virtual clock), one commit per round")
    print(f"{'':24} {'seconds':>8} {'rounds/s':>9} {'events':>7} {'log rows':>9} {'written MB':>11} "
          f"{'stored KB':>10} {'restore s':>10}")
    for label, r, n in ((f"SQLite, {ITERATIONS} rounds", long_sql, ITERATIONS),
                        (f"in-memory, {ITERATIONS} rounds", long_mem, ITERATIONS),
                        (f"SQLite, {SHORT} rounds", short_sql, SHORT)):
        print(f"{label:24} {r['seconds']:8.2f} {n / r['seconds']:9.0f} {r['events']:7} {r['log_rows']:9} "
              f"{r['written'] / 1e6:11.2f} {r['payload'] / 1e3:10.1f} {r['restore']:10.3f}")
    print(f"SQLite / in-memory wall time: {long_sql['seconds'] / long_mem['seconds']:.2f}")
    print(f"SQLite bytes written per round, {ITERATIONS} vs {SHORT} rounds: "
          f"{(long_sql['written'] / ITERATIONS) / (short_sql['written'] / SHORT):.2f} (1 = linear, "
          f"{ITERATIONS / SHORT:.0f} = quadratic)")
    print(f"stored snapshot bytes per round, {ITERATIONS} vs {SHORT} rounds: "
          f"{(long_sql['payload'] / ITERATIONS) / (short_sql['payload'] / SHORT):.2f}")
    print(f"log rows per round: {long_sql['log_rows'] / ITERATIONS:.3f} (SQLite), "
          f"{long_mem['log_rows'] / ITERATIONS:.3f} (in-memory)")


if __name__ == "__main__":
    main()
