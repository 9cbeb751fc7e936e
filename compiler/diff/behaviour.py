"""Behaviour: what the two versions of a policy decide differently, found by running both.

The part has three results, each verified, never assumed:

- **Witnesses**: concrete cases (fact sets) on which the two versions decide differently,
  each run on both versions with the reference interpreter (`interpret.decide`, and the
  runtime's record checks `runtime.checks.check_record` for compliance checks and time limits).
  A case differs for the relief decision when the outcome differs, or the grants, or the rules
  that decided it (compared through the correspondence of rules below, so that a renamed rule
  is the same rule): a decision that stays the same but rests on another clause is a change of
  its grounds, which a decision cites, and is reported as a change in meaning.  For a checked
  rule (requirement, duty, liability) and a time limit, a case differs when the status of its
  check differs (pass, fail, holds, not_applicable, undetermined, skipped, or no such check).
- **Due dates**: for each time limit whose amount, unit, excluded period, start or end changed
  (limits matched by name, then by clause), the due dates before and after for one start date
  (`START`, the site's example) on the official calendar, through the path `policyc due` takes
  (`comparison._due`'s: `runtime.cli.due_json`).
- **The verdict**, per component (the decision; each checked rule; each time limit) and overall:

  * `equivalent`, `structural`: every rule of either version has a counterpart in the other
    with the same meaning — same kind, the same conditions (expressions compared without
    positions, definitions expanded, the facts' types included), the same grants, excuses and
    precedence (through the correspondence) — and every limit the same count, unit, dates,
    period, condition and extension.  Names, order, clauses, quotes, notes and descriptions may
    differ: a renaming or a reordering.  The correspondence pairs rules by name (same kind),
    then by identical meaning (a renamed rule), then by clause (a renamed and changed rule).
  * `equivalent`, `exhaustive`: the structure differs, but every component that differs reads
    only yes/no facts and judgments, at most `MAX_EXHAUSTIVE_FACTS` of them, and all
    3^n cases (each fact true, false or not given) were run on both versions with the same
    result.  This is a proof for those components, not a sample.
  * `different`: a verified witness exists, or a due date differs, or a limit was added or
    removed.  `Part.changes_meaning` is true exactly then.
  * `undecided`: the structure differs, a component could not be enumerated (a number, a
    date, or too many facts) and the example solver (`examples.solve`, `MAX_STEPS` per goal)
    found no case that tells the versions apart.  Never reported as equivalent.

Witnesses in a component that cannot be enumerated come from the example solver: for each
changed, added or removed rule, the goals under which it decides in its own version
(`examples.rule_goals`: a situation that applies, an exclusion that excludes …, or for a check
its condition holding with the requirement met, then with it not met), accepted only when the
other version's result differs, a case on which both versions settle the question tried first;
each is minimal (`examples.minimize`).  A time limit's record starts on `START` and ends on the
later due date, with its condition made to hold, then to fail, in each version.  Enumerated
components keep, per kind of difference (the two results), the case with the fewest judgments,
then the fewest facts, minimised too.  Every witness is written as JSON facts, read back by
each version and run again; a fact one version does not read is left out of its record
(`unread`).  At most `MAX_WITNESSES` are shown, settled ones first; the rest are counted.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any, assert_never

from compiler import ir
from compiler import nodes as n
from compiler.comparison import (
    EXAMPLE_START,
    UNIT_LABELS,
    due_entry,
    due_text,
    official_calendar,
)
from compiler.diff.part import Cite, Part, Version
from compiler.errors import PolicycError
from compiler.examples import (
    MAX_DEPTH,
    Accept,
    Facts,
    fact_json,
    minimize,
    rule_goals,
    solve,
)
from compiler.inert import inert as md
from compiler.interpret import FactError, coerce_facts, decide, info
from compiler.runtime.checks import check_record
from compiler.runtime.cli import InputError
from compiler.runtime.kinds import CHECKED_KINDS, DECISION_KINDS, Kind
from compiler.runtime.timelimits import CalendarNotCovered
from compiler.tables import periods

START = EXAMPLE_START
# A limit counted in hours runs from a moment (`policyc due --start` with a time of day).
START_MOMENT = datetime.combine(START, time(9, 0))
# 3^8 = 6561 cases, each decided by both versions: one to two seconds.  More facts than this
# and the component is searched instead (and may be undecided).
MAX_EXHAUSTIVE_FACTS = 8
MAX_WITNESSES = 8

OUTCOME_LABELS: Mapping[str, str] = {
    "applies": "适用",
    "applies_in_part": "部分适用",
    "excluded": "排除（不予适用）",
    "not_covered": "不适用",
    "needs_judgment": "待人工判断",
    "undetermined": "待定（缺少事实）",
}
STATUS_LABELS: Mapping[str, str] = {
    "pass": "符合",
    "fail": "不符合",
    "holds": "成立",
    "not_applicable": "不适用（条件不成立）",
    "undetermined": "待定（缺少事实）",
    "skipped": "未涉及",
    "absent": "无此项检查",
}
VERDICT_LABELS: Mapping[str, str] = {
    "equivalent": "含义未变",
    "different": "含义有变化",
    "undecided": "未能在限度内判定",
}
_CHANGED_LABELS: Mapping[str, str] = {
    "amount": "期限",
    "start": "起算",
    "end": "截止于",
    "excluding": "不计入期间",
    "when": "适用条件",
    "extend": "延长",
    "no_rollover": "顺延",
    "added": "新增",
    "removed": "删除",
}

# ---------------------------------------------------------------- what the part reports


@dataclass(frozen=True)
class Side:
    """One version's result on a case: a decision's outcome or a check's status, with the
    rules that decided it (their names and clauses) and, for a decision, what it grants."""

    policy: str
    result: str  # an outcome, a check status, or "absent" (the version has no such check)
    decided_by: tuple[tuple[str, ir.ClauseRef], ...]
    grants: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "result": self.result,
            "decided_by": [{"rule": r, "clause": c.citation} for r, c in self.decided_by],
            "grants": list(self.grants),
        }


@dataclass(frozen=True)
class Witness:
    component: str  # "decision", "check", "limit"
    name: str  # the component's name: the decision's, a rule's or a limit's (the new one's)
    facts: Mapping[str, Any]  # JSON facts, as `policyc decide --facts` and records take them
    labels: Mapping[str, str]
    old: Side
    new: Side
    found_by: str  # "exhaustive" | "search"
    unread: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # facts old/new does not read
    shown: Mapping[str, str] | None = None  # each value in words (是/否, an enum's label)


@dataclass(frozen=True)
class Component:
    """One thing compared: the decision, a checked rule, a time limit."""

    kind: str  # "decision" | "check" | "limit"
    old: str | None  # its name in each version (None: absent)
    new: str | None
    method: str  # "exhaustive" | "search" | "dates"
    result: str  # "equivalent" | "different" | "undecided"
    cases: int | None = None  # exhaustive: the number of cases run
    facts: tuple[str, ...] = ()  # exhaustive: the facts enumerated

    @property
    def name(self) -> str:
        return self.new or self.old or ""

    def to_json(self) -> dict[str, object]:
        return {
            "component": self.kind,
            "old": self.old,
            "new": self.new,
            "method": self.method,
            "result": self.result,
            "cases": self.cases,
            "facts": list(self.facts),
        }


@dataclass(frozen=True)
class DueChange:
    old: ir.Limit | None
    new: ir.Limit | None
    changed: tuple[str, ...]  # which of _CHANGED_LABELS
    start: date  # START, or START_MOMENT when either limit counts hours
    old_due: Mapping[str, object] | None  # the `policyc due` entry
    new_due: Mapping[str, object] | None

    @property
    def differs(self) -> bool:
        return _due_key(self.old_due) != _due_key(self.new_due)

    def to_json(self) -> dict[str, object]:
        def side(limit: ir.Limit | None, entry: Mapping[str, object] | None) -> object:
            if limit is None or entry is None:
                return None
            return {
                "limit": limit.name,
                "clause": limit.clause.citation,
                "count": limit.amount.amount,
                "unit": limit.amount.unit,
                "excluding": limit.excluding,
                "from": limit.start,
                "until": limit.end,
                "due": entry.get("due"),
                "text": _entry_text(entry),
            }

        return {
            "start": self.start.isoformat(),
            "changed": list(self.changed),
            "differs": self.differs,
            "old": side(self.old, self.old_due),
            "new": side(self.new, self.new_due),
        }


def _entry_text(entry: Mapping[str, object]) -> str:
    """The due date as the comparison tables write it, or why there is none."""
    error = entry.get("error")
    return f"—（{error}）" if error is not None else due_text(entry)


def _due_key(entry: Mapping[str, object] | None) -> object:
    if entry is None:
        return None
    return (entry.get("due"), repr(entry.get("extended")), repr(entry.get("provisional")))


# ---------------------------------------------------------------- the part


def part(old: Version, new: Version) -> Part:
    analysis = _Analysis(old, new)
    analysis.run()
    return analysis.result()


class _Analysis:
    def __init__(self, old: Version, new: Version) -> None:
        self.old, self.new = old, new
        self.pairs = _correspond(old.policy, new.policy)
        self.old_to_new = {o.name: w.name for o, w in self.pairs if o and w}
        self.components: list[Component] = []
        self.witnesses: list[Witness] = []
        self.dues: list[DueChange] = []
        self.equal = 0  # components structurally equal

    # ------------------------------------------------------------ running

    def run(self) -> None:
        self._decision()
        for old_rule, new_rule in self.pairs:
            if _kind(old_rule, new_rule) in CHECKED_KINDS and any(
                r.conditions for r in (old_rule, new_rule) if r is not None
            ):
                self._check(old_rule, new_rule)
        for old_limit, new_limit in _limit_pairs(self.old.policy, self.new.policy):
            self._limit(old_limit, new_limit)

    def _decision(self) -> None:
        if not (self.old.policy.makes_decision() or self.new.policy.makes_decision()):
            return
        kinds = {*DECISION_KINDS, Kind.OUTCOME}
        if any(r.excuses for v in (self.old, self.new) for r in v.policy.rules):
            kinds.add(Kind.LIABILITY)  # what relief covers reads the liabilities
        pairs = [(o, w) for o, w in self.pairs if _kind(o, w) in kinds]
        if all(self._same(o, w) for o, w in pairs):
            self.equal += 1
            return
        old_name = self.old.policy.header.decision
        name = self.new.policy.header.decision or old_name or "decision"

        @_guarded
        def compare(facts: Facts) -> tuple[Side, Side] | None:
            sides = (self._decide(self.old, facts), self._decide(self.new, facts))
            return sides if self._key(sides[0], old=True) != self._key(sides[1]) else None

        changed = [(o, w) for o, w in pairs if not self._same(o, w)]
        deciding = [rule for pair in changed for rule in pair if rule is not None]
        if any(r.kind not in DECISION_KINDS for r in deciding):
            # An outcome's grants or a liability changed: they show when relief applies, so
            # every situation of either version is a goal.
            deciding += [r for v in (self.old, self.new) for r in v.policy.of_kind(Kind.SITUATION)]
        goals = [
            (version, goal, accept)
            for rule in deciding
            if rule.kind in DECISION_KINDS
            for version in (self.old, self.new)
            if any(r is rule for r in version.policy.rules)
            for goal, accept in rule_goals(version.program, version.policy, rule) or []
        ]
        self._compare(
            "decision", old_name, name, [r for p in pairs for r in p if r], compare, goals
        )

    def _check(self, old_rule: ir.Rule | None, new_rule: ir.Rule | None) -> None:
        if self._same(old_rule, new_rule):
            self.equal += 1
            return

        def status(version: Version, rule: ir.Rule | None, facts: Facts) -> Side:
            if rule is None:
                return Side(version.policy.id, "absent", ())
            found = self._status(version, rule.name, facts)
            return Side(version.policy.id, found, ((rule.name, rule.clause),))

        @_guarded
        def compare(facts: Facts) -> tuple[Side, Side] | None:
            sides = (status(self.old, old_rule, facts), status(self.new, new_rule, facts))
            return sides if sides[0].result != sides[1].result else None

        goals: list[tuple[Version, n.Expr, Accept]] = []
        for version, rule in ((self.old, old_rule), (self.new, new_rule)):
            if rule is None:
                continue
            for goal in _check_goals(rule):
                goals.append((version, goal, _always))
        rules = [r for r in (old_rule, new_rule) if r is not None]
        self._compare("check", _name(old_rule), _name(new_rule) or "", rules, compare, goals)

    def _limit(self, old_limit: ir.Limit | None, new_limit: ir.Limit | None) -> None:
        changed = _limit_changes(self.old.program, self.new.program, old_limit, new_limit)
        if not changed:
            self.equal += 1
            return
        hours = any(x is not None and x.amount.unit == "hours" for x in (old_limit, new_limit))
        start = START_MOMENT if hours else START
        old_due = self._due(self.old, old_limit, start)
        new_due = self._due(self.new, new_limit, start)
        change = DueChange(old_limit, new_limit, changed, start, old_due, new_due)
        if set(changed) - {"when", "extend"} or change.differs:
            self.dues.append(change)
        witnesses = self._limit_witnesses(old_limit, new_limit, start, old_due, new_due)
        self.witnesses += witnesses
        result = (
            "different"
            if witnesses or change.differs or None in (old_limit, new_limit)
            else "undecided"
        )
        component = Component("limit", _name(old_limit), _name(new_limit), "dates", result)
        self.components.append(component)

    def _limit_witnesses(
        self,
        old_limit: ir.Limit | None,
        new_limit: ir.Limit | None,
        start: date,
        old_due: Mapping[str, object] | None,
        new_due: Mapping[str, object] | None,
    ) -> list[Witness]:
        """A record on which the limit's check differs: started on `start` and ended on the
        later due date (in time for one version, late for the other), with the facts that make
        the limit's condition hold, found by the solver in each version."""
        limits = [x for x in (old_limit, new_limit) if x is not None]
        if any(x.start is None or x.end is None for x in limits):
            return []
        dues = sorted(d for d in (_due_day(old_due), _due_day(new_due)) if d is not None)
        end = dues[-1] if dues else start
        dates: dict[str, n.Value] = {}
        for limit in limits:
            assert limit.start is not None and limit.end is not None
            dates[limit.start], dates[limit.end] = start, end

        def status(version: Version, limit: ir.Limit | None, facts: Facts) -> Side:
            if limit is None:
                return Side(version.policy.id, "absent", ())
            found = self._status(version, limit.name, facts)
            return Side(version.policy.id, found, ((limit.name, limit.clause),))

        @_guarded
        def compare(facts: Facts) -> tuple[Side, Side] | None:
            full = {**facts, **dates}
            sides = (status(self.old, old_limit, full), status(self.new, new_limit, full))
            return sides if sides[0].result != sides[1].result else None

        def settled(facts: Mapping[str, n.Value]) -> bool:
            sides = compare(dict(facts))
            return sides is not None and not _unsettled(sides)

        name = _name(new_limit) or _name(old_limit) or ""

        # A record on which both versions settle the check first (the limit's condition known
        # to hold), else any on which they differ.
        def differs(facts: Mapping[str, n.Value]) -> bool:
            return compare(dict(facts)) is not None

        # The limit's condition holding in one version, then not holding (a condition added
        # or narrowed shows only where it fails).
        goals = [
            (version, goal)
            for version, one in ((self.new, new_limit), (self.old, old_limit))
            if one is not None
            for goal in (
                [one.when, n.Not(one.when, _TRUE.span)] if one.when is not None else [_TRUE]
            )
        ]
        for accept in (settled, differs):
            for version, goal in goals:
                found = solve(version.program, goal, accept)
                if found.facts is None:
                    continue
                full = {**found.facts, **dates}
                witness = self._witness("limit", name, full, compare, "search")
                if witness is not None:
                    return [witness]
        return []

    # ------------------------------------------------------------ comparing

    def _compare(
        self,
        kind: str,
        old_name: str | None,
        new_name: str,
        rules: list[ir.Rule],
        compare: Compare,
        goals: list[tuple[Version, n.Expr, Accept]],
    ) -> None:
        names = sorted(
            {x for version in (self.old, self.new) for r in rules for x in _reads(version, r)}
        )
        if len(names) <= MAX_EXHAUSTIVE_FACTS and all(self._yes_no(x) for x in names):
            cases, found = _enumerate(names, compare, self._judgment)
            witnesses = [
                w
                for facts in found
                if (w := self._witness(kind, new_name, facts, compare, "exhaustive")) is not None
            ]
            self.witnesses += witnesses
            result = "different" if witnesses else "equivalent"
            self.components.append(
                Component(kind, old_name, new_name, "exhaustive", result, cases, tuple(names))
            )
            return
        witnesses = []
        seen: set[str] = set()
        for version, goal, accept in goals:
            # A case on which both versions settle the question first (the clearer witness),
            # else any on which they differ.
            for settled in (True, False):

                def both(f: Mapping[str, n.Value], a: Accept = accept, s: bool = settled) -> bool:
                    if not a(f):
                        return False
                    sides = compare(dict(f))
                    return sides is not None and not (s and _unsettled(sides))

                solution = solve(version.program, goal, both)
                if solution.facts is not None:
                    break
            if solution.facts is None:
                continue
            witness = self._witness(kind, new_name, solution.facts, compare, "search")
            if witness is not None and repr(sorted(witness.facts.items())) not in seen:
                seen.add(repr(sorted(witness.facts.items())))
                witnesses.append(witness)
        self.witnesses += witnesses
        result = "different" if witnesses else "undecided"
        self.components.append(Component(kind, old_name, new_name, "search", result))

    def _witness(
        self,
        kind: str,
        name: str,
        facts: Facts,
        compare: Compare,
        found_by: str,
    ) -> Witness | None:
        """The case as JSON, verified again after a round trip through JSON read by each
        version (what `policyc decide --facts` and a record would give): None if it no longer
        differs or a version cannot read it."""
        as_json = {k: fact_json(self._program_of(k), k, v) for k, v in sorted(facts.items())}
        # Each version reads the facts it knows (a fact new in one version is unknown to the
        # other, which never reads it); where both know a fact, they must read the same value.
        try:
            old_facts, new_facts = (
                coerce_facts(v.program, {k: x for k, x in as_json.items() if v.program.is_input(k)})
                for v in (self.old, self.new)
            )
        except FactError:
            return None
        if any(old_facts[k] != new_facts[k] for k in old_facts.keys() & new_facts.keys()):
            return None
        sides = compare({**old_facts, **new_facts})
        if sides is None:
            return None
        labels = {k: self._program_of(k).input(k).label for k in as_json}
        # A fact one version no longer reads is left out of its record (its validators reject
        # a fact the policy does not have); the interpreter ignores it either way.
        unread = (
            tuple(k for k in as_json if k not in self.old.policy.inputs),
            tuple(k for k in as_json if k not in self.new.policy.inputs),
        )
        shown = {k: self._value_text(k, v) for k, v in as_json.items()}
        return Witness(kind, name, as_json, labels, sides[0], sides[1], found_by, unread, shown)

    def _value_text(self, name: str, value: object) -> str:
        program = self._program_of(name)
        type_ = program.input(name).type
        if type_.name == "enum" and isinstance(value, str):
            member = program.enums[type_.enum or ""].member(value)
            return f"{member.label}（{value}）" if member is not None else value
        if value is True:
            return "是"
        if value is False:
            return "否"
        return str(value)

    # ------------------------------------------------------------ the versions, run

    def _decide(self, version: Version, facts: Mapping[str, Any]) -> Side:
        try:
            decision = decide(version.program, version.policy, facts)
        except (ArithmeticError, ValueError, RecursionError) as error:
            raise _Unrunnable from error
        rules = {r.name: r for r in version.policy.rules}
        decided_by = tuple((s.rule.name, rules[s.rule.name].clause) for s in decision.decisive)
        return Side(version.policy.id, str(decision.outcome), decided_by, decision.grants)

    def _key(self, side: Side, *, old: bool = False) -> Hashable:
        """What must agree: the outcome, the grants, the deciding rules (old ones named as
        their counterparts in the new version; one without a counterpart stays apart)."""
        names = [r for r, _ in side.decided_by]
        if old:
            names = [self.old_to_new.get(x, f"\0{x}") for x in names]
        return (side.result, frozenset(side.grants), frozenset(names))

    def _status(self, version: Version, name: str, facts: Mapping[str, Any]) -> str:
        """The status of one check (a rule's or a limit's) on a record, run alone: the other
        checks of the policy cannot fail it.  Raises _Unrunnable when the record cannot be
        checked (a date past the official calendar, arithmetic that fails)."""
        tables = info(version.program, version.policy)
        alone = replace(
            tables,
            rules=tuple(r for r in tables.rules if r.name == name),
            limits=tuple(x for x in tables.limits if x.name == name),
        )
        try:
            results = check_record(alone, facts, official_calendar())
        except (CalendarNotCovered, FactError, ArithmeticError, ValueError) as error:
            raise _Unrunnable from error
        return next((r.status for r in results if r.rule == name), "skipped")

    def _due(
        self, version: Version, limit: ir.Limit | None, start: date
    ) -> Mapping[str, object] | None:
        """The `policyc due` entry of the limit from `start` (as comparison._due computes it)."""
        if limit is None:
            return None
        try:
            return due_entry(version.program, version.policy, limit, start)
        except InputError as error:  # counted past the calendar's years, or past 9999
            return {"due": None, "error": str(error)}

    def _program_of(self, name: str) -> ir.Program:
        return self.new.program if self.new.program.is_input(name) else self.old.program

    def _judgment(self, name: str) -> bool:
        return name in self._program_of(name).judgments

    def _yes_no(self, name: str) -> bool:
        program = self._program_of(name)
        return name in program.judgments or program.input(name).type.name == "bool"

    def _same(self, old_rule: ir.Rule | None, new_rule: ir.Rule | None) -> bool:
        if old_rule is None or new_rule is None:
            return False
        return _meaning(self.old.program, old_rule, self.old_to_new) == _meaning(
            self.new.program, new_rule, None
        )

    # ------------------------------------------------------------ the result

    def result(self) -> Part:
        witnesses = _chosen(self.witnesses)
        omitted = len(self.witnesses) - len(witnesses)
        differs = any(d.differs for d in self.dues) or any(
            c.result == "different" for c in self.components
        )
        if not self.components:
            verdict, method = "equivalent", "structural"
        elif differs:
            verdict, method = "different", "witness"
        elif all(c.result == "equivalent" for c in self.components):
            verdict, method = "equivalent", "exhaustive"
        else:
            verdict, method = "undecided", "bound"
        data: dict[str, object] = {
            "verdict": verdict,
            "method": method,
            "start": START.isoformat(),
            "bounds": {"exhaustive_facts": MAX_EXHAUSTIVE_FACTS, "witnesses": MAX_WITNESSES},
            "equal_components": self.equal,
            "components": [c.to_json() for c in self.components],
            "witnesses": [_witness_json(w) for w in witnesses],
            "omitted_witnesses": omitted,
            "due_dates": [d.to_json() for d in self.dues],
        }
        view = _View(verdict, method, self.components, witnesses, omitted, self.dues, self)
        return Part(
            id="behaviour",
            title="行为",
            changed=bool(self.components),
            changes_meaning=differs,
            json=_sorted(data),
            markdown=view.markdown,
            text=view.text(),
        )


