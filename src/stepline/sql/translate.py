"""Redshift SQL -> the backend's SQL (DuckDB or PostgreSQL), one statement at a time.

``translate(sql, dialect)`` splits the text into statements (never inside strings, quoted
names, dollar-quoted bodies or comments), recognises what the statement service handles
itself (transactions, SET/RESET/SHOW, maintenance, and the *extensions* of
``stepline.sql.extensions``), and turns everything else into the backend's dialect through
sqlglot trees: Redshift table attributes are stripped and returned, ``#temp`` tables become
temporary tables, system views are redirected to ``stepline_sys``, functions whose results
would differ are rewritten (``stepline.sql.functions``), and Data API parameters (``:name``)
become the backend's placeholders. A Redshift feature that cannot run raises
``TranslationError`` naming it; nothing is silently dropped or changed in meaning.
"""

from __future__ import annotations

import functools
import logging
import re
import uuid
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, TokenError, UnsupportedError

from stepline.errors import SteplineError
from stepline.sql import catalog, functions
from stepline.sql.catalog import TableAttributes
from stepline.sql.dialects import (
    READ,
    WRITE,
    EncodeAutoProperty,
    GetDate,
    SortKeyAutoProperty,
    leading_words,
    split_statements,
    strip_leading_comments,
)

__all__ = [
    "EXTENSIONS",
    "KINDS",
    "SESSION_SETUP",
    "setting_sql",
    "TableAttributes",
    "TranslationError",
    "Translated",
    "split_statements",
    "translate",
]

class _QuietFallback(logging.Filter):
    # sqlglot logs a warning for every statement it keeps as a raw Command; we raise instead.
    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_QuietFallback())

KINDS = frozenset(
    {"query", "dml", "ddl", "begin", "commit", "rollback", "set", "reset", "show", "extension",
     "noop"}
)

#: What a backend runs once on every new connection so that plain SQL behaves as on Redshift:
#: integer / integer is an integer (DuckDB divides to a double otherwise), sessions in UTC.
#: DuckDB also gets Redshift's default schema, public (its own default is main).
SESSION_SETUP: dict[str, tuple[str, ...]] = {
    "duckdb": (
        "SET integer_division = true",
        "SET TimeZone = 'UTC'",
        "CREATE SCHEMA IF NOT EXISTS public",
        "SET search_path = 'public'",
        *functions.DUCKDB_FUNCTIONS,
    ),
    "postgres": ("SET TIME ZONE 'UTC'", functions.POSTGRES_FUNCTIONS),
}

#: Statements returned as kind "extension" (``sql`` None), by name -> what they are. A handler
#: registered under the name (``stepline.sql.extensions``) runs them; on PostgreSQL,
#: procedures and CALL are native and come back as plain "ddl"/"dml" with their SQL.
EXTENSIONS: dict[str, str] = {
    "copy": "COPY ... FROM (load files into a table)",
    "unload": "UNLOAD ('select ...') TO (write a query's result as files)",
    "create_external_schema": "CREATE EXTERNAL SCHEMA (a data catalog database)",
    "create_external_table": "CREATE EXTERNAL TABLE (files in the lake)",
    "athena_ctas": "CREATE TABLE x WITH (format=..., external_location=...) AS SELECT",
    "create_procedure": "CREATE [OR REPLACE] PROCEDURE ... LANGUAGE plpgsql",
    "drop_procedure": "DROP PROCEDURE",
    "call": "CALL procedure(...)",
    "create_user": "CREATE USER",
    "alter_user": "ALTER USER",
    "drop_user": "DROP USER",
    "create_role": "CREATE ROLE",
    "drop_role": "DROP ROLE",
    "create_group": "CREATE GROUP",
    "alter_group": "ALTER GROUP",
    "drop_group": "DROP GROUP",
    "grant": "GRANT",
    "revoke": "REVOKE",
    "rls": "CREATE/ALTER/DROP/ATTACH/DETACH RLS POLICY, ALTER TABLE ... ROW LEVEL SECURITY",
    "set_session_authorization": "SET/RESET SESSION AUTHORIZATION",
}


