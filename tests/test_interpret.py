"""The meaning of policies (docs/language.md, "Meaning"), on small hand-written policies.

Each policy is written to `<tmp>/policies/x.policy` citing the Ningbo text (copied beside it, so
that citations resolve and `check` is clean), then checked and lowered; the interpreter runs
on the lowered program.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import ir
from compiler import nodes as n
from compiler.check import check
from compiler.interpret import (
    Decision,
    Evaluator,
    FactError,
    Unknown,
    coerce_fact,
    coerce_facts,
    decide,
    due,
    explain,
    literal_facts,
)
from compiler.lower import lower
from compiler.parser import parse_text
from compiler.project import load
from compiler.timelimits import load_calendar

ROOT = Path(__file__).resolve().parent.parent
NINGBO_SHA256 = "cb0eeb5b5fef6fa5e40fb26a267488a9f313231a4d884eed4886e4deda41f394"
CAL = load_calendar()

Built = tuple[ir.Program, ir.Policy]  # a lowered one-policy project and its policy

HEADER = (
    'policy x {{ title "x" decision exemption "尽职免责" '
    'source "sources/ningbo.txt" sha256 "{sha}" }}\n'
)

# Declarations every test policy may use.
VOCABULARY = """
fact complies: bool "符合政策要求"
fact concealed: bool "申请人隐瞒"
fact verified: bool "已核查"
fact abuse: bool "滥用职权"
fact skipped: bool "未按程序公示、核查、审批"
fact a: bool "甲"
fact b: bool "乙"
fact c: bool "丙"
fact d: bool "丁"
fact count: int "人数"
fact household_size: int "家庭人数"
fact income: money "月收入"
fact standard: money "低保标准"
fact share: ratio "比例"
fact applied_date: date "申请日期"
fact waiting: duration "等待期"
fact remark: text "备注"
fact applied_programme: enum programme "救助项目"
fact accepted_date: date "受理日期"
fact finding_date: date "认定日期"
fact complex_case: bool "情况复杂"
judgment other "其他依规履职尽责的情形"
judgment bad_impact "造成恶劣影响" refers "宁波市干部容错相关规定"
enum programme "社会救助项目" { dibao "城乡最低生活保障" tekun "特困人员救助供养" }
enum relief "处理结果" { exempt "免除相关责任" lighter "从轻处理" }
enum period "不计入时限的期间" { public_notice "公示期" }
actor township "乡镇人民政府（街道办事处）"
"""


def build(root: Path, statements: str) -> Built:
    """A checked one-policy project under `root`; fails the test on any diagnostic."""
    policies = root / "policies"
    (policies / "sources").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "policies" / "sources" / "ningbo.txt", policies / "sources" / "ningbo.txt")
    (policies / "x.policy").write_text(
        HEADER.format(sha=NINGBO_SHA256) + VOCABULARY + statements, encoding="utf-8"
    )
    model, diagnostics = check(load(root))
    assert diagnostics == [], "\n".join(d.render() for d in diagnostics)
    program = lower(model, root)
    return program, program.policies["x"]


# The decision of 宁波 第四条/第五条 in miniature: one gate, two situations (one a judgment), two
# exclusions (one overriding everything, one only s1 and depending on a judgment).
DECISION = """
gate g at 第四条 "符合政策要求" { when complies }
situation s1 at 第四条（一）2 { when concealed and verified }
situation s2 at 第四条（四）15 { when other }
exclusion e1 at 第五条（六） { when abuse overrides all }
exclusion e2 at 第五条（一） { when skipped and bad_impact overrides s1 }
outcome o at 第二条 { grants exempt, lighter }
"""

EXPRESSIONS = """
define tenth: money at 第四条 = 3 * 0.1 yuan
define cap: money at 第四条 = min(income * 30%, standard) + max(income, 100 yuan) / 4
define per_head: money at 第四条 = income / household_size
define review_date: date at 第四条 = applied_date + 1 months
define review_year: date at 第四条 = applied_date + 1 years
define earlier: date at 第四条 = applied_date - 1 months
define ten_days_on: date at 第四条 = applied_date + 10 days
define total_wait: duration at 第四条 = waiting + 2 months
define quota: int at 第四条 = if count < 50000 then 4 else 6
define same: int at 第四条 = if a then 4 else 4
define branchy: int at 第四条 = if a then count else 4
situation s at 第四条（一）2 { when a }
deadline ningbo_verification at 第六条（二） {
    within 7 workdays from accepted_date until finding_date
    extend to 15 workdays when complex_case
}
procedure p at 第六条 {
    step check "核实认定" { actor township within 10 workdays from accepted_date }
}
"""


@pytest.fixture(scope="module")
def decision_policy(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("decision"), DECISION)


@pytest.fixture(scope="module")
def expressions(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("expressions"), EXPRESSIONS)


def parse_expr(text: str) -> n.Expr:
    module, diagnostics = parse_text(f"situation s at 序言 {{ when {text} }}", "e.policy")
    assert module is not None and not diagnostics
    statement = module.items[0]
    assert isinstance(statement, n.Statement)
    when = statement.first(n.When)
    assert when is not None
    return when.condition


def evaluate(model: ir.Program, text: str, **facts: Any) -> Any:
    return Evaluator(model, facts).eval(parse_expr(text))


# ---------------------------------------------------------------- Kleene logic

U = None  # an unknown truth value in the tables below
TRUTH = [True, False, U]


def kleene_and(x: bool | None, y: bool | None) -> bool | None:
    if x is False or y is False:
        return False
    return True if x is True and y is True else None


def kleene_or(x: bool | None, y: bool | None) -> bool | None:
    if x is True or y is True:
        return True
    return False if x is False and y is False else None


def given_bools(**values: bool | None) -> dict[str, bool]:
    return {k: v for k, v in values.items() if v is not None}


def as_truth(value: Any) -> bool | None:
    if isinstance(value, Unknown):
        return None
    assert isinstance(value, bool)
    return value


@pytest.mark.parametrize("x", TRUTH)
@pytest.mark.parametrize("y", TRUTH)
def test_kleene_and(decision_policy: Built, x: Any, y: Any) -> None:
    model, _ = decision_policy
    result = evaluate(model, "a and b", **given_bools(a=x, b=y))
    assert as_truth(result) == kleene_and(x, y)


@pytest.mark.parametrize("x", TRUTH)
@pytest.mark.parametrize("y", TRUTH)
def test_kleene_or(decision_policy: Built, x: Any, y: Any) -> None:
    model, _ = decision_policy
    result = evaluate(model, "a or b", **given_bools(a=x, b=y))
    assert as_truth(result) == kleene_or(x, y)


@pytest.mark.parametrize("x", TRUTH)
def test_kleene_not(decision_policy: Built, x: Any) -> None:
    model, _ = decision_policy
    result = evaluate(model, "not a", **given_bools(a=x))
    assert as_truth(result) == (None if x is None else not x)


def test_unknown_is_never_false(decision_policy: Built) -> None:
    model, _ = decision_policy
    assert evaluate(model, "not a") == Unknown(frozenset({"a"}))
    assert evaluate(model, "not a or a") == Unknown(frozenset({"a"}))  # no excluded middle


# ---------------------------------------------------------------- what an unknown still needs


def test_needs_after_simplification(decision_policy: Built) -> None:
    model, _ = decision_policy
    # a false settles `a and b`: b is not needed
    assert evaluate(model, "a and b", a=False) is False
    # a true settles `a or b`
    assert evaluate(model, "b or a", a=True) is True
    # both unknown: both are needed
    assert evaluate(model, "a or b") == Unknown(frozenset({"a", "b"}))
    assert evaluate(model, "a and b") == Unknown(frozenset({"a", "b"}))
    # a known but not decisive drops out
    assert evaluate(model, "a and b", a=True) == Unknown(frozenset({"b"}))
    assert evaluate(model, "a or b", a=False) == Unknown(frozenset({"b"}))
    # a decisive operand settles the whole, even after unknown ones
    assert evaluate(model, "a and b and c", c=False) is False
    assert evaluate(model, "(a and b) or (c and d)", a=True, b=True) is True
    assert evaluate(model, "(a and b) or (c and d)", a=False) == Unknown(frozenset({"c", "d"}))
    assert evaluate(model, "not (a and b)", b=True) == Unknown(frozenset({"a"}))


def test_needs_through_comparisons_arithmetic_and_sets(
    decision_policy: Built,
) -> None:
    model, _ = decision_policy
    assert evaluate(model, "income >= 5000 yuan") == Unknown(frozenset({"income"}))
    assert evaluate(model, "income * household_size >= standard", income=Decimal(1)) == Unknown(
        frozenset({"household_size", "standard"})
    )
    assert evaluate(model, "min(income, standard) > 0 yuan") == Unknown(
        frozenset({"income", "standard"})
    )
    assert evaluate(model, "applied_programme in {dibao}") == Unknown(
        frozenset({"applied_programme"})
    )
    assert evaluate(model, "applied_programme in {dibao}", applied_programme="dibao") is True
    assert evaluate(model, "applied_programme == tekun", applied_programme="dibao") is False
    assert evaluate(model, "other and a", a=True) == Unknown(frozenset({"other"}))


def test_conditional_with_unknown_condition(expressions: Built) -> None:
    model, _ = expressions
    # equal branches: the condition does not matter, the value is known
    assert evaluate(model, "(if a then 4 else 4) == 4") is True
    assert Evaluator(model, {}).eval(n.Name("same", SPAN)) == Decimal(4)
    # unequal branches: the condition is needed
    assert evaluate(model, "(if a then 4 else 6) == 4") == Unknown(frozenset({"a"}))
    # an unknown branch is needed too
    assert Evaluator(model, {}).eval(n.Name("branchy", SPAN)) == Unknown(frozenset({"a", "count"}))
    # equal once the branch is known
    assert Evaluator(model, {"count": Decimal(4)}).eval(n.Name("branchy", SPAN)) == Decimal(4)
    # a known condition takes one branch, and needs only what that branch needs
    assert Evaluator(model, {"a": False}).eval(n.Name("branchy", SPAN)) == Decimal(4)
    assert Evaluator(model, {"a": True}).eval(n.Name("branchy", SPAN)) == Unknown(
        frozenset({"count"})
    )


def test_a_definition_needs_its_facts_not_its_name(expressions: Built) -> None:
    model, _ = expressions
    assert Evaluator(model, {}).eval(n.Name("quota", SPAN)) == Unknown(frozenset({"count"}))
    assert Evaluator(model, {"count": Decimal(49999)}).eval(n.Name("quota", SPAN)) == 4
    assert Evaluator(model, {"count": Decimal(50000)}).eval(n.Name("quota", SPAN)) == 6


SPAN = n.Span("t", 0, 0, 0, 0)


# ---------------------------------------------------------------- the five outcomes


def cited(decision: Decision) -> tuple[str, ...]:
    """The clauses of the deciding rules, as the policy writes them."""
    return tuple(s.rule.clause for s in decision.decisive)


def decide_with(policy: Built, **facts: Any) -> Decision:
    model, p = policy
    return decide(model, p, facts)


def test_applies(decision_policy: Built) -> None:
    result = decide_with(
        decision_policy, complies=True, concealed=True, verified=True, abuse=False, skipped=False
    )
    assert result.outcome == "applies"
    assert [s.rule.name for s in result.decisive] == ["s1"]
    assert cited(result) == ("第四条（一）2",)
    assert result.grants == ("exempt", "lighter")
    assert (result.missing, result.judgments) == ((), ())


def test_applies_though_another_situation_is_open(decision_policy: Built) -> None:
    # s2 (a judgment) is still open, but s1 holds: one situation is enough
    result = decide_with(
        decision_policy, complies=True, concealed=True, verified=True, abuse=False, skipped=False
    )
    s2 = next(s for s in result.rules if s.rule.name == "s2")
    assert (s2.value, s2.needs) == (None, frozenset({"other"}))
    assert result.outcome == "applies"


def test_applies_by_every_situation_that_held(decision_policy: Built) -> None:
    result = decide_with(
        decision_policy,
        complies=True,
        concealed=True,
        verified=True,
        other=True,
        abuse=False,
        skipped=False,
    )
    assert result.outcome == "applies"
    assert cited(result) == ("第四条（一）2", "第四条（四）15")


def test_excluded(decision_policy: Built) -> None:
    result = decide_with(decision_policy, abuse=True)
    assert result.outcome == "excluded"
    assert [s.rule.name for s in result.decisive] == ["e1"]
    assert cited(result) == ("第五条（六）",)
    assert result.grants == ()
    assert (result.missing, result.judgments) == ((), ())


def test_excluded_overrides_a_failed_gate(decision_policy: Built) -> None:
    result = decide_with(decision_policy, complies=False, abuse=True)
    assert result.outcome == "excluded"
    assert cited(result) == ("第五条（六）",)


def test_excluded_overrides_situations_that_hold(decision_policy: Built) -> None:
    result = decide_with(decision_policy, complies=True, concealed=True, verified=True, abuse=True)
    assert result.outcome == "excluded"
    assert result.grants == ()


def test_not_covered_by_a_failed_gate(decision_policy: Built) -> None:
    result = decide_with(decision_policy, complies=False, concealed=True, verified=True)
    assert result.outcome == "not_covered"
    assert [s.rule.name for s in result.decisive] == ["g"]
    assert cited(result) == ("第四条",)
    # unknown exclusions do not matter once relief is impossible
    assert (result.missing, result.judgments) == ((), ())


def test_not_covered_when_every_situation_is_false(decision_policy: Built) -> None:
    result = decide_with(decision_policy, concealed=False, other=False)
    assert result.outcome == "not_covered"
    assert result.decisive == ()
    assert (result.missing, result.judgments) == ((), ())


def test_not_covered_when_the_policy_has_no_situation(tmp_path: Path) -> None:
    model, policy = build(
        tmp_path,
        "gate g at 第四条 { when complies }\n"
        "exclusion e at 第五条（六） { when abuse overrides all }\n",
    )
    result = decide(model, policy, {"complies": True, "abuse": False})
    assert result.outcome == "not_covered"


def test_undetermined_lists_exactly_the_missing_facts(
    decision_policy: Built,
) -> None:
    result = decide_with(
        decision_policy, complies=True, concealed=True, other=False, abuse=False, skipped=False
    )
    assert result.outcome == "undetermined"
    assert result.missing == ("verified",)
    assert result.judgments == ()
    assert result.decisive == ()


def test_undetermined_simplifies_before_listing(decision_policy: Built) -> None:
    # s1 is false by `verified`: `concealed` is not needed.  e2 is false by `skipped`:
    # the judgment bad_impact is not needed.  s2 holds, so only e1 is still open.
    result = decide_with(decision_policy, complies=True, verified=False, other=True, skipped=False)
    assert result.outcome == "undetermined"
    assert result.missing == ("abuse",)
    assert result.judgments == ()


def test_undetermined_with_nothing_known(decision_policy: Built) -> None:
    result = decide_with(decision_policy)
    assert result.outcome == "undetermined"
    assert result.missing == ("abuse", "complies", "concealed", "skipped", "verified")
    assert result.judgments == ("bad_impact", "other")


def test_undetermined_by_an_open_gate_while_a_situation_holds(
    decision_policy: Built,
) -> None:
    result = decide_with(decision_policy, concealed=True, verified=True, abuse=False, skipped=False)
    assert result.outcome == "undetermined"
    assert result.missing == ("complies",)
    # the situation that held is reported, though it did not decide yet
    assert [s.rule.name for s in result.decisive] == ["s1"]
    assert result.grants == ()


def test_needs_judgment_when_only_judgments_are_open(
    decision_policy: Built,
) -> None:
    result = decide_with(
        decision_policy, complies=True, concealed=False, abuse=False, skipped=False
    )
    assert result.outcome == "needs_judgment"
    assert result.judgments == ("other",)
    assert result.missing == ()


def test_needs_judgment_on_an_exclusion(decision_policy: Built) -> None:
    result = decide_with(
        decision_policy, complies=True, concealed=True, verified=True, abuse=False, skipped=True
    )
    # e2 could defeat s1 (it overrides s1 only); then s2, a judgment, would decide.
    assert result.outcome == "needs_judgment"
    assert result.judgments == ("bad_impact", "other")
    assert result.missing == ()
    report = explain(decision_policy[0], result)
    assert report["judgments"][0] == {
        "judgment": "bad_impact",
        "label": "造成恶劣影响",
        "refers": "宁波市干部容错相关规定",
    }


def test_undetermined_when_judgments_and_facts_are_open(
    decision_policy: Built,
) -> None:
    result = decide_with(decision_policy, complies=True, concealed=False, skipped=False)
    assert result.outcome == "undetermined"
    assert result.missing == ("abuse",)
    assert result.judgments == ("other",)


def test_a_judgment_given_is_a_fact_like_any_other(decision_policy: Built) -> None:
    result = decide_with(
        decision_policy, complies=True, concealed=False, other=True, abuse=False, skipped=False
    )
    assert result.outcome == "applies"
    assert cited(result) == ("第四条（四）15",)


# ---------------------------------------------------------------- explanation and overriding


def test_overridden_situations_record_their_overriders(
    decision_policy: Built,
) -> None:
    result = decide_with(
        decision_policy,
        complies=True,
        concealed=True,
        verified=True,
        other=True,
        abuse=True,
        skipped=True,
        bad_impact=True,
    )
    assert result.outcome == "excluded"
    assert [s.rule.name for s in result.decisive] == ["e1", "e2"]
    assert cited(result) == ("第五条（六）", "第五条（一）")
    by_name = {s.rule.name: s for s in result.rules}
    assert by_name["s1"].overridden_by == ("e1", "e2")  # e1 overrides all, e2 names s1
    assert by_name["s2"].overridden_by == ("e1",)
    assert by_name["g"].overridden_by == ()


def test_an_exclusion_naming_one_situation_leaves_the_others(
    decision_policy: Built,
) -> None:
    # An exclusion whose `overrides` names only s1 defeats s1 alone: s2 still holds, and no
    # exclusion that could defeat s2 is open, so relief applies through s2.
    result = decide_with(
        decision_policy,
        complies=True,
        concealed=False,
        other=True,
        abuse=False,
        skipped=True,
        bad_impact=True,
    )
    assert result.outcome == "applies"
    by_name = {s.rule.name: s for s in result.rules}
    assert by_name["s2"].value is True
    assert by_name["s2"].overridden_by == ()
    assert [s.rule.name for s in result.decisive] == ["s2"]


def test_rules_in_document_order_with_their_status(decision_policy: Built) -> None:
    result = decide_with(decision_policy, complies=True, concealed=True)
    assert [(s.rule.name, s.value, sorted(s.needs)) for s in result.rules] == [
        ("g", True, []),
        ("s1", None, ["verified"]),
        ("s2", None, ["other"]),
        ("e1", None, ["abuse"]),
        ("e2", None, ["bad_impact", "skipped"]),
    ]


def test_explain_as_json(decision_policy: Built) -> None:
    model, policy = decision_policy
    result = decide(
        model,
        policy,
        {"complies": True, "concealed": True, "verified": True, "abuse": False, "skipped": False},
    )
    report = explain(model, result)
    assert report["policy"] == "x"
    assert report["outcome"] == "applies"
    assert report["grants"] == ["exempt", "lighter"]
    assert report["missing"] == []
    assert report["judgments"] == []
    assert report["decided_by"] == [
        {
            "rule": "s1",
            "kind": "situation",
            "clause": "第四条（一）2",
            "quote": "",
            "holds": True,
            "needs": [],
            "overridden_by": [],
        }
    ]
    gate = report["rules"][0]
    assert (gate["rule"], gate["quote"], gate["holds"]) == ("g", "符合政策要求", True)


def test_literal_facts_from_a_policy_test() -> None:
    module, diagnostics = parse_text(
        'tests x { case c "c" { given a = true, count = 3, share = 30%, '
        "income = 0.1 yuan, applied_date = 2024-09-27, waiting = 3 months, "
        'remark = "说明", applied_programme = dibao expect applies } }',
        "t.policy",
    )
    assert module is not None and not diagnostics
    suite = module.items[0]
    assert isinstance(suite, n.TestSuite)
    assert literal_facts(suite.cases[0].given) == {
        "a": True,
        "count": Decimal(3),
        "share": Decimal("0.3"),
        "income": Decimal("0.1"),
        "applied_date": date(2024, 9, 27),
        "waiting": n.Duration(3, "months"),
        "remark": "说明",
        "applied_programme": "dibao",
    }


# ---------------------------------------------------------------- arithmetic


def value_of(policy: Built, define: str, **facts: Any) -> Any:
    model, _ = policy
    return Evaluator(model, facts).eval(n.Name(define, SPAN))


def test_money_is_exact(expressions: Built) -> None:
    tenth = value_of(expressions, "tenth")
    assert tenth == Decimal("0.3")
    assert isinstance(tenth, Decimal)
    assert 3 * 0.1 != 0.3  # what floats would have given
    model, _ = expressions
    assert evaluate(model, "3 * 0.1 yuan == 0.3 yuan") is True
    assert evaluate(model, "0.1 yuan + 0.2 yuan == 0.3 yuan") is True


def test_ratio_min_max_and_division(expressions: Built) -> None:
    # min(1000 * 30%, 400) + max(1000, 100) / 4 = 300 + 250
    assert value_of(expressions, "cap", income=Decimal(1000), standard=Decimal(400)) == Decimal(550)
    # min(50 * 30%, 400) + max(50, 100) / 4 = 15 + 25
    assert value_of(expressions, "cap", income=Decimal(50), standard=Decimal(400)) == Decimal(40)
    assert value_of(expressions, "per_head", income=Decimal(1000), household_size=Decimal(3)) == (
        Decimal(1000) / Decimal(3)
    )


def test_division_by_zero_is_a_fact_error(expressions: Built) -> None:
    with pytest.raises(FactError, match="division by zero"):
        value_of(expressions, "per_head", income=Decimal(1000), household_size=Decimal(0))


def test_date_plus_months_and_years(expressions: Built) -> None:
    assert value_of(expressions, "review_date", applied_date=date(2024, 1, 31)) == date(2024, 2, 29)
    assert value_of(expressions, "review_date", applied_date=date(2024, 12, 15)) == date(
        2025, 1, 15
    )
    assert value_of(expressions, "review_year", applied_date=date(2024, 2, 29)) == date(2025, 2, 28)
    assert value_of(expressions, "earlier", applied_date=date(2024, 3, 31)) == date(2024, 2, 29)
    assert value_of(expressions, "ten_days_on", applied_date=date(2024, 9, 27)) == date(2024, 10, 7)
    assert value_of(expressions, "review_date") == Unknown(frozenset({"applied_date"}))


def test_duration_arithmetic(expressions: Built) -> None:
    assert value_of(expressions, "total_wait", waiting=n.Duration(3, "months")) == n.Duration(
        5, "months"
    )
    with pytest.raises(FactError, match="cannot add"):
        value_of(expressions, "total_wait", waiting=n.Duration(3, "days"))


def test_date_plus_workdays_needs_a_deadline(expressions: Built) -> None:
    model, _ = expressions
    with pytest.raises(FactError, match="needs the calendar"):
        evaluate(model, "applied_date + 3 workdays > 2024-01-01", applied_date=date(2024, 1, 1))


def test_comparisons_of_each_kind(expressions: Built) -> None:
    model, _ = expressions
    facts: dict[str, Any] = {
        "income": Decimal("1200.50"),
        "share": Decimal("0.3"),
        "applied_date": date(2024, 9, 27),
        "waiting": n.Duration(3, "months"),
        "remark": "说明",
        "count": Decimal(3),
    }
    assert evaluate(model, "income > 1200.5 yuan", **facts) is False
    assert evaluate(model, "income == 1200.5 yuan", **facts) is True  # 1200.50 == 1200.5
    assert evaluate(model, "share >= 30%", **facts) is True
    assert evaluate(model, "share < 0.3", **facts) is False
    assert evaluate(model, "applied_date < 2024-10-01", **facts) is True
    assert evaluate(model, "waiting <= 3 months", **facts) is True
    assert evaluate(model, 'remark != "说明"', **facts) is False
    assert evaluate(model, "count * 2 >= 6 and count / 2 > 1", **facts) is True


# ---------------------------------------------------------------- facts in: coerce_fact


@pytest.mark.parametrize(
    ("fact", "raw", "value"),
    [
        ("a", True, True),
        ("a", False, False),
        ("other", True, True),  # a judgment is answered yes or no
        ("count", 3, Decimal(3)),
        ("count", "3", Decimal(3)),
        ("income", 1200.5, Decimal("1200.5")),
        ("income", "0.1", Decimal("0.1")),
        ("share", "30%", Decimal("0.3")),
        ("share", "12.5%", Decimal("0.125")),
        ("share", 0.3, Decimal("0.3")),  # exactly 0.3, not the float's binary expansion
        ("share", 1, Decimal(1)),
        ("applied_date", "2024-09-27", date(2024, 9, 27)),
        ("waiting", "3 months", n.Duration(3, "months")),
        ("waiting", "10 workdays", n.Duration(10, "workdays")),
        ("remark", "文本", "文本"),
        ("applied_programme", "dibao", "dibao"),
    ],
)
def test_coerce_fact_accepts(decision_policy: Built, fact: str, raw: Any, value: Any) -> None:
    model, _ = decision_policy
    result = coerce_fact(model, fact, raw)
    assert result == value
    assert type(result) is type(value)


@pytest.mark.parametrize(
    ("fact", "raw", "message"),
    [
        ("nope", True, "unknown fact 'nope'"),
        ("a", "true", "'a' is true or false, not \"true\""),
        ("a", 1, "'a' is true or false, not 1"),
        ("a", None, "'a' is true or false, not null"),
        ("other", "是", "'other' is true or false, not \"是\""),
        ("count", 3.5, "'count' is an int, not 3.5"),
        ("count", True, "'count' is an int, not true"),
        ("count", "three", "'count' is an int, not \"three\""),
        ("income", [1], "'income' is a money, not [1]"),
        ("share", "abc%", "'share' is a ratio, not \"abc%\""),
        (
            "applied_date",
            "2024-02-30",
            """'applied_date' is a date YYYY-MM-DD, not "2024-02-30\"""",
        ),
        ("applied_date", 20240927, "'applied_date' is a date YYYY-MM-DD, not 20240927"),
        ("waiting", "3 weeks", '\'waiting\' is a duration such as "3 months", not "3 weeks"'),
        ("waiting", 3, "'waiting' is a duration such as \"3 months\", not 3"),
        ("remark", 3, "'remark' is text, not 3"),
        ("applied_programme", "wubao", "'applied_programme' is one of dibao, tekun; not \"wubao\""),
        ("applied_programme", 1, "'applied_programme' is one of dibao, tekun; not 1"),
    ],
)
def test_coerce_fact_rejects_with_a_clear_message(
    decision_policy: Built, fact: str, raw: Any, message: str
) -> None:
    model, _ = decision_policy
    with pytest.raises(FactError) as error:
        coerce_fact(model, fact, raw)
    assert str(error.value) == message


