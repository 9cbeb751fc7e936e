"""Time-limit pages: one page per procedure with deadlines, its limits seen on the calendar.

A page gathers the time limits a policy states under one article or section (玉泉 第四条, 台儿庄
二（三）, 宁波 第六条, 威海 五（二）, 鹿城 四): grouped by the statement they belong to, a
procedure's steps in order (with the branches its conditions make, such as 台儿庄's objection
branch), each with its count, unit, what it starts from, what it excludes and its clause.  A
concrete case starting on `EXAMPLE_START` is drawn as a calendar strip (weeks as rows) in which
weekends, holidays and adjusted working days differ; the due dates come from the runtime's
`Limit.reckon` (the one due-date algorithm) on the bundled official calendar.  The page ends
with the date calculator (site_templates/assets/policyc/calculator.js), which computes the same
dates in the browser (`policyc due`'s JSON, see compiler/backends/js_due.py).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, assert_never

from compiler import ir, tables
from compiler import nodes as n
from compiler.backends.js_due import UNIT_LABELS
from compiler.backends.site.anchors import clause_anchor, clause_link
from compiler.backends.site.page import EXAMPLE_START, Page, site_root
from compiler.backends.site.prebuilt import (
    Child,
    Element,
    element,
    line,
    link,
    list_item,
    paragraph,
    table,
)
from compiler.exprtext import to_text
from compiler.inert import inert
from compiler.interpret import limit_tables
from compiler.runtime.kinds import Kind
from compiler.runtime.policy import ROLLOVER_LAW, ROLLOVER_UNITS, Due
from compiler.runtime.timelimits import WorkdayCalendar, load_calendar
from compiler.sources import Clause, Segment

TEMPLATE = "timelimits.md.j2"
# A limit in hours runs from a moment: the example's clock starts at 09:00 on EXAMPLE_START
# (the calculator's default time, too).
EXAMPLE_TIME = time(9, 0)
EXAMPLE_MOMENT = datetime.combine(EXAMPLE_START, EXAMPLE_TIME)
WEEKDAYS = "一二三四五六日"
MARKERS = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

# How each kind of day looks on the strip: CSS class suffix, the mark in the cell (as Chinese
# calendars print 休 and 班), and the legend's words.  Keys are `day_kind`'s answers.
DAY_KINDS: dict[str, tuple[str, str]] = {
    "work": ("", "工作日"),
    "weekend": ("", "周末休息日"),
    "holiday": ("休", "法定节假日放假（法定休假日）"),
    "adjusted": ("班", "调休上班（周末上班的工作日）"),
    "unsettled": ("？", "放假安排尚未公布，可能调整"),
    "uncovered": ("", "日历未覆盖"),
}


def page_path(policy_id: str, clause: Clause) -> str:
    return f"timelimits/{policy_id}-{clause_anchor(clause)}.md"


@dataclass(frozen=True)
class Procedure:
    """The limits of one policy under one article or section, and the smallest clause that
    holds them all (the page's clause)."""

    policy: ir.Policy
    clause: Clause
    limits: tuple[ir.Limit, ...]


def procedures(policy: ir.Policy) -> list[Procedure]:
    """The policy's limits grouped by their article or section (chapters skipped), in
    document order."""
    groups: dict[tuple[Segment, ...], list[ir.Limit]] = {}
    for limit in policy.limits:
        path = limit.clause.clause.path
        top = next((i for i, seg in enumerate(path) if seg.kind != "chapter"), len(path) - 1)
        groups.setdefault(path[: top + 1], []).append(limit)
    found = []
    for limits in groups.values():
        common = _common_prefix([limit.clause.clause.path for limit in limits])
        clause = policy.document.clause_at(common)
        assert clause is not None, common  # every part of a clause's path is a clause's
        found.append(Procedure(policy, clause, tuple(limits)))
    return found


def _common_prefix(paths: Sequence[tuple[Segment, ...]]) -> tuple[Segment, ...]:
    prefix = paths[0]
    for path in paths[1:]:
        length = 0
        while length < min(len(prefix), len(path)) and prefix[length] == path[length]:
            length += 1
        prefix = prefix[:length]
    return prefix


def pages(program: ir.Program) -> Iterator[Page]:
    calendar = load_calendar()
    for policy in sorted(program.policies.values(), key=lambda p: p.id):
        for procedure in procedures(policy):
            yield _page(program, procedure, calendar)


# ---------------------------------------------------------------- one page


def _page(program: ir.Program, procedure: Procedure, calendar: WorkdayCalendar) -> Page:
    policy, clause = procedure.policy, procedure.clause
    path = page_path(policy.id, clause)
    markers = {limit.name: MARKERS[i] for i, limit in enumerate(procedure.limits)}
    # The statements the limits belong to, and the procedures of the page's clause that set
    # no limit themselves (宁波 第六条（一）'s application, 威海 五（二）'s investigation): they
    # are the steps before and between the deadlines.  In document order.
    limited = {limit.rule for limit in procedure.limits}
    rules = [
        rule.name
        for rule in policy.rules
        if rule.name in limited
        or (
            rule.kind is Kind.PROCEDURE
            and rule.clause.clause.path[: len(clause.path)] == clause.path
        )
    ]
    hours = any(_has_hours(limit) for limit in procedure.limits)
    title = f"{policy.header.jurisdiction or policy.title} {clause.citation}"
    example = _example(program, procedure, calendar, markers)
    shown = [_rule(program, policy, policy.rule(name), procedure, markers, path) for name in rules]
    context = {
        "title": title,
        "heading": clause.heading,
        "policy": {"id": policy.id, "title": policy.title},
        "clause": {"citation": clause.citation, "link": clause_link(policy.id, clause, path)},
        "rules": shown,
        # The table of every limit of the page, and the example's: HTML made ahead (prebuilt.py).
        "limits_block": limits_block(shown),
        "example": example,
        "example_block": example_block(example),
        "calculator": {
            "policy": policy.id,
            "clauses": list(dict.fromkeys(limit.clause.citation for limit in procedure.limits)),
            "root": site_root(path),
            "example": EXAMPLE_START.isoformat(),
            "time": EXAMPLE_TIME.strftime("%H:%M") if hours else "",
        },
        "rollover_law": ROLLOVER_LAW,
        "script": posixpath.join(site_root(path), "assets/policyc/calculator.js"),
        "commands": [
            f"policyc due {policy.id} {citation} --start {_start_text(hours)}"
            for citation in dict.fromkeys(limit.clause.citation for limit in procedure.limits)
        ],
    }
    return Page(path=path, title=title, template=TEMPLATE, context=context)


def _has_hours(limit: ir.Limit) -> bool:
    return limit.amount.unit == "hours" or (
        limit.extend is not None and limit.extend.amount.unit == "hours"
    )


def _start(hours: bool) -> date | datetime:
    return EXAMPLE_MOMENT if hours else EXAMPLE_START


def _start_text(hours: bool) -> str:
    """The example's start as `policyc due --start` takes it."""
    return EXAMPLE_MOMENT.isoformat(timespec="minutes") if hours else EXAMPLE_START.isoformat()


def _kind_label(kind: Kind) -> str:
    match kind:
        case Kind.DEADLINE:
            return "期限"
        case Kind.PROCEDURE:
            return "程序"
        case (
            Kind.GATE
            | Kind.SITUATION
            | Kind.EXCLUSION
            | Kind.OUTCOME
            | Kind.SCOPE
            | Kind.DUTY
            | Kind.REQUIREMENT
            | Kind.LIABILITY
            | Kind.SANCTION
            | Kind.RESPONSIBILITY
            | Kind.FORM
        ):
            return "规定"  # only deadlines and procedures carry limits today
        case _:
            assert_never(kind)


def _rule(
    program: ir.Program,
    policy: ir.Policy,
    rule: ir.Rule,
    procedure: Procedure,
    markers: dict[str, str],
    page: str,
) -> dict[str, object]:
    mine = [limit for limit in procedure.limits if limit.rule == rule.name]
    steps = []
    for step in rule.steps:
        steps.append(
            {
                "order": step.order,
                "name": step.name,
                "label": step.label,
                "actors": [_actor(program, a) for a in step.actors],
                "when": to_text(step.when) if step.when is not None else None,
                "branch": _branch(program, step, rule.steps),
                "limit": _limit(program, policy, step.limit, markers, page)
                if step.limit is not None
                else None,
                "notes": list(step.notes),
            }
        )
    # A deadline's own limit (a procedure's steps carry theirs).
    own = [limit for limit in mine if limit.step is None]
    shown = {
        "name": rule.name,
        "kind": _kind_label(rule.kind),
        "citation": rule.clause.citation,
        "link": clause_link(policy.id, rule.clause.clause, page),
        "quotes": list(rule.clause.quotes),
        "actors": [_actor(program, a) for a in rule.actors],
        "when": to_text(rule.when) if rule.when is not None else None,
        "steps": steps,
        "limits": [_limit(program, policy, limit, markers, page) for limit in own],
        "notes": list(rule.notes),
    }
    return {**shown, "blocks": rule_blocks(shown)}


def _actor(program: ir.Program, name: str) -> str:
    found = program.actors.get(name)
    return found.label if found is not None else name


def _conjuncts(expr: n.Expr) -> list[n.Expr]:
    if isinstance(expr, n.BoolOp) and expr.op == "and":
        return [c for operand in expr.operands for c in _conjuncts(operand)]
    return [expr]


def _branch(program: ir.Program, step: ir.Step, steps: Sequence[ir.Step]) -> str | None:
    """The branch a step is on: when another step of the procedure requires a condition this
    one requires not to hold (or the converse), the two are alternatives (台儿庄 二（三）:
    `objection_raised` or not).  Says which side, in the fact's own words."""
    if step.when is None:
        return None
    mine = _conjuncts(step.when)
    for other in steps:
        if other is step or other.when is None:
            continue
        theirs = _conjuncts(other.when)
        for condition in mine:
            otherwise = f"（否则见第{other.order}步）"
            if isinstance(condition, n.Not) and condition.operand in theirs:
                return f"分支：不满足“{_words(program, condition.operand)}”{otherwise}"
            if n.Not(condition, condition.span) in theirs:
                return f"分支：满足“{_words(program, condition)}”{otherwise}"
    return None


def _words(program: ir.Program, expr: n.Expr) -> str:
    if isinstance(expr, n.Name) and program.is_input(expr.name):
        return program.input(expr.name).label
    return to_text(expr)


def _fact_label(program: ir.Program, name: str | None) -> str | None:
    if name is None:
        return None
    return program.input(name).label if program.is_input(name) else name


def _limit(
    program: ir.Program,
    policy: ir.Policy,
    limit: ir.Limit,
    markers: dict[str, str],
    page: str,
) -> dict[str, object]:
    periods = tables.periods(program)
    extend = limit.extend
    return {
        "name": limit.name,
        "marker": markers[limit.name],
        "label": limit.label,
        "amount": _amount(limit.amount.amount, limit.amount.unit),
        "from": _fact_label(program, limit.start),
        "until": _fact_label(program, limit.end),
        "excluding": periods.get(limit.excluding, limit.excluding) if limit.excluding else None,
        "holidays": _holidays(limit.amount.amount, limit.amount.unit, limit.no_rollover),
        "extension": (
            {
                "amount": _amount(extend.amount.amount, extend.amount.unit),
                "when": to_text(extend.when),
            }
            if extend is not None
            else None
        ),
        "when": to_text(limit.when) if limit.when is not None else None,
        "citation": limit.clause.citation,
        "link": clause_link(policy.id, limit.clause.clause, page),
    }


def _amount(amount: int, unit: str) -> str:
    return f"{amount} {UNIT_LABELS[unit]}"


def _holidays(amount: int, unit: str, no_rollover: str | None) -> str:
    """How the limit meets holidays, in words (the runtime's rule: `Limit.rolls_over`)."""
    if unit == "workdays":
        return "只计工作日（法定节假日不计，调休上班日计入）"
    if unit == "hours":
        return "按小时连续计算，节假日照算，不顺延"
    if no_rollover is not None:
        return f"末日逢法定休假日不顺延：{no_rollover}"
    if unit in ROLLOVER_UNITS and amount > 0:
        return f"末日逢法定休假日的，顺延至休假日结束的次日（{ROLLOVER_LAW}）"
    return "—"


# ---------------------------------------------------------------- the concrete case


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（星期{WEEKDAYS[day.weekday()]}）"


def chinese_moment(moment: date | datetime) -> str:
    if isinstance(moment, datetime):
        return f"{chinese_date(moment.date())}{moment:%H:%M}"
    return chinese_date(moment)


def day_kind(calendar: WorkdayCalendar, day: date) -> str:
    """What a day is on the official calendar, for drawing (a key of DAY_KINDS).  Reads the
    runtime calendar's sets; due dates never come from here."""
    if not calendar.covers(day):
        return "uncovered"
    if day in calendar.extra_workdays:
        return "adjusted"
    weekend = day.weekday() >= 5
    if day in calendar.days_off or day in calendar.statutory_off:
        return "weekend" if weekend else "holiday"
    if day in calendar.unsettled:
        return "unsettled"
    return "weekend" if weekend else "work"


@dataclass(frozen=True)
class Mark:
    marker: str
    name: str
    kind: str  # due | counted | extended
    title: str


def _example(
    program: ir.Program,
    procedure: Procedure,
    calendar: WorkdayCalendar,
    markers: dict[str, str],
) -> dict[str, object]:
    policy_tables = limit_tables(program, procedure.policy)
    hours = any(_has_hours(limit) for limit in procedure.limits)
    start = _start(hours)
    rows: list[dict[str, object]] = []
    marks: dict[date, list[Mark]] = {}
    for limit in procedure.limits:
        runtime = policy_tables.limit(limit.name)
        marker = markers[limit.name]
        begin = EXAMPLE_MOMENT if limit.amount.unit == "hours" else EXAMPLE_START
        due = runtime.reckon(begin, calendar)
        row = _row(limit.label, marker, limit.name, begin, due, calendar)
        if limit.excluding is not None:
            period = tables.periods(program).get(limit.excluding, limit.excluding)
            counted = "工作日" if limit.amount.unit == "workdays" else "日"
            row["excluding"] = (
                f"不计入{period}：这里没有扣除{period}，"
                f"实际到期日还要按{period}内的{counted}数相应推后"
            )
        marks.setdefault(_day(due.day), []).append(
            Mark(marker, limit.name, "due", f"{marker} {limit.label}：到期")
        )
        if due.moved:
            marks.setdefault(_day(due.counted), []).append(
                Mark(f"（{marker}）", limit.name, "counted", f"{marker} 数到此日，法定休假日，顺延")
            )
        if limit.extend is not None:
            longer = runtime.reckon(begin, calendar, extended=True)
            row["extended"] = {
                "amount": _amount(limit.extend.amount.amount, limit.extend.amount.unit),
                "due": chinese_moment(longer.day),
                "iso": _iso(longer.day),
            }
            marks.setdefault(_day(longer.day), []).append(
                Mark(marker + "延", limit.name, "extended", f"{marker} 延长后到期")
            )
        rows.append(row)
    first = EXAMPLE_START - timedelta(days=EXAMPLE_START.weekday())
    last_day = max(marks)
    last = last_day + timedelta(days=6 - last_day.weekday())
    weeks = []
    day = first
    while day <= last:
        week = []
        for _ in range(7):
            kind = day_kind(calendar, day)
            week.append(
                {
                    "iso": day.isoformat(),
                    "kind": kind,
                    "sign": DAY_KINDS[kind][0],
                    "label": f"{day.month}月{day.day}日"
                    if day.day == 1 or day == first
                    else str(day.day),
                    "start": day == EXAMPLE_START,
                    "marks": [
                        {"marker": m.marker, "name": m.name, "kind": m.kind, "title": m.title}
                        for m in marks.get(day, [])
                    ],
                    "title": f"{chinese_date(day)}：{DAY_KINDS[kind][1]}",
                }
            )
            day += timedelta(days=1)
        weeks.append(week)
    return {
        "start": chinese_moment(start),
        "start_date": chinese_date(EXAMPLE_START),
        "hours": chinese_moment(EXAMPLE_MOMENT) if hours else None,
        "rows": rows,
        "weekdays": list(WEEKDAYS),
        "weeks": weeks,
        # Only what the strip shows: the kinds of its days, and the marks it uses.
        "legend": [
            {"kind": kind, "sign": sign, "words": words}
            for kind, (sign, words) in DAY_KINDS.items()
            if any(cell["kind"] == kind for week in weeks for cell in week)
        ],
        "mark_kinds": sorted({m.kind for ms in marks.values() for m in ms}),
    }


def _day(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _iso(moment: date | datetime) -> str:
    if isinstance(moment, datetime):
        return moment.isoformat(timespec="minutes")
    return moment.isoformat()


def _row(
    label: str,
    marker: str,
    name: str,
    begin: date | datetime,
    due: Due,
    calendar: WorkdayCalendar,
) -> dict[str, object]:
    moved = None
    if due.moved:
        counted = _day(due.counted)
        moved = (
            f"数到{chinese_date(counted)}，该日是法定休假日"
            f"（{DAY_KINDS[day_kind(calendar, counted)][1]}），"
            f"依{ROLLOVER_LAW}顺延至休假日结束的次日{chinese_date(_day(due.day))}"
        )
    provisional = None
    if due.bounds is not None:
        provisional = (
            f"暂定：{'、'.join(str(y) for y in due.bounds.unpublished)}年放假安排尚未公布，"
            f"到期日可能在{chinese_date(due.bounds.earliest)}至"
            f"{chinese_date(due.bounds.latest)}之间"
        )
    return {
        "marker": marker,
        "name": name,
        "label": label,
        "from": chinese_moment(begin),
        "due": chinese_moment(due.day),
        "iso": _iso(due.day),
        "moved": moved,
        "provisional": provisional,
        "extended": None,
        "excluding": None,
    }


# ---------------------------------------------------------------- the blocks made ahead
# A page's tables and each statement's section are HTML made when the page is generated
# (prebuilt.py): as Markdown, they were most of a page's rendering (5.0 ms a page at 600
# jurisdictions, 2.8 ms since).  Each block renders as the Markdown the page wrote before
# (tests/test_site_prebuilt.py compares the two).  Words from a policy go through `inert`; the
# markers (MARKERS), amounts (`_amount`) and dates (`chinese_moment`) are written as HTML as
# they are, as the template wrote them: they are the page's own, never a policy's words.

# The table of a page's limits: its columns.
_LIMIT_COLUMNS = ("", "时限", "期限", "起算（当日不计入）", "应完成", "不计入", "节假日", "条款")
# The example's table: its columns.
_EXAMPLE_COLUMNS = ("", "时限", "起算", "到期", "说明")


def rule_blocks(rule: Mapping[str, Any]) -> str:
    """A statement's section under its heading (`_rule`'s view of it), as lines of Markdown
    that Markdown takes whole: its clause and quotes, its actors and condition, its own limits,
    its steps in order, the modeller's notes."""
    blocks = [paragraph("原文（", link(rule["link"], inert(rule["citation"])), "）：")]
    if rule["quotes"]:
        blocks.append(element("blockquote", *(paragraph(inert(q)) for q in rule["quotes"])))
    if rule["actors"]:
        blocks.append(paragraph(f"承办：{_listed(rule['actors'])}"))
    if rule["when"]:
        blocks.append(paragraph(f"适用条件：{_code(rule['when'])}"))
    if rule["limits"]:
        blocks.append(
            element("ul", *(_limit_item(limit, rule["when"]) for limit in rule["limits"]))
        )
    if rule["steps"]:
        # Markdown made the steps loose: a blank line parted each from the next.
        loose = len(rule["steps"]) > 1
        blocks.append(paragraph("步骤（按原文顺序）："))
        blocks.append(element("ol", *(_step_item(step, loose) for step in rule["steps"])))
    if rule["notes"]:
        blocks.append(paragraph("说明（建模者的理解，不是原文）："))
        blocks.append(element("ul", *(element("li", inert(note)) for note in rule["notes"])))
    return "\n\n".join(line(block) for block in blocks)


def _limit_item(limit: Mapping[str, Any], when: str | None) -> Element:
    under = []
    if limit["when"] and limit["when"] != when:
        under.append(element("li", f"适用条件：{_code(limit['when'])}"))
    if limit["extension"]:
        extension = limit["extension"]
        condition = _code(extension["when"])
        under.append(element("li", f"可延长至 {extension['amount']}，条件：{condition}"))
    own = f"{limit['marker']} <strong>{inert(limit['label'])}</strong>：{limit['amount']}"
    return list_item((own + _span(limit) + "。",), under)


def _step_item(step: Mapping[str, Any], loose: bool) -> Element:
    own = f"<strong>{inert(step['label'])}</strong>"
    limit = step["limit"]
    if limit:
        own += f"：{limit['marker']} {limit['amount']}{_span(limit)}"
    else:
        own += "（本步未规定时限）"
    under = [inert(step["branch"])] if step["branch"] else []
    if step["actors"]:
        under.append(f"承办：{_listed(step['actors'])}")
    if step["when"]:
        under.append(f"条件：{_code(step['when'])}")
    under += [f"说明：{inert(note)}" for note in step["notes"]]
    return list_item((own,), [element("li", text) for text in under], loose)


def _span(limit: Mapping[str, Any]) -> str:
    """What a limit counts from and to, in words."""
    out = f"，自“{inert(limit['from'])}”起算" if limit["from"] else ""
    return out + (f"，至“{inert(limit['until'])}”" if limit["until"] else "")


def limits_block(rules: Sequence[Mapping[str, Any]]) -> str:
    """The table of the page's limits, each statement's own then its steps', as one line of
    Markdown."""
    limits = [
        limit
        for rule in rules
        for limit in [*rule["limits"], *(step["limit"] for step in rule["steps"] if step["limit"])]
    ]
    rows = []
    for limit in limits:
        amount = limit["amount"]
        if limit["extension"]:
            amount += f"（可延长至 {limit['extension']['amount']}）"
        rows.append(
            [
                limit["marker"],
                f"{inert(limit['label'])} {_code(limit['name'])}",
                amount,
                inert(limit["from"] or "—"),
                inert(limit["until"] or "—"),
                inert(limit["excluding"] or "—"),
                inert(limit["holidays"]),
                link(limit["link"], inert(limit["citation"])),
            ]
        )
    return _table(_LIMIT_COLUMNS, rows)


def example_block(example: Mapping[str, Any]) -> str:
    """The example's table: each limit's due date from the example's start, as one line of
    Markdown."""
    rows = []
    for row in example["rows"]:
        due = f"<strong>{row['due']}</strong>"
        if row["extended"]:
            due += f"；延长至{row['extended']['amount']}的：{row['extended']['due']}"
        said = (inert(row[key]) for key in ("moved", "provisional", "excluding") if row[key])
        rows.append([row["marker"], inert(row["label"]), row["from"], due, "".join(said)])
    return _table(_EXAMPLE_COLUMNS, rows)


def _table(columns: Sequence[str], rows: Sequence[Sequence[Child]]) -> str:
    return line(table([[name] for name in columns], ([[cell] for cell in row] for row in rows)))


def _code(text: str) -> str:
    """A condition or a name, as the page shows it: in code, inert."""
    return f"<code>{inert(text)}</code>"


def _listed(actors: Sequence[str]) -> str:
    return "、".join(inert(actor) for actor in actors)
