"""Policy text -> AST (`compiler.nodes`).

Lark builds the parse tree with LALR and its contextual lexer; `_ToNodes` turns it into frozen
dataclasses with source spans, which it takes from the tokens itself (see `_KEPT_TOKENS`).
Every way a file can be wrong (bytes that are not UTF-8, an unexpected character or token, a
file cut off mid-statement, an impossible date) becomes a `Diagnostic`, never an exception
escaping to the user.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeGuard

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import ContextualLexer, PatternRE, TerminalDef
from lark.tree import Meta
from lark.visitors import _vargs_meta, _VArgsWrapper

from compiler import codes
from compiler import nodes as n
from compiler.diagnostics import Diagnostic, did_you_mean, guess_encoding, unreadable
from compiler.runtime.kinds import Kind

# Inside the package, so that an installed policyc (not only a checkout) finds it.
GRAMMAR = resources.files("compiler") / "grammar" / "policy.lark"


def grammar_text() -> str:
    """The grammar of the policy language, as Lark reads it."""
    return GRAMMAR.read_text(encoding="utf-8")


# lark-cython (the `fast` extra: compiled wheels for Linux x86-64, macOS arm64 and Windows) is
# Lark's LALR parser and lexer compiled by Lark's author, a plugin of Lark.  It builds the same
# trees (tests/test_language.py compares them token by token, positions included, and the same
# errors) in about two thirds of the time, and parsing is a quarter of a first build.  Its
# tokens are not `str`s, so what reads tokens reads `str(token)` and asks `is_token`.
_COMPILED_PLUGINS: dict[str, Any]
_TOKEN_CLASSES: tuple[type, ...]
try:
    import lark_cython

    _COMPILED_PLUGINS = lark_cython.plugins
    _TOKEN_CLASSES = (Token, lark_cython.Token)
except ImportError:  # pure Python: the same trees, slower
    _COMPILED_PLUGINS = {}
    _TOKEN_CLASSES = (Token,)


def is_token(value: object) -> TypeGuard[Token]:
    """Whether `value` is a token of a parse tree (Lark's, or lark-cython's)."""
    return isinstance(value, _TOKEN_CLASSES)


# Keywords are whole words (the grammar's header says so): `factfoo: bool "x"` is a name followed
# by a colon, refused at `factfoo`, never the fact `foo`; `facts foo` is refused at `facts`.
# Lark's contextual lexer reads only what the parser can take next, and so where only keywords
# can come, it read the keyword `fact` at the start of `factfoo`.  Two parts make every word of
# the grammar whole, one for each way the grammar writes words:
#
# - A quoted keyword ("fact", "when", YUAN: "yuan") is Lark's string terminal.  Where NAME can
#   be read too, Lark reads a word as far as a name goes and makes it the keyword only if all
#   of it is one (`lark.lexer._create_unless`); `_names_everywhere` lets the lexer read a NAME
#   in every state, so that this holds everywhere, and the parser refuses a name where it
#   takes none.
# - A list of words (KIND: "gate" | "situation" | …) is a regular expression, which Lark does
#   not weigh against NAME that way: `_whole_words` makes it end where a name would end and
#   be tried before NAME, which would otherwise read its words as names.  Where a word of a
#   list and a name could both stand, the word would win, as a keyword does (no state of the
#   grammar takes both).
#
# What an error says was expected is what it said before (`_expected_terminals`).
_NAME_GOES_ON: Final = "(?![a-z0-9_])"  # what NAME (/[a-z_][a-z0-9_]*/) would read on
_WORD_LIST: Final = re.compile(r"\(\?:[a-z_][a-z0-9_]*(?:\|[a-z_][a-z0-9_]*)*\)")


def _names_everywhere(lexer: Any) -> Any:
    """`lexer` (Lark's ContextualLexer, or lark-cython's) reading a NAME in every state, as it
    does the terminals of a postlexer's `always_accept` (Lark's documented way, which
    lark-cython cannot take: its parser does not read through Lark's PostLexConnector)."""

    def contextual_lexer(conf: Any, states: Any, always_accept: Any = ()) -> Any:
        return lexer(conf, states, always_accept=(*always_accept, "NAME"))

    return contextual_lexer


def _whole_words(terminal: TerminalDef) -> None:
    """Lark's `edit_terminals`: a terminal that lists words ends where a name would, and is
    tried before NAME (priority 1), so that `situation` is a KIND and `situations` a name."""
    if terminal.pattern.type == "re" and _WORD_LIST.fullmatch(terminal.pattern.value):
        terminal.pattern = PatternRE(terminal.pattern.value + _NAME_GOES_ON, terminal.pattern.flags)
        terminal.priority = max(terminal.priority, 1)


@cache
def _lark(compiled: bool = True) -> Lark:
    """The parser; `compiled=False` is Lark's own even where lark-cython is installed (the
    formatter compares tokens with strings)."""
    plugins = dict(_COMPILED_PLUGINS) if compiled else {}
    plugins["ContextualLexer"] = _names_everywhere(plugins.get("ContextualLexer", ContextualLexer))
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        keep_all_tokens=True,
        maybe_placeholders=False,
        edit_terminals=_whole_words,
        _plugins=plugins,
    )


# The tokens a rule's function receives.  Lark drops the others (keywords, punctuation, terminals
# named with a leading "_") from a node's children, and with `propagate_positions` gives each
# node the extent of all of them: a rule's span runs from its keyword to its closing brace.
# That took 40 % of a parse (16.5 ms a file with it, 9.6 ms without), so the parser keeps every
# token and `_ToNodes` takes each node's extent from them as it drops them: the same spans and
# the same children (tests/test_language.py checks both against Lark's own, and these two
# sets against the grammar).
_KEPT_TOKENS: Final = frozenset(
    {
        "ADD_OP", "ALL", "BASE_TYPE", "CHECK_STATUS", "CITATION", "COMPARE", "DATE", "DATETIME",
        "DIMENSION", "EXTENDED", "FALSE", "KIND", "LEVEL", "MUL_OP", "NAME", "NONE", "NUMBER",
        "ON_ISSUE", "OUTCOME", "PERCENT", "PERIOD", "REASON", "RELATION", "ROLE", "STATUS",
        "STRING", "TRUE", "UNIT", "YUAN",
    }
)  # fmt: skip
# The `?rule`s that stand aside for their child when only one is left: Lark inlines them after
# dropping tokens (`?atom: "(" expr ")"` is its expr), the dropped tokens still in the extent
# the parent node takes from them.
_INLINED: Final = frozenset(
    {"atom", "comparison", "expr", "product", "scope_value", "sum", "unary"}
)


