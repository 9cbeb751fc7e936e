"""Every walker over expressions, items and top-level declarations is exhaustive.

Each `match` over `nodes.Expr`, `nodes.Item` or `nodes.TopLevel` ends in `assert_never`, so
that a new variant that some walker forgets is a type error, not a silent `None`.  This test
proves it: it copies the compiler, adds one variant to each union, and runs mypy --strict on
the copy, which must fail at every walker.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Every module whose walkers must notice a new variant, with how many `assert_never`s each has
# for the unions below; a walker added later must be added here (the test counts them).
WALKERS = {
    "compiler/nodes.py": 1,  # subexpressions
    "compiler/check.py": 3,  # declarations, items, type_of
    "compiler/interpret.py": 1,  # Evaluator.eval
    "compiler/exprtext.py": 1,  # _render
    "compiler/examples.py": 4,  # alternatives, _roots, _invert, _boundaries
    "compiler/backends/exprcode.py": 1,  # ExprCompiler.expr (Python and JavaScript)
    "compiler/comparison.py": 1,  # the tables' polarity of a concept's facts
    "compiler/backends/site/words.py": 1,  # condition: an expression read aloud in Chinese
    "compiler/diff/behaviour.py": 1,  # _canon: an expression without positions, compared
}

NEW_VARIANTS = '''

@dataclass(frozen=True)
class Fresh:
    """A variant no walker knows yet."""

    span: Span = field(compare=False)
'''


def test_every_walker_ends_in_assert_never() -> None:
    for module, count in WALKERS.items():
        text = (ROOT / module).read_text(encoding="utf-8")
        # At least one per walker: a module may end other matches (over kinds, say) the same way.
        assert len(re.findall(r"assert_never\(", text)) >= count, module


def test_a_new_variant_fails_type_checking(tmp_path: Path) -> None:
    copy = tmp_path / "compiler"
    shutil.copytree(ROOT / "compiler", copy, ignore=shutil.ignore_patterns("__pycache__"))
    nodes = copy / "nodes.py"
    text = nodes.read_text(encoding="utf-8")
    # The new class goes before the unions are formed, and joins each of them.
    text = text.replace("\n\nExpr = Literal |", NEW_VARIANTS + "\n\nExpr = Fresh | Literal |", 1)
    text = text.replace("Item = (\n    When", "Item = (\n    Fresh\n    | When", 1)
    text = text.replace("TopLevel = PolicyHeader |", "TopLevel = Fresh | PolicyHeader |", 1)
    assert text.count("Fresh") >= 4, "the unions of compiler/nodes.py changed shape"
    nodes.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "compiler",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    unreachable = [
        line for line in result.stdout.splitlines() if 'has incompatible type "Fresh"' in line
    ]
    for module, count in WALKERS.items():
        found = [line for line in unreachable if line.startswith(module)]
        assert len(found) == count, f"{module}: {found}\n{result.stdout}"
