"""The comparison tables: the IR seen across the cities (issue 10, "Comparison tables").

Each table is derived from the lowered model only (`compiler.ir`), never from hand-written
content: rows are the shared concepts of `policies/concepts.policy` (relief situations,
exclusions), or the model's own items (time limits, formulas, duties by actor, liabilities,
sanctions); every non-empty cell carries the clause its words come from.

Lining up cities through concepts.  A city's rule speaks of a concept when it reads one of the
concept's shared facts, or a city fact related to one (`Input.related`: narrower, wider or
same; docs/vocabulary.md).  An empty cell says why it is empty:

- `SILENT`: the city's decision says nothing of the concept in this role (in the situations
  table, a gate — a condition of every situation — counts as speaking of it, noted 前提条件);
- `OPPOSITE`: the city states the opposite — in the situations table, it lists the concept
  among its exclusions (it refuses relief where another city grants it), and in the
  exclusions table among its situations — and the opposing rule reads nothing but the
  concept's facts, with the same polarity as the other cities' rules in that row;
- `JUDGMENT`: the city speaks of the concept in the other role, but with further conditions
  or another polarity, so whether that is the opposite needs human judgment (the cell shows
  the rule so that a person can judge).

Renderers (Markdown, CSV, JSON) are in `compiler.backends.tables`; the site page kind in
`compiler.backends.site.tables`.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any, Final, assert_never

from compiler import ir
from compiler import nodes as n
from compiler.exprtext import to_text
from compiler.runtime.kinds import Kind, Role
from compiler.runtime.timelimits import WorkdayCalendar, load_calendar


class Status(StrEnum):
    """What a cell says: its entries, or why it has none."""

    STATED = "stated"
    SILENT = "silent"
    OPPOSITE = "opposite"
    JUDGMENT = "needs_judgment"


# The site speaks Chinese: the labels every renderer shows for a status.
STATUS_LABELS: Mapping[Status, str] = {
    Status.STATED: "有规定",
    Status.SILENT: "未规定",
    Status.OPPOSITE: "相反规定",
    Status.JUDGMENT: "需人工判断",
}

RELATION_LABELS: Mapping[n.Relation, str] = {
    n.Relation.NARROWER: "本地用语，窄于共享事实",
    n.Relation.WIDER: "本地用语，宽于共享事实",
    n.Relation.SAME: "本地用语，与共享事实同义",
}

UNIT_LABELS: Mapping[str, str] = {
    "workdays": "工作日",
    "days": "日",
    "hours": "小时",
    "months": "个月",
    "years": "年",
}

KIND_LABELS: Mapping[Kind, str] = {
    Kind.GATE: "前提",
    Kind.SITUATION: "适用情形",
    Kind.EXCLUSION: "排除情形",
    Kind.OUTCOME: "处理结果",
    Kind.SCOPE: "适用范围",
    Kind.DEADLINE: "时限",
    Kind.PROCEDURE: "程序",
    Kind.DUTY: "职责",
    Kind.REQUIREMENT: "要求",
    Kind.LIABILITY: "责任情形",
    Kind.SANCTION: "处理决定",
    Kind.RESPONSIBILITY: "责任链",
    Kind.FORM: "表格",
}

TARGET_LABELS: Mapping[str, str] = {"individual": "对个人", "unit": "对单位"}


@dataclass(frozen=True)
class Entry:
    """One statement in a cell: its text (the documents' own words, or a value the model
    states or the runtime computes), the clause it comes from, and an optional note (how the
    city's fact relates to the shared one, a condition, a computed date's caveat)."""

    text: str
    clause: ir.ClauseRef
    rule: str = ""  # the rule, limit or definition it comes from (ASCII, for JSON readers)
    note: str = ""


@dataclass(frozen=True)
class Cell:
    policy: str  # the policy the entries come from ("" for a cell of no city)
    entries: tuple[Entry, ...]
    status: Status


def _silent_cells(policies: Iterable[ir.Policy]) -> dict[str, Cell]:
    """One silent cell per city, shared by every row on which the city says nothing (cells
    are frozen).  A province's tables have a row per actor or penalty some city names and a
    column per city, nearly every cell silent: the duties table is 7,200 rows by 3,000 cities
    at 3,000 jurisdictions, and a cell object each held gigabytes (benchmarks/README.md, the
    twenty-ninth round)."""
    return {p.id: Cell(p.id, (), Status.SILENT) for p in policies}


@dataclass(frozen=True)
class Column:
    key: str  # ASCII: a policy id, or an attribute ("count", "unit", …)
    label: str


@dataclass(frozen=True)
class Row:
    key: str  # ASCII, unique in its table
    label: str
    cells: tuple[Cell, ...]  # one per column, in the columns' order


@dataclass(frozen=True)
class Table:
    id: str  # ASCII: the file name of its downloads and page
    title: str
    description: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    row_header: str = ""  # the heading of the first column (the rows' labels)


# ---------------------------------------------------------------- cities


def city(policy: ir.Policy) -> str:
    """The short name of a policy's place, from its jurisdiction: the last administrative
    unit ("山东省枣庄市台儿庄区" -> "台儿庄区"); the policy id when it has none."""
    jurisdiction = policy.header.jurisdiction
    if not jurisdiction:
        return policy.id
    units = re.findall(r".+?(?:自治区|自治州|省|市|盟|区|县|旗)", jurisdiction)
    return units[-1] if units else jurisdiction


def city_column(policy: ir.Policy) -> Column:
    decision = policy.header.decision_label
    return Column(policy.id, f"{city(policy)}（{decision}）" if decision else city(policy))


def _policies(program: ir.Program) -> list[ir.Policy]:
    return [program.policies[pid] for pid in sorted(program.policies)]


# ---------------------------------------------------------------- polarity


def polarity(program: ir.Program, *exprs: n.Expr) -> dict[str, set[bool]]:
    """For each input the expressions read: True if it is read as it is (`x`, `x and y`),
    False if under `not`; both, or neither (inside a comparison or a conditional, where a
    truth value has no direction), when it cannot be said.  Definitions are followed."""
    found: dict[str, set[bool]] = {}
    seen: set[str] = set()
    for expr in exprs:
        _polarity(program, expr, True, found, seen)
    return found


def _polarity(
    program: ir.Program,
    expr: n.Expr,
    positive: bool | None,
    found: dict[str, set[bool]],
    seen: set[str],
) -> None:
    match expr:
        case n.Name():
            define = program.defines.get(expr.name)
            if define is not None:
                if expr.name not in seen:
                    seen.add(expr.name)
                    _polarity(program, define.expr, positive, found, seen)
            elif program.is_input(expr.name):
                found.setdefault(expr.name, set())
                if positive is not None:
                    found[expr.name].add(positive)
        case n.Not():
            flipped = None if positive is None else not positive
            _polarity(program, expr.operand, flipped, found, seen)
        case n.BoolOp():
            for operand in expr.operands:
                _polarity(program, operand, positive, found, seen)
        case n.Compare() | n.InSet() | n.Arith() | n.Call() | n.Conditional():
            for sub in n.subexpressions(expr):
                _polarity(program, sub, None, found, seen)
        case n.Literal():
            pass
        case _:
            assert_never(expr)


# ---------------------------------------------------------------- concept tables


# Each program's concepts' facts, by concept name (`_concept_facts`): weakly, so that the
# model is let go with its program.
_CONCEPT_FACTS: weakref.WeakKeyDictionary[ir.Program, dict[str, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


def _concept_facts(program: ir.Program, concept: ir.Concept) -> frozenset[str]:
    """The facts a concept lines up: its own and the cities' related ones.  Made once per
    program: a comparison asks for them once per policy, and the related facts grow with the
    jurisdictions (some 16,000 at 3,000), so making them every time made the tables grow with
    their square (and so would hashing the concept, a key of its facts, at every ask)."""
    if program.concepts.get(concept.name) is not concept:  # not the program's own
        return frozenset((*concept.facts, *concept.related))
    by_name = _CONCEPT_FACTS.get(program)
    if by_name is None:
        by_name = {c.name: frozenset((*c.facts, *c.related)) for c in program.concepts.values()}
        _CONCEPT_FACTS[program] = by_name
    return by_name[concept.name]


# Each program's policies' rules by the concepts they read (`_concept_rules`), with the
# concepts by fact that index them: weakly, as `_CONCEPT_FACTS`.
_CONCEPT_RULES: weakref.WeakKeyDictionary[
    ir.Program, tuple[dict[str, tuple[str, ...]], dict[str, dict[str, tuple[ir.Rule, ...]]]]
] = weakref.WeakKeyDictionary()


def _concept_rules(
    program: ir.Program, policy: ir.Policy, concept: ir.Concept
) -> Sequence[ir.Rule]:
    """The policy's rules that read one of the concept's facts, in the policy's order.  Indexed
    once per policy: the tables and the conflict report ask it of every policy for every
    concept, some 330,000 times at 3,000 jurisdictions, and each ask read every rule's facts."""
    facts = _concept_facts(program, concept)
    if program.concepts.get(concept.name) is not concept or (
        program.policies.get(policy.id) is not policy
    ):  # not the program's own: not indexed
        return [rule for rule in policy.rules if not facts.isdisjoint(rule.reads)]
    kept = _CONCEPT_RULES.get(program)
    if kept is None:
        by_fact: dict[str, list[str]] = {}
        for name in program.concepts:
            for fact in _concept_facts(program, program.concepts[name]):
                by_fact.setdefault(fact, []).append(name)
        kept = _CONCEPT_RULES[program] = ({f: tuple(c) for f, c in by_fact.items()}, {})
    concepts_of, by_policy = kept
    index = by_policy.get(policy.id)
    if index is None:
        found: dict[str, list[ir.Rule]] = {}
        for rule in policy.rules:
            read = dict.fromkeys(name for f in rule.reads for name in concepts_of.get(f, ()))
            for name in read:
                found.setdefault(name, []).append(rule)
        index = by_policy[policy.id] = {name: tuple(rules) for name, rules in found.items()}
    return index.get(concept.name, ())


