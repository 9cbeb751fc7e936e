"""The registry of what the site generates: page kinds and generated assets.

Adding a page kind is one module with `pages(program)` and one template, plus one line here.
Order matters only for the nav: sections appear in SECTIONS order (compiler/backends/site/nav.py),
whatever order the kinds are listed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from compiler import ir
from compiler.backends import javascript, js_due
from compiler.backends.site import conflicts, decisions, diffs, documents, tables, timelimits
from compiler.backends.site.page import PageKind

# Every page kind of the site: the IR in, its pages out.
PAGE_KINDS: Final[tuple[PageKind, ...]] = (
    documents.pages,
    tables.pages,
    decisions.pages,
    timelimits.pages,
    diffs.pages,  # what the revisions changed in meaning since a base revision (git)
    conflicts.pages,
)

# Generated files that are not pages (a page script's data, a generated JavaScript module):
# each function maps paths relative to the docs root ("assets/policyc/decide.js") to content.
AssetKind = Callable[[ir.Program], Mapping[str, str | bytes]]
ASSETS: Final[tuple[AssetKind, ...]] = (
    javascript.assets,  # the questionnaire's rules: compiled conditions, decide, relevant
    js_due.assets,  # the calculator's limits, the official calendar, due dates
)
