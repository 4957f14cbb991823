"""A Distributed Map's ItemReader and ResultWriter over the local lake (``s3://bucket/key`` is
``<data_dir>/lake/bucket/key``).

The interpreter emits ``ReadItems``/``WriteResults``; this module reads or writes the objects and
answers with ``ItemsRead``/``ResultsWritten``. Readers: ``s3:getObject`` with ReaderConfig
InputType CSV, JSON, JSONL, PARQUET or MANIFEST (an S3 Inventory manifest, or with ManifestType
ATHENA_DATA a list of data files), and ``s3:listObjectsV2`` (the objects under a Prefix, or with
Transformation LOAD_AND_FLATTEN the items in them).
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from stepline.asl import commands as C
from stepline.asl import errors
from stepline.asl.dataflow import java_hash_order
from stepline.asl.errors import StatesError

# https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html (CSVDelimiter)
DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-_]{0,62}$", re.IGNORECASE)
NO_SUCH_KEY = "The specified key does not exist. (Service: S3, Status Code: 404, Error Code: NoSuchKey)"
NO_SUCH_BUCKET = "The specified bucket does not exist. (Service: S3, Status Code: 404, Error Code: NoSuchBucket)"


def _reader_failed(cause: str) -> StatesError:
    return StatesError(errors.ITEM_READER_FAILED, cause)


# --- where objects live ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    etag: str  # quoted, as S3 lists it
    last_modified: int  # epoch seconds


class ObjectStore(Protocol):
    def get(self, bucket: str, key: str) -> bytes: ...
    def list(self, bucket: str, prefix: str) -> list[ObjectInfo]: ...
    def put(self, bucket: str, key: str, body: bytes) -> None: ...


def _etag(body: bytes) -> str:
    return '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'


class LakeObjects:
    """Objects as files under a lake root: ``<root>/<bucket>/<key>``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _bucket(self, bucket: str, error: str) -> Path:
        path = self.root / bucket
        if not _BUCKET.match(bucket) or not path.is_dir():
            raise StatesError(error, NO_SUCH_BUCKET)
        return path

    def _file(self, bucket: str, key: str, error: str) -> Path:
        parts = key.split("/")
        if not key or any(p in ("", ".", "..") for p in parts):
            raise StatesError(error, NO_SUCH_KEY)
        return self._bucket(bucket, error).joinpath(*parts)

    def get(self, bucket: str, key: str) -> bytes:
        path = self._file(bucket, key, errors.ITEM_READER_FAILED)
        if not path.is_file():
            raise _reader_failed(NO_SUCH_KEY)
        return path.read_bytes()

    def list(self, bucket: str, prefix: str) -> list[ObjectInfo]:
        """Every object whose key starts with ``prefix`` (no delimiter: all levels), in key order."""
        root = self._bucket(bucket, errors.ITEM_READER_FAILED)
        folder = prefix.rpartition("/")[0]  # walk only the deepest folder the prefix names
        start = root.joinpath(*[p for p in folder.split("/") if p]) if folder else root
        if ".." in folder.split("/") or not start.is_dir():
            return []
        found = []
        for path in start.rglob("*"):
            rel = path.relative_to(root)
            if not path.is_file() or any(part.startswith(".") for part in rel.parts):
                continue  # dot files are the lake's own bookkeeping, not objects
            key = rel.as_posix()
            if key.startswith(prefix):
                body = path.read_bytes()
                found.append(ObjectInfo(key, len(body), _etag(body), int(path.stat().st_mtime)))
        return sorted(found, key=lambda o: o.key.encode())  # S3 lists keys in UTF-8 byte order

    def put(self, bucket: str, key: str, body: bytes) -> None:
        path = self._file(bucket, key, errors.RESULT_WRITER_FAILED)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


