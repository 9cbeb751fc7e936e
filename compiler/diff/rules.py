"""The rules of two versions compared structurally: what was added, removed, renamed, changed.

Everything a policy file declares is compared: the header, facts and judgments, definitions,
rules of every kind (with their time limits and procedure steps), precedence (`Override`
edges) and the clauses marked informative or pending.  Items pair by name first; what is left
pairs by kind and clause (the clause followed through the text's alignment, so a renumbered
clause is the same clause), and a pair equal in everything but its name is a *rename*.

Two versions are compared after the renames are applied, so a renaming or a reordering (of
statements, or of the operands of `and` / `or`, which commute in Kleene logic) is no change.
Each compared field is either *meaning* (what the rules decide or require: a condition, an
outcome, a limit's amount and unit, precedence, a clause) or *wording* (labels, tasks, notes,
quotes): a wording change is reported but changes no meaning.  How a citation is written is
not compared: the clause is, through the text's alignment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, assert_never

from compiler import ir
from compiler import nodes as n
from compiler.diff.part import Cite, Part, Version
from compiler.diff.text import Alignment, align
from compiler.exprtext import limit_text, to_text
from compiler.inert import inert
from compiler.model import ClauseError


@dataclass(frozen=True)
class Field:
    """One compared property: `key` is compared (renames applied), `shown` is printed."""

    key: str
    shown: str
    meaning: bool
    expr: n.Expr | None = None  # the canonical expression, for a condition


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str
    meaning: bool
    # A comparison whose operator alone changed: the two operators (">=", ">").
    boundary: tuple[str, str] | None = None


@dataclass(frozen=True)
class Item:
    category: str  # header | fact | judgment | define | rule | precedence | mark
    name: str  # the new name (the old one for a removed item)
    old_name: str | None
    status: str  # added | removed | renamed | changed
    kind: str  # a rule's kind, a fact's type, …
    clause: str | None  # the citation (new, or old for a removed item)
    changes: tuple[Change, ...] = ()
    label: str = ""  # a fact's or judgment's words (what a reader knows it by), else ""

    @property
    def meaning(self) -> bool:
        if self.status in ("added", "removed"):
            return self.category != "mark"
        return any(c.meaning for c in self.changes)


Rename = Mapping[str, str]


def part(old: Version, new: Version) -> Part:
    items = compare(old, new)
    changed_meaning = any(i.meaning for i in items)
    json: dict[str, object] = {"items": [_item_json(i) for i in items]}

    def markdown(cite: Cite) -> tuple[str, ...]:
        if not items:
            return ("规则没有变化。",)
        lines: list[str] = []
        for item in items:
            lines += _markdown_item(item, new.policy, cite)
        return tuple(lines)

    text = tuple(line for item in items for line in _text_item(item)) or ("规则没有变化",)
    return Part(
        id="rules",
        title="规则",
        changed=bool(items),
        changes_meaning=changed_meaning,
        json=json,
        markdown=markdown,
        text=text,
    )


def compare(old: Version, new: Version) -> tuple[Item, ...]:
    alignment = align(old.policy.document, new.policy.document)
    moved = _moved(alignment)
    items: list[Item] = list(_header(old.policy.header, new.policy.header))
    rename: dict[str, str] = {}
    # Inputs first (conditions read them), then definitions (rules read them), then rules.
    read = frozenset(old.policy.inputs) | frozenset(new.policy.inputs)
    for category, before, after in (
        ("fact", _inputs(old, False, read), _inputs(new, False, read)),
        ("judgment", _inputs(old, True, read), _inputs(new, True, read)),
        ("define", _defines(old), _defines(new)),
        ("rule", _rules(old), _rules(new)),
    ):
        items += _pair(category, before, after, rename, moved)
    items += _precedence(old.policy, new.policy, rename)
    items += _marks(old.policy, new.policy, moved)
    return tuple(_labelled(item, old, new) for item in items)


def _labelled(item: Item, old: Version, new: Version) -> Item:
    """A fact or judgment with its label, from the version it is in (the old one if removed)."""
    if item.category not in ("fact", "judgment"):
        return item
    program = old.program if item.status == "removed" else new.program
    return dataclasses.replace(item, label=program.input(item.name).label)


# ---------------------------------------------------------------- pairing

# An item's description: (kind, clause citation or None, fields computed under a renaming).
_Describe = Callable[[Rename, Callable[[str], str]], tuple[str, str | None, dict[str, Field]]]


def _pair(
    category: str,
    before: Mapping[str, _Describe],
    after: Mapping[str, _Describe],
    rename: dict[str, str],
    moved: Callable[[str], str],
) -> list[Item]:
    same: Callable[[str], str] = lambda c: c  # noqa: E731 - the new side's clauses as they are
    new_of = {name: describe({}, same) for name, describe in after.items()}
    old_names = [name for name in before if name not in after]
    new_names = [name for name in after if name not in before]
    pairs = [(name, name) for name in before if name in after]
    # A name gone and a name come, of one kind and clause and otherwise equal: a rename.
    for loose in (False, True):
        for name in list(old_names):
            kind, clause, fields = before[name](rename, moved)
            candidates = [
                other
                for other in new_names
                if new_of[other][0] == kind
                and new_of[other][1] == clause
                and (loose or _keys(new_of[other][2]) == _keys(fields))
            ]
            # Loosely (changed too) only when a clause leaves no doubt which one it is.
            if (len(candidates) == 1 and clause is not None) or (candidates and not loose):
                pairs.append((name, candidates[0]))
                rename[name] = candidates[0]
                old_names.remove(name)
                new_names.remove(candidates[0])
    items: list[Item] = []
    for old_name, new_name in pairs:
        kind, clause, fields = before[old_name](rename, moved)
        _, _, shown_old = before[old_name]({}, lambda c: c)
        new_kind, new_clause, new_fields = new_of[new_name]
        changes = tuple(
            _change(key, shown_old.get(key), fields.get(key), new_fields.get(key))
            for key in sorted(set(fields) | set(new_fields))
            if _key(fields.get(key)) != _key(new_fields.get(key))
        )
        if changes or old_name != new_name:
            status = "changed" if changes else "renamed"
            items.append(Item(category, new_name, old_name, status, new_kind, new_clause, changes))
    for name in old_names:
        kind, clause, _ = before[name]({}, lambda c: c)
        items.append(Item(category, name, None, "removed", kind, clause))
    for name in new_names:
        kind, clause, _ = new_of[name]
        items.append(Item(category, name, None, "added", kind, clause))
    return items


def _keys(fields: Mapping[str, Field]) -> dict[str, str]:
    return {k: f.key for k, f in fields.items()}


def _key(field: Field | None) -> str:
    # A field one side lacks (a step's limit, a step) reads as absent, like an empty one.
    return "-" if field is None else field.key


def _change(key: str, old_shown: Field | None, old: Field | None, new: Field | None) -> Change:
    meaning = (old or new or Field("", "", False)).meaning
    before = old_shown.shown if old_shown is not None else "-"
    after = new.shown if new is not None else "-"
    return Change(key, before, after, meaning, _boundary(old, new))


def _boundary(old: Field | None, new: Field | None) -> tuple[str, str] | None:
    """`a >= 3` against `a > 3`: the same comparison with another operator, found in two
    conditions (`Field.expr`) compared side by side."""
    if old is None or new is None:
        return None
    return _compare_ops(old.expr, new.expr)


def _compare_ops(a: n.Expr | None, b: n.Expr | None) -> tuple[str, str] | None:
    if a is None or b is None or type(a) is not type(b):
        return None
    if isinstance(a, n.Compare) and isinstance(b, n.Compare):
        if a.left == b.left and a.right == b.right and a.op != b.op:
            return (a.op, b.op)
        return None
    if isinstance(a, n.BoolOp) and isinstance(b, n.BoolOp) and len(a.operands) == len(b.operands):
        for x, y in zip(a.operands, b.operands, strict=True):
            found = _compare_ops(x, y)
            if found is not None:
                return found
    if isinstance(a, n.Not) and isinstance(b, n.Not):
        return _compare_ops(a.operand, b.operand)
    return None


def _moved(alignment: Alignment) -> Callable[[str], str]:
    """An old citation -> the new citation of the same clause (itself if it has none)."""
    table = {
        p.old.citation: p.new.citation
        for p in alignment.pairs
        if p.old is not None and p.new is not None
    }
    return lambda citation: table.get(citation, f"{citation}（旧）")


# ---------------------------------------------------------------- expressions


def canonical(expr: n.Expr, rename: Rename) -> n.Expr:
    """`expr` with names renamed and `and`/`or` operands flattened and sorted: equal for two
    expressions that differ only by a renaming or a reordering."""
    match expr:
        case n.Literal():
            return expr
        case n.Name(name=name):
            return n.Name(rename.get(name, name), expr.span)
        case n.Not(operand=operand):
            return n.Not(canonical(operand, rename), expr.span)
        case n.BoolOp(op=op, operands=operands):
            flat: list[n.Expr] = []
            for operand in operands:
                inner = canonical(operand, rename)
                if isinstance(inner, n.BoolOp) and inner.op == op:
                    flat += inner.operands
                else:
                    flat.append(inner)
            return n.BoolOp(op, tuple(sorted(flat, key=to_text)), expr.span)
        case n.Compare(op=op, left=left, right=right):
            return n.Compare(op, canonical(left, rename), canonical(right, rename), expr.span)
        case n.InSet(operand=operand, members=members):
            return n.InSet(canonical(operand, rename), tuple(sorted(members)), expr.span)
        case n.Arith(op=op, left=left, right=right):
            return n.Arith(op, canonical(left, rename), canonical(right, rename), expr.span)
        case n.Call(function=function, args=args):
            return n.Call(function, tuple(canonical(a, rename) for a in args), expr.span)
        case n.Conditional(condition=c, then=t, otherwise=o):
            return n.Conditional(
                canonical(c, rename), canonical(t, rename), canonical(o, rename), expr.span
            )
        case _:
            assert_never(expr)


def _expr(expr: n.Expr | None, rename: Rename) -> Field:
    if expr is None:
        return Field("-", "-", True)
    shape = canonical(expr, rename)
    return Field(to_text(shape), to_text(expr), True, shape)


def _names(names: tuple[str, ...], rename: Rename, meaning: bool = True) -> Field:
    return Field(
        ", ".join(sorted(rename.get(x, x) for x in names)) or "-", ", ".join(names) or "-", meaning
    )


def _plain(value: object, meaning: bool) -> Field:
    shown = "-" if value is None or value == () else str(value)
    return Field(shown, shown, meaning)


# ---------------------------------------------------------------- descriptions


def _inputs(version: Version, judgments: bool, read: frozenset[str]) -> dict[str, _Describe]:
    program = version.program
    table = program.judgments if judgments else program.facts

    def describe(item: ir.Input) -> _Describe:
        def fields(
            rename: Rename, moved: Callable[[str], str]
        ) -> tuple[str, str | None, dict[str, Field]]:
            related = (
                f"{item.related.relation} {rename.get(item.related.shared, item.related.shared)}"
                if item.related
                else None
            )
            return (
                str(item.type),
                None,
                {
                    "type": _plain(item.type, True),
                    "members": _plain(", ".join(item.members), True),
                    "related": Field(related or "-", str(item.related or "-"), True),
                    "concept": _plain(item.concept, True),
                    "refers": _plain(item.refers, False),
                    "label": _plain(item.label, False),
                },
            )

        return fields

    # Only the facts either version reads: one no rule reads changes nothing, and the program
    # around a version may hold other policies' facts (the site's is the whole project).
    return {name: describe(item) for name, item in sorted(table.items()) if name in read}


def _defines(version: Version) -> dict[str, _Describe]:
    def describe(define: ir.Define) -> _Describe:
        def fields(
            rename: Rename, moved: Callable[[str], str]
        ) -> tuple[str, str | None, dict[str, Field]]:
            clause = moved(define.clause.citation)
            return (
                str(define.type),
                clause,
                {
                    "type": _plain(define.type, True),
                    "=": _expr(define.expr, rename),
                    **_clause_fields(define.clause, moved),
                },
            )

        return fields

    return {d.name: describe(d) for d in version.policy.defines}


def _clause_fields(clause: ir.ClauseRef, moved: Callable[[str], str]) -> dict[str, Field]:
    # The clause is compared as the aligned clause, not as written: a citation that only
    # follows a renumbering ("四（二）" -> "四（三）") or is spelt another way is the same clause.
    return {
        "clause": Field(moved(clause.citation), clause.citation, True),
        "quote": Field(" … ".join(clause.quotes), clause.quote, False),
    }


def _rules(version: Version) -> dict[str, _Describe]:
    def describe(rule: ir.Rule) -> _Describe:
        def fields(
            rename: Rename, moved: Callable[[str], str]
        ) -> tuple[str, str | None, dict[str, Field]]:
            table: dict[str, Field] = {
                "kind": _plain(rule.kind, True),
                **_clause_fields(rule.clause, moved),
                "when": _expr(rule.when, rename),
                "require": _expr(rule.require, rename),
                "overrides": (
                    Field("all", "all", True)
                    if rule.overrides_all
                    else _names(rule.overrides, rename)
                ),
                "excuses": _names(rule.excuses, rename),
                "actors": _names(rule.actors, rename),
                "roles": _plain(", ".join(f"{r} {a}" for r, a in rule.roles), True),
                "task": _plain(rule.task, False),
                "every": _plain(
                    f"{rule.every.period} {rule.every.by_day or ''}".strip()
                    if rule.every
                    else None,
                    True,
                ),
                "grants": _names(rule.grants, rename),
                "effects": _names(rule.effects, rename),
                "target": _plain(rule.target, True),
                "penalties": _names(rule.penalties, rename),
                "covers": _plain(
                    "; ".join(
                        f"{c.dimension} {', '.join((*c.names, *c.texts))}" for c in rule.covers
                    ),
                    True,
                ),
                "fields": _plain(", ".join(f"{f.name}: {f.type}" for f in rule.fields), True),
                "note": _plain(" / ".join(rule.notes), False),
            }
            if rule.limit is not None:
                table |= _limit_fields("within", rule.limit, rename, rule.when)
            table["steps"] = _plain(len(rule.steps), True)
            for step in rule.steps:
                at = f"step {step.order}"
                table |= {
                    f"{at} name": Field(rename.get(step.name, step.name), step.name, False),
                    f"{at} label": _plain(step.label, False),
                    f"{at} actors": _names(step.actors, rename),
                    f"{at} task": _plain(step.task, False),
                    f"{at} when": _expr(step.when, rename),
                }
                if step.limit is not None:
                    table |= _limit_fields(f"{at} within", step.limit, rename, step.when)
            return (str(rule.kind), moved(rule.clause.citation), table)

        return fields

    return {r.name: describe(r) for r in version.policy.rules}


def _limit_fields(
    at: str, limit: ir.Limit, rename: Rename, owner: n.Expr | None
) -> dict[str, Field]:
    written = limit_text(
        limit.amount,
        limit.start,
        limit.end,
        limit.excluding,
        limit.excluded_from,
        limit.excluded_until,
    )
    # What it counts between, the amount apart: a changed number or unit shows on its own.
    counting = written.removeprefix(str(limit.amount)).strip() or "-"
    return {
        f"{at} counting": Field(counting, counting, True),
        f"{at} amount": _plain(limit.amount, True),
        # A limit binds when its statement or step applies: that condition is shown once, as
        # the owner's `when`, unless the limit has one of its own.
        f"{at} when": _expr(limit.when, rename)
        if limit.when is not None and limit.when != owner
        else _plain(None, True),
        f"{at} extend": _plain(
            f"{limit.extend.amount} when {to_text(canonical(limit.extend.when, rename))}"
            if limit.extend
            else None,
            True,
        ),
        f"{at} no rollover": _plain(limit.no_rollover, True),
    }


# Header fields: (attribute, changes meaning).  The official text's path and hash are the text
# part's business; the title and issuers are how the document is named.
_HEADER: Final = (
    ("effective", True),
    ("status", True),
    ("decision", True),
    ("jurisdiction", True),
    ("level", True),
    ("issued", False),
    ("number", False),
    ("title", False),
    ("issuers", False),
    ("decision_label", False),
)


def _header(old: n.PolicyHeader, new: n.PolicyHeader) -> Iterator[Item]:
    changes = tuple(
        Change(name, _shown(getattr(old, name)), _shown(getattr(new, name)), meaning)
        for name, meaning in _HEADER
        if getattr(old, name) != getattr(new, name)
    )
    if changes:
        yield Item("header", new.id, None, "changed", "policy", None, changes)


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return "、".join(str(v) for v in value) or "-"
    return "-" if value is None else str(value)


def _precedence(old: ir.Policy, new: ir.Policy, rename: Rename) -> Iterator[Item]:
    before = {
        (rename.get(o.exclusion, o.exclusion), rename.get(o.target, o.target))
        for o in old.precedence
    }
    after = {(o.exclusion, o.target) for o in new.precedence}
    for status, edges in (("removed", before - after), ("added", after - before)):
        for exclusion, target in sorted(edges):
            yield Item("precedence", f"{exclusion} > {target}", None, status, "overrides", None)


def _marks(old: ir.Policy, new: ir.Policy, moved: Callable[[str], str]) -> Iterator[Item]:
    before = {moved(m.clause.citation): m for m in old.marks}
    after = {m.clause.citation: m for m in new.marks}
    for clause in sorted(set(before) | set(after)):
        was, now = before.get(clause), after.get(clause)
        if was is None and now is not None:
            yield Item("mark", now.status, None, "added", now.status, clause)
        elif now is None and was is not None:
            yield Item("mark", was.status, None, "removed", was.status, was.clause.citation)
        elif (
            was is not None
            and now is not None
            and (was.status, was.reason)
            != (
                now.status,
                now.reason,
            )
        ):
            change = Change(
                "status",
                f"{was.status} {was.reason or ''}".strip(),
                f"{now.status} {now.reason or ''}".strip(),
                False,
            )
            yield Item("mark", now.status, None, "changed", now.status, clause, (change,))


# ---------------------------------------------------------------- rendering

_STATUS: Final = {"added": "新增", "removed": "删除", "renamed": "更名", "changed": "修改"}
_CATEGORY: Final = {
    "header": "文件信息",
    "fact": "事实",
    "judgment": "判断",
    "define": "定义",
    "rule": "规则",
    "precedence": "优先关系",
    "mark": "条款标记",
}


def _item_json(item: Item) -> dict[str, object]:
    return {
        "category": item.category,
        "status": item.status,
        "name": item.name,
        "old_name": item.old_name,
        "kind": item.kind,
        "clause": item.clause,
        "changes_meaning": item.meaning,
        "label": item.label or None,
        "changes": [
            {
                "field": c.field,
                "old": c.old,
                "new": c.new,
                "meaning": c.meaning,
                "boundary": list(c.boundary) if c.boundary else None,
            }
            for c in item.changes
        ],
    }


def _title(item: Item) -> str:
    renamed = f"{item.old_name} → " if item.old_name and item.old_name != item.name else ""
    at = f" @ {item.clause}" if item.clause else ""
    label = f"「{item.label}」" if item.label else ""
    return (
        f"{_STATUS[item.status]}{_CATEGORY[item.category]} {renamed}{item.name}{label}"
        f"（{item.kind}）{at}"
    )


def _text_item(item: Item) -> list[str]:
    lines = [f"  {_title(item)}{'' if item.meaning else '（不改变含义）'}"]
    for c in item.changes:
        tag = "" if c.meaning else "（措辞）"
        lines.append(f"    {c.field}{tag}: {c.old} → {c.new}")
        if c.boundary:
            lines.append(f"      边界移动: {c.boundary[0]} 改为 {c.boundary[1]}")
    return lines


def _markdown_item(item: Item, policy: ir.Policy, cite: Cite) -> list[str]:
    at = ""
    if item.clause and item.status != "removed":
        try:
            at = " " + cite(policy.id, policy.resolve_clause(item.clause))
        except ClauseError:  # not a clause of the new text: named as text
            at = f" {inert(item.clause)}"
    elif item.clause:
        at = f" {inert(item.clause)}"
    renamed = (
        f"<code>{inert(item.old_name)}</code> → "
        if item.old_name and item.old_name != item.name
        else ""
    )
    note = "" if item.meaning else "（不改变含义）"
    lines = [
        f"- **{_STATUS[item.status]}{_CATEGORY[item.category]}** {renamed}"
        f"<code>{inert(item.name)}</code>{'「' + inert(item.label) + '」' if item.label else ''}"
        f"（{inert(item.kind)}）{at}{note}"
    ]
    for c in item.changes:
        tag = "" if c.meaning else "（措辞）"
        lines.append(
            f"    - {inert(c.field)}{tag}：<del>{inert(c.old)}</del> → <ins>{inert(c.new)}</ins>"
        )
        if c.boundary:
            lines.append(
                f"    - 边界移动：<code>{inert(c.boundary[0])}</code> 改为 "
                f"<code>{inert(c.boundary[1])}</code>"
            )
    return lines
