"""`validate -` reads standard input, and `--input-format` names the format of inputs whose name
gives none (`-`, bash's `/dev/fd/63` of `<(zcat cases.jsonl.gz)`), with both engines.

Before, the format came from the file's suffix alone: `zcat cases.jsonl.gz | … validate -` and
`… validate <(zcat cases.jsonl.gz)` were refused as "unknown format ''".  Now:

- `-` is standard input, named `<stdin>` in records and messages (`<stdin>:3`, `<stdin>#2`),
  as a file is (`cases.jsonl:3`), word for word by both engines; at most one `-`.
- `--input-format {json,jsonl,csv}` (`parquet` with `--engine duckdb` only) is the format of
  every input named, its suffix included; `-` without it is refused, never guessed at.
- The standard-library engine streams standard input as it streams a file: one record at a
  time (tests/test_streaming.py checks its peak memory through a pipe).
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from compiler.runtime import records as runtime_records
from compiler.runtime.policy import PolicyInfo
from tests.engines import CHILD, ENGINES, PROG, ROOT, each, fifo, needs_fifo, refused_alike, run

CASES: list[dict[str, object]] = [
    {"id": "late", "taierzhuang_application_date": "2024-09-02",
     "taierzhuang_approval_date": "2024-10-30", "taierzhuang_fulltime_staff": 1},
    {"id": "ok", "taierzhuang_application_date": "2024-09-02",
     "taierzhuang_approval_date": "2024-09-05"},
    {"id": "open", "taierzhuang_application_date": "2024-09-02"},
    {"id": "grant", "missed_grant": True},
]  # fmt: skip


def as_format(fmt: str, records: list[dict[str, object]]) -> bytes:
    """`records` written as a file of the format `fmt` (json, jsonl or csv)."""
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False).encode()
    columns = sorted({key for record in records for key in record})
    rows = [",".join(columns)]
    for record in records:
        cells = [record.get(c, "") for c in columns]
        rows.append(",".join(str(c).lower() if isinstance(c, bool) else str(c) for c in cells))
    return ("\n".join(rows) + "\n").encode()


class _Stdin(io.StringIO):
    """A process's stdin holding `data`: text, with the bytes under it as `.buffer`."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self.buffer = io.BytesIO(data)


def _each_stdin(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    data: bytes,
    *argv: str,
) -> dict[str, tuple[int, str, str]]:
    """`each` with `argv`, standard input holding `data` afresh for each engine."""
    runs = {}
    for engine in ENGINES:
        monkeypatch.setattr(sys, "stdin", _Stdin(data))
        argv_ = ("validate", "--engine", engine, "--policy", "taierzhuang", *argv)
        runs[engine] = run(policies, capsys, *argv_)
    return runs


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return str(path)


NO_FORMAT = (
    "-: standard input has no file name to tell its format by; add --input-format json, "
    "jsonl or csv (parquet with --engine duckdb)"
)


# ---------------------------------------------------------------- stdin reads as the file does


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_stdin_gives_the_report_of_the_same_file(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fmt: str,
) -> None:
    data = as_format(fmt, CASES)
    wanted = each(policies, capsys, _write(tmp_path / f"cases.{fmt}", data))
    assert [got[0] for got in wanted.values()] == [1, 1]
    assert all("4 record(s)" in got[1] for got in wanted.values())
    assert _each_stdin(policies, capsys, monkeypatch, data, "--input-format", fmt, "-") == wanted
    # The option after the inputs, and stdin among files: the same.
    second = _write(tmp_path / "more" / f"cases.{fmt}", data)
    wanted = each(policies, capsys, second, second)
    got = _each_stdin(policies, capsys, monkeypatch, data, second, "-", "--input-format", fmt)
    assert got == wanted


