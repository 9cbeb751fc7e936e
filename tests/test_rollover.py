"""民法典 第二百零一条至第二百零四条 on time limits, and the length of a notice.

- A limit counted in days, months or years whose last day is a 法定休假日 — a statutory holiday
  or a weekend day that is not an adjusted working day — ends on the next working day
  (第二百零三条); a limit in workdays ends on a working day anyway, one in hours never moves.
- `no rollover "reason"` keeps the last day (第二百零四条: 法律另有规定…的除外); the checker wants
  the reason (E118) and a limit that could move at all (E117).
- `policyc due`, the validators' `due` and record checks use the moved date and say so.
- `inclusive_days(first, last)` counts both ends: a notice from 3/4 to 3/6 lasted 3 days.
"""

from __future__ import annotations

import importlib
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from compiler import ir
from compiler.backends.package import PACKAGE, package_files
from compiler.build import write_tree
from compiler.cli import main
from compiler.examples import examples_at
from compiler.interpret import info, rule_value
from compiler.lower import load_program
from compiler.policytests import run_all
from compiler.runtime.checks import check_record
from compiler.runtime.policy import Limit
from compiler.runtime.timelimits import load_calendar, roll_over
from compiler.runtime.values import coerce_all
from tests.test_language import project, statement
from tests.test_language_growth import _model

ROOT = Path(__file__).resolve().parent.parent
CAL = load_calendar()


def limit(amount: int, unit: str, **more: object) -> Limit:
    return Limit("l", "r", "第二条", "…", "l", amount, unit, **more)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the runtime


@pytest.mark.parametrize(
    ("amount", "unit", "start", "counted", "due"),
    [
        # 玉泉 第四条（二） 急难型 "3日内": the count reaches 10-01 (国庆, off 10-01..10-07).
        (3, "days", date(2024, 9, 28), date(2024, 10, 1), date(2024, 10, 8)),
        # 玉泉 第十五条 "3日内": 2025 Spring Festival off 01-28..02-04.
        (3, "days", date(2025, 1, 27), date(2025, 1, 30), date(2025, 2, 5)),
        # An ordinary Saturday is a day off: Monday.
        (3, "days", date(2024, 3, 6), date(2024, 3, 9), date(2024, 3, 11)),
        # Spring Festival 2024 off 02-10..02-17; Sunday 02-18 was worked (调休), so it is the day.
        (3, "days", date(2024, 2, 9), date(2024, 2, 12), date(2024, 2, 18)),
        # Sunday 09-29 was worked: a last day on it does not move.
        (3, "days", date(2024, 9, 26), date(2024, 9, 29), date(2024, 9, 29)),
        (3, "days", date(2024, 9, 23), date(2024, 9, 26), date(2024, 9, 26)),
        # Months and years are periods by 年、月 (第二百零一条, 第二百零二条) and move too.
        (1, "months", date(2024, 9, 1), date(2024, 10, 1), date(2024, 10, 8)),
        (1, "months", date(2024, 8, 31), date(2024, 9, 30), date(2024, 9, 30)),
        (1, "years", date(2023, 10, 1), date(2024, 10, 1), date(2024, 10, 8)),
        # Working days end on a working day: nothing to move.
        (12, "workdays", date(2024, 9, 27), date(2024, 10, 18), date(2024, 10, 18)),
        # A zero limit is the start itself, not a period.
        (0, "days", date(2024, 10, 1), date(2024, 10, 1), date(2024, 10, 1)),
    ],
)
def test_the_last_day_moves_off_a_day_off(
    amount: int, unit: str, start: date, counted: date, due: date
) -> None:
    reckoned = limit(amount, unit).reckon(start, CAL)
    assert (reckoned.counted, reckoned.day) == (counted, due)
    assert reckoned.moved is (counted != due)
    assert limit(amount, unit).due(start, CAL) == due
    if reckoned.moved:
        assert reckoned.explanation() == (
            f"moved from {counted.isoformat()}, a 法定休假日 on the official calendar, "
            "to the next working day per 民法典 第二百零三条"
        )
    else:
        assert reckoned.explanation() == ""


def test_hours_never_move() -> None:
    reckoned = limit(24, "hours").reckon(datetime(2024, 9, 30, 10, 0), CAL)
    assert reckoned.day == reckoned.counted == datetime(2024, 10, 1, 10, 0)
    assert not limit(24, "hours").rolls_over()


def test_no_rollover_keeps_the_last_day() -> None:
    kept = limit(3, "days", no_rollover="原文：节假日不顺延")
    assert not kept.rolls_over()
    reckoned = kept.reckon(date(2024, 9, 28), CAL)
    assert reckoned.day == reckoned.counted == date(2024, 10, 1)


