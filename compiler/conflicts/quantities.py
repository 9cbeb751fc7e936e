"""Quantities and procedures side by side, and boundaries drawn differently (issue 11).

What counts as "the same procedure" comes from the model, never from the limits' words:

- by programme: a limit whose `when` reads a fact of the shared enum `programme` (社会救助项目)
  binds the programmes under which that condition is not false (evaluated by the interpreter
  with only the programme given); limits of different cities binding one programme are lined
  up (玉泉 低保 30 工作日 against 台儿庄 12 工作日);
- by concept: a limit that runs from or until a fact of a shared concept (`concepts.policy`) is
  lined up with the other cities' limits on that concept (急难情况先行救助: 台儿庄 and 鹿城 24
  小时 from `emergency_found_date` to `pre_aid_delivered_date`).

A limit that neither reads a programme nor runs between concept facts has no counterpart the
model can state (the staff-relief investigation periods of 宁波 and 威海 among them): it is
listed apart, never paired by its words.

Every due date is the one `policyc due` gives (`comparison.due_entry`, i.e. `runtime.cli.
due_json` and `Limit.reckon`) on the official calendar.  A limit counted in hours runs from a
moment: it is given the start date at 09:00.

Boundaries: for each pair of lined-up limits of two cities that count differently (amount,
unit 日/工作日/小时, 含/不含公示期), one concrete case falls between: the same start, a 3-day
公示期 right after it, and an end date one day after the earlier due date, so that one city's
limit is met and the other's is not.  Both results come from the runtime's record check
(`runtime.checks.check_record`, the check `policyc validate` runs), and each is a `Witness`
(`check LIMIT is pass/fail`).  Thresholds in conditions (鹿城 4–10 倍, 玉泉 30 %) are compared
only when two cities compare the same fact (or facts related to one shared fact); the others are
listed as having no counterpart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from compiler import ir
from compiler import nodes as n
from compiler.comparison import UNIT_LABELS, city, due_entry, due_text, official_calendar
from compiler.conflicts.section import Cite, Given, Section, Witness
from compiler.examples import SYNTHETIC, solve
from compiler.exprtext import literal_text, to_text
from compiler.interpret import Evaluator, info, limit_tables
from compiler.runtime.checks import check_record

PROGRAMME = "programme"  # the shared enum of 社会救助项目 (vocabulary.policy)
NOTICE_DAYS = 3  # the 公示期 of a case (台儿庄 二（三） "公示期为3天"), when a limit excludes it
_HOURS_AT = time(9, 0)  # the moment an hours limit counts from, on the start date


# ---------------------------------------------------------------- lining limits up


@dataclass(frozen=True)
class Lined:
    """One limit of one policy in a group, with its due date from the report's start."""

    policy: ir.Policy
    limit: ir.Limit
    due: Mapping[str, Any]  # `policyc due`'s entry


@dataclass(frozen=True)
class Group:
    key: str  # "programme:dibao", "concept:emergency_pre_aid"
    by: str  # programme | concept
    name: str  # the enum member or concept
    label: str
    limits: tuple[Lined, ...]

    @property
    def policies(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(x.policy.id for x in self.limits))


def _programme_facts(program: ir.Program, limit: ir.Limit) -> list[str]:
    return [
        name
        for name in limit.reads
        if name in program.facts
        and program.facts[name].type.name == "enum"
        and program.facts[name].type.enum == PROGRAMME
    ]


def _programmes(program: ir.Program, limit: ir.Limit) -> tuple[str, ...]:
    """The programmes a limit binds: those under which its condition is not false."""
    facts = _programme_facts(program, limit)
    if not facts or limit.when is None or PROGRAMME not in program.enums:
        return ()
    members = [m.name for m in program.enums[PROGRAMME].members]
    bound = []
    for member in members:
        try:
            value = Evaluator(program, dict.fromkeys(facts, member)).eval(limit.when)
        except (ValueError, ArithmeticError, RecursionError):
            value = None  # not known to be false: the limit may bind it
        if value is not False:
            bound.append(member)
    # A condition that is not false for every programme does not depend on it.
    return tuple(bound) if len(bound) < len(members) else ()


