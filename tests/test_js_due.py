"""The JavaScript due dates (compiler/backends/js_due.py + site_templates/assets/policyc/due.js)
against the Python runtime: `policyc due`'s JSON, identical, for every clause with a time limit
of every policy, on seeded random start dates over 2024–2030 and on the calendar's edges
(holidays, adjusted working days, year and month ends, leap days), as dates and date-times.
One node process runs each batch."""

from __future__ import annotations

import json
import random
import subprocess
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from compiler import ir
from compiler.backends import js_due
from compiler.interpret import info
from compiler.lower import load_program
from compiler.runtime import cli as runtime_cli
from compiler.runtime.timelimits import load_calendar
from tests.nodejs import NODE, needs_node, run_json

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = load_program(ROOT)


RUNNER = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { dueDates } from "./assets/policyc/due.js";
const cases = JSON.parse(readFileSync(0, "utf-8"));
const modules = {};
const out = [];
for (const [policy, clause, start] of cases) {
  modules[policy] ??= (await import(pathToFileURL(`./assets/policyc/limits/${policy}.js`))).default;
  try {
    out.push({ ok: dueDates(modules[policy], clause, start) });
  } catch (error) {
    if (error.name !== "Error" && error.constructor.name !== "InputError") throw error;
    out.push({ error: error.message, kind: error.constructor.name });
  }
}
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("js_due")
    for path, content in {**js_due.assets(PROGRAM), **js_due.scripts()}.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    # The assets are ES modules, as the browser loads them.
    (root / "package.json").write_text('{"type": "module"}\n', encoding="utf-8")
    (root / "runner.js").write_text(RUNNER, encoding="utf-8")
    return root


def run_node(site: Path, cases: list[tuple[str, str, str]]) -> list[dict[str, object]]:
    result: list[dict[str, object]] = run_json(site, "runner.js", cases)
    return result


def python_due(policy: ir.Policy, clause: str, start_text: str) -> dict[str, object]:
    """What `policyc due` computes (cli.cmd_due without the printing), or its error."""
    tables = info(PROGRAM, policy)
    try:
        start = runtime_cli.parse_start(start_text)
        limits = runtime_cli.limits_of_clause(tables, clause)
        if not limits:  # cmd_due's message (the package's) for a clause of the document
            return {"error": runtime_cli.no_limit_message(tables, clause, ())}
        return {"ok": runtime_cli.due_json(tables, limits, start, CALENDAR)}
    except runtime_cli.InputError as error:
        return {"error": str(error)}


CALENDAR = load_calendar()


def clauses() -> list[tuple[ir.Policy, str]]:
    found: list[tuple[ir.Policy, str]] = []
    for policy in sorted(PROGRAM.policies.values(), key=lambda p: p.id):
        cited = dict.fromkeys(limit.clause.citation for limit in policy.limits)
        found.extend((policy, clause) for clause in cited)
    return found


def edge_days() -> list[date]:
    """Days where the calendar matters: around every day off on a weekday and every adjusted
    working day 2024–2026 (春节, 国庆, 劳动节 …), around the statutory holidays of 2027–2030
    (provisional years), year and month ends, leap days."""
    around: set[date] = set()
    marked = CALENDAR.days_off | CALENDAR.extra_workdays | CALENDAR.statutory_off
    for day in marked:
        if 2024 <= day.year <= 2030:
            around.update(day + timedelta(days=k) for k in range(-3, 4))
    for year in range(2024, 2031):
        around.update(date(year, 12, d) for d in range(24, 32))
        around.update(date(year, 1, d) for d in range(1, 4))
        for month in range(1, 13):
            first = date(year, month, 1)
            around.add(first - timedelta(days=1))
            around.add(first)
        around.add(date(year, 1, 30))
        around.add(date(year, 2, 28))
    around.update({date(2024, 2, 29), date(2028, 2, 29), date(2031, 1, 1) - timedelta(days=1)})
    return sorted(d for d in around if date(2024, 1, 1) <= d <= date(2030, 12, 31))


def starts(seed: int, count: int) -> list[str]:
    """Seeded random dates and date-times over 2024–2030."""
    rng = random.Random(seed)
    first, span = date(2024, 1, 1), (date(2030, 12, 31) - date(2024, 1, 1)).days
    out: list[str] = []
    for _ in range(count):
        day = first + timedelta(days=rng.randrange(span + 1))
        if rng.random() < 0.5:
            out.append(day.isoformat())
        else:
            moment = datetime.combine(day, time(rng.randrange(24), rng.randrange(60)))
            second = rng.choice((0, 0, 0, rng.randrange(60)))
            out.append(moment.replace(second=second).isoformat())
    return out


