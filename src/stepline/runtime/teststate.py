"""TestState: run one state with a given input and report its output, next state and status.

The state is wrapped in a one-state machine whose transition targets are terminal Pass states,
and run as an unstored (express-like) execution on the same engine and integrations.
https://docs.aws.amazon.com/step-functions/latest/dg/test-state-isolation.html
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from stepline.asl import commands as C
from stepline.errors import Invalid
from stepline.runtime.service import InvalidDefinition, loads_json, parse_input
from stepline.runtime.stores.base import ExecutionRecord

_NAME = "TestState"


def _targets(state: dict[str, Any]) -> list[str]:
    out = [state["Next"]] if isinstance(state.get("Next"), str) else []
    if isinstance(state.get("Default"), str):
        out.append(state["Default"])
    for group in ("Choices", "Catch"):
        for rule in state.get(group) or []:
            if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
                out.append(rule["Next"])
    return out


def test_state(service: Any, definition: str, input_text: str | None, level: str,
               state_name: str | None = None) -> dict[str, Any]:
    try:
        state = loads_json(definition)
    except ValueError as e:
        raise InvalidDefinition(f"Invalid State Machine Definition: '{e}'") from None
    if state_name is not None:  # a whole machine, and the state to test in it
        states = state.get("States") if isinstance(state, dict) else None
        if not isinstance(states, dict) or state_name not in states:
            raise Invalid(f"State '{state_name}' does not exist in the definition")
        state = states[state_name]
    if not isinstance(state, dict) or "Type" not in state:
        raise InvalidDefinition("Invalid State Machine Definition: 'the definition must be one state'")
    if state["Type"] in ("Map", "Parallel"):
        raise Invalid(f"TestState does not support {state['Type']} states")
    targets = _targets(state)
    states = {_NAME: state, **{t: {"Type": "Pass", "End": True} for t in targets if t != _NAME}}
    machine_text = json.dumps({"StartAt": _NAME, "States": states})
    service.check_definition(machine_text)
    value = parse_input(input_text)
    arn = f"arn:aws:states:{service.region}:{service.account}:express:teststate:{uuid.uuid4()}"
    now = service.clock.now()
    record = ExecutionRecord(arn, f"arn:aws:states:{service.region}:{service.account}:stateMachine:teststate",
                             arn.rsplit(":", 1)[1], "RUNNING", now, json.dumps(value), machine_text, express=True)
    context = C.ExecutionContext(arn, record.name, record.machine_arn, "teststate", now)
    live = service.engine.launch(record, service.load(machine_text), value, context)
    service.engine.run_until(live.done.is_set, 60.0)
    final = live.record
    out: dict[str, Any] = {}
    next_state = _entered_after(live.events)
    caught = next_state is not None and next_state not in ([state.get("Next")] if state.get("Next") else []) \
        and final.status == "SUCCEEDED" and state["Type"] != "Choice" and state.get("Default") != next_state
    if final.status == "SUCCEEDED":
        out["output"] = final.output
        out["status"] = "CAUGHT_ERROR" if caught else "SUCCEEDED"
        if next_state is not None:
            out["nextState"] = next_state
    else:
        out.update({"status": "FAILED", "error": final.error, "cause": final.cause})
    if level in ("DEBUG", "TRACE"):
        inspection = {"input": json.dumps(value)}
        for event in live.events:
            details = event.get("taskSucceededEventDetails")
            if details and "output" in details:
                inspection["result"] = details["output"]
        out["inspectionData"] = inspection
    return out


def _entered_after(events: list[dict[str, Any]]) -> str | None:
    for event in events:
        details = event.get("stateEnteredEventDetails")
        if details and details.get("name") != _NAME:
            return details.get("name")
    return None
