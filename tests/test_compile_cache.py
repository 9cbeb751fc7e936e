"""Province scale: the synthetic corpus, the content-keyed parse cache, parallel parsing and
progress on a terminal (issue 13).  Speed is printed by benchmarks/compile.py, never asserted."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import codes
from compiler import nodes as n
from compiler import progress as progress_module
from compiler import project as project_module
from compiler.build import outputs
from compiler.cache import FOLDER, decode_result, encode_result, open_cache
from compiler.cli import main
from compiler.lower import load_program
from compiler.parser import parse_text
from compiler.progress import TerminalProgress

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from corpus import generate  # noqa: E402  (a script of benchmarks/, not a package)

# A policy file with an error of each stage of parsing: a date not on the calendar (a value
# error the transformer collects) and, in the second file, a syntax error.
_BAD_DATE = """policy bad_date {
    title "标题"
    issued 2023-02-30
}
"""
_BAD_SYNTAX = 'policy bad_syntax {\n    title "标题"\n    issued\n'


@pytest.fixture(autouse=True)
def private_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache's per-account secret lives in the test's folder, not the user's home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def _project(tmp_path: Path, *extra: tuple[str, str]) -> Path:
    """The shared vocabulary, one real policy with its tests, and `extra` files."""
    root = tmp_path / "project"
    for name in (
        "vocabulary.policy",
        "concepts.policy",
        "taierzhuang.policy",
        "sources/taierzhuang.txt",
        "cases/taierzhuang.policy",
    ):
        (root / "policies" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "policies" / name, root / "policies" / name)
    for name, text in extra:
        (root / "policies" / name).write_text(text, encoding="utf-8")
    return root


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_corpus_is_deterministic_and_checks_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = generate(10, tmp_path / "a")
    generate(10, tmp_path / "b")
    files = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    assert files == sorted(
        p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file()
    )
    for path in files:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes()
    assert ids[:5] == ["taierzhuang0000", "ningbo0001", "lucheng0002", "weihai0003", "yuquan0004"]
    text = (tmp_path / "a" / "policies" / "ningbo0006.policy").read_text(encoding="utf-8")
    assert "policy ningbo0006 {" in text and "ningbo0006_self_dealing" in text
    declared = re.findall(r"^(?:fact|judgment|actor|enum|define) ([a-z0-9_]+)", text, re.M)
    assert declared and all(name.startswith("ningbo0006_") for name in declared)
    code, _, err = _run(capsys, "--root", str(tmp_path / "a"), "check", "--no-cache")
    assert code == 0, err
    assert "12 file(s) clean" in err


def test_cache_output_is_byte_identical(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, ("bad_date.policy", _BAD_DATE), ("bad_syntax.policy", _BAD_SYNTAX))
    runs = [
        _run(capsys, "--root", str(root), "check", *flags)
        for flags in (["--no-cache"], [], [], ["--json", "--no-cache"], ["--json"])
    ]
    assert runs[0][0] == 1 and "E010" in runs[0][2] and "E003" in runs[0][2]
    assert runs[0] == runs[1] == runs[2]  # without, filling, and reading the cache
    assert runs[3] == runs[4]
    # Six files' parse results and summaries; nothing more: a file does not parse (E003),
    # so the check stops there, without the project-wide passes or any policy's findings
    # (compiler/incremental.py, diagnostics.syntax_stage).
    assert not (root / FOLDER).exists() or len(list((root / FOLDER).glob("*.json"))) == 12
    cache = open_cache(root)
    assert cache is not None
    project_module.load(root, cache=cache)
    assert (cache.hits, cache.misses) == (6, 0)


def test_build_is_byte_identical_with_the_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    trees = []
    for index, flags in enumerate((["--no-cache"], [], [])):
        out = tmp_path / f"out{index}"
        code, _, err = _run(capsys, "--root", str(root), "build", "--out", str(out), *flags)
        assert code == 0, err
        trees.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert trees[0] == trees[1] == trees[2]


def test_a_corrupt_entry_is_ignored_and_rewritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, ("bad_date.policy", _BAD_DATE))
    expected = _run(capsys, "--root", str(root), "check", "--json", "--no-cache")
    _run(capsys, "--root", str(root), "check")
    entries = sorted((root / FOLDER).glob("*.json"))
    good = {p: p.read_bytes() for p in entries}
    damage = [
        b"",
        b"{",
        b'[{"":"Module","path":"x"},[]]',  # a module without its items
        b'[{"":"os.system","v":"true"},[]]',  # a class the codec does not know
        b'[null,[{"":"Span","file":"x","line":1,"column":1,"end_line":1,"end_column":1}]]',
        b"[0,null,[0,[1]]]",  # a node with fields missing
        b'[0,[9999,"x"],[0]]',  # a class number the table does not have
        b'[0,null,[0,[-99,"x"]]]',  # a kind of value the codec does not know
        b"[0,null,[0,[-1,3]]]",  # a statement kind that is not text
        b'[0,[0,"a","b"],[0]]',  # not a module
        b'{"": "Module"}',  # the first layout
    ]
    for index, path in enumerate(entries):
        path.write_bytes(damage[index % len(damage)])
    assert _run(capsys, "--root", str(root), "check", "--json") == expected
    assert {p: p.read_bytes() for p in entries} == good  # each rewritten as it was


def test_entries_not_written_with_this_accounts_secret_are_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    planted = open_cache(root)
    assert planted is not None
    project_module.load(root, cache=planted)  # entries written under another secret
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another account"))
    mine = open_cache(root)
    assert mine is not None and mine.key("x", b"y") != planted.key("x", b"y")
    project_module.load(root, cache=mine)
    assert mine.hits == 0


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_folder_others_can_write_is_not_used(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / FOLDER).mkdir(mode=0o700)
    assert open_cache(root) is not None
    assert ((root / FOLDER).stat().st_mode & 0o777) == 0o700
    os.chmod(root / FOLDER, 0o777)
    assert open_cache(root) is None
    shutil.rmtree(root / FOLDER)
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (root / FOLDER).symlink_to(tmp_path / "elsewhere")
    assert open_cache(root) is None


def test_the_codec_restores_every_node_and_diagnostic() -> None:
    files = [
        ROOT / "policies" / "weihai.policy",
        ROOT / "policies" / "cases" / "weihai.policy",
        *sorted((ROOT / "tests" / "corpus").glob("*.policy")),
    ]
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        module, diagnostics = parse_text(text, path.name)
        restored, again = decode_result(encode_result((module, diagnostics)))
        assert repr(restored) == repr(module), path  # spans included (repr shows them)
        assert repr(again) == repr(diagnostics), path
        assert all(a.code is b.code for a, b in zip(again, diagnostics, strict=True))


def test_a_module_read_back_holds_one_string_for_its_files_spans() -> None:
    """Every span of a file names the file: a parse makes one string for them all, and so
    must the cache (JSON gives each a copy of its own: 145 MB more at 3,000 jurisdictions)."""
    text = (ROOT / "policies" / "weihai.policy").read_text(encoding="utf-8")
    module, diagnostics = parse_text(text, "policies/weihai.policy")
    restored, _ = decode_result(encode_result((module, diagnostics)))
    spans: list[n.Span] = []

    def walk(value: object) -> None:
        if isinstance(value, n.Span):
            spans.append(value)
        elif isinstance(value, tuple):
            for item in value:
                walk(item)
        elif dataclasses.is_dataclass(value):
            for field in dataclasses.fields(value):
                walk(getattr(value, field.name))

    walk(restored)
    assert len(spans) > 400
    assert len({id(span.file) for span in spans}) == 1


def test_parallel_parsing_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, ("bad_date.policy", _BAD_DATE), ("bad_syntax.policy", _BAD_SYNTAX))
    serial = project_module.load(root)
    monkeypatch.setattr(project_module, "PARALLEL_FROM", 2)
    monkeypatch.setenv("POLICYC_JOBS", "2")
    seen: list[tuple[int, int]] = []
    parallel = project_module.load(root, progress=lambda done, total: seen.append((done, total)))
    assert repr(parallel.modules) == repr(serial.modules)
    assert repr(parallel.diagnostics) == repr(serial.diagnostics)
    assert {d.code.id for d in parallel.diagnostics} == {"E010", "E003"}
    for diagnostic in parallel.diagnostics:
        assert diagnostic.code is codes.CODES[diagnostic.code.id]  # compared by identity
    assert seen[-1] == (6, 6) and len(seen) == 6
    # With the cache, each worker stores what it parsed: read back, the same modules.
    cache = open_cache(root)
    assert cache is not None
    project_module.load(root, cache=cache)
    again = open_cache(root)
    assert again is not None
    warm = project_module.load(root, cache=again)
    assert (again.hits, again.misses) == (6, 0)
    assert repr(warm.modules) == repr(serial.modules)
    assert repr(warm.diagnostics) == repr(serial.diagnostics)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _InterruptedAtFlush(_Terminal):
    """A terminal where Ctrl-C lands as a line has been written, before the flush returns."""

    landed = False

    def flush(self) -> None:
        if not self.landed:
            self.landed = True
            raise KeyboardInterrupt


def test_a_line_drawn_as_ctrl_c_lands_is_erased(monkeypatch: pytest.MonkeyPatch) -> None:
    # Ctrl-C while a build wrote its files left `policyc build: writing 1/2,430 files…` on the
    # screen: the line was drawn, and not yet marked as drawn.
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    terminal = _InterruptedAtFlush()
    line = progress_module.TerminalProgress("policyc build", terminal)
    with pytest.raises(KeyboardInterrupt):
        line.step("writing", 1, 2430, "files")
    line.done()
    assert terminal.getvalue() == "\rpolicyc build: writing 1/2,430 files…\x1b[K\r\x1b[K"


def test_progress_is_shown_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")  # one that redraws a line (not TERM=dumb)
    terminal = _Terminal()
    progress = TerminalProgress("policyc check", terminal)
    for done in range(1, 3001):
        progress(done, 3000)
    progress.done()
    shown = terminal.getvalue()
    assert shown.startswith("\rpolicyc check: parsing ")
    assert "\rpolicyc check: parsing 3,000/3,000 files…" in shown
    assert shown.endswith("\r\x1b[K")
    quiet = TerminalProgress("policyc check", _Terminal())
    quiet(10, 10)  # a short run: no line
    assert not quiet.stream.getvalue()  # type: ignore[attr-defined]
    pipe = io.StringIO()
    TerminalProgress("policyc check", pipe)(3000, 3000)
    assert pipe.getvalue() == ""
    monkeypatch.setenv("CI", "true")
    ci = _Terminal()
    TerminalProgress("policyc check", ci)(3000, 3000)
    assert ci.getvalue() == ""


def test_a_step_may_count_another_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    """`policyc check` counts files while it reads and parses, policies while it checks."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")  # one that redraws a line (not TERM=dumb)
    terminal = _Terminal()
    progress = TerminalProgress("policyc check", terminal)
    progress.step("parsing", 3000, 3000, "files")
    progress.step("checking", 256, 3000, "policies")
    progress.step("checking", 3000, 3000)  # the unit stays what it was
    shown = terminal.getvalue()
    assert "\rpolicyc check: parsing 3,000/3,000 files…" in shown
    assert "\rpolicyc check: checking 256/3,000 policies…" in shown
    assert shown.endswith("\rpolicyc check: checking 3,000/3,000 policies…\x1b[K")