# Results that leave the question open: a witness where both versions settle it is clearer.
_OPEN = frozenset({"undetermined", "needs_judgment", "skipped"})
_TRUE = n.Literal(True, n.TypeRef("bool"), n.Span("<diff goal>", 0, 0, 0, 0))


def _unsettled(sides: tuple[Side, Side]) -> bool:
    return bool({sides[0].result, sides[1].result} & _OPEN)


class _Unrunnable(PolicycError):
    """A case a version cannot be run on (see `_Analysis._status`): it is no witness.  Caught
    inside this module (`_guarded`), never raised to a caller."""


Compare = Callable[[Facts], tuple[Side, Side] | None]


def _guarded(compare: Compare) -> Compare:
    """`compare`, with a case that cannot be run on both versions telling nothing apart."""

    def guarded(facts: Facts) -> tuple[Side, Side] | None:
        try:
            return compare(facts)
        except _Unrunnable:
            return None

    return guarded


def _always(facts: Mapping[str, n.Value]) -> bool:
    return True


def _kind(old: ir.Rule | None, new: ir.Rule | None) -> Kind:
    some = old or new
    assert some is not None
    return some.kind


def _name(x: ir.Rule | ir.Limit | None) -> str | None:
    return None if x is None else x.name


def _due_day(entry: Mapping[str, object] | None) -> date | None:
    """The due date (or moment, for hours) of a `policyc due` entry."""
    due = None if entry is None else entry.get("due")
    if not isinstance(due, str):
        return None
    return datetime.fromisoformat(due) if "T" in due else date.fromisoformat(due)


