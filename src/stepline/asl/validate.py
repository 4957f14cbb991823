"""Structural validation of a definition: every problem at once, each with its location.

Codes and message wording follow ValidateStateMachineDefinition
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_ValidateStateMachineDefinition.html);
locations are AWS's too: ``/States/Choose/Choices[0]/Next``, ``/States/P/Branches[1]/States/X``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from stepline.asl import load
from stepline.asl.dataflow import java_hash_order
from stepline.asl.errors import DefinitionError

ERROR = "ERROR"
WARNING = "WARNING"
SCHEMA = "SCHEMA_VALIDATION_FAILED"
MISSING_TARGET = "MISSING_TRANSITION_TARGET"
MISSING_END = "MISSING_END_STATE"
DUPLICATE = "DUPLICATE_STATE_NAME"
INVALID_NAME = "INVALID_STATE_NAME"
INVALID_RESOURCE = "INVALID_RESOURCE"
TOO_DEEP = "TOO_DEEPLY_NESTED"
INVALID_JSONATA = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED_JSONATA = "UNSUPPORTED_JSONATA_EXPRESSION"

MAX_DEPTH = 64  # nested Choice rules, payload templates and sub-machines
# AWS refuses a definition with a state nothing transitions to ("MISSING_TRANSITION_TARGET: State "X" is
# not reachable."). stepline reports it with AWS's code and text but as a WARNING, so a machine under
# construction (a state parked for later) still runs locally.
UNREACHABLE_SEVERITY = WARNING

LANGUAGES = ("JSONPath", "JSONata")
TOP_FIELDS = frozenset({"Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"})
COMMON = frozenset({"Type", "Comment", "QueryLanguage"})
_IO = {"InputPath", "OutputPath", "Output", "Assign"}
_RESULT = {"Parameters", "ResultSelector", "ResultPath", "Arguments", "Retry", "Catch"}
# Per state type, from https://states-language.net/spec.html and the Step Functions guide's
# state pages (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-states.html).
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
_RETRY_FIELDS = frozenset({"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                           "JitterStrategy", "Comment"})
_CATCH_FIELDS = frozenset({"ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment"})


def language_message(language: str, field: str) -> str:
    other = "JSONPath" if language == "JSONata" else "JSONata"
    return (f"The QueryLanguage is set to '{language}', but field '{field}' is only supported "
            f"for the '{other}' QueryLanguage")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: ``Diagnostic('ERROR', 'MISSING_TRANSITION_TARGET', "Missing 'Next' target: B", '/States/A/Next')``."""

    severity: str  # "ERROR" | "WARNING"
    code: str
    message: str
    location: str = ""

    def to_aws(self) -> dict[str, str]:
        """An item of ValidateStateMachineDefinition's ``diagnostics`` (no location when unknown)."""
        out = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.location:
            out["location"] = self.location
        return out


def validate(
    definition: str | dict[str, Any],
    *,
    max_results: int = 100,
    lambda_results: Mapping[str, Collection[str]] | None = None,
    machine_type: str = "STANDARD",
) -> list[Diagnostic]:
    """Every problem in ``definition`` (text or parsed), ERRORs first, lint warnings included.

    ``lambda_results`` is passed to ``lint.lint`` (top-level fields each local handler returns).
    ``machine_type`` EXPRESS adds what Express workflows refuse (``.waitForTaskToken`` tasks).

    Example: ``validate('{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}') == []``.
    """
    limit = max_results if isinstance(max_results, int) and max_results > 0 else 100
    if isinstance(definition, str):
        try:
            definition = load.parse_text(definition)
        except DefinitionError as e:
            return list(e.diagnostics)[:limit]
    if not isinstance(definition, dict):
        return [Diagnostic(ERROR, SCHEMA, "The definition must be a JSON object", "/")]
    checker = _Checker(machine_type)
    checker.machine(definition)
    found = checker.out
    from stepline.asl import lint

    found.extend(lint.lint(definition, lambda_results=lambda_results))
    found.sort(key=lambda d: d.severity != ERROR)  # stable: document order within each severity
    return found[:limit]


