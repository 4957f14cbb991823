"""The statement record kept for every ExecuteStatement / BatchExecuteStatement."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import pyarrow as pa

from stepline.errors import SteplineError
from stepline.sql import catalog, explain
from stepline.sql.backends.base import Column
from stepline.sql.extensions import ExtensionResult, Extensions, SystemSources
from stepline.sql.sessions import SessionState
from stepline.sql.translate import EXTENSIONS, Translated, setting_sql, translate

SUBMITTED, PICKED, STARTED, FINISHED, FAILED, ABORTED = (
    "SUBMITTED", "PICKED", "STARTED", "FINISHED", "FAILED", "ABORTED")
ACTIVE = frozenset({SUBMITTED, PICKED, STARTED})
TERMINAL = frozenset({FINISHED, FAILED, ABORTED})
STATUSES = ACTIVE | TERMINAL

#: extensions that change no relation (no schema_changed afterwards)
_SESSION_ONLY = frozenset({"set_session_authorization"})
_INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE for a permission failure

_EXTERNAL_LOCK = threading.Lock()

INTERRUPTED = "Statement was interrupted by a restart of the service; it was not re-run."
#: The warehouse table where a statement's own transaction records that it committed.
COMMIT_MARKERS = "stepline_sys.statement_commits"
CANCELLED = "Query cancelled on user's request"


@dataclass(slots=True)
class SubStatement:
    id: str
    sql: str
    status: str = SUBMITTED
    created_at: float = 0.0
    updated_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None
    has_result_set: bool = False
    result_rows: int = -1
    result_size: int = 0
    query_id: int = -1
    duration_ns: int = -1


@dataclass(slots=True)
class Statement:
    id: str
    sqls: list[str]
    is_batch: bool
    database: str
    db_user: str
    created_at: float
    updated_at: float
    status: str = SUBMITTED
    run_as: str | None = None  # whom SET SESSION AUTHORIZATION made it run as (the history's user)
    name: str | None = None
    parameters: list[dict[str, str]] = field(default_factory=list)
    cluster: str | None = None
    workgroup: str | None = None
    secret_arn: str | None = None
    db_groups: list[str] = field(default_factory=list)
    result_format: str = "JSON"
    session_id: str | None = None
    client_token: str | None = None
    request_key: str | None = None
    principal: str | None = None
    with_event: bool = False
    # may run again after a crash when its commit marker is missing (``durability.replayable``)
    replayable: bool = False
    queue: str = ""
    query_group: str | None = None
    picked_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None
    pid: int = -1
    query_id: int = -1
    duration_ns: int = -1
    queue_ns: int = 0
    has_result_set: bool = False
    result_rows: int = -1
    result_size: int = 0
    subs: list[SubStatement] = field(default_factory=list)

    @property
    def sql(self) -> str:
        return self.sqls[0] if not self.is_batch else "; ".join(self.sqls)

    def to_json(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in _STATEMENT_FIELDS}
        out["subs"] = [asdict(sub) for sub in self.subs]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Statement:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        data["subs"] = [SubStatement(**s) for s in data.get("subs", [])]
        return cls(**data)


_STATEMENT_FIELDS = tuple(f.name for f in fields(Statement) if f.name != "subs")


def user_id(authorizer: Any, name: str) -> int:
    """A user's id in the system views (``userid``, CURRENT_USER_ID): the access catalog's, else 100
    (the first superuser's, as on Redshift) when no access control is plugged in."""
    catalog_ = getattr(authorizer, "catalog", None)
    return catalog_.user_id(name) if catalog_ is not None else 100


class Waiters:
    """Lets callers wait for a statement to end without polling (one Condition for all)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()

    def notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, predicate: Any, timeout: float | None) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)


# -- running one statement's SQL on a connection ----------------------------------------------


@dataclass(slots=True)
class Outcome:
    columns: list[Any] | None = None  # backends.base.Column when the statement returned rows
    table: Any = None  # pyarrow.Table
    rowcount: int = -1
    messages: list[str] = field(default_factory=list)


class Cancelled(Exception):
    """The statement was cancelled or aborted while it ran; ``reason`` is its recorded Error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Run:
    """One statement's execution on one connection; also the ``ExtensionContext`` handlers see."""

    def __init__(self, conn: Any, dialect: str, data_dir: Path, user: str, state: SessionState,
                 extensions: Extensions, *, authorizer: Any = None, refresh: Any = None,
                 stop: threading.Event | None = None, session_id: str | None = None,
                 system_sources: SystemSources | None = None) -> None:
        self.conn = conn
        self.dialect = dialect
        self.data_dir = data_dir
        self.login = user  # the DbUser the call logged in as
        self.session_id = session_id  # the key SET SESSION AUTHORIZATION is kept under
        self.state = state
        self.extensions = extensions
        self.system_sources = system_sources or SystemSources()
        self.authorizer = authorizer
        self.refresh = refresh  # callable(conn): refresh the system views' base tables
        self.stop = stop or threading.Event()
        self.reason: str | None = None
        self.in_transaction = False
        self.dirty = False  # settings or temp tables changed: the connection is not reused
        self.last_rowcount = -1  # rows the last query returned or DML changed (for observers)
        self.query_id = 0  # the query id of the statement (or batch member) running now

    @property
    def user(self) -> str:
        """The user statements run as: the login user, or whom SET SESSION AUTHORIZATION named."""
        if self.authorizer is None or self.session_id is None:
            return self.login
        return self.authorizer.effective_user(self.session_id, self.login)

    def _restricted(self, user: str) -> bool:
        return self.authorizer is not None and not self.authorizer.is_superuser(user)

    # ExtensionContext ----------------------------------------------------------------------
    def execute(self, sql: str, params: Any = None) -> Any:
        self.check_cancelled()
        if isinstance(params, dict):
            raise SteplineError("named parameters are not supported by ExtensionContext.execute")
        return self.conn.execute(sql, tuple(params or ()))

    def run_redshift(self, sql: str) -> list[ExtensionResult]:
        out = []
        for t in translate(sql, self.dialect, search_path=self.state.search_path):
            o = self.run_one(t, {})
            rows = [] if o.table is None else [tuple(r.values()) for r in o.table.to_pylist()]
            cols = [(c.name, c.type_name) for c in o.columns or []]
            out.append(ExtensionResult(cols, rows, o.rowcount, o.messages))
        return out

    def check_cancelled(self) -> None:
        if self.stop.is_set():
            raise Cancelled(self.reason or CANCELLED)

    def user_id(self, name: str) -> int:
        return user_id(self.authorizer, name)

    # statements ----------------------------------------------------------------------------
    def translate(self, sql: str) -> list[Translated]:
        return translate(sql, self.dialect, search_path=self.state.search_path)

    def run_one(self, t: Translated, values: dict[str, str], *, in_batch: bool = False) -> Outcome:
        self.check_cancelled()
        kind = t.kind
        user = self.user
        restricted = self._restricted(user)
        # every kind a restricted user sends is authorised: settings and extensions too
        # (superusers' too: CURRENT_USER names the user; ctx: the connection's temporary tables)
        allowed = self.authorizer.authorize(user, t, self.dialect, ctx=self) if self.authorizer else t.sql
        if kind in ("begin", "commit", "rollback"):
            if in_batch:  # a batch is one transaction already
                return Outcome(messages=list(t.notices))
            if kind == "begin":
                if not self.in_transaction:
                    self.conn.begin()
                self.in_transaction = True
            elif self.in_transaction:
                (self.conn.commit if kind == "commit" else self.conn.rollback)()
                self.in_transaction = False
            return Outcome(messages=list(t.notices))
        if kind in ("set", "reset"):
            return self._setting(t)
        if kind == "show":
            return self._show(t)
        if kind == "noop":
            return Outcome(messages=list(t.notices))
        if kind == "extension":
            out = self._extension(t)
            if t.extension not in _SESSION_ONLY and self.authorizer is not None:
                self.authorizer.schema_changed()  # CTAS, UNLOAD, COPY, access statements, ...
            return out
        sql = allowed or t.sql or ""
        prepare = self.system_sources.prepare_query if kind in ("query", "dml", "ddl") else None
        if prepare is not None:
            sql = prepare(self, sql)
        if t.system_views and self.refresh is not None:
            self.refresh(self.conn)
        if t.system_views:
            self._refresh_external(t.system_views)
        missing = [n for n in t.params if n not in values]
        if missing:
            raise SteplineError(f"Parameter '{missing[0]}' is not provided")
        cur = self._backend_execute(sql, tuple(values[n] for n in t.params), t, user, restricted)
        self.check_cancelled()
        if kind == "ddl" and self.authorizer is not None:
            self.authorizer.schema_changed()
        out = Outcome(messages=list(t.notices))
        desc = cur.description if cur is not None else None
        if desc and self.dialect == "duckdb" and kind in ("dml", "ddl") and [d[0] for d in desc] == ["Count"]:
            row = cur.fetchone()  # DuckDB answers INSERT/UPDATE/DELETE with a one-row count
            out.rowcount = int(row[0]) if row else -1
        elif desc:
            out.columns = self.conn.columns(cur)
            out.table = self.conn.fetch_arrow(cur)
            if out.table is not None and explain.is_duckdb_plan(out.columns):
                out.columns, out.table = explain.as_query_plan(out.table)
            out.rowcount = 0 if out.table is None else out.table.num_rows
        else:
            out.rowcount = getattr(cur, "rowcount", -1) if cur is not None else -1
        self._bookkeep(t)
        observe = self.system_sources.observe_query if kind in ("query", "dml") else None
        if observe is not None:
            self.last_rowcount = out.rowcount
            observe(self, t.source)
        return out

    def _refresh_external(self, views: frozenset[str]) -> None:
        """Copy the rows an injected source keeps (``SystemSources.tables``) into the view's base
        table; a table already holding as many rows is taken as current (the sources only grow)."""
        for view in sorted(views):
            source = self.system_sources.tables.get(view)
            table = catalog.EXTERNAL_VIEWS.get(view)
            if source is None or table is None:
                continue
            res = source(self, view)
            names = [n for n, _ in catalog.BASE_TABLES[table]]
            given = [n for n, _ in res.columns]
            rows = [tuple(dict(zip(given, r, strict=True)).get(n) for n in names) for r in res.rows]
            qualified = f"{catalog.SCHEMA}.{table}"
            with _EXTERNAL_LOCK:
                if self.conn.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0] == len(rows):
                    continue
                self.conn.execute(f"DELETE FROM {qualified}")
                self.conn.bulk_insert(qualified, names, rows)

    def _backend_execute(self, sql: str, params: tuple[Any, ...], t: Translated, user: str,
                         restricted: bool) -> Any:
        """On PostgreSQL a restricted user's statement runs under SET ROLE, so that the server's
        own grants and policies apply; its permission failures (42501) are audited denials."""
        setup = self.authorizer.session_setup(user, self.dialect) if restricted else []
        if not setup:
            return self.conn.execute(sql, params)
        for s in setup:
            self.conn.execute(s)
        try:
            return self.conn.execute(sql, params)
        except Exception as e:
            if getattr(e, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE:
                raise self.authorizer.backend_denied(user, t.source, str(e).strip().splitlines()[0]) from None
            raise
        finally:
            try:
                self.conn.execute("RESET ROLE")
            except Exception:  # noqa: BLE001 - an aborted transaction: its rollback resets the role
                self.dirty = True

    def _bookkeep(self, t: Translated) -> None:
        schema = self.state.search_path[0] if self.state.search_path else "public"
        work: list[tuple[str, tuple[object, ...]]] = []
        attrs = t.table_attributes
        if attrs is not None and getattr(attrs, "temporary", False):
            self.dirty = True
        elif attrs is not None:
            work += catalog.record_table_sql(attrs, attrs.schema or schema, self.dialect)
        for s, name in t.dropped_tables:
            work += catalog.forget_table_sql(s or schema, name, self.dialect)
        for sql, params in work:
            self.conn.execute(sql, params)

    def _setting(self, t: Translated) -> Outcome:
        name, value = t.setting or ("", None)
        name = name.lower()
        if t.kind == "reset":
            value = None
        if name == "query_group":
            self.state.query_group = value
        elif name == "search_path":
            parts = tuple(p.strip().strip('"') for p in (value or "public").split(",") if p.strip())
            self.state.search_path = parts
        sql = setting_sql(name, value, self.dialect)
        if sql:
            self.conn.execute(sql)
        if value is None:
            self.state.settings.pop(name, None)
        else:
            self.state.settings[name] = value
        self.dirty = True
        return Outcome(messages=list(t.notices))

    def _show(self, t: Translated) -> Outcome:
        name = (t.setting or ("", None))[0].lower()
        value = self.state.settings.get(name)
        if name == "search_path" and value is None:
            value = "$user, public"
        elif name == "query_group" and value is None:
            value = "unset"
        table = pa.table({name: pa.array([value], pa.string())})
        return Outcome([Column(name, "varchar", 256)], table, 1, list(t.notices))

    def _extension(self, t: Translated) -> Outcome:
        name = t.extension or ""
        handler = self.extensions.get(name)
        if handler is None:
            what = EXTENSIONS.get(name, name)
            raise SteplineError(f"{what} is not supported by this warehouse")
        res = handler(self, t.source)
        out = Outcome(rowcount=res.rowcount, messages=list(t.notices) + list(res.messages))
        if res.columns:
            out.columns = [Column(n, typ) for n, typ in res.columns]
            data = list(zip(*res.rows, strict=True)) if res.rows else [[] for _ in res.columns]
            arrays = []
            for col in data:
                try:
                    arrays.append(pa.array(list(col)))
                except (pa.ArrowInvalid, pa.ArrowTypeError):
                    arrays.append(pa.array([None if v is None else str(v) for v in col], pa.string()))
            out.table = pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))])
            out.rowcount = len(res.rows)
        return out
