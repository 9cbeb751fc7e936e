"""The checked model of a project: symbol tables and policies with their resolved sources.

`compiler.check` builds it and reports what is wrong; every later pass (interpreter, coverage,
graph, backends) reads it and may assume names resolve and types agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compiler import nodes as n
from compiler.errors import PolicycError
from compiler.sources import CitationSyntaxError, Clause, SourceDocument

# Which items each statement kind accepts, and which it must have.
ALLOWED_ITEMS: dict[str, tuple[type, ...]] = {
    "gate": (n.When, n.Note),
    "situation": (n.When, n.Note),
    "exclusion": (n.When, n.Overrides, n.Note),
    "outcome": (n.Grants, n.Effects, n.When, n.Note),
    "scope": (n.Covers, n.Note),
    "deadline": (n.Within, n.Extend, n.Actors, n.Task, n.When, n.Note),
    "procedure": (n.Step, n.Within, n.Actors, n.Task, n.Note),
    "duty": (n.Actors, n.Task, n.Every, n.Require, n.When, n.Within, n.Note),
    "requirement": (n.Require, n.When, n.Actors, n.Task, n.Every, n.Note),
    "liability": (n.Actors, n.When, n.Note),
    "sanction": (n.Target, n.Penalties, n.Note),
    "responsibility": (n.Actors, n.Role, n.Note),
    "form": (n.Field, n.Note),
}
STEP_ITEMS: tuple[type, ...] = (n.Actors, n.Task, n.Within, n.Extend, n.When, n.Note)
REQUIRED_ITEMS: dict[str, tuple[type, ...]] = {
    "gate": (n.When,),
    "situation": (n.When,),
    "exclusion": (n.When, n.Overrides),
    "outcome": (n.Grants,),
    "scope": (n.Covers,),
    "deadline": (n.Within,),
    "procedure": (n.Step,),
    "duty": (n.Actors,),
    "requirement": (n.Require,),
    "liability": (n.Actors, n.When),
    "sanction": (n.Target, n.Penalties),
    "responsibility": (n.Role,),
    "form": (n.Field,),
}
SINGLE_ITEMS: tuple[type, ...] = (
    n.When,
    n.Overrides,
    n.Within,
    n.Extend,
    n.Target,
    n.Every,
    n.Task,
)
DECISION_KINDS = ("gate", "situation", "exclusion")
TARGETS = ("individual", "unit")
ENUM_OF_ITEM: dict[type, str] = {n.Grants: "relief", n.Effects: "effect", n.Penalties: "penalty"}


@dataclass
class Policy:
    header: n.PolicyHeader
    source: SourceDocument | None = None
    statements: list[n.Statement] = field(default_factory=list)
    defines: list[n.DefineDecl] = field(default_factory=list)
    informatives: list[n.Informative] = field(default_factory=list)
    pending: list[n.Pending] = field(default_factory=list)
    tests: list[n.TestSuite] = field(default_factory=list)
    # Every citation written in the policy (statements, defines, informatives) -> its clause.
    clauses: dict[tuple[str, int, int], Clause] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.header.id

    def of_kind(self, kind: str) -> list[n.Statement]:
        return [s for s in self.statements if s.kind == kind]

    def clause_of(self, citation: n.Citation) -> Clause | None:
        return self.clauses.get(citation_key(citation))

    def limits(self) -> dict[str, tuple[n.Statement, n.Within, n.Extend | None]]:
        """Every named time limit: a deadline, a procedure's overall limit, or a step's."""
        found: dict[str, tuple[n.Statement, n.Within, n.Extend | None]] = {}
        for statement in self.statements:
            within = statement.first(n.Within)
            if within is not None:
                found[statement.name] = (statement, within, statement.first(n.Extend))
            for step in statement.all(n.Step):
                step_within = next((i for i in step.items if isinstance(i, n.Within)), None)
                step_extend = next((i for i in step.items if isinstance(i, n.Extend)), None)
                if step_within is not None:
                    found[step.name] = (statement, step_within, step_extend)
        return found


class ClauseError(PolicycError, ValueError):
    """A clause named on the command line that the document does not have, or not uniquely."""


def resolve_clause(policy: Policy, citation: str) -> Clause:
    """The clause a citation names, resolved the way `check` resolves citations."""
    document = policy.source
    if document is None:
        raise ClauseError(f"{policy.id} has no official text, so no clause can be named")
    try:
        resolution = document.resolve(citation)
    except CitationSyntaxError as error:
        raise ClauseError(str(error)) from None
    if resolution.ambiguous:
        could = ", ".join(c.citation for c in resolution.candidates)
        raise ClauseError(f"the clause {citation} is ambiguous in {policy.id}: it could be {could}")
    if resolution.clause is None:
        near = f"; nearest clauses: {', '.join(resolution.suggestions)}"
        raise ClauseError(
            f"{policy.id} has no clause {citation}{near if resolution.suggestions else ''}"
        )
    return resolution.clause


def citation_key(citation: n.Citation) -> tuple[str, int, int]:
    return (citation.span.file, citation.span.line, citation.span.column)


@dataclass
class Model:
    facts: dict[str, n.FactDecl] = field(default_factory=dict)
    judgments: dict[str, n.JudgmentDecl] = field(default_factory=dict)
    enums: dict[str, n.EnumDecl] = field(default_factory=dict)
    concepts: dict[str, n.ConceptDecl] = field(default_factory=dict)
    actors: dict[str, n.ActorDecl] = field(default_factory=dict)
    defines: dict[str, n.DefineDecl] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)

    def members(self, enum: str) -> dict[str, n.EnumMember]:
        decl = self.enums.get(enum)
        return {m.name: m for m in decl.members} if decl else {}

    def enums_with_member(self, member: str) -> list[str]:
        return sorted(
            e for e, decl in self.enums.items() if any(m.name == member for m in decl.members)
        )
