"""Every construct of the policy language (docs/language.md), parsed and checked.

Each test parses a small snippet with `compiler.parser.parse_text` and asserts on the nodes it
becomes: their types and values, not just that parsing succeeded.  The last section runs the
type checker (`compiler.check.check`) on small projects.
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from functools import cache
from itertools import cycle
from pathlib import Path
from typing import Any

import pytest

from compiler import nodes as n
from compiler.check import check
from compiler.diagnostics import Diagnostic
from compiler.parser import parse_text
from compiler.project import load

ROOT = Path(__file__).resolve().parent.parent
NINGBO_SHA256 = "cb0eeb5b5fef6fa5e40fb26a267488a9f313231a4d884eed4886e4deda41f394"


# ---------------------------------------------------------------- helpers


def parse(text: str) -> n.Module:
    module, diagnostics = parse_text(text, "t.policy")
    assert diagnostics == [], [d.render() for d in diagnostics]
    assert module is not None
    return module


def parse_errors(text: str) -> list[Diagnostic]:
    _module, diagnostics = parse_text(text, "t.policy")
    return diagnostics


def only(text: str) -> Any:
    """The single top-level item of a snippet."""
    module = parse(text)
    assert len(module.items) == 1, module.items
    return module.items[0]


def statement(text: str) -> n.Statement:
    item = only(text)
    assert isinstance(item, n.Statement)
    return item


def expr(text: str) -> n.Expr:
    """The condition of `situation s at 序言 { when TEXT }`."""
    when = statement(f"situation s at 序言 {{ when {text} }}").items[0]
    assert isinstance(when, n.When)
    return when.condition


def name(x: str) -> n.Name:
    return n.Name(x, SPAN)


def lit(value: Any, type_: str) -> n.Literal:
    return n.Literal(value, n.TypeRef(type_), SPAN)


# Spans are excluded from equality (field(compare=False)), so any span will do in expectations.
SPAN = n.Span("t.policy", 0, 0, 0, 0)


# ---------------------------------------------------------------- the header


def test_header_with_every_field() -> None:
    header = only(
        """
        policy weihai {
            title "关于健全社会救助工作容错纠错机制的通知"
            jurisdiction "山东省威海市" city
            issuer "威海市民政局", "中共威海市纪委机关"
            number "威民发〔2023〕24号"
            issued 2023-10-07
            status in_force
            effective 2023-11-01
            source "sources/weihai.txt" sha256 "19191fdf"
            decision tolerance "容错纠错"
        }
        """
    )
    assert isinstance(header, n.PolicyHeader)
    assert header.id == "weihai"
    assert header.title == "关于健全社会救助工作容错纠错机制的通知"
    assert (header.jurisdiction, header.level) == ("山东省威海市", "city")
    assert header.issuers == ("威海市民政局", "中共威海市纪委机关")
    assert header.number == "威民发〔2023〕24号"
    assert header.issued == date(2023, 10, 7)
    assert (header.status, header.status_label) == ("in_force", None)
    assert header.effective == date(2023, 11, 1)
    assert (header.source, header.source_sha256) == ("sources/weihai.txt", "19191fdf")
    assert (header.decision, header.decision_label) == ("tolerance", "容错纠错")


def test_header_status_with_label_and_effective_on_issue() -> None:
    header = only(
        'policy ningbo { status draft "征求意见稿" effective on_issue '
        'jurisdiction "浙江省宁波市" county }'
    )
    assert isinstance(header, n.PolicyHeader)
    assert (header.status, header.status_label) == ("draft", "征求意见稿")
    assert header.effective == "on_issue"
    assert header.level == "county"


def test_header_states_only_what_is_written() -> None:
    header = only('policy p { title "t" }')
    assert isinstance(header, n.PolicyHeader)
    assert header.title == "t"
    assert header.issuers == ()
    assert header.number is None
    assert header.issued is None
    assert header.status is None
    assert header.effective is None
    assert header.source is None
    assert header.decision is None


@pytest.mark.parametrize("level", ["province", "city", "district", "county"])
def test_header_jurisdiction_levels(level: str) -> None:
    header = only(f'policy p {{ jurisdiction "某地" {level} }}')
    assert isinstance(header, n.PolicyHeader)
    assert header.level == level


@pytest.mark.parametrize("status", ["in_force", "draft", "repealed", "expired"])
def test_header_statuses(status: str) -> None:
    header = only(f"policy p {{ status {status} }}")
    assert isinstance(header, n.PolicyHeader)
    assert header.status == status


def test_header_issuer_alone() -> None:
    header = only('policy p { issuer "威海市民政局" }')
    assert isinstance(header, n.PolicyHeader)
    assert header.issuers == ("威海市民政局",)


def test_impossible_date_is_e010() -> None:
    errors = parse_errors("policy p { issued 2023-02-30 }")
    assert [e.code.id for e in errors] == ["E010"]
    assert "2023-02-30" in errors[0].message


def test_module_header_property() -> None:
    module = parse('fact a: bool "a"\npolicy p { title "t" }')
    assert module.header is not None
    assert module.header.id == "p"
    assert parse('fact a: bool "a"').header is None


# ---------------------------------------------------------------- vocabulary


@pytest.mark.parametrize("spelling", ["bool", "int", "money", "ratio", "date", "duration", "text"])
def test_fact_of_each_base_type(spelling: str) -> None:
    fact = only(f'fact x: {spelling} "标签"')
    assert fact == n.FactDecl("x", n.TypeRef(spelling), "标签", None, SPAN)
    assert str(fact.type) == spelling


def test_fact_of_enum_type() -> None:
    fact = only('fact applied_programme: enum programme "申请的救助项目"')
    assert isinstance(fact, n.FactDecl)
    assert fact.type == n.TypeRef("enum", "programme")
    assert str(fact.type) == "enum programme"
    assert fact.label == "申请的救助项目"
    assert fact.concept is None


def test_concept_gives_its_facts_the_concept_name() -> None:
    concept = only(
        """
        concept concealment "申请人隐瞒家庭经济状况" {
            fact applicant_concealed_finances: bool "瞒报、虚报"
            fact concealed_amount: money "隐瞒的金额"
        }
        """
    )
    assert isinstance(concept, n.ConceptDecl)
    assert concept.name == "concealment"
    assert concept.label == "申请人隐瞒家庭经济状况"
    assert [(f.name, f.type.name, f.label, f.concept) for f in concept.facts] == [
        ("applicant_concealed_finances", "bool", "瞒报、虚报", "concealment"),
        ("concealed_amount", "money", "隐瞒的金额", "concealment"),
    ]


@pytest.mark.parametrize("relation", ["same", "narrower", "wider"])
def test_fact_related_to_a_shared_fact(relation: str) -> None:
    fact = only(f'fact ningbo_self_dealing: bool "以权谋私" {relation} sought_improper_benefit')
    assert isinstance(fact, n.FactDecl)
    assert fact.relation == n.FactRelation(n.Relation(relation), "sought_improper_benefit", SPAN)
    assert fact.concept is None


def test_a_shared_fact_may_relate_to_another_and_keeps_its_concept() -> None:
    concept = only(
        """
        concept recovery "追缴" {
            fact recovery_organized: bool "已组织追缴"
            fact recovery_completed: bool "已全额追回" narrower recovery_organized
        }
        """
    )
    completed = concept.facts[1]
    assert completed.concept == "recovery"
    assert completed.relation == n.FactRelation(n.Relation.NARROWER, "recovery_organized", SPAN)


def test_the_grammar_lists_exactly_the_relations() -> None:
    import re

    from compiler.parser import grammar_text

    match = re.search(r"^RELATION:(.*)$", grammar_text(), re.M)
    assert match is not None
    assert set(re.findall(r'"(\w+)"', match.group(1))) == {r.value for r in n.Relation}


def test_relations_are_lowered_and_checked(tmp_path: Path) -> None:
    from compiler.lower import lower

    root = tmp_path
    (root / "policies").mkdir()
    (root / "policies" / "concepts.policy").write_text(
        'concept misconduct "不当行为" {\n'
        '    fact sought_improper_benefit: bool "为个人、家属、他人或单位谋取不正当利益"\n'
        "}\n",
        encoding="utf-8",
    )
    (root / "policies" / "vocabulary.policy").write_text("", encoding="utf-8")
    city = root / "policies" / "city.policy"
    city.write_text(
        'fact city_self_dealing: bool "以权谋私或优亲厚友" narrower sought_improper_benefit\n'
        'fact city_count: int "人数" same sought_improper_benefit\n'
        'fact city_other: bool "其他" wider city_self_dealing\n',
        encoding="utf-8",
    )
    model, diagnostics = check(load(root))
    assert sorted(d.code.id for d in diagnostics) == ["E120", "E205"]
    city.write_text(
        'fact city_self_dealing: bool "以权谋私或优亲厚友" narrower sought_improper_benefit\n',
        encoding="utf-8",
    )
    model, diagnostics = check(load(root))
    assert diagnostics == []
    program = lower(model, root)
    related = program.facts["city_self_dealing"].related
    assert related is not None and str(related) == "narrower sought_improper_benefit"
    assert program.concepts["misconduct"].related == ("city_self_dealing",)


def test_empty_concept() -> None:
    concept = only('concept c "空" { }')
    assert isinstance(concept, n.ConceptDecl)
    assert concept.facts == ()


def test_judgment_without_refers() -> None:
    judgment = only('judgment other_tolerable_situation "其他……情形"')
    assert judgment == n.JudgmentDecl("other_tolerable_situation", "其他……情形", None, SPAN)


def test_judgment_with_refers() -> None:
    judgment = only(
        'judgment ningbo_cadre_tolerance_rules "依宁波市干部容错相关规定予以免责" '
        'refers "宁波市干部容错相关规定"'
    )
    assert isinstance(judgment, n.JudgmentDecl)
    assert judgment.name == "ningbo_cadre_tolerance_rules"
    assert judgment.label == "依宁波市干部容错相关规定予以免责"
    assert judgment.refers == "宁波市干部容错相关规定"


def test_enum() -> None:
    enum = only(
        'enum programme "社会救助项目" { dibao "城乡最低生活保障"  tekun "特困人员救助供养" }'
    )
    assert isinstance(enum, n.EnumDecl)
    assert (enum.name, enum.label) == ("programme", "社会救助项目")
    assert [(m.name, m.label) for m in enum.members] == [
        ("dibao", "城乡最低生活保障"),
        ("tekun", "特困人员救助供养"),
    ]


def test_enum_needs_a_member() -> None:
    assert [e.code.id for e in parse_errors('enum e "空" { }')] == ["E004"]


def test_actor_with_and_without_of() -> None:
    module = parse(
        'actor township "乡镇人民政府（街道办事处）"\n'
        'actor township_head "乡镇（街道）行政一把手" of township'
    )
    township, head = module.items
    assert township == n.ActorDecl("township", "乡镇人民政府（街道办事处）", None, SPAN)
    assert head == n.ActorDecl("township_head", "乡镇（街道）行政一把手", "township", SPAN)


def test_define_with_formula() -> None:
    define = only(
        "define temporary_aid_cap: money at 三（五） "
        '"原则上不超过" "20倍" = household_size * monthly_dibao_standard * 20'
    )
    assert isinstance(define, n.DefineDecl)
    assert define.name == "temporary_aid_cap"
    assert define.type == n.TypeRef("money")
    assert define.citation.text == "三（五）"
    assert [q.text for q in define.quotes] == ["原则上不超过", "20倍"]
    # * is left-associative: (household_size * monthly_dibao_standard) * 20
    assert define.expr == n.Arith(
        "*",
        n.Arith("*", name("household_size"), name("monthly_dibao_standard"), SPAN),
        lit(Decimal(20), "int"),
        SPAN,
    )


def test_define_with_min_max_and_percent() -> None:
    define = only(
        "define aid: money at 三（五） = "
        "min(max(income * 30%, 500 yuan), household_size * standard - income)"
    )
    assert isinstance(define, n.DefineDecl)
    assert define.quotes == ()
    assert define.expr == n.Call(
        "min",
        (
            n.Call(
                "max",
                (
                    n.Arith("*", name("income"), lit(Decimal("0.3"), "ratio"), SPAN),
                    lit(Decimal(500), "money"),
                ),
                SPAN,
            ),
            n.Arith(
                "-",
                n.Arith("*", name("household_size"), name("standard"), SPAN),
                name("income"),
                SPAN,
            ),
        ),
        SPAN,
    )


# ---------------------------------------------------------------- statements


def test_statement_without_body_or_quotes() -> None:
    s = statement("gate g at 第四条")
    assert (s.kind, s.name, s.citation.text, s.quotes, s.items) == ("gate", "g", "第四条", (), ())


def test_multiple_quotes() -> None:
    s = statement(
        'situation s at 第四条（一）2 "第一段" "第二段" "含\\"引号\\"的第三段" { when a }'
    )
    assert [q.text for q in s.quotes] == ["第一段", "第二段", '含"引号"的第三段']


def test_gate() -> None:
    s = statement('gate complies at 第四条 "符合政策要求" { when complies_with_policy }')
    assert s.kind == "gate"
    assert s.items == (n.When(name("complies_with_policy"), SPAN),)
    assert s.first(n.When) == n.When(name("complies_with_policy"), SPAN)
    assert s.first(n.Note) is None


def test_situation_with_note() -> None:
    s = statement(
        'situation concealment at 第四条（一）2 "隐瞒" '
        '{ when applicant_concealed_finances and staff_verified note "经办人员已核查" }'
    )
    assert s.kind == "situation"
    assert s.items == (
        n.When(
            n.BoolOp("and", (name("applicant_concealed_finances"), name("staff_verified")), SPAN),
            SPAN,
        ),
        n.Note("经办人员已核查", SPAN),
    )


def test_exclusion_overrides_all() -> None:
    s = statement("exclusion abuse at 第五条（六） { when abuse_of_power overrides all }")
    assert s.kind == "exclusion"
    assert s.first(n.Overrides) == n.Overrides(True, (), SPAN)


def test_exclusion_overrides_names() -> None:
    s = statement("exclusion e at 第五条（一） { when skipped overrides s1, s2 }")
    assert s.first(n.Overrides) == n.Overrides(False, ("s1", "s2"), SPAN)


def test_situation_excuses_liabilities() -> None:
    s = statement("situation s at 第二十条（五） { when funds excuses arrears, allocation }")
    assert s.first(n.Excuses) == n.Excuses(("arrears", "allocation"), SPAN)


def test_check_excuses_names_liabilities_of_the_policy(tmp_path: Path) -> None:
    liability = "liability l at 第五条（一） { actor township when concealed }\n"
    codes, _ = project(
        tmp_path, liability + "situation s at 第四条（一）2 { when other excuses l }"
    )
    assert codes == []


def test_check_excuses_of_a_situation_is_e116(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        "situation s at 第四条（一）2 { when concealed }\n"
        "situation t at 第四条（一）3 { when other excuses s, nowhere }",
    )
    assert codes == ["E116", "E116"]
    assert diagnostics[0].help == ("'s' is a situation: 'excuses' names liabilities only",)


def test_check_excuses_on_a_liability_is_e110(tmp_path: Path) -> None:
    codes, _ = project(
        tmp_path, "liability l at 第五条（一） { actor township when concealed excuses l }"
    )
    assert codes == ["E110"]


def test_outcome_with_grants_and_effect() -> None:
    s = statement(
        "outcome relief at 第二条 { grants exempt, lighter, mitigated "
        "effect no_negative_evaluation, rectification_required }"
    )
    assert s.kind == "outcome"
    assert s.all(n.Grants) == (n.Grants(("exempt", "lighter", "mitigated"), SPAN),)
    assert s.all(n.Effects) == (
        n.Effects(("no_negative_evaluation", "rectification_required"), SPAN),
    )


def test_scope_covers_every_dimension() -> None:
    s = statement(
        """
        scope who at 第八条 {
            covers staff district_bureau, township, village
            covers programmes dibao, tekun
            covers places "宁波市辖各区（县、市）", "功能区"
            covers by_reference "民政部门水库移民后扶直补资金发放等帮扶事项"
            covers staff staff, "经授权的人员"
        }
        """
    )
    assert s.all(n.Covers) == (
        n.Covers("staff", ("district_bureau", "township", "village"), (), SPAN),
        n.Covers("programmes", ("dibao", "tekun"), (), SPAN),
        n.Covers("places", (), ("宁波市辖各区（县、市）", "功能区"), SPAN),
        n.Covers("by_reference", (), ("民政部门水库移民后扶直补资金发放等帮扶事项",), SPAN),
        n.Covers("staff", ("staff",), ("经授权的人员",), SPAN),
    )


def test_deadline_with_within_from_until_excluding_and_extend() -> None:
    s = statement(
        """
        deadline ningbo_verification at 第六条（二） "10个工作日内" {
            within 10 workdays from accepted_date until finding_date excluding public_notice
            extend to 15 workdays when complex_case
            actor township, village
            task "形成书面认定结果"
            when applied
        }
        """
    )
    assert s.kind == "deadline"
    assert s.first(n.Within) == n.Within(
        n.Duration(10, "workdays"), "accepted_date", "finding_date", "public_notice", SPAN
    )
    assert s.first(n.Extend) == n.Extend(n.Duration(15, "workdays"), name("complex_case"), SPAN)
    assert s.first(n.Actors) == n.Actors(("township", "village"), SPAN)
    assert s.first(n.Task) == n.Task("形成书面认定结果", SPAN)
    assert s.first(n.When) == n.When(name("applied"), SPAN)


def test_within_alone_and_with_some_parts() -> None:
    s = statement("deadline d at 一 { within 3 days }\n")
    assert s.first(n.Within) == n.Within(n.Duration(3, "days"), None, None, None, SPAN)
    s = statement("deadline d at 一 { within 24 hours until reported_date }")
    assert s.first(n.Within) == n.Within(n.Duration(24, "hours"), None, "reported_date", None, SPAN)


@pytest.mark.parametrize("unit", ["workdays", "days", "hours", "months", "years"])
def test_duration_units(unit: str) -> None:
    s = statement(f"deadline d at 一 {{ within 2 {unit} }}")
    within = s.first(n.Within)
    assert within is not None
    assert within.limit == n.Duration(2, unit)
    assert str(within.limit) == f"2 {unit}"


def test_fractional_time_limit_is_e011() -> None:
    assert [e.code.id for e in parse_errors("deadline d at 一 { within 1.5 days }")] == ["E011"]


def test_procedure_with_steps_and_branches() -> None:
    s = statement(
        """
        procedure verification at 第六条 {
            step apply "申请提出" { actor township, village within 5 workdays from found_date }
            step check "核实认定" {
                actor township
                within 10 workdays from accepted_date until finding_date
                extend to 15 workdays when complex_case
                task "形成书面认定结果"
                note "会同当地纪委"
            }
            step review "复核" { when objection_raised actor district_bureau }
            within 30 workdays
            actor district_bureau
        }
        """
    )
    assert s.kind == "procedure"
    steps = s.all(n.Step)
    assert [(st.name, st.label) for st in steps] == [
        ("apply", "申请提出"),
        ("check", "核实认定"),
        ("review", "复核"),
    ]
    assert steps[0].items == (
        n.Actors(("township", "village"), SPAN),
        n.Within(n.Duration(5, "workdays"), "found_date", None, None, SPAN),
    )
    assert steps[1].items == (
        n.Actors(("township",), SPAN),
        n.Within(n.Duration(10, "workdays"), "accepted_date", "finding_date", None, SPAN),
        n.Extend(n.Duration(15, "workdays"), name("complex_case"), SPAN),
        n.Task("形成书面认定结果", SPAN),
        n.Note("会同当地纪委", SPAN),
    )
    # a branch: the step is taken only when its condition holds
    assert steps[2].items == (
        n.When(name("objection_raised"), SPAN),
        n.Actors(("district_bureau",), SPAN),
    )
    assert s.first(n.Within) == n.Within(n.Duration(30, "workdays"), None, None, None, SPAN)
    assert s.first(n.Actors) == n.Actors(("district_bureau",), SPAN)


def test_duty_every_month_by_day() -> None:
    s = statement(
        'duty report at 三（十三） { actor township task "报送台账" every month by day 10 }'
    )
    assert s.kind == "duty"
    assert s.first(n.Every) == n.Every("month", 10, SPAN)
    assert s.first(n.Task) == n.Task("报送台账", SPAN)
    assert s.first(n.Actors) == n.Actors(("township",), SPAN)


@pytest.mark.parametrize("period", ["month", "quarter", "half_year", "year"])
def test_every_period_without_day(period: str) -> None:
    s = statement(f"duty d at 一 {{ actor township every {period} }}")
    assert s.first(n.Every) == n.Every(period, None, SPAN)


@pytest.mark.parametrize("day", ["0", "32", "2.5"])
def test_every_by_impossible_day_is_e012(day: str) -> None:
    errors = parse_errors(f"duty d at 一 {{ actor a every month by day {day} }}")
    assert [e.code.id for e in errors] == ["E012"]


def test_requirement_with_ratio_and_conditional_quota() -> None:
    s = statement(
        """
        requirement staffing at 三（十三） "不低于30%" {
            require share_of_checks >= 30%
            require if population < 50000 then caseworkers >= 4 else caseworkers >= 6
            require caseworkers >= (if population < 50000 then 4 else 6)
            actor district_bureau
            every year
        }
        """
    )
    assert s.kind == "requirement"
    ratio, branches, quota = s.all(n.Require)
    assert ratio.condition == n.Compare(
        ">=", name("share_of_checks"), lit(Decimal("0.3"), "ratio"), SPAN
    )
    small = n.Compare("<", name("population"), lit(Decimal(50000), "int"), SPAN)
    assert branches.condition == n.Conditional(
        small,
        n.Compare(">=", name("caseworkers"), lit(Decimal(4), "int"), SPAN),
        n.Compare(">=", name("caseworkers"), lit(Decimal(6), "int"), SPAN),
        SPAN,
    )
    assert quota.condition == n.Compare(
        ">=",
        name("caseworkers"),
        n.Conditional(small, lit(Decimal(4), "int"), lit(Decimal(6), "int"), SPAN),
        SPAN,
    )


def test_liability() -> None:
    s = statement(
        "liability false_records at 三（十五） { actor township, village "
        "when records_falsified or funds_misappropriated }"
    )
    assert s.kind == "liability"
    assert s.first(n.Actors) == n.Actors(("township", "village"), SPAN)
    assert s.first(n.When) == n.When(
        n.BoolOp("or", (name("records_falsified"), name("funds_misappropriated")), SPAN), SPAN
    )


def test_sanction_with_target_and_penalty() -> None:
    s = statement(
        "sanction individual_penalty at 四（二） "
        "{ target individual penalty written_self_criticism, public_criticism }"
    )
    assert s.kind == "sanction"
    assert s.first(n.Target) == n.Target("individual", SPAN)
    assert s.first(n.Penalties) == n.Penalties(("written_self_criticism", "public_criticism"), SPAN)
    unit = statement("sanction u at 四（二） { target unit penalty district_wide_criticism }")
    assert unit.first(n.Target) == n.Target("unit", SPAN)


def test_responsibility_with_the_three_roles() -> None:
    s = statement(
        """
        responsibility chain at 三（二） {
            actor township
            first_responsible township_head
            direct_responsible bureau_lead
            specific_responsible caseworker
        }
        """
    )
    assert s.kind == "responsibility"
    assert s.all(n.Role) == (
        n.Role("first_responsible", "township_head", SPAN),
        n.Role("direct_responsible", "bureau_lead", SPAN),
        n.Role("specific_responsible", "caseworker", SPAN),
    )


def test_form_with_fields() -> None:
    s = statement(
        """
        form application at 附件 {
            field applicant: text "申请人（单位）"
            field household_size: int "家庭人数"
            field programme: enum programme "救助项目"
            field applied_on: date "申请日期"
        }
        """
    )
    assert s.kind == "form"
    assert s.all(n.Field) == (
        n.Field("applicant", n.TypeRef("text"), "申请人（单位）", SPAN),
        n.Field("household_size", n.TypeRef("int"), "家庭人数", SPAN),
        n.Field("programme", n.TypeRef("enum", "programme"), "救助项目", SPAN),
        n.Field("applied_on", n.TypeRef("date"), "申请日期", SPAN),
    )


def test_every_item_keyword_is_known() -> None:
    assert set(n.ITEM_KEYWORDS) == {
        n.When, n.Require, n.Within, n.Extend, n.NoRollover, n.Actors, n.Task, n.Overrides,
        n.Excuses, n.Grants, n.Effects, n.Every, n.Step, n.Field, n.Role, n.Covers, n.Target,
        n.Penalties, n.Note,
    }  # fmt: skip


@pytest.mark.parametrize(
    "reason",
    [
        "purpose",
        "definition",
        "principle",
        "heading",
        "organisation",
        "promotion",
        "reference",
        "annex",
        "signature",
        "metadata",
        "transitional",
    ],
)
def test_informative_with_each_reason(reason: str) -> None:
    item = only(f'informative at 第一条 {reason} "为全面贯彻" "制订本办法"')
    assert isinstance(item, n.Informative)
    assert item.citation.text == "第一条"
    assert item.reason == reason
    assert [q.text for q in item.quotes] == ["为全面贯彻", "制订本办法"]


def test_informative_without_quote() -> None:
    item = only("informative at 落款 signature")
    assert isinstance(item, n.Informative)
    assert (item.citation.text, item.reason, item.quotes) == ("落款", "signature", ())


def test_unknown_informative_reason_is_a_syntax_error() -> None:
    assert [e.code.id for e in parse_errors("informative at 第一条 decoration")] == ["E004"]


# ---------------------------------------------------------------- citations


@pytest.mark.parametrize(
    "citation",
    [
        "第四条（一）2",
        "三（十三）",
        "第二十条(三)",  # half-width brackets
        "第二十条（三）",
        "二、（三）",
        "二（三）",
        "附件1",
        "附件",
        "序言",
        "落款",
        "第四条12",  # a level skipped (Ningbo's 第四条（四）12)
        "第一章",
        "三（五）1.",
    ],
)
def test_citation_styles(citation: str) -> None:
    s = statement(f"gate g at {citation} {{ when a }}")
    assert s.citation.text == citation
    informative = only(f"informative at {citation} heading")
    assert isinstance(informative, n.Informative)
    assert informative.citation.text == citation


def test_citation_texts_are_kept_verbatim() -> None:
    module = parse(
        """
        gate a at 第四条（一）2 { when x }
        gate b at 三（十三） { when x }
        gate c at 第二十条(三) { when x }
        gate d at 二、（三） { when x }
        gate e at 附件1 { when x }
        gate f at 序言 { when x }
        """
    )
    assert [s.citation.text for s in module.items if isinstance(s, n.Statement)] == [
        "第四条（一）2",
        "三（十三）",
        "第二十条(三)",
        "二、（三）",
        "附件1",
        "序言",
    ]


def test_citation_span_points_at_the_citation() -> None:
    s = statement("gate g at 第四条（一）2 { when a }")
    assert (s.citation.span.line, s.citation.span.column) == (1, 11)
    assert s.citation.span.end_column == 11 + len("第四条（一）2")


# ---------------------------------------------------------------- expressions


def test_not_binds_tighter_than_and_than_or() -> None:
    assert expr("not a and b or c") == n.BoolOp(
        "or", (n.BoolOp("and", (n.Not(name("a"), SPAN), name("b")), SPAN), name("c")), SPAN
    )
    assert expr("a or b and not c") == n.BoolOp(
        "or", (name("a"), n.BoolOp("and", (name("b"), n.Not(name("c"), SPAN)), SPAN)), SPAN
    )


def test_chains_of_and_or_are_flat() -> None:
    assert expr("a and b and c") == n.BoolOp("and", (name("a"), name("b"), name("c")), SPAN)
    assert expr("a or b or c") == n.BoolOp("or", (name("a"), name("b"), name("c")), SPAN)


def test_not_not_and_not_of_a_comparison() -> None:
    assert expr("not not a") == n.Not(n.Not(name("a"), SPAN), SPAN)
    assert expr("not x >= 3") == n.Not(
        n.Compare(">=", name("x"), lit(Decimal(3), "int"), SPAN), SPAN
    )


def test_parentheses_override_precedence() -> None:
    assert expr("not (a or b) and c") == n.BoolOp(
        "and", (n.Not(n.BoolOp("or", (name("a"), name("b")), SPAN), SPAN), name("c")), SPAN
    )
    assert expr("(x + y) * 2 > 10") == n.Compare(
        ">",
        n.Arith("*", n.Arith("+", name("x"), name("y"), SPAN), lit(Decimal(2), "int"), SPAN),
        lit(Decimal(10), "int"),
        SPAN,
    )


@pytest.mark.parametrize("op", [">=", "<=", "==", "!=", ">", "<"])
def test_comparisons(op: str) -> None:
    assert expr(f"income {op} 5000 yuan") == n.Compare(
        op, name("income"), lit(Decimal(5000), "money"), SPAN
    )


def test_arithmetic_precedence_and_associativity() -> None:
    assert expr("a + b * c == d") == n.Compare(
        "==", n.Arith("+", name("a"), n.Arith("*", name("b"), name("c"), SPAN), SPAN), name("d"),
        SPAN,
    )  # fmt: skip
    assert expr("a - b - c == d") == n.Compare(
        "==", n.Arith("-", n.Arith("-", name("a"), name("b"), SPAN), name("c"), SPAN), name("d"),
        SPAN,
    )  # fmt: skip
    assert expr("a / b * c == d") == n.Compare(
        "==", n.Arith("*", n.Arith("/", name("a"), name("b"), SPAN), name("c"), SPAN), name("d"),
        SPAN,
    )  # fmt: skip
    assert expr("a * b + c / d == e") == n.Compare(
        "==",
        n.Arith(
            "+",
            n.Arith("*", name("a"), name("b"), SPAN),
            n.Arith("/", name("c"), name("d"), SPAN),
            SPAN,
        ),
        name("e"),
        SPAN,
    )


def test_comparison_binds_looser_than_arithmetic_and_tighter_than_and() -> None:
    assert expr("a + 1 > b and c") == n.BoolOp(
        "and",
        (n.Compare(">", n.Arith("+", name("a"), lit(Decimal(1), "int"), SPAN), name("b"), SPAN),
         name("c")),
        SPAN,
    )  # fmt: skip


def test_comparisons_do_not_chain() -> None:
    assert [e.code.id for e in parse_errors("situation s at 一 { when 1 < x < 3 }")] == ["E004"]


def test_in_set() -> None:
    assert expr("programme in {dibao, tekun}") == n.InSet(
        name("programme"), ("dibao", "tekun"), SPAN
    )
    assert expr("not programme in {dibao}") == n.Not(
        n.InSet(name("programme"), ("dibao",), SPAN), SPAN
    )


def test_conditional() -> None:
    assert expr("if a then b else c") == n.Conditional(name("a"), name("b"), name("c"), SPAN)
    # the branches are whole expressions; a conditional nests in the else branch
    assert expr("if a then b or c else if d then e else f") == n.Conditional(
        name("a"),
        n.BoolOp("or", (name("b"), name("c")), SPAN),
        n.Conditional(name("d"), name("e"), name("f"), SPAN),
        SPAN,
    )


def test_calls() -> None:
    assert expr("min(a, b) <= max(c, d, 3)") == n.Compare(
        "<=",
        n.Call("min", (name("a"), name("b")), SPAN),
        n.Call("max", (name("c"), name("d"), lit(Decimal(3), "int")), SPAN),
        SPAN,
    )


@pytest.mark.parametrize(
    ("text", "value", "type_"),
    [
        ("true", True, "bool"),
        ("false", False, "bool"),
        ("12", Decimal(12), "int"),
        ("0.5", Decimal("0.5"), "ratio"),  # a decimal number is a ratio
        ("30%", Decimal("0.3"), "ratio"),
        ("12.5%", Decimal("0.125"), "ratio"),
        ("5000 yuan", Decimal(5000), "money"),
        ("0.1 yuan", Decimal("0.1"), "money"),
        ("2024-09-27", date(2024, 9, 27), "date"),
        ("3 months", n.Duration(3, "months"), "duration"),
        ("10 workdays", n.Duration(10, "workdays"), "duration"),
        ('"文本"', "文本", "text"),
        ('"说\\"是\\"的"', '说"是"的', "text"),  # an escaped quote inside
        ('"a\\\\b"', "a\\b", "text"),  # an escaped backslash
    ],
)
def test_literals(text: str, value: Any, type_: str) -> None:
    compare = expr(f"x == {text}")
    assert isinstance(compare, n.Compare)
    right = compare.right
    assert isinstance(right, n.Literal)
    assert right.value == value
    assert type(right.value) is type(value)
    assert right.type == n.TypeRef(type_)


def test_a_string_may_not_span_lines() -> None:
    assert [e.code.id for e in parse_errors('fact a: bool "一行\n两行"')] == ["E005"]


def test_comments_are_ignored() -> None:
    module = parse(
        """
        # a whole-line comment
        fact a: bool "甲"   # a trailing comment
        fact b: bool "有#号的标签"  # a # inside a string is not a comment
        situation s at 序言 {   # comments may stand inside a body
            when a   # and after an expression
                and b
        }
        """
    )
    fact_a, fact_b, s = module.items
    assert isinstance(fact_a, n.FactDecl) and fact_a.label == "甲"
    assert isinstance(fact_b, n.FactDecl) and fact_b.label == "有#号的标签"
    assert isinstance(s, n.Statement)
    assert s.items == (n.When(n.BoolOp("and", (name("a"), name("b")), SPAN), SPAN),)


def test_layout_is_free() -> None:
    one_line = parse('fact a: bool "甲" situation s at 序言 { when a }')
    many = parse('fact\na\n:\nbool\n"甲"\nsituation\ns\nat\n序言\n{\nwhen\na\n}')
    assert one_line.items == many.items


# ---------------------------------------------------------------- keywords are whole words


def _refused_at(text: str) -> tuple[int, int, str, tuple[str, ...]]:
    """Where the one syntax error of `text` stands (line, column), what it says, its help."""
    errors = parse_errors(text)
    assert len(errors) == 1 and errors[0].span is not None, [e.render() for e in errors]
    error = errors[0]
    assert error.span is not None
    return error.span.line, error.span.column, error.message, error.help


def test_a_keyword_that_starts_a_name_is_not_the_keyword() -> None:
    """`factfoo` was read as `fact foo` where only keywords can come: a policy declared the fact
    `foo`, `check` was clean and `fmt` wrote `fact foo:`.  It is a name, refused where it is."""
    line, column, message, hints = _refused_at('factfoo: bool "x"')
    assert (line, column, message) == (1, 1, "unexpected name 'factfoo'")
    assert "did you mean 'fact', 'actor'?" in hints
    assert any(h.startswith("expected 'actor', 'concept'") and "'fact'" in h for h in hints)
    assert _refused_at('judgmentbar "y"')[:3] == (1, 1, "unexpected name 'judgmentbar'")


def test_a_misspelt_keyword_is_blamed_not_the_word_after_it() -> None:
    """`facts foo: …` was `1:7 unexpected name 'foo' … expected ':'` (the `fact` of `facts`
    read, then the `s` as the fact's name)."""
    line, column, message, hints = _refused_at('facts foo: bool "x"')
    assert (line, column, message) == (1, 1, "unexpected name 'facts'")
    assert hints[0] == "did you mean 'fact', 'actor'?"


def test_a_stray_word_before_a_header_is_reported_where_it_stands() -> None:
    """A stray `policyy ` before a header was reported 6 lines down, at the header's `{`."""
    text = 'policyy \n\n\n\n\n\npolicy p {\n    title "t"\n}\n'
    line, column, message, hints = _refused_at(text)
    assert (line, column, message) == (1, 1, "unexpected name 'policyy'")
    assert hints[0] == "did you mean 'policy'?"


def test_a_word_of_a_list_that_starts_a_name_is_not_the_word() -> None:
    """The lists of words (KIND, BASE_TYPE, UNIT, …) are whole words too."""
    assert _refused_at('fact a: boolean "x"')[:3] == (1, 9, "unexpected name 'boolean'")
    assert _refused_at("situations s at 一")[:3] == (1, 1, "unexpected name 'situations'")
    assert _refused_at("deadline d at 一 { within 5 dayss }")[:3] == (
        1,
        28,
        "unexpected name 'dayss'",
    )


def test_a_keyword_may_still_be_followed_by_what_no_name_holds() -> None:
    """A word ends where a name would: at a space, a bracket, a comma, a Chinese character."""
    assert statement("situation s at第一条").citation.text == "第一条"
    assert statement("situation s at 一{when true}").items[0] == n.When(lit(True, "bool"), SPAN)
    deadline = statement("deadline d at 一 { within 5days }")
    assert deadline.first(n.Within) == n.Within(n.Duration(5, "days"), None, None, None, SPAN)


@cache
def _grammar_words() -> dict[str, str]:
    """Every word of the grammar, as Lark compiles it: each quoted keyword ("fact", YUAN:
    "yuan") and each word of a list (KIND: "gate" | …), and the terminal it is."""
    import re

    from lark import Lark

    from compiler.parser import grammar_text

    words: dict[str, str] = {}
    for terminal in Lark(grammar_text(), parser="lalr", lexer="contextual").terminals:
        value = terminal.pattern.value
        if terminal.pattern.type == "str" and re.fullmatch(r"[a-z_][a-z0-9_]*", value):
            words[value] = terminal.name
        elif terminal.pattern.type == "re" and re.fullmatch(r"\(\?:[a-z0-9_|]+\)", value):
            words.update(dict.fromkeys(value[3:-1].split("|"), terminal.name))
    return words


# Words no policy file of the project uses (yet), each where it can stand.
_MORE_WORDS = (
    'policy p { jurisdiction "某省" province }',
    'policy p { jurisdiction "某县" county }',
    "policy p { status expired }",
    "policy p { status repealed }",
    'fact r: ratio "比例"',
    "informative at 一 definition",
    "informative at 一 organisation",
    'tests p { case c "c" { check x is skipped } }',
    'fact a: bool "甲" same b',
    'deadline d at 一 { within 1 months no rollover "法律另有规定" }',
)


@cache
def _where_each_word_stands() -> dict[str, tuple[str, int]]:
    """For each word of the grammar, a text that has it as that word, up to the end of the
    line it stands on, and where it starts: the earliest place among the project's policy
    files, then `_MORE_WORDS`."""
    from lark import Token

    from compiler.parser import _lark

    words = _grammar_words()
    found: dict[str, tuple[str, int]] = {}
    texts = [text for path, text in _texts() if path.startswith("policies/")]
    for text in [*texts, *_MORE_WORDS]:
        tree = _lark(compiled=False).parse(text)
        for token in tree.scan_values(lambda v: isinstance(v, Token)):
            word, start = str(token), token.start_pos or 0
            if words.get(word) == token.type and (word not in found or start < found[word][1]):
                end = text.find("\n", start)
                found[word] = (text[: len(text) if end < 0 else end], start)
    return found


def _token_read_at(text: str, start: int) -> tuple[Any, bool]:
    """The token Lark reads at `start` of `text` (the first at or after it), and whether the
    parser took it."""
    from lark.exceptions import UnexpectedInput

    from compiler.parser import _lark

    parser = _lark(compiled=False).parse_interactive(text)
    read = None
    try:
        for token in parser.iter_parse():
            if read is not None:
                return read, True
            if (token.start_pos or 0) >= start:
                read = token
    except UnexpectedInput:
        return read, False
    return read, True


def test_every_word_of_the_grammar_has_a_place_to_be_tried() -> None:
    assert set(_where_each_word_stands()) == set(_grammar_words())
    assert len(_grammar_words()) > 130


@pytest.mark.parametrize("after", ["x", "7", "_"], ids=["letter", "digit", "underscore"])
def test_no_word_of_the_grammar_is_read_at_the_start_of_a_longer_name(after: str) -> None:
    """Each keyword and each word of a list, followed by a letter, a digit or an underscore
    where it stands in a policy, is a name: where no name can stand, the error is at it."""
    words = _grammar_words()
    for word, (text, start) in sorted(_where_each_word_stands().items()):
        longer = word + after
        assert longer not in words
        end = start + len(word)
        changed = text[:end] + after + text[end:]
        token, taken = _token_read_at(changed, start)
        assert token is not None and (token.type, str(token)) == ("NAME", longer), word
        if taken:
            continue  # a name may stand there (a given's value: `x = truex`)
        line = changed.count("\n", 0, start) + 1
        column = start - (changed.rfind("\n", 0, start) + 1) + 1
        errors = parse_errors(changed)
        assert errors and errors[0].span is not None, word
        where = (errors[0].span.line, errors[0].span.column, errors[0].message)
        assert where == (line, column, f"unexpected name {longer!r}"), word


def test_lark_cython_reads_whole_words_as_lark_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same trees and errors with the compiled parser, for every word of the grammar
    followed by a letter."""
    pytest.importorskip("lark_cython")
    for word, (text, start) in sorted(_where_each_word_stands().items()):
        end = start + len(word)
        compiled, plain = _both(text[:end] + "x" + text[end:], "t.policy", monkeypatch)
        assert compiled == plain, word


# ---------------------------------------------------------------- policy tests


def test_policy_tests_syntax() -> None:
    suite = only(
        """
        tests ningbo {
            case concealment_found_later "申请人隐瞒收入，经办人员已按规定核查" {
                given applicant_concealed_finances = true, staff_verified_per_rules = true
                given household_size = 3, share = 30%, income = 1200.5 yuan
                given applied_date = 2024-09-27, waiting = 3 months, note = "说明"
                expect applies
                cites 第四条（一）2, 三（十三）
            }
            case open "缺少事实" {
                given a = false
                expect undetermined
                missing b, c
            }
            case verification_deadline "核实认定期限跨国庆" {
                due ningbo_verification from 2024-09-27 is 2024-10-12
                due ningbo_verification extended from 2024-09-27 is 2024-10-22
            }
        }
        """
    )
    assert isinstance(suite, n.TestSuite)
    assert suite.policy == "ningbo"
    first, second, third = suite.cases
    assert (first.name, first.label) == (
        "concealment_found_later",
        "申请人隐瞒收入，经办人员已按规定核查",
    )
    assert [(b.name, b.value) for b in first.given] == [
        ("applicant_concealed_finances", lit(True, "bool")),
        ("staff_verified_per_rules", lit(True, "bool")),
        ("household_size", lit(Decimal(3), "int")),
        ("share", lit(Decimal("0.3"), "ratio")),
        ("income", lit(Decimal("1200.5"), "money")),
        ("applied_date", lit(date(2024, 9, 27), "date")),
        ("waiting", lit(n.Duration(3, "months"), "duration")),
        ("note", lit("说明", "text")),
    ]
    assert first.expect == "applies"
    assert [c.text for c in first.cites] == ["第四条（一）2", "三（十三）"]
    assert first.missing is None
    assert first.dues == ()

    assert second.given == (n.Binding("a", lit(False, "bool"), SPAN),)
    assert second.expect == "undetermined"
    assert second.missing == ("b", "c")

    assert third.expect is None
    assert third.given == ()
    assert third.dues == (
        n.DueCheck("ningbo_verification", False, date(2024, 9, 27), date(2024, 10, 12), SPAN),
        n.DueCheck("ningbo_verification", True, date(2024, 9, 27), date(2024, 10, 22), SPAN),
    )


@pytest.mark.parametrize(
    "outcome",
    ["applies", "applies_in_part", "excluded", "not_covered", "undetermined", "needs_judgment"],
)
def test_expect_each_outcome(outcome: str) -> None:
    suite = only(f'tests p {{ case c "c" {{ expect {outcome} }} }}')
    assert isinstance(suite, n.TestSuite)
    assert suite.cases[0].expect == outcome


def test_missing_may_be_repeated_and_accumulates() -> None:
    suite = only('tests p { case c "c" { expect undetermined missing a missing b, c } }')
    assert isinstance(suite, n.TestSuite)
    assert suite.cases[0].missing == ("a", "b", "c")


def test_grants_and_pending_checks_parse() -> None:
    suite = only(
        'tests x { case c "c" { expect applies grants exempt, lighter pending none } '
        'case d "d" { grants none pending tolerated } }'
    )
    assert isinstance(suite, n.TestSuite)
    first, second = suite.cases
    assert [(g.pending, g.names) for g in first.grant_checks] == [
        (False, ("exempt", "lighter")),
        (True, ()),
    ]
    assert [(g.pending, g.names) for g in second.grant_checks] == [
        (False, ()),
        (True, ("tolerated",)),
    ]
    assert second.expect is None


def test_exempts_and_not_exempted_checks_parse() -> None:
    suite = only(
        'tests x { case c "c" { expect applies_in_part exempts l0, l1 not_exempted l2 } '
        'case d "d" { exempts none not_exempted none } }'
    )
    assert isinstance(suite, n.TestSuite)
    first, second = suite.cases
    assert first.expect == "applies_in_part"
    assert [(x.not_exempted, x.names) for x in first.exempt_checks] == [
        (False, ("l0", "l1")),
        (True, ("l2",)),
    ]
    assert [(x.not_exempted, x.names) for x in second.exempt_checks] == [(False, ()), (True, ())]
    assert second.expect is None


def test_check_exempts_of_a_situation_is_e407(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        "liability l at 第五条（一） { actor township when concealed }\n"
        "situation s at 第四条（一）2 { when other excuses l }\n"
        'tests x { case c "c" { exempts l not_exempted s } }',
    )
    assert codes == ["E407"]
    assert "'s' is not a liability of policy x" in diagnostics[0].message


def test_empty_test_suite() -> None:
    suite = only("tests p { }")
    assert suite == n.TestSuite("p", (), SPAN)


def test_given_an_enum_member() -> None:
    suite = only('tests p { case c "c" { given programme = dibao expect applies } }')
    assert isinstance(suite, n.TestSuite)
    assert suite.cases[0].given == (n.Binding("programme", name("dibao"), SPAN),)


def test_check_given_enum_member(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        "situation s at 第四条（一）2 { when applied_programme == dibao }\n"
        'tests x { case ok "ok" { given applied_programme = dibao expect applies } }\n'
        'tests x { case bad "bad" { given applied_programme = exempt expect applies } }\n',
    )
    assert codes == ["E204"], [d.render() for d in diagnostics]


# ---------------------------------------------------------------- type checking


def project(tmp_path: Path, text: str) -> tuple[list[str], list[Diagnostic]]:
    """Write a one-policy project citing the Ningbo text; check it; return codes, diagnostics."""
    policies = tmp_path / "policies"
    (policies / "sources").mkdir(parents=True)
    shutil.copy(ROOT / "policies" / "sources" / "ningbo.txt", policies / "sources" / "ningbo.txt")
    (policies / "x.policy").write_text(
        'policy x { title "x" decision exemption "尽职免责" '
        f'source "sources/ningbo.txt" sha256 "{NINGBO_SHA256}" }}\n'
        'fact household_size: int "家庭人数"\n'
        'fact income: money "月收入"\n'
        'fact applied_date: date "申请日期"\n'
        'fact concealed: bool "隐瞒"\n'
        'fact share: ratio "比例"\n'
        'fact applied_programme: enum programme "救助项目"\n'
        'judgment other "其他情形"\n'
        'enum programme "社会救助项目" { dibao "低保" tekun "特困" }\n'
        'enum relief "处理结果" { exempt "免除相关责任" }\n'
        'actor township "乡镇"\n' + text,
        encoding="utf-8",
    )
    _model, diagnostics = check(load(tmp_path))
    return [d.code.id for d in diagnostics], diagnostics


def test_a_policy_reads_only_its_own_and_the_shared_declarations(tmp_path: Path) -> None:
    """E122: a name declared in another policy's file is not the reading policy's (the shared
    vocabulary is everyone's).  What a policy's check finds then depends on its own file and
    the shared ones only, which incremental checking relies on (compiler/incremental.py)."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "vocabulary.policy").write_text(
        'fact shared_flag: bool "共同事实"\n', encoding="utf-8"
    )
    y = (
        'policy y { title "y" decision exemption "尽职免责" '
        f'source "sources/ningbo.txt" sha256 "{NINGBO_SHA256}" }}\n'
        'enum relief "处理结果" { exempt "免除相关责任" }\n'
        "situation t at 第四条（一）2 { when concealed and shared_flag }\n"
        "exclusion u at 第四条（一）2 { when not shared_flag overrides t }\n"
    )
    (tmp_path / "policies" / "y.policy").write_text(y, encoding="utf-8")
    codes, diagnostics = project(tmp_path, "")
    assert codes == ["E100", "E122"], [d.render() for d in diagnostics]
    (e100,) = [d for d in diagnostics if d.code.id == "E100"]  # relief, in both files
    assert "enum 'relief' is declared twice" in e100.message
    (e122,) = [d for d in diagnostics if d.code.id == "E122"]
    assert e122.message == "'concealed' is declared in policies/x.policy, another policy's file"
    assert e122.span is not None and e122.span.file == "policies/y.policy"
    assert "shared vocabulary" in e122.help[0]


def test_a_name_of_another_kind_in_its_own_file_is_unknown_not_e122(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        "deadline d at 第四条（一）2 { within 3 days from other until applied_date }\n",
    )
    assert codes == ["E101"], [d.render() for d in diagnostics]
    assert diagnostics[0].message == "unknown fact 'other'"  # a judgment of its own file


def test_check_well_typed_conditions_pass(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        """
        define cap: money at 第四条 = income * 30% + min(income, 500 yuan) * household_size
        situation s at 第四条（一）2 "未主动申报、虚报、隐瞒" {
            when (concealed or other) and household_size >= 3 and share < 0.5
                 and income * 2 <= cap and applied_date + 3 months > 2024-01-01
                 and applied_programme in {dibao, tekun} and applied_programme != tekun
                 and (if concealed then income else 0 yuan) == 0 yuan
        }
        outcome o at 第二条 { grants exempt }
        """,
    )
    assert codes == [], [d.render() for d in diagnostics]


def test_check_money_compared_with_a_date_is_e202(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path, "situation s at 第四条（一）2 { when income >= applied_date }"
    )
    assert codes == ["E202"]
    assert diagnostics[0].message == "cannot compare money >= date"
    assert diagnostics[0].span is not None and diagnostics[0].span.file == "policies/x.policy"


def test_check_when_on_a_money_fact_is_e201(tmp_path: Path) -> None:
    codes, diagnostics = project(tmp_path, "situation s at 第四条（一）2 { when income }")
    assert codes == ["E201"]
    assert "must be true or false" in diagnostics[0].message
    assert "money" in diagnostics[0].message


def test_check_item_not_allowed_is_e110(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path, "situation s at 第四条（一）2 { when concealed within 7 workdays }"
    )
    assert codes == ["E110"]
    assert diagnostics[0].message == "'within' has no meaning in a situation"
    assert diagnostics[0].help == ("a situation takes: when, excuses, note",)


def test_check_required_item_missing_is_e111(tmp_path: Path) -> None:
    codes, diagnostics = project(tmp_path, "exclusion e at 第五条（一） { when concealed }")
    assert codes == ["E111"]
    assert diagnostics[0].message.endswith("exclusion needs 'overrides'")


def test_check_e111_message_uses_the_right_article(tmp_path: Path) -> None:
    _codes, diagnostics = project(tmp_path, "exclusion e at 第五条（一） { when concealed }")
    assert diagnostics[0].message == "an exclusion needs 'overrides'"


def test_check_situation_without_when_is_e111(tmp_path: Path) -> None:
    codes, diagnostics = project(tmp_path, "situation s at 第四条（一）2")
    assert codes == ["E111"]
    assert diagnostics[0].message == "a situation needs 'when'"


def test_check_number_against_money_needs_yuan(tmp_path: Path) -> None:
    codes, _ = project(tmp_path, "situation s at 第四条（一）2 { when income >= 5000 }")
    assert codes == ["E202"]


# ---------------------------------------------------------------- spans without Lark's positions


@cache
def _positioned() -> Any:
    """Lark as the parser once was: its filtered tree, with `propagate_positions`."""
    from lark import Lark

    from compiler.parser import grammar_text

    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
    )


