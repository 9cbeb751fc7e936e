"""The generated drivers (compiler/backends/pydriver.py) against the runtime's algorithms, their
specification: every check of `_check` is `runtime.checks.check_record`'s, and `_decision` is
`runtime.decision.explain(decide(...))`, on hypothesis records of all five policies — and of
variants of them with the shapes the five do not have (exclusions that override some
situations only, gates and situations without a condition, a situation that excuses nothing
beside ones that excuse liabilities), so that every branch of the unrolled decision runs.

`evaluate(raw)` is `check_record(raw)` and `decide(raw)` with the facts typed once: the same
results, and the same error for a bad record."""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import ir
from compiler.backends.package import PACKAGE, RUNTIME
from compiler.backends.python import module_source
from compiler.build import write_tree
from compiler.lower import load_program
from compiler.runtime.kinds import DECISION_KINDS, Kind
from tests.test_codegen import _facts_strategy, _literals, _value_strategy

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = load_program(ROOT)
IDS = sorted(PROGRAM.policies)


def _variant(policy_id: str, change: Callable[[list[ir.Rule]], None]) -> ir.Policy:
    policy = PROGRAM.policies[policy_id]
    rules = list(policy.rules)
    change(rules)
    return dataclasses.replace(policy, rules=tuple(rules))


def _replace(rules: list[ir.Rule], of_kind: Kind, index: int, **fields: Any) -> None:
    rule = [r for r in rules if r.kind is of_kind][index]
    rules[rules.index(rule)] = dataclasses.replace(rule, **fields)


def _names(rules: list[ir.Rule], kind: Kind, indexes: range | list[int]) -> tuple[str, ...]:
    of_kind = [r for r in rules if r.kind is kind]
    return tuple(of_kind[i].name for i in indexes)


def _scoped_ningbo(rules: list[ir.Rule]) -> None:
    # Exclusions that override some situations only, overlapping; a gate that always holds,
    # and a situation without a condition (it holds unless an exclusion defeats it).
    _replace(
        rules,
        Kind.EXCLUSION,
        0,
        overrides_all=False,
        overrides=_names(rules, Kind.SITUATION, range(3)),
    )
    _replace(
        rules,
        Kind.EXCLUSION,
        1,
        overrides_all=False,
        overrides=_names(rules, Kind.SITUATION, range(2, 7)),
    )
    _replace(
        rules, Kind.EXCLUSION, 2, overrides_all=False, overrides=_names(rules, Kind.SITUATION, [10])
    )
    _replace(rules, Kind.GATE, 0, when=None)
    _replace(rules, Kind.SITUATION, 5, when=None)


def _scoped_taierzhuang(rules: list[ir.Rule]) -> None:
    # The one exclusion defeats the first situation only; two gates always hold.
    _replace(
        rules, Kind.EXCLUSION, 0, overrides_all=False, overrides=_names(rules, Kind.SITUATION, [0])
    )
    _replace(rules, Kind.GATE, 1, when=None)


def _mixed_excuses_yuquan(rules: list[ir.Rule]) -> None:
    # A situation that relieves the whole decision beside ones that name their liabilities.
    _replace(rules, Kind.SITUATION, 1, excuses=())


def _gates_weihai(rules: list[ir.Rule]) -> None:
    # Two of the situations read as gates, and an exclusion scoped to three situations.
    _replace(rules, Kind.SITUATION, 0, kind=Kind.GATE)
    _replace(rules, Kind.SITUATION, 6, kind=Kind.GATE)
    _replace(
        rules,
        Kind.EXCLUSION,
        1,
        overrides_all=False,
        overrides=_names(rules, Kind.SITUATION, [1, 2, 9]),
    )


VARIANTS = {
    "scoped_ningbo": _variant("ningbo", _scoped_ningbo),
    "scoped_taierzhuang": _variant("taierzhuang", _scoped_taierzhuang),
    "excuses_yuquan": _variant("yuquan", _mixed_excuses_yuquan),
    "gates_weihai": _variant("weihai", _gates_weihai),
}
CASES = [*IDS, *VARIANTS]


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ModuleType]]:
    target = tmp_path_factory.mktemp("drivers") / "validators"
    # The policy modules and the runtime only (no SQL, no schemas: not what is tested here).
    files = {f"{PACKAGE}/__init__.py": b""}
    for source in [*RUNTIME.glob("*.py"), *(RUNTIME / "data").glob("*.json")]:
        files[f"{PACKAGE}/{source.relative_to(RUNTIME.parent)}"] = source.read_bytes()
    for case in CASES:
        files[f"{PACKAGE}/{case}.py"] = module_source(PROGRAM, _policy(case)).encode()
    write_tree(target, files)
    sys.path.insert(0, str(target))
    try:
        yield {p: importlib.import_module(f"{PACKAGE}.{p}") for p in CASES}
    finally:
        sys.path.remove(str(target))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _sparse(info: Any, policy: ir.Policy) -> st.SearchStrategy[dict[str, object]]:
    """Records giving a few facts, each known value often false: decisions with few rules
    settled, where the decision's rarer branches (excluded because no situation stands,
    pending grants, facts that matter) are reached."""
    literals = _literals(policy)
    values = {
        name: st.just(False) | _value_strategy(spec, literals) for name, spec in info.facts.items()
    }
    kinds = (*DECISION_KINDS, Kind.OUTCOME, Kind.LIABILITY)
    read = sorted({x for r in policy.rules if r.kind in kinds for x in r.reads})
    names = st.lists(st.sampled_from(read), max_size=10, unique=True)
    return names.flatmap(lambda chosen: st.fixed_dictionaries({k: values[k] for k in chosen}))


