"""Nested executions seen through unmodified boto3: the parent's TaskSubmitted/TaskSucceeded
outputs, the child's AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID input, and the child as
DescribeExecution, ListExecutions and GetExecutionHistory show it (versions included)."""

from __future__ import annotations

import json
import time

from e2e_helpers import ROLE

CHILD = {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"},
                                                "End": True}}}
FAILING_CHILD = {"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "ChildRefused", "Cause": "not today"}}}


def _parent(resource: str, child_arn: str, link: bool = True) -> dict:
    child_input = {"n.$": "$.n"}
    if link:
        child_input["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$"] = "$$.Execution.Id"
    return {"StartAt": "Nest", "States": {"Nest": {
        "Type": "Task", "Resource": resource, "End": True,
        "Parameters": {"StateMachineArn": child_arn, "Input": child_input}}}}


def _machine(sfn, name: str, definition: dict, **kw) -> dict:
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE, **kw)


def _finish(sfn, arn: str) -> dict:
    for _ in range(1200):
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError(f"{arn} still RUNNING")


def _events(sfn, arn: str, kind: str) -> list[dict]:
    return [e for e in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"] if e["type"] == kind]


def _ms(when) -> int:
    return round(when.timestamp() * 1000)


def test_sync2_child_carries_the_parent_id_and_the_outputs_name_the_child(stepline_server):
    sfn = stepline_server.client("stepfunctions")
    child_machine = _machine(sfn, "child", CHILD)["stateMachineArn"]
    parent_machine = _machine(sfn, "parent", _parent("arn:aws:states:::states:startExecution.sync:2",
                                                      child_machine))["stateMachineArn"]
    parent = sfn.start_execution(stateMachineArn=parent_machine, input='{"n": 21}')["executionArn"]
    described = _finish(sfn, parent)
    assert described["status"] == "SUCCEEDED", described

    submitted = _events(sfn, parent, "TaskSubmitted")
    assert len(submitted) == 1
    details = submitted[0]["taskSubmittedEventDetails"]
    assert (details["resourceType"], details["resource"]) == ("states", "startExecution.sync:2")
    started = json.loads(details["output"])
    assert set(started) == {"ExecutionArn", "SdkHttpMetadata", "SdkResponseMetadata", "StartDate"}
    http = started["SdkHttpMetadata"]
    assert http["HttpStatusCode"] == 200 and http["HttpHeaders"]["Content-Type"] == "application/x-amz-json-1.0"
    assert http["AllHttpHeaders"] == {k: [v] for k, v in http["HttpHeaders"].items()}
    assert started["SdkResponseMetadata"]["RequestId"] == http["HttpHeaders"]["x-amzn-RequestId"]

    child = sfn.describe_execution(executionArn=started["ExecutionArn"])
    assert child["stateMachineArn"] == child_machine and child["status"] == "SUCCEEDED"
    assert json.loads(child["input"]) == {"n": 21, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": parent}
    assert abs(_ms(child["startDate"]) - started["StartDate"]) <= 1
    assert "stateMachineVersionArn" not in child

    result = json.loads(described["output"])
    assert result["ExecutionArn"] == child["executionArn"] and result["Name"] == child["name"]
    assert result["Status"] == "SUCCEEDED" and result["Output"] == {"doubled": 42}
    assert result["Input"] == {"n": 21, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": parent}
    assert result["StartDate"] == started["StartDate"] and abs(result["StopDate"] - _ms(child["stopDate"])) <= 1
    assert (result["RedriveStatus"], result["RedriveStatusReason"]) == (
        child["redriveStatus"], child["redriveStatusReason"])
    assert "SdkHttpMetadata" not in result

    listed = sfn.list_executions(stateMachineArn=child_machine)["executions"]
    assert [(e["executionArn"], e["status"]) for e in listed] == [(child["executionArn"], "SUCCEEDED")]
    child_started = _events(sfn, child["executionArn"], "ExecutionStarted")[0]["executionStartedEventDetails"]
    assert json.loads(child_started["input"])["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == parent


def test_request_response_start_execution_records_the_start_response(stepline_server):
    sfn = stepline_server.client("stepfunctions")
    child_machine = _machine(sfn, "rr-child", CHILD)["stateMachineArn"]
    parent_machine = _machine(sfn, "rr-parent", _parent("arn:aws:states:::states:startExecution", child_machine,
                                                         link=False))["stateMachineArn"]
    parent = sfn.start_execution(stateMachineArn=parent_machine, input='{"n": 2}')["executionArn"]
    assert _finish(sfn, parent)["status"] == "SUCCEEDED"
    assert _events(sfn, parent, "TaskSubmitted") == []
    out = json.loads(_events(sfn, parent, "TaskSucceeded")[0]["taskSucceededEventDetails"]["output"])
    assert set(out) == {"ExecutionArn", "SdkHttpMetadata", "SdkResponseMetadata", "StartDate"}
    child = _finish(sfn, out["ExecutionArn"])
    assert child["status"] == "SUCCEEDED" and json.loads(child["output"]) == {"doubled": 4}
    assert json.loads(child["input"]) == {"n": 2}  # no link unless the parent passes one
    assert abs(_ms(child["startDate"]) - out["StartDate"]) <= 1


def test_failed_child_fails_the_sync_task_with_its_description(stepline_server):
    sfn = stepline_server.client("stepfunctions")
    child_machine = _machine(sfn, "bad-child", FAILING_CHILD)["stateMachineArn"]
    parent_machine = _machine(sfn, "bad-parent", _parent("arn:aws:states:::states:startExecution.sync",
                                                          child_machine))["stateMachineArn"]
    parent = sfn.start_execution(stateMachineArn=parent_machine, input='{"n": 1}')["executionArn"]
    described = _finish(sfn, parent)
    assert described["status"] == "FAILED" and described["error"] == "States.TaskFailed"
    cause = json.loads(described["cause"])
    child = sfn.describe_execution(executionArn=cause["ExecutionArn"])
    assert child["status"] == "FAILED" and child["error"] == "ChildRefused"
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "ChildRefused", "not today")
    assert cause["RedriveStatus"] == child["redriveStatus"] == "REDRIVABLE"
    assert isinstance(cause["Input"], str) and json.loads(cause["Input"])[
        "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == parent


def test_a_child_started_from_a_version_is_listed_under_that_version(stepline_server):
    sfn = stepline_server.client("stepfunctions")
    created = _machine(sfn, "versioned-child", CHILD, publish=True)
    child_machine, version_arn = created["stateMachineArn"], created["stateMachineVersionArn"]
    assert version_arn == child_machine + ":1"
    parent_machine = _machine(sfn, "versioned-parent", _parent("arn:aws:states:::states:startExecution.sync:2",
                                                                version_arn))["stateMachineArn"]
    parent = sfn.start_execution(stateMachineArn=parent_machine, input='{"n": 5}')["executionArn"]
    result = json.loads(_finish(sfn, parent)["output"])
    assert result["StateMachineVersionArn"] == version_arn and result["StateMachineArn"] == child_machine
    plain = sfn.start_execution(stateMachineArn=child_machine, input='{"n": 1}')["executionArn"]
    _finish(sfn, plain)

    child = sfn.describe_execution(executionArn=result["ExecutionArn"])
    assert child["stateMachineVersionArn"] == version_arn and child["stateMachineArn"] == child_machine
    assert "stateMachineVersionArn" not in sfn.describe_execution(executionArn=plain)
    by_version = sfn.list_executions(stateMachineArn=version_arn)["executions"]
    assert [e["executionArn"] for e in by_version] == [child["executionArn"]]
    assert by_version[0]["stateMachineVersionArn"] == version_arn
    everything = {e["executionArn"]: e for e in sfn.list_executions(stateMachineArn=child_machine)["executions"]}
    assert set(everything) == {child["executionArn"], plain}
    assert "stateMachineVersionArn" not in everything[plain]
