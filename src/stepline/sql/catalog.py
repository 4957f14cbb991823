"""Kept Redshift table attributes, and the Redshift system views served from them.

The statement service owns a schema ``stepline_sys`` with three base tables it fills:

- ``query_history`` (``HISTORY_COLUMNS``): one row per statement it ran, durations in
  microseconds, times in UTC without time zone (as Redshift's STL tables keep them);
- ``table_attributes`` (``TABLE_ATTRIBUTE_COLUMNS``): one row per table created with Redshift
  attributes (``Translated.table_attributes``, rows from ``table_attribute_rows``);
- ``column_attributes`` (``COLUMN_ATTRIBUTE_COLUMNS``): one row per column of those tables.

On top of them live views named like Redshift's (``SYSTEM_VIEWS``), with Redshift's columns
plus the extra columns some widely copied analysis scripts use (``stl_query.total_exec_time``,
``compile_time`` and ``user_name`` in microseconds; ``svv_table_info.schema_name``,
``table_name``, ``rows`` and ``pct_unsorted``). ``svv_table_info`` and ``pg_table_def`` read
the backend's own catalog, so row counts and columns are always live.

``create_table_attributes`` takes the attributes out of a parsed CREATE TABLE (used by
``translate``); ``record_table_sql``/``forget_table_sql`` give the service the statements that
keep them after CREATE TABLE and forget them after DROP TABLE.

https://docs.aws.amazon.com/redshift/latest/dg/r_STL_QUERY.html
https://docs.aws.amazon.com/redshift/latest/dg/SYS_QUERY_HISTORY.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from stepline.sql.dialects import (
    DistKeyColumnConstraint,
    InterleavedSortKeyProperty,
    SortKeyColumnConstraint,
)

SCHEMA = "stepline_sys"

SYSTEM_VIEWS: frozenset[str] = frozenset(
    {
        "sys_query_history",
        "stl_query",
        "svl_qlog",
        "stl_wlm_query",
        "stv_inflight",
        "svv_table_info",
        "svv_diskusage",
        "pg_table_def",
        "stl_load_errors",
        "svl_s3query_summary",
    }
)

# (name, type) with types every backend accepts.
HISTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("query_id", "bigint"),  # Redshift query id, increasing
    ("statement_id", "text"),  # Data API statement id
    ("session_id", "text"),
    ("transaction_id", "bigint"),
    ("pid", "integer"),
    ("user_id", "integer"),
    ("user_name", "text"),
    ("database_name", "text"),
    ("query_label", "text"),  # query_group, or 'default'
    ("query_text", "text"),
    ("query_type", "text"),  # SELECT, INSERT, DDL, UTILITY, ...
    ("status", "text"),  # queued | running | success | failed | canceled | aborted
    ("error_message", "text"),
    ("service_class", "integer"),  # WLM queue: 6 is the first user queue
    ("service_class_name", "text"),
    ("query_priority", "text"),
    ("queue_start_time", "timestamp"),
    ("queue_end_time", "timestamp"),
    ("start_time", "timestamp"),  # execution start
    ("end_time", "timestamp"),
    ("queue_time_us", "bigint"),
    ("exec_time_us", "bigint"),
    ("compile_time_us", "bigint"),
    ("elapsed_time_us", "bigint"),
    ("returned_rows", "bigint"),
    ("returned_bytes", "bigint"),
    ("result_cache_hit", "boolean"),
)

TABLE_ATTRIBUTE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("schema_name", "text"),
    ("table_name", "text"),
    ("diststyle", "text"),  # AUTO | EVEN | KEY | ALL
    ("distkey", "text"),
    ("sortkey", "text"),  # comma-separated columns
    ("sortkey_style", "text"),  # compound | interleaved
    ("backup", "boolean"),
    ("like_table", "text"),  # CREATE TABLE (LIKE other)
)

COLUMN_ATTRIBUTE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("schema_name", "text"),
    ("table_name", "text"),
    ("column_name", "text"),
    ("redshift_type", "text"),  # as Redshift's format_type prints it
    ("encoding", "text"),
    ("distkey", "boolean"),
    ("sortkey", "integer"),  # 1-based position; negative for interleaved keys; 0 if none
)

# Rows kept outside the backend (the lake's load error log and Spectrum scan accounting),
# copied into these base tables before a statement reads their view (``EXTERNAL_VIEWS``).
LOAD_ERROR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("userid", "integer"), ("slice", "integer"), ("table_name", "text"), ("starttime", "timestamp"),
    ("session", "integer"), ("query", "bigint"), ("filename", "text"), ("line_number", "bigint"),
    ("colname", "text"), ("type", "text"), ("col_length", "text"), ("position", "integer"),
    ("raw_line", "text"), ("raw_field_value", "text"), ("err_code", "integer"), ("err_reason", "text"),
    ("is_partial", "integer"), ("start_offset", "bigint"), ("user_name", "text"),
)

S3_QUERY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("userid", "integer"), ("query", "bigint"), ("segment", "integer"), ("starttime", "timestamp"),
    ("endtime", "timestamp"), ("external_table_name", "text"), ("file_format", "text"),
    ("is_partitioned", "text"), ("s3_scanned_rows", "bigint"), ("s3_scanned_bytes", "bigint"),
    ("s3query_returned_rows", "bigint"), ("s3query_returned_bytes", "bigint"), ("files", "integer"),
    ("total_partitions", "integer"), ("qualified_partitions", "integer"),
)

BASE_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "query_history": HISTORY_COLUMNS,
    "table_attributes": TABLE_ATTRIBUTE_COLUMNS,
    "column_attributes": COLUMN_ATTRIBUTE_COLUMNS,
    "load_errors": LOAD_ERROR_COLUMNS,
    "s3query_summary": S3_QUERY_COLUMNS,
    # one row per committed statement, written in the statement's own transaction: after a crash
    # it tells a statement that committed from one that must run again (exactly once)
    "statement_commits": (("statement_id", "VARCHAR"), ("committed_at", "TIMESTAMP")),
}

#: system view -> the base table an injected row source fills (``StatementService``'s
#: ``system_sources.tables[<view>]`` returns its rows, by column name)
EXTERNAL_VIEWS: dict[str, str] = {"stl_load_errors": "load_errors", "svl_s3query_summary": "s3query_summary"}


@dataclass(frozen=True, slots=True)
class ColumnAttributes:
    name: str
    redshift_type: str  # e.g. "character varying(256)", "integer"
    encoding: str | None = None
    distkey: bool = False
    sortkey: int = 0


@dataclass(frozen=True, slots=True)
class TableAttributes:
    """What Redshift keeps about a table and the backend cannot: distribution, sort keys,
    compression encodings, BACKUP, and the column types as declared."""

    schema: str | None  # None: the first schema of the search path
    table: str
    diststyle: str = "AUTO"
    distkey: str | None = None
    sortkey: tuple[str, ...] = ()
    sortkey_style: str | None = None  # "compound" | "interleaved" when sortkey is set
    backup: bool = True
    temporary: bool = False
    like: str | None = None  # the parent of CREATE TABLE (LIKE parent); its attributes apply
    columns: tuple[ColumnAttributes, ...] = ()


def table_attribute_rows(
    attrs: TableAttributes, schema: str
) -> tuple[tuple[object, ...], list[tuple[object, ...]]]:
    """Rows for ``table_attributes`` and ``column_attributes`` (``schema`` resolves a None).

    >>> table_attribute_rows(TableAttributes(None, "t", "KEY", "a"), "public")[0][:4]
    ('public', 't', 'KEY', 'a')
    """
    table_row = (
        schema,
        attrs.table,
        attrs.diststyle,
        attrs.distkey,
        ",".join(attrs.sortkey) or None,
        attrs.sortkey_style,
        attrs.backup,
        attrs.like,
    )
    column_rows = [
        (schema, attrs.table, c.name, c.redshift_type, c.encoding, c.distkey, c.sortkey)
        for c in attrs.columns
    ]
    return table_row, column_rows


def insert_sql(table: str, dialect: str) -> str:
    """The parameterised INSERT into one base table (``$n`` for DuckDB, ``%s`` for psycopg)."""
    cols = BASE_TABLES[table]
    marks = ", ".join(f"${i}" if dialect == "duckdb" else "%s" for i in range(1, len(cols) + 1))
    names = ", ".join(name for name, _ in cols)
    return f"INSERT INTO {SCHEMA}.{table} ({names}) VALUES ({marks})"


def forget_table_sql(schema: str, table: str, dialect: str) -> list[tuple[str, tuple[object, ...]]]:
    """(sql, params) that delete what is kept about a table (after DROP TABLE)."""
    mark = "$1" if dialect == "duckdb" else "%s"
    mark2 = "$2" if dialect == "duckdb" else "%s"
    return [
        (
            f"DELETE FROM {SCHEMA}.{name} WHERE schema_name = {mark} AND table_name = {mark2}",
            (schema, table),
        )
        for name in ("table_attributes", "column_attributes")
    ]


def record_table_sql(
    attrs: TableAttributes, schema: str, dialect: str
) -> list[tuple[str, tuple[object, ...]]]:
    """(sql, params) that replace what is kept about a table by ``attrs`` (after CREATE TABLE).

    A ``CREATE TABLE (LIKE parent)`` without attributes of its own inherits the parent's,
    as Redshift does, through ``INSERT ... SELECT`` from the parent's kept rows.
    """
    out = forget_table_sql(schema, attrs.table, dialect)
    table_row, column_rows = table_attribute_rows(attrs, schema)
    if attrs.like is not None and not attrs.sortkey and attrs.distkey is None:
        parent_schema, _, parent = attrs.like.rpartition(".")
        parent_schema = parent_schema or schema
        d = dialect == "duckdb"
        m1, m2, m3, m4 = ("$1", "$2", "$3", "$4") if d else ("%s",) * 4
        for name, cols in (("table_attributes", TABLE_ATTRIBUTE_COLUMNS),
                           ("column_attributes", COLUMN_ATTRIBUTE_COLUMNS)):
            rest = ", ".join(c for c, _ in cols[2:])
            out.append((
                f"INSERT INTO {SCHEMA}.{name} SELECT {m1}, {m2}, {rest} FROM {SCHEMA}.{name} "
                f"WHERE schema_name = {m3} AND table_name = {m4}",
                (schema, attrs.table, parent_schema, parent),
            ))
        return out
    out.append((insert_sql("table_attributes", dialect), table_row))
    out += [(insert_sql("column_attributes", dialect), row) for row in column_rows]
    return out


def base_table_ddl(dialect: str) -> list[str]:
    """``CREATE SCHEMA``/``CREATE TABLE IF NOT EXISTS`` statements for the base tables."""
    _check(dialect)
    out = [f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"]
    for table, cols in BASE_TABLES.items():
        body = ", ".join(f"{name} {typ}" for name, typ in cols)
        out.append(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table} ({body})")
    return out


def system_view_ddl(dialect: str) -> list[str]:
    """``CREATE OR REPLACE VIEW stepline_sys.<name>`` for every name in ``SYSTEM_VIEWS``."""
    _check(dialect)
    views = {**_HISTORY_VIEWS, **_EXTERNAL_VIEW_SQL, **(_DUCKDB_VIEWS if dialect == "duckdb" else _POSTGRES_VIEWS)}
    return [f"CREATE OR REPLACE VIEW {SCHEMA}.{name} AS {body}" for name, body in views.items()]


def _check(dialect: str) -> None:
    if dialect not in ("duckdb", "postgres"):
        raise ValueError(f"unknown backend dialect: {dialect!r}")


_H = f"{SCHEMA}.query_history"
_FINISHED = "status NOT IN ('queued', 'running')"
_ABORTED = "CASE WHEN status IN ('canceled', 'aborted') THEN 1 ELSE 0 END"

_HISTORY_VIEWS = {
    # https://docs.aws.amazon.com/redshift/latest/dg/SYS_QUERY_HISTORY.html
    "sys_query_history": f"""SELECT user_id, query_id, query_label, transaction_id, session_id,
        database_name, query_type, status, result_cache_hit, start_time, end_time,
        elapsed_time_us AS elapsed_time, queue_time_us AS queue_time,
        exec_time_us AS execution_time, error_message, returned_rows, returned_bytes,
        query_text, CAST('stepline' AS text) AS redshift_version,
        CAST(NULL AS text) AS usage_limit, CAST('main' AS text) AS compute_type,
        compile_time_us AS compile_time, CAST(0 AS bigint) AS planning_time,
        CAST(0 AS bigint) AS lock_wait_time, service_class AS service_class_id,
        service_class_name, query_priority, CAST('false' AS text) AS short_query_accelerated,
        CAST(NULL AS text) AS user_query_hash, CAST(NULL AS text) AS generic_query_hash,
        CAST(NULL AS text) AS query_hash_version, CAST(NULL AS bigint) AS result_cache_query_id
        FROM {_H}""",
    # https://docs.aws.amazon.com/redshift/latest/dg/r_STL_QUERY.html (+ seed extras)
    "stl_query": f"""SELECT user_id AS userid, query_id AS query, query_label AS label,
        transaction_id AS xid, pid, database_name AS database, query_text AS querytxt,
        start_time AS starttime, end_time AS endtime, {_ABORTED} AS aborted,
        0 AS insert_pristine, 0 AS concurrency_scaling_status,
        exec_time_us AS total_exec_time, compile_time_us AS compile_time, user_name
        FROM {_H} WHERE {_FINISHED}""",
    # https://docs.aws.amazon.com/redshift/latest/dg/r_SVL_QLOG.html
    "svl_qlog": f"""SELECT user_id AS userid, query_id AS query, transaction_id AS xid, pid,
        start_time AS starttime, end_time AS endtime, exec_time_us AS elapsed,
        {_ABORTED} AS aborted, query_label AS label,
        CAST(substr(query_text, 1, 60) AS text) AS "substring",
        CAST(NULL AS integer) AS source_query,
        CAST('0 - Ran on the main cluster' AS text) AS concurrency_scaling_status_txt,
        CAST(NULL AS integer) AS from_sp_call
        FROM {_H} WHERE {_FINISHED}""",
    # https://docs.aws.amazon.com/redshift/latest/dg/r_STL_WLM_QUERY.html
    "stl_wlm_query": f"""SELECT user_id AS userid, transaction_id AS xid, 0 AS task,
        query_id AS query, service_class, 1 AS slot_count,
        queue_start_time AS service_class_start_time, queue_start_time, queue_end_time,
        queue_time_us AS total_queue_time, start_time AS exec_start_time,
        end_time AS exec_end_time, exec_time_us AS total_exec_time,
        end_time AS service_class_end_time,
        CASE status WHEN 'success' THEN 'Completed' WHEN 'failed' THEN 'Evicted'
            ELSE 'Removed' END AS final_state,
        CAST(0 AS bigint) AS est_peak_mem, query_priority, service_class_name
        FROM {_H} WHERE {_FINISHED}""",
    # https://docs.aws.amazon.com/redshift/latest/dg/r_STV_INFLIGHT.html
    "stv_inflight": f"""SELECT user_id AS userid, 0 AS slice, query_id AS query,
        query_label AS label, transaction_id AS xid, pid, start_time AS starttime,
        query_text AS text, 0 AS suspended, 0 AS insert_pristine,
        0 AS concurrency_scaling_status
        FROM {_H} WHERE status = 'running'""",
}

_EXTERNAL_VIEW_SQL = {
    # https://docs.aws.amazon.com/redshift/latest/dg/r_STL_LOAD_ERRORS.html (+ table_name, user_name)
    "stl_load_errors": f"""SELECT userid, slice, CAST(0 AS integer) AS tbl, starttime, session,
        query, filename, line_number, colname, type, col_length, position, raw_line,
        raw_field_value, err_code, err_reason, is_partial, start_offset,
        CAST(NULL AS bigint) AS copy_job_id, table_name, user_name
        FROM {SCHEMA}.load_errors""",
    # https://docs.aws.amazon.com/redshift/latest/dg/r_SVL_S3QUERY_SUMMARY.html
    "svl_s3query_summary": f"""SELECT userid, query, CAST(0 AS bigint) AS xid, 0 AS pid, segment,
        0 AS step, starttime, endtime,
        CAST(date_part('epoch', endtime - starttime) * 1000000 AS bigint) AS elapsed, 0 AS aborted,
        external_table_name, file_format, is_partitioned, CAST('f' AS text) AS is_rrscan,
        CAST('f' AS text) AS is_nested, s3_scanned_rows, s3_scanned_bytes, s3query_returned_rows,
        s3query_returned_bytes, files, files AS files_max, files AS files_avg, files AS splits,
        files AS splits_max, files AS splits_avg, s3_scanned_bytes AS total_split_size,
        s3_scanned_bytes AS max_split_size, s3_scanned_bytes AS avg_split_size,
        0 AS total_retries, 0 AS max_retries, 0 AS max_request_duration,
        CAST(0 AS double precision) AS avg_request_duration, 1 AS max_request_parallelism,
        CAST(1 AS double precision) AS avg_request_parallelism, 0 AS total_slowdown_count,
        0 AS max_slowdown_count, total_partitions, qualified_partitions
        FROM {SCHEMA}.s3query_summary""",
}

# Redshift's format_type names for the backend's own catalog types.
_TYPE_NAME = """CASE
        WHEN upper(c.data_type) IN ('INTEGER', 'INT4') THEN 'integer'
        WHEN upper(c.data_type) IN ('BIGINT', 'INT8') THEN 'bigint'
        WHEN upper(c.data_type) IN ('SMALLINT', 'INT2') THEN 'smallint'
        WHEN upper(c.data_type) IN ('DOUBLE', 'DOUBLE PRECISION', 'FLOAT8') THEN 'double precision'
        WHEN upper(c.data_type) IN ('REAL', 'FLOAT', 'FLOAT4') THEN 'real'
        WHEN upper(c.data_type) IN ('BOOLEAN', 'BOOL') THEN 'boolean'
        WHEN upper(c.data_type) = 'DATE' THEN 'date'
        WHEN upper(c.data_type) IN ('TIMESTAMP', 'TIMESTAMP WITHOUT TIME ZONE')
            THEN 'timestamp without time zone'
        WHEN upper(c.data_type) IN ('TIMESTAMP WITH TIME ZONE', 'TIMESTAMPTZ')
            THEN 'timestamp with time zone'
        WHEN upper(c.data_type) IN ('VARCHAR', 'TEXT', 'CHARACTER VARYING')
            THEN CASE WHEN c.character_maximum_length IS NULL THEN 'character varying(256)'
                 ELSE 'character varying(' || CAST(c.character_maximum_length AS text) || ')' END
        WHEN upper(c.data_type) = 'CHARACTER' THEN
            'character(' || CAST(coalesce(c.character_maximum_length, 1) AS text) || ')'
        WHEN upper(c.data_type) IN ('NUMERIC') OR upper(c.data_type) LIKE 'DECIMAL%' THEN
            'numeric(' || CAST(c.numeric_precision AS text) || ','
            || CAST(c.numeric_scale AS text) || ')'
        WHEN upper(c.data_type) IN ('JSON', 'JSONB') THEN 'super'
        WHEN upper(c.data_type) IN ('BLOB', 'BYTEA') THEN 'varbyte'
        ELSE lower(c.data_type) END"""

_HIDDEN = f"('{SCHEMA}', 'information_schema', 'pg_catalog', 'pg_toast')"

_PG_TABLE_DEF = f"""SELECT CAST(c.table_schema AS text) AS schemaname,
        CAST(c.table_name AS text) AS tablename, CAST(c.column_name AS text) AS "column",
        coalesce(a.redshift_type, {_TYPE_NAME}) AS type,
        coalesce(a.encoding, 'none') AS encoding,
        coalesce(a.distkey, false) AS distkey, coalesce(a.sortkey, 0) AS sortkey,
        c.is_nullable = 'NO' AS notnull
    FROM information_schema.columns c
    LEFT JOIN {SCHEMA}.column_attributes a ON a.schema_name = c.table_schema
        AND a.table_name = c.table_name AND a.column_name = c.column_name
    WHERE c.table_schema NOT IN {_HIDDEN} AND c.table_schema NOT LIKE 'pg_temp%'"""


def _table_info(tables: str, db: str) -> str:
    # tables: a relation with schema_name, table_name, table_id, tbl_rows, size_mb
    return f"""SELECT {db} AS database, s.schema_name AS schema, s.table_id,
        s.table_name AS "table", CASE WHEN ca.encoded > 0 THEN 'Y' ELSE 'N' END AS encoded,
        CASE coalesce(t.diststyle, 'AUTO')
            WHEN 'KEY' THEN 'KEY(' || t.distkey || ')'
            WHEN 'AUTO' THEN 'AUTO(ALL)' ELSE t.diststyle END AS diststyle,
        CASE WHEN t.sortkey IS NULL THEN NULL
            WHEN t.sortkey_style = 'interleaved' THEN 'INTERLEAVED'
            ELSE split_part(t.sortkey, ',', 1) END AS sortkey1,
        CAST(0 AS integer) AS max_varchar, CAST(NULL AS text) AS sortkey1_enc,
        CASE WHEN t.sortkey IS NULL THEN 0
            ELSE length(t.sortkey) - length(replace(t.sortkey, ',', '')) + 1 END AS sortkey_num,
        s.size_mb AS size, CAST(0 AS numeric(10,4)) AS pct_used,
        CAST(0 AS numeric(10,4)) AS empty,
        CASE WHEN t.sortkey IS NULL THEN NULL ELSE CAST(0 AS numeric(5,2)) END AS unsorted,
        CAST(0 AS numeric(5,2)) AS stats_off, s.tbl_rows,
        CAST(NULL AS numeric(19,2)) AS skew_sortkey1,
        CASE WHEN s.tbl_rows > 0 THEN CAST(1 AS numeric(19,2)) END AS skew_rows,
        s.tbl_rows AS estimated_visible_rows, CAST(NULL AS text) AS risk_event,
        CAST(NULL AS text) AS vacuum_sort_benefit, CAST(NULL AS timestamp) AS create_time,
        s.schema_name, s.table_name, s.tbl_rows AS rows,
        CASE WHEN t.sortkey IS NULL THEN NULL ELSE CAST(0 AS numeric(5,2)) END AS pct_unsorted
    FROM ({tables}) s
    LEFT JOIN {SCHEMA}.table_attributes t
        ON t.schema_name = s.schema_name AND t.table_name = s.table_name
    LEFT JOIN (SELECT schema_name, table_name,
            sum(CASE WHEN encoding IS NOT NULL AND encoding <> 'raw' THEN 1 ELSE 0 END)
                AS encoded
            FROM {SCHEMA}.column_attributes GROUP BY schema_name, table_name) ca
        ON ca.schema_name = s.schema_name AND ca.table_name = s.table_name"""


# DuckDB keeps an exact row count per table (estimated_size); size is an estimate from it.
_DUCKDB_TABLES = f"""SELECT schema_name, table_name, CAST(table_oid AS bigint) AS table_id,
        CAST(estimated_size AS bigint) AS tbl_rows,
        CAST(ceil(estimated_size * column_count * 8 / 1048576.0) AS bigint) AS size_mb
    FROM duckdb_tables() WHERE NOT internal AND schema_name NOT IN {_HIDDEN}"""

# PostgreSQL: an exact count per table through query_to_xml (one statement, no function), of
# the tables the reader owns or may select from (the count runs with the reader's rights).
_PG_TABLES = f"""SELECT CAST(n.nspname AS text) AS schema_name,
        CAST(c.relname AS text) AS table_name, CAST(c.oid AS bigint) AS table_id,
        CAST((xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I',
            n.nspname, c.relname), false, true, '')))[1]::text AS bigint) AS tbl_rows,
        CAST(ceil(pg_total_relation_size(c.oid) / 1048576.0) AS bigint) AS size_mb
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN {_HIDDEN}
        AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast%'
        AND (pg_has_role(c.relowner, 'USAGE') OR (has_schema_privilege(n.oid, 'USAGE')
            AND has_any_column_privilege(c.oid, 'SELECT')))"""

# One block per table and slice 0: we are a single-slice warehouse, so skew is always 0.
_DISKUSAGE = """SELECT CAST(0 AS integer) AS db_id, table_name AS name, 0 AS slice, 0 AS col,
        table_id AS tbl, 0 AS blocknum, tbl_rows AS num_values,
        schema_name AS schemaname, table_name AS tablename, tbl_rows
    FROM ({tables}) s"""

_DUCKDB_VIEWS = {
    "svv_table_info": _table_info(_DUCKDB_TABLES, "current_database()"),
    "svv_diskusage": _DISKUSAGE.format(tables=_DUCKDB_TABLES),
    "pg_table_def": _PG_TABLE_DEF,
}
_POSTGRES_VIEWS = {
    "svv_table_info": _table_info(_PG_TABLES, "CAST(current_database() AS text)"),
    "svv_diskusage": _DISKUSAGE.format(tables=_PG_TABLES),
    "pg_table_def": _PG_TABLE_DEF,
}


# --- CREATE TABLE: Redshift attributes out of the tree ------------------------------------


class TableDefinitionError(ValueError):
    """A CREATE TABLE Redshift would refuse (e.g. a sort key naming no column)."""


_ATTRIBUTE_PROPS = (
    exp.DistKeyProperty,
    exp.DistStyleProperty,
    exp.SortKeyProperty,
    InterleavedSortKeyProperty,
    exp.BackupProperty,
)


def create_table_attributes(
    tree: exp.Create, dialect: str, search_path: tuple[str, ...]
) -> tuple[exp.Expr, TableAttributes, list[str], list[str]]:
    """Strip Redshift's attributes from a CREATE TABLE tree and return them with the tree,
    notices for the user, and statements to run first (sequences for IDENTITY on DuckDB)."""
    notices: list[str] = []
    prelude: list[str] = []
    props = tree.args.get("properties")
    prop_list = list(props.expressions) if props is not None else []
    temporary = any(isinstance(p, exp.TemporaryProperty) for p in prop_list)
    diststyle, distkey, sortkey, style, backup = None, None, (), None, True
    for p in prop_list:
        if isinstance(p, exp.DistStyleProperty):
            diststyle = p.this.name.upper()
        elif isinstance(p, exp.DistKeyProperty):
            distkey = p.this.name
        elif isinstance(p, exp.SortKeyProperty):
            sortkey = tuple(i.name for i in p.this)
            style = "compound"
        elif isinstance(p, InterleavedSortKeyProperty):
            sortkey = tuple(i.name for i in p.this)
            style = "interleaved"
        elif isinstance(p, exp.BackupProperty):
            backup = p.this.name.upper() != "NO"
        elif isinstance(p, exp.LikeProperty):
            pass
    if props is not None:
        kept = [p for p in prop_list if not isinstance(p, _ATTRIBUTE_PROPS)]
        tree.set("properties", exp.Properties(expressions=kept) if kept else None)
    schema = tree.this if isinstance(tree.this, exp.Schema) else None
    table = schema.this if schema is not None else tree.this
    columns: list[ColumnAttributes] = []
    like: exp.LikeProperty | None = None
    if schema is not None:
        informational = [e for e in schema.expressions if _informational(e)] or [
            c for col in schema.find_all(exp.ColumnDef) for c in col.args.get("constraints") or []
            if isinstance(c.args.get("kind"), _INFORMATIONAL)
        ]
        if informational:
            notices.append(INFORMATIONAL_NOTICE)
            schema.set("expressions", [e for e in schema.expressions if not _informational(e)])
        for item in list(schema.expressions):
            if isinstance(item, exp.LikeProperty):
                like = item
            elif isinstance(item, exp.ColumnDef):
                col, is_dist, is_sort = strip_column_attributes(item, dialect)
                if dialect == "duckdb":
                    prelude += _identity_default(item, table, temporary)
                columns.append(col)
                if is_dist:
                    distkey = col.name
                if is_sort:
                    sortkey, style = (col.name,), "compound"
    names = {c.name for c in columns}
    for key in ([distkey] if distkey else []) + list(sortkey):
        if names and key not in names:
            kind = "distribution key" if key == distkey else "sort key"
            raise TableDefinitionError(f'column "{key}" named in {kind} does not exist')
    if distkey and diststyle is None:
        diststyle = "KEY"
    positions = {n: (i + 1) * (-1 if style == "interleaved" else 1) for i, n in enumerate(sortkey)}
    columns = [
        ColumnAttributes(c.name, c.redshift_type, c.encoding, c.name == distkey,
                         positions.get(c.name, 0))
        for c in columns
    ]
    parent = None
    if like is not None:
        parent = exp.table_name(like.this)
        if dialect == "duckdb":
            tree = _like_as_ctas(tree, table, like)
            notices.append(
                "CREATE TABLE (LIKE ...) copied column names and types; NOT NULL constraints "
                "and defaults are not copied on this warehouse"
            )
    if not isinstance(table, exp.Table):
        raise TableDefinitionError("syntax error: CREATE TABLE without a table name")
    db = table.db or (search_path[0] if search_path and not temporary else None)
    attributes = TableAttributes(
        schema=db or None,
        table=table.name,
        diststyle=diststyle or "AUTO",
        distkey=distkey,
        sortkey=tuple(sortkey),
        sortkey_style=style if sortkey else None,
        backup=backup,
        temporary=temporary,
        like=parent,
        columns=tuple(columns),
    )
    return tree, attributes, notices, prelude


def _identity_default(item: exp.ColumnDef, table: exp.Expr, temporary: bool) -> list[str]:
    """IDENTITY(seed, step) on DuckDB: a sequence and a DEFAULT nextval(...) instead."""
    constraints = item.args.get("constraints") or []
    for c in constraints:
        kind = c.args.get("kind")
        if not isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
            continue
        start = kind.args.get("start") or exp.Literal.number(1)
        step = kind.args.get("increment") or exp.Literal.number(1)
        seq = exp.table_(
            f"{table.name}_{item.name}_seq", db=table.args.get("db") if not temporary else None
        )
        name = seq.sql("duckdb")
        call = exp.Anonymous(this="nextval", expressions=[exp.Literal.string(name)])
        c.set("kind", exp.DefaultColumnConstraint(this=call))
        temp = "TEMP " if temporary else ""
        return [
            f"CREATE {temp}SEQUENCE IF NOT EXISTS {name} START {start.sql()} "
            f"INCREMENT {step.sql()}"
        ]
    return []


def _like_as_ctas(tree: exp.Create, table: exp.Expr, like: exp.LikeProperty) -> exp.Create:
    select = exp.select("*").from_(like.this.copy()).limit(0)
    new = exp.Create(
        this=table.copy(),
        kind="TABLE",
        expression=select,
        exists=tree.args.get("exists"),
        properties=tree.args.get("properties"),
    )
    return new


# Redshift keeps PRIMARY KEY, UNIQUE and FOREIGN KEY for the planner but never enforces them:
# https://docs.aws.amazon.com/redshift/latest/dg/t_Defining_constraints.html
_INFORMATIONAL = (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint, exp.Reference)
_INFORMATIONAL_TABLE = (exp.PrimaryKey, exp.UniqueColumnConstraint, exp.ForeignKey)
INFORMATIONAL_NOTICE = (
    "PRIMARY KEY, UNIQUE and FOREIGN KEY constraints are informational in Redshift and are not "
    "enforced here either"
)


def _informational(item: exp.Expr) -> bool:
    if isinstance(item, _INFORMATIONAL_TABLE):
        return True
    return isinstance(item, exp.Constraint) and all(
        isinstance(e, _INFORMATIONAL_TABLE) for e in item.expressions
    )


def strip_column_attributes(item: exp.ColumnDef, dialect: str) -> tuple[ColumnAttributes, bool, bool]:
    """Take ENCODE/DISTKEY/SORTKEY (and the unenforced key constraints) off a column."""
    encoding, is_dist, is_sort = None, False, False
    kept = []
    for c in item.args.get("constraints") or []:
        kind = c.args.get("kind")
        if isinstance(kind, _INFORMATIONAL):
            continue
        if isinstance(kind, exp.EncodeColumnConstraint):
            encoding = kind.this.name.lower()
        elif isinstance(kind, DistKeyColumnConstraint):
            is_dist = True
        elif isinstance(kind, SortKeyColumnConstraint):
            is_sort = True
        else:
            kept.append(c)
    item.set("constraints", kept)
    kind_node = item.args.get("kind")
    rtype = _redshift_type(kind_node) if kind_node is not None else "unknown"
    return ColumnAttributes(item.name, rtype, encoding), is_dist, is_sort


def _redshift_type(dtype: exp.DataType) -> str:
    """Redshift's format_type name for a declared type (as pg_table_def shows it)."""
    text = dtype.sql("redshift").lower()
    params = [p.sql("redshift").lower() for p in dtype.expressions]
    base = re.sub(r"\(.*$", "", text).strip()
    if base in ("varchar", "character varying", "nvarchar", "text"):
        n = params[0] if params else "256"
        return f"character varying({'65535' if n == 'max' else n})"
    if base in ("char", "character", "nchar", "bpchar"):
        n = params[0] if params else ("256" if base == "bpchar" else "1")
        return f"character({'4096' if n == 'max' else n})"
    if base in ("decimal", "numeric"):
        return f"numeric({params[0] if params else '18'},{params[1] if len(params) > 1 else '0'})"
    return {
        "int": "integer",
        "integer": "integer",
        "int4": "integer",
        "bigint": "bigint",
        "int8": "bigint",
        "smallint": "smallint",
        "int2": "smallint",
        "double precision": "double precision",
        "double": "double precision",
        "float": "double precision",
        "float8": "double precision",
        "real": "real",
        "float4": "real",
        "boolean": "boolean",
        "bool": "boolean",
        "timestamp": "timestamp without time zone",
        "timestamptz": "timestamp with time zone",
        "time": "time without time zone",
        "timetz": "time with time zone",
        "varbyte": "varbyte",
        "varbinary": "varbyte",
    }.get(base, base)
