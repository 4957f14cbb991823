"""The client's input text: AWS records StartExecution's input verbatim (its spacing, escapes and
number spelling) in ExecutionStarted and in the first state's StateEntered; later states show the
interpreter's own compact JSON."""

from __future__ import annotations

import json

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
