"""Several input files, a problem in more than one: both engines of `validate` name the first
problem in the order the files were given, as the standard-library engine reads them.  The
DuckDB engine stages every file before it looks for a bad record, and named a file it could not
stage (a CSV row with a cell too many, JSON that does not parse, a byte that is not UTF-8)
before a bad record of an earlier file."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.runtime.policy import PolicyInfo
from tests.engines import each, refused_alike

# A record the policy refuses for its shape, as the second record of the first file.
_BAD_RECORD = '{"id": "a", "missed_grant": true}\n{"id": "b", "nope": 1}\n'

# A second file neither engine can read as records, and the words both engines use for it.
_BROKEN = [
    ("more.csv", b"id,missed_grant\nc,true,1\n", "record more.csv:2: more cells than the header "
     "has columns"),
    ("fewer.csv", b"id,missed_grant\nc,true\nd\n", "record fewer.csv:3: fewer cells than the "
     "header has columns"),
    ("quote.csv", b'id,missed_grant\nc,"true\n', "{path}:2: not valid CSV, in the record "
     "starting here: unexpected end of data"),
    ("twice.csv", b"id,id\nc,d\n", "{path}:1: the column id appears twice in the header"),
    ("bytes.csv", b"id,missed_grant\nc,tr\xffue\n", "{path}: not UTF-8 (byte 20)"),
    ("comma.json", b'[{"id": "c"},]', "{path}:1:14: not valid JSON: Expecting value"),
    ("bytes.json", b'[{"id": "c\xff"}]', "{path}: not UTF-8 (byte 10)"),
    ("bytes.jsonl", b'{"id": "c"}\n{"id": "d\xff"}\n', "{path}: not UTF-8 (byte 21)"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "message"), _BROKEN, ids=[b[0] for b in _BROKEN])
def test_a_bad_record_of_the_first_file_is_named_before_a_broken_second_file(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    data: bytes,
    message: str,
) -> None:
    first = tmp_path / "first.jsonl"
    first.write_text(_BAD_RECORD, encoding="utf-8")
    broken = tmp_path / name
    broken.write_bytes(data)
    refused_alike(each(policies, capsys, str(first), str(broken)), "record b: unknown field 'nope'")
    # The other way round, the broken file is the first problem: named by both, as before.
    refused_alike(each(policies, capsys, str(broken), str(first)), message.format(path=broken))


def test_a_broken_file_is_named_after_good_files_before_it(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Earlier files without a bad record: the broken one is named, whatever comes after it.
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": "a", "missed_grant": true}\n', encoding="utf-8")
    also = tmp_path / "also.csv"
    also.write_text("id,missed_grant\nb,false\n", encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"id,missed_grant\nc,true,1\n")
    later = tmp_path / "later.jsonl"
    later.write_text(_BAD_RECORD, encoding="utf-8")
    runs = each(policies, capsys, *map(str, (good, also, broken, later)))
    refused_alike(runs, "record broken.csv:2: more cells than the header has columns")


def test_the_first_of_two_broken_files_is_named(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    one = tmp_path / "one.json"
    one.write_bytes(b'[{"id": "c"},]')
    two = tmp_path / "two.csv"
    two.write_bytes(b"id,missed_grant\nc,true,1\n")
    refused_alike(
        each(policies, capsys, str(one), str(two)), f"{one}:1:14: not valid JSON: Expecting value"
    )
