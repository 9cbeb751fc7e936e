"""Incremental checking: `policyc check` of a whole project re-checks only the policies an edit
touched, and gives exactly what checking everything gives.

`compiler.check` splits the checker in two (its docstring): project-wide passes over every
file's declarations, and per-policy passes that read only the policy's scope (the shared
vocabulary and its own file's declarations; anything else is E122).  So what a policy's passes
find is a function of a few files, and this module keeps it in the project's cache
(`compiler.cache`, `.policyc-cache/`) under the SHA-256 of exactly those inputs:

- per file, a **summary** (keyed like its parse result, by its bytes and path): the problems of
  reading and parsing it, the names it declares, its policy id and official text, the policies
  it holds tests for, and what the project-wide passes read of it (`compiler.declare`: names,
  places, fact types and relations, as plain JSON data kept encoded until the passes run: no
  syntax tree is decoded for them);
- the **project-wide passes** (declarations, duplicates, relations, test suites' policies),
  keyed by every file's declarations: an edit that changes none (a rule, a number, a quote)
  finds them done;
- per policy, its **findings**: the per-policy passes' diagnostics and, on a policy without
  errors, its W501 conflicts (`conflicts.internal`), keyed by the bytes of its own file, its
  test files, the shared files and its official text, plus the compiler's code.  The names its
  passes looked up outside its scope (for E122) are stored with them and must still resolve
  to the same files for the entry to be used.

A policy whose entry is missing or stale is checked again with the shared files (in batches,
whose trees are read back from the parse cache and let go of after: a first run over thousands
of files holds one batch at a time); the rest are read from the cache without decoding their
syntax trees.  The diagnostics come out in
the order the whole check makes them, so the output is byte-identical with `--no-cache`
(tests/test_incremental.py).  `check_project` returns None where it does not apply (two files
declaring one policy id: the whole check reports that), and the CLI then checks everything.
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, Protocol

from compiler import declare, ir
from compiler import nodes as n
from compiler.cache import CorruptEntry, ParseCache, ParseResult, _build, encode
from compiler.check import Checker
from compiler.diagnostics import Diagnostic, SourceLines, syntax_stage, unreadable
from compiler.jsontext import compact
from compiler.model import Model
from compiler.parser import decode as decode_text
from compiler.parser import read_policy_bytes
from compiler.progress import Steps, quiet
from compiler.project import (
    PARALLEL_FROM,
    SHARED_FILES,
    LoadedFiles,
    _parse_many,
    _Pending,
    advance,
    cores,
    display_path,
    forked_map,
    forks,
    gc_paused,
    policy_files,
    rising,
    stop_if_interrupted,
)
from compiler.sources import SourceDocument, SourceError, read_source, source_from_bytes

_LAYOUT: Final = "incremental-1"

# Policies checked again together: their syntax trees are let go of after each batch, so that
# a first run over thousands of files does not hold every tree and every lowered policy at once.
BATCH: Final = 256


@cache
def _compiler_fingerprint() -> bytes:
    """The SHA-256 of all of the compiler's code, grammar and data: a policy's findings depend
    on the checker, the lowering, the conflict search and the runtime they use, and its
    generated files (compiler/rebuild.py) on the backends."""
    digest = hashlib.sha256(_LAYOUT.encode())
    _fingerprint(digest, resources.files("compiler"), "")
    return digest.digest()


def _fingerprint(digest: Any, folder: Any, prefix: str) -> None:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        name = prefix + entry.name
        if entry.is_dir():
            if entry.name != "__pycache__":
                _fingerprint(digest, entry, name + "/")
        elif entry.name.endswith((".py", ".lark", ".j2", ".json")):
            digest.update(name.encode() + b"\0" + entry.read_bytes() + b"\0")


# ---------------------------------------------------------------- summaries of files


@dataclass
class _File:
    """One file of the project: its bytes, its summary, and its syntax tree once needed."""

    path: Path
    shown: str
    data: bytes | None = None  # None: it could not be read (then `problems` says why)
    key: str | None = None  # the parse cache's key
    problems: tuple[Diagnostic, ...] = ()
    # What the project-wide passes read of it (compiler/declare.py), as JSON data or its
    # text; read back on demand.
    declarations: Any = None
    names: tuple[str, ...] = ()
    policy: str | None = None
    source: str | None = None
    suites: tuple[str, ...] = ()
    declared: str = ""  # SHA-256 of the declarations and the lines their diagnostics quote
    module: n.Module | None = None  # the whole syntax tree, when this run needed it
    text: str | None = None

    def read_declarations(self) -> declare.Declarations | None:
        if self.declarations is None:
            return None
        try:
            value = (
                json.loads(self.declarations)
                if isinstance(self.declarations, str)
                else self.declarations
            )
        except ValueError as error:
            raise CorruptEntry(str(error)) from None
        return declare.Declarations.from_json(value)


def _summarize(file: _File, decoding: list[Diagnostic], result: ParseResult) -> None:
    module, parsing = result
    file.problems = (*decoding, *parsing)
    file.module = module
    if module is None:
        file.declarations, file.declared = None, ""
        return
    declarations = declare.of(module)
    file.declarations = declarations.to_json()
    # The lines the project-wide passes may quote (a diagnostic shows its line) are part of
    # what they read: a comment beside a declaration changes them, not the declaration.
    assert file.text is not None
    lines = file.text.split("\n")
    quoted = [lines[k - 1] for k in sorted(declarations.lines()) if 1 <= k <= len(lines)]
    file.declared = hashlib.sha256(compact([file.declarations, quoted])).hexdigest()
    file.names = tuple(declarations.names())
    header = module.header
    file.policy = header.id if header is not None else None
    file.source = header.source if header is not None else None
    file.suites = tuple(dict.fromkeys(policy for policy, _ in declarations.suites))


def _write_summary(file: _File) -> bytes:
    # The declarations are a string inside the entry: JSON-decoding them is most of reading
    # a summary, and an edit that changes no declaration never needs them.
    return compact(
        [
            encode(file.problems),
            None if file.declarations is None else compact(file.declarations).decode(),
            list(file.names),
            file.policy,
            file.source,
            list(file.suites),
            file.declared,
        ]
    )


def _read_summary(file: _File, data: bytes) -> None:
    try:
        value = json.loads(data)
        problems, declarations, names, policy, source, suites, declared = value
        built = _build(problems)
        if not isinstance(built, tuple) or not all(isinstance(d, Diagnostic) for d in built):
            raise CorruptEntry("not diagnostics")
        if not (
            all(isinstance(x, str) for x in (*names, *suites, declared))
            and isinstance(policy, str | None)
            and isinstance(source, str | None)
            and isinstance(declarations, str | None)
        ):
            raise CorruptEntry("not a summary")
    except CorruptEntry:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as error:
        raise CorruptEntry(str(error) or type(error).__name__) from None
    file.problems = built
    file.declarations = declarations
    file.names, file.suites = tuple(names), tuple(suites)
    file.policy, file.source, file.declared = policy, source, declared


# ---------------------------------------------------------------- the check


@dataclass
class _Findings:
    """What the per-policy passes found for one policy (see the module's docstring)."""

    diagnostics: tuple[Diagnostic, ...]
    lookups: tuple[tuple[str, str | None], ...]
    conflicts: tuple[Diagnostic, ...] | None  # W501; None: not looked for (errors)


@dataclass
class _Project:
    root: Path
    cache: ParseCache
    steps: Steps
    on_lowered: OnLowered | None = None
    files: list[_File] = field(default_factory=list)
    index: dict[str, str] = field(default_factory=dict)  # name -> the file first declaring it
    keys: dict[str, str] = field(default_factory=dict)  # policy -> the key of its findings
    declared: str | None = None  # the key of the project-wide passes' entry
    # The official texts, by path relative to policies/, read once (`_inputs`): the bytes a
    # policy's key hashes are the bytes its quotes are checked against, even where the file
    # is saved again while the check runs (else findings of the old text would be kept
    # under the key of the new one, and found there by every later run).
    official: dict[str, bytes | SourceError] = field(default_factory=dict)

    def official_text(self, source: str) -> bytes | SourceError:
        """The bytes of the official text `source` (as a policy names it), or why it cannot
        be read: read on first asking, the same bytes after."""
        found = self.official.get(source)
        if found is None:
            try:
                found = read_source(self.root / "policies" / source)
            except SourceError as error:
                found = error
            self.official[source] = found
        return found

    def key(self, kind: str, *parts: str) -> str:
        digest = hashlib.sha256(self.cache.secret + _compiler_fingerprint() + kind.encode())
        for part in parts:
            digest.update(b"\0" + part.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def weights(self) -> dict[str, int]:
        """What each policy costs to check, lower and generate, for `batches`: the bytes of
        the file that declares it and of the files that hold its tests (its module and SQL
        grow with its rules, and its rules with its file)."""
        weights: dict[str, int] = {}
        for file in self.files:
            size = len(file.data or b"")
            for policy in {*([file.policy] if file.policy else []), *file.suites}:
                weights[policy] = weights.get(policy, 0) + size
        return weights


class _LazyLines(SourceLines):
    """The lines of a project file, read when a diagnostic first quotes one: an incremental
    check decodes only the files it parses or reports on."""

    def __init__(self, project: _Project) -> None:
        super().__init__()
        self.project = project
        self.by_shown = {f.shown: f for f in project.files}

    def line(self, span: n.Span | None) -> str | None:
        if span is not None and span.file not in self._files:
            file = self.by_shown.get(span.file)
            if file is not None and file.data is not None:
                text, _ = decode_text(file.data, file.shown)
                if text is not None:
                    self.add(file.shown, text)
        return super().line(span)


class Keyed(Protocol):
    """What names a policy's entries in the cache: the key of its findings, and keys made
    like them (compiler/rebuild.py keeps a policy's outputs under one)."""

    @property
    def keys(self) -> dict[str, str]: ...

    def key(self, kind: str, *parts: str) -> str: ...


# Hears of the policies a check lowered (to look for W501 in them): called where they were
# lowered, a batch at a time, with the lowered program and those of its policies without
# errors.  `policyc build` makes their outputs there (compiler/rebuild.py), so that a first
# build lowers each policy once, not once for the check and again for its outputs.
OnLowered = Callable[[Keyed, ir.Program, Sequence[str]], None]


def check_project(
    root: Path, cache: ParseCache, steps: Steps = quiet
) -> tuple[list[Diagnostic], set[str]] | None:
    """Every diagnostic `policyc check` reports for the whole project (W501 included), in the
    order checking everything makes them, and the files checked (display paths); None when
    the project needs the whole check."""
    checked = Checked.of(root, cache, steps)
    if checked is None:
        return None
    return checked.diagnostics, {f.shown for f in checked.project.files}


@dataclass
class Checked:
    """A project checked through the cache: its diagnostics, and per policy the key of its
    findings, which names everything that policy's outputs are made from (compiler/rebuild.py
    keeps its generated files under it)."""

    project: _Project
    diagnostics: list[Diagnostic]

    @classmethod
    def of(
        cls,
        root: Path,
        cache: ParseCache,
        steps: Steps = quiet,
        on_lowered: OnLowered | None = None,
    ) -> Checked | None:
        """`root` checked; None when the project needs the whole check.  `on_lowered` hears of
        the policies checked again and lowered (see `OnLowered`)."""
        project = _Project(root, cache, steps, on_lowered)
        paths, errors = policy_files(root)
        with gc_paused():  # thousands of files' nodes: see project.gc_paused
            _read(project, paths)
            diagnostics = _check(project, errors)
        return None if diagnostics is None else cls(project, diagnostics)

    @property
    def keys(self) -> dict[str, str]:
        return self.project.keys

    def key(self, kind: str, *parts: str) -> str:
        return self.project.key(kind, *parts)

    def entries(self) -> set[str]:
        """The keys of the cache's entries that this check read or wrote, which the next check
        of the project as it is reads: every file's parse result and summary, the project-wide
        passes' entry and every policy's findings (`compiler.rebuild` sweeps the others)."""
        project = self.project
        files = [f.key for f in project.files if f.key is not None]
        return {
            *files,
            *(project.key("summary", k) for k in files),
            *([project.declared] if project.declared is not None else []),
            *project.keys.values(),
        }

    def lowered(self, policies: Sequence[str]) -> Iterator[ir.Program]:
        """`policies` (of a project without errors) lowered with their scopes, a batch at a
        time: each program holds the batch's policies, whatever else it holds read only by
        them, and nothing of the batch before (its trees are let go of)."""
        from compiler.lower import lower

        project = self.project
        with gc_paused():
            for batch in batches(policies, project.weights()):
                checker = _batch_checker(project, batch)
                yield lower(_scoped_model(checker, batch), project.root)
                del checker
                _let_go(project, len(policies))


def batches(
    policies: Sequence[str], weights: Mapping[str, int] | None = None
) -> list[Sequence[str]]:
    """`policies` in batches, each in the order given.  As many batches as BATCH policies
    each would make; from PARALLEL_FROM policies on, as many as a multiple of the cores
    (`forked_map` makes them on every core), so that the cores finish together.

    Batches of about equal weight, not equal count: `weights` is what each policy costs to
    check, lower and generate (its files' bytes: `_Project.weights`; 1 each without it).
    Policies of one kind and size may sort together by id (the synthetic corpus's renamed
    copies of each document; a province's counties, if named by their prefecture), so batches
    of consecutive ids of equal count were not equal work: at 600 jurisdictions on two cores,
    the last batch (the 66 KB 玉泉 copies, twice the others' bytes) took 6.3 CPU s against
    3.7-4.2 for the other three, and one core waited for the last quarter of the check.  Each
    policy goes, heaviest first, to the lightest batch so far (ties: the earlier batch), which
    keeps the batches within one policy's weight of each other."""
    count = -(-len(policies) // BATCH)
    if len(policies) >= PARALLEL_FROM:
        workers = min(cores(), len(policies))  # no batch left empty
        count = -(-count // workers) * workers
    if count <= 1:
        return [policies] if policies else []
    weight = {policy: (weights or {}).get(policy, 1) for policy in policies}
    place = {policy: k for k, policy in enumerate(policies)}
    lightest = [(0, k) for k in range(count)]  # (the batch's weight so far, the batch)
    made: list[list[str]] = [[] for _ in range(count)]
    for policy in sorted(policies, key=lambda p: (-weight[p], place[p])):
        so_far, k = heapq.heappop(lightest)
        made[k].append(policy)
        heapq.heappush(lightest, (so_far + weight[policy], k))
    return [sorted(batch, key=place.__getitem__) for batch in made]


def _read(project: _Project, paths: Sequence[Path]) -> None:
    todo: list[_File] = []
    for path in paths:
        # policy_files resolved the paths, and find_root the root: no resolving again.
        shown = (
            path.relative_to(project.root).as_posix()
            if path.is_relative_to(project.root)
            else display_path(path, project.root)
        )
        file = _File(path, shown)
        project.files.append(file)
        try:
            file.data = read_policy_bytes(path)
        except OSError as error:
            file.problems = (unreadable(file.shown, error),)
            continue
        file.key = project.cache.key(file.shown, file.data)
        stored = project.cache.get_bytes(project.key("summary", file.key))
        if stored is not None:
            try:
                _read_summary(file, stored)
                continue
            except CorruptEntry:
                pass
        todo.append(file)
    # A project of more files than a batch is never held whole: each tree is summarized and
    # let go of as it is read or parsed, and read back from the parse cache for its policy's
    # batch (`_recheck`), which costs a decoding but keeps a first run over thousands of files
    # to one batch of trees at a time.  Such a project's files are summarized on every core:
    # only the summaries come back (`_summaries`); without fork, parsed on every core.
    keep = len(project.files) <= BATCH
    if not keep and forks():
        _summaries(project, todo)
    else:
        _summarize_here(project, todo, keep)
    for file in project.files:
        for name in file.names:
            project.index.setdefault(name, file.shown)


def _summarize_here(project: _Project, todo: Sequence[_File], keep: bool) -> None:
    """`todo` summarized in this process (parsed on every core, `project._parse_many`), each
    file's tree kept for the check if `keep` (a project of one batch)."""
    unparsed: list[tuple[_File, _Pending]] = []
    for done, file in enumerate(todo, start=1):
        project.steps("reading", done, len(todo), "files")
        assert file.data is not None and file.key is not None
        text, decoding = decode_text(file.data, file.shown)
        if text is None:
            file.problems = tuple(decoding)
            project.cache.put_encoded(project.key("summary", file.key), _write_summary(file))
            continue
        file.text = text
        result = project.cache.get(file.key)
        if result is None:
            unparsed.append((file, _Pending(file.shown, text, file.data, decoding, file.key)))
        else:
            _summarized(project, file, decoding, result, keep)

    def parsing(done: int, total: int) -> None:
        project.steps("parsing", done, total, "files")

    parsed = _parse_many([p for _, p in unparsed], project.cache, parsing)
    for (file, pending), result in zip(unparsed, parsed, strict=True):
        _summarized(project, file, pending.problems, result, keep)


# Files a worker summarizes per job: enough to make a job's round trip small beside parsing
# them (~25 ms a file), few enough that the progress line moves.
_SUMMARY_JOB: Final = 8


def _summaries(project: _Project, todo: Sequence[_File]) -> None:
    """`todo` summarized without keeping their trees, on every core (`project.forked_map`):
    a worker decodes each file, takes its parse result from the parse cache or parses it and
    stores it, summarizes it, stores the summary and sends back only that.  Done in this
    process, the trees came back from the parsing workers pickled, to be unpickled, encoded
    for the cache and summarized here, on a third process beside two parsing ones: 6 CPU s
    of the 12 s that reading 600 jurisdictions' files took on two cores."""
    jobs = [todo[k : k + _SUMMARY_JOB] for k in range(0, len(todo), _SUMMARY_JOB)]

    def summarize(files: Sequence[_File]) -> list[bytes]:
        summaries = []
        for file in files:
            stop_if_interrupted()
            summaries.append(_summary_of(project, file))
        return summaries

    done = 0
    for files, summaries in zip(jobs, forked_map(summarize, jobs), strict=True):
        for file, summary in zip(files, summaries, strict=True):
            _read_summary(file, summary)
        done += len(files)
        project.steps("reading", done, len(todo), "files")


def _summary_of(project: _Project, file: _File) -> bytes:
    """A file's summary, stored; its parse result taken from the parse cache or parsed and
    stored."""
    assert file.data is not None and file.key is not None
    text, decoding = decode_text(file.data, file.shown)
    if text is None:
        file.problems = tuple(decoding)
    else:
        file.text = text
        result = project.cache.get(file.key)
        if result is None:
            from compiler.parser import parse_text

            result = parse_text(text, file.shown)
            project.cache.put(file.key, result)
        _summarize(file, decoding, result)
        file.module = file.text = None  # let go of (in this process where there is one core)
    summary = _write_summary(file)
    project.cache.put_encoded(project.key("summary", file.key), summary)
    return summary


def _summarized(
    project: _Project, file: _File, decoding: list[Diagnostic], result: ParseResult, keep: bool
) -> None:
    _summarize(file, decoding, result)
    project.cache.put_encoded(project.key("summary", file.key or ""), _write_summary(file))
    if not keep:
        file.module = file.text = None


def _check(project: _Project, errors: list[Diagnostic]) -> list[Diagnostic] | None:
    files = project.files
    problems = [*errors, *(d for f in files for d in f.problems)]
    stopped = syntax_stage(problems)
    if stopped is not None:
        # A file that does not parse: its input and syntax errors alone, as `check.check`
        # reports them (the rest would follow from that file); nothing else is checked.
        return stopped
    headers = [f.policy for f in files if f.policy is not None]
    if len(headers) != len(set(headers)):
        return None  # a policy declared twice: its second file's rules are E107s
    declared = _declare(project)
    if declared is None:
        return None
    declaring, policies = declared
    inputs = _inputs(project)
    findings: dict[str, _Findings] = {}
    keys = project.keys
    stale: list[str] = []
    for policy, _ in policies:
        keys[policy] = _policy_key(project, policy, inputs)
        found = _stored_findings(project, keys[policy])
        if found is None or any(project.index.get(k) != v for k, v in found.lookups):
            stale.append(policy)
        else:
            findings[policy] = found
    clean = not _has_error([*problems, *declaring])
    findings |= _recheck(project, stale, with_conflicts=clean, keys=keys)
    everything = [*problems, *declaring]
    for policy, _ in policies:
        everything += findings[policy].diagnostics
    if _has_error(everything):
        return everything
    missing = [p for p, _ in policies if findings[p].conflicts is None]
    findings |= _recheck(project, missing, with_conflicts=True, keys=keys)
    for policy in sorted(p for p, _ in policies):
        conflicts = findings[policy].conflicts
        assert conflicts is not None
        everything += conflicts
    return everything


def _has_error(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def _declare(
    project: _Project,
) -> tuple[list[Diagnostic], list[tuple[str, str]]] | None:
    """The project-wide passes' diagnostics and the policies in the checker's order (id and
    file), from the cache or by running them over every file's declarations."""
    key = project.key(
        "declare", *(f"{f.shown}\0{f.declared}\0{f.data is not None}" for f in project.files)
    )
    project.declared = key
    stored = project.cache.get_bytes(key)
    if stored is not None:
        try:
            value = json.loads(stored)
            diagnostics = _build(value[0])
            policies = [(str(p), str(f)) for p, f in value[1]]
            if isinstance(diagnostics, tuple) and all(
                isinstance(d, Diagnostic) for d in diagnostics
            ):
                return list(diagnostics), policies
        except (CorruptEntry, ValueError, TypeError, KeyError, IndexError, RecursionError):
            pass
    try:
        files = [d for f in project.files if (d := f.read_declarations()) is not None]
    except CorruptEntry:
        return None
    # A checker for its `error`, which quotes the lines (read when a diagnostic needs one).
    checker = Checker(LoadedFiles(project.root, lines=_LazyLines(project)))
    found = declare.run(files, checker.error)
    policies = list(found.policies.items())
    project.cache.put_encoded(
        key, compact([encode(tuple(checker.diagnostics)), [list(p) for p in policies]])
    )
    return checker.diagnostics, policies


def _inputs(project: _Project) -> dict[str | None, list[str]]:
    """Per policy, what its findings read beyond the compiler (its file, its test files; its
    official text); under None, the shared files, which every policy reads."""
    inputs: dict[str | None, list[str]] = {None: []}
    for file in project.files:
        if file.shown in SHARED_FILES:
            inputs[None].append(f"shared\0{file.shown}\0{file.key}")
        if file.policy is not None:
            inputs.setdefault(file.policy, []).append(f"own\0{file.shown}\0{file.key}")
            if file.source is not None:
                data = project.official_text(file.source)
                digest = (
                    hashlib.sha256(data).hexdigest()
                    if isinstance(data, bytes)
                    else f"unreadable {str(data).removeprefix(f'{data.path}: ')}"
                )
                inputs[file.policy].append(f"source\0{file.source}\0{digest}")
        for policy in file.suites:
            inputs.setdefault(policy, []).append(f"tests\0{file.shown}\0{file.key}")
    return inputs


def _policy_key(project: _Project, policy: str, inputs: dict[str | None, list[str]]) -> str:
    """The key of a policy's findings: its file, its test files, the shared files and its
    official text, each by content (`_inputs`)."""
    return project.key("policy", policy, *inputs[None], *inputs.get(policy, ()))


def _stored_findings(project: _Project, key: str) -> _Findings | None:
    stored = project.cache.get_bytes(key)
    if stored is None:
        return None
    try:
        value = json.loads(stored)
        diagnostics = _build(value[0])
        conflicts = None if value[2] is None else _build(value[2])
        lookups = tuple((str(name), None if f is None else str(f)) for name, f in value[1])
        for found in (diagnostics, conflicts or ()):
            if not isinstance(found, tuple) or not all(isinstance(d, Diagnostic) for d in found):
                return None
    except (CorruptEntry, ValueError, TypeError, KeyError, IndexError, RecursionError):
        return None
    return _Findings(diagnostics, lookups, conflicts)


def _recheck(
    project: _Project, policies: Sequence[str], *, with_conflicts: bool, keys: dict[str, str]
) -> dict[str, _Findings]:
    """Check `policies` again with the shared files only, store and return their findings."""
    found: dict[str, _Findings] = {}
    if not policies:
        return found

    def check(batch: Sequence[str]) -> dict[str, _Findings]:
        checked = _recheck_batch(project, batch, with_conflicts=with_conflicts, keys=keys)
        _let_go(project, len(policies))
        return checked

    # On every core when there are several batches (a first run: minutes at province scale).
    # A build makes the outputs of what it lowers here: the line says so, it is the long step.
    doing = (
        "checking"
        if project.on_lowered is None or not with_conflicts
        else "checking and generating"
    )
    show = rising(lambda done: project.steps(doing, done, len(policies), "policies"), len(policies))
    show(0)
    for batch_found in forked_map(check, batches(policies, project.weights()), show):
        found |= batch_found
        show(len(found))
    return found


def _let_go(project: _Project, total: int) -> None:
    """After a batch: its files' trees let go of (read back from the parse cache if needed)."""
    for file in project.files:
        if file.shown not in SHARED_FILES:
            file.module = file.text = None
    if total > BATCH:
        # The collector is paused (gc_paused), and a batch's checker, lowering and conflict
        # search leave reference cycles: collected here, once a batch.
        gc.collect()


def _batch_checker(
    project: _Project,
    policies: Sequence[str],
    found: dict[str, _Findings] | None = None,
    *,
    counted: bool = False,
) -> Checker:
    """A checker of `policies` with the shared files, their own files and their tests, the
    per-policy passes run on each; `found` gets each one's findings (W501 not looked for).
    `counted`: each policy checked is a unit of the progress line (`advance`); not where
    making its outputs is (compiler/rebuild.py counts those)."""
    wanted = set(policies)
    loaded = LoadedFiles(project.root, lines=_LazyLines(project))
    for file in project.files:
        if file.shown in SHARED_FILES or file.policy in wanted or wanted & set(file.suites):
            stop_if_interrupted()
            module = _module(project, file)
            if module is not None:
                loaded.modules.append(module)
            # What lowering hashes and the checker reads: the bytes this run read, once.
            if file.data is not None:
                loaded.texts[file.shown] = file.data
            if file.source is not None and file.policy in wanted:
                loaded.sources[file.shown] = _official_document(project, file.source)
    checker = Checker(loaded, elsewhere=project.index)
    checker.declare()
    for policy_id in policies:
        stop_if_interrupted()
        start = len(checker.diagnostics)
        checker.lookups = {}
        checker.check_policy(checker.model.policies[policy_id])
        if found is not None:
            diagnostics = tuple(checker.diagnostics[start:])
            lookups = tuple(sorted(checker.lookups.items()))
            found[policy_id] = _Findings(diagnostics, lookups, None)
        if counted:
            advance()
    return checker


def _official_document(project: _Project, source: str) -> SourceDocument | SourceError:
    """The official text `source` as the checker takes it, from the bytes its key hashed."""
    data = project.official_text(source)
    if isinstance(data, SourceError):
        return data
    path = project.root / "policies" / source
    try:
        return source_from_bytes(path, data)
    except SourceError as error:
        return error


def _scoped_model(checker: Checker, policies: Sequence[str]) -> Model:
    """A model of `policies` and what they may read (their scopes): lowered, each policy's
    part is what lowering the whole project makes of it."""
    model = Model(texts=checker.model.texts)
    for policy_id in policies:
        policy = checker.model.policies[policy_id]
        model.include(checker.scope_of(policy))
        model.policies[policy_id] = policy
    return model


def _recheck_batch(
    project: _Project, policies: Sequence[str], *, with_conflicts: bool, keys: dict[str, str]
) -> dict[str, _Findings]:
    found: dict[str, _Findings] = {}
    generating = with_conflicts and project.on_lowered is not None
    checker = _batch_checker(project, policies, found, counted=not generating)
    if with_conflicts:
        from compiler.lower import lower

        clean = [p for p in policies if not _has_error(found[p].diagnostics)]
        # W501 compares the rules of one policy, through the names they read, so the clean
        # policies are lowered together with their scopes (one lowering, not one each).
        program = lower(_scoped_model(checker, clean), project.root)
        for policy_id, warnings in _conflicts(project.root, checker, program, clean).items():
            found[policy_id].conflicts = warnings
        if project.on_lowered is not None:
            project.on_lowered(project, program, clean)
    for policy_id in policies:
        findings = found[policy_id]
        conflicts = findings.conflicts
        project.cache.put_encoded(
            keys[policy_id],
            compact(
                [
                    encode(findings.diagnostics),
                    [list(item) for item in findings.lookups],
                    None if conflicts is None else encode(conflicts),
                ]
            ),
        )
    return found


def _conflicts(
    root: Path, checker: Checker, program: ir.Program, policies: Sequence[str]
) -> dict[str, tuple[Diagnostic, ...]]:
    """W501 of each of `policies`, lowered in `program`."""
    from compiler.conflicts.internal import diagnostics

    of_file = {checker.model.policies[p].file: p for p in policies}
    found: dict[str, list[Diagnostic]] = {p: [] for p in policies}
    for diagnostic in diagnostics(program, root):
        assert diagnostic.span is not None  # W501 stands at a rule of its policy
        found[of_file[diagnostic.span.file]].append(diagnostic)
    return {p: tuple(found[p]) for p in policies}


def _module(project: _Project, file: _File) -> n.Module | None:
    """A file's whole syntax tree: parsed in this run, from the parse cache, or parsed now."""
    if file.module is None and file.data is not None:
        result = project.cache.get(file.key) if file.key is not None else None
        if result is None:
            # Decoded only to be parsed: the tree in the cache needs no text (a diagnostic's
            # line is read when it is shown, `_LazyLines`).
            if file.text is None:
                file.text, _ = decode_text(file.data, file.shown)
            if file.text is not None:
                from compiler.parser import parse_text

                result = parse_text(file.text, file.shown)
        if result is not None:
            file.module = result[0]
    return file.module
