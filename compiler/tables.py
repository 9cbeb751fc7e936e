"""A checked policy as the runtime's tables (compiler/runtime/policy.py), with conditions
evaluated by the reference interpreter.

This is how policyc itself validates records and computes due dates with the same engine as
the generated validators; the code generator (compiler/backends/python.py) writes the same
tables with conditions compiled to Python.  Both read the policy through the functions here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from compiler import nodes as n
from compiler.interpret import Evaluator, fact_spec
from compiler.model import Model, Policy
from compiler.runtime.policy import Condition, Facts, Limit, PolicyInfo, Rule
from compiler.runtime.values import FactSpec, Value

LIMIT_KINDS = ("deadline", "procedure", "duty", "requirement")


def quote_of(statement: n.Statement) -> str:
    return " … ".join(q.text for q in statement.quotes)


def facts_read(model: Model, exprs: list[n.Expr]) -> tuple[str, ...]:
    """The facts and judgments the expressions read, through definitions, sorted."""
    found: set[str] = set()
    pending = list(exprs)
    seen_defines: set[str] = set()
    while pending:
        for name in n.names_in(pending.pop()):
            if name in model.defines and name not in seen_defines:
                seen_defines.add(name)
                pending.append(model.defines[name].expr)
            elif name in model.facts or name in model.judgments:
                found.add(name)
    return tuple(sorted(found))


def condition_exprs(items: tuple[n.Item, ...]) -> list[n.Expr]:
    exprs: list[n.Expr] = []
    for item in items:
        if isinstance(item, n.When | n.Require | n.Extend):
            exprs.append(item.condition)
    return exprs


def limit_dates(within: n.Within) -> tuple[str, ...]:
    names = (within.start, within.end, within.excluded_from, within.excluded_until)
    return tuple(x for x in names if x is not None)


def fact_specs(model: Model, policy: Policy) -> dict[str, FactSpec]:
    """Every fact and judgment the policy reads: the fields of its case records."""
    names: set[str] = set()
    for statement in policy.statements:
        items = list(statement.items)
        for step in statement.all(n.Step):
            items.extend(step.items)
        names |= set(facts_read(model, condition_exprs(tuple(items))))
        for item in items:
            if isinstance(item, n.Within):
                names |= set(limit_dates(item))
    for define in policy.defines:
        names |= set(facts_read(model, [define.expr]))
    return {name: fact_spec(model, name) for name in sorted(names)}


def version(model: Model, policy: Policy, root: Path) -> dict[str, str]:
    """Content hashes: the policy file, the shared vocabulary, and the official text."""
    policy_file = Path(policy.header.span.file)
    shared = sorted(p for p in (root / "policies").glob("*.policy") if _is_shared(p, model))
    digest = hashlib.sha256()
    for path in shared:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return {
        "policy_sha256": _sha256(policy_file if policy_file.is_absolute() else root / policy_file),
        "vocabulary_sha256": digest.hexdigest(),
        "source_sha256": policy.header.source_sha256 or "",
    }


def _is_shared(path: Path, model: Model) -> bool:
    return path.stem not in model.policies


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- rules and limits


ConditionFactory = Callable[[n.Expr], Condition]


def interpreted(model: Model) -> ConditionFactory:
    """Conditions evaluated by the reference interpreter."""

    def make(expr: n.Expr) -> Condition:
        def condition(facts: Facts) -> Value:
            result = Evaluator(model, facts).eval(expr)
            return result

        return condition

    return make


def rules(model: Model, policy: Policy, make: ConditionFactory) -> tuple[Rule, ...]:
    found: list[Rule] = []
    for statement in policy.statements:
        when, require = statement.first(n.When), statement.first(n.Require)
        overrides = statement.first(n.Overrides)
        targets = None if overrides is None or overrides.all else overrides.names
        actors = tuple(a for item in statement.all(n.Actors) for a in item.names)
        found.append(
            Rule(
                statement.name,
                statement.kind,
                statement.citation.text,
                quote_of(statement),
                make(when.condition) if when else None,
                make(require.condition) if require else None,
                targets if statement.kind == "exclusion" else None,
                actors,
                facts_read(model, condition_exprs(statement.items)),
            )
        )
    return tuple(found)


def limits(model: Model, policy: Policy, make: ConditionFactory) -> tuple[Limit, ...]:
    found: list[Limit] = []
    for name, (statement, within, extend) in policy.limits().items():
        step = next((s for s in statement.all(n.Step) if s.name == name), None)
        items = step.items if step is not None else statement.items
        when = next((i for i in items if isinstance(i, n.When)), None)
        task = statement.first(n.Task)
        label = step.label if step is not None else (task.text if task else statement.name)
        exprs = condition_exprs(items)
        found.append(
            Limit(
                name,
                statement.name,
                statement.citation.text,
                quote_of(statement),
                label,
                within.limit.amount,
                within.limit.unit,
                within.start,
                within.end,
                within.excluding,
                within.excluded_from,
                within.excluded_until,
                make(when.condition) if when else None,
                extend.limit.amount if extend else None,
                extend.limit.unit if extend else None,
                make(extend.condition) if extend else None,
                tuple(sorted(set(limit_dates(within)) | set(facts_read(model, exprs)))),
            )
        )
    return tuple(found)


def policy_info(model: Model, policy: Policy, root: Path, make: ConditionFactory) -> PolicyInfo:
    header = policy.header
    grants = tuple(g for o in policy.of_kind("outcome") for i in o.all(n.Grants) for g in i.names)
    periods = (
        {m.name: m.label for m in model.enums["period"].members} if "period" in model.enums else {}
    )
    return PolicyInfo(
        policy.id,
        header.title or policy.id,
        header.decision_label,
        version(model, policy, root),
        fact_specs(model, policy),
        rules(model, policy, make),
        limits(model, policy, make),
        grants,
        periods,
    )
