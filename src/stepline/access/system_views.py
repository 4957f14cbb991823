"""Which rows of the system views a regular user sees: as in Redshift, its own (its queries, its
load errors, its Spectrum scans) and the relations it may select from; superusers see all rows.
https://docs.aws.amazon.com/redshift/latest/dg/cm_chap_system-tables.html#c_visibility-of-data

Each view names how a row points at a user (``VISIBILITY``); a system view missing from it is
refused to regular users (fail closed), so a new view must say whose rows it holds.

- DuckDB: the enforcer reads a system view through ``(SELECT * FROM view WHERE <rule> LIMIT n)``
  with the user's name as a literal (``duckdb_filter``); the LIMIT keeps the user's own
  predicates from running on rows the rule hides.
- PostgreSQL: restricted users run under ``SET ROLE`` and have no right on ``stepline_sys``'s
  views; they read ``security_barrier`` views over them (``postgres_ddl``) that filter on
  ``current_user``, which PostgreSQL evaluates as the reading role even inside a view.
"""

from __future__ import annotations

from sqlglot import exp

from stepline.access.catalog import AccessCatalog
from stepline.access.identity import quote_literal
from stepline.sql.catalog import SCHEMA

_HISTORY = f"{SCHEMA}.query_history"

#: view -> ("user", name column) | ("query", query id column, of query_history)
#:       | ("relation", schema column, table column[, column column])
VISIBILITY: dict[str, tuple[str, ...]] = {
    "stl_query": ("user", "user_name"),
    "svl_qlog": ("query", "query"),
    "sys_query_history": ("query", "query_id"),
    "stl_wlm_query": ("query", "query"),
    "stv_inflight": ("query", "query"),
    "stl_load_errors": ("user", "user_name"),
    "svl_s3query_summary": ("query", "query"),
    "svv_table_info": ("relation", "schema_name", "table_name"),
    "svv_diskusage": ("relation", "schemaname", "tablename"),
    "pg_table_def": ("relation", "schemaname", "tablename", "column"),
}


#: columns counting a relation's rows: a regular user's DuckDB rows leave them empty for tables
#: under row-level security (they would count the rows its policies hide; PostgreSQL counts
#: with the reader's rights, so its policies apply)
ROW_COUNTS: dict[str, tuple[str, ...]] = {
    "svv_table_info": ("tbl_rows", "estimated_visible_rows", "rows", "size", "skew_rows"),
    "svv_diskusage": ("num_values", "tbl_rows"),
}


def is_system_view(schema: str | None, name: str) -> bool:
    return (schema or "").lower() == SCHEMA and name.lower() in VISIBILITY


def duckdb_rows(view: str, user: str, catalog: AccessCatalog) -> exp.Select:
    """``SELECT * FROM stepline_sys.<view> WHERE <what user may see>``."""
    star: exp.Expression = exp.Star()
    protected = sorted(catalog.rls_tables())
    if view in ROW_COUNTS and protected:
        rule = VISIBILITY[view]
        hidden = _relation_key(rule).isin(*(exp.Literal.string(k) for k in protected))
        star = exp.Star(replace=[exp.alias_(exp.Case(ifs=[exp.If(this=hidden.copy(), true=exp.null())],
                                                     default=exp.column(c)), c) for c in ROW_COUNTS[view]])
    return exp.select(star).from_(exp.table_(view, db=SCHEMA)).where(duckdb_filter(view, user, catalog))


def _relation_key(rule: tuple[str, ...]) -> exp.Expression:
    """lower(schema || '.' || table) of a row of a relation-listing view"""
    return exp.func("lower", exp.DPipe(this=exp.DPipe(this=exp.column(rule[1]), expression=exp.Literal.string(".")),
                                       expression=exp.column(rule[2])))


def duckdb_filter(view: str, user: str, catalog: AccessCatalog) -> exp.Expression:
    """The rows of ``view`` that ``user`` may see, as a condition on the view's columns."""
    rule = VISIBILITY[view]
    me = exp.Literal.string(user)
    if rule[0] == "user":
        return exp.column(rule[1]).eq(me)
    if rule[0] == "query":
        mine = exp.select("query_id").from_(_HISTORY).where(exp.column("user_name").eq(me))
        return exp.column(rule[1]).isin(query=mine)
    whole, columns = catalog.readable(user)
    key = _relation_key(rule)
    conditions: list[exp.Expression] = []
    if whole:
        conditions.append(key.isin(*(exp.Literal.string(k) for k in sorted(whole))))
    if columns:
        tables = sorted({t for t, _ in columns})
        if len(rule) > 3:  # one row per column: only the granted ones
            pairs = sorted(f"{t}.{c}" for t, c in columns)
            both = exp.DPipe(this=exp.DPipe(this=key.copy(), expression=exp.Literal.string(".")),
                             expression=exp.func("lower", exp.column(rule[3], quoted=True)))
            conditions.append(both.isin(*(exp.Literal.string(p) for p in pairs)))
        else:
            conditions.append(key.copy().isin(*(exp.Literal.string(t) for t in tables)))
    return exp.or_(*conditions) if conditions else exp.false()


def postgres_view_name(prefix: str, view: str) -> str:
    """The filtered view a restricted PostgreSQL role reads instead of ``view``."""
    return f"{prefix}visible_{view}"


def postgres_ddl(prefix: str) -> list[str]:
    """The filtered views for the roles named ``<prefix><user>``, and the rights to read them."""
    me = f"{quote_literal(prefix)} || {{}} = CAST(current_user AS text)"
    out = [f"GRANT USAGE ON SCHEMA {SCHEMA} TO PUBLIC"]
    for view, rule in VISIBILITY.items():
        if rule[0] == "user":
            where = me.format(rule[1])
        elif rule[0] == "query":
            where = f"{rule[1]} IN (SELECT h.query_id FROM {_HISTORY} h WHERE {me.format('h.user_name')})"
        else:
            relation = f"format('%I.%I', {rule[1]}, {rule[2]})"
            where = f"has_any_column_privilege({relation}, 'SELECT')"
            if len(rule) > 3:
                where = f"has_column_privilege({relation}, \"{rule[3]}\", 'SELECT')"
        name = f'{SCHEMA}."{postgres_view_name(prefix, view)}"'
        out += [f"CREATE OR REPLACE VIEW {name} WITH (security_barrier) AS SELECT * FROM {SCHEMA}.{view} "
                f"WHERE {where}",
                f"GRANT SELECT ON {name} TO PUBLIC"]
    return out
