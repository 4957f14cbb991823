"""In-memory ExecutionStore for ``stepline run`` and benchmarks (nothing survives the process)."""

from __future__ import annotations

import copy
import threading
from typing import Any

from stepline.runtime.stores.base import Append, ExecutionRecord, MachineRecord


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._machines: dict[str, MachineRecord] = {}
        self._executions: dict[str, ExecutionRecord] = {}
        self._snapshots: dict[str, dict[str, Any] | None] = {}  # without its log, kept apart:
        self._logs: dict[str, list[Any]] = {}
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._resources: dict[tuple[str, str], dict[str, Any]] = {}  # insertion order is creation order

    def put_machine(self, machine: MachineRecord) -> None:
        with self._lock:
            self._machines[machine.arn] = machine

    def get_machine(self, arn: str) -> MachineRecord | None:
        with self._lock:
            return self._machines.get(arn)

    def list_machines(self) -> list[MachineRecord]:
        with self._lock:
            return sorted(self._machines.values(), key=lambda m: m.creation_date)

    def delete_machine(self, arn: str) -> None:
        with self._lock:
            self._machines.pop(arn, None)

    def create_execution(self, first: Append) -> None:
        with self._lock:
            arn = first.record.arn
            if arn in self._executions:
                raise KeyError(arn)
            self._check_log([first])
            self._apply(first)

    def append_many(self, appends: list[Append]) -> None:
        with self._lock:
            self._check_log(appends)  # before any change: a refused batch writes nothing
            for a in appends:
                self._apply(a)

    def _check_log(self, appends: list[Append]) -> None:
        lengths: dict[str, int] = {}
        for a in appends:
            arn = a.record.arn
            if a.snapshot is not None:
                lengths[arn] = len(a.snapshot.get("log", ()))
            stored = lengths.get(arn, len(self._logs.get(arn, ())))
            if a.log and a.log_start != stored:
                raise ValueError(f"log of {arn} holds {stored} entries, not {a.log_start}")
            lengths[arn] = stored + len(a.log)

    def _apply(self, a: Append) -> None:
        arn = a.record.arn
        self._executions[arn] = a.record
        self._events.setdefault(arn, []).extend(a.events)
        if a.snapshot is not None:
            self._snapshots[arn] = {k: v for k, v in a.snapshot.items() if k != "log"}
            self._logs[arn] = list(a.snapshot.get("log", ()))
        self._logs.setdefault(arn, []).extend(a.log)

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        with self._lock:
            return self._executions.get(arn)

    def load_snapshot(self, arn: str) -> dict[str, Any] | None:
        with self._lock:
            snapshot, log = self._snapshots.get(arn), self._logs.get(arn)
            if snapshot is not None and log:
                snapshot = {**snapshot, "log": log}
            return copy.deepcopy(snapshot)

    def log_rows(self, arn: str) -> int:
        """How many log entries are stored for the execution (for benchmarks and tests)."""
        with self._lock:
            return len(self._logs.get(arn, ()))

    def list_executions(self, *, machine_arn: str | None = None, status: str | None = None,
                        parent_arn: str | None = None) -> list[ExecutionRecord]:
        with self._lock:
            rows = [r for r in self._executions.values()
                    if (machine_arn is None or r.machine_arn == machine_arn)
                    and (status is None or r.status == status)
                    and (parent_arn is None or r.parent_arn == parent_arn)]
        return sorted(rows, key=lambda r: (r.start_date, r.arn), reverse=True)

    def history(self, arn: str, *, offset: int = 0, limit: int | None = None,
                reverse: bool = False) -> list[dict[str, Any]]:
        with self._lock:
            events = list(self._events.get(arn, ()))
        if reverse:
            events.reverse()
        return events[offset:] if limit is None else events[offset:offset + limit]

    def put_resource(self, kind: str, arn: str, doc: dict[str, Any]) -> None:
        with self._lock:
            self._resources[(kind, arn)] = copy.deepcopy(doc)

    def get_resource(self, kind: str, arn: str) -> dict[str, Any] | None:
        with self._lock:
            return copy.deepcopy(self._resources.get((kind, arn)))

    def list_resources(self, kind: str, prefix: str = "") -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(doc) for (k, arn), doc in self._resources.items()
                    if k == kind and arn.startswith(prefix)]

    def delete_resource(self, kind: str, arn: str) -> None:
        with self._lock:
            self._resources.pop((kind, arn), None)

    def close(self) -> None:
        pass
