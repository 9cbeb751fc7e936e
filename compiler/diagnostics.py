"""Diagnostics: what went wrong, where, and what was expected.

Rendered like a modern compiler's, with the offending line and a caret.  Chinese characters
are two columns wide in a terminal, so the caret is padded by display width, not by code
points (Lark's own `get_context` pads by code points and lands too far left).  Places that
explain the error (where a name was first declared) are `Label`s, quoted after the primary
line the same way, each under its own `--> file:line:col`, so that tools get them as data.
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from compiler import codes
from compiler.codes import INPUT_AND_SYNTAX, STOPS_CHECK, SYNTAX, Code, Severity
from compiler.nodes import Span


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@dataclass(frozen=True)
class Label:
    """A secondary place that explains the primary one, e.g. where a name was first declared."""

    span: Span
    message: str  # e.g. "first declared here", shown after the caret
    source_line: str | None = None  # the line at `span`, for the caret


@dataclass(frozen=True)
class Diagnostic:
    code: Code  # its severity and meaning are the code's
    message: str
    span: Span | None
    source_line: str | None = None  # the offending line, for the caret
    help: tuple[str, ...] = field(default_factory=tuple)
    labels: tuple[Label, ...] = field(default_factory=tuple)  # shown in this order

    @property
    def severity(self) -> Severity:
        return self.code.severity

    def render(self) -> str:
        where = f"{self.span}: " if self.span else ""
        lines = [f"{where}{self.severity}[{self.code.id}]: {self.message}"]
        # One gutter for the whole diagnostic, wide enough for every line number it quotes,
        # so that the bars of the primary and the secondary blocks stand in one column.
        spans = [s for s in (self.span, *(label.span for label in self.labels)) if s is not None]
        gutter = " " * max((len(str(s.line)) for s in spans), default=0)
        if self.span and self.source_line is not None:
            lines += _quote(self.span, self.source_line, gutter)
        for label in self.labels:
            if label.source_line is None:  # a file not loaded: the place and the message only
                lines.append(f" {gutter}--> {label.span}: {label.message}")
            else:
                *quoted, carets = _quote(label.span, label.source_line, gutter)
                lines += [f" {gutter}--> {label.span}", *quoted, f"{carets} {label.message}"]
        lines += [f" {gutter} = {h}" for h in self.help]
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code.id,
            "severity": str(self.severity),
            "message": self.message,
            "file": self.span.file if self.span else None,
            "line": self.span.line if self.span else None,
            "column": self.span.column if self.span else None,
            "help": list(self.help),
            "labels": [
                {
                    "file": label.span.file,
                    "line": label.span.line,
                    "column": label.span.column,
                    "end_line": label.span.end_line,
                    "end_column": label.span.end_column,
                    "message": label.message,
                }
                for label in self.labels
            ],
        }


def _quote(span: Span, source_line: str, gutter: str) -> list[str]:
    """The quoted line between bars, with carets under the span (by display width)."""
    # Control characters would garble the terminal: show them as U+FFFD.
    raw = "".join(
        "\ufffd" if unicodedata.category(ch) == "Cc" and ch != "\t" else ch
        for ch in source_line.rstrip("\n")
    )
    text = raw.expandtabs(4)
    # Columns count characters of the raw line; measure the prefix after expanding tabs.
    before = raw[: max(span.column - 1, 0)].expandtabs(4)
    if span.end_line == span.line and span.end_column > span.column:
        marked = raw[span.column - 1 : span.end_column - 1]
    else:
        marked = raw[span.column - 1 : span.column]
    carets = "^" * max(display_width(marked), 1)
    number = str(span.line).ljust(len(gutter))  # left-aligned, as rustc does
    return [
        f" {gutter} |",
        f" {number} | {text}",
        f" {gutter} | {' ' * display_width(before)}{carets}",
    ]


class SourceLines:
    """Lines of the policy files, so that diagnostics can quote the offending line."""

    def __init__(self) -> None:
        self._files: dict[str, list[str]] = {}

    def add(self, path: str, text: str) -> None:
        # Split at \n only, as the parser counts lines (splitlines also breaks at U+2028, NEL).
        self._files[path] = text.split("\n")

    def line(self, span: Span | None) -> str | None:
        if span is None:
            return None
        lines = self._files.get(span.file)
        if lines is None or not 1 <= span.line <= len(lines):
            return None
        return lines[span.line - 1]


def guess_encoding(data: bytes) -> str | None:
    """What a file that is not UTF-8 text was most likely saved as, where its bytes say so
    plainly: "UTF-16" (Notepad's "Unicode") or "GBK/GB18030" (what Chinese Windows saves by
    default); None otherwise, as a wrong guess would mislead more than none.  For the advice
    of a file that does not decode as UTF-8 (or that decodes to NUL characters)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 byte order mark
        return "UTF-16"
    # Without one: an ASCII character is a NUL byte and its own, and text holds no NULs.
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if max(even, odd) * 16 >= len(data) > 0:
        text = _decoded(data, "utf-16-be" if even > odd else "utf-16-le")
        binary = text is None or any(
            unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text
        )
        return None if binary else "UTF-16"
    text = _decoded(data, "gb18030")
    chinese = "".join(ch for ch in text or "" if "\u4e00" <= ch <= "\u9fff")
    # Latin-1 may decode too ("Zürich": ü and r read as one rare character): a Chinese text
    # is mostly of GB2312's 6,763 common characters, two bytes each.
    common = len(chinese.encode("gb2312", errors="ignore")) // 2
    return "GBK/GB18030" if chinese and common * 2 >= len(chinese) else None


