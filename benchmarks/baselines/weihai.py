"""威海市民政局 中共威海市纪委机关 关于健全社会救助工作容错纠错机制的通知（威民发〔2023〕24号）,
written by hand as plain Python: the record checks and the 容错纠错 decision (三、 its twenty
situations; 四、 the four exclusions), from policies/weihai.policy and the official text
policies/sources/weihai.txt.

A baseline for speed (benchmarks/sidebyside.py): its output is the generated package's, byte
for byte, on every benchmark record — `check_record(raw)` is `[c.to_json() for c in
weihai.check_record(raw)]` and `decide(raw)` is `weihai.decide(raw)`.  It is not a second
source of truth: where it and the policy disagree, the policy is right.
"""

from __future__ import annotations

from benchmarks.baselines.common import (
    FALSE,
    TRUE,
    Tri,
    all_of,
    any_of,
    check_days_limit,
    check_rule,
    fact,
    known,
    negate,
    read_facts,
    version,
)
from benchmarks.baselines.common import decide as decision

POLICY = "weihai"
VERSION = version(POLICY)

TYPES = {
    name: "bool"
    for name in (
        "acting_in_emergency",
        "adjustment_delayed",
        "applicant_ineligible",
        "applicant_waived_assistance",
        "beneficiary_cannot_use_own_account",
        "major_adverse_impact",
        "missed_grant",
        "other_emergency_after_waiver",
        "petitioning_despite_explanation",
        "procedure_regular",
        "proxy_account_filed",
        "proxy_account_used",
        "recovery_deferral_approved",
        "recovery_organized",
        "recovery_temporarily_impossible",
        "reform_pilot_error",
        "sought_improper_benefit",
        "staff_explained_policy",
        "staff_investigated_per_rules",
        "weihai_acted_in_public_spirit",
        "weihai_applicant_concealed_property",
        "weihai_benefits_overpaid",
        "weihai_bold_performance_error",
        "weihai_broke_deadlock",
        "weihai_cadre_rules_met",
        "weihai_change_not_reported",
        "weihai_corrected_immediately",
        "weihai_creative_work_error",
        "weihai_death_undetected_despite_checks",
        "weihai_decisive_for_public_interest",
        "weihai_deliberate_concealment",
        "weihai_dibao_or_tekun_beneficiary",
        "weihai_eligibility_on_known_information",
        "weihai_error_filed_and_corrected",
        "weihai_hard_case",
        "weihai_impact_period_expired",
        "weihai_implementing_decisions_error",
        "weihai_legal_gap",
        "weihai_leniency_warranted",
        "weihai_manual_data_error",
        "weihai_objective_constraints",
        "weihai_other_non_tolerable",
        "weihai_other_tolerable_situation",
        "weihai_per_relevant_rules",
        "weihai_platform_and_visit_checked",
        "weihai_platform_data_deficient",
        "weihai_policy_boundary_unclear",
        "weihai_policy_changed",
        "weihai_policy_or_technical_data_deviation",
        "weihai_provisional_processing",
        "weihai_reform_error_non_subjective",
        "weihai_remote_cooperation_lacking",
        "weihai_resistance_despite_explanation",
        "weihai_resolving_legacy_or_disputes",
        "weihai_serious_violation",
        "weihai_stability_duty_fulfilled",
        "weihai_still_accountable",
        "weihai_took_initiative_to_solve",
        "weihai_violated_eight_point_rules",
        "weihai_violated_political_discipline",
        "weihai_wider_hearing_needed",
        "wrong_grant",
    )
}
TYPES.update(
    {
        name: "date"
        for name in (
            "weihai_accountability_date",
            "weihai_conclusion_date",
            "weihai_notified_date",
            "weihai_recovery_organized_date",
        )
    }
)
TYPES["weihai_months_paid_after_death"] = "int"

JUDGMENTS: dict[str, tuple[str, str | None]] = {
    "major_adverse_impact": ("失误或偏差造成重大不良影响", None),
    "weihai_cadre_rules_met": (
        "符合条件的，按照干部选拔任用有关规定及时合理使用",
        "干部选拔任用有关规定",
    ),
    "weihai_hard_case": ("情况疑难复杂、一时难以认定，必要时向上一级请示", None),
    "weihai_leniency_warranted": ("酌情从轻、减轻或者免责处理", None),
    "weihai_other_non_tolerable": ("其他不应予以容错的情形", None),
    "weihai_other_tolerable_situation": (
        "其他符合中央党政方针和有关规定精神，应纳入容错纠错的情形",
        None,
    ),
    "weihai_per_relevant_rules": (
        "依照有关规定予以容错处理",
        "有关规定（本通知以外的容错纠错规定，如序言所据威纪发〔2022〕1号）",
    ),
    "weihai_wider_hearing_needed": ("必要时听取管理和服务对象、利害关系人的意见", None),
}