def _relation_note(program: ir.Program, fact: str) -> str:
    found = program.facts.get(fact) or program.judgments.get(fact)
    if found is None or found.related is None:
        return ""
    return RELATION_LABELS[found.related.relation]


@dataclass(frozen=True)
class _Reading:
    """A decision rule that reads a concept: which of its facts, with which polarity, and
    whether it reads nothing else."""

    rule: ir.Rule
    facts: tuple[str, ...]
    polarity: frozenset[bool]
    only: bool


_Polarity = Mapping[str, frozenset[bool]]  # what `polarity` finds, kept
# The four polarities an input can have, one object each: a province's rules keep some 150,000.
_SIGNS: Final = {signs: signs for signs in map(frozenset, ((), (True,), (False,), (True, False)))}
# Each program's rules' polarities (`polarity` of a rule's conditions), by the rule's identity
# (the rule kept with them, so that its id is not reused): weakly, as `_CONCEPT_FACTS`.
_RULE_POLARITY: weakref.WeakKeyDictionary[ir.Program, dict[int, tuple[ir.Rule, _Polarity]]] = (
    weakref.WeakKeyDictionary()
)


def rule_polarity(program: ir.Program, rule: ir.Rule) -> _Polarity:
    """`polarity` of the rule's conditions, made once per program: the tables and the conflict
    report ask it of a rule for every concept it reads (137,000 times for the two concept
    tables at 3,000 jurisdictions)."""
    by_rule = _RULE_POLARITY.get(program)
    if by_rule is None:
        by_rule = _RULE_POLARITY[program] = {}
    kept = by_rule.get(id(rule))
    if kept is None:
        found = polarity(program, *rule.conditions)
        kept = by_rule[id(rule)] = (rule, {k: _SIGNS[frozenset(v)] for k, v in found.items()})
    return kept[1]


