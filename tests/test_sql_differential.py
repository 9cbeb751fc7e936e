"""The SQL backend against the Python package, record by record: for every policy, thousands of
random records (tests/sqlcases.py) checked and decided by the generated package and by the
generated SQL in DuckDB (docs/sql.md): every check's status, needs and unpublished years, and
the decision's outcome, missing facts, judgments and deciding rules are equal; a record the
package refuses (a date outside the calendar) is the SQL's `error` row.

Two sets per policy: dates in 2020-2025 (settled holiday schedules) and the same records moved
two years later, into the years whose schedule is not yet published (provisional due dates)."""

from __future__ import annotations

import importlib
import json
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb  # in the test extra: CI has it, so a missing one fails rather than skips
import pytest

from compiler import ir
from compiler.backends.package import PACKAGE, package_files
from compiler.build import write_tree
from compiler.interpret import info
from compiler.lower import load_program
from compiler.runtime.sqlengine import (
    Cases,
    _source,
    decode_decision,
    load_calendar_table,
    manifest_checks,
    results,
)
from tests.sqlcases import POLICIES, case_records, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
RECORDS = 600  # per policy and set: 1,200 records a policy
SEED = 13


@pytest.fixture(scope="module")
def model() -> ir.Program:
    return load_program(ROOT)


@pytest.fixture(scope="module")
def sql_dir(package: Path) -> Path:
    """The SQL as the package carries it (package.py copies build/sql into it)."""
    return package / PACKAGE / "sql"


@pytest.fixture(scope="module")
def package(model: ir.Program, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The generated package, importable for this module's tests only."""
    target = tmp_path_factory.mktemp("package") / "validators"
    write_tree(target, package_files(model))
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] == PACKAGE}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(target))
    yield target
    sys.path.remove(str(target))
    for name in [k for k in sys.modules if k.split(".")[0] == PACKAGE]:
        del sys.modules[name]
    sys.modules.update(saved)


def _python(module: ModuleType, calendar: Any, raw: dict[str, object]) -> dict[str, object]:
    """The package's results of one record, as the SQL's columns (docs/sql.md)."""
    runtime = importlib.import_module(f"{PACKAGE}.runtime.timelimits")
    values = importlib.import_module(f"{PACKAGE}.runtime.values")
    row: dict[str, object] = {"error": None}
    try:
        checks = module.check_record(raw, calendar)
        decision = module.decide(raw)
    except (runtime.CalendarNotCovered, values.FactError):
        return {"error": "refused"}
    for check in checks:
        row[f"{check.rule}__status"] = check.status
        row[f"{check.rule}__needs"] = ",".join(check.needs)
        row[f"{check.rule}__unpublished"] = ",".join(str(y) for y in check.unpublished)
    decision_facts = {
        name
        for rule in module.POLICY.rules
        if rule.kind in ("gate", "situation", "exclusion")
        for name in rule.reads
    }
    if decision_facts & {k for k, v in raw.items() if v is not None}:
        row["outcome"] = decision["outcome"]
        row["missing"] = ",".join(decision["missing"])
        row["judgments"] = ",".join(j["judgment"] for j in decision["judgments"])
        row["decided_by"] = ",".join(r["rule"] for r in decision["decided_by"])
    else:
        row.update(outcome=None, missing=None, judgments=None, decided_by=None)
    return row


Rows = list[dict[str, object]]


def _sql(policy_info: Any, sql_dir: Path, path: Path) -> tuple[Rows, Rows]:
    """The full SELECT's rows, and the decision-only statement's rows decoded (docs/sql.md),
    both in record order."""
    con = duckdb.connect()
    cases = Cases(con, policy_info.facts, [_source(0, str(path))])
    cases.first_bad()
    load_calendar_table(con, sql_dir, None)
    checks = manifest_checks(sql_dir / f"{policy_info.id}.json")
    sql = (sql_dir / f"{policy_info.id}.sql").read_text(encoding="utf-8")
    results(con, cases, sql, checks)
    cursor = con.execute("SELECT * EXCLUDE (pos, id) FROM policyc_results ORDER BY pos")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    manifest = json.loads((sql_dir / f"{policy_info.id}.json").read_text(encoding="utf-8"))
    decide = (sql_dir / manifest["decide"]["sql"]).read_text(encoding="utf-8")
    cursor = con.execute(
        f"SELECT * FROM ({decide.strip().removesuffix(';')}) ORDER BY CAST(id AS BIGINT)"
    )
    names = [d[0] for d in cursor.description]
    assert names == manifest["decide"]["columns"]
    decided = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        decided.append({"error": row["error"], **decode_decision(manifest, row)})
    # The manifest's columns are the checks' names (a name used twice: _2); compare by rule.
    renamed = []
    for row in rows:
        out: dict[str, object] = {"error": row["error"]}
        for check in checks:
            for part in ("status", "needs", "unpublished"):
                out[f"{check.rule}__{part}"] = row[f"{check.column}__{part}"]
        for key in ("outcome", "missing", "judgments", "decided_by"):
            out[key] = row[key]
        renamed.append(out)
    return renamed, decided


