"""Which decisions are comparable, where the cities stand on each shared concept, and concrete
cases on which two comparable decisions decide differently.

Comparable decisions
--------------------
Two decisions are compared when their decision rules (gates, situations, exclusions) both speak
of at least one concept of the shared vocabulary (`policies/concepts.policy`): they read one of
the concept's facts, or a city fact related to one (`narrower`, `wider`, `same`).  The
staff-relief decisions (宁波 尽职免责, 威海 容错纠错, 玉泉 免于承担责任, 台儿庄 容错纠错) share
concepts; 鹿城 一事一议 decides an applicant's eligibility, and its decision rules read no
shared concept, so it is compared with nothing — and the report says so.  Nothing here
names a city: the model says it.

Per concept
-----------
`compiler.comparison.concept_table` (the comparison tables' reading, reused, not forked) says
per concept which cities relieve for it (a situation reads it), make it a condition of every
relief (a gate), exclude it (an exclusion reads it), or are silent.

Cases decided differently — the reading
---------------------------------------
For an ordered pair (A, B) of comparable decisions and a concept C that A's situations or
exclusions read, the solver of `policyc example` (`compiler.examples`) looks for the smallest
case on which

- A applies through a situation reading C while B gives no relief (B excluded, or B's gates
  hold and none of its situations does: not covered), or
- A is excluded through an exclusion reading C while B applies.

The case is over the facts of both documents.  A city's own fact and the shared fact it is
related to describe the same person, so the case must respect the relation: a `narrower` fact
that holds makes its shared fact hold, a `wider` fact that fails makes it fail, `same` facts
are equal.  Two cities' own facts narrower than one shared fact are not related to each
other (宁波 虚报 and 威海 隐瞒财产 are both narrower than 隐瞒、虚报家庭经济状况: neither implies
the other).

Each case is classified:

- `opposite` (相反规定): both speak of C, one grants relief through it and the other excludes
  through it;
- `scope` (条件不同): both speak of C, and they decide the case differently even when the two
  cities' words for each shared fact they both speak of are read as saying the same (the case
  is searched for first under that alignment: every fact of both documents wording one shared
  fact — the shared fact itself, or a city fact related to it — has one value);
- `wording` (措辞不同): both speak of C, but no case exists under that alignment: the difference
  rests only on the cities' different words for one shared fact (宁波 虚报 against 台儿庄 故意隐瞒).
  The vocabulary says those words cover different cases; whether that is a difference of
  substance or of drafting needs a person;
- `silent` (一方未提及): B's decision never speaks of C, so the difference comes only from facts
  B never mentions.

The real disagreements are `opposite` and `scope`; `wording` and `silent` are reported apart.
Every case also lists the facts only one of the two documents reads.

Every case is verified: both decisions are run on it by the reference interpreter
(`compiler.interpret.decide`), each on the facts its own document reads, and must give the
outcomes reported; the tests run the generated validator package on it too.  A case is only
as true as the transcription: the report cites every deciding clause with its quote.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import assert_never

from compiler import ir
from compiler import nodes as n
from compiler.comparison import Status, Table, _readings, city, concept_table, rule_polarity
from compiler.conflicts.section import Cite, Given, Section, Witness
from compiler.examples import MAX_STEPS as EXAMPLE_MAX_STEPS
from compiler.examples import (
    Decide,
    Facts,
    Target,
    all_of,
    condition,
    exclusion_targets,
    facts_json,
    situation_target,
    solve,
)
from compiler.exprtext import literal_text
from compiler.inert import inert
from compiler.interpret import decide
from compiler.progress import Steps, quiet
from compiler.project import advance, cores, forked_map, rising, stop_if_interrupted
from compiler.runtime.decision import Decision
from compiler.runtime.kinds import Kind

DECISION_KINDS = (Kind.GATE, Kind.SITUATION, Kind.EXCLUSION)

OUTCOME_LABELS: Mapping[str, str] = {
    "applies": "适用（给予免责、容错）",
    "applies_in_part": "部分适用（只及于部分责任）",
    "excluded": "排除（不予免责、容错）",
    "not_covered": "不属于任何适用情形",
    "needs_judgment": "需人工判断",
    "undetermined": "尚不能确定",
}

CLASS_LABELS: Mapping[str, str] = {
    "opposite": "相反规定：一方给予免责（容错），另一方列为排除情形",
    "scope": "条件不同：双方都规定了该概念，即使把双方对同一共享事实的不同措辞视为一致，仍判定不同",
    "wording": "措辞不同：双方都规定了该概念，差异只在于双方对同一共享事实的不同措辞"
    "（词汇表认定其范围不同，是否实质不同须人工判断）",
    "silent": "一方未提及：差异只来自另一方从未提及的事实",
    "unsettled": "类别未能确定：双方都规定了该概念；把双方的措辞视为一致的搜索达到上限，"
    "差异是否只在措辞未能确定（条件不同或措辞不同，须人工判断）",
}

REAL = ("opposite", "scope")
# The report lists the cases in these groups, in this order: the real disagreements first.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("真实分歧", REAL),
    ("类别未能确定（另列）", ("unsettled",)),
    ("措辞差异（另列）", ("wording",)),
    ("一方未提及（另列）", ("silent",)),
)

# The search budget of one case: `policyc example`'s (steps of the solver, per phase).  A
# search cut by the bound is reported as such (`Found.unsettled`), never taken for an agreement
# nor, in the aligned phase, for a difference of words.
MAX_STEPS = EXAMPLE_MAX_STEPS


# ---------------------------------------------------------------- comparable decisions


@dataclass(frozen=True)
class DecisionInfo:
    policy: str
    city: str
    label: str  # the decision's name in the document (尽职免责)
    concepts: tuple[str, ...]  # concepts its decision rules speak of, in vocabulary order
    readings: tuple[str, ...]  # what a comparison must say about it (draft, partial relief)


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    shared: tuple[str, ...]  # concepts both speak of, in vocabulary order


def _decision_rules(policy: ir.Policy) -> tuple[ir.Rule, ...]:
    return tuple(r for r in policy.rules if r.kind in DECISION_KINDS)


def concepts_read(
    program: ir.Program, policy: ir.Policy, kinds: tuple[Kind, ...] = DECISION_KINDS
) -> tuple[str, ...]:
    return tuple(c.name for c in program.concepts.values() if _readings(program, policy, kinds, c))


def _readings_of(policy: ir.Policy) -> tuple[str, ...]:
    """What the model says a reader of a comparison must keep in mind about a decision."""
    out = []
    header = policy.header
    if header.status == "draft":
        label = header.status_label or "草案"
        out.append(f"该文件为{label}，尚未生效：比较的是其草案文字。")
    partial = [r for r in policy.of_kind(Kind.SITUATION) if r.excuses]
    if partial:
        clauses = "、".join(dict.fromkeys(r.clause.citation for r in partial))
        out.append(
            f"{clauses}的免责只及于其所列的责任情形（excuses），不及于整个决定："
            "其“适用”是就所列责任而言。"
        )
    return tuple(out)


def decision_infos(program: ir.Program) -> tuple[DecisionInfo, ...]:
    return tuple(
        DecisionInfo(
            p.id,
            city(p),
            p.header.decision_label or p.header.decision or p.id,
            concepts_read(program, p),
            _readings_of(p),
        )
        for p in (program.policies[i] for i in sorted(program.policies))
        if p.makes_decision()
    )


def pairs(infos: Sequence[DecisionInfo], against: Collection[str] = ()) -> tuple[Pair, ...]:
    """The comparable pairs (decisions whose rules speak of a shared concept); with `against`,
    only those with a decision of those policies on one side (`compared`)."""
    out = []
    for i, a in enumerate(infos):
        for b in infos[i + 1 :]:
            if not compared(a.policy, b.policy, against):
                continue
            shared = tuple(c for c in a.concepts if c in b.concepts)
            if shared:
                out.append(Pair(a.policy, b.policy, shared))
    return tuple(out)


def count_pairs(
    infos: Sequence[DecisionInfo], against: Collection[str] = ()
) -> tuple[int, frozenset[str]]:
    """How many pairs `pairs` gives, and the decisions in at least one, without making them:
    a province's report gives their number alone (`decisions_section(listed=False)`), and at
    3,000 jurisdictions they are some 4.5 million.  Decisions that read the same concepts
    pair alike, so the counting goes by those sets of concepts, few however many decisions
    read them."""
    alike: dict[frozenset[str], list[str]] = {}
    for info in infos:
        if info.concepts:
            alike.setdefault(frozenset(info.concepts), []).append(info.policy)
    sets = list(alike)
    count = 0
    paired: set[str] = set()
    for i, first in enumerate(sets):
        for second in sets[i:]:
            if first.isdisjoint(second):
                continue
            side_a, side_b = alike[first], alike[second]
            # The pairs with a listed decision on a side: all of them less those with none.
            a_out = [x for x in side_a if x not in against] if against else []
            b_out = [x for x in side_b if x not in against] if against else []
            if first is second:
                count += _two_of(len(side_a)) - _two_of(len(a_out))
                if len(side_a) >= 2 and (not against or len(a_out) < len(side_a)):
                    paired.update(side_a)
                continue
            count += len(side_a) * len(side_b) - len(a_out) * len(b_out)
            # A decision is in a pair when the other side has a listed one, or it is listed.
            for side, other, other_out in ((side_a, side_b, b_out), (side_b, side_a, a_out)):
                if not against or len(other_out) < len(other):
                    paired.update(side)
                else:
                    paired.update(x for x in side if x in against)
    return count, frozenset(paired)


def _two_of(n: int) -> int:
    return n * (n - 1) // 2


def compared(a: str, b: str, against: Collection[str]) -> bool:
    """Whether the report compares A's decision with B's: every pair, or with `against`
    (`policyc conflicts --against ID`) the pairs with one of those policies on one side.  A
    county's staff ask how their policy differs from each other's, and that report grows with
    the jurisdictions, where every pair's grows with their square."""
    return not against or a in against or b in against