def _readings(
    program: ir.Program, policy: ir.Policy, kinds: tuple[Kind, ...], concept: ir.Concept
) -> list[_Reading]:
    facts = _concept_facts(program, concept)
    out = []
    for rule in _concept_rules(program, policy, concept):
        if rule.kind not in kinds:
            continue
        read = [f for f in rule.reads if f in facts]
        signs = rule_polarity(program, rule)
        pol = frozenset(s for f in read for s in signs.get(f, set()))
        # A fact read in no direction (inside a comparison) makes the polarity unknown.
        if any(not signs.get(f) for f in read):
            pol = frozenset({True, False})
        out.append(_Reading(rule, tuple(read), pol, set(rule.reads) <= facts))
    return out


def _entry(program: ir.Program, reading: _Reading) -> Entry:
    notes = []
    for fact in reading.facts:
        note = _relation_note(program, fact)
        if note:
            notes.append(note)
    if reading.rule.kind is Kind.GATE:
        notes.insert(0, "前提条件：本决定适用的前提")
    if reading.polarity == frozenset({False}):
        notes.append("以否定形式读取")
    rule = reading.rule
    return Entry(rule.clause.quote, rule.clause, rule.name, "；".join(dict.fromkeys(notes)))


def _decision_policies(program: ir.Program) -> list[ir.Policy]:
    """The decisions that speak of the shared concepts (宁波, 威海, 玉泉, 台儿庄 today): a
    decision whose rules read no concept fact (鹿城 一事一议) gets a column only in a table
    where it has an entry."""
    return [p for p in _policies(program) if p.makes_decision()]


