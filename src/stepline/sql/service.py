"""The statement service: Redshift Data API semantics over DuckDB or PostgreSQL.

Statements are submitted, queued on a WLM queue, run by the queue's workers, and recorded in
SQLite; results are Arrow files. ``dataapi.DataApi`` puts the AWS request/response shapes on it.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import json
import logging
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from stepline.clock import Clock
from stepline.config import Config, WarehouseConfig
from stepline.errors import SteplineError
from stepline.sql import backends as meta
from stepline.sql import catalog, durability
from stepline.sql.backends import Backend, Column, open_backend
from stepline.sql.bookkeeping import Bookkeeping, history_row, refresh_history
from stepline.sql.dialects import leading_words
from stepline.sql.errors import (
    UNKNOWN_STATEMENT,
    ActiveSessionsExceededException,
    ActiveStatementsExceededException,
    DatabaseConnectionException,
    ResourceNotFoundException,
    ValidationException,
)
from stepline.sql.extensions import Extensions, SystemSources
from stepline.sql.results import ResultStore, ResultTooLarge
from stepline.sql.sessions import Session, Sessions, SessionState
from stepline.sql.statements import (
    ABORTED,
    ACTIVE,
    CANCELLED,
    FAILED,
    FINISHED,
    INTERRUPTED,
    PICKED,
    STARTED,
    SUBMITTED,
    TERMINAL,
    Cancelled,
    Outcome,
    Run,
    Statement,
    SubStatement,
    Waiters,
)
from stepline.sql.statements import user_id as _user_id
from stepline.sql.translate import SESSION_SETUP
from stepline.sql.wlm import Route, Wlm

log = logging.getLogger(__name__)


class StatementService:
    def __init__(self, config: Config, clock: Clock, *, extensions: Extensions | None = None,
                 authorizer: Any = None, redact: Callable[[str], str] | None = None,
                 principals: Callable[[str | None, str | None], str] | None = None,
                 secret_user: Callable[[str], str | None] | None = None,
                 system_sources: SystemSources | None = None, resume: bool = True) -> None:
        """``authorizer``: access control (``access.AccessControl``); ``redact``: what statement
        texts pass through before they are stored or shown; ``principals(principal, db_user)``:
        the database user a caller may act as (or AccessDenied); ``secret_user(arn)``: the
        user of a SecretArn's secret; ``system_sources``: system view rows kept outside the
        backend and the query observer; ``resume``: finish what a previous process left running
        now (else the composer calls ``resume()`` once everything around the service is ready)."""
        self.config = config
        self.clock = clock
        self.extensions = dict(extensions or {})
        self.system_sources = system_sources or SystemSources()
        self.authorizer = authorizer
        self.redact: Callable[[str], str] = redact or _same
        self._principals = principals
        self._secret_user = secret_user
        self.on_close: list[Any] = []  # callables run after close(): parts composed around the service
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.books = Bookkeeping(config.data_dir / "statements.sqlite", redact=self.redact)
        self.results = ResultStore(config.data_dir / "results", self.books)
        self.sessions = Sessions(config.warehouse.max_sessions)
        self._waiters = Waiters()
        self._lock = threading.Lock()
        self._active: dict[str, Statement] = {}
        self._recent: OrderedDict[str, Statement] = OrderedDict()  # just ended: spares SQLite reads
        self._runs: dict[str, Run] = {}
        self._backends: dict[str, Backend] = {}
        self._free: dict[str, list[Any]] = {}
        self._refresh_lock = threading.Lock()
        self._last_purge = 0.0
        self._query_ids = itertools.count(self.books.max_query_id() + 1)
        self.wlm = Wlm(config.wlm_queues, self._run)
        self._closed = False
        if resume:
            self.resume()
        # engines must be closed before the interpreter tears their worker threads down
        atexit.register(_close_at_exit, weakref.ref(self))

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.wlm.stop()
        self.sessions.close_all()
        for hook in self.on_close:  # before the backends close: hooks may hold connections
            hook()
        with self._lock:
            free, self._free = self._free, {}
        for conns in free.values():
            for c in conns:
                c.close()
        for b in self._backends.values():
            b.close()
        self.books.close()

    stop = close

    def resume(self) -> None:
        """Statements a previous process accepted but did not finish: FINISHED when their commit
        marker is there, queued again when they can be replayed, else FAILED (``durability``)."""
        pending = self.books.unfinished()
        if not pending:
            return
        now = self.clock.now()
        by_warehouse: dict[str, tuple[WarehouseConfig, list[Statement]]] = {}
        for st in pending:
            wh = self.warehouse(st.cluster, st.workgroup)
            by_warehouse.setdefault(wh.name, (wh, []))[1].append(st)
        for wh, statements in by_warehouse.values():
            try:
                conn = self.backend(wh).connect()
                try:
                    done: set[str] | None = durability.committed(conn, [st.id for st in statements])
                    durability.forget_old_markers(conn, now)
                finally:
                    conn.close()
            except Exception as e:  # noqa: BLE001 - unreachable warehouse: nothing can be resumed
                log.warning("cannot resume statements on warehouse %s: %s", wh.name, _message(e))
                done = None
            for st in statements:
                if done is not None and st.id in done:
                    self._recovered(st, FINISHED, None)
                elif done is not None and st.replayable:
                    self._requeue(st)
                else:
                    self._recovered(st, FAILED, INTERRUPTED)

    def _recovered(self, st: Statement, status: str, error: str | None) -> None:
        now = self.clock.now()
        st.status, st.error, st.updated_at, st.ended_at = status, error, now, now
        for sub in st.subs:
            if sub.status in ACTIVE:
                sub.status, sub.error, sub.updated_at, sub.ended_at = status, error, now, now
        self.books.save(st)

    def _requeue(self, st: Statement) -> None:
        st.status, st.error, st.query_id = SUBMITTED, None, -1
        for sub in st.subs:
            sub.status, sub.error, sub.query_id = SUBMITTED, None, -1
        queue = self.wlm.route(st.query_group, st.db_user)
        with self._lock:
            self._active[st.id] = st
        self.books.save(st)
        self.wlm.submit(queue.name, (st, time.perf_counter()))

    def backend(self, warehouse: WarehouseConfig) -> Backend:
        with self._lock:
            b = self._backends.get(warehouse.name)
            if b is None:
                try:
                    b = open_backend(self.config, warehouse, SESSION_SETUP)
                    conn = b.connect()
                    try:
                        for sql in catalog.base_table_ddl(b.dialect) + catalog.system_view_ddl(b.dialect):
                            conn.execute(sql)
                    finally:
                        conn.close()
                except SteplineError:
                    raise
                except Exception as e:  # noqa: BLE001 - any engine failure: the warehouse is unreachable
                    raise DatabaseConnectionException(
                        f"Could not connect to warehouse {warehouse.name!r} ({warehouse.backend}): {_message(e)}"
                    ) from None
                self._backends[warehouse.name] = b
            return b

    def warehouse(self, cluster: str | None, workgroup: str | None) -> WarehouseConfig:
        for w in self.config.warehouses:
            if (cluster and cluster in w.clusters) or (workgroup and workgroup in w.clusters):
                return w
        return self.config.warehouse

    # -- who runs a call --------------------------------------------------------------------------
    def db_user(self, principal: str | None, db_user: str | None = None, secret_arn: str | None = None,
                cluster: str | None = None, workgroup: str | None = None) -> str:
        """The database user a call runs as: its DbUser, the user of its SecretArn, else the
        warehouse's superuser; a principal may act only as the users it is mapped to."""
        if secret_arn and not db_user and self._secret_user is not None:
            db_user = self._secret_user(secret_arn)
        user = (db_user or self.warehouse(cluster, workgroup).superuser).lower()
        if self._principals is not None:
            user = self._principals(principal, user)
        return user

    def user_id(self, user: str) -> int:
        """The user's id in the system views (``userid``, CURRENT_USER_ID)."""
        return _user_id(self.authorizer, user)

    def unrestricted(self, user: str | None) -> bool:
        """No access control, no user named, or a superuser: metadata shows everything."""
        return self.authorizer is None or user is None or self.authorizer.is_superuser(user)

    def visible(self, user: str | None, schema: str, table: str) -> tuple[str, ...] | None | bool:
        """The columns of a relation ``user`` may see (None: not the relation), or True when
        nothing is restricted."""
        if self.unrestricted(user):
            return True
        return self.authorizer.visible_columns(user, schema, table)

    # -- submission --------------------------------------------------------------------------
    def execute_statement(self, sql: str | list[str], *, batch: bool = False, database: str | None = None,
                          db_user: str | None = None, cluster: str | None = None, workgroup: str | None = None,
                          secret_arn: str | None = None, parameters: list[dict[str, str]] | None = None,
                          name: str | None = None, client_token: str | None = None, with_event: bool = False,
                          result_format: str = "JSON", session_keep_alive: int | None = None,
                          session_id: str | None = None, principal: str | None = None) -> Statement:
        sqls = list(sql) if isinstance(sql, list) else [sql]
        now = self.clock.now()
        self._purge(now)
        key = None
        if client_token:
            key = hashlib.sha256(json.dumps(
                [sqls, batch, database, db_user, cluster, workgroup, secret_arn, parameters, name,
                 result_format, session_keep_alive, session_id], default=str).encode()).hexdigest()
            known = self.books.by_token(client_token)
            if known is not None:
                if known.request_key != key:
                    raise ValidationException(
                        "The ClientToken was already used for a different request; use a new ClientToken.")
                return known
        session = None
        if session_id:
            session = self.sessions.get(session_id)
            if session is None or session.expired(now):
                raise ResourceNotFoundException(f"Session {session_id} does not exist or has expired.")
            wh_name = session.warehouse
            wh = next(w for w in self.config.warehouses if w.name == wh_name)
            database, db_user = session.database, session.db_user
        else:
            wh = self.warehouse(cluster, workgroup)
        database = database or wh.database
        db_user = (db_user or wh.superuser).lower()
        if self.authorizer is not None:  # a new DbUser is an ordinary user without privileges (AutoCreate)
            self.authorizer.ensure_user(db_user)
        with self._lock:
            if len(self._active) >= wh.max_active_statements:
                raise ActiveStatementsExceededException(
                    f"Active statements exceeded the allowed quota ({wh.max_active_statements}).")
        backend = self.backend(wh)
        if session is None and session_keep_alive:
            if self.sessions.count(now) >= self.sessions.limit:
                raise ActiveSessionsExceededException(
                    f"Active sessions exceeded the allowed quota ({self.sessions.limit}).")
            try:
                conn = backend.connect()
            except Exception as e:  # noqa: BLE001
                raise DatabaseConnectionException(f"Could not open a session: {_message(e)}") from None
            session = Session(str(uuid.uuid4()), conn, wh.name, database, db_user, cluster,
                              workgroup, int(session_keep_alive), now, now)
            self.sessions.add(session)
        elif session is not None and session_keep_alive is not None:
            session.keep_alive = int(session_keep_alive)
        sid = str(uuid.uuid4())
        st = Statement(sid, sqls, batch, database, db_user, now, now, name=name, parameters=list(parameters or []),
                       cluster=cluster, workgroup=workgroup, secret_arn=secret_arn, result_format=result_format,
                       session_id=session.id if session else None, client_token=client_token, request_key=key,
                       principal=principal, with_event=with_event,
                       replayable=durability.replayable(sqls, batch=batch, dialect=backend.dialect,
                                                        in_session=session is not None,
                                                        redacted=[self.redact(q) for q in sqls]))
        if batch:
            st.subs = [SubStatement(f"{sid}:{i}", s, created_at=now, updated_at=now) for i, s in enumerate(sqls, 1)]
        group = session.state.query_group if session else None
        group = _leading_query_group(sqls[0]) or group
        queue = self.wlm.route(group, db_user)
        st.queue, st.query_group = queue.name, group
        if session is not None:
            session.queued += 1
        with self._lock:
            self._active[sid] = st
        self.books.save(st)
        self.wlm.submit(queue.name, (st, time.perf_counter()))
        return st

    def batch_execute_statement(self, sqls: list[str], **kw: Any) -> Statement:
        return self.execute_statement(list(sqls), batch=True, **kw)

    # -- running (on a WLM worker) -----------------------------------------------------------
    def _run(self, item: tuple[Statement, float], route: Route) -> None:
        st, queued_at = item
        with self._lock:
            if st.status != SUBMITTED:  # cancelled while queued
                return
        st.queue_ns = int((time.perf_counter() - queued_at) * 1e9)
        self._set(st, PICKED, picked_at=self.clock.now())
        wh = next((w for w in self.config.warehouses if w.name == (self._session_warehouse(st))), self.config.warehouse)
        session = self.sessions.get(st.session_id) if st.session_id else None
        conn = None
        run: Run | None = None
        try:
            backend = self.backend(wh)
            if session is not None:
                session.lock.acquire()
                conn, state = session.conn, session.state
                session.current = st.id
            else:
                conn, state = self._acquire(wh.name, backend), SessionState()
            run = Run(conn, backend.dialect, self.config.data_dir, st.db_user, state, self.extensions,
                      authorizer=self.authorizer, refresh=self._refresh_history,
                      session_id=session.id if session is not None else f"statement:{st.id}",
                      system_sources=self.system_sources)
            run.in_transaction = state.in_transaction
            st.query_id = next(self._query_ids)
            run.query_id = st.query_id
            with self._lock:
                if st.status != PICKED:
                    raise Cancelled(st.error or CANCELLED)
                self._runs[st.id] = run
            st.pid = conn.pid
            self._set(st, STARTED, started_at=self.clock.now())
            disarm = None
            if route.queue.max_execution_seconds:
                limit = route.queue.max_execution_seconds
                disarm = self.wlm.watch(limit, lambda: self._abort(
                    st.id, f"Query (queue {route.queue.name}) was aborted by the query monitoring rule: "
                           f"execution time exceeded {limit:g} seconds"))
            t0 = time.perf_counter()
            try:
                self._execute(st, run, session)
            finally:
                state.in_transaction = run.in_transaction
                if run.user != st.db_user:  # SET SESSION AUTHORIZATION: the history names whom it ran as
                    st.run_as = run.user
                if disarm:
                    disarm()
                st.duration_ns = int((time.perf_counter() - t0) * 1e9)
                with self._lock:
                    self._runs.pop(st.id, None)
            reusable = session is None and not run.dirty and not run.in_transaction
        except Exception as e:  # noqa: BLE001 - recorded as the statement's error
            reusable = False
            stopped = run is not None and run.stop.is_set()
            if isinstance(e, Cancelled) or stopped:
                status, reason = ABORTED, (e.reason if isinstance(e, Cancelled) else run.reason or CANCELLED)
            else:
                status, reason = FAILED, _message(e)
            if conn is not None:
                conn.rollback()
            self._end(st, status, reason, route)
        finally:
            if session is not None:
                session.current = None
                session.queued -= 1
                session.updated_at = self.clock.now()
                if session.lock.locked():
                    session.lock.release()
            elif conn is not None:
                self._release(wh.name, conn, reusable)
            if session is None and self.authorizer is not None:  # SET SESSION AUTHORIZATION ends with the call
                self.authorizer.end_session(f"statement:{st.id}")
        if st.status not in TERMINAL:
            self._end(st, FINISHED, None, route)

    def _session_warehouse(self, st: Statement) -> str:
        if st.session_id:
            s = self.sessions.get(st.session_id)
            if s is not None:
                return s.warehouse
        return self.warehouse(st.cluster, st.workgroup).name

    def _execute(self, st: Statement, run: Run, session: Session | None) -> None:
        values = {p["name"]: p["value"] for p in st.parameters}
        if not st.is_batch:
            statements = run.translate(st.sqls[0])
            # several statements in one string run as one transaction, as on Redshift; so does a lone
            # extension (COPY, CALL, ...): its handler's work commits or rolls back as a whole; and
            # so does a lone write, with the marker that it committed (``durability``)
            writes = any(t.kind not in _READ_ONLY for t in statements)
            implicit = (
                not run.in_transaction
                and (len(statements) > 1 or statements[0].kind == "extension" or writes)
                and not any(t.kind in ("begin", "commit", "rollback") for t in statements)
                and not (run.dialect == "postgres" and any(_is_call(t) for t in statements))
            )
            if implicit:
                run.conn.begin()
                run.in_transaction = True
            last: Outcome | None = None
            try:
                for t in statements:
                    o = run.run_one(t, values)
                    if o.columns is not None or last is None:
                        last = o
                if writes:
                    durability.mark_committed(run.conn, st.id)
                if implicit or (run.in_transaction and session is None):
                    run.conn.commit()  # a transaction left open without a session ends with the call
                    run.in_transaction = False
            except Exception:
                if run.in_transaction:
                    run.conn.rollback()
                    run.in_transaction = False
                raise
            self._store(st, st, last)
            return
        run.conn.begin()
        run.in_transaction = True
        current: SubStatement | None = None
        try:
            for sub in st.subs:
                current = sub
                sub.status, sub.updated_at, sub.started_at = STARTED, self.clock.now(), self.clock.now()
                sub.query_id = next(self._query_ids)
                run.query_id = sub.query_id
                t0 = time.perf_counter()
                last = None
                for t in run.translate(sub.sql):
                    o = run.run_one(t, values, in_batch=True)
                    if o.columns is not None or last is None:
                        last = o
                sub.duration_ns = int((time.perf_counter() - t0) * 1e9)
                self._store(st, sub, last)
                sub.status, sub.updated_at = FINISHED, self.clock.now()
            durability.mark_committed(run.conn, st.id)
            run.conn.commit()
            run.in_transaction = False
        except Exception as e:
            run.conn.rollback()
            run.in_transaction = False
            now = self.clock.now()
            failed = current.id if current else None
            cancelled = isinstance(e, Cancelled) or run.stop.is_set()
            for sub in st.subs:
                if sub.id == failed:
                    sub.status = ABORTED if cancelled else FAILED
                    sub.error = (run.reason or CANCELLED) if cancelled else _message(e)
                elif sub.status != FINISHED:
                    sub.status = ABORTED
                sub.updated_at = now
            raise

    def _store(self, st: Statement, target: Statement | SubStatement, o: Outcome | None) -> None:
        if o is None:
            return
        if o.columns is not None:
            try:
                rows, size = self.results.write(target.id, o.table, o.columns)
            except ResultTooLarge as e:
                raise SteplineError(str(e)) from None
            target.has_result_set, target.result_rows, target.result_size = True, rows, size
        else:
            target.result_rows = o.rowcount

    # -- status changes ------------------------------------------------------------------------
    def _set(self, st: Statement, status: str, **fields: Any) -> None:
        with self._lock:
            if st.status in TERMINAL:
                return
            st.status, st.updated_at = status, self.clock.now()
            for k, v in fields.items():
                setattr(st, k, v)
        # PICKED/STARTED stay in memory: after a restart an active statement is resumed from SUBMITTED
        self._waiters.notify()

    def _end(self, st: Statement, status: str, error: str | None, route: Route | None = None) -> None:
        with self._lock:
            if st.status in TERMINAL:
                return
            now = self.clock.now()
            st.status, st.error, st.updated_at, st.ended_at = status, error, now, now
        history = []
        if route is not None:
            items: list[Statement | SubStatement] = list(st.subs) if st.is_batch else [st]
            uid = self.user_id(st.run_as or st.db_user)
            history = [(i.query_id, i.id, history_row(st, i, route.service_class, self.redact, uid))
                       for i in items if i.query_id >= 0]
        ids = [st.id] + [sub.id for sub in st.subs]
        self.books.finish(st, history, self.results.take_pending(ids))
        with self._lock:
            self._active.pop(st.id, None)
            self._recent[st.id] = st
            if len(self._recent) > 256:
                self._recent.popitem(last=False)
        self._waiters.notify()

    def _abort(self, statement_id: str, reason: str) -> bool:
        with self._lock:
            st = self._active.get(statement_id)
            if st is None:
                return False
            run = self._runs.get(statement_id)
            queued = st.status in (SUBMITTED, PICKED) and run is None
        if queued:
            if st.session_id:
                s = self.sessions.get(st.session_id)
                if s is not None and st.status == SUBMITTED:
                    s.queued -= 1
            self._end(st, ABORTED, reason)
            return True
        if run is not None:
            run.reason = reason
            run.stop.set()
            self._interrupt(statement_id, run)
        return True

    def _interrupt(self, statement_id: str, run: Run) -> None:
        """Interrupt the backend, again every 0.2 s until the statement ends: an interrupt that
        arrives between two backend calls is lost, and the flag only stops the next call."""
        with self._lock:
            if self._runs.get(statement_id) is not run:
                return
        try:
            run.conn.cancel()
        except Exception:  # noqa: BLE001 - the flag still stops it at the next check
            log.warning("could not interrupt statement %s", statement_id)
        self.wlm.watch(0.2, lambda: self._interrupt(statement_id, run))

    # -- reading ---------------------------------------------------------------------------------
    def statement(self, statement_id: str) -> tuple[Statement, SubStatement | None]:
        parent_id, _, n = statement_id.partition(":")
        with self._lock:
            st = self._active.get(parent_id) or self._recent.get(parent_id)
        if st is None:
            st = self.books.load(parent_id)
        if st is None or self._expired(st):
            raise ResourceNotFoundException(UNKNOWN_STATEMENT)
        if not n:
            return st, None
        sub = next((s for s in st.subs if s.id == statement_id), None)
        if sub is None:
            raise ResourceNotFoundException(UNKNOWN_STATEMENT)
        return st, sub

    def describe_statement(self, statement_id: str) -> tuple[Statement, SubStatement | None]:
        return self.statement(statement_id)

    def get_statement_result(self, statement_id: str, next_token: str | None = None, *,
                             csv: bool = False) -> dict[str, Any]:
        st, sub = self.statement(statement_id)
        if st.is_batch and sub is None:
            raise ValidationException("Use the sub-statement id (<id>:<n>) to fetch the result of a batch.")
        target = sub or st
        if target.status != FINISHED:
            if target.status in ACTIVE:
                raise ValidationException("Query has not finished yet. Please check query status with "
                                          "DescribeStatement.")
            raise ResourceNotFoundException("Query does not have result. Please check query status with "
                                            "DescribeStatement.")
        if not target.has_result_set:
            raise ResourceNotFoundException("Query does not have result. Please check query status with "
                                            "DescribeStatement.")
        if csv != (st.result_format == "CSV"):
            raise ValidationException(
                "The result format of this query is CSV: use GetStatementResultV2." if not csv else
                "The result format of this query is JSON: use GetStatementResult.")
        try:
            return self.results.page(target.id, next_token, csv)
        except FileNotFoundError:
            raise ResourceNotFoundException(UNKNOWN_STATEMENT) from None

    def cancel_statement(self, statement_id: str) -> bool:
        st, _ = self.statement(statement_id)
        if st.status in TERMINAL:
            raise ValidationException(f"Could not cancel a query that is already in {st.status} state.")
        return self._abort(st.id, CANCELLED)

    def wait(self, statement_id: str, timeout: float | None = None) -> str:
        """Block until the statement ends (or ``timeout``); returns its status."""
        st, _ = self.statement(statement_id)
        self._waiters.wait_for(lambda: st.status in TERMINAL or self._reloaded(st), timeout)
        return self.statement(statement_id)[0].status

    def wait_started(self, statement_id: str, timeout: float | None = None) -> str:
        """Block until the statement runs (STARTED) or has ended; returns its status."""
        st, _ = self.statement(statement_id)
        self._waiters.wait_for(lambda: st.status not in (SUBMITTED, PICKED) or self._reloaded(st), timeout)
        return st.status

    def _reloaded(self, st: Statement) -> bool:
        with self._lock:
            return st.id not in self._active

    def list_statements(self, *, status: str | None = None, name: str | None = None, role_level: bool = True,
                        principal: str | None = None, database: str | None = None, cluster: str | None = None,
                        workgroup: str | None = None) -> list[Statement]:
        out = []
        with self._lock:
            active = dict(self._active)
        for st in self.books.statements():
            st = active.get(st.id, st)
            if self._expired(st):
                continue
            if status and status != "ALL" and st.status != status:
                continue
            if name and not (st.name or "").startswith(name):
                continue
            if not role_level and principal and st.principal != principal:
                continue
            if database and st.database != database:
                continue
            if cluster and st.cluster != cluster or workgroup and st.workgroup != workgroup:
                continue
            out.append(st)
        return out

    def list_sessions(self) -> list[Session]:
        return self.sessions.live(self.clock.now())

    # -- metadata (ListDatabases, ListSchemas, ListTables, DescribeTable) ----------------------
    def _metadata(self, cluster: str | None, workgroup: str | None, query: Any) -> Any:
        wh = self.warehouse(cluster, workgroup)
        backend = self.backend(wh)
        conn = self._acquire(wh.name, backend)
        ok = False
        try:
            out = query(conn, backend.dialect)
            ok = True
            return out
        finally:
            self._release(wh.name, conn, ok)

    def list_databases(self, cluster: str | None = None, workgroup: str | None = None) -> list[str]:
        return self.backend(self.warehouse(cluster, workgroup)).databases()

    def list_schemas(self, cluster: str | None = None, workgroup: str | None = None,
                     pattern: str | None = None, *, user: str | None = None) -> list[str]:
        """With ``user``: only the schemas in which it may see a relation."""
        schemas = self._metadata(cluster, workgroup, lambda c, d: meta.list_schemas(c, d, pattern))
        if self.unrestricted(user):
            return schemas
        seen = {s for s, _, _ in self.list_tables(cluster, workgroup, None, None, user=user)}
        return [s for s in schemas if s in seen]

    def list_tables(self, cluster: str | None = None, workgroup: str | None = None, schema_pattern: str | None = None,
                    table_pattern: str | None = None, *, user: str | None = None) -> list[tuple[str, str, str]]:
        """With ``user``: only the relations it may select some column of."""
        found = self._metadata(cluster, workgroup, lambda c, d: meta.list_tables(c, d, schema_pattern, table_pattern))
        return [row for row in found if self.visible(user, row[0], row[1]) is not None]

    def describe_table(self, cluster: str | None, workgroup: str | None, schema: str | None,
                       table: str | None, *, user: str | None = None) -> tuple[str | None, list[Column]]:
        """With ``user``: only the columns it may select (none of a relation it may not see)."""
        cols = self._metadata(cluster, workgroup, lambda c, d: meta.describe_table(c, d, schema, table))
        shown: dict[tuple[str, str], Any] = {}
        for c in cols:
            key = (c.schema_name, c.table_name)
            if key not in shown:
                v = self.visible(user, *key)
                shown[key] = v if v is True else set(v or ())
        cols = [c for c in cols if shown[(c.schema_name, c.table_name)] is True
                or c.name.lower() in shown[(c.schema_name, c.table_name)]]
        return (table if table and "%" not in table else None), cols

    # -- retention -------------------------------------------------------------------------------
    def _expired(self, st: Statement) -> bool:
        return st.status in TERMINAL and st.created_at < self.clock.now() - self.config.result_retention_hours * 3600

    def _purge(self, now: float) -> None:
        if now - self._last_purge < 60:
            return
        self._last_purge = now
        ids = self.books.expired(now - self.config.result_retention_hours * 3600)
        gone = []
        for i in ids:
            st = self.books.load(i)
            if st is None or st.status not in TERMINAL:
                continue
            self.results.delete(i)
            for sub in st.subs:
                self.results.delete(sub.id)
            gone.append(i)
        self.books.delete(gone)

    # -- connections -----------------------------------------------------------------------------
    def _acquire(self, warehouse: str, backend: Backend) -> Any:
        with self._lock:
            free = self._free.setdefault(warehouse, [])
            if free:
                return free.pop()
        return backend.connect()

    def _release(self, warehouse: str, conn: Any, reusable: bool) -> None:
        if reusable:
            with self._lock:
                free = self._free.setdefault(warehouse, [])
                if len(free) < 32:
                    free.append(conn)
                    return
        conn.close()

    # -- query history (system views) --------------------------------------------------------
    def _refresh_history(self, conn: Any) -> None:
        with self._lock:
            active = [history_row(st, st, 6, self.redact, self.user_id(st.run_as or st.db_user))
                      for st in self._active.values() if st.query_id >= 0]
        with self._refresh_lock:
            refresh_history(conn, self.books, active)


def _close_at_exit(ref: weakref.ref[StatementService]) -> None:
    service = ref()
    if service is not None:
        service.close()


def _leading_query_group(sql: str) -> str | None:
    """``set query_group to 'etl'; ...`` at the start of a statement routes it to that queue."""
    head = sql.lstrip().lower()
    if not head.startswith("set query_group"):
        return None
    rest = head[len("set query_group"):].split(";", 1)[0].strip()
    for sep in ("to", "="):
        if rest.startswith(sep):
            rest = rest[len(sep):].strip()
            break
    return rest.strip("'\"") or None


_READ_ONLY = frozenset({"query", "set", "reset", "show", "noop"})


def _is_call(t: Any) -> bool:
    return [w.upper() for w in leading_words(t.source, 1)] == ["CALL"]


def _same(text: str) -> str:
    return text


def _message(e: BaseException) -> str:
    if isinstance(e, SteplineError):
        return e.message
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0] if text.count("\n") > 6 else text
