"""`policyc example`: minimal, verified facts under which a clause's rule holds.

The project-wide tests iterate over whatever policies the project holds, so a document that
is being transcribed is covered as soon as it lands.  The solver's handling of numbers, dates,
durations, enums, formulas and precedence is tested on small hand-written policies citing the
Ningbo text (as in tests/test_interpret.py), and its boolean core against brute force.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import ir
from compiler import nodes as n
from compiler.check import check
from compiler.cli import main
from compiler.examples import (
    ClauseError,
    Example,
    examples_at,
    examples_json,
    facts_json,
    find_example,
    format_examples,
    rules_at,
    solve,
)
from compiler.interpret import Evaluator, coerce_facts, decide
from compiler.lower import lower
from compiler.project import load
from compiler.runtime.kinds import Kind

ROOT = Path(__file__).resolve().parent.parent
NINGBO_SHA256 = "cb0eeb5b5fef6fa5e40fb26a267488a9f313231a4d884eed4886e4deda41f394"

MODEL, _DIAGNOSTICS = check(load(ROOT))
PROJECT = lower(MODEL, ROOT)
DECISION_RULES = [
    (policy.id, rule.name)
    for policy in PROJECT.policies.values()
    for rule in policy.rules
    if rule.kind in (Kind.GATE, Kind.SITUATION, Kind.EXCLUSION)
]
CONDITIONAL_RULES = [
    (policy.id, rule.name)
    for policy in PROJECT.policies.values()
    for rule in policy.rules
    if rule.kind not in (Kind.GATE, Kind.SITUATION, Kind.EXCLUSION)
    and (rule.when is not None or rule.require is not None)
]


def rule_of(policy: ir.Policy, name: str) -> ir.Rule:
    return policy.rule(name)


def signature(model: ir.Program, policy: ir.Policy, rule: ir.Rule, facts: Mapping[str, Any]) -> Any:
    """What an example of `rule` establishes: for a gate whether it holds, else the outcome,
    the deciding rules and the situations they override (a scoped exclusion's example shows
    one that it takes relief away from)."""
    decision = decide(model, policy, facts)
    if rule.kind is Kind.GATE:
        return next(s.value for s in decision.rules if s.rule.name == rule.name)
    overridden = tuple((s.rule.name, s.overridden_by) for s in decision.rules if s.overridden_by)
    return decision.outcome, tuple(s.rule.name for s in decision.decisive), overridden


EXPECTED = {"situation": "applies", "exclusion": "excluded"}


def assert_decides(model: ir.Program, policy: ir.Policy, rule: ir.Rule, example: Example) -> None:
    assert example.facts is not None, f"{policy.id}.{rule.name}: {example.note}"
    decision = decide(model, policy, example.facts)
    if rule.kind is Kind.GATE:
        assert signature(model, policy, rule, example.facts) is True
    else:
        assert decision.outcome == EXPECTED[rule.kind]
        assert rule.name in [s.rule.name for s in decision.decisive]
    assert example.outcome == decision.outcome
    assert list(example.uses_judgments) == sorted(
        name for name in example.facts if name in model.judgments
    )


# ---------------------------------------------------------------- every rule of every policy


def test_the_project_has_decision_rules() -> None:
    assert {"ningbo", "weihai"} <= {p for p, _ in DECISION_RULES}


@pytest.mark.parametrize(("policy_id", "rule_name"), DECISION_RULES)
def test_decision_rule_example_decides(policy_id: str, rule_name: str) -> None:
    policy = PROJECT.policies[policy_id]
    rule = rule_of(policy, rule_name)
    assert_decides(PROJECT, policy, rule, find_example(PROJECT, policy, rule))


@pytest.mark.parametrize(("policy_id", "rule_name"), DECISION_RULES)
def test_decision_rule_example_is_minimal(policy_id: str, rule_name: str) -> None:
    policy = PROJECT.policies[policy_id]
    rule = rule_of(policy, rule_name)
    example = find_example(PROJECT, policy, rule)
    assert example.facts is not None
    full = signature(PROJECT, policy, rule, example.facts)
    for name in example.facts:
        fewer = {k: v for k, v in example.facts.items() if k != name}
        assert signature(PROJECT, policy, rule, fewer) != full, f"{name} is not needed"


@pytest.mark.parametrize(("policy_id", "rule_name"), CONDITIONAL_RULES)
def test_other_rule_example_holds_and_is_minimal(policy_id: str, rule_name: str) -> None:
    policy = PROJECT.policies[policy_id]
    rule = rule_of(policy, rule_name)
    example = find_example(PROJECT, policy, rule)
    assert example.facts is not None, example.note
    assert example.outcome == "holds"
    conditions = [c for c in (rule.when, rule.require) if c is not None]

    def holds(facts: Mapping[str, Any]) -> bool:
        return all(Evaluator(PROJECT, facts).eval(c) is True for c in conditions)

    assert holds(example.facts)
    for name in example.facts:
        assert not holds({k: v for k, v in example.facts.items() if k != name}), name


@pytest.mark.parametrize("policy_id", sorted(PROJECT.policies))
def test_every_example_survives_the_json_round_trip(policy_id: str) -> None:
    policy = PROJECT.policies[policy_id]
    for rule in policy.rules:
        example = find_example(PROJECT, policy, rule)
        assert example.facts is not None, f"{rule.name}: {example.note}"
        shown = facts_json(PROJECT, example.facts)
        assert list(shown) == sorted(shown)
        assert coerce_facts(PROJECT, json.loads(json.dumps(shown))) == example.facts


def test_prefers_examples_without_judgments() -> None:
    # 宁波 第五条（五）: missed_grant and a judgment; a situation needs that exclusion false, and
    # missed_grant = false does it without asking anyone.
    policy = PROJECT.policies["ningbo"]
    example = find_example(PROJECT, policy, rule_of(policy, "concealment_undetected"))
    assert example.facts is not None
    assert example.facts["missed_grant"] is False
    assert "missed_coverage_bad_social_impact" not in example.facts
    # 无重大不良影响 is a judgment that no fact can replace.
    assert "major_adverse_impact" in example.uses_judgments


def test_a_number_witness_is_the_boundary() -> None:
    policy = PROJECT.policies["weihai"]
    example = find_example(PROJECT, policy, rule_of(policy, "death_undetected"))
    assert example.facts is not None
    assert example.facts["weihai_months_paid_after_death"] == Decimal(3)  # `>= 3`


# ---------------------------------------------------------------- clauses


def test_clause_in_half_width_brackets_is_the_same_clause() -> None:
    policy = PROJECT.policies["ningbo"]
    full, rules = rules_at(policy, "第四条（一）3")
    half, same = rules_at(policy, "第四条(一)3")
    assert full == half and rules == same
    assert [r.name for r in rules] == ["verification_data_error", "doubt_favours_applicant"]


@pytest.mark.parametrize(
    ("clause", "message"),
    [
        ("第四条（一", "expected 第N章, 第N条"),
        ("第九十条", "ningbo has no clause 第九十条; nearest clauses:"),
        ("第一条", "it is informative (purpose)"),
        ("第三条（二）", "it is informative (principle)"),  # marked through its parent
        ("第四条（一）", "rules cite 第四条（一）1, 第四条（一）2"),
    ],
)
def test_bad_clauses_say_what_was_expected(clause: str, message: str) -> None:
    with pytest.raises(ClauseError) as error:
        rules_at(PROJECT.policies["ningbo"], clause)
    assert message in str(error.value)


def test_examples_are_deterministic() -> None:
    policy = PROJECT.policies["ningbo"]
    first = examples_json(PROJECT, examples_at(PROJECT, policy, "第四条（二）8"))
    again = examples_json(PROJECT, examples_at(PROJECT, policy, "第四条（二）8"))
    assert json.dumps(first, ensure_ascii=False) == json.dumps(again, ensure_ascii=False)


# ---------------------------------------------------------------- the command line


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--root", str(ROOT), *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI on the model loaded above: the many round trips need not re-check the project."""
    monkeypatch.setattr("compiler.cli._load_model", lambda *_: (MODEL, [], set()))


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "example", "weihai", "三(十三)", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["policy"] == "weihai" and report["clause"] == "三（十三）"
    [entry] = report["examples"]
    assert set(entry) >= {"rule", "kind", "clause", "facts", "outcome", "uses_judgments"}
    assert entry["rule"] == "death_undetected" and entry["kind"] == "situation"
    assert entry["outcome"] == "applies"
    assert entry["facts"]["weihai_months_paid_after_death"] == 3
    assert entry["uses_judgments"] == ["weihai_other_non_tolerable"]


