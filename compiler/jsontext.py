"""JSON text as the build writes it, in bulk: the manifests and record schemas (`indented`),
the cache's entries (`compact`), the site's blocks made ahead (`compact_text`).  Made by
orjson where it is installed (the `fast` extra), else by the standard library's json.  The
build's files are byte for byte the same either way, so that a build does not depend on which
machine ran it; the cache's entries read back the same.

Why: at 3,000 jurisdictions a first build writes 6,000 indented documents, which `json` makes
in Python (its C encoder serves only calls without `indent`), and thousands of cache entries:
4–6 % of the build's CPU.  orjson makes them 5–8 times faster (benchmarks/README.md,
thirteenth round).

Where the two could differ:
- *`indented`* hands orjson only documents of JSON's own types (dict with str keys, list,
  tuple, str, int, bool, None: `_plain`, exact types, no subclass).  Anything else (a float,
  a subclass of str or int, a key that is not a str, …) is written by json, or refused by it
  as it always was.  orjson itself refuses an int beyond 64 bits or nesting deeper than 255;
  json writes those.
- *`compact`* writes the cache's entries, which only this machine reads back (json.loads), so
  what matters is the value read back, not the text; looking at each value first would cost
  what json does.  The values are made by `cache.encode` and the build's records, of the
  same types: orjson is told to refuse what it would write its own way (dataclasses, dates,
  subclasses: the passthrough options and `_refuse`), and json writes those.  A finite float
  may be written another way (`1e-05` is `0.00001` to orjson) and reads back the same; a NaN
  or an infinity, which orjson writes as `null`, is never in these values (`cache.encode`
  refuses floats).
- *`compact_text`* writes the site's blocks (compiler/backends/site/prebuilt.py): lists,
  dicts of str and str, which the two write alike, every character below U+0080 and above it
  (tests/test_jsontext.py).  What orjson refuses (a lone surrogate, an int beyond 64 bits,
  deep nesting), json writes.  It is json's text for these types only: orjson writes a float
  its own way (a NaN as `null`), and writes an Enum or a UUID that json's `default` would have
  been asked for; no block holds any.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final, NoReturn

try:
    import orjson
except ImportError:  # pragma: no cover - the fast extra is not installed
    orjson = None  # type: ignore[assignment]


def _refuse(value: object) -> NoReturn:
    raise TypeError(type(value).__name__)


if orjson is not None:
    _PASS: Final = (
        orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_SUBCLASS
    )
    _INDENTED: Final = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


def _json_indented(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _json_text(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    return json.dumps(value, default=default, ensure_ascii=False, separators=(",", ":"))


def _json_compact(value: Any) -> bytes:
    return _json_text(value).encode()


def _plain(value: Any) -> bool:
    """`value` holds nothing but JSON's own types: see the module's docstring."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _LEAVES and not _plain(item)):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(item) in _LEAVES or _plain(item) for item in value)
    return kind in _LEAVES


_LEAVES: Final = frozenset({str, int, bool, type(None)})


def indented(document: Any) -> bytes:
    """`document` as a file: keys sorted, two-space indent, UTF-8 unescaped, a final newline."""
    if orjson is not None and _plain(document):
        try:
            return orjson.dumps(document, option=_INDENTED)
        except TypeError:  # orjson.JSONEncodeError: an int beyond 64 bits, deep nesting
            pass
    return _json_indented(document)


def compact(value: Any) -> bytes:
    """`value` on one line, no spaces, keys in their order, UTF-8 unescaped; for the cache
    (see the module's docstring)."""
    if orjson is not None:
        try:
            return orjson.dumps(value, default=_refuse, option=_PASS)
        except TypeError:  # orjson.JSONEncodeError: a value for json to write or refuse
            pass
    return _json_compact(value)


def compact_text(value: Any, default: Callable[[Any], Any]) -> str:
    """`value` on one line, as text, as json writes it (no spaces, keys in their order, UTF-8
    unescaped) for the types the module's docstring names; `default` gives what JSON writes
    for a value of another type (json's `default`; orjson asks it for a dataclass too).
    For the site's blocks made ahead (prebuilt.py): a tenth of a document page's generation
    was json's encoder asking `default` for each element, in Python."""
    if orjson is not None:
        try:
            return orjson.dumps(value, default=default, option=_PASS).decode()
        except TypeError:  # orjson.JSONEncodeError: a value for json to write or refuse
            pass
    return _json_text(value, default)


__all__ = ["compact", "compact_text", "indented"]