class TranslationError(SteplineError):
    """A statement that cannot run here, with a Redshift-style message naming the feature."""

    code = "ValidationException"


@dataclass(frozen=True, slots=True)
class Translated:
    """One Redshift statement and how the backend runs it.

    ``params`` name the Data API parameters in placeholder order: DuckDB gets ``$1, $2, ...``
    (a name used twice is one number); psycopg gets ``%s`` per use, and literal ``%`` doubled,
    only when there are parameters, so run a statement without parameters with ``params=None``.
    On DuckDB a table with IDENTITY columns comes as ``CREATE SEQUENCE ...; CREATE TABLE ...``
    in one text (DuckDB's ``execute`` runs both).
    """

    source: str  # the original Redshift statement text (one statement)
    sql: str | None  # the statement in the backend dialect (None: the service handles it)
    kind: str  # one of KINDS
    params: tuple[str, ...]  # Data API parameter names in placeholder order
    setting: tuple[str, str | None] | None = None  # set/reset/show: (name, value)
    table_attributes: TableAttributes | None = None
    system_views: frozenset[str] = frozenset()
    extension: str | None = None
    notices: tuple[str, ...] = field(default=())  # e.g. what CREATE TABLE (LIKE) cannot copy
    # DROP TABLE: (schema or None, table) whose kept attributes the service forgets
    dropped_tables: tuple[tuple[str | None, str], ...] = ()


# Leading words -> (kind, extension name). Longest prefix wins.
_PREFIXES: dict[tuple[str, ...], tuple[str, str | None]] = {
    ("BEGIN",): ("begin", None),
    ("START", "TRANSACTION"): ("begin", None),
    ("END",): ("commit", None),
    ("COMMIT",): ("commit", None),
    ("ROLLBACK",): ("rollback", None),
    ("ABORT",): ("rollback", None),
    ("VACUUM",): ("noop", None),
    ("ANALYZE",): ("noop", None),
    ("COPY",): ("extension", "copy"),
    ("UNLOAD",): ("extension", "unload"),
    ("CREATE", "EXTERNAL", "SCHEMA"): ("extension", "create_external_schema"),
    ("CREATE", "EXTERNAL", "TABLE"): ("extension", "create_external_table"),
    ("CREATE", "PROCEDURE"): ("extension", "create_procedure"),
    ("CREATE", "OR", "REPLACE", "PROCEDURE"): ("extension", "create_procedure"),
    ("DROP", "PROCEDURE"): ("extension", "drop_procedure"),
    ("CALL",): ("extension", "call"),
    ("CREATE", "USER"): ("extension", "create_user"),
    ("ALTER", "USER"): ("extension", "alter_user"),
    ("DROP", "USER"): ("extension", "drop_user"),
    ("CREATE", "ROLE"): ("extension", "create_role"),
    ("DROP", "ROLE"): ("extension", "drop_role"),
    ("CREATE", "GROUP"): ("extension", "create_group"),
    ("ALTER", "GROUP"): ("extension", "alter_group"),
    ("DROP", "GROUP"): ("extension", "drop_group"),
    ("GRANT",): ("extension", "grant"),
    ("REVOKE",): ("extension", "revoke"),
    ("CREATE", "RLS", "POLICY"): ("extension", "rls"),
    ("ALTER", "RLS", "POLICY"): ("extension", "rls"),
    ("DROP", "RLS", "POLICY"): ("extension", "rls"),
    ("ATTACH", "RLS", "POLICY"): ("extension", "rls"),
    ("DETACH", "RLS", "POLICY"): ("extension", "rls"),
    ("SET", "SESSION", "AUTHORIZATION"): ("extension", "set_session_authorization"),
    ("RESET", "SESSION", "AUTHORIZATION"): ("extension", "set_session_authorization"),
}

# Native on PostgreSQL: (kind there).
_NATIVE_ON_POSTGRES = {"create_procedure": "ddl", "drop_procedure": "ddl", "call": "dml"}