def test_an_extension_in_days_moves_although_the_limit_counts_workdays() -> None:
    extendable = limit(5, "workdays", extend_amount=3, extend_unit="days")
    assert not extendable.rolls_over() and extendable.rolls_over(extended=True)
    assert extendable.due(date(2024, 9, 28), CAL, extended=True) == date(2024, 10, 8)


def test_roll_over_passes_over_an_excluded_period() -> None:
    # Saturday 03-09, Sunday 03-10 off; 03-11..03-12 a notice that does not count.
    notice = (date(2024, 3, 11), date(2024, 3, 12))
    assert roll_over(date(2024, 3, 9), CAL, excluded=[notice]) == date(2024, 3, 13)
    assert roll_over(date(2024, 3, 8), CAL, excluded=[notice]) == date(2024, 3, 8)
    excluding = limit(3, "days", excluding="public_notice")
    reckoned = excluding.reckon(date(2024, 3, 6), CAL, excluded=notice)
    assert (reckoned.counted, reckoned.day) == (date(2024, 3, 9), date(2024, 3, 13))


# ---------------------------------------------------------------- the language

KEEP = 'no rollover "原文：节假日不顺延"'


def test_no_rollover_parses() -> None:
    from compiler import nodes as n

    s = statement(f"deadline d at 一 {{ within 3 days {KEEP} }}")
    assert s.first(n.NoRollover) == n.NoRollover("原文：节假日不顺延", s.span)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        (
            f"deadline d at 第二条 {{ within 3 days from applied_date until applied_date {KEEP} }}",
            [],
        ),
        (f"deadline d at 第二条 {{ within 1 months {KEEP} }}", []),
        (f"deadline d at 第二条 {{ within 2 years {KEEP} }}", []),
        (
            f"deadline d at 第二条 {{ within 5 workdays extend to 10 days when concealed {KEEP} }}",
            [],
        ),
        (f'procedure p at 第二条 {{ within 3 days {KEEP} step s "s" {{ within 1 days }} }}', []),
        (f'procedure p at 第二条 {{ step s "s" {{ within 1 days {KEEP} }} }}', []),
        (f"duty d at 第二条 {{ actor township within 3 days {KEEP} }}", []),
        (f"deadline d at 第二条 {{ within 5 workdays {KEEP} }}", ["E117"]),
        (f"deadline d at 第二条 {{ within 24 hours {KEEP} }}", ["E117"]),
        (f"duty d at 第二条 {{ actor township {KEEP} }}", ["E117"]),
        (f'procedure p at 第二条 {{ {KEEP} step s "s" {{ within 1 days }} }}', ["E117"]),
        ('deadline d at 第二条 { within 3 days no rollover "" }', ["E118"]),
        (f"deadline d at 第二条 {{ within 3 days {KEEP} {KEEP} }}", ["E112"]),
        # As with a stray `extend` (E110, E114): out of place, and nothing beside it to keep.
        (f"situation s at 第二条 {{ when concealed {KEEP} }}", ["E110", "E117"]),
    ],
)
def test_check_no_rollover(tmp_path: Path, text: str, codes: list[str]) -> None:
    found, diagnostics = project(tmp_path, text + "\n")
    assert found == codes, [d.render() for d in diagnostics]


SOURCE = (
    f"deadline kept at 第二条 {{ within 3 days from applied_date until decided_date {KEEP} }}\n"
    "deadline moved at 第二条 { within 3 days from applied_date until decided_date }\n"
    'fact decided_date: date "决定之日"\n'
)


def test_no_rollover_is_lowered_shown_and_run_by_policy_tests(tmp_path: Path) -> None:
    program, policy = _model(
        tmp_path,
        SOURCE + 'tests x { case c "国庆" { due kept from 2024-09-28 is 2024-10-01 '
        "due moved from 2024-09-28 is 2024-10-08 } }\n",
    )
    limits = {lim.name: lim for lim in policy.limits}
    assert limits["kept"].no_rollover == "原文：节假日不顺延"
    assert limits["moved"].no_rollover is None
    text = ir.format_program(program)
    assert 'no rollover "原文：节假日不顺延"' in text
    assert [r.failures for r in run_all(program, CAL)] == [()]


