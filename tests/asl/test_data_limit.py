"""States.DataLimitExceeded: a state's output or a task's result over 256 KiB (262,144 bytes of
UTF-8 JSON). AWS fails the execution at once for a state's output; a task's oversized result is
a task failure that Retry/Catch see.
https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
"""

from __future__ import annotations

import json

from stepline.asl.dataflow import MAX_PAYLOAD_BYTES, payload_too_large
from stepline.testing import run_to_completion

LIMIT_CAUSE = "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit."
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:big"


def _pass_result(value):
    return {"StartAt": "Big", "States": {"Big": {"Type": "Pass", "Result": value, "End": True}}}


def _sized(total_bytes: int, char: str = "x") -> dict:
    """{"a": "xxx..."} whose compact JSON text is exactly ``total_bytes`` bytes long."""
    filler = total_bytes - len('{"a":""}')
    width = len(char.encode())
    value = {"a": char * (filler // width) + "y" * (filler % width)}
    assert len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()) == total_bytes
    return value


def test_the_limit_is_256_kib_of_utf8():
    assert MAX_PAYLOAD_BYTES == 262_144
    assert not payload_too_large(_sized(262_144))
    assert payload_too_large(_sized(262_145))
    assert not payload_too_large(_sized(262_144, "é"))
    assert payload_too_large(_sized(262_145, "é"))
    assert not payload_too_large("x" * 1000)
    assert not payload_too_large(12)


def test_pass_output_at_the_limit_succeeds():
    out = run_to_completion(_pass_result(_sized(262_144)), {})
    assert out.status == "SUCCEEDED"


def test_pass_output_over_the_limit_fails_the_execution_at_once():
    out = run_to_completion(_pass_result(_sized(262_145, "é")), {})
    assert out.status == "FAILED"
    assert out.result == {"Error": "States.DataLimitExceeded", "Cause": LIMIT_CAUSE.format("Big")}
    assert [(e["id"], e["previousEventId"], e["type"]) for e in out.history] == [
        (1, 0, "ExecutionStarted"), (2, 0, "PassStateEntered"), (3, 2, "ExecutionFailed")]
    assert out.history[2]["executionFailedEventDetails"] == {
        "error": "States.DataLimitExceeded", "cause": LIMIT_CAUSE.format("Big")}


def test_oversized_lambda_result_is_a_lambda_failure_that_catch_sees():
    definition = {"StartAt": "Invoke", "States": {
        "Invoke": {"Type": "Task", "Resource": FUNCTION_ARN, "End": True,
                   "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Handled"}]},
        "Handled": {"Type": "Pass", "End": True}}}
    out = run_to_completion(definition, {}, task_handler=lambda task: _sized(300_000))
    assert out.status == "SUCCEEDED"
    cause = LIMIT_CAUSE.format(FUNCTION_ARN)
    assert out.result == {"Error": "States.DataLimitExceeded", "Cause": cause}
    assert [e["type"] for e in out.history] == [
        "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
        "LambdaFunctionFailed", "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert out.history[4]["lambdaFunctionFailedEventDetails"] == {"error": "States.DataLimitExceeded", "cause": cause}


def test_oversized_integration_result_names_the_service_and_states_all_catches_it():
    definition = {"StartAt": "Invoke", "States": {
        "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": {"FunctionName": "big"}, "End": True,
                   "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}]},
        "Handled": {"Type": "Pass", "End": True}}}
    out = run_to_completion(definition, {}, task_handler=lambda task: {"Payload": _sized(300_000)})
    assert out.status == "SUCCEEDED"
    assert out.result == {"Error": "States.DataLimitExceeded", "Cause": LIMIT_CAUSE.format("lambda")}
    failed = next(e for e in out.history if e["type"] == "TaskFailed")
    assert failed["taskFailedEventDetails"] == {
        "resourceType": "lambda", "resource": "invoke", "error": "States.DataLimitExceeded",
        "cause": LIMIT_CAUSE.format("lambda")}


def test_uncaught_oversized_task_result_fails_the_execution_with_the_task_failure():
    definition = {"StartAt": "Invoke", "States": {"Invoke": {"Type": "Task", "Resource": FUNCTION_ARN, "End": True}}}
    out = run_to_completion(definition, {}, task_handler=lambda task: ["x" * 200_000, "y" * 70_000])
    assert out.status == "FAILED"
    assert out.result == {"Error": "States.DataLimitExceeded", "Cause": LIMIT_CAUSE.format(FUNCTION_ARN)}
    assert [e["type"] for e in out.history][-2:] == ["LambdaFunctionFailed", "ExecutionFailed"]
