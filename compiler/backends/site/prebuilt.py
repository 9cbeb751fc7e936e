"""Blocks whose HTML the generator makes itself, and the Markdown extension that takes them whole.

Python-Markdown spent most of a province's site build reading blocks whose HTML is known before
it starts.  A statement's block under its clause (its meanings as a list, its source in a fence)
was three quarters of a document page's rendering, and a comparison table nearly all of a table
page's: every cell and every list item went through some twenty inline patterns, a table's
rows were split a character at a time, and each `[link](…)` was scanned for its brackets.

A page writes such a block as one line: `MARK`, then the block as JSON (`line`), a tree of
elements (`Element`) whose texts are HTML already (policy text in it made inert by the `text`
filter's `inert`), and fences of policy source (`Fence`).  The extension's block processor
(`PrebuiltExtension`, which the site's hook adds to MkDocs' Markdown extensions) makes the
elements: links stay elements, so MkDocs resolves and checks each as it does a Markdown link
(the `.md` path made a URL, the anchor checked in strict mode).  Every text goes into
Markdown's stash of raw HTML, so no inline pattern reads it, and a fence is highlighted by the
site's `policy` fence (lexer.py) as SuperFences would highlight it.  Markdown's own tree
processors then lay the elements out as they lay out its blocks, so that a page is the same
bytes as when the block was Markdown (tests/test_site_prebuilt.py compares the two), but
where Markdown changed the text: spaces at the start or end of a list item, a cell, a quote or
a link's text are kept (a step's time limit is indented under its step by an ideographic
space), a tab stays a tab (Markdown made it spaces to the next tab stop), a quote that begins
with four spaces is a paragraph (Markdown made it code), an empty bold label is an empty
<strong> (Markdown showed ****), and a table without rows has an empty body where Markdown's
tables made a row of empty cells.  None of these is in the five documents.

Written so: a statement's block under its clause (`documents.Shown.block`), a clause's text
(`documents.ShownClause.text_block`), a comparison table (`tables._block`), the paragraph that
links a cut table's pages (`tables._pages_of`), a decision page's lists (its outline's sections,
`decisions.Section.block`; its scopes; the clauses under a chart), a time-limit page's tables
and each statement's section (`timelimits.rule_blocks`), and a template's own HTML that stands
as a block (`render.html_block`: the time-limit pages' calendar; it escapes nothing, so it takes
the template's HTML, never a value).  A list's items are laid out as Markdown lays them out
(`list_item`: loose where a blank line parted two).

The JSON is on one line (no \\n or \\r: JSON escapes every character below U+0020) and holds
no `<`, `>` or `&` (escaped as \\u003c …), so no preprocessor of Markdown (raw HTML, fences,
whitespace) reads into it; a line that does not decode as a block is left to Markdown as text,
with a warning.
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as etree
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from markdown import Markdown
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.util import ETX, STX, AtomicString

from compiler.backends.site import lexer
from compiler.jsontext import compact_text

# The start of a block's line.  `inert` turns "!" into a character reference, so policy text
# can never begin a line with it; no Markdown extension of the site reads it (admonitions
# begin with "!!! ").
MARK: Final = "!policyc-block "
# The block processor's priority: before every block processor of Markdown and the site's
# extensions (admonition's is 105), as its test is a string's prefix.
PRIORITY: Final = 200
# The name mkdocs.yml (or the hook) gives Markdown for this extension.
EXTENSION: Final = __name__
# Under MkDocs' logger, whose warnings a strict build counts (ahead.py's workers pass them on).
_LOG: Final = logging.getLogger("mkdocs.plugins.policyc.prebuilt")


@dataclass(frozen=True)
class Fence:
    """Policy source, shown as a ```policy fence shows it."""

    code: str


@dataclass(frozen=True)
class Element:
    """An element of a block: its tag, its attributes, its children in order (HTML text, other
    elements, fences).  An `a` element's `href` is a link as Markdown writes it
    (`../documents/x.md#s3`): MkDocs makes it a URL and checks it."""

    tag: str
    children: tuple[Child, ...] = ()
    attrs: Mapping[str, str] = field(default_factory=dict)


Child = str | Element | Fence


def element(tag: str, *children: Child, **attrs: str) -> Element:
    """`Element`, with `class_` for the `class` attribute."""
    return Element(tag, children, {name.rstrip("_"): value for name, value in attrs.items()})


def link(href: str, html: str) -> Element:
    """An `a` element: `href` as Markdown writes a link, `html` its text (made inert)."""
    return Element("a", (html,), {"href": href})


def paragraph(*children: Child) -> Element:
    return Element("p", children)


def raw_block(html: str) -> Element:
    """HTML that stands as a block of its own, laid out as Markdown lays out a raw HTML block:
    a paragraph of its placeholder, which Markdown's postprocessor replaces, <p> and all, with
    the HTML (which starts with a block-level tag, ending in a line end as Markdown keeps it).

    MkDocs finds a link's target anchor among the ids of the page's elements and of its raw
    HTML; this HTML is neither when it is read, so an id in it would be an anchor no link
    could reach (a strict build fails): an anchor is an element's attribute (`element`)."""
    if _ANCHOR.search(html):
        raise ValueError(f"an anchor in a raw block, which MkDocs would not see: {html[:80]!r}")
    return Element("p", (html + "\n",))


# An id or a name attribute in HTML (policy text cannot make one: `inert` escapes "=").
_ANCHOR: Final = re.compile(r"\s(?:id|name)\s*=", re.IGNORECASE)


def list_item(own: Sequence[Child], under: Sequence[Element] = (), loose: bool = False) -> Element:
    """A list item as Markdown makes it: its own text, then the list under it (`under`, its
    items).  A loose item (Markdown's, where a blank line parts it from the item before or
    after it) holds its own text in a paragraph."""
    nested = [Element("ul", tuple(under))] if under else []
    if loose:
        return Element("li", (paragraph(*own), *nested))
    return Element("li", (*own, *nested))


