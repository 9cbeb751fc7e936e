"""Stable addresses of clauses on the site.

Every clause of every official text has one anchor on its document's page; every citation
anywhere links there.  Anchors are ASCII, built from the clause's path of numbered segments
(第四条（一）2 -> `a4-i1-p2`), so that they survive a change of wording and read well in a URL.
"""

from __future__ import annotations

import posixpath
from functools import cache

from compiler.sources import Clause, Segment

# One letter (or two) per segment kind of compiler/sources.KINDS.
_PREFIX = {
    "chapter": "ch",
    "article": "a",
    "section": "s",
    "item": "i",
    "point": "p",
    "annex": "ax",
    "preamble": "pre",
    "signature": "sig",
}


def _segment(seg: Segment) -> str:
    return f"{_PREFIX[seg.kind]}{seg.number}"


def clause_anchor(clause: Clause) -> str:
    """The HTML id of a clause on its document's page ("doc" for the whole text)."""
    if not clause.path:
        return "doc"
    return "-".join(_segment(s) for s in clause.path)


def document_page(policy_id: str) -> str:
    """The Markdown path of a document's page, relative to the docs root."""
    return f"documents/{policy_id}.md"


def clause_link(policy_id: str, clause: Clause, from_page: str) -> str:
    """A relative Markdown link from `from_page` (a docs-root path) to the clause, as MkDocs
    resolves and validates it."""
    relative = _relative(document_page(policy_id), posixpath.dirname(from_page))
    return f"{relative}#{clause_anchor(clause)}"


@cache
def _relative(target: str, folder: str) -> str:
    # Remembered: a province's pages link to each document from a few folders, thousands of
    # times (relpath's normalizing was 6 % of generating the pages at 600 jurisdictions).
    return posixpath.relpath(target, folder or ".")
