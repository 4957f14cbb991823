"""StartSyncExecution's "sync-" host prefix against a local endpoint, with the installed botocore:
what fails without a setting, and each documented way to turn the prefix off (Config,
environment variable, shared config file, AWS CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import EndpointConnectionError
from e2e_helpers import ROLE

EXPRESS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"got.$": "$.q"}, "End": True}}}


@pytest.fixture
def express(stepline_server, monkeypatch):
    for name in ("AWS_DISABLE_HOST_PREFIX_INJECTION", "AWS_CONFIG_FILE", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)  # no setting from the machine's ~/.aws/config
    sfn = stepline_server.client("stepfunctions")
    arn = sfn.create_state_machine(name="express-sync", type="EXPRESS", definition=json.dumps(EXPRESS),
                                   roleArn=ROLE)["stateMachineArn"]
    return stepline_server, arn


def _client(url: str, **config):
    return boto3.session.Session().client(
        "stepfunctions", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
        aws_secret_access_key="y", config=BotoConfig(retries={"max_attempts": 1}, connect_timeout=5, **config))


def test_without_a_setting_botocore_goes_to_the_sync_host(express):
    server, arn = express
    with pytest.raises(EndpointConnectionError) as e:
        _client(server.url).start_sync_execution(stateMachineArn=arn, input='{"q": 1}')
    assert "sync-127.0.0.1" in str(e.value)


def test_config_inject_host_prefix_false(express):
    server, arn = express
    r = _client(server.url, inject_host_prefix=False).start_sync_execution(stateMachineArn=arn, input='{"q": 1}')
    assert r["status"] == "SUCCEEDED" and json.loads(r["output"]) == {"got": 1}


def test_environment_variable(express, monkeypatch):
    server, arn = express
    monkeypatch.setenv("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
    r = _client(server.url).start_sync_execution(stateMachineArn=arn, input='{"q": 2}')
    assert r["status"] == "SUCCEEDED" and json.loads(r["output"]) == {"got": 2}


def test_shared_config_file_setting(express, monkeypatch, tmp_path):
    server, arn = express
    config = tmp_path / "aws-config"
    config.write_text("[default]\ndisable_host_prefix_injection = true\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    r = _client(server.url).start_sync_execution(stateMachineArn=arn, input='{"q": 3}')
    assert r["status"] == "SUCCEEDED" and json.loads(r["output"]) == {"got": 3}


def test_aws_cli_with_the_environment_variable(express):
    server, arn = express
    aws = Path(sys.executable).parent / "aws"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_DISABLE_HOST_PREFIX_INJECTION": "true"}
    proc = subprocess.run([str(aws), "--endpoint-url", server.url, "stepfunctions", "start-sync-execution",
                           "--state-machine-arn", arn, "--input", '{"q": 4}'],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "SUCCEEDED" and json.loads(out["output"]) == {"got": 4}
