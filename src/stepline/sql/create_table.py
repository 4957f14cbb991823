"""CREATE TABLE: Redshift's attributes (DISTSTYLE, DISTKEY, SORTKEY, ENCODE, BACKUP, LIKE) taken out
of the parsed tree, which the backend could not run with them."""

from __future__ import annotations

import re

from sqlglot import exp

from stepline.sql.dialects import (
    DistKeyColumnConstraint,
    InterleavedSortKeyProperty,
    SortKeyColumnConstraint,
)
from stepline.sql.table_attributes import ColumnAttributes, TableAttributes


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
        minimum = kind.args.get("minvalue")
        return [
            f"CREATE {temp}SEQUENCE IF NOT EXISTS {name} START {start.sql()} "
            f"INCREMENT {step.sql()}" + (f" MINVALUE {minimum.sql()}" if minimum is not None else "")
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
