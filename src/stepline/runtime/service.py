"""Step Functions operations on domain objects: state machines, executions, history, callbacks.

AWS shapes live in ``sfnapi.py``; here everything is records and Python values.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import replace
from typing import Any

from stepline import arns
from stepline.asl import commands as C
from stepline.clock import Clock
from stepline.config import Config
from stepline.errors import Conflict, Invalid, LimitExceeded, NotFound, SteplineError
from stepline.runtime.engine import Engine, Interpreter, Live, seed_of
from stepline.runtime.stores.base import ExecutionRecord, ExecutionStore, MachineRecord


class StateMachineDoesNotExist(NotFound):
    code = "StateMachineDoesNotExist"


class ExecutionDoesNotExist(NotFound):
    code = "ExecutionDoesNotExist"


class ExecutionAlreadyExists(Conflict):
    code = "ExecutionAlreadyExists"


class StateMachineAlreadyExists(Conflict):
    code = "StateMachineAlreadyExists"


class InvalidDefinition(Invalid):
    code = "InvalidDefinition"


class InvalidName(Invalid):
    code = "InvalidName"


class InvalidExecutionInput(Invalid):
    code = "InvalidExecutionInput"


class ExecutionNotRedrivable(Conflict):
    code = "ExecutionNotRedrivable"


class StateMachineTypeNotSupported(Invalid):
    code = "StateMachineTypeNotSupported"


class ResourceNotFound(NotFound):
    code = "ResourceNotFound"


class ServiceQuotaExceeded(LimitExceeded):
    code = "ServiceQuotaExceededException"


class TooManyTags(LimitExceeded):
    code = "TooManyTags"


class ActivityDoesNotExist(NotFound):
    code = "ActivityDoesNotExist"


class ActivityAlreadyExists(Conflict):
    code = "ActivityAlreadyExists"


# Step Functions quotas: https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
MAX_VERSIONS = 1000
MAX_ALIASES = 100
MAX_TAGS = 50
# CharacterRestrictedName: an alias name holds a letter, '_', '-' or '.', so it never reads as a version number
_ALIAS_NAME = re.compile(r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$")
_MISSING = "Request references a resource that does not exist."


def definition_errors(definition: str) -> list[Any]:
    from stepline.asl.validate import validate

    return [d for d in validate(definition) if d.severity == "ERROR"]


# Documents from callers (execution input, task output) are walked recursively by the interpreter,
# the history and the stores: deeper ones are refused up front, not met as a RecursionError later.
MAX_JSON_DEPTH = 200


def loads_json(text: str) -> Any:
    """``json.loads`` refusing (ValueError) documents nested deeper than ``MAX_JSON_DEPTH``."""
    too_deep = f"the JSON text is nested more than {MAX_JSON_DEPTH} levels deep"
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(too_deep) from None
    pending = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(too_deep)
            pending.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return value


def parse_input(text: str | None) -> Any:
    if text is None or text == "":
        return {}
    try:
        return loads_json(text)
    except (TypeError, ValueError) as e:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{e}'") from None


class StepFunctionsService:
    def __init__(self, config: Config, store: ExecutionStore, clock: Clock, integrations: Any,
                 interpreter: Interpreter) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.integrations = integrations
        self.interpreter = interpreter
        self.engine = Engine(store, clock, interpreter, integrations)
        self._machines: dict[str, Any] = {}  # definition text -> loaded StateMachine
        self.map_runs = MapRuns(store, self.engine)
        self.engine.on_events = self.map_runs.observe
        integrations.bind(self)

    @property
    def region(self) -> str:
        return self.config.server.region

    @property
    def account(self) -> str:
        return self.config.server.account_id

    def load(self, definition: str) -> Any:
        machine = self._machines.get(definition)
        if machine is None:
            try:
                machine = self.interpreter.load(definition)
            except SteplineError:
                raise
            except Exception as e:  # noqa: BLE001 - DefinitionError and parse failures
                raise InvalidDefinition(f"Invalid State Machine Definition: '{e}'") from None
            self._machines[definition] = machine
        return machine

    # --- state machines -------------------------------------------------------------------------

    def check_definition(self, definition: str) -> None:
        errors = definition_errors(definition)
        if errors:
            text = ", ".join(f"{d.code}: {d.message}" + (f" at {d.location}" if d.location else "") for d in errors)
            raise InvalidDefinition(f"Invalid State Machine Definition: '{text}'")

    def create_machine(self, name: str, definition: str, role_arn: str, *, type: str = "STANDARD",
                       description: str = "", logging: dict | None = None, tracing: dict | None = None,
                       publish: bool = False, version_description: str = "",
                       tags: list[dict[str, Any]] | None = None) -> MachineRecord:
        _check_version_description(publish, version_description)
        if not arns.valid_name(name):
            raise InvalidName(f"Invalid Name: '{name}'")
        if type not in ("STANDARD", "EXPRESS"):
            raise Invalid(f"1 validation error detected: Value '{type}' at 'type' failed to satisfy constraint: "
                          "Member must satisfy enum value set: [STANDARD, EXPRESS]")
        self.check_definition(definition)
        arn = arns.state_machine(name, self.region, self.account)
        checked_tags = _checked_tags(arn, tags or [], {})
        existing = self.store.get_machine(arn)
        if existing is not None:
            if existing.definition == definition and existing.role_arn == role_arn and existing.type == type:
                published = _publish(existing, version_description, self.clock.now()) if publish else existing
                if published is not existing:
                    self.store.put_machine(published)
                return published
            raise StateMachineAlreadyExists(f"State Machine Already Exists: '{arn}'")
        now = self.clock.now()
        record = MachineRecord(arn, name, definition, role_arn, type, creation_date=now,
                               revision_id=uuid.uuid4().hex, description=description,
                               logging=logging or {"level": "OFF", "includeExecutionData": False},
                               tracing=tracing or {"enabled": False})
        if publish:
            record = _publish(record, version_description, now)
        self.store.put_machine(record)
        if checked_tags:
            self.store.put_resource("tags", arn, checked_tags)
        return record

    def machine(self, arn: str) -> MachineRecord:
        _, name, qualifier = arns.state_machine_parts(arn)
        a = arns.parse(arn)
        base = arn if qualifier is None else arn.rsplit(":", 1)[0]
        if not a.has_real_account:
            # a tutorial placeholder such as [ACCOUNT-NUMBER]: resolve by name in our account
            base = arns.state_machine(name, self.region, self.account)
        record = self.store.get_machine(base)
        if record is None:
            raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
        if qualifier is not None and qualifier.isdigit():
            version = _version(record, int(qualifier))
            if version is None:
                raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
            return replace(record, definition=version["definition"], role_arn=version["roleArn"],
                           revision_id=version["revisionId"], description=version.get("description") or "")
        if qualifier is not None and self.store.get_resource("alias", f"{record.arn}:{qualifier}") is None:
            raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
        return record

    def update_machine(self, arn: str, *, definition: str | None = None, role_arn: str | None = None,
                       logging: dict | None = None, tracing: dict | None = None, publish: bool = False,
                       version_description: str = "") -> MachineRecord:
        _check_version_description(publish, version_description)
        if arns.state_machine_parts(arn)[2] is not None:
            raise Invalid(f"Invalid Arn: 'Unqualified state machine ARN expected: {arn}'", code="InvalidArn")
        record = self.machine(arn)
        if definition is None and role_arn is None and logging is None and tracing is None:
            raise Invalid("Either the definition, the role ARN, the LoggingConfiguration, or the "
                          "TracingConfiguration must be specified")
        if definition is not None:
            self.check_definition(definition)
        now = self.clock.now()
        changed = replace(record, definition=definition if definition is not None else record.definition,
                          role_arn=role_arn or record.role_arn, logging=logging or record.logging,
                          tracing=tracing or record.tracing, update_date=now)
        if (changed.definition, changed.role_arn) != (record.definition, record.role_arn):
            changed = replace(changed, revision_id=uuid.uuid4().hex)
        if publish:
            changed = _publish(changed, version_description, now)
        self.store.put_machine(changed)
        return changed

    def delete_machine(self, arn: str) -> None:
        """Deletes the machine with its versions, aliases and tags (as AWS does)."""
        qualifier = arns.state_machine_parts(arn)[2]
        if qualifier is not None:
            raise Invalid("Deleting a version or an alias with DeleteStateMachine is not supported: use "
                          "DeleteStateMachineVersion or DeleteStateMachineAlias")
        for alias in self.store.list_resources("alias", arn + ":"):
            self.store.delete_resource("alias", alias["stateMachineAliasArn"])
        self.store.delete_resource("tags", arn)
        self.store.delete_machine(arn)

    # --- versions ------------------------------------------------------------------------------

    def publish_version(self, arn: str, revision_id: str | None = None, description: str = "") -> dict[str, Any]:
        """PublishStateMachineVersion: the new (or, for an unchanged revision, the existing) version."""
        if arns.state_machine_parts(arn)[2] is not None:
            raise Invalid(f"Invalid Arn: 'Unqualified state machine ARN expected: {arn}'", code="InvalidArn")
        record = self.machine(arn)
        current = record.revision_id
        if revision_id is not None and revision_id != current and not (
                revision_id == "INITIAL" and record.update_date is None):
            raise Conflict(f"Failed to publish the State Machine version for revision {revision_id}. "
                           f"The current State Machine revision is {current}.")
        published = _publish(record, description or "", self.clock.now())
        if published is not record:
            self.store.put_machine(published)
        version = published_version(published)
        assert version is not None  # _publish made or found it
        return version

    def versions(self, arn: str) -> list[dict[str, Any]]:
        """Newest first; none for a machine that does not exist (ListStateMachineVersions has no
        StateMachineDoesNotExist error in the AWS model)."""
        if arns.state_machine_parts(arn)[2] is not None:
            raise Invalid(f"Invalid Arn: 'Unqualified state machine ARN expected: {arn}'", code="InvalidArn")
        try:
            record = self.machine(arn)
        except StateMachineDoesNotExist:
            return []
        return sorted(record.versions, key=lambda v: v["number"], reverse=True)

    def delete_version(self, version_arn: str) -> None:
        _, _, qualifier = arns.state_machine_parts(version_arn)
        if qualifier is None or not qualifier.isdigit():
            raise Invalid(f"Invalid Arn: 'Version ARN expected: {version_arn}'", code="InvalidArn")
        base = version_arn.rsplit(":", 1)[0]
        record = self.store.get_machine(base)
        if record is None or _version(record, int(qualifier)) is None:
            return  # deleting a version that is gone succeeds, as AWS answers
        referencing = [a["name"] for a in self.store.list_resources("alias", base + ":")
                       if any(r["stateMachineVersionArn"] == version_arn for r in a["routingConfiguration"])]
        if referencing:
            raise Conflict("Version to be deleted must not be referenced by an alias. Current list of aliases "
                           f"referencing this version: [{', '.join(referencing)}]")
        kept = tuple(v for v in record.versions if v["number"] != int(qualifier))
        self.store.put_machine(replace(record, versions=kept, next_version=_next_number(record)))

    # --- aliases -------------------------------------------------------------------------------

    def create_alias(self, name: str, routing: Any, description: str = "") -> dict[str, Any]:
        _check_alias_name(name)
        _check_description(description)
        routing, base = self._checked_routing(routing)
        alias_arn = f"{base}:{name}"
        existing = self.store.get_resource("alias", alias_arn)
        if existing is not None:
            if existing["routingConfiguration"] == routing and (existing.get("description") or "") == description:
                return existing
            raise Conflict("Failed to create alias because an alias with the same name and a different routing "
                           "configuration already exists.")
        if len(self.store.list_resources("alias", base + ":")) >= MAX_ALIASES:
            raise ServiceQuotaExceeded(f"You have reached the maximum number of aliases ({MAX_ALIASES}) "
                                       f"for the state machine '{base}'")
        now = self.clock.now()
        doc = {"stateMachineAliasArn": alias_arn, "name": name, "description": description,
               "routingConfiguration": routing, "creationDate": now, "updateDate": now}
        self.store.put_resource("alias", alias_arn, doc)
        return doc

    def alias(self, alias_arn: str) -> dict[str, Any]:
        _alias_parts(alias_arn)
        doc = self.store.get_resource("alias", alias_arn)
        if doc is None:
            raise ResourceNotFound(_MISSING)
        return doc

    def update_alias(self, alias_arn: str, routing: Any = None, description: str | None = None) -> dict[str, Any]:
        if routing is None and description is None:
            raise Invalid("Either the description or the routing configuration must be specified")
        doc = self.alias(alias_arn)
        if routing is not None:
            checked, base = self._checked_routing(routing)
            if base != alias_arn.rsplit(":", 1)[0]:
                raise Invalid("Routing configuration must contain state machine version ARNs of the alias's "
                              f"state machine. Received: [{', '.join(r['stateMachineVersionArn'] for r in checked)}]")
            doc["routingConfiguration"] = checked
        if description is not None:
            _check_description(description)
            doc["description"] = description
        doc["updateDate"] = self.clock.now()
        self.store.put_resource("alias", alias_arn, doc)
        return doc

    def delete_alias(self, alias_arn: str) -> None:
        _alias_parts(alias_arn)
        self.store.delete_resource("alias", alias_arn)  # deleting an alias that is gone succeeds

    def aliases(self, machine_arn: str) -> list[dict[str, Any]]:
        if arns.state_machine_parts(machine_arn)[2] is not None:
            raise Invalid(f"Invalid Arn: 'Unqualified state machine ARN expected: {machine_arn}'", code="InvalidArn")
        record = self.machine(machine_arn)
        return self.store.list_resources("alias", record.arn + ":")

    def _checked_routing(self, routing: Any) -> tuple[list[dict[str, Any]], str]:
        """The routing configuration as stored, and the state machine its versions belong to."""
        if not isinstance(routing, list) or not routing:
            raise Invalid("1 validation error detected: Value at 'routingConfiguration' failed to satisfy "
                          "constraint: Member must have length greater than or equal to 1")
        if len(routing) > 2:
            shown = ", ".join(f"RoutingConfigurationListItem(stateMachineVersionArn={r.get('stateMachineVersionArn')}, "
                              f"weight={r.get('weight')})" for r in routing if isinstance(r, dict))
            raise Invalid(f"1 validation error detected: Value '[{shown}]' at 'routingConfiguration' failed to "
                          "satisfy constraint: Member must have length less than or equal to 2")
        out = []
        for i, item in enumerate(routing, 1):
            if not isinstance(item, dict) or not isinstance(item.get("stateMachineVersionArn"), str):
                raise Invalid(f"1 validation error detected: Value null at 'routingConfiguration.{i}.member."
                              "stateMachineVersionArn' failed to satisfy constraint: Member must not be null")
            weight = item.get("weight")
            if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0 or weight > 100:
                bound = "greater than or equal to 0" if isinstance(weight, int) and weight < 0 else \
                    "less than or equal to 100"
                raise Invalid(f"1 validation error detected: Value '{weight}' at 'routingConfiguration.{i}.member."
                              f"weight' failed to satisfy constraint: Member must have value {bound}")
            out.append({"stateMachineVersionArn": item["stateMachineVersionArn"], "weight": weight})
        version_arns = [r["stateMachineVersionArn"] for r in out]
        received = f"[{', '.join(version_arns)}]"
        for v in version_arns:
            qualifier = arns.state_machine_parts(v)[2]
            if qualifier is None or not qualifier.isdigit():
                raise Invalid(f"Routing configuration must contain state machine version ARNs. Received: {received}")
        if len(set(version_arns)) != len(version_arns):
            raise Invalid(f"Routing configuration must contain distinct state machine version ARNs. "
                          f"Received: {received}")
        bases = {v.rsplit(":", 1)[0] for v in version_arns}
        if len(bases) > 1:
            raise Invalid(f"Routing configuration must contain state machine version ARNs of the same state "
                          f"machine. Received: {received}")
        if sum(r["weight"] for r in out) != 100:
            raise Invalid(f"Sum of routing configuration weights must equal 100. "
                          f"Received: [{', '.join(str(r['weight']) for r in out)}]")
        base = bases.pop()
        record = self.store.get_machine(base)
        for v in version_arns:
            if record is None or _version(record, int(v.rsplit(":", 1)[1])) is None:
                raise ResourceNotFound(_MISSING)
        return out, base

    def route(self, alias_arn: str, execution_arn: str) -> str:
        """The version an execution started through an alias runs: chosen by the routing weights,
        seeded by the execution's ARN (so a given execution name always gets the same version)."""
        doc = self.alias(alias_arn)
        routing = doc["routingConfiguration"]
        draw = seed_of(execution_arn) % 100
        for item in routing:
            if draw < item["weight"]:
                return item["stateMachineVersionArn"]
            draw -= item["weight"]
        return routing[-1]["stateMachineVersionArn"]

    # --- tags ----------------------------------------------------------------------------------

    def _taggable(self, arn: str) -> None:
        a = arns.parse(arn)
        if a.service != "states" or a.resource_type not in ("stateMachine", "activity") or not a.parts:
            raise arns.InvalidArn(f"Invalid Arn: '{arn}'")
        exists = self.store.get_machine(arn) is not None if a.resource_type == "stateMachine" and len(a.parts) == 1 \
            else self.store.get_resource("activity", arn) is not None if a.resource_type == "activity" else False
        if not exists:
            raise ResourceNotFound(f"Resource not found: '{arn}'")

    def tag(self, arn: str, tags: list[dict[str, Any]]) -> None:
        self._taggable(arn)
        current = self.store.get_resource("tags", arn) or {}
        self.store.put_resource("tags", arn, _checked_tags(arn, tags, current))

    def untag(self, arn: str, keys: list[str]) -> None:
        self._taggable(arn)
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise Invalid("1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: "
                          "Member must be a list of strings")
        current = self.store.get_resource("tags", arn) or {}
        self.store.put_resource("tags", arn, {k: v for k, v in current.items() if k not in keys})

    def tags(self, arn: str) -> dict[str, str]:
        self._taggable(arn)
        return self.store.get_resource("tags", arn) or {}

    def list_machines(self) -> list[MachineRecord]:
        return self.store.list_machines()

    # --- executions ----------------------------------------------------------------------------

    def execution(self, arn: str) -> ExecutionRecord:
        arns.execution_parts(arn)
        live = self.engine.live(arn)
        if live is not None:
            return live.published or live.record
        record = self.store.get_execution(arn)
        if record is None:
            raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
        return record

    def start_execution(self, machine_arn: str, name: str | None, input_text: str | None, *,
                        parent_arn: str | None = None, reuse_closed: bool = False,
                        express: bool = False) -> ExecutionRecord:
        machine = self.machine(machine_arn)
        if express != (machine.type == "EXPRESS") and express:
            raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
        qualifier = arns.state_machine_parts(machine_arn)[2]
        name = name or str(uuid.uuid4())
        if not arns.valid_name(name):
            raise InvalidName(f"Invalid Name: '{name}'")
        text = "{}" if input_text in (None, "") else str(input_text)
        value = parse_input(text)
        if express:
            arn = arns.express_execution(machine.name, name, uuid.uuid4().hex, self.region, self.account)
        else:
            arn = arns.execution(machine.name, name, self.region, self.account)
            existing = self.engine.live(arn)
            record = existing.record if existing else self.store.get_execution(arn)
            if record is not None:
                if record.input == text and (record.status == "RUNNING" or reuse_closed):
                    return record
                raise ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'")
        version_arn = alias_arn = None
        if qualifier is not None and qualifier.isdigit():
            version_arn = f"{machine.arn}:{qualifier}"
        elif qualifier is not None:  # an alias: the version its routing picks
            alias_arn = f"{machine.arn}:{qualifier}"
            version_arn = self.route(alias_arn, arn)
            machine = self.machine(version_arn)
        record = ExecutionRecord(arn, machine.arn, name, "RUNNING", self.clock.now(), text, machine.definition,
                                 role_arn=machine.role_arn, parent_arn=parent_arn,
                                 revision_id=machine.revision_id, version_arn=version_arn, express=express,
                                 alias_arn=alias_arn)
        context = C.ExecutionContext(arn, name, machine.arn, machine.name, record.start_date, machine.role_arn)
        try:
            live = self.engine.launch(record, self.load(machine.definition), value, context)
        except KeyError:
            raise ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'") from None
        return live.record

    def start_child(self, machine_arn: str, name: str, input_text: str, *, parent_arn: str) -> ExecutionRecord:
        return self.start_execution(machine_arn, name, input_text, parent_arn=parent_arn, reuse_closed=True)

    def start_sync(self, machine_arn: str, name: str | None, input_text: str | None,
                   timeout: float | None = 300.0) -> ExecutionRecord:
        """EXPRESS semantics: run to completion and return the final record (not stored)."""
        machine = self.machine(machine_arn)
        if machine.type != "EXPRESS":
            raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
        record = self.start_execution(machine_arn, name, input_text, express=True)
        live = self.engine.live(record.arn)
        if live is None:
            return record
        self.engine.run_until(live.done.is_set, timeout)
        return live.record

    def run_until_complete(self, arn: str, timeout: float | None = None) -> ExecutionRecord:
        live = self.engine.live(arn)
        if live is not None:
            self.engine.run_until(live.done.is_set, timeout)
        return self.execution(arn)

    def list_executions(self, machine_arn: str | None = None, status: str | None = None) -> list[ExecutionRecord]:
        """Of a state machine, or of one of its versions or aliases (the executions started through it)."""
        if machine_arn is None:
            return self.store.list_executions(status=status)
        base = self.machine(machine_arn).arn
        records = self.store.list_executions(machine_arn=base, status=status)
        qualifier = arns.state_machine_parts(machine_arn)[2]
        if qualifier is None:
            return records
        qualified = f"{base}:{qualifier}"
        if qualifier.isdigit():
            return [r for r in records if r.version_arn == qualified]
        return [r for r in records if r.alias_arn == qualified]

    def history(self, arn: str, *, offset: int = 0, limit: int | None = None,
                reverse: bool = False) -> list[dict[str, Any]]:
        record = self.execution(arn)
        if record.express:
            raise Invalid("GetExecutionHistory is not supported for EXPRESS executions")
        return self.store.history(arn, offset=offset, limit=limit, reverse=reverse)

    def stop(self, arn: str, error: str | None = None, cause: str | None = None) -> ExecutionRecord:
        record = self.execution(arn)
        live = self.engine.live(arn)
        if live is None or record.status != "RUNNING":
            return record
        self.engine.submit(arn, C.StopRequested(error, cause))
        live.done.wait(30.0)
        return self.execution(arn)

    def stop_quietly(self, arn: str, error: str | None, cause: str | None) -> None:
        if self.engine.live(arn) is not None:
            self.engine.submit(arn, C.StopRequested(error, cause))

    def redrive(self, arn: str) -> ExecutionRecord:
        record = self.execution(arn)
        if record.status not in ("FAILED", "TIMED_OUT", "ABORTED") or record.express:
            raise ExecutionNotRedrivable(f"Execution is RUNNING or SUCCEEDED and cannot be redriven: '{arn}'"
                                         if record.status in ("RUNNING", "SUCCEEDED")
                                         else f"Execution cannot be redriven: '{arn}'")
        snapshot = self.store.load_snapshot(arn)
        if snapshot is None:
            raise ExecutionNotRedrivable(f"Execution cannot be redriven: '{arn}'")
        history = self.store.history(arn)
        record = replace(record, redrive_count=record.redrive_count + 1, redrive_date=self.clock.now(),
                         output=None, error=None, cause=None)
        try:
            live = self.engine.redrive(record, self.load(record.definition), snapshot,
                                       int(history[-1]["id"]) if history else 0)
        except SteplineError:
            raise
        except Exception as e:  # noqa: BLE001 - the interpreter refused (nothing to redrive)
            raise ExecutionNotRedrivable(f"Execution cannot be redriven: '{arn}': {e}") from None
        return live.record

    def resume(self, record: ExecutionRecord) -> Live | None:
        snapshot = self.store.load_snapshot(record.arn)
        if snapshot is None:
            return None
        history = self.store.history(record.arn)
        live = self.engine.resume(record, self.load(record.definition), snapshot,
                                  int(history[-1]["id"]) if history else 0)
        self.map_runs.reattach(live)
        return live

    # --- activities ----------------------------------------------------------------------------

    def create_activity(self, name: str, tags: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        if not arns.valid_name(name):
            raise InvalidName(f"Invalid Name: '{name}'")
        arn = arns.activity(name, self.region, self.account)
        checked_tags = _checked_tags(arn, tags or [], {})
        existing = self.store.get_resource("activity", arn)
        if existing is not None:  # CreateActivity is idempotent (its tags are not changed)
            return existing
        doc = {"activityArn": arn, "name": name, "creationDate": self.clock.now()}
        self.store.put_resource("activity", arn, doc)
        if checked_tags:
            self.store.put_resource("tags", arn, checked_tags)
        return doc

    def activity(self, arn: str) -> dict[str, Any]:
        _activity_parts(arn)
        doc = self.store.get_resource("activity", arn)
        if doc is None:
            raise ActivityDoesNotExist(f"Activity Does Not Exist: '{arn}'")
        return doc

    def list_activities(self) -> list[dict[str, Any]]:
        return self.store.list_resources("activity")

    def delete_activity(self, arn: str) -> None:
        _activity_parts(arn)
        self.store.delete_resource("activity", arn)
        self.store.delete_resource("tags", arn)

    def get_activity_task(self, arn: str, worker_name: str | None = None,
                          timeout: float | None = None) -> tuple[str, str] | None:
        """(task token, input) of the oldest task waiting for the activity, or None after the long poll."""
        self.activity(arn)
        from stepline.runtime.integrations.activities import POLL_SECONDS

        item = self.integrations.activities.poll(arn, worker_name, POLL_SECONDS if timeout is None else timeout)
        return None if item is None else (item.token, item.input)

    # --- callbacks ----------------------------------------------------------------------------

    def send_task_success(self, token: str, output_text: str) -> None:
        self.integrations.callbacks.succeed(token, parse_output(output_text))

    def send_task_failure(self, token: str, error: str | None, cause: str | None) -> None:
        self.integrations.callbacks.fail(token, error or "", cause or "")

    def send_task_heartbeat(self, token: str) -> None:
        self.integrations.callbacks.heartbeat(token)


def parse_output(text: str) -> Any:
    try:
        return loads_json(text)
    except (TypeError, ValueError) as e:
        raise Invalid(f"Invalid Output: '{e}'", code="InvalidOutput") from None


def _version(record: MachineRecord, number: int) -> dict[str, Any] | None:
    return next((v for v in record.versions if v["number"] == number), None)


def _next_number(record: MachineRecord) -> int:
    """Version numbers are never reused, not even after the newest version was deleted."""
    highest = max((v["number"] for v in record.versions), default=0)
    return max(record.next_version, highest + 1)


def _publish(record: MachineRecord, description: str, now: float) -> MachineRecord:
    """The record with a version of its current revision: the same record when that revision is
    already published (PublishStateMachineVersion is idempotent per revision)."""
    if any(v["revisionId"] == record.revision_id for v in record.versions):
        return record
    if len(record.versions) >= MAX_VERSIONS:
        raise ServiceQuotaExceeded(f"You have reached the maximum number of versions ({MAX_VERSIONS}) "
                                   f"for the state machine '{record.arn}'")
    _check_description(description)
    number = _next_number(record)
    version = {"number": number, "revisionId": record.revision_id, "definition": record.definition,
               "roleArn": record.role_arn, "description": description, "creationDate": now}
    return replace(record, versions=record.versions + (version,), next_version=number + 1)


def published_version(record: MachineRecord) -> dict[str, Any] | None:
    """The version of the record's current revision, if it was published."""
    return next((v for v in record.versions if v["revisionId"] == record.revision_id), None)


def _check_version_description(publish: bool, description: str) -> None:
    if description and not publish:
        raise Invalid("Version description can only be set when publish is true")


def _check_description(description: Any) -> None:
    if not isinstance(description, str):
        raise Invalid("1 validation error detected: Value at 'description' failed to satisfy constraint: "
                      "Member must be a string")
    if len(description) > 256:
        raise Invalid("1 validation error detected: Value at 'description' failed to satisfy constraint: "
                      "Member must have length less than or equal to 256")


def _check_alias_name(name: Any) -> None:
    if not isinstance(name, str) or not name:
        raise Invalid("1 validation error detected: Value null at 'name' failed to satisfy constraint: "
                      "Member must not be null")
    if len(name) > 80:
        raise Invalid(f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
                      "Member must have length less than or equal to 80")
    if not _ALIAS_NAME.match(name):
        raise Invalid(f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
                      "Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$")


def _alias_parts(alias_arn: str) -> None:
    qualifier = arns.state_machine_parts(alias_arn)[2]
    if qualifier is None or qualifier.isdigit():
        raise arns.InvalidArn(f"Invalid Arn: '{alias_arn}'")


def _checked_tags(arn: str, tags: Any, current: dict[str, str]) -> dict[str, str]:
    """``current`` with ``tags`` ([{key, value}]) applied, checked against AWS's tag rules."""
    if not isinstance(tags, list):
        raise Invalid("1 validation error detected: Value at 'tags' failed to satisfy constraint: "
                      "Member must be a list")
    merged = dict(current)
    for i, tag in enumerate(tags, 1):
        key = tag.get("key") if isinstance(tag, dict) else None
        value = tag.get("value", "") if isinstance(tag, dict) else None
        if not isinstance(key, str) or not 1 <= len(key) <= 128:
            raise Invalid(f"1 validation error detected: Value '{key}' at 'tags.{i}.member.key' failed to satisfy "
                          "constraint: Member must have length between 1 and 128")
        if not isinstance(value, str) or len(value) > 256:
            raise Invalid(f"1 validation error detected: Value '{value}' at 'tags.{i}.member.value' failed to "
                          "satisfy constraint: Member must have length less than or equal to 256")
        merged[key] = value
    if len(merged) > MAX_TAGS:
        raise TooManyTags(f"Too many tags: a resource can have at most {MAX_TAGS} tags, '{arn}' would have "
                          f"{len(merged)}")
    return merged


# --- map runs --------------------------------------------------------------------------------

_EXECUTION_ENDS = ("ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut")


class MapRuns:
    """Distributed Map runs, followed through the history the engine stores.

    The interpreter runs a map run's iterations as frames of the parent execution (their events
    are not recorded), not as child executions. A run's document (kind "map_run") is written when
    its MapRunStarted is stored and again when it ends; while it runs, its item and execution
    counts are read from the interpreter's run (its Map state's fan-out). A run that starts and
    ends within one engine step is counted from the history alone: MapStateStarted's length and
    how it ended.
    """

    def __init__(self, store: Any, engine: Engine) -> None:
        self.store = store
        self.engine = engine
        self._live: dict[str, tuple[Live, Any]] = {}  # map run ARN -> (execution, interpreter run)
        self._by_event: dict[tuple[str, int], str] = {}  # (execution, MapRunStarted id) -> map run ARN
        self._length: dict[str, int] = {}  # execution -> the length of its latest MapStateStarted
        self._lock = threading.RLock()  # the engine thread observes, API threads describe and update

    def observe(self, live: Live, events: list[dict[str, Any]]) -> None:
        if not any(e["type"].startswith(("Map", "Execution")) for e in events):
            return
        with self._lock:
            self._observe(live, events)

    def _observe(self, live: Live, events: list[dict[str, Any]]) -> None:
        execution_arn = live.record.arn
        for event in events:
            kind = event["type"]
            if kind == "MapStateStarted":
                self._length[execution_arn] = (event.get("mapStateStartedEventDetails") or {}).get("length", 0)
            elif kind == "MapRunStarted":
                self._started(live, event)
            elif kind in ("MapRunSucceeded", "MapRunFailed"):
                arn = self._by_event.pop((execution_arn, event.get("previousEventId", 0)), None)
                arn = arn or next((a for a, (lv, _) in self._live.items() if lv.record.arn == execution_arn), None)
                if arn is not None:
                    self._ended(arn, "SUCCEEDED" if kind == "MapRunSucceeded" else "FAILED", event["timestamp"])
            elif kind in _EXECUTION_ENDS:
                for arn in [a for a, (lv, _) in self._live.items() if lv.record.arn == execution_arn]:
                    self._ended(arn, "ABORTED", event["timestamp"])
                self._length.pop(execution_arn, None)

    def _started(self, live: Live, event: dict[str, Any]) -> None:
        arn = (event.get("mapRunStartedEventDetails") or {}).get("mapRunArn")
        if not arn:
            return
        run = next((r for r in live.execution._map_runs.values() if getattr(r, "arn", None) == arn), None)
        doc = {"mapRunArn": arn, "executionArn": live.record.arn, "stateMachineArn": live.record.machine_arn,
               "startDate": event["timestamp"], "stopDate": None, "status": "RUNNING",
               "length": self._length.get(live.record.arn, 0), "startedEventId": event["id"],
               "counts": None, "settings": None}
        if run is not None:
            fanout = run.fanout
            doc["settings"] = {"maxConcurrency": fanout.limit or 0,
                               "toleratedFailureCount": fanout.tolerated_count or 0,
                               "toleratedFailurePercentage": float(fanout.tolerated_pct or 0)}
            self._live[arn] = (live, run)
        self._by_event[(live.record.arn, event["id"])] = arn
        self.store.put_resource("map_run", arn, doc)

    def _ended(self, arn: str, status: str, when: float) -> None:
        doc = self.store.get_resource("map_run", arn)
        entry = self._live.pop(arn, None)
        if doc is None or doc["status"] != "RUNNING":
            return
        if entry is not None:
            counts = _run_counts(entry[1], status)
        else:  # the run began and ended within one step: what the history tells
            total = doc.get("length", 0)
            ok = status == "SUCCEEDED"
            execution = _counts(total, succeeded=total if ok else 0, failed=0 if ok else min(total, 1),
                                aborted=0 if ok else max(total - 1, 0))
            counts = {"items": execution, "executions": execution}
        self._by_event.pop((doc["executionArn"], doc.get("startedEventId", 0)), None)
        doc.update(status=status, stopDate=when, counts=counts)
        self.store.put_resource("map_run", arn, doc)

    def reattach(self, live: Live) -> None:
        """After a restart: follow the execution's running map runs again (an UpdateMapRun is in the
        execution's log, replayed with it)."""
        for doc in self.of_execution(live.record.arn):
            if doc["status"] != "RUNNING":
                continue
            run = next((r for r in live.execution._map_runs.values() if getattr(r, "arn", None) == doc["mapRunArn"]),
                       None)
            if run is not None:
                with self._lock:
                    self._live[doc["mapRunArn"]] = (live, run)
                    self._by_event[(live.record.arn, doc.get("startedEventId", 0))] = doc["mapRunArn"]

    def describe(self, arn: str) -> dict[str, Any]:
        _map_run_parts(arn)
        with self._lock:  # the document and the live run together: a run's end updates both under the lock
            doc = self.store.get_resource("map_run", arn)
            entry = self._live.get(arn)
        if doc is None:
            raise ResourceNotFound(f"Map Run Does Not Exist: '{arn}'")
        if doc["status"] == "RUNNING" and entry is not None:
            doc["counts"] = _run_counts(entry[1], "RUNNING")
        if doc["status"] == "RUNNING" and entry is not None and not doc.get("updated"):
            # once updated, the stored settings are the newest (the run gets them through the engine)
            fanout = entry[1].fanout
            doc["settings"] = {"maxConcurrency": fanout.limit or 0,
                               "toleratedFailureCount": fanout.tolerated_count or 0,
                               "toleratedFailurePercentage": float(fanout.tolerated_pct or 0)}
        if doc.get("counts") is None:
            doc["counts"] = {"items": _counts(0), "executions": _counts(0)}
        if doc.get("settings") is None:
            doc["settings"] = {"maxConcurrency": 0, "toleratedFailureCount": 0, "toleratedFailurePercentage": 0.0}
        return doc

    def of_execution(self, execution_arn: str) -> list[dict[str, Any]]:
        # map run ARNs start with arn:...:mapRun:<machine>/ (see asl.fanout): read only that machine's
        head, _, rest = execution_arn.partition(":execution:")
        prefix = f"{head}:mapRun:{rest.split(':', 1)[0]}/" if rest else ""
        return [d for d in self.store.list_resources("map_run", prefix) if d["executionArn"] == execution_arn]

    def update(self, arn: str, max_concurrency: Any = None, tolerated_count: Any = None,
               tolerated_pct: Any = None) -> None:
        if max_concurrency is None and tolerated_count is None and tolerated_pct is None:
            raise Invalid("Provide at least one of maxConcurrency, toleratedFailureCount or "
                          "toleratedFailurePercentage")
        for name, value, low, high in (("maxConcurrency", max_concurrency, 0, None),
                                       ("toleratedFailureCount", tolerated_count, 0, None),
                                       ("toleratedFailurePercentage", tolerated_pct, 0, 100)):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or (
                    name != "toleratedFailurePercentage" and not isinstance(value, int)):
                raise Invalid(f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
                              "constraint: Member must be a number")
            if value < low:
                raise Invalid(f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
                              f"constraint: Member must have value greater than or equal to {low}")
            if high is not None and value > high:
                raise Invalid(f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
                              f"constraint: Member must have value less than or equal to {high}")
        doc = self.describe(arn)
        if doc["status"] != "RUNNING":
            raise Invalid(f"Map Run is not running: '{arn}'")
        settings = dict(doc["settings"])
        if max_concurrency is not None:
            settings["maxConcurrency"] = max_concurrency
        if tolerated_count is not None:
            settings["toleratedFailureCount"] = tolerated_count
        if tolerated_pct is not None:
            settings["toleratedFailurePercentage"] = float(tolerated_pct)
        stored = self.store.get_resource("map_run", arn) or doc
        stored.update(settings=settings, updated=True)
        self.store.put_resource("map_run", arn, stored)
        # an input of the execution: in its log (kept across a restart), applied at once
        self.engine.submit(doc["executionArn"], C.MapRunUpdated(
            arn, max_concurrency, tolerated_count, None if tolerated_pct is None else float(tolerated_pct)))


def _counts(total: int, *, pending: int = 0, running: int = 0, succeeded: int = 0, failed: int = 0,
            aborted: int = 0, results_written: int = 0) -> dict[str, int]:
    return {"pending": pending, "running": running, "succeeded": succeeded, "failed": failed, "timedOut": 0,
            "aborted": aborted, "total": total, "resultsWritten": results_written}


def _run_counts(run: Any, status: str) -> dict[str, dict[str, int]]:
    """Item and child-execution counts of an interpreter map run (its Map state's fan-out)."""
    fanout = run.fanout
    total = len(fanout.results)
    failed = fanout.failed
    running = fanout.running if status == "RUNNING" else 0
    aborted = fanout.running if status in ("FAILED", "ABORTED") else 0
    succeeded = max(fanout.finished - failed, 0)
    pending = max(total - fanout.next_index, 0)
    written = total if status == "SUCCEEDED" and run.writer is not None else 0
    executions = _counts(total, pending=pending, running=running, succeeded=succeeded, failed=failed,
                         aborted=aborted, results_written=written)
    if fanout.batching is None:
        return {"items": executions, "executions": executions}
    size = fanout.batching[0] or 1
    items_total = len(fanout.items)

    def scaled(n: int) -> int:
        return min(n * size, items_total)

    items = _counts(items_total, pending=scaled(pending), running=scaled(running),
                    succeeded=items_total if status == "SUCCEEDED" else scaled(succeeded),
                    failed=scaled(failed), aborted=scaled(aborted),
                    results_written=items_total if written else 0)
    return {"items": items, "executions": executions}


def _activity_parts(arn: str) -> None:
    a = arns.parse(arn)
    if a.service != "states" or a.resource_type != "activity" or len(a.parts) != 1 or not a.parts[0]:
        raise arns.InvalidArn(f"Invalid Arn: '{arn}'")


def _map_run_parts(arn: str) -> None:
    a = arns.parse(arn)
    if a.service != "states" or a.resource_type != "mapRun" or len(a.parts) < 2:
        raise arns.InvalidArn(f"Invalid Arn: '{arn}'")
