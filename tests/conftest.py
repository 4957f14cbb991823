"""Shared fixtures. Server-backed tests use the real PostgreSQL/MariaDB of the machine; in CI
(STEPLINE_REQUIRE_SERVERS=1) an unreachable server is a failure, never a silent skip."""

from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples, so a red run is reproducible;
# local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

PG_DSN = os.environ.get("STEPLINE_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_SERVERS = os.environ.get("STEPLINE_REQUIRE_SERVERS") == "1"


def _unavailable(what: str, err: Exception) -> None:
    msg = f"{what} is not reachable: {err}"
    if REQUIRE_SERVERS:
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def pg_server_dsn() -> str:
    """DSN of the real PostgreSQL server (database ``test``)."""
    import psycopg

    try:
        with psycopg.connect(PG_DSN, connect_timeout=5) as conn:
            conn.execute("select 1")
    except Exception as e:  # noqa: BLE001 - any connection failure means "not reachable"
        _unavailable("PostgreSQL at 127.0.0.1:5432", e)
    return PG_DSN


@pytest.fixture
def pg_schema(pg_server_dsn: str):
    """A fresh schema in the test database, dropped afterwards; yields (dsn, schema)."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
        conn.execute(f'create schema "{schema}"')
    yield pg_server_dsn, schema
    with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
        conn.execute(f'drop schema if exists "{schema}" cascade')


@pytest.fixture
def pg_warehouse(pg_schema):
    """A PostgreSQL ``WarehouseConfig`` whose connections work in ``pg_schema`` (their search_path)."""
    from stepline.config import WarehouseConfig

    dsn, schema = pg_schema
    return WarehouseConfig(backend="postgres", dsn=f"{dsn}?options=-csearch_path%3D{schema}")
