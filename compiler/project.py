"""Finding and loading a project's policy files."""

from __future__ import annotations

import collections
import contextlib
import errno
import gc
import multiprocessing
import os
import pickle
import signal
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

from compiler import codes
from compiler import nodes as n
from compiler.diagnostics import Diagnostic, SourceLines, unreadable
from compiler.errors import PolicycError
from compiler.parser import SHARED_FILES as SHARED_FILES
from compiler.parser import _lark, decode, parse_text, read_policy_bytes
from compiler.runtime.exits import EXIT_INTERNAL
from compiler.sources import SourceDocument, SourceError

if TYPE_CHECKING:
    from compiler.cache import ParseCache, ParseResult
    from compiler.progress import Steps


class ProjectNotFound(PolicycError):
    """No policy project where one was looked for."""


def find_root(start: Path | None = None) -> Path:
    """The project root: the nearest directory upwards from the working directory holding
    `policies/`, or exactly `start` (`--root`), which must hold one.

    Never a default elsewhere: a command run outside any project once used the project policyc
    was installed from, and `policyc new` wrote into it."""
    if start is not None:
        if not start.is_dir():
            what = "not a directory" if start.exists() else "no such directory"
            raise ProjectNotFound(f"--root {start}: {what}")
        if not (start / "policies").is_dir():
            raise ProjectNotFound(
                f"--root {start} is not a policy project: it has no policies/ folder"
            )
        return start.resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "policies").is_dir():
            return candidate
    raise ProjectNotFound(
        f"no policy project here: neither {here} nor any folder above it has a policies/ "
        "folder; run policyc inside a project or name one with --root DIR"
    )


def policy_files(root: Path, paths: Sequence[Path] = ()) -> tuple[list[Path], list[Diagnostic]]:
    """Expand PATHS (files or directories) to .policy files, sorted; default: policies/."""
    files: set[Path] = set()
    errors: list[Diagnostic] = []
    wanted: list[tuple[Path, Path]] = []  # as named, resolved
    for given in paths or [root / "policies"]:
        # Resolved, so that a relative path and the same file found under policies/ are one
        # file.  pathlib raises RuntimeError for a loop of symbolic links (OSError later).
        try:
            wanted.append((given, given.resolve()))
        except (RuntimeError, OSError):
            errors.append(Diagnostic(codes.E007, f"a symbolic link loop: {given}", None))
    for given, path in wanted:
        if path.is_dir():
            found = []
            for candidate in _walk(path, root, errors):
                if candidate.is_file():
                    found.append(candidate)
                    continue
                # Anything else named *.policy was skipped, and `check` said "clean" of a
                # policy it had not read (the jurisdiction gone from the build).  Unreadable,
                # it stops the check as any such file does.  Named where it stands
                # (resolved, it would be named by its target).
                shown = f"{display_path(candidate.parent, root)}/{candidate.name}"
                errors.append(unreadable(shown, _not_a_file(candidate)))
            if not found and paths:
                # Naming a folder with no policy files checked the whole project instead.
                errors.append(Diagnostic(codes.E007, f"no .policy files in {path}", None))
            files.update(found)
        elif path.is_file() and given.suffix != ".policy":  # a link named x.policy is one
            # Named, yet never read: a folder's walk takes *.policy alone, and `check` said
            # "clean" of a file it had not parsed (`ningbo.policy.txt`, an editor's copy).
            errors.append(
                Diagnostic(
                    codes.E007, f"not a policy file (its name must end in .policy): {path}", None
                )
            )
        elif path.is_file():
            files.add(path)
        elif path.exists():
            errors.append(Diagnostic(codes.E007, f"not a regular file: {path}", None))
        else:
            errors.append(Diagnostic(codes.E007, f"no such file or directory: {path}", None))
    return sorted(files), errors


