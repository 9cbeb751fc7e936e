"""Due dates for policy time limits on China's official working-day calendar.

Policies state time limits in 工作日 (working days), calendar days, hours, months and
years ("自受理之日起 10 个工作日内", "公示期 7 天", "每月 10 日前").  This module turns
such a limit plus a start moment into a due date.

Runtime dependencies: the standard library and ``data/cn_workdays.json`` only: this module
is copied verbatim into the generated validator package.  ``compiler.timelimits`` rebuilds
the bundled JSON from chinesecalendar.

Counting conventions
--------------------
These follow the Civil Code's rules on periods (民法典 第二百零一条至第二百零三条).

* The start day is never counted (开始的当日不计入，自下一日开始计算).
* ``workdays``: the due date is the N-th working day strictly after the start date.
  A working day is Monday–Friday unless it is an official day off, plus any weekend
  day that the State Council made an adjusted working day (调休上班).
* ``days``: the due date is start + N calendar days.
* ``hours``: start + N hours.  The start must be a ``datetime``; a bare ``date`` is
  rejected with ``ValueError`` because "00:00 of that day" and "the moment of the
  event" give different answers and the caller has to choose explicitly.
* ``months``: the same day of the month N months later; if that month is shorter, the
  month's last day (到期月的对应日；没有对应日的，为月末日): 2024-01-31 + 1 month is
  2024-02-29.  ``years`` is 12 × N months, so 2024-02-29 + 1 year is 2025-02-28.
* ``amount == 0`` returns the start unchanged, for every unit.
* For day-granular units (everything but ``hours``) a ``datetime`` start is reduced to
  its date and a ``date`` is returned; the limit runs until 24:00 of that date.
* ``due_date`` only counts.  The Civil Code's roll-over of a period whose last day is a
  法定休假日 (第二百零三条第一款) is :func:`roll_over`, which ``policy.Limit.due`` applies
  to limits counted in ``days``, ``months`` and ``years`` unless the limit opts out
  (第二百零四条).  A 法定休假日 is any day off on the official calendar: the statutory
  holidays and the weekends that are not adjusted working days; an adjusted working
  Saturday or Sunday (调休上班) is a working day and nothing moves.  ``workdays`` counts
  end on a working day anyway; ``hours`` never move.

Excluded periods ("不含公示期")
------------------------------
``due_date(..., excluded=[(first, last), ...])`` takes inclusive date periods that do
not count.  For ``workdays`` a working day inside an excluded period is skipped; for
``days`` any day inside an excluded period is skipped.  In both cases the result is
therefore pushed later by the number of would-have-counted days that were excluded.
Excluded days never consult the calendar, so they may lie outside its coverage.
``hours``, ``months`` and ``years`` reject excluded periods (``ValueError``): "one
month not counting a 7-day notice period" has no single accepted reading.

Calendar data
-------------
``data/cn_workdays.json`` (regenerate with ``python -m compiler.timelimits
--regenerate``) has this shape; user files that add or replace years use the same one::

    {
     "covered_years": [2004, 2026],
     "note": "optional free text",
     "source": "chinesecalendar 1.11.0",
     "years": {
      "2024": {
       "days_off": ["2024-01-01", ...],        # official holidays on Mon–Fri
       "extra_workdays": ["2024-02-04", ...]   # adjusted working days on Sat/Sun
      },
      ...
     }
    }

``years`` must hold exactly the years in ``covered_years``.  Dates are grouped by
their own calendar year, not by the schedule that announced them: the 2008 New Year
break made 2007-12-29 (Sat) a working day and 2007-12-30/31 days off, and those dates
live under "2007".  A new year's schedule that reaches back into December therefore
needs a file that also replaces the previous year, in full.

To add a year: copy the shape above for that year from the State Council notice (国务院
办公厅关于某年部分节假日安排的通知), then ``load_calendar(extra_files=[path])``.
"""

from __future__ import annotations

import calendar as _gregorian
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, NoReturn

from .errors import PolicycError

__all__ = [
    "BUNDLED_DATA",
    "UNITS",
    "CalendarDataError",
    "CalendarNotCovered",
    "WorkdayCalendar",
    "YearSchedule",
    "add_months",
    "calendar_from_schedules",
    "due_date",
    "load_calendar",
    "monthly_due",
    "parse_calendar_document",
    "read_calendar_file",
    "roll_over",
]

