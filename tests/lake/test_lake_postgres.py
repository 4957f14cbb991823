"""COPY, UNLOAD, Athena CTAS and Spectrum on a PostgreSQL warehouse, through the composed statement
service and the Data API, against the real server (an isolated schema of the ``test`` database)."""

from __future__ import annotations

import gzip

import duckdb
import psycopg
import pytest
from lake_helpers import ROLE, DataApiClient

from stepline.config import Config
from stepline.lake import Catalog, crawl, generate_sales, load_errors
from stepline.lake.paths import lake_path
from stepline.warehouse import statement_service


@pytest.fixture
def pg(pg_warehouse, tmp_path):
    c = DataApiClient(statement_service(Config(data_dir=tmp_path, warehouses=(pg_warehouse,))))
    yield c
    c.close()


@pytest.fixture
def ext(pg_schema):
    """A name for an external schema (schemas are database-wide: unique per test, dropped after it)."""
    dsn, schema = pg_schema
    name = f"{schema}_ext"
    yield name
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'drop schema if exists "{name}" cascade')


def _write(tmp_path, key: str, data: str | bytes, *, gz: bool = False) -> None:
    path = lake_path(f"s3://wb/{key}", tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    path.write_bytes(gzip.compress(raw) if gz else raw)


def _table(pg) -> None:
    pg.ok("create table t (id integer, name varchar(8), price numeric(10,2), day date)")
    pg.ok("insert into t values (100, 'kept', 1.00, '2024-01-01')")


def test_copy_csv_with_header_delimiter_gzip_and_quotes(pg, tmp_path):
    _table(pg)
    _write(tmp_path, "in/a.csv.gz", "id;name;price;day\n1;a;2.5;2024-02-01\n2;;3.25;\n", gz=True)
    _write(tmp_path, "in/b.csv.gz", 'id;name;price;day\n3;"c;""d";4;2024-02-03\n', gz=True)
    d = pg.ok(f"COPY t FROM 's3://wb/in/' iam_role '{ROLE}' FORMAT AS CSV IGNOREHEADER 1 DELIMITER ';' GZIP")
    assert d["ResultRows"] == 3
    got = pg.rows("select id, name, price::varchar as price, day::varchar as day from t where id < 100 order by id")
    assert got == [{"id": 1, "name": "a", "price": "2.50", "day": "2024-02-01"},
                   {"id": 2, "name": "", "price": "3.25", "day": None},  # empty VARCHAR: '' (no EMPTYASNULL)
                   {"id": 3, "name": 'c;"d', "price": "4.00", "day": "2024-02-03"}]


def test_rejected_rows_fail_the_copy_leave_the_table_and_are_listed(pg, tmp_path):
    _table(pg)
    _write(tmp_path, "bad/a.csv", "1,a,1.5,2024-01-01\n2,b,notanumber,2024-01-01\n3,c,2.5,2024-01-01\nx,d,1,\n")
    d = pg.run(f"COPY t FROM 's3://wb/bad/' iam_role '{ROLE}' CSV")
    assert d["Status"] == "FAILED"
    assert "Load into table 't' failed.  Check 'stl_load_errors'" in d["Error"]
    assert "2 rejected rows, MAXERROR 0" in d["Error"]
    assert pg.rows("select id, name from t") == [{"id": 100, "name": "kept"}]
    errors = load_errors(tmp_path)
    assert [(e["line_number"], e["colname"]) for e in errors] == [(2, "price"), (4, "id")]
    assert errors[0]["filename"] == "s3://wb/bad/a.csv" and "notanumber" in errors[0]["raw_line"]
    assert {e["query"] for e in errors} == {d["RedshiftQueryId"]} and d["RedshiftQueryId"] > 0
    # within MAXERROR the good rows load, and the rejects are recorded again
    assert pg.ok(f"COPY t FROM 's3://wb/bad/' iam_role '{ROLE}' CSV MAXERROR 2")["ResultRows"] == 2
    assert pg.value("select count(*) from t") == 3
    listed = pg.rows("select line_number, colname, filename from stl_load_errors order by starttime, line_number")
    assert [(r["line_number"], r["colname"]) for r in listed] == [(2, "price"), (4, "id")] * 2


def test_fillrecord_and_values_longer_than_their_column(pg, tmp_path):
    _table(pg)
    _write(tmp_path, "short/a.txt", "1|a\n2|b|2.5|2024-03-01\n")
    assert "stl_load_errors" in pg.failed(f"COPY t FROM 's3://wb/short/' iam_role '{ROLE}'")
    assert pg.ok(f"COPY t FROM 's3://wb/short/' iam_role '{ROLE}' FILLRECORD")["ResultRows"] == 2
    assert pg.rows("select price, day from t where id = 1") == [{"price": None, "day": None}]
    # Redshift counts bytes: 'ééééé' is 10 bytes, too long for varchar(8)
    _write(tmp_path, "long/a.csv", "5,ok,1,\n6,ééééé,1,\n7,123456789,1,\n")
    error = pg.failed(f"COPY t FROM 's3://wb/long/' iam_role '{ROLE}' CSV")
    assert "2 rejected rows" in error
    assert pg.value("select count(*) from t where id between 5 and 7") == 0
    rejects = [e for e in load_errors(tmp_path) if e["err_code"] == 1204]
    assert [(e["colname"], e["raw_field_value"] or e["raw_line"]) for e in rejects] == [
        ("name", "ééééé"), ("name", "123456789")]
    assert pg.ok(f"COPY t FROM 's3://wb/long/' iam_role '{ROLE}' CSV MAXERROR 2")["ResultRows"] == 1


def test_copy_parquet_by_position_and_incompatible_schemas(pg, tmp_path):
    _table(pg)
    out = lake_path("s3://wb/pq/", tmp_path)
    out.mkdir(parents=True)
    duckdb.sql(f"copy (select 'abc' as a, 'n' as b, 1.0 as c, date '2024-01-02' as d) to '{out}/a.parquet' "
               "(format parquet)")
    assert "incompatible Parquet schema for column 'id'" in pg.failed(
        f"COPY t FROM 's3://wb/pq/' iam_role '{ROLE}' FORMAT PARQUET")
    duckdb.sql(f"copy (select range::int as a, 'n' || range as b from range(1000)) to '{out}/a.parquet' "
               "(format parquet)")
    assert "2 columns and the table has 4" in pg.failed(f"COPY t FROM 's3://wb/pq/' iam_role '{ROLE}' FORMAT PARQUET")
    assert pg.value("select count(*) from t") == 1
    d = pg.ok(f"COPY t FROM 's3://wb/pq/' iam_role '{ROLE}' FORMAT PARQUET FILLRECORD")
    assert d["ResultRows"] == 1000
    assert pg.rows("select count(*) as n, sum(id) as s, max(name) as m from t where id < 100 or name <> 'kept'") == [
        {"n": 1000, "s": sum(range(1000)), "m": "n999"}]
    # a value the column cannot hold fails the whole COPY with the server's reason
    duckdb.sql(f"copy (select 1 as a, 'this is too long' as b) to '{out}/a.parquet' (format parquet)")
    error = pg.failed(f"COPY t FROM 's3://wb/pq/' iam_role '{ROLE}' FORMAT PARQUET FILLRECORD")
    assert "Load into table 't' failed" in error
    assert pg.value("select count(*) from t") == 1001


def test_unload_parquet_partitioned_from_postgres(pg, tmp_path):
    pg.ok("create table sales (id bigint, region varchar(10), amount numeric(12,2), sold date, score real)")
    pg.ok("insert into sales select g, case when g % 2 = 0 then 'east' else 'west' end, g * 1.25, "
          "date '2024-01-01' + (g % 3), g / 4.0 from generate_series(1, 300) g")
    d = pg.ok("UNLOAD ('select id, region, amount, sold, score from sales where id <= 200') "
              "TO 's3://wb/unload/' iam_role 'r' FORMAT PARQUET PARTITION BY (region)")
    assert d["ResultRows"] == 200
    root = lake_path("s3://wb/unload/", tmp_path)
    assert sorted(p.name for p in root.iterdir()) == ["region=east", "region=west"]
    got = duckdb.sql(f"select count(*), sum(amount), min(sold), max(region) "
                     f"from read_parquet('{root}/**/*.parquet', hive_partitioning = true)").fetchone()
    assert got[0] == 200 and float(got[1]) == sum(g * 1.25 for g in range(1, 201))
    assert str(got[2]) == "2024-01-01" and got[3] == "west"
    types = dict(duckdb.sql(f"describe select * from read_parquet('{root}/region=east/*.parquet')").fetchall()[i][:2]
                 for i in range(4))
    assert types == {"id": "BIGINT", "amount": "DECIMAL(12,2)", "sold": "DATE", "score": "FLOAT"}
    assert "ALLOWOVERWRITE" in pg.failed("UNLOAD ('select 1') TO 's3://wb/unload/' iam_role 'r' FORMAT PARQUET")
    assert "does not exist" in pg.failed("UNLOAD ('select * from nope') TO 's3://wb/other/' iam_role 'r' PARQUET")


def test_ctas_and_spectrum_on_postgres(pg, ext, tmp_path):
    generate_sales("s3://wb/raw/sales_consolidate/", data_dir=tmp_path, rows=3000)
    crawl("s3://wb/raw/sales_consolidate/", "klb_db", data_dir=tmp_path)
    pg.ok(f"create external schema {ext} from data catalog database 'klb_db' iam_role '{ROLE}'")
    total = pg.value(f"select count(*) from {ext}.sales_consolidate")
    assert total == 3000
    d = pg.ok("""CREATE TABLE klb_db.sales_by_supplier
        WITH (format = 'Parquet', write_compression = 'SNAPPY',
              external_location = 's3://wb/curated/sales_by_supplier/', partitioned_by = ARRAY['tahun'])
        AS SELECT sup_name, sum(tot1) AS total, tahun FROM klb_db.sales_consolidate GROUP BY sup_name, tahun""")
    assert d["ResultRows"] == 24  # 12 suppliers x 2 years
    cat = Catalog(tmp_path)
    assert [p.values for p in cat.list_partitions("klb_db", "sales_by_supplier")] == [("2021",), ("2022",)]
    assert [c.name for c in cat.get_table("klb_db", "sales_by_supplier").columns] == ["sup_name", "total"]
    # the new table is visible in the external schema at once; partition filters prune folders
    assert pg.value(f"select count(*) from {ext}.sales_by_supplier where tahun = '2022'") == 12
    scan = pg.rows("select query, files, qualified_partitions, total_partitions, s3_scanned_bytes "
                   f"from svl_s3query_summary where external_table_name = '{ext}.sales_by_supplier'")
    assert [(s["files"], s["qualified_partitions"], s["total_partitions"]) for s in scan] == [(1, 1, 2)]
    assert scan[0]["s3_scanned_bytes"] > 0
    # an OR across the partition column must not prune
    assert pg.value(f"select count(*) from {ext}.sales_by_supplier where tahun = '2022' or total > 0") == 24
    both = pg.value(f"select round(sum(total)) from {ext}.sales_by_supplier")
    assert both == pg.value(f"select round(sum(tot1)) from {ext}.sales_consolidate")
    # a join of an external table with a warehouse table, and loading a local copy
    pg.ok(f"create table local_sales (like {ext}.sales_by_supplier)")
    pg.ok(f"insert into local_sales select * from {ext}.sales_by_supplier s where s.tahun = '2021'")
    assert pg.value("select count(*) from local_sales") == 12
    assert pg.value(f"select count(*) from local_sales l join {ext}.sales_by_supplier s "
                    "on s.sup_name = l.sup_name and s.tahun = l.tahun") == 12
    # reading an external table through a view fails clearly instead of returning no rows
    pg.ok(f"create view v as select * from {ext}.sales_by_supplier")
    assert "can be read only by a statement that names it" in pg.failed("select count(*) from v")
    # Athena's errors stay the same
    assert "Table already exists: klb_db.sales_by_supplier" in pg.failed(
        "CREATE TABLE klb_db.sales_by_supplier WITH (format = 'Parquet') AS SELECT 1 AS a")


def test_svl_s3query_summary_carries_the_query_id(pg, ext, tmp_path):
    _write(tmp_path, "sales/year=2023/part.csv", "".join(f"{i},n{i}\n" for i in range(50)))
    _write(tmp_path, "sales/year=2024/part.csv", "".join(f"{i},n{i}\n" for i in range(70)))
    crawl("s3://wb/sales/", "shop", data_dir=tmp_path)
    pg.ok(f"create external schema {ext} from data catalog database 'shop' iam_role '{ROLE}'")
    d = pg.ok(f"select count(*) from {ext}.sales where year = '2024'")
    res = pg.api.call("GetStatementResult", {"Id": d["Id"]})
    assert res["Records"] == [[{"longValue": 70}]]
    (row,) = pg.rows("select query, qualified_partitions, s3query_returned_rows from svl_s3query_summary")
    assert row == {"query": d["RedshiftQueryId"], "qualified_partitions": 1, "s3query_returned_rows": 1}
    assert d["RedshiftQueryId"] > 0
    # the materialised rows are gone after the statement: nothing is left in the temporary schema
    assert pg.value("select count(*) from pg_class where relpersistence = 't' and relname like 'stepline_lake_%'") == 0


def test_copy_column_list_json_and_missing_relations(pg, tmp_path):
    _table(pg)
    _write(tmp_path, "cols/a.txt", "7|seven\n8|eight\n")
    assert pg.ok(f"COPY t (id, name) FROM 's3://wb/cols/' iam_role '{ROLE}'")["ResultRows"] == 2
    assert pg.rows("select name, price from t where id = 8") == [{"name": "eight", "price": None}]
    _write(tmp_path, "js/a.json", '{"id": 9, "name": "nine", "price": 9.5, "day": "2024-05-01"}\n{"id": 10}\n')
    assert pg.ok(f"COPY t FROM 's3://wb/js/' iam_role '{ROLE}' FORMAT JSON 'auto'")["ResultRows"] == 2
    assert pg.rows("select day::varchar as day from t where id in (9, 10) order by id") == [
        {"day": "2024-05-01"}, {"day": None}]
    assert 'relation "nope" does not exist' in pg.failed(f"COPY nope FROM 's3://wb/cols/' iam_role '{ROLE}'")
    assert 'column "zz" of relation "t" does not exist' in pg.failed(
        f"COPY t (id, zz) FROM 's3://wb/cols/' iam_role '{ROLE}'")
    assert "does not exist" in pg.failed(f"COPY t FROM 's3://wb/nothing/' iam_role '{ROLE}'")


def test_external_table_created_on_postgres(pg, ext, tmp_path):
    pg.ok(f"create external schema {ext} from data catalog database 'lakedb' iam_role '{ROLE}' "
          "create external database if not exists")
    _write(tmp_path, "things/kind=a/1.txt", "id|name\n1|one\n2|two\n")
    _write(tmp_path, "things/kind=b/1.txt", "id|name\n3|three\n")
    pg.ok(f"""create external table {ext}.things (id int, name varchar(10)) partitioned by (kind varchar(5))
              row format delimited fields terminated by '|' stored as textfile
              location 's3://wb/things/' table properties ('skip.header.line.count'='1')""")
    assert pg.rows(f"select id, name, kind from {ext}.things where kind = 'a' order by id") == [
        {"id": 1, "name": "one", "kind": "a"}, {"id": 2, "name": "two", "kind": "a"}]
    # a filter on one alias prunes that reference only
    assert pg.value(f"select count(*) from {ext}.things t1, {ext}.things t2 where t1.kind = 'b'") == 3
    scans = pg.rows("select qualified_partitions, total_partitions from svl_s3query_summary order by starttime")
    assert scans[0] == {"qualified_partitions": 1, "total_partitions": 2}
    cols = pg.rows(f"select column_name, data_type from information_schema.columns "
                   f"where table_schema = '{ext}' and table_name = 'things' order by ordinal_position")
    assert [(c["column_name"], c["data_type"]) for c in cols] == [
        ("id", "integer"), ("name", "character varying"), ("kind", "character varying")]
