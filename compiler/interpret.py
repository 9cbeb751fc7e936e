"""The reference interpreter: what a policy means, decided directly on the checked model.

Facts that are not given are *unknown*, never false.  Evaluation follows Kleene's three-valued
logic, and an unknown result remembers which facts it still depends on after simplification
(`a and b` with `a` false needs nothing more), so that an undetermined decision can list
exactly the facts still needed.  The generated validators must agree with this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from compiler import nodes as n
from compiler.model import Model, Policy
from compiler.runtime import logic
from compiler.runtime.timelimits import WorkdayCalendar, due_date
from compiler.runtime.values import FactError, FactSpec, Known, Unknown, Value, coerce

__all__ = ["FactError", "Unknown", "coerce_fact", "coerce_facts", "decide", "due", "explain"]


Result = Value


def coerce_fact(model: Model, name: str, raw: Any) -> Known:
    """A JSON value -> the fact's typed value, or FactError saying what was expected."""
    if name not in model.facts and name not in model.judgments:
        raise FactError(f"unknown fact '{name}'")
    return coerce(fact_spec(model, name), raw)


def coerce_facts(model: Model, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed facts; JSON null means 'not known', the same as leaving the fact out."""
    return {
        name: coerce_fact(model, name, value) for name, value in raw.items() if value is not None
    }


def fact_spec(model: Model, name: str) -> FactSpec:
    """A fact or judgment of the model as the runtime describes it."""
    if name in model.judgments:
        judgment = model.judgments[name]
        return FactSpec(name, "bool", judgment.label, judgment=True, refers=judgment.refers)
    fact = model.facts[name]
    members = tuple(model.members(fact.type.enum or "")) if fact.type.name == "enum" else ()
    return FactSpec(name, fact.type.name, fact.label, members)


def literal_facts(bindings: Iterable[n.Binding]) -> dict[str, Any]:
    """A policy test's `given` -> typed facts."""
    return {
        b.name: b.value.name if isinstance(b.value, n.Name) else b.value.value for b in bindings
    }


# ---------------------------------------------------------------- evaluation


class Evaluator:
    def __init__(self, model: Model, facts: Mapping[str, Any]) -> None:
        self.model = model
        self.facts = facts

    def eval(self, expr: n.Expr) -> Result:
        # The operations themselves are the runtime's (compiler/runtime/logic.py), shared with
        # the generated code; this walk over the AST is the interpreter's own.
        match expr:
            case n.Literal():
                return expr.value
            case n.Name():
                return self._name(expr.name)
            case n.Not():
                return logic.not_(self.eval(expr.operand))
            case n.BoolOp():
                thunks = [self.thunk(o) for o in expr.operands]
                return logic.and_(*thunks) if expr.op == "and" else logic.or_(*thunks)
            case n.InSet():
                return logic.in_set(self.eval(expr.operand), expr.members)
            case n.Compare():
                return logic.compare(expr.op, self.eval(expr.left), self.eval(expr.right))
            case n.Arith():
                return logic.arith(expr.op, self.eval(expr.left), self.eval(expr.right))
            case n.Call():
                return logic.call(expr.function, *(self.eval(a) for a in expr.args))
            case n.Conditional():
                return logic.conditional(
                    self.eval(expr.condition), self.thunk(expr.then), self.thunk(expr.otherwise)
                )
        raise TypeError(f"not an expression: {expr!r}")

    def thunk(self, expr: n.Expr) -> logic.Thunk:
        return lambda: self.eval(expr)

    def _name(self, name: str) -> Result:
        if name in self.facts:
            value: Result = self.facts[name]
            return value
        if name in self.model.defines:
            return self.eval(self.model.defines[name].expr)
        if name in self.model.facts or name in self.model.judgments:
            return Unknown(frozenset({name}))
        return name  # an enum member


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True)
class RuleStatus:
    rule: n.Statement
    value: bool | None  # None: unknown
    needs: frozenset[str] = frozenset()
    overridden_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    policy: str
    outcome: str  # applies | excluded | not_covered | undetermined | needs_judgment
    decisive: tuple[RuleStatus, ...]  # the rules that decided the outcome
    rules: tuple[RuleStatus, ...]  # every gate, situation and exclusion, in document order
    missing: tuple[str, ...]  # ordinary facts still needed
    judgments: tuple[str, ...]  # judgments still open
    grants: tuple[str, ...] = field(default=())

    def cited(self) -> tuple[str, ...]:
        return tuple(s.rule.citation.text for s in self.decisive)


def _status(evaluator: Evaluator, rule: n.Statement) -> RuleStatus:
    when = rule.first(n.When)
    value = evaluator.eval(when.condition) if when else True
    if isinstance(value, Unknown):
        return RuleStatus(rule, None, value.needs)
    return RuleStatus(rule, bool(value))


