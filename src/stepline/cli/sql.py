"""``stepline sql "..."``: run SQL through the statement service (the Data API's semantics) and
print the result as a table."""

from __future__ import annotations

import argparse
import time
from typing import Any

from stepline.cli import render
from stepline.cli.common import RemoteApi, add_config_options, add_json_option, config_from, statement_api


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sql", help="run SQL and print the result")
    p.add_argument("sql", metavar="SQL")
    p.add_argument("--database", help="database (default: the warehouse's)")
    p.add_argument("--db-user", help="database user (default: the warehouse superuser)")
    p.add_argument("--endpoint-url", help="talk to a running server instead of the data directory")
    add_config_options(p)
    add_json_option(p)
    p.set_defaults(handler=run)


def field_value(field: dict[str, Any]) -> Any:
    if field.get("isNull"):
        return None
    for key in ("stringValue", "longValue", "doubleValue", "booleanValue", "blobValue"):
        if key in field:
            return field[key]
    return None


def wait_finished(api: Any, statement_id: str) -> dict[str, Any]:
    while True:
        d = api.call("DescribeStatement", {"Id": statement_id})
        if d["Status"] in ("FINISHED", "FAILED", "ABORTED"):
            return d
        time.sleep(0.05)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    api = RemoteApi("redshift-data", args.endpoint_url, config) if args.endpoint_url else statement_api(config)
    try:
        request = {"Sql": args.sql, "Database": args.database or config.warehouse.database,
                   "ClusterIdentifier": (config.warehouse.clusters or ("local",))[0],
                   "DbUser": args.db_user or config.warehouse.superuser}
        statement_id = api.call("ExecuteStatement", request)["Id"]
        described = wait_finished(api, statement_id)
        if described["Status"] != "FINISHED":
            if args.json:
                render.print_json(described)
            else:
                render.err.print(f"[red]{described['Status']}[/red] {described.get('Error', '')}", markup=True)
            return render.FAILED
        if not described.get("HasResultSet"):
            if args.json:
                render.print_json(described)
            else:
                affected = described.get("ResultRows", -1)  # -1: no row count (DDL, SET, ...)
                render.out.print(f"{described['Status']}: {affected} row(s) affected" if affected >= 0
                                 else described["Status"])
            return render.OK
        columns: list[str] = []
        rows: list[list[Any]] = []
        token = None
        while True:
            page = api.call("GetStatementResult", {"Id": statement_id, **({"NextToken": token} if token else {})})
            columns = columns or [c["name"] for c in page["ColumnMetadata"]]
            rows += [[field_value(f) for f in record] for record in page["Records"]]
            token = page.get("NextToken")
            if not token:
                break
        if args.json:
            render.print_json({"Id": statement_id, "columns": columns, "rows": rows})
        else:
            render.table(None, columns, rows)
            render.out.print(f"{len(rows)} row(s)")
        return render.OK
    finally:
        service = getattr(api, "service", None)
        if service is not None and callable(getattr(service, "close", None)):
            service.close()
