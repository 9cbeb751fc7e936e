"""compiler/atomic.py: files replaced whole or not at all."""

from __future__ import annotations

import itertools
import os
import stat
from pathlib import Path

import pytest

from compiler import atomic
from compiler.atomic import usual_mode, write_whole


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_file_is_replaced_and_no_temporary_file_stays(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_bytes(b"old")
    write_whole(target, b"new" * 100_000)
    assert target.read_bytes() == b"new" * 100_000
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_temporary_name_left_by_a_killed_process_is_skipped_not_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process whose id came back counts from 0 again: the name is taken (O_EXCL), the
    next one is used, and the leftover stays as it was for the cache's sweep."""
    monkeypatch.setattr(atomic, "_COUNT", itertools.count())
    leftover = tmp_path / f".tmp-{os.getpid()}-0"
    leftover.write_bytes(b"half of an entry")
    write_whole(tmp_path / "entry.json", b"[1]", 0o600)
    assert (tmp_path / "entry.json").read_bytes() == b"[1]"
    assert leftover.read_bytes() == b"half of an entry"
    assert sorted(p.name for p in tmp_path.iterdir()) == [leftover.name, "entry.json"]


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_the_mode_is_the_one_asked_for_else_the_usual_one(tmp_path: Path) -> None:
    write_whole(tmp_path / "private", b"x", 0o600)
    write_whole(tmp_path / "script", b"x", 0o755)
    write_whole(tmp_path / "usual", b"x")
    assert _mode(tmp_path / "private") == 0o600
    assert _mode(tmp_path / "script") == 0o755
    assert _mode(tmp_path / "usual") == usual_mode()


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "policy.policy"
    target.write_bytes(b"as it was")

    def full_disk(descriptor: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "write", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_whole(target, b"new", prefix=".policy.policy.", durable=True)
    monkeypatch.undo()
    assert target.read_bytes() == b"as it was"
    assert [p.name for p in tmp_path.iterdir()] == ["policy.policy"]