# Redshift features no backend here can run.
_UNSUPPORTED: dict[tuple[str, ...], str] = {
    ("CREATE", "LIBRARY"): "CREATE LIBRARY",
    ("DROP", "LIBRARY"): "DROP LIBRARY",
    ("CREATE", "MODEL"): "CREATE MODEL",
    ("DROP", "MODEL"): "DROP MODEL",
    ("CREATE", "DATASHARE"): "CREATE DATASHARE",
    ("ALTER", "DATASHARE"): "ALTER DATASHARE",
    ("DROP", "DATASHARE"): "DROP DATASHARE",
    ("CREATE", "EXTERNAL", "FUNCTION"): "CREATE EXTERNAL FUNCTION",
    ("CREATE", "EXTERNAL", "VIEW"): "CREATE EXTERNAL VIEW",
    ("CREATE", "IDENTITY", "PROVIDER"): "CREATE IDENTITY PROVIDER",
    ("CREATE", "MASKING", "POLICY"): "CREATE MASKING POLICY",
    ("ATTACH", "MASKING", "POLICY"): "ATTACH MASKING POLICY",
    ("CANCEL",): "CANCEL (use CancelStatement)",
    ("LOCK",): "LOCK",
    ("PREPARE",): "PREPARE",
    ("EXECUTE",): "EXECUTE",
    ("DEALLOCATE",): "DEALLOCATE",
    ("DECLARE",): "DECLARE CURSOR",
    ("FETCH",): "FETCH",
    ("CLOSE",): "CLOSE",
}

_ATHENA_CTAS = re.compile(
    r"^\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?[\w.\"$]+\s+WITH\s*\(", re.I | re.S
)
_ALTER_RLS = re.compile(r"^\s*ALTER\s+TABLE\s+.*\bROW\s+LEVEL\s+SECURITY\b", re.I | re.S)
_ALTER_APPEND = re.compile(r"^\s*ALTER\s+TABLE\s+[\w.\"$]+\s+APPEND\b", re.I | re.S)
_APPEND_FROM = re.compile(
    r"^\s*ALTER\s+TABLE\s+([\w.\"$]+)\s+APPEND\s+FROM\s+([\w.\"$]+)\s*(IGNOREEXTRA|FILLTARGET)?\s*;?\s*$",
    re.I | re.S,
)
_MERGE_REMOVE_DUPLICATES = re.compile(
    r"^\s*MERGE\s+INTO\s+(?P<target>[\w.\"$#]+(?:\s+(?:AS\s+)?(?!USING\b)\w+)?)\s+USING\s+"
    r"(?P<source>[\w.\"$#]+(?:\s+(?:AS\s+)?(?!ON\b)\w+)?)\s+ON\s+(?P<cond>.+?)\s+REMOVE\s+DUPLICATES\s*;?\s*$",
    re.I | re.S,
)
_ALTER_ENCODE = re.compile(
    r"^\s*ALTER\s+TABLE\s+[\w.\"$]+\s+ALTER\s+(COLUMN\s+)?[\w\"$]+\s+ENCODE\b", re.I | re.S
)
_ALTER_LAYOUT = (exp.AlterDistStyle, exp.AlterSortKey)
_SET = re.compile(
    r"^\s*SET\s+(?:SESSION\s+|LOCAL\s+)?([\w.]+)\s*(?:TO|=)\s*(.*?)\s*;?\s*$", re.I | re.S
)
_RESET = re.compile(r"^\s*RESET\s+([\w.]+)\s*;?\s*$", re.I | re.S)
_SHOW = re.compile(r"^\s*SHOW\s+([\w.]+)\s*;?\s*$", re.I | re.S)


