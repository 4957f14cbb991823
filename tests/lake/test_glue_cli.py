"""``stepline crawl --crawler NAME`` and ``stepline load --job NAME``: the crawlers and jobs of
stepline.toml run from the command line, on a real data directory and DuckDB warehouse."""

from __future__ import annotations

import json

import duckdb
import pytest
from lake_helpers import crawler_and_job_toml, run_cli

from stepline.lake.datagen import generate_sales
from stepline.lake.paths import LakeError

TOML = crawler_and_job_toml("cli-bucket")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "stepline.toml").write_text(TOML)
    generate_sales("s3://cli-bucket/raw/sales_consolidate/", data_dir=tmp_path / "data", rows=1200)
    return ["--config", str(tmp_path / "stepline.toml"), "--data-dir", str(tmp_path / "data")]


def test_configured_crawler_and_job_from_the_cli(project, tmp_path, capsys):
    code, out = run_cli(["crawl", "--crawler", "sales", "--json", *project], capsys)
    reports = json.loads(out)
    assert code == 0 and [(r["database"], r["table"], r["record_count"]) for r in reports] == [
        ("klb_db", "raw_sales_consolidate", 1200)]
    code, out = run_cli(["load", "--job", "branches", *project], capsys)
    assert code == 0 and "klb_rs.master_branch:" in out and "(table created)" in out
    # a flag overrides the job's setting for this run: keys from the job, columns narrowed
    code, out = run_cli(["load", "--job", "branches", "--columns", "kodecab", "--json", *project], capsys)
    again = json.loads(out)
    assert again["created"] is False and again["inserted"] == 0 and again["updated"] == again["source_rows"] > 1
    con = duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"))
    try:
        rows = con.execute("SELECT count(*), count(DISTINCT kodecab) FROM klb_rs.master_branch").fetchone()
    finally:
        con.close()
    assert rows[0] == rows[1] == again["source_rows"]


def test_cli_names_what_is_missing(project, capsys):
    with pytest.raises(LakeError, match="no crawler 'nope' in \\[crawlers\\] of the configuration \\(known: sales\\)"):
        run_cli(["crawl", "--crawler", "nope", *project], capsys)
    with pytest.raises(LakeError, match="crawl --crawler takes its targets and database from stepline.toml"):
        run_cli(["crawl", "s3://x/y/", "--crawler", "sales", *project], capsys)
    with pytest.raises(LakeError, match="crawl needs an s3:// location and --database"):
        run_cli(["crawl", "s3://x/y/", *project], capsys)
    with pytest.raises(LakeError, match="no job 'nope' in \\[jobs\\] of the configuration \\(known: branches\\)"):
        run_cli(["load", "--job", "nope", *project], capsys)
    with pytest.raises(LakeError, match="load needs --source and --target"):
        run_cli(["load", "--source", "a.b", *project], capsys)
