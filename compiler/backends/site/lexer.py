"""A Pygments lexer for the policy language (alias `policy`), so that the site highlights the
rules it shows next to each clause.

The words come from the grammar itself (compiler/grammar/policy.lark): every quoted keyword,
and the terminals that list the kinds, the types, the units and the citations.  A keyword added
to the grammar is highlighted without touching this file.  Keywords are matched as whole words
(`not_covered` is one word, not `not`), so a name that happens to contain one is still a name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

import pygments
from pygments.lexer import RegexLexer, words
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

if TYPE_CHECKING:
    from markdown import Markdown

GRAMMAR = Path(__file__).resolve().parents[2] / "grammar" / "policy.lark"

# A terminal that is a list of words: `KIND: "gate" | "situation" | …`
_WORD_TERMINAL = re.compile(r"^([A-Z_]+)(?:\.\d+)?:\s*((?:\"[a-z_]+\"\s*\|?\s*)+)$", re.M)
_QUOTED = re.compile(r'"([a-z_]+)"')
_CITATION = re.compile(r"^CITATION(?:\.\d+)?:\s*/(.*)/\s*$", re.M)


@cache
def grammar_words() -> dict[str, tuple[str, ...]]:
    """The grammar's words: each word-list terminal by name, and every other quoted keyword
    under "KEYWORD"."""
    text = GRAMMAR.read_text(encoding="utf-8")
    terminals = {name: tuple(_QUOTED.findall(body)) for name, body in _WORD_TERMINAL.findall(text)}
    listed = {word for group in terminals.values() for word in group}
    terminals["KEYWORD"] = tuple(sorted(set(_QUOTED.findall(text)) - listed))
    return terminals


@cache
def citation_pattern() -> str:
    found = _CITATION.search(GRAMMAR.read_text(encoding="utf-8"))
    assert found is not None, "the grammar has no CITATION terminal"
    return found.group(1)


def _group(*terminals: str) -> tuple[str, ...]:
    table = grammar_words()
    return tuple(sorted({word for t in terminals for word in table.get(t, ())}))


def _tokens() -> dict[str, list[tuple[object, ...]]]:
    # Longest words first inside `words()`, so `applies_in_part` is not read as `applies`.
    def w(group: tuple[str, ...]) -> object:
        return words(sorted(group, key=len, reverse=True), prefix=r"\b", suffix=r"\b")

    kinds = _group("KIND")
    types = _group("BASE_TYPE", "UNIT")
    constants = _group("TRUE", "FALSE", "NONE", "OUTCOME", "CHECK_STATUS")
    word_ops = _group("_OR", "_AND", "_NOT", "_IN")
    covered = {*kinds, *types, *constants, *word_ops}
    keywords = tuple(
        word
        for word in _group(*(t for t in grammar_words() if t not in {"NAME"}))
        if word not in covered
    )
    string_token = String.Double
    return {
        "root": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"', string_token, "string"),
            (w(kinds), Keyword.Declaration),
            (w(types), Keyword.Type),
            (w(constants), Keyword.Constant),
            (w(word_ops), Operator.Word),
            (w(keywords), Keyword),
            (r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?)?", Literal.Date),
            (r"[0-9]+(\.[0-9]+)?%?", Number),
            (citation_pattern(), Name.Label),
            (r"[a-z_][a-z0-9_]*", Name),
            (r">=|<=|==|!=|->|[<>+\-*/=%]", Operator),
            (r"[{}()\[\],:;.]", Punctuation),
            # Anything else (a stray full-width character) is shown as text, not as an error.
            (r".", Text),
        ],
        "string": [
            (r"\\.", String.Escape),
            (r'[^"\\\n]+', string_token),
            (r'"', string_token, "#pop"),
            (r"\n", Text, "#pop"),
        ],
    }


class PolicyLexer(RegexLexer):  # type: ignore[misc]  # Pygments ships no type hints
    """The policyc policy language (policies/*.policy)."""

    name = "Policy"
    aliases: ClassVar[list[str]] = ["policy", "policyc"]
    filenames: ClassVar[list[str]] = ["*.policy"]
    mimetypes: ClassVar[list[str]] = ["text/x-policy"]
    tokens = _tokens()

    def get_tokens_unprocessed(
        self, text: str, stack: Iterable[str] = ("root",)
    ) -> Iterator[tuple[int, Any, str]]:
        """RegexLexer's tokens, found with each state's rules as one regular expression.

        RegexLexer tries a state's rules one after another at each position: a name went
        through twelve expressions before its own, and lexing was two thirds of highlighting
        a province's rules.  The rules joined as alternatives, in their order, match what the
        first rule that matches does (tests/test_site_lexer.py compares the two)."""
        states = _JOINED.get(type(self)) or _joined_states(type(self))
        statestack = list(stack)
        pattern, actions = states[statestack[-1]]
        pos, end = 0, len(text)
        while pos < end:
            found = pattern.match(text, pos)
            if found is None:
                # As RegexLexer: a line end takes the lexer back to its first state; any other
                # character no rule matches is an error token.
                if text[pos] == "\n":
                    statestack = ["root"]
                    pattern, actions = states["root"]
                    yield pos, Whitespace, "\n"
                else:
                    yield pos, Error, text[pos]
                pos += 1
                continue
            # Every alternative is a group, closed last: `lastindex` is the rule's.
            action, new_state = actions[found.lastindex]  # type: ignore[index]
            yield pos, action, found.group()
            pos = found.end()
            if new_state is not None:
                _move(statestack, new_state)
                pattern, actions = states[statestack[-1]]


# A state's rules as one expression, and each rule's token and next state by its group's
# number.
_Joined = tuple["re.Pattern[str]", dict[int, tuple[Any, Any]]]


# By lexer class (a subclass has rules of its own).
_JOINED: dict[type, dict[str, _Joined]] = {}


def _joined_states(lexer: type[RegexLexer]) -> dict[str, _Joined]:
    out: dict[str, _Joined] = {}
    for state, rules in lexer._tokens.items():
        # Every token is a token type (no callback), as RegexLexer yields it.
        assert all(type(action) is type(Text) for _, action, _ in rules), state
        parts = (f"(?P<r{n}>{match.__self__.pattern})" for n, (match, _, _) in enumerate(rules))
        joined = re.compile("|".join(parts), lexer.flags)
        out[state] = (
            joined,
            {joined.groupindex[f"r{n}"]: (a, new) for n, (_, a, new) in enumerate(rules)},
        )
    _JOINED[lexer] = out
    return out


def _move(statestack: list[str], new_state: Any) -> None:
    """RegexLexer's change of state (a tuple of states to enter or #pop, or a count to pop)."""
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(statestack) > 1:
                    statestack.pop()
            elif state == "#push":
                statestack.append(statestack[-1])
            else:
                statestack.append(state)
    elif isinstance(new_state, int):
        if abs(new_state) >= len(statestack):
            del statestack[1:]
        else:
            del statestack[new_state:]
    elif new_state == "#push":
        statestack.append(statestack[-1])
    else:
        raise AssertionError(f"wrong state change: {new_state!r}")


# SuperFences' formatter for ```policy blocks (mkdocs.yml `custom_fences`).  pymdownx.highlight
# makes a Pygments lexer (looked up among every installed lexer) and an HTML formatter (which
# builds its whole style sheet) for each block it highlights: 0.30 ms a block against 0.08 ms
# with one of each kept, and a province's site shows some 200,000 rules.  Where the settings or
# the block ask for more than the plain block (line numbers, titles, classes, ids, attributes,
# extended languages), the block goes to pymdownx's own highlighting, as any other fence does.
_PLAIN: Final = (
    "linenums",
    "line_spans",
    "line_anchors",
    "anchor_linenums",
    "auto_title",
    "pygments_lang_class",
    "extend_pygments_lang",
)


def fence(
    src: str, language: str, class_name: str, options: dict[str, str], md: Markdown, **kwargs: Any
) -> str:
    """The HTML pymdownx.highlight makes of a ```policy block, made with one lexer and one
    formatter for every block (tests/test_site_lexer.py compares the two)."""
    fences: Any = md.preprocessors["fenced_code_block"]  # SuperFences' (it calls this function)
    plain = fences.use_pygments and not any(getattr(fences, name) for name in _PLAIN)
    extras = options or any(kwargs.get(name) for name in ("classes", "id_value", "attrs"))
    if not plain or extras:
        return str(fences.highlight(src=src, language=language, options=options, md=md, **kwargs))
    lexer = _lexer(bool(fences.stripnl))
    # The style as given: a name, or a Pygments class (`!!python/name:` in mkdocs.yml).
    formatter = _formatter(str(fences.css_class), fences.pygments_style, bool(fences.noclasses))
    return str(pygments.highlight(src, lexer, formatter)).strip()


def plain(src: str) -> str:
    """The HTML pymdownx.highlight makes of a ```policy block with its default settings."""
    formatter = _formatter("highlight", "default", False)
    return str(pygments.highlight(src, _lexer(True), formatter)).strip()


@cache
def _lexer(stripnl: bool) -> PolicyLexer:
    # The lexer pymdownx finds under `policy`: pyproject.toml registers this class as that
    # Pygments entry point (tests/test_site_lexer.py checks it resolves here).
    return PolicyLexer(stripnl=stripnl)


@cache
def _formatter(css_class: str, style: object, noclasses: bool) -> Any:
    # pymdownx's formatter (it wraps the code in <code> as Material expects), with the options
    # pymdownx.highlight passes for a block without line numbers, title or anchors.
    from pymdownx.highlight import BlockHtmlFormatter

    return BlockHtmlFormatter(
        cssclass=css_class,
        linenos=False,
        linenostart=1,
        linenostep=1,
        linenospecial=0,
        style=style,
        noclasses=noclasses,
        hl_lines=[],
        wrapcode=True,
        filename="",
        linespans="",
        lineanchors="",
        anchorlinenos=False,
    )
