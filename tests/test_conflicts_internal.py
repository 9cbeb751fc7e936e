"""Within one document, rules with different outcomes that can hold at once with no stated
precedence (compiler/conflicts/internal.py): the section, and `policyc check`'s W501 warnings.

The policy below is MADE UP for these tests (NOT REAL POLICY): a situation that an exclusion
does not override, and two requirements that cannot both be met."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import new_project
from syrupy.assertion import SnapshotAssertion

from compiler import codes, ir
from compiler.cli import main
from compiler.conflicts import internal
from compiler.conflicts.section import Section
from compiler.lower import load_program
from compiler.sources import Clause
from tests.conflicts_witnesses import (
    case_facts,
    generated_package,
    package_result,
    project_with,
    run_witness,
)

ROOT = Path(__file__).resolve().parent.parent

# NOT REAL POLICY: a made-up document.
TEXT = (
    "虚构办法（测试用，非真实政策）\n"
    "第一条 有下列情形之一的，予以免责：（一）甲；（二）乙。\n"
    "第二条 有丙情形的，对第一条（一）不予免责。\n"
    "第三条 补助金额不得低于1000元。\n"
    "第四条 补助金额不得超过500元。\n"
    "第五条 补助金额不得超过2000元。\n"
)


def _policy(sha: str, overrides: str) -> str:
    return f"""# NOT REAL POLICY: made up for tests/test_conflicts_internal.py.
policy madeup {{
    title "虚构办法（测试用）"
    jurisdiction "某市某区" city
    decision exemption "免责"
    status in_force
    source "sources/madeup.txt" sha256 "{sha}"
}}

informative at 序言 metadata "虚构办法"
fact madeup_a: bool "甲"
fact madeup_b: bool "乙"
fact madeup_c: bool "丙"
fact madeup_amount: money "补助金额"

outcome madeup_relief at 第一条 "予以免责" {{
    grants exempt
}}
situation madeup_sit_a at 第一条 "甲" {{
    when madeup_a
}}
situation madeup_sit_b at 第一条 "乙" {{
    when madeup_b
}}
exclusion madeup_excl_c at 第二条 "有丙情形的" {{
    when madeup_c
    {overrides}
}}
requirement madeup_floor at 第三条 "补助金额不得低于1000元" {{
    require madeup_amount >= 1000 yuan
}}
requirement madeup_cap at 第四条 "补助金额不得超过500元" {{
    require madeup_amount <= 500 yuan
}}
requirement madeup_upper at 第五条 "补助金额不得超过2000元" {{
    require madeup_amount <= 2000 yuan
}}
"""


def _made_up(path: Path, overrides: str = "overrides madeup_sit_a") -> Path:
    project = new_project(path)
    (project / "policies" / "sources").mkdir()
    (project / "policies" / "sources" / "madeup.txt").write_text(TEXT, encoding="utf-8")
    sha = hashlib.sha256(TEXT.encode()).hexdigest()
    text = _policy(sha, overrides)
    (project / "policies" / "madeup.policy").write_text(text, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def made_up(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _made_up(tmp_path_factory.mktemp("madeup") / "p")


@pytest.fixture(scope="module")
def made_up_program(made_up: Path) -> ir.Program:
    return load_program(made_up)


@pytest.fixture(scope="module")
def made_up_section(made_up_program: ir.Program) -> Section:
    return internal.section(made_up_program)


def _cite(policy: str, clause: Clause) -> str:
    return f"[{policy} {clause.citation}]"


def _json(section: Section) -> str:
    return json.dumps(section.json, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# ---------------------------------------------------------------- findings


def test_both_shapes_are_found(made_up_program: ir.Program) -> None:
    found = {(f.kind, f.first.name, f.second.name) for f in internal.findings(made_up_program)}
    assert found == {
        (internal.SITUATION_EXCLUSION, "madeup_sit_b", "madeup_excl_c"),
        # ≥ 1000 and ≤ 500 cannot both hold; ≤ 2000 is compatible with either.
        (internal.CONTRADICTORY, "madeup_floor", "madeup_cap"),
    }


def test_an_exclusion_that_overrides_all_states_the_precedence(tmp_path: Path) -> None:
    program = load_program(_made_up(tmp_path / "p", "overrides all"))
    kinds = [f.kind for f in internal.findings(program)]
    assert kinds == [internal.CONTRADICTORY]


# ---------------------------------------------------------------- policyc check


def test_check_reports_w501_as_warnings(
    made_up: Path, capsys: pytest.CaptureFixture[str], text_snapshot: SnapshotAssertion
) -> None:
    code = main(["--root", str(made_up), "check"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err.count("warning[W501]") == 2
    assert captured.err.rstrip().endswith("file(s) clean, 2 warning(s)")
    assert text_snapshot == captured.err.replace(str(made_up), "<project>")


def test_check_json_lists_the_warnings_with_both_clauses(
    made_up: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--root", str(made_up), "check", "--json"])
    assert code == 0
    found = [d for d in json.loads(capsys.readouterr().out) if d["code"] == codes.W501.id]
    assert [d["severity"] for d in found] == ["warning", "warning"]
    assert all(d["file"] == "policies/madeup.policy" and d["labels"] for d in found)
    assert "第三条" in found[1]["message"] and "第四条" in found[1]["message"]


def test_the_real_policies_have_none(capsys: pytest.CaptureFixture[str]) -> None:
    """On the documents transcribed today `policyc check` finds no pair: every exclusion (宁波
    第五条, 威海 四, 台儿庄 四（二）) overrides all situations, and the requirements that read a
    common fact (鹿城 三（五）'s two caps, 玉泉's payment dates, 台儿庄's delegation dates) can
    all be met at once."""
    assert main(["--root", str(ROOT), "check"]) == 0
    assert "W501" not in capsys.readouterr().err


# ---------------------------------------------------------------- the section


@pytest.mark.parametrize("kind", ["json", "markdown", "text"])
def test_section_snapshot(
    made_up_section: Section, kind: str, text_snapshot: SnapshotAssertion
) -> None:
    rendered = {
        "json": _json(made_up_section),
        "markdown": "\n".join(made_up_section.markdown(_cite)) + "\n",
        "text": "\n".join(made_up_section.text) + "\n",
    }[kind]
    assert rendered == text_snapshot


def test_deterministic(made_up_program: ir.Program, made_up_section: Section) -> None:
    again = internal.section(made_up_program)
    assert _json(again) == _json(made_up_section)
    assert again.markdown(_cite) == made_up_section.markdown(_cite)
    assert again.witnesses == made_up_section.witnesses
    assert internal.diagnostics(made_up_program) == internal.diagnostics(made_up_program)


def test_witnesses_verify_on_the_interpreter_and_the_package(
    made_up: Path, made_up_section: Section, tmp_path_factory: pytest.TempPathFactory
) -> None:
    witnesses = made_up_section.witnesses
    assert len(witnesses) == 3
    written = project_with(made_up, tmp_path_factory.mktemp("written"), witnesses)
    for w in witnesses:
        assert run_witness(written, w.name, w.policy) == (), w.name
    with generated_package(written, tmp_path_factory.mktemp("package")) as modules:
        for w in witnesses:
            outcome, statuses = package_result(
                modules, w.policy, case_facts(written, w.name, w.policy), w
            )
            assert outcome == w.expect, w.name
            assert statuses == dict(w.checks), w.name
