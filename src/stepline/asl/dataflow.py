"""Data flow through a state: the JSONPath fields (InputPath, Parameters, ResultSelector,
ResultPath, OutputPath) and the JSONata ones (Arguments, Output, Assign), plus the context object.

https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html
https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from stepline.asl import errors, intrinsics, jsonata
from stepline.asl.errors import StatesError
from stepline.asl.jsonpath import PathNotFound, ResultPathMatchError, compile_path, dumps, set_path

# https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html: 256 KiB of UTF-8 per payload
MAX_PAYLOAD_BYTES = 262_144


def payload_too_large(value: Any, limit: int = MAX_PAYLOAD_BYTES) -> bool:
    """True when ``value`` as AWS's JSON text is over ``limit`` bytes of UTF-8 (AWS: 256 KiB)."""
    if isinstance(value, bool | int | float) or value is None:
        return False
    if isinstance(value, str) and len(value) < limit // 6:  # at most 6 bytes a character (\\uXXXX)
        return False
    try:  # the C encoder first: only a payload near the limit needs AWS's exact number formatting
        rough = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    except (TypeError, ValueError):
        rough = limit
    if rough < limit * 3 // 4:
        return False
    return len(dumps(value).encode()) > limit


def data_limit_cause(name: str) -> str:
    """AWS's cause when a state or task produced an oversized result (``name``: the state, or the
    task's resource as AWS names it)."""
    return f"The state/task '{name}' returned a result with a size exceeding the maximum number of bytes service limit."


def iso_time(epoch: float) -> str:
    """AWS's context-object time: ISO-8601 UTC with milliseconds, e.g. 2024-01-01T00:00:00.000Z."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Scope:
    """What a state's expressions may read: the context object (built on first use), variables,
    entropy and the time the state was entered."""

    __slots__ = ("_context_fn", "_context", "variables", "entropy", "now")

    def __init__(self, context_fn: Any, variables: dict[str, Any], entropy: Any, now: float) -> None:
        self._context_fn = context_fn
        self._context: Any = None
        self.variables = variables
        self.entropy = entropy
        self.now = now

    @property
    def context(self) -> dict[str, Any]:
        if self._context is None:
            self._context = self._context_fn()
        return self._context


def read_path(path: str, doc: Any, scope: Scope) -> Any:
    """A path that may start with ``$``, ``$$`` (context) or ``$name`` (variable)."""
    compiled = compile_path(path)
    if compiled.variable is not None:
        if compiled.variable not in scope.variables:
            raise PathNotFound(path, f"No results for path: {path}")
        return compiled.find(scope.variables[compiled.variable])
    return compiled.find(scope.context if compiled.is_context else doc)


def input_path(doc: Any, path: Any, scope: Scope) -> Any:
    if path is None:
        return {}
    if path == "$":
        return doc
    try:
        return read_path(path, doc, scope)
    except PathNotFound as e:
        raise StatesError(errors.RUNTIME, str(e)) from None


def output_path(doc: Any, path: Any, scope: Scope) -> Any:
    return input_path(doc, path, scope)


def payload(template: Any, doc: Any, scope: Scope) -> Any:
    """A payload template (Parameters, ResultSelector, ItemSelector, Assign in JSONPath): keys
    ending in ``.$`` take the value of a path or intrinsic call."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        dynamic: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                dynamic[key[:-2]] = _dynamic(key, value, doc, scope)
            else:
                out[key] = payload(value, doc, scope)
        if not dynamic:
            return out
        # AWS lists the literal fields first (as written), then the ".$" fields in the order of a
        # java.util.HashMap holding them, as its recorded histories show.
        for key in java_hash_order(list(dynamic)):
            out.pop(key, None)
            out[key] = dynamic[key]
        return out
    if isinstance(template, list):
        return [payload(v, doc, scope) for v in template]
    return template


def _java_string_hash(text: str) -> int:
    """Java's String.hashCode (over UTF-16 code units), as an unsigned 32-bit number."""
    units = text.encode("utf-16-be")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + (units[i] << 8 | units[i + 1])) & 0xFFFFFFFF
    return h


def java_hash_order(keys: list[str]) -> list[str]:
    """The iteration order of a java.util.HashMap after putting ``keys`` in this order: by bucket
    (the spread hash masked by the table size, which starts at 16 and doubles past a 0.75 load),
    insertion order within a bucket."""
    size = 16
    while len(keys) > size * 3 // 4:
        size *= 2
    buckets: dict[int, list[str]] = {}
    for key in keys:
        h = _java_string_hash(key)
        buckets.setdefault((h ^ (h >> 16)) & (size - 1), []).append(key)
    return [key for bucket in sorted(buckets) for key in buckets[bucket]]


def _dynamic(key: str, expr: str, doc: Any, scope: Scope) -> Any:
    if intrinsics.is_intrinsic(expr):
        return intrinsics.evaluate(expr, doc, scope.context, scope.entropy, scope.variables)
    try:
        return read_path(expr, doc, scope)
    except PathNotFound:
        source = scope.context if expr.startswith("$$") else doc
        raise StatesError(
            errors.RUNTIME,
            f"The JSONPath '{expr}' specified for the field '{key}' could not be found in the input '{dumps(source)}'",
        ) from None


def result_path(raw_input: Any, result: Any, path: Any, present: bool = True) -> Any:
    """ResultPath: absent or "$" -> the result; null -> the input unchanged; else merged in."""
    if not present or path == "$":
        return result
    if path is None:
        return raw_input
    try:
        return set_path(raw_input, path, result)
    except ResultPathMatchError as e:
        raise StatesError(
            errors.RESULT_PATH_MATCH_FAILURE,
            f"Unable to apply ReferencePath {path} to input {dumps(raw_input)}",
        ) from e


# --- JSONata -----------------------------------------------------------------------------------


def bindings(scope: Scope, state_input: Any, **extra: Any) -> dict[str, Any]:
    states: dict[str, Any] = {"input": state_input, "context": scope.context}
    states.update(extra)
    out = dict(scope.variables)
    out["states"] = states
    return out


def _moment(scope: Scope) -> datetime:
    return datetime.fromtimestamp(scope.now, UTC)


def template(value: Any, binding: dict[str, Any], field: str, scope: Scope) -> Any:
    return jsonata.evaluate_template(value, binding, field=field, now=_moment(scope), entropy=scope.entropy)


def expression_as(value: Any, binding: dict[str, Any], expected: str, field: str, scope: Scope) -> Any:
    if not jsonata.is_expression(value):
        return value
    return jsonata.evaluate_as(value, binding, expected, field=field, now=_moment(scope), entropy=scope.entropy)


def assign_jsonata(assign: dict[str, Any], binding: dict[str, Any], scope: Scope) -> dict[str, Any]:
    return {name: template(value, binding, f"Assign/{name}", scope) for name, value in assign.items()}


def assign_jsonpath(assign: dict[str, Any], result: Any, scope: Scope) -> dict[str, Any]:
    return payload(assign, result, scope)
