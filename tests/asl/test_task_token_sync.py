"""$$.Task.Token: AWS hands a task token to .sync integrations too, not only .waitForTaskToken
(its recorded histories show the token inside a startExecution.sync task's parameters)."""

from __future__ import annotations

import json

import pytest

from stepline.testing import run_to_completion


def _definition(resource: str) -> dict:
    return {"StartAt": "Start", "States": {"Start": {
        "Type": "Task", "Resource": resource, "End": True,
        "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child",
                       "Input": {"TaskToken.$": "$$.Task.Token"}}}}}


@pytest.mark.parametrize("resource", ["arn:aws:states:::states:startExecution.sync",
                                      "arn:aws:states:::states:startExecution.sync:2",
                                      "arn:aws:states:::states:startExecution.waitForTaskToken"])
def test_sync_and_callback_tasks_get_a_task_token(resource):
    seen = []

    def handler(task):
        seen.append(task)
        return {"done": True}

    out = run_to_completion(_definition(resource), {}, task_handler=handler)
    assert out.status == "SUCCEEDED", out.result
    (task,) = seen
    token = task.parameters["Input"]["TaskToken"]
    assert isinstance(token, str) and token and token == task.task_token
    scheduled = next(e for e in out.history if e["type"] == "TaskScheduled")
    assert json.loads(scheduled["taskScheduledEventDetails"]["parameters"])["Input"] == {"TaskToken": token}


def test_a_request_response_task_has_no_task_token():
    out = run_to_completion(_definition("arn:aws:states:::states:startExecution"), {})
    assert out.status == "FAILED"
    assert out.result["Error"] == "States.Runtime"
    assert "'$$.Task.Token'" in out.result["Cause"]