class _Extent(Meta):
    """Where a node of the parse tree starts and ends, as `propagate_positions` gives it: from
    its first token or node with an extent to its last."""

    def __init__(self, first: Any, last: Any) -> None:
        self.line: int = first.line
        self.column: int = first.column
        self.end_line: int = last.end_line
        self.end_column: int = last.end_column
        self.empty = False


_NOWHERE: Final[Meta] = Meta()  # type: ignore[no-untyped-call]  # a node without a token


def _kept(tree: Tree[Token]) -> list[Tree[Token] | Token]:
    """`tree`'s children as Lark gives them to a rule: without the tokens it drops."""
    return [c for c in tree.children if isinstance(c, Tree) or c.type in _KEPT_TOKENS]


# What a user should read for each terminal Lark may say it expected.
_TERMINAL_WORDS = {
    "NAME": "a name (lower-case ASCII snake_case)",
    "STRING": 'a quoted string "…"',
    "CITATION": "a clause citation such as 第四条（一）2 or 三（十三）",
    "NUMBER": "a number",
    "DATE": "a date YYYY-MM-DD",
    "DATETIME": "a date-time YYYY-MM-DDTHH:MM",
    "KIND": "a statement kind (situation, exclusion, gate, deadline, …)",
    "UNIT": "a unit (workdays, days, hours, months, years)",
    "BASE_TYPE": "a type (bool, int, money, ratio, date, datetime, duration, text)",
    "COMPARE": "a comparison (>=, <=, ==, !=, >, <)",
    "$END": "the end of the file",
    "ADD_OP": "'+', '-'",
    "MUL_OP": "'*', '/'",
    "ROLE": "a role (first_responsible, direct_responsible, specific_responsible)",
    "NO": "'no rollover'",  # the one two-word item keyword
}


def _pattern_words(pattern: str) -> str:
    """A terminal's regular expression without the lookahead that ends its words
    (`_whole_words`): the words, and the brackets and bars around them."""
    return pattern.removesuffix(_NAME_GOES_ON)


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    terminal = next((t for t in _lark().terminals if t.name == name), None)
    if terminal is not None and terminal.pattern.type == "str":
        return f"'{terminal.pattern.value}'"
    if terminal is not None:
        alternatives = re.findall(r"[a-z_]+|[^|()?:\\]+", _pattern_words(terminal.pattern.value))
        words = [a for a in alternatives if a.strip()]
        if words and all(re.fullmatch(r"[a-z_]+", w) for w in words):
            return " | ".join(words)
    return name.lower()


_TOKEN_NOUNS = {
    "NAME": "name",
    "CITATION": "citation",
    "NUMBER": "number",
    "DATE": "date",
    "DATETIME": "date-time",
    "KIND": "statement kind",
    "UNIT": "unit",
    "BASE_TYPE": "type",
}


def _expected_terminals(error: UnexpectedInput, said: Iterable[str]) -> set[str]:
    """The terminals expected where `error` stands (`said`: its own list), as they were said
    before the lexer read a NAME in every state (`_names_everywhere`).

    Where the parser takes a name, the lexer is what it was, and so is `said`.  Where it takes
    none, a character that stops the lexer now has it say NAME and leave out the keywords (it
    reads them as names), and a word is refused by the parser, whose table may add the end of
    the file: what is expected there is what the parser takes, without the end of the file,
    which the lexer never said."""
    said = set(said)
    state = getattr(error, "state", None)
    if state is None:
        return said
    takes = {t for t in state.parse_conf.parse_table.states[state.position] if t.isupper()}
    if "NAME" in takes:
        return said
    if "NAME" in said or (isinstance(error, UnexpectedToken) and error.token.type == "NAME"):
        return takes - {"$END"}
    return said


@cache
def _keyword_terminals() -> dict[str, str]:
    """Each keyword (a quoted word of the grammar) and the terminal it is: a word where no name
    can stand is named as the keyword it is (`unexpected 'is'`), as when the lexer named it."""
    return {
        t.pattern.value: t.name
        for t in _lark().terminals
        if t.pattern.type == "str" and re.fullmatch(r"[a-z_][a-z0-9_]*", t.pattern.value)
    }


def _expected(names: set[str]) -> str:
    # Punctuation first, then keywords, then kinds of token: a missing '}' should be visible.
    described = {_describe_terminal(x) for x in names}

    def rank(word: str) -> tuple[int, str]:
        if word.startswith("'") and not word[1].isalpha():
            return 0, word
        return (1 if word.startswith("'") else 2), word

    return ", ".join(sorted(described, key=rank))


_TOP_LEVEL = {
    "KIND",
    "POLICY",
    "FACT",
    "CONCEPT",
    "JUDGMENT",
    "ENUM",
    "ACTOR",
    "DEFINE",
    "INFORMATIVE",
    "TESTS",
    "CASE",
    "$END",
}


def _unclosed_brace(text: str, end: int) -> tuple[int, int] | None:
    """Line and column of the innermost '{' still open at offset `end`, skipping strings
    and comments: after a missing '}', the parser only notices at the next statement."""
    stack: list[int] = []
    i = 0
    while i < end:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < end and text[i] not in '"\n':
                i += 2 if text[i] == "\\" else 1
        elif ch == "#":
            while i < end and text[i] != "\n":
                i += 1
        elif ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            stack.pop()
        i += 1
    if not stack:
        return None
    offset = stack[-1]
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _keywords(names: set[str]) -> list[str]:
    words = []
    for name in names:
        terminal = next((t for t in _lark().terminals if t.name == name), None)
        if (
            terminal is not None
            and terminal.pattern.type == "str"
            and terminal.pattern.value.isalpha()
        ):
            words.append(terminal.pattern.value)
        elif terminal is not None:
            words += re.findall(r"[a-z_]{2,}", _pattern_words(terminal.pattern.value))
    return words


