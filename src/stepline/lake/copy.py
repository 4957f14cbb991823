"""COPY ... FROM 's3://...' into a warehouse table, with rejected rows recorded, never dropped.

Rows the reader rejects (bad types, too many or too few fields) are written to the durable load
error log read by STL_LOAD_ERRORS (``load_errors``). More rejects than MAXERROR (default 0) fail
the COPY; the handler runs in the statement's transaction, so the target is left as it was.
https://docs.aws.amazon.com/redshift/latest/dg/r_COPY.html
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stepline.lake.catalog import Catalog
from stepline.lake.options import Cursor
from stepline.lake.paths import LakeError, lake_path, prefix_files, sql_ident, sql_literal
from stepline.sql.extensions import ExtensionContext, ExtensionResult

_ERRORS = """CREATE TABLE IF NOT EXISTS stl_load_errors (
  userid TEXT, slice INTEGER, tbl TEXT, starttime REAL, session INTEGER, query INTEGER, filename TEXT,
  line_number INTEGER, colname TEXT, type TEXT, col_length TEXT, position INTEGER, raw_line TEXT,
  raw_field_value TEXT, err_code INTEGER, err_reason TEXT, is_partial INTEGER, start_offset INTEGER)"""


@dataclass(frozen=True, slots=True)
class CopyOptions:
    table: tuple[str, ...]
    columns: tuple[str, ...]
    source: str
    format: str = "csv"  # csv | parquet | json
    delimiter: str = "|"  # Redshift's default for text files
    quote: str = '"'
    csv_quotes: bool = False
    ignoreheader: int = 0
    fillrecord: bool = False
    gzip: bool = False
    maxerror: int = 0
    emptyasnull: bool = False
    blanksasnull: bool = False


def parse_copy(statement: str) -> CopyOptions:
    c = Cursor(statement, "COPY")
    c.expect("COPY")
    table = c.name()
    columns: list[str] = []
    if c.accept("("):
        columns.append(c.next("word|qid").value.lower())
        while c.accept(","):
            columns.append(c.next("word|qid").value.lower())
        c.expect(")")
    c.expect("FROM")
    source = c.next("str", "an 's3://...' location").value
    o: dict[str, Any] = {}
    while not c.done():
        if c.accept("IAM_ROLE") or c.accept("CREDENTIALS") or c.accept("REGION") or c.accept("ACCESS_KEY_ID") \
                or c.accept("SECRET_ACCESS_KEY") or c.accept("SESSION_TOKEN"):
            c.accept("AS")
            c.next("str|word")
        elif c.accept("FORMAT"):
            c.accept("AS")
            fmt = c.next("word").upper
            if fmt not in ("CSV", "PARQUET", "JSON"):
                raise LakeError(f"COPY FORMAT {fmt} is not supported here (use CSV, PARQUET or JSON)")
            o["format"] = fmt.lower()
            if fmt == "CSV":
                o["csv_quotes"] = True
                o.setdefault("delimiter", ",")
            if fmt == "JSON" and c.peek() is not None and c.peek().kind == "str":  # type: ignore[union-attr]
                if c.next().value.lower() != "auto":
                    raise LakeError("COPY FORMAT JSON supports only 'auto' here")
            if c.accept("QUOTE"):
                c.accept("AS")
                o["quote"] = c.next("str").value
        elif c.accept("CSV"):
            o["format"], o["csv_quotes"] = "csv", True
            o.setdefault("delimiter", ",")
            if c.accept("QUOTE"):
                c.accept("AS")
                o["quote"] = c.next("str").value
        elif c.accept("PARQUET"):
            o["format"] = "parquet"
        elif c.accept("JSON"):
            o["format"] = "json"
            if c.peek() is not None and c.peek().kind == "str":  # type: ignore[union-attr]
                c.next()
        elif c.accept("DELIMITER"):
            c.accept("AS")
            o["delimiter"] = c.next("str").value
        elif c.accept("IGNOREHEADER"):
            c.accept("AS")
            o["ignoreheader"] = int(c.next("num", "a number").text)
        elif c.accept("MAXERROR"):
            c.accept("AS")
            o["maxerror"] = int(c.next("num", "a number").text)
        elif c.accept("FILLRECORD"):
            o["fillrecord"] = True
        elif c.accept("GZIP"):
            o["gzip"] = True
        elif c.accept("EMPTYASNULL"):
            o["emptyasnull"] = True
        elif c.accept("BLANKSASNULL"):
            o["blanksasnull"] = True
        elif c.accept("TRUNCATECOLUMNS") or c.accept("ACCEPTINVCHARS") or c.accept("COMPUPDATE") \
                or c.accept("STATUPDATE") or c.accept("TIMEFORMAT") or c.accept("DATEFORMAT"):
            c.accept("AS")
            if c.peek() is not None and c.peek().kind in ("str", "word") and c.peek().upper in (  # type: ignore[union-attr]
                    "ON", "OFF", "TRUE", "FALSE") or (c.peek() is not None and c.peek().kind == "str"):  # type: ignore[union-attr]
                c.next()
        else:
            raise c.error("unknown COPY option")
    return CopyOptions(table, tuple(columns), source, **o)


def _target_columns(ctx: ExtensionContext, table: tuple[str, ...]) -> list[tuple[str, str]]:
    """(column, type) of the target table; on PostgreSQL the type is its ``format_type`` text."""
    if ctx.dialect == "postgres":
        rows = ctx.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            [".".join(sql_ident(p) for p in table)]).fetchall()
    else:
        schema, name = (table[-2], table[-1]) if len(table) >= 2 else (None, table[-1])
        sql = ("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?"
               + (" AND table_schema = ?" if schema else " AND table_schema = current_schema()")
               + " ORDER BY ordinal_position")
        rows = ctx.execute(sql, [name, schema] if schema else [name]).fetchall()
    if not rows:
        raise LakeError(f"relation \"{'.'.join(table)}\" does not exist")
    return [(str(r[0]), str(r[1])) for r in rows]


_PG_TO_DUCK = {"smallint": "SMALLINT", "integer": "INTEGER", "bigint": "BIGINT", "real": "FLOAT",
               "double precision": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
               "timestamp without time zone": "TIMESTAMP", "timestamp with time zone": "TIMESTAMPTZ",
               "time without time zone": "TIME"}
_PG_CHAR = re.compile(r"^(character varying|character|bpchar)(?:\((\d+)\))?$")
_PG_NUMERIC = re.compile(r"^numeric\((\d+),(\d+)\)$")


def _duck_type(pg_type: str) -> tuple[str, int | None]:
    """The DuckDB type the files are read and validated as for a PostgreSQL column, and its length
    limit in bytes for character columns (Redshift's lengths count bytes)."""
    t = pg_type.lower()
    m = _PG_CHAR.match(t)
    if m:
        return "VARCHAR", int(m.group(2)) if m.group(2) else (None if m.group(1) == "character varying" else 1)
    m = _PG_NUMERIC.match(t)
    if m:  # wider numerics are parsed by the server from their text
        return (f"DECIMAL({m.group(1)},{m.group(2)})" if int(m.group(1)) <= 38 else "VARCHAR"), None
    return _PG_TO_DUCK.get(t, "VARCHAR"), None


def _record(data_dir: Path, rows: list[tuple]) -> None:
    db = sqlite3.connect(Path(data_dir) / "catalog.sqlite", timeout=30)
    try:
        with db:
            db.execute(_ERRORS)
            db.executemany(f"INSERT INTO stl_load_errors VALUES ({', '.join('?' * 18)})", rows)
    finally:
        db.close()


def load_errors(data_dir: Path) -> list[dict[str, Any]]:
    """The recorded STL_LOAD_ERRORS rows, oldest first (they survive the failed COPY's rollback)."""
    Catalog(data_dir)
    db = sqlite3.connect(Path(data_dir) / "catalog.sqlite", timeout=30)
    try:
        db.execute(_ERRORS)
        cur = db.execute("SELECT * FROM stl_load_errors ORDER BY starttime, line_number")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        db.close()


def load_error_rows(ctx: ExtensionContext, view: str) -> ExtensionResult:
    """The recorded rejects as rows of ``stepline_sys.load_errors`` (STL_LOAD_ERRORS)."""
    names = ["userid", "slice", "table_name", "starttime", "session", "query", "filename", "line_number",
             "colname", "type", "col_length", "position", "raw_line", "raw_field_value", "err_code",
             "err_reason", "is_partial", "start_offset", "user_name"]
    rows = []
    for r in load_errors(ctx.data_dir):
        start = dt.datetime.fromtimestamp(r["starttime"], dt.UTC).replace(tzinfo=None) if r["starttime"] else None
        rows.append((100, r["slice"], r["tbl"], start, r["session"], r["query"], r["filename"], r["line_number"],
                     r["colname"], r["type"], r["col_length"], r["position"], r["raw_line"], r["raw_field_value"],
                     r["err_code"], r["err_reason"], r["is_partial"], r["start_offset"], r["userid"]))
    return ExtensionResult(columns=[(n, "") for n in names], rows=rows)


def copy(ctx: ExtensionContext, statement: str) -> ExtensionResult:
    """Run a Redshift COPY in the statement's transaction; returns the rows loaded.

    On DuckDB the warehouse reads the files itself. On PostgreSQL an in-process DuckDB reads and
    validates them with the same readers, and the accepted rows stream to the server through
    ``COPY ... FROM STDIN``; a failure rolls the statement's transaction back, so the table is
    left as it was.
    """
    if ctx.dialect not in ("duckdb", "postgres"):
        raise LakeError(f"COPY is not supported on this warehouse ({ctx.dialect})")
    o = parse_copy(statement)
    files = [str(f) for f in prefix_files(o.source, ctx.data_dir)]
    target = _target_columns(ctx, o.table)
    if o.columns:
        known = {c for c, _ in target}
        bad = [c for c in o.columns if c not in known]
        if bad:
            raise LakeError(f"column \"{bad[0]}\" of relation \"{o.table[-1]}\" does not exist")
        types = dict(target)
        target = [(c, types[c]) for c in o.columns]
    table_sql = ".".join(sql_ident(p) for p in o.table)
    cols_sql = ", ".join(sql_ident(c) for c, _ in target)
    listing = "[" + ", ".join(sql_literal(f) for f in files) + "]"
    if ctx.dialect == "duckdb":
        def sink(select: str, rejects: list[tuple]) -> int:
            return _count(ctx.execute(f"INSERT INTO {table_sql} ({cols_sql}) {select}"))
        return _copy_with(ctx, ctx, o, files, listing, target, sink)
    import duckdb

    duck = duckdb.connect()
    try:
        duck.execute("SET enable_progress_bar = false")
        typed = [(c, *_duck_type(t)) for c, t in target]
        sink = _postgres_sink(ctx, duck, o, table_sql, cols_sql, [(c, n) for c, _, n in typed])
        try:
            return _copy_with(ctx, duck, o, files, listing, [(c, d) for c, d, _ in typed], sink)
        except duckdb.Error as e:
            raise LakeError(f"Load into table '{o.table[-1]}' failed: {str(e).splitlines()[0][:300]}") from None
    finally:
        duck.close()


Sink = Callable[[str, list[tuple]], int]


def _copy_with(ctx: ExtensionContext, reader: Any, o: CopyOptions, files: list[str], listing: str,
               target: list[tuple[str, str]], sink: Sink) -> ExtensionResult:
    if o.format == "parquet":
        return _copy_parquet(reader, o, files, listing, target, sink)
    return _copy_text(ctx, reader, o, listing, target, sink)


def _postgres_sink(ctx: ExtensionContext, duck: Any, o: CopyOptions, table_sql: str, cols_sql: str,
                   limits: list[tuple[str, int | None]]) -> Sink:
    """Streams a DuckDB SELECT's rows into the PostgreSQL table; character values longer than their
    column are rejected (Redshift's error 1204) into ``rejects``, not sent."""
    import psycopg
    import pyarrow.compute as pc

    from stepline.sql.backends.postgres import copy_arrow_in, raw_connection

    con = raw_connection(ctx.execute("SELECT 1"))
    bounded = [(i, c, n) for i, (c, n) in enumerate(limits) if n is not None]

    def sink(select: str, rejects: list[tuple]) -> int:
        def batches() -> Any:
            for batch in duck.execute(select).to_arrow_reader(100_000):
                ctx.check_cancelled()
                too_long = None
                for i, c, n in bounded:
                    over = pc.fill_null(pc.greater(pc.binary_length(batch.column(i)), n), False)
                    for row in pc.indices_nonzero(over).to_pylist():
                        value = batch.column(i)[row].as_py()
                        rejects.append((o.source, 0, c, "length", value, "String length exceeds DDL length "
                                        f"(column {c} holds {n} bytes, the value has {len(value.encode())})"))
                    too_long = over if too_long is None else pc.or_(too_long, over)
                yield batch if too_long is None else batch.filter(pc.invert(too_long))

        try:
            return copy_arrow_in(con, table_sql, cols_sql, batches())
        except psycopg.Error as e:
            raise LakeError(f"Load into table '{o.table[-1]}' failed: "
                            f"{str(e).strip().splitlines()[0][:300]}") from None

    return sink


_NUMERIC = ("INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "DOUBLE", "FLOAT", "REAL", "DECIMAL", "UBIGINT")


def _copy_parquet(reader: Any, o: CopyOptions, files: list[str], listing: str,
                  target: list[tuple[str, str]], sink: Sink) -> ExtensionResult:
    # columns map by position (https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html)
    hive = "true" if any("=" in Path(f).parent.name for f in files) else "false"
    scan = f"read_parquet({listing}, hive_partitioning = {hive}, hive_types_autocast = false, union_by_name = true)"
    desc = [(str(r[0]), str(r[1])) for r in reader.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
    if len(desc) > len(target) or (len(desc) < len(target) and not o.fillrecord):
        raise LakeError(f"COPY into \"{o.table[-1]}\" failed: the Parquet files have {len(desc)} columns and the "
                        f"table has {len(target)}; incompatible Parquet schema (columns map by position)")
    for (fcol, ftype), (tcol, ttype) in zip(desc, target, strict=False):
        if ftype.upper() in ("VARCHAR", "BLOB") and ttype.upper().startswith(_NUMERIC + ("DATE", "TIMESTAMP", "BOOLEAN")):
            raise LakeError(f"COPY into \"{o.table[-1]}\" failed: incompatible Parquet schema for column '{tcol}': "
                            f"file column '{fcol}' is {ftype}, table column is {ttype}")
        if ftype.upper().startswith(_NUMERIC) and ttype.upper() in ("DATE", "TIMESTAMP"):
            raise LakeError(f"COPY into \"{o.table[-1]}\" failed: incompatible Parquet schema for column '{tcol}': "
                            f"file column '{fcol}' is {ftype}, table column is {ttype}")
    select = ", ".join(f"CAST({sql_ident(f)} AS {t})" for (f, _), (_, t) in zip(desc, target, strict=False))
    select += "".join(f", CAST(NULL AS {t})" for _, t in target[len(desc):])
    rejects: list[tuple] = []
    loaded = sink(f"SELECT {select} FROM {scan}", rejects)
    if rejects:  # a value its column cannot hold fails a columnar COPY as a whole
        _, _, col, _, value, reason = rejects[0]
        raise LakeError(f"Load into table '{o.table[-1]}' failed: column '{col}': {reason}: '{str(value)[:100]}'")
    return ExtensionResult(rowcount=loaded)


def _count(cur: Any) -> int:
    row = cur.fetchone() if cur is not None else None
    return int(row[0]) if row else 0


def _copy_text(ctx: ExtensionContext, reader: Any, o: CopyOptions, listing: str,
               target: list[tuple[str, str]], sink: Sink) -> ExtensionResult:
    spec = "{" + ", ".join(f"{sql_literal(c)}: {sql_literal(t)}" for c, t in target) + "}"
    tag = f"stepline_copy_{int(time.time() * 1000) % 10**9}"
    if o.format == "json":
        scan = f"read_json({listing}, format = 'newline_delimited', columns = {spec})"
        return ExtensionResult(rowcount=sink(f"SELECT * FROM {scan}", []))
    quote = sql_literal(o.quote if o.csv_quotes else "")
    escape = sql_literal(o.quote if o.csv_quotes else "\\")
    scan = (f"read_csv({listing}, columns = {spec}, header = false, skip = {o.ignoreheader}, "
              f"delim = {sql_literal(o.delimiter)}, quote = {quote}, escape = {escape}, auto_detect = false, "
              f"null_padding = {str(o.fillrecord).lower()}, compression = {'gzip' if o.gzip else 'auto'}, "
              f"store_rejects = true, rejects_table = '{tag}_errors', rejects_scan = '{tag}_scans', "
              f"strict_mode = true, hive_partitioning = false, filename = false)")
    ctx.check_cancelled()
    too_long: list[tuple] = []
    loaded = sink(f"SELECT * FROM {scan}", too_long)
    rejects = reader.execute(
        f"SELECT s.file_path, e.line, e.column_name, e.error_type, e.csv_line, e.error_message "
        f"FROM {tag}_errors e JOIN {tag}_scans s USING (scan_id, file_id) ORDER BY s.file_path, e.line").fetchall() + too_long
    reader.execute(f"DROP TABLE IF EXISTS {tag}_errors")
    reader.execute(f"DROP TABLE IF EXISTS {tag}_scans")
    if rejects:
        now = time.time()
        lake = str(lake_path("s3://x", ctx.data_dir).parent)
        _record(ctx.data_dir, [
            (getattr(ctx, "user", ""), 0, ".".join(o.table), now, 0, getattr(ctx, "query_id", 0),
             "s3://" + str(f)[len(lake) + 1:] if str(f).startswith(lake) else str(f), line,
             (col or "").strip('"'), "", "", 0, (raw or "")[:1024], "", 1204 if kind == "length" else 1200 + i % 10, (reason or kind or "")[:512],
             0, 0)
            for i, (f, line, col, kind, raw, reason) in enumerate(rejects)])
    if len(rejects) > o.maxerror:
        f, line, col, _, _, reason = rejects[0]
        raise LakeError(f"Load into table '{o.table[-1]}' failed.  Check 'stl_load_errors' system table for details. "
                        f"({len(rejects)} rejected rows, MAXERROR {o.maxerror}; first: line {line}"
                        f"{', column ' + str(col) if col else ''}: {str(reason).splitlines()[0][:200]})")
    messages = [f"Load into table '{o.table[-1]}' completed, {loaded} record(s) loaded successfully."]
    if rejects:
        messages.append(f"Load into table '{o.table[-1]}' completed, {len(rejects)} record(s) could not be loaded. "
                        "Check 'stl_load_errors' system table for details.")
    return ExtensionResult(rowcount=loaded, messages=messages)
