"""A persistent Glue-like data catalog in SQLite (``<data_dir>/catalog.sqlite``).

Databases hold tables; a table keeps every schema it ever had as numbered versions (a crawl
that finds a different schema adds a version, it never overwrites one), its partitions and
Glue-style statistics (recordCount, averageRecordSize, compressionType, sizeKey, classification).
https://docs.aws.amazon.com/glue/latest/dg/tables-described.html
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from stepline.errors import NotFound
from stepline.lake.paths import LakeError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS databases (name TEXT PRIMARY KEY, description TEXT, created REAL);
CREATE TABLE IF NOT EXISTS table_versions (
  database TEXT, name TEXT, version INTEGER, location TEXT, classification TEXT,
  columns TEXT, partition_keys TEXT, parameters TEXT, table_type TEXT, created REAL,
  PRIMARY KEY (database, name, version));
CREATE TABLE IF NOT EXISTS partitions (
  database TEXT, name TEXT, vals TEXT, location TEXT, created REAL,
  PRIMARY KEY (database, name, vals));
CREATE TABLE IF NOT EXISTS s3_query_summary (
  query INTEGER, segment INTEGER, external_table_name TEXT, s3_scanned_rows INTEGER,
  s3_scanned_bytes INTEGER, s3query_returned_rows INTEGER, s3query_returned_bytes INTEGER,
  files INTEGER, is_partitioned TEXT, total_partitions INTEGER, qualified_partitions INTEGER,
  starttime REAL, endtime REAL);
"""

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,254}$")

# DuckDB type -> Glue/Hive type, and back.
_TO_GLUE = {"VARCHAR": "string", "BIGINT": "bigint", "INTEGER": "int", "SMALLINT": "smallint",
            "TINYINT": "tinyint", "DOUBLE": "double", "FLOAT": "float", "BOOLEAN": "boolean",
            "DATE": "date", "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamp",
            "HUGEINT": "bigint", "UBIGINT": "bigint", "UINTEGER": "bigint", "BLOB": "binary"}
_TO_DUCK = {"string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "smallint": "SMALLINT",
            "tinyint": "TINYINT", "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN",
            "date": "DATE", "timestamp": "TIMESTAMP", "binary": "BLOB"}


def glue_type(duck_type: str) -> str:
    t = duck_type.upper()
    if t.startswith("DECIMAL"):
        return t.lower()
    if t.startswith(("STRUCT", "MAP")) or t.endswith("]"):
        return "string"
    return _TO_GLUE.get(t, "string")


def duck_type(glue: str) -> str:
    g = glue.lower()
    if g.startswith("decimal"):
        return g.upper()
    if g.startswith(("varchar", "char")):
        return "VARCHAR"
    return _TO_DUCK.get(g, "VARCHAR")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # Glue type name: string, bigint, double, ...


@dataclass(frozen=True, slots=True)
class TableDef:
    database: str
    name: str
    location: str  # s3://bucket/prefix/
    classification: str  # csv | json | parquet
    columns: tuple[Column, ...]
    partition_keys: tuple[Column, ...] = ()
    parameters: dict[str, str] = field(default_factory=dict)  # statistics and serde options
    table_type: str = "EXTERNAL_TABLE"
    version: int = 0

    def same_schema(self, other: TableDef) -> bool:
        return (self.columns, self.partition_keys, self.classification) == (
            other.columns, other.partition_keys, other.classification)


@dataclass(frozen=True, slots=True)
class Partition:
    values: tuple[str, ...]
    location: str


def check_name(kind: str, name: str) -> str:
    n = name.strip().lower()
    if not _NAME.match(n):
        raise LakeError(f"invalid {kind} name '{name}': use lower-case letters, digits and '_'")
    return n


