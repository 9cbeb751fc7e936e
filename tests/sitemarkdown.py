"""The site's Markdown as the tests read it: mkdocs.yml's Markdown extensions, for the tests
that render Markdown as MkDocs does without building a site (test_site_lexer.py,
test_site_prebuilt.py), and a page's Markdown with its blocks made ahead written out as HTML
(`readable`), for the tests that read a generated page (its snapshot, its links, the time-limit
pages' calendar)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from compiler.backends.site.prebuilt import MARK

ROOT = Path(__file__).resolve().parent.parent


def extensions() -> tuple[list[str], dict[str, dict[str, Any]]]:
    """mkdocs.yml's Markdown extensions: their names in order, and each one's settings."""
    from mkdocs.utils.yaml import yaml_load

    with (ROOT / "mkdocs.yml").open("rb") as file:
        listed = yaml_load(file)["markdown_extensions"]
    names: list[str] = []
    configs: dict[str, dict[str, Any]] = {}
    for entry in listed:
        if isinstance(entry, str):
            names.append(entry)
            continue
        ((name, config),) = entry.items()
        names.append(name)
        configs[name] = dict(config)
    return names, configs


def readable(markdown: str) -> str:
    """The page's Markdown with each block of HTML made ahead (prebuilt.py: one line of JSON)
    written out as the HTML it makes, a fence as its source: what a snapshot shows."""
    return "\n".join(
        _outline(json.loads(line[len(MARK) :])) if line.startswith(MARK) else line
        for line in markdown.split("\n")
    )


# Tags written on lines of their own, and those whose children are too.
_BLOCK_TAGS = {
    "div",
    "p",
    "ul",
    "ol",
    "li",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_CONTAINERS = {"div", "ul", "ol", "blockquote", "table", "thead", "tbody", "tr"}


def _outline(node: object) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        return f"```policy\n{node['policy']}\n```\n"
    assert isinstance(node, list)
    tag, attrs, *children = node
    if tag == "p" and len(children) == 1 and _raw(children[0]):
        return str(children[0]).removesuffix("\n")  # a raw HTML block (prebuilt.raw_block)
    opened = "".join(f' {name}="{value}"' for name, value in attrs.items())
    inside = "\n" if tag in _CONTAINERS else ""
    end = "\n" if tag in _BLOCK_TAGS else ""
    return f"<{tag}{opened}>{inside}{''.join(_outline(c) for c in children)}</{tag}>{end}"


def _raw(child: object) -> bool:
    """Whether a paragraph's one child is a raw HTML block: HTML that ends in a line end, as
    prebuilt.raw_block writes it (a paragraph's text that begins with a tag does not)."""
    text = str(child)
    return text.startswith("<") and text.endswith("\n")
