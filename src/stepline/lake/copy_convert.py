"""How COPY converts a text field into its column, as Redshift's COPY does: the target columns
as COPY sees them, and the SQL that cleans (empty and blank fields, NULL AS, EMPTYASNULL,
BLANKSASNULL, TRIMBLANKS), converts (DATEFORMAT/TIMEFORMAT, ACCEPTANYDATE, ROUNDEC, byte lengths,
TRUNCATECOLUMNS) and tests each field, and Redshift's error code and reason for a field that did not convert.
https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-conversion.html
https://docs.aws.amazon.com/redshift/latest/dg/r_Load_Error_Reference.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from stepline.lake.copy_options import CopyOptions, strptime_format
from stepline.lake.paths import LakeError, sql_ident, sql_literal
from stepline.sql.extensions import ExtensionContext

# 'auto' recognition: the formats of
# https://docs.aws.amazon.com/redshift/latest/dg/automatic-recognition.html that a cast does not read
AUTO_DATES = ("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%d %b %Y", "%b %d %Y",
               "%b %d, %Y", "%d-%b-%Y", "%B %d, %Y", "%d %B %Y", "%m/%d/%y", "%Y-%m-%dT%H:%M:%S")
AUTO_TIMES = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%Y/%m/%d %H:%M:%S", "%Y%m%d %H:%M:%S",
               "%Y%m%d%H%M%S", "%d %b %Y %H:%M:%S", "%b %d %Y %H:%M:%S", "%d-%b-%Y %H:%M:%S",
               "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%m/%d/%Y %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S.%f")


@dataclass(frozen=True, slots=True)
class Column:
    """A target column as COPY converts into it."""

    name: str
    kind: str  # varchar char int2 int4 int8 numeric float4 float8 bool date timestamp timestamptz time other
    duck: str  # the DuckDB type of the converted value
    length: int | None = None  # character columns: the declared length in bytes
    precision: int = 18
    scale: int = 0

    @property
    def character(self) -> bool:
        return self.kind in ("varchar", "char")

    @property
    def redshift_type(self) -> str:  # STL_LOAD_ERRORS.type
        return {"varchar": "varchar", "char": "char", "float4": "float4", "float8": "float8", "bool": "bool",
                "numeric": "numeric", "date": "date", "timestamp": "timestamp", "timestamptz": "timestamptz",
                "time": "time"}.get(self.kind, self.kind if self.kind.startswith("int") else "unknown")

    @property
    def col_length(self) -> str:  # STL_LOAD_ERRORS.col_length
        if self.character:
            return str(self.length) if self.length is not None else "0"
        return f"{self.precision},{self.scale}" if self.kind == "numeric" else "0"


_CHAR = re.compile(r"^(character varying|varchar|nvarchar|text|character|char|nchar|bpchar)(?:\s*\((\d+)\))?$")
_DECIMAL = re.compile(r"^(?:numeric|decimal)(?:\((\d+),\s*(\d+)\))?$")
_SIMPLE = {"smallint": ("int2", "SMALLINT"), "int2": ("int2", "SMALLINT"), "integer": ("int4", "INTEGER"),
           "int": ("int4", "INTEGER"), "int4": ("int4", "INTEGER"), "bigint": ("int8", "BIGINT"),
           "int8": ("int8", "BIGINT"), "real": ("float4", "FLOAT"), "float": ("float4", "FLOAT"),
           "float4": ("float4", "FLOAT"), "double precision": ("float8", "DOUBLE"), "double": ("float8", "DOUBLE"),
           "float8": ("float8", "DOUBLE"), "boolean": ("bool", "BOOLEAN"), "bool": ("bool", "BOOLEAN"),
           "date": ("date", "DATE"), "timestamp": ("timestamp", "TIMESTAMP"),
           "timestamp without time zone": ("timestamp", "TIMESTAMP"),
           "timestamp with time zone": ("timestamptz", "TIMESTAMPTZ"), "timestamptz": ("timestamptz", "TIMESTAMPTZ"),
           "time": ("time", "TIME"), "time without time zone": ("time", "TIME")}


def column_for(name: str, type_text: str, backend: str) -> Column:
    """The COPY view of a column from its type's text (PostgreSQL's ``format_type``, DuckDB's
    ``data_type``, or the Redshift type the statement service recorded for it)."""
    t = type_text.strip().lower()
    m = _CHAR.match(t)
    if m:
        kind = "char" if m.group(1) in ("character", "char", "nchar", "bpchar") else "varchar"
        length = int(m.group(2)) if m.group(2) else (1 if kind == "char" and m.group(1) != "bpchar" else None)
        return Column(name, kind, "VARCHAR", length)
    m = _DECIMAL.match(t)
    if m:
        p, s = (int(m.group(1)), int(m.group(2))) if m.group(1) else (18, 0)
        if m.group(1) is None and backend == "postgres":  # unconstrained numeric: the server parses it
            return Column(name, "other", "VARCHAR")
        if p > 38:  # wider than DuckDB's DECIMAL: the server parses it from its text
            return Column(name, "other", "VARCHAR")
        return Column(name, "numeric", f"DECIMAL({p},{s})", precision=p, scale=s)
    if t in _SIMPLE:
        kind, duck = _SIMPLE[t]
        return Column(name, kind, duck)
    # anything else: the text goes to the backend, which converts it (a failure fails the COPY)
    return Column(name, "other", type_text.upper() if backend == "duckdb" else "VARCHAR")


def target_columns(ctx: ExtensionContext, table: tuple[str, ...]) -> list[Column]:
    """The target table's columns. PostgreSQL keeps declared lengths in its catalog; DuckDB does not,
    so there the Redshift types the statement service recorded at CREATE TABLE give them."""
    if ctx.dialect == "postgres":
        rows = ctx.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            [".".join(sql_ident(p) for p in table)]).fetchall()
        if not rows:
            raise LakeError(f"relation \"{'.'.join(table)}\" does not exist")
        return [column_for(str(n), str(t), "postgres") for n, t in rows]
    schema, name = (table[-2], table[-1]) if len(table) >= 2 else (None, table[-1])
    if schema is None:
        schema = str(ctx.execute("SELECT current_schema()").fetchone()[0])
    rows = ctx.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                       "AND table_schema = ? ORDER BY ordinal_position", [name, schema]).fetchall()
    if not rows:
        raise LakeError(f"relation \"{'.'.join(table)}\" does not exist")
    recorded: dict[str, str] = {}
    if ctx.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'stepline_sys' "
                   "AND table_name = 'column_attributes'").fetchone()[0]:
        recorded = {str(c): str(t) for c, t in ctx.execute(
            "SELECT column_name, redshift_type FROM stepline_sys.column_attributes "
            "WHERE schema_name = ? AND table_name = ?", [schema, name]).fetchall()}
    out = []
    for n, t in rows:
        declared = recorded.get(str(n))
        character = declared is not None and _CHAR.match(declared.lower()) and str(t).upper() == "VARCHAR"
        out.append(column_for(str(n), declared if character else str(t), "duckdb"))
    return out


def fit_bytes(value: str, n: int) -> str:
    """``value`` cut to at most ``n`` bytes of UTF-8 without splitting a character (TRUNCATECOLUMNS):
    the longest prefix whose byte length fits, found bit by bit."""
    step = "lambda k, b: CASE WHEN strlen(left({v}, k + (1 << b))) <= {n} THEN k + (1 << b) ELSE k END"
    return (f"CASE WHEN strlen({value}) > {n} THEN left({value}, list_reduce(range({max(n, 1).bit_length()}, -1, -1), "
            f"{step.format(v=value, n=n)}, 0)) ELSE {value} END")


_BLANK = r"'\s*'"
_TRUE = "('t', 'true', 'y', 'yes', '1', 'on')"
_FALSE = "('f', 'false', 'n', 'no', '0', 'off')"


def reader_nulls(o: CopyOptions) -> bool:
    """Whether DuckDB's reader gives NULL for a field equal to NULL AS (its ``nullstr``, quoted or
    not, as the conversion compares them), and for no other field. Not with FILLRECORD, whose added
    fields are NULL too but load by their column's rules, nor for a marker DuckDB refuses (one
    holding the delimiter or the quote); then the reader gives every field as text."""
    return (o.format == "csv" and not o.fillrecord and o.delimiter not in o.null_as
            and not (o.csv_quotes and o.quote in o.null_as))


# A blank field of these types never converts, so its test for blankness (a regular expression)
# waits until the field has failed to convert: most fields never pay for it.
_BLANK_FAILS = ("int2", "int4", "int8", "numeric", "float4", "float8")


def _clean(col: Column, raw: str, o: CopyOptions) -> str:
    """The field's text after the empty/blank/NULL AS rules, NULL when it loads as NULL. ``raw`` is
    NULL for the NULL AS marker when ``reader_nulls``; otherwise only for a field FILLRECORD added
    (text) or a JSON null or missing key."""
    text = o.format == "csv"
    nulls = reader_nulls(o)
    rules = [f"WHEN {raw} = {sql_literal(o.null_as)} THEN NULL"] if text and not nulls else []
    if not col.character:  # empty and blank fields of other types always load as NULL
        if col.kind not in _BLANK_FAILS:
            rules.append(f"WHEN regexp_full_match({raw}, {_BLANK}) THEN NULL")
        return f"CASE {' '.join(rules)} ELSE {raw} END" if rules else raw
    # FILLRECORD fills a VARCHAR with a zero-length string (NULL with EMPTYASNULL or NULL AS ''), a CHAR with NULL
    missing = "''" if text and not nulls and col.kind == "varchar" and not o.emptyasnull and o.null_as != "" else "NULL"
    if missing != "NULL":
        rules.insert(0, f"WHEN {raw} IS NULL THEN {missing}")
    if o.emptyasnull:
        rules.append(f"WHEN {raw} = '' THEN NULL")
    if o.blanksasnull:
        rules.append(rf"WHEN regexp_full_match({raw}, '\s+') THEN NULL")  # empty fields are EMPTYASNULL's
    kept = f"rtrim({raw})" if o.trimblanks and col.kind == "varchar" else raw
    return f"CASE {' '.join(rules)} ELSE {kept} END" if rules else kept


def _typed(col: Column, v: str, o: CopyOptions, backend: str) -> str:
    """The converted value of the cleaned text ``v``; NULL when it does not convert."""
    t = f"trim({v})"
    k = col.kind
    # a cast reads more than Redshift's default formats do ('01/05/24' as year 1): year first
    iso = rf"regexp_matches({t}, '^\d{{4}}-\d{{1,2}}-\d{{1,2}}')"
    if col.character:
        return fit_bytes(v, col.length) if o.truncatecolumns and col.length is not None else v
    if k in ("int2", "int4", "int8"):
        return rf"CASE WHEN regexp_full_match({t}, '[-+]?\d+') THEN TRY_CAST({t} AS {col.duck}) END"
    # DuckDB's casts read '1_000' as 1000; Redshift rejects digit separators
    plain = f"NOT contains({t}, '_')"
    if k == "numeric":
        if o.roundec or col.scale < 0:
            return f"CASE WHEN {plain} THEN TRY_CAST({t} AS {col.duck}) END"
        # COPY truncates extra digits of scale unless ROUNDEC (a cast would round)
        cut = (rf"regexp_replace({t}, '^([-+]?\d*\.\d{{{col.scale}}})\d+$', '\1')" if col.scale
               else rf"regexp_replace({t}, '^([-+]?\d+)\.\d*$', '\1')")
        return f"CASE WHEN {plain} THEN TRY_CAST({cut} AS {col.duck}) END"
    if k in ("float4", "float8"):
        return f"CASE WHEN {plain} THEN TRY_CAST({t} AS {col.duck}) END"
    if k == "bool":
        return f"CASE WHEN lower({t}) IN {_TRUE} THEN true WHEN lower({t}) IN {_FALSE} THEN false END"
    if k == "date":
        fmt = o.dateformat
        if fmt is None:
            return f"CASE WHEN {iso} THEN coalesce(TRY_CAST({t} AS DATE), CAST(TRY_CAST({t} AS TIMESTAMP) AS DATE)) END"
        if fmt == "auto":
            auto = "[" + ", ".join(sql_literal(f) for f in AUTO_DATES) + "]"
            return (f"coalesce(CASE WHEN {iso} THEN coalesce(TRY_CAST({t} AS DATE), "
                    f"CAST(TRY_CAST({t} AS TIMESTAMP) AS DATE)) END, CAST(try_strptime({t}, {auto}) AS DATE))")
        return f"CAST(try_strptime({t}, {_formats(fmt, 'DATEFORMAT')}) AS DATE)"
    if k in ("timestamp", "timestamptz"):
        fmt = o.timeformat
        if fmt in ("epochsecs", "epochmillisecs"):
            scale = 1_000_000 if fmt == "epochsecs" else 1_000
            value = (rf"CASE WHEN regexp_full_match({t}, '[-+]?\d+(\.\d+)?') THEN "
                     f"make_timestamp(CAST(CAST({t} AS DOUBLE) * {scale} AS BIGINT)) END")
        elif fmt is None:
            value = f"CASE WHEN {iso} THEN TRY_CAST({t} AS {col.duck}) END"
        elif fmt == "auto":
            auto = "[" + ", ".join(sql_literal(f) for f in AUTO_TIMES + AUTO_DATES) + "]"
            value = (f"coalesce(CASE WHEN {iso} THEN TRY_CAST({t} AS {col.duck}) END, "
                     f"CAST(try_strptime({t}, {auto}) AS {col.duck}))")
        else:
            value = f"try_strptime({t}, {_formats(fmt, 'TIMEFORMAT')})"
        return f"CAST({value} AS {col.duck})"
    if k == "time":
        return f"TRY_CAST({t} AS TIME)"
    # other types: DuckDB converts them here; on PostgreSQL the server does
    return f"TRY_CAST({v} AS {col.duck})" if backend == "duckdb" else v


def _formats(fmt: str, what: str) -> str:
    code = strptime_format(fmt, what)
    forms = [code] + ([code + ".%f"] if code.endswith("%S") else [])
    return "[" + ", ".join(sql_literal(f) for f in forms) + "]"


def _failed(col: Column, v: str, value: str, o: CopyOptions) -> str:
    """True when the field is rejected: it has text that does not convert, or is too long."""
    if col.character:
        if col.length is None or o.truncatecolumns:
            return "false"
        return f"coalesce(strlen({v}) > {col.length}, false)"
    if o.acceptanydate and col.kind in ("date", "timestamp", "timestamptz"):
        return "false"  # ACCEPTANYDATE: a date that does not match loads as NULL
    if col.kind in _BLANK_FAILS:
        return f"({value} IS NULL AND {v} IS NOT NULL AND NOT regexp_full_match({v}, {_BLANK}))"
    return f"({v} IS NOT NULL AND {value} IS NULL)"


def conversion_stages(reader_sql: str, target: list[Column], o: CopyOptions, backend: str) -> tuple[str, list[str], str]:
    """(the relation of raw fields r<i>, cleaned texts v<i> and converted values x<i>, the value
    columns, the expression of the first rejected field's index or NULL)."""
    cleaned = ", ".join(f"{_clean(c, f'r{i}', o)} AS v{i}" for i, c in enumerate(target))
    typed = ", ".join(f"{_typed(c, f'v{i}', o, backend)} AS x{i}" for i, c in enumerate(target))
    relation = f"(SELECT *, {typed} FROM (SELECT *, {cleaned} FROM {reader_sql}))"
    tests = [_failed(c, f"v{i}", f"x{i}", o) for i, c in enumerate(target)]
    first = "CASE " + " ".join(f"WHEN {x} THEN {i}" for i, x in enumerate(tests) if x != "false")
    first = first + " END" if first != "CASE " else "CAST(NULL AS INTEGER)"
    return relation, [f"x{i}" for i in range(len(target))], first


_INT_NAMES = {"int2": ("Short", 16), "int4": ("Integer", 32), "int8": ("Long", 64)}


def reject_reason(c: Column, value: str, o: CopyOptions) -> tuple[int, str, int]:
    """Redshift's (err_code, err_reason, position) for a field that did not convert."""
    s = value.strip()
    if c.character:
        return 1204, "String length exceeds DDL length", 0
    if c.kind in _INT_NAMES:
        name, bits = _INT_NAMES[c.kind]
        if re.fullmatch(r"[-+]?\d+", s):
            return 1222, (f"Overflow, Value '{s[:100]}' out of range for type {name} "
                          f"({-(1 << (bits - 1))} to {(1 << (bits - 1)) - 1})"), 0
        pos = _invalid_digit(s, decimal=False)
        return 1207, f"Invalid digit, Value '{s[pos:pos + 1]}', Pos {pos}, Type: {name}", pos
    if c.kind == "numeric":
        try:
            Decimal(s)
        except InvalidOperation:
            pos = _invalid_digit(s, decimal=True)
            return 1207, f"Invalid digit, Value '{s[pos:pos + 1]}', Pos {pos}, Type: Decimal", pos
        return 1204, f"Numeric data overflow (result precision), Value '{s[:60]}', Type: numeric({c.precision},{c.scale})", 0
    if c.kind in ("float4", "float8"):
        pos = _invalid_digit(s, decimal=True)
        return 1208, (f"Invalid digit, Value '{s[pos:pos + 1]}', Pos {pos}, "
                      f"Type: {'Float' if c.kind == 'float4' else 'Double'}"), pos
    if c.kind == "bool":
        return 1210, f"Invalid boolean value, Value '{s[:60]}'", 0
    if c.kind == "date":
        if o.dateformat is None and len(s) < 10:
            return 1205, "Invalid Date Format - length must be 10 or more", 0
        return 1205, f"Invalid date format - the value does not match [{o.dateformat or 'YYYY-MM-DD'}]", 0
    if c.kind in ("timestamp", "timestamptz", "time"):
        return 1206, f"Invalid timestamp format or value [{o.timeformat or 'YYYY-MM-DD HH24:MI:SS'}]", 0
    return 1216, f"Invalid input for the column's type, Value '{s[:60]}'", 0


def _invalid_digit(s: str, *, decimal: bool) -> int:
    allowed = set("0123456789")
    for i, ch in enumerate(s):
        if ch in allowed or (i == 0 and ch in "+-") or (decimal and ch in ".eE"):
            continue
        return i
    return 0
