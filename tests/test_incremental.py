"""Incremental checking (compiler/incremental.py): `policyc check` through the cache re-checks
only the policies an edit touched, and reports exactly what `policyc check --no-cache` does.

Each test edits a copy of the project (the five documents, their tests, and a made-up policy
with two W501 warnings, tests/test_conflicts_internal.py) and compares the two commands' exit
codes and output, text and JSON, byte for byte, after every edit."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from compiler import check as check_module
from compiler import incremental
from compiler.cli import main
from tests.test_conflicts_internal import _made_up

ROOT = Path(__file__).resolve().parent.parent


COPIED = ("ningbo", "weihai")  # two documents are enough, and keep the whole checks short


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = _made_up(tmp_path / "p")
    (root / "policies" / "cases").mkdir()
    for policy in COPIED:
        for name in (f"{policy}.policy", f"cases/{policy}.policy", f"sources/{policy}.txt"):
            shutil.copyfile(ROOT / "policies" / name, root / "policies" / name)
    return root


@pytest.fixture
def rechecked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The policies the per-policy passes ran on, in order."""
    seen: list[str] = []
    original = check_module.Checker.check_policy

    def spy(self: check_module.Checker, policy: check_module.Policy) -> None:
        seen.append(policy.id)
        original(self, policy)

    monkeypatch.setattr(check_module.Checker, "check_policy", spy)
    yield seen


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), "check", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def same(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str]:
    """Check through the cache and without it: the same exit code and bytes."""
    cached = run(capsys, root, *args)
    assert cached == run(capsys, root, *args, "--no-cache")
    return cached[0], cached[2] + cached[1]


def edit(root: Path, name: str, change: Callable[[str], str]) -> None:
    path = root / "policies" / name
    text = path.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text, f"the edit of {name} changed nothing"
    path.write_text(changed, encoding="utf-8")


def test_an_edit_rechecks_its_policy_alone(
    project: Path, capsys: pytest.CaptureFixture[str], rechecked: list[str]
) -> None:
    code, err = same(capsys, project)
    assert code == 0 and err.count("warning[W501]") == 2, err
    rechecked.clear()
    assert run(capsys, project)[0] == 0
    assert rechecked == [], "a second run re-checked policies nothing had changed"

    # A number in a rule: 威海 alone is checked again, and still checks.
    edit(project, "weihai.policy", lambda t: t.replace("within 7 workdays", "within 8 workdays", 1))
    assert run(capsys, project)[0] == 0
    assert rechecked == ["weihai"]
    assert same(capsys, project)[0] == 0
    rechecked.clear()

    # Its test file: the policy is checked again with its tests.
    edit(project, "cases/ningbo.policy", lambda t: t + "\n# a comment\n")
    assert run(capsys, project)[0] == 0
    assert rechecked == ["ningbo"]


def test_batches_are_even_and_as_many_as_a_multiple_of_the_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(incremental, "cores", lambda: 2)
    for total, sizes in [
        (0, []),
        (5, [5]),  # fewer than PARALLEL_FROM: one batch, made in this process
        (25, [13, 12]),
        (600, [150] * 4),  # not 256, 256, 88: one core alone for a third of the time
        (3001, [251] + [250] * 11),
    ]:
        policies = [f"p{k}" for k in range(total)]
        made = incremental.batches(policies)
        assert [len(b) for b in made] == sizes
        assert sorted(p for b in made for p in b) == sorted(policies)  # each once
        for batch in made:
            assert list(batch) == sorted(batch, key=policies.index)  # in the order given
    # More workers asked for than policies (POLICYC_JOBS=256): a batch each, none empty.
    monkeypatch.setattr(incremental, "cores", lambda: 256)
    policies = [f"p{k}" for k in range(30)]
    assert incremental.batches(policies) == [[p] for p in policies]


def test_batches_are_of_equal_weight_where_policies_of_one_size_sort_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The synthetic corpus at 600: ids sort by the document they copy, and the 玉泉 copies
    (66 KB) come last, twice the others' bytes.  Batches of equal count put all of them in
    the last batch: one core worked alone while it was made.  By weight, the batches are
    within one policy's weight of each other, each still in id order."""
    monkeypatch.setattr(incremental, "cores", lambda: 2)
    policies = [f"lucheng{k:04}" for k in range(480)] + [f"yuquan{k:04}" for k in range(120)]
    weights = {p: 66_000 if p.startswith("yuquan") else 30_000 for p in policies}
    made = incremental.batches(policies, weights)
    assert len(made) == 4
    totals = [sum(weights[p] for p in b) for b in made]
    assert max(totals) - min(totals) <= 66_000
    assert sorted(p for b in made for p in b) == sorted(policies)
    for batch in made:
        assert list(batch) == sorted(batch)
        assert sum(p.startswith("yuquan") for p in batch) == 30  # the heavy ones spread