def aws_result(definition: str | dict[str, Any], *, severity: str = "ERROR", max_results: int = 0,
               machine_type: str = "STANDARD") -> dict[str, Any]:
    """ValidateStateMachineDefinition's output: ``{'result': 'OK'|'FAIL', 'diagnostics': [...], 'truncated': bool}``.

    ``severity`` ERROR (the API default) returns errors only, WARNING both; ``max_results`` 0 means 100;
    ``machine_type`` is the request's ``type`` (STANDARD or EXPRESS).
    """
    found = validate(definition, max_results=1_000_000, machine_type=machine_type or "STANDARD")
    failed = any(d.severity == ERROR for d in found)
    if severity != WARNING:
        found = [d for d in found if d.severity == ERROR]
    limit = max_results if isinstance(max_results, int) and 0 < max_results <= 100 else 100
    return {
        "result": "FAIL" if failed else "OK",
        "diagnostics": [d.to_aws() for d in found[:limit]],
        "truncated": len(found) > limit,
    }


def validated(definition: str | dict[str, Any]) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The parsed definition and its warnings; raises ``DefinitionError`` when any ERROR exists."""
    if isinstance(definition, str):
        definition = load.parse_text(definition)
    found = validate(definition, max_results=100)
    errors = [d for d in found if d.severity == ERROR]
    if errors:
        raise DefinitionError(errors)
    return definition, found


# --- helpers -----------------------------------------------------------------------------------


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")
_VARIABLE_NAME = re.compile(r"[^\W\d]\w*\Z")


def is_timestamp(value: Any) -> bool:
    """RFC 3339 with an uppercase T and a zone, as Wait and Timestamp* comparators require."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _names(fields: Any) -> str:
    return "[" + ", ".join(fields) + "]"


def _jsonata_expression(value: Any) -> bool:
    from stepline.asl import jsonata

    return jsonata.is_expression(value)


def _parser_words(problem: str) -> str:
    """AWS reports the JSONata parser's message without its code ('Unexpected end of expression')."""
    text = problem.split(" is not valid: ", 1)[-1]
    return re.sub(r"^[A-Z]\d{4}: ", "", text)


@lru_cache(maxsize=4096)
def top_level_references(body: str) -> tuple[str, ...]:
    """Names a JSONata expression reads from the context item, which Step Functions leaves empty.

    AWS refuses them at definition time ("Reference to 'phone' at the top level is not supported."):
    input comes from ``$states.input`` and variables, never from a bare ``phone`` or ``a.b``. Only
    positions evaluated against the top context are walked (not predicates, path steps or lambdas).
    """
    try:
        from jsonata import Jsonata

        root = Jsonata(body).ast
    except Exception:  # noqa: BLE001 - syntax problems are reported by check_syntax
        return ()
    found: list[str] = []

    def visit(node: Any, depth: int) -> None:
        if node is None or depth > 200:
            return
        if isinstance(node, list | tuple):
            for item in node:
                visit(item, depth + 1)
            return
        kind = getattr(node, "type", None)
        if kind == "path":
            steps = getattr(node, "steps", None) or []
            if steps and getattr(steps[0], "type", None) == "name":
                found.append(str(steps[0].value))
            elif steps:
                visit(steps[0], depth + 1)
        elif kind == "name":
            found.append(str(node.value))
        elif kind in ("binary", "apply"):
            visit(getattr(node, "lhs", None), depth + 1)
            visit(getattr(node, "rhs", None), depth + 1)
        elif kind == "bind":
            visit(getattr(node, "rhs", None), depth + 1)
        elif kind == "unary":
            for field in ("expression", "expressions", "lhs_object"):
                visit(getattr(node, field, None), depth + 1)
        elif kind in ("function", "partial"):
            visit(getattr(node, "arguments", None), depth + 1)
        elif kind == "condition":
            for field in ("condition", "then", "_else"):
                visit(getattr(node, field, None), depth + 1)
        elif kind == "block":
            visit(getattr(node, "expressions", None), depth + 1)

    visit(root, 0)
    return tuple(dict.fromkeys(found))


# --- the checker -------------------------------------------------------------------------------