def test_coerce_fact_message_article(decision_policy: Built) -> None:
    model, _ = decision_policy
    with pytest.raises(FactError, match="'count' is an int"):
        coerce_fact(model, "count", 3.5)


@pytest.mark.parametrize(
    ("fact", "raw"),
    [
        ("income", "NaN"),
        ("income", float("nan")),
        ("income", "Infinity"),
        ("share", float("inf")),
        ("count", "Infinity"),
    ],
)
def test_coerce_fact_rejects_non_finite_numbers(
    decision_policy: Built, fact: str, raw: Any
) -> None:
    model, _ = decision_policy
    with pytest.raises(FactError):
        coerce_fact(model, fact, raw)


@pytest.mark.parametrize("raw", ["20240927", "2024-W39-5"])
def test_coerce_fact_dates_are_yyyy_mm_dd_only(decision_policy: Built, raw: str) -> None:
    model, _ = decision_policy
    with pytest.raises(FactError):
        coerce_fact(model, "applied_date", raw)


def test_coerce_facts_treats_null_as_unknown(decision_policy: Built) -> None:
    model, policy = decision_policy
    facts = coerce_facts(model, {"complies": True, "concealed": None, "share": "30%"})
    assert facts == {"complies": True, "share": Decimal("0.3")}
    assert "concealed" in decide(model, policy, facts).missing


