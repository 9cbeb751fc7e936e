"""The contract between the diff's analyses and the report that assembles them.

Each analysis module (`text`, `rules`, `behaviour`) returns one `Part` for a pair of versions;
`compiler.diff.report` renders the parts and decides the exit code from `changes_meaning`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from compiler import ir
from compiler.sources import Clause

# How a Markdown rendering writes a citation: (policy id, clause) -> Markdown (plain text on
# stdout; a link to the clause's anchor on the site).
Cite = Callable[[str, Clause], str]


@dataclass(frozen=True)
class Version:
    """One side of a diff: the checked, lowered project with the policy under comparison."""

    spec: str  # as given: "policies/ningbo.policy" or "HEAD~3:policies/ningbo.policy"
    program: ir.Program
    policy: ir.Policy


@dataclass(frozen=True)
class Part:
    id: str  # "text", "rules", "behaviour"
    title: str  # Chinese heading
    changed: bool  # this part found any difference at all
    changes_meaning: bool  # … and one that changes what the rules decide or require
    json: Mapping[str, object]  # the part's documented JSON (sorted, deterministic)
    markdown: Callable[[Cite], tuple[str, ...]]  # Markdown lines under the heading, escaped
    text: tuple[str, ...]  # terminal lines (the report adds colour on a TTY)
