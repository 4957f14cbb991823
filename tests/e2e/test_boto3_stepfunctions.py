"""Unmodified boto3 ``stepfunctions`` against the server: shapes, errors, pagination, Lambda tasks."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError
from e2e_helpers import ROLE, wait_done

PASSES = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.a", "Next": "B"},
    "B": {"Type": "Pass", "End": True}}}


def test_machine_lifecycle_and_execution_shapes(stepline_server):
    sfn = stepline_server.client("stepfunctions")
    created = sfn.create_state_machine(name="passes", definition=json.dumps(PASSES), roleArn=ROLE)
    arn = created["stateMachineArn"]
    assert arn == "arn:aws:states:us-east-1:123456789012:stateMachine:passes"
    assert isinstance(created["creationDate"], dt.datetime)
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["name"] == "passes" and json.loads(described["definition"]) == PASSES
    assert [m["name"] for m in sfn.list_state_machines()["stateMachines"]] == ["passes"]
    ex = sfn.start_execution(stateMachineArn=arn, name="run-1", input='{"in": true}')
    done = wait_done(sfn, ex["executionArn"])
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"in": True, "a": {"x": 1}}
    assert isinstance(done["startDate"], dt.datetime) and isinstance(done["stopDate"], dt.datetime)
    history = sfn.get_execution_history(executionArn=ex["executionArn"])["events"]
    assert history[0]["type"] == "ExecutionStarted" and history[-1]["type"] == "ExecutionSucceeded"
    assert isinstance(history[0]["timestamp"], dt.datetime)


def test_history_pagination_and_reverse_order(stepline_server):
    sfn = stepline_server.client("stepfunctions")
    arn = sfn.create_state_machine(name="p", definition=json.dumps(PASSES), roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_done(sfn, ex)
    full = sfn.get_execution_history(executionArn=ex)["events"]
    pages = list(sfn.get_paginator("get_execution_history").paginate(
        executionArn=ex, PaginationConfig={"PageSize": 2}))
    assert len(pages) > 1 and [e for p in pages for e in p["events"]] == full
    reverse = sfn.get_execution_history(executionArn=ex, reverseOrder=True)["events"]
    assert [e["id"] for e in reverse] == [e["id"] for e in reversed(full)]


def test_list_executions_paginates(stepline_server):
    sfn = stepline_server.client("stepfunctions")
    arn = sfn.create_state_machine(name="many", definition=json.dumps(PASSES), roleArn=ROLE)["stateMachineArn"]
    started = {sfn.start_execution(stateMachineArn=arn, name=f"e{i}")["executionArn"] for i in range(5)}
    for a in started:
        wait_done(sfn, a)
    pages = list(sfn.get_paginator("list_executions").paginate(stateMachineArn=arn,
                                                               PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3 and {e["executionArn"] for p in pages for e in p["executions"]} == started


@pytest.mark.parametrize("call, kwargs, code", [
    ("describe_execution", {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:nope:x"},
     "ExecutionDoesNotExist"),
    ("describe_state_machine", {"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:nope"},
     "StateMachineDoesNotExist"),
    ("describe_execution", {"executionArn": "not-an-arn"}, "InvalidArn"),
    ("create_state_machine", {"name": "bad", "definition": '{"StartAt": "Nowhere", "States": {}}', "roleArn": ROLE},
     "InvalidDefinition"),
])
def test_errors_are_client_errors_with_the_aws_code(stepline_server, call, kwargs, code):
    sfn = stepline_server.client("stepfunctions")
    with pytest.raises(ClientError) as e:
        getattr(sfn, call)(**kwargs)
    assert e.value.response["Error"]["Code"] == code
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Traceback" not in e.value.response["Error"]["Message"]


def test_validate_state_machine_definition(stepline_server):
    sfn = stepline_server.client("stepfunctions")
    ok = sfn.validate_state_machine_definition(definition=json.dumps(PASSES))
    assert ok["result"] == "OK" and ok["diagnostics"] == []
    bad = sfn.validate_state_machine_definition(definition='{"StartAt": "X", "States": {}}')
    assert bad["result"] == "FAIL" and bad["diagnostics"][0]["severity"] == "ERROR"


def test_lambda_task_runs_the_local_function(stepline_server):
    sfn = stepline_server.client("stepfunctions")
    definition = {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:echo", "End": True}}}
    arn = sfn.create_state_machine(name="lam", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    done = wait_done(sfn, sfn.start_execution(stateMachineArn=arn, input='{"k": 7}')["executionArn"])
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"])["event"] == {"k": 7}


def test_unknown_target_and_malformed_body(stepline_server):
    import urllib.error
    import urllib.request

    def post(target: str, body: bytes) -> tuple[int, dict]:
        req = urllib.request.Request(stepline_server.url + "/", data=body, method="POST", headers={
            "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"})
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    status, doc = post("Nope.Op", b"{}")
    assert status == 400 and doc["__type"] == "UnknownOperationException"
    status, doc = post("AWSStepFunctions.ListStateMachines", b"{oops")
    assert status == 400 and doc["__type"] == "SerializationException"
    with urllib.request.urlopen(stepline_server.url + "/health") as r:
        assert json.loads(r.read())["status"] == "ok"


def test_start_sync_execution_without_the_sync_host_prefix(stepline_server, monkeypatch):
    # botocore sends StartSyncExecution to "sync-<host>"; a local endpoint needs the prefix off
    monkeypatch.setenv("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
    sfn = stepline_server.client("stepfunctions")
    arn = sfn.create_state_machine(name="express", type="EXPRESS", definition=json.dumps(PASSES),
                                   roleArn=ROLE)["stateMachineArn"]
    r = sfn.start_sync_execution(stateMachineArn=arn, input='{"q": 1}')
    assert r["status"] == "SUCCEEDED" and json.loads(r["output"]) == {"q": 1, "a": {"x": 1}}
