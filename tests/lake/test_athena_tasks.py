"""Athena task resources: a crawled table queried with ``athena:startQueryExecution.sync`` and
read with ``athena:getQueryResults``, an Athena CTAS registered in the catalog, and a failing
query as States.TaskFailed; on a real data directory, the composed warehouse and the runtime."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest

from stepline.clock import SystemClock
from stepline.config import parse_config
from stepline.lake.catalog import Catalog
from stepline.lake.datagen import generate_sales
from stepline.lake.paths import lake_path
from stepline.runtime import build_runtime
from stepline.warehouse import Warehouse

ROLE = "arn:aws:iam::123456789012:role/stepline"
SALES = "s3://athena-bucket/raw/sales_consolidate/"
RESULTS = "s3://athena-bucket/results/"
COUNTS = "SELECT kodecab, count(*) AS n FROM sales_consolidate GROUP BY kodecab ORDER BY kodecab"


@pytest.fixture
def lake(tmp_path):
    config = parse_config({"crawlers": {"sales": {"database": "klb_db", "s3_targets": [SALES]}}},
                          base_dir=tmp_path, data_dir=tmp_path / "data")
    generate_sales(SALES, data_dir=config.data_dir, rows=2500)
    warehouse = Warehouse(config, SystemClock())
    rt = build_runtime(config, statements=warehouse.dataapi())
    rt.start()
    yield config, rt
    rt.stop()
    warehouse.close()


def _run(rt, name: str, states: dict, start: str, payload: dict | None = None):
    machine = rt.api.call("CreateStateMachine", {"name": name, "roleArn": ROLE, "definition": json.dumps(
        {"StartAt": start, "States": states})})["stateMachineArn"]
    arn = rt.api.call("StartExecution", {"stateMachineArn": machine, "input": json.dumps(payload or {})})["executionArn"]
    return rt.run_until_complete(arn, timeout=120)


CRAWL = {
    "Crawl": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:startCrawler",
              "Parameters": {"Name": "sales"}, "ResultPath": None, "Next": "Poll"},
    "Poll": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:getCrawler", "Parameters": {"Name": "sales"},
             "ResultSelector": {"State.$": "$.Crawler.State"}, "ResultPath": "$.crawler", "Next": "Ready?"},
    "Ready?": {"Type": "Choice", "Choices": [{"Variable": "$.crawler.State", "StringEquals": "READY", "Next": "Query"}],
               "Default": "Pause"},
    "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Poll"},
    "Query": {"Type": "Task", "Resource": "arn:aws:states:::athena:startQueryExecution.sync",
              "Parameters": {"QueryString.$": "$.query", "QueryExecutionContext": {"Database": "klb_db"},
                             "ResultConfiguration": {"OutputLocation": RESULTS}},
              "ResultPath": "$.execution", "Next": "Results"},
    "Results": {"Type": "Task", "Resource": "arn:aws:states:::athena:getQueryResults",
                "Parameters": {"QueryExecutionId.$": "$.execution.QueryExecution.QueryExecutionId"},
                "ResultPath": "$.results", "End": True},
}


def _expected(config) -> list[list[str]]:
    files = str(lake_path(SALES, config.data_dir) / "**" / "*.csv")
    con = duckdb.connect()
    try:
        return [[k, str(n)] for k, n in con.execute(
            f"SELECT kodecab, count(*) FROM read_csv('{files}', header = true, all_varchar = true) "
            "GROUP BY 1 ORDER BY 1").fetchall()]
    finally:
        con.close()


def test_sync_query_over_the_crawled_table_and_its_results(lake):
    config, rt = lake
    record = _run(rt, "crawl-and-query", CRAWL, "Crawl", {"query": COUNTS})
    assert record.status == "SUCCEEDED", (record.error, record.cause)
    out = json.loads(record.output)
    execution = out["execution"]["QueryExecution"]
    assert execution["Status"]["State"] == "SUCCEEDED" and execution["StatementType"] == "DML"
    assert execution["QueryExecutionContext"]["Database"] == "klb_db"
    assert isinstance(execution["Status"]["SubmissionDateTime"], int)
    rows = [[d.get("VarCharValue") for d in r["Data"]] for r in out["results"]["ResultSet"]["Rows"]]
    expected = _expected(config)
    assert rows[0] == ["kodecab", "n"] and rows[1:] == expected and len(expected) > 1
    info = out["results"]["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"]) for c in info] == [("kodecab", "varchar"), ("n", "bigint")]
    # the result is also a CSV file at the output location
    location = execution["ResultConfiguration"]["OutputLocation"]
    assert location == f"{RESULTS}{execution['QueryExecutionId']}.csv"
    with lake_path(location, config.data_dir).open(newline="") as f:
        assert list(csv.reader(f)) == [["kodecab", "n"], *expected]


def test_ctas_registers_the_table_and_a_failing_query_fails_the_task(lake):
    config, rt = lake
    ctas = ("CREATE TABLE klb_db.branch_counts WITH (format = 'PARQUET', "
            "external_location = 's3://athena-bucket/curated/branch_counts/') AS " + COUNTS.replace(" ORDER BY kodecab", ""))
    last = {k: v for k, v in CRAWL["Query"].items() if k != "Next"}
    record = _run(rt, "crawl-and-ctas", {**CRAWL, "Query": {**last, "End": True}}, "Crawl", {"query": ctas})
    assert record.status == "SUCCEEDED", (record.error, record.cause)
    execution = json.loads(record.output)["execution"]["QueryExecution"]
    assert execution["StatementType"] == "DDL" and execution["SubstatementType"] == "CREATE_TABLE_AS_SELECT"
    table = Catalog(config.data_dir).get_table("klb_db", "branch_counts")
    assert table.classification == "parquet" and [c.name for c in table.columns] == ["kodecab", "n"]

    failing = {"Q": {"Type": "Task", "Resource": "arn:aws:states:::athena:startQueryExecution.sync",
                     "Parameters": {"QueryString": "SELECT * FROM no_such_table",
                                    "QueryExecutionContext": {"Database": "klb_db"}}, "End": True}}
    record = _run(rt, "bad-query", failing, "Q")
    assert (record.status, record.error) == ("FAILED", "States.TaskFailed")
    cause = json.loads(record.cause)["QueryExecution"]
    assert cause["Status"]["State"] == "FAILED" and "no_such_table" in cause["Status"]["StateChangeReason"]

    missing = {"G": {"Type": "Task", "Resource": "arn:aws:states:::athena:getQueryExecution",
                     "Parameters": {"QueryExecutionId": "00000000-0000-0000-0000-000000000000"}, "End": True}}
    record = _run(rt, "no-query", missing, "G")
    assert (record.status, record.error) == ("FAILED", "Athena.InvalidRequestException")
    assert "was not found" in record.cause


def test_client_request_token_makes_a_start_idempotent(lake):
    config, rt = lake
    athena = rt.service.integrations.athena.athena()
    first = athena.start_query_execution("SELECT 1 AS one", client_request_token="token-1")
    assert athena.start_query_execution("SELECT 1 AS one", client_request_token="token-1") == first
    assert athena.start_query_execution("SELECT 1 AS one", client_request_token="token-2") != first
    with pytest.raises(Exception, match="ClientRequestToken was already used by a different query"):
        athena.start_query_execution("SELECT 2 AS two", client_request_token="token-1")
    assert athena.wait(first, 60)["Status"]["State"] == "SUCCEEDED"
    rows = athena.get_query_results(first)["ResultSet"]["Rows"]
    assert [[d.get("VarCharValue") for d in r["Data"]] for r in rows] == [["one"], ["1"]]
