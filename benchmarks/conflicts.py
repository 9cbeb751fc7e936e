"""The conflict report's analysis time: per section, and how it grows with the jurisdictions.

.venv/bin/python benchmarks/conflicts.py [--copies N]

The project is analysed as it is, then with its decision policies copied under new ids
(`ningbo` -> `ningbo_c1`, …: the same rules, as if more cities had adopted them), so that the
number of comparable pairs grows quadratically.  The search goes through the concepts each
decision reads, so the time should grow with the pairs × concepts searched, not with the
pairs of rules.  The search is then timed again, in one process and on every core
(POLICYC_JOBS=1 against the default: each decision's row of pairs in a worker), and with
`--against` the first comparable decision (its pairs only: the report grows with the
jurisdictions, not their square).  Prints figures only.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path

from compiler import ir
from compiler.conflicts import decisions, report
from compiler.lower import load_program
from compiler.project import JOBS_VARIABLE, cores

ROOT = Path(__file__).resolve().parent.parent


def copied(program: ir.Program, copies: int) -> ir.Program:
    """The program with each decision policy also present `copies` more times under new ids."""
    policies = dict(program.policies)
    for policy_id, policy in program.policies.items():
        if not policy.makes_decision():
            continue
        for number in range(1, copies + 1):
            new_id = f"{policy_id}_c{number}"
            policies[new_id] = dataclasses.replace(policy, id=new_id)
    return dataclasses.replace(program, policies=dict(sorted(policies.items())))


def measure(program: ir.Program, label: str) -> None:
    """Each section of the decisions timed apart, then the rendering of the whole report."""
    clock = time.perf_counter
    start = clock()
    infos = decisions.decision_infos(program)
    pairs = decisions.pairs(infos)
    timings = [("comparable", clock() - start)]
    start = clock()
    parts = [decisions.decisions_section(program, infos)]
    timings.append((parts[-1].id, clock() - start))
    start = clock()
    parts.append(decisions.concepts_section(program, infos))
    timings.append((parts[-1].id, clock() - start))
    start = clock()
    found = decisions.cases(program, infos)
    parts.append(decisions.pairs_section(program, found))
    timings.append((parts[-1].id, clock() - start))
    start = clock()
    report.to_json(program, parts)
    report.to_markdown(parts, report.plain_cite)
    report.test_files(parts)
    timings.append(("render", clock() - start))
    rule_pairs = sum(
        len(program.policies[p.a].rules) * len(program.policies[p.b].rules) for p in pairs
    )
    searched = sum(len(i.concepts) for i in infos) * max(len(infos) - 1, 0)
    print(
        f"{label:<20} decisions {len(infos):>3}  pairs {len(pairs):>4}  "
        f"(rule pairs {rule_pairs:>7})  concept searches {searched:>5}  "
        f"cases {len(found.cases):>4}  cut by the bound {len(found.unsettled):>3}"
    )
    print(f"{'':<20} " + "  ".join(f"{name} {seconds:.3f} s" for name, seconds in timings))
    searches(program, infos)


@contextlib.contextmanager
def _jobs(value: str | None) -> Iterator[None]:
    """POLICYC_JOBS set to `value` (None: unset, the default) while the block runs."""
    asked = os.environ.get(JOBS_VARIABLE)
    if value is None:
        os.environ.pop(JOBS_VARIABLE, None)
    else:
        os.environ[JOBS_VARIABLE] = value
    try:
        yield
    finally:
        if asked is None:
            os.environ.pop(JOBS_VARIABLE, None)
        else:
            os.environ[JOBS_VARIABLE] = asked


def searches(program: ir.Program, infos: tuple[decisions.DecisionInfo, ...]) -> None:
    """The search for cases in one process, on every core, and against one decision."""
    clock = time.perf_counter
    timed: list[str] = []
    with _jobs("1"):
        start = clock()
        alone = decisions.cases(program, infos)
        timed.append(f"one process {clock() - start:.3f} s")
    with _jobs(None):
        start = clock()
        assert decisions.cases(program, infos) == alone
        timed.append(f"{cores()} processes {clock() - start:.3f} s")
    if alone.cases:
        first = alone.cases[0].a
        start = clock()
        one = decisions.cases(program, infos, against={first})
        timed.append(
            f"--against {first} {clock() - start:.3f} s ({len(one.cases)} of {len(alone.cases)} "
            "cases)"
        )
    print(f"{'':<20} search: " + "  ".join(timed))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=1, help="copies of each decision policy")
    args = parser.parse_args()
    program = load_program(ROOT)
    measure(program, "project")
    for copies in range(1, args.copies + 1):
        measure(copied(program, copies), f"project + {copies} cop{'y' if copies == 1 else 'ies'}")


if __name__ == "__main__":
    main()
