"""Working days in a year whose holiday schedule is not yet published: the bundled statutory
holidays, provisional due dates with their bounds, record checks decided only when the dates
settle them, and a schedule file that makes them final (docs/language.md)."""

from __future__ import annotations

import importlib.util
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from compiler.cli import main
from compiler.runtime.timelimits import (
    BUNDLED_DATA,
    STATUTORY_DATA,
    CalendarNotCovered,
    CalendarProvisional,
    calendar_from_schedules,
    due_bounds,
    due_date,
    load_calendar,
    read_calendar_file,
    read_statutory_file,
)

ROOT = Path(__file__).resolve().parent.parent
CAL = load_calendar()
STATUTORY = read_statutory_file(STATUTORY_DATA)

# 2027's statutory days under the 2024 revision: 春节 2027-02-06 (正月初一), 除夕 the day before;
# 清明 2027-04-05; 端午 (五月初五) 2027-06-09; 中秋 (八月十五) 2027-09-15.
STATUTORY_2027 = {
    "元旦": ["2027-01-01"],
    "春节": ["2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08"],
    "清明": ["2027-04-05"],
    "劳动节": ["2027-05-01", "2027-05-02"],
    "端午": ["2027-06-09"],
    "中秋": ["2027-09-15"],
    "国庆": ["2027-10-01", "2027-10-02", "2027-10-03"],
}

