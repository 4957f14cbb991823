"""The base tables the statement service keeps in schema ``stepline_sys`` and fills itself.

- ``query_history`` (``HISTORY_COLUMNS``): one row per statement it ran, durations in
  microseconds, times in UTC without time zone (as Redshift's STL tables keep them);
- ``table_attributes`` (``TABLE_ATTRIBUTE_COLUMNS``): one row per table created with Redshift
  attributes (rows from ``table_attributes.table_attribute_rows``);
- ``column_attributes`` (``COLUMN_ATTRIBUTE_COLUMNS``): one row per column of those tables;
- ``load_errors``, ``s3query_summary``: rows kept outside the backend, copied in before a read;
- ``statement_commits``: which statements committed (exactly-once after a crash).

The Redshift system views over them are in ``view_definitions``.
"""

from __future__ import annotations

SCHEMA = "stepline_sys"

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


def insert_sql(table: str, dialect: str) -> str:
    """The parameterised INSERT into one base table (``$n`` for DuckDB, ``%s`` for psycopg)."""
    cols = BASE_TABLES[table]
    marks = ", ".join(f"${i}" if dialect == "duckdb" else "%s" for i in range(1, len(cols) + 1))
    names = ", ".join(name for name, _ in cols)
    return f"INSERT INTO {SCHEMA}.{table} ({names}) VALUES ({marks})"


def base_table_ddl(dialect: str) -> list[str]:
    """``CREATE SCHEMA``/``CREATE TABLE IF NOT EXISTS`` statements for the base tables."""
    check_dialect(dialect)
    out = [f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"]
    for table, cols in BASE_TABLES.items():
        body = ", ".join(f"{name} {typ}" for name, typ in cols)
        out.append(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table} ({body})")
    return out


def check_dialect(dialect: str) -> None:
    if dialect not in ("duckdb", "postgres"):
        raise ValueError(f"unknown backend dialect: {dialect!r}")
