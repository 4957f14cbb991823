"""EXPLAIN through the Data API answers as Redshift does (one ``QUERY PLAN`` varchar column, a row
a line) on both backends; PostgreSQL's parenthesised options get Redshift's syntax error with a hint."""

from __future__ import annotations


def test_explain_returns_query_plan_lines(h):
    h.ok("create table plan_t (id int, amount decimal(10, 2))")
    d = h.ok("explain select id, sum(amount) from plan_t group by id order by 2 desc limit 5")
    page = h.api.call("GetStatementResult", {"Id": d["Id"]})
    assert [(c["name"], c["typeName"]) for c in page["ColumnMetadata"]] == [("QUERY PLAN", "varchar")]
    lines = [r[0]["stringValue"] for r in page["Records"]]
    assert len(lines) > 1 and all(line.strip() for line in lines)
    verbose = h.ok("explain verbose select count(*) from plan_t")
    assert verbose["ResultRows"] > 0


def test_postgres_explain_options_are_a_syntax_error_with_a_hint(h):
    d = h.run("EXPLAIN (VERBOSE, BUFFERS) SELECT 1")
    assert d["Status"] == "FAILED"
    assert d["Error"].startswith('syntax error at or near "("') and "EXPLAIN [VERBOSE]" in d["Error"]

