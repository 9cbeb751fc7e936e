"""Case records in (compiler/runtime/records.py): JSON, JSONL and CSV, typed by the policy's
facts; malformed records named with their field; and the JSON Schema of a policy's records."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from compiler.interpret import info
from compiler.lower import load_program
from compiler.runtime.policy import PolicyInfo
from compiler.runtime.records import Record, RecordError, read_records, record_schema
from compiler.runtime.values import Duration, FactSpec

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "cases"

SPECS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec("approved", "bool", "已审批"),
        FactSpec("staff", "int", "工作人员人数"),
        FactSpec("amount", "money", "救助金额"),
        FactSpec("share", "ratio", "比例"),
        FactSpec("application_date", "date", "申请日期"),
        FactSpec("term", "duration", "期限"),
        FactSpec("programme", "enum", "救助项目", members=("dibao", "tekun")),
        FactSpec("remark", "text", "备注"),
        FactSpec("serious_impact", "bool", "造成恶劣影响", judgment=True),
    )
}


def write(tmp_path: Path, name: str, text: str, *, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def error_of(path: Path, specs: dict[str, FactSpec] = SPECS) -> str:
    with pytest.raises(RecordError) as caught:
        read_records(path, specs)
    return str(caught.value)


@pytest.fixture(scope="module")
def taierzhuang() -> PolicyInfo:
    program = load_program(ROOT)
    return info(program, program.policies["taierzhuang"])


# ---------------------------------------------------------------- formats


def test_json_object_is_one_record(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "one.json",
        json.dumps(
            {
                "id": "C-1",
                "approved": True,
                "staff": 5,
                "amount": 1234.5,
                "share": "15%",
                "application_date": "2024-09-27",
                "term": "3 months",
                "programme": "dibao",
                "remark": "入户调查",
                "serious_impact": False,
            },
            ensure_ascii=False,
        ),
    )
    [record] = read_records(path, SPECS)
    assert record == Record(
        "C-1",
        {
            "approved": True,
            "staff": Decimal(5),
            "amount": Decimal("1234.5"),
            "share": Decimal("0.15"),
            "application_date": date(2024, 9, 27),
            "term": Duration(3, "months"),
            "programme": "dibao",
            "remark": "入户调查",
            "serious_impact": False,
        },
    )


def test_json_array_records_are_named_by_position_without_id(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "many.json",
        json.dumps([{"staff": 1}, {"id": 42, "staff": 2}, {"staff": None, "approved": False}]),
    )
    records = read_records(path, SPECS)
    assert [r.id for r in records] == ["many.json#1", "42", "many.json#3"]
    assert records[0].facts == {"staff": Decimal(1)}
    # JSON null is a fact not given, the same as leaving it out.
    assert records[2].facts == {"approved": False}


def test_json_with_bom_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.json", '{"id": "B", "approved": true}', bom=True)
    assert read_records(path, SPECS) == [Record("B", {"approved": True})]


def test_json_array_item_that_is_not_an_object_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "mixed.json", '[{"staff": 1}, [1, 2]]')
    message = error_of(path)
    assert "mixed.json#2" in message
    assert "JSON object" in message and "list" in message


def test_jsonl_skips_blank_lines_and_names_records_by_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cases.jsonl",
        '{"staff": 3}\n\n   \n{"id": "J-2", "approved": true}\n{"programme": "tekun"}\n\n',
    )
    records = read_records(path, SPECS)
    assert [r.id for r in records] == ["cases.jsonl:1", "J-2", "cases.jsonl:5"]
    assert [r.facts for r in records] == [
        {"staff": Decimal(3)},
        {"approved": True},
        {"programme": "tekun"},
    ]


def test_ndjson_is_jsonl(tmp_path: Path) -> None:
    path = write(tmp_path, "cases.NDJSON", '{"staff": 3}\n{"staff": 4}\n')
    assert [r.facts["staff"] for r in read_records(path, SPECS)] == [Decimal(3), Decimal(4)]


def test_jsonl_line_separator_inside_a_string_is_not_a_line_break(tmp_path: Path) -> None:
    # U+2028 and U+0085 are legal raw inside JSON strings (json.dumps(ensure_ascii=False)
    # writes them so); only \n ends a JSONL record, and line numbers count only \n.
    text = '{"id": "L-1", "remark": "第一行\u2028第二行"}\n{"remark": "a\x85b"}\n'
    path = write(tmp_path, "sep.jsonl", text)
    records = read_records(path, SPECS)
    assert [r.facts["remark"] for r in records] == ["第一行\u2028第二行", "a\x85b"]
    assert records[1].id == "sep.jsonl:2"
    bad = write(tmp_path, "sep_bad.jsonl", text + '{"staff": "x"}\n')
    assert error_of(bad).startswith("record sep_bad.jsonl:3: field 'staff'")


def test_jsonl_and_csv_with_crlf_line_ends(tmp_path: Path) -> None:
    jsonl = write(tmp_path, "win.jsonl", '{"staff": 1}\r\n\r\n{"staff": "x"}\r\n')
    assert error_of(jsonl).startswith("record win.jsonl:3: field 'staff'")
    csv_path = write(tmp_path, "win.csv", "id,approved\r\nW-1,true\r\nW-2,false\r\n")
    assert read_records(csv_path, SPECS) == [
        Record("W-1", {"approved": True}),
        Record("W-2", {"approved": False}),
    ]


CSV_TEXT = (
    "id,approved,staff,amount,application_date,programme,remark\n"
    "C-1,true,5,100.50,2024-09-27,dibao,说明\n"
    ",FALSE,,,,,\n"
    "C-3, True ,12,,,tekun,\n"
)


@pytest.mark.parametrize("bom", [False, True], ids=["plain", "bom"])
def test_csv_with_and_without_bom(tmp_path: Path, bom: bool) -> None:
    path = write(tmp_path, "cases.csv", CSV_TEXT, bom=bom)
    records = read_records(path, SPECS)
    assert records == [
        Record(
            "C-1",
            {
                "approved": True,
                "staff": Decimal(5),
                "amount": Decimal("100.50"),
                "application_date": date(2024, 9, 27),
                "programme": "dibao",
                "remark": "说明",
            },
        ),
        # Empty cells are facts not given (never false, never zero); an empty id names the
        # record by its line.
        Record("cases.csv:3", {"approved": False}),
        Record("C-3", {"approved": True, "staff": Decimal(12), "programme": "tekun"}),
    ]


def test_csv_short_row_is_an_error_not_cells_left_empty(tmp_path: Path) -> None:
    # A lost cell is not an empty one: an empty cell is written as `,,`.
    path = write(tmp_path, "short.csv", "id,approved,staff\nS-1,true\n")
    message = error_of(path)
    assert "short.csv:2" in message and "fewer cells" in message
    path = write(tmp_path, "empty.csv", "id,approved,staff\nS-1,true,\n")
    assert read_records(path, SPECS) == [Record("S-1", {"approved": True})]


def test_csv_row_with_more_cells_than_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "wide.csv", "id,approved\nW-1,true\nW-2,false,extra\n")
    message = error_of(path)
    assert "wide.csv:3" in message and "more cells" in message


def test_csv_bool_cell_that_is_not_true_or_false(tmp_path: Path) -> None:
    path = write(tmp_path, "bools.csv", "id,approved\nB-1,yes\n")
    message = error_of(path)
    assert "record B-1" in message and "'approved'" in message and '"yes"' in message


def test_sample_csv_with_bom_equals_the_same_file_without(
    tmp_path: Path, taierzhuang: PolicyInfo
) -> None:
    sample = CASES / "taierzhuang_findings.csv"
    raw = sample.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "the sample is meant to carry a BOM"
    plain = tmp_path / "taierzhuang_findings.csv"
    plain.write_bytes(raw[3:])
    with_bom = read_records(sample, taierzhuang.facts)
    assert with_bom == read_records(plain, taierzhuang.facts)
    assert [r.id for r in with_bom] == ["TEZ-2024-101", "TEZ-2024-102"]
    assert with_bom[0].facts["taierzhuang_case_programme"] == "dibao"
    assert with_bom[0].facts["taierzhuang_approval_date"] == date(2024, 10, 25)
    assert "taierzhuang_township_population" not in with_bom[0].facts  # empty cell
    assert with_bom[1].facts == {
        "taierzhuang_township_population": Decimal(62000),
        "taierzhuang_fulltime_staff": Decimal(5),
        "taierzhuang_village_assistants": Decimal(3),
    }


def test_sample_jsonl_is_read(taierzhuang: PolicyInfo) -> None:
    records = read_records(CASES / "taierzhuang_valid.jsonl", taierzhuang.facts)
    assert [r.id for r in records] == ["TEZ-2024-001", "TEZ-2024-002"]
    assert records[0].facts["objection_raised"] is False
    assert records[0].facts["taierzhuang_approved_by_township"] is True


@pytest.mark.parametrize("name", ["cases.txt", "cases.xlsx", "cases"])
def test_unknown_extension(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, '{"staff": 1}')
    message = error_of(path)
    assert "unknown format" in message
    assert ".json" in message and ".jsonl" in message and ".csv" in message


def test_missing_file(tmp_path: Path) -> None:
    message = error_of(tmp_path / "absent.json")
    assert "absent.json" in message and "cannot read" in message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("id,remark\nG-1,说明\n".encode("gbk"))
    message = error_of(path)
    assert "gbk.csv" in message and "not UTF-8" in message


# ---------------------------------------------------------------- malformed records


def test_malformed_sample_names_the_record_and_the_field(taierzhuang: PolicyInfo) -> None:
    message = error_of(CASES / "taierzhuang_malformed.json", dict(taierzhuang.facts))
    assert "record TEZ-2024-202" in message
    assert "'taierzhuang_application_date'" in message
    assert "YYYY-MM-DD" in message and "27/09/2024" in message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("approved", "maybe", "true or false"),
        ("approved", 1, "true or false"),
        ("staff", 2.5, "an int"),
        ("staff", "five", "an int"),
        ("staff", True, "an int"),
        ("amount", "¥100", "a money"),
        ("application_date", "2024-02-30", "YYYY-MM-DD"),
        ("application_date", "20240927", "YYYY-MM-DD"),
        ("term", "three months", "duration"),
        ("programme", "dibaoo", "dibao, tekun"),
        ("remark", 7, "text"),
    ],
)
def test_wrong_value_names_record_and_field(
    tmp_path: Path, field: str, value: object, expected: str
) -> None:
    path = write(tmp_path, "bad.json", json.dumps([{"staff": 1}, {field: value}]))
    message = error_of(path)
    assert message.startswith("record bad.json#2: field "), message
    assert f"'{field}'" in message and expected in message


def test_wrong_value_in_jsonl_named_by_id_else_line(tmp_path: Path) -> None:
    by_line = write(tmp_path, "a.jsonl", '{"staff": 1}\n\n{"staff": "x"}\n')
    assert error_of(by_line).startswith("record a.jsonl:3: field 'staff'")
    by_id = write(tmp_path, "b.jsonl", '{"staff": 1}\n{"id": "K-9", "staff": "x"}\n')
    assert error_of(by_id).startswith("record K-9: field 'staff'")


def test_wrong_value_in_csv_named_by_line(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "staff,application_date\n3,2024-09-27\n4,27/09/2024\n")
    message = error_of(path)
    assert message.startswith("record c.csv:3: field 'application_date'"), message


def test_misspelt_field_gets_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "typo.jsonl", '{"id": "T-1", "aplication_date": "2024-09-27"}\n')
    message = error_of(path)
    assert "record T-1" in message
    assert "unknown field 'aplication_date'" in message
    assert "did you mean 'application_date'?" in message


def test_unknown_field_without_a_near_name_has_no_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "odd.csv", "id,zzzzqqq\nO-1,1\n")
    message = error_of(path)
    assert "record O-1: unknown field 'zzzzqqq'" in message
    assert "did you mean" not in message


def test_misspelt_policy_field_in_csv(tmp_path: Path, taierzhuang: PolicyInfo) -> None:
    path = write(tmp_path, "t.csv", "id,taierzhuang_aplication_date\nX-1,2024-09-27\n")
    message = error_of(path, dict(taierzhuang.facts))
    assert "record X-1: unknown field 'taierzhuang_aplication_date'" in message
    assert "did you mean 'taierzhuang_application_date'?" in message


@pytest.mark.parametrize("bad_id", [[1], {"a": 1}, 1.5])
def test_id_must_be_a_string_or_a_number(tmp_path: Path, bad_id: object) -> None:
    path = write(tmp_path, "ids.json", json.dumps({"id": bad_id, "staff": 1}))
    message = error_of(path)
    assert "ids.json#1" in message and "'id'" in message


@pytest.mark.parametrize(
    ("name", "text", "origin", "why"),
    [
        ("e.jsonl", '{"staff": 1}\n{"id": "", "staff": 2}\n', "e.jsonl:2", "empty"),
        ("e.json", '[{"id": "A"}, {"id": " \\u3000\\t", "staff": 2}]', "e.json#2", "blank"),
        ("e.csv", "id,staff\nA,1\n  ,2\n", "e.csv:3", "blank"),
    ],
    ids=["jsonl", "json", "csv"],
)
def test_an_empty_id_is_refused_naming_the_place(
    tmp_path: Path, name: str, text: str, origin: str, why: str
) -> None:
    # An id that names nothing would begin every report line with ": "; the place in the
    # file says which record, and that the id is what to fix.
    message = error_of(write(tmp_path, name, text))
    assert message.startswith(f"record {origin}: field 'id' is {why}")


def test_an_empty_csv_id_cell_is_an_id_not_given(tmp_path: Path) -> None:
    # In CSV every empty cell is a value not given (JSON's null): the record is named by line.
    path = write(tmp_path, "ids.csv", "id,staff\n,1\nB,2\n")
    assert [r.id for r in read_records(path, SPECS)] == ["ids.csv:2", "B"]


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.json", '[\n  {"staff": 1},\n  {"staff": 2,}\n]\n')
    message = error_of(path)
    assert f"{path}:3:" in message and "not valid JSON" in message


def test_invalid_jsonl_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.jsonl", '{"staff": 1}\n\n{"staff": 2\n')
    message = error_of(path)
    assert message.startswith(f"{path}:3:12: not valid JSON"), message  # line 3, column 12


def test_jsonl_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, "scalars.jsonl", '{"staff": 1}\n"just text"\n')
    message = error_of(path)
    assert "scalars.jsonl:2" in message and "str" in message


def test_first_malformed_record_stops_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "two.json", json.dumps([{"staff": "x"}, {"bogus": 1}]))
    message = error_of(path)
    assert "two.json#1" in message and "bogus" not in message


# ---------------------------------------------------------------- the JSON Schema


def test_record_schema_structure() -> None:
    schema = record_schema("demo", "示例办法", SPECS)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:policyc:demo:record"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert "示例办法" in str(schema["title"])
    properties: dict[str, Any] = schema["properties"]  # type: ignore[assignment]
    assert set(properties) == set(SPECS) | {"id"}
    for name, spec in SPECS.items():
        prop = properties[name]
        assert prop["description"].startswith(spec.label)
        assert {"type": "null"} in prop["anyOf"], name  # null: the fact is not given
    assert "需人工判断" in properties["serious_impact"]["description"]
    assert properties["programme"]["anyOf"][0] == {"enum": ["dibao", "tekun"]}
    assert properties["approved"]["anyOf"][0] == {"type": "boolean"}
    assert properties["application_date"]["anyOf"][0]["format"] == "date"


def test_record_schema_of_a_policy_lists_every_fact(taierzhuang: PolicyInfo) -> None:
    schema = record_schema(taierzhuang.id, taierzhuang.title, taierzhuang.facts)
    properties: dict[str, Any] = schema["properties"]  # type: ignore[assignment]
    assert set(properties) == set(taierzhuang.facts) | {"id"}
    programme = taierzhuang.facts["taierzhuang_case_programme"]
    assert programme.type == "enum" and programme.members
    assert properties[programme.name]["anyOf"][0] == {"enum": list(programme.members)}
    json.dumps(schema, ensure_ascii=False)  # plain JSON


# ---------------------------------------------------------------- schema and runtime agree


def _validator(info: PolicyInfo) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = record_schema(info.id, info.title, info.facts)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _json_records(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    document = json.loads(text)
    return document if isinstance(document, list) else [document]


def test_schema_accepts_the_valid_sample_records(taierzhuang: PolicyInfo) -> None:
    validator = _validator(taierzhuang)
    for raw in _json_records(CASES / "taierzhuang_valid.jsonl"):
        assert list(validator.iter_errors(raw)) == [], raw


def test_schema_rejects_what_the_runtime_rejects(tmp_path: Path, taierzhuang: PolicyInfo) -> None:
    validator = _validator(taierzhuang)
    good, bad = _json_records(CASES / "taierzhuang_malformed.json")
    assert validator.is_valid(good)
    assert not validator.is_valid(bad)  # the wrong date pattern
    errors = list(validator.iter_errors(bad))
    assert any("taierzhuang_application_date" in list(e.absolute_path) for e in errors)
    wrong = [
        {"taierzhuang_aplication_date": "2024-09-27"},  # an unknown field
        {"taierzhuang_application_date": "2024-02-30"},  # no such day
        {"taierzhuang_case_programme": "dibaoo"},  # not a member
        {"taierzhuang_fulltime_staff": 2.5},
        {"taierzhuang_fulltime_staff": "five"},
        {"objection_raised": "maybe"},
        {"id": ""},
        {"id": " \t"},
    ]
    for index, raw in enumerate(wrong):
        assert not validator.is_valid(raw), raw
        path = write(tmp_path, f"wrong{index}.json", json.dumps(raw))
        with pytest.raises(RecordError):
            read_records(path, taierzhuang.facts)


def test_schema_and_runtime_accept_the_same_typed_spellings(
    tmp_path: Path, taierzhuang: PolicyInfo
) -> None:
    validator = _validator(taierzhuang)
    accepted = [
        {"id": 7, "taierzhuang_fulltime_staff": "5"},
        {"taierzhuang_fulltime_staff": 5, "taierzhuang_case_programme": None},
        {"taierzhuang_application_date": "2024-02-29", "objection_raised": True},
    ]
    for index, raw in enumerate(accepted):
        assert validator.is_valid(raw), raw
        path = write(tmp_path, f"ok{index}.json", json.dumps(raw))
        assert len(read_records(path, taierzhuang.facts)) == 1


def test_csv_duplicate_column_is_an_error(tmp_path: Path) -> None:
    # csv.DictReader alone would keep the last of the two cells and drop the first silently.
    path = write(tmp_path, "dup.csv", "id,approved,staff,approved\nD-1,true,3,false\n")
    message = error_of(path)
    assert "dup.csv:1" in message and "approved" in message and "twice" in message
    assert "staff" not in message
