"""`policyc build`: write every output of the checked model into the build directory.

The build is all or nothing: outputs are written into a fresh directory next to the target
and swapped in only when complete, so a failed build leaves the previous output intact.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from compiler import ir
from compiler.backends.package import package_files

Progress = Callable[[str], None]


def outputs(program: ir.Program, progress: Progress) -> dict[str, bytes]:
    """Every output file, by path relative to the build directory."""
    files: dict[str, bytes] = {}
    progress(f"validators: {len(program.policies)} policies")
    for path, data in package_files(program).items():
        files[f"validators/{path}"] = data
    return files


def write_tree(target: Path, files: Mapping[str, bytes]) -> None:
    """Replace `target` with exactly `files`; on any failure, `target` is left as it was."""
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} exists and is not a directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    # mkdtemp makes a private (0700) directory; the output is an ordinary one.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)
    try:
        for relative, data in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        old = target.with_name(f".{target.name}-old")
        if old.exists():
            shutil.rmtree(old)
        if target.exists():
            os.replace(target, old)
        os.replace(staging, target)
        if old.exists():
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def build(program: ir.Program, target: Path, progress: Progress) -> int:
    files = outputs(program, progress)
    write_tree(target, files)
    return len(files)
