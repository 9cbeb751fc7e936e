"""A content-keyed cache of parsed policy files, so that an edit of one policy among thousands
parses one file, not all of them.

An entry is one file's parse result (its `nodes.Module`, or None for a syntax error, and the
parser's diagnostics), stored under a key that is the SHA-256 of everything the result depends
on: the file's bytes, the path it is shown as (spans carry it), and the compiler's own parsing
code (`fingerprint`: the grammar, the parser, the node classes, this codec), plus a secret
(below).  A change to any of them is a new key; old entries are simply never read again.

Where: `.policyc-cache/` in the project, a folder the cache creates 0700 and uses only while it
is a real folder (not a link) owned by the user and writable by nobody else.  Never a shared
temporary folder: another user could plant entries there.

What: JSON arrays, read back through a table of the node classes (`_TABLE`), never pickle.  A
pickle runs code when it is read, and a project folder comes from anywhere (a clone, an
archive) with whatever `.policyc-cache/` it holds.  JSON read this way can only build nodes.
That a planted entry cannot even be found is the secret's work: the key mixes in a random
secret kept outside the project (`~/.cache/policyc/secret`, 0600 in a 0700 folder), so an entry
that policyc did not write on this account has a name policyc never looks up.

An entry that cannot be read or decoded (cut short, edited, of another layout) is ignored and
rewritten: a cache may only ever make things faster, never different.  Each entry begins with
the CRC-32 of the rest (`_framed`), checked on every read: a byte changed on the disk that
still decoded (a time limit of 7 working days read back as 6) was the build's, for good, since
the key did not change.  A CRC finds every error of one to 32 bits in a row, and any other with
a chance of 1 in 2^32; it guards against a damaged disk or a stray write, not against an
attacker, whom the secret keeps out.  Output is
byte-identical with and without it (tests/test_cache.py); `--no-cache` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
import sys
import zlib
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from compiler import codes
from compiler import nodes as n
from compiler.atomic import write_whole
from compiler.diagnostics import Diagnostic, Label
from compiler.errors import PolicycError
from compiler.jsontext import compact

FOLDER: Final = ".policyc-cache"
_LAYOUT: Final = "parse-3"  # the entry format; part of the key

# The files whose code decides what a parse result is: a change to any is a new cache.
_FINGERPRINTED: Final = (
    "__init__.py",
    "cache.py",
    "codes.py",
    "diagnostics.py",
    "grammar/policy.lark",
    "nodes.py",
    "parser.py",
    "runtime/kinds.py",
    "runtime/values.py",
)


@cache
def fingerprint() -> bytes:
    """The SHA-256 of the compiler's parsing code (see _FINGERPRINTED)."""
    digest = hashlib.sha256(_LAYOUT.encode())
    package = resources.files("compiler")
    for name in _FINGERPRINTED:
        digest.update(name.encode() + b"\0" + (package / name).read_bytes() + b"\0")
    return digest.digest()


# ---------------------------------------------------------------- the codec
#
# An entry is JSON of arrays, positional: a node is `[k, field, field, …]` with k ≥ 1 its
# class's place in `_TABLE` and the fields in the class's order; a tuple is `[0, item, …]`;
# a value of another kind is `[k, "text"]` with k < 0 (`_SIMPLE_KINDS`: an enum member, a
# diagnostic code, a date, a moment, a decimal); str, int, bool and null stand as they are.
# json.loads reads it all in C; one small Python step a node builds it back.  (The first
# layout, an object a node read through `object_hook`, spent 85 % of a warm load naming
# fields.)  Still data only: what an entry can make is a node of `_TABLE`, a tuple, or a
# value of `_SIMPLE_KINDS`, whatever its bytes; nothing in it is called or imported.


def _classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for module in (n, __import__("compiler.runtime.values", fromlist=["Duration"])):
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and is_dataclass(value)
                and value.__module__.startswith("compiler.")
            ):
                found[name] = value
    found["Diagnostic"] = Diagnostic
    found["Label"] = Label
    return found


