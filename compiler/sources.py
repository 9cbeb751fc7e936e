"""Official texts: the clause tree, citations that point into it, and quote verification.

A policy file cites the official document clause by clause ("at 第四条（一）2") and quotes it.
This module reads the verbatim text (``policies/sources/*.txt``), recognises its numbering and
builds a tree of `Clause`s with exact character offsets, so that every citation can be
resolved to one clause and every quote checked against that clause's text.

Tree
----
The root is synthetic (``path == ()``, ``citation == ""``).  Its children, in text order:

* ``序言`` (kind ``preamble``): everything before the first numbered clause: website
  metadata headers (索引号 …), titles, 文号, addressees, a cover letter with its own signature
  and date (yuquan, lucheng), the opening paragraph ("为…特制定…").  The metadata header stays
  in the preamble rather than getting a node of its own: nobody cites it and it is not policy.
* the numbered body: ``chapter`` 第N章 > ``article`` 第N条 or ``section`` 一、 > ``item``
  （一） > ``point`` 1.
* ``落款`` (kind ``signature``): the closing matter after the body, when there is any: the
  attachment note ("附件：1.容错申请表 / 2.容错免责决定书"), the issuers, the seal note and the
  date, and a web page's trailing boilerplate ("相关政策解读链接:", "【返回顶部】…").  Keeping
  the attachment note and the boilerplate here, not in the last clause, keeps that clause's
  text (and so its quotes and its coverage) to what it actually says.
* annexes ``附件`` / ``附件1`` …: each runs to the next annex or to the end of the text.

Unnumbered paragraphs belong to the clause above them, so a closing paragraph that follows the
last item of a section (lucheng 四, after （四）) is part of that item: the text gives no
mark that would tell the two apart.

Recognising markers
-------------------
A marker counts only at the start of a line, after optional whitespace (weihai has stray
leading spaces).  Lines are split on "\\n" alone; ``Clause.line`` and `SourceDocument.line_col`
count the same way.  A candidate marker is accepted only if all of these hold:

1. it continues a numbering: it is number 1 of a new list under the clause it attaches to, or
   the successor of its previous sibling, or the successor of the last clause of its kind
   under the parent's previous sibling (Ningbo numbers points 1–15 straight through 第四条's
   four groups; yuquan numbers articles straight through its chapters).  This is what keeps
   "2.容错免责决定书" (an attachment list) or a stray "第三条规定…" out of the tree.
2. the previous non-blank line does not leave a sentence open.  A line ending in "，", "、" or
   an opening bracket is always open.  In a hard-wrapped text (extracted from a PDF, detected
   as: at least half of the lines of 15+ characters end without sentence-final punctuation)
   any line that ends without "。；：！？" is open too, unless it is heading-like (at most 20
   characters after its marker).  So in weihai "…或者严重违纪\\n 违法的；" stays one item.
   Annex markers are exempt: they are whole lines ("附件 1") and follow form fields.
3. once the closing matter has begun, only annex markers are recognised.

Annex markers are whole lines: "附件", "附件1", "附件 1"; "附件：…" is an attachment note.

Yuquan 第四条 puts points 1.–3. under an unnumbered heading line and then continues with
"(二)…", "(三)…".  When an item （二） arrives under a clause that has no item yet but has
content, the content is wrapped into an implicit item （一） (``implicit=True``, empty
marker, heading = that first line when it is heading-like), so "第四条（一）1" resolves.

Headings: the rest of a marker line when it is heading-like ("第六条  处理程序", "一、总体要求",
"（一）社会救助经办环节"; a trailing colon is dropped), or a short run-in first sentence that
ends in "。" and is followed by more text ("（一）兜底保障，应救尽救。按照…").  An annex's
heading is the title line under its marker.

Citations
---------
Canonical form: full-width brackets, section numerals without "、", points without ".", the
chapter omitted when an article is present: "第四条（一）2", "三（十三）", "第二十条（三）",
"第一章", "附件1", "附件", "序言", "落款".  `parse_citation` also accepts half-width brackets,
"三、", "2.", "2．", "2、" and whitespace between segments.

Quotes
------
A quote matches when, with all whitespace removed from both sides (`normalize_for_quote`), it
is a substring of the clause's full text.  Nothing else is normalised: "," is not "，".  An
empty quote never matches.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from compiler.diagnostics import guess_encoding
from compiler.errors import PolicycError
from compiler.runtime.values import cut as _cut

__all__ = [
    "CitationSyntaxError",
    "Clause",
    "QuoteCheck",
    "Resolution",
    "Segment",
    "SourceDocument",
    "SourceError",
    "check_quote",
    "citation_of",
    "load_source",
    "normalize_for_quote",
    "parse_citation",
    "segment",
]

# ---------------------------------------------------------------- segments and citations

KINDS = ("chapter", "article", "section", "item", "point", "annex", "preamble", "signature")

# Nesting rank: a clause attaches under the nearest open clause of smaller rank.  Articles and
# sections are alternative styles of the same level.  Annexes sit above everything so that a
# numbered list inside an annex nests under it.
_RANK = {"annex": -1, "chapter": 0, "article": 1, "section": 1, "item": 2, "point": 3}


@dataclass(frozen=True)
class Segment:
    kind: str  # one of KINDS
    number: int  # 第二十条 -> 20, （十三） -> 13; 0 for 附件 without a number, 序言 and 落款

    def __str__(self) -> str:
        return _format_segment(self)


_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100}
_CN_NUMERAL = "[〇零一二三四五六七八九十百]+"


def chinese_to_int(numeral: str) -> int:
    """'十三' -> 13, '二十' -> 20, '一百零五' -> 105; ValueError for anything else."""
    total, digit, last_unit, prev_was_digit = 0, 0, 1000, False
    for ch in numeral:
        if ch in _CN_DIGITS:
            if prev_was_digit and digit != 0:
                raise ValueError(f"not a Chinese numeral: {numeral!r}")
            digit, prev_was_digit = _CN_DIGITS[ch], True
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit >= last_unit:
                raise ValueError(f"not a Chinese numeral: {numeral!r}")
            total += (digit if prev_was_digit else 1) * unit
            digit, last_unit, prev_was_digit = 0, unit, False
        else:
            raise ValueError(f"not a Chinese numeral: {numeral!r}")
    if not numeral:
        raise ValueError("empty Chinese numeral")
    return total + digit


def int_to_chinese(number: int) -> str:
    """13 -> '十三', 20 -> '二十', 105 -> '一百零五' (1–999)."""
    if not 0 < number < 1000:
        raise ValueError(f"cannot write {number} as a clause numeral")
    names = "〇一二三四五六七八九"
    hundreds, tens, ones = number // 100, number // 10 % 10, number % 10
    parts = []
    if hundreds:
        parts.append(names[hundreds] + "百")
        if tens == 0 and ones:
            parts.append("零")
    if tens:
        # 十三, but 一百一十三: the leading 一 is dropped only at the very start.
        parts.append(("" if tens == 1 and not hundreds else names[tens]) + "十")
    if ones:
        parts.append(names[ones])
    return "".join(parts)


def _format_segment(seg: Segment) -> str:
    match seg.kind:
        case "chapter":
            return f"第{int_to_chinese(seg.number)}章"
        case "article":
            return f"第{int_to_chinese(seg.number)}条"
        case "section":
            return int_to_chinese(seg.number)
        case "item":
            return f"（{int_to_chinese(seg.number)}）"
        case "point":
            return str(seg.number)
        case "annex":
            return f"附件{seg.number}" if seg.number else "附件"
        case "preamble":
            return "序言"
        case "signature":
            return "落款"
    raise ValueError(f"unknown segment kind {seg.kind!r}")


def citation_of(path: Sequence[Segment]) -> str:
    """The canonical citation of a path; the chapter is left out when an article is present
    (articles are numbered through the whole document, so the chapter adds nothing)."""
    has_article = any(seg.kind == "article" for seg in path)
    return "".join(str(seg) for seg in path if not (has_article and seg.kind == "chapter"))


class CitationSyntaxError(PolicycError, ValueError):
    """A citation that is not written in any of the accepted styles."""


# One token of a citation; the alternatives are tried in this order at each position.
_CITATION_TOKEN = re.compile(
    rf"""(?P<whole>序言|落款)
      | 附件\s*(?P<annex>[0-9０-９]+|{_CN_NUMERAL})?
      | 第(?P<numbered>{_CN_NUMERAL})(?P<suffix>[章条])
      | [（(]\s*(?P<item>{_CN_NUMERAL})\s*[）)]
      | (?P<section>{_CN_NUMERAL})、?
      | (?P<point>[0-9０-９]+)[.．、]?
    """,
    re.VERBOSE,
)

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_EXPECTED = "expected 第N章, 第N条, 一、, （一）, 1., 附件N, 序言 or 落款"


# The checker reads each rule's citation twice (its syntax, then the clause it names), and a
# province's policies cite the same few hundred clauses: 1 % of a first build's CPU samples
# before the memo.  A citation that does not parse raises each time (not kept).
@lru_cache(maxsize=4096)
def parse_citation(text: str) -> tuple[Segment, ...]:
    """'第四条（一）2' -> (article 4, item 1, point 2).  Raises CitationSyntaxError."""
    segments: list[Segment] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            break
        match = _CITATION_TOKEN.match(text, pos)
        if match is None:
            raise CitationSyntaxError(
                f"invalid citation {_cut(text)!r}: unexpected {text[pos]!r} at position {pos + 1}; "
                f"{_EXPECTED}{_arabic_hint(text, pos)}"
            )
        segments.append(_token_segment(text, match))
        pos = match.end()
    if not segments:
        raise CitationSyntaxError(f"empty citation {text!r}; {_EXPECTED}")
    _check_order(text, segments)
    return tuple(segments)


_ARABIC_NUMBERED = re.compile(r"第\s*([0-9０-９]+)\s*([章条])")


def _arabic_hint(text: str, pos: int) -> str:
    """For 第4条: the documents number chapters and articles in Chinese numerals."""
    found = _ARABIC_NUMBERED.match(text, pos)
    if found is None:
        return ""
    number = int(found.group(1).translate(_FULLWIDTH_DIGITS))
    if number < 1:
        return ""
    written = f"第{int_to_chinese(number)}{found.group(2)}"
    return (
        f"; chapters and articles are cited as the document numbers them, in Chinese numerals: "
        f"{written}, not {found.group(0)}"
    )


def _token_segment(text: str, match: re.Match[str]) -> Segment:
    try:
        if match["whole"]:
            return Segment("preamble" if match["whole"] == "序言" else "signature", 0)
        if match.group(0).startswith("附件"):
            raw = match["annex"]
            number = 0 if raw is None else int(raw) if raw[0].isdigit() else chinese_to_int(raw)
            return Segment("annex", number)
        if match["numbered"]:
            kind = "chapter" if match["suffix"] == "章" else "article"
            return Segment(kind, _positive(chinese_to_int(match["numbered"])))
        if match["item"]:
            return Segment("item", _positive(chinese_to_int(match["item"])))
        if match["section"]:
            return Segment("section", _positive(chinese_to_int(match["section"])))
        return Segment("point", _positive(int(match["point"])))
    except ValueError as err:
        raise CitationSyntaxError(
            f"invalid citation {_cut(text)!r}: bad number in {_cut(match.group(0))!r} "
            f"({_cut(str(err))})"
        ) from None


def _positive(number: int) -> int:
    if number < 1:
        raise ValueError("clause numbers start at 1")
    return number


def _check_order(text: str, segments: Sequence[Segment]) -> None:
    """Levels must descend: a chapter before an article, an item before a point …"""
    first = segments[0]
    if first.kind in ("preamble", "signature") and len(segments) > 1:
        raise CitationSyntaxError(
            f"invalid citation {_cut(text)!r}: {first} cannot have sub-clauses"
        )
    previous_rank = -2
    for seg in segments:
        if seg.kind in ("preamble", "signature") and seg is not first:
            raise CitationSyntaxError(f"invalid citation {_cut(text)!r}: {seg} must stand alone")
        rank = _RANK.get(seg.kind, -2)
        if seg.kind in _RANK and rank <= previous_rank:
            raise CitationSyntaxError(
                f"invalid citation {_cut(text)!r}: {seg} cannot follow a clause of its own or a "
                "lower level (levels go 附件 > 第N章 > 第N条 or 一、 > （一） > 1.)"
            )
        previous_rank = rank


# ---------------------------------------------------------------- the clause tree


@dataclass(frozen=True)
class Clause:
    path: tuple[Segment, ...]  # from the root; implicit levels included
    citation: str  # canonical, see `citation_of`
    marker: str  # as written ("（一）", "(二)", "1.", "第八条"); "" when implicit
    heading: str  # "审核审批责任", "总体要求"; "" when none
    start: int  # offsets into the source text, children included, trailing blanks excluded
    end: int
    line: int  # 1-based line of `start`
    own_text: str = field(repr=False)  # outside the children, marker included
    text: str = field(repr=False)  # text[start:end]
    implicit: bool = False
    children: tuple[Clause, ...] = field(default=(), repr=False)

    @property
    def kind(self) -> str:
        return self.path[-1].kind if self.path else "root"

    @property
    def number(self) -> int:
        return self.path[-1].number if self.path else 0

    def walk(self) -> Iterator[Clause]:
        """This clause and its descendants, preorder."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class _Node:
    """A clause under construction: the tree is mutable until `_freeze`."""

    kind: str
    number: int
    marker: str
    heading: str
    start: int
    parent: _Node | None = None
    implicit: bool = False
    children: list[_Node] = field(default_factory=list)
    end: int = -1
    # The first non-blank line after the marker line, before any child: the place where an
    # implicit item begins and where its heading comes from.
    first_body: _Line | None = None

    def add(self, child: _Node) -> None:
        child.parent = self
        self.children.append(child)

    def last_child(self, kind: str) -> _Node | None:
        return next((c for c in reversed(self.children) if c.kind == kind), None)


