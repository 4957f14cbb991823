"""CURRENT_USER, SESSION_USER, USER and CURRENT_USER_ID as Redshift answers them: the database
user the statement runs as (the DbUser, or whom SET SESSION AUTHORIZATION named), never the
backend's own login (``duckdb``, the PostgreSQL connection's role or its ``SET ROLE`` name).

The translated statement is tokenized (strings, quoted names, dollar-quoted bodies and comments
stay as they are) and each identity function becomes a literal. Definitions that are evaluated
later (views, procedures, column defaults) are left alone: the literal would freeze whoever
created them; the query of CREATE TABLE ... AS runs now and is bound.
https://docs.aws.amazon.com/redshift/latest/dg/r_CURRENT_USER.html
https://docs.aws.amazon.com/redshift/latest/dg/r_CURRENT_USER_ID.html
"""

from __future__ import annotations

import re

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

_NAMES = frozenset({"current_user", "session_user", "current_user_id"})
_CANDIDATE = re.compile(r"current_user|session_user", re.I)
_NOT_AFTER = (TokenType.DOT, TokenType.ALIAS)
_CALLS = (TokenType.CURRENT_USER, TokenType.SESSION_USER, TokenType.VAR)  # never strings or quoted names
#: statement kinds whose identity functions are evaluated when the statement runs (and the
#: query of CREATE TABLE ... AS)
BOUND_KINDS = frozenset({"query", "dml"})


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def names_user(sql: str) -> bool:
    """Whether ``sql`` may call an identity function (a cheap test before ``bind_identity``)."""
    return _CANDIDATE.search(sql) is not None


def bind_identity(sql: str, dialect: str, user: str, user_id: int, *, query_only: bool = False) -> str:
    """``SELECT CURRENT_USER()`` -> ``SELECT 'alice'``; unchanged when nothing names the user.

    ``query_only``: a CREATE TABLE, whose query after ``AS`` is bound and whose column
    definitions (defaults) are not."""
    if not names_user(sql):
        return sql
    try:
        tokens = Dialect.get_or_raise(dialect).tokenizer().tokenize(sql)
    except TokenError:
        return sql  # the backend reports the syntax error itself
    out: list[str] = []
    pos = 0
    i = _query_start(tokens) if query_only else 0
    while i < len(tokens):
        tok = tokens[i]
        name = tok.text.lower() if tok.token_type in _CALLS else ""
        if name in _NAMES and not (i and tokens[i - 1].token_type in _NOT_AFTER):
            end = tok.end
            if i + 2 < len(tokens) and tokens[i + 1].token_type == TokenType.L_PAREN \
                    and tokens[i + 2].token_type == TokenType.R_PAREN:
                end = tokens[i + 2].end
                i += 2
            out.append(sql[pos:tok.start])
            out.append(str(user_id) if name == "current_user_id" else quote_literal(user))
            pos = end + 1
        i += 1
    out.append(sql[pos:])
    return "".join(out)


def _query_start(tokens: list[Token]) -> int:
    """The token after the top-level AS of CREATE TABLE ... AS (past the end if there is none)."""
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
        elif tok.token_type == TokenType.ALIAS and depth == 0:
            return i + 1
    return len(tokens)
