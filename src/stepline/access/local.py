"""A minimal embedded session: Redshift SQL -> translate -> access handlers or authorize ->
backend. It is how the statement service is expected to use ``AccessControl``, in ~80 lines, and
what the access tests and benchmark run on (a real DuckDB or PostgreSQL connection).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stepline.access.control import ACCESS_EXTENSIONS, INSUFFICIENT_PRIVILEGE, AccessControl
from stepline.errors import Invalid
from stepline.sql.extensions import ExtensionResult
from stepline.sql.translate import SESSION_SETUP, translate


@dataclass(slots=True)
class _Context:
    dialect: str
    data_dir: Path
    user: str
    session_id: str
    conn: Any

    def execute(self, sql: str, params: Any = None) -> Any:
        return self.conn.execute(sql, params) if params is not None else self.conn.execute(sql)

    def run_redshift(self, sql: str) -> list[ExtensionResult]:
        raise Invalid("nested statements are not available here")

    def check_cancelled(self) -> None:
        return None


@dataclass(slots=True)
class Result:
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)


class LocalSession:
    """``LocalSession(access, conn, "duckdb", user="awsuser").run("select ...") -> [Result]``."""

    def __init__(self, access: AccessControl, conn: Any, dialect: str, *, user: str | None = None,
                 data_dir: Path = Path(".")) -> None:
        self.access = access
        self.conn = conn
        self.dialect = dialect
        self.user = (user or access.superuser).lower()
        self.session_id = uuid.uuid4().hex
        self.data_dir = data_dir
        access.ensure_user(self.user)
        for sql in SESSION_SETUP.get(dialect, ()):
            conn.execute(sql)

    @property
    def current_user(self) -> str:
        return self.access.effective_user(self.session_id, self.user)

    def run(self, sql: str) -> list[Result]:
        out = []
        for t in translate(sql, self.dialect):
            user = self.current_user
            if t.kind == "extension" and t.extension in ACCESS_EXTENSIONS:
                self.access.authorize(user, t, self.dialect)
                ctx = _Context(self.dialect, self.data_dir, user, self.session_id, self.conn)
                self._as(self.access.superuser)
                self.access.extensions()[t.extension](ctx, t.source)
                out.append(Result())
                continue
            ctx = _Context(self.dialect, self.data_dir, user, self.session_id, self.conn)
            backend = self.access.authorize(user, t, self.dialect, ctx)
            if backend is None:
                out.append(Result())
                continue
            self._as(user)
            try:
                cur = self.conn.execute(backend)
            except Exception as e:
                if getattr(e, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
                    raise self.access.backend_denied(user, t.source, str(e).splitlines()[0]) from None
                raise
            finally:
                self._as(self.access.superuser)
            if t.kind == "ddl":
                self.access.schema_changed()
            desc = cur.description
            out.append(Result([d[0] for d in desc], list(cur.fetchall())) if desc else Result())
        return out

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.run(sql)[-1].rows

    def _as(self, user: str) -> None:
        for sql in self.access.session_setup(user, self.dialect):
            self.conn.execute(sql)