class MemoryObjects:
    """Objects in a mapping ``"bucket/key" -> bytes or str`` (for tests run on a virtual clock)."""

    def __init__(self, objects: Mapping[str, bytes | str], modified: int = 0) -> None:
        self.objects = objects
        self.modified = modified

    def _buckets(self) -> set[str]:
        return {name.partition("/")[0] for name in self.objects}

    def get(self, bucket: str, key: str) -> bytes:
        if bucket not in self._buckets():
            raise _reader_failed(NO_SUCH_BUCKET)
        body = self.objects.get(f"{bucket}/{key}")
        if body is None:
            raise _reader_failed(NO_SUCH_KEY)
        return body.encode() if isinstance(body, str) else bytes(body)

    def list(self, bucket: str, prefix: str) -> list[ObjectInfo]:
        if bucket not in self._buckets():
            raise _reader_failed(NO_SUCH_BUCKET)
        out = []
        for name in self.objects:
            b, _, key = name.partition("/")
            if b == bucket and key and key.startswith(prefix):
                body = self.get(bucket, key)
                out.append(ObjectInfo(key, len(body), _etag(body), self.modified))
        return sorted(out, key=lambda o: o.key.encode())

    def put(self, bucket: str, key: str, body: bytes) -> None:
        if not isinstance(self.objects, MutableMapping):
            raise StatesError(errors.RESULT_WRITER_FAILED, "The objects mapping is read-only")
        if bucket not in self._buckets():
            raise StatesError(errors.RESULT_WRITER_FAILED, NO_SUCH_BUCKET)
        self.objects[f"{bucket}/{key}"] = body


# --- reading items -----------------------------------------------------------------------------


def read_items(command: C.ReadItems, store: ObjectStore) -> list[Any]:
    """The items of a ``ReadItems``; raises ``StatesError`` (States.ItemReaderFailed)."""
    params = command.parameters if isinstance(command.parameters, dict) else {}
    config = command.reader_config if isinstance(command.reader_config, dict) else {}
    limit = command.max_items if command.max_items > 0 else None
    bucket = params.get("Bucket")
    if not isinstance(bucket, str) or not bucket:
        raise _reader_failed("The ItemReader Parameters must specify a Bucket")
    action = command.resource.rpartition(":::")[2]
    if action == "s3:listObjectsV2":
        prefix = params.get("Prefix") or ""
        if not isinstance(prefix, str):
            raise _reader_failed("The ItemReader Prefix must be a string")
        objects = store.list(bucket, prefix)
        if config.get("Transformation") == "LOAD_AND_FLATTEN":
            return _take((item for o in objects if o.size > 0
                          for item in _parse(store.get(bucket, o.key), config, limit, o.key)), limit)
        # The ItemReader page's example item: quoted Etag, LastModified in epoch seconds, these keys
        # in this order. (LocalStack's recording of this reader rewrites both fields and the order.)
        return [{"Etag": o.etag, "Key": o.key, "LastModified": o.last_modified, "Size": o.size,
                 "StorageClass": "STANDARD"} for o in objects[:limit]]
    if action != "s3:getObject":
        raise _reader_failed(f"The ItemReader resource '{command.resource}' is not supported")
    key = params.get("Key")
    if not isinstance(key, str) or not key:
        raise _reader_failed("The ItemReader Parameters must specify a Key")
    body = store.get(bucket, key)
    if config.get("InputType") == "MANIFEST" or config.get("ManifestType"):
        return _take(_manifest_items(body, key, config, store, limit), limit)
    return _take(_parse(body, config, limit, key), limit)


def _take(items: Iterator[Any] | list[Any], limit: int | None) -> list[Any]:
    out = []
    for item in items:
        if limit is not None and len(out) >= limit:
            break
        out.append(item)
    return out


def _text(body: bytes, key: str) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _reader_failed(f"The object '{key}' is not UTF-8 text: {e.reason} at byte {e.start}") from None


