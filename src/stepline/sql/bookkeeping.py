"""Control data in SQLite (``<data_dir>/statements.sqlite``, WAL): statements with their
sub-statements, and the query history that feeds the Redshift system views. Sessions are not
kept: their connections die with the process."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from stepline.sql import catalog
from stepline.sql.statements import (
    ABORTED,
    ACTIVE,
    FAILED,
    FINISHED,
    PICKED,
    SUBMITTED,
    Statement,
    SubStatement,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS statements (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at REAL NOT NULL, name TEXT,
    client_token TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS statements_created ON statements (created_at);
CREATE UNIQUE INDEX IF NOT EXISTS statements_token ON statements (client_token) WHERE client_token IS NOT NULL;
CREATE TABLE IF NOT EXISTS results (id TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS history (query_id INTEGER PRIMARY KEY, statement_id TEXT, data TEXT NOT NULL);
"""


class Bookkeeping:
    def __init__(self, path: Path, *, redact: Callable[[str], str] | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._redact = redact  # statement texts are stored through it (no passwords on disk)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _data(self, st: Statement) -> str:
        data = st.to_json()
        if self._redact is not None:
            data["sqls"] = [self._redact(q) for q in data["sqls"]]
            for sub in data["subs"]:
                sub["sql"] = self._redact(sub["sql"])
            if data.get("error"):
                data["error"] = self._redact(data["error"])
        return json.dumps(data, separators=(",", ":"))

    def save(self, st: Statement) -> None:
        data = self._data(st)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO statements (id, status, created_at, name, client_token, data) "
                "VALUES (?, ?, ?, ?, ?, ?)", (st.id, st.status, st.created_at, st.name, st.client_token, data))

    def finish(self, st: Statement, history: list[tuple[int, str, dict[str, Any]]],
               results: list[tuple[str, bytes]] | None = None) -> None:
        """Save an ended statement, its query-history rows and small results in one transaction."""
        data = self._data(st)
        rows = [(q, sid, json.dumps(row, default=str)) for q, sid, row in history]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO statements (id, status, created_at, name, client_token, data) "
                    "VALUES (?, ?, ?, ?, ?, ?)", (st.id, st.status, st.created_at, st.name, st.client_token, data))
                self._db.executemany("INSERT OR REPLACE INTO history VALUES (?, ?, ?)", rows)
                if results:
                    self._db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?)", results)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def max_query_id(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT max(query_id) FROM history").fetchone()
        return int(row[0] or 100000)

    def load(self, statement_id: str) -> Statement | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM statements WHERE id = ?", (statement_id,)).fetchone()
        return Statement.from_json(json.loads(row[0])) if row else None

    def by_token(self, token: str) -> Statement | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM statements WHERE client_token = ?", (token,)).fetchone()
        return Statement.from_json(json.loads(row[0])) if row else None

    def statements(self, newest_first: bool = True) -> Iterator[Statement]:
        order = "DESC" if newest_first else "ASC"
        with self._lock:
            rows = self._db.execute(f"SELECT data FROM statements ORDER BY created_at {order}, id").fetchall()
        for (data,) in rows:
            yield Statement.from_json(json.loads(data))

    def expired(self, before: float) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT id FROM statements WHERE created_at < ?", (before,)).fetchall()
        return [r[0] for r in rows]

    def delete(self, ids: list[str]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM statements WHERE id = ?", [(i,) for i in ids])

    # small result sets live here (a file per tiny result costs more than the query)
    def put_result(self, statement_id: str, data: bytes) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO results VALUES (?, ?)", (statement_id, data))

    def get_result(self, statement_id: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM results WHERE id = ?", (statement_id,)).fetchone()
        return row[0] if row else None

    def delete_result(self, statement_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM results WHERE id = ?", (statement_id,))

    def unfinished(self) -> list[Statement]:
        """Statements a previous process accepted and did not end (the service resumes them)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT data FROM statements WHERE status IN ({','.join('?' * len(ACTIVE))}) ORDER BY created_at",
                tuple(ACTIVE)).fetchall()
        return [Statement.from_json(json.loads(data)) for (data,) in rows]

    # query history ----------------------------------------------------------------------------
    def history(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM history ORDER BY query_id").fetchall()
        return [json.loads(r[0]) for r in rows]


# -- query history rows (what the Redshift system views show) ---------------------------------


def history_row(st: Statement, item: Statement | SubStatement, service_class: int,
                redact: Callable[[str], str] | None = None, user_id: int = 100) -> dict[str, Any]:
    """One ``stepline_sys.query_history`` row (``catalog.HISTORY_COLUMNS``) for a statement or
    a batch's sub-statement; its text passes through ``redact``; ``user_id`` is the id of the
    statement's user (CURRENT_USER_ID; 100, the first superuser, without access control)."""
    status = {FINISHED: "success", FAILED: "failed", ABORTED: "canceled"}.get(item.status, "running")
    if item.status in (SUBMITTED, PICKED):
        status = "queued"
    start = item.started_at if item.started_at is not None else st.started_at
    exec_us = max(0, item.duration_ns // 1000)
    queue_us = st.queue_ns // 1000
    text = item.sql if isinstance(item, SubStatement) else st.sql
    if redact is not None:
        text = redact(text)
    return {
        "query_id": item.query_id, "statement_id": item.id, "session_id": st.session_id,
        "transaction_id": st.query_id, "pid": st.pid, "user_id": user_id, "user_name": st.run_as or st.db_user,
        "database_name": st.database, "query_label": st.query_group or "default",
        "query_text": text, "query_type": _query_type(text), "status": status,
        "error_message": redact(item.error) if redact and item.error else item.error, "service_class": service_class, "service_class_name": st.queue,
        "query_priority": "normal", "queue_start_time": _ts(st.created_at),
        "queue_end_time": _ts(st.picked_at), "start_time": _ts(start),
        "end_time": _ts(start + exec_us / 1e6 if start is not None else None),
        "queue_time_us": queue_us, "exec_time_us": exec_us, "compile_time_us": 0,
        "elapsed_time_us": queue_us + exec_us, "returned_rows": max(item.result_rows, 0),
        "returned_bytes": item.result_size, "result_cache_hit": False,
    }


def refresh_history(conn: Any, books: Bookkeeping, active: list[dict[str, Any]]) -> None:
    """Bring ``stepline_sys.query_history`` in the backend up to date: ended queries not there
    yet are appended, the rows of queued and running ones are replaced by ``active``."""
    table = f"{catalog.SCHEMA}.query_history"
    names = [n for n, _ in catalog.HISTORY_COLUMNS]
    conn.execute(f"DELETE FROM {table} WHERE status IN ('queued', 'running')")
    present = {r[0] for r in conn.execute(f"SELECT statement_id FROM {table}").fetchall()}
    rows = [r for r in books.history() if r["statement_id"] not in present] + active
    conn.bulk_insert(table, names, [tuple(_history_value(r.get(n)) for n in names) for r in rows])


def _history_value(v: Any) -> Any:
    if isinstance(v, str) and len(v) == 26 and v[4] == "-" and v[10] == "T":
        return dt.datetime.fromisoformat(v)
    return v


def _ts(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _query_type(text: str) -> str:
    word = text.lstrip().split(None, 1)[0].upper() if text.strip() else ""
    if word in ("SELECT", "WITH"):
        return "SELECT"
    if word in ("INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "UNLOAD"):
        return word
    if word in ("CREATE", "DROP", "ALTER", "TRUNCATE"):
        return "DDL"
    return "UTILITY"