def test_a_text_stdin_without_bytes_under_it_is_read_too(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # A program that runs the command line with sys.stdin set to a StringIO (no `.buffer`, no
    # descriptor): read whole, as the file's text.
    data = as_format("jsonl", CASES)
    wanted = each(policies, capsys, _write(tmp_path / "cases.jsonl", data))
    runs = {}
    for engine in ENGINES:
        monkeypatch.setattr(sys, "stdin", io.StringIO(data.decode("utf-8")))
        argv = ("validate", "--engine", engine, "--policy", "taierzhuang")
        runs[engine] = run(policies, capsys, *argv, "--input-format", "jsonl", "-")
    assert runs == {
        engine: (code, out.replace("cases.jsonl", "<stdin>"), err)
        for engine, (code, out, err) in wanted.items()
    }


# A record without an id, in each format: named by its place in `<stdin>`.
_UNNAMED = {
    "jsonl": (b'{"id": "a", "missed_grant": false}\n\n{"missed_grant": true}\n', "<stdin>:3"),
    "json": (b'[{"id": "a", "missed_grant": false}, {"missed_grant": true}]', "<stdin>#2"),
    "csv": (b"id,missed_grant\na,false\n,true\n", "<stdin>:3"),
}


@pytest.mark.parametrize("fmt", list(_UNNAMED))
def test_a_record_on_stdin_is_named_by_its_place_in_stdin(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fmt: str,
) -> None:
    data, name = _UNNAMED[fmt]
    wanted = each(policies, capsys, _write(tmp_path / f"cases.{fmt}", data))
    runs = _each_stdin(policies, capsys, monkeypatch, data, "--input-format", fmt, "-")
    for engine, (code, out, err) in runs.items():
        assert (code, err) == (1, ""), engine
        assert f"{name}: " in out, engine
        assert out == wanted[engine][1].replace(f"cases.{fmt}", "<stdin>"), engine


# Bad records and inputs on stdin, and the words both engines name them in.
_BAD = [
    ("jsonl", b'{"id": "a"}\n{"nope": 1}\n', "record <stdin>:2: unknown field 'nope'"),
    ("jsonl", b'{"id": "a"}\n\n[1]\n', "record <stdin>:3: a record is a JSON object of facts, "
     "not list"),
    ("jsonl", b'{"id": "a"}\n{"id": "b"\n', "<stdin>:2:11: not valid JSON: Expecting ',' "
     "delimiter"),
    ("jsonl", b'{"id": "c"}\n{"id": "d\xff"}\n', "<stdin>: not UTF-8 (byte 21)"),
    ("json", b'[{"id": "c"}, {"nope": 1}]', "record <stdin>#2: unknown field 'nope'"),
    ("json", b'[{"id": "c"},]', "<stdin>:1:14: not valid JSON: Expecting value"),
    ("csv", b"missed_grant\ntrue\nmaybe\n", "record <stdin>:3: field 'missed_grant' is true or "
     "false, not \"maybe\""),
    ("csv", b"id,missed_grant\nc,true,1\n", "record <stdin>:2: more cells than the header has "
     "columns"),
    ("csv", b'id,missed_grant\nc,"true\n', "<stdin>:2: not valid CSV, in the record starting "
     "here: unexpected end of data"),
    ("csv", b"id,missed_grant\nc,tr\xffue\n", "<stdin>: not UTF-8 (byte 20)"),
]  # fmt: skip


@pytest.mark.parametrize(("fmt", "data", "message"), _BAD, ids=[b[2][:40] for b in _BAD])
def test_a_bad_record_on_stdin_is_named_alike_by_both_engines(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    data: bytes,
    message: str,
) -> None:
    refused_alike(
        _each_stdin(policies, capsys, monkeypatch, data, "--input-format", fmt, "-"), message
    )


def test_parquet_on_stdin_with_the_duckdb_engine(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import duckdb

    regular = tmp_path / "cases.parquet"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * FROM (VALUES ('a', TRUE), (NULL, FALSE)) t(id, missed_grant)) "
        f"TO '{regular}' (FORMAT parquet)"
    )
    con.close()
    argv = ("validate", "--policy", "taierzhuang", "--engine", "duckdb")
    code, out, err = run(policies, capsys, *argv, str(regular))
    assert (code, err) == (1, "") and "cases.parquet#2: " in out
    monkeypatch.setattr(sys, "stdin", _Stdin(regular.read_bytes()))
    got = run(policies, capsys, *argv, "--input-format", "parquet", "-")
    assert got == (1, out.replace("cases.parquet", "<stdin>"), "")


# ---------------------------------------------------------------- refused: exit 2, nothing read


