"""The lowered model: what a checked policy says, in one typed, frozen form for every backend.

`compiler.lower` builds a `Program` from the checked `Model`; from there on nothing reads the
AST's statements or items again.  The interpreter, the rule graph, coverage, the example solver,
the policy tests and every backend (the Python validators today; JavaScript, SQL and the site
next) read this layer, so each fact about a policy is derived once, here:

- each rule's kind and role (`compiler.runtime.kinds`), its clause resolved in the official
  text with its verified quotes, its conditions (`when`, `require`) as expressions, and the
  facts and judgments those read, through named definitions;
- precedence as explicit edges (`Override`): `overrides all` is expanded to every situation;
- every time limit (a deadline's, a procedure's, a step's) as one `Limit` with its amount,
  unit, extension, excluded period and the date facts it runs between;
- procedure steps in order, with their actors, task, condition and limit.

Expressions are the AST's (`compiler.nodes.Expr`, position-carrying, printable by
`compiler.exprtext`); a `Name` in them is resolved by the `Program`: a fact or judgment (an
input), a definition (`Program.defines`, referenced by name and never inlined, so that a
formula is computed and shown once), or otherwise an enum member.

`format_program` prints the whole layer (`policyc dump --ir`); its output is snapshot-tested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date

from compiler import nodes as n
from compiler.exprtext import limit_text, to_text
from compiler.model import ClauseError
from compiler.runtime.kinds import ROLES, Kind, Role
from compiler.runtime.values import Duration, FactSpec
from compiler.sources import CitationSyntaxError, Clause, SourceDocument

# ---------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Related:
    """A fact's relation to a shared (concept) fact whose words differ (`nodes.Relation`):
    what lines up one city's fact with another's in a comparison."""

    relation: n.Relation
    shared: str  # the concept fact

    def __str__(self) -> str:
        return f"{self.relation} {self.shared}"


@dataclass(frozen=True)
class Input:
    """A fact a case supplies, or a judgment only a person can make (a yes/no question)."""

    name: str
    type: n.TypeRef
    label: str
    judgment: bool = False
    concept: str | None = None
    refers: str | None = None  # a judgment's rule outside the document
    members: tuple[str, ...] = ()  # an enum fact's allowed values
    related: Related | None = None  # a city fact's relation to a shared fact

    def spec(self) -> FactSpec:
        """The fact as the runtime describes it (coercion, schema, labels)."""
        return FactSpec(
            self.name, self.type.name, self.label, self.members, self.judgment, self.refers
        )


@dataclass(frozen=True)
class EnumMember:
    name: str
    label: str


@dataclass(frozen=True)
class Enum:
    name: str
    label: str
    members: tuple[EnumMember, ...]

    def member(self, name: str) -> EnumMember | None:
        return next((m for m in self.members if m.name == name), None)


@dataclass(frozen=True)
class Concept:
    name: str
    label: str
    facts: tuple[str, ...]  # the shared facts, declared in the concept
    # The facts outside the concept related to its facts (`Input.related`), in declaration
    # order: the cities' own wordings, which a comparison lines up with the shared facts.
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class Actor:
    name: str
    label: str
    part_of: str | None


@dataclass(frozen=True)
class ClauseRef:
    """A citation resolved in the official text, with the quotes verified against it."""

    written: str  # as the policy file writes it: "三、(十三)"
    clause: Clause  # the clause it names; `clause.citation` is the document's numbering
    quotes: tuple[str, ...]

    @property
    def citation(self) -> str:
        return self.clause.citation

    @property
    def quote(self) -> str:
        return " … ".join(self.quotes)


@dataclass(frozen=True)
class Define:
    """A named formula (a cap, a quota) with its clause; read wherever its name appears."""

    name: str
    type: n.TypeRef
    policy: str
    clause: ClauseRef
    expr: n.Expr
    reads: tuple[str, ...]  # the inputs it reads, through other definitions, sorted


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Extension:
    amount: Duration
    when: n.Expr


@dataclass(frozen=True)
class Limit:
    """A time limit: a deadline's, a procedure's overall one, or a step's."""

    name: str  # the statement's name, or the step's
    rule: str  # the statement it belongs to
    step: str | None  # the step, for a step's limit
    clause: ClauseRef
    label: str  # the step's label, else the task, else the rule's name
    amount: Duration
    start: str | None  # date facts: the event the limit counts from …
    end: str | None  # … and the one that must come in time
    excluding: str | None  # a period not counted (public_notice: 不含公示期)
    excluded_from: str | None  # the date facts bounding that period on a record
    excluded_until: str | None
    when: n.Expr | None  # the limit binds only when this holds
    extend: Extension | None
    reads: tuple[str, ...]  # every input it needs: its dates and its conditions' facts, sorted
    # Why a last day on a 法定休假日 stays (`no rollover "…"`); None: it moves if the unit does.
    no_rollover: str | None = None

    @property
    def dates(self) -> tuple[str, ...]:
        names = (self.start, self.end, self.excluded_from, self.excluded_until)
        return tuple(x for x in names if x is not None)


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    order: int  # from 1
    actors: tuple[str, ...]
    task: str | None
    when: n.Expr | None
    limit: Limit | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Override:
    """Precedence: an exclusion that holds defeats this situation."""

    exclusion: str
    target: str
    all: bool  # from `overrides all`


