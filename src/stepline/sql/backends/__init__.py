"""SQL engines behind the statement service: DuckDB (embedded file) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stepline.config import Config, WarehouseConfig
from stepline.errors import Invalid
from stepline.sql.backends.base import Backend, Column, Connection
from stepline.sql.catalog import SCHEMA

__all__ = ["Backend", "Column", "Connection", "describe_table", "duckdb_path", "list_schemas", "list_tables", "open_backend"]


def duckdb_path(config: Config, warehouse: WarehouseConfig) -> Path:
    """The DuckDB file of an embedded warehouse (default ``<data_dir>/warehouse.duckdb``)."""
    if not warehouse.path:
        return config.data_dir / "warehouse.duckdb"
    path = Path(warehouse.path)
    return path if path.is_absolute() else config.base_dir / path


def open_backend(config: Config, warehouse: WarehouseConfig, setup: dict[str, tuple[str, ...]]) -> Backend:
    if warehouse.backend == "duckdb":
        from stepline.sql.backends.duckdb import DuckDbBackend

        return DuckDbBackend(duckdb_path(config, warehouse), warehouse.database, setup.get("duckdb", ()))
    if warehouse.backend == "postgres":
        from stepline.sql.backends.postgres import PostgresBackend

        if not warehouse.dsn:
            raise Invalid(f"config: warehouse {warehouse.name!r} uses postgres but has no dsn")
        return PostgresBackend(warehouse.dsn, warehouse.database, setup.get("postgres", ()))
    raise Invalid(f"config: unknown warehouse backend {warehouse.backend!r} (duckdb or postgres)")


# -- catalog queries behind ListSchemas, ListTables, DescribeTable --------------------------------

_HIDDEN = f"'{SCHEMA}', 'stepline_fn', 'information_schema', 'pg_catalog'"
_PG_TYPES = {"integer": "int4", "bigint": "int8", "smallint": "int2", "character varying": "varchar",
             "character": "bpchar", "numeric": "numeric", "real": "float4", "double precision": "float8",
             "boolean": "bool", "date": "date", "timestamp without time zone": "timestamp",
             "timestamp with time zone": "timestamptz", "text": "varchar", "json": "super", "jsonb": "super",
             "bytea": "varbyte", "time without time zone": "time", "time with time zone": "timetz"}
_TABLE_TYPES = {"BASE TABLE": "TABLE", "VIEW": "VIEW", "LOCAL TEMPORARY": "LOCAL TEMPORARY",
                "FOREIGN": "EXTERNAL TABLE"}


def _marks(dialect: str) -> tuple[str, str]:
    return ("$1", "$2") if dialect == "duckdb" else ("%s", "%s")


def list_schemas(conn: Any, dialect: str, pattern: str | None) -> list[str]:
    m1, _ = _marks(dialect)
    where = "catalog_name = current_database() AND " if dialect == "duckdb" else ""
    pct = "%" if dialect == "duckdb" else "%%"  # psycopg placeholders make % special
    sql = (f"SELECT DISTINCT schema_name FROM information_schema.schemata WHERE {where}schema_name LIKE {m1} "
           f"AND schema_name NOT IN ({_HIDDEN}) AND schema_name NOT LIKE 'pg_temp{pct}' "
           f"AND schema_name NOT LIKE 'pg_toast{pct}' ORDER BY 1")
    return [r[0] for r in conn.execute(sql, (pattern or "%",)).fetchall()]


def list_tables(conn: Any, dialect: str, schema_pattern: str | None,
                table_pattern: str | None) -> list[tuple[str, str, str]]:
    m1, m2 = _marks(dialect)
    where = "table_catalog = current_database() AND " if dialect == "duckdb" else ""
    sql = (f"SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE {where}"
           f"table_schema LIKE {m1} AND table_name LIKE {m2} AND table_schema NOT IN ({_HIDDEN}) ORDER BY 1, 2")
    rows = conn.execute(sql, (schema_pattern or "%", table_pattern or "%")).fetchall()
    return [(s, n, _TABLE_TYPES.get(t, t)) for s, n, t in rows]


def describe_table(conn: Any, dialect: str, schema: str | None, table: str | None) -> list[Column]:
    m1, m2 = _marks(dialect)
    sql = (f"SELECT table_schema, table_name, column_name, data_type, is_nullable, character_maximum_length, "
           f"numeric_precision, numeric_scale FROM information_schema.columns "
           f"WHERE table_schema LIKE {m1} AND table_name LIKE {m2} "
           f"AND table_schema NOT IN ({_HIDDEN}) ORDER BY table_schema, table_name, ordinal_position")
    cols = []
    for s, t, name, typ, nullable, length, precision, scale in conn.execute(
            sql, (schema or "public", table or "%")).fetchall():
        if dialect == "duckdb":
            from stepline.sql.backends.duckdb import column_type

            type_name, p0, _ = column_type(typ)
        else:
            type_name, p0 = _PG_TYPES.get(typ, typ), 0
        cols.append(Column(name, type_name, int(length or precision or p0 or 0), int(scale or 0),
                           1 if nullable == "YES" else 0, int(length or 0), s, t))
    return cols
