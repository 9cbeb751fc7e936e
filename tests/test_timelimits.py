"""Tests for compiler.timelimits: due dates on China's official working-day calendar."""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.timelimits import (
    BUNDLED_DATA,
    CalendarDataError,
    CalendarNotCovered,
    WorkdayCalendar,
    add_months,
    due_date,
    generate_calendar_data,
    load_calendar,
    main,
    monthly_due,
    regenerate,
    render_calendar_data,
)

# Loaded once: hypothesis dislikes function-scoped fixtures, and the calendar is immutable.
CAL = load_calendar()
# The official schedules alone, without the statutory holidays of later years: what
# chinesecalendar knows, and where the end of the published years is a hard edge.
OFFICIAL = load_calendar(statutory=False)

# Starts late enough in the covered range would run past 2026 for large N; keep the
# property-test window well inside it (60 working days is under four months).
covered_starts = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 6, 30))
small_amounts = st.integers(min_value=0, max_value=60)


def workdays_between(first_exclusive: date, last_inclusive: date) -> int:
    """Count official working days in (first, last] using chinese_calendar as the oracle."""
    return sum(
        chinese_calendar.is_workday(first_exclusive + timedelta(days=i))
        for i in range(1, (last_inclusive - first_exclusive).days + 1)
    )


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def year_2027_document() -> dict[str, Any]:
    # Illustrative schedule, not the official one (unpublished when this was written).
    return {
        "covered_years": [2027, 2027],
        "source": "test fixture",
        "years": {
            "2027": {
                "days_off": ["2027-01-01", "2027-02-08", "2027-02-09", "2027-02-10"],
                "extra_workdays": ["2027-02-06"],
            }
        },
    }


# --- The two facts checked by hand ------------------------------------------------------


def test_twelve_workdays_after_2024_09_27_is_2024_10_18() -> None:
    assert due_date(date(2024, 9, 27), 12, "workdays", CAL) == date(2024, 10, 18)


def test_seven_workdays_after_2024_09_27_is_adjusted_saturday() -> None:
    result = due_date(date(2024, 9, 27), 7, "workdays", CAL)
    assert result == date(2024, 10, 12)
    assert result.weekday() == 5  # a Saturday made a working day (调休)


# --- Holiday breaks agree with chinese_calendar -------------------------------------------


