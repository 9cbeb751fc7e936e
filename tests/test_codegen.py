"""The generated validators: readable, deterministic, lint- and type-clean, and in agreement
with the reference interpreter on every policy test and on random facts and records."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion

from compiler import ir
from compiler import nodes as n
from compiler.backends.package import PACKAGE, package_files
from compiler.build import write_tree
from compiler.interpret import decide, explain, info, literal_facts
from compiler.lower import load_program
from compiler.runtime.checks import check_record
from compiler.runtime.policy import PolicyInfo, Rule
from compiler.runtime.timelimits import load_calendar
from compiler.runtime.values import Duration, FactSpec, to_json

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROGRAM = load_program(ROOT)
IDS = sorted(PROGRAM.policies)
CALENDAR = load_calendar()


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("build") / "validators"
    write_tree(target, package_files(PROGRAM))
    return target


@pytest.fixture(scope="module")
def generated(package_dir: Path) -> Iterator[dict[str, ModuleType]]:
    sys.path.insert(0, str(package_dir))
    try:
        yield {p: importlib.import_module(f"{PACKAGE}.{p}") for p in IDS}
    finally:
        sys.path.remove(str(package_dir))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


# ---------------------------------------------------------------- the code itself


@pytest.mark.parametrize("policy_id", IDS)
def test_generated_module_snapshot(policy_id: str, text_snapshot: SnapshotAssertion) -> None:
    files = package_files(PROGRAM)
    assert files[f"{PACKAGE}/{policy_id}.py"].decode() == text_snapshot


def test_generation_is_deterministic() -> None:
    assert package_files(PROGRAM) == package_files(PROGRAM)


def test_package_has_its_parts() -> None:
    files = package_files(PROGRAM)
    for part in ("pyproject.toml", "README.md", f"{PACKAGE}/py.typed", f"{PACKAGE}/__main__.py"):
        assert part in files
    for policy_id in IDS:
        assert f"{PACKAGE}/schemas/{policy_id}.schema.json" in files
    assert f"{PACKAGE}/runtime/data/cn_workdays.json" in files


def test_generated_code_passes_ruff(package_dir: Path) -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "--isolated", "--line-length", "100",
         "--select", "E,F,W,I,B,UP,SIM,RUF", "--ignore", "RUF001,RUF002,RUF003", "."],
        cwd=package_dir, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    formatted = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", "--isolated", "--line-length", "100", "."],
        cwd=package_dir, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_generated_code_passes_mypy_strict(package_dir: Path) -> None:
    result = subprocess.run(
        [str(BIN / "mypy"), "--strict", "--no-incremental", PACKAGE],
        cwd=package_dir, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_code_imports_only_the_standard_library(package_dir: Path) -> None:
    allowed = set(sys.stdlib_module_names) | {PACKAGE}
    for path in package_dir.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.split()
            if words[:1] == ["import"] or (words[:1] == ["from"] and not words[1].startswith(".")):
                module = words[1].split(".")[0]
                # The one optional extra: DuckDB, imported inside the engine's function only
                # when `--engine duckdb` asks for it (runtime/sqlengine.py).
                if (path.name, module) == ("sqlengine.py", "duckdb") and line.startswith(" "):
                    continue
                assert module in allowed, f"{path.name}: {line}"


def test_policy_text_cannot_inject_code(tmp_path: Path) -> None:
    """Quotes, labels and titles with quotes, backslashes, newlines or comment markers stay
    inside string literals."""
    from compiler.backends.pycode import layout, py_string, string

    nasty = ['"""\nimport os\n"""', "x\\", "a\u2028b", "# comment", "'", "\x00", '中文”"']
    for text in nasty:
        code = layout(string(text * 8), 1, "label=", ",")
        value = eval(code.strip().removeprefix("label=").rstrip(","))
        assert value == text * 8
        assert eval(py_string(text)) == text


def test_layout_measures_what_it_writes() -> None:
    """The layout decides from a node's measured width (pycode._width) whether its text fits
    on one line: the measure is the width of that text, for every kind of node, and a line is
    broken exactly where it would not fit (Chinese counts two columns)."""
    from compiler.backends.pycode import (
        WIDTH,
        Call,
        Code,
        Lambda,
        Prefixed,
        Text,
        _width,
        flat,
        layout,
        width_of,
    )

    words = ["x", "L.and_", "“救助”", "申请人", 'a"b', "\u2028"]
    nodes: list[Code] = [*words, Text("临时救助\n"), Text('"q"')]
    for depth in range(3):
        nodes += [
            Call("L.f", tuple(nodes[-3:])),
            Call("", tuple(nodes[-2:]), joiner=" "),
            Call("", (nodes[-1],), one_tuple=True),
            Call("{", tuple(nodes[: depth + 2]), open="", close="}"),
            Lambda(nodes[-2]),
            Prefixed("标签=", nodes[-1]),
        ]
    for node in nodes:
        assert _width(node, {}) == width_of(flat(node)), flat(node)
        for room in (0, 10, 60):
            fits = room + width_of("k=") + width_of(flat(node)) + 1 <= WIDTH
            written = layout(node, 0, "k=" + " " * room, ",")
            assert ("\n" not in written) == (fits or isinstance(node, str)), written


def test_a_long_text_breaks_into_the_widest_pieces_that_fit() -> None:
    """A string literal too long for its line is written as adjacent literals: together they
    are the text; each is within the room (its quotes and escapes counted, Chinese two
    columns); and each but the last would not fit with the next character added."""
    import random
    from itertools import pairwise

    from compiler.backends.pycode import _pieces, py_string, width_of

    alphabet = 'ab "\\\n\t中文，。\u2028\x00é😀'
    chooser = random.Random(13)
    for _ in range(2000):
        text = "".join(chooser.choice(alphabet) for _ in range(chooser.randrange(0, 120)))
        room = chooser.randrange(1, 90)
        pieces = [eval(p) for p in _pieces(text, room).args]
        assert "".join(pieces) == text
        assert all(piece for piece in pieces) or pieces == [""]
        for piece, after in pairwise(pieces):
            assert len(piece) == 1 or width_of(py_string(piece)) <= room
            assert width_of(py_string(piece + after[0])) > room
        assert len(pieces[-1]) == 1 or width_of(py_string(pieces[-1])) <= room


# ---------------------------------------------------------------- agreement with the interpreter


def _without_version(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "version"}


def _literals(policy: ir.Policy) -> list[object]:
    """The constants the policy compares with: boundary values worth generating around."""
    found: list[object] = []

    def walk(expr: n.Expr) -> None:
        found.extend(e.value for e in n.walk(expr) if isinstance(e, n.Literal))

    for rule in policy.rules:
        extension = rule.limit.extend if rule.limit is not None else None
        for condition in (*rule.conditions, *((extension.when,) if extension else ())):
            walk(condition)
    for define in policy.defines:
        walk(define.expr)
    return found


def _value_strategy(spec: FactSpec, literals: list[object]) -> st.SearchStrategy[object]:
    numbers = [v for v in literals if isinstance(v, Decimal)]
    near = [x + d for x in numbers for d in (Decimal(-1), Decimal(0), Decimal(1))] + [
        Decimal(0),
        Decimal(1),
    ]
    if spec.type == "bool":
        return st.booleans()
    if spec.type in ("int", "money"):
        ints = [int(x) for x in near if x == x.to_integral_value() and x >= 0]
        return st.one_of(st.sampled_from(ints), st.integers(0, 200_000))
    if spec.type == "ratio":
        return st.one_of(st.sampled_from([float(x) for x in near]), st.floats(0, 2, width=32))
    if spec.type == "date":
        dates = [v for v in literals if isinstance(v, date)] + [date(2024, 9, 27)]
        around = st.builds(
            lambda d, k: (d + timedelta(days=k)).isoformat(),
            st.sampled_from(dates),
            st.integers(-400, 400),
        )
        return around
    if spec.type == "datetime":
        # Moments near one another, some by their date alone: the hour limits' three answers.
        base = datetime(2024, 9, 27, 0, 0)
        moments = st.builds(
            lambda minutes: (base + timedelta(minutes=minutes)).isoformat(timespec="minutes"),
            st.integers(-3 * 24 * 60, 3 * 24 * 60),
        )
        days = st.builds(
            lambda k: (base.date() + timedelta(days=k)).isoformat(), st.integers(-3, 3)
        )
        return st.one_of(moments, days)
    if spec.type == "duration":
        durations = [v for v in literals if isinstance(v, Duration)] or [Duration(1, "years")]
        return st.builds(
            lambda d, k: f"{max(0, d.amount + k)} {d.unit}",
            st.sampled_from(durations),
            st.integers(-2, 2),
        )
    if spec.type == "enum":
        return st.sampled_from(list(spec.members))
    return st.text(max_size=3)


def _facts_strategy(info: PolicyInfo, policy: ir.Policy) -> st.SearchStrategy[dict[str, object]]:
    literals = _literals(policy)
    optional = {
        name: st.one_of(st.none(), _value_strategy(spec, literals))
        for name, spec in info.facts.items()
    }
    return st.fixed_dictionaries(optional).map(
        lambda d: {k: v for k, v in d.items() if v is not None}
    )


def _typed(info: PolicyInfo, raw: dict[str, object]) -> dict[str, Any]:
    from compiler.runtime.values import coerce_all

    return coerce_all(info.facts, raw)


def _results_json(info: PolicyInfo, facts: dict[str, Any]) -> Any:
    try:
        return [c.to_json() for c in check_record(info, facts, CALENDAR)]
    except Exception as error:  # the same error must come from both
        return f"{type(error).__name__}: {error}"


@pytest.mark.parametrize("policy_id", IDS)
def test_generated_code_agrees_with_the_interpreter(
    policy_id: str, generated: dict[str, ModuleType]
) -> None:
    module = generated[policy_id]
    policy = PROGRAM.policies[policy_id]
    reference_info = info(PROGRAM, policy)
    compiled_info: PolicyInfo = module.POLICY
    # Different classes (the package's copy of the runtime), the same fields.
    assert {k: vars(v) for k, v in compiled_info.facts.items()} == {
        k: vars(v) for k, v in reference_info.facts.items()
    }
    assert compiled_info.version == reference_info.version

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(_facts_strategy(reference_info, policy))
    def agree(raw: dict[str, object]) -> None:
        facts = _typed(reference_info, raw)
        try:
            expected: Any = explain(PROGRAM, decide(PROGRAM, policy, facts))
        except Exception as error:
            expected = f"{type(error).__name__}: {error}"
        try:
            actual: Any = _without_version(module.decide(raw))
        except Exception as error:
            actual = f"{type(error).__name__}: {error}"
        assert actual == expected
        try:
            compiled_results: Any = [c.to_json() for c in module.check_record(raw)]
        except Exception as error:
            compiled_results = f"{type(error).__name__}: {error}"
        assert compiled_results == _results_json(reference_info, facts)

    agree()


@pytest.mark.parametrize("policy_id", IDS)
def test_fast_twins_and_needs_functions_agree_with_their_conditions(
    policy_id: str, generated: dict[str, ModuleType]
) -> None:
    """Each condition's fast twin gives its value, and, when unknown, its `needs_x` function
    the very facts the condition's Unknown names (the runtime no longer asks the condition)."""
    module = generated[policy_id]
    policy = PROGRAM.policies[policy_id]
    reference_info = info(PROGRAM, policy)
    conditions = [
        (f"{item.name}.{field}", getattr(item, field), fast, getattr(item, f"needs_{field}"))
        for item in (*module.RULES, *module.LIMITS)
        for field in ("when", "require", "extend_when")
        if (fast := getattr(item, f"fast_{field}", None)) is not None
    ]
    assert all(needs is not None for *_, needs in conditions)

    def outcome(run: Any) -> Any:
        try:
            return run()
        except Exception as error:
            return f"{type(error).__name__}: {error}"

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(_facts_strategy(reference_info, policy))
    def agree(raw: dict[str, object]) -> None:
        facts = outcome(lambda: module.coerce(raw))
        if isinstance(facts, str):
            return  # a record refused before any condition runs
        for name, condition, fast, needs in conditions:
            expected = outcome(lambda c=condition: c(facts))
            value = outcome(lambda f=fast: f(facts))
            if value is None:
                assert frozenset(needs(facts)) == expected.needs, name
            else:
                assert value == expected, name

    agree()


