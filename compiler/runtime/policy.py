"""A policy as the runtime sees it: its facts, rules and time limits, with conditions as
functions of the facts.  The compiler builds one from the checked model (conditions evaluated
by the reference interpreter); a generated module defines one with compiled conditions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from .errors import PolicycError
from .kinds import CHECKED_KINDS
from .timelimits import (
    CalendarProvisional,
    DueBounds,
    WorkdayCalendar,
    due_bounds,
    due_date,
    roll_over_bounds,
)
from .values import FactError, FactSpec, Known, Unknown, Value

Facts = Mapping[str, Known]
Condition = Callable[[Facts], Value]
# A condition's fast twin in the generated validators: True, False, or None when unknown (then
# the condition itself says which facts it waits on).  None in the interpreter's tables.
Test = Callable[[Facts], bool | None]
# What a condition waits on when its fast twin says None: exactly the needs of the Unknown the
# condition itself gives (generated `needs_x`).  None in the interpreter's tables.
Needs = Callable[[Facts], frozenset[str]]


def evaluate(
    test: Test | None, condition: Condition, facts: Facts, needs: Needs | None = None
) -> Value:
    """A condition's value: by its fast twin when it has one, the Unknown (with the facts it
    needs) by its needs function, or from the condition itself."""
    if test is None:
        return condition(facts)
    value = test(facts)
    if value is not None:
        return value
    return condition(facts) if needs is None else Unknown(needs(facts))


# Counts of these units are periods in the sense of 民法典 第二百零一条 (年、月、日): a last day
# that falls on a 法定休假日 moves (第二百零三条).  A count of workdays ends on a working day
# anyway, and a count of hours runs from the moment (第二百零一条第二款) and never moves.
ROLLOVER_UNITS = ("days", "months", "years")
ROLLOVER_LAW = "民法典 第二百零三条"


@dataclass(frozen=True)
class Due:
    """A due date, the last day the count reached before the holiday roll-over, and, when a
    holiday schedule it depends on is not yet published, its bounds (provisional)."""

    day: date | datetime
    counted: date | datetime  # == day unless the count ended on a 法定休假日
    # Set when the due date waits on an unpublished schedule: `day` is then the date by the
    # statutory holidays alone, and every schedule within the adjustment bounds gives a date
    # in bounds.earliest..bounds.latest.  None: final.
    bounds: DueBounds | None = None
    rolls_over: bool = False  # the limit moves off a 法定休假日 (民法典 第二百零三条)

    @property
    def moved(self) -> bool:
        return self.day != self.counted

    @property
    def final(self) -> bool:
        return self.bounds is None

    def explanation(self) -> str:
        """Why the due date is, or may become, later than the count, for reports; empty
        when it is not."""
        if self.moved:
            calendar = "on the official calendar" if self.final else "by the statutory holidays"
            return (
                f"moved from {self.counted.isoformat()}, a 法定休假日 {calendar}, "
                f"to the next working day per {ROLLOVER_LAW}"
            )
        if self.bounds is not None and self.rolls_over and self.bounds.latest != self.counted:
            return (
                f"{self.counted.isoformat()} is a working day by the statutory holidays; if "
                "the schedule makes it a 法定休假日, the due date moves to the next working "
                f"day per {ROLLOVER_LAW}"
            )
        return ""


@dataclass(frozen=True)
class Rule:
    """A statement with a condition: part of the decision, or checkable on a case record."""

    name: str
    kind: str  # gate | situation | exclusion | requirement | duty | liability | deadline | ...
    clause: str  # the clause, in the document's numbering (第四条（一）2)
    quote: str
    when: Condition | None = None
    require: Condition | None = None
    overrides: tuple[str, ...] | None = None  # an exclusion's targets; None: all situations
    actors: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()  # the facts its conditions read, sorted
    grants: tuple[str, ...] = ()  # an outcome's relief members, granted when its `when` holds
    # A situation's excused liabilities (their names); empty: it relieves the whole decision.
    excuses: tuple[str, ...] = ()
    fast_when: Test | None = None  # the generated validators' fast twins (see `evaluate`)
    fast_require: Test | None = None
    needs_when: Needs | None = None
    needs_require: Needs | None = None


@dataclass(frozen=True)
class Limit:
    """A time limit: a deadline, a procedure's overall limit, or one of its steps."""

    name: str
    rule: str  # the statement it belongs to
    clause: str
    quote: str
    label: str  # the step's label or the task, for messages
    amount: int
    unit: str
    start: str | None = None  # date facts
    end: str | None = None
    excluding: str | None = None  # a period not counted (public_notice: 不含公示期)
    excluded_from: str | None = None
    excluded_until: str | None = None
    when: Condition | None = None
    extend_amount: int | None = None
    extend_unit: str | None = None
    extend_when: Condition | None = None
    reads: tuple[str, ...] = ()
    # The stated reason this limit does not move off a 法定休假日 (民法典 第二百零四条:
    # 法律另有规定或者当事人另有约定的除外); None: it rolls over if its unit does.
    no_rollover: str | None = None
    fast_when: Test | None = None  # the generated validators' fast twins (see `evaluate`)
    fast_extend_when: Test | None = None
    needs_when: Needs | None = None
    needs_extend_when: Needs | None = None

    def duration(self, extended: bool = False) -> tuple[int, str]:
        """The amount and unit that run: the extension's when `extended` and there is one."""
        if extended and self.extend_amount is not None and self.extend_unit is not None:
            return self.extend_amount, self.extend_unit
        return self.amount, self.unit

    def rolls_over(self, extended: bool = False) -> bool:
        """Whether a last day on a 法定休假日 moves to the next working day (民法典 第二百零三条):
        for a count of days, months or years, unless the limit states why not."""
        amount, unit = self.duration(extended)
        return self.no_rollover is None and unit in ROLLOVER_UNITS and amount > 0

    def due(
        self,
        start: date | datetime,
        calendar: WorkdayCalendar,
        *,
        extended: bool = False,
        excluded: tuple[date, date] | None = None,
    ) -> date | datetime:
        """The due date counted from `start` (the start day not counted), moved off a
        法定休假日 when the limit rolls over (see `reckon`).  Raises CalendarProvisional when
        an unpublished holiday schedule decides it (`reckon` gives the bounds instead)."""
        reckoned = self.reckon(start, calendar, extended=extended, excluded=excluded)
        if reckoned.bounds is not None:
            bounds = reckoned.bounds
            raise CalendarProvisional(bounds.latest, calendar, bounds.unpublished, bounds)
        return reckoned.day

    def reckon(
        self,
        start: date | datetime,
        calendar: WorkdayCalendar,
        *,
        extended: bool = False,
        excluded: tuple[date, date] | None = None,
    ) -> Due:
        """The due date counted from `start` (the start day not counted), the last day the
        count reached, and the bounds when it is provisional: the one due-date algorithm of
        policyc, its generated validators, their record checks and CLIs.

        `excluded` is a period not counted (both ends included); only a limit written with
        `excluding PERIOD` (不含公示期) takes one.  A count of days, months or years whose last
        day is a 法定休假日 ends on the next working day (民法典 第二百零一条至第二百零三条)
        unless the limit opts out with `no rollover "reason"`.  A count of hours runs from
        the moment and needs no calendar.  A count of working days, or a roll-over, that
        reaches a year whose holiday schedule is not published is provisional: `day` by the
        statutory holidays alone, `bounds` the earliest and latest it can become."""
        try:
            return self._reckon(start, calendar, extended=extended, excluded=excluded)
        except OverflowError:
            # Counted from a day near 9999-12-31, the due date is past the last date there
            # is: a per-record (or per-request) error, not a crash.
            amount, unit = self.duration(extended)
            raise FactError(
                f"{amount} {unit} from {start} is after 9999-12-31: no due date"
            ) from None

    def _reckon(
        self,
        start: date | datetime,
        calendar: WorkdayCalendar,
        *,
        extended: bool,
        excluded: tuple[date, date] | None,
    ) -> Due:
        amount, unit = self.duration(extended)
        # The checker lets only a count of days exclude a period (E115); due_date refuses one
        # on any other unit rather than dropping it.
        periods = (excluded,) if excluded and self.excluding is not None else ()
        if unit == "hours":
            moment = due_date(start, amount, unit, calendar, excluded=periods)
            return Due(moment, moment)
        counted = due_bounds(start, amount, unit, calendar, excluded=periods)
        if not self.rolls_over(extended):
            return Due(counted.due, counted.due, None if counted.final else counted)
        # Days, months and years are counted without the calendar (always final); only the
        # roll-over asks it, and the next working day on or after the last day may be
        # provisional in a year whose schedule is unpublished.
        rolled = roll_over_bounds(counted.due, calendar, excluded=periods)
        return Due(rolled.due, counted.due, None if rolled.final else rolled, rolls_over=True)

    def due_bounds(
        self,
        start: date | datetime,
        calendar: WorkdayCalendar,
        *,
        extended: bool = False,
        excluded: tuple[date, date] | None = None,
    ) -> DueBounds:
        """`reckon`'s due date as bounds: the provisional date and the earliest and latest it
        can become (all three equal, and no unpublished years, when final).  Not for hours
        (`reckon` gives the moment)."""
        reckoned = self.reckon(start, calendar, extended=extended, excluded=excluded)
        if reckoned.bounds is not None:
            return reckoned.bounds
        day = reckoned.day
        return DueBounds(day, day, day)


