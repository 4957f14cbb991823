"""COPY ... FROM 's3://...' into a warehouse table, with rejected rows recorded, never dropped.

Text (CSV and delimited) and JSON files are read as text by DuckDB, then every field is converted
to its column's type as Redshift's COPY converts it: empty and blank fields, the NULL AS marker,
EMPTYASNULL, BLANKSASNULL, TRIMBLANKS, DATEFORMAT/TIMEFORMAT, ACCEPTANYDATE, ROUNDEC, and
character lengths counted in bytes (TRUNCATECOLUMNS cuts instead of rejecting). With ESCAPE,
REMOVEQUOTES or ACCEPTINVCHARS the files are first rewritten in Python. Rows whose fields
cannot be converted, and rows the reader rejects (too many or too few fields, bad quoting,
invalid UTF-8, blank lines), are written to the durable load error log read by STL_LOAD_ERRORS
(``load_errors``) with Redshift's error codes. More rejects than MAXERROR (default 0) fail the
COPY; the handler runs in the statement's transaction, so the target is left as it was.
Options this warehouse cannot honour fail the COPY with an error naming them.
https://docs.aws.amazon.com/redshift/latest/dg/r_COPY.html
https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-conversion.html
https://docs.aws.amazon.com/redshift/latest/dg/r_Load_Error_Reference.html
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import re
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
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

# Options Redshift has that this warehouse does not implement: naming one fails the COPY.
_UNSUPPORTED = ("EXPLICIT_IDS", "FIXEDWIDTH", "AVRO", "ORC",
                "BZIP2", "LZOP", "ZSTD", "MANIFEST", "NOLOAD", "ENCRYPTED", "READRATIO", "SHAPEFILE",
                "SIMPLIFY", "IGNOREALLERRORS", "SSH", "COMPROWS", "JSONPATHS", "SERIALIZETOJSON")
# Options that only change how a text file is read: not valid with PARQUET.
_TEXT_ONLY = ("delimiter", "ignoreheader", "null_as", "emptyasnull", "blanksasnull", "trimblanks",
              "dateformat", "timeformat", "acceptanydate", "ignoreblanklines", "roundec", "csv_quotes",
              "acceptinvchars")


@dataclass(frozen=True, slots=True)
class CopyOptions:
    table: tuple[str, ...]
    columns: tuple[str, ...]
    source: str
    format: str = "csv"  # csv (CSV and delimited text) | parquet | json
    delimiter: str = "|"  # Redshift's default for text files
    quote: str = '"'
    csv_quotes: bool = False
    ignoreheader: int = 0
    fillrecord: bool = False
    gzip: bool = False
    maxerror: int = 0
    null_as: str = "\\N"  # NULL AS: an unquoted field equal to it loads as NULL
    emptyasnull: bool = False
    blanksasnull: bool = False
    trimblanks: bool = False
    truncatecolumns: bool = False
    acceptanydate: bool = False
    dateformat: str | None = None  # None: 'YYYY-MM-DD'; 'auto'; or a Redshift format string
    timeformat: str | None = None  # None: 'YYYY-MM-DD HH:MI:SS'; 'auto'; 'epochsecs'; 'epochmillisecs'; a format
    ignoreblanklines: bool = False
    roundec: bool = False
    acceptinvchars: str | None = None  # the replacement character for each invalid UTF-8 byte
    escape: bool = False  # delimited text: a backslash makes the next character literal
    removequotes: bool = False  # delimited text: quotes around a field are removed, delimiters inside kept

    @property
    def prepared(self) -> bool:
        """Whether the files are rewritten (decoded, unescaped, unquoted) before DuckDB reads them."""
        return self.escape or self.removequotes or self.acceptinvchars is not None


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
        word = c.peek().upper  # type: ignore[union-attr]
        if c.accept("IAM_ROLE") or c.accept("CREDENTIALS") or c.accept("REGION") or c.accept("ACCESS_KEY_ID") \
                or c.accept("SECRET_ACCESS_KEY") or c.accept("SESSION_TOKEN"):
            c.accept("AS")
            c.next("str|word")
        elif c.accept("FORMAT"):
            c.accept("AS")
            fmt = c.next("word").upper
            if fmt in _UNSUPPORTED:
                raise LakeError(f"COPY option FORMAT {fmt} is not supported on this warehouse "
                                "(use CSV, PARQUET, JSON or delimited text)")
            if fmt not in ("CSV", "PARQUET", "JSON"):
                raise LakeError(f"COPY FORMAT {fmt} is not supported here (use CSV, PARQUET or JSON)")
            o["format"] = fmt.lower()
            if fmt == "CSV":
                o["csv_quotes"] = True
                o.setdefault("delimiter", ",")
            if fmt == "JSON":
                _json_option(c)
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
            _json_option(c)
        elif c.accept("DELIMITER"):
            c.accept("AS")
            o["delimiter"] = c.next("str").value
        elif c.accept("IGNOREHEADER"):
            c.accept("AS")
            o["ignoreheader"] = int(c.next("num", "a number").text)
        elif c.accept("MAXERROR"):
            c.accept("AS")
            o["maxerror"] = int(c.next("num", "a number").text)
        elif c.accept("NULL"):
            c.accept("AS")
            o["null_as"] = c.next("str", "a quoted null string").value
        elif c.accept("DATEFORMAT") or c.accept("TIMEFORMAT"):
            c.accept("AS")
            value = c.next("str", f"a quoted {word} string").value
            key = word.lower()
            o[key] = value
            if key == "dateformat" and value in ("epochsecs", "epochmillisecs"):
                raise LakeError(f"COPY DATEFORMAT '{value}' is not valid (epoch formats are TIMEFORMAT values)")
            if value.lower() == "auto" and value != "auto":
                raise LakeError(f"COPY {word} 'auto' is case-sensitive: write 'auto'")
            if value not in ("auto", "epochsecs", "epochmillisecs"):
                _strptime(value, word)  # fails now on a format this warehouse cannot read
        elif c.accept("ENCODING"):
            c.accept("AS")
            enc = c.next("word|str", "an encoding").value.upper()
            if enc not in ("UTF8", "UTF-8"):
                raise LakeError(f"COPY option ENCODING {enc} is not supported on this warehouse (only UTF8)")
        elif c.accept("ACCEPTINVCHARS"):
            c.accept("AS")
            nxt = c.peek()
            char = c.next().value if nxt is not None and nxt.kind == "str" else "?"
            if len(char) != 1 or not char.isascii() or char == "\0":
                raise LakeError("COPY ACCEPTINVCHARS replacement must be a single ASCII character other than NUL")
            o["acceptinvchars"] = char
        elif c.accept("COMPUPDATE") or c.accept("STATUPDATE"):
            # they choose compression encodings and refresh planner statistics: nothing to load differently
            nxt = c.peek()
            if nxt is not None and nxt.upper in ("ON", "OFF", "TRUE", "FALSE", "PRESET"):
                c.next()
        elif word in ("FILLRECORD", "GZIP", "EMPTYASNULL", "BLANKSASNULL", "TRIMBLANKS", "TRUNCATECOLUMNS",
                      "ACCEPTANYDATE", "IGNOREBLANKLINES", "ROUNDEC", "ESCAPE", "REMOVEQUOTES"):
            c.next()
            o[word.lower()] = True
        elif word in _UNSUPPORTED:
            raise LakeError(f"COPY option {word} is not supported on this warehouse")
        else:
            raise c.error("unknown COPY option")
    if o.get("format") == "parquet":
        given = [k for k in _TEXT_ONLY if k in o and k != "csv_quotes"]
        if given:
            raise LakeError(f"COPY option {given[0].upper().replace('NULL_AS', 'NULL AS')} is not valid "
                            "with FORMAT PARQUET")
    if o.get("format") == "json":
        given = [k for k in ("delimiter", "ignoreheader", "null_as", "fillrecord", "ignoreblanklines") if k in o]
        if given:
            raise LakeError(f"COPY option {given[0].upper().replace('NULL_AS', 'NULL AS')} is not valid "
                            "with FORMAT JSON")
    for word in ("escape", "removequotes"):
        if o.get(word) and (o.get("csv_quotes") or o.get("format") in ("json", "parquet")):
            fmt = "CSV" if o.get("csv_quotes") else str(o.get("format")).upper()
            raise LakeError(f"COPY option {word.upper()} cannot be used with {fmt}")
    if len(o.get("delimiter", "|")) != 1:
        raise LakeError("COPY DELIMITER must be a single character")
    if "\n" in o.get("null_as", "") or "\r" in o.get("null_as", ""):
        raise LakeError("COPY NULL AS cannot contain a newline")
    return CopyOptions(table, tuple(columns), source, **o)


def _json_option(c: Cursor) -> None:
    nxt = c.peek()
    if nxt is not None and nxt.kind == "str":
        value = c.next().value
        if value.lower() != "auto":
            raise LakeError("COPY option JSON with a JSONPaths file is not supported on this warehouse "
                            "(use JSON 'auto')")


# Redshift DATEFORMAT/TIMEFORMAT elements -> strptime, longest first
# (https://docs.aws.amazon.com/redshift/latest/dg/r_DATEFORMAT_and_TIMEFORMAT_strings.html)
_FORMAT_ELEMENTS = (("YYYY", "%Y"), ("YY", "%y"), ("MONTH", "%B"), ("MON", "%b"), ("MM", "%m"), ("MI", "%M"),
                    ("DDD", "%j"), ("DD", "%d"), ("HH24", "%H"), ("HH12", "%I"), ("HH", "%H"),
                    ("SS", "%S"), ("AM", "%p"), ("PM", "%p"), ("OF", "%z"), ("TZH", "%z"))


def _strptime(fmt: str, what: str) -> str:
    out, i, upper = [], 0, fmt.upper()
    while i < len(fmt):
        for element, code in _FORMAT_ELEMENTS:
            if upper.startswith(element, i):
                out.append(code)
                i += len(element)
                break
        else:
            ch = fmt[i]
            if ch.isalpha():
                raise LakeError(f"COPY {what} '{fmt}': the element at '{fmt[i:]}' is not supported on this warehouse")
            out.append("%%" if ch == "%" else ch)
            i += 1
    return "".join(out)


# 'auto' recognition: the formats of
# https://docs.aws.amazon.com/redshift/latest/dg/automatic-recognition.html that a cast does not read
_AUTO_DATES = ("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%d %b %Y", "%b %d %Y",
               "%b %d, %Y", "%d-%b-%Y", "%B %d, %Y", "%d %B %Y", "%m/%d/%y", "%Y-%m-%dT%H:%M:%S")
_AUTO_TIMES = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%Y/%m/%d %H:%M:%S", "%Y%m%d %H:%M:%S",
               "%Y%m%d%H%M%S", "%d %b %Y %H:%M:%S", "%b %d %Y %H:%M:%S", "%d-%b-%Y %H:%M:%S",
               "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%m/%d/%Y %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S.%f")


@dataclass(frozen=True, slots=True)
class Column:
    """A target column as COPY converts into it."""

    name: str
    kind: str  # varchar char int2 int4 int8 numeric float4 float8 bool date timestamp timestamptz time other
    duck: str  # the DuckDB type of the converted value
    length: int | None = None  # character columns: the declared length in bytes
    precision: int = 18
    scale: int = 0

    @property
    def character(self) -> bool:
        return self.kind in ("varchar", "char")

    @property
    def redshift_type(self) -> str:  # STL_LOAD_ERRORS.type
        return {"varchar": "varchar", "char": "char", "float4": "float4", "float8": "float8", "bool": "bool",
                "numeric": "numeric", "date": "date", "timestamp": "timestamp", "timestamptz": "timestamptz",
                "time": "time"}.get(self.kind, self.kind if self.kind.startswith("int") else "unknown")

    @property
    def col_length(self) -> str:  # STL_LOAD_ERRORS.col_length
        if self.character:
            return str(self.length) if self.length is not None else "0"
        return f"{self.precision},{self.scale}" if self.kind == "numeric" else "0"


_CHAR = re.compile(r"^(character varying|varchar|nvarchar|text|character|char|nchar|bpchar)(?:\s*\((\d+)\))?$")
_DECIMAL = re.compile(r"^(?:numeric|decimal)(?:\((\d+),\s*(\d+)\))?$")
_SIMPLE = {"smallint": ("int2", "SMALLINT"), "int2": ("int2", "SMALLINT"), "integer": ("int4", "INTEGER"),
           "int": ("int4", "INTEGER"), "int4": ("int4", "INTEGER"), "bigint": ("int8", "BIGINT"),
           "int8": ("int8", "BIGINT"), "real": ("float4", "FLOAT"), "float": ("float4", "FLOAT"),
           "float4": ("float4", "FLOAT"), "double precision": ("float8", "DOUBLE"), "double": ("float8", "DOUBLE"),
           "float8": ("float8", "DOUBLE"), "boolean": ("bool", "BOOLEAN"), "bool": ("bool", "BOOLEAN"),
           "date": ("date", "DATE"), "timestamp": ("timestamp", "TIMESTAMP"),
           "timestamp without time zone": ("timestamp", "TIMESTAMP"),
           "timestamp with time zone": ("timestamptz", "TIMESTAMPTZ"), "timestamptz": ("timestamptz", "TIMESTAMPTZ"),
           "time": ("time", "TIME"), "time without time zone": ("time", "TIME")}


def column_for(name: str, type_text: str, backend: str) -> Column:
    """The COPY view of a column from its type's text (PostgreSQL's ``format_type``, DuckDB's
    ``data_type``, or the Redshift type the statement service recorded for it)."""
    t = type_text.strip().lower()
    m = _CHAR.match(t)
    if m:
        kind = "char" if m.group(1) in ("character", "char", "nchar", "bpchar") else "varchar"
        length = int(m.group(2)) if m.group(2) else (1 if kind == "char" and m.group(1) != "bpchar" else None)
        return Column(name, kind, "VARCHAR", length)
    m = _DECIMAL.match(t)
    if m:
        p, s = (int(m.group(1)), int(m.group(2))) if m.group(1) else (18, 0)
        if m.group(1) is None and backend == "postgres":  # unconstrained numeric: the server parses it
            return Column(name, "other", "VARCHAR")
        if p > 38:  # wider than DuckDB's DECIMAL: the server parses it from its text
            return Column(name, "other", "VARCHAR")
        return Column(name, "numeric", f"DECIMAL({p},{s})", precision=p, scale=s)
    if t in _SIMPLE:
        kind, duck = _SIMPLE[t]
        return Column(name, kind, duck)
    # anything else: the text goes to the backend, which converts it (a failure fails the COPY)
    return Column(name, "other", type_text.upper() if backend == "duckdb" else "VARCHAR")


def _target_columns(ctx: ExtensionContext, table: tuple[str, ...]) -> list[Column]:
    """The target table's columns. PostgreSQL keeps declared lengths in its catalog; DuckDB does not,
    so there the Redshift types the statement service recorded at CREATE TABLE give them."""
    if ctx.dialect == "postgres":
        rows = ctx.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            [".".join(sql_ident(p) for p in table)]).fetchall()
        if not rows:
            raise LakeError(f"relation \"{'.'.join(table)}\" does not exist")
        return [column_for(str(n), str(t), "postgres") for n, t in rows]
    schema, name = (table[-2], table[-1]) if len(table) >= 2 else (None, table[-1])
    if schema is None:
        schema = str(ctx.execute("SELECT current_schema()").fetchone()[0])
    rows = ctx.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                       "AND table_schema = ? ORDER BY ordinal_position", [name, schema]).fetchall()
    if not rows:
        raise LakeError(f"relation \"{'.'.join(table)}\" does not exist")
    recorded: dict[str, str] = {}
    if ctx.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'stepline_sys' "
                   "AND table_name = 'column_attributes'").fetchone()[0]:
        recorded = {str(c): str(t) for c, t in ctx.execute(
            "SELECT column_name, redshift_type FROM stepline_sys.column_attributes "
            "WHERE schema_name = ? AND table_name = ?", [schema, name]).fetchall()}
    out = []
    for n, t in rows:
        declared = recorded.get(str(n))
        character = declared is not None and _CHAR.match(declared.lower()) and str(t).upper() == "VARCHAR"
        out.append(column_for(str(n), declared if character else str(t), "duckdb"))
    return out
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
    converts them with the same SQL, and the accepted rows stream to the server through
    ``COPY ... FROM STDIN``; a failure rolls the statement's transaction back, so the table is
    left as it was.
    """
    if ctx.dialect not in ("duckdb", "postgres"):
        raise LakeError(f"COPY is not supported on this warehouse ({ctx.dialect})")
    o = parse_copy(statement)
    files = [str(f) for f in prefix_files(o.source, ctx.data_dir)]
    target = _target_columns(ctx, o.table)
    if o.columns:
        by_name = {c.name: c for c in target}
        bad = [c for c in o.columns if c not in by_name]
        if bad:
            raise LakeError(f"column \"{bad[0]}\" of relation \"{o.table[-1]}\" does not exist")
        target = [by_name[c] for c in o.columns]
    table_sql = ".".join(sql_ident(p) for p in o.table)
    cols_sql = ", ".join(sql_ident(c.name) for c in target)
    if ctx.dialect == "duckdb":
        def sink(select: str) -> int:
            return _count(ctx.execute(f"INSERT INTO {table_sql} ({cols_sql}) {select}"))
        return _copy_with(ctx, ctx, o, files, target, sink)
    import duckdb

    duck = duckdb.connect()
    try:
        duck.execute("SET enable_progress_bar = false")
        sink = _postgres_sink(ctx, duck, o, table_sql, cols_sql)
        try:
            return _copy_with(ctx, duck, o, files, target, sink)
        except duckdb.Error as e:
            raise LakeError(f"Load into table '{o.table[-1]}' failed: {str(e).splitlines()[0][:300]}") from None
    finally:
        duck.close()


