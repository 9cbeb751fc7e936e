"""台儿庄区人民政府关于推进社会救助领域“放管服”改革的实施意见, written by hand as plain Python:
the record checks and the 容错纠错 decision (四（二）), from policies/taierzhuang.policy and the
official text policies/sources/taierzhuang.txt.

A baseline for speed (benchmarks/sidebyside.py): its output is the generated package's, byte
for byte, on every benchmark record — `check_record(raw)` is `[c.to_json() for c in
taierzhuang.check_record(raw)]` and `decide(raw)` is `taierzhuang.decide(raw)`.  It is not a
second source of truth: where it and the policy disagree, the policy is right.
"""

from __future__ import annotations

from datetime import date

from benchmarks.baselines.common import (
    FALSE,
    TRUE,
    Tri,
    all_of,
    any_of,
    check_days_limit,
    check_hours_limit,
    check_rule,
    fact,
    known,
    negate,
    read_facts,
    version,
)
from benchmarks.baselines.common import decide as decision

POLICY = "taierzhuang"
VERSION = version(POLICY)
PROGRAMMES = ("dibao", "tekun", "temporary_emergency", "temporary_expenditure", "temporary")
DELEGATED_FROM = date(2020, 8, 1)  # 一 "2020年8月起"

TYPES = {
    name: "bool"
    for name in (
        "adjustment_delayed",
        "deliberation_held",
        "missed_grant",
        "objection_raised",
        "public_notice_posted",
        "taierzhuang_applicant_authorised",
        "taierzhuang_approved_by_township",
        "taierzhuang_boundary_reads_below",
        "taierzhuang_concealed_changes",
        "taierzhuang_concealed_household",
        "taierzhuang_data_sharing_deficient",
        "taierzhuang_economic_check_done",
        "taierzhuang_elderly_subsidy_case",
        "taierzhuang_emergency_registered",
        "taierzhuang_error_corrected_in_time",
        "taierzhuang_false_materials_fraud",
        "taierzhuang_fillable_online",
        "taierzhuang_identity_misused",
        "taierzhuang_material_demanded",
        "taierzhuang_meets_rules_on_check",
        "taierzhuang_non_receipt_certificate_demanded",
        "taierzhuang_obtainable_by_sharing",
        "taierzhuang_other_serious_dishonesty",
        "taierzhuang_other_similar_cause",
        "taierzhuang_paper_demanded",
        "taierzhuang_pre_aid_signatures_completed",
        "taierzhuang_procedure_complete",
        "taierzhuang_public_spirit",
        "taierzhuang_reasons_given_in_writing",
        "taierzhuang_review_stage_deliberation_held",
        "taierzhuang_review_stage_notice_held",
        "taierzhuang_separated_member_applies",
        "taierzhuang_should_tolerate",
        "taierzhuang_temporary_is_expenditure",
        "taierzhuang_village_workstation",
    )
}
TYPES.update({name: "datetime" for name in ("emergency_found_date", "pre_aid_delivered_date")})
TYPES.update(
    {
        name: "date"
        for name in (
            "public_notice_end_date",
            "public_notice_start_date",
            "taierzhuang_application_date",
            "taierzhuang_approval_date",
            "taierzhuang_checked_date",
            "taierzhuang_economic_check_date",
            "taierzhuang_emergency_paperwork_date",
            "taierzhuang_objection_received_date",
            "taierzhuang_policy_implementation_date",
            "taierzhuang_policy_training_date",
        )
    }
)
TYPES.update(
    {
        name: "int"
        for name in (
            "taierzhuang_fulltime_staff",
            "taierzhuang_township_population",
            "taierzhuang_village_assistants",
        )
    }
)
TYPES["taierzhuang_case_programme"] = "enum"
MEMBERS = {"taierzhuang_case_programme": PROGRAMMES}

# The judgments (questions only a person answers), with their labels, for the decision.
JUDGMENTS: dict[str, tuple[str, str | None]] = {
    "taierzhuang_boundary_reads_below": (
        "人口恰为5万人的镇（街）按“5万人以下”（不少于4人）而非“5万人以上”（不少于6人）认定",
        None,
    ),
    "taierzhuang_other_serious_dishonesty": ("其他严重失信行为（“等严重失信行为”）", None),
    "taierzhuang_other_similar_cause": ("因其他类似原因（“等原因”）出现失误偏差", None),
    "taierzhuang_should_tolerate": (
        "结合动机态度、客观条件、程序方法、性质程度、后果影响以及挽回损失等情况综合分析，"
        "属于应当容错（该容）的",
        None,
    ),
}

