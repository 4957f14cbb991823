"""The view ``stepline run`` draws while an execution runs: one row per state (state, type,
status, duration, attempts), folded from the execution's history events as they arrive.

Each ``*StateEntered`` opens a run of that state; events point back to it through
``previousEventId`` (a retried task's second ``TaskScheduled`` points at the first attempt's
``TaskFailed``, which points at the entry), so attempts are counted per run even when Map
iterations interleave. A state entered more than once (a loop, a Map iteration) keeps one row
showing its latest run and how many runs it had.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.table import Table
from rich.text import Text

_SCHEDULED = ("TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled")
_FAILED = ("Failed", "TimedOut", "Aborted")
_STYLE = {"RUNNING": "cyan", "SUCCEEDED": "green", "FAILED": "red", "TIMED_OUT": "red", "ABORTED": "yellow",
          "RETRYING": "yellow"}


@dataclass
class StateRun:
    entered: float
    exited: float | None = None
    attempts: int = 0
    failed: bool = False  # the current attempt failed (a retry or the state's end follows)


@dataclass
class StateRow:
    name: str
    type: str
    runs: list[StateRun] = field(default_factory=list)


class StateBoard:
    """Fold history events (``add``) into rows; ``table(now)`` renders them."""

    def __init__(self) -> None:
        self.rows: dict[str, StateRow] = {}
        self.status = "RUNNING"  # the execution's
        self._events: dict[int, dict[str, Any]] = {}
        self._run_of_entry: dict[int, tuple[StateRow, StateRun]] = {}

    def add(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self._events[int(event["id"])] = event
            self._fold(event)

    def _owner(self, event: dict[str, Any]) -> tuple[StateRow, StateRun] | None:
        """The state run an event belongs to: follow previousEventId back to a StateEntered."""
        seen = 0
        pointer = int(event.get("previousEventId") or 0)
        while pointer and seen < 10_000:
            if pointer in self._run_of_entry:
                return self._run_of_entry[pointer]
            previous = self._events.get(pointer)
            if previous is None or previous["type"].endswith("StateExited"):
                return None
            pointer = int(previous.get("previousEventId") or 0)
            seen += 1
        return None

    def _fold(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        when = float(event.get("timestamp") or 0.0)
        if kind.endswith("StateEntered"):
            name = str(event.get("stateEnteredEventDetails", {}).get("name", "?"))
            row = self.rows.setdefault(name, StateRow(name, kind[: -len("StateEntered")]))
            run = StateRun(entered=when)
            row.runs.append(run)
            self._run_of_entry[int(event["id"])] = (row, run)
            return
        if kind.endswith("StateExited"):
            name = str(event.get("stateExitedEventDetails", {}).get("name", "?"))
            row = self.rows.get(name)
            open_runs = [r for r in row.runs if r.exited is None] if row else []
            owner = self._owner(event)
            run = owner[1] if owner is not None and owner[0] is row else (open_runs[0] if open_runs else None)
            if run is not None:
                run.exited, run.failed = when, False
            return
        if kind.startswith("Execution") and kind != "ExecutionStarted":
            self.status = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED",
                           "ExecutionTimedOut": "TIMED_OUT", "ExecutionAborted": "ABORTED"}.get(kind, self.status)
            return
        owner = self._owner(event)
        if owner is None:
            return
        run = owner[1]
        if kind in _SCHEDULED:
            run.attempts += 1
            run.failed = False
        elif kind.endswith(_FAILED):
            run.failed = True

    def _status(self, row: StateRow, run: StateRun) -> str:
        if run.exited is not None:
            return "SUCCEEDED"
        if self.status != "RUNNING":
            return "FAILED" if self.status == "SUCCEEDED" else self.status
        if row.type == "Fail":
            return "FAILED"
        return "RETRYING" if run.failed else "RUNNING"

    def table(self, now: float) -> Table:
        table = Table(expand=False)
        for column, justify in (("state", "left"), ("type", "left"), ("status", "left"),
                                ("duration", "right"), ("attempts", "right")):
            table.add_column(column, justify=justify, no_wrap=column != "state", overflow="fold")
        for row in self.rows.values():
            run = row.runs[-1]
            status = self._status(row, run)
            end = run.exited if run.exited is not None else (None if self.status != "RUNNING" else now)
            duration = "" if end is None else f"{max(0.0, end - run.entered):.2f} s"
            name = Text(row.name)
            if len(row.runs) > 1:
                name.append(f" ×{len(row.runs)}", style="dim")
            table.add_row(name, row.type, Text(status, style=_STYLE.get(status, "")), duration,
                          str(run.attempts) if run.attempts else "")
        return table