def _walk(folder: Path, root: Path, errors: list[Diagnostic]) -> list[Path]:
    """The entries named *.policy in `folder` and below, sorted, not following links to
    folders (as `Path.rglob`).  A folder that cannot be listed is `unreadable` (E000): rglob
    passed over it in silence, and `check` went on without the policies it holds (each use of
    their names an E101, or "clean" where nothing used them)."""

    def cannot_list(error: OSError) -> None:
        listed = Path(error.filename) if error.filename else folder
        errors.append(unreadable(f"{display_path(listed, root)}/", error))

    found = [
        Path(top, name)
        for top, folders, names in os.walk(folder, onerror=cannot_list)
        for name in [*names, *folders]  # a folder named *.policy: `_not_a_file`
        if name.endswith(".policy")
    ]
    return sorted(found)


def _not_a_file(path: Path) -> str:
    """Why `path`, found named *.policy, is no policy file to read."""
    try:
        info = path.stat()
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "a loop of symbolic links"
        return "a symbolic link to no file" if path.is_symlink() else error.strerror or "gone"
    if stat.S_ISDIR(info.st_mode):
        return "a folder, not a policy file"
    # A pipe would wait for a writer, /dev/zero never end.
    return "not a regular file (a pipe, a device or a socket)"


def display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


@dataclass
class LoadedFiles:
    root: Path
    modules: list[n.Module] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    lines: SourceLines = field(default_factory=SourceLines)
    requested: set[str] = field(default_factory=set)  # files whose diagnostics are reported
    # The bytes of every policy file read (or supplied in memory: `load_in_place`), by display
    # path: lowering hashes these for the versions it records (Model.texts), never the file
    # read again.  `sources`: the official text of a policy file, by its display path, where
    # it was read already (from git for a file supplied in memory; compiler/incremental.py
    # for the bytes its cache key hashed), or why it could not be; the checker reads every
    # other official text from policies/.
    texts: dict[str, bytes] = field(default_factory=dict)
    sources: dict[str, SourceDocument | SourceError] = field(default_factory=dict)


# Reports how far loading is: (files parsed so far, files to parse).  The CLI shows it on a
# terminal (compiler/progress.py); everything else passes None.
Progress = Callable[[int, int], None]

# From how many files to parse on a machine with several cores a pool of processes parses
# them: below it, starting the pool costs more than it saves.
PARALLEL_FROM: Final = 24


def load(
    root: Path,
    paths: Sequence[Path] = (),
    *,
    cache: ParseCache | None = None,
    progress: Progress | None = None,
) -> LoadedFiles:
    """Parse the files to check and what they depend on.

    A file of the project is checked with the whole project (its tests need their policy, its
    policy the shared vocabulary); a file from elsewhere (a draft, a test input) is checked
    with the shared vocabulary only, so that it cannot clash with the project's policies.
    """
    # Resolved, as the files are (policy_files): a relative root made every display path
    # absolute, so that no file was a shared one, and every shared name an E122.
    root = root.resolve()
    explicit, errors = policy_files(root, paths)
    everything, around = policy_files(root)
    policies_dir = (root / "policies").resolve()
    inside = [p for p in explicit if policies_dir in p.parents]
    if inside:
        # Checked with the whole project, a file is checked with what could not be read of it
        # (E000): those policies' names would be unknown.
        errors += [d for d in around if d.code is codes.E000 and d not in errors]
    context = everything if inside else [p for p in everything if _is_vocabulary(p, root)]
    chosen = sorted(set(explicit) | set(context))
    loaded = LoadedFiles(root, diagnostics=errors)
    loaded.requested = {display_path(p, root) for p in (explicit or everything)}
    with gc_paused():
        _read_all(loaded, chosen, cache, progress)
    return loaded


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector off while the nodes of thousands of files are made: they are
    kept (no garbage to find), yet every few hundred new objects it scanned them, the longer
    the more files were loaded.  At 500 jurisdictions (CPU s, one run each, loaded machine):
    a warm load 7.0 -> 4.3, check 4.1 -> 2.3.  Nodes hold no cycles; reference counting
    still frees what is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class _Pending:
    """A file read and decoded, its parse result still to find (in the cache or by parsing)."""

    shown: str
    text: str | None = None
    data: bytes = b""
    problems: list[Diagnostic] = field(default_factory=list)
    key: str | None = None
    result: ParseResult | None = None