def _reads(version: Version, rule: ir.Rule) -> tuple[str, ...]:
    """The facts whose values can change the rule's result in the version it belongs to."""
    if not any(r is rule for r in version.policy.rules):
        return ()
    return version.program.inputs_of(*rule.conditions)


def _check_goals(rule: ir.Rule) -> list[n.Expr]:
    """Cases where a check comes out each way: the rule applies and its requirement is met,
    and then not met (a liability: its condition holds, then not)."""
    span = _TRUE.span
    when = rule.when if rule.when is not None else _TRUE
    if rule.require is None:
        return [when, n.Not(when, span)]
    return [
        n.BoolOp("and", (when, rule.require), span),
        n.BoolOp("and", (when, n.Not(rule.require, span)), span),
    ]


def _enumerate(
    names: list[str],
    compare: Compare,
    judgment: Callable[[str], bool],
) -> tuple[int, list[Facts]]:
    """Every case of the yes/no facts (true, false, not given): the count, and per kind of
    difference (the two results: outcomes or statuses) the case with the fewest facts, made
    minimal, keeping that difference.  Fewer judgments first: a case a person need not judge is
    the clearer one."""

    def cost(facts: Facts) -> tuple[int, int]:
        return (sum(judgment(x) for x in facts), len(facts))

    best: dict[tuple[str, str], Facts] = {}
    count = 0
    for values in itertools.product((None, True, False), repeat=len(names)):
        count += 1
        facts: Facts = {k: v for k, v in zip(names, values, strict=True) if v is not None}
        sides = compare(facts)
        if sides is None:
            continue
        key = (sides[0].result, sides[1].result)
        if key not in best or cost(facts) < cost(best[key]):
            best[key] = facts
    found = []
    for key in sorted(best, key=repr):

        def same_difference(f: Mapping[str, n.Value], k: tuple[str, str] = key) -> bool:
            sides = compare(dict(f))
            return sides is not None and (sides[0].result, sides[1].result) == k

        found.append(minimize(best[key], same_difference))
    return count, found


