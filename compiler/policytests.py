"""Running the policies' own tests (`tests ID { case … }`) on the reference interpreter."""

from __future__ import annotations

from dataclasses import dataclass

from compiler import ir
from compiler import nodes as n
from compiler.interpret import Unknown, decide, due, info, literal_facts, rule_value
from compiler.runtime.checks import check_record
from compiler.runtime.timelimits import CalendarNotCovered, WorkdayCalendar
from compiler.runtime.values import to_json


@dataclass(frozen=True)
class CaseResult:
    policy: str
    case: n.Case
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def run_case(
    program: ir.Program, policy: ir.Policy, case: n.Case, calendar: WorkdayCalendar
) -> CaseResult:
    failures: list[str] = []
    if case.expect is not None or case.grant_checks or case.exempt_checks:
        failures += _decision_failures(program, policy, case)
    for check in case.dues:
        try:
            got = due(
                program,
                policy,
                check.limit,
                check.start,
                calendar,
                extended=check.extended,
                excluded=check.excluded,
            )
        except CalendarNotCovered as error:
            failures.append(str(error))
            continue
        if got != check.expected:
            extended = " (extended)" if check.extended else ""
            failures.append(
                f"{check.limit}{extended} from {to_json(check.start)}: "
                f"expected {to_json(check.expected)}, got {to_json(got)}"
            )
    if case.record_checks:
        failures += _record_failures(program, policy, case, calendar)
    for rule_check in case.rule_checks:
        rule = policy.rule(rule_check.rule)
        value = rule_value(program, rule, literal_facts(case.given))
        if value is not rule_check.holds:
            outcome = (
                "unknown (needs " + ", ".join(sorted(value.needs)) + ")"
                if isinstance(value, Unknown)
                else ("holds" if value else "fails")
            )
            wanted = "holds" if rule_check.holds else "fails"
            failures.append(f"expected {rule_check.rule} {wanted}; it {outcome}")
    return CaseResult(policy.id, case, tuple(failures))


def _record_failures(
    program: ir.Program, policy: ir.Policy, case: n.Case, calendar: WorkdayCalendar
) -> list[str]:
    """What the case's `check NAME is STATUS` lines find wrong in the checks of the givens,
    read as one case record (the checks `validate` runs)."""
    try:
        results = check_record(info(program, policy), literal_facts(case.given), calendar)
    except CalendarNotCovered as error:
        return [str(error)]
    failures: list[str] = []
    for wanted in case.record_checks:
        # A time limit first: a deadline's limit and its statement share the name.
        found = sorted(
            (r for r in results if r.rule == wanted.name), key=lambda r: r.kind != "time_limit"
        )
        if not found:
            failures.append(f"the record has no check of {wanted.name}")
        elif found[0].status != wanted.status:
            got = found[0]
            needs = f" (needs {', '.join(got.needs)})" if got.needs else ""
            failures.append(
                f"expected {wanted.name} to be {wanted.status}; it is {got.status}{needs}: "
                f"{got.message}"
            )
    return failures


def _decision_failures(program: ir.Program, policy: ir.Policy, case: n.Case) -> list[str]:
    """What the case's `expect`, `cites`, `missing`, `grants`/`pending` and `exempts`/
    `not_exempted` find wrong in the decision."""
    failures: list[str] = []
    decision = decide(program, policy, literal_facts(case.given))
    if case.expect is not None and decision.outcome != case.expect:
        detail = ""
        if decision.missing:
            detail += f"; missing {', '.join(decision.missing)}"
        if decision.judgments:
            detail += f"; open judgments {', '.join(decision.judgments)}"
        cited = [s.rule.clause for s in decision.decisive]
        if cited:
            detail += f"; decided by {', '.join(cited)}"
        failures.append(f"expected {case.expect}, got {decision.outcome}{detail}")
    if case.expect is not None and case.cites:
        expected = {_clause_name(policy, c.text) for c in case.cites}
        actual = {_clause_name(policy, s.rule.clause) for s in decision.decisive}
        if expected != actual:
            failures.append(
                f"expected the decision to cite {', '.join(sorted(expected))}; "
                f"it cites {', '.join(sorted(actual)) or 'nothing'}"
            )
    if (
        case.expect is not None
        and case.missing is not None
        and set(case.missing) != set(decision.missing)
    ):
        failures.append(
            f"expected missing facts {', '.join(sorted(case.missing)) or 'none'}; "
            f"got {', '.join(decision.missing) or 'none'}"
        )
    pending = tuple(p.grant for p in decision.pending)
    for grant_check in case.grant_checks:
        got, what = (pending, "pending") if grant_check.pending else (decision.grants, "granted")
        if set(grant_check.names) != set(got):
            failures.append(f"expected {what}: {_members(grant_check.names)}; got {_members(got)}")
    for exempt_check in case.exempt_checks:
        listed = decision.not_exempted if exempt_check.not_exempted else decision.exempts
        got = tuple(x.rule.name for x in listed)
        what = "not exempted" if exempt_check.not_exempted else "exempted"
        if set(exempt_check.names) != set(got):
            failures.append(f"expected {what}: {_members(exempt_check.names)}; got {_members(got)}")
    return failures


def _members(names: tuple[str, ...]) -> str:
    return ", ".join(sorted(set(names))) or "none"


def _clause_name(policy: ir.Policy, citation: str) -> str:
    """Compare citations by the clause they name, so 三、(十三) and 三（十三） are equal."""
    clause = policy.document.resolve(citation).clause
    return clause.citation if clause is not None else citation


def run_all(
    program: ir.Program, calendar: WorkdayCalendar, only: set[str] | None = None
) -> list[CaseResult]:
    results: list[CaseResult] = []
    for policy_id in sorted(program.policies):
        if only and policy_id not in only:
            continue
        policy = program.policies[policy_id]
        results += [run_case(program, policy, case, calendar) for case in policy.cases]
    return results
