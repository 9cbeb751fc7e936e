"""Case records in: JSON, JSONL or CSV (UTF-8, with or without BOM), validated for shape.

A record is an object of facts (field = fact name) plus an optional `id`.  Shape comes first:
a malformed record gets an error naming the record and the field, before any rule is checked.
The JSON Schema of a policy's records (`record_schema`) states the same shape for other tools.

JSONL and CSV files are read one line (one row) at a time, and a JSON array one item at a time
(jsontext.items), so memory does not grow with the file: `iter_records` hands out each record
as it is read.  A JSON document that is not an array (one object: one record) is read whole.

An input's format comes from its suffix, or, for every input, from `--input-format` (the command
line's `input_format`): standard input (`-`, named `<stdin>` in records and messages) and bash's
`/dev/fd/63` have no suffix to tell it.  Standard input is streamed as a file is.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import stat
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from . import jsontext
from .errors import PolicycError
from .values import TYPES, FactError, FactSpec, Known, coerce, cut

if TYPE_CHECKING:
    import csv

ID_FIELD = "id"
# Standard input among the inputs, and its name in records and messages (`<stdin>:3`, as a
# file's `cases.jsonl:3`), the same in both engines.
STDIN = "-"
STDIN_NAME = "<stdin>"
# Bytes read from standard input at once (`stdin_bytes`).
STDIN_BUFFER = 1 << 16
# Bytes of a JSON document read and decoded at once (`_texts`): an array is read an item at
# a time, never whole.
_CHUNK = 1 << 20
# The formats `--input-format` names: every input is read in it, whatever its suffix.
INPUT_FORMATS = ("json", "jsonl", "csv")
# Said when `-` is given without --input-format: its format is never guessed from its content.
NO_STDIN_FORMAT = (
    f"{STDIN}: standard input has no file name to tell its format by; add --input-format "
    "json, jsonl or csv (parquet with --engine duckdb)"
)
# Half of a UTF-16 surrogate pair, alone: what a JSON `\ud800` escape without its other half
# decodes to.  It is no character: UTF-8 cannot encode it, nor DuckDB hold it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class RecordError(PolicycError, ValueError):
    """Input that is not a well-formed case record: names the file, the record and the field."""


@dataclass(frozen=True)
class Record:
    id: str  # the record's `id`, else its position: "cases.csv:3" (line) or "cases.json#2"
    facts: dict[str, Known]


def read_records(path: Path, specs: Mapping[str, FactSpec]) -> list[Record]:
    """Every record of a file, typed; RecordError on the first malformed one."""
    return list(iter_records(path, specs))


def iter_records(
    path: Path,
    specs: Mapping[str, FactSpec],
    read_from: Path | IO[bytes] | None = None,
    fmt: str | None = None,
) -> Iterator[Record]:
    """The records of a file, typed, one at a time as they are read; RecordError on the first
    malformed one (the records before it have been handed out).  `read_from`: the file to read
    when it is not `path` itself (the DuckDB engine's copy of a named pipe), or a stream of
    bytes (standard input, `stdin_bytes`, left open); records and messages still name `path`.
    `fmt`: the format (`--input-format`), else the one `path`'s suffix says."""
    # Before reading: `cases.bin` -> /dev/zero must not be read to the end.
    fmt = fmt or _format(path)
    if fmt == "json":
        raw = _json_records(path, _texts(path, read_from or path))
    else:
        lines = _lines(path, read_from or path)
        raw = _csv_records(path, _csv_lines(lines)) if fmt == "csv" else _jsonl_records(path, lines)
    for origin, fields in raw:
        yield typed(origin, fields, specs)


def input_path(name: str) -> Path:
    """The path an input given as `name` is named by in records and messages: `<stdin>` for
    standard input (`-`), else the path itself."""
    return Path(STDIN_NAME) if name == STDIN else Path(name)


def stdin_once(names: Iterable[str]) -> None:
    """RecordError when standard input (`-`) is named more than once: it can be read once."""
    count = sum(1 for name in names if name == STDIN)
    if count > 1:
        raise RecordError(
            f"{STDIN} (standard input) is named {count} times; it can be read only once"
        )


def stdin_bytes() -> IO[bytes]:
    """Standard input as bytes, read as a file is (decoded here, line by line): the process's
    file descriptor 0 through a reader of its own with a buffer of STDIN_BUFFER bytes (stdin's
    own holds 8 KiB: from a pipe, twice the system time, and a 100,000-record JSONL run 5-10 %
    slower than from a file), not closing it; nothing has read stdin before.  Without a
    descriptor (a BytesIO a caller put there), stdin's binary stream itself; a text stream
    without one (a StringIO) is read whole, re-encoded; no stdin at all (closed, `<&-`) is a
    RecordError."""
    stdin = sys.stdin
    if stdin is None:
        raise RecordError(f"{STDIN_NAME}: cannot read: standard input is closed")
    buffer: IO[bytes] | None = getattr(stdin, "buffer", None)
    if buffer is not None:
        try:
            return open(buffer.fileno(), "rb", buffering=STDIN_BUFFER, closefd=False)
        except (OSError, ValueError):  # io.UnsupportedOperation: no descriptor under it
            return buffer
    try:
        return io.BytesIO(stdin.read().encode("utf-8", "surrogatepass"))
    except OSError as error:
        raise RecordError(f"{STDIN_NAME}: cannot read: {error.strerror or error}") from None


_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}


