"""Request validation at the HTTP edge, driven by the botocore input shape of the operation, so that
every handler receives a body of the types its model promises.

Two steps, as AWS's JSON services take them:

1. deserialization: a value of the wrong JSON type (a number where the model has a string, a list
   where it has a structure, ...) is a ``SerializationException`` naming the first one found;
2. constraints: missing required members, lengths, ranges, enums and patterns are one
   ``ValidationException`` listing them all: ``2 validation errors detected: Value null at 'name'
   failed to satisfy constraint: Member must not be null; Value '0' at 'maxResults' ...``.

Members the model does not know are ignored (newer SDKs send members older models lack).

Example::

    validate("glue", "GetTable", {"DatabaseName": "lake"})  # ValidationException: ... at 'name' ...
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from botocore.loaders import Loader

from stepline.errors import Invalid
from stepline.server.awsjson import SerializationException

_SHOWN = 1024  # characters of a rejected value quoted in a message
# Services that send their constraint violations under their own error name.
_CODES = {"athena": "InvalidRequestException"}


class ValidationException(Invalid):
    code = "ValidationException"


@cache
def _model(service: str) -> dict[str, Any]:
    return Loader().load_service_model(service, "service-2")


@cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    """The model's (Java) pattern, or None when Python's ``re`` cannot read it (then it is not checked)."""
    try:
        return re.compile(pattern)
    except re.error:
        return None


def operations(service: str) -> list[str]:
    return sorted(_model(service)["operations"])


def input_shape(service: str, operation: str) -> str | None:
    op = _model(service)["operations"].get(operation)
    return op.get("input", {}).get("shape") if op else None


def validate(service: str, operation: str, request: Any) -> None:
    """Raise ``SerializationException`` or ``ValidationException`` when ``request`` does not fit the
    input shape of ``service``'s ``operation`` (an operation outside the model is not checked)."""
    shape = input_shape(service, operation)
    if shape is None:
        return
    shapes = _model(service)["shapes"]
    _check_types(shapes, shape, request)
    problems: list[str] = []
    _check_constraints(shapes, shape, request, "", problems)
    if problems:
        n = len(problems)
        raise ValidationException(f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(problems),
                                  code=_CODES.get(service))


def from_text(service: str, operation: str, params: dict[str, str]) -> dict[str, Any]:
    """REST-JSON members bound to the path or the query string, as the types of their shapes (a
    number that does not parse stays text, for ``validate`` to reject)."""
    shape = input_shape(service, operation)
    if shape is None:
        return dict(params)
    shapes = _model(service)["shapes"]
    members = shapes[shape].get("members", {})
    typed: dict[str, Any] = {}
    for name, text in params.items():
        kind = shapes[members[name]["shape"]]["type"] if name in members else "string"
        if kind in ("integer", "long") and re.fullmatch(r"-?[0-9]{1,18}", text):
            typed[name] = int(text)
        elif kind == "boolean" and text in ("true", "false"):
            typed[name] = text == "true"
        else:
            typed[name] = text
    return typed


# -- deserialization ---------------------------------------------------------------------------

_EXPECTED = {"string": "a String", "integer": "an Integer", "long": "a Long", "boolean": "a Boolean",
             "double": "a Double", "float": "a Float", "timestamp": "a Timestamp", "blob": "a Blob",
             "structure": "a Structure", "list": "a List", "map": "a Map"}


