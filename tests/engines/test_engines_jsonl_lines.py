"""A JSONL file's lines read by DuckDB's CSV reader, one cell a line, in one pass on every core
(`Cases._lines_read_by_duckdb`), where that reader reads them as records.py does: no `\\r`
but before a `\\n` (the reader ends a line at `\\r` too, where records.py ends one at `\\n`
alone), no `_LINE_CELL`, UTF-8, no line past its buffer.  Any other file goes a block at a
time through Python (`Cases._stage_lines`, tests/engines/test_engines_large.py).  Either way
the report is the standard-library engine's, line for line: these tests say which way each
file went."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from compiler.runtime import sqlengine
from compiler.runtime.policy import PolicyInfo
from tests.engines import each, random_fields, read_the_way, reported_alike, run, staged_by


@pytest.fixture
def by_blocks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files staged a block at a time, as the run goes."""
    return staged_by(monkeypatch, "_stage_lines")


# White space as str.strip sees it, which makes a line blank (no record) for records.py: JSON's
# own space and tab (its `\n` and `\r` end lines here), and others that JSON refuses.
_BLANKS = [" ", "\t", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2028", "\u3000"]
_JSON_SPACE = [" ", "\t"]


def _record(rng: random.Random, number: int) -> str:
    """A 台儿庄 record as a JSONL line: an id or none, facts of several types, Chinese text,
    JSON white space around and inside it, keys in any order."""
    items = list(random_fields(rng, number).items())
    space = "".join(rng.choices(_JSON_SPACE, k=rng.randint(0, 2)))
    body = f",{space}".join(f"{json.dumps(k)}:{space}{json.dumps(v)}" for k, v in items)
    pad = "".join(rng.choices(_JSON_SPACE, k=rng.randint(0, 3)))
    return f"{pad}{{{body}}}{pad}"


def _file(rng: random.Random, lines: int) -> bytes:
    """Records, blank lines of every kind of white space, a BOM at the file's start or at a
    line's (files joined with `cat`), lines ended by `\\n`, `\\r\\n` or both, a last line with
    or without its end."""
    out: list[str] = []
    for number in range(lines):
        roll = rng.random()
        if roll < 0.15:
            out.append("".join(rng.choices(_BLANKS, k=rng.randint(0, 3))))
        elif roll < 0.2:
            out.append("\ufeff" + _record(rng, number))
        else:
            out.append(_record(rng, number))
    ends = rng.choice([["\n"], ["\r\n"], ["\n", "\r\n"]])  # Unix, Windows, both
    text = "".join(line + rng.choice(ends) for line in out[:-1]) + out[-1]
    text += rng.choice(["", *ends])
    return (b"\xef\xbb\xbf" if rng.random() < 0.3 else b"") + text.encode()


@pytest.mark.parametrize("seed", range(12))
def test_random_lines_are_read_by_duckdb_as_records_py_reads_them(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    by_blocks: list[str],
    seed: int,
) -> None:
    rng = random.Random(seed)
    path = tmp_path / "cases.jsonl"
    for _ in range(4):
        path.write_bytes(_file(rng, rng.randint(1, 40)))
        runs = each(policies, capsys, str(path))
        reported_alike(runs)
    assert by_blocks == []  # every file read by DuckDB's reader


# A line the typing refuses, among good ones: the run stops there (exit 2), the line named in
# the Python reader's words.
_BAD_LINES = [
    '{"id": "x", "missed_grant": "perhaps"}',
    '{"nope": 1}',
    '{"id": "x", "id": "y"}',
    "{",
    "[1]",
    "\ufeff",  # a BOM alone is no blank line
    '{"id": "a\x00"}',  # a control character inside a string
    "\x00",
    '{"missed_grant": true}\x00',
    '{"missed_grant": tru\u00e9}',
]


@pytest.mark.parametrize("bad", _BAD_LINES)
def test_a_bad_line_read_by_duckdb_is_refused_in_the_python_readers_words(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    by_blocks: list[str],
    bad: str,
) -> None:
    rng = random.Random(bad)
    lines = [_record(rng, n) for n in range(30)]
    lines.insert(17, bad)
    lines.insert(5, "  ")
    path = tmp_path / "cases.jsonl"
    path.write_bytes("\n".join(lines).encode() + b"\n")
    runs = each(policies, capsys, str(path))
    assert runs["python"][0] == 2
    assert runs["duckdb"] == runs["python"]
    assert by_blocks == []


# Files and how they are read: by DuckDB's reader (True) or by blocks (False).
_WAYS = [
    # Lines ended by `\r\n` (a file written on Windows), some of them or all: read outside
    # strict mode (which read no row of them), the rows counted against the lines.
    ("crlf", b'{"id": "a", "missed_grant": true}\r\n\r\n{"id": "b"}\r\n', 1, True),
    ("cr_blank", b'{"id": "a"}\n\r\n{"missed_grant": true}\n', 1, True),
    ("crlf_last", b'\n{"missed_grant": true}\r\n\n{"missed_grant": true}', 1, True),
    ("crlf_bom", b'\xef\xbb\xbf\r\n{"missed_grant": true}\r\n\xef\xbb\xbf{"id": "b"}\r\n', 1, True),
    # A `\r` alone is JSON's white space inside a line: one record for records.py, two
    # lines for the reader.
    ("bare_cr", b'{"id": "a",\r"missed_grant": true}\n{"id": "b"}\n', 1, False),
    ("bare_cr_crlf", b'{"id": "a"}\r\n{"id": "b",\r"missed_grant": true}\r\n', 1, False),
    ("cr_cr_lf", b'{"id": "a"}\r\r\n{"missed_grant": true}\n', 1, False),
    ("cr_at_the_end", b'{"id": "a"}\r\n{"missed_grant": true}\r', 1, False),
    # In strict mode the reader refuses some `\r` but not these: records named a line
    # late.
    ("cr_first", b'\r{"id": "a", "missed_grant": true}\n{"missed_grant": true}\n', 1, False),
    ("space_cr", b'{"id": "a"}\n \r{"missed_grant": true}\n{"missed_grant": true}\n', 1, False),
    # `_LINE_CELL` inside a string: not JSON (a control character); where the reader
    # would cut the cell.
    ("cell", b'{"id": "a"}\n{"id": "a\x01b"}\n', 2, False),
    # Bytes that are not UTF-8, late in the file: the reader stops there, and the
    # blocks name the byte (or a record before it) as the Python reader does.
    ("not_utf8", b'{"id": "a"}\n{"id": "b"}\n{"id": "c\xff"}\n', 2, False),
    ("not_utf8_after_a_fail", b'{"missed_grant": true}\n{"id": "\xc3"}\n', 2, False),
    # A line longer than the reader's buffer (made 2 MiB here): JSON's white space.
    ("long_line", b'{"id": "a"' + b" " * (3 << 20) + b', "missed_grant": true}\n', 1, False),
    ("long_line_crlf", b'{"id": "a"}\r\n{"id": "b"' + b" " * (3 << 20) + b"}\r\n", 0, False),
    ("not_utf8_crlf", b'{"id": "a"}\r\n{"id": "\xff"}\r\n', 2, False),
    # No line at all.
    ("empty", b"", 0, False),
]


@pytest.mark.parametrize(("name", "data", "code", "by_reader"), _WAYS)
def test_each_file_is_read_the_way_that_reads_it_as_records_py_does(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    by_blocks: list[str],
    name: str,
    data: bytes,
    code: int,
    by_reader: bool,
) -> None:
    monkeypatch.setattr(sqlengine, "_READ_BUFFER", 2 << 20)
    path = tmp_path / f"{name}.jsonl"
    read_the_way(lambda p: each(policies, capsys, str(p)), path, data, code, by_blocks, by_reader)


@pytest.mark.parametrize("end", [b"\n", b"\r\n"])
@pytest.mark.parametrize(
    "bad",
    [
        b"\xed\xa0\x80",  # a surrogate, encoded
        b"\xc0\x80",  # an overlong NUL
        b"\xe0\x80\x80",  # an overlong three bytes
        b"\xf4\x90\x80\x80",  # past U+10FFFF
        b"\xf8\x88\x80\x80\x80",  # five bytes
        b"\xff\xfe",  # a UTF-16 BOM
        b"\xe5\x8f",  # a character cut short
    ],
)
def test_bytes_python_refuses_as_utf8_the_reader_refuses_too(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    by_blocks: list[str],
    bad: bytes,
    end: bytes,
) -> None:
    # The reader's own check of UTF-8 decides whether a file goes by blocks, where the Python
    # reader names the byte: were it to take what Python refuses, the engines would differ.
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b'{"missed_grant": true}' + end + b'{"id": "' + bad + b'"}' + end)
    runs = each(policies, capsys, str(path))
    assert runs["python"][0] == 2 and "not UTF-8" in runs["python"][2]
    assert runs["duckdb"] == runs["python"]
    assert by_blocks == ["cases.jsonl"]


