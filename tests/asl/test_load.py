"""Definition text to dict: JSON first, YAML otherwise, syntax errors as diagnostics."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepline.asl.errors import DefinitionError
from stepline.asl.load import dump_definition, parse_text

MACHINE = {"Comment": "ünïcode", "StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 1, "Next": "B"},
                                                             "B": {"Type": "Succeed"}}}


def _error(text: str) -> tuple[str, str, str]:
    with pytest.raises(DefinitionError) as e:
        parse_text(text)
    (d,) = e.value.diagnostics
    assert d.severity == "ERROR"
    return d.code, d.message, d.location


def test_json() -> None:
    assert parse_text(json.dumps(MACHINE)) == MACHINE


def test_yaml_when_not_json() -> None:
    text = """
StartAt: A
States:
  A:
    Type: Wait
    Timestamp: 2016-03-14T01:59:00Z   # stays a string, not a datetime
    Next: B
  B: {Type: Succeed}
  "1": {Type: Succeed}
"""
    d = parse_text(text)
    assert d["States"]["A"]["Timestamp"] == "2016-03-14T01:59:00Z"
    assert list(d["States"]) == ["A", "B", "1"]


def test_yaml_keys_stay_text() -> None:
    assert parse_text("StartAt: A\nStates:\n  1: {Type: Succeed}\n  true: {Type: Succeed}\n")["States"].keys() == {
        "1", "true"}


def test_dump_round_trip() -> None:
    text = dump_definition(MACHINE)
    assert "ünïcode" in text and parse_text(text) == MACHINE


def test_json_syntax_error_has_line() -> None:
    code, message, location = _error('{\n  "StartAt": "A",\n  "States": {,}\n}')
    assert code == "INVALID_JSON_DESCRIPTION"
    assert "line 3" in message and location == "line 3"


def test_json_duplicate_keys_are_refused() -> None:
    code, message, _ = _error('{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "End": true}}}')
    assert code == "INVALID_JSON_DESCRIPTION" and "Duplicate field 'End'" in message


def test_yaml_duplicate_keys_are_refused() -> None:
    code, message, location = _error("StartAt: A\nStates:\n  A: {Type: Succeed}\n  A: {Type: Fail}\n")
    assert code == "INVALID_JSON_DESCRIPTION" and "Duplicate field 'A'" in message and location == "line 4"


def test_nan_is_not_json() -> None:
    assert _error('{"StartAt": NaN}')[0] == "INVALID_JSON_DESCRIPTION"


@pytest.mark.parametrize("text", ["", "   \n"])
def test_empty(text: str) -> None:
    # as AWS's ValidateStateMachineDefinition answers an empty definition: no location
    assert _error(text) == ("SCHEMA_VALIDATION_FAILED", "Definition must be a valid JSON object", "")


@pytest.mark.parametrize("text", ["[1]", '"x"', "42", "- a\n- b\n"])
def test_not_an_object(text: str) -> None:
    code, message, _ = _error(text)
    assert code == "SCHEMA_VALIDATION_FAILED" and "must be a JSON object" in message


def test_bare_words_are_an_unrecognized_token_as_aws_says() -> None:
    source = '[Source: (String)"not a definition"; line: 1, column: 4]'
    assert _error("not a definition") == (
        "INVALID_JSON_DESCRIPTION",
        "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' "
        "or 'false')\n at " + source, source)
    code, message, location = _error("\n  words" + "x" * 600)
    assert code == "INVALID_JSON_DESCRIPTION"
    assert location.endswith('"[truncated 108 chars]; line: 2, column: 608]')
    assert message.startswith("Unrecognized token 'words" + "x" * 600 + "'")


def test_yaml_tags_are_not_constructed() -> None:
    assert _error("StartAt: !!python/object:os.system x\n")[0] == "INVALID_JSON_DESCRIPTION"


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    assert _error("[" * 100000 + "]" * 100000)[0] == "INVALID_JSON_DESCRIPTION"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_raises_definition_error(text: str) -> None:
    try:
        assert isinstance(parse_text(text), dict)
    except DefinitionError as e:
        assert e.diagnostics and all(d.severity == "ERROR" for d in e.diagnostics)


def test_byte_order_mark_is_ignored() -> None:
    assert parse_text("\ufeff" + json.dumps(MACHINE)) == MACHINE
    assert _error('\ufeff{"StartAt": "A",}')[0] == "INVALID_JSON_DESCRIPTION"  # still read as JSON
