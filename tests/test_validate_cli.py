"""`policyc validate`, `due`, `build` and the audit trail of `decide`: exit codes, reports in
text, JSON and JUnit XML, due dates on the official calendar, and all-or-nothing builds."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import compiler.build
from compiler.build import MARKER
from compiler.cli import main
from tests.engines import WEEKENDS_ONLY_2031

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "cases"
VALID = CASES / "taierzhuang_valid.jsonl"
FINDINGS = CASES / "taierzhuang_findings.csv"
MALFORMED = CASES / "taierzhuang_malformed.json"
VERSION_KEYS = {"policy_sha256", "source_sha256", "vocabulary_sha256"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--root", str(ROOT), *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def validate_json(capsys: pytest.CaptureFixture[str], *cases: Path) -> tuple[int, Any]:
    code, out, err = run(
        capsys, "validate", "--policy", "taierzhuang", *map(str, cases), "--format", "json"
    )
    assert err == ""
    return code, json.loads(out)


def all_checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [check for record in report["records"] for check in record["checks"]]


# ---------------------------------------------------------------- validate: exit codes, text


def test_validate_valid_records_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", "--policy", "taierzhuang", str(VALID))
    assert code == 0, err
    assert "taierzhuang: 2 record(s), 0 finding(s)" in out
    assert "FAIL" not in out
    assert "clauses exercised by the records:" in out
    assert "policy version: policy_sha256" in out


def test_validate_reads_standard_input_given_its_format(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`zcat cases.jsonl.gz | policyc validate --policy P --input-format jsonl -`: the report
    of the same file, its records named `<stdin>`; without the format, exit 2 saying so."""
    wanted = run(capsys, "validate", "--policy", "taierzhuang", str(FINDINGS))
    stdin = io.TextIOWrapper(io.BytesIO(FINDINGS.read_bytes()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    argv = ("validate", "--policy", "taierzhuang", "--input-format", FINDINGS.suffix[1:], "-")
    assert run(capsys, *argv) == (wanted[0], wanted[1].replace(FINDINGS.name, "<stdin>"), "")
    code, out, err = run(capsys, "validate", "--policy", "taierzhuang", "-")
    assert (code, out) == (2, "")
    assert "standard input has no file name to tell its format by; add --input-format" in err


def test_validate_findings_exit_1_and_name_rules_and_clauses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "validate", "--policy", "taierzhuang", str(FINDINGS))
    assert code == 1
    fails = sorted(line for line in out.splitlines() if ": FAIL " in line)
    assert [line.split(" [")[0] for line in fails] == [
        "TEZ-2024-101: FAIL approval_limit",
        "TEZ-2024-101: FAIL check_and_visit",
        "TEZ-2024-102: FAIL township_staffing",
    ]
    assert "TEZ-2024-101: FAIL approval_limit [taierzhuang 二（三）]" in out
    assert "TEZ-2024-102: FAIL township_staffing [taierzhuang 三（一）]" in out
    # 12 working days after Fri 2024-09-27, across the National Day holiday: 2024-10-18.
    assert "due 2024-10-18; taierzhuang_approval_date 2024-10-25 is late" in out
    assert "taierzhuang: 2 record(s), 3 finding(s)" in out
    # 3 assistants in a village: "配备1-2名" asks for at least one, three is no breach.
    assert "TEZ-2024-102: FAIL village_assistants" not in out


def test_validate_malformed_exit_2_names_record_and_field(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "validate", "--policy", "taierzhuang", str(MALFORMED))
    assert code == 2
    assert out == ""  # no partial report
    assert err.startswith("policyc: record TEZ-2024-202: field 'taierzhuang_application_date'")
    assert "27/09/2024" in err


def test_validate_several_files_in_one_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = validate_json(capsys, VALID, FINDINGS)
    assert code == 1
    assert [r["id"] for r in report["records"]] == [
        "TEZ-2024-001",
        "TEZ-2024-002",
        "TEZ-2024-101",
        "TEZ-2024-102",
    ]
    assert report["summary"]["findings"] == 3


def test_validate_malformed_among_good_files_is_still_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "validate", "--policy", "taierzhuang", str(VALID), str(MALFORMED))
    assert code == 2 and out == ""
    assert "TEZ-2024-202" in err


