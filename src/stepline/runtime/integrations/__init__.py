"""Resource ARN -> integration. Each integration turns one ``RunTask`` into Task{Started,
Submitted,Succeeded,Failed} inputs reported through the engine's queue.

Patterns: request-response (plain), ``.sync`` / ``.sync:2`` (wait for the job) and
``.waitForTaskToken`` (wait for SendTaskSuccess/Failure).
https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from stepline.asl import commands as C


class Integration(Protocol):
    def run(self, task: C.RunTask, ctx: Any, resource: Resource) -> None:
        """Start one attempt; report the outcome with ``ctx.report`` (may do so later)."""
        ...


@dataclass(frozen=True, slots=True)
class Resource:
    family: str  # redshiftdata | lambda | lambda-invoke | states | glue | glue-sdk | athena | athena-sdk | activity | unknown
    action: str  # e.g. executeStatement, startExecution, the function name
    pattern: str  # "" | "sync" | "sync:2" | "waitForTaskToken"
    arn: str


def parse_resource(arn: str) -> Resource:
    base, pattern = arn, ""
    for suffix in (".waitForTaskToken", ".sync:2", ".sync"):
        if arn.endswith(suffix):
            base, pattern = arn[: -len(suffix)], suffix[1:]
            break
    if base.startswith("arn:aws:states:::aws-sdk:redshiftdata:"):
        return Resource("redshiftdata", base.rsplit(":", 1)[1], pattern, arn)
    if base.startswith("arn:aws:states:::aws-sdk:glue:"):
        return Resource("glue-sdk", base.rsplit(":", 1)[1], pattern, arn)
    if base == "arn:aws:states:::glue:startJobRun":
        return Resource("glue", "startJobRun", pattern, arn)
    if base.startswith(("arn:aws:states:::athena:", "arn:aws:states:::aws-sdk:athena:")):
        family = "athena-sdk" if ":aws-sdk:" in base else "athena"
        return Resource(family, base.rsplit(":", 1)[1], pattern, arn)
    if base == "arn:aws:states:::lambda:invoke":
        return Resource("lambda-invoke", "invoke", pattern, arn)
    if base.startswith("arn:aws:lambda:") and ":function:" in base:
        return Resource("lambda", base.split(":function:", 1)[1].split(":", 1)[0], pattern, arn)
    if base == "arn:aws:states:::states:startExecution":
        return Resource("states", "startExecution", pattern, arn)
    parts = base.split(":")
    if len(parts) == 7 and parts[:3] == ["arn", "aws", "states"] and parts[5] == "activity":
        return Resource("activity", parts[6], pattern, base)
    return Resource("unknown", base, pattern, arn)


class Integrations:
    """The registry the engine calls; built once by ``build_runtime``."""

    def __init__(self, *, statements: Any = None, functions: Any = None) -> None:
        from stepline.runtime.integrations.activities import Activities
        from stepline.runtime.integrations.athena import AthenaTasks
        from stepline.runtime.integrations.callbacks import Callbacks
        from stepline.runtime.integrations.glue import GlueTasks
        from stepline.runtime.integrations.item_reader import LakeItemReader
        from stepline.runtime.integrations.lambda_invoke import LambdaIntegration
        from stepline.runtime.integrations.nested import NestedExecutions
        from stepline.runtime.integrations.redshift_data import RedshiftData

        self.redshift = RedshiftData(statements)
        self.lambdas = LambdaIntegration(functions)
        self.nested = NestedExecutions()
        self.callbacks = Callbacks()
        self.item_reader = LakeItemReader()  # a Distributed Map's ItemReader/ResultWriter over the lake
        self.glue = GlueTasks(statements)
        self.athena = AthenaTasks(statements)
        self.activities = Activities(self.callbacks)  # Task states whose Resource is an activity ARN
        self._by_family: dict[str, Any] = {
            "redshiftdata": self.redshift, "lambda": self.lambdas, "lambda-invoke": self.lambdas,
            "states": self.nested, "glue": self.glue, "glue-sdk": self.glue,
            "athena": self.athena, "athena-sdk": self.athena, "activity": self.activities,
        }

    def bind(self, service: Any) -> None:
        """Give the nested-execution integration the service that starts child executions,
        Glue the configuration holding its crawlers and jobs, and the item reader the data
        directory whose lake it reads."""
        self.nested.service = service
        self.glue.config = self.athena.config = service.config
        self.item_reader.data_dir = service.config.data_dir
        self.activities.exists = lambda arn: service.store.get_resource("activity", arn) is not None

    def run(self, task: C.RunTask, ctx: Any) -> None:
        resource = parse_resource(task.resource)
        integration = self._by_family.get(resource.family)
        if integration is None:
            ctx.report(C.TaskFailed(task.task_id, "States.Runtime",
                                    f"stepline does not support the resource '{task.resource}'"))
            return
        if resource.family != "activity":  # an activity task starts when a worker takes it
            ctx.report(C.TaskStarted(task.task_id))
        if resource.pattern == "waitForTaskToken":
            ctx = self.callbacks.register(task, ctx)
        integration.run(task, ctx, resource)

    def cancel(self, execution_arn: str, task_id: str) -> None:
        self.callbacks.cancel(execution_arn, task_id)
        self.nested.cancel(execution_arn, task_id)
        self.glue.cancel(execution_arn, task_id)
        self.athena.cancel(execution_arn, task_id)
        self.activities.cancel(execution_arn, task_id)

    def cancel_execution(self, execution_arn: str) -> None:
        self.callbacks.cancel_execution(execution_arn)
        self.nested.cancel_execution(execution_arn)
        self.glue.cancel_execution(execution_arn)
        self.athena.cancel_execution(execution_arn)
        self.activities.cancel_execution(execution_arn)


def sdk_error_name(service: str, code: str) -> str:
    """AWS SDK integration errors are ``<Service>.<ExceptionName>``, e.g.
    ``RedshiftData.ValidationException``.
    https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html"""
    return f"{service}.{code}"
