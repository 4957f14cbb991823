"""Glue task resources over the lake's crawlers and jobs (``stepline.lake.glue``):

- ``arn:aws:states:::aws-sdk:glue:startCrawler`` / ``getCrawler`` / ``getJobRun`` / ``getJobRuns``
  / ``getCrawlers``: the SDK call, its response as the output; errors ``Glue.<Exception>``.
- ``arn:aws:states:::glue:startJobRun``: output ``{"JobRunId": ...}``; with ``.sync`` the task
  waits for the run and outputs the JobRun; a run that does not succeed fails the task with
  ``States.TaskFailed`` and the JobRun as JSON cause.
  https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html

Dates are epoch milliseconds in the optimized integration's outputs (``glue:startJobRun.sync``)
and ISO-8601 strings in the ``aws-sdk:glue:*`` ones (``sdk_output``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from stepline.asl import commands as C
from stepline.errors import SteplineError
from stepline.runtime.integrations.sdk_output import iso_timestamps

SERVICE = "Glue"
_DATES = frozenset({"StartedOn", "LastModifiedOn", "CompletedOn", "CreationTime", "LastUpdated", "StartTime",
                    "SubmissionDateTime", "CompletionDateTime"})  # Glue's and Athena's


def task_json(value: Any) -> Any:
    """Epoch-second dates (Glue's, Athena's) as epoch milliseconds, everything else as is."""
    if isinstance(value, dict):
        return {k: (int(round(v * 1000)) if k in _DATES and isinstance(v, (int, float)) else task_json(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [task_json(v) for v in value]
    return value


def _operation(action: str) -> str:
    return action[:1].upper() + action[1:]


def error_name(code: str) -> str:
    return f"{SERVICE}.{code if code.endswith('Exception') else code + 'Exception'}"


def _failed(task: C.RunTask, e: SteplineError) -> C.TaskFailed:
    return C.TaskFailed(task.task_id, error_name(e.code),
                        f"{e.message} (Service: {SERVICE}, Status Code: 400, Error Code: {e.code}, "
                        f"Request ID: {task.task_id})")


class GlueTasks:
    def __init__(self, statements: Any) -> None:
        self.statements = statements  # sql.dataapi.DataApi: its warehouse is where jobs load
        self.config: Any = None  # bound with the Step Functions service
        self._glue: Any = None
        self._lock = threading.Lock()
        self._waiting: dict[tuple[str, str], str] = {}  # (execution, task) -> job run id

    def glue(self) -> Any:
        """The Glue control plane (built on first use, shared with the HTTP API)."""
        with self._lock:
            if self._glue is None:
                from stepline.lake.glue import Glue

                service = getattr(self.statements, "service", None)
                connect, dialect = None, "duckdb"
                if service is not None:
                    warehouse = service.config.warehouse
                    connect = lambda: service.backend(warehouse).connect()  # noqa: E731
                    dialect = "postgres" if warehouse.backend == "postgres" else "duckdb"
                self._glue = Glue(self.config, connect, dialect=dialect)
            return self._glue

    def run(self, task: C.RunTask, ctx: Any, resource: Any) -> None:
        ctx.spawn(lambda: self._run(task, ctx, resource))

    def _run(self, task: C.RunTask, ctx: Any, resource: Any) -> None:
        params = task.parameters if isinstance(task.parameters, dict) else {}
        try:
            glue = self.glue()
            if resource.family == "glue" and resource.action == "startJobRun":
                self._start_job_run(task, ctx, glue, params, resource.pattern)
                return
            output = self._sdk(glue, resource.action, params)
        except SteplineError as e:
            ctx.report(_failed(task, e))
            return
        except Exception as e:  # noqa: BLE001 - any other failure becomes a workflow error name
            ctx.report(C.TaskFailed(task.task_id, error_name("InternalService"), f"{type(e).__name__}: {e}"))
            return
        # an aws-sdk:glue:* call: the SDK response, timestamps as ISO-8601 strings
        ctx.report(C.TaskSucceeded(task.task_id, iso_timestamps("glue", _operation(resource.action), output)))

    @staticmethod
    def _sdk(glue: Any, action: str, params: dict[str, Any]) -> Any:
        from stepline.lake.glue import GlueError

        if action == "startCrawler":
            glue.start_crawler(params.get("Name"))
            return {}
        if action == "getCrawler":
            return {"Crawler": glue.get_crawler(params.get("Name"))}
        if action == "getCrawlers":
            return {"Crawlers": [glue.get_crawler(n) for n in glue.crawler_names()]}
        if action == "startJobRun":
            return {"JobRunId": glue.start_job_run(params.get("JobName"), params.get("Arguments"),
                                                   timeout=params.get("Timeout"))}
        if action == "getJobRun":
            return {"JobRun": glue.get_job_run(params.get("JobName"), params.get("RunId"))}
        if action == "getJobRuns":
            return {"JobRuns": glue.get_job_runs(params.get("JobName"))}
        raise GlueError(f"stepline does not support the Glue action '{action}'", code="InvalidInputException")

    def _start_job_run(self, task: C.RunTask, ctx: Any, glue: Any, params: dict[str, Any], pattern: str) -> None:
        # the run's id is derived from (execution, task id): re-running this attempt after a
        # restart finds the run it started instead of loading a second time
        own_id = "jr_" + hashlib.sha256(f"{ctx.record.arn}|{task.task_id}".encode()).hexdigest()
        run_id = glue.start_job_run(params.get("JobName"), params.get("Arguments"), timeout=params.get("Timeout"),
                                    run_id=own_id)
        started = {"JobRunId": run_id}
        if pattern != "sync":
            ctx.report(C.TaskSucceeded(task.task_id, started))
            return
        key = (ctx.record.arn, task.task_id)
        with self._lock:
            self._waiting[key] = run_id
        ctx.report(C.TaskSubmitted(task.task_id, started))

        def finished(run: dict[str, Any]) -> None:
            with self._lock:
                if self._waiting.pop(key, None) is None:
                    return  # the task was cancelled meanwhile
            out = task_json(run)
            if run["JobRunState"] == "SUCCEEDED":
                ctx.report(C.TaskSucceeded(task.task_id, out))
            else:
                ctx.report(C.TaskFailed(task.task_id, "States.TaskFailed", json.dumps(out)))

        if not glue.on_job_run_finished(run_id, finished):
            finished(glue.get_job_run(params.get("JobName"), run_id))

    def cancel(self, execution_arn: str, task_id: str) -> None:
        # a Glue job run is not stopped with the task (AWS calls BatchStopJobRun; a load here is
        # one short transaction): the task just stops waiting for it
        with self._lock:
            self._waiting.pop((execution_arn, task_id), None)

    def cancel_execution(self, execution_arn: str) -> None:
        with self._lock:
            for key in [k for k in self._waiting if k[0] == execution_arn]:
                self._waiting.pop(key, None)
