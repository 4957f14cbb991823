"""The durable load error log behind STL_LOAD_ERRORS: COPY's rejected records, kept in the catalog's
SQLite file so that they survive the failed COPY's rollback.
https://docs.aws.amazon.com/redshift/latest/dg/r_STL_LOAD_ERRORS.html
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stepline.lake.catalog import Catalog
from stepline.sql.extensions import ExtensionContext, ExtensionResult

_ERRORS = """CREATE TABLE IF NOT EXISTS stl_load_errors (
  userid TEXT, slice INTEGER, tbl TEXT, starttime REAL, session INTEGER, query INTEGER, filename TEXT,
  line_number INTEGER, colname TEXT, type TEXT, col_length TEXT, position INTEGER, raw_line TEXT,
  raw_field_value TEXT, err_code INTEGER, err_reason TEXT, is_partial INTEGER, start_offset INTEGER)"""


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
        rows.append((ctx.user_id(r["userid"]), r["slice"], r["tbl"], start, r["session"], r["query"],
                     r["filename"], r["line_number"], r["colname"], r["type"], r["col_length"], r["position"], r["raw_line"], r["raw_field_value"],
                     r["err_code"], r["err_reason"], r["is_partial"], r["start_offset"], r["userid"]))
    return ExtensionResult(columns=[(n, "") for n in names], rows=rows)


def record_rejects(ctx: ExtensionContext, table: tuple[str, ...], rejects: list[Reject]) -> None:
    """Adds a COPY's rejects to the log, with the statement's user and query id."""
    now = time.time()
    # STL_LOAD_ERRORS keeps colname char(127), raw_line and raw_field_value char(1024), err_reason char(100)
    _record(ctx.data_dir, [
        (getattr(ctx, "user", ""), 0, ".".join(table), now, 0, getattr(ctx, "query_id", 0), r.file, r.line,
         r.column[:127], r.type, r.col_length, r.position, r.raw_line[:1024], r.raw_value[:1024], r.code,
         r.reason[:100], 0, 0)
        for r in rejects])
