"""台儿庄 二（三）、三（一）、三（二） read on case records: `policyc validate` on small JSONL
records, the status of each rule asserted from the text of policies/sources/taierzhuang.txt.

- The 审核审批流程 of 二（三） is written for 低保 and 特困人员救助供养 only ("镇（街）低保和
  特困人员救助供养审核审批工作按照以下流程开展"): its steps do not bind 临时救助 of either type.
- The 12-工作日 limit binds 低保、特困 and 支出型临时救助, not 急难型; a record saying only
  "临时救助" leaves it open until the type is given.
- When the 公示 of a 低保/特困 case met an objection, the objection branch's 10 工作日 governs, not
  the overall 12 工作日: the report must not pass the branch and fail the total for one case.
- 先核后保 (三（二）) yields to 急难型 先行救助 (二（三）: aid within 24 hours, papers afterwards).
- "配备1-2名兼职社会救助协理员": none is a breach, three is not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent


def validate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, *records: dict[str, Any]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Each record's checks by rule (a check the record gives no facts for is not listed)."""
    path = tmp_path / "records.jsonl"
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    main(["--root", str(ROOT), "validate", "--policy", "taierzhuang", str(path), "--json"])
    out, err = capsys.readouterr()
    assert err == ""
    report = json.loads(out)
    return {r["id"]: {c["rule"]: c for c in r["checks"]} for r in report["records"]}


def statuses(checks: dict[str, dict[str, Any]], *rules: str) -> dict[str, str]:
    return {rule: checks[rule]["status"] if rule in checks else "skipped" for rule in rules}


# The steps with a time limit; notice_period's length is notice_length's (both ends counted).
PROCEDURE_STEPS = ("check_and_visit", "approval_after_notice", "objection_review")


# ---------------------------------------------------------------- 二（三） the procedure's scope


def test_emergency_case_is_not_bound_by_the_dibao_tekun_procedure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 急难型: aid on the day, papers within 5 working days (due 2024-03-08); approved 35 days
    # after the application, checked on the same day: none of the 低保/特困 steps binds it.
    record = {
        "id": "E-1",
        "taierzhuang_case_programme": "temporary_emergency",
        "taierzhuang_application_date": "2024-03-01",
        "taierzhuang_checked_date": "2024-04-05",
        "public_notice_start_date": "2024-04-01",
        "public_notice_end_date": "2024-04-02",
        "objection_raised": False,
        "taierzhuang_approval_date": "2024-04-05",
        "emergency_found_date": "2024-03-01",
        "pre_aid_delivered_date": "2024-03-01",
        "taierzhuang_emergency_paperwork_date": "2024-03-06",
        "taierzhuang_emergency_registered": True,
        "taierzhuang_pre_aid_signatures_completed": True,
    }
    checks = validate(capsys, tmp_path, record)["E-1"]
    assert statuses(checks, "approval_limit", *PROCEDURE_STEPS, "notice_length") == dict.fromkeys(
        ("approval_limit", *PROCEDURE_STEPS, "notice_length"), "not_applicable"
    )
    assert statuses(checks, "pre_aid", "paperwork", "emergency_paperwork") == dict.fromkeys(
        ("pre_aid", "paperwork", "emergency_paperwork"), "pass"
    )
    assert "approval_process" not in checks  # the 12 days are approval_limit's, written once
    assert not [c for c in checks.values() if c["status"] in ("fail", "holds")]


