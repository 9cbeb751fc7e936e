"""Document pages: the generated Markdown of each policy's page (snapshots), and the pieces
they are made of (the Chinese reading of conditions, the statement as written)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion

from compiler import ir
from compiler.backends.site import documents
from compiler.backends.site.anchors import clause_anchor, clause_link
from compiler.backends.site.hook import generated_files, vocabulary_terms
from compiler.backends.site.nav import nav
from compiler.backends.site.render import environment
from compiler.lower import load_program
from tests.sitemarkdown import readable

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def program() -> ir.Program:
    return load_program(ROOT)


POLICIES = sorted(p.stem for p in (ROOT / "policies" / "sources").glob("*.txt"))


@pytest.mark.parametrize("policy_id", POLICIES)
def test_document_page_markdown(
    program: ir.Program, policy_id: str, text_snapshot: SnapshotAssertion
) -> None:
    page = next(p for p in documents.pages(program) if p.path == f"documents/{policy_id}.md")
    markdown = environment().get_template(page.template).render(page.context)
    assert readable(markdown) == text_snapshot(name=policy_id)


def test_every_clause_is_a_heading_with_its_anchor(program: ir.Program) -> None:
    files, _ = generated_files(program)
    for policy_id, policy in program.policies.items():
        markdown = files[f"documents/{policy_id}.md"]
        assert isinstance(markdown, str)
        for clause in policy.document.root.walk():
            if clause.path:
                assert f"{{#{clause_anchor(clause)} .policyc-clause}}" in markdown, (
                    policy_id,
                    clause.citation,
                )


def test_a_clause_is_linked_from_a_page_at_any_depth(program: ir.Program) -> None:
    """A citation's link is relative to the page that holds it, as MkDocs resolves it: from
    the docs root, from a folder, from a folder in a folder (the path remembered per page)."""
    document = program.policies["ningbo"].document
    [clause] = [c for c in document.clauses() if c.citation == "第四条（三）10"]
    assert clause_anchor(clause) == "a4-i3-p10"
    assert clause_link("ningbo", clause, "index.md") == "documents/ningbo.md#a4-i3-p10"
    assert clause_link("ningbo", clause, "documents/weihai.md") == "ningbo.md#a4-i3-p10"
    assert clause_link("ningbo", clause, "tables/duties-2.md") == (
        "../documents/ningbo.md#a4-i3-p10"
    )
    assert clause_link("ningbo", clause, "conflicts/cases/ningbo.md") == (
        "../../documents/ningbo.md#a4-i3-p10"
    )
    whole = clause_link("ningbo", document.root, "decisions/ningbo.md")
    assert whole == "../documents/ningbo.md#doc"


def test_every_statement_is_shown_under_its_clause(program: ir.Program) -> None:
    for policy in program.policies.values():
        context = documents.context(program, policy)
        clauses = context["clauses"]
        assert isinstance(clauses, tuple)
        shown = {s.name for c in clauses for s in c.statements}
        assert {r.name for r in policy.rules} <= shown
        assert {d.name for d in policy.defines} <= shown
        # A statement is shown as the policy file writes it, from its kind through its brace.
        code = {s.name: s.code for c in clauses for s in c.statements if s.code}
        for rule in policy.rules:
            assert code[rule.name].startswith(f"{rule.kind} {rule.name}"), rule.name
            assert code[rule.name].rstrip().endswith("}"), rule.name


def test_the_draft_is_marked(program: ir.Program) -> None:
    files, _ = generated_files(program)
    assert '!!! warning "征求意见稿：尚未生效"' in str(files["documents/ningbo.md"])
    for policy_id in POLICIES:
        if program.policies[policy_id].header.status != "draft":
            assert "征求意见稿：尚未生效" not in str(files[f"documents/{policy_id}.md"])


def test_informative_clauses_say_why(program: ir.Program) -> None:
    markdown = str(generated_files(program)[0]["documents/ningbo.md"])
    section = markdown.split("{#a1 .policyc-clause}", 1)[1].split("{#a2 ", 1)[0]
    assert "说明性条款" in section and "目的条款" in section


def test_the_nav_lists_sections_that_have_pages() -> None:
    titles = {
        "index.md": "首页",
        "reading.md": "如何阅读",
        "documents/b.md": "B",
        "documents/a.md": "A",
        "language.md": "政策语言",
    }
    assert nav(titles) == [
        {"首页": "index.md"},
        {"如何阅读": "reading.md"},
        {"文件": [{"B": "documents/b.md"}, {"A": "documents/a.md"}]},  # the kind's order
        {"参考": [{"政策语言": "language.md"}]},
    ]


def test_the_search_vocabulary_has_the_domain_terms(program: ir.Program) -> None:
    terms = vocabulary_terms(program)
    for term in ("低保", "特困", "尽职免责", "容错纠错", "一事一议", "追缴", "公示", "民主评议"):
        assert term in terms
    assert "予以容错" not in terms  # it would hide 容错 from search


# ---------------------------------------------------------------- a statement's source


def _braces_char_by_char(text: str, depth: int, opened: bool) -> tuple[int, bool]:
    """What `documents._braces` must find, read a character at a time: a string runs to its
    closing quote (a backslash escapes the next character) or the line's end, a comment from
    `#` to the line's end, and only the braces outside both count."""
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "#":
            break
        elif char == "{":
            depth, opened = depth + 1, True
        elif char == "}":
            depth -= 1
    return depth, opened


def test_braces_are_counted_outside_strings_and_comments_on_every_policy_line() -> None:
    lines = [
        line
        for path in sorted((ROOT / "policies").rglob("*.policy"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert sum("{" in line for line in lines) > 200
    for line in lines:
        for depth, opened in ((0, False), (2, True)):
            assert documents._braces(line, depth, opened) == _braces_char_by_char(
                line, depth, opened
            ), line


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='{}"\\#a 规\t\r\n\u2028', max_size=30), st.integers(-2, 3), st.booleans())
def test_braces_are_counted_as_a_character_at_a_time(text: str, depth: int, opened: bool) -> None:
    assert documents._braces(text, depth, opened) == _braces_char_by_char(text, depth, opened)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('rule a { x = "}" # }', (1, True)),
        ('"a\\"{" {', (1, True)),
        ('"unclosed { \\', (0, False)),
        ("}", (-1, False)),
    ],
)
def test_braces_in_strings_and_comments_do_not_count(text: str, found: tuple[int, bool]) -> None:
    assert documents._braces(text, 0, False) == found
