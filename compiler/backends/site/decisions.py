"""Decision pages: one per policy that makes a relief decision (`decisions/<id>.md`).

A page shows the decision three ways: Mermaid charts (`decision_diagram`), the questionnaire
(a placeholder that the questionnaire's script fills in), and a plain outline that prints on
A4: 条件 / 情形 / 排除情形 / 结果, each item with its clause linked and quoted.  Everything
is read from the IR; the words are the documents' (quotes) and the model's (labels, notes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from compiler import ir
from compiler.backends.site.anchors import clause_link
from compiler.backends.site.decision_diagram import (
    LABEL_CHARS,
    charts,
    decision_parts,
    outcome_words,
    rule_words,
    shorten,
)
from compiler.backends.site.page import Page, site_root
from compiler.backends.site.prebuilt import (
    Child,
    Element,
    element,
    joined,
    line,
    link,
    list_item,
    paragraph,
)
from compiler.backends.site.words import condition
from compiler.inert import inert
from compiler.runtime.kinds import Kind
from compiler.sources import Clause, Segment

TEMPLATE = "decisions.md.j2"
T = TypeVar("T")


def page_path(policy_id: str) -> str:
    return f"decisions/{policy_id}.md"


@dataclass(frozen=True)
class Cite:
    citation: str
    link: str

    @property
    def element(self) -> Element:
        """The clause's citation, linked (prebuilt.py)."""
        return link(self.link, inert(self.citation))


@dataclass(frozen=True)
class Detail:
    """A line under an outline item: "给予：…", or "优先于：" with the clauses it names."""

    text: str
    refs: tuple[tuple[Cite, str], ...] = ()  # a clause and its words, linked

    @property
    def element(self) -> Element:
        """Its list item: the text, then each clause linked with its words, "；" between."""
        parts: list[Child] = [inert(self.text)]
        for number, (cite, words) in enumerate(self.refs):
            parts += [*(["；"] if number else []), cite.element, f"“{inert(words)}”"]
        return element("li", *parts)


@dataclass(frozen=True)
class Item:
    """One line of the outline: a rule, its clause, its words, what else it says."""

    cite: Cite
    quote: str
    details: tuple[Detail, ...]
    notes: tuple[str, ...]

    @property
    def element(self) -> Element:
        """Its list item, tight (as the list of one block of Markdown makes it)."""
        return list_item(self.head, self.under)

    @property
    def head(self) -> tuple[Child, ...]:
        return (self.cite.element, f"：“{inert(self.quote)}”")

    @property
    def under(self) -> tuple[Element, ...]:
        """Its details, then its notes: the items of the list under it."""
        notes = (element("li", f"注：{inert(note)}") for note in self.notes)
        return (*(detail.element for detail in self.details), *notes)


@dataclass(frozen=True)
class Section:
    """A part of the outline (条件, 情形 …); situations come in groups of one clause."""

    title: str
    hint: str
    groups: tuple[tuple[Cite | None, str, tuple[Item, ...]], ...]  # holder, heading, items

    @property
    def block(self) -> str:
        """The section's list, as one line of Markdown (prebuilt.py); "" when it has no item.

        The page wrote each group as a block of Markdown list items (a clause that holds
        several situations, with them under it; or the items themselves), a blank line
        between two groups.  Markdown makes the groups one list, and the items a blank line
        parts loose: the last item of a group and the first of the next hold their own text
        in a paragraph (tests/test_site_prebuilt.py compares the two)."""
        runs: list[list[tuple[tuple[Child, ...], tuple[Element, ...]]]] = []
        for holder, heading, items in self.groups:
            if holder is None:
                runs.append([(item.head, item.under) for item in items])
            else:
                head = (holder.element, f" {inert(heading)}") if heading else (holder.element,)
                runs.append([(head, tuple(item.element for item in items))])
        runs = [run for run in runs if run]  # items without a clause: none, no line
        listed = []
        for number, run in enumerate(runs):
            for at, (own, under) in enumerate(run):
                after_a_run = number > 0 and at == 0
                before_a_run = number < len(runs) - 1 and at == len(run) - 1
                listed.append(list_item(own, under, loose=after_a_run or before_a_run))
        return line(element("ul", *listed)) if listed else ""


def _charted(clauses: Sequence[Cite]) -> str:
    """The paragraph under a chart that links its clauses, as one line of Markdown
    (prebuilt.py)."""
    return line(paragraph("图中条款：", *joined([cite.element for cite in clauses], "、")))


def _items_block(items: Sequence[Item]) -> str:
    """Items as the list of one block of Markdown (tight), as one line of Markdown
    (prebuilt.py); "" when there are none."""
    return line(element("ul", *(item.element for item in items))) if items else ""


def pages(program: ir.Program) -> Iterator[Page]:
    for policy_id in sorted(program.policies):
        policy = program.policies[policy_id]
        if policy.makes_decision():
            yield decision_page(program, policy)


