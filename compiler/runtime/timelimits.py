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

Years whose schedule is not yet published (provisional)
-------------------------------------------------------
``data/cn_statutory_holidays.json`` holds the statutory holidays that 全国年节及纪念日放假办法
fixes for years ahead (computed at maintenance time: lunar dates and the 清明 solar term), and
the bounds measured from the official schedules on where and how much the State Council adjusts
days around them.  A year with statutory holidays but no official schedule is *provisional*:
its statutory days are off; its other days are plain Monday–Friday days, except those within
``reach_days`` of a holiday cluster (holidays whose reaches overlap form one cluster), which are
*unsettled*: the coming notice may make a weekday there a day off (补假 for a statutory day on a
weekend, which the law requires, or 调休) and a weekend day a working day (调休).  Per cluster,
the number of extra days off lies between the 补假 the law requires and that plus
``max_extra_days_off``; the number of extra working days is at most ``max_extra_workdays``.

:func:`due_bounds` counts working days under that model: the due date with statutory holidays
only (``due``), and the ``earliest`` and ``latest`` due dates that any schedule within the bounds
could give.  They coincide, and ``unpublished`` is empty, when the count touches no provisional
day.  :func:`due_date` refuses (``CalendarProvisional``) rather than guess.  A file for the year
(``extra_files``) makes its days official, and the result final.

The statutory file's shape::

    {
     "adjustments": {"reach_days": 14, "max_extra_days_off": 5, "max_extra_workdays": 5,
                     "measured": "free text: what the bounds were measured on"},
     "covered_years": [2025, 2050],
     "law": "全国年节及纪念日放假办法 …",
     "note": "optional free text",
     "source": "lunar_python 1.4.8",
     "years": {"2027": [{"name": "元旦", "days": ["2027-01-01"]}, ...], ...}
    }

``years`` holds the covered years and the one after them: that year's 元旦 reaches back into
the last covered December.  ``days`` are a holiday's statutory days, weekends included.
"""

from __future__ import annotations

import calendar as _gregorian
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Final, NoReturn

from .errors import PolicycError

__all__ = [
    "BUNDLED_DATA",
    "STATUTORY_DATA",
    "UNITS",
    "Adjustments",
    "CalendarDataError",
    "CalendarNotCovered",
    "CalendarProvisional",
    "DueBounds",
    "HolidayCluster",
    "Statutory",
    "WorkdayCalendar",
    "YearSchedule",
    "add_months",
    "calendar_from_schedules",
    "due_bounds",
    "due_date",
    "load_calendar",
    "monthly_due",
    "parse_calendar_document",
    "parse_statutory_document",
    "read_calendar_file",
    "read_statutory_file",
    "roll_over",
    "roll_over_bounds",
]

BUNDLED_DATA: Final[Path] = Path(__file__).resolve().parent / "data" / "cn_workdays.json"
STATUTORY_DATA: Final[Path] = (
    Path(__file__).resolve().parent / "data" / "cn_statutory_holidays.json"
)
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
    """A date lies outside every year the calendar knows (official or statutory-only)."""

    def __init__(self, day: date, calendar: WorkdayCalendar) -> None:
        self.day = day
        self.first_year = calendar.first_year
        self.last_year = calendar.last_year
        where = (
            f"falls in {day.year}, a gap in the working-day calendar"
            if day.year in calendar.gap_years and not calendar.covers(day)
            else "is outside the working-day calendar"
        )
        # The advice is said once, here: callers add nothing to it.
        super().__init__(
            f"{day.isoformat()} {where}, which covers {calendar.coverage_text()}; "
            f"add {day.year}'s State Council holiday schedule as a JSON file shaped like "
            f"{BUNDLED_DATA.name} with --calendar FILE (load_calendar(extra_files=[...]))"
        )


class CalendarProvisional(CalendarNotCovered):
    """A day, or a working-day count, depends on a holiday schedule not yet published.

    ``unpublished`` names the years; ``bounds`` is set for a count."""

    def __init__(
        self,
        day: date,
        calendar: WorkdayCalendar,
        unpublished: tuple[int, ...],
        bounds: DueBounds | None = None,
    ) -> None:
        super().__init__(day, calendar)
        self.unpublished = unpublished
        self.bounds = bounds
        years = ", ".join(str(y) for y in unpublished)
        self.args = (
            bounds.reason()
            if bounds is not None
            else f"whether {day.isoformat()} is a working day waits on the {years} holiday "
            "schedule, not yet published; add it with --calendar FILE",
        )


class CalendarDataError(PolicycError, ValueError):
    """A calendar data file is unreadable or does not have the expected shape."""


@dataclass(frozen=True)
class YearSchedule:
    """One calendar year's deviations from the Monday–Friday working week."""

    days_off: frozenset[date]
    extra_workdays: frozenset[date]


