"""Checks of the expressions inside states: JSONPath paths, intrinsic calls, payload templates, JSONata, Assign."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from stepline.asl.diagnostics import INVALID_JSONATA, TOO_DEEP, UNSUPPORTED_JSONATA
from stepline.asl.validate_fields import MAX_DEPTH, FieldChecks

_VARIABLE_NAME = re.compile(r"[^\W\d]\w*\Z")


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



class ExpressionChecks(FieldChecks):
    """Fields that hold paths, templates or JSONata expressions."""

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
