"""Access control wired into the composed warehouse (``stepline.warehouse.Warehouse``): session
authorization, settings, users created on first use, principals, redaction, schema changes,
metadata and denials, through the real statement service and its Data API (DuckDB, and
PostgreSQL under SET ROLE)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepline.config import AccessKey, Config, ServerConfig, ValueSource, WarehouseConfig, WlmQueue
from stepline.errors import AccessDenied, NotFound
from stepline.warehouse import Warehouse

SECRET = '{"username": "alice", "password": "Alice1234"}'
SETUP = [
    "CREATE TABLE sales (id int, supplier varchar(40), amount int)",
    "INSERT INTO sales VALUES (1, 'HEXPHARM', 10), (2, 'OTHER', 20), (3, 'HEXPHARM', 30)",
    "CREATE USER alice PASSWORD 'Alice1234'",
    "GRANT SELECT (id, supplier) ON sales TO alice",
]


class Wired:
    """A warehouse, its Data API, and helpers that wait for a statement without sleeping."""

    def __init__(self, config: Config, pg_prefix: str = "") -> None:
        self.config = config
        self.wh = Warehouse(config, pg_prefix=pg_prefix)
        self.service = self.wh.service
        self.api = self.wh.dataapi()
        self.access = self.wh.access

    def call(self, op: str, principal: str | None = None, **request: Any) -> dict[str, Any]:
        if op in ("ExecuteStatement", "BatchExecuteStatement", "ListTables", "ListSchemas", "DescribeTable") \
                and "SessionId" not in request:
            request.setdefault("ClusterIdentifier", "local")
            request.setdefault("Database", "dev")
        return self.api.call(op, request, principal)

    def run(self, sql: str, user: str | None = None, **request: Any) -> dict[str, Any]:
        """Runs one statement through ExecuteStatement and answers its DescribeStatement."""
        if user is not None:
            request["DbUser"] = user
        out = self.call("ExecuteStatement", Sql=sql, **request)
        self.service.wait(out["Id"], timeout=60)
        return self.call("DescribeStatement", Id=out["Id"])

    def ok(self, sql: str, user: str | None = None, **request: Any) -> list[list[Any]]:
        d = self.run(sql, user, **request)
        assert d["Status"] == "FINISHED", d.get("Error")
        if not d["HasResultSet"]:
            return []
        rows = self.call("GetStatementResult", Id=d["Id"])["Records"]
        return [[next(iter(v.values())) for v in row] for row in rows]

    def denied(self, sql: str, user: str | None = None, **request: Any) -> str:
        d = self.run(sql, user, **request)
        assert d["Status"] == "FAILED", d
        assert "permission denied" in d["Error"], d["Error"]
        return d["Error"]


def _config(tmp_path: Path, wh: WarehouseConfig | None = None, **extra: Any) -> Config:
    return Config(data_dir=tmp_path / "data", warehouses=(wh or WarehouseConfig(clusters=("local",)),),
                  wlm_queues=(WlmQueue(name="default", slots=2),), **extra)


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Wired]:
    w = Wired(_config(tmp_path, secrets={"rs-alice": ValueSource(value=SECRET)}))
    for sql in SETUP:
        w.ok(sql)
    yield w
    w.wh.close()


@pytest.fixture
def pg(tmp_path: Path, pg_schema: tuple[str, str], pg_warehouse: WarehouseConfig) -> Iterator[Wired]:
    dsn, schema = pg_schema
    prefix = f"w{uuid.uuid4().hex[:8]}_"
    wh = dataclasses.replace(pg_warehouse, clusters=("local",))
    w = Wired(_config(tmp_path, wh), pg_prefix=prefix)
    w.schema = schema  # type: ignore[attr-defined]
    for sql in SETUP:
        w.ok(sql.replace("ON sales", f"ON {schema}.sales"))
    w.ok(f"GRANT USAGE ON SCHEMA {schema} TO alice")
    yield w
    w.wh.close()
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(f'drop schema if exists "{schema}" cascade')
        for (r,) in c.execute("select rolname from pg_roles where rolname like %s", (prefix + "%",)).fetchall():
            c.execute(f'drop owned by "{r}"')
            c.execute(f'drop role "{r}"')


# -- 1. SET SESSION AUTHORIZATION --------------------------------------------------------------


def test_session_authorization_holds_for_the_session_and_reset_ends_it(duck: Wired) -> None:
    out = duck.call("ExecuteStatement", Sql="SET SESSION AUTHORIZATION alice", SessionKeepAliveSeconds=60)
    duck.service.wait(out["Id"], timeout=60)
    sid = out["SessionId"]
    assert duck.ok("select id from sales order by id", SessionId=sid) == [[1], [2], [3]]
    duck.denied("select amount from sales", SessionId=sid)
    # a transaction's statements run as the session's current user as well
    duck.denied("begin; select id from sales; select amount from sales; commit", SessionId=sid)
    duck.ok("RESET SESSION AUTHORIZATION", SessionId=sid)
    assert duck.ok("select cast(sum(amount) as int) from sales", SessionId=sid) == [[60]]


def test_session_authorization_within_one_call_ends_with_it(duck: Wired) -> None:
    duck.denied("SET SESSION AUTHORIZATION alice; select amount from sales")
    assert duck.ok("select cast(sum(amount) as int) from sales") == [[60]]  # the next call runs as the superuser again


def test_only_superusers_may_set_session_authorization(duck: Wired) -> None:
    duck.denied("SET SESSION AUTHORIZATION awsuser", user="alice")


# -- 2. settings ---------------------------------------------------------------------------------


def test_restricted_users_change_only_harmless_settings(duck: Wired) -> None:
    duck.ok("set timezone to 'UTC'", user="alice")
    duck.ok("set query_group to 'etl'", user="alice")
    assert "search_path" in duck.denied("set search_path to other", user="alice")
    duck.denied("show search_path", user="alice")
    duck.ok("set search_path to public")  # the superuser may


# -- 3. users created on first use; calls without DbUser; SecretArn -------------------------------


def test_new_db_user_is_created_without_privileges(duck: Wired) -> None:
    assert not duck.access.catalog.user_exists("carol")
    assert duck.ok("select 1", user="Carol") == [[1]]
    assert duck.access.catalog.user_exists("carol")
    assert not duck.access.is_superuser("carol")
    duck.denied("select id from sales", user="carol")


def test_call_without_db_user_runs_as_the_superuser(duck: Wired) -> None:
    d = duck.run("select current_user")
    assert d["DbUser"] == "awsuser"


def test_secret_arn_runs_as_the_user_of_the_secret(duck: Wired) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rs-alice"
    d = duck.run("select amount from sales", SecretArn=arn)
    assert d["DbUser"] == "alice" and d["Status"] == "FAILED" and "permission denied" in d["Error"]
    assert duck.ok("select count(*) from sales", SecretArn=arn) == [[3]]


def test_placeholder_secret_runs_as_the_superuser_and_unknown_secret_fails(duck: Wired) -> None:
    assert duck.run("select 1", SecretArn="<secret-arn>")["DbUser"] == "awsuser"
    with pytest.raises(NotFound):
        duck.run("select 1", SecretArn="arn:aws:secretsmanager:us-east-1:123456789012:secret:nope")


# -- 4. principals ---------------------------------------------------------------------------------


def test_principal_acts_only_as_its_mapped_users(tmp_path: Path) -> None:
    keys = (AccessKey("AKIAALICE", db_users=("alice",)), AccessKey("AKIAADMIN", db_users=("*",)))
    w = Wired(_config(tmp_path, server=ServerConfig(access_keys=keys)))
    try:
        out = w.call("ExecuteStatement", "AKIAADMIN", Sql="CREATE USER alice PASSWORD 'Alice1234'")
        assert w.service.wait(out["Id"], timeout=60) == "FINISHED"
        out = w.call("ExecuteStatement", "AKIAALICE", Sql="select 1", DbUser="alice")
        assert w.service.wait(out["Id"], timeout=60) == "FINISHED"
        for user in ("bob", None):  # None: the superuser
            request = {"DbUser": user} if user else {}
            with pytest.raises(AccessDenied, match="AKIAALICE"):
                w.call("ExecuteStatement", "AKIAALICE", Sql="select 1", **request)
        with pytest.raises(AccessDenied):
            w.call("ListTables", "AKIAALICE", DbUser="awsuser")
        with pytest.raises(AccessDenied):
            w.call("ExecuteStatement", "AKIAUNKNOWN", Sql="select 1", DbUser="alice")
    finally:
        w.wh.close()


def test_development_mode_lets_any_principal_act_as_anyone(duck: Wired) -> None:
    out = duck.call("ExecuteStatement", "AKIAANY", Sql="select 1", DbUser="bob")
    assert duck.service.wait(out["Id"], timeout=60) == "FINISHED"


# -- 5. redaction ---------------------------------------------------------------------------------


def test_passwords_never_appear_in_clear(duck: Wired) -> None:
    d = duck.run("CREATE USER dave PASSWORD 'Dave5678secret'")
    assert d["Status"] == "FINISHED"
    assert "Dave5678secret" not in d["QueryString"] and "'***'" in d["QueryString"]
    listed = duck.call("ListStatements", Status="ALL")["Statements"]
    assert listed and all("Dave5678secret" not in s["QueryString"] for s in listed if "QueryString" in s)
    texts = duck.ok("select query_text from sys_query_history where query_text ilike '%create user dave%'")
    assert texts and all("Dave5678secret" not in t for (t,) in texts)
    assert b"Dave5678secret" not in (duck.config.data_dir / "statements.sqlite").read_bytes()
    assert duck.ok("select 1", user="dave") == [[1]]  # the password itself was not redacted


# -- 6. schema changes ----------------------------------------------------------------------------


def test_a_superusers_ddl_is_seen_at_once(duck: Wired) -> None:
    duck.run("select id from later", user="alice")  # caches "no such relation"
    duck.ok("create table later (id int, secret int)")
    duck.ok("grant select (id) on later to alice")
    assert duck.ok("select id from later", user="alice") == []
    duck.denied("select secret from later", user="alice")


# -- 8. metadata ------------------------------------------------------------------------------------


def test_metadata_shows_a_restricted_user_only_what_it_may_select(duck: Wired) -> None:
    duck.ok("create table hidden (x int)")
    tables = {t["name"] for t in duck.call("ListTables", DbUser="alice", SchemaPattern="public")["Tables"]}
    assert "sales" in tables and "hidden" not in tables
    everything = {t["name"] for t in duck.call("ListTables", SchemaPattern="public")["Tables"]}
    assert {"sales", "hidden"} <= everything
    cols = [c["name"] for c in duck.call("DescribeTable", DbUser="alice", Schema="public", Table="sales")["ColumnList"]]
    assert cols == ["id", "supplier"]
    assert duck.call("DescribeTable", DbUser="alice", Schema="public", Table="hidden")["ColumnList"] == []
    assert len(duck.call("DescribeTable", Schema="public", Table="sales")["ColumnList"]) == 3
    assert duck.call("ListSchemas", DbUser="alice")["Schemas"] == ["public"]
    assert duck.call("ListSchemas", DbUser="nobody")["Schemas"] == []


# -- 9. denials: audited, and FAILED in the query history -------------------------------------------


def test_denials_are_audited_and_failed_in_the_history(duck: Wired) -> None:
    error = duck.denied("select amount from sales", user="alice")
    denial = duck.access.audit.denials("alice")[0]
    assert denial.reason == error and "select amount from sales" in denial.statement
    rows = duck.ok("select status, error_message from sys_query_history "
                   "where query_text = 'select amount from sales'")
    assert rows == [["failed", error]]


# -- 7. PostgreSQL under SET ROLE -------------------------------------------------------------------


def test_postgres_restricted_users_run_under_set_role(pg: Wired) -> None:
    schema = pg.schema  # type: ignore[attr-defined]
    assert pg.ok("select id, supplier from sales order by id", user="alice") == [
        [1, "HEXPHARM"], [2, "OTHER"], [3, "HEXPHARM"]]
    error = pg.denied("select amount from sales", user="alice")
    assert pg.access.audit.denials("alice")[0].reason == error
    assert pg.ok("select current_user", user="alice") == [["alice"]]  # the DbUser, not the native role
    assert pg.ok("select cast(sum(amount) as int) from sales") == [[60]]  # the superuser after RESET ROLE
    cols = pg.call("DescribeTable", DbUser="alice", Schema=schema, Table="sales")["ColumnList"]
    assert [c["name"] for c in cols] == ["id", "supplier"]
    assert [t["name"] for t in pg.call("ListTables", DbUser="alice", SchemaPattern=schema)["Tables"]] == ["sales"]
    # a new DbUser gets its native role, without privileges
    pg.denied(f"select id from {schema}.sales", user="erin")
    out = pg.call("ExecuteStatement", Sql="SET SESSION AUTHORIZATION alice", SessionKeepAliveSeconds=60)
    pg.service.wait(out["Id"], timeout=60)
    pg.denied("select amount from sales", SessionId=out["SessionId"])
    assert pg.ok("select count(id) from sales", SessionId=out["SessionId"]) == [[3]]


@pytest.mark.parametrize("backend", ["duck", "pg"])
def test_copy_needs_insert_on_its_columns_as_on_redshift(backend, request):
    from stepline.lake.paths import lake_path

    w: Wired = request.getfixturevalue(backend)
    on = f"{w.schema}.sales" if backend == "pg" else "sales"  # type: ignore[attr-defined]
    path = lake_path("s3://loads/sales.txt", w.config.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("7|NEW|70\n")
    copy = "copy sales from 's3://loads/sales.txt' iam_role 'arn:aws:iam::1:role/r'"
    assert "relation sales" in w.denied(copy, "alice")  # SELECT on some columns is not INSERT
    w.ok(f"GRANT INSERT (id, supplier) ON {on} TO alice")
    assert "relation sales" in w.denied(copy, "alice")  # every column is loaded: amount is not granted
    path.write_text("8|LISTED\n")
    w.ok("copy sales (id, supplier) from 's3://loads/sales.txt' iam_role 'arn:aws:iam::1:role/r'", "alice")
    w.ok(f"GRANT INSERT ON {on} TO alice")
    path.write_text("9|WHOLE|90\n")
    w.ok(copy, "alice")
    assert w.ok("select id, supplier, coalesce(amount, -1) from sales where id > 3 order by id") == [
        [8, "LISTED", -1], [9, "WHOLE", 90]]