@dataclass(frozen=True)
class Every:
    period: str  # month | quarter | half_year | year
    by_day: int | None


@dataclass(frozen=True)
class Covers:
    dimension: str  # staff | programmes | places | by_reference
    names: tuple[str, ...]
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Field:
    name: str
    type: n.TypeRef
    label: str


@dataclass(frozen=True)
class Rule:
    """A statement, lowered: one clause's rule of any kind."""

    name: str
    kind: Kind
    clause: ClauseRef
    file: str  # where the policy file states it
    line: int
    when: n.Expr | None = None
    require: n.Expr | None = None
    # An exclusion's targets: the situations it names; `overrides_all` for every one.
    overrides: tuple[str, ...] = ()
    overrides_all: bool = False
    # A situation's `excuses`: the liabilities of its policy whose failing it excuses; empty:
    # it relieves the whole decision (docs/language.md, "What relief covers").
    excuses: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()  # the inputs of `when`, `require` and the extension's, sorted
    actors: tuple[str, ...] = ()
    roles: tuple[tuple[str, str], ...] = ()  # (first/direct/specific_responsible, actor)
    task: str | None = None
    every: Every | None = None
    limit: Limit | None = None  # the statement's own time limit
    steps: tuple[Step, ...] = ()
    grants: tuple[str, ...] = ()  # relief members
    effects: tuple[str, ...] = ()  # effect members
    target: str | None = None  # a sanction's: individual | unit
    penalties: tuple[str, ...] = ()
    covers: tuple[Covers, ...] = ()
    fields: tuple[Field, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def role(self) -> Role:
        return ROLES[self.kind]

    @property
    def conditions(self) -> tuple[n.Expr, ...]:
        return tuple(c for c in (self.when, self.require) if c is not None)


# ---------------------------------------------------------------- policies


@dataclass(frozen=True)
class Mark:
    """A clause carrying no rule: `informative` (with why), or `pending` (not yet transcribed)."""

    clause: ClauseRef
    status: str  # informative | pending
    reason: str | None


# Identity, not structure, makes two policies (or programs) equal: caches key on them.
@dataclass(frozen=True, eq=False)
class Policy:
    id: str
    title: str
    header: n.PolicyHeader  # the metadata as written: issuers, 文号, dates, status, decision
    file: str
    document: SourceDocument
    rules: tuple[Rule, ...]  # document order
    limits: tuple[Limit, ...]  # every time limit, in document order
    defines: tuple[Define, ...]  # the formulas this policy states
    inputs: tuple[str, ...]  # every fact and judgment it reads: its case records' fields
    precedence: tuple[Override, ...]
    marks: tuple[Mark, ...]
    cases: tuple[n.Case, ...]  # its policy tests, as written
    version: Mapping[str, str]  # sha256 of the policy file, the vocabulary, the official text

    def rule(self, name: str) -> Rule:
        return next(r for r in self.rules if r.name == name)

    def of_kind(self, kind: Kind) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind is kind)

    def limit(self, name: str) -> Limit:
        return next(limit for limit in self.limits if limit.name == name)

    def defeats(self, exclusion: str, target: str) -> bool:
        """Does `exclusion`, when it holds, take away the relief of `target`?"""
        return any(o.exclusion == exclusion and o.target == target for o in self.precedence)

    def resolve_clause(self, citation: str) -> Clause:
        """The clause a citation names (`第四条（一）2`), resolved the way `check` resolves
        citations; ClauseError says what was expected."""
        try:
            resolution = self.document.resolve(citation)
        except CitationSyntaxError as error:
            raise ClauseError(str(error)) from None
        if resolution.ambiguous:
            candidates = tuple(c.citation for c in resolution.candidates)
            raise ClauseError(
                f"the clause {citation} is ambiguous in {self.id}: it could be "
                + ", ".join(candidates),
                candidates,
            )
        if resolution.clause is None:
            near = f"; nearest clauses: {', '.join(resolution.suggestions)}"
            raise ClauseError(
                f"{self.id} has no clause {citation}{near if resolution.suggestions else ''}"
            )
        return resolution.clause

    def makes_decision(self) -> bool:
        return any(r.role is Role.DECISION for r in self.rules)