def _agree(python: dict[str, object], sql: dict[str, object], inexact: Counter[str]) -> bool:
    if python.get("error") is not None or sql.get("error") is not None:
        return (python.get("error") is None) == (sql.get("error") is None)
    # docs/sql.md, "Calendar": a count past an excluded period (不含公示期) that touches a year
    # whose holiday schedule is unpublished is the one place the SQL is not exact: it says
    # undetermined, `unknown`, where Python may decide.  Those checks are left out, counted.
    for key, value in list(sql.items()):
        if key.endswith("__unpublished") and value == "unknown":
            check = key.removesuffix("__unpublished")
            assert sql[f"{check}__status"] == "undetermined", sql
            inexact[check] += 1
            for part in ("status", "needs", "unpublished"):
                python.pop(f"{check}__{part}", None)
                sql.pop(f"{check}__{part}", None)
    return python == sql


@pytest.fixture(scope="module")
def cases(model: ir.Program, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Per policy, the JSONL file of its random records."""
    target = tmp_path_factory.mktemp("cases")
    return {
        policy_id: write_jsonl(
            target / f"{policy_id}.jsonl", case_records(model, policy_id, RECORDS, SEED)
        )
        for policy_id in POLICIES
    }


@pytest.fixture(scope="module")
def sql_results(
    model: ir.Program, sql_dir: Path, cases: dict[str, Path]
) -> dict[str, tuple[Rows, Rows]]:
    """Every policy's SQL over its records, the policies side by side (DuckDB plans a long
    query for seconds, on one core: two at a time halve the wait)."""

    def one(policy_id: str) -> tuple[Rows, Rows]:
        return _sql(info(model, model.policies[policy_id]), sql_dir, cases[policy_id])

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(POLICIES, pool.map(one, POLICIES), strict=True))


@pytest.mark.parametrize("policy_id", POLICIES)
def test_sql_equals_python_on_random_records(
    package: Path,
    cases: dict[str, Path],
    sql_results: dict[str, tuple[Rows, Rows]],
    policy_id: str,
) -> None:
    module = importlib.import_module(f"{PACKAGE}.{policy_id}")
    calendar = importlib.import_module(f"{PACKAGE}.runtime.timelimits").load_calendar()
    records = [json.loads(line) for line in cases[policy_id].read_text().splitlines()]
    sql_rows, _ = sql_results[policy_id]
    assert len(sql_rows) == len(records)
    differ: list[str] = []
    tally: Counter[str] = Counter()
    inexact: Counter[str] = Counter()
    for number, (raw, sql_row) in enumerate(zip(records, sql_rows, strict=True), 1):
        python_row = _python(module, calendar, raw)
        tally[str(python_row.get("outcome"))] += 1
        tally.update(str(v) for k, v in python_row.items() if k.endswith("__status"))
        if not _agree(python_row, sql_row, inexact):
            keys = [k for k in python_row if python_row.get(k) != sql_row.get(k)]
            differ.append(
                f"line {number}: "
                + "; ".join(
                    f"{k}: python {python_row.get(k)!r}, sql {sql_row.get(k)!r}" for k in keys
                )
            )
    assert not differ, f"{len(differ)} of {len(records)} records differ:\n" + "\n".join(differ[:10])
    # Only limits with an excluded period, and rarely.
    excluding = {lim.name for lim in module.POLICY.limits if lim.excluding is not None}
    assert set(inexact) <= excluding, inexact
    assert sum(inexact.values()) <= len(records) // 50, inexact
    # The records exercise the outcomes and statuses (a test that compared only NULLs proves
    # nothing).
    assert tally["pass"] and tally["undetermined"], tally


DECISION = ("outcome", "missing", "judgments", "decided_by")


@pytest.mark.parametrize("policy_id", POLICIES)
def test_decision_only_statement_equals_the_full_select_and_python(
    package: Path,
    cases: dict[str, Path],
    sql_results: dict[str, tuple[Rows, Rows]],
    policy_id: str,
) -> None:
    """`<id>.decide.sql` (its masks decoded by decode_decision) gives every record the full
    SELECT's and the package's outcome, missing facts, judgments and deciding rules; its
    `error` (a value the decision cannot compute with) is set only where the full SELECT's
    is."""
    module = importlib.import_module(f"{PACKAGE}.{policy_id}")
    calendar = importlib.import_module(f"{PACKAGE}.runtime.timelimits").load_calendar()
    records = [json.loads(line) for line in cases[policy_id].read_text().splitlines()]
    full, decided = sql_results[policy_id]
    assert len(decided) == len(full) == len(records)
    differ: list[str] = []
    outcomes: Counter[str] = Counter()
    for number, (raw, whole, alone) in enumerate(zip(records, full, decided, strict=True), 1):
        if alone["error"] is not None:
            assert whole["error"] is not None, (number, alone)
        if whole["error"] is not None:
            continue
        python_row = _python(module, calendar, raw)
        expected = {k: python_row[k] for k in DECISION}
        assert {k: whole[k] for k in DECISION} == expected  # as the test above
        outcomes[str(expected["outcome"])] += 1
        if {k: alone[k] for k in DECISION} != expected or alone["error"] is not None:
            differ.append(f"line {number}: python {expected}, decide.sql {alone}")
    assert not differ, f"{len(differ)} records differ:\n" + "\n".join(differ[:10])
    # The records reach the outcomes that decode masks: open ones (needs) and decided ones.
    assert outcomes["undetermined"] and len(outcomes) >= 3, outcomes