BREAKS = {
    # name: (window to compare, dates off on weekdays, weekend dates worked)
    "2024 Spring Festival": (
        (date(2024, 2, 1), date(2024, 2, 20)),
        {date(2024, 2, d) for d in (12, 13, 14, 15, 16)},
        {date(2024, 2, 4), date(2024, 2, 18)},
    ),
    "2024 National Day": (
        (date(2024, 9, 25), date(2024, 10, 15)),
        {date(2024, 10, d) for d in (1, 2, 3, 4, 7)},
        {date(2024, 9, 29), date(2024, 10, 12)},
    ),
    "2025 Spring Festival": (
        (date(2025, 1, 20), date(2025, 2, 12)),
        {date(2025, 1, 28), date(2025, 1, 29), date(2025, 1, 30), date(2025, 1, 31)}
        | {date(2025, 2, 3), date(2025, 2, 4)},
        {date(2025, 1, 26), date(2025, 2, 8)},
    ),
    "2025 National Day": (
        (date(2025, 9, 25), date(2025, 10, 15)),
        {date(2025, 10, d) for d in (1, 2, 3, 6, 7, 8)},
        {date(2025, 9, 28), date(2025, 10, 11)},
    ),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_holiday_break_matches_chinese_calendar(name: str) -> None:
    (first, last), weekday_off, weekend_worked = BREAKS[name]
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        assert CAL.is_workday(day) == chinese_calendar.is_workday(day), day
        expected = (day.weekday() < 5 and day not in weekday_off) or day in weekend_worked
        assert CAL.is_workday(day) == expected, day


def test_every_covered_date_agrees_with_chinese_calendar() -> None:
    # Exhaustive rather than sampled: 23 years is only ~8,400 dates.
    day = date(2004, 1, 1)
    while day <= date(2026, 12, 31):
        assert OFFICIAL.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_bundled_json_equals_regeneration() -> None:
    # If chinesecalendar is upgraded, this fails until the data file is regenerated.
    assert BUNDLED_DATA.read_text(encoding="utf-8") == render_calendar_data(
        generate_calendar_data()
    )


def test_bundled_json_metadata() -> None:
    document = json.loads(BUNDLED_DATA.read_text(encoding="utf-8"))
    assert document["covered_years"] == [2004, 2026]
    assert document["source"] == "chinesecalendar 1.11.0"
    assert (CAL.first_year, CAL.last_year, CAL.gap_years) == (2004, 2026, frozenset())


def test_check_entry_point_reports_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_regenerate_entry_point_writes_identical_file(tmp_path: Path) -> None:
    target = tmp_path / "cn_workdays.json"
    assert main(["--regenerate", "--output", str(target)]) == 0
    assert target.read_bytes() == BUNDLED_DATA.read_bytes()


@pytest.mark.parametrize("action", ["--check", "--regenerate"])
def test_entry_point_without_chinesecalendar_names_the_extra(
    action: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "chinese_calendar", None)  # as if not installed
    target = tmp_path / "cn_workdays.json"
    assert main([action, "--output", str(target)]) == 2
    captured = capsys.readouterr()
    assert "install policyc[maintainer]" in captured.err
    assert "Traceback" not in captured.out + captured.err
    assert not target.exists()


# --- Calendar coverage ----------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2003, 12, 31), date(2051, 1, 4)])
def test_uncovered_dates_raise(day: date) -> None:
    with pytest.raises(CalendarNotCovered) as info:
        CAL.is_workday(day)
    message = str(info.value)
    assert day.isoformat() in message
    assert "2004-2026" in message
    assert "load_calendar(extra_files=" in message
    assert isinstance(info.value, ValueError)


def test_workdays_running_past_last_covered_year_raise() -> None:
    with pytest.raises(CalendarNotCovered, match="2027-01-01"):
        due_date(date(2026, 12, 20), 30, "workdays", OFFICIAL)


def test_uncovered_start_day_is_not_consulted() -> None:
    # The start day never counts, so a start on 2003-12-31 only needs 2004 data.
    assert due_date(date(2003, 12, 31), 1, "workdays", CAL) == date(2004, 1, 2)


def test_calendar_day_limits_need_no_coverage() -> None:
    assert due_date(date(2030, 1, 1), 10, "days", CAL) == date(2030, 1, 11)
    assert due_date(date(2030, 1, 31), 1, "months", CAL) == date(2030, 2, 28)


# --- User data files ------------------------------------------------------------------


def test_user_file_adds_2027(tmp_path: Path) -> None:
    calendar = load_calendar([write_json(tmp_path / "2027.json", year_2027_document())])
    assert (calendar.first_year, calendar.last_year) == (2004, 2027)
    assert not calendar.is_workday(date(2027, 1, 1))  # Friday, listed off
    assert calendar.is_workday(date(2027, 2, 6))  # Saturday, listed as working
    assert calendar.is_workday(date(2027, 2, 11))  # ordinary Thursday
    # 2026-12-20 is a Sunday: 9 working days left in 2026, then 21 in 2027 after the
    # 1 January day off (4 full weeks from 4 January, then Monday 1 February).
    assert due_date(date(2026, 12, 20), 30, "workdays", calendar) == date(2027, 2, 1)
    with pytest.raises(CalendarNotCovered):
        calendar.is_workday(date(2028, 1, 3))


def test_user_file_replaces_a_covered_year(tmp_path: Path) -> None:
    document = {
        "covered_years": [2026, 2026],
        "source": "test fixture",
        "years": {"2026": {"days_off": [], "extra_workdays": []}},
    }
    calendar = load_calendar([write_json(tmp_path / "2026.json", document)])
    assert calendar.is_workday(date(2026, 10, 1))  # the National Day data was replaced
    assert not calendar.is_workday(date(2025, 10, 1))  # other years untouched


def test_later_user_file_wins(tmp_path: Path) -> None:
    first = write_json(tmp_path / "a.json", year_2027_document())
    replacement = year_2027_document()
    replacement["years"]["2027"]["days_off"] = []
    second = write_json(tmp_path / "b.json", replacement)
    assert load_calendar([first, second]).is_workday(date(2027, 1, 1))
    assert not load_calendar([second, first]).is_workday(date(2027, 1, 1))


def test_gap_year_is_reported(tmp_path: Path) -> None:
    document = {
        "covered_years": [2028, 2028],
        "source": "test fixture",
        "years": {"2028": {"days_off": [], "extra_workdays": []}},
    }
    calendar = load_calendar([write_json(tmp_path / "2028.json", document)], statutory=False)
    assert calendar.gap_years == frozenset({2027})
    assert calendar.is_workday(date(2028, 1, 3))
    with pytest.raises(CalendarNotCovered, match=r"falls in 2027, a gap.*except 2027"):
        calendar.is_workday(date(2027, 6, 1))
    with pytest.raises(CalendarNotCovered, match="2027-01-01"):
        due_date(date(2026, 12, 30), 5, "workdays", calendar)


def _mutate(change: Any) -> dict[str, Any]:
    document = year_2027_document()
    change(document)
    return document


MALFORMED: dict[str, tuple[Any, str]] = {
    "not an object": ([2027], "top level must be a JSON object"),
    "missing source": (_mutate(lambda d: d.pop("source")), "missing key"),
    "unknown key": (_mutate(lambda d: d.update(yeras={})), "unknown key"),
    "bad covered_years": (
        _mutate(lambda d: d.update(covered_years=[2027])),
        "covered_years",
    ),
    "years do not match covered_years": (
        _mutate(lambda d: d.update(covered_years=[2027, 2028])),
        "missing: \\['2028'\\]",
    ),
    "bad date spelling": (
        _mutate(lambda d: d["years"]["2027"]["days_off"].append("2027-2-9")),
        "'2027-2-9' is not a valid YYYY-MM-DD date",
    ),
    "impossible date": (
        _mutate(lambda d: d["years"]["2027"]["days_off"].append("2027-02-30")),
        "2027-02-30",
    ),
    "date under wrong year": (
        _mutate(lambda d: d["years"]["2027"]["days_off"].append("2026-12-31")),
        "not in 2027",
    ),
    "weekend listed off": (
        _mutate(lambda d: d["years"]["2027"]["days_off"].append("2027-02-07")),
        "2027-02-07 is a Sunday",
    ),
    "weekday listed as extra workday": (
        _mutate(lambda d: d["years"]["2027"]["extra_workdays"].append("2027-02-11")),
        "2027-02-11 is a Thursday",
    ),
    "duplicate date": (
        _mutate(lambda d: d["years"]["2027"]["days_off"].append("2027-01-01")),
        "listed twice",
    ),
    "missing year key": (
        _mutate(lambda d: d["years"]["2027"].pop("extra_workdays")),
        "exactly the keys",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_user_file_raises(tmp_path: Path, case: str) -> None:
    document, problem = MALFORMED[case]
    path = write_json(tmp_path / "user.json", document)
    with pytest.raises(CalendarDataError, match=problem) as info:
        load_calendar([path])
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"covered_years": [2027, 2027], ', "not valid JSON"),
        (
            '{"covered_years": [2027, 2027], "source": "x", "years": {'
            '"2027": {"days_off": [], "extra_workdays": []},'
            '"2027": {"days_off": [], "extra_workdays": []}}}',
            "appears twice",
        ),
    ],
)
def test_unparseable_user_file_raises(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "user.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarDataError, match=problem):
        load_calendar([path])


def test_missing_user_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with pytest.raises(CalendarDataError) as info:
        load_calendar([path])
    # The system's words, once, as for case records: not "[Errno 2] …: '<path>'".
    assert (
        str(info.value) == f"calendar data file {path}: cannot read it: No such file or directory"
    )


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "bom"])
def test_user_file_not_utf8_names_the_byte(tmp_path: Path, bom: bytes) -> None:
    # As for case records: the offset after the BOM, not Python's codec message.
    path = tmp_path / "user.json"
    path.write_bytes(bom + b'{"source": "x\xff"}')
    with pytest.raises(CalendarDataError) as info:
        load_calendar([path])
    assert str(info.value) == f"calendar data file {path}: not UTF-8 (byte 13)"


