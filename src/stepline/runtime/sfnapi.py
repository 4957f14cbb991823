"""``StepFunctionsApi(service).call(operation, request, principal) -> dict`` in the shapes of the
botocore model (stepfunctions 2016-11-23). Timestamps are epoch floats; the HTTP edge encodes them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from stepline import arns
from stepline.errors import Invalid, SteplineError
from stepline.runtime.service import StepFunctionsService, published_version
from stepline.runtime.stores.base import ExecutionRecord, MachineRecord

_DATA_FIELDS = ("input", "output")


class InvalidToken(Invalid):
    code = "InvalidToken"


def _required(request: dict[str, Any], name: str) -> Any:
    value = request.get(name)
    if value is None:
        raise Invalid(f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: "
                      "Member must not be null")
    return value


def _page_size(request: dict[str, Any], default: int = 100) -> int:
    size = request.get("maxResults") or default
    if not isinstance(size, int) or size < 0 or size > 1000:
        raise Invalid(f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy "
                      "constraint: Member must have value less than or equal to 1000")
    return size or default


def _offset(request: dict[str, Any], scope: str) -> int:
    start = 0
    token = request.get("nextToken")
    if token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
            if decoded["s"] != scope:
                raise ValueError("token of another listing")
            start = int(decoded["o"])
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            raise InvalidToken("Invalid Token: 'nextToken' is not valid for this request") from None
    return start


def _token(scope: str, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"s": scope, "o": offset}).encode()).decode()


def _page(items: list[Any], request: dict[str, Any], scope: str) -> tuple[list[Any], str | None]:
    start, size = _offset(request, scope), _page_size(request)
    more = start + size < len(items)
    return items[start:start + size], _token(scope, start + size) if more else None


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _version_arn(m: MachineRecord) -> str | None:
    """The ARN of the version of the machine's current revision (what publish=true made or found)."""
    version = published_version(m)
    return f"{m.arn}:{version['number']}" if version else None


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def redrive_status(r: ExecutionRecord) -> tuple[str, str | None]:
    if r.express:
        return "NOT_REDRIVABLE", "Execution is an EXPRESS execution"
    if r.status == "RUNNING":
        return "NOT_REDRIVABLE", "Execution is RUNNING and cannot be redriven"
    if r.status == "SUCCEEDED":
        return "NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven"
    return "REDRIVABLE", None


def execution_shape(r: ExecutionRecord) -> dict[str, Any]:
    status, reason = redrive_status(r)
    return _drop_none({
        "executionArn": r.arn, "stateMachineArn": r.machine_arn, "name": r.name, "status": r.status,
        "startDate": r.start_date, "stopDate": r.stop_date, "input": r.input, "inputDetails": {"included": True},
        "output": r.output, "outputDetails": {"included": True} if r.output is not None else None,
        "error": r.error, "cause": r.cause, "redriveCount": r.redrive_count, "redriveDate": r.redrive_date,
        "redriveStatus": status, "redriveStatusReason": reason, "stateMachineVersionArn": r.version_arn,
        "stateMachineAliasArn": r.alias_arn,
    })