def test_progress_names_the_step_and_clears_a_longer_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")  # one that redraws a line (not TERM=dumb)
    terminal = _Terminal()
    line = TerminalProgress("policyc build", terminal, unit="policies")
    line.step("writing Python validators", 3000, 3000)
    line.step("writing SQL", 1, 3000)  # a new step is drawn at once, not after 0.1 s
    line.done()
    assert terminal.getvalue() == (
        "\rpolicyc build: writing Python validators 3,000/3,000 policies…\x1b[K"
        "\rpolicyc build: writing SQL 1/3,000 policies…\x1b[K"
        "\r\x1b[K"
    )


def test_a_count_that_stands_still_shows_the_seconds_go_by(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A first build at province scale stood at `checking and generating 0/3,000 policies`
    for six seconds, as if hung, while its first batches were checked and lowered."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")  # one that redraws a line (not TERM=dumb)
    clock = [100.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    terminal = _Terminal()
    line = TerminalProgress("policyc build", terminal, unit="policies")
    line.step("checking and generating", 0, 3000)
    for tick in range(1, 36):  # a forked_map's polls, ten a second, the count still 0
        clock[0] = 100.0 + tick / 10
        line.step("checking and generating", 0, 3000)
    clock[0] = 104.0
    line.step("checking and generating", 5, 3000)
    line.step("writing", 1, 24000, "files")  # a new step counts its own seconds
    assert terminal.getvalue() == (
        "\rpolicyc build: checking and generating 0/3,000 policies…\x1b[K"
        "\rpolicyc build: checking and generating 0/3,000 policies, 2 s…\x1b[K"
        "\rpolicyc build: checking and generating 0/3,000 policies, 3 s…\x1b[K"
        "\rpolicyc build: checking and generating 5/3,000 policies, 4 s…\x1b[K"
        "\rpolicyc build: writing 1/24,000 files…\x1b[K"
    )


def test_the_build_reports_each_policy_of_its_long_steps(tmp_path: Path) -> None:
    root = _project(tmp_path)
    program = load_program(root)
    seen: list[tuple[str, int, int]] = []
    messages: list[str] = []
    files = outputs(program, messages.append, "all", lambda *step: seen.append(step))
    total = len(program.policies)
    # One step a policy (its module, schema and SQL): build/sql/ is the package's copy.
    assert seen == [("generating", i, total) for i in range(1, total + 1)]
    assert messages == [f"validators: {total} policies", f"sql: {total} policies"]
    for path, data in files.items():
        if path.startswith("sql/"):
            assert files[f"validators/policyc_validators/{path}"] == data
    assert outputs(program, messages.append, "sql") == {
        p: d for p, d in files.items() if p.startswith("sql/")
    }


def test_build_progress_is_drawn_on_a_terminal_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    monkeypatch.setattr(progress_module, "SHOWN_FROM", 1)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")  # one that redraws a line (not TERM=dumb)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["--root", str(root), "build", "--no-cache", "--out", str(tmp_path / "a")]) == 0
    shown = terminal.getvalue()
    # Checked and lowered a policy at a time, where --no-cache showed nothing for seconds.
    assert "\rpolicyc build: checking 1/1 policies…\x1b[K" in shown
    assert "\rpolicyc build: lowering 1/1 policies…\x1b[K" in shown
    assert "\rpolicyc build: generating 1/1 policies…\x1b[K" in shown
    assert "\r\x1b[Kpolicyc build: validators: 1 policies\n" in shown  # erased before a message
    # The files written, counted to the last, then the line erased before the last message.
    written = re.findall(r"\rpolicyc build: writing (\d+)/(\d+) files…\x1b\[K", shown)
    assert written and written[-1][0] == written[-1][1]
    assert f"\r\x1b[Kpolicyc build: wrote {written[-1][1]} file(s)" in shown
    monkeypatch.setenv("CI", "true")
    ci = _Terminal()
    monkeypatch.setattr(sys, "stderr", ci)
    assert main(["--root", str(root), "build", "--no-cache", "--out", str(tmp_path / "b")]) == 0
    assert "\r" not in ci.getvalue() and "policyc build: wrote" in ci.getvalue()


@pytest.mark.slow  # ~10 s: four fresh interpreters, each building the validators
def test_compile_benchmark_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/compile.py", "--sizes", "1,2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "edit: parse" in result.stdout and "validators" in result.stdout
    assert json.dumps  # the workers speak JSON; the table is what is printed


def _stopping_job(record: Path, job: int, signal_from_job_0: Callable[[int], None]) -> int:
    """A job of a minute that notes what its worker does ("began 1 1234": what, the job, the
    pid).  Once the second job runs, the first calls `signal_from_job_0(job)`; every job then
    checks every 0.1 s whether to stop, as the compiler's jobs do between two files or two
    policies."""

    def note(what: str) -> None:
        with record.open("a") as stream:
            stream.write(f"{what} {job} {os.getpid()}\n")

    note("began")
    if job == 0:
        deadline = time.monotonic() + 30
        while "began 1 " not in record.read_text() and time.monotonic() < deadline:
            time.sleep(0.01)
    signal_from_job_0(job)
    note("went on")
    for _ in range(600):
        try:
            project_module.stop_if_interrupted()
        except KeyboardInterrupt:
            note("stopped")
            raise
        time.sleep(0.1)
    note("ended")
    return job


def _assert_every_job_stopped(record: Path) -> None:
    """Each job that began (the second one at least) stopped at its next check, none ended,
    and the workers are gone."""
    lines = record.read_text().split("\n")[:-1]
    began = [line.split()[1] for line in lines if line.startswith("began ")]
    stopped = [line.split()[1] for line in lines if line.startswith("stopped ")]
    assert "1" in began and sorted(began) == sorted(stopped), lines
    assert not any(line.startswith("ended ") for line in lines), lines
    for pid in {line.split()[-1] for line in lines}:  # "went on 1 1234": the pid last
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)