def setting_sql(name: str, value: str | None, dialect: str) -> str | None:
    """The backend statement that applies a Redshift session setting (``Translated.setting``),
    or None when the service itself honours it (query_group, enable_result_cache_for_session,
    statement_timeout on DuckDB, ...). ``value`` None means RESET.

    >>> setting_sql("search_path", "klb_rs, public", "duckdb")
    "SET search_path = 'klb_rs,public'"
    """
    name = name.lower()
    if name == "search_path":
        schemas = [p.strip().strip('"').strip("'") for p in (value or "public").split(",")]
        schemas = [p for p in schemas if p and p != "$user"] or ["public"]
        if dialect == "duckdb":
            return "SET search_path = " + _quote(",".join(schemas))
        return "SET search_path TO " + ", ".join(exp.to_identifier(p).sql("postgres") for p in schemas)
    if name in ("timezone", "time zone"):
        zone = _quote(value or "UTC")
        return f"SET TimeZone = {zone}" if dialect == "duckdb" else f"SET TIME ZONE {zone}"
    if name == "statement_timeout" and dialect == "postgres":
        if value is None:
            return "RESET statement_timeout"
        if not value.isdigit():
            raise TranslationError(f'invalid value for parameter "statement_timeout": "{value}"')
        return f"SET statement_timeout = {value}"
    return None


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def translate(sql: str, dialect: str, *, search_path: tuple[str, ...] = ()) -> list[Translated]:
    """Split Redshift ``sql`` and translate each statement for ``dialect`` ("duckdb"/"postgres").

    >>> [t.kind for t in translate("begin; select nvl(a, 1) from t; end;", "duckdb")]
    ['begin', 'query', 'commit']
    """
    if dialect not in WRITE:
        raise ValueError(f"unknown backend dialect: {dialect!r}")
    return list(_translate_cached(sql, dialect, tuple(search_path)))


# Workflows send the same statements again and again; results are immutable, errors not kept.
@functools.lru_cache(maxsize=2048)
def _translate_cached(sql: str, dialect: str, search_path: tuple[str, ...]) -> tuple[Translated, ...]:
    statements = split_statements(sql)
    if not statements:
        raise TranslationError("syntax error at end of input: the SQL text holds no statement")
    return tuple(_translate_one(stmt, dialect, search_path) for stmt in statements)


def _translate_one(source: str, dialect: str, search_path: tuple[str, ...]) -> Translated:
    words = leading_words(source, 4)
    upper = tuple(w.upper() for w in words)
    body = strip_leading_comments(source)  # the regex matchers below anchor at the first word
    for prefix, feature in _UNSUPPORTED.items():
        if upper[: len(prefix)] == prefix:
            raise _unsupported(feature)
    if _ALTER_APPEND.match(body):
        return _alter_append(source, body, dialect)
    merge = _MERGE_REMOVE_DUPLICATES.match(body)
    if merge is not None:
        return _merge_remove_duplicates(source, merge, dialect, search_path)
    if upper[:1] == ("SET",) or upper[:1] == ("RESET",) or upper[:1] == ("SHOW",):
        special = _session_statement(source, body, upper)
        if special is not None:
            return special
    if _ALTER_ENCODE.match(body):
        return Translated(source, None, "noop", (), notices=(_LAYOUT_NOTICE,))
    if upper[:1] == ("EXPLAIN",):
        return _explain(source, dialect, search_path)
    if upper[:3] == ("REFRESH", "MATERIALIZED", "VIEW"):
        if dialect == "postgres":
            return Translated(source, source.strip(), "ddl", ())
        return Translated(source, None, "noop", (), notices=(_VIEW_NOTICE,))
    match = _match_prefix(upper)
    if match is None and _ATHENA_CTAS.match(body):
        match = ("extension", "athena_ctas")
    if match is None and _ALTER_RLS.match(body):
        match = ("extension", "rls")
    if match is not None:
        kind, extension = match
        if extension in _NATIVE_ON_POSTGRES and dialect == "postgres":
            return Translated(source, source.strip(), _NATIVE_ON_POSTGRES[extension], ())
        notices: tuple[str, ...] = ()
        if kind == "noop":
            notices = (f"{upper[0]} is not needed on this warehouse and was skipped",)
        return Translated(source, None, kind, (), extension=extension, notices=notices)
    return _translate_tree(source, dialect, search_path)


