"""Task timeouts due at the same instant: AWS records every TaskTimedOut first, then the Map
reacts once (one MapIterationFailed, the other iterations aborted, each Task closed with
TaskStateAborted)."""

from __future__ import annotations

from stepline.asl import commands as C
from stepline.asl import history, load
from stepline.asl.interpreter import Execution
from stepline.testing import DEFAULT_CONTEXT

DEFINITION = {"StartAt": "M", "States": {"M": {
    "Type": "Map", "End": True,
    "ItemProcessor": {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 5,
        "Parameters": {"FunctionName": "slow", "Payload.$": "$"}, "End": True}}}}}}


def test_simultaneous_timeouts_are_all_recorded_before_the_map_fails():
    now = DEFAULT_CONTEXT.start_time
    execution, step = Execution.start(load(DEFINITION), [1, 2, 3], DEFAULT_CONTEXT, now, 0)
    events = list(step.events)
    tasks = [c for c in step.commands if isinstance(c, C.RunTask)]
    timers = [c for c in step.commands if isinstance(c, C.StartTimer)]
    assert len(tasks) == 3 and len(timers) == 3
    for task in tasks:
        events += execution.advance(C.TaskStarted(task.task_id), now).events
    assert len({t.fire_at for t in timers}) == 1
    step = execution.advance(C.TimerFired(timers[0].timer_id), timers[0].fire_at)
    events += step.events
    assert step.status == "FAILED" and execution.error == "States.Timeout"
    cancelled = {c.timer_id for c in step.commands if isinstance(c, C.CancelTimer)}
    assert {t.timer_id for t in timers[1:]} <= cancelled
    types = [e.type for e in step.events]
    # as AWS records it (LocalStack's AWS-recorded TestTimeouts::test_service_lambda_map_timeout):
    # each iteration's Task is closed with TaskStateAborted, every one pointing to the first timeout
    assert types == ["TaskTimedOut", "TaskTimedOut", "TaskTimedOut", "MapIterationFailed", "TaskStateAborted",
                     "MapIterationAborted", "TaskStateAborted", "MapIterationAborted", "TaskStateAborted",
                     "MapStateFailed", "ExecutionFailed"]
    shown = [history.to_aws(e) for e in events]
    first_timeout = next(e["id"] for e in shown if e["type"] == "TaskTimedOut")
    closing = [e for e in shown if e["type"] in ("MapIterationFailed", "MapIterationAborted", "TaskStateAborted",
                                                 "MapStateFailed")]
    assert {e["previousEventId"] for e in closing} == {first_timeout}
    started = {e["id"] for e in shown if e["type"] == "TaskStarted"}
    timed_out = [e for e in shown if e["type"] == "TaskTimedOut"]
    assert {e["previousEventId"] for e in timed_out} == started  # each points to its own TaskStarted
    # a timer that fires later for an already handled timeout changes nothing
    late = execution.advance(C.TimerFired(timers[1].timer_id), timers[1].fire_at)
    assert late.events == [] and late.status == "FAILED"


def test_a_single_timeout_still_fails_alone():
    definition = {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 5,
        "Parameters": {"FunctionName": "slow"}, "End": True}}}
    now = DEFAULT_CONTEXT.start_time
    execution, step = Execution.start(load(definition), {}, DEFAULT_CONTEXT, now, 0)
    task = next(c for c in step.commands if isinstance(c, C.RunTask))
    timer = next(c for c in step.commands if isinstance(c, C.StartTimer))
    execution.advance(C.TaskStarted(task.task_id), now)
    step = execution.advance(C.TimerFired(timer.timer_id), timer.fire_at)
    assert [e.type for e in step.events] == ["TaskTimedOut", "ExecutionFailed"]
