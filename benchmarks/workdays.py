"""calendar.csv's columns: the provisional bounds of a count of N working days from every day
of the bundled calendar, made by `sqlcalendar.Slide` (what the build runs) against a walk from
each start day (`Walk.bounds`, the reference it replaced), in one run, with the cells compared.

.venv/bin/python benchmarks/workdays.py [--counts 5,60,250,1000,3312] [--repeat K]

Each figure is the best of K runs of one column (CPU seconds); the walk is timed once where it
takes more than a few seconds.  Exit 1 if the two ever give different cells.  Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from compiler.runtime.sqlcalendar import Column, Walk, column, count_column
from compiler.runtime.timelimits import load_calendar


def walked_column(walk: Walk, count: int) -> Column:
    """`count_column` as it was: `Walk.bounds` from each start day the index cannot decide."""
    return column(walk, count, lambda t: walk.bounds(t, count))


def best(make: Callable[[], Column], repeat: int) -> tuple[float, Column]:
    times: list[float] = []
    cells: Column = []
    for _ in range(repeat):
        start = time.process_time()
        cells = make()
        times.append(time.process_time() - start)
        if times[-1] > 3:  # one run of a slow column is figure enough
            break
    return min(times), cells


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="5,60,250,1000,3312")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    calendar = load_calendar()
    walk = Walk(calendar)
    unsettled = sum(walk.unsettled)
    days = f"{walk.days[1]}..{walk.days[-1]}"
    print(f"calendar     {days}: {len(walk.days):,} days, {unsettled:,} unsettled")
    print("| N (working days) | walk from each day, CPU s | slide, CPU s | ratio | bounded cells |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    disagree = 0
    for count in counts:
        walked, reference = best(lambda: walked_column(walk, count), args.repeat)  # noqa: B023
        slid, cells = best(lambda: count_column(walk, count), args.repeat)  # noqa: B023
        disagree += cells != reference
        bounded = sum(1 for cell in cells if cell != ("", "", ""))
        print(f"| {count:,} | {walked:.3f} | {slid:.3f} | {walked / slid:.1f}x | {bounded:,} |")
    if disagree:
        print(f"DISAGREE: {disagree} of {len(counts)} columns differ from the walk's")
        return 1
    print(f"agree        every cell of the {len(counts)} columns is the walk's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
