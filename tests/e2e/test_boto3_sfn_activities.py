"""Activities through boto3: an activity worker written for AWS (GetActivityTask long poll, then
SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat with the task token) runs unchanged."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

from e2e_helpers import ROLE, error_of, served, wait_done


def task_machine(sfn, name: str, activity_arn: str, **task: object) -> str:
    definition = {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": activity_arn, "Parameters": {"job.$": "$.job", "fixed": 1}, "End": True,
        **task}}}
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]


def test_activity_crud(sfn):
    created = sfn.create_activity(name="resize")
    arn = created["activityArn"]
    assert arn == "arn:aws:states:us-east-1:123456789012:activity:resize"
    assert sfn.create_activity(name="resize")["activityArn"] == arn  # idempotent
    described = sfn.describe_activity(activityArn=arn)
    assert described["name"] == "resize" and described["creationDate"] == created["creationDate"]
    sfn.create_activity(name="thumbnail")
    assert [a["name"] for a in sfn.list_activities()["activities"]] == ["resize", "thumbnail"]
    pages = list(sfn.get_paginator("list_activities").paginate(PaginationConfig={"PageSize": 1}))
    assert [a["name"] for p in pages for a in p["activities"]] == ["resize", "thumbnail"]
    sfn.delete_activity(activityArn=arn)
    assert error_of(sfn.describe_activity, activityArn=arn) == \
        ("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")
    assert error_of(sfn.get_activity_task, activityArn=arn)[0] == "ActivityDoesNotExist"
    assert error_of(sfn.describe_activity, activityArn="arn:aws:states:us-east-1:123456789012:stateMachine:x")[0] \
        == "InvalidArn"
    assert error_of(sfn.create_activity, name="bad name")[0] == "InvalidName"


def test_a_worker_completes_the_task(sfn):
    activity = sfn.create_activity(name="work")["activityArn"]
    machine = task_machine(sfn, "with-activity", activity)
    ex = sfn.start_execution(stateMachineArn=machine, input='{"job": "a1"}')["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="worker-1")
    assert json.loads(task["input"]) == {"job": "a1", "fixed": 1}
    sfn.send_task_heartbeat(taskToken=task["taskToken"])
    sfn.send_task_success(taskToken=task["taskToken"], output='{"done": "a1"}')
    done = wait_done(sfn, ex)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"done": "a1"}
    types = [e["type"] for e in sfn.get_execution_history(executionArn=ex)["events"]]
    assert types.index("ActivityScheduled") < types.index("ActivityStarted") < types.index("ActivitySucceeded")
    # the token is spent
    assert error_of(sfn.send_task_success, taskToken=task["taskToken"], output="{}")[0] == "TaskTimedOut"


def test_a_worker_reports_failure_and_the_state_catches_it(sfn):
    activity = sfn.create_activity(name="flaky")["activityArn"]
    definition = {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity, "Next": "Never", "Catch": [
            {"ErrorEquals": ["Worker.Broken"], "ResultPath": "$.err", "Next": "Handled"}]},
        "Never": {"Type": "Fail", "Error": "Unreachable"},
        "Handled": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name="catches", definition=json.dumps(definition),
                                       roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=machine, input='{"job": "b"}')["executionArn"]
    task = sfn.get_activity_task(activityArn=activity)
    sfn.send_task_failure(taskToken=task["taskToken"], error="Worker.Broken", cause="disk full")
    done = wait_done(sfn, ex)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"])["err"] == {"Error": "Worker.Broken", "Cause": "disk full"}


def test_the_long_poll_returns_a_task_scheduled_while_it_waits(sfn):
    activity = sfn.create_activity(name="later")["activityArn"]
    machine = task_machine(sfn, "later-machine", activity)
    got: dict = {}
    polling = threading.Thread(target=lambda: got.update(sfn.get_activity_task(activityArn=activity)))
    polling.start()
    time.sleep(0.3)  # the poll is waiting before the task exists
    ex = sfn.start_execution(stateMachineArn=machine, input='{"job": "late"}')["executionArn"]
    polling.join(90)
    assert json.loads(got["input"])["job"] == "late"
    sfn.send_task_success(taskToken=got["taskToken"], output='"ok"')
    assert wait_done(sfn, ex)["status"] == "SUCCEEDED"


def test_a_stopped_execution_takes_its_task_off_the_queue(sfn):
    activity = sfn.create_activity(name="queue")["activityArn"]
    machine = task_machine(sfn, "queued", activity)
    first = sfn.start_execution(stateMachineArn=machine, name="first", input='{"job": 1}')["executionArn"]
    wait_for_event(sfn, first, "ActivityScheduled")
    second = sfn.start_execution(stateMachineArn=machine, name="second", input='{"job": 2}')["executionArn"]
    wait_for_event(sfn, second, "ActivityScheduled")
    sfn.stop_execution(executionArn=first)
    task = sfn.get_activity_task(activityArn=activity)
    assert json.loads(task["input"])["job"] == 2
    sfn.send_task_success(taskToken=task["taskToken"], output="{}")
    assert wait_done(sfn, second)["status"] == "SUCCEEDED"
    assert sfn.describe_execution(executionArn=first)["status"] == "ABORTED"


def test_a_silent_worker_times_out_on_heartbeat(sfn):
    activity = sfn.create_activity(name="silent")["activityArn"]
    machine = task_machine(sfn, "heartbeat", activity, HeartbeatSeconds=1)
    ex = sfn.start_execution(stateMachineArn=machine, input='{"job": "x"}')["executionArn"]
    task = sfn.get_activity_task(activityArn=activity)
    done = wait_done(sfn, ex)
    assert done["status"] == "FAILED" and done["error"] == "States.Timeout"
    assert error_of(sfn.send_task_success, taskToken=task["taskToken"], output="{}")[0] == "TaskTimedOut"


def wait_for_event(sfn, arn: str, kind: str, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if any(e["type"] == kind for e in sfn.get_execution_history(executionArn=arn)["events"]):
            return
        time.sleep(0.05)
    raise AssertionError(f"{arn} never recorded {kind}")


def test_a_queued_activity_task_survives_a_restart(serve_project, tmp_path):
    config = replace(serve_project().config, data_dir=tmp_path / "activity-data")
    with served(config) as sfn:
        activity = sfn.create_activity(name="durable")["activityArn"]
        machine = task_machine(sfn, "durable-machine", activity)
        ex = sfn.start_execution(stateMachineArn=machine, input='{"job": "kept"}')["executionArn"]
        wait_for_event(sfn, ex, "ActivityScheduled")
    with served(config) as sfn:
        task = sfn.get_activity_task(activityArn=activity)
        assert json.loads(task["input"]) == {"job": "kept", "fixed": 1}
        sfn.send_task_success(taskToken=task["taskToken"], output='{"after": "restart"}')
        done = wait_done(sfn, ex)
        assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"after": "restart"}
