"""The relief decision of a policy, with its explanation (docs/language.md, "Meaning").

This is the one decision algorithm of policyc: the compiler runs it with conditions evaluated
by the reference interpreter (compiler/interpret.py), the generated validators with conditions
compiled to Python.  Its independent check is tests/test_decision_spec.py, a plainly written
specification of the meaning compared with it on truth tables and random decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from .kinds import Kind
from .policy import Facts, PolicyInfo, Rule, evaluate
from .values import Unknown, coerce_all


class Outcome(StrEnum):
    """The outcomes of a decision (docs/language.md, "Meaning"); the grammar's OUTCOME terminal,
    which policy tests expect, lists the same words (tests/test_ir.py checks it)."""

    APPLIES = "applies"
    # Relief applies to the liabilities its situations excuse, and a liability known to hold is
    # excused by none of them (docs/language.md, "What relief covers").
    APPLIES_IN_PART = "applies_in_part"
    EXCLUDED = "excluded"
    NOT_COVERED = "not_covered"
    NEEDS_JUDGMENT = "needs_judgment"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True)
class RuleStatus:
    rule: Rule
    value: bool | None  # None: unknown
    needs: frozenset[str] = frozenset()
    overridden_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class PendingGrant:
    """A grant of an outcome whose condition is still unknown: granted if it comes to hold."""

    grant: str
    outcome: Rule
    needs: frozenset[str]  # the facts and judgments its condition still needs


@dataclass(frozen=True)
class Decision:
    policy: str
    outcome: Outcome
    decisive: tuple[RuleStatus, ...]
    rules: tuple[RuleStatus, ...]
    missing: tuple[str, ...]
    judgments: tuple[str, ...]
    grants: tuple[str, ...] = ()  # granted for certain: each once, in document order
    pending: tuple[PendingGrant, ...] = ()  # not yet granted, on an outcome's open condition
    # What relief covers when the situations that decided name it (`excuses`): those
    # liabilities, in document order, each with its status; empty when it covers the whole
    # decision.  `not_exempted`: the liabilities known to hold that it does not cover.
    exempts: tuple[RuleStatus, ...] = ()
    not_exempted: tuple[RuleStatus, ...] = ()


def status(policy: PolicyInfo, rule: Rule, facts: Facts) -> RuleStatus:
    value = evaluate(rule.fast_when, rule.when, facts, rule.needs_when) if rule.when else True
    if isinstance(value, Unknown):
        return RuleStatus(rule, None, value.needs)
    known = _known(policy).get(rule.name)
    if known is None or known[True].rule is not rule:  # not one of the policy's own rules
        return RuleStatus(rule, bool(value))
    return known[bool(value)]


def _known(policy: PolicyInfo) -> dict[str, dict[bool, RuleStatus]]:
    """Each rule's status when its condition is known and nothing overrides it: immutable,
    the same for every record, so built once per policy rather than per rule and record."""
    known = policy.memo.get("decision.known")
    if known is None:
        known = policy.memo["decision.known"] = {
            r.name: {True: RuleStatus(r, True), False: RuleStatus(r, False)} for r in policy.rules
        }
    return known


def _document_order(policy: PolicyInfo) -> tuple[int, ...]:
    """The gates, situations and exclusions (each kind in document order, as `decide` lists
    them) put in document order: the same permutation for every record."""
    order = policy.memo.get("decision.order")
    if order is None:
        listed = [r for k in (Kind.GATE, Kind.SITUATION, Kind.EXCLUSION) for r in policy.of_kind(k)]
        places = policy.order
        order = policy.memo["decision.order"] = tuple(
            sorted(range(len(listed)), key=lambda i: places[listed[i].name])
        )
    return order


def _heads(policy: PolicyInfo) -> dict[str, tuple[Rule, dict[str, object]]]:
    """Each rule's fixed part of its JSON (name, kind, clause, quote), built once."""
    heads = policy.memo.get("decision.heads")
    if heads is None:
        heads = policy.memo["decision.heads"] = {
            r.name: (r, {"rule": r.name, "kind": r.kind, "clause": r.clause, "quote": r.quote})
            for r in policy.rules
        }
    return heads


def defeats(exclusion: Rule, situation: Rule) -> bool:
    return exclusion.overrides is None or situation.name in exclusion.overrides


