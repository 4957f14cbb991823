"""kill -9 at random points, restart, and every execution still ends SUCCEEDED with each SQL
statement submitted exactly once (ClientToken derived from execution, state and attempt) and run
exactly once (a statement the kill interrupted runs again after the restart unless its commit
marker shows it committed)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

KILLS = 20
ROUNDS = 40



def _insert(part: int) -> str:
    """A plain insert: were it run twice, the warehouse would show two rows."""
    return f"States.Format('insert into crash_log values (\\'{{}}\\', {part})', $$.Execution.Name)"


DEFINITION = {
    "StartAt": "Setup",
    "States": {
        "Setup": {"Type": "Pass", "Result": {"db": "dev"}, "ResultPath": "$.cfg", "Next": "Both"},
        "Both": {
            "Type": "Parallel", "Next": "Pause", "ResultPath": None,
            "Branches": [{
                "StartAt": f"Insert{b}",
                "States": {
                    f"Insert{b}": {
                        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:redshiftdata:executeStatement",
                        "Parameters": {"Database": "dev", "ClusterIdentifier": "local", "DbUser": "awsuser",
                                       "Sql.$": _insert(b)},
                        "Next": f"Wait{b}"},
                    f"Wait{b}": {"Type": "Wait", "Seconds": 1, "Next": f"Check{b}"},
                    f"Check{b}": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:redshiftdata:describeStatement",
                                  "Parameters": {"Id.$": "$.Id"}, "Next": f"Done{b}?"},
                    f"Done{b}?": {"Type": "Choice", "Default": f"Wait{b}", "Choices": [
                        {"Variable": "$.Status", "StringEquals": "FINISHED", "Next": f"Ok{b}"},
                        {"Variable": "$.Status", "StringMatches": "*ED", "Next": f"Broken{b}"}]},
                    f"Ok{b}": {"Type": "Succeed"},
                    f"Broken{b}": {"Type": "Fail", "Error": "StatementFailed"},
                },
            } for b in (1, 2)],
        },
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Final"},
        "Final": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:redshiftdata:executeStatement",
                  "Parameters": {"Database": "dev", "ClusterIdentifier": "local", "DbUser": "awsuser",
                                 "Sql.$": _insert(3)},
                  "End": True},
    },
}

DRIVER = r'''
import json, sys, time
from pathlib import Path
from stepline.config import Config
from stepline.errors import SteplineError
from stepline.runtime import build_runtime
from stepline.sql.dataapi import DataApi
from stepline.sql.service import StatementService
from stepline.clock import SystemClock

data_dir, definition, names = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
config = Config(data_dir=data_dir)
clock = SystemClock()
dataapi = DataApi(StatementService(config, clock))
ddl = {"Database": "dev", "ClusterIdentifier": "local", "DbUser": "awsuser",
       "Sql": "create table if not exists crash_log (execution varchar(64), part int)"}
ddl_id = dataapi.call("ExecuteStatement", ddl)["Id"]
while dataapi.call("DescribeStatement", {"Id": ddl_id})["Status"] not in ("FINISHED", "FAILED", "ABORTED"):
    time.sleep(0.01)
rt = build_runtime(config, clock=clock, statements=dataapi)
rt.start()
machine = rt.api.call("CreateStateMachine", {"name": "crash", "definition": definition,
                                             "roleArn": "arn:aws:iam::123456789012:role/stepline"})
arns = []
for name in names:
    try:
        arns.append(rt.api.call("StartExecution", {"stateMachineArn": machine["stateMachineArn"],
                                                   "name": name})["executionArn"])
    except SteplineError as e:
        assert e.code == "ExecutionAlreadyExists", e
        arns.append(machine["stateMachineArn"].replace(":stateMachine:", ":execution:") + ":" + name)
for arn in arns:
    rt.run_until_complete(arn, timeout=60)
print(json.dumps({a: rt.service.execution(a).status for a in arns}), flush=True)
rt.stop()
'''


def _spawn(data_dir: Path, names: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-c", DRIVER, str(data_dir), json.dumps(DEFINITION), ",".join(names)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.slow
def test_sigkill_at_random_points_then_every_execution_succeeds_once(tmp_path: Path):
    rng = random.Random(int(os.environ.get("STEPLINE_CRASH_SEED", "7")))
    kills, names = 0, []
    for round_ in range(ROUNDS):
        if kills >= KILLS:
            break
        names.append(f"run{round_}")  # every round brings new work, so there is always something to kill
        proc = _spawn(tmp_path, names)
        try:
            proc.wait(timeout=rng.uniform(0.3, 2.0))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            kills += 1
            continue
        _, err = proc.communicate()
        assert proc.returncode == 0, err[-3000:]
    assert kills >= KILLS
    proc = _spawn(tmp_path, names)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    statuses = json.loads(out.strip().splitlines()[-1])
    assert len(statuses) == len(names) and set(statuses.values()) == {"SUCCEEDED"}, statuses

    # each statement of each execution ran exactly once, according to the warehouse and the statement log
    import duckdb

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    rows = con.execute("select execution, part, count(*) from public.crash_log group by 1, 2 order by 1, 2").fetchall()
    con.close()
    assert rows == sorted((name, part, 1) for name in names for part in (1, 2, 3))

    from stepline.clock import SystemClock
    from stepline.config import Config
    from stepline.sql.dataapi import DataApi
    from stepline.sql.service import StatementService

    api = DataApi(StatementService(Config(data_dir=tmp_path), SystemClock()))
    listed, token = [], None
    while True:
        req = {"Status": "ALL", "MaxResults": 100, **({"NextToken": token} if token else {})}
        page = api.call("ListStatements", req)
        listed += [s for s in page["Statements"] if "insert into crash_log" in s["QueryString"]]
        token = page.get("NextToken")
        if not token:
            break
    # each statement was submitted once (a task re-run after a restart reused its ClientToken)
    # and ended FINISHED (one the kill interrupted ran again under the same Id)
    texts = [st["QueryString"] for st in listed]
    assert sorted(texts) == sorted(set(texts)) and len(texts) == len(names) * 3
    assert {st["Status"] for st in listed} == {"FINISHED"}, [st for st in listed if st["Status"] != "FINISHED"]