def test_user_file_with_a_bom_is_read(tmp_path: Path) -> None:
    document = {
        "covered_years": [2031, 2031],
        "source": "test",
        "years": {"2031": {"days_off": ["2031-01-02"], "extra_workdays": []}},
    }
    path = tmp_path / "user.json"
    path.write_text(json.dumps(document), encoding="utf-8-sig")
    assert not load_calendar([path]).is_workday(date(2031, 1, 2))


# --- Calendar days, months, years, hours ------------------------------------------------


def test_days_are_plain_calendar_days() -> None:
    assert due_date(date(2024, 9, 27), 7, "days", CAL) == date(2024, 10, 4)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 4, 30)),
        (date(2024, 1, 31), 2, date(2024, 3, 31)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 5, 15), 12, date(2025, 5, 15)),
    ],
)
def test_months_clamp_to_month_end(start: date, months: int, expected: date) -> None:
    assert due_date(start, months, "months", CAL) == expected


def test_years_clamp_leap_day() -> None:
    assert due_date(date(2024, 2, 29), 1, "years", CAL) == date(2025, 2, 28)
    assert due_date(date(2024, 2, 29), 4, "years", CAL) == date(2028, 2, 29)


def test_datetime_start_with_day_units_gives_a_date() -> None:
    result = due_date(datetime(2024, 9, 27, 16, 30), 12, "workdays", CAL)
    assert result == date(2024, 10, 18)
    assert type(result) is date


