"""The SQL backend: per policy, one SELECT that checks a table of case records and decides each
row, with the same statuses, needs, outcomes and deciding rules as the Python package.

The contract with the engines that run it (DuckDB in the validator package, Spark) is
docs/sql.md.  This module reads the IR (compiler/ir.py) only; generation is plain string
building, so the compiler needs no SQL library.

Three-valued logic is written out: a value is NULL when unknown, every connective is a CASE
with explicit `IS NULL` / `IS TRUE` / `IS FALSE` tests, and each value carries, alongside, the
facts it waits for as bitmasks over the policy's facts in sorted order (BIGINT words of 62
bits, combined with `|`), decoded at the end with CONCAT_WS.  A bitmask is 0 whenever its value
is known: so the needs of a comparison are the union of its operands', and those of a Kleene
`and`/`or` the union of all operands' when no operand decides it (compiler/runtime/logic.py).

The decision algorithm (compiler/runtime/decision.py) is unrolled at compile time: the rule set
and the `defeats` relation are fixed per policy, so which open rules matter is a boolean
expression over the rules' statuses, folded where the relation makes it constant.

Working days come from the calendar table the build writes (`calendar_csv`): a cumulative
index of working days, and, where Python's count is provisional (a holiday schedule not yet
published), its bounds precomputed by the runtime's own `due_bounds`.

Portability (DuckDB and Spark SQL): no quoted identifiers (names are the policy's snake_case
ids; generated columns start with `_`), string literals without `'` or `\\` inside (CHR(39) and
CHR(92) instead: Spark reads `''` as two adjacent literals and `\\` as an escape), date
arithmetic with INTERVAL literals, LEFT JOINs instead of correlated subqueries, and day counts
by a civil-calendar formula over YEAR/MONTH/DAY.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache, cached_property, lru_cache
from typing import Final, assert_never

from compiler import ir
from compiler import nodes as n
from compiler.backends.unroll import Algebra, unroll
from compiler.errors import PolicycError
from compiler.jsontext import indented
from compiler.runtime.kinds import CHECKED_KINDS, DECISION_KINDS, Kind
from compiler.runtime.policy import ROLLOVER_UNITS
from compiler.runtime.sqlcalendar import CalendarTableError, Column, Walk, calendar_table
from compiler.runtime.timelimits import (
    UNITS,
    WorkdayCalendar,
    load_calendar,
)
from compiler.runtime.values import TYPES

WORD_BITS: Final = 62  # bits per BIGINT word: the sign bit stays clear
INDENT: Final = "  "
NUMBER: Final = "DECIMAL(38, 10)"
# The fact types whose values are numbers (Python's Decimal): NUMBER columns.
NUMBER_TYPES: Final = frozenset(t.name for t in TYPES.values() if t.python == "Decimal")
_ID: Final = re.compile(r"[a-z][a-z0-9_]*")
# Words DuckDB or Spark reserve, which a fact named so would break as a bare column name.
_RESERVED: Final = frozenset(
    """all and any array as asc between both by case cast check collate column constraint create
    cross current_date current_time current_timestamp current_user default desc distinct do
    else end except false fetch for foreign from full grant group having in inner intersect
    interval into is join lateral leading left like limit natural not null offset on only or
    order outer overlaps primary references right select session_user some table then to
    trailing true union unique user using when where window with""".split()  # noqa: SIM905
)
_FAMILY: Final = {"months": ("m", 1), "years": ("m", 12), "days": ("h", 24), "hours": ("h", 1)}


class SqlUnsupported(PolicycError):
    """A policy uses a form the SQL backend does not compile (said at build time)."""


# ---------------------------------------------------------------- text


def sql_string(text: str) -> str:
    """A string literal that means the same on DuckDB and Spark: `'` and `\\` never appear
    inside quotes (Spark concatenates `'a''b'` to `ab` and reads `\\` as an escape)."""
    pieces: list[str] = []
    current = ""
    for char in text:
        if char in ("'", "\\"):
            if current:
                pieces.append(f"'{current}'")
                current = ""
            pieces.append(f"CHR({ord(char)})")
        else:
            current += char
    if current or not pieces:
        pieces.append(f"'{current}'")
    return pieces[0] if len(pieces) == 1 else f"CONCAT({', '.join(pieces)})"


@lru_cache(maxsize=1 << 12)  # a policy's few dozen names, each written out many times
def ident(name: str) -> str:
    """A policy name as a bare column name; refused when it is not a plain id or reserved."""
    if not _ID.fullmatch(name) or name in _RESERVED:
        raise SqlUnsupported(
            f"the name {name!r} cannot be an SQL column on both DuckDB and Spark "
            "(a reserved word or not a snake_case id); rename it to build the SQL target"
        )
    return name


def _comment(text: str) -> str:
    # Comments carry ids and citations only; a line break could end one early.
    return " ".join(text.split())


# ---------------------------------------------------------------- facts and bits


@dataclass(frozen=True)
class Facts:
    """A policy's facts: their SQL columns and their bits in the needs masks."""

    program: ir.Program
    policy: ir.Policy

    # A needs mask is written for every rule and check: the facts' order and each one's
    # place are found once per policy, not sorted and searched for each bit.
    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.policy.inputs))

    @cached_property
    def _places(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.names)}

    def bit(self, name: str) -> tuple[int, int]:
        index = self._places[name]
        return index // WORD_BITS, 1 << (index % WORD_BITS)

    @property
    def words(self) -> int:
        return max(1, -(-len(self.names) // WORD_BITS))

    def type(self, name: str) -> str:
        return self.program.input(name).type.name

    def column(self, name: str) -> str:
        """The column whose NULL says the record does not give the fact."""
        return f"{ident(name)}__amount" if self.type(name) == "duration" else ident(name)

    def columns(self, name: str) -> dict[str, str]:
        """The columns of `policyc_cases` for a fact, with their types (docs/sql.md)."""
        kind = self.type(name)
        base = ident(name)
        if kind == "bool":
            return {base: "BOOLEAN"}
        if kind in NUMBER_TYPES:
            return {base: NUMBER}
        if kind == "date":
            return {base: "DATE"}
        if kind == "datetime":
            return {base: "TIMESTAMP", f"{base}__timed": "BOOLEAN"}
        if kind == "duration":
            return {f"{base}__amount": "BIGINT", f"{base}__unit": "VARCHAR"}
        return {base: "VARCHAR"}  # text, enum

    def needs(self, name: str) -> dict[int, str]:
        word, bit = self.bit(name)
        return {word: f"CASE WHEN {self.column(name)} IS NULL THEN {bit} ELSE 0 END"}

    def constant(self, names: Iterable[str]) -> dict[int, str]:
        """The needs mask of a fixed set of facts."""
        masks: dict[int, int] = {}
        for name in names:
            word, bit = self.bit(name)
            masks[word] = masks.get(word, 0) | bit
        return {word: str(mask) for word, mask in sorted(masks.items())}

    def decode(self, words: Mapping[int, str], candidates: Iterable[str]) -> str:
        """The names whose bits are set, sorted, `,`-joined ('' when none).  The string is
        built only on rows with a bit set: most rows need nothing, and building strings is
        what a vectorised engine does slowest."""
        names = sorted(set(candidates))
        if not names or not words:
            return "''"
        parts = []
        used: set[int] = set()
        for name in names:
            word, bit = self.bit(name)
            if word in words:
                used.add(word)
                test = f"({words[word]} & {bit}) <> 0"
                parts.append(f"CASE WHEN {test} THEN {sql_string(name)} ELSE NULL END")
        if not parts:
            return "''"
        none = " AND ".join(f"{words[w]} = 0" for w in sorted(used))
        return f"CASE WHEN {none} THEN '' ELSE CONCAT_WS(',', {', '.join(parts)}) END"


# The three truth values of the decision-only statement's encoding (ExprSql.truth): two bits,
# unknown the low one alone.
TRUTH = {"FALSE": 0, "NULL": 1, "TRUE": 3}


def union(*masks: Mapping[int, str]) -> dict[int, str]:
    """Bitwise OR of needs masks, word by word (absent words are 0)."""
    out: dict[int, list[str]] = {}
    for mask in masks:
        for word, text in mask.items():
            if text != "0":
                out.setdefault(word, []).append(text)
    return {
        w: parts[0] if len(parts) == 1 else f"({' | '.join(parts)})" for w, parts in out.items()
    }


def guard(condition: str, mask: Mapping[int, str]) -> dict[int, str]:
    """The mask where `condition` holds, else 0."""
    if condition == "FALSE":
        return {}
    if condition == "TRUE":
        return dict(mask)
    return {w: f"CASE WHEN {condition} THEN {text} ELSE 0 END" for w, text in mask.items()}


# ---------------------------------------------------------------- two-valued booleans, folded


def b_and(*terms: str) -> str:
    parts = [t for t in terms if t != "TRUE"]
    if "FALSE" in parts:
        return "FALSE"
    parts = list(dict.fromkeys(parts))
    if not parts:
        return "TRUE"
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def b_or(*terms: str) -> str:
    parts = [t for t in terms if t != "FALSE"]
    if "TRUE" in parts:
        return "TRUE"
    parts = list(dict.fromkeys(parts))
    if not parts:
        return "FALSE"
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def b_not(term: str) -> str:
    if term == "TRUE":
        return "FALSE"
    if term == "FALSE":
        return "TRUE"
    return f"NOT {term}"


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class V:
    """A compiled value: `sql` is NULL when unknown; `needs` its facts' mask words (0 when
    known); `unit` the SQL of a duration's unit.  A DECIMAL value also has its `scale` on
    DuckDB (the digits after the point of its SQL type) and `digits`, a bound on its size:
    it is below 10^digits in magnitude ("Numbers too large", below)."""

    sql: str
    needs: Mapping[int, str] = field(default_factory=dict)
    unit: str | None = None
    scale: int | None = None
    digits: int | None = None


# Numbers too large.  DuckDB keeps a DECIMAL exact in 38 digits: a product of two
# DECIMAL(38, 10) values is DECIMAL(38, 20), and one of 10^18 or more stops the whole statement
# with an overflow error (so would Spark's, in ANSI mode), where Python's Decimal computes it.
# Every `+`, `-` and `*` whose operands' bounds allow a result past its type is guarded: on a
# row where the result, computed in DOUBLE, reaches a tenth of the type's limit (a margin for
# DOUBLE's rounding) the value is NULL and the row's `error` is `number_too_large`, and the
# engine has the Python package compute that record (docs/sql.md).  The bounds: a number
# fact is below 10^16 (runtime/values.py refuses an exponent past 15), a literal below the
# next power of ten, a guarded result below its guard; a division is DOUBLE on DuckDB and
# never overflows.
DECIMAL_DIGITS: Final = 38
FACT_DIGITS: Final = 16
NUMBER_SCALE: Final = 10  # NUMBER's
_DAY_DIGITS: Final = 8  # a count of days between two dates (at most 3,652,059)


def _size(op: str, left: V, right: V) -> tuple[int, int] | None:
    """The scale of `left op right` on DuckDB (`+`, `-` or `*` of two DECIMALs) and a bound
    on its digits; None unless both are DECIMALs with a bound."""
    if None in (left.scale, left.digits, right.scale, right.digits):
        return None
    assert left.scale is not None and left.digits is not None  # for mypy
    assert right.scale is not None and right.digits is not None
    if op == "*":
        return left.scale + right.scale, left.digits + right.digits
    return max(left.scale, right.scale), max(left.digits, right.digits) + 1


def _widest(values: Sequence[V]) -> tuple[int, int] | None:
    """The scale and digits that bound each of `values` (a CASE, LEAST or GREATEST of
    them); None unless each has them.  DuckDB may cast them to a smaller scale: the guard
    is then cautious, never short."""
    scales = [v.scale for v in values]
    digits = [v.digits for v in values]
    if None in scales or None in digits:
        return None
    return max(s for s in scales if s is not None), max(d for d in digits if d is not None)


def _literal(value: object) -> V:
    if isinstance(value, bool):
        return V("TRUE" if value else "FALSE")
    if isinstance(value, Decimal):
        text = format(value, "f")
        whole, _, fraction = text.lstrip("-").partition(".")
        sql = f"({text})" if text.startswith("-") else text
        # An integer literal is INTEGER or BIGINT on DuckDB: a DECIMAL of scale 0.
        return V(sql, scale=len(fraction), digits=len(whole.lstrip("0")) or 1)
    if isinstance(value, date):
        return V(f"DATE '{value.isoformat()}'")
    if isinstance(value, n.Duration):
        return V(str(value.amount), unit=sql_string(value.unit))
    if isinstance(value, str):
        return V(sql_string(value))
    raise SqlUnsupported(f"not a literal value: {value!r}")


class ExprSql:
    """Expressions -> SQL values with their needs; definitions are columns `_define_<name>`."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.program = facts.program
        self.errors: list[str] = []  # conditions under which Python raises FactError
        self._define_values: dict[str, V] = {}
        # Conditions under which a `+`, `-` or `*` leaves DuckDB's DECIMAL ("Numbers too
        # large", above): the row's `error` is then `number_too_large`.
        self.too_large: list[str] = []
        # Set by the decision-only statement: its boolean definitions are columns in the
        # three-valued encoding (`truth`: 0, 1, 3), read back here where a value is wanted.
        self.truth_defines = False

    def is_truth_define(self, name: str) -> bool:
        return (
            self.truth_defines
            and name in self.program.defines
            and self.program.defines[name].type.name == "bool"
        )

    # The three-valued encoding of the decision-only statement (docs/sql.md, "Kleene logic as
    # bits"): a small integer, 0 = false, 1 = unknown, 3 = true, never NULL.  Read as two bits
    # (unknown sets the low one, true both), Kleene's `and` is the bitwise AND and `or` the
    # bitwise OR: exactly logic.py's tables (false decides `and`, true decides `or`, else
    # unknown if any operand is).  `not` is pushed down to where a value enters (De Morgan,
    # which holds in Kleene's logic), which then swaps its 3 and 0.  Unknown is written out
    # as 1 by an explicit `IS NULL` test where a fact or a value enters, so nothing rests on
    # SQL's own NULL semantics; and `&` and `|` are plain vector loops, where LEAST and
    # GREATEST (round 2's 0/1/2 encoding, min and max) cost DuckDB about ten times as much
    # per operand.

    @staticmethod
    def truth_case(unknown: str, test: str, negate: bool = False) -> str:
        """1 where `unknown` holds, else 3 where `test` holds, else 0 (3 and 0 swapped when
        `negate`).  `test` is read only where `unknown` does not hold, where it is never
        NULL, as 0 or 1 (a CASE with one branch and arithmetic: a second WHEN splits the
        vector once more; 1.05-1.2x the whole statement on 威海 in A/B runs)."""
        known = f"3 - CAST({test} AS INTEGER) * 3" if negate else f"CAST({test} AS INTEGER) * 3"
        if unknown == "FALSE":
            return f"({known})"
        return f"CASE WHEN {unknown} THEN 1 ELSE {known} END"

    def truth(self, expr: n.Expr, negate: bool = False) -> str:
        """A boolean expression in the three-valued encoding (see above); its negation when
        `negate`."""
        match expr:
            case n.Literal() if isinstance(expr.value, bool):
                return "3" if expr.value != negate else "0"
            case n.Not():
                return self.truth(expr.operand, not negate)
            case n.BoolOp():
                operator = " & " if (expr.op == "and") != negate else " | "
                return f"({operator.join(self.truth(o, negate) for o in expr.operands)})"
            case n.Name() if self.is_truth_define(expr.name):
                column = f"_define_{ident(expr.name)}"
                return f"CASE {column} WHEN 1 THEN 1 WHEN 3 THEN 0 ELSE 3 END" if negate else column
            case n.InSet():
                operand = self.expr(expr.operand)
                members = ", ".join(sql_string(m) for m in expr.members)
                test = f"{operand.sql} IN ({members})"
                return self.truth_case(f"{operand.sql} IS NULL", test, negate)
            case n.Compare():
                left, right = self.expr(expr.left), self.expr(expr.right)
                if left.unit is None and right.unit is None:
                    op = {"==": "=", "!=": "<>"}.get(expr.op, expr.op)
                    # A literal is never unknown: no test for it.
                    unknown = b_or(
                        *(
                            f"{v.sql} IS NULL"
                            for v, e in ((left, expr.left), (right, expr.right))
                            if not isinstance(e, n.Literal)
                        )
                    )
                    return self.truth_case(unknown, f"{left.sql} {op} {right.sql}", negate)
                value = self.expr(expr)  # durations: the family rules of `compare`
                return self.truth_case(f"{value.sql} IS NULL", value.sql, negate)
            case _:
                value = self.expr(expr)
                return self.truth_case(f"{value.sql} IS NULL", value.sql, negate)

    def open_needs(self, expr: n.Expr) -> dict[int, str]:
        """The needs mask of a boolean expression on the rows where its value is unknown (the
        decision-only statement asks only there): no test that it is unknown.  A Kleene
        `and`/`or` that is unknown needs what its unknown operands need (logic.py), a fact
        that is unknown itself."""
        match expr:
            case n.Not():
                return self.open_needs(expr.operand)
            case n.BoolOp():
                return union(*(self.truth_needs(o) for o in expr.operands))
            case n.Name() if self.is_truth_define(expr.name):
                return self.open_needs(self.program.defines[expr.name].expr)
            case n.Name() if self.program.is_input(expr.name):
                return self.facts.constant([expr.name])
            case _:
                return dict(self.expr(expr).needs)

    def truth_needs(self, expr: n.Expr) -> dict[int, str]:
        """The needs mask of a boolean expression on any row (0 where it is known); a
        connective asks `open_needs` where its value in the encoding above is 1."""
        match expr:
            case n.Not():
                return self.truth_needs(expr.operand)
            case n.BoolOp():
                return guard(f"{self.truth(expr)} = 1", self.open_needs(expr))
            case n.Name() if self.is_truth_define(expr.name):
                return guard(f"_define_{ident(expr.name)} = 1", self.open_needs(expr))
            case _:
                return dict(self.expr(expr).needs)

    def type_of(self, expr: n.Expr) -> str:
        match expr:
            case n.Literal():
                return expr.type.name
            case n.Name():
                if expr.name in self.program.defines:
                    return self.program.defines[expr.name].type.name
                if self.program.is_input(expr.name):
                    return self.program.input(expr.name).type.name
                return "enum"
            case n.Not() | n.BoolOp() | n.Compare() | n.InSet():
                return "bool"
            case n.Arith():
                return self.type_of(expr.left)
            case n.Call():
                if expr.function in ("min", "max"):
                    return self.type_of(expr.args[0])
                return "int"
            case n.Conditional():
                return self.type_of(expr.then)
            case _:
                assert_never(expr)

    def expr(self, expr: n.Expr) -> V:
        match expr:
            case n.Literal():
                return _literal(expr.value)
            case n.Name():
                return self.name(expr.name)
            case n.Not():
                operand = self.expr(expr.operand)
                value = f"CASE WHEN {operand.sql} IS NULL THEN NULL ELSE NOT {operand.sql} END"
                return V(value, operand.needs)
            case n.BoolOp():
                return self.connective(expr.op, [self.expr(o) for o in expr.operands])
            case n.InSet():
                operand = self.expr(expr.operand)
                members = ", ".join(sql_string(m) for m in expr.members)
                value = (
                    f"CASE WHEN {operand.sql} IS NULL THEN NULL "
                    f"ELSE {operand.sql} IN ({members}) END"
                )
                return V(value, operand.needs)
            case n.Compare():
                return self.compare(expr)
            case n.Arith():
                return self.arith(expr)
            case n.Call():
                return self.call(expr)
            case n.Conditional():
                return self.conditional(expr)
            case _:
                assert_never(expr)

    def name(self, name: str) -> V:
        if name in self.program.defines:
            column = f"_define_{ident(name)}"
            if self.is_truth_define(name):
                # The column is three-valued (`truth`); as a value: TRUE, FALSE or unknown.
                column = f"CASE {column} WHEN 3 THEN TRUE WHEN 0 THEN FALSE ELSE NULL END"
            # The value is a column of its stage; its needs are written out where they are
            # read, always under a CASE that asks for them only on the rows where the value
            # is unknown (a needs column would be computed on every row: docs/sql.md, Speed).
            if name not in self._define_values:
                self._define_values[name] = self.expr(self.program.defines[name].expr)
            value = self._define_values[name]
            unit = f"{column}_unit" if self.program.defines[name].type.name == "duration" else None
            return V(column, value.needs, unit, value.scale, value.digits)
        if self.program.is_input(name):
            kind = self.facts.type(name)
            if kind == "datetime":
                raise SqlUnsupported(f"the date-time {name} is read by a condition")
            if kind == "duration":
                return V(f"{ident(name)}__amount", self.facts.needs(name), f"{ident(name)}__unit")
            if kind in NUMBER_TYPES:
                return V(ident(name), self.facts.needs(name), None, NUMBER_SCALE, FACT_DIGITS)
            return V(ident(name), self.facts.needs(name))
        return V(sql_string(name))  # an enum member

    def connective(self, op: str, operands: list[V]) -> V:
        # Kleene: a decisive operand (false for and, true for or) settles it; otherwise
        # unknown if any operand is, with the needs of every unknown operand.
        decisive, other = ("FALSE", "TRUE") if op == "and" else ("TRUE", "FALSE")
        settles = " OR ".join(f"{o.sql} IS {decisive}" for o in operands)
        unknown = " OR ".join(f"{o.sql} IS NULL" for o in operands)
        value = f"CASE WHEN {settles} THEN {decisive} WHEN {unknown} THEN NULL ELSE {other} END"
        needs = guard(f"NOT ({settles})", union(*(o.needs for o in operands)))
        return V(value, needs)

    def compare(self, expr: n.Compare) -> V:
        left, right = self.expr(expr.left), self.expr(expr.right)
        op = {"==": "=", "!=": "<>"}.get(expr.op, expr.op)
        unknown = f"{left.sql} IS NULL OR {right.sql} IS NULL"
        needs = union(left.needs, right.needs)
        if left.unit is None or right.unit is None:
            return V(f"CASE WHEN {unknown} THEN NULL ELSE {left.sql} {op} {right.sql} END", needs)
        # Durations compare within a family (logic.py): months with years, hours with days;
        # any other pair of units is Python's FactError.
        same = f"{left.unit} = {right.unit}"
        left_key, right_key = self._scaled(left), self._scaled(right)
        family = f"{self._family(left.unit)} = {self._family(right.unit)}"
        value = (
            f"CASE WHEN {unknown} THEN NULL WHEN {same} THEN {left.sql} {op} {right.sql} "
            f"WHEN {family} THEN {left_key} {op} {right_key} ELSE NULL END"
        )
        self.errors.append(f"NOT ({unknown}) AND NOT ({same}) AND NOT COALESCE({family}, FALSE)")
        return V(value, needs)

    @staticmethod
    def _family(unit: str) -> str:
        cases = " ".join(f"WHEN {sql_string(u)} THEN '{f}'" for u, (f, _) in _FAMILY.items())
        return f"CASE {unit} {cases} ELSE NULL END"

    @staticmethod
    def _scaled(value: V) -> str:
        cases = " ".join(f"WHEN {sql_string(u)} THEN {s}" for u, (_, s) in _FAMILY.items())
        return f"{value.sql} * CASE {value.unit} {cases} ELSE NULL END"

    def arith(self, expr: n.Arith) -> V:
        left, right = self.expr(expr.left), self.expr(expr.right)
        unknown = f"{left.sql} IS NULL OR {right.sql} IS NULL"
        needs = union(left.needs, right.needs)
        if self.type_of(expr.left) == "date":
            if not (isinstance(expr.right, n.Literal) and isinstance(expr.right.value, n.Duration)):
                raise SqlUnsupported("date arithmetic with a duration that is not a literal")
            duration = expr.right.value
            if duration.unit not in ("days", "months", "years"):
                raise SqlUnsupported(f"date arithmetic with {duration.unit}")
            amount, unit = duration.amount, duration.unit
            if unit == "years":
                amount, unit = amount * 12, "months"
            interval = f"INTERVAL '{amount}' {'DAY' if unit == 'days' else 'MONTH'}"
            shifted = f"CAST({left.sql} {expr.op} {interval} AS DATE)"
            # Python's dates end at 9999-12-31 (and begin at 0001-01-01): a record whose date
            # moves past them is refused (logic.py), where DuckDB and Spark go on counting.
            edge = "> DATE '9999-12-31'" if expr.op == "+" else "< DATE '0001-01-01'"
            self.errors.append(f"NOT ({unknown}) AND {shifted} {edge}")
            return V(f"CASE WHEN {unknown} THEN NULL ELSE {shifted} END", needs)
        if left.unit is not None and right.unit is not None:
            self.errors.append(f"NOT ({unknown}) AND {left.unit} <> {right.unit}")
            value = f"CASE WHEN {unknown} THEN NULL ELSE {left.sql} {expr.op} {right.sql} END"
            return V(value, needs, left.unit)
        if expr.op == "/":
            self.errors.append(f"NOT ({unknown}) AND {right.sql} = 0")
            value = (
                f"CASE WHEN {unknown} THEN NULL WHEN {right.sql} = 0 THEN NULL "
                f"ELSE {left.sql} / {right.sql} END"
            )
            return V(value, needs)  # DOUBLE on DuckDB
        value = f"{left.sql} {expr.op} {right.sql}"
        size = _size(expr.op, left, right)
        if size is None:
            return V(f"CASE WHEN {unknown} THEN NULL ELSE {value} END", needs)
        scale, digits = size
        room = DECIMAL_DIGITS - scale  # the result's type holds magnitudes below 10^room
        if room < 2:
            raise SqlUnsupported(
                f"a number with {scale} decimal places (DuckDB's DECIMAL holds "
                f"{DECIMAL_DIGITS} digits in all)"
            )
        if digits <= room:
            return V(f"CASE WHEN {unknown} THEN NULL ELSE {value} END", needs, None, scale, digits)
        # The guard ("Numbers too large", above), a tenth of the limit: DOUBLE's rounding is
        # far smaller than that.
        double = f"CAST({left.sql} AS DOUBLE) {expr.op} CAST({right.sql} AS DOUBLE)"
        large = f"ABS({double}) >= 1e{room - 1}"
        self.too_large.append(f"NOT ({unknown}) AND {large}")
        value = f"CASE WHEN {unknown} THEN NULL WHEN {large} THEN NULL ELSE {value} END"
        return V(value, needs, None, scale, room - 1)

    def call(self, expr: n.Call) -> V:
        args = [self.expr(a) for a in expr.args]
        unknown = " OR ".join(f"{a.sql} IS NULL" for a in args)
        needs = union(*(a.needs for a in args))
        size: tuple[int, int] | None = (NUMBER_SCALE, _DAY_DIGITS)
        if expr.function in ("min", "max"):
            head = "LEAST" if expr.function == "min" else "GREATEST"
            value = f"{head}({', '.join(a.sql for a in args)})"
            size = _widest(args)
        elif expr.function == "day_of_month":
            value = f"CAST(DAY({args[0].sql}) AS {NUMBER})"
        elif expr.function == "inclusive_days":
            first, last = args
            value = f"CAST({day_number(last.sql)} - {day_number(first.sql)} + 1 AS {NUMBER})"
        else:
            raise SqlUnsupported(f"the function {expr.function}")
        value = f"CASE WHEN {unknown} THEN NULL ELSE {value} END"
        return V(value, needs) if size is None else V(value, needs, None, *size)

    def conditional(self, expr: n.Conditional) -> V:
        condition, then, otherwise = (
            self.expr(expr.condition),
            self.expr(expr.then),
            self.expr(expr.otherwise),
        )
        # An unknown condition still gives a value when both branches agree (logic.py).
        agree = (
            f"{then.sql} IS NOT NULL AND {otherwise.sql} IS NOT NULL "
            f"AND {then.sql} = {otherwise.sql}"
        )
        value = (
            f"CASE WHEN {condition.sql} IS NULL THEN "
            f"CASE WHEN {agree} THEN {then.sql} ELSE NULL END "
            f"WHEN {condition.sql} THEN {then.sql} ELSE {otherwise.sql} END"
        )
        all_needs = union(condition.needs, then.needs, otherwise.needs)
        words = sorted(all_needs)
        needs = {
            w: (
                f"CASE WHEN {condition.sql} IS NULL THEN CASE WHEN {agree} THEN 0 "
                f"ELSE {all_needs[w]} END WHEN {condition.sql} THEN {then.needs.get(w, '0')} "
                f"ELSE {otherwise.needs.get(w, '0')} END"
            )
            for w in words
        }
        size = _widest([then, otherwise])
        return V(value, needs, then.unit) if size is None else V(value, needs, None, *size)


def day_number(day: str) -> str:
    """Days since 0000-03-01 of a DATE (proleptic Gregorian): the difference of two is their
    distance in days, by YEAR/MONTH/DAY alone (DuckDB and Spark spell DATEDIFF differently)."""
    year = f"(YEAR({day}) - CASE WHEN MONTH({day}) <= 2 THEN 1 ELSE 0 END)"
    month = f"((MONTH({day}) + 9) % 12)"
    return (
        f"(365 * {year} + FLOOR({year} / 4) - FLOOR({year} / 100) + FLOOR({year} / 400)"
        f" + FLOOR((153 * {month} + 2) / 5) + DAY({day}))"
    )


# ---------------------------------------------------------------- calendar


def limit_variants(limit: ir.Limit) -> list[tuple[int, str, bool]]:
    """The (amount, unit, rolls over) a limit can run: its own, and its extension's."""
    out = []
    for duration in (limit.amount, *((limit.extend.amount,) if limit.extend else ())):
        rolls = (
            limit.no_rollover is None and duration.unit in ROLLOVER_UNITS and duration.amount > 0
        )
        out.append((duration.amount, duration.unit, rolls))
    return out


def calendar_counts(program: ir.Program) -> tuple[int, ...]:
    """The working-day counts whose provisional bounds calendar.csv precomputes."""
    counts: set[int] = set()
    for policy in program.policies.values():
        counts.update(policy_calendar_counts(policy))
    return tuple(sorted(counts))


def policy_calendar_counts(policy: ir.Policy) -> tuple[int, ...]:
    """The working-day counts one policy's limits need (calendar_counts is their union)."""
    counts: set[int] = set()
    for limit in policy.limits:
        if limit.start is None or limit.end is None:
            continue
        for amount, unit, rolls in limit_variants(limit):
            if unit == "workdays" and amount > 0:
                counts.add(amount)
            if rolls:
                counts.add(1)
    return tuple(sorted(counts))


def calendar_csv(
    counts: Sequence[int],
    calendar: WorkdayCalendar | None = None,
    columns: dict[int, Column] | None = None,
    each: Callable[[Callable[[int], Column], list[int]], Iterable[Column]] = map,
) -> str:
    """calendar.csv (docs/sql.md, "Calendar"): the runtime's calendar as a table; `columns`:
    counts' columns already made, and those made now are added (compiler/rebuild.py keeps
    them, and makes them on every core through `each`; `calendar_table`)."""
    if calendar is None and columns is None:
        return _bundled_csv(tuple(counts))
    return _calendar_csv(tuple(counts), calendar or load_calendar(), columns, each)


@cache
def _bundled_csv(counts: tuple[int, ...]) -> str:
    # Cached: with the bundled calendar the table depends on the counts only, and a process
    # that builds several times (the tests) should count once.
    return _calendar_csv(counts, load_calendar())


def _calendar_csv(
    counts: tuple[int, ...],
    calendar: WorkdayCalendar,
    columns: dict[int, Column] | None = None,
    each: Callable[[Callable[[int], Column], list[int]], Iterable[Column]] = map,
) -> str:
    # In the runtime (runtime/sqlcalendar.py): the DuckDB engine of the validator package
    # builds the same table for `--calendar FILE` years, with no compiler at hand.
    try:
        return calendar_table(counts, calendar, columns, each)
    except CalendarTableError as error:
        raise SqlUnsupported(str(error)) from None


_Walk = Walk  # tests/test_sql.py checks the walk against due_bounds


# ---------------------------------------------------------------- one policy's SELECT


def _case(branches: Sequence[tuple[str, str]], otherwise: str) -> str:
    """CASE WHEN … THEN … ELSE … END, dropping branches that cannot be taken."""
    live = [(c, v) for c, v in branches if c != "FALSE"]
    parts = []
    for condition, value in live:
        if condition == "TRUE":
            otherwise = value
            break
        parts.append(f"WHEN {condition} THEN {value}")
    if not parts:
        return otherwise
    return f"CASE {' '.join(parts)} ELSE {otherwise} END"


@dataclass(frozen=True)
class Check:
    column: str
    rule: str
    kind: str
    clause: str
    quote: str


@dataclass
class _Cte:
    name: str
    columns: list[str] = field(default_factory=list)  # "expr AS name", or "-- comment"
    joins: list[str] = field(default_factory=list)
    # A table of its own (FROM this source), not a stage over the previous one's rows.
    source: str | None = None

    def join(self, table: str, alias_prefix: str, on: str) -> str:
        """LEFT JOIN `table` ON `on` (with `{a}` for the alias), once per stage: the alias."""
        for existing in self.joins:
            head, _, condition = existing.partition(" ON ")
            alias = head.split()[-1]
            if head.split()[-2] == table and condition == on.format(a=alias):
                return alias
        alias = f"{alias_prefix}{len(self.joins)}"
        self.joins.append(f"LEFT JOIN {table} {alias} ON {on.format(a=alias)}")
        return alias


class PolicySql:
    """The SQL of one policy (docs/sql.md)."""

    def __init__(self, program: ir.Program, policy: ir.Policy) -> None:
        self.program = program
        self.policy = policy
        self.facts = Facts(program, policy)
        self.exprs = ExprSql(self.facts)
        self.words = range(self.facts.words)
        self.ctes: list[_Cte] = []
        self.checks: list[Check] = []
        self.needs_of: dict[str, Mapping[int, str]] = {}  # a value column's needs, as SQL
        # The bits of the decision-only statement's `decided_by_n<w>` masks, in this order.
        self.decision_rules = [
            *policy.of_kind(Kind.GATE),
            *policy.of_kind(Kind.SITUATION),
            *policy.of_kind(Kind.EXCLUSION),
        ]
        self.limits = [x for x in policy.limits if x.start is not None and x.end is not None]
        self.rules = [
            r
            for r in policy.rules
            if r.kind in CHECKED_KINDS and (r.when is not None or r.require is not None)
        ]
        used: dict[str, int] = {}
        self.limit_columns: dict[int, str] = {}
        self.rule_columns: dict[str, str] = {}
        for i, limit in enumerate(self.limits):
            self.limit_columns[i] = self._unique(limit.name, used)
        for rule in self.rules:
            self.rule_columns[rule.name] = self._unique(rule.name, used)

    @staticmethod
    def _unique(name: str, used: dict[str, int]) -> str:
        ident(name)
        used[name] = used.get(name, 0) + 1
        return name if used[name] == 1 else f"{name}_{used[name]}"

    # ------------------------------------------------------------ helpers

    def _given(self, names: Iterable[str]) -> str:
        """Does the record give any of the facts?"""
        return b_or(*(f"{self.facts.column(x)} IS NOT NULL" for x in names))

    def _mask_columns(self, cte: _Cte, column: str, needs: Mapping[int, str]) -> None:
        for w in self.words:
            cte.columns.append(f"{needs.get(w, '0')} AS {column}_n{w}")

    def _mask(self, column: str) -> dict[int, str]:
        if column in self.needs_of:
            return dict(self.needs_of[column])
        return {w: f"{column}_n{w}" for w in self.words}

    def _value_columns(self, cte: _Cte, column: str, value: V) -> None:
        # The value only: its needs mask is written out where it is read (self._mask), under
        # the CASE that asks for it on the few rows where the value is unknown.  As a column
        # of its own it was computed on every row: the first cost of the SELECT (docs/sql.md).
        cte.columns.append(f"{value.sql} AS {column}")
        self.needs_of[column] = value.needs
        if value.unit is not None:
            cte.columns.append(f"{value.unit} AS {column}_unit")

    def _truth_column(self, cte: _Cte, column: str, expr: n.Expr) -> None:
        # The decision-only statement: the value three-valued (ExprSql.truth), its needs
        # written as in the full SELECT (read only on the rows the decision leaves open).
        cte.columns.append(f"{self.exprs.truth(expr)} AS {column}")
        self.needs_of[column] = self.exprs.expr(expr).needs

    def _previous(self) -> str:
        return self.ctes[-1].name if self.ctes else "policyc_cases"

    # ------------------------------------------------------------ stages

    def _decides(self, rule: ir.Rule) -> bool:
        """Is the rule read by the decision (its `when`; liabilities for applies_in_part)?"""
        return rule.kind in (*DECISION_KINDS, Kind.LIABILITY)

    def _defines(self, decide: bool = False) -> None:
        exprs: list[n.Expr] = []
        for rule in self.policy.rules:
            if not decide:
                exprs += rule.conditions
            elif self._decides(rule) and rule.when is not None:
                exprs.append(rule.when)
        for limit in [] if decide else self.limits:
            exprs += [e for e in (limit.when, limit.extend.when if limit.extend else None) if e]
        done: list[str] = []
        for name in self.program.defines_of(*exprs):
            self._after_its_defines(name, done)
        for name in done:
            define = self.program.defines[name]
            cte = _Cte(f"_define_{name}")
            cte.columns.append(f"-- define {name} {_comment(define.clause.citation)}")
            if self.exprs.is_truth_define(name):
                self._truth_column(cte, f"_define_{name}", define.expr)
            else:
                self._value_columns(cte, f"_define_{name}", self.exprs.expr(define.expr))
            self.ctes.append(cte)

    def _after_its_defines(self, name: str, done: list[str]) -> None:
        """`name` appended to `done` after the definitions its formula reads.  A method, not a
        closure that calls itself: that is a reference cycle, which kept this whole writer
        alive until the cycle collector ran (project._frozen)."""
        if name in done:
            return
        for inner in self.program.defines_of(self.program.defines[name].expr):
            if inner != name:
                self._after_its_defines(inner, done)
        if name not in done:
            done.append(name)

    def _conditions(self, decide: bool = False) -> None:
        cte = _Cte("_conditions")
        for rule in self.policy.rules:
            if decide:
                wanted = self._decides(rule) and rule.when is not None
            else:
                wanted = self._decides(rule) or rule.name in self.rule_columns
            if not wanted or not rule.conditions:
                continue
            cte.columns.append(f"-- {rule.kind} {rule.name} {_comment(rule.clause.citation)}")
            if rule.when is not None and decide:
                self._truth_column(cte, f"_when_{rule.name}", rule.when)
            elif rule.when is not None:
                self._value_columns(cte, f"_when_{rule.name}", self.exprs.expr(rule.when))
            if rule.require is not None and rule.name in self.rule_columns and not decide:
                self._value_columns(cte, f"_require_{rule.name}", self.exprs.expr(rule.require))
        for i, limit in enumerate([] if decide else self.limits):
            key = self.limit_columns[i]
            if limit.when is None and limit.extend is None:
                continue
            cite = _comment(limit.clause.citation)
            cte.columns.append(f"-- time_limit {limit.name} {cite}")
            if limit.when is not None:
                self._value_columns(cte, f"_lwhen_{key}", self.exprs.expr(limit.when))
            if limit.extend is not None:
                self._value_columns(cte, f"_lext_{key}", self.exprs.expr(limit.extend.when))
        if cte.columns:
            self.ctes.append(cte)

    # ------------------------------------------------------------ time limits

    def _moment(self, name: str) -> tuple[str, str, str]:
        """A date fact's day, its moment as a TIMESTAMP, and whether it has a time of day."""
        column = ident(name)
        if self.facts.type(name) == "datetime":
            return f"CAST({column} AS DATE)", column, f"{column}__timed IS TRUE"
        return column, f"CAST({column} AS TIMESTAMP)", "FALSE"

    def _due_tables(self) -> None:
        """Per working-day count the policy runs (and 1 for the roll-over), the due date from
        every start day of the calendar: a table of the calendar's size, whatever the number
        of records, which each record then reads with one join on its start day."""
        counts = sorted(
            {
                1 if unit != "workdays" else amount
                for limit in self.limits
                for amount, unit, rolls in limit_variants(limit)
                if (unit == "workdays" and amount > 0) or rolls
            }
        )
        days = _Cte("_days", source="policyc_calendar c")
        days.columns += ["c.day AS day", "c.workday AS workday", "c.workday_index AS workday_index"]
        days.columns.append("c.unsettled_index AS unsettled_index")
        self.ctes.append(days)
        for count in counts:
            pre = f"c.w{count}"
            cte = _Cte(f"_due_w{count}", source="policyc_calendar c")
            cte.columns.append(f"-- {count} working day(s) after each day (docs/sql.md, Calendar)")
            on = f"{{a}}.workday AND {{a}}.workday_index = c.workday_index + {count}"
            d = cte.join("_days", "d", on)
            cte.columns += [
                "c.day AS day",
                "c.workday_index AS workday_index",
                "c.unsettled_index AS unsettled_index",
                f"COALESCE({pre}_earliest, {d}.day) AS earliest",
                f"COALESCE({pre}_latest, {d}.day) AS latest",
                f"COALESCE({pre}_unpublished, '') AS unpublished",
                f"{pre}_earliest IS NOT NULL AS provisional",
                f"(COALESCE({pre}_unpublished, '') = 'not_covered' OR ({pre}_earliest IS NULL "
                f"AND {d}.day IS NULL)) AS error",
            ]
            self.ctes.append(cte)

    def _limits_cte(self) -> None:
        cte = _Cte("_limits")
        for index, limit in enumerate(self.limits):
            self._limit(cte, index, limit)
        self.ctes.append(cte)

    def _limit(self, cte: _Cte, index: int, limit: ir.Limit) -> None:
        key = self.limit_columns[index]
        assert limit.start is not None and limit.end is not None
        cte.columns.append(
            f"-- time_limit {limit.name} {_comment(limit.clause.citation)}: "
            f"{limit.amount}{f' or {limit.extend.amount}' if limit.extend else ''}"
        )
        start_day, _, _ = self._moment(limit.start)
        end_day, _, _ = self._moment(limit.end)
        period = self._period(limit)
        results = []
        for amount, unit, rolls in limit_variants(limit):
            if unit == "hours":
                results.append(self._hours(limit, amount))
            else:
                results.append(
                    self._count(cte, amount, unit, rolls, start_day, end_day, period, limit)
                )
        extended = f"_lext_{key} IS TRUE" if limit.extend is not None else "FALSE"

        def pick(part: int) -> str:
            base, other = (str(r[part]) for r in (results[0], results[-1]))
            return base if len(results) == 1 else _case([(extended, other)], base)

        cte.columns.append(f"{pick(0)} AS _{key}_error")
        cte.columns.append(f"{pick(1)} AS _{key}_verdict")
        cte.columns.append(f"{pick(2)} AS _{key}_provisional")
        cte.columns.append(f"{pick(3)} AS _{key}_unpublished")
        untimed = [r[4] for r in results]
        for w in self.words:
            parts = [u.get(w, "0") for u in untimed]
            text = parts[0] if len(parts) == 1 else _case([(extended, parts[1])], parts[0])
            cte.columns.append(f"{text} AS _{key}_untimed_n{w}")

    def _period(self, limit: ir.Limit) -> tuple[str, str, str] | None:
        """An excluded period's (valid, first day, last day), or None without one."""
        if limit.excluding is None or limit.excluded_from is None or limit.excluded_until is None:
            return None
        first, _, _ = self._moment(limit.excluded_from)
        last, _, _ = self._moment(limit.excluded_until)
        valid = f"({first} IS NOT NULL AND {last} IS NOT NULL AND {first} <= {last})"
        return valid, first, last

    def _hours(self, limit: ir.Limit, hours: int) -> tuple[str, str, str, str, dict[int, str]]:
        assert limit.start is not None and limit.end is not None
        start_day, start, start_timed = self._moment(limit.start)
        end_day, end, end_timed = self._moment(limit.end)

        def bounds(day: str, moment: str, timed: str) -> tuple[str, str]:
            midnight = f"CAST({day} AS TIMESTAMP)"
            first = _case([(timed, moment)], midnight)
            last = _case([(timed, moment)], f"{midnight} + INTERVAL '1' DAY")
            return first, last

        start_first, start_last = bounds(start_day, start, start_timed)
        end_first, end_last = bounds(end_day, end, end_timed)
        allowed = f"INTERVAL '{hours}' HOUR"
        in_time = f"{end_last} <= {start_first} + {allowed}"
        late = (
            f"{end_first} > {start_last} + {allowed} OR "
            f"({end_first} = {start_last} + {allowed} AND NOT {start_timed})"
            if start_timed != "FALSE"
            else f"{end_first} >= {start_last} + {allowed}"
        )
        verdict = f"CASE WHEN {in_time} THEN 'in_time' WHEN {late} THEN 'late' ELSE 'unclear' END"
        untimed = union(
            guard(b_not(start_timed), self.facts.constant([limit.start])),
            guard(b_not(end_timed), self.facts.constant([limit.end])),
        )
        return "FALSE", verdict, "FALSE", "''", untimed

    def _count(
        self,
        cte: _Cte,
        amount: int,
        unit: str,
        rolls: bool,
        start_day: str,
        end_day: str,
        period: tuple[str, str, str] | None,
        limit: ir.Limit,
    ) -> tuple[str, str, str, str, dict[int, str]]:
        if period is not None and unit != "workdays":
            raise SqlUnsupported(
                f"the time limit {limit.name} counts {unit} excluding a period; the SQL target "
                "compiles excluded periods for working days only"
            )
        if amount == 0:
            return "FALSE", self._verdict(end_day, start_day, start_day), "TRUE", "''", {}
        fallback = lower = "FALSE"
        if unit == "workdays":
            s = cte.join(f"_due_w{amount}", "_w", f"{{a}}.day = {start_day}")
            earliest, latest = f"{s}.earliest", f"{s}.latest"
            error, unpublished = f"({s}.day IS NULL OR {s}.error)", f"{s}.unpublished"
            if period is not None:
                valid, first, last = period
                before_first = f"GREATEST(CAST({first} - INTERVAL '1' DAY AS DATE), {start_day})"
                a = cte.join("_days", "_p", f"{{a}}.day = {before_first}")
                b = cte.join("_days", "_p", f"{{a}}.day = {last}")
                counted = f"({a}.workday_index - {s}.workday_index)"
                e = cte.join(
                    "_days",
                    "_p",
                    f"{{a}}.workday AND {{a}}.workday_index = "
                    f"{b}.workday_index + {amount} - {counted}",
                )
                # The period counts only when it lies after the start day, at least in part;
                # the count resumes after it when it had not ended before it.
                applies = f"({valid} AND {before_first} < {last})"
                after = f"({applies} AND {a}.day IS NOT NULL AND {counted} < {amount})"
                touched = (
                    f"({a}.unsettled_index - {s}.unsettled_index + "
                    f"{e}.unsettled_index - {b}.unsettled_index) > 0"
                )
                # A period that begins past the calendar (`a` not found) begins after the
                # count's own last day, which the calendar has: it does not count, as in
                # Python (timelimits.py `nth_after`), where it was refused as uncovered.
                error = _case([(after, f"{e}.day IS NULL")], error)
                fallback = _case(
                    [
                        (after, touched),
                        (applies, f"({s}.provisional AND {latest} > {before_first})"),
                    ],
                    "FALSE",
                )
                # Where the SQL does not have Python's bounds (docs/sql.md), a day on or before
                # the earliest the count can end is still in time: the period's last day when
                # the count resumes after it, else the count's own earliest.
                lower = _case([(after, last)], earliest)
                earliest = _case([(after, f"{e}.day")], earliest)
                latest = _case([(after, f"{e}.day")], latest)
        else:
            months = amount * 12 if unit == "years" else amount
            interval = (
                f"INTERVAL '{amount}' DAY" if unit == "days" else f"INTERVAL '{months}' MONTH"
            )
            counted_day = f"CAST({start_day} + {interval} AS DATE)"
            if not rolls:
                return "FALSE", self._verdict(end_day, counted_day, counted_day), "TRUE", "''", {}
            # 民法典 第二百零三条: a last day that is a 法定休假日 moves to the next working day,
            # the first working day counted from the day before it.
            day_before = f"CAST({counted_day} - INTERVAL '1' DAY AS DATE)"
            r = cte.join("_due_w1", "_w", f"{{a}}.day = {day_before}")
            earliest, latest = f"{r}.earliest", f"{r}.latest"
            error, unpublished = f"({r}.day IS NULL OR {r}.error)", f"{r}.unpublished"
        verdict = self._verdict(end_day, earliest, latest, fallback, lower)
        verdict = f"CASE WHEN {error} THEN NULL ELSE {verdict} END"
        unpublished = _case([(fallback, "'unknown'")], unpublished)
        return error, verdict, "TRUE", unpublished, {}

    @staticmethod
    def _verdict(
        end_day: str, earliest: str, latest: str, fallback: str = "FALSE", lower: str = "FALSE"
    ) -> str:
        return _case(
            [
                (b_and(fallback, f"{end_day} <= {lower}"), "'in_time'"),
                (fallback, "'unclear'"),
                (f"{end_day} <= {earliest}", "'in_time'"),
                (f"{end_day} > {latest}", "'late'"),
            ],
            "'unclear'",
        )

    # ------------------------------------------------------------ checks

    def _checks_cte(self) -> None:
        # Three stages, so that no condition is written twice: which branch of Python's
        # check each record takes, the needs of that branch, then status, needs and years.
        stages = (_Cte("_check_branches"), _Cte("_check_needs"), _Cte("_checks"))
        for i, limit in enumerate(self.limits):
            self._limit_check(stages, self.limit_columns[i], limit)
        for rule in self.rules:
            self._rule_check(stages, self.rule_columns[rule.name], rule)
        self.ctes += stages

    def _emit_check(
        self,
        stages: tuple[_Cte, _Cte, _Cte],
        column: str,
        branches: list[tuple[str, str, Mapping[int, str], str]],
        otherwise: str,
        candidates: Iterable[str],
    ) -> None:
        branch, needs, final = stages
        taken = [(i, b) for i, b in enumerate(branches) if b[0] != "FALSE"]
        codes = [(c, str(i)) for i, (c, _, _, _) in taken]
        branch.columns.append(f"{_case(codes, '-1')} AS _b_{column}")

        def by_branch(values: list[tuple[int, str]], default: str) -> str:
            parts = [f"WHEN {i} THEN {v}" for i, v in values if v != default]
            return f"CASE _b_{column} {' '.join(parts)} ELSE {default} END" if parts else default

        words: dict[int, str] = {}
        for w in self.words:
            masks = [(i, b[2].get(w, "0")) for i, b in taken]
            if any(m != "0" for _, m in masks):
                needs.columns.append(f"{by_branch(masks, '0')} AS _cn_{column}_n{w}")
                words[w] = f"_cn_{column}_n{w}"
        statuses = [(i, f"'{b[1]}'") for i, b in taken]
        final.columns.append(f"{by_branch(statuses, otherwise)} AS {column}__status")
        final.columns.append(f"{self.facts.decode(words, candidates)} AS {column}__needs")
        years = [(i, b[3]) for i, b in taken]
        final.columns.append(f"{by_branch(years, chr(39) * 2)} AS {column}__unpublished")

    def _rule_check(self, stages: tuple[_Cte, _Cte, _Cte], column: str, rule: ir.Rule) -> None:
        stages[0].columns.append(f"-- {rule.kind} {rule.name} {_comment(rule.clause.citation)}")
        applies = f"_when_{rule.name}" if rule.when is not None else "TRUE"
        applies_needs = self._mask(applies) if rule.when is not None else {}
        is_false = f"{applies} IS FALSE" if rule.when is not None else "FALSE"
        is_null = f"{applies} IS NULL" if rule.when is not None else "FALSE"
        skipped = b_not(self._given(rule.reads))
        branches: list[tuple[str, str, Mapping[int, str], str]] = [
            (skipped, "skipped", {}, "''"),
            (is_false, "not_applicable", {}, "''"),
        ]
        if rule.require is None:
            branches.append((is_null, "undetermined", applies_needs, "''"))
            otherwise = "'holds'"
        else:
            met = f"_require_{rule.name}"
            branches.append((f"{met} IS TRUE", "pass", {}, "''"))
            either = b_or(is_null, f"{met} IS NULL")
            branches.append((either, "undetermined", union(applies_needs, self._mask(met)), "''"))
            otherwise = "'fail'"
        self._emit_check(stages, column, branches, otherwise, rule.reads)

    def _limit_check(self, stages: tuple[_Cte, _Cte, _Cte], key: str, limit: ir.Limit) -> None:
        assert limit.start is not None and limit.end is not None
        comment = f"-- time_limit {limit.name} {_comment(limit.clause.citation)}"
        stages[0].columns.append(comment)
        applies = f"_lwhen_{key}" if limit.when is not None else "TRUE"
        applies_needs = self._mask(applies) if limit.when is not None else {}
        is_false = f"{applies} IS FALSE" if limit.when is not None else "FALSE"
        is_null = f"{applies} IS NULL" if limit.when is not None else "FALSE"
        start_column, end_column = self.facts.column(limit.start), self.facts.column(limit.end)
        missing = union(self.facts.needs(limit.start), self.facts.needs(limit.end))
        start_day, start, start_timed = self._moment(limit.start)
        end_day, end, end_timed = self._moment(limit.end)
        both_timed = b_and(start_timed, end_timed)
        before = _case([(both_timed, f"{end} < {start}")], f"{end_day} < {start_day}")
        verdict, error = f"_{key}_verdict", f"_{key}_error"
        unclear = f"{verdict} = 'unclear'"
        provisional = f"_{key}_provisional"
        unpublished = f"CASE WHEN {unclear} AND {provisional} THEN _{key}_unpublished ELSE '' END"
        untimed = self._mask(f"_{key}_untimed")
        period = self._period(limit)
        period_bad = "FALSE"
        period_needs: dict[int, str] = {}
        if period is not None:
            assert limit.excluded_from is not None and limit.excluded_until is not None
            period_bad = f"NOT {period[0]}"
            period_needs = self.facts.constant([limit.excluded_from, limit.excluded_until])
        ext_null, ext_needs = "FALSE", {}
        if limit.extend is not None:
            ext_null = f"_lext_{key} IS NULL"
            ext_needs = self._mask(f"_lext_{key}")
        branches: list[tuple[str, str, Mapping[int, str], str]] = [
            (b_not(self._given(limit.reads)), "skipped", {}, "''"),
            (is_false, "not_applicable", {}, "''"),
            (
                f"({start_column} IS NULL OR {end_column} IS NULL)",
                "undetermined",
                union(missing, applies_needs),
                "''",
            ),
            (before, "fail", {}, "''"),
            (error, "error", {}, "''"),
            (b_and(f"{verdict} = 'late'", period_bad), "undetermined", period_needs, "''"),
            (
                b_and(f"{verdict} <> 'in_time'", ext_null),
                "undetermined",
                union(ext_needs, untimed),
                unpublished,
            ),
            (
                f"{unclear} AND {provisional}",
                "undetermined",
                union(applies_needs, guard(period_bad, period_needs), ext_needs),
                unpublished,
            ),
            (unclear, "undetermined", union(untimed, applies_needs), "''"),
            (b_and(is_null, f"{verdict} <> 'in_time'"), "undetermined", applies_needs, "''"),
            (f"{verdict} = 'in_time'", "pass", {}, "''"),
        ]
        candidates = {*limit.reads, *limit.dates}
        self._emit_check(stages, key, branches, "'fail'", candidates)

    # ------------------------------------------------------------ the decision

    def _decision(self, decide: bool = False) -> None:
        policy = self.policy
        gates = list(policy.of_kind(Kind.GATE))
        situations = list(policy.of_kind(Kind.SITUATION))
        exclusions = list(policy.of_kind(Kind.EXCLUSION))
        liabilities = list(policy.of_kind(Kind.LIABILITY))

        def value(rule: ir.Rule, test: str) -> str:
            if rule.when is None:  # no condition: it holds
                return {"TRUE": "TRUE", "FALSE": "FALSE", "NULL": "FALSE"}[test]
            if decide:  # three-valued columns (ExprSql.truth): a two-valued test of each
                return f"_when_{rule.name} = {TRUTH[test]}"
            return f"_when_{rule.name} IS {test}"

        def needs(rule: ir.Rule) -> dict[int, str]:
            # Asked only where the rule is open (`open_`); the decision-only statement
            # writes that mask in its own encoding, without testing again that it is open.
            if rule.when is None:
                return {}
            if decide:
                return self.exprs.open_needs(rule.when)
            return self._mask(f"_when_{rule.name}")

        holds = {r.name: value(r, "TRUE") for r in [*gates, *situations, *exclusions, *liabilities]}
        fails = {r.name: value(r, "FALSE") for r in [*gates, *situations, *exclusions]}
        open_ = {r.name: value(r, "NULL") for r in [*gates, *situations, *exclusions]}
        # Stages, so that each flag is written once and read by name: live situations; held
        # and possible ones; open exclusions; secure situations and which open rules matter;
        # the outcome's flags (compiler/runtime/decision.py, unrolled).
        stages = [_Cte(f"_decision_{x}") for x in ("live", "state", "open", "secure", "flags")]
        stages[0].columns.append("-- the relief decision, unrolled (compiler/runtime/decision.py)")

        written: dict[str, str] = {}
        # Where each column is computed: (stage, 0) for the stages above, (stage, level) for
        # the stages of shared parts between stage and stage + 1 (`share`); the conditions
        # are at (-1, 0).
        place: dict[str, tuple[int, int]] = {}
        shared: dict[tuple[int, int], _Cte] = {}

        def column(stage: int, name: str, text: str) -> str:
            if text in ("TRUE", "FALSE"):
                return text
            # A flag whose text another flag already has is that column (威海: every
            # situation is live by the same four exclusions): computed once.
            if text in written:
                return written[text]
            written[text] = name
            place[name] = (stage, 0)
            stages[stage].columns.append(f"{text} AS {name}")
            return name

        def share(text: str, operands: int) -> str:
            # An `and`/`or` of three or more flags, computed once in a stage of its own
            # before the first stage that reads it (威海: whether any situation is possible
            # is read by each of the four open exclusions and by `none_live`, whether an
            # open exclusion threatens by each of the twenty secure situations; DuckDB
            # computed each again: 1.01-1.19x the whole statement in A/B runs on a loaded
            # machine).  Only while the flags of every row are built (which open rules
            # matter is asked of open rows only), and in the decision-only statement only.
            if not sharing or operands < 3 or text in ("TRUE", "FALSE"):
                return text
            if text in written:
                return written[text]
            names = re.findall(r"\b_[a-z0-9_]+", text)
            stage, level = max((place.get(x, (-1, 0)) for x in names), default=(-1, 0))
            where = (stage, level + 1)
            if where not in shared:
                shared[where] = _Cte(f"_decision_shared{len(shared)}")
            name = f"_shared{sum(len(c.columns) for c in shared.values())}"
            written[text] = name
            place[name] = where
            shared[where].columns.append(f"{text} AS {name}")
            return name

        def distinct(terms: Sequence[str], neutral: str) -> int:
            return len({t for t in terms if t != neutral})

        stage_of = {"live": 0, "held": 1, "possible": 1, "open": 2, "none_live": 2, "secure": 3}

        def named(flag: str, rule: str, text: str) -> str:
            return column(stage_of[flag], f"_{flag}_{rule}" if rule else f"_{flag}", text)

        sharing = decide  # the full SELECT keeps its stages (no gain measured there)
        algebra = Algebra(
            lambda *t: share(b_and(*t), distinct(t, "TRUE")),
            lambda *t: share(b_or(*t), distinct(t, "FALSE")),
            b_not,
            lambda r: holds[r.name],
            lambda r: fails[r.name],
            lambda r: open_[r.name],
            named,
        )
        flags = unroll(algebra, gates, situations, exclusions)
        sharing = False
        held, possible, secure = flags.held, flags.possible, flags.secure
        none_live = flags.none_live
        covers_all = b_or(*(secure[s.name] for s in situations if not s.excuses))
        not_exempted = b_or(
            *(
                b_and(
                    holds[x.name],
                    b_not(b_or(*(secure[s.name] for s in situations if x.name in s.excuses))),
                )
                for x in liabilities
            )
        )
        in_part = b_and(b_not(covers_all), not_exempted)

        excluded = column(4, "_excluded", flags.excluded)
        failed = column(4, "_failed", flags.failed)
        applies = column(4, "_applies", flags.applies)
        in_part = column(4, "_in_part", in_part)
        # Does the record give any of the decision's facts (else no decision, as in Python)?
        given = column(4, "_decided", self._given(self.decision_facts))
        is_open = b_and(b_not(excluded), b_not(failed), b_not(none_live), b_not(applies))
        # Which open rules matter is asked only on the rows the decision leaves open: a stage
        # of its own whose CASE skips every other row, each distinct test once (威海: one
        # for the twenty situations, one for the four exclusions), instead of columns of
        # every row (the unrolled tests are quadratic in the rules).
        stages.append(_Cte("_decision_matters"))

        def lazy(name: str, text: str) -> str:
            if text in ("TRUE", "FALSE") or text in written:
                return written.get(text, text)
            return column(5, name, _case([(b_and(given, is_open), text)], "FALSE"))

        matters_exclusion = {
            e.name: b_and(open_[e.name], lazy(f"_matters_{e.name}", flags.exclusion_matters(e)))
            for e in exclusions
        }
        matters_situation = {
            s.name: b_and(
                possible[s.name],
                open_[s.name],
                lazy(f"_matters_{s.name}", flags.situation_matters(s)),
            )
            for s in situations
        }
        # The stages in order, each stage's shared parts after it.
        for index, stage_cte in enumerate([None, *stages]):
            if stage_cte is not None:
                self.ctes.append(stage_cte)
            self.ctes += [shared[k] for k in sorted(shared) if k[0] == index - 1]
        open_needs = union(
            *(guard(open_[g.name], needs(g)) for g in gates),
            *(guard(matters_exclusion[e.name], needs(e)) for e in exclusions),
            *(guard(matters_situation[s.name], needs(s)) for s in situations),
        )
        mask = _Cte("_decision_needs")
        mask.columns.append("-- the facts still needed: those of the open rules that matter")
        self._mask_columns(mask, "_dneeds", guard(b_and(given, is_open), open_needs))
        self.ctes.append(mask)

        judgments = [x for x in self.facts.names if self.program.input(x).judgment]
        facts_only = self.facts.constant(x for x in self.facts.names if x not in judgments)
        only_judgments = b_and(
            *(f"(_dneeds_n{w} & {facts_only[w]}) = 0" for w in self.words if w in facts_only)
        )
        outcome = _case(
            [
                (b_not(given), "CAST(NULL AS STRING)"),
                (excluded, "'excluded'"),
                (failed, "'not_covered'"),
                (none_live, "'not_covered'"),
                (applies, _case([(in_part, "'applies_in_part'")], "'applies'")),
                (only_judgments, "'needs_judgment'"),
            ],
            "'undetermined'",
        )

        def names(rules: Sequence[ir.Rule], test: Mapping[str, str]) -> str:
            parts = [
                f"CASE WHEN {test[r.name]} THEN {sql_string(r.name)} ELSE NULL END"
                for r in rules
                if test[r.name] != "FALSE"
            ]
            return f"CONCAT_WS(',', {', '.join(parts)})" if parts else "''"

        decided_by = _case(
            [
                (b_not(given), "CAST(NULL AS STRING)"),
                (excluded, names(exclusions, holds)),
                (failed, names(gates, fails)),
                (none_live, "''"),
                (applies, names(situations, secure)),
            ],
            names(situations, held),
        )
        if decide:
            # The decision-only statement (docs/sql.md): the deciding rules and the needs as
            # masks, decoded outside SQL; both NULL when the record gives no decision fact.
            bit = {
                r.name: (i // WORD_BITS, 1 << (i % WORD_BITS))
                for i, r in enumerate(self.decision_rules)
            }

            def rule_mask(rules: Sequence[ir.Rule], test: Mapping[str, str], w: int) -> str:
                parts = [
                    _case([(test[r.name], str(bit[r.name][1]))], "0")
                    for r in rules
                    if test[r.name] != "FALSE" and bit[r.name][0] == w
                ]
                return f"({' | '.join(parts)})" if len(parts) > 1 else (parts or ["0"])[0]

            final = _Cte("_decision")
            final.columns.append(f"{outcome} AS outcome")
            for w in range(max(1, -(-len(self.decision_rules) // WORD_BITS))):
                mask_sql = _case(
                    [
                        (b_not(given), "CAST(NULL AS BIGINT)"),
                        (excluded, rule_mask(exclusions, holds, w)),
                        (failed, rule_mask(gates, fails, w)),
                        (none_live, "0"),
                        (applies, rule_mask(situations, secure, w)),
                    ],
                    rule_mask(situations, held, w),
                )
                final.columns.append(f"{mask_sql} AS decided_by_n{w}")
            for w in self.words:
                final.columns.append(
                    f"{_case([(b_not(given), 'CAST(NULL AS BIGINT)')], f'_dneeds_n{w}')} "
                    f"AS needs_n{w}"
                )
            self.ctes.append(final)
            return
        words = self._mask("_dneeds")
        candidates = {x for r in [*gates, *situations, *exclusions] for x in r.reads}
        missing = self.facts.decode(words, (x for x in candidates if x not in judgments))
        open_judgments = self.facts.decode(words, (x for x in candidates if x in judgments))
        final = _Cte("_decision")
        final.columns += [
            f"{outcome} AS outcome",
            f"{_case([(b_not(given), 'CAST(NULL AS STRING)')], missing)} AS missing",
            f"{_case([(b_not(given), 'CAST(NULL AS STRING)')], open_judgments)} AS judgments",
            f"{decided_by} AS decided_by",
        ]
        self.ctes.append(final)

    @property
    def decision_facts(self) -> tuple[str, ...]:
        return tuple(
            sorted({x for r in self.policy.rules if r.kind in DECISION_KINDS for x in r.reads})
        )

    # ------------------------------------------------------------ the statement

    def sql(self) -> str:
        if self.limits:
            self._due_tables()
        self._defines()
        self._conditions()
        if self.limits:
            self._limits_cte()
        self._checks_cte()
        if self.decision_facts:
            self._decision()
        errors = [
            (
                b_or(
                    *(f"{self.limit_columns[i]}__status = 'error'" for i in range(len(self.limits)))
                ),
                "'calendar_not_covered'",
            ),
            *self._refusals(),
        ]
        columns = ["id", f"{_case(errors, 'CAST(NULL AS STRING)')} AS error"]
        for check in self.check_list():
            columns += [f"{check.column}__{x}" for x in ("status", "needs", "unpublished")]
        if self.decision_facts:
            columns += ["outcome", "missing", "judgments", "decided_by"]
        else:
            columns += [f"CAST(NULL AS STRING) AS {x}" for x in DECISION_COLUMNS]
        head = f"the checks and the decision of policy {self.policy.id}"
        return self._render(head, columns)

    def decide_sql(self) -> str:
        """The decision-only statement (`<id>.decide.sql`, docs/sql.md): what the decision
        reads and nothing else, its needs computed only on the rows it leaves open."""
        assert not self.ctes, "one statement per PolicySql"
        self.exprs.truth_defines = True
        self._defines(decide=True)
        self._conditions(decide=True)
        if self.decision_facts:
            self._decision(decide=True)
        error = _case(self._refusals(), "CAST(NULL AS STRING)")
        columns = ["id", f"{error} AS error"]
        if self.decision_facts:
            columns += ["outcome", *self.decide_masks()]
        else:
            columns += ["CAST(NULL AS STRING) AS outcome"]
            columns += [f"CAST(NULL AS BIGINT) AS {x}" for x in self.decide_masks()]
        head = f"the decision of policy {self.policy.id}, its masks decoded outside"
        return self._render(head, columns)

    def _refusals(self) -> list[tuple[str, str]]:
        """The `error` column's cases that the expressions raise: a value Python refuses,
        then a number too large for the SQL (which Python computes: docs/sql.md)."""
        return [
            (b_or(*(f"({e})" for e in conditions)), label)
            for conditions, label in (
                (self.exprs.errors, "'fact_error'"),
                (self.exprs.too_large, "'number_too_large'"),
            )
        ]

    def decide_masks(self) -> list[str]:
        """The decision-only statement's mask columns: the deciding rules (bits in the order
        of `decision_rules`), then the needed facts (bits as in the full SELECT)."""
        rules = self.decision_rules
        return [
            *(f"decided_by_n{w}" for w in range(max(1, -(-len(rules) // WORD_BITS)))),
            *(f"needs_n{w}" for w in self.words),
        ]

    def _render(self, head: str, columns: Sequence[str]) -> str:
        out = [
            f"-- policyc: {head} (docs/sql.md)",
            "-- generated by policyc build; do not edit",
        ]
        previous = "policyc_cases"
        # A stage with nothing to compute (no checks, no decision flags) is left out.
        self.ctes = [c for c in self.ctes if any(not x.startswith("--") for x in c.columns)]
        if self.ctes:
            out.append("WITH")
        for index, cte in enumerate(self.ctes):
            out.append(f"{cte.name} AS (")
            out.append(f"{INDENT}SELECT")
            if cte.source is None:
                out.append(f"{INDENT * 2}p.*,")
            values = [c for c in cte.columns]
            last_value = max(i for i, c in enumerate(values) if not c.startswith("--"))
            for i, column in enumerate(values):
                comma = "" if column.startswith("--") or i == last_value else ","
                out.append(f"{INDENT * 2}{column}{comma}")
            out.append(f"{INDENT}FROM {cte.source or f'{previous} p'}")
            for join in cte.joins:
                out.append(f"{INDENT}{join}")
            out.append(")," if index < len(self.ctes) - 1 else ")")
            if cte.source is None:
                previous = cte.name
        out.append("SELECT")
        out += [f"{INDENT}{c}," for c in columns[:-1]] + [f"{INDENT}{columns[-1]}"]
        out.append(f"FROM {previous};")
        return "\n".join(out) + "\n"

    def check_list(self) -> list[Check]:
        checks = [
            Check(self.limit_columns[i], x.name, "time_limit", x.clause.citation, x.clause.quote)
            for i, x in enumerate(self.limits)
        ]
        checks += [
            Check(self.rule_columns[r.name], r.name, str(r.kind), r.clause.citation, r.clause.quote)
            for r in self.rules
        ]
        return checks

    def _fact_entry(self, name: str) -> dict[str, object]:
        """A fact in the manifest: its columns and types, and what its values may be where the
        type alone does not say it (the SQL does not check a value: a user's own table must
        keep to these)."""
        fact = self.program.input(name)
        entry: dict[str, object] = {
            "name": name,
            "type": str(fact.type),
            "judgment": fact.judgment,
            "columns": self.facts.columns(name),
        }
        if fact.type.name == "enum":
            entry["members"] = list(fact.members)
        if fact.type.name == "duration":
            entry["units"] = sorted(UNITS)
        return entry

    def manifest(self) -> dict[str, object]:
        columns = ["id", "error"]
        for check in self.check_list():
            columns += [f"{check.column}__{x}" for x in ("status", "needs", "unpublished")]
        columns += list(DECISION_COLUMNS)
        return {
            "policy": self.policy.id,
            "title": self.policy.title,
            "version": dict(sorted(self.policy.version.items())),
            "sql": f"{self.policy.id}.sql",
            "facts": [self._fact_entry(x) for x in self.facts.names],
            "decision_facts": list(self.decision_facts),
            "decide": {
                "sql": f"{self.policy.id}.decide.sql",
                "columns": ["id", "error", "outcome", *self.decide_masks()],
                "decided_by": [r.name for r in self.decision_rules],
            },
            "checks": [
                {
                    "column": c.column,
                    "rule": c.rule,
                    "kind": c.kind,
                    "clause": c.clause,
                    "quote": c.quote,
                }
                for c in self.check_list()
            ],
            "columns": columns,
        }


DECISION_COLUMNS: Final = ("outcome", "missing", "judgments", "decided_by")


def policy_sql(program: ir.Program, policy: ir.Policy) -> str:
    """The SELECT of one policy (docs/sql.md)."""
    return PolicySql(program, policy).sql()


def policy_manifest(program: ir.Program, policy: ir.Policy) -> dict[str, object]:
    return PolicySql(program, policy).manifest()


def json_file(document: object) -> bytes:
    """A JSON file the build writes (a manifest, a record schema): keys sorted, indented."""
    return indented(document)


# How far a long step of the build is: (what is being done, done so far, total).  The CLI
# draws it on a terminal (compiler/progress.py); everything else passes None.
Steps = Callable[[str, int, int], None]
SQL_STEP = "writing SQL"


def sql_files(program: ir.Program, steps: Steps | None = None) -> dict[str, bytes]:
    """Every file of build/sql/ (docs/sql.md, "Files"), by name, in a fixed order."""
    files: dict[str, bytes] = {}
    ids = sorted(program.policies)
    for done, policy_id in enumerate(ids, start=1):
        files |= policy_sql_files(program, program.policies[policy_id])
        if steps is not None:
            steps(SQL_STEP, done, len(ids))
    files |= project_sql_files(calendar_counts(program))
    return dict(sorted(files.items()))


def policy_sql_files(program: ir.Program, policy: ir.Policy) -> dict[str, bytes]:
    """The files of one policy in build/sql/: its SELECT, its manifest and its decide.sql."""
    writer = PolicySql(program, policy)
    files = {
        f"{policy.id}.sql": writer.sql().encode(),
        f"{policy.id}.json": json_file(writer.manifest()),
    }
    # A writer makes one statement (it collects its CTEs): a second for decide.sql.
    files[f"{policy.id}.decide.sql"] = PolicySql(program, policy).decide_sql().encode()
    return files


def project_sql_files(counts: Sequence[int]) -> dict[str, bytes]:
    """The files of build/sql/ that all policies share: the calendar (with the working-day
    counts of every policy's limits, `calendar_counts`) and the README."""
    return {"calendar.csv": calendar_csv(counts).encode(), "README.md": README.encode()}


README = """# SQL validators

Generated by `policyc build` (do not edit).  The contract is docs/sql.md in the policyc
repository.  Per policy:

* `<id>.sql`: one `SELECT` that checks a table of case records and decides each row
  three-valued, with the same statuses, needs, outcomes and deciding rules as the Python
  package (`policyc_validators`);
* `<id>.decide.sql`: the decision alone, for bulk runs (millions of rows): the outcome, with
  the deciding rules (`decided_by_n0`, ...) and the facts still needed (`needs_n0`, ...) as
  bitmasks.  Bit `i` of word `i // 62` is the manifest's `decide.decided_by[i]` or `facts[i]`;
  `decode_decision(manifest, row)` in the package's `runtime/sqlengine.py` decodes a row;
* `<id>.json`: the manifest: the columns the SQL reads (`facts`) and returns (`columns`,
  `decide.columns`), and each check's clause and quote.

`calendar.csv` is the working-day calendar the checks count with (`decide.sql` needs none).

## The table the SQL reads

`policyc_cases`: one row per record, `id VARCHAR`, and every column of the manifest's `facts`,
with exactly the type it gives, NULL where the record does not give the fact.  The SQL does not
check a value: a table made some other way must keep to this, or its answers are wrong without
an error.

* `DECIMAL(38, 10)` numbers: at most 10 decimal places, and below 10^16 in size, as the Python
  package takes them.
* A `date` fact is `DATE`, not `TIMESTAMP`.  A `datetime` fact is a China-time `TIMESTAMP`
  plus `<name>__timed`, false when the record gave a date alone.
* An `enum` fact is one of its `members`.  A `duration` fact is `<name>__amount`, a whole
  number 0 or more, and `<name>__unit`, one of its `units`.

Each statement returns an `error` column: NULL where the row is checked.  `fact_error` or
`calendar_not_covered`: the Python package refuses the record as bad input.
`number_too_large`: a sum or product of the record's numbers is past what DuckDB's `DECIMAL`
holds; check or decide that record with the Python package.  Where `error` is set, the row's
other columns are not the answer.

`python -m policyc_validators validate --engine duckdb --policy ID CASES` makes that table from
JSONL, CSV or Parquet records: it types each value and refuses a bad one as the Python package
does, in its words.  Then it runs `<id>.sql` and reports, or writes the results with `--out`;
a record marked `number_too_large` it checks with the Python package.

## DuckDB

On a table already typed so, e.g. a Parquet file with those columns:

```python
import duckdb

con = duckdb.connect()
con.execute("CREATE TABLE policyc_calendar AS SELECT * FROM read_csv('calendar.csv', header=true)")
con.execute("CREATE TABLE policyc_cases AS SELECT * FROM read_parquet('cases.parquet')")
with open("taierzhuang.sql", encoding="utf-8") as sql:
    rows = con.execute(sql.read()).fetchall()
```

## Spark

```python
calendar = spark.read.csv("calendar.csv", header=True, inferSchema=True)
calendar.createOrReplaceTempView("policyc_calendar")
spark.read.parquet("cases.parquet").createOrReplaceTempView("policyc_cases")
spark.sql(open("taierzhuang.sql").read().rstrip().rstrip(";")).show()
```

A row whose `error` is not NULL is a record the Python package refuses as bad input (a date
outside the calendar, a value it cannot compute with): report it, never count it as checked.
"""