# ---------------------------------------------------------------- cases decided differently


@dataclass(frozen=True)
class Run:
    """One decision on a case: its outcome and deciding rules, by name (a plain value: the
    search sends it from a worker process, `cases`)."""

    policy: str
    outcome: str
    deciding: tuple[str, ...]

    def rules(self, program: ir.Program) -> tuple[ir.Rule, ...]:
        """The deciding rules themselves (clause, quote, what they read)."""
        policy = program.policies[self.policy]
        return tuple(policy.rule(name) for name in self.deciding)


@dataclass(frozen=True)
class Case:
    a: str  # the city whose rule the case was found through
    b: str
    concept: str
    rule: str  # A's situation or exclusion reading the concept
    kind: str  # opposite | scope | wording | unsettled | silent (CLASS_LABELS)
    facts: Facts
    runs: tuple[Run, Run]
    only: tuple[tuple[str, ...], tuple[str, ...]]  # facts of the case only A / only B reads
    # The facts that make the difference: read by the deciding rules or by B's rules speaking of
    # the concept, in order of appearance; the others keep the remaining rules out.
    key: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.a}_{self.b}_{self.concept}_{self.rule}"


def _decision_inputs(program: ir.Program, policy: ir.Policy) -> set[str]:
    return {f for r in _decision_rules(policy) for f in r.reads}


def _related_pairs(program: ir.Program, names: Iterable[str]) -> list[tuple[str, ir.Related]]:
    out = []
    for name in sorted(set(names)):
        found = program.facts.get(name)
        if found is not None and found.related is not None:
            out.append((name, found.related))
    return out