_CLASSES: Final = _classes()
# Index 0 is the tuple; a class's number is its place in name order (the layout is in the
# key through `fingerprint`, which hashes this file and nodes.py).
_TABLE: Final[tuple[tuple[type, tuple[str, ...]] | None, ...]] = (
    None,
    *((cls, tuple(f.name for f in fields(cls))) for _, cls in sorted(_CLASSES.items())),
)
_NUMBER: Final = {cls: k for k, (cls, _) in enumerate(_TABLE[1:], start=1)}  # type: ignore[misc]

_TUPLE: Final = 0


def _code(identifier: str) -> codes.Code:
    return codes.CODES[identifier]


# The values that are not nodes: (type, how written, how read back), numbered -1, -2, …
# datetime before date: a datetime is a date.
_SIMPLE_KINDS: Final[tuple[tuple[type, Callable[[Any], str], Callable[[str], Any]], ...]] = (
    (n.Kind, lambda v: v.value, n.Kind),
    (n.Relation, lambda v: v.value, n.Relation),
    (codes.Code, lambda v: v.id, _code),
    (datetime, lambda v: v.isoformat(), datetime.fromisoformat),
    (date, lambda v: v.isoformat(), date.fromisoformat),
    (Decimal, str, Decimal),
)
_READ: Final = {-k: read for k, (_, _, read) in enumerate(_SIMPLE_KINDS, start=1)}


_LEAVES: Final = frozenset({type(None), bool, int, str})


def encode(value: Any) -> Any:
    """A node (or tuple, or diagnostic) as plain JSON data (the layout above)."""
    if type(value) in _LEAVES:
        return value
    # Leaves are tested inline, as `_build` does: most fields are strings and numbers, and a
    # call for each was a tenth of the time of encoding a file's syntax tree.
    number = _NUMBER.get(type(value))
    if number is not None:
        # Appended one by one: a list of the fields, then one of their codes, took a quarter
        # longer (1.46 against 1.11 ms a file of the 100-jurisdiction corpus).
        held = value.__dict__
        made = [number]
        for name in _TABLE[number][1]:  # type: ignore[index]
            item = held[name]
            made.append(item if type(item) in _LEAVES else encode(item))
        return made
    if isinstance(value, (tuple, list)):
        return [_TUPLE, *[v if type(v) in _LEAVES else encode(v) for v in value]]
    for k, (kind, write, _) in enumerate(_SIMPLE_KINDS, start=1):
        if isinstance(value, kind):
            return [-k, write(value)]
    raise TypeError(f"cannot cache a {type(value).__name__}")


class CorruptEntry(PolicycError, ValueError):
    """A cache entry that does not decode to nodes: ignored and rewritten."""


_new: Final = object.__new__
_SPAN: Final = n.Span


def _build(value: list[Any]) -> Any:
    """The value `encode` wrote as the array `value`."""
    k = value[0]
    # Leaves are tested inline: a call for each string and number would double the time.
    if k == _TUPLE:
        return tuple([_build(v) if type(v) is list else v for v in value[1:]])
    if type(k) is not int:
        raise CorruptEntry("an array without its kind")
    if k > 0:
        cls, names = _TABLE[k]  # type: ignore[misc]
        if len(value) != len(names) + 1:
            raise CorruptEntry(f"a {cls.__name__} has {len(names)} fields")
        # Built without __init__: a frozen dataclass's __init__ sets each field through
        # object.__setattr__, most of the time of reading an entry.  The fields are exactly
        # the class's (counted above), in its order, stored straight into the new node's
        # dict: a list of them and `update(zip(…))` took 1.8x as long (1.90 against 1.05 ms
        # a file of the 100-jurisdiction corpus).
        node = _new(cls)
        held = node.__dict__
        at = 1
        for name in names:
            item = value[at]
            held[name] = _build(item) if type(item) is list else item
            at += 1
        if cls is _SPAN:
            # Every span of a file names it: one string for them all, as a parse makes them.
            # JSON gives each its own copy: 145 MB more at 3,000 jurisdictions.
            held["file"] = sys.intern(held["file"])
        return node
    read = _READ[k]
    text = value[1]
    if len(value) != 2 or type(text) is not str:
        raise CorruptEntry("a value that is not written as text")
    return read(text)


def decode(data: bytes) -> Any:
    """The nodes `encode` wrote; CorruptEntry for anything else."""
    try:
        value = json.loads(data)
        return _build(value) if type(value) is list else value
    except CorruptEntry:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as error:
        raise CorruptEntry(str(error) or type(error).__name__) from None


