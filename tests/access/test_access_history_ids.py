"""The query history records each statement under its user's id, so that a regular user's
``where userid = current_user_id`` finds its own statements as on Redshift."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stepline.config import Config
from stepline.lake.paths import lake_path
from stepline.warehouse import Warehouse


class Alice:
    """A warehouse with a regular user alice, and statements run through its Data API as anyone."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.warehouse = Warehouse(Config(data_dir=data_dir))
        self.service = self.warehouse.service
        self.api = self.warehouse.dataapi()
        self.run("create user alice password 'Alice1234'")
        [[self.id]] = self.run("select current_user_id", "alice")

    def run(self, sql: str, user: str = "awsuser") -> list[list]:
        sid = self.api.call("ExecuteStatement", {"Sql": sql, "ClusterIdentifier": "c", "Database": "dev",
                                                 "DbUser": user})["Id"]
        return self.result(sid)

    def result(self, sid: str) -> list[list]:
        self.service.wait(sid, 60)
        described = self.api.call("DescribeStatement", {"Id": sid})
        assert described["Status"] == "FINISHED", described.get("Error")
        if not described["HasResultSet"]:
            return []
        return [[next(iter(f.values())) for f in r]
                for r in self.api.call("GetStatementResult", {"Id": sid})["Records"]]


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Alice]:
    alice = Alice(tmp_path)
    yield alice
    alice.service.close()


def test_history_rows_carry_the_users_own_id(wh: Alice):
    [[admin_id]] = wh.run("select current_user_id")
    assert wh.id != admin_id and admin_id == 100
    wh.run("select 'alice-was-here'", "alice")
    mine = wh.run("select count(*) from stl_query where userid = current_user_id "
                  "and querytxt like '%alice-was-here%'", "alice")
    assert mine == [[1]]
    by_id = wh.run("select distinct userid from stl_query where querytxt like '%alice-was-here%'")
    assert by_id == [[wh.id]]


def test_statements_after_set_session_authorization_are_the_new_users(wh: Alice):
    first = wh.api.call("ExecuteStatement", {"Sql": "set session authorization 'alice'", "ClusterIdentifier": "c",
                                             "Database": "dev", "SessionKeepAliveSeconds": 60})
    wh.result(first["Id"])
    second = wh.api.call("ExecuteStatement", {"Sql": "select 'as-alice-now'", "SessionId": first["SessionId"]})
    wh.result(second["Id"])
    logged = wh.run("select userid, trim(querytxt) from stl_query where querytxt like '%as-alice-now%' "
                    "and querytxt not like '%stl_query%'")
    assert logged == [[wh.id, "select 'as-alice-now'"]]


def test_load_errors_carry_the_loading_users_id(wh: Alice):
    for sql in ("create table loads_t (n int)", "grant select, insert on loads_t to alice"):
        wh.run(sql)
    path = lake_path("s3://ids/a.txt", wh.data_dir)
    path.parent.mkdir(parents=True)
    path.write_text("1\nx\n3\n")
    wh.run("copy loads_t from 's3://ids/a.txt' iam_role 'arn:aws:iam::1:role/r' maxerror 1", "alice")
    assert wh.run("select userid, line_number from stl_load_errors") == [[wh.id, 2]]
    assert wh.run("select count(*) from stl_load_errors where userid = current_user_id", "alice") == [[1]]
