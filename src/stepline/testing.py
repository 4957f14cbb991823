"""Run a workflow to completion instantly, on a virtual clock, for tests (ours and users').

Example::

    outcome = run_to_completion(definition, {"n": 1}, task_handler=lambda task: {"ok": True})
    assert outcome.status == "SUCCEEDED"

A Wait of an hour takes no time: the clock jumps to the next timer whenever nothing else is left.
A Distributed Map's ItemReader and ResultWriter use ``objects``: a mapping ``"bucket/key" ->
content`` or a directory laid out as a lake (``<dir>/<bucket>/<key>``, e.g. ``data_dir / "lake"``)::

    run_to_completion(definition, {"key": "rows.csv"}, objects={"my-bucket/rows.csv": "id\\n1\\n2\\n"})
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from stepline.asl import commands as C
from stepline.asl import history
from stepline.asl.errors import StatesError
from stepline.asl.interpreter import Execution
from stepline.asl.model import StateMachine

TaskHandler = Callable[[C.RunTask], Any]

DEFAULT_CONTEXT = C.ExecutionContext(
    execution_arn="arn:aws:states:us-east-1:123456789012:execution:test:run-1",
    execution_name="run-1",
    state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:test",
    state_machine_name="test",
    start_time=1_700_000_000.0,
)


class Outcome(NamedTuple):
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED | RUNNING (gave up)
    result: Any  # the output when SUCCEEDED, else {"Error": ..., "Cause": ...}
    history: list[dict[str, Any]]  # GetExecutionHistory events
    events: list[history.HistoryEvent]
    end_time: float


def _echo(task: C.RunTask) -> Any:
    return task.parameters


Objects = Mapping[str, bytes | str] | str | Path


def _lake_io(objects: Objects | None) -> Callable[[C.ReadItems | C.WriteResults], C.Input]:
    from stepline.runtime.integrations.item_reader import LakeObjects, MemoryObjects, answer

    if objects is None:
        def missing(command: C.ReadItems | C.WriteResults) -> C.Input:
            cause = "run_to_completion was given no objects= to read items from or write results to"
            if isinstance(command, C.ReadItems):
                return C.ItemsRead(command.read_id, error="States.ItemReaderFailed", cause=cause)
            return C.ResultsWritten(command.write_id, error="States.ResultWriterFailed", cause=cause)
        return missing
    store = LakeObjects(Path(objects)) if isinstance(objects, str | Path) else MemoryObjects(objects)
    return lambda command: answer(command, store)


def run_to_completion(
    definition: str | dict[str, Any] | StateMachine,
    input: Any = None,
    *,
    task_handler: TaskHandler = _echo,
    context: C.ExecutionContext = DEFAULT_CONTEXT,
    seed: int = 0,
    max_inputs: int = 1_000_000,
    stop_at: float | None = None,
    max_events: int | None = 25_000,
    objects: Objects | None = None,
) -> Outcome:
    """Start ``definition`` with ``input`` and drive it until it ends.

    ``task_handler(RunTask)`` returns the task's output or raises ``StatesError(error, cause)``;
    it runs synchronously (TaskStarted then TaskSucceeded/TaskFailed are fed back). ``stop_at``
    (virtual epoch seconds) sends StopRequested once the clock reaches it. ``max_events`` is
    AWS's history quota (None lifts it). ``objects`` serves ItemReader reads and takes
    ResultWriter files (a mutable mapping or a directory; see the module docstring).
    """
    from stepline.asl import load

    machine = definition if isinstance(definition, StateMachine) else load(definition)
    now = context.start_time
    execution, step = Execution.start(machine, {} if input is None else input, context, now, seed,
                                      max_events=max_events)
    events: list[history.HistoryEvent] = []
    timers: list[tuple[float, int, str]] = []
    armed: set[str] = set()
    pending: list[C.RunTask | C.ReadItems | C.WriteResults] = []
    lake_io = _lake_io(objects)
    seq = 0
    fed = 0

    def absorb(s: C.Step) -> None:
        nonlocal seq
        events.extend(s.events)
        for command in s.commands:
            if isinstance(command, C.RunTask | C.ReadItems | C.WriteResults):
                pending.append(command)
            elif isinstance(command, C.StartTimer):
                seq += 1
                heapq.heappush(timers, (command.fire_at, seq, command.timer_id))
                armed.add(command.timer_id)
            elif isinstance(command, C.CancelTimer):
                armed.discard(command.timer_id)
            elif isinstance(command, C.CancelTask):
                pending[:] = [t for t in pending if getattr(t, "task_id", None) != command.task_id]

    absorb(step)
    status = step.status
    while status == "RUNNING" and fed < max_inputs:
        fed += 1
        if pending and not isinstance(pending[0], C.RunTask):
            step = execution.advance(lake_io(pending.pop(0)), now)
            absorb(step)
            status = step.status
            continue
        if pending:
            task = pending.pop(0)
            assert isinstance(task, C.RunTask)
            step = execution.advance(C.TaskStarted(task.task_id), now)
            absorb(step)
            if step.status != "RUNNING":
                status = step.status
                break
            try:
                output = task_handler(task)
            except StatesError as e:
                step = execution.advance(C.TaskFailed(task.task_id, e.error, e.cause), now)
            else:
                step = execution.advance(C.TaskSucceeded(task.task_id, output), now)
            absorb(step)
            status = step.status
            continue
        while timers and timers[0][2] not in armed:
            heapq.heappop(timers)
        if not timers:
            break
        fire_at, _, timer_id = heapq.heappop(timers)
        armed.discard(timer_id)
        if stop_at is not None and fire_at >= stop_at:
            now = max(now, stop_at)
            step = execution.advance(C.StopRequested(), now)
        else:
            now = max(now, fire_at)
            step = execution.advance(C.TimerFired(timer_id), now)
        absorb(step)
        status = step.status
    result: Any = execution.output if status == "SUCCEEDED" else {"Error": execution.error, "Cause": execution.cause}
    return Outcome(status, result, [history.to_aws(e) for e in events], events, now)
