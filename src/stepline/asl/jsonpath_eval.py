"""A compiled JSONPath and its evaluation against a document, with Jayway's wording when nothing matches.

AWS evaluates paths with Jayway JsonPath: a *definite* path (field names and single indexes only)
yields one value or fails; an *indefinite* one (``*``, ``..``, slices, unions, filters) yields a
list of matches, empty when nothing matches. Error details mimic Jayway's wording, which AWS
quotes in its causes (``Invalid path '$.x' : No results for path: $['x']``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stepline.asl.json_text import dumps


class PathNotFound(LookupError):
    """A definite path that matches nothing in the document.

    ``detail`` is the Jayway-style reason; ``str(error)`` is the text AWS puts in its causes.
    """

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"Invalid path '{path}' : {detail}")
        self.path = path
        self.detail = detail


# --- segments ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    name: str

    def render(self) -> str:
        return "['" + self.name.replace("'", "\\'") + "']"


@dataclass(frozen=True, slots=True)
class Index:
    index: int

    def render(self) -> str:
        return f"[{self.index}]"


@dataclass(frozen=True, slots=True)
class Wildcard:
    def render(self) -> str:
        return "[*]"


@dataclass(frozen=True, slots=True)
class Union:
    """``['a','b']`` or ``[0,2]``."""

    keys: tuple[str | int, ...]

    def render(self) -> str:
        return "[" + ",".join(f"'{k}'" if isinstance(k, str) else str(k) for k in self.keys) + "]"


@dataclass(frozen=True, slots=True)
class Slice:
    start: int | None
    stop: int | None

    def render(self) -> str:
        return f"[{'' if self.start is None else self.start}:{'' if self.stop is None else self.stop}]"


@dataclass(frozen=True, slots=True)
class Filter:
    source: str
    predicate: Callable[[Any, Any], bool]

    def render(self) -> str:
        return "[?]"


@dataclass(frozen=True, slots=True)
class Scan:
    """``..``: applies the next segment at every depth (pre-order, as Jayway walks)."""

    def render(self) -> str:
        return ".."


Segment = Field | Index | Wildcard | Union | Slice | Filter | Scan

# Jayway path functions; AWS documents length() and rejects functions in reference paths.
def _numbers(value: Any) -> list[int | float]:
    nums = [v for v in value if isinstance(v, int | float) and not isinstance(v, bool)] if isinstance(value, list) else []
    if not nums:
        raise TypeError("an array of numbers")
    return nums


def _sized(value: Any) -> int:
    if not isinstance(value, list | dict | str):
        raise TypeError("an array, an object or a string")
    return len(value)


def _items(value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise TypeError("a non-empty array")
    return value


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("an object")
    return value


def _stddev(value: Any) -> float:
    nums = _numbers(value)
    mean = sum(nums) / len(nums)
    return float((sum((n - mean) ** 2 for n in nums) / len(nums)) ** 0.5)


FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "length": _sized,
    "size": _sized,
    "avg": lambda v: sum(_numbers(v)) / len(_numbers(v)),
    "stddev": _stddev,
    "sum": lambda v: float(sum(_numbers(v))),
    "min": lambda v: float(min(_numbers(v))),
    "max": lambda v: float(max(_numbers(v))),
    "keys": lambda v: list(_object(v)),
    "first": lambda v: _items(v)[0],
    "last": lambda v: _items(v)[-1],
}


# --- compiled path ----------------------------------------------------------------------------


class JsonPath:
    """A compiled path. Example: ``compile_path('$.a.b[0]').find({'a': {'b': [7]}}) == 7``."""

    __slots__ = (
        "text", "is_context", "variable", "segments", "function", "is_definite", "is_reference", "_simple",
    )

    def __init__(
        self,
        text: str,
        is_context: bool,
        segments: tuple[Segment, ...],
        function: str | None,
        variable: str | None = None,
    ) -> None:
        self.text = text
        self.is_context = is_context
        # ``$name.a.b`` reads workflow variable ``name``; find() is then given that variable's value.
        self.variable = variable
        self.segments = segments
        self.function = function
        self.is_definite = all(isinstance(s, Field | Index) for s in segments)
        self.is_reference = self.is_definite and function is None
        # Fast path for the common case: a tuple of keys walked in a tight loop.
        self._simple: tuple[str | int, ...] | None = (
            tuple(s.name if isinstance(s, Field) else s.index for s in segments)  # type: ignore[union-attr]
            if self.is_definite
            else None
        )

    def __repr__(self) -> str:
        return f"JsonPath({self.text!r})"

    @property
    def keys(self) -> tuple[str | int, ...]:
        """Field names and indexes of a definite path (for writers such as ``set_path``)."""
        if self._simple is None:
            raise ValueError(f"'{self.text}' is not a definite path")
        return self._simple

    def find(self, doc: Any) -> Any:
        """Definite path: the value, or ``PathNotFound``. Indefinite: the list of matches."""
        if self._simple is not None:
            cur = doc
            for key in self._simple:
                if type(key) is str:
                    if type(cur) is dict and key in cur:
                        cur = cur[key]
                        continue
                elif type(cur) is list and -len(cur) <= key < len(cur):  # type: ignore[operator]
                    cur = cur[key]  # type: ignore[index]
                    continue
                raise self._not_found(doc)
            return cur if self.function is None else self._apply_function(cur)
        matches = _walk(self.segments, 0, doc, doc)
        if self.function is not None:
            return self._apply_function(matches)
        return matches

    def exists(self, doc: Any) -> bool:
        """True when a definite path resolves, or an indefinite one matches anything."""
        try:
            found = self.find(doc)
        except PathNotFound:
            return False
        return self.is_definite or self.function is not None or bool(found)

    def _apply_function(self, value: Any) -> Any:
        try:
            return FUNCTIONS[self.function](value)  # type: ignore[index]
        except TypeError as e:
            raise PathNotFound(self.text, f"Function {self.function}() needs {e}") from None

    def _not_found(self, doc: Any) -> PathNotFound:
        """Explain the first failing step the way Jayway does."""
        cur = doc
        rendered = "$"
        last = len(self.segments) - 1
        for i, seg in enumerate(self.segments):
            if isinstance(seg, Field):
                here = rendered + seg.render()
                if not isinstance(cur, dict):
                    found = "null" if cur is None else _java_type(cur)
                    return PathNotFound(
                        self.text,
                        f"Expected to find an object with property {seg.render()} in path {rendered} "
                        f"but found '{found}'. This is not a json object according to the JsonProvider: "
                        "'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.",
                    )
                if seg.name not in cur:
                    if i == last:
                        return PathNotFound(self.text, f"No results for path: {here}")
                    return PathNotFound(self.text, f"Missing property in path {here}")
                cur = cur[seg.name]
            else:
                assert isinstance(seg, Index)
                if cur is None:
                    return PathNotFound(self.text, f"The path {rendered} is null")
                if not isinstance(cur, list):
                    return PathNotFound(
                        self.text,
                        f"Filter: {seg.render()} can only be applied to arrays. "
                        f"Current context is: {_java_str(cur)}",
                    )
                if not -len(cur) <= seg.index < len(cur):
                    break
                cur = cur[seg.index]
            rendered = here if isinstance(seg, Field) else rendered + seg.render()
        return PathNotFound(self.text, f"No results for path: {normalized(self)}")


def normalized(path: JsonPath) -> str:
    """Jayway's rendering of a path: ``$['a'][0]``."""
    head = "$$" if path.is_context else "$" + (path.variable or "")
    tail = "".join(s.render() for s in path.segments)
    return head + tail + (f".{path.function}()" if path.function else "")


