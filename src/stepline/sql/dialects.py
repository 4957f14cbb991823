"""sqlglot dialects: the Redshift we read, and the DuckDB/PostgreSQL we write.

The reading dialect extends sqlglot's Redshift parser with the table attributes it does not
know yet (column-level ``DISTKEY``/``SORTKEY``, ``INTERLEAVED SORTKEY``) and ``DATEPART`` with
an unquoted date part, so that every Redshift ``CREATE TABLE`` parses into a tree we can strip.
It also holds Redshift's lexical rules for splitting a text into statements.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.dialect import map_date_part
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.postgres import Postgres
from sqlglot.dialects.redshift import Redshift
from sqlglot.helper import seq_get
from sqlglot.parsers.redshift import RedshiftParser


class DistKeyColumnConstraint(exp.Expression, exp.ColumnConstraintKind):
    """``col int DISTKEY``: https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_TABLE_NEW.html"""

    arg_types: ClassVar[dict[str, bool]] = {}


class SortKeyColumnConstraint(exp.Expression, exp.ColumnConstraintKind):
    """``col int SORTKEY``."""

    arg_types: ClassVar[dict[str, bool]] = {}


class InterleavedSortKeyProperty(exp.Property):
    """``INTERLEAVED SORTKEY (a, b)``."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class SortKeyAutoProperty(exp.Property):
    """``SORTKEY AUTO``: Redshift chooses the sort key (nothing to keep here)."""

    arg_types: ClassVar[dict[str, bool]] = {}


class EncodeAutoProperty(exp.Property):
    """Table-level ``ENCODE AUTO``: Redshift chooses the column encodings."""

    arg_types: ClassVar[dict[str, bool]] = {}


class GetDate(exp.Expression, exp.Func):
    """GETDATE(): the current UTC time, without time zone, to the second.
    https://docs.aws.amazon.com/redshift/latest/dg/r_GETDATE.html"""

    arg_types: ClassVar[dict[str, bool]] = {}


class AddMonths(exp.Expression, exp.Func):
    """ADD_MONTHS(date, n): a timestamp; the last day of a month stays the last day.
    https://docs.aws.amazon.com/redshift/latest/dg/r_ADD_MONTHS.html"""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expression": True}


class ToChar(exp.Expression, exp.Func):
    """TO_CHAR(value, 'format') with the format as written (Redshift's, which is PostgreSQL's).
    https://docs.aws.amazon.com/redshift/latest/dg/r_TO_CHAR.html"""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "format": True}


def _build_to_char(args: list[Any]) -> exp.Expr:
    if len(args) == 2:
        return ToChar(this=args[0], format=args[1])
    return exp.Anonymous(this="TO_CHAR", expressions=args)


def _build_datepart(args: list[Any]) -> exp.Expr:
    # DATEPART(year, ts): the part is an identifier, not a string.
    part = seq_get(args, 0)
    if isinstance(part, exp.Column):
        part = exp.var(part.name)
    return exp.Extract(this=map_date_part(part), expression=seq_get(args, 1))


class _RedshiftInParser(RedshiftParser):
    FUNCTIONS: ClassVar[dict[str, Any]] = {
        **RedshiftParser.FUNCTIONS,
        "DATEPART": _build_datepart,
        "GETDATE": lambda args: GetDate(),
        "TO_CHAR": _build_to_char,
        "ADD_MONTHS": lambda args: AddMonths(this=seq_get(args, 0), expression=seq_get(args, 1)),
    }

    CONSTRAINT_PARSERS: ClassVar[dict[str, Any]] = {
        **RedshiftParser.CONSTRAINT_PARSERS,
        "DISTKEY": lambda self: self.expression(DistKeyColumnConstraint()),
        "SORTKEY": lambda self: self.expression(SortKeyColumnConstraint()),
    }

    PROPERTY_PARSERS: ClassVar[dict[str, Any]] = {
        **RedshiftParser.PROPERTY_PARSERS,
        "INTERLEAVED": lambda self: self._parse_interleaved_sortkey(),
        "SORTKEY": lambda self: self._parse_sortkey_or_auto(),
        "ENCODE": lambda self: self._parse_encode_auto(),
    }

    def _parse_encode_auto(self) -> exp.Expr:
        if not self._match_text_seq("AUTO"):
            self.raise_error("Expected AUTO after ENCODE")
        return self.expression(EncodeAutoProperty())

    def _parse_sortkey_or_auto(self) -> exp.Expr:
        # SORTKEY AUTO: Redshift picks the sort key; there is no column to keep.
        if self._match_text_seq("AUTO"):
            return self.expression(SortKeyAutoProperty())
        return self._parse_sortkey()

    def _parse_interleaved_sortkey(self) -> exp.Expr:
        if not self._match_text_seq("SORTKEY"):
            self.raise_error("Expected SORTKEY after INTERLEAVED")
        return self.expression(InterleavedSortKeyProperty(this=self._parse_wrapped_id_vars()))


