"""The interpreter end to end on the virtual clock: every state type, errors, retries, timers,
snapshots and the protocol with the runtime."""

from __future__ import annotations

import json
import sys

import pytest

from stepline.asl import commands as C
from stepline.asl import load
from stepline.asl.errors import StatesError
from stepline.asl.interpreter import Execution
from stepline.testing import DEFAULT_CONTEXT, run_to_completion


def types(outcome) -> list[str]:
    return [e["type"] for e in outcome.history]


def test_pass_result_and_result_path():
    out = run_to_completion({"StartAt": "A", "States": {"A": {
        "Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "End": True}}}, {"a": 0})
    assert out.status == "SUCCEEDED"
    assert out.result == {"a": 0, "r": {"x": 1}}
    assert types(out) == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    # AWS: the first state's StateEntered has previousEventId 0
    assert [e["previousEventId"] for e in out.history] == [0, 0, 2, 3]


def test_task_with_lambda_arn_uses_lambda_events():
    definition = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": True}}}
    out = run_to_completion(definition, {"a": 1}, task_handler=lambda t: {"got": t.parameters})
    assert out.result == {"got": {"a": 1}}
    assert types(out) == ["ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
                          "LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_task_scheduled_details():
    definition = {"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:redshiftdata:executeStatement",
        "Parameters": {"Sql.$": "$.sql"}, "TimeoutSeconds": 30, "End": True}}}
    out = run_to_completion(definition, {"sql": "select 1"}, task_handler=lambda t: {"Id": "x"})
    scheduled = out.history[2]
    assert scheduled["taskScheduledEventDetails"] == {
        "resourceType": "aws-sdk:redshiftdata", "resource": "executeStatement", "region": "us-east-1",
        "parameters": '{"Sql":"select 1"}', "timeoutInSeconds": 30}
    assert types(out)[3:5] == ["TaskStarted", "TaskSucceeded"]


def test_retry_then_catch():
    calls = []

    def handler(task):
        calls.append(task.attempt)
        raise StatesError("Boom", "bad")

    definition = {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "MaxAttempts": 2, "BackoffRate": 3}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "F"}], "End": True},
        "F": {"Type": "Pass", "End": True}}}
    out = run_to_completion(definition, {"a": 1}, task_handler=handler)
    assert calls == [0, 1, 2]
    assert out.result == {"a": 1, "err": {"Error": "Boom", "Cause": "bad"}}
    # 2 s then 6 s of back-off on the virtual clock
    assert out.end_time == DEFAULT_CONTEXT.start_time + 8
    assert types(out).count("TaskScheduled") == 3


def test_uncaught_task_failure_fails_execution():
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                   "End": True}}}
    out = run_to_completion(definition, {}, task_handler=lambda t: (_ for _ in ()).throw(StatesError("E", "c")))
    assert out.status == "FAILED"
    assert out.result == {"Error": "E", "Cause": "c"}
    assert types(out)[-2:] == ["TaskFailed", "ExecutionFailed"]


def test_task_failed_matches_all_but_timeout():
    definition = {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 5,
              "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "X"}], "End": True},
        "X": {"Type": "Succeed"}}}
    machine = load(definition)
    execution, step = Execution.start(machine, {}, DEFAULT_CONTEXT, 0.0, 1)
    timer = next(c for c in step.commands if isinstance(c, C.StartTimer))
    assert timer.fire_at == 5.0
    step = execution.advance(C.TimerFired(timer.timer_id), 5.0)
    assert step.status == "FAILED" and step.error == "States.Timeout"
    assert [e.type for e in step.events] == ["TaskTimedOut", "ExecutionFailed"]
    assert any(isinstance(c, C.CancelTask) for c in step.commands)


def test_wait_runs_on_virtual_clock():
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    out = run_to_completion(definition, {"k": 1})
    assert out.result == {"k": 1}
    assert out.end_time == DEFAULT_CONTEXT.start_time + 3600
    assert types(out) == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"]


def test_wait_timestamp_path():
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "TimestampPath": "$.at", "End": True}}}
    out = run_to_completion(definition, {"at": "2023-11-14T22:14:20Z"})
    assert out.end_time == 1_700_000_060.0


def test_fail_state():
    definition = {"StartAt": "F", "States": {"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}}}
    out = run_to_completion(definition, {"e": "MyError", "c": "why"})
    assert out.status == "FAILED"
    assert out.result == {"Error": "MyError", "Cause": "why"}
    assert types(out) == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]


def test_choice_no_match():
    definition = {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
        {"Variable": "$.x", "NumericEquals": 1, "Next": "S"}]}, "S": {"Type": "Succeed"}}}
    out = run_to_completion(definition, {"x": 2})
    assert out.result["Error"] == "States.NoChoiceMatched"


