"""A generated page: where it goes, which template renders it, and with what."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field

from compiler import ir
from compiler.comparison import EXAMPLE_START  # the example due dates' one start: why, there
from compiler.progress import Steps, quiet

__all__ = ["CACHED", "EXAMPLE_START", "STEPS", "Page", "PageKind", "site_root"]

# Hears how far a site build is: `policyc site` draws it on a terminal (build.render sets it for
# the build).  The long steps of a province's site tell it: the conflict report's search
# (site/conflicts.py) and MkDocs' pages (the hook), a minute or more at 50 jurisdictions.
STEPS: ContextVar[Steps] = ContextVar("policyc_site_steps", default=quiet)

# Whether the site reads the project's files through its parse cache (compiler/cache.py), as
# `policyc build` does: after a build, the site parses nothing again (18 s less at 3,000
# jurisdictions), and `policyc serve` parses only the file an edit changed.  `policyc site
# --no-cache` turns it off (build.render sets it for the build, as STEPS).
CACHED: ContextVar[bool] = ContextVar("policyc_site_cached", default=True)


@dataclass(frozen=True)
class Page:
    """One Markdown page of the site, rendered from `template` (a file in site_templates/)."""

    path: str  # relative to the docs root, POSIX, ending in .md: "documents/ningbo.md"
    title: str  # the nav title, in Chinese
    template: str  # "document.md.j2"
    context: Mapping[str, object] = field(default_factory=dict)
    # Files served beside the page (CSV/JSON downloads, data for the page's script):
    # path relative to the docs root -> content.  Text is written as UTF-8 exactly as given.
    attachments: Mapping[str, bytes | str] = field(default_factory=dict)


def site_root(page: str) -> str:
    """The relative URL from a page to the site root, for the addresses a template writes in
    raw HTML (MkDocs rewrites Markdown links only), as MkDocs serves the page with directory
    URLs (the default): documents/x.md is served at documents/x/, so "../../"."""
    return "../" * (page.count("/") + 1)


# A page kind: the IR in, its pages out, in a stable order.
PageKind = Callable[[ir.Program], Iterable[Page]]