@pytest.mark.parametrize("policy_id", ["ningbo", "weihai"])
def test_cli_facts_round_trip_through_decide(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    loaded_once: None,
    policy_id: str,
) -> None:
    policy = PROJECT.policies[policy_id]
    rules = [r for r in policy.rules if r.kind in EXPECTED]
    for citation in dict.fromkeys(r.clause.written for r in rules):
        code, out, _ = run(capsys, "example", policy_id, citation, "--json")
        assert code == 0
        for entry in json.loads(out)["examples"]:
            if entry["kind"] not in EXPECTED:
                continue
            monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(entry["facts"])))
            code, out, err = run(capsys, "decide", policy_id, "--facts", "-", "--json")
            assert code == 0, err
            decision = json.loads(out)
            assert decision["outcome"] == EXPECTED[entry["kind"]] == entry["outcome"]
            assert entry["rule"] in [d["rule"] for d in decision["decided_by"]]


def test_cli_text(capsys: pytest.CaptureFixture[str], loaded_once: None) -> None:
    code, out, _ = run(capsys, "example", "ningbo", "第四条（一）2")
    assert code == 0
    assert out.startswith("ningbo 第四条（一）2: 1 rule")
    assert "situation concealment_undetected (第四条（一）2) → applies" in out
    assert "ningbo_applicant_misreported = true" in out and "造成错保（错救）" in out
    assert "major_adverse_impact = false" in out and "[judgment]" in out
    assert "uses judgments" in out