def _read_all(
    loaded: LoadedFiles,
    paths: Sequence[Path],
    cache: ParseCache | None,
    progress: Progress | None,
) -> None:
    """Read, decode and parse `paths` into `loaded`: what `_read_into` does for each, in the
    same order and with the same diagnostics, the parse results taken from the cache where it
    has them and the rest parsed on all cores when there are many."""
    files: list[_Pending] = []
    for path in paths:
        file = _Pending(display_path(path, loaded.root))
        files.append(file)
        try:
            file.data = read_policy_bytes(path)
        except OSError as error:
            file.problems.append(unreadable(file.shown, error))
            continue
        loaded.texts[file.shown] = file.data
        file.text, problems = decode(file.data, file.shown)
        file.problems += problems
        if file.text is not None and cache is not None:
            file.key = cache.key(file.shown, file.data)
            file.result = cache.get(file.key)
    todo = [f for f in files if f.text is not None and f.result is None]
    for file, result in zip(todo, _parse_many(todo, cache, progress), strict=True):
        file.result = result
    for file in files:
        loaded.diagnostics += file.problems
        if file.text is None:
            continue
        loaded.lines.add(file.shown, file.text)
        assert file.result is not None
        module, problems = file.result
        loaded.diagnostics += problems
        if module is not None:
            loaded.modules.append(module)


