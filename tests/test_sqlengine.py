"""The DuckDB engine's reading of case records (compiler/runtime/sqlengine.py): every value the
Python package takes is typed to the same value, and every value it refuses is refused, with
the Python package's message; ids as the Python package names them."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb  # in the test extra: CI has it, so a missing one fails rather than skips
import pytest

from compiler.interpret import info
from compiler.lower import load_program
from compiler.runtime.policy import PolicyInfo
from compiler.runtime.records import RecordError, read_records, typed
from compiler.runtime.sqlengine import Cases, EngineError, _source
from compiler.runtime.values import Duration

ROOT = Path(__file__).resolve().parent.parent

# Values a record may give, valid or not, per fact type: the edges of runtime/values.py.
TRICKY: dict[str, list[object]] = {
    "bool": [True, False, "true", " TRUE ", "False\u3000", "yes", 1, 0, "", "1"],
    "int": [
        3,
        3.0,
        3.5,
        "3",
        " 3 ",
        "3.0",
        "-2",
        "+2",
        "1e3",
        1e3,
        1e16,
        1e15,
        10**16,
        "１２",
        True,
        0.0,
        "0",
        "-0",
        "007",
        "3 4",
    ],
    "money": [
        12.5,
        "12.50",
        "12.",
        ".5",
        1e-16,
        0.25,
        "1,000",
        "-3.75",
        False,
        "9999999999999999",
        "999999999999999.5",
    ],
    "ratio": ["50%", "12.5%", 0.5, "%", "5%%", " 7% ", "0.5", "-1%", 2],
    "date": [
        "2024-01-01",
        "2024-02-29",
        "2023-02-29",
        "2024-02-30",
        "20240101",
        "2024-1-1",
        " 2024-01-01",
        20240101,
        "0000-01-01",
        "2024-01-01T00:00",
    ],
    "datetime": [
        "2024-01-01T09:30",
        "2024-01-01 09:30:15",
        "2024-01-01T24:00",
        "2024-01-01T09:30+08:00",
        "2024-01-01T09:30+0800",
        "2024-01-01T09:30Z",
        "2024-01-01T09:30+09:00",
        "2024-01-01",
        "2024-01-01T9:30",
        "2024-01-01T09:60",
        "2024-01-01T09:30:60",
        "2024-02-30T09:30",
        5,
        "2024-01-01T09:30:00.5",
        "2024-01-01T23:59:59",
    ],
    "duration": [
        "3 months",
        "3 month",
        " 3 months",
        "1234567 days",
        "0 days",
        3,
        "12 years",
        "2 workdays",
        "5 hours",
        "3  days",
    ],
    "text": ["abc", 1, True, "", " x "],
}


@pytest.fixture(scope="module")
def policies() -> dict[str, PolicyInfo]:
    model = load_program(ROOT)
    return {pid: info(model, model.policies[pid]) for pid in sorted(model.policies)}


def _tricky_records(policy: PolicyInfo) -> list[dict[str, object]]:
    """One record per (fact type, value): the first fact of each type given that value."""
    records: list[dict[str, object]] = []
    first: dict[str, str] = {}
    for spec in policy.facts.values():
        first.setdefault(spec.type, spec.name)
    for kind, name in sorted(first.items()):
        values = TRICKY.get(kind, [])
        if kind == "enum":
            values = [policy.facts[name].members[0], "not a member", 1, ""]
        records += [{name: value} for value in values]
    return records


def _stage(path: Path, policy: PolicyInfo) -> tuple[Any, Cases]:
    con = duckdb.connect()
    return con, Cases(con, policy.facts, [_source(0, str(path))])


def _expected(policy: PolicyInfo, origin: str, raw: dict[str, object]) -> dict[str, object] | None:
    """The typed columns Python gives the record, or None when it refuses it."""
    try:
        record = typed(origin, raw, policy.facts)
    except RecordError:
        return None
    columns: dict[str, object] = {}
    for name, value in record.facts.items():
        kind = policy.facts[name].type
        if kind == "datetime":
            assert isinstance(value, date)
            timed = isinstance(value, datetime)
            columns[name] = value if timed else datetime.combine(value, datetime.min.time())
            columns[f"{name}__timed"] = timed
        elif kind == "duration":
            assert isinstance(value, Duration)
            columns[f"{name}__amount"], columns[f"{name}__unit"] = value.amount, value.unit
        else:
            columns[name] = value
    return columns


def _rows(con: Any) -> list[dict[str, object]]:
    cursor = con.execute("SELECT * EXCLUDE (pos) FROM policyc_input ORDER BY pos")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _compare(policy: PolicyInfo, origins: list[str], raws: list[dict[str, object]], con: Any):
    rows = _rows(con)
    assert len(rows) == len(raws)
    for origin, raw, row in zip(origins, raws, rows, strict=True):
        expected = _expected(policy, origin, raw)
        assert row["bad"] == (expected is None), (raw, row["bad"])
        if expected is None:
            continue
        assert row["rid"] == str(raw.get("id", origin))
        got = {k: v for k, v in row.items() if k not in ("rid", "bad") and v is not None}
        assert got == expected, raw


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_values_typed_as_python_types_them(
    policies: dict[str, PolicyInfo], tmp_path: Path, fmt: str
) -> None:
    for policy in policies.values():
        raws = _tricky_records(policy)
        path = tmp_path / f"{policy.id}.{fmt}"
        if fmt == "jsonl":
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in raws))
            origins = [f"{path.name}:{n}" for n in range(1, len(raws) + 1)]
        else:
            raws = [{k: _cell(v) for k, v in r.items()} for r in raws]
            header = sorted({k for r in raws for k in r})
            with path.open("w", newline="", encoding="utf-8") as out:
                writer = csv.DictWriter(out, header)
                writer.writeheader()
                writer.writerows(raws)
            origins = [f"{path.name}:{n}" for n in range(2, len(raws) + 2)]
            raws = [{k: v for k, v in r.items() if v != ""} for r in raws]
        con, _ = _stage(path, policy)
        _compare(policy, origins, raws, con)


def _cell(value: object) -> str:
    return json.dumps(value) if isinstance(value, bool | int | float) else str(value)


def test_ids_and_line_numbers(policies: dict[str, PolicyInfo], tmp_path: Path) -> None:
    policy = policies["taierzhuang"]
    jsonl = tmp_path / "cases.jsonl"
    jsonl.write_text(
        '\ufeff{"id": "a", "taierzhuang_fulltime_staff": 3}\n\n  \n'
        '{"id": 7, "taierzhuang_fulltime_staff": 3}\r\n{"taierzhuang_fulltime_staff": 4}\n'
    )
    document = tmp_path / "cases.json"
    document.write_text('[{"taierzhuang_fulltime_staff": 3}, {"id": "b"}]')
    single = tmp_path / "one.json"
    single.write_text('{"taierzhuang_fulltime_staff": 3}')
    table = tmp_path / "cases.csv"
    table.write_text(
        'id,taierzhuang_fulltime_staff,taierzhuang_case_programme\n,3,\n\n"x\ny",4,\n,,\n'
    )
    for path in (jsonl, document, single, table):
        con, _ = _stage(path, policy)
        names = [str(r["rid"]) for r in _rows(con)]
        python = [r.id for r in read_records(path, policy.facts)]
        assert names == python, path.name


def test_parquet_read_with_native_types(policies: dict[str, PolicyInfo], tmp_path: Path) -> None:
    policy = policies["taierzhuang"]
    path = tmp_path / "cases.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM (VALUES (3, DATE '2024-01-02', TIMESTAMP '2024-01-02 09:30:00', "
        f"NULL::VARCHAR), (NULL, NULL, NULL, 'r2')) t(taierzhuang_fulltime_staff, "
        f"taierzhuang_application_date, emergency_found_date, id)) TO '{path}' (FORMAT parquet)"
    )
    con, _ = _stage(path, policy)
    rows = _rows(con)
    assert [r["rid"] for r in rows] == ["cases.parquet#1", "r2"]
    assert rows[0]["taierzhuang_fulltime_staff"] == Decimal(3)
    assert rows[0]["taierzhuang_application_date"] == date(2024, 1, 2)
    assert rows[0]["emergency_found_date"] == datetime(2024, 1, 2, 9, 30)
    assert rows[0]["emergency_found_date__timed"] is True
    assert not any(r["bad"] for r in rows)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"nope": 1}\n', "record cases.jsonl:1: unknown field 'nope'"),
        ('{"id": 1}\n{"taierzhuang_fulltime_staff": "x"}\n', "record cases.jsonl:2: field"),
        ('{"id": true}\n', "record cases.jsonl:1: field 'id' is a string or an integer"),
        ("[1]\n", "record cases.jsonl:1: a record is a JSON object of facts, not list"),
        ('{"a": \n', "cases.jsonl:1:7: not valid JSON"),
        (
            '{"taierzhuang_fulltime_staff": 1, "taierzhuang_fulltime_staff": 2}\n',
            "given twice",
        ),
    ],
)
def test_bad_records_named_as_python_names_them(
    policies: dict[str, PolicyInfo], tmp_path: Path, text: str, message: str
) -> None:
    policy = policies["taierzhuang"]
    path = tmp_path / "cases.jsonl"
    path.write_text(text)
    _, cases = _stage(path, policy)
    with pytest.raises(EngineError, match=None) as raised:
        cases.first_bad()
    assert message in str(raised.value)
    with pytest.raises(RecordError) as python:
        read_records(path, policy.facts)
    assert str(raised.value) == str(python.value)


def test_source_refuses_unknown_formats(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="unknown format"):
        _source(0, str(tmp_path / "cases.xlsx"))
    # The standard-library engine's words (records.readable), for a directory too.
    with pytest.raises(EngineError, match=r"cannot read: No such file or directory$"):
        _source(0, str(tmp_path / "missing.jsonl"))
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(EngineError, match=r"cannot read: Is a directory$"):
        _source(0, str(tmp_path / "dir.jsonl"))
