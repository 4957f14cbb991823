"""Glue task resources in workflows: a crawler started and polled with the SDK integration, then
a declarative load run as a Glue job with ``glue:startJobRun.sync``, on a real data directory,
the composed warehouse (DuckDB) and the real runtime."""

from __future__ import annotations

import json
import sqlite3
import time

import duckdb
import pytest

from stepline.clock import SystemClock
from stepline.config import parse_config
from stepline.errors import Invalid
from stepline.lake.catalog import Catalog
from stepline.lake.datagen import generate_sales
from stepline.lake.glue import Glue
from stepline.lake.paths import lake_path
from stepline.runtime import build_runtime
from stepline.warehouse import Warehouse

ROLE = "arn:aws:iam::123456789012:role/stepline"
SALES = "s3://glue-bucket/data/raw/sales_consolidate/"
CLUSTER = {"Database": "dev", "ClusterIdentifier": "local", "DbUser": "awsuser"}


def _config(tmp_path):
    return parse_config({
        "crawlers": {"sales-crawler": {"database": "klb_db", "s3_targets": [SALES]}},
        "jobs": {"load-master-branch": {"source": "klb_db.sales_consolidate", "target": "klb_rs.master_branch",
                                        "columns": ["kodecab", "namacab"], "keys": ["kodecab"]}},
    }, base_dir=tmp_path, data_dir=tmp_path / "data")


@pytest.fixture
def lake(tmp_path):
    config = _config(tmp_path)
    generate_sales(SALES, data_dir=config.data_dir, rows=3000)
    warehouse = Warehouse(config, SystemClock())
    api = warehouse.dataapi()
    rt = build_runtime(config, statements=api)
    rt.start()
    yield config, rt, api
    rt.stop()
    warehouse.close()


def _machine(rt, name: str, states: dict, start: str) -> str:
    definition = {"StartAt": start, "States": states}
    return rt.api.call("CreateStateMachine", {"name": name, "roleArn": ROLE,
                                             "definition": json.dumps(definition)})["stateMachineArn"]


def _run(rt, machine: str, payload: dict | None = None):
    arn = rt.api.call("StartExecution", {"stateMachineArn": machine,
                                         "input": json.dumps(payload or {})})["executionArn"]
    return rt.run_until_complete(arn, timeout=120)


def _sql(api, sql: str) -> list[list]:
    out = api.call("ExecuteStatement", {**CLUSTER, "Sql": sql})
    api.service.wait(out["Id"], timeout=60)
    d = api.call("DescribeStatement", {"Id": out["Id"]})
    assert d["Status"] == "FINISHED", d
    if not d.get("HasResultSet"):
        return []
    records = api.call("GetStatementResult", {"Id": out["Id"]})["Records"]
    return [[next(iter(v.values())) for v in r] for r in records]


CRAWL_THEN_LOAD = {
    "StartCrawler": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:startCrawler",
                     "Parameters": {"Name": "sales-crawler"}, "ResultPath": None, "Next": "Wait"},
    "Wait": {"Type": "Wait", "Seconds": 1, "Next": "GetCrawler"},
    "GetCrawler": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:getCrawler",
                   "Parameters": {"Name": "sales-crawler"}, "ResultPath": "$.crawler", "Next": "Ready?"},
    "Ready?": {"Type": "Choice", "Choices": [
        {"Variable": "$.crawler.Crawler.State", "StringEquals": "READY", "Next": "Crawled?"}], "Default": "Wait"},
    "Crawled?": {"Type": "Choice", "Choices": [
        {"Variable": "$.crawler.Crawler.LastCrawl.Status", "StringEquals": "SUCCEEDED", "Next": "Load"}],
        "Default": "CrawlFailed"},
    "CrawlFailed": {"Type": "Fail", "Error": "CrawlFailed"},
    "Load": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
             "Parameters": {"JobName": "load-master-branch", "Arguments.$": "$.arguments"}, "End": True},
}


def _expected_branches(config) -> list[tuple[str, str]]:
    files = str(lake_path(SALES, config.data_dir) / "**" / "*.csv")
    con = duckdb.connect()
    try:
        return con.execute(f"SELECT DISTINCT kodecab, namacab FROM read_csv('{files}', header = true, "
                           "all_varchar = true) ORDER BY kodecab").fetchall()
    finally:
        con.close()