def _parse_many(
    files: Sequence[_Pending], cache: ParseCache | None, progress: Progress | None
) -> Iterator[ParseResult]:
    """The parse result of each file, in order; each stored in the cache (if any) as found."""
    total = len(files)
    workers = min(cores(), total)
    if total < PARALLEL_FROM or workers < 2:
        for done, file in enumerate(files, start=1):
            assert file.text is not None
            result = parse_text(file.text, file.shown)
            if cache is not None and file.key is not None:
                cache.put(file.key, result)
            if progress is not None:
                progress(done, total)
            yield result
        return
    _lark()  # built once here, inherited by forked workers
    # Each worker stores what it parsed in the cache: encoding a syntax tree makes lists by
    # the million, which left this process's heap 70 MB larger at 3,000 files (the site's
    # model over 1.9 GB), and took a core's time here.
    jobs = [(f.text, f.shown, cache, f.key) for f in files]
    with _workers(workers, _context()) as pool:
        chunk = max(1, min(16, total // (workers * 8)))
        results = pool.in_order(_parse_in_worker, jobs, chunk)
        for done, result in enumerate(results, start=1):
            if progress is not None:
                progress(done, total)
            yield result


def _context() -> Any:
    import multiprocessing

    # fork where there is one: the workers start with the parser already built.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


# Runs `work` on each of `jobs` (`chunk` a message) and yields the results in the jobs' order.
InOrder = Callable[[Callable[[Any], Any], Sequence[Any], int], Iterator[Any]]

# How often the process waiting for a forked_map's results reports the units its workers have
# done meanwhile (`advance`): the progress line's own rate (compiler/progress.py).
_POLL_SECONDS: Final = 0.1
_ORPHAN_POLL_SECONDS: Final = 0.5  # how often a worker looks whether its parent is there


@dataclass(frozen=True)
class _Pool:
    """What `_workers` yields: its pool's three ways of running jobs."""

    in_order: InOrder
    # `polled(work, jobs, every)`: in_order one job a message, `every()` called while waiting.
    polled: Callable[[Callable[[Any], Any], Sequence[Any], Callable[[], None]], Iterator[Any]]
    # `windowed(work, jobs, window, stretch)`: in_order one job a message, at most `window` of
    # them given to the workers and not yet read; up to `stretch` while the result the reader
    # waits for is still being made and a worker has nothing to do.
    windowed: Callable[[Callable[[Any], Any], Sequence[Any], int, int], Iterator[Any]]


@contextlib.contextmanager
def _workers(count: int, context: Any) -> Iterator[_Pool]:
    """A pool of `count` worker processes that stop soon after the one that made them, as the
    function that runs jobs on them (`pool.map`: the results in the jobs' order).

    Ctrl-C on a terminal interrupts every process of its group.  A worker only notes it
    (`_note_interrupt`), and stops at the next point its work checks (`stop_if_interrupted`,
    between two files or two policies): interrupted anywhere else, a worker printed a
    traceback, or left half a result in the pipe the pool reads, which then waited forever.
    When this process stops early (Ctrl-C, an error, a caller that reads no further), the jobs
    not begun are dropped, and the workers are interrupted too (they may not have been: `kill
    -INT`) and waited for: a batch would otherwise run on for a minute at province scale.  What
    a stopped worker was writing to the cache is a temporary file, which the next build
    sweeps (compiler/rebuild.py).

    The pool's threads (and its workers, forked from this thread) start with SIGINT blocked,
    so that Ctrl-C lands on this thread, which waits for the results: taken by a pool thread,
    it did not wake this one, which waited on until the running jobs ended.  A signal that
    comes meanwhile waits, and is taken as the mask is restored; a worker unblocks it.

    SIGTERM and SIGHUP (a CI job cancelled, `docker stop`, `kill`, a closed terminal) are sent
    to this process alone: by default they ended it and left the workers blocked on the pool's
    pipes for good.  While the pool runs they stop this process as Ctrl-C does
    (`_terminations_stop`), and a worker takes them as it takes Ctrl-C."""
    # Imported here: 19 ms that the commands which never fork should not pay at start-up.
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    # What this process holds is set aside from the cycle collector while the workers run
    # (`_frozen`), for every pool.
    with _frozen(), _terminations_stop():
        before = set(multiprocessing.active_children())
        pool = ProcessPoolExecutor(
            count, mp_context=context, initializer=_hear_interrupts, initargs=(os.getpid(),)
        )

        def in_order(work: Callable[[Any], Any], jobs: Sequence[Any], chunk: int) -> Iterator[Any]:
            with _interrupts_blocked():
                return pool.map(work, jobs, chunksize=chunk)  # starts the threads and workers

        def polled(
            work: Callable[[Any], Any], jobs: Sequence[Any], every: Callable[[], None]
        ) -> Iterator[Any]:
            # One job a message, as in_order with a chunk of 1, but waiting for each result a
            # moment at a time, `every` called between (Ctrl-C still lands here).
            with _interrupts_blocked():
                futures = [pool.submit(work, job) for job in jobs]
            for future in futures:
                while True:
                    try:
                        result = future.result(timeout=_POLL_SECONDS)
                    except TimeoutError:
                        every()
                        continue
                    yield result
                    break

        def windowed(
            work: Callable[[Any], Any], jobs: Sequence[Any], window: int, stretch: int
        ) -> Iterator[Any]:
            # The results of jobs given out wait in this process until they are read: a reader
            # slower than the workers would hold them all (`pool.map` gives out every job).
            # But while the result the reader waits for is still being made, a worker with
            # nothing to do is given the next job, up to `stretch` given and not yet read: one
            # long job (the conflict report's page, 11 s at 3,000 jurisdictions) left the other
            # workers idle once they had done the window's jobs, and the reader waiting.
            assert 1 <= window <= stretch, (window, stretch)
            waiting: collections.deque[Future[Any]] = collections.deque()
            pending = iter(jobs)

            def give() -> bool:
                for job in pending:
                    with _interrupts_blocked():  # a worker may be forked here
                        waiting.append(pool.submit(work, job))
                    return True
                return False

            while len(waiting) < window and give():
                pass
            while waiting:
                head = waiting[0]
                while not head.done() and len(waiting) < stretch:
                    running = [future for future in waiting if not future.done()]
                    if head not in running:
                        break  # done since: waiting on the others would hold it back
                    if len(running) < count and give():
                        continue
                    wait(running, return_when=FIRST_COMPLETED)
                yield waiting.popleft().result()
                while len(waiting) < window and give():
                    pass

        try:
            yield _Pool(in_order, polled, windowed)
        except BaseException as error:
            # Until the workers are gone a second Ctrl-C waits (a step of a job, at most): taken
            # now, it cut the wait short and left them running.
            with _interrupts_blocked():
                pool.shutdown(wait=False, cancel_futures=True)
                workers = set(multiprocessing.active_children()) - before
                for process in workers:
                    if process.pid is not None:
                        with contextlib.suppress(OSError):  # ended already
                            os.kill(process.pid, signal.SIGINT)
                for process in workers:
                    process.join()
                # The pool's thread is waited for too, its workers gone: left running, it
                # closed its wake-up pipe while the interpreter's exit wrote to it
                # (concurrent.futures' atexit hook; Python 3.11), and a build stopped by
                # SIGHUP printed "Exception ignored … Bad file descriptor" with a traceback.
                pool.shutdown(wait=True)
            if isinstance(error, BrokenProcessPool):
                raise WorkerLost(_lost()) from error
            raise
        pool.shutdown(wait=True)


def _lost() -> str:
    """What to tell the user when a worker died mid-job.  The pool knows only that one did
    ("terminated abruptly"), not why: the kernel's log does."""
    return (
        "a worker process was killed before it finished its job; most often the system ran "
        "out of memory and killed it (the kernel's log, `dmesg`, then says \"Out of memory: "
        f'Killed process").  Each worker holds up to ~380 MB at 3,000 policies (the one '
        "that generates the site's pages holds the model: ~1.8 GB): set "
        f"{JOBS_VARIABLE}=1 (or another number below the cores) to run fewer of them, and run "
        "the command again (`check` and `build` keep in the cache what they made so far)"
    )


_INTERRUPTED = False  # in a worker: Ctrl-C was pressed (or the parent passed it on)


# The signals that stop a build from outside: Ctrl-C, and where the platform has them, the
# polite kill and the closed terminal.
_STOPS: Final = frozenset(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def _interrupts_blocked() -> Iterator[None]:
    """The stopping signals held back from this thread, and from the threads and processes it
    starts (they inherit the mask), until the block ends.  Not on Windows (no signal masks, no
    fork)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _terminate(signum: int, frame: object) -> None:
    # SIGTERM or SIGHUP while workers ran: this process stops with 128 + the signal's number,
    # as a shell reports a process that signal ended, once `_workers` has stopped its workers.
    # SystemExit, not an error of policyc's: `guarded` passes its code through.
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _terminations_stop() -> Iterator[None]:
    """SIGTERM and SIGHUP raise SystemExit in this thread until the block ends (they end the
    process at once otherwise).  Only the main thread can set a handler; elsewhere nothing."""
    import threading

    names = [s for s in _STOPS if s != signal.SIGINT]
    if threading.current_thread() is not threading.main_thread() or not names:
        yield
        return
    previous = {s: signal.signal(s, _terminate) for s in names}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _hear_interrupts(parent: int) -> None:
    """A worker's start: it notes the stopping signals, and ends when `parent` does."""
    for s in _STOPS:
        signal.signal(s, _note_interrupt)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)  # forked with them blocked
    import threading

    threading.Thread(target=_orphaned, args=(parent,), name="policyc parent", daemon=True).start()


def _orphaned(parent: int) -> None:
    """End this worker once `parent`, the process that made it, is gone.  A parent killed
    outright (SIGKILL: the OOM killer, `timeout -s KILL`) cannot stop its workers, and they
    stayed for good, blocked writing a result to the pipe they held both ends of, a few
    hundred MB each.  A thread that looks every half second works on every system with fork
    (no prctl), and costs nothing while it sleeps."""
    while os.getppid() == parent:
        time.sleep(_ORPHAN_POLL_SECONDS)
    os._exit(EXIT_INTERNAL)


def _note_interrupt(signum: int, frame: object) -> None:
    global _INTERRUPTED
    _INTERRUPTED = True


def stop_if_interrupted() -> None:
    """In a worker of `forked_map` or the parse that was interrupted (see `_workers`): stop
    its job here.  Elsewhere nothing: Ctrl-C raises KeyboardInterrupt where it lands."""
    if _INTERRUPTED:
        raise KeyboardInterrupt


def forks() -> bool:
    """Whether `forked_map` works on every core here (a system with fork: not Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


class JobsError(PolicycError, ValueError):
    """POLICYC_JOBS is not a number of processes."""


class WorkerLost(PolicycError, RuntimeError):
    """A worker process ended without finishing its job: killed from outside, most often by
    the system when memory ran out."""


JOBS_VARIABLE: Final = "POLICYC_JOBS"
MAX_JOBS: Final = 256  # more is a typo: each process holds hundreds of MB


def cores() -> int:
    """How many processes work in parallel (`forked_map`, the parse): POLICYC_JOBS if set
    (fewer processes hold less memory: each up to ~380 MB at 3,000 policies), else the cores
    this process may run on, at most 8 (beyond, the parent reading their results is the
    limit)."""
    asked = os.environ.get(JOBS_VARIABLE, "").strip()
    if asked:
        if not (asked.isascii() and asked.isdigit() and 1 <= int(asked) <= MAX_JOBS):
            raise JobsError(
                f"{JOBS_VARIABLE}={asked!r}: expected how many processes may work at once, "
                f"a whole number from 1 to {MAX_JOBS} (1: no worker processes)"
            )
        return int(asked)
    # The cores this process may use, not the machine's: a container or `taskset` may allow
    # fewer, and a worker per core it cannot run on only waits.
    available = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return min(len(available) if available else os.cpu_count() or 1, 8)


_T = TypeVar("_T")
_R = TypeVar("_R")
_FORKED_WORK: Callable[[Any], Any] | None = None


def forked_map(
    work: Callable[[_T], _R],
    jobs: Sequence[_T],
    progress: Callable[[int], None] | None = None,
    window: int | None = None,
    stretch: int | None = None,
) -> Iterator[_R]:
    """`work(job)` for each job, in order, on every core: in workers forked from this process,
    which start with its memory (so `work` may be a closure over a checked project: only the
    jobs and the results are pickled).  One job after another in this process where there is
    one core, one job, or no fork.

    `progress(units)` hears, while the jobs run, how many units of work (policies made, files
    read) they have done so far, each counted by `advance` where the work does it: a job is a
    batch of hundreds of policies at province scale, and a line counting whole jobs stood
    still for seconds, then jumped by hundreds.

    `window` (without `progress`): at most that many jobs given to the workers and not yet
    read, for a caller that reads the results slowly and would otherwise hold them all; up to
    `stretch` (by default `window`) while the result the caller waits for is still being made
    and a worker has nothing else to do."""
    workers = min(cores(), len(jobs))
    global _FORKED_WORK, _ADVANCED
    if workers < 2 or not forks():
        count = 0

        def counted(units: int) -> None:
            nonlocal count
            count += units
            if progress is not None:
                progress(count)

        previous_advanced, _ADVANCED = _ADVANCED, counted
        try:
            yield from map(work, jobs)
        finally:
            _ADVANCED = previous_advanced
        return
    context = multiprocessing.get_context("fork")
    # One count in shared memory for all the workers (forked after it is made), read here.
    done = context.Value("q", 0) if progress is not None else None

    def shared(units: int) -> None:
        if done is not None:
            with done.get_lock():
                done.value += units

    previous, _FORKED_WORK = _FORKED_WORK, work
    previous_advanced, _ADVANCED = _ADVANCED, shared
    try:
        with _workers(workers, context) as pool:
            if window is not None:
                stretched = window if stretch is None else max(window, stretch)
                yield from pool.windowed(_run_forked, jobs, window, stretched)
            elif progress is None or done is None:
                yield from pool.in_order(_run_forked, jobs, 1)
            else:
                yield from pool.polled(_run_forked, jobs, lambda: progress(done.value))
    finally:
        _FORKED_WORK = previous
        _ADVANCED = previous_advanced


def in_a_fork(work: Callable[[Steps], _R], steps: Steps) -> _R:
    """`work(steps)` in a worker process forked from this one, its result sent back: for a
    step that builds much to give little (a province's model, 1.55 GB at 3,000 jurisdictions,
    for the pages generated from it).  Its memory goes back to the system when the worker
    ends; freed in this process, most of it stayed in Python's arenas, and the processes
    forked afterwards started with it.  What it reports to its `steps` is told to `steps`
    here, in order, while this process waits.  In this process where there is no fork or
    POLICYC_JOBS is 1 (no worker processes).

    Ctrl-C and the other stops are heard as in `forked_map`: the worker stops at the next step
    it reports, or where `work` checks (`stop_if_interrupted`)."""
    if cores() < 2 or not forks():
        return work(steps)
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)

    def told(doing: str, done: int, total: int, unit: str) -> None:  # in the worker
        stop_if_interrupted()
        writer.send((doing, done, total, unit))

    def run(_: object) -> _R:  # in the worker
        # Its copy of the reading end closed: once this process's is too, a step it tells
        # fails (EPIPE) instead of waiting for a reader for good.
        reader.close()
        try:
            return work(told)
        except Exception as error:
            raise _sendable(error) from None

    def heard() -> None:
        while reader.poll():
            steps(*reader.recv())

    from concurrent.futures.process import BrokenProcessPool

    global _FORKED_WORK
    previous, _FORKED_WORK = _FORKED_WORK, run
    try:
        with _workers(1, context) as pool:
            try:
                try:
                    [result] = pool.polled(_run_forked, [None], heard)
                except BrokenProcessPool:
                    raise  # killed: what it was sending may be cut short
                except Exception:
                    heard()  # the work's error: the steps it told before it
                    raise
                heard()  # the steps it told before it sent the result
            finally:
                # Stopped (Ctrl-C, a signal) while the worker may be blocked telling a step to
                # a full pipe, which nobody reads any more: with no reader left its write
                # fails and it ends, where the pool would otherwise wait for it for good.
                reader.close()
        return cast(_R, result)
    finally:
        _FORKED_WORK = previous
        writer.close()


def _sendable(error: Exception) -> Exception:
    """`error`, if it comes back whole from the pickle that sends it to the parent; else an
    error that does, with its type's name and message.  An error that does not (one whose
    constructor takes other arguments than its message) broke the pool as it was read, and
    the parent reported a worker killed, most often for lack of memory."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # any failure to send it is the same to the parent
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def rising(report: Callable[[int], None], total: int) -> Callable[[int], None]:
    """`report(done)` with the highest count given it so far, at most `total`: what a
    forked_map's `progress` and its results both tell, the workers' count running ahead of the
    results returned, so that a line never moves back.  A count that stands still is reported
    again at each poll: a terminal line shows the seconds go by (progress.TerminalProgress)."""
    shown = 0

    def heard(done: int) -> None:
        nonlocal shown
        shown = max(shown, min(done, total))
        report(shown)

    return heard


# Set while a forked_map runs (in its workers too): counts units done for its `progress`.
_ADVANCED: Callable[[int], None] | None = None


def advance(units: int = 1) -> None:
    """`units` of the running forked_map's work done (a policy checked or made): counted for
    its `progress`.  Outside one, nothing."""
    if _ADVANCED is not None:
        _ADVANCED(units)


@contextlib.contextmanager
def _frozen() -> Iterator[None]:
    """What this process holds set aside from the cycle collector while its workers run, as
    the gc module's documentation advises before a fork.  A worker starts with all of it, and
    each collection it made went through all of it again, writing to every page it read
    (pages it then no longer shared with this process): in a first build of 100
    jurisdictions, 7 % of the CPU samples, in the workers that make calendar.csv's columns.
    Frozen, they scan what the worker made since.  This process gets them back afterwards
    (`unfreeze`: nothing it holds is lost to the collector)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run_forked(job: Any) -> Any:
    assert _FORKED_WORK is not None  # set before the fork (forked_map)
    return _FORKED_WORK(job)


def _parse_in_worker(job: tuple[str | None, str, ParseCache | None, str | None]) -> ParseResult:
    stop_if_interrupted()
    text, shown, cache, key = job
    assert text is not None
    result = parse_text(text, shown)
    if cache is not None and key is not None:
        cache.put(key, result)
    return result


def _read_into(loaded: LoadedFiles, path: Path) -> None:
    shown = display_path(path, loaded.root)
    try:
        data = read_policy_bytes(path)
    except OSError as error:
        loaded.diagnostics.append(unreadable(shown, error))
        return
    loaded.texts[shown] = data
    text, problems = decode(data, shown)
    loaded.diagnostics += problems
    if text is None:
        return
    loaded.lines.add(shown, text)
    module, problems = parse_text(text, shown)
    loaded.diagnostics += problems
    if module is not None:
        loaded.modules.append(module)


def load_in_place(
    root: Path, shown: str, data: bytes, read_source: Callable[[str], SourceDocument]
) -> tuple[LoadedFiles, str | None]:
    """One policy file supplied in memory (`data`, shown in messages as `shown`: a version
    read from git, a draft kept outside policies/) with the project's shared files around it;
    and its policy id (None when the text does not parse or holds no policy header).

    The surroundings are the working tree's shared vocabulary and concepts, as for any policy
    file from outside policies/ (`load`): a policy reads only those, so two versions of one
    policy are checked against the same surroundings and differ only in themselves.  The other
    policies and the project's policy tests (policies/cases/, written for the working tree's
    version) are left out, which also keeps a load to one policy's checking time.
    `read_source(path)` reads the official text the supplied file names (`source "…"`), from
    wherever the file came from; it raises SourceError when it cannot.
    """
    root = root.resolve()  # as in `load`
    loaded = LoadedFiles(root)
    for path in policy_files(root)[0]:
        if _is_vocabulary(path, root):
            _read_into(loaded, path)
    loaded.requested = {shown}
    loaded.texts[shown] = data
    text, problems = decode(data, shown)
    loaded.diagnostics += problems
    module = None
    if text is not None:
        loaded.lines.add(shown, text)
        module, problems = parse_text(text, shown)
        loaded.diagnostics += problems
    header = module.header if module is not None else None
    if module is not None and header is None:
        loaded.diagnostics.append(
            Diagnostic(codes.E007, f"{shown} is not a policy: it has no 'policy' header", None)
        )
        # Nothing more to say of it: checked beside the surroundings, the shared vocabulary
        # given as a version was an E100 for each of its names, declared "twice".
        return loaded, None
    if header is not None and header.source is not None:
        try:
            loaded.sources[shown] = read_source(header.source)
        except SourceError as error:
            loaded.sources[shown] = error
    if module is not None:
        loaded.modules.append(module)
    return loaded, header.id if header is not None else None


def _is_vocabulary(path: Path, root: Path) -> bool:
    return display_path(path, root) in SHARED_FILES
