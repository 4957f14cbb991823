"""The Redshift system views (``SYSTEM_VIEWS``) over the base tables, as SQL per backend dialect.

Redshift's columns plus the extra columns some widely copied analysis scripts use
(``stl_query.total_exec_time``, ``compile_time`` and ``user_name`` in microseconds;
``svv_table_info.schema_name``, ``table_name``, ``rows`` and ``pct_unsorted``). ``svv_table_info``
and ``pg_table_def`` read the backend's own catalog, so row counts and columns are always live.

https://docs.aws.amazon.com/redshift/latest/dg/r_STL_QUERY.html
https://docs.aws.amazon.com/redshift/latest/dg/SYS_QUERY_HISTORY.html
"""

from __future__ import annotations

from stepline.sql.system_tables import SCHEMA, check_dialect

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


def system_view_ddl(dialect: str) -> list[str]:
    """``CREATE OR REPLACE VIEW stepline_sys.<name>`` for every name in ``SYSTEM_VIEWS``."""
    check_dialect(dialect)
    views = {**_HISTORY_VIEWS, **_EXTERNAL_VIEW_SQL, **(_DUCKDB_VIEWS if dialect == "duckdb" else _POSTGRES_VIEWS)}
    return [f"CREATE OR REPLACE VIEW {SCHEMA}.{name} AS {body}" for name, body in views.items()]


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

_HIDDEN = f"('{SCHEMA}', 'stepline_fn', 'information_schema', 'pg_catalog', 'pg_toast')"

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
