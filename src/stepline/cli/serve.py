"""``stepline serve``: the AWS-compatible server (stepfunctions, redshift-data, lambda, ssm,
secretsmanager) at one root URL."""

from __future__ import annotations

import argparse
import dataclasses
import logging

from stepline.cli import render
from stepline.cli.common import add_config_options, config_from
from stepline.cli.render import UsageError
from stepline.server.sigv4 import is_loopback


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the AWS-compatible HTTP server",
                       description="Serve stepfunctions, redshift-data, lambda Invoke, ssm and secretsmanager "
                                   "at http://HOST:PORT for boto3 and the AWS CLI (--endpoint-url).")
    p.add_argument("--host", help="address to bind (default: server.host or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: server.port or 8787)")
    add_config_options(p)
    p.set_defaults(handler=run)


def check_binding(host: str, has_keys: bool) -> None:
    if not has_keys and not is_loopback(host):
        raise UsageError(
            f"refusing to bind {host}: without access keys stepline runs in development mode and accepts "
            "unsigned requests, so it only binds to loopback (127.0.0.1, ::1, localhost). Configure "
            "[[server.access_keys]] in stepline.toml to serve on other addresses.")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from stepline.server.app import create_app

    config = config_from(args)
    host = args.host or config.server.host
    port = config.server.port if args.port is None else args.port
    check_binding(host, bool(config.server.access_keys))
    from stepline.server.background import Server, listening_socket

    try:
        sock = listening_socket(host, port)
    except OSError as e:
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    port = sock.getsockname()[1]  # the real one when --port 0
    config = dataclasses.replace(config, server=dataclasses.replace(config.server, host=host, port=port))
    config.data_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(config)
    mode = "SigV4" if config.server.access_keys else "development mode (no signature checks)"
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    render.err.print(f"stepline serving on {url}  data: {config.data_dir}  auth: {mode}", markup=False)
    render.err.print(f"clients: --endpoint-url / endpoint_url={url}; for StartSyncExecution also "
                     "AWS_DISABLE_HOST_PREFIX_INJECTION=true", markup=False)
    Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    return render.OK