def compare(site: Path, cases: list[tuple[ir.Policy, str, str]]) -> int:
    plain = [(policy.id, clause, start) for policy, clause, start in cases]
    got = run_node(site, plain)
    assert len(got) == len(cases)
    mismatches = []
    for (policy, clause, start), js in zip(cases, got, strict=True):
        py = python_due(policy, clause, start)
        js.pop("kind", None)
        if json.dumps(py, sort_keys=True, ensure_ascii=False) != json.dumps(
            js, sort_keys=True, ensure_ascii=False
        ):
            mismatches.append((policy.id, clause, start, py, js))
    assert not mismatches, json.dumps(mismatches[:3], ensure_ascii=False, indent=1)
    return len(cases)


@needs_node
def test_random_starts_agree(site: Path) -> None:
    cases = [
        (policy, clause, start)
        for index, (policy, clause) in enumerate(clauses())
        for start in starts(1000 + index, 150)
    ]
    assert compare(site, cases) > 1000


@needs_node
def test_calendar_edges_agree(site: Path) -> None:
    days = edge_days()
    assert date(2024, 10, 12) in days and date(2028, 2, 29) in days
    cases = []
    for policy, clause in clauses():
        for day in days:
            cases.append((policy, clause, day.isoformat()))
            if any(x.amount.unit == "hours" for x in policy.limits if x.clause.citation == clause):
                cases.append((policy, clause, f"{day.isoformat()}T23:30"))
    compare(site, cases)


@needs_node
def test_errors_and_spellings_agree(site: Path) -> None:
    """Bad starts, dates off the calendar or at the ends of the dates there are, other
    spellings of a moment, and clause spellings that normalize to the citation: the same
    message or the same JSON."""
    odd = [
        "2024-02-30",
        "2024-13-01",
        "20240101",
        "2024-09-27T24:00",
        "2024-09-27T09:60",
        "2024-09-27 09:30",
        "2024-09-27T09:30:15",
        "2024-09-27T09:30+08:00",
        "2024-09-27T09:30+0800",
        "2024-09-27T09:30Z",
        "2024-09-27T09:30-05:00",
        "2003-12-31",
        "2050-12-20",
        "2051-01-02",
        "1999-01-01T08:00",
        "",
        # The last day there is: a count past it has no due date, said in the runtime's
        # words (the port said "10000-01-01 is outside the working-day calendar").
        "9999-12-31",
        "9999-12-31T23:30",
        "9999-12-31T00:00",
        "9999-12-30T12:00",
        "9999-11-30",
        "0001-01-01",
    ]
    cases = [(policy, clause, start) for policy, clause in clauses() for start in odd]
    cases += [(PROGRAM.policies["taierzhuang"], "二(三)", "2024-09-27")]
    cases += [(PROGRAM.policies["taierzhuang"], "一", "2024-09-27")]
    compare(site, cases)


@needs_node
def test_the_cli_itself_agrees(site: Path) -> None:
    """The CLI's printed JSON, not only the functions it calls."""
    for clause, start in (("二（三）", "2024-09-27T09:00"), ("二（三）", "2029-09-28")):
        done = subprocess.run(
            [
                str(ROOT / ".venv/bin/policyc"),
                "due",
                "taierzhuang",
                clause,
                "--start",
                start,
                "--json",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        js = run_node(site, [("taierzhuang", clause, start)])[0]
        assert json.loads(done.stdout) == js["ok"]


@needs_node
def test_generated_js_parses(site: Path) -> None:
    assert NODE is not None
    for path in sorted((site / "assets").rglob("*.js")):
        done = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, (path, done.stderr)


def test_assets_are_deterministic() -> None:
    first = js_due.assets(PROGRAM)
    again = js_due.assets(load_program(ROOT))
    assert first == again
    assert list(first) == sorted(first)
    assert "assets/policyc/calendar.js" in first
    assert {p for p in first if "/limits/" in p} == {
        js_due.limits_path(p.id) for p in PROGRAM.policies.values() if p.limits
    }


def test_limits_module_is_the_ir() -> None:
    text = js_due.assets(PROGRAM)[js_due.limits_path("taierzhuang")]
    data = json.loads(text.split("export default ", 1)[1].rstrip().rstrip(";"))
    names = [limit["name"] for limit in data["limits"]]
    assert names == [limit.name for limit in PROGRAM.policies["taierzhuang"].limits]
    first = data["limits"][0]
    assert first["anchor"] == "i2-i3" or first["anchor"].endswith("i3")
