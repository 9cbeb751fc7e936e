"""Checks of one case record against a policy: time limits, requirements and liabilities.

Every result cites its clause.  A check whose facts the record does not mention at all is
`skipped` (the record says nothing about it); one that needs facts the record lacks is
`undetermined` and names them; nothing is ever guessed.

A limit counted in hours runs between moments.  A record gives a moment as a date-time, or as a
date alone when the time of day is not known: that date stands for the whole day, any moment
in it (00:00 up to the next day's 00:00).  The check passes when even the longest elapsed time
those days allow is within the limit, fails when even the shortest exceeds it, and is otherwise
`undetermined`, naming the facts whose time of day is missing.  For a 24-hour limit with dates
alone: the same day passes, the next day is undetermined, two days later fails.  Limits counted
in days use the day of a date-time (the start day is not counted either way).  Hours never
roll over and need no calendar.

A working-day limit whose count reaches a year with no published holiday schedule, or a limit
in days, months or years whose roll-over (民法典 第二百零三条) asks whether a day of such a year
is a 法定休假日, has a provisional due date with bounds: the check is decided when the end date
falls on or before the earliest possible due date or after the latest, and otherwise
`undetermined`, naming the year (`calendar_unpublished`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from .logic import merge
from .policy import Due, Facts, Limit, PolicyInfo, Rule, evaluate
from .timelimits import DueBounds, WorkdayCalendar
from .values import Known, Unknown, Value, to_json

# pass: the record complies; fail: it breaks the rule; holds: a liability arises;
# not_applicable: the rule's condition is false; undetermined: facts are missing;
# skipped: the record mentions none of the rule's facts.
FINDINGS = ("fail", "holds")
EXERCISED = ("pass", "fail", "holds", "not_applicable")


class CheckResult:
    """One check of a record: the rule, its clause, the status, why, and the facts it needs.

    Immutable.  The message is built when first read, from the values the check captured:
    a run that prints only its findings never formats the others (the issue-13 profile put a
    third of a record's checking in messages nobody read)."""

    __slots__ = ("_message", "clause", "kind", "needs", "quote", "rule", "status", "unpublished")

    rule: str
    kind: str
    clause: str
    quote: str
    status: str
    needs: tuple[str, ...]
    unpublished: tuple[int, ...]  # years whose holiday schedule would decide it
    _message: str | Callable[[], str]

    def __init__(
        self,
        rule: str,
        kind: str,
        clause: str,
        quote: str,
        status: str,
        message: str | Callable[[], str],
        needs: tuple[str, ...] = (),
        unpublished: tuple[int, ...] = (),
    ) -> None:
        self.rule, self.kind, self.clause, self.quote = rule, kind, clause, quote
        self.status, self._message, self.needs, self.unpublished = (
            status,
            message,
            needs,
            unpublished,
        )

    @property
    def message(self) -> str:
        message = self._message
        if not isinstance(message, str):
            message = self._message = message()
        return message

    def _fields(self) -> tuple[object, ...]:
        return (
            self.rule,
            self.kind,
            self.clause,
            self.quote,
            self.status,
            self.message,
            self.needs,
            self.unpublished,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CheckResult):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        names = ("rule", "kind", "clause", "quote", "status", "message", "needs", "unpublished")
        shown = ", ".join(f"{k}={v!r}" for k, v in zip(names, self._fields(), strict=True))
        return f"CheckResult({shown})"

    @property
    def finding(self) -> bool:
        return self.status in FINDINGS

    def to_json(self) -> dict[str, object]:
        shown: dict[str, object] = {
            "rule": self.rule,
            "kind": self.kind,
            "clause": self.clause,
            "quote": self.quote,
            "status": self.status,
            "message": self.message,
            "needs": list(self.needs),
        }
        if self.unpublished:  # only when it matters: reports of settled dates keep their shape
            shown["calendar_unpublished"] = list(self.unpublished)
        return shown


def check_record(policy: PolicyInfo, facts: Facts, calendar: WorkdayCalendar) -> list[CheckResult]:
    """Every check of the policy on one record's typed facts, in document order.

    Raises CalendarNotCovered when a limit (in workdays, or one whose last day may roll over)
    reaches a year the calendar lacks; a year with statutory holidays only gives
    `undetermined` when its unpublished adjustments could decide the check either way."""
    limits, rules = policy.checked
    results = [_check_limit(policy, limit, facts, calendar) for limit in limits]
    results += [_check_rule(rule, facts) for rule in rules]
    return results


def _result(
    rule: Rule | Limit,
    kind: str,
    status: str,
    message: str | Callable[[], str],
    needs: frozenset[str] = frozenset(),
    unpublished: tuple[int, ...] = (),
) -> CheckResult:
    return CheckResult(
        rule.name,
        kind,
        rule.clause,
        rule.quote,
        status,
        message,
        tuple(sorted(needs)) if needs else (),
        unpublished,
    )


def _given(reads: tuple[str, ...], facts: Facts) -> str:
    """The record's values of a rule's facts, for the message: `staff = 5, population = 62000`."""
    return ", ".join(f"{name} = {to_json(facts[name])}" for name in reads if name in facts)


def _mentions(reads: tuple[str, ...], facts: Facts) -> bool:
    return not facts.keys().isdisjoint(reads)


# ---------------------------------------------------------------- requirements, liabilities


def _check_rule(rule: Rule, facts: Facts) -> CheckResult:
    if not _mentions(rule.reads, facts):
        return _result(rule, rule.kind, "skipped", "the record mentions none of its facts")
    applies: Value = (
        evaluate(rule.fast_when, rule.when, facts, rule.needs_when)
        if rule.when is not None
        else True
    )
    if applies is False:
        return _result(rule, rule.kind, "not_applicable", "its condition does not hold")
    if rule.require is None:  # a liability: its condition is the failing
        if isinstance(applies, Unknown):
            return _result(rule, rule.kind, "undetermined", "facts are missing", applies.needs)
        return _result(
            rule,
            rule.kind,
            "holds",
            lambda: f"the failing it describes occurred ({_given(rule.reads, facts)})",
        )
    met = evaluate(rule.fast_require, rule.require, facts, rule.needs_require)
    if met is True:
        return _result(
            rule,
            rule.kind,
            "pass",
            lambda: f"the requirement is met ({_given(rule.reads, facts)})",
        )
    if isinstance(applies, Unknown) or isinstance(met, Unknown):
        return _result(
            rule, rule.kind, "undetermined", "facts are missing", merge(applies, met).needs
        )
    return _result(
        rule,
        rule.kind,
        "fail",
        lambda: f"the requirement is not met ({_given(rule.reads, facts)})",
    )


# ---------------------------------------------------------------- time limits


def _check_limit(
    policy: PolicyInfo, limit: Limit, facts: Facts, calendar: WorkdayCalendar
) -> CheckResult:
    kind = "time_limit"
    if not _mentions(limit.reads, facts):
        return _result(limit, kind, "skipped", "the record mentions none of its dates")
    applies: Value = (
        evaluate(limit.fast_when, limit.when, facts, limit.needs_when)
        if limit.when is not None
        else True
    )
    if applies is False:
        return _result(limit, kind, "not_applicable", "its condition does not hold")
    return check_dates(policy, limit, facts, calendar, applies)


def check_dates(
    policy: PolicyInfo, limit: Limit, facts: Facts, calendar: WorkdayCalendar, applies: Value
) -> CheckResult:
    """A time limit's check once the record mentions its dates and its condition is not
    false (`applies`: True, or the Unknown of its condition): the generated check drivers
    call it directly."""
    kind = "time_limit"
    assert limit.start is not None and limit.end is not None
    start, end = facts.get(limit.start), facts.get(limit.end)
    if not isinstance(start, date) or not isinstance(end, date):
        missing = {n for n in (limit.start, limit.end) if not isinstance(facts.get(n), date)}
        return _result(
            limit, kind, "undetermined", "facts are missing", frozenset(missing) | _needs(applies)
        )
    if _before(end, start):
        # An end before its start is not "in time": the record's dates are wrong, a finding.
        return _result(
            limit,
            kind,
            "fail",
            f"{limit.end} {_moment(end)} is before {limit.start} {_moment(start)}: "
            "the dates are out of order",
        )
    extended: Value = False
    if limit.extend_when is not None:
        extended = evaluate(
            limit.fast_extend_when, limit.extend_when, facts, limit.needs_extend_when
        )
    excluded, period_needs = _excluded_period(limit, facts)
    within = _within(limit, start, end, extended is True, excluded, calendar)
    verdict, untimed, bounds = within.verdict, within.untimed, within.bounds

    # The message's parts, formatted only when a report reads the message.
    def shown() -> str:
        amount = limit.duration(extended is True)
        described = _describe(limit, amount, start, within.due_text(), excluded, policy)
        return described + within.note() + _provisional(bounds)

    def ended() -> str:
        return f"{limit.end} {_moment(end)}"

    # Years whose unpublished schedule leaves the verdict open, for every undetermined result.
    unpublished = bounds.unpublished if bounds is not None and verdict == "unclear" else ()
    if verdict == "late" and period_needs:
        # The excluded period only pushes the due date later: without its dates, not knowable.
        return _result(
            limit,
            kind,
            "undetermined",
            lambda: f"{shown()}; the excluded period's dates are missing or out of order",
            period_needs,
        )
    if verdict != "in_time" and isinstance(extended, Unknown) and limit.extend_amount is not None:
        return _result(
            limit,
            kind,
            "undetermined",
            lambda: f"{shown()}; whether the limit is extended is unknown",
            extended.needs | untimed,
            unpublished,
        )
    if verdict == "unclear" and bounds is not None:
        years = ", ".join(str(y) for y in bounds.unpublished)
        return _result(
            limit,
            kind,
            "undetermined",
            lambda: (
                f"{shown()}; {ended()} is in time or late depending on the {years} holiday "
                "schedule, not yet published (add it with --calendar FILE)"
            ),
            _needs(applies) | period_needs | _needs(extended),
            unpublished,
        )
    if verdict == "unclear":
        # Dates alone: the record's days allow both an answer in time and a late one.
        return _result(
            limit,
            kind,
            "undetermined",
            lambda: (
                f"{shown()}; the time of day of {', '.join(sorted(untimed))} is not given, "
                f"and {ended()} may be in time or late"
            ),
            untimed | _needs(applies),
        )
    if isinstance(applies, Unknown):
        if verdict == "in_time":
            return _result(limit, kind, "pass", lambda: f"{shown()}; {ended()} is in time")
        return _result(
            limit,
            kind,
            "undetermined",
            lambda: f"{shown()}; whether the limit applies is unknown",
            applies.needs,
        )
    if verdict == "in_time":
        return _result(limit, kind, "pass", lambda: f"{shown()}; {ended()} is in time")
    return _result(limit, kind, "fail", lambda: f"{shown()}; {ended()} is late")


def _before(end: date, start: date) -> bool:
    """Certainly before: moments when both are date-times, else days (a date is a whole day)."""
    if isinstance(end, datetime) and isinstance(start, datetime):
        return end < start
    return _day(end) < _day(start)


def _needs(value: Value) -> frozenset[str]:
    return value.needs if isinstance(value, Unknown) else frozenset()


def _excluded_period(limit: Limit, facts: Facts) -> tuple[tuple[date, date] | None, frozenset[str]]:
    if limit.excluding is None or limit.excluded_from is None or limit.excluded_until is None:
        return None, frozenset()
    first, last = facts.get(limit.excluded_from), facts.get(limit.excluded_until)
    if isinstance(first, date) and isinstance(last, date) and _day(first) <= _day(last):
        return (_day(first), _day(last)), frozenset()
    # A period that ends before it starts is as good as none: the dates must be corrected.
    return None, frozenset({limit.excluded_from, limit.excluded_until})


@dataclass(frozen=True)
class _Within:
    """A limit measured on a record: the verdict, and what its message shows."""

    verdict: str  # in_time | late | unclear
    due: date | str  # the due date or moment, or the text shown for it
    reckoned: Due | None = None  # a count of days: why the due date is later than the count
    untimed: frozenset[str] = frozenset()  # unclear: the facts with no time of day
    bounds: DueBounds | None = None  # a provisional due date's earliest and latest

    def due_text(self) -> str:
        return self.due if isinstance(self.due, str) else _moment(self.due)

    def note(self) -> str:
        """Why the due date is later than the count (民法典 第二百零三条), or ""."""
        explanation = self.reckoned.explanation() if self.reckoned is not None else ""
        return f" ({explanation})" if explanation else ""


def _within(
    limit: Limit,
    start: date,
    end: date,
    extended: bool,
    excluded: tuple[date, date] | None,
    calendar: WorkdayCalendar,
) -> _Within:
    """in_time, late, or unclear (an hours limit the record's moments cannot settle); the due
    date (moved off a 法定休假日 when the limit rolls over) or moment; the reckoning that
    says why it moved; when unclear, the facts whose time of day is missing; and the bounds
    of a due date that waits on an unpublished holiday schedule (unclear when `end` lies
    between them)."""
    amount, unit = limit.duration(extended)
    if unit == "hours":
        # Hours run from the moment and never move (民法典 第二百零一条第二款): no calendar.
        return _within_hours(limit, start, end, amount)
    reckoned = limit.reckon(_day(start), calendar, extended=extended, excluded=excluded)
    bounds = reckoned.bounds
    day = _day(end)
    # Decided when the dates settle it whatever the unpublished schedule: in time by the
    # earliest possible due date, late after the latest.
    if day <= (bounds.earliest if bounds is not None else _day(reckoned.day)):
        verdict = "in_time"
    elif bounds is None or day > bounds.latest:
        verdict = "late"
    else:
        verdict = "unclear"
    return _Within(verdict, reckoned.day, reckoned, bounds=bounds)


def _within_hours(limit: Limit, start: date, end: date, hours: int) -> _Within:
    # Each moment is an interval [earliest, latest]: a point for a date-time, the whole day
    # for a date alone (up to, not including, the next day's 00:00).
    allowed = timedelta(hours=hours)
    start_first, start_last = _bounds(start)
    end_first, end_last = _bounds(end)
    untimed = frozenset(
        name
        for name, value in ((limit.start, start), (limit.end, end))
        if name is not None and not isinstance(value, datetime)
    )
    due: date | str
    if not isinstance(start, datetime):
        due = f"{hours} hours after a time on {start.isoformat()} not given"
    elif start_first + allowed <= _LAST:
        due = start + allowed
    else:  # past 9999-12-31 23:59:59.999999, which a datetime cannot hold: said, not computed
        due = f"{hours} hours after {_moment(start)}"
    # The longest elapsed time is below end_last - start_first when the end is a whole day
    # (its last moment is never reached), equal to it for a date-time: in time either way.
    if end_last - start_first <= allowed:
        return _Within("in_time", due)
    # The shortest is end_first - start_last, or just above it when the start is a whole day.
    shortest = end_first - start_last
    if shortest > allowed or (shortest == allowed and not isinstance(start, datetime)):
        return _Within("late", due)
    return _Within("unclear", due, untimed=untimed)


def _bounds(moment: date) -> tuple[timedelta, timedelta]:
    # As times since datetime.min, not datetimes: a date alone's day ends at the next 00:00,
    # which for 9999-12-31 no datetime holds (an OverflowError, where the hours still compare).
    if isinstance(moment, datetime):
        return moment - datetime.min, moment - datetime.min
    midnight = datetime.combine(moment, time()) - datetime.min
    return midnight, midnight + timedelta(days=1)


_LAST: Final = datetime.max - datetime.min  # the last moment a datetime holds


def _day(moment: date) -> date:
    # datetime is a date subclass, and comparing one with a date raises TypeError.
    return moment.date() if isinstance(moment, datetime) else moment


def _moment(value: Known) -> str:
    return str(to_json(value))


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
    due: str,
    excluded: tuple[date, date] | None,
    policy: PolicyInfo,
) -> str:
    count, unit = amount
    text = f"{count} {unit} from {limit.start} {_moment(start)}: due {due}"
    if excluded is not None and limit.excluding is not None:
        period = policy.periods.get(limit.excluding, limit.excluding)
        text += f" (not counting {period} {excluded[0]}..{excluded[1]})"
    return text
