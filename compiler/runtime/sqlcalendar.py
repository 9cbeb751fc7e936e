"""The working-day calendar as the SQL backend's table (`calendar.csv`, docs/sql.md
"Calendar"): written by the build (compiler/backends/sql.py) and, for `--calendar FILE` years,
by the DuckDB engine of the validator package (runtime/sqlengine.py) — one function, so that
the table the SQL counts with is the one the Python package counts with."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, timedelta

from .errors import PolicycError
from .timelimits import DueBounds, WorkdayCalendar


class CalendarTableError(PolicycError):
    """A calendar the table cannot describe (a year without any schedule inside its range)."""


# One count's three cells of each row (earliest, latest, unpublished): empty where the index
# alone decides the count (docs/sql.md, "Calendar").
Column = list[tuple[str, str, str]]


def calendar_table(
    counts: Sequence[int], calendar: WorkdayCalendar, columns: dict[int, Column] | None = None
) -> str:
    """calendar.csv (docs/sql.md, \"Calendar\"): `calendar` as the SQL's table, with the
    provisional bounds of a count of N working days from each day for every N of `counts`.
    `columns`: the counts' columns already made (`count_column` of this calendar: the build
    keeps them, since a column takes a walk from every day); those missing are made and
    added to it."""
    if calendar.gap_years - calendar.provisional_years:
        raise CalendarTableError("the calendar has years without any schedule inside its range")
    walk = Walk(calendar)
    columns = {} if columns is None else columns
    made = []
    for count in counts:
        if count not in columns:
            columns[count] = count_column(walk, count)
        made.append(columns[count])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["day", "workday", "workday_index", "unsettled_index"]
    for count in counts:
        header += [f"w{count}_earliest", f"w{count}_latest", f"w{count}_unpublished"]
    writer.writerow(header)
    for t, day in enumerate(walk.days):
        row: list[object] = [
            day.isoformat(),
            "true" if walk.workday[t] else "false",
            walk.index[t],
            walk.u_index[t],
        ]
        for column in made:
            row += column[t]
        writer.writerow(row)
    return out.getvalue()


def count_column(walk: Walk, count: int) -> Column:
    """The cells of a count of `count` working days from each day of the walk's calendar."""
    by_index = walk.by_index
    empty = ("", "", "")
    cells: Column = []
    for t in range(len(walk.days)):
        # Decided by the index alone (empty cells) unless the count touches an unsettled day
        # before the due date by the index: then Python's bounds.
        due = by_index.get(walk.index[t] + count)
        if due is not None and walk.u_index[due] == walk.u_index[t]:
            cells.append(empty)
            continue
        bounds = walk.bounds(t, count)
        if bounds is None:
            cells.append(("", "", "not_covered"))
        elif not bounds.final:
            years = ",".join(str(y) for y in bounds.unpublished)
            cells.append((bounds.earliest.isoformat(), bounds.latest.isoformat(), years))
        else:
            cells.append(empty)
    return cells


class Walk:
    """`timelimits._workday_bounds` over arrays of the calendar's days: the same walk, step
    for step, without its per-day method calls (it runs for every start day and count of a
    project; tests/test_sql.py checks it against `due_bounds` day by day)."""

    def __init__(self, calendar: WorkdayCalendar) -> None:
        last_year = max(calendar.last_year, *calendar.provisional_years)
        first = date(calendar.first_year, 1, 1) - timedelta(days=1)
        count = (date(last_year, 12, 31) - first).days + 1
        self.days = [first + timedelta(days=i) for i in range(count)]
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
