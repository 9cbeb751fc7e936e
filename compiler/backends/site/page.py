"""A generated page: where it goes, which template renders it, and with what."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from compiler import ir

# The one concrete start date the site computes due dates for (tables, time-limit pages): the
# Friday before 国庆 2024, so that counts cross the statutory holidays and the adjusted working
# Saturday (2024-10-12), and the calendar's effect is visible.
EXAMPLE_START = date(2024, 9, 27)


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