@dataclass(frozen=True)
class _Line:
    start: int  # offset of the first non-blank character
    content: str  # the line without its surrounding whitespace


@dataclass(frozen=True)
class _Marker:
    kind: str
    number: int
    marker: str  # as written
    rest: str  # the rest of the line, stripped


_SPACE = r"[ \t\u3000\xa0]"
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("chapter", re.compile(rf"(第(?P<n>{_CN_NUMERAL})章)")),
    ("article", re.compile(rf"(第(?P<n>{_CN_NUMERAL})条)")),
    ("section", re.compile(rf"((?P<n>{_CN_NUMERAL})、)")),
    ("item", re.compile(rf"([（(]{_SPACE}*(?P<n>{_CN_NUMERAL}){_SPACE}*[）)])")),
    # "1.5倍" is a number, not a point: the separator must not be followed by a digit.
    ("point", re.compile(r"((?P<n>[0-9]+)[.．、])(?![0-9])")),
    ("annex", re.compile(rf"(附件(?:{_SPACE}*(?P<n>[0-9]+|{_CN_NUMERAL}))?){_SPACE}*$")),
)

_SENTENCE_END = set("。；;！!？?：:")
_OPENING = set("，,、（(《<“‘〔[【")  # a line ending in one of these always continues
_HEADING_MAX = 20
_RUN_IN_HEADING_MAX = 16
_ATTACHMENT_NOTE = re.compile(r"附件\s*[：:]")
_BOILERPLATE = re.compile(r"相关政策解读|【(返回顶部|打印本稿|关闭本页|关闭窗口)】")
_DATE = re.compile(
    r"([0-9]{4}|[〇零一二三四五六七八九]{4})\s*年\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*月"
    r"\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*日"
)
_MAX_ISSUER_LINES = 4