def check_file(path: Path, fmt: str | None = None) -> None:
    """RecordError unless `path` has a known format (`fmt`, from `--input-format`, else its
    suffix's) and can be opened: for every file before any record is read, so that a mistyped
    second name is said at once, in the words the DuckDB engine uses too (it checks every file
    first)."""
    if fmt is None:
        _format(path)
    readable(path)


def readable(path: Path) -> None:
    """RecordError unless `path` can be opened for reading, in the reader's own words (`_lines`,
    `_texts`): "No such file or directory", "Is a directory", "Permission denied"."""
    try:
        # A named pipe is not opened to look: its writer would lose what it wrote meanwhile.
        if not stat.S_ISFIFO(path.stat().st_mode):
            with path.open("rb"):
                pass
    except OSError as error:
        raise RecordError(f"{path}: cannot read: {error.strerror}") from None


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise RecordError(
            f"{path}: unknown format '{suffix}'; expected .json, .jsonl or .csv (.parquet with "
            "--engine duckdb), or give the format with --input-format"
        )
    return _FORMATS[suffix]


def _opened(read_from: Path | IO[bytes]) -> contextlib.AbstractContextManager[IO[bytes]]:
    """`read_from` open for reading bytes: a file opened (closed after), a stream as it is
    (standard input is the process's: left open)."""
    if isinstance(read_from, Path):
        return read_from.open("rb")
    return contextlib.nullcontext(read_from)


def _texts(path: Path, read_from: Path | IO[bytes]) -> Iterator[str]:
    """The text of the file or stream `read_from` (named `path` in messages), decoded a
    chunk of `_CHUNK` bytes at a time, a BOM at its start dropped (utf-8-sig).  A chunk ends
    before a character cut in two, so that a bad byte is named by its offset after the BOM,
    as when the file is decoded whole."""
    try:
        with _opened(read_from) as file:
            offset = 0  # the bytes decoded before `data`
            data = file.read(_CHUNK)
            while len(data) < len(codecs.BOM_UTF8) and (more := file.read(_CHUNK)):
                data += more  # a pipe may give fewer bytes than a BOM at first
            data = data.removeprefix(codecs.BOM_UTF8)
            while True:
                more = file.read(_CHUNK)
                cut = _utf8_end(data) if more else len(data)
                try:
                    text = data[:cut].decode("utf-8")
                except UnicodeDecodeError as error:
                    raise RecordError(f"{path}: not UTF-8 (byte {offset + error.start})") from None
                offset += cut
                if text:
                    yield text
                if not more:
                    return
                data = data[cut:] + more
    except OSError as error:
        raise RecordError(f"{path}: cannot read: {error.strerror or error}") from None