class UnknownName(PolicycError, KeyError):
    """A rule or time limit the policy does not have (the Python API: `due("unknown", …)`)."""

    def __init__(self, message: str, known: list[str]) -> None:
        shown = ", ".join(known[:12]) + (" …" if len(known) > 12 else "")
        super().__init__(f"{message}; it has: {shown}")
        self.known = known

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class PolicyInfo:
    id: str
    title: str
    decision: str | None  # what the relief decision is (免责, 容错 …), if the policy makes one
    version: Mapping[str, str]  # content hashes of the policy file and of its official text
    facts: Mapping[str, FactSpec]  # every fact and judgment the policy may be given
    rules: tuple[Rule, ...]  # in document order
    limits: tuple[Limit, ...]
    periods: Mapping[str, str] = field(default_factory=dict)  # excluded period -> its label
    # A generated module's own drivers (compiler/backends/pydriver.py): every check of typed
    # facts (checks.check_record's results), and the explained decision (decision.explain of
    # decision.decide).  None in the interpreter's tables: the runtime's algorithms run.
    compiled_checks: Callable[[Facts, WorkdayCalendar], list[Any]] | None = None
    compiled_decision: Callable[[Facts], dict[str, object]] | None = None

    def rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise UnknownName(f"{self.id} has no rule {name!r}", sorted(r.name for r in self.rules))

    def limit(self, name: str) -> Limit:
        for limit in self.limits:
            if limit.name == name:
                return limit
        raise UnknownName(
            f"{self.id} has no time limit {name!r}", sorted(x.name for x in self.limits)
        )

    def of_kind(self, kind: str) -> tuple[Rule, ...]:
        return self._kinds.get(kind, ())

    # Fixed per policy, so computed once (on first use, which keeps an import cheap) rather
    # than on every record: the issue-13 profile found a decision rebuilding them per call.

    @cached_property
    def _kinds(self) -> Mapping[str, tuple[Rule, ...]]:
        kinds: dict[str, list[Rule]] = {}
        for rule in self.rules:
            kinds.setdefault(rule.kind, []).append(rule)
        return {kind: tuple(rules) for kind, rules in kinds.items()}

    @cached_property
    def memo(self) -> dict[str, Any]:
        """Tables other runtime modules derive from the policy, each built once (on first
        use) and kept with it: decision.py's statuses of rules whose condition is known."""
        return {}

    @cached_property
    def order(self) -> Mapping[str, int]:
        """Each rule's place in the document."""
        return {r.name: i for i, r in enumerate(self.rules)}

    @cached_property
    def checked(self) -> tuple[tuple[Limit, ...], tuple[Rule, ...]]:
        """What a record's check covers, in document order: the time limits with a start and
        an end, then the requirements, duties and liabilities with a condition."""
        limits = tuple(x for x in self.limits if x.start is not None and x.end is not None)
        rules = tuple(
            r
            for r in self.rules
            if r.kind in CHECKED_KINDS and (r.when is not None or r.require is not None)
        )
        return limits, rules
