"""Constructs added for the numbers of 玉泉, 台儿庄 and 鹿城: excluded periods with their dates,
`day_of_month`, rule checks in policy tests (`holds` / `fails`), due checks with an excluded
period, and `pending` clauses written by `policyc new`; and the grants checks of a policy test
(`grants …` / `pending …`, for the conditions of outcomes)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from compiler import ir
from compiler import nodes as n
from compiler.check import check
from compiler.coverage import policy_coverage
from compiler.interpret import Unknown, rule_value
from compiler.lower import lower
from compiler.policytests import run_all
from compiler.project import load
from compiler.timelimits import load_calendar
from tests.test_language import parse, project, statement


def test_excluding_a_period_with_its_dates() -> None:
    within = statement(
        "deadline d at 序言 { within 30 workdays from applied until approved "
        "excluding public_notice from notice_start until notice_end }"
    ).items[0]
    assert isinstance(within, n.Within)
    assert (within.start, within.end, within.excluding) == ("applied", "approved", "public_notice")
    assert (within.excluded_from, within.excluded_until) == ("notice_start", "notice_end")


def test_excluding_a_period_without_dates_still_parses() -> None:
    within = statement("deadline d at 序言 { within 30 workdays excluding public_notice }").items[0]
    assert isinstance(within, n.Within)
    assert (within.excluding, within.excluded_from, within.excluded_until) == (
        "public_notice",
        None,
        None,
    )


def test_holds_fails_and_due_with_an_excluded_period_parse() -> None:
    module = parse(
        'tests x { case c "c" { given a = 3 holds r fails q '
        "due d from 2024-09-27 excluding 2024-10-08 until 2024-10-10 is 2024-11-01 } }"
    )
    suite = module.items[0]
    assert isinstance(suite, n.TestSuite)
    case = suite.cases[0]
    assert [(c.rule, c.holds) for c in case.rule_checks] == [("r", True), ("q", False)]
    assert case.dues[0].excluded == (date(2024, 10, 8), date(2024, 10, 10))


def test_pending_parses_with_its_text() -> None:
    module = parse('pending at 第三条（二） "第一行" "第二行"')
    pending = module.items[0]
    assert isinstance(pending, n.Pending)
    assert pending.citation.text == "第三条（二）"
    assert [q.text for q in pending.quotes] == ["第一行", "第二行"]


PERIOD = 'enum period "期间" { public_notice "公示期" }\nfact notice_start: date "公示开始"\n'


def test_check_excluded_period_dates_must_be_date_facts(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        PERIOD + "deadline d at 第二条 { within 5 workdays from applied_date until applied_date "
        "excluding public_notice from notice_start until household_size }\n",
    )
    assert codes == ["E201"], [d.render() for d in diagnostics]


def test_check_day_of_month_takes_a_date(tmp_path: Path) -> None:
    good, _ = project(
        tmp_path / "a", "requirement r at 第二条 { require day_of_month(applied_date) <= 10 }\n"
    )
    bad, _ = project(
        tmp_path / "b", "requirement r at 第二条 { require day_of_month(household_size) <= 10 }\n"
    )
    assert (good, bad) == ([], ["E202"])


def test_check_rule_checks_name_rules_with_conditions(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        "requirement r at 第二条 { require household_size >= 2 }\n"
        'scope s at 第二条 { covers places "全市" }\n'
        'tests x { case a "a" { given household_size = 1 fails r holds rr holds s } }\n',
    )
    assert codes == ["E405", "E405"], [d.render() for d in diagnostics]
    assert "did you mean 'r'" in diagnostics[0].render()


def test_check_due_excluding_needs_a_limit_that_excludes(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        PERIOD + "deadline d at 第二条 { within 5 workdays }\n"
        'tests x { case a "a" { due d from 2024-09-27 excluding 2024-10-08 until 2024-10-10 '
        "is 2024-10-11 } }\n",
    )
    assert codes == ["E402"], [d.render() for d in diagnostics]


def _model(tmp_path: Path, text: str) -> tuple[ir.Program, ir.Policy]:
    codes, diagnostics = project(tmp_path, text)
    assert codes == [], [d.render() for d in diagnostics]
    model, _ = check(load(tmp_path))
    program = lower(model, tmp_path)
    return program, program.policies["x"]


def test_rule_value_of_a_requirement_is_when_implies_require(tmp_path: Path) -> None:
    model, policy = _model(
        tmp_path,
        "requirement r at 第二条 { when concealed require household_size >= 2 }\n",
    )
    rule = policy.rules[0]
    two, one = Decimal(2), Decimal(1)
    assert rule_value(model, rule, {"concealed": False}) is True
    assert rule_value(model, rule, {"concealed": True, "household_size": two}) is True
    assert rule_value(model, rule, {"concealed": True, "household_size": one}) is False
    open_ = rule_value(model, rule, {"household_size": one})
    assert isinstance(open_, Unknown) and open_.needs == {"concealed"}
    assert rule_value(model, rule, {"household_size": two}) is True


def test_day_of_month_and_rule_checks_run_as_policy_tests(tmp_path: Path) -> None:
    model, _policy = _model(
        tmp_path,
        PERIOD + 'fact notice_end: date "公示结束"\n'
        "duty pay at 第二条 { actor township every month by day 10 "
        "require day_of_month(applied_date) <= 10 }\n"
        "deadline approve at 第二条 { within 5 workdays from applied_date until applied_date "
        "excluding public_notice from notice_start until notice_end }\n"
        'tests x {\n case early "10日前" { given applied_date = 2024-03-10 holds pay }\n'
        ' case late "10日后" { given applied_date = 2024-03-11 fails pay }\n'
        ' case wrong "写错" { given applied_date = 2024-03-11 holds pay }\n'
        ' case notice "公示期不计" { due approve from 2024-09-27 excluding 2024-10-08 until '
        "2024-10-10 is 2024-10-14 due approve from 2024-09-27 is 2024-10-10 } }\n",
    )
    # 2024-09-27 is a Friday; 09-29 (Sunday) and 10-12 (Saturday) are adjusted workdays and
    # 10-01..07 the National Day break: the 5th workday is 10-10, or 10-14 when 10-08..10 are
    # a public notice that does not count.
    results = {r.case.name: r.failures for r in run_all(model, load_calendar())}
    assert results["early"] == () and results["late"] == () and results["notice"] == ()
    assert results["wrong"] == ("expected pay holds; it fails",)


def test_pending_clauses_are_checked_and_counted_uncovered(tmp_path: Path) -> None:
    codes, diagnostics = project(tmp_path, 'pending at 第二条 "不在条文中的话"\n')
    assert codes == ["E306"], [d.render() for d in diagnostics]
    _, policy = _model(tmp_path / "ok", "pending at 第二条\n")
    report = policy_coverage(policy)
    status = {c.clause.citation: c.status for c in report.clauses}
    assert status["第二条"] == "pending"
    assert report.covered == 0


@pytest.mark.parametrize("policy_id", ["ningbo", "weihai", "yuquan", "taierzhuang", "lucheng"])
def test_policyc_new_writes_a_checked_skeleton_of_every_clause(
    tmp_path: Path, policy_id: str
) -> None:
    from compiler.skeleton import write_skeleton
    from compiler.sources import load_source

    root = Path(__file__).resolve().parent.parent
    (tmp_path / "policies").mkdir()
    for shared in ("vocabulary.policy", "concepts.policy"):
        (tmp_path / "policies" / shared).write_text(
            (root / "policies" / shared).read_text(encoding="utf-8"), encoding="utf-8"
        )
    source = root / "policies" / "sources" / f"{policy_id}.txt"
    skeleton = write_skeleton(tmp_path, source, f"{policy_id}_draft")
    model, diagnostics = check(load(tmp_path))
    assert diagnostics == [], [d.render() for d in diagnostics]
    policy = lower(model, tmp_path).policies[f"{policy_id}_draft"]
    report = policy_coverage(policy)
    document = load_source(source)
    assert [c.clause.citation for c in report.clauses] == [c.citation for c in document.clauses()]
    assert {c.status for c in report.clauses} == {"pending"}
    assert skeleton.clauses == len(report.clauses) and report.covered == 0
    assert (tmp_path / "policies" / "sources" / f"{policy_id}_draft.txt").read_bytes() == (
        source.read_bytes()
    )


# ---------------------------------------------------------------- grants checks in policy tests


def test_check_grants_names_relief_members(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        "situation s at 第四条（一）2 { when concealed }\n"
        "outcome o at 第二条 { grants exempt }\n"
        'tests x { case a "a" { given concealed = true grants exmpt pending exempt } }\n',
    )
    # A grants check is an expectation of the decision: no E403.
    assert codes == ["E103"], [d.render() for d in diagnostics]
    assert "did you mean 'exempt'" in diagnostics[0].render()


def test_check_grants_of_a_policy_that_decides_nothing(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        'outcome o at 第二条 { grants exempt }\ntests x { case a "a" { grants exempt } }\n',
    )
    assert codes == ["E404"], [d.render() for d in diagnostics]


def test_grants_checks_run_as_policy_tests(tmp_path: Path) -> None:
    model, _policy = _model(
        tmp_path,
        "situation s at 第四条（一）2 { when concealed }\n"
        "outcome o at 第二条 { grants exempt when other }\n"
        "tests x {\n"
        ' case held "判断成立" { given concealed = true, other = true expect applies '
        "grants exempt pending none }\n"
        ' case open "尚待判断" { given concealed = true expect applies '
        "grants none pending exempt }\n"
        ' case failed "判断不成立" { given concealed = true, other = false expect applies '
        "grants none pending none }\n"
        ' case wrong "写错" { given concealed = true, other = false grants exempt }\n'
        ' case wrong_pending "写错" { given concealed = true grants none pending none }\n'
        ' case not_applying "不适用" { given concealed = false, other = true grants none } }\n',
    )
    results = {r.case.name: r.failures for r in run_all(model, load_calendar())}
    for name in ("held", "open", "failed", "not_applying"):
        assert results[name] == (), name
    assert results["wrong"] == ("expected granted: exempt; got none",)
    assert results["wrong_pending"] == ("expected pending: none; got exempt",)
