"""COPY's value conversion as Redshift's: empty and blank fields, NULL AS, EMPTYASNULL, BLANKSASNULL,
TRIMBLANKS, byte lengths (error 1204) and TRUNCATECOLUMNS, date/time formats, ACCEPTANYDATE, ROUNDEC,
blank lines, ESCAPE, REMOVEQUOTES, ACCEPTINVCHARS, and options that are not implemented. Every test runs on both warehouses, DuckDB and
the real PostgreSQL, through the statement service and the Data API."""

from __future__ import annotations

import gzip

import pytest
from lake_helpers import DataApiClient

from stepline.config import Config, WarehouseConfig
from stepline.lake import load_errors
from stepline.lake.paths import lake_path
from stepline.warehouse import statement_service

ROLE = "iam_role 'arn:aws:iam::123456789012:role/r'"


class _Client(DataApiClient):
    def __init__(self, config: Config) -> None:
        super().__init__(statement_service(config))
        self.data_dir = config.data_dir

    def rows(self, sql: str) -> list[tuple]:  # type: ignore[override] - tuples read better in these tables
        res = self.api.call("GetStatementResult", {"Id": self.ok(sql)["Id"]})
        return [tuple(None if v.get("isNull") else next(iter(v.values())) for v in rec) for rec in res["Records"]]

    def copy(self, table: str, key: str, options: str = "") -> int:
        return self.ok(f"COPY {table} FROM 's3://cb/{key}' {ROLE} {options}")["ResultRows"]

    def write(self, key: str, text: str, *, gz: bool = False) -> None:
        path = lake_path(f"s3://cb/{key}", self.data_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())


@pytest.fixture(params=["duckdb", "postgres"])
def wh(request, tmp_path):
    if request.param == "postgres":
        dsn, schema = request.getfixturevalue("pg_schema")
        warehouse = WarehouseConfig(backend="postgres", dsn=f"{dsn}?options=-csearch_path%3D{schema}")
    else:
        warehouse = WarehouseConfig()
    c = _Client(Config(data_dir=tmp_path, warehouses=(warehouse,)))
    yield c
    c.service.close()


def _table(wh: _Client) -> None:
    wh.ok("create table t (id integer, v varchar(10), n integer, d date)")


def test_empty_fields_load_as_empty_varchar_and_null_for_other_types(wh):
    _table(wh)
    wh.write("e/a.txt", "1||||\n2|\\N|\\N|\\N\n3|  |  | \n")
    assert wh.copy("t", "e/") == 3
    assert wh.rows("select id, v, n, d from t order by id") == [
        (1, "", None, None), (2, None, None, None), (3, "  ", None, None)]
    # CSV: a quoted empty field and an unquoted one are both empty strings
    wh.ok("delete from t")
    wh.write("c/a.csv", '1,"",,\n2,,"",\n')
    assert wh.copy("t", "c/", "CSV") == 2
    assert wh.rows("select id, v, n from t order by id") == [(1, "", None), (2, "", None)]


def test_emptyasnull_blanksasnull_and_null_as(wh):
    _table(wh)
    wh.write("e/a.txt", "1||\n2|  |\n3|x|\n")
    assert wh.copy("t", "e/", "FILLRECORD EMPTYASNULL") == 3
    assert wh.rows("select id, v from t order by id") == [(1, None), (2, "  "), (3, "x")]
    wh.ok("delete from t")
    assert wh.copy("t", "e/", "FILLRECORD BLANKSASNULL") == 3
    assert wh.rows("select id, v from t order by id") == [(1, ""), (2, None), (3, "x")]
    wh.ok("delete from t")
    assert wh.copy("t", "e/", "FILLRECORD NULL AS ''") == 3  # the same as EMPTYASNULL
    assert wh.rows("select id, v, n from t order by id") == [(1, None, None), (2, "  ", None), (3, "x", None)]
    wh.ok("delete from t")
    wh.write("n/a.txt", "1|NULL|NULL\n2|\\N|7\n3||\n")
    assert wh.copy("t", "n/", "NULL AS 'NULL' FILLRECORD") == 3
    assert wh.rows("select id, v, n from t order by id") == [(1, None, None), (2, "\\N", 7), (3, "", None)]


