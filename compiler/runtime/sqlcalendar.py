"""The working-day calendar as the SQL backend's table (`calendar.csv`, docs/sql.md
"Calendar"): written by the build (compiler/backends/sql.py) and, for `--calendar FILE` years,
by the DuckDB engine of the validator package (runtime/sqlengine.py) — one function, so that
the table the SQL counts with is the one the Python package counts with."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from functools import partial

from .errors import PolicycError
from .timelimits import DueBounds, WorkdayCalendar


class CalendarTableError(PolicycError):
    """A calendar the table cannot describe (a year without any schedule inside its range)."""


# One count's three cells of each row (earliest, latest, unpublished): empty where the index
# alone decides the count (docs/sql.md, "Calendar").
Cell = tuple[str, str, str]
Column = list[Cell]


def calendar_table(
    counts: Sequence[int],
    calendar: WorkdayCalendar,
    columns: dict[int, Column] | None = None,
    each: Callable[[Callable[[int], Column], list[int]], Iterable[Column]] = map,
) -> str:
    """calendar.csv (docs/sql.md, \"Calendar\"): `calendar` as the SQL's table, with the
    provisional bounds of a count of N working days from each day for every N of `counts`.
    `columns`: the counts' columns already made (`count_column` of this calendar: the build
    keeps them); those missing are made and added to it, by `each(make, counts)` in the
    counts' order (the build makes them on every core)."""
    if calendar.gap_years - calendar.provisional_years:
        raise CalendarTableError("the calendar has years without any schedule inside its range")
    walk = Walk(calendar)
    columns = {} if columns is None else columns
    missing = [count for count in counts if count not in columns]
    columns.update(zip(missing, each(partial(count_column, walk), missing), strict=True))
    made = [columns[count] for count in counts]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["day", "workday", "workday_index", "unsettled_index"]
    for count in counts:
        header += [f"w{count}_earliest", f"w{count}_latest", f"w{count}_unpublished"]
    writer.writerow(header)
    for t, day in enumerate(walk.iso):
        row: list[object] = [
            day,
            "true" if walk.workday[t] else "false",
            walk.index[t],
            walk.u_index[t],
        ]
        for column in made:
            row += column[t]
        writer.writerow(row)
    return out.getvalue()


_DECIDED: Cell = ("", "", "")  # by the index alone, or a final date
_NOT_COVERED: Cell = ("", "", "not_covered")


def count_column(walk: Walk, count: int) -> Column:
    """The cells of a count of `count` working days from each day of the walk's calendar."""
    slide: Slide | None = None
    iso = walk.iso
    listed: dict[tuple[int, ...], str] = {}

    # The slide's day indexes made into the cells: the dates' texts made once per walk and
    # the years' once per set, not once for each of ~6,000 start days.
    def cell(t: int) -> Cell:
        nonlocal slide  # begun at the first day that needs it: the start days come in order
        if slide is None:
            slide = Slide(walk, count, t)
        found = slide.find(t)
        if found is None:
            return _NOT_COVERED
        _, earliest, latest, years = found
        if not years:
            return _DECIDED
        text = listed.get(years)
        if text is None:
            text = listed[years] = ",".join(map(str, years))
        return (iso[earliest], iso[latest], text)

    return _cells(walk, count, cell)


def column(walk: Walk, count: int, bounds: Callable[[int], DueBounds | None]) -> Column:
    """`count_column` with `bounds(t)` for `Walk.bounds(t, count)`, asked in ascending order
    (benchmarks/workdays.py times the walk itself against the slide)."""

    def cell(t: int) -> Cell:
        found = bounds(t)
        if found is None:
            return _NOT_COVERED
        if found.final:
            return _DECIDED
        years = ",".join(map(str, found.unpublished))
        return (found.earliest.isoformat(), found.latest.isoformat(), years)

    return _cells(walk, count, cell)


def _cells(walk: Walk, count: int, cell: Callable[[int], Cell]) -> Column:
    by_index, index, u_index = walk.by_index, walk.index, walk.u_index
    cells: Column = []
    for t in range(walk.length):
        # Decided by the index alone (empty cells) unless the count touches an unsettled day
        # before the due date by the index: then Python's bounds, in ascending order of t.
        due = by_index.get(index[t] + count)
        if due is not None and u_index[due] == u_index[t]:
            cells.append(_DECIDED)
        else:
            cells.append(cell(t))
    return cells


