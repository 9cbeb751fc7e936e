"""Expressions back to policy-language text: `applicant_concealed_finances and not abused_power`.

The rule graph, the code generator and the comparison site all show conditions and formulas to
people, so they are printed in the language's own syntax, with only the parentheses that the
grammar (compiler/grammar/policy.lark) needs.  The output parses back to an equal tree:
``parse(to_text(e)) == e``, which tests/test_exprtext.py checks on every expression of the
project and on generated ones.

Precedence, loosest first, as in the grammar:

    if … then … else …   <  or  <  and  <  not  <  comparison, in  <  + -  <  * /  <  atoms

`and`/`or` lists are flat in the tree (``a and b and c`` is one `BoolOp`), so a nested
`BoolOp` of the same operator must keep its parentheses, or it would parse back flattened.
`+ - * /` fold to the left, so a right operand of the same level needs parentheses
(``a - (b - c)``).  A comparison takes no comparison operand (``(a == b) == c``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import assert_never

from compiler import nodes as n

# Binding strength of each expression form; a higher level binds tighter.
CONDITIONAL, OR, AND, NOT, COMPARISON, SUM, PRODUCT, ATOM = range(8)


def to_text(expr: n.Expr) -> str:
    """The policy-language spelling of an expression."""
    return _at(expr, CONDITIONAL)


def _at(expr: n.Expr, level: int) -> str:
    """`expr` as an operand that must bind at least as tightly as `level`."""
    text, own = _render(expr)
    return f"({text})" if own < level else text


def _render(expr: n.Expr) -> tuple[str, int]:
    """The text of `expr` and the level it binds at."""
    match expr:
        case n.Literal():
            return literal_text(expr), ATOM
        case n.Name():
            return expr.name, ATOM
        case n.Call():
            return f"{expr.function}({', '.join(_at(a, CONDITIONAL) for a in expr.args)})", ATOM
        case n.Not():
            return f"not {_at(expr.operand, NOT)}", NOT
        case n.BoolOp():
            # Operands of the same operator keep their parentheses: the tree is flat.
            operand_level = AND if expr.op == "or" else NOT
            joiner = f" {expr.op} "
            own = OR if expr.op == "or" else AND
            return joiner.join(_at(o, operand_level) for o in expr.operands), own
        case n.Compare():
            return f"{_at(expr.left, SUM)} {expr.op} {_at(expr.right, SUM)}", COMPARISON
        case n.InSet():
            return f"{_at(expr.operand, SUM)} in {{{', '.join(expr.members)}}}", COMPARISON
        case n.Arith():
            own = SUM if expr.op in ("+", "-") else PRODUCT
            # Left-associative: the left operand may be of the same level, the right may not.
            return f"{_at(expr.left, own)} {expr.op} {_at(expr.right, own + 1)}", own
        case n.Conditional():
            # The condition and the `then` branch are delimited by keywords, so they need no
            # parentheses; a nested conditional there gets them anyway, for the reader.  An
            # `else if` chain reads naturally without.
            return (
                f"if {_at(expr.condition, OR)} then {_at(expr.then, OR)} "
                f"else {_at(expr.otherwise, CONDITIONAL)}",
                CONDITIONAL,
            )
        case _:
            assert_never(expr)


def literal_text(literal: n.Literal) -> str:
    """A literal as written: `true`, `12`, `30%`, `5000 yuan`, `2024-09-27`, `3 months`, "…"."""
    value = literal.value
    match literal.type.name:
        case "bool":
            return "true" if value is True else "false"
        case "int":
            assert isinstance(value, Decimal)
            return number_text(value)
        case "money":
            assert isinstance(value, Decimal)
            return f"{number_text(value)} yuan"
        case "ratio":
            assert isinstance(value, Decimal)
            return ratio_text(value)
        case "date":
            assert isinstance(value, date)
            return value.isoformat()
        case "datetime":  # written in policy tests only
            assert isinstance(value, datetime)
            # Minutes, and seconds only when there are any: as the grammar's DATETIME reads.
            return value.isoformat(timespec="seconds" if value.second else "minutes")
        case "duration":
            assert isinstance(value, n.Duration)
            return str(value)
        case _:
            assert isinstance(value, str)
            return string_text(value)


def number_text(value: Decimal) -> str:
    """A Decimal in plain notation (never `1E+3`): the grammar's NUMBER has no exponent and
    no sign (the parser never makes a negative literal; `-0` would not parse back)."""
    text = format(value.copy_abs() if value.is_zero() else value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def ratio_text(value: Decimal) -> str:
    """A ratio as a percentage (`30%`) up to 100 %; above, as a decimal with a point (`1.5`).

    Both spellings parse to a ratio: a bare number is a ratio exactly when it has a point.
    """
    if value <= 1:
        return f"{number_text(value * 100)}%"
    text = number_text(value)
    return text if "." in text else f"{text}.0"


def string_text(value: str) -> str:
    """A text literal: only `\\` and `"` are escaped, as the parser unescapes only those."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def within_text(within: n.Within) -> str:
    """A time limit as written: `7 workdays from a until b excluding public_notice`."""
    return limit_text(
        within.limit,
        within.start,
        within.end,
        within.excluding,
        within.excluded_from,
        within.excluded_until,
    )


def limit_text(
    amount: n.Duration,
    start: str | None,
    end: str | None,
    excluding: str | None,
    excluded_from: str | None,
    excluded_until: str | None,
) -> str:
    """`7 workdays from a until b excluding public_notice from c until d`, parts as given."""
    parts = [str(amount)]
    if start is not None:
        parts.append(f"from {start}")
    if end is not None:
        parts.append(f"until {end}")
    if excluding is not None:
        parts.append(f"excluding {excluding}")
        if excluded_from is not None and excluded_until is not None:
            parts.append(f"from {excluded_from} until {excluded_until}")
    return " ".join(parts)