BUNDLED_DATA: Final[Path] = Path(__file__).resolve().parent / "data" / "cn_workdays.json"
UNITS: Final[frozenset[str]] = frozenset({"workdays", "days", "hours", "months", "years"})

_ONE_DAY: Final = timedelta(days=1)
_SATURDAY: Final = 5  # date.weekday(): Monday is 0, so 5 and 6 are the weekend
_REQUIRED_KEYS: Final = frozenset({"covered_years", "source", "years"})
_ALLOWED_KEYS: Final = _REQUIRED_KEYS | {"note"}
_YEAR_KEYS: Final = frozenset({"days_off", "extra_workdays"})
# date.fromisoformat also accepts "20240101" and week dates since 3.11; the data
# format promises plain YYYY-MM-DD, so check the spelling before parsing.
_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


class CalendarNotCovered(PolicycError, ValueError):
    """A date lies outside the years for which official schedules are loaded."""

    def __init__(self, day: date, calendar: WorkdayCalendar) -> None:
        self.day = day
        self.first_year = calendar.first_year
        self.last_year = calendar.last_year
        if day.year in calendar.gap_years:
            where = f"falls in {day.year}, a gap in the working-day calendar"
        else:
            where = "is outside the working-day calendar"
        super().__init__(
            f"{day.isoformat()} {where}, which covers {calendar.coverage_text()}. "
            f"To add {day.year}, write its State Council holiday schedule as a JSON file "
            f"shaped like {BUNDLED_DATA.name} and pass it with --calendar FILE "
            "(in Python: load_calendar(extra_files=[...]))"
        )


class CalendarDataError(PolicycError, ValueError):
    """A calendar data file is unreadable or does not have the expected shape."""


@dataclass(frozen=True)
class YearSchedule:
    """One calendar year's deviations from the Monday–Friday working week."""

    days_off: frozenset[date]
    extra_workdays: frozenset[date]


