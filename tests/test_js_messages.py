"""The JavaScript port says what the Python runtime says when it refuses something: a long value
is cut to its first 80 characters and its length (values.cut / _shown, the rule of every
message), a duration in a unit that does not convert exactly is named as such
(logic._duration_key), a date past 9999-12-31 is a FactError naming the sum (logic._shift), a
time zone is quoted as Python quotes it, and the due calculator's `--start` is cut likewise
(runtime/cli.parse_start).  Each case runs through node and through Python and the messages are
compared as they are."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from compiler.backends import js_due
from compiler.backends.javascript import RUNTIME_DIR
from compiler.runtime import cli as runtime_cli
from compiler.runtime.logic import arith, compare
from compiler.runtime.timelimits import load_calendar
from compiler.runtime.values import SHOWN_MAX, Duration, FactError, FactSpec, coerce, coerce_all
from tests.nodejs import NODE, needs_node

ROOT = Path(__file__).resolve().parent.parent
pytestmark = needs_node

RUNNER = r"""
import { readFileSync } from "node:fs";
import * as logic from "./logic.js";
import { parseStart } from "./due.js";

const day = (text) => new logic.Day(...text.split("-").map(Number));
const duration = ([amount, unit]) => new logic.Duration(amount, unit);
const ops = {
  coerce: (spec, raw) => { logic.coerce(spec, raw); },
  coerceAll: (specs, raw) => { logic.coerceAll(specs, raw); },
  compare: (op, a, b) => { logic.compare(op, duration(a), duration(b)); },
  shift: (op, start, d) => logic.arith(op, day(start), duration(d)).iso(),
  start: (text) => { parseStart(text); },
};
const requests = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(requests.map(([op, ...args]) => {
  try {
    return { ok: ops[op](...args) ?? null };
  } catch (error) {
    return { error: `${error.constructor.name}: ${error.message}` };
  }
})));
"""


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("js_messages")
    for name in ("logic.js",):
        shutil.copyfile(RUNTIME_DIR / name, root / name)
    shutil.copyfile(ROOT / "site_templates" / "assets" / "policyc" / "due.js", root / "due.js")
    (root / "calendar.js").write_text(js_due.calendar_module(load_calendar()), encoding="utf-8")
    (root / "package.json").write_text('{"type": "module"}\n', encoding="utf-8")
    (root / "runner.js").write_text(RUNNER, encoding="utf-8")
    return root


def node(assets: Path, requests: list[list[Any]]) -> list[dict[str, Any]]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(assets / "runner.js")],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=assets,
    )
    assert done.returncode == 0, done.stderr
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    return answers


def python(op: str, *args: Any) -> dict[str, Any]:
    try:
        match op:
            case "coerce":
                spec, raw = args
                members = tuple(spec.get("members", ()))
                coerce(FactSpec(spec["name"], spec["type"], "", members), raw)
                return {"ok": None}
            case "coerceAll":
                specs, raw = args
                coerce_all({k: FactSpec(k, v["type"], "") for k, v in specs.items()}, raw)
                return {"ok": None}
            case "compare":
                operator, a, b = args
                compare(operator, Duration(*a), Duration(*b))
                return {"ok": None}
            case "shift":
                operator, start, d = args
                shifted = arith(operator, date.fromisoformat(start), Duration(*d))
                assert isinstance(shifted, date)
                return {"ok": shifted.isoformat()}
            case "start":
                runtime_cli.parse_start(args[0])
                return {"ok": None}
            case _:
                raise AssertionError(op)
    except FactError as error:
        return {"error": f"FactError: {error}"}
    except runtime_cli.InputError as error:
        return {"error": f"InputError: {error}"}


LONG = "x" * 1_234_567
# Values a message quotes: around the 80-character edge, counted in characters (code points:
# an emoji is one character, two UTF-16 units), with escapes that JSON adds, lists and objects
# written with Python's separators, a lone surrogate, and one long enough for a thousands
# separator in its length.
REFUSED: list[object] = [
    "a" * (SHOWN_MAX - 2),  # 80 characters with its quotes: shown whole
    "a" * (SHOWN_MAX - 1),  # 81: cut
    "é" * 200,
    "😀" * 100,
    "😀" * 39,  # 78 code points with the quotes, 80 UTF-16 units: whole in both
    "😀" * 40,  # 82 code points: cut after the 79th emoji
    'a\nb\t"c\\' * 30,
    "\x01\x1f\x7f\u2028" * 30,
    "\ud800" * 100,
    "9" * 300,
    LONG,
    [1, 2, [3, "四"]] * 20,
    {"a": 1, "b": [True, None, "c"]},
    [],
    {},
    True,
    None,
    -17,
    1.5,
    "",
]
SPECS: list[dict[str, Any]] = [
    {"name": "b", "type": "bool"},
    {"name": "i", "type": "int"},
    {"name": "m", "type": "money"},
    {"name": "r", "type": "ratio"},
    {"name": "d", "type": "date"},
    {"name": "t", "type": "datetime"},
    {"name": "u", "type": "duration"},
    {"name": "e", "type": "enum", "members": ["yes", "no"]},
    {"name": "x", "type": "text"},
]


def _agree(assets: Path, requests: list[list[Any]]) -> None:
    got = node(assets, requests)
    expected = [python(*request) for request in requests]
    disagree = [
        (request[0], request[-1] if len(json.dumps(request[-1])) < 200 else "(long)", e, g)
        for request, e, g in zip(requests, expected, got, strict=True)
        if e != g
    ]
    assert not disagree, "\n".join(map(repr, disagree[:10]))


def test_refused_values_are_cut_as_python_cuts_them(assets: Path) -> None:
    requests = [
        ["coerce", spec, raw]
        for spec in SPECS
        for raw in REFUSED
        # Text takes every string.
        if not (spec["type"] == "text" and isinstance(raw, str))
    ]
    _agree(assets, requests)
    # The long ones are cut, never repeated whole.
    answers = node(assets, [["coerce", {"name": "d", "type": "date"}, LONG]])
    assert answers[0]["error"].endswith("… (1,234,569 characters)")
    assert len(answers[0]["error"]) < 200


def test_an_unknown_fact_is_named_by_its_cut_name(assets: Path) -> None:
    _agree(assets, [["coerceAll", {}, {name: 1}] for name in ("q" * 300, "😀" * 81, "z")])


def test_a_time_zone_is_quoted_as_python_quotes_it(assets: Path) -> None:
    spec = {"name": "t", "type": "datetime"}
    zones = ("2024-01-01T08:00+09:00", "2024-01-01T08:00Z")
    _agree(assets, [["coerce", spec, raw] for raw in zones])


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ((3650, "days"), (10, "years")),
        ((10, "years"), (3650, "days")),
        ((5, "workdays"), (7, "days")),
        ((7, "days"), (5, "workdays")),
        ((2, "months"), (24, "hours")),
        ((24, "hours"), (1, "months")),
        ((3, "workdays"), (3, "hours")),
        ((12, "months"), (1, "years")),  # these convert: no message
        ((48, "hours"), (2, "days")),
    ],
)
def test_a_unit_mismatch_is_named_as_python_names_it(
    assets: Path, left: tuple[int, str], right: tuple[int, str]
) -> None:
    _agree(assets, [["compare", op, list(left), list(right)] for op in (">=", "==", "<")])


def test_a_date_past_the_calendar_of_dates_is_a_fact_error(assets: Path) -> None:
    _agree(
        assets,
        [
            ["shift", "+", "9999-12-31", [1, unit]]
            for unit in ("days", "months", "years", "workdays", "hours")
        ]
        + [["shift", "-", "0001-01-01", [1, unit]] for unit in ("days", "months", "years")]
        + [["shift", "+", "9999-11-30", [1, "months"]], ["shift", "+", "2024-02-29", [1, "years"]]],
    )


def test_the_due_start_is_cut_as_python_cuts_it(assets: Path) -> None:
    starts = ["2024-13-01", "2024-01-01" + "x" * 200, "😀" * 100, "2024-01-01T08:00+09:00", ""]
    _agree(assets, [["start", text] for text in starts])