def test_crawl_poll_and_sync_load_fill_the_catalog_and_the_target(lake):
    config, rt, api = lake
    machine = _machine(rt, "crawl-and-load", CRAWL_THEN_LOAD, "StartCrawler")
    record = _run(rt, machine, {"arguments": {"--job-bookmark-option": "job-bookmark-disable"}})
    assert record.status == "SUCCEEDED", (record.error, record.cause)

    run = json.loads(record.output)
    assert run["JobRunState"] == "SUCCEEDED" and run["JobName"] == "load-master-branch"
    assert run["Id"].startswith("jr_") and run["Arguments"] == {"--job-bookmark-option": "job-bookmark-disable"}
    assert isinstance(run["StartedOn"], int) and run["CompletedOn"] >= run["StartedOn"]

    table = Catalog(config.data_dir).get_table("klb_db", "sales_consolidate")
    assert table.location == SALES and table.parameters["recordCount"] == "3000"
    assert [c.name for c in table.partition_keys] == ["tahun", "bulan"]
    expected = _expected_branches(config)
    assert len(expected) > 1
    assert [tuple(r) for r in _sql(api, "select kodecab, namacab from klb_rs.master_branch order by kodecab")] \
        == expected
    # the crawler exposed the table in the warehouse, as Athena sees it
    assert _sql(api, 'select count(*) from "klb_db"."sales_consolidate"') == [[3000]]

    history = rt.api.call("GetExecutionHistory", {"executionArn": record.arn, "maxResults": 1000})["events"]
    polls = [e for e in history if e["type"] == "TaskSucceeded"
             and e["taskSucceededEventDetails"]["resourceType"] == "aws-sdk:glue"
             and "Crawler" in json.loads(e["taskSucceededEventDetails"]["output"])]
    assert polls and json.loads(polls[-1]["taskSucceededEventDetails"]["output"])["Crawler"]["State"] == "READY"
    assert "glue" in {e["taskSucceededEventDetails"]["resourceType"] for e in history if e["type"] == "TaskSucceeded"}

    # a second run merges again: same rows, no duplicates
    again = _run(rt, machine, {"arguments": {}})
    assert again.status == "SUCCEEDED", (again.error, again.cause)
    assert _sql(api, "select count(*) from klb_rs.master_branch") == [[len(expected)]]


def test_failed_sync_job_is_task_failed_with_the_job_run_as_cause(lake):
    config, rt, api = lake
    machine = _machine(rt, "crawl-and-bad-load", CRAWL_THEN_LOAD, "StartCrawler")
    record = _run(rt, machine, {"arguments": {"--columns": "kodecab,nope"}})
    assert record.status == "FAILED" and record.error == "States.TaskFailed"
    run = json.loads(record.cause)
    assert run["JobRunState"] == "FAILED" and "column 'nope' is not in the load source" in run["ErrorMessage"]
    assert run["JobName"] == "load-master-branch" and isinstance(run["CompletedOn"], int)
    assert _sql(api, "select count(*) from information_schema.tables where table_name = 'master_branch'") == [[0]]


def test_unknown_names_fail_with_glue_entity_not_found(lake):
    config, rt, api = lake
    crawler = _machine(rt, "no-crawler", {"S": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:startCrawler",
                                                "Parameters": {"Name": "nope"}, "End": True}}, "S")
    record = _run(rt, crawler)
    assert (record.status, record.error) == ("FAILED", "Glue.EntityNotFoundException")
    assert record.cause.startswith("Crawler with name nope does not exist (Service: Glue, Status Code: 400")

    job = _machine(rt, "no-job", {"S": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
                                        "Parameters": {"JobName": "nope"}, "End": True}}, "S")
    record = _run(rt, job)
    assert (record.status, record.error) == ("FAILED", "Glue.EntityNotFoundException")
    assert "Failed to start job run due to missing metadata" in record.cause


