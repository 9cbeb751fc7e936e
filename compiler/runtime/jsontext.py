"""JSON in, strictly: one reader for case records, `--facts` and every JSON a user gives.

`json.loads` lets the last of two equal keys win, so a second, on-time date could hide a late
one; here a repeated key is an error.  A byte-order mark is allowed (Windows tools write one,
also on a pipe)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import NoReturn

from .errors import PolicycError


class JSONInputError(PolicycError, ValueError):
    """Text that is not one JSON document with each key once per object."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _Repeated(PolicycError, ValueError):
    """Internal: raised through json.loads by the pairs hook, caught in `loads`."""


def _once(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise _Repeated(key)
        seen[key] = value
    return seen


# One decoder for every document: json.loads(text, object_pairs_hook=…) builds a new one per
# call, a fifth of the time of reading a short JSONL record.
_DECODER = json.JSONDecoder(object_pairs_hook=_once)


def loads(text: str) -> object:
    """The JSON document in `text`; JSONInputError says where and what is wrong."""
    text = text.removeprefix("\ufeff")
    if text.startswith("\ufeff"):  # a second one: refused in json.loads' own words
        raise JSONInputError("Unexpected UTF-8 BOM (decode using utf-8-sig)", 1, 1)
    return _decode(text, lambda error: (error.lineno, error.colno))


def _decode(text: str, place: Callable[[json.JSONDecodeError], tuple[int, int]]) -> object:
    """The JSON document in `text`; JSONInputError says what is wrong, and where as `place`
    says of json's error (its line and column)."""
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise JSONInputError(error.msg, *place(error)) from None
    except _Repeated as error:
        # json does not say where the object was; name the key, which is what to look for.
        raise JSONInputError(f"the key '{error}' is given twice in one object", 0, 0) from None
    except RecursionError:
        raise JSONInputError("nested too deeply", 0, 0) from None
    except ValueError:
        # Python reads no integer longer than its limit (4,300 digits: a guard against slow
        # conversions): bad input, not an internal error.  json says neither where nor which.
        limit = sys.get_int_max_str_digits()
        raise JSONInputError(f"an integer of more than {limit:,} digits", 0, 0) from None


# JSON's white space between tokens (json's own, narrower than str.isspace), a run of it.
_WS = re.compile(r"[ \t\n\r]*")
# A JSON string, its escapes skipped (`_Items._cut_short`).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# An error (or a number's end) this near the end of the text read so far may be the text cut
# short, not a fault: `tru`, `1e`, `-Infinit`, a `\ud83d\ude0` escape (12 characters at most)
# cut in two.
_NEAR_END = 16


def items(chunks: Iterable[str]) -> Iterator[object]:
    """The items of the JSON document that `chunks` make up, one at a time as the chunks are
    read: an array's items; any other document whole, as one item.  An array is never held
    whole, only the item being read and the chunk it ends in, so that a file of a million
    records takes the memory of one.  The values and the errors are `loads`' of the whole text,
    in the same words and places (line and column in the whole document), met in reading
    order: the items before a fault are handed out first."""
    return _Items(iter(chunks)).items()


class _Items:
    """`items`' state: the text read and not yet let go (`text`, from `mark` on: what a
    fault is said from), the place read to (`pos`), and where `text` starts in the document
    (characters and `\\n`s let go before it), to say a fault's line and column."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self.chunks = chunks
        self.text = ""
        self.ended = False  # every chunk read
        self.pos = 0
        self.mark = 0  # past the `[` or the last item: the text from here is kept
        self.count = 0  # items handed out
        self.gone = 0  # characters let go before text[0]
        self.newlines = 0  # the `\n`s among them
        self.line_start = 0  # where the line of text[0] starts in the document

    def items(self) -> Iterator[object]:
        self._read(2)
        # loads' BOMs: the one decoding the file dropped (utf-8-sig) came before the text.
        bom = 1 if self.text.startswith("\ufeff") else 0
        start = self._skip(bom)
        if start >= len(self.text) or self.text[start] != "[":
            # Not an array (an object: one record; or no JSON): one document, read whole.
            yield loads(self.text + "".join(self.chunks))
            return
        self.text = self.text[bom:]  # the document's places count from past the BOM
        self.pos = self.mark = start + 1 - bom
        self.pos = self._skip(self.pos)
        if self._at() == "]":
            self.pos += 1
        else:
            while True:
                yield self._item()
                self.count += 1
                self.mark = self.pos
                self.pos = self._skip(self.pos)
                following = self._at()
                if following == "]":
                    self.pos += 1
                    break
                if following != ",":
                    self._fault()  # the array not closed, or no comma between two items
                self.pos = self._skip(self.pos + 1)
        # Past the array: white space alone, to the end.
        self.mark = self.pos
        if self._skip(self.pos) < len(self.text):
            self._fault("[]")

    def _at(self) -> str:
        """The character at `pos`; "" at the end of the document."""
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _read(self, at_least: int) -> bool:
        """Read `at_least` more characters (fewer at the end of the document), letting go of
        the text before `mark`; whether any came."""
        if self.mark:
            lines = self.text.count("\n", 0, self.mark)
            if lines:
                self.newlines += lines
                self.line_start = self.gone + self.text.rindex("\n", 0, self.mark) + 1
            self.gone += self.mark
            self.text = self.text[self.mark :]
            self.pos -= self.mark
            self.mark = 0
        parts = [self.text]
        got = 0
        while got < at_least and not self.ended:
            chunk = next(self.chunks, None)
            if chunk is None:
                self.ended = True
            else:
                parts.append(chunk)
                got += len(chunk)
        self.text = "".join(parts)
        return got > 0

    def _skip(self, pos: int) -> int:
        """The place of the first character at or past `pos` that is not white space, reading
        on as needed; len(text) at the end of the document."""
        while True:
            pos = _WS.match(self.text, pos).end()  # type: ignore[union-attr]  # * matches
            if pos < len(self.text) or self.ended:
                return pos
            kept = pos - self.mark
            # As much again as the text kept: a long run of white space is joined again a
            # few times, not once a chunk.
            self._read(max(kept, 1))
            pos = self.mark + kept

    def _item(self) -> object:
        """The item at `pos` (not white space), `pos` moved past it; the text read on until
        it is whole."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as error:
                if self.ended or not self._cut_short(error.pos):
                    self._fault()
            except (_Repeated, RecursionError, ValueError):
                self._fault()  # said as loads says it: none of these is the text cut short
            else:
                # A number near the end of the text read so far may go on (`1` of `1.5e3`);
                # an item that ends there is read again, once a chunk at most.
                if end < len(self.text) - _NEAR_END or self.ended:
                    self.pos = end
                    return value
            # Read on by as much again as the item so far: an item far longer than a chunk
            # is parsed again a few times, not once a chunk.
            self._read(max(len(self.text) - self.pos, 1))

    def _cut_short(self, at: int) -> bool:
        """Whether an error at `at` may come of the text read so far ending too soon: near
        its end, or at a string that does not end in it."""
        if at >= len(self.text) - _NEAR_END:
            return True
        return self.text[at] == '"' and _STRING.match(self.text, at) is None

    def _fault(self, state: str | None = None) -> NoReturn:
        """JSONInputError for the fault in the text from `mark` on, in loads' words: the text
        parsed again after a `state` as it was at `mark` (past the `[`, past an item, or
        past the array), so that json itself says what it expected there."""
        if state is None:
            # An item that nothing after it can go on with (`0` would: `0.5`, `0e1`).
            state = '[""' if self.count else "["

        def at(within: int) -> tuple[int, int]:
            """The line and column of `text[within]` in the document."""
            line = self.newlines + self.text.count("\n", 0, within) + 1
            newline = self.text.rfind("\n", 0, within)
            start = newline + 1 if newline >= 0 else self.line_start - self.gone
            return line, within - start + 1

        try:
            _decode(state + self.text[self.mark :], lambda e: at(self.mark + e.pos - len(state)))
        except JSONInputError as error:
            if error.line:
                raise
            # A repeated key, an integer too long, nesting too deep: json says not where, but
            # the item is known, among thousands (`loads` of one record needs no place).
            raise JSONInputError(error.message, *at(self.pos)) from None
        raise AssertionError("a fault json does not see")  # pragma: no cover
