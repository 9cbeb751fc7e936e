"""Both engines of `validate` name the same first problem in reading order, whether it is a
record's shape or what its values compute to, and both read a named pipe.

1. The standard-library engine checks each record as it reads it: a date outside the working-day
   calendar in record 1 is named before an unknown field in record 2.  The DuckDB engine found
   every problem of shape first (its staging and its typed view) and ran the policy's checks
   only after: it named the unknown field.  So too across files, and for a file it refuses
   whole (a CSV row with a cell too many, a byte that is not UTF-8) after the record.  A bad
   `--calendar` file is named before any record, as the standard-library engine loads it first.
2. A named pipe (`mkfifo cases.jsonl`, a `/dev/fd/N` of bash's process substitution given a
   name with a format) was refused by the DuckDB engine, which reads a file more than once; it
   now copies the pipe to a temporary file first, and names the pipe, never the copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest

from compiler.runtime import sqlengine
from compiler.runtime.policy import PolicyInfo
from compiler.runtime.timelimits import CalendarNotCovered, load_calendar
from tests.engines import CHILD, ENGINES, PROG, ROOT, each, fifo, needs_fifo, refused_alike, run

# 台儿庄's approval_limit counts working days from the application: in 2051 the calendar has no
# holiday schedule, and the first day it needs (the 7th) is outside it.
_LATE_JSON = (
    '"taierzhuang_application_date": "2051-01-06", "taierzhuang_approval_date": "2051-03-20"'
)
_LATE_CSV_HEADER = "id,taierzhuang_application_date,taierzhuang_approval_date"


def _outside(record: str) -> str:
    """The standard-library engine's words for `record`'s date outside the calendar."""
    return f"record {record}: {CalendarNotCovered(date(2051, 1, 7), load_calendar())}"


def _write(path: Path, text: str) -> str:
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- 1. the first problem, in order

# One file, a date outside the calendar in record 1 and an unknown field in record 2.
_ONE_FILE = {
    "cases.jsonl": (f'{{"id": "a", {_LATE_JSON}}}\n{{"id": "b", "nope": 1}}\n', "a"),
    "cases.json": (f'[{{"id": "a", {_LATE_JSON}}}, {{"id": "b", "nope": 1}}]', "a"),
    "cases.csv": (f"{_LATE_CSV_HEADER},nope\na,2051-01-06,2051-03-20,\nb,,,1\n", "a"),
    "unnamed.jsonl": (f'{{{_LATE_JSON}}}\n\n{{"nope": 1}}\n', "unnamed.jsonl:1"),
}


@pytest.mark.parametrize("name", list(_ONE_FILE))
def test_a_date_outside_the_calendar_before_an_unknown_field(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    text, record = _ONE_FILE[name]
    refused_alike(each(policies, capsys, _write(tmp_path / name, text)), _outside(record))


def test_an_unknown_field_before_a_date_outside_the_calendar(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The other way round: the shape of record 1 is the first problem, as it was.
    cases = _write(
        tmp_path / "cases.jsonl", f'{{"id": "b", "nope": 1}}\n{{"id": "a", {_LATE_JSON}}}\n'
    )
    refused_alike(each(policies, capsys, cases), "record b: unknown field 'nope'")


def test_a_date_outside_the_calendar_in_the_first_file_before_a_bad_record_in_the_second(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first = _write(tmp_path / "first.jsonl", f'{{"id": "z"}}\n{{"id": "a", {_LATE_JSON}}}\n')
    second = _write(tmp_path / "second.jsonl", '{"id": "b", "nope": 1}\n')
    refused_alike(each(policies, capsys, first, second), _outside("a"))
    # The bad record first: named first, by both.
    refused_alike(each(policies, capsys, second, first), "record b: unknown field 'nope'")


# A second file the DuckDB engine refuses whole (it cannot stage it).
_BROKEN = [
    ("more.csv", b"id,missed_grant\nc,true,1\n"),
    ("quote.csv", b'id,missed_grant\nc,"true\n'),
    ("bytes.jsonl", b'{"id": "c"}\n{"id": "d\xff"}\n'),
    ("comma.json", b'[{"id": "c"},]'),
]


@pytest.mark.parametrize(("name", "data"), _BROKEN, ids=[b[0] for b in _BROKEN])
def test_a_date_outside_the_calendar_in_the_first_file_before_a_broken_second_file(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    data: bytes,
) -> None:
    first = _write(tmp_path / "first.jsonl", f'{{"id": "a", {_LATE_JSON}}}\n')
    broken = tmp_path / name
    broken.write_bytes(data)
    refused_alike(each(policies, capsys, first, str(broken)), _outside("a"))


# A file the DuckDB engine refuses whole, with a record the standard-library engine reads and
# checks before it reaches the break.
_BROKEN_LATER = {
    "more.csv": f"{_LATE_CSV_HEADER}\na,2051-01-06,2051-03-20\nb,,,1\n".encode(),
    "bytes.jsonl": f'{{"id": "a", {_LATE_JSON}}}\n{{"id": "b\xff"}}\n'.encode("latin-1"),
}


@pytest.mark.parametrize("name", list(_BROKEN_LATER))
def test_a_date_outside_the_calendar_before_the_break_of_a_broken_file(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    good = _write(tmp_path / "good.jsonl", '{"id": "z", "missed_grant": false}\n')
    broken = tmp_path / name
    broken.write_bytes(_BROKEN_LATER[name])
    refused_alike(each(policies, capsys, str(broken)), _outside("a"))
    refused_alike(each(policies, capsys, good, str(broken)), _outside("a"))


def test_a_bad_calendar_file_before_a_bad_record(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The standard-library engine loads --calendar before it reads a record.
    cases = _write(tmp_path / "cases.jsonl", '{"id": "b", "nope": 1}\n')
    calendar = tmp_path / "cn_2031.json"
    calendar.write_bytes(b'{"source": "x\xff"}')
    runs = each(policies, capsys, cases, "--calendar", str(calendar))
    refused_alike(runs, f"calendar data file {calendar}: not UTF-8 (byte 13)")


# ---------------------------------------------------------------- 2. named pipes


def _each_piped(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    pipe: Path,
    data: bytes,
    *argv: str,
) -> dict[str, tuple[int, str, str]]:
    """`each` with `argv`, `pipe` a named pipe written `data` afresh for each engine."""
    runs = {}
    for engine in ENGINES:
        with fifo(pipe, data):
            argv_ = ("validate", "--policy", "taierzhuang", *argv, "--engine", engine)
            runs[engine] = run(policies, capsys, *argv_)
    return runs


_GOOD = {
    "cases.jsonl": b'{"id": "a", "missed_grant": true}\n{"id": "b", "missed_grant": false}\n',
    "cases.csv": b"id,missed_grant\na,true\nb,false\n",
    "cases.json": b'[{"id": "a", "missed_grant": true}, {"missed_grant": false}]',
}


@needs_fifo
@pytest.mark.parametrize("name", ["cases.jsonl", "cases.csv", "cases.json"])
def test_a_named_pipe_is_read_as_a_file_is(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    regular = tmp_path / "regular" / name
    regular.parent.mkdir()
    regular.write_bytes(_GOOD[name])
    wanted = each(policies, capsys, str(regular))
    # The DuckDB engine's report has no messages (docs/validators.md): each engine as on a file.
    assert [got[:1] for got in wanted.values()] == [(1,), (1,)]
    pipe = tmp_path / name
    runs = _each_piped(policies, capsys, pipe, _GOOD[name], str(pipe))
    assert runs == wanted


class _Steps:
    """A QueryProgress that records the steps it is told of (a terminal's line)."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def step(self, doing: str, share: object = None) -> None:
        self.said.append(doing)

    def close(self) -> None:
        self.said.append("closed")


@needs_fifo
def test_the_line_says_a_pipe_is_being_copied(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Gigabytes through a pipe take minutes to copy, with nothing on the screen.
    steps = _Steps()
    monkeypatch.setattr(sqlengine.QueryProgress, "on_terminal", lambda prog, stream: steps)
    regular = _write(tmp_path / "regular.jsonl", '{"id": "a", "missed_grant": true}\n')
    pipe = tmp_path / "piped.jsonl"
    with fifo(pipe, b'{"id": "b", "missed_grant": false}\n'):
        argv = ("validate", "--engine", "duckdb", "--policy", "taierzhuang", regular, str(pipe))
        assert run(policies, capsys, *argv)[0] == 1
    # Closed before the report is written, and again when the run ends (a no-op then).
    assert steps.said == [
        "copying piped.jsonl to a file for DuckDB",
        "reading records in DuckDB",
        "reading regular.jsonl in DuckDB",
        "reading records in DuckDB",
        "reading piped.jsonl in DuckDB",
        "reading records in DuckDB",
        "checking records in DuckDB",
        "closed",
        "closed",
    ]


@needs_fifo
def test_a_named_pipe_of_parquet_is_read_by_the_duckdb_engine(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import duckdb

    regular = tmp_path / "regular.parquet"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * FROM (VALUES ('a', TRUE), ('b', FALSE)) t(id, missed_grant)) "
        f"TO '{regular}' (FORMAT parquet)"
    )
    con.close()
    argv = ("validate", "--policy", "taierzhuang", "--engine", "duckdb")
    wanted = run(policies, capsys, *argv, str(regular))
    assert wanted[0] == 1
    pipe = tmp_path / "cases.parquet"
    with fifo(pipe, regular.read_bytes()):
        assert run(policies, capsys, *argv, str(pipe)) == wanted
    # A pipe DuckDB cannot read as Parquet: its message names the pipe, not the copy.
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"not parquet")
    code, out, err = run(policies, capsys, *argv, str(corrupt))
    assert (code, out) == (2, "") and f"'{corrupt}'" in err
    with fifo(pipe, corrupt.read_bytes()):
        assert run(policies, capsys, *argv, str(pipe)) == (
            2, "", err.replace(str(corrupt), str(pipe))
        )  # fmt: skip


