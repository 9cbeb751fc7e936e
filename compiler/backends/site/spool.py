"""What a site build keeps on disk instead of in memory: the generated files, and each page's
HTML between MkDocs rendering its Markdown and writing it.

MkDocs renders every page's Markdown before it writes any (a page's template needs the whole
nav, and links are checked against every page's anchors), and holds each page's source and
HTML until the build ends.  A province's site is gigabytes of both: at 3,000 jurisdictions
the MkDocs process held 4.6 GB (benchmarks/README.md, the twenty-ninth round).  So the hook
writes the generated files into a folder of its own (`Sources`), that MkDocs reads each page
from when it renders it and copies the other files from, and keeps each page's HTML in one
file (`Spool`) from when it is rendered until its template is, one page at a time.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final, Protocol

# Where the build's temporary files go: the system's temporary folder (Python's `tempfile`:
# TMPDIR names another).  Where that folder is memory (a tmpfs), these files are too: a
# province's are gigabytes (README.md, "The site of a province").
PREFIX: Final = "policyc-site-"


class _Closing(Protocol):
    def close(self) -> None: ...


# The builds under way (the hook's: their workers, their files on disk), by `opened`.
_OPEN: Final[list[_Closing]] = []


def opened(build: _Closing) -> None:
    """`build` is under way until it is `closed`."""
    _OPEN.append(build)


def closed(build: _Closing) -> None:
    _OPEN[:] = [other for other in _OPEN if other is not build]


def close_all() -> None:
    """End every build under way: one that Ctrl-C stopped where the hook does not hear of it
    (MkDocs tells its plugins of a failure only if it is an `Exception`).  Its workers stop
    before the folder they write into is removed, and its files on disk go."""
    for build in list(_OPEN):
        build.close()


class _Removal(threading.Thread):
    """A folder removed by a thread of its own (`Sources.close` with `later`); what went wrong
    is kept for `removed` to raise where the build waits, not printed by the thread."""

    def __init__(self, folder: tempfile.TemporaryDirectory[str]) -> None:
        # Not a daemon: the process waits for it before it exits.
        super().__init__(name=f"removing {folder.name}")
        self._folder = folder
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._folder.cleanup()
        except BaseException as error:  # raised again by `removed`
            self.error = error


# The folders of generated files being removed by threads of their own, until `removed`
# waits for them.
_REMOVING: Final[list[_Removal]] = []


class Sources:
    """A temporary folder of generated files, by their docs-root path; removed by `close`
    (or when the process ends)."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix=PREFIX + "sources-")
        self.root = Path(self._folder.name)

    def write(self, path: str, content: str | bytes) -> str:
        """Write `content` (text as UTF-8) under `path`; the file's absolute path."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return os.fspath(target)

    def close(self, later: bool = False) -> None:
        """Remove the folder: now, or `later`, by a thread of its own, while the build ends
        (`removed` waits for it).  A province's 31,000 files took 2 s at the end of its build,
        most of them waiting on the file system, before the search's index was written on
        one core."""
        if not later:
            self._folder.cleanup()
            return
        removal = _Removal(self._folder)
        _REMOVING.append(removal)
        removal.start()


def removed() -> None:
    """Wait until every folder left to a thread to remove (`Sources.close`) is gone; raise
    what went wrong in removing one.  A thread is forgotten only once it has ended (an
    interrupted wait leaves it for the next)."""
    while _REMOVING:
        removal = _REMOVING[-1]
        if removal.ident is not None:  # started (an interrupt may fall between the two)
            removal.join()
        _REMOVING.pop()
        if removal.error is not None:
            raise removal.error


@dataclass(frozen=True)
class Made:
    """What generating the site's files leaves for the rest of its build, the model gone (the
    hook's `_make`, in a process of its own): names and words, sent back by pickle.  A class
    of the hook could not be: MkDocs imports the hook by its path, as a module that cannot be
    imported again by name."""

    written: dict[str, str]  # each generated file's docs-root path: the file in `Sources`
    titles: dict[str, str]  # each generated page's nav title
    # Whether the site is searched by search.py's index: a province's, whose mkdocs.yml has
    # Material's search on.
    chunked: bool
    terms: tuple[str, ...]  # the words jieba must keep whole (Material's search), or none


class Spool:
    """Pages' HTML by key, in one unnamed temporary file (the system deletes it when it is
    closed, however the process ends): `put` when a page is rendered, `take` when its
    template needs it.  A page's HTML is read back as written, once."""

    def __init__(self) -> None:
        # Open for the build's length, closed by `close`: no `with` spans that.
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix=PREFIX + "html-")  # noqa: SIM115
        self._end = 0
        self._where: dict[str, tuple[int, int]] = {}

    def put(self, key: str, html: str) -> None:
        data = html.encode("utf-8", "surrogatepass")
        self._file.seek(self._end)
        self._file.write(data)
        self._file.flush()  # read back by its file descriptor (`take`)
        self._where[key] = (self._end, len(data))
        self._end += len(data)

    def take(self, key: str) -> str:
        start, length = self._where.pop(key)
        # At an offset of its own: the workers that write the pages (writer.py), forked with
        # this file open, share its position with this process.
        data = os.pread(self._file.fileno(), length, start)
        return data.decode("utf-8", "surrogatepass")

    def __contains__(self, key: str) -> bool:
        return key in self._where

    def close(self) -> None:
        self._file.close()
