"""A JSONL file's lines read by DuckDB's CSV reader, one cell a line, in one pass on every core
(`Cases._lines_read_by_duckdb`), where that reader reads them as records.py does: no `\\r`
(which it ends a line at, where records.py ends one at `\\n` alone), no `_LINE_CELL`, UTF-8,
no line past its `max_line_size`.  Any other file goes a block at a time through Python
(`Cases._stage_lines`, tests/engines/test_engines_large.py).  Either way the report is the
standard-library engine's, line for line: these tests say which way each file went."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler.runtime import sqlengine
from compiler.runtime.policy import PolicyInfo
from tests.engines import each, reported_alike, run


@pytest.fixture
def by_blocks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files staged a block at a time, as the run goes."""
    staged: list[str] = []
    blocks = sqlengine.Cases._stage_lines

    def spy(self: sqlengine.Cases, source: sqlengine.Source) -> Iterator[str]:
        staged.append(source.path.name)
        return blocks(self, source)

    monkeypatch.setattr(sqlengine.Cases, "_stage_lines", spy)
    return staged


# White space as str.strip sees it, which makes a line blank (no record) for records.py; JSON's
# own four among them, and others that JSON refuses around a value.
_BLANKS = [" ", "\t", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2028", "\u3000"]
_JSON_SPACE = [" ", "\t"]


def _record(rng: random.Random, number: int) -> str:
    """A 台儿庄 record as a JSONL line: an id or none, facts of several types, Chinese text,
    JSON white space around and inside it, keys in any order."""
    fields: dict[str, object] = {}
    if rng.random() < 0.6:
        fields["id"] = rng.choice([f"案{number}", number, f'q"{number}"', f"{number}\\,"])
    for name in ("missed_grant", "adjustment_delayed"):
        if rng.random() < 0.7:
            fields[name] = rng.choice([True, False, None])
    if rng.random() < 0.5:
        fields["taierzhuang_fulltime_staff"] = rng.choice([0, 3, 4, 12, "4"])
    items = list(fields.items())
    rng.shuffle(items)
    space = "".join(rng.choices(_JSON_SPACE, k=rng.randint(0, 2)))
    body = f",{space}".join(f"{json.dumps(k)}:{space}{json.dumps(v)}" for k, v in items)
    pad = "".join(rng.choices(_JSON_SPACE, k=rng.randint(0, 3)))
    return f"{pad}{{{body}}}{pad}"


def _file(rng: random.Random, lines: int) -> bytes:
    """Records, blank lines of every kind of white space, a BOM at the file's start or at a
    line's (files joined with `cat`), a last line with or without its `\\n`."""
    out: list[str] = []
    for number in range(lines):
        roll = rng.random()
        if roll < 0.15:
            out.append("".join(rng.choices(_BLANKS, k=rng.randint(0, 3))))
        elif roll < 0.2:
            out.append("\ufeff" + _record(rng, number))
        else:
            out.append(_record(rng, number))
    text = "\n".join(out) + rng.choice(["", "\n"])
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


# A line the checks cannot take: the first problem is named in the Python reader's words, the
# records before it reported first where they fail.
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


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        # Lines ended by `\r\n` (a file written on Windows): the reader would end them at
        # `\r` too, before a `\n` of their own.
        ("crlf", b'{"id": "a", "missed_grant": true}\r\n\r\n{"id": "b"}\r\n', 1),
        # A bare `\r` is JSON's white space inside a line: one record for records.py, two
        # lines for the reader.
        ("bare_cr", b'{"id": "a",\r"missed_grant": true}\n{"id": "b"}\n', 1),
        ("cr_blank", b'{"id": "a"}\n\r\n{"missed_grant": true}\n', 1),
        # Where the reader, in strict mode, refuses some `\r` but not these: records named a
        # line late.
        ("cr_first", b'\r{"id": "a", "missed_grant": true}\n{"missed_grant": true}\n', 1),
        ("space_cr", b'{"id": "a"}\n \r{"missed_grant": true}\n{"missed_grant": true}\n', 1),
        # `_LINE_CELL` inside a string: not JSON (a control character); where the reader
        # would cut the cell.
        ("cell", b'{"id": "a"}\n{"id": "a\x01b"}\n', 2),
        # Bytes that are not UTF-8, late in the file: the reader stops there, and the
        # blocks name the byte (or a record before it) as the Python reader does.
        ("not_utf8", b'{"id": "a"}\n{"id": "b"}\n{"id": "c\xff"}\n', 2),
        ("not_utf8_after_a_fail", b'{"missed_grant": true}\n{"id": "\xc3"}\n', 2),
        # A line longer than the reader's max_line_size (2 MiB): JSON's white space.
        ("long_line", b'{"id": "a"' + b" " * (3 << 20) + b', "missed_grant": true}\n', 1),
        # No line at all.
        ("empty", b"", 0),
    ],
)
def test_a_file_the_reader_cannot_take_goes_by_blocks(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    by_blocks: list[str],
    name: str,
    data: bytes,
    code: int,
) -> None:
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(data)
    runs = each(policies, capsys, str(path))
    assert runs["python"][0] == code
    if code == 2:
        assert runs["duckdb"] == runs["python"]
    else:
        reported_alike(runs)
    assert by_blocks == [path.name]


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
    second.write_bytes(b'{"missed_grant": true}\r\n\r\n{"adjustment_delayed": true}\r\n')
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
