"""The working-day index (runtime/timelimits.py `WorkdayIndex`) against the walk day by day
(`_workday_bounds`, the specification): the same due date, bounds and errors on every start
day of several years, for several amounts, with and without an excluded period (不含公示期)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from compiler.runtime.timelimits import (
    CalendarNotCovered,
    DueBounds,
    WorkdayCalendar,
    _workday_bounds,
    due_bounds,
    load_calendar,
)

# 2019: an ordinary year; 2020: the extended 春节 of the epidemic; 2024; 2026: the last
# official year, whose counts run into 2027 (statutory holidays only: provisional).
YEARS = (2019, 2020, 2024, 2026)
AMOUNTS = (1, 2, 7, 20, 45)
# Excluded periods relative to the start day: none, after it, around it, long after it.
PERIODS: tuple[tuple[int, int] | None, ...] = (None, (3, 9), (-5, 2), (30, 36))


def _outcome(
    start: date, amount: int, calendar: WorkdayCalendar, period: tuple[date, date] | None
) -> DueBounds | str:
    periods = [period] if period else []
    try:
        return due_bounds(start, amount, "workdays", calendar, excluded=periods)
    except CalendarNotCovered as error:
        return f"{type(error).__name__}: {error}"


def _walked(
    start: date, amount: int, calendar: WorkdayCalendar, period: tuple[date, date] | None
) -> DueBounds | str:
    try:
        return _workday_bounds(start, amount, calendar, [period] if period else [])
    except CalendarNotCovered as error:
        return f"{type(error).__name__}: {error}"


@pytest.mark.parametrize("statutory", [True, False], ids=["with-statutory", "official-only"])
def test_index_agrees_with_the_walk_on_every_start_day(statutory: bool) -> None:
    calendar = load_calendar(statutory=statutory)
    years = YEARS if statutory else (2026,)  # without statutory years, 2027 is not covered
    compared = answered = 0
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            for amount in AMOUNTS:
                for offsets in PERIODS:
                    period = None
                    if offsets is not None:
                        period = (day + timedelta(offsets[0]), day + timedelta(offsets[1]))
                    expected = _walked(day, amount, calendar, period)
                    assert _outcome(day, amount, calendar, period) == expected, (
                        day,
                        amount,
                        period,
                    )
                    compared += 1
                    found = calendar.workday_index.nth_after(day, amount, period)
                    answered += found is not None
            day += timedelta(days=1)
    # The index answers nearly every count; the walk only those reaching 2027.
    assert answered > compared * 0.7


def test_index_leaves_unsettled_days_to_the_walk() -> None:
    calendar = load_calendar()
    index = calendar.workday_index
    last = date.fromordinal(index.workdays[-1])
    # The span ends where the official years (or their settled days) end.
    assert last.year == calendar.last_year
    assert index.nth_after(last - timedelta(days=1), 1, None) == last
    assert index.nth_after(last, 1, None) is None
    # Before the first official year: not answered, and the walk says why.
    assert index.nth_after(date(calendar.first_year - 1, 12, 30), 1, None) is None
    with pytest.raises(CalendarNotCovered):
        due_bounds(date(calendar.first_year - 1, 12, 30), 1, "workdays", calendar)