def test_cli_text_for_a_gate(capsys: pytest.CaptureFixture[str], loaded_once: None) -> None:
    code, out, _ = run(capsys, "example", "ningbo", "第四条")
    assert code == 0
    assert "gate gate_policy (第四条) → undetermined" in out
    assert "complies_with_policy = true" in out and "the gate holds" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("atlantis", "一"), "no policy 'atlantis'; policies:"),
        (("ningbo", "第四条（一"), "invalid citation"),
        (("ningbo", "Article 4"), "expected 第N章, 第N条"),
        (("ningbo", "第九十条"), "ningbo has no clause 第九十条"),
        (("ningbo", "第一条"), "informative"),
        (("weihai", "四"), "rules cite 四（一）"),
    ],
)
def test_cli_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], loaded_once: None, argv: tuple[str, str], message: str
) -> None:
    code, out, err = run(capsys, "example", *argv)
    assert code == 2
    assert out == ""
    assert message in err


def test_cli_is_deterministic_across_processes(capsys: pytest.CaptureFixture[str]) -> None:
    """Set iteration order changes with PYTHONHASHSEED; the output must not."""
    argv = ("example", "ningbo", "第四条（二）8", "--json")
    code, here, _ = run(capsys, *argv)
    assert code == 0
    seed = "1" if os.environ.get("PYTHONHASHSEED") == "0" else "0"  # not this process's seed
    env = {**os.environ, "PYTHONHASHSEED": seed}
    there = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "--root", str(ROOT), *argv],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert there.stdout == here


# ---------------------------------------------------------------- small policies

HEADER = (
    'policy x {{ title "x" decision exemption "尽职免责" '
    'source "sources/ningbo.txt" sha256 "{sha}" }}\n'
)
VOCABULARY = """
fact a: bool "甲"
fact b: bool "乙"
fact c: bool "丙"
fact count: int "人数"
fact household_size: int "家庭人数"
fact income: money "月收入"
fact standard: money "低保标准"
fact share: ratio "比例"
fact applied_date: date "申请日期"
fact accepted_date: date "受理日期"
fact waiting: duration "等待期"
fact remark: text "备注"
fact applied_programme: enum programme "救助项目"
judgment other "其他依规履职尽责的情形"
enum programme "社会救助项目" { dibao "城乡最低生活保障" tekun "特困人员救助供养" }
enum relief "处理结果" { exempt "免除相关责任" }
actor township "乡镇人民政府（街道办事处）"
define per_head: money at 第四条 = income / household_size
define quota: int at 第四条 = if count < 50000 then 4 else 6
define allowance: money at 第四条 = min(income * 30%, standard) + 100 yuan
"""


def build(root: Path, statements: str) -> tuple[ir.Program, ir.Policy]:
    policies = root / "policies"
    (policies / "sources").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "policies" / "sources" / "ningbo.txt", policies / "sources" / "ningbo.txt")
    (policies / "x.policy").write_text(
        HEADER.format(sha=NINGBO_SHA256) + VOCABULARY + statements, encoding="utf-8"
    )
    model, diagnostics = check(load(root))
    assert diagnostics == [], "\n".join(d.render() for d in diagnostics)
    program = lower(model, root)
    return program, program.policies["x"]


def example_of(
    tmp_path: Path, statements: str, rule: str = "s"
) -> tuple[ir.Program, ir.Policy, Example]:
    model, policy = build(tmp_path, statements)
    return model, policy, find_example(model, policy, rule_of(policy, rule))


