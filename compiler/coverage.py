"""Clause coverage: is every clause of a transcribed document cited by a rule or marked as
carrying none?

A clause is covered when
- a statement or definition cites it, or
- an `informative` mark cites it or one of its ancestors (a mark covers the whole subtree), or
- it has children, all covered, and its own text is only a heading ("（一）社会救助经办环节").
A parent whose own text says something ("有下列情形的，适用尽职免责规定") needs its own citation.
A clause marked `pending` (not yet transcribed, as `policyc new` writes it) is not covered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from compiler import ir
from compiler.sources import Clause

# A heading has no sentence in it: short, and no clause-level punctuation.
_SENTENCE = re.compile(r"[，。；：,;:！？]")
_HEADING_MAX = 30
UNCOVERED = ("pending", "uncovered")


@dataclass(frozen=True)
class ClauseCoverage:
    clause: Clause
    status: str  # cited | informative | heading | pending | uncovered
    by: tuple[str, ...]  # the statements (or the informative reason) covering it


@dataclass(frozen=True)
class PolicyCoverage:
    policy: str
    clauses: tuple[ClauseCoverage, ...]

    @property
    def covered(self) -> int:
        return sum(1 for c in self.clauses if c.status not in UNCOVERED)

    @property
    def total(self) -> int:
        return len(self.clauses)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.total if self.total else 100.0

    def uncovered(self) -> tuple[ClauseCoverage, ...]:
        return tuple(c for c in self.clauses if c.status in UNCOVERED)


def is_heading(clause: Clause) -> bool:
    own = "".join(clause.own_text.split())
    if clause.marker and own.startswith("".join(clause.marker.split())):
        own = own[len("".join(clause.marker.split())) :]
    return len(own) <= _HEADING_MAX and not _SENTENCE.search(own)


def policy_coverage(policy: ir.Policy) -> PolicyCoverage:
    document = policy.document
    cited: dict[tuple[object, ...], list[str]] = {}
    marked: dict[tuple[object, ...], str] = {}
    pending: set[tuple[object, ...]] = set()
    for name, clause in [
        *((r.name, r.clause) for r in policy.rules),
        *((d.name, d.clause) for d in policy.defines),
    ]:
        cited.setdefault(clause.clause.path, []).append(name)
    for mark in policy.marks:
        if mark.status == "pending":
            pending.add(mark.clause.clause.path)
        else:
            marked[mark.clause.clause.path] = mark.reason or ""
    walk = _Walk(cited, marked, pending)
    for top in document.root.children:
        walk.visit(top, None)
    ordered = tuple(walk.results[c.path] for c in document.clauses())
    return PolicyCoverage(policy.id, ordered)


@dataclass(frozen=True)
class _Walk:
    """A document's clauses, children first, each with its status."""

    cited: dict[tuple[object, ...], list[str]]
    marked: dict[tuple[object, ...], str]
    pending: set[tuple[object, ...]]
    results: dict[tuple[object, ...], ClauseCoverage] = field(default_factory=dict)

    def visit(self, clause: Clause, inherited: str | None) -> ClauseCoverage:
        mark = self.marked.get(clause.path, inherited)
        children = [self.visit(child, mark) for child in clause.children]
        if clause.path in self.cited:
            status, by = "cited", tuple(self.cited[clause.path])
        elif clause.path in self.pending:
            status, by = "pending", ()
        elif mark is not None:
            status, by = "informative", (mark,)
        elif children and all(c.status not in UNCOVERED for c in children) and is_heading(clause):
            status, by = "heading", ()
        else:
            status, by = "uncovered", ()
        self.results[clause.path] = ClauseCoverage(clause, status, by)
        return self.results[clause.path]


def project_coverage(program: ir.Program) -> list[PolicyCoverage]:
    return [policy_coverage(program.policies[p]) for p in sorted(program.policies)]