def test_rows_that_are_not_the_lines_send_the_file_by_blocks(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    by_blocks: list[str],
) -> None:
    # Outside strict mode the reader's rows of a `\r\n` file are counted against the file's
    # lines: here the count is made wrong, as a reader that ended a line elsewhere would make
    # it, and the file goes by blocks, nothing of the reader's kept.
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b'{"missed_grant": true}\r\n\r\n{"missed_grant": false}\r\n')
    expected = each(policies, capsys, str(path))
    assert by_blocks == []
    monkeypatch.setattr(
        sqlengine, "_line_ends", lambda path: sqlengine.LineEnds(crlf=True, lines=4)
    )
    assert each(policies, capsys, str(path)) == expected
    assert by_blocks == ["cases.jsonl"]
    reported_alike(expected)


def test_the_reader_and_the_blocks_serve_files_side_by_side(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    by_blocks: list[str],
) -> None:
    # Three files: the reader's, the blocks', the reader's; numbered each by its own lines.
    first = tmp_path / "first.jsonl"
    first.write_bytes(b'{"missed_grant": true}\n\n{"missed_grant": false}\n')
    second = tmp_path / "second.jsonl"
    second.write_bytes(b'{"missed_grant":\rtrue}\r\n\r\n{"adjustment_delayed": true}\r\n')
    third = tmp_path / "third.jsonl"
    third.write_bytes(b'\n\n{"missed_grant": true, "adjustment_delayed": false}')
    runs = each(policies, capsys, str(first), str(second), str(third))
    reported_alike(runs)
    assert by_blocks == ["second.jsonl"]
    named = {line.split(": ")[0] for line in runs["duckdb"][1].splitlines() if ".jsonl:" in line}
    assert named == {
        "first.jsonl:1",
        "first.jsonl:3",
        "second.jsonl:1",
        "second.jsonl:3",
        "third.jsonl:3",
    }