def _outcome(run: Callable[[], Any]) -> str:
    """The result as JSON text (what a report prints), or the error it raised."""
    try:
        return json.dumps(run(), ensure_ascii=False)
    except Exception as error:
        return f"{type(error).__name__}: {error}"


def _policy(case: str) -> ir.Policy:
    return VARIANTS[case] if case in VARIANTS else PROGRAM.policies[case]


@pytest.mark.parametrize("case", CASES)
def test_drivers_agree_with_the_runtime(case: str, modules: dict[str, ModuleType]) -> None:
    module = modules[case]
    runtime = importlib.import_module(f"{PACKAGE}.runtime")
    checks = importlib.import_module(f"{PACKAGE}.runtime.checks")
    decision = importlib.import_module(f"{PACKAGE}.runtime.decision")
    calendar = importlib.import_module(f"{PACKAGE}.runtime.timelimits").load_calendar()
    assert runtime is not None
    policy = module.POLICY
    # The interpreter's tables: the same PolicyInfo without the drivers.
    reference = dataclasses.replace(policy, compiled_checks=None, compiled_decision=None)

    @settings(
        max_examples=100,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(_facts_strategy(policy, _policy(case)) | _sparse(policy, _policy(case)))
    def agree(raw: dict[str, object]) -> None:
        try:
            facts = module.coerce(raw)
        except Exception:
            return  # refused before any check: evaluate's own test covers it
        expected_checks = _outcome(
            lambda: [c.to_json() for c in checks.check_record(reference, facts, calendar)]
        )
        assert _outcome(lambda: [c.to_json() for c in module._check(facts, calendar)]) == (
            expected_checks
        )
        expected = _outcome(lambda: decision.explain(reference, decision.decide(reference, facts)))
        assert _outcome(lambda: module._decision(facts)) == expected

    agree()


@pytest.mark.parametrize("policy_id", IDS)
def test_evaluate_is_check_record_and_decide(
    policy_id: str, modules: dict[str, ModuleType]
) -> None:
    module = modules[policy_id]

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        _facts_strategy(module.POLICY, PROGRAM.policies[policy_id]),
        st.sampled_from([None, {"no_such_fact": 1}, {"__first__": "not a value"}]),
    )
    def agree(raw: dict[str, object], damage: dict[str, object] | None) -> None:
        if damage is not None and "__first__" in damage and raw:
            raw = {**raw, next(iter(raw)): ["not", "a", "value"]}
        elif damage is not None and "__first__" not in damage:
            raw = {**raw, **damage}

        def separately() -> object:
            checked = [c.to_json() for c in module.check_record(raw)]
            return [checked, module.decide(raw)]

        def together() -> object:
            checked, decided = module.evaluate(raw)
            return [[c.to_json() for c in checked], decided]

        assert _outcome(together) == _outcome(separately)

    agree()


def test_the_variants_have_the_shapes_they_test() -> None:
    """Each variant really has the shape its drivers must handle (the policies may change)."""
    ningbo = VARIANTS["scoped_ningbo"]
    assert sum(not r.overrides_all for r in ningbo.of_kind(Kind.EXCLUSION)) == 3
    assert ningbo.of_kind(Kind.GATE)[0].when is None
    assert any(s.excuses for s in VARIANTS["excuses_yuquan"].of_kind(Kind.SITUATION))
    assert any(not s.excuses for s in VARIANTS["excuses_yuquan"].of_kind(Kind.SITUATION))
    assert VARIANTS["excuses_yuquan"].of_kind(Kind.LIABILITY)
    assert len(VARIANTS["gates_weihai"].of_kind(Kind.GATE)) == 2
    assert any(o.when is not None for o in VARIANTS["gates_weihai"].of_kind(Kind.OUTCOME))


def test_a_grant_certain_and_pending_is_listed_once(modules: dict[str, ModuleType]) -> None:
    """威海: relief applies, 三's outcome grants 容错 for certain and 五（四）'s results_unaffected
    could grant it too (its condition still open): granted once, not pending (a record the
    random ones rarely reach: every exclusion known false, one situation held)."""
    module = modules["weihai"]
    decision = importlib.import_module(f"{PACKAGE}.runtime.decision")
    raw = {
        "weihai_violated_political_discipline": False,
        "weihai_violated_eight_point_rules": False,
        "sought_improper_benefit": False,
        "weihai_other_non_tolerable": False,
        "weihai_serious_violation": False,
        "weihai_per_relevant_rules": True,
        "reform_pilot_error": True,
        "weihai_reform_error_non_subjective": True,
    }
    facts = module.coerce(raw)
    reference = dataclasses.replace(module.POLICY, compiled_checks=None, compiled_decision=None)
    expected = decision.explain(reference, decision.decide(reference, facts))
    assert expected["outcome"] == "applies" and expected["grants"] == ["tolerated"]
    assert _outcome(lambda: module._decision(facts)) == _outcome(lambda: expected)
    assert "tolerated" not in {p["grant"] for p in module._decision(facts)["pending_grants"]}


def test_an_or_with_an_empty_or_is_its_other_operand_in_both_algebras() -> None:
    """unroll.Unrolled._unheld_or_sparing writes `not held` alone where no exclusion spares,
    instead of `or_(not held, or_())`: the same formula only if every backend's `or_` folds an
    empty `or` away.  (The SQL's `or_` then gives `b_or`'s text to `share`, which leaves an
    `or` of fewer than three distinct operands as it is.)"""
    from compiler.backends import pydriver, sql

    held = pydriver.Test("_held_x", "True")
    for x in (held, pydriver.b_not(held), pydriver.b_and(held, pydriver.Test("_y", "None"))):
        assert pydriver.b_or(x, pydriver.b_or()) is x
    for text in ("_held_x", "NOT _held_x", "(_a AND _b)"):
        assert sql.b_or(text, sql.b_or()) == text
