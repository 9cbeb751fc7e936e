"""The two engines of `validate` on bad input, as CI sees them: the same exit code and the same
words on stderr from the standard-library engine and from `--engine duckdb` for a file that is
missing, a directory or unreadable; a `--calendar` file that is not UTF-8; an `id` or a field's
name with a lone surrogate (refused by both); a number too long to read; a BOM starting a
later line (files joined with `cat`); an empty CSV file; a CSV column with no name in the
header; an integer id past 64 bits; a null id
(tests/test_schema_agreement.py: the records' JSON Schema takes the ids the runtime takes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from compiler.runtime import sqlengine
from compiler.runtime.policy import PolicyInfo
from compiler.runtime.records import RecordError, typed
from tests.engines import (
    ENGINES,
    PROG,
    WEEKENDS_ONLY_2031,
    each,
    refused_alike,
    reported_alike,
    run,
)

# ---------------------------------------------------------------- 1. files that cannot be read


@pytest.mark.parametrize("name", ["missing.jsonl", "missing.json", "missing.csv"])
def test_a_missing_file_in_the_same_words(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    # The DuckDB engine said "cannot read: no such file", the Python one the system's words.
    path = tmp_path / name
    refused_alike(
        each(policies, capsys, str(path)), f"{path}: cannot read: No such file or directory"
    )


def test_a_directory_in_the_same_words(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The DuckDB engine called a directory "no such file".
    path = tmp_path / "cases.jsonl"
    path.mkdir()
    refused_alike(each(policies, capsys, str(path)), f"{path}: cannot read: Is a directory")


def test_an_unreadable_file_in_the_same_words(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # chmod 000 does not stop root (CI's containers): the opening fails as it would.
    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": "a"}\n', encoding="utf-8")
    opened = Path.open

    def refusing(self: Path, *args: object, **kwargs: object) -> object:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return opened(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", refusing)
    refused_alike(each(policies, capsys, str(path)), f"{path}: cannot read: Permission denied")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a file of mode 000"
)
def test_a_file_of_mode_000_in_the_same_words(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("id\na\n", encoding="utf-8")
    path.chmod(0)
    try:
        runs = each(policies, capsys, str(path))
    finally:
        path.chmod(0o644)
    refused_alike(runs, f"{path}: cannot read: Permission denied")


def test_the_first_file_that_cannot_be_read_is_named(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": "a"}\n', encoding="utf-8")
    missing = tmp_path / "gone.csv"
    runs = each(policies, capsys, str(good), str(missing))
    refused_alike(runs, f"{missing}: cannot read: No such file or directory")


# ---------------------------------------------------------------- 2. a --calendar file


def test_a_calendar_not_utf8_names_the_file_and_the_byte(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Was Python's "'utf-8' codec can't decode byte 0xff in position 13: invalid start byte".
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "a"}\n', encoding="utf-8")
    calendar = tmp_path / "cn_2031.json"
    calendar.write_bytes(b'{"source": "x\xff"}')
    message = f"calendar data file {calendar}: not UTF-8 (byte 13)"
    refused_alike(each(policies, capsys, str(cases), "--calendar", str(calendar)), message)
    due = ["due", "--policy", "taierzhuang", "二（三）", "--start", "2024-09-27"]
    assert run(policies, capsys, *due, "--calendar", str(calendar)) == (
        2,
        "",
        f"{PROG}: {message}\n",
    )
    # After a byte-order mark, the offset is counted from the text, as in case records.
    calendar.write_bytes(b'\xef\xbb\xbf{"source": "x\xff"}')
    refused_alike(each(policies, capsys, str(cases), "--calendar", str(calendar)), message)


def test_a_calendar_with_a_bom_is_read_as_case_records_are(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Notepad writes one; case records and --facts take it; the calendar said "not valid JSON".
    record = {
        "taierzhuang_application_date": "2031-01-06",
        "taierzhuang_approval_date": "2031-01-22",
    }
    cases = tmp_path / "late.jsonl"
    cases.write_text(json.dumps(record) + "\n", encoding="utf-8")
    plain, marked = tmp_path / "plain.json", tmp_path / "marked.json"
    plain.write_text(json.dumps(WEEKENDS_ONLY_2031), encoding="utf-8")
    marked.write_text(json.dumps(WEEKENDS_ONLY_2031), encoding="utf-8-sig")
    for engine in ENGINES:
        argv = ["validate", "--engine", engine, "--policy", "taierzhuang", str(cases)]
        wanted = run(policies, capsys, *argv, "--calendar", str(plain))
        assert wanted[0] in (0, 1) and wanted[2] == ""
        assert run(policies, capsys, *argv, "--calendar", str(marked)) == wanted, engine


def test_a_missing_calendar_in_the_words_of_a_missing_file(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Was "cannot read it: [Errno 2] No such file or directory: '…'", the path twice.
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "a"}\n', encoding="utf-8")
    calendar = tmp_path / "nope.json"
    message = f"calendar data file {calendar}: cannot read it: No such file or directory"
    refused_alike(each(policies, capsys, str(cases), "--calendar", str(calendar)), message)


# ---------------------------------------------------------------- 3. a lone surrogate


_LONE = (
    "field 'id' holds a lone surrogate, \\ud800 at character 2: half of a character, most "
    "likely cut in two by the export, which no UTF-8 report or table can carry; give the "
    "record's id whole"
)


@pytest.mark.parametrize(
    ("name", "text", "origin"),
    [
        ("cases.jsonl", '{"id": "A"}\n{"id": "a\\ud800", "missed_grant": true}\n', "cases.jsonl:2"),
        ("cases.json", '[{"id": "A"}, {"id": "a\\ud800", "missed_grant": true}]', "cases.json#2"),
        ("cases.jsonl", '{"id": "a\\ud800\\ud800\\udc00"}\n', "cases.jsonl:1"),
    ],
)
def test_an_id_with_a_lone_surrogate_is_refused_by_both(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    text: str,
    origin: str,
) -> None:
    # The standard-library engine took it (and wrote `a\ud800` for it in a text report), the
    # DuckDB one refused the file: "DuckDB cannot read it as records".
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    refused_alike(each(policies, capsys, str(path)), f"record {origin}: {_LONE}")


def _lone_in_a_name(field: str, code: str, at: int) -> str:
    return (
        f"field '{field}' holds a lone surrogate in its name, {code} at character {at}: half "
        "of a character, most likely cut in two by the export, which no UTF-8 report or table "
        "can carry; give the field's name whole"
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        # A field no policy declares, given null: the standard-library engine skipped it and
        # took the record, the DuckDB one refused the record ("DuckDB cannot read its JSON").
        (
            "cases.jsonl",
            '{"id": "A"}\n{"id": "a", "\\ud800x": null, "missed_grant": true}\n',
            "record a: " + _lone_in_a_name("\\ud800x", "\\ud800", 1),
        ),
        # In a JSON document the DuckDB engine refused the whole file, naming no record.
        (
            "cases.json",
            '[{"id": "A"}, {"missed_grant": true, "x\\udc00": null}]',
            "record cases.json#2: " + _lone_in_a_name("x\\udc00", "\\udc00", 2),
        ),
        # With a value: both refused it as an unknown field, the half character in the message.
        (
            "cases.jsonl",
            '{"id": "a", "\\ud800x": 1}\n',
            "record a: " + _lone_in_a_name("\\ud800x", "\\ud800", 1),
        ),
    ],
)
def test_a_field_name_with_a_lone_surrogate_is_refused_by_both(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    text: str,
    message: str,
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    refused_alike(each(policies, capsys, str(path)), message)


def test_a_surrogate_pair_is_one_character_and_taken(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": "\\ud840\\udc00", "missed_grant": true}\n', encoding="utf-8")
    runs = each(policies, capsys, str(path))
    for code, out, err in runs.values():
        assert (code, err) == (1, "")
        assert "\U00020000: FAIL township_full_coverage" in out


def test_a_text_fact_with_a_lone_surrogate_is_refused() -> None:
    """No policy has a text fact in its records yet: the reader, on its own."""
    from compiler.runtime.values import FactSpec

    specs = {"remark": FactSpec("remark", "text", "备注")}
    assert typed("c.jsonl:1", {"remark": "ok \U00020000"}, specs).facts == {
        "remark": "ok \U00020000"
    }
    with pytest.raises(RecordError) as raised:
        typed("c.jsonl:1", {"id": "k", "remark": "\udc00x"}, specs)
    assert str(raised.value) == (
        "record k: field 'remark' holds a lone surrogate, \\udc00 at character 1: half of a "
        "character, most likely cut in two by the export, which no UTF-8 report or table can "
        "carry; give the text whole"
    )


# ---------------------------------------------------------------- 4. a null id


def test_a_null_id_is_an_id_not_given_in_both_engines(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": null, "missed_grant": true}\n', encoding="utf-8")
    for code, out, err in each(policies, capsys, str(path)).values():
        assert (code, err) == (1, "")
        assert "cases.jsonl:1: FAIL township_full_coverage" in out


# ---------------------------------------------------------------- closely related


@pytest.mark.parametrize(
    ("field", "origin"),
    [("id", "cases.jsonl:1"), ("taierzhuang_fulltime_staff", "cases.jsonl:1")],
)
def test_a_number_too_long_to_read_is_bad_input_not_a_crash(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    field: str,
    origin: str,
) -> None:
    # Python reads no integer of more than 4,300 digits: a ValueError, exit 3 in both engines.
    path = tmp_path / "cases.jsonl"
    path.write_text(f'{{"{field}": {"9" * 5000}}}\n', encoding="utf-8")
    message = f"{path}:1: not valid JSON: an integer of more than 4,300 digits"
    refused_alike(each(policies, capsys, str(path)), message)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        # `cat a.jsonl b.jsonl`, each from a tool that writes a BOM.
        ("joined.jsonl", b'{"id": "a", "missed_grant": true}\n\xef\xbb\xbf{"id": "b"}\n'),
        ("twice.jsonl", b'\xef\xbb\xbf\xef\xbb\xbf{"id": "a", "missed_grant": true}\n'),
        ("twice.json", b'\xef\xbb\xbf\xef\xbb\xbf[{"id": "a", "missed_grant": true}]'),
    ],
)
def test_a_bom_python_takes_duckdb_takes(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    data: bytes,
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    runs = each(policies, capsys, str(path))
    reported_alike(runs)
    assert runs["python"][0] == 1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("cases.jsonl", b'{"id": "a"}\n{"id": "b\xff"}\n', "{path}: not UTF-8 (byte 21)"),
        ("cases.json", b'[{"id": "a\xff"}]', "{path}: not UTF-8 (byte 10)"),
        ("cases.jsonl", '{"id": "a"}\n'.encode("utf-16"), "{path}: not UTF-8 (byte 0)"),
        # A bad record before the bad byte is named first, as the Python reader reads it.
        (
            "cases.jsonl",
            b'{"nope": 1}\n{"id": "b\xff"}\n',
            "record cases.jsonl:1: unknown field 'nope'",
        ),
    ],
)
def test_json_not_utf8_is_named_by_its_byte_in_both(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    data: bytes,
    message: str,
) -> None:
    # DuckDB said "DuckDB: Invalid Input Error: read_text: could not read content of file …".
    path = tmp_path / name
    path.write_bytes(data)
    refused_alike(each(policies, capsys, str(path)), message.format(path=path))


def test_a_line_of_a_bom_alone_is_refused_alike(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Not a blank line (a BOM is no white space): no JSON, in the Python reader's words.
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b'{"id": "a"}\n\xef\xbb\xbf\n')
    refused_alike(each(policies, capsys, str(path)), f"{path}:2:1: not valid JSON: Expecting value")


def test_an_empty_csv_file_is_no_records_in_both(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The DuckDB engine said "DuckDB cannot read it as records".
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    runs = each(policies, capsys, str(path))
    assert runs["duckdb"] == runs["python"]
    assert runs["python"][0] == 0 and "0 record(s), 0 finding(s)" in runs["python"][1]


# A header cell left empty: spreadsheets end each row with a comma.  The DuckDB engine named its
# columns by the header, could not name one '', and refused the file whole ("DuckDB cannot read
# it as records") where the standard-library engine read every record.
NAMELESS_COLUMNS = [
    ("trailing comma", b"id,weihai_legal_gap,\na,true,\n", None),
    ("trailing comma, CRLF", b"id,weihai_legal_gap,\r\na,true,\r\n", None),
    ("nameless first", b",weihai_legal_gap\n,true\n", None),
    ("blank lines", b"weihai_legal_gap,\n\ntrue,\n\n", None),
    ("a record over lines", b'id,weihai_legal_gap,\n"a\nb",true,\n', None),
    ("nameless, filled", b"id,,weihai_legal_gap\na,x,true\n", "record a: unknown field ''"),
    # Several (a spreadsheet's empty columns at the end), each read by its place: two were
    # refused as "the column with no name appears twice", and a value in the first of them was
    # not seen by a dict of the row's cells.
    ("two nameless", b"id,,,weihai_legal_gap\na,,,true\n", None),
    (
        "two nameless, the first filled",
        b"id,,,weihai_legal_gap\na,y,,true\n",
        "record a: unknown field ''",
    ),
    (
        "two nameless, the last filled",
        b"id,,,weihai_legal_gap\na,,y,true\n",
        "record a: unknown field ''",
    ),
]


@pytest.mark.parametrize(
    ("data", "refused"), [c[1:] for c in NAMELESS_COLUMNS], ids=[c[0] for c in NAMELESS_COLUMNS]
)
def test_a_column_with_no_name_is_read_alike(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    data: bytes,
    refused: str | None,
) -> None:
    path = tmp_path / "cases.csv"
    path.write_bytes(data)
    runs = each(policies, capsys, str(path), policy="weihai")
    if refused is not None:
        refused_alike(runs, refused.format(path=path))
    else:
        reported_alike(runs)
        assert runs["python"][0] == 0 and "1 record(s)" in runs["python"][1]


@pytest.mark.parametrize("name", ["cases.jsonl", "cases.json"])
def test_an_integer_id_past_64_bits_is_taken_by_both(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    # DuckDB types such a JSON number DOUBLE: "a value the SQL engine cannot type".
    big = 123456789012345678901234567890
    records = [{"id": big, "missed_grant": True}, {"id": -big, "missed_grant": True}]
    path = tmp_path / name
    text = "".join(json.dumps(r) + "\n" for r in records)
    path.write_text(text if name.endswith(".jsonl") else json.dumps(records), encoding="utf-8")
    runs = each(policies, capsys, str(path))
    for code, out, err in runs.values():
        assert (code, err) == (1, "")
        assert f"{big}: FAIL township_full_coverage" in out
        assert f"-{big}: FAIL township_full_coverage" in out
    # A number with a fraction or an exponent is no id, in either engine.
    path.write_text('{"id": 1e30}\n{"id": 2.5}\n', encoding="utf-8")
    path = path.rename(path.with_suffix(".jsonl"))
    runs = each(policies, capsys, str(path))
    assert runs["duckdb"] == runs["python"]
    assert runs["python"][0] == 2


# A key given twice, found by the DuckDB engine by counting (the known keys given, by their
# paths; the others, by their names) where it listed every record's keys without repeats:
# each way a repeat can hide from a count.
@pytest.mark.parametrize(
    "record",
    [
        '{"missed_grant": null, "missed_grant": true}',
        '{"missed_grant": null, "missed_grant": null}',
        '{"id": "a", "\\u0069d": "b"}',
        '{"nope": null, "nope": null}',
        '{"nope": 1, "nope": 2}',
        '{"nope": null, "missed_grant": true, "missed_grant": true}',
        '{"nope": null, "other": null, "nope": null}',
    ],
)
@pytest.mark.parametrize("name", ["cases.jsonl", "cases.json"])
def test_a_key_given_twice_is_refused_alike(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    record: str,
    name: str,
) -> None:
    first = '{"id": "ok", "missed_grant": true}'
    path = tmp_path / name
    text = f"{first}\n{record}\n" if name.endswith(".jsonl") else f"[{first}, {record}]"
    path.write_text(text, encoding="utf-8")
    runs = each(policies, capsys, str(path))
    assert runs["duckdb"] == runs["python"]
    code, out, err = runs["python"]
    assert (code, out) == (2, "") and "is given twice in one object" in err


def test_keys_once_nulls_and_blank_lines_are_taken_alike(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Unknown keys with null, known ones with null, and lines of white space alone as
    # str.strip sees it (skipped, but counted in the line numbers).
    lines = [
        '{"nope": null, "other": null, "id": "a", "missed_grant": null}',
        " \t\r",
        "\u3000\x0b\x1f\u2029",
        '{"missed_grant": true, "nope": null}',
        "\x85",
        '{"id": null, "missed_grant": true}',
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    runs = each(policies, capsys, str(path))
    reported_alike(runs)
    assert runs["duckdb"][1].splitlines()[:2] == [
        "cases.jsonl:4: FAIL township_full_coverage [taierzhuang 一（三）]",
        "cases.jsonl:6: FAIL township_full_coverage [taierzhuang 一（三）]",
    ]
    assert "taierzhuang: 3 record(s), 2 finding(s)" in runs["duckdb"][1]


def test_record_names_that_would_forge_lines_are_escaped_alike(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The DuckDB engine makes its report's lines in DuckDB, the name before each: a record
    # whose lines hold a newline in its name, an escape sequence or a bidi control is made
    # again in Python, escaped as the standard-library engine escapes it, on every line of
    # the record; the rows are fetched two at a time, and every record is still reported.
    monkeypatch.setattr(sqlengine, "_FETCH", 2)
    names = ["A\x00B", "C\x1b[2K\rD", "E\nTAIER-9: decision applies", "F\uffffG", "J\u202eK"]
    names += ["plain", "also plain"]
    records = [{"id": name, "missed_grant": True} for name in names]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    runs = each(policies, capsys, str(path))
    reported_alike(runs)
    assert runs["python"][0] == 1 and len(runs["duckdb"][1].splitlines()) > len(names)
    assert "E\\x0aTAIER-9: decision applies: FAIL township_full_coverage" in runs["duckdb"][1]
    assert not any(c in runs["duckdb"][1] for c in "\x00\x1b\r\uffff\u202e")


# The DuckDB engine takes a valid JSON text for an object when its first character past
# JSON's white space is `{`: every other JSON value is refused, in the Python reader's words.
@pytest.mark.parametrize(
    "line", [" [1]", '\t"{}"', " 1", "null", " \r true", '["{"]', "NaN", '{"nope": 1}']
)
def test_a_line_that_is_no_object_of_known_keys_is_refused_alike(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path, line: str
) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(f' \t{{"id": "a", "missed_grant": true}}\n{line}\n', encoding="utf-8")
    runs = each(policies, capsys, str(path))
    assert runs["duckdb"] == runs["python"]
    code, out, err = runs["python"]
    assert (code, out) == (2, "") and "cases.jsonl:2" in err
