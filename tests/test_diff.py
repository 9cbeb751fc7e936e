"""`policyc diff`: versions of 台儿庄 made for the tests (tests/data/diff/, NOT real policy) against
the project's, rendered as text, Markdown and JSON (snapshots in tests/__snapshots__/test_diff/);
exit codes; REV:PATH from a git repository; bad input."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from compiler import ir
from compiler import nodes as n
from compiler.backends.site.page import Page
from compiler.cli import main
from compiler.diff import report, rules, text
from compiler.diff.load import BadVersion, CheckFailed, load_version
from compiler.diff.part import Part, Version
from compiler.exprtext import to_text
from compiler.lower import load_program
from compiler.parser import parse_text

ROOT = Path(__file__).resolve().parent.parent
BASE = "policies/taierzhuang.policy"
DATA = "tests/data/diff"

# Each test version, and what `policyc diff BASE VERSION` must exit with.
VERSIONS = {
    "renumbered": 0,  # numbers swapped, a rule renamed, operands and statements reordered
    "limit": 1,  # 12 工作日 -> 15 工作日
    "exclusion": 1,  # the exclusion of 四（二） removed
    "boundary": 1,  # >= 3 -> > 3
    "quote": 0,  # a quote reworded that still verifies
    "text_only": 0,  # a sentence added to the official text, nothing quoted changed
}


@pytest.fixture(scope="session")
def versions() -> dict[str, Version]:
    with contextlib.chdir(ROOT):
        loaded = {"base": load_version(BASE, ROOT)}
        for name in VERSIONS:
            loaded[name] = load_version(f"{DATA}/{name}/taierzhuang.policy", ROOT)
    return loaded


@pytest.fixture(scope="session")
def diffs(versions: dict[str, Version]) -> dict[str, tuple[Part, ...]]:
    return {name: report.parts(versions["base"], versions[name]) for name in VERSIONS}


@pytest.mark.parametrize("name", VERSIONS)
def test_text_snapshot(
    name: str,
    versions: dict[str, Version],
    diffs: dict[str, tuple[Part, ...]],
    text_snapshot: SnapshotAssertion,
) -> None:
    assert report.to_text(diffs[name], versions["base"], versions[name]) == text_snapshot


@pytest.mark.parametrize("name", VERSIONS)
def test_markdown_snapshot(
    name: str,
    versions: dict[str, Version],
    diffs: dict[str, tuple[Part, ...]],
    text_snapshot: SnapshotAssertion,
) -> None:
    assert report.to_markdown(diffs[name], versions["base"], versions[name]) == text_snapshot


@pytest.mark.parametrize("name", VERSIONS)
def test_json_snapshot(
    name: str,
    versions: dict[str, Version],
    diffs: dict[str, tuple[Part, ...]],
    text_snapshot: SnapshotAssertion,
) -> None:
    rendered = report.to_json(diffs[name], versions["base"], versions[name])
    document = json.loads(rendered)
    assert document["version"] == report.JSON_VERSION
    assert document["changes_meaning"] is bool(VERSIONS[name])
    assert rendered == text_snapshot


@pytest.mark.parametrize("name", VERSIONS)
def test_verdict_and_exit_code(name: str, diffs: dict[str, tuple[Part, ...]]) -> None:
    assert report.exit_code(diffs[name]) == VERSIONS[name]


def _part(found: tuple[Part, ...], part_id: str) -> Part:
    return next(p for p in found if p.id == part_id)


def test_renumbering_is_reported_as_such(diffs: dict[str, tuple[Part, ...]]) -> None:
    found = _part(diffs["renumbered"], "text").json
    clauses = found["clauses"]
    assert isinstance(clauses, list)
    assert {(c["change"], c["old"], c["new"]) for c in clauses} == {
        ("renumbered", "四（二）", "四（三）"),
        ("renumbered", "四（三）", "四（二）"),
    }
    items = _part(diffs["renumbered"], "rules").json["items"]
    assert items == [
        {
            "category": "rule",
            "changes": [],
            "changes_meaning": False,
            "clause": "四（三）",
            "kind": "gate",
            "label": None,
            "name": "acting_in_public_spirit",
            "old_name": "public_spirit",
            "status": "renamed",
        }
    ]


def test_changed_limit_names_the_amount(diffs: dict[str, tuple[Part, ...]]) -> None:
    (item,) = _part(diffs["limit"], "rules").json["items"]  # type: ignore[misc]
    assert item["name"] == "approval_limit"
    amount = [c for c in item["changes"] if c["field"] == "within amount"]
    assert amount == [
        {
            "boundary": None,
            "field": "within amount",
            "meaning": True,
            "new": "15 workdays",
            "old": "12 workdays",
        }
    ]


def test_boundary_moved(diffs: dict[str, tuple[Part, ...]]) -> None:
    (item,) = _part(diffs["boundary"], "rules").json["items"]  # type: ignore[misc]
    (change,) = item["changes"]
    assert change["field"] == "require"
    assert change["old"].endswith(">= 3")
    assert change["new"].endswith("> 3")
    assert change["boundary"] == [">=", ">"]


def test_same_version_is_no_change(versions: dict[str, Version]) -> None:
    found = report.parts(versions["base"], versions["base"])
    assert not any(p.changed for p in found)
    assert report.exit_code(found) == 0


def _expr(source: str) -> n.Expr:
    module, problems = parse_text(f'define y: bool at 一 "q"\n    = {source}\n', "t.policy")
    assert module is not None, problems
    define = next(i for i in module.items if isinstance(i, n.DefineDecl))
    return define.expr


def test_canonical_ignores_operand_order_and_renaming() -> None:
    a = _expr("p and (q or r)")
    b = _expr("(s or q) and p")
    assert to_text(rules.canonical(a, {"r": "s"})) == to_text(rules.canonical(b, {}))
    assert to_text(rules.canonical(a, {})) != to_text(rules.canonical(b, {}))


def test_alignment_threshold_is_documented() -> None:
    assert text.THRESHOLD == 0.6
    assert "0.6" in (ROOT / "docs" / "diff.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the command line


def _diff(*args: str) -> int:
    return main(["--root", str(ROOT), "diff", *args])


def test_cli_exit_codes_and_formats(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert _diff(BASE, f"{DATA}/limit/taierzhuang.policy", "--json") == 1
    document = json.loads(capsys.readouterr().out)
    assert document["policy"] == "taierzhuang"
    assert _diff(BASE, f"{DATA}/renumbered/taierzhuang.policy", "--markdown") == 0
    assert "重新编号" in capsys.readouterr().out
    monkeypatch.setenv("NO_COLOR", "1")
    assert _diff(BASE, BASE) == 0
    assert "\033[" not in capsys.readouterr().out


def test_colour_only_when_asked(
    versions: dict[str, Version], monkeypatch: pytest.MonkeyPatch
) -> None:
    found = report.parts(versions["base"], versions["base"])
    assert "\033[" in report.to_text(found, versions["base"], versions["base"], colour=True)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert report.use_colour(Terminal())
    assert not report.use_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not report.use_colour(Terminal())


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_rev_path_from_git(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "project"
    (repo / "policies" / "sources").mkdir(parents=True)
    for name in ("vocabulary.policy", "concepts.policy", "taierzhuang.policy"):
        shutil.copy(ROOT / "policies" / name, repo / "policies" / name)
    shutil.copy(ROOT / "policies/sources/taierzhuang.txt", repo / "policies/sources")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    # The working tree takes the changed limit and its official text.
    limit = ROOT / DATA / "limit"
    shutil.copy(limit / "taierzhuang.policy", repo / "policies" / "taierzhuang.policy")
    shutil.copy(limit / "sources" / "taierzhuang.txt", repo / "policies/sources")
    code = main(["--root", str(repo), "diff", "HEAD:policies/taierzhuang.policy", str(repo / BASE)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "12 workdays → 15 workdays" in out
    assert "改写 二（三）" in out  # the official text was read from the same revision
    # The same file at the same revision: no change.
    assert main(["--root", str(repo), "diff", f"HEAD:{BASE}", f"HEAD:./{BASE}"]) == 0


@pytest.mark.parametrize(
    ("old", "message"),
    [
        ("HEAD~100000:policies/taierzhuang.policy", "HEAD~100000:policies/taierzhuang.policy: "),
        ("HEAD:policies/nothing.policy", "HEAD:policies/nothing.policy: "),
        ("HEAD:policies", "HEAD:policies: a folder, not a policy file"),
        ("HEAD:policies/cases", "HEAD:policies/cases: a folder, not a policy file"),
        ("no/such.policy", "no/such.policy: no such file"),
        (":policies/taierzhuang.policy", "expected REV:PATH"),
        ("policies/lucheng.policy", "compares two versions of one policy"),
    ],
)
def test_bad_input_exits_2(
    old: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    assert _diff(old, BASE) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_check_error_in_old_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sources").mkdir()
    shutil.copy(ROOT / "policies/sources/taierzhuang.txt", tmp_path / "sources")
    broken = (ROOT / BASE).read_text(encoding="utf-8").replace('"对秉持公心"', '"对秉持私心"')
    (tmp_path / "taierzhuang.policy").write_text(broken, encoding="utf-8")
    monkeypatch.chdir(ROOT)
    assert _diff(str(tmp_path / "taierzhuang.policy"), BASE) == 2
    err = capsys.readouterr().err
    assert "error[E306]" in err
    assert "does not check" in err
    with pytest.raises(CheckFailed):
        load_version(str(tmp_path / "taierzhuang.policy"), ROOT)


def test_a_file_that_holds_no_policy_is_said_to_be_none(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared vocabulary given as a version was reported as no policy, then each of its
    names as declared twice (it was checked beside itself: 13 E100s)."""
    monkeypatch.chdir(ROOT)
    assert _diff("policies/vocabulary.policy", BASE) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error[E007]: policies/vocabulary.policy is not a policy: it has no 'policy' header",
        "policyc diff: policies/vocabulary.policy does not check: 1 error(s)",
    ]