def test_input_path_failure_is_runtime_error_with_aws_cause():
    definition = {"StartAt": "X", "States": {"X": {"Type": "Pass", "InputPath": "$.foo", "End": True}}}
    out = run_to_completion(definition, {"a": 1})
    assert out.status == "FAILED"
    assert out.result["Error"] == "States.Runtime"
    assert out.result["Cause"].startswith("An error occurred while executing the state 'X' (entered at the event id #2). "
                                          "Invalid path '$.foo' : ")


def test_parameters_missing_path():
    definition = {"StartAt": "Pick", "States": {"Pick": {"Type": "Pass", "Parameters": {"missing.$": "$.nope"},
                                                         "End": True}}}
    out = run_to_completion(definition, {"other": 1})
    assert out.result == {"Error": "States.Runtime", "Cause": (
        "An error occurred while executing the state 'Pick' (entered at the event id #2). The JSONPath '$.nope' "
        "specified for the field 'missing.$' could not be found in the input '{\"other\":1}'")}


def test_parallel_outputs_array_and_branch_failure():
    def branch_named(name):
        return {"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}}

    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "x"}}}
    ok = run_to_completion({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "Branches": [branch_named("P1"), branch_named("P2")],
                                                                  "End": True}}}, {"v": 1})
    assert ok.result == [{"v": 1}, {"v": 1}]
    assert types(ok)[1:3] == ["ParallelStateEntered", "ParallelStateStarted"]
    assert types(ok)[-3:] == ["ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]
    bad = run_to_completion({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "Branches": [branch_named("P3"), failing],
                                                                   "End": True}}}, {"v": 1})
    assert bad.result == {"Error": "Oops", "Cause": "x"}
    assert "ParallelStateFailed" in types(bad)


def test_map_with_item_selector_and_concurrency():
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
        "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "k.$": "$.k"},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}}}
    out = run_to_completion(definition, {"items": ["a", "b"], "k": 7})
    assert out.result == [{"i": 0, "v": "a", "k": 7}, {"i": 1, "v": "b", "k": 7}]
    assert out.history[2]["mapStateStartedEventDetails"] == {"length": 2}


def test_map_tolerated_failures():
    processor = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 1, "Next": "F"}], "Default": "S"},
        "F": {"Type": "Fail", "Error": "Bad"}, "S": {"Type": "Succeed"}}}
    base = {"Type": "Map", "ItemProcessor": processor, "End": True}
    out = run_to_completion({"StartAt": "M", "States": {"M": base}}, [0, 1, 2])
    assert out.result["Error"] == "Bad"
    tolerant = run_to_completion({"StartAt": "M", "States": {"M": {**base, "ToleratedFailureCount": 1}}}, [0, 1, 2])
    assert tolerant.status == "SUCCEEDED"
    strict = run_to_completion({"StartAt": "M", "States": {"M": {**base, "ToleratedFailureCount": 0}}}, [0, 1, 2])
    assert strict.result["Error"] == "States.ExceedToleratedFailureThreshold"


def test_map_item_batcher():
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"b": 1}},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}}}
    out = run_to_completion(definition, [1, 2, 3])
    assert out.result == [{"BatchInput": {"b": 1}, "Items": [1, 2]}, {"BatchInput": {"b": 1}, "Items": [3]}]


def test_long_chain_and_large_map_do_not_recurse():
    n = 5000
    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(n - 1)}
    states[f"S{n - 1}"] = {"Type": "Pass", "End": True}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        machine = load({"StartAt": "S0", "States": states})
        _, step = Execution.start(machine, {}, DEFAULT_CONTEXT, 0.0, 1)
        assert step.status == "SUCCEEDED"
        mp = load({"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 1, "End": True, "ItemProcessor": {
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}})
        _, step = Execution.start(mp, list(range(3000)), DEFAULT_CONTEXT, 0.0, 1)
        assert step.status == "SUCCEEDED" and len(step.output) == 3000
    finally:
        sys.setrecursionlimit(limit)


def test_execution_timeout_and_stop():
    machine = load({"TimeoutSeconds": 10, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100,
                                                                              "End": True}}})
    execution, step = Execution.start(machine, {}, DEFAULT_CONTEXT, 0.0, 1)
    timers = {c.timer_id: c.fire_at for c in step.commands if isinstance(c, C.StartTimer)}
    first = min(timers, key=timers.get)
    step = execution.advance(C.TimerFired(first), 10.0)
    assert step.status == "TIMED_OUT" and step.events[-1].type == "ExecutionTimedOut"
    execution, _ = Execution.start(machine, {}, DEFAULT_CONTEXT, 0.0, 1)
    step = execution.advance(C.StopRequested("Stop", "user"), 1.0)
    assert step.status == "ABORTED" and step.events[-1].type == "ExecutionAborted"


