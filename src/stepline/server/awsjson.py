"""AWS JSON 1.0 and 1.1: ``X-Amz-Target: <Prefix>.<Operation>`` -> (service, operation); bodies
are JSON with timestamps as epoch seconds (numbers) and blobs as base64 strings.
https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from stepline.errors import SteplineError


class SerializationException(SteplineError):
    code = "SerializationException"


class UnknownOperationException(SteplineError):
    code = "UnknownOperationException"


@dataclass(frozen=True, slots=True)
class Target:
    service: str  # the target prefix: AWSStepFunctions, RedshiftData, AmazonSSM, secretsmanager
    operation: str


def parse_target(header: str | None) -> Target:
    if not header or "." not in header:
        raise UnknownOperationException("Missing or malformed X-Amz-Target header")
    prefix, _, operation = header.rpartition(".")
    return Target(prefix, operation)


def decode_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: arrays or objects nested too deep to parse
        raise SerializationException("Start of structure or map found where not expected.") from None
    if not isinstance(doc, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    return doc


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.timestamp()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "__float__"):  # Decimal
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode_body(doc: Any) -> bytes:
    text = json.dumps(doc, default=_default, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate (JSON allows "\ud800") is sent escaped, as it came
        return json.dumps(doc, default=_default, separators=(",", ":")).encode()


def content_type(version: str) -> str:
    return f"application/x-amz-json-{version}"
