"""The lowered model (compiler/ir.py): what every backend reads.

Snapshots of `policyc dump --ir` for every policy (one readable text file each under
tests/__snapshots__/test_ir/; review the diff, then `--snapshot-update`), and the properties the
lowering promises: one rule per statement, precedence made explicit, every time limit once with
its amount, extension and excluded period, reads through definitions, the kinds table complete.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from compiler import ir
from compiler import nodes as n
from compiler.check import check
from compiler.cli import main
from compiler.kinds import SPECS
from compiler.lower import load_program, lower
from compiler.project import load
from compiler.runtime import kinds as runtime_kinds
from compiler.runtime.kinds import CHECKED_KINDS, DECISION_KINDS, Kind, Role
from compiler.runtime.records import record_schema
from compiler.runtime.values import NUMERIC, ORDERED, TYPES, FactSpec, coerce

ROOT = Path(__file__).resolve().parent.parent
MODEL, _ = check(load(ROOT))
PROGRAM = lower(MODEL, ROOT)
IDS = sorted(PROGRAM.policies)


@pytest.mark.parametrize("policy_id", IDS)
def test_ir_snapshot(policy_id: str, text_snapshot: SnapshotAssertion) -> None:
    assert ir.format_program(PROGRAM, (policy_id,)) == text_snapshot


def test_a_relative_root_lowers_the_same_program(monkeypatch: pytest.MonkeyPatch) -> None:
    """`load_program(Path("."))` from the project: once every display path was absolute, no
    file was a shared one, and every name the shared vocabulary declares was an E122."""
    monkeypatch.chdir(ROOT / "policies")
    assert ir.to_plain(load_program(Path(".."))) == ir.to_plain(PROGRAM)


def test_dump_ir_prints_the_snapshot_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "dump", "--ir", "weihai"]) == 0
    by_id = capsys.readouterr().out
    assert by_id == ir.format_program(PROGRAM, ("weihai",))
    assert main(["--root", str(ROOT), "dump", "--ir", str(ROOT / "policies/weihai.policy")]) == 0
    assert capsys.readouterr().out == by_id


def test_dump_ir_json_is_plain_and_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "dump", "--ir", "--json", "taierzhuang"]) == 0
    first = capsys.readouterr().out
    assert main(["--root", str(ROOT), "dump", "--ir", "--json", "taierzhuang"]) == 0
    assert capsys.readouterr().out == first
    policy = json.loads(first)["taierzhuang"]
    limits = {limit["name"]: limit for limit in policy["limits"]}
    assert limits["approval_limit"]["amount"] == "12 workdays"
    assert "document" not in policy  # the official text is not repeated


def test_dump_ir_of_an_unknown_policy_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "dump", "--ir", "nowhere"]) == 2
    assert "no policy 'nowhere'" in capsys.readouterr().err


def test_load_program_is_the_lowered_project() -> None:
    assert ir.format_program(load_program(ROOT)) == ir.format_program(PROGRAM)


# ---------------------------------------------------------------- what lowering promises


def test_every_statement_is_one_rule_in_document_order() -> None:
    for policy_id, checked in MODEL.policies.items():
        lowered = PROGRAM.policies[policy_id]
        assert [r.name for r in lowered.rules] == [s.name for s in checked.statements]
        assert [r.kind for r in lowered.rules] == [s.kind for s in checked.statements]
        for rule, statement in zip(lowered.rules, checked.statements, strict=True):
            assert rule.clause.written == statement.citation.text
            assert rule.clause.quotes == tuple(q.text for q in statement.quotes)
            clause = checked.clause_of(statement.citation)
            assert clause is not None and rule.clause.clause == clause


def test_precedence_is_explicit() -> None:
    for policy in PROGRAM.policies.values():
        situations = [r.name for r in policy.of_kind(Kind.SITUATION)]
        for exclusion in policy.of_kind(Kind.EXCLUSION):
            targets = [o.target for o in policy.precedence if o.exclusion == exclusion.name]
            expected = situations if exclusion.overrides_all else list(exclusion.overrides)
            assert targets == expected
            assert all(policy.defeats(exclusion.name, t) for t in targets)
        assert {o.exclusion for o in policy.precedence} <= {
            r.name for r in policy.of_kind(Kind.EXCLUSION)
        }


def test_limits_are_every_within_once() -> None:
    for policy_id, checked in MODEL.policies.items():
        lowered = PROGRAM.policies[policy_id]
        written = checked.limits()
        assert [limit.name for limit in lowered.limits] == list(written)
        for limit in lowered.limits:
            statement, within, extend = written[limit.name]
            assert limit.rule == statement.name
            assert limit.amount == within.limit
            assert (limit.start, limit.end, limit.excluding) == (
                within.start,
                within.end,
                within.excluding,
            )
            assert (limit.extend.amount if limit.extend else None) == (
                extend.limit if extend else None
            )
            assert set(limit.dates) <= set(limit.reads)


def test_reads_follow_definitions() -> None:
    lucheng = PROGRAM.policies["lucheng"]
    cap = lucheng.rule("temporary_aid_household_cap")
    # `require lucheng_deliberated_temporary_aid <= lucheng_temporary_aid_cap`, where the cap is
    # household size × monthly standard × 20 (鹿城 三（五）).
    assert cap.reads == (
        "lucheng_deliberated_temporary_aid",
        "lucheng_household_size",
        "lucheng_monthly_dibao_standard",
    )
    assert cap.require is not None
    assert PROGRAM.defines_of(cap.require) == ("lucheng_temporary_aid_cap",)


def test_a_cycle_of_definitions_cannot_loop() -> None:
    span = n.Span("x", 1, 1, 1, 1)
    clause = next(iter(PROGRAM.defines.values())).clause

    def define(name: str, other: str) -> ir.Define:
        return ir.Define(name, n.TypeRef("int"), "x", clause, n.Name(other, span), ())

    program = ir.Program({}, {}, {"p": define("p", "q"), "q": define("q", "p")}, {}, {}, {}, {})
    assert program.defines_of(n.Name("p", span)) == ("p", "q")


def test_inputs_are_every_field_a_record_may_have() -> None:
    for policy in PROGRAM.policies.values():
        read = {name for rule in policy.rules for name in rule.reads}
        read |= {name for limit in policy.limits for name in limit.reads}
        assert read <= set(policy.inputs)
        assert list(policy.inputs) == sorted(policy.inputs)
        assert all(PROGRAM.is_input(name) for name in policy.inputs)


def test_policy_and_program_compare_by_identity() -> None:
    # Caches of derived tables key on them (compiler.interpret.info).
    assert hash(PROGRAM) == id(PROGRAM) or PROGRAM == PROGRAM
    again = lower(MODEL, ROOT)
    assert again != PROGRAM
    assert ir.format_program(again) == ir.format_program(PROGRAM)


# ---------------------------------------------------------------- the table of kinds


def grammar_text() -> str:
    from compiler import parser

    return parser.grammar_text()


def test_the_grammar_lists_exactly_the_kinds_of_the_table() -> None:
    grammar = grammar_text()
    match = re.search(r"^KIND:(.*?)\n\n", grammar, re.S | re.M)
    assert match is not None
    words = set(re.findall(r'"(\w+)"', match.group(1)))
    assert words == {k.value for k in Kind}


def test_the_grammar_lists_exactly_the_outcomes_of_the_decision() -> None:
    from compiler.runtime.decision import Outcome

    match = re.search(r"^OUTCOME:(.*?)\n(?=\S)", grammar_text(), re.S | re.M)
    assert match is not None
    words = set(re.findall(r'"(\w+)"', match.group(1)))
    assert words == {o.value for o in Outcome}


def test_every_kind_has_a_spec_and_a_role() -> None:
    assert set(SPECS) == set(Kind)
    assert set(runtime_kinds.ROLES) == set(Kind)
    for kind, spec in SPECS.items():
        assert spec.kind is kind
        assert set(spec.required) <= set(spec.allowed)
        assert n.Note in spec.allowed
    assert DECISION_KINDS == (Kind.GATE, Kind.SITUATION, Kind.EXCLUSION)
    assert set(CHECKED_KINDS) == {Kind.DUTY, Kind.REQUIREMENT, Kind.LIABILITY}
    assert all(SPECS[k].role is Role.DECISION for k in DECISION_KINDS)


# ---------------------------------------------------------------- the table of value types


def test_the_grammar_lists_exactly_the_types_of_the_table() -> None:
    grammar = grammar_text()
    match = re.search(r"^BASE_TYPE:(.*)$", grammar, re.M)
    assert match is not None
    words = set(re.findall(r'"(\w+)"', match.group(1)))
    assert words | {"enum"} == set(TYPES)  # an enum is written `enum NAME`


def test_the_type_table_drives_checks_parsing_and_schemas() -> None:
    assert {"int", "ratio"} == NUMERIC
    assert {"int", "ratio", "money", "date", "duration"} == ORDERED
    for name, value_type in TYPES.items():
        spec = FactSpec("f", name, "标签", members=("a",))
        assert value_type.name == name
        assert "anyOf" in record_schema("p", "t", {"f": spec})["properties"]["f"]  # type: ignore[index]
    assert coerce(FactSpec("f", "ratio", "比例"), "30%") == Decimal("0.3")
