from __future__ import annotations

import pytest

from stepline.errors import NotFound
from stepline.lake.catalog import Catalog
from stepline.lake.crawler import crawl
from stepline.lake.datagen import generate_sales
from stepline.lake.paths import LakeError, lake_path
from stepline.lake.views import expose_catalog

ROLE = "arn:aws:iam::123456789012:role/r"


@pytest.fixture
def lake(session):
    generate_sales("s3://b/raw/sales_consolidate/", data_dir=session.data_dir, rows=3000)
    crawl("s3://b/raw/sales_consolidate/", "klb_db", data_dir=session.data_dir)
    expose_catalog(session.conn, Catalog(session.data_dir))
    return session


def test_partitioned_ctas_registers_partitions_and_is_visible_in_spectrum(lake):
    lake.run(f"create external schema spectrum from data catalog database 'klb_db' iam_role '{ROLE}'")
    n = lake.run("""CREATE TABLE klb_db.sales_by_supplier
        WITH (format = 'Parquet', write_compression = 'SNAPPY',
              external_location = 's3://b/curated/sales_by_supplier/', partitioned_by = ARRAY['tahun'])
        AS SELECT sup_name, sum(tot1) AS total, tahun FROM klb_db.sales_consolidate GROUP BY sup_name, tahun""")
    assert n == 24  # 12 suppliers x 2 years
    cat = Catalog(lake.data_dir)
    t = cat.get_table("klb_db", "sales_by_supplier")
    assert [c.name for c in t.partition_keys] == ["tahun"] and t.parameters["compressionType"] == "snappy"
    assert [p.values for p in cat.list_partitions("klb_db", "sales_by_supplier")] == [("2021",), ("2022",)]
    assert lake.scalar("select count(*) from spectrum.sales_by_supplier where tahun = '2022'") == 12
    assert abs(lake.scalar("select sum(total) from klb_db.sales_by_supplier")
               - lake.scalar("select sum(tot1) from klb_db.sales_consolidate")) < 1e-3


def test_ctas_refuses_existing_table_or_location_and_bad_properties(lake):
    sql = """CREATE TABLE "klb_db"."p" WITH (format = 'Parquet', external_location = 's3://b/out/p/')
             AS SELECT * FROM "klb_db"."sales_consolidate" """
    lake.run(sql)
    with pytest.raises(LakeError, match="Table already exists: klb_db.p"):
        lake.run(sql)
    with pytest.raises(LakeError, match="HIVE_PATH_ALREADY_EXISTS"):
        lake.run(sql.replace('"p"', '"q"'))
    with pytest.raises(LakeError, match="format 'orc' is not supported"):
        lake.run(sql.replace("'Parquet'", "'ORC'").replace('"p"', '"r"'))
    with pytest.raises(LakeError, match="partition columns must be the last"):
        lake.run("""CREATE TABLE klb_db.s WITH (format = 'Parquet', external_location = 's3://b/out/s/',
                 partitioned_by = ARRAY['tahun']) AS SELECT tahun, sup_name FROM klb_db.sales_consolidate""")
    assert not lake_path("s3://b/out/s/", lake.data_dir).exists()  # nothing half-written


def test_external_table_and_schema_errors(lake):
    with pytest.raises(NotFound, match='External database "nope" does not exist'):
        lake.run(f"create external schema x from data catalog database 'nope' iam_role '{ROLE}'")
    lake.run(f"create external schema ext from data catalog database 'lakedb' iam_role '{ROLE}' "
             "create external database if not exists")
    p = lake_path("s3://b/ext/things/", lake.data_dir) / "a.txt"
    p.parent.mkdir(parents=True)
    p.write_text("id|name\n1|a\n2|b\n")
    lake.run("""create external table ext.things (id int, name varchar(10))
                row format delimited fields terminated by '|' stored as textfile
                location 's3://b/ext/things/' table properties ('skip.header.line.count'='1')""")
    assert lake.run("select id, name from ext.things order by id") == [(1, "a"), (2, "b")]
    with pytest.raises(LakeError, match="already exists"):
        lake.run("create external table ext.things (id int) stored as parquet location 's3://b/x/'")
    with pytest.raises(NotFound, match="not an external schema"):
        lake.run("create external table public.t (id int) stored as parquet location 's3://b/x/'")


def test_handlers_refuse_other_warehouses_clearly(session):
    session.dialect = "mysql"  # DuckDB and PostgreSQL run them (tests/lake/test_lake_postgres.py)
    with pytest.raises(LakeError, match=r"COPY is not supported on this warehouse \(mysql\)"):
        session.extensions["copy"](session, "copy t from 's3://b/x/' csv")