# 二（三）: the quotes of the procedures whose steps are time limits.
EMERGENCY_AID = (
    "急难型临时救助要在24小时内先行救助 … 并在5个工作日内登记救助对象、救助事由、救助金额等信息,"
    "补齐经办人员签字、盖章手续"
)
APPROVAL_PROCESS = (
    "镇（街）低保和特困人员救助供养审核审批工作按照以下流程开展 … 申请人正式提交申请后，镇街在8个"
    "工作日内完成家庭经济状况核对和入户调查 … 并协助填写相关表格，收集相应资料后，进行全面审核，"
    "作出拟审批决定 … 对拟审批名单在村（居）进行公示（公示期为3天） … 公示期满无异议的1天内作出"
    "批准决定 … 针对公示有异议的，由镇（街）在10个工作日内开展调查核实，组织民主评议，作出审批决定"
)


# ---------------------------------------------------------------- the case's programme, 二（三）


def programme_in(facts: dict[str, object], members: tuple[str, ...]) -> Tri:
    programme = facts.get("taierzhuang_case_programme")
    if programme is None:
        return (None, frozenset(("taierzhuang_case_programme",)))
    return TRUE if programme in members else FALSE


def dibao_tekun_case(facts: dict[str, object]) -> Tri:
    # "镇（街）低保和特困人员救助供养审核审批工作按照以下流程开展"
    return programme_in(facts, ("dibao", "tekun"))


def expenditure_case(facts: dict[str, object]) -> Tri:
    # 支出型临时救助: so recorded, or 临时救助 whose type the record gives as 支出型.
    return any_of(
        programme_in(facts, ("temporary_expenditure",)),
        all_of(
            programme_in(facts, ("temporary",)),
            fact(facts, "taierzhuang_temporary_is_expenditure"),
        ),
    )


def emergency_case(facts: dict[str, object]) -> Tri:
    # 急难型临时救助: so recorded, or 临时救助 that the record does not give as 支出型.
    return any_of(
        programme_in(facts, ("temporary_emergency",)),
        all_of(
            programme_in(facts, ("temporary",)),
            negate(fact(facts, "taierzhuang_temporary_is_expenditure")),
        ),
    )


def compare(facts: dict[str, object], name: str, test: object) -> Tri:
    """`test(value)` for a fact the record gives; unknown otherwise."""
    value = facts.get(name)
    if value is None:
        return (None, frozenset((name,)))
    return TRUE if test(value) else FALSE  # type: ignore[operator]


def before_or_on(facts: dict[str, object], first: str, second: str) -> Tri:
    (a, b), missing = known(facts, first, second)
    if missing:
        return (None, missing)
    return TRUE if a <= b else FALSE  # type: ignore[operator]


# ---------------------------------------------------------------- record checks