def test_snapshot_restore_gives_identical_events():
    definition = {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"id.$": "States.UUID()"}, "Next": "W"},
        "W": {"Type": "Wait", "Seconds": 1, "End": True}}}
    machine = load(definition)
    execution, step = Execution.start(machine, {}, DEFAULT_CONTEXT, 0.0, 42)
    task = next(c for c in step.commands if isinstance(c, C.RunTask))
    execution.advance(C.TaskSucceeded(task.task_id, {"r": 1}), 1.0)
    snap = json.loads(json.dumps(execution.snapshot()))
    restored = Execution.restore(machine, snap)
    assert restored.outstanding() == execution.outstanding()
    timer = next(c for c in execution.outstanding() if isinstance(c, C.StartTimer))
    a = execution.advance(C.TimerFired(timer.timer_id), 2.0)
    b = restored.advance(C.TimerFired(timer.timer_id), 2.0)
    assert [(e.id, e.type, e.data) for e in a.events] == [(e.id, e.type, e.data) for e in b.events]
    assert a.status == b.status == "SUCCEEDED"


def test_redrive_restarts_failed_state():
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                   "End": True}}}
    machine = load(definition)
    execution, step = Execution.start(machine, {"a": 1}, DEFAULT_CONTEXT, 0.0, 1)
    task = step.commands[0]
    step = execution.advance(C.TaskFailed(task.task_id, "E", "c"), 1.0)
    assert step.status == "FAILED"
    step = execution.redrive(2.0)
    assert step.events[0].type == "ExecutionRedriven"
    task = next(c for c in step.commands if isinstance(c, C.RunTask))
    assert task.parameters == {"a": 1}
    step = execution.advance(C.TaskSucceeded(task.task_id, "ok"), 3.0)
    assert step.status == "SUCCEEDED" and step.output == "ok"


def test_variables_assign_and_scoping():
    definition = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
        "B": {"Type": "Parallel", "Branches": [{"StartAt": "In", "States": {
            "In": {"Type": "Pass", "Assign": {"y": "{% $x + 1 %}"}, "Output": "{% $y ? $y : $x %}", "Next": "In2"},
            "In2": {"Type": "Pass", "Output": "{% $y %}", "End": True}}}], "Next": "C"},
        "C": {"Type": "Pass", "Output": {"x": "{% $x %}", "b": "{% $states.input %}"}, "End": True}}}
    out = run_to_completion(definition, {})
    assert out.status == "SUCCEEDED", out.result
    assert out.result == {"x": 1, "b": [2]}
    exited = [e for e in out.history if e["type"] == "PassStateExited"][0]
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"x": "1"}


def test_jsonata_choice_and_arguments():
    definition = {"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n > 1 %}", "Next": "T"}],
              "Default": "D"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"n": "{% $states.input.n * 2 %}"}, "Output": "{% $states.result.v %}", "End": True},
        "D": {"Type": "Succeed"}}}
    out = run_to_completion(definition, {"n": 3}, task_handler=lambda t: {"v": t.parameters["n"]})
    assert out.result == 6


def test_context_object():
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {
        "id.$": "$$.Execution.Id", "name.$": "$$.State.Name", "t.$": "$$.Execution.StartTime",
        "sm.$": "$$.StateMachine.Name"}, "End": True}}}  # a Pass state's $$.State has no RetryCount
    out = run_to_completion(definition, {})
    assert out.result == {"id": DEFAULT_CONTEXT.execution_arn, "name": "P", "t": "2023-11-14T22:13:20.000Z",
                          "sm": "test"}


@pytest.mark.parametrize("bad", [{"x": 1}, [1, 2], "text", 3, None])
def test_map_over_non_array_fails_cleanly(bad):
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.x", "End": True,
                                                   "ItemProcessor": {"StartAt": "P", "States": {
                                                       "P": {"Type": "Pass", "End": True}}}}}}
    out = run_to_completion(definition, {"x": bad})
    assert out.status == ("SUCCEEDED" if isinstance(bad, list) else "FAILED")


def test_choice_rule_assign_and_output_replace_the_states():
    definition = {"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Default": "D", "Assign": {"d": 1}, "Output": "default",
              "Choices": [{"Condition": "{% $states.input.go %}", "Next": "D", "Assign": {"r": 1}, "Output": "rule"}]},
        "D": {"Type": "Pass", "Output": {"in": "{% $states.input %}", "r": "{% $exists($r) %}",
                                         "d": "{% $exists($d) %}"}, "End": True}}}
    assert run_to_completion(definition, {"go": True}).result == {"in": "rule", "r": True, "d": False}
    assert run_to_completion(definition, {"go": False}).result == {"in": "default", "r": False, "d": True}


