"""The compiler's command line on bad input (issue: CLI hardening): a policy file that cannot
be read stops the check as a syntax error does, a file in another encoding is named as such,
and an output folder that cannot be written is refused before the build does any work.
Every test here failed before its fix."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import new_project

from compiler import codes, incremental, project
from compiler.cli import main
from compiler.diagnostics import (
    Diagnostic,
    guess_encoding,
    stopped_at_syntax,
    syntax_stage,
    unreadable,
)
from compiler.nodes import Span
from compiler.sources import SourceError, load_source

# Where checking stopped at a file it could not read, and at one with a syntax error.
NOT_READ = (
    "the other checks (names, types, citations, quotes, tests) were skipped until the files "
    "above can be read"
)
SYNTAX = (
    "the other checks (names, types, citations, quotes, tests) were skipped until the syntax "
    "errors above are fixed"
)

# A fact of the type the shared vocabulary declares: unknown when vocabulary.policy is not read.
USES_VOCABULARY = 'fact chosen_programme: enum programme "项目"\n'


@pytest.fixture(autouse=True)
def private_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache's per-account secret lives in the test's folder, not the user's home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def run(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in err, err
    return code, out, err


# ---------------------------------------------------------------- a file that cannot be read


def _unreadable(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Reading the policy file called `name` fails as an unreadable one does (EACCES): chmod
    000 stops no one running as root, as tests may."""
    real = project.read_policy_bytes

    def read(path: Path) -> bytes:
        if path.name == name:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    # Both the whole load (project.py) and the cached check (incremental.py) read files.
    monkeypatch.setattr(project, "read_policy_bytes", read)
    monkeypatch.setattr(incremental, "read_policy_bytes", read)


@pytest.mark.parametrize("cache", [[], ["--no-cache"]], ids=["cache", "no_cache"])
@pytest.mark.parametrize("verb", [["check"], ["build", "--out", "OUT"]], ids=["check", "build"])
def test_an_unreadable_file_stops_the_check(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    cache: list[str],
    verb: list[str],
) -> None:
    # The file was reported (E000), then every use of its names (E101…), and exit 1 with them.
    root = new_project(tmp_path / "p")
    (root / "policies" / "uses.policy").write_text(USES_VOCABULARY, encoding="utf-8")
    _unreadable(monkeypatch, "vocabulary.policy")
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in verb]
    code, out, err = run(capsys, root, *argv, *cache)
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "error[E000]: cannot read policies/vocabulary.policy: Permission denied"
    assert lines[1] == f"policyc {verb[0]}: {NOT_READ}"
    assert len(lines) == 3 and lines[2].startswith(f"policyc {verb[0]}: 1 error(s) in ")
    assert not (tmp_path / "out").exists()


def test_an_unreadable_file_is_reported_with_the_syntax_errors_of_others(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = new_project(tmp_path / "p")
    (root / "policies" / "bad.policy").write_text("fact\n", encoding="utf-8")
    _unreadable(monkeypatch, "vocabulary.policy")
    code, _, err = run(capsys, root, "check", "--no-cache")
    assert code == 1
    assert "error[E000]: cannot read policies/vocabulary.policy: Permission denied" in err
    assert "policies/bad.policy:1:5: error[E003]" in err
    assert f"\npolicyc check: {SYNTAX}\n" in err


def test_an_unreadable_file_named_on_the_command_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = new_project(tmp_path / "p")
    (root / "policies" / "uses.policy").write_text(USES_VOCABULARY, encoding="utf-8")
    _unreadable(monkeypatch, "uses.policy")
    code, _, err = run(capsys, root, "check", str(root / "policies" / "uses.policy"))
    assert code == 1
    assert err.startswith("error[E000]: cannot read policies/uses.policy: Permission denied\n")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a file of mode 000"
)
def test_a_file_of_mode_000_stops_the_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = new_project(tmp_path / "p")
    (root / "policies" / "uses.policy").write_text(USES_VOCABULARY, encoding="utf-8")
    vocabulary = root / "policies" / "vocabulary.policy"
    vocabulary.chmod(0)
    try:
        code, _, err = run(capsys, root, "check")
    finally:
        vocabulary.chmod(0o644)
    assert code == 1
    assert "cannot read policies/vocabulary.policy: Permission denied" in err
    assert "E101" not in err and f"\npolicyc check: {NOT_READ}\n" in err


