"""Definition validation: one case per fixture file, plus property tests that nothing raises.

Each ``fixtures/validate/*.json`` holds a ``definition`` (or raw ``text``) and the diagnostics
``validate`` must return, exactly (severity, code, location; the message as a substring).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepline.asl import jsonata
from stepline.asl.errors import DefinitionError
from stepline.asl.validate import Diagnostic, aws_result, validate, validated

# The JSONata library raises the recursion limit on first use; do it before hypothesis watches.
jsonata.check_syntax("{% 1 %}")

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
CASES = sorted(FIXTURES.glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _key(d: dict[str, str] | Diagnostic) -> tuple[str, str, str]:
    if isinstance(d, Diagnostic):
        return (d.severity, d.code, d.location)
    return (d["severity"], d["code"], d["location"])


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path: Path) -> None:
    case = _load(path)
    subject = case["definition"] if "definition" in case else case["text"]
    found = validate(subject)
    assert sorted(map(_key, found)) == sorted(map(_key, case["expect"])), [d.to_aws() for d in found]
    by_key = {_key(d): [] for d in found}
    for d in found:
        by_key[_key(d)].append(d.message)
    for want in case["expect"]:
        assert any(want["message"] in got for got in by_key[_key(want)]), (want, by_key[_key(want)])


def test_fixture_count() -> None:
    assert len(CASES) >= 50


def test_text_and_dict_agree() -> None:
    case = _load(FIXTURES / "seed_000_section_3_3.json")
    assert validate(json.dumps(case["definition"])) == validate(case["definition"])


def test_errors_come_first_and_max_results_truncates() -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x": "$.a", "y": "$.b"},
                                                   "Foo": 1, "Bar": 2, "End": True}}}
    found = validate(definition)
    assert [d.severity for d in found] == ["ERROR", "ERROR", "WARNING", "WARNING"]
    assert validate(definition, max_results=3) == found[:3]
    assert validate(definition, max_results=0) == found  # 0 means the default, as in the API


def test_to_aws_shape() -> None:
    d = Diagnostic("ERROR", "MISSING_TRANSITION_TARGET", "Missing 'Next' target: B", "/States/A/Next")
    assert d.to_aws() == {"severity": "ERROR", "code": "MISSING_TRANSITION_TARGET",
                          "message": "Missing 'Next' target: B", "location": "/States/A/Next"}
    assert "location" not in Diagnostic("ERROR", "MISSING_END_STATE", "Workflow has no terminal state").to_aws()


def test_validated_raises_with_every_error_and_returns_warnings() -> None:
    with pytest.raises(DefinitionError) as e:
        validated('{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "C": {"Type": "Wait"}}}')
    codes = sorted(d.code for d in e.value.diagnostics)
    assert codes == ["MISSING_END_STATE", "MISSING_TRANSITION_TARGET", "SCHEMA_VALIDATION_FAILED",
                     "SCHEMA_VALIDATION_FAILED"]
    assert "(and 3 more)" in str(e.value)
    seed = _load(FIXTURES / "seed_000_section_3_3.json")["definition"]
    parsed, warnings = validated(json.dumps(seed))
    assert parsed == seed and warnings and all(w.severity == "WARNING" for w in warnings)


def test_not_a_dict() -> None:
    assert [d.code for d in validate(42)] == ["SCHEMA_VALIDATION_FAILED"]  # type: ignore[arg-type]


# --- property tests --------------------------------------------------------------------------

VALID = [_load(p)["definition"] for p in CASES if "definition" in _load(p)
         and not any(e["severity"] == "ERROR" for e in _load(p)["expect"])]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
    | st.text(max_size=12) | st.sampled_from(["$", "$.a", "$$.x", "States.Array(1)", "{% 1 %}", "{% ( %}",
                                              "States.ALL", "FINISHED", "$.a[", "arn:aws:states:::x"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_nodes(v, (*path, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_nodes(v, (*path, i)))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A valid definition with a few keys deleted, renamed or given random values."""
    definition = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        nodes = [p for p in _nodes(definition) if p]
        if not nodes:
            break
        path = draw(st.sampled_from(nodes))
        parent = definition
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = draw(st.sampled_from(["delete", "rename", "replace"]))
        if action == "delete":
            del parent[last]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = parent.pop(last)
        else:
            parent[last] = draw(json_values)
    return definition


def _check(found: Any) -> None:
    assert isinstance(found, list)
    assert all(isinstance(d, Diagnostic) and d.severity in ("ERROR", "WARNING") and d.code and d.message
               for d in found)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_definitions_never_raise(definition: Any) -> None:
    before = copy.deepcopy(definition)
    _check(validate(definition))
    assert definition == before  # the caller's dict is never changed
    _check(validate(json.dumps(definition)))


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_random_json_never_raises(value: Any) -> None:
    _check(validate(value))  # type: ignore[arg-type]
    _check(validate(json.dumps(value)))
    if isinstance(value, dict):
        _check(validate({"StartAt": "A", "States": {"A": value}}))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_raises(text: str) -> None:
    _check(validate(text))


names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)
paths = st.sampled_from(["$", "$.a", "$.a.b[0]", "$['x y']", "$.items[0].id"])


