"""The site's own Chinese words for the language's terms, and conditions read aloud in Chinese.

Policy content (fact labels, quotes, notes) always comes from the model; this module only
supplies the connecting words: the names of statement kinds and units, and 且/或/并非 between
the labels of the facts a condition reads.  Every table covers its whole enum (a test and the
exhaustive `match` keep it so).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final, assert_never

from compiler import ir
from compiler import nodes as n
from compiler.runtime.kinds import Kind
from compiler.runtime.values import Duration


def kind_label(kind: Kind) -> str:
    match kind:
        case Kind.GATE:
            return "前提条件"
        case Kind.SITUATION:
            return "情形"
        case Kind.EXCLUSION:
            return "排除情形"
        case Kind.OUTCOME:
            return "处理结果"
        case Kind.SCOPE:
            return "适用范围"
        case Kind.DEADLINE:
            return "时限"
        case Kind.PROCEDURE:
            return "程序"
        case Kind.DUTY:
            return "职责"
        case Kind.REQUIREMENT:
            return "要求"
        case Kind.LIABILITY:
            return "责任"
        case Kind.SANCTION:
            return "处分"
        case Kind.RESPONSIBILITY:
            return "责任分工"
        case Kind.FORM:
            return "表单"
        case _:
            assert_never(kind)


# The grammar's UNIT terminal, in Chinese.
UNIT_LABELS: Final = {
    "workdays": "个工作日",
    "days": "日",
    "hours": "小时",
    "months": "个月",
    "years": "年",
}

STATUS_LABELS: Final = {
    "in_force": "现行有效",
    "draft": "征求意见稿",
    "repealed": "已废止",
    "expired": "已失效",
}

COVERAGE_LABELS: Final = {
    "cited": "已转写",
    "informative": "说明性条款",
    "heading": "标题",
    "pending": "待转写",
    "uncovered": "未覆盖",
}

REASON_LABELS: Final = {
    "purpose": "目的条款",
    "definition": "定义条款",
    "principle": "原则条款",
    "heading": "标题",
    "organisation": "组织条款",
    "metadata": "文件信息",
    "reference": "引用条款",
    "transitional": "过渡条款",
    "promotion": "宣传条款",
    "signature": "落款",
    "annex": "附件",
}

_COMPARE: Final = {
    ">=": "不低于",
    "<=": "不超过",
    "==": "为",
    "!=": "不为",
    ">": "高于",
    "<": "低于",
}
_ARITH: Final = {"+": "＋", "-": "－", "*": "×", "/": "÷"}


def duration_label(amount: Duration) -> str:
    """3 workdays -> 3个工作日."""
    return f"{amount.amount}{UNIT_LABELS.get(amount.unit, amount.unit)}"


def name_label(program: ir.Program, name: str) -> str:
    """The label a reader knows a name by: a fact's, a judgment's, an actor's, an enum member's;
    the name itself when the vocabulary has none (a definition)."""
    if program.is_input(name):
        return program.input(name).label
    if name in program.actors:
        return program.actors[name].label
    for enum in program.enums.values():
        for member in enum.members:
            if member.name == name:
                return member.label
    return name


def condition(program: ir.Program, expr: n.Expr) -> str:
    """A condition in Chinese: the facts' labels in 「」, joined by 且/或, 并非 for not."""
    return _say(program, expr, top=True)


def _say(program: ir.Program, expr: n.Expr, top: bool = False) -> str:
    match expr:
        case n.Literal(value=value):
            return _literal(value)
        case n.Name(name=name):
            define = program.defines.get(name)
            if define is not None:
                # A definition has no label of its own: read its formula in place (the checker
                # rejects cycles, so this ends).
                return _say(program, define.expr)
            return f"「{name_label(program, name)}」"
        case n.Not(operand=operand):
            return f"并非{_say(program, operand)}"
        case n.BoolOp(op=op, operands=operands):
            joined = ("且" if op == "and" else "或").join(_say(program, o) for o in operands)
            return joined if top else f"（{joined}）"
        case n.Compare(op=op, left=left, right=right):
            said = f"{_say(program, left)}{_COMPARE[op]}{_say(program, right)}"
            return said if top else f"（{said}）"
        case n.InSet(operand=operand, members=members):
            shown = "、".join(f"「{name_label(program, m)}」" for m in members)
            said = f"{_say(program, operand)}为{shown}之一"
            return said if top else f"（{said}）"
        case n.Arith(op=op, left=left, right=right):
            said = f"{_say(program, left)}{_ARITH[op]}{_say(program, right)}"
            return said if top else f"（{said}）"
        case n.Call(function=function, args=args):
            which = "较小者" if function == "min" else "较大者"
            return f"{'、'.join(_say(program, a) for a in args)}中的{which}"
        case n.Conditional(condition=cond, then=then, otherwise=otherwise):
            return (
                f"（{_say(program, cond, top=True)}时为{_say(program, then)}，"
                f"否则为{_say(program, otherwise)}）"
            )
        case _:
            assert_never(expr)


def _literal(value: n.Value) -> str:
    match value:
        case bool():
            return "是" if value else "否"
        case Decimal():
            return str(value)
        case date():
            return f"{value.year}年{value.month}月{value.day}日"
        case Duration():
            return duration_label(value)
        case str():
            return f"“{value}”"
        case _:
            assert_never(value)