def _split_lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        start = pos + (raw.find(stripped) if stripped else 0)
        lines.append(_Line(start, stripped))
        pos += len(raw) + 1
    return lines


def _match_marker(content: str) -> _Marker | None:
    for kind, pattern in _MARKERS:
        match = pattern.match(content)
        if match is None:
            continue
        raw = match["n"]
        if raw is None:
            number = 0
        else:
            try:
                number = int(raw) if raw.isdigit() else chinese_to_int(raw)
            except ValueError:
                continue  # "十十、" and the like: not a numeral, so not a marker
        if kind != "annex" and number < 1:
            continue
        return _Marker(kind, number, match.group(1), content[match.end() :].strip())
    return None


def _line_heading(rest: str) -> str:
    """The rest of a marker line when it reads as a heading, else ""."""
    candidate = rest[:-1] if rest.endswith(("：", ":")) else rest
    if not candidate or len(candidate) > _HEADING_MAX:
        return ""
    if any(ch in _SENTENCE_END for ch in candidate) or candidate[-1] in _OPENING:
        return ""
    # "有下列情形之一的" is the start of a sentence, not a title; so is a lead-in with a colon
    # and a comma ("…存在下列情形的，不予免责：").
    if candidate.endswith("的") or (candidate != rest and any(c in "，," for c in candidate)):
        return ""
    return candidate


