"""`policyc example`: a minimal set of facts under which a clause's rule holds.

Given a clause in the document's numbering, each rule citing it gets an example:

* a situation: facts under which the relief decision is `applies` with it among the deciding
  rules (its condition holds, every gate holds, every exclusion that could defeat it does not);
* an exclusion: facts under which the decision is `excluded` with it among the deciding rules
  (for one that overrides only some situations, one of those holds too and every other is
  false, so that the exclusion really decides);
* a gate: facts under which the gate holds (the decision on them is reported alongside);
* any other rule with `when` or `require`: facts under which both hold (a compliant case).

The search
----------
Conditions are three-valued (docs/language.md, "Meaning").  A goal such as "the situation
holds and every gate holds and no defeating exclusion holds" is unfolded lazily into
*alternatives*: the bool facts (and judgments) with the value each must have, plus the
comparisons that must come out true or false (`x >= 3`, `p in {dibao}`).  `and` combines its
operands' alternatives depth-first, dropping contradictory ones early; `or` tries one operand
at a time, cheapest first (no judgment, then fewest facts); named formulas are expanded.

The comparisons of an alternative are solved one unknown at a time: the candidates are the
boundary values of the comparison (5000 → 5001 for `x > 5000`, 5000 for `x >= 5000`), found
by inverting the arithmetic around the unknown, then a few probe values of its type.  When a
comparison has several unknowns, all but one get probe values first, and the last is solved.
Candidates are only proposals: every one is checked with the reference `Evaluator`, and every
example with `decide` (situations, exclusions, gates) or the `Evaluator` (other kinds), after a
round trip through the JSON that `policyc decide --facts` reads.  Nothing unverified is
returned.

Minimal: each fact whose removal leaves the rule's result unchanged (same outcome, the rule
still among the deciding rules, and for a scoped exclusion the situation it overrides still
holding) is removed, in name order.  Removing facts only loses information and each of these
results is monotone in information, so a fact kept once stays needed: no fact of the example
can be dropped.

An alternative is dropped as soon as the truth values it fixes settle a later operand of the
same `and` against the goal (Kleene logic is monotone), so that a clash is not rediscovered
under every combination of the operands in between.

Judgments are used only when no example without them exists (a first search forbids them,
and is skipped when a part of the goal reads judgments alone: it could not succeed); an
example says which judgments it relies on.  Everything is visited in a fixed order
(document order, declaration order, sorted names), so the same input gives the same output.
The search is bounded (`MAX_STEPS`); a rule without an example within the bound is reported
as such, never guessed.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, assert_never

from compiler import ir
from compiler import nodes as n
from compiler.errors import PolicycError
from compiler.interpret import Evaluator, FactError, Result, Unknown, coerce_facts, decide
from compiler.model import ClauseError
from compiler.runtime.decision import Decision
from compiler.runtime.kinds import DECISION_KINDS, Kind
from compiler.runtime.values import TYPES, FactSpec
from compiler.sources import Clause
from compiler.timelimits import add_months

Facts = dict[str, n.Value]
Accept = Callable[[Mapping[str, n.Value]], bool]
# The decision the checks run: `interpret.decide`, or a caller's remembering it
# (`compiler.conflicts.decisions` runs one decision on the same facts for many pairs).
Decide = Callable[[ir.Program, ir.Policy, Mapping[str, n.Value]], Decision]

# Work allowed per search phase: alternatives unfolded plus candidate values tried.  The
# documents' conditions need a few dozen; the bound only stops a pathological formula.
MAX_STEPS = 20_000
# Named formulas nest; deeper than this is a cycle (the checker does not reject one).
MAX_DEPTH = 64
_UNITS = ("months", "days", "years", "workdays", "hours")


@dataclass(frozen=True)
class Example:
    rule: ir.Rule
    facts: Facts | None  # typed values; None when no example was found
    outcome: str | None  # the decision for decision rules, "holds" for the others
    decided_by: tuple[str, ...] = ()  # the deciding rules of that decision
    uses_judgments: tuple[str, ...] = ()
    note: str | None = None

    @property
    def found(self) -> bool:
        return self.facts is not None


@dataclass(frozen=True)
class ClauseExamples:
    policy: str
    clause: Clause
    examples: tuple[Example, ...]

    @property
    def complete(self) -> bool:
        return all(e.found for e in self.examples)


# ---------------------------------------------------------------- clauses and rules


def rules_at(policy: ir.Policy, citation: str) -> tuple[Clause, list[ir.Rule]]:
    """The clause a citation names and the rules citing exactly it, resolved the way `check`
    resolves citations.  Raises ClauseError saying what was expected."""
    clause = policy.resolve_clause(citation)
    rules = [r for r in policy.rules if r.clause.clause.path == clause.path]
    if not rules:
        raise ClauseError(_no_rule(policy, clause))
    return clause, rules


def _no_rule(policy: ir.Policy, clause: Clause) -> str:
    """Why a clause has no example, and where the rules nearby are."""
    head = f"no rule of {policy.id} cites {clause.citation}"
    for mark in policy.marks:
        path = mark.clause.clause.path
        if mark.status == "pending" and path == clause.path:
            return f"{head}: it is not transcribed yet (pending)"
    for mark in policy.marks:
        path = mark.clause.clause.path
        if mark.status == "informative" and clause.path[: len(path)] == path:
            return f"{head}: it is informative ({mark.reason}) and carries no rule"
    defines = [d.name for d in policy.defines if d.clause.clause.path == clause.path]
    if defines:
        return f"{head}: only the formula {', '.join(defines)} does"
    nearby = _nearby_rule_clauses(policy, clause)
    return (
        f"{head}; rules cite {', '.join(nearby)}" if nearby else f"{head}; no rule cites any clause"
    )


def _nearby_rule_clauses(policy: ir.Policy, clause: Clause, limit: int = 5) -> list[str]:
    """The clauses cited by rules: those inside this clause first, then the nearest in the text."""
    cited: dict[tuple[object, ...], Clause] = {}
    for rule in policy.rules:
        cited.setdefault(rule.clause.clause.path, rule.clause.clause)

    def distance(other: Clause) -> tuple[int, int, int]:
        inside = other.path[: len(clause.path)] == clause.path
        return (0 if inside else 1, abs(other.start - clause.start), other.start)

    return [c.citation for c in sorted(cited.values(), key=distance)[:limit]]


# ---------------------------------------------------------------- examples


def examples_at(model: ir.Program, policy: ir.Policy, citation: str) -> ClauseExamples:
    """An example for every rule citing the clause (ClauseError for a bad clause)."""
    clause, rules = rules_at(policy, citation)
    return ClauseExamples(policy.id, clause, tuple(find_example(model, policy, r) for r in rules))


@dataclass(frozen=True)
class _Target:
    """One way for a rule to get its example: a goal to satisfy and the check it must pass."""

    goal: n.Expr
    accept: Accept


def find_example(model: ir.Program, policy: ir.Policy, rule: ir.Rule) -> Example:
    """A minimal, verified example for one rule, or an Example saying none was found."""
    targets = _targets(model, policy, rule)
    if targets is None:
        return Example(rule, {}, "holds", note="no condition: the rule holds whatever the facts")
    reasons: list[str] = []
    for target in targets:
        solution = solve(model, target.goal, target.accept)
        if solution.facts is not None and _survives_json(model, solution.facts, target.accept):
            return _described(model, policy, rule, solution.facts)
        reasons.append(solution.reason)
    bounded = any("bound" in r for r in reasons)
    reason = "the search bound was reached" if bounded else "no alternative could be satisfied"
    return Example(rule, None, None, note=f"no example found: {reason}")


def _survives_json(model: ir.Program, facts: Facts, accept: Accept) -> bool:
    """The example as `policyc decide --facts` will read it must still pass."""
    try:
        return accept(coerce_facts(model, facts_json(model, facts)))
    except FactError:
        return False


def _described(model: ir.Program, policy: ir.Policy, rule: ir.Rule, facts: Facts) -> Example:
    judgments = tuple(sorted(name for name in facts if name in model.judgments))
    if rule.kind not in DECISION_KINDS:
        return Example(rule, facts, "holds", (), judgments)
    decision = decide(model, policy, facts)
    decided_by = tuple(s.rule.name for s in decision.decisive)
    note = None
    if rule.kind is Kind.GATE:
        note = f"the gate holds; with only these facts the decision is {decision.outcome}"
    return Example(rule, facts, decision.outcome, decided_by, judgments, note)


def _targets(program: ir.Program, policy: ir.Policy, rule: ir.Rule) -> list[_Target] | None:
    """What the example of `rule` must achieve; None when the rule has no condition at all."""
    if rule.kind is Kind.SITUATION:
        return [_situation_target(program, policy, rule)]
    if rule.kind is Kind.EXCLUSION:
        return _exclusion_targets(program, policy, rule)
    if rule.kind is Kind.GATE:
        return [_gate_target(program, policy, rule)]
    conditions = list(rule.conditions)
    if not conditions:
        return None

    def holds(facts: Mapping[str, n.Value]) -> bool:
        evaluator = Evaluator(program, facts)
        return all(_safe_eval(evaluator, c) is True for c in conditions)

    return [_Target(_all_of(conditions), holds)]


def rule_goals(
    program: ir.Program, policy: ir.Policy, rule: ir.Rule
) -> list[tuple[n.Expr, Accept]] | None:
    """The goals an example of `rule` must reach, each with the check it must pass (None: the
    rule has no condition): for other analyses that look for cases where a rule decides (the
    diff's witnesses, `compiler.diff.behaviour`), so that "the rule decides" means one thing."""
    targets = _targets(program, policy, rule)
    return None if targets is None else [(t.goal, t.accept) for t in targets]


def _situation_target(
    program: ir.Program, policy: ir.Policy, rule: ir.Rule, decider: Decide = decide
) -> _Target:
    # Unknown facts leave the decision undetermined, so the gates must be known to hold and
    # every exclusion that could defeat the situation known not to.
    parts = [_condition(rule), *(_condition(g) for g in policy.of_kind(Kind.GATE))]
    parts += [
        n.Not(_condition(e), SYNTHETIC)
        for e in policy.of_kind(Kind.EXCLUSION)
        if policy.defeats(e.name, rule.name)
    ]
    return _Target(_all_of(parts), _decides(program, policy, rule, "applies", decider))


def _exclusion_targets(
    program: ir.Program, policy: ir.Policy, rule: ir.Rule, decider: Decide = decide
) -> list[_Target]:
    situations = policy.of_kind(Kind.SITUATION)
    if rule.overrides_all:
        return [_Target(_condition(rule), _decides(program, policy, rule, "excluded", decider))]
    # A scoped exclusion excludes once no situation it leaves alone can hold.  The example
    # also has a situation it overrides hold, so that it visibly takes relief away; that
    # situation is then part of what the example must keep when it is made minimal.
    defeated = [s for s in situations if policy.defeats(rule.name, s.name)]
    others = [n.Not(_condition(s), SYNTHETIC) for s in situations if s not in defeated]
    return [
        _Target(
            _all_of([_condition(rule), _condition(s), *others]),
            _excludes_over(program, policy, rule, s, decider),
        )
        for s in defeated
    ]


def _excludes_over(
    program: ir.Program,
    policy: ir.Policy,
    rule: ir.Rule,
    situation: ir.Rule,
    decider: Decide = decide,
) -> Accept:
    decides = _decides(program, policy, rule, "excluded", decider)

    def accept(facts: Mapping[str, n.Value]) -> bool:
        statuses = decider(program, policy, facts).rules
        overridden = any(
            s.rule.name == situation.name and s.value is True and rule.name in s.overridden_by
            for s in statuses
        )
        return overridden and decides(facts)

    return accept


def _gate_target(program: ir.Program, policy: ir.Policy, rule: ir.Rule) -> _Target:
    def holds(facts: Mapping[str, n.Value]) -> bool:
        statuses = decide(program, policy, facts).rules
        return any(s.rule.name == rule.name and s.value is True for s in statuses)

    return _Target(_condition(rule), holds)


def _decides(
    program: ir.Program, policy: ir.Policy, rule: ir.Rule, outcome: str, decider: Decide = decide
) -> Accept:
    def accept(facts: Mapping[str, n.Value]) -> bool:
        decision = decider(program, policy, facts)
        return decision.outcome == outcome and any(
            s.rule.name == rule.name for s in decision.decisive
        )

    return accept


# Goals are expressions the solver builds, not written anywhere: they point at no file.
SYNTHETIC = n.Span("<example goal>", 0, 0, 0, 0)


def _condition(rule: ir.Rule) -> n.Expr:
    return rule.when if rule.when is not None else n.Literal(True, n.TypeRef("bool"), SYNTHETIC)


def _all_of(parts: list[n.Expr]) -> n.Expr:
    return parts[0] if len(parts) == 1 else n.BoolOp("and", tuple(parts), SYNTHETIC)


def _safe_eval(evaluator: Evaluator, expr: n.Expr) -> Result | None:
    """The value of an expression, or None when evaluating it fails (division by zero …)."""
    try:
        return evaluator.eval(expr)
    except (ValueError, ArithmeticError, RecursionError):
        return None


# ---------------------------------------------------------------- the solver


@dataclass(frozen=True)
class Solution:
    facts: Facts | None  # minimal and accepted; None when none was found
    reason: str = ""  # why none was found


class _BudgetSpent(PolicycError):
    """The search reached MAX_STEPS."""


def solve(model: ir.Program, goal: n.Expr, accept: Accept, max_steps: int = MAX_STEPS) -> Solution:
    """Minimal facts making `goal` true that `accept` accepts; judgments only if needed."""
    bounded = False
    phases = (True,) if _needs_judgment(model, goal) else (False, True)
    for allow_judgments in phases:
        search = _Search(model, allow_judgments, max_steps)
        try:
            found = search.first(goal, accept)
        except _BudgetSpent:
            bounded = True
            continue
        if found is not None:
            return Solution(minimize(found, accept))
    return Solution(None, "the search bound was reached" if bounded else "search exhausted")


def _needs_judgment(model: ir.Program, goal: n.Expr) -> bool:
    """Can the goal come out true only with a judgment (a top-level part reading judgments
    alone, not true as it stands)?  Then a search forbidding judgments cannot succeed, and
    is skipped: on a decision with a judgment gate (宁波 无重大不良影响) it would run to its end
    for nothing."""
    parts = goal.operands if isinstance(goal, n.BoolOp) and goal.op == "and" else (goal,)
    for part in parts:
        names = model.inputs_of(part)
        only_judgments = bool(names) and all(x in model.judgments for x in names)
        if only_judgments and _safe_eval(Evaluator(model, {}), part) is not True:
            return True
    return False


def minimize(facts: Facts, accept: Accept) -> Facts:
    """Drop, in name order, every fact that `accept` does not need."""
    current = dict(facts)
    changed = True
    while changed:  # one pass suffices for monotone checks; the loop guards the others
        changed = False
        for name in sorted(current):
            trial = {k: v for k, v in current.items() if k != name}
            if accept(trial):
                current, changed = trial, True
    return current


@dataclass(frozen=True)
class _Partial:
    """An alternative under construction: bool facts fixed so far, comparisons still to solve."""

    bools: Mapping[str, bool] = field(default_factory=dict)
    atoms: tuple[tuple[n.Expr, bool], ...] = ()

    def with_bool(self, name: str, value: bool) -> _Partial:
        return _Partial({**self.bools, name: value}, self.atoms)

    def with_atom(self, expr: n.Expr, want: bool) -> _Partial:
        return _Partial(self.bools, (*self.atoms, (expr, want)))


@dataclass(frozen=True)
class _Open:
    """A comparison not yet decided, and its unknowns in order of appearance."""

    expr: n.Expr
    want: bool
    unknowns: tuple[str, ...]


class _Search:
    def __init__(self, model: ir.Program, allow_judgments: bool, max_steps: int) -> None:
        self.model = model
        self.allow_judgments = allow_judgments
        self.steps_left = max_steps
        # The cost of an `or` operand, by identity: the same operands are ranked again at
        # every alternative (the expressions outlive the search, so ids are not reused).
        self._costs: dict[int, tuple[bool, int]] = {}
        # Per `and` (by identity): which operands read each input.
        self._read: dict[int, Mapping[str, tuple[int, ...]]] = {}

    def _tick(self) -> None:
        self.steps_left -= 1
        if self.steps_left < 0:
            raise _BudgetSpent

    def first(self, goal: n.Expr, accept: Accept) -> Facts | None:
        for partial in self.alternatives(goal, True, _Partial(), 0):
            facts = self.assign(partial.atoms, dict(partial.bools))
            if facts is not None:
                self._tick()
                if accept(facts):
                    return facts
        return None

    # ------------------------------------------------------------ boolean structure

    def alternatives(
        self, expr: n.Expr, want: bool, partial: _Partial, depth: int
    ) -> Iterator[_Partial]:
        """Every way (lazily, preferred first) to make `expr` come out `want`."""
        self._tick()
        if depth > MAX_DEPTH:
            return
        match expr:
            case n.Literal():
                if expr.value is want:
                    yield partial
            case n.Name():
                yield from self._name(expr.name, want, partial, depth)
            case n.Not():
                yield from self.alternatives(expr.operand, not want, partial, depth + 1)
            case n.BoolOp():
                # `and` true / `or` false: every operand; `and` false / `or` true: any one.
                # Either way each operand must come out `want`.
                if (expr.op == "and") == want:
                    yield from self._every(expr.operands, want, partial, depth + 1)
                else:
                    for operand in self._cheapest_first(expr.operands):
                        yield from self.alternatives(operand, want, partial, depth + 1)
            case n.Conditional():
                for branch_taken in (True, False):
                    branch = expr.then if branch_taken else expr.otherwise
                    for chosen in self.alternatives(expr.condition, branch_taken, partial, depth):
                        yield from self.alternatives(branch, want, chosen, depth + 1)
            case n.Compare() | n.InSet() | n.Call() | n.Arith():
                # A comparison, `in`, or a function: solved with values later.
                yield partial.with_atom(expr, want)
            case _:
                assert_never(expr)

    def _name(self, name: str, want: bool, partial: _Partial, depth: int) -> Iterator[_Partial]:
        if name in self.model.defines:
            yield from self.alternatives(self.model.defines[name].expr, want, partial, depth + 1)
            return
        if not self._assignable(name):
            return
        known = partial.bools.get(name)
        if known is None:
            yield partial.with_bool(name, want)
        elif known is want:
            yield partial

    def _every(
        self,
        operands: tuple[n.Expr, ...],
        want: bool,
        partial: _Partial,
        depth: int,
        start: int = 0,
    ) -> Iterator[_Partial]:
        """Every way to make each of `operands[start:]` come out `want`."""
        if start == len(operands):
            yield partial
            return
        for first in self.alternatives(operands[start], want, partial, depth):
            fixed = first.bools.keys() - partial.bools.keys()
            if fixed and self._settled_otherwise(operands, start + 1, want, first, fixed):
                continue
            yield from self._every(operands, want, first, depth, start + 1)

    def _settled_otherwise(
        self,
        operands: tuple[n.Expr, ...],
        start: int,
        want: bool,
        partial: _Partial,
        fixed: Iterable[str],
    ) -> bool:
        """Has an operand still to satisfy (`operands[start:]`) just been decided against
        `want` by the truth values `fixed` by the operand before it?  Then that alternative is
        dropped at once, instead of trying every combination of the operands between before
        the clash shows (Kleene logic is monotone: a value known from some facts stays known
        with more).  Only the operands reading a fixed name are evaluated."""
        index = self._index(operands)
        later = sorted({i for name in fixed for i in index.get(name, ()) if i >= start})
        if not later:
            return False
        evaluator = Evaluator(self.model, partial.bools)
        for position in later:
            value = _safe_eval(evaluator, operands[position])
            if isinstance(value, bool) and value is not want:
                return True
        return False

    def _index(self, operands: tuple[n.Expr, ...]) -> Mapping[str, tuple[int, ...]]:
        """Input name -> the positions of the operands reading it (built once per `and`)."""
        found = self._read.get(id(operands))
        if found is None:
            positions: dict[str, list[int]] = {}
            for position, operand in enumerate(operands):
                for name in self.model.inputs_of(operand):
                    positions.setdefault(name, []).append(position)
            found = {name: tuple(p) for name, p in positions.items()}
            self._read[id(operands)] = found
        return found

    def _cheapest_first(self, operands: tuple[n.Expr, ...]) -> list[n.Expr]:
        def cost(operand: n.Expr) -> tuple[bool, int]:
            found = self._costs.get(id(operand))
            if found is None:
                names = self.model.inputs_of(operand)
                found = (any(x in self.model.judgments for x in names), len(names))
                self._costs[id(operand)] = found
            return found

        return sorted(operands, key=cost)  # stable: ties keep the document's order

    def _assignable(self, name: str) -> bool:
        if name in self.model.judgments:
            return self.allow_judgments
        return name in self.model.facts

    # ------------------------------------------------------------ values

    def assign(self, atoms: tuple[tuple[n.Expr, bool], ...], facts: Facts) -> Facts | None:
        """Extend `facts` so that every comparison comes out as wanted (backtracking)."""
        self._tick()
        evaluator = Evaluator(self.model, facts)
        open_atoms: list[_Open] = []
        for expr, want in atoms:
            value = _safe_eval(evaluator, expr)
            if isinstance(value, Unknown):
                order = [x for x in self.model.inputs_of(expr) if x in value.needs]
                order += sorted(value.needs - set(order))
                open_atoms.append(_Open(expr, want, tuple(order)))
            elif value is not want:
                return None
        if not open_atoms:
            return facts
        name, candidates = self._next_unknown(open_atoms, facts)
        if name is None:
            return None
        for candidate in candidates:
            found = self.assign(atoms, {**facts, name: candidate})
            if found is not None:
                return found
        return None

    def _next_unknown(
        self, open_atoms: list[_Open], facts: Facts
    ) -> tuple[str | None, list[n.Value]]:
        """The unknown to fix next and its candidate values, most promising first."""
        single = next((a for a in open_atoms if len(a.unknowns) == 1), None)
        if single is None:
            # Several unknowns in every comparison: give probe values to all but one, the
            # first to appear (usually the quantity the clause is about), which is solved last.
            name = open_atoms[0].unknowns[-1]
            roots: list[n.Value] = []
        else:
            name = single.unknowns[0]
            roots = [
                root
                for atom in open_atoms
                if atom.unknowns == (name,)
                for root in self._roots(atom.expr, name, facts)
            ]
        if not self._assignable(name):
            return None, []
        type_ = self._type(name)
        around = [value for root in roots for value in _around(root, type_)]
        return name, self._fitting(type_, [*around, *self._probes(type_)])

    def _type(self, name: str) -> n.TypeRef:
        decl = self.model.facts.get(name)
        return decl.type if decl is not None else n.TypeRef("bool")

    def _probes(self, type_: n.TypeRef) -> list[n.Value]:
        if type_.name == "enum":
            return list(self.model.members(type_.enum or ""))
        return list(_PROBES.get(type_.name, ()))

    def _fitting(self, type_: n.TypeRef, values: Iterable[n.Value]) -> list[n.Value]:
        """Distinct values (first occurrence kept) that `policyc decide --facts` accepts."""
        kept: list[n.Value] = []
        for value in values:
            if _fits(value, type_, self.model) and not any(_same(value, k) for k in kept):
                kept.append(value)
        return kept

    def _roots(self, atom: n.Expr, name: str, facts: Facts) -> list[n.Value]:
        """Values of `name` at which the comparison's two sides meet (its boundary)."""
        evaluator = Evaluator(self.model, facts)
        match atom:
            case n.Compare():
                left, right = _safe_eval(evaluator, atom.left), _safe_eval(evaluator, atom.right)
                if _depends(left, name) and (known := _value_of(right)) is not None:
                    return self._invert(atom.left, name, known, facts, 0)
                if _depends(right, name) and (known := _value_of(left)) is not None:
                    return self._invert(atom.right, name, known, facts, 0)
            case n.InSet():
                return [
                    root
                    for member in atom.members
                    for root in self._invert(atom.operand, name, member, facts, 0)
                ]
            case n.Literal() | n.Name() | n.Not() | n.BoolOp() | n.Arith() | n.Call():
                pass  # not a comparison: no boundary of its own
            case n.Conditional():
                pass
            case _:
                assert_never(atom)
        return []

    def _invert(
        self, expr: n.Expr, name: str, target: n.Value, facts: Facts, depth: int
    ) -> list[n.Value]:
        """Values of `name` making `expr` equal `target` (candidates, checked later)."""
        if depth > MAX_DEPTH:
            return []
        evaluator = Evaluator(self.model, facts)
        match expr:
            case n.Name():
                if expr.name == name:
                    return [target]
                if expr.name in self.model.defines:
                    define = self.model.defines[expr.name].expr
                    return self._invert(define, name, target, facts, depth + 1)
            case n.Arith():
                left, right = _safe_eval(evaluator, expr.left), _safe_eval(evaluator, expr.right)
                if _depends(left, name) and (known := _value_of(right)) is not None:
                    inner, side = _undo_left(expr.op, target, known), expr.left
                elif _depends(right, name) and (known := _value_of(left)) is not None:
                    inner, side = _undo_right(expr.op, target, known), expr.right
                else:  # the unknown on both sides: leave it to the probes
                    return []
                return [] if inner is None else self._invert(side, name, inner, facts, depth + 1)
            case n.Call():
                return self._invert_call(expr, name, target, facts, depth)
            case n.Conditional():
                condition = _safe_eval(evaluator, expr.condition)
                if isinstance(condition, bool):
                    branch = expr.then if condition else expr.otherwise
                    return self._invert(branch, name, target, facts, depth + 1)
                # The unknown may choose the branch: the condition's boundary switches it
                # (`if count < 50000 then 4 else 6` >= 5 needs count = 50000).
                branches = [expr.then, expr.otherwise]
                return [
                    *(r for b in branches for r in self._invert(b, name, target, facts, depth + 1)),
                    *self._boundaries(expr.condition, name, facts, depth + 1),
                ]
            case n.Literal() | n.Not() | n.BoolOp() | n.Compare() | n.InSet():
                pass  # a constant, or a truth value: no number of `name` makes it `target`
            case _:
                assert_never(expr)
        return []

    def _boundaries(self, condition: n.Expr, name: str, facts: Facts, depth: int) -> list[n.Value]:
        """The boundary values of `name` in the comparisons of a condition."""
        if depth > MAX_DEPTH:
            return []
        match condition:
            case n.Not():
                return self._boundaries(condition.operand, name, facts, depth + 1)
            case n.BoolOp():
                return [
                    r
                    for o in condition.operands
                    for r in self._boundaries(o, name, facts, depth + 1)
                ]
            case n.Name():
                define = self.model.defines.get(condition.name)
                if define is not None:
                    return self._boundaries(define.expr, name, facts, depth + 1)
            case n.Compare() | n.InSet():
                return self._roots(condition, name, facts)
            case n.Literal() | n.Arith() | n.Call() | n.Conditional():
                pass  # not a truth value built of comparisons
            case _:
                assert_never(condition)
        return []

    def _invert_call(
        self, call: n.Call, name: str, target: n.Value, facts: Facts, depth: int
    ) -> list[n.Value]:
        if call.function in ("min", "max"):
            # The extreme equals the target when the argument holding the unknown does.
            return [r for a in call.args for r in self._invert(a, name, target, facts, depth + 1)]
        if call.function == "day_of_month" and isinstance(target, Decimal) and call.args:
            day = int(target) if target == target.to_integral_value() else 0
            if 1 <= day <= 31:  # January has every day of the month
                return self._invert(call.args[0], name, date(2024, 1, day), facts, depth + 1)
        if (
            call.function == "inclusive_days"
            and isinstance(target, Decimal)
            and len(call.args) == 2
        ):
            if target != target.to_integral_value():
                return []
            # first + (target - 1) days == last: both ends count.
            span = timedelta(days=int(target) - 1)
            evaluator = Evaluator(self.model, facts)
            first, last = (_safe_eval(evaluator, a) for a in call.args)
            if _depends(last, name) and isinstance(known := _value_of(first), date):
                return self._invert(call.args[1], name, known + span, facts, depth + 1)
            if _depends(first, name) and isinstance(known := _value_of(last), date):
                return self._invert(call.args[0], name, known - span, facts, depth + 1)
        return []


def _depends(value: Result | None, name: str) -> bool:
    return isinstance(value, Unknown) and name in value.needs


def _value_of(result: Result | None) -> n.Value | None:
    """A known value; None for an unknown one or a failed evaluation."""
    return None if result is None or isinstance(result, Unknown) else result


# ---------------------------------------------------------------- arithmetic on witnesses


def _undo_left(op: str, target: n.Value, known: n.Value) -> n.Value | None:
    """x such that `x op known == target`."""
    inverse = {"+": "-", "-": "+", "*": "/", "/": "*"}[op]
    return _combine(inverse, target, known)


def _undo_right(op: str, target: n.Value, known: n.Value) -> n.Value | None:
    """x such that `known op x == target`."""
    if op in ("+", "*"):
        return _combine("-" if op == "+" else "/", target, known)
    return _combine(op, known, target)  # known - target, known / target


def _combine(op: str, a: n.Value, b: n.Value) -> n.Value | None:
    """`a op b` for the values a witness can be made of; None when it has no meaning."""
    try:
        if isinstance(a, Decimal) and isinstance(b, Decimal):
            return _decimal_op(op, a, b)
        if isinstance(a, date) and isinstance(b, n.Duration) and op in "+-":
            sign = 1 if op == "+" else -1
            if b.unit == "days":
                return a + timedelta(days=sign * b.amount)
            if b.unit in ("months", "years"):
                return add_months(a, sign * b.amount * (12 if b.unit == "years" else 1))
            return None
        if isinstance(a, date) and isinstance(b, date) and op == "-":
            return n.Duration((a - b).days, "days")
        if (
            isinstance(a, n.Duration)
            and isinstance(b, n.Duration)
            and a.unit == b.unit
            and op in "+-"
        ):
            return n.Duration(a.amount + b.amount * (1 if op == "+" else -1), a.unit)
    except (ArithmeticError, ValueError):
        return None
    return None


def _decimal_op(op: str, a: Decimal, b: Decimal) -> Decimal | None:
    match op:
        case "+":
            return a + b
        case "-":
            return a - b
        case "*":
            return a * b
        case _:
            return a / b if b != 0 else None


# Witness grid and step of each numeric type: whole numbers, fen, hundredths of a percent.
_GRID: dict[str, tuple[Decimal, Decimal]] = {
    "int": (Decimal(1), Decimal(1)),
    "money": (Decimal("0.01"), Decimal(1)),
    "ratio": (Decimal("0.0001"), Decimal("0.01")),
}
# Values to try when inversion gives none; 1 first, so that a divisor is never zero.
_PROBES: dict[str, tuple[n.Value, ...]] = {
    "bool": (True, False),
    "int": tuple(Decimal(v) for v in (1, 0, 2, 3, 10, 100, 1000, -1)),
    "money": tuple(Decimal(v) for v in (1, 0, 100, 1000, 10000, -1)),
    "ratio": tuple(Decimal(v) for v in ("0.5", "0", "1", "0.01")),
    "date": (date(2024, 1, 1), date(2024, 12, 31), date(2000, 1, 1), date(2030, 12, 31)),
    "duration": tuple(n.Duration(a, u) for u in _UNITS for a in (1, 0, 3, 12)),
    "text": ("", "其他"),
}


def _around(root: n.Value, type_: n.TypeRef) -> list[n.Value]:
    """The boundary value and its neighbours on the type's grid: r, r + step, r - step."""
    kind = type_.name
    if kind in _GRID and isinstance(root, Decimal) and root.is_finite():
        grid, step = _GRID[kind]
        try:
            below = (root / grid).to_integral_value(ROUND_FLOOR) * grid
            above = (root / grid).to_integral_value(ROUND_CEILING) * grid
        except ArithmeticError:
            return []
        nearest = [below] if below == above else [below, above]
        return [*nearest, above + step, below - step]
    if kind == "date" and isinstance(root, date):
        around: list[n.Value] = [root]
        for days in (1, -1):
            with contextlib.suppress(OverflowError):  # 9999-12-31 has no next day
                around.append(root + timedelta(days=days))
        return around
    if kind == "duration" and isinstance(root, n.Duration):
        return [
            root,
            n.Duration(root.amount + 1, root.unit),
            n.Duration(root.amount - 1, root.unit),
        ]
    if kind == "bool" and isinstance(root, bool):
        return [root, not root]
    if kind in ("text", "enum") and isinstance(root, str):
        return [root]
    return []


def _fits(value: n.Value, type_: n.TypeRef, program: ir.Program) -> bool:
    """Is `value` one that the fact's type allows and its JSON form can carry?"""
    members = program.members(type_.enum or "") if type_.name == "enum" else ()
    spec = FactSpec("", type_.name, "", members)
    return TYPES[type_.name].admits(spec, value)


def _same(a: n.Value, b: n.Value) -> bool:
    # True == Decimal(1) in Python; a bool and a number are never the same witness.
    return type(a) is type(b) and a == b


# ---------------------------------------------------------------- JSON


def fact_json(model: ir.Program, name: str, value: n.Value) -> Any:
    """A typed fact as the JSON value `coerce_fact` reads back to the same value."""
    kind = model.facts[name].type.name if name in model.facts else "bool"
    if isinstance(value, bool) or kind in ("text", "enum"):
        return value
    if isinstance(value, Decimal):
        if kind == "ratio":
            return f"{_plain(value * 100)}%"
        if value == value.to_integral_value():
            return int(value)
        return _plain(value)  # a string keeps every digit, a float would not
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, n.Duration):
        return f"{value.amount} {value.unit}"
    return value