def _reads_concepts(policy: ir.Policy, facts: frozenset[str]) -> bool:
    """Whether the policy's decision rules read any of the concepts' `facts`."""
    return any(not facts.isdisjoint(r.reads) for r in policy.rules if r.role is Role.DECISION)


# Each program's two concept tables, by kind (`concept_table`): weakly, as `_CONCEPT_FACTS`.
_CONCEPT_TABLES: weakref.WeakKeyDictionary[ir.Program, dict[Kind, Table]] = (
    weakref.WeakKeyDictionary()
)


def concept_table(program: ir.Program, kind: Kind) -> Table:
    """Relief situations (kind SITUATION) or exclusions (EXCLUSION) by concept and city.
    Made once per program (a table is frozen): the site's tables and its conflict report
    both read them, and making the two again was 0.8 s at 3,000 jurisdictions."""
    made = _CONCEPT_TABLES.setdefault(program, {})
    table = made.get(kind)
    if table is None:
        table = made[kind] = _concept_table(program, kind)
    return table


def _concept_table(program: ir.Program, kind: Kind) -> Table:
    # A gate is a condition of every situation: it belongs with them (宁波 程序规范 and 台儿庄
    # 程序完整 are gates, and would otherwise look silent on procedural regularity).
    kinds = (Kind.GATE, Kind.SITUATION) if kind is Kind.SITUATION else (Kind.EXCLUSION,)
    other = (Kind.EXCLUSION,) if kind is Kind.SITUATION else (Kind.SITUATION,)
    policies = _decision_policies(program)
    silent = _silent_cells(policies)
    rows: list[tuple[ir.Concept, dict[str, Cell]]] = []
    for concept in program.concepts.values():
        own = {p.id: _readings(program, p, kinds, concept) for p in policies}
        if not any(own.values()):
            continue
        signs = {s for readings in own.values() for r in readings for s in r.polarity}
        cells: dict[str, Cell] = {}
        for policy in policies:
            if own[policy.id]:
                entries = tuple(_entry(program, r) for r in own[policy.id])
                cells[policy.id] = Cell(policy.id, entries, Status.STATED)
                continue
            opposing = _readings(program, policy, other, concept)
            if not opposing:
                cells[policy.id] = silent[policy.id]
                continue
            entries = tuple(_entry(program, r) for r in opposing)
            clear = all(r.only and r.polarity == frozenset(signs) for r in opposing)
            clear = clear and len(signs) == 1
            status = Status.OPPOSITE if clear else Status.JUDGMENT
            cells[policy.id] = Cell(policy.id, entries, status)
        rows.append((concept, cells))
    concept_facts = frozenset().union(
        *(_concept_facts(program, c) for c in program.concepts.values())
    )
    shown = [
        p
        for p in policies
        if _reads_concepts(p, concept_facts)
        or any(cells[p.id].status is not Status.SILENT for _, cells in rows)
    ]
    columns = tuple(city_column(p) for p in shown)
    table_rows = tuple(
        Row(concept.name, concept.label, tuple(cells[p.id] for p in shown))
        for concept, cells in rows
    )
    if kind is Kind.SITUATION:
        return Table(
            "situations",
            "适用情形对照（按共享概念）",
            "各地免责、容错等决定的适用情形（及决定适用的前提条件），"
            "按 concepts.policy 的共享概念对齐；"
            "空格注明该地未规定、作相反规定（列为排除情形），或需人工判断。",
            columns,
            table_rows,
            "共享概念",
        )
    return Table(
        "exclusions",
        "排除情形对照（按共享概念）",
        "各地不予免责、不予容错的排除情形，按共享概念对齐；"
        "空格注明该地未规定、作相反规定（列为适用情形），或需人工判断。",
        columns,
        table_rows,
        "共享概念",
    )


