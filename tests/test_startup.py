"""Light start-up: the everyday verbs do not import the graph library or the site's tools.

Each verb runs `compiler.cli.main` in a fresh interpreter, which then lists the modules it
imported.  `benchmarks/startup.py` prints what this saves.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "cases" / "taierzhuang_valid.jsonl"

# Needed only by `graph` (networkx), the site (jinja2, mkdocs, jieba) or the calendar's
# regeneration (chinese_calendar).
HEAVY = ("networkx", "jinja2", "mkdocs", "jieba", "chinese_calendar")

_PROGRAM = """
import contextlib, io, json, sys
from compiler.cli import main
out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    code = main(sys.argv[1:])
json.dump({"code": code, "stderr": err.getvalue(), "modules": sorted(sys.modules)}, sys.stdout)
"""


def _run(*argv: str, stdin: str = "") -> tuple[int, str, set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _PROGRAM, "--root", str(ROOT), *argv],
        input=stdin, capture_output=True, text=True, encoding="utf-8", check=False,
        cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    return report["code"], report["stderr"], set(report["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


@pytest.mark.parametrize(
    ("argv", "stdin"),
    [
        (["check"], ""),
        (["decide", "ningbo", "--facts", "-"], '{"abused_power": true}'),
        (["due", "taierzhuang", "二（三）", "--start", "2024-09-27"], ""),
        (["validate", "--policy", "taierzhuang", str(CASES)], ""),
    ],
    ids=["check", "decide", "due", "validate"],
)
def test_light_verbs_do_not_import_heavy_libraries(argv: list[str], stdin: str) -> None:
    code, stderr, modules = _run(*argv, stdin=stdin)
    assert code == 0, stderr
    assert _heavy(modules) == []
    assert "compiler.graph" not in modules


def test_graph_imports_networkx() -> None:
    # The control: the same probe sees networkx when a verb does need it.
    code, stderr, modules = _run("graph", "ningbo")
    assert code == 0, stderr
    assert "networkx" in modules
