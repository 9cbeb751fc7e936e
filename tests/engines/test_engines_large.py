"""`validate --engine duckdb` on inputs larger than memory (runtime/sqlengine.py): a JSONL file
that DuckDB's CSV reader cannot read as records.py does (test_engines_jsonl_lines.py; forced
here with `by_blocks`) is handed to DuckDB a block at a time (DuckDB's `read_text` reads a
file whole, and refuses one past 4 GiB: about 2.8 million records of 威海), DuckDB's memory is
bounded by `--memory-limit`, and running out of it is exit 3 with what to do, never bad input.
The blocks are made small here, so that every line boundary, BOM and bad byte falls at or
across a block's edge.  A CSV
file is typed straight from the file and its records numbered after: by their order, or by
csv's own line numbers where a record spans lines or a blank line comes before one."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compiler import ir
from compiler.runtime import sqlengine
from compiler.runtime.policy import PolicyInfo
from tests.engines import PROG, each, refused_alike, reported_alike, run
from tests.sqlcases import POLICIES, case_records

# Files whose lines, BOMs and bad bytes fall on and across the edges of small blocks.
_SPLIT = {
    # A BOM at the start of the file, blank lines (counted), CRLF, a last line with no \n.
    "bom_blank_crlf.jsonl": (
        b'\xef\xbb\xbf{"id": "a", "taierzhuang_fulltime_staff": 3}\n\n  \n'
        b'{"id": 7, "taierzhuang_fulltime_staff": 3}\r\n{"taierzhuang_fulltime_staff": 4}'
    ),
    # Files joined with `cat`, each with its BOM: a BOM at the start of a later line.
    "joined.jsonl": (
        b'{"id": "a", "missed_grant": true}\n\xef\xbb\xbf{"id": "b", "missed_grant": false}\n'
    ),
    # Chinese text (three bytes a character) in a line longer than many blocks.
    "long_line.jsonl": (
        b'{"id": "short"}\n'
        + json.dumps({"id": "\u53f0\u513f\u5e84" * 40, "missed_grant": True}).encode()
        + b'\n{"id": "after"}\n'
    ),
}
_REFUSED = {
    # A line of a BOM alone is no blank line: refused, even where it starts a block.
    "bom_alone.jsonl": (
        b'{"id": "a"}\n\xef\xbb\xbf\n',
        "{path}:2:1: not valid JSON: Expecting value",
    ),
    "not_utf8_late.jsonl": (
        b'{"id": "a"}\n{"id": "b"}\n{"id": "c\xff"}\n',
        "{path}: not UTF-8 (byte 33)",
    ),
    "bad_record_late.jsonl": (
        b'{"id": "a"}\n\n{"id": "b"}\n{"nope": 1}\n',
        "record bad_record_late.jsonl:4: unknown field 'nope'",
    ),
}
_BLOCKS = (1, 2, 3, 7, 12, 13, 64)


@pytest.fixture
def by_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every JSONL file handed over a block at a time (`Cases._stage_lines`), as a file that
    DuckDB's CSV reader cannot take is."""
    monkeypatch.setattr(sqlengine, "_line_ends", lambda path: None)


@pytest.mark.parametrize("block", _BLOCKS)
@pytest.mark.parametrize("name", sorted(_SPLIT))
def test_blocks_are_lines_whole_and_nothing_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, block: int
) -> None:
    path = tmp_path / name
    path.write_bytes(_SPLIT[name])
    monkeypatch.setattr(sqlengine, "_BLOCK", block)
    blocks = list(sqlengine._blocks(path))
    assert b"".join(blocks) == _SPLIT[name]
    assert all(blocks) and all(b.endswith(b"\n") for b in blocks[:-1])


def test_a_line_longer_than_a_block_is_one_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"a" * 100 + b"\nb\n" + b"c" * 50)
    monkeypatch.setattr(sqlengine, "_BLOCK", 8)
    # Eight bytes at a time, each read finished to the end of its line: the first line whole,
    # then `b\n` and the last line, which has no `\n`.
    assert list(sqlengine._blocks(path)) == [b"a" * 100 + b"\n", b"b\n" + b"c" * 50]