class Walk:
    """The calendar's days as arrays, and `timelimits._workday_bounds` over them: the same
    walk, step for step, without its per-day method calls.  tests/test_sql.py checks the walk
    against `due_bounds` day by day, and `Slide`, which gives the columns the walk's answers
    without walking from each day, against the walk."""

    def __init__(self, calendar: WorkdayCalendar) -> None:
        last_year = max(calendar.last_year, *calendar.provisional_years)
        first = date(calendar.first_year, 1, 1) - timedelta(days=1)
        count = (date(last_year, 12, 31) - first).days + 1
        self.days = [first + timedelta(days=i) for i in range(count)]
        self.length = count
        self.iso = [day.isoformat() for day in self.days]  # the columns' cells, once
        self.settled: list[bool | None] = [False]
        for day in self.days[1:]:
            self.settled.append(calendar._settled(day))
        self.weekday = [d.weekday() < 5 for d in self.days]
        self.workday = [
            s if s is not None else w for s, w in zip(self.settled, self.weekday, strict=True)
        ]
        self.workday[0] = False
        self.unsettled = [s is None for s in self.settled]
        self.unsettled[0] = False
        self.provisional = [d.year in calendar.provisional_years for d in self.days]
        self.cluster = [calendar.unsettled.get(d, -1) for d in self.days]
        self.clusters = calendar.clusters
        self.weekdays_total = [calendar.unsettled_weekdays(i) for i in range(len(self.clusters))]
        self.index: list[int] = []
        self.u_index: list[int] = []
        total = u_total = 0
        for t in range(count):
            total += self.workday[t]
            u_total += self.unsettled[t]
            self.index.append(total)
            self.u_index.append(u_total)
        self.by_index = {self.index[t]: t for t in range(count) if self.workday[t]}
        self.provisional_years = calendar.provisional_years
        # Each cluster's caps for `Slide`'s windows: weekdays that may be off, weekends that
        # may work, the weekdays inside before 补假 is owed on each further one, and the 补假
        # owed as soon as the cluster is touched (the walk's running sums, in closed form).
        self.limits = [
            (
                cluster.max_extra_off,
                cluster.max_extra_work,
                max(0, total - cluster.min_extra_off),
                max(0, cluster.min_extra_off - total),
            )
            for cluster, total in zip(self.clusters, self.weekdays_total, strict=True)
        ]
        # The walk's `base` from the calendar's start to each day: settled working days and
        # unsettled weekdays; `reaches[k]`: the first day where it is k.
        self.base: list[int] = []
        self.reaches: list[int] = [0]
        total = 0
        for t in range(count):
            if self.settled[t] or (self.settled[t] is None and self.weekday[t]):
                total += 1
                self.reaches.append(t)
            self.base.append(total)

    def bounds(self, start: int, amount: int) -> DueBounds | None:
        """`due_bounds(days[start], amount, "workdays")`; None where it raises
        CalendarNotCovered."""
        clusters = self.clusters
        weekdays_in: dict[int, int] = {}
        weekends_in: dict[int, int] = {}
        unpublished: set[int] = set()
        base = 0
        # The sums of _workday_bounds, kept up to date as one cluster's count changes: the
        # weekdays that may be off (fewest), the weekends that may work and the 补假 owed
        # inside the count (most).
        off = work = owed = 0
        due = earliest = None
        last_year = 0
        t = start
        days, settled_days, weekday = self.days, self.settled, self.weekday
        while True:
            t += 1
            if t >= len(days):
                return None
            if self.provisional[t] and days[t].year != last_year:
                last_year = days[t].year
                unpublished.add(last_year)
            settled = settled_days[t]
            if settled is None:
                index = self.cluster[t]
                cluster = clusters[index]
                unpublished.add(cluster.year)
                total = self.weekdays_total[index]
                if index not in weekdays_in:
                    weekdays_in[index] = weekends_in[index] = 0
                    owed += max(0, cluster.min_extra_off - total)
                # Each sum's term grows by one while its cap allows (min/max of the walk).
                if weekday[t]:
                    base += 1
                    inside = weekdays_in[index]
                    if inside < cluster.max_extra_off:
                        off += 1
                    if total - inside - 1 < cluster.min_extra_off:
                        owed += 1
                    weekdays_in[index] = inside + 1
                else:
                    inside = weekends_in[index]
                    if inside < cluster.max_extra_work:
                        work += 1
                    weekends_in[index] = inside + 1
            elif settled:
                base += 1
            fewest = base - off
            most = base + work - owed
            if due is None and base >= amount:
                due = days[t]
            if earliest is None and most >= amount:
                earliest = days[t]
            if fewest >= amount:
                assert due is not None and earliest is not None
                latest = days[t]
                return DueBounds(max(due, earliest), earliest, latest, tuple(sorted(unpublished)))