# ---------------------------------------------------------------- record checks


def check_record(raw: dict[str, object]) -> list[dict[str, object]]:
    """The notice's three checks: the 7 working days of 五（二）, and the two duties of 五（四）
    towards those still held accountable once the impact period has expired."""
    facts = read_facts(raw, TYPES, {})
    still_accountable = fact(facts, "weihai_still_accountable")
    expired = fact(facts, "weihai_impact_period_expired")
    return [
        # 五（二） "作出容错结论后，应在 7个工作日内告知责任追究对象及其所在党组织"
        check_days_limit(
            facts,
            (
                "notification",
                "五（二）",
                "作出容错结论后，应在 7个工作日内告知责任追究对象及其所在党组织 … "
                "确保调查结果客观、公正、及时",
                ("weihai_conclusion_date", "weihai_notified_date"),
            ),
            None,
            7,
            "workdays",
            "weihai_conclusion_date",
            "weihai_notified_date",
        ),
        # 五（四） "影响期满后，应当对其……综合研判" (对其: those still held accountable)
        check_rule(
            facts,
            (
                "reassessment",
                "duty",
                "五（四）",
                "影响期满后，应当对其问题性质、主观动机、轻重程度以及一贯表现综合研判 … "
                "全面、历史、辩证地考核评价",
                ("weihai_impact_period_expired", "weihai_still_accountable"),
            ),
            all_of(still_accountable, expired),
            None,
        ),
        # 五（四） "符合条件的，按照干部选拔任用有关规定及时合理使用"
        check_rule(
            facts,
            (
                "reuse",
                "duty",
                "五（四）",
                "符合条件的，按照干部选拔任用有关规定及时合理使用",
                (
                    "weihai_cadre_rules_met",
                    "weihai_impact_period_expired",
                    "weihai_still_accountable",
                ),
            ),
            all_of(still_accountable, expired, fact(facts, "weihai_cadre_rules_met")),
            None,
        ),
    ]


# ---------------------------------------------------------------- the decision, 三、 and 四、