# The longest time limit the language accepts, per unit: a century, far beyond any policy, and
# well inside what the calendar and `datetime` can count.
LONGEST_LIMIT: Final[Mapping[str, int]] = {
    "workdays": 25_000,
    "days": 36_500,
    "hours": 876_000,
    "months": 1_200,
    "years": 100,
}


# How deep a file's syntax tree may nest.  Every pass after the parser (transformer, checker,
# lowering, interpreter, code generator) walks expressions recursively; a bound here keeps them
# all far from Python's recursion limit.  The deepest tree of the five documents is 12.
MAX_NESTING: Final = 100

# How large a policy file may be.  Parsing and checking are linear but not fast (about 3 s a
# megabyte: a 10 MB one-line expression took 33 s); the largest file of the five documents
# is 65 KB.  A larger file is refused before it is parsed, and only this much is ever read
# (a policy "file" that is /dev/zero must not exhaust memory).
MAX_FILE_BYTES: Final = 1_048_576


_FOLDED: Final = frozenset({"sum", "product"})


def _too_deep(tree: Tree[Token]) -> tuple[int, int] | None:
    """Where the tree of nodes first nests deeper than MAX_NESTING (line, column), or None.
    Iterative: the check itself must not recurse."""
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        data = node.data
        if data in _INLINED:  # _FOLDED's too
            children = _kept(node)  # counted as Lark counts them
            if len(children) == 1:
                # Not a node of its own (`_INLINED`): its child stands at its depth.
                if isinstance(children[0], Tree):
                    stack.append((children[0], depth))
                continue
        else:
            # Only the subtrees are followed below, so the tokens need no sorting out: this
            # check took 0.73 ms a file of the 100-jurisdiction corpus with it, 0.51 without.
            children = node.children
        if depth > MAX_NESTING:
            return _start(node)
        # A sum or product of k operands becomes k - 1 nested nodes when folded (_fold).
        below = depth + (len(children) // 2 if data in _FOLDED else 1)
        stack.extend((child, below) for child in children if isinstance(child, Tree))
    return None


def _start(tree: Tree[Token]) -> tuple[int, int]:
    """The line and column of the first token under `tree` (1, 1 if none); iterative."""
    stack: list[Tree[Token] | Token] = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, Tree):  # a token
            return node.line or 1, node.column or 1
        stack.extend(reversed(node.children))
    return 1, 1


def _span_at(path: str, line: int, column: int, width: int = 1) -> n.Span:
    return n.Span(path, line, column, line, column + width)


def _syntax_error(path: str, text: str, error: UnexpectedInput) -> Diagnostic:
    line, column = error.line, error.column
    lines = text.split("\n")
    if (isinstance(error, UnexpectedToken) and error.token.type == "$END") or isinstance(
        error, UnexpectedEOF
    ):
        # Point just past the last character of the file: that is where something is missing
        # (after the last line's text, not on the empty "line" after the final newline).
        if len(lines) > 1 and lines[-1] == "":
            lines = lines[:-1]
        line = len(lines) if lines else 1
        column = len(lines[-1]) + 1 if lines else 1
        expected = _expected(_expected_terminals(error, error.expected))
        unclosed = _unclosed_brace(text, len(text))
        return Diagnostic(
            codes.E003,
            "the file ends in the middle of a statement",
            _span_at(path, line, column),
            lines[-1] if lines else "",
            (f"expected {expected}",)
            + (
                (f"the '{{' at line {unclosed[0]}, column {unclosed[1]} is never closed",)
                if unclosed
                else ()
            ),
        )
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    if isinstance(error, UnexpectedCharacters):
        position = error.pos_in_stream or 0
        char = text[position] if position < len(text) else ""
        allowed = _expected_terminals(error, error.allowed or ())
        if char == '"':
            return Diagnostic(
                codes.E005,
                "this string is not closed on its line",
                _span_at(path, line, column),
                source_line,
                ('a string starts and ends with " on one line; write \\" for a quote inside it',),
            )
        found: tuple[str, ...] = (f"expected {_expected(allowed)}",) if allowed else ()
        if char.isdigit():  # a digit of another script: ৪ is 4, not 8 (what was expected is noise)
            found = (
                f"{char!r} is the digit {unicodedata.digit(char, '?')} of another script; "
                "numbers and dates are written with the ASCII digits 0-9",
            )
        return Diagnostic(
            codes.E002,
            f"unexpected character {char!r}",
            _span_at(path, line, column),
            source_line,
            (*_comment_hint(text, position), *found),
        )
    assert isinstance(error, UnexpectedToken)
    token = error.token
    wanted = _expected_terminals(error, error.expected)
    kind = token.type
    if kind == "NAME" and "NAME" not in wanted:
        kind = _keyword_terminals().get(str(token), kind)
    described = _describe_terminal(kind)
    if described.startswith("'"):
        what = described
    elif kind == "STRING":
        what = f"string {token}"
    else:
        what = f"{_TOKEN_NOUNS.get(kind, described)} {str(token)!r}"
    hints = [f"expected {_expected(wanted)}"]
    if kind == "NAME":
        hints = [*did_you_mean(str(token), _keywords(wanted)), *hints]
    hints = [*_comment_hint(text, token.start_pos or 0), *hints]
    unclosed = _unclosed_brace(text, token.start_pos or 0)
    if unclosed and kind in _TOP_LEVEL:
        hints.append(
            f"the '{{' at line {unclosed[0]}, column {unclosed[1]} is not closed: "
            "a '}' is missing before this"
        )
    return Diagnostic(
        codes.E004,
        f"unexpected {what}",
        _span_at(path, line, column, max(len(str(token)), 1)),
        source_line,
        tuple(hints),
    )


