"""The validators' two engines of `validate` (the standard library's and `--engine duckdb`,
compiler/runtime/sqlengine.py) run side by side on the project's policies: the fixtures they
share are in conftest.py, the helpers below."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def refused_alike(runs: dict[str, tuple[int, str, str]], message: str) -> None:
    """Both engines: exit 2, nothing on stdout, `message` on stderr, word for word."""
    for engine, got in runs.items():
        assert got == (2, "", f"{PROG}: {message}\n"), engine