# ---------------------------------------------------------------- time limits


def nth_workday_after(start: date, count: int) -> date:
    """The oracle: chinese_calendar, counted day by day."""
    day = start
    while count:
        day += timedelta(days=1)
        count -= chinese_calendar.is_workday(day)
    return day


def test_due_across_the_2024_national_day_break(expressions: Built) -> None:
    model, policy = expressions
    start = date(2024, 9, 27)  # a Friday; 09-29 (Sunday) and 10-12 (Saturday) are workdays
    assert due(model, policy, "ningbo_verification", start, CAL) == date(2024, 10, 12)
    assert nth_workday_after(start, 7) == date(2024, 10, 12)
    extended = due(model, policy, "ningbo_verification", start, CAL, extended=True)
    assert extended == nth_workday_after(start, 15) == date(2024, 10, 23)


def test_due_of_a_procedure_step(expressions: Built) -> None:
    model, policy = expressions
    start = date(2024, 9, 27)
    assert (
        due(model, policy, "check", start, CAL)
        == nth_workday_after(start, 10)
        == date(2024, 10, 16)
    )


@pytest.mark.parametrize("start", [date(2024, 1, 31), date(2024, 4, 30), date(2025, 1, 24)])
def test_due_agrees_with_chinese_calendar(expressions: Built, start: date) -> None:
    model, policy = expressions
    assert due(model, policy, "ningbo_verification", start, CAL) == nth_workday_after(start, 7)
    assert due(
        model, policy, "ningbo_verification", start, CAL, extended=True
    ) == nth_workday_after(start, 15)


