"""The benchmarks still run against the compiler's current API (tiny sizes: figures are not
checked here, only that each script runs to its end; speed is read from their output)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "argv",
    [
        [
            "benchmarks/validators.py",
            *("--records", "50", "--interpreter-records", "10"),
            *("--pair-records", "20", "--repeat", "1"),
        ],
        ["benchmarks/frontend.py", "--repeat", "1"],
        [
            "benchmarks/sql.py",
            *("--policy", "weihai", "--records", "1000", "--bulk", "1000", "--repeat", "1"),
            "--no-engine",  # the engine has its own tests; its child is seconds of start-up
        ],
        ["benchmarks/floor.py", "--records", "20", "--repeat", "1"],
        ["benchmarks/workdays.py", "--counts", "3", "--repeat", "1"],
        ["benchmarks/firstbuild.py", "--size", "10"],
        ["benchmarks/interrupt.py", "--size", "10", "--after", "0.5"],
        [
            "benchmarks/abbuild.py",
            *("--before", ".", "--size", "10", "--runs", "1", "--settle", "0", "--after-change"),
        ],
    ],
    ids=[
        "validators",
        "frontend",
        "sql",
        "floor",
        "workdays",
        "firstbuild",
        "interrupt",
        "abbuild",
    ],
)
def test_benchmark_runs(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip(), "a benchmark prints its figures"


def test_side_by_side_engines_agree() -> None:
    """benchmarks/sidebyside.py on a few records: the hand-written baselines and the
    interpreter give the generated package's full output on every record (times are printed,
    never checked)."""
    argv = ["benchmarks/sidebyside.py", "--records", "50", "--repeat", "1"]
    result = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "DISAGREE" not in result.stdout
    for engine in ("hand-written", "interpreter"):
        assert f"agree    {engine}: 100 of 100 records identical" in result.stdout, result.stdout
    assert "| generated package |" in result.stdout
