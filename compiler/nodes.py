"""The abstract syntax tree of the policy language.

Every node is a frozen dataclass carrying the `Span` it was parsed from, so that any later
pass (checks, graph, backends) can point back at the exact place in the policy file.  The tree
is deliberately close to the surface syntax: meaning is given by `compiler.interpret`, checks
by `compiler.check`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar, assert_never
from typing import Literal as TypingLiteral

from compiler.runtime.kinds import Kind as Kind

# One definition of durations for the AST and the runtime (which must not import the AST).
from compiler.runtime.values import Duration as Duration


@dataclass(frozen=True)
class Span:
    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


# ---------------------------------------------------------------- values and types

BaseType = TypingLiteral["bool", "int", "money", "ratio", "date", "datetime", "duration", "text"]
DurationUnit = TypingLiteral["workdays", "days", "hours", "months", "years"]


@dataclass(frozen=True)
class TypeRef:
    """A value type: one of the base types, or `enum` with the enum's name."""

    name: str  # a BaseType, or "enum"
    enum: str | None = None

    def __str__(self) -> str:
        return f"enum {self.enum}" if self.name == "enum" else self.name


# A literal's Python value: bool, Decimal (int, money and ratio), date, datetime (a subclass
# of date), Duration, or str.
Value = bool | Decimal | date | Duration | str


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Literal:
    value: Value
    type: TypeRef
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Name:
    """A reference to a fact, judgment, definition or enum member."""

    name: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Not:
    operand: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Expr, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Compare:
    op: str  # >= <= == != > <
    left: Expr
    right: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class InSet:
    operand: Expr
    members: tuple[str, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Arith:
    op: str  # + - * /
    left: Expr
    right: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Call:
    function: str  # "min" | "max"
    args: tuple[Expr, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Conditional:
    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span = field(compare=False)


Expr = Literal | Name | Not | BoolOp | Compare | InSet | Arith | Call | Conditional


# ---------------------------------------------------------------- citations


@dataclass(frozen=True)
class Citation:
    text: str  # as written, e.g. "第四条（一）2"
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Quote:
    text: str
    span: Span = field(compare=False)


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True)
class PolicyHeader:
    id: str
    title: str | None
    jurisdiction: str | None
    level: str | None
    issuers: tuple[str, ...]
    number: str | None
    issued: date | None
    status: str | None
    status_label: str | None
    effective: date | str | None  # a date, or "on_issue"
    source: str | None
    source_sha256: str | None
    decision: str | None
    decision_label: str | None
    span: Span = field(compare=False)


class Relation(StrEnum):
    """How a city's fact relates to a shared (concept) fact whose words differ: the one table
    of relations (the grammar's RELATION terminal lists exactly these words).

    Read as implications between the two facts about one case: `narrower` means the city fact
    implies the shared one (the city's words cover fewer cases), `wider` the converse, `same`
    both (different words, one meaning)."""

    SAME = "same"
    NARROWER = "narrower"
    WIDER = "wider"


@dataclass(frozen=True)
class FactRelation:
    """`fact ningbo_self_dealing: bool "以权谋私或优亲厚友" narrower sought_improper_benefit`."""

    relation: Relation
    shared: str  # the concept fact it relates to
    span: Span = field(compare=False)


@dataclass(frozen=True)
class FactDecl:
    name: str
    type: TypeRef
    label: str
    concept: str | None
    span: Span = field(compare=False)
    relation: FactRelation | None = None  # to a shared fact, when the words differ


@dataclass(frozen=True)
class JudgmentDecl:
    """An open-textured question only a person can answer ("其他…情形", an external rule)."""

    name: str
    label: str
    refers: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ConceptDecl:
    name: str
    label: str
    facts: tuple[FactDecl, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class EnumMember:
    name: str
    label: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class EnumDecl:
    name: str
    label: str
    members: tuple[EnumMember, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ActorDecl:
    name: str
    label: str
    part_of: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class DefineDecl:
    """A named formula with its citation, e.g. a cap on an amount."""

    name: str
    type: TypeRef
    citation: Citation
    quotes: tuple[Quote, ...]
    expr: Expr
    span: Span = field(compare=False)


# ---------------------------------------------------------------- statement items


@dataclass(frozen=True)
class When:
    condition: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Require:
    condition: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Within:
    limit: Duration
    start: str | None  # a date fact: the event the limit counts from
    end: str | None  # a date fact: the event that must happen in time
    excluding: str | None  # a period not counted, e.g. public_notice (不含公示期)
    span: Span = field(compare=False)
    # The date facts bounding the excluded period, so a case record can be checked.
    excluded_from: str | None = None
    excluded_until: str | None = None


@dataclass(frozen=True)
class Extend:
    limit: Duration
    condition: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class NoRollover:
    """The limit beside it keeps a last day that falls on a 法定休假日 (民法典 第二百零四条)."""

    reason: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Actors:
    names: tuple[str, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Task:
    text: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Overrides:
    all: bool
    names: tuple[str, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Grants:
    names: tuple[str, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Excuses:
    """A situation's `excuses NAME, …`: the liabilities of its policy whose failing it excuses
    (玉泉 第二十条（五） "因不可抗力导致资金不能拨付到位" excuses the arrears of 第十八条（七）,
    not the misuse beside it).  A situation without it relieves the whole decision."""

    names: tuple[str, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Effects:
    names: tuple[str, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Every:
    period: str  # month | quarter | half_year | year
    by_day: int | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    items: tuple[Item, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Field:
    name: str
    type: TypeRef
    label: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Role:
    role: str  # first_responsible | direct_responsible | specific_responsible
    actor: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Covers:
    dimension: str  # staff | programmes | places | by_reference
    names: tuple[str, ...]  # vocabulary ids
    texts: tuple[str, ...]  # free descriptions quoted from the text
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Target:
    name: str  # individual | unit
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Penalties:
    names: tuple[str, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Note:
    text: str
    span: Span = field(compare=False)


Item = (
    When
    | Require
    | Within
    | Extend
    | NoRollover
    | Actors
    | Task
    | Overrides
    | Excuses
    | Grants
    | Effects
    | Every
    | Step
    | Field
    | Role
    | Covers
    | Target
    | Penalties
    | Note
)

# The spelling of each item in the language, for diagnostics.
ITEM_KEYWORDS: dict[type, str] = {
    When: "when",
    Require: "require",
    Within: "within",
    Extend: "extend",
    NoRollover: "no rollover",
    Actors: "actor",
    Task: "task",
    Overrides: "overrides",
    Excuses: "excuses",
    Grants: "grants",
    Effects: "effect",
    Every: "every",
    Step: "step",
    Field: "field",
    Role: "first/direct/specific_responsible",
    Covers: "covers",
    Target: "target",
    Penalties: "penalty",
    Note: "note",
}


def subexpressions(expr: Expr) -> tuple[Expr, ...]:
    """The direct operands of an expression."""
    match expr:
        case Not() | InSet():
            return (expr.operand,)
        case BoolOp():
            return expr.operands
        case Compare() | Arith():
            return (expr.left, expr.right)
        case Call():
            return expr.args
        case Conditional():
            return (expr.condition, expr.then, expr.otherwise)
        case Literal() | Name():
            return ()
        case _:
            assert_never(expr)


def walk(expr: Expr) -> Iterator[Expr]:
    """An expression and all its subexpressions, preorder."""
    yield expr
    for operand in subexpressions(expr):
        yield from walk(operand)


def names_in(expr: Expr) -> list[str]:
    """Every name an expression mentions (facts, judgments, definitions, enum members), in
    order of appearance, repeats kept."""
    found: list[str] = []
    _add_names(expr, found)
    return found


def _add_names(expr: Expr, found: list[str]) -> None:
    # Appended to one list, not `walk` filtered: every condition and definition is asked for
    # its names by the lowering and the backends (3.4 times as fast, 1.3 % of a first build).
    if isinstance(expr, Name):
        found.append(expr.name)
        return
    for operand in subexpressions(expr):
        _add_names(operand, found)


ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class Statement:
    """A rule transcribed from one clause: a gate, situation, exclusion, deadline, duty, ..."""

    kind: Kind
    name: str
    citation: Citation
    quotes: tuple[Quote, ...]
    items: tuple[Item, ...]
    span: Span = field(compare=False)

    def all(self, item_type: type[ItemT]) -> tuple[ItemT, ...]:
        return tuple(i for i in self.items if isinstance(i, item_type))

    def first(self, item_type: type[ItemT]) -> ItemT | None:
        found = self.all(item_type)
        return found[0] if found else None

    def index(self) -> ItemIndex:
        """Its items grouped by class once, for a pass that asks for many classes."""
        return ItemIndex(self.items)


class ItemIndex:
    """A statement's items by their class: what `Statement.all` and `first` find, grouped in
    one pass over the items instead of one a class (the lowering asks for 17 classes, each
    scan a generator: 1.2 % of a first build's CPU samples).  An item's own class stands for
    `isinstance` because no item class derives from another (tests/test_language.py)."""

    __slots__ = ("_by_class",)

    def __init__(self, items: tuple[Item, ...]) -> None:
        by_class: dict[type, list[Any]] = {}
        for item in items:
            by_class.setdefault(type(item), []).append(item)
        self._by_class = by_class

    def all(self, item_type: type[ItemT]) -> tuple[ItemT, ...]:
        return tuple(self._by_class.get(item_type, ()))

    def first(self, item_type: type[ItemT]) -> ItemT | None:
        found = self._by_class.get(item_type)
        return found[0] if found else None


@dataclass(frozen=True)
class Informative:
    """A clause that carries no rule (purpose, principle, ...), marked so coverage can count it."""

    citation: Citation
    reason: str
    quotes: tuple[Quote, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Pending:
    """A clause not yet transcribed (written by `policyc new`); coverage counts it uncovered."""

    citation: Citation
    quotes: tuple[Quote, ...]
    span: Span = field(compare=False)


# ---------------------------------------------------------------- policy tests


@dataclass(frozen=True)
class Binding:
    name: str
    value: Literal | Name  # a Name is an enum member
    span: Span = field(compare=False)


@dataclass(frozen=True)
class DueCheck:
    limit: str  # a deadline (or procedure step) name
    extended: bool
    start: date | datetime  # a datetime for a limit in hours
    expected: date | datetime
    span: Span = field(compare=False)
    excluded: tuple[date, date] | None = None  # a period not counted, both ends included


@dataclass(frozen=True)
class RuleCheck:
    """`holds RULE` / `fails RULE`: a rule's condition is true / false under the givens."""

    rule: str
    holds: bool
    span: Span = field(compare=False)


@dataclass(frozen=True)
class RecordCheck:
    """`check NAME is STATUS`: the givens, read as a case record, give this status to the check
    of a time limit or a checked rule (pass, fail, holds, not_applicable, undetermined, skipped;
    docs/validators.md, Checks)."""

    name: str
    status: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class GrantCheck:
    """`grants NAME, …` / `grants none`: exactly these relief members are what the decision
    grants for certain (in any order).  `pending` is the same for the grants still pending on
    an outcome's open condition (docs/language.md, "What the decision grants")."""

    pending: bool
    names: tuple[str, ...]  # empty: `none`
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ExemptCheck:
    """`exempts NAME, …` / `exempts none`: exactly these liabilities are what the relief covers
    (the `excuses` of the situations that decided it).  `not_exempted` is the same for the
    liabilities known to hold that it does not cover (docs/language.md, "What relief covers")."""

    not_exempted: bool
    names: tuple[str, ...]  # empty: `none`
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Case:
    name: str
    label: str
    given: tuple[Binding, ...]
    expect: str | None
    cites: tuple[Citation, ...]
    missing: tuple[str, ...] | None
    dues: tuple[DueCheck, ...]
    span: Span = field(compare=False)
    rule_checks: tuple[RuleCheck, ...] = ()
    grant_checks: tuple[GrantCheck, ...] = ()
    exempt_checks: tuple[ExemptCheck, ...] = ()
    record_checks: tuple[RecordCheck, ...] = ()


@dataclass(frozen=True)
class TestSuite:
    policy: str
    cases: tuple[Case, ...]
    span: Span = field(compare=False)


Declaration = FactDecl | JudgmentDecl | ConceptDecl | EnumDecl | ActorDecl | DefineDecl
TopLevel = PolicyHeader | Declaration | Statement | Informative | Pending | TestSuite


@dataclass(frozen=True)
class Module:
    """One parsed file."""

    path: str
    items: tuple[TopLevel, ...]

    @property
    def header(self) -> PolicyHeader | None:
        return next((i for i in self.items if isinstance(i, PolicyHeader)), None)
