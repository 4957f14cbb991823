"""A real statement service per test, on DuckDB (in tmp_path) and on PostgreSQL (an isolated
schema of the ``test`` database set as the connection's search_path)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from stepline.clock import VirtualClock
from stepline.config import Config, WarehouseConfig, WlmQueue
from stepline.sql.dataapi import DataApi
from stepline.sql.service import StatementService

BACKENDS = ["duckdb", "postgres"]


def make_config(backend: str, tmp_path: Path, request: pytest.FixtureRequest, **extra: Any) -> Config:
    if backend == "postgres":
        wh = request.getfixturevalue("pg_warehouse")
    else:
        wh = WarehouseConfig()
    wh_extra = {k: extra.pop(k) for k in list(extra) if k in ("max_active_statements", "max_sessions")}
    if wh_extra:
        wh = dataclasses.replace(wh, **wh_extra)
    queues = extra.pop("wlm_queues", (WlmQueue(name="default", slots=4),))
    return Config(data_dir=tmp_path / "data", warehouses=(wh,), wlm_queues=queues, **extra)


class Harness:
    """The service, its Data API, and helpers that wait without sleeping."""

    def __init__(self, config: Config, clock: VirtualClock, extensions: dict[str, Any] | None = None) -> None:
        self.config = config
        self.clock = clock
        self.extensions = extensions
        self.service = StatementService(config, clock, extensions=extensions)
        self.api = DataApi(self.service)

    def submit(self, sql: str, **kw: Any) -> str:
        return self.api.call("ExecuteStatement", {"Sql": sql, "ClusterIdentifier": "any-cluster",
                                                  "Database": "dev", **kw})["Id"]

    def run(self, sql: str, **kw: Any) -> dict[str, Any]:
        sid = self.submit(sql, **kw)
        return self.finish(sid)

    def finish(self, sid: str) -> dict[str, Any]:
        self.service.wait(sid, 60)
        return self.api.call("DescribeStatement", {"Id": sid})

    def ok(self, sql: str, **kw: Any) -> dict[str, Any]:
        d = self.run(sql, **kw)
        assert d["Status"] == "FINISHED", d.get("Error")
        return d

    def rows(self, sql: str, **kw: Any) -> list[list[Any]]:
        d = self.ok(sql, **kw)
        out, token = [], None
        while True:
            page = self.api.call("GetStatementResult", {"Id": d["Id"], **({"NextToken": token} if token else {})})
            out += [[_value(f) for f in rec] for rec in page["Records"]]
            token = page.get("NextToken")
            if not token:
                return out

    def reopen(self) -> None:
        self.service.close()
        self.service = StatementService(self.config, self.clock, extensions=self.extensions)
        self.api = DataApi(self.service)


def _value(field: dict[str, Any]) -> Any:
    (kind, v), = field.items()
    return None if kind == "isNull" else v


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make(backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    made: list[Harness] = []

    def build(extensions: dict[str, Any] | None = None, **extra: Any) -> Harness:
        h = Harness(make_config(backend, tmp_path, request, **extra), VirtualClock(), extensions)
        made.append(h)
        return h

    yield build
    for h in made:
        h.service.close()


@pytest.fixture
def h(make) -> Harness:
    return make()
