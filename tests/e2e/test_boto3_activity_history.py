"""GetExecutionHistory of activity tasks through boto3, event for event as AWS records them: a worker
takes the task with GetActivityTask (its workerName lands in ActivityStarted) and answers with
SendTaskSuccess / SendTaskFailure; plus UpdateMapRun raising a running map run's MaxConcurrency."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import wait_done

ROLE = "arn:aws:iam::123456789012:role/stepline"
INPUT = '{"Value1": "HelloWorld"}'


@pytest.fixture
def sfn(stepline_server):
    return stepline_server.client("stepfunctions")


def machine(sfn, name: str, activity_arn: str, **task: object) -> str:
    definition = {"StartAt": "ActivityTask", "States": {"ActivityTask": {
        "Type": "Task", "Resource": activity_arn, "End": True, **task}}}
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]


def history(sfn, arn: str) -> list[dict]:
    """The events without timestamps, JSON payloads parsed (their spacing is not compared)."""
    out = []
    for event in sfn.get_execution_history(executionArn=arn)["events"]:
        event = {k: v for k, v in event.items() if k != "timestamp"}
        for key, value in event.items():
            if key.endswith("EventDetails"):
                event[key] = {k: json.loads(v) if k in ("input", "output") else v for k, v in value.items()}
        out.append(event)
    return out


def chain(events: list[dict]) -> list[tuple[int, int, str]]:
    return [(e["id"], e["previousEventId"], e["type"]) for e in events]


VALUE = {"Value1": "HelloWorld"}
NOT_TRUNCATED = {"truncated": False}


def test_a_worker_that_succeeds(sfn):
    activity = sfn.create_activity(name="succeeds")["activityArn"]
    ex = sfn.start_execution(stateMachineArn=machine(sfn, "act-ok", activity), input=INPUT)["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="BASE_ID_ACTIVITY_CONSUMER")
    assert json.loads(task["input"]) == VALUE
    sfn.send_task_success(taskToken=task["taskToken"], output=task["input"])
    assert wait_done(sfn, ex)["status"] == "SUCCEEDED"
    events = history(sfn, ex)
    assert chain(events) == [
        (1, 0, "ExecutionStarted"), (2, 0, "TaskStateEntered"), (3, 2, "ActivityScheduled"),
        (4, 3, "ActivityStarted"), (5, 4, "ActivitySucceeded"), (6, 5, "TaskStateExited"),
        (7, 6, "ExecutionSucceeded")]
    assert events[2]["activityScheduledEventDetails"] == {
        "resource": activity, "input": VALUE, "inputDetails": NOT_TRUNCATED}
    assert events[3]["activityStartedEventDetails"] == {"workerName": "BASE_ID_ACTIVITY_CONSUMER"}
    assert events[4]["activitySucceededEventDetails"] == {"output": VALUE, "outputDetails": NOT_TRUNCATED}
    assert events[5]["stateExitedEventDetails"] == {"name": "ActivityTask", "output": VALUE,
                                                    "outputDetails": NOT_TRUNCATED}
    assert events[6]["executionSucceededEventDetails"] == {"output": VALUE, "outputDetails": NOT_TRUNCATED}


def test_a_worker_without_a_name_and_with_heartbeats(sfn):
    activity = sfn.create_activity(name="beats")["activityArn"]
    arn = machine(sfn, "act-beat", activity, TimeoutSeconds=60, HeartbeatSeconds=10)
    ex = sfn.start_execution(stateMachineArn=arn, input=INPUT)["executionArn"]
    task = sfn.get_activity_task(activityArn=activity)
    sfn.send_task_heartbeat(taskToken=task["taskToken"])
    sfn.send_task_success(taskToken=task["taskToken"], output=task["input"])
    assert wait_done(sfn, ex)["status"] == "SUCCEEDED"
    events = history(sfn, ex)
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
        "TaskStateExited", "ExecutionSucceeded"]  # a heartbeat records no event
    assert events[2]["activityScheduledEventDetails"] == {
        "resource": activity, "input": VALUE, "inputDetails": NOT_TRUNCATED,
        "timeoutInSeconds": 60, "heartbeatInSeconds": 10}
    assert events[3]["activityStartedEventDetails"] == {}


def test_a_worker_that_fails(sfn):
    activity = sfn.create_activity(name="fails")["activityArn"]
    ex = sfn.start_execution(stateMachineArn=machine(sfn, "act-fail", activity), input=INPUT)["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="w1")
    sfn.send_task_failure(taskToken=task["taskToken"], error="Programmatic Error", cause=task["input"])
    done = wait_done(sfn, ex)
    assert (done["status"], done["error"]) == ("FAILED", "Programmatic Error")
    events = history(sfn, ex)
    assert chain(events)[2:] == [(3, 2, "ActivityScheduled"), (4, 3, "ActivityStarted"),
                                 (5, 4, "ActivityFailed"), (6, 5, "ExecutionFailed")]
    failure = {"error": "Programmatic Error", "cause": task["input"]}
    assert events[4]["activityFailedEventDetails"] == failure
    assert events[5]["executionFailedEventDetails"] == failure


def test_a_task_that_times_out_after_a_worker_took_it(sfn):
    activity = sfn.create_activity(name="slow")["activityArn"]
    arn = machine(sfn, "act-timeout", activity, TimeoutSeconds=1)
    ex = sfn.start_execution(stateMachineArn=arn, input=INPUT)["executionArn"]
    assert sfn.get_activity_task(activityArn=activity, workerName="w1")["taskToken"]
    done = wait_done(sfn, ex)
    assert (done["status"], done["error"]) == ("FAILED", "States.Timeout")
    events = history(sfn, ex)
    assert chain(events)[2:] == [(3, 2, "ActivityScheduled"), (4, 3, "ActivityStarted"),
                                 (5, 4, "ActivityTimedOut"), (6, 5, "ExecutionFailed")]
    assert events[2]["activityScheduledEventDetails"]["timeoutInSeconds"] == 1
    assert events[4]["activityTimedOutEventDetails"] == {"error": "States.Timeout"}
    assert events[5]["executionFailedEventDetails"] == {"error": "States.Timeout"}


def test_a_deleted_activity_fails_the_state(sfn):
    activity = sfn.create_activity(name="gone")["activityArn"]
    arn = machine(sfn, "act-gone", activity)
    sfn.delete_activity(activityArn=activity)
    ex = sfn.start_execution(stateMachineArn=arn, input=INPUT)["executionArn"]
    done = wait_done(sfn, ex)
    cause = f"The activity {activity} does not exist."
    assert (done["status"], done["error"]) == ("FAILED", "States.Runtime")
    assert done["cause"] == f"An error occurred while executing the state 'ActivityTask' (entered at the event id #2). {cause}"
    events = history(sfn, ex)
    assert chain(events)[2:] == [(3, 2, "ActivityScheduled"), (4, 3, "ActivityScheduleFailed"),
                                 (5, 4, "ExecutionFailed")]
    assert events[3]["activityScheduleFailedEventDetails"] == {"error": "States.Runtime", "cause": cause}


def test_update_map_run_launches_more_iterations_at_once(sfn):
    activity = sfn.create_activity(name="item")["activityArn"]
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "Label": "run", "MaxConcurrency": 1, "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity,
                                                                 "End": True}}}}}}
    arn = sfn.create_state_machine(name="dmap-update", definition=json.dumps(definition),
                                   roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input="[1, 2, 3]")["executionArn"]
    first = sfn.get_activity_task(activityArn=activity, workerName="w")
    assert json.loads(first["input"]) == 1
    map_run = sfn.list_map_runs(executionArn=ex)["mapRuns"][0]["mapRunArn"]
    assert sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]["running"] == 1
    sfn.update_map_run(mapRunArn=map_run, maxConcurrency=3)
    # the first iteration still runs: the others are launched by the update itself
    others = [sfn.get_activity_task(activityArn=activity, workerName="w") for _ in range(2)]
    assert sorted(json.loads(t["input"]) for t in others) == [2, 3]
    described = sfn.describe_map_run(mapRunArn=map_run)
    assert described["maxConcurrency"] == 3 and described["executionCounts"]["running"] == 3
    for t in [first, *others]:
        sfn.send_task_success(taskToken=t["taskToken"], output=t["input"])
    done = wait_done(sfn, ex)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == [1, 2, 3]
    types = [e["type"] for e in history(sfn, ex)]
    assert types == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunSucceeded",
                     "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]
