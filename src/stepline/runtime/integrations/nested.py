"""``arn:aws:states:::states:startExecution`` (request-response), ``.sync`` and ``.sync:2``.

The child records its parent (``ExecutionRecord.parent_arn``); the child's name, when the task
does not set one, is derived from (parent execution, task id) so that re-running the attempt after
a crash finds the child already started instead of starting a second one.

What the parent records, as AWS does: the request-response output and the ``.sync`` TaskSubmitted
output are StartExecution's response (ExecutionArn, StartDate) with its HTTP metadata
(SdkHttpMetadata, SdkResponseMetadata); ``.sync`` then outputs DescribeExecution with Input/Output
as JSON text, ``.sync:2`` with them parsed; dates are epoch milliseconds as in every SDK-shaped
task output. The child is linked to its parent the way AWS links them: the parent passes
``"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"`` in the child's Input, which
then shows in the child's DescribeExecution input (the API has no parent field).
https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-nested-workflows.html
"""

from __future__ import annotations

import email.utils
import json
import threading
import uuid
from typing import Any

from stepline.asl import commands as C
from stepline.errors import SteplineError
from stepline.runtime.stores.base import ExecutionRecord

_NS = uuid.UUID("5f0c1a57-7e57-4b1e-9a0e-3e1a0f5a1c11")


def child_name(parent_arn: str, task_id: str) -> str:
    return str(uuid.uuid5(_NS, f"{parent_arn}|{task_id}"))


def _ms(epoch: float | None) -> int | None:
    return None if epoch is None else int(round(epoch * 1000))


def with_sdk_metadata(response: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
    """An optimized integration's request-response output: the API response plus the HTTP
    response it came in (Step Functions' JSON 1.0 headers) and its request id."""
    request_id = request_id or str(uuid.uuid4())
    body = json.dumps({k[0].lower() + k[1:]: v / 1000 if k.endswith("Date") else v for k, v in response.items()},
                      separators=(",", ":"))
    headers = {"x-amzn-RequestId": request_id, "connection": "keep-alive", "Content-Length": str(len(body)),
               "Date": email.utils.formatdate(usegmt=True), "Content-Type": "application/x-amz-json-1.0"}
    out = {**response,
           "SdkHttpMetadata": {"AllHttpHeaders": {k: [v] for k, v in headers.items()},
                               "HttpHeaders": dict(sorted(headers.items(), key=lambda kv: kv[0].lower())),
                               "HttpStatusCode": 200},
           "SdkResponseMetadata": {"RequestId": request_id}}
    return dict(sorted(out.items()))


def describe_output(record: ExecutionRecord, parsed: bool) -> dict[str, Any]:
    from stepline.runtime.sfnapi import redrive_status

    status, reason = redrive_status(record)
    out: dict[str, Any] = {
        "ExecutionArn": record.arn,
        "Input": json.loads(record.input) if parsed else record.input,
        "InputDetails": {"Included": True},
        "Name": record.name,
        "StartDate": _ms(record.start_date),
        "StateMachineArn": record.machine_arn,
        "Status": record.status,
        "StopDate": _ms(record.stop_date),
        "RedriveCount": record.redrive_count,
        "RedriveStatus": status,
    }
    if reason is not None:
        out["RedriveStatusReason"] = reason
    if record.version_arn is not None:
        out["StateMachineVersionArn"] = record.version_arn
    if getattr(record, "alias_arn", None) is not None:
        out["StateMachineAliasArn"] = record.alias_arn
    if record.status == "SUCCEEDED":
        out["Output"] = json.loads(record.output) if parsed and record.output is not None else record.output
        out["OutputDetails"] = {"Included": True}
    if record.error is not None:
        out["Error"] = record.error
    if record.cause is not None:
        out["Cause"] = record.cause
    return out


def error_name(code: str) -> str:
    return f"StepFunctions.{code if code.endswith('Exception') else code + 'Exception'}"


class NestedExecutions:
    def __init__(self) -> None:
        self.service: Any = None  # StepFunctionsService, bound by build_runtime
        self._children: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def run(self, task: C.RunTask, ctx: Any, resource: Any) -> None:
        ctx.spawn(lambda: self._start(task, ctx, resource.pattern))

    def _start(self, task: C.RunTask, ctx: Any, pattern: str) -> None:
        params = task.parameters if isinstance(task.parameters, dict) else {}
        if "StateMachineArn" not in params:
            ctx.report(C.TaskFailed(task.task_id, "States.Runtime",
                                    "The field 'StateMachineArn' is required by states:startExecution"))
            return
        raw_input = params.get("Input", {})
        text = raw_input if isinstance(raw_input, str) else json.dumps(raw_input)
        name = params.get("Name") or child_name(ctx.record.arn, task.task_id)
        try:
            child = self.service.start_child(str(params["StateMachineArn"]), str(name), text,
                                             parent_arn=ctx.record.arn)
        except SteplineError as e:
            ctx.report(C.TaskFailed(task.task_id, error_name(e.code), e.message))
            return
        started = with_sdk_metadata({"ExecutionArn": child.arn, "StartDate": _ms(child.start_date)})
        if pattern not in ("sync", "sync:2"):
            ctx.report(C.TaskSucceeded(task.task_id, started))
            return
        with self._lock:
            self._children[(ctx.record.arn, task.task_id)] = child.arn
        ctx.report(C.TaskSubmitted(task.task_id, started))
        parsed = pattern == "sync:2"

        def finished(record: ExecutionRecord) -> None:
            with self._lock:
                self._children.pop((ctx.record.arn, task.task_id), None)
            out = describe_output(record, parsed)
            if record.status == "SUCCEEDED":
                ctx.report(C.TaskSucceeded(task.task_id, out))
            elif record.status == "ABORTED":
                ctx.report(C.TaskFailed(task.task_id, "StepFunctions.ExecutionAbortedException", json.dumps(out)))
            elif record.status == "TIMED_OUT":
                ctx.report(C.TaskFailed(task.task_id, "StepFunctions.ExecutionTimedOutException", json.dumps(out)))
            else:
                ctx.report(C.TaskFailed(task.task_id, "States.TaskFailed", json.dumps(out)))

        if not self.service.engine.on_finish(child.arn, finished):
            record = self.service.store.get_execution(child.arn)
            if record is not None and record.status != "RUNNING":
                finished(record)

    def cancel(self, execution_arn: str, task_id: str) -> None:
        with self._lock:
            child = self._children.pop((execution_arn, task_id), None)
        if child is not None and self.service is not None:
            self.service.stop_quietly(child, "States.Aborted", "the parent task was cancelled")

    def cancel_execution(self, execution_arn: str) -> None:
        with self._lock:
            keys = [k for k in self._children if k[0] == execution_arn]
        for key in keys:
            self.cancel(*key)