def _plain(number: Decimal) -> str:
    # normalize() alone would write 100 as 1E+2.
    return format(number.normalize(), "f")


def facts_json(model: ir.Program, facts: Mapping[str, n.Value]) -> dict[str, Any]:
    return {name: fact_json(model, name, facts[name]) for name in sorted(facts)}


def examples_json(model: ir.Program, result: ClauseExamples) -> dict[str, Any]:
    """The stable JSON of `policyc example --json`."""
    return {
        "policy": result.policy,
        "clause": result.clause.citation,
        "examples": [
            {
                "rule": e.rule.name,
                "kind": e.rule.kind,
                "clause": e.rule.clause.written,
                "facts": None if e.facts is None else facts_json(model, e.facts),
                "outcome": e.outcome,
                "decided_by": list(e.decided_by),
                "uses_judgments": list(e.uses_judgments),
                "note": e.note,
            }
            for e in result.examples
        ],
    }


# ---------------------------------------------------------------- text


def format_examples(model: ir.Program, result: ClauseExamples) -> str:
    """The readable output of `policyc example`: each rule's facts with their labels."""
    count = len(result.examples)
    lines = [f"{result.policy} {result.clause.citation}: {count} rule{'s' if count != 1 else ''}"]
    for example in result.examples:
        lines += ["", *_example_lines(model, example)]
    return "\n".join(lines) + "\n"