def _parse(body: bytes, config: dict[str, Any], limit: int | None, key: str) -> Iterator[Any]:
    kind = config.get("InputType")
    if kind == "CSV":
        return _csv_items(_text(body, key), config, key)
    if kind == "JSON":
        return iter(_json_items(_text(body, key), config, key))
    if kind == "JSONL":
        return _jsonl_items(_text(body, key), key)
    if kind == "PARQUET":
        return iter(_parquet_items(body, key, limit))
    raise _reader_failed(f"The ReaderConfig InputType '{kind}' cannot be read here")


def _csv_items(text: str, config: dict[str, Any], key: str) -> Iterator[dict[str, str]]:
    delimiter = DELIMITERS.get(config.get("CSVDelimiter", "COMMA"))
    if delimiter is None:
        raise _reader_failed(f"The CSVDelimiter '{config.get('CSVDelimiter')}' is not supported")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        if config.get("CSVHeaderLocation") == "GIVEN":
            headers = [str(h) for h in config.get("CSVHeaders") or []]
        else:
            headers = next((row for row in rows if row), [])
        if len(set(headers)) < len(headers):
            raise _reader_failed("CSV headers cannot contain duplicates.")
        # AWS builds each item in a java.util.HashMap: its fields come in that map's order
        column = {h: i for i, h in enumerate(headers)}
        ordered = [(h, column[h]) for h in java_hash_order(headers)]
        for row in rows:
            if row:  # a blank line is no item; extra fields are dropped, missing ones are ""
                yield {h: row[i] if i < len(row) else "" for h, i in ordered}
    except csv.Error as e:
        raise _reader_failed(f"The CSV object '{key}' is malformed at line {rows.line_num}: {e}") from None


_POINTER_ESCAPES = (("~1", "/"), ("~0", "~"))


def _json_items(text: str, config: dict[str, Any], key: str) -> list[Any]:
    try:
        node = json.loads(text)
    except json.JSONDecodeError as e:
        raise _reader_failed(f"The JSON object '{key}' is malformed at line {e.lineno} column {e.colno}: "
                             f"{e.msg}") from None
    pointer = config.get("ItemsPointer")
    if isinstance(pointer, str) and pointer:  # a JSON Pointer (RFC 6901) to the array inside the object
        for token in pointer.lstrip("/").split("/"):
            for escaped, plain in _POINTER_ESCAPES:
                token = token.replace(escaped, plain)
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise _reader_failed(f"The ItemsPointer '{pointer}' does not point to a node in '{key}'")
    if not isinstance(node, list):
        raise _reader_failed("Attempting to map over non-iterable node.")
    return node


def _jsonl_items(text: str, key: str) -> Iterator[Any]:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as e:
                raise _reader_failed(f"The JSONL object '{key}' is malformed at line {number}: {e.msg}") from None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _parquet_items(body: bytes, key: str, limit: int | None) -> list[Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(body))
    except (pa.ArrowException, OSError) as e:
        raise _reader_failed(f"The Parquet object '{key}' cannot be read: {e}") from None
    if limit is not None:
        table = table.slice(0, limit)
    return [_jsonable(row) for row in table.to_pylist()]


def _manifest_items(body: bytes, key: str, config: dict[str, Any], store: ObjectStore,
                    limit: int | None) -> Iterator[Any]:
    if config.get("ManifestType") == "ATHENA_DATA":
        # a CSV of s3:// URIs, one data file per line, each read as InputType says
        for line in _text(body, key).splitlines():
            uri = line.strip().strip('"')
            if uri:
                bucket, _, data_key = uri.removeprefix("s3://").partition("/")
                yield from _parse(store.get(bucket, data_key), config, limit, data_key)
        return
    # an S3 Inventory manifest.json: its CSV (gzip) files, one item per object, keyed by fileSchema
    try:
        manifest = json.loads(_text(body, key))
        schema = [f.strip() for f in manifest["fileSchema"].split(",")]
        bucket = manifest["destinationBucket"].rpartition(":")[2]
        files = [f["key"] for f in manifest["files"]]
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
        raise _reader_failed(f"The object '{key}' is not an S3 Inventory manifest") from None
    if manifest.get("fileFormat", "CSV") != "CSV":
        raise _reader_failed("Only CSV S3 Inventory files can be read")
    for file_key in files:
        data = store.get(bucket, file_key)
        if file_key.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as e:
                raise _reader_failed(f"The object '{file_key}' is not gzip data: {e}") from None
        yield from _csv_items(_text(data, file_key), {"CSVHeaderLocation": "GIVEN", "CSVHeaders": schema}, file_key)


