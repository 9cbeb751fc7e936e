"""A file saved while `policyc build` runs (an editor's autosave, a second person at work on
the project): the build is made from one version of each file, read once.

Two faults, both found by running two builds of one project at once with an edit between
their starts (`policyc build` twice, the second after the edit, each compared with a
`--no-cache` build of the files it could have read):

- Lowering read each policy file again for the hash its generated module records
  (`VERSION["policy_sha256"]`, the policy's version in the package; the shared files, too, for
  `vocabulary_sha256`): rules of the old text
  went out under the hash of the new one, and were kept in the cache that way.
- The cache key hashed an official text read once, the checker quoted from it when it read it
  again: the findings of one text were kept under the key of the other, and every later run
  with the first text found them there (an E302 for a text that is fine, or none for one
  that is not), until some other input changed.

Here the edit is made at a fixed point, while the first policy is checked, so that each test
says what it does every time."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import check as check_module
from compiler.cli import main
from tests.test_incremental import project as project  # the fixture: ningbo, weihai, a made-up one
from tests.test_rebuild import build as _build
from tests.test_rebuild import tree


def _whole(capsys: pytest.CaptureFixture[str], policies: Path, folder: Path) -> dict[str, bytes]:
    """What a build without the cache writes from a copy of `policies` as it is now."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(policies, folder / "policies")
    assert _build(capsys, folder, folder / "out", "--no-cache") == 0
    return tree(folder / "out")


def _saved_during_check(
    monkeypatch: pytest.MonkeyPatch, marker: Path, path: Path, change: Callable[[str], str]
) -> None:
    """`path` saved with `change` while the checker checks its first policy, once (`marker`:
    a worker of a forked check is another process)."""
    checking = check_module.Checker.check_policy

    def check_policy(self: check_module.Checker, policy: check_module.Policy) -> None:
        if not marker.exists():
            marker.touch()
            text = path.read_text(encoding="utf-8")
            path.write_text(change(text), encoding="utf-8")
        checking(self, policy)

    monkeypatch.setattr(check_module.Checker, "check_policy", check_policy)


def _next_build_is_the_saved_texts(
    capsys: pytest.CaptureFixture[str], project: Path, tmp_path: Path, before: dict[str, bytes]
) -> None:
    """The build after the one a file was saved during makes the saved text's outputs, and
    nothing of the first build is kept for it."""
    after = _whole(capsys, project / "policies", tmp_path / "after")
    assert _build(capsys, project, project / "out") == 0
    assert tree(project / "out") == after != before


@pytest.mark.parametrize("cache", ["through the cache", "--no-cache"])
def test_a_policy_saved_during_the_build_is_built_from_the_text_that_was_read(
    cache: str,
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policies = project / "policies"
    before = _whole(capsys, policies, tmp_path / "before")
    weihai = policies / "weihai.policy"
    _saved_during_check(
        monkeypatch,
        tmp_path / "saved",
        weihai,
        lambda t: t.replace("within 7 workdays", "within 8 workdays", 1),
    )
    args = ["--no-cache"] if cache == "--no-cache" else []
    assert _build(capsys, project, project / "out", *args) == 0
    monkeypatch.undo()
    built = tree(project / "out")
    module = built["validators/policyc_validators/weihai.py"].decode("utf-8")
    assert "amount=7," in module and "amount=8," not in module
    # The version it records is the hash of the text its rules were made from.
    assert hashlib.sha256(weihai.read_bytes()).hexdigest() not in module
    assert built == before
    _next_build_is_the_saved_texts(capsys, project, tmp_path, before)


def test_the_shared_vocabulary_saved_during_the_build_is_hashed_as_it_was_read(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every module records the hash of the shared files (`vocabulary_sha256`): of the bytes
    checked, not of the file read again."""
    policies = project / "policies"
    before = _whole(capsys, policies, tmp_path / "before")
    vocabulary = policies / "vocabulary.policy"
    _saved_during_check(monkeypatch, tmp_path / "saved", vocabulary, lambda t: t + "# 已保存\n")
    assert _build(capsys, project, project / "out") == 0
    monkeypatch.undo()
    assert tree(project / "out") == before
    _next_build_is_the_saved_texts(capsys, project, tmp_path, before)


def test_an_official_text_saved_during_the_check_leaves_no_findings_under_the_other_text(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policies = project / "policies"
    before = _whole(capsys, policies, tmp_path / "before")
    text = policies / "sources" / "madeup.txt"
    kept = text.read_bytes()
    # A line added to the official text: its recorded sha256 no longer holds (E302).
    _saved_during_check(monkeypatch, tmp_path / "saved", text, lambda t: t + "第六条 附加。\n")
    assert _build(capsys, project, project / "out") == 0  # the text that was read: it holds
    monkeypatch.undo()
    assert tree(project / "out") == before
    # The text as saved: the build refuses it, as a check without the cache does.
    assert main(["--root", str(project), "check", "--no-cache"]) == 1
    assert "error[E302]" in capsys.readouterr().err
    assert _build(capsys, project, project / "out") == 1
    # The text put back: built again as before, from the findings kept for it.
    text.write_bytes(kept)
    assert _build(capsys, project, project / "out") == 0
    assert tree(project / "out") == before
