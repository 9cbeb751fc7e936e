"""Markdown helpers shared by the diff's parts (stdlib only: `policyc diff --markdown` must work
without the site extra, so the site's Jinja filters cannot be imported here)."""

from __future__ import annotations

# The characters the site's `text` filter (compiler/backends/site/render.py) makes inert.
_SYNTAX = frozenset("&<>\"'`*_{}[]()#+-.!|~\\:=$^")


def inert(value: object) -> str:
    """Policy text as inert Markdown/HTML on one line, as the site's `text` filter writes it."""
    out = []
    for char in str(value):
        if char in _SYNTAX:
            out.append(f"&#{ord(char)};")
        elif char in "\r\n":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)
