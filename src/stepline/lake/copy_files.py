"""The files COPY reads, on the Python side: opened (gzip or not), split into records as DuckDB's
reader splits them, checked for blank lines, and, for ESCAPE, REMOVEQUOTES and ACCEPTINVCHARS,
rewritten before DuckDB reads them (rejects found in a rewritten file are placed back in the original).
"""

from __future__ import annotations

import csv
import gzip
import mmap
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stepline.lake.copy_options import CopyOptions
from stepline.lake.load_error_log import Reject

PREPARED_NULL = "\x1fstepline:null\x1f"  # a NULL field in a rewritten delimited file


@dataclass(slots=True)
class Source:
    path: str  # the file in the lake (STL_LOAD_ERRORS names it)
    read: str  # the file DuckDB reads: ``path``, or its rewritten copy
    starts: list[int] | None = None  # rewritten delimited text: each written record's first line in ``path``
    rejects: list[Reject] = field(default_factory=list)  # records refused while rewriting


def prepare_files(o: CopyOptions, files: list[str], work: Path) -> tuple[list[Source], CopyOptions]:
    """The files DuckDB reads and how. ACCEPTINVCHARS alone: the text with each invalid UTF-8 byte
    replaced; ESCAPE or REMOVEQUOTES: the records rewritten as CSV (escapes resolved, quotes removed,
    the NULL AS fields marked), the header lines left out."""
    if not o.prepared:
        return [Source(f, f) for f in files], o
    delimited = o.escape or o.removequotes
    how = (replace(o, csv_quotes=True, delimiter=",", quote='"', ignoreheader=0, gzip=False, null_as=PREPARED_NULL)
           if delimited else replace(o, gzip=False))
    sources = []
    for n, f in enumerate(files):
        out = work / f"{n}.{'json' if o.format == 'json' else 'csv'}"
        source = Source(f, str(out), [] if delimited else None)
        with open_file(f, o, binary=True) as src, open(out, "w", encoding="utf-8", newline="") as dst:
            if delimited:
                _rewrite_delimited(src, dst, o, source)
            else:
                for raw in src:
                    dst.write(_decoded(raw, o.acceptinvchars) or "")
        sources.append(source)
    return sources, how


def _decoded(raw: bytes, replacement: str | None) -> str | None:
    """A line of the file as text; None when it is not UTF-8 and ACCEPTINVCHARS is not given."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        if replacement is None:
            return None
        # each invalid byte becomes one replacement character (a string of equal length)
        return re.sub("[\udc80-\udcff]", replacement, raw.decode("utf-8", errors="surrogateescape"))


def _rewrite_delimited(src: Any, dst: Any, o: CopyOptions, source: Source) -> None:
    writer = csv.writer(dst, quoting=csv.QUOTE_ALL, lineterminator="\n")
    assert source.starts is not None
    pending: list[str] = []
    start, invalid, line = 0, False, 0

    def flush() -> None:
        nonlocal pending, invalid
        record = "\n".join(pending)
        pending, bad = [], invalid
        invalid = False
        if bad:
            source.rejects.append(Reject("", start, "", "", "", record[:1024], "", 1220,
                                         "String contains invalid or unsupported UTF8 codepoints"))
            return
        if record == "":
            dst.write("\n")  # a blank line, read (and numbered) as the reader reads one
            source.starts.append(start)  # type: ignore[union-attr]
            return
        try:
            fields = _split_fields(record, o)
        except ValueError as e:
            source.rejects.append(Reject("", start, "", "", "", record[:1024], "", 1216, str(e)))
            return
        writer.writerow([PREPARED_NULL if v is None else v for v in fields])
        source.starts.append(start)  # type: ignore[union-attr]

    for raw in src:
        line += 1
        if line <= o.ignoreheader:
            continue
        text = _decoded(raw, o.acceptinvchars)
        if not pending:
            start = line
        if text is None:
            invalid, text = True, raw.decode("utf-8", errors="replace")
        body = text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text
        pending.append(body)
        trailing = len(body) - len(body.rstrip("\\"))
        if o.escape and trailing % 2 == 1 and text.endswith("\n"):
            continue  # an escaped newline: the record goes on
        flush()
    if pending:
        flush()


_SPLITTERS: dict[tuple[str, bool], tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]] = {}


def _splitters(delimiter: str, escape: bool) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    key = (delimiter, escape)
    if key not in _SPLITTERS:
        d = re.escape(delimiter)
        if escape:
            plain = re.compile(rf"(?:\\.|\\\Z|[^{d}\\])*", re.DOTALL)
            double = re.compile(r'"((?:\\.|[^"\\])*)"', re.DOTALL)
            single = re.compile(r"'((?:\\.|[^'\\])*)'", re.DOTALL)
        else:
            plain = re.compile(rf"[^{d}]*", re.DOTALL)
            double = re.compile(r'"([^"]*)"', re.DOTALL)
            single = re.compile(r"'([^']*)'", re.DOTALL)
        _SPLITTERS[key] = (plain, double, single)
    return _SPLITTERS[key]


def _split_fields(record: str, o: CopyOptions) -> list[str | None]:
    """A delimited record's fields under ESCAPE (a backslash makes the next character, even a
    delimiter, quote or newline, part of the value) and REMOVEQUOTES (quotes around a field are
    removed, delimiters inside them kept); None for a field equal to NULL AS."""
    plain, double, single = _splitters(o.delimiter, o.escape)
    out: list[str | None] = []
    pos, n = 0, len(record)
    while True:
        quoted = o.removequotes and pos < n and record[pos] in "\"'"
        if quoted:
            m = (double if record[pos] == '"' else single).match(record, pos)
            if m is None:
                raise ValueError("Missing closing quote (REMOVEQUOTES)")
            raw, pos = m.group(1), m.end()
            if pos < n and record[pos] != o.delimiter:
                raise ValueError("Characters after a closing quote (REMOVEQUOTES)")
        else:
            m = plain.match(record, pos)
            raw, pos = m.group(0), m.end()  # type: ignore[union-attr]
        value = re.sub(r"\\(.)", r"\1", raw, flags=re.DOTALL) if o.escape else raw
        # the default null string works as is and escaped (\N and \\N)
        null = not quoted and (raw == o.null_as or (o.escape and value == o.null_as))
        out.append(None if null else value)
        if pos >= n:
            return out
        pos += 1  # the delimiter


def place_rejects(name: str, source: Source, o: CopyOptions, found: list[Reject]) -> list[Reject]:
    """Rejects found in the file DuckDB read (numbered by record when it was rewritten), placed in
    the lake's file: a rewritten record's line and raw text are its first line's in the original."""
    if source.starts is None and not source.rejects:
        return found
    placed = []
    for r in found:
        if source.starts is not None:
            r = replace(r, line=source.starts[r.line - 1] if 0 < r.line <= len(source.starts) else r.line,
                        raw_line="")
        placed.append(r)
    placed += [replace(r, file=name) for r in source.rejects]
    if source.starts is not None:
        wanted = {r.line for r in placed if not r.raw_line}
        lines = _original_lines(source.path, o, wanted)
        placed = [r if r.raw_line else replace(r, raw_line=lines.get(r.line, "")) for r in placed]
    return sorted(placed, key=lambda r: r.line)