@pytest.mark.parametrize("batch", [1, 3])  # lines typed in one query, a thread
@pytest.mark.parametrize("block", _BLOCKS)
@pytest.mark.parametrize("name", sorted(_SPLIT))
@pytest.mark.usefixtures("by_blocks")
def test_small_blocks_give_the_same_report(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    block: int,
    batch: int,
) -> None:
    path = tmp_path / name
    path.write_bytes(_SPLIT[name])
    argv = ("validate", "--engine", "duckdb", "--policy", "taierzhuang", str(path))
    whole = run(policies, capsys, *argv)
    assert whole[0] in (0, 1) and whole[2] == ""
    monkeypatch.setattr(sqlengine, "_BLOCK", block)
    monkeypatch.setattr(sqlengine, "_BATCH_ROWS", batch)
    assert run(policies, capsys, *argv) == whole


@pytest.mark.parametrize("block", _BLOCKS)
@pytest.mark.parametrize("name", sorted(_REFUSED))
@pytest.mark.usefixtures("by_blocks")
def test_small_blocks_refuse_in_the_python_readers_words(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    block: int,
) -> None:
    path = tmp_path / name
    data, message = _REFUSED[name]
    path.write_bytes(data)
    monkeypatch.setattr(sqlengine, "_BLOCK", block)
    monkeypatch.setattr(sqlengine, "_BATCH_ROWS", 1)
    refused_alike(each(policies, capsys, str(path)), message.format(path=path))


@pytest.mark.parametrize(
    "text",
    ['{"id": "a", "nope": 1}', '[{"id": "a"},\f{"nope": 1}]'],
    ids=["an object", "an array with a form feed"],
)
def test_a_json_document_past_4_gib_is_refused_as_too_large(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
) -> None:
    # A document that is not an array, or an array DuckDB's JSON reader cannot read as the
    # Python reader does (a form feed: white space to DuckDB alone), is read in one piece;
    # past its limit DuckDB said "File … size (4.0 GiB) exceeds maximum allowed file (3.9
    # GiB)" and the Python reader then read the whole file for a message.  The limit is made
    # small here: nothing is read, not even by Python.
    path = tmp_path / "cases.json"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(sqlengine, "_MAX_TEXT", 10)

    def never(*args: object, **kwargs: object) -> object:
        raise AssertionError("the Python reader read a file too large for DuckDB")

    monkeypatch.setattr("compiler.runtime.records.iter_records", never)
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang", str(path)
    )
    assert (code, out) == (2, "")
    assert err == (
        f"{PROG}: {path}: a JSON document larger than 4 GiB, which the duckdb engine cannot "
        "read in one piece; give its records as JSONL (one a line), CSV or Parquet\n"
    )


