"""Activity tasks in the history as AWS records them (Activity* events between TaskStateEntered and
TaskStateExited), and UpdateMapRun as an execution input. The expected sequences follow histories
recorded on AWS for a Task whose Resource is an activity ARN."""

from __future__ import annotations

from typing import Any

from stepline.asl import commands as C
from stepline.asl import history, load
from stepline.asl.interpreter import Execution
from stepline.testing import DEFAULT_CONTEXT

ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:resize"
T0 = DEFAULT_CONTEXT.start_time


def _machine(**task: Any) -> Any:
    return load({"StartAt": "ActivityTask", "States": {"ActivityTask": {
        "Type": "Task", "Resource": ACTIVITY, "End": True, **task}}})


def _start(machine: Any, value: Any = None) -> tuple[Execution, C.Step, list[dict[str, Any]]]:
    execution, step = Execution.start(machine, {"Value1": "HelloWorld"} if value is None else value,
                                      DEFAULT_CONTEXT, T0, 7)
    return execution, step, [history.to_aws(e) for e in step.events]


def _feed(execution: Execution, events: list[dict[str, Any]], inp: C.Input, at: float) -> C.Step:
    step = execution.advance(inp, at)
    events.extend(history.to_aws(e) for e in step.events)
    return step


def _task(step: C.Step) -> C.RunTask:
    (task,) = [c for c in step.commands if isinstance(c, C.RunTask)]
    return task


