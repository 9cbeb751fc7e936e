"""Values at the edges of their types through both engines of `validate`
(tests/test_sql_extremes.py, docs/sql.md): the same report and exit code from each.

* A number too large for the SQL's DECIMAL: the records the SQL marks `number_too_large` are
  computed by Python (the DuckDB engine stopped with an overflow error, naming no record).
* An hours limit at the end of 9999-12-31 (the standard-library engine stopped on an internal
  error, exit 3).
* A 公示期 beginning past the calendar, after the count (the DuckDB engine stopped on an
  internal error, exit 3)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import duckdb  # in the test extra
import pytest

from compiler.runtime import sqlengine
from compiler.runtime.policy import PolicyInfo
from tests.engines import PROG, each, reported_alike, run

SIZE, STANDARD, AID, COSTS = (
    "lucheng_household_size",
    "lucheng_monthly_dibao_standard",
    "lucheng_deliberated_temporary_aid",
    "lucheng_remaining_medical_costs",  # the other cap, 70 % of them: met by each record
)


# The standards as text, which a money fact takes: Parquet made from them by DuckDB's JSON
# reader has a VARCHAR column, not a JSON one.
RECORDS = [
    {"id": "fine", SIZE: 3, STANDARD: "850.5", AID: 51030, COSTS: 10**15},
    {"id": "huge", SIZE: 10**14, STANDARD: "100000000000000", AID: 5, COSTS: 10**15},
    {"id": "over", SIZE: 10**15, STANDARD: "999999999999999.5", AID: 10**14, COSTS: 10**15},
    {"id": "none", SIZE: 10**15, STANDARD: "1000000000000000"},
    {"id": "fine2", SIZE: 2, STANDARD: "700", AID: 28001, COSTS: 10**15},
]


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    """`records` as the file `path`'s suffix says: JSONL, one JSON array, or CSV."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    elif path.suffix == ".json":
        path.write_text(json.dumps(records), encoding="utf-8")
    else:
        names = list(dict.fromkeys(name for record in records for name in record))
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, names)
            writer.writeheader()
            writer.writerows(records)
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv"])
def test_both_engines_report_a_huge_product_alike(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str
) -> None:
    """The DuckDB engine stopped with exit 2 ("DuckDB: Out of Range Error: Overflow in
    multiplication of DECIMAL(38)"), naming no record, where the standard-library engine
    checked every record.  Now the records the SQL marks are computed by Python, read again
    from each kind of file: the same report and exit code from both engines, the huge caps
    computed (their checks pass)."""
    cases = _write(tmp_path / f"cases{suffix}", RECORDS)
    runs = each(policies, capsys, str(cases), policy="lucheng")
    code, out, _ = runs["python"]
    assert code == 1  # fine2: 28,001 over the cap of 28,000
    assert "fine2: FAIL temporary_aid_household_cap" in out
    assert "huge:" not in out and "over:" not in out  # the caps computed: both pass
    reported_alike(runs)


def test_parquet_and_out(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """From Parquet (the DuckDB engine's alone) the same report as from JSONL; the results
    table of `--out` holds Python's results for the records it computed."""
    jsonl = _write(tmp_path / "cases.jsonl", RECORDS)
    parquet = tmp_path / "cases.parquet"
    duckdb.connect().execute(f"COPY (FROM read_json('{jsonl}')) TO '{parquet}' (FORMAT parquet)")
    argv = ("validate", "--engine", "duckdb", "--policy", "lucheng")
    assert run(policies, capsys, *argv, str(parquet)) == run(policies, capsys, *argv, str(jsonl))
    out = tmp_path / "results.jsonl"
    assert run(policies, capsys, *argv, str(parquet), "--out", str(out))[0] == 1
    rows = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert rows["huge"]["temporary_aid_household_cap__status"] == "pass"
    assert rows["none"]["temporary_aid_household_cap__needs"] == AID  # the cap is known


def test_the_computed_records_are_not_read_again_from_their_file(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The records Python computes are typed from the typed view, all in one query: read
    again from the file one by one (each read from the file's start), 1,000 of 100,000
    records took 39 s where the whole run now takes 3."""
    read: list[int] = []
    original = sqlengine.Cases.raw_record

    def spy(self: sqlengine.Cases, source: sqlengine.Source, number: int) -> Any:
        read.append(number)
        return original(self, source, number)

    monkeypatch.setattr(sqlengine.Cases, "raw_record", spy)
    cases = _write(tmp_path / "cases.jsonl", RECORDS)
    reported_alike(each(policies, capsys, str(cases), policy="lucheng"))
    assert read == []


def test_a_refused_record_after_a_computed_one(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A record the SQL marks, then one Python refuses (9999-06-01 plus 三年, past Python's
    dates) which the SQL marks too: both engines stop at the second, in the same words."""
    refused = {
        "id": "late",
        SIZE: 10**14,
        STANDARD: 10**14,
        "lucheng_member_missing_since": "9999-06-01",
        "lucheng_application_date": "2024-01-01",
        "lucheng_member_left_or_lost_contact": True,
    }
    cases = _write(tmp_path / "cases.jsonl", [*RECORDS, refused])
    runs = each(policies, capsys, str(cases), policy="lucheng")
    code, out, err = runs["python"]
    assert (code, out) == (2, "") and err.startswith(f"{PROG}: record late: ")
    assert runs["duckdb"] == runs["python"]


def test_an_hours_limit_at_the_end_of_9999(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """台儿庄's 24 hours of pre-aid from a moment on 9999-12-31: computed by both engines, a
    due moment past 9999 said in words."""
    moments = ["9999-12-31", "9999-12-30", "9999-12-31T12:00", "9999-12-31T23:59:59"]
    records = [
        {
            "id": f"{start}/{end}",
            "emergency_found_date": start,
            "pre_aid_delivered_date": end,
            "taierzhuang_case_programme": "temporary_emergency",
        }
        for start in moments
        for end in moments
    ]
    cases = _write(tmp_path / "cases.jsonl", records)
    runs = each(policies, capsys, str(cases), policy="taierzhuang")
    code, out, _ = runs["python"]
    assert code == 1
    assert "9999-12-31T12:00/9999-12-30: FAIL pre_aid" in out  # out of order
    reported_alike(runs)
    argv = ("validate", "--policy", "taierzhuang", "--format", "json", str(cases))
    code, out, _ = run(policies, capsys, *argv)
    messages = {
        record["id"]: check["message"]
        for record in json.loads(out)["records"]
        for check in record["checks"]
        if check["rule"] == "pre_aid"
    }
    assert messages["9999-12-31T12:00/9999-12-31"] == (
        "24 hours from emergency_found_date 9999-12-31T12:00: due 24 hours after "
        "9999-12-31T12:00; pre_aid_delivered_date 9999-12-31 is in time"
    )


def test_a_period_past_the_calendar_after_the_count(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """玉泉's 30 working days, not counting a 公示期 that begins in 2100: the count ends in
    2024, and both engines check the record."""
    record = {
        "id": "p",
        "yuquan_programme": "dibao",
        "yuquan_application_accepted_date": "2024-03-01",
        "yuquan_approval_completed_date": "2024-04-16",
        "public_notice_start_date": "2100-01-01",
        "public_notice_end_date": "9999-01-01",
    }
    cases = _write(tmp_path / "cases.jsonl", [record])
    runs = each(policies, capsys, str(cases), policy="yuquan")
    assert runs["python"][0] == 1
    assert "p: FAIL yuquan_dibao_approval" in runs["python"][1]
    reported_alike(runs)
