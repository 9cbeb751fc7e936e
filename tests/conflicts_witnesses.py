"""Helpers for the conflict tests: witnesses written as policy tests in the project's own format,
run by the interpreter (`policyc test`'s path) and by the generated package.

The conflict report's `--emit-tests` writes witnesses the same way (compiler/conflicts/report.py);
this copy keeps these tests independent of it.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from compiler import ir
from compiler.backends.package import PACKAGE, package_files
from compiler.build import write_tree
from compiler.conflicts.section import Witness
from compiler.examples import facts_json
from compiler.exprtext import string_text
from compiler.interpret import literal_facts
from compiler.lower import load_program
from compiler.policytests import run_case
from compiler.runtime.timelimits import load_calendar


def suite(policy: str, witnesses: Iterable[Witness]) -> str:
    """The witnesses of one policy as a `tests POLICY { … }` file."""
    lines = [
        "# Written by the conflict tests from the report's witnesses (not hand-written).",
        f"tests {policy} {{",
    ]
    for w in witnesses:
        lines.append(f"    case {w.name} {string_text(w.title)} {{")
        if w.givens:
            lines.append("        given " + ", ".join(f"{g.fact} = {g.literal}" for g in w.givens))
        if w.expect is not None:
            lines.append(f"        expect {w.expect}")
            if w.cites:
                lines.append("        cites " + ", ".join(w.cites))
        lines += [f"        check {name} is {status}" for name, status in w.checks]
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def project_with(root: Path, target: Path, witnesses: Iterable[Witness]) -> ir.Program:
    """A copy of the project at `root` with the witnesses as extra policy tests, lowered."""
    shutil.copytree(root / "policies", target / "policies")
    by_policy: dict[str, list[Witness]] = {}
    for w in witnesses:
        by_policy.setdefault(w.policy, []).append(w)
    for policy, found in sorted(by_policy.items()):
        path = target / "policies" / "cases" / f"conflicts_{policy}.policy"
        path.parent.mkdir(exist_ok=True)
        path.write_text(suite(policy, found), encoding="utf-8")
    return load_program(target)


def run_witness(program: ir.Program, name: str, policy: str) -> tuple[str, ...]:
    """The failures of the written-out witness `name` (empty: it passes), on the interpreter."""
    found = program.policies[policy]
    case = next(c for c in found.cases if c.name == name)
    return run_case(program, found, case, load_calendar()).failures


def case_facts(program: ir.Program, name: str, policy: str) -> dict[str, Any]:
    """The written-out witness's givens, as the JSON a record would carry."""
    case = next(c for c in program.policies[policy].cases if c.name == name)
    raw: dict[str, Any] = facts_json(program, literal_facts(case.given))
    return raw


@contextmanager
def generated_package(program: ir.Program, target: Path) -> Iterator[dict[str, ModuleType]]:
    """The generated validators of `program`, written to `target` and imported."""
    write_tree(target, package_files(program))
    sys.path.insert(0, str(target))
    try:
        modules = {p: importlib.import_module(f"{PACKAGE}.{p}") for p in program.policies}
        modules["runtime.checks"] = importlib.import_module(f"{PACKAGE}.runtime.checks")
        modules["runtime.decision"] = importlib.import_module(f"{PACKAGE}.runtime.decision")
        modules["runtime.values"] = importlib.import_module(f"{PACKAGE}.runtime.values")
        modules["runtime.timelimits"] = importlib.import_module(f"{PACKAGE}.runtime.timelimits")
        yield modules
    finally:
        sys.path.remove(str(target))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def package_result(
    modules: Mapping[str, ModuleType], policy: str, raw: Mapping[str, Any], witness: Witness
) -> tuple[str | None, dict[str, str]]:
    """What the generated package says on the witness's facts: the decision's outcome (when it
    expects one) and the status of each checked rule or limit."""
    info = modules[policy].POLICY
    facts = modules["runtime.values"].coerce_all(info.facts, raw)
    outcome = None
    if witness.expect is not None:
        outcome = str(modules["runtime.decision"].decide(info, facts).outcome)
    calendar = modules["runtime.timelimits"].load_calendar()
    results = modules["runtime.checks"].check_record(info, facts, calendar)
    statuses: dict[str, str] = {}
    for name, _ in witness.checks:
        found = sorted((r for r in results if r.rule == name), key=lambda r: r.kind != "time_limit")
        statuses[name] = found[0].status if found else "missing"
    return outcome, statuses