def shown(tmp_path: Path, statements: str, rule: str = "s") -> dict[str, Any] | None:
    """The example's facts as JSON, after checking that it really decides."""
    model, policy, example = example_of(tmp_path, statements, rule)
    if example.facts is None:
        return None
    target = rule_of(policy, rule)
    assert_decides(model, policy, target, example)
    full = signature(model, policy, target, example.facts)
    for name in example.facts:
        fewer = {k: v for k, v in example.facts.items() if k != name}
        assert signature(model, policy, target, fewer) != full, f"{name} is not needed"
    return facts_json(model, example.facts)


@pytest.mark.parametrize(
    ("condition", "facts"),
    [
        ("count > 3", {"count": 4}),
        ("count >= 3", {"count": 3}),
        ("count < 3", {"count": 2}),
        ("count <= 3", {"count": 3}),
        ("count == 3", {"count": 3}),
        ("count != 3", {"count": 4}),
        ("not (count > 3)", {"count": 3}),
        ("3 < count", {"count": 4}),
        ("income > 5000 yuan", {"income": 5001}),
        ("income >= 1234.5 yuan", {"income": "1234.5"}),
        ("share > 30%", {"share": "31%"}),
        ("share <= 30%", {"share": "30%"}),
        ("applied_date < 2024-01-01", {"applied_date": "2023-12-31"}),
        ("applied_date >= 2024-02-29", {"applied_date": "2024-02-29"}),
        ("waiting >= 3 months", {"waiting": "3 months"}),
        ("waiting + 2 months > 5 months", {"waiting": "4 months"}),
        ('remark == "走访"', {"remark": "走访"}),
        ("applied_programme in {tekun}", {"applied_programme": "tekun"}),
        ("not (applied_programme in {dibao})", {"applied_programme": "tekun"}),
        ("applied_programme == dibao", {"applied_programme": "dibao"}),
        ("count * 2 > 9", {"count": 5}),
        ("10 - count > 3", {"count": 6}),
        ("per_head > 500 yuan", {"household_size": 1, "income": 501}),
        ("quota >= 5", {"count": 50000}),
        ("allowance > 300 yuan", {"income": "666.67", "standard": 1000}),
        ("applied_date + 1 months <= accepted_date", None),
        ("day_of_month(applied_date) <= 10", {"applied_date": "2024-01-10"}),
        ("count > 3 and count < 5", {"count": 4}),
        ("count > 3 and count > 7", None),
    ],
)
def test_situation_values(tmp_path: Path, condition: str, facts: dict[str, Any] | None) -> None:
    found = shown(tmp_path, f"situation s at 第四条（一）2 {{ when {condition} }}")
    assert found is not None, condition
    if facts is not None:
        assert found == facts


def test_dates_relative_to_another_date(tmp_path: Path) -> None:
    found = shown(
        tmp_path, "situation s at 第四条（一）2 { when applied_date + 1 months <= accepted_date }"
    )
    assert found is not None and set(found) == {"applied_date", "accepted_date"}


def test_gates_and_exclusions_are_set(tmp_path: Path) -> None:
    found = shown(
        tmp_path,
        """
        gate g at 第四条 { when a }
        situation s at 第四条（一）2 { when b }
        exclusion e at 第五条（六） { when c or other overrides all }
        """,
    )
    # The exclusion must be known false: c and the judgment both false.
    assert found == {"a": True, "b": True, "c": False, "other": False}


def test_judgment_only_when_needed(tmp_path: Path) -> None:
    assert shown(tmp_path, "situation s at 第四条（一）2 { when other or a }") == {"a": True}
    model, _policy, example = example_of(
        tmp_path / "2", "situation s at 第四条（一）2 { when other and a }"
    )
    assert example.uses_judgments == ("other",)
    assert example.facts is not None and set(facts_json(model, example.facts)) == {"a", "other"}


def test_exclusion_of_all(tmp_path: Path) -> None:
    statements = """
    situation s at 第四条（一）2 { when a }
    exclusion e at 第五条（六） { when b and c overrides all }
    """
    assert shown(tmp_path, statements, "e") == {"b": True, "c": True}


def test_scoped_exclusion_overrides_a_situation_that_holds(tmp_path: Path) -> None:
    statements = """
    situation s1 at 第四条（一）2 { when a }
    situation s2 at 第四条（四）15 { when b }
    exclusion e at 第五条（一） { when c overrides s1 }
    """
    # c alone would leave s2 open; s1 must hold for e to decide, and s2 must not.
    assert shown(tmp_path, statements, "e") == {"a": True, "b": False, "c": True}


def test_unsatisfiable_rule_has_no_example(tmp_path: Path) -> None:
    _model, _policy, example = example_of(
        tmp_path, "situation s at 第四条（一）2 { when a and not a }"
    )
    assert example.facts is None and example.outcome is None
    assert example.note is not None and "no example found" in example.note


