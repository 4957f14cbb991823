"""JSON text as AWS writes it (Jackson): compact, non-ASCII kept, doubles as Java prints them."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any


def dumps(value: Any) -> str:
    """Compact JSON as AWS (Jackson) writes it: no spaces, non-ASCII kept, doubles as Java prints
    them (``1.0E20``, ``1.5E-7``, ``2.0``)."""
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, dict):
        return "{" + ",".join(_text(k) + ":" + dumps(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return _text(value)


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def java_double(d: float) -> str:
    """``Double.toString``: plain between 1e-3 and 1e7, else ``1.5E10`` notation."""
    if math.isnan(d):
        return "NaN"
    if math.isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    if d == 0:
        return "-0.0" if math.copysign(1, d) < 0 else "0.0"
    if 1e-3 <= abs(d) < 1e7:
        return repr(d)
    digits, exponent = Decimal(repr(abs(d))).normalize().as_tuple()[1:]
    text = "".join(map(str, digits))
    scientific = len(text) - 1 + int(exponent)
    return f"{'-' if d < 0 else ''}{text[0]}.{text[1:] or '0'}E{scientific}"
