"""The runtime and the records' JSON Schema accept exactly the same values (issue 12).

An agency validates its exports against `schemas/<id>.schema.json` before running the
validators; a value one accepts and the other refuses is a record that passes one gate and
fails the next, or worse, is read as something else (Decimal() takes "1_000", "+17", " 17" and
full-width "１７"; "²".isdigit() is true).  Each case is run through both.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from compiler.runtime.records import RecordError, record_schema, typed
from compiler.runtime.values import TYPES, FactError, FactSpec
from tests.nodejs import NODE, needs_node

JS_LOGIC = Path(__file__).resolve().parents[1] / "compiler" / "backends" / "js" / "logic.js"

# Values written in records, by type: some that should pass, many that should not.
CASES: dict[str, list[object]] = {
    "int": [
        17,
        17.0,
        "17",
        "-3",
        "0",
        1e1,
        "1e1",
        "1_000",
        "+17",
        " 17",
        "17 ",
        "１７",
        "١٧",
        "17.0",
        "17.5",
        17.5,
        "",
        "-",
        True,
        None,
        "0x11",
    ],
    "money": [
        5000,
        12.5,
        "5000",
        "12.50",
        "-12.5",
        "1e3",
        "1_000",
        "+5",
        " 5",
        "５",
        ".5",
        "5.",
        "5,000",
        "¥5000",
        "NaN",
        "Infinity",
        "",
        False,
    ],
    "ratio": [0.3, "0.3", "30%", "30 %", " 30%", "%", "30%%", "+30%", "３０%", "1e-1", "-5%"],
    "date": [
        "2024-09-27",
        "2024-02-30",
        "20240927",
        "2024-W39-5",
        "２０２４-09-27",
        "2024-09-27 ",
        "2024-9-27",
        20240927,
    ],
    "duration": [
        "3 months",
        "3  months",
        " 3 months",
        "3 months ",
        "² years",
        "３ days",
        "3 weeks",
        "3months",
        "12 workdays",
        "0 days",
        "1234567 days",
        "-1 days",
    ],
}


def _spec(kind: str) -> FactSpec:
    return FactSpec("x", kind, "x")


@pytest.mark.parametrize(
    ("kind", "raw"),
    [(kind, raw) for kind, values in CASES.items() for raw in values],
    ids=lambda v: ascii(v)[:20],
)
def test_runtime_accepts_exactly_what_the_schema_accepts(kind: str, raw: object) -> None:
    spec = _spec(kind)
    value_type = TYPES[kind]
    try:
        value_type.parse(spec, raw)
        runtime = True
    except FactError:
        runtime = False
    validator = jsonschema.Draft202012Validator(
        value_type.schema(spec), format_checker=jsonschema.FormatChecker()
    )
    schema = validator.is_valid(raw)
    assert runtime == schema, f"runtime {'accepts' if runtime else 'refuses'} {raw!r}"


def test_csv_cells_are_stripped_before_parsing_numbers() -> None:
    # A spreadsheet pads cells; the CSV reader strips them, JSON strings are taken as written.
    for kind in ("int", "money", "ratio"):
        cell = TYPES[kind].from_text(" 17 ")
        assert TYPES[kind].parse(_spec(kind), cell) == 17


@needs_node
def test_the_site_questionnaire_accepts_exactly_what_the_runtime_accepts(tmp_path: Path) -> None:
    # The questionnaire's port of the value types (compiler/backends/js/logic.js) reads the
    # same texts the same way.
    (tmp_path / "package.json").write_text('{"type": "module"}\n', encoding="utf-8")
    shutil.copy(JS_LOGIC, tmp_path / "logic.js")
    cases = [[kind, raw] for kind, values in CASES.items() for raw in values]
    script = (
        'import { coerce } from "./logic.js";\n'
        f"const cases = {json.dumps(cases)};\n"
        "const out = cases.map(([type, raw]) => {\n"
        '  try { coerce({ name: "x", type, members: [] }, raw); return true; }\n'
        "  catch (error) { return false; }\n"
        "});\n"
        "process.stdout.write(JSON.stringify(out));\n"
    )
    (tmp_path / "run.js").write_text(script, encoding="utf-8")
    done = subprocess.run(
        [NODE, "run.js"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    javascript = json.loads(done.stdout)
    for (kind, raw), accepted in zip(cases, javascript, strict=True):
        try:
            TYPES[kind].parse(_spec(kind), raw)
            python = True
        except FactError:
            python = False
        assert accepted == python, f"{kind} {raw!r}: JS {accepted}, Python {python}"


# Record ids: what an export may write in the `id` field.
IDS: list[object] = [
    "A",
    "TEZ-2024-202",
    " a ",
    "\U00020000",  # one character outside the BMP, a surrogate pair in JSON's escapes
    17,
    0,
    -3,
    10**30,
    None,  # the id not given: the record is named by its place (the schema said no)
    "",
    " ",
    "\u3000",
    "a\ud800",  # a lone surrogate: half a character
    "\udc00",
    True,
    False,
    1.5,
    [],
    {},
    ["A"],
]


@pytest.mark.parametrize("record_id", IDS, ids=ascii)
def test_runtime_takes_exactly_the_ids_the_schema_takes(record_id: object) -> None:
    # 1.0 is left out: JSON Schema cannot tell it from 1 and takes it; the runtime refuses it.
    record = {"id": record_id}
    try:
        typed("cases.jsonl:1", record, {})
        runtime = True
    except RecordError:
        runtime = False
    validator = jsonschema.Draft202012Validator(record_schema("p", "t", {}))
    assert validator.is_valid(record) == runtime, f"runtime {'takes' if runtime else 'refuses'}"
