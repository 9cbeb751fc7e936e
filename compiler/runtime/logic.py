"""The operations of policy conditions under Kleene's three-valued logic.

Both evaluators use these: the reference interpreter (walking the AST) and the generated
validators (conditions compiled to calls of these functions).  `and_` and `or_` take thunks
so that an operand after a decisive one is never evaluated, as in the interpreter.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .timelimits import add_months
from .values import Duration, FactError, Known, Unknown, Value

Thunk = Callable[[], Value]
# The needs of a known value, in the generated `needs_x` functions (nothing to wait on).
NO_NEEDS: frozenset[str] = frozenset()

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}

# Durations compare within a family: months with years, hours with days; workdays only with
# workdays (how many calendar days a workday spans depends on the calendar).
_FAMILY = {"months": ("m", 1), "years": ("m", 12), "days": ("h", 24), "hours": ("h", 1)}


def fact(facts: Mapping[str, Known], name: str) -> Value:
    value = facts.get(name)
    return Unknown(frozenset({name})) if value is None else value


def merge(*values: Value) -> Unknown:
    needs: set[str] = set()
    for value in values:
        if isinstance(value, Unknown):
            needs |= value.needs
    return Unknown(frozenset(needs))


def unknown_among(*values: Value) -> Unknown | None:
    pending = [v for v in values if isinstance(v, Unknown)]
    return merge(*pending) if pending else None


def and_(*operands: Thunk) -> Value:
    return _connective(False, operands)


def or_(*operands: Thunk) -> Value:
    return _connective(True, operands)


def _connective(decisive: bool, operands: tuple[Thunk, ...]) -> Value:
    # `decisive` settles the whole: true for or, false for and.
    pending: list[Value] = []
    for operand in operands:
        value = operand()
        if isinstance(value, Unknown):
            pending.append(value)
        elif value is decisive:
            return decisive
    return merge(*pending) if pending else not decisive


def not_(value: Value) -> Value:
    return value if isinstance(value, Unknown) else not value


def in_set(value: Value, members: Collection[str]) -> Value:
    return value if isinstance(value, Unknown) else value in members


def conditional(condition: Value, then: Thunk, otherwise: Thunk) -> Value:
    if isinstance(condition, Unknown):
        first, second = then(), otherwise()
        if not isinstance(first, Unknown) and first == second:
            return first
        return merge(condition, first, second)
    return then() if condition else otherwise()


def compare(op: str, left: Value, right: Value) -> Value:
    unknown = unknown_among(left, right)
    if unknown is not None:
        return unknown
    return compare_known(op, left, right)


def compare_known(op: str, left: Value, right: Value) -> bool:
    """`compare` of two known values: the generated validators' fast conditions call it where
    an operand may be a duration (durations compare by family, or refuse)."""
    if isinstance(left, Duration) and isinstance(right, Duration):
        left_key, right_key = _duration_key(left, right)
        return _ordered(op, left_key, right_key)
    return _ordered(op, left, right)


def _ordered(op: str, left: object, right: object) -> bool:
    return bool(_OPERATORS[op](left, right))


def _duration_key(left: Duration, right: Duration) -> tuple[int, int]:
    if left.unit == right.unit:
        return left.amount, right.amount
    if left.unit in _FAMILY and right.unit in _FAMILY:
        (left_family, left_scale), (right_family, right_scale) = (
            _FAMILY[left.unit],
            _FAMILY[right.unit],
        )
        if left_family == right_family:
            return left.amount * left_scale, right.amount * right_scale
    # Days to years (or workdays to anything) is no exact conversion: 3650 days is 10 years
    # less two or three leap days.  The comparison is refused rather than guessed.
    raise FactError(
        f"cannot compare {left} with {right}: {left.unit} do not convert exactly to "
        f"{right.unit}; give the duration in {_exact_units(right.unit)}"
    )


def _exact_units(unit: str) -> str:
    if unit not in _FAMILY:
        return unit
    family = _FAMILY[unit][0]
    return " or ".join(u for u, (f, _) in _FAMILY.items() if f == family)


def arith(op: str, left: Value, right: Value) -> Value:
    unknown = unknown_among(left, right)
    if unknown is not None:
        return unknown
    return arith_known(op, left, right)


def arith_known(op: str, left: Value, right: Value) -> Value:
    """`arith` of two known values (the same results and the same errors)."""
    if isinstance(left, date) and isinstance(right, Duration):
        return _shift(left, right, 1 if op == "+" else -1)
    if isinstance(left, Duration) and isinstance(right, Duration):
        if left.unit != right.unit:
            raise FactError(f"cannot add {left.unit} to {right.unit}")
        total = left.amount + right.amount if op == "+" else left.amount - right.amount
        return Duration(total, left.unit)
    if not isinstance(left, Decimal) or not isinstance(right, Decimal):
        raise FactError(f"cannot compute {left} {op} {right}")
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        raise FactError("division by zero")
    return left / right


def _shift(day: date, duration: Duration, sign: int) -> date:
    if duration.unit not in ("days", "months", "years"):
        raise FactError(f"date arithmetic with {duration.unit} needs the calendar: use a deadline")
    try:
        if duration.unit == "days":
            return day + timedelta(days=sign * duration.amount)
        months = duration.amount * (12 if duration.unit == "years" else 1)
        return add_months(day, sign * months)
    except OverflowError:
        # A record's 9999-12-31 plus a limit has no date: say so for that record.
        edge = "after 9999-12-31" if sign > 0 else "before 0001-01-01"
        raise FactError(f"{day} {'+' if sign > 0 else '-'} {duration} is {edge}") from None


def call(function: str, *args: Value) -> Value:
    unknown = unknown_among(*args)
    if unknown is not None:
        return unknown
    return call_known(function, *args)


def call_known(function: str, *args: Value) -> Value:
    """`call` of known arguments (the same results and the same errors)."""
    if function == "day_of_month":
        day = args[0]
        if not isinstance(day, date):
            raise FactError(f"day_of_month needs a date, not {day}")
        return Decimal(day.day)
    if function == "inclusive_days":
        # A notice dated by its first and last day counts both (3/4–3/6 is a 3-day notice),
        # unlike a period, whose start day does not count (民法典 第二百零一条).
        first, last = args
        if not isinstance(first, date) or not isinstance(last, date):
            raise FactError(f"inclusive_days needs two dates, not {first} and {last}")
        return Decimal((_day(last) - _day(first)).days + 1)
    if function == "min":
        return min(args)  # type: ignore[type-var]
    return max(args)  # type: ignore[type-var]


def _day(moment: date) -> date:
    # A date-time counts as its day: the number of days a notice ran ignores the hour.
    return moment.date() if isinstance(moment, datetime) else moment