def test_fillrecord_fills_a_varchar_with_an_empty_string_unless_emptyasnull(wh):
    _table(wh)
    wh.write("f/a.txt", "1\n2|b|5\n")
    assert wh.copy("t", "f/", "FILLRECORD") == 2
    assert wh.rows("select id, v, n, d from t order by id") == [(1, "", None, None), (2, "b", 5, None)]
    wh.ok("delete from t")
    assert wh.copy("t", "f/", "FILLRECORD EMPTYASNULL") == 2
    assert wh.rows("select id, v from t order by id") == [(1, None), (2, "b")]


def test_too_long_values_are_rejected_by_bytes_as_error_1204(wh):
    wh.ok("create table s (id integer, v varchar(5), c char(3))")
    wh.ok("insert into s values (100, 'kept', 'k')")
    # 'éé' is 4 bytes and fits; 'ééé' is 6 bytes and does not, though it has 3 characters
    wh.write("l/a.csv", "1,abcde,abc\n2,abcdef,x\n3,éé,y\n4,ééé,z\n5,a,abcd\n")
    error = wh.failed(f"COPY s FROM 's3://cb/l/' {ROLE} CSV")
    assert "Load into table 's' failed" in error and "3 rejected rows, MAXERROR 0" in error
    assert wh.rows("select id from s") == [(100,)]
    errors = load_errors(wh.data_dir)
    assert [(e["line_number"], e["colname"], e["raw_field_value"], e["err_code"], e["err_reason"], e["type"],
             e["col_length"]) for e in errors] == [
        (2, "v", "abcdef", 1204, "String length exceeds DDL length", "varchar", "5"),
        (4, "v", "ééé", 1204, "String length exceeds DDL length", "varchar", "5"),
        (5, "c", "abcd", 1204, "String length exceeds DDL length", "char", "3")]
    assert errors[1]["raw_line"] == "4,ééé,z" and errors[0]["filename"] == "s3://cb/l/a.csv"
    assert wh.copy("s", "l/", "CSV MAXERROR 3") == 2
    assert wh.rows("select id, v from s where id < 100 order by id") == [(1, "abcde"), (3, "éé")]
    assert wh.copy("s", "l/", "CSV MAXERROR 2 TRUNCATECOLUMNS") == 5
    # cut to 5 bytes without splitting a character: 'ééé' keeps 'éé'
    assert wh.rows("select id, v, rtrim(c) from s where id < 100 order by id, v") == [
        (1, "abcde", "abc"), (1, "abcde", "abc"), (2, "abcde", "x"), (3, "éé", "y"), (3, "éé", "y"),
        (4, "éé", "z"), (5, "a", "abc")]


def test_trimblanks_removes_trailing_blanks_before_the_length_check(wh):
    _table(wh)
    wh.write("t/a.txt", "1|abcdefghij   \n2|  ab  \n")
    assert "stl_load_errors" in wh.failed(f"COPY t FROM 's3://cb/t/' {ROLE} FILLRECORD")
    assert wh.copy("t", "t/", "FILLRECORD TRIMBLANKS") == 2
    assert wh.rows("select id, v from t order by id") == [(1, "abcdefghij"), (2, "  ab")]


def test_conversion_errors_carry_redshift_codes(wh):
    wh.ok("create table k (id integer, b boolean, p numeric(8,2), d date, ts timestamp)")
    wh.write("k/a.txt", "1|t|20.259|2024-01-05|2024-01-05 10:11:12\n"
                        "x1|f|1|2024-01-05|2024-01-05 10:11:12\n"
                        "99999999999|f|1|2024-01-05|2024-01-05 10:11:12\n"
                        "4|maybe|1|2024-01-05|2024-01-05 10:11:12\n"
                        "5|yes|1|01/05/24|2024-01-05 10:11:12\n"
                        "6|no|1|2024-01-05|yesterday\n"
                        "7|0|1a|2024-01-05|2024-01-05 10:11:12\n")
    assert "6 rejected rows" in wh.failed(f"COPY k FROM 's3://cb/k/' {ROLE}")
    got = [(e["line_number"], e["colname"], e["err_code"], e["err_reason"]) for e in load_errors(wh.data_dir)]
    assert got == [
        (2, "id", 1207, "Invalid digit, Value 'x', Pos 0, Type: Integer"),
        (3, "id", 1222, "Overflow, Value '99999999999' out of range for type Integer (-2147483648 to 2147483647)"),
        (4, "b", 1210, "Invalid boolean value, Value 'maybe'"),
        (5, "d", 1205, "Invalid Date Format - length must be 10 or more"),
        (6, "ts", 1206, "Invalid timestamp format or value [YYYY-MM-DD HH24:MI:SS]"),
        (7, "p", 1207, "Invalid digit, Value 'a', Pos 1, Type: Decimal")]
    assert wh.copy("k", "k/", "MAXERROR 6") == 1
    # COPY truncates extra digits of scale; ROUNDEC rounds them as INSERT does
    assert wh.rows("select id, b, p::varchar from k") == [(1, True, "20.25")]
    assert wh.copy("k", "k/", "MAXERROR 6 ROUNDEC") == 1
    assert wh.rows("select p::varchar from k order by p") == [("20.25",), ("20.26",)]


