"""The command line: verbs, exit codes, JSON outputs, and no tracebacks on bad input."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from compiler import codes
from compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--root", str(ROOT), *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_check_clean_project(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check")
    assert code == 0, err
    assert "clean" in err


def test_check_counts_with_thousands_separators(capsys: pytest.CaptureFixture[str]) -> None:
    """At province scale the summary said `3002 file(s) clean`; the build said `wrote 24,031
    file(s)`."""
    from compiler.cli import _report_check
    from compiler.diagnostics import Diagnostic
    from compiler.nodes import Span

    files = {f"policies/p{i}.policy" for i in range(3002)}
    assert _report_check(argparse.Namespace(json=False), [], files) == 0
    assert capsys.readouterr().err == "policyc check: 3,002 file(s) clean\n"
    errors = [Diagnostic(codes.E101, "x", Span(f, 1, 1, 1, 2)) for f in sorted(files)[:1234]]
    assert _report_check(argparse.Namespace(json=False), errors, files) == 1
    assert capsys.readouterr().err.endswith("policyc check: 1,234 error(s) in 3,002 file(s)\n")


def test_check_json_is_a_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--json")
    assert code == 0
    assert json.loads(out) == []


def test_check_reports_errors_with_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.policy"
    bad.write_text('fact a: bool "甲"\nfact a: int "乙"\n', encoding="utf-8")
    code, _out, err = run(capsys, "check", str(bad))
    assert code == 1
    assert "E100" in err and "bad.policy:2:1" in err


def test_check_json_diagnostics(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.policy"
    bad.write_text('fact a: bool "甲"\nfact a: int "乙"\n', encoding="utf-8")
    code, out, _ = run(capsys, "check", "--json", str(bad))
    assert code == 1
    [diagnostic] = json.loads(out)
    assert diagnostic["code"] == "E100"
    assert (diagnostic["line"], diagnostic["column"]) == (2, 1)
    # The first declaration is a secondary location, as data rather than help text.
    [label] = diagnostic["labels"]
    assert label["file"].endswith("bad.policy")
    assert (label["line"], label["column"], label["end_line"]) == (1, 1, 1)
    assert label["end_column"] > label["column"]
    assert label["message"] == "first declared here"
    assert diagnostic["help"] == []


def test_check_missing_path_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "no/such/file.policy")
    assert code == 2
    assert "no such file" in err


def test_unknown_verb_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_coverage_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "coverage", "--json", "ningbo")
    assert code == 0
    [report] = json.loads(out)
    assert report["policy"] == "ningbo"
    assert report["covered"] == report["total"] > 0
    assert {c["status"] for c in report["clauses"]} <= {"cited", "informative", "heading"}


def test_coverage_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "coverage", "ningbo")
    assert code == 0
    assert out.startswith("ningbo: ")
    assert "第四条（一）2" in out


def test_coverage_unknown_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "coverage", "atlantis")
    assert code == 2
    assert "no policy atlantis" in err


def test_test_verb_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "test")
    assert code == 0, out
    assert " passed, 0 failed" in out


def test_test_verb_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "test", "--json", "ningbo")
    assert code == 0
    results = json.loads(out)
    assert results and all(r["passed"] and r["policy"] == "ningbo" for r in results)


def test_decide_undetermined_lists_missing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text("{}", encoding="utf-8")
    code, out, _ = run(capsys, "decide", "ningbo", "--facts", str(facts), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["outcome"] == "undetermined"
    assert report["missing"], "an empty case must name the facts it needs"


def test_decide_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"abused_power": true}'))
    code, out, _ = run(capsys, "decide", "ningbo", "--facts", "-", "--json")
    assert code == 0
    assert json.loads(out)["outcome"] == "excluded"


# 威海 三（一） holds and no 不予容错 situation does; 五（四）: tolerated, still accountable.
WEIHAI_TOLERATED = {
    "reform_pilot_error": True,
    "weihai_reform_error_non_subjective": True,
    "weihai_violated_political_discipline": False,
    "weihai_violated_eight_point_rules": False,
    "weihai_serious_violation": False,
    "sought_improper_benefit": False,
    "weihai_other_non_tolerable": False,
    "weihai_per_relevant_rules": True,
    "weihai_still_accountable": True,
}


def test_decide_json_grants_by_the_outcomes_conditions(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 五（四） "对于仍需问责的，酌情从轻、减轻或者免责处理": still accountable, 酌情 not yet
    # judged, so the three are pending on that judgment; 三's tolerance is granted.
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(WEIHAI_TOLERATED)))
    code, out, _ = run(capsys, "decide", "weihai", "--facts", "-", "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["outcome"], report["grants"]) == ("applies", ["tolerated"])
    assert report["pending_grants"] == [
        {
            "grant": grant,
            "outcome": "still_accountable",
            "clause": "五（四）",
            "needs": ["weihai_leniency_warranted"],
        }
        for grant in ("lighter", "mitigated", "exempt")
    ]
    # Not still accountable: no lighter, mitigated or exempt, certain or pending.
    facts = {**WEIHAI_TOLERATED, "weihai_still_accountable": False}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(facts)))
    code, out, _ = run(capsys, "decide", "weihai", "--facts", "-", "--json")
    report = json.loads(out)
    assert (report["grants"], report["pending_grants"]) == (["tolerated"], [])
    # 三's "依照有关规定予以容错处理" judged false: nothing is tolerated.
    facts = {**facts, "weihai_per_relevant_rules": False}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(facts)))
    code, out, _ = run(capsys, "decide", "weihai", "--facts", "-", "--json")
    report = json.loads(out)
    assert (report["outcome"], report["grants"], report["pending_grants"]) == ("applies", [], [])


def test_decide_text_shows_grants_and_pending_grants(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(WEIHAI_TOLERATED)))
    code, out, _ = run(capsys, "decide", "weihai", "--facts", "-")
    assert code == 0
    assert "  grants: tolerated\n" in out
    assert (
        "  pending lighter: still_accountable (五（四）), its condition needs "
        "weihai_leniency_warranted\n"
    ) in out


# 玉泉 第十八条（七）: misappropriated funds; 第二十条（四）: the platform slowed the approval down,
# which was overdue (第十八条（二）).  The slowdown excuses the delay, not the misuse.
YUQUAN_MISUSE_AND_SLOWDOWN = {
    "yuquan_funds_misused_by_office": True,
    "yuquan_verification_platform_slow": True,
    "yuquan_review_delayed": True,
    "yuquan_approval_overdue": True,
    "yuquan_delay_human_caused": True,
}


def test_decide_json_names_what_relief_covers(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(YUQUAN_MISUSE_AND_SLOWDOWN)))
    code, out, _ = run(capsys, "decide", "yuquan", "--facts", "-", "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["outcome"], report["grants"]) == ("applies_in_part", ["not_held_liable"])
    assert [(x["rule"], x["clause"], x["holds"]) for x in report["exempts"]] == [
        ("yuquan_township_approval_overdue", "第十八条（二）", True),
        ("yuquan_township_processing_delay", "第十八条（六）", None),
    ]
    assert report["not_exempted"] == [
        {
            "rule": "yuquan_township_funds_misuse",
            "clause": "第十八条（七）",
            "quote": "利用职务之便徇私舞弊、骗取、私存、贪污、挤占、挪用、扣压救助金"
            "和擅自改变救助金用途的",
            "holds": True,
            "needs": [],
        }
    ]
    # A decision whose situations name nothing they excuse lists nothing (宁波, 威海 …).
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(WEIHAI_TOLERATED)))
    code, out, _ = run(capsys, "decide", "weihai", "--facts", "-", "--json")
    report = json.loads(out)
    assert (report["outcome"], report["exempts"], report["not_exempted"]) == ("applies", [], [])


def test_decide_text_says_what_relief_covers(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(YUQUAN_MISUSE_AND_SLOWDOWN)))
    code, out, _ = run(capsys, "decide", "yuquan", "--facts", "-")
    assert code == 0
    assert out.startswith("yuquan: applies_in_part\n")
    assert "  grants: not_held_liable (for the liabilities below only)\n" in out
    assert (
        "  relief covers only these liabilities:\n"
        "    yuquan_township_approval_overdue (第十八条（二）, holds): "
        "由于人为原因不按规定时限审批的\n"
        "    yuquan_township_processing_delay (第十八条（六）, not established): 延误办理时间的\n"
        "  not exempted (they hold; no situation that holds excuses them):\n"
        "    yuquan_township_funds_misuse (第十八条（七）, holds): 利用职务之便"
    ) in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"no_such_fact": true}', "unknown fact 'no_such_fact'"),
        # A fact of another policy (威海's own) is refused, as the generated package refuses it.
        ('{"weihai_legal_gap": true}', "unknown fact 'weihai_legal_gap'"),
        ('{"ningbo_procedure_reguler": true}', "did you mean 'ningbo_procedure_regular'?"),
        ('{"abused_power": "yes"}', "'abused_power' is true or false"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_decide_bad_facts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "decide", "ningbo", "--facts", str(facts))
    assert code == 2
    assert message in err


def test_decide_unknown_policy(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text("{}", encoding="utf-8")
    code, _, err = run(capsys, "decide", "atlantis", "--facts", str(facts))
    assert code == 2
    assert "no policy 'atlantis'" in err


def test_dump_prints_the_ast(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "dump", str(ROOT / "policies" / "vocabulary.policy"))
    assert code == 0
    assert "EnumDecl" in out and "programme" in out


def test_dump_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "dump", "--json", str(ROOT / "policies" / "vocabulary.policy"))
    assert code == 0
    nodes = json.loads(out)
    assert nodes["node"] == "Module"
    assert nodes["items"][0]["node"] == "EnumDecl"
    assert nodes["items"][0]["span"].endswith("vocabulary.policy:10:1")


def test_dump_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "dump", "nope.policy")
    assert code == 2
    assert "no such file" in err


def test_help_names_every_environment_variable_policyc_reads(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`policyc --help` lists each variable the compiler reads (found in its source, the
    runtime it shares with the validator package included), and the exit codes."""
    import re

    compiler = Path(__file__).resolve().parent.parent / "compiler"
    read: set[str] = set()
    for source in compiler.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        read |= set(re.findall(r"environ(?:\.get\(|\[)\"([A-Z_]+)\"", text))
        read |= set(re.findall(r"_VARIABLE: Final = \"([A-Z_]+)\"", text))
    assert {"POLICYC_JOBS", "CI", "POLICYC_DEBUG"} <= read  # the scan finds them
    assert main(["--help"]) == 0
    shown = capsys.readouterr().out.split("environment:", 1)[1]
    listed = set(re.findall(r"^  ([A-Z_]+)", shown, flags=re.MULTILINE))
    assert listed == read
    for code in ("0", "1", "2", "3", "130", "141"):
        assert re.search(rf"\b{code} ", shown), code


def test_a_path_of_the_wrong_kind_is_named_as_such(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A file given as --root, or a folder given to dump, is said to be what it is, not
    missing."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x", encoding="utf-8")
    assert main(["--root", str(a_file), "check"]) == 2
    assert f"--root {a_file}: not a directory" in capsys.readouterr().err
    assert main(["--root", str(tmp_path / "nosuch"), "check"]) == 2
    assert "no such directory" in capsys.readouterr().err
    assert main(["--root", str(ROOT), "dump", str(ROOT / "policies")]) == 2
    assert f"not a file: {ROOT / 'policies'}" in capsys.readouterr().err