@pytest.mark.usefixtures("by_blocks")
def test_a_jsonl_file_is_never_read_whole(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The limit on a document does not apply to JSONL, which goes in blocks.
    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b", "missed_grant": true}\n', encoding="utf-8")
    argv = ("validate", "--engine", "duckdb", "--policy", "taierzhuang", str(path))
    expected = run(policies, capsys, *argv)
    monkeypatch.setattr(sqlengine, "_MAX_TEXT", 10)
    monkeypatch.setattr(sqlengine, "_BLOCK", 16)
    assert run(policies, capsys, *argv) == expected


# ---------------------------------------------------------------- --memory-limit, --threads


def _records(tmp_path: Path, fmt: str) -> Path:
    """Three 台儿庄 records in `fmt` (Parquet made by DuckDB)."""
    rows = [
        {"id": "a", "taierzhuang_fulltime_staff": 3},
        {"id": "b", "taierzhuang_fulltime_staff": 5},
        {"id": "c"},
    ]
    path = tmp_path / f"cases.{fmt}"
    match fmt:
        case "jsonl":
            path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        case "json":
            path.write_text(json.dumps(rows), encoding="utf-8")
        case "csv":
            lines = ["id,taierzhuang_fulltime_staff"]
            lines += [f"{r['id']},{r.get('taierzhuang_fulltime_staff', '')}" for r in rows]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        case "parquet":
            import duckdb

            source = _records(tmp_path, "jsonl")
            duckdb.sql(
                f"COPY (SELECT id, CAST(taierzhuang_fulltime_staff AS BIGINT) AS "
                f"taierzhuang_fulltime_staff FROM read_json('{source}')) TO '{path}' "
                "(FORMAT parquet)"
            )
    return path


def _records_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> Path:
    """`_records` in `fmt`; "jsonl by blocks": JSONL handed over a block at a time, as a file
    DuckDB's CSV reader cannot take is."""
    if fmt == "jsonl by blocks":
        monkeypatch.setattr(sqlengine, "_line_ends", lambda path: None)
    return _records(tmp_path, fmt.split()[0])


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl by blocks", "json", "csv", "parquet"])
def test_out_of_memory_is_exit_3_saying_what_to_do(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    # Before, running out while staging a file was "DuckDB cannot read it as records"
    # (exit 2: bad input) after the Python reader had read the whole file.  (A JSONL file
    # read by DuckDB's CSV reader would go on by blocks.)
    path = _records_read(tmp_path, monkeypatch, fmt)
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang",
        "--memory-limit", "1KB", str(path),
    )  # fmt: skip
    assert (code, out) == (3, "")
    assert err.startswith(f"{PROG}: DuckDB ran out of memory (")
    assert err.endswith("); give it more with --memory-limit, or fewer --threads\n")


@pytest.mark.parametrize(
    "options", [("--memory-limit", "64MB"), ("--memory-limit", "50%"), ("--threads", "1")]
)
def test_limits_change_nothing_in_the_report(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    options: tuple[str, str],
) -> None:
    path = _records(tmp_path, "jsonl")
    argv = ("validate", "--engine", "duckdb", "--policy", "taierzhuang", str(path))
    expected = run(policies, capsys, *argv)
    assert expected[0] == 1
    assert run(policies, capsys, *argv, *options) == expected


@pytest.mark.parametrize("size", ["0GB", "-1GB", "1", "lots", "1e3MB", "150%", "0%"])
def test_a_memory_limit_that_is_no_size_is_refused_before_any_work(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path, size: str
) -> None:
    path = _records(tmp_path, "jsonl")
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang",
        f"--memory-limit={size}", str(path),
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err == (
        f"{PROG}: --memory-limit {size}: expected a size such as 2GB, 500MB or 1.5GiB, or a "
        "share of the machine's memory such as 50%\n"
    )


@pytest.mark.parametrize("size", ["2GB", "500 MiB", "1.5gb", "25%"])
def test_sizes_duckdb_takes(size: str) -> None:
    assert sqlengine.memory_setting(size) == size.replace(" ", "")


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (("--memory-limit", "1GB"), "--memory-limit needs --engine duckdb"),
        (("--threads", "2"), "--threads needs --engine duckdb"),
        (("--memory-limit", "1GB", "--threads", "2"), "--memory-limit and --threads need "),
    ],
)
def test_duckdb_options_need_the_duckdb_engine(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    options: tuple[str, ...],
    said: str,
) -> None:
    path = _records(tmp_path, "jsonl")
    code, out, err = run(
        policies, capsys, "validate", "--policy", "taierzhuang", *options, str(path)
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"{PROG}: {said}")


@pytest.mark.parametrize("threads", ["0", "-2", "two"])
def test_threads_must_be_a_count(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    threads: str,
) -> None:
    path = _records(tmp_path, "jsonl")
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang",
        f"--threads={threads}", str(path),
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert f"argument --threads: expected a whole number of at least 1, not '{threads}'" in err


# ---------------------------------------------------------------- CSV, streamed

