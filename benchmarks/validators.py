"""Generated validators against the reference interpreter: decisions and case records checked
per second on synthetic records.  Prints figures only.

.venv/bin/python benchmarks/validators.py [--records N] [--interpreter-records M] [--seed S]
    [--pair-records P] [--repeat R] [--pair-only]

The package is generated into a temporary directory and imported from there.  Records are
deterministic pseudo-random JSON objects over each policy's facts, spread evenly over the
policies; the interpreter sees the first records of the same streams.  What is timed:

* generated: the full path, raw JSON in: `module.decide(raw)` (coercion, decision, explained
  JSON with the version) and `module.check_record(raw, calendar)` (coercion, every check);
  the calendar is loaded once and passed in.
* interpreter: typed facts, coerced once outside the timing with `compiler.interpret.
  coerce_facts`: `decide` + `explain`, and `compiler.runtime.checks.check_record` on the
  reference tables (conditions evaluated by the interpreter).  The coercion is timed on its
  own, so that the speed-up can also be read against the interpreter's full path.
* the issue-13 pair: check + decide on P 台儿庄 and P 威海 records, raw JSON in, every result
  out (`decide(raw)` and `[c.to_json() for c in check_record(raw, calendar)]`, messages
  included; also without to_json, the result objects alone), best of R runs; the interpreter
  on the same records by its full path (coercion, decide + explain, check_record, to_json),
  on a tenth of them.  `--pair-only` prints this part alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.records import Raw, RecordMaker, policy_numbers  # noqa: E402
from compiler import ir  # noqa: E402
from compiler.backends.package import PACKAGE, package_files  # noqa: E402
from compiler.build import write_tree  # noqa: E402
from compiler.interpret import coerce_facts, decide, explain, info  # noqa: E402
from compiler.lower import load_program  # noqa: E402
from compiler.runtime import checks  # noqa: E402
from compiler.runtime.policy import PolicyInfo  # noqa: E402
from compiler.runtime.timelimits import load_calendar  # noqa: E402

BATCH = 5000
PROGRESS_EVERY = 100_000
SAMPLE = 400  # records per policy compared between the engines (untimed)


# ---------------------------------------------------------------- timing


class Progress:
    def __init__(self, engine: str, total: int) -> None:
        self.engine, self.total = engine, total
        self.done = self.last = 0
        self.started = self.last_time = time.perf_counter()

    def add(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if not sys.stderr.isatty():
            return  # progress is for a terminal; CI logs get the figures only
        if self.done - self.last >= PROGRESS_EVERY or now - self.last_time >= 30:
            self.last, self.last_time = self.done, now
            print(
                f"  {self.engine}: {self.done:,}/{self.total:,} records, "
                f"{now - self.started:,.0f} s",
                file=sys.stderr,
                flush=True,
            )


def timed(work: Callable[[Any], object], items: list[Any]) -> float:
    start = time.perf_counter()
    for item in items:
        work(item)
    return time.perf_counter() - start


@dataclasses.dataclass
class Figures:
    records: int = 0
    decide: float = 0.0  # seconds
    check: float = 0.0
    coerce: float = 0.0  # coercion of the raw records alone, timed on its own

    def add(self, other: Figures) -> None:
        self.records += other.records
        self.decide += other.decide
        self.check += other.check
        self.coerce += other.coerce


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def run_generated(
    module: ModuleType, maker: RecordMaker, count: int, calendar: object, progress: Progress
) -> Figures:
    figures = Figures()

    def check_one(raw: Raw) -> object:
        return module.check_record(raw, calendar)

    def coerce_one(raw: Raw) -> object:
        if hasattr(module, "coerce"):
            return module.coerce(raw)
        return module.coerce_all(module.FACTS, raw)  # a package generated before issue 13

    left = count
    while left:
        batch = maker.batch(min(BATCH, left))
        figures.coerce += timed(coerce_one, batch)
        figures.decide += timed(module.decide, batch)
        figures.check += timed(check_one, batch)
        figures.records += len(batch)
        left -= len(batch)
        progress.add(len(batch))
    return figures


def run_interpreter(
    model: ir.Program,
    policy: ir.Policy,
    info: PolicyInfo,
    maker: RecordMaker,
    count: int,
    calendar: object,
    progress: Progress,
) -> Figures:
    figures = Figures()

    def decide_one(facts: dict[str, Any]) -> object:
        return explain(model, decide(model, policy, facts))

    def check_one(facts: dict[str, Any]) -> object:
        return checks.check_record(info, facts, calendar)  # type: ignore[arg-type]

    left = count
    while left:
        batch = maker.batch(min(BATCH, left))
        start = time.perf_counter()
        typed = [coerce_facts(model, raw) for raw in batch]
        figures.coerce += time.perf_counter() - start
        figures.decide += timed(decide_one, typed)
        figures.check += timed(check_one, typed)
        figures.records += len(batch)
        left -= len(batch)
        progress.add(len(batch))
    return figures


def agreement(
    model: ir.Program,
    policy: ir.Policy,
    info: PolicyInfo,
    module: ModuleType,
    records: list[Raw],
    calendars: tuple[object, object],
    tally: Counter[str],
) -> tuple[int, int]:
    """How many records both engines decide, and check, identically (untimed); `tally` counts
    the outcomes and the check statuses, to show what the records exercise."""
    decisions = checked = 0
    for raw in records:
        facts = coerce_facts(model, raw)
        generated = dict(module.decide(raw))
        generated.pop("version", None)
        decisions += generated == explain(model, decide(model, policy, facts))
        ours = [c.to_json() for c in module.check_record(raw, calendars[0])]
        tally[f"outcome {generated['outcome']}"] += 1
        tally.update(f"check {c['status']}" for c in ours)
        reference = [c.to_json() for c in checks.check_record(info, facts, calendars[1])]  # type: ignore[arg-type]
        checked += ours == reference
    return decisions, checked


# ---------------------------------------------------------------- the issue-13 pair

PAIR = ("taierzhuang", "weihai")


def pair_rate(
    engines: dict[str, tuple[Callable[[Raw], object], Callable[[Raw], list[Any]]]],
    records: dict[str, list[Raw]],
    repeat: int,
    full: bool,
) -> float:
    """Records per second, check + decide over the pair's records, best of `repeat`."""
    count = sum(len(r) for r in records.values())
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for pid, (decide_one, check_one) in engines.items():
            for raw in records[pid]:
                decide_one(raw)
                results = check_one(raw)
                if full:
                    [c.to_json() for c in results]
        best = min(best, time.perf_counter() - start)
    return rate(count, best)