class _Window:
    """The days start+1..end of a walk and the sums of `Walk.bounds` over them, which depend
    only on how many of each cluster's unsettled weekdays and weekend days the window holds:
    a cluster's weekdays that may be off are min(weekdays, max_extra_off), its weekends that
    may work min(weekends, max_extra_work), and the 补假 owed inside the count is
    max(0, min_extra_off - total) once it is touched plus max(0, weekdays - max(0, total -
    min_extra_off)) — the walk's running sums, in closed form, so that a day can leave the
    window at the front as well as join it at the back."""

    def __init__(self, walk: Walk, start: int) -> None:
        self.walk = walk
        self.start = self.end = start
        clusters = len(walk.clusters)
        self.weekdays = [0] * clusters
        self.weekends = [0] * clusters
        self.touched: set[int] = set()
        self.off = self.work = self.owed = self.debt = 0

    def _change(self, t: int, by: int) -> None:
        """Day `t` joins (by=1) or leaves (by=-1) the window."""
        walk = self.walk
        if walk.settled[t] is not None:
            return
        index = walk.cluster[t]
        max_off, max_work, free, debt = walk.limits[index]
        weekdays, weekends = self.weekdays[index], self.weekends[index]
        # Only the terms of the day's own kind change, and the debt with whether the
        # cluster is touched at all.
        if walk.weekday[t]:
            now = weekdays + by
            self.weekdays[index] = now
            self.off += min(now, max_off) - min(weekdays, max_off)
            self.owed += max(0, now - free) - max(0, weekdays - free)
            touched, was = now or weekends, weekdays or weekends
        else:
            now = weekends + by
            self.weekends[index] = now
            self.work += min(now, max_work) - min(weekends, max_work)
            touched, was = now or weekdays, weekends or weekdays
        if touched and not was:
            self.touched.add(index)
            self.debt += debt
        elif was and not touched:
            self.touched.discard(index)
            self.debt -= debt

    # A settled day changes none of the sums: most days are, so they are passed over here
    # rather than in a call of `_change` each (the columns' inner loop, every start day).

    def move_start(self, start: int) -> None:
        """Start the window at `start` (one day later than it did)."""
        if self.end >= start:
            if self.walk.unsettled[start]:
                self._change(start, -1)  # the day leaves at the front
        else:
            self.end = start  # it was empty, and stays so
        self.start = start

    def extend(self) -> bool:
        """Take in the next day; False at the calendar's end."""
        end = self.end + 1
        if end >= self.walk.length:
            return False
        self.end = end
        if self.walk.unsettled[end]:
            self._change(end, 1)
        return True

    def drop_last(self) -> None:
        if self.walk.unsettled[self.end]:
            self._change(self.end, -1)
        self.end -= 1


class Slide:
    """`Walk.bounds(t, amount)` for ascending start days t, in time linear in the calendar
    for all of them (a walk from each start day costs the count's length in days: ~20 s for
    a mistyped count of 3,312 working days).

    The latest date is where the weekdays that must work (`fewest`) reach the count; they
    grow with the window's end and shrink as its start moves on, so the latest date never
    moves back: one window slides its end forward as the start does.  The earliest date is
    where the days that may work (`most`) first reach the count.  `most` can fall where a
    cluster is first touched (the 补假 it owes), so a second window tracks where `most`
    without that debt first reaches the count (a bound that never moves back), and the
    earliest date is found by stepping on from there until the debt is worked off (no step
    at all in the official calendar, whose clusters owe nothing up front).
    tests/test_sql.py checks every start day against `Walk.bounds`."""

    def __init__(self, walk: Walk, amount: int, start: int) -> None:
        assert amount >= 1, "calendar.csv counts one working day or more"
        self.walk = walk
        self.amount = amount
        self.latest = _Window(walk, start)
        self.lower = _Window(walk, start)
        self.start = start
        self.ended = False  # no later start's count ends inside the calendar

    def bounds(self, start: int) -> DueBounds | None:
        found = self.find(start)
        if found is None:
            return None
        due, earliest, latest, years = found
        days = self.walk.days
        return DueBounds(days[max(due, earliest)], days[earliest], days[latest], years)

    def find(self, start: int) -> tuple[int, int, int, tuple[int, ...]] | None:
        """`bounds(start)` as day indexes (due, earliest, latest) and the unpublished years."""
        assert start >= self.start, "starts must ascend"
        walk, amount = self.walk, self.amount
        if self.ended or start + 1 >= walk.length:
            return None
        self.start = start
        latest, lower = self.latest, self.lower
        for window in (latest, lower):
            while window.start < start:
                window.move_start(window.start + 1)
            if window.end == start:
                window.extend()
        # A window's sums over its days, from `base` (settled working days and unsettled
        # weekdays): the days that must work, `base - off` (`fewest`); the days that may work,
        # `base + work - owed - debt` (`most`); and `most` without the 补假 a cluster owes as
        # soon as it is touched (`untouched`), which unlike `most` never falls as the window
        # grows and is never below it.  Written out here rather than as methods: these loops
        # run for every start day of every column (~6,000 a column).
        base = walk.base
        at_start = base[start]
        while base[latest.end] - at_start - latest.off < amount:  # fewest
            if not latest.extend():
                self.ended = True
                return None
        while base[lower.end] - at_start + lower.work - lower.owed < amount:  # untouched
            moved = lower.extend()
            assert moved and lower.end <= latest.end
        # Stepping on from the lower bound, then back to it.
        steps = 0
        while base[lower.end] - at_start + lower.work - lower.owed - lower.debt < amount:  # most
            moved = lower.extend()
            assert moved and lower.end <= latest.end
            steps += 1
        earliest = lower.end
        for _ in range(steps):
            lower.drop_last()
        due = max(walk.reaches[at_start + amount], start + 1)
        years = {walk.clusters[index].year for index in latest.touched}
        for year in range(walk.days[start + 1].year, walk.days[latest.end].year + 1):
            if year in walk.provisional_years:
                years.add(year)
        return due, earliest, latest.end, tuple(sorted(years))
