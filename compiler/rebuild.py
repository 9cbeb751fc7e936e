"""`policyc build` through the cache: an edit of one policy among thousands generates that
policy's files again and links the rest.

A policy's outputs (its Python module, record schema and SQL: `package.PolicyOutput`) are made
from its scope alone (E122), so they are a function of exactly what its findings are a function
of: its own file, its test files, the shared files, its official text and the compiler, which
`compiler.incremental` already hashes into the policy's key.  Under that key this module keeps,
in the project's cache (`.policyc-cache/`, compiler/cache.py):

- per policy, a **record**: its id, title, the working-day counts its limits need, why the SQL
  target cannot compile it (if so), its pack's name, and for each of its files the name of the
  cache file that holds it, its size, CRC-32 and SHA-256, that file's modification time, and
  where its deflate stream is in the pack;
- per file, its **bytes** (`<name>.out`, linked into the build directory).  A file's name is
  a key of its SHA-256 and the cache's secret, so a file planted in the folder is never
  looked up;
- per policy's files, one **pack** of their raw deflate streams (`<pack>.z`, the wheel's
  entries: `_pack`), named by a key of the files' names, so that the same files (a policy
  made again into the same files, its record lost) find their pack again.  One pack, not a
  file per stream: a first build at 3,000 jurisdictions creates 12,000 fewer files, and on
  this machine's disk creating a file costs 40–220 µs of system time (benchmarks/README.md,
  thirteenth round).

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
import struct
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
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
from compiler.incremental import Checked, Keyed, batches
from compiler.jsontext import compact
from compiler.progress import Steps, quiet
from compiler.project import advance, forked_map, rising, stop_if_interrupted
from compiler.runtime.sqlcalendar import Column

_LAYOUT: Final = "outputs-3"

# A pack: the count of its streams, each one's length, then the streams one after another.
_COUNT: Final = struct.Struct("<I")
_LENGTH: Final = struct.Struct("<Q")

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
    show = rising(lambda done: (steps or quiet)(STEP, done, len(stale), "policies"), len(stale))
    for done, output in enumerate(_made(checked, store, stale, show), start=1):
        found[output.id] = output
        show(done)
    policies = [found[i] for i in ids]
    made = Made(checked.diagnostics, policies, store.calendar(policies))
    store.sweep(made, checked.entries(), started)
    return made


def _made(
    checked: Checked, store: _Store, stale: Sequence[str], progress: Callable[[int], None]
) -> Iterator[PolicyOutput]:
    """The outputs of `stale` (those the check did not make: a build after `policyc check`,
    or outputs gone from the cache), made and kept a batch at a time (`Checked.lowered`), on
    every core when there are several batches."""
    jobs = batches(stale, checked.project.weights())

    def make(batch: Sequence[str]) -> list[PolicyOutput]:
        outputs = list(_make_batch(checked, store, batch))
        if len(jobs) > 1:
            gc.collect()  # a batch's checker and programs leave cycles (incremental._let_go)
        return outputs

    for outputs in forked_map(make, jobs, progress):
        yield from outputs


def _make_batch(checked: Checked, store: _Store, policies: Sequence[str]) -> Iterator[PolicyOutput]:
    for program in checked.lowered(policies):
        yield from _make(store, program, sorted(program.policies))


def _make(store: _Store, program: ir.Program, policies: Sequence[str]) -> Iterator[PolicyOutput]:
    """The outputs of `policies`, lowered in `program`, made and kept, in id order."""
    for policy_id in sorted(policies):
        stop_if_interrupted()  # a batch's outputs take a minute at province scale
        yield store.put(policy_output(program, program.policies[policy_id]))
        advance()  # for the progress line (forked_map)


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
            pid, title, counts, sql_error, kept = json.loads(data)
            found = self._found(kept)
            if found is None:
                return None
            files, now = found
            if pid != policy_id or not isinstance(title, str):
                return None
            if not (sql_error is None or isinstance(sql_error, str)):
                return None
            if now != kept:  # a file's time is new: recorded, to be known by it again
                self._put(self.record_key(policy_id), compact([pid, title, counts, sql_error, now]))
            return PolicyOutput(pid, title, tuple(int(c) for c in counts), sql_error, dict(files))
        except (OSError, ValueError, TypeError):
            return None

    def put(self, output: PolicyOutput) -> PolicyOutput:
        """Keep `output`'s files and its record; the output as kept (files on disk)."""
        made: dict[str, bytes] = {}
        for path, file in output.files.items():
            assert isinstance(file, bytes)  # policy_output makes its files in memory
            made[path] = file
        kept = self._keep(made)
        if kept is None:
            return output  # a full disk: this build holds them in memory instead
        record = [output.id, output.title, list(output.counts), output.sql_error, kept[1]]
        self._put(self.record_key(output.id), compact(record))
        files: dict[str, File] = dict(kept[0])
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
                if found is not None and list(found[0]) == [_CALENDAR]:
                    if found[1] != entry:
                        self._put(key, compact(found[1]))
                    return found[0][_CALENDAR]
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
        kept = self._keep({_CALENDAR: made})
        if kept is None:
            return made
        self._put(key, compact(kept[1]))
        return kept[0][_CALENDAR]

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
        the kept files (`.out`), packs (`.z`) and entries (`.json`) of other versions of the
        policies and of other compilers, which would otherwise pile up (at 3,000
        jurisdictions a gigabyte and 12,000 entries a compiler), and what a killed build left
        half written (`.tmp-…`).  The entries used are the check's (`checked`: parse results,
        summaries, findings) and this store's (records, calendar).  Newer files are left
        alone: another build of the project may be making them.  What a build directory
        links to stays there (a link is a name of its own)."""
        kept = _kept_files(made)
        files = {_stem(f.path) for f in kept}
        packs = {_stem(f.member.deflated) for f in kept if isinstance(f.member.deflated, str)}
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
            if suffix == "out":
                return stem not in files
            return suffix == "z" and stem not in packs

        for entry in found:
            if not unused(entry.name):
                continue
            try:
                if entry.stat(follow_symlinks=False).st_mtime_ns < started:
                    os.unlink(entry.path)
            except OSError:
                pass  # gone already, or not ours to remove: the next build tries again

    def _found(self, kept: list[object]) -> tuple[dict[str, Stored], list[object]] | None:
        """The files `_keep` kept, from the entry it returned, and the entry as it is now (a
        file's time may be new); None if a file or the pack is not as recorded."""
        pack_name, entries = kept
        if not (isinstance(pack_name, str) and isinstance(entries, list)):
            return None
        pack = f"{self.folder}/{pack_name}.z"
        # Each stream's CRC-32, checked: the wheel copies the streams as they are, and a byte
        # changed in a pack made a wheel that pip refused ("Bad CRC-32"), build after build.
        packed = memoryview(_read(pack))
        files: dict[str, Stored] = {}
        now: list[object] = []
        for entry in entries:
            path, name, size, crc, sha256, mtime, start, length, stream_crc = entry
            if not all(isinstance(x, str) for x in (path, name, sha256)):
                return None
            if not all(type(x) is int for x in (size, crc, mtime, start, length, stream_crc)):
                return None
            if start < 0 or length < 0 or start + length > len(packed):
                return None  # the pack is cut short, or the entry is not one `_keep` wrote
            if zlib.crc32(packed[start : start + length]) != stream_crc:
                return None  # made again, the pack with it
            out = f"{self.folder}/{name}.out"
            info = os.stat(out)
            if info.st_size != size:
                return None  # edited through a link, or replaced: made again
            if info.st_mtime_ns != mtime:
                # Not the time recorded: edited in place through a link from a build
                # directory, or the cache was restored from an archive that keeps times to
                # the second (a CI's cache, README): its bytes tell which.
                if hashlib.sha256(_read(out)).hexdigest() != sha256:
                    return None
                entry = [path, name, size, crc, sha256, info.st_mtime_ns, start, length]
                entry.append(stream_crc)
            member = Member(size, crc, bytes.fromhex(sha256), pack, start, length)
            files[path] = Stored(out, member)
            now.append(entry)
        return files, [pack_name, now]

    def _keep(self, made: Mapping[str, bytes]) -> tuple[dict[str, Stored], list[object]] | None:
        """The files `made` (by path) kept in the cache folder, each one's bytes in a file of
        its own and their deflate streams in one pack; the files as kept and the entry that
        finds them again (`_found`).  None if they cannot be kept (a full disk)."""
        digests = [hashlib.sha256(data).digest() for data in made.values()]
        names = [self.keyed.key("file", digest.hex()) for digest in digests]
        pack_name = self.keyed.key("pack", *names)
        pack = f"{self.folder}/{pack_name}.z"
        files: dict[str, Stored] = {}
        entries: list[object] = []
        try:
            # Kept already (these very files: a policy made again because its record was
            # lost, or a stream found damaged): read again, not deflated again, where each
            # stream still inflates to its file.
            found = _streams_of(pack, list(made.values()))
            if found is None:
                found = [deflate(data) for data in made.values()]
                write_whole(pack, _pack(found), 0o600)
            spans = _spans([len(stream) for stream in found])
            for (path, data), digest, name, (start, length), stream in zip(
                made.items(), digests, names, spans, found, strict=True
            ):
                out = f"{self.folder}/{name}.out"
                if not _holds(out, data):
                    # A new file (never rewritten in place): a record naming the file it
                    # replaced sees another time and makes its policy again.
                    write_whole(out, data, self.mode)
                mtime = os.stat(out).st_mtime_ns
                crc = zlib.crc32(data)
                files[path] = Stored(out, Member(len(data), crc, digest, pack, start, length))
                entry = [path, name, len(data), crc, digest.hex(), mtime, start, length]
                entries.append([*entry, zlib.crc32(stream)])
        except OSError:
            return None
        return files, [pack_name, entries]


_CALENDAR: Final = "calendar.csv"


def _pack(streams: Sequence[bytes]) -> bytes:
    """The pack of `streams`: their count, each one's length, then the streams."""
    lengths = [_LENGTH.pack(len(stream)) for stream in streams]
    return b"".join([_COUNT.pack(len(streams)), *lengths, *streams])


def _spans(lengths: Sequence[int]) -> list[tuple[int, int]]:
    """Where each stream of a pack is: (start, length)."""
    spans = []
    start = _COUNT.size + _LENGTH.size * len(lengths)
    for length in lengths:
        spans.append((start, length))
        start += length
    return spans


def _streams_of(pack: str, files: Sequence[bytes]) -> list[bytes] | None:
    """The streams of the pack kept at `pack`, if it is a whole pack of the deflate streams
    of `files`; None if there is none (or another file, one cut short, a stream damaged)."""
    try:
        packed = _read(pack)
    except FileNotFoundError:
        return None
    count = len(files)
    head = _COUNT.size + _LENGTH.size * count
    if len(packed) < head or _COUNT.unpack_from(packed)[0] != count:
        return None
    lengths = [_LENGTH.unpack_from(packed, _COUNT.size + _LENGTH.size * k)[0] for k in range(count)]
    spans = _spans(lengths)
    if spans and sum(spans[-1]) != len(packed):
        return None
    streams = [packed[start : start + length] for start, length in spans]
    for stream, data in zip(streams, files, strict=True):
        try:
            if zlib.decompress(stream, -zlib.MAX_WBITS) != data:
                return None
        except zlib.error:
            return None
    return streams


def _stem(path: str) -> str:
    return os.path.basename(path).rsplit(".", 1)[0]


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