@dataclass(frozen=True)
class HolidayCluster:
    """Statutory holidays of a year without an official schedule, close enough that one
    notice's adjustments around them may mix (元旦 and 春节, 清明 and 劳动节, 中秋 and 国庆)."""

    year: int  # the year whose State Council notice will place the adjusted days
    names: tuple[str, ...]
    days: frozenset[date]  # the statutory days, weekends included
    first: date  # the first and last day the notice may adjust (the reach included)
    last: date
    min_extra_off: int  # 补假 the law requires: statutory days on Sat/Sun or on another's day
    max_extra_off: int
    max_extra_work: int


@dataclass(frozen=True)
class DueBounds:
    """A working-day due date when some days are not settled: ``due`` counts statutory
    holidays only; every schedule within the adjustment bounds gives a date in
    ``earliest``..``latest``.  ``unpublished`` names the years whose notices it waits on;
    empty means final (all three equal)."""

    due: date
    earliest: date
    latest: date
    unpublished: tuple[int, ...] = ()

    @property
    def final(self) -> bool:
        return not self.unpublished

    def reason(self) -> str:
        """Why the date is provisional, and what makes it final; '' when final."""
        if self.final:
            return ""
        years = ", ".join(str(y) for y in self.unpublished)
        return (
            f"provisional: {years} holiday schedule not yet published, counted with the "
            f"statutory holidays only ({self.due}); its adjusted days (调休, 补假) can put the "
            f"due date anywhere from {self.earliest} to {self.latest}; add the schedule with "
            "--calendar FILE to make it final"
        )