def _chosen(witnesses: list[Witness]) -> list[Witness]:
    """The witnesses to show: settled outcomes before open ones, fewer facts first, each case
    once, at most MAX_WITNESSES."""

    def order(w: Witness) -> tuple[object, ...]:
        unsettled = (w.old.result in _OPEN) + (w.new.result in _OPEN)
        grounds_only = w.old.result == w.new.result  # the same outcome on other clauses
        relief = "applies" not in (w.old.result, w.new.result)  # relief won or lost first
        facts = repr(sorted(w.facts.items()))
        return (unsettled, grounds_only, relief, len(w.facts), w.component, w.name, facts)

    unique: dict[str, Witness] = {}
    for witness in sorted(witnesses, key=order):
        unique.setdefault(
            f"{witness.component}\0{witness.name}\0{sorted(witness.facts.items())}", witness
        )
    return list(unique.values())[:MAX_WITNESSES]


def _witness_json(w: Witness) -> dict[str, object]:
    return {
        "component": w.component,
        "name": w.name,
        "found_by": w.found_by,
        "facts": dict(w.facts),
        "labels": dict(w.labels),
        "old": {**w.old.to_json(), "unread": list(w.unread[0])},
        "new": {**w.new.to_json(), "unread": list(w.unread[1])},
    }


