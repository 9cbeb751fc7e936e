"""`policyc build` through the cache (compiler/rebuild.py): an edit makes again only the files
of the policies it touched, links the rest from the cache, and the build directory is byte for
byte what `policyc build --no-cache` writes, after every edit, repair and damage."""

from __future__ import annotations

import ast
import gc
import os
import shutil
import stat
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler import cache as cache_module
from compiler import incremental, rebuild
from compiler import project as project_module
from compiler.backends import package
from compiler.backends.wheel import deflate
from compiler.cache import FOLDER
from compiler.cli import main
from tests.test_incremental import COPIED, ROOT, changes, edit
from tests.test_incremental import project as project  # the fixture: ningbo, weihai, a made-up one


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The policies whose files were made (not taken from the cache), in order."""
    seen: list[str] = []

    def spy(program: package.ir.Program, policy: package.ir.Policy) -> package.PolicyOutput:
        seen.append(policy.id)
        return package.policy_output(program, policy)

    monkeypatch.setattr(rebuild, "policy_output", spy)
    monkeypatch.setattr(rebuild, "RECENT_NS", 0)  # the builds here follow each other closely
    yield seen


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def build(capsys: pytest.CaptureFixture[str], root: Path, out: Path, *args: str) -> int:
    code = main(["--root", str(root), "build", "--out", str(out), *args])
    capsys.readouterr()
    return code


def same(capsys: pytest.CaptureFixture[str], root: Path, tmp_path: Path, *args: str) -> None:
    """The build through the cache into `root/build` equals a whole build into another folder."""
    assert build(capsys, root, root / "build", *args) == 0
    whole = tmp_path / "whole"
    assert build(capsys, root, whole, "--no-cache", *args) == 0
    assert tree(root / "build") == tree(whole)


def test_an_edit_makes_its_policy_alone(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], made: list[str]
) -> None:
    same(capsys, project, tmp_path)
    assert sorted(made) == sorted([*COPIED, "madeup"])
    made.clear()
    same(capsys, project, tmp_path)
    assert made == [], "a second build made files nothing had changed"
    edit(project, "weihai.policy", lambda t: t.replace("within 7 ", "within 17 ", 1))
    same(capsys, project, tmp_path)
    assert made == ["weihai"]
    module = (project / "build/validators/policyc_validators/weihai.py").read_text("utf-8")
    assert "17" in module
    # The files of the others are links to the cache's (one copy on disk: the cache's, build/sql/
    # and the package's sql/), with the permissions of a file the build writes.
    kept = project / "build/sql/ningbo.sql"
    info = os.stat(kept)
    assert info.st_nlink == 3 and stat.S_IMODE(info.st_mode) == 0o666 & ~_umask()
    # The cache keeps the files this build uses, no others (the earlier weihai module's gone).
    names = {p.name.rsplit(".", 1)[0] for p in (project / FOLDER).iterdir()}
    outs = {n for n in names if (project / FOLDER / f"{n}.out").exists()}
    # The deflate streams: one pack for each policy's files, and one for calendar.csv's.
    packs = {n for n in names if (project / FOLDER / f"{n}.z").exists()}
    policies = list((project / "build/validators/policyc_validators/schemas").iterdir())
    assert len(packs) == len(policies) + 1 and packs.isdisjoint(outs)
    built = {(p.stat().st_ino) for p in (project / "build").rglob("*") if p.is_file()}
    assert {(project / FOLDER / f"{n}.out").stat().st_ino for n in outs} <= built
    made.clear()
    edit(project, "weihai.policy", lambda t: t.replace("within 17 ", "within 7 ", 1))
    same(capsys, project, tmp_path)
    assert made == ["weihai"], "the files of the file put back were swept, and made again"
    made.clear()
    edit(project, "vocabulary.policy", lambda t: t + "\n# a comment\n")
    same(capsys, project, tmp_path)
    assert sorted(made) == sorted([*COPIED, "madeup"]), "every policy reads the vocabulary"


def test_a_check_makes_no_outputs_and_the_build_after_it_makes_each_once(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], made: list[str]
) -> None:
    """A first build makes a policy's outputs where its check lowered it (for W501); a check
    alone makes none, and a build after it finds the findings kept and makes each policy's
    outputs once (rebuild._made)."""
    assert main(["--root", str(project), "check"]) == 0
    capsys.readouterr()
    assert made == []
    same(capsys, project, tmp_path)
    assert sorted(made) == sorted([*COPIED, "madeup"])


def test_a_first_build_says_it_generates_while_it_checks(project: Path) -> None:
    """The long step of a first build checks and generates at once; its line says both."""
    from compiler.cache import open_cache

    cache = open_cache(project)
    assert cache is not None
    heard: list[tuple[str, int, int, str]] = []
    assert rebuild.policy_outputs(project, cache, lambda *step: heard.append(step)) is not None
    total = len([*COPIED, "madeup"])
    assert changes([s for s in heard if s[0].startswith("checking")]) == [
        ("checking and generating", done, total, "policies")
        for done in range(total + 1)  # one batch, counted a policy at a time
    ]


def test_a_first_build_makes_its_batches_in_forked_workers(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    made: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(incremental, "BATCH", 1)  # three batches of one policy
    monkeypatch.setenv("POLICYC_JOBS", "2")
    makers = tmp_path / "makers"  # the process that made each policy (a worker's list is its own)
    spy = rebuild.policy_output

    def recorded(program: package.ir.Program, policy: package.ir.Policy) -> package.PolicyOutput:
        with makers.open("a", encoding="utf-8") as stream:
            stream.write(f"{os.getpid()} {policy.id}\n")
        return spy(program, policy)

    monkeypatch.setattr(rebuild, "policy_output", recorded)
    same(capsys, project, tmp_path)
    lines = [line.split() for line in makers.read_text("utf-8").splitlines()]
    assert sorted(policy for _, policy in lines) == sorted([*COPIED, "madeup"])
    # Made in workers (which of the two takes which batch is up to them).
    processes = {pid for pid, _ in lines}
    assert 1 <= len(processes) <= 2 and str(os.getpid()) not in processes
    # What the workers kept is what the next build links: nothing is made again.
    makers.unlink()
    same(capsys, project, tmp_path)
    assert not makers.exists()


def test_a_build_leaves_none_of_the_compilers_objects_in_a_reference_cycle(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reference counting frees a batch's checker, lowering and generated files as soon as
    the batch lets go of them (incremental._let_go), unless a reference cycle holds them:
    then they wait for the cycle collector, with everything they reach.  A closure that
    called itself (its cell holds it) kept each batch's whole lowering that way, ~4,000
    objects a policy, which every collection went through again.  Once the build returns,
    what it made is garbage: none of it may be the compiler's own objects in a cycle.  (The
    standard library's json encoder and ast.literal_eval leave small cycles of closures of
    their own.)"""
    monkeypatch.setenv("POLICYC_JOBS", "1")  # all of it in this process
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert build(capsys, project, tmp_path / "out") == 0
        gc.collect()
        cyclic = Counter(
            getattr(o, "__qualname__", type(o).__qualname__)
            for o in gc.garbage
            if (getattr(o, "__module__", None) or type(o).__module__ or "").startswith("compiler")
        )
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert not cyclic


