"""The Pygments lexer of the policy language: registered under `policy`, its words taken from
the grammar, and no error token anywhere in the project's policies."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygments import lex
from pygments.lexers import get_lexer_by_name
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, Punctuation, String

from compiler.backends.site.lexer import PolicyLexer, grammar_words
from compiler.runtime.kinds import Kind

ROOT = Path(__file__).resolve().parent.parent

SNIPPET = """\
# 第四条（一）1
situation refusal at 第四条（一）1 "经告知后" {
    when told and not (unwilling or refused) and income >= 30%
    note "不愿申请"
}
"""


def tokens(text: str) -> list[tuple[object, str]]:
    return [(t, v) for t, v in lex(text, PolicyLexer()) if v.strip()]


def test_the_lexer_is_registered_as_policy() -> None:
    assert isinstance(get_lexer_by_name("policy"), PolicyLexer)


def test_tokens_of_a_statement() -> None:
    assert tokens(SNIPPET) == [
        (Comment.Single, "# 第四条（一）1"),
        (Keyword.Declaration, "situation"),
        (Name, "refusal"),
        (Keyword, "at"),
        (Name.Label, "第四条（一）1"),
        (String.Double, '"'),
        (String.Double, "经告知后"),
        (String.Double, '"'),
        (Punctuation, "{"),
        (Keyword, "when"),
        (Name, "told"),
        (Operator.Word, "and"),
        (Operator.Word, "not"),
        (Punctuation, "("),
        (Name, "unwilling"),
        (Operator.Word, "or"),
        (Name, "refused"),
        (Punctuation, ")"),
        (Operator.Word, "and"),
        (Name, "income"),
        (Operator, ">="),
        (Number, "30%"),
        (Keyword, "note"),
        (String.Double, '"'),
        (String.Double, "不愿申请"),
        (String.Double, '"'),
        (Punctuation, "}"),
    ]


def test_keywords_come_from_the_grammar() -> None:
    assert set(grammar_words()["KIND"]) == {k.value for k in Kind}
    for kind in Kind:
        assert tokens(f"{kind.value} x at 第一条 {{}}")[0] == (Keyword.Declaration, kind.value)
    # A name containing a keyword is one name.
    assert tokens("not_covered_case") == [(Name, "not_covered_case")]


@pytest.mark.parametrize("path", sorted((ROOT / "policies").glob("*.policy")), ids=lambda p: p.stem)
def test_no_error_token_in_the_policies(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    errors = [v for t, v in lex(text, PolicyLexer()) if t in Error]
    assert not errors