def _alter_append(source: str, body: str, dialect: str) -> Translated:
    """ALTER TABLE target APPEND FROM source: the source's rows move to the target, columns
    matched by name; the source is left empty. Here a copy and a delete in one transaction.
    https://docs.aws.amazon.com/redshift/latest/dg/r_ALTER_TABLE_APPEND.html"""
    m = _APPEND_FROM.match(body)
    if m is None:
        raise _syntax_error(source, "APPEND")
    try:
        target, src = (exp.to_table(name, dialect=READ) for name in m.group(1, 2))
    except (ParseError, TokenError):
        raise _syntax_error(source, m.group(1)) from None
    out = WRITE[dialect]
    t_sql, s_sql = target.sql(dialect=out), src.sql(dialect=out)
    if dialect == "duckdb":
        text = f"INSERT INTO {t_sql} BY NAME SELECT * FROM {s_sql}; DELETE FROM {s_sql}"
    else:
        # the shared columns, in the target's order, read from the catalog when it runs
        t_lit, s_lit = _quote(t_sql), _quote(s_sql)
        text = (
            "DO $stepline$ DECLARE cols text; BEGIN "
            "SELECT string_agg(quote_ident(t.attname), ', ' ORDER BY t.attnum) INTO cols "
            f"FROM pg_attribute t JOIN pg_attribute s ON s.attrelid = {s_lit}::regclass "
            "AND s.attname = t.attname AND s.attnum > 0 AND NOT s.attisdropped "
            f"WHERE t.attrelid = {t_lit}::regclass AND t.attnum > 0 AND NOT t.attisdropped; "
            f"EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %s', {t_lit}, cols, cols, {s_lit}); "
            f"EXECUTE format('DELETE FROM %s', {s_lit}); END $stepline$"
        )
    return Translated(source, text, "dml", ())


def _merge_remove_duplicates(
    source: str, m: re.Match[str], dialect: str, search_path: tuple[str, ...]
) -> Translated:
    """MERGE ... REMOVE DUPLICATES (the simplified form, source and target of the same columns):
    the matched target rows are replaced by the source's, the others added.
    https://docs.aws.amazon.com/redshift/latest/dg/r_MERGE.html"""
    target, src, cond = m.group("target"), m.group("source"), m.group("cond")
    target_name, src_name = target.split()[0], src.split()[0]
    parts = [
        _translate_tree(f"DELETE FROM {target} USING {src} WHERE {cond}", dialect, search_path),
        _translate_tree(f"INSERT INTO {target_name} SELECT * FROM {src_name}", dialect, search_path),
    ]
    return Translated(source, "; ".join(p.sql or "" for p in parts), "dml", ())


def _explain(source: str, dialect: str, search_path: tuple[str, ...]) -> Translated:
    # EXPLAIN [VERBOSE] <statement>: the backend's own plan of the translated statement.
    m = re.match(r"\s*EXPLAIN\s+(VERBOSE\s+)?", strip_leading_comments(source), re.I)
    inner_source = strip_leading_comments(source)[m.end() if m else 0 :]
    if inner_source.lstrip().startswith("("):  # EXPLAIN (ANALYZE, BUFFERS, ...) is PostgreSQL's
        raise TranslationError('syntax error at or near "(": Redshift takes EXPLAIN [VERBOSE] <query>, '
                               "without PostgreSQL's parenthesised options")
    inner = _translate_one(inner_source, dialect, search_path)
    if inner.sql is None or inner.kind not in ("query", "dml"):
        raise _unsupported(f"EXPLAIN of {' '.join(leading_words(inner_source, 1)).upper()}")
    return Translated(
        source, "EXPLAIN " + inner.sql, "query", inner.params, system_views=inner.system_views
    )


def _match_prefix(upper: tuple[str, ...]) -> tuple[str, str | None] | None:
    best: tuple[str, ...] | None = None
    for prefix in _PREFIXES:
        if upper[: len(prefix)] == prefix and (best is None or len(prefix) > len(best)):
            best = prefix
    return _PREFIXES[best] if best is not None else None


