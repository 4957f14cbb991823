"""500 executions started at once, each with a Wait and two SQL statements, on the real clock,
the SQLite store and the real statement service on DuckDB: all complete, every statement ran
once, and the pending Waits cost no threads."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from runtime_helpers import create

from stepline.clock import SystemClock
from stepline.config import Config
from stepline.runtime import build_runtime
from stepline.sql.dataapi import DataApi
from stepline.sql.service import StatementService

N = 500
_SQL = {"Database": "dev", "ClusterIdentifier": "local", "DbUser": "awsuser"}
# quota back-off as on AWS: 500 at once exceed the Data API's active-statement limit
_RETRY = [{"ErrorEquals": ["RedshiftData.ActiveStatementsExceededException"],
           "IntervalSeconds": 1, "BackoffRate": 1.0, "MaxAttempts": 100}]


def _insert(step: int) -> dict:
    return {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:redshiftdata:executeStatement",
            "Parameters": {**_SQL, "Sql.$": f"States.Format('insert into fanin values (\\'{{}}\\', {step})', "
                                           "$$.Execution.Name)"},
            "Retry": _RETRY, "ResultSelector": {"Id.$": "$.Id"}, "ResultPath": f"$.s{step}"}


DEFINITION = {
    "StartAt": "First",
    "States": {
        "First": {**_insert(1), "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Second"},
        "Second": {**_insert(2), "End": True},
    },
}


@pytest.mark.slow
def test_five_hundred_executions_with_waits_and_sql_all_complete(tmp_path: Path):
    config = Config(data_dir=tmp_path)
    clock = SystemClock()
    service = StatementService(config, clock)
    dataapi = DataApi(service)
    ddl = dataapi.call("ExecuteStatement", {**_SQL, "Sql": "create table fanin (execution varchar(40), step int)"})
    assert service.wait(ddl["Id"], 30) == "FINISHED"
    rt = build_runtime(config, clock=clock, statements=dataapi)
    rt.start()
    try:
        machine = create(rt, "fanin", DEFINITION)
        threads_before = threading.active_count()
        arns = [rt.api.call("StartExecution", {"stateMachineArn": machine, "name": f"x{i}"})["executionArn"]
                for i in range(N)]
        # while hundreds of executions sit in their Wait, the thread count does not grow with them
        deadline = time.monotonic() + 120
        peak = threads_before
        while time.monotonic() < deadline:
            peak = max(peak, threading.active_count())
            statuses = [rt.api.call("DescribeExecution", {"executionArn": a})["status"] for a in arns[::50]]
            if all(s != "RUNNING" for s in statuses):
                break
            time.sleep(0.2)
        for arn in arns:
            assert rt.run_until_complete(arn, timeout=120)
        statuses = {rt.api.call("DescribeExecution", {"executionArn": a})["status"] for a in arns}
        assert statuses == {"SUCCEEDED"}
        assert peak - threads_before < 50, (threads_before, peak)
    finally:
        rt.stop()
    for sid in [s.id for s in service.list_statements(status=None)]:
        service.wait(sid, 60)
    check = dataapi.call("ExecuteStatement", {**_SQL, "Sql": "select step, count(*), count(distinct execution) "
                                                             "from fanin group by step order by step"})
    assert service.wait(check["Id"], 30) == "FINISHED"
    rows = dataapi.call("GetStatementResult", {"Id": check["Id"]})["Records"]
    assert [[f["longValue"] for f in r] for r in rows] == [[1, N, N], [2, N, N]]
    service.close()
