"""The same input gives byte-identical output: two builds of everything, under different hash
seeds and with the project's files written to disk in opposite orders, are the same bytes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLICYC = Path(sys.executable).with_name("policyc")


def copy_project(target: Path, reverse: bool) -> Path:
    """The project's inputs, each file created in the given order (directory order on disk
    follows creation order on most file systems)."""
    files = sorted(p for p in (ROOT / "policies").rglob("*") if p.is_file())
    for path in reversed(files) if reverse else files:
        destination = target / path.relative_to(ROOT)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return target


def build(project: Path, out: Path, seed: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [POLICYC, "--root", project, "build", "--out", out],
        capture_output=True, text=True, env=env, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build(copy_project(tmp_path / "a", reverse=False), tmp_path / "out-a", "0")
    second = build(copy_project(tmp_path / "b", reverse=True), tmp_path / "out-b", "4242")
    assert sorted(first) == sorted(second)
    different = [path for path in first if first[path] != second[path]]
    assert different == []
    assert len(first) > 20