def _by_lark(text: str, path: str) -> Any:
    """What Lark's own machinery makes of `text`: its filtered tree with its positions, through
    its Transformer (compiler/parser.py takes the spans from the tokens itself)."""
    from compiler.parser import _ToNodes

    return _ToNodes(path).transform(_positioned().parse(text))


def _texts() -> list[tuple[str, str]]:
    """Every policy file of the project and of the test corpus that parses, and expressions
    with every kind of nesting, parentheses around each."""
    from compiler.parser import decode

    texts: list[tuple[str, str]] = []
    corpus = ROOT / "tests" / "corpus"
    for file in [*sorted((ROOT / "policies").rglob("*.policy")), *sorted(corpus.glob("*.policy"))]:
        shown = file.relative_to(ROOT).as_posix()
        text, _ = decode(file.read_bytes(), shown)
        if text is not None:  # the corpus holds files that are not UTF-8
            texts.append((shown, text))
    header = 'policy x {\n    title "t"\n    decision d "d"\n}\nfact n: int "n"\nfact b: bool "b"\n'
    for condition in (
        "((b))",
        "(not (b and (b or not b)))",
        "((n + (2)) * (n - 1) >= (3))",
        "if (b) then (n) else ((n) + 1)",
        "f((n), (g(b)), (((1))))",
        "(n) in {a, b}",
    ):
        texts.append(("nested.policy", f"{header}situation s at 第一条 {{ when {condition} }}\n"))
    return texts


