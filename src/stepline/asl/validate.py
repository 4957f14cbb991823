"""Structural validation of a definition: every problem at once, each with its location.

Codes and message wording follow ValidateStateMachineDefinition
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_ValidateStateMachineDefinition.html);
locations are AWS's too: ``/States/Choose/Choices[0]/Next``, ``/States/P/Branches[1]/States/X``.

This module walks the machine (scopes, state names, transitions, reachability); the checks of one
state live beside it: ``validate_fields`` (allowed fields, value types), ``validate_expressions``
(paths, intrinsics, templates, JSONata), ``validate_choice`` (Choice rules), ``validate_states``
(each state type, Retry/Catch); ``diagnostics`` holds ``Diagnostic`` and the API's result shape.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from stepline.asl import load
from stepline.asl.dataflow import java_hash_order
from stepline.asl.diagnostics import (
    DUPLICATE,
    ERROR,
    INVALID_NAME,
    MISSING_END,
    MISSING_TARGET,
    SCHEMA,
    TOO_DEEP,
    WARNING,
    Diagnostic,
    aws_diagnostics,
)
from stepline.asl.errors import DefinitionError
from stepline.asl.validate_fields import (
    COMMON,
    FIELDS,
    JSONATA_ONLY,
    JSONPATH_ONLY,
    LANGUAGES,
    MAX_DEPTH,
    TOP_FIELDS,
    language_message,
    listed,
)
from stepline.asl.validate_states import StateChecks

__all__ = ["Diagnostic", "aws_result", "validate", "validated"]

# AWS refuses a definition with a state nothing transitions to ("MISSING_TRANSITION_TARGET: State "X" is
# not reachable."). stepline reports it with AWS's code and text but as a WARNING, so a machine under
# construction (a state parked for later) still runs locally.
UNREACHABLE_SEVERITY = WARNING


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
    return aws_diagnostics(found, severity=severity, max_results=max_results)


def validated(definition: str | dict[str, Any]) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The parsed definition and its warnings; raises ``DefinitionError`` when any ERROR exists."""
    if isinstance(definition, str):
        definition = load.parse_text(definition)
    found = validate(definition, max_results=100)
    errors = [d for d in found if d.severity == ERROR]
    if errors:
        raise DefinitionError(errors)
    return definition, found


def unreachable(start: str, edges: Mapping[str, list[tuple[str, str]]]) -> list[str]:
    """The states of one scope (the keys of ``edges``) that no transition from ``start`` leads to."""
    reached = {start}
    todo = [start]
    while todo:
        for target, _ in edges.get(todo.pop(), []):
            if target in edges and target not in reached:
                reached.add(target)
                todo.append(target)
    return [name for name in edges if name not in reached]


class _Checker(StateChecks):
    """The walk over a definition: machine, scopes, state names, transitions."""

    def __init__(self, machine_type: str = "STANDARD") -> None:
        super().__init__(machine_type)
        self.seen_names: dict[str, str] = {}  # state name -> where it was first defined

    # -- containers --

    def machine(self, d: dict[str, Any]) -> None:
        for key in d:
            if key not in TOP_FIELDS:
                self.error(f"Field '{key}' is not supported", "/")
        language = d.get("QueryLanguage", "JSONPath")
        if language not in LANGUAGES:
            self.error(f"The field 'QueryLanguage' should be one of {listed(LANGUAGES)}", "/QueryLanguage")
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
            self.error(f"These fields are required: {listed(java_hash_order(missing))}", where)
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
            for name in unreachable(start, edges):
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
            self.error(f"The field 'Type' should be one of {listed(sorted(FIELDS))}", f"{loc}/Type")
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
            self.error(f"The field 'QueryLanguage' should be one of {listed(LANGUAGES)}", f"{loc}/QueryLanguage")
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