def _utf8_end(data: bytes) -> int:
    """Where the last UTF-8 character of `data` that may go on in the next bytes starts
    (its lead byte and too few continuation bytes), else len(data)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # not a continuation byte
            length = 1 if byte < 0xC0 else 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) - back if length > back else len(data)
    return len(data)


def _lines(path: Path, read_from: Path | IO[bytes]) -> Iterator[str]:
    """The lines of the file or stream `read_from` (named `path` in messages), each with its
    \\n, decoded one at a time.  Only \\n ends a line here (a byte that never occurs inside a
    UTF-8 sequence); a bad byte is named by its offset after the BOM, as when the file was
    decoded whole."""
    try:
        with _opened(read_from) as file:
            offset = 0
            for number, data in enumerate(file):
                if number == 0 and data.startswith(codecs.BOM_UTF8):
                    data = data[len(codecs.BOM_UTF8) :]
                try:
                    line = data.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise RecordError(f"{path}: not UTF-8 (byte {offset + error.start})") from None
                offset += len(data)
                yield line
    except OSError as error:
        raise RecordError(f"{path}: cannot read: {error.strerror or error}") from None


def raw_records(
    path: Path, text: str, fmt: str | None = None
) -> Iterator[tuple[str, dict[str, object]]]:
    """The untyped records of a file's whole text, in the format `fmt` (else its suffix's)."""
    fmt = fmt or _format(path)
    if fmt == "csv":
        yield from _csv_records(path, io.StringIO(text, newline=""))
    elif fmt == "jsonl":
        yield from _jsonl_records(path, text.split("\n"))
    else:
        yield from _json_records(path, [text])


def _json_records(path: Path, texts: Iterable[str]) -> Iterator[tuple[str, dict[str, object]]]:
    """The records of a JSON document given as pieces of its text: an array's items, each
    as it is read (jsontext.items), or the one object."""
    try:
        for index, item in enumerate(jsontext.items(texts), 1):
            yield f"{path.name}#{index}", _object(item, f"{path.name}#{index}")
    except jsontext.JSONInputError as error:
        raise _not_json(path, error, None) from None


def _jsonl_records(path: Path, lines: Iterable[str]) -> Iterator[tuple[str, dict[str, object]]]:
    # Only \n ends a record: str.splitlines would also split at U+2028 inside a string.
    name = path.name  # once: a property of Path that recomputes
    for number, line in enumerate(lines, 1):
        if line.strip():
            origin = f"{name}:{number}"
            text = line.removesuffix("\n")  # as the line was when the file was split whole
            yield origin, _object(_json_line(path, text, number), origin)


def _json_line(path: Path, text: str, line: int) -> object:
    """The JSON document of JSONL line `line`."""
    try:
        return jsontext.loads(text)
    except jsontext.JSONInputError as error:
        raise _not_json(path, error, line) from None


def _not_json(path: Path, error: jsontext.JSONInputError, line: int | None) -> RecordError:
    """The error for a JSON text of `path` that does not parse: the JSONL line `line`'s,
    or the JSON document's (`line` None)."""
    where = f"{path}:{line}" if line is not None else f"{path}"
    if line is None and error.line:
        where += f":{error.line}:{error.column}"
    elif line is not None and error.column:
        where += f":{error.column}"  # a JSONL record is one line: its column is the place
    return RecordError(f"{where}: not valid JSON: {error.message}")


def _object(item: object, origin: str) -> dict[str, object]:
    if not isinstance(item, dict):
        raise RecordError(
            f"record {origin}: a record is a JSON object of facts, not {type(item).__name__}"
        )
    return item


def _csv_lines(lines: Iterable[str]) -> Iterator[str]:
    """Lines as the csv module reads them from a file opened with newline="": a lone \\r
    ends a line too (an old Mac file), \\r\\n is one ending."""
    for line in lines:
        if "\r" in line:
            yield from io.StringIO(line, newline="")
        else:
            yield line


def _csv_records(path: Path, lines: Iterable[str]) -> Iterator[tuple[str, dict[str, object]]]:
    import csv  # only for CSV input: the other formats do not pay for it

    # strict: a quote never closed is an error, not a cell swallowing every later row.
    reader = csv.DictReader(lines, strict=True)
    try:
        yield from _csv_rows(path, reader)
    except csv.Error as error:
        # line_num counts the lines of the records read whole: the bad one starts on the next.
        where = f"{path}:{reader.line_num + 1}"
        if "field larger than field limit" in str(error):
            raise RecordError(
                f"{where}: the record starting here has a cell longer "
                f"than {csv.field_size_limit():,} characters"
            ) from None
        raise RecordError(f"{where}: not valid CSV, in the record starting here: {error}") from None


def _csv_rows(path: Path, reader: csv.DictReader[str]) -> Iterator[tuple[str, dict[str, object]]]:
    header = reader.fieldnames or []
    # Columns with no name may repeat: a spreadsheet writes its empty columns at the end as
    # commas (`id,x,,`).  Each is read by its place, when its cells are empty too.
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise RecordError(f"{path}:1: the column {', '.join(repeated)} appears twice in the header")
    # The rows as their cells (DictReader's own reader): a dict of them kept one cell of the
    # columns with no name, and a value in another went unseen.
    rows = reader.reader
    width = len(header)
    for cells in rows:
        # Where the rows read whole end (DictReader kept it): a fault is said from the next.
        reader.line_num = rows.line_num
        if not cells:
            continue  # a blank line, skipped as DictReader skips it
        origin = f"{path.name}:{rows.line_num}"
        if len(cells) > width:
            raise RecordError(f"record {origin}: more cells than the header has columns")
        if len(cells) < width:
            # A cell lost, not a fact left empty.
            raise RecordError(f"record {origin}: fewer cells than the header has columns")
        # An empty cell is a fact not given; CSV has no types, so they come from the policy.
        # A value in a column with no name is the unknown field ''.
        yield origin, {key: value for key, value in zip(header, cells, strict=True) if value != ""}