def test_missing_official_text_is_a_check_error(tmp_path: Path) -> None:
    shutil.copy(ROOT / BASE, tmp_path / "taierzhuang.policy")  # no sources/ beside it
    with pytest.raises(CheckFailed) as raised:
        load_version(str(tmp_path / "taierzhuang.policy"), ROOT)
    assert any("E301" in str(d.code) for d in raised.value.errors)


def test_no_git_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "")
    assert _diff(f"HEAD:{BASE}", BASE) == 2
    assert "git is not installed" in capsys.readouterr().err
    with pytest.raises(BadVersion):
        load_version(f"HEAD:{BASE}", ROOT)


def test_internal_error_is_not_0_1_or_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(old: Version, new: Version) -> tuple[Part, ...]:
        raise RuntimeError("boom")

    monkeypatch.delenv("POLICYC_DEBUG", raising=False)
    monkeypatch.setattr(report, "parts", broken)
    assert _diff(BASE, BASE) == 3
    assert "internal error" in capsys.readouterr().err


# ---------------------------------------------------------------- the site's revision pages


@pytest.fixture(scope="module")
def program() -> ir.Program:
    return load_program(ROOT)


def _render(page: Page) -> str:
    from compiler.backends.site.render import environment

    return environment().get_template(page.template).render(page.context)


