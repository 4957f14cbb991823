"""Execution history events, kept compact and turned into GetExecutionHistory's shape on demand.

An event stores raw values (the state's input object, not its JSON text); ``to_aws`` builds the
``*EventDetails`` member only when the event is served, so a 100,000-item Map stays small.
https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
"""

from __future__ import annotations

from typing import Any

from stepline.asl.jsonpath import dumps

# Event types whose details member is not simply lowerCamel(type) + "EventDetails".
_MEMBER_BY_SUFFIX = (("StateEntered", "stateEnteredEventDetails"), ("StateExited", "stateExitedEventDetails"))
_NO_DETAILS = frozenset({
    "ParallelStateStarted", "ParallelStateSucceeded", "ParallelStateFailed", "ParallelStateAborted",
    "MapStateSucceeded", "MapStateFailed", "MapStateAborted", "LambdaFunctionStarted", "WaitStateAborted",
    "MapRunSucceeded", "MapRunAborted",  # the botocore model has no details member for them
})


class HistoryEvent:
    """One event: ``id`` from 1, ``previous_event_id`` (0 for none), epoch-seconds ``timestamp``.

    ``data`` holds the type's fields as raw Python values (see ``to_aws`` for how each is shown):
    a dict, or for state entered/exited and Map iteration events a tuple in ``_schema`` order.
    """

    __slots__ = ("id", "previous_event_id", "timestamp", "type", "data")

    def __init__(self, id: int, previous_event_id: int, timestamp: float, type: str,
                 data: dict | tuple | None) -> None:
        self.id = id
        self.previous_event_id = previous_event_id
        self.timestamp = timestamp
        self.type = type
        self.data = data

    @property
    def details(self) -> dict[str, Any] | None:
        return _details(self.type, self.data)

    @property
    def fields(self) -> dict[str, Any]:
        """The raw fields by name (whatever the stored form)."""
        data = self.data
        if isinstance(data, tuple):
            return dict(zip(_schema(self.type), data, strict=False))
        return dict(data or {})

    def __repr__(self) -> str:
        return f"HistoryEvent({self.id}, {self.type}, prev={self.previous_event_id})"


def _camel(name: str) -> str:
    return name[0].lower() + name[1:]


def details_member(event_type: str) -> str | None:
    if event_type in _NO_DETAILS:
        return None
    for suffix, member in _MEMBER_BY_SUFFIX:
        if event_type.endswith(suffix) and event_type not in ("MapIterationStarted",):
            return member
    if event_type.startswith("MapIteration"):
        return _camel(event_type) + "EventDetails"
    return _camel(event_type) + "EventDetails"


_last: tuple[Any, str] = (None, "")  # the last value serialised: a state's output is the next one's input


def _payload(value: Any) -> tuple[str, dict[str, bool]]:
    global _last
    last = _last
    if last[0] is value and isinstance(value, dict | list):
        return last[1], {"truncated": False}
    text = dumps(value)
    _last = (value, text)
    return text, {"truncated": False}


def _schema(event_type: str) -> tuple[str, ...]:
    if event_type.endswith("StateEntered"):
        return ("name", "input")
    if event_type.endswith("StateExited"):
        return ("name", "output", "assignedVariables")
    return ("name", "index")  # MapIteration*


def _details(event_type: str, data: dict | tuple | None) -> dict[str, Any] | None:
    if data is None:
        return None
    if isinstance(data, tuple):  # the compact form of the commonest events
        data = dict(zip(_schema(event_type), data, strict=False))
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("input", "output", "parameters") and not isinstance(value, _Raw):
            text, flag = _payload(value)
            out[key] = text
            if key != "parameters":
                out[key + "Details"] = flag
        elif isinstance(value, _Raw):
            out[key] = value.text
            if key in ("input", "output"):
                out[key + "Details"] = {"truncated": False}
        elif key == "assignedVariables":
            out[key] = {name: dumps(v) for name, v in value.items()}
            out["assignedVariablesDetails"] = {"truncated": False}
        elif value is not None:
            out[key] = value
    return out


class _Raw:
    """A value that is already JSON text (kept as is)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def raw(text: str) -> _Raw:
    return _Raw(text)


def to_aws(event: HistoryEvent) -> dict[str, Any]:
    """The event exactly as GetExecutionHistory lists it (timestamp still an epoch float)."""
    out: dict[str, Any] = {"timestamp": event.timestamp, "type": event.type, "id": event.id}
    if event.previous_event_id:
        out["previousEventId"] = event.previous_event_id
    else:
        out["previousEventId"] = 0
    member = details_member(event.type)
    details = _details(event.type, event.data)
    if member is not None and details is not None:
        out[member] = details
    return out