def _session_statement(source: str, body: str, upper: tuple[str, ...]) -> Translated | None:
    if upper[:3] == ("SET", "SESSION", "AUTHORIZATION") or upper[:3] == (
        "RESET",
        "SESSION",
        "AUTHORIZATION",
    ):
        return None
    if upper[0] == "SET":
        m = _SET.match(body)
        if m is None:
            raise _syntax_error(source, upper[1] if len(upper) > 1 else None)
        value = m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1].replace("''", "'")
        setting = (m.group(1).lower(), value)
        return Translated(source, None, "set", (), setting=setting)
    pattern = _RESET if upper[0] == "RESET" else _SHOW
    m = pattern.match(body)
    if m is None:
        raise _syntax_error(source, upper[1] if len(upper) > 1 else None)
    kind = upper[0].lower()
    return Translated(source, None, kind, (), setting=(m.group(1).lower(), None))


# Redshift (PostgreSQL) names a cast after the type's internal name.
_TYPE_COLUMN_NAMES = {
    "int": "int4", "integer": "int4", "bigint": "int8", "smallint": "int2", "double": "float8",
    "float": "float8", "real": "float4", "decimal": "numeric", "boolean": "bool", "text": "text",
    "varchar": "varchar", "char": "bpchar", "timestamptz": "timestamptz",
}
_SPECIAL_COLUMN_NAMES: tuple[tuple[type[exp.Expression], str], ...] = (
    (GetDate, "getdate"),
    (exp.CurrentTimestamp, "timestamp"),  # SYSDATE
    (exp.CurrentDate, "date"),
)


def _output_name(node: exp.Expression) -> str | None:
    """The column name Redshift gives an unaliased select item (PostgreSQL's rules: a function
    call is named after the function, a cast after its operand, CASE "case", anything else
    "?column?"). None when the engines already agree (columns, stars, aliases)."""
    if isinstance(node, (exp.Alias, exp.Column, exp.Star)):
        return None
    if isinstance(node, exp.Cast):
        inner = node.this
        if isinstance(inner, exp.Column):
            return inner.name
        if isinstance(inner, (exp.Func, exp.Cast)):
            return _output_name(inner)
        type_name = node.to.this.name.lower() if isinstance(node.to.this, exp.DataType.Type) else "?column?"
        return _TYPE_COLUMN_NAMES.get(type_name, type_name)
    if isinstance(node, exp.Case):
        return "case"
    for node_type, name in _SPECIAL_COLUMN_NAMES:
        if isinstance(node, node_type):
            return name
    if isinstance(node, exp.Func):
        head = node.sql(dialect=READ).split("(", 1)[0].strip().lower()
        return head if re.fullmatch(r"[a-z_][a-z0-9_]*", head) else "?column?"
    return "?column?"


def _name_output_columns(tree: exp.Expression) -> exp.Expression:
    # DuckDB names `select count(*)` "count_star()"; the Data API's ColumnMetadata must say "count".
    if not isinstance(tree, exp.Select):
        return tree
    named = []
    for item in tree.expressions:
        name = _output_name(item)
        named.append(exp.alias_(item, name, quoted=True) if name is not None else item)
    tree.set("expressions", named)
    return tree


# DELETE [FROM] table: Redshift makes FROM optional.
_DELETE_NO_FROM = re.compile(r"^(\s*DELETE\s+)(?!FROM\b)(?=[\w\"#])", re.I)


