"""A policy as the runtime sees it: its facts, rules and time limits, with conditions as
functions of the facts.  The compiler builds one from the checked model (conditions evaluated
by the reference interpreter); a generated module defines one with compiled conditions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from .timelimits import DueBounds, WorkdayCalendar, due_bounds, due_date
from .values import FactSpec, Known, Value

Facts = Mapping[str, Known]
Condition = Callable[[Facts], Value]


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

    def duration(self, extended: bool = False) -> tuple[int, str]:
        """The amount and unit that run: the extension's when `extended` and there is one."""
        if extended and self.extend_amount is not None and self.extend_unit is not None:
            return self.extend_amount, self.extend_unit
        return self.amount, self.unit

    def due(
        self,
        start: date | datetime,
        calendar: WorkdayCalendar,
        *,
        extended: bool = False,
        excluded: tuple[date, date] | None = None,
    ) -> date | datetime:
        """The due date counted from `start` (the start day not counted): the one due-date
        algorithm of policyc, its generated validators, their record checks and CLIs.

        `excluded` is a period not counted (both ends included); only a limit written with
        `excluding PERIOD` (不含公示期) takes one."""
        amount, unit = self.duration(extended)
        # The checker lets only a count of days exclude a period (E115); due_date refuses one
        # on any other unit rather than dropping it.
        periods = (excluded,) if excluded and self.excluding is not None else ()
        return due_date(start, amount, unit, calendar, excluded=periods)

    def due_bounds(
        self,
        start: date | datetime,
        calendar: WorkdayCalendar,
        *,
        extended: bool = False,
        excluded: tuple[date, date] | None = None,
    ) -> DueBounds:
        """`due`, for a count that may reach a year whose holiday schedule is not published:
        the provisional date and the earliest and latest it can become (final when the
        calendar settles every day counted).  Not for hours (`due` gives the moment)."""
        amount, unit = self.duration(extended)
        periods = (excluded,) if excluded and self.excluding is not None else ()
        return due_bounds(start, amount, unit, calendar, excluded=periods)


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