def _chain(events: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    return [(e["id"], e["previousEventId"], e["type"]) for e in events]


def _details(event: dict[str, Any]) -> Any:
    (member,) = [k for k in event if k.endswith("EventDetails")]
    return event[member]


def test_an_activity_that_succeeds():
    execution, step, events = _start(_machine())
    task = _task(step)
    _feed(execution, events, C.TaskStarted(task.task_id, "BASE_ID_ACTIVITY_CONSUMER"), T0 + 1)
    done = _feed(execution, events, C.TaskSucceeded(task.task_id, {"Value1": "HelloWorld"}), T0 + 2)
    assert done.status == "SUCCEEDED"
    assert _chain(events) == [
        (1, 0, "ExecutionStarted"), (2, 0, "TaskStateEntered"), (3, 2, "ActivityScheduled"),
        (4, 3, "ActivityStarted"), (5, 4, "ActivitySucceeded"), (6, 5, "TaskStateExited"),
        (7, 6, "ExecutionSucceeded")]
    assert events[2]["activityScheduledEventDetails"] == {
        "resource": ACTIVITY, "input": '{"Value1":"HelloWorld"}', "inputDetails": {"truncated": False}}
    assert list(events[2]["activityScheduledEventDetails"]) == ["resource", "input", "inputDetails"]
    assert events[3]["activityStartedEventDetails"] == {"workerName": "BASE_ID_ACTIVITY_CONSUMER"}
    assert events[4]["activitySucceededEventDetails"] == {
        "output": '{"Value1":"HelloWorld"}', "outputDetails": {"truncated": False}}
    assert not any(e["type"].startswith("Task") and e["type"] not in ("TaskStateEntered", "TaskStateExited")
                   for e in events)


def test_a_worker_without_a_name_gives_empty_started_details():
    execution, step, events = _start(_machine())
    task = _task(step)
    _feed(execution, events, C.TaskStarted(task.task_id), T0 + 1)
    assert events[-1]["type"] == "ActivityStarted" and events[-1]["activityStartedEventDetails"] == {}


def test_an_activity_that_fails():
    execution, step, events = _start(_machine())
    task = _task(step)
    _feed(execution, events, C.TaskStarted(task.task_id, "w1"), T0 + 1)
    done = _feed(execution, events, C.TaskFailed(task.task_id, "Programmatic Error", '{"Value1":"HelloWorld"}'),
                 T0 + 2)
    assert done.status == "FAILED"
    assert _chain(events)[2:] == [(3, 2, "ActivityScheduled"), (4, 3, "ActivityStarted"), (5, 4, "ActivityFailed"),
                                  (6, 5, "ExecutionFailed")]
    failure = {"error": "Programmatic Error", "cause": '{"Value1":"HelloWorld"}'}
    assert events[4]["activityFailedEventDetails"] == failure
    assert events[5]["executionFailedEventDetails"] == failure


def test_an_activity_that_times_out_after_it_started():
    execution, step, events = _start(_machine(TimeoutSeconds=5))
    task = _task(step)
    (timer,) = [c for c in step.commands if isinstance(c, C.StartTimer)]
    assert timer.fire_at == T0 + 5 and task.timeout_seconds == 5
    assert events[2]["activityScheduledEventDetails"]["timeoutInSeconds"] == 5
    _feed(execution, events, C.TaskStarted(task.task_id, "w1"), T0 + 1)
    done = _feed(execution, events, C.TimerFired(timer.timer_id), T0 + 5)
    assert done.status == "FAILED"
    assert any(isinstance(c, C.CancelTask) and c.task_id == task.task_id for c in done.commands)
    assert _chain(events)[2:] == [(3, 2, "ActivityScheduled"), (4, 3, "ActivityStarted"),
                                  (5, 4, "ActivityTimedOut"), (6, 5, "ExecutionFailed")]
    assert events[4]["activityTimedOutEventDetails"] == {"error": "States.Timeout"}
    assert events[5]["executionFailedEventDetails"] == {"error": "States.Timeout"}
    # the worker's late answer changes nothing
    late = _feed(execution, events, C.TaskSucceeded(task.task_id, {}), T0 + 6)
    assert late.events == [] and late.status == "FAILED"


def test_heartbeats_keep_an_activity_alive_and_record_no_event():
    execution, step, events = _start(_machine(TimeoutSeconds=60, HeartbeatSeconds=10))
    task = _task(step)
    assert events[2]["activityScheduledEventDetails"] == {
        "resource": ACTIVITY, "input": '{"Value1":"HelloWorld"}', "inputDetails": {"truncated": False},
        "timeoutInSeconds": 60, "heartbeatInSeconds": 10}
    assert list(events[2]["activityScheduledEventDetails"])[-2:] == ["timeoutInSeconds", "heartbeatInSeconds"]
    _feed(execution, events, C.TaskStarted(task.task_id, "w1"), T0 + 1)
    beat = _feed(execution, events, C.TaskHeartbeat(task.task_id), T0 + 8)
    assert beat.events == []
    (rearmed,) = [c for c in beat.commands if isinstance(c, C.StartTimer)]
    assert rearmed.fire_at == T0 + 18  # the heartbeat window starts again
    stale = next(c.timer_id for c in step.commands if isinstance(c, C.StartTimer) and c.fire_at == T0 + 10)
    assert C.CancelTimer(stale) in beat.commands
    done = _feed(execution, events, C.TaskSucceeded(task.task_id, {"Value1": "HelloWorld"}), T0 + 15)
    assert done.status == "SUCCEEDED"
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
        "TaskStateExited", "ExecutionSucceeded"]


def test_a_missed_heartbeat_times_the_activity_out_and_a_catcher_sees_it():
    machine = load({"StartAt": "ActivityTask", "States": {
        "ActivityTask": {"Type": "Task", "Resource": ACTIVITY, "HeartbeatSeconds": 10, "Next": "Done",
                         "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Handled"}]},
        "Handled": {"Type": "Pass", "End": True}, "Done": {"Type": "Succeed"}}})
    execution, step, events = _start(machine)
    task = _task(step)
    (heartbeat,) = [c for c in step.commands if isinstance(c, C.StartTimer)]
    _feed(execution, events, C.TaskStarted(task.task_id, "w1"), T0 + 1)
    done = _feed(execution, events, C.TimerFired(heartbeat.timer_id), T0 + 10)
    assert done.status == "SUCCEEDED"
    assert _chain(events)[2:6] == [(3, 2, "ActivityScheduled"), (4, 3, "ActivityStarted"),
                                   (5, 4, "ActivityTimedOut"), (6, 5, "TaskStateExited")]
    assert done.output == {"Error": "States.Timeout", "Cause": ""}