def _consistent(program: ir.Program, relations: list[tuple[str, ir.Related]]) -> Accept:
    def accept(facts: Mapping[str, n.Value]) -> bool:
        for name, related in relations:
            own, shared = facts.get(name), facts.get(related.shared)
            if not isinstance(own, bool) or not isinstance(shared, bool):
                continue
            match related.relation:
                case n.Relation.NARROWER:
                    if own and not shared:
                        return False
                case n.Relation.WIDER:
                    if shared and not own:
                        return False
                case n.Relation.SAME:
                    if own != shared:
                        return False
                case _:
                    assert_never(related.relation)
        return True

    return accept


_SPAN = n.Span("<conflict goal>", 0, 0, 0, 0)


def _name(name: str) -> n.Expr:
    return n.Name(name, _SPAN)


def _implies(a: n.Expr, b: n.Expr) -> n.Expr:
    return n.BoolOp("or", (n.Not(a, _SPAN), b), _SPAN)


def _relation_goal(relations: list[tuple[str, ir.Related]]) -> list[n.Expr]:
    out: list[n.Expr] = []
    for name, related in relations:
        own, shared = _name(name), _name(related.shared)
        match related.relation:
            case n.Relation.NARROWER:
                out.append(_implies(own, shared))
            case n.Relation.WIDER:
                out.append(_implies(shared, own))
            case n.Relation.SAME:
                out += [_implies(own, shared), _implies(shared, own)]
            case _:
                assert_never(related.relation)
    return out


Accept = Callable[[Mapping[str, n.Value]], bool]


def remembered(program: ir.Program) -> Decide:
    """`decide` on `program`, each decision run once per policy and facts it reads.

    The search runs A's decision on the same facts for every B, and again as each case is made
    minimal (at 10 jurisdictions 74 % of the decisions are such repeats: benchmarks/README.md,
    the twenty-fourth round).  A decision reads only its policy's tables (`interpret.info`) and
    the facts, which it does not change, and returns a frozen `Decision`: the remembered one is
    the one it would give.  Made for one decision's row of pairs in `cases`: nothing outlives
    it."""
    # The interpreter looks a name up in the facts before taking it for a definition or an
    # enum member (`Evaluator._name`): a fact by such a name, even another document's, could
    # be read, so it stays in the key; of the other facts, only the policy's inputs are read.
    shadowing = set(program.defines) | {m.name for e in program.enums.values() for m in e.members}
    reads: dict[str, frozenset[str]] = {}
    memo: dict[tuple[str, frozenset[tuple[str, type, object]]], Decision] = {}

    def run(program_: ir.Program, policy: ir.Policy, facts: Mapping[str, n.Value]) -> Decision:
        assert program_ is program, "a remembered decision is for one program"
        inputs = reads.get(policy.id)
        if inputs is None:
            inputs = reads[policy.id] = frozenset(policy.inputs) | shadowing
        # The value's type is in the key so that equal values of different types (True and
        # Decimal(1)) never share a decision, and a Decimal by its digits (1 and 1.0 differ in
        # what arithmetic on them gives).
        key = (
            policy.id,
            frozenset(
                (k, type(v), str(v) if isinstance(v, Decimal) else v)
                for k, v in facts.items()
                if k in inputs
            ),
        )
        found = memo.get(key)
        if found is None:
            found = memo[key] = decide(program, policy, facts)
        return found

    return run


def _not_covered_target(program: ir.Program, policy: ir.Policy, decider: Decide = decide) -> Target:
    """B's gates hold and none of its situations does: no relief, for want of a situation."""
    parts = [condition(g) for g in policy.of_kind(Kind.GATE)]
    parts += [n.Not(condition(s), _SPAN) for s in policy.of_kind(Kind.SITUATION)]

    def accept(facts: Mapping[str, n.Value]) -> bool:
        decision = decider(program, policy, facts)
        return decision.outcome == "not_covered" and not decision.decisive

    return Target(all_of(parts), accept)


def _b_targets(
    program: ir.Program, b: ir.Policy, concept: ir.Concept, a_kind: Kind, decider: Decide = decide
) -> list[tuple[str, Target]]:
    """What B must do for the case to differ, the classes of disagreement first."""
    speaks = [r.rule for r in _readings(program, b, DECISION_KINDS, concept)]
    if a_kind is Kind.SITUATION:
        out = [
            ("opposite", t)
            for r in speaks
            if r.kind is Kind.EXCLUSION
            for t in exclusion_targets(program, b, r, decider)
        ]
        out.append(("scope" if speaks else "silent", _not_covered_target(program, b, decider)))
        return out
    relieving = [r for r in speaks if r.kind is Kind.SITUATION]
    out = [("opposite", situation_target(program, b, r, decider)) for r in relieving]
    if not speaks:
        out += [
            ("silent", situation_target(program, b, r, decider)) for r in b.of_kind(Kind.SITUATION)
        ]
    return out


def _run(
    program: ir.Program, policy: ir.Policy, facts: Mapping[str, n.Value], decider: Decide = decide
) -> Run:
    decision: Decision = decider(program, policy, own_facts(policy, facts))
    # The outcome as a plain str (a StrEnum member's value): the JSON is then all JSON's own
    # types, which orjson writes (`jsontext.indented`).
    outcome = str(decision.outcome)
    return Run(policy.id, outcome, tuple(s.rule.name for s in decision.decisive))


def _relief(outcome: str) -> bool:
    return outcome in ("applies", "applies_in_part")


def _conjuncts(goal: n.Expr) -> list[n.Expr]:
    """The operands of a top-level `and` (the goals `compiler.examples` builds), else the goal."""
    if isinstance(goal, n.BoolOp) and goal.op == "and":
        return list(goal.operands)
    return [goal]