def test_starting_a_running_crawler_is_crawler_running_exception(lake):
    config, rt, api = lake
    glue = rt.service.integrations.glue.glue()
    # another writer holds the catalog: the crawl stays RUNNING until it lets go
    holder = sqlite3.connect(Catalog(config.data_dir).path, timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        glue.start_crawler("sales-crawler")
        machine = _machine(rt, "start-twice", {
            "S": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:startCrawler",
                  "Parameters": {"Name": "sales-crawler"}, "End": True,
                  "Catch": [{"ErrorEquals": ["Glue.CrawlerRunningException"], "Next": "Busy"}]},
            "Busy": {"Type": "Pass", "End": True}}, "S")
        record = _run(rt, machine)
        assert record.status == "SUCCEEDED"
        caught = json.loads(record.output)
        assert caught["Error"] == "Glue.CrawlerRunningException"
        assert "Crawler with name sales-crawler has already started" in caught["Cause"]
        assert glue.get_crawler("sales-crawler")["State"] == "RUNNING"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    deadline = time.monotonic() + 60
    while glue.get_crawler("sales-crawler")["State"] != "READY" and time.monotonic() < deadline:
        time.sleep(0.05)
    crawler = glue.get_crawler("sales-crawler")
    assert crawler["State"] == "READY" and crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler


def test_request_response_job_run_polled_with_get_job_run(lake):
    config, rt, api = lake
    from stepline.lake.crawler import crawl

    crawl(SALES, "klb_db", data_dir=config.data_dir)
    machine = _machine(rt, "start-and-poll", {
        "Start": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun",
                  "Parameters": {"JobName": "load-master-branch", "Arguments": {"--keys": "kodecab"}},
                  "Next": "Get"},
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:getJobRun",
                "Parameters": {"JobName": "load-master-branch", "RunId.$": "$.JobRunId"},
                "ResultSelector": {"JobRunId.$": "$.JobRun.Id", "State.$": "$.JobRun.JobRunState"}, "Next": "Done?"},
        "Done?": {"Type": "Choice", "Choices": [
            {"Variable": "$.State", "StringEquals": "SUCCEEDED", "Next": "Done"},
            {"Variable": "$.State", "StringEquals": "FAILED", "Next": "Failed"}], "Default": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Get"},
        "Failed": {"Type": "Fail", "Error": "JobFailed"},
        "Done": {"Type": "Succeed"}}, "Start")
    record = _run(rt, machine)
    assert record.status == "SUCCEEDED", (record.error, record.cause)
    run_id = json.loads(record.output)["JobRunId"]
    assert _sql(api, "select count(*) from klb_rs.master_branch") == [[len(_expected_branches(config))]]
    # the run is kept: another Glue over the same data directory still reports it
    again = Glue(config).get_job_run("load-master-branch", run_id)
    assert again["JobRunState"] == "SUCCEEDED" and again["Arguments"] == {"--keys": "kodecab"}
    with pytest.raises(Exception, match="Job Run Id jr_missing not found"):
        Glue(config).get_job_run("load-master-branch", "jr_missing")


def test_config_sections_for_crawlers_and_jobs(tmp_path):
    config = _config(tmp_path)
    assert config.crawlers["sales-crawler"].s3_targets == (SALES,)
    assert config.jobs["load-master-branch"].keys == ("kodecab",)
    with pytest.raises(Invalid, match=r"\[crawlers.c\] s3_targets must list s3:// paths"):
        parse_config({"crawlers": {"c": {"database": "d", "s3_targets": ["/tmp/x"]}}})
    with pytest.raises(Invalid, match=r"unknown key\(s\) in \[jobs.j\]: sorce"):
        parse_config({"jobs": {"j": {"sorce": "a.b", "target": "c.d"}}})


def test_a_task_re_run_after_a_restart_finds_its_job_run(lake):
    config, rt, api = lake
    from stepline.lake.crawler import crawl

    crawl(SALES, "klb_db", data_dir=config.data_dir)
    glue = rt.service.integrations.glue.glue()
    own = "jr_" + "a" * 64
    first = glue.start_job_run("load-master-branch", {"--keys": "kodecab"}, run_id=own)
    again = glue.start_job_run("load-master-branch", {"--keys": "kodecab"}, run_id=own)
    assert first == again == own
    deadline = time.monotonic() + 60
    while glue.get_job_run("load-master-branch", own)["JobRunState"] not in ("SUCCEEDED", "FAILED") \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r["Id"] for r in glue.get_job_runs("load-master-branch")] == [own]
    assert glue.start_job_run("load-master-branch", run_id=own) == own  # finished: still not run twice
    assert len(glue.get_job_runs("load-master-branch")) == 1
