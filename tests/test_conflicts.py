"""`policyc conflicts`: the conflict report (compiler/conflicts/).

One program and one report are computed per session (the analysis takes a few seconds), one
generated validator package is built and imported; every witness case is run by the reference
interpreter and by the package, and the emitted policy tests are run by `policyc test`.
"""

from __future__ import annotations

import importlib
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion

from compiler import ir, jsontext, progress
from compiler.backends.package import PACKAGE, package_files
from compiler.build import write_tree
from compiler.cli import main
from compiler.conflicts import decisions, report
from compiler.conflicts.section import Section
from compiler.examples import facts_json
from compiler.interpret import coerce_facts, decide
from compiler.lower import load_program
from compiler.project import JOBS_VARIABLE, forks

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def program() -> ir.Program:
    return load_program(ROOT)


@pytest.fixture(scope="module")
def parts(program: ir.Program) -> tuple[Section, ...]:
    return report.sections(program)


@pytest.fixture(scope="module")
def found(parts: tuple[Section, ...]) -> list[dict[str, Any]]:
    pairs = next(s for s in parts if s.id == "pairs")
    cases = pairs.json["cases"]
    assert isinstance(cases, list)
    return cases


@pytest.fixture(scope="module")
def package(
    program: ir.Program, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ModuleType, ModuleType]]:
    """The generated validators, built once for this module and imported from their files."""
    target = tmp_path_factory.mktemp("conflicts_build") / "validators"
    write_tree(target, package_files(program))
    stale = [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]
    saved = {m: sys.modules.pop(m) for m in stale}
    sys.path.insert(0, str(target))
    try:
        pkg = importlib.import_module(PACKAGE)
        runtime = importlib.import_module(f"{PACKAGE}.runtime.decision")
        assert Path(pkg.__file__ or "").is_relative_to(target)
        yield pkg, runtime
    finally:
        sys.path.remove(str(target))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]
        sys.modules.update(saved)


# ---------------------------------------------------------------- what is compared


def test_comparable_decisions_come_from_the_model(parts: tuple[Section, ...]) -> None:
    first = parts[0]
    assert first.id == "decisions"
    listed = {d["policy"]: d for d in first.json["decisions"]}  # type: ignore[attr-defined]
    # 鹿城 一事一议 decides an applicant's eligibility: its decision rules read no shared concept.
    assert listed["lucheng"]["compared"] is False
    assert listed["lucheng"]["concepts"] == []
    for staff in ("ningbo", "weihai", "yuquan", "taierzhuang"):
        assert listed[staff]["compared"] is True
    pairs = {(p["a"], p["b"]) for p in first.json["pairs"]}  # type: ignore[attr-defined]
    assert pairs == {
        ("ningbo", "taierzhuang"),
        ("ningbo", "weihai"),
        ("ningbo", "yuquan"),
        ("taierzhuang", "weihai"),
        ("taierzhuang", "yuquan"),
        ("weihai", "yuquan"),
    }
    # The readings a comparison needs are in the report, from the model: 宁波 is a draft,
    # 玉泉's 第二十条 relieves only the liabilities it names.
    assert any("征求意见稿" in r for r in listed["ningbo"]["readings"])
    assert any("第二十条" in r for r in listed["yuquan"]["readings"])


def test_concepts_carry_clause_and_quote(program: ir.Program, parts: tuple[Section, ...]) -> None:
    concepts = {c["concept"]: c for c in parts[1].json["concepts"]}  # type: ignore[attr-defined]
    waiver = concepts["voluntary_waiver"]
    assert {g["policy"] for g in waiver["grants"]} == {"ningbo", "weihai"}
    assert set(waiver["silent"]) == {"lucheng", "taierzhuang", "yuquan"}
    consequence = concepts["error_consequence"]
    assert [e["clause"] for e in consequence["excludes"]] == ["第五条（五）"]
    for concept in concepts.values():
        for key in ("grants", "requires", "excludes"):
            for stance in concept[key]:
                rule = program.policies[stance["policy"]].rule(stance["rule"])
                assert stance["clause"] == rule.clause.citation
                assert stance["quote"] == rule.clause.quote and stance["quote"]


# ---------------------------------------------------------------- the witnesses