def _concepts_of_facts(program: ir.Program) -> dict[str, tuple[str, ...]]:
    """Each fact's concepts (those it is a fact of, or related to), in the concepts' order.
    Made once: a concept's related facts grow with the jurisdictions (some 16,000 at 3,000),
    and scanning them for every limit made the report's time grow with their square."""
    found: dict[str, list[str]] = {}
    for concept in program.concepts.values():
        for fact in dict.fromkeys((*concept.facts, *concept.related)):
            found.setdefault(fact, []).append(concept.name)
    return {fact: tuple(names) for fact, names in found.items()}


def _concepts(
    program: ir.Program, limit: ir.Limit, concepts_of: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """The concepts the limit's start or end is a fact of (or related to), in their order."""
    hit = {name for end in (limit.start, limit.end) if end for name in concepts_of.get(end, ())}
    return tuple(name for name in program.concepts if name in hit)


def _start_moment(limit: ir.Limit, start: date) -> date:
    """An hours limit counts from a moment: the start date at 09:00."""
    if limit.amount.unit == "hours":
        return datetime.combine(start, _HOURS_AT)
    return start


def groups(program: ir.Program, start: date) -> tuple[tuple[Group, ...], tuple[Lined, ...]]:
    """The groups of lined-up limits (with two cities or more), and the limits lined up with
    no other city's."""
    by_key: dict[tuple[str, str], list[Lined]] = {}
    alone: list[Lined] = []
    concepts_of = _concepts_of_facts(program)
    for policy in sorted(program.policies.values(), key=lambda p: p.id):
        for limit in policy.limits:
            lined = Lined(
                policy,
                limit,
                due_entry(program, policy, limit, _start_moment(limit, start)),
            )
            keys = [("programme", m) for m in _programmes(program, limit)]
            keys += [("concept", c) for c in _concepts(program, limit, concepts_of)]
            for key in keys:
                by_key.setdefault(key, []).append(lined)
            if not keys:
                alone.append(lined)
    members = (
        [m.name for m in program.enums[PROGRAMME].members] if PROGRAMME in program.enums else []
    )
    concepts = list(program.concepts)

    def order(key: tuple[str, str]) -> tuple[int, int]:
        by, name = key
        return (0, members.index(name)) if by == "programme" else (1, concepts.index(name))

    out: list[Group] = []
    paired: set[tuple[str, str]] = set()
    for key in sorted(by_key, key=order):
        items = by_key[key]
        if len({x.policy.id for x in items}) < 2:
            continue
        by, name = key
        if by == "programme":
            member = program.enums[PROGRAMME].member(name)
            label = member.label if member is not None else name
        else:
            label = program.concepts[name].label
        out.append(Group(f"{by}:{name}", by, name, label, tuple(items)))
        paired |= {(x.policy.id, x.limit.name) for x in items}
    seen: set[tuple[str, str]] = set()
    unpaired = []
    for items in [*by_key.values(), alone]:
        for x in items:
            ident = (x.policy.id, x.limit.name)
            if ident not in paired and ident not in seen:
                seen.add(ident)
                unpaired.append(x)
    unpaired.sort(key=lambda x: (x.policy.id, x.policy.limits.index(x.limit)))
    return tuple(out), tuple(unpaired)


# ---------------------------------------------------------------- JSON of a limit


def fact_label(program: ir.Program, name: str | None) -> str:
    if name is None:
        return ""
    found = program.facts.get(name) or program.judgments.get(name)
    return found.label if found is not None else name


def _period_label(program: ir.Program, name: str | None) -> str:
    if name is None:
        return ""
    enum = program.enums.get("period")
    member = enum.member(name) if enum is not None else None
    return member.label if member is not None else name


def limit_json(program: ir.Program, x: Lined) -> dict[str, Any]:
    limit = x.limit
    return {
        "policy": x.policy.id,
        "city": city(x.policy),
        "limit": limit.name,
        "label": limit.label,
        "clause": limit.clause.citation,
        "quote": limit.clause.quote,
        "count": limit.amount.amount,
        "unit": limit.amount.unit,
        "excluding": limit.excluding,
        "from": limit.start,
        "from_label": fact_label(program, limit.start),
        "until": limit.end,
        "until_label": fact_label(program, limit.end),
        "when": to_text(limit.when) if limit.when is not None else None,
        "due": x.due.get("due"),
        "due_text": due_text(x.due),
    }


def _amount(limit: ir.Limit) -> str:
    text = f"{limit.amount.amount} {UNIT_LABELS.get(limit.amount.unit, limit.amount.unit)}"
    return text


# ---------------------------------------------------------------- boundaries


@dataclass(frozen=True)
class Between:
    """A case on which two lined-up limits of two cities come out differently."""

    group: Group
    a: Lined
    b: Lined
    differs: tuple[str, ...]  # count | unit | excluding
    start: date
    end: date
    notice: tuple[date, date] | None
    status_a: str
    status_b: str
    witness_a: Witness
    witness_b: Witness


def _differs(a: ir.Limit, b: ir.Limit) -> tuple[str, ...]:
    out = []
    if a.amount.amount != b.amount.amount:
        out.append("count")
    if a.amount.unit != b.amount.unit:
        out.append("unit")
    if a.excluding != b.excluding:
        out.append("excluding")
    return tuple(out)


def literal(program: ir.Program, name: str, value: Any) -> str:
    """A fact's typed value as a policy test's `given` writes it (`2024-09-27`, `500 yuan`,
    `true`, an enum member's name)."""
    spec = program.facts.get(name) or program.judgments.get(name)
    if spec is None or spec.type.name == "enum":
        return str(value)
    return literal_text(n.Literal(value, spec.type, SYNTHETIC))


def _binding(program: ir.Program, x: Lined, group: Group) -> dict[str, Any] | None:
    """Facts under which the limit's condition holds (the group's programme when it is one),
    found with the example solver and verified with the interpreter."""
    limit = x.limit
    if limit.when is None:
        return {}
    seed: dict[str, Any] = {}
    if group.by == "programme":
        seed = dict.fromkeys(_programme_facts(program, limit), group.name)
    condition = limit.when

    def holds(facts: Mapping[str, Any]) -> bool:
        try:
            return Evaluator(program, {**facts, **seed}).eval(condition) is True
        except (ValueError, ArithmeticError):
            return False

    if holds({}):
        return seed
    solution = solve(program, condition, holds)
    if solution.facts is None:
        return None
    found = {**solution.facts, **seed}
    return found if holds(found) else None


def _record(
    program: ir.Program,
    x: Lined,
    facts: Mapping[str, Any],
    start: date,
    end: date,
    notice: tuple[date, date] | None,
    other: Lined,
) -> dict[str, Any]:
    limit = x.limit
    record = dict(facts)
    hours = limit.amount.unit == "hours"
    moment = (lambda d: datetime.combine(d, _HOURS_AT)) if hours else (lambda d: d)
    if limit.start is not None:
        record[limit.start] = _typed(program, limit.start, moment(start))
    if limit.end is not None:
        record[limit.end] = _typed(program, limit.end, moment(end))
    if notice is not None:
        for at in (limit, other.limit):
            for name, day in ((at.excluded_from, notice[0]), (at.excluded_until, notice[1])):
                if name is not None:
                    record[name] = day
    return record


def _typed(program: ir.Program, name: str, value: date) -> date:
    """A date for a date fact, a moment for a datetime fact (its day at 09:00)."""
    spec = program.facts.get(name)
    if spec is not None and spec.type.name == "datetime" and not isinstance(value, datetime):
        return datetime.combine(value, _HOURS_AT)
    return value


def _status(program: ir.Program, x: Lined, record: Mapping[str, Any]) -> str:
    results = check_record(info(program, x.policy), record, official_calendar())
    found = [r for r in results if r.rule == x.limit.name and r.kind == "time_limit"]
    return found[0].status if found else "skipped"


def _due_of(program: ir.Program, x: Lined, start: date, notice: tuple[date, date] | None) -> date:
    """The due date of the case (its 公示期 not counted where the limit excludes it), by
    `Limit.reckon`."""
    tables = limit_tables(program, x.policy)
    limit = tables.limit(x.limit.name)
    excluded = notice if x.limit.excluding is not None else None
    due = limit.reckon(_start_moment(x.limit, start), official_calendar(), excluded=excluded).day
    return due.date() if isinstance(due, datetime) else due


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _witness(
    program: ir.Program,
    group: Group,
    x: Lined,
    record: Mapping[str, Any],
    status: str,
    other: Lined,
    other_status: str,
    words: str,
) -> Witness:
    givens = tuple(Given(name, literal(program, name, record[name])) for name in sorted(record))
    name = _slug(f"boundary_{x.limit.name}_vs_{other.policy.id}_{other.limit.name}")

    def side(y: Lined, result: str) -> str:
        return f"{city(y.policy)} {_counted(program, y.limit)} {_STATUS_WORDS.get(result, result)}"

    title = f"{group.label}：{words}；{side(x, status)}，{side(other, other_status)}"
    return Witness(
        x.policy.id,
        name,
        title,
        givens,
        cites=(x.limit.clause.citation,),
        checks=((x.limit.name, status),),
    )


def _counted(program: ir.Program, limit: ir.Limit) -> str:
    """ "30 工作日（不含公示期）"."""
    period = _period_label(program, limit.excluding)
    return _amount(limit) + (f"（不含{period}）" if period else "")


def between(program: ir.Program, group: Group, a: Lined, b: Lined, start: date) -> Between | None:
    """The case between two limits counted differently, or None when they give the same due
    date (or a limit's condition cannot be made to hold)."""
    differs = _differs(a.limit, b.limit)
    if not differs:
        return None
    facts_a, facts_b = _binding(program, a, group), _binding(program, b, group)
    if facts_a is None or facts_b is None:
        return None
    excludes = a.limit.excluding is not None or b.limit.excluding is not None
    notice = (start + timedelta(days=1), start + timedelta(days=NOTICE_DAYS)) if excludes else None
    due_a, due_b = _due_of(program, a, start, notice), _due_of(program, b, start, notice)
    if due_a == due_b:
        return None
    end = min(due_a, due_b) + timedelta(days=1)
    # The case is a record of each city: its notice dates only where its policy reads them.
    # One case for both cities: the 公示期 is on both records where the policy reads its dates.
    record_a = _record(program, a, facts_a, start, end, notice, b)
    record_b = _record(program, b, facts_b, start, end, notice, a)
    record_a = {k: v for k, v in record_a.items() if k in a.policy.inputs}
    record_b = {k: v for k, v in record_b.items() if k in b.policy.inputs}
    status_a, status_b = _status(program, a, record_a), _status(program, b, record_b)
    if status_a == status_b:
        return None
    return Between(
        group,
        a,
        b,
        differs,
        start,
        end,
        notice,
        status_a,
        status_b,
        _witness(program, group, a, record_a, status_a, b, status_b, _words(start, end, notice)),
        _witness(program, group, b, record_b, status_b, a, status_a, _words(start, end, notice)),
    )


def comparable(group: Group, a: Lined, b: Lined) -> bool:
    """Do two lined-up limits of two cities limit the same procedure?  By programme: both are
    the programme's overall limit (a deadline's, not one step of a procedure: 玉泉 低保 30 工作日
    against 台儿庄 12 工作日, not against 台儿庄's 8 工作日 入户调查); by concept: both run from
    the same fact until the same fact."""
    if a.policy.id == b.policy.id:
        return False
    if group.by == "programme":
        return a.limit.step is None and b.limit.step is None
    return (a.limit.start, a.limit.end) == (b.limit.start, b.limit.end)


@dataclass(frozen=True)
class Pairs:
    between: tuple[Between, ...]  # counted differently, with a case between
    same: tuple[tuple[Group, Lined, Lined], ...]  # counted alike: the same due dates


def boundaries(program: ir.Program, start: date) -> Pairs:
    found, _ = groups(program, start)
    out: list[Between] = []
    same: list[tuple[Group, Lined, Lined]] = []
    seen: set[tuple[str, str, str, str]] = set()
    for group in found:
        for i, a in enumerate(group.limits):
            for b in group.limits[i + 1 :]:
                if not comparable(group, a, b):
                    continue
                ident = (a.policy.id, a.limit.name, b.policy.id, b.limit.name)
                if ident in seen:
                    continue  # a pair lined up under two programmes (支出型, and 临时救助)
                seen.add(ident)
                case = between(program, group, a, b, start)
                if case is not None:
                    out.append(case)
                elif not _differs(a.limit, b.limit):
                    same.append((group, a, b))
    return Pairs(tuple(out), tuple(same))


# ---------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class Threshold:
    """A comparison with a number in a rule's condition (`x >= 30% * y`, `x > 4 * y`)."""

    policy: ir.Policy
    rule: ir.Rule
    expr: str  # the comparison, printed
    numbers: tuple[str, ...]  # its literals (and those of the formulas it names), as written
    reads: tuple[str, ...]  # the facts it reads (through formulas), sorted
    shared: tuple[str, ...]  # the same, each related fact replaced by its shared fact


def _literals(program: ir.Program, expr: n.Expr, depth: int = 0) -> list[n.Literal]:
    out: list[n.Literal] = []
    for sub in n.walk(expr):
        if isinstance(sub, n.Literal) and sub.type.name in ("int", "money", "ratio"):
            out.append(sub)
        elif isinstance(sub, n.Name) and sub.name in program.defines and depth < 16:
            out += _literals(program, program.defines[sub.name].expr, depth + 1)
    return out


def _reads(program: ir.Program, expr: n.Expr, depth: int = 0) -> set[str]:
    out: set[str] = set()
    for sub in n.walk(expr):
        if isinstance(sub, n.Name):
            if sub.name in program.defines and depth < 16:
                out |= set(program.defines[sub.name].reads)
            elif sub.name in program.facts:
                out.add(sub.name)
    return out


def thresholds(program: ir.Program) -> tuple[tuple[Threshold, ...], tuple[Threshold, ...]]:
    """The numeric lines drawn in conditions: (those another city draws on one of the same
    facts, or on a fact related to the same shared fact; those with no counterpart)."""
    found: list[Threshold] = []
    for policy in sorted(program.policies.values(), key=lambda p: p.id):
        for rule in policy.rules:
            seen: set[str] = set()
            for expr in rule.conditions:
                for sub in n.walk(expr):
                    if not isinstance(sub, n.Compare):
                        continue
                    numbers = _literals(program, sub)
                    printed = to_text(sub)
                    if not numbers or printed in seen:
                        continue
                    seen.add(printed)
                    reads = sorted(_reads(program, sub))
                    shared = sorted(
                        {
                            r.shared if (r := program.facts[x].related) is not None else x
                            for x in reads
                        }
                    )
                    found.append(
                        Threshold(
                            policy,
                            rule,
                            printed,
                            tuple(dict.fromkeys(literal_text(x) for x in numbers)),
                            tuple(reads),
                            tuple(shared),
                        )
                    )
    cities: dict[str, set[str]] = {}
    for t in found:
        for fact in t.shared:
            cities.setdefault(fact, set()).add(t.policy.id)
    paired = tuple(t for t in found if any(len(cities[f]) > 1 for f in t.shared))
    alone = tuple(t for t in found if t not in paired)
    return paired, alone


def _threshold_json(program: ir.Program, t: Threshold) -> dict[str, Any]:
    return {
        "policy": t.policy.id,
        "city": city(t.policy),
        "rule": t.rule.name,
        "clause": t.rule.clause.citation,
        "quote": t.rule.clause.quote,
        "condition": t.expr,
        "numbers": list(t.numbers),
        "reads": list(t.reads),
        "shared": list(t.shared),
    }


# ---------------------------------------------------------------- sections


_DIFFERS_WORDS = {
    "count": "时限长短",
    "unit": "计算单位（日、工作日、小时）",
    "excluding": "是否不含公示期",
}
_STATUS_WORDS = {
    "pass": "在期限内",
    "fail": "已超过期限",
    "undetermined": "待定",
    "not_applicable": "不适用",
    "skipped": "未检查",
}


def quantities_json(
    program: ir.Program,
    start: date,
    made: tuple[Sequence[Group], Sequence[Lined]] | None = None,
) -> dict[str, Any]:
    """The section's data; `made`: `groups(program, start)` if the caller has them already
    (they reckon every limit's due date)."""
    found, alone = made if made is not None else groups(program, start)
    return {
        "start": start.isoformat(),
        "groups": [
            {
                "key": g.key,
                "by": g.by,
                "name": g.name,
                "label": g.label,
                "policies": list(g.policies),
                "limits": [limit_json(program, x) for x in g.limits],
            }
            for g in found
        ],
        "no_counterpart": [limit_json(program, x) for x in alone],
    }


def _group_heading(g: Group) -> str:
    how = "社会救助项目" if g.by == "programme" else "共享概念"
    return f"{how}：{g.label}（{g.name}）"


def quantities_section(program: ir.Program, start: date) -> Section:
    from compiler.inert import inert as esc

    found, alone = groups(program, start)
    data = quantities_json(program, start, (found, alone))

    def row_md(x: Lined, cite: Cite) -> str:
        lim = x.limit
        cells = [
            esc(city(x.policy)),
            esc(lim.label),
            esc(_amount(lim)),
            esc(
                _period_label(program, lim.excluding)
                and f"不含{_period_label(program, lim.excluding)}"
            ),
            esc(fact_label(program, lim.start)),
            esc(fact_label(program, lim.end)),
            esc(due_text(x.due)),
            cite(x.policy.id, lim.clause.clause),
        ]
        return "| " + " | ".join(str(c) for c in cells) + " |"

    def markdown(cite: Cite) -> tuple[str, ...]:
        out = [
            f"以 {start.isoformat()} 为起算日（起算日不计入；按小时计的时限自该日 09:00 起算），"
            "按官方工作日历（含法定节假日与调休）计算截止日。"
            "“同一程序”由模型确定：时限的适用条件读取社会救助项目（programme）的，"
            "按其适用的项目对齐；起止事项为共享概念的事实的，按该概念对齐。",
            "",
        ]
        for g in found:
            out += [
                f"### {esc(_group_heading(g))}",
                "",
                "| 城市 | 事项 | 时限 | 不计入 | 起算 | 截止于 | 截止日 | 条款 |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |",
                *(row_md(x, cite) for x in g.limits),
                "",
            ]
        out += [
            "### 模型中无对应的时限",
            "",
            "以下时限既不按社会救助项目适用，起止事项也不是共享概念的事实，"
            "模型无法说明它与他地哪一时限是同一程序，故不并列比较。",
            "",
            "| 城市 | 事项 | 时限 | 不计入 | 起算 | 截止于 | 截止日 | 条款 |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            *(row_md(x, cite) for x in alone),
        ]
        return tuple(out)

    text: list[str] = [f"起算日 {start.isoformat()}，官方工作日历"]
    for g in found:
        text.append(_group_heading(g))
        for x in g.limits:
            text.append(
                f"  {city(x.policy)} {x.limit.clause.citation} {x.limit.label}: "
                f"{_amount(x.limit)}"
                + (f" 不含{_period_label(program, x.limit.excluding)}" if x.limit.excluding else "")
                + f" -> {due_text(x.due)}"
            )
    text.append(f"模型中无对应的时限: {len(alone)}")
    for x in alone:
        text.append(
            f"  {city(x.policy)} {x.limit.clause.citation} {x.limit.label}: {_amount(x.limit)}"
        )
    return Section("quantities", "时限与程序对照", data, markdown, tuple(text))


def _between_json(program: ir.Program, b: Between) -> dict[str, Any]:
    def side(x: Lined, status: str, w: Witness) -> dict[str, Any]:
        return {
            "policy": x.policy.id,
            "city": city(x.policy),
            "limit": x.limit.name,
            "clause": x.limit.clause.citation,
            "count": x.limit.amount.amount,
            "unit": x.limit.amount.unit,
            "excluding": x.limit.excluding,
            "status": status,
            "witness": w.name,
        }

    return {
        "group": b.group.key,
        "differs": list(b.differs),
        "start": b.start.isoformat(),
        "end": b.end.isoformat(),
        "notice": [b.notice[0].isoformat(), b.notice[1].isoformat()] if b.notice else None,
        "a": side(b.a, b.status_a, b.witness_a),
        "b": side(b.b, b.status_b, b.witness_b),
    }


def _same_json(program: ir.Program, group: Group, a: Lined, b: Lined) -> dict[str, Any]:
    return {
        "group": group.key,
        "a": {"policy": a.policy.id, "limit": a.limit.name, "clause": a.limit.clause.citation},
        "b": {"policy": b.policy.id, "limit": b.limit.name, "clause": b.limit.clause.citation},
        "count": a.limit.amount.amount,
        "unit": a.limit.amount.unit,
        "excluding": a.limit.excluding,
    }


def boundaries_json(program: ir.Program, start: date, pairs: Pairs | None = None) -> dict[str, Any]:
    pairs = pairs if pairs is not None else boundaries(program, start)
    shared, alone = thresholds(program)
    return {
        "start": start.isoformat(),
        "limits": [_between_json(program, b) for b in pairs.between],
        "limits_alike": [_same_json(program, *x) for x in pairs.same],
        "thresholds": [_threshold_json(program, t) for t in shared],
        "thresholds_no_counterpart": [_threshold_json(program, t) for t in alone],
    }


def _words(start: date, end: date, notice: tuple[date, date] | None) -> str:
    shown = f"，公示期 {notice[0].isoformat()} 至 {notice[1].isoformat()}" if notice else ""
    return f"{start.isoformat()} 起算{shown}，{end.isoformat()} 完成"


def _case_words(b: Between) -> str:
    return _words(b.start, b.end, b.notice)


def boundaries_section(program: ir.Program, start: date) -> Section:
    from compiler.inert import inert as esc

    pairs = boundaries(program, start)
    shared, alone = thresholds(program)
    data = boundaries_json(program, start, pairs)

    def side_md(x: Lined, status: str, witness: Witness, cite: Cite) -> str:
        return (
            f"{esc(city(x.policy))} {esc(x.limit.label)}（{esc(_counted(program, x.limit))}，"
            f"{cite(x.policy.id, x.limit.clause.clause)}）："
            f"{esc(_STATUS_WORDS.get(status, status))}"
            f"（测试用例 {esc(witness.name)}）"
        )

    def threshold_md(t: Threshold, cite: Cite) -> str:
        facts = "、".join(fact_label(program, x) for x in t.reads)
        return (
            f"- {esc(city(t.policy))} {cite(t.policy.id, t.rule.clause.clause)}"
            f"“{esc(t.rule.clause.quote)}”：{esc(t.expr)}（{esc(facts)}）"
        )

    def markdown(cite: Cite) -> tuple[str, ...]:
        out = [
            "同一程序的时限（见上节的对齐方式；按项目对齐的，只比较各地该项目的总时限，"
            "不比较流程中的某一步）在两地计法不同（时限长短、日与工作日与小时、含与不含公示期）时，"
            "给出一个落在两者之间的情形：同一起算日、同一公示期、同一完成日（较早截止日的次日），"
            "一地在期限内，另一地已超过。"
            "两地结果都由运行时的记录检查（policyc validate 所用）算出，并可写成策略测试。",
            "",
        ]
        if not pairs.between:
            out += ["（无）", ""]
        for b in pairs.between:
            what = "、".join(_DIFFERS_WORDS[d] for d in b.differs)
            out += [
                f"- **{esc(b.group.label)}**：{esc(what)}不同。情形：{esc(_case_words(b))}",
                f"    - {side_md(b.a, b.status_a, b.witness_a, cite)}",
                f"    - {side_md(b.b, b.status_b, b.witness_b, cite)}",
            ]
        if pairs.same:
            out += ["", "计法相同（截止日相同）的："]
            for group, one, two in pairs.same:
                out.append(
                    f"- **{esc(group.label)}**：{esc(city(one.policy))}"
                    f"{cite(one.policy.id, one.limit.clause.clause)}与{esc(city(two.policy))}"
                    f"{cite(two.policy.id, two.limit.clause.clause)}同为 "
                    f"{esc(_counted(program, one.limit))}"
                )
        out += ["", "### 条件中的数额、比例界限", ""]
        if shared:
            out += ["两地以同一事实划线的：", ""]
            out += [threshold_md(t, cite) for t in shared]
        else:
            out.append(
                "没有两地以同一事实（或与同一共享事实相关的事实）划线的数额或比例，"
                "以下各项在他地均无对应，不作比较："
            )
        if alone:
            out += ["", *(threshold_md(t, cite) for t in alone)]
        return tuple(out)

    text: list[str] = []
    for b in pairs.between:
        what = "、".join(_DIFFERS_WORDS[d] for d in b.differs)
        text.append(f"{b.group.label}：{what}不同。情形：{_case_words(b)}")
        for x, status in ((b.a, b.status_a), (b.b, b.status_b)):
            text.append(
                f"  {city(x.policy)} {x.limit.clause.citation} {x.limit.name} "
                f"{_counted(program, x.limit)}：{_STATUS_WORDS.get(status, status)}"
            )
    for group, one, two in pairs.same:
        text.append(
            f"{group.label}：计法相同，{city(one.policy)} {one.limit.name} 与 "
            f"{city(two.policy)} {two.limit.name} 同为 {_counted(program, one.limit)}"
        )
    text.append(f"条件中的数额、比例界限：他地有对应的 {len(shared)} 项，无对应的 {len(alone)} 项")
    for t in [*shared, *alone]:
        text.append(f"  {city(t.policy)} {t.rule.clause.citation} {t.expr}")
    witnesses = tuple(w for b in pairs.between for w in (b.witness_a, b.witness_b))
    return Section("boundaries", "界限划法不同", data, markdown, tuple(text), witnesses)


def section(program: ir.Program, start: date) -> Section:
    """The quantities section (`boundaries_section` is the other one; `sections`: both)."""
    return quantities_section(program, start)


def sections(program: ir.Program, start: date, *, pairwise: bool = True) -> tuple[Section, ...]:
    """The time limits side by side and, with `pairwise`, the limits compared two by two
    (界限划法不同), which grow with the square of the jurisdictions."""
    if not pairwise:
        return (quantities_section(program, start),)
    return quantities_section(program, start), boundaries_section(program, start)
