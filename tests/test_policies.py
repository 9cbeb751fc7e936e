"""The project's own policies: they check clean, cover their documents, and pass their tests.

Each policy test case (`policies/cases/*.policy`) is one pytest test, so a failure names it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import ir
from compiler.coverage import project_coverage
from compiler.lower import load_program
from compiler.policytests import run_case
from compiler.runtime.kinds import CHECKED_KINDS, DECISION_KINDS, Kind
from compiler.timelimits import load_calendar

ROOT = Path(__file__).resolve().parent.parent
# Documents transcribed completely: every clause cited or marked as carrying no rule.
COMPLETE = ("lucheng", "ningbo", "taierzhuang", "weihai", "yuquan")


def _program() -> ir.Program:
    # Raises with the rendered diagnostics when the project has check errors.
    return load_program(ROOT)


PROGRAM = _program()
CALENDAR = load_calendar()
CASES = [
    pytest.param(policy.id, case, id=f"{policy.id}-{case.name}")
    for policy in (PROGRAM.policies[p] for p in sorted(PROGRAM.policies))
    for case in policy.cases
]


def test_policies_check_clean() -> None:
    _program()


@pytest.mark.parametrize("policy_id", COMPLETE)
def test_transcription_is_complete(policy_id: str) -> None:
    report = next(r for r in project_coverage(PROGRAM) if r.policy == policy_id)
    assert report.total > 0
    missing = [c.clause.citation for c in report.uncovered()]
    assert not missing, f"{policy_id}: clauses neither cited nor marked: {missing}"


@pytest.mark.parametrize("policy_id", COMPLETE)
def test_every_normative_clause_has_a_policy_test(policy_id: str) -> None:
    """Every decision rule, time limit, requirement and liability is exercised by a policy test."""
    policy = PROGRAM.policies[policy_id]
    decided: set[str] = set()
    limits_tested: set[str] = set()
    checked: set[str] = set()
    from compiler.interpret import decide, literal_facts

    for case in policy.cases:
        if case.expect is not None:
            decision = decide(PROGRAM, policy, literal_facts(case.given))
            decided |= {s.rule.name for s in decision.decisive}
        limits_tested |= {d.limit for d in case.dues}
        checked |= {c.rule for c in case.rule_checks}
    rules = {r.name for r in policy.rules if r.kind in DECISION_KINDS}
    assert not rules - decided, f"rules no test decides by: {sorted(rules - decided)}"
    limits = {
        limit.name for limit in policy.limits if policy.rule(limit.rule).kind is Kind.DEADLINE
    }
    assert not limits - limits_tested, f"deadlines no test checks: {sorted(limits - limits_tested)}"
    conditional = {r.name for r in policy.rules if r.kind in CHECKED_KINDS and r.conditions}
    assert not conditional - checked, f"no holds/fails test: {sorted(conditional - checked)}"


@pytest.mark.parametrize(("policy_id", "case"), CASES)
def test_policy_case(policy_id: str, case: object) -> None:
    from compiler import nodes as n

    assert isinstance(case, n.Case)
    result = run_case(PROGRAM, PROGRAM.policies[policy_id], case, CALENDAR)
    assert result.passed, f"{case.label} ({case.span}): " + "; ".join(result.failures)
