"""Runtime bookkeeping of one execution: frames (the root, Parallel branches, Map iterations),
fan-outs (a Parallel or Map state waiting for its children), tasks and timers in flight."""

from __future__ import annotations

from typing import Any

from stepline.asl.commands import RunTask
from stepline.asl.model import Graph, State


class Frame:
    """A thread of control: walks one graph from state to state."""

    __slots__ = (
        "id", "graph", "fanout", "index", "state", "input", "raw_input", "effective", "own_vars", "outer_vars",
        "last_event", "entered_prev", "entered_event", "entered_time", "retry_counts", "retry_total", "task_id", "token",
        "wait_timer", "done", "started_event", "fanout_failed", "silent", "input_text", "map_run_event",
    )

    def __init__(self, id: int, graph: Graph, fanout: Fanout | None, index: int, outer_vars: dict[str, Any],
                 last_event: int) -> None:
        self.id = id
        self.graph = graph
        self.fanout = fanout
        self.index = index
        self.state = graph.start_at
        self.input: Any = None
        self.raw_input: Any = None
        self.effective: Any = None
        self.own_vars: dict[str, Any] = {}
        self.outer_vars = outer_vars
        self.last_event = last_event
        self.started_event = last_event
        self.entered_prev = 0
        self.entered_event = 0
        self.entered_time = 0.0
        self.retry_counts: list[int] = []
        self.retry_total = 0
        self.task_id: str | None = None
        self.token: str | None = None
        self.wait_timer: str | None = None
        self.done = False
        self.fanout_failed = False
        self.silent = False  # inside a Distributed Map: its events are not in this history
        self.input_text: str | None = None  # the client's JSON text of the input, shown once at the first state
        self.map_run_event = 0  # the current state's MapRunStarted event (a Distributed Map), else 0

    def variables(self) -> dict[str, Any]:
        if not self.outer_vars:
            return self.own_vars
        if not self.own_vars:
            return self.outer_vars
        merged = dict(self.outer_vars)
        merged.update(self.own_vars)
        return merged


class Fanout:
    """A Parallel or Map state with children running."""

    __slots__ = (
        "frame", "state", "kind", "graphs", "items", "results", "running", "next_index", "limit", "failed",
        "tolerated_count", "tolerated_pct", "children", "finished", "error", "vars", "pending_fill", "effective",
        "batching", "distributed",
    )

    def __init__(self, frame: Frame, state: State, kind: str, graphs: list[Graph], items: list[Any],
                 limit: int, vars: dict[str, Any]) -> None:
        self.frame = frame
        self.state = state
        self.kind = kind  # "Parallel" | "Map"
        self.graphs = graphs
        self.items = items  # child inputs, in order
        self.results: list[Any] = [None] * len(items)
        self.running = 0
        self.next_index = 0
        self.limit = limit  # 0: no limit
        self.failed = 0
        self.tolerated_count: int | None = None
        self.tolerated_pct: float | None = None
        self.children: dict[int, Frame] = {}  # running children by index
        self.finished = 0
        self.error: tuple[str, str] | None = None
        self.vars = vars
        self.pending_fill = False
        self.effective: Any = None
        self.batching: Any = None
        self.distributed = False


class TaskInfo:
    __slots__ = ("frame", "command", "timeout_timer", "heartbeat_timer", "resource_type", "resource", "lambda_")

    def __init__(self, frame: Frame, command: RunTask, resource_type: str, resource: str, lambda_: bool) -> None:
        self.frame = frame
        self.command = command
        self.timeout_timer: str | None = None
        self.heartbeat_timer: str | None = None
        self.resource_type = resource_type
        self.resource = resource
        self.lambda_ = lambda_


def split_resource(resource: str) -> tuple[str, str, bool]:
    """(resourceType, resource, is_lambda_function_arn) as TaskScheduled shows them.

    ``arn:aws:states:::aws-sdk:redshiftdata:executeStatement`` -> ("aws-sdk:redshiftdata",
    "executeStatement"); ``arn:aws:states:::states:startExecution.sync:2`` -> ("states",
    "startExecution.sync:2"); ``arn:aws:lambda:...:function:f`` -> Lambda events instead.
    """
    parts = resource.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return "lambda", resource, True
    if resource.startswith("arn:aws:states:::"):
        rest = resource[len("arn:aws:states:::"):]
        suffix = ""
        for tail in (".sync:2", ".sync", ".waitForTaskToken"):
            if rest.endswith(tail):
                rest, suffix = rest[: -len(tail)], tail
                break
        kind, _, action = rest.rpartition(":")
        return kind, action + suffix, False
    return "activity" if ":activity:" in resource else "unknown", resource, False