@dataclass(frozen=True)
class WorkdayCalendar:
    """China's official working days for the years ``first_year``..``last_year``.

    ``gap_years`` are years inside that range with no loaded schedule (possible when a
    user file adds a year that is not adjacent).  ``provisional_years`` have statutory
    holidays but no official schedule: their statutory days (``statutory_off``) are off and
    the days around them that ``clusters`` may adjust are unsettled (module docstring).
    Dates in neither are not covered.
    """

    first_year: int
    last_year: int
    days_off: frozenset[date]
    extra_workdays: frozenset[date]
    gap_years: frozenset[int] = frozenset()
    provisional_years: frozenset[int] = frozenset()
    statutory_off: frozenset[date] = frozenset()
    clusters: tuple[HolidayCluster, ...] = ()
    # Unsettled day -> index into clusters; derived from clusters by calendar_from_schedules.
    unsettled: Mapping[date, int] = field(default_factory=dict, compare=False, repr=False)

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

    def official(self, day: date) -> bool:
        """Whether an official schedule is loaded for ``day``'s year."""
        return self.first_year <= day.year <= self.last_year and day.year not in self.gap_years

    def covers(self, day: date) -> bool:
        """Whether ``day``'s year has an official schedule or at least statutory holidays."""
        return self.official(day) or day.year in self.provisional_years

    def coverage_text(self) -> str:
        """Human-readable coverage, e.g. "2004-2026" or "2004-2026 (2027-2050: statutory
        holidays only)"."""
        text = f"{self.first_year}-{self.last_year}"
        gaps = sorted(self.gap_years - self.provisional_years)
        if gaps:
            text += " except " + ", ".join(str(y) for y in gaps)
        if self.provisional_years:
            text += f" ({_year_ranges(self.provisional_years)}: statutory holidays only)"
        return text

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day; raises CalendarNotCovered outside the calendar
        and CalendarProvisional on a day that an unpublished schedule may still adjust."""
        day = _as_day(day)
        settled = self._settled(day)
        if settled is None:
            year = self.clusters[self.unsettled[day]].year
            raise CalendarProvisional(day, self, (year,))
        return settled

    def _settled(self, day: date) -> bool | None:
        """Working or not; None for an unsettled day.  Raises CalendarNotCovered."""
        if not self.covers(day):
            raise CalendarNotCovered(day, self)
        if day in self.extra_workdays:
            return True
        if day in self.days_off or day in self.statutory_off:
            return False
        if day in self.unsettled:
            return None
        return day.weekday() < _SATURDAY

    def unsettled_weekdays(self, index: int) -> int:
        """How many weekdays cluster ``index`` leaves unsettled (where its 补假 can go)."""
        cluster = self.clusters[index]
        return sum(
            1
            for offset in range((cluster.last - cluster.first).days + 1)
            if self.unsettled.get(day := cluster.first + timedelta(days=offset)) == index
            and day.weekday() < _SATURDAY
        )

    @cached_property
    def workday_index(self) -> WorkdayIndex:
        """The working days of the settled official years, for counting by lookup (built on
        first use: a calendar that counts no working days never pays for it)."""
        return WorkdayIndex.of(self)

    def next_workday(self, day: date) -> date:
        """``day`` itself if it is a working day, otherwise the next working day."""
        day = _as_day(day)
        while not self.is_workday(day):
            day += _ONE_DAY
        return day


@dataclass(frozen=True)
class WorkdayIndex:
    """The working days of a calendar's settled span, as ordinals: a count of N working days
    is a lookup (bisect) instead of a walk day by day.

    The span runs from the first official year's 1 January up to the first day the calendar
    does not settle: a gap year, a day an unpublished schedule may adjust, or the end of the
    official years.  A count that leaves it is not answered here (`nth_after` gives None) and
    is walked by `_workday_bounds`, the specification, which tests/test_timelimits.py compares
    this with on every start day of several years."""

    first: int  # the ordinal of the span's first day
    workdays: tuple[int, ...]  # the ordinals of its working days, ascending

    @classmethod
    def of(cls, calendar: WorkdayCalendar) -> WorkdayIndex:
        day = date(calendar.first_year, 1, 1)
        workdays: list[int] = []
        while calendar.official(day):
            settled = calendar._settled(day)  # the same question the walk asks
            if settled is None:
                break
            if settled:
                workdays.append(day.toordinal())
            if day == date.max:
                break
            day += _ONE_DAY
        return cls(date(calendar.first_year, 1, 1).toordinal(), tuple(workdays))

    def nth_after(
        self, start: date, amount: int, excluded: tuple[date, date] | None
    ) -> date | None:
        """The `amount`-th working day after `start` (`amount` > 0), not counting those in
        `excluded` (both ends included); None when the count leaves the span."""
        after = start.toordinal()
        if after + 1 < self.first:
            return None
        workdays = self.workdays
        first = bisect_right(workdays, after)  # the first working day counted
        if excluded is None:
            place = first + amount - 1
        else:
            # Working days before the excluded period count, then those after it.
            before = max(0, bisect_left(workdays, excluded[0].toordinal()) - first)
            if amount <= before:
                place = first + amount - 1
            else:
                resume = max(first, bisect_right(workdays, excluded[1].toordinal()))
                place = resume + amount - before - 1
        if place >= len(workdays):
            return None
        return date.fromordinal(workdays[place])


def _year_ranges(years: Iterable[int]) -> str:
    """2027, 2028, 2030 -> "2027-2028, 2030"."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and runs[-1][-1] == year - 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


# ---------------------------------------------------------------------------
# Loading and validating calendar data


@dataclass(frozen=True)
class Adjustments:
    """How far from its holidays, and by how many days, a notice has adjusted the week."""

    reach_days: int
    max_extra_days_off: int  # beyond the 补假 the law requires, per cluster
    max_extra_workdays: int  # per cluster


@dataclass(frozen=True)
class Statutory:
    """The statutory holidays of ``first_year``..``last_year`` (and ``last_year + 1``, whose
    元旦 reaches back), as ``(name, days)`` per year."""

    first_year: int
    last_year: int
    holidays: Mapping[int, tuple[tuple[str, frozenset[date]], ...]]
    adjustments: Adjustments


def load_calendar(extra_files: Sequence[Path] = (), *, statutory: bool = True) -> WorkdayCalendar:
    """The bundled calendar, with years added or replaced by ``extra_files`` in order, and
    (unless ``statutory`` is false) the bundled statutory holidays for years without one.

    A later file's year replaces the same year from the bundled data or an earlier file.
    """
    schedules = read_calendar_file(BUNDLED_DATA)
    for path in extra_files:
        schedules.update(read_calendar_file(Path(path)))
    future = read_statutory_file(STATUTORY_DATA) if statutory else None
    return calendar_from_schedules(schedules, future)