@dataclass(frozen=True)
class WorkdayCalendar:
    """China's official working days for the years ``first_year``..``last_year``.

    ``gap_years`` are years inside that range with no loaded schedule (possible when a
    user file adds a year that is not adjacent); dates in them are not covered.
    """

    first_year: int
    last_year: int
    days_off: frozenset[date]
    extra_workdays: frozenset[date]
    gap_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.first_year > self.last_year:
            raise ValueError(f"first_year {self.first_year} is after last_year {self.last_year}")
        stray_gaps = {y for y in self.gap_years if not self.first_year < y < self.last_year}
        if stray_gaps:
            raise ValueError(f"gap years {sorted(stray_gaps)} are not inside the covered range")
        # A date in both sets would make is_workday depend on lookup order.
        both = self.days_off & self.extra_workdays
        if both:
            raise ValueError(f"dates both off and working: {sorted(d.isoformat() for d in both)}")

    def covers(self, day: date) -> bool:
        """Whether official data exists for ``day``'s year."""
        return self.first_year <= day.year <= self.last_year and day.year not in self.gap_years

    def coverage_text(self) -> str:
        """Human-readable coverage, e.g. "2004-2026" or "2004-2028 except 2027"."""
        text = f"{self.first_year}-{self.last_year}"
        if self.gap_years:
            text += " except " + ", ".join(str(y) for y in sorted(self.gap_years))
        return text

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is an official working day; raises CalendarNotCovered."""
        day = _as_day(day)
        if not self.covers(day):
            raise CalendarNotCovered(day, self)
        if day in self.extra_workdays:
            return True
        if day in self.days_off:
            return False
        return day.weekday() < _SATURDAY

    def next_workday(self, day: date) -> date:
        """``day`` itself if it is a working day, otherwise the next working day."""
        day = _as_day(day)
        while not self.is_workday(day):
            day += _ONE_DAY
        return day


# ---------------------------------------------------------------------------
# Loading and validating calendar data


def load_calendar(extra_files: Sequence[Path] = ()) -> WorkdayCalendar:
    """The bundled calendar, with years added or replaced by ``extra_files`` in order.

    A later file's year replaces the same year from the bundled data or an earlier file.
    """
    schedules = read_calendar_file(BUNDLED_DATA)
    for path in extra_files:
        schedules.update(read_calendar_file(Path(path)))
    return calendar_from_schedules(schedules)


def calendar_from_schedules(schedules: Mapping[int, YearSchedule]) -> WorkdayCalendar:
    """Merge per-year schedules; missing years inside the range become ``gap_years``."""
    if not schedules:
        raise CalendarDataError("no calendar years were loaded")
    first, last = min(schedules), max(schedules)
    return WorkdayCalendar(
        first_year=first,
        last_year=last,
        days_off=frozenset().union(*(s.days_off for s in schedules.values())),
        extra_workdays=frozenset().union(*(s.extra_workdays for s in schedules.values())),
        gap_years=frozenset(range(first, last + 1)) - schedules.keys(),
    )


def read_calendar_file(path: Path) -> dict[int, YearSchedule]:
    """Parse one calendar data file; any problem raises CalendarDataError naming it."""
    origin = f"calendar data file {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarDataError(f"{origin}: cannot read it: {exc}") from exc
    try:
        document = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except ValueError as exc:  # JSONDecodeError and our duplicate-key error
        raise CalendarDataError(f"{origin}: not valid JSON: {exc}") from exc
    return parse_calendar_document(document, origin)


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of repeated keys; a repeated year would silently lose data.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} appears twice in one object")
        result[key] = value
    return result


def parse_calendar_document(document: object, origin: str) -> dict[int, YearSchedule]:
    """Validate a decoded calendar document; ``origin`` prefixes error messages."""
    if not isinstance(document, dict):
        _fail(origin, "the top level must be a JSON object")
    missing = _REQUIRED_KEYS - document.keys()
    if missing:
        _fail(origin, f"missing key(s) {sorted(missing)}")
    unknown = document.keys() - _ALLOWED_KEYS
    if unknown:
        _fail(origin, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_ALLOWED_KEYS)}")
    if not isinstance(document["source"], str) or not document["source"].strip():
        _fail(origin, '"source" must be a non-empty string saying where the data came from')
    if "note" in document and not isinstance(document["note"], str):
        _fail(origin, '"note" must be a string')
    first, last = _parse_covered_years(document["covered_years"], origin)
    return _parse_years(document["years"], first, last, origin)


def _parse_covered_years(value: object, origin: str) -> tuple[int, int]:
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(y, int) and not isinstance(y, bool) for y in value)
    ):
        _fail(origin, f'"covered_years" must be [first_year, last_year], got {value!r}')
    first, last = value
    if not 1 <= first <= last <= 9999:
        _fail(origin, f'"covered_years" {value!r} is not an increasing pair of years')
    return first, last


def _parse_years(value: object, first: int, last: int, origin: str) -> dict[int, YearSchedule]:
    if not isinstance(value, dict):
        _fail(origin, '"years" must be an object keyed by year, e.g. {"2027": {...}}')
    declared = {str(y) for y in range(first, last + 1)}
    if set(value) != declared:
        extra = sorted(set(value) - declared)
        absent = sorted(declared - set(value))
        _fail(
            origin,
            f'"years" must hold exactly the covered years {first}-{last}; '
            f"unexpected: {extra}, missing: {absent}",
        )
    return {int(key): _parse_year(int(key), body, origin) for key, body in value.items()}


def _parse_year(year: int, body: object, origin: str) -> YearSchedule:
    where = f'years["{year}"]'
    if not isinstance(body, dict) or set(body) != _YEAR_KEYS:
        _fail(origin, f"{where} must be an object with exactly the keys {sorted(_YEAR_KEYS)}")
    days_off = _parse_dates(body["days_off"], year, f"{where}.days_off", origin)
    extra = _parse_dates(body["extra_workdays"], year, f"{where}.extra_workdays", origin)
    for day in days_off:
        if day.weekday() >= _SATURDAY:
            _fail(
                origin,
                f"{where}.days_off: {day} is a {day:%A}; list only Monday-Friday days off "
                "(weekends are off anyway)",
            )
    for day in extra:
        if day.weekday() < _SATURDAY:
            _fail(
                origin,
                f"{where}.extra_workdays: {day} is a {day:%A}; list only Saturday/Sunday "
                "adjusted working days (weekdays are working days anyway)",
            )
    return YearSchedule(days_off=frozenset(days_off), extra_workdays=frozenset(extra))


def _parse_dates(value: object, year: int, where: str, origin: str) -> list[date]:
    if not isinstance(value, list):
        _fail(origin, f"{where} must be a list of YYYY-MM-DD strings")
    days: list[date] = []
    for item in value:
        day = _parse_iso_date(item, where, origin)
        if day.year != year:
            _fail(origin, f"{where}: {day} is not in {year}; dates go under their own year")
        if day in days:
            _fail(origin, f"{where}: {day} is listed twice")
        days.append(day)
    return days


def _parse_iso_date(item: object, where: str, origin: str) -> date:
    if isinstance(item, str) and _ISO_DATE.fullmatch(item):
        try:
            return date.fromisoformat(item)
        except ValueError:
            pass  # well-formed but impossible, e.g. 2027-02-30; reported below
    _fail(origin, f"{where}: {item!r} is not a valid YYYY-MM-DD date")


def _fail(origin: str, problem: str) -> NoReturn:
    raise CalendarDataError(f"{origin}: {problem}")


# ---------------------------------------------------------------------------
# Due-date arithmetic


def due_date(
    start: date | datetime,
    amount: int,
    unit: str,
    calendar: WorkdayCalendar,
    *,
    excluded: Sequence[tuple[date, date]] = (),
) -> date | datetime:
    """The due date ``amount`` ``unit``s after ``start`` (see the module docstring).

    ``unit`` is one of ``UNITS``.  ``excluded`` holds inclusive (first, last) periods
    that do not count; only ``workdays`` and ``days`` accept them.
    """
    if unit not in UNITS:
        raise ValueError(f"unknown time-limit unit {unit!r}; expected one of {sorted(UNITS)}")
    _check_amount(amount)
    periods = _check_periods(excluded)
    if periods and unit not in ("workdays", "days"):
        raise ValueError(f"excluded periods are only defined for workdays and days, not {unit!r}")
    if unit == "hours":
        return _add_hours(start, amount)
    day = _as_day(start)
    if unit == "months":
        return add_months(day, amount)
    if unit == "years":
        return add_months(day, 12 * amount)

    def counts(candidate: date) -> bool:
        # Excluded days are tested first so they never need calendar coverage.
        if _in_periods(candidate, periods):
            return False
        return unit == "days" or calendar.is_workday(candidate)

    return _nth_counted_day_after(day, amount, counts)


def roll_over(
    last_day: date, calendar: WorkdayCalendar, *, excluded: Sequence[tuple[date, date]] = ()
) -> date:
    """民法典 第二百零三条第一款: a period whose last day is a 法定休假日 ends instead on the
    day after the days off end: ``last_day`` itself when it is a working day, else the next
    working day that is not inside an ``excluded`` period (excluded days do not count, so a
    period cannot end in one).  Raises CalendarNotCovered outside the calendar's years."""
    day = _as_day(last_day)
    if calendar.is_workday(day):
        return day
    periods = _check_periods(excluded)
    day += _ONE_DAY
    while _in_periods(day, periods) or not calendar.is_workday(day):
        day += _ONE_DAY
    return day


