"""compiler/jsontext.py: the build's JSON, made by orjson where installed, is json's.

`indented` (the build's manifests and record schemas) must be json's text byte for byte,
whatever the document; `compact` (the cache's entries) must read back as json's does.  Both
are checked with orjson and, patched away, without it.
"""

from __future__ import annotations

import enum
import json
import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import cache, jsontext
from compiler.backends.sql import PolicySql
from compiler.lower import load_program
from compiler.parser import parse_text
from compiler.runtime.records import record_schema

ROOT = Path(__file__).resolve().parent.parent


def _json_indented(document: Any) -> bytes:
    # What the build wrote before jsontext, spelled out here rather than imported from it.
    return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _json_compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.fixture(params=["orjson", "json"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with orjson (skipped where it is not installed) and without it."""
    if request.param == "orjson":
        pytest.importorskip("orjson")
    else:
        monkeypatch.setattr(jsontext, "orjson", None)
    return str(request.param)


def _documents() -> list[object]:
    """Every manifest and record schema the project's build writes."""
    program = load_program(ROOT)
    documents: list[object] = []
    for policy in program.policies.values():
        specs = {name: program.input(name).spec() for name in policy.inputs}
        documents.append(record_schema(policy.id, policy.title, specs))
        documents.append(PolicySql(program, policy).manifest())
    return documents


def test_the_project_s_documents_are_json_s_text_and_orjson_makes_them(engine: str) -> None:
    documents = _documents()
    assert len(documents) >= 10
    for document in documents:
        assert jsontext.indented(document) == _json_indented(document)
    if engine == "orjson":
        # The fast path serves the build's documents; were they to fall back (a float or a
        # subclass slipped in), the build would be as slow as before and nothing else says so.
        assert all(jsontext._plain(d) for d in documents)


def test_the_project_s_cache_entries_read_back_as_json_s(engine: str) -> None:
    policies = sorted((ROOT / "policies").rglob("*.policy"))
    assert policies
    for path in policies:
        module, diagnostics = parse_text(path.read_text(encoding="utf-8"), str(path))
        value = cache.encode((module, tuple(diagnostics)))
        # The cache's values hold no float, so the text is json's too, not just its value.
        assert jsontext.compact(value) == _json_compact(value)
        assert cache.decode(jsontext.compact(value)) == (module, tuple(diagnostics))


class _Colour(enum.Enum):
    RED = "red"


class _Kind(enum.StrEnum):
    A = "甲"


class _Count(enum.IntEnum):
    ONE = 1


class _Text(str):
    pass


_ODD = [
    1.0,
    1e-05,
    1e-07,
    1e16,
    -0.0,
    math.nan,
    math.inf,
    -math.inf,
    2**64,
    -(2**70),
    _Kind.A,
    _Count.ONE,
    _Text("文"),
    OrderedDict([("b", 1), ("a", 2)]),
    {1: "int key"},
    {True: "bool key", None: "null key"},
    {"a": [1, (2, 3)], "b": {"c": None}},
    '\x00\x1f\x7f\u2028\u2029"\\\n\t',
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
]


def _nested(depth: int) -> object:
    value: object = "deep"
    for _ in range(depth):
        value = [value]
    return value


def _same_outcome(ours: Any, theirs: Any, value: object) -> None:
    """`ours(value)` gives json's bytes, or fails with json's kind of error."""
    try:
        expected = theirs(value)
    except (TypeError, ValueError) as error:
        with pytest.raises(type(error)):
            ours(value)
    else:
        assert ours(value) == expected


def _id(value: object) -> str:
    # Not repr alone: an object's shows its address, which differs between xdist's workers.
    return "object" if type(value) is object else repr(value)[:40]


@pytest.mark.parametrize("value", [*_ODD, _nested(300), _Colour.RED, object()], ids=_id)
def test_values_orjson_would_write_its_own_way_are_json_s(engine: str, value: object) -> None:
    # An enum that is not a str, a NaN, a 1e-05, an int beyond 64 bits, a key that is not a
    # str, nesting beyond orjson's 255: each is json's text (or json's refusal).
    _same_outcome(jsontext.indented, _json_indented, value)
    # compact's values are the cache's (jsontext's docstring): no NaN or infinity, and no
    # enum that is not a str, which orjson writes by its value where json refuses it.
    if not isinstance(value, _Colour) and not (
        isinstance(value, float) and not math.isfinite(value)
    ):
        try:
            expected = json.loads(_json_compact(value))
        except (TypeError, ValueError):
            with pytest.raises((TypeError, ValueError)):
                jsontext.compact(value)
        else:
            assert json.loads(jsontext.compact(value)) == expected


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


def _finite(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    return True


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_VALUES)
def test_any_json_value_is_json_s_text_indented_and_reads_back_compact(value: object) -> None:
    # Not through the engine fixture (hypothesis runs its examples inside one test call):
    # with orjson where installed; tests above cover the fallback.
    assert jsontext.indented(value) == _json_indented(value)
    if _finite(value):
        assert json.loads(jsontext.compact(value)) == json.loads(_json_compact(value))


def test_a_float_compact_writes_its_own_way_reads_back_the_same() -> None:
    # The module's docstring: orjson writes some floats otherwise than json (the cache's
    # values hold none, and their text is json's: the test of the project's entries above);
    # what it writes reads back as the same float.
    orjson = pytest.importorskip("orjson")
    assert orjson.dumps(1e-05) == b"0.00001" and json.dumps(1e-05) == "1e-05"
    for value in (1e-05, 1e-07, 123.5e-9, 1e16, 5e-324, 1.7976931348623157e308):
        assert json.loads(jsontext.compact([value])) == [value]


@dataclass(frozen=True)
class _Box:
    """A value of a type JSON has none for, as the site's blocks hold (prebuilt.Element)."""

    inside: object


def _unboxed(value: object) -> object:
    if isinstance(value, _Box):
        return ["box", value.inside]
    raise TypeError(type(value).__name__)


def _json_text(value: object) -> str:
    return json.dumps(value, default=_unboxed, ensure_ascii=False, separators=(",", ":"))


# What the site's blocks hold: texts (any character but a lone surrogate), lists, dicts of
# texts, and values of other types that `default` writes.
_BLOCKS = st.recursive(
    st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner) | st.builds(_Box, inner),
    max_leaves=20,
)


def test_a_block_is_json_s_text(engine: str) -> None:
    block = [
        "p",
        {"class": "x"},
        "".join(map(chr, range(0x80))) + "\u2028\u3000中\U00020000",
        _Box({"policy": "a\tb\n"}),
    ]
    assert jsontext.compact_text(block, _unboxed) == _json_text(block)
    # What orjson refuses, json writes: a lone surrogate, an int beyond 64 bits, deep nesting.
    deep: list[object] = ["leaf"]
    for _ in range(300):
        deep = [deep]
    for refused in ("\ud800", 2**64, deep):
        assert jsontext.compact_text(["p", {}, refused], _unboxed) == _json_text(["p", {}, refused])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_BLOCKS)
def test_any_block_is_json_s_text(value: object) -> None:
    # With orjson where installed, as the test of any value above.
    assert jsontext.compact_text(value, _unboxed) == _json_text(value)