def _interrupted(record: Path) -> Callable[[int], int]:
    """Ctrl-C reaches the jobs' workers (not the second job's: the parent passes it on there;
    the first job interrupts the parent too)."""

    def ctrl_c(job: int) -> None:
        if job != 1:
            os.kill(os.getpid(), signal.SIGINT)  # noted; the job goes on to its next check
        if job == 0:
            os.kill(os.getppid(), signal.SIGINT)

    return lambda job: _stopping_job(record, job, ctrl_c)


# A process of its own, as `policyc build` is: in a test process (pytest-xdist's worker) a
# signal sent to the process may land on a thread of the test runner's, not on the one that
# waits for the results.
_INTERRUPTED_BUILD = """
import sys
from pathlib import Path

sys.path.insert(0, sys.argv[1])
from compiler import project
from tests.test_compile_cache import _interrupted

project.cores = lambda: 2
try:
    list(project.forked_map(_interrupted(Path(sys.argv[2])), [0, 1, 2, 3]))
except KeyboardInterrupt:
    sys.exit(130)
"""


def _build_in_a_process(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`script` (one of the builds above) run by a Python process of its own."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(not project_module.forks(), reason="the workers are forked")
def test_ctrl_c_stops_the_workers_between_two_steps_without_a_traceback(tmp_path: Path) -> None:
    record = tmp_path / "record"
    run = _build_in_a_process(_INTERRUPTED_BUILD, str(ROOT), str(record))
    assert run.returncode == 130 and "Traceback" not in run.stderr, run.stderr
    # Each job that began went on where Ctrl-C reached it (no traceback from there) and
    # stopped at its next check: the second job too, which the parent passed Ctrl-C on to.
    # (A worker may take another job before the parent drops the rest: it stops at once.)
    _assert_every_job_stopped(record)


def _terminated(record: Path, signum: int) -> Callable[[int], int]:
    """The first job sends `signum` to the parent alone (as `kill`, `docker stop` or a
    cancelled CI job do)."""

    def to_the_parent(job: int) -> None:
        if job == 0:
            os.kill(os.getppid(), signum)

    return lambda job: _stopping_job(record, job, to_the_parent)


_TERMINATED_BUILD = """
import sys
from pathlib import Path

sys.path.insert(0, sys.argv[1])
from compiler import project
from tests.test_compile_cache import _terminated

project.cores = lambda: 2
list(project.forked_map(_terminated(Path(sys.argv[2]), int(sys.argv[3])), [0, 1, 2, 3]))
"""


@pytest.mark.skipif(not project_module.forks(), reason="the workers are forked")
@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_a_signal_to_the_parent_alone_stops_its_workers_too(tmp_path: Path, name: str) -> None:
    """SIGTERM or SIGHUP sent to the build's process alone (not its group, as Ctrl-C is) ends
    it with 128 + the signal's number, without a traceback, and its workers with it: they were
    left blocked on the pool's pipes for good."""
    signum = getattr(signal, name)
    record = tmp_path / "record"
    run = _build_in_a_process(_TERMINATED_BUILD, str(ROOT), str(record), str(int(signum)))
    assert run.returncode == 128 + signum and "Traceback" not in run.stderr, run.stderr
    _assert_every_job_stopped(record)


def _parent_killed(record: Path) -> Callable[[int], int]:
    """The first job kills the parent outright (SIGKILL: the OOM killer, `timeout -s KILL`),
    which can then stop nothing."""

    def kill_the_parent(job: int) -> None:
        if job == 0:
            os.kill(os.getppid(), signal.SIGKILL)

    return lambda job: _stopping_job(record, job, kill_the_parent)


_KILLED_BUILD = _TERMINATED_BUILD.replace("_terminated", "_parent_killed").replace(
    ", int(sys.argv[3])", ""
)


def _running(pid: int) -> bool:
    """Whether process `pid` runs (a zombie waiting for a reaper does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not project_module.forks(), reason="the workers are forked")
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_workers_end_when_their_parent_is_killed_outright(tmp_path: Path) -> None:
    """Workers whose parent was killed by SIGKILL stayed for good (each job here would run a
    minute), a few hundred MB each at province scale: they now end within a second."""
    record = tmp_path / "record"
    run = _build_in_a_process(_KILLED_BUILD, str(ROOT), str(record))
    assert run.returncode == -signal.SIGKILL, run.stderr
    lines = record.read_text().split("\n")[:-1]
    workers = {int(line.split()[-1]) for line in lines if line.startswith("began ")}
    assert len(workers) == 2, lines
    deadline = time.monotonic() + 20
    while any(map(_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_running, workers)), lines
    assert not any(line.startswith("ended ") for line in record.read_text().split("\n"))


def _killed_at_one(job: int) -> int:
    if job == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer does
    time.sleep(0.1)
    return job


@pytest.mark.skipif(not project_module.forks(), reason="the workers are forked")
def test_a_worker_killed_mid_job_is_reported_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker killed from outside (SIGKILL: the out-of-memory killer) ends the work with
    WorkerLost, which names the likely cause and POLICYC_JOBS; the command line says it in
    one line, without a traceback, and exits with the internal code (3), never 1."""
    monkeypatch.setenv("POLICYC_JOBS", "2")
    with pytest.raises(project_module.WorkerLost, match=r"ran out of memory.*POLICYC_JOBS=1"):
        list(project_module.forked_map(_killed_at_one, [0, 1, 2, 3]))

    import compiler.cli as cli_module

    def check_killing_a_worker(args: object) -> int:
        return sum(project_module.forked_map(_killed_at_one, [0, 1, 2, 3]))

    monkeypatch.setattr(cli_module, "cmd_check", check_killing_a_worker)
    assert main(["--root", str(_project(tmp_path)), "check"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("policyc: a worker process was killed") and err.count("\n") == 1, err
    assert "Traceback" not in err and "please report" not in err


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        (" 3 ", 3),
        ("256", 256),
        ("", None),
        ("0", "error"),
        ("257", "error"),
        ("two", "error"),
    ],
)
def test_policyc_jobs_sets_how_many_processes_work(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
    expected: int | str | None,
) -> None:
    """POLICYC_JOBS=N: N processes work at once (1: none forked; at most 256); unset or
    empty, the cores this process may use (at most 8); anything else is a usage error (exit
    2) naming it, before any work."""
    monkeypatch.setenv("POLICYC_JOBS", value)
    root = _project(tmp_path)
    if expected == "error":
        with pytest.raises(project_module.JobsError):
            project_module.cores()
        assert main(["--root", str(root), "check"]) == 2
        err = capsys.readouterr().err
        assert f"POLICYC_JOBS={value!r}" in err and err.count("\n") == 1, err
        assert not (root / FOLDER).exists()  # nothing read or written
        return
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    assert project_module.cores() == (expected or min(allowed or os.cpu_count() or 1, 8))
    assert main(["--root", str(root), "check"]) == 0


# ---------------------------------------------------------------- one step in a process of its own


def _pid_told(steps: Callable[[str, int, int, str], None]) -> int:
    for done in range(1, 3001):  # more than a pipe holds (64 KB), told faster than it is read
        steps("making", done, 3000, "things")
    steps("writing", 1, 1, "files")
    return os.getpid()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_in_a_fork_tells_its_steps_in_order_and_returns_the_result(
    jobs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`project.in_a_fork`: the work runs in a worker (here, where there are no workers), and
    every step it reports is heard here, in order, before the result is returned."""
    monkeypatch.setenv(project_module.JOBS_VARIABLE, jobs)
    heard: list[tuple[str, int, int, str]] = []
    pid = project_module.in_a_fork(_pid_told, lambda *step: heard.append(step))
    assert heard == [("making", i, 3000, "things") for i in range(1, 3001)] + [
        ("writing", 1, 1, "files")
    ]
    assert (pid == os.getpid()) == (jobs == "1" or not project_module.forks())


def _fails(steps: Callable[[str, int, int, str], None]) -> None:
    steps("checking", 1, 2, "policies")
    raise ValueError("the policies have errors")


def test_in_a_fork_raises_the_works_error_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(project_module.JOBS_VARIABLE, "2")
    heard: list[tuple[str, int, int, str]] = []
    with pytest.raises(ValueError, match="the policies have errors"):
        project_module.in_a_fork(_fails, lambda *step: heard.append(step))
    assert heard == [("checking", 1, 2, "policies")]


class _TwoArguments(Exception):
    """An error whose constructor takes more than its message (as SourceError's does): its
    pickle cannot be read back."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")


def _fails_unsendably(steps: Callable[[str, int, int, str], None]) -> None:
    raise _TwoArguments("policies/sources/a.txt", "no such file")


def test_in_a_fork_sends_an_error_that_does_not_pickle_as_its_name_and_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not as a worker killed (the pool broke reading it, and the user was told of memory)."""
    monkeypatch.setenv(project_module.JOBS_VARIABLE, "2")
    with pytest.raises(RuntimeError, match=r"^_TwoArguments: policies/sources/a\.txt: no such"):
        project_module.in_a_fork(_fails_unsendably, lambda *step: None)


def _steps_until_stopped(record: Path) -> Callable[[Callable[[str, int, int, str], None]], None]:
    """A long step that reports its progress; Ctrl-C from the worker to itself and its parent
    (as a terminal's reaches every process of its group) when it has begun."""

    def work(steps: Callable[[str, int, int, str], None]) -> None:
        with record.open("a") as out:
            out.write(f"began 0 {os.getpid()}\n")
        os.kill(os.getpid(), signal.SIGINT)  # noted; the work goes on to its next step
        os.kill(os.getppid(), signal.SIGINT)
        try:
            for done in range(600):
                steps("checking", done, 600, "policies")
                time.sleep(0.1)
        except KeyboardInterrupt:
            with record.open("a") as out:
                out.write(f"stopped 0 {os.getpid()}\n")
            raise
        with record.open("a") as out:
            out.write(f"ended 0 {os.getpid()}\n")

    return work


_INTERRUPTED_FORK = """
import sys
from pathlib import Path

sys.path.insert(0, sys.argv[1])
from compiler import project
from tests.test_compile_cache import _steps_until_stopped

project.cores = lambda: 2
try:
    project.in_a_fork(_steps_until_stopped(Path(sys.argv[2])), lambda *step: None)
except KeyboardInterrupt:
    sys.exit(130)
"""


@pytest.mark.skipif(not project_module.forks(), reason="the worker is forked")
def test_ctrl_c_stops_in_a_fork_at_its_next_step(tmp_path: Path) -> None:
    record = tmp_path / "record"
    record.touch()
    run = _build_in_a_process(_INTERRUPTED_FORK, str(ROOT), str(record))
    assert run.returncode == 130 and "Traceback" not in run.stderr, run.stderr
    lines = record.read_text().split("\n")[:-1]
    assert [line.split()[0] for line in lines] == ["began", "stopped"], lines
    with pytest.raises(ProcessLookupError):
        os.kill(int(lines[0].split()[-1]), 0)


def _floods(record: Path) -> Callable[[Callable[[str, int, int, str], None]], None]:
    """Long steps told faster than the parent reads them: the pipe between them stays full."""

    def work(steps: Callable[[str, int, int, str], None]) -> None:
        with record.open("a") as out:
            out.write(f"began 0 {os.getpid()}\n")
        for done in range(10_000_000):
            steps("checking a step with a rather long name " * 3, done, 10_000_000, "policies")
        with record.open("a") as out:
            out.write(f"ended 0 {os.getpid()}\n")

    return work


# Ctrl-C to the parent alone (the pool passes it on to the worker), a second after the work
# began: the worker is then blocked telling a step.
_FLOODED_FORK = """
import os, signal, sys, threading, time
from pathlib import Path

sys.path.insert(0, sys.argv[1])
from compiler import project
from tests.test_compile_cache import _floods

record = Path(sys.argv[2])
# Ctrl-C as on a terminal: a test run started in the background of a script ignores SIGINT
# (the shell's doing), and its processes inherit that; the Ctrl-C below was then lost.
signal.signal(signal.SIGINT, signal.default_int_handler)


def interrupt():
    while "began" not in record.read_text():
        time.sleep(0.05)
    time.sleep(1)
    os.kill(os.getpid(), signal.SIGINT)


threading.Thread(target=interrupt, daemon=True).start()
project.cores = lambda: 2
try:
    project.in_a_fork(_floods(record), lambda *step: None)
except KeyboardInterrupt:
    sys.exit(130)
"""


@pytest.mark.skipif(not project_module.forks(), reason="the worker is forked")
def test_ctrl_c_stops_in_a_fork_blocked_telling_a_step(tmp_path: Path) -> None:
    """The worker waits to tell a step to a pipe this process no longer reads: stopped, it
    ends (the pipe has no reader left), where the pool waited for it for good."""
    record = tmp_path / "record"
    record.touch()
    run = _build_in_a_process(_FLOODED_FORK, str(ROOT), str(record))
    assert run.returncode == 130 and "Traceback" not in run.stderr, run.stderr
    lines = record.read_text().split("\n")[:-1]
    assert [line.split()[0] for line in lines] == ["began"], lines
    with pytest.raises(ProcessLookupError):
        os.kill(int(lines[0].split()[-1]), 0)
