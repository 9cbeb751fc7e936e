"""A JSON array's items read by DuckDB's JSON reader one at a time (`read_json_objects`,
format 'array'; `Cases._items_read_by_duckdb`), typed in the same query, where that reader
reads them as records.py does (jsontext.items): past a BOM and white space the file starts
with `[`, it holds no vertical tab or form feed (white space to that reader alone), and the
reader does not refuse it.  Any other JSON file is read whole (`Cases._stage_json`), which
names a fault in the Python reader's words.  Either way the report is the standard-library
engine's, line for line: these tests say which way each file went."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler.runtime import sqlengine
from compiler.runtime.policy import PolicyInfo
from tests.engines import each, random_fields, read_the_way, reported_alike, run, staged_by


@pytest.fixture
def read_whole(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the JSON files read whole, as the run goes."""
    return staged_by(monkeypatch, "_stage_json")


_JSON_SPACE = [" ", "\t", "\n", "\r"]


def _space(rng: random.Random) -> str:
    return "".join(rng.choices(_JSON_SPACE, k=rng.randint(0, 3)))


def _file(rng: random.Random, items: int) -> bytes:
    """An array of records written in one of several ways: json's own layouts, or items with
    any JSON white space between every token; a BOM at the start or none."""
    records = [random_fields(rng, n) for n in range(items)]
    if rng.random() < 0.5:
        text = json.dumps(records, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 0, 2]))
    else:
        parts = [
            "{" + ",".join(f"{_space(rng)}{json.dumps(k)}{_space(rng)}:{_space(rng)}"
                           f"{json.dumps(v, ensure_ascii=False)}{_space(rng)}"
                           for k, v in record.items()) + "}"
            for record in records
        ]  # fmt: skip
        text = _space(rng) + "[" + ",".join(_space(rng) + p + _space(rng) for p in parts) + "]"
        text += _space(rng)
    return (b"\xef\xbb\xbf" if rng.random() < 0.3 else b"") + text.encode()


@pytest.mark.parametrize("seed", range(12))
def test_random_arrays_are_read_by_duckdb_as_records_py_reads_them(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    read_whole: list[str],
    seed: int,
) -> None:
    rng = random.Random(seed)
    path = tmp_path / "cases.json"
    for _ in range(4):
        path.write_bytes(_file(rng, rng.randint(0, 40)))
        reported_alike(each(policies, capsys, str(path)))
    assert read_whole == []  # every file read by DuckDB's reader


# An item the typing refuses, among good ones: the run stops there (exit 2), the item named in
# the Python reader's words.
_BAD_ITEMS = [
    '{"id": "x", "missed_grant": "perhaps"}',
    '{"nope": 1}',
    '{"id": "x", "id": "y"}',
    "[1]",
    "3",
    '"text"',
    "null",
    '{"id": " "}',  # an id of white space alone
    '{"missed_grant": 1e400}',
    '{"a": ' + "[" * 3000 + "]" * 3000 + "}",  # nested past Python's limit
]


@pytest.mark.parametrize("bad", _BAD_ITEMS)
def test_a_bad_item_read_by_duckdb_is_refused_in_the_python_readers_words(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    read_whole: list[str],
    bad: str,
) -> None:
    rng = random.Random(bad)
    items = [json.dumps(random_fields(rng, n), ensure_ascii=False) for n in range(30)]
    items.insert(17, bad)
    path = tmp_path / "cases.json"
    path.write_bytes(("[\n" + ",\n".join(items) + "\n]\n").encode())
    runs = each(policies, capsys, str(path))
    assert runs["python"][0] == 2
    assert runs["duckdb"] == runs["python"]
    assert read_whole == []


# Files and how they are read: by DuckDB's JSON reader (True) or whole (False), and the exit
# code both engines give.
_WAYS = [
    ("empty_array", b"[]", 0, True),
    ("space_around", b' \r\n\t[ {"id": "a"} ,\n{"missed_grant": true}\t]\r\n ', 1, True),
    ("bom", b'\xef\xbb\xbf[{"missed_grant": true}]', 1, True),
    ("far_start", b"\n" * (3 << 20) + b'[{"missed_grant": true}]', 1, True),  # past a MiB
    # One object: one record, read whole.
    ("object", b'{"id": "a", "missed_grant": true}', 1, False),
    ("scalar", b"3", 2, False),
    ("empty", b"", 2, False),
    ("white_space", b" \n ", 2, False),
    # Two BOMs: the file's encoding drops one and jsontext.loads the other; the reader
    # refuses the second (in words holding a byte that is not UTF-8).
    ("two_boms", b'\xef\xbb\xbf\xef\xbb\xbf[{"missed_grant": true}]', 1, False),
    # A vertical tab or a form feed between items: white space to the reader, not to JSON.
    ("form_feed", b'[{"id": "a"},\x0c{"missed_grant": true}]', 2, False),
    ("vertical_tab", b'[{"id": "a"}\x0b]', 2, False),
    ("form_feed_in_a_string", b'[{"id": "a\x0c"}]', 2, False),
    # Faults in the array, which the reader refuses too: named whole, as json names them.
    ("no_comma", b'[{"id": "a"} {"id": "b"}]', 2, False),
    ("trailing_comma", b'[{"id": "a"},]', 2, False),
    ("not_closed", b'[{"id": "a"}', 2, False),
    ("extra", b'[{"id": "a"}] {}', 2, False),
    ("a_bom_before_an_item", b'[\xef\xbb\xbf{"id": "a"}]', 2, False),
    # A lone surrogate escape, which DuckDB holds in no string: read whole (docs/sql.md).
    ("lone_surrogate", b'[{"id": "a"}, {"id": "\\ud800"}]', 2, False),
    # Bytes that are not UTF-8, late in the file.
    ("not_utf8", b'[{"id": "a"}, {"id": "b"}, {"id": "c\xff"}]', 2, False),
    ("not_utf8_after_a_fail", b'[{"missed_grant": true}, {"id": "\xc3"}]', 2, False),
    # Long items, of JSON's white space: the reader takes one past its maximum_object_size
    # (made 2 MiB here, where DuckDB takes no less than 16 MiB) and refuses one past twice
    # that.
    ("long_item", b'[{"id": "a"' + b" " * (3 << 20) + b', "missed_grant": true}]', 1, True),
    ("longer_item", b'[{"id": "a"' + b" " * (33 << 20) + b', "missed_grant": true}]', 1, False),
]