# CSV files whose quotes, blank lines and bad bytes fall on and across the edges of small
# chunks: the layout (a record spanning lines, blank lines that csv skips but counts) is found
# without the file held whole in memory.
_CSV = {
    "simple.csv": (b"id,taierzhuang_fulltime_staff\na,3\nb,5\nc,\n", None),
    "blank_lines.csv": (b"id,taierzhuang_fulltime_staff\na,3\n\nb,5\r\n\r\nc,\n", None),
    "quoted.csv": (b'id,taierzhuang_fulltime_staff\n"a\nb",3\nc,5\n', None),
    "bom.csv": (b"\xef\xbb\xbfid,taierzhuang_fulltime_staff\na,3\n", None),
    # Lines ending in \n and in \r\n (files of two tools joined): DuckDB's strict mode read
    # none of it ("The CSV Parser state machine reached an invalid state").
    "mixed.csv": (b"id,taierzhuang_fulltime_staff\na,3\nb,5\r\nc,\n", None),
    # One column: DuckDB reads a blank line as an empty row, csv skips it; `""` is a record.
    "one_column.csv": (b'missed_grant\n""\n\ntrue\n\r\n\nfalse\n\n', None),
    "one_column_mixed.csv": (b"missed_grant\r\ntrue\n\r\nfalse\r\n\ntrue", None),
    # Blank lines at the end shift no line number (no pass of csv's own), except in a file
    # of one column, where DuckDB reads them as rows.
    "blank_end.csv": (b"id,taierzhuang_fulltime_staff\na,3\nb,5\n\n\r\n", None),
    "one_column_blank_end.csv": (b"missed_grant\ntrue\nfalse\n\n\n", None),
    # A \r alone ends a line for csv.
    "bare_cr.csv": (b"id,taierzhuang_fulltime_staff\ra,3\r\rb,5\r", None),
    "one_column_bare_cr.csv": (b"missed_grant\rtrue\r\rfalse\r", None),
    # DuckDB read these otherwise: the first it refused whole ("DuckDB cannot read it as
    # records"), the last as no records at all, exit 0; csv reads their rows now.
    "bare_cr_in_crlf.csv": (b"id,taierzhuang_fulltime_staff\r\na,3\rb,5\r\n", None),
    "bare_cr_quoted.csv": (b'id,taierzhuang_fulltime_staff\r"a\rb",3\r"c\r\nd",5\r', None),
    "bare_cr_trailing_comma.csv": (b"id,taierzhuang_fulltime_staff,\ra,3,\r\rb,5,\r", None),
    # DuckDB took `\r\r\n` for one line end, and the `\n` of the blank line before into
    # the next row's first cell: rows of the same count, their cells not the file's.
    "bare_cr_before_crlf.csv": (
        b"ID,id,taierzhuang_fulltime_staff\r\n\n,,3\r\r\n,r1,\r\r\n,r2,5\r\n",
        None,
    ),
    "bare_cr_quoted_header.csv": (
        b'"\n",1\r,""\nb',
        "record bare_cr_quoted_header.csv:4: fewer cells than the header has columns",
    ),
    "one_column_cell_too_many.csv": (
        b"missed_grant\n\ntrue\ntrue,1\n",
        "record one_column_cell_too_many.csv:4: more cells than the header has columns",
    ),
    # A bad record before the row refused whole is named first, as csv reads them.
    "one_column_bad_then_too_many.csv": (
        b"missed_grant\n\nx\ntrue,1\n",
        "record one_column_bad_then_too_many.csv:3: field 'missed_grant' is true or false, "
        'not "x"',
    ),
    "mixed_quoted.csv": (b'id,taierzhuang_fulltime_staff\r\n"a\r\nb",3\nc,5\r\n', None),
    # DuckDB drops empty cells past the header's columns, even in its strict mode: a stray
    # comma moved the application date into the approval column, and the row was checked.
    "empty_cell_too_many.csv": (
        b"id,taierzhuang_application_date,taierzhuang_approval_date\na,2024-09-02,\n"
        b"b,,2024-09-27,\n",
        "record empty_cell_too_many.csv:3: more cells than the header has columns",
    ),
    "empty_cells_too_many_last.csv": (
        b"id,missed_grant\na,true\nb,true,,",
        "record empty_cells_too_many_last.csv:3: more cells than the header has columns",
    ),
    "empty_last_cell.csv": (b"id,missed_grant,taierzhuang_fulltime_staff\na,true,\nb,,3\n", None),
    # A spreadsheet's empty columns at the end: several columns with no name, each read by its
    # place (two were refused as "the column with no name appears twice").
    "empty_columns.csv": (b"id,missed_grant,,\na,true,,\nb,,,\n", None),
    "value_in_an_empty_column.csv": (
        b"missed_grant,,\ntrue,,\ntrue,x,\n",
        "record value_in_an_empty_column.csv:3: unknown field ''",
    ),
    "value_in_the_last_empty_column.csv": (
        b"missed_grant,,,\ntrue,,,x\n",
        "record value_in_the_last_empty_column.csv:2: unknown field ''",
    ),
    "empty_cell_too_many_quoted.csv": (
        b'id,missed_grant\n"a,1",true\n"b",true,\n',
        "record empty_cell_too_many_quoted.csv:3: more cells than the header has columns",
    ),
    "mixed_cell_too_many.csv": (
        b"id,taierzhuang_fulltime_staff\na,3\nb,5,6\r\nc,\n",
        "record mixed_cell_too_many.csv:3: more cells than the header has columns",
    ),
    "mixed_open_quote.csv": (
        b'id,taierzhuang_fulltime_staff\na,3\nb,"5\r\nc,\n',
        "{path}:3: not valid CSV, in the record starting here: unexpected end of data",
    ),
    "not_utf8.csv": (
        b"id,taierzhuang_fulltime_staff\na,3\nb,5\nc\xff,4\n",
        "{path}: not UTF-8 (byte 39)",
    ),
    "bad_then_not_utf8.csv": (
        b"id,taierzhuang_fulltime_staff\na,x\n" + b"b,5\n" * 3000 + b"c\xff,4\n",
        # The record first, as the standard-library engine reads it: the DuckDB engine named
        # the byte, having decoded the whole file before reading a record.
        "record a: field 'taierzhuang_fulltime_staff' is an int, not \"x\"",
    ),
}


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 1 << 20])
@pytest.mark.parametrize("name", sorted(_CSV))
def test_csv_read_a_chunk_at_a_time_as_the_python_reader_reads_it(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    chunk: int,
) -> None:
    path = tmp_path / name
    data, message = _CSV[name]
    path.write_bytes(data)
    monkeypatch.setattr(sqlengine, "_SPOOL_CHUNK", chunk)
    monkeypatch.setattr(sqlengine, "_LINE_SLICE", 2)  # the line numbers, two at a time
    monkeypatch.setattr(sqlengine, "_CELL_SLICE", 2)  # csv's rows, as few cells at a time
    runs = each(policies, capsys, str(path))
    if message is None:
        reported_alike(runs)  # every record named by its line, as csv numbers them
        assert runs["python"][0] == 1
    else:
        refused_alike(runs, message.format(path=path))