def _comment_hint(text: str, position: int) -> tuple[str, ...]:
    """A comment written as in C or JavaScript (`// …`, `/* … */`) is an unexpected '/' to the
    parser, whose list of what it expected says nothing of comments."""
    if text.startswith(("//", "/*"), position):
        return ("comments start with # and run to the end of the line (not // or /* */)",)
    return ()


class _ToNodes(Transformer[Token, Any]):
    """Parse tree -> nodes.  Value errors (impossible dates) are collected, not raised."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.errors: list[Diagnostic] = []

    def walk(self, tree: Tree[Token]) -> Any:
        """What `transform(tree)` of Lark's filtered tree with its positions returns, about
        twice as fast: Lark's Transformer looks each rule's method up and wraps it anew
        (functools.update_wrapper) at every node of the tree, half the time of parsing a
        file; here each rule's function is found once (`_rule_function`) and called directly,
        bottom-up and left to right like Lark.  `tree` holds every token (`_KEPT_TOKENS`)."""
        return self._walk(tree)[0]

    def _walk(self, tree: Tree[Token]) -> tuple[Any, Meta]:
        """The node made of `tree`, and `tree`'s extent for its parent's."""
        children: list[Any] = []
        first: Any = None  # the first token or extent, and the last
        last: Any = None
        for child in tree.children:
            if isinstance(child, Tree):
                value, inner = self._walk(child)
                children.append(value)
                if inner.empty:
                    continue
                if first is None:
                    first = inner
                last = inner
            else:
                if child.type in _KEPT_TOKENS:
                    children.append(child)
                if first is None:
                    first = child
                last = child
        extent = _NOWHERE if first is None else _Extent(first, last)
        data = tree.data
        if data in _INLINED and len(children) == 1:
            return children[0], extent
        function, with_meta = _rule_function(data)
        if function is None:
            return Tree(data, children, extent), extent  # Transformer.__default__
        if with_meta:
            return function(self, extent, children), extent
        return function(self, children), extent

    # ------------------------------------------------------------ helpers

    def _span(self, meta: Any) -> n.Span:
        if getattr(meta, "empty", True):
            return n.Span(self.path, 0, 0, 0, 0)
        return n.Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tspan(self, token: Token) -> n.Span:
        return n.Span(
            self.path,
            token.line or 0,
            token.column or 0,
            token.end_line or token.line or 0,
            token.end_column or token.column or 0,
        )

    def _string(self, token: Token) -> str:
        # Only \" and \\ are escapes: policy text is quoted verbatim otherwise.
        return re.sub(r"\\(.)", r"\1", str(token)[1:-1])

    def _date(self, token: Token) -> date:
        try:
            return date.fromisoformat(str(token))
        except ValueError:
            self.errors.append(
                Diagnostic(
                    codes.E010,
                    f"{token} is not a date on the calendar",
                    self._tspan(token),
                    help=("dates are written YYYY-MM-DD, e.g. 2023-10-07",),
                )
            )
            return date.min

    def _datetime(self, token: Token) -> datetime:
        try:
            return datetime.fromisoformat(str(token))
        except ValueError:
            self.errors.append(
                Diagnostic(
                    codes.E010,
                    f"{token} is not a moment on the calendar",
                    self._tspan(token),
                    help=("date-times are written YYYY-MM-DDTHH:MM, e.g. 2024-03-01T09:30",),
                )
            )
            return datetime.min

    def _moment(self, token: Token) -> date | datetime:
        return self._datetime(token) if token.type == "DATETIME" else self._date(token)

    def _quotes(self, tokens: list[Any]) -> tuple[n.Quote, ...]:
        return tuple(
            n.Quote(self._string(t), self._tspan(t))
            for t in tokens
            if is_token(t) and t.type == "STRING"
        )

    def _citation(self, token: Token) -> n.Citation:
        return n.Citation(str(token), self._tspan(token))

    # ------------------------------------------------------------ file

    def start(self, children: list[Any]) -> list[Any]:
        return children

    # ------------------------------------------------------------ metadata

    @v_args(meta=True)
    def policy_header(self, meta: Any, children: list[Any]) -> n.PolicyHeader:
        name, *metas = children
        fields: dict[str, Any] = {"issuers": ()}
        for key, value in metas:
            fields[key] = value
        return n.PolicyHeader(
            id=str(name),
            title=fields.get("title"),
            jurisdiction=fields.get("jurisdiction", (None, None))[0],
            level=fields.get("jurisdiction", (None, None))[1],
            issuers=fields["issuers"],
            number=fields.get("number"),
            issued=fields.get("issued"),
            status=fields.get("status", (None, None))[0],
            status_label=fields.get("status", (None, None))[1],
            effective=fields.get("effective"),
            source=fields.get("source", (None, None))[0],
            source_sha256=fields.get("source", (None, None))[1],
            decision=fields.get("decision", (None, None))[0],
            decision_label=fields.get("decision", (None, None))[1],
            span=self._span(meta),
        )

    def meta_title(self, c: list[Token]) -> tuple[str, Any]:
        return "title", self._string(c[0])

    def meta_jurisdiction(self, c: list[Token]) -> tuple[str, Any]:
        return "jurisdiction", (self._string(c[0]), str(c[1]))

    def meta_issuer(self, c: list[Token]) -> tuple[str, Any]:
        return "issuers", tuple(self._string(t) for t in c)

    def meta_number(self, c: list[Token]) -> tuple[str, Any]:
        return "number", self._string(c[0])

    def meta_issued(self, c: list[Token]) -> tuple[str, Any]:
        return "issued", self._date(c[0])

    def meta_status(self, c: list[Token]) -> tuple[str, Any]:
        return "status", (str(c[0]), self._string(c[1]) if len(c) > 1 else None)

    def meta_effective(self, c: list[Token]) -> tuple[str, Any]:
        return "effective", self._date(c[0]) if c[0].type == "DATE" else str(c[0])

    def meta_source(self, c: list[Token]) -> tuple[str, Any]:
        return "source", (self._string(c[0]), self._string(c[1]))

    def meta_decision(self, c: list[Token]) -> tuple[str, Any]:
        return "decision", (str(c[0]), self._string(c[1]))

    # ------------------------------------------------------------ vocabulary

    def base_type(self, c: list[Token]) -> n.TypeRef:
        return n.TypeRef(str(c[0]))

    def enum_type(self, c: list[Token]) -> n.TypeRef:
        return n.TypeRef("enum", str(c[0]))

    @v_args(meta=True)
    def fact_decl(self, meta: Any, c: list[Any]) -> n.FactDecl:
        relation = c[3] if len(c) > 3 else None
        return n.FactDecl(str(c[0]), c[1], self._string(c[2]), None, self._span(meta), relation)

    @v_args(meta=True)
    def fact_relation(self, meta: Any, c: list[Token]) -> n.FactRelation:
        return n.FactRelation(n.Relation(str(c[0])), str(c[1]), self._span(meta))

    @v_args(meta=True)
    def concept_decl(self, meta: Any, c: list[Any]) -> n.ConceptDecl:
        name = str(c[0])
        facts = tuple(replace(f, concept=name) for f in c[2:])
        return n.ConceptDecl(name, self._string(c[1]), facts, self._span(meta))

    @v_args(meta=True)
    def judgment_decl(self, meta: Any, c: list[Any]) -> n.JudgmentDecl:
        refers = c[2] if len(c) > 2 else None
        return n.JudgmentDecl(str(c[0]), self._string(c[1]), refers, self._span(meta))

    def refers(self, c: list[Token]) -> str:
        return self._string(c[0])

    @v_args(meta=True)
    def enum_decl(self, meta: Any, c: list[Any]) -> n.EnumDecl:
        return n.EnumDecl(str(c[0]), self._string(c[1]), tuple(c[2:]), self._span(meta))

    @v_args(meta=True)
    def enum_member(self, meta: Any, c: list[Token]) -> n.EnumMember:
        return n.EnumMember(str(c[0]), self._string(c[1]), self._span(meta))

    @v_args(meta=True)
    def actor_decl(self, meta: Any, c: list[Token]) -> n.ActorDecl:
        part_of = str(c[2]) if len(c) > 2 else None
        return n.ActorDecl(str(c[0]), self._string(c[1]), part_of, self._span(meta))

    @v_args(meta=True)
    def define_decl(self, meta: Any, c: list[Any]) -> n.DefineDecl:
        name, type_, citation, *rest = c
        expr = rest[-1]
        return n.DefineDecl(
            str(name),
            type_,
            self._citation(citation),
            self._quotes(rest[:-1]),
            expr,
            self._span(meta),
        )

    # ------------------------------------------------------------ statements

    @v_args(meta=True)
    def statement(self, meta: Any, c: list[Any]) -> n.Statement:
        kind, name, citation, *rest = c
        items: tuple[n.Item, ...] = ()
        if rest and isinstance(rest[-1], tuple):
            items = rest.pop()
        return n.Statement(
            Kind(str(kind)),
            str(name),
            self._citation(citation),
            self._quotes(rest),
            items,
            self._span(meta),
        )

    def body(self, c: list[n.Item]) -> tuple[n.Item, ...]:
        return tuple(c)

    @v_args(meta=True)
    def when_item(self, meta: Any, c: list[Any]) -> n.When:
        return n.When(c[0], self._span(meta))

    @v_args(meta=True)
    def require_item(self, meta: Any, c: list[Any]) -> n.Require:
        return n.Require(c[0], self._span(meta))

    @v_args(meta=True)
    def within_item(self, meta: Any, c: list[Any]) -> n.Within:
        parts = dict(x for x in c[1:])
        excluding = parts.get("excluding")
        period, bounds = (excluding[0], excluding[1:]) if excluding else (None, ())
        return n.Within(
            c[0],
            parts.get("from"),
            parts.get("until"),
            period,
            self._span(meta),
            *(bounds or (None, None)),
        )

    def from_part(self, c: list[Token]) -> tuple[str, str]:
        return "from", str(c[0])

    def until_part(self, c: list[Token]) -> tuple[str, str]:
        return "until", str(c[0])

    def excluding_part(self, c: list[Token]) -> tuple[str, tuple[str, ...]]:
        return "excluding", tuple(str(t) for t in c)

    def duration(self, c: list[Token]) -> n.Duration:
        amount = Decimal(str(c[0]))
        if amount != amount.to_integral_value():
            self.errors.append(
                Diagnostic(
                    codes.E011,
                    f"a time limit must be a whole number of {c[1]}, not {c[0]}",
                    self._tspan(c[0]),
                )
            )
        unit = str(c[1])
        longest = LONGEST_LIMIT.get(unit)
        if longest is not None and amount > longest:
            # `within 999999999999 days` passed check and build, then crashed `due` and `test`.
            self.errors.append(
                Diagnostic(
                    codes.E013,
                    f"a time limit of {c[0]} {unit} is longer than any policy sets "
                    f"(at most {longest} {unit})",
                    self._tspan(c[0]),
                )
            )
        return n.Duration(int(amount), unit)

    @v_args(meta=True)
    def extend_item(self, meta: Any, c: list[Any]) -> n.Extend:
        return n.Extend(c[0], c[1], self._span(meta))

    @v_args(meta=True)
    def no_rollover_item(self, meta: Any, c: list[Token]) -> n.NoRollover:
        return n.NoRollover(self._string(c[0]), self._span(meta))

    @v_args(meta=True)
    def actor_item(self, meta: Any, c: list[Any]) -> n.Actors:
        return n.Actors(c[0], self._span(meta))

    @v_args(meta=True)
    def task_item(self, meta: Any, c: list[Token]) -> n.Task:
        return n.Task(self._string(c[0]), self._span(meta))

    @v_args(meta=True)
    def overrides_item(self, meta: Any, c: list[Any]) -> n.Overrides:
        if is_token(c[0]) and c[0].type == "ALL":
            return n.Overrides(True, (), self._span(meta))
        return n.Overrides(False, c[0], self._span(meta))

    @v_args(meta=True)
    def excuses_item(self, meta: Any, c: list[Any]) -> n.Excuses:
        return n.Excuses(c[0], self._span(meta))

    @v_args(meta=True)
    def grants_item(self, meta: Any, c: list[Any]) -> n.Grants:
        return n.Grants(c[0], self._span(meta))

    @v_args(meta=True)
    def effect_item(self, meta: Any, c: list[Any]) -> n.Effects:
        return n.Effects(c[0], self._span(meta))

    @v_args(meta=True)
    def every_item(self, meta: Any, c: list[Any]) -> n.Every:
        return n.Every(str(c[0]), c[1] if len(c) > 1 else None, self._span(meta))

    def by_day(self, c: list[Token]) -> int:
        day = Decimal(str(c[0]))
        if day != day.to_integral_value() or not 1 <= day <= 31:
            self.errors.append(
                Diagnostic(
                    codes.E012,
                    f"'by day {c[0]}' is not a day of the month (1–31)",
                    self._tspan(c[0]),
                )
            )
        return int(day)

    @v_args(meta=True)
    def step_item(self, meta: Any, c: list[Any]) -> n.Step:
        return n.Step(str(c[0]), self._string(c[1]), c[2], self._span(meta))

    @v_args(meta=True)
    def field_item(self, meta: Any, c: list[Any]) -> n.Field:
        return n.Field(str(c[0]), c[1], self._string(c[2]), self._span(meta))

    @v_args(meta=True)
    def role_item(self, meta: Any, c: list[Token]) -> n.Role:
        return n.Role(str(c[0]), str(c[1]), self._span(meta))

    @v_args(meta=True)
    def covers_item(self, meta: Any, c: list[Token]) -> n.Covers:
        values = c[1:]
        names = tuple(str(v) for v in values if v.type == "NAME")
        texts = tuple(self._string(v) for v in values if v.type == "STRING")
        return n.Covers(str(c[0]), names, texts, self._span(meta))

    @v_args(meta=True)
    def target_item(self, meta: Any, c: list[Token]) -> n.Target:
        return n.Target(str(c[0]), self._span(meta))

    @v_args(meta=True)
    def penalty_item(self, meta: Any, c: list[Any]) -> n.Penalties:
        return n.Penalties(c[0], self._span(meta))

    @v_args(meta=True)
    def note_item(self, meta: Any, c: list[Token]) -> n.Note:
        return n.Note(self._string(c[0]), self._span(meta))

    def name_list(self, c: list[Token]) -> tuple[str, ...]:
        return tuple(str(t) for t in c)

    @v_args(meta=True)
    def informative(self, meta: Any, c: list[Token]) -> n.Informative:
        return n.Informative(self._citation(c[0]), str(c[1]), self._quotes(c[2:]), self._span(meta))

    @v_args(meta=True)
    def pending(self, meta: Any, c: list[Token]) -> n.Pending:
        return n.Pending(self._citation(c[0]), self._quotes(c[1:]), self._span(meta))

    # ------------------------------------------------------------ policy tests

    @v_args(meta=True)
    def test_suite(self, meta: Any, c: list[Any]) -> n.TestSuite:
        return n.TestSuite(str(c[0]), tuple(c[1:]), self._span(meta))

    @v_args(meta=True)
    def case(self, meta: Any, c: list[Any]) -> n.Case:
        name, label, *items = c
        given: list[n.Binding] = []
        expect: str | None = None
        cites: list[n.Citation] = []
        missing: tuple[str, ...] | None = None
        dues: list[n.DueCheck] = []
        rule_checks: list[n.RuleCheck] = []
        grant_checks: list[n.GrantCheck] = []
        exempt_checks: list[n.ExemptCheck] = []
        record_checks: list[n.RecordCheck] = []
        for kind, value in items:
            if kind == "given":
                given.extend(value)
            elif kind == "expect":
                expect = value
            elif kind == "cites":
                cites.extend(value)
            elif kind == "missing":
                missing = (missing or ()) + value
            elif kind == "rule_check":
                rule_checks.append(value)
            elif kind == "grant_check":
                grant_checks.append(value)
            elif kind == "exempt_check":
                exempt_checks.append(value)
            elif kind == "record_check":
                record_checks.append(value)
            else:
                dues.append(value)
        return n.Case(
            str(name),
            self._string(label),
            tuple(given),
            expect,
            tuple(cites),
            missing,
            tuple(dues),
            self._span(meta),
            tuple(rule_checks),
            tuple(grant_checks),
            tuple(exempt_checks),
            tuple(record_checks),
        )

    def given(self, c: list[n.Binding]) -> tuple[str, Any]:
        return "given", tuple(c)

    @v_args(meta=True)
    def binding(self, meta: Any, c: list[Any]) -> n.Binding:
        value = c[1]
        if is_token(value):  # an enum member
            value = n.Name(str(value), self._tspan(value))
        return n.Binding(str(c[0]), value, self._span(meta))

    def expect(self, c: list[Token]) -> tuple[str, Any]:
        return "expect", str(c[0])

    def cites(self, c: list[Token]) -> tuple[str, Any]:
        return "cites", tuple(self._citation(t) for t in c)

    def missing(self, c: list[Any]) -> tuple[str, Any]:
        return "missing", c[0]

    @v_args(meta=True)
    def grants_check(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "grant_check", n.GrantCheck(False, self._members(c[0]), self._span(meta))

    @v_args(meta=True)
    def pending_check(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "grant_check", n.GrantCheck(True, self._members(c[0]), self._span(meta))

    @v_args(meta=True)
    def exempts_check(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "exempt_check", n.ExemptCheck(False, self._members(c[0]), self._span(meta))

    @v_args(meta=True)
    def not_exempted_check(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return "exempt_check", n.ExemptCheck(True, self._members(c[0]), self._span(meta))

    @staticmethod
    def _members(value: Token | tuple[str, ...]) -> tuple[str, ...]:
        return () if is_token(value) and value.type == "NONE" else tuple(value)

    @v_args(meta=True)
    def due(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        excluded = next((x for x in c if isinstance(x, tuple)), None)
        tokens = [x for x in c if not isinstance(x, tuple)]
        extended = any(t.type == "EXTENDED" for t in tokens)
        name, start, expected = tokens[0], tokens[-2], tokens[-1]
        return "due", n.DueCheck(
            str(name),
            extended,
            self._moment(start),
            self._moment(expected),
            self._span(meta),
            excluded,
        )

    def due_excluding(self, c: list[Token]) -> tuple[date, date]:
        return self._date(c[0]), self._date(c[1])

    @v_args(meta=True)
    def record_check(self, meta: Any, c: list[Token]) -> tuple[str, Any]:
        return "record_check", n.RecordCheck(str(c[0]), str(c[1]), self._span(meta))

    @v_args(meta=True)
    def holds(self, meta: Any, c: list[Token]) -> tuple[str, Any]:
        return "rule_check", n.RuleCheck(str(c[0]), True, self._span(meta))

    @v_args(meta=True)
    def fails(self, meta: Any, c: list[Token]) -> tuple[str, Any]:
        return "rule_check", n.RuleCheck(str(c[0]), False, self._span(meta))

    # ------------------------------------------------------------ expressions

    @v_args(meta=True)
    def conditional(self, meta: Any, c: list[Any]) -> n.Conditional:
        return n.Conditional(c[0], c[1], c[2], self._span(meta))

    @v_args(meta=True)
    def or_expr(self, meta: Any, c: list[Any]) -> n.Expr:
        return c[0] if len(c) == 1 else n.BoolOp("or", tuple(c), self._span(meta))

    @v_args(meta=True)
    def and_expr(self, meta: Any, c: list[Any]) -> n.Expr:
        return c[0] if len(c) == 1 else n.BoolOp("and", tuple(c), self._span(meta))

    @v_args(meta=True)
    def not_expr(self, meta: Any, c: list[Any]) -> n.Not:
        return n.Not(c[0], self._span(meta))

    @v_args(meta=True)
    def comparison(self, meta: Any, c: list[Any]) -> n.Expr:
        return n.Compare(str(c[1]), c[0], c[2], self._span(meta))

    @v_args(meta=True)
    def in_set(self, meta: Any, c: list[Any]) -> n.InSet:
        return n.InSet(c[0], c[1], self._span(meta))

    @v_args(meta=True)
    def sum(self, meta: Any, c: list[Any]) -> n.Expr:
        return self._fold(c, meta)

    @v_args(meta=True)
    def product(self, meta: Any, c: list[Any]) -> n.Expr:
        return self._fold(c, meta)

    def _fold(self, c: list[Any], meta: Any) -> n.Expr:
        result: n.Expr = c[0]
        for op, right in zip(c[1::2], c[2::2], strict=True):
            result = n.Arith(str(op), result, right, self._span(meta))
        return result

    @v_args(meta=True)
    def name(self, meta: Any, c: list[Token]) -> n.Name:
        return n.Name(str(c[0]), self._tspan(c[0]))

    @v_args(meta=True)
    def call(self, meta: Any, c: list[Any]) -> n.Call:
        return n.Call(str(c[0]), tuple(c[1:]), self._span(meta))

    @v_args(meta=True)
    def bool_literal(self, meta: Any, c: list[Token]) -> n.Literal:
        return n.Literal(str(c[0]) == "true", n.TypeRef("bool"), self._span(meta))

    @v_args(meta=True)
    def number_literal(self, meta: Any, c: list[Token]) -> n.Literal:
        value = Decimal(str(c[0]))
        type_ = "int" if value == value.to_integral_value() and "." not in str(c[0]) else "ratio"
        return n.Literal(value, n.TypeRef(type_), self._span(meta))

    @v_args(meta=True)
    def ratio_literal(self, meta: Any, c: list[Token]) -> n.Literal:
        return n.Literal(Decimal(str(c[0])) / 100, n.TypeRef("ratio"), self._span(meta))

    @v_args(meta=True)
    def money_literal(self, meta: Any, c: list[Token]) -> n.Literal:
        return n.Literal(Decimal(str(c[0])), n.TypeRef("money"), self._span(meta))

    @v_args(meta=True)
    def date_literal(self, meta: Any, c: list[Token]) -> n.Literal:
        return n.Literal(self._date(c[0]), n.TypeRef("date"), self._span(meta))

    @v_args(meta=True)
    def datetime_literal(self, meta: Any, c: list[Token]) -> n.Literal:
        return n.Literal(self._datetime(c[0]), n.TypeRef("datetime"), self._span(meta))

    @v_args(meta=True)
    def duration_literal(self, meta: Any, c: list[Any]) -> n.Literal:
        return n.Literal(c[0], n.TypeRef("duration"), self._span(meta))

    @v_args(meta=True)
    def text_literal(self, meta: Any, c: list[Token]) -> n.Literal:
        return n.Literal(self._string(c[0]), n.TypeRef("text"), self._span(meta))


@cache
def _rule_function(rule: str) -> tuple[Any, bool]:
    """The plain function of _ToNodes for a grammar rule (None: the rule has none) and
    whether it takes the node's position (`@v_args(meta=True)`)."""
    attribute = _ToNodes.__dict__.get(str(rule))
    if attribute is None:
        return None, False
    if isinstance(attribute, _VArgsWrapper):
        assert attribute.visit_wrapper is _vargs_meta, f"{rule}: only meta=True is used"
        return attribute.base_func, True
    return attribute, False


