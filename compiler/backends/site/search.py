"""The site's search at province scale: an index of character pairs, cut into shards, in place
of Material's one file.

Material's search plugin (mkdocs.yml `search`) writes the whole site's text, segmented by jieba,
into one file, search/search_index.json, that a reader's browser loads whole at the first
search: 1.6 MB for the five cities, 77 MB at 300 jurisdictions, 152 MB at 600, some 760 MB at
3,000.  Making it (jieba and an HTML parse of every page) was 37 % of the build of the site of
300 (benchmarks/README.md, the twenty-seventh round).

Beyond CHUNKED_POLICIES policies the hook (compiler/backends/site/hook.py) turns Material's
search off and this module indexes the pages as MkDocs renders them (`Indexer`).  Pagefind,
the program made for a chunked static search, was tried in the twenty-seventh round and taken
out: it segments a page's Chinese one way when it indexes it and the query another way in the
browser, and measured against the pages' text it missed pages that hold the word
(Pagefind/pagefind#1237).  A discipline inspector who searches 民主评议 must find every clause
that says it.  So this index needs no segmenter at all:

- **What is indexed.** Each page's title and, per section (a heading with its anchor), the
  heading and the text, without the code blocks and the diagrams' source (`sections`).  Each
  character is normalized on its own (`normalize`: NFKC and lower case, where that gives one
  character), so that a full-width Ａ or （ finds its half-width form, and a position in the
  normalized text is the same position in the text shown.
- **The tokens** (`tokens`) of a text are every character and every pair of adjacent
  characters within a run without whitespace.  A query's term is found in a page only if
  every pair of the term (its one character, for a term of one) is among the page's tokens,
  so the pages a term's pairs lead to include every page whose text holds the term.  The
  browser then reads each candidate's text and keeps the pages that hold every term (a term
  of three characters or more may have its pairs on a page apart).  A page's text is what
  `plain` makes of it: a line break next to a Chinese character is taken out (the official
  texts' lines end mid-word: 公<br>示), block ends part words.  A term is searched within one
  text (the title, a heading, a section's text), so a term across two sections or two cells
  of a table is not found there.
- **The files**, in the folder of the search page (`FOLDER`):
  - `meta.json` — the format, the build's digest (the page asks for the other files under
    it, so that no browser reads a file of an earlier build from its cache), the number of
    shards, the number of pages;
  - `shards/<n>.json` — the postings of the tokens whose hash (`shard_of`: FNV-1a over the
    token's UTF-8, modulo the number of shards) is `n`: each token's page numbers, as the
    gaps between them, in increasing order;
  - `pages/<n>.json` — page `n`'s address, title and sections, which the browser reads to
    check a candidate and to show where the term is.
  A search loads the meta, the shards of its tokens (some tens of KB each) and the texts of
  the pages it shows, twenty at a time.
- **The browser's side** is site_templates/search-engine.js (the same normalization, tokens
  and hash: tests/test_site_search.py runs it in Node against this module) and the page's
  interface, site_templates/search.js.

The site then has a search page (`PAGE`, in the nav after the home page); Material's search
box leaves the header.  Below the bound nothing changes: the five cities' site is the same
bytes as before.  Like Material's, this search needs the site served over HTTP (`policyc
serve`, or any static server): a browser does not let a page opened from a file fetch the
index.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
import re
import unicodedata
from array import array
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from operator import methodcaller
from pathlib import Path
from typing import Any, Final

from compiler import ir
from compiler.backends.site.nav import SECTIONS
from compiler.backends.site.page import Page, site_root
from compiler.backends.site.render import TEMPLATES
from compiler.progress import Steps, quiet

# The most policies whose site keeps Material's one-file search (about 8 MB of index at 30).
CHUNKED_POLICIES: Final = 30

# The search page, its nav title and template, its scripts (site_templates/, written beside the
# page only: a site with Material's search has no use for them), and the folder of the index
# in the site: the search page's own (search.md is served at search/).
PAGE: Final = "search.md"
TITLE: Final = "搜索"
TEMPLATE: Final = "search.md.j2"
SCRIPTS: Final = {
    "assets/policyc/search.js": "search.js",
    "assets/policyc/search-engine.js": "search-engine.js",
}
FOLDER: Final = "search"

# The index's layout; search-engine.js refuses another.
FORMAT: Final = 1
# About how many bytes of postings a shard holds on average (estimated from the postings'
# count; the largest hold about twice as many): the shards are as many as that needs.
SHARD_BYTES: Final = 64_000

# What the progress line shows while the shards are written.
INDEXING: Final = "indexing"
INDEXED: Final = "search shards"

# What a page's text leaves out: the code blocks (the transcription in the policy language,
# whose quotes repeat the official text of the clause beside it, a term would be found twice
# for one clause), a decision page's diagram (Mermaid's source, `<pre class="mermaid">`), the
# headings' permalink sign (¶), scripts and styles.
_LEFT_OUT: Final = re.compile(
    r'<div class="highlight">.*?</div>'
    r"|<pre\b.*?</pre>"
    r'|<a class="headerlink"[^>]*>.*?</a>'
    r"|<script\b.*?</script>"
    r"|<style\b.*?</style>",
    re.S,
)
_HEADING: Final = re.compile(r"<h([1-6])\b([^>]*)>(.*?)</h\1>", re.S)
_ANCHOR: Final = re.compile(r'(?<![-\w])id="([^"]*)"')
# A tag that ends a block parts two words (a hard break, \x01 until the whitespace is made
# one space); an inline tag does not: 第<a>二</a>条.
_BLOCK: Final = re.compile(
    r"<(?:hr|/p|/div|/li|/td|/th|/tr|/dt|/dd|/summary|/blockquote|/h[1-6]|/caption)\b[^>]*>"
)
_HARD: Final = re.compile(r"\s*\x01[\s\x01]*")
# A line break (<br>, or a line end in the HTML) next to a wide character is not a space
# between words: the official texts keep their lines as <br>, and their lines end mid-word
# (公<br>示, 共同<br>富裕, 在5<br>个工作日), as the hand-written pages' Chinese is wrapped
# mid-word in Markdown.  There it is taken out, so that 公示 is found; a false join (two items
# of a cell) only adds pairs, and never loses one.  Between two narrow characters it is a
# space (policy<br>language).
_LINE_BREAK: Final = re.compile(r"<br\s*/?>")
_WIDE: Final = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
_SOFT: Final = re.compile(f"(?<=[{_WIDE}])\\s*\\n\\s*(?=\\S)|(?<=\\S)\\s*\\n\\s*(?=[{_WIDE}])")
_TAG: Final = re.compile(r"<[^>]*>")
# A run of whitespace that holds a line end (`_soft`), tried only where a run begins: tried
# inside a run, `\s*` took the rest of it at every character (a long run of spaces took time
# as its square).
_RUN: Final = re.compile(r"(?<!\s)\s*\n\s*")


@dataclass(frozen=True)
class Section:
    anchor: str  # the heading's id ("a1"), "" for the text before the first heading
    heading: str
    text: str


def chunked(program: ir.Program) -> bool:
    """Whether the site's search is this one (when mkdocs.yml has Material's search on)."""
    return len(program.policies) > CHUNKED_POLICIES


def page() -> Page:
    """The search page: the interface (search.js), found from the nav."""
    return Page(
        PAGE,
        TITLE,
        TEMPLATE,
        {"bound": CHUNKED_POLICIES, "script": site_root(PAGE) + "assets/policyc/search.js"},
        {path: (TEMPLATES / name).read_text(encoding="utf-8") for path, name in SCRIPTS.items()},
    )


# ---------------------------------------------------------------- text


class _Normal(dict[int, str]):
    """str.translate's table for `normalize`, filled as characters are met."""

    def __missing__(self, point: int) -> str:
        char = chr(point)
        normal = unicodedata.normalize("NFKC", char).lower()
        self[point] = normal if len(normal) == 1 else char
        return self[point]