def decide(model: Model, policy: Policy, facts: Mapping[str, Any]) -> Decision:
    """The relief decision of `policy` for typed `facts` (see docs/language.md, Meaning)."""
    evaluator = Evaluator(model, facts)
    gates = [_status(evaluator, r) for r in policy.of_kind("gate")]
    situations = [_status(evaluator, r) for r in policy.of_kind("situation")]
    exclusions = [_status(evaluator, r) for r in policy.of_kind("exclusion")]

    held_exclusions = [e for e in exclusions if e.value is True]
    situations = [
        RuleStatus(s.rule, s.value, s.needs, _overriders(s.rule, held_exclusions))
        if s.value is True
        else s
        for s in situations
    ]
    rules = tuple(sorted([*gates, *situations, *exclusions], key=lambda s: s.rule.span.line))
    grants = tuple(g for o in policy.of_kind("outcome") for i in o.all(n.Grants) for g in i.names)

    def result(outcome: str, decisive: Iterable[RuleStatus], needs: Iterable[str] = ()) -> Decision:
        needed = set(needs)
        judgments = tuple(sorted(x for x in needed if x in model.judgments))
        missing = tuple(sorted(x for x in needed if x not in model.judgments))
        return Decision(
            policy.id,
            outcome,
            tuple(decisive),
            rules,
            missing,
            judgments,
            grants if outcome == "applies" else (),
        )

    # An exclusion defeats the situations it overrides (all of them, or those it names).
    live = [s for s in situations if not any(_defeats(e.rule, s.rule) for e in held_exclusions)]
    if held_exclusions and (
        any(_overrides(e.rule) is None for e in held_exclusions)
        or all(s.value is False for s in live)
    ):
        return result("excluded", held_exclusions)
    failed_gates = [g for g in gates if g.value is False]
    if failed_gates:
        return result("not_covered", failed_gates)
    if all(s.value is False for s in live):  # no situation at all: none can hold
        return result("not_covered", ())
    held = [s for s in live if s.value is True]
    open_gates = [g for g in gates if g.value is None]
    possible = [s for s in live if s.value is not False]
    open_exclusions = [
        e for e in exclusions if e.value is None and any(_defeats(e.rule, s.rule) for s in possible)
    ]
    # Relief is certain once a situation holds that no open exclusion could defeat.
    secure = [s for s in held if not any(_defeats(e.rule, s.rule) for e in open_exclusions)]
    if secure and not open_gates:
        return result("applies", secure)
    needs: set[str] = set()
    for status in [*open_gates, *open_exclusions]:
        needs |= status.needs
    # The other situations matter unless a held one can only fall to an exclusion of all.
    threats = [e for e in open_exclusions if any(_defeats(e.rule, s.rule) for s in held)]
    if not held or any(_overrides(e.rule) is not None for e in threats):
        for status in possible:
            needs |= status.needs
    outcome = "needs_judgment" if needs <= set(model.judgments) else "undetermined"
    return result(outcome, held, needs)


def _overrides(exclusion: n.Statement) -> tuple[str, ...] | None:
    """The situations an exclusion overrides: None for all of them."""
    item = exclusion.first(n.Overrides)
    return None if item is None or item.all else item.names


def _defeats(exclusion: n.Statement, situation: n.Statement) -> bool:
    names = _overrides(exclusion)
    return names is None or situation.name in names


def _overriders(rule: n.Statement, exclusions: list[RuleStatus]) -> tuple[str, ...]:
    return tuple(e.rule.name for e in exclusions if _defeats(e.rule, rule))


# ---------------------------------------------------------------- time limits


def due(
    policy: Policy,
    limit: str,
    start: date,
    calendar: WorkdayCalendar,
    *,
    extended: bool = False,
    excluded: tuple[date, date] | None = None,
) -> date:
    """The due date of a named time limit counted from `start` (the start day not counted).

    `excluded` is a period not counted (both ends included), for a limit written with
    `excluding public_notice` (不含公示期)."""
    _statement, within, extend = policy.limits()[limit]
    duration = extend.limit if extended and extend is not None else within.limit
    periods = (excluded,) if excluded is not None and within.excluding is not None else ()
    result = due_date(start, duration.amount, duration.unit, calendar, excluded=periods)
    assert isinstance(result, date)
    return result


def rule_value(model: Model, rule: n.Statement, facts: Mapping[str, Any]) -> Result:
    """Whether a rule's condition holds: `when` for most kinds; for a requirement or duty,
    `when` implies `require` (a requirement that does not apply is met)."""
    evaluator = Evaluator(model, facts)
    when, require = rule.first(n.When), rule.first(n.Require)
    applies = evaluator.thunk(when.condition) if when is not None else (lambda: True)
    if require is None:
        return applies()
    # "when implies require" is Kleene's `not when or require`.
    return logic.or_(lambda: logic.not_(applies()), evaluator.thunk(require.condition))


# ---------------------------------------------------------------- explanation


def explain(model: Model, decision: Decision) -> dict[str, Any]:
    """A decision as stable JSON: outcome, deciding rules with clause and quote, what is missing."""

    def rule_json(status: RuleStatus) -> dict[str, Any]:
        rule = status.rule
        return {
            "rule": rule.name,
            "kind": rule.kind,
            "clause": rule.citation.text,
            "quote": " … ".join(q.text for q in rule.quotes),
            "holds": status.value,
            "needs": sorted(status.needs),
            "overridden_by": list(status.overridden_by),
        }

    return {
        "policy": decision.policy,
        "outcome": decision.outcome,
        "grants": list(decision.grants),
        "decided_by": [rule_json(s) for s in decision.decisive],
        "missing": list(decision.missing),
        "judgments": [
            {"judgment": j, "label": model.judgments[j].label, "refers": model.judgments[j].refers}
            for j in decision.judgments
        ],
        "rules": [rule_json(s) for s in decision.rules],
    }