def test_site_pages_one_per_policy(program: ir.Program) -> None:
    from compiler.backends.site import diffs

    pages = list(diffs.pages(program))
    assert [p.path for p in pages] == [
        "diffs/index.md",
        *(f"diffs/{pid}.md" for pid in sorted(program.policies)),
    ]
    index = _render(pages[0])
    assert diffs.BASE in index
    for page in pages[1:]:
        markdown = _render(page)
        if page.context["problem"] is None:
            # git and the base revision are here: the report, its clauses linked to the documents.
            assert "结论：" in markdown
            assert "](../documents/" in markdown
        else:  # a shallow clone or a tarball: said plainly
            assert "没有比较结果" in markdown


def test_site_pages_without_git(program: ir.Program, monkeypatch: pytest.MonkeyPatch) -> None:
    from compiler.backends.site import diffs

    monkeypatch.setenv("PATH", "")
    pages = list(diffs.pages(program))
    assert "无法比较" in _render(pages[0])
    markdown = _render(pages[1])
    assert "git is not installed" in markdown
    assert "浅克隆" in markdown


def _git_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every `git` command run from here on, noted as it runs."""
    calls: list[list[str]] = []
    run = subprocess.run

    def counted(command: list[str], *args: Any, **kwargs: Any) -> Any:
        calls.append(command)
        return run(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counted)
    return calls


@pytest.mark.parametrize("long_name", [False, True])
def test_site_pages_ask_git_once_where_it_cannot_read_the_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, long_name: bool
) -> None:
    """Outside a repository (a tarball, another project's repository without the base
    revision), every revision page says git's reason, asked once for the project and not
    twice for each policy; and no page names another policy's file, however long its name
    (git's message names it shortened)."""
    from compiler.backends.site import diffs

    project = tmp_path / "project"
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # no repository above it
    shutil.copytree(ROOT / "policies", project / "policies")
    if long_name:  # the first policy's, whose reason serves the others
        first = project / "policies" / "lucheng.policy"
        first.rename(first.with_name("lucheng-" + "x" * 80 + ".policy"))
    copied = load_program(project)
    calls = _git_calls(monkeypatch)
    pages = list(diffs.pages(copied))
    assert len(pages) == len(copied.policies) + 1 > 3
    assert len(calls) == 3  # one policy's two, and whether the revision is there
    for page in pages[1:]:
        markdown = _render(page)
        assert "（not a git repository" in markdown
        assert "没有比较结果" in markdown
        assert "policies/" not in markdown


def test_site_pages_ask_once_whether_the_base_is_there_when_a_file_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the base revision is there but some policies were not yet (added since), each of
    those pages says so, git asked once whether the revision is there; the others compare."""
    from compiler.backends.site import diffs

    project = tmp_path / "project"
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    shutil.copytree(ROOT / "policies", project / "policies")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    later = ["ningbo.policy", "weihai.policy"]
    committed = [p.name for p in (project / "policies").iterdir() if p.name not in later]
    subprocess.run([*git, "add", *committed], cwd=project / "policies", check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=project, check=True)
    monkeypatch.setattr(diffs, "BASE", "HEAD")
    copied = load_program(project)
    calls = _git_calls(monkeypatch)
    pages = {page.path: page for page in diffs.pages(copied)}
    assert sum(call[1:2] == ["rev-parse"] for call in calls) == 1
    for policy_id in copied.policies:
        problem = pages[diffs.page_path(policy_id)].context["problem"]
        if f"{policy_id}.policy" in later:
            assert isinstance(problem, str) and f"'policies/{policy_id}.policy'" in problem
        else:
            assert problem is None


def _made_part(part_id: str, changes_meaning: bool, verdict: str | None = None) -> Part:
    data: dict[str, object] = {} if verdict is None else {"verdict": verdict}
    return Part(part_id, part_id, changes_meaning, changes_meaning, data, lambda cite: (), ())


@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        ("different", "已由两个版本实际运行的案例证实"),
        ("undecided", "规则写法有改变；在搜索上限内未找到两个版本判断不同的案例，请人工确认"),
        ("equivalent", "规则写法有改变；在所查的全部情形上两个版本的判断相同，请人工确认"),
    ],
)
def test_the_verdict_says_whether_running_both_versions_confirmed_the_change(
    behaviour: str, words: str
) -> None:
    """A structural change counts as a change (exit 1) whatever the behaviour part found; the
    verdict says whether a case run on both versions confirmed it, or a person must look."""
    found = (
        _made_part("rules", True),
        _made_part("behaviour", behaviour == "different", behaviour),
    )
    assert report.exit_code(found) == 1
    assert report._verdict(found) == report.CHANGE + f"（{words}）"


def test_markdown_of_diff_and_conflicts_needs_no_site_extra() -> None:
    """`policyc diff --markdown` and `policyc conflicts --markdown` escape policy text with
    compiler/inert.py, not the site's Jinja2 filter: they run where Jinja2 is not installed."""
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('jinja2', 'markupsafe', 'mkdocs'):\n"
        "            raise ImportError(f'{name} is blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from compiler.cli import main\n"
        "policy = 'policies/lucheng.policy'\n"
        "assert main(['diff', '--markdown', policy, policy]) == 0\n"
        "assert main(['conflicts', 'lucheng', '--markdown']) == 0\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "含义没有变化" in done.stdout and "冲突报告" in done.stdout
