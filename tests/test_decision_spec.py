"""The executable specification of the relief decision (docs/language.md, "Meaning").

The runtime (compiler/runtime/decision.py) decides in a few passes over the rules' statuses; this
file says what the answer *is*, as plainly as the docs' table and prose, and compares the two:

* on truth tables: small decisions, every assignment of their facts over true / false / unknown;
* with hypothesis: random small decisions and random partial facts.

What a decision that applies grants (docs/language.md, "What the decision grants") is specified
here too (`granted`): each outcome's grants according to its own condition; and what relief
covers when its situations name the liabilities they excuse (docs/language.md, "What relief
covers"; `covers`): `exempts`, `not_exempted` and `applies_in_part`.

The specification does not share code with the runtime: conditions are a tiny AST evaluated
here (Kleene's logic by simplification), the decision is a two-valued table read over every
completion of the unknown rule statuses.  Only the comparison builds runtime objects.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.runtime import logic
from compiler.runtime.decision import Decision, RuleStatus, decide, explain
from compiler.runtime.policy import Condition, PolicyInfo, Rule
from compiler.runtime.values import FactSpec, Value

# ---------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Fact:
    name: str


@dataclass(frozen=True)
class Not:
    arg: Cond


@dataclass(frozen=True)
class And:
    args: tuple[Cond, ...]


@dataclass(frozen=True)
class Or:
    args: tuple[Cond, ...]


Cond = Fact | Not | And | Or
Status = bool | None  # None: unknown


def simplify(cond: Cond, facts: Mapping[str, bool]) -> bool | Cond:
    """The condition with what is known put in: a truth value, or what is left of it.

    Docs: "'Still needed' means: the facts left in the conditions after simplifying them with
    what is known (`a and b` with `a` false needs nothing more)"."""
    if isinstance(cond, Fact):
        return facts.get(cond.name, cond)
    if isinstance(cond, Not):
        arg = simplify(cond.arg, facts)
        return (not arg) if isinstance(arg, bool) else Not(arg)
    # `and` is false once a part is false, `or` true once a part is true; known parts of the
    # other value drop out.
    decisive = isinstance(cond, Or)
    parts = [simplify(a, facts) for a in cond.args]
    if any(p is decisive for p in parts):
        return decisive
    left = tuple(p for p in parts if not isinstance(p, bool))
    if not left:
        return not decisive
    return left[0] if len(left) == 1 else type(cond)(left)


def facts_in(cond: bool | Cond) -> frozenset[str]:
    if isinstance(cond, bool):
        return frozenset()
    if isinstance(cond, Fact):
        return frozenset({cond.name})
    if isinstance(cond, Not):
        return facts_in(cond.arg)
    return frozenset().union(*(facts_in(a) for a in cond.args))


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True)
class SpecRule:
    name: str
    kind: str  # gate | situation | exclusion
    when: Cond | None = None  # None: always holds
    overrides: tuple[str, ...] | None = None  # an exclusion's situations; None: `overrides all`
    excuses: tuple[str, ...] | None = None  # a situation's liabilities; None: the whole decision


@dataclass(frozen=True)
class SpecOutcome:
    name: str
    when: Cond | None  # None: always holds
    grants: tuple[str, ...]


@dataclass(frozen=True, eq=False)  # compared by identity: a cheap key for the caches below
class SpecDecision:
    rules: tuple[SpecRule, ...]  # in document order
    judgments: frozenset[str] = frozenset()
    outcomes: tuple[SpecOutcome, ...] = (SpecOutcome("o", None, ("relief",)),)  # after the rules
    liabilities: tuple[SpecRule, ...] = ()  # kind "liability", after the outcomes

    def of_kind(self, kind: str) -> tuple[SpecRule, ...]:
        return tuple(r for r in self.rules if r.kind == kind)


@dataclass(frozen=True)
class Answer:
    outcome: str
    decisive: tuple[str, ...]  # rule names, in document order
    needed: frozenset[str]  # missing and judgments together
    grants: tuple[str, ...]
    pending: tuple[tuple[str, str, frozenset[str]], ...] = ()  # (grant, outcome, needs)
    exempts: tuple[str, ...] = ()  # liability names, in document order
    not_exempted: tuple[str, ...] = ()


def defeats(exclusion: SpecRule, situation: SpecRule) -> bool:
    # Docs: "An exclusion defeats the situations it names in `overrides` (or all of them with
    # `overrides all`)".
    return exclusion.overrides is None or situation.name in exclusion.overrides