def test_every_node_has_the_span_and_children_lark_gives_it() -> None:
    from lark.exceptions import UnexpectedInput

    compared = 0
    for path, text in _texts():
        try:
            expected = _by_lark(text, path)
        except UnexpectedInput:
            continue  # a file of the corpus with a syntax error: no tree
        module, _ = parse_text(text, path)
        assert module is not None, path
        assert module.items == tuple(expected), path
        assert repr(module.items) == repr(tuple(expected)), path  # spans compare too
        compared += 1
    assert compared > 60


def test_the_tokens_kept_and_the_rules_inlined_are_larks() -> None:
    from lark import Lark

    from compiler.parser import _INLINED, _KEPT_TOKENS, grammar_text

    lark = Lark(grammar_text(), parser="lalr", lexer="contextual", maybe_placeholders=False)
    kept = {s.name for r in lark.rules for s in r.expansion if s.is_term and not s.filter_out}
    dropped = {s.name for r in lark.rules for s in r.expansion if s.is_term and s.filter_out}
    # A terminal kept in one rule and dropped in another would need a table per rule.
    assert kept == _KEPT_TOKENS and not kept & dropped
    inlined: dict[str, set[bool]] = {}
    for rule in lark.rules:
        name = str(rule.alias or rule.options.template_source or rule.origin.name)
        inlined.setdefault(name, set()).add(bool(rule.options.expand1 and not rule.alias))
        if rule.options.expand1 and not rule.alias and len(rule.expansion) == 1:
            # Lark inlines a lone child before dropping tokens, `_ToNodes` after: the same
            # only where that child is no dropped token.
            symbol = rule.expansion[0]
            assert not symbol.is_term or symbol.name in _KEPT_TOKENS, rule
    assert {name for name, ways in inlined.items() if ways == {True}} == _INLINED
    # A name both ways (`not_expr`): its node is inlined only where it is one child, which Lark
    # already did; a node with dropped tokens comes from the other way.
    for name, ways in inlined.items():
        if ways == {True, False}:
            for rule in lark.rules:
                if str(rule.origin.name) == name and rule.options.expand1 and not rule.alias:
                    assert len(rule.expansion) == 1, rule