# --- writing results ---------------------------------------------------------------------------


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def write_results(command: C.WriteResults, store: ObjectStore) -> None:
    """manifest.json plus SUCCEEDED_0.json / FAILED_0.json under ``<Prefix>/<map run id>/``, shaped
    by WriterConfig: Transformation NONE (the execution records, the default), COMPACT (the
    outputs) or FLATTEN (the outputs, arrays flattened); OutputType JSON (an array) or JSONL."""
    from stepline.asl.fanout import flatten, result_key

    if command.resource.rpartition(":::")[2] != "s3:putObject":
        raise StatesError(errors.RESULT_WRITER_FAILED, f"The ResultWriter resource '{command.resource}' is not supported")
    if not command.bucket:
        raise StatesError(errors.RESULT_WRITER_FAILED, "The ResultWriter Parameters must specify a Bucket")
    config = command.writer_config if isinstance(command.writer_config, dict) else {}
    transformation = config.get("Transformation", "NONE")
    jsonl = config.get("OutputType") == "JSONL"
    files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    for status in ("SUCCEEDED", "FAILED"):
        records: list[Any] = [r for r in command.executions if r.get("Status") == status]
        if not records:
            continue
        if status == "SUCCEEDED" and transformation in ("COMPACT", "FLATTEN"):  # a failed record stays whole
            records = [json.loads(r["Output"]) for r in records]
            if transformation == "FLATTEN":
                records = flatten(records)
        key = result_key(command.prefix, command.map_run_arn, f"{status}_0.json" + ("l" if jsonl else ""))
        body = b"".join(_compact(r) + b"\n" for r in records) if jsonl else _compact(records)
        store.put(command.bucket, key, body)
        files[status].append({"Key": key, "Size": len(body)})
    manifest = {"DestinationBucket": command.bucket, "MapRunArn": command.map_run_arn, "ResultFiles": files}
    store.put(command.bucket, result_key(command.prefix, command.map_run_arn, "manifest.json"), _compact(manifest))


def answer(command: C.ReadItems | C.WriteResults, store: ObjectStore) -> C.ItemsRead | C.ResultsWritten:
    """Perform a map run's read or write and turn any failure into the input that reports it."""
    try:
        if isinstance(command, C.ReadItems):
            return C.ItemsRead(command.read_id, read_items(command, store))
        write_results(command, store)
        return C.ResultsWritten(command.write_id)
    except StatesError as e:
        if isinstance(command, C.ReadItems):
            return C.ItemsRead(command.read_id, error=e.error, cause=e.cause)
        return C.ResultsWritten(command.write_id, error=errors.RESULT_WRITER_FAILED, cause=e.cause)
    except OSError as e:
        error = errors.ITEM_READER_FAILED if isinstance(command, C.ReadItems) else errors.RESULT_WRITER_FAILED
        cause = f"{type(e).__name__}: {e.strerror or e}"
        if isinstance(command, C.ReadItems):
            return C.ItemsRead(command.read_id, error=error, cause=cause)
        return C.ResultsWritten(command.write_id, error=error, cause=cause)


class LakeItemReader:
    """The runtime's side: reads and writes run on the task pool and report through the engine."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir

    def run(self, command: C.ReadItems | C.WriteResults, ctx: Any) -> None:
        from stepline.lake.paths import lake_root

        if self.data_dir is None:  # a registry never bound to a service: there is no lake
            store: ObjectStore = MemoryObjects({})
        else:
            store = LakeObjects(lake_root(Path(self.data_dir)))
        ctx.spawn(lambda: ctx.report(answer(command, store)))
