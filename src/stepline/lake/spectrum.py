"""Redshift Spectrum: external schemas over catalog databases, external tables, and the scan
accounting behind SVL_S3QUERY_SUMMARY.

An external schema is a warehouse schema of views over the lake files (``views.reader_sql``);
filters on partition columns prune folders.

On PostgreSQL an external schema holds typed, empty placeholder views (so ``LIKE``, the catalog
and the system views see the columns; scanning one directly fails with a clear error). Before a
statement runs, ``prepare_external`` reads the files of the partitions it needs through an
in-process DuckDB into temporary tables of the statement's own connection and transaction, and
the statement reads those instead.
https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_EXTERNAL_SCHEMA.html
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from stepline.errors import NotFound
from stepline.lake.catalog import Catalog, Column, TableDef, check_name
from stepline.lake.options import Cursor
from stepline.lake.paths import LakeError, data_files, lake_path, sql_ident, sql_literal
from stepline.lake.views import expose_table, reader_sql
from stepline.sql.extensions import ExtensionContext, ExtensionResult

log = logging.getLogger(__name__)
_EXT = "CREATE TABLE IF NOT EXISTS external_schemas (schema TEXT PRIMARY KEY, database TEXT, iam_role TEXT)"


def _db(data_dir: Path) -> sqlite3.Connection:
    Catalog(data_dir)
    db = sqlite3.connect(Path(data_dir) / "catalog.sqlite", timeout=30)
    db.execute(_EXT)
    return db


def external_schemas(data_dir: Path) -> dict[str, str]:
    """external schema -> catalog database"""
    db = _db(data_dir)
    try:
        return dict(db.execute("SELECT schema, database FROM external_schemas").fetchall())
    finally:
        db.close()


def expose_everywhere(ctx: ExtensionContext, catalog: Catalog, table: TableDef) -> None:
    """(Re)create a catalog table's view in its database's schema and in every external schema over
    it (on PostgreSQL: its placeholder in every external schema over it)."""
    if ctx.dialect == "postgres":
        for schema, database in external_schemas(catalog.data_dir).items():
            if database == table.database:
                _placeholder(ctx, schema, table)
        return
    _require_supported(ctx, "CREATE TABLE ... WITH (...) AS SELECT")
    expose_table(ctx, table, catalog.data_dir)
    for schema, database in external_schemas(catalog.data_dir).items():
        if database == table.database:
            expose_table(ctx, table, catalog.data_dir, schema=schema)


def _require_supported(ctx: ExtensionContext, what: str) -> None:
    if ctx.dialect not in ("duckdb", "postgres"):
        raise LakeError(f"{what} is not supported on this warehouse ({ctx.dialect})")


_PG_TYPES = {"string": "varchar", "int": "integer", "integer": "integer", "bigint": "bigint", "smallint": "smallint",
             "tinyint": "smallint", "double": "double precision", "float": "real", "boolean": "boolean",
             "date": "date", "timestamp": "timestamp"}
_UNPLANNED = "stepline_external_scan"


def pg_type(glue: str) -> str:
    """The PostgreSQL type of a catalog (Glue) column type."""
    g = glue.lower()
    if g.startswith("decimal"):
        return "numeric" + g[len("decimal"):]
    if g.startswith(("varchar", "char")):
        return g
    return _PG_TYPES.get(g, "varchar")


def _placeholder(ctx: ExtensionContext, schema: str, table: TableDef) -> None:
    """A typed, empty view standing for an external table on PostgreSQL; reading it other than through
    a statement that ``prepare_external`` rewrote raises instead of returning no rows."""
    target = f"{sql_ident(schema)}.{sql_ident(table.name)}"
    cols = ", ".join(f"CAST(NULL AS {pg_type(c.type)}) AS {sql_ident(c.name)}"
                     for c in (*table.columns, *table.partition_keys))
    ctx.execute(f"DROP VIEW IF EXISTS {target}")
    ctx.execute(f"CREATE VIEW {target} AS SELECT {cols} "
                f"WHERE {sql_ident(schema)}.{_UNPLANNED}({sql_literal(f'{schema}.{table.name}')})")


def _placeholder_guard(ctx: ExtensionContext, schema: str) -> None:
    ctx.execute(f"CREATE OR REPLACE FUNCTION {sql_ident(schema)}.{_UNPLANNED}(relation text) RETURNS boolean "
                "LANGUAGE plpgsql VOLATILE AS $$ BEGIN RAISE EXCEPTION 'external table % can be read only by a "
                "statement that names it (not through a view or function)', relation "
                "USING ERRCODE = 'feature_not_supported'; END $$")


def create_external_schema(ctx: ExtensionContext, statement: str) -> ExtensionResult:
    """``CREATE EXTERNAL SCHEMA [IF NOT EXISTS] s FROM DATA CATALOG DATABASE 'db' IAM_ROLE '...'
    [REGION '...'] [CREATE EXTERNAL DATABASE IF NOT EXISTS]``"""
    _require_supported(ctx, "CREATE EXTERNAL SCHEMA")
    c = Cursor(statement, "CREATE EXTERNAL SCHEMA")
    c.expect("CREATE", "EXTERNAL", "SCHEMA")
    if_not_exists = c.accept("IF", "NOT", "EXISTS")
    schema = check_name("schema", c.name()[-1])
    c.expect("FROM")
    if not (c.accept("DATA", "CATALOG") or c.accept("HIVE", "METASTORE")):
        raise c.error("only FROM DATA CATALOG is supported")
    database, iam_role, create_db = None, "", False
    while not c.done():
        if c.accept("DATABASE"):
            database = c.next("str", "a database name").value
        elif c.accept("IAM_ROLE"):
            iam_role = c.next("str|word", "an IAM role").value
        elif c.accept("REGION") or c.accept("CATALOG_ROLE") or c.accept("SCHEMA"):
            c.next("str|word")
        elif c.accept("CREATE", "EXTERNAL", "DATABASE", "IF", "NOT", "EXISTS"):
            create_db = True
        else:
            raise c.error("unknown option")
    if database is None:
        raise LakeError("CREATE EXTERNAL SCHEMA needs DATABASE 'name'")
    catalog = Catalog(ctx.data_dir)
    if create_db:
        catalog.create_database(database)
    try:
        database = catalog.require_database(database)
    except NotFound:
        raise NotFound(f"External database \"{database}\" does not exist; add CREATE EXTERNAL DATABASE "
                       "IF NOT EXISTS or crawl data into it first") from None
    known = external_schemas(ctx.data_dir)
    if schema in known and if_not_exists:
        return ExtensionResult(rowcount=0, messages=[f"Schema \"{schema}\" already exists"])
    mark = "%s" if ctx.dialect == "postgres" else "?"
    exists = ctx.execute(f"SELECT count(*) FROM information_schema.schemata WHERE schema_name = {mark}",
                         [schema]).fetchone()[0]
    if exists and not if_not_exists:
        raise LakeError(f"Schema \"{schema}\" already exists")
    ctx.execute(f"CREATE SCHEMA IF NOT EXISTS {sql_ident(schema)}")
    if ctx.dialect == "postgres":
        _placeholder_guard(ctx, schema)
    for table in catalog.list_tables(database):
        if ctx.dialect == "postgres":
            _placeholder(ctx, schema, table)
        else:
            expose_table(ctx, table, ctx.data_dir, schema=schema)
    db = _db(ctx.data_dir)
    try:
        with db:
            db.execute("INSERT OR REPLACE INTO external_schemas VALUES (?, ?, ?)", (schema, database, iam_role))
    finally:
        db.close()
    return ExtensionResult(rowcount=0)


_TYPES = {"varchar": "string", "char": "string", "text": "string", "string": "string", "int": "int",
          "integer": "int", "int4": "int", "bigint": "bigint", "int8": "bigint", "smallint": "smallint",
          "double": "double", "float8": "double", "float": "double", "real": "float", "float4": "float",
          "boolean": "boolean", "bool": "boolean", "date": "date", "timestamp": "timestamp", "decimal": "decimal",
          "numeric": "decimal"}


def _columns(c: Cursor) -> list[Column]:
    cols = []
    c.expect("(")
    while True:
        name = c.next("word|qid", "a column name").value.lower()
        t = c.next("word", "a type").text.lower()
        if t == "double" and c.accept("PRECISION"):
            pass
        gt = _TYPES.get(t)
        if gt is None:
            raise c.error(f"type {t} is not supported in external tables")
        if c.accept("("):
            args = [c.next("num").text]
            while c.accept(","):
                args.append(c.next("num").text)
            c.expect(")")
            if gt == "decimal":
                gt = f"decimal({','.join(args)})"
        cols.append(Column(name, gt))
        if c.accept(")"):
            return cols
        c.expect(",")


def create_external_table(ctx: ExtensionContext, statement: str) -> ExtensionResult:
    """``CREATE EXTERNAL TABLE s.t (cols) [PARTITIONED BY (cols)] [ROW FORMAT DELIMITED FIELDS
    TERMINATED BY 'c'] STORED AS PARQUET|TEXTFILE|JSON LOCATION 's3://...' [TABLE PROPERTIES (...)]``"""
    _require_supported(ctx, "CREATE EXTERNAL TABLE")
    c = Cursor(statement, "CREATE EXTERNAL TABLE")
    c.expect("CREATE", "EXTERNAL", "TABLE")
    if_not_exists = c.accept("IF", "NOT", "EXISTS")
    qualified = c.name()
    if len(qualified) < 2:
        raise LakeError("CREATE EXTERNAL TABLE needs an external schema: schema.table")
    schema, name = qualified[-2], check_name("table", qualified[-1])
    database = external_schemas(ctx.data_dir).get(schema)
    if database is None:
        raise NotFound(f"schema \"{schema}\" is not an external schema")
    columns = _columns(c)
    partitions: list[Column] = []
    classification, delimiter, location, props = "csv", ",", None, {}
    while not c.done():
        if c.accept("PARTITIONED", "BY"):
            partitions = _columns(c)
        elif c.accept("ROW", "FORMAT", "DELIMITED"):
            c.expect("FIELDS", "TERMINATED", "BY")
            delimiter = c.next("str").value
        elif c.accept("ROW", "FORMAT", "SERDE"):
            serde = c.next("str").value.lower()
            classification = "json" if "json" in serde else classification
        elif c.accept("STORED", "AS"):
            fmt = c.next("word").upper
            classification = {"PARQUET": "parquet", "TEXTFILE": "csv", "JSON": "json"}.get(fmt, "")
            if not classification:
                raise LakeError(f"STORED AS {fmt} is not supported (use PARQUET, TEXTFILE or JSON)")
        elif c.accept("LOCATION"):
            location = c.next("str").value
        elif c.accept("TABLE", "PROPERTIES"):
            c.expect("(")
            while not c.accept(")"):
                k = c.next("str").value
                c.expect("=")
                props[k] = c.next("str").value
                c.accept(",")
        else:
            raise c.error("unknown clause")
    if location is None:
        raise LakeError("CREATE EXTERNAL TABLE needs LOCATION 's3://...'")
    catalog = Catalog(ctx.data_dir)
    if catalog.find_table(database, name) is not None:
        if if_not_exists:
            return ExtensionResult(rowcount=0, messages=[f"table {schema}.{name} already exists, skipping"])
        raise LakeError(f"Relation \"{name}\" already exists in external schema \"{schema}\"")
    params = {"classification": classification, "delimiter": delimiter,
              "skip.header.line.count": props.pop("skip.header.line.count", "0"), **props}
    table = catalog.put_table(TableDef(database, name, location if location.endswith("/") else location + "/",
                                       classification, tuple(columns), tuple(partitions), params))
    expose_everywhere(ctx, catalog, table)
    return ExtensionResult(rowcount=0)


def external_scan(sql: str, data_dir: Path, *, query: int, returned_rows: int = 0) -> list[dict[str, Any]]:
    """Account the lake bytes a Redshift query reads through external schemas and record one
    SVL_S3QUERY_SUMMARY row per external table. Partition predicates (=, IN, comparisons with
    literals) prune partitions; for Parquet only the column chunks of referenced columns count.
    https://docs.aws.amazon.com/redshift/latest/dg/r_SVL_S3QUERY_SUMMARY.html
    """
    schemas = external_schemas(data_dir)
    try:
        tree = sqlglot.parse_one(sql, read="redshift")
    except sqlglot.errors.SqlglotError:
        return []
    catalog = Catalog(data_dir)
    rows = []
    for t in tree.find_all(exp.Table):
        database = schemas.get((t.db or "").lower())
        if database is None:
            continue
        table = catalog.find_table(database, t.name.lower())
        if table is None:
            continue
        start = time.time()
        root = lake_path(table.location, data_dir)
        files = data_files(root, table.location) if root.exists() else []
        total = len({f.parent for f in files}) if table.partition_keys else 0
        keep = [f for f in files if _partition_ok(f, root, table, tree)]
        used = {c.name.lower() for c in tree.find_all(exp.Column)}
        star = any(isinstance(s, exp.Star) for s in tree.find_all(exp.Star))
        scanned = _bytes(keep, table, None if star else used)
        recs = int(table.parameters.get("recordCount", "0") or 0)
        size = int(table.parameters.get("sizeKey", "0") or 0)
        kept_size = sum(f.stat().st_size for f in keep)
        row = {"query": query, "segment": 0, "external_table_name": f"{t.db}.{t.name}".lower(),
               "s3_scanned_rows": (recs * kept_size // size) if size else 0, "s3_scanned_bytes": scanned,
               "s3query_returned_rows": returned_rows, "s3query_returned_bytes": 0, "files": len(keep),
               "is_partitioned": "t" if table.partition_keys else "f", "total_partitions": total,
               "qualified_partitions": len({f.parent for f in keep}) if table.partition_keys else 0,
               "starttime": start, "endtime": time.time()}
        catalog.record_s3_query(row)
        rows.append(row)
    return rows


_SCHEMAS_SEEN: dict[Path, tuple[int, frozenset[str]]] = {}
_SEEN_LOCK = threading.Lock()


def _known_external(data_dir: Path) -> frozenset[str]:
    """The external schema names, re-read only when the catalog file changed (every query asks)."""
    path = Path(data_dir) / "catalog.sqlite"
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return frozenset()
    with _SEEN_LOCK:
        seen = _SCHEMAS_SEEN.get(path)
    if seen is not None and seen[0] == stamp:
        return seen[1]
    names = frozenset(s.lower() for s in external_schemas(data_dir))
    with _SEEN_LOCK:
        _SCHEMAS_SEEN[path] = (stamp, names)
    return names


def observe_query(ctx: ExtensionContext, statement: str) -> ExtensionResult:
    """After a query or DML statement: record its Spectrum scans (``external_scan``) when it
    names an external schema. Accounting never fails the statement."""
    if ctx.dialect == "postgres":
        release_external(ctx)
    schemas = _known_external(ctx.data_dir)
    text = statement.lower()
    if schemas and any(name in text for name in schemas):
        try:
            external_scan(statement, ctx.data_dir, query=getattr(ctx, "query_id", 0),
                          returned_rows=max(getattr(ctx, "last_rowcount", 0), 0))
        except Exception:  # noqa: BLE001 - a scan that cannot be accounted is logged, not raised
            log.warning("Spectrum scan accounting failed for %r", statement[:200], exc_info=True)
    return ExtensionResult()


_LAKE_NAMES: dict[Path, tuple[int, dict[str, str]]] = {}
#: the temporary tables ``prepare_external`` made on a PostgreSQL connection, dropped after the statement
_TEMPS: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _lake_names(data_dir: Path) -> dict[str, str]:
    """Schema names that read the lake -> catalog database: the external schemas, and every catalog
    database under its own name (Athena's ``database.table``); re-read when the catalog changed."""
    path = Path(data_dir) / "catalog.sqlite"
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return {}
    with _SEEN_LOCK:
        seen = _LAKE_NAMES.get(path)
    if seen is not None and seen[0] == stamp:
        return seen[1]
    names = {d.lower(): d for d in Catalog(data_dir).list_databases()}
    names.update({s.lower(): d for s, d in external_schemas(data_dir).items()})
    with _SEEN_LOCK:
        _LAKE_NAMES[path] = (stamp, names)
    return names


def prepare_external(ctx: ExtensionContext, sql: str) -> str:
    """On PostgreSQL: the statement to run instead of ``sql``, with every lake table it reads (a table
    of an external schema, or a catalog table named ``database.table`` where the server has no such
    relation) replaced by a temporary table of the statement's connection holding the rows of the
    files its filters keep; the files are read through an in-process DuckDB. Partition pruning uses
    only conditions that every returned row satisfies (top-level ANDs of the query block reading
    the table), so the result is the same as reading every file."""
    if ctx.dialect != "postgres":
        return sql
    names = _lake_names(ctx.data_dir)
    text = sql.lower()
    if not names or not any(n in text for n in names):
        return sql
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except sqlglot.errors.SqlglotError:
        return sql  # an external table left in it reaches its placeholder, which fails clearly
    if isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() != "TABLE":
        return sql  # a view keeps naming the external table (and reads its placeholder)
    external = external_schemas(ctx.data_dir)
    catalog = Catalog(ctx.data_dir)
    refs: list[tuple[exp.Table, TableDef]] = []
    for ref in tree.find_all(exp.Table):
        schema = (ref.db or "").lower()
        if schema not in names or ref.args.get("catalog") or ref.find_ancestor(exp.Select) is None:
            continue
        if schema not in external:  # a catalog database's name: only when the server has no such table
            found = ctx.execute("SELECT to_regclass(%s)", [f"{sql_ident(ref.db)}.{sql_ident(ref.name)}"]).fetchone()
            if found and found[0] is not None:
                continue
        table = catalog.find_table(names[schema], ref.name.lower())
        if table is not None:
            refs.append((ref, table))
    if not refs:
        return sql
    release_external(ctx)
    made: dict[tuple[str, str, tuple[str, ...]], str] = {}
    for ref, table in refs:
        root = lake_path(table.location, ctx.data_dir)
        files = data_files(root, table.location) if root.exists() else []
        conds = _pruning_conditions(ref)
        keep = tuple(str(f) for f in files if _matches(_partition_values(f, root, table), conds))
        key = (table.database, table.name, keep)
        if key not in made:
            made[key] = _materialise(ctx, table, list(keep))
        alias = ref.args.get("alias") or exp.TableAlias(this=exp.to_identifier(ref.name))
        ref.replace(exp.Table(this=exp.to_identifier(made[key]), db=exp.to_identifier("pg_temp"), alias=alias))
    return tree.sql(dialect="postgres")


def release_external(ctx: ExtensionContext) -> None:
    """Drop the temporary tables ``prepare_external`` made on this statement's connection."""
    for name in sorted(_TEMPS.pop(_connection_key(ctx), set())):
        ctx.execute(f"DROP TABLE IF EXISTS pg_temp.{sql_ident(name)}")


def _connection_key(ctx: ExtensionContext) -> Any:
    """What identifies the statement's connection (its temporary tables live as long as it does)."""
    conn = getattr(ctx, "conn", None)
    if conn is not None:
        return conn
    from stepline.sql.backends.postgres import raw_connection

    return raw_connection(ctx.execute("SELECT 1"))


def _materialise(ctx: ExtensionContext, table: TableDef, files: list[str]) -> str:
    import duckdb

    from stepline.sql.backends.postgres import copy_arrow_in, raw_connection

    con = raw_connection(ctx.execute("SELECT 1"))
    key = _connection_key(ctx)
    digest = hashlib.sha1(f"{table.database}.{table.name}:{len(_TEMPS.get(key, ()))}".encode()).hexdigest()[:12]
    name = f"stepline_lake_{digest}"
    cols = (*table.columns, *table.partition_keys)
    ctx.execute(f"DROP TABLE IF EXISTS pg_temp.{sql_ident(name)}")
    ctx.execute(f"CREATE TEMPORARY TABLE {sql_ident(name)} ("
                + ", ".join(f"{sql_ident(c.name)} {pg_type(c.type)}" for c in cols) + ")")
    _TEMPS.setdefault(key, set()).add(name)
    ctx.execute(f"GRANT SELECT ON pg_temp.{sql_ident(name)} TO PUBLIC")  # the statement may run under SET ROLE
    if files:
        duck = duckdb.connect()
        try:
            duck.execute("SET enable_progress_bar = false")
            batches = duck.execute(reader_sql(table, ctx.data_dir, files=files)).to_arrow_reader(100_000)
            copy_arrow_in(con, f"pg_temp.{sql_ident(name)}", ", ".join(sql_ident(c.name) for c in cols), batches)
        except duckdb.Error as e:
            raise LakeError(f"reading external table {table.database}.{table.name} failed: "
                            f"{str(e).splitlines()[0][:300]}") from None
        finally:
            duck.close()
    return name


def _pruning_conditions(ref: exp.Table) -> list[exp.Expr]:
    """Comparisons of a column of ``ref`` with literals that every row of its query block must pass."""
    select = ref.find_ancestor(exp.Select)
    where = select.args.get("where") if select is not None else None
    if where is None:
        return []
    sources = [s for s in [select.args.get("from"), *(select.args.get("joins") or [])] if s is not None]
    single = len(sources) == 1 and isinstance(sources[0].this, exp.Table)  # unqualified columns are its own
    name = ref.alias_or_name.lower()
    out = []
    for cond in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
        if not isinstance(cond, (exp.EQ, exp.In, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            continue
        col = cond.this
        if not isinstance(col, exp.Column) or (col.table.lower() != name if col.table else not single):
            continue
        out.append(cond)
    return out


def s3_query_summary_rows(ctx: ExtensionContext, view: str) -> ExtensionResult:
    """The recorded scans as rows of ``stepline_sys.s3query_summary`` (SVL_S3QUERY_SUMMARY)."""
    formats = _formats(ctx.data_dir)
    names = ["userid", "query", "segment", "starttime", "endtime", "external_table_name", "file_format",
             "is_partitioned", "s3_scanned_rows", "s3_scanned_bytes", "s3query_returned_rows",
             "s3query_returned_bytes", "files", "total_partitions", "qualified_partitions"]
    rows = []
    for r in s3_query_summary(ctx.data_dir):
        schema, _, table = str(r["external_table_name"]).partition(".")
        rows.append((100, r["query"], r["segment"], _utc(r["starttime"]), _utc(r["endtime"]),
                     r["external_table_name"], formats.get((schema, table), ""), r["is_partitioned"],
                     r["s3_scanned_rows"], r["s3_scanned_bytes"], r["s3query_returned_rows"],
                     r["s3query_returned_bytes"], r["files"], r["total_partitions"], r["qualified_partitions"]))
    return ExtensionResult(columns=[(n, "") for n in names], rows=rows)


def _formats(data_dir: Path) -> dict[tuple[str, str], str]:
    """(external schema, table) -> Redshift's file format name"""
    catalog = Catalog(data_dir)
    names = {"parquet": "Parquet", "csv": "Text", "json": "JSON"}
    return {(schema, t.name): names.get(t.classification, t.classification)
            for schema, db in external_schemas(data_dir).items() for t in catalog.list_tables(db)}


def _utc(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC).replace(tzinfo=None)


def s3_query_summary(data_dir: Path) -> list[dict[str, Any]]:
    """The recorded SVL_S3QUERY_SUMMARY rows, oldest first."""
    return Catalog(data_dir).s3_query_summary()


def _partition_values(f: Path, root: Path, table: TableDef) -> dict[str, str]:
    if not table.partition_keys:
        return {}
    return dict(d.split("=", 1) for d in f.relative_to(root).parts[:-1] if "=" in d)


def _partition_ok(f: Path, root: Path, table: TableDef, tree: exp.Expr) -> bool:
    if not table.partition_keys:
        return True
    return _matches(_partition_values(f, root, table),
                    tree.find_all(exp.EQ, exp.In, exp.GT, exp.GTE, exp.LT, exp.LTE))


def _matches(values: dict[str, str], conds: Any) -> bool:
    """Whether a partition (its folder values) can hold rows passing the comparisons ``conds``."""
    if not values:
        return True
    for cond in conds:
        col = cond.this if isinstance(cond.this, exp.Column) else None
        if col is None or col.name.lower() not in values:
            continue
        v = values[col.name.lower()]
        if isinstance(cond, exp.In):
            lits = [e.this for e in cond.expressions if isinstance(e, exp.Literal)]
            if lits and v not in lits:
                return False
            continue
        lit = cond.expression
        if not isinstance(lit, exp.Literal):
            continue
        x: Any = lit.this
        a: Any = v
        if not lit.is_string:
            try:
                a, x = float(v), float(x)
            except ValueError:
                continue
        ok = {exp.EQ: a == x, exp.GT: a > x, exp.GTE: a >= x, exp.LT: a < x, exp.LTE: a <= x}[type(cond)]
        if not ok:
            return False
    return True


def _bytes(files: list[Path], table: TableDef, used: set[str] | None) -> int:
    if table.classification != "parquet" or used is None or not files:
        return sum(f.stat().st_size for f in files)
    import duckdb

    conn = duckdb.connect()
    try:
        listing = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
        got = conn.execute(f"SELECT lower(path_in_schema), sum(total_compressed_size) FROM parquet_metadata({listing}) "
                           "GROUP BY 1").fetchall()
    finally:
        conn.close()
    return int(sum(size for col, size in got if col in used))