def _original_lines(path: str, o: CopyOptions, wanted: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    if not wanted:
        return out
    with open_file(path, o) as f:
        for number, text in enumerate(f, 1):
            if number in wanted:
                out[number] = text.rstrip("\r\n")
                if len(out) == len(wanted):
                    break
    return out


_BLANK_LINE = re.compile(rb"\n\r?\n")


def has_blank_line(path: str, o: CopyOptions) -> bool:
    """Whether the file has an empty line (DuckDB's reader passes over them; Redshift rejects them).
    A plain file is searched in place, through a memory map."""
    if o.gzip or path.endswith(".gz"):
        with open_file(path, o, binary=True) as f:
            previous = b"\n"
            while chunk := f.read(1 << 22):
                data = previous + chunk
                if _BLANK_LINE.search(data):
                    return True
                previous = data[-2:]
        return False
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return False
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return data[:1] == b"\n" or data[:2] == b"\r\n" or _BLANK_LINE.search(data) is not None


def open_file(path: str, o: CopyOptions, *, binary: bool = False) -> Any:
    packed = o.gzip or path.endswith(".gz")
    if binary:
        return gzip.open(path, "rb") if packed else open(path, "rb")  # noqa: SIM115
    if packed:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")  # noqa: SIM115


def records(path: str, o: CopyOptions) -> Iterator[tuple[int, int, str, bool]]:
    """(record number, first line, raw text, blank) of every record after the header lines, split
    as the reader splits them (a quoted CSV field may span lines; the header lines count as records)."""
    with open_file(path, o) as f:
        lines = iter(f)
        for _ in range(o.ignoreheader):
            next(lines, None)
        line = number = o.ignoreheader + 1
        if o.format == "json":
            for text in lines:
                yield number, line, text.rstrip("\r\n"), not text.strip()
                line = number = line + 1
            return
        taken: list[str] = []

        def feed() -> Iterator[str]:
            for text in lines:
                taken.append(text)
                yield text

        reader = (csv.reader(feed(), delimiter=o.delimiter, quotechar=o.quote, strict=False) if o.csv_quotes
                  else csv.reader(feed(), delimiter=o.delimiter, quoting=csv.QUOTE_NONE))
        for fields in reader:
            text, count = "".join(taken), len(taken)
            taken.clear()
            yield number, line, text.rstrip("\r\n"), not fields
            line += count
            number += 1
