"""What Redshift keeps about a table and the backend cannot, and the SQL that keeps it.

``record_table_sql``/``forget_table_sql`` give the statement service the statements that keep the
attributes in ``stepline_sys.table_attributes``/``column_attributes`` after CREATE TABLE and forget
them after DROP TABLE. ``create_table`` takes them out of a parsed CREATE TABLE.
"""

from __future__ import annotations

from dataclasses import dataclass

from stepline.sql.system_tables import COLUMN_ATTRIBUTE_COLUMNS, SCHEMA, TABLE_ATTRIBUTE_COLUMNS, insert_sql


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