def test_rows_duckdb_reads_otherwise_are_refused_not_lost(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where csv's line numbers and DuckDB's rows differ in number (a file they read
    otherwise, as DuckDB read a `\r` alone), the file is refused, never numbered wrong or
    read short: here csv's pass is made to miss a row."""
    path = tmp_path / "blank_lines.csv"
    path.write_bytes(_CSV["blank_lines.csv"][0])
    lines = sqlengine._csv_lines

    def short(*args: Any) -> Any:
        found = lines(*args)
        return None if found is None else found[:-1]

    monkeypatch.setattr(sqlengine, "_csv_lines", short)
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang", str(path)
    )
    assert (code, out) == (2, "")
    assert err == f"{PROG}: {path}: DuckDB cannot read it as records\n"


@pytest.mark.usefixtures("by_blocks")
def test_the_line_says_how_far_a_jsonl_file_is_read(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A JSONL file of gigabytes is read for minutes: the line gives the share handed over.
    said: list[str] = []

    class Line:
        def step(self, doing: str) -> None:
            said.append(doing)

        def close(self) -> None:
            pass

    monkeypatch.setattr(sqlengine.QueryProgress, "on_terminal", lambda prog, stream: Line())
    monkeypatch.setattr(sqlengine, "_BLOCK", 12)
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b'{"id": "a"}\n{"id": "b"}\n{"id": "c"}\n{"id": "d"}\n')  # 4 x 12 bytes
    argv = ("validate", "--engine", "duckdb", "--policy", "taierzhuang", str(path))
    assert run(policies, capsys, *argv)[0] == 0
    reading = [s for s in said if s.startswith("reading cases.jsonl")]
    assert reading == [
        "reading cases.jsonl in DuckDB",
        "reading cases.jsonl in DuckDB, 25 %",
        "reading cases.jsonl in DuckDB, 50 %",
        "reading cases.jsonl in DuckDB, 75 %",
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "parquet"])
def test_the_line_says_which_file_is_read_in_one_query_and_how_far(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    # One query reads the whole file: the line gives DuckDB's share of it done while it runs
    # (`query_progress`), and none once it is over (it would be another query's).
    said: list[tuple[str, float | None]] = []

    class Line:
        def step(self, doing: str, share: Callable[[], float] | None = None) -> None:
            said.append((doing, None if share is None else share()))

        def close(self) -> None:
            pass

    monkeypatch.setattr(sqlengine.QueryProgress, "on_terminal", lambda prog, stream: Line())
    path = _records(tmp_path, fmt)
    argv = ("validate", "--engine", "duckdb", "--policy", "taierzhuang", str(path))
    assert run(policies, capsys, *argv)[0] == 1
    # Asked before the query starts, DuckDB's share is -1 (no query): none drawn.
    assert [s for s in said if s[0].startswith("reading")] == [
        ("reading records in DuckDB", None),
        (f"reading cases.{fmt} in DuckDB", -1),
        ("reading records in DuckDB", None),
    ]


@pytest.mark.parametrize(
    ("shown", "size"),
    [("61.0 MiB", 61 << 20), ("18.8 GiB", int(18.8 * (1 << 30))), ("512 bytes", 512), ("?", None)],
)
def test_duckdbs_memory_limit_read_back_in_bytes(shown: str, size: int | None) -> None:
    # How a block and a batch are sized under --memory-limit (current_setting's words).
    assert sqlengine._bytes(shown) == size


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl by blocks", "csv"])
def test_ctrl_c_while_a_file_is_staged_stops_at_once(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    # DuckDB's interruption while it read a CSV was taken for a file it cannot read: the
    # Python reader then read the whole file for a message before the run ended, exit 2.
    # (A JSONL file read by DuckDB's CSV reader would go on by blocks.)
    import duckdb

    path = _records_read(tmp_path, monkeypatch, fmt)
    connect = duckdb.connect

    class Interrupted:
        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self.con = con

        def execute(self, sql: str, *args: object) -> object:
            # The records' file read (CSV, JSONL by DuckDB's reader), or a block of it
            # handed over (JSONL by blocks).
            if str(path) in sql or "INSERT INTO policyc_block" in sql:
                raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
            return self.con.execute(sql, *args)

        def __getattr__(self, name: str) -> object:
            return getattr(self.con, name)

    def never(*args: object, **kwargs: object) -> object:
        raise AssertionError("the Python reader read the file after Ctrl-C")

    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: Interrupted(connect(*a, **k)))
    monkeypatch.setattr("compiler.runtime.records.iter_records", never)
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang", str(path)
    )
    assert (code, out, err) == (130, "", "")