def _example_lines(model: ir.Program, example: Example) -> list[str]:
    rule = example.rule
    head = f"{rule.kind} {rule.name} ({rule.clause.written})"
    if example.facts is None:
        return [f"{head}: {example.note}"]
    lines = [f"{head} → {example.outcome}"]
    if example.decided_by:
        lines.append(f"  decided by: {', '.join(example.decided_by)}")
    if example.note:
        lines.append(f"  note: {example.note}")
    shown = facts_json(model, example.facts)
    pairs = [f"{name} = {json.dumps(value, ensure_ascii=False)}" for name, value in shown.items()]
    width = max((len(p) for p in pairs), default=0)
    lines.append("  facts:" if pairs else "  facts: none needed")
    for pair, name in zip(pairs, shown, strict=True):
        lines.append(f"    {pair.ljust(width)}  {_label(model, name)}")
    if example.uses_judgments:
        lines.append(
            "  uses judgments (a person must answer them): " + ", ".join(example.uses_judgments)
        )
    return lines


def _label(model: ir.Program, name: str) -> str:
    if name in model.judgments:
        return f"{model.judgments[name].label} [judgment]"
    return model.facts[name].label


# ---------------------------------------------------------------- for other analyses

# The goals above, combined across two policies by the conflict report
# (compiler/conflicts/decisions.py): one search machinery, not a second solver.
Target = _Target
situation_target = _situation_target
exclusion_targets = _exclusion_targets
condition = _condition
all_of = _all_of
