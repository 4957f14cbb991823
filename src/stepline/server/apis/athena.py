"""``athena``: StartQueryExecution, GetQueryExecution, GetQueryResults, StopQueryExecution over
the warehouse (``stepline.lake.athena``), the same query executions the workflow tasks run.

botocore speaks Athena as REST-JSON (``POST /query-executions``, ``GET
/query-executions/{QueryExecutionId}[/results]``, ``POST .../stop``); older SDKs as AWS JSON 1.1
(``X-Amz-Target: AmazonAthena.<Operation>``). Both are served.
https://docs.aws.amazon.com/athena/latest/APIReference/API_Operations.html
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stepline.lake.athena import Athena, AthenaError
from stepline.server import awsjson, errors, validation
from stepline.server.awsjson import UnknownOperationException

TARGET = "AmazonAthena"
OPERATIONS = ("StartQueryExecution", "GetQueryExecution", "GetQueryResults", "StopQueryExecution")
MODEL = "athena"  # the botocore model requests are validated against
JSON_VERSION = "1.1"
_REST = (
    ("POST", re.compile(r"^/query-executions/?$"), "StartQueryExecution"),
    ("GET", re.compile(r"^/query-executions/(?P<QueryExecutionId>[^/]+)/results/?$"), "GetQueryResults"),
    ("POST", re.compile(r"^/query-executions/(?P<QueryExecutionId>[^/]+)/stop/?$"), "StopQueryExecution"),
    ("GET", re.compile(r"^/query-executions/(?P<QueryExecutionId>[^/]+)/?$"), "GetQueryExecution"),
)


class AthenaEdge:
    def __init__(self, athena: Athena) -> None:
        self.athena = athena

    @classmethod
    def from_services(cls, services: Any) -> AthenaEdge:
        """The Athena of the served runtime (API calls and workflow tasks see the same queries)."""
        tasks = getattr(getattr(getattr(services.runtime, "service", None), "integrations", None), "athena", None)
        if tasks is not None:
            return cls(tasks.athena())
        return cls(Athena(services.config, getattr(services.dataapi, "service", None)))

    def call(self, operation: str, request: dict[str, Any], principal: str | None = None) -> dict[str, Any]:
        if operation == "StartQueryExecution":
            context = request.get("QueryExecutionContext") or {}
            result = request.get("ResultConfiguration") or {}
            return {"QueryExecutionId": self.athena.start_query_execution(
                request.get("QueryString"), database=context.get("Database"),
                output_location=result.get("OutputLocation"), workgroup=request.get("WorkGroup"),
                client_request_token=request.get("ClientRequestToken"))}
        query_id = request.get("QueryExecutionId")
        if not isinstance(query_id, str) or not query_id:
            raise AthenaError("1 validation error detected: Value null at 'queryExecutionId' failed to satisfy "
                              "constraint: Member must not be null")
        if operation == "GetQueryExecution":
            return {"QueryExecution": self.athena.get_query_execution(query_id)}
        if operation == "GetQueryResults":
            max_results = request.get("MaxResults")
            if isinstance(max_results, str) and max_results.isdigit():
                max_results = int(max_results)
            return self.athena.get_query_results(query_id, next_token=request.get("NextToken"),
                                                 max_results=max_results)
        if operation == "StopQueryExecution":
            self.athena.stop_query_execution(query_id)
            return {}
        raise UnknownOperationException(f"AmazonAthena.{operation} is not supported by stepline")


def rest_route(edge: AthenaEdge, authenticate: Callable[[Request, bytes], Awaitable[str | None]],
               redact: Callable[[str], str] | None = None) -> Route:
    """The REST-JSON routes under ``/query-executions``."""

    async def endpoint(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            body = await request.body()
            principal = await authenticate(request, body)
            path = request.url.path
            match = next(((op, m) for method, pattern, op in _REST
                          if method == request.method and (m := pattern.match(path))), None)
            if match is None:
                raise UnknownOperationException(f"No Athena operation for {request.method} {path}")
            operation, m = match
            payload = {**awsjson.decode_body(body),
                       **validation.from_text(MODEL, operation, {**request.query_params, **m.groupdict()})}
            validation.validate(MODEL, operation, payload)
            result = await run_in_threadpool(edge.call, operation, payload, principal)
            return Response(awsjson.encode_body(result), 200, media_type="application/json",
                            headers={"x-amzn-RequestId": request_id})
        except Exception as e:  # noqa: BLE001 - every failure becomes an AWS error document
            err = errors.to_response(e, rest=True, redact=redact)
            return Response(awsjson.encode_body({"message": err.message, "Message": err.message}), err.status,
                            media_type="application/json",
                            headers={"x-amzn-ErrorType": err.code, "x-amzn-RequestId": request_id})

    return Route("/query-executions{rest:path}", endpoint, methods=["GET", "POST"])
