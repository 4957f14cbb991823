"""Hypothesis strategies for request bodies drawn from botocore input shapes: mostly the shape's
own types (so requests get past deserialization into the handlers), with wrong types, missing
required members, out-of-range numbers, huge strings, unknown members and nested garbage mixed in."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from botocore.loaders import Loader
from hypothesis import strategies as st

HUGE = 70_000  # characters: beyond every length limit of a request member in these models

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12))
json_garbage = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)
odd_strings = st.sampled_from(["", " ", "\x00", "\ud7ff", "é" * 9, "null", "{}", "[1]", "-1", "0", "NaN",
                               "arn:aws:states:us-east-1:123456789012:stateMachine:", "arn:", ":::::::", "$LATEST",
                               "../../etc/passwd", "%s%n", "${x}", "a" * 257, "1e999", "9" * 40])

# JSON text nested deeper than Python's parser recurses: for members that hold JSON documents
# (execution input, task output, definitions, SQL parameters).
deep_json = st.sampled_from(["[" * 3000 + "]" * 3000, '{"a":' * 3000 + "1" + "}" * 3000,
                             '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": '
                             + '{"a": ' * 3000 + "1" + "}" * 3000 + ', "End": true}}}'])


@cache
def model(service: str) -> dict[str, Any]:
    return Loader().load_service_model(service, "service-2")


def input_shape(service: str, operation: str) -> str:
    return model(service)["operations"][operation]["input"]["shape"]


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any], noisy: bool) -> st.SearchStrategy[Any]:
    """``good`` about four times in five (one_of draws its branches evenly); only ``good`` when not ``noisy``."""
    return st.one_of(good, good, good, good, bad) if noisy else good


def _string(shape: dict[str, Any], known: tuple[str, ...], noisy: bool) -> st.SearchStrategy[str]:
    lo, hi = shape.get("min", 0), min(shape.get("max", 64), 64)
    if "enum" in shape and not noisy:
        return st.sampled_from(shape["enum"])
    options = [st.text(min_size=lo, max_size=max(lo, hi)), deep_json]
    if noisy:
        options += [odd_strings, st.just("x" * HUGE)]
        if "max" in shape:
            options.append(st.just("y" * (shape["max"] + 1)))
    if "enum" in shape:
        options += [st.sampled_from(shape["enum"])] * 3
    if known:
        options += [st.sampled_from(known)] * 3
    return st.one_of(options)


def _number(shape: dict[str, Any], integral: bool, noisy: bool) -> st.SearchStrategy[Any]:
    lo, hi = shape.get("min"), shape.get("max")
    inside = st.integers(min_value=int(lo) if lo is not None else -1000, max_value=int(hi) if hi is not None else 10**6)
    if not integral:
        inside = st.one_of(inside, st.floats(allow_nan=False, allow_infinity=False))
    if not noisy:
        return inside
    edges = [-1, 0, 1, 2**31, -(2**31) - 1, 2**63, 10**30]
    edges += [b + d for b in (lo, hi) if b is not None for d in (-1, 0, 1)]
    return st.one_of(inside, inside, st.sampled_from(edges))


def value(service: str, shape_name: str, known: tuple[str, ...] = (), depth: int = 0,
          noisy: bool = True) -> st.SearchStrategy[Any]:
    """Values for the shape; ``known`` are strings the server knows (names, ARNs). ``noisy`` mixes in
    wrong types and out-of-range values; without it the values are of the model's types and ranges."""
    shape = model(service)["shapes"][shape_name]
    kind = shape["type"]
    if shape.get("document") or depth > 4:
        return json_garbage
    if kind == "structure":
        return mostly(structure(service, shape_name, known, depth, noisy), json_garbage, noisy)
    if kind == "list":
        item = value(service, shape["member"]["shape"], known, depth + 1, noisy)
        lo = shape.get("min", 0)
        good = st.lists(item, min_size=lo, max_size=max(lo, 3))
        return mostly(good, st.one_of(json_garbage, st.lists(st.none(), max_size=2)), noisy)
    if kind == "map":
        keys = _string(model(service)["shapes"][shape["key"]["shape"]], known, noisy)
        good = st.dictionaries(keys, value(service, shape["value"]["shape"], known, depth + 1, noisy), max_size=3)
        return mostly(good, json_garbage, noisy)
    if kind in ("string", "blob"):
        return mostly(_string(shape, known, noisy), json_garbage, noisy)
    if kind in ("integer", "long"):
        return mostly(_number(shape, True, noisy), json_garbage, noisy)
    if kind in ("double", "float"):
        return mostly(_number(shape, False, noisy), json_garbage, noisy)
    if kind == "boolean":
        return mostly(st.booleans(), json_garbage, noisy)
    if kind == "timestamp":
        return mostly(st.one_of(st.integers(min_value=-(2**40), max_value=2**40), st.floats(allow_nan=False),
                                st.text(max_size=30)), json_garbage, noisy)
    return json_garbage


def structure(service: str, shape_name: str, known: tuple[str, ...] = (), depth: int = 0,
              noisy: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the shape's members: the required ones usually present (always, when not
    ``noisy``), the others sometimes, now and then a member the model does not have."""
    shape = model(service)["shapes"][shape_name]
    members = {name: value(service, m["shape"], known, depth + 1, noisy)
               for name, m in shape.get("members", {}).items()}
    required = {name: s for name, s in members.items() if name in shape.get("required", ())}
    optional = {name: s for name, s in members.items() if name not in required}
    complete = st.fixed_dictionaries(required, optional=optional)
    anything_missing = st.fixed_dictionaries({}, optional=members)
    if not noisy:
        return complete
    unknown = st.dictionaries(st.text(min_size=1, max_size=10), json_garbage, max_size=2)
    return st.builds(lambda body, extra, add: {**extra, **body} if add else body,
                     mostly(complete, anything_missing, noisy), unknown, st.sampled_from([False, False, False, True]))


def request(service: str, shape_name: str, known: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, Any]]:
    """Request bodies: half of the model's types and ranges (they reach the handlers), half noisy."""
    return st.one_of(structure(service, shape_name, known, noisy=False), structure(service, shape_name, known))


def body_text(doc: Any) -> bytes:
    return json.dumps(doc).encode()


# Bodies that are not the JSON object a client would send.
raw_bodies = st.one_of(
    st.sampled_from([b"", b" ", b"{", b"}", b"[]", b"null", b"true", b"1", b'"text"', b"{'a': 1}", b'{"a":}',
                     b"\xff\xfe\x00", b"NaN", b'{"a": NaN}', b'{"a": Infinity}', b"1e999", b'{"a": 1e999}',
                     b'{"a": 1}{"b": 2}', b"[" * 5000 + b"]" * 5000, b'{"a":' * 5000 + b"1" + b"}" * 5000,
                     b'{"\\ud800": "\\udc00x"}', b"\x00" * 64]),
    st.binary(max_size=64),
    st.text(max_size=64).map(str.encode),
    json_garbage.map(body_text),
)