_NORMAL: Final = _Normal()


def normalize(text: str) -> str:
    """Each character by its NFKC form in lower case, where that is one character (search-
    engine.js `normalize` is the same): as long as `text`, position for position."""
    return text.translate(_NORMAL)


def plain(fragment: str) -> str:
    """The text of an HTML fragment as it is searched: a line break next to a wide character
    taken out (`_SOFT`), every other whitespace run made one space."""
    text = _TAG.sub("", _LINE_BREAK.sub("\n", _BLOCK.sub("\x01", fragment)))
    return " ".join(_soft(_hard(html.unescape(text))).split())


# `_HARD` and `_SOFT` were tried at every character of a page's text, and two thirds of
# `plain` at 600 jurisdictions (a twentieth of a worker's rendering).  `_hard` and `_soft` give
# the same text (tests/test_site_search.py compares them on any text), looking only where
# either can match: at the breaks, and at the runs of whitespace that hold a line end.


def _hard(text: str) -> str:
    """`_HARD.sub(" ", text)`: each run of whitespace and hard breaks that holds a break made
    one space."""
    first, *rest = text.split("\x01")
    if not rest:
        return text
    # The whitespace on either side of each break is part of its run; a part between two
    # breaks that is only whitespace joins their runs into one.
    between = [part for part in (part.strip() for part in rest[:-1]) if part]
    return " ".join([first.rstrip(), *between, rest[-1].lstrip()])