def test_jsonata_failure_records_evaluation_failed():
    definition = {"QueryLanguage": "JSONata", "StartAt": "E", "States": {
        "E": {"Type": "Pass", "Output": {"v": "{% $states.input.missing %}"}, "End": True}}}
    out = run_to_completion(definition, {})
    assert types(out) == ["ExecutionStarted", "PassStateEntered", "EvaluationFailed", "ExecutionFailed"]
    details = out.history[2]["evaluationFailedEventDetails"]
    assert details["location"] == "Output/v" and details["state"] == "E"
    assert details["error"] == "States.QueryEvaluationError"


def test_aborted_execution_can_be_redriven():
    machine = load({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                     "End": True}}})
    execution, step = Execution.start(machine, {"a": 1}, DEFAULT_CONTEXT, 0.0, 1)
    step = execution.advance(C.StopRequested(), 1.0)
    assert step.status == "ABORTED"
    step = execution.redrive(2.0)
    assert step.status == "RUNNING"
    assert [e.type for e in step.events] == ["ExecutionRedriven", "TaskStateEntered", "TaskScheduled"]


def test_map_failure_aborts_running_iterations_and_cancels_their_tasks():
    machine = load({"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                         "End": True}}}}}})
    execution, step = Execution.start(machine, [1, 2, 3], DEFAULT_CONTEXT, 0.0, 1)
    tasks = [c for c in step.commands if isinstance(c, C.RunTask)]
    assert [t.parameters for t in tasks] == [1, 2, 3]
    step = execution.advance(C.TaskFailed(tasks[1].task_id, "E", "c"), 1.0)
    assert step.status == "FAILED" and step.error == "E"
    kinds = [e.type for e in step.events]
    # as AWS records it: each iteration's event, then TaskStateAborted for its Task
    assert kinds == ["TaskFailed", "MapIterationFailed", "TaskStateAborted", "MapIterationAborted",
                     "TaskStateAborted", "MapIterationAborted", "TaskStateAborted", "MapStateFailed",
                     "ExecutionFailed"]
    cancelled = {c.task_id for c in step.commands if isinstance(c, C.CancelTask)}
    assert cancelled == {tasks[0].task_id, tasks[2].task_id}
    assert execution.outstanding() == []


def test_endless_loop_stops_at_the_history_quota():
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                                             "B": {"Type": "Choice", "Default": "A",
                                                   "Choices": [{"Variable": "$.stop", "IsPresent": True,
                                                                "Next": "S"}]},
                                             "S": {"Type": "Succeed"}}}
    out = run_to_completion(definition, {})
    assert out.status == "FAILED" and out.result["Error"] == "States.Runtime"
    assert len(out.history) <= 25_002


def test_map_max_concurrency_limits_tasks_in_flight():
    machine = load({"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "MaxConcurrency": 2,
                                                     "ItemProcessor": {"StartAt": "T", "States": {
                                                         "T": {"Type": "Task", "End": True,
                                                               "Resource": "arn:aws:states:::lambda:invoke"}}}}}})
    execution, step = Execution.start(machine, [1, 2, 3], DEFAULT_CONTEXT, 0.0, 1)
    tasks = [c for c in step.commands if isinstance(c, C.RunTask)]
    assert [t.parameters for t in tasks] == [1, 2]
    step = execution.advance(C.TaskSucceeded(tasks[0].task_id, "a"), 1.0)
    third = [c for c in step.commands if isinstance(c, C.RunTask)]
    assert [t.parameters for t in third] == [3]
    execution.advance(C.TaskSucceeded(third[0].task_id, "c"), 2.0)
    step = execution.advance(C.TaskSucceeded(tasks[1].task_id, "b"), 3.0)
    assert step.status == "SUCCEEDED" and step.output == ["a", "b", "c"]


def test_payload_quota_is_awss_by_default_and_can_be_lifted():
    from stepline.asl import load
    from stepline.asl.interpreter import Execution
    from stepline.testing import DEFAULT_CONTEXT

    machine = load({"StartAt": "Big", "States": {"Big": {"Type": "Pass", "End": True,
                                                         "Parameters": {"a.$": "$.s", "b.$": "$.s"}}}})
    value = {"s": "x" * 140_000}  # the input fits in 256 KiB, the state's output does not
    _, step = Execution.start(machine, value, DEFAULT_CONTEXT, DEFAULT_CONTEXT.start_time, 1)
    assert (step.status, step.error) == ("FAILED", "States.DataLimitExceeded")
    ex, step = Execution.start(machine, value, DEFAULT_CONTEXT, DEFAULT_CONTEXT.start_time, 1, max_payload=None)
    assert step.status == "SUCCEEDED" and ex.snapshot()["max_payload"] is None
    restored = Execution.restore(machine, ex.snapshot())
    assert restored.max_payload is None and restored.status == "SUCCEEDED"