def calendar_from_schedules(
    schedules: Mapping[int, YearSchedule], statutory: Statutory | None = None
) -> WorkdayCalendar:
    """Merge per-year schedules; missing years inside the range become ``gap_years``.

    Years of ``statutory`` without a schedule become provisional."""
    if not schedules:
        raise CalendarDataError("no calendar years were loaded")
    first, last = min(schedules), max(schedules)
    days_off = frozenset().union(*(s.days_off for s in schedules.values()))
    extra = frozenset().union(*(s.extra_workdays for s in schedules.values()))
    provisional: frozenset[int] = frozenset()
    statutory_off: frozenset[date] = frozenset()
    clusters: tuple[HolidayCluster, ...] = ()
    unsettled: dict[date, int] = {}
    if statutory is not None:
        provisional = frozenset(range(statutory.first_year, statutory.last_year + 1)) - set(
            schedules
        )
        # The year after the last one only lends its 元旦's reach into the last December.
        pending = sorted(provisional | ({statutory.last_year + 1} - set(schedules)))
        statutory_off = frozenset(
            day for year in provisional for _, days in statutory.holidays[year] for day in days
        )
        clusters = tuple(
            cluster
            for year in pending
            for cluster in _clusters(year, statutory.holidays[year], statutory.adjustments)
        )
        for index, cluster in enumerate(clusters):
            day = cluster.first
            while day <= cluster.last:
                if day not in cluster.days and day not in days_off and day not in extra:
                    # Clusters of one year never overlap (they are merged); of two years
                    # they lie months apart, so the first claim is the only one.
                    unsettled.setdefault(day, index)
                day += _ONE_DAY
    return WorkdayCalendar(
        first_year=first,
        last_year=last,
        days_off=days_off,
        extra_workdays=extra,
        gap_years=frozenset(range(first, last + 1)) - schedules.keys(),
        provisional_years=provisional,
        statutory_off=statutory_off,
        clusters=clusters,
        unsettled=unsettled,
    )


def _clusters(
    year: int, holidays: Sequence[tuple[str, frozenset[date]]], adjustments: Adjustments
) -> list[HolidayCluster]:
    """One year's holidays, those whose reaches overlap merged into one cluster."""
    reach = timedelta(days=adjustments.reach_days)
    groups: list[tuple[list[str], list[date]]] = []
    for name, days in sorted(holidays, key=lambda h: min(h[1])):
        if groups and min(days) - reach <= max(groups[-1][1]) + reach:
            groups[-1][0].append(name)
            groups[-1][1].extend(days)
        else:
            groups.append(([name], list(days)))
    clusters: list[HolidayCluster] = []
    for names, listed in groups:
        distinct = frozenset(listed)
        # A statutory day on a weekend gets a 补假 (the law); so, in practice, does one
        # shared by two holidays (中秋 on 10月1日, 2020: 10月8日 off).
        owed = sum(1 for d in distinct if d.weekday() >= _SATURDAY) + len(listed) - len(distinct)
        clusters.append(
            HolidayCluster(
                year=year,
                names=tuple(names),
                days=distinct,
                first=min(distinct) - reach,
                last=max(distinct) + reach,
                min_extra_off=owed,
                max_extra_off=owed + adjustments.max_extra_days_off,
                max_extra_work=adjustments.max_extra_workdays,
            )
        )
    return clusters


def read_statutory_file(path: Path) -> Statutory:
    """Parse the statutory-holiday data file; any problem raises CalendarDataError."""
    origin = f"statutory holiday data file {path}"
    try:
        document = json.loads(
            path.read_text(encoding="utf-8"), object_pairs_hook=_reject_duplicate_keys
        )
    except RecursionError:
        # json.loads recurses once per nesting level: 100,000 `[` exhaust the stack.
        raise CalendarDataError(f"{origin}: cannot read it as JSON: nested too deeply") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CalendarDataError(f"{origin}: cannot read it as JSON: {exc}") from exc
    return parse_statutory_document(document, origin)


_STATUTORY_KEYS: Final = frozenset({"adjustments", "covered_years", "law", "source", "years"})
_ADJUSTMENT_KEYS: Final = frozenset(
    {"reach_days", "max_extra_days_off", "max_extra_workdays", "measured"}
)


