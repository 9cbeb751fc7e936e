"""Every engine side by side on the same case records of 台儿庄 and 威海: the generated
package, the reference interpreter, plain hand-written Python (benchmarks/baselines/), DuckDB
over the generated SQL, and OpenFisca if installed.  Prints records/s and the ratios the
issue's targets name; checks that every engine agrees with the generated package on every
record.  Figures are printed, never asserted; exit 1 only when an engine disagrees.

.venv/bin/python benchmarks/sidebyside.py [--records N] [--repeat K] [--interpreter-repeat K]
                                          [--seed S]

What is timed (per engine, best of K runs over all records):

* Python engines: raw JSON objects in (as `json.loads` gives them), full results out: every
  check result with its message (`CheckResult.to_json()`) and the explained decision with the
  policy's version — what `validate --json` prints per record.
  - generated: the package generated into a temporary directory (as benchmarks/validators.py
    does) from this worktree's compiler; `evaluate(raw, calendar)`: `check_record(raw,
    calendar)` + `decide(raw)` with the record's facts typed once.
  - interpreter: `compiler.interpret.coerce_facts`, `compiler.runtime.checks.check_record`
    with the interpreter's conditions, `interpret.decide` + `explain`.
  - hand-written: benchmarks/baselines/<policy>.py `check_record(raw)` + `decide(raw)`.
  Each must give the generated package's output byte for byte (JSON text) on every record.
* DuckDB (one thread), when `compiler.backends.sql` and duckdb import and the generated
  package carries its SQL (docs/sql.md): the `SELECT` of each policy over `policyc_cases`
  (a) with the table already loaded, (b) from a JSONL file of the raw records to the result
  rows.  It must give the generated package's statuses and needs of every check, and the
  outcome, missing facts, judgments and deciding rules of the decision, on every record.
* OpenFisca, where openfisca-core is installed (optional): benchmarks/baselines/
  openfisca_weihai.py, a hand-written OpenFisca model of 威海's decision that computes its
  outcome alone, vectorised over all the 威海 records at once.  Not comparable with the rows
  above (no checks, no explained decision), so it has a table of its own: 威海's decision
  alone, against the generated package's `decide(raw)` on the same records, (a) from the raw
  JSON objects (the numpy arrays built in Python, then the calculation), (b) the arrays given;
  its outcome must be the generated package's on every record.

Progress goes to stderr on a terminal only.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import importlib.util
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.records import Raw, RecordMaker, policy_numbers  # noqa: E402
from compiler import interpret  # noqa: E402
from compiler.backends.package import PACKAGE, package_files  # noqa: E402
from compiler.build import write_tree  # noqa: E402
from compiler.lower import load_program  # noqa: E402
from compiler.runtime import checks  # noqa: E402
from compiler.runtime.kinds import Kind  # noqa: E402
from compiler.runtime.timelimits import load_calendar  # noqa: E402

POLICIES = ("taierzhuang", "weihai")  # the two with a hand-written baseline
NAMES = {"taierzhuang": "台儿庄", "weihai": "威海"}
DECISION_KINDS = (Kind.GATE, Kind.SITUATION, Kind.EXCLUSION)

Output = tuple[list[dict[str, object]], dict[str, object]]  # check results, decision


def progress(text: str) -> None:
    if sys.stderr.isatty():
        print(f"  {text}", file=sys.stderr, flush=True)


def dumps(output: object) -> str:
    return json.dumps(output, ensure_ascii=False)


# ---------------------------------------------------------------- engines


@dataclass
class Engine:
    name: str
    label: str
    # per policy: raw record -> full output; None for an engine that runs whole tables
    run: dict[str, Callable[[Raw], Output]] | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # best run, per policy
    note: str = ""  # why there is no figure
    checked: int = 0  # records compared with the generated package
    disagreements: list[str] = field(default_factory=list)

    def rate(self, records: dict[str, list[Raw]], policy: str | None = None) -> float | None:
        if not self.seconds:
            return None
        ids = [policy] if policy else list(records)
        count = sum(len(records[p]) for p in ids)
        seconds = sum(self.seconds[p] for p in ids)
        return count / seconds if seconds > 0 else float("inf")


def time_python(engines: list[tuple[Engine, int]], records: dict[str, list[Raw]]) -> None:
    """Best of each engine's repeats, per policy.  The engines take turns, one run each per
    round, so that a machine busy with other work slows them alike.  Each result is dropped
    as soon as it is made, as a run that streams its results out would: keeping 40,000 of
    them would time the garbage collector too."""
    for policy, batch in records.items():
        for attempt in range(max(repeat for _, repeat in engines)):
            for engine, repeat in engines:
                if attempt >= repeat:
                    continue
                assert engine.run is not None
                run = engine.run[policy]
                progress(f"{engine.name}: {NAMES[policy]} run {attempt + 1}/{repeat}")
                gc.collect()
                start = time.perf_counter()
                for raw in batch:
                    run(raw)
                seconds = time.perf_counter() - start
                engine.seconds[policy] = min(engine.seconds.get(policy, seconds), seconds)


def compare_full(engines: list[Engine], generated: Engine, records: dict[str, list[Raw]]) -> None:
    """Every engine's full output against the generated package's, as JSON text, record by
    record (untimed; nothing is kept but the differences)."""
    assert generated.run is not None
    for policy, batch in records.items():
        progress(f"comparing the engines on {NAMES[policy]}")
        for index, raw in enumerate(batch):
            reference = generated.run[policy](raw)
            expected = dumps(reference)
            for engine in engines:
                assert engine.run is not None
                engine.checked += 1
                ours = engine.run[policy](raw)
                if dumps(ours) != expected:
                    difference = first_difference(ours, reference)
                    engine.disagreements.append(f"{policy} record {index}: {difference[:400]}")


def make_records(model: Any, count: int, seed: int) -> dict[str, list[Raw]]:
    """`count` random raw records of each policy of POLICIES, seeded."""
    return {
        p: RecordMaker(
            interpret.info(model, model.policies[p]),
            policy_numbers(model, model.policies[p]),
            seed,
        ).batch(count)
        for p in POLICIES
    }


@contextlib.contextmanager
def generated_package(
    model: Any, prefix: str
) -> Iterator[tuple[dict[str, ModuleType], object, Path]]:
    """The validators package generated from this checkout into a temporary directory (as
    `policyc build` writes it) and imported from there: its POLICIES modules, its calendar,
    its folder.  On exit the package's modules leave `sys.modules` (those of another copy
    imported before are put back), so that a later import does not find a deleted folder's."""
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] == PACKAGE}
    for name in saved:
        del sys.modules[name]
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        tree = Path(tmp) / "validators"
        write_tree(tree, package_files(model))
        sys.path.insert(0, str(tree))
        try:
            package = importlib.import_module(PACKAGE)
            package_dir = Path(package.__file__ or "").parent
            assert package_dir.is_relative_to(tmp), package_dir
            module_of = {p: importlib.import_module(f"{PACKAGE}.{p}") for p in POLICIES}
            timelimits = importlib.import_module(f"{PACKAGE}.runtime.timelimits")
            yield module_of, timelimits.load_calendar(), package_dir
        finally:
            sys.path.remove(str(tree))
            for name in [k for k in sys.modules if k.split(".")[0] == PACKAGE]:
                del sys.modules[name]
            sys.modules.update(saved)


