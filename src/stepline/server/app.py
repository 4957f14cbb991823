"""The HTTP edge: one Starlette app serving the AWS JSON services at ``POST /`` (dispatch on
``X-Amz-Target``), Lambda Invoke on its REST route, and ``GET /health``.

Example::

    app = create_app(load_config("stepline.toml"))
    uvicorn.run(app, host="127.0.0.1", port=8787)
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stepline.config import Config
from stepline.functions import LocalFunctions
from stepline.parameters import Parameters
from stepline.server import awsjson, errors, validation
from stepline.server.apis import athena, glue, lambda_, redshift_data, secretsmanager, ssm, stepfunctions
from stepline.server.sigv4 import Verifier

log = logging.getLogger("stepline.server")
THREADS = 256


@dataclass
class Services:
    """What the app serves; ``owned`` are the parts it built and therefore starts and stops."""

    config: Config
    runtime: Any
    dataapi: Any
    functions: Any
    parameters: Parameters
    owned: list[str] = field(default_factory=list)


def build_services(config: Config, *, runtime: Any = None, statements: Any = None, functions: Any = None,
                   endpoint_url: str | None = None) -> Services:
    owned: list[str] = []
    if statements is None:
        from stepline.warehouse import statement_service

        statements = statement_service(config, runtime.clock if runtime is not None else _clock())
        owned.append("statements")
    dataapi = statements if statements is None or hasattr(statements, "call") else _wrap(statements)
    if functions is None:
        functions = LocalFunctions(config, endpoint_url=endpoint_url)
        owned.append("functions")
    if runtime is None:
        from stepline.runtime import build_runtime

        runtime = build_runtime(config, statements=dataapi, functions=functions)
        owned.append("runtime")
    return Services(config, runtime, dataapi, functions, Parameters(config), owned)


def _clock() -> Any:
    from stepline.clock import SystemClock

    return SystemClock()


def _wrap(statements: Any) -> Any:
    from stepline.sql.dataapi import DataApi

    return DataApi(statements)


def create_app(config: Config, *, runtime: Any = None, statements: Any = None, functions: Any = None,
               endpoint_url: str | None = None) -> Starlette:
    services = build_services(config, runtime=runtime, statements=statements, functions=functions,
                              endpoint_url=endpoint_url)
    verifier = Verifier(config)
    redact = services.parameters.redact
    targets: dict[str, tuple[str, str, Any]] = {  # X-Amz-Target prefix -> (JSON version, model, edge)
        stepfunctions.TARGET: (stepfunctions.JSON_VERSION, stepfunctions.MODEL,
                               stepfunctions.StepFunctionsEdge(services.runtime)),
        redshift_data.TARGET: (redshift_data.JSON_VERSION, redshift_data.MODEL, redshift_data.RedshiftDataEdge(
            services.dataapi, (config.warehouse.clusters or ("local",))[0])),
        ssm.TARGET: (ssm.JSON_VERSION, ssm.MODEL, ssm.SsmEdge(services.parameters)),
        secretsmanager.TARGET: (secretsmanager.JSON_VERSION, secretsmanager.MODEL,
                                secretsmanager.SecretsManagerEdge(services.parameters)),
        glue.TARGET: (glue.JSON_VERSION, glue.MODEL, glue.GlueEdge.from_services(services)),
        athena.TARGET: (athena.JSON_VERSION, athena.MODEL, athena.AthenaEdge.from_services(services)),
    }
    lambda_edge = lambda_.LambdaEdge(services.functions, redact)

    async def authenticate(request: Request, body: bytes) -> str | None:
        return verifier.verify(request.method, request.scope.get("raw_path", b"").decode("latin-1")
                               or request.url.path, request.url.query, request.headers.items(), body)

    async def aws_json(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        version = "1.0"
        try:
            body = await request.body()
            target = awsjson.parse_target(request.headers.get("x-amz-target"))
            if target.service not in targets:
                raise awsjson.UnknownOperationException(f"Unknown service target: {target.service}")
            version, model, edge = targets[target.service]
            principal = await authenticate(request, body)
            payload = awsjson.decode_body(body)
            if hasattr(edge, "prepare"):  # a service's own rewriting comes before the model's checks
                payload = edge.prepare(payload)
            validation.validate(model, target.operation, payload)
            result = await run_in_threadpool(edge.call, target.operation, payload, principal)
            return Response(awsjson.encode_body(result), 200, media_type=awsjson.content_type(version),
                            headers={"x-amzn-RequestId": request_id})
        except Exception as e:  # noqa: BLE001 - every failure becomes an AWS error document
            err = errors.to_response(e, redact=redact)
            return Response(awsjson.encode_body({"__type": err.code, "message": err.message}), err.status,
                            media_type=awsjson.content_type(version), headers={"x-amzn-RequestId": request_id})

    async def lambda_invoke(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            body = await request.body()
            await authenticate(request, body)
            response = await run_in_threadpool(
                lambda_edge.invoke, request.path_params["name"], body,
                request.headers.get("x-amz-invocation-type"), request.headers.get("x-amz-log-type"),
                request.query_params.get("Qualifier"), request.headers.get("x-amz-client-context"))
            return Response(response.body, response.status, headers={**response.headers,
                                                                      "x-amzn-RequestId": request_id})
        except Exception as e:  # noqa: BLE001 - every failure becomes an AWS error document
            err = errors.to_response(e, rest=True, redact=redact)
            return Response(awsjson.encode_body({"Type": "User", "message": err.message}), err.status,
                            media_type="application/json",
                            headers={"x-amzn-ErrorType": err.code, "x-amzn-RequestId": request_id})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "services": ["stepfunctions", "redshift-data", "lambda", "ssm",
                                                          "secretsmanager", "glue", "athena"],
                             "functions": services.functions.names() if services.functions else [],
                             "authentication": "sigv4" if verifier.enabled else "development"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Service calls run in worker threads, and a Lambda handler calls back into this server while
        # its Invoke holds a thread: a roomy pool keeps nested calls from starving each other.
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        await run_in_threadpool(_start, services)
        try:
            yield
        finally:
            await run_in_threadpool(_stop, services)

    app = Starlette(routes=[
        Route("/", aws_json, methods=["POST"]),
        Route("/2015-03-31/functions/{name:path}/invocations", lambda_invoke, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        athena.rest_route(targets[athena.TARGET][2], authenticate, redact),
    ], lifespan=lifespan, exception_handlers={HTTPException: unrouted})
    app.state.services = services
    app.state.release_waiters = lambda: _release_waiters(services)
    return app


async def unrouted(request: Request, exc: Exception) -> Response:
    """A path or method no route serves: an AWS error document, as for an unknown target."""
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    message = f"No operation for {request.method} {request.url.path}"
    return JSONResponse({"__type": "UnknownOperationException", "message": message}, status,
                        headers={"x-amzn-ErrorType": "UnknownOperationException",
                                 "x-amzn-RequestId": str(uuid.uuid4())})


def _release_waiters(services: Services) -> None:
    """Answer open long polls (GetActivityTask) now: the server waits for open requests before it
    shuts down, and a poll would hold it for up to a minute."""
    engine = getattr(getattr(services.runtime, "service", None), "engine", None)
    activities = getattr(getattr(engine, "integrations", None), "activities", None)
    if activities is not None:
        activities.close()


def _start(services: Services) -> None:
    start = getattr(services.dataapi, "start", None) or getattr(getattr(services.dataapi, "service", None),
                                                                "start", None)
    if "statements" in services.owned and callable(start):
        start()
    if not getattr(services.runtime, "started", False):
        services.runtime.start()


def _stop(services: Services) -> None:
    if "runtime" in services.owned:
        services.runtime.stop()
    if "functions" in services.owned:
        services.functions.close()
    if "statements" in services.owned:
        service = getattr(services.dataapi, "service", services.dataapi)
        for name in ("close", "stop"):
            fn = getattr(service, name, None)
            if callable(fn):
                fn()
                break
