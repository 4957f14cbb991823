"""Step Functions operations on domain objects: state machines, executions, history, callbacks.

AWS shapes live in ``sfnapi.py``; here everything is records and Python values.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

from stepline import arns
from stepline.asl import commands as C
from stepline.clock import Clock
from stepline.config import Config
from stepline.errors import Conflict, Invalid, NotFound, SteplineError
from stepline.runtime.engine import Engine, Interpreter, Live
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


def definition_errors(definition: str) -> list[Any]:
    from stepline.asl.validate import validate

    return [d for d in validate(definition) if d.severity == "ERROR"]


def parse_input(text: str | None) -> Any:
    if text is None or text == "":
        return {}
    try:
        return json.loads(text)
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
                       publish: bool = False, version_description: str = "") -> MachineRecord:
        if not arns.valid_name(name):
            raise InvalidName(f"Invalid Name: '{name}'")
        if type not in ("STANDARD", "EXPRESS"):
            raise Invalid(f"1 validation error detected: Value '{type}' at 'type' failed to satisfy constraint: "
                          "Member must satisfy enum value set: [STANDARD, EXPRESS]")
        self.check_definition(definition)
        arn = arns.state_machine(name, self.region, self.account)
        existing = self.store.get_machine(arn)
        if existing is not None:
            if existing.definition == definition and existing.role_arn == role_arn and existing.type == type:
                return existing
            raise StateMachineAlreadyExists(f"State Machine Already Exists: '{arn}'")
        now = self.clock.now()
        record = MachineRecord(arn, name, definition, role_arn, type, creation_date=now,
                               revision_id=uuid.uuid4().hex, description=description,
                               logging=logging or {"level": "OFF", "includeExecutionData": False},
                               tracing=tracing or {"enabled": False})
        if publish:
            record = _publish(record, version_description, now)
        self.store.put_machine(record)
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
            for v in record.versions:
                if v["number"] == int(qualifier):
                    return replace(record, definition=v["definition"], role_arn=v["roleArn"],
                                   revision_id=v["revisionId"])
            raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
        return record

    def update_machine(self, arn: str, *, definition: str | None = None, role_arn: str | None = None,
                       logging: dict | None = None, tracing: dict | None = None, publish: bool = False,
                       version_description: str = "") -> MachineRecord:
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
        arns.state_machine_parts(arn)
        self.store.delete_machine(arn)

    def list_machines(self) -> list[MachineRecord]:
        return self.store.list_machines()

    # --- executions ----------------------------------------------------------------------------

    def execution(self, arn: str) -> ExecutionRecord:
        arns.execution_parts(arn)
        live = self.engine.live(arn)
        if live is not None:
            return live.record
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
        qualifier = arns.state_machine_parts(machine_arn)[2]
        version_arn = f"{machine.arn}:{qualifier}" if qualifier is not None and qualifier.isdigit() else None
        record = ExecutionRecord(arn, machine.arn, name, "RUNNING", self.clock.now(), text, machine.definition,
                                 role_arn=machine.role_arn, parent_arn=parent_arn,
                                 revision_id=machine.revision_id, version_arn=version_arn, express=express)
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
        if machine_arn is not None:
            self.machine(machine_arn)
        return self.store.list_executions(machine_arn=machine_arn, status=status)

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
        return self.engine.resume(record, self.load(record.definition), snapshot,
                                  int(history[-1]["id"]) if history else 0)

    # --- callbacks ----------------------------------------------------------------------------

    def send_task_success(self, token: str, output_text: str) -> None:
        self.integrations.callbacks.succeed(token, parse_output(output_text))

    def send_task_failure(self, token: str, error: str | None, cause: str | None) -> None:
        self.integrations.callbacks.fail(token, error or "", cause or "")

    def send_task_heartbeat(self, token: str) -> None:
        self.integrations.callbacks.heartbeat(token)


def parse_output(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as e:
        raise Invalid(f"Invalid Output: '{e}'", code="InvalidOutput") from None


def _publish(record: MachineRecord, description: str, now: float) -> MachineRecord:
    number = len(record.versions) + 1
    version = {"number": number, "revisionId": record.revision_id, "definition": record.definition,
               "roleArn": record.role_arn, "description": description, "creationDate": now}
    return replace(record, versions=record.versions + (version,))