# ---------------------------------------------------------------- time limits


def _input_label(program: ir.Program, name: str | None) -> str:
    if name is None:
        return ""
    found = program.facts.get(name) or program.judgments.get(name)
    return found.label if found is not None else name


def _due(program: ir.Program, policy: ir.Policy, limit: ir.Limit, start: date) -> str:
    """The due date from `start`, computed by the runtime's one algorithm (`Limit.reckon`)
    through the path `policyc due` takes (`runtime.cli.due_json`), on the official calendar."""
    return due_text(due_entry(program, policy, limit, start))


def due_entry(
    program: ir.Program, policy: ir.Policy, limit: ir.Limit, start: date
) -> Mapping[str, Any]:
    """`policyc due`'s JSON entry of one limit from `start` on the official calendar (the
    conflict report reads the dates from it, the table its text)."""
    from compiler.interpret import limit_tables
    from compiler.runtime import cli as runtime_cli

    tables = limit_tables(program, policy)
    chosen = [x for x in tables.limits if x.name == limit.name]
    report = runtime_cli.due_json(tables, chosen, start, official_calendar())
    entries: Any = report["limits"]
    entry: dict[str, Any] = entries[0]
    return entry


# The one concrete start date every example due date is counted from (the tables, the site's
# time-limit pages, the conflict report, the diff's due dates before and after): the Friday
# before 国庆 2024, so that counts cross the statutory holidays and the adjusted working
# Saturday (2024-10-12), and the calendar's effect is visible.
EXAMPLE_START: Final = date(2024, 9, 27)


@cache
def official_calendar() -> WorkdayCalendar:
    """The bundled official calendar (working days, statutory holidays), read once."""
    return load_calendar([])


def due_text(entry: Mapping[str, Any]) -> str:
    due = entry.get("due")
    if due is None:
        text = "—（按小时计算，须知起算时刻）"
    else:
        text = str(due)
        provisional = entry.get("provisional")
        if provisional:
            text += f"（暂定，{provisional['earliest']}至{provisional['latest']}）"
        if entry.get("counted"):
            text += f"（期满日 {entry['counted']} 为法定休假日，顺延）"
    extended = entry.get("extended")
    if extended:
        unit = UNIT_LABELS.get(str(extended["unit"]), str(extended["unit"]))
        longer = extended.get("due") or "—"
        text += f"；延长 {extended['count']} {unit}：{longer}"
    return text


def limits_table(program: ir.Program, start: date) -> Table:
    """Every time limit of every policy, by procedure, with its due date from `start`."""
    from compiler.tables import periods

    labels = periods(program)
    columns = (
        Column("task", "事项"),
        Column("count", "时限"),
        Column("unit", "单位"),
        Column("excluding", "不计入"),
        Column("from", "起算"),
        Column("until", "截止于"),
        Column("when", "适用条件"),
        Column("due", f"截止日（自 {start.isoformat()} 起算）"),
    )
    rows: list[Row] = []
    for policy in _policies(program):
        for limit in policy.limits:

            def cell(
                text: str, note: str = "", *, p: str = policy.id, at: ir.Limit = limit
            ) -> Cell:
                if not text:
                    return Cell(p, (), Status.SILENT)
                return Cell(p, (Entry(text, at.clause, at.name, note),), Status.STATED)

            excluded = labels.get(limit.excluding, limit.excluding) if limit.excluding else ""
            values = {
                "task": cell(limit.label),
                "count": cell(str(limit.amount.amount)),
                "unit": cell(UNIT_LABELS.get(limit.amount.unit, limit.amount.unit)),
                "excluding": cell(
                    excluded,
                    "截止日另加该期间的工作日" if excluded else "",
                ),
                "from": cell(_input_label(program, limit.start)),
                "until": cell(_input_label(program, limit.end)),
                "when": cell(to_text(limit.when) if limit.when is not None else ""),
                "due": cell(
                    _due(program, policy, limit, start),
                    f"未含{excluded}；实际截止日另加{excluded}所占的工作日" if excluded else "",
                ),
            }
            rows.append(
                Row(
                    f"{policy.id}.{limit.name}",
                    city(policy),
                    tuple(values[c.key] for c in columns),
                )
            )
    return Table(
        "timelimits",
        "时限对照（按程序）",
        "各文件规定的时限：天数与单位（工作日、日、小时）、不计入的期间、起算与截止的事项、"
        f"适用条件，以及以 {start.isoformat()} 为起算日、按官方工作日历（含法定节假日与调休）"
        "计算的截止日（起算日不计入）。",
        columns,
        tuple(rows),
        "城市",
    )


