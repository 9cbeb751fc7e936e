"""Synthetic case records for the benchmarks: deterministic pseudo-random JSON objects over one
policy's facts, shared by benchmarks/validators.py and benchmarks/sidebyside.py.

A record gives each fact with a probability drawn per record (sparse and dense records both);
numbers are drawn near the literals the policy compares the fact with, so that conditions go
both ways; dates lie in 2020-2025 (the official working-day calendar covers them), close to
one another so that time limits are met and missed; an excluded period is given in order.
The same seed gives the same records, on every machine.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from compiler import ir
from compiler import nodes as n
from compiler.runtime.policy import PolicyInfo
from compiler.runtime.values import Duration, FactSpec

FIRST_DAY = date(2020, 1, 1)
LAST_BASE = date(2025, 11, 15)  # + at most DATE_SPREAD days: every date stays in 2020-2025
DATE_SPREAD = 45

Raw = dict[str, object]


def _walk(node: object) -> Iterator[object]:
    """Every node below `node` (dataclasses and tuples of them), `node` included."""
    yield node
    if isinstance(node, tuple):
        for item in node:
            yield from _walk(item)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            if f.name != "span":
                yield from _walk(getattr(node, f.name))


def policy_numbers(model: ir.Program, policy: ir.Policy) -> dict[str, list[object]]:
    """For each fact, the literals it is compared with (`lucheng_age < 18` -> 18)."""
    roots: list[object] = [c for r in policy.rules for c in r.conditions]
    roots += [limit.when for limit in policy.limits if limit.when is not None]
    roots += [limit.extend.when for limit in policy.limits if limit.extend is not None]
    roots += [d.expr for d in policy.defines]
    roots += [d.expr for d in model.defines.values()]
    found: dict[str, list[object]] = {}
    for root in roots:
        for node in _walk(root):
            if not isinstance(node, n.Compare):
                continue
            for side, other in ((node.left, node.right), (node.right, node.left)):
                literals = [x.value for x in _walk(other) if isinstance(x, n.Literal)]
                for name in model.inputs_of(side):
                    found.setdefault(name, []).extend(literals)
    return found


class RecordMaker:
    """Deterministic JSON records over one policy's facts."""

    def __init__(self, info: PolicyInfo, numbers: dict[str, list[object]], seed: int) -> None:
        self.rng = random.Random(f"{seed}:{info.id}")
        self.specs = list(info.facts.values())
        self.numbers = numbers
        # An excluded period (不含公示期) is given in order: its end is never before its start.
        self.periods = [
            (limit.excluded_from, limit.excluded_until)
            for limit in info.limits
            if limit.excluded_from is not None and limit.excluded_until is not None
        ]

    def batch(self, count: int) -> list[Raw]:
        return [self.record() for _ in range(count)]

    def record(self) -> Raw:
        rng = self.rng
        presence = rng.uniform(0.2, 0.9)  # sparse and dense records both
        base = FIRST_DAY + timedelta(days=rng.randrange((LAST_BASE - FIRST_DAY).days))
        raw: Raw = {}
        for spec in self.specs:
            if rng.random() < presence:
                raw[spec.name] = self.value(spec, base)
        for first, last in self.periods:
            a, b = raw.get(first), raw.get(last)
            if isinstance(a, str) and isinstance(b, str) and a > b:
                raw[first], raw[last] = b, a
        return raw

    def value(self, spec: FactSpec, base: date) -> object:
        rng = self.rng
        kind = spec.type
        near = [x for x in self.numbers.get(spec.name, ()) if isinstance(x, Decimal)]
        if kind == "bool":
            return rng.random() < 0.5
        if kind == "enum":
            return rng.choice(spec.members)
        if kind == "date":
            return (base + timedelta(days=rng.randrange(DATE_SPREAD + 1))).isoformat()
        if kind == "datetime":
            # Within two days of the base, some by their date alone: hour limits' three answers.
            day = base + timedelta(days=rng.randrange(3))
            if rng.random() < 0.5:
                return day.isoformat()
            return f"{day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}"
        if kind == "duration":
            durations = [x for x in self.numbers.get(spec.name, ()) if isinstance(x, Duration)]
            if durations and durations[0].unit in ("years", "months"):
                years = max(0, durations[0].amount + rng.randint(-3, 3))
                return f"{years} years" if rng.random() < 0.5 else f"{years * 12} months"
            return f"{rng.randint(1, 24)} months"
        if kind == "int":
            near = [x for x in near if x >= 1]
            if near:
                return max(0, int(rng.choice(near)) + rng.randint(-2, 2))
            return rng.randint(0, 100)
        if kind == "money":
            if near:
                return round(float(rng.choice(near)) * rng.uniform(0.5, 1.5), 2)
            return round(rng.uniform(0, 100_000), 2)
        if kind == "ratio":
            if near:
                return round(float(rng.choice(near)) * rng.uniform(0.5, 1.5), 3)
            return round(rng.random(), 3)
        return rng.choice(["是", "否", "不详"])  # text
