"""The contract between the conflict analyses and the report that assembles them.

Each analysis module returns one `Section`; `compiler.conflicts.report` renders a list of them as
terminal text, Markdown (the site's page, `policyc conflicts --markdown`) and JSON, and writes
their witnesses as policy tests (`--emit-tests`).  A section's renderings are built by its own
module because only it knows its shape; the report adds the headings and the order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from compiler.sources import Clause

# How a Markdown rendering writes a citation: (policy id, clause) -> Markdown.  On stdout
# (`policyc conflicts --markdown`) it is the citation as text; on the site it is
# `compiler.backends.site.anchors.clause_link` to the clause on its document page.
Cite = Callable[[str, Clause], str]


@dataclass(frozen=True)
class Given:
    """One fact of a witness case, as the policy language writes its value (`2024-03-01`,
    `true`, `temporary_emergency`, `5000`)."""

    fact: str
    literal: str


@dataclass(frozen=True)
class Witness:
    """A concrete case that shows a difference, in the form of a policy test (`policies/cases`):
    what it expects was computed by running the rules on it, never written by hand."""

    policy: str  # the policy whose test this is
    name: str  # the case's id (ASCII snake_case, unique within the section and policy)
    title: str  # what it shows, in Chinese
    givens: tuple[Given, ...]
    expect: str | None = None  # a decision outcome (`applies`, `excluded`, …), if it decides
    cites: tuple[str, ...] = ()  # the deciding clauses, in the document's numbering
    checks: tuple[tuple[str, str], ...] = ()  # (rule or limit, status): `check RULE is STATUS`


@dataclass(frozen=True)
class Section:
    id: str  # "concepts", "pairs", "quantities", "boundaries", "internal", …
    title: str  # Chinese heading
    json: Mapping[str, object]  # the section's documented JSON (sorted, deterministic)
    # Markdown lines under the heading; every value from a policy or an official text is
    # escaped, every citation written with `cite`.
    markdown: Callable[[Cite], tuple[str, ...]]
    text: tuple[str, ...]  # terminal lines under the heading (no colour codes)
    witnesses: tuple[Witness, ...] = ()