def _sorted(value: object) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [_sorted(v) for v in value]
    return value


# ---------------------------------------------------------------- correspondence and meaning


def _correspond(old: ir.Policy, new: ir.Policy) -> list[tuple[ir.Rule | None, ir.Rule | None]]:
    """Pairs of rules, old and new (None: no counterpart), in the new version's order then the
    removed ones: by name and kind; then, among the rest, by identical meaning (a rename); then
    by clause, where one rule of a kind cites it on each side (a rename with a change)."""
    pairs: dict[str, tuple[ir.Rule | None, ir.Rule | None]] = {}
    left = [r for r in old.rules]
    right = [r for r in new.rules]
    by_name = {r.name: r for r in left}
    for rule in list(right):
        match = by_name.get(rule.name)
        if match is not None and match.kind is rule.kind:
            pairs[rule.name] = (match, rule)
            left.remove(match)
            right.remove(rule)

    def unique(key: Callable[[ir.Rule], object]) -> None:
        keys_left = [key(r) for r in left]
        keys_right = [key(r) for r in right]
        for rule, k in list(zip(right, keys_right, strict=True)):
            if keys_left.count(k) == 1 and keys_right.count(k) == 1:
                match = left[keys_left.index(k)]
                pairs[rule.name] = (match, rule)
                index = keys_left.index(k)
                del left[index], keys_left[index]
                right.remove(rule)

    unique(lambda r: (r.kind, _meaning(None, r, None, names=False)))
    unique(lambda r: (r.kind, r.clause.citation))
    for rule in right:
        pairs[rule.name] = (None, rule)
    order = {r.name: i for i, r in enumerate(new.rules)}
    ordered = sorted(pairs.values(), key=lambda p: order[p[1].name] if p[1] else 0)
    return ordered + [(r, None) for r in left]


