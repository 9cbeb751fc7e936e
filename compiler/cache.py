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

What: JSON, read back through a table of the node classes (`_CLASSES`), never pickle.  A
pickle runs code when it is read, and a project folder comes from anywhere (a clone, an
archive) with whatever `.policyc-cache/` it holds.  JSON read this way can only build nodes.
That a planted entry cannot even be found is the secret's work: the key mixes in a random
secret kept outside the project (`~/.cache/policyc/secret`, 0600 in a 0700 folder), so an entry
that policyc did not write on this account has a name policyc never looks up.

An entry that cannot be read or decoded (cut short, edited, of another layout) is ignored and
rewritten: a cache may only ever make things faster, never different.  Output is
byte-identical with and without it (tests/test_cache.py); `--no-cache` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
import tempfile
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from compiler import codes
from compiler import nodes as n
from compiler.diagnostics import Diagnostic, Label
from compiler.errors import PolicycError

FOLDER: Final = ".policyc-cache"
_LAYOUT: Final = "parse-1"  # the entry format; part of the key

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
_FIELDS: Final = {name: frozenset(f.name for f in fields(cls)) for name, cls in _CLASSES.items()}


def encode(value: Any) -> Any:
    """A node (or tuple, or diagnostic) as plain JSON data."""
    if isinstance(value, Enum):
        return {"": type(value).__name__, "v": value.value}
    if isinstance(value, codes.Code):
        return {"": "Code", "v": value.id}
    if isinstance(value, datetime):  # before date: a datetime is a date
        return {"": "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {"": "date", "v": value.isoformat()}
    if isinstance(value, Decimal):
        return {"": "Decimal", "v": str(value)}
    if is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if _CLASSES.get(name) is not type(value):
            raise TypeError(f"cannot cache a {name}")
        document: dict[str, Any] = {"": name}
        for f in fields(value):
            field_value = getattr(value, f.name)
            if f.name == "span" and type(field_value) is n.Span:
                # Every node has one: a short array, not an object, halves reading an entry.
                span = field_value
                document["span"] = [
                    span.line,
                    span.column,
                    span.end_line,
                    span.end_column,
                    span.file,
                ]
            else:
                document[f.name] = encode(field_value)
        return document
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")


class CorruptEntry(PolicycError, ValueError):
    """A cache entry that does not decode to nodes: ignored and rewritten."""


def _tuples(value: Any) -> Any:
    # JSON arrays are the AST's tuples (nodes hold no lists).
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _object(document: dict[str, Any]) -> Any:
    kind = document.get("")
    if not isinstance(kind, str):
        raise CorruptEntry("an object without its class")
    simple = _SIMPLE.get(kind)
    if simple is not None:
        return simple(document["v"])
    cls = _CLASSES.get(kind)
    if cls is None:
        raise CorruptEntry(f"an unknown class {kind!r}")
    del document[""]
    if document.keys() != _FIELDS[kind]:
        raise CorruptEntry(f"the fields of a {kind} are {sorted(_FIELDS[kind])}")
    span = document.get("span")
    if type(span) is list:
        document["span"] = _span(span)
    # Built without __init__: a frozen dataclass's __init__ sets each field through
    # object.__setattr__, most of the time of reading an entry.  The fields are exactly the
    # class's (checked above) and hold what `encode` wrote.
    node: Any = object.__new__(cls)
    node.__dict__.update(
        {k: tuple(map(_tuples, v)) if type(v) is list else v for k, v in document.items()}
    )
    return node


def _span(fields: list[Any]) -> n.Span:
    line, column, end_line, end_column, file = fields
    if not (type(file) is str and all(type(x) is int for x in fields[:4])):
        raise CorruptEntry("a span of other values")
    span: Any = object.__new__(n.Span)
    span.__dict__.update(
        file=file, line=line, column=column, end_line=end_line, end_column=end_column
    )
    return span  # type: ignore[no-any-return]


def _code(identifier: str) -> codes.Code:
    return codes.CODES[identifier]


_SIMPLE: Final[dict[str, Callable[[Any], Any]]] = {
    "Kind": n.Kind,
    "Relation": n.Relation,
    "Code": _code,
    "date": date.fromisoformat,
    "datetime": datetime.fromisoformat,
    "Decimal": Decimal,
}


def decode(data: bytes) -> Any:
    """The nodes `encode` wrote; CorruptEntry for anything else."""
    try:
        return _tuples(json.loads(data, object_hook=_object))
    except CorruptEntry:
        raise
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        raise CorruptEntry(str(error)) from None


ParseResult = tuple[n.Module | None, list[Diagnostic]]


def encode_result(result: ParseResult) -> bytes:
    """A parse result as the bytes of a cache entry."""
    module, diagnostics = result
    return json.dumps(
        [encode(module), encode(diagnostics)], ensure_ascii=False, separators=(",", ":")
    ).encode()


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
        try:
            raw = (self.folder / f"{key}.json").read_bytes()
            result = decode_result(raw)
        except OSError:
            self.misses += 1
            return None
        except CorruptEntry:
            self.misses += 1  # rewritten by the put that follows the parse
            return None
        self.hits += 1
        return result

    def put(self, key: str, result: ParseResult) -> None:
        self.put_encoded(key, encode_result(result))

    def put_encoded(self, key: str, data: bytes) -> None:
        # Written whole or not at all: a build killed mid-write leaves no half entry.
        try:
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, self.folder / f"{key}.json")
        except OSError:
            pass  # a full disk makes the next run slower, not wrong


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