# The statutory days the State Council notices for 2025 (国办发明电〔2024〕12号) and 2026 name
# as 节日 within their breaks: 2025 除夕 1月28日, 清明 4月4日, 端午 5月31日, 中秋 10月6日;
# 2026 除夕 2月16日, 清明 4月5日, 端午 6月19日, 中秋 9月25日.
NOTICES = {
    2025: {"春节": "2025-01-28", "清明": "2025-04-04", "端午": "2025-05-31", "中秋": "2025-10-06"},
    2026: {"春节": "2026-02-16", "清明": "2026-04-05", "端午": "2026-06-19", "中秋": "2026-09-25"},
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--root", str(ROOT), *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def schedule_2027(path: Path, days_off: list[str], extra: list[str]) -> Path:
    # Illustrative, not the official schedule (unpublished when this was written).
    path.write_text(
        json.dumps(
            {
                "covered_years": [2027, 2027],
                "source": "test fixture",
                "years": {"2027": {"days_off": days_off, "extra_workdays": extra}},
            }
        ),
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------- the bundled data


def test_statutory_data_covers_2025_to_2050() -> None:
    assert (STATUTORY.first_year, STATUTORY.last_year) == (2025, 2050)
    assert set(STATUTORY.holidays) == set(range(2025, 2052))  # 2051 for its 元旦's reach
    assert CAL.provisional_years == frozenset(range(2027, 2051))
    assert CAL.coverage_text() == "2004-2026 (2027-2050: statutory holidays only)"


def test_statutory_holidays_of_2027() -> None:
    got = {name: sorted(d.isoformat() for d in days) for name, days in STATUTORY.holidays[2027]}
    assert got == STATUTORY_2027


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_statutory_days_agree_with_the_notices(year: int) -> None:
    holidays = dict(STATUTORY.holidays[year])
    for name, first in NOTICES[year].items():
        assert min(holidays[name]).isoformat() == first, name
    # Every statutory day is off in the official schedule of that year.
    for name, days in holidays.items():
        for day in days:
            assert not CAL.is_workday(day), (name, day)


def test_every_year_has_the_seven_holidays_of_the_law() -> None:
    for year in range(2025, 2052):
        holidays = dict(STATUTORY.holidays[year])
        assert list(holidays) == list(STATUTORY_2027)
        assert [len(holidays[n]) for n in STATUTORY_2027] == [1, 4, 1, 2, 1, 1, 3]
        assert min(holidays["清明"]) in (date(year, 4, 4), date(year, 4, 5), date(year, 4, 6))


# ---------------------------------------------------------------- the model is sound


def test_official_2025_2026_lie_within_the_provisional_bounds() -> None:
    # As if 2025 and 2026 were not yet published: every official due date must lie within
    # the bounds computed from their statutory holidays alone.
    official = read_calendar_file(BUNDLED_DATA)
    earlier = {y: s for y, s in official.items() if y < 2025}
    provisional = calendar_from_schedules(earlier, STATUTORY)
    assert {2025, 2026} <= provisional.provisional_years
    start = date(2024, 11, 1)
    checked = 0
    while start < date(2026, 11, 1):
        for amount in (1, 3, 5, 8, 12, 15, 22, 30, 40):
            truth = due_bounds(start, amount, "workdays", CAL)
            if not truth.final:
                continue  # runs into 2027
            bounds = due_bounds(start, amount, "workdays", provisional)
            assert bounds.earliest <= truth.due <= bounds.latest, (start, amount, bounds)
            assert bounds.earliest <= bounds.due <= bounds.latest
            checked += 1
        start += timedelta(days=2)
    assert checked > 2500


# ---------------------------------------------------------------- due dates


def test_a_count_into_2027_is_provisional_with_bounds() -> None:
    bounds = due_bounds(date(2026, 12, 2), 30, "workdays", CAL)
    # Statutory holidays only: 21 working days left in December, 元旦 (Friday) off, then
    # 4 January to 14 January.
    assert bounds.due == date(2027, 1, 14)
    assert bounds.earliest < bounds.due < bounds.latest
    assert bounds.unpublished == (2027,)
    assert "2027" in bounds.reason() and "--calendar FILE" in bounds.reason()
    with pytest.raises(CalendarProvisional) as info:
        due_date(date(2026, 12, 2), 30, "workdays", CAL)
    assert info.value.unpublished == (2027,)
    assert info.value.bounds == bounds


def test_a_count_that_stays_in_published_days_is_final() -> None:
    bounds = due_bounds(date(2026, 11, 2), 10, "workdays", CAL)
    assert bounds.final and bounds.due == bounds.earliest == bounds.latest == date(2026, 11, 16)


def test_late_december_before_an_unpublished_new_year_is_unsettled() -> None:
    # 2026 is published, but 2027's notice may still move days of late December 2026.
    with pytest.raises(CalendarProvisional, match="2027 holiday schedule"):
        CAL.is_workday(date(2026, 12, 28))
    assert CAL.is_workday(date(2026, 12, 1))


def test_a_schedule_file_makes_it_final(tmp_path: Path) -> None:
    calendar = load_calendar([schedule_2027(tmp_path / "2027.json", ["2027-01-01"], [])])
    bounds = due_bounds(date(2026, 12, 2), 30, "workdays", calendar)
    assert bounds.final and bounds.due == date(2027, 1, 14)
    assert due_date(date(2026, 12, 2), 30, "workdays", calendar) == date(2027, 1, 14)


def test_policyc_due_marks_a_provisional_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "due", "yuquan", "第四条（一）1", "--start", "2026-12-02")
    assert code == 0 and err == ""
    first = out.splitlines()[0]
    assert first.startswith("yuquan_dibao_approval [第四条（一）1] 30 workdays from 2026-12-02:")
    assert "2027-01-14 PROVISIONAL (" in first
    assert "provisional: 2027 holiday schedule not yet published" in out
    code, out, _ = run(capsys, "due", "yuquan", "第四条（一）1", "--start", "2026-12-02", "--json")
    entry = json.loads(out)["limits"][0]
    assert entry["due"] == "2027-01-14"
    assert entry["provisional"]["unpublished"] == [2027]
    assert entry["provisional"]["earliest"] < "2027-01-14" < entry["provisional"]["latest"]


def test_policyc_due_with_the_schedule_is_final(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = schedule_2027(tmp_path / "2027.json", ["2027-01-01"], [])
    code, out, _ = run(
        capsys,
        "due",
        "yuquan",
        "第四条（一）1",
        "--start",
        "2026-12-02",
        "--calendar",
        str(path),
        "--json",
    )
    assert code == 0
    entry = json.loads(out)["limits"][0]
    assert entry["due"] == "2027-01-14" and "provisional" not in entry


# ---------------------------------------------------------------- record checks


def check_yuquan(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, completed: str, *extra: str
) -> dict[str, Any]:
    record = {
        "id": "YQ-2026-12",
        "yuquan_programme": "dibao",
        "yuquan_application_accepted_date": "2026-12-02",
        "yuquan_approval_completed_date": completed,
        # 公示期 does not count (不含公示期): three working days later.
        "public_notice_start_date": "2026-12-07",
        "public_notice_end_date": "2026-12-09",
    }
    path = tmp_path / "case.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "validate", "--policy", "yuquan", str(path), "--json", *extra)
    assert code in (0, 1), err
    checks = json.loads(out)["records"][0]["checks"]
    return next(c for c in checks if c["rule"] == "yuquan_dibao_approval")


# 30 working days from 2026-12-02, not counting 12-07..12-09.
BOUNDS = due_bounds(
    date(2026, 12, 2), 30, "workdays", CAL, excluded=[(date(2026, 12, 7), date(2026, 12, 9))]
)


def test_the_bounds_of_the_record() -> None:
    # Statutory holidays only: 2027-01-14 plus the three working days of the notice.
    assert BOUNDS.due == date(2027, 1, 19)
    assert BOUNDS.earliest < BOUNDS.due < BOUNDS.latest


@pytest.mark.parametrize(
    ("completed", "status"),
    [(BOUNDS.earliest, "pass"), (BOUNDS.latest + timedelta(days=1), "fail")],
)
def test_a_check_the_dates_settle_is_decided(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, completed: date, status: str
) -> None:
    # On the earliest possible due date, or after the latest: whatever 2027's notice says.
    check = check_yuquan(capsys, tmp_path, completed.isoformat())
    assert check["status"] == status
    assert "provisional" in check["message"]
    assert "calendar_unpublished" not in check


def test_a_check_the_schedule_would_decide_is_undetermined(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    check = check_yuquan(capsys, tmp_path, BOUNDS.due.isoformat())
    assert check["status"] == "undetermined"
    assert check["calendar_unpublished"] == [2027]
    assert "2027 holiday schedule, not yet published" in check["message"]


def test_the_schedule_decides_the_undetermined_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # With 2027's schedule (here: only 元旦 off) the due date is 2027-01-19: in time on it,
    # late a day after.
    path = schedule_2027(tmp_path / "2027.json", ["2027-01-01"], [])
    check = check_yuquan(capsys, tmp_path, "2027-01-19", "--calendar", str(path))
    assert check["status"] == "pass"
    assert "due 2027-01-19" in check["message"]
    assert "provisional" not in check["message"]
    check = check_yuquan(capsys, tmp_path, "2027-01-20", "--calendar", str(path))
    assert check["status"] == "fail"
    assert "provisional" not in check["message"]


# ---------------------------------------------------------------- outside every table


def test_a_date_after_2050_is_an_error_that_says_it_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "due", "yuquan", "第四条（一）1", "--start", "2051-03-01")
    assert code == 2 and out == ""
    assert err.count("--calendar") == 1
    assert "2051-03-02 is outside the working-day calendar" in err
    assert "2004-2026 (2027-2050: statutory holidays only)" in err
    assert len(err.splitlines()) == 1


def test_validate_names_the_record_whose_due_date_is_past_the_calendar(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Among many records, the one whose time limit runs past the calendar is named (its id,
    else its place), with nothing on stdout: the date alone did not say which."""
    good = {"taierzhuang_application_date": "2024-09-02", "taierzhuang_approval_date": "2024-09-05"}
    late = {"taierzhuang_application_date": "2051-01-04", "taierzhuang_approval_date": "2051-02-01"}
    lines = [good] * 3 + [{"id": "T-77", **late}] + [good]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    code, out, err = run(capsys, "validate", "--policy", "taierzhuang", str(cases))
    assert code == 2 and out == ""
    assert "record T-77: 2051-01-05 is outside the working-day calendar" in err
    del lines[3]["id"]
    cases.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    code, out, err = run(capsys, "validate", "--policy", "taierzhuang", str(cases))
    assert code == 2 and f"record {cases.name}:4: 2051-01-05 is outside" in err, err


def test_a_date_before_2004_is_not_covered() -> None:
    with pytest.raises(CalendarNotCovered, match="2003-06-02 is outside") as info:
        CAL.is_workday(date(2003, 6, 2))
    assert not isinstance(info.value, CalendarProvisional)


# ---------------------------------------------------------------- maintenance


maintainer = pytest.mark.skipif(
    importlib.util.find_spec("lunar_python") is None
    or importlib.util.find_spec("chinese_calendar") is None,
    reason="needs the maintainer extra (chinesecalendar, lunar_python)",
)


@maintainer
def test_computed_statutory_holidays_agree_with_chinesecalendar() -> None:
    # Every year chinesecalendar knows (2004-2026): each statutory day the law in force then
    # names is a day off there, under that holiday's name.
    import chinese_calendar

    from compiler.timelimits import statutory_holidays

    english = {
        "元旦": "New Year's Day",
        "春节": "Spring Festival",
        "清明": "Tomb-sweeping Day",
        "劳动节": "Labour Day",
        "端午": "Dragon Boat Festival",
        "中秋": "Mid-autumn Festival",
        "国庆": "National Day",
    }
    for year in range(2008, 2027):
        for name, days in statutory_holidays(year):
            for day in days:
                on_holiday, holiday = chinese_calendar.get_holiday_detail(day)
                assert on_holiday, (year, name, day)
                if holiday is None:  # chinesecalendar names no holiday on a weekend day
                    assert day.weekday() >= 5, (year, name, day)
                    continue
                assert holiday == english[name] or (
                    # 中秋 on 国庆's first day (2020-10-01): chinesecalendar names one of them.
                    name in ("中秋", "国庆") and holiday in (english["中秋"], english["国庆"])
                ), (year, name, day, holiday)


@maintainer
def test_the_adjustment_bounds_hold_for_every_measured_year() -> None:
    from compiler.timelimits import adjustment_history

    history = adjustment_history()
    adjustments = STATUTORY.adjustments
    assert history.reach < adjustments.reach_days
    assert history.extra_off < adjustments.max_extra_days_off
    assert history.extra_work < adjustments.max_extra_workdays
    assert history.owed_missing == 0


@maintainer
def test_bundled_statutory_data_equals_regeneration() -> None:
    from compiler.timelimits import generate_statutory_data, render_calendar_data

    assert STATUTORY_DATA.read_text(encoding="utf-8") == render_calendar_data(
        generate_statutory_data()
    )


@maintainer
def test_every_official_due_date_2010_2025_lies_within_the_bounds() -> None:
    # As if nothing after 2009 were published: the statutory holidays of the law then in
    # force and the bundled adjustment bounds must bracket every official due date.
    from compiler.runtime.timelimits import Statutory
    from compiler.timelimits import ONE_OFF_DAYS, statutory_holidays

    statutory = Statutory(
        first_year=2010,
        last_year=2025,
        holidays={
            year: tuple((name, frozenset(days)) for name, days in statutory_holidays(year))
            for year in range(2010, 2027)
        },
        adjustments=STATUTORY.adjustments,
    )
    official = read_calendar_file(BUNDLED_DATA)
    provisional = calendar_from_schedules(
        {y: s for y, s in official.items() if y < 2010}, statutory
    )
    one_off = (min(ONE_OFF_DAYS) - timedelta(days=70), max(ONE_OFF_DAYS))
    published = load_calendar(statutory=False)
    start = date(2009, 12, 1)
    checked = 0
    while start < date(2025, 10, 1):
        if not one_off[0] <= start <= one_off[1]:  # the 2015 commemoration was no adjustment
            for amount in (1, 5, 12, 22, 40):
                truth = due_date(start, amount, "workdays", published)
                bounds = due_bounds(start, amount, "workdays", provisional)
                assert bounds.earliest <= truth <= bounds.latest, (start, amount, truth, bounds)
                checked += 1
        start += timedelta(days=4)
    assert checked > 6500
