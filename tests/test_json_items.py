"""A JSON document read an item at a time (runtime/jsontext.py `items`, runtime/records.py
`_texts`): an array is never held whole, and yet its items, and the fault of a file that is
not JSON, are `loads`' of the whole text, in the same words and at the same line and column,
wherever the chunks it is read in are cut; the items before a fault come first."""

from __future__ import annotations

import io
import json
import random
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler.runtime import jsontext, records
from compiler.runtime.jsontext import JSONInputError
from compiler.runtime.values import FactSpec

Outcome = tuple[list[object], tuple[str, int, int] | None]


def _whole(text: str) -> Outcome:
    """What `loads` of the whole text gives: the items of an array, any other document as
    one; or the fault.  Where json says not where (a repeated key, an integer too long,
    nesting too deep), an array's fault is at the start of the item that holds it."""
    try:
        document = jsontext.loads(text)
    except JSONInputError as error:
        line, column = error.line, error.column
        if not line and text.lstrip("\ufeff").lstrip(" \t\n\r").startswith("["):
            line, column = _failing_item(text.removeprefix("\ufeff"))
        return [], (error.message, line, column)
    return (document if isinstance(document, list) else [document]), None


def _failing_item(text: str) -> tuple[int, int]:
    """The line and column of the first item of the array `text` that does not decode."""
    decoder = json.JSONDecoder(object_pairs_hook=lambda pairs: dict(_once(pairs)))
    pos = text.index("[") + 1
    while True:
        pos = len(text) - len(text[pos:].lstrip(" \t\n\r"))
        try:
            _, pos = decoder.raw_decode(text, pos)
        except (RecursionError, ValueError):
            line = text.count("\n", 0, pos) + 1
            return line, pos - (text.rfind("\n", 0, pos) + 1) + 1
        pos = len(text) - len(text[pos:].lstrip(" \t\n\r")) + 1  # past the comma


def _once(pairs: list[tuple[str, object]]) -> list[tuple[str, object]]:
    if len({key for key, _ in pairs}) != len(pairs):
        raise ValueError("a key twice")
    return pairs


def _streamed(chunks: list[str]) -> Outcome:
    """What `items` gives of the chunks: the items handed out, and the fault after them."""
    got: list[object] = []
    try:
        for item in jsontext.items(chunks):
            got.append(item)
    except JSONInputError as error:
        return got, (error.message, error.line, error.column)
    return got, None


def _cut(rng: random.Random, text: str) -> list[str]:
    """`text` in chunks of random lengths, one character among them, empty ones too."""
    chunks: list[str] = []
    at = 0
    while at < len(text):
        size = rng.choice([1, 1, 2, 3, 5, 8, 17, 64, 1000])
        chunks.append(text[at : at + size])
        at += size
        if rng.random() < 0.05:
            chunks.append("")
    return chunks


def _value(rng: random.Random, depth: int = 0) -> object:
    if depth > 3 or rng.random() < 0.3:
        return rng.choice(
            [0, -1, 12345678901234567890, 1.5, 1e300, -2.5e-7, True, False, None, "",
             'a"b\\c', "中文\u2028", "\U0001f600", "x" * 40]
        )  # fmt: skip
    if rng.random() < 0.5:
        return {
            f"{rng.choice('abcdefg')}{i}": _value(rng, depth + 1) for i in range(rng.randint(0, 4))
        }
    return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def _document(rng: random.Random) -> str:
    """An array (mostly) or another document, in one of json's layouts, with white space and
    a BOM around it or not; half of them broken: a character taken out, one put in (of
    those that make JSON's faults), or the text cut short."""
    document = (
        [_value(rng) for _ in range(rng.randint(0, 6))] if rng.random() < 0.85 else _value(rng)
    )
    text = json.dumps(document, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 0, 1, 2]))
    if rng.random() < 0.3:
        text = (
            rng.choice(["", " ", "\n", "\ufeff", "\t\r\n"]) + text + rng.choice(["", " ", "\r\n"])
        )
    if rng.random() < 0.5:
        for _ in range(rng.randint(1, 2)):
            at = rng.randrange(len(text) + 1)
            roll = rng.random()
            if roll < 0.4:
                text = text[:at] + text[at + 1 :]
            elif roll < 0.8:
                text = text[:at] + rng.choice(list(',:[]{}"\\ 1x\n\ufeffe-.')) + text[at:]
            else:
                text = text[:at]
    return text


