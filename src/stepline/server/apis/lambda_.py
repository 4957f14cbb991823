"""``lambda`` Invoke, the one REST-JSON route: ``POST /2015-03-31/functions/{FunctionName}/invocations``.
The body is the payload; the response body is the handler's result or, with
``X-Amz-Function-Error: Unhandled``, Lambda's error document.
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from dataclasses import dataclass, field

from stepline.errors import Invalid, SteplineError

log = logging.getLogger("stepline.functions")
TAIL_BYTES = 4096  # Lambda returns the last 4 KB of the log with LogType Tail
MAX_PAYLOAD = 6 * 1024 * 1024  # synchronous invocations: 6 MB request and response


class InvalidInvocationType(Invalid):
    code = "InvalidParameterValueException"


class RequestTooLarge(SteplineError):
    code = "RequestTooLargeException"


class LambdaUnavailable(SteplineError):
    code = "ServiceException"


@dataclass(frozen=True, slots=True)
class InvokeResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _log_text(request_id: str, logs: str, seconds: float, version: str = "$LATEST") -> str:
    return (f"START RequestId: {request_id} Version: {version}\n{logs}END RequestId: {request_id}\n"
            f"REPORT RequestId: {request_id}\tDuration: {seconds * 1000:.2f} ms\n")


class LambdaEdge:
    def __init__(self, functions, redact=None) -> None:  # functions: stepline.functions.LocalFunctions
        self.functions = functions
        self.redact = redact or (lambda text: text)

    def invoke(self, name: str, payload: bytes, invocation_type: str | None, log_type: str | None,
               qualifier: str | None = None, client_context: str | None = None) -> InvokeResponse:
        """``qualifier`` is the ``Qualifier`` query parameter, ``client_context`` the
        ``X-Amz-Client-Context`` header (base64 JSON, handed to synchronous calls only)."""
        from stepline.functions import decode_client_context

        if self.functions is None:
            raise LambdaUnavailable("no local functions are configured")
        invocation_type = invocation_type or "RequestResponse"
        if invocation_type not in ("RequestResponse", "Event", "DryRun"):
            raise InvalidInvocationType(f"1 validation error detected: Value '{invocation_type}' at "
                                        "'invocationType' failed to satisfy constraint: Member must satisfy enum "
                                        "value set: [Event, RequestResponse, DryRun]")
        target = self.functions.resolve(name, qualifier)  # ResourceNotFoundException before anything runs
        context = decode_client_context(client_context)
        if len(payload) > MAX_PAYLOAD:
            raise RequestTooLarge(f"Request must be smaller than {MAX_PAYLOAD} bytes for the InvokeFunction operation")
        text = payload.decode("utf-8", errors="replace") if payload else "{}"
        if invocation_type == "DryRun":
            return InvokeResponse(204, b"")
        if invocation_type == "Event":
            try:
                json.loads(text)  # checked before the 202, as Lambda does
            except (ValueError, RecursionError):  # RecursionError: nested too deep to parse
                raise Invalid("Could not parse request body into json: Could not parse payload into json",
                              code="InvalidRequestContentException") from None
            threading.Thread(target=self._run_async, args=(name, text, target.qualifier), daemon=True).start()
            return InvokeResponse(202, b"")
        started = time.monotonic()
        result = self.functions.invoke_raw(name, text, qualifier=target.qualifier, client_context=context)
        headers = {"X-Amz-Executed-Version": result.executed_version, "Content-Type": "application/json"}
        if result.error_type is not None:
            headers["X-Amz-Function-Error"] = "Unhandled"
        logs = self.redact(_log_text(result.request_id, result.logs, time.monotonic() - started,
                                     result.executed_version))
        if log_type == "Tail":
            headers["X-Amz-Log-Result"] = base64.b64encode(logs.encode()[-TAIL_BYTES:]).decode()
        for line in logs.splitlines():
            log.info("%s: %s", name, line)
        return InvokeResponse(200, result.payload.encode(), headers)

    def _run_async(self, name: str, text: str, qualifier: str | None) -> None:
        try:
            result = self.functions.invoke_raw(name, text, qualifier=qualifier)
            log.info("%s (Event): %s", name, self.redact(result.logs))
        except Exception:  # noqa: BLE001 - an asynchronous invocation has nobody to answer
            log.exception("asynchronous invocation of %s failed", name)
