"""The SQL backend (compiler/backends/sql.py, docs/sql.md): its SELECTs run on DuckDB and give
the Python package's statuses, needs, outcomes and deciding rules; they parse as Spark SQL;
the calendar table is the runtime's; policy text cannot change the SQL; output is stable."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb  # in the test extra: CI has it, so a missing one fails rather than skips
import pytest
from syrupy.assertion import SnapshotAssertion

from compiler import ir
from compiler import nodes as n
from compiler.backends.sql import (
    ExprSql,
    Facts,
    PolicySql,
    _Walk,
    calendar_counts,
    calendar_csv,
    policy_sql,
    sql_files,
    sql_string,
)
from compiler.cli import main
from compiler.interpret import Evaluator, info, literal_facts
from compiler.lower import load_program
from compiler.runtime.checks import check_record
from compiler.runtime.decision import decide, explain
from compiler.runtime.kinds import DECISION_KINDS
from compiler.runtime.policy import PolicyInfo
from compiler.runtime.records import Record
from compiler.runtime.sqlcalendar import Slide, Walk, column, count_column
from compiler.runtime.sqlengine import result_row
from compiler.runtime.timelimits import (
    CalendarNotCovered,
    WorkdayCalendar,
    due_bounds,
    load_calendar,
)
from compiler.runtime.validation import RecordResult
from compiler.runtime.values import Duration, FactError, Known, Unknown, coerce
from tests.conftest import ROOT, made_up_policy, new_project

POLICIES = ("lucheng", "ningbo", "taierzhuang", "weihai", "yuquan")


@pytest.fixture(scope="session")
def program() -> ir.Program:
    return load_program(ROOT)


@pytest.fixture(scope="session")
def connection(program: ir.Program, tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("sql") / "calendar.csv"
    path.write_text(calendar_csv(calendar_counts(program)), encoding="utf-8")
    con = duckdb.connect()
    con.execute(f"CREATE TABLE policyc_calendar AS SELECT * FROM read_csv('{path}', header = true)")
    return con


# ---------------------------------------------------------------- running it


def _row(writer: PolicySql, facts: Mapping[str, Known]) -> list[object]:
    values: list[object] = []
    for name in writer.facts.names:
        value = facts.get(name)
        kind = writer.facts.type(name)
        if kind == "datetime":
            timed = isinstance(value, datetime)
            moment = value if timed or value is None else datetime.combine(value, time())
            values += [moment, None if value is None else timed]
        elif kind == "duration":
            assert value is None or isinstance(value, Duration)
            values += [None, None] if value is None else [value.amount, value.unit]
        else:
            values.append(value)
    return values


def run_sql(
    con: Any, program: ir.Program, policy_id: str, records: list[dict[str, Known]]
) -> tuple[PolicySql, list[dict[str, Any]]]:
    writer = PolicySql(program, program.policies[policy_id])
    columns = ["id VARCHAR"] + [
        f"{column} {kind}"
        for name in writer.facts.names
        for column, kind in writer.facts.columns(name).items()
    ]
    con.execute("DROP TABLE IF EXISTS policyc_cases")
    con.execute(f"CREATE TABLE policyc_cases ({', '.join(columns)})")
    rows = [[f"r{i}", *_row(writer, facts)] for i, facts in enumerate(records)]
    if rows:
        # One statement for all rows: DuckDB's executemany runs one statement per row.
        marks = ", ".join(f"({', '.join('?' * len(rows[0]))})" for _ in rows)
        con.execute(f"INSERT INTO policyc_cases VALUES {marks}", [v for r in rows for v in r])
    result = con.execute(policy_sql(program, program.policies[policy_id]))
    names = [d[0] for d in result.description]
    by_id = {r[0]: dict(zip(names, r, strict=True)) for r in result.fetchall()}
    return writer, [by_id[f"r{i}"] for i in range(len(records))]


@cache
def _calendar() -> WorkdayCalendar:
    return load_calendar()


_INFO: dict[tuple[int, str], PolicyInfo] = {}


def python_result(program: ir.Program, policy_id: str, facts: Mapping[str, Known]) -> object:
    """What the Python package says, in the SQL's terms."""
    key = (id(program), policy_id)
    if key not in _INFO:
        _INFO[key] = info(program, program.policies[policy_id])
    policy = _INFO[key]
    try:
        checks = check_record(policy, facts, _calendar())
        decision_facts = {x for r in policy.rules if r.kind in DECISION_KINDS for x in r.reads}
        decided = decision_facts & set(facts)
        decision = explain(policy, decide(policy, facts)) if decided else None
    except CalendarNotCovered:
        return "calendar_not_covered"
    except FactError:
        return "fact_error"
    # In the SQL's columns, as the DuckDB engine writes a record that Python computes for it.
    writer = _writer(program, policy_id)
    result = RecordResult(Record("r", dict(facts)), tuple(checks), decision)
    return sql_result(writer, result_row(result, [c.column for c in writer.check_list()]))