def _soft(text: str) -> str:
    """`_SOFT.sub("", text)`.  A match of `_SOFT` is whitespace with a line end, within one run
    of whitespace (`_RUN`); its look-behind and look-ahead read one character each, in the
    run (U+3000 is whitespace and wide) or next to it: the one before the run and the one
    after it, which no match takes.  So `_SOFT` is tried on each such run with those two
    characters, and they are put back."""
    if "\n" not in text:
        return text

    def joined(run: re.Match[str]) -> str:
        start, end = run.span()
        before = 1 if start else 0
        window = _SOFT.sub("", text[start - before : end + 1])
        return window[before : len(window) - (end < len(text))]

    return _RUN.sub(joined, text)


def sections(content: str, title: str) -> list[Section]:
    """A page's content (MkDocs' HTML of its Markdown) cut at its headings: what is searched.
    The text before the first heading is a section of its own, under the page's title."""
    content = _LEFT_OUT.sub(" ", content)
    out = []
    anchor, heading, start = "", title, 0
    for match in _HEADING.finditer(content):
        out.append(Section(anchor, heading, plain(content[start : match.start()])))
        found = _ANCHOR.search(match.group(2))
        anchor, heading, start = (
            (found.group(1) if found else ""),
            plain(match.group(3)),
            match.end(),
        )
    out.append(Section(anchor, heading, plain(content[start:])))
    return [s for s in out if s.text or s.heading]


def tokens(texts: Iterable[str]) -> set[str]:
    """Every character, and every pair of adjacent characters, of each normalized run without
    whitespace of the texts (search-engine.js `termTokens` asks for the same)."""
    out: set[str] = set()
    # Each distinct run once: a page says a clause's words again and again (the clause's text,
    # then each rule's quote of it), and making its pairs was a tenth of a worker's rendering
    # at 600 jurisdictions.  Normalized per character, the texts joined by a space are split
    # into the same runs as each text on its own.
    for run in set(normalize(" ".join(texts)).split()):
        out.update(run)
        out.update(map(str.__add__, run, run[1:]))
    return out


def term_tokens(term: str) -> list[str]:
    """The tokens a page must have to hold `term` (normalized, without whitespace): its pairs
    of adjacent characters, or its one character (search-engine.js `termTokens`)."""
    if len(term) == 1:
        return [term]
    return list(dict.fromkeys(map(str.__add__, term, term[1:])))


def shard_of(token: str, shards: int) -> int:
    """The shard that holds `token`'s postings: FNV-1a (32 bits) over its UTF-8, modulo."""
    value = 0x811C9DC5
    for byte in token.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value % shards


def texts(page: Mapping[str, Any]) -> list[str]:
    """The texts of a page as `pages/<n>.json` holds it (its title, each section's heading and
    text), each searched on its own: a term is on the page if one of them holds it
    (search-engine.js `check`)."""
    parts = (part for _, heading, text in page["sections"] for part in (heading, text))
    return [page["title"], *parts]


# ---------------------------------------------------------------- the index


def _rank(url: str) -> tuple[int, str]:
    """The order of the results: the nav's sections in the nav's order (文件 first), then the
    other pages; by address within each."""
    for number, section in enumerate(SECTIONS):
        if url.startswith(section.folder):
            return number, url
    return len(SECTIONS), url


def excluded(meta: Mapping[str, Any]) -> bool:
    """Whether a page's front matter leaves it out of the search (`search: exclude`, as
    Material's search reads it: the conflict reports, the revisions, the section indexes, the
    search page)."""
    value = meta.get("search")
    return isinstance(value, dict) and bool(value.get("exclude"))