# ---------------------------------------------------------------- validate --format json


def test_validate_json_report_structure(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = validate_json(capsys, FINDINGS)
    assert code == 1
    assert report["policy"] == "taierzhuang"
    version = report["version"]
    assert set(version) == VERSION_KEYS
    assert all(len(v) == 64 and int(v, 16) >= 0 for v in version.values())
    summary = report["summary"]
    checkable, exercised = summary["clauses_checkable"], summary["clauses_exercised"]
    assert exercised and set(exercised) <= set(checkable)
    assert summary["clauses_not_exercised"] == [c for c in checkable if c not in exercised]
    assert len(checkable) == len(set(checkable))
    assert summary["records"] == len(report["records"]) == 2
    checks = all_checks(report)
    assert checks
    for check in checks:
        assert check["clause"] and check["quote"], check
        assert check["status"] != "skipped"  # skipped checks are counted, not listed
    failing = [c for c in checks if c["status"] in ("fail", "holds")]
    assert summary["findings"] == len(failing) == 3
    assert summary["findings"] == sum(r["findings"] for r in report["records"])
    counted = {k: v for k, v in summary["checks"].items() if k != "skipped"}
    listed: dict[str, int] = {}
    for check in checks:
        listed[check["status"]] = listed.get(check["status"], 0) + 1
    assert counted == listed
    exercised_by_checks = {
        c["clause"] for c in checks if c["status"] in ("pass", "fail", "holds", "not_applicable")
    }
    assert set(exercised) == exercised_by_checks
    by_rule = {(r["id"], c["rule"]): c for r in report["records"] for c in r["checks"]}
    limit = by_rule[("TEZ-2024-101", "approval_limit")]
    assert (limit["status"], limit["clause"], limit["kind"]) == ("fail", "二（三）", "time_limit")
    assert "12个工作日" in limit["quote"]
    staffing = by_rule[("TEZ-2024-102", "township_staffing")]
    assert (staffing["status"], staffing["clause"]) == ("fail", "三（一）")


def test_validate_json_version_is_the_audit_trail(capsys: pytest.CaptureFixture[str]) -> None:
    _code, report = validate_json(capsys, VALID)
    version = report["version"]
    policy_file = ROOT / "policies" / "taierzhuang.policy"
    assert version["policy_sha256"] == hashlib.sha256(policy_file.read_bytes()).hexdigest()
    sums = (ROOT / "policies" / "sources" / "SHA256SUMS").read_text(encoding="utf-8")
    assert f"{version['source_sha256']}  taierzhuang.txt" in sums.splitlines()
    policy_ids = {p.stem for p in (ROOT / "policies").glob("*.policy")} - {
        "vocabulary",
        "concepts",
    }
    digest = hashlib.sha256()
    for path in sorted((ROOT / "policies").glob("*.policy")):
        if path.stem not in policy_ids:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    assert version["vocabulary_sha256"] == digest.hexdigest()


def test_validate_json_valid_records_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = validate_json(capsys, VALID)
    assert code == 0
    assert report["summary"]["findings"] == 0
    statuses = {c["status"] for c in all_checks(report)}
    assert "pass" in statuses and not statuses & {"fail", "holds"}
    first = {c["rule"]: c for c in report["records"][0]["checks"]}
    # Approved 2024-10-16: within 12 working days of 2024-09-27 (due 2024-10-18).
    assert first["approval_limit"]["status"] == "pass"
    assert "due 2024-10-18" in first["approval_limit"]["message"]


def test_json_flag_equals_format_json(capsys: pytest.CaptureFixture[str]) -> None:
    for cases in (VALID, FINDINGS):
        code_a, out_a, _ = run(capsys, "validate", "--policy", "taierzhuang", str(cases), "--json")
        code_b, out_b, _ = run(
            capsys, "validate", "--policy", "taierzhuang", str(cases), "--format", "json"
        )
        assert (code_a, out_a) == (code_b, out_b)
        json.loads(out_a)


# ---------------------------------------------------------------- validate --format junit


def test_validate_junit_agrees_with_json(capsys: pytest.CaptureFixture[str]) -> None:
    _code, report = validate_json(capsys, FINDINGS)
    code, out, _ = run(
        capsys, "validate", "--policy", "taierzhuang", str(FINDINGS), "--format", "junit"
    )
    assert code == 1
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    suite = ET.fromstring(out)
    assert suite.tag == "testsuite"
    assert suite.get("name") == "policyc.taierzhuang"
    checks = all_checks(report)
    cases = suite.findall("testcase")
    assert int(suite.get("tests", "-1")) == len(cases) == len(checks)
    failures = [case for case in cases if case.find("failure") is not None]
    assert int(suite.get("failures", "-1")) == len(failures) == report["summary"]["findings"]
    undetermined = report["summary"]["checks"].get("undetermined", 0)
    assert int(suite.get("skipped", "-1")) == undetermined
    assert suite.get("errors") == "0"
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties == report["version"]
    failed = sorted((case.get("classname"), case.get("name")) for case in failures)
    assert failed == [
        ("taierzhuang.TEZ-2024-101", "approval_limit 二（三）"),
        ("taierzhuang.TEZ-2024-101", "check_and_visit 二（三）"),
        ("taierzhuang.TEZ-2024-102", "township_staffing 三（一）"),
    ]
    for case in failures:
        failure = case.find("failure")
        assert failure is not None and failure.text is not None
        clause = str(case.get("name")).split(" ", 1)[1]
        assert failure.text.startswith(f"{clause}: ")  # the clause and its quote
        assert failure.get("message")


def test_validate_junit_of_valid_records_has_no_failures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys, "validate", "--policy", "taierzhuang", str(VALID), "--format", "junit"
    )
    assert code == 0
    suite = ET.fromstring(out)
    assert suite.get("failures") == "0"
    assert int(suite.get("tests", "0")) > 0
    assert not list(suite.iter("failure"))