_WRITERS: dict[tuple[int, str], PolicySql] = {}


def _writer(program: ir.Program, policy_id: str) -> PolicySql:
    key = (id(program), policy_id)
    if key not in _WRITERS:
        _WRITERS[key] = PolicySql(program, program.policies[policy_id])
    return _WRITERS[key]


def sql_result(writer: PolicySql, row: Mapping[str, Any]) -> object:
    """A row of the SQL, as `python_result` gives Python's results."""
    if row["error"] is not None:
        return row["error"]
    shown = [
        (row[f"{c.column}__status"], row[f"{c.column}__needs"], row[f"{c.column}__unpublished"])
        for c in writer.check_list()
    ]
    if row["outcome"] is None:
        return shown, None
    return shown, (row["outcome"], row["missing"], row["judgments"], row["decided_by"])


def assert_agree(
    con: Any, program: ir.Program, policy_id: str, records: list[dict[str, Known]]
) -> None:
    writer, rows = run_sql(con, program, policy_id, records)
    for facts, row in zip(records, rows, strict=True):
        expected = python_result(program, policy_id, facts)
        assert sql_result(writer, row) == expected, {k: str(v) for k, v in facts.items()}


# ---------------------------------------------------------------- records


def _policy_test_records(program: ir.Program, policy_id: str) -> list[dict[str, Known]]:
    """The facts of the policy's own tests (`test` blocks of the policy file)."""
    return [literal_facts(case.given) for case in program.policies[policy_id].cases]


def _random_records(
    program: ir.Program, policy_id: str, count: int, seed: int
) -> Iterator[dict[str, Known]]:
    """Records with random subsets of the policy's facts: dates in 2024 (official calendar),
    numbers and durations around the policies' thresholds, date-times with and without a time."""
    rnd = random.Random(seed)
    policy = program.policies[policy_id]

    def value(name: str) -> Known:
        spec = program.input(name)
        kind = spec.type.name
        if kind == "bool":
            return rnd.choice([True, False])
        if kind in ("int", "money", "ratio"):
            return Decimal(rnd.choice([0, 1, 3, 5, 12, 18, 60, 100, 5000, 20000]))
        if kind == "date":
            return date(2024, 1, 1) + timedelta(days=rnd.randint(0, 60))
        if kind == "datetime":
            day = date(2024, 9, 25) + timedelta(days=rnd.randint(0, 6))
            if rnd.random() < 0.5:
                return day
            return datetime.combine(day, time(rnd.randint(0, 23), rnd.choice([0, 30])))
        if kind == "duration":
            return Duration(rnd.choice([5, 10, 120]), rnd.choice(["years", "months"]))
        if kind == "enum":
            assert spec.type.enum is not None
            return rnd.choice(program.members(spec.type.enum))
        return "x"

    for _ in range(count):
        share = rnd.choice([0.1, 0.5, 0.9])
        yield {x: value(x) for x in policy.inputs if rnd.random() < share}


@pytest.mark.parametrize("policy_id", POLICIES)
def test_duckdb_agrees_with_python(program: ir.Program, connection: Any, policy_id: str) -> None:
    """Every policy's SQL on DuckDB: the policy's own test records, an empty record and
    random ones give Python's statuses, needs, outcome, missing facts and deciding rules."""
    records = [*_policy_test_records(program, policy_id), {}]
    records += list(_random_records(program, policy_id, 80, seed=13))
    assert_agree(connection, program, policy_id, records)


