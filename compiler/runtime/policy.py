"""A policy as the runtime sees it: its facts, rules and time limits, with conditions as
functions of the facts.  The compiler builds one from the checked model (conditions evaluated
by the reference interpreter); a generated module defines one with compiled conditions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from .timelimits import WorkdayCalendar, due_date, roll_over
from .values import FactSpec, Known, Value

Facts = Mapping[str, Known]
Condition = Callable[[Facts], Value]

# Counts of these units are periods in the sense of 民法典 第二百零一条 (年、月、日): a last day
# that falls on a 法定休假日 moves (第二百零三条).  A count of workdays ends on a working day
# anyway, and a count of hours runs from the moment (第二百零一条第二款) and never moves.
ROLLOVER_UNITS = ("days", "months", "years")
ROLLOVER_LAW = "民法典 第二百零三条"


@dataclass(frozen=True)
class Due:
    """A due date and the last day the count reached before the holiday roll-over."""

    day: date | datetime
    counted: date | datetime  # == day unless the count ended on a 法定休假日

    @property
    def moved(self) -> bool:
        return self.day != self.counted

    def explanation(self) -> str:
        """Why the due date is later than the count, for reports; empty when it is not."""
        if not self.moved:
            return ""
        return (
            f"moved from {self.counted.isoformat()}, a 法定休假日 on the official calendar, "
            f"to the next working day per {ROLLOVER_LAW}"
        )


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
        法定休假日 when the limit rolls over (see `reckon`)."""
        return self.reckon(start, calendar, extended=extended, excluded=excluded).day

    def reckon(
        self,
        start: date | datetime,
        calendar: WorkdayCalendar,
        *,
        extended: bool = False,
        excluded: tuple[date, date] | None = None,
    ) -> Due:
        """The due date counted from `start` (the start day not counted) and the last day the
        count reached: the one due-date algorithm of policyc, its generated validators, their
        record checks and CLIs.

        `excluded` is a period not counted (both ends included); only a limit written with
        `excluding PERIOD` (不含公示期) takes one.  A count of days, months or years whose last
        day is a 法定休假日 ends on the next working day (民法典 第二百零一条至第二百零三条)
        unless the limit opts out with `no rollover "reason"`."""
        amount, unit = self.duration(extended)
        # The checker lets only a count of days exclude a period (E115); due_date refuses one
        # on any other unit rather than dropping it.
        periods = (excluded,) if excluded and self.excluding is not None else ()
        counted = due_date(start, amount, unit, calendar, excluded=periods)
        if not self.rolls_over(extended):
            return Due(counted, counted)
        return Due(roll_over(counted, calendar, excluded=periods), counted)


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

    def rule(self, name: str) -> Rule:
        return next(r for r in self.rules if r.name == name)

    def limit(self, name: str) -> Limit:
        return next(limit for limit in self.limits if limit.name == name)

    def of_kind(self, kind: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind == kind)
