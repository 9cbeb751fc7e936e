"""A lowered policy as the runtime's tables (compiler/runtime/policy.py).

The runtime decides, checks records and computes due dates from a `PolicyInfo` whose
conditions are functions of the facts.  `policy_info` builds one from the IR with a
`ConditionFactory`: the reference interpreter's (`compiler.interpret.interpreted`) for policyc
itself; the code generator (compiler/backends/python.py) writes the same tables as Python source
with compiled conditions, from the same IR, and the agreement tests compare the two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from compiler import ir
from compiler import nodes as n
from compiler.runtime.kinds import Kind
from compiler.runtime.policy import Condition, Limit, PolicyInfo, Rule

ConditionFactory = Callable[[n.Expr], Condition]


def overrides(rule: ir.Rule) -> tuple[str, ...] | None:
    """An exclusion's targets as the runtime reads them: None for all situations."""
    return None if rule.overrides_all else rule.overrides


def rule_table(rule: ir.Rule, make: ConditionFactory) -> Rule:
    return Rule(
        rule.name,
        rule.kind,
        rule.clause.citation,
        rule.clause.quote,
        make(rule.when) if rule.when is not None else None,
        make(rule.require) if rule.require is not None else None,
        overrides(rule) if rule.kind is Kind.EXCLUSION else None,
        rule.actors,
        rule.reads,
        rule.grants,  # only outcomes have any
        rule.excuses,  # only situations have any
    )


def limit_table(limit: ir.Limit, make: ConditionFactory) -> Limit:
    extend = limit.extend
    return Limit(
        limit.name,
        limit.rule,
        limit.clause.citation,
        limit.clause.quote,
        limit.label,
        limit.amount.amount,
        limit.amount.unit,
        limit.start,
        limit.end,
        limit.excluding,
        limit.excluded_from,
        limit.excluded_until,
        make(limit.when) if limit.when is not None else None,
        extend.amount.amount if extend else None,
        extend.amount.unit if extend else None,
        make(extend.when) if extend else None,
        limit.reads,
        no_rollover=limit.no_rollover,
    )


def periods(program: ir.Program) -> dict[str, str]:
    """The periods a limit may exclude (不含公示期), with their labels."""
    found = program.enums.get("period")
    return {m.name: m.label for m in found.members} if found else {}


def limits_info(program: ir.Program, policy: ir.Policy, make: ConditionFactory) -> PolicyInfo:
    """`policy_info` without the rules and the facts: the time limits and the periods they
    may exclude, all that counting a due date reads (`Limit.reckon`, `runtime.cli.due_json`)."""
    return PolicyInfo(
        policy.id,
        policy.title,
        policy.header.decision_label,
        dict(policy.version),
        {},
        (),
        tuple(limit_table(limit, make) for limit in policy.limits),
        periods(program),
    )


def policy_info(program: ir.Program, policy: ir.Policy, make: ConditionFactory) -> PolicyInfo:
    """The runtime's tables of a policy: `limits_info` with its facts and rules."""
    return replace(
        limits_info(program, policy, make),
        facts={name: program.input(name).spec() for name in policy.inputs},
        rules=tuple(rule_table(r, make) for r in policy.rules),
    )