# ---------------------------------------------------------------- a property: decided is decided

PROPERTY_POLICY = """
gate g at 第四条 { when a or count >= 3 }
situation s1 at 第四条（一）2 { when b and not c }
situation s2 at 第四条（四）15 { when other or (if d then count > 5 else c) }
exclusion e1 at 第五条（六） { when c and bad_impact overrides all }
exclusion e2 at 第五条（一） { when d and count < 2 overrides s1 }
"""

BOOL_FACTS = ("a", "b", "c", "d", "other", "bad_impact")
JUDGMENTS = {"other", "bad_impact"}
ALL_FACTS = (*BOOL_FACTS, "count")


def value_strategy(fact: str) -> st.SearchStrategy[Any]:
    if fact == "count":
        return st.integers(min_value=0, max_value=7).map(Decimal)
    return st.booleans()


def partial_facts() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {f: st.one_of(st.none(), value_strategy(f)) for f in ALL_FACTS}
    ).map(lambda d: {k: v for k, v in d.items() if v is not None})


@pytest.fixture(scope="module")
def property_policy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield build(tmp_path_factory.mktemp("property"), PROPERTY_POLICY)


@settings(max_examples=400, deadline=None)
@given(known=partial_facts(), data=st.data())
def test_decided_outcomes_are_stable(
    property_policy: Built, known: dict[str, Any], data: st.DataObject
) -> None:
    model, policy = property_policy
    first = decide(model, policy, known)
    unknown = [f for f in ALL_FACTS if f not in known]
    filled = dict(known)
    for fact in unknown:
        filled[fact] = data.draw(value_strategy(fact), label=fact)
    final = decide(model, policy, filled)
    assert final.outcome in ("applies", "excluded", "not_covered")  # everything is known
    if first.outcome in ("applies", "excluded"):
        assert final.outcome == first.outcome
        # what decided it still holds
        assert set(cited(first)) <= set(cited(final))
    elif first.outcome == "not_covered":
        # No relief stays no relief.  Only an exclusion that is open, or that holds but overrides
        # only some situations (a failed gate came first), can turn it into `excluded`.
        open_exclusions = [
            s for s in first.rules if s.rule.kind == "exclusion" and s.value is not False
        ]
        if open_exclusions:
            assert final.outcome in ("not_covered", "excluded")
        else:
            assert final.outcome == "not_covered"


