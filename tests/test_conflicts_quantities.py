"""The conflict report's quantities and boundaries sections (compiler/conflicts/quantities.py):
limits lined up by programme and shared concept with the due dates `policyc due` gives, and the
cases between two cities' limits, each a policy test verified by the interpreter and by the
generated package."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import new_project
from syrupy.assertion import SnapshotAssertion

from compiler import ir
from compiler.backends.site.page import EXAMPLE_START
from compiler.cli import main
from compiler.conflicts import quantities
from compiler.conflicts.section import Section
from compiler.lower import load_program
from compiler.policytests import run_case
from compiler.runtime.timelimits import load_calendar
from compiler.sources import Clause
from tests.conflicts_witnesses import (
    case_facts,
    generated_package,
    package_result,
    project_with,
    run_witness,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def program() -> ir.Program:
    return load_program(ROOT)


@pytest.fixture(scope="module")
def sections(program: ir.Program) -> tuple[Section, Section]:
    return quantities.sections(program, EXAMPLE_START)


def _cite(policy: str, clause: Clause) -> str:
    return f"[{policy} {clause.citation}]"


def _json(section: Section) -> str:
    return json.dumps(section.json, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _group(section: Section, key: str) -> dict[str, Any]:
    groups: list[dict[str, Any]] = section.json["groups"]  # type: ignore[assignment]
    return next(g for g in groups if g["key"] == key)


def _limits(group: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(x["policy"], x["limit"]): x for x in group["limits"]}


# ---------------------------------------------------------------- snapshots


@pytest.mark.parametrize("index", [0, 1], ids=["quantities", "boundaries"])
def test_json_snapshot(
    sections: tuple[Section, Section], index: int, text_snapshot: SnapshotAssertion
) -> None:
    assert _json(sections[index]) == text_snapshot


@pytest.mark.parametrize("index", [0, 1], ids=["quantities", "boundaries"])
def test_markdown_snapshot(
    sections: tuple[Section, Section], index: int, text_snapshot: SnapshotAssertion
) -> None:
    assert "\n".join(sections[index].markdown(_cite)) + "\n" == text_snapshot


@pytest.mark.parametrize("index", [0, 1], ids=["quantities", "boundaries"])
def test_text_snapshot(
    sections: tuple[Section, Section], index: int, text_snapshot: SnapshotAssertion
) -> None:
    assert "\n".join(sections[index].text) + "\n" == text_snapshot


def test_deterministic(program: ir.Program, sections: tuple[Section, Section]) -> None:
    again = quantities.sections(program, EXAMPLE_START)
    for one, two in zip(sections, again, strict=True):
        assert _json(one) == _json(two)
        assert one.markdown(_cite) == two.markdown(_cite)
        assert one.text == two.text
        assert one.witnesses == two.witnesses


# ---------------------------------------------------------------- what is lined up


def test_dibao_approval_side_by_side(sections: tuple[Section, Section]) -> None:
    limits = _limits(_group(sections[0], "programme:dibao"))
    yuquan = limits[("yuquan", "yuquan_dibao_approval")]
    taierzhuang = limits[("taierzhuang", "approval_limit")]
    assert (yuquan["count"], yuquan["unit"], yuquan["excluding"]) == (
        30,
        "workdays",
        "public_notice",
    )
    assert (taierzhuang["count"], taierzhuang["unit"], taierzhuang["excluding"]) == (
        12,
        "workdays",
        None,
    )
    assert yuquan["clause"] == "第四条（一）1" and taierzhuang["clause"] == "二（三）"


def test_emergency_aid_side_by_side(sections: tuple[Section, Section]) -> None:
    emergency = _limits(_group(sections[0], "programme:temporary_emergency"))
    assert emergency[("yuquan", "yuquan_emergency_approval")]["count"] == 3
    assert emergency[("yuquan", "yuquan_emergency_approval")]["unit"] == "days"
    assert emergency[("taierzhuang", "pre_aid")]["unit"] == "hours"
    pre_aid = _limits(_group(sections[0], "concept:emergency_pre_aid"))
    assert pre_aid[("lucheng", "pre_aid")]["count"] == 24
    assert pre_aid[("taierzhuang", "pre_aid")]["count"] == 24
    # 鹿城 and 台儿庄 count the same 24 hours between the same shared facts: alike, no case.
    alike = sections[1].json["limits_alike"]
    assert {(x["a"]["policy"], x["b"]["policy"]) for x in alike} == {  # type: ignore[attr-defined]
        ("lucheng", "taierzhuang")
    }


def test_staff_relief_limits_have_no_counterpart(sections: tuple[Section, Section]) -> None:
    alone = {(x["policy"], x["limit"]) for x in sections[0].json["no_counterpart"]}  # type: ignore[attr-defined]
    # Nothing in the model says that 宁波's 7 工作日 调查核实 and 威海's 7 工作日 告知 limit
    # the same procedure as anything elsewhere: listed apart, never paired by their words.
    assert {("ningbo", "ningbo_verification"), ("weihai", "notification")} <= alone


def test_due_dates_are_policyc_due(
    sections: tuple[Section, Section], capsys: pytest.CaptureFixture[str]
) -> None:
    """The section's due date is the one `policyc due` prints for the same start."""
    yuquan = _limits(_group(sections[0], "programme:dibao"))[("yuquan", "yuquan_dibao_approval")]
    code = main(
        ["--root", str(ROOT), "due", "yuquan", "第四条（一）1", "--start", "2024-09-27", "--json"]
    )
    out = capsys.readouterr().out
    assert code == 0
    entries = {e["limit"]: e for e in json.loads(out)["limits"]}
    assert entries["yuquan_dibao_approval"]["due"] == yuquan["due"] == "2024-11-13"