# Piped files with a problem, and the words both engines name it in: the pipe's name (its
# path, for a problem of the file), never the temporary copy's.
_BAD_PIPED = [
    ("cases.jsonl", b'{"id": "a"}\n{"nope": 1}\n', "record cases.jsonl:2: unknown field 'nope'"),
    ("cases.csv", b"id,missed_grant\na,true\nb,maybe\n", "record b: field 'missed_grant' is true "
     "or false, not \"maybe\""),
    ("more.csv", b"id,missed_grant\nc,true,1\n", "record more.csv:2: more cells than the "
     "header has columns"),
    ("quote.csv", b'id,missed_grant\nc,"true\n', "{path}:2: not valid CSV, in the record "
     "starting here: unexpected end of data"),
    ("bytes.jsonl", b'{"id": "c"}\n{"id": "d\xff"}\n', "{path}: not UTF-8 (byte 21)"),
    ("bytes.csv", b"id,missed_grant\nc,tr\xffue\n", "{path}: not UTF-8 (byte 20)"),
    ("comma.json", b'[{"id": "c"},]', "{path}:1:14: not valid JSON: Expecting value"),
    ("late.jsonl", f'{{"id": "a", {_LATE_JSON}}}\n{{"nope": 1}}\n'.encode(), ""),
]  # fmt: skip