def generated_engine(module_of: dict[str, ModuleType], calendar: object) -> Engine:
    def runner(module: ModuleType) -> Callable[[Raw], Output]:
        evaluate = module.evaluate

        def run(raw: Raw) -> Output:
            # check_record(raw, calendar) and decide(raw), the record's facts typed once.
            results, decision = evaluate(raw, calendar)
            return [c.to_json() for c in results], decision

        return run

    return Engine(
        "generated",
        "generated package",
        {p: runner(module_of[p]) for p in POLICIES},
    )


def interpreter_engine(model: Any) -> Engine:
    calendar = load_calendar()

    def runner(policy_id: str) -> Callable[[Raw], Output]:
        policy = model.policies[policy_id]
        info = interpret.info(model, policy)
        # The interpreter has no version stamp of its own: the package's, keys sorted.
        version = dict(sorted(info.version.items()))

        def run(raw: Raw) -> Output:
            facts = interpret.coerce_facts(model, raw)
            results = [c.to_json() for c in checks.check_record(info, facts, calendar)]
            decision = interpret.explain(model, interpret.decide(model, policy, facts))
            return results, {**decision, "version": version}

        return run

    return Engine(
        "interpreter",
        "reference interpreter (compiler/interpret.py + runtime)",
        {p: runner(p) for p in POLICIES},
    )


