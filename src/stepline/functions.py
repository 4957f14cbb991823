"""Local Lambda functions: ``[functions.<name>] handler = "module.path:function"`` from the config,
called with Lambda's event/context contract in warm worker subprocesses.

Each concurrent invocation gets its own worker process (kept warm for the next call), so a
function's environment, ``sys.path`` and module state are isolated from stepline and from other
functions, and a timeout is enforced by killing the worker, as Lambda does. The worker sees
``AWS_ENDPOINT_URL`` (and the per-service variants) pointing at the stepline server, so handler
code that builds ``boto3.client('redshift-data')`` runs unmodified.

https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html
https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stepline import arns
from stepline.config import Config, FunctionConfig
from stepline.errors import Invalid, NotFound, SteplineError

MAX_IDLE_WORKERS = 8  # per function; more concurrent calls spawn more, the extras exit afterwards
# Service ids as botocore turns them into AWS_ENDPOINT_URL_<ID> variables.
# https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
_SERVICE_IDS = ("REDSHIFT_DATA", "SSM", "SECRETS_MANAGER", "SFN", "LAMBDA")


class FunctionError(Exception):
    """The handler raised (or timed out): ``error_type`` and Lambda's error ``document``. Not a
    ``SteplineError``: it is the function's result, which a workflow may catch by name."""

    def __init__(self, error_type: str, document: dict[str, Any], logs: str = "") -> None:
        super().__init__(str(document.get("errorMessage", error_type)))
        self.error_type = error_type
        self.document = document
        self.logs = logs


class FunctionTimeout(FunctionError):
    pass


@dataclass(frozen=True, slots=True)
class Invocation:
    """One call's outcome at the edge: the response payload (JSON text), the captured log, and
    for a failure the error type (the payload is then the error document)."""

    request_id: str
    payload: str
    logs: str
    error_type: str | None = None
    executed_version: str = "$LATEST"


@dataclass(frozen=True, slots=True)
class Target:
    """What an Invoke names: the function, the qualifier it was called with (None for an
    unqualified name) and the version that runs ($LATEST, a version, or an alias's version)."""

    function: FunctionConfig
    qualifier: str | None
    version: str


class QualifierMismatch(Invalid):
    code = "InvalidParameterValueException"


def split_qualifier(ref: str) -> tuple[str, str | None]:
    """``FunctionName`` -> (name, qualifier): ``f``, ``f:live``, ``123456789012:function:f:1`` or
    ``arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST``."""
    name = arns.function_name(ref)
    tail = ref.split(":function:", 1)[1] if ":function:" in ref else ref
    _, sep, qualifier = tail.partition(":")
    return name, (qualifier if sep else None)