def test_stdin_without_input_format_is_refused_before_anything_is_read(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    data = as_format("jsonl", CASES)
    refused_alike(_each_stdin(policies, capsys, monkeypatch, data, "-"), NO_FORMAT)
    assert sys.stdin.buffer.tell() == 0  # type: ignore[attr-defined]
    cases = _write(tmp_path / "cases.jsonl", data)
    refused_alike(_each_stdin(policies, capsys, monkeypatch, data, cases, "-"), NO_FORMAT)
    assert sys.stdin.buffer.tell() == 0  # type: ignore[attr-defined]


def test_stdin_named_twice_is_refused(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    data = as_format("jsonl", CASES)
    cases = _write(tmp_path / "cases.jsonl", data)
    message = "- (standard input) is named 2 times; it can be read only once"
    runs = _each_stdin(policies, capsys, monkeypatch, data, "--input-format", "jsonl", "-", "-")
    refused_alike(runs, message)
    runs = _each_stdin(policies, capsys, monkeypatch, data, "-", cases, "-")  # before the format
    refused_alike(runs, message)
    assert sys.stdin.buffer.tell() == 0  # type: ignore[attr-defined]


def test_a_closed_stdin_is_refused_alike(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `… validate --input-format jsonl - <&-`: Python has no sys.stdin at all.
    monkeypatch.setattr(sys, "stdin", None)
    runs = each(policies, capsys, "--input-format", "jsonl", "-")
    refused_alike(runs, "<stdin>: cannot read: standard input is closed")


def test_input_format_parquet_needs_the_duckdb_engine(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(b"PAR1"))
    message = (
        "--input-format parquet: the standard-library engine cannot read Parquet; use "
        "--engine duckdb (pip install policyc-validators[duckdb])"
    )
    cases = _write(tmp_path / "cases.parquet", b"PAR1")
    for inputs in (["-"], [cases]):
        argv = ("validate", "--policy", "taierzhuang", "--input-format", "parquet", *inputs)
        assert run(policies, capsys, *argv) == (2, "", f"{PROG}: {message}\n")
        assert run(policies, capsys, *argv, "--engine", "python") == (2, "", f"{PROG}: {message}\n")
    assert sys.stdin.buffer.tell() == 0  # type: ignore[attr-defined]


def test_input_format_choices(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("validate", "--policy", "taierzhuang", "--input-format", "xml", "-")
    code, out, err = run(policies, capsys, *argv)
    assert (code, out) == (2, "") and "invalid choice: 'xml'" in err


def test_an_unknown_format_names_input_format(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = _write(tmp_path / "cases.txt", as_format("jsonl", CASES))
    runs = each(policies, capsys, cases)
    assert runs["python"] == (
        2, "", f"{PROG}: {cases}: unknown format '.txt'; expected .json, .jsonl or .csv "
        "(.parquet with --engine duckdb), or give the format with --input-format\n",
    )  # fmt: skip
    assert runs["duckdb"] == (
        2, "", f"{PROG}: {cases}: unknown format '.txt'; expected .jsonl, .json, .csv or "
        ".parquet, or give the format with --input-format\n",
    )  # fmt: skip


# ---------------------------------------------------------------- --input-format and file names


def test_input_format_applies_to_every_input_its_suffix_included(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # An export that names its JSONL `.json`, or CSV `.txt`: read as said, not renamed.
    jsonl, csv = as_format("jsonl", CASES), as_format("csv", CASES)
    wanted = each(policies, capsys, _write(tmp_path / "cases.jsonl", jsonl))
    misnamed = _write(tmp_path / "cases.json", jsonl)
    assert each(policies, capsys, misnamed, "--input-format", "jsonl") == wanted
    refused_alike(each(policies, capsys, misnamed), f"{misnamed}:2:1: not valid JSON: Extra data")
    text = _write(tmp_path / "cases.txt", csv)
    assert each(policies, capsys, "--input-format", "csv", text) == wanted
    # Every input: a .csv file given with --input-format jsonl is read as JSONL.
    csv_file = _write(tmp_path / "real.csv", csv)
    refused_alike(
        each(policies, capsys, "--input-format", "jsonl", csv_file),
        f"{csv_file}:1:1: not valid JSON: Expecting value",
    )


def test_a_compressed_file_is_not_decompressed_by_either_engine(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # DuckDB's read_csv decompresses a `.gz` by its name; the standard-library engine reads the
    # bytes.  Both read the bytes (`zcat` is the way to a compressed file): a file of CSV
    # named `.gz` is read as CSV, and a compressed one is not UTF-8.
    csv = as_format("csv", CASES)
    wanted = each(policies, capsys, _write(tmp_path / "cases.csv", csv))
    misnamed = _write(tmp_path / "plain.csv.gz", csv)
    assert each(policies, capsys, "--input-format", "csv", misnamed) == wanted
    packed = _write(tmp_path / "cases.csv.gz", gzip.compress(csv, mtime=0))
    refused_alike(
        each(policies, capsys, "--input-format", "csv", packed), f"{packed}: not UTF-8 (byte 1)"
    )


@needs_fifo
@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_a_pipe_without_a_suffix_is_read_with_input_format(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    # As bash's `<(zcat cases.jsonl.gz)`, /dev/fd/63: a pipe whose name says no format.
    data = as_format(fmt, CASES)
    wanted = each(
        policies, capsys, _write(tmp_path / "regular" / "63", data), "--input-format", fmt
    )
    assert [got[0] for got in wanted.values()] == [1, 1]
    pipe = tmp_path / "63"
    runs = {}
    for engine in ENGINES:
        with fifo(pipe, data):
            argv = ("validate", "--policy", "taierzhuang", "--engine", engine)
            runs[engine] = run(policies, capsys, *argv, "--input-format", fmt, str(pipe))
    assert runs == wanted
    # Without it: the pipe is not read, and the message says what to add.
    for engine in ENGINES:
        with fifo(pipe, data):
            code, out, err = run(policies, capsys, "validate", "--policy", "taierzhuang",
                                 "--engine", engine, str(pipe))  # fmt: skip
        assert (code, out) == (2, "") and "unknown format ''" in err and "--input-format" in err


@needs_fifo
def test_a_bad_record_in_a_pipe_without_a_suffix_names_the_pipe(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pipe = tmp_path / "63"
    runs = {}
    for engine in ENGINES:
        with fifo(pipe, b'{"id": "a"}\n{"nope": 1}\n'):
            argv = ("validate", "--policy", "taierzhuang", "--engine", engine)
            runs[engine] = run(policies, capsys, *argv, "--input-format", "jsonl", str(pipe))
    refused_alike(runs, "record 63:2: unknown field 'nope'")


# ---------------------------------------------------------------- the shell, for real


@pytest.mark.skipif(
    None in (shutil.which("bash"), shutil.which("gzip")) or not Path("/dev/fd").is_dir(),
    reason="no bash, gzip or /dev/fd",
)
@pytest.mark.parametrize("how", ["stdin", "process substitution"])
def test_zcat_into_validate(sql_dir: Path, tmp_path: Path, how: str) -> None:
    # `zcat cases.jsonl.gz | … validate --input-format jsonl -` and `… <(zcat cases.jsonl.gz)`.
    data = as_format("jsonl", [*CASES, {"nope": 1}])
    packed = tmp_path / "cases.jsonl.gz"
    packed.write_bytes(gzip.compress(data))
    plain = _write(tmp_path / "cases.jsonl", data)
    script = {
        "stdin": 'gzip -dc "$CASES" | "$@" --input-format jsonl -',
        "process substitution": 'exec "$@" --input-format jsonl <(gzip -dc "$CASES")',
    }[how]
    got, wanted = {}, {}
    for engine in ENGINES:
        argv = ["validate", "--policy", "taierzhuang", "--engine", engine]
        for runs, command, extra in ((got, ["bash", "-c", script, "bash"], []),
                                     (wanted, [], [plain])):  # fmt: skip
            child = subprocess.run(
                [*command, sys.executable, "-c", CHILD, str(sql_dir), str(ROOT), *argv, *extra],
                cwd=ROOT, capture_output=True, text=True, check=False,
                env={**os.environ, "CASES": str(packed)},
            )  # fmt: skip
            runs[engine] = (child.returncode, child.stdout, child.stderr)
    refused_alike(wanted, "record cases.jsonl:5: unknown field 'nope'")
    assert got["duckdb"] == got["python"]
    code, out, err = got["python"]
    assert (code, out) == (2, ""), err
    # bash's `<(…)` is /dev/fd/63 (its number may differ): records named by it, as by a file.
    name = "<stdin>" if how == "stdin" else r"[0-9]+"
    assert re.fullmatch(rf"{re.escape(PROG)}: record {name}:5: unknown field 'nope'\n", err), err


# ---------------------------------------------------------------- streaming


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_stdin_is_read_one_record_at_a_time(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    # Each record is typed (records.typed) when its line has been read, before the lines
    # after it: stdin is never read whole nor held, as a file is not.
    count = 3000
    records = [{"id": f"R{i}", "missed_grant": i % 2 == 0} for i in range(count)]
    data = as_format(fmt, records)
    stdin = _Stdin(data)
    monkeypatch.setattr(sys, "stdin", stdin)
    read_when_typed: list[int] = []
    real_typed = runtime_records.typed

    def typed(*args: Any, **kwargs: Any) -> runtime_records.Record:
        read_when_typed.append(stdin.buffer.tell())
        return real_typed(*args, **kwargs)

    monkeypatch.setattr(runtime_records, "typed", typed)
    argv = ("validate", "--policy", "taierzhuang", "--input-format", fmt, "-")
    code, out, _ = run(policies, capsys, *argv)
    assert code == 1 and f"{count} record(s)" in out
    # When record i is typed, stdin has been read to the end of its line, no further.
    ends = list(itertools.accumulate(len(line) for line in data.splitlines(keepends=True)))
    assert read_when_typed == (ends[1:] if fmt == "csv" else ends)
