"""The project's own policies: they check clean, cover their documents, and pass their tests.

Each policy test case (`policies/cases/*.policy`) is one pytest test, so a failure names it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import nodes as n
from compiler.check import check
from compiler.coverage import project_coverage
from compiler.model import Model
from compiler.policytests import run_case
from compiler.project import load
from compiler.timelimits import load_calendar

ROOT = Path(__file__).resolve().parent.parent
# Documents transcribed completely: every clause cited or marked as carrying no rule.
COMPLETE = ("lucheng", "ningbo", "taierzhuang", "weihai", "yuquan")


def _model() -> Model:
    model, diagnostics = check(load(ROOT))
    errors = [d.render() for d in diagnostics if d.severity == "error"]
    assert not errors, "\n\n".join(errors)
    return model


MODEL = _model()
CALENDAR = load_calendar()
CASES = [
    pytest.param(policy.id, case, id=f"{policy.id}-{case.name}")
    for policy in (MODEL.policies[p] for p in sorted(MODEL.policies))
    for suite in policy.tests
    for case in suite.cases
]


def test_policies_check_clean() -> None:
    _model()


@pytest.mark.parametrize("policy_id", COMPLETE)
def test_transcription_is_complete(policy_id: str) -> None:
    report = next(r for r in project_coverage(MODEL) if r.policy == policy_id)
    assert report.total > 0
    missing = [c.clause.citation for c in report.uncovered()]
    assert not missing, f"{policy_id}: clauses neither cited nor marked: {missing}"


@pytest.mark.parametrize("policy_id", COMPLETE)
def test_every_normative_clause_has_a_policy_test(policy_id: str) -> None:
    """Every decision rule, time limit, requirement and liability is exercised by a policy test."""
    policy = MODEL.policies[policy_id]
    decided: set[str] = set()
    limits_tested: set[str] = set()
    checked: set[str] = set()
    from compiler.interpret import decide, literal_facts

    for suite in policy.tests:
        for case in suite.cases:
            if case.expect is not None:
                decision = decide(MODEL, policy, literal_facts(case.given))
                decided |= {s.rule.name for s in decision.decisive}
            limits_tested |= {d.limit for d in case.dues}
            checked |= {c.rule for c in case.rule_checks}
    rules = {s.name for s in policy.statements if s.kind in ("gate", "situation", "exclusion")}
    assert not rules - decided, f"rules no test decides by: {sorted(rules - decided)}"
    limits = {
        name
        for name, (statement, _w, _e) in policy.limits().items()
        if statement.kind == "deadline"
    }
    assert not limits - limits_tested, f"deadlines no test checks: {sorted(limits - limits_tested)}"
    conditional = {
        s.name
        for s in policy.statements
        if s.kind in ("requirement", "duty", "liability")
        and (s.first(n.Require) is not None or s.first(n.When) is not None)
    }
    assert not conditional - checked, f"no holds/fails test: {sorted(conditional - checked)}"


@pytest.mark.parametrize(("policy_id", "case"), CASES)
def test_policy_case(policy_id: str, case: object) -> None:
    from compiler import nodes as n

    assert isinstance(case, n.Case)
    result = run_case(MODEL, MODEL.policies[policy_id], case, CALENDAR)
    assert result.passed, f"{case.label} ({case.span}): " + "; ".join(result.failures)
