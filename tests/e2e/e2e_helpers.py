"""What the boto3 tests share: clients for a served URL, serving a config (again, for restarts),
and waiting for executions and Data API statements by polling the real server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from stepline.config import Config
from stepline.server.app import create_app
from stepline.server.background import BackgroundServer

ROLE = "arn:aws:iam::123456789012:role/stepline"


def client(url: str, service: str = "stepfunctions", *, key: str = "x", secret: str = "y", **kw: Any) -> Any:
    """An unmodified boto3 client for ``url``: no retries, so each call is one request."""
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=BotoConfig(retries={"max_attempts": 1}, read_timeout=120),
                        **kw)


def serve(config: Config) -> BackgroundServer:
    """A started server for ``config`` on a free loopback port; local functions call back to it."""
    app = create_app(config)
    server = BackgroundServer(app)
    app.state.services.functions.endpoint_url = server.url
    server.start()
    return server


@contextmanager
def served(config: Config) -> Iterator[Any]:
    """A ``stepfunctions`` client of a server for ``config``, stopped on leaving the block: serving the
    same data directory twice in a row is a restart."""
    server = serve(config)
    try:
        yield client(server.url)
    finally:
        server.stop()


def wait_done(sfn: Any, arn: str, limit: float = 60) -> dict:
    """The execution's description once it is no longer RUNNING (or when ``limit`` seconds have passed)."""
    deadline = time.monotonic() + limit
    while True:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING" or time.monotonic() > deadline:
            return d
        time.sleep(0.05)


def wait_until(check: Callable[[], Any], limit: float = 30) -> Any:
    """The first truthy value of ``check()``; fails the test when none comes within ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition never held")


def error_of(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str]:
    """(code, message) of the ClientError ``call(**kwargs)`` must raise."""
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def finish_statement(rsd: Any, statement_id: str, limit: float = 60) -> dict:
    """DescribeStatement once the Data API statement has ended (or when ``limit`` seconds have passed)."""
    deadline = time.monotonic() + limit
    while True:
        d = rsd.describe_statement(Id=statement_id)
        if d["Status"] in ("FINISHED", "FAILED", "ABORTED") or time.monotonic() > deadline:
            return d
        time.sleep(0.05)