def test_dateformat_timeformat_and_acceptanydate(wh):
    wh.ok("create table dt (id integer, d date, ts timestamp)")
    wh.write("d/a.txt", "1|01/05/2024|05.01.2024 13:14:15\n2|12/31/2023|31.12.2023 00:00:01\n")
    assert wh.copy("dt", "d/", "DATEFORMAT 'MM/DD/YYYY' TIMEFORMAT 'DD.MM.YYYY HH24:MI:SS'") == 2
    assert wh.rows("select id, d::varchar, ts::varchar from dt order by id") == [
        (1, "2024-01-05", "2024-01-05 13:14:15"), (2, "2023-12-31", "2023-12-31 00:00:01")]
    wh.ok("delete from dt")
    wh.write("auto/a.txt", "1|2024-01-05|2024-01-05 10:00:00\n2|01/06/2024|01/06/2024 11:00:00\n"
                           "3|20240107|2024-01-07T12:00:00\n")
    assert wh.copy("dt", "auto/", "DATEFORMAT 'auto' TIMEFORMAT 'auto'") == 3
    assert wh.rows("select id, d::varchar, ts::varchar from dt order by id") == [
        (1, "2024-01-05", "2024-01-05 10:00:00"), (2, "2024-01-06", "2024-01-06 11:00:00"),
        (3, "2024-01-07", "2024-01-07 12:00:00")]
    wh.ok("delete from dt")
    wh.write("ep/a.txt", "1|2024-01-05|1704067200\n")
    assert wh.copy("dt", "ep/", "TIMEFORMAT 'epochsecs'") == 1
    assert wh.rows("select ts::varchar from dt") == [("2024-01-01 00:00:00",)]
    wh.ok("delete from dt")
    wh.write("any/a.txt", "1|00/00/00|2024-01-05 10:00:00\n2|2024-02-30|not a time\n")
    assert "stl_load_errors" in wh.failed(f"COPY dt FROM 's3://cb/any/' {ROLE}")
    assert wh.copy("dt", "any/", "ACCEPTANYDATE DATEFORMAT 'YYYY-MM-DD'") == 2
    assert wh.rows("select id, d, ts::varchar from dt order by id") == [
        (1, None, "2024-01-05 10:00:00"), (2, None, None)]
    assert "DATEFORMAT 'YYYY-Q'" in wh.failed(f"COPY dt FROM 's3://cb/any/' {ROLE} DATEFORMAT 'YYYY-Q'")


def test_blank_lines_are_rejected_unless_ignoreblanklines(wh):
    _table(wh)
    wh.write("b/a.txt.gz", "1|a\n\n2|b\n", gz=True)
    assert "1 rejected rows" in wh.failed(f"COPY t FROM 's3://cb/b/' {ROLE} FILLRECORD")
    (error,) = load_errors(wh.data_dir)
    assert (error["line_number"], error["err_code"], error["err_reason"]) == (2, 1214, "Delimiter not found")
    assert wh.copy("t", "b/", "FILLRECORD IGNOREBLANKLINES") == 2
    assert wh.rows("select id, v from t order by id") == [(1, "a"), (2, "b")]


def test_line_numbers_count_header_rejected_and_multiline_records(wh):
    _table(wh)
    wh.write("m/a.csv", 'id,v,n,d\n1,"two\nlines",1,\n2,a,b,c,d\n3,ok,zz,\n')
    assert "2 rejected rows" in wh.failed(f"COPY t FROM 's3://cb/m/' {ROLE} CSV IGNOREHEADER 1")
    got = [(e["line_number"], e["colname"], e["err_code"], e["raw_line"]) for e in load_errors(wh.data_dir)]
    assert got == [(4, "", 1202, "2,a,b,c,d"), (5, "n", 1207, "3,ok,zz,")]