def _token(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE_VALUE" if value else "FALSE_VALUE"
    if isinstance(value, (int, float)):
        return "NUMBER_VALUE"
    return "STRING_VALUE"


def _mismatch(kind: str, value: Any) -> SerializationException:
    if isinstance(value, dict):
        return SerializationException("Start of structure or map found where not expected.")
    if isinstance(value, list):
        return SerializationException("Start of list found where not expected")
    return SerializationException(f"{_token(value)} can not be converted to {_EXPECTED.get(kind, kind)}")


def _fits(kind: str, value: Any) -> bool:
    if kind == "string" or kind == "blob":
        return isinstance(value, str)
    if kind in ("integer", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("double", "float"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "timestamp":
        return isinstance(value, (int, float, str)) and not isinstance(value, bool)
    if kind == "structure":
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    if kind == "map":
        return isinstance(value, dict)
    return True


def _check_types(shapes: dict[str, Any], name: str, value: Any) -> None:
    if value is None:  # JSON null is an absent member
        return
    shape = shapes[name]
    if shape.get("document"):
        return
    kind = shape["type"]
    if not _fits(kind, value):
        raise _mismatch(kind, value)
    if kind == "structure":
        members = shape.get("members", {})
        for member, v in value.items():
            if member in members:
                _check_types(shapes, members[member]["shape"], v)
    elif kind == "list":
        for item in value:
            _check_types(shapes, shape["member"]["shape"], item)
    elif kind == "map":
        for v in value.values():
            _check_types(shapes, shape["value"]["shape"], v)


# -- constraints -------------------------------------------------------------------------------

def _path(where: str, member: str) -> str:
    member = member[:1].lower() + member[1:]
    return f"{where}.{member}" if where else member


def _shown(value: Any) -> str:
    if isinstance(value, list):
        text = "[" + ", ".join(_shown(v) for v in value[:20]) + ("...]" if len(value) > 20 else "]")
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}={_shown(v)}" for k, v in list(value.items())[:20]) + "}"
    elif isinstance(value, bool):
        text = str(value).lower()
    else:
        text = str(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _fail(problems: list[str], value: Any, where: str, constraint: str) -> None:
    problems.append(f"Value '{_shown(value)}' at '{where}' failed to satisfy constraint: {constraint}")


def _bounds(shape: dict[str, Any], n: float, value: Any, where: str, what: str, problems: list[str]) -> bool:
    ok = True
    if "min" in shape and n < shape["min"]:
        _fail(problems, value, where, f"Member must have {what} greater than or equal to {shape['min']}")
        ok = False
    if "max" in shape and n > shape["max"]:
        _fail(problems, value, where, f"Member must have {what} less than or equal to {shape['max']}")
        ok = False
    return ok


def _check_constraints(shapes: dict[str, Any], name: str, value: Any, where: str, problems: list[str]) -> None:
    shape = shapes[name]
    if shape.get("document"):
        return
    kind = shape["type"]
    if kind == "structure":
        members = shape.get("members", {})
        for member in shape.get("required", []):
            if value.get(member) is None:
                problems.append(f"Value null at '{_path(where, member)}' failed to satisfy constraint: "
                                "Member must not be null")
        for member, v in value.items():
            if member in members and v is not None:
                _check_constraints(shapes, members[member]["shape"], v, _path(where, member), problems)
    elif kind == "list":
        _bounds(shape, len(value), value, where, "length", problems)
        for i, item in enumerate(value, 1):
            if item is not None:
                _check_constraints(shapes, shape["member"]["shape"], item, f"{where}.{i}.member", problems)
    elif kind == "map":
        _bounds(shape, len(value), value, where, "length", problems)
        for key, v in value.items():
            _check_constraints(shapes, shape["key"]["shape"], key, f"{where}.{key}.key", problems)
            if v is not None:
                _check_constraints(shapes, shape["value"]["shape"], v, f"{where}.{key}.value", problems)
    elif kind == "string":
        if not _bounds(shape, len(value), value, where, "length", problems):
            return  # a pattern is not tried on a value of the wrong length (nor megabytes of it)
        if "enum" in shape and value not in shape["enum"]:
            _fail(problems, value, where, f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]")
        pattern = _pattern(shape["pattern"]) if "pattern" in shape else None
        if pattern is not None and not pattern.fullmatch(value):
            _fail(problems, value, where, f"Member must satisfy regular expression pattern: {shape['pattern']}")
    elif kind in ("integer", "long", "double", "float"):
        _bounds(shape, value, value, where, "value", problems)
