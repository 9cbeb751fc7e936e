"""Running the generated package's `validate` in a subprocess and reading its peak memory
(tests/test_streaming.py, tests/test_streaming_million.py)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from compiler.backends.package import PACKAGE


def main_of(policy_id: str, *argv: str) -> list[str]:
    return ["validate", "--policy", policy_id, *argv]


# Runs the package's command line on ARGV within LIMIT bytes of address space (0: no limit)
# and prints its peak RSS (KiB, VmHWM: this process's own, whatever its parent's) on the last
# line of stderr.  RESTRICT keeps a policy's time limits only (see the fast test).
_MEASURED = """
import dataclasses, resource, sys
limit, restrict, policy_id = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3]
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from {package} import POLICIES
from {package}.runtime.cli import main
policies = {{policy_id: POLICIES[policy_id]}}
if restrict:
    policies[policy_id] = dataclasses.replace(POLICIES[policy_id], rules=())
code = main(sys.argv[4:], policies, "pv")
with open("/proc/self/status", encoding="ascii") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
sys.stderr.write(f"\\nmaxrss {{peak}}\\n")
sys.exit(code)
"""


def package_run(
    package_dir: Path,
    argv: list[str],
    limit: int = 0,
    restrict: bool = False,
    out: Path | None = None,
    stdin_from: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """The run; its report in `stdout`, or in the file `out` (then `stdout` is empty).
    `stdin_from`: a file given on standard input through a pipe (`cat FILE |`), as
    `zcat cases.jsonl.gz | … validate -` gives it."""
    program = _MEASURED.format(package=PACKAGE)
    env = {**os.environ, "PYTHONPATH": str(package_dir)}
    flags = [str(limit), "1" if restrict else "0", argv[2]]
    with contextlib.ExitStack() as stack:
        report = stack.enter_context(open(out or os.devnull, "w", encoding="utf-8"))
        stdin = None
        if stdin_from is not None:
            cat = stack.enter_context(
                subprocess.Popen(["cat", str(stdin_from)], stdout=subprocess.PIPE)
            )
            stdin = cat.stdout
        return subprocess.run(
            [sys.executable, "-c", program, *flags, *argv],
            stdin=stdin, stdout=report if out else subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env, check=False,
        )  # fmt: skip


def peak_kib(result: subprocess.CompletedProcess[str]) -> int:
    return int(result.stderr.rsplit("maxrss ", 1)[1])


def ningbo_lines(count: int) -> Iterator[str]:
    """Small 宁波 records, each with the application date (one time-limit check each)."""
    first = date(2024, 3, 1).toordinal()
    for i in range(count):
        day = date.fromordinal(first + i % 600).isoformat()
        yield f'{{"id": "N{i}", "ningbo_application_accepted_date": "{day}"}}\n'


def write_lines(path: Path, lines: Iterator[str]) -> Path:
    with path.open("w", encoding="utf-8") as file:
        file.writelines(lines)
    return path