def parse_statutory_document(document: object, origin: str) -> Statutory:
    """Validate a decoded statutory-holiday document (shape in the module docstring)."""
    if not isinstance(document, dict):
        _fail(origin, "the top level must be a JSON object")
    keys = set(document) - {"note"}
    if keys != _STATUTORY_KEYS:
        _fail(origin, f"expected the keys {sorted(_STATUTORY_KEYS)} (and optionally note)")
    for key in ("law", "source"):
        if not isinstance(document[key], str) or not document[key].strip():
            _fail(origin, f'"{key}" must be a non-empty string')
    adjustments = document["adjustments"]
    if not isinstance(adjustments, dict) or set(adjustments) != _ADJUSTMENT_KEYS:
        _fail(origin, f'"adjustments" must have exactly the keys {sorted(_ADJUSTMENT_KEYS)}')
    numbers = {k: v for k, v in adjustments.items() if k != "measured"}
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in numbers.values()):
        _fail(origin, '"adjustments" numbers must be non-negative integers')
    first, last = _parse_covered_years(document["covered_years"], origin)
    years = document["years"]
    expected = {str(y) for y in range(first, last + 2)}
    if not isinstance(years, dict) or set(years) != expected:
        _fail(origin, f'"years" must hold exactly {first}-{last + 1} (the last for its 元旦)')
    holidays: dict[int, tuple[tuple[str, frozenset[date]], ...]] = {}
    for key, entries in years.items():
        where = f'years["{key}"]'
        if not isinstance(entries, list) or not entries:
            _fail(origin, f"{where} must be a non-empty list of holidays")
        parsed: list[tuple[str, frozenset[date]]] = []
        for entry in entries:
            if not isinstance(entry, dict) or set(entry) != {"name", "days"}:
                _fail(origin, f'{where}: a holiday is {{"name": ..., "days": [...]}}')
            name = entry["name"]
            if not isinstance(name, str) or not name:
                _fail(origin, f"{where}: a holiday's name must be a non-empty string")
            days = _parse_dates(entry["days"], int(key), f"{where} {name}", origin)
            if not days:
                _fail(origin, f"{where} {name}: no days")
            parsed.append((name, frozenset(days)))
        holidays[int(key)] = tuple(parsed)
    return Statutory(
        first_year=first,
        last_year=last,
        holidays=holidays,
        adjustments=Adjustments(
            reach_days=numbers["reach_days"],
            max_extra_days_off=numbers["max_extra_days_off"],
            max_extra_workdays=numbers["max_extra_workdays"],
        ),
    )


