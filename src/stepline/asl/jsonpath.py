"""Step Functions' JSONPath dialect: parse once, evaluate cheaply, and apply ResultPath.

AWS evaluates paths with Jayway JsonPath: a *definite* path (field names and single indexes only)
yields one value or fails; an *indefinite* one (``*``, ``..``, slices, unions, filters) yields a
list of matches, empty when nothing matches. Error details mimic Jayway's wording, which AWS
quotes in its causes (``Invalid path '$.x' : No results for path: $['x']``).
https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html
https://states-language.net/spec.html#path
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any


class PathSyntaxError(ValueError):
    """A path that cannot be parsed; the message says where and why."""


class PathNotFound(LookupError):
    """A definite path that matches nothing in the document.

    ``detail`` is the Jayway-style reason; ``str(error)`` is the text AWS puts in its causes.
    """

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"Invalid path '{path}' : {detail}")
        self.path = path
        self.detail = detail


class ResultPathMatchError(PathNotFound):
    """ResultPath (or another write) cannot be applied: a step meets a value of the wrong kind."""

    def __init__(self, path: str, step: str, doc: Any) -> None:
        detail = f'Unable to apply step "{step}" to input {dumps(doc)}'
        super().__init__(path, detail)
        self.args = (detail,)
        self.step = step


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


_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
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
            return _FUNCTIONS[self.function](value)  # type: ignore[index]
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


# --- parsing ----------------------------------------------------------------------------------

_DOT_STOP = frozenset(".[( \t\n")
_VARIABLE = re.compile(r"[^\W\d]\w*")


@lru_cache(maxsize=4096)
def compile_path(path: str) -> JsonPath:
    """Parse a path (``$...`` or ``$$...``); raises ``PathSyntaxError``. Results are cached."""
    if not isinstance(path, str):
        raise PathSyntaxError(f"A path must be a string, got {type(path).__name__}")
    if not path.startswith("$"):
        raise PathSyntaxError(f"Invalid path '{path}': a path must start with '$'")
    is_context = path.startswith("$$")
    pos = 2 if is_context else 1
    variable: str | None = None
    if not is_context:
        m = _VARIABLE.match(path, 1)
        if m:
            variable = m.group(0)
            pos = m.end()
    segments: list[Segment] = []
    function: str | None = None
    n = len(path)
    while pos < n:
        if function is not None:
            raise PathSyntaxError(f"Invalid path '{path}': nothing may follow the function {function}()")
        ch = path[pos]
        if ch == ".":
            if path.startswith("..", pos):
                pos += 2
                segments.append(Scan())
                if pos < n and path[pos] == "[":
                    continue
                if pos < n and path[pos] == "*":
                    segments.append(Wildcard())
                    pos += 1
                    continue
            else:
                pos += 1
                if pos < n and path[pos] == "[":
                    continue  # "$.[0]" reads as "$[0]" (Jayway, and AWS, accept it)
                if pos < n and path[pos] == "*":
                    segments.append(Wildcard())
                    pos += 1
                    continue
            start = pos
            while pos < n and path[pos] not in _DOT_STOP:
                pos += 1
            name = path[start:pos]
            if not name:
                raise PathSyntaxError(f"Invalid path '{path}': expected a field name at position {start}")
            if pos < n and path[pos] == "(":
                if not path.startswith("()", pos):
                    raise PathSyntaxError(f"Invalid path '{path}': functions take no arguments")
                if name not in _FUNCTIONS:
                    raise PathSyntaxError(f"Invalid path '{path}': unknown function {name}()")
                if segments and isinstance(segments[-1], Scan):
                    raise PathSyntaxError(f"Invalid path '{path}': a function cannot follow '..'")
                function = name
                pos += 2
                continue
            if pos < n and path[pos] in " \t\n":
                raise PathSyntaxError(
                    f"Invalid path '{path}': unexpected whitespace at position {pos}; "
                    "use bracket notation for names with spaces"
                )
            segments.append(Field(name))
        elif ch == "[":
            seg, pos = _parse_bracket(path, pos)
            segments.append(seg)
        else:
            raise PathSyntaxError(f"Invalid path '{path}': unexpected character {ch!r} at position {pos}")
    if segments and isinstance(segments[-1], Scan):
        raise PathSyntaxError(f"Invalid path '{path}': a path cannot end with '..'")
    return JsonPath(path, is_context, tuple(segments), function, variable)


def _parse_bracket(path: str, pos: int) -> tuple[Segment, int]:
    """Parse ``[...]`` starting at ``pos`` (the '['); return the segment and the next position."""
    n = len(path)
    inner_start = pos + 1
    if path.startswith("[?(", pos):
        end = _filter_end(path, pos + 3)
        source = path[pos + 3 : end]
        try:
            predicate = _compile_filter(source)
        except (ValueError, PathSyntaxError) as e:
            raise PathSyntaxError(f"Invalid path '{path}': bad filter [?({source})]: {e}") from None
        return Filter(source, predicate), end + 2
    # Read up to the closing bracket, honouring quotes.
    i = inner_start
    quote = ""
    while i < n:
        c = path[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "]":
            break
        i += 1
    if i >= n:
        raise PathSyntaxError(f"Invalid path '{path}': missing ']' for '[' at position {pos}")
    inner = path[inner_start:i].strip()
    nxt = i + 1
    if inner == "*":
        return Wildcard(), nxt
    if not inner:
        raise PathSyntaxError(f"Invalid path '{path}': empty brackets at position {pos}")
    if inner[0] in "'\"":
        names = _split_quoted(path, inner)
        return (Field(names[0]) if len(names) == 1 else Union(tuple(names))), nxt
    if ":" in inner:
        parts = inner.split(":")
        if len(parts) > 2:
            raise PathSyntaxError(f"Invalid path '{path}': slices take no step: [{inner}]")
        bounds = [_int(path, p.strip()) if p.strip() else None for p in parts]
        return Slice(bounds[0], bounds[1]), nxt
    items = [_int(path, p.strip()) for p in inner.split(",")]
    return (Index(items[0]) if len(items) == 1 else Union(tuple(items))), nxt


def _int(path: str, text: str) -> int:
    try:
        if text.lstrip("-").isdigit():
            return int(text)
    except ValueError:
        pass
    raise PathSyntaxError(f"Invalid path '{path}': expected an integer index, got {text!r}")


def _split_quoted(path: str, inner: str) -> list[str]:
    names: list[str] = []
    i = 0
    n = len(inner)
    while i < n:
        q = inner[i]
        if q not in "'\"":
            raise PathSyntaxError(f"Invalid path '{path}': expected a quoted name in [{inner}]")
        i += 1
        buf: list[str] = []
        while i < n and inner[i] != q:
            # a backslash escapes only the quote or a backslash: AWS reads $['a\"b'] as the name a\"b
            if inner[i] == "\\" and i + 1 < n and inner[i + 1] in (q, "\\"):
                i += 1
            buf.append(inner[i])
            i += 1
        if i >= n:
            raise PathSyntaxError(f"Invalid path '{path}': unterminated quote in [{inner}]")
        names.append("".join(buf))
        i += 1
        while i < n and inner[i] == " ":
            i += 1
        if i < n:
            if inner[i] != ",":
                raise PathSyntaxError(f"Invalid path '{path}': expected ',' in [{inner}]")
            i += 1
            while i < n and inner[i] == " ":
                i += 1
    return names


def _filter_end(path: str, start: int) -> int:
    """Index of the ')' that closes ``[?(``, which must be followed by ']'."""
    depth = 1
    quote = ""
    i = start
    while i < len(path):
        c = path[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "/" and _regex_context(path, start, i):
            j = path.find("/", i + 1)
            i = j if j > 0 else i
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                if path.startswith(")]", i):
                    return i
                raise PathSyntaxError(f"Invalid path '{path}': a filter must end with ')]'")
        i += 1
    raise PathSyntaxError(f"Invalid path '{path}': unterminated filter starting at {start - 3}")


def _regex_context(path: str, start: int, i: int) -> bool:
    return path[start:i].rstrip().endswith("=~")


# --- public helpers ---------------------------------------------------------------------------


def check_path(path: str, *, reference: bool = False) -> str | None:
    """None when ``path`` is valid (and a Reference Path if asked), else the reason."""
    try:
        compiled = compile_path(path)
    except PathSyntaxError as e:
        return str(e)
    if reference and not compiled.is_reference:
        return (
            f"'{path}' is not a valid reference path: only field names and single indexes "
            "are allowed (no @ .. , : ? * and no functions)"
        )
    return None


def find(path: str, doc: Any) -> Any:
    """Shorthand for ``compile_path(path).find(doc)``."""
    return compile_path(path).find(doc)


def set_path(doc: Any, path: str, value: Any) -> Any:
    """ResultPath semantics: a new document with ``value`` at the reference ``path``.

    Missing objects on the way are created; the input is never mutated. Example:
    ``set_path({'a': 1}, '$.b.c', 2) == {'a': 1, 'b': {'c': 2}}``.
    Raises ``ResultPathMatchError`` when a step meets a value it cannot be applied to.
    https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultpath.html
    """
    compiled = compile_path(path)
    if not compiled.is_reference:
        raise PathSyntaxError(f"'{path}' is not a reference path")
    keys = compiled.keys
    if not keys:
        return value
    return _set(doc, keys, 0, value, path, doc)


def _set(node: Any, keys: tuple[str | int, ...], i: int, value: Any, path: str, root: Any) -> Any:
    key = keys[i]
    last = i == len(keys) - 1
    if isinstance(key, str):
        if node is None and i > 0:
            node = {}
        if not isinstance(node, dict):
            raise ResultPathMatchError(path, key, root)
        copy = dict(node)
        copy[key] = value if last else _set(node.get(key), keys, i + 1, value, path, root)
        return copy
    if not isinstance(node, list) or not -len(node) <= key < len(node):
        raise ResultPathMatchError(path, str(key), root)
    copy_list = list(node)
    copy_list[key] = value if last else _set(node[key], keys, i + 1, value, path, root)
    return copy_list


# --- filters: [?(<expression>)] ---------------------------------------------------------------
# Jayway's filter language: @/$ paths, literals, == != < <= > >= =~ in nin subsetof anyof noneof
# size empty, && || ! and parentheses. A path alone tests existence.

_MISSING = object()
_WORD_OPS = ("subsetof", "anyof", "noneof", "empty", "size", "nin", "in")
_SYM_OPS = ("==", "!=", "<=", ">=", "=~", "<", ">")
_Operand = Callable[[Any, Any], Any]


class _FilterParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> ValueError:
        return ValueError(f"{what} at position {self.pos}")

    def ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self, token: str) -> bool:
        self.ws()
        return self.text.startswith(token, self.pos)

    def parse(self) -> Callable[[Any, Any], bool]:
        pred = self.or_()
        self.ws()
        if self.pos != len(self.text):
            raise self.fail(f"unexpected {self.text[self.pos:]!r}")
        return pred

    def or_(self) -> Callable[[Any, Any], bool]:
        parts = [self.and_()]
        while self.peek("||"):
            self.pos += 2
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else (lambda it, root: any(p(it, root) for p in parts))

    def and_(self) -> Callable[[Any, Any], bool]:
        parts = [self.unary()]
        while self.peek("&&"):
            self.pos += 2
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda it, root: all(p(it, root) for p in parts))

    def unary(self) -> Callable[[Any, Any], bool]:
        if self.peek("!") and not self.peek("!="):
            self.pos += 1
            inner = self.unary()
            return lambda it, root: not inner(it, root)
        if self.peek("("):
            self.pos += 1
            inner = self.or_()
            if not self.peek(")"):
                raise self.fail("expected ')'")
            self.pos += 1
            return inner
        return self.relation()

    def relation(self) -> Callable[[Any, Any], bool]:
        left, is_path = self.operand()
        self.ws()
        op = next((o for o in _SYM_OPS if self.text.startswith(o, self.pos)), None)
        if op is None:
            op = next((w for w in _WORD_OPS if re.match(rf"{w}\b", self.text[self.pos:])), None)
        if op is None:
            if is_path:
                return lambda it, root: left(it, root) is not _MISSING
            return lambda it, root: left(it, root) is True
        self.pos += len(op)
        right, _ = self.operand()
        test = _RELATIONS[op]
        return lambda it, root: test(left(it, root), right(it, root))

    def operand(self) -> tuple[_Operand, bool]:
        self.ws()
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise self.fail("expected an operand")
        c = text[pos]
        if c in "@$":
            end = self._path_end(pos)
            raw = text[pos:end]
            self.pos = end
            path = compile_path("$" + raw[1:])
            relative = c == "@"

            def read(it: Any, root: Any) -> Any:
                try:
                    return path.find(it if relative else root)
                except PathNotFound:
                    return _MISSING

            return read, True
        if c in "'\"":
            end = pos + 1
            buf: list[str] = []
            while end < len(text) and text[end] != c:
                if text[end] == "\\" and end + 1 < len(text):
                    end += 1
                buf.append(text[end])
                end += 1
            if end >= len(text):
                raise self.fail("unterminated string")
            self.pos = end + 1
            value: Any = "".join(buf)
            return (lambda it, root: value), False
        if c == "/":
            end = text.find("/", pos + 1)
            if end < 0:
                raise self.fail("unterminated regex")
            m = re.match(r"[a-z]*", text[end + 1 :])
            flags_text = m.group(0) if m else ""
            flags = re.IGNORECASE if "i" in flags_text else 0
            flags |= re.MULTILINE if "m" in flags_text else 0
            flags |= re.DOTALL if "s" in flags_text else 0
            pattern = re.compile(text[pos + 1 : end], flags)
            self.pos = end + 1 + len(flags_text)
            return (lambda it, root: pattern), False
        if c in "[{":
            decoder = json.JSONDecoder()
            try:
                value, end = decoder.raw_decode(text.replace("'", '"'), pos)
            except json.JSONDecodeError:
                raise self.fail("bad JSON literal") from None
            self.pos = end
            return (lambda it, root: value), False
        m = re.match(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true\b|false\b|null\b", text[pos:])
        if not m:
            raise self.fail(f"unexpected {text[pos:]!r}")
        self.pos = pos + m.end()
        value = json.loads(m.group(0))
        return (lambda it, root: value), False

    def _path_end(self, pos: int) -> int:
        text = self.text
        depth = 0
        quote = ""
        i = pos + 1
        while i < len(text):
            c = text[i]
            if quote:
                if c == "\\":
                    i += 1
                elif c == quote:
                    quote = ""
            elif c in "'\"":
                quote = c
            elif c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
            elif c == "(" and text.startswith("()", i):
                i += 1
            elif depth == 0 and (c.isspace() or c in "=!<>&|)"):
                break
            i += 1
        return i


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _equals(a: Any, b: Any) -> bool:
    if a is _MISSING or b is _MISSING:
        return False
    if _is_num(a):
        if _is_num(b):
            return bool(a == b)
        if isinstance(b, str):
            try:
                return float(b) == a
            except ValueError:
                return False
        return False
    if isinstance(a, str):
        if isinstance(b, str):
            return a == b
        return _is_num(b) and a == _num_text(b)
    if isinstance(a, bool) or a is None:
        return type(a) is type(b) and a == b
    return type(a) is type(b) and bool(a == b)


def _num_text(n: Any) -> str:
    return repr(float(n)) if isinstance(n, float) and not n.is_integer() else str(int(n))


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def test(a: Any, b: Any) -> bool:
        if _is_num(a) and _is_num(b):
            return op(a, b)
        if isinstance(a, str) and isinstance(b, str):
            return op(a, b)
        return False

    return test


def _regex(a: Any, b: Any) -> bool:
    if isinstance(a, re.Pattern) == isinstance(b, re.Pattern):
        return False
    pattern, subject = (a, b) if isinstance(a, re.Pattern) else (b, a)
    if subject is _MISSING:
        return False
    text = subject if isinstance(subject, str) else dumps(subject)
    return pattern.fullmatch(text) is not None


def _in(a: Any, b: Any) -> bool:
    return isinstance(b, list) and any(_equals(a, x) for x in b)


def _size(a: Any, b: Any) -> bool:
    return isinstance(a, list | str) and _is_num(b) and len(a) == b


def _empty(a: Any, b: Any) -> bool:
    return isinstance(a, list | str | dict) and isinstance(b, bool) and (len(a) == 0) == b


def _subsetof(a: Any, b: Any) -> bool:
    return isinstance(a, list) and isinstance(b, list) and all(_in(x, b) for x in a)


def _anyof(a: Any, b: Any) -> bool:
    return isinstance(a, list) and isinstance(b, list) and any(_in(x, b) for x in a)


def _noneof(a: Any, b: Any) -> bool:
    return isinstance(a, list) and isinstance(b, list) and not any(_in(x, b) for x in a)


_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": _equals,
    "!=": lambda a, b: not _equals(a, b),
    "<": _ordered(lambda a, b: a < b),
    "<=": _ordered(lambda a, b: a <= b),
    ">": _ordered(lambda a, b: a > b),
    ">=": _ordered(lambda a, b: a >= b),
    "=~": _regex,
    "in": _in,
    "nin": lambda a, b: isinstance(b, list) and not _in(a, b),
    "size": _size,
    "empty": _empty,
    "subsetof": _subsetof,
    "anyof": _anyof,
    "noneof": _noneof,
}


def _compile_filter(source: str) -> Callable[[Any, Any], bool]:
    if not source.strip():
        raise ValueError("empty filter")
    return _FilterParser(source).parse()