@settings(max_examples=400, deadline=None)
@given(known=partial_facts(), data=st.data())
def test_open_outcomes_list_only_facts_not_given(
    property_policy: Built, known: dict[str, Any], data: st.DataObject
) -> None:
    model, policy = property_policy
    result = decide(model, policy, known)
    open_facts = set(result.missing) | set(result.judgments)
    assert not open_facts & set(known)
    assert set(result.judgments) <= JUDGMENTS
    assert not set(result.missing) & JUDGMENTS
    if result.outcome == "undetermined":
        assert result.missing
    elif result.outcome == "needs_judgment":
        assert result.judgments and not result.missing
    else:
        assert not open_facts
    # Filling in exactly the facts listed (any way) decides the case.
    filled = dict(known)
    for fact in sorted(open_facts):
        filled[fact] = data.draw(value_strategy(fact), label=fact)
    assert decide(model, policy, filled).outcome in ("applies", "excluded", "not_covered")


def test_limit_tables_are_the_limits_of_the_whole_tables() -> None:
    """`limit_tables` (what due dates read: the time limits and the periods they exclude, no
    rules) gives, for every limit of the five documents, the due date `info`'s limit gives,
    plain and extended, with every extra piece of the tables it keeps the same."""
    from compiler.comparison import EXAMPLE_START, official_calendar
    from compiler.interpret import info, limit_tables
    from compiler.lower import load_program

    program = load_program(ROOT)
    calendar = official_calendar()
    counted = 0
    for policy in program.policies.values():
        whole, limits = info(program, policy), limit_tables(program, policy)
        assert limits.rules == () and not limits.facts
        assert (limits.id, limits.periods) == (whole.id, whole.periods)
        assert [x.name for x in limits.limits] == [x.name for x in whole.limits]
        for ours, theirs in zip(limits.limits, whole.limits, strict=True):
            start = datetime(2024, 9, 27, 9, 30) if theirs.unit == "hours" else EXAMPLE_START
            assert ours.reckon(start, calendar) == theirs.reckon(start, calendar)
            if theirs.extend_amount is not None:
                assert ours.reckon(start, calendar, extended=True) == theirs.reckon(
                    start, calendar, extended=True
                )
            counted += 1
    assert counted > 10  # every limit of the five documents (19)