def _java_type(value: Any) -> str:
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Integer"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    return "net.minidev.json.JSONArray"


def _java_str(value: Any) -> str:
    return value if isinstance(value, str) else dumps(value)


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    return []


def _apply(seg: Segment, node: Any, root: Any) -> list[Any]:
    """One segment applied to one node; indefinite semantics (no errors, just no matches)."""
    if isinstance(seg, Field):
        return [node[seg.name]] if isinstance(node, dict) and seg.name in node else []
    if isinstance(seg, Index):
        if isinstance(node, list) and -len(node) <= seg.index < len(node):
            return [node[seg.index]]
        return []
    if isinstance(seg, Wildcard):
        return _children(node)
    if isinstance(seg, Union):
        if isinstance(node, dict):
            # Jayway merges a multi-property selection into one object.
            picked = {k: node[k] for k in seg.keys if isinstance(k, str) and k in node}
            return [picked]
        if isinstance(node, list):
            return [node[k] for k in seg.keys if isinstance(k, int) and -len(node) <= k < len(node)]
        return []
    if isinstance(seg, Slice):
        return node[seg.start : seg.stop] if isinstance(node, list) else []
    if isinstance(seg, Filter):
        if isinstance(node, list):
            return [item for item in node if seg.predicate(item, root)]
        if isinstance(node, dict):
            return [node] if seg.predicate(node, root) else []
        return []
    raise AssertionError(seg)  # Scan is handled by _walk


def _walk(segments: tuple[Segment, ...], i: int, node: Any, root: Any) -> list[Any]:
    if i == len(segments):
        return [node]
    seg = segments[i]
    out: list[Any] = []
    if isinstance(seg, Scan):
        target = segments[i + 1]
        stack = [node]
        # Pre-order: a node's own matches come before those of its descendants.
        while stack:
            cur = stack.pop()
            for hit in _apply(target, cur, root):
                out.extend(_walk(segments, i + 2, hit, root))
            stack.extend(reversed(_children(cur)))
        return out
    for hit in _apply(seg, node, root):
        out.extend(_walk(segments, i + 1, hit, root))
    return out
