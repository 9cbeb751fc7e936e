"""`policyc fmt`: the canonical layout of a policy file.

A token-level formatter: the file is parsed with the grammar (so a file with a syntax error is
refused with the usual diagnostics), its tokens are taken in source order from a parse tree that
keeps every token, the comments from the whitespace between them, and everything is written out
again with canonical whitespace.  Only whitespace changes, never a token or a comment, so the
meaning cannot change; `format_text` still re-parses its result and compares the two ASTs without
source positions, so that a bug here is an error instead of a silently changed policy.

The canonical form is the layout the project's files were written in:
- one item (declaration, statement, statement item, test case, case check) per line, indented
  4 spaces per open block;
- a block's `{` ends its header's line, or stands on a line of its own when the header was
  continued onto more lines (quotes under a statement); `}` stands alone;
- the author's line breaks inside an item are kept (no reflowing): a continuation line is
  indented 4 more than its item, and 4 more for each open parenthesis, except the lists of a
  test case (`given`, `exempts`, …), which line up after their keyword;
- single spaces between tokens, none before `,` `:` `)` `%`, after `(`, inside a set's braces or
  between a function and its `(`;
- a comment keeps its text (trailing blanks dropped); one on a line of its own is indented as the
  line after it, one after code is two spaces away;
- at most one blank line in a row, none after `{`, before `}` or at the start; LF line endings,
  no trailing whitespace, one final newline.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, assert_never

from lark import Token, Tree

from compiler import codes
from compiler import nodes as n
from compiler.atomic import write_whole
from compiler.diagnostics import Diagnostic, render_all, unreadable

# The parser's own Lark: it keeps every token in the tree (keywords, punctuation).
from compiler.parser import _lark, decode, parse_text
from compiler.project import display_path, policy_files
from compiler.runtime.exits import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

INDENT = "    "

# The rules whose first token begins a line: declarations, statements and what they contain.
_ITEMS = frozenset(
    {
        "policy_header",
        "meta_title",
        "meta_jurisdiction",
        "meta_issuer",
        "meta_number",
        "meta_issued",
        "meta_status",
        "meta_effective",
        "meta_source",
        "meta_decision",
        "concept_decl",
        "fact_decl",
        "judgment_decl",
        "enum_decl",
        "enum_member",
        "actor_decl",
        "define_decl",
        "statement",
        "informative",
        "pending",
        "when_item",
        "require_item",
        "within_item",
        "extend_item",
        "no_rollover_item",
        "actor_item",
        "task_item",
        "overrides_item",
        "excuses_item",
        "grants_item",
        "effect_item",
        "every_item",
        "step_item",
        "field_item",
        "role_item",
        "covers_item",
        "target_item",
        "penalty_item",
        "note_item",
        "test_suite",
        "case",
        "given",
        "expect",
        "cites",
        "missing",
        "grants_check",
        "pending_check",
        "exempts_check",
        "not_exempted_check",
        "due",
        "holds",
        "fails",
        "record_check",
    }
)
# A test case's lists line up after their keyword (`given a = 1,` / `      b = 2`).
_ALIGNED = frozenset(
    {"given", "cites", "missing", "grants_check", "pending_check", "exempts_check"}
    | {"not_exempted_check"}
)
# The rules whose braces open a block of items (a set's braces, `in {a, b}`, are inline).
_BLOCKS = frozenset({"policy_header", "concept_decl", "enum_decl", "body", "test_suite", "case"})

_COMMENT = re.compile(r"#[^\n]*")


class Role(Enum):
    PLAIN = "plain"
    ITEM = "item"  # the first token of an item
    OPEN = "open"  # a block's `{`
    CLOSE = "close"  # a block's `}`
    CALL = "call"  # the `(` of a function call


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int
    role: Role
    rule: str  # the item this token begins (ITEM), else ""


@dataclass(frozen=True)
class _Comment:
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    tree = _lark(compiled=False).parse(text)  # its tokens are `str`s
    roles: dict[int, tuple[Role, str]] = {}
    for sub in tree.iter_subtrees():
        leaves = [t for t in sub.scan_values(lambda v: isinstance(v, Token))]
        if not leaves:
            continue
        rule = str(sub.data)
        if rule in _ITEMS:
            roles[leaves[0].start_pos or 0] = (Role.ITEM, rule)
        for child in sub.children:
            if not isinstance(child, Token):
                continue
            if rule in _BLOCKS and child == "{":
                roles[child.start_pos or 0] = (Role.OPEN, "")
            elif rule in _BLOCKS and child == "}":
                roles[child.start_pos or 0] = (Role.CLOSE, "")
            elif rule == "call" and child == "(":
                roles[child.start_pos or 0] = (Role.CALL, "")
    leaves = sorted(tree.scan_values(lambda v: isinstance(v, Token)), key=_start)
    return [
        _Token(str(t), _start(t), t.end_pos or 0, *roles.get(_start(t), (Role.PLAIN, "")))
        for t in leaves
    ]


def _start(token: Token) -> int:
    return token.start_pos or 0


def _elements(text: str) -> list[_Token | _Comment]:
    """Tokens and comments in source order: the comments are what the grammar ignores between
    tokens besides whitespace."""
    tokens = _tokens(text)
    found: list[_Token | _Comment] = []
    position = 0
    for token in [*tokens, None]:
        end = len(text) if token is None else token.start
        for match in _COMMENT.finditer(text, position, end):
            found.append(_Comment(match.group().rstrip(), match.start(), match.end()))
        if token is not None:
            found.append(token)
            position = token.end
    return found


_NO_SPACE_BEFORE = frozenset({",", ":", ")", "%"})


@dataclass
class _Item:
    rule: str
    keyword: str
    depth: int
    broken: bool = False  # whether a line break was written inside it
    parens: int = 0  # open parentheses and set braces
    extra: int = 0  # a define's formula under its `=` on a line of its own: one level more


def _layout(text: str) -> str:
    elements = _elements(text)
    out: list[str] = []
    depth = 0
    item = _Item("", "", 0)
    outer: list[_Item] = []  # the items whose blocks are open
    previous: _Token | _Comment | None = None

    def continuation(parens: int) -> str:
        extra = len(item.keyword) + 1 if item.rule in _ALIGNED else len(INDENT)
        return INDENT * item.depth + " " * (extra + item.extra + len(INDENT) * parens)

    def indent_of(element: _Token | _Comment, after: _Token | None) -> str:
        if isinstance(element, _Comment):
            # A comment stands where the token after it will stand; before a `}`, inside.
            if after is None or after.role is Role.CLOSE:
                return INDENT * depth
            element = after
        match element.role:
            case Role.ITEM | Role.OPEN:
                return INDENT * depth
            case Role.CLOSE:
                return INDENT * (depth - 1)
            case Role.PLAIN | Role.CALL:
                # A line that starts by closing a parenthesis stands where the parenthesis opened.
                closing = element.text == ")" and item.parens > 0
                return continuation(item.parens - 1 if closing else item.parens)
            case _:
                assert_never(element.role)

    # The token after each element (a comment is placed by the token that follows it).
    following: list[_Token | None] = []
    upcoming: _Token | None = None
    for element in reversed(elements):
        following.append(upcoming)
        if isinstance(element, _Token):
            upcoming = element
    following.reverse()

    for index, element in enumerate(elements):
        gap = text[previous.end if previous else 0 : element.start]
        breaks = gap.count("\n")
        after = following[index]
        if previous is None:
            newline = False
        elif isinstance(previous, _Comment):
            newline = True
        elif isinstance(element, _Comment):
            newline = breaks > 0
        elif element.role is Role.OPEN:
            newline = item.broken
        else:
            newline = (
                breaks > 0
                or element.role in (Role.ITEM, Role.CLOSE)
                or (isinstance(previous, _Token) and previous.role is Role.OPEN)
            )
        if previous is None:
            pass
        elif newline:
            blank = (
                breaks > 1
                and not (isinstance(previous, _Token) and previous.role is Role.OPEN)
                and not (isinstance(element, _Token) and element.role in (Role.OPEN, Role.CLOSE))
            )
            out.append("\n\n" if blank else "\n")
            out.append(indent_of(element, after))
            if isinstance(element, _Comment) or element.role is not Role.ITEM:
                item.broken = True
            if item.rule == "define_decl" and isinstance(element, _Token) and element.text == "=":
                item.extra = len(INDENT)
        elif isinstance(element, _Comment):
            out.append("  ")
        elif _spaced(previous, element):
            out.append(" ")
        if isinstance(element, _Comment):
            out.append(element.text)
        else:
            match element.role:
                case Role.ITEM:
                    item = _Item(element.rule, element.text, depth)
                case Role.OPEN:
                    outer.append(item)
                    depth += 1
                case Role.CLOSE:
                    depth -= 1
                    item = outer.pop() if outer else _Item("", "", depth)
                case Role.PLAIN | Role.CALL:
                    if element.text in ("(", "{"):
                        item.parens += 1
                    elif element.text in (")", "}") and item.parens:
                        item.parens -= 1
                case _:
                    assert_never(element.role)
            out.append(element.text)
        previous = element
    shown = "".join(out)
    return shown + "\n" if shown else ""


def _spaced(previous: _Token | _Comment, token: _Token) -> bool:
    if isinstance(previous, _Comment):
        return False
    if token.text in _NO_SPACE_BEFORE or token.role is Role.CALL:
        return False
    if token.text == "}" and token.role is Role.PLAIN:
        return False
    return not (previous.text == "(" or (previous.role is Role.PLAIN and previous.text == "{"))


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def format_text(text: str, path: str) -> tuple[str | None, list[Diagnostic]]:
    """The canonical text of a policy file (None and the diagnostics if it does not parse)."""
    text = normalize_newlines(text)
    module, diagnostics = parse_text(text, path)
    if module is None or any(d.severity == "error" for d in diagnostics):
        return None, diagnostics
    formatted = _layout(text)
    again, _ = parse_text(formatted, path)
    if again is None or strip_spans(again) != strip_spans(module):
        raise AssertionError(f"policyc fmt would change the meaning of {path}")
    return formatted, diagnostics


def strip_spans(value: Any) -> Any:
    """An AST as plain values without source positions: two files that differ only in layout
    give equal results."""
    if isinstance(value, n.Span):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple((f.name, strip_spans(getattr(value, f.name))) for f in dataclasses.fields(value)),
        )
    if isinstance(value, (list, tuple)):
        return tuple(strip_spans(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), strip_spans(v)) for k, v in value.items()))
    if isinstance(value, (str, int, Decimal, date, datetime, Enum)) or value is None:
        return value
    if isinstance(value, Tree):
        raise TypeError("a parse tree in the AST")
    return value


# ---------------------------------------------------------------- the command


@dataclass(frozen=True)
class _Outcome:
    path: Path
    shown: str
    old: bytes
    new: bytes | None  # None: refused (diagnostics)
    diagnostics: tuple[Diagnostic, ...]


def _format_file(path: Path, shown: str) -> _Outcome:
    try:
        data = path.read_bytes()
    except OSError as error:
        problem = unreadable(shown, error)
        return _Outcome(path, shown, b"", None, (problem,))
    text, problems = decode(data, shown)
    if text is None or any(d.severity == "error" for d in problems):
        return _Outcome(path, shown, data, None, tuple(problems))
    formatted, diagnostics = format_text(text, shown)
    if formatted is None:
        return _Outcome(path, shown, data, None, tuple(diagnostics))
    return _Outcome(path, shown, data, formatted.encode("utf-8"), ())


def run(root: Path, paths: Sequence[Path], *, check: bool, diff: bool) -> int:
    """`policyc fmt`: 0 nothing (left) to change, 1 a file would change (--check) or does not
    parse, 2 a path cannot be found or read or a file cannot be written."""
    files, errors = policy_files(root, paths)
    if errors:
        sys.stderr.write(render_all(errors) + "\n")
        return EXIT_USAGE
    outcomes = [_format_file(path, display_path(path, root)) for path in files]
    unreadable = [d for o in outcomes for d in o.diagnostics if d.code is codes.E000]
    refused = [d for o in outcomes if o.new is None for d in o.diagnostics]
    if refused:
        # Nothing is written when any file is refused: the run is all or nothing.
        sys.stderr.write(render_all(refused) + "\n")
        broken = sum(1 for o in outcomes if o.new is None)
        sys.stderr.write(f"policyc fmt: {broken:,} file(s) not formatted, nothing written\n")
        return EXIT_USAGE if unreadable else EXIT_FINDINGS
    changed = [o for o in outcomes if o.new != o.old]
    if diff:
        for o in changed:
            assert o.new is not None
            lines = difflib.unified_diff(
                o.old.decode("utf-8", errors="replace").splitlines(keepends=True),
                o.new.decode("utf-8").splitlines(keepends=True),
                f"a/{o.shown}",
                f"b/{o.shown}",
            )
            sys.stdout.write(
                "".join(line if line.endswith("\n") else line + "\n" for line in lines)
            )
    if check or diff:
        for o in changed:
            sys.stderr.write(f"would reformat {o.shown}\n")
        sys.stderr.write(
            f"policyc fmt: {len(changed):,} file(s) would be reformatted, "
            f"{len(outcomes) - len(changed):,} already canonical\n"
        )
        return EXIT_FINDINGS if check and changed else EXIT_OK
    for o in changed:
        assert o.new is not None
        try:
            write_keeping_mode(o.path, o.new)
        except OSError as error:
            problem = Diagnostic(codes.E000, f"cannot write {o.shown}: {error.strerror}", None)
            sys.stderr.write(render_all([problem]) + "\n")
            return EXIT_USAGE
        sys.stderr.write(f"reformatted {o.shown}\n")
    sys.stderr.write(
        f"policyc fmt: {len(changed):,} file(s) reformatted, "
        f"{len(outcomes) - len(changed):,} already canonical\n"
    )
    return EXIT_OK


def write_keeping_mode(path: Path, data: bytes) -> None:
    """Replace `path` whole or not at all (a temporary file beside it, then a rename), with the
    permissions it had: a failed write leaves the original as it was."""
    mode = stat.S_IMODE(path.stat().st_mode)
    write_whole(path, data, mode, prefix=f".{path.name}.", durable=True)
