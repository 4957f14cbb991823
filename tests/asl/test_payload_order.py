"""Key order of built payloads, as AWS's recorded histories show it: a payload template's literal
fields come first as written, then its ".$" fields in the iteration order of a java.util.HashMap;
the context object lists Execution, StateMachine, State with their fields in AWS's order."""

from __future__ import annotations

import json

from stepline.asl.dataflow import java_hash_order
from stepline.testing import run_to_completion


def _keys_in_order(text: str) -> list:
    """The JSON text's objects as nested [key, ...] lists, keeping the order written."""
    return json.loads(text, object_pairs_hook=lambda pairs: [(k, v) for k, v in pairs])


def _exited_output(definition: dict, input: dict) -> list:
    out = run_to_completion(definition, input)
    assert out.status == "SUCCEEDED", out.result
    exited = [e for e in out.history if e["type"] == "PassStateExited"][-1]
    return _keys_in_order(exited["stateExitedEventDetails"]["output"])


def _pass(parameters: dict) -> dict:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": parameters, "End": True}}}


def test_java_hash_order():
    assert java_hash_order(["StateMachineArn", "Input", "Name"]) == ["Input", "StateMachineArn", "Name"]
    assert java_hash_order(["Question", "Answer"]) == ["Answer", "Question"]
    # same bucket: insertion order is kept
    assert java_hash_order(["QueueUrl", "MessageBody"]) == ["QueueUrl", "MessageBody"]
    assert java_hash_order(["MessageBody", "QueueUrl"]) == ["MessageBody", "QueueUrl"]
    # 13 keys: the table has grown from 16 to 32 buckets
    keys = ["context_object", "execution", "execution_id", "execution_input", "execution_name", "execution_rolearn",
            "execution_starttime", "state", "state_enteredtime", "state_name", "statemachine", "statemachine_id",
            "statemachine_name"]
    assert java_hash_order(keys) == [
        "execution", "execution_rolearn", "execution_name", "statemachine_id", "execution_id", "execution_input",
        "execution_starttime", "state_name", "state_enteredtime", "statemachine", "state", "context_object",
        "statemachine_name"]
    assert java_hash_order([]) == []


def test_path_fields_follow_hash_order():
    got = _exited_output(_pass({"StateMachineArn.$": "$.arn", "Input.$": "$.input", "Name.$": "$.name"}),
                         {"arn": "a", "input": {}, "name": "n"})
    assert [k for k, _ in got] == ["Input", "StateMachineArn", "Name"]


def test_literal_fields_come_first_as_written():
    got = _exited_output(_pass({"FunctionName.$": "$.f", "Payload": {"Input.$": "$"}, "Literal": 1}), {"f": "fn"})
    assert [k for k, _ in got] == ["Payload", "Literal", "FunctionName"]


def test_nested_templates_are_ordered_too():
    got = _exited_output(_pass({"outer": {"Question.$": "$.q", "Answer.$": "$.a"}}), {"q": 1, "a": 2})
    assert got == [("outer", [("Answer", 2), ("Question", 1)])]


def test_context_object_fields_in_aws_order():
    got = dict(_exited_output(_pass({"ctx.$": "$$"}), {"x": 1}))["ctx"]
    assert [k for k, _ in got] == ["Execution", "StateMachine", "State"]
    sections = dict(got)
    assert [k for k, _ in sections["Execution"]] == ["Id", "Input", "StartTime", "Name", "RoleArn", "RedriveCount"]
    assert [k for k, _ in sections["StateMachine"]] == ["Id", "Name"]
    assert [k for k, _ in sections["State"]] == ["Name", "EnteredTime"]
