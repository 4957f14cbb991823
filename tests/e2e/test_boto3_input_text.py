"""The client's input text as sent is what ExecutionStarted records (AWS keeps it verbatim), and
ValidateStateMachineDefinition takes the request's machine type into account."""

from __future__ import annotations

import json
import time

from e2e_helpers import ROLE


def test_execution_started_keeps_the_input_text_verbatim(stepline_server):
    sfn = stepline_server.client("stepfunctions")
    arn = sfn.create_state_machine(name="verbatim", roleArn=ROLE, definition=json.dumps(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    text = '{ "b" : 1.50,\n  "a": "caf\\u00e9" }'
    ex = sfn.start_execution(stateMachineArn=arn, input=text)["executionArn"]
    deadline = time.monotonic() + 30
    while sfn.describe_execution(executionArn=ex)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.05)
    events = sfn.get_execution_history(executionArn=ex)["events"]
    assert events[0]["type"] == "ExecutionStarted"
    assert events[0]["executionStartedEventDetails"]["input"] == text
    assert json.loads(sfn.describe_execution(executionArn=ex)["input"]) == {"b": 1.5, "a": "café"}


def test_validation_knows_the_machine_type(stepline_server):
    sfn = stepline_server.client("stepfunctions")
    definition = json.dumps({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}}}}})
    assert sfn.validate_state_machine_definition(definition=definition, type="STANDARD")["result"] == "OK"
    express = sfn.validate_state_machine_definition(definition=definition, type="EXPRESS")
    assert express["result"] == "FAIL"
    assert "waitForTaskToken" in express["diagnostics"][0]["message"]