def _meaning(
    program: ir.Program | None,
    rule: ir.Rule,
    rename: Mapping[str, str] | None,
    *,
    names: bool = True,
) -> Hashable:
    """What a rule means for decisions and checks, without positions, names or text; the
    rules it names (precedence, excuses) through `rename` (old name -> new name).  Without a
    program, definitions are compared by name (a first, cheap pairing)."""

    def renamed(xs: Iterable[str]) -> frozenset[str]:
        if not names:
            return frozenset({str(len(list(xs)))})
        return frozenset(rename.get(x, f"\0{x}") if rename is not None else x for x in xs)

    return (
        rule.kind,
        _canon(program, rule.when),
        _canon(program, rule.require),
        rule.overrides_all,
        renamed(rule.overrides),
        renamed(rule.excuses),
        frozenset(rule.grants),
    )


def _canon(program: ir.Program | None, expr: n.Expr | None, depth: int = 0) -> Hashable:
    """An expression without positions: definitions expanded (a renamed formula is the same
    formula), facts with their types (a fact that changed type is not the same fact)."""
    if expr is None:
        return None
    if depth > MAX_DEPTH:
        return ("deep",)

    def c(e: n.Expr) -> Hashable:
        return _canon(program, e, depth + 1)

    match expr:
        case n.Literal():
            return ("lit", str(expr.type), type(expr.value).__name__, expr.value)
        case n.Name():
            if program is not None:
                define = program.defines.get(expr.name)
                if define is not None:
                    return ("define", c(define.expr))
                if program.is_input(expr.name):
                    found = program.input(expr.name)
                    members = program.members(found.type.enum or "")
                    return ("input", expr.name, str(found.type), members, found.judgment)
            return ("name", expr.name)
        case n.Not():
            return ("not", c(expr.operand))
        case n.BoolOp():
            return ("bool", expr.op, tuple(c(o) for o in expr.operands))
        case n.Compare():
            return ("compare", expr.op, c(expr.left), c(expr.right))
        case n.InSet():
            return ("in", c(expr.operand), frozenset(expr.members))
        case n.Arith():
            return ("arith", expr.op, c(expr.left), c(expr.right))
        case n.Call():
            return ("call", expr.function, tuple(c(a) for a in expr.args))
        case n.Conditional():
            return ("if", c(expr.condition), c(expr.then), c(expr.otherwise))
        case _:
            assert_never(expr)