# ---------------------------------------------------------------- thresholds and formulas

_NUMERIC = ("int", "money", "ratio", "duration")


def _quantitative(program: ir.Program, expr: n.Expr) -> bool:
    """Does a condition state a threshold, ratio, quota or amount: a comparison with a number,
    an amount of money, a ratio or a period, or with arithmetic?"""
    for sub in n.walk(expr):
        if isinstance(sub, n.Compare):
            for part in n.walk(sub):
                if isinstance(part, n.Arith):
                    return True
                if isinstance(part, n.Literal) and part.type.name in _NUMERIC:
                    return True
    return False


def thresholds_table(program: ir.Program) -> Table:
    columns = (
        Column("kind", "种类"),
        Column("formula", "公式（策略语言）"),
        Column("quote", "原文"),
    )
    rows: list[Row] = []
    keys: set[str] = set()  # the rows' keys: a scan of the rows grew with their square
    for policy in _policies(program):
        items: list[tuple[str, ir.ClauseRef, str, str]] = []
        for define in policy.defines:
            if define.type.name == "bool":
                continue  # a classification, not a quantity
            formula = f"{define.name} = {to_text(define.expr)}"
            items.append((define.name, define.clause, "公式", formula))
        for rule in policy.rules:
            for label, expr in (("when", rule.when), ("require", rule.require)):
                if expr is not None and _quantitative(program, expr):
                    items.append(
                        (rule.name, rule.clause, KIND_LABELS[rule.kind], f"{label} {to_text(expr)}")
                    )
        for name, clause, kind, formula in items:
            cells = tuple(
                Cell(policy.id, (Entry(text, clause, name),), Status.STATED)
                for text in (kind, formula, clause.quote)
            )
            key = f"{policy.id}.{name}"
            suffix = 2
            while key in keys:  # a rule with both a `when` and a `require`
                key = f"{policy.id}.{name}.{suffix}"
                suffix += 1
            keys.add(key)
            rows.append(Row(key, city(policy), cells))
    return Table(
        "thresholds",
        "数额、比例、限额与公式对照",
        "各文件中含数额、倍数、比例、人数或期间的条件与公式，以策略语言写出（见“策略语言”一页）。",
        columns,
        tuple(rows),
        "城市",
    )


# ---------------------------------------------------------------- by actor


def _by_actor(
    program: ir.Program, kinds: Sequence[Kind]
) -> tuple[tuple[Column, ...], tuple[Row, ...]]:
    """Rows: actors; columns: every policy (a city without any is silent, visibly); cells:
    the rules of `kinds` naming the actor."""
    policies = _policies(program)
    found: dict[str, dict[str, list[Entry]]] = {}
    for policy in policies:
        for rule in policy.rules:
            if rule.kind not in kinds:
                continue
            # The documents' own words (a duty's `task` is the transcriber's summary).
            text = rule.clause.quote
            for actor in rule.actors:
                found.setdefault(actor, {}).setdefault(policy.id, []).append(
                    Entry(text, rule.clause, rule.name)
                )
    silent = _silent_cells(policies)
    # Each row starts as a copy of the silent row, and its few stated cells are put in: at
    # 3,000 jurisdictions a row is 3,000 cells, and the duties table has 7,200 rows; a cell
    # chosen one by one for each was 9 s of the site.
    blank = [silent[p.id] for p in policies]
    place = {p.id: column for column, p in enumerate(policies)}

    def cells(stated: dict[str, list[Entry]]) -> tuple[Cell, ...]:
        row = blank.copy()
        for policy_id, entries in stated.items():
            row[place[policy_id]] = Cell(policy_id, tuple(entries), Status.STATED)
        return tuple(row)

    # An actor's place among the declared ones (a dict: thousands of actors in a province).
    order = {actor: place for place, actor in enumerate(program.actors)}
    actors = sorted(found, key=lambda a: (-len(found[a]), order.get(a, 0), a))
    rows = tuple(
        Row(
            actor,
            program.actors[actor].label if actor in program.actors else actor,
            cells(found[actor]),
        )
        for actor in actors
    )
    return tuple(city_column(p) for p in policies), rows


