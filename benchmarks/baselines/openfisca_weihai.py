"""威海's 容错纠错 decision (威民发〔2023〕24号: 三's twenty situations, 四's four exclusions), its
outcome alone, written by hand as an OpenFisca model: the yardstick the issue names for
vectorised evaluation (benchmarks/sidebyside.py, benchmarks/sql.py).  Optional: it needs
`openfisca-core` (and numpy, which that brings); nothing in policyc imports it.

Like benchmarks/baselines/weihai.py it is a yardstick for speed, not a second source of truth:
the benchmarks compare its outcome with the generated package's on every record they time, and
where the two disagree, the policy (policies/weihai.policy) is right.

Three-valued facts as OpenFisca has none: each case's value is an int array, FALSE 0,
UNKNOWN 1, TRUE 2 (a fact the record does not give is UNKNOWN), so that Kleene's `and` is the
minimum and `or` the maximum.  Beside each rule's value, a bool array says whether the facts it
still needs include one that is not a judgment (docs/language.md): the decision is
`needs_judgment` when only judgments are missing, `undetermined` otherwise.

The decision (compiler/runtime/decision.py), as it falls out for 威海, whose four exclusions
each defeat every situation, with no gate and no liability:
* excluded: an exclusion holds;
* not_covered: no exclusion holds and every situation is false;
* applies: a situation holds and no exclusion is open;
* otherwise open: the facts needed are those of every open exclusion, and, when no situation
  holds, those of every open situation too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.simulations import Simulation, SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

from benchmarks.baselines import weihai

FALSE, UNKNOWN, TRUE = 0, 1, 2
PERIOD = "2024"  # the decision does not change with time; OpenFisca asks for a period

Case = build_entity(key="case", plural="cases", label="a case record", is_person=True)

# The facts the decision reads, by type (benchmarks/baselines/weihai.py's TYPES also holds the
# record checks' facts, which the decision does not read).
BOOLS = (
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
    "weihai_change_not_reported",
    "weihai_corrected_immediately",
    "weihai_creative_work_error",
    "weihai_death_undetected_despite_checks",
    "weihai_decisive_for_public_interest",
    "weihai_deliberate_concealment",
    "weihai_dibao_or_tekun_beneficiary",
    "weihai_eligibility_on_known_information",
    "weihai_error_filed_and_corrected",
    "weihai_implementing_decisions_error",
    "weihai_legal_gap",
    "weihai_manual_data_error",
    "weihai_objective_constraints",
    "weihai_other_non_tolerable",
    "weihai_other_tolerable_situation",
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
    "weihai_took_initiative_to_solve",
    "weihai_violated_eight_point_rules",
    "weihai_violated_political_discipline",
    "wrong_grant",
)
INTS = ("weihai_months_paid_after_death",)
DATES = ("weihai_accountability_date", "weihai_recovery_organized_date")
# The facts only a person can settle (policies/weihai.policy: `judgment`), as the hand-written
# Python baseline lists them.
JUDGMENTS = frozenset(weihai.JUDGMENTS)


class Outcome(Enum):
    excluded = "excluded"
    not_covered = "not_covered"
    applies = "applies"
    needs_judgment = "needs_judgment"
    undetermined = "undetermined"


# ---------------------------------------------------------------- the facts


def _input(name: str, value_type: type, default: object) -> type[Variable]:
    return type(
        name,
        (Variable,),
        {
            "value_type": value_type,
            "entity": Case,
            "definition_period": DateUnit.YEAR,
            "label": name,
            "default_value": default,
        },
    )


FACTS: list[type[Variable]] = [
    *(_input(name, int, UNKNOWN) for name in BOOLS),
    *(_input(name, int, 0) for name in INTS),
    *(_input(name, date, date(1970, 1, 1)) for name in DATES),
    # Whether the record gives each fact that is not a bool (OpenFisca has no missing value).
    *(_input(f"{name}__given", bool, False) for name in (*INTS, *DATES)),
]

# ---------------------------------------------------------------- three-valued logic

# A rule's value, and whether the facts it still needs include one that is not a judgment.
Tri = tuple[np.ndarray, np.ndarray]


def fact(case: Any, name: str) -> Tri:
    value = case(name, PERIOD)
    return value, (value == UNKNOWN) & (name not in JUDGMENTS)


def all_of(*operands: Tri) -> Tri:
    return _connective(np.minimum.reduce([v for v, _ in operands]), operands)


def any_of(*operands: Tri) -> Tri:
    return _connective(np.maximum.reduce([v for v, _ in operands]), operands)


def _connective(value: np.ndarray, operands: Sequence[Tri]) -> Tri:
    # Unknown only when no operand decides it; then it needs what its unknown operands need.
    asks = np.logical_or.reduce([(v == UNKNOWN) & a for v, a in operands])
    return value, (value == UNKNOWN) & asks


def negate(operand: Tri) -> Tri:
    return TRUE - operand[0], operand[1]


def compared(case: Any, names: Sequence[str], test: Callable[..., np.ndarray]) -> Tri:
    """A comparison of facts that are not bools: unknown unless the record gives them all."""
    given = np.logical_and.reduce([case(f"{n}__given", PERIOD) for n in names])
    value = np.where(given, np.where(test(*(case(n, PERIOD) for n in names)), TRUE, FALSE), UNKNOWN)
    return value.astype(np.int32), ~given


# ---------------------------------------------------------------- 三、容错情形 and 四、不予容错


def situations(case: Any) -> list[Tri]:
    def f(name: str) -> Tri:
        return fact(case, name)

    return [
        # 三（一） reform_pilot
        all_of(f("reform_pilot_error"), f("weihai_reform_error_non_subjective")),
        # 三（二） bold_performance
        all_of(f("weihai_bold_performance_error"), negate(f("major_adverse_impact"))),
        # 三（三） policy_change
        all_of(
            f("weihai_creative_work_error"),
            any_of(f("weihai_policy_changed"), f("weihai_policy_boundary_unclear")),
            f("weihai_objective_constraints"),
        ),
        # 三（四） implementing_decisions
        all_of(f("weihai_implementing_decisions_error"), f("weihai_acted_in_public_spirit")),
        # 三（五） legal_gap
        all_of(f("weihai_legal_gap"), f("weihai_took_initiative_to_solve")),
        # 三（六） provisional_processing
        f("weihai_provisional_processing"),
        # 三（七） emergency
        all_of(f("acting_in_emergency"), f("weihai_decisive_for_public_interest")),
        # 三（八） legacy_disputes
        all_of(f("weihai_resolving_legacy_or_disputes"), f("weihai_broke_deadlock")),
        # 三（九） petitioning
        all_of(
            f("applicant_ineligible"),
            f("staff_explained_policy"),
            f("weihai_stability_duty_fulfilled"),
            any_of(
                f("petitioning_despite_explanation"),
                f("weihai_resistance_despite_explanation"),
            ),
        ),
        # 三（十） voluntary_waiver
        all_of(
            f("applicant_waived_assistance"),
            any_of(f("missed_grant"), f("other_emergency_after_waiver")),
        ),
        # 三（十一） concealment
        all_of(
            f("staff_investigated_per_rules"),
            f("weihai_applicant_concealed_property"),
            f("wrong_grant"),
        ),
        # 三（十二） data_platform
        all_of(
            any_of(f("weihai_platform_data_deficient"), f("weihai_remote_cooperation_lacking")),
            f("weihai_eligibility_on_known_information"),
            f("wrong_grant"),
        ),
        # 三（十三） death_undetected
        all_of(
            f("weihai_death_undetected_despite_checks"),
            f("weihai_dibao_or_tekun_beneficiary"),
            compared(case, INTS, lambda months: months >= 3),
            f("weihai_corrected_immediately"),
            f("recovery_organized"),
        ),
        # 三（十四） dynamic_management
        all_of(
            f("weihai_platform_and_visit_checked"),
            f("weihai_deliberate_concealment"),
            f("adjustment_delayed"),
        ),
        # 三（十五） unreported_change_recovered
        all_of(
            f("weihai_change_not_reported"),
            f("weihai_benefits_overpaid"),
            f("recovery_organized"),
            compared(
                case,
                ("weihai_recovery_organized_date", "weihai_accountability_date"),
                lambda organized, accountable: organized < accountable,
            ),
        ),
        # 三（十六） recovery_deferred
        all_of(f("recovery_temporarily_impossible"), f("recovery_deferral_approved")),
        # 三（十七） data_deviation
        f("weihai_policy_or_technical_data_deviation"),
        # 三（十八） data_entry_error
        all_of(
            f("procedure_regular"),
            f("weihai_manual_data_error"),
            f("weihai_error_filed_and_corrected"),
        ),
        # 三（十九） proxy_account
        all_of(
            f("beneficiary_cannot_use_own_account"),
            f("proxy_account_used"),
            f("proxy_account_filed"),
        ),
        # 三（二十） other_tolerable
        f("weihai_other_tolerable_situation"),
    ]


def exclusions(case: Any) -> list[Tri]:
    def f(name: str) -> Tri:
        return fact(case, name)

    return [
        # 四（一） political_discipline
        f("weihai_violated_political_discipline"),
        # 四（二） eight_point_rules
        any_of(f("weihai_violated_eight_point_rules"), f("weihai_serious_violation")),
        # 四（三） improper_benefit
        f("sought_improper_benefit"),
        # 四（四） other_non_tolerable
        f("weihai_other_non_tolerable"),
    ]


# OpenFisca names a variable by its class: a snake_case class name.
class weihai_outcome(Variable):
    value_type = Enum
    possible_values = Outcome
    default_value = Outcome.undetermined
    entity = Case
    definition_period = DateUnit.YEAR
    label = "威海 容错纠错: the decision's outcome"

    def formula(case: Any, period: Any, parameters: Any) -> Any:  # OpenFisca's signature
        held = situations(case)
        barred = exclusions(case)
        excluded = np.logical_or.reduce([v == TRUE for v, _ in barred])
        all_false = np.logical_and.reduce([v == FALSE for v, _ in held])
        some_holds = np.logical_or.reduce([v == TRUE for v, _ in held])
        some_open_exclusion = np.logical_or.reduce([v == UNKNOWN for v, _ in barred])
        applies = some_holds & ~some_open_exclusion
        # Open: every open exclusion matters; the open situations matter when none holds.
        asks = np.logical_or.reduce([(v == UNKNOWN) & a for v, a in barred]) | (
            ~some_holds & np.logical_or.reduce([(v == UNKNOWN) & a for v, a in held])
        )
        return np.select(
            [excluded, all_false, applies, asks],
            [Outcome.excluded, Outcome.not_covered, Outcome.applies, Outcome.undetermined],
            Outcome.needs_judgment,
        )


def system() -> TaxBenefitSystem:
    built = TaxBenefitSystem([Case])
    built.add_variables(*FACTS, weihai_outcome)
    return built


# ---------------------------------------------------------------- running it

Columns = dict[str, np.ndarray]
_TRI = {True: TRUE, False: FALSE, None: UNKNOWN}


def columns(records: Sequence[Mapping[str, object]]) -> Columns:
    """The input arrays of raw JSON records (as benchmarks/records.py makes them: bools, whole
    numbers, dates as "YYYY-MM-DD"; absent or null is unknown)."""
    arrays: Columns = {}
    for name in BOOLS:
        arrays[name] = np.array([_TRI[r.get(name)] for r in records], dtype=np.int32)  # type: ignore[index]
    for name in INTS:
        values = [r.get(name) for r in records]
        arrays[name] = np.array([0 if v is None else v for v in values], dtype=np.int32)
        arrays[f"{name}__given"] = np.array([v is not None for v in values])
    for name in DATES:
        values = [r.get(name) for r in records]
        arrays[name] = np.array(
            ["1970-01-01" if v is None else v for v in values], dtype="datetime64[D]"
        )
        arrays[f"{name}__given"] = np.array([v is not None for v in values])
    return arrays


def from_columns(table: Mapping[str, np.ndarray]) -> Columns:
    """The input arrays of a table's typed columns as numpy gives them (DuckDB's `fetchnumpy`:
    a column with NULLs is a masked array): what the SQL's own encoding of its typed columns
    does, in numpy."""
    arrays: Columns = {}
    for name in BOOLS:
        tri = np.ma.getdata(table[name]).astype(np.int32) * TRUE  # False 0, True 2
        tri[np.ma.getmaskarray(table[name])] = UNKNOWN
        arrays[name] = tri
    for name in (*INTS, *DATES):
        # What a masked value holds does not matter: `compared` reads it only where given.
        kind = np.int32 if name in INTS else "datetime64[D]"
        arrays[name] = np.ma.getdata(table[name]).astype(kind)
        arrays[f"{name}__given"] = ~np.ma.getmaskarray(table[name])
    return arrays


def outcomes(tax_benefit_system: TaxBenefitSystem, arrays: Columns) -> np.ndarray:
    """Each case's outcome, as its name."""
    count = len(next(iter(arrays.values())))
    simulation: Simulation = SimulationBuilder().build_default_simulation(tax_benefit_system, count)
    for name, values in arrays.items():
        simulation.set_input(name, PERIOD, values)
    return simulation.calculate("weihai_outcome", PERIOD).decode_to_str()
