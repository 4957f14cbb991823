"""Options and helpers several command groups share: config, data directory, input, services."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from stepline.cli.render import UsageError
from stepline.config import Config, load_config


def add_config_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="stepline.toml (default: ./stepline.toml if present)")
    p.add_argument("--data-dir", metavar="DIR", help="data directory (default: .stepline next to the config)")


def add_json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")


def config_from(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None), data_dir=getattr(args, "data_dir", None))


def read_text(path: str) -> str:
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        raise UsageError(f"file not found: {path}") from None
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None


def read_input(value: str | None) -> str:
    """``--input`` as JSON text, or ``@file``; validated as JSON."""
    if value is None:
        return "{}"
    text = read_text(value[1:]) if value.startswith("@") else value
    try:
        json.loads(text)
    except ValueError as e:
        raise UsageError(f"--input is not valid JSON: {e}") from None
    return text


def statement_api(config: Config, clock: Any = None) -> Any:
    """The embedded Data API (``sql.dataapi.DataApi``) over the data directory's statement service."""
    from stepline.sql.dataapi import DataApi
    from stepline.warehouse import statement_service

    return DataApi(statement_service(config, clock))


class RemoteApi:
    """The same ``call(operation, request)`` against a running server, through botocore."""

    def __init__(self, service: str, endpoint_url: str, config: Config | None = None) -> None:
        import botocore.session
        from botocore.config import Config as BotoConfig

        session = botocore.session.get_session()
        region = config.server.region if config else "us-east-1"
        creds = session.get_credentials()
        key, secret = (creds.access_key, creds.secret_key) if creds else ("stepline", "stepline")
        self.client = session.create_client(service, endpoint_url=endpoint_url, region_name=region,
                                            aws_access_key_id=key, aws_secret_access_key=secret,
                                            config=BotoConfig(retries={"max_attempts": 1},
                                                              inject_host_prefix=False))  # no "sync-" host

    def call(self, operation: str, request: dict[str, Any], principal: Any = None) -> dict[str, Any]:
        from botocore import xform_name
        from botocore.exceptions import ClientError, EndpointConnectionError

        from stepline.errors import SteplineError

        try:
            response = getattr(self.client, xform_name(operation))(**request)
        except ClientError as e:
            error = e.response.get("Error", {})
            raise SteplineError(error.get("Message", str(e)), code=error.get("Code", "ClientError")) from None
        except EndpointConnectionError as e:
            raise UsageError(f"cannot reach the server: {e}") from None
        response.pop("ResponseMetadata", None)
        return response
