"""The lake's handlers injected into the real statement service, driven through the Data API."""

from __future__ import annotations

import duckdb
from lake_helpers import ROLE, DataApiClient

from stepline.clock import VirtualClock
from stepline.config import Config
from stepline.lake import Catalog, crawl, expose_catalog, generate_sales, lake_extensions, load_errors
from stepline.sql.service import StatementService


def test_workshop_loading_through_the_data_api(tmp_path):
    config = Config(data_dir=tmp_path)
    generate_sales("s3://wb/data/raw/sales_consolidate/", data_dir=tmp_path, rows=5000)
    crawl("s3://wb/data/raw/sales_consolidate/", "klb_db", data_dir=tmp_path)
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    expose_catalog(conn, Catalog(tmp_path))
    conn.close()
    api = DataApiClient(StatementService(config, VirtualClock(), extensions=lake_extensions()))
    try:
        assert api.value('SELECT count(*) FROM "klb_db"."sales_consolidate"') == 5000
        api.ok("""CREATE TABLE "klb_db"."sales_consolidate_parquet"
     WITH (
           format = 'Parquet',
           write_compression = 'SNAPPY',
           external_location = 's3://wb/data/raw/sales_consolidate_parquet/'
           )
     AS SELECT * FROM "klb_db"."sales_consolidate";""")
        api.ok(f"create external schema klb_spectrum from data catalog database 'klb_db' iam_role '{ROLE}';")
        api.ok("create schema klb_rs;")
        api.ok("create table klb_rs.sales_consolidate_copy (like klb_spectrum.sales_consolidate_parquet);")
        api.ok(f"""COPY klb_rs.sales_consolidate_copy
     FROM 's3://wb/data/raw/sales_consolidate_parquet/'
     iam_role '{ROLE}'
     FORMAT PARQUET FILLRECORD;""")
        assert api.value("select count(*) from klb_rs.sales_consolidate_copy") == 5000
        # a failed COPY reports the Redshift error and leaves the table as it was
        bad = tmp_path / "lake" / "wb" / "bad" / "a.csv"
        bad.parent.mkdir(parents=True)
        bad.write_text("x,y\n")
        failed = api.run(f"COPY klb_rs.sales_consolidate_copy FROM 's3://wb/bad/' iam_role '{ROLE}' CSV")
        assert failed["Status"] == "FAILED" and "stl_load_errors" in failed["Error"]
        assert api.value("select count(*) from klb_rs.sales_consolidate_copy") == 5000
        assert load_errors(tmp_path)[0]["filename"] == "s3://wb/bad/a.csv"
        api.ok("""CREATE OR REPLACE PROCEDURE klb_rs.refresh_branch() AS $$
BEGIN
  DROP TABLE IF EXISTS klb_rs.master_branch;
  CREATE TABLE klb_rs.master_branch AS SELECT DISTINCT kodecab, namacab FROM klb_rs.sales_consolidate_copy;
  RAISE INFO 'branches refreshed';
END;
$$ LANGUAGE plpgsql;""")
        api.ok("call klb_rs.refresh_branch();")
        assert api.value("select count(*) from klb_rs.master_branch") == 20
    finally:
        api.service.close()


def test_a_failing_call_leaves_nothing_behind_and_commit_inside_a_procedure_works(tmp_path):
    from stepline.config import Config
    from stepline.warehouse import statement_service

    service = statement_service(Config(data_dir=tmp_path))

    def status(sql: str) -> str:
        st = service.execute_statement(sql)
        service.wait(st.id, timeout=60)
        return service.describe_statement(st.id)[0].status

    try:
        assert status("create procedure boom() as $$ begin create table leftover(a int); "
                      "insert into leftover values (1); raise exception 'boom'; end; $$ language plpgsql") == "FINISHED"
        assert status("call boom()") == "FAILED"
        assert status("select * from leftover") == "FAILED"  # the table the failed call made is gone
        assert status("create procedure keep() as $$ begin create table kept(a int); commit; "
                      "insert into kept values (1); end; $$ language plpgsql") == "FINISHED"
        assert status("call keep()") == "FINISHED"
        st = service.execute_statement("select count(*) from kept")
        service.wait(st.id, timeout=60)
        assert service.get_statement_result(st.id)["Records"] == [[{"longValue": 1}]]
    finally:
        service.close()