def test_a_path_that_names_nothing_is_still_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = new_project(tmp_path / "p")
    code, _, err = run(capsys, root, "check", str(tmp_path / "nosuch.policy"))
    assert code == 2
    assert err == f"error[E007]: no such file or directory: {tmp_path / 'nosuch.policy'}\n"


def test_a_file_that_cannot_be_read_stops_the_check_a_path_that_names_nothing_does_not() -> None:
    cannot = unreadable("policies/a.policy", PermissionError(13, "Permission denied"))
    assert cannot == Diagnostic(
        codes.E000, "cannot read policies/a.policy: Permission denied", None
    )
    named = Diagnostic(codes.E007, "no such file or directory: nosuch.policy", None)
    unknown = Diagnostic(codes.E101, "x", Span("policies/b.policy", 1, 1, 1, 2))
    assert stopped_at_syntax([cannot]) and not stopped_at_syntax([named, unknown])
    assert syntax_stage([named, cannot, unknown]) == [named, cannot]


# ---------------------------------------------------------------- files in another encoding

POLICY = 'policy zz {\n  title "社会救助审核确认办法"\n}\n'


@pytest.mark.parametrize(
    ("data", "guess"),
    [
        (POLICY.encode("utf-16"), "UTF-16"),  # with its byte order mark, as Notepad saves it
        (POLICY.encode("utf-16-le"), "UTF-16"),  # without: a NUL after each ASCII character
        (POLICY.encode("utf-16-be"), "UTF-16"),
        (POLICY.encode("gbk"), "GBK/GB18030"),
        (POLICY.encode("gb18030"), "GBK/GB18030"),
        ("# Zürich München\n".encode("latin-1"), None),  # ü and r: one rare GBK character
        ("# café\n".encode("latin-1"), None),
        (b"# \x81\x30\x81\x30\n", None),  # decodes as gb18030, but to no Chinese
        (bytes(range(128, 256)), None),
    ],
    ids=[
        "utf16_bom",
        "utf16le",
        "utf16be",
        "gbk",
        "gb18030",
        "latin1",
        "latin1_eol",
        "noncjk",
        "bin",
    ],
)
def test_the_encoding_a_file_that_is_not_utf8_looks_like(data: bytes, guess: str | None) -> None:
    assert guess_encoding(data) == guess


def test_an_official_text_in_gbk_says_so(tmp_path: Path) -> None:
    path = tmp_path / "zz.txt"
    path.write_bytes("第一条 社会救助。\n".encode("gbk"))
    with pytest.raises(SourceError) as raised:
        load_source(path)
    assert str(raised.value) == (
        f"{path}: not UTF-8 text (byte offset 0); it looks like GBK/GB18030: save it as UTF-8"
    )


def test_new_from_an_official_text_in_utf16_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = new_project(tmp_path / "p")
    source = tmp_path / "zz.txt"
    source.write_bytes("第一条 社会救助。\n".encode("utf-16"))
    code, _, err = run(capsys, root, "new", str(source))
    assert code == 2
    assert err == (
        f"policyc: {source}: not UTF-8 text (byte offset 0); it looks like UTF-16: "
        "save it as UTF-8\n"
    )


# ---------------------------------------------------------------- an output that cannot be written


