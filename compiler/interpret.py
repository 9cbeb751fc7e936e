"""The reference interpreter: conditions evaluated directly on the lowered model.

Facts that are not given are *unknown*, never false.  Evaluation follows Kleene's three-valued
logic, and an unknown result remembers which facts it still depends on after simplification
(`a and b` with `a` false needs nothing more), so that an undetermined decision can list
exactly the facts still needed.

The interpreter owns one thing: walking expressions.  The decision, the due dates and the
record checks are the runtime's one algorithm each (compiler/runtime/), fed here with
interpreted conditions (`interpreted`) and in the generated validators with compiled ones;
the agreement tests compare the two ways of evaluating conditions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any, assert_never

from compiler import ir
from compiler import nodes as n
from compiler.runtime import decision as runtime_decision
from compiler.runtime import logic
from compiler.runtime.decision import Decision
from compiler.runtime.policy import Condition, Facts, PolicyInfo
from compiler.runtime.timelimits import WorkdayCalendar
from compiler.runtime.values import FactError, Known, Unknown, Value, coerce
from compiler.tables import ConditionFactory, limits_info, policy_info

__all__ = [
    "Decision",
    "Evaluator",
    "FactError",
    "Unknown",
    "coerce_fact",
    "coerce_facts",
    "decide",
    "due",
    "explain",
    "info",
    "interpreted",
    "rule_value",
]

Result = Value


def coerce_fact(program: ir.Program, name: str, raw: Any) -> Known:
    """A JSON value -> the fact's typed value, or FactError saying what was expected."""
    if not program.is_input(name):
        raise FactError(f"unknown fact '{name}'")
    return coerce(program.input(name).spec(), raw)


def coerce_facts(program: ir.Program, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed facts; JSON null means 'not known', the same as leaving the fact out."""
    return {
        name: coerce_fact(program, name, value) for name, value in raw.items() if value is not None
    }


def literal_facts(bindings: Iterable[n.Binding]) -> dict[str, Any]:
    """A policy test's `given` -> typed facts."""
    return {
        b.name: b.value.name if isinstance(b.value, n.Name) else b.value.value for b in bindings
    }


# ---------------------------------------------------------------- evaluation


class Evaluator:
    def __init__(self, program: ir.Program, facts: Mapping[str, Any]) -> None:
        self.program = program
        self.facts = facts

    def eval(self, expr: n.Expr) -> Result:
        # The operations themselves are the runtime's (compiler/runtime/logic.py), shared with
        # the generated code; this walk over the expression is the interpreter's own.
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
            case _:
                assert_never(expr)

    def thunk(self, expr: n.Expr) -> logic.Thunk:
        return lambda: self.eval(expr)

    def _name(self, name: str) -> Result:
        if name in self.facts:
            value: Result = self.facts[name]
            return value
        define = self.program.defines.get(name)
        if define is not None:
            return self.eval(define.expr)
        if self.program.is_input(name):
            return Unknown(frozenset({name}))
        return name  # an enum member


def interpreted(program: ir.Program) -> ConditionFactory:
    """Conditions evaluated by the reference interpreter."""

    def make(expr: n.Expr) -> Condition:
        def condition(facts: Facts) -> Value:
            return Evaluator(program, facts).eval(expr)

        return condition

    return make


@lru_cache(maxsize=64)  # bounded: a long test run or a server loads many programs
def info(program: ir.Program, policy: ir.Policy) -> PolicyInfo:
    """The runtime's tables of a policy, with interpreted conditions (built once per policy:
    programs and policies compare by identity)."""
    return policy_info(program, policy, interpreted(program))


@lru_cache(maxsize=64)
def limit_tables(program: ir.Program, policy: ir.Policy) -> PolicyInfo:
    """`info` of a policy's time limits alone (no rules, no facts): what a due date needs.  A
    province's site counts the due dates of 3,000 policies three times over (the time limits
    table, the conflict report, the time-limit pages), and the rules' tables were most of
    what `info` made for them: 7 s at 3,000 jurisdictions."""
    return limits_info(program, policy, interpreted(program))


# ---------------------------------------------------------------- the runtime, interpreted


def decide(program: ir.Program, policy: ir.Policy, facts: Mapping[str, Any]) -> Decision:
    """The relief decision of `policy` for typed `facts` (see docs/language.md, Meaning)."""
    return runtime_decision.decide(info(program, policy), facts)


def explain(program: ir.Program, decision: Decision) -> dict[str, Any]:
    """A decision as stable JSON: outcome, deciding rules with clause and quote, what is missing."""
    return runtime_decision.explain(info(program, program.policies[decision.policy]), decision)


def due(
    program: ir.Program,
    policy: ir.Policy,
    limit: str,
    start: date,
    calendar: WorkdayCalendar,
    *,
    extended: bool = False,
    excluded: tuple[date, date] | None = None,
) -> date:
    """The due date of a named time limit counted from `start` (the start day not counted)."""
    result = (
        limit_tables(program, policy)
        .limit(limit)
        .due(start, calendar, extended=extended, excluded=excluded)
    )
    assert isinstance(result, date)
    return result


def rule_value(program: ir.Program, rule: ir.Rule, facts: Mapping[str, Any]) -> Result:
    """Whether a rule's condition holds: `when` for most kinds; for a requirement or duty,
    `when` implies `require` (a requirement that does not apply is met)."""
    evaluator = Evaluator(program, facts)
    applies = evaluator.thunk(rule.when) if rule.when is not None else (lambda: True)
    if rule.require is None:
        return applies()
    # "when implies require" is Kleene's `not when or require`.
    return logic.or_(lambda: logic.not_(applies()), evaluator.thunk(rule.require))