def test_time_limits_at_the_edges(program: ir.Program, connection: Any) -> None:
    """Hours with dates alone and with times, working days over the 2024 New Year and Spring
    Festival, an end before its start, a date the calendar does not cover, a count in 2027
    whose schedule is unpublished (Python's provisional bounds), an extension unknown."""
    records: list[dict[str, Known]] = []
    found = [date(2024, 9, 28), datetime(2024, 9, 28, 9, 0), datetime(2024, 9, 28, 23, 0)]
    delivered = [date(2024, 9, 28), date(2024, 9, 29), date(2024, 9, 30)]
    delivered += [datetime(2024, 9, 29, 9, 0), datetime(2024, 9, 29, 23, 30)]
    for start in found:
        for end in delivered:
            records.append(
                {
                    "emergency_found_date": start,
                    "pre_aid_delivered_date": end,
                    "taierzhuang_case_programme": "temporary_emergency",
                }
            )
    for start in (date(2024, 2, 1), date(2023, 12, 28), date(2026, 12, 20), date(2027, 1, 28)):
        for offset in (0, 5, 8, 12, 14, 20, 30):
            records.append(
                {
                    "taierzhuang_application_date": start,
                    "taierzhuang_approval_date": start + timedelta(days=offset),
                    "taierzhuang_checked_date": start + timedelta(days=offset),
                    "taierzhuang_case_programme": "dibao",
                }
            )
    records.append(
        {
            "taierzhuang_application_date": date(2024, 3, 1),
            "taierzhuang_approval_date": date(2024, 2, 1),
        }
    )
    assert_agree(connection, program, "taierzhuang", records)
    ningbo = [
        {
            "ningbo_application_accepted_date": date(2024, 1, 2),
            "ningbo_finding_date": date(2024, 1, 2) + timedelta(days=offset),
            **extended,
        }
        for offset in (5, 12, 30)
        for extended in ({}, {"ningbo_complex_case": True}, {"ningbo_complex_case": False})
    ]
    assert_agree(connection, program, "ningbo", ningbo)


def test_a_date_outside_the_calendar_is_an_error_row(program: ir.Program, connection: Any) -> None:
    """Python refuses the record (CalendarNotCovered); the SQL marks it, never passes it."""
    record: dict[str, Known] = {
        "weihai_conclusion_date": date(2060, 1, 5),
        "weihai_notified_date": date(2060, 1, 6),
    }
    assert python_result(program, "weihai", record) == "calendar_not_covered"
    _, (row,) = run_sql(connection, program, "weihai", [record])
    assert row["error"] == "calendar_not_covered"
    assert row["notification__status"] == "error"


def test_a_date_moved_past_9999_is_refused_as_python_refuses_it(
    program: ir.Program, connection: Any
) -> None:
    """A date in 9999 plus three years (鹿城: 失联 three years) has no Python date: Python
    refuses the record (FactError), and the SQL marks the row, where DuckDB went on counting
    past 9999-12-31 and checked it."""
    record: dict[str, Known] = {
        "lucheng_member_missing_since": date(9999, 6, 1),
        "lucheng_application_date": date(2024, 1, 1),
        "lucheng_member_left_or_lost_contact": True,
    }
    assert python_result(program, "lucheng", record) == "fact_error"
    _, (row,) = run_sql(connection, program, "lucheng", [record])
    assert row["error"] == "fact_error"
    record["lucheng_member_missing_since"] = date(9996, 6, 1)  # three years on: 9999-06-01
    assert python_result(program, "lucheng", record) != "fact_error"
    assert_agree(connection, program, "lucheng", [record])


def test_yuquan_excluded_period(program: ir.Program, connection: Any) -> None:
    """不含公示期: the working days of the public notice are skipped, as Python skips them."""
    records: list[dict[str, Known]] = []
    start = date(2024, 3, 1)
    for notice in ((date(2024, 3, 5), date(2024, 3, 11)), (date(2024, 2, 1), date(2024, 2, 3))):
        for offset in (30, 40, 45, 50, 60):
            records.append(
                {
                    "yuquan_programme": "dibao",
                    "yuquan_application_accepted_date": start,
                    "yuquan_approval_completed_date": start + timedelta(days=offset),
                    "public_notice_start_date": notice[0],
                    "public_notice_end_date": notice[1],
                }
            )
    records.append(
        {
            "yuquan_programme": "dibao",
            "yuquan_application_accepted_date": start,
            "yuquan_approval_completed_date": start + timedelta(days=60),
            "public_notice_start_date": date(2024, 3, 9),
        }
    )
    assert_agree(connection, program, "yuquan", records)


# ---------------------------------------------------------------- the calendar


