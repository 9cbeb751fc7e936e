"""The `datetime` value type and limits counted in hours (issue 9, "Hours").

A date-time is a local time in China; a datetime fact given a date alone stands for the whole
day.  A 24-hour check then passes when even the worst case is within the limit, fails when even
the best case exceeds it, and is otherwise `undetermined`, naming the facts whose time of day is
missing."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.runtime.checks import check_record
from compiler.runtime.policy import Limit, PolicyInfo
from compiler.runtime.timelimits import load_calendar
from compiler.runtime.values import (
    TYPES,
    FactError,
    FactSpec,
    coerce,
    parse_datetime,
    to_json,
)
from tests.test_language import parse, project
from tests.test_validate_cli import run

CAL = load_calendar()
SPEC = FactSpec("found", "datetime", "发现之时")


# ---------------------------------------------------------------- the value type


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2024-03-01T09:30", datetime(2024, 3, 1, 9, 30)),
        ("2024-03-01T09:30:15", datetime(2024, 3, 1, 9, 30, 15)),
        ("2024-03-01 09:30", datetime(2024, 3, 1, 9, 30)),  # as spreadsheets write it
        ("2024-03-01T09:30+08:00", datetime(2024, 3, 1, 9, 30)),
        ("2024-03-01T09:30:00+0800", datetime(2024, 3, 1, 9, 30)),
        ("2024-03-01", date(2024, 3, 1)),  # the day only: the time of day unknown
    ],
)
def test_datetime_values_accepted(text: str, value: date) -> None:
    got = coerce(SPEC, text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    "raw",
    [
        "2024-02-30T09:30",
        "2024-03-01T24:00",
        "2024-03-01T09:60",
        "2024-03-01T09:30:00.5",
        "2024-03-01T9:30",
        "20240301T0930",
        "2024-03-01T",
        "09:30",
        "2024-03-01T09:30" + " " * 1000,
        "9" * 100_000,
        20240301,
        True,
        None,
    ],
)
def test_bad_datetime_values_say_what_is_expected(raw: object) -> None:
    with pytest.raises(FactError, match="'found' is a date-time YYYY-MM-DDTHH:MM"):
        coerce(SPEC, raw)


@pytest.mark.parametrize(
    "text", ["2024-03-01T01:30Z", "2024-03-01T01:30+00:00", "2024-03-01T09:30-05:00"]
)
def test_other_time_zones_are_refused_not_converted(text: str) -> None:
    with pytest.raises(FactError, match=r"China Standard Time \(\+08:00\)"):
        coerce(SPEC, text)


def test_a_date_fact_takes_no_time() -> None:
    with pytest.raises(FactError, match="is a date YYYY-MM-DD"):
        coerce(FactSpec("d", "date", "日期"), "2024-03-01T09:30")


def test_datetime_json_round_trips() -> None:
    for value in (datetime(2024, 3, 1, 9, 30), datetime(2024, 3, 1, 9, 30, 15), date(2024, 3, 1)):
        assert coerce(SPEC, to_json(value)) == value
    assert to_json(datetime(2024, 3, 1, 9, 30)) == "2024-03-01T09:30"
    assert to_json(datetime(2024, 3, 1, 9, 30, 15)) == "2024-03-01T09:30:15"


def test_the_schema_pattern_admits_exactly_the_spellings_parse_accepts() -> None:
    schema = TYPES["datetime"].schema(SPEC)
    pattern = re.compile(str(schema["pattern"]))
    good = ["2024-03-01", "2024-03-01T09:30", "2024-03-01 09:30:15", "2024-03-01T09:30+08:00"]
    bad = ["2024-03-01T09:30Z", "2024-03-01T09:30+00:00", "09:30", "2024-03-01T9:30"]
    assert all(pattern.search(t) and parse_datetime(t) is not None for t in good)
    assert not any(pattern.search(t) for t in bad)
    assert "China" in str(schema["description"])


def test_datetime_is_not_for_conditions() -> None:
    assert not TYPES["datetime"].in_expressions
    assert not TYPES["datetime"].ordered
    assert all(t.in_expressions for name, t in TYPES.items() if name != "datetime")


# ---------------------------------------------------------------- the hours check


def _policy(hours: int = 24) -> PolicyInfo:
    facts = {
        "found": FactSpec("found", "datetime", "发现之时"),
        "delivered": FactSpec("delivered", "datetime", "到位之时"),
    }
    limit = Limit(
        name="pre_aid",
        rule="emergency",
        clause="二（三）",
        quote="急难型临时救助要在24小时内先行救助",
        label="先行救助",
        amount=hours,
        unit="hours",
        start="found",
        end="delivered",
        reads=("delivered", "found"),
    )
    return PolicyInfo("t", "t", None, {}, facts, (), (limit,))


def _check(found: date, delivered: date, hours: int = 24) -> tuple[str, tuple[str, ...], str]:
    (result,) = check_record(_policy(hours), {"found": found, "delivered": delivered}, CAL)
    return result.status, result.needs, result.message


D = date(2024, 3, 1)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute)


@pytest.mark.parametrize(
    ("found", "delivered", "status"),
    [
        (_at(1, 9, 30), _at(2, 8, 30), "pass"),  # 23 hours
        (_at(1, 9, 30), _at(2, 9, 30), "pass"),  # exactly 24: 以内 includes the bound
        (_at(1, 9, 30), _at(2, 9, 31), "fail"),
        (_at(1, 9, 30), _at(2, 10, 30), "fail"),  # 25 hours
        (date(2024, 3, 1), date(2024, 3, 1), "pass"),  # same day: under 24 hours whatever the times
        (date(2024, 3, 1), date(2024, 3, 2), "undetermined"),
        (date(2024, 3, 1), date(2024, 3, 3), "fail"),  # more than 24 hours whatever the times
        (_at(1, 9, 30), date(2024, 3, 1), "pass"),
        (_at(1, 0, 0), date(2024, 3, 1), "pass"),
        (_at(1, 20, 0), date(2024, 3, 2), "undetermined"),
        (_at(1, 0, 0), date(2024, 3, 2), "undetermined"),
        (_at(1, 0, 0), date(2024, 3, 3), "fail"),  # 48 hours at least
        (_at(1, 23, 59), date(2024, 3, 3), "fail"),  # 24h01 at least
        (date(2024, 3, 1), _at(2, 0, 0), "pass"),  # 24 hours at most
        (date(2024, 3, 1), _at(2, 23, 0), "undetermined"),
        (date(2024, 3, 1), _at(3, 0, 0), "fail"),  # just over 24 hours at least
        (date(2024, 3, 1), _at(3, 0, 30), "fail"),
        (date(2024, 3, 2), date(2024, 3, 1), "fail"),  # before the start: out of order
    ],
)
def test_24_hours_on_moments_and_days(found: date, delivered: date, status: str) -> None:
    got, needs, message = _check(found, delivered)
    assert got == status, message
    if status == "undetermined":
        untimed = {
            name
            for name, v in (("found", found), ("delivered", delivered))
            if not isinstance(v, datetime)
        }
        assert set(needs) == untimed
        assert "time of day" in message
    else:
        assert needs == ()


def test_a_48_hour_limit_with_dates_alone() -> None:
    assert _check(D, D + timedelta(days=1), 48)[0] == "pass"  # at most 48 hours
    assert _check(D, D + timedelta(days=2), 48)[0] == "undetermined"
    assert _check(D, D + timedelta(days=3), 48)[0] == "fail"


def test_the_message_shows_the_due_moment() -> None:
    _, _, message = _check(_at(1, 9, 30), _at(2, 10, 30))
    assert message == (
        "24 hours from found 2024-03-01T09:30: due 2024-03-02T09:30; "
        "delivered 2024-03-02T10:30 is late"
    )
    _, _, message = _check(D, D + timedelta(days=1))
    assert "due 24 hours after a time on 2024-03-01 not given" in message


_MOMENT = st.one_of(
    st.integers(0, 4 * 24 * 60).map(lambda m: datetime(2024, 3, 1) + timedelta(minutes=m)),
    st.integers(0, 4).map(lambda k: D + timedelta(days=k)),
)


def _completions(value: date) -> list[datetime]:
    if isinstance(value, datetime):
        return [value]
    midnight = datetime.combine(value, time())
    return [midnight + timedelta(minutes=m) for m in (*range(0, 24 * 60, 47), 24 * 60 - 1)]


@settings(deadline=None)
@given(_MOMENT, _MOMENT, st.sampled_from([1, 12, 24, 48, 72]))
def test_a_decided_hours_check_holds_for_every_time_of_day(
    found: date, delivered: date, hours: int
) -> None:
    status, _, _ = _check(found, delivered, hours)
    pairs = [(s, e) for s in _completions(found) for e in _completions(delivered)]
    ordered = [(s, e) for s, e in pairs if e >= s]
    if not ordered:
        # Every reading has the end before the start: the dates are out of order, a finding.
        assert status == "fail"
        return
    # Readings with the end before the start are not the record's (it is ordered somehow).
    outcomes = {end - start <= timedelta(hours=hours) for start, end in ordered}
    if status == "pass":
        assert outcomes == {True}
    elif status == "fail":
        assert outcomes == {False}
    else:
        # Undetermined only when a day stands for a moment (a grid may miss the open edge).
        assert status == "undetermined"
        assert not (isinstance(found, datetime) and isinstance(delivered, datetime))


def test_day_limits_use_the_day_of_a_datetime() -> None:
    facts = {
        "found": FactSpec("found", "datetime", "到位之时"),
        "done": FactSpec("done", "date", "补齐之日"),
    }
    limit = Limit(
        "paperwork", "r", "二（三）", "5个工作日内", "补齐", 5, "workdays", "found", "done",
        reads=("done", "found"),
    )  # fmt: skip
    policy = PolicyInfo("t", "t", None, {}, facts, (), (limit,))
    record = {"found": datetime(2024, 3, 2, 8, 30), "done": date(2024, 3, 8)}
    (result,) = check_record(policy, record, CAL)
    assert (result.status, result.message) == (
        "pass",
        "5 workdays from found 2024-03-02T08:30: due 2024-03-08; done 2024-03-08 is in time",
    )
    assert limit.due(datetime(2024, 3, 2, 23, 59), CAL) == date(2024, 3, 8)


# ---------------------------------------------------------------- the language


def test_datetime_literals_and_moment_dues_parse() -> None:
    module = parse(
        'tests x { case c "c" { given t = 2024-03-01T09:30, u = 2024-03-01T09:30:15 '
        "due d from 2024-03-01T09:30 is 2024-03-02T09:30 check d is undetermined } }"
    )
    case = module.items[0].cases[0]  # type: ignore[union-attr]
    assert [b.value.value for b in case.given] == [  # type: ignore[union-attr]
        datetime(2024, 3, 1, 9, 30),
        datetime(2024, 3, 1, 9, 30, 15),
    ]
    assert (case.dues[0].start, case.dues[0].expected) == (
        datetime(2024, 3, 1, 9, 30),
        datetime(2024, 3, 2, 9, 30),
    )
    assert [(c.name, c.status) for c in case.record_checks] == [("d", "undetermined")]


MOMENTS = (
    'fact found_at: datetime "发现之时"\nfact done_at: datetime "到位之时"\n'
    "deadline h at 第二条 { within 24 hours from found_at until done_at }\n"
    "deadline w at 第二条 { within 5 workdays from done_at until applied_date }\n"
)


def test_check_datetime_facts_in_limits_and_tests(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        MOMENTS + 'tests x { case a "a" { given found_at = 2024-03-01T09:30, done_at = 2024-03-02 '
        "due h from 2024-03-01T09:30 is 2024-03-02T09:30 due w from 2024-03-01T09:30 is "
        "2024-03-08 check h is undetermined check w is skipped } }\n",
    )
    assert codes == [], [d.render() for d in diagnostics]


def test_check_a_datetime_is_not_for_conditions(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        MOMENTS + "requirement r at 第二条 { require found_at <= done_at }\n"
        "requirement q at 第二条 { require applied_date == 2024-03-01T09:30 }\n",
    )
    assert codes == ["E202", "E202", "E202"], [d.render() for d in diagnostics]
    assert "only the start or end of a time limit" in diagnostics[0].render()


def test_check_hours_dues_are_moments_and_day_dues_days(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        MOMENTS + 'tests x { case a "a" { due h from 2024-03-01 is 2024-03-02 '
        "due h from 2024-03-01T09:30 is 2024-03-02 due w from 2024-03-01 is 2024-03-08T00:00 } }\n",
    )
    assert codes == ["E402", "E402", "E402"], [d.render() for d in diagnostics]
    assert "write both as date-times" in diagnostics[0].render()


def test_check_record_checks_name_a_limit_or_a_checked_rule(tmp_path: Path) -> None:
    codes, diagnostics = project(
        tmp_path,
        MOMENTS + "requirement r at 第二条 { require household_size >= 2 }\n"
        'tests x { case a "a" { given household_size = 1 check r is fail check hh is pass } }\n',
    )
    assert codes == ["E408"], [d.render() for d in diagnostics]
    assert "did you mean 'h'" in diagnostics[0].render()


def test_check_a_date_fact_takes_no_datetime(tmp_path: Path) -> None:
    codes, _ = project(
        tmp_path,
        MOMENTS + 'tests x { case a "a" { given applied_date = 2024-03-01T09:30 '
        "check w is skipped } }\n",
    )
    assert codes == ["E204"]


# ---------------------------------------------------------------- the command line


def test_due_from_a_moment(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "due", "taierzhuang", "二（三）", "--start", "2024-03-01T09:30", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["start"] == "2024-03-01T09:30"
    dues = {e["limit"]: e["due"] for e in report["limits"]}
    assert dues["pre_aid"] == "2024-03-02T09:30"
    assert dues["paperwork"] == "2024-03-08"  # working days count from the day
    code, out, _ = run(capsys, "due", "lucheng", "四（二）", "--start", "2024-09-30T20:00")
    assert code == 0
    assert "pre_aid [四（二）] 24 hours from 2024-09-30T20:00: 2024-10-01T20:00" in out


def test_due_from_a_date_gives_no_moment_for_hours(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "due", "lucheng", "四（二）", "--start", "2024-09-30", "--json")
    assert code == 0
    (entry,) = [e for e in json.loads(out)["limits"] if e["limit"] == "pre_aid"]
    assert entry["due"] is None
    assert "YYYY-MM-DDTHH:MM" in entry["note"]


@pytest.mark.parametrize(
    ("start", "says"),
    [("2024-03-01T09:30Z", "+08:00"), ("2024-03-01T25:00", "YYYY-MM-DDTHH:MM"), ("x" * 5000, "")],
)
def test_due_bad_start_exits_2(capsys: pytest.CaptureFixture[str], start: str, says: str) -> None:
    code, _, err = run(capsys, "due", "lucheng", "四（二）", "--start", start)
    assert code == 2
    assert says in err


def _validate(capsys: pytest.CaptureFixture[str], tmp_path: Path, records: list[Any]) -> Any:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return run(capsys, "validate", "--policy", "taierzhuang", str(path), "--format", "json")


def test_validate_records_with_moments_and_days(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = {"taierzhuang_case_programme": "temporary_emergency"}
    records = [
        {"id": "T23", **base, "emergency_found_date": "2024-03-01T09:30",
         "pre_aid_delivered_date": "2024-03-02 08:30"},
        {"id": "T25", **base, "emergency_found_date": "2024-03-01T09:30+08:00",
         "pre_aid_delivered_date": "2024-03-02T10:30"},
        {"id": "D1", **base, "emergency_found_date": "2024-03-01",
         "pre_aid_delivered_date": "2024-03-02"},
    ]  # fmt: skip
    code, out, err = _validate(capsys, tmp_path, records)
    assert code == 1, err
    statuses = {
        (r["id"], c["rule"]): (c["status"], c["needs"])
        for r in json.loads(out)["records"]
        for c in r["checks"]
    }
    assert statuses[("T23", "pre_aid")] == ("pass", [])
    assert statuses[("T25", "pre_aid")] == ("fail", [])
    assert statuses[("D1", "pre_aid")] == (
        "undetermined",
        ["emergency_found_date", "pre_aid_delivered_date"],
    )


def test_validate_a_foreign_time_zone_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _validate(
        capsys, tmp_path, [{"id": "Z", "emergency_found_date": "2024-03-01T01:30Z"}]
    )
    assert code == 2
    assert "record Z" in err and "emergency_found_date" in err and "+08:00" in err
