"""`validate --engine duckdb` on the command line (runtime/cli.py → runtime/sqlengine.py): the
same summary as the Python path, the findings without their messages, `--out` tables, and the
exit codes: 0 clean, 1 findings, 2 bad input (in the Python path's words), never a traceback."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import duckdb  # in the test extra: CI has it, so a missing one fails rather than skips
import pytest

from compiler.runtime.policy import PolicyInfo
from tests.engines import PROG, ROOT, WEEKENDS_ONLY_2031, run

CASES = [
    {"id": "late", "taierzhuang_application_date": "2024-09-02",
     "taierzhuang_approval_date": "2024-10-30", "taierzhuang_fulltime_staff": 1},
    {"taierzhuang_application_date": "2024-09-02", "taierzhuang_approval_date": "2024-09-05"},
    {"taierzhuang_application_date": "2024-09-02"},
    {"missed_grant": True},
]  # fmt: skip


def _jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def test_summary_and_findings_as_the_python_report(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = str(_jsonl(tmp_path / "cases.jsonl", CASES))
    code, text, err = run(policies, capsys, "validate", "--policy", "taierzhuang", cases)
    assert err == ""
    py_code, python, _ = run(policies, capsys, "validate", "--policy", "taierzhuang", cases)
    assert code == py_code == 1
    ours, theirs = text.splitlines(), python.splitlines()
    assert ours == theirs  # the Python engine is the default, the same command
    code, text, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang", cases
    )
    assert (code, err) == (1, "")
    ours = text.splitlines()
    assert ours[-3:] == theirs[-3:]
    # Each Python line without its message: `id: STATUS rule [policy clause]` and the needs.
    message = re.compile(r"^(.+?: [A-Z_]+ \S+ \[[^\]]+\]): .*?( \(needs [^)]*\))?$")
    expected = [
        line if " decision " in line else "".join(g or "" for g in message.match(line).groups())  # type: ignore[union-attr]
        for line in theirs[:-3]
    ]
    assert ours[:-3] == expected
    assert "late: FAIL township_staffing [taierzhuang 三（一）]" in ours


def test_clean_records_exit_0(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = str(_jsonl(tmp_path / "ok.jsonl", CASES[1:3]))
    code, text, _ = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang", cases
    )
    assert code == 0, text
    assert "2 record(s), 0 finding(s)" in text


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_out_writes_the_results_table(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    suffix: str,
) -> None:
    cases = str(_jsonl(tmp_path / "cases.jsonl", CASES))
    out = tmp_path / f"results{suffix}"
    code, text, _ = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang",
        cases, "--out", str(out),
    )  # fmt: skip
    assert code == 1
    assert len(text.splitlines()) == 3  # the summary alone
    reader = {".parquet": "read_parquet", ".csv": "read_csv", ".jsonl": "read_json"}[suffix]
    rows = duckdb.connect().execute(f"SELECT * FROM {reader}('{out}')").fetchall()
    names = [
        r[0]
        for r in duckdb.connect().execute(f"DESCRIBE SELECT * FROM {reader}('{out}')").fetchall()
    ]
    assert [r[0] for r in rows] == ["late", "cases.jsonl:2", "cases.jsonl:3", "cases.jsonl:4"]
    assert names[0] == "id" and names[-4:] == ["outcome", "missing", "judgments", "decided_by"]
    assert "approval_limit__status" in names and "approval_limit__unpublished" in names
    late = dict(zip(names, rows[0], strict=True))
    assert late["township_staffing__status"] == "fail"


def test_parquet_cases(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = _jsonl(tmp_path / "cases.jsonl", CASES)
    parquet = tmp_path / "cases.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_json('{cases}')) TO '{parquet}' (FORMAT parquet)"
    )
    code, text, _ = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang",
        str(parquet),
    )  # fmt: skip
    assert code == 1
    assert "late: FAIL township_staffing" in text
    assert "cases.parquet#2: decision" not in text


@pytest.mark.parametrize(
    ("record", "wanted"),
    [
        ({"nope": 1}, "record cases.jsonl:1: unknown field 'nope'"),
        ({"taierzhuang_fulltime_staff": "x"}, "record cases.jsonl:1: field"),
        (
            {
                "taierzhuang_application_date": "1990-01-02",
                "taierzhuang_approval_date": "1990-03-01",
            },
            "1990",
        ),
    ],
)
def test_bad_input_exit_2_in_the_python_words(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    record: dict[str, object],
    wanted: str,
) -> None:
    cases = str(_jsonl(tmp_path / "cases.jsonl", [record]))
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang", cases
    )
    py_code, _, py_err = run(policies, capsys, "validate", "--policy", "taierzhuang", cases)
    assert (code, out) == (2, "")
    assert code == py_code
    assert wanted in err
    assert err == py_err


@pytest.mark.parametrize(
    ("name", "data", "origin"),
    [
        ("cases.jsonl", '{"id": "A", "missed_grant": true}\n{"id": "", "missed_grant": true}\n',
         "cases.jsonl:2"),
        ("cases.json", '[{"id": "A"}, {"id": " \\u3000", "missed_grant": true}]', "cases.json#2"),
        ("cases.csv", "id,missed_grant\nA,true\n  ,true\n", "cases.csv:3"),
        ("cases.parquet", "SELECT * FROM (VALUES ('A', true), ('', true)) t(id, missed_grant)",
         "cases.parquet#2"),
    ],
    ids=["jsonl", "json", "csv", "parquet"],
)  # fmt: skip
def test_an_empty_id_is_bad_input_in_both_engines(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    data: str,
    origin: str,
) -> None:
    path = tmp_path / name
    if path.suffix == ".parquet":
        duckdb.sql(f"COPY ({data}) TO '{path}' (FORMAT parquet)")
    else:
        path.write_text(data, encoding="utf-8")
    argv = ["validate", "--engine", "duckdb", "--policy", "taierzhuang", str(path)]
    code, out, err = run(policies, capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"{PROG}: record {origin}: field 'id' is ")
    if path.suffix != ".parquet":  # the Python engine's words, word for word
        assert run(policies, capsys, *argv[:1], *argv[3:]) == (code, out, err)


def test_format_and_out_need_the_engine(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = str(_jsonl(tmp_path / "cases.jsonl", CASES))
    code, _, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--format", "json",
        "--policy", "taierzhuang", cases,
    )  # fmt: skip
    assert code == 2 and "--out FILE" in err
    code, _, err = run(
        policies, capsys, "validate", "--out", "x.parquet", "--policy", "taierzhuang", cases
    )
    assert code == 2 and "--engine duckdb" in err
    code, _, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--out", str(tmp_path / "x.xlsx"),
        "--policy", "taierzhuang", cases,
    )  # fmt: skip
    assert code == 2 and ".parquet, .csv or .jsonl" in err


def test_without_duckdb_exit_2_saying_what_to_install(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb -> ImportError
    cases = str(_jsonl(tmp_path / "cases.jsonl", CASES))
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang", cases
    )
    assert (code, out) == (2, "")
    assert "pip install policyc-validators[duckdb]" in err
    # The Python engine never needs it.
    code, _, _ = run(policies, capsys, "validate", "--policy", "taierzhuang", cases)
    assert code == 1


def test_calendar_years_as_the_python_path(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 2031: only the statutory holidays are bundled; a made-up schedule (weekends off only)
    # settles it.  The table is rebuilt from the runtime's calendar with that year.
    record = {
        "taierzhuang_application_date": "2031-01-06",
        "taierzhuang_approval_date": "2031-01-22",
    }
    cases = str(_jsonl(tmp_path / "late.jsonl", [record, {**record, "objection_raised": False}]))
    calendar = tmp_path / "cn_2031.json"
    calendar.write_text(json.dumps(WEEKENDS_ONLY_2031), encoding="utf-8")
    for extra in ([], ["--calendar", str(calendar)]):
        argv = ["validate", "--policy", "taierzhuang", cases, *extra]
        code, text, err = run(policies, capsys, *argv[:1], "--engine", "duckdb", *argv[1:])
        py_code, python, _ = run(policies, capsys, *argv)
        assert (code, err) == (py_code, "")
        assert text.splitlines()[-3:] == python.splitlines()[-3:], extra
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    code, _, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--policy", "taierzhuang", cases,
        "--calendar", str(bad),
    )  # fmt: skip
    assert code == 2 and err


@pytest.mark.slow
def test_benchmark_sql_runs() -> None:
    """benchmarks/sql.py still runs (tiny sizes; slow: it plans the SQL and starts a child)."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "benchmarks/sql.py", "--records", "2000", "--bulk", "2000",
         "--repeat", "1"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "records/s" in result.stdout and "peak RSS" in result.stdout