def _decoded(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def did_you_mean(word: str, candidates: Iterable[str]) -> tuple[str, ...]:
    close = difflib.get_close_matches(word, sorted(set(candidates)), n=3, cutoff=0.6)
    if close and difflib.SequenceMatcher(None, word, close[0]).ratio() >= 0.9:
        close = close[:1]  # a near-certain match: naming others would only distract
    return (f"did you mean {', '.join(repr(c) for c in close)}?",) if close else ()


def skipped(diagnostics: Iterable[Diagnostic]) -> str:
    """The line after the diagnostics where checking stopped (`syntax_stage`): at a syntax
    error, or at a file that could not be read (`unreadable`) where none has one."""
    syntax = any(d.code in SYNTAX for d in diagnostics)
    until = "the syntax errors above are fixed" if syntax else "the files above can be read"
    return f"the other checks (names, types, citations, quotes, tests) were skipped until {until}"


def unreadable(shown: str, why: OSError | str) -> Diagnostic:
    """The E000 of a policy file (or a folder of them) that was found, named or in policies/,
    and could not be read, `why` the error or its words: it stops the check as a syntax error
    does (`codes.STOPS_CHECK`)."""
    reason = why if isinstance(why, str) else why.strerror or str(why)
    return Diagnostic(codes.E000, f"cannot read {shown}: {reason}", None)


def stopped_at_syntax(diagnostics: Iterable[Diagnostic]) -> bool:
    """Whether a file has a syntax error or could not be read (`codes.STOPS_CHECK`): then
    checking stops after parsing (`syntax_stage`), and a report says the other checks were
    skipped."""
    return any(d.code in STOPS_CHECK for d in diagnostics)


def syntax_stage(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic] | None:
    """Where a file has a syntax error or could not be read (`stopped_at_syntax`), the input
    and syntax diagnostics alone (E0xx, in the order given); None where no file has one.

    What the other checks would find then follows, for the most part, from the file that did
    not parse: its names unknown in every file that uses them (one misspelt keyword in
    concepts.policy made 1,417 E101 errors), its policy unknown to its tests (E105).  So the
    checker, the incremental check and every command that reports diagnostics stop there,
    as compilers do after a syntax error."""
    found = list(diagnostics)
    if not stopped_at_syntax(found):
        return None
    return [d for d in found if d.code in INPUT_AND_SYNTAX]


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    span = diagnostic.span
    return (
        span.file if span else "",
        span.line if span else 0,
        span.column if span else 0,
        diagnostic.code.id,
    )


def render_all(diagnostics: Sequence[Diagnostic]) -> str:
    return "\n\n".join(d.render() for d in sorted(diagnostics, key=sort_key))


def to_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps(
        [d.to_json() for d in sorted(diagnostics, key=sort_key)], ensure_ascii=False, indent=2
    )
