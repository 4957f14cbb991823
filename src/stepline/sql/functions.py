"""Redshift functions and types rewritten for the backend, as tree transforms.

sqlglot already transpiles most of Redshift's functions; this module fixes the ones whose
result would differ from Redshift's (DATEDIFF counts boundaries, GETDATE is UTC without time
zone, LISTAGG on PostgreSQL, ...) and maps the types. Each rewrite is checked against real
DuckDB and PostgreSQL by the fixtures in tests/sql/fixtures/translate/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp

from stepline.sql.dialects import WRITE, AddMonths, GetDate, ToChar


class UnsupportedFeature(Exception):
    """Raised by a rewrite for a Redshift feature the backend cannot run (names the feature)."""


_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400, "WEEK": 604800}
_UNSUPPORTED_TYPES = {"GEOMETRY", "GEOGRAPHY", "HLLSKETCH"}


def _template(sql: str, dialect: str, **subs: exp.Expr) -> exp.Expr:
    """Parse ``sql`` in the backend dialect and put the subtrees in place of ``__name`` columns."""
    tree = sqlglot.parse_one(sql, read=WRITE[dialect])

    def put(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and node.name.startswith("__"):
            return subs[node.name[2:]].copy()
        return node

    return tree.transform(put)


def _unit(node: exp.Expr) -> str:
    unit = node.args.get("unit")
    name = unit.name.upper() if unit is not None else "DAY"
    return {"SECONDS": "SECOND", "MINUTES": "MINUTE", "HOURS": "HOUR", "DAYS": "DAY"}.get(
        name, name
    )


def _datediff(node: exp.Expr, dialect: str) -> exp.Expr:
    # Redshift counts the boundaries crossed between the two values (weeks start on Monday).
    # https://docs.aws.amazon.com/redshift/latest/dg/r_DATEDIFF_function.html
    unit = _unit(node)
    a = exp.cast(node.expression, "timestamp")
    b = exp.cast(node.this, "timestamp")
    if dialect == "duckdb":
        if unit == "WEEK":
            return _template(
                "CAST(date_diff('day', date_trunc('week', __a), date_trunc('week', __b)) / 7 "
                "AS BIGINT)",
                dialect,
                a=a,
                b=b,
            )
        return exp.Anonymous(this="date_diff", expressions=[exp.Literal.string(unit), a, b])
    if unit in _SECONDS:
        return _template(
            f"CAST((EXTRACT(EPOCH FROM date_trunc('{unit.lower()}', __b)) - "
            f"EXTRACT(EPOCH FROM date_trunc('{unit.lower()}', __a))) / {_SECONDS[unit]} "
            "AS BIGINT)",
            dialect,
            a=a,
            b=b,
        )
    months = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}.get(unit)
    if months is not None:
        per = {"MONTH": "EXTRACT(MONTH FROM {x}) - 1", "QUARTER": "EXTRACT(QUARTER FROM {x}) - 1",
               "YEAR": "0"}[unit]
        count = 12 // months
        idx = "(EXTRACT(YEAR FROM {x}) * " + str(count) + " + " + per + ")"
        return _template(
            f"CAST({idx.format(x='__b')} - {idx.format(x='__a')} AS BIGINT)", dialect, a=a, b=b
        )
    if unit in ("MILLISECOND", "MICROSECOND"):
        factor = 1000 if unit == "MILLISECOND" else 1000000
        return _template(
            f"CAST(FLOOR(EXTRACT(EPOCH FROM __b) * {factor}) - "
            f"FLOOR(EXTRACT(EPOCH FROM __a) * {factor}) AS BIGINT)",
            dialect,
            a=a,
            b=b,
        )
    raise UnsupportedFeature(f"DATEDIFF with date part {unit.lower()}")


def _utc_now(dialect: str) -> exp.Expr:
    now = exp.AtTimeZone(this=exp.CurrentTimestamp(), zone=exp.Literal.string("UTC"))
    return exp.cast(now, "timestamp") if dialect == "duckdb" else exp.paren(now)


def _getdate(node: exp.Expr, dialect: str) -> exp.Expr:
    return exp.cast(
        exp.TimestampTrunc(this=_utc_now(dialect), unit=exp.var("SECOND")), "timestamp"
    )


def _sysdate(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # SYSDATE: the transaction's start in UTC, without time zone (CURRENT_TIMESTAMP keeps its zone).
    if node.args.get("sysdate"):
        return _utc_now(dialect)
    return None


def _listagg(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # LISTAGG(x, sep) WITHIN GROUP (ORDER BY ...) -> STRING_AGG(x::text, sep ORDER BY ...)
    if isinstance(node, exp.GroupConcat) and isinstance(node.parent, exp.WithinGroup):
        return None  # rewritten with its WITHIN GROUP
    group = node.this if isinstance(node, exp.WithinGroup) else node
    if not isinstance(group, exp.GroupConcat):
        return None
    value = group.this
    distinct = isinstance(value, exp.Distinct)
    sep = group.args.get("separator") or exp.Literal.string("")
    if distinct:
        # LISTAGG(DISTINCT x, sep) parses as DISTINCT over (x, sep)
        parts = value.expressions
        if len(parts) == 2 and group.args.get("separator") is None:
            sep = parts[1]
        value = parts[0]
    if dialect != "postgres":
        if group.args.get("separator") is None and not distinct:
            # Redshift's default delimiter is none; DuckDB's a comma
            out = group.copy()
            out.set("separator", exp.Literal.string(""))
            if isinstance(node, exp.WithinGroup):
                whole = node.copy()
                whole.set("this", out)
                return whole
            return out
        if not distinct:
            return None
        # DuckDB wants DISTINCT's ORDER BY on the aggregated value itself: no cast
        text = value
    else:
        text = exp.cast(value, "text")
    if isinstance(node, exp.WithinGroup):
        sep = exp.Order(this=sep, expressions=node.expression.expressions)
    args: list[exp.Expr] = [exp.Distinct(expressions=[text]) if distinct else text, sep]
    return exp.Anonymous(this="string_agg", expressions=args)


def _approx(node: exp.Expr, dialect: str) -> exp.Expr | None:
    if dialect == "postgres":
        return exp.Count(this=exp.Distinct(expressions=[node.this]))
    return None


def _regexp_substr(node: exp.Expr, dialect: str) -> exp.Expr | None:
    if dialect == "duckdb":
        return _regexp_substr_duckdb(node)
    args = [node.this, node.expression]
    for key in ("position", "occurrence"):
        if node.args.get(key) is not None:
            args.append(node.args[key])
    params = node.args.get("parameters")
    if isinstance(params, exp.Literal):
        # PostgreSQL knows the c/i flags; Redshift's 'e' is its sixth argument (subexpr 1)
        flags = params.name
        while len(args) < 4:
            args.append(exp.Literal.number(1))
        args.append(exp.Literal.string("".join(f for f in flags if f in "ic")))
        if "e" in flags:
            args.append(exp.Literal.number(1))
    # Redshift returns an empty string when nothing matches; PostgreSQL returns NULL.
    # https://docs.aws.amazon.com/redshift/latest/dg/REGEXP_SUBSTR.html
    call = exp.Anonymous(this="regexp_substr", expressions=args)
    empty = exp.Case(ifs=[exp.If(this=exp.not_(exp.Is(this=node.this.copy(), expression=exp.Null())),
                                 true=exp.Literal.string(""))])
    return exp.Coalesce(this=call, expressions=[empty])


def _regexp_substr_duckdb(node: exp.Expr) -> exp.Expr | None:
    pos, occ, params = (node.args.get(k) for k in ("position", "occurrence", "parameters"))
    if pos is None and occ is None and params is None:
        return None  # DuckDB's REGEXP_EXTRACT already gives '' when nothing matches
    source = node.this.copy()
    if pos is not None:
        source = exp.Substring(this=source, start=pos.copy())
    flags = params.name if isinstance(params, exp.Literal) else ""
    args: list[exp.Expr] = [source, node.expression.copy(),
                            exp.Literal.number(1 if "e" in flags else 0)]
    options = "".join(f for f in flags if f in "ic")
    if options:
        args.append(exp.Literal.string(options))
    matches = exp.Anonymous(this="regexp_extract_all", expressions=args)
    nth = exp.Anonymous(this="list_extract",
                        expressions=[matches, occ.copy() if occ is not None else exp.Literal.number(1)])
    empty = exp.Case(ifs=[exp.If(this=exp.not_(exp.Is(this=node.this.copy(), expression=exp.Null())),
                                 true=exp.Literal.string(""))])
    return exp.Coalesce(this=nth, expressions=[empty])


def _trunc(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # TRUNC(timestamp) is a date in Redshift; applied only where the argument is a timestamp.
    arg = node.this
    inner = arg.this if isinstance(arg, exp.Paren) else arg
    if node.args.get("decimals") is None and isinstance(
        inner, (exp.CurrentTimestamp, GetDate, exp.CurrentDate, exp.AtTimeZone)
    ) or (isinstance(arg, exp.Cast) and arg.to.is_type("timestamp", "timestamptz", "date")):
        return exp.cast(arg, "date")
    if node.args.get("decimals") is None and isinstance(arg, exp.Column):
        # a column of unknown type: a function overloaded for timestamps (a date) and numbers
        return exp.Anonymous(this=TRUNC_FUNCTION[dialect], expressions=[arg.copy()])
    return None


#: TRUNC(x) for a value whose type is known only when it runs (created on every connection).
TRUNC_FUNCTION = {"duckdb": "stepline_trunc", "postgres": "stepline_fn.trunc"}
DUCKDB_FUNCTIONS = (
    "CREATE OR REPLACE TEMP MACRO stepline_trunc(x TIMESTAMP) AS CAST(x AS DATE), "
    "(x TIMESTAMPTZ) AS CAST(x AS DATE), (x DATE) AS x, (x BIGINT) AS x, (x DOUBLE) AS trunc(x)",
)


def _similar_to(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # DuckDB's SIMILAR TO takes a regular expression; translate the SQL pattern.
    if dialect != "duckdb" or not isinstance(node.expression, exp.Literal):
        return None
    out, chars, i = [], node.expression.this, 0
    while i < len(chars):
        ch = chars[i]
        if ch == "\\" and i + 1 < len(chars):
            out.append("\\" + chars[i + 1])
            i += 2
            continue
        out.append({"%": ".*", "_": ".", ".": "\\."}.get(ch, ch))
        i += 1
    return exp.SimilarTo(this=node.this, expression=exp.Literal.string("".join(out)))


def _datatype(node: exp.Expr, dialect: str) -> exp.Expr | None:
    name = node.this.name if hasattr(node.this, "name") else str(node.this)
    text = node.sql("redshift").upper()
    if any(text.startswith(t) for t in _UNSUPPORTED_TYPES):
        raise UnsupportedFeature(f"{text.split('(')[0]} data type")
    if node.is_type("super") or text.startswith("SUPER"):
        return exp.DataType.build("json" if dialect == "duckdb" else "jsonb")
    if node.is_type("varbinary", "binary", "blob") or text.startswith("VARBYTE"):
        return exp.DataType.build("blob" if dialect == "duckdb" else "bytea")
    params = node.expressions
    if params and any(p.name.upper() == "MAX" for p in params):
        return exp.DataType.build("varchar")
    if dialect == "duckdb" and node.is_type("varchar", "text", "char", "bpchar", "nchar"):
        return exp.DataType.build("varchar")
    del name
    return None


_PARTS = {"DAYOFWEEK": "DOW", "DAYOFYEAR": "DOY", "WEEKDAY": "DOW", "DW": "DOW", "DY": "DOY"}

# Redshift's abbreviations of date parts, as both backends name them.
# https://docs.aws.amazon.com/redshift/latest/dg/r_Dateparts_for_datetime_functions.html
_DATEPART_NAMES = {
    "MILLENNIA": "MILLENNIUM", "MILLENNIUMS": "MILLENNIUM", "MIL": "MILLENNIUM", "MILS": "MILLENNIUM",
    "CENTURIES": "CENTURY", "C": "CENTURY", "CENT": "CENTURY", "CENTS": "CENTURY",
    "DECADES": "DECADE", "DEC": "DECADE", "DECS": "DECADE",
    "YEARS": "YEAR", "Y": "YEAR", "YR": "YEAR", "YRS": "YEAR",
    "QUARTERS": "QUARTER", "QTR": "QUARTER", "QTRS": "QUARTER",
    "MONTHS": "MONTH", "MON": "MONTH", "MONS": "MONTH",
    "WEEKS": "WEEK", "W": "WEEK",
    "DAYS": "DAY", "D": "DAY",
    "HOURS": "HOUR", "H": "HOUR", "HR": "HOUR", "HRS": "HOUR",
    "MINUTES": "MINUTE", "M": "MINUTE", "MIN": "MINUTE", "MINS": "MINUTE",
    "SECONDS": "SECOND", "S": "SECOND", "SEC": "SECOND", "SECS": "SECOND",
    "MILLISECONDS": "MILLISECOND", "MS": "MILLISECOND", "MSEC": "MILLISECOND", "MSECS": "MILLISECOND",
    "MSECOND": "MILLISECOND", "MSECONDS": "MILLISECOND", "MILLISEC": "MILLISECOND",
    "MILLISECS": "MILLISECOND", "MILLISECON": "MILLISECOND",
    "MICROSECONDS": "MICROSECOND", "MICROSEC": "MICROSECOND", "MICROSECS": "MICROSECOND",
    "MICROSECOND": "MICROSECOND", "USECOND": "MICROSECOND", "USECONDS": "MICROSECOND",
    "US": "MICROSECOND", "USEC": "MICROSECOND", "USECS": "MICROSECOND",
}
# Parts whose value has a fraction (or exceeds an integer's range): a double, else an integer.
_FRACTIONAL_PARTS = {"EPOCH", "SECOND", "MILLISECOND", "MICROSECOND", "MILLISECONDS",
                     "MICROSECONDS"}


def _part_name(name: str) -> str:
    upper = name.upper()
    return _PARTS.get(upper) or _DATEPART_NAMES.get(upper, upper)


def _extract(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # DATEPART(dow, x): Sunday is 0 as in PostgreSQL; both backends spell it DOW.
    part = _part_name(node.this.name)
    out = exp.Extract(this=exp.var(part), expression=node.expression)
    if dialect == "postgres" and not isinstance(node.parent, exp.Cast):
        # PostgreSQL's EXTRACT is numeric (a decimal string in the Data API); Redshift's a number.
        return exp.cast(out, "double" if part in _FRACTIONAL_PARTS else "bigint")
    return out if part != node.this.name.upper() else None


def _regexp_replace(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # Redshift replaces every match; both backends replace the first unless given 'g'.
    if node.args.get("modifiers") is not None or node.args.get("position") is not None:
        return None
    node = node.copy()
    if node.args.get("replacement") is None:
        node.set("replacement", exp.Literal.string(""))
    node.set("modifiers", exp.Literal.string("g"))
    return node


_NUMBER_FORMAT = re.compile(r"(FM)?([90]+)(?:\.([90]+))?")


def _to_char_number(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # TO_CHAR(number, '999.99'): PostgreSQL has it; DuckDB gets printf with the same padding
    # (one position for the sign). https://docs.aws.amazon.com/redshift/latest/dg/r_Numeric_formating.html
    fmt = node.args.get("format")
    if dialect != "duckdb" or not isinstance(fmt, exp.Literal) or "%" in fmt.name:
        return None
    m = _NUMBER_FORMAT.fullmatch(fmt.name)
    if m is None or (m.group(1) and "9" in (m.group(3) or "")):
        raise UnsupportedFeature(f"TO_CHAR with the numeric format '{fmt.name}'")
    fm, whole, frac = m.group(1), m.group(2), m.group(3) or ""
    width = "" if fm else str(len(whole) + (len(frac) + 1 if frac else 0) + 1)
    flags = "" if fm else (" 0" if whole.startswith("0") else "")
    spec = f"%{flags}{width}.{len(frac)}f"
    value = exp.cast(node.this, "double")
    return exp.Anonymous(this="printf", expressions=[exp.Literal.string(spec), value])


# Datetime format elements -> a strftime piece, or an SQL piece over __x (DuckDB).
# https://docs.aws.amazon.com/redshift/latest/dg/r_FORMAT_strings.html
_NAME_PIECES = {  # element -> (strftime, case, pad to 9)
    "MONTH": ("%B", "upper", True), "Month": ("%B", None, True), "month": ("%B", "lower", True),
    "MON": ("%b", "upper", False), "Mon": ("%b", None, False), "mon": ("%b", "lower", False),
    "DAY": ("%A", "upper", True), "Day": ("%A", None, True), "day": ("%A", "lower", True),
    "DY": ("%a", "upper", False), "Dy": ("%a", None, False), "dy": ("%a", "lower", False),
}
_STRFTIME_PIECES = {  # element -> (padded, FM: unpadded)
    "YYYY": ("%Y", "%Y"), "IYYY": ("%G", "%G"), "YY": ("%y", "%y"), "DDD": ("%j", "%-j"),
    "DD": ("%d", "%-d"), "MM": ("%m", "%-m"), "HH24": ("%H", "%-H"), "HH12": ("%I", "%-I"),
    "HH": ("%I", "%-I"), "MI": ("%M", "%-M"), "SS": ("%S", "%-S"), "MS": ("%g", "%g"),
    "US": ("%f", "%f"), "AM": ("%p", "%p"), "PM": ("%p", "%p"), "IW": ("%V", "%-V"),
    "TZ": ("%Z", "%Z"),
}
_SQL_PIECES = {
    "am": "lower(strftime(__x, '%p'))", "pm": "lower(strftime(__x, '%p'))",
    "Q": "CAST(quarter(__x) AS VARCHAR)", "D": "CAST(dayofweek(__x) + 1 AS VARCHAR)",
    "ID": "CAST(isodow(__x) AS VARCHAR)", "CC": "CAST(century(__x) AS VARCHAR)",
    "WW": "lpad(CAST((dayofyear(__x) - 1) // 7 + 1 AS VARCHAR), 2, '0')",
    "W": "CAST((day(__x) - 1) // 7 + 1 AS VARCHAR)",
}
_ELEMENTS = sorted({*_NAME_PIECES, *_STRFTIME_PIECES, *_SQL_PIECES}, key=len, reverse=True)


def _to_char(node: exp.Expr, dialect: str) -> exp.Expr | None:
    fmt = node.args.get("format")
    if dialect == "postgres":  # the same format language
        return exp.Anonymous(this="to_char", expressions=[node.this.copy(), fmt.copy()])
    if not isinstance(fmt, exp.Literal) or not fmt.is_string:
        raise UnsupportedFeature("TO_CHAR with a format that is not a literal")
    if re.fullmatch(r"[FM0-9.,$SLDGPRV ]*[90][FM0-9.,$SLDGPRV ]*", fmt.name) and not re.search("[A-Z]{2}", fmt.name.replace("FM", "")):
        return _to_char_number(node, dialect)
    value = node.this.copy()
    if isinstance(value, exp.Literal) and value.is_string:
        value = exp.cast(value, "timestamp")
    pieces: list[tuple[bool, str]] = []  # (is strftime text, text)
    text, i, fill = fmt.name, 0, False
    while i < len(text):
        if text.startswith("FM", i):
            fill, i = True, i + 2
            continue
        if text[i] == '"':
            end = text.find('"', i + 1)
            end = len(text) if end < 0 else end
            pieces.append((True, text[i + 1 : end].replace("%", "%%")))
            i = end + 1
            continue
        element = next((e for e in _ELEMENTS if text.startswith(e, i)), None)
        if element is None:
            pieces.append((True, text[i].replace("%", "%%")))
            i += 1
            continue
        if element in _NAME_PIECES:
            spec, case, pad = _NAME_PIECES[element]
            sql = f"strftime(__x, '{spec}')"
            sql = f"rpad({sql}, 9, ' ')" if pad and not fill else sql
            pieces.append((False, f"{case}({sql})" if case else sql))
        elif element in _STRFTIME_PIECES:
            pieces.append((True, _STRFTIME_PIECES[element][1 if fill else 0]))
        else:
            pieces.append((False, _SQL_PIECES[element]))
        fill, i = False, i + len(element)
    parts: list[str] = []
    for is_text, piece in pieces:
        if is_text and parts and parts[-1].startswith("strftime(__x, '") and parts[-1].endswith("')*"):
            parts[-1] = parts[-1][:-3] + piece.replace("'", "''") + "')*"
        elif is_text:
            parts.append("strftime(__x, '" + piece.replace("'", "''") + "')*")
        else:
            parts.append(piece)
    sql = " || ".join(p.removesuffix("*") for p in parts) or "''"
    return _template(sql, dialect, x=value)


def _date_trunc(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # DATE_TRUNC returns a timestamp in Redshift, also for a date (both backends keep the type).
    in_cast = isinstance(node.parent, exp.Cast)
    node = node.copy()
    unit = node.args.get("unit")
    if unit is not None and _part_name(unit.name) != unit.name.upper():
        node.set("unit", exp.var(_part_name(unit.name)))
    return node if in_cast else exp.cast(node, "timestamp")


def _window(node: exp.Expr, dialect: str) -> exp.Expr | None:
    fn = node.this
    if isinstance(fn, exp.Anonymous) and fn.name.upper() == "RATIO_TO_REPORT":
        # RATIO_TO_REPORT(x) OVER (PARTITION BY p) = x / SUM(x) OVER (PARTITION BY p)
        # https://docs.aws.amazon.com/redshift/latest/dg/r_WF_RATIO_TO_REPORT.html
        value = fn.expressions[0]
        total = node.copy()
        total.set("this", exp.Sum(this=value.copy()))
        total.set("order", None)
        return exp.Div(this=exp.cast(value.copy(), "double"), expression=total)
    if dialect == "postgres" and isinstance(fn, exp.Anonymous) and fn.name.lower() == "string_agg":
        # LISTAGG ... WITHIN GROUP (ORDER BY o) OVER (PARTITION BY p): PostgreSQL has no ordered
        # aggregate over a window; the window's own order over the whole partition is the same.
        args = [a.copy() for a in fn.expressions]
        sep = args[1] if len(args) > 1 else exp.Literal.string("")
        if isinstance(sep, exp.Order):
            if node.args.get("order") is not None:
                return None
            out = node.copy()
            out.set("this", exp.Anonymous(this="string_agg", expressions=[args[0], sep.this]))
            out.set("order", exp.Order(expressions=sep.expressions))
            out.set("spec", exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                                           end="UNBOUNDED", end_side="FOLLOWING"))
            return out
    if isinstance(fn, exp.Avg):
        value = fn.this
        plain = value.expressions[0] if isinstance(value, exp.Distinct) else value
        witness = node.copy()
        witness.set("this", exp.Min(this=plain.copy()))
        return _avg_of(node.copy(), witness, dialect)
    if (dialect == "postgres" and isinstance(fn, exp.WithinGroup)
            and isinstance(fn.this, (exp.PercentileCont, exp.PercentileDisc))):
        raise UnsupportedFeature(f"{fn.this.key.upper()} as a window function on the PostgreSQL warehouse")
    if isinstance(fn, exp.Median) and dialect == "postgres":
        raise UnsupportedFeature("MEDIAN as a window function on the PostgreSQL warehouse")
    return None


def _anonymous(node: exp.Expr, dialect: str) -> exp.Expr | None:
    name, args = node.name.upper(), [a.copy() for a in node.expressions]
    if name == "JSON_SERIALIZE" and len(args) == 1:
        return exp.cast(args[0], "text")
    if name == "REPLICATE":
        return exp.Anonymous(this="repeat", expressions=args)
    if name == "OCTET_LENGTH" and dialect == "duckdb" and len(args) == 1:
        return exp.Anonymous(this="strlen", expressions=[exp.cast(args[0], "varchar")])
    if name == "JSON_ARRAY_LENGTH" and args:
        if dialect == "duckdb":
            return exp.cast(exp.Anonymous(this="json_array_length", expressions=args[:1]), "int")
        return exp.Anonymous(this="json_array_length", expressions=[exp.cast(args[0], "json")])
    if name == "JSON_EXTRACT_ARRAY_ELEMENT_TEXT" and len(args) >= 2:
        # zero-based; NULL when out of bounds (also for a negative index, which DuckDB counts
        # from the end). https://docs.aws.amazon.com/redshift/latest/dg/JSON_EXTRACT_ARRAY_ELEMENT_TEXT.html
        if dialect == "duckdb":
            return _template(
                "CASE WHEN __i >= 0 THEN json_extract_string(__j, CAST(__i AS INT)) END",
                dialect, j=args[0], i=args[1],
            )
        return _template("CAST(__j AS JSON) ->> CAST(__i AS INT)", dialect, j=args[0], i=args[1])
    if name in ("IS_VALID_JSON", "IS_VALID_JSON_ARRAY") and len(args) == 1:
        return _valid_json(args[0], name == "IS_VALID_JSON_ARRAY", dialect)
    if name == "QUOTE_IDENT" and dialect == "duckdb" and len(args) == 1:
        return _template(
            "CASE WHEN regexp_full_match(__v, '[a-z_][a-z0-9_$]*') THEN __v "
            "ELSE chr(34) || replace(__v, chr(34), chr(34) || chr(34)) || chr(34) END", dialect, v=args[0])
    if name == "QUOTE_LITERAL" and dialect == "duckdb" and len(args) == 1:
        return _template("chr(39) || replace(CAST(__v AS VARCHAR), chr(39), chr(39) || chr(39)) || chr(39)",
                         dialect, v=args[0])
    if name in _CMP_FUNCTIONS and dialect == "duckdb" and len(args) == 2:
        # DATE_CMP and friends: -1, 0 or 1 (PostgreSQL has them built in)
        return _template("CASE WHEN __a < __b THEN -1 WHEN __a > __b THEN 1 WHEN __a = __b THEN 0 END",
                         dialect, a=args[0], b=args[1])
    if name == "FUNC_SHA1" and len(args) == 1:
        return _sha1(args[0], dialect)
    if name == "FNV_HASH" and args:
        return _fnv_hash(args, dialect)
    return None


_CMP_FUNCTIONS = {"DATE_CMP", "TIMESTAMP_CMP", "TIMESTAMPTZ_CMP", "INTERVAL_CMP", "DATE_CMP_TIMESTAMP",
                  "DATE_CMP_TIMESTAMPTZ", "TIMESTAMP_CMP_DATE", "TIMESTAMP_CMP_TIMESTAMPTZ",
                  "TIMESTAMPTZ_CMP_DATE", "TIMESTAMPTZ_CMP_TIMESTAMP"}


def _sha1(value: exp.Expr, dialect: str) -> exp.Expr:
    if dialect == "postgres":  # only the pgcrypto extension has SHA-1 there
        raise UnsupportedFeature("SHA1 on the PostgreSQL warehouse")
    return exp.Anonymous(this="sha1", expressions=[exp.cast(value, "varchar")])


def _sha1_node(node: exp.Expr, dialect: str) -> exp.Expr:
    return _sha1(node.this.copy(), dialect)


def _valid_json(value: exp.Expr, array: bool, dialect: str) -> exp.Expr:
    # https://docs.aws.amazon.com/redshift/latest/dg/IS_VALID_JSON.html: a JSON object (or, for
    # IS_VALID_JSON_ARRAY, an array); PostgreSQL 15 has no IS JSON, so a function does it.
    want = "ARRAY" if array else "OBJECT"
    if dialect == "duckdb":
        return _template(
            f"CASE WHEN json_valid(__v) THEN json_type(__v) = '{want}' WHEN __v IS NOT NULL THEN FALSE END",
            dialect, v=value,
        )
    kind = exp.Anonymous(this=JSON_KIND_FUNCTION, expressions=[exp.cast(value, "text")])
    return exp.EQ(this=kind, expression=exp.Literal.string(want.lower()))


#: The PostgreSQL function that names a text's JSON type ('object', 'array', ...; 'invalid' when
#: it is not JSON), created by ``POSTGRES_FUNCTIONS``.
JSON_KIND_FUNCTION = "stepline_fn.json_kind"

#: The PostgreSQL function that gives AVG(x) Redshift's type from AVG(x) and MIN(x).
AVG_FUNCTION = "stepline_fn.avg_as"

#: The PostgreSQL function for FNV_HASH(text [, seed]), created by ``POSTGRES_FUNCTIONS``.
FNV_FUNCTION = "stepline_fn.fnv_hash"

# 64-bit FNV-1a: https://docs.aws.amazon.com/redshift/latest/dg/r_FNV_HASH.html
_FNV_OFFSET, _FNV_PRIME, _TWO_64 = 14695981039346656037, 1099511628211, 2**64

# Changed whenever the functions below change: a database made by an older version gets them again.
_FUNCTIONS_VERSION = "stepline functions 4"

#: What a PostgreSQL connection runs first so that the functions above exist (once per
#: database and version). Connections opening together may race to create them; the loser's error is
#: dropped, as the winner made the same functions.
POSTGRES_FUNCTIONS = f"""DO $stepline$
BEGIN
  IF coalesce(obj_description(to_regnamespace('stepline_fn'), 'pg_namespace'), '') <> '{_FUNCTIONS_VERSION}' THEN
    BEGIN
      CREATE SCHEMA IF NOT EXISTS stepline_fn;
      CREATE OR REPLACE FUNCTION stepline_fn.avg_as(a numeric, w smallint) RETURNS bigint
      LANGUAGE sql IMMUTABLE AS $f$ SELECT pg_catalog.trunc(a)::bigint $f$;
      CREATE OR REPLACE FUNCTION stepline_fn.avg_as(a numeric, w integer) RETURNS bigint
      LANGUAGE sql IMMUTABLE AS $f$ SELECT pg_catalog.trunc(a)::bigint $f$;
      CREATE OR REPLACE FUNCTION stepline_fn.avg_as(a numeric, w bigint) RETURNS bigint
      LANGUAGE sql IMMUTABLE AS $f$ SELECT pg_catalog.trunc(a)::bigint $f$;
      CREATE OR REPLACE FUNCTION stepline_fn.avg_as(a numeric, w numeric) RETURNS numeric
      LANGUAGE sql IMMUTABLE AS $f$ SELECT pg_catalog.trunc(a, pg_catalog.scale(w)) $f$;
      CREATE OR REPLACE FUNCTION stepline_fn.avg_as(a double precision, w double precision)
      RETURNS double precision LANGUAGE sql IMMUTABLE AS $f$ SELECT a $f$;
      CREATE OR REPLACE FUNCTION stepline_fn.avg_as(a double precision, w real)
      RETURNS double precision LANGUAGE sql IMMUTABLE AS $f$ SELECT a $f$;
      CREATE OR REPLACE FUNCTION stepline_fn.avg_as(a interval, w interval) RETURNS interval
      LANGUAGE sql IMMUTABLE AS $f$ SELECT a $f$;
      CREATE OR REPLACE FUNCTION stepline_fn.trunc(x timestamp) RETURNS date
      LANGUAGE sql IMMUTABLE AS $f$ SELECT x::date $f$;
      CREATE OR REPLACE FUNCTION stepline_fn.trunc(x timestamptz) RETURNS date
      LANGUAGE sql STABLE AS $f$ SELECT x::date $f$;
      CREATE OR REPLACE FUNCTION stepline_fn.trunc(x date) RETURNS date
      LANGUAGE sql IMMUTABLE AS $f$ SELECT x $f$;
      CREATE OR REPLACE FUNCTION stepline_fn.trunc(x numeric) RETURNS numeric
      LANGUAGE sql IMMUTABLE AS $f$ SELECT pg_catalog.trunc(x) $f$;
      CREATE OR REPLACE FUNCTION stepline_fn.trunc(x double precision) RETURNS double precision
      LANGUAGE sql IMMUTABLE AS $f$ SELECT pg_catalog.trunc(x) $f$;
      CREATE OR REPLACE FUNCTION stepline_fn.json_kind(t text) RETURNS text
      LANGUAGE plpgsql IMMUTABLE AS $f$
      BEGIN
        RETURN json_typeof(t::json);
      EXCEPTION WHEN others THEN
        RETURN 'invalid';
      END $f$;
      CREATE OR REPLACE FUNCTION stepline_fn.fnv_hash(t text, seed numeric) RETURNS bigint
      LANGUAGE plpgsql IMMUTABLE AS $f$
      DECLARE h numeric := CASE WHEN seed < 0 THEN seed + {_TWO_64} ELSE seed END; b int; low int;
      BEGIN
        IF t IS NULL THEN RETURN NULL; END IF;
        FOR b IN SELECT get_byte(convert_to(t, 'UTF8'), i)
                 FROM generate_series(0, octet_length(t) - 1) AS i ORDER BY i LOOP
          low := (h % 256)::int;
          h := mod((h - low + (low # b)) * {_FNV_PRIME}, {_TWO_64});
        END LOOP;
        IF h >= {_TWO_64 // 2} THEN h := h - {_TWO_64}; END IF;
        RETURN h::bigint;
      END $f$;
      COMMENT ON SCHEMA stepline_fn IS '{_FUNCTIONS_VERSION}';
    EXCEPTION WHEN others THEN
      NULL;
    END;
  END IF;
END $stepline$"""


def _fnv_hash(args: list[exp.Expr], dialect: str) -> exp.Expr:
    # Only text is hashed as Redshift does (numbers hash their binary form there).
    value = args[0]
    if isinstance(value, exp.Literal) and not value.is_string:
        raise UnsupportedFeature("FNV_HASH of a number (hash its text: FNV_HASH(x::varchar))")
    text = exp.cast(value, "varchar" if dialect == "duckdb" else "text")
    seed: exp.Expr = args[1] if len(args) > 1 else exp.Literal.number(_FNV_OFFSET)
    if dialect == "postgres":
        return exp.Anonymous(this=FNV_FUNCTION, expressions=[text, exp.cast(seed, "decimal")])
    sql = (
        f"(SELECT CAST(CASE WHEN h >= {_TWO_64 // 2} THEN h - {_TWO_64} ELSE h END AS BIGINT) FROM (SELECT "
        "list_reduce(list_transform(range(0, strlen(__t)), "
        "i -> CAST('0x' || substr(hex(__t), 2 * i + 1, 2) AS INTEGER)), "
        f"(h, b) -> (xor(h, CAST(b AS HUGEINT)) * {_FNV_PRIME}) % {_TWO_64}, "
        f"CAST(CASE WHEN __s < 0 THEN CAST(__s AS HUGEINT) + {_TWO_64} ELSE __s END AS HUGEINT)) AS h))"
    )
    return _template(sql, dialect, t=text, s=seed)


def _concat(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # CONCAT(a, b) is a || b in Redshift: NULL when either is NULL (both backends skip NULLs).
    # https://docs.aws.amazon.com/redshift/latest/dg/r_CONCAT.html
    parts = [e.copy() for e in node.expressions]
    if len(parts) < 2:
        return None
    out = parts[0]
    for part in parts[1:]:
        out = exp.DPipe(this=out, expression=part, safe=True)
    return exp.paren(out)


def _approx_quantile(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # APPROXIMATE PERCENTILE_DISC: PostgreSQL has the exact one (the same result on small data).
    if dialect != "postgres":
        return None
    order = exp.Order(expressions=[exp.Ordered(this=node.this.copy())])
    return exp.WithinGroup(this=exp.PercentileDisc(this=node.args["quantile"].copy()), expression=order)


def _strtol(node: exp.Expr, dialect: str) -> exp.Expr:
    # STRTOL(text, base): the digits' values summed by position (both backends lack from_base).
    # https://docs.aws.amazon.com/redshift/latest/dg/r_STRTOL.html
    number = "DOUBLE" if dialect == "duckdb" else "NUMERIC"
    sql = (
        "(SELECT CAST(SUM((strpos('0123456789abcdefghijklmnopqrstuvwxyz', lower(substr(__s, g.i, 1))) - 1)"
        f" * power(CAST(__b AS {number}), length(__s) - g.i)) AS BIGINT)"
        " FROM generate_series(1, length(__s)) AS g(i))"
    )
    return _template(sql, dialect, s=exp.cast(node.this.copy(), "text"), b=node.expression.copy())


def _sqrt(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # SQRT is DOUBLE PRECISION in Redshift; PostgreSQL keeps NUMERIC for a NUMERIC argument.
    if dialect != "postgres" or isinstance(node.parent, exp.Cast):
        return None
    return exp.cast(node.copy(), "double")


_INTEGER_TYPES = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT')"


def _avg_of(avg: exp.Expr, witness: exp.Expr, dialect: str) -> exp.Expr:
    # AVG of integers is a BIGINT in Redshift (the mean truncated); MIN of the same argument
    # tells its type when the statement runs. https://docs.aws.amazon.com/redshift/latest/dg/r_AVG.html
    if dialect == "postgres":
        return exp.Anonymous(this=AVG_FUNCTION, expressions=[avg, witness])
    return _template(
        f"CASE WHEN typeof(__w) IN {_INTEGER_TYPES} THEN CAST(trunc(__a) AS BIGINT) ELSE __a END",
        dialect, a=avg, w=witness,
    )


def _avg(node: exp.Expr, dialect: str) -> exp.Expr | None:
    if isinstance(node.parent, exp.Window):
        return None  # rewritten with its window
    value = node.this
    plain = value.expressions[0] if isinstance(value, exp.Distinct) else value
    return _avg_of(node.copy(), exp.Min(this=plain.copy()), dialect)


def _add_months(node: exp.Expr, dialect: str) -> exp.Expr:
    # The last day of a month maps to the last day of the target month; the time of day stays.
    # https://docs.aws.amazon.com/redshift/latest/dg/r_ADD_MONTHS.html
    months = "to_months(CAST(__n AS INTEGER))" if dialect == "duckdb" else "(CAST(__n AS INTEGER) * INTERVAL '1 month')"
    last_day = ("last_day(CAST({x} AS DATE))" if dialect == "duckdb"
                else "CAST(date_trunc('month', {x}) + INTERVAL '1 month - 1 day' AS DATE)")
    shifted = f"(__d + {months})"
    sql = (
        f"CASE WHEN CAST(__d AS DATE) = {last_day.format(x='__d')} "
        f"THEN CAST({last_day.format(x=shifted)} AS TIMESTAMP) + (__d - date_trunc('day', __d)) "
        f"ELSE {shifted} END"
    )
    return _template(sql, dialect, d=exp.cast(node.this.copy(), "timestamp"), n=node.expression.copy())


def _months_between(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # Whole months when both days are the same day of month or both are month ends, otherwise
    # the day difference over 31. https://docs.aws.amazon.com/redshift/latest/dg/r_MONTHS_BETWEEN_function.html
    if dialect != "postgres":
        return None
    month_end = "CAST(date_trunc('month', {x}) + INTERVAL '1 month - 1 day' AS DATE)"
    sql = (
        "CAST((EXTRACT(YEAR FROM __a) * 12 + EXTRACT(MONTH FROM __a)) - "
        "(EXTRACT(YEAR FROM __b) * 12 + EXTRACT(MONTH FROM __b)) + "
        f"CASE WHEN EXTRACT(DAY FROM __a) = EXTRACT(DAY FROM __b) OR (__a = {month_end.format(x='__a')} "
        f"AND __b = {month_end.format(x='__b')}) THEN 0 "
        "ELSE (EXTRACT(DAY FROM __a) - EXTRACT(DAY FROM __b)) / 31.0 END AS DOUBLE PRECISION)"
    )
    return _template(sql, dialect, a=exp.cast(node.this.copy(), "date"),
                     b=exp.cast(node.expression.copy(), "date"))


_WEEKDAYS = {"MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6, "SU": 7}


def _next_day(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # The first such weekday after the date. https://docs.aws.amazon.com/redshift/latest/dg/r_NEXT_DAY.html
    if dialect != "postgres":
        return None
    day = node.expression
    if isinstance(day, exp.Literal) and day.name[:2].upper() in _WEEKDAYS:
        target: exp.Expr = exp.Literal.number(_WEEKDAYS[day.name[:2].upper()])
    else:  # a day name known when it runs: its first two letters
        cases = " ".join(f"WHEN '{k}' THEN {v}" for k, v in _WEEKDAYS.items())
        target = _template(f"CASE upper(left(__d, 2)) {cases} END", dialect, d=day.copy())
    return _template(
        "__x + CAST((((__t - EXTRACT(ISODOW FROM __x)) + 6) % 7) + 1 AS INT)",
        dialect, x=exp.cast(node.this.copy(), "date"), t=target,
    )


def _to_timestamp(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # TO_TIMESTAMP gives a TIMESTAMPTZ; DuckDB's strptime a plain timestamp (read as UTC).
    if dialect != "duckdb" or isinstance(node.parent, exp.Cast):
        return None
    return exp.cast(node.copy(), "timestamptz")


def _json_text(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # JSON_EXTRACT_PATH_TEXT takes JSON as text in Redshift; PostgreSQL wants json.
    if dialect != "postgres" or isinstance(node.this, exp.Literal):
        return None
    if isinstance(node.this, exp.Cast) and node.this.to.is_type("json", "jsonb"):
        return None
    node = node.copy()
    node.set("this", exp.cast(node.this, "json"))
    return node


def _merge_insert(node: exp.Expr, dialect: str) -> exp.Expr | None:
    # MERGE ... WHEN NOT MATCHED THEN INSERT VALUES (...) parses as a call to "values".
    this = node.this
    if not isinstance(node.parent, exp.When) or not isinstance(this, exp.Tuple):
        return None
    call = this.expressions[0] if len(this.expressions) == 1 else None
    if isinstance(call, exp.Anonymous) and call.name.upper() == "VALUES":
        return exp.Insert(expression=exp.Tuple(expressions=[e.copy() for e in call.expressions]))
    return None


Rewrite = Callable[[Any, str], "exp.Expr | None"]

REWRITES: dict[type[exp.Expr], Rewrite] = {
    exp.TsOrDsDiff: _datediff,
    GetDate: _getdate,
    exp.CurrentTimestamp: _sysdate,
    exp.WithinGroup: _listagg,
    exp.GroupConcat: _listagg,
    exp.ApproxDistinct: _approx,
    exp.RegexpExtract: _regexp_substr,
    exp.Trunc: _trunc,
    exp.SimilarTo: _similar_to,
    exp.DataType: _datatype,
    exp.Extract: _extract,
    exp.RegexpReplace: _regexp_replace,
    exp.Insert: _merge_insert,
    exp.TimeToStr: _to_char_number,
    ToChar: _to_char,
    exp.TimestampTrunc: _date_trunc,
    exp.Window: _window,
    exp.Anonymous: _anonymous,
    exp.JSONExtractScalar: _json_text,
    AddMonths: _add_months,
    exp.Concat: _concat,
    exp.FromBase: _strtol,
    exp.Sqrt: _sqrt,
    exp.Avg: _avg,
    exp.SHA: _sha1_node,
    exp.ApproxQuantile: _approx_quantile,
    exp.MonthsBetween: _months_between,
    exp.NextDay: _next_day,
    exp.StrToTime: _to_timestamp,
}


def rewrite(tree: exp.Expr, dialect: str) -> exp.Expr:
    """Apply every rewrite of ``REWRITES`` to ``tree`` for ``dialect`` ("duckdb"/"postgres").

    Children are rewritten before their parents, so a rewrite that copies its arguments
    copies them already rewritten.

    >>> rewrite(sqlglot.parse_one("SELECT a FROM t"), "duckdb").sql()
    'SELECT a FROM t'
    """
    for node in reversed(list(tree.walk())):
        fn = REWRITES.get(type(node))
        if fn is None:
            continue
        out = fn(node, dialect)
        if out is None or out is node:
            continue
        if node is tree:
            tree = out
        else:
            node.replace(out)
    return tree
