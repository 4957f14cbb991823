"""500 executions started at once, each Pass -> ExecuteStatement -> Wait 5 s -> DescribeStatement,
run to completion on a virtual clock (Waits cost no wall time) against the real statement service
on DuckDB. Reports executions/s and state transitions (history events)/s with history persisted
in SQLite, with the in-memory store, and the bare interpreter driving the same definition with
canned task results (no runtime, no SQL), with the ratios between them.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from stepline.asl import commands as C
from stepline.clock import VirtualClock
from stepline.config import Config

N = 500
ROLE = "arn:aws:iam::123456789012:role/stepline"
DEFINITION = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Result": {"db": "dev"}, "ResultPath": "$.cfg", "Next": "Submit"},
        "Submit": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:redshiftdata:executeStatement",
                   "Parameters": {"Database": "dev", "ClusterIdentifier": "local", "DbUser": "awsuser",
                                  "Sql": "select 1 as one"},
                   # 500 at once exceed the Data API's active-statement quota: back off as on AWS
                   "Retry": [{"ErrorEquals": ["RedshiftData.ActiveStatementsExceededException"],
                              "IntervalSeconds": 1, "BackoffRate": 1.0, "MaxAttempts": 100}],
                   "Next": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Describe"},
        "Describe": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:redshiftdata:describeStatement",
                     "Parameters": {"Id.$": "$.Id"}, "End": True},
    },
}


def _statements(config: Config, clock: VirtualClock):
    from stepline.sql.service import StatementService

    return StatementService(config, clock)


def run_runtime(store: str) -> tuple[float, int]:
    from stepline.runtime import build_runtime

    with tempfile.TemporaryDirectory() as tmp:
        config = Config(data_dir=Path(tmp))
        clock = VirtualClock()
        service = _statements(config, clock)
        rt = build_runtime(config, clock=clock, store=store, statements=service)
        rt.start()
        machine = rt.api.call("CreateStateMachine", {"name": "bench", "definition": json.dumps(DEFINITION),
                                                     "roleArn": ROLE})["stateMachineArn"]
        t0 = time.perf_counter()
        arns = [rt.api.call("StartExecution", {"stateMachineArn": machine, "name": f"e{i}"})["executionArn"]
                for i in range(N)]
        assert rt.run_until_idle(timeout=600), "executions did not finish"
        elapsed = time.perf_counter() - t0
        records = [rt.service.execution(a) for a in arns]
        failed = [(r.error, r.cause) for r in records if r.status != "SUCCEEDED"]
        assert not failed, failed[:3]
        transitions = rt.service.engine.transitions
        rt.stop()
        service.close()
        return elapsed, transitions


def run_bare() -> tuple[float, int]:
    """The interpreter alone: same definition, task results fed back immediately, timers fired at once."""
    from stepline.runtime.engine import default_interpreter

    asl = default_interpreter()
    machine = asl.load(json.dumps(DEFINITION))
    now, events = 1_700_000_000.0, 0
    t0 = time.perf_counter()
    for i in range(N):
        arn = f"arn:aws:states:us-east-1:123456789012:execution:bench:e{i}"
        ctx = C.ExecutionContext(arn, f"e{i}", "arn:aws:states:us-east-1:123456789012:stateMachine:bench",
                                 "bench", now)
        ex, step = asl.start(machine, {}, ctx, now, i)
        events += len(step.events)
        while step.status == "RUNNING":
            cmd = next(c for c in step.commands if isinstance(c, (C.RunTask, C.StartTimer)))
            if isinstance(cmd, C.RunTask):
                step = ex.advance(C.TaskStarted(cmd.task_id), now)
                events += len(step.events)
                out = {"Id": f"s{i}"} if cmd.state_name == "Submit" else {"Id": f"s{i}", "Status": "FINISHED"}
                step = ex.advance(C.TaskSucceeded(cmd.task_id, out), now)
            else:
                step = ex.advance(C.TimerFired(cmd.timer_id), cmd.fire_at)
            events += len(step.events)
            ex.log_since(ex.log_length() - 1)  # the runtime stores each step's new log entries; count it here too
    return time.perf_counter() - t0, events


def main() -> None:
    rows = [("runtime, SQLite history", *run_runtime("sqlite")),
            ("runtime, in-memory store", *run_runtime("memory")),
            ("bare interpreter (no SQL)", *run_bare())]
    bare_rate = rows[2][2] / rows[2][1]
    print(f"{N} executions, each Pass + ExecuteStatement + Wait 5 s (virtual) + DescribeStatement")
    print(f"{'':28} {'seconds':>8} {'exec/s':>9} {'transitions/s':>14} {'vs bare':>8}")
    for label, seconds, transitions in rows:
        rate = transitions / seconds
        print(f"{label:28} {seconds:8.2f} {N / seconds:9.1f} {rate:14.0f} {rate / bare_rate:8.3f}")
    print(f"SQLite / in-memory transitions ratio: {(rows[0][2] / rows[0][1]) / (rows[1][2] / rows[1][1]):.2f}")


if __name__ == "__main__":
    main()
