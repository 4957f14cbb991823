"""JSONPath filters ``[?(<expression>)]``: Jayway's filter language compiled to a predicate.

@/$ paths, literals, == != < <= > >= =~ in nin subsetof anyof noneof size empty, && || ! and
parentheses. A path alone tests existence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from stepline.asl.json_text import dumps
from stepline.asl.jsonpath_eval import PathNotFound
from stepline.asl.jsonpath_parse import compile_path

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


def compile_filter(source: str) -> Callable[[Any, Any], bool]:
    """The predicate ``(item, root) -> bool`` of a filter's source; raises ``ValueError`` when it is malformed."""
    if not source.strip():
        raise ValueError("empty filter")
    return _FilterParser(source).parse()