def baseline_engine() -> Engine:
    def runner(policy_id: str) -> Callable[[Raw], Output]:
        module = importlib.import_module(f"benchmarks.baselines.{policy_id}")
        check_record, decide = module.check_record, module.decide

        def run(raw: Raw) -> Output:
            return check_record(raw), decide(raw)

        return run

    return Engine(
        "hand-written",
        "plain hand-written Python, same full output (benchmarks/baselines/)",
        {p: runner(p) for p in POLICIES},
    )


def first_difference(ours: Output, theirs: Output) -> str:
    for mine, reference in zip(ours[0], theirs[0], strict=False):
        if dumps(mine) != dumps(reference):
            return f"check {reference.get('rule')}: {dumps(mine)} != {dumps(reference)}"
    if len(ours[0]) != len(theirs[0]):
        return f"{len(ours[0])} check results, the generated package {len(theirs[0])}"
    for key in theirs[1]:
        if dumps(ours[1].get(key)) != dumps(theirs[1][key]):
            return f"decision {key}: {dumps(ours[1].get(key))} != {dumps(theirs[1][key])}"
    return "the JSON differs (key order?)"


# ---------------------------------------------------------------- DuckDB (docs/sql.md)


def duckdb_note(package_dir: Path) -> str:
    """Why DuckDB cannot run here, or '' when it can."""
    if importlib.util.find_spec("compiler.backends.sql") is None:
        return "not available (no compiler.backends.sql)"
    if importlib.util.find_spec("duckdb") is None:
        return "not available (duckdb is not installed)"
    missing = [p for p in POLICIES if not (package_dir / "sql" / f"{p}.sql").is_file()]
    if missing or not (package_dir / "sql" / "calendar.csv").is_file():
        return f"not available (the generated package has no sql/ for {', '.join(missing)})"
    return ""


# The columns of `policyc_cases` per fact type (docs/sql.md, "Relations the SQL reads").
SQL_TYPES = {
    "bool": "BOOLEAN",
    "int": "DECIMAL(38, 10)",
    "money": "DECIMAL(38, 10)",
    "ratio": "DECIMAL(38, 10)",
    "date": "DATE",
    "enum": "VARCHAR",
    "text": "VARCHAR",
}