def _word_groups(program: ir.Program, a: ir.Policy, b: ir.Policy) -> list[tuple[str, ...]]:
    """For each shared fact both decisions speak of, each through its own words (the shared
    fact itself, or a city fact related to it), the facts that word it, when they differ."""
    members: dict[str, dict[str, set[str]]] = {}
    for policy in (a, b):
        for fact in _decision_inputs(program, policy):
            found = program.facts.get(fact)
            if found is None:
                continue
            shared = found.related.shared if found.related is not None else fact
            if found.related is None and found.concept is None:
                continue  # a city's own fact related to nothing: no shared words to align
            members.setdefault(shared, {}).setdefault(policy.id, set()).add(fact)
    groups = []
    for shared in sorted(members):
        sides = members[shared]
        words = {f for side in sides.values() for f in side}
        if len(sides) == 2 and len(words) > 1:
            groups.append(tuple(sorted(words | {shared})))
    return groups


def _aligned(groups: list[tuple[str, ...]]) -> tuple[list[n.Expr], Accept]:
    """The two cities' words for one shared fact read as saying the same: equal values."""
    goal = [
        _implies(_name(group[i]), _name(group[(i + 1) % len(group)]))
        for group in groups
        for i in range(len(group))
    ]

    def accept(facts: Mapping[str, n.Value]) -> bool:
        for group in groups:
            values = {facts[f] for f in group if f in facts}
            if len(values) > 1:
                return False
        return True

    return goal, accept


def find_case(
    program: ir.Program,
    a: ir.Policy,
    b: ir.Policy,
    concept: ir.Concept,
    rule: ir.Rule,
    cut: list[str] | None = None,
    decider: Decide = decide,
) -> Case | None:
    """The smallest verified case found through `rule` of A (reading `concept`) on which A and
    B decide differently, or None.  A disagreement is looked for first with the two cities'
    words for each shared fact read as saying the same; only when there is none, without
    (the difference then rests on the words: `wording`).  Where a search with the words read
    alike was cut by the bound (`MAX_STEPS`), a case found without is `unsettled`: that none
    exists with the words alike is not established, so neither is that the words make it."""
    a_targets = (
        [situation_target(program, a, rule, decider)]
        if rule.kind is Kind.SITUATION
        else exclusion_targets(program, a, rule, decider)
    )
    relations = _related_pairs(program, _decision_inputs(program, a) | _decision_inputs(program, b))
    consistent = _consistent(program, relations)
    extra = _relation_goal(relations)
    groups = _word_groups(program, a, b)
    align_goal, align_accept = _aligned(groups)
    targets = _b_targets(program, b, concept, rule.kind, decider)
    aligned_cut = False  # a search with the words read alike reached the bound
    for aligned in (True, False) if groups else (False,):
        for kind, b_target in targets:
            if aligned and kind == "silent":
                continue  # B never speaks of the concept: its words are not the question
            found = kind
            if not aligned and kind != "silent" and groups:
                found = "unsettled" if aligned_cut else "wording"
            for a_target in a_targets:

                def accept(
                    facts: Mapping[str, n.Value],
                    at: Target = a_target,
                    bt: Target = b_target,
                    align: bool = aligned,
                ) -> bool:
                    if align and not align_accept(facts):
                        return False
                    return consistent(facts) and at.accept(facts) and bt.accept(facts)

                # The solver satisfies `and` depth-first, in order: A's goal first (its gates
                # and exclusions chosen as `policyc example` chooses them, so that the case
                # stays small), then what the relations and the alignment force, then B's.
                parts = [
                    *_conjuncts(a_target.goal),
                    *extra,
                    *(align_goal if aligned else ()),
                    *_conjuncts(b_target.goal),
                ]
                solution = solve(program, all_of(parts), accept, MAX_STEPS)
                if solution.facts is None and "bound" in solution.reason:
                    aligned_cut = aligned_cut or aligned
                    if cut is not None:
                        cut.append(solution.reason)
                if solution.facts is not None:
                    case = _verified(program, a, b, concept, rule, found, solution.facts, decider)
                    if case is not None:
                        return case
    return None


def _verified(
    program: ir.Program,
    a: ir.Policy,
    b: ir.Policy,
    concept: ir.Concept,
    rule: ir.Rule,
    kind: str,
    facts: Facts,
    decider: Decide = decide,
) -> Case | None:
    """The case, once both decisions were run on it, each on the facts its own document reads,
    and differ in relief; None when they do not (never reported)."""
    runs = (_run(program, a, facts, decider), _run(program, b, facts, decider))
    if _relief(runs[0].outcome) == _relief(runs[1].outcome):
        return None
    a_reads, b_reads = _decision_inputs(program, a), _decision_inputs(program, b)
    only = (
        tuple(sorted(f for f in facts if f in a_reads and f not in b_reads)),
        tuple(sorted(f for f in facts if f in b_reads and f not in a_reads)),
    )
    speaking = [r.rule for r in _readings(program, b, DECISION_KINDS, concept)]
    rules = [*runs[0].rules(program), *runs[1].rules(program), rule, *speaking]
    key = tuple(dict.fromkeys(f for r in rules for f in r.reads if f in facts))
    return Case(a.id, b.id, concept.name, rule.name, kind, facts, runs, only, key)


@dataclass(frozen=True)
class Found:
    cases: tuple[Case, ...]
    # (A, B, A's rule): a search reached the bound (MAX_STEPS) on the way: with no case, that
    # the two decisions agree there is not established; with one, that it is not `scope`.
    unsettled: tuple[tuple[str, str, str], ...] = ()


# What `policyc conflicts`'s progress line says while the cases are searched for
# (`policyc conflicts: comparing 1,234/25,440 pairs of decisions, 12 s…`).
SEARCHING = "comparing"
PAIRS = "pairs of decisions"