def decide(policy: PolicyInfo, facts: Facts) -> Decision:
    """The decision for typed facts (see `decide_json` for raw JSON facts)."""
    gates = [status(policy, r, facts) for r in policy.of_kind(Kind.GATE)]
    exclusions = [status(policy, r, facts) for r in policy.of_kind(Kind.EXCLUSION)]
    held_exclusions = [e for e in exclusions if e.value is True]
    situations = []
    for rule in policy.of_kind(Kind.SITUATION):
        current = status(policy, rule, facts)
        if current.value is True:
            by = tuple(e.rule.name for e in held_exclusions if defeats(e.rule, rule))
            current = RuleStatus(rule, True, current.needs, by)
        situations.append(current)
    statuses = [*gates, *situations, *exclusions]
    rules = tuple([statuses[i] for i in _document_order(policy)])

    def result(
        outcome: Outcome, decisive: Iterable[RuleStatus], needs: Iterable[str] = ()
    ) -> Decision:
        deciding = tuple(decisive)
        needed = set(needs)
        judgments = tuple(sorted(x for x in needed if _is_judgment(policy, x)))
        missing = tuple(sorted(x for x in needed if not _is_judgment(policy, x)))
        if outcome is not Outcome.APPLIES:
            return Decision(policy.id, outcome, deciding, rules, missing, judgments)
        exempts, not_exempted = covered(policy, facts, deciding)
        if not_exempted:
            outcome = Outcome.APPLIES_IN_PART
        grants, pending = granted(policy, facts)
        return Decision(
            policy.id,
            outcome,
            deciding,
            rules,
            missing,
            judgments,
            grants,
            pending,
            exempts,
            not_exempted,
        )

    live = (
        [s for s in situations if not any(defeats(e.rule, s.rule) for e in held_exclusions)]
        if held_exclusions
        else situations
    )
    if held_exclusions and (
        any(e.rule.overrides is None for e in held_exclusions)
        or all(s.value is False for s in live)
    ):
        return result(Outcome.EXCLUDED, held_exclusions)
    failed_gates = [g for g in gates if g.value is False]
    if failed_gates:
        return result(Outcome.NOT_COVERED, failed_gates)
    if all(s.value is False for s in live):
        return result(Outcome.NOT_COVERED, ())
    held = [s for s in live if s.value is True]
    open_gates = [g for g in gates if g.value is None]
    possible = [s for s in live if s.value is not False]
    open_exclusions = [
        e for e in exclusions if e.value is None and any(defeats(e.rule, s.rule) for s in possible)
    ]
    # Relief is certain once a situation holds that no open exclusion could defeat.
    secure = [s for s in held if not any(defeats(e.rule, s.rule) for e in open_exclusions)]
    if secure and not open_gates:
        return result(Outcome.APPLIES, secure)
    # The facts still needed are those of the open rules whose value alone can decide relief
    # (docs/language.md: "exactly the facts whose values are still needed").  Every open gate
    # can: some situation may still stand.  An open situation can when each situation that
    # holds may fall to an open exclusion that spares it; an open exclusion, when it defeats
    # a situation that may stand while every other one that holds falls with it (to it, or to
    # another open exclusion that spares that situation).
    unsettled = [e for e in exclusions if e.value is None]

    def falls_sparing(held_one: RuleStatus, spared: RuleStatus, but: RuleStatus | None) -> bool:
        return any(
            x is not but and defeats(x.rule, held_one.rule) and not defeats(x.rule, spared.rule)
            for x in unsettled
        )

    def situation_matters(open_one: RuleStatus) -> bool:
        return all(falls_sparing(h, open_one, None) for h in held)

    def exclusion_matters(exclusion: RuleStatus) -> bool:
        return any(
            defeats(exclusion.rule, s.rule)
            and all(
                defeats(exclusion.rule, h.rule) or falls_sparing(h, s, exclusion)
                for h in held
                if h is not s
            )
            for s in possible
        )

    needs: set[str] = set()
    for gate in open_gates:
        needs |= gate.needs
    for exclusion in unsettled:
        if exclusion_matters(exclusion):
            needs |= exclusion.needs
    for situation in possible:
        if situation.value is None and situation_matters(situation):
            needs |= situation.needs
    only_judgments = all(_is_judgment(policy, x) for x in needs)
    open_outcome = Outcome.NEEDS_JUDGMENT if only_judgments else Outcome.UNDETERMINED
    return result(open_outcome, held, needs)


