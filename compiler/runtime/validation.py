"""A validation run: every record of a policy checked, findings counted, and the clauses the
records exercised (coverage of the law by real data, not only by tests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .checks import EXERCISED, CheckResult, check_record
from .decision import decide, explain
from .kinds import CHECKED_KINDS, DECISION_KINDS
from .policy import PolicyInfo
from .records import Record, RecordError
from .timelimits import WorkdayCalendar
from .values import FactError, cut


@dataclass(frozen=True)
class RecordResult:
    record: Record
    checks: tuple[CheckResult, ...]
    decision: dict[str, object] | None  # when the record gives facts of the relief decision

    @property
    def findings(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.finding)


@dataclass(frozen=True)
class Run:
    policy: PolicyInfo
    results: tuple[RecordResult, ...]

    @property
    def findings(self) -> int:
        return sum(len(r.findings) for r in self.results)

    def checkable_clauses(self) -> list[str]:
        """The clauses a record can exercise (time limits, requirements, liabilities), in the
        order the policy states them."""
        clauses = [limit.clause for limit in self.policy.limits if limit.start and limit.end]
        clauses += [r.clause for r in self.policy.rules if r.kind in CHECKED_KINDS]
        return list(dict.fromkeys(sorted(clauses, key=self._order)))

    def _order(self, clause: str) -> int:
        for index, rule in enumerate(self.policy.rules):
            if rule.clause == clause:
                return index
        return len(self.policy.rules)

    def _all_checks(self) -> list[CheckResult]:
        return [c for result in self.results for c in result.checks]

    def exercised_clauses(self) -> list[str]:
        exercised = {c.clause for c in self._all_checks() if c.status in EXERCISED}
        return [c for c in self.checkable_clauses() if c in exercised]

    def counts(self) -> dict[str, int]:
        tally: dict[str, int] = {}
        for check in self._all_checks():
            tally[check.status] = tally.get(check.status, 0) + 1
        return dict(sorted(tally.items()))


def validate(policy: PolicyInfo, records: Sequence[Record], calendar: WorkdayCalendar) -> Run:
    decision_facts = {
        name for rule in policy.rules if rule.kind in DECISION_KINDS for name in rule.reads
    }
    results = []
    for record in records:
        try:
            checks = tuple(check_record(policy, record.facts, calendar))
            decision = None
            if decision_facts & set(record.facts):
                decision = explain(policy, decide(policy, record.facts))
        except FactError as error:
            # What a record's values cannot compute (3650 days against 10 years, 9999-12-31
            # plus a year) is that record's bad input, named by its id.
            raise RecordError(f"record {cut(record.id)}: {error}") from None
        results.append(RecordResult(record, checks, decision))
    return Run(policy, tuple(results))