def test_no_function_of_the_compiler_is_a_closure_that_calls_itself() -> None:
    """A nested function that calls itself is a reference cycle (the cell that holds it is in
    its own closure), which keeps whatever else it closes over (a program, a whole batch's
    lowering) until the cycle collector runs: the test above, on every module, for the
    paths a build does not take.  A function of the module, or a method, does not."""
    found = []
    for path in sorted((ROOT / "compiler").rglob("*.py")):
        for outer in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(outer, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(outer):
                if inner is not outer and isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                    names = {node.id for node in ast.walk(inner) if isinstance(node, ast.Name)}
                    if inner.name in names:
                        found.append(f"{path.relative_to(ROOT)}:{inner.lineno} {inner.name}")
    assert not found


@pytest.mark.skipif(not project_module.forks(), reason="the workers are forked")
def test_forked_workers_find_what_this_process_holds_set_aside_from_the_collector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker's collections go through what it made, not everything of the process it was
    forked from (project._frozen, for every pool); this process gets them back."""
    monkeypatch.setenv("POLICYC_JOBS", "2")
    before = gc.get_freeze_count()
    held = [[] for _ in range(1000)]  # objects the collector tracks, held here
    frozen = list(project_module.forked_map(_freeze_count, [0, 1]))
    assert all(count >= before + len(held) for count in frozen), frozen
    assert gc.get_freeze_count() == before


def _freeze_count(_job: int) -> int:
    return gc.get_freeze_count()


def _three_units_then_a_wait(job: int) -> int:
    for _ in range(3):
        project_module.advance()  # as a build counts each policy it makes
    time.sleep(1.0)  # long beside the 0.1 s between two looks at the workers' count
    return job


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_forked_map_tells_how_far_its_jobs_are_while_they_run(
    jobs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job is a batch of up to 256 policies: a progress line counting whole jobs stood still
    for seconds at province scale, then jumped by hundreds.  The units each job counts
    (`advance`) reach `progress` while it runs, from forked workers (POLICYC_JOBS=2) as from
    this process (1)."""
    if jobs == "2" and not project_module.forks():
        pytest.skip("the workers are forked")
    monkeypatch.setenv("POLICYC_JOBS", jobs)
    heard: list[tuple[str, int]] = []
    for result in project_module.forked_map(
        _three_units_then_a_wait, [1, 2], lambda done: heard.append(("count", done))
    ):
        heard.append(("result", result))
    assert [n for what, n in heard if what == "result"] == [1, 2]
    counts = [n for what, n in heard if what == "count"]
    assert counts == sorted(counts) and counts[-1] == 6
    before_first = heard[: heard.index(("result", 1))]
    assert ("count", 3) in before_first or ("count", 6) in before_first, heard
    # Outside a forked_map, counting is nothing.
    project_module.advance()


def test_a_build_counts_each_policy_it_makes_on_its_progress_line(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build's long step is counted a policy at a time, made in workers."""
    from compiler.cache import open_cache

    monkeypatch.setattr(incremental, "BATCH", 2)  # two batches: one of two policies, one
    monkeypatch.setenv("POLICYC_JOBS", "2")
    cache = open_cache(project)
    assert cache is not None
    heard: list[tuple[str, int, int, str]] = []
    assert rebuild.policy_outputs(project, cache, lambda *step: heard.append(step)) is not None
    counts = changes([done for doing, done, _, _ in heard if doing == "checking and generating"])
    total = len([*COPIED, "madeup"])
    assert counts == sorted(set(counts)) and counts[0] == 0 and counts[-1] == total


def test_the_cache_keeps_what_the_next_build_reads_and_no_more(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    made: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = project / FOLDER

    def held() -> set[str]:
        return {p.name for p in cache.iterdir()}

    same(capsys, project, tmp_path)
    first = held()
    assert {n.rsplit(".", 1)[1] for n in first} == {"json", "out", "z"}
    same(capsys, project, tmp_path)  # found whole (the calendar too): nothing swept
    assert held() == first
    # What a killed build left half written, and an entry of another build still running.
    (cache / ".tmp-killed").write_bytes(b"[")
    running = cache / f"{'0' * 64}.json"
    running.write_bytes(b"[]")
    later = time.time_ns() + 60_000_000_000
    os.utime(running, ns=(later, later))
    # The entries of an earlier version of a file (its parse result, summary, findings, record
    # and files) go once no build reads them; put back, it is made again under the same names.
    edit(project, "weihai.policy", lambda t: t.replace("within 7 ", "within 17 ", 1))
    same(capsys, project, tmp_path)
    # Held besides: the running build's entry, and the column of 17 working days.
    assert len(held()) == len(first) + 2 and running.exists()
    edit(project, "weihai.policy", lambda t: t.replace("within 17 ", "within 7 ", 1))
    same(capsys, project, tmp_path)
    assert held() == first | {running.name}
    # Another compiler (its code and its parser changed): every entry and file is new, and the
    # earlier compiler's are gone.
    running.unlink()
    monkeypatch.setattr(incremental, "_compiler_fingerprint", lambda: b"another compiler")
    monkeypatch.setattr(cache_module, "fingerprint", lambda: b"another parser")
    made.clear()
    same(capsys, project, tmp_path)
    assert sorted(made) == sorted([*COPIED, "madeup"])
    assert len(held()) == len(first) and held().isdisjoint(first)


def test_an_output_edited_through_its_link_is_made_again(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], made: list[str]
) -> None:
    same(capsys, project, tmp_path)
    made.clear()
    linked = project / "build/validators/policyc_validators/ningbo.py"
    with linked.open("r+b") as stream:  # in place (the cache's file too), the size kept
        stream.write(b"# edited by hand")
    same(capsys, project, tmp_path)
    assert made == ["ningbo"]
    assert b"# edited by hand" not in linked.read_bytes()


def test_a_cache_restored_with_times_to_the_second_is_used_whole(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    made: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    same(capsys, project, tmp_path)
    # As `tar` restores a CI's cache: every file's time cut to the second.
    for kept in (project / FOLDER).glob("*.out"):
        second = kept.stat().st_mtime_ns // 1_000_000_000 * 1_000_000_000
        os.utime(kept, ns=(second, second))
    read: list[str] = []

    def reading(path: str) -> bytes:
        read.append(path)
        return _read(path)

    _read = rebuild._read
    monkeypatch.setattr(rebuild, "_read", reading)
    made.clear()
    same(capsys, project, tmp_path)
    assert made == [], "the files' bytes are the ones recorded: nothing is made again"
    outs = [path for path in read if path.endswith(".out")]  # packs are read by every build
    assert len(outs) == len(list((project / FOLDER).glob("*.out")))
    # Their new times are recorded: the next build knows them by time again.
    read.clear()
    same(capsys, project, tmp_path)
    assert made == [] and [path for path in read if path.endswith(".out")] == []


def pack_of(project: Path, output: str) -> Path:
    """The cache's pack that holds the deflate stream of an output."""
    stream = deflate((project / "build" / output).read_bytes())
    return next(p for p in (project / FOLDER).glob("*.z") if stream in p.read_bytes())


def cut_record(project: Path, policy: str) -> None:
    """Damage a policy's record in the cache (its files stay)."""
    for entry in sorted((project / FOLDER).glob("*.json")):
        # After the entry's CRC-32 (eight hex digits and a newline).
        if entry.read_bytes()[9:].startswith(f'["{policy}"'.encode()):
            entry.write_bytes(entry.read_bytes()[:40])


def files_of(project: Path, policy: str) -> list[bytes]:
    """The bytes of a policy's files in the package (its module, schema and SQL)."""
    package_dir = project / "build/validators/policyc_validators"
    return [p.read_bytes() for p in package_dir.rglob(f"{policy}.*") if p.is_file()]


@pytest.fixture
def deflated(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The files whose deflate streams the build through the cache made."""
    seen: list[bytes] = []

    def counting(data: bytes) -> bytes:
        seen.append(data)
        return deflate(data)

    monkeypatch.setattr(rebuild, "deflate", counting)
    return seen


def test_a_pack_kept_already_is_read_again_not_deflated_again(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    made: list[str],
    deflated: list[bytes],
) -> None:
    same(capsys, project, tmp_path)
    # A policy whose record is lost is made again, into the same files: their pack is read.
    cut_record(project, "weihai")
    made.clear()
    deflated.clear()
    same(capsys, project, tmp_path)
    assert made == ["weihai"] and deflated == []
    # Its files changed (an edit): deflated into a new pack, each of them; and calendar.csv,
    # which has a column more (17 working days).
    edit(project, "weihai.policy", lambda t: t.replace("within 7 ", "within 17 ", 1))
    made.clear()
    same(capsys, project, tmp_path)
    calendar = (project / "build/sql/calendar.csv").read_bytes()
    assert made == ["weihai"]
    assert sorted(deflated) == sorted([*files_of(project, "weihai"), calendar])


def test_a_pack_cut_short_or_of_another_layout_is_made_again(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    made: list[str],
    deflated: list[bytes],
) -> None:
    same(capsys, project, tmp_path)
    pack = pack_of(project, "sql/ningbo.sql")
    pack.write_bytes(pack.read_bytes()[:-10])
    made.clear()
    same(capsys, project, tmp_path)  # the output is as a build without the cache writes it
    assert made == ["ningbo"]
    # A pack whose header counts other streams than its files, found for a policy made again
    # into the same files: deflated again, not read.
    pack = pack_of(project, "sql/weihai.sql")
    pack.write_bytes((1).to_bytes(4, "little") + pack.read_bytes()[4:])
    cut_record(project, "weihai")
    made.clear()
    deflated.clear()
    same(capsys, project, tmp_path)
    assert made == ["weihai"] and sorted(deflated) == sorted(files_of(project, "weihai"))


def test_damaged_or_missing_cache_files_are_made_again(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], made: list[str]
) -> None:
    same(capsys, project, tmp_path)
    cache = project / FOLDER

    def kept(output: str) -> Path:
        """The cache's file an output links to (named by a key of the cache's secret)."""
        inode = (project / "build" / output).stat().st_ino
        return next(p for p in cache.glob("*.out") if p.stat().st_ino == inode)

    kept("sql/ningbo.sql").unlink()  # a file gone
    pack_of(project, "sql/madeup.json").unlink()  # a pack of deflate streams gone
    cut_record(project, "weihai")
    made.clear()
    same(capsys, project, tmp_path)
    assert sorted(made) == ["madeup", "ningbo", "weihai"]
    made.clear()
    same(capsys, project, tmp_path)
    assert made == []


def test_a_byte_changed_in_a_pack_is_found_and_the_wheel_made_whole(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], made: list[str]
) -> None:
    """The wheel copies the packs' deflate streams as they are: a byte changed in one (same
    size, so the size check passed) gave a wheel pip refused ("Bad CRC-32"), exit 0, in every
    build after."""
    same(capsys, project, tmp_path)
    pack = pack_of(project, "sql/ningbo.sql")
    data = bytearray(pack.read_bytes())
    data[len(data) // 2] ^= 0xFF
    pack.write_bytes(bytes(data))
    made.clear()
    same(capsys, project, tmp_path)
    assert made == ["ningbo"]
    (wheel,) = (project / "build/validators/dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.testzip() is None


def test_an_entry_changed_so_that_it_still_decodes_is_not_read(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], made: list[str]
) -> None:
    """A parse result whose time limit of 7 working days was changed on the disk to 6 still
    decoded, and its key stayed the same: the 6 was in every build after.  Every entry is
    checked by its CRC-32; here every entry has a digit changed, and every policy is made as
    a build without the cache makes it."""
    same(capsys, project, tmp_path)
    entries = sorted((project / FOLDER).glob("*.json"))
    parse = [e for e in entries if b'"workdays"' in e.read_bytes()]
    assert parse, "a parse result with a time limit in working days"
    for entry in entries:
        data = bytearray(entry.read_bytes())
        last = max(i for i in range(9, len(data)) if chr(data[i]).isdigit())
        data[last] = ord("0") + (data[last] - ord("0") + 1) % 10
        entry.write_bytes(bytes(data))
    made.clear()
    same(capsys, project, tmp_path)
    assert sorted(made) == sorted([*COPIED, "madeup"])


def test_another_file_system_gets_copies(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def cannot_link(source: object, target: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cannot_link)
    same(capsys, project, tmp_path)
    assert os.stat(project / "build/sql/ningbo.sql").st_nlink == 1


def test_errors_exit_1_and_leave_the_output_as_it_was(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same(capsys, project, tmp_path)
    before = tree(project / "build")
    edit(project, "weihai.policy", lambda t: t.replace("within 7 ", "within 7 7 ", 1))
    out = project / "build"
    cached = main(["--root", str(project), "build", "--out", str(out)])
    cached_err = capsys.readouterr().err
    whole = main(["--root", str(project), "build", "--no-cache", "--out", str(out)])
    assert (cached, cached_err) == (whole, capsys.readouterr().err)
    assert cached == 1 and "error[" in cached_err
    assert tree(out) == before


def test_one_target_keeps_the_other(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same(capsys, project, tmp_path, "--target", "sql")
    same(capsys, project, tmp_path, "--target", "python")
    assert (project / "build/sql/ningbo.sql").is_file()
    assert (project / "build/validators/policyc_validators/ningbo.py").is_file()
    shutil.rmtree(project / FOLDER)
    same(capsys, project, tmp_path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
