"""Distributed Map runs through boto3: ListMapRuns, DescribeMapRun (status, settings, item and
execution counts), UpdateMapRun on a running map run, and the errors.

Iterations are driven by an activity so the test decides when each one ends."""

from __future__ import annotations

import json
from dataclasses import replace

from e2e_helpers import ROLE, error_of, served, wait_done, wait_until


def distributed(processor_states: dict, start: str, **map_fields: object) -> str:
    return json.dumps({"StartAt": "M", "States": {"M": {
        "Type": "Map", "Label": "run", **map_fields,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": start, "States": processor_states},
        "End": True}}})


def test_a_finished_map_run_is_listed_and_counted(sfn):
    definition = distributed({"P": {"Type": "Pass", "End": True}}, "P", MaxConcurrency=4,
                             ToleratedFailureCount=2)
    machine = sfn.create_state_machine(name="dmap", definition=definition, roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=machine, input="[1, 2, 3, 4, 5]")["executionArn"]
    assert wait_done(sfn, ex)["status"] == "SUCCEEDED"
    started = next(e for e in sfn.get_execution_history(executionArn=ex)["events"] if e["type"] == "MapRunStarted")
    map_run = started["mapRunStartedEventDetails"]["mapRunArn"]
    assert map_run.startswith("arn:aws:states:us-east-1:123456789012:mapRun:dmap/run:")

    runs = sfn.list_map_runs(executionArn=ex)["mapRuns"]
    assert [(r["mapRunArn"], r["executionArn"], r["stateMachineArn"]) for r in runs] == [(map_run, ex, machine)]
    assert "stopDate" in runs[0]
    described = sfn.describe_map_run(mapRunArn=map_run)
    assert described["status"] == "SUCCEEDED" and described["executionArn"] == ex
    assert described["stopDate"] >= described["startDate"]
    for counts in (described["itemCounts"], described["executionCounts"]):
        assert counts["total"] == 5 and counts["succeeded"] == 5
        assert counts["failed"] == counts["running"] == counts["pending"] == counts["aborted"] == 0
    # the child executions of a map run are not modelled: ListExecutions by map run lists none
    assert sfn.list_executions(mapRunArn=map_run)["executions"] == []


def test_describe_and_update_a_running_map_run(sfn):
    activity = sfn.create_activity(name="item")["activityArn"]
    definition = distributed({"Work": {"Type": "Task", "Resource": activity, "End": True}}, "Work",
                             MaxConcurrency=1)
    machine = sfn.create_state_machine(name="slow-map", definition=definition, roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=machine, input='[{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]')[
        "executionArn"]
    map_run = wait_until(lambda: sfn.list_map_runs(executionArn=ex)["mapRuns"])[0]["mapRunArn"]

    first = sfn.get_activity_task(activityArn=activity)
    running = sfn.describe_map_run(mapRunArn=map_run)
    assert running["status"] == "RUNNING" and "stopDate" not in running
    assert running["maxConcurrency"] == 1
    counts = running["executionCounts"]
    assert (counts["total"], counts["running"], counts["pending"], counts["succeeded"]) == (4, 1, 3, 0)

    sfn.update_map_run(mapRunArn=map_run, maxConcurrency=3, toleratedFailureCount=1)
    updated = sfn.describe_map_run(mapRunArn=map_run)
    assert updated["maxConcurrency"] == 3 and updated["toleratedFailureCount"] == 1

    # when the running iteration ends, iterations are launched up to the new limit (three at once)
    sfn.send_task_success(taskToken=first["taskToken"], output='"one"')
    tasks = [sfn.get_activity_task(activityArn=activity) for _ in range(3)]
    counts = sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]
    assert (counts["running"], counts["pending"], counts["succeeded"]) == (3, 0, 1)
    # one failure is tolerated now
    sfn.send_task_failure(taskToken=tasks[0]["taskToken"], error="Item.Bad", cause="no")
    for t in tasks[1:]:
        sfn.send_task_success(taskToken=t["taskToken"], output='"ok"')
    assert wait_done(sfn, ex)["status"] == "SUCCEEDED"
    done = sfn.describe_map_run(mapRunArn=map_run)
    assert done["status"] == "SUCCEEDED"
    assert (done["executionCounts"]["succeeded"], done["executionCounts"]["failed"]) == (3, 1)
    code, _ = error_of(sfn.update_map_run, mapRunArn=map_run, maxConcurrency=2)
    assert code == "ValidationException"