def test_a_retried_activity_is_scheduled_again():
    execution, step, events = _start(_machine(Retry=[{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1}]))
    first = _task(step)
    _feed(execution, events, C.TaskStarted(first.task_id, "w1"), T0 + 1)
    retry = _feed(execution, events, C.TaskFailed(first.task_id, "Flaky", "again"), T0 + 2)
    (timer,) = [c for c in retry.commands if isinstance(c, C.StartTimer)]
    again = _feed(execution, events, C.TimerFired(timer.timer_id), timer.fire_at)
    second = _task(again)
    assert second.task_id != first.task_id
    _feed(execution, events, C.TaskStarted(second.task_id, "w2"), T0 + 4)
    _feed(execution, events, C.TaskSucceeded(second.task_id, {"ok": 1}), T0 + 5)
    assert _chain(events)[2:] == [
        (3, 2, "ActivityScheduled"), (4, 3, "ActivityStarted"), (5, 4, "ActivityFailed"),
        (6, 5, "ActivityScheduled"), (7, 6, "ActivityStarted"), (8, 7, "ActivitySucceeded"),
        (9, 8, "TaskStateExited"), (10, 9, "ExecutionSucceeded")]
    assert events[6]["activityStartedEventDetails"] == {"workerName": "w2"}


def test_an_activity_that_cannot_be_scheduled_fails_the_state():
    execution, step, events = _start(_machine())
    task = _task(step)
    cause = f"The activity {ACTIVITY} does not exist."
    done = _feed(execution, events, C.TaskScheduleFailed(task.task_id, "States.Runtime", cause), T0 + 1)
    assert done.status == "FAILED"
    assert _chain(events)[2:] == [(3, 2, "ActivityScheduled"), (4, 3, "ActivityScheduleFailed"),
                                  (5, 4, "ExecutionFailed")]
    assert events[3]["activityScheduleFailedEventDetails"] == {"error": "States.Runtime", "cause": cause}
    assert events[4]["executionFailedEventDetails"] == {
        "error": "States.Runtime",
        "cause": f"An error occurred while executing the state 'ActivityTask' (entered at the event id #2). {cause}"}


def test_the_worker_name_survives_a_restore():
    execution, step, events = _start(_machine())
    task = _task(step)
    _feed(execution, events, C.TaskStarted(task.task_id, "w-restored"), T0 + 1)
    restored = Execution.restore(_machine(), execution.snapshot())
    (again,) = [c for c in restored.outstanding() if isinstance(c, C.RunTask)]
    assert again.task_id == task.task_id
    rest: list[dict[str, Any]] = []
    _feed(restored, rest, C.TaskSucceeded(task.task_id, {"ok": True}), T0 + 2)
    assert [e["type"] for e in rest] == ["ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"]
    assert rest[0]["previousEventId"] == 4


# --- UpdateMapRun -------------------------------------------------------------------------------


def _distributed(max_concurrency: int, **map_fields: Any) -> Any:
    return load({"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "End": True, "MaxConcurrency": max_concurrency, **map_fields,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": ACTIVITY,
                                                                 "End": True}}}}}})


def _map_run_arn(events: list[dict[str, Any]]) -> str:
    return next(e for e in events if e["type"] == "MapRunStarted")["mapRunStartedEventDetails"]["mapRunArn"]


def _tasks(step: C.Step) -> list[C.RunTask]:
    return [c for c in step.commands if isinstance(c, C.RunTask)]


