"""StopExecution as AWS records it: ExecutionAborted follows no event (previousEventId 0) and has
empty details when no error or cause was given."""

from __future__ import annotations

from stepline.testing import DEFAULT_CONTEXT, run_to_completion


def test_stopped_wait_records_execution_aborted_after_no_event():
    definition = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 60, "End": True}}}
    out = run_to_completion(definition, {}, stop_at=DEFAULT_CONTEXT.start_time + 10)
    assert out.status == "ABORTED"
    assert [(e["id"], e["previousEventId"], e["type"]) for e in out.history] == [
        (1, 0, "ExecutionStarted"), (2, 0, "WaitStateEntered"), (3, 0, "ExecutionAborted")]
    assert out.history[2]["executionAbortedEventDetails"] == {}


def test_stopped_parallel_records_execution_aborted_after_no_event():
    definition = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 60, "End": True}}}]}}}
    out = run_to_completion(definition, {}, stop_at=DEFAULT_CONTEXT.start_time + 10)
    last = out.history[-1]
    assert (last["type"], last["previousEventId"]) == ("ExecutionAborted", 0)
