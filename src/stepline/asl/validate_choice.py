"""Checks of a Choice state's rules: JSONPath comparators (with their value types) and JSONata Conditions."""

from __future__ import annotations

from typing import Any

from stepline.asl.diagnostics import TOO_DEEP
from stepline.asl.validate_expressions import ExpressionChecks
from stepline.asl.validate_fields import (
    COMPARATORS,
    JSONATA_ONLY,
    JSONPATH_ONLY,
    MAX_DEPTH,
    is_jsonata_expression,
    is_number,
    is_timestamp,
    language_message,
    listed,
)


class ChoiceChecks(ExpressionChecks):
    """``Choices`` and ``Default`` of a Choice state."""

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
            elif not (isinstance(r["Condition"], bool) or is_jsonata_expression(r["Condition"])):
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
            self.error(f"There should only be one of the following fields: {listed(ops)}", loc)
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
