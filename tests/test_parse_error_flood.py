"""One syntax error, one report: where a file does not parse, `policyc` reports the input and
syntax errors (E0xx) alone, then a line saying the other checks were skipped, and nothing that
follows from the file that did not parse (compiler/diagnostics.py, `syntax_stage`).

A misspelt `fact` in concepts.policy once gave 1,418 errors, 1,417 of them E101 (every use of
the concepts the file no longer declared), the real one at line 6,625 of 7,224; a misspelt
header item in weihai.policy came after two E105 ("tests for an unknown policy 'weihai'") of
policies/cases/, which sorts first.  And a build the check's errors stopped ended on the last
diagnostic, with no summary: it now ends like `check`, saying that nothing was written.

Each test works on a copy of the project's policies; the cache's secret is the test's own.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from compiler import codes
from compiler.cli import main
from compiler.codes import SYNTAX
from compiler.diagnostics import Diagnostic, stopped_at_syntax, syntax_stage
from compiler.nodes import Span

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
HEADER = re.compile(r"^(?P<file>\S+?):(?P<line>\d+):(?P<col>\d+): error\[(?P<code>E\d{3})\]: ")

SKIPPED = (
    "the other checks (names, types, citations, quotes, tests) were skipped until the syntax "
    "errors above are fixed"
)


@pytest.fixture(autouse=True)
def private_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache's per-account secret lives in the test's folder, not the user's home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "policies", root / "policies")
    return root


def run(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in err, err
    return code, out, err


def errors(text: str) -> list[tuple[str, str]]:
    """(file, code) of every diagnostic rendered in `text`, in the order shown."""
    return [(m["file"], m["code"]) for line in text.splitlines() if (m := HEADER.match(line))]


def misspell(root: Path, name: str, word: str, wrong: str) -> int:
    """The first line of policies/NAME that starts with `word` (indented) gets `wrong` instead;
    its line number."""
    path = root / "policies" / name
    lines = path.read_text(encoding="utf-8").split("\n")
    number = next(k for k, line in enumerate(lines) if line.lstrip().startswith(f"{word} "))
    lines[number] = lines[number].replace(word, wrong, 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    return number + 1


def files_in(root: Path) -> int:
    return len(list((root / "policies").rglob("*.policy")))


def break_concepts(root: Path) -> int:
    """A misspelt keyword in the concepts every policy reads: its line number."""
    return misspell(root, "concepts.policy", "fact", "fakt")


def break_weihai(root: Path) -> int:
    """A misspelt header item of 威海's policy, whose tests are in policies/cases/."""
    return misspell(root, "weihai.policy", "status", "statuz")


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` with its bytes and modification time."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------- check


def test_a_syntax_error_in_a_file_others_depend_on_is_reported_alone(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = break_concepts(project)
    code, out, err = run(capsys, project, "check")
    assert code == 1 and out == ""
    assert errors(err) == [("policies/concepts.policy", "E004")], err
    assert err.startswith(f"policies/concepts.policy:{line}:5: error[E004]: unexpected name 'fakt'")
    assert err.endswith(
        f"policyc check: {SKIPPED}\npolicyc check: 1 error(s) in {files_in(project)} file(s)\n"
    )
    code, out, err = run(capsys, project, "check", "--json")
    assert code == 1 and err == ""
    [diagnostic] = json.loads(out)
    assert (diagnostic["code"], diagnostic["file"], diagnostic["line"]) == (
        "E004",
        "policies/concepts.policy",
        line,
    )


def test_a_syntax_error_in_a_policy_hides_what_its_tests_would_say(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not two E105 of policies/cases/weihai.policy ("tests for an unknown policy") first."""
    break_weihai(project)
    code, _, err = run(capsys, project, "check")
    assert code == 1
    assert errors(err) == [("policies/weihai.policy", "E004")], err
    assert "E105" not in err


def test_syntax_errors_in_two_files_are_both_reported(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    break_concepts(project)
    break_weihai(project)
    code, _, err = run(capsys, project, "check")
    assert code == 1
    assert errors(err) == [
        ("policies/concepts.policy", "E004"),
        ("policies/weihai.policy", "E004"),
    ], err
    assert err.count(SKIPPED) == 1
    assert err.endswith(f"policyc check: 2 error(s) in {files_in(project)} file(s)\n")


def test_the_cache_cold_warm_or_unused_gives_the_same_report(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the incremental check (a cold cache, one warm from a clean check, one warm
    from this very check) and without it: the same bytes, text and JSON."""
    assert run(capsys, project, "check")[0] == 0  # the cache warm with the clean project
    break_concepts(project)
    break_weihai(project)
    for args in (("check",), ("check", "--json")):
        warm_from_clean = run(capsys, project, *args)
        warm = run(capsys, project, *args)
        shutil.rmtree(project / ".policyc-cache")
        cold = run(capsys, project, *args)
        unused = run(capsys, project, *args, "--no-cache")
        assert warm_from_clean == warm == cold == unused
        code, out, err = warm
        shown = [d["code"] for d in json.loads(out)] if out else [c for _, c in errors(err)]
        assert code == 1 and shown == ["E004", "E004"], out + err
    # And the same after the files are repaired: the check goes on to everything else.
    shutil.copyfile(ROOT / "policies" / "weihai.policy", project / "policies" / "weihai.policy")
    shutil.copyfile(ROOT / "policies" / "concepts.policy", project / "policies" / "concepts.policy")
    assert run(capsys, project, "check") == run(capsys, project, "check", "--no-cache")


def test_checking_one_file_reports_the_syntax_error_of_a_file_it_depends_on(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check policies/ningbo.policy` reported the E101s of ningbo.policy, and not the error in
    concepts.policy that caused them (a file not named)."""
    break_concepts(project)
    named = str(project / "policies" / "ningbo.policy")
    cached = run(capsys, project, "check", named)
    assert cached == run(capsys, project, "check", named, "--no-cache")
    code, _, err = cached
    assert code == 1
    assert errors(err) == [("policies/concepts.policy", "E004")], err
    # The file named and the one reported on.
    assert err.endswith(f"policyc check: {SKIPPED}\npolicyc check: 1 error(s) in 2 file(s)\n")


def test_errors_other_than_syntax_errors_are_all_reported_as_before(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "policies" / "weihai.policy"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("when ", "when no_such_fact and ", 2), encoding="utf-8")
    code, _, err = run(capsys, project, "check")
    assert code == 1
    assert errors(err) == [("policies/weihai.policy", "E101")] * 2, err
    assert SKIPPED not in err
    assert err.endswith(f"\npolicyc check: 2 error(s) in {files_in(project)} file(s)\n")


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.policy")), ids=lambda p: p.stem)
def test_the_skip_line_follows_exactly_the_parse_stage_codes(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, ROOT, "check", str(path))
    found = {codes.CODES[c] for _, c in errors(err)}
    assert code == 1
    assert (f"\npolicyc check: {SKIPPED}\n" in err) == bool(found & SYNTAX), err
    if found & SYNTAX:
        assert found <= codes.INPUT_AND_SYNTAX, err


# ---------------------------------------------------------------- build


def test_a_failed_build_says_so_and_keeps_the_previous_output(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = project / "build"
    code, _, err = run(capsys, project, "build")
    assert code == 0, err
    before = tree(out)
    assert ".policyc-build" in before and len(before) > 10
    files = files_in(project)
    kept = f"nothing was written to {out}: the previous output there was kept\n"

    # An error that is not a syntax error: the summary, no skip line.
    path = project / "policies" / "weihai.policy"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("when ", "when no_such_fact and ", 1), encoding="utf-8")
    for cache in ((), ("--no-cache",)):
        code, stdout, err = run(capsys, project, "build", *cache)
        assert code == 1 and stdout == ""
        assert errors(err) == [("policies/weihai.policy", "E101")], err
        assert SKIPPED not in err
        assert err.endswith(f"\npolicyc build: 1 error(s) in {files} file(s); {kept}"), err
        assert tree(out) == before

    # Syntax errors in two files: them alone, the skip line, the summary.
    path.write_text(good, encoding="utf-8")
    break_concepts(project)
    break_weihai(project)
    reports = []
    for cache in ((), (), ("--no-cache",)):  # cold, warm, without the cache
        code, stdout, err = run(capsys, project, "build", *cache)
        assert code == 1 and stdout == ""
        assert errors(err) == [
            ("policies/concepts.policy", "E004"),
            ("policies/weihai.policy", "E004"),
        ], err
        assert err.endswith(
            f"\npolicyc build: {SKIPPED}\npolicyc build: 2 error(s) in {files} file(s); {kept}"
        ), err
        assert tree(out) == before
        reports.append(err)
    shutil.rmtree(project / ".policyc-cache")
    reports.append(run(capsys, project, "build")[2])
    assert len(set(reports)) == 1


def test_a_failed_first_build_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    break_concepts(project)
    out = project / "out"
    code, _, err = run(capsys, project, "build", "--out", str(out), "--json")
    assert code == 1
    assert err.endswith(
        f"\npolicyc build: 1 error(s) in {files_in(project)} file(s); "
        f"nothing was written to {out}\n"
    ), err
    assert not out.exists()


# ---------------------------------------------------------------- every command that checks


FACTS = '{"weihai_reform_pilot": true}'


@pytest.mark.parametrize(
    "argv",
    [
        ("coverage",),
        ("test",),
        ("graph",),
        ("tables",),
        ("conflicts",),
        ("dump", "--ir"),
        ("decide", "weihai", "--facts", "FACTS"),
        ("example", "weihai", "三（一）"),
        ("due", "taierzhuang", "二（三）", "--start", "2024-03-01"),
        ("validate", "--policy", "weihai", "FACTS"),
    ],
    ids=lambda argv: argv[0] if argv[0] != "dump" else "dump-ir",
)
def test_every_command_that_checks_stops_at_syntax_errors(
    project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: tuple[str, ...]
) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(FACTS, encoding="utf-8")
    break_concepts(project)
    code, out, err = run(capsys, project, *(str(facts) if a == "FACTS" else a for a in argv))
    assert code == 1 and out == ""
    assert errors(err) == [("policies/concepts.policy", "E004")], err
    assert err.endswith(f"\npolicyc {argv[0]}: {SKIPPED}\n"), err


def test_diff_of_a_version_that_does_not_parse(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    break_concepts(project)
    weihai = str(project / "policies" / "weihai.policy")
    code, out, err = run(capsys, project, "diff", weihai, weihai)
    assert code == 2 and out == ""
    assert errors(err) == [("policies/concepts.policy", "E004")], err
    assert f"\npolicyc diff: {SKIPPED}\n" in err


# ---------------------------------------------------------------- the rule


def test_the_site_and_the_tools_say_the_other_checks_were_skipped(project: Path) -> None:
    """`load_program` (the site, `serve`, the benchmarks): the syntax error alone, then the
    same line as `policyc check`."""
    from compiler.lower import ProjectError, load_program

    line = break_concepts(project)
    with pytest.raises(ProjectError) as raised:
        load_program(project)
    text = str(raised.value)
    assert errors(text) == [("policies/concepts.policy", "E004")]
    assert f":{line}:" in text and text.endswith(f"\n{SKIPPED}")


def _at(code: codes.Code, line: int = 1, file: str = "policies/a.policy") -> Diagnostic:
    return Diagnostic(code, "x", Span(file, line, 1, line, 2))


def test_which_codes_stop_the_check() -> None:
    assert {c for i, c in codes.CODES.items() if i.startswith("E0")} == codes.INPUT_AND_SYNTAX
    assert codes.INPUT_AND_SYNTAX - {codes.E007} == codes.STOPS_CHECK
    assert codes.STOPS_CHECK - {codes.E000} == codes.SYNTAX
    unreadable = Diagnostic(codes.E007, "no such file or directory: nosuch.policy", None)
    # A path on the command line that names nothing (E007) stops nothing: it keeps its exit
    # code (2 where it is all there is).
    assert syntax_stage([unreadable, _at(codes.E101)]) is None
    assert syntax_stage([_at(codes.W501)]) is None and not stopped_at_syntax([])
    # A syntax error anywhere: every input and syntax diagnostic, in the order given.
    found = [_at(codes.E101), unreadable, _at(codes.E004, 3), _at(codes.E306), _at(codes.E010)]
    assert syntax_stage(found) == [unreadable, found[2], found[4]]
    # Values the language cannot read and invisible characters stop it too.
    for code in (codes.E006, codes.E010, codes.E001, codes.E015):
        assert syntax_stage([_at(codes.E100), _at(code)]) == [_at(code)]
