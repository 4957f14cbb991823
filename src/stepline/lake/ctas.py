"""Athena CTAS: ``CREATE TABLE db.t WITH (format = 'Parquet', ...) AS SELECT ...`` writes the
query's result as files under ``external_location`` and registers the table in the catalog.
https://docs.aws.amazon.com/athena/latest/ug/create-table-as.html
"""

from __future__ import annotations

import os
import re
import shutil
import uuid

import sqlglot

from stepline.lake.catalog import Catalog, Column, Partition, TableDef, check_name, glue_type
from stepline.lake.options import matching_paren, split_top_level
from stepline.lake.paths import LakeError, lake_path, sql_ident, sql_literal, to_location
from stepline.lake.spectrum import expose_everywhere
from stepline.lake.unload import file_writer
from stepline.sql.extensions import ExtensionContext, ExtensionResult

_HEAD = re.compile(r"^\s*CREATE\s+TABLE\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?(?P<name>(?:\"[^\"]+\"|[\w$]+)"
                   r"(?:\s*\.\s*(?:\"[^\"]+\"|[\w$]+))?)\s+WITH\s*\(", re.IGNORECASE | re.DOTALL)
_FORMATS = {"parquet": ("PARQUET", ".parquet"), "orc": None, "avro": None, "json": ("JSON", ".json"),
            "textfile": ("CSV", ".csv"), "csv": ("CSV", ".csv")}
_CODECS = {"snappy": "SNAPPY", "gzip": "GZIP", "zstd": "ZSTD", "none": "UNCOMPRESSED",
           "uncompressed": "UNCOMPRESSED", "lz4": "LZ4_RAW"}


def _props(text: str) -> dict[str, str | list[str]]:
    props: dict[str, str | list[str]] = {}
    for item in split_top_level(text):
        key, sep, value = item.partition("=")
        if not sep:
            raise LakeError(f"syntax error in CREATE TABLE ... WITH: expected key = value, got '{item}'")
        v = value.strip()
        m = re.match(r"^ARRAY\s*\[(.*)\]$", v, re.IGNORECASE | re.DOTALL)
        if m:
            props[key.strip().lower()] = [x.strip().strip("'") for x in split_top_level(m.group(1)) if x.strip()]
        else:
            props[key.strip().lower()] = v.strip("'")
    return props


def _select_sql(select: str, dialect: str) -> str:
    try:
        return sqlglot.transpile(select, read="trino", write="postgres" if dialect == "postgres" else "duckdb")[0]
    except sqlglot.errors.SqlglotError:
        return select