@pytest.mark.parametrize(("name", "data", "code", "by_reader"), _WAYS)
def test_each_file_is_read_the_way_that_reads_it_as_records_py_does(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    read_whole: list[str],
    name: str,
    data: bytes,
    code: int,
    by_reader: bool,
) -> None:
    monkeypatch.setattr(sqlengine, "_READ_BUFFER", 2 << 20)
    path = tmp_path / f"{name}.json"
    read_the_way(lambda p: each(policies, capsys, str(p)), path, data, code, read_whole, by_reader)


def test_an_array_past_the_limit_of_a_document_read_whole_is_read(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    read_whole: list[str],
) -> None:
    # DuckDB reads a document whole into one value, which cannot pass 4 GiB; an array's items
    # are read one at a time, so that limit (made small here) is not its.
    path = tmp_path / "cases.json"
    path.write_text('[{"id": "a"}, {"id": "b", "missed_grant": true}]', encoding="utf-8")
    expected = each(policies, capsys, str(path))
    monkeypatch.setattr(sqlengine, "_MAX_TEXT", 10)
    assert each(policies, capsys, str(path)) == expected
    reported_alike(expected)
    assert read_whole == []


def _items(count: int, failing: set[int], bad: int | None = None) -> Iterator[str]:
    for n in range(count):
        if n == bad:
            yield '{"missed_grant": "perhaps"}'
        else:
            yield '{"missed_grant": %s}' % ("true" if n in failing else "false")


_MANY = 200_000


@pytest.mark.parametrize("threads", ["1", "2"])
def test_items_past_a_row_group_keep_their_places(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    read_whole: list[str],
    threads: str,
) -> None:
    # The reader's rows numbered by the order the table of them keeps, past a row group
    # (122,880) and on two threads: each record named by its place in the array.
    failing = {0, 122_879, 122_880, 199_998}
    path = tmp_path / "many.json"
    path.write_text("[" + ",\n".join(_items(_MANY, failing)) + "]")
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--threads", threads,
        "--policy", "taierzhuang", str(path),
    )  # fmt: skip
    assert (code, err) == (1, "")
    named = [line.split(": ")[0] for line in out.splitlines()[:_MANY]]
    assert named == [f"many.json#{n + 1}" for n in range(_MANY)]
    fails = [line.split(": ")[0] for line in out.splitlines() if " FAIL " in line]
    assert fails == [f"many.json#{n + 1}" for n in sorted(failing)]
    assert f"taierzhuang: {_MANY} record(s), {len(failing)} finding(s)" in out
    assert read_whole == []


def test_a_bad_item_past_a_row_group_is_named_by_its_place(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    read_whole: list[str],
) -> None:
    path = tmp_path / "many.json"
    path.write_text("[" + ",".join(_items(_MANY, set(), bad=150_000)) + "]")
    code, out, err = run(
        policies, capsys, "validate", "--engine", "duckdb", "--threads", "2",
        "--policy", "taierzhuang", str(path),
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert "record many.json#150001: field 'missed_grant'" in err
    assert read_whole == []


def test_a_bad_item_past_the_readers_default_size_is_named(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    read_whole: list[str],
) -> None:
    # An item of 40 MiB (JSON's white space), which the reader takes within twice its
    # maximum_object_size (32 MiB) and would refuse within twice its default (16 MiB): the
    # bad record's text is read again for its message with the size it was read with.
    path = tmp_path / "cases.json"
    padding = b" " * (40 << 20)
    path.write_bytes(b'[{"id": "a"}, {"missed_grant": "perhaps"' + padding + b"}]")
    runs = each(policies, capsys, str(path))
    assert runs["python"][0] == 2
    assert runs["duckdb"] == runs["python"]
    assert read_whole == []
