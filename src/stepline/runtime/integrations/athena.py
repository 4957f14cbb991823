"""Athena task resources over the warehouse (``stepline.lake.athena``):
``arn:aws:states:::athena:startQueryExecution`` (output ``{"QueryExecutionId": ...}``; with
``.sync`` the GetQueryExecution response once the query ended, a failed or cancelled query fails
the task with ``States.TaskFailed`` and that response as cause), ``athena:getQueryExecution``,
``athena:getQueryResults``, ``athena:stopQueryExecution`` and the same as ``aws-sdk:athena:*``.
https://docs.aws.amazon.com/step-functions/latest/dg/connect-athena.html
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from stepline.asl import commands as C
from stepline.errors import SteplineError
from stepline.runtime.integrations.glue import task_json
from stepline.runtime.integrations.sdk_output import iso_timestamps

SERVICE = "Athena"


def error_name(code: str) -> str:
    return f"{SERVICE}.{code if code.endswith('Exception') else code + 'Exception'}"


class AthenaTasks:
    def __init__(self, statements: Any) -> None:
        self.statements = statements  # sql.dataapi.DataApi
        self.config: Any = None  # bound with the Step Functions service
        self._athena: Any = None
        self._lock = threading.Lock()
        self._waiting: dict[tuple[str, str], str] = {}  # (execution, task) -> query execution id

    def athena(self) -> Any:
        """The Athena front of the warehouse (built on first use, shared with the HTTP API)."""
        with self._lock:
            if self._athena is None:
                from stepline.lake.athena import Athena

                self._athena = Athena(self.config, getattr(self.statements, "service", None))
            return self._athena

    def run(self, task: C.RunTask, ctx: Any, resource: Any) -> None:
        ctx.spawn(lambda: self._run(task, ctx, resource))

    def _run(self, task: C.RunTask, ctx: Any, resource: Any) -> None:
        params = task.parameters if isinstance(task.parameters, dict) else {}
        try:
            athena = self.athena()
            if resource.action == "startQueryExecution":
                query_id = athena.start_query_execution(
                    params.get("QueryString"), database=(params.get("QueryExecutionContext") or {}).get("Database"),
                    output_location=(params.get("ResultConfiguration") or {}).get("OutputLocation"),
                    workgroup=params.get("WorkGroup"),
                    # re-running this attempt after a restart finds the query it started
                    client_request_token=params.get("ClientRequestToken") or hashlib.sha256(
                        f"{ctx.record.arn}|{task.task_id}".encode()).hexdigest()[:64])
                if resource.pattern == "sync" and resource.family == "athena":
                    self._wait(task, ctx, athena, query_id)
                    return
                output: Any = {"QueryExecutionId": query_id}
            elif resource.action == "getQueryExecution":
                output = {"QueryExecution": athena.get_query_execution(params.get("QueryExecutionId"))}
            elif resource.action == "getQueryResults":
                output = athena.get_query_results(params.get("QueryExecutionId"), next_token=params.get("NextToken"),
                                                  max_results=params.get("MaxResults"))
            elif resource.action == "stopQueryExecution":
                athena.stop_query_execution(params.get("QueryExecutionId"))
                output = {}
            else:
                ctx.report(C.TaskFailed(task.task_id, "States.Runtime",
                                        f"stepline does not support the resource '{task.resource}'"))
                return
        except SteplineError as e:
            ctx.report(C.TaskFailed(task.task_id, error_name(e.code),
                                    f"{e.message} (Service: {SERVICE}, Status Code: 400, Error Code: {e.code}, "
                                    f"Request ID: {task.task_id})"))
            return
        except Exception as e:  # noqa: BLE001 - any other failure becomes a workflow error name
            ctx.report(C.TaskFailed(task.task_id, error_name("InternalServer"), f"{type(e).__name__}: {e}"))
            return
        if resource.family == "athena-sdk":  # the SDK response, timestamps as ISO-8601 strings
            output = iso_timestamps("athena", resource.action[:1].upper() + resource.action[1:], output)
        else:
            output = task_json(output)
        ctx.report(C.TaskSucceeded(task.task_id, output))

    def _wait(self, task: C.RunTask, ctx: Any, athena: Any, query_id: str) -> None:
        key = (ctx.record.arn, task.task_id)
        with self._lock:
            self._waiting[key] = query_id
        ctx.report(C.TaskSubmitted(task.task_id, {"QueryExecutionId": query_id}))

        def wait() -> None:
            execution = athena.wait(query_id)
            with self._lock:
                if self._waiting.pop(key, None) is None:
                    return  # the task was cancelled meanwhile (and stopped the query)
            out = task_json({"QueryExecution": execution})
            if execution["Status"]["State"] == "SUCCEEDED":
                ctx.report(C.TaskSucceeded(task.task_id, out))
            else:
                ctx.report(C.TaskFailed(task.task_id, "States.TaskFailed", json.dumps(out)))

        # a query may run long: it waits on a thread of its own, not on the engine's pool
        threading.Thread(target=wait, name=f"athena-{query_id}", daemon=True).start()

    def cancel(self, execution_arn: str, task_id: str) -> None:
        """A cancelled .sync task stops its query, as Step Functions does."""
        with self._lock:
            query_id = self._waiting.pop((execution_arn, task_id), None)
        if query_id is not None:
            try:
                self.athena().stop_query_execution(query_id)
            except SteplineError:
                pass  # it ended meanwhile

    def cancel_execution(self, execution_arn: str) -> None:
        with self._lock:
            keys = [k for k in self._waiting if k[0] == execution_arn]
        for key in keys:
            self.cancel(*key)