def table(head: Sequence[Sequence[Child]], rows: Iterable[Sequence[Sequence[Child]]]) -> Element:
    """A table as Markdown's tables make it: a row of header cells, then the rows; each cell
    its children."""
    return Element(
        "table",
        (
            Element("thead", (Element("tr", tuple(Element("th", tuple(c)) for c in head)),)),
            Element(
                "tbody",
                tuple(Element("tr", tuple(Element("td", tuple(c)) for c in row)) for row in rows),
            ),
        ),
    )


def joined(children: Sequence[Child], separator: str) -> tuple[Child, ...]:
    """`children` with `separator` (HTML) between each two."""
    out: list[Child] = []
    for i, child in enumerate(children):
        out += [separator, child] if i else [child]
    return tuple(out)


def line(block: Element) -> str:
    """The block as one line of Markdown, which the extension renders whole."""
    encoded = compact_text(block, _encoded)
    # `<`, `>` and `&` occur in the JSON only inside its strings, where \\u escapes mean the
    # same (three scans in C: a `str.translate` looks up every Chinese character).
    return MARK + encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _encoded(child: object) -> object:
    # What the encoder (in C) writes for an element, [tag, attributes, *children], or a fence.
    if isinstance(child, Element):
        return [child.tag, child.attrs, *child.children]
    if isinstance(child, Fence):
        return {"policy": child.code}
    raise TypeError(f"not a part of a block: {child!r}")


# ---------------------------------------------------------------- the Markdown extension


class PrebuiltExtension(Extension):  # type: ignore[misc]  # Markdown ships no type hints
    """Renders the blocks `line` writes (MkDocs: `markdown_extensions`, which the hook fills)."""

    def extendMarkdown(self, md: Markdown) -> None:
        md.parser.blockprocessors.register(_Blocks(md.parser), "policyc_prebuilt", PRIORITY)


def makeExtension(**kwargs: Any) -> PrebuiltExtension:
    return PrebuiltExtension(**kwargs)


class _Blocks(BlockProcessor):  # type: ignore[misc]  # Markdown ships no type hints
    def test(self, parent: etree.Element, block: str) -> bool:
        return block.startswith(MARK)

    def run(self, parent: etree.Element, blocks: list[str]) -> bool | None:
        first, _, rest = blocks[0].partition("\n")
        try:
            tree = json.loads(first[len(MARK) :])
            valid = _valid(tree)
        except ValueError:
            valid = False
        if not valid:
            # Not a block: Markdown reads the line as text, and the warning fails a strict
            # build (a generator's mistake is not published as JSON).
            _LOG.warning("a line that begins %r is not a block: shown as text", MARK.strip())
            return False
        blocks[0] = rest
        if not rest:
            blocks.pop(0)
        self._build(parent, tree)
        return None

    def _build(self, parent: etree.Element, node: list[Any]) -> etree.Element:
        tag, attrs, *children = node
        made = etree.SubElement(parent, tag, attrs)
        last: etree.Element | None = None  # the last child made: text after it is its tail
        for child in children:
            if isinstance(child, list):
                last = self._build(made, child)
                continue
            if isinstance(child, dict):
                # As Markdown keeps a fence: a paragraph of its placeholder, which the raw
                # HTML postprocessor replaces, <p> and all, with the highlighted block.
                last = etree.SubElement(made, "p")
                last.text = AtomicString(self._stash(self._highlighted(child["policy"])))
                continue
            placeholder = self._stash(child)
            if last is None:
                made.text = AtomicString((made.text or "") + placeholder)
            else:
                last.tail = AtomicString((last.tail or "") + placeholder)
        return made

    def _stash(self, html: str) -> str:
        # STX and ETX delimit the stash's placeholders: Markdown takes them out of a page's
        # source (NormalizeWhitespace), and out of a block's text here.
        return str(self.parser.md.htmlStash.store(html.replace(STX, "").replace(ETX, "")))

    def _highlighted(self, code: str) -> str:
        md = self.parser.md
        source = _normalized(code, md.tab_length)
        try:
            fences = md.preprocessors["fenced_code_block"]
        except KeyError:  # Markdown's registry has no `get`
            fences = None
        if hasattr(fences, "use_pygments"):  # SuperFences' (Markdown's own fences have none)
            return lexer.fence(source, "policy", "highlight", {}, md)
        # Without SuperFences (a mkdocs.yml that leaves it out): Pygments' block as
        # pymdownx.highlight makes it by default.
        return lexer.plain(source)


def _valid(node: object) -> bool:
    """Whether `node` is a block as `_encoded` writes it."""
    if not (isinstance(node, list) and len(node) >= 2):
        return False
    tag, attrs, *children = node
    return (
        isinstance(tag, str)
        and isinstance(attrs, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in attrs.items())
        and all(
            isinstance(c, str)
            or (isinstance(c, dict) and isinstance(c.get("policy"), str))
            or _valid(c)
            for c in children
        )
    )


_BLANK_LINE: Final = re.compile(r"(?<=\n) +\n")


def _normalized(code: str, tab_length: int) -> str:
    """A fence's source as SuperFences reads it from a page: without its last blank lines (the
    `fence` filter writes `code.rstrip()`), then as Markdown's NormalizeWhitespace leaves a
    page's text (the stash's marks out, line ends as \\n, tabs as spaces, lines of spaces
    empty)."""
    text = code.rstrip().replace(STX, "").replace(ETX, "")
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(tab_length)
    return _BLANK_LINE.sub("\n", "\n" + text + "\n")[1:-1]
