"""The query history records each statement under its user's id, so that a regular user's
``where userid = current_user_id`` finds its own statements as on Redshift."""

from __future__ import annotations

from pathlib import Path

from stepline.config import Config
from stepline.warehouse import Warehouse


def _run(api, service, sql: str, user: str) -> list[list]:
    sid = api.call("ExecuteStatement", {"Sql": sql, "ClusterIdentifier": "c", "Database": "dev", "DbUser": user})["Id"]
    service.wait(sid, 60)
    described = api.call("DescribeStatement", {"Id": sid})
    assert described["Status"] == "FINISHED", described.get("Error")
    if not described["HasResultSet"]:
        return []
    return [[next(iter(f.values())) for f in r] for r in api.call("GetStatementResult", {"Id": sid})["Records"]]


def test_history_rows_carry_the_users_own_id(tmp_path: Path):
    warehouse = Warehouse(Config(data_dir=tmp_path))
    service = warehouse.service
    api = warehouse.dataapi()
    try:
        _run(api, service, "create user alice password 'Alice1234'", "awsuser")
        [[alice_id]] = _run(api, service, "select current_user_id", "alice")
        [[admin_id]] = _run(api, service, "select current_user_id", "awsuser")
        assert alice_id != admin_id and admin_id == 100
        _run(api, service, "select 'alice-was-here'", "alice")
        mine = _run(api, service, "select count(*) from stl_query where userid = current_user_id "
                                  "and querytxt like '%alice-was-here%'", "alice")
        assert mine == [[1]]
        by_id = _run(api, service, "select distinct userid from stl_query where querytxt like '%alice-was-here%'",
                     "awsuser")
        assert by_id == [[alice_id]]
    finally:
        service.close()


def test_statements_after_set_session_authorization_are_the_new_users(tmp_path: Path):
    warehouse = Warehouse(Config(data_dir=tmp_path))
    service = warehouse.service
    api = warehouse.dataapi()
    try:
        _run(api, service, "create user alice password 'Alice1234'", "awsuser")
        [[alice_id]] = _run(api, service, "select current_user_id", "alice")
        first = api.call("ExecuteStatement", {"Sql": "set session authorization 'alice'", "ClusterIdentifier": "c",
                                              "Database": "dev", "SessionKeepAliveSeconds": 60})
        service.wait(first["Id"], 60)
        second = api.call("ExecuteStatement", {"Sql": "select 'as-alice-now'", "SessionId": first["SessionId"]})
        service.wait(second["Id"], 60)
        assert api.call("DescribeStatement", {"Id": second["Id"]})["Status"] == "FINISHED"
        logged = _run(api, service, "select userid, trim(querytxt) from stl_query where querytxt like '%as-alice-now%' "
                                    "and querytxt not like '%stl_query%'", "awsuser")
        assert logged == [[alice_id, "select 'as-alice-now'"]]
    finally:
        service.close()


def test_load_errors_carry_the_loading_users_id(tmp_path: Path):
    from stepline.lake.paths import lake_path

    warehouse = Warehouse(Config(data_dir=tmp_path))
    service = warehouse.service
    api = warehouse.dataapi()
    try:
        for sql in ("create user alice password 'Alice1234'", "create table loads_t (n int)",
                    "grant select, insert on loads_t to alice"):
            _run(api, service, sql, "awsuser")
        path = lake_path("s3://ids/a.txt", tmp_path)
        path.parent.mkdir(parents=True)
        path.write_text("1\nx\n3\n")
        _run(api, service, "copy loads_t from 's3://ids/a.txt' iam_role 'arn:aws:iam::1:role/r' maxerror 1", "alice")
        [[alice_id]] = _run(api, service, "select current_user_id", "alice")
        assert _run(api, service, "select userid, line_number from stl_load_errors", "awsuser") == [[alice_id, 2]]
        assert _run(api, service, "select count(*) from stl_load_errors where userid = current_user_id",
                    "alice") == [[1]]
    finally:
        service.close()