@pytest.mark.parametrize(
    ("condition", "column"),
    [
        ("(" * 500 + "a" + ")" * 500, 75),
        ("not " * 1000 + "a", 403),
        (" + ".join(["n"] * 500) + " > 2", 2023),
        ("(" * 40 + "not " * 80 + "(a)" + ")" * 40, 123),
        ("f(" * 120 + "a" + ")" * 120, 91),
    ],
    ids=["parentheses", "nots", "sum", "parenthesised-nots", "calls"],
)
def test_too_deep_stands_where_lark_nests_it(condition: str, column: int) -> None:
    """E014 at the node that first nests deeper than the limit in Lark's own tree (the columns
    as the parser gave them with `propagate_positions`): parentheses are no level of their
    own, and a node starts at its first token, a dropped one too."""
    header = 'policy x {\n    title "t"\n    decision d "d"\n}\nfact n: int "n"\n'
    text = f"{header}situation s at 第一条 {{ when {condition} }}\n"
    module, diagnostics = parse_text(text, "deep.policy")
    assert module is None
    assert [(d.code.id, d.span.line, d.span.column) for d in diagnostics if d.span] == [
        ("E014", 6, column)
    ]


# ---------------------------------------------------------------- lark-cython (the `fast` extra)


def _both(text: str, path: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """`parse_text` of `text` with lark-cython and with Lark alone: the module and the
    diagnostics, spans, source lines and help included."""
    from compiler import parser

    compiled = repr(parse_text(text, path))
    plain_lark = parser._lark(compiled=False)
    with monkeypatch.context() as patched:
        patched.setattr(parser, "_lark", lambda compiled=True: plain_lark)
        plain = repr(parse_text(text, path))
    return compiled, plain


def _cut(text: str) -> list[str]:
    """`text` cut off at 40 places, and with a stray character put in at 40 others: the
    syntax errors a file can have, at every kind of place."""
    step = max(len(text) // 40, 1)
    return [text[:i] for i in range(1, len(text), step)] + [
        text[:i] + stray + text[i:]
        for i, stray in zip(range(7, len(text), step), cycle("@&}{(=:;,\"'3ab"))
    ]


def test_lark_cython_parses_and_fails_as_lark_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled parser (compiler/parser.py `_lark`) is used where lark-cython is installed:
    every file, nesting, cut-off file and stray character gives the same nodes and the same
    errors as Lark alone, and the two parse trees are equal token by token."""
    pytest.importorskip("lark_cython")
    from lark import Tree

    from compiler.parser import _lark

    assert _lark().parser.parser.__class__.__module__.startswith("lark_cython")

    def tokens(tree: Any) -> Any:
        if isinstance(tree, Tree):
            return (tree.data, tuple(tokens(c) for c in tree.children))
        fields = ("type", "value", "line", "column", "end_line", "end_column", "end_pos")
        return (*(getattr(tree, f) for f in fields), type(tree.value))

    corpus = ROOT / "tests" / "corpus"
    broken = [
        (f.name, f.read_text(encoding="utf-8", errors="replace"))
        for f in sorted(corpus.glob("*.policy"))
    ]
    compared = failed = 0
    for path, text in [*_texts(), *broken]:
        compiled, plain = _both(text, path, monkeypatch)
        assert compiled == plain, path
        if "Module(" in compiled:
            assert tokens(_lark().parse(text)) == tokens(_lark(compiled=False).parse(text)), path
        compared += 1
    for path, text in _texts()[:5]:
        for variant in _cut(text):
            compiled, plain = _both(variant, path, monkeypatch)
            assert compiled == plain, (path, variant[-80:])
            failed += "Module(" not in compiled
    assert compared > 100 and failed > 200


def test_an_item_index_finds_what_the_statement_finds() -> None:
    """`ItemIndex` groups items by their own class, which stands for `isinstance` only while no
    item class derives from another; for every statement of the project it finds what
    `Statement.all` and `first` find, for every item class."""
    from typing import get_args

    classes = get_args(n.Item)
    assert all(not issubclass(a, b) for a in classes for b in classes if a is not b)
    loaded = load(ROOT)
    statements = [
        item for module in loaded.modules for item in module.items if isinstance(item, n.Statement)
    ]
    assert len(statements) > 250
    for statement in statements:
        index = statement.index()
        for item_class in classes:
            assert index.all(item_class) == statement.all(item_class)
            assert index.first(item_class) == statement.first(item_class)
