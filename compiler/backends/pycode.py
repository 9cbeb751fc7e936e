"""A tiny layout engine for generated Python: calls that fit stay on one line, others break
one argument per line, so the generated code reads like hand-written code and passes ruff.

Widths are display widths, as ruff measures them: a Chinese character counts two columns.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

INDENT = "    "
WIDTH = 100


@dataclass(frozen=True)
class Call:
    """`head(args…)`; with `joiner=" "` a parenthesised implicit string concatenation."""

    head: str  # "L.and_", or "" for a bare tuple or parenthesised expression
    args: tuple[Code, ...]
    open: str = "("
    close: str = ")"
    joiner: str = ", "
    one_tuple: bool = False  # a one-element tuple needs its comma


@dataclass(frozen=True)
class Lambda:
    body: Code


@dataclass(frozen=True)
class Prefixed:
    """`prefix` then a value that may break over lines: `key: value`, `name=value`."""

    prefix: str
    value: Code


@dataclass(frozen=True)
class Text:
    """A string literal: on one line where it fits, else split into pieces in parentheses."""

    value: str


Code = str | Call | Lambda | Prefixed | Text


def width_of(text: str) -> int:
    # Called for every line tried at every nesting level of the layout: ASCII (most code)
    # is one column a character without looking at each, and each other character's width
    # is looked up once per process.
    if text.isascii():
        return len(text)
    return len(text) + sum(map(_wide, text))


@cache
def _wide(ch: str) -> int:
    """The columns a character takes beyond one: 1 for a wide or full-width one."""
    return 1 if unicodedata.east_asian_width(ch) in "WF" else 0


# Each node's line by identity, while one layout runs: a node that does not fit is laid out
# again from its parts, which made the line of everything below it again at every nesting
# level.  The node is kept with its line, so that its id is not reused by a later node.
_Flats = dict[int, tuple["Code", str]]


def flat(code: Code) -> str:
    return _flat(code, {})


def _flat(code: Code, flats: _Flats) -> str:
    if isinstance(code, str):
        return code
    kept = flats.get(id(code))
    if kept is not None:
        return kept[1]
    if isinstance(code, Lambda):
        made = "lambda: " + _flat(code.body, flats)
    elif isinstance(code, Prefixed):
        made = code.prefix + _flat(code.value, flats)
    elif isinstance(code, Text):
        made = py_string(code.value)
    else:
        inner = code.joiner.join(_flat(a, flats) for a in code.args)
        if code.one_tuple and len(code.args) == 1:
            inner += ","
        made = f"{code.head}{code.open}{inner}{code.close}"
    flats[id(code)] = (code, made)
    return made


def layout(code: Code, indent: int, prefix: str = "", suffix: str = "") -> str:
    """`code` placed after `prefix` at `indent` levels, each line within WIDTH if possible."""
    return _layout(code, indent, prefix, suffix, {})


def _layout(code: Code, indent: int, prefix: str, suffix: str, flats: _Flats) -> str:
    pad = INDENT * indent
    one_line = f"{pad}{prefix}{_flat(code, flats)}{suffix}"
    # A line longer than WIDTH in characters is wider still: most lines tried are.
    if (len(one_line) <= WIDTH and width_of(one_line) <= WIDTH) or isinstance(code, str):
        return one_line
    if isinstance(code, Lambda):
        return _layout(code.body, indent, prefix + "lambda: ", suffix, flats)
    if isinstance(code, Prefixed):
        return _layout(code.value, indent, prefix + code.prefix, suffix, flats)
    if isinstance(code, Text):
        room = WIDTH - width_of(INDENT * (indent + 1))
        return _layout(_pieces(code.value, room), indent, prefix, suffix, flats)
    separator = "," if code.joiner == ", " else ""
    lines = [f"{pad}{prefix}{code.head}{code.open}"]
    lines.extend(_layout(arg, indent + 1, "", separator, flats) for arg in code.args)
    lines.append(f"{pad}{code.close}{suffix}")
    return "\n".join(lines)


def py_string(text: str) -> str:
    """A double-quoted str literal of `text`: backslashes and quotes escaped, and every
    character that is not printable (controls, line and paragraph separators, …) written as
    an escape, so that no policy text can end the literal or the line."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'  # nothing to escape (most texts): what the loop below writes
    return '"' + "".join(map(_escaped, text)) + '"'


@cache
def _escaped(ch: str) -> str:
    """One character as it stands inside a py_string literal."""
    if ch in ('"', "\\"):
        return "\\" + ch
    if ch == "\n":
        return "\\n"
    if ch.isprintable():
        return ch
    code = ord(ch)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def _pieces(text: str, room: int) -> Call:
    pieces: list[str] = []
    current = ""
    # The width of py_string(current + ch), kept as a sum: a literal is its two quotes and
    # each character's escape, side by side (the same cut as measuring it whole each time).
    inside = 0
    for ch in text:
        width = width_of(_escaped(ch))
        if current and 2 + inside + width > room:
            pieces.append(current)
            current = ""
            inside = 0
        current += ch
        inside += width
    pieces.append(current)
    return Call("", tuple(py_string(p) for p in pieces), joiner=" ")


def string(text: str) -> Code:
    return Text(text)
