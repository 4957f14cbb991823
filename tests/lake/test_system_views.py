"""STL_LOAD_ERRORS and SVL_S3QUERY_SUMMARY through the composed statement service (DuckDB)."""

from __future__ import annotations

import pytest
from lake_helpers import ROLE, DataApiClient

from stepline.config import Config
from stepline.lake import crawl
from stepline.warehouse import statement_service


@pytest.fixture
def client(tmp_path):
    c = DataApiClient(statement_service(Config(data_dir=tmp_path)))
    yield c
    c.close()


def _write(tmp_path, key: str, text: str) -> None:
    path = tmp_path / "lake" / "wb" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_copy_rejects_are_listed_in_stl_load_errors(client, tmp_path):
    _write(tmp_path, "in/a.csv", "1,one\nx,two\n3,three\n4\n")
    client.ok("create table t (id integer, name varchar(10))")
    client.ok(f"COPY t FROM 's3://wb/in/' iam_role '{ROLE}' CSV MAXERROR 5")
    assert client.rows("select count(*) as n from t") == [{"n": 2}]
    errors = client.rows("select filename, line_number, colname, err_reason, raw_line from stl_load_errors "
                         "order by line_number")
    assert [(e["filename"], e["line_number"]) for e in errors] == [("s3://wb/in/a.csv", 2), ("s3://wb/in/a.csv", 4)]
    assert errors[0]["colname"] == "id" and errors[0]["err_reason"]
    assert errors[0]["raw_line"].startswith("x,two")


def test_a_failed_copy_leaves_the_table_but_lists_its_errors(client, tmp_path):
    _write(tmp_path, "bad/b.csv", "5,five\nnot-a-number,six\n")
    client.ok("create table t (id integer, name varchar(10))")
    client.ok("insert into t values (1, 'kept')")
    failed = client.run(f"COPY t FROM 's3://wb/bad/' iam_role '{ROLE}' CSV")
    assert failed["Status"] == "FAILED" and "stl_load_errors" in failed["Error"]
    assert client.rows("select id, name from t") == [{"id": 1, "name": "kept"}]
    errors = client.rows("SELECT * FROM STL_LOAD_ERRORS")
    assert len(errors) == 1
    assert errors[0]["filename"] == "s3://wb/bad/b.csv" and errors[0]["line_number"] == 2
    assert errors[0]["table_name"] == "t" and errors[0]["tbl"] == 0
    # a second look sees the same rows, not doubled ones
    assert len(client.rows("select * from stl_load_errors")) == 1


def test_spectrum_queries_are_accounted_in_svl_s3query_summary(client, tmp_path):
    lines = "".join(f"{i},name{i},{i * 1.5}\n" for i in range(200))
    _write(tmp_path, "sales/year=2023/part.csv", lines)
    _write(tmp_path, "sales/year=2024/part.csv", lines)
    size = sum(f.stat().st_size for f in (tmp_path / "lake" / "wb" / "sales").rglob("*.csv"))
    crawl("s3://wb/sales/", "klb_db", data_dir=tmp_path)
    client.ok(f"create external schema spectrum from data catalog database 'klb_db' iam_role '{ROLE}'")
    assert client.rows("select count(*) as n from spectrum.sales") == [{"n": 400}]
    summary = client.rows("SELECT s3_scanned_bytes,* FROM SVL_S3QUERY_SUMMARY")
    assert len(summary) == 1
    assert summary[0]["s3_scanned_bytes"] == size > 0
    assert summary[0]["external_table_name"] == "spectrum.sales" and summary[0]["files"] == 2
    assert summary[0]["file_format"] == "Text" and summary[0]["is_partitioned"] == "t"
    # insert ... select from an external table scans only the partition it keeps
    client.ok("create table local_sales (like spectrum.sales)")
    client.ok("insert into local_sales select * from spectrum.sales where year = '2024'")
    last = client.rows("select s3_scanned_bytes, qualified_partitions, s3query_returned_rows "
                       "from svl_s3query_summary order by starttime desc limit 1")
    assert last == [{"s3_scanned_bytes": size // 2, "qualified_partitions": 1, "s3query_returned_rows": 200}]
    # queries on the warehouse's own tables are not Spectrum scans
    client.ok("select count(*) from local_sales")
    assert len(client.rows("select * from svl_s3query_summary")) == 2