def test_calendar_walk_is_the_runtimes(program: ir.Program) -> None:
    """calendar.csv's provisional bounds come from a transcription of `_workday_bounds`: it
    gives `due_bounds`'s answer (or its CalendarNotCovered) on a sample of start days."""
    calendar = load_calendar()
    walk = _Walk(calendar)
    rnd = random.Random(5)
    late = [t for t, day in enumerate(walk.days) if day.year >= 2026]
    sample = rnd.sample(late, 150) + list(range(len(walk.days) - 40, len(walk.days)))
    for t in sample:
        for count in calendar_counts(program):
            try:
                expected = due_bounds(walk.days[t], count, "workdays", calendar)
            except CalendarNotCovered:
                expected = None
            assert walk.bounds(t, count) == expected, (walk.days[t], count)


def _slide_agrees_with_the_walk(walk: Walk, counts: tuple[int, ...], every: int = 1) -> int:
    """`Slide.bounds` against `Walk.bounds` from every `every`-th day of 2026 on; a start where
    the walk's own assertion fails (a cluster owing more 补假 than it has weekdays) is
    skipped and the slide begun again after it.  Returns how many starts were compared."""
    first = next(t for t, day in enumerate(walk.days) if day.year >= 2026)
    compared = 0
    for count in counts:
        slide = Slide(walk, count, first)
        for t in range(first, len(walk.days), every):
            try:
                expected = walk.bounds(t, count)
            except AssertionError:
                slide = Slide(walk, count, t + 1)
                continue
            assert slide.bounds(t) == expected, (walk.days[t], count)
            compared += 1
    return compared


def test_calendar_slide_is_the_walk() -> None:
    """calendar.csv's columns slide over the calendar (`Slide`) instead of walking from each
    day: the same bounds as the walk, from every start day, for short and long counts."""
    walk = Walk(load_calendar())
    assert _slide_agrees_with_the_walk(walk, (1, 2, 3, 5, 13, 40, 250)) > 60_000
    # A mistyped count: the walk from each day took ~20 s for the column.
    assert _slide_agrees_with_the_walk(walk, (3312,), every=53) > 150


def test_calendar_columns_are_the_walks_cells() -> None:
    """A column of calendar.csv as the build makes it (`count_column`: the slide's day indexes
    made into cells) is, cell for cell, what the walk from each day gives (`column` over
    `Walk.bounds`)."""
    walk = Walk(load_calendar())
    for count in (1, 5, 13):
        walked = column(walk, count, lambda t: walk.bounds(t, count))  # noqa: B023
        assert count_column(walk, count) == walked, count
        assert any(cell[2] for cell in walked), count  # provisional cells among them


def test_calendar_slide_with_owed_days_off() -> None:
    """The official calendar never has a cluster owing more 补假 than it has weekdays, so
    `Slide`'s step past the debt is tested on a calendar made to owe it (every third
    cluster); it must still agree with the walk wherever the walk answers."""
    calendar = load_calendar()
    clusters = tuple(
        replace(c, min_extra_off=calendar.unsettled_weekdays(i) + 1) if i % 3 == 0 else c
        for i, c in enumerate(calendar.clusters)
    )
    walk = Walk(replace(calendar, clusters=clusters, unsettled=calendar.unsettled))
    assert _slide_agrees_with_the_walk(walk, (1, 3, 8, 30)) > 20_000


def test_calendar_table(program: ir.Program) -> None:
    text = calendar_csv(calendar_counts(program))
    lines = text.splitlines()
    header = lines[0].split(",")
    assert header[:4] == ["day", "workday", "workday_index", "unsettled_index"]
    assert "w1_earliest" in header and "w40_unpublished" in header
    assert lines[1].startswith("2003-12-31,false,0,0")
    # 2024-02-04 (Sunday) was an adjusted working day; 2024-02-12 a Spring Festival day off.
    row = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert row["2024-02-04"][1] == "true" and row["2024-02-12"][1] == "false"
    assert lines[-1].startswith("2050-12-31,")


# ---------------------------------------------------------------- text and portability


def test_spark_parses_the_sql(program: ir.Program) -> None:
    import sqlglot  # in the test extra

    for policy_id in ("weihai", "lucheng"):
        parsed = sqlglot.parse_one(policy_sql(program, program.policies[policy_id]), read="spark")
        assert parsed.key == "select"
    # The decision-only statements (`<id>.decide.sql`), every policy's: short to parse.
    for policy_id in POLICIES:
        text = PolicySql(program, program.policies[policy_id]).decide_sql()
        assert sqlglot.parse_one(text, read="spark").key == "select"


def test_string_literals_mean_the_same_everywhere(connection: Any) -> None:
    nasty = ["it's", "a'' b", "--", "x; DROP TABLE policyc_cases; --", "back\\slash", "", "中文"]
    for text in nasty:
        literal = sql_string(text)
        assert "\\" not in literal and (not text or "''" not in literal)
        assert connection.execute(f"SELECT {literal}").fetchone() == (text,)