# Datetime format elements sqlglot's Redshift mapping lacks (TO_CHAR, TO_DATE, ...).
# https://docs.aws.amazon.com/redshift/latest/dg/r_FORMAT_strings.html
_EXTRA_TIME_FORMATS = {
    "Mon": "%b",
    "mon": "%b",
    "Month": "%B",
    "Day": "%A",
    "Dy": "%a",
    "AM": "%p",
    "PM": "%p",
    "am": "%p",
    "pm": "%p",
    "HH": "%I",
    "MS": "%g",
}


class RedshiftIn(Redshift):
    """Redshift as users write it (read side only)."""

    Parser = _RedshiftInParser
    TIME_MAPPING: ClassVar[dict[str, str]] = {**Redshift.TIME_MAPPING, **_EXTRA_TIME_FORMATS}


class DuckDBOut(DuckDB):
    """DuckDB as the embedded backend runs it (write side)."""


class PostgresOut(Postgres):
    """PostgreSQL 15 as the server backend runs it (write side)."""

    TIME_MAPPING: ClassVar[dict[str, str]] = {**Postgres.TIME_MAPPING, "AM": "%p", "MS": "%g"}


def split_statements(sql: str) -> list[str]:
    """Split on semicolons outside strings, quoted names, $$ bodies and comments.

    >>> split_statements("select ';'; -- a;b\nselect $$x;y$$")
    ["select ';'", '-- a;b\nselect $$x;y$$']
    """
    out: list[str] = []
    start = 0
    for end in _semicolons(sql):
        out.append(sql[start:end])
        start = end + 1
    out.append(sql[start:])
    return [s.strip() for s in out if leading_words(s, 1)]


def _semicolons(sql: str) -> list[int]:
    found, i, n = [], 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "'" or ch == '"':
            i = _skip_quoted(sql, i, ch)
        elif ch == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif ch == "/" and sql.startswith("/*", i):
            i = _skip_block_comment(sql, i)
        elif ch == "$":
            m = _DOLLAR_TAG.match(sql, i)
            if m is not None and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                j = sql.find(m.group(0), m.end())
                i = n if j < 0 else j + len(m.group(0))
            else:
                i += 1
        else:
            if ch == ";":
                found.append(i)
            i += 1
    return found


_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def _skip_quoted(sql: str, i: int, quote: str) -> int:
    # E'...' strings take backslash escapes; elsewhere a doubled quote is the escape.
    escapes = quote == "'" and i > 0 and sql[i - 1] in "eE" and (
        i == 1 or not (sql[i - 2].isalnum() or sql[i - 2] == "_")
    )
    j = i + 1
    while j < len(sql):
        c = sql[j]
        if escapes and c == "\\":
            j += 2
            continue
        if c == quote:
            if j + 1 < len(sql) and sql[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    return len(sql)


def _skip_block_comment(sql: str, i: int) -> int:
    depth, j = 0, i
    while j < len(sql):
        if sql.startswith("/*", j):
            depth += 1
            j += 2
        elif sql.startswith("*/", j):
            depth -= 1
            j += 2
            if depth == 0:
                return j
        else:
            j += 1
    return len(sql)


def leading_words(sql: str, count: int) -> list[str]:
    """The first ``count`` words of a statement, comments skipped (unquoted, as written)."""
    words: list[str] = []
    i, n = 0, len(sql)
    while i < n and len(words) < count:
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            i = _skip_block_comment(sql, i)
        elif sql[i].isspace() or sql[i] == "(":
            i += 1
        else:
            m = _WORD.match(sql, i)
            if m is None:
                words.append(sql[i])
                break
            words.append(m.group(0))
            i = m.end()
    return words


def strip_leading_comments(source: str) -> str:
    """The statement without the whitespace and comments before its first word."""
    i, n = 0, len(source)
    while i < n:
        if source.startswith("--", i):
            j = source.find("\n", i)
            i = n if j < 0 else j + 1
        elif source.startswith("/*", i):
            i = _skip_block_comment(source, i)
        elif source[i].isspace():
            i += 1
        else:
            break
    return source[i:]


_WORD = re.compile(r"[A-Za-z_#][A-Za-z0-9_$#]*")


READ = RedshiftIn
WRITE: dict[str, type[exp.Dialect] | Any] = {"duckdb": DuckDBOut, "postgres": PostgresOut}
