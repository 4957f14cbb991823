"""The Glue API over HTTP with an unmodified boto3 client against a real server: crawlers and
job runs (the same ones workflow tasks see) and the catalog's read side."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from lake_helpers import client, crawler_and_job_toml, start_server, until

SALES = "s3://api-bucket/raw/sales_consolidate/"
TOML = crawler_and_job_toml("api-bucket")


@pytest.fixture
def server(tmp_path):
    srv = start_server(tmp_path, TOML, SALES, 2000)
    yield srv
    srv.stop()


def test_crawler_catalog_and_job_runs_through_boto3(server):
    glue = client(server, "glue")
    assert glue.get_crawler(Name="sales")["Crawler"]["State"] == "READY"
    glue.start_crawler(Name="sales")
    crawler = until(lambda: glue.get_crawler(Name="sales")["Crawler"], lambda c: c["State"] == "READY")
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler
    assert crawler["Targets"]["S3Targets"][0]["Path"] == SALES and crawler["TablePrefix"] == "raw_"

    assert [d["Name"] for d in glue.get_databases()["DatabaseList"]] == ["klb_db"]
    table = glue.get_table(DatabaseName="klb_db", Name="raw_sales_consolidate")["Table"]
    assert table["StorageDescriptor"]["Location"] == SALES
    assert table["Parameters"]["recordCount"] == "2000" and table["Parameters"]["classification"] == "csv"
    assert [k["Name"] for k in table["PartitionKeys"]] == ["tahun", "bulan"]
    assert "kodecab" in [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
    parts = glue.get_partitions(DatabaseName="klb_db", TableName="raw_sales_consolidate")["Partitions"]
    assert parts and all(p["StorageDescriptor"]["Location"].startswith(SALES) for p in parts)

    run_id = glue.start_job_run(JobName="branches", Arguments={"--note": "from boto3"})["JobRunId"]
    run = until(lambda: glue.get_job_run(JobName="branches", RunId=run_id)["JobRun"],
                 lambda r: r["JobRunState"] in ("SUCCEEDED", "FAILED"))
    assert run["JobRunState"] == "SUCCEEDED", run
    assert run["Arguments"] == {"--note": "from boto3"} and run["CompletedOn"] >= run["StartedOn"]
    assert [r["Id"] for r in glue.get_job_runs(JobName="branches")["JobRuns"]] == [run_id]
    assert glue.get_job(JobName="branches")["Job"]["DefaultArguments"]["--keys"] == "kodecab"

    data = client(server, "redshift-data")
    stmt = data.execute_statement(ClusterIdentifier="local", Database="dev", DbUser="awsuser",
                                  Sql="select count(*), count(distinct kodecab) from klb_rs.master_branch")
    until(lambda: data.describe_statement(Id=stmt["Id"])["Status"], lambda s: s in ("FINISHED", "FAILED"))
    (count, distinct), = [[next(iter(v.values())) for v in r]
                          for r in data.get_statement_result(Id=stmt["Id"])["Records"]]
    assert count == distinct and count > 1


def test_workflow_runs_are_visible_to_the_glue_api(server):
    sfn, glue = client(server, "stepfunctions"), client(server, "glue")
    definition = {"StartAt": "Start", "States": {"Start": {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun",
        "Parameters": {"JobName": "branches", "Arguments": {"--source": "klb_db.nope"}}, "End": True}}}
    machine = sfn.create_state_machine(name="start-job", definition=json.dumps(definition),
                                       roleArn="arn:aws:iam::123456789012:role/x")["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    ex = until(lambda: sfn.describe_execution(executionArn=arn), lambda d: d["status"] != "RUNNING")
    assert ex["status"] == "SUCCEEDED", ex
    run_id = json.loads(ex["output"])["JobRunId"]
    run = until(lambda: glue.get_job_run(JobName="branches", RunId=run_id)["JobRun"],
                 lambda r: r["JobRunState"] in ("SUCCEEDED", "FAILED"))
    assert run["JobRunState"] == "FAILED"
    assert "'klb_db.nope' is neither a catalog table nor a warehouse table" in run["ErrorMessage"]


def test_glue_errors_as_aws_names_them(server):
    glue = client(server, "glue")
    cases = [
        (lambda: glue.start_crawler(Name="nope"), "EntityNotFoundException", "Crawler with name nope does not exist"),
        (lambda: glue.get_crawler(Name="nope"), "EntityNotFoundException",
         "Crawler entry with name nope does not exist"),
        (lambda: glue.start_job_run(JobName="nope"), "EntityNotFoundException",
         "Failed to start job run due to missing metadata"),
        (lambda: glue.get_job_run(JobName="branches", RunId="jr_0"), "EntityNotFoundException",
         "Job Run Id jr_0 not found"),
        (lambda: glue.get_table(DatabaseName="klb_db", Name="t"), "EntityNotFoundException",
         "Database klb_db not found."),
        (lambda: glue.start_job_run(JobName="branches", Arguments={"--distinct": "maybe"}),
         "InvalidInputException", "--distinct must be true or false"),
    ]
    for call, code, message in cases:
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == code
        assert message in e.value.response["Error"]["Message"]
