"""`policyc build`: write every output of the checked model into the build directory.

The build is all or nothing: outputs are written into a fresh directory next to the target
and swapped in only when complete, so a failed build leaves the previous output intact.

The build writes only into a directory it owns.  It marks what it writes with a marker file
listing its top-level entries and every file it wrote; a directory that is neither new, empty
nor so marked (a project, a home folder, a folder of reports) is refused, and so is a marked
one that holds an entry, or a file inside the build's entries, the build did not write:
nothing a user put there is ever deleted.  Builds into one
directory take turns (a lock on its parent), and the staging directories of a build that was
killed are removed by the next one.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

from compiler import ir
from compiler.atomic import write_whole
from compiler.backends.package import (
    PACKAGE,
    File,
    PolicyOutput,
    Stored,
    package_from,
    policy_outputs,
    sql_from,
)
from compiler.backends.sql import Steps
from compiler.errors import PolicycError

try:  # POSIX; elsewhere concurrent builds into one folder are not serialised
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

Progress = Callable[[str], None]

MARKER: Final = ".policyc-build"
_MARKER_TOOL: Final = "policyc build"


class OutputRefused(PolicycError):
    """The build directory holds something the build did not write; nothing was changed."""


# `policyc build --target`: which top-level entries of the build directory each target writes.
TARGETS: Final = {"all": ("validators", "sql"), "python": ("validators",), "sql": ("sql",)}


def outputs(
    program: ir.Program, progress: Progress, target: str = "all", steps: Steps | None = None
) -> dict[str, bytes]:
    """Every output file of a target, by path relative to the build directory; `steps` hears
    how far the long step is (a line on a terminal)."""
    files = assemble(policy_outputs(program, steps), progress, target)
    made = {p: f for p, f in files.items() if isinstance(f, bytes)}
    assert len(made) == len(files)  # all of it made in memory
    return made


def assemble(
    policies: Sequence[PolicyOutput],
    progress: Progress,
    target: str = "all",
    calendar: File | None = None,
) -> dict[str, File]:
    """The output files of a target from every policy's output (made now, or kept in the
    build cache: compiler/rebuild.py), by path relative to the build directory; `calendar`:
    calendar.csv if already made."""
    files: dict[str, File] = {}
    entries = TARGETS[target]
    packaged: dict[str, File] = {}
    if "validators" in entries:
        progress(f"validators: {len(policies):,} policies")
        packaged = package_from(policies, calendar)
        for path, data in packaged.items():
            files[f"validators/{path}"] = data
    if "sql" in entries:
        progress(f"sql: {len(policies):,} policies")
        # The package holds the same files: taken from there.  Without them (a project the
        # SQL target cannot compile) sql_from says why.
        inside = f"{PACKAGE}/sql/"
        sql = {p[len(inside) :]: d for p, d in packaged.items() if p.startswith(inside)}
        for path, data in (sql or sql_from(policies, calendar)).items():
            files[f"sql/{path}"] = data
    return files


def kept(directory: Path, target: str) -> dict[str, Path]:
    """The files of the other targets' entries in a build directory the build owns: a build of
    one target (`--target sql`) keeps them, so that it never deletes the other's output."""
    written = _written_entries(Path(os.path.abspath(directory)))
    files: dict[str, Path] = {}
    for entry in sorted((written or set()) & set(TARGETS["all"]) - set(TARGETS[target])):
        root = directory / entry
        if root.is_dir() and not root.is_symlink():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    files[path.relative_to(directory).as_posix()] = path
    return files


def marker(files: Mapping[str, object]) -> bytes:
    """The marker of a build directory: which top-level entries the build wrote, and which
    files (a file a user put inside `validators/` went with the folder it was in)."""
    entries = sorted({path.split("/", 1)[0] for path in files})
    document = {"written_by": _MARKER_TOOL, "entries": entries, "files": sorted(files)}
    return (json.dumps(document, ensure_ascii=False, indent=0) + "\n").encode()