def _limit_pairs(old: ir.Policy, new: ir.Policy) -> list[tuple[ir.Limit | None, ir.Limit | None]]:
    """Limits matched by name, then by clause (one limit citing it on each side)."""
    left = list(old.limits)
    pairs: list[tuple[ir.Limit | None, ir.Limit | None]] = []
    unmatched: list[ir.Limit] = []
    for limit in new.limits:
        match = next((x for x in left if x.name == limit.name), None)
        if match is None:
            unmatched.append(limit)
            continue
        left.remove(match)
        pairs.append((match, limit))
    for limit in unmatched:
        same = [x for x in left if x.clause.citation == limit.clause.citation]
        others = [x for x in unmatched if x.clause.citation == limit.clause.citation]
        if len(same) == 1 and len(others) == 1:
            left.remove(same[0])
            pairs.append((same[0], limit))
        else:
            pairs.append((None, limit))
    order = {x.name: i for i, x in enumerate(new.limits)}
    pairs.sort(key=lambda p: order[p[1].name] if p[1] else 0)
    return pairs + [(x, None) for x in left]


def _limit_changes(
    old_program: ir.Program,
    new_program: ir.Program,
    old: ir.Limit | None,
    new: ir.Limit | None,
) -> tuple[str, ...]:
    if old is None:
        return ("added",)
    if new is None:
        return ("removed",)

    def extend(program: ir.Program, limit: ir.Limit) -> Hashable:
        x = limit.extend
        return None if x is None else (x.amount, _canon(program, x.when))

    changed = [
        field
        for field, a, b in (
            ("amount", old.amount, new.amount),
            ("start", old.start, new.start),
            ("end", old.end, new.end),
            (
                "excluding",
                (old.excluding, old.excluded_from, old.excluded_until),
                (new.excluding, new.excluded_from, new.excluded_until),
            ),
            ("when", _canon(old_program, old.when), _canon(new_program, new.when)),
            ("extend", extend(old_program, old), extend(new_program, new)),
            ("no_rollover", old.no_rollover is None, new.no_rollover is None),
        )
        if a != b
    ]
    return tuple(changed)


# ---------------------------------------------------------------- rendering