# ---------------------------------------------------------------- validate: bad input


def test_validate_unknown_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", "--policy", "nosuch", str(VALID))
    assert code == 2 and out == ""
    assert "no policy 'nosuch'" in err and "taierzhuang" in err


def test_validate_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "validate", "--policy", "taierzhuang", str(tmp_path / "x.csv"))
    assert code == 2 and out == ""
    assert "x.csv" in err and "cannot read" in err


def test_validate_unknown_extension(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "cases.xml"
    path.write_text("<cases/>", encoding="utf-8")
    code, _out, err = run(capsys, "validate", "--policy", "taierzhuang", str(path))
    assert code == 2
    assert "unknown format '.xml'" in err


RECORD_2031 = {
    "id": "TEZ-2031-001",
    "taierzhuang_application_date": "2031-01-06",
    "taierzhuang_approval_date": "2031-01-20",
}
# After 2050 not even the statutory holidays are bundled.
RECORD_2051 = {
    "id": "TEZ-2051-001",
    "taierzhuang_application_date": "2051-01-06",
    "taierzhuang_approval_date": "2051-01-20",
}


def test_validate_year_outside_the_calendar(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "late.jsonl"
    path.write_text(json.dumps(RECORD_2051) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "validate", "--policy", "taierzhuang", str(path))
    assert code == 2 and out == ""
    assert "2051" in err and "--calendar" in err
    assert "2004" in err and "2026" in err  # what the bundled calendar covers


def test_validate_with_a_calendar_for_the_year(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "late.jsonl"
    path.write_text(json.dumps(RECORD_2031) + "\n", encoding="utf-8")
    calendar = tmp_path / "cn_2031.json"
    # A made-up schedule with no holidays: only weekends are off.
    calendar.write_text(json.dumps(WEEKENDS_ONLY_2031), encoding="utf-8")
    code, out, err = run(
        capsys,
        "validate",
        "--policy",
        "taierzhuang",
        str(path),
        "--calendar",
        str(calendar),
        "--json",
    )
    assert code == 0, err
    checks = {c["rule"]: c for c in json.loads(out)["records"][0]["checks"]}
    # Mon 2031-01-06 + 12 working days, weekends off: Wed 2031-01-22.
    assert checks["approval_limit"]["status"] == "pass"
    assert "due 2031-01-22" in checks["approval_limit"]["message"]


# ---------------------------------------------------------------- due


def workdays_after_2024_09_27(count: int) -> date:
    """Counted by hand from the State Council's 2024 schedule: National Day off 10-01..10-07,
    adjusted working days Sun 09-29 and Sat 10-12; the start day not counted."""
    off = {date(2024, 10, d) for d in range(1, 8)}
    extra = {date(2024, 9, 29), date(2024, 10, 12)}
    day, left = date(2024, 9, 27), count
    while left:
        day += timedelta(days=1)
        if day in extra or (day.weekday() < 5 and day not in off):
            left -= 1
    return day


EXPECTED_DUE = {
    # limit: (count, unit, due)
    "approval_limit": (12, "workdays", "2024-10-18"),
    "check_and_visit": (8, "workdays", "2024-10-14"),
    "paperwork": (5, "workdays", "2024-10-10"),
    "objection_review": (10, "workdays", "2024-10-16"),
    # 1 day from Friday 09-27 counts to Saturday 09-28, a day off: the last day moves to the
    # next working day, Sunday 09-29 (an adjusted working day), 民法典 第二百零三条.
    "approval_after_notice": (1, "days", "2024-09-29"),
    "pre_aid": (24, "hours", None),
}


def test_hand_count_of_the_expected_due_dates() -> None:
    for count, unit, due in EXPECTED_DUE.values():
        if unit == "workdays":
            assert workdays_after_2024_09_27(count).isoformat() == due


def test_due_lists_every_limit_of_the_clause(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "due", "taierzhuang", "二（三）", "--start", "2024-09-27", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["policy"] == "taierzhuang"
    assert report["start"] == "2024-09-27"
    assert report["calendar"] == [2004, 2026]
    entries = {e["limit"]: e for e in report["limits"]}
    assert len(entries) == len(report["limits"]) == 6
    assert {name: (e["count"], e["unit"], e["due"]) for name, e in entries.items()} == EXPECTED_DUE
    for entry in report["limits"]:
        assert entry["clause"] == "二（三）"
        assert entry["label"] and entry["from"] and entry["until"]
    assert "24 hours" in entries["pre_aid"]["note"]
    moved = entries["approval_after_notice"]
    assert moved["counted"] == "2024-09-28"
    assert "moved from 2024-09-28" in moved["note"] and "民法典 第二百零三条" in moved["note"]
    assert "counted" not in entries["approval_limit"]


def test_due_with_half_width_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    _, full, _ = run(capsys, "due", "taierzhuang", "二（三）", "--start", "2024-09-27", "--json")
    code, half, err = run(capsys, "due", "taierzhuang", "二(三)", "--start", "2024-09-27", "--json")
    assert code == 0, err
    assert half == full


def test_due_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "due", "taierzhuang", "二（三）", "--start", "2024-09-27")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 6
    assert "approval_limit [二（三）] 12 workdays from 2024-09-27: 2024-10-18" in lines
    assert (
        "approval_after_notice [二（三）] 1 days from 2024-09-27: 2024-09-29 (moved from "
        "2024-09-28, a 法定休假日 on the official calendar, to the next working day per "
        "民法典 第二百零三条)"
    ) in lines


def test_due_clause_without_a_limit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "due", "taierzhuang", "三（一）", "--start", "2024-09-27")
    assert code == 2 and out == ""
    assert "三（一）" in err and "no time limit" in err
    assert "clauses with limits: 二（三）" in err


def test_due_unknown_clause(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "due", "taierzhuang", "九（九）", "--start", "2024-09-27")
    assert code == 2 and out == ""
    assert "no clause 九（九）" in err


def test_due_bad_start_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "due", "taierzhuang", "二（三）", "--start", "27/09/2024")
    assert code == 2
    assert "YYYY-MM-DD" in err


def test_due_outside_the_calendar(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "due", "taierzhuang", "二（三）", "--start", "2051-01-06")
    assert code == 2 and out == ""
    assert "--calendar" in err


def test_due_unknown_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "due", "nosuch", "二（三）", "--start", "2024-09-27")
    assert code == 2
    assert "no policy 'nosuch'" in err