def _hostile_project(path: Path) -> Path:
    """NOT REAL POLICY: a made-up one whose title, labels, quote and text literal hold `'`,
    `--` and `;`."""
    project = new_project(path)
    made_up_policy(
        project,
        "hostile",
        "虚构办法（测试用，非真实政策）\n第一条 it's -- a rule; really 的条文。\n",
        """# NOT REAL POLICY: made up for tests/test_sql.py.
policy hostile {
    title "A title with ' and -- and ; in it"
    jurisdiction "某市' --;区" city
    status in_force
    source "sources/hostile.txt" sha256 "{sha}"
    decision relief "免责'; --"
}

informative at 序言 metadata "虚构办法"
fact hostile_flag: bool "It's -- a flag; really"
fact hostile_kind: text "a text; -- '"

situation hostile_case at 第一条 "it's -- a rule; really" {
    when hostile_flag and hostile_kind == "it's -- here; ok"
}
""",
    )
    return project


def test_policy_text_cannot_change_the_sql(tmp_path: Path, connection: Any) -> None:
    """A quote with `'`, `--` and `;` in a title, label, quote and text literal stays data: the
    SQL has one statement, and the text literal compares equal to the record's text."""
    program = load_program(_hostile_project(tmp_path / "p"))
    sql = policy_sql(program, program.policies["hostile"])
    assert "A title" not in sql and "It's" not in sql and "a rule" not in sql
    import sqlglot  # in the test extra

    statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    assert len(statements) == 1 and sql.rstrip().endswith(";")
    records: list[dict[str, Known]] = [
        {"hostile_flag": True, "hostile_kind": "it's -- here; ok"},
        {"hostile_flag": True, "hostile_kind": "other"},
        {"hostile_flag": True},
    ]
    assert_agree(connection, program, "hostile", records)
    _, rows = run_sql(connection, program, "hostile", records)
    assert [r["outcome"] for r in rows] == ["applies", "not_covered", "undetermined"]
    assert rows[2]["missing"] == "hostile_kind"


# ---------------------------------------------------------------- output


def test_snapshot_of_weihai_sql(program: ir.Program, text_snapshot: SnapshotAssertion) -> None:
    assert policy_sql(program, program.policies["weihai"]) == text_snapshot


def test_snapshot_of_weihai_decide_sql(
    program: ir.Program, text_snapshot: SnapshotAssertion
) -> None:
    assert PolicySql(program, program.policies["weihai"]).decide_sql() == text_snapshot


def test_manifest(program: ir.Program) -> None:
    manifest = PolicySql(program, program.policies["taierzhuang"]).manifest()
    checks = manifest["checks"]
    assert isinstance(checks, list)
    expected = [
        x.rule
        for x in check_record(info(program, program.policies["taierzhuang"]), {}, load_calendar())
    ]
    assert [c["rule"] for c in checks] == expected
    columns = manifest["columns"]
    assert isinstance(columns, list)
    assert columns[:2] == ["id", "error"] and columns[-4:] == [
        "outcome",
        "missing",
        "judgments",
        "decided_by",
    ]


def test_the_manifest_says_which_values_the_sql_takes(program: ir.Program) -> None:
    """A table typed by hand must keep to what the Python package accepts, which the column
    types alone do not say: an enum's members (a value outside them the SQL reads as matching
    none, where Python refuses the record) and a duration's units."""
    facts = {
        f["name"]: f
        for pid in ("taierzhuang", "yuquan")
        for f in PolicySql(program, program.policies[pid]).manifest()["facts"]  # type: ignore[attr-defined]
    }
    programme = facts["taierzhuang_case_programme"]
    spec = info(program, program.policies["taierzhuang"]).facts["taierzhuang_case_programme"]
    assert programme["members"] == list(spec.members) and "dibao" in programme["members"]
    for member in programme["members"]:
        coerce(spec, member)  # each one Python takes
    with pytest.raises(FactError):
        coerce(spec, "DIBAO")
    retention = facts["yuquan_record_retention"]
    assert retention["units"] == ["days", "hours", "months", "workdays", "years"]
    assert "members" not in retention and "units" not in programme
    assert all(set(f) == {"name", "type", "judgment", "columns"} for f in facts.values()
               if f["type"] not in ("enum programme", "duration"))  # fmt: skip


