"""Files written whole or not at all: the one way policyc replaces a file.

The data goes to a new temporary file beside the target, which is then renamed over it, so a
reader never sees half a file, and a full disk or a kill leaves the old file as it was (and a
temporary file, which the cache's sweep removes: compiler/rebuild.py).  A first build at
province scale writes some 60,000 files this way; `tempfile.mkstemp` (a random name tried
until one is free, a buffered file object around the descriptor) took 62 µs a file of 6 KB
on this machine's disk, this 49-51 (benchmarks/README.md, twelfth round).
"""

from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path

# Temporary names are this process's id and a count: unique among live processes.  One left
# by a killed process whose id came back is skipped (O_EXCL), never written through.
_COUNT = itertools.count()
# Text mode would translate line endings on Windows; O_BINARY exists only there.
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def usual_mode() -> int:
    """The permissions a new file gets here (0o666 less the umask), as `open` would give."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_whole(
    path: str | Path,
    data: bytes,
    mode: int | None = None,
    *,
    prefix: str = ".tmp-",
    durable: bool = False,
) -> None:
    """Replace `path` with `data`, whole or not at all.

    `mode`: the file's permissions (default `usual_mode()`); the temporary file is private
    (0o600) until it has them.  `prefix`: how the temporary file's name begins, in `path`'s
    folder.  `durable`: the data flushed to the disk before the rename (a file a person
    edited: after a crash it is the old file or the new one, never an empty one)."""
    folder = os.path.dirname(path)
    while True:
        temporary = os.path.join(folder, f"{prefix}{os.getpid()}-{next(_COUNT)}")
        try:
            descriptor = os.open(temporary, _FLAGS, 0o600)
            break
        except FileExistsError:
            continue
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            if durable:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
        if mode != 0o600:  # as it was made (with a umask that leaves the owner's bits)
            os.chmod(temporary, usual_mode() if mode is None else mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):  # a second failure must not hide the first
            os.unlink(temporary)
        raise


__all__ = ["usual_mode", "write_whole"]
