from __future__ import annotations

import json

import pytest
from lake_helpers import run_cli

from stepline.errors import NotFound


def test_datagen_crawl_catalog_load(tmp_path, capsys):
    d = ["--data-dir", str(tmp_path)]
    code, out = run_cli(["datagen", "--rows", "2000", "--orders", "100", "--bucket", "wb", *d], capsys)
    assert code == 0 and "s3://wb/data/raw/sales_consolidate/: 2000 rows, 24 files" in out
    code, out = run_cli(["crawl", "s3://wb/data/raw/sales_consolidate/", "--database", "klb_db", *d], capsys)
    assert "klb_db.sales_consolidate v1: csv, 19 columns, 2000 records" in out
    _, out = run_cli(["catalog", "tables", "klb_db", "--json", *d], capsys)
    assert json.loads(out)[0]["parameters"]["recordCount"] == "2000"
    _, out = run_cli(["catalog", "partitions", "klb_db.sales_consolidate", *d], capsys)
    assert len(out.strip().splitlines()) == 24
    _, out = run_cli(["load", "--source", "klb_db.sales_consolidate", "--target", "klb_rs.master_supplier",
                   "--columns", "sup_name,namasup,group_supplier", "--keys", "sup_name", *d], capsys)
    assert "12 source rows, 12 inserted, 0 updated (table created)" in out
    with pytest.raises(NotFound):
        run_cli(["catalog", "tables", "nope", *d], capsys)


def test_crawl_makes_the_table_queryable_through_the_statement_service(tmp_path, capsys):
    from stepline.config import Config
    from stepline.warehouse import statement_service

    d = ["--data-dir", str(tmp_path)]
    run_cli(["datagen", "--rows", "1000", "--orders", "100", "--bucket", "wb", *d], capsys)
    _, out = run_cli(["crawl", "s3://wb/data/raw/sales_consolidate/", "--database", "klb_db", *d], capsys)
    assert 'queryable as "klb_db"."sales_consolidate"' in out
    service = statement_service(Config(data_dir=tmp_path))
    try:
        st = service.execute_statement('SELECT count(*) FROM "klb_db"."sales_consolidate"', db_user="awsuser")
        service.wait(st.id, timeout=60)
        result = service.get_statement_result(st.id)
    finally:
        service.close()
    assert result["Records"] == [[{"longValue": 1000}]]