def test_policyc_due_says_when_a_date_moves_and_why_one_does_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _model(tmp_path, SOURCE)
    code = main(["--root", str(tmp_path), "due", "x", "第二条", "--start", "2024-09-28"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines() == [
        "kept [第二条] 3 days from 2024-09-28: 2024-10-01 "
        "(not moved off a 法定休假日: 原文：节假日不顺延)",
        "moved [第二条] 3 days from 2024-09-28: 2024-10-08 (moved from 2024-10-01, a 法定休假日 "
        "on the official calendar, to the next working day per 民法典 第二百零三条)",
    ]
    main(["--root", str(tmp_path), "due", "x", "第二条", "--start", "2024-09-28", "--json"])
    entries = {e["limit"]: e for e in json.loads(capsys.readouterr().out)["limits"]}
    assert entries["kept"]["no_rollover"] == "原文：节假日不顺延"
    assert "counted" not in entries["kept"] and "note" not in entries["kept"]
    assert entries["moved"]["counted"] == "2024-10-01" and entries["moved"]["due"] == "2024-10-08"


def test_generated_validators_keep_and_move_as_the_interpreter(tmp_path: Path) -> None:
    program, policy = _model(tmp_path / "p", SOURCE)
    target = tmp_path / "build"
    write_tree(target, package_files(program))
    sys.path.insert(0, str(target))
    try:
        module = importlib.import_module(f"{PACKAGE}.x")
        assert module.due("kept", date(2024, 9, 28)) == date(2024, 10, 1)
        assert module.due("moved", date(2024, 9, 28)) == date(2024, 10, 8)
        record = {"applied_date": "2024-09-28", "decided_date": "2024-10-08"}
        compiled = [c.to_json() for c in module.check_record(record)]
        tables = info(program, policy)
        facts = coerce_all(tables.facts, record)
        assert compiled == [c.to_json() for c in check_record(tables, facts, CAL)]
        status = {c["rule"]: c["status"] for c in compiled}
        assert status == {"kept": "fail", "moved": "pass"}
    finally:
        sys.path.remove(str(target))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


# ---------------------------------------------------------------- record checks on the policies


PROGRAM = load_program(ROOT)


def _checks(policy_id: str, record: dict[str, object]) -> dict[str, tuple[str, str]]:
    tables = info(PROGRAM, PROGRAM.policies[policy_id])
    facts = coerce_all(tables.facts, record)
    return {c.rule: (c.status, c.message) for c in check_record(tables, facts, CAL)}


def test_a_record_check_uses_the_moved_due_date() -> None:
    # 玉泉 第四条（二）: accepted 2024-09-28, the third day 10-01 falls in 国庆; approved 10-08.
    record = {
        "yuquan_programme": "temporary_emergency",
        "yuquan_application_accepted_date": "2024-09-28",
        "yuquan_approval_completed_date": "2024-10-08",
    }
    status, message = _checks("yuquan", record)["yuquan_emergency_approval"]
    assert status == "pass"
    assert "due 2024-10-08" in message and "moved from 2024-10-01" in message
    late = {**record, "yuquan_approval_completed_date": "2024-10-09"}
    assert _checks("yuquan", late)["yuquan_emergency_approval"][0] == "fail"


# ---------------------------------------------------------------- the length of a notice


def test_inclusive_days_counts_both_ends(tmp_path: Path) -> None:
    program, policy = _model(
        tmp_path,
        'fact notice_end: date "公示结束"\n'
        "requirement r at 第二条 { require inclusive_days(applied_date, notice_end) >= 3 }\n",
    )
    rule = policy.rules[0]

    def notice(first: str, last: str) -> object:
        facts = {"applied_date": date.fromisoformat(first), "notice_end": date.fromisoformat(last)}
        return rule_value(program, rule, facts)

    assert notice("2024-03-04", "2024-03-06") is True
    assert notice("2024-03-04", "2024-03-07") is True
    assert notice("2024-03-04", "2024-03-05") is False
    # The example solver inverts it: an example of the requirement met exists and is checked.
    (example,) = examples_at(program, policy, "第二条").examples
    assert example.found and example.facts is not None
    assert rule_value(program, rule, example.facts) is True


def test_inclusive_days_takes_two_dates(tmp_path: Path) -> None:
    good, _ = project(
        tmp_path / "a",
        "requirement r at 第二条 { require inclusive_days(applied_date, applied_date) >= 1 }\n",
    )
    bad, _ = project(
        tmp_path / "b",
        "requirement r at 第二条 { require inclusive_days(applied_date, household_size) >= 1 }\n",
    )
    one, _ = project(
        tmp_path / "c", "requirement r at 第二条 { require inclusive_days(applied_date) >= 1 }\n"
    )
    assert (good, bad, one) == ([], ["E202"], ["E202"])


def test_the_runtime_counts_a_notice_and_a_date_time_as_its_day() -> None:
    from compiler.runtime.logic import call

    assert call("inclusive_days", date(2024, 3, 4), date(2024, 3, 6)) == Decimal(3)
    assert call("inclusive_days", date(2024, 3, 4), date(2024, 3, 4)) == Decimal(1)
    assert call("inclusive_days", date(2024, 3, 6), date(2024, 3, 4)) == Decimal(-1)
    assert call("inclusive_days", datetime(2024, 3, 4, 23), date(2024, 3, 6)) == Decimal(3)
