"""UNLOAD ('select ...') TO 's3://prefix' ... FORMAT PARQUET|CSV [PARTITION BY (cols)].
https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD.html
"""

from __future__ import annotations

import os
import shutil
import uuid
from typing import Any

from stepline.lake.options import Cursor
from stepline.lake.paths import LakeError, lake_path, sql_ident, sql_literal
from stepline.sql.extensions import ExtensionContext, ExtensionResult


def file_writer(ctx: ExtensionContext, select: str) -> tuple[Any, str, Any]:
    """Where a warehouse query's result is written to lake files from: (a DuckDB executor, the
    query to write, a close function). On DuckDB that is the warehouse itself; on PostgreSQL the
    query runs on the server (external tables materialised first) and its rows stream, as Arrow
    batches from a server-side cursor, into an in-process DuckDB that writes the files."""
    if ctx.dialect == "duckdb":
        return ctx, select, lambda: None
    if ctx.dialect != "postgres":
        raise LakeError(f"writing lake files is not supported on this warehouse ({ctx.dialect})")
    import duckdb
    import pyarrow as pa

    from stepline.lake.spectrum import prepare_external
    from stepline.sql.backends.postgres import arrow_batches, raw_connection

    select = prepare_external(ctx, select)
    try:
        schema, batches = arrow_batches(raw_connection(ctx.execute("SELECT 1")), select)
    except Exception as e:
        if getattr(e, "sqlstate", None):  # the server refused the query: its own message
            raise LakeError(str(e).strip().splitlines()[0]) from None
        raise
    duck = duckdb.connect()
    duck.execute("SET enable_progress_bar = false")
    duck.register("stepline_query_result", pa.RecordBatchReader.from_batches(schema, batches))
    return duck, "SELECT * FROM stepline_query_result", duck.close


def unload(ctx: ExtensionContext, statement: str) -> ExtensionResult:
    c = Cursor(statement, "UNLOAD")
    c.expect("UNLOAD")
    c.expect("(")
    query = c.next("str", "a quoted 'select ...'").value
    c.expect(")")
    c.expect("TO")
    location = c.next("str", "an 's3://...' prefix").value
    fmt, partition, header, overwrite, delimiter, include = "csv", [], False, False, "|", False
    while not c.done():
        if c.accept("IAM_ROLE") or c.accept("CREDENTIALS") or c.accept("REGION") or c.accept("MAXFILESIZE") \
                or c.accept("ROWGROUPSIZE"):
            c.accept("AS")
            c.next()
            if c.peek() is not None and c.peek().upper in ("MB", "GB"):  # type: ignore[union-attr]
                c.next()
        elif c.accept("FORMAT"):
            c.accept("AS")
            fmt = c.next("word").text.lower()
            if fmt not in ("parquet", "csv", "json"):
                raise LakeError(f"UNLOAD FORMAT {fmt.upper()} is not supported here (use PARQUET, CSV or JSON)")
            if fmt == "csv":
                delimiter = ","
        elif c.accept("PARQUET"):
            fmt = "parquet"
        elif c.accept("CSV"):
            fmt, delimiter = "csv", ","
        elif c.accept("PARTITION", "BY"):
            c.expect("(")
            partition.append(c.next("word|qid").value.lower())
            while c.accept(","):
                partition.append(c.next("word|qid").value.lower())
            c.expect(")")
            include = c.accept("INCLUDE")
        elif c.accept("HEADER"):
            header = True
        elif c.accept("ALLOWOVERWRITE"):
            overwrite = True
        elif c.accept("DELIMITER"):
            c.accept("AS")
            delimiter = c.next("str").value
        elif c.accept("PARALLEL") or c.accept("EXTENSION"):
            c.next()
        elif c.accept("CLEANPATH"):
            overwrite = True
        else:
            raise c.error("unknown UNLOAD option")
    from stepline.sql.translate import translate

    translated = translate(query, ctx.dialect)
    if len(translated) != 1 or translated[0].kind != "query" or not translated[0].sql:
        raise LakeError("UNLOAD needs exactly one SELECT query")
    select = translated[0].sql
    folder = location.endswith("/")
    base = lake_path(location, ctx.data_dir)
    target_dir = base if folder else base.parent
    prefix = "" if folder else base.name
    existing = [p for p in target_dir.glob(f"{prefix}*")] if target_dir.exists() else []
    if existing and not overwrite:
        raise LakeError("Specified unload destination on S3 is not empty. Consider using a different bucket / "
                        "prefix, manually removing the target files in S3, or using the ALLOWOVERWRITE option.")
    suffix = {"parquet": ".parquet", "csv": ".csv", "json": ".json"}[fmt]
    opts = {"parquet": "FORMAT PARQUET, COMPRESSION SNAPPY", "json": "FORMAT JSON",
            "csv": f"FORMAT CSV, HEADER {str(header).upper()}, DELIMITER {sql_literal(delimiter)}"}[fmt]
    if fmt == "csv" and delimiter != ",":
        opts += ", QUOTE ''"
    writer, select, close = file_writer(ctx, select)
    staging = target_dir / f".stepline-unload-{uuid.uuid4().hex}"
    try:
        staging.mkdir(parents=True)
        cols = [str(r[0]).lower() for r in writer.execute(f"DESCRIBE {select}").fetchall()]
        missing = [p for p in partition if p not in cols]
        if missing:
            raise LakeError(f"UNLOAD PARTITION BY column '{missing[0]}' is not in the query's columns")
        if partition:
            keep = cols if include else [c for c in cols if c not in partition]
            sel = ", ".join(sql_ident(x) for x in keep + [p for p in partition if p not in keep])
            if not include:
                # Redshift leaves partition columns out of the files; DuckDB writes them only as folders
                pass
            written = writer.execute(f"COPY (SELECT {sel} FROM ({select})) TO {sql_literal(str(staging))} "
                        f"({opts}, PARTITION_BY ({', '.join(sql_ident(p) for p in partition)}), "
                        f"FILENAME_PATTERN '{prefix}{{i}}_part_00', FILE_EXTENSION '{suffix[1:]}'"
                        f"{', WRITE_PARTITION_COLUMNS true' if include else ''})")
        else:
            written = writer.execute(
                f"COPY ({select}) TO {sql_literal(str(staging / f'{prefix}0000_part_00{suffix}'))} ({opts})")
        count = written.fetchone()[0]  # DuckDB's COPY TO returns the rows written
        for old in existing:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        for item in staging.iterdir():
            os.replace(item, target_dir / item.name)
    finally:
        close()
        shutil.rmtree(staging, ignore_errors=True)
    return ExtensionResult(rowcount=int(count))