# Records past one row group (122,880), read on two threads: the CSV is typed straight from
# the file and its records numbered after, by the order DuckDB kept (`_numbered`).
_MANY = 200_000


@pytest.mark.parametrize("blank", [False, True])  # a blank line: csv's own line numbers
@pytest.mark.parametrize("two", [False, True])  # a second column, empty
def test_csv_records_past_a_row_group_keep_their_lines(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    blank: bool,
    two: bool,
) -> None:
    # A file of one column with a blank line: DuckDB reads that line as a row of its own,
    # where csv skips it; the records after it were named a line early, the last one lost.
    path = tmp_path / "many.csv"
    failing = {7, 122_880, 150_001, _MANY - 1}  # records, from 0
    rows = [("true" if i in failing else "false") + ("," if two else "") for i in range(_MANY)]
    header = "missed_grant" + (",adjustment_delayed" if two else "")
    path.write_text(header + "\n" + ("\n" if blank else "") + "\n".join(rows) + "\n")
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--threads", "2",
        "--policy", "taierzhuang", str(path),
    )  # fmt: skip
    assert (code, err) == (1, "")
    lines = out.splitlines()[:_MANY]
    first = 3 if blank else 2  # the header is line 1
    assert [line.split(": ")[0] for line in lines] == [
        f"many.csv:{n}" for n in range(first, first + _MANY)
    ]
    assert [n for n, line in enumerate(lines) if " FAIL " in line] == sorted(failing)
    assert f"taierzhuang: {_MANY} record(s), {len(failing)} finding(s)" in out


@pytest.mark.parametrize("blank", [False, True])
def test_a_bad_csv_record_past_a_row_group_is_named_by_its_line(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    blank: bool,
) -> None:
    # The record is read again for its message (`raw_record`), from a file of its own and from
    # a second file, the first having its own line numbers too.
    rows = ["false"] * _MANY
    rows[150_000] = "perhaps"
    first = tmp_path / "first.csv"
    first.write_text("missed_grant\n\n\nfalse\n")
    path = tmp_path / "many.csv"
    path.write_text("missed_grant\n" + ("\n" if blank else "") + "\n".join(rows) + "\n")
    line = 150_002 + blank
    for files in ([path], [first, path]):
        code, out, err = run(
            policies, capsys, "validate", "--engine", "duckdb", "--threads", "2",
            "--policy", "taierzhuang", *map(str, files),
        )  # fmt: skip
        assert (code, out) == (2, "")
        assert err == (
            f"{PROG}: record many.csv:{line}: field 'missed_grant' is true or false, "
            'not "perhaps"\n'
        )


