"""Parsing a JSONPath text (``$...``, ``$$...``, ``$var...``) into a ``JsonPath``, and the validity check."""

from __future__ import annotations

import re
from functools import lru_cache

from stepline.asl.jsonpath_eval import (
    FUNCTIONS,
    Field,
    Filter,
    Index,
    JsonPath,
    Scan,
    Segment,
    Slice,
    Union,
    Wildcard,
)


class PathSyntaxError(ValueError):
    """A path that cannot be parsed; the message says where and why."""


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
                if name not in FUNCTIONS:
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
        from stepline.asl.jsonpath_filter import compile_filter  # filters hold paths: imported when used

        try:
            predicate = compile_filter(source)
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