def test_expenditure_case_keeps_the_12_days_but_not_the_steps(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 支出型: checked after 9 working days (the 8-day step would be due 2024-03-13), a 1-day
    # notice; approved after 10 working days, within the 12 (due 2024-03-19).
    record = {
        "id": "X-1",
        "taierzhuang_case_programme": "temporary_expenditure",
        "taierzhuang_application_date": "2024-03-01",
        "taierzhuang_checked_date": "2024-03-14",
        "public_notice_start_date": "2024-03-10",
        "public_notice_end_date": "2024-03-11",
        "taierzhuang_approval_date": "2024-03-15",
    }
    checks = validate(capsys, tmp_path, record)["X-1"]
    assert checks["approval_limit"]["status"] == "pass"
    assert "due 2024-03-19" in checks["approval_limit"]["message"]
    for rule in ("check_and_visit", "notice_length"):
        assert checks[rule]["status"] == "not_applicable", rule


# ---------------------------------------------------------------- 二（三） the objection branch


DIBAO_WITH_OBJECTION = {
    "taierzhuang_case_programme": "dibao",
    "taierzhuang_application_date": "2024-09-02",  # 12 working days: due 2024-09-19
    "taierzhuang_checked_date": "2024-09-10",  # 8 working days: due 2024-09-12
    "public_notice_start_date": "2024-09-11",
    "public_notice_end_date": "2024-09-14",
    "objection_raised": True,
    "taierzhuang_objection_received_date": "2024-09-13",  # 10 working days: due 2024-09-29
    "deliberation_held": True,
}


def test_objection_branch_governs_and_the_12_days_do_not_bind(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    in_time = {"id": "D-1", **DIBAO_WITH_OBJECTION, "taierzhuang_approval_date": "2024-09-26"}
    late = {"id": "D-2", **DIBAO_WITH_OBJECTION, "taierzhuang_approval_date": "2024-09-30"}
    report = validate(capsys, tmp_path, in_time, late)
    first, second = report["D-1"], report["D-2"]
    assert statuses(first, "approval_limit", *PROCEDURE_STEPS, "notice_length") == {
        "approval_limit": "not_applicable",
        "check_and_visit": "pass",
        "approval_after_notice": "not_applicable",
        "objection_review": "pass",
        "notice_length": "pass",
    }
    # One report, one answer: a case decided within the branch's 10 working days is not late.
    assert not [c for c in first.values() if c["status"] in ("fail", "holds")]
    # Late on the branch: the branch fails, and only the branch.
    assert second["objection_review"]["status"] == "fail"
    assert second["approval_limit"]["status"] == "not_applicable"
    assert [r for r, c in second.items() if c["status"] == "fail"] == ["objection_review"]


def test_without_objection_the_12_days_bind(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    record = {
        "id": "D-3",
        **DIBAO_WITH_OBJECTION,
        "objection_raised": False,
        "taierzhuang_approval_date": "2024-09-26",
    }
    del record["taierzhuang_objection_received_date"]
    checks = validate(capsys, tmp_path, record)["D-3"]
    assert checks["approval_limit"]["status"] == "fail"
    assert checks["objection_review"]["status"] == "not_applicable"
    assert checks["approval_after_notice"]["status"] == "fail"  # notice ended 09-14


def test_objection_not_stated_leaves_the_12_days_open(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    record = {
        "id": "D-4",
        "taierzhuang_case_programme": "dibao",
        "taierzhuang_application_date": "2024-09-02",
        "taierzhuang_approval_date": "2024-09-26",
    }
    checks = validate(capsys, tmp_path, record)["D-4"]
    assert checks["approval_limit"]["status"] == "undetermined"
    assert checks["approval_limit"]["needs"] == ["objection_raised"]


# ---------------------------------------------------------------- 临时救助 of no stated type


def test_untyped_temporary_aid_leaves_the_12_days_open(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base = {
        "taierzhuang_case_programme": "temporary",
        "taierzhuang_application_date": "2024-03-01",  # due 2024-03-19
        "taierzhuang_approval_date": "2024-04-05",
    }
    report = validate(
        capsys,
        tmp_path,
        {"id": "T-1", **base},
        {"id": "T-2", **base, "taierzhuang_temporary_is_expenditure": True},
        {"id": "T-3", **base, "taierzhuang_temporary_is_expenditure": False},
        {"id": "T-4", **base, "taierzhuang_approval_date": "2024-03-15"},
    )
    untyped = report["T-1"]["approval_limit"]
    assert untyped["status"] == "undetermined"
    assert untyped["needs"] == ["taierzhuang_temporary_is_expenditure"]
    assert report["T-2"]["approval_limit"]["status"] == "fail"
    assert report["T-3"]["approval_limit"]["status"] == "not_applicable"
    assert report["T-4"]["approval_limit"]["status"] == "pass"  # in time either way
    # Neither type is 低保 or 特困: the procedure's steps never bind 临时救助.
    for record in ("T-1", "T-2", "T-3"):
        assert report[record]["check_and_visit"]["status"] == "not_applicable"


# ---------------------------------------------------------------- 三（二） 先核后保


def test_emergency_pre_aid_is_not_bound_by_check_before_grant(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    after = {
        "taierzhuang_economic_check_done": True,
        "taierzhuang_economic_check_date": "2024-10-21",
        "taierzhuang_approval_date": "2024-10-18",
    }
    report = validate(
        capsys,
        tmp_path,
        {"id": "V-1", "taierzhuang_case_programme": "temporary_emergency", **after},
        {"id": "V-2", "taierzhuang_case_programme": "temporary_expenditure", **after},
        {"id": "V-3", "taierzhuang_case_programme": "dibao", **after},
        {"id": "V-4", "taierzhuang_case_programme": "temporary", **after},
    )
    assert report["V-1"]["verify_before_grant"]["status"] == "pass"
    assert report["V-2"]["verify_before_grant"]["status"] == "fail"
    assert report["V-3"]["verify_before_grant"]["status"] == "fail"
    untyped = report["V-4"]["verify_before_grant"]
    assert untyped["status"] == "undetermined"
    assert untyped["needs"] == ["taierzhuang_temporary_is_expenditure"]


# ---------------------------------------------------------------- 三（一） 1-2名兼职协理员


@pytest.mark.parametrize(
    ("assistants", "status"), [(0, "fail"), (1, "pass"), (2, "pass"), (3, "pass")]
)
def test_village_assistants(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, assistants: int, status: str
) -> None:
    record = {"id": "A-1", "taierzhuang_village_assistants": assistants}
    assert validate(capsys, tmp_path, record)["A-1"]["village_assistants"]["status"] == status
