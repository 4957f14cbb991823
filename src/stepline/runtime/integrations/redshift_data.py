"""``arn:aws:states:::aws-sdk:redshiftdata:<action>`` -> the statement service's Data API.

The action is camelCase in the resource (executeStatement) and PascalCase in the API
(ExecuteStatement); the task's parameters are the request. Statement submissions carry a
deterministic ClientToken derived from (execution, task id), and the task id includes the state
and the attempt, so re-running the same attempt after a crash returns the statement already
submitted instead of submitting it twice.
"""

from __future__ import annotations

import hashlib
from typing import Any

from stepline.asl import commands as C
from stepline.errors import SteplineError
from stepline.runtime.integrations.sdk_output import iso_timestamps

SERVICE = "RedshiftData"
_SUBMITTING = ("ExecuteStatement", "BatchExecuteStatement")


def operation_name(action: str) -> str:
    return action[:1].upper() + action[1:]


def client_token(execution_arn: str, task_id: str) -> str:
    """A ClientToken (1-64 chars) that is the same every time this attempt is re-run."""
    return hashlib.sha256(f"{execution_arn}|{task_id}".encode()).hexdigest()[:64]


def error_name(code: str) -> str:
    """``RedshiftData.<Name>Exception``: AWS SDK integration errors always carry the suffix.
    https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html"""
    name = code if code.endswith("Exception") else f"{code}Exception"
    return f"{SERVICE}.{name}"


class RedshiftData:
    def __init__(self, dataapi: Any) -> None:
        self.dataapi = dataapi  # stepline.sql.dataapi.DataApi (or anything with .call)

    def run(self, task: C.RunTask, ctx: Any, resource: Any) -> None:
        if self.dataapi is None:
            ctx.report(C.TaskFailed(task.task_id, error_name("ServiceUnavailable"),
                                    "no statement service is configured"))
            return
        ctx.spawn(lambda: ctx.report(self.call(task, ctx.record.arn, resource.action)))

    def call(self, task: C.RunTask, execution_arn: str, action: str) -> C.Input:
        operation = operation_name(action)
        request = dict(task.parameters) if isinstance(task.parameters, dict) else {}
        if operation in _SUBMITTING and "ClientToken" not in request:
            request["ClientToken"] = client_token(execution_arn, task.task_id)
        try:
            output = self.dataapi.call(operation, request)
        except SteplineError as e:
            return C.TaskFailed(task.task_id, error_name(e.code),
                                f"{e.message} (Service: {SERVICE}, Status Code: 400, Request ID: {task.task_id})")
        except Exception as e:  # noqa: BLE001 - any other failure becomes a workflow error name
            return C.TaskFailed(task.task_id, error_name("InternalServer"), f"{type(e).__name__}: {e}")
        return C.TaskSucceeded(task.task_id, iso_timestamps("redshift-data", operation, output))
