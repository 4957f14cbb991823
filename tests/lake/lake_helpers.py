"""What the lake tests share: a statement service driven through the Data API, a real server for a
stepline.toml with generated sales data, boto3 clients for it, polling, and the lake's CLI."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from stepline.config import load_config
from stepline.lake import cli
from stepline.lake.datagen import generate_sales
from stepline.server.app import create_app
from stepline.server.background import BackgroundServer
from stepline.sql.dataapi import DataApi
from stepline.sql.service import StatementService

ROLE = "arn:aws:iam::123456789012:role/myspectrum_role"  # the IAM role COPY, UNLOAD and Spectrum name


def crawler_and_job_toml(bucket: str) -> str:
    """A crawler ``sales`` over ``s3://<bucket>/raw/sales_consolidate/`` (tables prefixed ``raw_``) and
    a job ``branches`` loading its distinct branches into ``klb_rs.master_branch``."""
    return f'''
[crawlers.sales]
database = "klb_db"
s3_targets = ["s3://{bucket}/raw/sales_consolidate/"]
table_prefix = "raw_"

[jobs.branches]
source = "klb_db.raw_sales_consolidate"
target = "klb_rs.master_branch"
columns = ["kodecab", "namacab"]
keys = ["kodecab"]
'''


class DataApiClient:
    """A statement service through its Data API, one statement at a time, waiting for each."""

    def __init__(self, service: StatementService) -> None:
        self.service = service
        self.api = DataApi(service)

    def run(self, sql: str) -> dict[str, Any]:
        sid = self.api.call("ExecuteStatement", {"Sql": sql, "ClusterIdentifier": "c", "Database": "dev"})["Id"]
        self.service.wait(sid, 120)
        return self.api.call("DescribeStatement", {"Id": sid})

    def ok(self, sql: str) -> dict[str, Any]:
        d = self.run(sql)
        assert d["Status"] == "FINISHED", d.get("Error")
        return d

    def failed(self, sql: str) -> str:
        d = self.run(sql)
        assert d["Status"] == "FAILED", d
        return d["Error"]

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """The result as one dict per row, column name to value (None for SQL NULL)."""
        d = self.ok(sql)
        res = self.api.call("GetStatementResult", {"Id": d["Id"]})
        names = [c["name"] for c in res["ColumnMetadata"]]
        return [{n: None if v.get("isNull") else next(iter(v.values())) for n, v in zip(names, rec, strict=True)}
                for rec in res["Records"]]

    def value(self, sql: str) -> Any:
        """The one value of a one-row, one-column result."""
        (row,) = self.rows(sql)
        (v,) = row.values()
        return v

    def close(self) -> None:
        self.service.close()


def start_server(root: Path, toml: str, sales: str, rows: int) -> BackgroundServer:
    """A started server for ``toml`` (written to ``root/stepline.toml``, data in ``root/data``) after
    ``rows`` generated sales rows were written under ``sales``."""
    (root / "stepline.toml").write_text(toml)
    config = load_config(root / "stepline.toml", data_dir=str(root / "data"))
    generate_sales(sales, data_dir=config.data_dir, rows=rows)
    server = BackgroundServer(create_app(config))
    server.start()
    return server


def client(server: BackgroundServer, service: str) -> Any:
    """An unmodified boto3 client for the server, without retries."""
    return boto3.client(service, endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="y", config=BotoConfig(retries={"max_attempts": 1}))


def until(fn: Callable[[], Any], done: Callable[[Any], bool], limit: float = 60) -> Any:
    """``fn()`` again until ``done`` holds for its value (or ``limit`` seconds have passed); the last value."""
    deadline = time.monotonic() + limit
    value = fn()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = fn()
    return value


def run_cli(argv: list[str], capsys: Any) -> tuple[int, str]:
    """The lake's ``stepline`` subcommands in-process: (exit code, what they printed)."""
    p = argparse.ArgumentParser()
    cli.register(p.add_subparsers())
    args = p.parse_args(argv)
    code = args.handler(args)
    return code, capsys.readouterr().out
