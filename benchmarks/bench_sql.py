"""The statement service against the raw engines, side by side:

(a) per-statement overhead: ``select 1`` submitted, waited for (FINISHED) and its first page
    fetched, against the same query on a raw DuckDB cursor and on raw psycopg;
(c) per-statement cost of a one-row INSERT (a write: it commits with its exactly-once marker),
    against the same autocommitted INSERT on the raw engine;
(b) GetStatementResult throughput for a 1,000,000-row, 10-column result, paged through
    entirely, against the raw engine's ``fetchall()`` into Python objects.

Goals: overhead under 1 ms per statement in-process, paging within 1.5x of the raw fetch.
PostgreSQL runs when STEPLINE_TEST_PG_DSN (default postgresql://postgres@127.0.0.1:5432/test)
is reachable.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stepline.clock import SystemClock
from stepline.config import Config, WarehouseConfig
from stepline.sql.dataapi import DataApi
from stepline.sql.service import StatementService

PG_DSN = os.environ.get("STEPLINE_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
N_SMALL = 2000
ROWS = 1_000_000
WIDE = ("select n as c0, n * 2 as c1, n * 3 as c2, n + 0.5 as c3, n % 7 as c4, n % 11 as c5, "
        "n % 13 as c6, n * 5 as c7, n - 1 as c8, n % 2 as c9 from generate_series(1, {rows}) as g(n)")


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f}/s"


def _service(backend: str, data_dir: Path) -> tuple[StatementService, DataApi]:
    wh = WarehouseConfig() if backend == "duckdb" else WarehouseConfig(backend="postgres", dsn=PG_DSN)
    service = StatementService(Config(data_dir=data_dir, warehouses=(wh,)), SystemClock())
    return service, DataApi(service)


def _through_service(api: DataApi, service: StatementService, sql: str) -> int:
    sid = api.call("ExecuteStatement", {"Sql": sql, "ClusterIdentifier": "bench", "Database": "dev"})["Id"]
    service.wait(sid, 600)
    described = api.call("DescribeStatement", {"Id": sid})
    if described["Status"] != "FINISHED":
        raise RuntimeError(f"{sql!r}: {described['Status']} {described.get('Error', '')}")
    if not described["HasResultSet"]:
        return 0
    rows, token = 0, None
    while True:
        page = api.call("GetStatementResult", {"Id": sid, **({"NextToken": token} if token else {})})
        rows += len(page["Records"])
        token = page.get("NextToken")
        if not token:
            return rows


def _time(fn: Callable[[], Any], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return time.perf_counter() - t0


def _raw(backend: str, data_dir: Path) -> tuple[Callable[[str], list[Any]], Callable[[], None]]:
    if backend == "duckdb":
        import duckdb

        con = duckdb.connect(str(data_dir / "raw.duckdb"))
        cur = con.cursor()
        return (lambda sql: _rows(cur.execute(sql))), con.close
    import psycopg

    pg = psycopg.connect(PG_DSN, autocommit=True)
    return (lambda sql: _rows(pg.execute(sql))), pg.close


def _rows(cur: Any) -> list[Any]:
    return cur.fetchall() if cur.description else []


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_DSN, connect_timeout=3) as c:
            c.execute("select 1")
        return True
    except Exception:  # noqa: BLE001 - no server, no PostgreSQL figures
        return False


def run(backend: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        service, api = _service(backend, data_dir)
        raw, close = _raw(backend, data_dir)
        try:
            for _ in range(50):  # warm up both sides
                _through_service(api, service, "select 1")
                raw("select 1")
            t_service = _time(lambda: _through_service(api, service, "select 1"), N_SMALL)
            t_raw = _time(lambda: raw("select 1"), N_SMALL)
            per_service = t_service / N_SMALL * 1e3
            per_raw = t_raw / N_SMALL * 1e3
            print(f"[{backend}] (a) select 1, submit -> FINISHED -> first page")
            print(f"    service {per_service:8.3f} ms/statement   raw {per_raw:8.3f} ms   "
                  f"overhead {per_service - per_raw:8.3f} ms  (goal < 1 ms)")

            svc_table, raw_table = f"bench_ins_svc_{os.getpid()}", f"bench_ins_raw_{os.getpid()}"
            _through_service(api, service, f"create table {svc_table} (n int)")
            raw(f"create table {raw_table} (n int)")
            t_service = _time(lambda: _through_service(api, service, f"insert into {svc_table} values (1)"), N_SMALL)
            t_raw = _time(lambda: raw(f"insert into {raw_table} values (1)"), N_SMALL)
            _through_service(api, service, f"drop table {svc_table}")
            raw(f"drop table {raw_table}")
            per_service, per_raw = t_service / N_SMALL * 1e3, t_raw / N_SMALL * 1e3
            print(f"[{backend}] (c) one-row insert, submit -> FINISHED (with its commit marker)")
            print(f"    service {per_service:8.3f} ms/statement   raw {per_raw:8.3f} ms   "
                  f"overhead {per_service - per_raw:8.3f} ms  ratio {per_service / per_raw:5.2f}x")

            sql = WIDE.format(rows=ROWS)
            t0 = time.perf_counter()
            raw_rows = len(raw(sql))
            t_raw = time.perf_counter() - t0
            sid = api.call("ExecuteStatement", {"Sql": sql, "ClusterIdentifier": "bench"})["Id"]
            t0 = time.perf_counter()
            service.wait(sid, 600)
            t_exec = time.perf_counter() - t0
            t0 = time.perf_counter()
            rows, token, pages = 0, None, 0
            while True:
                page = api.call("GetStatementResult", {"Id": sid, **({"NextToken": token} if token else {})})
                rows += len(page["Records"])
                pages += 1
                token = page.get("NextToken")
                if not token:
                    break
            t_page = time.perf_counter() - t0
            assert rows == raw_rows == ROWS, (rows, raw_rows)
            print(f"[{backend}] (b) {ROWS:,} rows x 10 columns")
            print(f"    raw fetchall        {_rate(ROWS, t_raw)}  ({t_raw:6.2f} s)")
            print(f"    service paging      {_rate(ROWS, t_page)}  ({t_page:6.2f} s, {pages} pages)  "
                  f"ratio {t_page / t_raw:5.2f}x  (goal <= 1.5x)")
            print(f"    service run+store   {_rate(ROWS, t_exec)}  ({t_exec:6.2f} s, query + Arrow file)")
        finally:
            close()
            service.close()


def main() -> None:
    run("duckdb")
    if _pg_available():
        run("postgres")
    else:
        print(f"[postgres] skipped: {PG_DSN} is not reachable")


if __name__ == "__main__":
    main()
