"""Request validation and response shapes against botocore's redshift-data service model."""

from __future__ import annotations

import pytest

from stepline.sql.dataapi import _model, validate
from stepline.sql.errors import ValidationException


def _output(operation: str, response: dict) -> None:
    shape = _model()["operations"][operation].get("output", {}).get("shape")
    validate(shape, response)  # every member known to the model, with its type


def test_every_response_matches_the_model(h):
    sub = h.api.call("ExecuteStatement", {"Sql": "create table shapes (a int, b varchar(5))",
                                          "ClusterIdentifier": "c", "Database": "dev", "DbUser": "alice",
                                          "StatementName": "mk"})
    _output("ExecuteStatement", sub)
    assert sub["DbUser"] == "alice" and sub["ClusterIdentifier"] == "c" and isinstance(sub["CreatedAt"], float)
    h.service.wait(sub["Id"], 60)
    d = h.api.call("DescribeStatement", {"Id": sub["Id"]})
    _output("DescribeStatement", d)
    assert d["Status"] == "FINISHED" and d["Duration"] >= 0 and d["HasResultSet"] is False
    assert d["RedshiftQueryId"] > 0 and d["QueryString"].startswith("create table shapes")
    batch = h.api.call("BatchExecuteStatement", {"Sqls": ["insert into shapes values (1, 'x')", "select * from shapes"],
                                                 "WorkgroupName": "wg-1", "Database": "dev"})
    _output("BatchExecuteStatement", batch)
    h.service.wait(batch["Id"], 60)
    _output("DescribeStatement", h.api.call("DescribeStatement", {"Id": batch["Id"]}))
    _output("GetStatementResult", h.api.call("GetStatementResult", {"Id": batch["Id"] + ":2"}))
    _output("ListStatements", h.api.call("ListStatements", {}))
    _output("ListDatabases", h.api.call("ListDatabases", {"Database": "dev", "ClusterIdentifier": "c"}))
    _output("ListSchemas", h.api.call("ListSchemas", {"Database": "dev", "ClusterIdentifier": "c"}))
    _output("ListTables", h.api.call("ListTables", {"Database": "dev", "ClusterIdentifier": "c"}))
    _output("DescribeTable", h.api.call("DescribeTable", {"Database": "dev", "ClusterIdentifier": "c",
                                                          "Table": "shapes"}))
    _output("ListSessions", h.api.call("ListSessions", {}))
    listed = h.api.call("ListStatements", {"StatementName": "mk"})["Statements"]
    assert [s["Id"] for s in listed] == [sub["Id"]]
    batch_listed = [s for s in h.api.call("ListStatements", {})["Statements"] if s["IsBatchStatement"]]
    assert batch_listed[0]["QueryStrings"] == ["insert into shapes values (1, 'x')", "select * from shapes"]


def test_validation_messages_follow_aws():
    with pytest.raises(ValidationException) as e:
        validate("ExecuteStatementInput", {"Sql": 5, "SessionKeepAliveSeconds": 100000})
    assert e.value.message.startswith("2 validation errors detected: ")
    assert "Value '100000' at 'sessionKeepAliveSeconds' failed to satisfy constraint: Member must have value " \
           "less than or equal to 86400" in e.value.message
    with pytest.raises(ValidationException) as e:
        validate("ExecuteStatementInput", {"Sql": "select 1", "ResultFormat": "XML"})
    assert "Member must satisfy enum value set: [JSON, CSV]" in e.value.message
    with pytest.raises(ValidationException) as e:
        validate("ExecuteStatementInput", {"Sql": "select 1", "Parameters": [{"name": "a"}]})
    assert "Value null at 'parameters.1.member.value'" in e.value.message
    with pytest.raises(ValidationException) as e:
        validate("ExecuteStatementInput", {"Sql": "select 1", "Bogus": 1})
    assert "bogus" in e.value.message


def test_request_rules_beyond_the_model(h):
    for request, text in [
        ({"Sql": "select 1", "ClusterIdentifier": "c", "SecretArn": "arn:aws:secretsmanager:x", "DbUser": "u"},
         "SecretArn or DbUser"),
        ({"Sql": "select 1"}, "ClusterIdentifier or WorkgroupName"),
        ({"Sql": "select :a", "ClusterIdentifier": "c", "Parameters": [{"name": "a", "value": "1"},
                                                                       {"name": "a", "value": "2"}]}, "unique"),
    ]:
        with pytest.raises(ValidationException) as e:
            h.api.call("ExecuteStatement", request)
        assert text in e.value.message
    with pytest.raises(ValidationException):
        h.api.call("NoSuchOperation", {})
    d = h.ok("select 1")
    with pytest.raises(ValidationException):
        h.api.call("GetStatementResult", {"Id": d["Id"], "NextToken": "garbage"})


def test_missing_parameter_fails_the_statement(h):
    d = h.run("select :missing")
    assert d["Status"] == "FAILED" and "missing" in d["Error"]


def test_unknown_extension_fails_clearly(h):
    d = h.run("copy t from 's3://bucket/key' iam_role default")
    assert d["Status"] == "FAILED" and "not supported" in d["Error"]


def test_wait_time_seconds_answers_with_the_status_reached(h):
    out = h.api.call("ExecuteStatement", {"Sql": "select 1", "ClusterIdentifier": "c", "WaitTimeSeconds": 30})
    _output("ExecuteStatement", out)
    assert out["Status"] == "FINISHED" and out["HasResultSet"] is True


def test_list_sessions_by_status(h):
    out = h.api.call("ExecuteStatement", {"Sql": "select 1", "ClusterIdentifier": "c",
                                          "SessionKeepAliveSeconds": 60})
    h.finish(out["Id"])
    assert [s["SessionId"] for s in h.api.call("ListSessions", {"Status": "AVAILABLE"})["Sessions"]] == [
        out["SessionId"]]
    assert h.api.call("ListSessions", {"Status": "BUSY"})["Sessions"] == []


def test_unreachable_warehouse_is_a_database_connection_error(tmp_path):
    from stepline.clock import VirtualClock
    from stepline.config import Config, WarehouseConfig
    from stepline.sql.dataapi import DataApi
    from stepline.sql.service import StatementService

    wh = WarehouseConfig(backend="postgres", dsn="postgresql://postgres@127.0.0.1:1/none?connect_timeout=1")
    service = StatementService(Config(data_dir=tmp_path, warehouses=(wh,)), VirtualClock())
    try:
        with pytest.raises(Exception) as e:
            DataApi(service).call("ExecuteStatement", {"Sql": "select 1", "ClusterIdentifier": "c"})
        assert e.value.code == "DatabaseConnectionException" and "Could not connect" in e.value.message
    finally:
        service.close()


def test_internal_schemas_are_not_listed(h):
    h.ok("select trunc(getdate())")  # on PostgreSQL this uses a helper function of stepline's own schema
    schemas = h.api.call("ListSchemas", {"Database": "dev", "ClusterIdentifier": "c"})["Schemas"]
    assert not {"stepline_sys", "stepline_fn"} & set(schemas), schemas