def covered(
    policy: PolicyInfo, facts: Facts, deciding: tuple[RuleStatus, ...]
) -> tuple[tuple[RuleStatus, ...], tuple[RuleStatus, ...]]:
    """What relief that applies covers (docs/language.md, "What relief covers").

    The situations that decided it are those that hold and that no exclusion, holding or open,
    can defeat.  If one of them names nothing it excuses, relief covers the whole decision, as
    it always did: nothing to list.  Otherwise it covers the liabilities they name (`exempts`,
    in document order, each with its status), and every liability known to hold that none of
    them names is `not_exempted`.  A liability not known to hold is not presumed: the decision
    is about what is established, and does not ask for the facts of every liability."""
    if any(not s.rule.excuses for s in deciding):
        return (), ()
    excused = {name for s in deciding for name in s.rule.excuses}
    liabilities = [status(policy, r, facts) for r in policy.of_kind(Kind.LIABILITY)]
    exempts = tuple(x for x in liabilities if x.rule.name in excused)
    not_exempted = tuple(x for x in liabilities if x.value is True and x.rule.name not in excused)
    return exempts, not_exempted


def granted(policy: PolicyInfo, facts: Facts) -> tuple[tuple[str, ...], tuple[PendingGrant, ...]]:
    """What a decision that applies grants (docs/language.md, "What the decision grants").

    Each outcome contributes its grants when its `when` holds (or it has none); when its `when`
    is unknown, they are pending on the facts it still needs; when false, nothing.  A grant is
    listed once, at the first outcome that grants it for certain; a pending grant that another
    outcome grants for certain is not pending.  Both in document order (a pending grant once per
    outcome that could grant it, each outcome's grants as written)."""
    grants: list[str] = []
    pending: list[PendingGrant] = []
    for rule in policy.of_kind(Kind.OUTCOME):
        current = status(policy, rule, facts)
        if current.value is True:
            grants += [g for g in rule.grants if g not in grants]
        elif current.value is None:
            pending += [PendingGrant(g, rule, current.needs) for g in dict.fromkeys(rule.grants)]
    return tuple(grants), tuple(p for p in pending if p.grant not in grants)


def _is_judgment(policy: PolicyInfo, name: str) -> bool:
    spec = policy.facts.get(name)
    return spec is not None and spec.judgment


def explain(policy: PolicyInfo, decision: Decision) -> dict[str, object]:
    """A decision as stable JSON: outcome, what it grants and what relief covers, deciding rules
    with clause and quote, what is missing."""

    def liability_json(current: RuleStatus) -> dict[str, object]:
        rule = current.rule
        return {
            "rule": rule.name,
            "clause": rule.clause,
            "quote": rule.quote,
            "holds": current.value,
            "needs": sorted(current.needs),
        }

    heads = _heads(policy)

    def rule_json(current: RuleStatus) -> dict[str, object]:
        rule = current.rule
        head = heads.get(rule.name)
        if head is None or head[0] is not rule:  # not one of the policy's own rules
            fixed = {"rule": rule.name, "kind": rule.kind, "clause": rule.clause}
            head = (rule, {**fixed, "quote": rule.quote})
        # The head's keys first, in its order: the same JSON as one dict display.
        return {
            **head[1],
            "holds": current.value,
            "needs": sorted(current.needs) if current.needs else [],
            "overridden_by": list(current.overridden_by),
        }

    return {
        "policy": decision.policy,
        "outcome": decision.outcome,
        "grants": list(decision.grants),
        "pending_grants": [
            {
                "grant": p.grant,
                "outcome": p.outcome.name,
                "clause": p.outcome.clause,
                "needs": sorted(p.needs),
            }
            for p in decision.pending
        ],
        "exempts": [liability_json(x) for x in decision.exempts],
        "not_exempted": [liability_json(x) for x in decision.not_exempted],
        "decided_by": [rule_json(s) for s in decision.decisive],
        "missing": list(decision.missing),
        "judgments": [
            {
                "judgment": j,
                "label": policy.facts[j].label,
                "refers": policy.facts[j].refers,
            }
            for j in decision.judgments
        ],
        "rules": [rule_json(s) for s in decision.rules],
    }


def decide_json(policy: PolicyInfo, raw: Mapping[str, object]) -> dict[str, object]:
    """Raw JSON facts in, the explained decision out, with the policy's version (audit trail)."""
    return decision_json(policy, coerce_all(policy.facts, raw))


def decision_json(policy: PolicyInfo, facts: Facts) -> dict[str, object]:
    """`decide_json` of facts already typed."""
    return {**explain(policy, decide(policy, facts)), "version": dict(policy.version)}
