"""The Pygments lexer of the policy language: registered under `policy`, its words taken from
the grammar, and no error token anywhere in the project's policies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pygments import lex
from pygments.lexer import RegexLexer
from pygments.lexers import get_lexer_by_name
from pygments.styles.monokai import MonokaiStyle
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, Punctuation, String
from pymdownx.highlight import Highlight

from compiler.backends.site.lexer import PolicyLexer, fence, grammar_words
from compiler.backends.site.render import fence as fence_markdown
from compiler.runtime.kinds import Kind
from tests.sitemarkdown import extensions

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


# PolicyLexer finds its tokens with each state's rules joined into one expression: the same
# tokens, at the same positions, as RegexLexer's loop over the rules.


def _regex_lexer_tokens(text: str) -> list[tuple[int, object, str]]:
    return list(RegexLexer.get_tokens_unprocessed(PolicyLexer(), text))


@pytest.mark.parametrize("path", sorted((ROOT / "policies").glob("*.policy")), ids=lambda p: p.stem)
def test_the_joined_rules_find_regex_lexer_s_tokens(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert list(PolicyLexer().get_tokens_unprocessed(text)) == _regex_lexer_tokens(text)


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list('gate at x_1"\\\n \t{}#社第一条、2024-01-0.5%-><=!()[],:;.'))
        | st.characters(),
        max_size=60,
    )
)
@example('note "a\\\nb"')  # a backslash before a line end, in a string: an error token
@example('"x\\')  # and at the text's end
def test_the_joined_rules_find_regex_lexer_s_tokens_in_any_text(text: str) -> None:
    # Unclosed strings, escapes at a line's end, characters no rule takes (error tokens).
    assert list(PolicyLexer().get_tokens_unprocessed(text)) == _regex_lexer_tokens(text)


# The site's ```policy blocks go to `lexer.fence` (mkdocs.yml custom_fences), which keeps one
# lexer and one formatter.  The pages must not change: each block's HTML is what pymdownx's own
# highlighting makes of it, which the same extensions without that fence give.


def _extensions(*, ours: bool, **highlight: object) -> tuple[list[object], dict[str, Any]]:
    """mkdocs.yml's Markdown extensions (its `policy` fence dropped unless `ours`), with
    `highlight` over pymdownx.highlight's settings."""
    listed, configs = extensions()
    names: list[object] = list(listed)
    configs["pymdownx.highlight"] = {**configs["pymdownx.highlight"], **highlight}
    fences = configs["pymdownx.superfences"]["custom_fences"]
    if not ours:
        configs["pymdownx.superfences"] = {
            "custom_fences": [f for f in fences if f["name"] != "policy"]
        }
    return names, configs


def _html(markdown_text: str, *, ours: bool, **highlight: object) -> str:
    import markdown

    names, configs = _extensions(ours=ours, **highlight)
    return markdown.Markdown(extensions=names, extension_configs=configs).convert(markdown_text)


def _statements(path: Path) -> list[str]:
    # A document page shows each statement alone: split a policy file at its blank lines.
    return [part for part in path.read_text(encoding="utf-8").split("\n\n") if part.strip()]


def _not_called(*args: object, **kwargs: object) -> str:
    raise AssertionError("pymdownx highlighted a plain ```policy block")


def test_the_site_highlights_policy_blocks_with_the_fence() -> None:
    _, configs = _extensions(ours=True)
    (policy,) = [
        f for f in configs["pymdownx.superfences"]["custom_fences"] if f["name"] == "policy"
    ]
    assert policy["format"] is fence


@pytest.mark.parametrize("path", sorted((ROOT / "policies").glob("*.policy")), ids=lambda p: p.stem)
def test_the_fence_makes_what_pymdownx_makes(path: Path) -> None:
    blocks = _statements(path)
    page = "\n\n".join(
        f"text {i}\n\n{fence_markdown(block, 'policy')}" for i, block in enumerate(blocks)
    )
    theirs = _html(page, ours=False)
    with pytest.MonkeyPatch.context() as patch:  # the plain block never reaches pymdownx's path
        patch.setattr(Highlight, "highlight", _not_called)
        ours = _html(page, ours=True)
    assert ours == theirs
    assert ours.count('<div class="highlight"><pre><span></span><code>') == len(blocks)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.sampled_from(list("ab \"\\<>&'`#\n\t{}第条（一）:=%0123 when")), max_size=80
    )
)
def test_the_fence_makes_what_pymdownx_makes_of_any_text(text: str) -> None:
    page = fence_markdown(text, "policy")
    assert _html(page, ours=True) == _html(page, ours=False)


@pytest.mark.parametrize(
    ("settings_", "header"),
    [
        ({"linenums": True}, ""),
        ({"line_spans": "__span"}, ""),
        ({"pygments_lang_class": True}, ""),
        ({"auto_title": True}, ""),
        ({"noclasses": True}, ""),
        ({"css_class": "code"}, ""),
        ({"pygments_style": MonokaiStyle}, ""),
        ({}, ' title="规则"'),
        ({}, ' hl_lines="1"'),
        ({}, ' linenums="3"'),
        ({}, " {.wide #rule data-x=1}"),
    ],
    ids=lambda v: str(v) or "plain",
)
def test_other_settings_and_options_give_what_pymdownx_gives(
    settings_: dict[str, object], header: str
) -> None:
    """Line numbers, titles, classes: what `fence` leaves to pymdownx, and the style settings it
    keeps a formatter for."""
    block = SNIPPET + "\n" + SNIPPET
    page = f"```policy{header}\n{block}```\n\n```policy\n{SNIPPET}```\n"
    if header.startswith(" {"):
        page = page.replace("```policy {", "```{.policy ", 1)
    ours = _html(page, ours=True, **settings_)
    assert ours == _html(page, ours=False, **settings_)
    assert ours.count("<code") >= 2