def cases(
    program: ir.Program,
    infos: Sequence[DecisionInfo],
    steps: Steps = quiet,
    against: Collection[str] = (),
) -> Found:
    """For each ordered pair of comparable decisions (`pairs`: their decision rules speak of a
    shared concept) and each concept the first speaks of in a situation or an exclusion: one
    case per kind of rule (the first rule, in document order, that gives one, and not one that
    already gave a case under an earlier concept).  The search goes through the concepts each
    decision reads, never through every pair of rules.

    The report has cases for every ordered pair of comparable decisions, so the search grows
    with their square, as the report does (13-14 minutes at a hundred jurisdictions before
    decisions were remembered: benchmarks/README.md, the twenty-fourth round).  Each decision's
    row of pairs (it first, each decision it is compared with second) is searched on its own,
    on every core (`project.forked_map`), and the rows are joined in order: the same cases as
    one row after another.  `steps` hears of the ordered pairs searched, each as it is done
    where there is one process, and as the workers count them otherwise.

    With `against`, only the ordered pairs with one of those policies on a side (`compared`):
    both orders, so that each side's rules are searched through, as in the whole report."""
    partners: dict[str, list[str]] = {i.policy: [] for i in infos}
    for pair in pairs(infos, against):
        partners[pair.a].append(pair.b)
        partners[pair.b].append(pair.a)
    # Each decision's partners in the order of `infos`, as the search has always gone.
    place = {i.policy: number for number, i in enumerate(infos)}
    rows = [(i.policy, tuple(sorted(partners[i.policy], key=place.__getitem__))) for i in infos]
    total = sum(len(seconds) for _, seconds in rows)
    told = 0

    def tell(done: int) -> None:
        nonlocal told
        told = done
        steps(SEARCHING, done, total, PAIRS)

    tell(0)
    heard = rising(tell, total)

    def search(job: tuple[str, tuple[str, ...]]) -> Found:
        return _row(program, *job)

    found: list[Case] = []
    unsettled: list[tuple[str, str, str]] = []
    for searched in forked_map(search, _jobs(rows, total), heard):
        found += searched.cases
        unsettled += searched.unsettled
    if told < total:  # the workers' last pairs, done after the last count was read
        heard(total)
    return Found(tuple(found), tuple(dict.fromkeys(unsettled)))