def test_json_fields_convert_with_the_same_rules(wh):
    _table(wh)
    wh.write("j/a.json", '{"id": 1, "v": "", "n": ""}\n{"id": 2, "v": "far too long"}\n{"id": 3, "n": 4}\n')
    assert "1 rejected rows" in wh.failed(f"COPY t FROM 's3://cb/j/' {ROLE} FORMAT JSON 'auto'")
    (error,) = load_errors(wh.data_dir)
    assert (error["line_number"], error["colname"], error["err_code"]) == (2, "v", 1204)
    assert wh.copy("t", "j/", "JSON 'auto' MAXERROR 1") == 2
    assert wh.rows("select id, v, n from t order by id") == [(1, "", None), (3, None, 4)]
    wh.ok("delete from t")
    assert wh.copy("t", "j/", "JSON 'auto' EMPTYASNULL TRUNCATECOLUMNS") == 3
    assert wh.rows("select id, v from t order by id") == [(1, None), (2, "far too lo"), (3, None)]


def test_escape_resolves_backslashes_newlines_delimiters_and_the_null_string(wh):
    wh.ok("create table e (id integer, v varchar(60))")
    # the example of the ESCAPE parameter's documentation, and the two spellings of the null string
    wh.write("esc/a.txt", "1|The quick brown fox\\\njumped over the lazy dog.\n2| A\\\\B\\\\C\n"
                          "3| A \\| B \\| C\n4|\\N\n5|\\\\N\n6|\n7|x\\y\nx|bad\n", gz=True)
    assert "1 rejected rows" in wh.failed(f"COPY e FROM 's3://cb/esc/' {ROLE} ESCAPE GZIP")
    (error,) = load_errors(wh.data_dir)
    assert (error["line_number"], error["colname"], error["err_code"], error["raw_line"]) == (9, "id", 1207, "x|bad")
    assert wh.copy("e", "esc/", "ESCAPE GZIP MAXERROR 1") == 7
    assert wh.rows("select id, v from e order by id") == [
        (1, "The quick brown fox\njumped over the lazy dog."), (2, " A\\B\\C"), (3, " A | B | C"), (4, None),
        (5, None), (6, ""), (7, "xy")]


def test_removequotes_keeps_delimiters_inside_quotes(wh):
    wh.ok("create table q (id integer, v varchar(40))")
    wh.write("rq/a.txt", "1|\"a|b\"\n2|'single'\n3|\"unterminated\n4|plain\n5|\"\"\n")
    assert "1 rejected rows" in wh.failed(f"COPY q FROM 's3://cb/rq/' {ROLE} REMOVEQUOTES")
    (error,) = load_errors(wh.data_dir)
    assert (error["line_number"], error["err_code"], error["raw_line"]) == (3, 1216, '3|"unterminated')
    assert wh.copy("q", "rq/", "REMOVEQUOTES MAXERROR 1") == 4
    assert wh.rows("select id, v from q order by id") == [(1, "a|b"), (2, "single"), (4, "plain"), (5, "")]
    wh.ok("delete from q")
    wh.write("rqe/a.txt", "1|'A Midsummer Night\\'s Dream'\n")
    assert wh.copy("q", "rqe/", "REMOVEQUOTES ESCAPE") == 1
    assert wh.rows("select v from q") == [("A Midsummer Night's Dream",)]


def test_acceptinvchars_replaces_each_invalid_byte(wh):
    _table(wh)
    path = lake_path("s3://cb/inv/a.txt", wh.data_dir)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"1|ab\xffc\n2|\xe2\x82x\n3|ok\n")
    assert "2 rejected rows" in wh.failed(f"COPY t FROM 's3://cb/inv/' {ROLE} FILLRECORD")
    assert {(e["line_number"], e["err_code"]) for e in load_errors(wh.data_dir)} == {(1, 1220), (2, 1220)}
    assert wh.copy("t", "inv/", "FILLRECORD ACCEPTINVCHARS AS '^'") == 3
    assert wh.rows("select id, v from t order by id") == [(1, "ab^c"), (2, "^^x"), (3, "ok")]
    wh.ok("delete from t")
    path.write_bytes(b'1,"ab\xff",,\n')
    assert wh.copy("t", "inv/", "CSV ACCEPTINVCHARS") == 1
    assert wh.rows("select v from t") == [("ab?",)]