def test_cases_are_found_and_classified(
    parts: tuple[Section, ...], found: list[dict[str, Any]]
) -> None:
    kinds = {c["kind"] for c in found}
    assert kinds == {"opposite", "scope", "wording", "unsettled", "silent"}
    # 宁波 excludes 应保尽保未履行到位 with 恶劣社会影响 (第五条（五）); 威海 relieves
    # 主动放弃 … 漏保 (三（十）).
    opposite = [c for c in found if c["kind"] == "opposite"]
    assert any(c["a"] == "weihai" and c["b"] == "ningbo" for c in opposite)
    assert all(c["real"] == (c["kind"] in ("opposite", "scope")) for c in found)
    # 宁波 relieves 虚报 … 未发现异常; 台儿庄 relieves 故意隐瞒: read alike, both relieve, but
    # the search with the words read alike reaches the bound (below), so the report does not
    # claim that only the words differ.
    concealed = next(
        c
        for c in found
        if (c["a"], c["b"], c["concept"]) == ("ningbo", "taierzhuang", "concealment")
    )
    assert concealed["kind"] == "unsettled" and not concealed["real"]
    # 台儿庄 relieves 数据共享不充分; 玉泉 第二十条（三） needs 审批失误 too: differs read alike.
    platform = next(
        c
        for c in found
        if (c["a"], c["b"], c["concept"]) == ("taierzhuang", "yuquan", "data_platform")
    )
    assert platform["kind"] == "scope"
    assert not any("lucheng" in (c["a"], c["b"]) for c in found)
    pairs = next(s for s in parts if s.id == "pairs")
    # Three searches, read alike, reached the bound: 宁波's rules against 台儿庄 and 威海.  Their
    # cases, found with the words not read alike, are `unsettled`, never `wording` nor `scope`
    # (docs/conflicts.md, 三: that the words alone make them is not established).
    unsettled = {(u["a"], u["b"], u["rule"]) for u in pairs.json["unsettled"]}
    assert unsettled == {
        ("ningbo", "taierzhuang", "concealment_undetected"),
        ("ningbo", "taierzhuang", "verification_data_error"),
        ("ningbo", "weihai", "concealment_undetected"),
    }
    cut = [c for c in found if (c["a"], c["b"], c["rule"]) in unsettled]
    assert len(cut) == 3 and all(c["kind"] == "unsettled" for c in cut)
    assert all((c["a"], c["b"], c["rule"]) in unsettled for c in found if c["kind"] == "unsettled")


def test_cases_verified_by_the_interpreter(
    program: ir.Program, found: list[dict[str, Any]]
) -> None:
    for case in found:
        relief = []
        for run in case["runs"]:
            policy = program.policies[run["policy"]]
            facts = {name: case["facts"][name] for name in run["facts"]}
            decision = decide(program, policy, coerce_facts(program, facts))
            assert decision.outcome == run["outcome"], case["id"]
            assert [s.rule.name for s in decision.decisive] == [
                d["rule"] for d in run["deciding"]
            ], case["id"]
            relief.append(run["outcome"] in ("applies", "applies_in_part"))
        assert relief[0] != relief[1], case["id"]


def test_cases_verified_by_the_generated_package(
    found: list[dict[str, Any]], package: tuple[ModuleType, ModuleType]
) -> None:
    pkg, runtime = package
    for case in found:
        for run in case["runs"]:
            facts = {name: case["facts"][name] for name in run["facts"]}
            result = runtime.decide_json(pkg.POLICIES[run["policy"]], facts)
            assert result["outcome"] == run["outcome"], case["id"]
            assert [(d["rule"], d["clause"]) for d in result["decided_by"]] == [
                (d["rule"], d["clause"]) for d in run["deciding"]
            ], case["id"]


def test_cases_are_minimal(program: ir.Program) -> None:
    """No fact of a case can be dropped: the two decisions would no longer differ."""
    infos = decisions.decision_infos(program)
    a, b = program.policies["weihai"], program.policies["taierzhuang"]
    concept = program.concepts["voluntary_waiver"]
    case = decisions.find_case(program, a, b, concept, a.rule("voluntary_waiver"))
    assert case is not None and infos
    for name in case.facts:
        fewer = {k: v for k, v in case.facts.items() if k != name}
        outcomes = [decide(program, p, decisions.own_facts(p, fewer)).outcome for p in (a, b)]
        assert outcomes != [r.outcome for r in case.runs], name


