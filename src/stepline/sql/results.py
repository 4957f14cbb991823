"""Result sets as Arrow IPC files under ``<data_dir>/results/``, paged out in the Data API's
typed-field (GetStatementResult) or CSV (GetStatementResultV2) encoding."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import gc
import io
import json
import threading
from collections import OrderedDict
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from stepline.sql.backends.base import Column
from stepline.sql.errors import ValidationException

# The Data API caps what the database returns for one statement at 100 MB and pages the rest.
# https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-troubleshooting.html
MAX_RESULT_BYTES = 100 * 1024 * 1024
PAGE_BYTES = 1024 * 1024  # estimated response bytes per page
SMALL_BYTES = 256 * 1024  # results below this are kept in SQLite rather than a file each
_NULL = {"isNull": True}
_LONG = frozenset({"int2", "int4", "int8", "oid"})
_DOUBLE = frozenset({"float4", "float8"})


class ResultTooLarge(Exception):
    pass


class ResultStore:
    def __init__(self, root: Path, small: Any = None, cached: int = 8) -> None:
        self.root = root
        self.small = small  # bookkeeping.Bookkeeping: keeps results under SMALL_BYTES
        self.max_bytes = MAX_RESULT_BYTES
        root.mkdir(parents=True, exist_ok=True)
        self._cache: OrderedDict[str, tuple[pa.Table, list[Column]]] = OrderedDict()
        self._cached = cached
        self._lock = threading.Lock()
        self._pending: dict[str, bytes] = {}

    def take_pending(self, statement_ids: list[str]) -> list[tuple[str, bytes]]:
        with self._lock:
            return [(i, self._pending.pop(i)) for i in statement_ids if i in self._pending]

    def _remember(self, statement_id: str, value: tuple[pa.Table, list[Column]]) -> None:
        with self._lock:
            self._cache[statement_id] = value
            self._cache.move_to_end(statement_id)
            while len(self._cache) > self._cached:
                self._cache.popitem(last=False)

    def path(self, statement_id: str) -> Path:
        return self.root / (statement_id.replace(":", "_") + ".arrow")

    def write(self, statement_id: str, table: pa.Table | None, columns: list[Column]) -> tuple[int, int]:
        """Store a result; returns (rows, bytes)."""
        if table is None:
            table = pa.table({f"c{i}": pa.array([], pa.null()) for i in range(len(columns))})
        table = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
        if table.nbytes > self.max_bytes:
            raise ResultTooLarge("Database response exceeded size limit")
        meta = {b"columns": json.dumps([asdict(c) for c in columns]).encode()}
        table = table.replace_schema_metadata(meta)
        if self.small is not None and table.nbytes < SMALL_BYTES:
            sink = pa.BufferOutputStream()
            with ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            with self._lock:  # saved with the statement's end (``take_pending``), one commit
                self._pending[statement_id] = sink.getvalue().to_pybytes()
        else:
            tmp = self.path(statement_id).with_suffix(".tmp")
            with pa.OSFile(str(tmp), "wb") as out, ipc.new_file(out, table.schema) as writer:
                writer.write_table(table, max_chunksize=65536)
            tmp.replace(self.path(statement_id))
        self._remember(statement_id, (table, list(columns)))
        return table.num_rows, table.nbytes

    def read(self, statement_id: str) -> tuple[pa.Table, list[Column]]:
        with self._lock:
            hit = self._cache.get(statement_id)
        if hit is not None:
            return hit
        with self._lock:
            blob = self._pending.get(statement_id)
        if blob is None and self.small is not None:
            blob = self.small.get_result(statement_id)
        if blob is not None:
            table = ipc.open_file(pa.py_buffer(blob)).read_all()
        else:
            with pa.memory_map(str(self.path(statement_id)), "r") as source:
                table = ipc.open_file(source).read_all()
        raw = (table.schema.metadata or {}).get(b"columns", b"[]")
        value = (table, [Column(**c) for c in json.loads(raw)])
        self._remember(statement_id, value)
        return value

    def delete(self, statement_id: str) -> None:
        with self._lock:
            self._cache.pop(statement_id, None)
            self._pending.pop(statement_id, None)
        if self.small is not None:
            self.small.delete_result(statement_id)
        self.path(statement_id).unlink(missing_ok=True)

    def page(self, statement_id: str, token: str | None, csv_format: bool = False) -> dict[str, Any]:
        table, columns = self.read(statement_id)
        start = decode_token(token)
        total = table.num_rows
        per_row = (table.nbytes // total if total else 0) + 24 * max(1, len(columns))
        count = max(1, PAGE_BYTES // per_row)
        part = table.slice(start, count)
        out: dict[str, Any] = {"ColumnMetadata": [column_metadata(c) for c in columns], "TotalNumRows": total}
        if csv_format:
            out["Records"] = [{"CSVRecords": encode_csv(part, columns, header=start == 0)}]
            out["ResultFormat"] = "CSV"
        else:
            out["Records"] = encode_records(part, columns)
        if start + count < total:
            out["NextToken"] = encode_token(start + count)
        return out


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"row:{offset}".encode()).decode()


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if text.startswith("row:"):
            return max(0, int(text[4:]))
    except (ValueError, UnicodeError):
        pass
    raise ValidationException("Invalid NextToken")


def column_metadata(c: Column) -> dict[str, Any]:
    return {
        "isCaseSensitive": c.type_name in ("varchar", "bpchar", "char", "text", "super"),
        "isCurrency": False,
        "isSigned": c.type_name in _LONG | _DOUBLE | {"numeric"},
        "label": c.name,
        "name": c.name,
        "nullable": c.nullable,
        "precision": c.precision,
        "scale": c.scale,
        "schemaName": c.schema_name,
        "tableName": c.table_name,
        "typeName": c.type_name,
        "length": c.length,
    }


def encode_records(table: pa.Table, columns: list[Column]) -> list[list[dict[str, Any]]]:
    if table.num_rows == 0:
        return []
    # Millions of small dicts: the cyclic collector would rescan them over and over meanwhile.
    enabled = gc.isenabled()
    gc.disable()
    try:
        cols = [_encode_column(table.column(i), c) for i, c in enumerate(columns)]
        return list(map(list, zip(*cols, strict=True)))
    finally:
        if enabled:
            gc.enable()


def _encode_column(array: pa.ChunkedArray, c: Column) -> list[dict[str, Any]]:
    t = c.type_name
    if pa.types.is_null(array.type):
        return [_NULL] * len(array)
    if t == "varbyte" or pa.types.is_binary(array.type):
        return [_NULL if v is None else {"blobValue": base64.b64encode(v).decode()} for v in array.to_pylist()]
    if t == "bool":
        key, values = "booleanValue", array.to_pylist()
    elif t in _LONG and pa.types.is_integer(array.type):
        key, values = "longValue", array.to_pylist()
    elif t in _LONG and pa.types.is_decimal(array.type) and array.type.scale == 0:  # HUGEINT sums
        key, values = "longValue", [None if v is None else int(v) for v in array.to_pylist()]
    elif t in _DOUBLE:
        key, values = "doubleValue", array.to_pylist()
    else:
        key, values = "stringValue", text_values(array, c)
    if array.null_count == 0:
        return [{key: v} for v in values]
    return [_NULL if v is None else {key: v} for v in values]


def text_values(array: pa.ChunkedArray, c: Column) -> list[str | None]:
    """Values as Redshift prints them: '2024-01-31 12:00:00', '2024-01-31 12:00:00+00', ..."""
    typ = array.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return array.to_pylist()
    if pa.types.is_date(typ):
        return pc.strftime(array, "%Y-%m-%d").to_pylist()
    if pa.types.is_decimal(typ) or pa.types.is_integer(typ):
        return pc.cast(array, pa.string()).to_pylist()
    return [None if v is None else redshift_text(v) for v in array.to_pylist()]


def redshift_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        text = v.strftime("%Y-%m-%d %H:%M:%S")
        if v.microsecond:
            text += f".{v.microsecond:06d}".rstrip("0")
        if v.tzinfo is not None:
            off = v.utcoffset() or dt.timedelta()
            mins = int(off.total_seconds() // 60)
            sign = "+" if mins >= 0 else "-"
            text += f"{sign}{abs(mins) // 60:02d}" + (f":{abs(mins) % 60:02d}" if mins % 60 else "")
        return text
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, (list, dict)):
        return json.dumps(v, default=str, separators=(",", ":"))
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, dt.timedelta):  # PostgreSQL's intervals (psycopg counts a month as 30 days)
        size = -v if v < dt.timedelta(0) else v
        days, nanos = size.days, (size.seconds * 1_000_000 + size.microseconds) * 1000
        return interval_text(0, -days, -nanos) if v < dt.timedelta(0) else interval_text(0, days, nanos)
    if type(v).__name__ == "MonthDayNano":  # DuckDB's intervals, through Arrow
        return interval_text(v.months, v.days, v.nanoseconds)
    return str(v)


def interval_text(months: int, days: int, nanos: int) -> str:
    """An interval as Redshift (PostgreSQL's default style) prints it: '1 year 2 mons 3 days 04:05:06',
    '-01:30:00', '1 day'."""
    parts = []
    years, mons = divmod(abs(months), 12)
    sign = "-" if months < 0 else ""
    if years:
        parts.append(f"{sign}{years} year{'s' if years != 1 else ''}")
    if mons:
        parts.append(f"{sign}{mons} mon{'s' if mons != 1 else ''}")
    if days:
        parts.append(f"{days} day{'s' if abs(days) != 1 else ''}")
    if nanos or not parts:
        micros = abs(nanos) // 1000
        secs, frac = divmod(micros, 1_000_000)
        text = f"{'-' if nanos < 0 else ''}{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
        parts.append(text + (f".{frac:06d}".rstrip("0") if frac else ""))
    return " ".join(parts)


def encode_csv(table: pa.Table, columns: list[Column], *, header: bool) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow([c.name for c in columns])
    if table.num_rows:
        cols = []
        for i, c in enumerate(columns):
            arr = table.column(i)
            if c.type_name in _LONG | _DOUBLE or pa.types.is_null(arr.type):
                cols.append(arr.to_pylist())
            elif c.type_name == "bool":
                cols.append(["t" if v else ("f" if v is not None else None) for v in arr.to_pylist()])
            else:
                cols.append(text_values(arr, c))
        w.writerows(zip(*cols, strict=True))
    return buf.getvalue()