@st.composite
def valid_machines(draw: st.DrawFn) -> dict[str, Any]:
    """Random valid machines: chains of every state type with unique names at every depth."""
    # worst case: 5 names at depth 0 + 4 nested chains of (3 + 2 nested chains of 3) = 41
    pool = iter(draw(st.lists(names, min_size=48, max_size=48, unique=True)))

    def chain(depth: int) -> dict[str, Any]:
        kinds = draw(st.lists(st.sampled_from(["Pass", "Task", "Wait", "Choice", "Parallel", "Map"]),
                              max_size=4 if depth == 0 else 2))
        order = [next(pool) for _ in kinds] + [next(pool)]
        states: dict[str, Any] = {}
        for i, kind in enumerate(kinds):
            nxt = order[i + 1]
            state: dict[str, Any] = {"Type": kind, "Next": nxt}
            if kind == "Pass":
                state.update(Parameters={"v.$": draw(paths), "k": draw(st.integers())}, ResultPath=draw(paths))
            elif kind == "Task":
                state.update(Resource="arn:aws:states:::lambda:invoke", TimeoutSeconds=draw(st.integers(2, 999)),
                             HeartbeatSeconds=1, Retry=[{"ErrorEquals": ["States.ALL"],
                                                         "BackoffRate": draw(st.floats(1.0, 9.0))}])
            elif kind == "Wait":
                if draw(st.booleans()):
                    state["Seconds"] = draw(st.integers(0, 99999999))
                else:
                    state["SecondsPath"] = "$.s"
            elif kind == "Choice":
                del state["Next"]
                op = draw(st.sampled_from([("StringEquals", "x"), ("NumericLessThan", 3), ("IsPresent", True),
                                           ("BooleanEquals", False), ("TimestampEquals", "2024-02-29T00:00:00Z")]))
                state.update(Choices=[{"Variable": draw(paths), op[0]: op[1], "Next": nxt}], Default=nxt)
            elif kind == "Parallel" and depth < 2:
                state["Branches"] = [chain(depth + 1)]
            elif kind == "Map" and depth < 2:
                state["ItemProcessor"] = chain(depth + 1)
            else:
                state["Type"] = "Pass"
            states[order[i]] = state
        states[order[-1]] = {"Type": draw(st.sampled_from(["Succeed", "Fail"]))}
        return {"StartAt": order[0], "States": states}

    return chain(0)


@settings(max_examples=300, deadline=None)
@given(valid_machines())
def test_generated_valid_machines_have_no_error(definition: dict[str, Any]) -> None:
    found = validate(definition)
    assert [d for d in found if d.severity == "ERROR"] == [], [d.to_aws() for d in found]
    assert validate(json.dumps(definition)) == found


@pytest.mark.parametrize("index", range(len(VALID)))
def test_valid_machines_have_no_error(index: int) -> None:
    assert not [d for d in validate(VALID[index]) if d.severity == "ERROR"]


def test_aws_result_shape() -> None:
    seed = _load(FIXTURES / "seed_000_section_3_3.json")["definition"]
    assert aws_result(seed) == {"result": "OK", "diagnostics": [], "truncated": False}
    with_warnings = aws_result(seed, severity="WARNING", max_results=2)
    assert with_warnings["result"] == "OK" and with_warnings["truncated"] is True
    assert [d["code"] for d in with_warnings["diagnostics"]] == ["DATA_API_STATUS_NEVER_RETURNED",
                                                                 "UNBOUNDED_POLLING_LOOP"]
    broken = aws_result('{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "NOPE"}}}')
    assert broken["result"] == "FAIL"
    assert broken["diagnostics"] == [
        {"severity": "ERROR", "code": "MISSING_TRANSITION_TARGET", "message": "Missing 'Next' target: NOPE",
         "location": "/States/A/Next"},
        {"severity": "ERROR", "code": "MISSING_END_STATE", "message": "Workflow has no terminal state"},
    ]


_BAD_TIMESTAMPS = ["2016-03-14 01:59:00Z", "2016-03-14T01:59:00", "2016-13-14T01:59:00Z", "2016-12-05T25:29:29Z",
                   "2016-03-14t01:59:00z", "2016-02-30T01:59:00Z", "2016-03-14T01:59:00+0100", "05-12-2016T21:29:29Z",
                   "2016-03-14T01:59Z", "2016-03-14T01:59:00.Z", 1457920740]


@pytest.mark.parametrize("stamp", _BAD_TIMESTAMPS)
def test_literal_timestamps_must_be_rfc3339(stamp):
    wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Timestamp": stamp, "End": True}}}
    choice = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Default": "D",
              "Choices": [{"Not": {"Variable": "$.t", "TimestampLessThanEquals": stamp}, "Next": "D"}]},
        "D": {"Type": "Succeed"}}}
    assert [(d.code, d.location) for d in validate(wait)] == [("SCHEMA_VALIDATION_FAILED", "/States/W/Timestamp")]
    assert [(d.code, d.location) for d in validate(choice)] == [
        ("SCHEMA_VALIDATION_FAILED", "/States/C/Choices[0]/Not/TimestampLessThanEquals")]


@pytest.mark.parametrize("stamp", ["2016-03-14T01:59:00Z", "2016-03-14T01:59:00.123456789Z", "2016-03-14T01:59:00-05:30"])
def test_rfc3339_literal_timestamps_are_accepted(stamp):
    wait = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Timestamp": stamp, "End": True}}}
    assert validate(wait) == []


def test_missing_start_at_and_states_are_listed_as_aws_lists_them():
    assert aws_result("{}")["diagnostics"] == [{"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED",
                                                 "message": "These fields are required: [States, StartAt]",
                                                 "location": "/"}]


def test_express_machines_refuse_wait_for_task_token():
    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Send", "States": {"Send": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
            "Parameters": {"QueueUrl": "q", "MessageBody": {"TaskToken.$": "$$.Task.Token"}}}}}]}}}
    assert aws_result(definition)["result"] == "OK"
    assert aws_result(definition, machine_type="STANDARD")["result"] == "OK"
    assert aws_result(definition, machine_type="EXPRESS") == {"result": "FAIL", "truncated": False, "diagnostics": [{
        "severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED",
        "message": "Express state machine does not support '.waitForTaskToken' service integration ",
        "location": "/States/P/Branches[0]/States/Send/Resource"}]}
