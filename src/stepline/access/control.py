"""``AccessControl``: the catalog, the enforcer, the audit trail, session authorization and the
extension handlers behind one object, which is the ``Authorizer`` the statement service takes.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from stepline.access import enforce, statements, system_views
from stepline.access.audit import AuditTrail
from stepline.access.catalog import AccessCatalog, table_key
from stepline.access.enforce import Enforcer, Relation
from stepline.access.identity import BOUND_KINDS, bind_identity, names_user
from stepline.access.postgres import role
from stepline.errors import AccessDenied
from stepline.sql.extensions import Extension

#: The access statements' extension names (``stepline.sql.translate.EXTENSIONS``).
ACCESS_EXTENSIONS = frozenset({"create_user", "alter_user", "drop_user", "create_role", "drop_role",
                               "create_group", "alter_group", "drop_group", "grant", "revoke", "rls",
                               "set_session_authorization"})
#: Settings a restricted user may change or show: none of them widens what it can read.
SAFE_SETTINGS = frozenset({"timezone", "time zone", "datestyle", "query_group", "statement_timeout",
                           "enable_result_cache_for_session", "application_name", "extra_float_digits",
                           "analyze_threshold_percent", "enable_case_sensitive_identifier"})
#: PostgreSQL's SQLSTATE for a native permission failure (under SET ROLE)
INSUFFICIENT_PRIVILEGE = "42501"
_PASS_THROUGH = frozenset({"begin", "commit", "rollback", "noop"})
_CALL = re.compile(r"^\s*call\s+([\w$]+)(?:\s*\.\s*([\w$]+))?", re.I)
_COPY = re.compile(r'^\s*copy\s+"?([\w$]+)"?(?:\s*\.\s*"?([\w$]+)"?)?\s*(?:\(([^)]*)\))?', re.I)


@dataclass(frozen=True, slots=True)
class _Extension:  # the Translated fields authorize reads, for a guarded handler's statement
    source: str
    extension: str
    sql: str | None = None
    kind: str = "extension"
    setting: tuple[str, str | None] | None = None


class Schema(Protocol):
    def lookup(self, schema: str | None, name: str) -> Relation | None: ...
    def find(self, con: Any, schema: str | None, name: str) -> Relation | None: ...
    def tables_in_schema(self, schema: str, con: Any = None) -> list[Relation]: ...
    def invalidate(self) -> None: ...
    def temporary(self, con: Any) -> dict[str, Relation]: ...


class _NoSchema:
    def lookup(self, schema: str | None, name: str) -> Relation | None:
        return None

    def find(self, con: Any, schema: str | None, name: str) -> Relation | None:
        return None

    def tables_in_schema(self, schema: str, con: Any = None) -> list[Relation]:
        return []

    def invalidate(self) -> None:
        return None

    def temporary(self, con: Any) -> dict[str, Relation]:
        return {}


class AccessControl:
    """Users, grants and RLS for one warehouse.

    >>> access = AccessControl(Path(".stepline"), schema=DuckDBSchema(conn.cursor))
    >>> access.authorize("alice", translated, "duckdb")  # rewritten SQL, or AccessDenied
    """

    def __init__(self, data_dir: Path, *, superuser: str = "awsuser", schema: Schema | None = None,
                 pg_prefix: str = "", pg_set_role: bool = False) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.superuser = superuser.lower()
        self.catalog = AccessCatalog(data_dir / "access.sqlite", superuser=self.superuser)
        self.audit = AuditTrail(data_dir / "access.sqlite")
        self.schema: Schema = schema or _NoSchema()
        self.pg_prefix = pg_prefix
        # PostgreSQL enforces grants and policies natively only if statements run under SET ROLE
        # (session_setup); until the caller says it does, restricted users are refused there.
        self.pg_set_role = pg_set_role
        self.enforcer = Enforcer(self.catalog, self.lookup, lambda: getattr(self.schema, "generation", 0))
        self._sessions: dict[str, tuple[str, str]] = {}  # session -> (login user, current user)
        # DuckDB connections on which a restricted user made a temporary table: only their
        # statements pay for reading the connection's temporary tables. Missing one is safe: names
        # are then resolved to ordinary tables, and the rewritten statement names them explicitly.
        self._temporary_on: weakref.WeakSet[Any] = weakref.WeakSet()
        self._temporary_lock = threading.Lock()  # also serialises making PostgreSQL's filtered views

    def close(self) -> None:
        self.catalog.close()
        self.audit.close()

    # -- wiring --------------------------------------------------------------------------
    def extensions(self) -> dict[str, Extension]:
        """The handlers for ``StatementService(..., extensions=...)``."""
        return statements.handlers(self)

    def guard(self, handlers: Mapping[str, Extension]) -> dict[str, Extension]:
        """Other packages' handlers (COPY, UNLOAD, CTAS, CALL, ...) behind ``authorize``: the
        statement service does not authorise extension statements, and these read or write data.

        >>> extensions = {**access.guard(lake_extensions(config)), **access.extensions()}
        """
        return {name: self._guarded(name, fn) for name, fn in handlers.items()}

    def _guarded(self, name: str, fn: Extension) -> Extension:
        def run(ctx: Any, sql: str) -> Any:
            user = ctx.user.lower()
            if not self.is_superuser(user):
                self.authorize(user, _Extension(sql, name), ctx.dialect)
            return fn(ctx, sql)

        return run

    def lookup(self, schema: str | None, name: str) -> Relation | None:
        return self.schema.lookup(schema, name)

    def tables_in_schema(self, schema: str, ctx: Any = None) -> list[Relation]:
        return self.schema.tables_in_schema(schema, ctx)

    def find(self, ctx: Any, schema: str | None, name: str) -> Relation | None:
        """A relation as the statement's own connection (and transaction) sees it."""
        return self.schema.find(ctx, schema, name)

    def schema_changed(self) -> None:
        """Call after DDL run by anyone (superusers' statements bypass ``authorize``)."""
        self.schema.invalidate()
        self.enforcer.schema_changed()

    # -- users and sessions ----------------------------------------------------------------
    def is_superuser(self, user: str) -> bool:
        return self.catalog.is_superuser(user)

    def ensure_user(self, user: str) -> None:
        """A ``DbUser`` seen for the first time becomes an ordinary user with no privileges."""
        if not self.catalog.user_exists(user) and not self.catalog.role_exists(user):
            self.catalog.create_user(user, None)

    @staticmethod
    def session_key(ctx: Any) -> str:
        """The key of the session a statement runs in: its ``session_id``, else its session
        state object (one per Data API session), else the statement context itself."""
        sid = getattr(ctx, "session_id", None)
        if sid:
            return str(sid)
        state = getattr(ctx, "state", None)
        return f"state:{id(state)}" if state is not None else f"ctx:{id(ctx)}"

    def login_user(self, session: str, user: str) -> str:
        entry = self._sessions.get(session)
        return entry[0] if entry else user.lower()

    def set_session_user(self, session: str, login: str, target: str | None) -> None:
        if target is None or target == login:
            self._sessions.pop(session, None)
        else:
            self._sessions[session] = (login, target.lower())

    def effective_user(self, session: str, user: str) -> str:
        """The user a session's statements run as: SET SESSION AUTHORIZATION's, else ``user``."""
        entry = self._sessions.get(session)
        return entry[1] if entry and entry[0] == user.lower() else user.lower()

    def end_session(self, session: str) -> None:
        self._sessions.pop(session, None)

    def visible_columns(self, user: str, schema: str | None, name: str) -> tuple[str, ...] | None:
        """What DescribeTable/ListTables may show ``user`` of a relation: the columns it may
        select, or None when it may see nothing of it (the relation is then not listed)."""
        rel = self.lookup(schema, name)
        if rel is None:
            return None
        if self.is_superuser(user):
            return rel.columns
        visible = []
        for col in rel.columns:
            try:
                self.enforcer.check_privilege(user.lower(), rel, "SELECT", {col})
            except AccessDenied:
                continue
            visible.append(col)
        return tuple(visible) or None

    def session_setup(self, user: str, dialect: str) -> list[str]:
        """PostgreSQL: what to run before a statement so that it runs with ``user``'s rights."""
        if dialect != "postgres":
            return []
        return ["RESET ROLE"] if self.is_superuser(user) else [f"SET ROLE {role(self.pg_prefix, user)}"]

    # -- the Authorizer ------------------------------------------------------------------
    def authorize(self, user: str, statement: Any, dialect: str, ctx: Any = None) -> str | None:
        """The SQL to run for ``user`` (superusers included: CURRENT_USER names the user), or
        AccessDenied. ``ctx``: the statement's context (``execute``), whose connection holds the
        user's temporary tables and, on PostgreSQL, is where the filtered system views are made."""
        user = user.lower()
        sql = statement.sql
        creates_table = getattr(statement, "table_attributes", None) is not None
        if sql is not None and (statement.kind in BOUND_KINDS or creates_table) and names_user(sql):
            sql = bind_identity(sql, dialect, user, self.catalog.user_id(user), query_only=creates_table)
        try:
            return self._authorize(user, statement, sql, dialect, ctx)
        except AccessDenied as e:
            self.audit.record(user, statement.source, e.message)
            raise

    def backend_denied(self, user: str, source: str, message: str) -> AccessDenied:
        """A native PostgreSQL permission failure (SQLSTATE 42501), audited like our own denials."""
        self.audit.record(user.lower(), source, message)
        return AccessDenied(message)

    def _authorize(self, user: str, statement: Any, sql: str | None, dialect: str, ctx: Any) -> str | None:
        if self.is_superuser(user):
            return sql
        kind = statement.kind
        if kind in _PASS_THROUGH:
            return sql
        if kind in ("set", "reset", "show"):
            name = (statement.setting or ("", None))[0].lower()
            if name not in SAFE_SETTINGS:
                raise AccessDenied(f'permission denied to set parameter "{name}"')
            return sql
        if kind == "extension":
            if statement.extension in ACCESS_EXTENSIONS:
                return None
            if statement.extension == "call":
                return self._call(user, statement.source)
            if statement.extension == "copy":
                return self._copy(user, statement.source)
            raise enforce.denied(f"{(statement.extension or 'statement').replace('_', ' ')} (superusers only)")
        if sql is None:
            raise enforce.denied("statement")
        temporary = getattr(getattr(statement, "table_attributes", None), "temporary", False)
        if temporary and not self.catalog.may_create_temp(user):
            raise AccessDenied("permission denied to create temporary tables in database")
        if dialect == "postgres":
            if not self.pg_set_role:
                raise enforce.denied("this statement: restricted users need SET ROLE sessions on PostgreSQL")
            out, reads_system_views = enforce.check_postgres(sql, self.pg_prefix)
            if reads_system_views:
                self._pg_system_views(ctx)
            return out
        if kind in ("query", "dml", "ddl"):
            conn = getattr(ctx, "conn", ctx)
            with self._temporary_lock:
                known = conn is not None and conn in self._temporary_on
            tables = self.schema.temporary(ctx) if ctx is not None and (temporary or known) else None
            out = self.enforcer.rewrite(user, sql, tables)
            if temporary and conn is not None:
                with self._temporary_lock:
                    self._temporary_on.add(conn)
            return out
        raise enforce.denied(f"statement kind {kind}")

    def _pg_system_views(self, ctx: Any) -> None:
        """Makes the filtered system views restricted roles read (run as the connection's own
        user: the statement's SET ROLE comes after authorisation)."""
        if ctx is None:
            raise enforce.denied("system views (no connection to prepare them on)")
        names = [system_views.postgres_view_name(self.pg_prefix, v) for v in system_views.VISIBILITY]
        with self._temporary_lock:  # one creator at a time (the statements run in autocommit)
            row = ctx.execute("select count(*) from pg_views where schemaname = %s and viewname = any(%s)",
                              (system_views.SCHEMA, names)).fetchone()
            if row[0] == len(names):
                return
            for ddl in system_views.postgres_ddl(self.pg_prefix):
                ctx.execute(ddl)

    def _copy(self, user: str, source: str) -> None:
        """COPY needs INSERT on its table's (listed) columns and USAGE on its schema, as on Redshift;
        row-level policies do not apply to inserted rows."""
        m = _COPY.match(source)
        if not m:
            raise enforce.denied("copy")
        schema, name = (m.group(1), m.group(2)) if m.group(2) else (None, m.group(1))
        rel = self.lookup(schema.lower() if schema else None, name.lower())
        if rel is None:
            raise AccessDenied(f'relation "{name}" does not exist')
        listed = {c.strip().strip('"').lower() for c in (m.group(3) or "").split(",") if c.strip()}
        self.enforcer.check_privilege(user, rel, "INSERT", listed or set(rel.columns))
        return None

    def _call(self, user: str, source: str) -> None:
        m = _CALL.match(source)
        if not m:
            raise enforce.denied("procedure")
        key = table_key(m.group(1) if m.group(2) else None, m.group(2) or m.group(1))
        if self.catalog.owner(key) == user:
            return None
        privs = self.catalog.privileges(self.catalog.identities(user), "procedure", key)
        if "EXECUTE" not in privs and "ALL" not in privs:
            raise enforce.denied(f"procedure {key.split('.', 1)[1]}")
        return None