def read_calendar_file(path: Path) -> dict[int, YearSchedule]:
    """Parse one calendar data file; any problem raises CalendarDataError naming it."""
    origin = f"calendar data file {path}"
    try:
        # As case records are read (runtime/records.py): UTF-8 with or without a BOM (Notepad
        # writes one), a bad byte named by its offset after the BOM, the system's words for a
        # file that cannot be read, not Python's codec message or "[Errno 2] …: 'path'".
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise CalendarDataError(f"{origin}: cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise CalendarDataError(f"{origin}: not UTF-8 (byte {exc.start})") from None
    try:
        document = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except RecursionError:
        # json.loads recurses once per nesting level: 100,000 `[` exhaust the stack.
        raise CalendarDataError(f"{origin}: not valid JSON: nested too deeply") from None
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
    that do not count; only ``workdays`` and ``days`` accept them.  A working-day count
    that depends on an unpublished schedule raises CalendarProvisional: use
    :func:`due_bounds` to get the provisional date and its bounds instead.
    """
    if unit != "workdays":
        return _due_plain(start, amount, unit, excluded)
    bounds = due_bounds(start, amount, unit, calendar, excluded=excluded)
    if not bounds.final:
        raise CalendarProvisional(bounds.latest, calendar, bounds.unpublished, bounds)
    return bounds.due


def due_bounds(
    start: date | datetime,
    amount: int,
    unit: str,
    calendar: WorkdayCalendar,
    *,
    excluded: Sequence[tuple[date, date]] = (),
) -> DueBounds:
    """The due date with its bounds; final unless a working-day count touches a year
    without an official schedule (module docstring).  Other units are always final."""
    if unit != "workdays":
        due = _as_day(_due_plain(start, amount, unit, excluded))
        return DueBounds(due, due, due)
    _check_amount(amount)
    day, periods = _as_day(start), _check_periods(excluded)
    if amount and len(periods) <= 1:
        # By lookup where the settled calendar answers; walked otherwise (the specification).
        found = calendar.workday_index.nth_after(day, amount, periods[0] if periods else None)
        if found is not None:
            return DueBounds(found, found, found)
    return _workday_bounds(day, amount, calendar, periods)


def _due_plain(
    start: date | datetime, amount: int, unit: str, excluded: Sequence[tuple[date, date]]
) -> date | datetime:
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
    return _nth_counted_day_after(day, amount, lambda d: not _in_periods(d, periods))


def _workday_bounds(
    start: date, amount: int, calendar: WorkdayCalendar, periods: Sequence[tuple[date, date]]
) -> DueBounds:
    """Count working days after ``start`` three ways at once.

    ``base`` counts settled working days and unsettled weekdays (statutory holidays only).
    Per cluster, of its unsettled days inside the count so far, at most ``max_extra_off``
    weekdays may turn out off and at most ``max_extra_work`` weekend days working; and at
    least ``min_extra_off`` (补假) weekdays must be off, so those that no longer fit in the
    cluster's unsettled weekdays outside the count are off inside it.  The fewest and most
    working days possible by each day give the latest and earliest due dates.  Each cluster
    is bounded on its own, which can only widen the bounds (never exclude a real schedule).
    """
    if amount == 0:
        return DueBounds(start, start, start)
    clusters = calendar.clusters
    weekdays_total: dict[int, int] = {}  # the clusters touched so far
    weekdays_in: dict[int, int] = {}
    weekends_in: dict[int, int] = {}
    base = 0
    due = earliest = None
    unpublished: set[int] = set()
    day = start
    while True:
        day += _ONE_DAY
        # Excluded days are tested first so they never need calendar coverage.
        if _in_periods(day, periods):
            continue
        settled = calendar._settled(day)
        if day.year in calendar.provisional_years:
            unpublished.add(day.year)
        if settled is None:
            index = calendar.unsettled[day]
            unpublished.add(clusters[index].year)
            if index not in weekdays_total:
                weekdays_total[index] = calendar.unsettled_weekdays(index)
                weekdays_in[index] = weekends_in[index] = 0
            if day.weekday() < _SATURDAY:
                base += 1
                weekdays_in[index] += 1
            else:
                weekends_in[index] += 1
        elif settled:
            base += 1
        fewest = base - sum(
            min(clusters[i].max_extra_off, inside) for i, inside in weekdays_in.items()
        )
        most = base + sum(
            min(clusters[i].max_extra_work, inside) for i, inside in weekends_in.items()
        )
        most -= sum(
            max(0, clusters[i].min_extra_off - (weekdays_total[i] - inside))
            for i, inside in weekdays_in.items()
        )
        if due is None and base >= amount:
            due = day
        if earliest is None and most >= amount:
            earliest = day
        if fewest >= amount:
            assert due is not None and earliest is not None  # fewest <= base, most
            # The statutory holidays alone can count a 补假 the law owes as a working day:
            # the provisional date is then the earliest possible one.
            return DueBounds(max(due, earliest), earliest, day, tuple(sorted(unpublished)))


def roll_over(
    last_day: date, calendar: WorkdayCalendar, *, excluded: Sequence[tuple[date, date]] = ()
) -> date:
    """民法典 第二百零三条第一款: a period whose last day is a 法定休假日 ends instead on the
    day after the days off end: ``last_day`` itself when it is a working day, else the next
    working day that is not inside an ``excluded`` period (excluded days do not count, so a
    period cannot end in one).  Raises CalendarNotCovered outside the calendar's years and
    CalendarProvisional when an unpublished schedule decides it: see `roll_over_bounds`."""
    bounds = roll_over_bounds(last_day, calendar, excluded=excluded)
    if not bounds.final:
        raise CalendarProvisional(bounds.latest, calendar, bounds.unpublished, bounds)
    return bounds.due


def roll_over_bounds(
    last_day: date, calendar: WorkdayCalendar, *, excluded: Sequence[tuple[date, date]] = ()
) -> DueBounds:
    """`roll_over` with its bounds: the next working day on or after ``last_day`` is the
    first working day counted from the day before, so a year whose schedule is unpublished
    gives the provisional day and the earliest and latest it can become, like any count of
    working days (one algorithm for both)."""
    return due_bounds(_as_day(last_day) - _ONE_DAY, 1, "workdays", calendar, excluded=excluded)


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
    if not date.min.year <= year <= date.max.year:
        # As `date + timedelta` does past 9999-12-31: callers catch one exception.
        raise OverflowError("date value out of range")
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
