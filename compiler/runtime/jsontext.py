"""JSON in, strictly: one reader for case records, `--facts` and every JSON a user gives.

`json.loads` lets the last of two equal keys win, so a second, on-time date could hide a late
one; here a repeated key is an error.  A byte-order mark is allowed (Windows tools write one,
also on a pipe)."""

from __future__ import annotations

import json
import sys

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
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise JSONInputError(error.msg, error.lineno, error.colno) from None
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