def _jobs(
    rows: Sequence[tuple[str, tuple[str, ...]]], total: int
) -> list[tuple[str, tuple[str, ...]]]:
    """The rows as jobs for the cores, in order: a row longer than a quarter of a core's share
    of the pairs is cut into pieces of that length.  With `--against` one row holds half the
    pairs, and searched whole on one core it kept the other waiting (7.9 s on one core, 4.6 s
    on two at 40 jurisdictions, where the whole report halves).  A piece remembers its own
    decisions: A's, repeated for each B, are made again once a piece."""
    workers = cores()
    if workers < 2:
        return [row for row in rows if row[1]]
    longest = max(1, -(-total // (4 * workers)))
    return [
        (first, seconds[start : start + longest])
        for first, seconds in rows
        for start in range(0, len(seconds), longest)
    ]


def _row(program: ir.Program, first: str, seconds: Sequence[str]) -> Found:
    """The cases of one decision's row of pairs (or a piece of it: `_jobs`): `first` first,
    each of `seconds` second."""
    a = program.policies[first]
    # A's readings of each concept, the same for every B.
    readings = {
        c: _readings(program, a, _BOTH, program.concepts[c])
        for c in concepts_read(program, a, _BOTH)
    }
    # Remembered for A's row: A's decisions repeat for every B, B's within the pair (each case
    # made minimal).  Kept for the whole search, the memory would grow with the pairs, as the
    # report does (170 MB at 20 jurisdictions, against 62).
    decider = remembered(program)
    found: list[Case] = []
    unsettled: list[tuple[str, str, str]] = []
    for second in seconds:
        stop_if_interrupted()
        b = program.policies[second]
        # A rule reading two concepts gives one case, under the first concept.
        tried: set[str] = set()
        for concept_name, concept_readings in readings.items():
            concept = program.concepts[concept_name]
            for kind in _BOTH:
                for reading in concept_readings:
                    if reading.rule.kind is not kind or reading.rule.name in tried:
                        continue
                    cut: list[str] = []
                    case = find_case(program, a, b, concept, reading.rule, cut, decider)
                    if cut:  # no case, or its class, is established
                        unsettled.append((a.id, b.id, reading.rule.name))
                    if case is not None:
                        tried.add(reading.rule.name)
                        found.append(case)
                        break
        advance()  # one ordered pair searched (`cases`' progress)
    return Found(tuple(found), tuple(unsettled))


_BOTH = (Kind.SITUATION, Kind.EXCLUSION)


# ---------------------------------------------------------------- presenting facts


def _label(program: ir.Program, name: str) -> str:
    return program.input(name).label


def _literal(program: ir.Program, name: str, value: n.Value) -> str:
    type_ = program.facts[name].type if name in program.facts else n.TypeRef("bool")
    if type_.name == "enum" and isinstance(value, str):
        return value
    return literal_text(n.Literal(value, type_, _SPAN))


def _shown(program: ir.Program, name: str, value: n.Value) -> str:
    """A fact's value for a reader: 是/否, an enum member's label, or the literal."""
    if isinstance(value, bool):
        return "是" if value else "否"
    type_ = program.facts[name].type
    if type_.name == "enum" and isinstance(value, str):
        enum = program.enums.get(type_.enum or "")
        member = enum.member(value) if enum is not None else None
        return member.label if member is not None else value
    return _literal(program, name, value)


# ---------------------------------------------------------------- sections


def policy_label(program: ir.Program, policy_id: str) -> str:
    policy = program.policies[policy_id]
    label = policy.header.decision_label
    return f"{city(policy)}（{label}）" if label else city(policy)


def _cite(cite: Cite, program: ir.Program, policy_id: str, clause: ir.ClauseRef) -> str:
    return cite(policy_id, clause.clause)


def _esc(text: str) -> str:
    """Policy text in Markdown, inert (the site's `text` filter escapes the same way)."""
    return inert(text)


def _only_against(
    program: ir.Program, against: Collection[str], esc: Callable[[str], str] = str
) -> str:
    """With --against, what the report compares, said in the sections it restricts (a reader
    must not take it for every pair's); else nothing."""
    if not against:
        return ""
    named = "、".join(esc(f"{policy_label(program, i)} [{i}]") for i in sorted(against))
    return f"本报告只比较涉及以下决定的决定对（--against）：{named}"


def _none_compared(against: Collection[str]) -> str:
    """Said where no two decisions are compared (鹿城's alone, or `--against lucheng`), so that
    no reader takes the empty list of cases below for an agreement."""
    who = "所列决定（--against）与其他决定" if against else "任何两个决定"
    return f"{who}都没有共同涉及的共享概念，下文“判定不同的具体案例”因此为空，不表示各地规定一致"


def _not_listed(count: int) -> str:
    return f"可比较的决定共 {count:,} 对，本报告未逐对列出"


def decisions_section(
    program: ir.Program,
    infos: Sequence[DecisionInfo],
    against: Collection[str] = (),
    *,
    listed: bool = True,
) -> Section:
    """Which decisions are compared and why, then the comparable pairs; without `listed`
    (`report.sections(pairwise=False)`), their number instead of the pairs, which grow with
    the square of the jurisdictions."""
    # Without `listed`, their number alone: the pairs are not made (`count_pairs`).
    found = pairs(infos, against) if listed else ()
    count, paired = count_pairs(infos, against)
    elsewhere = count_pairs(infos)[1] if against else paired
    concept_label = {c.name: c.label for c in program.concepts.values()}

    def why(info: DecisionInfo) -> str:
        if info.policy in paired:
            return "其决定规则涉及共享概念：" + "、".join(concept_label[c] for c in info.concepts)
        if info.policy in elsewhere:
            # Every pair with a listed decision on one side is compared where they share a
            # concept: one left out shares none with any of them.
            return (
                "与所列决定（--against）没有共同涉及的共享概念，本报告不作比较（与其他决定可比较）"
            )
        if info.concepts:
            return "涉及的共享概念无其他决定涉及：" + "、".join(
                concept_label[c] for c in info.concepts
            )
        return "其决定规则不涉及任何共享概念（concepts.policy），与其他决定无可比之处，不作比较"

    data: dict[str, object] = {
        "decisions": [
            {
                "policy": i.policy,
                "city": i.city,
                "decision": i.label,
                "concepts": list(i.concepts),
                "compared": i.policy in paired,
                "why": why(i),
                "readings": list(i.readings),
            }
            for i in infos
        ],
    }
    if listed:
        data["pairs"] = [{"a": p.a, "b": p.b, "shared_concepts": list(p.shared)} for p in found]
    else:
        data["pair_count"] = count
    only = _only_against(program, against)
    text = ["两个决定在其决定规则（前提、适用情形、排除情形）涉及同一共享概念时才作比较。"]
    text += [only] if only else []
    for i in infos:
        mark = "比较" if i.policy in paired else "不比较"
        text.append(f"- {policy_label(program, i.policy)} [{i.policy}] {mark}：{why(i)}")
        text += [f"    说明：{r}" for r in i.readings]
    if count and not listed:
        text.append(_not_listed(count))
    else:
        text.append("可比较的决定：" if count else f"可比较的决定：无（{_none_compared(against)}）")
    for p in found if listed else ():
        shared = "、".join(concept_label[c] for c in p.shared)
        text.append(f"- {p.a} ↔ {p.b}：{shared}")

    def markdown(cite: Cite) -> tuple[str, ...]:
        lines = [
            "两个决定在其决定规则（前提、适用情形、排除情形）涉及同一共享概念"
            "（concepts.policy）时才作比较。",
            "",
            *([_only_against(program, against, _esc), ""] if only else []),
            "| 决定 | 是否比较 | 理由 |",
            "| --- | --- | --- |",
        ]
        for i in infos:
            mark = "比较" if i.policy in paired else "不比较"
            notes = "".join(f"<br>说明：{_esc(r)}" for r in i.readings)
            lines.append(
                f"| {_esc(policy_label(program, i.policy))} | {mark} | {_esc(why(i))}{notes} |"
            )
        if not count:
            lines += ["", f"可比较的决定：无（{_none_compared(against)}）。"]
            return tuple(lines)
        if not listed:
            lines += ["", f"{_not_listed(count)}。"]
            return tuple(lines)
        lines += ["", "| 决定 | 决定 | 共同涉及的共享概念 |", "| --- | --- | --- |"]
        for p in found:
            shared = "、".join(concept_label[c] for c in p.shared)
            lines.append(
                f"| {_esc(policy_label(program, p.a))} | {_esc(policy_label(program, p.b))}"
                f" | {_esc(shared)} |"
            )
        return tuple(lines)

    return Section("decisions", "比较哪些决定及理由", data, markdown, tuple(text))


@dataclass(frozen=True)
class Stance:
    policy: str
    rule: ir.Rule
    note: str


def _stances(program: ir.Program, table: Table) -> dict[str, dict[str, list[Stance]]]:
    """concept -> policy -> the rules STATED in the table's cells."""
    out: dict[str, dict[str, list[Stance]]] = {}
    for row in table.rows:
        for cell in row.cells:
            if cell.status is not Status.STATED:
                continue
            policy = program.policies[cell.policy]
            for entry in cell.entries:
                out.setdefault(row.key, {}).setdefault(cell.policy, []).append(
                    Stance(cell.policy, policy.rule(entry.rule), entry.note)
                )
    return out


STANCE_LABELS: Mapping[str, str] = {
    "grants": "给予免责（容错）",
    "requires": "作为前提条件",
    "excludes": "列为排除情形",
    "silent": "未提及",
}


def concepts_section(program: ir.Program, infos: Sequence[DecisionInfo]) -> Section:
    policies = [i.policy for i in infos]
    situations = _stances(program, concept_table(program, Kind.SITUATION))
    exclusions = _stances(program, concept_table(program, Kind.EXCLUSION))
    rows = []
    for concept in program.concepts.values():
        by: dict[str, dict[str, list[Stance]]] = {k: {} for k in STANCE_LABELS}
        for pid in policies:
            granted = situations.get(concept.name, {}).get(pid, [])
            for stance in granted:
                key = "requires" if stance.rule.kind is Kind.GATE else "grants"
                by[key].setdefault(pid, []).append(stance)
            for stance in exclusions.get(concept.name, {}).get(pid, []):
                by["excludes"].setdefault(pid, []).append(stance)
        spoken = {pid for key in ("grants", "requires", "excludes") for pid in by[key]}
        if not spoken:
            continue
        rows.append((concept, by, [p for p in policies if p not in spoken]))

    def stance_json(s: Stance) -> dict[str, object]:
        signs = rule_polarity(program, s.rule)
        return {
            "policy": s.policy,
            "rule": s.rule.name,
            "clause": s.rule.clause.citation,
            "quote": s.rule.clause.quote,
            "note": s.note,
            "reads": sorted(f for f in s.rule.reads if f in signs),
        }

    data = {
        "concepts": [
            {
                "concept": concept.name,
                "label": concept.label,
                **{
                    key: [stance_json(s) for pid in policies for s in by[key].get(pid, [])]
                    for key in ("grants", "requires", "excludes")
                },
                "silent": silent,
            }
            for concept, by, silent in rows
        ]
    }
    text: list[str] = []
    for concept, by, silent in rows:
        text.append(f"{concept.label} [{concept.name}]")
        for key in ("grants", "requires", "excludes"):
            for pid in policies:
                for s in by[key].get(pid, []):
                    note = f"（{s.note}）" if s.note else ""
                    text.append(
                        f"  {STANCE_LABELS[key]}：{policy_label(program, pid)} "
                        f"{s.rule.clause.citation}「{s.rule.clause.quote}」{note}"
                    )
        if silent:
            names = "、".join(policy_label(program, p) for p in silent)
            text.append(f"  未提及：{names}")

    def markdown(cite: Cite) -> tuple[str, ...]:
        lines = [
            "各决定对每个共享概念的态度：给予免责（容错）、作为前提条件、列为排除情形，或未提及；"
            "城市自己的事实经其与共享事实的关系（窄于、宽于、同义）计入。",
            "",
        ]
        for concept, by, silent in rows:
            lines += [f"### {_esc(concept.label)}", ""]
            for key in ("grants", "requires", "excludes"):
                for pid in policies:
                    for s in by[key].get(pid, []):
                        note = f"（{_esc(s.note)}）" if s.note else ""
                        lines.append(
                            f"- {STANCE_LABELS[key]}：{_esc(policy_label(program, pid))} "
                            f"{_cite(cite, program, pid, s.rule.clause)}："
                            f"“{_esc(s.rule.clause.quote)}”{note}"
                        )
            if silent:
                names = "、".join(_esc(policy_label(program, p)) for p in silent)
                lines.append(f"- 未提及：{names}")
            lines.append("")
        return tuple(lines)

    return Section(
        "concepts", "各共享概念：给予、作为前提、排除或未提及", data, markdown, tuple(text)
    )


def own_facts(policy: ir.Policy, facts: Mapping[str, n.Value]) -> dict[str, n.Value]:
    """The facts of a case that a document reads: what its decision is run on."""
    return {k: v for k, v in facts.items() if k in policy.inputs}


def _run_json(program: ir.Program, case: Case, run: Run) -> dict[str, object]:
    policy = program.policies[run.policy]
    return {
        "facts": sorted(own_facts(policy, case.facts)),  # the case's facts it was run on
        "policy": run.policy,
        "outcome": run.outcome,
        "deciding": [
            {"rule": r.name, "clause": r.clause.citation, "quote": r.clause.quote}
            for r in run.rules(program)
        ],
    }


def _witnesses(program: ir.Program, case: Case) -> tuple[Witness, ...]:
    concept = program.concepts[case.concept].label
    out = []
    for run, other in ((case.runs[0], case.runs[1]), (case.runs[1], case.runs[0])):
        policy = program.policies[run.policy]
        givens = tuple(
            Given(name, _literal(program, name, case.facts[name]))
            for name in sorted(case.facts)
            if name in policy.inputs
        )
        title = (
            f"冲突报告（{concept}）：{city(policy)}{OUTCOME_LABELS[run.outcome]}，"
            f"{city(program.policies[other.policy])}{OUTCOME_LABELS[other.outcome]}"
        )
        out.append(
            Witness(
                run.policy,
                f"conflict_{case.id}",
                title,
                givens,
                run.outcome,
                tuple(dict.fromkeys(r.clause.citation for r in run.rules(program))),
            )
        )
    return tuple(out)


def _ordered(case: Case) -> list[str]:
    """The case's facts for a reader: those that make the difference first, then the rest by
    name (the conditions that keep the other rules out)."""
    return [*case.key, *sorted(f for f in case.facts if f not in case.key)]


def pairs_section(program: ir.Program, result: Found, against: Collection[str] = ()) -> Section:
    concept_label = {c.name: c.label for c in program.concepts.values()}
    found = result.cases

    def case_json(case: Case) -> dict[str, object]:
        return {
            "id": case.id,
            "a": case.a,
            "b": case.b,
            "concept": case.concept,
            "rule": case.rule,
            "kind": case.kind,
            "real": case.kind in REAL,
            "facts": facts_json(program, case.facts),
            "runs": [_run_json(program, case, r) for r in case.runs],
            "only_a": list(case.only[0]),
            "only_b": list(case.only[1]),
            "key_facts": list(case.key),
        }

    groups = tuple((title, [c for c in found if c.kind in kinds]) for title, kinds in GROUPS)
    named = sorted({name for c in found for name in c.facts})
    data = {
        "cases": [case_json(c) for c in found],
        "labels": {name: _label(program, name) for name in named},
        "unsettled": [{"a": a, "b": b, "rule": r} for a, b, r in result.unsettled],
    }

    def unsettled_lines() -> list[str]:
        if not result.unsettled:
            return []
        return [
            f"搜索达到上限的规则（{len(result.unsettled)}）：未找到案例的，不能据此认为双方一致；"
            "找到案例而类别（条件不同或措辞不同）未能确定的，列于“类别未能确定”：",
            *(
                f"- {policy_label(program, a)} 的 {program.policies[a].rule(r).clause.citation}"
                f"（{r}） 对 {policy_label(program, b)}"
                for a, b, r in result.unsettled
            ),
        ]

    def head(case: Case) -> str:
        return (
            f"{policy_label(program, case.a)} ↔ {policy_label(program, case.b)}，"
            f"经“{concept_label[case.concept]}”"
        )

    def fact_lines(case: Case) -> list[str]:
        out = []
        for name in _ordered(case):
            who = ""
            if name in case.only[0]:
                who = f"（仅{city(program.policies[case.a])}使用）"
            elif name in case.only[1]:
                who = f"（仅{city(program.policies[case.b])}使用）"
            mark = "*" if name in case.key else " "
            out.append((mark, _label(program, name), _shown(program, name, case.facts[name]), who))
        return [f"{mark} {label}：{value}{who}" for mark, label, value, who in out]

    only = _only_against(program, against)
    text: list[str] = [only] if only else []
    text.append("（* 标出决定差异的关键事实；其余事实使其他规则不成立。）")
    for title, group in groups:
        text.append(f"{title}：{len(group)} 个案例")
        for case in group:
            text.append(f"● {head(case)} — {CLASS_LABELS[case.kind]}")
            text += [f"    {line}" for line in fact_lines(case)]
            for run in case.runs:
                clauses = "、".join(
                    f"{r.clause.citation}「{r.clause.quote}」" for r in run.rules(program)
                )
                text.append(
                    f"    → {policy_label(program, run.policy)}：{OUTCOME_LABELS[run.outcome]}"
                    + (f"，依据 {clauses}" if clauses else "")
                )
    text += unsettled_lines()

    def markdown(cite: Cite) -> tuple[str, ...]:
        lines = [
            "每个案例是双方判定不同的一组最少事实：由求解器找出，并以参考解释器运行双方的决定核实"
            "（测试中亦以生成的验证程序核实）。“真实分歧”指双方都规定了该概念，"
            "且即使把双方对同一共享事实的不同措辞视为一致，仍判定不同；"
            "“类别未能确定”指把这些措辞视为一致的搜索达到上限，差异是否只在措辞未能确定；"
            "“措辞差异”指差异只在于这些措辞（词汇表认定其范围不同），"
            "“一方未提及”指差异只来自一方从未提及的事实：这三类另列于后。"
            "“关键”事实是决定差异的事实；“其余条件”使双方的其他规则不成立"
            "（一方“不属于任何适用情形”须其每一适用情形均不成立）。",
            "",
            *([_only_against(program, against, _esc), ""] if against else []),
        ]
        for title, group in groups:
            lines += [f"### {title}（{len(group)}）", ""]
            for case in group:
                lines += [f"#### {_esc(head(case))}", "", f"{_esc(CLASS_LABELS[case.kind])}", ""]
                lines += ["| 事实 | 取值 | 作用 |", "| --- | --- | --- |"]
                for name in _ordered(case):
                    who = ""
                    if name in case.only[0]:
                        who = f"（仅{city(program.policies[case.a])}使用）"
                    elif name in case.only[1]:
                        who = f"（仅{city(program.policies[case.b])}使用）"
                    lines.append(
                        f"| {_esc(_label(program, name))}{_esc(who)} | "
                        f"{_esc(_shown(program, name, case.facts[name]))} | "
                        f"{'关键' if name in case.key else '其余条件'} |"
                    )
                lines.append("")
                for run in case.runs:
                    clauses = "；".join(
                        f"{_cite(cite, program, run.policy, r.clause)}“{_esc(r.clause.quote)}”"
                        for r in run.rules(program)
                    )
                    lines.append(
                        f"- {_esc(policy_label(program, run.policy))}："
                        f"{OUTCOME_LABELS[run.outcome]}"
                        + (f"，依据 {clauses}" if clauses else "（无适用情形成立）")
                    )
                lines.append("")
        unsettled = unsettled_lines()
        lines += [
            _esc(line) if not line.startswith("- ") else "- " + _esc(line[2:]) for line in unsettled
        ]
        return tuple(lines)

    witnesses = tuple(w for case in found for w in _witnesses(program, case))
    return Section("pairs", "判定不同的具体案例", data, markdown, tuple(text), witnesses)


def sections(
    program: ir.Program,
    steps: Steps = quiet,
    against: Collection[str] = (),
    *,
    found: Found | None = None,
    pairwise: bool = True,
) -> tuple[Section, ...]:
    """The decisions' three sections: which are compared and why, per concept, per pair
    (`steps` hears of the pairs searched: `cases`, unless the cases are `found` already);
    with `against`, only the pairs with one of those policies on a side (`compared`).
    Without `pairwise`, no search and no list of pairs: the first two sections."""
    infos = decision_infos(program)
    head = (
        decisions_section(program, infos, against, listed=pairwise),
        concepts_section(program, infos),
    )
    if not pairwise:
        return head
    if found is None:
        found = cases(program, infos, steps, against)
    return (*head, pairs_section(program, found, against))