def decode_client_context(text: str | None) -> dict[str, Any] | None:
    """``X-Amz-Client-Context`` / ``ClientContext``: base64 of a JSON object."""
    if not text:
        return None
    import base64
    import binascii

    try:
        value = json.loads(base64.b64decode(text.encode(), validate=True).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = None
    if not isinstance(value, dict):
        raise Invalid("Client context must be a valid Base64-encoded JSON object.",
                      code="InvalidRequestContentException")
    return value


class _Worker:
    def __init__(self, argv: list[str], env: dict[str, str], cwd: str) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None,
                                     env=env, cwd=cwd)
        self.buffer = b""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()

    def receive(self, deadline: float | None) -> dict[str, Any] | None:
        """The worker's reply line, or None when the deadline passes; EOFError when it died."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise EOFError("the worker exited")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


class LocalFunctions:
    """Example::

        functions = LocalFunctions(config, endpoint_url="http://127.0.0.1:8787")
        functions.invoke("execute-sql", {"sql_statement": "select 1"})
    """

    def __init__(self, config: Config, endpoint_url: str | None = None) -> None:
        self.config = config
        host = config.server.host if config.server.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        self.endpoint_url = endpoint_url or f"http://{host}:{config.server.port}"
        self._idle: dict[str, list[_Worker]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def names(self) -> list[str]:
        return sorted(self.config.functions)

    def function_config(self, name: str) -> FunctionConfig:
        ref = arns.function_name(name)
        fn = self.config.functions.get(ref)
        if fn is None:
            region, account = self.config.server.region, self.config.server.account_id
            raise NotFound(f"Function not found: {arns.function(ref, region, account)}",
                           code="ResourceNotFoundException")
        return fn

    def arn(self, name: str) -> str:
        return arns.function(name, self.config.server.region, self.config.server.account_id)

    def resolve(self, ref: str, qualifier: str | None = None) -> Target:
        """The function and version an Invoke of ``ref`` (plus its ``Qualifier``) runs; an
        unknown function or qualifier is ResourceNotFoundException, as Lambda has it."""
        name, derived = split_qualifier(ref)
        if qualifier and derived and qualifier != derived:
            raise QualifierMismatch("The derived qualifier from the function name does not match the specified "
                                    "qualifier.")
        qualifier = qualifier or derived
        fn = self.function_config(name)
        if qualifier is None or qualifier == "$LATEST":
            return Target(fn, qualifier, "$LATEST")
        versions = {str(v) for v in fn.versions}
        if qualifier in versions:
            return Target(fn, qualifier, qualifier)
        if qualifier in fn.aliases:
            return Target(fn, qualifier, str(fn.aliases[qualifier]))
        raise NotFound(f"Function not found: {self.arn(fn.name)}:{qualifier}", code="ResourceNotFoundException")

    # -- calls ---------------------------------------------------------------------------------
    def invoke(self, name: str, payload: Any, timeout: float | None = None) -> Any:
        """Call the handler with ``payload`` (any JSON value) and return what it returned; a raised
        exception or a timeout becomes ``FunctionError`` carrying Lambda's error document."""
        result = self.invoke_raw(name, json.dumps(payload), timeout=timeout)
        if result.error_type is not None:
            cls = FunctionTimeout if result.error_type == "Sandbox.Timedout" else FunctionError
            raise cls(result.error_type, json.loads(result.payload), result.logs)
        return json.loads(result.payload)

    def invoke_raw(self, name: str, payload: str, timeout: float | None = None, *, qualifier: str | None = None,
                   client_context: dict[str, Any] | None = None) -> Invocation:
        """The edge's call: ``payload`` is JSON text; the outcome keeps the response as text.
        ``name`` may carry a qualifier (``f:live``, a qualified ARN), or ``qualifier`` names one;
        ``client_context`` is the decoded ClientContext the handler sees."""
        target = self.resolve(name, qualifier)
        fn = target.function
        try:
            json.loads(payload or "null")
        except (ValueError, RecursionError):  # RecursionError: nested too deep to parse
            raise Invalid("Could not parse request body into json: Could not parse payload into json",
                          code="InvalidRequestContentException") from None
        limit = fn.timeout if timeout is None else min(float(timeout), fn.timeout)
        request_id = str(uuid.uuid4())
        worker = self._checkout(fn)
        started = time.monotonic()
        timed_out = False
        try:
            invoked_arn = self.arn(fn.name) + (f":{target.qualifier}" if target.qualifier else "")
            worker.send({"payload": payload or "null", "request_id": request_id, "timeout_ms": int(limit * 1000),
                         "version": target.version, "invoked_arn": invoked_arn, "client_context": client_context})
            reply = worker.receive(started + limit)
            timed_out = reply is None
        except (EOFError, ValueError, OSError):  # died mid-call (os._exit, segfault, broken pipe)
            reply = None
        if reply is None:
            worker.kill()
            if timed_out:
                message = f"RequestId: {request_id} Error: Task timed out after {limit:.2f} seconds"
                doc = {"errorMessage": message, "errorType": "Sandbox.Timedout"}
                return Invocation(request_id, json.dumps(doc), message + "\n", "Sandbox.Timedout", target.version)
            message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {worker.proc.returncode}"
            doc = {"errorMessage": message, "errorType": "Runtime.ExitError"}
            return Invocation(request_id, json.dumps(doc), message + "\n", "Runtime.ExitError", target.version)
        self._checkin(fn.name, worker)
        return Invocation(request_id, reply["payload"], reply.get("logs", ""), reply.get("error_type"),
                          target.version)

    # -- workers -------------------------------------------------------------------------------
    def _checkout(self, fn: FunctionConfig) -> _Worker:
        with self._lock:
            idle = self._idle.setdefault(fn.name, [])
            while idle:
                worker = idle.pop()
                if worker.alive():
                    return worker
                worker.kill()
        return _Worker([sys.executable, "-m", "stepline.functions"], self.environment(fn), str(self._path(fn)))  # cwd = the code, like /var/task

    def _checkin(self, name: str, worker: _Worker) -> None:
        with self._lock:
            idle = self._idle.setdefault(name, [])
            if not self._closed and len(idle) < MAX_IDLE_WORKERS:
                idle.append(worker)
                return
        worker.kill()

    def environment(self, fn: FunctionConfig) -> dict[str, str]:
        """The worker's environment: stepline's endpoint and region, the function's own variables."""
        region = self.config.server.region
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
            # StartSyncExecution's endpoint carries a "sync-" host prefix, which cannot resolve on a
            # local endpoint URL; botocore skips it with this variable.
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
            "AWS_LAMBDA_FUNCTION_NAME": fn.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local/[$LATEST]stepline",
            "_HANDLER": fn.handler,
            "STEPLINE_FUNCTION_ARN": self.arn(fn.name),
            "STEPLINE_FUNCTION_PATH": str(self._path(fn)),
            "PYTHONUNBUFFERED": "1",
        })
        for service in _SERVICE_IDS:
            env[f"AWS_ENDPOINT_URL_{service}"] = self.endpoint_url
        access_key, secret = self._credentials()
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = access_key, secret
        env.update({str(k): str(v) for k, v in fn.environment.items()})
        return env

    def _credentials(self) -> tuple[str, str]:
        """The first configured access key (so handlers pass signature checks), else dummies."""
        for key in self.config.server.access_keys:
            from stepline.server.sigv4 import secret_for  # only when keys are configured

            try:
                return key.access_key_id, secret_for(self.config, key)
            except SteplineError:
                continue
        return "stepline", "stepline"

    def _path(self, fn: FunctionConfig) -> Path:
        if fn.path is None:
            return self.config.base_dir
        p = Path(fn.path)
        return p if p.is_absolute() else self.config.base_dir / p

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = [w for ws in self._idle.values() for w in ws]
            self._idle.clear()
        for worker in workers:
            worker.kill()