def _line_ends_expected(data: bytes) -> sqlengine.LineEnds | None:
    if not data or b"\x01" in data or re.search(rb"\r(?!\n)", data):
        return None
    if b"\r" not in data:
        return sqlengine.LineEnds(crlf=False)
    return sqlengine.LineEnds(crlf=True, lines=data.count(b"\n") + (not data.endswith(b"\n")))


@pytest.mark.parametrize("scan", [1, 2, 3, 5, 1 << 20])
def test_line_ends_as_the_bytes_say_across_every_buffer_edge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scan: int
) -> None:
    monkeypatch.setattr(sqlengine, "_SCAN", scan)
    rng = random.Random(scan)
    pieces = [b"a", b"\n", b"\r", b"\r\n", b"\r\r", b"\n\n", b"\x01", b"\xe5\x8f\xb0"]
    path = tmp_path / "cases.jsonl"
    for _ in range(3000):
        data = b"".join(rng.choices(pieces, [8, 4, 1, 4, 1, 1, 0.2, 1], k=rng.randint(0, 14)))
        path.write_bytes(data)
        assert sqlengine._line_ends(path) == _line_ends_expected(data), data


_MANY = 200_000


@pytest.mark.parametrize("threads", ["1", "2"])
def test_jsonl_records_past_a_row_group_keep_their_lines(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    by_blocks: list[str],
    threads: str,
) -> None:
    # The reader's rows, blank lines among them, numbered by the order the table of them
    # keeps, past a row group (122,880) and on two threads: each record named by its line.
    blank = {0, 9, 122_879, 122_880, 150_000, _MANY - 2}  # lines, from 0
    failing = {1, 122_881, 199_997, _MANY - 1}
    lines = [
        "" if n in blank else '{"missed_grant": %s}' % ("true" if n in failing else "false")
        for n in range(_MANY)
    ]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--threads", threads,
        "--policy", "taierzhuang", str(path),
    )  # fmt: skip
    assert (code, err) == (1, "")
    records = _MANY - len(blank)
    named = [line.split(": ")[0] for line in out.splitlines()[:records]]
    assert named == [f"many.jsonl:{n + 1}" for n in range(_MANY) if n not in blank]
    fails = [line.split(": ")[0] for line in out.splitlines() if " FAIL " in line]
    assert fails == [f"many.jsonl:{n + 1}" for n in sorted(failing)]
    assert f"taierzhuang: {records} record(s), {len(failing)} finding(s)" in out
    assert by_blocks == []


def test_a_bad_line_past_a_row_group_is_named_by_its_line(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    by_blocks: list[str],
) -> None:
    lines = ['{"missed_grant": false}'] * _MANY
    lines[150_000] = '{"missed_grant": "perhaps"}'
    lines[3] = ""
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--threads", "2",
        "--policy", "taierzhuang", str(path),
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err.endswith(
        "record many.jsonl:150001: field 'missed_grant' is true or false, not \"perhaps\"\n"
    )
    assert by_blocks == []
