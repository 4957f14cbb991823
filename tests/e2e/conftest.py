"""A real stepline server on a free loopback port (uvicorn in a thread, tmp data directory) with
the seed handlers configured as local functions, and unmodified boto3 clients pointed at it."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import e2e_helpers
import pytest

from stepline.config import Config, load_config
from stepline.parameters import secret_suffix
from stepline.server.background import BackgroundServer

HANDLERS = Path(__file__).parent / "seed_handlers"
SECRET_NAME = "redshift-credentials"
SECRET_VALUE = json.dumps({"username": "awsuser", "password": "Sup3r-S3cret-Pa55"})
SECRET_ARN = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{SECRET_NAME}-{secret_suffix(SECRET_NAME)}"

CONFIG = f'''
[server]
region = "us-east-1"
account_id = "123456789012"

[functions.execute-sql]
handler = "execute_sql:lambda_handler"
path = "handlers"
timeout = 30

[functions.check-status]
handler = "check_status:lambda_handler"
path = "handlers"

[functions.redshift-query-executor]
handler = "redshift_query_executor:lambda_handler"
path = "handlers"
timeout = 300
memory_size = 256

[functions.echo]
handler = "local_handlers:echo"
path = "handlers"
environment = {{ GREETING = "hello" }}

[functions.boom]
handler = "local_handlers:boom"
path = "handlers"

[functions.read-parameter]
handler = "local_handlers:read_parameter"
path = "handlers"
timeout = 30

[functions.sleepy]
handler = "local_handlers:sleepy"
path = "handlers"
timeout = 1

[parameters.REDSHIFT_WORKGROUP]
value = "local-workgroup"

[parameters.SC_REDSHIFT_DATABASE]
value = "dev"

[parameters.SC_REDSHIFT_SECRET_ARN]
value = "{SECRET_ARN}"

[parameters."/app/db-password"]
env = "E2E_DB_PASSWORD"
type = "SecureString"

[parameters."/app/missing"]
env = "E2E_NOT_SET_ANYWHERE"

[secrets.{SECRET_NAME}]
env = "E2E_REDSHIFT_SECRET"
'''


@dataclass
class Running:
    url: str
    config: Config
    project: Path
    secret_name: str = SECRET_NAME
    secret_arn: str = SECRET_ARN
    secret_value: str = SECRET_VALUE

    def client(self, service: str, **kw):
        return e2e_helpers.client(self.url, service, **kw)


def write_project(root: Path, extra: str = "") -> Path:
    (root / "handlers").mkdir(parents=True, exist_ok=True)
    for f in HANDLERS.glob("*.py"):
        shutil.copy(f, root / "handlers" / f.name)
    (root / "stepline.toml").write_text(CONFIG + extra)
    return root / "stepline.toml"


@pytest.fixture
def serve_project(tmp_path, monkeypatch):
    """``serve_project(extra_toml="") -> Running``: the seed project plus ``extra_toml``, served
    until the test ends. (Test modules use fixtures and ``e2e_helpers``: a ``conftest`` import would
    clash with other directories' conftest modules in one session.)"""
    monkeypatch.setenv("E2E_REDSHIFT_SECRET", SECRET_VALUE)
    monkeypatch.setenv("E2E_DB_PASSWORD", "pw-from-env-123")
    servers: list[BackgroundServer] = []

    def serve(extra: str = "") -> Running:
        root = tmp_path / f"project{len(servers)}"
        path = write_project(root, extra)
        config = load_config(path, data_dir=str(root / "data"))
        servers.append(e2e_helpers.serve(config))
        return Running(servers[-1].url, config, root)

    yield serve
    for server in servers:
        server.stop()


@pytest.fixture
def stepline_server(serve_project) -> Running:
    return serve_project()


@pytest.fixture
def sfn(stepline_server):
    """A ``stepfunctions`` client of the seed project's server."""
    return stepline_server.client("stepfunctions")