def test_emitted_tests_parse_check_and_pass(
    parts: tuple[Section, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cases"
    emitted = report.emit_tests(parts, out)
    assert not emitted.removed
    assert sorted(p.name for p in emitted.written) == [
        "ningbo.policy",
        "taierzhuang.policy",
        "weihai.policy",
        "yuquan.policy",
    ]
    witnesses = {(w.policy, w.name) for s in parts for w in s.witnesses}
    assert main(["--root", str(ROOT), "fmt", "--check", str(out)]) == 0  # canonical layout
    capsys.readouterr()
    # `test --cases` checks the files with the whole project (any error: exit 1), then runs.
    assert main(["--root", str(ROOT), "test", "--json", "--cases", str(out)]) == 0
    results = json.loads(capsys.readouterr().out)
    ran = {(r["policy"], r["case"]) for r in results}
    assert witnesses <= ran
    assert all(r["passed"] for r in results)


def test_test_cases_option_needs_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(ROOT), "test", "--cases", str(tmp_path / "nosuch")]) == 2
    assert "not a directory" in capsys.readouterr().err


# ---------------------------------------------------------------- renderings


def test_text_snapshot(parts: tuple[Section, ...], text_snapshot: SnapshotAssertion) -> None:
    assert report.to_text(parts) == text_snapshot


def test_markdown_snapshot(
    program: ir.Program, parts: tuple[Section, ...], text_snapshot: SnapshotAssertion
) -> None:
    assert report.to_markdown(parts, report.plain_cite) == text_snapshot


def test_json_snapshot(
    program: ir.Program, parts: tuple[Section, ...], text_snapshot: SnapshotAssertion
) -> None:
    text = report.to_json(program, parts)
    data = json.loads(text)
    assert data["version"] == report.VERSION
    assert text == json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert text == text_snapshot


def test_witness_files_snapshot(
    parts: tuple[Section, ...], text_snapshot: SnapshotAssertion
) -> None:
    files = report.test_files(parts)
    assert "\n".join(f"=== {name}\n{text}" for name, text in files.items()) == text_snapshot


def test_committed_witness_tests_are_the_report_s(parts: tuple[Section, ...]) -> None:
    """policies/cases/conflicts/ holds what the report writes today (regenerate with
    `policyc conflicts --emit-tests policies/cases/conflicts`), so `policyc test` keeps
    every difference found checked."""
    committed = ROOT / "policies" / "cases" / "conflicts"
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in sorted(committed.glob("*.policy"))}
    assert on_disk == report.test_files(parts)


def test_markdown_escapes_policy_text(program: ir.Program, parts: tuple[Section, ...]) -> None:
    """Every value from a policy goes through the site's `text` rule: a quote with Markdown
    syntax (（一）, “…”, 3个月) stays inert; the only links are the citations."""
    seen: list[str] = []

    def cite(policy_id: str, clause: Any) -> str:
        seen.append(policy_id)
        return f"[{clause.citation}](x)"

    markdown = report.to_markdown(parts, cite)
    assert seen and "](x)" in markdown
    assert "<script" not in markdown


# ---------------------------------------------------------------- the command


