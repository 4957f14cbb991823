"""``stepline executions list|show|history``: executions in the data directory (or a running
server with ``--endpoint-url``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from stepline.cli import render
from stepline.cli.common import RemoteApi, add_config_options, add_json_option, config_from

STARTED_BY = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("executions", help="list and inspect executions")
    cmds = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, helptext in (("list", "executions of every state machine"), ("show", "one execution"),
                           ("history", "an execution's history events")):
        c = cmds.add_parser(name, help=helptext)
        if name != "list":
            c.add_argument("execution_arn", metavar="EXECUTION_ARN")
        else:
            c.add_argument("--status", choices=["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"])
        c.add_argument("--endpoint-url", help="talk to a running server instead of the data directory")
        add_config_options(c)
        add_json_option(c)
        c.set_defaults(handler=run)


def _pages(api: Any, operation: str, request: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = api.call(operation, request)
        items += page.get(key, [])
        if not page.get("nextToken"):
            return items
        request = {**request, "nextToken": page["nextToken"]}


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    runtime = None
    if args.endpoint_url:
        api: Any = RemoteApi("stepfunctions", args.endpoint_url, config)
    else:
        from stepline.runtime import build_runtime

        runtime = build_runtime(config)  # not started: reading never drives executions
        api = runtime.api
    try:
        return ACTIONS[args.action](api, args)
    finally:
        if runtime is not None:
            runtime.stop()


def _list(api: Any, args: argparse.Namespace) -> int:
    rows = []
    for machine in _pages(api, "ListStateMachines", {}, "stateMachines"):
        request = {"stateMachineArn": machine["stateMachineArn"]}
        if args.status:
            request["statusFilter"] = args.status
        rows += _pages(api, "ListExecutions", request, "executions")
    if args.json:
        render.print_json(rows)
    else:
        render.table("Executions", ["Name", "Status", "Started", "Stopped", "ARN"],
                     [(r["name"], r["status"], render.when(r.get("startDate")), render.when(r.get("stopDate")),
                       r["executionArn"]) for r in rows])
    return render.OK


def _show(api: Any, args: argparse.Namespace) -> int:
    d = api.call("DescribeExecution", {"executionArn": args.execution_arn})
    if args.json:
        render.print_json(d)
        return render.OK
    rows = [("Status", d["status"]), ("Started", render.when(d.get("startDate"))),
            ("Stopped", render.when(d.get("stopDate"))), ("Input", d.get("input")), ("Output", d.get("output")),
            ("Error", d.get("error")), ("Cause", d.get("cause")), ("ARN", d["executionArn"])]
    if d.get("stateMachineVersionArn"):
        rows.append(("Version", d["stateMachineVersionArn"]))
    parent = started_by(d.get("input"))
    if parent:
        rows.append(("Started by", parent))
    render.table(d["name"], ["Field", "Value"], rows)
    return render.OK


def started_by(input_text: str | None) -> str | None:
    """The parent execution a nested execution names in its input, as the AWS console reads it."""
    try:
        value = json.loads(input_text or "null")
    except ValueError:
        return None
    parent = value.get(STARTED_BY) if isinstance(value, dict) else None
    return parent if isinstance(parent, str) else None


def _history(api: Any, args: argparse.Namespace) -> int:
    events = _pages(api, "GetExecutionHistory", {"executionArn": args.execution_arn, "maxResults": 1000}, "events")
    if args.json:
        render.print_json(events)
        return render.OK
    rows = []
    for e in events:
        details = next((v for k, v in e.items() if k.endswith("EventDetails") and isinstance(v, dict)), {})
        summary = details.get("name") or details.get("error") or ""
        extra = {k: v for k, v in details.items() if k in ("output", "input", "cause", "resource")}
        rows.append((e["id"], render.when(e.get("timestamp")), e["type"], summary,
                     json.dumps(extra)[:200] if extra else ""))
    render.table(args.execution_arn, ["Id", "Time", "Type", "State/Error", "Details"], rows)
    return render.OK


ACTIONS = {"list": _list, "show": _show, "history": _history}
