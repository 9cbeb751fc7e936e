"""`validate --engine duckdb`: case records checked and decided by the policy's generated SQL
(`sql/<id>.sql`, docs/sql.md) in DuckDB, reading JSONL, JSON, CSV or Parquet directly.

DuckDB is an optional extra (`pip install policyc-validators[duckdb]`), imported only here and
only when the engine is asked for: the standard-library path never needs it.

How a record gets in.  Every file becomes a staged relation of raw values: per fact, the JSON
type of the value (`VARCHAR` for a CSV cell or a Parquet string, `BOOLEAN`, `BIGINT`, `DOUBLE`
…, NULL when not given) and its text.  One typed view turns those into the columns the SQL
reads (docs/sql.md, "Relations the SQL reads") with the same rules as the Python package
(runtime/values.py): the same text patterns, the same stripping of CSV-like text, the same
bounds on numbers; a value given but not typed is NULL in its column and marks the record bad.
The first bad record (in file order) is then run through the Python reader (records.typed), so
that the message is the Python package's, word for word: unknown field, bad value, repeated key.

What the SQL cannot compute (a due date in a year outside the working-day calendar) comes out as
a NULL status; the first such record is run through the Python checks for the message (exit 2).
The first problem in reading order is named, of either kind, as the Python package checks each
record as it reads it: when a record (or a file) is malformed, the records before it are checked
first (`_refused_before`), only then.

A named pipe (`mkfifo cases.jsonl`) is copied to a temporary file first (`_spooled`): the engine
reads a file more than once.  Reports and messages name the pipe.  So is standard input (`-`),
named `<stdin>` as the standard-library engine names it.  `--input-format` (`input_format`) is
the format of every input; without it each file's suffix gives its own, and `-` is refused.

Ids: the SQL sees the record's position as its `id` (an opaque key, unique even when two
records give the same `id` field); the report and `--out` name each record as the Python
package does: the `id` field, else `file.jsonl:LINE`, `file.csv:LINE`, `file.json#N`,
`file.parquet#N`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import os
import re
import sys
import tempfile
import uuid
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta, timezone
from decimal import Decimal
from itertools import repeat
from pathlib import Path
from typing import IO, Any, Final, NoReturn, TextIO

from . import jsontext
from .checks import EXERCISED
from .errors import OutOfMemory, PolicycError
from .kinds import CHECKED_KINDS
from .policy import PolicyInfo
from .records import (
    ID_FIELD,
    NO_STDIN_FORMAT,
    STDIN,
    Record,
    RecordError,
    input_path,
    raw_records,
    readable,
    stdin_bytes,
    stdin_once,
    typed,
)
from .report import TextReport, shown_as_is, visible, visible_lines
from .timelimits import CalendarNotCovered
from .validation import RecordResult, Tally
from .values import Duration, FactSpec, Known, cut

SQL_DIR: Final = Path(__file__).resolve().parent.parent / "sql"
INSTALL: Final = "the duckdb engine needs DuckDB: pip install policyc-validators[duckdb]"
OUT_FORMATS: Final = {".parquet": "parquet", ".csv": "csv", ".jsonl": "json"}
_FILE_FORMATS: Final = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".parquet": "parquet",
}
# Positions: file index in the high bits, the record's place in its file in the low ones.
_FILE_SHIFT: Final = 40
# Python's str.strip() whitespace, for CSV cells and text given for numbers and yes/no.
_WS: Final = (
    r"[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\x{1680}\x{2000}-\x{200a}"
    r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)
_NUMBER_TEXT: Final = {
    "int": r"-?[0-9]+",
    "money": r"-?[0-9]+(\.[0-9]+)?",
    "ratio": r"-?[0-9]+(\.[0-9]+)?%?",
}
_JSON_NUMBERS: Final = "('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE')"
_DATETIME: Final = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)
_DURATION: Final = r"^([0-9]{1,6}) (workdays|days|hours|months|years)$"
_FETCH: Final = 10_000
_SCALE: Final = 10  # decimals of DECIMAL(38, 10), the SQL's numbers


class EngineError(PolicycError):
    """Bad input for the SQL engine: exit 2 with this message."""


class ShapeError(EngineError):
    """A problem of shape, found while the records are staged and typed (before any check
    runs): a record the typed view refused, or a file refused whole.  `at`: the position of
    the record it stops at; every record staged before it is well formed.  `refused`: the
    file refused whole, when that is the problem (the Python reader may give records of it
    before the place it breaks)."""

    def __init__(self, message: str, at: int, refused: Source | None = None) -> None:
        super().__init__(message)
        self.at = at
        self.refused = refused


class TooLarge(EngineError):
    """A file the engine cannot read at all for its size (a JSON document past 4 GiB): no
    record of it is looked for, by DuckDB or by the Python reader (which would hold it whole
    in memory for a message)."""


@dataclass(frozen=True)
class Check:
    """One check of `check_record`, in its order, and the result columns that carry it."""

    rule: str
    kind: str
    clause: str
    column: str  # the result's `<column>__status` and `<column>__needs`


def checks_of(policy: PolicyInfo) -> list[Check]:
    """The checks `check_record` makes, in its order (runtime/checks.py): time limits with a
    start and an end, then requirements and liabilities with a condition."""
    found = [
        Check(limit.name, "time_limit", limit.clause, limit.name)
        for limit in policy.limits
        if limit.start is not None and limit.end is not None
    ]
    found += [
        Check(rule.name, rule.kind, rule.clause, rule.name)
        for rule in policy.rules
        if rule.kind in CHECKED_KINDS and (rule.when is not None or rule.require is not None)
    ]
    return found


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise EngineError(INSTALL) from None
    return duckdb


def _q(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------- typing the raw values


def _strip(text: str) -> str:
    return f"regexp_replace({text}, '^{_WS}+|{_WS}+$', '', 'g')"


@dataclass(frozen=True)
class Typing:
    """How one fact's raw value (`jt`, `tx`: columns) becomes its typed column(s): `pre`, the
    intermediate columns computed once per row (a stripped text, a regex's parts), and
    `columns`, the typed columns over `jt`, `tx` and `pre`.  The first column is NULL exactly
    when the value is not given or unusable."""

    pre: list[tuple[str, str]]
    columns: list[tuple[str, str]]


def typing(spec: FactSpec, jt: str, tx: str) -> Typing:
    """The typing of one fact (docs/sql.md, "Relations the SQL reads"), as runtime/values.py
    types it: the same text patterns, stripping, bounds."""
    name = spec.name
    string = f"{jt} = 'VARCHAR'"
    pre = _ident(f"{name}__pre")
    match spec.type:
        case "bool":
            value = (
                f"CASE WHEN {jt} = 'BOOLEAN' THEN {tx} = 'true' WHEN {string} THEN "
                f"CASE {pre} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END END"
            )
            # Stripped only where the value is a string (0.4 s a 300,000 records of 威海).
            stripped = f"CASE WHEN {string} THEN lower({_strip(tx)}) END"
            return Typing([(pre, stripped)], [(name, value)])
        case "int" | "money" | "ratio":
            pattern = _NUMBER_TEXT[spec.type]
            text = (
                f"CASE WHEN {jt} IN {_JSON_NUMBERS} THEN {tx} WHEN {string} THEN "
                f"CASE WHEN regexp_full_match({_strip(tx)}, '{pattern}') THEN {_strip(tx)} "
                f"END END"
            )
            digits = f"rtrim({pre}, '%')"
            number = f"TRY_CAST({digits} AS DECIMAL(38, 10))"
            approx = f"TRY_CAST({digits} AS DOUBLE)"
            # runtime/values.py `_number`: |x| < 1e16; an int is whole.  A value with more
            # decimals than DECIMAL(38, 10) holds (Python takes down to 1e-15) is refused,
            # never rounded: the one value the SQL engine refuses and Python takes.  A JSON
            # number is a double to both engines: its decimals are the double's.  A text is
            # exact to Python, so a digit other than 0 past the tenth decimal is looked for
            # in the text itself: the doubles of `5000.0000000000001` and `5000` are equal.
            exact = (
                f"({jt} IN {_JSON_NUMBERS} OR NOT regexp_matches({digits}, "
                f"'\\.[0-9]{{{_SCALE}}}[0-9]*[1-9]'))"
            )
            fits = (
                f"abs({number}) < 10000000000000000::DECIMAL(38, 10) "
                f"AND CAST({number} AS DOUBLE) = {approx} AND {exact}"
            )
            if spec.type == "int":
                fits += f" AND {number} = round({number})"
            percent = f"{pre} LIKE '%\\%%' ESCAPE '\\'" if spec.type == "ratio" else "FALSE"
            if spec.type == "ratio":
                # A percentage is divided by 100 below: two decimals more, which must fit too
                # (`0.0000000001%` is 1e-12, refused rather than rounded to 0).
                fits += (
                    f" AND (NOT {percent} OR "
                    f"CAST({number} / 100 AS DECIMAL(38, 10)) * 100 = {number})"
                )
            value = (
                f"CASE WHEN {fits} THEN CASE WHEN {percent} THEN "
                f"CAST({number} / 100 AS DECIMAL(38, 10)) ELSE {number} END END"
            )
            return Typing([(pre, text)], [(name, value)])
        case "date":
            value = (
                f"CASE WHEN {string} AND regexp_full_match({tx}, '[0-9]{{4}}-[0-9]{{2}}-"
                f"[0-9]{{2}}') AND {tx} >= '0001' THEN TRY_CAST({tx} AS DATE) END"
            )
            return Typing([], [(name, value)])
        case "datetime":
            parts = f"regexp_extract({tx}, '{_DATETIME}', ['day', 'h', 'm', 's', 'zone'])"
            day, hour, minute = f"{pre}.day", f"{pre}.h", f"{pre}.m"
            second, zone = f"{pre}.s", f"{pre}.zone"
            ok = (
                f"{string} AND length({tx}) <= 25 AND {day} >= '0001' "
                f"AND TRY_CAST({day} AS DATE) IS NOT NULL "
                f"AND ({hour} = '' OR ({hour} < '24' AND {minute} < '60' AND {second} < '60' "
                f"AND {zone} IN ('', '+08:00', '+0800')))"
            )
            moment = (
                f"CASE WHEN {hour} = '' THEN CAST(CAST({day} AS DATE) AS TIMESTAMP) ELSE "
                f"TRY_CAST({day} || ' ' || {hour} || ':' || {minute} || ':' || "
                f"CASE WHEN {second} = '' THEN '00' ELSE {second} END AS TIMESTAMP) END"
            )
            return Typing(
                [(pre, parts)],
                [
                    (name, f"CASE WHEN {ok} THEN {moment} END"),
                    (f"{name}__timed", f"CASE WHEN {ok} THEN {hour} <> '' END"),
                ],
            )
        case "duration":
            parts = f"regexp_extract({tx}, '{_DURATION}', ['amount', 'unit'])"
            ok = f"{string} AND {pre}.unit <> ''"
            return Typing(
                [(pre, parts)],
                [
                    (f"{name}__amount", f"CASE WHEN {ok} THEN CAST({pre}.amount AS BIGINT) END"),
                    (f"{name}__unit", f"CASE WHEN {ok} THEN {pre}.unit END"),
                ],
            )
        case "enum":
            members = ", ".join(_q(m) for m in spec.members)
            return Typing([], [(name, f"CASE WHEN {string} AND {tx} IN ({members}) THEN {tx} END")])
        case "text":
            return Typing([], [(name, f"CASE WHEN {string} THEN {tx} END")])
        case _:
            raise AssertionError(f"no SQL column for the fact type {spec.type!r}")


# DuckDB's JSON reader takes a trailing comma (`{"a": 1,}`, `[1,]`), which Python's refuses.
# Found in SQL, over the text: a comma, JSON whitespace, then `}` or `]`, outside strings.  In
# a document json_valid takes, every `"` outside a string opens one, and inside a string `\`
# escapes the next character, so the second pattern removes exactly the strings (with the
# `,}` they may hold) before the first looks again; the first alone is the cheap test that
# spares almost every record the second.
_TRAILING_COMMA: Final = r",[ \t\n\r]*[}\]]"
_JSON_STRING: Final = r'"(?:[^"\\]|\\.)*"'


def _trailing_comma(doc: str) -> str:
    """Whether the JSON text `doc` (json_valid) has a trailing comma outside its strings.  The
    strings are taken out only where a comma stands before a `}` or `]` at all: DuckDB
    evaluates both sides of an AND over every row, and taking the strings out of every
    record was 2.0 of the 8.4 s its typing took for 300,000 records of 威海; a CASE runs its
    THEN only for the rows its WHEN selects."""
    return (
        f"(CASE WHEN regexp_matches({doc}, '{_TRAILING_COMMA}') THEN regexp_matches("
        f"regexp_replace({doc}, '{_JSON_STRING}', '\"\"', 'g'), '{_TRAILING_COMMA}') "
        "ELSE FALSE END)"
    )


def _origin(source: Source, number: str) -> str:
    """The name of a record given no id: its file and line (JSONL, CSV) or place (`#`)."""
    mark = ":" if source.fmt in ("jsonl", "csv") else "#"
    return f"{_q(source.path.name + mark)} || {number}"


def _pos(source: Source, number: str) -> str:
    """A record's position: its file's index in the high bits, `number` in the low ones."""
    return f"({source.index}::BIGINT << {_FILE_SHIFT}) + {number}"


def _numbered(
    source: Source, relation: str, number: str, typed: str = "", exclude: Sequence[str] = ()
) -> str:
    """The SELECT of `relation`'s rows, typed without their place (`Cases._select`, its
    table named `typed`, if anything else is joined), with their place `number`: `pos`, and
    `rid` their origin where they give no id; without the columns `exclude`."""
    of = f"{typed}." if typed else ""
    dropped = ", ".join(["rid", *exclude])
    return (
        f"SELECT {_pos(source, number)} AS pos, coalesce({of}rid, "
        f"{_origin(source, number)}) AS rid, {of}* EXCLUDE ({dropped}) FROM {relation}"
    )


def _given(jt: str) -> str:
    return f"({jt} IS NOT NULL AND {jt} <> 'NULL')"


# ---------------------------------------------------------------- reading the files


@dataclass(frozen=True)
class Source:
    """One input file: its place among the files, its format, and how to stage it.  `path` is
    the file as the user named it, and every record and message names it (`<stdin>` for
    standard input, `stdin`); `data`, a copy of it when it is a named pipe or standard input
    (`_spooled`), is what is read instead."""

    index: int
    path: Path
    fmt: str
    data: Path | None = None
    stdin: bool = False

    @property
    def file(self) -> Path:
        """The file to read: the copy of a pipe, else the file itself."""
        return self.data or self.path


_FORMAT_NAMES: Final = frozenset(_FILE_FORMATS.values())


def _source(index: int, raw: str, input_format: str | None = None) -> Source:
    """The input `raw` (`-`: standard input), read in `input_format` (--input-format), else in
    the format its suffix says; EngineError, in the standard-library engine's words, when it
    has none or cannot be opened."""
    if input_format is not None and input_format not in _FORMAT_NAMES:
        raise EngineError(
            f"--input-format {input_format}: expected {', '.join(sorted(_FORMAT_NAMES))}"
        )
    if raw == STDIN:
        if input_format is None:
            raise EngineError(NO_STDIN_FORMAT)  # never guessed from the content
        return Source(index, input_path(raw), input_format, stdin=True)
    path = Path(raw)
    suffix = path.suffix.lower()
    if input_format is None and suffix not in _FILE_FORMATS:
        raise EngineError(
            f"{path}: unknown format '{suffix}'; expected .jsonl, .json, .csv or .parquet, "
            "or give the format with --input-format"
        )
    try:
        readable(path)  # the standard-library engine's words: "No such file or directory", …
    except RecordError as error:
        raise EngineError(str(error)) from None
    return Source(index, path, input_format or _FILE_FORMATS[suffix])


_SPOOL_CHUNK: Final = 1 << 20  # bytes of a pipe copied at once


_BOM: Final = "'^\\x{FEFF}'"  # a BOM at the start of a JSON text, which jsontext.loads drops
# The cell separator of a JSONL file read as CSV (`Cases._lines_read_by_duckdb`): a control
# character, which no JSON text holds (outside a string it is no token, inside one it must be
# escaped), so that a line holding it is bad whichever way it is read.
_LINE_CELL: Final = "\x01"
_SCAN: Final = 1 << 20  # bytes of a JSONL file searched at once (`_line_ends`)
_READ_BUFFER: Final = 32 << 20  # DuckDB's CSV reader's own buffer_size (`Cases._read_buffer`)
# Lines of JSONL typed in one query, per thread: DuckDB's row group (122,880 rows), the rows
# it gives a thread at a time.
_BATCH_ROWS: Final = 122_880
_BLOCK: Final = 32 << 20  # bytes of a JSONL file handed to DuckDB at once (`_blocks`)
# The largest file DuckDB's `read_text` reads (one VARCHAR): past it, "exceeds maximum
# allowed file (3.9 GiB)".
_MAX_TEXT: Final = (1 << 32) - 1


def _csv_column(place: int) -> str:
    """The name of a CSV file's column at `place` (from 0) in DuckDB (`Cases._stage_csv`)."""
    return f"c{place}"