def test_cli_restricts_to_ids_and_is_deterministic(
    program: ir.Program, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--root", str(ROOT), "conflicts", "yuquan", "taierzhuang", "--json"]
    assert main(args) == 0
    first = capsys.readouterr().out
    # Another load, another order of the ids, another process state: the same bytes.
    chosen = report.restrict(program, ["taierzhuang", "yuquan"])
    assert report.to_json(chosen, report.sections(chosen)) == first
    data = json.loads(first)
    assert data["policies"] == ["taierzhuang", "yuquan"]
    cases = next(s for s in data["sections"] if s["id"] == "pairs")["cases"]
    assert cases and all({c["a"], c["b"]} == {"taierzhuang", "yuquan"} for c in cases)


def test_the_search_is_heard_of_pair_by_pair(
    program: ir.Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`policyc conflicts`'s progress in one process: one step per ordered pair of comparable
    decisions, the cases the same as a search that tells no one."""
    monkeypatch.setenv(JOBS_VARIABLE, "1")
    chosen = report.restrict(program, ["ningbo", "taierzhuang", "yuquan"])
    infos = decisions.decision_infos(chosen)
    heard: list[tuple[str, int, int, str]] = []
    found = decisions.cases(chosen, infos, lambda *step: heard.append(step))
    assert heard == [(decisions.SEARCHING, i, 6, decisions.PAIRS) for i in range(7)]
    assert found == decisions.cases(chosen, infos)


@pytest.mark.skipif(not forks(), reason="the search runs in one process where there is no fork")
def test_the_rows_searched_in_workers_are_the_rows_searched_in_one_process(
    program: ir.Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each decision's row of pairs searched in a worker process: the same cases, unsettled
    searches and report as one process gives, the rows in order; the progress rises to every
    pair and never moves back."""
    infos = decisions.decision_infos(program)
    monkeypatch.setenv(JOBS_VARIABLE, "1")
    alone = decisions.cases(program, infos)
    one_process = report.to_json(program, report.sections(program))
    monkeypatch.setenv(JOBS_VARIABLE, "3")
    heard: list[int] = []
    assert decisions.cases(program, infos, lambda _, done, *__: heard.append(done)) == alone
    assert report.to_json(program, report.sections(program)) == one_process
    compared = {p.a for p in decisions.pairs(infos)} | {p.b for p in decisions.pairs(infos)}
    assert heard[0] == 0 and heard[-1] == len(compared) * (len(compared) - 1)
    assert heard == sorted(heard)
    assert {c.a for c in alone.cases} == compared  # every row gave cases


def test_against_searches_the_pairs_with_that_policy_on_a_side(
    program: ir.Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--against weihai`: each ordered pair with 威海 on one side, both orders, and for those
    pairs the very cases (and unsettled searches) of the whole report, in its order; the
    progress counts those pairs only."""
    monkeypatch.setenv(JOBS_VARIABLE, "1")
    infos = decisions.decision_infos(program)
    whole = decisions.cases(program, infos)
    heard: list[tuple[str, int, int, str]] = []
    found = decisions.cases(program, infos, lambda *s: heard.append(s), against={"weihai"})
    assert found.cases == tuple(c for c in whole.cases if "weihai" in (c.a, c.b))
    assert found.unsettled == tuple(u for u in whole.unsettled if "weihai" in u[:2])
    assert {c.a for c in found.cases} == {c.a for c in whole.cases}  # both orders searched
    compared = {p.a for p in decisions.pairs(infos)} | {p.b for p in decisions.pairs(infos)}
    others = len(compared) - 1
    assert [s[1:3] for s in heard] == [(i, 2 * others) for i in range(2 * others + 1)]
    # Two policies against: the pairs with either on a side, each once.
    both = decisions.cases(program, infos, against={"weihai", "ningbo"})
    assert both.cases == tuple(c for c in whole.cases if {c.a, c.b} & {"weihai", "ningbo"})
    if forks():  # in workers, 威海's row cut into pieces (`decisions._jobs`): the same cases
        monkeypatch.setenv(JOBS_VARIABLE, "3")
        assert decisions.cases(program, infos, against={"weihai"}) == found


def test_cli_against(program: ir.Program, capsys: pytest.CaptureFixture[str]) -> None:
    """The report says which pairs it compares, in its text and JSON, and lists only those;
    the sections that do not compare pairs are the whole report's."""
    args = ["--root", str(ROOT), "conflicts", "--against", "weihai", "--json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["against"] == ["weihai"]
    by_id = {s["id"]: s for s in data["sections"]}
    assert by_id["decisions"]["pairs"]
    assert all("weihai" in (p["a"], p["b"]) for p in by_id["decisions"]["pairs"])
    assert all("weihai" in (c["a"], c["b"]) for c in by_id["pairs"]["cases"])
    whole = json.loads(report.to_json(program, report.sections(program)))
    assert "against" not in whole
    for section in whole["sections"]:
        if section["id"] not in ("decisions", "pairs"):
            assert by_id[section["id"]] == section
    assert main(["--root", str(ROOT), "conflicts", "--against", "weihai"]) == 0
    text = capsys.readouterr().out
    assert "本报告只比较涉及以下决定的决定对（--against）：威海市" in text
    assert main(["--root", str(ROOT), "conflicts", "--against", "weihai", "--markdown"]) == 0
    assert "本报告只比较涉及以下决定的决定对（--against）：威海市" in capsys.readouterr().out
    # Named with IDS that leave it out, the policy is compared all the same.
    assert main(["--root", str(ROOT), "conflicts", "ningbo", "--against", "weihai", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["policies"] == ["ningbo", "weihai"]
    cases = next(s for s in data["sections"] if s["id"] == "pairs")["cases"]
    assert cases and {(c["a"], c["b"]) for c in cases} == {
        ("ningbo", "weihai"),
        ("weihai", "ningbo"),
    }


def test_the_json_is_of_jsons_own_types(program: ir.Program, parts: tuple[Section, ...]) -> None:
    """Every section's JSON holds only JSON's own types (an outcome was a StrEnum member), so
    that orjson writes the report where it is installed, and the bytes are json's."""
    for section in parts:
        assert jsontext._plain(section.json), section.id
    text = report.to_json(program, parts)
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def test_cli_against_a_decision_compared_with_none(capsys: pytest.CaptureFixture[str]) -> None:
    """鹿城's decision speaks of no shared concept: the report says that no pair is compared
    and that its empty list of cases is no agreement; the decisions left out say why."""
    assert main(["--root", str(ROOT), "conflicts", "--against", "lucheng"]) == 0
    text = capsys.readouterr().out
    assert "可比较的决定：无（所列决定（--against）与其他决定都没有共同涉及的共享概念" in text
    assert "不表示各地规定一致" in text
    assert "[weihai] 不比较：与所列决定（--against）没有共同涉及的共享概念" in text
    assert main(["--root", str(ROOT), "conflicts", "lucheng", "--markdown"]) == 0
    assert "可比较的决定：无（任何两个决定都没有共同涉及的共享概念" in capsys.readouterr().out


def test_cli_against_an_unknown_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "conflicts", "--against", "weihia"]) == 2
    err = capsys.readouterr().err
    assert "no policy 'weihia'" in err and "did you mean 'weihai'" in err
    assert "Traceback" not in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_cli_progress_is_drawn_on_a_terminal_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--root", str(ROOT), "conflicts", "yuquan", "taierzhuang"]
    assert main(args) == 0
    plain = capsys.readouterr()
    assert plain.err == ""
    monkeypatch.setattr(progress, "SHOWN_FROM", 1)  # two pairs: shown, as a hundred would be
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")  # one that redraws a line (not TERM=dumb)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(args) == 0
    assert capsys.readouterr().out == plain.out  # the report itself unchanged
    shown = terminal.getvalue()
    assert "\rpolicyc conflicts: comparing 2/2 pairs of decisions…\x1b[K" in shown
    assert shown.endswith("\r\x1b[K")  # erased before the report is written
    monkeypatch.setenv("CI", "true")
    ci = _Terminal()
    monkeypatch.setattr(sys, "stderr", ci)
    assert main(args) == 0
    assert ci.getvalue() == ""


def test_cli_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "conflicts", "lucheng", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# {report.TITLE}\n")
    assert "不作比较" in out


def test_cli_unknown_id_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "conflicts", "ningbp"]) == 2
    err = capsys.readouterr().err
    assert "no policy 'ningbp'" in err and "did you mean 'ningbo'" in err
    assert "Traceback" not in err


def test_cli_json_and_markdown_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "conflicts", "--json", "--markdown"]) == 2
    assert "not allowed with" in capsys.readouterr().err


def test_cli_emit_tests_unwritable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["--root", str(ROOT), "conflicts", "lucheng", "--emit-tests", str(blocker)]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_cli_emit_tests_never_replaces_a_policy_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--emit-tests policies` names the folder the policy files live in, with the same
    `<id>.policy` names: refused before anything is written (a file not written by
    --emit-tests is never replaced), and the file is left byte-identical."""
    folder = tmp_path / "policies"
    folder.mkdir()
    policy = folder / "taierzhuang.policy"
    original = (ROOT / "policies" / "taierzhuang.policy").read_bytes()
    policy.write_bytes(original)
    argv = ["--root", str(ROOT), "conflicts", "--emit-tests", str(folder)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "not written by --emit-tests" in err and "Traceback" not in err
    assert policy.read_bytes() == original
    assert sorted(p.name for p in folder.iterdir()) == ["taierzhuang.policy"]
    # Its own earlier output is replaced (regenerating policies/cases/conflicts works).
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "taierzhuang.policy").write_text(report.HEADER + "\nstale\n", encoding="utf-8")
    report.refuse_foreign(ours, ["taierzhuang"])


def test_cli_emit_tests_removes_what_an_earlier_one_wrote_for_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A narrower report into a folder a wider one filled: the folder holds this report's tests
    alone (the earlier ones of policies it has no witness of are removed, and the message says
    so); a file that --emit-tests did not write is kept."""
    out = tmp_path / "cases"
    root = ["--root", str(ROOT), "conflicts", "--emit-tests", str(out)]
    assert main(root) == 0
    capsys.readouterr()
    assert len(list(out.glob("*.policy"))) == 4
    (out / "notes.policy").write_text("# a user's file\n", encoding="utf-8")
    assert main([*root, "taierzhuang", "yuquan"]) == 0
    err = capsys.readouterr().err
    assert "wrote 2 test file(s)" in err and "removed 2 an earlier --emit-tests wrote" in err
    assert sorted(p.name for p in out.glob("*.policy")) == [
        "notes.policy",
        "taierzhuang.policy",
        "yuquan.policy",
    ]
    assert main(["--root", str(ROOT), "test", "--cases", str(out)]) == 0


def test_site_page(site: Path) -> None:
    page = (site / "conflicts" / "report" / "index.html").read_text(encoding="utf-8")
    assert "冲突报告" in page
    assert 'href="../../documents/ningbo/#a4-i1-p2"' in page
    data = json.loads((site / "conflicts" / "conflicts.json").read_text(encoding="utf-8"))
    assert data["version"] == report.VERSION


def test_json_facts_round_trip(program: ir.Program, found: list[dict[str, Any]]) -> None:
    """The JSON's facts read back (`policyc decide --facts`) to the same values."""
    for case in found:
        typed = coerce_facts(program, case["facts"])
        assert facts_json(program, typed) == case["facts"]


def test_cli_start_moves_the_due_dates(capsys: pytest.CaptureFixture[str]) -> None:
    """`--start` is the day the example due dates count from (default 2024-09-27); a moment or
    a malformed date is bad input."""
    argv = ["--root", str(ROOT), "conflicts", "taierzhuang", "yuquan", "--json"]
    assert main([*argv, "--start", "2025-01-20"]) == 0
    data = json.loads(capsys.readouterr().out)
    quantities = next(s for s in data["sections"] if s["id"] == "quantities")
    assert quantities["start"] == "2025-01-20"
    for bad in ("2025-01-20T09:00", "20250120", "2025-02-30"):
        assert main([*argv, "--start", bad]) == 2
        err = capsys.readouterr().err
        assert "--start" in err and "Traceback" not in err


_CONCEPTS = ("a", "b", "c", "d")


@settings(max_examples=300)
@given(
    st.lists(st.sets(st.sampled_from(_CONCEPTS)), max_size=12),
    st.sets(st.integers(0, 13), max_size=3),
)
def test_pairs_are_counted_as_they_are_made(read: list[set[str]], listed: set[int]) -> None:
    """A province's report counts the comparable pairs without making them
    (`decisions.count_pairs`): the same number, and the same decisions in a pair, as
    `decisions.pairs` gives, with or without `--against` (some named decisions absent)."""
    infos = [
        decisions.DecisionInfo(f"p{i}", "", "", tuple(c for c in _CONCEPTS if c in concepts), ())
        for i, concepts in enumerate(read)
    ]
    against = {f"p{i}" for i in listed}
    made = decisions.pairs(infos, against)
    assert decisions.count_pairs(infos, against) == (
        len(made),
        frozenset({p.a for p in made} | {p.b for p in made}),
    )
