"""Front-end throughput: parsing, checking, deciding, due dates.  Prints figures only.

.venv/bin/python benchmarks/frontend.py [--repeat N]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta
from pathlib import Path

from compiler.check import check
from compiler.interpret import decide
from compiler.lower import load_program
from compiler.parser import parse_text
from compiler.project import load
from compiler.timelimits import due_date, load_calendar

ROOT = Path(__file__).resolve().parent.parent


def timed(label: str, count: int, unit: str, work: object) -> None:
    assert callable(work)
    start = time.perf_counter()
    work()
    elapsed = time.perf_counter() - start
    print(f"{label:<34} {count:>8} {unit:<10} {elapsed:8.3f} s   {count / elapsed:12,.0f} {unit}/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    files = sorted((ROOT / "policies").rglob("*.policy"))
    texts = [(str(p), p.read_text(encoding="utf-8")) for p in files]
    lines = sum(t.count("\n") for _, t in texts) * args.repeat

    def parse_all() -> None:
        for _ in range(args.repeat):
            for path, text in texts:
                parse_text(text, path)

    parse_text(texts[0][1], texts[0][0])  # build the parser once, outside the timing
    timed("parse (all policy files)", lines, "lines", parse_all)
    timed(
        "load + check (whole project)",
        args.repeat,
        "runs",
        lambda: [check(load(ROOT)) for _ in range(args.repeat)],
    )

    model = load_program(ROOT)
    rng = random.Random(7)
    bool_facts = sorted(
        [f for f, d in model.facts.items() if d.type.name == "bool"] + list(model.judgments)
    )
    cases = [
        {f: rng.choice([True, False]) for f in bool_facts if rng.random() < 0.7}
        for _ in range(2000)
    ]
    for policy_id in sorted(model.policies):
        policy = model.policies[policy_id]
        timed(
            f"decide {policy_id} (random facts)",
            len(cases),
            "decisions",
            lambda policy=policy: [decide(model, policy, c) for c in cases],
        )

    calendar = load_calendar()
    starts = [date(2005, 1, 1) + timedelta(days=rng.randrange(7000)) for _ in range(20000)]
    timed(
        "due date, 22 workdays",
        len(starts),
        "dates",
        lambda: [due_date(s, 22, "workdays", calendar) for s in starts],
    )


if __name__ == "__main__":
    main()
