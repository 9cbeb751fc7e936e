"""`policyc build` through the cache: an edit of one policy among thousands generates that
policy's files again and links the rest.

A policy's outputs (its Python module, record schema and SQL: `package.PolicyOutput`) are made
from its scope alone (E122), so they are a function of exactly what its findings are a function
of: its own file, its test files, the shared files, its official text and the compiler, which
`compiler.incremental` already hashes into the policy's key.  Under that key this module keeps,
in the project's cache (`.policyc-cache/`, compiler/cache.py):

- per policy, a **record**: its id, title, the working-day counts its limits need, why the SQL
  target cannot compile it (if so), and for each of its files the name of the cache file that
  holds it, its size, CRC-32 and SHA-256, and that file's modification time;
- per file, its **bytes** (`<name>.out`, linked into the build directory) and their raw
  deflate stream (`<name>.z`, the wheel's entry).  A file's name is a key of its SHA-256 and
  the cache's secret, so a file planted in the folder is never looked up.

A policy whose record is missing, damaged or whose files are not as recorded (gone, or edited
in place through a link from a build directory: another size or time) is lowered again with
its scope, a batch at a time (`incremental.Checked.lowered`), and its files are made and kept.
A policy the check itself checks again (a first build, one after a compiler change, an edit)
is lowered there anyway, for W501: its files are made and kept there, in the same worker
(`Checked.of(…, on_lowered=…)`), and found kept after the check.
What all policies share (the runtime, the registry, the calendar, the READMEs, the version and
the wheel) is put together from the records every build (`build.assemble`): the wheel from the
kept deflate streams, the rest is small.  The output is byte-identical to a build without the
cache (tests/test_rebuild.py).

A build without errors ends by sweeping the cache folder (`_Store.sweep`): what it holds then
is what the next build of the project as it is reads, and no more.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from compiler import ir
from compiler.atomic import usual_mode, write_whole
from compiler.backends.package import STEP, File, PolicyOutput, Stored, policy_output
from compiler.backends.sql import SqlUnsupported, calendar_csv
from compiler.backends.wheel import Member, deflate
from compiler.cache import ParseCache
from compiler.diagnostics import Diagnostic
from compiler.incremental import Checked, Keyed, Steps, batches, quiet
from compiler.jsontext import compact
from compiler.project import forked_map, stop_if_interrupted
from compiler.runtime.sqlcalendar import Column

_LAYOUT: Final = "outputs-1"

# Cache files younger than this at the start of a build are never swept (another build of the
# project may be making them); file times also come from a clock a few milliseconds behind.
RECENT_NS = 2_000_000_000


@dataclass(frozen=True)
class Made:
    """What the build is made from: the check's diagnostics and, if it found no error, every
    policy's output, in id order, and calendar.csv (the files kept in the cache)."""

    diagnostics: list[Diagnostic]
    policies: list[PolicyOutput]
    calendar: File | None = None


def policy_outputs(root: Path, cache: ParseCache, steps: Steps | None = None) -> Made | None:
    """The project at `root` checked and, without errors, each policy's output from the cache
    or made now; None when the project needs the whole check (compiler/incremental.py)."""
    started = time.time_ns() - RECENT_NS

    def made_with_check(keyed: Keyed, program: ir.Program, policies: Sequence[str]) -> None:
        # The policies the check lowered: their outputs made and kept now, found kept below.
        for _ in _make(_Store(keyed, cache), program, policies):
            pass

    checked = Checked.of(root, cache, steps or quiet, made_with_check)
    if checked is None:
        return None
    if any(d.severity == "error" for d in checked.diagnostics):
        return Made(checked.diagnostics, [])
    store = _Store(checked, cache)
    ids = sorted(checked.keys)
    found: dict[str, PolicyOutput] = {}
    stale: list[str] = []
    for policy_id in ids:
        kept = store.get(policy_id)
        if kept is None:
            stale.append(policy_id)
        else:
            found[policy_id] = kept
    for done, output in enumerate(_made(checked, store, stale), start=1):
        found[output.id] = output
        if steps is not None:
            steps(STEP, done, len(stale), "policies")
    policies = [found[i] for i in ids]
    made = Made(checked.diagnostics, policies, store.calendar(policies))
    store.sweep(made, checked.entries(), started)
    return made


def _made(checked: Checked, store: _Store, stale: Sequence[str]) -> Iterator[PolicyOutput]:
    """The outputs of `stale` (those the check did not make: a build after `policyc check`,
    or outputs gone from the cache), made and kept a batch at a time (`Checked.lowered`), on
    every core when there are several batches."""
    jobs = batches(stale, checked.project.weights())

    def make(batch: Sequence[str]) -> list[PolicyOutput]:
        outputs = list(_make_batch(checked, store, batch))
        if len(jobs) > 1:
            gc.collect()  # a batch's checker and programs leave cycles (incremental._let_go)
        return outputs

    for outputs in forked_map(make, jobs):
        yield from outputs