def parse_text(text: str, path: str) -> tuple[n.Module | None, list[Diagnostic]]:
    """Parse one file's text.  Returns the module (None on a syntax error) and diagnostics."""
    try:
        tree: Tree[Token] = _lark().parse(text)
    except UnexpectedInput as error:
        return None, [_syntax_error(path, text, error)]
    too_deep = _too_deep(tree)
    if too_deep is not None:
        line, column = too_deep
        lines = text.split("\n")
        return None, [
            Diagnostic(
                codes.E014,
                f"an expression nested more than {MAX_NESTING} levels deep",
                _span_at(path, line, column),
                lines[line - 1] if 0 < line <= len(lines) else None,
                ("split it into definitions (define NAME: TYPE at CLAUSE = …)",),
            )
        ]
    transformer = _ToNodes(path)
    items = transformer.walk(tree)
    lines = text.split("\n")
    errors = [
        replace(
            d,
            source_line=lines[d.span.line - 1]
            if d.span and 0 < d.span.line <= len(lines)
            else None,
        )
        for d in transformer.errors
    ]
    # Nothing declared and nothing wrong (a statement refused above is not nothing); an empty
    # shared vocabulary has nothing to share.
    if not items and not errors and path not in SHARED_FILES:
        errors.append(_declares_nothing(path, lines))
    return n.Module(path, tuple(items)), errors


