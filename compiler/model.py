"""The checked model of a project: symbol tables and policies with their resolved sources.

`compiler.check` builds it and reports what is wrong; every later pass (interpreter, coverage,
graph, backends) reads it and may assume names resolve and types agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from compiler import nodes as n
from compiler.errors import PolicycError
from compiler.sources import Clause, SourceDocument


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

    @property
    def file(self) -> str:
        """The file the policy is written in (its display path)."""
        return self.header.span.file

    def of_kind(self, kind: str) -> list[n.Statement]:
        return [s for s in self.statements if s.kind == kind]

    def clause_of(self, citation: n.Citation) -> Clause | None:
        return self.clauses.get(citation_key(citation))

    def limits(self) -> dict[str, WrittenLimit]:
        """Every named time limit as written, for the checks of policy tests' `due` lines (later
        passes read `ir.Limit`): a deadline, a procedure's overall limit, or a step's."""
        found: dict[str, WrittenLimit] = {}
        for statement in self.statements:
            within = statement.first(n.Within)
            if within is not None:
                found[statement.name] = WrittenLimit(statement, within, statement.first(n.Extend))
            for step in statement.all(n.Step):
                step_within = next((i for i in step.items if isinstance(i, n.Within)), None)
                step_extend = next((i for i in step.items if isinstance(i, n.Extend)), None)
                if step_within is not None:
                    found[step.name] = WrittenLimit(statement, step_within, step_extend)
        return found


class WrittenLimit(NamedTuple):
    statement: n.Statement
    within: n.Within
    extend: n.Extend | None


class ClauseError(PolicycError, ValueError):
    """A clause named on the command line that the document does not have, or not uniquely
    (then `candidates`: the clauses it could name, in document order)."""

    def __init__(self, message: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


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
    # The bytes of the files it was checked from, by display path (LoadedFiles.texts): what
    # lowering hashes for the versions it records, so that a file edited while a build runs
    # is not read a second time, its hash then naming a text the rules were not made from.
    texts: Mapping[str, bytes] = field(default_factory=dict)

    def include(self, tables: Model) -> None:
        """Add the declarations of `tables` (another file's, a scope's), theirs winning."""
        self.facts.update(tables.facts)
        self.judgments.update(tables.judgments)
        self.enums.update(tables.enums)
        self.concepts.update(tables.concepts)
        self.actors.update(tables.actors)
        self.defines.update(tables.defines)

    def members(self, enum: str) -> dict[str, n.EnumMember]:
        decl = self.enums.get(enum)
        return {m.name: m for m in decl.members} if decl else {}

    def enums_with_member(self, member: str) -> list[str]:
        return sorted(
            e for e, decl in self.enums.items() if any(m.name == member for m in decl.members)
        )