def _blocks(path: Path, at_least_one: bool = False, size: int | None = None) -> Iterator[bytes]:
    """The bytes of `path` in blocks of about `size` (`_BLOCK`) that each end at a `\n` (the
    last one, at the end of the file), a line longer than a block whole in one;
    `at_least_one`: an empty file is one empty block."""
    if at_least_one and path.stat().st_size == 0:
        yield b""
        return
    with path.open("rb") as file:
        while chunk := file.read(size or _BLOCK):
            # The rest of the last line, however long, joined in one copy: a block cut
            # at its last `\n`, its tail kept and joined to the next, was two (0.6 s a
            # 420 MB file).
            yield chunk if chunk.endswith(b"\n") else chunk + file.readline()


@dataclass(frozen=True)
class LineEnds:
    """How a JSONL file's lines end, for DuckDB's CSV reader (`Cases._lines_read_by_duckdb`):
    `crlf`, some in `\r\n` (every `\r` of the file before a `\n`), and then `lines`, how
    many lines the file has."""

    crlf: bool
    lines: int = 0


def _line_ends(path: Path) -> LineEnds | None:
    """How `path`'s lines end, where DuckDB's CSV reader, one cell a line, can read them as
    records.py does (`Cases._lines_read_by_duckdb`); None where it cannot: a file with a
    `_LINE_CELL` (where the reader would cut a cell) or a `\r` not before a `\n` (where it
    would end a line, and records.py does not), an empty file, one that cannot be read (all
    left to `Cases._stage_lines`).  A file with no `\r` is searched a MiB at a time: 0.06 s
    for 420 MB (cached; a mapped file was as fast, but its pages counted in the process's
    memory).  Once a `\r` is found, the file is read again from its start, its `\r`,
    `\r\n` and `\n` counted (0.68 s for 420 MB)."""
    buffer = bytearray(_SCAN)
    cell = _LINE_CELL.encode()
    read = 0
    try:
        with path.open("rb", buffering=0) as file:
            while size := file.readinto(buffer):
                if buffer.find(cell, 0, size) >= 0:
                    return None
                if buffer.find(b"\r", 0, size) >= 0:
                    file.seek(0)
                    return _crlf_lines(file, buffer)
                read += size
    except OSError:  # said by `Cases._stage_lines`, in the Python reader's words
        return None
    return LineEnds(crlf=False) if read else None


def _crlf_lines(file: io.FileIO, buffer: bytearray) -> LineEnds | None:
    """`_line_ends` of a file with a `\r`, read from its start."""
    cell = _LINE_CELL.encode()
    lines = 0
    last = b""  # the byte before the buffer
    while size := file.readinto(buffer):
        if buffer.find(cell, 0, size) >= 0:
            return None
        paired = buffer.count(b"\r\n", 0, size) + (last == b"\r" and buffer[0] == 10)
        carried = last == b"\r"  # a `\r` that ended the buffer before
        if buffer.count(b"\r", 0, size) + carried != paired + (buffer[size - 1] == 13):
            return None  # a `\r` alone
        lines += buffer.count(b"\n", 0, size)
        last = bytes(buffer[size - 1 : size])
    if last == b"\r":
        return None  # the file's last byte
    return LineEnds(crlf=True, lines=lines + (last != b"\n"))


# What DuckDB's JSON reader takes for white space between an array's items and json does not
# (nor does DuckDB's own json_valid): vertical tab and form feed.  No valid JSON holds either
# byte (in a string it must be escaped).
_NOT_JSON_SPACE: Final = (b"\x0b", b"\x0c")


def _json_array(path: Path) -> bool:
    """Whether `path` is a JSON array that DuckDB's JSON reader can read as records.py does
    (`Cases._items_read_by_duckdb`): past a BOM and JSON's white space, its first byte is
    `[`, and it holds no byte of `_NOT_JSON_SPACE`.  (Any other first byte the reader
    refuses, and quotes in its message: a byte that is not UTF-8 made the message itself
    fail to decode.)  Searched a MiB at a time (0.1 s for 420 MB); False for a file that
    cannot be read (left to `Cases._stage_json`)."""
    buffer = bytearray(_SCAN)
    started = False  # past the white space before the document
    try:
        with path.open("rb", buffering=0) as file:
            size = file.readinto(buffer)
            bom = len(codecs.BOM_UTF8) if buffer.startswith(codecs.BOM_UTF8) else 0
            while size:
                if not started:
                    start = bytes(buffer[bom:size]).lstrip(b" \t\n\r")
                    if start and not start.startswith(b"["):
                        return False  # an object (one record), or no JSON
                    started = bool(start)
                    bom = 0
                if any(buffer.find(byte, 0, size) >= 0 for byte in _NOT_JSON_SPACE):
                    return False
                size = file.readinto(buffer)
    except OSError:
        return False
    return started  # False: white space alone


_LINE_SLICE: Final = 1 << 20  # a CSV's line numbers handed to DuckDB at once
_CELL_SLICE: Final = 1 << 18  # a CSV's cells read by csv handed to DuckDB at once

_UNITS: Final = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


def _bytes(setting: str) -> int | None:
    """DuckDB's `memory_limit` as it shows it (`61.0 MiB`, `18.8 GiB`) in bytes; None for
    anything else."""
    match = re.fullmatch(r"([0-9.]+) ?(\w+)", setting.strip())
    if match is None or match[2] not in _UNITS:
        return None
    return int(float(match[1]) * _UNITS[match[2]])


def _line(source: Source, number: int) -> str:
    """Line `number` (from 1) of a JSONL file, as the Python reader decodes it (the file's
    BOM dropped), read again from the file for a bad record's message: DuckDB keeps only
    the typed records."""
    seen = 0  # the lines of the blocks before
    for block in _blocks(source.file):
        lines = block.split(b"\n")
        if block.endswith(b"\n"):
            lines.pop()  # the empty text after the block's last \n: no line
        if number <= seen + len(lines):
            line = lines[number - seen - 1]
            return line.decode("utf-8-sig" if number == 1 else "utf-8")
        seen += len(lines)
    raise AssertionError(f"{source.path} has no line {number}")


def _spooled(source: Source, into: Path) -> Source:
    """`source` as the engine can read it: a regular file as it is; a named pipe or a device
    (`mkfifo cases.jsonl`, a link to `/dev/fd/3`, bash's `/dev/fd/63`) or standard input
    copied first, a chunk at a time, into the file `into` (in the run's temporary directory,
    removed with it), which is then read in its place.  The engine reads a file more than once
    (staging, then the Python reader for a bad record's message), which a pipe cannot give.
    Records and messages still name the pipe (standard input: `<stdin>`)."""
    if source.stdin:
        try:
            stdin = stdin_bytes()  # the process's: read to its end, left open
        except RecordError as error:
            raise EngineError(str(error)) from None
        _copy(source, stdin, into)
        return replace(source, data=into)
    if source.path.is_file():
        return source
    try:
        pipe = source.path.open("rb")
    except OSError as error:
        raise EngineError(f"{source.path}: cannot read: {error.strerror}") from None
    with pipe:
        _copy(source, pipe, into)
    return replace(source, data=into)


def _copy(source: Source, pipe: IO[bytes], into: Path) -> None:
    """The bytes of `pipe` (`source`'s) to their end, into the new file `into`."""
    what = "standard input" if source.stdin else "the pipe"
    try:
        with into.open("wb") as copy:
            while chunk := _read(source, pipe):
                copy.write(chunk)
    except OSError as error:  # the copy's (a full disk): `_read` says the pipe's
        raise EngineError(
            f"{source.path}: cannot copy {what} to {into.parent} (the duckdb engine "
            f"reads a copy of it): {error.strerror}"
        ) from None


def _read(source: Source, pipe: IO[bytes]) -> bytes:
    """The next chunk of a pipe; EngineError in the reader's words when reading fails."""
    try:
        return pipe.read(_SPOOL_CHUNK)
    except OSError as error:
        raise EngineError(f"{source.path}: cannot read: {error.strerror or error}") from None