# Files holding no policy of their own: the shared vocabulary every policy may read (by
# display path).  A policy reads these and its own file's declarations, nothing else (E122).
SHARED_FILES: Final = ("policies/concepts.policy", "policies/vocabulary.policy")


def _declares_nothing(path: str, lines: list[str]) -> Diagnostic:
    """W001: an empty file, or one of comments only, in the project: most often a save that
    went wrong (an editor's, a copy's), and a policy it held would leave the build unseen."""
    return Diagnostic(
        codes.W001,
        "the file declares nothing: no policy, declaration or tests",
        _span_at(path, 1, 1),
        lines[0],
        (
            "a policy file holds one `policy` block (policyc new writes one from an official "
            "text); delete the file if it is not needed",
        ),
    )


# Characters that make the text a reader sees differ from the text policyc reads ("Trojan
# Source"): bidirectional controls reorder what is displayed, line separators end a line for
# an editor but not for the parser (a rule hidden in a comment), other controls are invisible.
# Zero-width characters split a keyword or a quote where the reader sees none ("sta\u200btus"
# reads as `status`, a quote with one reads as the clause's text and is not in it), and a BOM
# anywhere but the file's start is one too.
# Identifiers already refuse them; these are the ones comments and strings would accept.
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_LINE_BREAKS = "\u0085\u2028\u2029\u000b\u000c"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_UNSAFE = re.compile(
    f"[{_BIDI_CONTROLS}{_LINE_BREAKS}{_ZERO_WIDTH}"
    "\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]"
)