@dataclass(frozen=True, eq=False)
class Program:
    """Every checked policy of a project, lowered, with the shared vocabulary."""

    facts: Mapping[str, Input]
    judgments: Mapping[str, Input]
    defines: Mapping[str, Define]
    enums: Mapping[str, Enum]
    concepts: Mapping[str, Concept]
    actors: Mapping[str, Actor]
    policies: Mapping[str, Policy]

    def input(self, name: str) -> Input:
        """A fact or judgment by name (KeyError for anything else)."""
        found = self.facts.get(name) or self.judgments.get(name)
        if found is None:
            raise KeyError(name)
        return found

    def is_input(self, name: str) -> bool:
        return name in self.facts or name in self.judgments

    def members(self, enum: str) -> tuple[str, ...]:
        found = self.enums.get(enum)
        return tuple(m.name for m in found.members) if found else ()

    def inputs_of(self, *exprs: n.Expr) -> tuple[str, ...]:
        """The facts and judgments the expressions read, through definitions, in order of first
        appearance (each definition followed once, so a cycle cannot loop)."""
        return tuple(name for name in self._names(exprs) if self.is_input(name))

    def defines_of(self, *exprs: n.Expr) -> tuple[str, ...]:
        """The definitions the expressions use, directly or through other definitions."""
        return tuple(name for name in self._names(exprs) if name in self.defines)

    def _names(self, exprs: tuple[n.Expr, ...]) -> Iterator[str]:
        def formula(name: str) -> n.Expr | None:
            define = self.defines.get(name)
            return define.expr if define is not None else None

        return names_through(exprs, formula)


def names_through(
    exprs: Iterable[n.Expr], formula: Callable[[str], n.Expr | None]
) -> Iterator[str]:
    """Every name the expressions mention, each once, in order of first appearance, followed
    into the formula of each definition (`formula(name)`, None for anything else) right where
    it appears.  Each name is followed once, so a cycle of definitions cannot loop."""
    seen: set[str] = set()
    for expr in exprs:
        yield from _names_through(expr, formula, seen)


def _names_through(
    expr: n.Expr, formula: Callable[[str], n.Expr | None], seen: set[str]
) -> Iterator[str]:
    # A function of the module, not a closure that calls itself: such a closure is a
    # reference cycle (its cell holds it), which kept `formula`'s lowering, and the whole
    # model it reads, alive until the cycle collector ran (project._frozen).
    for name in n.names_in(expr):
        if name in seen:
            continue
        seen.add(name)
        yield name
        inner = formula(name)
        if inner is not None:
            yield from _names_through(inner, formula, seen)


# ---------------------------------------------------------------- printing


def format_program(program: Program, policies: tuple[str, ...] | None = None) -> str:
    """The lowered model as readable text (`policyc dump --ir`): stable, position-free."""
    chosen = sorted(program.policies) if policies is None else list(policies)
    out: list[str] = []
    for policy_id in chosen:
        out += _policy_lines(program, program.policies[policy_id])
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _policy_lines(program: Program, policy: Policy) -> list[str]:
    header = policy.header
    lines = [f"policy {policy.id} {_q(policy.title)}"]
    if header.decision is not None:
        lines.append(f"  decision {header.decision} {_q(header.decision_label or '')}")
    lines.append(f"  source {header.source} sha256 {header.source_sha256}")
    lines.append(f"  inputs ({len(policy.inputs)}): {', '.join(policy.inputs)}")
    for name in policy.inputs:
        related = program.facts[name].related if name in program.facts else None
        if related is not None:
            concept = program.facts[related.shared].concept
            lines.append(f"  related {name} {related} (concept {concept})")
    for define in policy.defines:
        formula = to_text(define.expr)
        lines.append(f"  define {define.name}: {define.type} at {_at(define.clause)} = {formula}")
        lines.append(f"    reads {', '.join(define.reads) or '-'}")
    for rule in policy.rules:
        lines += _rule_lines(rule)
    if policy.precedence:
        lines.append("  precedence")
        for o in policy.precedence:
            lines.append(f"    {o.exclusion} defeats {o.target}{' (all)' if o.all else ''}")
    if policy.limits:
        lines.append("  limits")
        for limit in policy.limits:
            lines.append(f"    {_limit_text(limit)}")
    for mark in policy.marks:
        reason = f" ({mark.reason})" if mark.reason else ""
        lines.append(f"  {mark.status} {_at(mark.clause)}{reason}")
    lines.append(f"  cases {len(policy.cases)}")
    return lines


