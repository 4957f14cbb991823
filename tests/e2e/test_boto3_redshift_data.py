"""Unmodified boto3 ``redshift-data`` against the server: shapes, typed fields, pagination, errors."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from botocore.exceptions import ClientError
from e2e_helpers import finish_statement

TARGET = {"ClusterIdentifier": "local", "Database": "dev", "DbUser": "awsuser"}


def test_execute_describe_and_typed_result(stepline_server):
    rsd = stepline_server.client("redshift-data")
    r = rsd.execute_statement(Sql="select 42 as n, 'x' as s, 1.5::float8 as d, null as z", **TARGET)
    assert isinstance(r["CreatedAt"], dt.datetime) and r["Database"] == "dev"
    d = finish_statement(rsd, r["Id"])
    assert d["Status"] == "FINISHED" and d["HasResultSet"] is True and d["ResultRows"] == 1
    result = rsd.get_statement_result(Id=r["Id"])
    assert [c["name"] for c in result["ColumnMetadata"]] == ["n", "s", "d", "z"]
    assert result["Records"] == [[{"longValue": 42}, {"stringValue": "x"}, {"doubleValue": 1.5}, {"isNull": True}]]


def test_result_pagination_through_the_paginator(stepline_server):
    rsd = stepline_server.client("redshift-data")
    sid = rsd.execute_statement(Sql="select * from range(0, 2500) as t(i)", **TARGET)["Id"]
    assert finish_statement(rsd, sid)["Status"] == "FINISHED"
    records = [r for page in rsd.get_paginator("get_statement_result").paginate(Id=sid) for r in page["Records"]]
    assert len(records) == 2500


def test_failed_statement_reports_its_error(stepline_server):
    rsd = stepline_server.client("redshift-data")
    sid = rsd.execute_statement(Sql="select * from no_such_table_here", **TARGET)["Id"]
    d = finish_statement(rsd, sid)
    assert d["Status"] == "FAILED" and "no_such_table_here" in d["Error"]


def test_unknown_statement_is_resource_not_found(stepline_server):
    with pytest.raises(ClientError) as e:
        stepline_server.client("redshift-data").describe_statement(Id=str(uuid.uuid4()))
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_list_statements_sees_what_was_run(stepline_server):
    rsd = stepline_server.client("redshift-data")
    sid = rsd.execute_statement(Sql="select 1", StatementName="listed", **TARGET)["Id"]
    finish_statement(rsd, sid)
    ids = [s["Id"] for s in rsd.list_statements(Status="ALL")["Statements"]]
    assert sid in ids