def test_another_start_date_moves_the_due_dates(program: ir.Program) -> None:
    later = quantities.quantities_json(program, date(2025, 1, 20))
    dibao = next(g for g in later["groups"] if g["key"] == "programme:dibao")
    due = {x["limit"]: x["due"] for x in dibao["limits"] if x["policy"] == "taierzhuang"}
    # 12 working days from Monday 2025-01-20 (not counted) cross 春节 (1月28日至2月4日放假,
    # 1月26日（日）、2月8日（六）上班): 1/21–1/24 (4), 1/26 (5), 1/27 (6), 2/5–2/7 (9), 2/8 (10),
    # 2/10 (11), 2/11 (12).
    assert due["approval_limit"] == "2025-02-11"


# ---------------------------------------------------------------- boundaries and witnesses


def test_boundary_cases_fall_between(sections: tuple[Section, Section]) -> None:
    cases = sections[1].json["limits"]
    assert cases, "no boundary case"
    for case in cases:  # type: ignore[attr-defined]
        assert {case["a"]["status"], case["b"]["status"]} == {"pass", "fail"}
        assert case["a"]["policy"] != case["b"]["policy"]
    dibao = next(c for c in cases if c["group"] == "programme:dibao")  # type: ignore[attr-defined]
    assert set(dibao["differs"]) == {"count", "excluding"}
    assert dibao["notice"] == ["2024-09-28", "2024-09-30"]


def test_witness_names_are_unique(sections: tuple[Section, Section]) -> None:
    names = [(w.policy, w.name) for w in sections[1].witnesses]
    assert len(names) == len(set(names))
    assert all(w.checks for w in sections[1].witnesses)


@pytest.fixture(scope="module")
def written(
    sections: tuple[Section, Section], tmp_path_factory: pytest.TempPathFactory
) -> ir.Program:
    """The project with every boundary witness written out as a policy test."""
    return project_with(ROOT, tmp_path_factory.mktemp("witnesses"), sections[1].witnesses)


def test_witnesses_pass_as_policy_tests(
    sections: tuple[Section, Section], written: ir.Program
) -> None:
    for w in sections[1].witnesses:
        assert run_witness(written, w.name, w.policy) == (), w.name


def test_a_wrong_expectation_fails(written: ir.Program, sections: tuple[Section, Section]) -> None:
    """The written-out checks are not vacuous: the opposite status fails on the interpreter."""
    for w in sections[1].witnesses:
        policy = written.policies[w.policy]
        case = next(c for c in policy.cases if c.name == w.name)
        flipped = tuple(
            dataclasses.replace(x, status={"pass": "fail", "fail": "pass"}[x.status])
            for x in case.record_checks
        )
        wrong = dataclasses.replace(case, record_checks=flipped)
        assert run_case(written, policy, wrong, load_calendar()).failures, w.name