@pytest.mark.parametrize("seed", range(8))
def test_random_documents_in_random_chunks_read_as_the_whole_text(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(400):
        text = _document(rng)
        items, fault = _whole(text)
        got, got_fault = _streamed(_cut(rng, text))
        assert got_fault == fault, text
        if fault is None:
            assert json.dumps(got) == json.dumps(items), text  # NaN-safe, order kept
        else:
            # The items before the fault were handed out first, the same however it is cut.
            assert json.dumps(got) == json.dumps(_streamed([text])[0]), text


# Documents, each read in chunks of every size from 1 to its length: faults at chunk edges,
# and values a chunk can cut where the cut still parses (`1` of `1.5`, `0` of `0e1`).
_DOCUMENTS = [
    "[1.5e3, -0.25, 7]",
    '["a", 0e1, 10]',
    '["a"e5, 1]',  # a fault that would go on a number: said as after a string
    '[{"a": 1}.5]',
    "[true, false, null, -Infinity, NaN]",
    '["\\ud83d\\ude00\\u4e2d", "' + "x" * 50 + '\\"", {"k": "\\\\"}]',
    '[{"a": 1}, {"b": 2}, {"a": 1, "a": 2}]',  # a key twice, in the third item
    "[1, 2,]",
    "[1 2]",
    "[1, 2",
    "[1, 2] x",
    "[1, 2]\n\n  ]",
    "[",
    "",
    "  \n ",
    '{"a": [1, 2]}',
    "\ufeff[1]",
    "\ufeff\ufeff[1]",
    "[\ufeff1]",
    "[1, " + "[" * 5000 + "]" * 5000 + "]",
    "[1, " + "9" * 5000 + "]",
    '[{"a": "tab\there"}]',
    '["unterminated',
    "[\n  1,\n  2,\n  x\n]",
]


@pytest.mark.parametrize("text", _DOCUMENTS)
def test_a_document_in_chunks_of_every_size_reads_as_the_whole_text(text: str) -> None:
    items, fault = _whole(text)
    for size in range(1, max(len(text), 1) + 1):
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        got, got_fault = _streamed(chunks)
        assert got_fault == fault, size
        if fault is None:
            assert json.dumps(got) == json.dumps(items), size


def test_the_items_before_a_fault_come_first() -> None:
    got, fault = _streamed(['[{"a": 1},\n {"b": 2},\n', " x]"])
    assert got == [{"a": 1}, {"b": 2}]
    assert fault == ("Expecting value", 3, 2)


def _bytes_read(data: bytes, size: int) -> tuple[str, str | None]:
    """The text `_texts` decodes of `data` in chunks of `size` bytes, and its error."""
    pieces: list[str] = []
    try:
        for text in records._texts(Path("cases.json"), io.BytesIO(data)):
            pieces.append(text)
    except records.RecordError as error:
        return "".join(pieces), str(error)
    return "".join(pieces), None


@pytest.mark.parametrize("seed", range(4))
def test_bytes_are_decoded_and_refused_as_the_whole_file_is(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A chunk ends before a character cut in two; a bad byte is named by its offset past the
    # BOM, as when the whole file is decoded (utf-8-sig), whatever the chunks.
    rng = random.Random(seed)
    for _ in range(300):
        text = "".join(
            rng.choices(["a", "中", "\U0001f600", "é", "\ufeff", "\n"], k=rng.randint(0, 12))
        )
        data = text.encode()
        if rng.random() < 0.4:
            data = b"\xef\xbb\xbf" + data
        if rng.random() < 0.6:
            at = rng.randrange(len(data) + 1)
            bad = rng.choice(
                [b"\xff", b"\xe4\xb8", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]
            )
            data = data[:at] + bad + data[at:]
        try:
            expected: tuple[str, str | None] = (data.decode("utf-8-sig"), None)
        except UnicodeDecodeError as error:
            expected = ("", f"cases.json: not UTF-8 (byte {error.start})")
        for size in (1, 2, 3, 4, 5, 64):
            monkeypatch.setattr(records, "_CHUNK", size)
            text_read, said = _bytes_read(data, size)
            assert said == expected[1], (data, size)
            if said is None:
                assert text_read == expected[0], (data, size)


def _array(count: int) -> Iterator[bytes]:
    yield b"["
    for number in range(count):
        yield b"," if number else b""
        yield json.dumps({"id": f"案{number}", "missed_grant": number % 2 == 0}).encode()
    yield b"]"


def _peak(path: Path) -> int:
    """The most memory Python held while `iter_records` read `path`'s records."""
    specs = {"missed_grant": FactSpec("missed_grant", "bool", "missed grant")}
    tracemalloc.start()
    try:
        for _ in records.iter_records(path, specs):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_array_is_not_held_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The reader holds the item it reads and the chunk it is in (made 64 KiB here, of bytes,
    # and their text), not the document: 4 times the records take no more memory (0.33 MB
    # each time).  Read whole, 10,000 records (0.4 MB) took 3.2 MB, and 40,000 took 12.9 MB.
    monkeypatch.setattr(records, "_CHUNK", 1 << 16)
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    small.write_bytes(b"".join(_array(10_000)))
    large.write_bytes(b"".join(_array(40_000)))
    assert _peak(large) < _peak(small) * 1.25 + (64 << 10)
    assert _peak(large) < 1 << 20
