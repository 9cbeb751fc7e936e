"""Document pages: the generated Markdown of each policy's page (snapshots), and the pieces
they are made of (the Chinese reading of conditions, the statement as written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from compiler import ir
from compiler.backends.site import documents
from compiler.backends.site.anchors import clause_anchor
from compiler.backends.site.hook import generated_files, vocabulary_terms
from compiler.backends.site.nav import nav
from compiler.backends.site.prebuilt import MARK
from compiler.backends.site.render import environment
from compiler.lower import load_program

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
    assert _readable(markdown) == text_snapshot(name=policy_id)


def _readable(markdown: str) -> str:
    """The page's Markdown with each block of HTML made ahead (prebuilt.py: one line of JSON)
    written out as the HTML it makes, a fence as its source: what the snapshot shows."""
    return "\n".join(
        _outline(json.loads(line[len(MARK) :])) if line.startswith(MARK) else line
        for line in markdown.split("\n")
    )


# Tags written on lines of their own, and those whose children are too.
_BLOCK_TAGS = {"div", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td"}
_CONTAINERS = {"div", "ul", "table", "thead", "tbody", "tr"}


def _outline(node: object) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        return f"```policy\n{node['policy']}\n```\n"
    assert isinstance(node, list)
    tag, attrs, *children = node
    opened = "".join(f' {name}="{value}"' for name, value in attrs.items())
    inside = "\n" if tag in _CONTAINERS else ""
    end = "\n" if tag in _BLOCK_TAGS else ""
    return f"<{tag}{opened}>{inside}{''.join(_outline(c) for c in children)}</{tag}>{end}"
