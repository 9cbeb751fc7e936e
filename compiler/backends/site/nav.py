"""The site's nav (MkDocs `nav`, built by the hook from every page's path and title), and the
index pages of sections too long to be listed in it.

Material writes the whole nav into every page.  With a page per jurisdiction in four sections,
the nav was 150 KB of every page at 100 jurisdictions, 74 % of the site's HTML, and the site
grew with the square of the jurisdictions (benchmarks/README.md, the twenty-sixth round).  A
section of more than NAV_PAGES pages is therefore listed by its index alone, a page that links
to every page of the section (the kind's own, or `section_index`): the nav, and so each page,
stays the same size however many jurisdictions there are.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from compiler.backends.site.page import Page

# The nav: hand-written pages first (and a province's search page: compiler/backends/site/
# search.py), then one section per folder of generated pages (in this order; a section with no
# pages is left out), then the reference pages.
HOME: Final = (("首页", "index.md"), ("搜索", "search.md"), ("如何阅读", "reading.md"))


@dataclass(frozen=True)
class Section:
    title: str  # in the nav, in Chinese
    folder: str  # every generated page under it is the section's: "documents/"
    index: str  # the page that lists the others (`section_index` when the kind makes none)


SECTIONS: Final = (
    Section("文件", "documents/", "documents/index.md"),
    Section("对照表", "tables/", "tables/index.md"),
    Section("决策", "decisions/", "decisions/index.md"),
    Section("时限", "timelimits/", "timelimits/index.md"),
    Section("修订", "diffs/", "diffs/index.md"),
    # Not conflicts/index.md: docs/conflicts.md (how to read the report) is served there.
    Section("冲突报告", "conflicts/", "conflicts/report.md"),
)
REFERENCE: Final = (
    ("政策语言", "language.md"),
    ("校验器", "validators.md"),
    ("词汇", "vocabulary.md"),
    ("冲突报告的读法", "conflicts.md"),
    ("架构", "architecture.md"),
)

# The most pages a section lists in the nav; a longer one is listed by its index alone.
NAV_PAGES: Final = 30
INDEX_TEMPLATE: Final = "section.md.j2"


def members(section: Section, titles: Mapping[str, str]) -> list[tuple[str, str]]:
    """The section's pages, (path, title): its index first, then the others in the order the
    page kinds gave them (a kind may make its index last, from what its pages counted)."""
    pages = [(path, title) for path, title in titles.items() if path.startswith(section.folder)]
    return sorted(pages, key=lambda page: page[0] != section.index)  # stable


def _long(section: Section, titles: Mapping[str, str]) -> bool:
    return len(members(section, titles)) > NAV_PAGES


def indexes(titles: Mapping[str, str]) -> list[Page]:
    """The index pages to add: one for each section too long for the nav whose kind makes
    none (documents, decisions and time limits have no index page of their own)."""
    return [
        section_index(section, members(section, titles))
        for section in SECTIONS
        if _long(section, titles) and section.index not in titles
    ]


def section_index(section: Section, pages: Sequence[tuple[str, str]]) -> Page:
    """The page that lists a section too long for the nav: each page's title, linked, and its
    file's name (the jurisdictions of a corpus may share a title)."""
    rows = []
    for path, title in pages:
        link = posixpath.relpath(path, section.folder)
        rows.append({"title": title, "link": link, "name": posixpath.splitext(link)[0]})
    return Page(
        section.index,
        f"{section.title}一览",
        INDEX_TEMPLATE,
        {"section": section.title, "rows": rows},
    )


def nav(paths: Mapping[str, str]) -> list[dict[str, Any]]:
    """The nav from every page's path and title (hand-written pages by their file names).

    Within a section, its index comes first (`members`), then the pages in the order their
    page kind gives them (a meaningful one): `paths` is in registry order.  A section of more
    than NAV_PAGES pages is its index alone."""
    out: list[dict[str, Any]] = [{title: path} for title, path in HOME if path in paths]
    for section in SECTIONS:
        pages = [{t: p} for p, t in members(section, paths)]
        if _long(section, paths) and section.index in paths:
            out.append({section.title: section.index})
        elif pages:
            out.append({section.title: pages})
    reference = [{title: path} for title, path in REFERENCE if path in paths]
    if reference:
        out.append({"参考": reference})
    return out
