"""The diagnostic codes: registered once (compiler/codes.py), each with one meaning, listed in
the README exactly as registered, and never written as a string literal elsewhere."""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

from compiler import codes
from compiler.codes import CODES, Code, Severity
from compiler.diagnostics import Diagnostic
from compiler.nodes import Span

ROOT = Path(__file__).resolve().parent.parent
COMPILER = ROOT / "compiler"
REGISTRY = COMPILER / "codes.py"
CODE_TEXT = re.compile(r"\b[EW]\d{3}\b")
ROW = re.compile(r"^\| ([EW]\d{3}) \| (.+?) \|$")


def readme_codes() -> list[tuple[str, str]]:
    """The README's table of codes: (id, meaning) in the order written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(m[1], m[2]) for line in text.splitlines() if (m := ROW.match(line))]


def compiler_sources() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
        for path in sorted(COMPILER.rglob("*.py"))
        if path != REGISTRY
    ]


def test_readme_lists_every_registered_code_with_its_meaning() -> None:
    assert readme_codes() == [(code.id, code.title) for code in CODES.values()]


def test_registry_is_in_order_and_every_constant_is_registered() -> None:
    assert list(CODES) == sorted(CODES)
    constants = {name: value for name, value in vars(codes).items() if isinstance(value, Code)}
    assert constants == {code.id: code for code in CODES.values()}
    assert all(key == code.id for key, code in CODES.items())


def test_no_two_codes_share_a_meaning() -> None:
    titles = [code.title for code in CODES.values()]
    assert len(set(titles)) == len(titles)


def test_severity_comes_from_the_code() -> None:
    for code in CODES.values():
        expected = Severity.WARNING if code.id.startswith("W") else Severity.ERROR
        assert code.severity is expected
    assert any(code.severity is Severity.WARNING for code in CODES.values())
    warning = Diagnostic(codes.W501, "两条规则可同时成立", Span("a.policy", 1, 1, 1, 2), "甲")
    assert warning.severity is Severity.WARNING
    assert warning.render().startswith("a.policy:1:1: warning[W501]: ")
    assert warning.to_json()["severity"] == "warning"


def test_codes_are_written_only_in_the_registry() -> None:
    """No string like "E123" in compiler/ outside codes.py (docstrings aside): a code is named
    as codes.E123, so mypy rejects a code that is not registered."""
    found = []
    for path, tree in compiler_sources():
        docstrings = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and CODE_TEXT.search(node.value)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert found == []


def test_every_diagnostic_is_made_from_a_registered_code() -> None:
    """Each `Diagnostic(…)` and checker `self.error(…)` in compiler/ is given `codes.EXXX` (a
    registered one), or forwards a parameter typed `codes.Code`; no `Code(…)` is made outside
    the registry."""
    made = []
    for path, tree in compiler_sources():
        functions = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)]
        # Calls inside a function that takes a code parameter may forward that parameter.
        forwarded = {
            id(call): {
                a.arg
                for a in f.args.args + f.args.kwonlyargs
                if a.annotation is not None and ast.unparse(a.annotation) in ("Code", "codes.Code")
            }
            for f in functions
            for call in ast.walk(f)
            if isinstance(call, ast.Call)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            callee = ast.unparse(node.func)
            assert callee.rpartition(".")[2] != "Code", f"a Code made outside codes.py: {where}"
            if callee not in ("Diagnostic", "self.error"):
                continue
            keyword = [k.value for k in node.keywords if k.arg == "code"]
            argument = (node.args[:1] or keyword)[0]
            registered = (
                isinstance(argument, ast.Attribute)
                and ast.unparse(argument.value) == "codes"
                and argument.attr in CODES
            )
            forwards = isinstance(argument, ast.Name) and argument.id in forwarded.get(
                id(node), set()
            )
            assert registered or forwards, f"{where}: {callee}({ast.unparse(argument)}, …)"
            made.append(where)
    assert len(made) >= 60, len(made)  # the call sites of the parser, loader and checker


def test_a_pickled_code_is_the_registered_code() -> None:
    """Diagnostics come back from worker processes pickled (compiler/project.forked_map); the
    CLI compares codes by identity."""
    for code in CODES.values():
        assert pickle.loads(pickle.dumps(code)) is code
    diagnostic = Diagnostic(CODES["E100"], "x", None)
    assert pickle.loads(pickle.dumps(diagnostic)).code is CODES["E100"]
