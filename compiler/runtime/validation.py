"""A validation run: every record of a policy checked, findings counted, and the clauses the
records exercised (coverage of the law by real data, not only by tests).

The run streams: `validate_records` checks one record at a time as the records are read, and a
`Tally` keeps the summary (counts, findings, clauses exercised), so memory does not grow with
the number of records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial

from .checks import EXERCISED, FINDINGS, CheckResult, check_record
from .decision import decide, explain
from .kinds import CHECKED_KINDS, DECISION_KINDS
from .policy import PolicyInfo
from .records import Record, RecordError
from .timelimits import CalendarNotCovered, WorkdayCalendar
from .values import FactError, cut


@dataclass(frozen=True)
class RecordResult:
    record: Record
    checks: tuple[CheckResult, ...]
    decision: dict[str, object] | None  # when the record gives facts of the relief decision

    @property
    def findings(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.finding)


def validate_records(
    policy: PolicyInfo, records: Iterable[Record], calendar: WorkdayCalendar
) -> Iterator[RecordResult]:
    """Each record's checks and decision, one record at a time, in the records' order."""
    decision_facts = frozenset(
        name for rule in policy.rules if rule.kind in DECISION_KINDS for name in rule.reads
    )
    # A generated module's straight-line drivers when it has them, else the runtime's
    # algorithms (the interpreter): the same results.
    run_checks = policy.compiled_checks or partial(check_record, policy)
    run_decision = policy.compiled_decision or (
        lambda facts: explain(policy, decide(policy, facts))
    )
    for record in records:
        try:
            checks = tuple(run_checks(record.facts, calendar))
            decision = None
            if not decision_facts.isdisjoint(record.facts):
                decision = run_decision(record.facts)
        except (FactError, CalendarNotCovered) as error:
            # What a record's values cannot compute (3650 days against 10 years, 9999-12-31
            # plus a year, a due date past the calendar) is that record's bad input, named by
            # its id: among a million records the date alone does not say which.
            raise RecordError(f"record {cut(record.id)}: {error}") from None
        yield RecordResult(record, checks, decision)


class Tally:
    """The summary of a run, added to record by record: a few counters and the set of clauses
    exercised, whatever the number of records.  (Mutable on purpose: an accumulator.)"""

    def __init__(self, policy: PolicyInfo) -> None:
        self.policy = policy
        self.records = 0
        self.findings = 0
        self._counts: dict[str, int] = {}
        self._exercised: set[str] = set()

    def add(self, result: RecordResult) -> None:
        self.records += 1
        counts, exercised = self._counts, self._exercised
        for check in result.checks:
            counts[check.status] = counts.get(check.status, 0) + 1
            if check.finding:
                self.findings += 1
            if check.status in EXERCISED:
                exercised.add(check.clause)

    def add_totals(self, records: int, counts: dict[str, int], exercised: Iterable[str]) -> None:
        """Totals counted elsewhere (the SQL engine counts in the database): records, checks by
        status, clauses exercised."""
        self.records += records
        for status, count in counts.items():
            self._counts[status] = self._counts.get(status, 0) + count
            if status in FINDINGS:
                self.findings += count
        self._exercised.update(exercised)

    def counts(self) -> dict[str, int]:
        """How many checks ended in each status, by status name."""
        return dict(sorted(self._counts.items()))

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

    def exercised_clauses(self) -> list[str]:
        return [c for c in self.checkable_clauses() if c in self._exercised]
