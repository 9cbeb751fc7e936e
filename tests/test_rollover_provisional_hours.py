"""Where the three calendar features meet (integration of i9-rollover, i9-hours and
i9-calendar): a limit in 日 whose last day needs the 民法典 第二百零三条 roll-over in a year whose
holiday schedule is not yet published is provisional with a range (never an exception); its
record check stays three-valued and keeps both notes; an hours limit never rolls over and needs
no calendar, even across a new year with no published schedule."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from compiler.cli import main
from compiler.runtime.policy import Limit
from compiler.runtime.timelimits import (
    CalendarProvisional,
    WorkdayCalendar,
    load_calendar,
    roll_over,
    roll_over_bounds,
)

CAL = load_calendar()
# 2027: 春节 2027-02-05 (除夕) .. 02-08 are statutory days; 02-09 is the first weekday after.
DAYS = Limit("approval", "r", "二（三）", "1天内", "批准", 1, "days")
HOURS = Limit("pre_aid", "r", "二（三）", "24小时内", "先行救助", 24, "hours")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_day_limit_ending_in_the_2027_spring_festival_is_provisional_and_moved() -> None:
    due = DAYS.reckon(date(2027, 2, 4), CAL)
    assert due.counted == date(2027, 2, 5)  # 除夕, a statutory day
    assert due.moved and due.day == date(2027, 2, 9)
    assert due.bounds is not None and due.bounds.unpublished == (2027,)
    assert due.bounds.earliest == date(2027, 2, 9) < due.bounds.latest
    assert "by the statutory holidays" in due.explanation()
    # The plain due date refuses rather than guess; its bounds travel with the refusal.
    with pytest.raises(CalendarProvisional) as raised:
        DAYS.due(date(2027, 2, 4), CAL)
    assert raised.value.bounds == due.bounds
    # roll_over and its bounds agree: one algorithm.
    assert roll_over_bounds(date(2027, 2, 5), CAL) == due.bounds
    with pytest.raises(CalendarProvisional):
        roll_over(date(2027, 2, 5), CAL)


def test_no_rollover_in_2027_is_final() -> None:
    fixed = Limit("notice", "r", "二（三）", "3天", "公示", 1, "days", no_rollover="公示的天数")
    due = fixed.reckon(date(2027, 2, 4), CAL)
    assert due.day == due.counted == date(2027, 2, 5) and due.final


def test_a_published_year_rolls_over_finally() -> None:
    due = DAYS.reckon(date(2024, 9, 30), CAL)
    assert (due.counted, due.day, due.final) == (date(2024, 10, 1), date(2024, 10, 8), True)


def test_an_hours_limit_across_new_year_2027_needs_no_calendar() -> None:
    # A calendar that knows no year at all: hours never ask it.
    empty = WorkdayCalendar(2000, 2000, frozenset(), frozenset())
    due = HOURS.reckon(datetime(2026, 12, 31, 20, 0), empty)
    assert due.day == datetime(2027, 1, 1, 20, 0) and due.final and not due.moved
    assert HOURS.due(datetime(2026, 12, 31, 20, 0), empty) == datetime(2027, 1, 1, 20, 0)


def test_policyc_due_shows_moved_and_provisional(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "due", "taierzhuang", "二（三）", "--start", "2027-02-04T10:00")
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("approval_after_notice"))
    assert "2027-02-09 PROVISIONAL (2027-02-09..2027-02-18)" in line
    assert "moved from 2027-02-05" in line
    pre_aid = next(x for x in out.splitlines() if x.startswith("pre_aid "))
    assert pre_aid.endswith("2027-02-05T10:00")  # hours: a moment, never moved
    code, out, err = run(
        capsys, "due", "taierzhuang", "二（三）", "--start", "2027-02-04T10:00", "--json"
    )
    entries = {e["limit"]: e for e in json.loads(out)["limits"]}
    entry = entries["approval_after_notice"]
    assert (entry["due"], entry["counted"]) == ("2027-02-09", "2027-02-05")
    assert entry["provisional"]["unpublished"] == [2027]
    assert "provisional" not in entries["pre_aid"]


def check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, record: dict[str, Any], rule: str
) -> dict[str, Any]:
    path = tmp_path / "case.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "validate", "--policy", "taierzhuang", str(path), "--json")
    assert code in (0, 1), err
    checks = json.loads(out)["records"][0]["checks"]
    return next(c for c in checks if c["rule"] == rule)


def approval(approved: str) -> dict[str, Any]:
    return {
        "id": "TEZ-2027",
        "taierzhuang_case_programme": "dibao",
        "objection_raised": False,
        "public_notice_end_date": "2027-02-04",
        "taierzhuang_approval_date": approved,
    }


@pytest.mark.parametrize(
    ("approved", "status"),
    [("2027-02-09", "pass"), ("2027-02-12", "undetermined"), ("2027-02-19", "fail")],
)
def test_a_record_check_of_the_rolled_over_day_limit_is_three_valued(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, approved: str, status: str
) -> None:
    result = check(capsys, tmp_path, approval(approved), "approval_after_notice")
    assert result["status"] == status
    message = result["message"]
    assert "moved from 2027-02-05" in message
    assert "provisional" in message and "between 2027-02-09 and 2027-02-18" in message
    if status == "undetermined":
        assert result["calendar_unpublished"] == [2027]
        assert "2027 holiday schedule, not yet published" in message
    else:
        assert "calendar_unpublished" not in result


def test_an_hours_record_check_across_new_year_2027(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    record = {
        "id": "TEZ-2027-H",
        "taierzhuang_case_programme": "temporary",
        "taierzhuang_temporary_is_expenditure": False,
        "emergency_found_date": "2026-12-31T20:00",
        "pre_aid_delivered_date": "2027-01-01T19:00",
    }
    result = check(capsys, tmp_path, record, "pre_aid")
    assert result["status"] == "pass", result
    assert "provisional" not in result["message"] and "calendar_unpublished" not in result
    # Dates alone: the missing time of day is named, not the calendar.
    record |= {"emergency_found_date": "2026-12-31", "pre_aid_delivered_date": "2027-01-01"}
    result = check(capsys, tmp_path, record, "pre_aid")
    assert result["status"] == "undetermined"
    assert "time of day" in result["message"] and "calendar_unpublished" not in result