class _Checker:
    def __init__(self, machine_type: str = "STANDARD") -> None:
        self.out: list[Diagnostic] = []
        self.seen_names: dict[str, str] = {}
        self.top_language = "JSONPath"
        self.express = machine_type == "EXPRESS"

    def error(self, message: str, location: str, code: str = SCHEMA) -> None:
        self.out.append(Diagnostic(ERROR, code, message, location))

    def warn(self, code: str, message: str, location: str) -> None:
        self.out.append(Diagnostic(WARNING, code, message, location))

    # -- containers --

    def machine(self, d: dict[str, Any]) -> None:
        for key in d:
            if key not in TOP_FIELDS:
                self.error(f"Field '{key}' is not supported", "/")
        language = d.get("QueryLanguage", "JSONPath")
        if language not in LANGUAGES:
            self.error(f"The field 'QueryLanguage' should be one of {_names(LANGUAGES)}", "/QueryLanguage")
        else:
            self.top_language = language
        if "Version" in d and not isinstance(d["Version"], str):
            self.error("The field 'Version' should be a string", "/Version")
        if "Comment" in d and not isinstance(d["Comment"], str):
            self.error("The field 'Comment' should be a string", "/Comment")
        if "TimeoutSeconds" in d:
            self.positive_int(d, "TimeoutSeconds", "", "JSONPath")
        self.scope(d, "", 0)

    def scope(self, d: dict[str, Any], prefix: str, depth: int) -> None:
        """StartAt + States of a machine, a Parallel branch or a Map processor."""
        where = prefix or "/"
        if depth > MAX_DEPTH:
            self.error("The states are too deeply nested", where, TOO_DEEP)
            return
        start = d.get("StartAt")
        state_map = d.get("States")
        missing = [k for k in ("StartAt", "States") if k not in d]
        if missing:  # AWS lists them as a java.util.HashSet iterates: [States, StartAt]
            self.error(f"These fields are required: {_names(java_hash_order(missing))}", where)
        if "StartAt" in d and not isinstance(start, str):
            self.error("The field 'StartAt' should be a string", f"{prefix}/StartAt")
        if "States" in d and not isinstance(state_map, dict):
            self.error("The field 'States' should be an object", f"{prefix}/States")
            return
        if not isinstance(state_map, dict):
            return
        if not state_map:
            self.error("The field 'States' should have at least 1 state", f"{prefix}/States")
            return
        edges: dict[str, list[tuple[str, str]]] = {}
        terminal = False
        for name, state in state_map.items():
            loc = f"{prefix}/States/{name}"
            self.state_name(name, loc)
            edges[name] = []
            terminal |= self.state(name, state, loc, edges[name], depth)
        if isinstance(start, str) and start not in state_map:
            self.error(f"Missing 'Next' target: {start}", f"{prefix}/StartAt", MISSING_TARGET)
        for targets in edges.values():
            for target, loc in targets:
                if target not in state_map:
                    self.error(f"Missing 'Next' target: {target}", loc, MISSING_TARGET)
        if not terminal:
            # AWS reports this alone: the unreachable-state walk is skipped for this scope.
            self.error("Workflow has no terminal state", prefix, MISSING_END)
            return
        if isinstance(start, str) and start in state_map:
            reached = {start}
            todo = [start]
            while todo:
                for target, _ in edges.get(todo.pop(), []):
                    if target in state_map and target not in reached:
                        reached.add(target)
                        todo.append(target)
            for name in state_map:
                if name not in reached:
                    self.out.append(Diagnostic(UNREACHABLE_SEVERITY, MISSING_TARGET, f'State "{name}" is not reachable.',
                                               f"{prefix}/States/{name}"))

    def state_name(self, name: str, loc: str) -> None:
        if not name or len(name) > 80:
            self.error(f"State name '{name[:100]}' must be 1 to 80 characters long", loc, INVALID_NAME)
        first = self.seen_names.get(name)
        if first is not None:
            self.error(f"Duplicate state name: '{name}' is also used at {first}", loc, DUPLICATE)
        else:
            self.seen_names[name] = loc

    # -- one state --

    def state(self, name: str, s: Any, loc: str, edges: list[tuple[str, str]], depth: int) -> bool:
        """Check one state, collect its transitions; True when it is a terminal state."""
        if not isinstance(s, dict):
            self.error("A state should be an object", loc)
            return True  # do not pile a MISSING_END_STATE on top
        kind = s.get("Type")
        if "Type" not in s:
            self.error("These fields are required: [Type]", loc)
            return True
        if not isinstance(kind, str) or kind not in FIELDS:
            self.error(f"The field 'Type' should be one of {_names(sorted(FIELDS))}", f"{loc}/Type")
            return True
        language = self.state_language(s, loc)
        allowed = FIELDS[kind] | COMMON
        for key in s:
            if key not in allowed:
                self.error(f"Field '{key}' is not supported", loc)
            elif language == "JSONata" and key in JSONPATH_ONLY:
                self.error(language_message("JSONata", key), loc)
            elif language == "JSONPath" and key in JSONATA_ONLY:
                self.error(language_message("JSONPath", key), loc)
        if "Comment" in s and not isinstance(s["Comment"], str):
            self.error("The field 'Comment' should be a string", f"{loc}/Comment")
        terminal = kind in ("Succeed", "Fail")
        if kind not in ("Choice", "Succeed", "Fail"):
            terminal = self.transition(s, loc, edges)
        getattr(self, f"check_{kind.lower()}")(s, loc, language, edges, depth)
        self.common(s, loc, language, edges)
        return terminal

    def state_language(self, s: dict[str, Any], loc: str) -> str:
        if "QueryLanguage" not in s:
            return self.top_language
        language = s["QueryLanguage"]
        if language not in LANGUAGES:
            self.error(f"The field 'QueryLanguage' should be one of {_names(LANGUAGES)}", f"{loc}/QueryLanguage")
            return self.top_language
        if language == "JSONPath" and self.top_language == "JSONata":
            self.error("'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine", loc)
        return str(language)

    def transition(self, s: dict[str, Any], loc: str, edges: list[tuple[str, str]]) -> bool:
        has_next, end = "Next" in s, s.get("End")
        if "End" in s and not isinstance(end, bool):
            self.error("The field 'End' should be a boolean", f"{loc}/End")
        if has_next and end is True:
            self.error("There should only be one of the following fields: [Next, End]", loc)
        elif not has_next and end is not True:
            self.error("One of these fields is required: [Next, End]", loc)
        if has_next:
            self.target(s["Next"], f"{loc}/Next", edges)
        return end is True

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
        if language == "JSONata" and _jsonata_expression(value):
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
            self.error(f"There should only be one of the following fields: {_names(present)}", loc)

    def path(self, value: Any, loc: str, *, reference: bool = False, context: bool = True,
             intrinsic: bool = False, nullable: bool = False) -> None:
        """A JSONPath field: a (reference) path, or an intrinsic call where one is allowed."""
        from stepline.asl import intrinsics, jsonpath

        field = loc.rsplit("/", 1)[-1]
        if value is None and nullable:
            return
        if not isinstance(value, str):
            self.error(f"The field '{field}' should be a string containing a JSONPath", loc)
            return
        if intrinsic and intrinsics.is_intrinsic(value):
            problem = intrinsics.check_intrinsic(value)
            if problem is None:
                for arity in intrinsics.arity_problems(value):
                    self.warn("INTRINSIC_ARGUMENTS", f"{arity}: the call fails with States.Runtime when it runs", loc)
                return
        else:
            problem = jsonpath.check_path(value, reference=reference)
            if problem is None and not context and jsonpath.compile_path(value).is_context:
                problem = f"'{value}' cannot refer to the context object ($$) here"
        if problem is None:
            return
        if intrinsic:
            what = "must be a valid JSONPath or a valid intrinsic function call"
            self.error(f"The value for the field '{field}' {what} ({problem})", loc)
        else:
            self.error(f"Value is not {'a Reference Path' if reference else 'a valid JSONPath'} ({problem})", loc)

    def template(self, value: Any, loc: str, depth: int = 0) -> None:
        """Parameters, ResultSelector, ItemSelector, JSONPath Assign: ``.$`` keys hold paths."""
        from stepline.asl import intrinsics

        if depth > MAX_DEPTH:
            self.error("The payload template is too deeply nested", loc, TOO_DEEP)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.template(item, f"{loc}[{i}]", depth + 1)
            return
        if not isinstance(value, dict):
            return
        for key, item in value.items():
            here = f"{loc}/{key}"
            if key.endswith(".$"):
                if not isinstance(item, str):
                    self.error(f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic "
                               "function call (a string)", here)
                else:
                    self.path(item, here, intrinsic=True)
                continue
            if isinstance(item, str) and (item.startswith(("$.", "$$.", "$[")) or intrinsics.is_intrinsic(item)):
                self.warn("NO_DOLLAR", f"The value of field '{key}' looks like a JSONPath or an intrinsic "
                          f"function, but the field name does not end with '.$'", here)
            self.template(item, here, depth + 1)

    def jsonata(self, value: Any, loc: str, depth: int = 0) -> None:
        """Every ``{% %}`` string inside a JSONata field must compile."""
        from stepline.asl import jsonata

        if depth > MAX_DEPTH:
            self.error("The value is too deeply nested", loc, TOO_DEEP)
        elif isinstance(value, str) and jsonata.is_expression(value):
            problem = jsonata.check_syntax(value)
            if problem is not None:
                self.error(_parser_words(problem), loc, INVALID_JSONATA)
                return
            for name in top_level_references(jsonata.expression_body(value)):
                self.error(f"Reference to '{name}' at the top level is not supported.", loc, UNSUPPORTED_JSONATA)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and key.endswith(".$"):
                    self.warn("DOLLAR_IN_JSONATA", f"The field name '{key}' ends with '.$', which JSONata states "
                              "do not evaluate: the value is used as written (use {% %} instead)", f"{loc}/{key}")
                self.jsonata(item, f"{loc}/{key}", depth + 1)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.jsonata(item, f"{loc}[{i}]", depth + 1)

    def assign(self, value: Any, loc: str, language: str) -> None:
        if not isinstance(value, dict):
            self.error("The field 'Assign' should be an object", loc)
            return
        for key in value:
            name = key[:-2] if language == "JSONPath" and key.endswith(".$") else key
            if not _VARIABLE_NAME.match(name) or len(name) > 80:
                self.error(f"The variable name '{name}' is invalid: it must start with a letter or '_', "
                           "contain only letters, digits and '_', and be at most 80 characters", f"{loc}/{key}")
            elif name == "states":
                self.error("The variable name 'states' is reserved", f"{loc}/{key}")
        if language == "JSONPath":
            self.template(value, loc)
        else:
            self.jsonata(value, loc)

    def common(self, s: dict[str, Any], loc: str, language: str, edges: list[tuple[str, str]]) -> None:
        """Fields shared by several state types, checked once."""
        if language == "JSONata":
            for key, value in s.items():
                if key not in ("Branches", "ItemProcessor", "Iterator", "Choices", "Retry", "Catch", "Assign"):
                    self.jsonata(value, f"{loc}/{key}")
        for key in ("InputPath", "OutputPath"):
            if key in s and language == "JSONPath":
                self.path(s[key], f"{loc}/{key}", nullable=True)
        if "ResultPath" in s and language == "JSONPath":
            self.path(s["ResultPath"], f"{loc}/ResultPath", reference=True, context=False, nullable=True)
        for key in ("Parameters", "ResultSelector", "ItemSelector"):
            if key in s and language == "JSONPath":
                if not isinstance(s[key], dict):
                    self.error(f"The field '{key}' should be an object", f"{loc}/{key}")
                else:
                    self.template(s[key], f"{loc}/{key}")
        if "Assign" in s:
            self.assign(s["Assign"], f"{loc}/Assign", language)
        if "Arguments" in s and not (isinstance(s["Arguments"], dict) or _jsonata_expression(s["Arguments"])):
            self.error("The field 'Arguments' should be an object or a JSONata expression", f"{loc}/Arguments")
        if "Retry" in s:
            self.retriers(s["Retry"], f"{loc}/Retry", language, None)
        if "Catch" in s:
            self.retriers(s["Catch"], f"{loc}/Catch", language, edges)

    # -- per state type (check_<type>) --

    def check_pass(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        if "Result" in s and isinstance(s["Result"], dict) and any(k.endswith(".$") for k in s["Result"]):
            self.warn("PASS_RESULT_IS_STATIC", "The Result of a Pass state is static: fields ending in '.$' "
                      "are not evaluated (use Parameters)", f"{loc}/Result")

    def check_task(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        resource = s.get("Resource")
        if "Resource" not in s:
            self.error("These fields are required: [Resource]", loc)
        elif not isinstance(resource, str) or not resource.startswith("arn:") or resource.count(":") < 5:
            self.error(f"Value is not a valid resource ARN: {str(resource)[:200]}", f"{loc}/Resource",
                       INVALID_RESOURCE)
        elif self.express and resource.endswith(".waitForTaskToken"):
            # AWS's message ends with a space
            self.error("Express state machine does not support '.waitForTaskToken' service integration ",
                       f"{loc}/Resource")
        for field in ("TimeoutSeconds", "HeartbeatSeconds"):
            self.exclusive(s, loc, field, f"{field}Path")
            if field in s:
                self.positive_int(s, field, loc, language)
            if f"{field}Path" in s:
                self.path(s[f"{field}Path"], f"{loc}/{field}Path", reference=True, context=False)
        timeout, heartbeat = s.get("TimeoutSeconds"), s.get("HeartbeatSeconds")
        if is_int(timeout) and is_int(heartbeat) and heartbeat >= timeout:
            self.error("The field 'HeartbeatSeconds' should be smaller than 'TimeoutSeconds'",
                       f"{loc}/HeartbeatSeconds")
        if "Credentials" in s and not isinstance(s["Credentials"], dict):
            self.error("The field 'Credentials' should be an object", f"{loc}/Credentials")
        elif "Credentials" in s and language == "JSONPath":
            self.template(s["Credentials"], f"{loc}/Credentials")

    def check_wait(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        fields = ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")
        present = [f for f in fields if f in s]
        if not present:
            self.error(f"One of these fields is required: {_names(fields)}", loc)
        self.exclusive(s, loc, *fields)
        if "Seconds" in s:
            self.positive_int(s, "Seconds", loc, language, low=0)
        if "Timestamp" in s and not (language == "JSONata" and _jsonata_expression(s["Timestamp"])):
            if not is_timestamp(s["Timestamp"]):
                self.error("The field 'Timestamp' should be an RFC3339 timestamp such as "
                           "'2016-03-14T01:59:00Z'", f"{loc}/Timestamp")
        for field in ("SecondsPath", "TimestampPath"):
            if field in s:
                self.path(s[field], f"{loc}/{field}", reference=True, context=False)

    def check_succeed(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        """Nothing beyond the common fields."""

    def check_fail(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        for field in ("Error", "Cause"):
            self.exclusive(s, loc, field, f"{field}Path")
            value = s.get(field)
            if field in s and not isinstance(value, str):
                self.error(f"The field '{field}' should be a string", f"{loc}/{field}")
            if f"{field}Path" in s:
                self.path(s[f"{field}Path"], f"{loc}/{field}Path", reference=True, intrinsic=True)

    def check_choice(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        choices = s.get("Choices")
        if "Choices" not in s:
            self.error("These fields are required: [Choices]", loc)
        elif not isinstance(choices, list) or not choices:
            self.error("The field 'Choices' should be a non-empty array", f"{loc}/Choices")
        else:
            for i, rule in enumerate(choices):
                self.rule(rule, f"{loc}/Choices[{i}]", language, edges, 0)
        if "Default" in s:
            self.target(s["Default"], f"{loc}/Default", edges)

    def rule(self, r: Any, loc: str, language: str, edges: Any, depth: int) -> None:
        top = depth == 0
        if depth > MAX_DEPTH:
            self.error("The Choice Rule is too deeply nested", loc, TOO_DEEP)
            return
        if not isinstance(r, dict):
            self.error("A Choice Rule should be an object", loc)
            return
        if language == "JSONata":
            for key in r:
                if key not in ("Condition", "Next", "Comment", "Assign", "Output"):
                    self.error(language_message("JSONata", key) if key in JSONPATH_ONLY or key in COMPARATORS
                               or key in ("And", "Or", "Not") else f"Field '{key}' is not supported", loc)
            if "Condition" not in r:
                self.error("These fields are required: [Condition]", loc)
            elif not (isinstance(r["Condition"], bool) or _jsonata_expression(r["Condition"])):
                self.error("The field 'Condition' should be a boolean or a JSONata expression", f"{loc}/Condition")
            for key in ("Condition", "Output"):
                if key in r:
                    self.jsonata(r[key], f"{loc}/{key}")
        else:
            self.jsonpath_rule(r, loc, language, edges, depth)
        if top:
            if "Next" not in r:
                self.error("These fields are required: [Next]", loc)
            else:
                self.target(r["Next"], f"{loc}/Next", edges)
            if "Assign" in r:
                self.assign(r["Assign"], f"{loc}/Assign", language)
        elif "Next" in r or "Assign" in r:
            self.error(f"Field '{'Next' if 'Next' in r else 'Assign'}' is not supported", loc)

    def jsonpath_rule(self, r: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        for key in r:
            if key in JSONATA_ONLY:
                self.error(language_message("JSONPath", key), loc)
            elif key not in COMPARATORS and key not in ("Variable", "And", "Or", "Not", "Next", "Comment", "Assign"):
                self.error(f"Field '{key}' is not supported", loc)
        ops = [k for k in r if k in COMPARATORS or k in ("And", "Or", "Not")]
        if not ops:
            self.error("A Choice Rule needs one comparison operator (such as StringEquals) or And, Or, Not", loc)
            return
        if len(ops) > 1:
            self.error(f"There should only be one of the following fields: {_names(ops)}", loc)
            return
        op = ops[0]
        if op in ("And", "Or", "Not"):
            if "Variable" in r:
                self.error("Field 'Variable' is not supported", loc)
            value = r[op]
            if op == "Not":
                self.rule(value, f"{loc}/Not", language, edges, depth + 1)
            elif not isinstance(value, list) or not value:
                self.error(f"The field '{op}' should be a non-empty array of Choice Rules", f"{loc}/{op}")
            else:
                for i, sub in enumerate(value):
                    self.rule(sub, f"{loc}/{op}[{i}]", language, edges, depth + 1)
            return
        if "Variable" not in r:
            self.error("These fields are required: [Variable]", loc)
        else:
            self.path(r["Variable"], f"{loc}/Variable")
        value, kind = r[op], COMPARATORS[op]
        ok = {
            "string": isinstance(value, str),
            "number": is_number(value),
            "boolean": isinstance(value, bool),
            "timestamp": is_timestamp(value),
            "path": True,
        }[kind]
        if kind == "path":
            self.path(value, f"{loc}/{op}")
        elif not ok:
            what = {"timestamp": "an RFC3339 timestamp string"}.get(kind, f"a {kind}")
            self.error(f"The field '{op}' should be {what}", f"{loc}/{op}")

    def retriers(self, items: Any, loc: str, language: str, edges: Any) -> None:
        catch = edges is not None
        field = "Catch" if catch else "Retry"
        if not isinstance(items, list):
            self.error(f"The field '{field}' should be an array", loc)
            return
        allowed = _CATCH_FIELDS if catch else _RETRY_FIELDS
        for i, item in enumerate(items):
            here = f"{loc}[{i}]"
            if not isinstance(item, dict):
                self.error(f"A {'Catcher' if catch else 'Retrier'} should be an object", here)
                continue
            for key in item:
                if key not in allowed:
                    self.error(f"Field '{key}' is not supported", here)
                elif language == "JSONata" and key == "ResultPath":
                    self.error(language_message("JSONata", key), here)
                elif language == "JSONPath" and key == "Output":
                    self.error(language_message("JSONPath", key), here)
            errors = item.get("ErrorEquals")
            if "ErrorEquals" not in item:
                self.error("These fields are required: [ErrorEquals]", here)
            elif not isinstance(errors, list) or not errors or not all(isinstance(e, str) for e in errors):
                self.error("The field 'ErrorEquals' should be a non-empty array of strings", f"{here}/ErrorEquals")
            elif "States.ALL" in errors:
                if len(errors) > 1:
                    self.error("'States.ALL' must appear alone in 'ErrorEquals'", f"{here}/ErrorEquals")
                if i != len(items) - 1:
                    self.error(f"The {'Catcher' if catch else 'Retrier'} with 'States.ALL' must be the last one",
                               f"{here}/ErrorEquals")
            if catch:
                self.catcher(item, here, language, edges)
            else:
                self.retrier(item, here)

    def catcher(self, item: dict[str, Any], here: str, language: str, edges: Any) -> None:
        if "Next" not in item:
            self.error("These fields are required: [Next]", here)
        else:
            self.target(item["Next"], f"{here}/Next", edges)
        if "ResultPath" in item and language == "JSONPath":
            self.path(item["ResultPath"], f"{here}/ResultPath", reference=True, context=False, nullable=True)
        if "Assign" in item:
            self.assign(item["Assign"], f"{here}/Assign", language)
        if "Output" in item and language == "JSONata":
            self.jsonata(item["Output"], f"{here}/Output")

    def retrier(self, item: dict[str, Any], here: str) -> None:
        limits = {"IntervalSeconds": (1, 99999999), "MaxAttempts": (0, 99999999), "MaxDelaySeconds": (1, 31622400)}
        for key, (low, high) in limits.items():
            if key in item:
                self.number(item, key, f"{here}/{key}", "JSONPath", low, high)
        if "BackoffRate" in item:
            self.number(item, "BackoffRate", f"{here}/BackoffRate", "JSONPath", 1.0, float("inf"), integer=False)
        if "JitterStrategy" in item and item["JitterStrategy"] not in ("FULL", "NONE"):
            self.error("The field 'JitterStrategy' should be one of [FULL, NONE]", f"{here}/JitterStrategy")

    def check_parallel(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        branches = s.get("Branches")
        if "Branches" not in s:
            self.error("These fields are required: [Branches]", loc)
        elif not isinstance(branches, list) or not branches:
            self.error("The field 'Branches' should be a non-empty array", f"{loc}/Branches")
        else:
            for i, branch in enumerate(branches):
                self.sub_machine(branch, f"{loc}/Branches[{i}]", frozenset({"StartAt", "States", "Comment"}), depth)

    def sub_machine(self, d: Any, loc: str, allowed: frozenset[str], depth: int) -> None:
        if not isinstance(d, dict):
            self.error("The value should be an object with StartAt and States", loc)
            return
        for key in d:
            if key not in allowed:
                self.error(f"Field '{key}' is not supported", loc)
        self.scope(d, loc, depth + 1)

    def check_map(self, s: dict[str, Any], loc: str, language: str, edges: Any, depth: int) -> None:
        self.exclusive(s, loc, "ItemProcessor", "Iterator")
        self.exclusive(s, loc, "ItemSelector", "Parameters")
        if "ItemProcessor" not in s and "Iterator" not in s:
            self.error("These fields are required: [ItemProcessor]", loc)
        mode = "INLINE"
        for field in ("ItemProcessor", "Iterator"):
            if field not in s:
                continue
            processor = s[field]
            allowed = frozenset({"StartAt", "States", "Comment", "ProcessorConfig"})
            self.sub_machine(processor, f"{loc}/{field}", allowed, depth)
            config = processor.get("ProcessorConfig") if isinstance(processor, dict) else None
            if isinstance(processor, dict) and "ProcessorConfig" in processor:
                mode = self.processor_config(config, f"{loc}/{field}/ProcessorConfig")
        if "ItemsPath" in s:
            self.path(s["ItemsPath"], f"{loc}/ItemsPath", reference=True)
        items = s.get("Items")
        if "Items" in s and not (isinstance(items, list) or _jsonata_expression(items)):
            self.error("The field 'Items' should be an array or a JSONata expression", f"{loc}/Items")
        # https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html (limits)
        for field, low, high in (("MaxConcurrency", 0, 2**31 - 1), ("ToleratedFailureCount", 0, 2**31 - 1),
                                 ("ToleratedFailurePercentage", 0.0, 100.0)):
            self.exclusive(s, loc, field, f"{field}Path")
            if field in s:
                self.number(s, field, f"{loc}/{field}", language, low, high, integer=isinstance(low, int))
            if f"{field}Path" in s:
                self.path(s[f"{field}Path"], f"{loc}/{field}Path", reference=True, context=False)
        for field, template in (("ItemReader", "Parameters"), ("ItemBatcher", "BatchInput"),
                                ("ResultWriter", "Parameters")):
            if field in s and not isinstance(s[field], dict):
                self.error(f"The field '{field}' should be an object", f"{loc}/{field}")
            elif field in s and language == "JSONPath" and isinstance(s[field].get(template), dict):
                self.template(s[field][template], f"{loc}/{field}/{template}")
        label = s.get("Label")
        if "Label" in s and (not isinstance(label, str) or not 0 < len(label) <= 40):
            self.error("The field 'Label' should be a string of 1 to 40 characters", f"{loc}/Label")
        if mode == "INLINE":
            for field in DISTRIBUTED_ONLY:
                if field in s:
                    self.warn("DISTRIBUTED_MAP_ONLY", f"The field '{field}' only takes effect in a Map whose "
                              "ProcessorConfig Mode is DISTRIBUTED", f"{loc}/{field}")

    def processor_config(self, config: Any, loc: str) -> str:
        if not isinstance(config, dict):
            self.error("The field 'ProcessorConfig' should be an object", loc)
            return "INLINE"
        for key in config:
            if key not in ("Mode", "ExecutionType"):
                self.error(f"Field '{key}' is not supported", loc)
        mode = config.get("Mode", "INLINE")
        if mode not in ("INLINE", "DISTRIBUTED"):
            self.error("The field 'Mode' should be one of [INLINE, DISTRIBUTED]", f"{loc}/Mode")
            return "INLINE"
        if "ExecutionType" in config and config["ExecutionType"] not in ("STANDARD", "EXPRESS"):
            self.error("The field 'ExecutionType' should be one of [STANDARD, EXPRESS]", f"{loc}/ExecutionType")
        if mode == "DISTRIBUTED" and "ExecutionType" not in config:
            self.error("These fields are required: [ExecutionType]", loc)
        return str(mode)