def test_a_gate_that_contradicts_the_situation(tmp_path: Path) -> None:
    _model, _policy, example = example_of(
        tmp_path, "gate g at 第四条 { when not a }\nsituation s at 第四条（一）2 { when a }"
    )
    assert example.facts is None


def test_requirement_and_liability(tmp_path: Path) -> None:
    model, policy = build(
        tmp_path,
        """
        requirement r at 第六条（四） { require count <= 5 when a actor township }
        liability l at 第五条（六） { actor township when b or other }
        scope sc at 第二条 { covers staff township }
        """,
    )
    r, li, sc = (find_example(model, policy, rule_of(policy, x)) for x in ("r", "l", "sc"))
    assert r.facts is not None and facts_json(model, r.facts) == {"a": True, "count": 5}
    assert r.outcome == "holds"
    assert li.facts == {"b": True} and li.uses_judgments == ()
    assert sc.facts == {} and sc.note is not None and "no condition" in sc.note


def test_format_examples_names_what_was_not_found(tmp_path: Path) -> None:
    model, policy = build(tmp_path, "situation s at 第四条（一）2 { when a and not a }")
    text = format_examples(model, examples_at(model, policy, "第四条（一）2"))
    assert "situation s (第四条（一）2): no example found" in text


def test_cli_exit_1_when_a_rule_has_no_example(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    build(tmp_path, "situation s at 第四条（一）2 { when a and not a }")
    code = main(["--root", str(tmp_path), "example", "x", "第四条（一）2", "--json"])
    out, err = capsys.readouterr()
    assert code == 1, err
    [entry] = json.loads(out)["examples"]
    assert entry["facts"] is None and "no example found" in entry["note"]


# ---------------------------------------------------------------- the boolean core, by brute force

SPAN = n.Span("t.policy", 1, 1, 1, 1)
BOOL = n.TypeRef("bool")
LETTERS = ("a", "b", "c", "d")
CORE = ir.Program(
    facts={
        **{x: ir.Input(x, BOOL, x) for x in LETTERS},
        "k": ir.Input("k", n.TypeRef("int"), "k"),
    },
    judgments={"j": ir.Input("j", BOOL, "j", judgment=True)},
    defines={},
    enums={},
    concepts={},
    actors={},
    policies={},
)

names = st.sampled_from([*LETTERS, "j"]).map(lambda x: n.Name(x, SPAN))
expressions = st.recursive(
    names,
    lambda inner: st.one_of(
        inner.map(lambda e: n.Not(e, SPAN)),
        st.tuples(st.sampled_from(["and", "or"]), st.lists(inner, min_size=2, max_size=3)).map(
            lambda t: n.BoolOp(t[0], tuple(t[1]), SPAN)
        ),
    ),
    max_leaves=8,
)


def is_true(expr: n.Expr) -> Callable[[Mapping[str, Any]], bool]:
    return lambda facts: Evaluator(CORE, facts).eval(expr) is True


def satisfiable(expr: n.Expr, variables: tuple[str, ...]) -> bool:
    return any(
        is_true(expr)(dict(zip(variables, values, strict=True)))
        for values in itertools.product((True, False), repeat=len(variables))
    )


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_core_finds_an_example_exactly_when_one_exists(expr: n.Expr) -> None:
    solution = solve(CORE, expr, is_true(expr))
    assert (solution.facts is not None) == satisfiable(expr, (*LETTERS, "j"))
    if solution.facts is None:
        return
    assert is_true(expr)(solution.facts)
    for name in solution.facts:  # minimal
        assert not is_true(expr)({k: v for k, v in solution.facts.items() if k != name})
    # A judgment only when the facts alone cannot do it.
    if "j" in solution.facts:
        assert not satisfiable(expr, LETTERS)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([">", ">=", "<", "<=", "==", "!="]),
    st.integers(-1000, 1000),
    st.booleans(),
)
def test_core_comparisons_pick_the_boundary(op: str, bound: int, want: bool) -> None:
    compare: n.Expr = n.Compare(
        op, n.Name("k", SPAN), n.Literal(Decimal(bound), n.TypeRef("int"), SPAN), SPAN
    )
    goal = compare if want else n.Not(compare, SPAN)
    solution = solve(CORE, goal, is_true(goal))
    assert solution.facts is not None
    value = solution.facts["k"]
    assert is_true(goal)({"k": value})
    # The witness is the nearest value on the right side of the bound.
    assert abs(value - bound) <= 1