@pytest.mark.parametrize("cache", [[], ["--no-cache"]], ids=["cache", "no_cache"])
def test_an_out_under_a_file_is_refused_before_the_build(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, cache: list[str]
) -> None:
    # The build's steps were printed, then "cannot write …: File exists".
    root = new_project(tmp_path / "p")
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code, out, err = run(capsys, root, "build", "--out", str(blocker / "out"), *cache)
    assert code == 2
    assert out == ""
    assert err == (
        f"policyc: cannot write {blocker / 'out'}: no folder can be made in {blocker}: "
        "Not a directory\n"
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
@pytest.mark.parametrize("out", ["/proc/x", "/proc/x/y"])
def test_an_out_where_no_folder_can_be_made_is_refused_before_the_build(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, out: str
) -> None:
    root = new_project(tmp_path / "p")
    code, stdout, err = run(capsys, root, "build", "--out", out)
    assert code == 2
    assert stdout == ""
    assert err.startswith(f"policyc: cannot write {out}: no folder can be made in /proc: ")
    assert err.count("\n") == 1


def test_the_check_of_the_out_leaves_nothing_behind(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = new_project(tmp_path / "p")
    (root / "policies" / "bad.policy").write_text("fact\n", encoding="utf-8")
    code, _, _ = run(capsys, root, "build", "--out", str(tmp_path / "a" / "b"))
    assert code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p", "xdg"]
    (root / "policies" / "bad.policy").unlink()
    code, _, err = run(capsys, root, "build", "--out", str(tmp_path / "a" / "b"))
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b"]


@pytest.mark.parametrize("cache", [[], ["--no-cache"]], ids=["cache", "no-cache"])
def test_a_link_in_policies_to_no_file_stops_the_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, cache: list[str]
) -> None:
    """A policy file that is a symbolic link to a file gone (a moved checkout, a deleted
    draft) was passed over by the folder's walk: `check` said the project was clean without
    reading it."""
    root = new_project(tmp_path / "p")
    (root / "policies" / "gone.policy").symlink_to(tmp_path / "nowhere.policy")
    code, out, err = run(capsys, root, "check", *cache)
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == ("error[E000]: cannot read policies/gone.policy: a symbolic link to no file")
    assert lines[1] == f"policyc check: {NOT_READ}"


_NOT_REGULAR = "not a regular file (a pipe, a device or a socket)"


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _loop(path: Path) -> None:
    path.symlink_to(path.name)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
@pytest.mark.parametrize("cache", [[], ["--no-cache"]], ids=["cache", "no-cache"])
@pytest.mark.parametrize(
    ("make", "why"),
    [
        (_fifo, _NOT_REGULAR),
        (lambda path: path.symlink_to("/dev/zero"), _NOT_REGULAR),
        (Path.mkdir, "a folder, not a policy file"),
        (_loop, "a loop of symbolic links"),
    ],
    ids=["pipe", "device", "folder", "loop"],
)
def test_a_policy_name_that_is_no_regular_file_stops_the_check(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    cache: list[str],
    make: Callable[[Path], object],
    why: str,
) -> None:
    """A pipe, a link to a device or a folder where a policy file was (`policies/x.policy`)
    was passed over as a link to no file had been: "clean", the jurisdiction gone from the
    build.  A loop of links was said to be a link to no file."""
    root = new_project(tmp_path / "p")
    make(root / "policies" / "x.policy")
    code, out, err = run(capsys, root, "check", *cache)
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == f"error[E000]: cannot read policies/x.policy: {why}"
    assert lines[1] == f"policyc check: {NOT_READ}"


def _unlistable(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Listing the folder called `name` fails as a folder of mode 000 does (EACCES), for root
    too."""
    real = os.scandir

    def scandir(path: str) -> object:
        if Path(path).name == name:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


@pytest.mark.parametrize("cache", [[], ["--no-cache"]], ids=["cache", "no-cache"])
@pytest.mark.parametrize("named", [False, True], ids=["project", "a-file-named"])
def test_a_folder_in_policies_that_cannot_be_listed_stops_the_check(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    cache: list[str],
    named: bool,
) -> None:
    """The walk of policies/ passed over a folder it could not list: `check` reported each use
    of the names declared there as unknown (E101), or said "clean" where nothing used them,
    of policies it had not read."""
    root = new_project(tmp_path / "p")
    (root / "policies" / "shared").mkdir()
    (root / "policies" / "shared" / "vocabulary.policy").write_bytes(
        (root / "policies" / "vocabulary.policy").read_bytes()
    )
    (root / "policies" / "vocabulary.policy").unlink()
    (root / "policies" / "uses.policy").write_text(USES_VOCABULARY, encoding="utf-8")
    code, _, err = run(capsys, root, "check", "--no-cache")
    assert code == 0, err  # the project checks when the folder can be listed
    _unlistable(monkeypatch, "shared")
    files = [str(root / "policies" / "uses.policy")] if named else []
    code, out, err = run(capsys, root, "check", *files, *cache)
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == "error[E000]: cannot read policies/shared/: Permission denied"
    assert lines[1] == f"policyc check: {NOT_READ}"


@pytest.mark.parametrize(
    "argv",
    [["build", "--out", ""], ["site", "--out", " "], ["tables", "--out", ""]],
    ids=["build", "site", "tables"],
)
def test_an_empty_out_is_refused_not_taken_for_the_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    """`--out "$OUT"` with OUT unset in a CI script built into build/ and said so."""
    root = new_project(tmp_path / "p")
    assert main(["--root", str(root), *argv]) == 2
    assert "argument --out: an empty path" in capsys.readouterr().err
    assert not (root / "build").exists()


def test_an_empty_root_is_refused_not_taken_for_the_working_directory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--root", "", "check"]) == 2
    assert "argument --root: an empty path" in capsys.readouterr().err


@pytest.mark.parametrize("comment", ["// edited 2026-12", "/* edited */"])
def test_a_comment_written_as_in_c_says_how_comments_are_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, comment: str
) -> None:
    """`// …` was "unexpected '*', '/'" followed by a list of every keyword."""
    root = new_project(tmp_path / "p")
    (root / "policies" / "x.policy").write_text(f"{USES_VOCABULARY}{comment}\n", "utf-8")
    code, _, err = run(capsys, root, "check", "--no-cache")
    assert code == 1
    assert "policies/x.policy:2:1: error[E004]" in err
    assert "= comments start with # and run to the end of the line (not // or /* */)" in err


def test_an_unknown_policy_among_many_names_the_close_ones_not_all(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 3,000 jurisdictions `policyc decide weihai` printed a line of 3,000 ids."""
    from compiler.runtime import cli as runtime_cli

    root = Path(__file__).resolve().parent.parent
    monkeypatch.setattr(runtime_cli, "LISTED_AT_MOST", 2)  # the project's five are "many"
    facts = ["--facts", str(root / "policies" / "cases" / "no-such.json")]
    for argv in (["decide", "weihia", *facts], ["test", "weihia"]):
        code, _, err = run(capsys, root, *argv)
        assert code == 2
        assert "did you mean 'weihai'? 5 policies, one a file in policies/" in err, err
        assert "lucheng" not in err
    # In capitals: the same id suggested (difflib compares case: none was).
    code, _, err = run(capsys, root, "conflicts", "--against", "WEIHAI")
    assert code == 2 and "did you mean 'weihai'? 5 policies" in err, err


# ---------------------------------------------------------------- a file that declares nothing


@pytest.mark.parametrize(
    "text",
    ["", "\n", "# 宁波市社会救助尽职免责办法（待转写）\n"],
    ids=["empty", "blank", "comment"],
)
@pytest.mark.parametrize("cache", [[], ["--no-cache"]], ids=["cache", "no-cache"])
def test_a_policy_file_that_declares_nothing_is_a_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, cache: list[str]
) -> None:
    """A jurisdiction's file emptied by a save that went wrong (or never written) left the
    build without a word: `check` said clean.  It is W001, a warning (exit 0), at 1:1; the
    shared vocabulary may be empty, as a project with nothing to share has it."""
    root = new_project(tmp_path / "p")
    (root / "policies" / "weihai.policy").write_text(text, encoding="utf-8")
    (root / "policies" / "concepts.policy").write_text("", encoding="utf-8")
    for _ in range(2):  # the second run reads the check from the cache
        code, _, err = run(capsys, root, "check", *cache)
        assert code == 0, err
        assert err.startswith(
            "policies/weihai.policy:1:1: warning[W001]: the file declares nothing"
        ), err
        assert err.count("W001") == 1 and "concepts.policy" not in err
        assert err.rstrip().endswith("1 warning(s)")