def _simple_for_csv(data: bytes) -> tuple[bool, bool, int]:
    """Whether csv reads every record of `data` at line `record + 1` (blank lines at the end
    aside), for a file of several columns and of one; and how many rows DuckDB would read
    (csv's, blank ones aside)."""
    reader = csv.reader(io.StringIO(data.decode(), newline=""), strict=True)
    rows = [(reader.line_num, row) for row in reader]
    first = rows[0][0] if rows else 0
    records = [end for end, row in rows[1:] if row]
    simple = records == list(range(first + 1, first + 1 + len(records)))
    return simple, simple and all(row for _, row in rows[1:]), len(records)


@pytest.mark.parametrize("chunk", [1, 2, 3, 1 << 20])
def test_the_scan_never_calls_a_file_simple_that_csv_reads_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    # Random files of cells, quotes, blank lines and every line end: where the scan says the
    # records are one a line with no blank line before one (no pass of csv's own), csv reads
    # them so.  With a quote, that is when the rows read are as many as the lines (blank
    # ones at the end and the header aside): `Cases._stage_csv` counts them.
    monkeypatch.setattr(sqlengine, "_SPOOL_CHUNK", chunk)
    pieces = [b"a", b",", b'"', b'""', b"\n", b"\r\n", b"\r", b"\n\n", b"x"]
    rng = random.Random(chunk)
    path = tmp_path / "cases.csv"
    checked = 0
    for _ in range(2000):
        data = rng.choice([b"h\n", b"h\r\n", b"h,i\n", b'"h\n"\n', b"h"]) + b"".join(
            rng.choice(pieces) for _ in range(rng.randint(0, 12))
        )
        try:
            several, one, rows = _simple_for_csv(data)
        except csv.Error:
            continue
        path.write_bytes(data)
        scan = sqlengine._scan_csv(path)
        assert scan is not None
        said = not (scan.gap or scan.bare_cr)
        said = said and (not scan.quotes or rows == scan.lines - 1 - scan.end)
        assert not said or several, data
        assert not (said and not scan.end) or one, data
        checked += 1
    assert checked > 1000


@pytest.mark.parametrize(
    "data",
    [
        # Every cell quoted, each record one line: no pass of csv's own.
        b'"id","missed_grant"\n"","true"\n"b","false"\n"","true"\n\n',
        # A quoted field over two lines: the rows DuckDB read fall short of the lines, and
        # csv's pass numbers the records after it.
        b'"id","missed_grant"\n"","true"\n"a\nb","false"\n"","true"\n',
        b'id,missed_grant\r\n"a\r\n\r\nb",true\r\n,true\r\n,"true"\r\n\r\n',
        # A header over two lines.
        b'"i\nd",missed_grant\n,true\n',
    ],
)
def test_quoted_csv_records_are_named_by_their_lines_as_csv_reads_them(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "quoted.csv"
    path.write_bytes(data)
    runs = each(policies, capsys, str(path))
    reported_alike(runs)
    assert runs["python"][0] == 1


@pytest.mark.parametrize("policy", POLICIES)
def test_random_records_as_csv_are_reported_as_python_reports_them(
    model: ir.Program,
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    policy: str,
) -> None:
    # Every policy's facts typed from CSV text straight from the file and numbered after
    # (`Cases._stage_csv`): the DuckDB engine's report is the Python engine's without its
    # messages, line for line.  (Dates in settled years: in a year whose holiday schedule
    # is unpublished, the SQL may leave a count past an excluded period undetermined.)
    records = case_records(model, policy, 400, 11)[:400]
    names = sorted({name for record in records for name in record})
    path = tmp_path / "cases.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(names)
        for record in records:
            cells = [record.get(name) for name in names]
            writer.writerow(
                ["" if c is None else str(c).lower() if isinstance(c, bool) else c for c in cells]
            )
    runs = each(policies, capsys, str(path), policy=policy)
    reported_alike(runs)
    assert f"{policy}: 400 record(s)" in runs["duckdb"][1]