def outcome_known(decision: SpecDecision, holds: Mapping[str, bool]) -> str:
    """The outcome when every rule's status is known."""
    exclusions = [x for x in decision.of_kind("exclusion") if holds[x.name]]
    standing = [
        s
        for s in decision.of_kind("situation")
        if holds[s.name] and not any(defeats(x, s) for x in exclusions)
    ]
    # Docs, excluded: "an exclusion holds that overrides `all`, or every situation that could
    # still hold is overridden by exclusions that hold (a failed gate included)" (an exclusion of
    # all leaves no situation standing).
    if exclusions and not standing:
        return "excluded"
    # Docs, not_covered: "otherwise, G is false or S is false: no situation can hold, or a gate
    # fails".
    if not all(holds[g.name] for g in decision.of_kind("gate")) or not standing:
        return "not_covered"
    # Docs, applies: "E is false, G is true and S is true" (E counting only the exclusions
    # that defeat the situations that hold).
    return "applies"


@cache
def outcomes_known(decision: SpecDecision) -> dict[tuple[bool, ...], str]:
    """`outcome_known` for every tuple of statuses, in the order of the rules (a cache)."""
    names = [r.name for r in decision.rules]
    return {
        values: outcome_known(decision, dict(zip(names, values, strict=True)))
        for values in itertools.product((True, False), repeat=len(names))
    }


def completions(status: Sequence[Status]) -> Iterator[tuple[bool, ...]]:
    """Every way of making the unknown statuses true or false."""
    unknown = [i for i, value in enumerate(status) if value is None]
    for values in itertools.product((True, False), repeat=len(unknown)):
        completion = list(status)
        for i, value in zip(unknown, values, strict=True):
            completion[i] = value
        yield tuple(completion)  # type: ignore[arg-type]


def specify(decision: SpecDecision, facts: Mapping[str, bool]) -> Answer:
    """The documented answer for `facts` (a fact not given is unknown)."""
    rules = decision.rules
    # Docs: "Facts not given are unknown, never false; and/or/not follow Kleene's three-valued
    # logic": each rule's condition is true, false, or unknown with the facts left in it.
    left = [True if r.when is None else simplify(r.when, facts) for r in rules]
    status = [v if isinstance(v, bool) else None for v in left]
    outcome_of = outcomes_known(decision)

    outcomes = {outcome_of[c] for c in completions(status)}
    if len(outcomes) == 1:
        # What every completion of the unknowns answers is the answer.
        (outcome,) = outcomes
    elif "applies" not in outcomes:
        # No completion gives relief, yet they differ (excluded / not_covered).  Docs:
        # "Exclusions only take relief away, so when no situation can hold the answer is
        # `not_covered` whatever the exclusions say — unless one is known to hold, which makes
        # it `excluded`" (known to hold: then every completion is excluded, above); and the
        # table: not_covered is "otherwise, G is false or S is false".
        outcome = "not_covered"
    else:
        outcome = "open"

    # An open rule matters when its value can decide relief: two completions differing in that
    # rule alone, one giving relief and the other not.  Docs: "an open exclusion matters only to
    # the situations it could defeat"; once relief is settled either way the answer is too
    # (excluded or not_covered, by the clauses above), so only relief counts.
    def matters(i: int) -> bool:
        return any(
            (outcome_of[c] == "applies") != (outcome_of[(*c[:i], False, *c[i + 1 :])] == "applies")
            for c in completions([*status[:i], True, *status[i + 1 :]])
        )

    # Docs: "the result lists exactly the facts whose values are still needed": the facts left
    # in the conditions of the open rules that matter.
    needed: frozenset[str] = frozenset()
    if outcome == "open":
        needed = frozenset().union(
            *(facts_in(left[i]) for i, v in enumerate(status) if v is None and matters(i))
        )
        # Docs: needs_judgment "otherwise, and every fact still open is a judgment".
        outcome = "needs_judgment" if needed <= decision.judgments else "undetermined"

    # Docs: "`cites` lists the clauses of the rules that decided the outcome (the situations that
    # held, or the exclusions that overrode)".
    holds = {r.name: v for r, v in zip(rules, status, strict=True)}
    index = {r.name: i for i, r in enumerate(rules)}
    situations, exclusions = decision.of_kind("situation"), decision.of_kind("exclusion")
    if outcome == "excluded":
        decisive = [x for x in exclusions if holds[x.name] is True]
    elif outcome == "not_covered":
        # Not in the docs' sentence: the gates that failed (none when no situation can hold).
        decisive = [g for g in decision.of_kind("gate") if holds[g.name] is False]
    elif outcome == "applies":
        # The situations that hold, undefeated, in every completion.
        decisive = [
            s
            for s in situations
            if all(
                c[index[s.name]] and not any(c[index[x.name]] and defeats(x, s) for x in exclusions)
                for c in completions(status)
            )
        ]
    else:
        # So far: the situations known to hold that no exclusion known to hold defeats.
        decisive = [
            s
            for s in situations
            if holds[s.name] is True
            and not any(holds[x.name] is True and defeats(x, s) for x in exclusions)
        ]
    exempts: tuple[str, ...] = ()
    not_exempted: tuple[str, ...] = ()
    if outcome == "applies":
        exempts, not_exempted = covers(decision, facts, decisive)
        # Docs: "If a liability known to hold is excused by none of them, the decision is
        # `applies_in_part`".
        outcome = "applies_in_part" if not_exempted else "applies"
    relief = outcome in ("applies", "applies_in_part")
    grants, pending = granted(decision, facts) if relief else ((), ())
    return Answer(
        outcome,
        tuple(sorted((r.name for r in decisive), key=index.__getitem__)),
        needed,
        grants,
        pending,
        exempts,
        not_exempted,
    )


