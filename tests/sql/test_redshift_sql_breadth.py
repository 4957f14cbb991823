"""Breadth of the Redshift SQL that pipelines send, run through the Data API on both backends.

Each case is Redshift SQL and the rows Redshift returns for it (per the Redshift Database
Developer Guide: https://docs.aws.amazon.com/redshift/latest/dg/), as the Data API encodes
them (timestamps as '2024-01-31 00:00:00' strings, dates as '2024-01-31', numbers as numbers).
Statements before the last one in a case are setup and must succeed.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest

# (id, statements separated by ";\n" (the last one is checked), expected rows)
_FUNCTIONS: list[tuple[str, str, list[list[Any]]]] = [
    # --- dates and times: https://docs.aws.amazon.com/redshift/latest/dg/r_Dateparts_for_datetime_functions.html
    ("dateadd_month_end", "SELECT DATEADD(month, 1, '2024-01-31'::date)", [["2024-02-29 00:00:00"]]),
    ("dateadd_day_str", "SELECT DATEADD(day, 1, '2024-02-28')", [["2024-02-29 00:00:00"]]),
    ("dateadd_qtr", "SELECT DATEADD('qtr', 1, '2024-01-15'::date)", [["2024-04-15 00:00:00"]]),
    ("dateadd_hours_neg", "SELECT DATEADD(h, -3, '2024-01-01 01:00:00'::timestamp)",
     [["2023-12-31 22:00:00"]]),
    ("dateadd_week", "SELECT DATEADD(w, 2, '2024-01-01'::date)", [["2024-01-15 00:00:00"]]),
    ("datediff_day", "SELECT DATEDIFF(day, '2024-01-01', '2024-03-01')", [[60]]),
    ("datediff_month_boundary", "SELECT DATEDIFF(month, '2024-01-31'::date, '2024-02-01'::date)", [[1]]),
    ("datediff_qtr", "SELECT DATEDIFF(qtr, '2023-12-31'::date, '2024-01-01'::date)", [[1]]),
    ("datediff_year", "SELECT DATEDIFF(year, '2023-12-31'::date, '2024-01-01'::date)", [[1]]),
    ("datediff_hour", "SELECT DATEDIFF(hour, '2024-01-01 10:59:00'::timestamp, '2024-01-01 11:01:00'::timestamp)",
     [[1]]),
    ("datediff_minutes_str", "SELECT DATEDIFF('minute', '2024-01-01 10:00:00', '2024-01-01 12:30:00')", [[150]]),
    ("date_part_dow", "SELECT DATE_PART(dow, '2024-01-07'::date)", [[0]]),
    ("date_part_dow_str", "SELECT DATE_PART('dow', '2024-01-08'::date)", [[1]]),
    ("date_part_epoch", "SELECT DATE_PART(epoch, '2024-01-01 00:00:00'::timestamp)", [[1704067200]]),
    ("date_part_qtr", "SELECT DATE_PART('qtr', '2024-05-01'::date)", [[2]]),
    ("date_part_doy", "SELECT DATE_PART(doy, '2024-02-01'::date)", [[32]]),
    ("datepart_alias", "SELECT DATEPART(month, '2024-05-01'::date)", [[5]]),
    ("extract_quarter", "SELECT EXTRACT(quarter FROM '2024-11-01'::date)", [[4]]),
    ("extract_year_ts", "SELECT EXTRACT(year FROM '2024-11-01 10:00:00'::timestamp)", [[2024]]),
    ("extract_epoch", "SELECT EXTRACT(epoch FROM '1970-01-02 00:00:00'::timestamp)", [[86400]]),
    ("extract_hour", "SELECT EXTRACT(hour FROM '2024-11-01 10:20:00'::timestamp)", [[10]]),
    ("date_trunc_month", "SELECT DATE_TRUNC('month', '2024-05-17 10:00:00'::timestamp)",
     [["2024-05-01 00:00:00"]]),
    ("date_trunc_week", "SELECT DATE_TRUNC('week', '2024-01-10'::date)", [["2024-01-08 00:00:00"]]),
    ("date_trunc_qtr", "SELECT DATE_TRUNC('qtr', '2024-05-17 10:00:00'::timestamp)",
     [["2024-04-01 00:00:00"]]),
    ("trunc_timestamp", "SELECT TRUNC('2024-05-17 10:00:00'::timestamp)", [["2024-05-17"]]),
    ("trunc_number", "SELECT TRUNC(12.789, 1)", [["12.7"]]),
    ("getdate_is_today", "SELECT TRUNC(GETDATE()) = CURRENT_DATE", [[True]]),
    ("sysdate_is_today", "SELECT TRUNC(SYSDATE) = CURRENT_DATE", [[True]]),
    ("getdate_whole_seconds", "SELECT DATE_PART(ms, GETDATE()) = DATE_PART(second, GETDATE()) * 1000",
     [[True]]),
    ("add_months", "SELECT ADD_MONTHS('2024-01-15'::date, 1)", [["2024-02-15 00:00:00"]]),
    ("add_months_last_day", "SELECT ADD_MONTHS('2024-02-29'::date, 1)", [["2024-03-31 00:00:00"]]),
    ("add_months_negative", "SELECT ADD_MONTHS('2024-03-31'::date, -1)", [["2024-02-29 00:00:00"]]),
    ("months_between", "SELECT MONTHS_BETWEEN('1969-03-18'::date, '1969-01-18'::date)", [[2]]),
    ("months_between_neg", "SELECT MONTHS_BETWEEN('1969-01-18'::date, '1969-03-18'::date)", [[-2]]),
    ("last_day", "SELECT LAST_DAY('2024-02-10'::date)", [["2024-02-29"]]),
    ("next_day", "SELECT NEXT_DAY('2024-01-01'::date, 'Monday')", [["2024-01-08"]]),
    ("next_day_abbrev", "SELECT NEXT_DAY('2024-01-01'::date, 'fri')", [["2024-01-05"]]),
    ("next_day_column", "SELECT NEXT_DAY('2024-01-01'::date, d) FROM (SELECT 'Wednesday' AS d) AS s",
     [["2024-01-03"]]),
    ("to_char_ts", "SELECT TO_CHAR('2024-03-05 14:07:09'::timestamp, 'YYYY-MM-DD HH24:MI:SS')",
     [["2024-03-05 14:07:09"]]),
    ("to_char_mon", "SELECT TO_CHAR('2024-03-05'::date, 'Mon DD, YYYY')", [["Mar 05, 2024"]]),
    ("to_char_yymm", "SELECT TO_CHAR('2024-03-05'::date, 'YYYYMM')", [["202403"]]),
    ("to_char_number", "SELECT TO_CHAR(125.8, '999.99')", [[" 125.80"]]),
    ("to_date", "SELECT TO_DATE('05/03/2024', 'DD/MM/YYYY')", [["2024-03-05"]]),
    ("to_date_compact", "SELECT TO_DATE('20240305', 'YYYYMMDD')", [["2024-03-05"]]),
    ("to_timestamp", "SELECT TO_TIMESTAMP('2024-03-05 14:07:09', 'YYYY-MM-DD HH24:MI:SS')",
     [["2024-03-05 14:07:09+00"]]),
    ("convert_timezone_3", "SELECT CONVERT_TIMEZONE('UTC', 'America/New_York', '2024-07-01 12:00:00'::timestamp)",
     [["2024-07-01 08:00:00"]]),
    ("convert_timezone_2", "SELECT CONVERT_TIMEZONE('America/New_York', '2024-01-01 12:00:00'::timestamp)",
     [["2024-01-01 07:00:00"]]),
    ("convert_timezone_abbrev", "SELECT CONVERT_TIMEZONE('PST', '2024-01-01 12:00:00'::timestamp), "
     "CONVERT_TIMEZONE('UTC', 'EST', '2024-01-01 12:00:00'::timestamp)", [["2024-01-01 04:00:00", "2024-01-01 07:00:00"]]),
    ("convert_timezone_to_utc", "SELECT CONVERT_TIMEZONE('America/New_York', 'UTC', '2024-07-01 08:00:00'::timestamp)",
     [["2024-07-01 12:00:00"]]),
    ("interval_arith", "SELECT '2024-01-31'::date + INTERVAL '1 day'", [["2024-02-01 00:00:00"]]),
    ("date_minus_date", "SELECT '2024-03-01'::date - '2024-02-01'::date", [[29]]),
    # --- null handling
    ("nvl", "SELECT NVL(NULL, 5)", [[5]]),
    ("nvl2", "SELECT NVL2(NULL, 'a', 'b'), NVL2(1, 'a', 'b')", [["b", "a"]]),
    ("coalesce", "SELECT COALESCE(NULL, NULL, 'z')", [["z"]]),
    ("decode", "SELECT DECODE(2, 1, 'one', 2, 'two', 'other')", [["two"]]),
    ("decode_default", "SELECT DECODE(9, 1, 'one', 'other')", [["other"]]),
    ("decode_null", "SELECT DECODE(NULL::int, NULL, 'null', 'x')", [["null"]]),
    ("nullif", "SELECT NULLIF(1, 1), NULLIF(1, 2)", [[None, 1]]),
    # --- aggregates
    ("listagg", "SELECT LISTAGG(x, ',') WITHIN GROUP (ORDER BY x) FROM (SELECT 'b' AS x UNION ALL SELECT 'a' "
     "UNION ALL SELECT 'c') AS s", [["a,b,c"]]),
    ("listagg_desc_grouped", "SELECT g, LISTAGG(x, '|') WITHIN GROUP (ORDER BY x DESC) FROM (SELECT 1 AS g, 'a' AS x "
     "UNION ALL SELECT 1, 'b' UNION ALL SELECT 2, 'c') AS s GROUP BY g ORDER BY g", [[1, "b|a"], [2, "c"]]),
    ("listagg_distinct", "SELECT LISTAGG(DISTINCT x, ',') WITHIN GROUP (ORDER BY x) FROM (SELECT 'a' AS x "
     "UNION ALL SELECT 'a' UNION ALL SELECT 'b') AS s", [["a,b"]]),
    ("median", "SELECT MEDIAN(x) FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) AS s",
     [[2.5]]),
    ("percentile_cont", "SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x) FROM (SELECT 1 AS x UNION ALL "
     "SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) AS s", [[2.5]]),
    ("percentile_disc", "SELECT PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY x) FROM (SELECT 1 AS x UNION ALL "
     "SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) AS s", [[2]]),
    ("approximate_count", "SELECT APPROXIMATE COUNT(DISTINCT x) FROM (SELECT 1 AS x UNION ALL SELECT 2 "
     "UNION ALL SELECT 2 UNION ALL SELECT 3) AS s", [[3]]),
    ("ratio_to_report", "SELECT x, RATIO_TO_REPORT(x) OVER () FROM (SELECT 1 AS x UNION ALL SELECT 3) AS s ORDER BY x",
     [[1, 0.25], [3, 0.75]]),
    ("count_distinct", "SELECT COUNT(DISTINCT x), COUNT(*) FROM (SELECT 1 AS x UNION ALL SELECT 1) AS s", [[1, 2]]),
    ("bool_and_or", "SELECT BOOL_AND(x > 0), BOOL_OR(x > 1) FROM (SELECT 1 AS x UNION ALL SELECT 2) AS s",
     [[True, True]]),
    # --- strings
    ("split_part", "SELECT SPLIT_PART('a,b,c', ',', 2)", [["b"]]),
    ("split_part_past_end", "SELECT SPLIT_PART('a,b,c', ',', 5)", [[""]]),
    ("regexp_substr", "SELECT REGEXP_SUBSTR('abc123def456', '[0-9]+')", [["123"]]),
    ("regexp_substr_occurrence", "SELECT REGEXP_SUBSTR('abc123def456', '[0-9]+', 1, 2)", [["456"]]),
    ("regexp_substr_nomatch", "SELECT REGEXP_SUBSTR('abc', '[0-9]+')", [[""]]),
    ("regexp_count", "SELECT REGEXP_COUNT('a1b2c3', '[0-9]')", [[3]]),
    ("regexp_replace", "SELECT REGEXP_REPLACE('a1b2', '[0-9]', 'X')", [["aXbX"]]),
    ("regexp_replace_remove", "SELECT REGEXP_REPLACE('a1b2', '[0-9]')", [["ab"]]),
    ("regexp_instr", "SELECT REGEXP_INSTR('abc123', '[0-9]')", [[4]]),
    ("regexp_instr_nomatch", "SELECT REGEXP_INSTR('abc', '[0-9]')", [[0]]),
    ("charindex", "SELECT CHARINDEX('b', 'abc'), CHARINDEX('z', 'abc')", [[2, 0]]),
    ("strpos", "SELECT STRPOS('abc', 'c')", [[3]]),
    ("position", "SELECT POSITION('c' IN 'abc')", [[3]]),
    ("len_length", "SELECT LEN('abc'), LENGTH('abcd')", [[3, 4]]),
    ("octet_length", "SELECT OCTET_LENGTH('é')", [[2]]),
    ("left_right", "SELECT LEFT('abcdef', 2), RIGHT('abcdef', 2)", [["ab", "ef"]]),
    ("lpad_rpad", "SELECT LPAD('5', 3, '0'), RPAD('ab', 4, '*'), LPAD('abc', 2)", [["005", "ab**", "ab"]]),
    ("trims", "SELECT BTRIM('xxaxx', 'x'), LTRIM('  a'), RTRIM('a  '), TRIM('  b  ')", [["a", "a", "a", "b"]]),
    ("trim_both_from", "SELECT TRIM(BOTH 'x' FROM 'xxaxx')", [["a"]]),
    ("initcap", "SELECT INITCAP('hello wORLD')", [["Hello World"]]),
    ("replicate_repeat", "SELECT REPLICATE('ab', 3), REPEAT('c', 2)", [["ababab", "cc"]]),
    ("translate", "SELECT TRANSLATE('abc', 'ab', 'xy')", [["xyc"]]),
    ("replace", "SELECT REPLACE('aaa', 'a', 'b')", [["bbb"]]),
    ("substring", "SELECT SUBSTRING('abcdef', 2, 3), SUBSTR('abcdef', 4)", [["bcd", "def"]]),
    ("upper_lower_reverse", "SELECT UPPER('a'), LOWER('B'), REVERSE('abc')", [["A", "b", "cba"]]),
    ("md5", "SELECT MD5('abc')", [["900150983cd24fb0d6963f7d28e17f72"]]),
    ("sha2", "SELECT SHA2('abc', 256)", [["ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]]),
    # https://docs.aws.amazon.com/redshift/latest/dg/r_FNV_HASH.html
    ("fnv_hash", "SELECT FNV_HASH('Amazon Redshift')", [[7783490368944507294]]),
    # chained: the second call's seed is the first call's hash (FNV-1a over both texts)
    ("fnv_hash_seed", "SELECT FNV_HASH('Redshift', FNV_HASH('Amazon '))", [[7783490368944507294]]),
    ("fnv_hash_column", "SELECT FNV_HASH(x) FROM (SELECT 'Amazon Redshift' AS x UNION ALL SELECT NULL) AS s "
     "ORDER BY 1", [[7783490368944507294], [None]]),
    ("concat_op", "SELECT 'a' || 'b' || 'c', 'a' || NULL", [["abc", None]]),
    ("concat_fn", "SELECT CONCAT('a', 'b')", [["ab"]]),
    ("like_ilike", "SELECT 'Abc' LIKE 'A%', 'Abc' ILIKE 'a%', 'abc' SIMILAR TO '%b%'", [[True, True, True]]),
    # --- JSON: https://docs.aws.amazon.com/redshift/latest/dg/json-functions.html
    ("json_extract_path_text", "SELECT JSON_EXTRACT_PATH_TEXT('{\"a\":{\"b\":\"x\"}}', 'a', 'b')", [["x"]]),
    ("json_extract_path_text_missing", "SELECT JSON_EXTRACT_PATH_TEXT('{\"a\":1}', 'z')", [[None]]),
    ("json_extract_array_element_text", "SELECT JSON_EXTRACT_ARRAY_ELEMENT_TEXT('[1,\"two\",3]', 1)",
     [["two"]]),
    ("json_array_length", "SELECT JSON_ARRAY_LENGTH('[1,2,3]')", [[3]]),
    ("is_valid_json", "SELECT IS_VALID_JSON('{\"a\":1}'), IS_VALID_JSON('{a')", [[True, False]]),
    ("is_valid_json_array", "SELECT IS_VALID_JSON_ARRAY('[1]'), IS_VALID_JSON_ARRAY('{}')", [[True, False]]),
    # --- casts and arithmetic
    ("cast_colon", "SELECT '12'::int + 1", [[13]]),
    ("cast_decimal", "SELECT CAST('3.5' AS decimal(4,1))", [["3.5"]]),
    ("convert_fn", "SELECT CONVERT(integer, '42')", [[42]]),
    ("cast_varchar", "SELECT 42::varchar || 'x'", [["42x"]]),
    ("integer_division", "SELECT 7 / 2, -7 / 2, 7 % 3, MOD(7, 3)", [[3, -3, 1, 1]]),
    ("float_division", "SELECT 7::float / 2", [[3.5]]),
    ("bigint_sum", "SELECT SUM(x) FROM (SELECT 2147483647 AS x UNION ALL SELECT 2147483647) AS s", [[4294967294]]),
    ("round_ceil_floor", "SELECT ROUND(2.567, 2), CEIL(1.2::float), FLOOR(-1.2::float)", [["2.57", 2, -2]]),
    # --- queries
    ("rows_frame", "SELECT x, SUM(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM "
     "(SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3) AS s ORDER BY x", [[1, 1], [2, 3], [3, 5]]),
    ("rows_unbounded", "SELECT x, SUM(x) OVER (ORDER BY x ROWS UNBOUNDED PRECEDING) FROM "
     "(SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3) AS s ORDER BY x", [[1, 1], [2, 3], [3, 6]]),
    ("lag_lead", "SELECT x, LAG(x) OVER (ORDER BY x), LEAD(x, 1, 0) OVER (ORDER BY x) FROM "
     "(SELECT 1 AS x UNION ALL SELECT 2) AS s ORDER BY x", [[1, None, 2], [2, 1, 0]]),
    ("first_value", "SELECT FIRST_VALUE(x) OVER (ORDER BY x DESC ROWS BETWEEN UNBOUNDED PRECEDING AND "
     "UNBOUNDED FOLLOWING) FROM (SELECT 1 AS x UNION ALL SELECT 2) AS s LIMIT 1", [[2]]),
    ("qualify", "SELECT g, x FROM (SELECT 1 AS g, 5 AS x UNION ALL SELECT 1, 7 UNION ALL SELECT 2, 1) AS s "
     "QUALIFY ROW_NUMBER() OVER (PARTITION BY g ORDER BY x DESC) = 1 ORDER BY g", [[1, 7], [2, 1]]),
    ("rollup", "SELECT g, SUM(x) FROM (SELECT 'a' AS g, 1 AS x UNION ALL SELECT 'b', 2) AS s GROUP BY ROLLUP(g) "
     "ORDER BY g", [["a", 1], ["b", 2], [None, 3]]),
    ("cube_grouping", "SELECT g, GROUPING(g), COUNT(*) FROM (SELECT 'a' AS g UNION ALL SELECT 'b') AS s "
     "GROUP BY CUBE(g) ORDER BY 2, 1", [["a", 0, 1], ["b", 0, 1], [None, 1, 2]]),
    ("grouping_sets", "SELECT g, h, COUNT(*) FROM (SELECT 'a' AS g, 'x' AS h UNION ALL SELECT 'b', 'x') AS s "
     "GROUP BY GROUPING SETS ((g), (h)) ORDER BY g, h", [["a", None, 1], ["b", None, 1], [None, "x", 2]]),
    ("top", "SELECT TOP 2 x FROM (SELECT 3 AS x UNION ALL SELECT 1 UNION ALL SELECT 2) AS s ORDER BY x", [[1], [2]]),
    ("nulls_order_asc", "SELECT x FROM (SELECT 1 AS x UNION ALL SELECT NULL UNION ALL SELECT 2) AS s ORDER BY x",
     [[1], [2], [None]]),
    ("nulls_order_desc", "SELECT x FROM (SELECT 1 AS x UNION ALL SELECT NULL UNION ALL SELECT 2) AS s "
     "ORDER BY x DESC", [[None], [2], [1]]),
    ("nulls_first_explicit", "SELECT x FROM (SELECT 1 AS x UNION ALL SELECT NULL) AS s ORDER BY x NULLS FIRST",
     [[None], [1]]),
    ("case_when", "SELECT CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' END", [["b"]]),
    ("greatest_least", "SELECT GREATEST(1, 5, 3), LEAST(4, 2)", [[5, 2]]),
    ("cte", "WITH a AS (SELECT 1 AS x) SELECT x + 1 FROM a", [[2]]),
    ("exists_in", "SELECT 1 WHERE EXISTS (SELECT 1) AND 2 IN (1, 2) AND 3 NOT IN (1)", [[1]]),
    ("union_minus", "SELECT 1 UNION SELECT 2 MINUS SELECT 2 ORDER BY 1", [[1]]),
    ("intersect", "SELECT 1 INTERSECT SELECT 1", [[1]]),
    ("concat_null", "SELECT CONCAT('a', NULL)", [[None]]),
    ("nvl_many", "SELECT NVL(NULL, NULL, 3)", [[3]]),
    ("trunc_column", "CREATE TABLE t (ts TIMESTAMP);\nINSERT INTO t VALUES ('2024-05-17 10:00:00');\n"
     "SELECT TRUNC(ts) FROM t", [["2024-05-17"]]),
    ("epoch_to_timestamp", "SELECT TIMESTAMP 'epoch' + 86400 * INTERVAL '1 second'", [["1970-01-02 00:00:00"]]),
    ("date_plus_int", "SELECT '2024-01-31'::date + 1", [["2024-02-01"]]),
    ("to_char_day_names", "SELECT TO_CHAR('2024-01-07'::date, 'Day'), TO_CHAR('2024-01-07'::date, 'DY'), "
     "TO_CHAR('2024-01-07 15:04:00'::timestamp, 'HH12:MI AM')", [["Sunday   ", "SUN", "03:04 PM"]]),
    # the examples of https://docs.aws.amazon.com/redshift/latest/dg/r_TO_CHAR.html
    ("to_char_docs_month_padded", "SELECT TO_CHAR(TIMESTAMP '2009-12-31 23:15:59', 'MONTH-DY-DD-YYYY HH12:MIPM')",
     [["DECEMBER -THU-31-2009 11:15PM"]]),
    ("to_char_docs_ddd_id", "SELECT TO_CHAR(TIMESTAMP '2009-12-31 23:15:59', 'DDD'), "
     "TO_CHAR(TIMESTAMP '2022-05-16 23:15:59', 'ID')", [["365", "1"]]),
    ("to_char_fill_mode", "SELECT TO_CHAR('2024-03-05'::date, 'FMMonth FMDD, YYYY')", [["March 5, 2024"]]),
    ("to_char_column", "CREATE TABLE t (ts TIMESTAMP);\nINSERT INTO t VALUES ('2024-03-05 14:07:09.123');\n"
     "SELECT TO_CHAR(ts, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS') FROM t", [["2024-03-05T14:07:09.123"]]),
    ("to_char_quarter", "SELECT TO_CHAR('2024-05-07'::date, 'YYYY-Q')", [["2024-2"]]),
    ("numeric_cast_rounds", "SELECT '3.456'::numeric(10,2)", [["3.46"]]),
    ("strtol", "SELECT STRTOL('ff', 16), STRTOL('0101', 2), STRTOL('zz', 36)", [[255, 5, 1295]]),
    ("chr_ascii", "SELECT CHR(65), ASCII('A')", [["A", 65]]),
    ("substring_from_for", "SELECT SUBSTRING('abc' FROM 2 FOR 1)", [["b"]]),
    ("ltrim_chars", "SELECT LTRIM('xxabc', 'x')", [["abc"]]),
    ("regex_operator", "SELECT 'abc' ~ '^a', 'abc' !~ 'z'", [[True, True]]),
    ("greatest_null", "SELECT GREATEST(1, NULL, 3)", [[3]]),
    ("ntile_percent_rank", "SELECT x, NTILE(2) OVER (ORDER BY x), PERCENT_RANK() OVER (ORDER BY x) FROM "
     "(SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3) AS s ORDER BY x", [[1, 1, 0], [2, 1, 0.5], [3, 2, 1]]),
    ("listagg_window", "SELECT g, LISTAGG(x, ',') WITHIN GROUP (ORDER BY x) OVER (PARTITION BY g) FROM "
     "(SELECT 1 AS g, 'a' AS x UNION ALL SELECT 1, 'b') AS s ORDER BY x", [[1, "a,b"], [1, "a,b"]]),
    ("median_window", "SELECT MEDIAN(x) OVER (PARTITION BY g) FROM (SELECT 1 AS g, 1 AS x UNION ALL "
     "SELECT 1, 2) AS s", [[1.5], [1.5]]),
    ("percentile_window", "SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x) OVER (PARTITION BY g) FROM "
     "(SELECT 1 AS g, 1 AS x UNION ALL SELECT 1, 2) AS s", [[1.5], [1.5]]),
    ("date_cmp", "SELECT DATE_CMP('2024-01-01'::date, '2024-01-02'::date), "
     "TIMESTAMP_CMP('2024-01-02 00:00:00'::timestamp, '2024-01-01 00:00:00'::timestamp)", [[-1, 1]]),
    ("sha1", "SELECT SHA1('abc'), FUNC_SHA1('abc')", [["a9993e364706816aba3e25717850c26c9cd0d89d"] * 2]),
    ("approximate_percentile", "SELECT APPROXIMATE PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY x) FROM "
     "(SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3) AS s", [[2]]),
    ("regexp_substr_i", "SELECT REGEXP_SUBSTR('ABC', 'b', 1, 1, 'i')", [["B"]]),
    ("bool_cast", "SELECT 't'::boolean, 'false'::bool", [[True, False]]),
    ("with_recursive", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) "
     "SELECT SUM(i) FROM n", [[6]]),
    ("limit_offset", "SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3) AS s ORDER BY x "
     "LIMIT 1 OFFSET 1", [[2]]),
    ("getdate_format", "SELECT LEN(GETDATE()::varchar), CURRENT_DATE::varchar LIKE '____-__-__'", [[19, True]]),
    ("date_trunc_day_getdate", "SELECT DATE_TRUNC('day', GETDATE()) = TRUNC(GETDATE())", [[True]]),
    ("dateadd_trunc_getdate", "SELECT DATEADD(day, -1, TRUNC(GETDATE())) < GETDATE()", [[True]]),
    ("epoch_column", "CREATE TABLE t (e BIGINT);\nINSERT INTO t VALUES (1704067200);\n"
     "SELECT TIMESTAMP 'epoch' + e * INTERVAL '1 second' FROM t", [["2024-01-01 00:00:00"]]),
    ("convert_timezone_column", "CREATE TABLE t (ts TIMESTAMP);\nINSERT INTO t VALUES ('2024-01-15 12:00:00');\n"
     "SELECT CONVERT_TIMEZONE('UTC', 'America/Los_Angeles', ts) FROM t", [["2024-01-15 04:00:00"]]),
    ("datediff_plural_parts", "SELECT DATEDIFF(seconds, '2024-01-01 00:00:00', '2024-01-01 00:01:30'), "
     "DATEDIFF(mins, '2024-01-01 00:00:00', '2024-01-01 01:00:00')", [[90, 60]]),
    ("dateadd_ms", "SELECT DATEADD(ms, 500, '2024-01-01 00:00:00'::timestamp)", [["2024-01-01 00:00:00.5"]]),
    ("date_part_week", "SELECT DATE_PART(w, '2024-01-10'::date), EXTRACT(week FROM '2024-01-10'::date)", [[2, 2]]),
    ("extract_dow", "SELECT EXTRACT(dow FROM '2024-01-13'::date), DATE_PART(dayofweek, '2024-01-13'::date)",
     [[6, 6]]),
    ("timestamp_plus_interval", "SELECT '2024-01-01 10:00:00'::timestamp + INTERVAL '2 hours'",
     [["2024-01-01 12:00:00"]]),
    ("decode_no_default", "SELECT DECODE('c', 'a', 1, 'b', 2)", [[None]]),
    ("coalesce_nullif_trim", "SELECT COALESCE(NULLIF(TRIM('  '), ''), 'n/a')", [["n/a"]]),
    ("substring_charindex", "SELECT SUBSTRING('me@example.com', CHARINDEX('@', 'me@example.com') + 1)",
     [["example.com"]]),
    ("regexp_substr_e", "SELECT REGEXP_SUBSTR('me@example.com', '@(.*)$', 1, 1, 'e')", [["example.com"]]),
    # Redshift reads backslash escapes in literals: its docs write regex escapes doubled
    ("regexp_replace_class", r"SELECT REGEXP_REPLACE('a   b  c', '\\s+', ' ')", [["a b c"]]),
    ("quote_ident_literal", "SELECT QUOTE_IDENT('a b'), QUOTE_LITERAL('it''s')", [['"a b"', "'it''s'"]]),
    ("listagg_no_sep", "SELECT LISTAGG(x) WITHIN GROUP (ORDER BY x) FROM (SELECT 'b' AS x UNION ALL SELECT 'a') AS s",
     [["ab"]]),
    ("listagg_no_within", "SELECT LEN(LISTAGG(x, ', ')) FROM (SELECT 'b' AS x UNION ALL SELECT 'a') AS s", [[4]]),
    ("median_grouped", "SELECT g, MEDIAN(x) FROM (SELECT 1 AS g, 1 AS x UNION ALL SELECT 1, 4 UNION ALL "
     "SELECT 2, 5) AS s GROUP BY g ORDER BY g", [[1, 2.5], [2, 5]]),
    ("joins", "SELECT a.k, b.v, c.v FROM (SELECT 1 AS k UNION ALL SELECT 2) AS a LEFT JOIN (SELECT 1 AS k, 'x' AS v) "
     "AS b USING (k) FULL OUTER JOIN (SELECT 3 AS k, 'z' AS v) AS c ON a.k = c.k WHERE a.k IS NOT NULL ORDER BY a.k",
     [[1, "x", None], [2, None, None]]),
    ("rank_functions", "SELECT x, RANK() OVER (ORDER BY x), DENSE_RANK() OVER (ORDER BY x), ROW_NUMBER() OVER "
     "(ORDER BY x) FROM (SELECT 1 AS x UNION ALL SELECT 1 UNION ALL SELECT 2) AS s ORDER BY 4",
     [[1, 1, 1, 1], [1, 1, 1, 2], [2, 3, 2, 3]]),
    ("stddev_variance", "SELECT STDDEV_SAMP(x), VAR_POP(x) FROM (SELECT 1::float AS x UNION ALL SELECT 3) AS s",
     [[1.4142135623730951, 1]]),
    ("power_operator", "SELECT 2 ^ 3, |/ 25.0", [[8, 5]]),
    ("boolean_logic", "SELECT TRUE AND NULL, TRUE OR NULL, NOT FALSE", [[None, True, True]]),
    ("in_subquery_exists", "SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 2) AS s WHERE x IN (SELECT 2) "
     "AND NOT EXISTS (SELECT 1 WHERE FALSE)", [[2]]),
    ("limit_all", "SELECT x FROM (SELECT 1 AS x) AS s LIMIT ALL", [[1]]),
    ("current_schema_user", "SELECT CURRENT_SCHEMA() IS NOT NULL, CURRENT_USER IS NOT NULL", [[True, True]]),
    ("select_into_temp_table", "SELECT 5 AS x INTO TEMP TABLE stage_t;\nSELECT x FROM stage_t", [[5]]),
    ("select_into", "SELECT 1 AS x INTO stage_into;\nSELECT x FROM stage_into", [[1]]),
    ("select_into_temp", "SELECT 2 AS x INTO TEMP stage_tmp;\nSELECT x FROM stage_tmp", [[2]]),
]

_DDL_DML: list[tuple[str, str, list[list[Any]]]] = [
    ("identity_encode_distkey", "CREATE TABLE t (id INT IDENTITY(1,1), name VARCHAR(10) ENCODE zstd, "
     "PRIMARY KEY (id)) DISTSTYLE KEY DISTKEY (id) COMPOUND SORTKEY (id);\n"
     "INSERT INTO t (name) VALUES ('a'), ('b');\nSELECT id, name FROM t ORDER BY id", [[1, "a"], [2, "b"]]),
    ("identity_seed_step", "CREATE TABLE t (id BIGINT IDENTITY(10,5), v INT);\n"
     "INSERT INTO t (v) VALUES (1), (2);\nSELECT id FROM t ORDER BY id", [[10], [15]]),
    ("generated_identity", "CREATE TABLE t (id INT GENERATED BY DEFAULT AS IDENTITY(1,1), v INT);\n"
     "INSERT INTO t (v) VALUES (7);\nINSERT INTO t (id, v) VALUES (100, 8);\nSELECT id, v FROM t ORDER BY id",
     [[1, 7], [100, 8]]),
    ("diststyle_all", "CREATE TABLE t (a INT) DISTSTYLE ALL;\nINSERT INTO t VALUES (1);\nSELECT a FROM t",
     [[1]]),
    ("diststyle_even_backup", "CREATE TABLE t (a INT) BACKUP NO DISTSTYLE EVEN;\nINSERT INTO t VALUES (1);\n"
     "SELECT a FROM t", [[1]]),
    ("diststyle_auto_sortkey_auto", "CREATE TABLE t (a INT) DISTSTYLE AUTO SORTKEY AUTO;\n"
     "INSERT INTO t VALUES (1);\nSELECT a FROM t", [[1]]),
    ("interleaved_sortkey", "CREATE TABLE t (a INT, b INT) INTERLEAVED SORTKEY (a, b);\n"
     "INSERT INTO t VALUES (1, 2);\nSELECT a, b FROM t", [[1, 2]]),
    ("column_distkey_sortkey", "CREATE TABLE t (a INT DISTKEY SORTKEY, b VARCHAR(MAX) ENCODE lzo);\n"
     "INSERT INTO t VALUES (1, 'x');\nSELECT a, b FROM t", [[1, "x"]]),
    ("default_values", "CREATE TABLE t (a INT, b INT DEFAULT 7, c VARCHAR(5) DEFAULT 'n');\n"
     "INSERT INTO t (a) VALUES (1);\nSELECT a, b, c FROM t", [[1, 7, "n"]]),
    ("create_like", "CREATE TABLE t (a INT, b VARCHAR(3)) DISTKEY (a);\nCREATE TABLE t2 (LIKE t);\n"
     "INSERT INTO t2 VALUES (1, 'x');\nSELECT a, b FROM t2", [[1, "x"]]),
    ("create_temp", "CREATE TEMP TABLE tt (a INT);\nINSERT INTO tt VALUES (3);\nSELECT a FROM tt", [[3]]),
    ("create_temporary_hash", "CREATE TABLE #tt (a INT);\nINSERT INTO #tt VALUES (4);\nSELECT a FROM #tt", [[4]]),
    ("ctas_keys", "CREATE TABLE t DISTKEY (a) SORTKEY (a) AS SELECT 1 AS a, 'x' AS b;\nSELECT a, b FROM t",
     [[1, "x"]]),
    ("ctas_diststyle_even", "CREATE TABLE t DISTSTYLE EVEN AS SELECT 2 AS a;\nSELECT a FROM t", [[2]]),
    ("ctas_temp", "CREATE TEMP TABLE t AS SELECT 3 AS a;\nSELECT a FROM t", [[3]]),
    ("alter_add_drop_rename", "CREATE TABLE t (a INT, b INT);\nINSERT INTO t VALUES (1, 2);\n"
     "ALTER TABLE t ADD COLUMN c VARCHAR(5) DEFAULT 'd';\nALTER TABLE t DROP COLUMN b;\n"
     "ALTER TABLE t RENAME COLUMN a TO z;\nALTER TABLE t RENAME TO t2;\nSELECT * FROM t2", [[1, "d"]]),
    ("alter_add_encode", "CREATE TABLE t (a INT);\nALTER TABLE t ADD COLUMN b INT ENCODE az64;\n"
     "INSERT INTO t VALUES (1, 2);\nSELECT a, b FROM t", [[1, 2]]),
    ("alter_distkey_noop", "CREATE TABLE t (a INT);\nALTER TABLE t ALTER DISTKEY a;\n"
     "ALTER TABLE t ALTER SORTKEY (a);\nINSERT INTO t VALUES (1);\nSELECT a FROM t", [[1]]),
    ("alter_append", "CREATE TABLE t (a INT, b VARCHAR(3));\nCREATE TABLE s (b VARCHAR(3), a INT);\n"
     "INSERT INTO t VALUES (1, 'x');\nINSERT INTO s VALUES ('y', 2);\nALTER TABLE t APPEND FROM s;\n"
     "SELECT (SELECT COUNT(*) FROM s), a, b FROM t ORDER BY a", [[0, 1, "x"], [0, 2, "y"]]),
    ("truncate", "CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\nTRUNCATE t;\nSELECT COUNT(*) FROM t",
     [[0]]),
    ("truncate_table", "CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\nTRUNCATE TABLE t;\n"
     "SELECT COUNT(*) FROM t", [[0]]),
    ("delete_using", "CREATE TABLE t (a INT);\nCREATE TABLE u (a INT);\nINSERT INTO t VALUES (1), (2);\n"
     "INSERT INTO u VALUES (2);\nDELETE FROM t USING u WHERE t.a = u.a;\nSELECT a FROM t", [[1]]),
    ("update_from", "CREATE TABLE t (a INT, b VARCHAR(3));\nCREATE TABLE u (a INT, b VARCHAR(3));\n"
     "INSERT INTO t VALUES (1, 'old'), (2, 'old');\nINSERT INTO u VALUES (2, 'new');\n"
     "UPDATE t SET b = u.b FROM u WHERE t.a = u.a;\nSELECT a, b FROM t ORDER BY a", [[1, "old"], [2, "new"]]),
    ("merge", "CREATE TABLE t (a INT, b VARCHAR(3));\nCREATE TABLE s (a INT, b VARCHAR(3));\n"
     "INSERT INTO t VALUES (1, 'old');\nINSERT INTO s VALUES (1, 'upd'), (2, 'ins');\n"
     "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN UPDATE SET b = s.b "
     "WHEN NOT MATCHED THEN INSERT VALUES (s.a, s.b);\nSELECT a, b FROM t ORDER BY a", [[1, "upd"], [2, "ins"]]),
    ("merge_delete", "CREATE TABLE t (a INT);\nCREATE TABLE s (a INT);\nINSERT INTO t VALUES (1), (2);\n"
     "INSERT INTO s VALUES (1);\nMERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE "
     "WHEN NOT MATCHED THEN INSERT VALUES (s.a);\nSELECT a FROM t", [[2]]),
    ("insert_select", "CREATE TABLE t (a INT, b VARCHAR(3));\n"
     "INSERT INTO t (b, a) SELECT 'x', 1 UNION ALL SELECT 'y', 2;\nSELECT a, b FROM t ORDER BY a",
     [[1, "x"], [2, "y"]]),
    ("insert_default_values", "CREATE TABLE t (a INT DEFAULT 5);\nINSERT INTO t DEFAULT VALUES;\nSELECT a FROM t",
     [[5]]),
    ("view", "CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\nCREATE OR REPLACE VIEW v AS SELECT a * 2 AS d "
     "FROM t;\nSELECT d FROM v", [[2]]),
    ("view_no_schema_binding", "CREATE SCHEMA {schema};\nCREATE TABLE {schema}.t (a INT);\n"
     "INSERT INTO {schema}.t VALUES (1);\n"
     "CREATE VIEW v AS SELECT a FROM {schema}.t WITH NO SCHEMA BINDING;\nSELECT a FROM v", [[1]]),
    ("materialized_view", "CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\n"
     "CREATE MATERIALIZED VIEW mv AS SELECT SUM(a) AS s FROM t;\nSELECT s FROM mv", [[1]]),
    ("materialized_view_keys", "CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\n"
     "CREATE MATERIALIZED VIEW mv DISTKEY (a) SORTKEY (a) AUTO REFRESH NO AS SELECT a FROM t;\n"
     "SELECT a FROM mv", [[1]]),
    ("refresh_materialized_view", "CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\n"
     "CREATE MATERIALIZED VIEW mv AS SELECT SUM(a) AS s FROM t;\nINSERT INTO t VALUES (2);\n"
     "REFRESH MATERIALIZED VIEW mv;\nSELECT s FROM mv", [[3]]),
    ("drop_cascade", "CREATE TABLE t (a INT);\nCREATE VIEW v AS SELECT a FROM t;\nDROP TABLE t CASCADE;\n"
     "CREATE TABLE t (b INT);\nSELECT COUNT(*) FROM t", [[0]]),
    ("drop_if_exists", "DROP TABLE IF EXISTS nothing_here;\nDROP VIEW IF EXISTS nothing_v;\nSELECT 1", [[1]]),
    ("comment_on", "CREATE TABLE t (a INT);\nCOMMENT ON TABLE t IS 'facts';\nCOMMENT ON COLUMN t.a IS 'id';\n"
     "SELECT 1", [[1]]),
    ("schema_qualified", "CREATE SCHEMA IF NOT EXISTS {schema};\nCREATE TABLE {schema}.t (a INT);\n"
     "INSERT INTO {schema}.t VALUES (1);\nSELECT a FROM {schema}.t", [[1]]),
    ("types", "CREATE TABLE t (a CHAR(2), b NUMERIC(12,2), c TIMESTAMPTZ, d BOOLEAN, e DOUBLE PRECISION, "
     "f REAL, g SMALLINT, h DATE, j TEXT, k BPCHAR(3), l NVARCHAR(5), m FLOAT4, n INT8, o VARCHAR(MAX), "
     "p CHARACTER VARYING(4), q DECIMAL(5), r INT2, s FLOAT);\n"
     "INSERT INTO t VALUES ('ab', 1.5, '2024-01-01 00:00:00+00', true, 1.5, 2.5, 3, '2024-01-01', 'x', 'abc', "
     "'n', 1.5, 8, 'o', 'p', 5, 2, 0.5);\nSELECT a, b, d, g, h, n, q FROM t",
     [["ab", "1.50", True, 3, "2024-01-01", 8, "5"]]),
    ("create_if_not_exists_constraints", "CREATE TABLE IF NOT EXISTS t (a INT NOT NULL, b VARCHAR(10) NOT NULL "
     "DEFAULT '', UNIQUE (a), PRIMARY KEY (a));\nCREATE TABLE IF NOT EXISTS t (a INT);\n"
     "INSERT INTO t (a) VALUES (1);\nSELECT a, b FROM t", [[1, ""]]),
    ("insert_values_default", "CREATE TABLE t (a INT, b INT DEFAULT 9);\nINSERT INTO t VALUES (1, DEFAULT), "
     "(2, 3);\nSELECT a, b FROM t ORDER BY a", [[1, 9], [2, 3]]),
    ("insert_parenthesized_select", "CREATE TABLE t (a INT);\nINSERT INTO t (SELECT 1);\nSELECT a FROM t", [[1]]),
    ("ctas_parenthesized", "CREATE TABLE t AS (SELECT 1 AS a);\nSELECT a FROM t", [[1]]),
    ("delete_without_from", "CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1), (2);\nDELETE t WHERE a = 1;\n"
     "SELECT a FROM t", [[2]]),
    ("alter_column_type", "CREATE TABLE t (a VARCHAR(2));\nALTER TABLE t ALTER COLUMN a TYPE VARCHAR(10);\n"
     "INSERT INTO t VALUES ('abcdefgh');\nSELECT a FROM t", [["abcdefgh"]]),
    ("alter_add_constraint", "CREATE TABLE t (a INT NOT NULL);\nALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY (a);\n"
     "SELECT COUNT(*) FROM t", [[0]]),
    ("drop_two_tables", "CREATE TABLE t (a INT);\nCREATE TABLE u (a INT);\nDROP TABLE t, u;\n"
     "CREATE TABLE t (b INT);\nSELECT COUNT(*) FROM t", [[0]]),
    ("vacuum_analyze", "CREATE TABLE t (a INT);\nVACUUM t;\nANALYZE t;\nVACUUM DELETE ONLY t;\n"
     "SELECT COUNT(*) FROM t", [[0]]),
    ("comment_on_view", "CREATE VIEW v AS SELECT 1 AS a;\nCOMMENT ON VIEW v IS 'one';\nSELECT a FROM v", [[1]]),
    ("drop_materialized_view", "CREATE MATERIALIZED VIEW mv AS SELECT 1 AS a;\nDROP MATERIALIZED VIEW mv;\n"
     "CREATE TABLE mv (b INT);\nSELECT COUNT(*) FROM mv", [[0]]),
    ("merge_remove_duplicates", "CREATE TABLE t (a INT, b VARCHAR(3));\nCREATE TABLE s (a INT, b VARCHAR(3));\n"
     "INSERT INTO t VALUES (1, 'old');\nINSERT INTO s VALUES (1, 'upd'), (2, 'ins');\n"
     "MERGE INTO t USING s ON t.a = s.a REMOVE DUPLICATES;\nSELECT a, b FROM t ORDER BY a",
     [[1, "upd"], [2, "ins"]]),
    ("update_alias", "CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\nUPDATE t AS x SET a = x.a + 1;\n"
     "SELECT a FROM t", [[2]]),
    ("delete_in_subquery", "CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1), (2);\n"
     "DELETE FROM t WHERE a IN (SELECT 1);\nSELECT a FROM t", [[2]]),
    ("create_like_including_defaults", "CREATE TABLE s (a INT DEFAULT 4, b INT);\n"
     "CREATE TABLE t (LIKE s INCLUDING DEFAULTS);\nINSERT INTO t (b) VALUES (1);\nSELECT a, b FROM t", [[4, 1]]),
    ("create_temp_like", "CREATE TABLE s (a INT);\nCREATE TEMPORARY TABLE t (LIKE s);\nINSERT INTO t VALUES (1);\n"
     "SELECT a FROM t", [[1]]),
    ("set_search_path", "CREATE SCHEMA {schema};\nCREATE TABLE {schema}.t (a INT);\nINSERT INTO {schema}.t VALUES (7);\n"
     "SET search_path TO {schema}, public;\nSELECT a FROM t", [[7]]),
    ("table_encode_auto", "CREATE TABLE t (a INT ENCODE raw, b VARCHAR(5) ENCODE bytedict, c INT ENCODE delta, "
     "d VARCHAR(9) ENCODE text255, e BIGINT ENCODE mostly16, f CHAR(1) ENCODE runlength) BACKUP YES ENCODE AUTO;\n"
     "INSERT INTO t VALUES (1, 'b', 3, 'd', 5, 'f');\nSELECT a, b, c, d, e, f FROM t", [[1, "b", 3, "d", 5, "f"]]),
    ("default_getdate", "CREATE TABLE t (a INT, loaded_at TIMESTAMP DEFAULT GETDATE(), d DATE DEFAULT SYSDATE);\n"
     "INSERT INTO t (a) VALUES (1);\nSELECT TRUNC(loaded_at) = CURRENT_DATE, d = CURRENT_DATE FROM t",
     [[True, True]]),
    ("identity_zero_not_null", "CREATE TABLE t (id BIGINT IDENTITY(0, 1) NOT NULL ENCODE az64, v VARCHAR(3) "
     "NOT NULL DISTKEY) SORTKEY (id, v);\nINSERT INTO t (v) SELECT 'a' UNION ALL SELECT 'b';\n"
     "SELECT MIN(id), MAX(id) FROM t", [[0, 1]]),
    ("ctas_identity_source", "CREATE TABLE s (id INT IDENTITY(1,1), v INT);\nINSERT INTO s (v) VALUES (5);\n"
     "CREATE TABLE t BACKUP NO DISTSTYLE ALL SORTKEY (id) AS SELECT id, v FROM s;\nSELECT id, v FROM t", [[1, 5]]),
    ("view_with_cte", "CREATE OR REPLACE VIEW v AS WITH c AS (SELECT 1 AS a) SELECT a FROM c;\nSELECT a FROM v", [[1]]),
    ("drop_if_exists_cascade", "CREATE TABLE t (a INT);\nCREATE VIEW v AS SELECT a FROM t;\n"
     "DROP TABLE IF EXISTS t CASCADE;\nDROP VIEW IF EXISTS v;\nSELECT 1", [[1]]),
    # https://docs.aws.amazon.com/redshift/latest/dg/r_AVG.html: BIGINT for integers
    ("avg_integer", "SELECT AVG(x), AVG(DISTINCT x), AVG(x::float) FROM (SELECT 1 AS x UNION ALL SELECT 2) AS s",
     [[1, 1, 1.5]]),
    ("avg_integer_negative_grouped", "SELECT g, AVG(x) FROM (SELECT 1 AS g, -1 AS x UNION ALL SELECT 1, -2 UNION ALL "
     "SELECT 2, 7) AS s GROUP BY g ORDER BY g", [[1, -1], [2, 7]]),
    ("avg_window", "SELECT x, AVG(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM "
     "(SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 4) AS s ORDER BY x", [[1, 1], [2, 1], [4, 3]]),
    ("avg_decimal", "SELECT AVG(x) FROM (SELECT 1.50::decimal(5,2) AS x UNION ALL SELECT 2.50) AS s", [["2.00"]]),
    ("transaction_rollback", "CREATE TABLE t (a INT);\nBEGIN;\nINSERT INTO t VALUES (1);\nROLLBACK;\n"
     "SELECT COUNT(*) FROM t", [[0]]),
    ("transaction_block", "BEGIN;\nCREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\nEND;\nSELECT a FROM t",
     [[1]]),
]

CASES = _FUNCTIONS + _DDL_DML

# What cannot run on a backend fails with a Redshift-style message naming the feature:
# (case id, backend) -> a part of that message.
_LIMITS = {
    ("percentile_window", "postgres"):
        "feature not supported on this warehouse: PERCENTILECONT as a window function",
    ("sha1", "postgres"): "feature not supported on this warehouse: SHA1 on the PostgreSQL warehouse",
    ("median_window", "postgres"): "feature not supported on this warehouse: MEDIAN as a window function",
}

# Known differences from Redshift, expected to fail until fixed (strict: a fix shows up).
_KNOWN_DIFFERENCES = {
    ("avg_decimal", "duckdb"):
        "AVG of a DECIMAL(p, s) is a DECIMAL(38, s) in Redshift; DuckDB averages decimals as doubles",
    ("create_like_including_defaults", "duckdb"):
        "CREATE TABLE (LIKE ...) on DuckDB copies column names and types only, with a notice saying so",
}

# Statements that cannot run anywhere here: (id, sql, a part of the message).
_ERRORS: list[tuple[str, str, str]] = [
    ("create_library", "CREATE LIBRARY f LANGUAGE plpythonu FROM 's3://b/f.zip' IAM_ROLE default",
     "feature not supported on this warehouse: CREATE LIBRARY"),
    ("geometry", "CREATE TABLE g (shape GEOMETRY)", "feature not supported on this warehouse: GEOMETRY"),
    ("cursor", "DECLARE c CURSOR FOR SELECT 1", "feature not supported on this warehouse: DECLARE CURSOR"),
    ("datashare", "CREATE DATASHARE s", "feature not supported on this warehouse: CREATE DATASHARE"),
    ("fnv_hash_number", "SELECT FNV_HASH(1)", "feature not supported on this warehouse: FNV_HASH of a number"),
    ("unknown_function", "SELECT no_such_function(1)", "no_such_function"),
    ("syntax", "SELECT FROM WHERE", "syntax error"),
]


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return got == want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)
    return got == want


def _rows_match(got: list[list[Any]], want: list[list[Any]]) -> bool:
    return len(got) == len(want) and all(
        len(g) == len(w) and all(_same(a, b) for a, b in zip(g, w, strict=True))
        for g, w in zip(got, want, strict=True)
    )


def _execute(h, sql: str, session: str | None) -> tuple[str, str]:
    # One Data API session per case, as a pipeline keeps one: temporary tables live in it.
    params: dict[str, Any] = {"Sql": sql}
    if session:
        params["SessionId"] = session
    else:
        params.update(ClusterIdentifier="any-cluster", Database="dev", SessionKeepAliveSeconds=60)
    out = h.api.call("ExecuteStatement", params)
    d = h.finish(out["Id"])
    assert d["Status"] == "FINISHED", f"{sql!r}: {d.get('Error')}"
    return out["Id"], out["SessionId"]


@pytest.mark.parametrize(("case", "sql", "expected"), [pytest.param(i, s, e, id=i) for i, s, e in CASES])
def test_redshift_sql(h, request: pytest.FixtureRequest, backend: str, case: str, sql: str,
                      expected: list[list[Any]]) -> None:
    if (case, backend) in _KNOWN_DIFFERENCES:
        request.applymarker(pytest.mark.xfail(strict=True, reason=_KNOWN_DIFFERENCES[case, backend]))
    schema = f"stage_{uuid.uuid4().hex[:12]}"  # schemas outlive the case on the shared server
    *setup, query = sql.replace("{schema}", schema).split(";\n")
    session = None
    try:
        for statement in setup:
            _, session = _execute(h, statement, session)
        if (case, backend) in _LIMITS:
            _assert_named_error(h, query, _LIMITS[case, backend], session)
            return
        sid, session = _execute(h, query, session)
        got, token = [], None
        while True:
            page = h.api.call("GetStatementResult", {"Id": sid, **({"NextToken": token} if token else {})})
            got += [[_value(f) for f in rec] for rec in page["Records"]]
            token = page.get("NextToken")
            if not token:
                break
    finally:
        if "{schema}" in sql:
            h.ok(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    assert _rows_match(got, expected), f"{query!r}: got {got!r}, Redshift returns {expected!r}"


@pytest.mark.parametrize(("sql", "message"), [pytest.param(s, m, id=i) for i, s, m in _ERRORS])
def test_redshift_sql_that_cannot_run(h, sql: str, message: str) -> None:
    _assert_named_error(h, sql, message, None)


def _assert_named_error(h, sql: str, message: str, session: str | None) -> None:
    params: dict[str, Any] = {"Sql": sql}
    if session:
        params["SessionId"] = session
    else:
        params.update(ClusterIdentifier="any-cluster", Database="dev")
    try:
        d = h.finish(h.api.call("ExecuteStatement", params)["Id"])
        status, error = d["Status"], d.get("Error") or ""
    except Exception as e:  # noqa: BLE001 - rejected at submission: the API error's message
        status, error = "REJECTED", str(e)
    assert status in ("FAILED", "REJECTED"), f"{sql!r} ran ({status})"
    assert message in error, f"{sql!r}: {error!r}"
    assert "Traceback" not in error


def _value(field: dict[str, Any]) -> Any:
    (kind, v), = field.items()
    return None if kind == "isNull" else v