def test_a_larger_max_concurrency_launches_more_iterations_at_once_and_survives_a_restore():
    machine = _distributed(1)
    execution, step, events = _start(machine, [1, 2, 3, 4])
    assert [t.parameters for t in _tasks(step)] == [1]
    arn = _map_run_arn(events)
    updated = _feed(execution, events, C.MapRunUpdated(arn, max_concurrency=3), T0 + 1)
    assert updated.events == []  # AWS records no event for UpdateMapRun
    assert [t.parameters for t in _tasks(updated)] == [2, 3]
    restored = Execution.restore(machine, execution.snapshot())
    assert sorted(t.parameters for t in restored.outstanding() if isinstance(t, C.RunTask)) == [1, 2, 3]
    (run,) = restored._map_runs.values()
    assert run.fanout.limit == 3
    # an iteration ending launches the fourth: three at once from now on
    first = _tasks(step)[0]
    nxt = restored.advance(C.TaskSucceeded(first.task_id, 10), T0 + 2)
    assert [t.parameters for t in _tasks(nxt)] == [4]


def test_a_smaller_max_concurrency_holds_back_the_next_iterations():
    execution, step, events = _start(_distributed(2), [1, 2, 3])
    first, _ = _tasks(step)
    _feed(execution, events, C.MapRunUpdated(_map_run_arn(events), max_concurrency=1), T0 + 1)
    after = _feed(execution, events, C.TaskSucceeded(first.task_id, 1), T0 + 2)
    assert _tasks(after) == []  # one still runs: the limit of 1 is reached


def test_an_updated_tolerated_failure_count_lets_the_map_run_succeed():
    execution, step, events = _start(_distributed(2), [1, 2])
    first, second = _tasks(step)
    _feed(execution, events, C.MapRunUpdated(_map_run_arn(events), tolerated_failure_count=1), T0 + 1)
    _feed(execution, events, C.TaskFailed(first.task_id, "Bad", "item 1"), T0 + 2)
    done = _feed(execution, events, C.TaskSucceeded(second.task_id, 2), T0 + 3)
    assert done.status == "SUCCEEDED"
    assert [e["type"] for e in events][-4:] == ["MapRunSucceeded", "MapStateSucceeded", "MapStateExited",
                                                "ExecutionSucceeded"]
    ended = next(e for e in events if e["type"] == "MapRunSucceeded")
    assert not any(k.endswith("EventDetails") for k in ended)  # no details member in AWS's model


def test_without_the_update_the_same_failure_fails_the_map_run():
    execution, step, events = _start(_distributed(2), [1, 2])
    first, _ = _tasks(step)
    done = _feed(execution, events, C.TaskFailed(first.task_id, "Bad", "item 1"), T0 + 2)
    assert done.status == "FAILED"
    failed = next(e for e in events if e["type"] == "MapRunFailed")
    assert failed["mapRunFailedEventDetails"] == {
        "error": "States.ExceedToleratedFailureThreshold",
        "cause": "The specified tolerated failure threshold was exceeded"}


def test_an_update_for_a_finished_run_is_ignored():
    execution, step, events = _start(_distributed(1), [1])
    (only,) = _tasks(step)
    _feed(execution, events, C.TaskSucceeded(only.task_id, 1), T0 + 1)
    late = execution.advance(C.MapRunUpdated(_map_run_arn(events), max_concurrency=5), T0 + 2)
    assert late.events == [] and late.commands == []


def test_a_task_taken_again_after_a_restart_records_one_started_event():
    execution, step, events = _start(_machine())
    task = _task(step)
    _feed(execution, events, C.TaskStarted(task.task_id, "before-restart"), T0 + 1)
    restored = Execution.restore(_machine(), execution.snapshot())
    rest: list[dict[str, Any]] = []
    _feed(restored, rest, C.TaskStarted(task.task_id, "after-restart"), T0 + 2)  # queued again, taken again
    assert rest == []
    _feed(restored, rest, C.TaskSucceeded(task.task_id, {}), T0 + 3)
    assert [e["type"] for e in rest] == ["ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"]