def _translate_tree(source: str, dialect: str, search_path: tuple[str, ...]) -> Translated:
    text = _DELETE_NO_FROM.sub(r"\1FROM ", strip_leading_comments(source), count=1)
    try:
        trees = sqlglot.parse(text, read=READ, error_level=ErrorLevel.RAISE)
    except ParseError as e:
        raise _from_parse_error(source, e) from None
    except TokenError as e:
        raise TranslationError(f"syntax error: {e}") from None
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        raise TranslationError("syntax error: expected exactly one statement")
    tree = trees[0]
    if isinstance(tree, exp.Command):
        raise _unsupported(" ".join(leading_words(source, 2)).upper())
    if isinstance(tree, exp.Alter) and any(
        isinstance(a, _ALTER_LAYOUT) for a in tree.args.get("actions") or []
    ):
        return Translated(source, None, "noop", (), notices=(_LAYOUT_NOTICE,))
    if isinstance(tree, exp.Alter):
        for coldef in tree.find_all(exp.ColumnDef):
            # ADD COLUMN ... ENCODE zstd: the encoding means nothing here
            catalog.strip_column_attributes(coldef, dialect)
    notices: list[str] = []
    attributes: TableAttributes | None = None
    prelude: list[str] = []
    if isinstance(tree, exp.Create):
        notices += _create_layout(tree, dialect)
    if isinstance(tree, exp.Drop) and tree.args.get("materialized") and dialect == "duckdb":
        tree.set("materialized", False)
    if isinstance(tree, exp.Select) and tree.args.get("into") is not None:
        tree = _select_into(tree)
    tree = _temp_names(tree)
    if isinstance(tree, exp.Create) and tree.kind == "TABLE":
        tree, attributes, notices, prelude = _create_table(tree, dialect, search_path)
    tree = _name_output_columns(tree)
    views = _system_views(tree)
    try:
        tree = functions.rewrite(tree, dialect)
    except functions.UnsupportedFeature as e:
        raise _unsupported(str(e)) from None
    tree, names, markers = _placeholders(tree, dialect)
    try:
        text = tree.sql(dialect=WRITE[dialect], unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as e:
        raise _unsupported(str(e).splitlines()[0]) from None
    if dialect == "postgres" and markers:
        text = text.replace("%", "%%")
        for marker in markers:
            text = text.replace(marker, "%s")
    if dialect == "duckdb" and isinstance(tree, exp.Drop) and len(tree.args.get("tables") or []) > 1:
        # DuckDB drops one object per statement
        singles = []
        for table in tree.args["tables"]:
            one = tree.copy()
            one.set("tables", [table.copy()])
            singles.append(one.sql(dialect=WRITE[dialect]))
        text = "; ".join(singles)
    if prelude:
        # DuckDB has no IDENTITY columns: their sequences come first, in the same text.
        text = "; ".join([*prelude, text])
    dropped: tuple[tuple[str | None, str], ...] = ()
    if isinstance(tree, exp.Drop) and (tree.args.get("kind") or "").upper() == "TABLE":
        dropped = tuple((t.db or None, t.name) for t in tree.find_all(exp.Table))
    return Translated(
        source,
        text,
        _kind(tree),
        names,
        table_attributes=attributes,
        system_views=views,
        notices=tuple(notices),
        dropped_tables=dropped,
    )


_VIEW_NOTICE = (
    "materialized views are plain views on this warehouse: always current, so REFRESH "
    "MATERIALIZED VIEW has nothing to do"
)
# Layout properties of materialized views (CREATE TABLE keeps its own in the catalog).
_VIEW_LAYOUT = (exp.DistKeyProperty, exp.DistStyleProperty, exp.SortKeyProperty,
                exp.AutoRefreshProperty, exp.BackupProperty)


def _create_layout(tree: exp.Create, dialect: str) -> list[str]:
    """Drop what only shapes Redshift's storage: SORTKEY AUTO, a view's WITH NO SCHEMA BINDING
    (late binding: names resolve when the view is queried, as they do here), a materialized
    view's keys and AUTO REFRESH; on DuckDB a materialized view becomes a plain view."""
    tree.set("no_schema_binding", None)
    for identity in tree.find_all(exp.GeneratedAsIdentityColumnConstraint):
        # IDENTITY(0, 1): a sequence's minimum is 1 unless told otherwise
        start = identity.args.get("start")
        if start is not None and identity.args.get("minvalue") is None and start.sql().lstrip("-").isdigit() \
                and int(start.sql()) < 1:
            identity.set("minvalue", start.copy())
    props = tree.args.get("properties")
    if props is None:
        return []
    kept = [p for p in props.expressions if not isinstance(p, (SortKeyAutoProperty, EncodeAutoProperty))]
    notices: list[str] = []
    if (tree.kind or "").upper() == "VIEW" and any(isinstance(p, exp.MaterializedProperty) for p in kept):
        kept = [p for p in kept if not isinstance(p, _VIEW_LAYOUT)]
        if dialect == "duckdb":
            kept = [p for p in kept if not isinstance(p, exp.MaterializedProperty)]
            notices.append(_VIEW_NOTICE)
    tree.set("properties", exp.Properties(expressions=kept) if kept else None)
    return notices


_LAYOUT_NOTICE = (
    "ALTER TABLE ... ALTER DISTKEY/DISTSTYLE/SORTKEY/ENCODE changes only the physical layout, "
    "which this warehouse does not have; nothing was changed"
)


def _kind(tree: exp.Expr) -> str:
    if isinstance(tree, exp.Query):
        return "query"
    if isinstance(tree, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
        return "query" if tree.args.get("returning") is not None else "dml"
    return "ddl"


def _select_into(tree: exp.Select) -> exp.Expr:
    # SELECT ... INTO [TEMP] t FROM ...: a CTAS.
    into = tree.args["into"]
    tree = tree.copy()
    tree.set("into", None)
    props = [exp.TemporaryProperty()] if into.args.get("temporary") else []
    return exp.Create(
        this=into.this,
        kind="TABLE",
        expression=tree,
        properties=exp.Properties(expressions=props) if props else None,
    )


def _temp_names(tree: exp.Expr) -> exp.Expr:
    # Redshift `#name` tables are session temporary tables; `"#name"` is a valid name anywhere.
    for table in tree.find_all(exp.Table):
        ident = table.this
        if isinstance(ident, exp.Identifier) and ident.name.startswith("#"):
            ident.set("quoted", True)
    if isinstance(tree, exp.Create) and tree.kind == "TABLE":
        target = tree.find(exp.Table)
        if target is not None and target.name.startswith("#"):
            props = tree.args.get("properties") or exp.Properties(expressions=[])
            if not any(isinstance(p, exp.TemporaryProperty) for p in props.expressions):
                props.append("expressions", exp.TemporaryProperty())
            tree.set("properties", props)
    return tree


def _system_views(tree: exp.Expr) -> frozenset[str]:
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    found = set()
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if name not in catalog.SYSTEM_VIEWS or name in ctes or table.args.get("catalog"):
            continue
        if table.db and table.db.lower() != "pg_catalog":
            continue
        table.set("db", exp.to_identifier(catalog.SCHEMA))
        found.add(name)
    return frozenset(found)


def _placeholders(
    tree: exp.Expr, dialect: str
) -> tuple[exp.Expr, tuple[str, ...], list[str]]:
    order: list[str] = []
    markers: list[str] = []
    nonce = uuid.uuid4().hex

    def visit(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Placeholder) or not node.name:
            return node
        name = node.name
        if dialect == "duckdb":
            if name not in order:
                order.append(name)
            return exp.Placeholder(this=str(order.index(name) + 1))
        order.append(name)
        marker = f"stepline_param_{nonce}"
        if marker not in markers:
            markers.append(marker)
        return exp.var(marker)

    tree = tree.transform(visit)
    bare = [p for p in tree.find_all(exp.Placeholder) if not p.name]
    if bare:
        raise TranslationError(
            'syntax error at or near "?": parameters are written :name in the Data API'
        )
    return tree, tuple(order), markers


def _create_table(
    tree: exp.Create, dialect: str, search_path: tuple[str, ...]
) -> tuple[exp.Expr, TableAttributes, list[str], list[str]]:
    try:
        return catalog.create_table_attributes(tree, dialect, search_path)
    except catalog.TableDefinitionError as e:
        raise TranslationError(str(e)) from None


def _unsupported(feature: str) -> TranslationError:
    return TranslationError(f"feature not supported on this warehouse: {feature}")


def _syntax_error(source: str, near: str | None) -> TranslationError:
    if not near:
        return TranslationError("syntax error at end of input")
    return TranslationError(f'syntax error at or near "{near}"')


def _from_parse_error(source: str, e: ParseError) -> TranslationError:
    info = e.errors[0] if e.errors else {}
    near = (info.get("highlight") or "").strip()
    if not near or near.upper() == "SENTINEL" or "SENTINEL" in str(info.get("description")):
        return TranslationError("syntax error at end of input")
    return TranslationError(f'syntax error at or near "{near}"')