def test_hours_add_to_a_datetime() -> None:
    start = datetime(2024, 9, 30, 17, 0)
    assert due_date(start, 24, "hours", CAL) == datetime(2024, 10, 1, 17, 0)
    assert due_date(start, 72, "hours", CAL) == datetime(2024, 10, 3, 17, 0)


def test_hours_reject_a_bare_date() -> None:
    with pytest.raises(ValueError, match="needs a datetime start"):
        due_date(date(2024, 9, 30), 24, "hours", CAL)


def test_monthly_due() -> None:
    assert monthly_due(2024, 10, 10) == date(2024, 10, 10)
    assert monthly_due(2024, 2, 31) == date(2024, 2, 29)
    assert monthly_due(2025, 2, 30) == date(2025, 2, 28)
    with pytest.raises(ValueError, match="month"):
        monthly_due(2024, 13, 10)
    with pytest.raises(ValueError, match="by_day"):
        monthly_due(2024, 1, 0)


# --- Excluded periods (不含公示期) --------------------------------------------------------


def test_excluded_period_skips_workdays() -> None:
    # 2024-10-14 (Mon) .. 2024-10-20 (Sun): a 7-day public notice holding 5 working days.
    notice = (date(2024, 10, 14), date(2024, 10, 20))
    plain = due_date(date(2024, 9, 27), 12, "workdays", CAL)
    assert plain == date(2024, 10, 18)
    assert due_date(date(2024, 9, 27), 12, "workdays", CAL, excluded=[notice]) == date(2024, 10, 25)


def test_excluded_period_skips_days() -> None:
    notice = (date(2024, 3, 5), date(2024, 3, 11))  # 7 days
    assert due_date(date(2024, 3, 1), 10, "days", CAL, excluded=[notice]) == date(2024, 3, 18)


def test_excluded_periods_may_overlap_and_lie_outside_coverage() -> None:
    periods = [(date(2026, 12, 28), date(2027, 1, 10)), (date(2027, 1, 1), date(2027, 1, 3))]
    # Excluded days never consult the calendar, so 2027 is fine while they cover it...
    assert due_date(date(2026, 12, 24), 1, "workdays", OFFICIAL, excluded=periods) == date(
        2026, 12, 25
    )
    # ...but the first counted day after them (2027-01-11) is outside coverage.
    with pytest.raises(CalendarNotCovered, match="2027-01-11"):
        due_date(date(2026, 12, 24), 3, "workdays", OFFICIAL, excluded=periods)


@pytest.mark.parametrize("unit", ["hours", "months", "years"])
def test_excluded_periods_rejected_for_other_units(unit: str) -> None:
    start = datetime(2024, 1, 1, 9, 0)
    with pytest.raises(ValueError, match="only defined for workdays and days"):
        due_date(start, 1, unit, CAL, excluded=[(date(2024, 1, 2), date(2024, 1, 3))])


