"""The validators' two engines of `validate` (the standard library's and `--engine duckdb`,
compiler/runtime/sqlengine.py) run side by side on the project's policies: the fixtures they
share are in conftest.py, the helpers below."""

from __future__ import annotations

import contextlib
import os
import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from compiler.runtime import sqlengine
from compiler.runtime.cli import main
from compiler.runtime.policy import PolicyInfo

ROOT = Path(__file__).resolve().parents[2]
PROG = "python -m policyc_validators"


def run(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    """The validators' command line on `argv`, in this process: (exit code, stdout, stderr)."""
    code = main(list(argv), policies, PROG)
    out, err = capsys.readouterr()
    return code, out, err


# A `--calendar` file of 2031 with no holidays, only weekends off: dates past the bundled years.
WEEKENDS_ONLY_2031 = {
    "covered_years": [2031, 2031],
    "source": "test: weekends only",
    "years": {"2031": {"days_off": [], "extra_workdays": []}},
}


ENGINES = ("python", "duckdb")


def each(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    policy: str = "taierzhuang",
) -> dict[str, tuple[int, str, str]]:
    """`validate` of `policy`'s records with `argv` by each engine: (code, stdout, stderr)."""
    return {
        engine: run(policies, capsys, "validate", "--engine", engine, "--policy", policy, *argv)
        for engine in ENGINES
    }


def random_fields(rng: random.Random, number: int) -> dict[str, object]:
    """A 台儿庄 record's fields, for the random files of the JSON and JSONL tests: an id or
    none, facts of several types, Chinese text, keys in any order."""
    fields: dict[str, object] = {}
    if rng.random() < 0.6:
        fields["id"] = rng.choice([f"案{number}", number, f'q"{number}"', f"{number}\\,"])
    for name in ("missed_grant", "adjustment_delayed"):
        if rng.random() < 0.7:
            fields[name] = rng.choice([True, False, None])
    if rng.random() < 0.5:
        fields["taierzhuang_fulltime_staff"] = rng.choice([0, 3, 4, 12, "4"])
    items = list(fields.items())
    rng.shuffle(items)
    return dict(items)


def without_message(line: str) -> str:
    """A line of the standard-library engine's report as the DuckDB engine writes it: no
    message, the facts still needed kept."""
    head, found, message = line.partition("]: ")
    if not found:
        return line
    needs = message.rfind(" (needs ")
    return f"{head}]{message[needs:] if needs >= 0 else ''}"


def reported_alike(runs: dict[str, tuple[int, str, str]]) -> None:
    """Both engines: the same exit code, nothing on stderr, and the same report line for line,
    each line of the DuckDB engine's without its message (README)."""
    (code, out, err), (duck_code, duck_out, duck_err) = runs["python"], runs["duckdb"]
    assert (duck_code, duck_err) == (code, err) == (code, "")
    assert duck_out.splitlines() == [without_message(line) for line in out.splitlines()]


def read_the_way(
    runs: Callable[[Path], dict[str, tuple[int, str, str]]],
    path: Path,
    data: bytes,
    code: int,
    staged: list[str],
    by_reader: bool,
) -> None:
    """`data` written to `path` and read by both engines (`runs`): exit `code`, at 2 (bad
    input) the same message word for word, else the same report (`reported_alike`); the file
    staged the other way (`staged`: `staged_by`'s list) unless `by_reader`, by DuckDB's
    reader."""
    path.write_bytes(data)
    got = runs(path)
    assert got["python"][0] == code
    if code == 2:
        assert got["duckdb"] == got["python"]
    else:
        reported_alike(got)
    assert staged == ([] if by_reader else [path.name])


def staged_by(monkeypatch: pytest.MonkeyPatch, method: str) -> list[str]:
    """The names of the files the DuckDB engine's `Cases.<method>` stages, as the run goes:
    the method spied on, not changed."""
    staged: list[str] = []
    original = getattr(sqlengine.Cases, method)

    def spy(self: sqlengine.Cases, source: sqlengine.Source) -> object:
        staged.append(source.path.name)
        return original(self, source)

    monkeypatch.setattr(sqlengine.Cases, method, spy)
    return staged


def refused_alike(runs: dict[str, tuple[int, str, str]], message: str) -> None:
    """Both engines: exit 2, nothing on stdout, `message` on stderr, word for word."""
    for engine, got in runs.items():
        assert got == (2, "", f"{PROG}: {message}\n"), engine


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


@contextlib.contextmanager
def fifo(path: Path, data: bytes) -> Iterator[None]:
    """`path` a named pipe that a thread writes `data` into once, while the block runs."""
    os.mkfifo(path)

    def write() -> None:
        with contextlib.suppress(BrokenPipeError), path.open("wb") as pipe:
            pipe.write(data)

    writer = threading.Thread(target=write, name="fifo writer", daemon=True)
    writer.start()
    try:
        yield
    finally:
        if writer.is_alive():
            # Never opened by the engine: a reader of our own lets the writer through.
            reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            writer.join(10)
            os.close(reader)
        writer.join(10)
        path.unlink()


# The validators' command line over the project's policies in a child process (the SQL in
# argv[1], the project in argv[2]): for what needs a real process (stdin, bash's pipes).
CHILD = """
import sys
from pathlib import Path
from compiler.interpret import info
from compiler.lower import load_program
from compiler.runtime import sqlengine
from compiler.runtime.cli import main
sqlengine.SQL_DIR = Path(sys.argv[1])
model = load_program(Path(sys.argv[2]))
policies = {pid: info(model, model.policies[pid]) for pid in model.policies}
sys.exit(main(sys.argv[3:], policies, "python -m policyc_validators"))
"""
