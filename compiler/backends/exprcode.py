"""Expressions -> code, for every code generator: one walk over the expression forms.

The Python and JavaScript backends compile conditions to calls into their runtime's logic
(`L.and_`, `L.compare`, …), which have the same names and meaning in both; only how a target
spells a string, a literal, an operand evaluated later (Kleene's `and`/`or` stop at a decisive
one) and a set of enum members differs.  A new expression form is therefore one case here, and
mypy names this match when a form is missing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, assert_never

from compiler import ir
from compiler import nodes as n
from compiler.backends.pycode import Call, Code


class ExprCompiler(ABC):
    """Expressions -> code in a target language; definitions are functions `define_<name>`."""

    IN_SET: ClassVar[str]  # the runtime's name of set membership

    def __init__(self, program: ir.Program) -> None:
        self.program = program

    @abstractmethod
    def string(self, text: str) -> str:
        """A string literal."""

    @abstractmethod
    def literal(self, value: object) -> Code:
        """A literal value of the language (number, date, duration, bool, text)."""

    @abstractmethod
    def thunk(self, body: Code) -> Code:
        """`body`, evaluated only when called."""

    @abstractmethod
    def members(self, names: tuple[str, ...]) -> Code:
        """A fixed collection of enum members."""

    def expr(self, expr: n.Expr) -> Code:
        match expr:
            case n.Literal():
                return self.literal(expr.value)
            case n.Name():
                return self.name(expr.name)
            case n.Not():
                return Call("L.not_", (self.expr(expr.operand),))
            case n.BoolOp():
                head = "L.and_" if expr.op == "and" else "L.or_"
                return Call(head, tuple(self.thunk(self.expr(o)) for o in expr.operands))
            case n.InSet():
                return Call(self.IN_SET, (self.expr(expr.operand), self.members(expr.members)))
            case n.Compare() | n.Arith():
                head = "L.compare" if isinstance(expr, n.Compare) else "L.arith"
                return Call(
                    head, (self.string(expr.op), self.expr(expr.left), self.expr(expr.right))
                )
            case n.Call():
                return Call(
                    "L.call", (self.string(expr.function), *(self.expr(a) for a in expr.args))
                )
            case n.Conditional():
                return Call(
                    "L.conditional",
                    (
                        self.expr(expr.condition),
                        self.thunk(self.expr(expr.then)),
                        self.thunk(self.expr(expr.otherwise)),
                    ),
                )
            case _:
                assert_never(expr)

    def name(self, name: str) -> Code:
        if name in self.program.defines:
            return f"define_{name}(facts)"
        if self.program.is_input(name):
            return f"L.fact(facts, {self.string(name)})"
        return self.string(name)  # an enum member