def _rule_lines(rule: Rule) -> list[str]:
    lines = [f"  {rule.kind} {rule.name} [{rule.role}] at {_at(rule.clause)}"]
    pad = "    "
    if rule.when is not None:
        lines.append(f"{pad}when {to_text(rule.when)}")
    if rule.require is not None:
        lines.append(f"{pad}require {to_text(rule.require)}")
    if rule.kind is Kind.EXCLUSION:
        lines.append(f"{pad}overrides {'all' if rule.overrides_all else ', '.join(rule.overrides)}")
    if rule.excuses:
        lines.append(f"{pad}excuses {', '.join(rule.excuses)}")
    if rule.reads:
        lines.append(f"{pad}reads {', '.join(rule.reads)}")
    if rule.actors:
        lines.append(f"{pad}actors {', '.join(rule.actors)}")
    for role, actor in rule.roles:
        lines.append(f"{pad}{role} {actor}")
    if rule.task is not None:
        lines.append(f"{pad}task {_q(rule.task)}")
    if rule.every is not None:
        by_day = f" by day {rule.every.by_day}" if rule.every.by_day is not None else ""
        lines.append(f"{pad}every {rule.every.period}{by_day}")
    if rule.limit is not None:
        lines.append(f"{pad}limit {rule.limit.name}")
    for step in rule.steps:
        lines.append(f"{pad}step {step.order} {step.name} {_q(step.label)}")
        if step.actors:
            lines.append(f"{pad}  actors {', '.join(step.actors)}")
        if step.task is not None:
            lines.append(f"{pad}  task {_q(step.task)}")
        if step.when is not None:
            lines.append(f"{pad}  when {to_text(step.when)}")
        if step.limit is not None:
            lines.append(f"{pad}  limit {step.limit.name}")
    for label, names in (
        ("grants", rule.grants),
        ("effects", rule.effects),
        ("penalties", rule.penalties),
    ):
        if names:
            lines.append(f"{pad}{label} {', '.join(names)}")
    if rule.target is not None:
        lines.append(f"{pad}target {rule.target}")
    for covers in rule.covers:
        shown = [*covers.names, *(_q(t) for t in covers.texts)]
        lines.append(f"{pad}covers {covers.dimension} {', '.join(shown)}")
    for field in rule.fields:
        lines.append(f"{pad}field {field.name}: {field.type} {_q(field.label)}")
    for note in rule.notes:
        lines.append(f"{pad}note {_q(note)}")
    return lines


def _limit_text(limit: Limit) -> str:
    parts = [f"{limit.name}:"]
    parts.append(
        limit_text(
            limit.amount,
            limit.start,
            limit.end,
            limit.excluding,
            limit.excluded_from,
            limit.excluded_until,
        )
    )
    if limit.when is not None:
        parts.append(f"when {to_text(limit.when)}")
    if limit.extend is not None:
        parts.append(f"extend {limit.extend.amount} when {to_text(limit.extend.when)}")
    if limit.no_rollover is not None:
        parts.append(f"no rollover {_q(limit.no_rollover)}")
    parts.append(f"at {_at(limit.clause)}")
    return " ".join(parts)


def _at(clause: ClauseRef) -> str:
    if clause.written == clause.citation:
        return clause.citation
    return f"{clause.citation} (written {clause.written})"


def _q(text: str) -> str:
    # Escapes as the language does (exprtext), so a quote or newline cannot break a line.
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_plain(value: object) -> object:
    """The lowered model as plain JSON data (`policyc dump --ir --json`): expressions as policy
    text, clauses as their citations; the official text itself is left out."""
    if isinstance(value, ClauseRef):
        return {"citation": value.citation, "written": value.written, "quotes": list(value.quotes)}
    if isinstance(value, n.TypeRef | Duration | Kind):
        return str(value)
    if isinstance(value, n.Literal | n.Name | n.Not | n.BoolOp | n.Compare | n.InSet):
        return to_text(value)
    if isinstance(value, n.Arith | n.Call | n.Conditional):
        return to_text(value)
    if isinstance(value, n.Case):
        return value.name
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_plain(getattr(value, f.name))
            for f in fields(value)
            # Position-free, and without the official text itself.
            if not isinstance(getattr(value, f.name), SourceDocument | n.Span)
        }
    return value
