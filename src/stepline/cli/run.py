"""``stepline run DEFINITION``: run a workflow embedded (no server needed), with a live view of
states entering and exiting. A definition with Lambda tasks gets an in-process server on a free
loopback port, so the handlers' boto3 clients reach the Data API, SSM and Secrets Manager."""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.markup import escape

from stepline import arns
from stepline.cli import render
from stepline.cli.common import add_config_options, add_json_option, config_from, read_input, read_text
from stepline.config import Config
from stepline.errors import SteplineError

ROLE = "arn:aws:iam::123456789012:role/stepline-local"
_LAMBDA = re.compile(r"arn:aws:(lambda:[^\"]*:function:|states:::lambda:invoke)")
_SQL = re.compile(r"redshiftdata|redshift-data")
POLL_SECONDS = 0.1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a workflow embedded and watch its states",
                       description="Run DEFINITION (JSON or YAML) to completion in this process; exit 1 "
                                   "unless the execution SUCCEEDED.")
    p.add_argument("definition", metavar="DEFINITION")
    p.add_argument("--input", metavar="JSON|@FILE", help="execution input (default {})")
    p.add_argument("--name", help="execution name (default: a generated id)")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="give up waiting after this long")
    add_config_options(p)
    add_json_option(p)
    p.set_defaults(handler=run)


def machine_name(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", Path(path).stem)[:80] or "workflow"


def _details(event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def show_event(event: dict[str, Any]) -> None:
    kind, details = event["type"], _details(event)
    if kind.endswith("StateEntered"):
        render.out.print(f"[cyan]→[/cyan] {escape(str(details.get('name')))} [dim]({kind[:-12]})[/dim]", markup=True)
    elif kind.endswith("StateExited"):
        render.out.print(f"[green]✓[/green] {escape(str(details.get('name')))}", markup=True)
    elif "Failed" in kind or "TimedOut" in kind or "Aborted" in kind:
        what = " ".join(str(details.get(k)) for k in ("error", "cause") if details.get(k))
        render.out.print(f"[red]✗ {kind}[/red] {escape(what)}", markup=True, soft_wrap=True)


def run(args: argparse.Namespace) -> int:
    from stepline.clock import SystemClock
    from stepline.functions import LocalFunctions
    from stepline.runtime import build_runtime

    config = config_from(args)
    definition = read_text(args.definition)
    payload = read_input(args.input)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    clock = SystemClock()
    dataapi = None
    if _SQL.search(definition):
        from stepline.cli.common import statement_api

        dataapi = statement_api(config, clock)
    functions = LocalFunctions(config) if config.functions else None
    runtime = build_runtime(config, clock=clock, store="sqlite", statements=dataapi, functions=functions)
    server = None
    try:
        if functions is not None and _LAMBDA.search(definition):
            from stepline.server.app import create_app
            from stepline.server.background import BackgroundServer

            server = BackgroundServer(create_app(config, runtime=runtime, statements=dataapi, functions=functions))
            functions.endpoint_url = server.url
            server.start()  # its lifespan starts the runtime
        else:
            runtime.start()
        return _execute(config, runtime.api, args, definition, payload)
    finally:
        if server is not None:
            server.stop()
        runtime.stop()
        if functions is not None:
            functions.close()
        service = getattr(dataapi, "service", None)
        if service is not None and callable(getattr(service, "close", None)):
            service.close()


def _execute(config: Config, api: Any, args: argparse.Namespace, definition: str, payload: str) -> int:
    name = machine_name(args.definition)
    try:
        machine = api.call("CreateStateMachine", {"name": name, "definition": definition, "roleArn": ROLE})
        arn = machine["stateMachineArn"]
    except SteplineError as e:
        if e.code != "StateMachineAlreadyExists":
            raise
        arn = arns.state_machine(name, config.server.region, config.server.account_id)
        api.call("UpdateStateMachine", {"stateMachineArn": arn, "definition": definition})
    request = {"stateMachineArn": arn, "input": payload}
    if args.name:
        request["name"] = args.name
    execution = api.call("StartExecution", request)["executionArn"]
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    if args.json:
        described = _wait(api, execution, deadline, lambda events: None)
    elif render.out.is_terminal:
        described = _watch_live(api, execution, deadline)
    else:
        render.out.print(f"[bold]{execution}[/bold]", markup=True)
        described = _wait(api, execution, deadline, lambda events: [show_event(e) for e in events])
    if described is None:
        render.err.print(f"still RUNNING after {args.timeout} s; it stays in {execution}")
        return render.FAILED
    status = described["status"]
    if args.json:
        render.print_json(described)
    elif status == "SUCCEEDED":
        render.out.print("[green]SUCCEEDED[/green]", markup=True)
        render.out.print_json(described.get("output") or "null")
    else:
        render.out.print(f"[red]{status}[/red] {escape(described.get('error', ''))}", markup=True)
        if described.get("cause"):
            render.out.print(described["cause"], markup=False, soft_wrap=True)
    return render.OK if status == "SUCCEEDED" else render.FAILED


def _new_events(api: Any, execution: str, seen: int) -> list[dict[str, Any]]:
    """History events after the first ``seen`` (the embedded service pages by offset)."""
    return api.service.history(execution, offset=seen)


def _wait(api: Any, execution: str, deadline: float | None,
          on_events: Callable[[list[dict[str, Any]]], Any]) -> dict[str, Any] | None:
    """Poll until the execution closes, handing each batch of new events to ``on_events``; the
    final DescribeExecution, or None when the deadline passed first."""
    seen = 0
    while True:
        described = api.call("DescribeExecution", {"executionArn": execution})
        events = _new_events(api, execution, seen)
        seen += len(events)
        if events:
            on_events(events)
        if described["status"] != "RUNNING":
            return described
        if deadline is not None and time.monotonic() > deadline:
            return None
        time.sleep(POLL_SECONDS)


def _watch_live(api: Any, execution: str, deadline: float | None) -> dict[str, Any] | None:
    """A table of states redrawn in place as they enter and exit (a terminal only)."""
    from rich.live import Live

    from stepline.cli.live import StateBoard

    render.out.print(f"[bold]{execution}[/bold]", markup=True)
    board = StateBoard()
    with Live(board.table(time.time()), console=render.out, auto_refresh=False, transient=False) as live:
        def redraw(events: list[dict[str, Any]]) -> None:
            board.add(events)
            live.update(board.table(time.time()), refresh=True)

        described = _wait(api, execution, deadline, redraw)
        live.update(board.table(time.time()), refresh=True)  # running durations up to now
    return described