@dataclass(frozen=True)
class Entry:
    """A page's part of the index: its address, its text file (`pages/<n>.json`) and its
    tokens.  Most of the index's work, made where the page is rendered (ahead.py's workers)."""

    url: str
    data: bytes
    # Its tokens, one to a line (a token holds no whitespace: `tokens`), "" for none: one
    # string crosses from a worker to MkDocs' process, not a set of some 2,000 that pickle
    # reads back string by string (21 million strings at 3,000 jurisdictions).
    tokens: str

    def token_list(self) -> list[str]:
        """The entry's tokens."""
        return self.tokens.split("\n") if self.tokens else []


def entry(url: str, title: str, content: str) -> Entry:
    """The entry of the page at `url`, of `title`, whose rendered Markdown is `content`."""
    record = {
        "url": url,
        "title": title,
        "sections": [[s.anchor, s.heading, s.text] for s in sections(content, title)],
    }
    return Entry(url, _json(record), "\n".join(tokens(texts(record))))


class Indexer:
    """The index of one build, written into `site`/FOLDER: `add` each page as MkDocs renders it,
    then `finish` once it has written the site.  Each page's text is written at once; only
    the postings (each page's number under each of its tokens) are held until the end.  The
    same pages give the same bytes, in whatever order they are added."""

    def __init__(self, site: Path) -> None:
        self._folder = site / FOLDER
        # (url, the file of its text, the text's digest), as added
        self._pages: list[tuple[str, str, bytes]] = []
        # A token's list of page numbers, made the first time the token is met.
        self._postings: defaultdict[str, array[int]] = defaultdict(partial(array, "I"))

    def add(self, url: str, title: str, content: str) -> None:
        self.add_entry(entry(url, title, content))

    def add_entry(self, made: Entry) -> None:
        """Add a page's `entry` (made where the page was rendered: ahead.py)."""
        number = len(self._pages)
        text = self._folder / "pages" / f"added-{number}.json"
        text.parent.mkdir(parents=True, exist_ok=True)
        text.write_bytes(made.data)
        self._pages.append((made.url, text.name, hashlib.sha256(made.data).digest()))
        # The page's number under each of its tokens, the loop in C (map, and a deque that
        # keeps nothing): a loop in Python over the 21 million postings of a province's site
        # was 10 s of MkDocs' process at 3,000 jurisdictions, beside the workers.
        deque(
            map(methodcaller("append", number), map(self._postings.__getitem__, made.token_list())),
            maxlen=0,
        )

    def finish(self, steps: Steps = quiet) -> None:
        """Number the pages in the results' order (`_rank`), write the shards and the meta."""
        order = sorted(range(len(self._pages)), key=lambda n: _rank(self._pages[n][0]))
        renumber = [0] * len(order)
        pages = self._folder / "pages"
        for final, added in enumerate(order):
            # "added-<n>.json" to "<final>.json": no name of the one kind is one of the other.
            renumber[added] = final
            os.replace(pages / self._pages[added][1], pages / f"{final}.json")
        # About 3 bytes a posting (a gap and its comma), and each token's name and quotes.
        size = sum(3 * len(listed) + 8 for listed in self._postings.values())
        shards = max(1, math.ceil(size / SHARD_BYTES))
        grouped: list[list[str]] = [[] for _ in range(shards)]
        for token in self._postings:
            grouped[shard_of(token, shards)].append(token)
        folder = self._folder / "shards"
        folder.mkdir(parents=True, exist_ok=True)
        # The build's name: a digest of every file of the index.  The page asks for the shards
        # and the texts under it (`?v=`), so that a browser never reads a file of an earlier
        # build from its cache with this meta (pages numbered and tokens sharded otherwise).
        digest = hashlib.sha256()
        for added in order:
            digest.update(self._pages[added][2])
        steps(INDEXING, 0, shards, INDEXED)
        for number, names in enumerate(grouped):
            shard = {
                token: _gaps(sorted(renumber[n] for n in self._postings[token]))
                for token in sorted(names)
            }
            data = _json(shard)
            (folder / f"{number}.json").write_bytes(data)
            digest.update(hashlib.sha256(data).digest())
            steps(INDEXING, number + 1, shards, INDEXED)
        meta = {
            "format": FORMAT,
            "build": digest.hexdigest()[:16],
            "shards": shards,
            "pages": len(order),
        }
        (self._folder / "meta.json").write_bytes(_json(meta))
        self._postings.clear()


def _gaps(numbers: Sequence[int]) -> list[int]:
    return [b - a for a, b in zip([0, *numbers], numbers, strict=False)] if numbers else []


def _json(value: object) -> bytes:
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
