"""`validate --engine duckdb` at its edges (runtime/sqlengine.py): empty input, Parquet instants,
a report streamed in order, Ctrl-C and a closed pipe, `--out` onto an input, JSON only the
lenient DuckDB parser takes, and the message of a value the SQL engine cannot type.  The
standard-library engine is the reference: where it gives an exit code or a message, the DuckDB
engine gives the same."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb  # in the test extra: CI has it, so a missing one fails rather than skips
import pytest

from compiler.runtime import sqlengine
from compiler.runtime.policy import PolicyInfo
from tests.engines import PROG, ROOT, run


def _both(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], policy: str, *argv: str
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """The DuckDB engine's (code, stdout, stderr) and the standard-library engine's."""
    ours = run(policies, capsys, "validate", "--engine", "duckdb", "--policy", policy, *argv)
    theirs = run(policies, capsys, "validate", "--policy", policy, *argv)
    return ours, theirs


def _both_on(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], path: Path, text: str
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """`_both` on 台儿庄's records in `path`, written first with `text`."""
    path.write_text(text, encoding="utf-8")
    return _both(policies, capsys, "taierzhuang", str(path))


# ---------------------------------------------------------------- 1. empty input


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("empty.jsonl", ""),
        ("blank.jsonl", "\n  \n\n"),
        ("header.csv", "id,taierzhuang_fulltime_staff\n"),
        ("empty.json", "[]"),
    ],
)
def test_no_records_is_a_clean_run(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    text: str,
) -> None:
    (code, out, err), (py_code, python, py_err) = _both_on(policies, capsys, tmp_path / name, text)
    assert (py_code, py_err) == (0, "")
    assert (code, err) == (0, "")
    assert "0 record(s), 0 finding(s)" in out
    assert out == python


# ---------------------------------------------------------------- 2. Parquet instants

# The command line in a child process, with the SQL of `argv[1]`: the host's time zone (TZ)
# is the child's, as DuckDB reads it when it starts.
_CHILD = """
import sys
from pathlib import Path
from compiler.interpret import info
from compiler.lower import load_program
from compiler.runtime import sqlengine
from compiler.runtime.cli import main
sqlengine.SQL_DIR = Path(sys.argv[1])
model = load_program(Path(sys.argv[2]))
policies = {pid: info(model, model.policies[pid]) for pid in model.policies}
sys.exit(main(sys.argv[3:], policies, "python -m policyc_validators"))
"""


def _child(sql_dir: Path, argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CHILD, str(sql_dir), str(ROOT), *argv],
        cwd=ROOT, capture_output=True, text=True, check=False, env={**os.environ, **env},
    )  # fmt: skip


def test_parquet_instants_are_china_time_on_any_host(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    sql_dir: Path,
    tmp_path: Path,
) -> None:
    # pre_aid: 24 hours from emergency_found_date.  Found at 07:00 in China (an instant,
    # TIMESTAMPTZ), delivered at 03:00 the next day: 20 hours, in time.  Read in UTC the
    # instant would be 23:00 the day before (28 hours, late); in New York, 18:00 (33 hours).
    parquet = tmp_path / "tz.parquet"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "COPY (SELECT *, 'temporary_emergency' AS taierzhuang_case_programme FROM (VALUES "
        "('r1', TIMESTAMPTZ '2024-03-04 07:00:00+08', TIMESTAMP '2024-03-05 03:00'), "
        "('r2', TIMESTAMPTZ '2024-03-03 22:00:00+00', TIMESTAMP '2024-03-05 06:00:01')) "
        f"t(id, emergency_found_date, pre_aid_delivered_date)) TO '{parquet}' (FORMAT parquet)"
    )
    con.close()
    # The same records as text, read by the standard-library engine: the reference.
    jsonl = tmp_path / "tz.jsonl"
    same = '"taierzhuang_case_programme": "temporary_emergency"'
    jsonl.write_text(
        '{"id": "r1", "emergency_found_date": "2024-03-04T07:00+08:00", '
        f'"pre_aid_delivered_date": "2024-03-05T03:00", {same}}}\n'
        '{"id": "r2", "emergency_found_date": "2024-03-04T06:00:00+08:00", '
        f'"pre_aid_delivered_date": "2024-03-05T06:00:01", {same}}}\n',
        encoding="utf-8",
    )
    py_code, python, _ = run(policies, capsys, "validate", "--policy", "taierzhuang", str(jsonl))
    assert py_code == 1  # r2: delivered a second late
    assert "r2: FAIL pre_aid" in python and "r1: FAIL pre_aid" not in python
    argv = ["validate", "--engine", "duckdb", "--policy", "taierzhuang", str(parquet)]
    for zone in ("UTC", "America/New_York", "Asia/Shanghai"):
        child = _child(sql_dir, argv, TZ=zone)
        assert (child.returncode, child.stderr) == (py_code, ""), zone
        lines = child.stdout.splitlines()
        assert lines[-3:] == python.splitlines()[-3:], zone
        assert [x for x in lines if " pre_aid " in x] == ["r2: FAIL pre_aid [taierzhuang 二（三）]"]


