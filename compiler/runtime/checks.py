"""Checks of one case record against a policy: time limits, requirements and liabilities.

Every result cites its clause.  A check whose facts the record does not mention at all is
`skipped` (the record says nothing about it); one that needs facts the record lacks is
`undetermined` and names them; nothing is ever guessed.  A limit counted in hours cannot be
decided from dates alone unless the dates settle it either way; nor can a working-day limit
whose count reaches a year with no published holiday schedule, unless the end date falls on
or before its earliest possible due date or after its latest (then `unpublished` names the year).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .kinds import CHECKED_KINDS
from .logic import merge
from .policy import Facts, Limit, PolicyInfo, Rule
from .timelimits import DueBounds, WorkdayCalendar
from .values import Unknown, Value, to_json

# pass: the record complies; fail: it breaks the rule; holds: a liability arises;
# not_applicable: the rule's condition is false; undetermined: facts are missing;
# skipped: the record mentions none of the rule's facts.
FINDINGS = ("fail", "holds")
EXERCISED = ("pass", "fail", "holds", "not_applicable")


@dataclass(frozen=True)
class CheckResult:
    rule: str
    kind: str
    clause: str
    quote: str
    status: str
    message: str
    needs: tuple[str, ...] = ()
    unpublished: tuple[int, ...] = ()  # years whose holiday schedule would decide it

    @property
    def finding(self) -> bool:
        return self.status in FINDINGS

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "clause": self.clause,
            "quote": self.quote,
            "status": self.status,
            "message": self.message,
            "needs": list(self.needs),
            # Only when it matters, so that reports of settled dates keep their shape.
            **({"calendar_unpublished": list(self.unpublished)} if self.unpublished else {}),
        }


def check_record(policy: PolicyInfo, facts: Facts, calendar: WorkdayCalendar) -> list[CheckResult]:
    """Every check of the policy on one record's typed facts, in document order.

    Raises CalendarNotCovered when a working-day limit reaches a year the calendar lacks; a
    year with statutory holidays only gives `undetermined` when its unpublished adjustments
    could decide the check either way."""
    results: list[CheckResult] = []
    for limit in policy.limits:
        if limit.start is not None and limit.end is not None:
            results.append(_check_limit(policy, limit, facts, calendar))
    for rule in policy.rules:
        if rule.kind in CHECKED_KINDS and (rule.when is not None or rule.require is not None):
            results.append(_check_rule(rule, facts))
    return results


def _result(
    rule: Rule | Limit, kind: str, status: str, message: str, needs: frozenset[str] = frozenset()
) -> CheckResult:
    return CheckResult(
        rule.name, kind, rule.clause, rule.quote, status, message, tuple(sorted(needs))
    )


def _given(reads: tuple[str, ...], facts: Facts) -> str:
    """The record's values of a rule's facts, for the message: `staff = 5, population = 62000`."""
    return ", ".join(f"{name} = {to_json(facts[name])}" for name in reads if name in facts)


def _mentions(reads: tuple[str, ...], facts: Facts) -> bool:
    return any(name in facts for name in reads)


# ---------------------------------------------------------------- requirements, liabilities


def _check_rule(rule: Rule, facts: Facts) -> CheckResult:
    if not _mentions(rule.reads, facts):
        return _result(rule, rule.kind, "skipped", "the record mentions none of its facts")
    applies: Value = rule.when(facts) if rule.when is not None else True
    if applies is False:
        return _result(rule, rule.kind, "not_applicable", "its condition does not hold")
    if rule.require is None:  # a liability: its condition is the failing
        if isinstance(applies, Unknown):
            return _result(rule, rule.kind, "undetermined", "facts are missing", applies.needs)
        given = _given(rule.reads, facts)
        return _result(rule, rule.kind, "holds", f"the failing it describes occurred ({given})")
    met = rule.require(facts)
    given = _given(rule.reads, facts)
    if met is True:
        return _result(rule, rule.kind, "pass", f"the requirement is met ({given})")
    if isinstance(applies, Unknown) or isinstance(met, Unknown):
        return _result(
            rule, rule.kind, "undetermined", "facts are missing", merge(applies, met).needs
        )
    return _result(rule, rule.kind, "fail", f"the requirement is not met ({given})")


# ---------------------------------------------------------------- time limits


def _check_limit(
    policy: PolicyInfo, limit: Limit, facts: Facts, calendar: WorkdayCalendar
) -> CheckResult:
    kind = "time_limit"
    if not _mentions(limit.reads, facts):
        return _result(limit, kind, "skipped", "the record mentions none of its dates")
    applies: Value = limit.when(facts) if limit.when is not None else True
    if applies is False:
        return _result(limit, kind, "not_applicable", "its condition does not hold")
    assert limit.start is not None and limit.end is not None
    start, end = facts.get(limit.start), facts.get(limit.end)
    if not isinstance(start, date) or not isinstance(end, date):
        missing = {n for n in (limit.start, limit.end) if not isinstance(facts.get(n), date)}
        return _result(
            limit, kind, "undetermined", "facts are missing", frozenset(missing) | _needs(applies)
        )
    extended: Value = False
    if limit.extend_when is not None:
        extended = limit.extend_when(facts)
    amount = limit.duration(extended is True)
    excluded, period_needs = _excluded_period(limit, facts)
    verdict, due, bounds = _within(limit, start, end, extended is True, excluded, calendar)
    shown = _describe(limit, amount, start, due, excluded, policy) + _provisional(bounds)
    if verdict == "late" and period_needs:
        # The excluded period only pushes the due date later: without its dates, not knowable.
        return _result(
            limit,
            kind,
            "undetermined",
            f"{shown}; the excluded period's dates are missing or out of order",
            period_needs,
        )
    if verdict == "late" and isinstance(extended, Unknown) and limit.extend_amount is not None:
        return _result(
            limit,
            kind,
            "undetermined",
            f"{shown}; whether the limit is extended is unknown",
            extended.needs,
        )
    if verdict == "unclear" and bounds is not None:
        years = ", ".join(str(y) for y in bounds.unpublished)
        return CheckResult(
            limit.name,
            kind,
            limit.clause,
            limit.quote,
            "undetermined",
            f"{shown}; {limit.end} {end} is in time or late depending on the {years} holiday "
            "schedule, not yet published (add it with --calendar FILE)",
            tuple(sorted(_needs(applies) | period_needs | _needs(extended))),
            bounds.unpublished,
        )
    if verdict == "unclear":
        return _result(
            limit, kind, "undetermined", f"{shown}; dates alone cannot show a limit in hours"
        )
    if isinstance(applies, Unknown):
        if verdict == "in_time":
            return _result(limit, kind, "pass", f"{shown}; {limit.end} {end} is in time")
        return _result(
            limit,
            kind,
            "undetermined",
            f"{shown}; whether the limit applies is unknown",
            applies.needs,
        )
    if verdict == "in_time":
        return _result(limit, kind, "pass", f"{shown}; {limit.end} {end} is in time")
    return _result(limit, kind, "fail", f"{shown}; {limit.end} {end} is late")


def _needs(value: Value) -> frozenset[str]:
    return value.needs if isinstance(value, Unknown) else frozenset()


def _excluded_period(limit: Limit, facts: Facts) -> tuple[tuple[date, date] | None, frozenset[str]]:
    if limit.excluding is None or limit.excluded_from is None or limit.excluded_until is None:
        return None, frozenset()
    first, last = facts.get(limit.excluded_from), facts.get(limit.excluded_until)
    if isinstance(first, date) and isinstance(last, date) and first <= last:
        return (first, last), frozenset()
    # A period that ends before it starts is as good as none: the dates must be corrected.
    return None, frozenset({limit.excluded_from, limit.excluded_until})


def _within(
    limit: Limit,
    start: date,
    end: date,
    extended: bool,
    excluded: tuple[date, date] | None,
    calendar: WorkdayCalendar,
) -> tuple[str, date, DueBounds | None]:
    """in_time, late, or unclear (an hours limit that dates cannot settle, or a due date that
    an unpublished holiday schedule could put on either side of `end`); the due date; and its
    bounds when they are provisional."""
    amount, unit = limit.duration(extended)
    if unit == "hours":
        # From dates alone: the same day is in time; more than the limit's days later is late.
        latest = start + timedelta(days=-(-amount // 24))
        if end <= start:
            return "in_time", start, None
        return ("late" if end > latest else "unclear"), latest, None
    bounds = limit.due_bounds(start, calendar, extended=extended, excluded=excluded)
    shown = None if bounds.final else bounds
    # Decided when the dates settle it whatever the schedule: in time by the earliest
    # possible due date, late after the latest.
    if end <= bounds.earliest:
        return "in_time", bounds.due, shown
    if end > bounds.latest:
        return "late", bounds.due, shown
    return "unclear", bounds.due, shown


def _provisional(bounds: DueBounds | None) -> str:
    if bounds is None:
        return ""
    years = ", ".join(str(y) for y in bounds.unpublished)
    return (
        f" (provisional: statutory holidays only, {years} schedule not yet published; "
        f"between {bounds.earliest} and {bounds.latest})"
    )


def _describe(
    limit: Limit,
    amount: tuple[int, str],
    start: date,
    due: date,
    excluded: tuple[date, date] | None,
    policy: PolicyInfo,
) -> str:
    count, unit = amount
    text = f"{count} {unit} from {limit.start} {start}: due {due}"
    if excluded is not None and limit.excluding is not None:
        period = policy.periods.get(limit.excluding, limit.excluding)
        text += f" (not counting {period} {excluded[0]}..{excluded[1]})"
    return text