class Catalog:
    """The catalog of one data directory. Thread-safe enough: one short connection per call."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / "catalog.sqlite"
        db = sqlite3.connect(self.path, timeout=30)
        try:
            # WAL from the start: switching a database in use to WAL later fails at once when
            # another writer holds it ("database is locked", no busy wait)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        finally:
            db.close()

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        return _Tx(db)  # type: ignore[return-value]

    # databases
    def create_database(self, name: str, *, exist_ok: bool = True, description: str = "") -> str:
        n = check_name("database", name)
        with self._db() as db:
            if db.execute("SELECT 1 FROM databases WHERE name = ?", (n,)).fetchone():
                if not exist_ok:
                    raise LakeError(f"database '{n}' already exists")
                return n
            db.execute("INSERT INTO databases VALUES (?, ?, ?)", (n, description, time.time()))
        return n

    def list_databases(self) -> list[str]:
        with self._db() as db:
            return [r[0] for r in db.execute("SELECT name FROM databases ORDER BY name")]

    def require_database(self, name: str) -> str:
        n = name.strip().lower()
        if n not in self.list_databases():
            raise NotFound(f"database '{name}' does not exist in the data catalog")
        return n

    # tables
    def put_table(self, table: TableDef) -> TableDef:
        """Store a table: a different schema becomes a new version; the same schema updates the
        statistics of the current version in place."""
        self.require_database(table.database)
        current = self.find_table(table.database, table.name)
        with self._db() as db:
            if current is not None and current.same_schema(table):
                stored = replace(table, version=current.version)
                db.execute(
                    "UPDATE table_versions SET location = ?, parameters = ?, table_type = ? "
                    "WHERE database = ? AND name = ? AND version = ?",
                    (table.location, json.dumps(table.parameters), table.table_type,
                     table.database, table.name, current.version))
                return stored
            stored = replace(table, version=(current.version + 1) if current else 1)
            db.execute(
                "INSERT INTO table_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (stored.database, stored.name, stored.version, stored.location, stored.classification,
                 _cols(stored.columns), _cols(stored.partition_keys), json.dumps(stored.parameters),
                 stored.table_type, time.time()))
            return stored

    def find_table(self, database: str, name: str, version: int | None = None) -> TableDef | None:
        sql = "SELECT * FROM table_versions WHERE database = ? AND name = ?"
        args: tuple = (database.lower(), name.lower())
        if version is not None:
            sql += " AND version = ?"
            args += (version,)
        with self._db() as db:
            row = db.execute(sql + " ORDER BY version DESC LIMIT 1", args).fetchone()
        return _table(row) if row else None

    def get_table(self, database: str, name: str, version: int | None = None) -> TableDef:
        t = self.find_table(database, name, version)
        if t is None:
            raise NotFound(f"table '{database}.{name}' does not exist in the data catalog")
        return t

    def list_tables(self, database: str) -> list[TableDef]:
        db_name = self.require_database(database)
        with self._db() as db:
            rows = db.execute(
                "SELECT t.* FROM table_versions t JOIN (SELECT name, max(version) v FROM table_versions "
                "WHERE database = ? GROUP BY name) m ON m.name = t.name AND m.v = t.version "
                "WHERE t.database = ? ORDER BY t.name", (db_name, db_name)).fetchall()
        return [_table(r) for r in rows]

    def table_versions(self, database: str, name: str) -> list[TableDef]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM table_versions WHERE database = ? AND name = ? ORDER BY version",
                              (database.lower(), name.lower())).fetchall()
        return [_table(r) for r in rows]

    def delete_table(self, database: str, name: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM table_versions WHERE database = ? AND name = ?", (database, name))
            db.execute("DELETE FROM partitions WHERE database = ? AND name = ?", (database, name))

    # partitions
    def add_partitions(self, database: str, name: str, parts: list[Partition]) -> int:
        """Add partitions not yet known; returns how many were new."""
        with self._db() as db:
            before = db.execute("SELECT count(*) FROM partitions WHERE database = ? AND name = ?",
                                (database, name)).fetchone()[0]
            db.executemany("INSERT OR IGNORE INTO partitions VALUES (?, ?, ?, ?, ?)",
                           [(database, name, json.dumps(list(p.values)), p.location, time.time())
                            for p in parts])
            after = db.execute("SELECT count(*) FROM partitions WHERE database = ? AND name = ?",
                               (database, name)).fetchone()[0]
        return after - before

    def list_partitions(self, database: str, name: str) -> list[Partition]:
        with self._db() as db:
            rows = db.execute("SELECT vals, location FROM partitions WHERE database = ? AND name = ? "
                              "ORDER BY vals", (database, name)).fetchall()
        return [Partition(tuple(json.loads(v)), loc) for v, loc in rows]

    # Spectrum scan accounting (rows of SVL_S3QUERY_SUMMARY)
    def record_s3_query(self, row: dict) -> None:
        with self._db() as db:
            cols = list(row)
            db.execute(f"INSERT INTO s3_query_summary ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                       [row[c] for c in cols])

    def s3_query_summary(self) -> list[dict]:
        with self._db() as db:
            cur = db.execute("SELECT * FROM s3_query_summary ORDER BY starttime")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


class _Tx:
    """``with`` on a connection: BEGIN ... COMMIT (ROLLBACK on error), then close."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.db.close()


def _cols(cols: tuple[Column, ...]) -> str:
    return json.dumps([[c.name, c.type] for c in cols])


def _table(row: tuple) -> TableDef:
    database, name, version, location, classification, cols, pkeys, params, table_type, _ = row
    return TableDef(database, name, location, classification,
                    tuple(Column(n, t) for n, t in json.loads(cols)),
                    tuple(Column(n, t) for n, t in json.loads(pkeys)),
                    json.loads(params), table_type, version)
