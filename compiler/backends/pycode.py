"""A tiny layout engine for generated Python: calls that fit stay on one line, others break
one argument per line, so the generated code reads like hand-written code and passes ruff.

Widths are display widths, as ruff measures them: a Chinese character counts two columns.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from functools import cache, lru_cache
from itertools import accumulate
from typing import NamedTuple

INDENT = "    "
WIDTH = 100


# The layout's nodes are NamedTuples, not frozen dataclasses: a policy's Python module makes
# some 1,800 of them, and a tuple is made in C where a frozen dataclass sets each field through
# object.__setattr__ (Python modules 4-5 % faster to make).  Nothing compares them: a node is
# measured by its identity (`_Widths`) and read by its fields.
class Call(NamedTuple):
    """`head(args…)`; with `joiner=" "` a parenthesised implicit string concatenation."""

    head: str  # "L.and_", or "" for a bare tuple or parenthesised expression
    args: tuple[Code, ...]
    open: str = "("
    close: str = ")"
    joiner: str = ", "
    one_tuple: bool = False  # a one-element tuple needs its comma


class Lambda(NamedTuple):
    body: Code


class Prefixed(NamedTuple):
    """`prefix` then a value that may break over lines: `key: value`, `name=value`."""

    prefix: str
    value: Code


class Text(NamedTuple):
    """A string literal: on one line where it fits, else split into pieces in parentheses."""

    value: str


Code = str | Call | Lambda | Prefixed | Text


def width_of(text: str) -> int:
    # Called for every line tried at every nesting level of the layout: ASCII (most code)
    # is one column a character without looking at each.
    if text.isascii():
        return len(text)
    return _wide_width(text)


@lru_cache(maxsize=1 << 14)
def _wide_width(text: str) -> int:
    # A policy's Chinese texts (quotes, messages, names) are measured again in every call
    # and constant that holds them: 3,200 times a policy, for ~20 distinct strings each.
    return len(text) + sum(map(_wide, text))


@cache
def _wide(ch: str) -> int:
    """The columns a character takes beyond one: 1 for a wide or full-width one."""
    return 1 if unicodedata.east_asian_width(ch) in "WF" else 0


def flat(code: Code) -> str:
    """`code` on one line."""
    if isinstance(code, str):
        return code
    if isinstance(code, Lambda):
        return "lambda: " + flat(code.body)
    if isinstance(code, Prefixed):
        return code.prefix + flat(code.value)
    if isinstance(code, Text):
        return py_string(code.value)
    inner = code.joiner.join(map(flat, code.args))
    if code.one_tuple and len(code.args) == 1:
        inner += ","
    return f"{code.head}{code.open}{inner}{code.close}"


# Each node's width on one line by identity, while one layout runs.  A node that does not fit
# is laid out again from its parts; it is measured, not written, so the text of a node is made
# once, where it fits, and never for the nodes around it that do not.  The node is kept with
# its width, so that its id is not reused by a later node.
_Widths = dict[int, tuple["Code", int]]


def _width(code: Code, widths: _Widths) -> int:
    """width_of(flat(code)), each node measured once."""
    if isinstance(code, str):
        return width_of(code)
    kept = widths.get(id(code))
    if kept is not None:
        return kept[1]
    if isinstance(code, Lambda):
        made = 8 + _width(code.body, widths)  # "lambda: "
    elif isinstance(code, Prefixed):
        made = width_of(code.prefix) + _width(code.value, widths)
    elif isinstance(code, Text):
        made = width_of(py_string(code.value))
    else:
        args = code.args
        made = width_of(code.head + code.open + code.close)
        for arg in args:
            # Most arguments are short ASCII code: measured here, without a call.
            if isinstance(arg, str) and arg.isascii():
                made += len(arg)
            else:
                made += _width(arg, widths)
        if len(args) > 1:
            made += width_of(code.joiner) * (len(args) - 1)
        elif code.one_tuple and len(args) == 1:
            made += 1
    widths[id(code)] = (code, made)
    return made


def layout(code: Code, indent: int, prefix: str = "", suffix: str = "") -> str:
    """`code` placed after `prefix` at `indent` levels, each line within WIDTH if possible."""
    return _layout(code, indent, prefix, suffix, {})


def _layout(code: Code, indent: int, prefix: str, suffix: str, widths: _Widths) -> str:
    pad = INDENT * indent
    if isinstance(code, str) or (
        len(pad) + width_of(prefix) + _width(code, widths) + width_of(suffix) <= WIDTH
    ):
        return f"{pad}{prefix}{flat(code)}{suffix}"
    if isinstance(code, Lambda):
        return _layout(code.body, indent, prefix + "lambda: ", suffix, widths)
    if isinstance(code, Prefixed):
        return _layout(code.value, indent, prefix + code.prefix, suffix, widths)
    if isinstance(code, Text):
        room = WIDTH - width_of(INDENT * (indent + 1))
        return _layout(_pieces(code.value, room), indent, prefix, suffix, widths)
    separator = "," if code.joiner == ", " else ""
    lines = [f"{pad}{prefix}{code.head}{code.open}"]
    inner = pad + INDENT
    for arg in code.args:
        # An argument that is code as text (most are) goes on its line as it is.
        if type(arg) is str:
            lines.append(f"{inner}{arg}{separator}")
        else:
            lines.append(_layout(arg, indent + 1, "", separator, widths))
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
    """`text` as a parenthesised concatenation of literals, each within `room` columns: as
    many characters in each piece as fit, at least one."""
    # A literal is its two quotes and each character's escape, side by side, so a piece's
    # width is a difference of two running sums: each cut is found by bisection.
    ends = list(accumulate(map(_escaped_width, text), initial=0))
    pieces: list[str] = []
    start = 0
    while start < len(text):
        stop = max(start + 1, bisect_right(ends, ends[start] + room - 2) - 1)
        pieces.append(text[start:stop])
        start = stop
    return Call("", tuple(py_string(p) for p in pieces or [""]), joiner=" ")


@cache
def _escaped_width(ch: str) -> int:
    return width_of(_escaped(ch))


def string(text: str) -> Code:
    return Text(text)
