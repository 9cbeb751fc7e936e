"""What a benchmark clears between first builds (the cache, an output folder), set aside
rather than deleted until the benchmark ends.  Shared code, not a script.

Why: on an ext4 file system without a journal (this machine's disk), the kernel does not give
a new file the inode of one deleted in the last minute, or in the last six while that part of
the inode table is not yet written back (`recently_deleted` in the kernel's
fs/ext4/ialloc.c).  It finds that out one free inode at a time, reading each one's deletion
time, so a build that creates tens of thousands of files just after tens of thousands were
deleted spends much of its time in the kernel skipping them: a first build of 600
jurisdictions took 20.2 s, 5.8 s of it system CPU, 20 s after the previous cache was
deleted; 18.6 s (4.4 s) 90 s after; 16.5-16.9 s (1.2-1.4 s) with nothing deleted
(benchmarks/README.md, eleventh round).  A first build on a fresh machine, the case the
figures are for, deletes nothing before it.  A rename frees no inode, so the folders are moved
into a trash folder beside them, on the same file system, and the trash is deleted at the end:
for the next few minutes, builds on this disk are slower.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from types import TracebackType

TRASH = ".benchmark-trash"


class SetAside:
    """`with SetAside(work) as aside: aside(folder)` moves `folder` (inside `work`) into
    `work/.benchmark-trash/`; the trash is deleted when the block ends, and one left by a run
    that was stopped is deleted when the next begins (which then says so)."""

    def __init__(self, work: Path) -> None:
        self.trash = work / TRASH
        self.moved = 0

    def __enter__(self) -> SetAside:
        if self.trash.exists():
            print(
                f"note: deleting {self.trash}, left by an earlier run; the first build may be "
                "slower (benchmarks/aside.py)",
                file=sys.stderr,
            )
            shutil.rmtree(self.trash)
        return self

    def __call__(self, folder: Path) -> None:
        if folder.exists():
            self.trash.mkdir(parents=True, exist_ok=True)
            folder.rename(self.trash / str(self.moved))
            self.moved += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        shutil.rmtree(self.trash, ignore_errors=True)