# -- the worker process ----------------------------------------------------------------------------


class Client:
    """``context.client_context.client``: the invoking mobile app, as Lambda's Python runtime has it."""

    def __init__(self, installation_id: Any = None, app_title: Any = None, app_version_name: Any = None,
                 app_version_code: Any = None, app_package_name: Any = None, **_: Any) -> None:
        self.installation_id = installation_id
        self.app_title = app_title
        self.app_version_name = app_version_name
        self.app_version_code = app_version_code
        self.app_package_name = app_package_name


class ClientContext:
    """``context.client_context``: the decoded ClientContext of a synchronous Invoke."""

    def __init__(self, document: dict[str, Any]) -> None:
        client = document.get("client")
        self.client = Client(**client) if isinstance(client, dict) else None
        self.custom = document.get("custom")
        self.env = document.get("env")


class LambdaContext:
    """The context object handlers receive (the attributes of Lambda's Python runtime)."""

    def __init__(self, request_id: str, timeout_ms: int, version: str = "$LATEST", invoked_arn: str | None = None,
                 client_context: dict[str, Any] | None = None) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = version
        self.invoked_function_arn = invoked_arn or os.environ["STEPLINE_FUNCTION_ARN"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.aws_request_id = request_id
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"].replace("$LATEST", version)
        self.identity = None
        self.client_context = ClientContext(client_context) if client_context is not None else None
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _Capture:
    """sys.stdout/sys.stderr during an invocation: everything the handler prints, in order."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _error_document(e: BaseException, request_id: str, error_type: str | None = None) -> dict[str, Any]:
    import traceback

    frames = traceback.format_list(traceback.extract_tb(e.__traceback__)[1:])
    return {"errorMessage": str(e), "errorType": error_type or type(e).__name__,
            "requestId": request_id, "stackTrace": [f.rstrip("\n") for f in frames]}


def _worker_main() -> None:
    import importlib
    import logging

    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # stray fd-level writes must not corrupt the reply channel
    sys.path.insert(0, os.environ["STEPLINE_FUNCTION_PATH"])
    capture = _Capture()

    class _ToCapture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            capture.write(f"[{record.levelname}]\t{record.getMessage()}\n")

    logging.getLogger().addHandler(_ToCapture())
    handler = None
    init_error: dict[str, Any] | None = None
    module_name, _, func_name = os.environ["_HANDLER"].partition(":")
    for line in sys.stdin:
        message = json.loads(line)
        request_id = message["request_id"]
        capture.parts.clear()
        sys.stdout = sys.stderr = capture  # type: ignore[assignment]
        reply: dict[str, Any]
        try:
            if handler is None and init_error is None:
                try:
                    handler = getattr(importlib.import_module(module_name), func_name)
                except Exception as e:  # noqa: BLE001 - reported as Lambda's init errors
                    kind = "Runtime.HandlerNotFound" if isinstance(e, AttributeError) else "Runtime.ImportModuleError"
                    init_error = {"errorMessage": f"Unable to import module '{module_name}': {e}"
                                  if kind == "Runtime.ImportModuleError" else
                                  f"Handler '{func_name}' missing on module '{module_name}'",
                                  "errorType": kind, "requestId": "", "stackTrace": []}
            if init_error is not None:
                reply = {"payload": json.dumps(init_error), "error_type": init_error["errorType"]}
            else:
                event = json.loads(message["payload"])
                version = message.get("version") or "$LATEST"
                os.environ["AWS_LAMBDA_FUNCTION_VERSION"] = version  # one worker serves every version
                context = LambdaContext(request_id, message["timeout_ms"], version, message.get("invoked_arn"),
                                        message.get("client_context"))
                try:
                    result = handler(event, context)  # type: ignore[misc]
                except Exception as e:  # noqa: BLE001 - the handler's failure is the result
                    doc = _error_document(e, request_id)
                    print(f"[ERROR] {doc['errorType']}: {doc['errorMessage']}")
                    reply = {"payload": json.dumps(doc), "error_type": doc["errorType"]}
                else:
                    try:
                        reply = {"payload": json.dumps(result)}
                    except (TypeError, ValueError) as e:
                        doc = {"errorMessage": f"Unable to marshal response: {e}", "errorType": "Runtime.MarshalError",
                               "requestId": request_id, "stackTrace": []}
                        reply = {"payload": json.dumps(doc), "error_type": "Runtime.MarshalError"}
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        reply["logs"] = "".join(capture.parts)
        channel.write(json.dumps(reply) + "\n")
        channel.flush()


if __name__ == "__main__":
    _worker_main()
