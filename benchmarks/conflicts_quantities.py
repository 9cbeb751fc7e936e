"""The conflict report's quantities, boundaries and within-document analyses: how long each
takes on the project's policies.  Prints figures only.

.venv/bin/python benchmarks/conflicts_quantities.py [--repeat N] [--start YYYY-MM-DD]

`timings(program, start, repeat)` is importable (the conflict report's own benchmark can print
these figures beside its own).  What is timed, best of N runs, on one loaded program:

* quantities: lining the limits up by programme and shared concept, with the due date of each
  from the start date (`policyc due`'s path);
* boundaries: the pairs of comparable limits, the case between each (solver, record checks);
* internal: the situations and exclusions, and the requirements reading a common fact, of each
  document (solver, interpreter), i.e. what `policyc check` adds for W501.

The analyses compare only limits lined up by a programme or a concept, and rules of one
document that share a fact: the work grows with those groups, not with every pair of rules.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from compiler import ir
from compiler.backends.site.page import EXAMPLE_START
from compiler.conflicts import internal, quantities
from compiler.lower import load_program

ROOT = Path(__file__).resolve().parent.parent


def _best(repeat: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return best


def timings(program: ir.Program, start: date, repeat: int = 3) -> dict[str, float]:
    """Seconds, best of `repeat`, of each analysis (and of its section, rendered)."""
    return {
        "quantities": _best(repeat, lambda: quantities.groups(program, start)),
        "boundaries": _best(repeat, lambda: quantities.boundaries(program, start)),
        "thresholds": _best(repeat, lambda: quantities.thresholds(program)),
        "internal": _best(repeat, lambda: internal.findings(program)),
        "sections": _best(
            repeat,
            lambda: (quantities.sections(program, start), internal.section(program)),
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--start", type=date.fromisoformat, default=EXAMPLE_START)
    args = parser.parse_args()
    began = time.perf_counter()
    program = load_program(ROOT)
    loaded = time.perf_counter() - began
    groups, alone = quantities.groups(program, args.start)
    pairs = quantities.boundaries(program, args.start)
    limits = sum(len(p.limits) for p in program.policies.values())
    print(f"python {platform.python_version()}, {len(program.policies)} policies, {limits} limits")
    print(f"load_program: {loaded * 1000:.0f} ms (not part of the analyses)")
    print(
        f"groups {len(groups)}, limits without a counterpart {len(alone)}, "
        f"boundary cases {len(pairs.between)}, alike {len(pairs.same)}, "
        f"within-document findings {len(internal.findings(program))}"
    )
    for name, seconds in timings(program, args.start, args.repeat).items():
        print(f"{name:>12}: {seconds * 1000:8.1f} ms (best of {args.repeat})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
