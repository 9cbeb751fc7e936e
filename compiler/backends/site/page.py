"""A generated page: where it goes, which template renders it, and with what."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from compiler import ir
from compiler.comparison import EXAMPLE_START  # the example due dates' one start: why, there

__all__ = ["EXAMPLE_START", "Page", "PageKind"]


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


# A page kind: the IR in, its pages out, in a stable order.
PageKind = Callable[[ir.Program], Iterable[Page]]
