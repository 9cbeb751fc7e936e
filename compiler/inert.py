"""Policy text made inert in Markdown and HTML: the one escaping every Markdown writer uses.

The site's `text` filter (compiler/backends/site/render.py) wraps it for Jinja2; the conflict
report and the diff call it directly, so that `policyc conflicts --markdown` and `policyc diff
--markdown` work without the site extra (stdlib only).
"""

from __future__ import annotations

import re
from typing import Final

# ASCII characters with a meaning in Markdown (inline or at a line start), in HTML, or in the
# extensions the site enables (attr_list braces, emoji colons, tables' pipes).
SYNTAX: Final = frozenset("&<>\"'`*_{}[]()#+-.!|~\\:=$^")


# Each syntax character as its numeric character reference, a line break as a space, found by
# one regular expression (a loop over the characters was 6 s of a province's site; a
# `str.translate` still looked up every Chinese character, four times as long as this).
_INERT: Final = {char: f"&#{ord(char)};" for char in SYNTAX} | {"\r": " ", "\n": " "}
_FOUND: Final = re.compile("[" + re.escape("".join(sorted(_INERT))) + "]")


def _replaced(found: re.Match[str]) -> str:
    return _INERT[found.group()]


def inert(value: object) -> str:
    """Policy text as inert Markdown/HTML on one line (newlines become spaces): every syntax
    character becomes a numeric character reference, which renders as itself."""
    return _FOUND.sub(_replaced, str(value))