def _readme_block(readme: str, heading: str) -> str:
    """The code block under `## heading` in build/sql/README.md."""
    section = readme.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readmes_duckdb_recipe_runs_as_written(
    program: ir.Program, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """build/sql/README.md's DuckDB code, run as written in the folder it describes, over a
    Parquet file typed as the manifest says (as `validate --engine duckdb` types records):
    the SQL's rows, one per record."""
    from compiler.runtime.sqlengine import Cases, _source
    from tests.sqlcases import case_records, write_jsonl, write_sql

    write_sql(program, tmp_path)
    records = case_records(program, "taierzhuang", 20, 3)
    cases = write_jsonl(tmp_path / "cases.jsonl", records)
    con = duckdb.connect()
    Cases(con, info(program, program.policies["taierzhuang"]).facts, [_source(0, str(cases))])
    con.execute(f"COPY policyc_cases TO '{tmp_path / 'cases.parquet'}' (FORMAT parquet)")
    con.close()
    monkeypatch.chdir(tmp_path)
    scope: dict[str, Any] = {}
    exec(_readme_block((tmp_path / "README.md").read_text(encoding="utf-8"), "DuckDB"), scope)
    assert len(scope["rows"]) == len(records)
    assert {row[1] for row in scope["rows"]} <= {None, "calendar_not_covered", "fact_error"}


def test_build_target_keeps_the_other_target(tmp_path: Path) -> None:
    out = tmp_path / "build"
    assert main(["--root", str(ROOT), "build", "--out", str(out), "--target", "python"]) == 0
    wheel = sorted((out / "validators" / "dist").iterdir())
    assert main(["--root", str(ROOT), "build", "--out", str(out), "--target", "sql"]) == 0
    first = {p.name: p.read_bytes() for p in (out / "sql").iterdir()}
    assert sorted((out / "validators" / "dist").iterdir()) == wheel  # kept
    assert sorted(first) == sorted(
        [f"{p}.{x}" for p in POLICIES for x in ("sql", "decide.sql", "json")]
        + ["README.md", "calendar.csv"]
    )
    packaged = out / "validators" / "policyc_validators" / "sql"
    assert {p.name: p.read_bytes() for p in packaged.iterdir()} == first
    manifest = json.loads(first["weihai.json"])
    assert manifest["sql"] == "weihai.sql"
    assert manifest["decide"]["sql"] == "weihai.decide.sql"


def test_sql_files_are_stable(program: ir.Program) -> None:
    assert sql_files(program) == sql_files(program)


# ---------------------------------------------------------------- every expression form

_AT = n.Span("test", 1, 1, 1, 1)


def _name(name: str) -> n.Name:
    return n.Name(name, _AT)


def _lit(value: n.Value, type_name: str) -> n.Literal:
    return n.Literal(value, n.TypeRef(type_name), _AT)


def _expression_forms() -> list[n.Expr]:
    """Every form of n.Expr over real facts: Kleene connectives, sets, comparisons of numbers,
    dates and durations across units (FactError for days against years), arithmetic with
    division, dates shifted by durations, min/max, the date functions, conditionals."""
    age, savings, standard = (
        _name("lucheng_age"),
        _name("lucheng_bank_savings"),
        _name("lucheng_annual_dibao_standard"),
    )
    applied, missing = _name("lucheng_application_date"), _name("lucheng_member_missing_since")
    programme, retention = _name("taierzhuang_case_programme"), _name("yuquan_record_retention")
    flag, other = _name("lucheng_requests_inclusion"), _name("lucheng_member_not_living_together")
    three = _lit(Decimal("3"), "int")
    years = _lit(n.Duration(3, "years"), "duration")
    month, forty = (
        _lit(n.Duration(1, "months"), "duration"),
        _lit(n.Duration(40, "days"), "duration"),
    )
    thirty = _lit(Decimal("30"), "int")
    return [
        n.Not(flag, _AT),
        n.BoolOp("and", (flag, other, n.Not(flag, _AT)), _AT),
        n.BoolOp("or", (flag, n.Compare(">", age, three, _AT)), _AT),
        n.BoolOp("and", (n.BoolOp("or", (flag, other), _AT), n.Compare("<", age, three, _AT)), _AT),
        n.InSet(programme, ("dibao", "tekun"), _AT),
        n.Compare("==", programme, _name("temporary"), _AT),
        *(
            n.Compare(op, savings, n.Arith("*", _lit(Decimal("4"), "int"), standard, _AT), _AT)
            for op in (">=", "<=", "==", "!=", ">", "<")
        ),
        n.Compare(">", n.Arith("/", savings, standard, _AT), three, _AT),
        n.Compare("<=", n.Arith("-", savings, _lit(Decimal("0.5"), "ratio"), _AT), age, _AT),
        n.Compare("<=", n.Arith("+", missing, years, _AT), applied, _AT),
        n.Compare(">", n.Arith("-", applied, month, _AT), missing, _AT),
        n.Compare("==", n.Arith("+", missing, forty, _AT), applied, _AT),
        n.Compare(">", retention, _lit(n.Duration(24, "months"), "duration"), _AT),
        n.Compare(">=", retention, _lit(n.Duration(10, "years"), "duration"), _AT),
        n.Compare("<", n.Call("min", (savings, standard, three), _AT), age, _AT),
        n.Compare("<", n.Call("max", (missing, applied), _AT), applied, _AT),
        n.Compare(">=", n.Call("day_of_month", (applied,), _AT), _lit(Decimal("15"), "int"), _AT),
        n.Compare(">=", n.Call("inclusive_days", (missing, applied), _AT), thirty, _AT),
        n.Compare(">", n.Conditional(flag, savings, standard, _AT), three, _AT),
        n.Compare(">", n.Conditional(flag, three, three, _AT), age, _AT),
        n.Conditional(flag, other, n.Not(other, _AT), _AT),
    ]  # fmt: skip


def _forms_table(
    program: ir.Program, connection: Any, exprs: list[n.Expr]
) -> tuple[ExprSql, list[str], list[dict[str, Known]]]:
    """`policyc_cases` of 200 random records over the facts `exprs` read (unknowns included),
    and the compiler of those facts."""
    names = sorted({x for e in exprs for x in program.inputs_of(e)})
    shape = SimpleNamespace(inputs=tuple(names))
    facts = Facts(program, shape)  # type: ignore[arg-type]
    columns = ["id VARCHAR"] + [f"{c} {t}" for x in names for c, t in facts.columns(x).items()]
    rnd = random.Random(3)
    choices: dict[str, list[Known]] = {
        "lucheng_age": [Decimal(2), Decimal(3), Decimal(70)],
        "lucheng_bank_savings": [Decimal(0), Decimal(10), Decimal("12.5"), Decimal(40)],
        "lucheng_annual_dibao_standard": [Decimal(0), Decimal(3), Decimal("2.5")],
        "lucheng_application_date": [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 9)],
        "lucheng_member_missing_since": [date(2021, 2, 28), date(2024, 2, 29), date(2024, 3, 1)],
        "taierzhuang_case_programme": ["dibao", "temporary", "tekun"],
        "yuquan_record_retention": [
            Duration(24, "months"), Duration(2, "years"), Duration(5, "days")
        ],
        "lucheng_requests_inclusion": [True, False],
        "lucheng_member_not_living_together": [True, False],
        "taierzhuang_temporary_is_expenditure": [True, False],
    }  # fmt: skip
    records = [
        {x: rnd.choice(choices[x]) for x in names if rnd.random() < 0.75} for _ in range(200)
    ]
    connection.execute("DROP TABLE IF EXISTS policyc_cases")
    connection.execute(f"CREATE TABLE policyc_cases ({', '.join(columns)})")
    writer = SimpleNamespace(facts=facts)
    rows = [[f"r{i}", *_row(writer, r)] for i, r in enumerate(records)]  # type: ignore[arg-type]
    connection.executemany(
        f"INSERT INTO policyc_cases VALUES ({', '.join('?' * len(rows[0]))})", rows
    )
    return ExprSql(facts), names, records