# Hears how far writing the build directory is: ("writing", files written, of how many,
# "files"), as compiler/incremental.py's Steps (a line on a terminal: compiler/progress.py).
Writing = Callable[[str, int, int, str], None]


def write_tree(
    target: Path, files: Mapping[str, bytes | Stored | Path], writing: Writing | None = None
) -> int:
    """Replace `target` with exactly `files` and the marker, and say how many files that is;
    on any failure, or when `target` is not the build's to replace (OutputRefused), `target`
    is left as it was.  A file is its bytes, or a file to take them from (kept in the build
    cache, or in the previous output): linked where the file system allows, else copied.
    `writing` hears of each file written: 24,000 of them at 3,000 jurisdictions, a second or
    more after the last policy was made, with nothing on the line."""
    if MARKER in files:
        raise ValueError(f"{MARKER} is the build's own marker, not an output")
    target = _checked_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent):
        _remove_stale(target)
        _check_owned(target)
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(target), dir=target.parent))
        # mkdtemp makes a private (0700) directory; the output is an ordinary one.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)
        old: Path | None = None
        try:
            # The marker first, so that a build killed now leaves staging the next one removes.
            (staging / MARKER).write_bytes(marker(files))
            total = len(files) + 1  # the marker too, as the count returned (and printed)
            # Strings, not pathlib: thousands of files, and its joins would be most of it.
            folders: set[str] = set()
            root = str(staging)
            for done, (relative, data) in enumerate(files.items(), start=2):
                path = f"{root}/{relative}"
                folder = os.path.dirname(path)
                if folder not in folders:
                    os.makedirs(folder, exist_ok=True)
                    folders.add(folder)
                _put(path, data)
                if writing is not None:
                    writing("writing", done, total, "files")
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=_old_prefix(target), dir=target.parent))
                os.replace(target, old)  # an empty directory is replaced atomically
            os.replace(staging, target)
        except BaseException:
            if old is not None and not target.exists():
                os.replace(old, target)
                old = None
            _remove(staging)
            raise
        finally:
            if old is not None:
                _remove(old)
    return total


def _put(path: str, data: bytes | Stored | Path) -> None:
    if isinstance(data, bytes):
        with open(path, "wb") as stream:
            stream.write(data)
        return
    source = data.path if isinstance(data, Stored) else os.fspath(data)
    # A hard link costs no copy: a rebuild of thousands of policies after an edit of one
    # writes one policy's files and links the rest.  Another file system (or one without
    # links) gets a copy.  The build cache checks its files' size and time before it hands
    # them out, so an output edited in place through the link is made again, not reused.
    try:
        os.link(source, path)
    except OSError:
        shutil.copyfile(source, path)


def _checked_target(target: Path) -> Path:
    """`target` as write_tree writes it (a symlink to a folder is followed: the folder is the
    output, the link stays a link); OutputRefused if it cannot be a folder of output."""
    target = Path(os.path.abspath(target))
    folder_or_nothing(target)
    if target.is_symlink() or any(p.is_symlink() for p in target.parents):
        target = target.resolve()
    if target.parent == target:
        raise OutputRefused(f"{target} is the root of the file system; choose a folder")
    return target


