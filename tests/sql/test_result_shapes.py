"""Results shaped as Redshift's: EXPLAIN as one QUERY PLAN varchar column (a row a line) on both
backends, PostgreSQL's parenthesised EXPLAIN options refused with a hint, intervals printed as
Redshift prints them."""

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



def test_intervals_print_as_redshift_does(h):
    d = h.ok("select interval '1 day 2 hours' as a, interval '-90 minutes' as b, interval '3 days' as c")
    rows = h.api.call("GetStatementResult", {"Id": d["Id"]})["Records"]
    assert [f["stringValue"] for f in rows[0]] == ["1 day 02:00:00", "-01:30:00", "3 days"]
