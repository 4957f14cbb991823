"""COPY's statement: the options of ``COPY table FROM 's3://...' ...``, parsed and checked.
https://docs.aws.amazon.com/redshift/latest/dg/r_COPY.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stepline.lake.options import Cursor
from stepline.lake.paths import LakeError

# Options Redshift has that this warehouse does not implement: naming one fails the COPY.
_UNSUPPORTED = ("EXPLICIT_IDS", "FIXEDWIDTH", "AVRO", "ORC",
                "BZIP2", "LZOP", "ZSTD", "MANIFEST", "NOLOAD", "ENCRYPTED", "READRATIO", "SHAPEFILE",
                "SIMPLIFY", "IGNOREALLERRORS", "SSH", "COMPROWS", "JSONPATHS", "SERIALIZETOJSON")
# Options that only change how a text file is read: not valid with PARQUET.
_TEXT_ONLY = ("delimiter", "ignoreheader", "null_as", "emptyasnull", "blanksasnull", "trimblanks",
              "dateformat", "timeformat", "acceptanydate", "ignoreblanklines", "roundec", "csv_quotes",
              "acceptinvchars")


@dataclass(frozen=True, slots=True)
class CopyOptions:
    table: tuple[str, ...]
    columns: tuple[str, ...]
    source: str
    format: str = "csv"  # csv (CSV and delimited text) | parquet | json
    delimiter: str = "|"  # Redshift's default for text files
    quote: str = '"'
    csv_quotes: bool = False
    ignoreheader: int = 0
    fillrecord: bool = False
    gzip: bool = False
    maxerror: int = 0
    null_as: str = "\\N"  # NULL AS: an unquoted field equal to it loads as NULL
    emptyasnull: bool = False
    blanksasnull: bool = False
    trimblanks: bool = False
    truncatecolumns: bool = False
    acceptanydate: bool = False
    dateformat: str | None = None  # None: 'YYYY-MM-DD'; 'auto'; or a Redshift format string
    timeformat: str | None = None  # None: 'YYYY-MM-DD HH:MI:SS'; 'auto'; 'epochsecs'; 'epochmillisecs'; a format
    ignoreblanklines: bool = False
    roundec: bool = False
    acceptinvchars: str | None = None  # the replacement character for each invalid UTF-8 byte
    escape: bool = False  # delimited text: a backslash makes the next character literal
    removequotes: bool = False  # delimited text: quotes around a field are removed, delimiters inside kept

    @property
    def prepared(self) -> bool:
        """Whether the files are rewritten (decoded, unescaped, unquoted) before DuckDB reads them."""
        return self.escape or self.removequotes or self.acceptinvchars is not None


def parse_copy(statement: str) -> CopyOptions:
    c = Cursor(statement, "COPY")
    c.expect("COPY")
    table = c.name()
    columns: list[str] = []
    if c.accept("("):
        columns.append(c.next("word|qid").value.lower())
        while c.accept(","):
            columns.append(c.next("word|qid").value.lower())
        c.expect(")")
    c.expect("FROM")
    source = c.next("str", "an 's3://...' location").value
    o: dict[str, Any] = {}
    while not c.done():
        word = c.peek().upper  # type: ignore[union-attr]
        if c.accept("IAM_ROLE") or c.accept("CREDENTIALS") or c.accept("REGION") or c.accept("ACCESS_KEY_ID") \
                or c.accept("SECRET_ACCESS_KEY") or c.accept("SESSION_TOKEN"):
            c.accept("AS")
            c.next("str|word")
        elif c.accept("FORMAT"):
            c.accept("AS")
            fmt = c.next("word").upper
            if fmt in _UNSUPPORTED:
                raise LakeError(f"COPY option FORMAT {fmt} is not supported on this warehouse "
                                "(use CSV, PARQUET, JSON or delimited text)")
            if fmt not in ("CSV", "PARQUET", "JSON"):
                raise LakeError(f"COPY FORMAT {fmt} is not supported here (use CSV, PARQUET or JSON)")
            o["format"] = fmt.lower()
            if fmt == "CSV":
                o["csv_quotes"] = True
                o.setdefault("delimiter", ",")
            if fmt == "JSON":
                _json_option(c)
            if c.accept("QUOTE"):
                c.accept("AS")
                o["quote"] = c.next("str").value
        elif c.accept("CSV"):
            o["format"], o["csv_quotes"] = "csv", True
            o.setdefault("delimiter", ",")
            if c.accept("QUOTE"):
                c.accept("AS")
                o["quote"] = c.next("str").value
        elif c.accept("PARQUET"):
            o["format"] = "parquet"
        elif c.accept("JSON"):
            o["format"] = "json"
            _json_option(c)
        elif c.accept("DELIMITER"):
            c.accept("AS")
            o["delimiter"] = c.next("str").value
        elif c.accept("IGNOREHEADER"):
            c.accept("AS")
            o["ignoreheader"] = int(c.next("num", "a number").text)
        elif c.accept("MAXERROR"):
            c.accept("AS")
            o["maxerror"] = int(c.next("num", "a number").text)
        elif c.accept("NULL"):
            c.accept("AS")
            o["null_as"] = c.next("str", "a quoted null string").value
        elif c.accept("DATEFORMAT") or c.accept("TIMEFORMAT"):
            c.accept("AS")
            value = c.next("str", f"a quoted {word} string").value
            key = word.lower()
            o[key] = value
            if key == "dateformat" and value in ("epochsecs", "epochmillisecs"):
                raise LakeError(f"COPY DATEFORMAT '{value}' is not valid (epoch formats are TIMEFORMAT values)")
            if value.lower() == "auto" and value != "auto":
                raise LakeError(f"COPY {word} 'auto' is case-sensitive: write 'auto'")
            if value not in ("auto", "epochsecs", "epochmillisecs"):
                strptime_format(value, word)  # fails now on a format this warehouse cannot read
        elif c.accept("ENCODING"):
            c.accept("AS")
            enc = c.next("word|str", "an encoding").value.upper()
            if enc not in ("UTF8", "UTF-8"):
                raise LakeError(f"COPY option ENCODING {enc} is not supported on this warehouse (only UTF8)")
        elif c.accept("ACCEPTINVCHARS"):
            c.accept("AS")
            nxt = c.peek()
            char = c.next().value if nxt is not None and nxt.kind == "str" else "?"
            if len(char) != 1 or not char.isascii() or char == "\0":
                raise LakeError("COPY ACCEPTINVCHARS replacement must be a single ASCII character other than NUL")
            o["acceptinvchars"] = char
        elif c.accept("COMPUPDATE") or c.accept("STATUPDATE"):
            # they choose compression encodings and refresh planner statistics: nothing to load differently
            nxt = c.peek()
            if nxt is not None and nxt.upper in ("ON", "OFF", "TRUE", "FALSE", "PRESET"):
                c.next()
        elif word in ("FILLRECORD", "GZIP", "EMPTYASNULL", "BLANKSASNULL", "TRIMBLANKS", "TRUNCATECOLUMNS",
                      "ACCEPTANYDATE", "IGNOREBLANKLINES", "ROUNDEC", "ESCAPE", "REMOVEQUOTES"):
            c.next()
            o[word.lower()] = True
        elif word in _UNSUPPORTED:
            raise LakeError(f"COPY option {word} is not supported on this warehouse")
        else:
            raise c.error("unknown COPY option")
    if o.get("format") == "parquet":
        given = [k for k in _TEXT_ONLY if k in o and k != "csv_quotes"]
        if given:
            raise LakeError(f"COPY option {given[0].upper().replace('NULL_AS', 'NULL AS')} is not valid "
                            "with FORMAT PARQUET")
    if o.get("format") == "json":
        given = [k for k in ("delimiter", "ignoreheader", "null_as", "fillrecord", "ignoreblanklines") if k in o]
        if given:
            raise LakeError(f"COPY option {given[0].upper().replace('NULL_AS', 'NULL AS')} is not valid "
                            "with FORMAT JSON")
    for word in ("escape", "removequotes"):
        if o.get(word) and (o.get("csv_quotes") or o.get("format") in ("json", "parquet")):
            fmt = "CSV" if o.get("csv_quotes") else str(o.get("format")).upper()
            raise LakeError(f"COPY option {word.upper()} cannot be used with {fmt}")
    if len(o.get("delimiter", "|")) != 1:
        raise LakeError("COPY DELIMITER must be a single character")
    if "\n" in o.get("null_as", "") or "\r" in o.get("null_as", ""):
        raise LakeError("COPY NULL AS cannot contain a newline")
    return CopyOptions(table, tuple(columns), source, **o)


def _json_option(c: Cursor) -> None:
    nxt = c.peek()
    if nxt is not None and nxt.kind == "str":
        value = c.next().value
        if value.lower() != "auto":
            raise LakeError("COPY option JSON with a JSONPaths file is not supported on this warehouse "
                            "(use JSON 'auto')")


# Redshift DATEFORMAT/TIMEFORMAT elements -> strptime, longest first
# (https://docs.aws.amazon.com/redshift/latest/dg/r_DATEFORMAT_and_TIMEFORMAT_strings.html)
_FORMAT_ELEMENTS = (("YYYY", "%Y"), ("YY", "%y"), ("MONTH", "%B"), ("MON", "%b"), ("MM", "%m"), ("MI", "%M"),
                    ("DDD", "%j"), ("DD", "%d"), ("HH24", "%H"), ("HH12", "%I"), ("HH", "%H"),
                    ("SS", "%S"), ("AM", "%p"), ("PM", "%p"), ("OF", "%z"), ("TZH", "%z"))


def strptime_format(fmt: str, what: str) -> str:
    out, i, upper = [], 0, fmt.upper()
    while i < len(fmt):
        for element, code in _FORMAT_ELEMENTS:
            if upper.startswith(element, i):
                out.append(code)
                i += len(element)
                break
        else:
            ch = fmt[i]
            if ch.isalpha():
                raise LakeError(f"COPY {what} '{fmt}': the element at '{fmt[i:]}' is not supported on this warehouse")
            out.append("%%" if ch == "%" else ch)
            i += 1
    return "".join(out)
