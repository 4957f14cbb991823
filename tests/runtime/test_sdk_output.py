"""aws-sdk:* task outputs render timestamps as Step Functions does: ISO-8601 strings (so that
Timestamp* Choice rules work on them), while the optimized integrations keep epoch milliseconds."""

from __future__ import annotations

import json
import re
from pathlib import Path

from runtime_helpers import create

from stepline.clock import VirtualClock
from stepline.config import Config
from stepline.runtime import build_runtime
from stepline.runtime.integrations.sdk_output import instant, iso_timestamps
from stepline.sql.dataapi import DataApi
from stepline.sql.service import StatementService

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")


def test_instant_prints_like_java():
    assert instant(0) == "1970-01-01T00:00:00Z"
    assert instant(1706702400.25) == "2024-01-31T12:00:00.250Z"
    assert instant(1706702400.0004) == "2024-01-31T12:00:00Z"  # below a millisecond
    assert instant("2024-01-31T12:00:00Z") == "2024-01-31T12:00:00Z"


def test_only_timestamp_members_of_the_output_shape_change():
    out = iso_timestamps("redshift-data", "DescribeStatement",
                         {"Id": "x", "CreatedAt": 1706702400.5, "Duration": 12, "ResultRows": 1706702400,
                          "SubStatements": [{"Id": "x:1", "UpdatedAt": 0}]})
    assert out == {"Id": "x", "CreatedAt": "2024-01-31T12:00:00.500Z", "Duration": 12, "ResultRows": 1706702400,
                   "SubStatements": [{"Id": "x:1", "UpdatedAt": "1970-01-01T00:00:00Z"}]}
    assert iso_timestamps("no-such-service", "Nope", {"a": 1}) == {"a": 1}


def test_describe_statement_dates_feed_timestamp_rules(tmp_path: Path):
    config = Config(data_dir=tmp_path)
    clock = VirtualClock()
    service = StatementService(config, clock)
    rt = build_runtime(config, clock=clock, statements=DataApi(service))
    rt.start()
    sql = {"Database": "dev", "ClusterIdentifier": "local", "DbUser": "awsuser"}
    definition = {
        "StartAt": "Submit",
        "States": {
            "Submit": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:redshiftdata:executeStatement",
                       "Parameters": {**sql, "Sql": "select 1"}, "Next": "Pause"},
            "Pause": {"Type": "Wait", "Seconds": 2, "Next": "Describe"},
            "Describe": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:redshiftdata:describeStatement",
                         "Parameters": {"Id.$": "$.Id"}, "Next": "Recent?"},
            "Recent?": {"Type": "Choice", "Default": "Old", "Choices": [
                {"Variable": "$.CreatedAt", "TimestampGreaterThan": "2020-01-01T00:00:00Z", "Next": "Done"}]},
            "Old": {"Type": "Fail", "Error": "NotATimestamp"},
            "Done": {"Type": "Succeed"},
        },
    }
    try:
        machine = create(rt, "dates", definition)
        arn = rt.api.call("StartExecution", {"stateMachineArn": machine})["executionArn"]
        assert rt.run_until_idle(timeout=60)
        described = rt.api.call("DescribeExecution", {"executionArn": arn})
        assert described["status"] == "SUCCEEDED", described
        output = json.loads(described["output"])
        assert ISO.match(output["CreatedAt"]) and ISO.match(output["UpdatedAt"]), output
        assert output["Status"] in ("SUBMITTED", "PICKED", "STARTED", "FINISHED")
    finally:
        rt.stop()
        service.close()