def case_columns(facts: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(column, type, expression over the raw JSON columns) for each fact, in FACTS' order;
    the raw JSON gives a date-time and a duration as text, converted here."""
    for name, spec in facts.items():
        quoted = f'"{name}"'
        if spec.type == "datetime":
            # A date alone is the whole day (its time of day not given).
            yield name, "TIMESTAMP", f"CAST({quoted} AS TIMESTAMP)"
            yield f"{name}__timed", "BOOLEAN", f"length({quoted}) > 10"
        elif spec.type == "duration":
            pattern = "'^([0-9]+) ([a-z]+)$'"
            yield (
                f"{name}__amount",
                "BIGINT",
                f"CAST(regexp_extract({quoted}, {pattern}, 1) AS BIGINT)",
            )
            yield f"{name}__unit", "VARCHAR", f"NULLIF(regexp_extract({quoted}, {pattern}, 2), '')"
        else:
            yield name, SQL_TYPES[spec.type], f"CAST({quoted} AS {SQL_TYPES[spec.type]})"


def raw_json_types(facts: dict[str, Any]) -> str:
    """read_json's `columns`: the record as JSON gives it (text for date-times, durations)."""
    columns = {"id": "VARCHAR"}
    for name, spec in facts.items():
        raw = spec.type in ("datetime", "duration")
        columns[name] = "VARCHAR" if raw else SQL_TYPES[spec.type]
    return "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"


def run_duckdb(
    engine_table: Engine,
    engine_file: Engine,
    package_dir: Path,
    module_of: dict[str, ModuleType],
    records: dict[str, list[Raw]],
    generated: Engine,
    repeat: int,
    workdir: Path,
) -> None:
    import duckdb  # optional: only here

    connection = duckdb.connect()
    connection.execute("SET threads = 1")
    calendar = package_dir / "sql" / "calendar.csv"
    connection.execute(
        f"CREATE TABLE policyc_calendar AS SELECT * FROM read_csv('{calendar}', header = true)"
    )
    for policy, batch in records.items():
        facts = module_of[policy].FACTS
        sql = (package_dir / "sql" / f"{policy}.sql").read_text(encoding="utf-8").strip()
        sql = sql.removesuffix(";")
        source = workdir / f"{policy}.jsonl"
        with source.open("w", encoding="utf-8") as out:
            for index, raw in enumerate(batch):
                out.write(dumps({"id": str(index), **raw}) + "\n")
        columns = list(case_columns(facts))
        select = ", ".join(f'{expr} AS "{col}"' for col, _, expr in columns)
        load = (
            f"SELECT id, {select} FROM read_json('{source}', format = 'newline_delimited', "
            f"columns = {raw_json_types(facts)})"
        )
        # (a) the table loaded beforehand: the query alone, results fetched.
        connection.execute("DROP TABLE IF EXISTS policyc_cases")
        connection.execute(f"CREATE TABLE policyc_cases AS {load}")
        best, rows, names = float("inf"), [], []
        for attempt in range(repeat):
            progress(f"duckdb (table): {NAMES[policy]} run {attempt + 1}/{repeat}")
            start = time.perf_counter()
            cursor = connection.execute(sql)
            rows = cursor.fetchall()
            best = min(best, time.perf_counter() - start)
            names = [d[0] for d in cursor.description]
        engine_table.seconds[policy] = best
        compare_sql(engine_table, policy, module_of[policy], batch, generated, names, rows)
        # (b) from the JSONL file to the results: reading and typing the records is timed.
        connection.execute("DROP TABLE policyc_cases")
        best = float("inf")
        for attempt in range(repeat):
            progress(f"duckdb (file): {NAMES[policy]} run {attempt + 1}/{repeat}")
            start = time.perf_counter()
            connection.execute(f"CREATE OR REPLACE TEMP TABLE policyc_cases AS {load}")
            cursor = connection.execute(sql)
            rows = cursor.fetchall()
            best = min(best, time.perf_counter() - start)
            names = [d[0] for d in cursor.description]
        engine_file.seconds[policy] = best
        compare_sql(engine_file, policy, module_of[policy], batch, generated, names, rows)
        connection.execute("DROP TABLE policyc_cases")


def compare_sql(
    engine: Engine,
    policy: str,
    module: ModuleType,
    batch: list[Raw],
    generated: Engine,
    names: list[str],
    rows: list[tuple[Any, ...]],
) -> None:
    """Statuses and needs of every check (in check_record's order), and the decision's
    outcome, missing facts, judgments and deciding rules, against the generated package."""
    statuses = [n for n in names if n.endswith("__status")]
    position = {n: i for i, n in enumerate(names)}
    decision_facts = {
        name for rule in module.POLICY.rules if rule.kind in DECISION_KINDS for name in rule.reads
    }
    by_id = {str(row[position["id"]]): row for row in rows}
    if len(by_id) != len(batch):
        engine.disagreements.append(f"{policy}: {len(by_id)} result rows for {len(batch)} records")
    assert generated.run is not None
    for index, raw in enumerate(batch):
        results, decision = generated.run[policy](raw)
        engine.checked += 1
        row = by_id.get(str(index))
        if row is None:
            engine.disagreements.append(f"{policy} record {index}: no result row")
            continue
        ours: list[object] = []
        theirs: list[object] = []
        if len(statuses) != len(results):
            engine.disagreements.append(
                f"{policy}: {len(statuses)} checks in SQL, {len(results)} in the package"
            )
            return
        for status, result in zip(statuses, results, strict=True):
            column = status.removesuffix("__status")
            ours += [row[position[status]], row[position[f"{column}__needs"]]]
            theirs += [result["status"], ",".join(result["needs"])]  # type: ignore[arg-type]
        if decision_facts & {k for k, v in raw.items() if v is not None}:
            theirs += [
                str(decision["outcome"]),
                ",".join(decision["missing"]),  # type: ignore[arg-type]
                ",".join(j["judgment"] for j in decision["judgments"]),  # type: ignore[attr-defined]
                ",".join(r["rule"] for r in decision["decided_by"]),  # type: ignore[attr-defined]
            ]
            ours += [row[position[c]] for c in ("outcome", "missing", "judgments", "decided_by")]
        else:
            theirs.append(None)
            ours.append(row[position["outcome"]])
        if ours != theirs:
            engine.disagreements.append(f"{policy} record {index}: SQL {ours} != package {theirs}")


# ---------------------------------------------------------------- report


def run_openfisca(
    engine: Engine, module: ModuleType, records: dict[str, list[Raw]], repeat: int
) -> list[tuple[str, float]]:
    """威海's decision alone: the generated package's `decide(raw)` and the OpenFisca model
    (from the raw records; the arrays given), taking turns, best of `repeat` seconds each;
    the OpenFisca outcome compared with the package's on every record (`engine`)."""
    from benchmarks.baselines import openfisca_weihai as model

    batch = records["weihai"]
    system = model.system()
    decide = module.decide
    arrays = model.columns(batch)

    def generated() -> None:
        for raw in batch:
            decide(raw)

    runs: list[tuple[str, Callable[[], object]]] = [
        ("generated package, `decide(raw)` (the explained decision)", generated),
        (
            "OpenFisca, from the raw records (numpy arrays built in Python)",
            lambda: model.outcomes(system, model.columns(batch)),
        ),
        ("OpenFisca, the arrays given", lambda: model.outcomes(system, arrays)),
    ]
    best = {label: float("inf") for label, _ in runs}
    for attempt in range(repeat):
        for label, run in runs:
            progress(f"威海's decision alone: {label.split(',')[0]} run {attempt + 1}/{repeat}")
            gc.collect()
            start = time.perf_counter()
            run()
            best[label] = min(best[label], time.perf_counter() - start)
    for index, (raw, outcome) in enumerate(zip(batch, model.outcomes(system, arrays), strict=True)):
        engine.checked += 1
        expected = str(decide(raw)["outcome"])
        if outcome != expected:
            engine.disagreements.append(
                f"weihai record {index}: OpenFisca {outcome}, generated package {expected}"
            )
    return [(label, best[label]) for label, _ in runs]


def figure(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="per policy (default 20,000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per engine, best kept")
    parser.add_argument(
        "--interpreter-repeat",
        type=int,
        default=1,
        help="runs of the interpreter, best kept (default 1: it is the slowest by far)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.records < 1 or args.repeat < 1 or args.interpreter_repeat < 1:
        parser.error("--records, --repeat and --interpreter-repeat are at least 1")

    wall = time.perf_counter()
    model = load_program(ROOT)
    records = make_records(model, args.records, args.seed)
    with generated_package(model, "policyc-sidebyside-") as (module_of, calendar, package_dir):
        work = package_dir.parent.parent  # the temporary directory, for DuckDB's files
        generated = generated_engine(module_of, calendar)
        baseline = baseline_engine()
        interpreter = interpreter_engine(model)
        time_python(
            [
                (generated, args.repeat),
                (baseline, args.repeat),
                (interpreter, args.interpreter_repeat),
            ],
            records,
        )
        compare_full([baseline, interpreter], generated, records)
        table = Engine("duckdb", "DuckDB SQL over the same records (table loaded), one thread")
        from_file = Engine("duckdb-file", "DuckDB, JSONL file to results, one thread")
        note = duckdb_note(package_dir)
        if note:
            table.note = from_file.note = note
        else:
            run_duckdb(
                table, from_file, package_dir, module_of, records, generated, args.repeat, work
            )
        openfisca = Engine("openfisca", "OpenFisca (vectorised numpy)")
        decision_alone: list[tuple[str, float]] = []
        if importlib.util.find_spec("openfisca_core") is None:
            openfisca.note = "not installed (optional: pip install -e '.[openfisca]')"
        else:
            openfisca.note = "威海's decision alone: the table below"
            decision_alone = run_openfisca(openfisca, module_of["weihai"], records, args.repeat)

    engines = [generated, baseline, interpreter, table, from_file, openfisca]
    base = generated.rate(records)
    assert base is not None
    total = sum(len(b) for b in records.values())
    print(f"machine      {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"python       {platform.python_implementation()} {platform.python_version()}")
    print(
        "records      "
        + " + ".join(f"{len(records[p]):,} {NAMES[p]} ({p})" for p in POLICIES)
        + f", seed {args.seed}"
    )
    print(
        f"timed        raw JSON objects in, full results out; best of {args.repeat} "
        f"(interpreter: best of {args.interpreter_repeat})"
    )
    print()
    print("| engine | records/s (check + decide) | vs generated |")
    print("| --- | ---: | ---: |")
    for engine in engines:
        rate = engine.rate(records)
        if rate is None:
            print(f"| {engine.label} | {engine.note} | |")
        else:
            print(f"| {engine.label} | {rate:,.0f} | {rate / base:.2f}× |")
    print()
    print("per policy, records/s:")
    timed = [e for e in engines if e.seconds]
    print("  " + f"{'policy':<12}" + "".join(f"{e.name:>14}" for e in timed))
    for policy in POLICIES:
        print(
            "  "
            + f"{policy:<12}"
            + "".join(f"{figure(e.rate(records, policy)):>14}" for e in timed)
        )
    if decision_alone:
        weihai = len(records["weihai"])
        print()
        print(f"威海's decision alone, {weihai:,} records, best of {args.repeat}:")
        print()
        print("| engine | records/s (decision) | vs generated |")
        print("| --- | ---: | ---: |")
        reference = weihai / decision_alone[0][1]
        for label, seconds in decision_alone:
            print(f"| {label} | {weihai / seconds:,.0f} | {weihai / seconds / reference:.2f}× |")
    print()
    hand = baseline.rate(records)
    reference_rate = interpreter.rate(records)
    assert hand is not None and reference_rate is not None
    within = "met" if hand / base <= 2 else "not met"
    print(
        f"target  generated within 2x of hand-written: the hand-written baseline is "
        f"{hand / base:.2f}x the generated package ({within})"
    )
    faster = "met" if base / reference_rate >= 10 else "not met"
    print(
        f"target  generated at least 10x the interpreter: {base / reference_rate:.2f}x ({faster})"
    )
    print()
    failed = False
    for engine in engines:
        if engine is generated or not (engine.seconds or engine.checked):
            continue
        what = (
            "statuses, needs, outcomes"
            if engine.name.startswith("duckdb")
            else "威海's outcomes"
            if engine.name == "openfisca"
            else "full output"
        )
        if engine.disagreements:
            failed = True
            print(
                f"DISAGREE {engine.name}: {len(engine.disagreements):,} of {engine.checked:,} "
                f"records differ from the generated package ({what}); first:"
            )
            for line in engine.disagreements[:3]:
                print(f"  {line}")
        else:
            compared = len(records["weihai"]) if engine.name == "openfisca" else total
            print(
                f"agree    {engine.name}: {engine.checked:,} of {compared:,} records identical "
                f"to the generated package ({what})"
            )
    print(f"wall time    {time.perf_counter() - wall:,.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