# ---------------------------------------------------------------- the policy tests, compiled


def _rule_value(module: ModuleType, rule: Rule, facts: dict[str, Any]) -> object:
    """A rule's condition on the generated code's own values: `when` implies `require`."""
    logic = importlib.import_module(f"{PACKAGE}.runtime.logic")
    applies = (lambda: rule.when(facts)) if rule.when is not None else (lambda: True)
    if rule.require is None:
        return applies()
    require = rule.require
    return logic.or_(lambda: logic.not_(applies()), lambda: require(facts))


CASES = [
    pytest.param(policy.id, case, id=f"{policy.id}-{case.name}")
    for policy in (PROGRAM.policies[p] for p in IDS)
    for case in policy.cases
]


@pytest.mark.parametrize(("policy_id", "case"), CASES)
def test_policy_case_on_generated_code(
    policy_id: str, case: n.Case, generated: dict[str, ModuleType]
) -> None:
    module = generated[policy_id]
    policy = PROGRAM.policies[policy_id]
    facts = literal_facts(case.given)
    # A test may also give a shared fact that this policy does not read, to show that the
    # city's own, related fact decides (docs/vocabulary.md); the policy's records carry only its
    # inputs, so the validator is given those.
    raw = {k: to_json(v) for k, v in facts.items() if k in policy.inputs}
    if case.expect is not None or case.grant_checks or case.exempt_checks:
        report = module.decide(raw)
        pending = {p["grant"] for p in report["pending_grants"]}
        for grant_check in case.grant_checks:
            got = pending if grant_check.pending else set(report["grants"])
            assert got == set(grant_check.names), case.label
        for exempt_check in case.exempt_checks:
            listed = report["not_exempted" if exempt_check.not_exempted else "exempts"]
            assert {x["rule"] for x in listed} == set(exempt_check.names), case.label
    if case.expect is not None:
        assert report["outcome"] == case.expect, case.label
        if case.cites:
            expected = {_clause(policy, c.text) for c in case.cites}
            assert {_clause(policy, r["clause"]) for r in report["decided_by"]} == expected
        if case.missing is not None:
            assert set(report["missing"]) == set(case.missing)
    for due in case.dues:
        got = module.due(due.limit, due.start, extended=due.extended, excluded=due.excluded)
        assert got == due.expected, f"{case.label}: {due.limit}"
    rules = {r.name: r for r in module.POLICY.rules}
    values = importlib.import_module(f"{PACKAGE}.runtime.values")
    own_facts = values.coerce_all(module.FACTS, raw)  # the package's own value classes
    for rule_check in case.rule_checks:
        value = _rule_value(module, rules[rule_check.rule], own_facts)
        assert value is rule_check.holds, case.label
    if case.record_checks:
        results = module.check_record(raw)
        for record_check in case.record_checks:
            # A time limit first: a deadline's limit and its statement share the name.
            found = sorted(
                (r for r in results if r.rule == record_check.name),
                key=lambda r: r.kind != "time_limit",
            )
            assert found and found[0].status == record_check.status, case.label


def _clause(policy: ir.Policy, citation: str) -> str:
    clause = policy.document.resolve(citation).clause
    return clause.citation if clause is not None else citation


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("12", 12),
        ("12.50", 12.5),
        ("0.1", 0.1),
        ("5000.0000000000001", "5000.0000000000001"),
        ("0.12345678901234567", "0.12345678901234567"),
    ],
)
def test_a_number_is_shown_with_every_digit_it_has(value: str, shown: object) -> None:
    """A float where it is the same number; else its digits: `5000.0000000000001` was shown
    as `5000.0` in the message of a cap of 5000 that it exceeds."""
    assert to_json(Decimal(value)) == shown