def _parquet_run(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], path: Path, query: str
) -> tuple[int, str, str]:
    """The rows of `query` written to the Parquet file `path`, then validated as 台儿庄's by
    the DuckDB engine: (exit code, stdout, stderr)."""
    con = duckdb.connect()
    con.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet)")
    con.close()
    argv = ("validate", "--engine", "duckdb", "--policy", "taierzhuang", str(path))
    return run(policies, capsys, *argv)


def test_parquet_instant_in_a_bad_record_named_in_china_time(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A TIMESTAMPTZ where a date is wanted: refused, the value quoted as China's time.
    code, out, err = _parquet_run(
        policies,
        capsys,
        tmp_path / "day.parquet",
        "SELECT TIMESTAMPTZ '2024-03-03 23:30:00+00' AS taierzhuang_application_date",
    )
    assert (code, out) == (2, "")
    assert "2024-03-04T07:30:00+08:00" in err and "day.parquet#1" in err


# Days of a Parquet DATE or TIMESTAMP column past Python's (0001-01-01 to 9999-12-31): a DATE of
# year 20000 for a date fact, or any such for a date-time fact, was taken as a day and checked;
# an infinite day was refused, but quoted as "9999-12-31" (DuckDB gives Python that for it).
_FAR_DAYS = [
    ("taierzhuang_application_date", "DATE '20000-01-01'", '"20000-01-01"'),
    ("taierzhuang_application_date", "DATE 'infinity'", '"infinity"'),
    ("taierzhuang_application_date", "DATE '0044-03-15 (BC)'", '"0044-03-15 (BC)"'),
    ("emergency_found_date", "TIMESTAMP '20000-01-01 10:00'", '"20000-01-01T10:00:00"'),
    ("emergency_found_date", "TIMESTAMP 'infinity'", '"infinity"'),
    ("emergency_found_date", "DATE '20000-01-01'", '"20000-01-01"'),
]


@pytest.mark.parametrize(("fact", "value", "shown"), _FAR_DAYS)
def test_a_parquet_day_past_pythons_dates_is_refused(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fact: str,
    value: str,
    shown: str,
) -> None:
    query = f"SELECT 'a' AS id, {value} AS {fact}"
    code, out, err = _parquet_run(policies, capsys, tmp_path / "far.parquet", query)
    assert (code, out) == (2, "")
    assert err.startswith(f"{PROG}: record a: field '{fact}'") and f"not {shown}" in err, err


def test_a_parquet_day_at_the_ends_of_pythons_dates_is_taken(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = _parquet_run(
        policies,
        capsys,
        tmp_path / "ends.parquet",
        "SELECT * FROM (VALUES ('a', DATE '0001-01-01', TIMESTAMP '9999-12-31 23:59:59'), "
        "('b', DATE '9999-12-31', TIMESTAMP '0001-01-01 00:00')) "
        "AS t(id, taierzhuang_application_date, emergency_found_date)",
    )
    assert (code, err) == (0, "") and "2 record(s)" in out


# ---------------------------------------------------------------- 3. the report streamed

_LATE = {
    "taierzhuang_application_date": "2024-09-02",
    "taierzhuang_approval_date": "2024-10-30",
    "taierzhuang_fulltime_staff": 1,
}


def _many(path: Path, count: int, last: str | None = None) -> Path:
    line = json.dumps(_LATE) + "\n"
    path.write_text(line * count + (last or ""), encoding="utf-8")
    return path


class _Writes:
    """A stdout that keeps each write apart."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_report_written_in_chunks_as_fetched(
    policies: dict[str, PolicyInfo], sql_dir: Path, tmp_path: Path
) -> None:
    cases = str(_many(tmp_path / "many.jsonl", 6000))
    policy = policies["taierzhuang"]
    whole, code = sqlengine.run_duckdb(policy, [cases], None, None)
    stream = _Writes()
    text, streamed_code = sqlengine.run_duckdb(
        policy,
        [cases],
        None,
        None,
        stream=stream,  # type: ignore[arg-type]
    )
    assert (text, streamed_code, code) == ("", 1, 1)
    assert "".join(stream.writes) == whole  # the same bytes, in the same order
    assert len(whole) > 4 * (1 << 16)
    # Never the whole report at once: chunks of about 64 KB, then the summary.
    assert len(stream.writes) > 4
    assert max(len(w) for w in stream.writes) < (1 << 16) + 1000
    assert stream.writes[-1] == "".join(whole.splitlines(keepends=True)[-3:])


def test_bad_last_record_leaves_stdout_empty(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = str(_many(tmp_path / "many.jsonl", 6000, '{"taierzhuang_fulltime_staff": "x"}\n'))
    (code, out, err), (py_code, python, py_err) = _both(policies, capsys, "taierzhuang", cases)
    assert (code, out) == (py_code, python) == (2, "")
    assert err == py_err and "many.jsonl:6001" in err


# ---------------------------------------------------------------- 4. Ctrl-C, a closed pipe


def test_duckdbs_word_for_ctrl_c_is_taken_as_ctrl_c() -> None:
    """Ctrl-C inside DuckDB's `execute` comes back as RuntimeError("Query interrupted") (its
    InterruptException from `con.interrupt()`): both are a KeyboardInterrupt (exit 130), any
    other error is DuckDB's.  (A real SIGINT to a child process gave 130 in 0.5 s by hand;
    as a test it was flaky: under pytest, with DuckDB connections open in the test process,
    the child sometimes ran on past the signal.)"""
    assert sqlengine._interrupted(duckdb, RuntimeError("Query interrupted"))
    assert sqlengine._interrupted(duckdb, duckdb.InterruptException("interrupted"))
    assert not sqlengine._interrupted(duckdb, RuntimeError("something else"))
    assert not sqlengine._interrupted(duckdb, duckdb.InvalidInputException("bad"))


def test_interrupted_query_is_keyboard_interrupt(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # DuckDB's own interruption (con.interrupt(), as on Ctrl-C): exit 130, not bad input.
    import threading

    cases = str(_many(tmp_path / "few.jsonl", 3))
    results = sqlengine.results

    def interrupted(con: duckdb.DuckDBPyConnection, *args: object) -> None:
        results(con, *args)  # type: ignore[arg-type]
        threading.Timer(0.3, con.interrupt).start()
        con.execute("SELECT count(*) FROM range(1000000000000) t(i) WHERE i % 7 = 3").fetchall()

    monkeypatch.setattr(sqlengine, "results", interrupted)
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang", cases
    )
    assert (code, out, err) == (130, "", "")


def test_reader_gone_exits_141(sql_dir: Path, tmp_path: Path) -> None:
    # `validate … | head -2`: the report is larger than the pipe holds; the reader leaves.
    cases = str(_many(tmp_path / "many.jsonl", 20000))
    argv = ["validate", "--engine", "duckdb", "--policy", "taierzhuang", cases]
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(sql_dir), str(ROOT), *argv],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert child.stdout is not None and child.stderr is not None
    try:
        first = child.stdout.readline()
        child.stdout.close()
        err = child.stderr.read()
        child.wait(timeout=120)
    finally:
        child.kill()
    assert first.startswith(b"many.jsonl:1: ")
    assert (child.returncode, err) == (141, b"")


# ---------------------------------------------------------------- 5. --out onto an input


def test_out_onto_an_input_is_refused(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cases = _many(tmp_path / "x.jsonl", 3)
    other = _many(tmp_path / "y.jsonl", 2)
    before = cases.read_bytes()
    (tmp_path / "link.jsonl").symlink_to(cases)
    monkeypatch.chdir(tmp_path)
    for out in (str(cases), "x.jsonl", "./sub/../x.jsonl", "link.jsonl"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        code, text, err = run(
            policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang",
            str(other), str(cases), "--out", out,
        )  # fmt: skip
        assert (code, text) == (2, ""), out
        assert f"--out {out}: it is the input file" in err and "Traceback" not in err
        assert cases.read_bytes() == before
    # Another file is fine.
    code, _, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang",
        str(cases), "--out", "results.jsonl",
    )  # fmt: skip
    assert (code, err) == (1, "")
    assert cases.read_bytes() == before
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "link.jsonl", "results.jsonl", "sub", "x.jsonl", "y.jsonl"
    ]  # fmt: skip


def test_failed_out_keeps_the_previous_results(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    out.write_text("the previous results\n", encoding="utf-8")
    con = duckdb.connect()
    view = (
        "CREATE OR REPLACE VIEW policyc_results AS SELECT i AS pos, CAST(i AS VARCHAR) AS id, "
        "CASE WHEN i < 199999 THEN 'applies' ELSE error('the disk is full') END AS outcome, "
        "'' AS missing, '' AS judgments, '' AS decided_by FROM range({}) t(i)"
    )
    # A results table whose last row fails to compute: the write stops half-way.
    con.execute(view.format(200000))
    with pytest.raises(sqlengine.EngineError, match=r"cannot write: .*the disk is full"):
        sqlengine.write_out(con, [], str(out), "csv")
    assert out.read_text(encoding="utf-8") == "the previous results\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]  # nothing left behind
    con.execute(view.format(3))
    sqlengine.write_out(con, [], str(out), "csv")
    assert out.read_text(encoding="utf-8").splitlines()[1:] == [
        '0,applies,"","",""', '1,applies,"","",""', '2,applies,"","",""'
    ]  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]
    con.close()


# ---------------------------------------------------------------- 6. trailing commas


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("t.jsonl", '{"id": "a"}\n{"id":"b","missed_grant":true,}\n'),
        ("t.jsonl", '{"id": "a"}\n\n{"id": "b", "taierzhuang_case_programme": "dibao" , \t}\n'),
        ("t.jsonl", '{"id": "a\\\\", "missed_grant": true,}\n'),
        ("t.jsonl", '{"id": "a\\"", "missed_grant": true,}\n'),
        ("t.json", '[{"id": "a", "missed_grant": true},]'),
        ("t.json", '[{"id": "a", "missed_grant": true}, {"id": "b", "missed_grant": false,}]'),
        ("t.json", '{"id": "a", "missed_grant": true,\n}'),
    ],
)
def test_trailing_comma_refused_as_python_refuses_it(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    text: str,
) -> None:
    (code, out, err), (py_code, python, py_err) = _both_on(policies, capsys, tmp_path / name, text)
    assert (py_code, python) == (2, "") and "not valid JSON" in py_err
    assert (code, out, err) == (py_code, python, py_err)


def test_commas_and_brackets_inside_strings_are_fine(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # As written in the file: ",}"  ",]"  "\\,}"  "\",}"  "\\\",}"  "\u0022,}"  ", ]"
    records = ['",}"', '",]"', '"\\\\,}"', '"\\",}"', '"\\\\\\",}"', '"\\u0022,}"', '", ]"']
    path = tmp_path / "ok.jsonl"
    path.write_text(
        "".join(f'{{"id": {r}, "missed_grant": true}}\n' for r in records), encoding="utf-8"
    )
    (code, out, err), (py_code, python, _) = _both(policies, capsys, "taierzhuang", str(path))
    assert (code, err) == (py_code, "")
    assert out.splitlines()[-3:] == python.splitlines()[-3:]
    assert f"{len(records)} record(s)" in out


# ---------------------------------------------------------------- 7. a value only Python takes

_TOO_FINE = (
    "field 'lucheng_bank_savings': {} has more than 10 decimal places, which the SQL "
    "engine's DECIMAL(38, 10) cannot hold exactly (the Python engine takes it)"
)


@pytest.mark.parametrize(
    ("name", "text", "record", "shown"),
    [
        (
            "c79.jsonl",
            '{"lucheng_age": 40}\n'
            '{"lucheng_age": 41, "lucheng_bank_savings": 0.30000000000000004}\n',
            "c79.jsonl:2",
            "0.30000000000000004",
        ),
        (
            "c79.jsonl",
            '{"id": "k", "lucheng_bank_savings": "12.00000000001"}\n',
            "k",
            '"12.00000000001"',
        ),
        (
            "c79.csv",
            "lucheng_bank_savings\n12.5\n 0.123456789012\n",
            "c79.csv:3",
            '" 0.123456789012"',
        ),
        # Past a double's precision: the text's double is 5000's, so comparing doubles let
        # the SQL engine round it to 5000 (a fail that became a pass).
        (
            "c79.jsonl",
            '{"id": "k", "lucheng_bank_savings": "5000.0000000000001"}\n',
            "k",
            '"5000.0000000000001"',
        ),
        (
            "c79.csv",
            "lucheng_bank_savings\n200000.00000000001\n",
            "c79.csv:2",
            '"200000.00000000001"',
        ),
    ],
)
def test_value_only_python_takes_names_field_and_reason(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    text: str,
    record: str,
    shown: str,
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (code, out, err), (py_code, _, _) = _both(policies, capsys, "lucheng", str(path))
    assert py_code in (0, 1)  # the Python engine takes it
    assert (code, out) == (2, "")
    assert err == f"{PROG}: record {record}: {_TOO_FINE.format(shown)}\n"


def test_zeros_past_the_tenth_decimal_are_taken(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Only a digit other than 0 past the tenth decimal is what DECIMAL(38, 10) would round; a
    JSON number is the double both engines read (0.1 + 2^-56 is 0.1)."""
    path = tmp_path / "c80.jsonl"
    path.write_text(
        '{"lucheng_bank_savings": "5000.000000000000000"}\n'
        '{"lucheng_bank_savings": 5000.0000000000001}\n',
        encoding="utf-8",
    )
    (code, out, err), (py_code, python, _) = _both(policies, capsys, "lucheng", str(path))
    assert (code, err) == (py_code, "")
    assert out == python and "2 record(s)" in out


