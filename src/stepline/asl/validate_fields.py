"""Which fields each state type takes and what their values must be, with the checks every part uses.

Field lists follow https://states-language.net/spec.html and the Step Functions guide's state pages
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-states.html); message wording follows
ValidateStateMachineDefinition.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from stepline.asl.diagnostics import ERROR, SCHEMA, WARNING, Diagnostic

MAX_DEPTH = 64  # nested Choice rules, payload templates and sub-machines

LANGUAGES = ("JSONPath", "JSONata")
TOP_FIELDS = frozenset({"Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"})
COMMON = frozenset({"Type", "Comment", "QueryLanguage"})
_IO = {"InputPath", "OutputPath", "Output", "Assign"}
_RESULT = {"Parameters", "ResultSelector", "ResultPath", "Arguments", "Retry", "Catch"}
FIELDS: dict[str, frozenset[str]] = {
    "Pass": frozenset(_IO | {"Next", "End", "Parameters", "Result", "ResultPath"}),
    "Task": frozenset(
        _IO | _RESULT | {"Next", "End", "Resource", "Credentials", "TimeoutSeconds", "TimeoutSecondsPath",
                         "HeartbeatSeconds", "HeartbeatSecondsPath"}
    ),
    "Choice": frozenset(_IO | {"Choices", "Default"}),
    "Wait": frozenset(_IO | {"Next", "End", "Seconds", "SecondsPath", "Timestamp", "TimestampPath"}),
    "Succeed": frozenset({"InputPath", "OutputPath", "Output"}),
    "Fail": frozenset({"Error", "ErrorPath", "Cause", "CausePath"}),
    "Parallel": frozenset(_IO | _RESULT | {"Next", "End", "Branches"}),
    "Map": frozenset(
        _IO | (_RESULT - {"Arguments"}) | {
            "Next", "End", "ItemProcessor", "Iterator", "ItemsPath", "Items", "ItemSelector", "ItemReader",
            "ItemBatcher", "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount",
            "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Label",
        }
    ),
}
JSONPATH_ONLY = frozenset({
    "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Result", "ItemsPath",
    "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath", "ErrorPath", "CausePath",
    "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath", "Variable",
})
JSONATA_ONLY = frozenset({"Arguments", "Output", "Items", "Condition"})
DISTRIBUTED_ONLY = ("ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailureCount",
                    "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
                    "Label")
_STRING_OPS = ("StringEquals", "StringLessThan", "StringGreaterThan", "StringLessThanEquals",
               "StringGreaterThanEquals", "StringMatches")
_NUMERIC_OPS = ("NumericEquals", "NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals",
                "NumericGreaterThanEquals")
_TIMESTAMP_OPS = ("TimestampEquals", "TimestampLessThan", "TimestampGreaterThan", "TimestampLessThanEquals",
                  "TimestampGreaterThanEquals")
_TYPE_OPS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")
COMPARATORS: dict[str, str] = {
    **{op: "string" for op in _STRING_OPS},
    **{op: "number" for op in _NUMERIC_OPS},
    **{op: "timestamp" for op in _TIMESTAMP_OPS},
    "BooleanEquals": "boolean",
    **{op: "boolean" for op in _TYPE_OPS},
    **{f"{op}Path": "path" for op in (*_STRING_OPS[:5], *_NUMERIC_OPS, *_TIMESTAMP_OPS, "BooleanEquals")},
}

def language_message(language: str, field: str) -> str:
    other = "JSONPath" if language == "JSONata" else "JSONata"
    return (f"The QueryLanguage is set to '{language}', but field '{field}' is only supported "
            f"for the '{other}' QueryLanguage")



def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")


def is_timestamp(value: Any) -> bool:
    """RFC 3339 with an uppercase T and a zone, as Wait and Timestamp* comparators require."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def listed(fields: Any) -> str:
    return "[" + ", ".join(fields) + "]"



def is_jsonata_expression(value: Any) -> bool:
    from stepline.asl import jsonata

    return jsonata.is_expression(value)


class FieldChecks:
    """Collects diagnostics; the value checks shared by every part of a definition."""

    def __init__(self, machine_type: str = "STANDARD") -> None:
        self.out: list[Diagnostic] = []
        self.top_language = "JSONPath"
        self.express = machine_type == "EXPRESS"

    def error(self, message: str, location: str, code: str = SCHEMA) -> None:
        self.out.append(Diagnostic(ERROR, code, message, location))

    def warn(self, code: str, message: str, location: str) -> None:
        self.out.append(Diagnostic(WARNING, code, message, location))

    def target(self, value: Any, loc: str, edges: list[tuple[str, str]]) -> None:
        field = loc.rsplit("/", 1)[-1]
        if isinstance(value, str):
            edges.append((value, loc))
        else:
            self.error(f"The field '{field}' should be a string", loc)

    def positive_int(self, s: dict[str, Any], field: str, loc: str, language: str, low: int = 1) -> None:
        self.number(s, field, f"{loc}/{field}", language, low, 99999999)

    def number(self, s: dict[str, Any], field: str, loc: str, language: str, low: float, high: float,
               integer: bool = True) -> None:
        """A numeric field (or a JSONata expression in a JSONata state), in AWS's range words."""
        value = s[field]
        if language == "JSONata" and is_jsonata_expression(value):
            return
        if not (is_int(value) if integer else is_number(value)):
            what = "an integer" if integer else "a number"
            self.error(f"The field '{field}' should be {what}", loc)
        elif value < low:
            self.error(f"Minimum value is {low}", loc)
        elif value > high:
            self.error(f"Maximum value is {high}", loc)

    def exclusive(self, s: dict[str, Any], loc: str, *fields: str) -> None:
        present = [f for f in fields if f in s]
        if len(present) > 1:
            self.error(f"There should only be one of the following fields: {listed(present)}", loc)
