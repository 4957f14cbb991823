"""Kept Redshift table attributes, and the Redshift system views served from them.

The statement service owns a schema ``stepline_sys`` (``SCHEMA``). Its parts:

- ``system_tables``: the base tables it fills (query history, table/column attributes, rows
  kept outside the backend), their DDL and INSERTs;
- ``view_definitions``: the views named like Redshift's (``SYSTEM_VIEWS``) over them, per dialect;
- ``table_attributes``: what is kept about a table, and the SQL that records or forgets it;
- ``create_table``: the attributes taken out of a parsed CREATE TABLE (used by ``translate``).

This module gathers their names.
"""

from __future__ import annotations

from stepline.sql.create_table import (
    INFORMATIONAL_NOTICE,
    TableDefinitionError,
    create_table_attributes,
    strip_column_attributes,
)
from stepline.sql.system_tables import (
    BASE_TABLES,
    COLUMN_ATTRIBUTE_COLUMNS,
    EXTERNAL_VIEWS,
    HISTORY_COLUMNS,
    LOAD_ERROR_COLUMNS,
    S3_QUERY_COLUMNS,
    SCHEMA,
    TABLE_ATTRIBUTE_COLUMNS,
    base_table_ddl,
    insert_sql,
)
from stepline.sql.table_attributes import (
    ColumnAttributes,
    TableAttributes,
    forget_table_sql,
    record_table_sql,
    table_attribute_rows,
)
from stepline.sql.view_definitions import SYSTEM_VIEWS, system_view_ddl

__all__ = [
    "BASE_TABLES", "COLUMN_ATTRIBUTE_COLUMNS", "EXTERNAL_VIEWS", "HISTORY_COLUMNS", "INFORMATIONAL_NOTICE",
    "LOAD_ERROR_COLUMNS", "S3_QUERY_COLUMNS", "SCHEMA", "SYSTEM_VIEWS", "TABLE_ATTRIBUTE_COLUMNS",
    "ColumnAttributes", "TableAttributes", "TableDefinitionError", "base_table_ddl", "create_table_attributes",
    "forget_table_sql", "insert_sql", "record_table_sql", "strip_column_attributes", "system_view_ddl",
    "table_attribute_rows",
]
