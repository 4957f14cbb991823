"""Lambda tasks against local functions: ``arn:aws:lambda:<region>:<acct>:function:<name>[:<qualifier>]``
(output = the handler's return value) and ``arn:aws:states:::lambda:invoke`` (output = the Invoke
response as Step Functions records it: ExecutedVersion, Payload, SdkHttpMetadata,
SdkResponseMetadata, StatusCode, and LogResult with ``LogType: Tail``).

``lambda:invoke`` takes Invoke's parameters: FunctionName (a name or ARN, possibly qualified),
Payload, Qualifier, ClientContext (base64 JSON), InvocationType (RequestResponse, Event: 202 and
the handler runs on its own, DryRun: 204 without running) and LogType (None, Tail).

A raised handler exception fails the task with Error = the exception type and Cause = Lambda's
JSON error document. https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html
"""

from __future__ import annotations

import base64
import email.utils
import json
import secrets
import threading
import time
import uuid
from typing import Any

from stepline import arns
from stepline.asl import commands as C
from stepline.errors import NotFound, SteplineError

TAIL_BYTES = 4096  # LogType Tail: the last 4 KB of the log
_INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


def _trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Sampled=0"


def invoke_response(payload: Any, request_id: str, *, status: int = 200, executed_version: str | None = "$LATEST",
                    body_length: int | None = None, log_result: str | None = None) -> dict[str, Any]:
    """The Invoke response as the ``lambda:invoke`` task outputs it: the SDK's fields plus the
    HTTP headers (SdkHttpMetadata) and request id (SdkResponseMetadata)."""
    if body_length is None:
        body_length = 0 if status != 200 else len(json.dumps(payload).encode())
    headers = {
        "Connection": "keep-alive",
        "Content-Length": str(body_length),
        "Content-Type": "application/json",
        "Date": email.utils.formatdate(usegmt=True),
        "x-amzn-Remapped-Content-Length": "0",
        "x-amzn-RequestId": request_id,
        "X-Amzn-Trace-Id": _trace_id(),
    }
    if executed_version is not None:
        headers["X-Amz-Executed-Version"] = executed_version
    if log_result is not None:
        headers["X-Amz-Log-Result"] = log_result
    out: dict[str, Any] = {}
    if executed_version is not None:
        out["ExecutedVersion"] = executed_version
    if log_result is not None:
        out["LogResult"] = log_result
    out.update({
        "Payload": payload,
        "SdkHttpMetadata": {"AllHttpHeaders": {k: [v] for k, v in headers.items()},
                            "HttpHeaders": dict(sorted(headers.items())), "HttpStatusCode": status},
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": status,
    })
    return out


def _log_text(request_id: str, logs: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}\n{logs}END RequestId: {request_id}\n"


def _failed(task_id: str, error: str, document: dict[str, Any]) -> C.TaskFailed:
    return C.TaskFailed(task_id, error, json.dumps(document))


class LambdaIntegration:
    def __init__(self, functions: Any) -> None:
        self.functions = functions  # stepline.functions.LocalFunctions

    def run(self, task: C.RunTask, ctx: Any, resource: Any) -> None:
        ctx.spawn(lambda: ctx.report(self.call(task, resource)))

    def call(self, task: C.RunTask, resource: Any) -> C.Input:
        optimized = resource.family == "lambda-invoke"
        params = task.parameters
        options: dict[str, Any] = {}
        if optimized:
            if not isinstance(params, dict) or "FunctionName" not in params:
                return C.TaskFailed(task.task_id, "States.Runtime",
                                    "The field 'FunctionName' is required by arn:aws:states:::lambda:invoke")
            name, payload, options = str(params["FunctionName"]), params.get("Payload", {}), params
        else:
            base = resource.arn.split(".waitForTaskToken")[0]
            name, payload = base.split(":function:", 1)[1], params  # name[:qualifier]
        if self.functions is None:
            return C.TaskFailed(task.task_id, "Lambda.ServiceException", "no local functions are configured")
        invocation_type = str(options.get("InvocationType") or "RequestResponse")
        if invocation_type not in _INVOCATION_TYPES:
            return C.TaskFailed(task.task_id, "Lambda.InvalidParameterValueException",
                                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed "
                                "to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, "
                                "DryRun] (Service: Lambda, Status Code: 400)")
        from stepline.functions import decode_client_context

        qualifier = options.get("Qualifier")
        try:
            target = self.functions.resolve(name, str(qualifier) if qualifier is not None else None)
            context = decode_client_context(options.get("ClientContext"))
        except NotFound:
            shown = arns.function(arns.function_name(name)) + (f":{qualifier}" if qualifier else "")
            return C.TaskFailed(task.task_id, "Lambda.ResourceNotFoundException",
                                f"Function not found: {shown} (Service: AWSLambda; Status Code: 404; "
                                "Error Code: ResourceNotFoundException)")
        except SteplineError as e:
            return C.TaskFailed(task.task_id, f"Lambda.{e.code}", e.message)
        text = json.dumps(payload)
        request_id = str(uuid.uuid4())
        if invocation_type == "DryRun":
            return C.TaskSucceeded(task.task_id, invoke_response("", request_id, status=204, executed_version=None))
        if invocation_type == "Event":
            threading.Thread(target=self._run_async, args=(name, text, target.qualifier), daemon=True).start()
            return C.TaskSucceeded(task.task_id, invoke_response("", request_id, status=202, executed_version=None))
        try:
            result = self.functions.invoke_raw(name, text, timeout=task.timeout_seconds, qualifier=target.qualifier,
                                               client_context=context)
        except SteplineError as e:
            return C.TaskFailed(task.task_id, f"Lambda.{e.code}", e.message)
        document = json.loads(result.payload)
        if result.error_type is not None:
            return _failed(task.task_id, result.error_type, document)
        if not optimized:
            return C.TaskSucceeded(task.task_id, document)
        log_result = None
        if options.get("LogType") == "Tail":
            log = _log_text(result.request_id, result.logs, result.executed_version).encode()
            log_result = base64.b64encode(log[-TAIL_BYTES:]).decode()
        return C.TaskSucceeded(task.task_id, invoke_response(
            document, result.request_id, executed_version=result.executed_version,
            body_length=len(result.payload.encode()), log_result=log_result))

    def _run_async(self, name: str, text: str, qualifier: str | None) -> None:
        try:
            self.functions.invoke_raw(name, text, qualifier=qualifier)
        except Exception:  # noqa: BLE001 - an asynchronous invocation has nobody to answer
            pass