def athena_ctas(ctx: ExtensionContext, statement: str) -> ExtensionResult:
    """Run an Athena CTAS on the warehouse connection and register the result. On PostgreSQL the
    SELECT runs on the server, catalog tables it reads materialised from the lake first."""
    m = _HEAD.match(statement)
    if m is None:
        raise LakeError("syntax error in CREATE TABLE ... WITH (...) AS SELECT")
    close = matching_paren(statement, m.end() - 1)
    props = _props(statement[m.end():close])
    rest = statement[close + 1:].strip().rstrip(";")
    if not re.match(r"^AS\s", rest, re.IGNORECASE):
        raise LakeError("syntax error in CREATE TABLE ... WITH (...): expected AS SELECT ...")
    select = _select_sql(rest[2:].strip(), ctx.dialect)
    parts = [p.strip().strip('"') for p in m.group("name").split(".")]
    database, name = (parts if len(parts) == 2 else ["default", parts[0]])
    database, name = check_name("database", database), check_name("table", name)
    fmt = str(props.get("format", "parquet")).lower()
    if fmt not in _FORMATS or _FORMATS[fmt] is None:
        raise LakeError(f"CTAS format '{fmt}' is not supported here (use Parquet, JSON or TEXTFILE)")
    duck_format, suffix = _FORMATS[fmt]  # type: ignore[misc]
    codec = str(props.get("write_compression", props.get("parquet_compression", "snappy"))).lower()
    if codec not in _CODECS:
        raise LakeError(f"write_compression '{codec}' is not supported")
    partitioned = props.get("partitioned_by", [])
    partitioned = [p.lower() for p in (partitioned if isinstance(partitioned, list) else [partitioned])]
    unknown = set(props) - {"format", "write_compression", "parquet_compression", "external_location",
                            "partitioned_by", "bucketed_by", "bucket_count", "field_delimiter", "table_type"}
    if unknown:
        raise LakeError(f"CTAS property '{sorted(unknown)[0]}' is not supported")
    location = str(props.get("external_location") or f"s3://stepline-athena/tables/{database}/{name}/")
    if not location.endswith("/"):
        location += "/"
    catalog = Catalog(ctx.data_dir)
    catalog.create_database(database)
    if catalog.find_table(database, name) is not None:
        if m.group("ine"):
            return ExtensionResult(rowcount=0, messages=[f"table {database}.{name} already exists, skipping"])
        raise LakeError(f"Table already exists: {database}.{name}")
    target = lake_path(location, ctx.data_dir)
    if target.exists() and any(target.iterdir()):
        raise LakeError(f"HIVE_PATH_ALREADY_EXISTS: Target directory for table '{database}.{name}' "
                        f"already exists: {location}")
    writer, select, close = file_writer(ctx, select)
    staging = target.parent / f".stepline-ctas-{uuid.uuid4().hex}"
    try:
        desc = writer.execute(f"DESCRIBE {select}").fetchall()
        cols = [(str(r[0]), str(r[1])) for r in desc]
        names = [c for c, _ in cols]
        missing = [p for p in partitioned if p not in names]
        if missing:
            raise LakeError(f"partitioned_by column '{missing[0]}' is not in the query's columns")
        if partitioned and names[-len(partitioned):] != partitioned:
            raise LakeError("partition columns must be the last columns of the SELECT, in partitioned_by order")
        # write beside the target, then move into place: a failure leaves no half-written table
        staging.mkdir(parents=True)
        opts = f"FORMAT {duck_format}"
        if duck_format == "PARQUET":
            opts += f", COMPRESSION {_CODECS[codec]}"
        elif codec == "gzip":
            opts += ", COMPRESSION GZIP"
            suffix += ".gz"
        if partitioned:
            opts += f", PARTITION_BY ({', '.join(sql_ident(p) for p in partitioned)}), " \
                    f"FILENAME_PATTERN 'part_{{i}}', FILE_EXTENSION '{suffix.lstrip('.')}'"
            dest = staging
        else:
            dest = staging / f"part_0{suffix}"
        written = writer.execute(f"COPY ({select}) TO {sql_literal(str(dest))} ({opts})").fetchone()
        count = int(written[0]) if written else None  # DuckDB's COPY TO returns the rows written
        if target.exists():
            target.rmdir()
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, target)
    except Exception:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        close()
    files = [p for p in target.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    if count is None:
        import duckdb

        count = duckdb.connect().execute(f"SELECT count(*) FROM read_{'parquet' if duck_format == 'PARQUET' else 'csv'}"
                            f"({sql_literal(str(target / '**' / ('*' + suffix)))})").fetchone()[0]
    classification = {"PARQUET": "parquet", "JSON": "json", "CSV": "csv"}[duck_format]
    params = {"classification": classification, "compressionType": codec, "recordCount": str(count),
              "averageRecordSize": str(size // count if count else 0), "sizeKey": str(size),
              "objectCount": str(len(files)), "typeOfData": "file", "stepline.glob": f"**/*{suffix}",
              "has_encrypted_data": "false"}
    if classification == "csv":
        params.update({"delimiter": str(props.get("field_delimiter", ",")), "skip.header.line.count": "1"})
    table = TableDef(database, name, location, classification,
                     tuple(Column(c, glue_type(t)) for c, t in cols if c not in partitioned),
                     tuple(Column(p, "string") for p in partitioned), params)
    catalog.put_table(table)
    if partitioned:
        parts = sorted({p.parent for p in files})
        catalog.add_partitions(database, name, [
            Partition(tuple(d.split("=", 1)[1] for d in p.relative_to(target).parts), to_location(p, ctx.data_dir) + "/")
            for p in parts])
    expose_everywhere(ctx, catalog, catalog.get_table(database, name))
    return ExtensionResult(rowcount=int(count))