def typed(origin: str, raw: Mapping[str, object], specs: Mapping[str, FactSpec]) -> Record:
    record_id = raw.get(ID_FIELD)
    if record_id is not None and (
        isinstance(record_id, bool) or not isinstance(record_id, str | int)
    ):
        # A float even when whole: JSON Schema cannot tell 1.0 from 1 and takes it (the one id
        # the schema takes and this refuses), but named "1.0" here and "1" by a tool that
        # rewrote the file, the record would match nothing.
        raise RecordError(f"record {origin}: field 'id' is a string or an integer")
    if isinstance(record_id, str) and not record_id.isascii():
        _whole_characters(origin, ID_FIELD, record_id, "the record's id")
    if isinstance(record_id, str) and not record_id.strip():
        # Refused, not taken as absent: an id names the record in every line of the report,
        # JUnit and --out, and one given empty is most likely an export that lost it; named by
        # its place instead, the findings would go unattributed without a word.  (A CSV cell
        # left empty is an id not given, as every empty cell is a value not given.)
        why = "empty" if not record_id else "blank (white space only)"
        raise RecordError(
            f"record {origin}: field 'id' is {why}; give the record's id, or leave the field "
            f"out to have the record named {origin}"
        )
    name = str(record_id) if record_id is not None else origin
    facts: dict[str, Known] = {}
    for field_name, value in raw.items():
        if field_name == ID_FIELD:
            continue
        if value is None:
            # A fact not given, skipped even when no policy declares it; but a name holding a
            # lone surrogate is refused all the same: the DuckDB engine cannot read such a
            # record at all (its JSON reader refuses the text), and the name says the export
            # cut a character in two.
            if not field_name.isascii() and field_name not in specs:  # a flag read first
                _whole_name(cut(name), field_name)
            continue
        spec = specs.get(field_name)
        if spec is None:
            if not field_name.isascii():  # cut in two by the export, not misspelt
                _whole_name(cut(name), field_name)
            import difflib  # only for the message of a misspelt field

            close = difflib.get_close_matches(field_name, list(specs), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise RecordError(f"record {cut(name)}: unknown field '{cut(field_name)}'{hint}")
        try:
            cell = TYPES[spec.type].from_text(value) if isinstance(value, str) else value
            facts[field_name] = coerce(spec, cell)
        except FactError as error:
            raise RecordError(f"record {cut(name)}: field {error}") from None
        if spec.type == "text" and isinstance(cell, str) and not cell.isascii():
            _whole_characters(cut(name), field_name, cell, "the text")  # the type of any string
    return Record(name, facts)


def _whole_name(name: str, field_name: str) -> None:
    """RecordError when the name of a field no policy declares holds a lone surrogate."""
    _whole_characters(name, field_name, field_name, "the field's name", in_name=True)


def _whole_characters(
    name: str, field_name: str, text: str, what: str, in_name: bool = False
) -> None:
    """RecordError when `text` (a value of `field_name`, or with `in_name` the name itself)
    holds a lone surrogate (a JSON `\\ud800` without its pair).  Refused, not carried: an
    export that cuts a character outside the BMP (𠀀, as in some names) in two leaves one, and
    neither a UTF-8 report nor the DuckDB engine's tables can hold it; both engines refuse it
    in these words.  Called for text that is not ASCII only (`str.isascii` reads a flag: an
    ASCII id costs no scan)."""
    found = _LONE_SURROGATE.search(text)
    if found is not None:
        # The name as the JSON wrote it, `\\ud800` escaped: the message itself must be text
        # any stream can write (a stream that refuses surrogates made it an internal error).
        shown = _LONE_SURROGATE.sub(lambda lone: f"\\u{ord(lone.group()):04x}", cut(field_name))
        where = " in its name" if in_name else ""
        raise RecordError(
            f"record {name}: field '{shown}' holds a lone surrogate{where}, "
            f"\\u{ord(found.group()):04x} at character {found.start() + 1}: half of a "
            "character, most likely cut in two by the export, which no UTF-8 report or table "
            f"can carry; give {what} whole"
        )


def record_schema(policy_id: str, title: str, specs: Mapping[str, FactSpec]) -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of a policy's case records, as JSON."""
    properties: dict[str, object] = {
        ID_FIELD: {
            # null: the id not given, as for every field (`typed`).
            "type": ["string", "integer", "null"],
            "pattern": "\\S",  # a string id is not empty nor blank (`typed`)
            # Nor holds a lone surrogate (`_whole_characters`): written as escapes, which a
            # validator's regular expressions read as code points (Python's re; JavaScript's
            # with the `u` flag, as Ajv uses them).
            "not": {"type": "string", "pattern": "[\\ud800-\\udfff]"},
            "description": "the record's identifier",
        }
    }
    for name in sorted(specs):
        properties[name] = _property(specs[name])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:policyc:{policy_id}:record",
        "title": f"{title} — case record",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def _property(spec: FactSpec) -> dict[str, object]:
    description = spec.label + ("（需人工判断）" if spec.judgment else "")
    nullable: list[object] = [{"type": "null"}]
    return {"description": description, "anyOf": [TYPES[spec.type].schema(spec), *nullable]}
