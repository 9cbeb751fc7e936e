"""The floor under the side-by-side benchmark's Python engines: what building the full output
alone costs, per record, against the generated package and the reference interpreter on the
same 台儿庄 and 威海 records (benchmarks/sidebyside.py's, same seed).

.venv/bin/python benchmarks/floor.py [--records N] [--repeat K] [--seed S]

Timed per record, best of K (the engines take turns, as in sidebyside.py):

* generated: the generated package's `evaluate(raw, calendar)` with every check's `to_json()`:
  what sidebyside.py times.
* interpreter: sidebyside.py's interpreter engine, as it times it.
* typing the facts: the generated package's `coerce(raw)` alone (every engine types the raw
  JSON values first: dates parsed, numbers made Decimal).
* output objects: the full output's dicts and lists built in Python from its leaf values,
  the message strings already made (each check's dict of seven keys by one dict display, the
  decision's nested lists and dicts likewise): no condition, no due date, no message
  formatting — a lower bound for any Python engine that returns these objects.

Prints µs per record and what each floor leaves of the "10× the interpreter" budget.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.records import Raw  # noqa: E402
from benchmarks.sidebyside import (  # noqa: E402
    POLICIES,
    generated_engine,
    generated_package,
    interpreter_engine,
    make_records,
)
from compiler.lower import load_program  # noqa: E402

Output = tuple[list[dict[str, Any]], dict[str, Any]]


def check_leaves(check: dict[str, Any]) -> tuple[Any, ...]:
    return (
        check["rule"],
        check["kind"],
        check["clause"],
        check["quote"],
        check["status"],
        check["message"],
        tuple(check["needs"]),
        tuple(check.get("calendar_unpublished", ())),
    )


def rule_leaves(rule: dict[str, Any]) -> tuple[Any, ...]:
    return (
        rule["rule"],
        rule["kind"],
        rule["clause"],
        rule["quote"],
        rule["holds"],
        tuple(rule["needs"]),
        tuple(rule["overridden_by"]),
    )


def leaves(output: Output) -> tuple[Any, ...]:
    """A record's full output as tuples of its leaf values (built once, untimed)."""
    checks, decision = output
    return (
        tuple(check_leaves(c) for c in checks),
        (
            decision["policy"],
            decision["outcome"],
            tuple(decision["grants"]),
            tuple(
                (p["grant"], p["outcome"], p["clause"], tuple(p["needs"]))
                for p in decision["pending_grants"]
            ),
            tuple(
                (x["rule"], x["clause"], x["quote"], x["holds"], tuple(x["needs"]))
                for x in decision["exempts"]
            ),
            tuple(
                (x["rule"], x["clause"], x["quote"], x["holds"], tuple(x["needs"]))
                for x in decision["not_exempted"]
            ),
            tuple(rule_leaves(r) for r in decision["decided_by"]),
            tuple(decision["missing"]),
            tuple((j["judgment"], j["label"], j["refers"]) for j in decision["judgments"]),
            tuple(rule_leaves(r) for r in decision["rules"]),
            tuple(decision["version"].items()),
        ),
    )


def build(record: tuple[Any, ...]) -> Output:
    """The full output's objects from their leaves: dict displays, fresh lists."""
    checks, d = record
    results = []
    for rule, kind, clause, quote, status, message, needs, unpublished in checks:
        shown = {
            "rule": rule,
            "kind": kind,
            "clause": clause,
            "quote": quote,
            "status": status,
            "message": message,
            "needs": list(needs),
        }
        if unpublished:
            shown["calendar_unpublished"] = list(unpublished)
        results.append(shown)
    policy, outcome, grants, pending, exempts, not_exempted, decided, missing, judgments = d[:9]
    rules, version = d[9], d[10]
    decision = {
        "policy": policy,
        "outcome": outcome,
        "grants": list(grants),
        "pending_grants": [
            {"grant": g, "outcome": o, "clause": c, "needs": list(n)} for g, o, c, n in pending
        ],
        "exempts": [
            {"rule": r, "clause": c, "quote": q, "holds": h, "needs": list(n)}
            for r, c, q, h, n in exempts
        ],
        "not_exempted": [
            {"rule": r, "clause": c, "quote": q, "holds": h, "needs": list(n)}
            for r, c, q, h, n in not_exempted
        ],
        "decided_by": [
            {
                "rule": r,
                "kind": k,
                "clause": c,
                "quote": q,
                "holds": h,
                "needs": list(n),
                "overridden_by": list(o),
            }
            for r, k, c, q, h, n, o in decided
        ],
        "missing": list(missing),
        "judgments": [{"judgment": j, "label": label, "refers": x} for j, label, x in judgments],
        "rules": [
            {
                "rule": r,
                "kind": k,
                "clause": c,
                "quote": q,
                "holds": h,
                "needs": list(n),
                "overridden_by": list(o),
            }
            for r, k, c, q, h, n, o in rules
        ],
        "version": dict(version),
    }
    return results, decision


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000, help="per policy (10,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine, best kept")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    model = load_program(ROOT)
    records = make_records(model, args.records, args.seed)
    with generated_package(model, "policyc-floor-") as (module_of, calendar, _):
        generated = generated_engine(module_of, calendar)
        interpreter = interpreter_engine(model)
        assert generated.run is not None and interpreter.run is not None
        engines: dict[str, dict[str, tuple[Callable[[Any], object], list[Any]]]] = {}
        for p in POLICIES:
            outputs = [generated.run[p](raw) for raw in records[p]]
            built = [leaves(o) for o in outputs]
            assert all(build(b) == o for b, o in zip(built, outputs, strict=True))
            batch: list[Raw] = records[p]
            engines.setdefault("generated", {})[p] = (generated.run[p], batch)
            engines.setdefault("interpreter", {})[p] = (interpreter.run[p], batch)
            engines.setdefault("typing the facts", {})[p] = (module_of[p].coerce, batch)
            engines.setdefault("output objects", {})[p] = (build, built)
        seconds: dict[str, dict[str, float]] = {name: {} for name in engines}
        for p in POLICIES:
            for _ in range(args.repeat):
                for name, runs in engines.items():
                    run, batch = runs[p]
                    gc.collect()
                    start = time.perf_counter()
                    for item in batch:
                        run(item)
                    took = time.perf_counter() - start
                    seconds[name][p] = min(seconds[name].get(p, took), took)

    def per_record(name: str, policy: str | None = None) -> float:
        ids = [policy] if policy else list(POLICIES)
        return sum(seconds[name][p] for p in ids) / sum(len(records[p]) for p in ids) * 1e6

    budget = per_record("interpreter") / 10
    print(f"records      {args.records:,} per policy ({', '.join(POLICIES)}), seed {args.seed}")
    print(f"timed        best of {args.repeat}; µs per record (check + decide, full output)")
    print()
    print("| what | µs per record | taierzhuang | weihai |")
    print("| --- | ---: | ---: | ---: |")
    for name in engines:
        cells = " | ".join(f"{per_record(name, p):,.1f}" for p in POLICIES)
        print(f"| {name} | {per_record(name):,.1f} | {cells} |")
    print()
    print(f"10x the interpreter is {budget:,.1f} µs per record.")
    floor = per_record("output objects") + per_record("typing the facts")
    print(
        f"typing the facts + building the output objects: {floor:,.1f} µs "
        f"({floor / budget:.0%} of that budget) before any condition, due date or message."
    )
    print(f"generated / interpreter: {per_record('interpreter') / per_record('generated'):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