def test_parquet_decimal_with_more_than_10_places_named(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "fine.parquet"
    duckdb.connect().execute(
        "COPY (SELECT 'p' AS id, CAST('1.000000000001' AS DECIMAL(20, 12)) AS "
        f"lucheng_bank_savings) TO '{path}' (FORMAT parquet)"
    )
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "lucheng", str(path)
    )
    assert (code, out) == (2, "")
    assert err == f"{PROG}: record p: {_TOO_FINE.format('1.000000000001')}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5%", "0.1250000000"),
        ("0.00000001%", "0.0000000001"),  # 8 decimals: 1e-10 after / 100, held exactly
        ("0.000000001%", None),  # 1e-11: refused, not rounded to 0
        ("0.0000000001%", None),
        ("0.0000000001", "0.0000000001"),  # no %: 10 decimals fit
    ],
)
def test_a_percentage_that_needs_more_than_10_decimals_is_refused(
    text: str, expected: str | None
) -> None:
    """No policy has a ratio fact yet; the typing of one, run on DuckDB: a percentage is
    divided by 100, and what then needs more than 10 decimals is refused (NULL: the record is
    bad input, as for any number with more than 10 decimals), never rounded."""
    from compiler.runtime.values import FactSpec

    spec = FactSpec("r", "ratio", "a ratio")
    typed = sqlengine.typing(spec, "jt", "tx")
    pre = ", ".join(f"{sql} AS {name}" for name, sql in typed.pre)
    column = typed.columns[0][1]
    con = duckdb.connect()
    row = con.execute(
        f"SELECT CAST({column} AS VARCHAR) FROM (SELECT *, {pre} FROM "
        "(SELECT 'VARCHAR' AS jt, ? AS tx))",
        [text],
    ).fetchone()
    con.close()
    assert row is not None and row[0] == expected


