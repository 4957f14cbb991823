"""What a regular user sees of the system views (its own rows, the relations it may read), its
temporary tables, and CURRENT_USER / SESSION_USER / CURRENT_USER_ID, on DuckDB (our enforcer)
and PostgreSQL (SET ROLE and filtered views); nothing of it opens a way around the grants."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepline.access import system_views
from stepline.config import Config, WarehouseConfig, WlmQueue
from stepline.errors import AccessDenied
from stepline.sql import catalog
from stepline.warehouse import Warehouse

USERS = """
CREATE USER alice PASSWORD 'Alice1234';
CREATE USER bob PASSWORD 'Bobby1234';
CREATE SCHEMA vis;
CREATE TABLE vis.whole_t (a int, b int);
CREATE TABLE vis.cols_t (a int, hidden_col varchar(40));
CREATE TABLE vis.hidden_t (x int);
INSERT INTO vis.cols_t VALUES (1, 'TOPSECRET-col'), (2, 'TOPSECRET-col');
CREATE TABLE public.shadowed (secret varchar(40));
INSERT INTO public.shadowed VALUES ('TOPSECRET-shadowed');
GRANT USAGE ON SCHEMA vis TO alice;
GRANT SELECT ON vis.whole_t TO alice;
GRANT SELECT (a) ON vis.cols_t TO alice;
"""
T0 = dt.datetime(2026, 1, 2, 3, 4, 5)
# (query id, user, text, status): alice's, bob's and the superuser's statements
HISTORY = [
    (1, "alice", "42", "success"),
    (2, "alice", "select 'alice-mark'", "success"),
    (3, "alice", "select 'alice-running'", "running"),
    (4, "bob", "select 'TOPSECRET-bob'", "success"),
    (5, "bob", "select 'TOPSECRET-bob-running'", "running"),
    (6, "awsuser", "select 'TOPSECRET-admin'", "success"),
]


def _insert(conn: Any, dialect: str, table: str, values: dict[str, Any]) -> None:
    names = [n for n, _ in catalog.BASE_TABLES[table]]
    conn.execute(catalog.insert_sql(table, dialect), [values.get(n) for n in names])


def _system_tables(backend) -> None:
    """The system views as the statement service makes them, with rows of three users."""
    conn, dialect = backend.admin.conn, backend.dialect
    for sql in catalog.base_table_ddl(dialect) + catalog.system_view_ddl(dialect):
        conn.execute(sql)
    for qid, user, text, status in HISTORY:
        _insert(conn, dialect, "query_history", {
            "query_id": qid, "statement_id": f"st-{qid}", "session_id": "s", "transaction_id": qid, "pid": 7,
            "user_id": 100, "user_name": user, "database_name": "dev", "query_label": "default",
            "query_text": text, "query_type": "SELECT", "status": status, "service_class": 6,
            "service_class_name": "default", "query_priority": "normal", "queue_start_time": T0,
            "queue_end_time": T0, "start_time": T0, "end_time": T0 if status != "running" else None,
            "queue_time_us": 0, "exec_time_us": 5, "compile_time_us": 0, "elapsed_time_us": 5,
            "returned_rows": 1, "returned_bytes": 8, "result_cache_hit": False})
    for qid, user, line in ((2, "alice", "alice-line"), (4, "bob", "TOPSECRET-line")):
        _insert(conn, dialect, "load_errors", {
            "userid": 100, "slice": 0, "table_name": "t", "starttime": T0, "session": 1, "query": qid,
            "filename": "s3://b/f.csv", "line_number": 1, "colname": "a", "type": "int4", "col_length": "0",
            "position": 0, "raw_line": line, "raw_field_value": line, "err_code": 1207,
            "err_reason": "Invalid digit", "is_partial": 0, "start_offset": 0, "user_name": user})
    for qid, table in ((2, "spectrum.alice_t"), (4, "spectrum.topsecret_t")):
        _insert(conn, dialect, "s3query_summary", {
            "userid": 100, "query": qid, "segment": 0, "starttime": T0, "endtime": T0,
            "external_table_name": table, "file_format": "Parquet", "is_partitioned": "f", "s3_scanned_rows": 3,
            "s3_scanned_bytes": 30, "s3query_returned_rows": 3, "s3query_returned_bytes": 30, "files": 1,
            "total_partitions": 0, "qualified_partitions": 0})


@pytest.fixture(params=["duck", "pg"])
def backend(request):
    b = request.getfixturevalue(request.param)
    b.admin.run(USERS)
    _system_tables(b)
    return b


def _col(rows: list[tuple[Any, ...]]) -> list[Any]:
    return [r[0] for r in rows]


# -- system views ------------------------------------------------------------------------------------


def test_every_system_view_says_whose_rows_it_holds() -> None:
    assert set(system_views.VISIBILITY) == catalog.SYSTEM_VIEWS


@pytest.mark.parametrize(("sql", "alice", "bob", "everyone"), [
    ("select query from stl_query order by 1", [1, 2], [4], [1, 2, 4, 6]),
    ("select query from svl_qlog order by 1", [1, 2], [4], [1, 2, 4, 6]),
    ("select query_id from sys_query_history order by 1", [1, 2, 3], [4, 5], [1, 2, 3, 4, 5, 6]),
    ("select query from stl_wlm_query order by 1", [1, 2], [4], [1, 2, 4, 6]),
    ("select query from stv_inflight order by 1", [3], [5], [3, 5]),
    ("select raw_line from stl_load_errors order by 1", ["alice-line"], ["TOPSECRET-line"],
     ["TOPSECRET-line", "alice-line"]),
    ("select external_table_name from svl_s3query_summary order by 1", ["spectrum.alice_t"],
     ["spectrum.topsecret_t"], ["spectrum.alice_t", "spectrum.topsecret_t"]),
])
def test_a_regular_user_sees_its_own_rows_of_the_query_logs(backend, sql, alice, bob, everyone) -> None:
    assert _col(backend.session("alice").query(sql)) == alice
    assert _col(backend.session("bob").query(sql)) == bob
    assert _col(backend.admin.query(sql)) == everyone  # superusers see every row


def test_system_view_rows_of_others_do_not_reach_predicates_joins_or_errors(backend) -> None:
    alice = backend.session("alice")
    # the cast fails on any text but alice's: it never sees another user's row
    assert alice.query("select count(*) from stl_query where case when querytxt = '42' or querytxt like "
                       "'%alice%' then 1 else cast(querytxt as int) end = 1") == [(2,)]
    assert alice.query("select count(*) from sys_query_history h join stl_query q on q.query = h.query_id "
                       "where q.querytxt like '%TOPSECRET%' or h.query_text like '%TOPSECRET%'") == [(0,)]
    assert alice.query("select max(querytxt) from (select querytxt from stl_query union all "
                       "select text from stv_inflight) x where querytxt like 'select%'") == [("select 'alice-running'",)]
    assert alice.query("select count(*) from pg_catalog.stl_query where userid = 100") == [(2,)]
    for sql in ("select * from stepline_sys.query_history", "select * from stepline_sys.load_errors",
                "select query_text from stepline_sys.query_history where user_name = 'bob'",
                "delete from stl_query", "insert into stepline_sys.query_history (query_id) values (9)"):
        with pytest.raises(AccessDenied, match="permission denied"):
            alice.query(sql)
    assert _col(backend.admin.query("select query_id from stepline_sys.query_history order by 1")) == [1, 2, 3, 4, 5, 6]


def test_catalog_views_list_only_relations_the_user_may_read(backend) -> None:
    alice = backend.session("alice")
    tables = "select \"table\" from svv_table_info where schema = 'vis' order by 1"
    assert _col(alice.query(tables)) == ["cols_t", "whole_t"]
    assert _col(backend.admin.query(tables)) == ["cols_t", "hidden_t", "whole_t"]
    assert _col(alice.query("select tablename from svv_diskusage where schemaname = 'vis' order by 1")) == \
        ["cols_t", "whole_t"]
    columns = "select tablename, \"column\" from pg_table_def where schemaname = 'vis' order by 1, 2"
    assert alice.query(columns) == [("cols_t", "a"), ("whole_t", "a"), ("whole_t", "b")]
    assert len(backend.admin.query(columns)) == 5
    assert _col(backend.session("bob").query(tables)) == []
    assert alice.query("select count(*) from svv_table_info where schema = 'public'") == [(0,)]


def test_row_counts_do_not_count_rows_hidden_by_policies(backend) -> None:
    backend.admin.run("""
        CREATE TABLE vis.rls_t (a int, owner varchar(10));
        INSERT INTO vis.rls_t VALUES (1, 'alice'), (2, 'bob'), (3, 'bob');
        GRANT SELECT ON vis.rls_t TO alice;
        CREATE RLS POLICY p_own WITH (owner varchar(10)) USING (owner = current_user);
        ATTACH RLS POLICY p_own ON vis.rls_t TO alice;
        ALTER TABLE vis.rls_t ROW LEVEL SECURITY ON;
    """)
    alice = backend.session("alice")
    assert alice.query("select count(*) from vis.rls_t") == [(1,)]
    counts = alice.query("select tbl_rows, estimated_visible_rows, \"rows\" from svv_table_info "
                         "where \"table\" = 'rls_t'")
    # DuckDB leaves them empty; PostgreSQL counts with alice's rights, so her policy applies
    seen = None if backend.dialect == "duckdb" else 1
    assert counts == [(seen, seen, seen)]
    assert alice.query("select num_values from svv_diskusage where tablename = 'rls_t'") == [(seen,)]
    assert alice.query("select tbl_rows from svv_table_info where \"table\" = 'cols_t'") == [(2,)]
    assert backend.admin.query("select tbl_rows from svv_table_info where \"table\" = 'rls_t'") == [(3,)]


def test_a_view_over_a_system_view_shows_each_reader_its_own_rows(duck) -> None:
    duck.admin.run(USERS)
    _system_tables(duck)
    duck.admin.run("GRANT CREATE ON SCHEMA vis TO alice; GRANT USAGE ON SCHEMA vis TO bob")
    alice = duck.session("alice")
    alice.run("create view vis.my_queries as select query, querytxt from stl_query")
    alice.run("grant select on vis.my_queries to bob")
    assert _col(alice.query("select query from vis.my_queries order by 1")) == [1, 2]
    assert _col(duck.session("bob").query("select query from vis.my_queries order by 1")) == [4]


# -- temporary tables --------------------------------------------------------------------------------


def test_a_regular_user_creates_and_uses_temporary_tables(backend) -> None:
    alice = backend.session("alice")
    alice.run("create temp table scratch (n int)")
    alice.run("insert into scratch values (1), (2)")
    alice.run("update scratch set n = n + 10 where n = 2")
    assert _col(alice.query("select n from scratch order by 1")) == [1, 12]
    alice.run("create table #hash as select a from vis.cols_t")
    assert _col(alice.query("select a from #hash order by 1")) == [1, 2]
    alice.run("drop table scratch")
    with pytest.raises(Exception, match="scratch"):
        alice.query("select * from scratch")
    with pytest.raises(AccessDenied, match="permission denied"):  # a temporary table copies only what it may read
        alice.run("create temp table stolen as select hidden_col from vis.cols_t")
    bob = backend.session("bob")
    with pytest.raises(Exception, match="hash"):  # another session never sees it
        bob.query("select * from #hash")


def test_a_temporary_table_cannot_shadow_or_take_over_another_table(backend) -> None:
    alice = backend.session("alice")
    alice.run("create temp table shadowed (secret varchar(40))")
    alice.run("insert into shadowed values ('mine')")
    assert alice.query("select secret from shadowed") == [("mine",)]
    with pytest.raises(AccessDenied, match="permission denied"):
        alice.query("select secret from public.shadowed")
    assert backend.admin.query("select secret from shadowed") == [("TOPSECRET-shadowed",)]
    # a superuser's temporary table stays its own after SET SESSION AUTHORIZATION on the connection
    admin = backend.session()
    admin.run("create temp table admin_tmp (secret varchar(40))")
    admin.run("insert into admin_tmp values ('TOPSECRET-temp')")
    admin.run("SET SESSION AUTHORIZATION alice")
    for attempt in range(2):  # before and after alice made a temporary table of her own there
        with pytest.raises(AccessDenied) as denied:
            admin.query("select secret from admin_tmp")
        assert "TOPSECRET" not in str(denied.value)
        with pytest.raises(AccessDenied):
            admin.run("drop table admin_tmp")
        if backend.dialect == "duckdb":  # PostgreSQL has it owned by the superuser's role natively
            with pytest.raises(AccessDenied, match="already exists"):
                admin.run("create temp table if not exists admin_tmp (secret varchar(40))")
        admin.run(f"create temp table alice_tmp{attempt} (n int)")
    with pytest.raises(AccessDenied, match="permission denied"):
        admin.query("select secret from admin_tmp")
    admin.run("RESET SESSION AUTHORIZATION")
    assert admin.query("select secret from admin_tmp") == [("TOPSECRET-temp",)]


LOOKUP = """
CREATE TABLE public.allowed (ok_a int);
INSERT INTO public.allowed VALUES (1);
CREATE TABLE vis.data (a int, payload varchar(40));
INSERT INTO vis.data VALUES (1, 'alice-row'), (2, 'TOPSECRET-data');
"""


def test_a_temporary_table_does_not_stand_in_for_a_policy_lookup_table(backend) -> None:
    backend.admin.run(LOOKUP + """
        GRANT SELECT ON public.allowed TO alice;
        GRANT SELECT ON vis.data TO alice;
        CREATE RLS POLICY p_lookup WITH (a int) USING (a IN (SELECT ok_a FROM allowed));
        ATTACH RLS POLICY p_lookup ON vis.data TO alice;
        ALTER TABLE vis.data ROW LEVEL SECURITY ON;
    """)
    alice = backend.session("alice")

    def read() -> list[tuple[Any, ...]]:
        if backend.dialect == "duckdb":  # the enforcer refuses policies that read other tables
            with pytest.raises(AccessDenied, match="permission denied"):
                alice.query("select payload from vis.data")
            return [("alice-row",)]
        return alice.query("select payload from vis.data")

    assert read() == [("alice-row",)]
    alice.run("create temp table allowed (ok_a int)")
    alice.run("insert into allowed values (2)")
    assert alice.query("select ok_a from allowed") == [(2,)]  # her table, for her own statements
    assert read() == [("alice-row",)]


def test_a_temporary_table_does_not_stand_in_for_a_table_a_view_reads(duck) -> None:
    """(PostgreSQL binds a view's tables when the view is made.)"""
    duck.admin.run(USERS + LOOKUP + """
        CREATE VIEW vis.mine AS SELECT d.a, d.payload FROM vis.data d WHERE d.a IN (SELECT ok_a FROM allowed);
        GRANT SELECT ON vis.mine TO alice;
    """)
    alice = duck.session("alice")
    assert alice.query("select payload from vis.mine") == [("alice-row",)]
    alice.run("create temp table allowed as select 2 as ok_a")
    assert alice.query("select payload from vis.mine") == [("alice-row",)]


def test_temp_privilege_is_public_by_default_and_can_be_revoked(backend) -> None:
    admin = backend.admin
    admin.run("REVOKE TEMP ON DATABASE dev FROM PUBLIC")
    alice = backend.session("alice")
    with pytest.raises(AccessDenied, match="temporary tables"):
        alice.run("create temp table t (n int)")
    with pytest.raises(AccessDenied, match="temporary tables"):
        alice.run("create table #t as select 1 as n")
    admin.run("GRANT TEMPORARY ON DATABASE dev TO alice")
    alice.run("create temp table t (n int)")
    with pytest.raises(AccessDenied, match="temporary tables"):
        backend.session("bob").run("create temp table t (n int)")
    admin.run("GRANT TEMP ON DATABASE dev TO PUBLIC")
    backend.session("bob").run("create temp table t (n int)")


# -- CURRENT_USER --------------------------------------------------------------------------------------


def test_current_user_is_the_database_user(backend) -> None:
    catalog_ = backend.access.catalog
    sql = "select current_user, session_user, user, current_user_id"
    assert backend.admin.query(sql) == [("awsuser", "awsuser", "awsuser", 100)]
    alice_id = catalog_.user_id("alice")
    assert alice_id > 100 and alice_id != catalog_.user_id("bob")
    assert backend.session("alice").query(sql) == [("alice", "alice", "alice", alice_id)]
    assert backend.as_user("bob").query(sql) == [("bob", "bob", "bob", catalog_.user_id("bob"))]
    assert backend.session("alice").query("select count(*) from vis.cols_t where current_user = 'alice'") == [(2,)]
    # CREATE TABLE ... AS and SELECT ... INTO record who ran them
    alice = backend.session("alice")
    alice.run("create temp table who as select current_user as u, current_user_id as i")
    alice.run("select session_user as u into temp who2")
    assert alice.query("select u, i from who") == [("alice", alice_id)]
    assert alice.query("select u from who2") == [("alice",)]
    backend.admin.run("create table vis.who as select current_user as u")
    assert backend.admin.query("select u from vis.who") == [("awsuser",)]
    # names in strings and quoted identifiers stay as written
    res = backend.session("alice").run("select 'current_user' as \"session_user\"")[-1]
    assert (res.columns, res.rows) == (["session_user"], [("current_user",)])


# -- through the warehouse: real query history and Data API sessions ---------------------------------


class _Wired:
    def __init__(self, config: Config, pg_prefix: str = "") -> None:
        self.wh = Warehouse(config, pg_prefix=pg_prefix)
        self.api = self.wh.dataapi()

    def call(self, op: str, **request: Any) -> dict[str, Any]:
        if op == "ExecuteStatement" and "SessionId" not in request:
            request.update(ClusterIdentifier="local", Database="dev")
        return self.api.call(op, request, None)

    def run(self, sql: str, **request: Any) -> dict[str, Any]:
        out = self.call("ExecuteStatement", Sql=sql, **request)
        self.wh.service.wait(out["Id"], timeout=60)
        d = self.call("DescribeStatement", Id=out["Id"])
        d["SessionId"] = out.get("SessionId")
        return d

    def ok(self, sql: str, **request: Any) -> list[list[Any]]:
        d = self.run(sql, **request)
        assert d["Status"] == "FINISHED", d.get("Error")
        if not d["HasResultSet"]:
            return []
        rows = self.call("GetStatementResult", Id=d["Id"])["Records"]
        return [[next(iter(v.values())) for v in row] for row in rows]


def _config(tmp_path: Path, wh: WarehouseConfig) -> Config:
    return Config(data_dir=tmp_path / "data", warehouses=(wh,), wlm_queues=(WlmQueue(name="default", slots=2),))


@pytest.fixture(params=["duckdb", "postgres"])
def wired(request, tmp_path: Path) -> Iterator[_Wired]:
    if request.param == "duckdb":
        w = _Wired(_config(tmp_path, WarehouseConfig(clusters=("local",))))
        yield w
        w.wh.close()
        return
    import psycopg

    dsn = request.getfixturevalue("pg_server_dsn")
    schema, prefix = f"t_{uuid.uuid4().hex[:10]}", f"v{uuid.uuid4().hex[:8]}_"
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(f'create schema "{schema}"')
    wh = WarehouseConfig(backend="postgres", dsn=f"{dsn}?options=-csearch_path%3D{schema}", clusters=("local",))
    w = _Wired(_config(tmp_path, wh), pg_prefix=prefix)
    yield w
    w.wh.close()
    with psycopg.connect(dsn, autocommit=True) as c:
        for view in system_views.VISIBILITY:
            c.execute(f'drop view if exists {catalog.SCHEMA}."{system_views.postgres_view_name(prefix, view)}"')
        c.execute(f'drop schema if exists "{schema}" cascade')
        for (r,) in c.execute("select rolname from pg_roles where rolname like %s", (prefix + "%",)).fetchall():
            c.execute(f'drop owned by "{r}"')
            c.execute(f'drop role "{r}"')


def test_through_the_data_api(wired: _Wired) -> None:
    mark = uuid.uuid4().hex[:12]
    wired.ok("CREATE USER alice PASSWORD 'Alice1234'")
    wired.ok("CREATE USER bob PASSWORD 'Bobby1234'")
    wired.ok(f"select 'alice-{mark}'", DbUser="alice")
    wired.ok(f"select 'TOPSECRET-{mark}'", DbUser="bob")
    mine = f"select querytxt from stl_query where querytxt like 'select ''%{mark}''' order by 1"
    assert wired.ok(mine, DbUser="alice") == [[f"select 'alice-{mark}'"]]
    assert wired.ok(mine) == [[f"select 'TOPSECRET-{mark}'"], [f"select 'alice-{mark}'"]]
    mentions = [{"name": "p", "value": f"%{mark}%"}]  # alice's two statements naming the mark
    assert wired.ok("select count(*) from stl_query where querytxt like :p", DbUser="alice",
                    Parameters=mentions) == [[2]]
    assert wired.ok("select current_user, session_user", DbUser="alice") == [["alice", "alice"]]
    assert wired.ok("select current_user") == [["awsuser"]]
    # a temporary table lives for alice's Data API session
    first = wired.run("create temp table scratch (n int)", DbUser="alice", SessionKeepAliveSeconds=60)
    assert first["Status"] == "FINISHED", first.get("Error")
    session = first["SessionId"]
    wired.ok("insert into scratch values (7)", SessionId=session)
    assert wired.ok("select n, current_user from scratch", SessionId=session) == [[7, "alice"]]
    # SET SESSION AUTHORIZATION in a superuser's session: the statements run as bob
    out = wired.run("SET SESSION AUTHORIZATION bob", SessionKeepAliveSeconds=60)
    assert wired.ok("select current_user, session_user", SessionId=out["SessionId"]) == [["bob", "bob"]]