def _run_in_heading(rest: str) -> str:
    """ "兜底保障，应救尽救。按照…" -> "兜底保障，应救尽救": a short first sentence followed by
    more text on the same line."""
    stop = rest.find("。")
    if stop <= 0 or stop > _RUN_IN_HEADING_MAX or not rest[stop + 1 :].strip():
        return ""
    candidate = rest[:stop]
    if any(ch in "；;：:" for ch in candidate) or candidate.endswith("的"):
        return ""
    return candidate


def _is_heading_like(content: str) -> bool:
    marker = _match_marker(content)
    rest = marker.rest if marker else content
    return len(rest) <= _HEADING_MAX and (not rest or rest[-1] not in _OPENING)


def _is_hard_wrapped(lines: Sequence[_Line]) -> bool:
    """A PDF extraction breaks sentences at the page width: most long lines end mid-sentence.
    (weihai: 82% of them; the other texts: at most 30%, their headings and metadata.)"""
    long_lines = [ln.content for ln in lines if len(ln.content) >= 15]
    if not long_lines:
        return False
    unfinished = sum(1 for c in long_lines if c[-1] not in _SENTENCE_END)
    return unfinished * 2 >= len(long_lines)


def _leaves_open(content: str, hard_wrapped: bool) -> bool:
    """Does this line end mid-sentence, so that the next line cannot start a clause?"""
    if content[-1] in _OPENING:
        return True
    return hard_wrapped and content[-1] not in _SENTENCE_END and not _is_heading_like(content)


