"""Where the enforcer learns which relations exist: DuckDB's own catalog, read once per relation
and kept until the schema changes (``invalidate`` after any DDL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from stepline.access.catalog import DEFAULT_SCHEMA
from stepline.access.enforce import TEMP, TEMP_OWNER_MARK, Relation

_COLUMNS = """select column_name from duckdb_columns()
 where database_name = ? and schema_name = ? and table_name = ? order by column_index"""
_KIND = """select 'table', null from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?
 union all select 'view', sql from duckdb_views() where database_name = ? and schema_name = ? and view_name = ?
 and not internal"""
_TEMPORARY = "select table_name, comment from duckdb_tables() where database_name = 'temp' and schema_name = 'main'"


class DuckDBSchema:
    """``lookup(schema, name)`` over a DuckDB connection (a callable returning one, e.g. a cursor).

    What it read is trusted for ``ttl`` seconds at most, so DDL that nobody reported through
    ``invalidate`` (a superuser's, say) is seen soon; ``generation`` counts the resets, and the
    enforcer's cache is keyed by it.
    """

    def __init__(self, connect: Callable[[], Any], *, ttl: float = 2.0) -> None:
        self._connect = connect
        self._cache: dict[tuple[str | None, str], Relation | None] = {}
        self._lock = threading.Lock()
        self._ttl = ttl
        self._stamp = time.monotonic()
        self._generation = 0

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()
            self._generation += 1
            self._stamp = time.monotonic()

    @property
    def generation(self) -> int:
        if time.monotonic() - self._stamp > self._ttl:
            self.invalidate()
        return self._generation

    def lookup(self, schema: str | None, name: str) -> Relation | None:
        key = (schema, name)
        self.generation  # noqa: B018 - expires the cache when it is too old
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        rel = self._find(schema, name)
        with self._lock:
            self._cache[key] = rel
        return rel

    def find(self, con: Any, schema: str | None, name: str) -> Relation | None:
        """Uncached, on a given connection (a statement's own, which sees its transaction)."""
        return self._find(schema, name, con)

    def _find(self, schema: str | None, name: str, con: Any = None) -> Relation | None:
        con = con if con is not None else self._connect()
        database = con.execute("select current_database()").fetchone()[0]
        places = [("temp", "main", "temp"), (database, DEFAULT_SCHEMA, DEFAULT_SCHEMA)] if schema is None else \
            [("temp", "main", "temp")] if schema in ("temp", "pg_temp") else [(database, schema, schema)]
        for db, sch, label in places:
            kinds = con.execute(_KIND, [db, sch, name, db, sch, name]).fetchall()
            if not kinds:
                continue
            cols = tuple(r[0].lower() for r in con.execute(_COLUMNS, [db, sch, name]).fetchall())
            kind, sql = kinds[0]
            return Relation(label, name, cols, sql if kind == "view" else None)
        return None

    def temporary(self, con: Any) -> dict[str, Relation]:
        """The temporary tables of a statement's own connection, with who created each
        (``TEMP_OWNER_MARK`` in its comment; None for one made by a superuser)."""
        rows = con.execute(_TEMPORARY).fetchall()
        out = {}
        for name, comment in rows:
            cols = tuple(r[0].lower() for r in con.execute(_COLUMNS, ["temp", "main", name]).fetchall())
            owner = comment[len(TEMP_OWNER_MARK):] if comment and comment.startswith(TEMP_OWNER_MARK) else None
            out[name.lower()] = Relation(TEMP, name, cols, None, owner)
        return out

    def tables_in_schema(self, schema: str, con: Any = None) -> list[Relation]:
        con = con if con is not None else self._connect()
        database = con.execute("select current_database()").fetchone()[0]
        names = con.execute("select table_name from duckdb_tables() where database_name = ? and schema_name = ? "
                            "union all select view_name from duckdb_views() where database_name = ? "
                            "and schema_name = ? and not internal order by 1", [database, schema] * 2).fetchall()
        return [r for (n,) in names if (r := self._find(schema, n, con)) is not None]


class PostgresSchema:
    """The same over a psycopg connection (used to resolve names in GRANT and RLS statements)."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect

    def invalidate(self) -> None:
        return None

    def temporary(self, con: Any) -> dict[str, Relation]:
        return {}  # PostgreSQL resolves and guards temporary tables itself

    def find(self, con: Any, schema: str | None, name: str) -> Relation | None:
        return self.lookup(schema, name, con)

    def lookup(self, schema: str | None, name: str, con: Any = None) -> Relation | None:
        con = con if con is not None else self._connect()
        if schema is None:
            row = con.execute("select table_schema from information_schema.tables where table_name = %s "
                              "and table_schema = any(current_schemas(false)) limit 1", (name,)).fetchone()
            if row is None:
                return None
            schema = row[0]
        cols = con.execute("select column_name from information_schema.columns where table_schema = %s "
                           "and table_name = %s order by ordinal_position", (schema, name)).fetchall()
        if not cols:
            return None
        return Relation(schema, name, tuple(c[0] for c in cols))

    def tables_in_schema(self, schema: str, con: Any = None) -> list[Relation]:
        con = con if con is not None else self._connect()
        names = con.execute("select table_name from information_schema.tables where table_schema = %s order by 1",
                            (schema,)).fetchall()
        return [r for (n,) in names if (r := self.lookup(schema, n, con)) is not None]
