"""SQLite ExecutionStore: ``<data_dir>/control.sqlite``.

WAL journal with ``synchronous=FULL``: a commit is on disk (fsync of the WAL) before ``append``
returns, so an event is durable before the engine acts on its commands, even across a power
loss, not only a process kill (NORMAL would survive kill -9 but could lose the last commits on an
OS crash after a statement was already submitted). The engine commits a whole batch of
executions in one transaction, which keeps the fsync cost per event small.

``executions.snapshot`` holds the snapshot without its log; the log is in ``snapshot_log``, one
row per entry, appended batch by batch. A data dir written before the log had its own table still
has whole snapshots (log included) in that column: they are read as the start of the log, and
rows appended after a resume continue from their length.

``resources`` (aliases, activities, tags, map runs) was added later: ``create table if not
exists`` adds it to an older data dir when it is opened; machine and execution records written
before their newer fields existed read those fields' defaults.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from stepline.runtime.stores.base import Append, ExecutionRecord, MachineRecord

_SCHEMA = """
create table if not exists machines (arn text primary key, record text not null);
create table if not exists executions (
    arn text primary key, machine_arn text not null, status text not null,
    start_date real not null, parent_arn text, record text not null, snapshot text);
create index if not exists executions_by_machine on executions (machine_arn, start_date);
create index if not exists executions_by_status on executions (status);
create table if not exists events (
    arn text not null, id integer not null, body text not null, primary key (arn, id)) without rowid;
create table if not exists snapshot_log (
    arn text not null, seq integer not null, entry text not null, primary key (arn, seq)) without rowid;
create table if not exists resources (
    kind text not null, arn text not null, doc text not null, primary key (kind, arn));
