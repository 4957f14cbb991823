"""The ExecutionStore protocol: state machines, executions, their history and snapshots.

History is the durable state: ``append`` writes an execution's new events, its new snapshot log
entries and its status in ONE transaction, and the engine acts on commands only after it returns.
``append_many`` does the same for several executions at once (one commit for a batch).

A snapshot is the interpreter's ``{..., "log": [entry, ...]}``. The store keeps the log as
append-only rows (execution, seq, entry) beside the rest of the snapshot, so each batch writes
only the entries it added: storage writes grow linearly with an execution's length, not
quadratically as when the whole log was rewritten every batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class MachineRecord:
    arn: str
    name: str
    definition: str
    role_arn: str
    type: str = "STANDARD"  # STANDARD | EXPRESS
    creation_date: float = 0.0
    update_date: float | None = None
    revision_id: str = ""
    description: str = ""
    logging: dict[str, Any] = field(default_factory=dict)
    tracing: dict[str, Any] = field(default_factory=dict)
    versions: tuple[dict[str, Any], ...] = ()  # published versions: {number, revisionId, definition, ...}
    next_version: int = 0  # the number the next published version gets (numbers are never reused); 0: unset


@dataclass(frozen=True, slots=True)
class ExecutionRecord:
    arn: str
    machine_arn: str
    name: str
    status: str
    start_date: float
    input: str  # the execution input as JSON text
    definition: str  # the definition this execution runs
    role_arn: str = ""
    stop_date: float | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    parent_arn: str | None = None  # set when started by a states:startExecution task
    redrive_count: int = 0
    redrive_date: float | None = None
    revision_id: str = ""
    version_arn: str | None = None
    express: bool = False
    alias_arn: str | None = None  # the alias the execution was started through


@dataclass(frozen=True, slots=True)
class Append:
    """One execution's new events (AWS history dicts), record and snapshot change.

    ``snapshot``: a whole snapshot that replaces the stored one (its log included), or None.
    ``log``: entries appended to the stored log (after ``snapshot``'s, when both are given);
    ``log_start`` is the position of the first one, i.e. how many entries the store already holds.
    """

    record: ExecutionRecord
    events: list[dict[str, Any]]
    snapshot: dict[str, Any] | None
    log: list[Any] = field(default_factory=list)
    log_start: int = 0


class ExecutionStore(Protocol):
    def put_machine(self, machine: MachineRecord) -> None: ...

    def get_machine(self, arn: str) -> MachineRecord | None: ...

    def list_machines(self) -> list[MachineRecord]: ...

    def delete_machine(self, arn: str) -> None: ...

    def create_execution(self, first: Append) -> None:
        """Insert a new execution with its first events; raises KeyError when the ARN exists."""
        ...

    def append_many(self, appends: list[Append]) -> None:
        """Atomically (one transaction) add events and log entries, replace record (and snapshot when
        given) per execution. Raises ValueError (and writes nothing) when a log position is already stored."""
        ...

    def get_execution(self, arn: str) -> ExecutionRecord | None: ...

    def load_snapshot(self, arn: str) -> dict[str, Any] | None:
        """The stored snapshot with its whole log (as ``restore`` takes it), or None."""
        ...

    def list_executions(self, *, machine_arn: str | None = None, status: str | None = None,
                        parent_arn: str | None = None) -> list[ExecutionRecord]:
        """Newest first."""
        ...

    def history(self, arn: str, *, offset: int = 0, limit: int | None = None,
                reverse: bool = False) -> list[dict[str, Any]]:
        """The execution's events in id order (or reversed), from ``offset``, at most ``limit``."""
        ...

    # Other Step Functions resources as JSON documents by kind and ARN: "alias", "activity",
    # "tags" (a resource's tags), "map_run".

    def put_resource(self, kind: str, arn: str, doc: dict[str, Any]) -> None: ...

    def get_resource(self, kind: str, arn: str) -> dict[str, Any] | None: ...

    def list_resources(self, kind: str, prefix: str = "") -> list[dict[str, Any]]:
        """The documents of ``kind`` whose ARN starts with ``prefix``, in the order they were first put."""
        ...

    def delete_resource(self, kind: str, arn: str) -> None: ...

    def close(self) -> None: ...