def test_witnesses_agree_with_the_generated_package(
    sections: tuple[Section, Section],
    written: ir.Program,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with generated_package(written, tmp_path_factory.mktemp("package")) as modules:
        for w in sections[1].witnesses:
            outcome, statuses = package_result(
                modules, w.policy, case_facts(written, w.name, w.policy), w
            )
            assert outcome is None
            assert statuses == dict(w.checks), w.name


def test_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/conflicts_quantities.py", "--repeat", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "boundaries:" in result.stdout


# ---------------------------------------------------------------- made-up cities (NOT REAL POLICY)

# Three made-up documents (NOT REAL POLICY) limiting 低保 approval with one count each:
# 5 工作日, 5 日, and 5 工作日 不含公示期: the boundaries 日 against 工作日 and 含 against
# 不含公示期, which the real documents do not draw on one procedure.
_MADE_UP = {
    "madeup_workdays": ("5个工作日", "within 5 workdays from {p}_start until {p}_end"),
    "madeup_days": ("5日", "within 5 days from {p}_start until {p}_end"),
    "madeup_notice": (
        "5个工作日（不含公示期）",
        "within 5 workdays from {p}_start until {p}_end\n        excluding public_notice"
        " from public_notice_start_date until public_notice_end_date",
    ),
}


def _made_up_cities(path: Path) -> Path:
    project = new_project(path)
    sources = project / "policies" / "sources"
    sources.mkdir()
    for policy, (words, within) in _MADE_UP.items():
        text = f"虚构办法（测试用，非真实政策）\n第一条 低保审批在{words}内完成。\n"
        (sources / f"{policy}.txt").write_text(text, encoding="utf-8")
        sha = hashlib.sha256(text.encode()).hexdigest()
        (project / "policies" / f"{policy}.policy").write_text(
            f"""# NOT REAL POLICY: made up for tests/test_conflicts_quantities.py.
policy {policy} {{
    title "虚构办法（测试用）"
    jurisdiction "某市{policy}区" city
    status in_force
    source "sources/{policy}.txt" sha256 "{sha}"
}}

informative at 序言 metadata "虚构办法"
fact {policy}_programme: enum programme "社会救助项目"
fact {policy}_start: date "受理之日"
fact {policy}_end: date "审批之日"

deadline {policy}_approval at 第一条 "低保审批在{words}内完成" {{
    {within.format(p=policy)}
    when {policy}_programme == dibao
}}
""",
            encoding="utf-8",
        )
    return project


@pytest.fixture(scope="module")
def made_up_cities(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ir.Program]:
    project = _made_up_cities(tmp_path_factory.mktemp("cities") / "p")
    return project, load_program(project)


def test_days_against_workdays_and_the_excluded_notice(
    made_up_cities: tuple[Path, ir.Program], tmp_path_factory: pytest.TempPathFactory
) -> None:
    project, program = made_up_cities
    pairs = quantities.boundaries(program, EXAMPLE_START)
    found = {
        (b.a.policy.id, b.b.policy.id): (b.differs, b.end, b.status_a, b.status_b)
        for b in pairs.between
    }
    # From Friday 2024-09-27: 5 日 reach 10月2日, in 国庆, and move to 10月8日; 5 工作日
    # are 9月29日（调休上班）, 9月30日, 10月8日, 9日, 10日.  Completed on 10月9日: 5 日 is
    # late, 5 工作日 is in time.
    assert found[("madeup_days", "madeup_workdays")] == (
        ("unit",),
        date(2024, 10, 9),
        "fail",
        "pass",
    )
    # A 公示期 of 9月28日–30日 (two of its days are working days, 9月29日 and 30日) not counted:
    # 5 工作日 不含公示期 are 10月8日 to 11日 and 12日（调休上班）; completed on 10月11日, the
    # limit that counts the notice is already late.
    assert found[("madeup_notice", "madeup_workdays")] == (
        ("excluding",),
        date(2024, 10, 11),
        "pass",
        "fail",
    )
    witnesses = quantities.boundaries_section(program, EXAMPLE_START).witnesses
    written = project_with(project, tmp_path_factory.mktemp("written"), witnesses)
    for w in witnesses:
        assert run_witness(written, w.name, w.policy) == (), w.name