def covers(
    decision: SpecDecision, facts: Mapping[str, bool], deciding: Sequence[SpecRule]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What relief covers.  Docs: "If one of the situations that decided names nothing it
    excuses, relief covers the whole decision" (nothing listed); otherwise "`exempts` lists the
    liabilities they name, in document order", and "`not_exempted` the liabilities known to hold
    that none of them names"; "a liability whose truth is not known is not presumed"."""
    if any(s.excuses is None for s in deciding):
        return (), ()
    named = {name for s in deciding for name in s.excuses or ()}
    holds = {
        x.name: (True if x.when is None else simplify(x.when, facts)) is True
        for x in decision.liabilities
    }
    exempts = tuple(x.name for x in decision.liabilities if x.name in named)
    not_exempted = tuple(
        x.name for x in decision.liabilities if holds[x.name] and x.name not in named
    )
    return exempts, not_exempted


def granted(
    decision: SpecDecision, facts: Mapping[str, bool]
) -> tuple[tuple[str, ...], tuple[tuple[str, str, frozenset[str]], ...]]:
    """What a decision that applies grants.  Docs: an outcome whose `when` is "true, or no
    `when`": its grants are granted; "unknown": pending, "with the facts and judgments the
    condition still needs"; "false": nothing.  "`grants` lists each member once, in document
    order"; "a member granted for certain is not also pending"; `pending_grants` "one entry per
    outcome that could still grant a member", in document order."""
    left = {o.name: True if o.when is None else simplify(o.when, facts) for o in decision.outcomes}
    grants: list[str] = []
    for outcome in decision.outcomes:
        if left[outcome.name] is True:
            grants += [g for g in outcome.grants if g not in grants]
    pending = []
    for outcome in decision.outcomes:
        condition = left[outcome.name]
        if not isinstance(condition, bool):
            members = [g for g in outcome.grants if g not in grants]
            pending += [(g, outcome.name, facts_in(condition)) for g in dict.fromkeys(members)]
    return tuple(grants), tuple(pending)


# ---------------------------------------------------------------- the runtime's view


def compiled(cond: Cond) -> Condition:
    """The condition as generated code computes it (compiler/backends/python.py)."""
    if isinstance(cond, Fact):
        name = cond.name
        return lambda facts: logic.fact(facts, name)
    if isinstance(cond, Not):
        arg = compiled(cond.arg)
        return lambda facts: logic.not_(arg(facts))
    parts = [compiled(a) for a in cond.args]
    connective = logic.and_ if isinstance(cond, And) else logic.or_

    def condition(facts: Mapping[str, object]) -> Value:
        return connective(*((lambda p=p: p(facts)) for p in parts))  # type: ignore[misc]

    return condition  # type: ignore[return-value]


def facts_of(decision: SpecDecision) -> frozenset[str]:
    whens = [r.when for r in (*decision.rules, *decision.liabilities)]
    whens += [o.when for o in decision.outcomes]
    conditions = [c for c in whens if c is not None]
    return frozenset().union(*(facts_in(c) for c in conditions))


@cache
def policy_of(decision: SpecDecision) -> PolicyInfo:
    facts = {
        name: FactSpec(name, "bool", name, judgment=name in decision.judgments)
        for name in sorted(facts_of(decision) | decision.judgments)
    }
    rules = tuple(
        Rule(
            r.name,
            r.kind,
            f"clause {r.name}",
            r.name,
            when=None if r.when is None else compiled(r.when),
            overrides=r.overrides,
            reads=tuple(sorted(facts_in(r.when))) if r.when is not None else (),
            excuses=r.excuses or (),
        )
        for r in decision.rules
    )
    liabilities = tuple(
        Rule(
            x.name,
            "liability",
            f"clause {x.name}",
            x.name,
            when=None if x.when is None else compiled(x.when),
            reads=tuple(sorted(facts_in(x.when))) if x.when is not None else (),
        )
        for x in decision.liabilities
    )
    outcomes = tuple(
        Rule(
            o.name,
            "outcome",
            f"clause {o.name}",
            o.name,
            when=None if o.when is None else compiled(o.when),
            reads=tuple(sorted(facts_in(o.when))) if o.when is not None else (),
            grants=o.grants,
        )
        for o in decision.outcomes
    )
    return PolicyInfo("spec", "spec", "免责", {}, facts, rules + outcomes + liabilities, ())


def runtime(decision: SpecDecision, facts: Mapping[str, bool]) -> Decision:
    return decide(policy_of(decision), facts)


def open_facts(decision: SpecDecision, facts: Mapping[str, bool]) -> frozenset[str]:
    """The facts left in the conditions of the rules still unknown."""
    left = [simplify(r.when, facts) for r in decision.rules if r.when is not None]
    return frozenset().union(*(facts_in(c) for c in left))


@dataclass(frozen=True)
class Where:
    """An assertion's message, formatted only when it fails."""

    decision: SpecDecision
    facts: Mapping[str, bool]
    want: Answer
    got: Decision

    def __str__(self) -> str:
        got = self.got
        return (
            f"{self.decision.rules} with {dict(self.facts)}: spec {self.want}; runtime "
            f"{got.outcome} {[s.rule.name for s in got.decisive]} {got.missing} {got.judgments} "
            f"{got.grants} {[(p.grant, p.outcome.name, sorted(p.needs)) for p in got.pending]} "
            f"{[x.rule.name for x in got.exempts]} {[x.rule.name for x in got.not_exempted]}"
        )


def check(decision: SpecDecision, facts: Mapping[str, bool]) -> bool:
    """Compare the runtime with the specification: True when they agree exactly, False when
    the runtime lists facts that are not needed, and fails otherwise.

    The docs fix outcome, cites, grants and pending grants, and that `missing` / `judgments`
    name facts left in the open conditions, all of them needed. Which open rules' facts are
    "still needed" is this file's reading (the rules whose value can decide relief, see
    `specify`), the narrowest one that "exactly" allows. The bounds are checked first (every
    needed fact listed, nothing listed outside the open conditions, nothing listed once
    determined, the facts listed settle the outcome), so that a failure says which one broke;
    the tests then require exact agreement."""
    want = specify(decision, facts)
    got = runtime(decision, facts)
    listed = frozenset(got.missing) | frozenset(got.judgments)
    where = Where(decision, facts, want, got)
    # The outcome, up to which of needs_judgment / undetermined (depends on the facts listed).
    determined = ("applies", "applies_in_part", "excluded", "not_covered")
    if want.outcome in determined:
        assert got.outcome == want.outcome, where
    else:
        assert got.outcome in ("needs_judgment", "undetermined"), where
    assert tuple(s.rule.name for s in got.decisive) == want.decisive, where
    assert got.grants == want.grants, where
    assert tuple((p.grant, p.outcome.name, p.needs) for p in got.pending) == want.pending, where
    assert tuple(x.rule.name for x in got.exempts) == want.exempts, where
    assert tuple(x.rule.name for x in got.not_exempted) == want.not_exempted, where
    # missing / judgments: sorted, disjoint, judgments exactly the judgment facts listed.
    assert list(got.missing) == sorted(got.missing), where
    assert list(got.judgments) == sorted(got.judgments), where
    assert set(got.judgments) == listed & decision.judgments, where
    assert not set(got.missing) & decision.judgments, where
    # Nothing is listed once the outcome is determined, something is while it is open.
    assert (not listed) == (got.outcome in determined), where
    # Every fact needed is listed, and only facts left in open conditions are.
    assert want.needed <= listed <= open_facts(decision, facts), where
    # needs_judgment exactly when every fact listed is a judgment.
    if got.outcome not in determined:
        want_judgment = listed <= decision.judgments
        assert got.outcome == ("needs_judgment" if want_judgment else "undetermined"), where
    if listed == want.needed:
        assert got.outcome == want.outcome, where
        return True
    return False


# ---------------------------------------------------------------- truth tables

a, b, c, d = Fact("a"), Fact("b"), Fact("c"), Fact("d")
j = Fact("j")  # a judgment


def assignments(names: Sequence[str]) -> Iterator[dict[str, bool]]:
    """Every assignment of the facts over true / false / unknown (left out)."""
    for values in itertools.product((True, False, None), repeat=len(names)):
        yield {n: v for n, v in zip(names, values, strict=True) if v is not None}


def shapes() -> Iterator[SpecDecision]:
    """Small decisions, one fact per rule (so the truth table is one over the rule statuses):
    0-2 gates, 1-3 situations, 0-2 exclusions, each exclusion of all or of some situations."""
    for gates, situations in itertools.product(range(3), range(1, 4)):
        names = [f"s{i}" for i in range(situations)]
        scopes: list[tuple[str, ...] | None] = [None]
        scopes += [
            tuple(x) for k in range(1, situations + 1) for x in itertools.combinations(names, k)
        ]
        for count in range(3):
            if gates + situations + count > 6:
                continue
            for chosen in itertools.combinations_with_replacement(scopes, count):
                rules = [SpecRule(f"g{i}", "gate", Fact(f"fg{i}")) for i in range(gates)]
                rules += [SpecRule(n, "situation", Fact(f"f{n}")) for n in names]
                rules += [
                    SpecRule(f"x{i}", "exclusion", Fact(f"fx{i}"), scope)
                    for i, scope in enumerate(chosen)
                ]
                yield SpecDecision(tuple(rules))


# Decisions whose conditions share facts, combine them, are judgments or are missing.
CONDITIONS: list[SpecDecision] = [
    SpecDecision(
        (
            SpecRule("g0", "gate", a),
            SpecRule("s0", "situation", And((b, c))),
            SpecRule("s1", "situation", Or((a, j))),
            SpecRule("x0", "exclusion", b, ("s0",)),
        ),
        frozenset({"j"}),
    ),
    SpecDecision(
        (
            SpecRule("s0", "situation"),
            SpecRule("s1", "situation", a),
            SpecRule("x0", "exclusion", j, ("s0",)),
            SpecRule("x1", "exclusion", Or((b, c)), ("s1",)),
        ),
        frozenset({"j"}),
    ),
    SpecDecision(
        (
            SpecRule("g0", "gate", Or((a, b))),
            SpecRule("g1", "gate", Not(c)),
            SpecRule("s0", "situation", And((a, j))),
            SpecRule("s1", "situation", c),
            SpecRule("x0", "exclusion", And((b, d))),
        ),
        frozenset({"j"}),
    ),
    SpecDecision(
        (
            SpecRule("g0", "gate", j),
            SpecRule("s0", "situation", a),
            SpecRule("s1", "situation", Not(a)),
            SpecRule("s2", "situation", b),
            SpecRule("x0", "exclusion", c, ("s0", "s2")),
            SpecRule("x1", "exclusion", Or((d, Not(b)))),
        ),
        frozenset({"j"}),
    ),
    SpecDecision(
        (
            SpecRule("g0", "gate"),
            SpecRule("s0", "situation", j),
            SpecRule("x0", "exclusion", Fact("k"), ("s0",)),
            SpecRule("x1", "exclusion", And((a, Or((b, Not(j)))))),
        ),
        frozenset({"j", "k"}),
    ),
    SpecDecision(
        (SpecRule("g0", "gate", a), SpecRule("x0", "exclusion", b)),
    ),
]


def truth_table() -> Iterator[tuple[SpecDecision, dict[str, bool]]]:
    for decision in [*shapes(), *CONDITIONS]:
        for facts in assignments(sorted(facts_of(decision))):
            yield decision, facts


@cache
def truth_table_results() -> list[tuple[SpecDecision, dict[str, bool], bool]]:
    return [(decision, facts, check(decision, facts)) for decision, facts in truth_table()]


def test_truth_tables() -> None:
    results = truth_table_results()
    assert len(results) == 57_882
    # The runtime lists exactly the facts needed, scoped overrides included.
    inexact = [(d, f) for d, f, exact in results if not exact]
    assert inexact == []


def test_the_specification_is_the_table() -> None:
    # Without scoped overrides, the table's rows read with Kleene's E, G and S.
    def kleene_any(values: list[Status]) -> Status:
        return True if True in values else None if None in values else False

    for decision, facts in truth_table():
        if any(x.overrides is not None for x in decision.of_kind("exclusion")):
            continue
        value = {
            r.name: True if r.when is None else simplify(r.when, facts) for r in decision.rules
        }
        status = {n: v if isinstance(v, bool) else None for n, v in value.items()}
        e = kleene_any([status[x.name] for x in decision.of_kind("exclusion")])
        gates = [status[g.name] for g in decision.of_kind("gate")]
        g = False if False in gates else None if None in gates else True
        s = kleene_any([status[x.name] for x in decision.of_kind("situation")])
        if e is True:
            want = "excluded"
        elif g is False or s is False:
            want = "not_covered"
        elif e is False and g is True and s is True:
            want = "applies"
        else:
            want = "open"
        got = specify(decision, facts).outcome
        assert (got if got in ("applies", "excluded", "not_covered") else "open") == want
        assert got != "applies_in_part"  # no situation here names what it excuses


# The smallest decision where the runtime once listed a fact that cannot matter: s1 holds, and
# the one open exclusion defeats s1 and s2 alike, so whether s2 holds changes nothing (x0 true:
# excluded; false: applies).  It listed b (undetermined) when x0 named both situations, and
# only j (needs_judgment) when x0 overrode all; now both answer needs_judgment.
SMALLEST = SpecDecision(
    (
        SpecRule("s1", "situation"),
        SpecRule("s2", "situation", b),
        SpecRule("x0", "exclusion", j, ("s1", "s2")),
    ),
    frozenset({"j"}),
)


def test_the_smallest_case_by_overriding_all() -> None:
    rules = (*SMALLEST.rules[:2], SpecRule("x0", "exclusion", j))
    got = runtime(SpecDecision(rules, SMALLEST.judgments), {})
    assert (got.outcome, got.missing, got.judgments) == ("needs_judgment", (), ("j",))
    assert specify(SMALLEST, {}) == Answer("needs_judgment", ("s1",), frozenset({"j"}), ())


def test_missing_is_exact() -> None:
    got = runtime(SMALLEST, {})
    assert (got.outcome, got.missing, got.judgments) == ("needs_judgment", (), ("j",))


# ---------------------------------------------------------------- what the decision grants

k = Fact("k")  # another judgment

# Outcome conditions that share facts with each other and with the decision, judgments among
# them.  The second is 威海 三、五（二）、五（四） in miniature: tolerance on a judgment j (依照有关
# 规定), an outcome presupposing it (被认定容错), one presupposing it and not c (不予追究责任),
# and leniency on c (仍需问责) and a judgment k (酌情).
GRANTING: list[SpecDecision] = [
    SpecDecision(
        (SpecRule("s0", "situation", a), SpecRule("x0", "exclusion", b, ("s0",))),
        frozenset({"j"}),
        (
            SpecOutcome("o0", c, ("exempt",)),
            SpecOutcome("o1", And((c, j)), ("lighter", "exempt")),
            SpecOutcome("o2", None, ("tolerated",)),
            SpecOutcome("o3", Or((Not(c), d)), ("tolerated", "lighter")),
        ),
    ),
    SpecDecision(
        (SpecRule("s0", "situation", a), SpecRule("s1", "situation", b)),
        frozenset({"j", "k"}),
        (
            SpecOutcome("tolerance", j, ("tolerated",)),
            SpecOutcome("rectification", j, ("tolerated",)),
            SpecOutcome("unaffected", And((j, Not(c))), ("tolerated",)),
            SpecOutcome("lenient", And((c, k)), ("lighter", "mitigated", "exempt")),
        ),
    ),
]
WEIHAI = GRANTING[1]


def test_grants_truth_tables() -> None:
    results = [check(d, f) for d in GRANTING for f in assignments(sorted(facts_of(d)))]
    assert len(results) == 2 * 3**5
    assert all(results)


def pending_of(got: Decision) -> list[tuple[str, str, list[str]]]:
    return [(p.grant, p.outcome.name, sorted(p.needs)) for p in got.pending]


def test_an_outcome_whose_condition_holds_grants() -> None:
    got = runtime(WEIHAI, {"a": True, "j": True, "c": False})
    assert (got.outcome, got.grants, pending_of(got)) == ("applies", ("tolerated",), [])


def test_an_outcome_whose_condition_fails_grants_nothing() -> None:
    # Tolerance judged not to apply (j false): the situation holds, nothing is granted.
    got = runtime(WEIHAI, {"a": True, "j": False, "c": False})
    assert (got.outcome, got.grants, pending_of(got)) == ("applies", (), [])
    # Not still accountable (c false): no leniency, whatever k is.
    got = runtime(WEIHAI, {"a": True, "j": True, "c": False, "k": True})
    assert got.grants == ("tolerated",)


def test_an_open_condition_makes_its_grants_pending() -> None:
    got = runtime(WEIHAI, {"a": True, "c": True})
    assert (got.outcome, got.grants, got.missing, got.judgments) == ("applies", (), (), ())
    assert pending_of(got) == [
        ("tolerated", "tolerance", ["j"]),
        ("tolerated", "rectification", ["j"]),
        ("lighter", "lenient", ["k"]),
        ("mitigated", "lenient", ["k"]),
        ("exempt", "lenient", ["k"]),
    ]


def test_a_grant_certain_from_one_outcome_is_not_pending_from_another() -> None:
    got = runtime(GRANTING[0], {"a": True, "b": False})
    assert got.grants == ("tolerated",)  # o2, unconditional; o3's tolerated is not pending
    assert pending_of(got) == [
        ("exempt", "o0", ["c"]),
        ("lighter", "o1", ["c", "j"]),
        ("exempt", "o1", ["c", "j"]),
        ("lighter", "o3", ["c", "d"]),
    ]
    got = runtime(GRANTING[0], {"a": True, "b": False, "c": True, "j": True})
    assert got.grants == ("exempt", "lighter", "tolerated")  # once each, in document order
    assert pending_of(got) == []


def test_nothing_is_granted_unless_the_decision_applies() -> None:
    for facts in ({"a": False, "b": False, "j": True}, {"j": True}):
        got = runtime(WEIHAI, facts)
        assert got.outcome != "applies"
        assert (got.grants, got.pending) == ((), ())


def test_pending_grants_in_the_explanation() -> None:
    policy = policy_of(WEIHAI)
    report = explain(policy, decide(policy, {"a": True, "j": True}))
    assert report["grants"] == ["tolerated"]
    assert report["pending_grants"] == [
        {"grant": g, "outcome": "lenient", "clause": "clause lenient", "needs": ["c", "k"]}
        for g in ("lighter", "mitigated", "exempt")
    ]
    # `missing` and `judgments` are the decision's only: it applies, nothing is missing.
    assert (report["missing"], report["judgments"]) == ([], [])


# ---------------------------------------------------------------- what relief covers

# Situations that name the liabilities they excuse (玉泉 第二十条), beside one that does not
# (relief of the whole decision), a scoped exclusion and a gate; liabilities whose conditions
# share facts with the decision's, judgments among them.
EXCUSING: list[SpecDecision] = [
    SpecDecision(
        (
            SpecRule("s0", "situation", a, excuses=("l0",)),
            SpecRule("s1", "situation", b, excuses=("l1", "l2")),
            SpecRule("x0", "exclusion", c, ("s0",)),
        ),
        liabilities=(
            SpecRule("l0", "liability", d),
            SpecRule("l1", "liability", j),
            SpecRule("l2", "liability", Fact("e")),
        ),
        judgments=frozenset({"j"}),
    ),
    SpecDecision(
        (
            SpecRule("g0", "gate", c),
            SpecRule("s0", "situation", a, excuses=("l0", "l1")),
            SpecRule("s1", "situation", b),
        ),
        liabilities=(SpecRule("l0", "liability", And((d, j))), SpecRule("l1", "liability", Not(d))),
        judgments=frozenset({"j"}),
    ),
    SpecDecision(
        (
            SpecRule("s0", "situation", excuses=("l0",)),
            SpecRule("x0", "exclusion", j, ("s0",)),
            SpecRule("s1", "situation", a, excuses=("l1",)),
        ),
        liabilities=(
            SpecRule("l0", "liability", b),
            SpecRule("l1", "liability", Or((b, c))),
            SpecRule("l2", "liability", c),
        ),
        judgments=frozenset({"j"}),
    ),
]
# 玉泉 第二十条 in miniature: （四） platform slowdown excuses the delay (l_delay), （五） force
# majeure the arrears (l_arrears); the misuse of funds (l_misuse) is excused by neither.
YUQUAN = SpecDecision(
    (
        SpecRule("slow", "situation", a, excuses=("l_delay",)),
        SpecRule("funds", "situation", b, excuses=("l_arrears",)),
    ),
    liabilities=(
        SpecRule("l_delay", "liability", c),
        SpecRule("l_misuse", "liability", d),
        SpecRule("l_arrears", "liability", Fact("e")),
    ),
)


def test_relief_covers_truth_tables() -> None:
    results = [check(dec, f) for dec in EXCUSING for f in assignments(sorted(facts_of(dec)))]
    assert len(results) == 3**6 + 3**5 + 3**4
    assert all(results)
    outcomes = {
        specify(dec, f).outcome for dec in EXCUSING for f in assignments(sorted(facts_of(dec)))
    }
    assert "applies_in_part" in outcomes and "applies" in outcomes


def names(statuses: Sequence[RuleStatus]) -> list[str]:
    return [s.rule.name for s in statuses]


def test_an_unrelated_excuse_does_not_relieve_a_failing() -> None:
    # Misuse of funds, and a slowdown that excuses only the delay.
    got = runtime(YUQUAN, {"a": True, "b": False, "d": True})
    assert got.outcome == "applies_in_part"
    assert (names(got.exempts), names(got.not_exempted)) == (["l_delay"], ["l_misuse"])
    assert got.grants == ("relief",)  # granted, for the liabilities it covers


def test_relief_covers_what_the_deciding_situations_excuse() -> None:
    got = runtime(YUQUAN, {"a": True, "b": True, "c": True, "d": False, "e": True})
    assert got.outcome == "applies"
    assert (names(got.exempts), names(got.not_exempted)) == (["l_delay", "l_arrears"], [])


def test_a_liability_not_known_to_hold_is_not_presumed() -> None:
    got = runtime(YUQUAN, {"a": True, "b": False})
    assert (got.outcome, names(got.exempts), names(got.not_exempted)) == (
        "applies",
        ["l_delay"],
        [],
    )


def test_a_situation_without_excuses_relieves_the_whole_decision() -> None:
    rules = (*YUQUAN.rules, SpecRule("whole", "situation", Fact("w")))
    decision = SpecDecision(rules, liabilities=YUQUAN.liabilities)
    got = runtime(decision, {"a": True, "d": True, "w": True})
    assert (got.outcome, got.exempts, got.not_exempted) == ("applies", (), ())


def test_no_relief_covers_nothing() -> None:
    got = runtime(YUQUAN, {"a": False, "b": False, "d": True})
    assert (got.outcome, got.exempts, got.not_exempted) == ("not_covered", (), ())


def test_what_relief_covers_in_the_explanation() -> None:
    policy = policy_of(YUQUAN)
    report = explain(policy, decide(policy, {"a": True, "d": True}))
    assert report["outcome"] == "applies_in_part"
    assert report["exempts"] == [
        {"rule": "l_delay", "clause": "clause l_delay", "quote": "l_delay", "holds": None,
         "needs": ["c"]}
    ]  # fmt: skip
    assert report["not_exempted"] == [
        {"rule": "l_misuse", "clause": "clause l_misuse", "quote": "l_misuse", "holds": True,
         "needs": []}
    ]  # fmt: skip


# ---------------------------------------------------------------- random decisions

FACTS = ("a", "b", "c", "j")
JUDGMENTS = frozenset({"j"})


_fact = st.sampled_from([Fact(n) for n in FACTS])
_literal = _fact | _fact.map(Not)
_pair = st.tuples(_literal, _literal)
CONDITION = st.one_of(
    st.none(), _literal, _pair.map(And), _pair.map(Or), st.tuples(_literal, _pair.map(Or)).map(And)
)


@st.composite
def decisions(draw: st.DrawFn) -> SpecDecision:
    gates = draw(st.integers(0, 2))
    names = [f"s{i}" for i in range(draw(st.integers(0, 3)))]
    liabilities = [f"l{i}" for i in range(draw(st.integers(0, 2)))]
    # A situation names some of the liabilities it excuses, or none (the whole decision).
    excuses = st.none() | st.lists(st.sampled_from(liabilities), min_size=1, unique=True).map(tuple)
    rules = [SpecRule(f"g{i}", "gate", draw(CONDITION)) for i in range(gates)]
    rules += [
        SpecRule(n, "situation", draw(CONDITION), excuses=draw(excuses) if liabilities else None)
        for n in names
    ]
    for i in range(draw(st.integers(0, 2))):
        scope = None
        if names and draw(st.booleans()):
            scope = tuple(n for n in names if draw(st.booleans())) or (names[0],)
        rules.append(SpecRule(f"x{i}", "exclusion", draw(CONDITION), scope))
    order = draw(st.permutations(range(len(rules))))  # document order mixes the kinds
    members = st.lists(st.sampled_from(("exempt", "lighter", "tolerated")), min_size=1, max_size=2)
    outcomes = tuple(
        SpecOutcome(f"o{i}", draw(CONDITION), tuple(draw(members)))
        for i in range(draw(st.integers(0, 3)))
    )
    owed = tuple(SpecRule(x, "liability", draw(CONDITION)) for x in liabilities)
    return SpecDecision(tuple(rules[i] for i in order), JUDGMENTS, outcomes, owed)


partial_facts = st.dictionaries(st.sampled_from(FACTS), st.booleans())


@settings(max_examples=300, deadline=None, derandomize=True)
@given(decisions(), partial_facts)
def test_random_decisions(decision: SpecDecision, facts: dict[str, bool]) -> None:
    assert check(decision, facts), "the runtime lists facts that are not needed"
    # Values for the facts still needed, whatever they are, settle the outcome: the facts the
    # specification needs, and those the runtime lists.
    determined = ("applies", "applies_in_part", "excluded", "not_covered")
    needed = sorted(specify(decision, facts).needed)
    got = runtime(decision, facts)
    listed = sorted({*got.missing, *got.judgments})
    for values in itertools.product((True, False), repeat=len(needed)):
        more = {**facts, **dict(zip(needed, values, strict=True))}
        assert specify(decision, more).outcome in determined
    for values in itertools.product((True, False), repeat=len(listed)):
        more = {**facts, **dict(zip(listed, values, strict=True))}
        assert runtime(decision, more).outcome in determined