def monthly_due(year: int, month: int, by_day: int) -> date:
    """The due date of a monthly deadline ("每月10日前" → the 10th), clamped to month end."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, got {month}")
    if not 1 <= by_day <= 31:
        raise ValueError(f"by_day must be 1-31, got {by_day}")
    return date(year, month, min(by_day, _gregorian.monthrange(year, month)[1]))


def add_months(day: date, months: int) -> date:
    """Same day of the month ``months`` later, clamped to that month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = _gregorian.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def _nth_counted_day_after(start: date, n: int, counts: Callable[[date], bool]) -> date:
    day = start
    remaining = n
    while remaining:
        day += _ONE_DAY
        if counts(day):
            remaining -= 1
    return day


def _add_hours(start: date | datetime, hours: int) -> datetime:
    if not isinstance(start, datetime):
        raise ValueError(
            f"an hours time limit needs a datetime start (when the clock started), "
            f"got the date {start.isoformat()}; pass e.g. datetime.combine(day, time(9, 0))"
        )
    # Plain timedelta arithmetic: China has had no daylight-saving time since 1991.
    return start + timedelta(hours=hours)


def _check_amount(amount: object) -> None:
    # bool is an int subclass; True as "1 day" is almost certainly a bug upstream.
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError(f"time-limit amount must be a non-negative int, got {amount!r}")


def _check_periods(excluded: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    periods: list[tuple[date, date]] = []
    for first, last in excluded:
        first, last = _as_day(first), _as_day(last)
        if first > last:
            raise ValueError(f"excluded period starts {first} after it ends {last}")
        periods.append((first, last))
    return periods


def _in_periods(day: date, periods: Sequence[tuple[date, date]]) -> bool:
    return any(first <= day <= last for first, last in periods)


def _as_day(moment: date) -> date:
    # datetime is a date subclass; comparing one with a date raises TypeError.
    return moment.date() if isinstance(moment, datetime) else moment
