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

When every row converts, the files are read once: the load counts the rows it passes over, and
only when there are some are the files read again to say which and why. This module runs the
command; ``copy_options`` parses it, ``copy_convert`` holds the conversion SQL and the reasons
for rejects, ``copy_files`` the Python-side reading and rewriting of the files, and
``load_error_log`` the STL_LOAD_ERRORS log.
https://docs.aws.amazon.com/redshift/latest/dg/r_COPY.html
https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-conversion.html
https://docs.aws.amazon.com/redshift/latest/dg/r_Load_Error_Reference.html
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from stepline.lake.copy_convert import (
    Column,
    conversion_stages,
    fit_bytes,
    reader_nulls,
    reject_reason,
    target_columns,
)
from stepline.lake.copy_files import Source, has_blank_line, open_file, place_rejects, prepare_files, records
from stepline.lake.copy_options import CopyOptions, parse_copy
from stepline.lake.load_error_log import Reject, load_error_rows, load_errors, record_rejects
from stepline.lake.paths import LakeError, lake_path, prefix_files, sql_ident, sql_literal
from stepline.sql.extensions import ExtensionContext, ExtensionResult

__all__ = ["CopyOptions", "copy", "load_error_rows", "load_errors", "parse_copy"]


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
    target = target_columns(ctx, o.table)
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
    try:
        return _copy_text(ctx, reader, o, files, target, sink)
    except Exception as e:
        if "CSV Parser state machine" not in str(e):
            raise
        mixed = [f for f in files if _mixes_line_endings(f, o)]
        why = (f"{_s3_name(ctx, mixed[0])} mixes \\r\\n and \\n line endings; convert it to one kind" if mixed
               else "a file's records could not be split (quotes or line endings)")
        raise LakeError(f"Load into table '{o.table[-1]}' failed: {why}") from None


def _mixes_line_endings(path: str, o: CopyOptions) -> bool:
    with open_file(path, o, binary=True) as f:
        data = f.read(64 * 1024 * 1024)
    crlf = data.count(b"\r\n")
    return 0 < crlf < data.count(b"\n")


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
                value = fit_bytes(value, col.length)
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
        # NULL AS read as NULL by the reader where it can be; else a null string no field can hold,
        # and the conversion applies NULL AS (so that a field FILLRECORD adds and the marker stay apart)
        nulls = reader_nulls(o)
        null = sql_literal(o.null_as if nulls else _NO_NULL)
        rejects = (f"store_rejects = true, rejects_table = '{tag}_errors', rejects_scan = '{tag}_scans'"
                   if tag else "ignore_errors = true")
        source = (f"read_csv({listing}, columns = {spec}, header = false, skip = {o.ignoreheader}, "
                  f"delim = {sql_literal(o.delimiter)}, quote = {quote}, escape = {quote}, auto_detect = false, "
                  f"nullstr = {null}, allow_quoted_nulls = {str(nulls).lower()}, "
                  f"null_padding = {str(o.fillrecord).lower()}, compression = {'gzip' if o.gzip else 'auto'}, "
                  f"{rejects}, strict_mode = true, hive_partitioning = false, filename = false)")
        fields = ", ".join(f"r{i}" for i in range(len(target)))
    number = "row_number() OVER () AS rn, " if numbered else ""
    return f"(SELECT {number}{fields} FROM {source})"


_NO_NULL = "\x1fstepline:no-null\x1f"


def _copy_text(ctx: ExtensionContext, reader: Any, o: CopyOptions, files: list[str], target: list[Column],
               sink: Sink) -> ExtensionResult:
    """One pass converts and loads the rows that convert, and counts those that do not; only when
    some did not load are the files read again, record by record, to say which and why. A COPY with
    more rejects than MAXERROR fails, and its transaction takes the loaded rows back."""
    with tempfile.TemporaryDirectory(prefix="stepline-copy-") as work:
        sources, how = prepare_files(o, files, Path(work))
        return _copy_sources(ctx, reader, o, how, sources, target, sink)