def _is_issuer_like(content: str) -> bool:
    """A line of the signature block: an issuer's name, a seal note; short and unpunctuated."""
    return (
        len(content) <= 40
        and _match_marker(content) is None
        and content[-1] not in _SENTENCE_END
        and content[-1] not in _OPENING
        and "。" not in content
    )


def _starts_closing(lines: Sequence[_Line], index: int) -> bool:
    """Does the closing matter (落款) begin at this line of the body?"""
    content = lines[index].content
    if _ATTACHMENT_NOTE.match(content) or _BOILERPLATE.match(content):
        return True
    if _DATE.fullmatch(content):
        return True
    if not _is_issuer_like(content):
        return False
    # Issuers count only when a date follows them within a few lines.
    issuers = 0
    for line in lines[index:]:
        if not line.content:
            continue
        if _DATE.fullmatch(line.content):
            return True
        if not _is_issuer_like(line.content):
            return False
        issuers += 1
        if issuers > _MAX_ISSUER_LINES:
            return False
    return False


class _Builder:
    """Reads the lines once, top to bottom, keeping the stack of open clauses."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _split_lines(text)
        self.hard_wrapped = _is_hard_wrapped(self.lines)
        self.root = _Node("root", 0, "", "", 0)
        self.stack: list[_Node] = [self.root]
        self.state = "preamble"  # -> "body" -> "closing" -> "annex"

    def build(self) -> _Node:
        previous_open = False
        for index, line in enumerate(self.lines):
            if not line.content:
                continue
            self._read(index, line, previous_open)
            previous_open = _leaves_open(line.content, self.hard_wrapped)
        self._add_preamble()
        self._assign_ends(self.root, len(self.text))
        self.root.start, self.root.end = 0, len(self.text)
        # The links up were for numbering (`_cousin_number`); dropped, the tree holds no
        # reference cycle, and reference counting frees it once `_freeze` has made the
        # document's clauses from it.
        pending = [self.root]
        while pending:
            node = pending.pop()
            node.parent = None
            pending += node.children
        return self.root

    def _read(self, index: int, line: _Line, previous_open: bool) -> None:
        marker = _match_marker(line.content)
        if marker is not None and marker.kind == "annex":
            self._open_annex(line, marker)
            return
        if self.state == "closing":
            return
        if self.state == "body" and marker is None and _starts_closing(self.lines, index):
            self._open_closing(line)
            return
        if marker is not None and not previous_open and self._open_clause(line, marker):
            if self.state == "preamble":
                self.state = "body"
            return
        top = self.stack[-1]
        if top.first_body is None and not top.children:
            top.first_body = line

    def _open_annex(self, line: _Line, marker: _Marker) -> None:
        node = _Node("annex", marker.number, marker.marker, "", line.start)
        self.stack = [self.root]
        self.root.add(node)
        self.stack.append(node)
        self.state = "annex"

    def _open_closing(self, line: _Line) -> None:
        node = _Node("signature", 0, "", "", line.start)
        self.stack = [self.root]
        self.root.add(node)
        self.stack.append(node)
        self.state = "closing"

    def _open_clause(self, line: _Line, marker: _Marker) -> bool:
        rank = _RANK[marker.kind]
        depth = len(self.stack)
        while depth > 1 and _RANK.get(self.stack[depth - 1].kind, -2) >= rank:
            depth -= 1
        parent = self.stack[depth - 1]
        if parent.kind in ("preamble", "signature"):
            return False
        if self._implicit_first_item_missing(parent, marker):
            self._wrap_implicit_item(parent)
        elif not self._continues_numbering(parent, marker):
            return False
        heading = _line_heading(marker.rest) or _run_in_heading(marker.rest)
        node = _Node(marker.kind, marker.number, marker.marker, heading, line.start)
        del self.stack[depth:]
        parent.add(node)
        self.stack.append(node)
        return True

    def _continues_numbering(self, parent: _Node, marker: _Marker) -> bool:
        sibling = parent.last_child(marker.kind)
        if sibling is not None:
            return marker.number == sibling.number + 1
        if marker.number == 1:
            return True
        return self._cousin_number(parent, marker.kind) == marker.number - 1

    @staticmethod
    def _cousin_number(parent: _Node, kind: str) -> int | None:
        """The number of the last `kind` clause under the parent's previous sibling of the
        same kind: numbering that runs on across groups (Ningbo 第四条's points 1–15) or
        across chapters (yuquan's articles)."""
        grandparent = parent.parent
        if grandparent is None:
            return None
        siblings = [c for c in grandparent.children if c.kind == parent.kind]
        position = next(i for i, c in enumerate(siblings) if c is parent)
        if position == 0:
            return None
        cousin = siblings[position - 1].last_child(kind)
        return cousin.number if cousin else None

    @staticmethod
    def _implicit_first_item_missing(parent: _Node, marker: _Marker) -> bool:
        """（二） with no （一） before it, under a clause that already has content: that
        content is an unnumbered item （一） (yuquan 第四条: the line "城乡低保、特困供养工作"
        heads points 1.–3., then come "(二)临时救助工作" and "(三)特困供养救助工作")."""
        return (
            marker.kind == "item"
            and marker.number == 2
            and parent.kind in ("chapter", "article", "section", "annex")
            and not any(c.kind == "item" for c in parent.children)
            and (parent.first_body is not None or bool(parent.children))
        )

    @staticmethod
    def _wrap_implicit_item(parent: _Node) -> None:
        """Move the parent's content so far into an implicit item （一）."""
        first = parent.first_body
        start = first.start if first is not None else parent.children[0].start
        heading = _line_heading(first.content) if first is not None else ""
        implicit = _Node("item", 1, "", heading, start, implicit=True)
        for child in parent.children:
            implicit.add(child)
        parent.children = []
        parent.add(implicit)

    def _add_preamble(self) -> None:
        first_content = next((ln.start for ln in self.lines if ln.content), None)
        if first_content is None:
            return
        first_clause = self.root.children[0].start if self.root.children else len(self.text)
        if first_content < first_clause:
            preamble = _Node("preamble", 0, "", "", first_content, parent=self.root)
            self.root.children.insert(0, preamble)

    def _assign_ends(self, node: _Node, limit: int) -> None:
        """A clause runs to the start of the next clause that is not its descendant, less the
        blank space before it."""
        end = limit
        while end > node.start and self.text[end - 1].isspace():
            end -= 1
        node.end = end
        for i, child in enumerate(node.children):
            following = node.children[i + 1].start if i + 1 < len(node.children) else limit
            self._assign_ends(child, following)
        if node.kind == "annex" and not node.heading:
            node.heading = self._annex_title(node)

    def _annex_title(self, node: _Node) -> str:
        """The form title on the first non-blank line after "附件N"."""
        body = self.text[node.start : node.end].split("\n")[1:]
        title = next((ln.strip() for ln in body if ln.strip()), "")
        return title if len(title) <= 40 and not any(c in "。；;" for c in title) else ""


def _freeze(node: _Node, text: str, path: tuple[Segment, ...], line_of: _LineIndex) -> Clause:
    children = tuple(
        _freeze(child, text, (*path, Segment(child.kind, child.number)), line_of)
        for child in node.children
    )
    return Clause(
        path=path,
        citation=citation_of(path),
        marker=node.marker,
        heading=node.heading,
        start=node.start,
        end=node.end,
        line=line_of.line_col(node.start)[0],
        own_text=_own_text(text, node),
        text=text[node.start : node.end],
        implicit=node.implicit,
        children=children,
    )


def _own_text(text: str, node: _Node) -> str:
    """The clause's text outside its children, pieces joined by a line break."""
    pieces, pos = [], node.start
    for child in node.children:
        pieces.append(text[pos : child.start])
        pos = child.end
    pieces.append(text[pos : node.end])
    return "\n".join(p.strip() for p in pieces if p.strip())


class _LineIndex:
    def __init__(self, text: str) -> None:
        self.length = len(text)
        self.starts = [0]
        found = text.find("\n")
        while found != -1:  # str.find, not a Python step a character: texts are long
            self.starts.append(found + 1)
            found = text.find("\n", found + 1)

    def line_col(self, offset: int) -> tuple[int, int]:
        if not 0 <= offset <= self.length:
            raise ValueError(f"offset {offset} is outside the text (0–{self.length})")
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def segment(text: str) -> Clause:
    """The clause tree of an official text, synthetic root included."""
    return _freeze(_Builder(text).build(), text, (), _LineIndex(text))


# ---------------------------------------------------------------- quotes


def normalize_for_quote(text: str) -> str:
    """Remove every whitespace character (spaces, \\u3000, \\xa0, tabs, line breaks)."""
    # str.split() cuts at exactly the characters isspace() is true of (checked over every
    # code point), in C.
    return "".join(text.split())


@dataclass(frozen=True)
class QuoteCheck:
    ok: bool
    nearest: str = ""  # when not ok: the closest passage, as in the source, blanks collapsed
    similarity: float = 1.0  # 0–1, of `nearest` to the quote


_ANCHOR = 3  # length of the quote fragments used to find candidate alignments
_MAX_CANDIDATES = 24


def check_quote(text: str, quote: str) -> QuoteCheck:
    """Is the quote in `text`, ignoring whitespace?  If not, the most similar passage."""
    needle = normalize_for_quote(quote)
    if not needle:
        return QuoteCheck(ok=False, nearest="", similarity=0.0)
    haystack = _blanks_removed(text)
    if needle in haystack:
        return QuoteCheck(ok=True)
    offsets, haystack = _without_blanks(text)
    if not haystack:
        return QuoteCheck(ok=False, nearest="", similarity=0.0)
    width = min(len(needle), len(haystack))
    best_start, best_ratio = _best_window(haystack, needle, width)
    first, last = offsets[best_start], offsets[best_start + width - 1]
    nearest = " ".join(text[first : last + 1].split())
    return QuoteCheck(ok=False, nearest=nearest, similarity=round(best_ratio, 4))


@lru_cache(maxsize=64)
def _blanks_removed(text: str) -> str:
    """`normalize_for_quote(text)`, cached like _without_blanks: what a quote that is found
    (nearly all of them) needs, without the position of every character."""
    return normalize_for_quote(text)


@lru_cache(maxsize=64)
def _without_blanks(text: str) -> tuple[tuple[int, ...], str]:
    """`text` without its blanks, and the position in `text` of each character kept (to map a
    passage back to the source).  Cached: every quote of a clause is checked against the same
    text, and a clause of thousands of lines made `check` quadratic."""
    offsets = tuple(i for i, ch in enumerate(text) if not ch.isspace())
    return offsets, "".join(text[i] for i in offsets)


def _best_window(haystack: str, needle: str, width: int) -> tuple[int, float]:
    """The start of the `width`-long window of `haystack` most similar to `needle`.

    Comparing every window is quadratic in practice; instead each short fragment of the quote
    votes for the alignments where it occurs, and only the most voted alignments (and their
    neighbours) are compared with difflib.
    """
    last_start = len(haystack) - width
    votes: Counter[int] = Counter()
    for i in range(max(len(needle) - _ANCHOR + 1, 1)):
        fragment = needle[i : i + _ANCHOR]
        pos = haystack.find(fragment)
        while pos != -1:
            votes[min(max(pos - i, 0), last_start)] += 1
            pos = haystack.find(fragment, pos + 1)
    starts = {s for s, _ in votes.most_common(_MAX_CANDIDATES)}
    starts |= {min(max(s + d, 0), last_start) for s in set(starts) for d in (-2, -1, 1, 2)}
    if not starts:  # nothing in common: sample evenly
        step = max(width // 2, 1)
        starts = set(range(0, last_start + 1, step)) | {last_start}
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(needle)
    best = (0, -1.0)
    for start in sorted(starts):
        matcher.set_seq1(haystack[start : start + width])
        ratio = matcher.ratio()
        if ratio > best[1]:
            best = (start, ratio)
    return best


# ---------------------------------------------------------------- documents


@dataclass(frozen=True)
class Resolution:
    clause: Clause | None  # the clause, when exactly one matched
    candidates: tuple[Clause, ...] = ()  # every match; more than one means ambiguous
    suggestions: tuple[str, ...] = ()  # when nothing matched: nearby canonical citations

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


class SourceError(PolicycError):
    """An official text that cannot be read (missing, unreadable, not UTF-8)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path


_MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class SourceDocument:
    policy_id: str  # the file stem, e.g. "ningbo"
    path: Path
    sha256: str  # of the file's bytes
    text: str
    root: Clause
    _lines: _LineIndex = field(init=False, repr=False, compare=False)
    _by_segment: dict[Segment, tuple[Clause, ...]] = field(init=False, repr=False, compare=False)
    # Every clause by its path (`clause_at`), made when first asked for: the site's decision
    # pages ask it for each rule's article and holder.
    _by_path: dict[tuple[Segment, ...], Clause] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        by_segment: dict[Segment, list[Clause]] = {}
        for clause in self.clauses():
            by_segment.setdefault(clause.path[-1], []).append(clause)
        # Frozen: the indexes are derived once, here.
        object.__setattr__(self, "_lines", _LineIndex(self.text))
        object.__setattr__(self, "_by_segment", {k: tuple(v) for k, v in by_segment.items()})

    def clauses(self) -> Iterator[Clause]:
        """Every clause, preorder, the root excluded."""
        for child in self.root.children:
            yield from child.walk()

    def clause_at(self, path: tuple[Segment, ...]) -> Clause | None:
        """The clause whose path is `path` (the root's is ()), or None."""
        by_path = self._by_path
        if by_path is None:
            by_path = {}
            for clause in self.root.walk():
                by_path.setdefault(clause.path, clause)  # the first, as a walk finds it
            object.__setattr__(self, "_by_path", by_path)
        return by_path.get(path)

    def resolve(self, citation: str) -> Resolution:
        """The clause a citation names.  Raises CitationSyntaxError for a malformed one.

        The citation's segments must appear, in order, along the clause's path and end it;
        levels the citation leaves out are skipped (a chapter, an implicit item, Ningbo
        第四条's group in "第四条 12")."""
        wanted = parse_citation(citation)
        matches = tuple(c for c in self._by_segment.get(wanted[-1], ()) if _within(wanted, c.path))
        if len(matches) == 1:
            return Resolution(clause=matches[0], candidates=matches)
        if matches:
            return Resolution(clause=None, candidates=matches)
        return Resolution(clause=None, suggestions=self._suggest(citation, wanted))

    def _suggest(self, citation: str, wanted: tuple[Segment, ...]) -> tuple[str, ...]:
        found: list[str] = []
        # 1. the same last segment elsewhere ("第三条 12" -> "第四条（四）12")
        found += [c.citation for c in self._by_segment.get(wanted[-1], ())]
        # 2. the nearest numbers under the longest prefix that does resolve (the whole
        #    document when none does: "六" -> "五")
        parents: list[Clause] = [self.root]
        for cut in range(len(wanted) - 1, 0, -1):
            resolved = [
                c
                for c in self._by_segment.get(wanted[cut - 1], ())
                if _within(wanted[:cut], c.path)
            ]
            if resolved:
                parents = resolved
                break
        last = wanted[-1]
        near = [d for p in parents for d in p.walk() if d is not p and d.kind == last.kind]
        near.sort(key=lambda d: abs(d.number - last.number))
        found += [d.citation for d in near[:3]]
        # 3. spelling: citations that look alike
        everything = [c.citation for c in self.clauses()]
        found += difflib.get_close_matches(citation_of(wanted), everything, n=3, cutoff=0.5)
        return tuple(dict.fromkeys(found))[:_MAX_SUGGESTIONS]

    def verify_quote(self, clause: Clause, quote: str) -> QuoteCheck:
        return check_quote(clause.text, quote)

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset; lines are split on "\\n"."""
        return self._lines.line_col(offset)


def _within(wanted: Sequence[Segment], path: Sequence[Segment]) -> bool:
    """Is `wanted` a subsequence of `path` that ends where the path ends?"""
    if not path or not wanted or path[-1] != wanted[-1]:
        return False
    remaining = iter(path[:-1])
    return all(any(seg == p for p in remaining) for seg in wanted[:-1])


def load_source(path: Path) -> SourceDocument:
    """Read and segment an official text.  Raises SourceError naming the path."""
    return source_from_bytes(path, read_source(path))


def read_source(path: Path) -> bytes:
    """An official text's bytes.  Raises SourceError naming the path."""
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise SourceError(path, "no such file") from err
    except OSError as err:
        raise SourceError(path, err.strerror or str(err)) from err


def source_from_bytes(path: Path, data: bytes) -> SourceDocument:
    """Segment an official text already read (from git, by `policyc diff`); `path` names it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        # Texts copied from a government site are often saved as GBK or UTF-16 (Windows).
        guess = guess_encoding(data)
        hint = f"; it looks like {guess}: save it as UTF-8" if guess else ""
        raise SourceError(path, f"not UTF-8 text (byte offset {err.start}){hint}") from err
    return SourceDocument(
        policy_id=path.stem,
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        text=text,
        root=segment(text),
    )
