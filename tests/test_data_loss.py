"""Nothing a user has is lost: where `policyc build` and `policyc new` may write, and what they
refuse (issue: hardening, "Data loss").  Every test here failed before its fix."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest
from conftest import new_project

import compiler.atomic
from compiler.build import MARKER, OutputRefused, write_tree
from compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "policies" / "sources" / "weihai.txt"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


FILES = {"validators/a.txt": b"a", "validators/sub/b.txt": b"b"}


# ---------------------------------------------------------------- build: only into what it owns


def test_build_refuses_a_folder_it_did_not_write(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mine = tmp_path / "reports"
    mine.mkdir()
    (mine / "2024.xlsx").write_bytes(b"precious")
    code, _, err = run(capsys, "--root", str(ROOT), "build", "--out", str(mine))
    assert code == 2
    assert "not written by policyc build" in err and "Traceback" not in err
    assert snapshot(mine) == {"2024.xlsx": b"precious"}


@pytest.mark.parametrize("where", [".", "policies"])
def test_build_into_the_project_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, where: str
) -> None:
    project = tmp_path / "project"
    (project / "policies").mkdir(parents=True)
    for name in ("vocabulary.policy", "concepts.policy"):
        (project / "policies" / name).write_bytes((ROOT / "policies" / name).read_bytes())
    before = snapshot(project)
    code, _, err = run(capsys, "--root", str(project), "build", "--out", str(project / where))
    assert code == 2, err
    assert snapshot(project) == before


def test_a_marked_build_folder_with_a_users_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "build"
    write_tree(target, FILES)
    (target / "notes.md").write_text("mine")
    with pytest.raises(OutputRefused, match=r"notes\.md"):
        write_tree(target, FILES)
    assert (target / "notes.md").read_text() == "mine"
    assert (target / "validators" / "a.txt").read_bytes() == b"a"


@pytest.mark.parametrize("inside", ["validators/mine.txt", "validators/sub/deeper/mine.txt"])
def test_a_users_file_inside_the_builds_folders_is_refused(tmp_path: Path, inside: str) -> None:
    """Only the top-level entries were compared with the marker: a file put inside
    `validators/` went with the folder, without a word."""
    target = tmp_path / "build"
    write_tree(target, FILES)
    (target / inside).parent.mkdir(parents=True, exist_ok=True)
    (target / inside).write_text("mine")
    with pytest.raises(OutputRefused, match=inside.replace(".", r"\.")):
        write_tree(target, FILES)
    assert (target / inside).read_text() == "mine"
    # A file the last build wrote and this one does not (a policy removed) is the build's.
    (target / inside).unlink()
    write_tree(target, {"validators/a.txt": b"a"})
    write_tree(target, FILES)
    assert snapshot(target)["validators/sub/b.txt"] == b"b"


def test_a_read_only_folder_in_the_previous_output_is_removed_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`chmod 555 build/sql`: removing the previous output failed inside it, and what was left
    stayed beside the project (`.build.old-…`) for good.  Unlinking is refused in a folder
    without write permission, as it is for a user other than root."""
    unlink = os.unlink

    def as_a_user(path: str, *, dir_fd: int | None = None) -> None:
        folder = os.path.dirname(path) if dir_fd is None else None
        mode = os.stat(folder).st_mode if folder else os.fstat(dir_fd).st_mode  # type: ignore[arg-type]
        if not mode & 0o200:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        unlink(path, dir_fd=dir_fd)

    target = tmp_path / "build"
    write_tree(target, FILES)
    (target / "validators" / "sub").chmod(0o555)
    monkeypatch.setattr(os, "unlink", as_a_user)
    write_tree(target, FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_rebuilding_replaces_exactly_what_the_build_wrote(tmp_path: Path) -> None:
    target = tmp_path / "build"
    write_tree(target, FILES)
    write_tree(target, {"validators/a.txt": b"A", "site/index.html": b"<p>"})
    assert snapshot(target) == {
        MARKER: (target / MARKER).read_bytes(),
        "site/index.html": b"<p>",
        "validators/a.txt": b"A",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_siblings_of_the_build_folder_are_never_touched(tmp_path: Path) -> None:
    # `.build-old` was the fixed name of the previous output: a user's folder of that name
    # was deleted by every build.
    for name in (".build-old", ".build.old-mine", ".build.staging-notes"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "keep.txt").write_text(name)
    write_tree(tmp_path / "build", FILES)
    write_tree(tmp_path / "build", FILES)
    for name in (".build-old", ".build.old-mine", ".build.staging-notes"):
        assert (tmp_path / name / "keep.txt").read_text() == name


def test_a_killed_builds_staging_is_removed_by_the_next(tmp_path: Path) -> None:
    write_tree(tmp_path / "build", FILES)
    stale = tmp_path / ".build.staging-abc123"
    (stale / "validators").mkdir(parents=True)
    (stale / MARKER).write_bytes((tmp_path / "build" / MARKER).read_bytes())
    empty = tmp_path / ".build.staging-killedearly"
    empty.mkdir()
    write_tree(tmp_path / "build", FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_a_build_folder_from_before_the_marker_is_still_the_builds(tmp_path: Path) -> None:
    target = tmp_path / "build"
    (target / "validators").mkdir(parents=True)
    legacy = '[project]\nname = "policyc-validators"\n'
    (target / "validators" / "pyproject.toml").write_text(legacy)
    write_tree(target, FILES)
    assert (target / "validators" / "a.txt").exists()
    assert not (target / "validators" / "pyproject.toml").exists()


def test_out_through_a_symlink_writes_the_folder_and_keeps_the_link(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    code, _, err = run(capsys, "--root", str(ROOT), "build", "--out", str(link))
    assert code == 0, err
    assert link.is_symlink() and (link / "validators" / "pyproject.toml").is_file()
    assert (real / MARKER).is_file()


def test_concurrent_builds_into_one_folder_all_succeed(tmp_path: Path) -> None:
    target = tmp_path / "build"
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            write_tree(target, {"validators/a.txt": str(i).encode(), **FILES})
        except BaseException as error:  # collected, asserted below
            errors.append(error)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]
    assert sorted(snapshot(target)) == [MARKER, "validators/a.txt", "validators/sub/b.txt"]


# ---------------------------------------------------------------- new: reserved ids, atomic


@pytest.mark.parametrize(
    "policy_id",
    [
        *("vocabulary", "concepts", "import", "class", "runtime", "schemas", "index"),
        *("__init__", "__main__"),
    ],
)
def test_new_refuses_reserved_ids_even_with_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, policy_id: str
) -> None:
    project = new_project(tmp_path)
    before = snapshot(project)
    code, _, err = run(
        capsys, "--root", str(project), "new", str(SOURCE), "--id", policy_id, "--force"
    )
    assert code == 2
    assert f"'{policy_id}' cannot be a policy id" in err
    assert snapshot(project) == before


def test_check_refuses_a_policy_with_a_reserved_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = new_project(tmp_path)
    (project / "policies" / "x.policy").write_text('policy import {\n    title "t"\n}\n')
    code, _, err = run(capsys, "--root", str(project), "check")
    assert code == 1
    assert "error[E119]" in err and "'import' cannot be a policy id" in err


def test_a_failed_copy_leaves_nothing_and_the_retry_works(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = new_project(tmp_path)
    real_write = os.write

    def full_disk(descriptor: int, data: bytes) -> int:
        real_write(descriptor, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(compiler.atomic.os, "write", full_disk)
    code, _, err = run(capsys, "--root", str(project), "new", str(SOURCE), "--id", "weihai2")
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    sources = project / "policies" / "sources"
    assert not (sources / "weihai2.txt").exists()
    assert not any(p.name.startswith(".") for p in sources.iterdir())
    assert not (project / "policies" / "weihai2.policy").exists()
    monkeypatch.undo()
    code, _, err = run(capsys, "--root", str(project), "new", str(SOURCE), "--id", "weihai2")
    assert code == 0, err
    assert (sources / "weihai2.txt").read_bytes() == SOURCE.read_bytes()


# ---------------------------------------------------------------- no project, no default


def test_no_project_found_is_an_error_not_the_installed_project(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = snapshot(ROOT / "policies")
    for argv in (["check"], ["new", str(SOURCE), "--id", "stray"]):
        code, out, err = run(capsys, *argv)
        assert code == 2, (argv, out, err)
        assert "no policy project" in err
    assert snapshot(ROOT / "policies") == before
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["missing", "no_policies"])
def test_a_root_that_is_not_a_project_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    root = tmp_path / "missing" if kind == "missing" else tmp_path
    code, _, err = run(capsys, "--root", str(root), "check")
    assert code == 2
    assert "--root" in err and "Traceback" not in err