Sink = Callable[[str], int]


def _copy_with(ctx: ExtensionContext, reader: Any, o: CopyOptions, files: list[str], target: list[Column],
               sink: Sink) -> ExtensionResult:
    if o.format == "parquet":
        return _copy_parquet(reader, o, files, target, sink)
    return _copy_text(ctx, reader, o, files, target, sink)


def _postgres_sink(ctx: ExtensionContext, duck: Any, o: CopyOptions, table_sql: str, cols_sql: str) -> Sink:
    """Streams a DuckDB SELECT's rows (already converted and checked) into the PostgreSQL table."""
    import psycopg

    from stepline.sql.backends.postgres import copy_arrow_in, raw_connection

    con = raw_connection(ctx.execute("SELECT 1"))

    def sink(select: str) -> int:
        def batches() -> Any:
            for batch in duck.execute(select).to_arrow_reader(100_000):
                ctx.check_cancelled()
                yield batch

        try:
            return copy_arrow_in(con, table_sql, cols_sql, batches())
        except psycopg.Error as e:
            raise LakeError(f"Load into table '{o.table[-1]}' failed: "
                            f"{str(e).strip().splitlines()[0][:300]}") from None

    return sink


_NUMERIC = ("INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "DOUBLE", "FLOAT", "REAL", "DECIMAL", "UBIGINT")


def _fit_bytes(value: str, n: int) -> str:
    """``value`` cut to at most ``n`` bytes of UTF-8 without splitting a character (TRUNCATECOLUMNS):
    the longest prefix whose byte length fits, found bit by bit."""
    step = "lambda k, b: CASE WHEN strlen(left({v}, k + (1 << b))) <= {n} THEN k + (1 << b) ELSE k END"
    return (f"CASE WHEN strlen({value}) > {n} THEN left({value}, list_reduce(range({max(n, 1).bit_length()}, -1, -1), "
            f"{step.format(v=value, n=n)}, 0)) ELSE {value} END")


def _copy_parquet(reader: Any, o: CopyOptions, files: list[str], target: list[Column],
                  sink: Sink) -> ExtensionResult:
    # columns map by position (https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html)
    listing = "[" + ", ".join(sql_literal(f) for f in files) + "]"
    hive = "true" if any("=" in Path(f).parent.name for f in files) else "false"
    scan = f"read_parquet({listing}, hive_partitioning = {hive}, hive_types_autocast = false, union_by_name = true)"
    desc = [(str(r[0]), str(r[1])) for r in reader.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
    if len(desc) > len(target) or (len(desc) < len(target) and not o.fillrecord):
        raise LakeError(f"COPY into \"{o.table[-1]}\" failed: the Parquet files have {len(desc)} columns and the "
                        f"table has {len(target)}; incompatible Parquet schema (columns map by position)")
    for (fcol, ftype), col in zip(desc, target, strict=False):
        ttype = col.duck.upper()
        if ftype.upper() in ("VARCHAR", "BLOB") and ttype.startswith(_NUMERIC + ("DATE", "TIMESTAMP", "BOOLEAN")):
            raise LakeError(f"COPY into \"{o.table[-1]}\" failed: incompatible Parquet schema for column "
                            f"'{col.name}': file column '{fcol}' is {ftype}, table column is {ttype}")
        if ftype.upper().startswith(_NUMERIC) and ttype in ("DATE", "TIMESTAMP"):
            raise LakeError(f"COPY into \"{o.table[-1]}\" failed: incompatible Parquet schema for column "
                            f"'{col.name}': file column '{fcol}' is {ftype}, table column is {ttype}")
    exprs = []
    for (fcol, _), col in zip(desc, target, strict=False):
        value = f"CAST({sql_ident(fcol)} AS {col.duck})"
        if col.character and col.length is not None:
            if o.truncatecolumns:
                value = _fit_bytes(value, col.length)
            else:  # a value its column cannot hold fails a columnar COPY as a whole
                long = reader.execute(f"SELECT {value} FROM {scan} WHERE strlen({value}) > {col.length} "
                                      "LIMIT 1").fetchone()
                if long is not None:
                    raise LakeError(f"Load into table '{o.table[-1]}' failed: column '{col.name}': String length "
                                    f"exceeds DDL length (column {col.name} holds {col.length} bytes, the value "
                                    f"has {len(long[0].encode())}): '{long[0][:100]}'")
        exprs.append(value)
    exprs += [f"CAST(NULL AS {col.duck})" for col in target[len(desc):]]
    return ExtensionResult(rowcount=sink(f"SELECT {', '.join(exprs)} FROM {scan}"))


def _count(cur: Any) -> int:
    row = cur.fetchone() if cur is not None else None
    return int(row[0]) if row else 0


# --- text and JSON: read every field as text, convert it as Redshift does ---------------------------

_BLANK = r"'\s*'"
_TRUE = "('t', 'true', 'y', 'yes', '1', 'on')"
_FALSE = "('f', 'false', 'n', 'no', '0', 'off')"


def _clean(col: Column, raw: str, o: CopyOptions) -> str:
    """The field's text after the empty/blank/NULL AS rules, NULL when it loads as NULL. ``raw`` is
    NULL only for a field FILLRECORD added (text) or a JSON null or missing key."""
    text = o.format == "csv"
    marker = f" WHEN {raw} = {sql_literal(o.null_as)} THEN NULL" if text else ""
    if not col.character:  # empty and blank fields of other types always load as NULL
        return f"CASE WHEN {raw} IS NULL THEN NULL{marker} WHEN regexp_full_match({raw}, {_BLANK}) THEN NULL ELSE {raw} END"
    # FILLRECORD fills a VARCHAR with a zero-length string (NULL with EMPTYASNULL or NULL AS ''), a CHAR with NULL
    missing = "''" if text and col.kind == "varchar" and not o.emptyasnull and o.null_as != "" else "NULL"
    rules = f"CASE WHEN {raw} IS NULL THEN {missing}{marker}"
    if o.emptyasnull:
        rules += f" WHEN {raw} = '' THEN NULL"
    if o.blanksasnull:
        rules += rf" WHEN regexp_full_match({raw}, '\s+') THEN NULL"  # empty fields are EMPTYASNULL's
    kept = f"rtrim({raw})" if o.trimblanks and col.kind == "varchar" else raw
    return f"{rules} ELSE {kept} END"


def _typed(col: Column, v: str, o: CopyOptions, backend: str) -> str:
    """The converted value of the cleaned text ``v``; NULL when it does not convert."""
    t = f"trim({v})"
    k = col.kind
    # a cast reads more than Redshift's default formats do ('01/05/24' as year 1): year first
    iso = rf"regexp_matches({t}, '^\d{{4}}-\d{{1,2}}-\d{{1,2}}')"
    if col.character:
        return _fit_bytes(v, col.length) if o.truncatecolumns and col.length is not None else v
    if k in ("int2", "int4", "int8"):
        return rf"CASE WHEN regexp_full_match({t}, '[-+]?\d+') THEN TRY_CAST({t} AS {col.duck}) END"
    if k == "numeric":
        if o.roundec or col.scale < 0:
            return f"TRY_CAST({t} AS {col.duck})"
        # COPY truncates extra digits of scale unless ROUNDEC (a cast would round)
        cut = (rf"regexp_replace({t}, '^([-+]?\d*\.\d{{{col.scale}}})\d+$', '\1')" if col.scale
               else rf"regexp_replace({t}, '^([-+]?\d+)\.\d*$', '\1')")
        return f"TRY_CAST({cut} AS {col.duck})"
    if k in ("float4", "float8"):
        return f"TRY_CAST({t} AS {col.duck})"
    if k == "bool":
        return f"CASE WHEN lower({t}) IN {_TRUE} THEN true WHEN lower({t}) IN {_FALSE} THEN false END"
    if k == "date":
        fmt = o.dateformat
        if fmt is None:
            return f"CASE WHEN {iso} THEN coalesce(TRY_CAST({t} AS DATE), CAST(TRY_CAST({t} AS TIMESTAMP) AS DATE)) END"
        if fmt == "auto":
            auto = "[" + ", ".join(sql_literal(f) for f in _AUTO_DATES) + "]"
            return (f"coalesce(CASE WHEN {iso} THEN coalesce(TRY_CAST({t} AS DATE), "
                    f"CAST(TRY_CAST({t} AS TIMESTAMP) AS DATE)) END, CAST(try_strptime({t}, {auto}) AS DATE))")
        return f"CAST(try_strptime({t}, {_formats(fmt, 'DATEFORMAT')}) AS DATE)"
    if k in ("timestamp", "timestamptz"):
        fmt = o.timeformat
        if fmt in ("epochsecs", "epochmillisecs"):
            scale = 1_000_000 if fmt == "epochsecs" else 1_000
            value = (rf"CASE WHEN regexp_full_match({t}, '[-+]?\d+(\.\d+)?') THEN "
                     f"make_timestamp(CAST(CAST({t} AS DOUBLE) * {scale} AS BIGINT)) END")
        elif fmt is None:
            value = f"CASE WHEN {iso} THEN TRY_CAST({t} AS {col.duck}) END"
        elif fmt == "auto":
            auto = "[" + ", ".join(sql_literal(f) for f in _AUTO_TIMES + _AUTO_DATES) + "]"
            value = (f"coalesce(CASE WHEN {iso} THEN TRY_CAST({t} AS {col.duck}) END, "
                     f"CAST(try_strptime({t}, {auto}) AS {col.duck}))")
        else:
            value = f"try_strptime({t}, {_formats(fmt, 'TIMEFORMAT')})"
        return f"CAST({value} AS {col.duck})"
    if k == "time":
        return f"TRY_CAST({t} AS TIME)"
    # other types: DuckDB converts them here; on PostgreSQL the server does
    return f"TRY_CAST({v} AS {col.duck})" if backend == "duckdb" else v


def _formats(fmt: str, what: str) -> str:
    code = _strptime(fmt, what)
    forms = [code] + ([code + ".%f"] if code.endswith("%S") else [])
    return "[" + ", ".join(sql_literal(f) for f in forms) + "]"


def _failed(col: Column, v: str, value: str, o: CopyOptions) -> str:
    """True when the field is rejected: it has text that does not convert, or is too long."""
    if col.character:
        if col.length is None or o.truncatecolumns:
            return "false"
        return f"coalesce(strlen({v}) > {col.length}, false)"
    if o.acceptanydate and col.kind in ("date", "timestamp", "timestamptz"):
        return "false"  # ACCEPTANYDATE: a date that does not match loads as NULL
    return f"({v} IS NOT NULL AND {value} IS NULL)"


def _stages(reader_sql: str, target: list[Column], o: CopyOptions, backend: str) -> tuple[str, list[str], str]:
    """(the relation of raw fields r<i>, cleaned texts v<i> and converted values x<i>, the value
    columns, the expression of the first rejected field's index or NULL)."""
    cleaned = ", ".join(f"{_clean(c, f'r{i}', o)} AS v{i}" for i, c in enumerate(target))
    typed = ", ".join(f"{_typed(c, f'v{i}', o, backend)} AS x{i}" for i, c in enumerate(target))
    relation = f"(SELECT *, {typed} FROM (SELECT *, {cleaned} FROM {reader_sql}))"
    tests = [_failed(c, f"v{i}", f"x{i}", o) for i, c in enumerate(target)]
    first = "CASE " + " ".join(f"WHEN {x} THEN {i}" for i, x in enumerate(tests) if x != "false")
    first = first + " END" if first != "CASE " else "CAST(NULL AS INTEGER)"
    return relation, [f"x{i}" for i in range(len(target))], first


def _scan(o: CopyOptions, files: list[str], target: list[Column], *, tag: str | None, numbered: bool) -> str:
    """A relation of the files' fields as text, ``r0``..``rN`` (and ``rn``, the record's ordinal
    among those read, when ``numbered``). ``tag`` names the reader's reject tables (text files)."""
    listing = "[" + ", ".join(sql_literal(f) for f in files) + "]"
    if o.format == "json":
        spec = "{" + ", ".join(f"{sql_literal(c.name)}: 'VARCHAR'" for c in target) + "}"
        fields = ", ".join(f"{sql_ident(c.name)} AS r{i}" for i, c in enumerate(target))
        source = f"read_json({listing}, format = 'newline_delimited', columns = {spec})"
    else:
        spec = "{" + ", ".join(f"'r{i}': 'VARCHAR'" for i in range(len(target))) + "}"
        quote = sql_literal(o.quote if o.csv_quotes else "")
        # a null string no field can hold: NULL AS is applied by the conversion, so that a field
        # FILLRECORD adds (NULL) and one matching the marker stay apart
        rejects = (f"store_rejects = true, rejects_table = '{tag}_errors', rejects_scan = '{tag}_scans'"
                   if tag else "ignore_errors = true")
        source = (f"read_csv({listing}, columns = {spec}, header = false, skip = {o.ignoreheader}, "
                  f"delim = {sql_literal(o.delimiter)}, quote = {quote}, escape = {quote}, auto_detect = false, "
                  f"nullstr = {sql_literal(_NO_NULL)}, allow_quoted_nulls = false, "
                  f"null_padding = {str(o.fillrecord).lower()}, compression = {'gzip' if o.gzip else 'auto'}, "
                  f"{rejects}, strict_mode = true, hive_partitioning = false, filename = false)")
        fields = ", ".join(f"r{i}" for i in range(len(target)))
    number = "row_number() OVER () AS rn, " if numbered else ""
    return f"(SELECT {number}{fields} FROM {source})"


_NO_NULL = "\x1fstepline:no-null\x1f"


@dataclass(frozen=True, slots=True)
class Reject:
    file: str
    line: int
    column: str
    type: str
    col_length: str
    raw_line: str
    raw_value: str
    code: int
    reason: str
    position: int = 0


def _copy_text(ctx: ExtensionContext, reader: Any, o: CopyOptions, files: list[str], target: list[Column],
               sink: Sink) -> ExtensionResult:
    """One pass converts and loads the rows that convert; the rows read are counted, and only when
    some did not load are the files read again, record by record, to say which and why. A COPY with
    more rejects than MAXERROR fails, and its transaction takes the loaded rows back."""
    with tempfile.TemporaryDirectory(prefix="stepline-copy-") as work:
        sources, how = _prepare(o, files, Path(work))
        return _copy_sources(ctx, reader, o, how, sources, target, sink)


def _copy_sources(ctx: ExtensionContext, reader: Any, o: CopyOptions, how: CopyOptions, sources: list[_Source],
                  target: list[Column], sink: Sink) -> ExtensionResult:
    """``how``: the options the files to read (``_Source.read``) are read with."""
    backend = ctx.dialect
    files = [s.read for s in sources]
    tag = f"stepline_copy_{int(time.time() * 1000) % 10**9}" if how.format == "csv" else None
    relation, values, first = _stages(_scan(how, files, target, tag=tag, numbered=False), target, how, backend)
    ctx.check_cancelled()
    loaded = sink(f"SELECT {', '.join(values)} FROM {relation} WHERE ({first}) IS NULL")
    refused: dict[str, list[tuple]] = {}
    if tag:
        for path, *rest in reader.execute(
                f"SELECT s.file_path, e.line, e.column_name, e.error_type, e.csv_line, e.error_message "
                f"FROM {tag}_errors e JOIN {tag}_scans s USING (scan_id, file_id) ORDER BY s.file_path, e.line"
        ).fetchall():
            refused.setdefault(str(path), []).append(tuple(rest))
        _drop_rejects(reader, tag)
    ctx.check_cancelled()
    # every pass keeps the reader's rejects aside the same way, so that all skip the same records; the
    # count uses every field, or the reader would not decode (and validate) them
    recount = f"{tag}_n" if tag else None
    every = ", ".join(f"r{i}" for i in range(len(target)))
    read = _count(reader.execute(
        f"SELECT count(concat({every})) FROM {_scan(how, files, target, tag=recount, numbered=False)}"))
    _drop_rejects(reader, recount)
    rejects: list[Reject] = []
    unconverted = 0
    for source in sources:
        f = source.read
        bad: list[tuple] = []
        if read != loaded:  # some rows did not convert: find them, numbered as read
            ctx.check_cancelled()
            numbered = f"{tag}_f" if tag else None
            rel, _, first_f = _stages(_scan(how, [f], target, tag=numbered, numbered=True), target, how, backend)
            raws = ", ".join(f"r{i}" for i in range(len(target)))
            bad = reader.execute(f"SELECT rn, e, {raws} FROM (SELECT rn, {first_f} AS e, {raws} FROM {rel}) "
                                 "WHERE e IS NOT NULL ORDER BY rn").fetchall()
            _drop_rejects(reader, numbered)
            unconverted += len(bad)
        name = _s3_name(ctx, source.path)
        found = _file_rejects(name, f, how, target, bad, refused.get(f, []), by_record=source.starts is not None)
        rejects += _in_source(name, source, o, found)
    if read - loaded != unconverted:  # never drop a row without saying so
        raise LakeError(f"Load into table '{o.table[-1]}' failed: {read} record(s) read, {loaded} loaded and "
                        f"{unconverted} rejected do not add up")
    if rejects:
        _record_rejects(ctx, o, rejects)
    if len(rejects) > o.maxerror:
        r = rejects[0]
        raise LakeError(f"Load into table '{o.table[-1]}' failed.  Check 'stl_load_errors' system table for details. "
                        f"({len(rejects)} rejected rows, MAXERROR {o.maxerror}; first: line {r.line}"
                        f"{', column ' + r.column if r.column else ''}: {r.reason.splitlines()[0][:200]})")
    messages = [f"Load into table '{o.table[-1]}' completed, {loaded} record(s) loaded successfully."]
    if rejects:
        messages.append(f"Load into table '{o.table[-1]}' completed, {len(rejects)} record(s) could not be loaded. "
                        "Check 'stl_load_errors' system table for details.")
    return ExtensionResult(rowcount=loaded, messages=messages)


# --- ESCAPE, REMOVEQUOTES, ACCEPTINVCHARS: files rewritten before DuckDB reads them ------------------

_PREPARED_NULL = "\x1fstepline:null\x1f"  # a NULL field in a rewritten delimited file


@dataclass(slots=True)
class _Source:
    path: str  # the file in the lake (STL_LOAD_ERRORS names it)
    read: str  # the file DuckDB reads: ``path``, or its rewritten copy
    starts: list[int] | None = None  # rewritten delimited text: each written record's first line in ``path``
    rejects: list[Reject] = field(default_factory=list)  # records refused while rewriting


def _prepare(o: CopyOptions, files: list[str], work: Path) -> tuple[list[_Source], CopyOptions]:
    """The files DuckDB reads and how. ACCEPTINVCHARS alone: the text with each invalid UTF-8 byte
    replaced; ESCAPE or REMOVEQUOTES: the records rewritten as CSV (escapes resolved, quotes removed,
    the NULL AS fields marked), the header lines left out."""
    if not o.prepared:
        return [_Source(f, f) for f in files], o
    delimited = o.escape or o.removequotes
    how = (replace(o, csv_quotes=True, delimiter=",", quote='"', ignoreheader=0, gzip=False, null_as=_PREPARED_NULL)
           if delimited else replace(o, gzip=False))
    sources = []
    for n, f in enumerate(files):
        out = work / f"{n}.{'json' if o.format == 'json' else 'csv'}"
        source = _Source(f, str(out), [] if delimited else None)
        with _open(f, o, binary=True) as src, open(out, "w", encoding="utf-8", newline="") as dst:
            if delimited:
                _rewrite_delimited(src, dst, o, source)
            else:
                for raw in src:
                    dst.write(_decoded(raw, o.acceptinvchars) or "")
        sources.append(source)
    return sources, how


def _decoded(raw: bytes, replacement: str | None) -> str | None:
    """A line of the file as text; None when it is not UTF-8 and ACCEPTINVCHARS is not given."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        if replacement is None:
            return None
        # each invalid byte becomes one replacement character (a string of equal length)
        return re.sub("[\udc80-\udcff]", replacement, raw.decode("utf-8", errors="surrogateescape"))


def _rewrite_delimited(src: Any, dst: Any, o: CopyOptions, source: _Source) -> None:
    writer = csv.writer(dst, quoting=csv.QUOTE_ALL, lineterminator="\n")
    assert source.starts is not None
    pending: list[str] = []
    start, invalid, line = 0, False, 0

    def flush() -> None:
        nonlocal pending, invalid
        record = "\n".join(pending)
        pending, bad = [], invalid
        invalid = False
        if bad:
            source.rejects.append(Reject("", start, "", "", "", record[:1024], "", 1220,
                                         "String contains invalid or unsupported UTF8 codepoints"))
            return
        if record == "":
            dst.write("\n")  # a blank line, read (and numbered) as the reader reads one
            source.starts.append(start)  # type: ignore[union-attr]
            return
        try:
            fields = _split_fields(record, o)
        except ValueError as e:
            source.rejects.append(Reject("", start, "", "", "", record[:1024], "", 1216, str(e)))
            return
        writer.writerow([_PREPARED_NULL if v is None else v for v in fields])
        source.starts.append(start)  # type: ignore[union-attr]

    for raw in src:
        line += 1
        if line <= o.ignoreheader:
            continue
        text = _decoded(raw, o.acceptinvchars)
        if not pending:
            start = line
        if text is None:
            invalid, text = True, raw.decode("utf-8", errors="replace")
        body = text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text
        pending.append(body)
        trailing = len(body) - len(body.rstrip("\\"))
        if o.escape and trailing % 2 == 1 and text.endswith("\n"):
            continue  # an escaped newline: the record goes on
        flush()
    if pending:
        flush()


_SPLITTERS: dict[tuple[str, bool], tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]] = {}


def _splitters(delimiter: str, escape: bool) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    key = (delimiter, escape)
    if key not in _SPLITTERS:
        d = re.escape(delimiter)
        if escape:
            plain = re.compile(rf"(?:\\.|\\\Z|[^{d}\\])*", re.DOTALL)
            double = re.compile(r'"((?:\\.|[^"\\])*)"', re.DOTALL)
            single = re.compile(r"'((?:\\.|[^'\\])*)'", re.DOTALL)
        else:
            plain = re.compile(rf"[^{d}]*", re.DOTALL)
            double = re.compile(r'"([^"]*)"', re.DOTALL)
            single = re.compile(r"'([^']*)'", re.DOTALL)
        _SPLITTERS[key] = (plain, double, single)
    return _SPLITTERS[key]


def _split_fields(record: str, o: CopyOptions) -> list[str | None]:
    """A delimited record's fields under ESCAPE (a backslash makes the next character, even a
    delimiter, quote or newline, part of the value) and REMOVEQUOTES (quotes around a field are
    removed, delimiters inside them kept); None for a field equal to NULL AS."""
    plain, double, single = _splitters(o.delimiter, o.escape)
    out: list[str | None] = []
    pos, n = 0, len(record)
    while True:
        quoted = o.removequotes and pos < n and record[pos] in "\"'"
        if quoted:
            m = (double if record[pos] == '"' else single).match(record, pos)
            if m is None:
                raise ValueError("Missing closing quote (REMOVEQUOTES)")
            raw, pos = m.group(1), m.end()
            if pos < n and record[pos] != o.delimiter:
                raise ValueError("Characters after a closing quote (REMOVEQUOTES)")
        else:
            m = plain.match(record, pos)
            raw, pos = m.group(0), m.end()  # type: ignore[union-attr]
        value = re.sub(r"\\(.)", r"\1", raw, flags=re.DOTALL) if o.escape else raw
        # the default null string works as is and escaped (\N and \\N)
        null = not quoted and (raw == o.null_as or (o.escape and value == o.null_as))
        out.append(None if null else value)
        if pos >= n:
            return out
        pos += 1  # the delimiter


def _in_source(name: str, source: _Source, o: CopyOptions, found: list[Reject]) -> list[Reject]:
    """Rejects found in the file DuckDB read (numbered by record when it was rewritten), placed in
    the lake's file: a rewritten record's line and raw text are its first line's in the original."""
    if source.starts is None and not source.rejects:
        return found
    placed = []
    for r in found:
        if source.starts is not None:
            r = replace(r, line=source.starts[r.line - 1] if 0 < r.line <= len(source.starts) else r.line,
                        raw_line="")
        placed.append(r)
    placed += [replace(r, file=name) for r in source.rejects]
    if source.starts is not None:
        wanted = {r.line for r in placed if not r.raw_line}
        lines = _original_lines(source.path, o, wanted)
        placed = [r if r.raw_line else replace(r, raw_line=lines.get(r.line, "")) for r in placed]
    return sorted(placed, key=lambda r: r.line)


def _original_lines(path: str, o: CopyOptions, wanted: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    if not wanted:
        return out
    with _open(path, o) as f:
        for number, text in enumerate(f, 1):
            if number in wanted:
                out[number] = text.rstrip("\r\n")
                if len(out) == len(wanted):
                    break
    return out


# DuckDB reader errors -> Redshift load error codes and reasons
_STRUCTURAL = {"MISSING COLUMNS": (1214, "Delimiter not found"),
               "TOO MANY COLUMNS": (1202, "Extra column(s) found"),
               "UNQUOTED VALUE": (1216, "Missing closing quote in a CSV field"),
               "INVALID UNICODE": (1220, "String contains invalid or unsupported UTF8 codepoints"),
               "INVALID ENCODING": (1220, "String contains invalid or unsupported UTF8 codepoints")}


def _drop_rejects(reader: Any, tag: str | None) -> None:
    if tag:
        reader.execute(f"DROP TABLE IF EXISTS {tag}_errors")
        reader.execute(f"DROP TABLE IF EXISTS {tag}_scans")


def _file_rejects(name: str, path: str, o: CopyOptions, target: list[Column], bad: list[tuple],
                  structural: list[tuple], *, by_record: bool = False) -> list[Reject]:
    """The file's rejects: ``bad`` rows (ordinal, index of the first rejected field, raw fields) that
    did not convert, ``structural`` records the reader refused (numbered by record, the header's
    lines included), and blank lines. ``by_record``: rejects carry the record's number, not its line."""
    refused: dict[int, tuple] = {}
    for number, col, kind, raw, message in structural:
        refused.setdefault(int(number), (col, kind, raw, message))  # the reader reports each missing field
    blanks = not o.ignoreblanklines and len(target) > 1 and o.format == "csv" and _has_blank_line(path, o)
    if not (bad or refused or blanks):
        return []
    wanted = {int(r[0]): r for r in bad}
    out: list[Reject] = []
    ordinal = 0
    for number, first_line, text, blank in _records(path, o):
        line = number if by_record else first_line
        if number in refused:
            col, kind, raw, message = refused[number]
            code, reason = _STRUCTURAL.get(str(kind), (1216, str(message or kind)))
            c = next((t for i, t in enumerate(target) if f"r{i}" == str(col or "").strip('"')), None)
            out.append(Reject(name, line, c.name if c else "", c.redshift_type if c else "",
                              c.col_length if c else "", text or str(raw or "").rstrip("\r\n"), "", code, reason))
        elif blank:
            if blanks:
                first = target[0]
                out.append(Reject(name, line, first.name, first.redshift_type, first.col_length, "", "", 1214,
                                  "Delimiter not found"))
        else:
            ordinal += 1
            if ordinal in wanted:
                _, index, *raws = wanted[ordinal]
                c = target[index]
                value = raws[index] if raws[index] is not None else ""
                code, reason, position = _reason(c, value, o)
                out.append(Reject(name, line, c.name, c.redshift_type, c.col_length, text, value, code, reason,
                                  position))
    return out


def _has_blank_line(path: str, o: CopyOptions) -> bool:
    with _open(path, o, binary=True) as f:
        previous = b"\n"
        while chunk := f.read(1 << 20):
            data = previous + chunk
            if b"\n\n" in data or b"\n\r\n" in data:
                return True
            previous = data[-2:]
    return False


def _open(path: str, o: CopyOptions, *, binary: bool = False) -> Any:
    packed = o.gzip or path.endswith(".gz")
    if binary:
        return gzip.open(path, "rb") if packed else open(path, "rb")  # noqa: SIM115
    if packed:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")  # noqa: SIM115


def _records(path: str, o: CopyOptions) -> Iterator[tuple[int, int, str, bool]]:
    """(record number, first line, raw text, blank) of every record after the header lines, split
    as the reader splits them (a quoted CSV field may span lines; the header lines count as records)."""
    with _open(path, o) as f:
        lines = iter(f)
        for _ in range(o.ignoreheader):
            next(lines, None)
        line = number = o.ignoreheader + 1
        if o.format == "json":
            for text in lines:
                yield number, line, text.rstrip("\r\n"), not text.strip()
                line = number = line + 1
            return
        taken: list[str] = []

        def feed() -> Iterator[str]:
            for text in lines:
                taken.append(text)
                yield text

        reader = (csv.reader(feed(), delimiter=o.delimiter, quotechar=o.quote, strict=False) if o.csv_quotes
                  else csv.reader(feed(), delimiter=o.delimiter, quoting=csv.QUOTE_NONE))
        for fields in reader:
            text, count = "".join(taken), len(taken)
            taken.clear()
            yield number, line, text.rstrip("\r\n"), not fields
            line += count
            number += 1


_INT_NAMES = {"int2": ("Short", 16), "int4": ("Integer", 32), "int8": ("Long", 64)}


def _reason(c: Column, value: str, o: CopyOptions) -> tuple[int, str, int]:
    """Redshift's (err_code, err_reason, position) for a field that did not convert."""
    s = value.strip()
    if c.character:
        return 1204, "String length exceeds DDL length", 0
    if c.kind in _INT_NAMES:
        name, bits = _INT_NAMES[c.kind]
        if re.fullmatch(r"[-+]?\d+", s):
            return 1222, (f"Overflow, Value '{s[:100]}' out of range for type {name} "
                          f"({-(1 << (bits - 1))} to {(1 << (bits - 1)) - 1})"), 0
        pos = _invalid_digit(s, decimal=False)
        return 1207, f"Invalid digit, Value '{s[pos:pos + 1]}', Pos {pos}, Type: {name}", pos
    if c.kind == "numeric":
        try:
            Decimal(s)
        except InvalidOperation:
            pos = _invalid_digit(s, decimal=True)
            return 1207, f"Invalid digit, Value '{s[pos:pos + 1]}', Pos {pos}, Type: Decimal", pos
        return 1204, f"Numeric data overflow (result precision), Value '{s[:60]}', Type: numeric({c.precision},{c.scale})", 0
    if c.kind in ("float4", "float8"):
        pos = _invalid_digit(s, decimal=True)
        return 1208, (f"Invalid digit, Value '{s[pos:pos + 1]}', Pos {pos}, "
                      f"Type: {'Float' if c.kind == 'float4' else 'Double'}"), pos
    if c.kind == "bool":
        return 1210, f"Invalid boolean value, Value '{s[:60]}'", 0
    if c.kind == "date":
        if o.dateformat is None and len(s) < 10:
            return 1205, "Invalid Date Format - length must be 10 or more", 0
        return 1205, f"Invalid date format - the value does not match [{o.dateformat or 'YYYY-MM-DD'}]", 0
    if c.kind in ("timestamp", "timestamptz", "time"):
        return 1206, f"Invalid timestamp format or value [{o.timeformat or 'YYYY-MM-DD HH24:MI:SS'}]", 0
    return 1216, f"Invalid input for the column's type, Value '{s[:60]}'", 0


def _invalid_digit(s: str, *, decimal: bool) -> int:
    allowed = set("0123456789")
    for i, ch in enumerate(s):
        if ch in allowed or (i == 0 and ch in "+-") or (decimal and ch in ".eE"):
            continue
        return i
    return 0


def _s3_name(ctx: ExtensionContext, path: str) -> str:
    lake = str(lake_path("s3://x", ctx.data_dir).parent)
    return "s3://" + path[len(lake) + 1:] if path.startswith(lake) else path


def _record_rejects(ctx: ExtensionContext, o: CopyOptions, rejects: list[Reject]) -> None:
    now = time.time()
    # STL_LOAD_ERRORS keeps colname char(127), raw_line and raw_field_value char(1024), err_reason char(100)
    _record(ctx.data_dir, [
        (getattr(ctx, "user", ""), 0, ".".join(o.table), now, 0, getattr(ctx, "query_id", 0), r.file, r.line,
         r.column[:127], r.type, r.col_length, r.position, r.raw_line[:1024], r.raw_value[:1024], r.code,
         r.reason[:100], 0, 0)
        for r in rejects])