def folder_or_nothing(target: Path) -> None:
    """OutputRefused, saying what it is, unless `target` is a folder or nothing yet (a file,
    a link to nothing and a loop of links read "File exists" from mkdir)."""
    # One stat, not exists() then is_dir(): another build swapping its output in at that
    # moment makes the folder vanish between two calls, and a folder that vanished is not a
    # file (tests/test_data_loss.py, concurrent builds).
    try:
        is_folder = stat.S_ISDIR(os.stat(target).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        is_folder = None  # nothing there yet, or a link to nothing
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        is_folder = None  # a loop of links
    if is_folder is None and target.is_symlink():
        raise OutputRefused(
            f"{target} is a symbolic link to {os.readlink(target)}, which is not there (or "
            "loops back); nothing was changed. Give --out a folder"
        )
    if is_folder is False:
        raise OutputRefused(f"{target} is a file, not a folder; nothing was changed")


def preflight(target: Path) -> None:
    """What write_tree(target, …) would refuse, said before the output is made (a site takes
    seconds to render); write_tree checks again, under its lock, when it writes."""
    target = _checked_target(target)
    _check_owned(target)


# `policyc tables --out DIR`: the names of the files it wrote there.
TABLES_MARKER: Final = ".policyc-tables"
_TABLES_TOOL: Final = "policyc tables"


def write_files(target: Path, files: Mapping[str, bytes]) -> None:
    """Write `files` (plain names) into the folder `target`, each replaced atomically, and
    leave everything else there as it is.  Only a new or empty folder, or one whose marker
    says policyc tables wrote into it, is written, and only names that are new or that the
    marker lists: anything else is refused (OutputRefused) before a file is written."""
    target = Path(os.path.abspath(target))
    folder_or_nothing(target)
    target.mkdir(parents=True, exist_ok=True)
    with _locked(target):
        entries = set(os.listdir(target))
        written = _tables_written(target)
        if written is None and entries:
            raise OutputRefused(
                f"{target} is not empty and was not written by {_TABLES_TOOL} (it has no "
                f"{TABLES_MARKER} marker); nothing was changed. Choose a new or empty folder "
                "for --out"
            )
        clash = sorted(
            name
            for name in files
            if name in entries and (name not in (written or set()) or not (target / name).is_file())
        )
        if clash:
            raise OutputRefused(
                f"{target} holds {', '.join(clash)}, not written by {_TABLES_TOOL}; nothing "
                "was changed. Move those away or choose another --out"
            )
        # The marker first: a run killed halfway leaves files the next run may replace.
        document = {"written_by": _TABLES_TOOL, "files": sorted((written or set()) | set(files))}
        marker = (json.dumps(document, indent=2) + "\n").encode()
        write_whole(target / TABLES_MARKER, marker, prefix=f".{TABLES_MARKER}.")
        for name, data in files.items():
            write_whole(target / name, data, prefix=f".{name}.")


def _tables_written(directory: Path) -> set[str] | None:
    try:
        document = json.loads((directory / TABLES_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("written_by") != _TABLES_TOOL:
        return None
    names = document.get("files")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    return set(names)


def build(
    program: ir.Program,
    target: Path,
    progress: Progress,
    what: str = "all",
    steps: Steps | None = None,
    writing: Writing | None = None,
) -> int:
    files = assemble(policy_outputs(program, steps), progress, what)
    return write_build(target, files, what, writing)


def write_build(
    target: Path, files: Mapping[str, File], what: str = "all", writing: Writing | None = None
) -> int:
    """Write the output of a target (`assemble`) into the build directory, keeping the other
    targets' files there; `writing` hears of each file written (`write_tree`)."""
    written: dict[str, bytes | Stored | Path] = dict(files)
    if what != "all" and target.is_dir():
        written = {**kept(target, what), **written}
    return write_tree(target, dict(sorted(written.items())), writing)


def check_target(target: Path) -> None:
    """OutputRefused now, before the project is loaded, if `target` is not the build's to
    replace: a refused build then costs no compile (minutes for thousands of policies) and
    leaves the project as it was, its parse cache included.  write_tree checks again."""
    _check_owned(_checked_target(target))


def claim(directory: Path, entry: str) -> None:
    """Record `entry` (written by another policyc command, e.g. build/site by `policyc site`)
    as build output in `directory`'s marker, so that `policyc build` replaces it rather than
    refusing the folder.  A folder that is not the build's (unmarked and not empty) is left
    alone: `policyc build` refuses it as before."""
    directory = Path(os.path.abspath(directory))
    with _locked(directory):
        written = _written_entries(directory)
        if written is None:
            if set(os.listdir(directory)) - {entry}:
                return
            written = set()
        entries = sorted(written | {entry})
        document: dict[str, object] = {"written_by": _MARKER_TOOL, "entries": entries}
        files = _written_files(directory)
        if files is not None:  # `entry`'s files are its command's own affair
            document["files"] = sorted(files)
        (directory / MARKER).write_text(
            json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )


def _staging_prefix(target: Path) -> str:
    return f".{target.name}.staging-"


def _old_prefix(target: Path) -> str:
    return f".{target.name}.old-"


def _marker_list(directory: Path, key: str) -> set[str] | None:
    """A list a build recorded in `directory`'s marker; None if it has no valid one."""
    try:
        document = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("written_by") != _MARKER_TOOL:
        return None
    listed = document.get(key)
    if not isinstance(listed, list) or not all(isinstance(e, str) for e in listed):
        return None
    return set(listed)


def _written_entries(directory: Path) -> set[str] | None:
    """The entries a build recorded in `directory`'s marker; None if it has no valid one."""
    return _marker_list(directory, "entries")


def _written_files(directory: Path) -> set[str] | None:
    """The files a build recorded in `directory`'s marker (relative paths); None where it
    recorded none (a marker of an earlier policyc: its entries alone are compared)."""
    return _marker_list(directory, "files")


def _foreign_files(target: Path, written: set[str]) -> list[str]:
    """The files inside the entries the build wrote in `target` that it did not write."""
    files = _written_files(target)
    if files is None:
        return []
    foreign = []
    for entry in sorted(written & set(TARGETS["all"])):
        for top, folders, names in os.walk(target / entry):
            folders.sort()
            base = Path(top).relative_to(target).as_posix()
            foreign += [f"{base}/{name}" for name in sorted(names) if f"{base}/{name}" not in files]
    return foreign


def _is_legacy_build(directory: Path, entries: set[str]) -> bool:
    """A build directory written before builds were marked: only `validators/`, the package."""
    if entries != {"validators"}:
        return False
    try:
        pyproject = (directory / "validators" / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return 'name = "policyc-validators"' in pyproject


def _check_owned(target: Path) -> None:
    if not target.exists():
        return
    entries = set(os.listdir(target))
    if not entries or _is_legacy_build(target, entries):
        return
    written = _written_entries(target)
    if written is None:
        raise OutputRefused(
            f"{target} is not empty and was not written by policyc build (it has no {MARKER} "
            "marker); nothing was changed. Choose a new or empty folder for --out"
        )
    foreign = sorted(entries - written - {MARKER}) or _foreign_files(target, written)
    if foreign:
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        shown = ", ".join(foreign[:5]) + more
        raise OutputRefused(
            f"{target} holds what policyc build did not write ({shown}); a build replaces the "
            "whole folder, so nothing was changed. Move those away or choose another --out"
        )


def _remove_stale(target: Path) -> None:
    """Remove staging and old copies left by a build that was killed (we hold the lock, so
    no build is running); only folders carrying the build's marker are touched."""
    for prefix in (_staging_prefix(target), _old_prefix(target)):
        for leftover in target.parent.glob(f"{prefix}*"):
            if leftover.is_dir() and not leftover.is_symlink() and _is_ours(leftover):
                _remove(leftover)


def _remove(directory: Path) -> None:
    """Remove a folder the build made (staging, the previous output), whatever it can: a
    folder in it made read-only (`chmod 555 build/sql`) is made writable to empty it.  Left
    as it was, the previous output stayed beside the project as `.build.old-…` for good: the
    next build did not know it for its own, its marker gone first."""

    def writable_then_again(function: Callable[[str], object], path: str, _: object) -> None:
        with contextlib.suppress(OSError):
            if function in (os.unlink, os.rmdir):
                os.chmod(os.path.dirname(path), 0o700)
                function(path)

    shutil.rmtree(directory, onerror=writable_then_again)


def _is_ours(directory: Path) -> bool:
    # A staging folder killed before its marker was written is empty (or holds only the
    # marker being written); an old copy is a former build directory.
    try:
        entries = os.listdir(directory)
    except OSError:
        return False
    return (
        not entries
        or _written_entries(directory) is not None
        or (_is_legacy_build(directory, set(entries)))
    )


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on `directory` (flock on the folder itself: no lock file)."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