def _make_batch(checked: Checked, store: _Store, policies: Sequence[str]) -> Iterator[PolicyOutput]:
    for program in checked.lowered(policies):
        yield from _make(store, program, sorted(program.policies))


def _make(store: _Store, program: ir.Program, policies: Sequence[str]) -> Iterator[PolicyOutput]:
    """The outputs of `policies`, lowered in `program`, made and kept, in id order."""
    for policy_id in sorted(policies):
        stop_if_interrupted()  # a batch's outputs take a minute at province scale
        yield store.put(policy_output(program, program.policies[policy_id]))


class _Store:
    """The records and files of the policies' outputs in the cache folder."""

    def __init__(self, keyed: Keyed, cache: ParseCache) -> None:
        self.keyed = keyed
        self.cache = cache
        self.folder = str(cache.folder)
        self.mode = usual_mode()  # a file is linked into the output: its usual permissions
        self.entries: set[str] = set()  # the keys of the entries this store read or wrote

    def _get(self, key: str) -> bytes | None:
        self.entries.add(key)
        return self.cache.get_bytes(key)

    def _put(self, key: str, data: bytes) -> None:
        self.entries.add(key)
        self.cache.put_encoded(key, data)

    def record_key(self, policy_id: str) -> str:
        return self.keyed.key(_LAYOUT, policy_id, self.keyed.keys[policy_id])

    def get(self, policy_id: str) -> PolicyOutput | None:
        data = self._get(self.record_key(policy_id))
        if data is None:
            return None
        try:
            pid, title, counts, sql_error, entries = json.loads(data)
            files: dict[str, File] = {}
            now: list[object] = []
            for path, *entry in entries:
                found = self._found(entry)
                if found is None:
                    return None
                files[str(path)] = found[0]
                now.append([path, *found[1]])
            if pid != policy_id or not isinstance(title, str):
                return None
            if not (sql_error is None or isinstance(sql_error, str)):
                return None
            if now != entries:  # a file's time is new: recorded, to be known by it again
                self._put(self.record_key(policy_id), compact([pid, title, counts, sql_error, now]))
            return PolicyOutput(pid, title, tuple(int(c) for c in counts), sql_error, files)
        except (OSError, ValueError, TypeError):
            return None

    def put(self, output: PolicyOutput) -> PolicyOutput:
        """Keep `output`'s files and its record; the output as kept (files on disk)."""
        files: dict[str, File] = {}
        entries: list[object] = []
        for path, file in output.files.items():
            assert isinstance(file, bytes)  # policy_output makes its files in memory
            kept = self._keep(file)
            if kept is None:
                return output  # a full disk: this build holds them in memory instead
            files[path] = kept[0]
            entries.append([path, *kept[1]])
        record = [output.id, output.title, list(output.counts), output.sql_error, entries]
        self._put(self.record_key(output.id), compact(record))
        return PolicyOutput(output.id, output.title, output.counts, output.sql_error, files)

    def calendar(self, policies: Sequence[PolicyOutput]) -> File | None:
        """calendar.csv for `policies`, kept by the working-day counts they need: made from
        the whole calendar (seconds), it changes only with them and the compiler."""
        counts = sorted({c for p in policies for c in p.counts})
        key = self.keyed.key(_LAYOUT, "calendar", *map(str, counts))
        # The columns are used even when the calendar is found: the next edit reads them.
        self.entries.update(self._column_key(count) for count in counts)
        data = self._get(key)
        if data is not None:
            try:
                entry = json.loads(data)
                found = self._found(entry)
                if found is not None:
                    if found[1] != entry:
                        self._put(key, compact(found[1]))
                    return found[0]
            except (OSError, ValueError, TypeError):
                pass
        # Else each count's column, kept by the count: an edit that adds a count of working
        # days walks the calendar for that count alone.
        columns: dict[int, Column] = {}
        for count in counts:
            column = self._column(count)
            if column is not None:
                columns[count] = column
        kept_columns = set(columns)
        try:
            # The columns not kept (all of them on a first build: ~0.1 s each, 11 for the
            # project, 27 at province scale) made on every core.
            made = calendar_csv(counts, columns=columns, each=forked_map).encode()
        except SqlUnsupported:
            return None  # the SQL target says why (sql_from)
        for count in sorted(set(columns) - kept_columns):
            cells = [[t, *row] for t, row in enumerate(columns[count]) if any(row)]
            entry = [len(columns[count]), cells]
            self._put(self._column_key(count), compact(entry))
        kept = self._keep(made)
        if kept is None:
            return made
        self._put(key, compact(kept[1]))
        return kept[0]

    def _column_key(self, count: int) -> str:
        return self.keyed.key(_LAYOUT, "column", str(count))

    def _column(self, count: int) -> Column | None:
        data = self._get(self._column_key(count))
        if data is None:
            return None
        try:
            rows, cells = json.loads(data)
            empty = ("", "", "")
            column: Column = [empty] * int(rows)
            for t, earliest, latest, unpublished in cells:
                column[t] = (str(earliest), str(latest), str(unpublished))
            return column
        except (ValueError, TypeError, IndexError):
            return None

    def sweep(self, made: Made, checked: set[str], started: int) -> None:
        """Remove from the cache folder what this build did not use, older than `started`:
        the kept files (`.out`, `.z`) and the entries (`.json`) of other versions of the
        policies and of other compilers, which would otherwise pile up (at 3,000
        jurisdictions a gigabyte and 12,000 entries a compiler), and what a killed build left
        half written (`.tmp-…`).  The entries used are the check's (`checked`: parse results,
        summaries, findings) and this store's (records, calendar).  Newer files are left
        alone: another build of the project may be making them.  What a build directory
        links to stays there (a link is a name of its own)."""
        files = {os.path.basename(f.path).rsplit(".", 1)[0] for f in _kept_files(made)}
        entries = checked | self.entries
        try:
            found = list(os.scandir(self.folder))
        except OSError:
            return

        def unused(name: str) -> bool:
            if name.startswith(".tmp-"):
                return True  # the temporary names of write_whole
            stem, dot, suffix = name.rpartition(".")
            if not dot:
                return False
            if suffix == "json":
                return stem not in entries
            return suffix in ("out", "z") and stem not in files

        for entry in found:
            if not unused(entry.name):
                continue
            try:
                if entry.stat(follow_symlinks=False).st_mtime_ns < started:
                    os.unlink(entry.path)
            except OSError:
                pass  # gone already, or not ours to remove: the next build tries again

    def _found(self, entry: list[object]) -> tuple[Stored, list[object]] | None:
        """A kept file from its record's entry, and the entry as it is now (its time may be
        new); None if the file is not as recorded."""
        name, size, crc, sha256, mtime = entry
        if not (isinstance(name, str) and isinstance(sha256, str) and isinstance(crc, int)):
            return None
        out = f"{self.folder}/{name}.out"
        info = os.stat(out)
        if info.st_size != size:
            return None  # edited through a link, or replaced: made again
        if info.st_mtime_ns != mtime:
            # Not the time recorded: edited in place through a link from a build directory,
            # or the cache was restored from an archive that keeps times to the second (a
            # CI's cache, README): its bytes tell which.
            if hashlib.sha256(_read(out)).hexdigest() != sha256:
                return None
            entry = [name, size, crc, sha256, info.st_mtime_ns]
        deflated = f"{self.folder}/{name}.z"
        if not os.path.isfile(deflated):
            return None
        return Stored(out, Member(info.st_size, crc, bytes.fromhex(sha256), deflated)), entry

    def _keep(self, data: bytes) -> tuple[Stored, list[object]] | None:
        """`data` kept in the cache folder, and its record's entry; None if it cannot be."""
        sha256 = hashlib.sha256(data).digest()
        name = self.keyed.key("file", sha256.hex())
        out = f"{self.folder}/{name}.out"
        deflated = f"{self.folder}/{name}.z"
        try:
            if _holds(out, data) and os.path.isfile(deflated):
                # Kept already (another version of the policy with this file unchanged, a
                # schema say): left as it is, so that the records naming it stay good.
                mtime = os.stat(out).st_mtime_ns
            else:
                write_whole(deflated, deflate(data), 0o600)
                # A new file (never rewritten in place): a record naming the file it
                # replaced sees another time and makes its policy again.
                write_whole(out, data, self.mode)
                mtime = os.stat(out).st_mtime_ns
        except OSError:
            return None
        member = Member(len(data), zlib.crc32(data), sha256, deflated)
        return Stored(out, member), [name, len(data), member.crc, sha256.hex(), mtime]


def _kept_files(made: Made) -> list[Stored]:
    files = [f for p in made.policies for f in p.files.values() if isinstance(f, Stored)]
    return [*files, *([made.calendar] if isinstance(made.calendar, Stored) else [])]


def _read(path: str) -> bytes:
    with open(path, "rb") as stream:
        return stream.read()


def _holds(path: str, data: bytes) -> bool:
    try:
        return _read(path) == data
    except OSError:
        return False


__all__ = ["Made", "policy_outputs"]