ParseResult = tuple[n.Module | None, list[Diagnostic]]


def encode_result(result: ParseResult) -> bytes:
    """A parse result as the bytes of a cache entry."""
    module, diagnostics = result
    return compact(encode((module, tuple(diagnostics))))


def decode_result(data: bytes) -> ParseResult:
    """The parse result `encode_result` wrote; CorruptEntry for anything else."""
    decoded = decode(data)
    if not isinstance(decoded, tuple) or len(decoded) != 2:
        raise CorruptEntry("not a parse result")
    module, diagnostics = decoded
    if module is not None and not isinstance(module, n.Module):
        raise CorruptEntry("not a module")
    if not isinstance(diagnostics, tuple) or not all(
        isinstance(d, Diagnostic) for d in diagnostics
    ):
        raise CorruptEntry("not diagnostics")
    return module, list(diagnostics)


# ---------------------------------------------------------------- the folder


class ParseCache:
    """The parse results of one project, by content; see the module's docstring."""

    def __init__(self, folder: Path, secret: bytes) -> None:
        self.folder = folder
        self.secret = secret
        self.hits = 0
        self.misses = 0

    def key(self, shown: str, data: bytes) -> str:
        digest = hashlib.sha256(self.secret + fingerprint())
        digest.update(shown.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(data)
        return digest.hexdigest()

    def get(self, key: str) -> ParseResult | None:
        data = self.get_bytes(key)
        try:
            if data is None:
                raise CorruptEntry("no entry")
            result = decode_result(data)
        except CorruptEntry:
            self.misses += 1  # rewritten by the put that follows the parse
            return None
        self.hits += 1
        return result

    def get_bytes(self, key: str) -> bytes | None:
        """The entry under `key` as `put_encoded` was given it; None where there is none or
        it is not whole (other kinds than parse results: compiler/incremental.py and
        compiler/rebuild.py decode and check them)."""
        try:
            return _unframed((self.folder / f"{key}.json").read_bytes())
        except OSError:
            return None

    def put(self, key: str, result: ParseResult) -> None:
        self.put_encoded(key, encode_result(result))

    def put_encoded(self, key: str, data: bytes) -> None:
        # Written whole or not at all: a build killed mid-write leaves no half entry.
        with contextlib.suppress(OSError):  # a full disk makes the next run slower, not wrong
            write_whole(self.folder / f"{key}.json", _framed(data), 0o600)


def _framed(data: bytes) -> bytes:
    """An entry as kept: the CRC-32 of `data` (eight hex digits, a newline), then `data`."""
    return b"%08x\n" % zlib.crc32(data) + data


def _unframed(kept: bytes) -> bytes | None:
    """What `_framed` was given, or None where `kept` is not a frame whose CRC holds."""
    head, data = kept[:9], kept[9:]
    if len(head) != 9 or head[8:] != b"\n" or not head[:8].isalnum():
        return None
    return data if b"%08x" % zlib.crc32(data) == head[:8] else None


def _private_folder(folder: Path) -> bool:
    """Create `folder` 0700 if it is not there; True if it is a real folder of this user that
    nobody else can write (then it is safe to read what is in it)."""
    try:
        folder.mkdir(mode=0o700, parents=False, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode):
        return False
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _secret() -> bytes | None:
    """This account's cache secret (created on first use), or None if it cannot be kept safe."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    home = Path(base)
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    folder = home / "policyc"
    if not _private_folder(folder):
        return None
    path = folder / "secret"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError:
        return None
    else:
        with os.fdopen(fd, "wb") as stream:
            stream.write(secrets.token_bytes(32))
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077:
            return None
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return None
        value = path.read_bytes()
    except OSError:
        return None
    return value if len(value) == 32 else None


def open_cache(root: Path) -> ParseCache | None:
    """The parse cache of the project at `root`, or None when it cannot be used safely (a
    read-only project, a folder someone else owns or can write): then every file is parsed."""
    secret = _secret()
    if secret is None:
        return None
    folder = root / FOLDER
    if not _private_folder(folder):
        return None
    return ParseCache(folder, secret)


__all__ = ["FOLDER", "CorruptEntry", "ParseCache", "decode", "encode", "open_cache"]