@pytest.mark.parametrize("option", ["EXPLICIT_IDS", "ENCODING UTF16", "MANIFEST", "FIXEDWIDTH", "BZIP2", "NOLOAD"])
def test_options_not_implemented_fail_by_name(wh, option):
    _table(wh)
    wh.write("u/a.txt", "1|a\n")
    error = wh.failed(f"COPY t FROM 's3://cb/u/' {ROLE} FILLRECORD {option}")
    assert f"COPY option {option}" in error and "not supported" in error
    assert wh.rows("select count(*) from t") == [(0,)]


def test_csv_cannot_be_used_with_escape_or_removequotes(wh):
    _table(wh)
    assert "COPY option ESCAPE cannot be used with CSV" in wh.failed(f"COPY t FROM 's3://cb/u/' {ROLE} CSV ESCAPE")
    assert "COPY option REMOVEQUOTES cannot be used with CSV" in wh.failed(
        f"COPY t FROM 's3://cb/u/' {ROLE} REMOVEQUOTES FORMAT CSV")


def test_text_options_are_refused_with_parquet(wh):
    _table(wh)
    error = wh.failed(f"COPY t FROM 's3://cb/u/' {ROLE} FORMAT PARQUET EMPTYASNULL")
    assert "COPY option EMPTYASNULL is not valid with FORMAT PARQUET" in error


def test_parquet_values_longer_than_their_column_fail_or_are_truncated(wh):
    import duckdb

    wh.ok("create table p (id integer, v varchar(5))")
    out = lake_path("s3://cb/pq/", wh.data_dir)
    out.mkdir(parents=True)
    duckdb.sql(f"copy (select * from (values (1, 'abcde'), (2, 'aéééé')) x(id, v)) to '{out}/a.parquet' "
               "(format parquet)")
    error = wh.failed(f"COPY p FROM 's3://cb/pq/' {ROLE} FORMAT PARQUET")
    assert "column 'v': String length exceeds DDL length" in error and "'aéééé'" in error
    assert wh.rows("select count(*) from p") == [(0,)]
    assert wh.copy("p", "pq/", "FORMAT PARQUET TRUNCATECOLUMNS") == 2
    assert wh.rows("select id, v from p order by id") == [(1, "abcde"), (2, "aéé")]


def test_digit_separators_are_rejected_as_redshift_does(wh):
    wh.ok("create table sep (p numeric(10,2), f float8)")
    wh.write("sep/a.txt", "1.50|2.5\n1_000|3\n4|1_0.5\n")
    assert "2 rejected rows" in wh.failed(f"COPY sep FROM 's3://cb/sep/' {ROLE}")
    assert [(e["line_number"], e["colname"]) for e in load_errors(wh.data_dir)] == [(2, "p"), (3, "f")]
    assert wh.copy("sep", "sep/", "MAXERROR 2") == 1


def test_mixed_line_endings_get_a_clear_error_and_load_nothing(wh):
    wh.ok("create table crlf (a int, b varchar(5))")
    wh.write("crlf/mixed.csv", "a,b\r\n1,x\n2,y\r\n3,z\n")
    error = wh.failed(f"COPY crlf FROM 's3://cb/crlf/mixed.csv' {ROLE} CSV IGNOREHEADER 1")
    assert "s3://cb/crlf/mixed.csv mixes" in error and "line endings" in error
    assert wh.rows("select count(*) from crlf") == [(0,)]


def test_rejects_are_counted_across_many_blocks(wh):
    wh.ok("create table many (n int)")
    lines = [str(i) if i % 1000 else "bad" for i in range(1, 10_001)]  # 10 rejects among 10,000 rows
    wh.write("many/a.txt", "\n".join(lines) + "\n")
    assert "10 rejected rows" in wh.failed(f"COPY many FROM 's3://cb/many/' {ROLE}")
    assert wh.copy("many", "many/", "MAXERROR 10") == 9_990
    assert [e["line_number"] for e in load_errors(wh.data_dir)][-10:] == list(range(1000, 10_001, 1000))
    assert wh.rows("select count(*), count(distinct n) from many") == [(9_990, 9_990)]