@pytest.mark.parametrize(
    "data",
    [
        b"id,missed_grant\na,true,1\n",  # a cell more than the header has
        b"id,missed_grant\na,true\nb\n",  # a cell fewer
        b'id,missed_grant\na,"true\n',  # a quote never closed
        b"id,missed_grant\na,tr\xffue\n",  # not UTF-8
    ],
)
def test_a_csv_duckdb_cannot_read_is_refused_in_the_python_words(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    data: bytes,
) -> None:
    # DuckDB said "DuckDB: Invalid Input Error: CSV Error on Line: 2", naming neither the
    # record nor what is wrong with it.
    path = tmp_path / "cases.csv"
    path.write_bytes(data)
    (code, out, err), (py_code, python, py_err) = _both(policies, capsys, "taierzhuang", str(path))
    assert (py_code, python) == (2, "") and "cases.csv" in py_err
    assert (code, out, err) == (py_code, python, py_err)


# ---------------------------------------------------------------- a line on a terminal


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_duckdb_engine_says_what_it_does_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """150,000 records took 17 s with nothing on the screen: the line names the step and the
    time, and is erased before the report; nothing is drawn in CI or on a pipe."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    terminal = _Terminal()
    line = sqlengine.QueryProgress.on_terminal(PROG, terminal)
    assert line is not None
    line.step("checking records in DuckDB")
    line.draw()
    line.close()
    line.draw()  # a redraw after close draws nothing
    shown = terminal.getvalue()
    assert shown.startswith(f"\r\x1b[K{PROG}: checking records in DuckDB, ")
    assert shown.endswith(" s…\r\x1b[K") and shown.count(PROG) == 1
    assert sqlengine.QueryProgress.on_terminal(None, terminal) is None


@pytest.mark.parametrize(
    ("share", "far"),
    [(lambda: 42.4, ", 42 %"), (lambda: -1.0, ""), (lambda: 1 / 0, ""), (None, "")],
)
def test_the_line_gives_a_querys_share_done_where_it_is_known(
    monkeypatch: pytest.MonkeyPatch, share: Callable[[], float] | None, far: str
) -> None:
    # A JSONL file read in one query: DuckDB's query_progress(), -1 when it knows none; one
    # that fails leaves the seconds alone, never the run.
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    terminal = _Terminal()
    line = sqlengine.QueryProgress(PROG, terminal)
    line.step("reading cases.jsonl in DuckDB", share)
    line.draw()
    assert terminal.getvalue().startswith(f"\r\x1b[K{PROG}: reading cases.jsonl in DuckDB{far}, ")
    assert terminal.getvalue().endswith(" s…")


def test_the_duckdb_engine_draws_nothing_in_ci_or_on_a_pipe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _Terminal()
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("CI", "true")
    assert sqlengine.QueryProgress.on_terminal(PROG, terminal) is None
    assert sqlengine.QueryProgress.on_terminal(PROG, io.StringIO()) is None