def duties_table(program: ir.Program) -> Table:
    columns, rows = _by_actor(program, (Kind.DUTY,))
    return Table(
        "duties",
        "职责对照（按主体）",
        "各文件为各主体规定的职责（duty），按主体对齐；文字为条款原文。",
        columns,
        rows,
        "主体",
    )


def liabilities_table(program: ir.Program) -> Table:
    columns, rows = _by_actor(program, (Kind.LIABILITY,))
    return Table(
        "liabilities",
        "责任情形对照（按主体）",
        "各文件规定应予追究责任的情形，按责任主体对齐；文字为原文。",
        columns,
        rows,
        "主体",
    )


def sanctions_table(program: ir.Program) -> Table:
    policies = _policies(program)
    penalty = program.enums.get("penalty")
    labels = {m.name: m.label for m in penalty.members} if penalty else {}
    found: dict[str, dict[str, list[Entry]]] = {}
    for policy in policies:
        for rule in policy.of_kind(Kind.SANCTION):
            note = TARGET_LABELS.get(rule.target or "", rule.target or "")
            for name in rule.penalties:
                found.setdefault(name, {}).setdefault(policy.id, []).append(
                    Entry(rule.clause.quote, rule.clause, rule.name, note)
                )
    silent = _silent_cells(policies)
    order = list(labels)
    rows = tuple(
        Row(
            name,
            labels.get(name, name),
            tuple(
                Cell(p.id, tuple(found[name][p.id]), Status.STATED)
                if p.id in found[name]
                else silent[p.id]
                for p in policies
            ),
        )
        for name in sorted(found, key=lambda x: (order.index(x) if x in order else len(order), x))
    )
    return Table(
        "sanctions",
        "处理决定对照",
        "各文件规定的处理决定（问责方式），按处理决定对齐；注明对个人或对单位。",
        tuple(city_column(p) for p in policies),
        rows,
        "处理决定",
    )


# ---------------------------------------------------------------- all tables

TABLE_IDS = (
    "situations",
    "exclusions",
    "timelimits",
    "thresholds",
    "duties",
    "liabilities",
    "sanctions",
)


def tables(program: ir.Program, start: date, ids: Iterable[str] | None = None) -> list[Table]:
    """The comparison tables, in TABLE_IDS order (only `ids`, when given: KeyError names an
    unknown one)."""
    wanted = list(TABLE_IDS) if ids is None else list(dict.fromkeys(ids))
    unknown = [i for i in wanted if i not in TABLE_IDS]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [_build(program, table_id, start) for table_id in TABLE_IDS if table_id in wanted]


def _build(program: ir.Program, table_id: str, start: date) -> Table:
    match table_id:
        case "situations":
            return concept_table(program, Kind.SITUATION)
        case "exclusions":
            return concept_table(program, Kind.EXCLUSION)
        case "timelimits":
            return limits_table(program, start)
        case "thresholds":
            return thresholds_table(program)
        case "duties":
            return duties_table(program)
        case "liabilities":
            return liabilities_table(program)
        case "sanctions":
            return sanctions_table(program)
    raise KeyError(table_id)


def entries(table: Table) -> Iterator[tuple[Row, Column, Cell]]:
    for row in table.rows:
        yield from (
            (row, column, cell) for column, cell in zip(table.columns, row.cells, strict=True)
        )