class Cases:
    """The records of every file, staged and typed in DuckDB as the view `policyc_input`:
    `pos`, `rid` (the record's name in reports), `bad` (a value given but unusable), and
    the typed fact columns."""

    def __init__(
        self,
        con: Any,
        specs: Mapping[str, FactSpec],
        sources: Sequence[Source],
        line: QueryProgress | None = None,
    ):
        self.con = con
        self.line = line  # told how far a JSONL file is read, on a terminal
        self.specs = specs
        self.sources = {s.index: s for s in sources}
        self.columns: list[str] = []  # the typed fact columns, in the specs' order
        # A file refused whole (a CSV row with a cell too many, JSON that does not parse, a
        # byte that is not UTF-8) stops the staging and is kept, to be named only after any
        # bad record of an earlier file (`first_bad`) and any record before it that the checks
        # refuse (`_run`): the standard-library engine reads the files in order, and checks
        # each record as it reads it.
        self.refused: tuple[Source, Exception] | None = None
        # A CSV file's read_csv, to read a record again for its message; the files whose
        # records' line numbers are in a table `policyc_lines_<index>` (`CsvLayout.lines`).
        self.csv: dict[int, str] = {}
        self.csv_header: dict[int, list[str]] = {}
        self.csv_lines: set[int] = set()
        self.json_items: set[int] = set()  # the JSON arrays read item by item
        staged: list[str] = []  # a SELECT of each file's typed rows
        duckdb = _duckdb()
        for source in sources:
            try:
                staged.append(self._stage(source))
            except (EngineError, duckdb.Error) as error:
                if isinstance(error, duckdb.Error):
                    _stopped(duckdb, error)  # Ctrl-C or out of memory: not the file's fault
                self.refused = (source, error)
                break
        if not staged and sources:  # the first file refused: no records, the same columns
            table = self._rows(sources[0], [self._no_records(sources[0])])
            staged.append(f"SELECT * FROM {table}")
        self._input(staged)

    def _rows(self, source: Source, queries: Iterable[str]) -> str:
        """The table of `source`'s typed rows, made of the staging `queries` in turn (a JSONL
        file's blocks; one query for any other file): tables, not views, as the SQL may read
        policyc_cases more than once, and each value is typed once."""
        table = f"policyc_rows_{source.index}"
        made = f"CREATE OR REPLACE TABLE {table} AS "
        for query in queries:
            self.con.execute(made + query)
            made = f"INSERT INTO {table} "
        return table

    def _input(self, staged: Sequence[str]) -> None:
        """`policyc_input` and `policyc_cases` over the staged files' SELECTs."""
        union = " UNION ALL ".join(staged)
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW policyc_input AS {union}")
        self._cases_view("")

    def _cases_view(self, where: str) -> None:
        facts = ", ".join(self.columns)
        self.con.execute(
            "CREATE OR REPLACE TEMP VIEW policyc_cases AS SELECT CAST(pos AS VARCHAR) AS id"
            + (f", {facts}" if facts else "")
            + " FROM policyc_input"
            + where
        )

    def only_before(self, at: int) -> bool:
        """`policyc_cases` cut to the records before position `at` (a ShapeError's: all well
        formed); whether there is any."""
        self._cases_view(f" WHERE pos < {int(at)}")
        row = self.con.execute("SELECT count(*) FROM policyc_cases").fetchone()
        return row is not None and int(row[0]) > 0

    def _no_records(self, source: Source) -> str:
        """A staging query with no rows, for the columns of the typed view."""
        return self._select(
            source, "(SELECT 0::BIGINT AS k WHERE FALSE)", "(k + 1)", {}, None, "FALSE"
        )

    # Each staging query selects pos, rid, bad and the typed columns, from a relation whose
    # raw values are given per fact as (JSON type, text) expressions.
    def _select(
        self,
        source: Source,
        relation: str,
        number: str | None,
        raw: Mapping[str, tuple[str, str]],
        id_raw: tuple[str, str] | None,
        extra_bad: str,
        native: Mapping[str, list[tuple[str, str]]] | None = None,
        carried: Sequence[str] = (),
    ) -> str:
        """pos, rid, bad and the typed columns, in three layers: the raw values per fact as
        (JSON type, text) columns; the intermediate columns of `typing`; the typed columns.
        `carried`: columns of `relation` kept as they are, after `rid`."""
        # `number` None: the record's place is not known here; `pos` is left out, and `rid`
        # is NULL where the record gives no id (`_numbered`).
        origin = "NULL::VARCHAR" if number is None else _origin(source, number)
        if id_raw is None:
            rid, id_bad = origin, "FALSE"
        else:
            jt, tx = id_raw
            id_ok = f"{jt} IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'HUGEINT')"
            rid = f"CASE WHEN {id_ok} THEN {tx} ELSE {origin} END"
            # An id of white space alone is refused, as records.typed refuses it.
            id_blank = f"({jt} = 'VARCHAR' AND {_strip(tx)} = '')"
            id_bad = f"({_given(jt)} AND (NOT {id_ok} OR {id_blank}))"
        first = [f"{rid} AS rid", f"({id_bad} OR {extra_bad}) AS xbad", *carried]
        second = ["rid", "xbad", *carried]
        third = ["rid", *carried]
        if number is not None:
            first.insert(0, f"{_pos(source, number)} AS pos")
            second.insert(0, "pos")
            third.insert(0, "pos")
        lead = len(third)  # `bad` follows
        bad = ["xbad"]
        columns: list[str] = []
        for name, spec in self.specs.items():
            if native is not None and name in native:
                pairs = native[name]
                first.append(f"{_ident(name)} AS {_ident(name + '__nat')}")
                second.append(_ident(name + "__nat"))
                given = f"{_ident(name + '__nat')} IS NOT NULL"
            else:
                jt, tx = raw.get(name, ("NULL::VARCHAR", "NULL::VARCHAR"))
                jt_col, tx_col = _ident(name + "__jt"), _ident(name + "__tx")
                first += [f"{jt} AS {jt_col}", f"{tx} AS {tx_col}"]
                second += [jt_col, tx_col]
                made = typing(spec, jt_col, tx_col)
                second += [f"{expr} AS {column}" for column, expr in made.pre]
                pairs = made.columns
                given = _given(jt_col)
            for column, expr in pairs:
                third.append(f"{expr} AS {_ident(column)}")
                columns.append(_ident(column))
            bad.append(f"({given} AND ({pairs[0][1]}) IS NULL)")
        self.columns = columns
        third.insert(lead, f"({' OR '.join(bad)}) AS bad")
        return (
            f"SELECT {', '.join(third)} FROM (SELECT {', '.join(second)} FROM "
            f"(SELECT {', '.join(first)} FROM {relation}))"
        )

    def typed_facts(self, positions: str) -> dict[int, dict[str, Known]]:
        """The typed facts of the records at `positions` (a SELECT of them), by position, as
        the Python reader types them: read from the typed view in one pass, where reading
        each record again from its file would read the file from its start once a record."""
        cursor = self.con.execute(
            f"SELECT * FROM policyc_cases WHERE CAST(id AS BIGINT) IN ({positions})"
        )
        names = [d[0] for d in cursor.description]
        found: dict[int, dict[str, Known]] = {}
        while batch := cursor.fetchmany(_FETCH):
            for values in batch:
                row = dict(zip(names, values, strict=True))
                found[int(row[ID_FIELD])] = self._facts(row)
        return found

    def _facts(self, row: Mapping[str, Any]) -> dict[str, Known]:
        """A row of the typed view as the facts the Python reader gives (docs/sql.md, the
        table the SQL reads): a duration from its amount and unit, a date-time from its
        moment and whether it was timed."""
        facts: dict[str, Known] = {}
        for name, spec in self.specs.items():
            if spec.type == "duration":
                amount = row[f"{name}__amount"]
                if amount is not None:
                    facts[name] = Duration(int(amount), str(row[f"{name}__unit"]))
                continue
            value = row[name]
            if value is None:
                continue
            if spec.type == "datetime" and not row[f"{name}__timed"]:
                value = value.date()  # a date alone: the whole day
            facts[name] = value
        return facts

    def names_by_position(self, pos: str) -> str | None:
        """The records' names as an expression of their position `pos`, when no file can
        give ids (Parquet without an `id` column): the results then need no join."""
        cases: list[str] = []
        for index, source in sorted(self.sources.items()):
            if self.refused is not None and index >= self.refused[0].index:
                break  # not staged: no record of it is checked
            if source.fmt != "parquet" or self._parquet_types(source).get(ID_FIELD):
                return None
            number = f"({pos} & {(1 << _FILE_SHIFT) - 1})"
            cases.append(f"WHEN {index} THEN {_q(source.path.name + '#')} || {number}")
        return f"CASE ({pos} >> {_FILE_SHIFT}) {' '.join(cases)} END"

    def _parquet_types(self, source: Source) -> dict[str, str]:
        relation = f"read_parquet({_q(str(source.file))})"
        described = self.con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        return {str(row[0]): str(row[1]) for row in described}

    def _stage(self, source: Source) -> str:
        """A SELECT of `source`'s typed rows (`_rows`)."""
        match source.fmt:
            case "jsonl":
                lines = self._lines_read_by_duckdb(source)
                if lines is not None:
                    return lines
                table = self._rows(source, self._stage_lines(source))
            case "json":
                items = self._items_read_by_duckdb(source)
                if items is not None:
                    return items
                query = self._stage_json(source)
                with self._reading(source):
                    table = self._rows(source, [query])
            case "csv":
                return self._stage_csv(source)
            case "parquet":
                query = self._stage_parquet(source)
                with self._reading(source):
                    table = self._rows(source, [query])
            case _:
                raise AssertionError(source.fmt)
        return f"SELECT * FROM {table}"

    def _known(self) -> str:
        return "[" + ", ".join(_q(n) for n in [ID_FIELD, *self.specs]) + "]"

    def _stage_json(self, source: Source) -> str:
        """The staging query of a JSON document: an array of objects (record N), or one
        object (record 1)."""
        table = f"policyc_json_{source.index}"
        # The BOM the Python reader drops with the file's encoding (utf-8-sig), then the one
        # jsontext.loads drops from the document.
        text = "regexp_replace(content, '^\\x{FEFF}', '')"
        path = _q(str(source.file))
        self._too_large(source)
        staged = (
            f"CREATE OR REPLACE TABLE {table} AS SELECT 1 AS n, "
            f"regexp_replace({text}, {_BOM}, '') AS doc FROM read_text({path})"
        )
        try:
            self.con.execute(staged)
        except _duckdb().Error as error:
            _stopped(_duckdb(), error)
            # Bytes that are not UTF-8: the Python reader names the byte (or a record before
            # it), where DuckDB said "read_text: could not read content … as valid UTF-8".
            self._python_file_error(source)
        valid = self.con.execute(
            f"SELECT json_valid(doc) AND NOT {_trailing_comma('doc')}, "
            f"CASE WHEN json_valid(doc) THEN json_type(doc) END FROM {table}"
        ).fetchone()
        if valid is None or not valid[0]:
            self._python_file_error(source)
        if valid[1] == "ARRAY":
            self.con.execute(
                f"CREATE OR REPLACE TABLE {table} AS SELECT "
                f"generate_subscripts(items, 1) AS n, unnest(items) AS doc FROM ("
                f"SELECT CAST(doc AS JSON[]) AS items FROM {table})"
            )
        return self._documents(source, table)

    def _documents(
        self, source: Source, table: str, number: str | None = "n", carried: Sequence[str] = ()
    ) -> str:
        """The staging query of the JSON documents of `table` (`doc`, and `n` its place,
        unless `number` is None: `Cases._select`): each a record; `carried`, columns of
        `table` kept as they are."""
        checked = f"policyc_jsonv_{source.index}"
        names = [*self.specs, ID_FIELD]
        paths = "[" + ", ".join(_q(f'$."{name}"') for name in names) + "]"
        texts = _q(json.dumps(dict.fromkeys(names, "VARCHAR")))
        # A document that is not one JSON object with each key once: bad; a key the policy
        # does not know, with a value: bad.  Costs measured on 300,000 records of 威海, on
        # two threads:
        # - Each key once.  json_keys lists a repeated key twice, and json_type of a path
        #   gives each known key once (`'NULL'` for a null), so the keys are all different
        #   when the known ones given and the others add up to the list, and the others
        #   (almost never any) are all different.  (`list_distinct` of every record's keys
        #   took 0.83 s.)  The others are looked for only where the known ones given fall
        #   short of the list (0.3 s).
        # - An object: a valid JSON text whose first character past JSON's white space is
        #   `{` (json_type parsed the text once more).
        # - Every field's JSON type (a list of paths), and its text by from_json to VARCHAR,
        #   which looks each key up once where a list of paths tries each path in turn
        #   (0.5 s against 0.8 s).  The text is json_extract_string's but for a large
        #   number's exponent (`1e+300` for `1e300`), which only casts read: the same value.
        # j is NULL where the text is no JSON, and json_keys of NULL is NULL, never an
        # error; no function reads a document that is not an object.
        others = (
            f"CASE WHEN len(keys) = list_count(jts) THEN []::VARCHAR[] ELSE list_filter(keys, "
            f"lambda k: NOT list_contains({self._known()}, k)) END"
        )
        kept = "".join(f"{c}, " for c in ([] if number is None else ["n"]) + list(carried))
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {checked} AS SELECT {kept}j, NOT ok AS malformed, "
            f"CASE WHEN ok THEN strange END AS strange, CASE WHEN ok THEN jts END AS jts, "
            f"CASE WHEN ok THEN txs END AS txs FROM ("
            f"SELECT {kept}j, strange, jts, txs, coalesce(object AND len(keys) = "
            f"list_count(jts) + len(strange) AND list_unique(strange) = len(strange), FALSE) "
            f"AS ok FROM ("
            f"SELECT {kept}j, keys, object, jts, txs, "
            f"CASE WHEN object THEN {others} END AS strange FROM ("
            f"SELECT {kept}j, keys, object, "
            f"CASE WHEN object THEN json_type(j, {paths}) END AS jts, "
            f"CASE WHEN object THEN from_json(j, {texts}) END AS txs FROM ("
            f"SELECT {kept}j, keys, coalesce(regexp_matches(j, '^[ \\t\\n\\r]*[{{]') "
            f"AND NOT {_trailing_comma('j')}, FALSE) AS object FROM ("
            f"SELECT {kept}j, json_keys(j) AS keys FROM ("
            f"SELECT {kept}CASE WHEN json_valid(doc) THEN doc END AS j FROM {table}))))))"
        )
        unknown = (
            "CASE WHEN len(strange) > 0 THEN list_bool_or(list_transform(strange, lambda k: "
            "json_type(j, '/' || replace(replace(k, '~', '~0'), '/', '~1')) <> 'NULL')) "
            "ELSE FALSE END"
        )
        raw = {name: (f"jts[{i}]", f"txs.{_ident(name)}") for i, name in enumerate(names, 1)}
        id_jt, id_tx = raw.pop(ID_FIELD)
        # An integer past 64 bits, which DuckDB's JSON types DOUBLE but keeps the digits of (a
        # fraction or an exponent comes out as `1000.0`): an id, as Python's int, written as
        # str(int) writes it; past Python's limit on digits the Python reader refuses it.
        whole = f"regexp_full_match({id_tx}, '-?[0-9]+')"
        limit = sys.get_int_max_str_digits()
        if limit:
            whole += f" AND length(ltrim({id_tx}, '-')) <= {limit}"
        id_raw = (
            f"CASE WHEN {id_jt} = 'DOUBLE' AND {whole} THEN 'HUGEINT' ELSE {id_jt} END",
            id_tx,
        )
        return self._select(
            source, checked, number, raw, id_raw, f"malformed OR {unknown}", carried=carried
        )

    def _items_read_by_duckdb(self, source: Source) -> str | None:
        """A SELECT of a JSON array's typed records, its items read by DuckDB's JSON reader
        (`read_json_objects`, format 'array') one at a time and typed in the same query, where
        `_stage_json` reads the document whole into one value (300,000 records of 威海: 2.3 GB
        of memory; past 4 GiB, refused).  None, and nothing kept, where the reader cannot
        give the items as records.py reads them (`_json_array`: not an array, or a byte it
        takes for white space and json does not) or refuses the file: an item longer than
        twice its maximum_object_size (`_read_buffer`, where DuckDB takes no less than 16
        MiB), a fault in the array, bytes that are not UTF-8, a lone surrogate escape;
        `_stage_json` then reads it whole, or names the fault in the Python reader's words.
        The items are numbered by the order the table of them keeps, as a CSV's records
        (`_stage_csv`).  The reader reads an array on one thread, and the typing, in the same
        query, runs on it (300,000 records of 威海: 8 s, where JSONL takes 5 on two cores)."""
        if not _json_array(source.file):
            return None
        relation = self._items_relation(source)
        query = self._documents(source, f"(SELECT json::VARCHAR AS doc FROM {relation})", None)
        table = self._read_in_one(source, query)
        if table is None:
            return None
        self.json_items.add(source.index)
        return _numbered(
            source,
            f"(SELECT rowid AS policyc_k, * FROM {table})",
            "(policyc_k + 1)",
            exclude=("policyc_k",),
        )

    def _items_relation(self, source: Source) -> str:
        """The items of the JSON array `source`, by DuckDB's JSON reader (a column `json`)."""
        return (
            f"read_json_objects({_q(str(source.file))}, format = 'array', "
            f"compression = 'none', maximum_object_size = {self._read_buffer()})"
        )

    def _item(self, source: Source, number: int) -> str:
        """The text of item `number` (from 1) of the JSON document `source`, as staging read
        it: an array read by DuckDB's JSON reader is read again up to it."""
        if source.index in self.json_items:
            relation = self._items_relation(source)
            query = f"SELECT json::VARCHAR FROM {relation} LIMIT 1 OFFSET ?"
        else:
            query = f"SELECT doc FROM policyc_json_{source.index} WHERE n = ? + 1"
        row = self.con.execute(query, [number - 1]).fetchone()
        assert row is not None
        return str(row[0])

    def _lines_read_by_duckdb(self, source: Source) -> str | None:
        """A SELECT of a JSONL file's typed records, its lines read by DuckDB's CSV reader as
        the cells of one column: one query, on every core, where `_stage_lines` hands the
        file over a block at a time from Python (a million records of 威海: 15 s against 23 s
        in all, 0.7 GB of memory against 1.0).  None, and nothing kept, where the reader
        cannot give the lines as records.py reads them, which only `\n` ends: a file with a
        `\r` alone or a `_LINE_CELL` (`_line_ends`); one the reader refuses (a line longer
        than its buffer, `_read_buffer`; bytes that are not UTF-8, which `_stage_lines` then
        names as the Python reader does).  An empty line is a row of its own (NULL), so each
        line is its row, numbered by the order the table of them keeps (as a CSV's records,
        `_stage_csv`); a blank line is typed with the rest and left out after."""
        ends = _line_ends(source.file)
        if ends is None:
            return None
        # Lines ended by `\r\n`: the reader outside strict mode, which ends a line at `\r\n`
        # (one end) as at `\n`, the `\r` dropped (JSON's white space, and str.strip's);
        # in strict mode it read no row of such a file.  Its rows are then counted against
        # the file's lines.
        newline = r"'\r\n'" if ends.crlf else r"'\n'"  # as DuckDB spells them
        relation = (
            f"read_csv({_q(str(source.file))}, columns = {{'doc': 'VARCHAR'}}, "
            f"header = false, auto_detect = false, delim = {_q(_LINE_CELL)}, quote = '', "
            f"escape = '', new_line = {newline}, "
            f"strict_mode = {str(not ends.crlf).lower()}, null_padding = false, "
            f"compression = 'none', buffer_size = {self._read_buffer()})"
        )
        # A blank line (white space alone, as str.strip sees it) is no record; the BOM of a
        # file's start the reader drops (records.py reads it as utf-8-sig).
        lines = (
            f"(SELECT regexp_replace(doc, {_BOM}, '') AS doc, "
            f"coalesce(regexp_full_match(doc, '{_WS}*'), TRUE) AS blank FROM {relation})"
        )
        query = self._documents(source, lines, None, ["blank"])
        table = self._read_in_one(source, query)
        if table is None:
            return None
        if ends.crlf:
            row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
            if row is None or int(row[0]) != ends.lines:
                self.con.execute(f"DROP TABLE {table}")
                return None
        return _numbered(
            source,
            f"(SELECT rowid AS policyc_k, * FROM {table}) WHERE NOT blank",
            "(policyc_k + 1)",
            exclude=("policyc_k", "blank"),
        )

    def _read_in_one(self, source: Source, query: str) -> str | None:
        """The table of `source`'s typed rows made by `query`, which reads the file with one
        of DuckDB's readers; None, and nothing kept, where that reader refuses the file (the
        statement rolled back).  Ctrl-C and running out of memory stop the run."""
        table = f"policyc_rows_{source.index}"
        try:
            with self._reading(source):
                self.con.execute(f"CREATE OR REPLACE TABLE {table} AS {query}")
        except _duckdb().Error as error:
            _stopped(_duckdb(), error)
            return None
        return table

    @contextlib.contextmanager
    def _reading(self, source: Source) -> Iterator[None]:
        """While `source` is read in one query (typed as it is read): the line names it and
        gives DuckDB's share of the query done (`query_progress`), gigabytes of JSONL or CSV
        taking minutes; then the share is dropped, as it would be another query's."""
        if self.line is None:
            yield
            return
        self.line.step(f"reading {source.path.name} in DuckDB", self.con.query_progress)
        try:
            yield
        finally:
            self.line.step("reading records in DuckDB")

    def _read_buffer(self) -> int:
        """The bytes DuckDB's CSV reader reads at once, a thread (`_lines_read_by_duckdb`),
        and so the longest line it takes: its default, 32 MiB, but a sixteenth of a low
        `--memory-limit` (as `_stage_lines` cuts its blocks), never below its
        `max_line_size` (2 MiB).  Under 128MB the default ran out of memory typing 160,000
        records of 宁波 (tests/test_streaming_million.py)."""
        budget = self._memory_limit()
        return _READ_BUFFER if budget is None else min(_READ_BUFFER, max(2 << 20, budget // 16))

    def _memory_limit(self) -> int | None:
        """DuckDB's memory_limit in bytes (`_bytes`), which the reads size themselves by."""
        row = self.con.execute("SELECT current_setting('memory_limit')").fetchone()
        return _bytes(str(row[0])) if row is not None else None

    def _stage_lines(self, source: Source) -> Iterator[str]:
        """The staging query of each batch of the lines of a JSONL file that DuckDB's CSV
        reader cannot take (`_lines_read_by_duckdb`), the batch put first in the table
        `policyc_block` (n, doc).  DuckDB's `read_text` reads a file whole into one
        value, which cannot pass 4 GiB (about 2.8 million records of 威海), and its lines were
        kept beside the typed records to the end: 5.2 GB of memory for a million records.
        Here Python reads the file a block of about `_BLOCK` bytes at a time, cut at a `\n`
        (never inside a UTF-8 character), decodes it as the Python reader does, and hands it
        to DuckDB as a parameter.  Blocks gather into a batch of `_BATCH_ROWS` lines a
        thread, as DuckDB runs a query on a thread a row group: fewer, and the typing ran on
        one core.  Only the typed records are kept; the line of a bad record is read from the
        file again (`_line`)."""
        empty = "CREATE OR REPLACE TEMP TABLE policyc_block (n BIGINT, doc VARCHAR)"
        # A blank line (white space alone, as str.strip sees it) is skipped: a full match,
        # which stops at a line's first other character, where stripping both ends of every
        # line read all of it (half the time of staging a block).
        block_lines = (
            f"INSERT INTO policyc_block SELECT n + $before, regexp_replace(line, {_BOM}, '') "
            f"FROM (SELECT generate_subscripts(parts, 1) AS n, unnest(parts) AS line FROM ("
            f"SELECT string_split($text, chr(10)) AS parts)) "
            f"WHERE NOT regexp_full_match(line, '{_WS}*')"
        )
        self.con.execute(empty)
        query = self._documents(source, "policyc_block")
        row = self.con.execute("SELECT current_setting('threads')").fetchone()
        batch = _BATCH_ROWS * max(1, int(row[0]) if row is not None else 1)
        # Under a low --memory-limit a block, and the text of a batch, stay well within it
        # (DuckDB holds a block's text twice while it splits it): slower, on one core.
        budget = self._memory_limit()
        block_size = _BLOCK if budget is None else min(_BLOCK, max(1 << 16, budget // 16))
        batch_bytes = None if budget is None else budget // 4
        before = 0  # the lines of the blocks before this one
        waiting = 0  # the lines in the batch (blank ones too)
        size, done = source.file.stat().st_size, 0  # bytes
        held = 0  # the bytes of the batch
        blocks = _blocks(source.file, at_least_one=True, size=block_size)
        for first, block in enumerate(blocks):
            if self.line is not None:
                # Gigabytes take minutes: how far, after the first block.
                far = f", {done * 100 // size} %" if done else ""
                self.line.step(f"reading {source.path.name} in DuckDB{far}")
            done += len(block)
            try:
                # The BOM the Python reader drops with the file's encoding (utf-8-sig), at
                # the start of the file alone; the one jsontext.loads drops from each
                # document is `_BOM`'s (a JSONL line of files joined with `cat`).
                text = block.decode("utf-8" if first else "utf-8-sig")
            except UnicodeDecodeError:
                # The Python reader names the byte (or a record before it).
                self._python_file_error(source)
            # Only \n ends a record (records.py); blank lines count in the line numbers (a
            # line of a BOM alone is not blank: Python refuses it as JSON).
            self.con.execute(block_lines, {"before": before, "text": text})
            newlines = block.count(b"\n")
            before += newlines
            # A block with no \n at its end is the file's last line (or an empty file: the
            # batch then gives the table its columns).
            waiting += newlines + (not block.endswith(b"\n"))
            held += len(block)
            if waiting >= batch or (batch_bytes is not None and held >= batch_bytes):
                yield query
                self.con.execute(empty)  # dropped and made again: its memory freed
                waiting = held = 0
        if waiting:
            yield query

    def _too_large(self, source: Source) -> None:
        """EngineError when `source`, a JSON document, is larger than DuckDB reads in one
        piece, said as such: DuckDB's words named a size and no way out, and the Python
        reader would have read gigabytes for a message.  (JSONL is read a block at a time;
        a document cannot be cut.)"""
        if source.file.stat().st_size > _MAX_TEXT:
            raise TooLarge(
                f"{source.path}: a JSON document larger than 4 GiB, which the duckdb engine "
                "cannot read in one piece; give its records as JSONL (one a line), CSV or "
                "Parquet"
            )

    def _stage_csv(self, source: Source) -> str:
        layout = _csv_layout(source)
        if layout is None:
            self._python_file_error(source)
        header, lines = layout.header, layout.lines
        if not header:
            # No header row (an empty file): no records, as the Python reader reads it, unless
            # rows follow a blank first line, which it refuses (more cells than columns).
            self._python_refusal(source)
            return self._no_records(source)
        # Columns with no name may repeat (a spreadsheet's empty columns at the end): each is
        # read by its place, as records.py reads them.
        repeated = sorted({name for name in header if name and header.count(name) > 1})
        if repeated:
            self._python_file_error(source)
        # The columns by their place (`_csv_column`), not by the header's names: a name may
        # be empty (a row ending in a comma, as spreadsheets write it), which DuckDB cannot
        # name a column; the header's names stay in `csv_header` for `raw_record`.
        self.csv_header[source.index] = header
        column = {h: _csv_column(i) for i, h in enumerate(header)}
        places = [_csv_column(i) for i in range(len(header))]
        columns = "{" + ", ".join(f"{_q(place)}: 'VARCHAR'" for place in places) + "}"
        read_csv = (
            f"read_csv({_q(str(source.file))}, header = true, auto_detect = false, "
            f"columns = {columns}, delim = ',', quote = '\"', escape = '\"', "
            f"strict_mode = {str(not layout.mixed).lower()}, null_padding = false, "
            "all_varchar = true, compression = 'none')"
        )
        # The rows of a file of one column with blank lines are csv's (DuckDB reads a blank
        # line as a row), and so are those of a file with a `\r` alone beside `\n`s, which
        # DuckDB reads otherwise (it refused one whole, read another as no records at all,
        # and a third with a `\n` moved into the next row's first cell).  A file whose
        # lines all end in a `\r` DuckDB reads first, csv only where the two count its
        # rows differently: csv's rows cost time (300,000 records of 威海: 8.6 s read by
        # DuckDB, 25 s by csv).
        by_python = lines is not None and (len(header) == 1 or layout.by_csv)
        relation = self.csv[source.index] = (
            self._python_rows(source, header) if by_python else read_csv
        )
        # An empty cell is a fact not given (read_csv gives NULL for it).
        raw = {
            h: (f"CASE WHEN {column[h]} IS NOT NULL THEN 'VARCHAR' END", column[h])
            for h in header
            if h in self.specs
        }
        # A column the policy does not know is an unknown field where a record fills it.
        unknown = [
            f"{place} IS NOT NULL"
            for h, place in zip(header, places, strict=True)
            if h != ID_FIELD and h not in self.specs
        ]
        id_raw = None
        if ID_FIELD in header:
            id_raw = (
                f"CASE WHEN {column[ID_FIELD]} IS NOT NULL THEN 'VARCHAR' END",
                column[ID_FIELD],
            )
        # Typed straight from the file, in one pass on every core; the records are numbered
        # after, by their rowid (a table made by one query keeps the order its rows were
        # read in, `preserve_insertion_order`).  The cells in a table of their own, each
        # record numbered as it was read (row_number() OVER (), on one thread), took 8.2 of
        # 12.1 s for 1,000,000 records of 威海.
        unknown_sql = " OR ".join(unknown) or "FALSE"

        def typed_rows(relation: str) -> str | None:
            """The table of the rows of `relation` typed, or None where DuckDB cannot read
            them (a row with more or fewer cells than the header, a quote left open, bytes
            that are not UTF-8: the Python reader then says where and what, in the Python
            path's words, where DuckDB's "CSV Error on Line: 2" said neither)."""
            query = self._select(source, relation, None, raw, id_raw, unknown_sql)
            try:
                with self._reading(source):
                    return self._rows(source, [query])
            except _duckdb().Error as error:
                _stopped(_duckdb(), error)
                return None

        def counted(table: str) -> bool:
            """Whether DuckDB read a row for each line of csv's pass (`lines`)."""
            if lines is None:
                return True
            row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
            return row is not None and int(row[0]) == len(lines)

        table = typed_rows(relation)
        if layout.cr_only and not by_python and (table is None or not counted(table)):
            relation = self.csv[source.index] = self._python_rows(source, header)
            table = typed_rows(relation)
        # Each row has its line from csv's pass: a count that differs is a file the two read
        # otherwise, refused rather than numbered wrong (or cut short).
        if table is None or not counted(table):
            self._python_file_error(source)
        if lines is None and layout.one_a_line is not None:
            row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
            if row is None or int(row[0]) != layout.one_a_line:  # a record spans lines
                lines = self._line_numbers(source, header)
        if lines is None:
            return _numbered(source, table, "(rowid + 2)")  # the header is line 1
        # Records span lines or blank lines are skipped: csv's own line numbers, handed over
        # a slice at a time (a list of ten million Python ints is 0.4 GB), kept for the
        # message of a bad record (`raw_record`).
        numbers = f"policyc_lines_{source.index}"
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {numbers} (k BIGINT, line BIGINT)")
        for start in range(0, len(lines), _LINE_SLICE):
            part = lines[start : start + _LINE_SLICE].tolist()
            self.con.execute(
                f"INSERT INTO {numbers} SELECT generate_subscripts($part, 1) + $start, "
                "unnest($part)",
                {"part": part, "start": start},
            )
        self.csv_lines.add(source.index)
        self.con.execute(
            f"CREATE OR REPLACE TABLE {table} AS "
            + _numbered(
                source,
                f"{table} t JOIN {numbers} l ON l.k = t.rowid + 1 AND l.line > 0",
                "l.line",
                "t",
            )
        )
        return f"SELECT * FROM {table}"

    def _line_numbers(self, source: Source, header: Sequence[str]) -> array[int]:
        """`CsvLayout.lines` of a file DuckDB has read: csv's pass over it."""
        try:
            with source.file.open(encoding="utf-8-sig", newline="") as text:
                reader = csv.reader(text, strict=True)
                next(reader)  # the header
                lines = _csv_lines(reader, header, False)
        except OSError as error:
            raise EngineError(f"{source.path}: cannot read: {error.strerror}") from None
        except csv.Error:  # DuckDB read it
            self._python_file_error(source)
        assert lines is not None
        return lines

    def _python_rows(self, source: Source, header: Sequence[str]) -> str:
        """The rows of a CSV file as Python's csv reads them, each in a table (`k`, then a
        cell a column, `_csv_column`; NULL where empty, as read_csv gives it), a blank line
        as an empty row in a file of one column (as `_csv_lines` numbers them); a relation of
        them in order.  For the files DuckDB reads otherwise: one of one column with blank
        lines (or records over several lines), which DuckDB reads as empty rows, and where
        its lines end both in `\r\n` and in `\n`, a `\r\n` after a record as an empty row
        too, no line numbers could follow its rows; one whose lines end in a `\r` alone.
        The rows go over a slice at a time."""
        width = len(header)
        names = [_csv_column(i) for i in range(width)]
        cells = f"policyc_cells_{source.index}"
        kinds = ", ".join(f"{name} VARCHAR" for name in names)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {cells} (k BIGINT, {kinds})")
        unnest = ", ".join(f"unnest(${name})" for name in names)
        insert = f"INSERT INTO {cells} SELECT generate_subscripts($c0, 1) + $start, {unnest}"
        part: list[list[str | None]] = [[] for _ in names]
        slice_rows = max(1, _CELL_SLICE // width)
        start = 0
        with source.file.open(encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text, strict=True)
            next(reader)  # the header
            for row in reader:
                if not row and width > 1:
                    continue  # a blank line, which csv skips (`_csv_lines`)
                if len(row) > width or (row and len(row) < width):
                    self._python_file_error(source)  # said by the Python reader
                for column, cell in zip(part, row or [""], strict=False):
                    column.append(cell or None)
                if len(part[0]) == slice_rows:
                    self.con.execute(
                        insert, {"start": start, **dict(zip(names, part, strict=True))}
                    )
                    start, part = start + len(part[0]), [[] for _ in names]
        self.con.execute(insert, {"start": start, **dict(zip(names, part, strict=True))})
        return f"(SELECT {', '.join(names)} FROM {cells} ORDER BY k)"

    def _stage_parquet(self, source: Source) -> str:
        relation = f"read_parquet({_q(str(source.file))}, file_row_number = true)"
        types = self._parquet_types(source)
        unknown = [n for n in types if n != ID_FIELD and n not in self.specs]
        if unknown:
            close = f"'{cut(unknown[0])}'"
            raise EngineError(f"{source.path}: unknown column {close} (not a fact of the policy)")
        raw = {name: _parquet_raw(name, kind) for name, kind in types.items() if name in self.specs}
        native: dict[str, list[tuple[str, str]]] = {}
        for name, kind in types.items():
            if name in self.specs:
                found = parquet_native(self.specs[name], kind, _ident(name + "__nat"))
                if found is not None:
                    native[name] = found
        id_raw = _parquet_raw(ID_FIELD, types[ID_FIELD]) if ID_FIELD in types else None
        return self._select(source, relation, "(file_row_number + 1)", raw, id_raw, "FALSE", native)

    # ---------------------------------------------------------------- bad input, in Python's words

    def first_bad(self) -> None:
        """ShapeError for the first problem of shape in reading order, in the Python package's
        words: the first record (in file order) with a value the typed view refused, else the
        file refused whole; nothing when there is none."""
        row = self.con.execute("SELECT min(pos) FROM policyc_input WHERE bad").fetchone()
        if row is not None and row[0] is not None:
            pos = int(row[0])
            try:
                self._refuse(pos)
            except EngineError as error:
                raise ShapeError(str(error), pos) from None
        if self.refused is not None:
            source, why = self.refused
            said = str(why) if isinstance(why, EngineError) else _duckdb_said(why, [source])
            whole = None if isinstance(why, TooLarge) else source  # read by Python: no
            raise ShapeError(said, source.index << _FILE_SHIFT, whole)

    def _refuse(self, pos: int) -> NoReturn:
        """EngineError for the record at `pos`, which the typed view refused."""
        source = self.sources[pos >> _FILE_SHIFT]
        origin, raw = self.raw_record(source, pos & ((1 << _FILE_SHIFT) - 1))
        try:
            record = typed(origin, raw, self.specs)
        except RecordError as error:
            raise EngineError(str(error)) from None
        raise EngineError(f"record {cut(record.id)}: {self._why_untyped(pos, source, record, raw)}")

    def _why_untyped(
        self, pos: int, source: Source, record: Record, raw: Mapping[str, object]
    ) -> str:
        """Why the typed view refused a record the Python reader takes (docs/sql.md: a number
        with more than 10 decimals): the field and the reason."""
        number = pos & ((1 << _FILE_SHIFT) - 1)
        if source.fmt == "jsonl":
            row = self.con.execute(
                f"SELECT json_valid(regexp_replace(?, {_BOM}, ''))", [_line(source, number)]
            ).fetchone()
            if row is not None and not row[0]:
                return "DuckDB cannot read its JSON, which Python's reader takes"
        if source.fmt == "json":
            row = self.con.execute("SELECT json_valid(?)", [self._item(source, number)]).fetchone()
            if row is not None and not row[0]:
                return "DuckDB cannot read its JSON, which Python's reader takes"
        cursor = self.con.execute("SELECT * FROM policyc_input WHERE pos = ?", [pos])
        names = [d[0] for d in cursor.description]
        values = cursor.fetchone()
        typed_row = dict(zip(names, values or (), strict=False))
        for name, value in record.facts.items():
            spec = self.specs[name]
            column = f"{name}__amount" if spec.type == "duration" else name
            if typed_row.get(column) is not None:
                continue
            shown = cut(json.dumps(raw.get(name), ensure_ascii=False, default=str))
            exponent = value.normalize().as_tuple().exponent if isinstance(value, Decimal) else 0
            if isinstance(exponent, int) and exponent < -_SCALE:
                return (
                    f"field '{name}': {shown} has more than {_SCALE} decimal places, which "
                    f"the SQL engine's DECIMAL(38, {_SCALE}) cannot hold exactly (the Python "
                    f"engine takes it)"
                )
            return f"field '{name}': {shown} is a value the SQL engine cannot type"
        return "a value the SQL engine cannot type"

    def raw_record(self, source: Source, number: int) -> tuple[str, dict[str, object]]:
        """The record at `number` of `source` as the Python reader sees it (its origin name
        and its raw fields)."""
        match source.fmt:
            case "jsonl":
                # The Python reader's own reading of the line (blank lines before it, as it
                # numbers them): its origin and its messages, word for word.
                try:
                    text = "\n" * (number - 1) + _line(source, number)
                    return next(raw_records(source.path, text, source.fmt))
                except RecordError as error:
                    raise EngineError(str(error)) from None
            case "json":
                origin = f"{source.path.name}#{number}"
                try:
                    item = jsontext.loads(self._item(source, number))
                except jsontext.JSONInputError:
                    self._python_file_error(source)  # the whole file's message, as Python's
                if not isinstance(item, dict):
                    raise EngineError(
                        f"record {origin}: a record is a JSON object of facts, "
                        f"not {type(item).__name__}"
                    )
                return origin, item
            case "csv":
                # The file read again up to the record, in the order staging read it.
                k = number - 1  # the record's place, from 1
                if source.index in self.csv_lines:
                    row = self.con.execute(
                        f"SELECT k FROM policyc_lines_{source.index} WHERE line = ?", [number]
                    ).fetchone()
                    assert row is not None
                    k = int(row[0])
                cursor = self.con.execute(
                    f"SELECT * FROM {self.csv[source.index]} LIMIT 1 OFFSET ?", [k - 1]
                )
                names = self.csv_header[source.index]
                values = cursor.fetchone()
                assert values is not None
                raw: dict[str, object] = {}
                for name, value in zip(names, values, strict=True):
                    if value is not None:
                        raw.setdefault(name, value)  # columns with no name: the first filled
                return f"{source.path.name}:{number}", raw
            case "parquet":
                relation = f"read_parquet({_q(str(source.file))}, file_row_number = true)"
                # Days and local times as their text, as _python_value writes them: DuckDB
                # gives Python 9999-12-31 for `infinity`, which is then said as that day.
                cells = ", ".join(
                    f"CAST({_ident(name)} AS VARCHAR) AS {_ident(name)}"
                    if kind.upper() == "DATE"
                    else f"strftime({_ident(name)}, '%Y-%m-%dT%H:%M:%S') AS {_ident(name)}"
                    if kind.upper().startswith("TIMESTAMP") and kind.upper() not in _INSTANTS
                    else _ident(name)
                    for name, kind in self._parquet_types(source).items()
                )
                cursor = self.con.execute(
                    f"SELECT {cells} FROM {relation} WHERE file_row_number = ?", [number - 1]
                )
                names = [d[0] for d in cursor.description]
                values = cursor.fetchone()
                assert values is not None
                raw = {
                    k: _python_value(v) for k, v in zip(names, values, strict=True) if v is not None
                }
                return f"{source.path.name}#{number}", raw
            case _:
                raise AssertionError(source.fmt)

    def _python_file_error(self, source: Source) -> NoReturn:
        """A file DuckDB cannot read as records: the Python reader's message for it."""
        self._python_refusal(source)
        raise EngineError(f"{source.path}: DuckDB cannot read it as records")

    def _python_refusal(self, source: Source) -> None:
        """EngineError with the Python reader's message when it refuses the file (or a
        record of it); nothing when it reads every record."""
        from .records import iter_records

        try:
            # One at a time, in the source's format (--input-format, or its suffix's).
            for _ in iter_records(source.path, self.specs, source.data, source.fmt):
                pass
        except RecordError as error:
            raise EngineError(str(error)) from None


def _python_value(value: object) -> object:
    """A Parquet cell as the JSON value the Python reader would take."""
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, datetime):
        if value.tzinfo is not None:  # an instant (TIMESTAMPTZ): China's time, see _INSTANTS
            try:
                value = value.astimezone(CHINA)
            except OverflowError:  # past 9999-12-31 in China: no date-time Python takes
                return value.isoformat(timespec="seconds")
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


# A Parquet TIMESTAMPTZ holds an instant, not a local time.  Records are in China Standard Time
# (runtime/values.py: a date-time is the local time in China, `+08:00` the one offset taken,
# read as the wall-clock time it writes), so an instant is read as the wall-clock time in China
# at that instant: its microseconds since the epoch (UTC, whatever the session's time zone)
# plus eight hours, a fixed offset (China has had no daylight saving time since 1991).  Never
# through DuckDB's session time zone, which is the host's: a verdict must not depend on where
# the validator runs.
_INSTANTS: Final = frozenset(["TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"])
_CHINA_MICROS: Final = 8 * 3600 * 1_000_000
CHINA: Final = timezone(timedelta(hours=8))


def china_time(column: str) -> str:
    """The wall-clock time in China (a TIMESTAMP) at the instant `column` (a TIMESTAMPTZ)."""
    return f"make_timestamp(epoch_us({column}) + {_CHINA_MICROS})"


_INTEGERS: Final = frozenset(
    ["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"]
)


def parquet_native(spec: FactSpec, kind: str, column: str) -> list[tuple[str, str]] | None:
    """The typed column(s) of a Parquet column whose type is already the fact's (the bulk
    path: no text in between), or None to read it as text.  A date-time column is a moment
    (timed); a DATE column for a date-time fact is a day alone.  `column`: where the
    Parquet column is read."""
    upper = kind.upper()
    limit = "10000000000000000::DECIMAL(38, 10)"
    match spec.type:
        case "bool" if upper == "BOOLEAN":
            return [(spec.name, column)]
        # Python's dates run from 0001-01-01 to 9999-12-31; DuckDB's past them both, and to
        # infinity (whose year is NULL): a day outside Python's is refused, as its text is.
        case "date" if upper == "DATE":
            return [(spec.name, f"CASE WHEN year({column}) BETWEEN 1 AND 9999 THEN {column} END")]
        case "datetime" if upper in ("TIMESTAMP", "DATE"):
            timed = "TRUE" if upper == "TIMESTAMP" else "FALSE"
            moment = f"CAST({column} AS TIMESTAMP)"
            return [
                (spec.name, f"CASE WHEN year({column}) BETWEEN 1 AND 9999 THEN {moment} END"),
                (f"{spec.name}__timed", f"CASE WHEN {column} IS NOT NULL THEN {timed} END"),
            ]
        case "datetime" if upper in _INSTANTS:
            local = china_time(column)
            return [
                (spec.name, f"CASE WHEN year({local}) BETWEEN 1 AND 9999 THEN {local} END"),
                (f"{spec.name}__timed", f"CASE WHEN {column} IS NOT NULL THEN TRUE END"),
            ]
        case "int" | "money" | "ratio" if upper in _INTEGERS:
            number = f"CAST({column} AS DECIMAL(38, 10))"
            return [(spec.name, f"CASE WHEN abs({number}) < {limit} THEN {number} END")]
        case "money" | "ratio" if upper.startswith("DECIMAL") and upper.endswith(
            tuple(f", {s})" for s in range(11))
        ):
            number = f"CAST({column} AS DECIMAL(38, 10))"
            return [(spec.name, f"CASE WHEN abs({number}) < {limit} THEN {number} END")]
        case "enum" if upper == "VARCHAR":
            members = ", ".join(_q(m) for m in spec.members)
            return [(spec.name, f"CASE WHEN {column} IN ({members}) THEN {column} END")]
        case "text" if upper == "VARCHAR":
            return [(spec.name, column)]
        case _:
            return None


def _parquet_raw(name: str, kind: str) -> tuple[str, str]:
    """A Parquet column as (JSON type, text): booleans and numbers keep their kind; dates,
    times and strings are text, as in JSON."""
    column = _ident(name)
    upper = kind.upper()
    if upper == "BOOLEAN":
        jt = "'BOOLEAN'"
    elif upper.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        jt = "'DOUBLE'"
    elif upper in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"):
        jt = "'BIGINT'"
    elif upper in ("UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"):
        jt = "'UBIGINT'"
    elif upper in ("VARCHAR", "DATE") or upper.startswith("TIMESTAMP"):
        jt = "'VARCHAR'"
    else:
        jt = "'OTHER'"  # a list, a struct, a blob: never a fact's value
    if upper in _INSTANTS:
        # An instant as China's local time with its offset, as _python_value writes it.
        text = f"strftime({china_time(column)}, '%Y-%m-%dT%H:%M:%S') || '+08:00'"
    elif upper.startswith("TIMESTAMP"):
        text = f"strftime({column}, '%Y-%m-%dT%H:%M:%S')"
    else:
        text = f"CAST({column} AS VARCHAR)"
    return f"CASE WHEN {column} IS NOT NULL THEN {jt} END", text


@dataclass(frozen=True)
class CsvLayout:
    """What DuckDB needs to read a CSV file as the Python reader reads it: its `header`; the
    line number of each row DuckDB reads when they are not simply `row + 1` (a record
    spanning lines, or blank lines, which csv skips but counts), else None; and whether its
    lines end both in `\r\n` and in `\n` (`mixed`), which DuckDB reads only outside its
    strict mode; where `lines` is None but the file holds a quote, the rows DuckDB must read
    for every record to be one line (`one_a_line`), else None."""

    header: list[str]
    lines: array[int] | None  # 8 bytes a record (0: a blank line read as a row)
    mixed: bool
    one_a_line: int | None = None
    by_csv: bool = False  # a `\r` alone beside `\n`s: csv's rows, as DuckDB misreads them
    cr_only: bool = False  # every line ends in a `\r` alone: DuckDB's rows, checked by csv's


def _csv_layout(source: Source) -> CsvLayout | None:
    """The layout of a CSV file; None when csv cannot read it or it is not UTF-8 (the Python
    reader then says where and what, `Cases._python_file_error`).  The file is streamed,
    never held whole: it was read and decoded at once, three times its size in memory (1.6 GB
    for 250 MB of CSV)."""
    try:
        scanned = _scan_csv(source.file)
        if scanned is None:
            return None
        with source.file.open(encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text, strict=True)
            header = next(reader, [])
            # Blank lines at the end shift no record's line, but DuckDB reads them as rows
            # in a file of one column.  A quote may open a field that spans lines: the rows
            # DuckDB reads are counted after (`Cases._stage_csv`), and csv's pass is made
            # only when they fall short of the lines.
            simple = not (scanned.gap or scanned.bare_cr or (scanned.end and len(header) == 1))
            # A row with empty cells past the header's columns (`a,1,,`) DuckDB reads as
            # if they were not there, even in its strict mode; the Python reader refuses it,
            # and a stray comma may have moved a value into the next column.  Only csv's
            # pass counts a row's cells, so it is made where a line ends in a comma.
            widths = scanned.mixed or (
                # With no quote in the file a line is a row, and its commas count its cells
                # (300,000 records of 威海 with lines ending in commas: 1.5 s for csv's pass).
                scanned.trailing and (scanned.quotes or _most_commas(source.file) >= len(header))
            )
            if simple and not widths:
                rows = scanned.lines - 1 - scanned.end if scanned.quotes else None
                return CsvLayout(header, None, False, rows)
            lines = _csv_lines(reader, header, widths)
            if lines is None:
                return None
            # A `\r` alone beside a `\n` (DuckDB took `\r\r\n` for one line end and a `\n`
            # into the next cell): csv's rows; a file whose lines all end in `\r` (old Mac
            # files), DuckDB's first (`Cases._stage_csv`).
            cr_only = scanned.bare_cr and not scanned.newline
            by_csv = scanned.bare_cr and not cr_only
            return CsvLayout(header, lines, scanned.mixed, by_csv=by_csv, cr_only=cr_only)
    except OSError as error:
        raise EngineError(f"{source.path}: cannot read: {error.strerror}") from None
    except (csv.Error, UnicodeDecodeError):
        return None


def _most_commas(path: Path) -> int:
    """The most commas on one line of the file `path`, read a chunk at a time."""
    most = 0
    rest = b""
    with path.open("rb") as file:
        while chunk := file.read(_SPOOL_CHUNK):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            most = max(most, max(map(bytes.count, lines, repeat(b",")), default=0))
    return max(most, rest.count(b","))


def _csv_lines(reader: Any, header: Sequence[str], widths: bool) -> array[int] | None:
    """The line of each row DuckDB reads (`CsvLayout.lines`), from csv's `reader` past the
    header; with `widths`, None for a row of the wrong width."""
    lines = array("q")
    for row in reader:
        if not row:
            # A blank line, which csv skips.  So does DuckDB, but in a file of one column it
            # reads it as a row, empty: a line number 0 drops that row.
            if len(header) == 1:
                lines.append(0)
            continue
        if widths and len(row) != len(header):
            # Outside its strict mode DuckDB drops a cell too many without a word, and inside
            # it an empty one: the Python reader refuses the row.
            return None
        lines.append(reader.line_num)
    return lines


@dataclass(frozen=True)
class CsvScan:
    """What a pass over a CSV file's bytes finds: whether it holds a quote (`quotes`: a
    record may then span lines), whether a blank line comes before a record (`gap`: csv
    skips it, and counts it; a `\n\n` inside a quoted field is taken for one), how many blank
    lines end the file (`end`), how many lines it has (`lines`), whether its lines end both in
    `\r\n` and in `\n` (`mixed`), whether a `\r` stands alone (`bare_cr`: csv ends a
    line there too), whether it holds a `\n` at all (`newline`), and whether a line ends in
    a comma (`trailing`: DuckDB drops empty cells past the header's last column)."""

    quotes: bool
    gap: bool
    end: int
    lines: int
    mixed: bool
    bare_cr: bool
    newline: bool  # a `\n` anywhere
    trailing: bool  # a `,` before a line end


def _scan_csv(path: Path) -> CsvScan | None:
    """The CsvScan of the CSV file `path`, read a chunk at a time; None when it is not UTF-8.
    Where a record spans lines is not looked into: a quote inside a field that does not
    begin with one is a character of it, and counting quotes (measured against csv on
    random files) was wrong there."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    quotes = gap = crlf = lf = trailing = False
    blank = 0  # the blank lines last read
    lines = 0
    rest = b""  # the last line read so far, which has no \n yet
    last = b""  # the chunk before's last byte: a \r\n may straddle two
    cr = crlfs = 0  # every \r, every \r\n
    with path.open("rb") as file:
        while chunk := file.read(_SPOOL_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return None
            pairs = (last + chunk).count(b"\r\n")
            trailing = trailing or b",\n" in last + chunk or b",\r" in last + chunk
            crlf = crlf or pairs > 0
            lf = lf or chunk.count(b"\n") > pairs
            cr, crlfs = cr + chunk.count(b"\r"), crlfs + pairs
            last = chunk[-1:]
            quotes = quotes or b'"' in chunk
            lines += chunk.count(b"\n")
            if gap:
                continue  # csv's own pass numbers the records: only the line ends matter
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            whole, rest = data[:cut], data[cut:]
            if not (b"\n\n" in whole or b"\n\r\n" in whole or whole.startswith((b"\n", b"\r\n"))):
                if whole:  # records, one a line
                    gap, blank = gap or blank > 0, 0
                continue
            for line in whole.split(b"\n")[:-1]:
                if line in (b"", b"\r"):
                    blank += 1
                else:
                    gap, blank = gap or blank > 0, 0
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    if rest.strip(b"\r"):  # a last line with no \n
        gap, blank = gap or blank > 0, 0
    last_line = last not in (b"", b"\n")  # a last line with no \n
    trailing = trailing or rest.endswith(b",")  # a last line with no line end
    return CsvScan(
        quotes, gap, blank, lines + last_line, crlf and lf, cr > crlfs, crlf or lf, trailing
    )


# ---------------------------------------------------------------- running and reporting


class QueryProgress:
    """What the DuckDB engine is doing, and for how long, drawn on a terminal's stderr while
    it works: `PROG: checking records in DuckDB, 12 s…`.  The standard-library engine counts
    its records (runtime/cli.py `Progress`); this one has no record to count, and 150,000
    records took 17 s with nothing on the screen (millions take minutes).  DuckDB's own
    percentage (`query_progress()`) only where a step is one query (a file read and typed,
    `Cases._reading`): a step of several queries goes from 0 to 100 % in each, and a line
    that went 50 %, 0 %, 88 % said less than the time.  A thread redraws the line every
    `every` seconds; `step` names what is being done, with the function that says how far it
    is, if any (polled from the thread, as DuckDB allows); `close` erases the line, before the
    report is written to stdout on the same screen."""

    def __init__(self, prog: str, stream: TextIO, every: float = 0.5) -> None:
        import threading
        import time

        self.prog, self.stream, self.every = prog, stream, every
        self.clock = time.monotonic
        self.started = self.clock()
        self.doing = "reading records in DuckDB"
        self.share: Callable[[], float] | None = None  # percent, or below 0 when unknown
        self.shown = False
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one line at a time: the thread's, or close's
        self._thread = threading.Thread(target=self._run, name="duckdb progress", daemon=True)

    @staticmethod
    def on_terminal(prog: str | None, stream: TextIO) -> QueryProgress | None:
        """A QueryProgress started on `stream` where a line may be drawn (`draws_progress`)
        and a name to draw it with is given; else None."""
        from .terminal import draws_progress

        if prog is None or not draws_progress(stream):
            return None
        progress = QueryProgress(prog, stream)
        progress._thread.start()
        return progress

    def step(self, doing: str, share: Callable[[], float] | None = None) -> None:
        self.doing, self.share = doing, share

    def draw(self) -> None:
        """The line as it stands now (the thread's loop; tests call it)."""
        seconds = self.clock() - self.started
        share, done = self.share, -1.0
        if share is not None:
            with contextlib.suppress(Exception):  # no share to say: the seconds go on
                done = share()
        far = f", {done:.0f} %" if done >= 0 else ""
        with self._lock:
            if self._stop.is_set():
                return
            self.shown = True  # before drawing: see compiler/progress.py
            self.stream.write(f"\r\x1b[K{self.prog}: {self.doing}{far}, {seconds:.0f} s…")
            self.stream.flush()

    def close(self) -> None:
        """Stop drawing and erase the line."""
        with self._lock:
            self._stop.set()
            if self.shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self.shown = False
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.draw()
            except Exception:  # a closed terminal: no line, no harm to the run
                return


def run_duckdb(
    policy: PolicyInfo,
    paths: Sequence[str],
    calendar_files: Sequence[str] | None,
    out: str | None,
    sql_dir: Path | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    stream: TextIO | None = None,
    progress: str | None = None,
    input_format: str | None = None,
) -> tuple[str, int]:
    """The text report and exit code of validating `paths` with the policy's SQL in DuckDB.

    With `stream` (the command line's stdout) the report is written to it as it comes out of
    the database, in chunks, and the text returned is empty: memory does not grow with the
    number of records.  Nothing is written before every record has been read, typed and
    checked (bad input raises EngineError with `stream` untouched), as the Python path
    guarantees (runtime/cli.py).  Ctrl-C while DuckDB works is a KeyboardInterrupt, as
    anywhere else (exit 130, runtime/exits.py).  `progress`: the name to draw a progress
    line with on a terminal's stderr (`QueryProgress`), the command line's; None for none.
    `-` in `paths` is standard input (once at most), copied to a file as a pipe is;
    `input_format` (--input-format) the format of every path, else each file's suffix's."""
    duckdb = _duckdb()
    if memory_limit is not None:
        memory_limit = memory_setting(memory_limit)
    if threads is not None and threads < 1:
        raise EngineError(f"--threads {threads}: expected at least 1")
    where = sql_dir or SQL_DIR
    sql_path = where / f"{policy.id}.sql"
    if not sql_path.is_file():
        raise EngineError(f"no SQL for the policy {policy.id} in {where}")
    out_format = None
    if out is not None:
        out_format = OUT_FORMATS.get(Path(out).suffix.lower())
        if out_format is None:
            raise EngineError(f"--out {out}: expected a .parquet, .csv or .jsonl file")
    try:
        stdin_once(paths)
    except RecordError as error:
        raise EngineError(str(error)) from None
    sources = [_source(i, p, input_format) for i, p in enumerate(paths)]
    if out is not None:
        _not_an_input(out, sources)
    buffer = io.StringIO()  # the report, when no stream is given
    line = QueryProgress.on_terminal(progress, sys.stderr)
    try:
        with tempfile.TemporaryDirectory(prefix="policyc-duckdb-") as tmp:
            # A named pipe (standard input too) is copied into the directory, which goes with
            # every copy when the run ends, on bad input and on Ctrl-C too.  Gigabytes take
            # minutes: the line says so.
            spooled = []
            for source in sources:
                if line is not None and (source.stdin or not source.path.is_file()):
                    line.step(f"copying {source.path.name} to a file for DuckDB")
                spooled.append(
                    _spooled(source, Path(tmp) / f"pipe-{source.index}{source.path.suffix}")
                )
            sources = spooled
            if line is not None:
                line.step("reading records in DuckDB")
            # A database file, not memory: tables are compressed and spilled, memory stays
            # bounded.
            con = duckdb.connect(str(Path(tmp) / "run.duckdb"))
            try:
                # The file goes with the directory: writing its tables out at the end took
                # 0.6 of 9.4 s for 300,000 records of 威海.
                con.execute("PRAGMA disable_checkpoint_on_shutdown")
                # DuckDB's default, said here: a CSV's records are numbered by the order a
                # table made of them keeps (`Cases._stage_csv`).
                con.execute("SET preserve_insertion_order = true")
                con.execute(f"SET temp_directory = {_q(str(Path(tmp) / 'spill'))}")
                if threads is not None:
                    con.execute(f"SET threads = {int(threads)}")
                if memory_limit is not None:
                    con.execute(f"SET memory_limit = {_q(memory_limit)}")
                if line is not None:
                    # For `query_progress()` (QueryProgress.step), never drawn by DuckDB.
                    con.execute("SET enable_progress_bar = true")
                    con.execute("SET enable_progress_bar_print = false")
                code = _run(
                    con, policy, sources, calendar_files, out, out_format, where, sql_path,
                    buffer if stream is None else stream, line,
                )  # fmt: skip
            except (duckdb.Error, RuntimeError) as error:
                _stopped(duckdb, error)
                if not isinstance(error, duckdb.Error):
                    raise
                raise EngineError(_duckdb_said(error, sources)) from None
            finally:
                con.close()
    finally:
        if line is not None:
            line.close()
    return buffer.getvalue(), code


def _duckdb_said(error: Exception, sources: Iterable[Source]) -> str:
    """The message of an error DuckDB raised: its first line, where the copy of a pipe (the
    file DuckDB read) is named as the pipe."""
    said = f"DuckDB: {str(error).splitlines()[0]}"
    for source in sources:
        if source.data is not None:
            said = said.replace(str(source.data), str(source.path))
    return said


def _interrupted(duckdb: Any, error: BaseException) -> bool:
    """Whether DuckDB stopped the query for Ctrl-C: its InterruptException, or (where it
    raises from inside `execute`) a RuntimeError saying so."""
    if isinstance(error, duckdb.InterruptException):
        return True
    return type(error) is RuntimeError and str(error).startswith("Query interrupted")


_MEMORY: Final = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)\s*", re.I)


def memory_setting(text: str) -> str:
    """`--memory-limit`'s value as DuckDB's `memory_limit` takes it (`2GB`, `500 MiB`,
    `50%` of the machine's memory); EngineError for anything else, said before any work
    (DuckDB's own words came only once the run had begun, and `0GB` ran out of memory)."""
    match = _MEMORY.fullmatch(text)
    if match is None or float(match[1]) <= 0 or (match[2] == "%" and float(match[1]) > 100):
        raise EngineError(
            f"--memory-limit {text}: expected a size such as 2GB, 500MB or 1.5GiB, or a share "
            "of the machine's memory such as 50%"
        )
    return f"{match[1]}{match[2]}"


def _stopped(duckdb: Any, error: BaseException) -> None:
    """Raise what stopped a query from outside its input, whatever the step: Ctrl-C as
    KeyboardInterrupt (exit 130), DuckDB out of memory as OutOfMemory (exit 3, saying how to
    give it more).  Neither is a file's fault: taken for one, Ctrl-C went on reading the file
    in Python for its message, and running out of memory was "cannot read it as records"."""
    if _interrupted(duckdb, error):
        raise KeyboardInterrupt from None
    if isinstance(error, duckdb.OutOfMemoryException):
        said = str(error).splitlines()[0].removeprefix("Out of Memory Error: ")
        raise OutOfMemory(
            f"DuckDB ran out of memory ({said}); give it more with --memory-limit, or fewer "
            "--threads"
        ) from None


def _not_an_input(out: str, sources: Sequence[Source]) -> None:
    """`--out` must not replace a file the run reads."""
    target = Path(out)
    for source in sources:
        if source.stdin:
            continue  # `<stdin>` names no file (one of that name may be in the directory)
        try:  # the same file under any name: a relative path, a symbolic or hard link
            same = target.exists() and target.samefile(source.path)
        except OSError:
            same = target.resolve() == source.path.resolve()
        if same:
            raise EngineError(
                f"--out {out}: it is the input file {source.path}; "
                "write the results to another file"
            )


def _run(
    con: Any,
    policy: PolicyInfo,
    sources: Sequence[Source],
    calendar_files: Sequence[str] | None,
    out: str | None,
    out_format: str | None,
    where: Path,
    sql_path: Path,
    stream: TextIO,
    line: QueryProgress | None = None,
) -> int:
    """Check the records, then write the report to `stream`; the exit code.  Every error
    the input can cause is raised before the first write.  `line` hears what is being done
    and is erased before the report is written."""
    cases = Cases(con, policy.facts, sources, line)  # a problem of shape: for `first_bad`
    # The calendar before any record is named: the standard-library engine loads it before
    # it reads one, so a bad `--calendar` file is the first problem.
    load_calendar_table(con, where, calendar_files)
    checks = manifest_checks(where / f"{policy.id}.json")
    if [c.rule for c in checks] != [c.rule for c in checks_of(policy)]:
        raise EngineError(f"the SQL in {where} is not this package's {policy.id} (rebuild it)")
    sql = sql_path.read_text(encoding="utf-8")
    try:
        cases.first_bad()
    except ShapeError as shape:
        # The standard-library engine checks each record as it reads it: a record before the
        # malformed one that the checks refuse (a date outside the calendar) is the first
        # problem it names.  Staging finds every problem of shape before the SQL runs, so
        # such a record is looked for only here, on the way out: the bulk path pays nothing.
        _refused_before(con, cases, policy, calendar_files, sql, checks, shape)
        raise
    if line is not None:
        line.step("checking records in DuckDB")
    results(con, cases, sql, checks)
    _refused(con, cases, policy, checks, calendar_files)
    tally = summarize(con, policy, checks)
    if out is not None and out_format is not None:
        if line is not None:
            line.step(f"writing {out} in DuckDB")
        write_out(con, checks, out, out_format)
    if line is not None:
        line.close()  # the report follows, on the same screen
    if out is None or out_format is None:
        write_findings(con, policy, checks, stream)
    stream.write(TextReport(policy).tail(tally))
    # Flushed here, so that a reader gone away (`| head`) is a BrokenPipeError now (exit 141),
    # not a complaint at the interpreter's exit.
    stream.flush()
    return 1 if tally.findings else 0


_WORD_BITS: Final = 62  # bits per BIGINT mask word (compiler/backends/sql.py WORD_BITS)


def _set_bits(names: Sequence[str], row: Mapping[str, Any], prefix: str) -> list[str]:
    """The names whose bit is set in the row's `<prefix>_n<w>` words, in `names`' order."""
    out = []
    for index, name in enumerate(names):
        word = row.get(f"{prefix}_n{index // _WORD_BITS}") or 0
        if int(word) >> (index % _WORD_BITS) & 1:
            out.append(name)
    return out


def decode_decision(manifest: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of the decision-only statement (`<id>.decide.sql`, docs/sql.md) as the full
    SELECT's four decision columns: the masks decoded here, outside SQL, where a few rows
    cost nothing and a million string concatenations in SQL cost most of the statement."""
    if row.get("outcome") is None:
        return dict.fromkeys(("outcome", "missing", "judgments", "decided_by"))
    facts = [str(f["name"]) for f in manifest["facts"]]  # sorted: bit i is facts[i]
    judgment = {str(f["name"]) for f in manifest["facts"] if f["judgment"]}
    needed = _set_bits(facts, row, "needs")
    return {
        "outcome": row["outcome"],
        "missing": ",".join(x for x in needed if x not in judgment),
        "judgments": ",".join(x for x in needed if x in judgment),
        "decided_by": ",".join(_set_bits(manifest["decide"]["decided_by"], row, "decided_by")),
    }


def manifest_checks(path: Path) -> list[Check]:
    """The checks of the manifest (docs/sql.md), in `check_record`'s order."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise EngineError(f"cannot read the manifest {path}: {error.strerror}") from None
    return [
        Check(str(c["rule"]), str(c["kind"]), str(c["clause"]), str(c["column"]))
        for c in manifest["checks"]
    ]


def load_calendar_table(con: Any, where: Path, files: Sequence[str] | None) -> None:
    """`policyc_calendar`: the package's calendar.csv, or, with `--calendar FILE` years, the
    same table built from the runtime's calendar with them (runtime/sqlcalendar.py, the
    build's own function), for the same counts of working days."""
    bundled = where / "calendar.csv"
    if not bundled.is_file():
        raise EngineError(f"no calendar table {bundled}")
    with bundled.open(encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    source = bundled
    with tempfile.TemporaryDirectory(prefix="policyc-calendar-") as tmp:
        if files:
            from .sqlcalendar import calendar_table
            from .timelimits import CalendarDataError, load_calendar

            try:
                calendar = load_calendar([Path(f) for f in files])
            except (CalendarDataError, OSError) as error:
                raise EngineError(str(error)) from None
            counts = [int(c[1:].removesuffix("_earliest")) for c in header if _W.fullmatch(c)]
            source = Path(tmp) / "calendar.csv"
            source.write_text(calendar_table(counts, calendar), encoding="utf-8")
        types = {name: _calendar_type(name) for name in header}
        columns = "{" + ", ".join(f"{_q(k)}: {_q(v)}" for k, v in types.items()) + "}"
        con.execute(
            f"CREATE OR REPLACE TABLE policyc_calendar AS SELECT * FROM read_csv("
            f"{_q(str(source))}, header = true, auto_detect = false, columns = {columns})"
        )


_W: Final = re.compile(r"w[0-9]+_earliest")


def _calendar_type(column: str) -> str:
    """The SQL type of a calendar.csv column (docs/sql.md, "Calendar")."""
    if column == "day" or column.endswith(("_earliest", "_latest")):
        return "DATE"
    if column == "workday":
        return "BOOLEAN"
    if column.endswith("_index"):
        return "BIGINT"
    return "VARCHAR"


def results(con: Any, cases: Cases, sql: str, checks: Sequence[Check]) -> None:
    """`policyc_results`: the SQL's rows with the records' positions and names."""
    body = sql.strip().removesuffix(";")
    # Planning the SQL takes seconds (it is long): once, into a table.
    con.execute(f"CREATE OR REPLACE TABLE policyc_sql AS {body}")
    names = [str(row[0]) for row in con.execute("DESCRIBE policyc_sql").fetchall()]
    wanted = [f"{c.column}__status" for c in checks]
    if [n for n in names if n.endswith("__status")] != wanted:
        raise AssertionError(f"the SQL's checks are not the manifest's: {names}")
    columns = ", ".join(f"r.{_ident(n)}" for n in names if n != "id")
    by_position = cases.names_by_position("CAST(r.id AS BIGINT)")
    if by_position is not None:
        con.execute(
            f"CREATE OR REPLACE TABLE policyc_results AS SELECT CAST(r.id AS BIGINT) AS pos, "
            f"{by_position} AS id, {columns} FROM policyc_sql r"
        )
        return
    con.execute(
        f"CREATE OR REPLACE TABLE policyc_results AS SELECT i.pos, i.rid AS id, {columns} "
        f"FROM policyc_sql r JOIN policyc_input i ON r.id = CAST(i.pos AS VARCHAR)"
    )


def _refused(
    con: Any,
    cases: Cases,
    policy: PolicyInfo,
    checks: Sequence[Check],
    calendar_files: Sequence[str] | None,
) -> None:
    """The rows with an `error` (docs/sql.md), in reading order, each record checked by the
    Python package: the first one it refuses as bad input (a date outside the calendar, a
    value it cannot compute with) is EngineError in its words; a `number_too_large` row it
    computes (a number past the SQL's DECIMAL) takes the Python package's results."""
    rows = con.execute(
        "SELECT pos, error FROM policyc_results WHERE error IS NOT NULL ORDER BY pos"
    ).fetchall()
    if not rows:
        return
    from .timelimits import load_calendar
    from .validation import validate_records

    calendar = load_calendar([Path(f) for f in calendar_files or ()])
    large = cases.typed_facts("SELECT pos FROM policyc_results WHERE error = 'number_too_large'")
    computed: list[tuple[int, dict[str, object]]] = []
    for pos, error in rows:
        if error == "number_too_large":
            try:
                (result,) = validate_records(policy, [Record(str(pos), large[pos])], calendar)
                computed.append((pos, result_row(result, [c.column for c in checks])))
                continue
            except RecordError:
                pass  # refused: in the words Python says it in, read from its file below
        source = cases.sources[pos >> _FILE_SHIFT]
        origin, raw = cases.raw_record(source, pos & ((1 << _FILE_SHIFT) - 1))
        record = typed(origin, raw, policy.facts)
        try:
            list(validate_records(policy, [record], calendar))
        except RecordError as refused:  # named by its record, as the Python path names it
            raise EngineError(str(refused)) from None
        raise AssertionError(f"record {record.id}: the SQL refuses it, the Python checks do not")
    _replace_rows(con, checks, computed)


def result_row(result: RecordResult, columns: Sequence[str]) -> dict[str, object]:
    """A record's results as the SQL's columns (docs/sql.md, "Relation the SQL returns"):
    `error`, then its checks' under `columns` (the manifest's `column`s), then the
    decision's; what the SQL would say had its numbers room enough."""
    row: dict[str, object] = {"error": None}
    for column, checked in zip(columns, result.checks, strict=True):
        row[f"{column}__status"] = checked.status
        row[f"{column}__needs"] = ",".join(checked.needs)
        row[f"{column}__unpublished"] = ",".join(map(str, checked.unpublished))
    decision: Mapping[str, Any] = result.decision or {}
    row["outcome"] = decision.get("outcome")
    for column, key, part in (
        ("missing", "missing", None),
        ("judgments", "judgments", "judgment"),
        ("decided_by", "decided_by", "rule"),
    ):
        items = decision.get(key)
        row[column] = (
            None
            if items is None
            else ",".join(str(item if part is None else item[part]) for item in items)
        )
    return row


def _replace_rows(
    con: Any, checks: Sequence[Check], rows: Sequence[tuple[int, Mapping[str, object]]]
) -> None:
    """`policyc_results`' rows at the positions of `rows` given their values (`result_row`'s
    columns), in one UPDATE."""
    if not rows:
        return
    columns = ["error", *_result_columns(checks)]
    names = ", ".join(_ident(c) for c in columns)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE policyc_computed AS SELECT * FROM policyc_results LIMIT 0"
    )
    marks = "(" + ", ".join(["?"] * (1 + len(columns))) + ")"
    for start in range(0, len(rows), _ROWS_AT_ONCE):
        batch = rows[start : start + _ROWS_AT_ONCE]
        con.execute(
            f"INSERT INTO policyc_computed (pos, {names}) VALUES {', '.join([marks] * len(batch))}",
            [value for pos, row in batch for value in (pos, *(row[c] for c in columns))],
        )
    sets = ", ".join(f"{_ident(c)} = c.{_ident(c)}" for c in columns)
    con.execute(f"UPDATE policyc_results r SET {sets} FROM policyc_computed c WHERE r.pos = c.pos")
    con.execute("DROP TABLE policyc_computed")


def _result_columns(checks: Sequence[Check]) -> list[str]:
    """The result columns after `id` and `error`: each check's, then the decision's."""
    columns = []
    for check in checks:
        columns += [f"{check.column}__{part}" for part in ("status", "needs", "unpublished")]
    return [*columns, "outcome", "missing", "judgments", "decided_by"]


_ROWS_AT_ONCE: Final = 500  # rows a statement of `_replace_rows` inserts


def _refused_before(
    con: Any,
    cases: Cases,
    policy: PolicyInfo,
    calendar_files: Sequence[str] | None,
    sql: str,
    checks: Sequence[Check],
    shape: ShapeError,
) -> None:
    """EngineError for the first record before `shape` (in reading order) that the checks
    refuse, in the words of the standard-library engine, which checks each record as it
    reads it; nothing when there is none.  The records staged before `shape` (well formed, by
    its definition) go through the SQL, as on the bulk path; a file refused whole, which the
    SQL cannot read, through the Python reader and checks, up to the place it breaks."""
    if cases.only_before(shape.at):
        results(con, cases, sql, checks)
        _refused(con, cases, policy, checks, calendar_files)
    source = shape.refused
    if source is None or source.fmt == "parquet":  # the Python reader has no Parquet
        return
    from .records import iter_records
    from .timelimits import load_calendar
    from .validation import validate_records

    calendar = load_calendar([Path(f) for f in calendar_files or ()])
    records = iter_records(source.path, policy.facts, source.data, source.fmt)
    try:
        for _ in validate_records(policy, records, calendar):
            pass
    except (RecordError, CalendarNotCovered) as error:
        # The file's first problem as that engine meets it: a record the checks refuse, else
        # the one of shape (its message is the Python reader's, as `shape`'s).
        raise EngineError(str(error)) from None


def _finding_text(policy: PolicyInfo, checks: Sequence[Check]) -> str:
    """The SQL expression of a result row's report lines without the record's name, joined
    by newlines ('' for none): each finding or undetermined check (status, rule, clause, the
    facts it needs), then the decision's outcome."""
    parts = []
    for check in checks:
        status, needs = _ident(check.column + "__status"), _ident(check.column + "__needs")
        where = _q(f" {check.rule} [{policy.id} {check.clause}]")
        parts.append(
            f"CASE WHEN {status} IN ('fail', 'holds', 'undetermined') THEN upper({status}) || "
            f"{where} || CASE WHEN coalesce({needs}, '') <> '' THEN ' (needs ' || "
            f"replace({needs}, ',', ', ') || ')' ELSE '' END END"
        )
    parts.append("'decision ' || outcome")
    return f"concat_ws(chr(10), {', '.join(parts)})"


def write_findings(con: Any, policy: PolicyInfo, checks: Sequence[Check], stream: TextIO) -> None:
    """The text report's per-record lines without the messages, written to `stream` in
    chunks as they are fetched (never the whole report in memory).  Each record's lines are
    made in DuckDB, on every core, with the record's name before each; Python looks into
    them only where the name holds a newline or the text anything `visible` escapes.
    Formatting each row's 30-odd columns in Python took 0.9 of 9 s for 300,000 records of
    威海; putting the name before each line in Python, 1.5 of 6.5 s for a million."""
    lines = f"SELECT pos, id, {_finding_text(policy, checks)} AS text FROM policyc_results"
    named = "id || ': ' || replace(text, chr(10), chr(10) || id || ': ')"
    cursor = con.execute(
        f"SELECT {named}, contains(id, chr(10)), pos FROM ({lines}) WHERE text <> '' ORDER BY pos"
    )
    # A record's lines made again are read on a cursor of their own: a query on `con` would
    # end the one being fetched.
    again = None
    while batch := cursor.fetchmany(_FETCH):
        runs = []
        for text, odd, pos in batch:
            if odd or not shown_as_is(text):
                again = again or con.cursor()
                text = _visible_run(again, lines, pos)
            runs.append(text)
        runs.append("")
        text = "\n".join(runs)
        for start in range(0, len(text), _CHUNK):
            stream.write(text[start : start + _CHUNK])


def _visible_run(con: Any, lines: str, pos: int) -> str:
    """The report's lines of the record at `pos`, each as `visible` gives it (a newline in
    its name too), without the last newline."""
    row = con.execute(f"SELECT id, text FROM ({lines}) WHERE pos = ?", [pos]).fetchone()
    assert row is not None
    name, text = row
    prefix = visible(str(name)) + ": "
    return prefix + visible_lines(text).replace("\n", "\n" + prefix)


_CHUNK: Final = 1 << 16  # characters of report written at once


def summarize(con: Any, policy: PolicyInfo, checks: Sequence[Check]) -> Tally:
    """The run's summary, counted in the database, as the Python path's `Tally`: the same
    text report summary, word for word (report.TextReport.tail)."""
    statuses = ("fail", "holds", "not_applicable", "pass", "skipped", "undetermined")
    parts = ["count(*)"]
    for check in checks:
        column = _ident(check.column + "__status")
        # coalesce: over no rows at all (an empty file) count_if is NULL, not 0.
        parts += [f"coalesce(count_if({column} = {_q(s)}), 0)" for s in statuses]
    row = con.execute(f"SELECT {', '.join(parts)} FROM policyc_results").fetchone()
    assert row is not None
    counts: dict[str, int] = {}
    exercised: set[str] = set()
    for index, check in enumerate(checks):
        for offset, status in enumerate(statuses):
            found = int(row[1 + index * len(statuses) + offset])
            if found:
                counts[status] = counts.get(status, 0) + found
                if status in EXERCISED:
                    exercised.add(check.clause)
    tally = Tally(policy)
    tally.add_totals(int(row[0]), counts, exercised)
    return tally


def write_out(con: Any, checks: Sequence[Check], out: str, fmt: str) -> None:
    """The per-record results table, in file order: id, each check's status and needs, the
    decision's outcome, missing facts, judgments and deciding rules."""
    columns = ["id", *(_ident(c) for c in _result_columns(checks))]
    options = {"parquet": "FORMAT parquet", "csv": "FORMAT csv, HEADER", "json": "FORMAT json"}
    # Into a new file beside `out`, renamed over it only once whole: a failed write (a full
    # disk, an interrupted run) leaves the previous results as they were.
    target = Path(out)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.partial")
    try:
        con.execute(
            f"COPY (SELECT {', '.join(columns)} FROM policyc_results ORDER BY pos) "
            f"TO {_q(str(partial))} ({options[fmt]})"
        )
        os.replace(partial, target)
    except OSError as error:
        raise EngineError(f"--out {out}: cannot write: {error.strerror or error}") from None
    except Exception as error:
        _stopped(_duckdb(), error)
        raise EngineError(f"--out {out}: cannot write: {str(error).splitlines()[0]}") from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