"""


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _machine(text: str) -> MachineRecord:
    raw = json.loads(text)
    raw["versions"] = tuple(raw.get("versions", ()))
    return MachineRecord(**raw)


def _execution(text: str) -> ExecutionRecord:
    return ExecutionRecord(**json.loads(text))


class SqliteStore:
    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("pragma journal_mode=WAL")
        self._db.execute(f"pragma synchronous={synchronous}")
        self._db.execute("pragma busy_timeout=10000")
        self._db.executescript(_SCHEMA)
        # reads go through a connection per thread: under WAL they see the last commit without
        # waiting for the writer's fsync (a StartExecution's lookups queued behind batch commits)
        self._readers = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []

    @classmethod
    def in_data_dir(cls, data_dir: str | Path) -> SqliteStore:
        return cls(Path(data_dir) / "control.sqlite")

    def _write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        with self._lock:
            cur = self._db.cursor()
            cur.execute("begin immediate")
            try:
                for sql, params in statements:
                    cur.execute(sql, params)
            except BaseException:
                cur.execute("rollback")
                raise
            cur.execute("commit")

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = getattr(self._readers, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            conn.execute("pragma busy_timeout=10000")
            self._readers.conn = conn
            with self._lock:
                self._reader_conns.append(conn)
        return conn.execute(sql, params).fetchall()

    # --- machines ---------------------------------------------------------------------------

    def put_machine(self, machine: MachineRecord) -> None:
        self._write([("insert or replace into machines values (?, ?)",
                      (machine.arn, _dumps(dataclasses.asdict(machine))))])

    def get_machine(self, arn: str) -> MachineRecord | None:
        rows = self._read("select record from machines where arn = ?", (arn,))
        return _machine(rows[0][0]) if rows else None

    def list_machines(self) -> list[MachineRecord]:
        machines = [_machine(r[0]) for r in self._read("select record from machines")]
        return sorted(machines, key=lambda m: m.creation_date)

    def delete_machine(self, arn: str) -> None:
        self._write([("delete from machines where arn = ?", (arn,))])

    # --- executions -------------------------------------------------------------------------

    def _upsert(self, a: Append, *, insert: bool) -> list[tuple[str, tuple[Any, ...]]]:
        r = a.record
        out: list[tuple[str, tuple[Any, ...]]] = []
        record = _dumps(dataclasses.asdict(r))
        head = None if a.snapshot is None else _dumps({k: v for k, v in a.snapshot.items() if k != "log"})
        if insert:
            out.append(("insert into executions values (?, ?, ?, ?, ?, ?, ?)",
                        (r.arn, r.machine_arn, r.status, r.start_date, r.parent_arn, record, head)))
        elif head is not None:
            out.append(("update executions set status = ?, record = ?, snapshot = ? where arn = ?",
                        (r.status, record, head, r.arn)))
            out.append(("delete from snapshot_log where arn = ?", (r.arn,)))
        else:
            out.append(("update executions set status = ?, record = ? where arn = ?", (r.status, record, r.arn)))
        for event in a.events:
            out.append(("insert or replace into events values (?, ?, ?)", (r.arn, int(event["id"]), _dumps(event))))
        entries = list(a.snapshot.get("log", ())) if a.snapshot is not None else []
        if a.log and a.snapshot is not None and a.log_start != len(entries):
            raise ValueError(f"log of {r.arn} holds {len(entries)} entries, not {a.log_start}")
        # plain insert: a position written twice is an error (the transaction is rolled back)
        out.extend(("insert into snapshot_log values (?, ?, ?)", (r.arn, seq, _dumps(entry)))
                   for seq, entry in enumerate(entries))
        out.extend(("insert into snapshot_log values (?, ?, ?)", (r.arn, seq, _dumps(entry)))
                   for seq, entry in enumerate(a.log, a.log_start))
        return out

    def create_execution(self, first: Append) -> None:
        try:
            self._write(self._upsert(first, insert=True))
        except sqlite3.IntegrityError as e:
            if "snapshot_log" in str(e):
                raise ValueError(f"log of {first.record.arn}: {e}") from None
            raise KeyError(first.record.arn) from None

    def append_many(self, appends: list[Append]) -> None:
        if not appends:
            return
        statements: list[tuple[str, tuple[Any, ...]]] = []
        for a in appends:
            statements.extend(self._upsert(a, insert=False))
        try:
            self._write(statements)
        except sqlite3.IntegrityError as e:
            raise ValueError(f"snapshot log position already stored: {e}") from None

    def get_execution(self, arn: str) -> ExecutionRecord | None:
        rows = self._read("select record from executions where arn = ?", (arn,))
        return _execution(rows[0][0]) if rows else None

    def load_snapshot(self, arn: str) -> dict[str, Any] | None:
        with self._lock:  # both reads under one lock: no batch commits between them
            rows = self._db.execute("select snapshot from executions where arn = ?", (arn,)).fetchall()
            if not rows or not rows[0][0]:
                return None
            entries = self._db.execute("select seq, entry from snapshot_log where arn = ? order by seq",
                                       (arn,)).fetchall()
        snapshot = json.loads(rows[0][0])
        if entries:
            log = snapshot.get("log", [])  # an old-format snapshot still holds its log here
            if entries[0][0] != len(log) or entries[-1][0] != len(log) + len(entries) - 1:
                raise ValueError(f"snapshot log of {arn} is not contiguous: rows {entries[0][0]}.."
                                 f"{entries[-1][0]} after {len(log)} entries")
            snapshot["log"] = log + [json.loads(entry) for _, entry in entries]
        return snapshot

    def log_rows(self, arn: str) -> int:
        """How many log rows are stored for the execution (for benchmarks and tests)."""
        return self._read("select count(*) from snapshot_log where arn = ?", (arn,))[0][0]

    def list_executions(self, *, machine_arn: str | None = None, status: str | None = None,
                        parent_arn: str | None = None) -> list[ExecutionRecord]:
        where, params = [], []
        for column, value in (("machine_arn", machine_arn), ("status", status), ("parent_arn", parent_arn)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "select record from executions"
        if where:
            sql += " where " + " and ".join(where)
        sql += " order by start_date desc, arn desc"
        return [_execution(r[0]) for r in self._read(sql, tuple(params))]

    def history(self, arn: str, *, offset: int = 0, limit: int | None = None,
                reverse: bool = False) -> list[dict[str, Any]]:
        order = "desc" if reverse else "asc"
        rows = self._read(f"select body from events where arn = ? order by id {order} limit ? offset ?",
                          (arn, -1 if limit is None else limit, offset))
        return [json.loads(r[0]) for r in rows]

    # --- other resources ----------------------------------------------------------------------

    def put_resource(self, kind: str, arn: str, doc: dict[str, Any]) -> None:
        # an upsert keeps the row (and its rowid, the creation order) of a resource put before
        self._write([("insert into resources values (?, ?, ?) on conflict (kind, arn) do update set doc = excluded.doc",
                      (kind, arn, _dumps(doc)))])

    def get_resource(self, kind: str, arn: str) -> dict[str, Any] | None:
        rows = self._read("select doc from resources where kind = ? and arn = ?", (kind, arn))
        return json.loads(rows[0][0]) if rows else None

    def list_resources(self, kind: str, prefix: str = "") -> list[dict[str, Any]]:
        rows = self._read("select doc from resources where kind = ? and substr(arn, 1, ?) = ? order by rowid",
                          (kind, len(prefix), prefix))
        return [json.loads(r[0]) for r in rows]

    def delete_resource(self, kind: str, arn: str) -> None:
        self._write([("delete from resources where kind = ? and arn = ?", (kind, arn))])

    def close(self) -> None:
        with self._lock:
            for conn in self._reader_conns:  # each used by one thread only, closed here by any
                conn.close()
            self._reader_conns.clear()
            self._db.close()