def check_record(raw: dict[str, object]) -> list[dict[str, object]]:
    """Every check of one case record, in the policy's order: the time limits, then the
    requirements, duties and liabilities."""
    facts = read_facts(raw, TYPES, MEMBERS)
    dibao_tekun = dibao_tekun_case(facts)
    emergency = emergency_case(facts)
    objection = fact(facts, "objection_raised")
    results = [
        # 二（三） "审核审批时限压缩到12个工作日内": 低保、特困 without an objection (an objection
        # has its own 10 working days) and 支出型临时救助.
        check_days_limit(
            facts,
            (
                "approval_limit",
                "二（三）",
                "低保、特困人员救助供养、支出型临时救助审核审批时限压缩到12个工作日内",
                (
                    "objection_raised",
                    "taierzhuang_application_date",
                    "taierzhuang_approval_date",
                    "taierzhuang_case_programme",
                    "taierzhuang_temporary_is_expenditure",
                ),
            ),
            any_of(all_of(dibao_tekun, negate(objection)), expenditure_case(facts)),
            12,
            "workdays",
            "taierzhuang_application_date",
            "taierzhuang_approval_date",
        ),
        # 二（三） "急难型临时救助要在24小时内先行救助"
        check_hours_limit(
            facts,
            (
                "pre_aid",
                "二（三）",
                EMERGENCY_AID,
                (
                    "emergency_found_date",
                    "pre_aid_delivered_date",
                    "taierzhuang_case_programme",
                    "taierzhuang_temporary_is_expenditure",
                ),
            ),
            emergency,
            24,
            "emergency_found_date",
            "pre_aid_delivered_date",
        ),
        # 二（三） "并在5个工作日内登记……补齐经办人员签字、盖章手续"
        check_days_limit(
            facts,
            (
                "paperwork",
                "二（三）",
                EMERGENCY_AID,
                (
                    "pre_aid_delivered_date",
                    "taierzhuang_case_programme",
                    "taierzhuang_emergency_paperwork_date",
                    "taierzhuang_temporary_is_expenditure",
                ),
            ),
            emergency,
            5,
            "workdays",
            "pre_aid_delivered_date",
            "taierzhuang_emergency_paperwork_date",
        ),
        # 二（三） "镇街在8个工作日内完成家庭经济状况核对和入户调查"
        check_days_limit(
            facts,
            (
                "check_and_visit",
                "二（三）",
                APPROVAL_PROCESS,
                (
                    "taierzhuang_application_date",
                    "taierzhuang_case_programme",
                    "taierzhuang_checked_date",
                ),
            ),
            dibao_tekun,
            8,
            "workdays",
            "taierzhuang_application_date",
            "taierzhuang_checked_date",
        ),
        # 二（三） "公示期满无异议的1天内作出批准决定": a day, moved off a 法定休假日.
        check_days_limit(
            facts,
            (
                "approval_after_notice",
                "二（三）",
                APPROVAL_PROCESS,
                (
                    "objection_raised",
                    "public_notice_end_date",
                    "taierzhuang_approval_date",
                    "taierzhuang_case_programme",
                ),
            ),
            all_of(dibao_tekun, negate(objection)),
            1,
            "days",
            "public_notice_end_date",
            "taierzhuang_approval_date",
        ),
        # 二（三） "针对公示有异议的，由镇（街）在10个工作日内……作出审批决定"
        check_days_limit(
            facts,
            (
                "objection_review",
                "二（三）",
                APPROVAL_PROCESS,
                (
                    "objection_raised",
                    "taierzhuang_approval_date",
                    "taierzhuang_case_programme",
                    "taierzhuang_objection_received_date",
                ),
            ),
            all_of(dibao_tekun, objection),
            10,
            "workdays",
            "taierzhuang_objection_received_date",
            "taierzhuang_approval_date",
        ),
    ]
    approved_by_township = fact(facts, "taierzhuang_approved_by_township")
    since_delegation = compare(facts, "taierzhuang_approval_date", lambda d: d >= DELEGATED_FROM)
    # 一 "2020年8月起，将……审批权限下放到镇（街）实施"
    results.append(
        check_rule(
            facts,
            (
                "approval_delegated",
                "requirement",
                "一",
                "2020年8月起 … 将城乡最低生活保障、特困人员救助供养、"
                "临时救助审批权限下放到镇（街）实施",
                (
                    "taierzhuang_approval_date",
                    "taierzhuang_approved_by_township",
                    "taierzhuang_case_programme",
                ),
            ),
            all_of(since_delegation, programme_in(facts, PROGRAMMES)),
            approved_by_township,
        )
    )
    # 一 "与低保政策相关的经济困难老年人补贴业务同时下放到镇（街）"
    results.append(
        check_rule(
            facts,
            (
                "elderly_subsidy_delegated",
                "requirement",
                "一",
                "2020年8月起 … 与低保政策相关的经济困难老年人补贴业务同时下放到镇（街）",
                (
                    "taierzhuang_approval_date",
                    "taierzhuang_approved_by_township",
                    "taierzhuang_elderly_subsidy_case",
                ),
            ),
            all_of(since_delegation, fact(facts, "taierzhuang_elderly_subsidy_case")),
            approved_by_township,
        )
    )
    # 一（三） "实现应保尽保、应退尽退"
    results.append(
        check_rule(
            facts,
            (
                "township_full_coverage",
                "requirement",
                "一（三）",
                "实现应保尽保、应退尽退",
                ("adjustment_delayed", "missed_grant"),
            ),
            None,
            all_of(negate(fact(facts, "missed_grant")), negate(fact(facts, "adjustment_delayed"))),
        )
    )
    # 二（一） "经核对不符合相关规定的,要向申请人书面告知理由"
    results.append(
        check_rule(
            facts,
            (
                "refusal_in_writing",
                "requirement",
                "二（一）",
                "经核对不符合相关规定的,要向申请人书面告知理由",
                ("taierzhuang_meets_rules_on_check", "taierzhuang_reasons_given_in_writing"),
            ),
            negate(fact(facts, "taierzhuang_meets_rules_on_check")),
            fact(facts, "taierzhuang_reasons_given_in_writing"),
        )
    )
    # 二（二） "取消低保和特困人员救助供养审核阶段公示和民主评议两个环节"
    results.append(
        check_rule(
            facts,
            (
                "review_stage_steps_cancelled",
                "requirement",
                "二（二）",
                "取消低保和特困人员救助供养审核阶段公示和民主评议两个环节",
                (
                    "taierzhuang_case_programme",
                    "taierzhuang_review_stage_deliberation_held",
                    "taierzhuang_review_stage_notice_held",
                ),
            ),
            dibao_tekun,
            all_of(
                negate(fact(facts, "taierzhuang_review_stage_notice_held")),
                negate(fact(facts, "taierzhuang_review_stage_deliberation_held")),
            ),
        )
    )
    # 二（二） "审批结果由镇(街)直接在村(居)进行公示"
    results.append(
        check_rule(
            facts,
            (
                "result_notice",
                "requirement",
                "二（二）",
                "审批结果由镇(街)直接在村(居)进行公示",
                ("public_notice_posted", "taierzhuang_case_programme"),
            ),
            dibao_tekun,
            fact(facts, "public_notice_posted"),
        )
    )
    # 二（二） "对公示有异议的,由镇(街)组织开展民主评议"
    results.append(
        check_rule(
            facts,
            (
                "deliberation_on_objection",
                "requirement",
                "二（二）",
                "对公示有异议的,由镇(街)组织开展民主评议",
                ("deliberation_held", "objection_raised"),
            ),
            objection,
            fact(facts, "deliberation_held"),
        )
    )
    # 二（三） "登记救助对象、救助事由、救助金额等信息,补齐经办人员签字、盖章手续"
    results.append(
        check_rule(
            facts,
            (
                "emergency_paperwork",
                "requirement",
                "二（三）",
                "登记救助对象、救助事由、救助金额等信息,补齐经办人员签字、盖章手续",
                (
                    "taierzhuang_case_programme",
                    "taierzhuang_emergency_registered",
                    "taierzhuang_pre_aid_signatures_completed",
                    "taierzhuang_temporary_is_expenditure",
                ),
            ),
            emergency,
            all_of(
                fact(facts, "taierzhuang_emergency_registered"),
                fact(facts, "taierzhuang_pre_aid_signatures_completed"),
            ),
        )
    )
    # 二（三） "公示期为3天": counted from its first day to its last, both included.
    (first, last), missing = known(facts, "public_notice_start_date", "public_notice_end_date")
    if missing:
        notice_days: Tri = (None, missing)
    else:
        assert isinstance(first, date) and isinstance(last, date)
        notice_days = TRUE if (last - first).days + 1 >= 3 else FALSE
    results.append(
        check_rule(
            facts,
            (
                "notice_length",
                "requirement",
                "二（三）",
                "公示期为3天",
                (
                    "public_notice_end_date",
                    "public_notice_start_date",
                    "taierzhuang_case_programme",
                ),
            ),
            dibao_tekun,
            notice_days,
        )
    )
    # 二（四） "能够通过信息共享获取的，不再要求申请人提供"
    results.append(
        check_rule(
            facts,
            (
                "no_shared_material_demanded",
                "requirement",
                "二（四）",
                "最大限度简化社会救助待遇审核审批所需证明材料 … "
                "能够通过信息共享获取的，不再要求申请人提供",
                ("taierzhuang_material_demanded", "taierzhuang_obtainable_by_sharing"),
            ),
            fact(facts, "taierzhuang_obtainable_by_sharing"),
            negate(fact(facts, "taierzhuang_material_demanded")),
        )
    )
    # 二（四） "能够网上填写的表格等，不再要求提供纸质材料"
    results.append(
        check_rule(
            facts,
            (
                "no_paper_for_online_forms",
                "requirement",
                "二（四）",
                "能够网上填写的表格等，不再要求提供纸质材料",
                ("taierzhuang_fillable_online", "taierzhuang_paper_demanded"),
            ),
            fact(facts, "taierzhuang_fillable_online"),
            negate(fact(facts, "taierzhuang_paper_demanded")),
        )
    )
    separated = fact(facts, "taierzhuang_separated_member_applies")
    # 二（四） "……不必再向各自户籍所在地开具未享受低保证明"
    results.append(
        check_rule(
            facts,
            (
                "no_non_receipt_certificate",
                "requirement",
                "二（四）",
                "家庭成员不在一起的家庭，户籍不在申请地的其他家庭成员申请低保的 … "
                "不必再向各自户籍所在地开具未享受低保证明",
                (
                    "taierzhuang_non_receipt_certificate_demanded",
                    "taierzhuang_separated_member_applies",
                ),
            ),
            separated,
            negate(fact(facts, "taierzhuang_non_receipt_certificate_demanded")),
        )
    )
    # 二（四） "相关情况由低保经办机构负责调查核实": a duty where its condition holds.
    results.append(
        check_rule(
            facts,
            (
                "separated_member_investigation",
                "duty",
                "二（四）",
                "相关情况由低保经办机构负责调查核实",
                ("taierzhuang_separated_member_applies",),
            ),
            separated,
            None,
        )
    )
    # 三（一） "人口5万人以下的镇（街）……不少于4人 … 5万人以上的镇（街）不少于6人"
    results.append(
        check_rule(
            facts,
            (
                "township_staffing",
                "requirement",
                "三（一）",
                "人口5万人以下的镇（街）配备专职社会救助工作人员不少于4人 … "
                "5万人以上的镇（街）不少于6人",
                (
                    "taierzhuang_boundary_reads_below",
                    "taierzhuang_fulltime_staff",
                    "taierzhuang_township_population",
                ),
            ),
            None,
            township_staffing(facts),
        )
    )
    # 三（一） "在所有村（居）设立社会救助工作站"
    results.append(
        check_rule(
            facts,
            (
                "village_workstation",
                "requirement",
                "三（一）",
                "在所有村（居）设立社会救助工作站",
                ("taierzhuang_village_workstation",),
            ),
            None,
            fact(facts, "taierzhuang_village_workstation"),
        )
    )
    # 三（一） "并配备1-2名兼职社会救助协理员": at least one.
    results.append(
        check_rule(
            facts,
            (
                "village_assistants",
                "requirement",
                "三（一）",
                "并配备1-2名兼职社会救助协理员",
                ("taierzhuang_village_assistants",),
            ),
            None,
            compare(facts, "taierzhuang_village_assistants", lambda n: n >= 1),
        )
    )
    # 三（一） "凡有新的政策文件规定执行时必先开展培训"
    results.append(
        check_rule(
            facts,
            (
                "training_before_new_policy",
                "requirement",
                "三（一）",
                "做到凡有新的政策文件规定执行时必先开展培训",
                ("taierzhuang_policy_implementation_date", "taierzhuang_policy_training_date"),
            ),
            None,
            before_or_on(
                facts, "taierzhuang_policy_training_date", "taierzhuang_policy_implementation_date"
            ),
        )
    )
    # 三（二） "坚持先核后保、应核尽核"; 急难型 is aided first (二（三）), checked after.
    results.append(
        check_rule(
            facts,
            (
                "verify_before_grant",
                "requirement",
                "三（二）",
                "要完善社会救助家庭经济状况核对工作机制，坚持先核后保、应核尽核",
                (
                    "taierzhuang_approval_date",
                    "taierzhuang_case_programme",
                    "taierzhuang_economic_check_date",
                    "taierzhuang_economic_check_done",
                    "taierzhuang_temporary_is_expenditure",
                ),
            ),
            None,
            all_of(
                fact(facts, "taierzhuang_economic_check_done"),
                any_of(
                    emergency,
                    before_or_on(
                        facts, "taierzhuang_economic_check_date", "taierzhuang_approval_date"
                    ),
                ),
            ),
        )
    )
    # 四（一） "提供虚假材料骗取社会救助资格、冒用救助对象身份等严重失信行为"
    results.append(
        check_rule(
            facts,
            (
                "serious_dishonesty",
                "liability",
                "四（一）",
                "提供虚假材料骗取社会救助资格、冒用救助对象身份等严重失信行为",
                (
                    "taierzhuang_false_materials_fraud",
                    "taierzhuang_identity_misused",
                    "taierzhuang_other_serious_dishonesty",
                ),
            ),
            any_of(
                fact(facts, "taierzhuang_false_materials_fraud"),
                fact(facts, "taierzhuang_identity_misused"),
                fact(facts, "taierzhuang_other_serious_dishonesty"),
            ),
            None,
        )
    )
    return results


