"""Stable addresses of clauses on the site.

Every clause of every official text has one anchor on its document's page; every citation
anywhere links there.  Anchors are ASCII, built from the clause's path of numbered segments
(第四条（一）2 -> `a4-i1-p2`), so that they survive a change of wording and read well in a URL.
"""

from __future__ import annotations

import posixpath
from functools import lru_cache

from compiler.sources import Clause

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


def clause_anchor(clause: Clause) -> str:
    """The HTML id of a clause on its document's page ("doc" for the whole text)."""
    if not clause.path:
        return "doc"
    # A list, not a generator: a million anchors at 3,000 jurisdictions.
    return "-".join([f"{_PREFIX[seg.kind]}{seg.number}" for seg in clause.path])


def document_page(policy_id: str) -> str:
    """The Markdown path of a document's page, relative to the docs root."""
    return f"documents/{policy_id}.md"


def clause_link(policy_id: str, clause: Clause, from_page: str) -> str:
    """A relative Markdown link from `from_page` (a docs-root path) to the clause, as MkDocs
    resolves and validates it."""
    return f"{_relative(policy_id, from_page)}#{clause_anchor(clause)}"


@lru_cache(maxsize=1 << 16)
def _relative(policy_id: str, from_page: str) -> str:
    # Remembered: a page links to a few documents, many times each (relpath's normalizing
    # was 6 % of generating the pages at 600 jurisdictions), and a province's pages are
    # thousands (a bound: `policyc serve` builds again and again).
    return posixpath.relpath(document_page(policy_id), posixpath.dirname(from_page) or ".")