def _copy_sources(ctx: ExtensionContext, reader: Any, o: CopyOptions, how: CopyOptions, sources: list[Source],
                  target: list[Column], sink: Sink) -> ExtensionResult:
    """``how``: the options the files to read (``Source.read``) are read with."""
    backend = ctx.dialect
    files = [s.read for s in sources]
    stem = f"stepline_copy_{int(time.time() * 1000) % 10**9}"
    tag = stem if how.format == "csv" else None
    relation, values, first = conversion_stages(_scan(how, files, target, tag=tag, numbered=False), target, how, backend)
    ctx.check_cancelled()
    # the rows that do not convert are counted as the load passes them over: each takes a number
    # from a sequence (a CASE evaluates its ELSE for those rows only), so that the rows read are
    # known without reading the files again
    counter = f"{stem}_unconverted"
    reader.execute(f"CREATE TEMP SEQUENCE {counter} START 1")
    # DuckDB's reader passes over blank lines, which Redshift rejects: the files are searched for
    # them while the load runs (it leaves the interpreter free)
    with ThreadPoolExecutor(1) as pool:
        blank_lines = pool.map(lambda f: _blank_lines(f, how, target), files)
        loaded = sink(f"SELECT {', '.join(values)} FROM {relation} "
                      f"WHERE CASE WHEN ({first}) IS NULL THEN true ELSE nextval('{counter}') < 0 END")
        blanks = dict(zip(files, blank_lines, strict=True))
    skipped = _count(reader.execute(f"SELECT nextval('{counter}') - 1"))
    reader.execute(f"DROP SEQUENCE {counter}")
    refused: dict[str, list[tuple]] = {}
    if tag:
        for path, *rest in reader.execute(
                f"SELECT s.file_path, e.line, e.column_name, e.error_type, e.csv_line, e.error_message "
                f"FROM {tag}_errors e JOIN {tag}_scans s USING (scan_id, file_id) ORDER BY s.file_path, e.line"
        ).fetchall():
            refused.setdefault(str(path), []).append(tuple(rest))
        _drop_rejects(reader, tag)
    ctx.check_cancelled()
    rejects: list[Reject] = []
    unconverted = 0
    for source in sources:
        f = source.read
        bad: list[tuple] = []
        if skipped:  # some rows did not convert: find them, numbered as read
            ctx.check_cancelled()
            numbered = f"{tag}_f" if tag else None
            rel, _, first_f = conversion_stages(_scan(how, [f], target, tag=numbered, numbered=True), target, how, backend)
            raws = ", ".join(f"r{i}" for i in range(len(target)))
            bad = reader.execute(f"SELECT rn, e, {raws} FROM (SELECT rn, {first_f} AS e, {raws} FROM {rel}) "
                                 "WHERE e IS NOT NULL ORDER BY rn").fetchall()
            _drop_rejects(reader, numbered)
            unconverted += len(bad)
        name = _s3_name(ctx, source.path)
        found = _file_rejects(name, f, how, target, bad, refused.get(f, []), blanks[f],
                              by_record=source.starts is not None)
        rejects += place_rejects(name, source, o, found)
    if skipped != unconverted:  # never drop a row without saying so
        raise LakeError(f"Load into table '{o.table[-1]}' failed: {loaded + skipped} record(s) read, {loaded} loaded and "
                        f"{unconverted} rejected do not add up")
    if rejects:
        record_rejects(ctx, o.table, rejects)
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


def _blank_lines(path: str, o: CopyOptions, target: list[Column]) -> bool:
    """Whether the file has blank lines that are rejects ("Delimiter not found"): not with
    IGNOREBLANKLINES, nor when a record has one field (it needs no delimiter)."""
    return not o.ignoreblanklines and len(target) > 1 and o.format == "csv" and has_blank_line(path, o)


def _file_rejects(name: str, path: str, o: CopyOptions, target: list[Column], bad: list[tuple],
                  structural: list[tuple], blanks: bool, *, by_record: bool = False) -> list[Reject]:
    """The file's rejects: ``bad`` rows (ordinal, index of the first rejected field, raw fields) that
    did not convert, ``structural`` records the reader refused (numbered by record, the header's
    lines included), and, when ``blanks`` (the file has some), blank lines. ``by_record``: rejects
    carry the record's number, not its line."""
    refused: dict[int, tuple] = {}
    for number, col, kind, raw, message in structural:
        refused.setdefault(int(number), (col, kind, raw, message))  # the reader reports each missing field
    if not (bad or refused or blanks):
        return []
    wanted = {int(r[0]): r for r in bad}
    out: list[Reject] = []
    ordinal = 0
    for number, first_line, text, blank in records(path, o):
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
                code, reason, position = reject_reason(c, value, o)
                out.append(Reject(name, line, c.name, c.redshift_type, c.col_length, text, value, code, reason,
                                  position))
    return out


def _s3_name(ctx: ExtensionContext, path: str) -> str:
    lake = str(lake_path("s3://x", ctx.data_dir).parent)
    return "s3://" + path[len(lake) + 1:] if path.startswith(lake) else path
