"""Jinja2 for the site's Markdown pages, and the filters that keep policy text text.

Templates produce Markdown with some raw HTML, so a value from a policy (a quote, a label, a
note) must be inert in both: `text` turns every character that Markdown or HTML could read as
syntax into a numeric character reference.  The reference renders as the character itself, so
a quote containing `<script>`, `**`, `|` or `{{ }}` shows exactly as written.  Values never pass
through Jinja twice, so `{{ }}` inside them is not evaluated.
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
from markupsafe import Markup

from compiler.backends.site.prebuilt import line, raw_block
from compiler.inert import inert

TEMPLATES = Path(__file__).resolve().parents[3] / "site_templates"


def text(value: object) -> Markup:
    """Policy text as inert Markdown/HTML on one line (newlines become spaces)."""
    return Markup(inert(value))


def lines(value: object) -> Markup:
    """Like `text`, keeping line breaks as <br> (for multi-line clauses in HTML blocks and
    table cells)."""
    return Markup("<br>").join(text(line) for line in str(value).splitlines())


def fence(code: str, language: str = "") -> Markup:
    """A fenced code block that no backtick run inside `code` can close early."""
    longest = max((len(run) for run in _backtick_runs(code)), default=0)
    marks = "`" * max(3, longest + 1)
    return Markup(f"{marks}{language}\n{code.rstrip()}\n{marks}")


def _backtick_runs(code: str) -> list[str]:
    runs, current = [], ""
    for char in code:
        if char == "`":
            current += char
        elif current:
            runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs


def html_block(html: str) -> Markup:
    """Template HTML that stands as a block of its own, made one line that Markdown takes whole
    (prebuilt.py), then a line end: Markdown would parse its tags to find where it ends."""
    return Markup(line(raw_block(str(html).strip("\n"))) + "\n")


def attr_json(value: object) -> Markup:
    """A value as JSON inside a double-quoted HTML attribute (data-* for page scripts)."""
    encoded = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text(encoded)


def environment(templates: Path = TEMPLATES) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,  # a missing value is a bug, not an empty cell
        autoescape=False,  # Markdown, not HTML: values go through `text` explicitly
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["text"] = text
    env.filters["lines"] = lines
    env.filters["fence"] = fence
    env.filters["attr_json"] = attr_json
    env.filters["html_block"] = html_block
    return env
