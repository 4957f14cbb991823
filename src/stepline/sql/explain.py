"""EXPLAIN answers as Redshift's do: one ``QUERY PLAN`` varchar column, a row a line of the plan.
PostgreSQL answers so already; DuckDB gives (explain_key, explain_value) rows whose value is the
whole drawn plan, which is split into lines here."""

from __future__ import annotations

import pyarrow as pa

from stepline.sql.backends.base import Column

COLUMN = Column(name="QUERY PLAN", type_name="varchar", nullable=0)


def is_duckdb_plan(columns: list[Column]) -> bool:
    return [c.name for c in columns] == ["explain_key", "explain_value"]


def as_query_plan(table: pa.Table) -> tuple[list[Column], pa.Table]:
    lines: list[str] = []
    for text in table.column("explain_value").to_pylist():
        lines.extend(line.rstrip() for line in (text or "").splitlines() if line.strip())
    return [COLUMN], pa.table({COLUMN.name: pa.array(lines, pa.string())})