@needs_fifo
@pytest.mark.parametrize(("name", "data", "message"), _BAD_PIPED, ids=[b[0] for b in _BAD_PIPED])
def test_a_problem_in_a_named_pipe_names_the_pipe(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    data: bytes,
    message: str,
) -> None:
    pipe = tmp_path / name
    runs = _each_piped(policies, capsys, pipe, data, str(pipe))
    python = runs["python"]
    expected = message.format(path=pipe) if message else _outside("a")
    assert python[:2] == (2, "") and python[2].startswith(f"{PROG}: {expected}"), python
    assert runs["duckdb"] == python


@needs_fifo
def test_a_named_pipe_after_files_and_the_copy_is_removed(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The copy is made in the run's temporary directory, which is gone afterwards: after a
    # clean run, after bad input and after Ctrl-C.
    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    first = _write(tmp_path / "first.jsonl", '{"id": "a", "missed_grant": true}\n')
    pipe = tmp_path / "second.jsonl"
    data = b'{"id": "b", "missed_grant": false}\n'
    regular = _write(tmp_path / "regular" / "second.jsonl", data.decode())
    wanted = each(policies, capsys, first, regular)
    assert [got[0] for got in wanted.values()] == [1, 1]
    assert all("2 record(s)" in got[1] for got in wanted.values())
    assert _each_piped(policies, capsys, pipe, data, first, str(pipe)) == wanted
    assert list(spool.iterdir()) == []
    runs = _each_piped(policies, capsys, pipe, b'{"id": "b", "nope": 1}\n', first, str(pipe))
    refused_alike(runs, "record b: unknown field 'nope'")
    assert list(spool.iterdir()) == []

    def interrupted(*_args: object, **_kwargs: object) -> None:
        assert any(spool.iterdir())  # the copy, in the run's directory
        raise KeyboardInterrupt

    monkeypatch.setattr(sqlengine, "Cases", interrupted)
    with fifo(pipe, b'{"id": "b"}\n'):
        argv = ("validate", "--policy", "taierzhuang", "--engine", "duckdb", str(pipe))
        assert run(policies, capsys, *argv)[0] == 130
    assert list(spool.iterdir()) == []


@pytest.mark.skipif(
    shutil.which("bash") is None or not Path("/dev/fd").is_dir(), reason="no bash, no /dev/fd"
)
def test_process_substitution_under_a_name(sql_dir: Path, tmp_path: Path) -> None:
    # `<(cat cases.jsonl)` is /dev/fd/63, a name without a format: both engines refuse it for
    # that.  Given a name (a link to /dev/fd/3, the pipe opened with `3< <(…)`), it is read.
    cases = _write(tmp_path / "cases.jsonl", '{"id": "a", "missed_grant": true}\n{"nope": 1}\n')
    link = tmp_path / "piped.jsonl"
    link.symlink_to("/dev/fd/3")
    script = 'exec "$@" 3< <(cat "$CASES")'
    got = {}
    for engine in ENGINES:
        argv = ["validate", "--policy", "taierzhuang", "--engine", engine, str(link)]
        child = subprocess.run(
            ["bash", "-c", script, "bash", sys.executable, "-c", CHILD, str(sql_dir), str(ROOT),
             *argv],
            cwd=ROOT, capture_output=True, text=True, check=False,
            env={**os.environ, "CASES": cases},
        )  # fmt: skip
        got[engine] = (child.returncode, child.stdout, child.stderr)
    message = "record piped.jsonl:2: unknown field 'nope'"
    refused_alike(got, message)