def test_every_expression_form_agrees_with_the_interpreter(
    program: ir.Program, connection: Any
) -> None:
    """Each form's value and needs on DuckDB equal the interpreter's (compiler/runtime/logic.py)
    on random facts, unknowns included; where Python raises FactError the SQL flags it."""
    exprs = _expression_forms()
    compiler, names, records = _forms_table(program, connection, exprs)
    facts = compiler.facts
    compiled = [compiler.expr(e) for e in exprs]
    selects = ["id"]
    for i, value in enumerate(compiled):
        selects.append(f"{value.sql} AS v{i}")
        selects.append(f"{facts.decode(value.needs, names)} AS v{i}_needs")
    selects.append(f"{' OR '.join(f'({e})' for e in compiler.errors)} AS refused")
    result = connection.execute(f"SELECT {', '.join(selects)} FROM policyc_cases ORDER BY id")
    by_id = {r[0]: r for r in result.fetchall()}
    for i, record in enumerate(records):
        row = by_id[f"r{i}"]
        refused = False
        for j, expr in enumerate(exprs):
            try:
                expected = Evaluator(program, record).eval(expr)
            except FactError:
                refused = True
                continue
            value, needs = row[1 + 2 * j], row[2 + 2 * j]
            if isinstance(expected, Unknown):
                assert (value, needs) == (None, ",".join(sorted(expected.needs))), (j, record)
            else:
                assert (value, needs) == (expected, ""), (j, record)
        assert bool(row[-1]) == refused, record