# ---------------------------------------------------------------- decide: the audit trail


def test_decide_json_includes_the_version(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, validated = validate_json(capsys, VALID)
    facts = tmp_path / "facts.json"
    facts.write_text("{}", encoding="utf-8")
    for policy_id in ("taierzhuang", "ningbo"):
        code, out, err = run(capsys, "decide", policy_id, "--facts", str(facts), "--json")
        assert code == 0, err
        report = json.loads(out)
        assert report["policy"] == policy_id
        assert set(report["version"]) == VERSION_KEYS
        policy_file = ROOT / "policies" / f"{policy_id}.policy"
        digest = hashlib.sha256(policy_file.read_bytes()).hexdigest()
        assert report["version"]["policy_sha256"] == digest
        if policy_id == "taierzhuang":
            assert report["version"] == validated["version"]


def test_decide_rejects_facts_that_are_not_an_object(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "decide", "taierzhuang", "--facts", str(MALFORMED), "--json")
    assert code == 2 and out == ""
    assert "JSON object" in err


# ---------------------------------------------------------------- build


def tree(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_build_writes_the_validators_reproducibly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run(capsys, "build", "--out", str(out_dir), "--json")
    assert code == 0, err
    summary = json.loads(out)
    first = tree(out_dir)
    assert summary == {"output": str(out_dir), "files": len(first)}
    # The default target writes both the validators and the SQL (docs/sql.md).
    assert all(path.startswith(("validators/", "sql/")) for path in first if path != MARKER)
    assert "sql/taierzhuang.sql" in first
    assert MARKER in first  # what the build owns
    for part in (
        "validators/pyproject.toml",
        "validators/README.md",
        "validators/policyc_validators/__init__.py",
        "validators/policyc_validators/__main__.py",
        "validators/policyc_validators/taierzhuang.py",
        "validators/policyc_validators/schemas/taierzhuang.schema.json",
        "validators/policyc_validators/runtime/records.py",
        "validators/policyc_validators/runtime/data/cn_workdays.json",
    ):
        assert part in first
    # The runtime is copied verbatim.
    runtime = ROOT / "compiler" / "runtime" / "records.py"
    assert first["validators/policyc_validators/runtime/records.py"] == runtime.read_bytes()
    code, _, err = run(capsys, "build", "--out", str(out_dir))
    assert code == 0
    assert "wrote" in err
    assert tree(out_dir) == first  # byte-identical
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind


def test_failed_build_leaves_the_previous_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir = tmp_path / "out"
    assert run(capsys, "build", "--out", str(out_dir))[0] == 0
    before = tree(out_dir)

    def broken(*_args: object) -> dict[str, bytes]:
        raise RuntimeError("generator exploded")

    monkeypatch.setattr(compiler.build, "package_from", broken)
    code, _out, err = run(capsys, "build", "--out", str(out_dir))
    assert code != 0
    assert "generator exploded" in err
    assert tree(out_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_build_failing_while_writing_leaves_the_previous_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir = tmp_path / "out"
    assert run(capsys, "build", "--out", str(out_dir))[0] == 0
    before = tree(out_dir)

    def half_writable(*_args: object) -> dict[str, bytes]:
        # Many files first, then one whose parent is a file: the write fails part-way.
        files = {f"validators/new_{i}.txt": b"new" for i in range(5)}
        files["validators/new_0.txt/inside"] = b"cannot be written"
        return files

    monkeypatch.setattr(compiler.build, "assemble", half_writable)
    code, _out, _err = run(capsys, "build", "--out", str(out_dir))
    assert code != 0
    assert tree(out_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_build_directory_follows_the_umask(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    assert run(capsys, "build", "--out", str(out_dir))[0] == 0
    reference = tmp_path / "reference"
    reference.mkdir()  # what the umask gives a new directory
    assert out_dir.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777


def _dibao_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, notice: tuple[str, str]
) -> dict[str, Any]:
    record = {
        "id": "YQ-1",
        "yuquan_programme": "dibao",
        "yuquan_application_accepted_date": "2024-09-27",
        "yuquan_approval_completed_date": "2024-11-20",
        "public_notice_start_date": notice[0],
        "public_notice_end_date": notice[1],
    }
    cases = tmp_path / "yq.jsonl"
    cases.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "validate", "--policy", "yuquan", str(cases), "--json")
    assert code in (0, 1), err
    checks = json.loads(out)["records"][0]["checks"]
    return next(c for c in checks if c["rule"] == "yuquan_dibao_approval")


def test_public_notice_period_does_not_count(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 30 workdays from 2024-09-27 is 2024-11-13; not counting a notice of 10-08..10-14 (five
    # workdays and the adjusted Saturday 10-12) moves it to 2024-11-21.
    assert _dibao_check(capsys, tmp_path, ("2024-10-08", "2024-10-14"))["status"] == "pass"


def test_a_notice_period_in_the_wrong_order_is_undetermined_not_a_crash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    check = _dibao_check(capsys, tmp_path, ("2024-10-14", "2024-10-08"))
    assert check["status"] == "undetermined"
    assert "out of order" in check["message"]
    assert set(check["needs"]) == {"public_notice_start_date", "public_notice_end_date"}


def _yuquan_statuses(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, record: dict[str, Any]
) -> dict[str, str]:
    cases = tmp_path / "yq.jsonl"
    cases.write_text(json.dumps({"id": "YQ-2", **record}, ensure_ascii=False) + "\n", "utf-8")
    code, out, err = run(capsys, "validate", "--policy", "yuquan", str(cases), "--json")
    assert code in (0, 1), err
    return {c["rule"]: c["status"] for c in json.loads(out)["records"][0]["checks"]}


@pytest.mark.parametrize(
    ("notice", "approved", "status"),
    [
        # 2024-10-25 is the 17th working day (the 28th calendar day) after Fri 2024-09-27.
        (None, "2024-10-25", "pass"),
        # 22 working days across the National Day holiday end on 2024-11-01.
        (None, "2024-11-01", "pass"),
        # Not counting a notice Mon 10-14 .. Wed 10-16 (不含公示期), 22 working days end on 11-06.
        (("2024-10-14", "2024-10-16"), "2024-11-06", "pass"),
        (("2024-10-14", "2024-10-16"), "2024-11-07", "fail"),
    ],
)
def test_yuquan_expenditure_approval_is_the_22_workday_limit(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    notice: tuple[str, str] | None,
    approved: str,
    status: str,
) -> None:
    # 玉泉 第四条（二） "对支出型救助对象的审批在22日内完成" is the 22 工作日 (不含公示期) of
    # 第四条（一）1 for 临时救助, not a second limit in calendar days.
    record = {
        "yuquan_programme": "temporary_expenditure",
        "yuquan_application_accepted_date": "2024-09-27",
        "yuquan_approval_completed_date": approved,
    }
    if notice is not None:
        record["public_notice_start_date"], record["public_notice_end_date"] = notice
    statuses = _yuquan_statuses(capsys, tmp_path, record)
    assert statuses["yuquan_expenditure_approval"] == status
    assert statuses["yuquan_temporary_approval"] == status


@pytest.mark.parametrize(("persons", "status"), [(0, "fail"), (1, "pass"), (2, "pass")])
def test_yuquan_bank_statement_sample_is_at_least_one_person(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, persons: int, status: str
) -> None:
    # 玉泉 第十五条 "选取1名低保、特困人员": a minimum sample; reporting two is no breach.
    statuses = _yuquan_statuses(
        capsys,
        tmp_path,
        {"yuquan_statement_sample_persons": persons, "yuquan_payment_vouchers_reported": True},
    )
    assert statuses["yuquan_bank_statement_sample"] == status
