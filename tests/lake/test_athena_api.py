"""The Athena API with an unmodified boto3 client against a real server: a query over a table
the Glue crawler cataloged, paged results, and Athena's errors."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from lake_helpers import client, start_server, until

SALES = "s3://athena-api/raw/sales_consolidate/"


@pytest.fixture
def server(tmp_path):
    srv = start_server(tmp_path, f'[crawlers.sales]\ndatabase = "klb_db"\ns3_targets = ["{SALES}"]\n', SALES, 1500)
    yield srv
    srv.stop()


def test_query_a_crawled_table_with_boto3_athena(server):
    glue, athena = client(server, "glue"), client(server, "athena")
    glue.start_crawler(Name="sales")
    until(lambda: glue.get_crawler(Name="sales")["Crawler"]["State"], lambda s: s == "READY")

    query_id = athena.start_query_execution(
        QueryString="SELECT DISTINCT kodecab FROM sales_consolidate ORDER BY kodecab",
        QueryExecutionContext={"Database": "klb_db"},
        ResultConfiguration={"OutputLocation": "s3://athena-api/results/"})["QueryExecutionId"]
    execution = until(lambda: athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"],
                       lambda e: e["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"))
    assert execution["Status"]["State"] == "SUCCEEDED", execution
    assert execution["Status"]["CompletionDateTime"] >= execution["Status"]["SubmissionDateTime"]
    assert execution["ResultConfiguration"]["OutputLocation"] == f"s3://athena-api/results/{query_id}.csv"

    first = athena.get_query_results(QueryExecutionId=query_id, MaxResults=3)
    rows = [[d.get("VarCharValue") for d in r["Data"]] for r in first["ResultSet"]["Rows"]]
    assert rows[0] == ["kodecab"] and len(rows) == 3 and "NextToken" in first
    every = []
    token = None
    while True:
        page = athena.get_query_results(QueryExecutionId=query_id, **({"NextToken": token} if token else {}))
        every += [r["Data"][0]["VarCharValue"] for r in page["ResultSet"]["Rows"]]
        token = page.get("NextToken")
        if not token:
            break
    assert every[0] == "kodecab" and every[1:] == sorted(set(every[1:])) and len(every) > 2
    assert every[1:3] == [r[0] for r in rows[1:]]


def test_athena_errors(server):
    athena = client(server, "athena")
    with pytest.raises(ClientError) as e:
        athena.get_query_execution(QueryExecutionId="11111111-1111-1111-1111-111111111111")
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "QueryExecution 11111111-1111-1111-1111-111111111111 was not found" in e.value.response["Error"]["Message"]

    query_id = athena.start_query_execution(QueryString="SELECT * FROM nowhere")["QueryExecutionId"]
    execution = until(lambda: athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"],
                       lambda x: x["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"))
    assert execution["Status"]["State"] == "FAILED" and "nowhere" in execution["Status"]["StateChangeReason"]
    with pytest.raises(ClientError) as e:
        athena.get_query_results(QueryExecutionId=query_id)
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "Final query state: FAILED" in e.value.response["Error"]["Message"]