def decide(raw: dict[str, object]) -> dict[str, object]:
    """容错 when the error fits any one of 三's twenty situations, unless one of 四's four
    exclusions holds (each over all situations); the notice has no gate."""
    facts = read_facts(raw, TYPES, {})

    def f(name: str) -> Tri:
        return fact(facts, name)

    (months,), missing = known(facts, "weihai_months_paid_after_death")
    paid_3_months = (None, missing) if missing else (TRUE if months >= 3 else FALSE)  # type: ignore[operator]
    (organized, accountable), missing = known(
        facts, "weihai_recovery_organized_date", "weihai_accountability_date"
    )
    recovered_first = (
        (None, missing) if missing else (TRUE if organized < accountable else FALSE)  # type: ignore[operator]
    )
    situations: list[tuple[tuple[str, str, str, str], Tri]] = [
        (
            (
                "reform_pilot",
                "situation",
                "三（一）",
                "在深化社会救助改革、推进社会救助体制机制创新工作中先行先试、突破常规 … "
                "出现非主观性失误或者未达到预期效果的",
            ),
            all_of(f("reform_pilot_error"), f("weihai_reform_error_non_subjective")),
        ),
        (
            (
                "bold_performance",
                "situation",
                "三（二）",
                "在推进社会救助工作高质量发展中，敢于决策、大胆履职，攻坚克难、锐意进取 … "
                "出现失误或偏差但未造成重大不良影响的",
            ),
            all_of(f("weihai_bold_performance_error"), negate(f("major_adverse_impact"))),
        ),
        (
            (
                "policy_change",
                "situation",
                "三（三）",
                "在创造性开展社会救助工作中 … 因国家政策调整、上级决策部署发生变化，"
                "或者政策界限不明确 … 受客观条件限制 … 出现失误错误的",
            ),
            all_of(
                f("weihai_creative_work_error"),
                any_of(f("weihai_policy_changed"), f("weihai_policy_boundary_unclear")),
                f("weihai_objective_constraints"),
            ),
        ),
        (
            (
                "implementing_decisions",
                "situation",
                "三（四）",
                "在落实各级党委、政府决策部署过程中 … 出于公心、担当尽责，出现失误或者偏差的",
            ),
            all_of(f("weihai_implementing_decisions_error"), f("weihai_acted_in_public_spirit")),
        ),
        (
            (
                "legal_gap",
                "situation",
                "三（五）",
                "因上位法律法规规定不一致、部门职责边界不清，或者属于执法监管空白事项 … "
                "主动担当作为、解决问题，出现失误错误的",
            ),
            all_of(f("weihai_legal_gap"), f("weihai_took_initiative_to_solve")),
        ),
        (
            (
                "provisional_processing",
                "situation",
                "三（六）",
                "因着眼提高效率，实施服务机制和工作模式创新 … "
                "进行暂时性容缺受理、容缺审核，出现失误或者偏差的",
            ),
            f("weihai_provisional_processing"),
        ),
        (
            (
                "emergency",
                "situation",
                "三（七）",
                "在处置突发事件、群体性事件等工作中 … 出于维护国家、集体和人民利益考虑，"
                "主动担当涉险、临机果断决策 … 出现失误错误的",
            ),
            all_of(f("acting_in_emergency"), f("weihai_decisive_for_public_interest")),
        ),
        (
            (
                "legacy_disputes",
                "situation",
                "三（八）",
                "在解决社会救助工作历史遗留问题、化解矛盾纠纷、维护社会稳定等工作中 … "
                "立足全局利益，积极打破僵局 … 出现失误错误的",
            ),
            all_of(f("weihai_resolving_legacy_or_disputes"), f("weihai_broke_deadlock")),
        ),
        (
            (
                "petitioning",
                "situation",
                "三（九）",
                "积极回应群众救助诉求，对暂不符合社会救助条件的人员 … "
                "已尽到政策解释和维护稳定的职责 … "
                "但相关人员仍不理解、不配合，产生抵触情绪、消极行为甚至越级上访造成不良影响的",
            ),
            all_of(
                f("applicant_ineligible"),
                f("staff_explained_policy"),
                f("weihai_stability_duty_fulfilled"),
                any_of(
                    f("petitioning_despite_explanation"),
                    f("weihai_resistance_despite_explanation"),
                ),
            ),
        ),
        (
            (
                "voluntary_waiver",
                "situation",
                "三（十）",
                "因困难群众主动放弃社会救助导致兜底保障职能未履行到位或出现其他突发情况的",
            ),
            all_of(
                f("applicant_waived_assistance"),
                any_of(f("missed_grant"), f("other_emergency_after_waiver")),
            ),
        ),
        (
            (
                "concealment",
                "situation",
                "三（十一）",
                "工作人员已按照有关规定认真履行调查核实责任 … "
                "但因社会救助申请对象或其法定赡养、抚养、扶养义务人瞒报、虚报、转移财产（收入） … "
                "造成错保救助的",
            ),
            all_of(
                f("staff_investigated_per_rules"),
                f("weihai_applicant_concealed_property"),
                f("wrong_grant"),
            ),
        ),
        (
            (
                "data_platform",
                "situation",
                "三（十二）",
                "对因家庭经济状况核对平台信息延迟、不全面、外地配合不到位 … "
                "导致未能及时完整地核对出相关信息 … "
                "根据已掌握的申请人家庭经济状况和家庭实际困难程度，认定申请人家庭符合救助条件 … "
                "造成错保错救的",
            ),
            all_of(
                any_of(f("weihai_platform_data_deficient"), f("weihai_remote_cooperation_lacking")),
                f("weihai_eligibility_on_known_information"),
                f("wrong_grant"),
            ),
        ),
        (
            (
                "death_undetected",
                "situation",
                "三（十三）",
                "经巡访、摸排、比对等规定流程仍未能准确掌握死亡情况 … "
                "造成低保、特困对象死亡 3个月后仍领取保障资金 … 在发现后即时予以纠正并组织追缴的",
            ),
            all_of(
                f("weihai_death_undetected_despite_checks"),
                f("weihai_dibao_or_tekun_beneficiary"),
                paid_3_months,
                f("weihai_corrected_immediately"),
                f("recovery_organized"),
            ),
        ),
        (
            (
                "dynamic_management",
                "situation",
                "三（十四）",
                "依规履行了平台核查、入户巡访、邻里走访等工作 … "
                "因申请人、在册对象和相关人员刻意隐瞒真实信息 … "
                "未能及时准确发现低保、特困等救助对象财产和收入变化，导致动态调整不及时的",
            ),
            all_of(
                f("weihai_platform_and_visit_checked"),
                f("weihai_deliberate_concealment"),
                f("adjustment_delayed"),
            ),
        ),
        (
            (
                "unreported_change_recovered",
                "situation",
                "三（十五）",
                "社会救助对象未向镇人民政府（街道办事处）及时报告有关变化情况 … "
                "致使低保补助金、特困人员供养金及其他待遇多领取 … 在责任追究前已组织追缴的",
            ),
            # "在责任追究前": organised before the day accountability started.
            all_of(
                f("weihai_change_not_reported"),
                f("weihai_benefits_overpaid"),
                f("recovery_organized"),
                recovered_first,
            ),
        ),
        (
            (
                "recovery_deferred",
                "situation",
                "三（十六）",
                "确因社会救助对象经济困难、追缴对象无法取得联系等原因暂时无法追回多领资金 … "
                "经镇人民政府（街道办事处）或民政部门研究同意暂缓追缴或免退的",
            ),
            all_of(f("recovery_temporarily_impossible"), f("recovery_deferral_approved")),
        ),
        (
            (
                "data_deviation",
                "situation",
                "三（十七）",
                "因社会救助政策动态调整或技术性原因造成数据偏差的",
            ),
            f("weihai_policy_or_technical_data_deviation"),
        ),
        (
            (
                "data_entry_error",
                "situation",
                "三（十八）",
                "社会救助工作符合程序 … "
                "但因人工采集、数据录入造成上线数据的保障时间、发放时间等出现错误 … "
                "已及时按规定备案修正的",
            ),
            all_of(
                f("procedure_regular"),
                f("weihai_manual_data_error"),
                f("weihai_error_filed_and_corrected"),
            ),
        ),
        (
            (
                "proxy_account",
                "situation",
                "三（十九）",
                "因社会救助对象年老体弱、卧病在床、精神障碍或因个人账户被冻结等原因"
                "导致无法开设或无法正常使用本人账户 … "
                "由其监护人、近亲属或村（居）委会代开、代管账户 … "
                "造成资金发放姓名与实际享受人不符但已按规定程序备案的",
            ),
            all_of(
                f("beneficiary_cannot_use_own_account"),
                f("proxy_account_used"),
                f("proxy_account_filed"),
            ),
        ),
        (
            (
                "other_tolerable",
                "situation",
                "三（二十）",
                "其他符合中央党政方针和有关规定精神，应纳入容错纠错的情形",
            ),
            f("weihai_other_tolerable_situation"),
        ),
    ]
    # 四、不予容错情形清单: each excludes tolerance whatever the situation.
    exclusions: list[tuple[tuple[str, str, str, str], Tri]] = [
        (
            ("political_discipline", "exclusion", "四（一）", "违反政治纪律和政治规矩的"),
            f("weihai_violated_political_discipline"),
        ),
        (
            (
                "eight_point_rules",
                "exclusion",
                "四（二）",
                "违反中央八项规定及其实施细则精神 … 或者严重违纪违法的",
            ),
            any_of(f("weihai_violated_eight_point_rules"), f("weihai_serious_violation")),
        ),
        (
            (
                "improper_benefit",
                "exclusion",
                "四（三）",
                "为个人、家属、他人或单位谋取不正当利益的",
            ),
            f("sought_improper_benefit"),
        ),
        (
            ("other_non_tolerable", "exclusion", "四（四）", "其他不应予以容错的情形"),
            f("weihai_other_non_tolerable"),
        ),
    ]
    order = {rule[0]: i for i, (rule, _) in enumerate([*situations, *exclusions])}
    per_rules = f("weihai_per_relevant_rules")
    still = f("weihai_still_accountable")
    grants = [
        # 三 "可以依照有关规定予以容错处理"
        ("weihai_tolerance", "三", per_rules, ("tolerated",)),
        # 五（二） "对被认定容错的……实施分类处置"
        ("rectification", "五（二）", per_rules, ("tolerated",)),
        # 五（四） "对予以容错不予追究责任的……不受影响"
        ("results_unaffected", "五（四）", all_of(per_rules, negate(still)), ("tolerated",)),
        # 五（四） "对于仍需问责的，酌情从轻、减轻或者免责处理"
        (
            "still_accountable",
            "五（四）",
            all_of(still, f("weihai_leniency_warranted")),
            ("lighter", "mitigated", "exempt"),
        ),
    ]
    return decision(POLICY, [], situations, exclusions, order, JUDGMENTS, grants, VERSION)