def township_staffing(facts: dict[str, object]) -> Tri:
    """三（一）: below 50,000 people at least 4 staff, above at least 6; at exactly 50,000 both
    phrases apply: 6 satisfy both readings, 4 or 5 only the "以下" one (a judgment)."""
    population = facts.get("taierzhuang_township_population")
    at_least_4 = compare(facts, "taierzhuang_fulltime_staff", lambda n: n >= 4)
    at_least_6 = compare(facts, "taierzhuang_fulltime_staff", lambda n: n >= 6)
    at_boundary = any_of(
        at_least_6, all_of(at_least_4, fact(facts, "taierzhuang_boundary_reads_below"))
    )
    if population is not None:
        assert isinstance(population, int)
        if population < 50000:
            return at_least_4
        return at_least_6 if population > 50000 else at_boundary
    # The population unknown: settled only when every branch gives the same known answer.
    below = at_least_4
    above_or_at = at_least_6
    if below[0] is not None and below[0] == above_or_at[0] == at_boundary[0]:
        return below
    needs = {"taierzhuang_township_population"}
    for branch in (below, above_or_at, at_boundary):
        needs |= branch[1]
    return (None, frozenset(needs))


# ---------------------------------------------------------------- the decision, 四（二）


def decide(raw: dict[str, object]) -> dict[str, object]:
    """容错纠错 (四（二）): for those who act 秉持公心, with a 完整 procedure, and correct the
    error in time (the gates), when it arose from deficient data sharing or a beneficiary's
    concealment or a similar cause (the situations), unless the overall analysis finds it
    not to be tolerated (the exclusion, over all situations)."""
    facts = read_facts(raw, TYPES, MEMBERS)
    gates = [
        (
            ("public_spirit", "gate", "四（二）", "对秉持公心"),
            fact(facts, "taierzhuang_public_spirit"),
        ),
        (
            ("procedure_complete", "gate", "四（二）", "程序完整"),
            fact(facts, "taierzhuang_procedure_complete"),
        ),
        (
            ("corrected_in_time", "gate", "四（二）", "出现失误偏差且能够及时纠正的"),
            fact(facts, "taierzhuang_error_corrected_in_time"),
        ),
    ]
    situations = [
        (
            (
                "data_sharing_deficient",
                "situation",
                "四（二）",
                "但因部门数据共享不充分、不准确、不及时",
            ),
            fact(facts, "taierzhuang_data_sharing_deficient"),
        ),
        (
            (
                "beneficiary_concealment",
                "situation",
                "四（二）",
                "以及被救助对象故意隐瞒家庭人口、财产、收入及支出、家庭经济状况变化等原因",
            ),
            any_of(
                fact(facts, "taierzhuang_concealed_household"),
                fact(facts, "taierzhuang_concealed_changes"),
            ),
        ),
        (
            ("other_similar_cause", "situation", "四（二）", "等原因"),
            fact(facts, "taierzhuang_other_similar_cause"),
        ),
    ]
    exclusions = [
        (
            (
                "not_tolerable",
                "exclusion",
                "四（二）",
                "结合动机态度、客观条件、程序方法、性质程度、后果影响以及 … "
                "挽回损失等情况，进行综合分析 … 对该容的坚决不容",
            ),
            negate(fact(facts, "taierzhuang_should_tolerate")),
        )
    ]
    order = {
        "public_spirit": 0,
        "procedure_complete": 1,
        "corrected_in_time": 2,
        "data_sharing_deficient": 3,
        "beneficiary_concealment": 4,
        "other_similar_cause": 5,
        "not_tolerable": 6,
    }
    # 四（二） "对该容的大胆容错": tolerance, unconditionally once the decision applies.
    grants = [("tolerance", "四（二）", TRUE, ("tolerated",))]
    return decision(POLICY, gates, situations, exclusions, order, JUDGMENTS, grants, VERSION)