@dataclass(frozen=True)
class _View:
    verdict: str
    method: str
    components: list[Component]
    witnesses: list[Witness]
    omitted: int
    dues: list[DueChange]
    analysis: _Analysis

    def summary(self) -> str:
        if self.verdict == "equivalent" and self.method == "structural":
            return (
                "含义未变（已检查：规则一一对应，条件、优先关系与时限相同；仅名称、顺序或文字不同）"
            )
        if self.verdict == "equivalent":
            cases = sum(c.cases or 0 for c in self.components)
            return f"含义未变（已检查：对所读事实的全部 {cases} 种情形逐一运行两个版本，结果相同）"
        if self.verdict == "different":
            return "含义有变化（见下列经两个版本运行验证的情形与截止日）"
        return (
            "未能在限度内判定：规则结构不同，但在搜索限度内未找到结果不同的情形，"
            "也无法穷举（不能断言含义未变）"
        )

    def _component_line(self, c: Component) -> str:
        what = {"decision": "决定", "check": "检查", "limit": "时限"}[c.kind]
        names = c.old if c.old == c.new else f"{c.old or '—'} → {c.new or '—'}"
        how = {
            "exhaustive": f"穷举 {c.cases} 种情形（{len(c.facts)} 项是非事实）",
            "search": "按规则搜索",
            "dates": "按截止日与适用条件",
        }[c.method]
        return f"{what} {names}：{VERDICT_LABELS[c.result]}（{how}）"

    def text(self) -> tuple[str, ...]:
        lines = [f"结论：{self.summary()}"]
        for c in self.components:
            lines.append(f"  {self._component_line(c)}")
        for i, w in enumerate(self.witnesses, 1):
            lines.append(f"情形 {i}（{_component_title(w)}）：")
            for name, value in w.facts.items():
                shown = f"{w.labels[name]}（{name}）= {_shown(w, name, value)}{_unread(w, name)}"
                lines.append(f"    {shown}")
            for title, side in (("修改前", w.old), ("修改后", w.new)):
                lines.append(f"  {title}：{_side_text(w, side)}")
        if self.omitted:
            lines.append(f"另有 {self.omitted} 个情形未列出（见 --json）")
        for d in self.dues:
            lines.append(f"时限 {_due_name(d)}（自 {d.start.isoformat()} 起算）：")
            old, new = self.analysis.old.program, self.analysis.new.program
            lines.append(f"  修改前：{_due_side(d.old, d.old_due, old)}")
            lines.append(f"  修改后：{_due_side(d.new, d.new_due, new)}")
        return tuple(lines)

    def markdown(self, cite: Cite) -> tuple[str, ...]:
        lines = [f"**结论**：{md(self.summary())}", ""]
        for c in self.components:
            lines.append(f"- {md(self._component_line(c))}")
        if self.components:
            lines.append("")
        old_id, new_id = self.analysis.old.policy.id, self.analysis.new.policy.id
        for i, w in enumerate(self.witnesses, 1):
            lines.append(f"**情形 {i}**（{md(_component_title(w))}）：")
            lines.append("")
            for name, value in w.facts.items():
                shown = f"{w.labels[name]}（{name}）= {_shown(w, name, value)}{_unread(w, name)}"
                lines.append(f"- {md(shown)}")
            lines.append("")
            for title, side, pid in (("修改前", w.old, old_id), ("修改后", w.new, new_id)):
                rules = "、".join(f"{md(r)}（{cite(pid, c.clause)}）" for r, c in side.decided_by)
                result = md(_result_label(w, side))
                lines.append(f"- {title}：{result}" + (f"，依据 {rules}" if rules else ""))
            lines.append("")
        if self.omitted:
            lines += [f"另有 {self.omitted} 个情形未列出（见 JSON）。", ""]
        if self.dues:
            lines += [
                f"时限的截止日（自 {START.isoformat()} 起算，按官方工作日历，起算日不计入"
                + (
                    f"；按小时计的自 {START_MOMENT.isoformat()} 起算"
                    if any(d.start == START_MOMENT for d in self.dues)
                    else ""
                )
                + "）：",
                "",
                "| 时限 | 变化 | 修改前 | 修改后 |",
                "| --- | --- | --- | --- |",
            ]
            for d in self.dues:
                changed = "、".join(_CHANGED_LABELS[x] for x in d.changed)
                cells = []
                for limit, entry, version in (
                    (d.old, d.old_due, self.analysis.old),
                    (d.new, d.new_due, self.analysis.new),
                ):
                    cell = md(_due_side(limit, entry, version.program))
                    pid = version.policy.id
                    if limit is not None:
                        cell += f"（{cite(pid, limit.clause.clause)}）"
                    cells.append(cell)
                lines.append(f"| {md(_due_name(d))} | {md(changed)} | {cells[0]} | {cells[1]} |")
            lines.append("")
        while lines and not lines[-1]:
            lines.pop()
        return tuple(lines)


def _component_title(w: Witness) -> str:
    return {"decision": "决定", "check": "检查", "limit": "时限"}[w.component] + f" {w.name}"


def _result_label(w: Witness, side: Side) -> str:
    labels = OUTCOME_LABELS if w.component == "decision" else STATUS_LABELS
    return labels.get(side.result, side.result)


def _side_text(w: Witness, side: Side) -> str:
    result = _result_label(w, side)
    rules = "、".join(f"{r}（{c.citation}）" for r, c in side.decided_by)
    return result + (f"，依据 {rules}" if rules else "")


def _unread(w: Witness, name: str) -> str:
    """Marks a fact one version does not read (left out of that version's record)."""
    if name in w.unread[0]:
        return "〔修改前的版本不读此事实〕"
    if name in w.unread[1]:
        return "〔修改后的版本不读此事实〕"
    return ""


def _shown(w: Witness, name: str, value: object) -> str:
    return w.shown[name] if w.shown is not None else str(value)


def _due_name(d: DueChange) -> str:
    limit = d.new or d.old
    assert limit is not None
    return f"{limit.name}（{limit.label}）"


def _due_side(
    limit: ir.Limit | None, entry: Mapping[str, object] | None, program: ir.Program
) -> str:
    if limit is None or entry is None:
        return "（无此时限）"
    unit = UNIT_LABELS.get(limit.amount.unit, limit.amount.unit)
    period = periods(program).get(limit.excluding or "", limit.excluding)
    excluded = f"，不含{period}（截止日另加其工作日）" if period else ""
    return f"{limit.amount.amount} {unit}{excluded}：{_entry_text(entry)}"


__all__ = ["MAX_EXHAUSTIVE_FACTS", "START", "Component", "Side", "Witness", "part"]
