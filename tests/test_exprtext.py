"""The expression printer: readable policy text that parses back to the same tree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import nodes as n
from compiler.check import check
from compiler.exprtext import literal_text, number_text, to_text, within_text
from compiler.parser import parse_text
from compiler.project import load

ROOT = Path(__file__).resolve().parent.parent
SPAN = n.Span("t.policy", 0, 0, 0, 0)  # spans are not compared


def parse_expr(text: str) -> n.Expr:
    """The condition of `situation s at 序言 { when TEXT }`."""
    module, diagnostics = parse_text(f"situation s at 序言 {{ when {text} }}", "t.policy")
    assert diagnostics == [] and module is not None, (text, [d.render() for d in diagnostics])
    statement = module.items[0]
    assert isinstance(statement, n.Statement)
    when = statement.first(n.When)
    assert when is not None
    return when.condition


def roundtrip(text: str) -> str:
    return to_text(parse_expr(text))


# ---------------------------------------------------------------- readable output


@pytest.mark.parametrize(
    "text",
    [
        "applicant_concealed_finances and not abused_power",
        "household_size * monthly_dibao_standard * 20",
        "a or b and c",
        "(a or b) and c",
        "a and (b or c) and d",
        "not (a and b)",
        "not not a",
        "not a == b",
        "a - (b - c)",
        "a - b - c",
        "(a + b) * c",
        "a / (b * c)",
        "a + b * c >= d",
        "programme in {dibao, tekun}",
        "(a == b) == c",
        "min(a, b) + max(c, d, e)",
        "if a then b else c",
        "if a then b else if c then d else e",
        "if (if a then b else c) then d else e",
        "(if a then b else c) + 1",
        "income <= 5000 yuan",
        "share > 30%",
        "x * 1.5",
        "weihai_months_paid_after_death >= 3",
        "recovered_date < 2024-09-27",
        "waited >= 3 months",
        'remark == "含\\"引号\\"与\\\\反斜杠"',
        "true and not false",
    ],
)
def test_canonical_text_prints_as_written(text: str) -> None:
    assert roundtrip(text) == text


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("((a))", "a"),
        ("(a and b) or (c and d)", "a and b or c and d"),
        ("a * (b * c)", "a * (b * c)"),
        ("(a * b) * c", "a * b * c"),
        ("not (a == b)", "not a == b"),
        ("(not a) and b", "not a and b"),
        ("x >= (1 + 2)", "x >= 1 + 2"),
        ("12.50 yuan > 0.500", "12.5 yuan > 50%"),
        ("r == 150%", "r == 1.5"),
        ("r == 200%", "r == 2.0"),
        ("r == 0%", "r == 0%"),
    ],
)
def test_only_needed_parentheses_and_plain_numbers(written: str, printed: str) -> None:
    assert roundtrip(written) == printed


def test_number_text_never_uses_an_exponent() -> None:
    assert number_text(Decimal("1E+3")) == "1000"
    assert number_text(Decimal("-0.00")) == "0"
    assert number_text(Decimal("0.0300")) == "0.03"


def test_literal_text_of_each_type() -> None:
    def lit(value: n.Value, type_: str) -> str:
        return literal_text(n.Literal(value, n.TypeRef(type_), SPAN))

    assert lit(True, "bool") == "true"
    assert lit(Decimal(12), "int") == "12"
    assert lit(Decimal("0.3"), "ratio") == "30%"
    assert lit(Decimal("5000"), "money") == "5000 yuan"
    assert lit(date(2024, 9, 27), "date") == "2024-09-27"
    assert lit(n.Duration(3, "months"), "duration") == "3 months"
    assert lit("申请", "text") == '"申请"'


def test_within_text() -> None:
    within = n.Within(n.Duration(7, "workdays"), "a", "b", "public_notice", SPAN, "c", "d")
    assert within_text(within) == "7 workdays from a until b excluding public_notice from c until d"
    assert within_text(n.Within(n.Duration(3, "days"), None, None, None, SPAN)) == "3 days"


def test_not_an_expression_fails_loudly() -> None:
    with pytest.raises(AssertionError):
        to_text("a")  # type: ignore[arg-type]


# ---------------------------------------------------------------- round trips


def project_expressions() -> Iterator[n.Expr]:
    model, _ = check(load(ROOT))
    for define in model.defines.values():
        yield define.expr
    for policy in model.policies.values():
        for statement in policy.statements:
            items = list(statement.items)
            for step in statement.all(n.Step):
                items += step.items
            for item in items:
                if isinstance(item, n.When | n.Require | n.Extend):
                    yield item.condition


PROJECT_EXPRESSIONS = list(project_expressions())


def test_the_project_has_expressions() -> None:
    assert len(PROJECT_EXPRESSIONS) > 50


@pytest.mark.parametrize("expr", PROJECT_EXPRESSIONS, ids=lambda e: f"{e.span}")
def test_every_project_expression_round_trips(expr: n.Expr) -> None:
    assert parse_expr(to_text(expr)) == expr


NAMES = st.sampled_from(["a", "b", "household_size", "applicant_concealed_finances", "x1"])
UNITS = st.sampled_from(["workdays", "days", "hours", "months", "years"])


def _literal(value: n.Value, type_: str) -> n.Literal:
    return n.Literal(value, n.TypeRef(type_), SPAN)


LITERALS = st.one_of(
    st.booleans().map(lambda v: _literal(v, "bool")),
    st.integers(0, 10**9).map(lambda v: _literal(Decimal(v), "int")),
    st.decimals(0, 10**7, places=2).map(lambda v: _literal(v, "money")),
    st.decimals(0, 10, places=4).map(lambda v: _literal(v, "ratio")),
    st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(lambda v: _literal(v, "date")),
    st.builds(n.Duration, st.integers(0, 100), UNITS).map(lambda v: _literal(v, "duration")),
    # The language's strings cannot hold a line break.
    st.text(st.characters(blacklist_characters="\n"), max_size=8).map(
        lambda v: _literal(v, "text")
    ),
)
LEAVES = st.one_of(NAMES.map(lambda v: n.Name(v, SPAN)), LITERALS)


def _compound(children: st.SearchStrategy[n.Expr]) -> st.SearchStrategy[n.Expr]:
    pair = st.tuples(children, children)
    return st.one_of(
        children.map(lambda e: n.Not(e, SPAN)),
        st.builds(
            lambda op, xs: n.BoolOp(op, tuple(xs), SPAN),
            st.sampled_from(["and", "or"]),
            st.lists(children, min_size=2, max_size=3),
        ),
        st.builds(
            lambda op, lr: n.Compare(op, lr[0], lr[1], SPAN),
            st.sampled_from([">=", "<=", "==", "!=", ">", "<"]),
            pair,
        ),
        st.builds(
            lambda e, ms: n.InSet(e, tuple(ms), SPAN),
            children,
            st.lists(NAMES, min_size=1, max_size=3),
        ),
        st.builds(
            lambda op, lr: n.Arith(op, lr[0], lr[1], SPAN),
            st.sampled_from(["+", "-", "*", "/"]),
            pair,
        ),
        st.builds(
            lambda f, xs: n.Call(f, tuple(xs), SPAN),
            st.sampled_from(["min", "max"]),
            st.lists(children, min_size=1, max_size=3),
        ),
        st.builds(lambda c, t, o: n.Conditional(c, t, o, SPAN), children, children, children),
    )


EXPRESSIONS = st.recursive(LEAVES, _compound, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(EXPRESSIONS)
def test_generated_expressions_round_trip(expr: n.Expr) -> None:
    assert parse_expr(to_text(expr)) == expr