class StepFunctionsApi:
    def __init__(self, service: StepFunctionsService) -> None:
        self.service = service
        self._ops: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            name[3:]: getattr(self, name) for name in dir(self) if name.startswith("op_")
        }

    @property
    def operations(self) -> list[str]:
        return sorted(self._ops)

    def call(self, operation: str, request: dict[str, Any], principal: Any = None) -> dict[str, Any]:
        handler = self._ops.get(operation)
        if handler is None:
            raise SteplineError(f"Operation {operation} is not supported", code="UnknownOperationException")
        if not isinstance(request, dict):
            raise Invalid("The request body must be a JSON object")
        return handler(request)

    # --- state machines -------------------------------------------------------------------------

    def op_CreateStateMachine(self, q: dict[str, Any]) -> dict[str, Any]:
        m = self.service.create_machine(
            _required(q, "name"), _required(q, "definition"), _required(q, "roleArn"),
            type=q.get("type") or "STANDARD",
            logging=q.get("loggingConfiguration"), tracing=q.get("tracingConfiguration"),
            publish=bool(q.get("publish")), version_description=q.get("versionDescription") or "",
            tags=q.get("tags"))
        return _drop_none({"stateMachineArn": m.arn, "creationDate": m.creation_date,
                           "stateMachineVersionArn": _version_arn(m) if q.get("publish") else None})

    def op_UpdateStateMachine(self, q: dict[str, Any]) -> dict[str, Any]:
        m = self.service.update_machine(
            _required(q, "stateMachineArn"), definition=q.get("definition"), role_arn=q.get("roleArn"),
            logging=q.get("loggingConfiguration"), tracing=q.get("tracingConfiguration"),
            publish=bool(q.get("publish")), version_description=q.get("versionDescription") or "")
        return _drop_none({"updateDate": m.update_date, "revisionId": m.revision_id,
                           "stateMachineVersionArn": _version_arn(m) if q.get("publish") else None})

    def op_DescribeStateMachine(self, q: dict[str, Any]) -> dict[str, Any]:
        arn = _required(q, "stateMachineArn")
        m = self.service.machine(arn)
        qualifier = arns.state_machine_parts(arn)[2]
        created = m.creation_date
        if qualifier is not None and qualifier.isdigit():  # a version: its own creation date and description
            created = next(v["creationDate"] for v in m.versions if v["number"] == int(qualifier))
        return _drop_none({
            "stateMachineArn": arn, "name": m.name, "status": "ACTIVE", "definition": m.definition,
            "roleArn": m.role_arn, "type": m.type, "creationDate": created,
            "loggingConfiguration": m.logging, "tracingConfiguration": m.tracing, "revisionId": m.revision_id,
            "description": (m.description or None) if qualifier is not None and qualifier.isdigit() else None,
        })

    def op_ListStateMachines(self, q: dict[str, Any]) -> dict[str, Any]:
        items = [{"stateMachineArn": m.arn, "name": m.name, "type": m.type, "creationDate": m.creation_date}
                 for m in self.service.list_machines()]
        page, nxt = _page(items, q, "machines")
        return _drop_none({"stateMachines": page, "nextToken": nxt})

    def op_DeleteStateMachine(self, q: dict[str, Any]) -> dict[str, Any]:
        self.service.delete_machine(_required(q, "stateMachineArn"))
        return {}

    def op_ValidateStateMachineDefinition(self, q: dict[str, Any]) -> dict[str, Any]:
        from stepline.asl.validate import aws_result

        return aws_result(_required(q, "definition"), severity=q.get("severity") or "ERROR",
                          max_results=q.get("maxResults") or 0, machine_type=q.get("type") or "STANDARD")

    def op_DescribeStateMachineForExecution(self, q: dict[str, Any]) -> dict[str, Any]:
        r = self.service.execution(_required(q, "executionArn"))
        try:
            m = self.service.machine(r.machine_arn)
        except SteplineError:
            m = None
        return _drop_none({
            "stateMachineArn": r.machine_arn, "name": r.machine_arn.split(":")[6], "definition": r.definition,
            "roleArn": r.role_arn, "updateDate": (m.update_date or m.creation_date) if m else r.start_date,
            "loggingConfiguration": m.logging if m else None, "tracingConfiguration": m.tracing if m else None,
            "revisionId": r.revision_id or None,
        })

    # --- executions ---------------------------------------------------------------------------

    def op_StartExecution(self, q: dict[str, Any]) -> dict[str, Any]:
        r = self.service.start_execution(_required(q, "stateMachineArn"), q.get("name"), q.get("input"))
        return {"executionArn": r.arn, "startDate": r.start_date}

    def op_StartSyncExecution(self, q: dict[str, Any]) -> dict[str, Any]:
        r = self.service.start_sync(_required(q, "stateMachineArn"), q.get("name"), q.get("input"))
        shape = execution_shape(r)
        for key in ("redriveCount", "redriveDate", "redriveStatus", "redriveStatusReason"):
            shape.pop(key, None)
        shape["billingDetails"] = {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100}
        return shape

    def op_DescribeExecution(self, q: dict[str, Any]) -> dict[str, Any]:
        return execution_shape(self.service.execution(_required(q, "executionArn")))

    def op_ListExecutions(self, q: dict[str, Any]) -> dict[str, Any]:
        status = q.get("statusFilter")
        if status == "PENDING_REDRIVE":
            status = None
        machine_arn, map_run_arn = q.get("stateMachineArn"), q.get("mapRunArn")
        if (machine_arn is None) == (map_run_arn is None):
            raise Invalid("Must provide a StateMachine ARN or MapRun ARN")
        if map_run_arn is not None:
            # the iterations of a map run are not child executions here: nothing to list (see MapRuns)
            self.service.map_runs.describe(map_run_arn)
            records = []
        else:
            records = self.service.list_executions(machine_arn, status)
        if q.get("redriveFilter") == "REDRIVEN":
            records = [r for r in records if r.redrive_count > 0]
        elif q.get("redriveFilter") == "NOT_REDRIVEN":
            records = [r for r in records if r.redrive_count == 0]
        items = [_drop_none({"executionArn": r.arn, "stateMachineArn": r.machine_arn, "name": r.name,
                             "status": r.status, "startDate": r.start_date, "stopDate": r.stop_date,
                             "redriveCount": r.redrive_count, "redriveDate": r.redrive_date,
                             "stateMachineVersionArn": r.version_arn, "stateMachineAliasArn": r.alias_arn})
                 for r in records]
        page, nxt = _page(items, q, f"executions:{machine_arn or map_run_arn}:{status}")
        return _drop_none({"executions": page, "nextToken": nxt})

    def op_GetExecutionHistory(self, q: dict[str, Any]) -> dict[str, Any]:
        arn = _required(q, "executionArn")
        scope = f"history:{arn}:{bool(q.get('reverseOrder'))}"
        start, size = _offset(q, scope), _page_size(q)
        events = self.service.history(arn, offset=start, limit=size + 1, reverse=bool(q.get("reverseOrder")))
        more = len(events) > size
        events = events[:size]
        if q.get("includeExecutionData") is False:
            events = [_strip_data(e) for e in events]
        return _drop_none({"events": events, "nextToken": _token(scope, start + size) if more else None})

    def op_StopExecution(self, q: dict[str, Any]) -> dict[str, Any]:
        r = self.service.stop(_required(q, "executionArn"), q.get("error"), q.get("cause"))
        return {"stopDate": r.stop_date if r.stop_date is not None else self.service.clock.now()}

    def op_RedriveExecution(self, q: dict[str, Any]) -> dict[str, Any]:
        r = self.service.redrive(_required(q, "executionArn"))
        return {"redriveDate": r.redrive_date}

    # --- versions and aliases -------------------------------------------------------------------

    def op_PublishStateMachineVersion(self, q: dict[str, Any]) -> dict[str, Any]:
        arn = _required(q, "stateMachineArn")
        version = self.service.publish_version(arn, q.get("revisionId"), q.get("description") or "")
        return {"creationDate": version["creationDate"],
                "stateMachineVersionArn": f"{arn}:{version['number']}"}

    def op_ListStateMachineVersions(self, q: dict[str, Any]) -> dict[str, Any]:
        arn = _required(q, "stateMachineArn")
        items = [{"stateMachineVersionArn": f"{arn}:{v['number']}", "creationDate": v["creationDate"]}
                 for v in self.service.versions(arn)]
        page, nxt = _page(items, q, f"versions:{arn}")
        return _drop_none({"stateMachineVersions": page, "nextToken": nxt})

    def op_DeleteStateMachineVersion(self, q: dict[str, Any]) -> dict[str, Any]:
        self.service.delete_version(_required(q, "stateMachineVersionArn"))
        return {}

    def op_CreateStateMachineAlias(self, q: dict[str, Any]) -> dict[str, Any]:
        doc = self.service.create_alias(_required(q, "name"), _required(q, "routingConfiguration"),
                                        q.get("description") or "")
        return {"stateMachineAliasArn": doc["stateMachineAliasArn"], "creationDate": doc["creationDate"]}

    def op_DescribeStateMachineAlias(self, q: dict[str, Any]) -> dict[str, Any]:
        doc = self.service.alias(_required(q, "stateMachineAliasArn"))
        return _drop_none({"stateMachineAliasArn": doc["stateMachineAliasArn"], "name": doc["name"],
                           "description": doc.get("description") or None,
                           "routingConfiguration": doc["routingConfiguration"],
                           "creationDate": doc["creationDate"], "updateDate": doc["updateDate"]})

    def op_UpdateStateMachineAlias(self, q: dict[str, Any]) -> dict[str, Any]:
        doc = self.service.update_alias(_required(q, "stateMachineAliasArn"), q.get("routingConfiguration"),
                                        q.get("description"))
        return {"updateDate": doc["updateDate"]}

    def op_DeleteStateMachineAlias(self, q: dict[str, Any]) -> dict[str, Any]:
        self.service.delete_alias(_required(q, "stateMachineAliasArn"))
        return {}

    def op_ListStateMachineAliases(self, q: dict[str, Any]) -> dict[str, Any]:
        arn = _required(q, "stateMachineArn")
        items = [{"stateMachineAliasArn": d["stateMachineAliasArn"], "creationDate": d["creationDate"]}
                 for d in self.service.aliases(arn)]
        page, nxt = _page(items, q, f"aliases:{arn}")
        return _drop_none({"stateMachineAliases": page, "nextToken": nxt})

    # --- tags -------------------------------------------------------------------------------

    def op_TagResource(self, q: dict[str, Any]) -> dict[str, Any]:
        self.service.tag(_required(q, "resourceArn"), _required(q, "tags"))
        return {}

    def op_UntagResource(self, q: dict[str, Any]) -> dict[str, Any]:
        self.service.untag(_required(q, "resourceArn"), _required(q, "tagKeys"))
        return {}

    def op_ListTagsForResource(self, q: dict[str, Any]) -> dict[str, Any]:
        return {"tags": _tag_list(self.service.tags(_required(q, "resourceArn")))}

    # --- map runs -----------------------------------------------------------------------------

    def op_DescribeMapRun(self, q: dict[str, Any]) -> dict[str, Any]:
        doc = self.service.map_runs.describe(_required(q, "mapRunArn"))
        settings, counts = doc["settings"], doc["counts"]
        return _drop_none({
            "mapRunArn": doc["mapRunArn"], "executionArn": doc["executionArn"], "status": doc["status"],
            "startDate": doc["startDate"], "stopDate": doc.get("stopDate"),
            "maxConcurrency": settings["maxConcurrency"],
            "toleratedFailurePercentage": settings["toleratedFailurePercentage"],
            "toleratedFailureCount": settings["toleratedFailureCount"],
            "itemCounts": counts["items"], "executionCounts": counts["executions"], "redriveCount": 0,
        })

    def op_ListMapRuns(self, q: dict[str, Any]) -> dict[str, Any]:
        arn = _required(q, "executionArn")
        self.service.execution(arn)
        docs = sorted(self.service.map_runs.of_execution(arn), key=lambda d: d["startDate"], reverse=True)
        items = [_drop_none({"executionArn": d["executionArn"], "mapRunArn": d["mapRunArn"],
                             "stateMachineArn": d["stateMachineArn"], "startDate": d["startDate"],
                             "stopDate": d.get("stopDate")}) for d in docs]
        page, nxt = _page(items, q, f"mapruns:{arn}")
        return _drop_none({"mapRuns": page, "nextToken": nxt})

    def op_UpdateMapRun(self, q: dict[str, Any]) -> dict[str, Any]:
        self.service.map_runs.update(_required(q, "mapRunArn"), q.get("maxConcurrency"),
                                     q.get("toleratedFailureCount"), q.get("toleratedFailurePercentage"))
        return {}

    # --- activities ---------------------------------------------------------------------------

    def op_CreateActivity(self, q: dict[str, Any]) -> dict[str, Any]:
        doc = self.service.create_activity(_required(q, "name"), q.get("tags"))
        return {"activityArn": doc["activityArn"], "creationDate": doc["creationDate"]}

    def op_DescribeActivity(self, q: dict[str, Any]) -> dict[str, Any]:
        doc = self.service.activity(_required(q, "activityArn"))
        return {"activityArn": doc["activityArn"], "name": doc["name"], "creationDate": doc["creationDate"],
                "encryptionConfiguration": {"type": "AWS_OWNED_KEY"}}

    def op_ListActivities(self, q: dict[str, Any]) -> dict[str, Any]:
        items = [{"activityArn": d["activityArn"], "name": d["name"], "creationDate": d["creationDate"]}
                 for d in self.service.list_activities()]
        page, nxt = _page(items, q, "activities")
        return _drop_none({"activities": page, "nextToken": nxt})

    def op_DeleteActivity(self, q: dict[str, Any]) -> dict[str, Any]:
        self.service.delete_activity(_required(q, "activityArn"))
        return {}

    def op_GetActivityTask(self, q: dict[str, Any]) -> dict[str, Any]:
        task = self.service.get_activity_task(_required(q, "activityArn"), q.get("workerName"))
        return {} if task is None else {"taskToken": task[0], "input": task[1]}

    # --- callbacks ----------------------------------------------------------------------------

    def op_SendTaskSuccess(self, q: dict[str, Any]) -> dict[str, Any]:
        self.service.send_task_success(_required(q, "taskToken"), _required(q, "output"))
        return {}

    def op_SendTaskFailure(self, q: dict[str, Any]) -> dict[str, Any]:
        self.service.send_task_failure(_required(q, "taskToken"), q.get("error"), q.get("cause"))
        return {}

    def op_SendTaskHeartbeat(self, q: dict[str, Any]) -> dict[str, Any]:
        self.service.send_task_heartbeat(_required(q, "taskToken"))
        return {}

    def op_TestState(self, q: dict[str, Any]) -> dict[str, Any]:
        from stepline.runtime.teststate import test_state

        return test_state(self.service, _required(q, "definition"), q.get("input"),
                          q.get("inspectionLevel") or "INFO", q.get("stateName"))


def _strip_data(event: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in _DATA_FIELDS}
        out[key] = value
    return out