def test_a_project_of_many_batches_is_read_in_forked_workers(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """More files than a batch: each file read, parsed and summarized in a forked worker,
    only its summary sent back (`_summaries`); the findings are the whole check's."""
    monkeypatch.setattr(incremental, "BATCH", 1)
    monkeypatch.setattr(incremental, "_SUMMARY_JOB", 1)
    monkeypatch.setenv("POLICYC_JOBS", "2")
    readers = tmp_path / "readers"
    summary_of = incremental._summary_of

    def recorded(project: Any, file: Any) -> bytes:
        with readers.open("a", encoding="utf-8") as stream:
            stream.write(f"{os.getpid()}\n")
        return summary_of(project, file)

    monkeypatch.setattr(incremental, "_summary_of", recorded)
    code, err = same(capsys, project)
    assert code == 0 and err.count("warning[W501]") == 2, err
    pids = set(readers.read_text("utf-8").split())
    assert pids and str(os.getpid()) not in pids


def test_without_fork_a_project_of_many_batches_reads_the_same(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where there is no fork (Windows), a project of more files than a batch is parsed on
    every core by `project._parse_many` and summarized in this process (elsewhere the forked
    workers summarize, `_summaries`); the findings are the whole check's either way."""
    monkeypatch.setattr(incremental, "BATCH", 1)
    monkeypatch.setattr(incremental, "forks", lambda: False)
    code, err = same(capsys, project)
    assert code == 0 and err.count("warning[W501]") == 2, err
    edit(project, "weihai.policy", lambda t: t.replace("when ", "when 3 + ", 1))
    status, err = same(capsys, project)
    assert status == 1 and "error[E20" in err, err


def test_errors_and_their_repair_match_the_whole_check(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(incremental, "BATCH", 1)  # each policy re-checked in its own batch
    same(capsys, project)
    steps: list[tuple[str, Callable[[str], str], str]] = [
        # a type error in a rule
        ("weihai.policy", lambda t: t.replace("when ", "when 3 + ", 1), "E20"),
        # a fact of another policy's file (E122)
        ("ningbo.policy", lambda t: t.replace("when ", "when madeup_a and ", 1), "E122"),
        # ... and the name gone from that file: 宁波's own files did not change, its findings did
        ("madeup.policy", lambda t: t.replace("madeup_a", "madeup_aa"), "E101"),
        # a declaration changed: the project-wide passes run again
        ("madeup.policy", lambda t: t.replace("fact ", 'fact twice_x: bool "x"\nfact ', 1), ""),
        ("ningbo.policy", lambda t: t.replace("fact ", 'fact twice_x: bool "x"\nfact ', 1), "E100"),
        # a comment beside a declaration a diagnostic quotes
        (
            "ningbo.policy",
            lambda t: t.replace('twice_x: bool "x"', 'twice_x: bool "x" # !'),
            "E100",
        ),
        # the official text no longer matches its hash
        ("sources/madeup.txt", lambda t: t + "第六条 附加。\n", "E302"),
        # a syntax error
        ("weihai.policy", lambda t: t.replace("{", "{ {", 1), "E0"),
    ]
    for name, change, code in steps:
        edit(project, name, change)
        status, err = same(capsys, project)
        assert status == 1 and f"error[{code}" in err, (name, err)
    assert same(capsys, project, "--json")[0] == 1
    # All repaired, one by one, in another order.
    fresh = _made_up(project.parent / "fresh")
    for name in ("weihai.policy", "sources/madeup.txt", "ningbo.policy", "madeup.policy"):
        source = ROOT / "policies" / name
        shutil.copyfile(
            source if source.exists() else fresh / "policies" / name, project / "policies" / name
        )
        same(capsys, project)
    code, err = same(capsys, project, "--json")
    assert code == 0 and err.count('"W501"') == 2, err


def test_every_project_wide_diagnostic_matches_the_whole_check(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The project-wide passes run on each file's declarations kept in the cache
    (compiler/declare.py) give what they give on the parsed files: each of their diagnostics
    in turn, added to the ones before, byte for byte."""
    same(capsys, project)
    concept_fact = "applicant_concealed_finances"  # a shared fact (concepts.policy), bool
    steps: list[tuple[str, str, str]] = [
        # related to a fact that is not a concept's (E120), to an unknown fact (E101)
        ("madeup.policy", 'fact madeup_r1: bool "一" narrower madeup_a\n', "E120"),
        ("madeup.policy", 'fact madeup_r2: bool "二" narrower madeup_nowhere\n', "E101"),
        # of another type than the shared fact; `narrower` between facts that are not yes/no
        ("madeup.policy", f'fact madeup_r3: date "三" same {concept_fact}\n', "E205"),
        ("ningbo.policy", f'fact ningbo_r4: bool "四" wider {concept_fact}\n', ""),
        # relations that go round (each also E120: neither is a concept's fact)
        ("madeup.policy", 'fact madeup_c1: bool "五" same madeup_c2\n', "E101"),
        ("madeup.policy", 'fact madeup_c2: bool "六" same madeup_c1\n', "E121"),
        # an enum member listed twice; a fact of an unknown enum
        ("weihai.policy", 'enum weihai_e "七" {\n    a "甲"\n    a "乙"\n}\n', "E100"),
        ("weihai.policy", 'fact weihai_t: enum weihai_nowhere "八"\n', "E101"),
        # an actor part of an unknown actor
        ("weihai.policy", 'actor weihai_office "九" of weihai_nowhere\n', "E102"),
        # a name declared in two files; tests of an unknown policy
        ("ningbo.policy", 'judgment madeup_a "十"\n', "E100"),
        ("cases/ningbo.policy", "tests nowhere {\n}\n", "E105"),
        # a rule in a file without a policy header; a second header
        ("stray.policy", 'define stray_d: bool at 一 "x" = true\n', "E107"),
        # ... and passages one after another there (each its own E107)
        ("stray.policy", 'pending at 二 "甲"\ninformative at 三 purpose "乙"\n', "E107"),
        ("madeup.policy", "policy madeup_again {\n}\n", "E106"),
    ]
    for name, added, code in steps:
        path = project / "policies" / name
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        path.write_text(text + "\n" + added, encoding="utf-8")
        status, err = same(capsys, project)
        assert status == 1 and f"error[{code}" in err, (name, err)
    # And repaired file by file.
    fresh = _made_up(project.parent / "fresh")
    (project / "policies" / "stray.policy").unlink()
    for name in ("madeup.policy", "ningbo.policy", "weihai.policy", "cases/ningbo.policy"):
        source = ROOT / "policies" / name
        shutil.copyfile(
            source if source.exists() else fresh / "policies" / name, project / "policies" / name
        )
        same(capsys, project)
    assert same(capsys, project)[0] == 0


def test_files_added_removed_and_a_policy_declared_twice(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same(capsys, project)
    (project / "policies" / "cases" / "weihai.policy").unlink()
    assert same(capsys, project)[0] == 0
    copy = project / "policies" / "weihai2.policy"
    shutil.copyfile(project / "policies" / "weihai.policy", copy)
    status, err = same(capsys, project)  # the whole check: a policy declared twice
    assert status == 1 and "policy 'weihai' is declared twice" in err
    copy.unlink()
    assert same(capsys, project)[0] == 0


def test_damaged_entries_are_ignored(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = same(capsys, project)
    for entry in (project / ".policyc-cache").glob("*.json"):
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])
    assert run(capsys, project)[::2] == expected
    for entry in (project / ".policyc-cache").glob("*.json"):
        entry.write_bytes(b'[1, "not", "an entry"]')
    assert run(capsys, project)[::2] == expected


def test_named_files_are_reported_alone(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(project, "weihai.policy", lambda t: t.replace("when ", "when 3 + ", 1))
    edit(project, "ningbo.policy", lambda t: t.replace("when ", "when 3 + ", 1))
    for named in (["policies/weihai.policy"], ["policies/cases", "policies/ningbo.policy"]):
        status, err = same(capsys, project, *(str(project / p) for p in named))
        assert status == 1 and err.count("error[") == 1, err
    # A file from outside policies/ is checked against the shared vocabulary only.
    draft = project / "draft.policy"
    draft.write_text('fact draft_only: bool "草稿"\n', encoding="utf-8")
    assert same(capsys, project, str(draft))[0] == 0


T = TypeVar("T")


def changes(heard: list[T]) -> list[T]:
    """What a line shows of `heard`: a count heard again (a poll while it stands still, to
    show the seconds go by: progress.TerminalProgress) is one."""
    return [step for i, step in enumerate(heard) if i == 0 or heard[i - 1] != step]


def test_long_steps_are_reported(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a terminal's progress line hears (compiler/progress.py shows it from 50 on)."""
    from compiler.cache import open_cache

    monkeypatch.setattr(incremental, "BATCH", 1)
    heard: list[tuple[str, int, int, str]] = []
    cache = open_cache(project)
    assert cache is not None
    incremental.check_project(project, cache, lambda *step: heard.append(step))
    files = len(list((project / "policies").rglob("*.policy")))
    assert ("reading", files, files, "files") in heard  # every summary made
    # Counted a policy at a time, as the workers check them: two may be done between two
    # looks at their count (project.forked_map).
    counts = changes([done for doing, done, total, unit in heard if doing == "checking"])
    assert counts == sorted(set(counts)) and counts[0] == 0 and counts[-1] == 3
    assert {(total, unit) for doing, _, total, unit in heard if doing == "checking"} == {
        (3, "policies")
    }
    heard.clear()
    incremental.check_project(project, cache, lambda *step: heard.append(step))
    assert heard == []  # nothing to read again, nothing to check again


def test_a_policys_weight_is_the_bytes_of_its_file_and_of_its_tests(project: Path) -> None:
    """What `batches` balances: per policy, the bytes of the file that declares it and of
    the files whose `tests <id> { … }` blocks test it (the project keeps each policy's
    cases in policies/cases/<id>.policy); nothing for the shared files."""
    from compiler.cache import open_cache

    cache = open_cache(project)
    assert cache is not None
    checked = incremental.Checked.of(project, cache)
    assert checked is not None
    policies = project / "policies"
    weights = checked.project.weights()
    for policy in COPIED:
        own = (policies / f"{policy}.policy").stat().st_size
        assert weights[policy] == own + (policies / "cases" / f"{policy}.policy").stat().st_size
    assert set(weights) == set(checked.keys)  # every policy, and nothing else