def test_the_truth_encoding_agrees_with_the_interpreter(
    program: ir.Program, connection: Any
) -> None:
    """decide.sql's encoding of each boolean form (ExprSql.truth: 0 false, 1 unknown, 3 true,
    and = &, or = |), its negation (`not` pushed down by De Morgan) and its needs
    (`truth_needs` on every row, `open_needs` where it is unknown) equal the interpreter's."""
    flag = _name("lucheng_requests_inclusion")
    other = _name("lucheng_member_not_living_together")
    young = n.Compare("<", _name("lucheng_age"), _lit(Decimal("3"), "int"), _AT)
    # Boolean definitions (taierzhuang's), read as columns of their own in the encoding.
    defines = ["taierzhuang_dibao_tekun_case", "taierzhuang_emergency_case"]
    case, emergency = (_name(d) for d in defines)
    exprs = [  # every form is boolean; and negations over connectives, literals, definitions
        *_expression_forms(),
        n.Not(n.BoolOp("and", (flag, n.Not(other, _AT)), _AT), _AT),
        n.Not(n.BoolOp("or", (young, n.BoolOp("and", (flag, other), _AT)), _AT), _AT),
        n.BoolOp("or", (_lit(False, "bool"), n.Not(_lit(True, "bool"), _AT), flag), _AT),
        emergency,
        n.Not(emergency, _AT),
        n.BoolOp("and", (n.Not(case, _AT), n.BoolOp("or", (emergency, flag), _AT)), _AT),
    ]
    compiler, names, records = _forms_table(program, connection, exprs)
    compiler.truth_defines = True
    facts = compiler.facts
    define_columns = ", ".join(
        f"{compiler.truth(program.defines[d].expr)} AS _define_{d}" for d in defines
    )
    selects = ["id"]
    for i, expr in enumerate(exprs):
        selects.append(f"{compiler.truth(expr)} AS t{i}")
        selects.append(f"{compiler.truth(expr, negate=True)} AS f{i}")
        selects.append(f"{facts.decode(compiler.truth_needs(expr), names)} AS n{i}")
        open_needs = facts.decode(compiler.open_needs(expr), names)
        selects.append(f"CASE WHEN {compiler.truth(expr)} = 1 THEN {open_needs} END AS o{i}")
    result = connection.execute(
        f"SELECT {', '.join(selects)} FROM (SELECT *, {define_columns} FROM policyc_cases) "
        "ORDER BY id"
    )
    by_id = {r[0]: r for r in result.fetchall()}
    encode = {True: 3, False: 0}
    for i, record in enumerate(records):
        row = by_id[f"r{i}"]
        for j, expr in enumerate(exprs):
            try:
                expected = Evaluator(program, record).eval(expr)
            except FactError:
                continue
            truth, negated, needs, open_needs = row[1 + 4 * j : 5 + 4 * j]
            if isinstance(expected, Unknown):
                wanted = ",".join(sorted(expected.needs))
                assert (truth, negated, needs, open_needs) == (1, 1, wanted, wanted), (j, record)
            else:
                assert isinstance(expected, bool), j
                wanted_truth = (encode[expected], encode[not expected], "", None)
                assert (truth, negated, needs, open_needs) == wanted_truth, (j, record)


def test_a_project_the_sql_target_cannot_compile(tmp_path: Path) -> None:
    """A fact named as an SQL keyword cannot be a bare column on both engines: `--target sql`
    says so (exit 2), `--target python` still builds the validators."""
    root = _hostile_project(tmp_path / "p")
    policy = root / "policies" / "hostile.policy"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("hostile_kind", "order"), encoding="utf-8"
    )
    out = tmp_path / "build"
    assert main(["--root", str(root), "build", "--out", str(out), "--target", "sql"]) == 2
    assert main(["--root", str(root), "build", "--out", str(out), "--target", "python"]) == 0
    assert not (out / "validators" / "policyc_validators" / "sql").exists()