def test_backwards_excluded_period_rejected() -> None:
    with pytest.raises(ValueError, match="after it ends"):
        due_date(date(2024, 1, 1), 1, "days", CAL, excluded=[(date(2024, 1, 3), date(2024, 1, 2))])


# --- Argument validation -------------------------------------------------------------


@pytest.mark.parametrize("unit", ["workday", "工作日", "weeks", ""])
def test_bad_unit(unit: str) -> None:
    with pytest.raises(ValueError, match="unknown time-limit unit"):
        due_date(date(2024, 1, 1), 1, unit, CAL)


@pytest.mark.parametrize("amount", [-1, 1.5, True, "3"])
def test_bad_amount(amount: Any) -> None:
    with pytest.raises(ValueError, match="non-negative int"):
        due_date(date(2024, 1, 1), amount, "days", CAL)


@pytest.mark.parametrize("unit", ["workdays", "days", "months", "years"])
def test_zero_amount_returns_start(unit: str) -> None:
    assert due_date(date(2024, 10, 1), 0, unit, CAL) == date(2024, 10, 1)


def test_calendar_rejects_inconsistent_fields() -> None:
    with pytest.raises(ValueError):
        WorkdayCalendar(2026, 2004, frozenset(), frozenset())
    with pytest.raises(ValueError):
        WorkdayCalendar(2004, 2026, frozenset({date(2024, 1, 1)}), frozenset({date(2024, 1, 1)}))


# --- Properties -------------------------------------------------------------------------


@settings(max_examples=300)
@given(start=covered_starts, n=st.integers(min_value=1, max_value=60))
def test_nth_workday_properties(start: date, n: int) -> None:
    result = due_date(start, n, "workdays", CAL)
    assert isinstance(result, date)
    assert result > start
    assert chinese_calendar.is_workday(result)
    assert workdays_between(start, result) == n


@settings(max_examples=300)
@given(start=covered_starts, n=small_amounts)
def test_workdays_match_chinese_calendar_find_workday_from_a_workday(start: date, n: int) -> None:
    # find_workday(n, d) is the n-th working day after d when d is itself a working day.
    workday_start = CAL.next_workday(start)
    expected = chinese_calendar.find_workday(n, workday_start)
    assert due_date(workday_start, n, "workdays", CAL) == expected


@given(start=covered_starts, n=small_amounts, m=small_amounts)
def test_workdays_monotone_in_amount(start: date, n: int, m: int) -> None:
    low, high = sorted((n, m))
    due_low = due_date(start, low, "workdays", CAL)
    due_high = due_date(start, high, "workdays", CAL)
    assert isinstance(due_low, date)
    assert isinstance(due_high, date)
    assert due_low <= due_high
    assert (due_low == due_high) == (low == high)


@given(
    start=covered_starts,
    n=small_amounts,
    gap=st.integers(min_value=0, max_value=20),
    length=st.integers(min_value=0, max_value=20),
)
def test_excluded_days_push_the_due_date_by_excluded_count(
    start: date, n: int, gap: int, length: int
) -> None:
    first = start + timedelta(days=gap)
    period = (first, first + timedelta(days=length))
    result = due_date(start, n, "days", CAL, excluded=[period])
    assert isinstance(result, date)
    inside = sum(
        period[0] <= start + timedelta(days=i) <= period[1]
        for i in range(1, (result - start).days + 1)
    )
    assert (result - start).days == n + inside
    assert n == 0 or not period[0] <= result <= period[1]


@given(
    start=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    months=st.integers(min_value=0, max_value=240),
)
def test_add_months_properties(start: date, months: int) -> None:
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    next_day_month = (result + timedelta(days=1)).month
    # Either the same day of month, or clamped to the (shorter) month's last day.
    assert result.day == start.day or (result.day < start.day and next_day_month != result.month)


def test_regenerate_writes_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A full disk while writing must leave the previous data file whole, and no litter.
    target = tmp_path / "cn_workdays.json"
    statutory = tmp_path / "statutory.json"
    target.write_text("previous\n", encoding="utf-8")
    statutory.write_text("previous\n", encoding="utf-8")

    def full_disk(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        regenerate(target, statutory)
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert statutory.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cn_workdays.json", "statutory.json"]
