"""What an ``arn:aws:states:::aws-sdk:<service>:<action>`` task outputs: the service's response
with its timestamp members as ISO-8601 strings (``2013-08-23T01:02:15.422Z``), as Step Functions'
SDK integrations render them, so that Choice rules such as ``TimestampGreaterThan`` apply to them.
Which members are timestamps comes from the botocore service model of the operation's output.

The optimized integrations (``states:startExecution.sync``, ``glue:startJobRun.sync``, ...) keep
their own shapes (epoch milliseconds) and do not pass through here.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any


def iso_timestamps(service: str, operation: str, output: Any) -> Any:
    """``output`` of ``service`` (botocore name, e.g. ``redshift-data``) ``operation`` (PascalCase)
    with every timestamp member (epoch seconds or a datetime) as an ISO-8601 string."""
    shape = _output_shape(service, operation)
    return output if shape is None else _convert(shape, output)


@functools.cache
def _output_shape(service: str, operation: str) -> Any:
    import botocore.session

    try:
        model = _session().get_service_model(service)
        return model.operation_model(operation).output_shape
    except botocore.exceptions.BotoCoreError:
        return None
    except KeyError:
        return None


@functools.cache
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


def _convert(shape: Any, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: (_convert(members[k], v) if k in members else v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_convert(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _convert(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        return instant(value)
    return value


def instant(value: Any) -> Any:
    """Epoch seconds (or a datetime) as Java's ``Instant.toString()`` prints a millisecond time:
    ``2024-01-31T12:00:00Z``, ``2024-01-31T12:00:00.250Z``."""
    if isinstance(value, dt.datetime):
        when = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        when = dt.datetime.fromtimestamp(value, dt.UTC)
    else:
        return value  # already a string, or nothing a timestamp can be made of
    when = when.astimezone(dt.UTC)
    millis = when.microsecond // 1000
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"