def decode(data: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    """Decode a policy file's bytes as UTF-8 (a BOM is allowed), pointing at a bad byte.

    Line endings become `\n` (CRLF and a lone CR alike: a CR-only file must not read as one
    long comment); a character that can hide or reorder text is an error (E006) at its place."""
    if len(data) > MAX_FILE_BYTES:
        return None, [
            Diagnostic(
                codes.E015,
                f"the file is larger than {MAX_FILE_BYTES:,} bytes, the most a policy file may be",
                _span_at(path, 1, 1),
                None,
                ("split it: one policy document per file, its tests in policies/cases/",),
            )
        ]
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as error:
        return None, [_not_utf8(data, path, error.start)]
    if "\0" in text and guess_encoding(data) == "UTF-16":
        # UTF-16 without a byte order mark, whose characters were all valid UTF-8 (ASCII, each
        # with a NUL byte): it was an E006 a character, with no word of its encoding.
        return None, [_not_utf8(data, path, len(data))]
    return text, _unsafe_characters(text, path)


def _not_utf8(data: bytes, path: str, bad: int) -> Diagnostic:
    """E001 at the first byte that is not UTF-8 text, with what the file looks like instead
    where that can be told (`guess_encoding`).  `bad` is where decoding stopped (the end when
    it did not); in UTF-16 the first NUL byte before it."""
    guess = guess_encoding(data)
    if guess == "UTF-16" and 0 in data[:bad]:
        bad = data.index(0)
    good = _lines(data[:bad].decode("utf-8", errors="replace"))
    line = good.count("\n") + 1
    column = len(good) - (good.rfind("\n") + 1) + 1
    # Show the whole line, the bad byte as U+FFFD, so the caret has something to stand under.
    # Lines end where the parser's do: not at U+2028 or NEL (splitlines() would), and at
    # a lone CR.
    whole = _lines(data.decode("utf-8", errors="replace")).split("\n")
    source_line = whole[line - 1] if line <= len(whole) else ""
    advice = (
        f"the file looks like {guess}; policy files are UTF-8 text: re-save it as UTF-8"
        if guess
        else "policy files are UTF-8 text; re-save the file as UTF-8"
    )
    return Diagnostic(
        codes.E001,
        f"the file is not valid UTF-8 (byte 0x{data[bad]:02x} at offset {bad})",
        _span_at(path, line, column),
        source_line,
        (advice,),
    )


def _lines(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _unsafe_characters(text: str, path: str) -> list[Diagnostic]:
    if _UNSAFE.search(text) is None:  # nearly every file: one scan, not one a line
        return []
    problems: list[Diagnostic] = []
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        for found in _UNSAFE.finditer(line):
            char = found.group()
            problems.append(
                Diagnostic(
                    codes.E006,
                    f"the invisible character U+{ord(char):04X} "
                    f"({unicodedata.name(char, 'control')}) can hide or reorder what a reader sees",
                    _span_at(path, number, found.start() + 1),
                    _UNSAFE.sub("\ufffd", line),  # shown, not obeyed; one column each
                    (
                        "remove it; policy files need no bidirectional controls, line separators, "
                        "zero-width or control characters",
                    ),
                )
            )
    return problems


def read_policy_bytes(path: Path) -> bytes:
    """A policy file's bytes, at most one more than MAX_FILE_BYTES (enough to refuse it)."""
    with path.open("rb") as stream:
        return stream.read(MAX_FILE_BYTES + 1)


def parse_file(path: Path, display: str | None = None) -> tuple[n.Module | None, list[Diagnostic]]:
    shown = display or str(path)
    try:
        data = read_policy_bytes(path)
    except OSError as error:
        return None, [unreadable(shown, error)]
    text, errors = decode(data, shown)
    if text is None:
        return None, errors
    module, problems = parse_text(text, shown)
    return module, errors + problems