def print_pair(
    model: ir.Program,
    modules: dict[str, ModuleType],
    makers: dict[str, RecordMaker],
    calendars: tuple[object, object],
    count: int,
    repeat: int,
) -> None:
    records = {pid: makers[pid].batch(count) for pid in PAIR}
    generated = {
        pid: (
            modules[pid].decide,
            lambda raw, m=modules[pid]: m.check_record(raw, calendars[0]),
        )
        for pid in PAIR
    }

    def interpreted(pid: str) -> tuple[Callable[[Raw], object], Callable[[Raw], list[Any]]]:
        policy = model.policies[pid]
        reference = info(model, policy)

        def decide_one(raw: Raw) -> object:
            return explain(model, decide(model, policy, coerce_facts(model, raw)))

        def check_one(raw: Raw) -> list[Any]:
            facts = coerce_facts(model, raw)
            return checks.check_record(reference, facts, calendars[1])  # type: ignore[arg-type]

        return decide_one, check_one

    reference = {pid: interpreted(pid) for pid in PAIR}
    few = {pid: r[: max(1, count // 10)] for pid, r in records.items()}
    full = pair_rate(generated, records, repeat, True)
    objects = pair_rate(generated, records, repeat, False)
    interpreter = pair_rate(reference, few, repeat, True)
    print(
        f"issue-13 pair: check + decide, raw JSON in, {count:,} {PAIR[0]} + {count:,} {PAIR[1]} "
        f"records, best of {repeat}"
    )
    print(f"  generated, full output (to_json, messages):  {full:>9,.0f} records/s")
    print(f"  generated, result objects (messages lazy):   {objects:>9,.0f} records/s")
    print(
        f"  interpreter, full output ({sum(len(r) for r in few.values()):,} records):"
        f"{interpreter:>12,.0f} records/s   generated / interpreter {full / interpreter:.1f}x"
    )


# ---------------------------------------------------------------- report


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="generated code, total")
    parser.add_argument(
        "--interpreter-records", type=int, default=100_000, help="interpreter, total"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pair-records", type=int, default=20_000, help="per policy of the pair")
    parser.add_argument("--repeat", type=int, default=5, help="the pair: best of this many runs")
    parser.add_argument("--pair-only", action="store_true", help="the issue-13 pair alone")
    args = parser.parse_args()

    wall = time.perf_counter()
    model = load_program(ROOT)
    ids = sorted(model.policies)
    calendar = load_calendar()
    with tempfile.TemporaryDirectory(prefix="policyc-bench-") as tmp:
        write_tree(Path(tmp) / "validators", package_files(model))
        sys.path.insert(0, str(Path(tmp) / "validators"))
        package = importlib.import_module(PACKAGE)
        assert Path(package.__file__ or "").is_relative_to(tmp), package.__file__
        modules = {pid: importlib.import_module(f"{PACKAGE}.{pid}") for pid in ids}
        generated_calendar = importlib.import_module(f"{PACKAGE}.runtime.timelimits")
        package_calendar = generated_calendar.load_calendar()

        infos = {pid: info(model, model.policies[pid]) for pid in ids}
        numbers = {pid: policy_numbers(model, model.policies[pid]) for pid in ids}

        def maker(pid: str) -> RecordMaker:
            return RecordMaker(infos[pid], numbers[pid], args.seed)

        if args.pair_only:
            makers = {pid: maker(pid) for pid in PAIR}
            calendars = (package_calendar, calendar)
            print_pair(model, modules, makers, calendars, args.pair_records, args.repeat)
            sys.path.remove(str(Path(tmp) / "validators"))
            return

        generated: dict[str, Figures] = {}
        reference: dict[str, Figures] = {}
        progress = Progress("generated", args.records)
        for pid, count in zip(ids, split(args.records, len(ids)), strict=True):
            generated[pid] = run_generated(
                modules[pid], maker(pid), count, package_calendar, progress
            )
        progress = Progress("interpreter", args.interpreter_records)
        for pid, count in zip(ids, split(args.interpreter_records, len(ids)), strict=True):
            policy = model.policies[pid]
            reference[pid] = run_interpreter(
                model, policy, infos[pid], maker(pid), count, calendar, progress
            )
        tally: Counter[str] = Counter()
        agreed = {
            pid: agreement(
                model,
                model.policies[pid],
                infos[pid],
                modules[pid],
                maker(pid).batch(SAMPLE),
                (package_calendar, calendar),
                tally,
            )
            for pid in ids
        }
        pair_makers = {pid: maker(pid) for pid in PAIR}
        calendars = (package_calendar, calendar)
        print_pair(model, modules, pair_makers, calendars, args.pair_records, args.repeat)
        print()
        # check_record(raw) without a calendar loads the bundled one on every call.
        sample = maker(ids[0]).batch(200)
        no_calendar = rate(len(sample), timed(modules[ids[0]].check_record, sample))
        sys.path.remove(str(Path(tmp) / "validators"))

    print(f"machine      {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"python       {platform.python_implementation()} {platform.python_version()}")
    print(
        f"records      generated {args.records:,}, interpreter {args.interpreter_records:,} "
        f"(the first records of the same streams), each spread evenly over {len(ids)} policies;"
    )
    print(f"             seed {args.seed}, dates 2020-2025")
    print("timed        generated: raw JSON in (coercion included), calendar passed in;")
    print("             interpreter: typed facts (coerced outside the timing)")
    print()
    header = (
        f"{'policy':<12} {'facts':>5}  {'decisions/s':>24} {'speed-up':>9}"
        f"  {'records checked/s':>24} {'speed-up':>9}"
    )
    print(header)
    print(
        f"{'':<12} {'':>5}  {'generated':>12}{'interpreter':>12} {'':>9}"
        f"  {'generated':>12}{'interpreter':>12}"
    )
    print("-" * len(header))
    total_gen, total_ref = Figures(), Figures()
    for pid in [*ids, "all"]:
        if pid == "all":
            print("-" * len(header))
            gen, ref, facts = total_gen, total_ref, ""
        else:
            gen, ref, facts = generated[pid], reference[pid], str(len(infos[pid].facts))
            total_gen.add(gen)
            total_ref.add(ref)
        gen_decide, ref_decide = rate(gen.records, gen.decide), rate(ref.records, ref.decide)
        gen_check, ref_check = rate(gen.records, gen.check), rate(ref.records, ref.check)
        print(
            f"{pid:<12} {facts:>5}  {gen_decide:>12,.0f}{ref_decide:>12,.0f}"
            f" {gen_decide / ref_decide:>8.1f}x  {gen_check:>12,.0f}{ref_check:>12,.0f}"
            f" {gen_check / ref_check:>8.1f}x"
        )
    print()
    gen, ref = total_gen, total_ref

    def factors(gen_extra: float, ref_extra: float) -> str:
        decisions = rate(gen.records, gen.decide + gen_extra) / rate(
            ref.records, ref.decide + ref_extra
        )
        checked = rate(gen.records, gen.check + gen_extra) / rate(
            ref.records, ref.check + ref_extra
        )
        return f"decisions {decisions:.1f}x, records checked {checked:.1f}x"

    print(
        f"coercion alone: generated coerce {rate(gen.records, gen.coerce):,.0f} records/s, "
        f"interpreter coerce_facts {rate(ref.records, ref.coerce):,.0f} records/s"
    )
    print(f"speed-up, both engines paying for coercion:   {factors(0.0, ref.coerce)}")
    print(f"speed-up, neither (generated minus its own):  {factors(-gen.coerce, 0.0)}")
    print(
        f"generated check_record(raw) without a calendar (the bundled one, read once): "
        f"{no_calendar:,.0f} records/s ({ids[0]}, {len(sample)} records)"
    )
    sampled = SAMPLE * len(ids)
    same_decisions = sum(d for d, _ in agreed.values())
    same_checks = sum(c for _, c in agreed.values())
    print(
        f"agreement on {sampled:,} sample records: identical decisions {same_decisions:,}, "
        f"identical checks {same_checks:,}"
    )
    for kind in ("outcome", "check"):
        shown = ", ".join(
            f"{key.split()[1]} {count:,}"
            for key, count in sorted(tally.items())
            if key.startswith(kind)
        )
        print(f"  {kind}s in the sample: {shown}")
    print(f"wall time    {time.perf_counter() - wall:,.1f} s")


if __name__ == "__main__":
    main()