def test_a_map_run_that_fails(sfn):
    activity = sfn.create_activity(name="failing")["activityArn"]
    definition = distributed({"Work": {"Type": "Task", "Resource": activity, "End": True}}, "Work",
                             MaxConcurrency=2)
    machine = sfn.create_state_machine(name="fail-map", definition=definition, roleArn=ROLE)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=machine, input="[1, 2, 3]")["executionArn"]
    map_run = wait_until(lambda: sfn.list_map_runs(executionArn=ex)["mapRuns"])[0]["mapRunArn"]
    task = sfn.get_activity_task(activityArn=activity)
    sfn.send_task_failure(taskToken=task["taskToken"], error="Item.Bad", cause="broken")
    assert wait_done(sfn, ex)["status"] == "FAILED"
    described = sfn.describe_map_run(mapRunArn=map_run)
    assert described["status"] == "FAILED"
    counts = described["executionCounts"]
    assert (counts["total"], counts["failed"], counts["aborted"], counts["pending"]) == (3, 1, 1, 1)


def test_map_run_errors(sfn):
    missing = "arn:aws:states:us-east-1:123456789012:mapRun:nope/run:0f2b0c1e-0000-4000-8000-000000000000"
    assert error_of(sfn.describe_map_run, mapRunArn=missing)[0] == "ResourceNotFound"
    assert error_of(sfn.update_map_run, mapRunArn=missing, maxConcurrency=1)[0] == "ResourceNotFound"
    assert error_of(sfn.list_executions, mapRunArn=missing)[0] == "ResourceNotFound"
    bad = "arn:aws:states:us-east-1:123456789012:stateMachine:x"
    assert error_of(sfn.describe_map_run, mapRunArn=bad)[0] == "InvalidArn"
    assert error_of(sfn.list_map_runs,
                    executionArn="arn:aws:states:us-east-1:123456789012:execution:nope:x")[0] == \
        "ExecutionDoesNotExist"
    assert error_of(sfn.update_map_run, mapRunArn=missing)[0] == "ValidationException"
    assert error_of(sfn.update_map_run, mapRunArn=missing, toleratedFailurePercentage=101.0)[0] == \
        "ValidationException"


def test_a_running_map_run_and_its_update_survive_a_restart(serve_project, tmp_path):
    config = replace(serve_project().config, data_dir=tmp_path / "map-run-data")
    with served(config) as sfn:
        activity = sfn.create_activity(name="item")["activityArn"]
        definition = distributed({"Work": {"Type": "Task", "Resource": activity, "End": True}}, "Work",
                                 MaxConcurrency=1)
        machine = sfn.create_state_machine(name="durable-map", definition=definition, roleArn=ROLE)[
            "stateMachineArn"]
        ex = sfn.start_execution(stateMachineArn=machine, input="[1, 2, 3, 4]")["executionArn"]
        map_run = wait_until(lambda: sfn.list_map_runs(executionArn=ex)["mapRuns"])[0]["mapRunArn"]
        sfn.update_map_run(mapRunArn=map_run, maxConcurrency=2)
    with served(config) as sfn:
        described = sfn.describe_map_run(mapRunArn=map_run)
        assert described["status"] == "RUNNING" and described["maxConcurrency"] == 2
        first = sfn.get_activity_task(activityArn=activity)  # the iteration in flight, queued again
        sfn.send_task_success(taskToken=first["taskToken"], output="1")
        # the update is applied again after the restart: two iterations run at once now
        pair = [sfn.get_activity_task(activityArn=activity) for _ in range(2)]
        assert sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]["running"] == 2
        for t in pair:
            sfn.send_task_success(taskToken=t["taskToken"], output="1")
        last = sfn.get_activity_task(activityArn=activity)
        sfn.send_task_success(taskToken=last["taskToken"], output="1")
        assert wait_done(sfn, ex)["status"] == "SUCCEEDED"
        counts = sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]
        assert (counts["succeeded"], counts["total"]) == (4, 4)
