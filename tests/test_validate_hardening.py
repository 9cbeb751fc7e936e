"""The validators' command line where the world around it is unusual: a stdout closed before
the report is written (buffered or not), a stdout whose locale encoding is not UTF-8, bytes on
stdin that are not UTF-8, a record whose `id` is empty, a Parquet file without DuckDB.

The process-level cases run the generated package itself (`python -m policyc_validators`) in
a subprocess: what Python does at exit with a buffered stdout is part of what is tested."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.backends.package import PACKAGE, package_files
from compiler.build import write_tree
from compiler.interpret import info
from compiler.lower import load_program
from compiler.runtime import cli as runtime_cli
from compiler.runtime.policy import PolicyInfo

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "cases"
VALID = CASES / "taierzhuang_valid.jsonl"
FINDINGS = CASES / "taierzhuang_findings.csv"
PROG = "python -m policyc_validators"


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("build") / "validators"
    write_tree(target, package_files(load_program(ROOT)))
    return target


@pytest.fixture(scope="module")
def policies() -> dict[str, PolicyInfo]:
    program = load_program(ROOT)
    return {"taierzhuang": info(program, program.policies["taierzhuang"])}


def _env(package_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "LC_", "LANG")) and key != "POLICYC_DEBUG"
    }
    return {**env, "PYTHONPATH": str(package_dir), "LC_ALL": "C.UTF-8", **extra}


def _package(
    package_dir: Path, argv: list[str], stdin: bytes = b"", **env: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *argv],
        input=stdin, capture_output=True, check=False, timeout=120,
        env=_env(package_dir, **env), cwd=package_dir.parent,
    )  # fmt: skip


# ---------------------------------------------------------------- 1. a closed stdout: 141


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "--policy", "taierzhuang", str(VALID)],
        ["validate", "--policy", "taierzhuang", str(FINDINGS)],
        ["validate", "--engine", "duckdb", "--policy", "taierzhuang", str(VALID)],
        ["validate", "--engine", "duckdb", "--policy", "taierzhuang", str(FINDINGS)],
        ["due", "--policy", "taierzhuang", "二（三）", "--start", "2024-09-27"],
    ],
    ids=["python-pass", "python-findings", "duckdb-pass", "duckdb-findings", "due"],
)
def test_stdout_closed_before_the_report_exits_141(
    package_dir: Path, argv: list[str], unbuffered: bool
) -> None:
    # `… | head -c0`, deterministically: the pipe's reader is gone before the child starts.
    # A small report sits in Python's buffer until exit, where a failing flush was exit 120
    # and "Exception ignored … BrokenPipeError" on stderr.
    reader, writer = os.pipe()
    os.close(reader)
    env = {"PYTHONUNBUFFERED": "1"} if unbuffered else {}
    try:
        child = subprocess.run(
            [sys.executable, "-m", PACKAGE, *argv],
            stdout=writer, stderr=subprocess.PIPE, check=False, timeout=120,
            env=_env(package_dir, **env), cwd=package_dir.parent,
        )  # fmt: skip
    finally:
        os.close(writer)
    assert (child.returncode, child.stderr.decode()) == (141, "")


# ------------------------------------------ 1b. a stream the command was started without


@pytest.mark.parametrize(
    ("closed", "argv", "code"),
    [
        ("2>&-", ["validate", "--policy", "taierzhuang", "missing.jsonl"], 2),
        ("2>&-", ["validate", "--policy", "nope", str(VALID)], 2),
        ("2>&-", ["validate", "--policy", "taierzhuang", str(FINDINGS)], 1),
        (">&-", ["validate", "--policy", "taierzhuang", str(VALID)], 0),
        (">&-", ["validate", "--policy", "taierzhuang", str(FINDINGS)], 1),
        (">&- 2>&-", ["validate", "--policy", "taierzhuang", "missing.jsonl"], 2),
        (">&-", ["due", "--policy", "taierzhuang", "二（三）", "--start", "2024-09-27"], 0),
    ],
    ids=[
        "stderr-bad-file",
        "stderr-bad-policy",
        "stderr-findings",
        "stdout-pass",
        "stdout-findings",
        "both-bad-file",
        "stdout-due",
    ],
)
def test_a_stream_closed_from_the_start_leaves_the_exit_code_its_meaning(
    package_dir: Path, closed: str, argv: list[str], code: int
) -> None:
    # Python sets a stream closed before it starts to None.  Writing a message to it was an
    # AttributeError, raised again by the guard's own message: exit 1, findings to CI, for a
    # file that could not be read (and 3, an internal error, for a report with no stdout).
    child = subprocess.run(
        ["sh", "-c", f'"$@" {closed}', "sh", sys.executable, "-m", PACKAGE, *argv],
        capture_output=True, check=False, timeout=120,
        env=_env(package_dir), cwd=package_dir.parent,
    )  # fmt: skip
    assert child.returncode == code


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_report_to_a_full_disk_says_the_output_failed(package_dir: Path) -> None:
    with Path("/dev/full").open("wb") as full:
        child = subprocess.run(
            [sys.executable, "-m", PACKAGE, "validate", "--policy", "taierzhuang", str(VALID)],
            stdout=full, stderr=subprocess.PIPE, check=False, timeout=120,
            env=_env(package_dir), cwd=package_dir.parent,
        )  # fmt: skip
    assert (child.returncode, child.stderr.decode()) == (
        2,
        f"{PROG}: No space left on device (writing the output)\n",
    )


def test_policyc_with_stderr_closed_still_exits_2_for_bad_input(tmp_path: Path) -> None:
    child = subprocess.run(
        ["sh", "-c", '"$@" 2>&-', "sh", sys.executable, "-m", "compiler.cli", "--root",
         str(tmp_path / "missing"), "check"],
        capture_output=True, check=False, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert child.returncode == 2


# ---------------------------------------------------------------- 2. stdout in any locale


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_the_report_is_utf8_whatever_the_locale(
    package_dir: Path, encoding: str, engine: str
) -> None:
    argv = ["validate", "--engine", engine, "--policy", "taierzhuang", str(FINDINGS)]
    wanted = _package(package_dir, argv)
    assert wanted.returncode == 1 and "二（三）" in wanted.stdout.decode("utf-8")
    got = _package(package_dir, argv, PYTHONIOENCODING=encoding)
    assert (got.returncode, got.stderr, got.stdout) == (1, b"", wanted.stdout)


def test_messages_are_utf8_whatever_the_locale(package_dir: Path) -> None:
    argv = ["due", "--policy", "taierzhuang", "九（九）", "--start", "2024-09-27"]
    got = _package(package_dir, argv, PYTHONIOENCODING="latin-1")
    assert got.returncode == 2 and got.stdout == b""
    assert "九（九）" in got.stderr.decode("utf-8")


# ---------------------------------------------------------------- 4. --facts - not UTF-8


def test_decide_facts_on_stdin_not_utf8_says_so_and_where(package_dir: Path) -> None:
    argv = ["decide", "--policy", "taierzhuang", "--facts", "-"]
    facts = b'{"objection_raised": "\xff"}'
    got = _package(package_dir, argv, stdin=facts)
    assert got.returncode == 2 and got.stdout == b""
    assert got.stderr.decode() == f"{PROG}: -: not UTF-8 (byte {facts.index(0xFF)})\n"
    # A byte-order mark is still taken, and not counted in the offset.
    got = _package(package_dir, argv, stdin=b"\xef\xbb\xbf{}")
    assert got.returncode == 0, got.stderr
    got = _package(package_dir, argv, stdin=b"\xef\xbb\xbf{\xc3}")
    assert got.stderr.decode() == f"{PROG}: -: not UTF-8 (byte 1)\n"


def test_decide_facts_file_not_utf8_says_where(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    facts = tmp_path / "facts.json"
    data = '{"objection_raised": "否"}'.encode("gbk")
    facts.write_bytes(data)
    argv = ["decide", "--policy", "taierzhuang", "--facts", str(facts)]
    code = runtime_cli.main(argv, policies, PROG)
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    where = data.index("否".encode("gbk"))
    assert err == f"{PROG}: {facts}: not UTF-8 (byte {where})\n"


def test_decide_facts_on_a_text_stdin_still_read(
    policies: dict[str, PolicyInfo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A stdin without bytes underneath (an embedding program's StringIO) is read as text.
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"objection_raised": false}'))
    code = runtime_cli.main(["decide", "--policy", "taierzhuang", "--facts", "-"], policies, PROG)
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert json.loads(out)["policy"] == "taierzhuang"


# ---------------------------------------------------------------- 5. Parquet without DuckDB


def test_parquet_without_the_duckdb_engine_says_what_to_use(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    parquet = tmp_path / "cases.parquet"
    parquet.write_bytes(b"PAR1 not really\n")
    for cases in ([str(parquet)], [str(VALID), str(parquet)]):
        code = runtime_cli.main(["validate", "--policy", "taierzhuang", *cases], policies, PROG)
        out, err = capsys.readouterr()
        assert (code, out) == (2, "")
        assert err == (
            f"{PROG}: {parquet}: the standard-library engine cannot read Parquet; "
            "use --engine duckdb (pip install policyc-validators[duckdb])\n"
        )