def decision_page(program: ir.Program, policy: ir.Policy) -> Page:
    path = page_path(policy.id)
    header = policy.header
    label = header.decision_label or header.decision or policy.id
    place = header.jurisdiction or policy.id
    parts = decision_parts(policy)

    def cite(clause: Clause) -> Cite:
        return Cite(clause.citation, clause_link(policy.id, clause, path))

    def item(rule: ir.Rule, details: Sequence[Detail] = ()) -> Item:
        return Item(cite(rule.clause.clause), rule.clause.quote, tuple(details), rule.notes)

    deciding = [*parts.gates, *parts.situations, *parts.exclusions]
    articles = _unique_clauses(_top(policy, r.clause.clause) for r in deciding)
    # Whom the decision concerns: the scope statements of the articles that decide it or
    # state its outcome (宁波 第二条 and 第五条; 鹿城 三), and those of the articles that say
    # nothing but scope, which hold for the whole document (威海 二、适用对象; 宁波 第八条);
    # not those of an article about something else (台儿庄 一、 on delegating approval).
    # Articles by their paths: one clause of the document each (`_top`), and a clause's hash
    # goes through all it holds.
    around = {_top(policy, r.clause.clause).path for r in [*deciding, *parts.outcomes]}
    kinds: dict[tuple[Segment, ...], set[Kind]] = {}
    for rule in policy.rules:
        kinds.setdefault(_top(policy, rule.clause.clause).path, set()).add(rule.kind)
    shown = around | {top for top, found in kinds.items() if found == {Kind.SCOPE}}
    scopes = [
        item(r) for r in policy.of_kind(Kind.SCOPE) if _top(policy, r.clause.clause).path in shown
    ]

    situation_groups = []
    for holder, rules in _by_holder(policy, parts.situations):
        items = tuple(item(r, _excuses(policy, r, cite)) for r in rules)
        heading = holder.heading if holder is not None else ""
        situation_groups.append((cite(holder) if holder is not None else None, heading, items))

    sections = []
    if parts.gates:
        sections.append(Section("条件", "须全部满足", ((None, "", tuple(map(item, parts.gates))),)))
    sections.append(Section("情形", "符合其一即可", tuple(situation_groups)))
    if parts.exclusions:
        excl = tuple(item(x, (_overrides(policy, x, cite),)) for x in parts.exclusions)
        sections.append(Section("排除情形", f"任一成立即不适用{label}", ((None, "", excl),)))
    results = tuple(item(o, _outcome_details(program, o)) for o in parts.outcomes)
    sections.append(Section("结果", f"适用{label}时", ((None, "", results),)))

    chart_views = []
    for chart in charts(program, policy):
        clauses = _unique(cite(r.clause.clause) for r in chart.rules)
        chart_views.append(
            {
                "key": chart.key,
                "title": chart.title,
                "mermaid": chart.mermaid,
                "clauses": clauses,  # what `clauses_block` links (the tests read them)
                "clauses_block": _charted(clauses),
            }
        )
    context = {
        "policy_id": policy.id,
        "label": label,
        "place": place,
        "title": policy.title,
        "number": header.number,
        "draft": header.status_label if header.status == "draft" else None,
        "document": cite(policy.document.root),
        "articles": [cite(a) for a in articles],
        "scopes": scopes,
        "scopes_block": _items_block(scopes),
        # The first outcome rule is the decision's own (what relief means); the others say
        # what follows from it.  Its words tell whom the decision is about: staff relieved of
        # liability (宁波 第二条) or a case admitted to 一事一议 (鹿城 三).
        "result": item(parts.outcomes[0]) if parts.outcomes else None,
        "result_words": outcome_words(program, parts.outcomes[0]) if parts.outcomes else "",
        "more_results": max(len(parts.outcomes) - 1, 0),
        "counts": {
            "gates": len(parts.gates),
            "situations": len(parts.situations),
            "exclusions": len(parts.exclusions),
        },
        "folded": parts.folded,
        "charts": chart_views,
        "sections": sections,
        "root": site_root(path),
    }
    return Page(path, f"{place} {label}", TEMPLATE, context)


def _unique(values: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(values))


def _unique_clauses(clauses: Iterable[Clause]) -> list[Clause]:
    """`_unique` of one document's clauses, by their paths."""
    first: dict[tuple[Segment, ...], Clause] = {}
    for clause in clauses:
        first.setdefault(clause.path, clause)
    return list(first.values())


def _top(policy: ir.Policy, clause: Clause) -> Clause:
    """The article (第N条, else the top level: 一、) a clause belongs to: what an intro names."""
    kinds = [segment.kind for segment in clause.path]
    depth = kinds.index("article") + 1 if "article" in kinds else 1
    return policy.document.clause_at(clause.path[:depth]) or clause


def _by_holder(
    policy: ir.Policy, rules: Sequence[ir.Rule]
) -> list[tuple[Clause | None, list[ir.Rule]]]:
    runs: list[tuple[Clause | None, list[ir.Rule]]] = []
    for rule in rules:
        path = rule.clause.clause.path[:-1]
        holder = policy.document.clause_at(path) if path else None
        if runs and runs[-1][0] is holder:
            runs[-1][1].append(rule)
        else:
            runs.append((holder, [rule]))
    return runs


def _refs(rules: Iterable[ir.Rule], cite: Callable[[Clause], Cite]) -> tuple[tuple[Cite, str], ...]:
    return tuple((cite(r.clause.clause), shorten(rule_words(r), LABEL_CHARS)) for r in rules)


def _overrides(policy: ir.Policy, exclusion: ir.Rule, cite: Callable[[Clause], Cite]) -> Detail:
    if exclusion.overrides_all:
        return Detail("优先于：全部情形")
    named = {o.target for o in policy.precedence if o.exclusion == exclusion.name}
    targets = [s for s in policy.of_kind(Kind.SITUATION) if s.name in named]
    return Detail("优先于：", _refs(targets, cite))


def _excuses(
    policy: ir.Policy, situation: ir.Rule, cite: Callable[[Clause], Cite]
) -> tuple[Detail, ...]:
    if not situation.excuses:
        return ()
    names = set(situation.excuses)
    excused = [r for r in policy.of_kind(Kind.LIABILITY) if r.name in names]
    return (Detail("免除的责任事项：", _refs(excused, cite)),)


def _outcome_details(program: ir.Program, outcome: ir.Rule) -> tuple[Detail, ...]:
    details = [Detail(f"给予：{outcome_words(program, outcome)}")]
    if outcome.when is not None:
        details.append(Detail(f"条件：{condition(program, outcome.when)}"))
    return tuple(details)
