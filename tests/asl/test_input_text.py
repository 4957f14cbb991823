"""The client's input text: AWS records StartExecution's input verbatim (its spacing, escapes and
number spelling) in ExecutionStarted and in the first state's StateEntered; later states show the
interpreter's own compact JSON."""

from __future__ import annotations

import json

from stepline.asl import commands as C
from stepline.asl import history, load
from stepline.asl.interpreter import Execution
from stepline.testing import DEFAULT_CONTEXT

DEFINITION = {"StartAt": "First", "States": {
    "First": {"Type": "Pass", "Next": "Second"},
    "Second": {"Type": "Pass", "End": True}}}
TEXT = '{\n  "b": 1.50,\n  "a": "caf\\u00e9"\n}'


def _events(**kwargs):
    execution, step = Execution.start(load(DEFINITION), json.loads(TEXT), DEFAULT_CONTEXT, 0.0, 0, **kwargs)
    return execution, [history.to_aws(e) for e in step.events]


def test_input_text_is_kept_in_execution_started_and_the_first_state():
    execution, events = _events(input_text=TEXT)
    assert execution.status == "SUCCEEDED"
    assert [e["type"] for e in events] == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                                           "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    started = events[0]["executionStartedEventDetails"]
    assert started["input"] == TEXT and started["inputDetails"] == {"truncated": False}
    entered = events[1]["stateEnteredEventDetails"]
    assert entered == {"name": "First", "input": TEXT, "inputDetails": {"truncated": False}}
    assert events[3]["stateEnteredEventDetails"]["input"] == '{"b":1.5,"a":"café"}'
    assert execution.output == {"b": 1.5, "a": "café"}


def test_without_input_text_the_input_is_compact_json():
    _, events = _events()
    assert events[0]["executionStartedEventDetails"]["input"] == '{"b":1.5,"a":"café"}'
    assert events[1]["stateEnteredEventDetails"]["input"] == '{"b":1.5,"a":"café"}'


WAITING = {"StartAt": "Hold", "States": {
    "Hold": {"Type": "Wait", "Seconds": 5, "Next": "Done"},
    "Done": {"Type": "Pass", "End": True}}}


def test_snapshot_and_restore_keep_the_input_text():
    machine = load(WAITING)
    execution, step = Execution.start(machine, json.loads(TEXT), DEFAULT_CONTEXT, 0.0, 0, input_text=TEXT)
    assert history.to_aws(step.events[0])["executionStartedEventDetails"]["input"] == TEXT
    snapshot = execution.snapshot()
    assert snapshot["log"][0] == ["start", json.loads(TEXT), 0.0, TEXT]

    restored = Execution.restore(machine, json.loads(json.dumps(snapshot)))  # as a store keeps it: JSON
    assert restored.snapshot()["log"][0][3] == TEXT  # a store that rewrites the log keeps the text
    timer = next(c for c in restored.outstanding() if isinstance(c, C.StartTimer))
    done = restored.advance(C.TimerFired(timer.timer_id), timer.fire_at)
    assert done.status == "SUCCEEDED" and restored.output == {"b": 1.5, "a": "café"}
    again = Execution.restore(machine, restored.snapshot())
    assert again.snapshot() == restored.snapshot() and again.snapshot()["log"][0][3] == TEXT
