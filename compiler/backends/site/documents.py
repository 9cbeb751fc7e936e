"""Document pages: one page per policy, the whole official text clause by clause, each clause
with the rules that cite it (as written in the policy file) and what they mean in Chinese.

Every clause is a heading with its stable anchor (anchors.clause_anchor), so that a citation
anywhere on the site lands on it and a search result lands on it rather than on the page top.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Final, Protocol, TypeVar, assert_never

from compiler import ir
from compiler import nodes as n
from compiler.backends.site.anchors import clause_anchor, clause_link, document_page
from compiler.backends.site.page import Page
from compiler.backends.site.prebuilt import (
    Fence,
    element,
    joined,
    line,
    link,
    paragraph,
    raw_block,
)
from compiler.backends.site.render import lines
from compiler.backends.site.words import (
    COVERAGE_LABELS,
    REASON_LABELS,
    STATUS_LABELS,
    condition,
    duration_label,
    kind_label,
    name_label,
)
from compiler.coverage import PolicyCoverage, policy_coverage
from compiler.errors import PolicycError
from compiler.inert import inert
from compiler.runtime.kinds import Kind
from compiler.sources import Clause

TEMPLATE: Final = "documents.md.j2"

# The periods a limit may leave out (the grammar's `excluding NAME`), in the documents' words.
_PERIODS: Final = {"public_notice": "公示期"}
_ROLES: Final = {
    "first_responsible": "第一责任人",
    "direct_responsible": "直接责任人",
    "specific_responsible": "具体责任人",
}
_DIMENSIONS: Final = {
    "staff": "人员",
    "programmes": "救助项目",
    "places": "地区",
    "by_reference": "依所引规定",
}
_EVERY: Final = {"month": "每月", "quarter": "每季度", "half_year": "每半年", "year": "每年"}
_TARGETS: Final = {"individual": "个人", "unit": "单位"}


@dataclass(frozen=True)
class Shown:
    """One statement shown under its clause: its code and what it means."""

    name: str
    kind: str  # in Chinese: 情形, 时限 …
    code: str  # the statement as the policy file writes it
    meaning: tuple[str, ...]  # sentences in Chinese
    notes: tuple[str, ...]
    cite: str  # the clause it cites, in the document's numbering
    link: str  # clause_link to that clause
    # An exclusion's: the clauses of the statements it overrides, (citation, link), in order.
    overrides: tuple[tuple[str, str], ...] = ()

    @property
    def block(self) -> str:
        """The statement's block under its clause, as one line of Markdown (prebuilt.py): its
        kind, name and clause; its meanings, the clauses it takes precedence over and its
        notes as a list; its source as a ```policy fence shows it."""
        items = [element("li", inert(sentence)) for sentence in self.meaning]
        if self.overrides:
            cites = [link(target, inert(cite)) for cite, target in self.overrides]
            items.append(element("li", "优先于：", *joined(cites, "、")))
        items += [element("li", "注：" + inert(note)) for note in self.notes]
        name = escape(self.name, quote=False)  # as a Markdown code span escapes it
        head = f"<strong>{inert(self.kind)}</strong> <code>{name}</code>（"
        return line(
            element(
                "div",
                paragraph(head, link(self.link, inert(self.cite)), "）"),
                *([element("ul", *items)] if items else []),
                *([Fence(self.code)] if self.code else []),
                class_="policyc-rule",
            )
        )


@dataclass(frozen=True)
class ShownClause:
    anchor: str
    citation: str
    heading: str  # the clause's own heading, "" when none
    level: int  # Markdown heading level, 2–6
    text: str  # its own text (children excluded)
    coverage: str  # in Chinese
    statements: tuple[Shown, ...]
    informative: tuple[str, ...]  # why a mark calls it informative, in Chinese
    pending: bool

    @property
    def text_block(self) -> str:
        """The clause's own text, its lines kept, as one line of Markdown (prebuilt.py): the
        raw HTML block the page wrote before, which Markdown parsed for its tags."""
        return line(raw_block(f'<div class="policyc-text">{lines(self.text)}</div>'))


def pages(program: ir.Program) -> Iterator[Page]:
    for policy_id in sorted(program.policies):
        policy = program.policies[policy_id]
        yield Page(
            path=document_page(policy_id),
            title=_short_title(policy),
            template=TEMPLATE,
            context=context(program, policy),
        )


def context(program: ir.Program, policy: ir.Policy) -> dict[str, object]:
    header = policy.header
    coverage = policy_coverage(policy)
    status = header.status or "in_force"
    return {
        "policy": policy,
        "title": policy.title,
        "jurisdiction": header.jurisdiction or "",
        "issuers": "、".join(header.issuers),
        "number": header.number or "",
        "issued": _date(header.issued),
        "effective": "自发布之日起施行"
        if header.effective == "on_issue"
        else _date(header.effective),
        "status": STATUS_LABELS.get(status, status),
        "status_label": header.status_label or "",
        "draft": status == "draft",
        "source": header.source or "",
        "sha256": header.source_sha256 or "",
        "decision": header.decision_label or "",
        "coverage": {
            "covered": coverage.covered,
            "total": coverage.total,
            "percent": f"{coverage.percent:.0f}",
        },
        "clauses": tuple(_clauses(program, policy, coverage_of=_coverage_map(coverage))),
    }


def _short_title(policy: ir.Policy) -> str:
    jurisdiction = policy.header.jurisdiction or ""
    # "浙江省宁波市" -> the last place name is how readers tell the documents apart.
    place = re.split(r"[省市区县]", jurisdiction.rstrip("省市区县"))[-1] if jurisdiction else ""
    title = f"{place}：{policy.title}" if place else policy.title
    if policy.header.status == "draft":
        title += f"（{policy.header.status_label or STATUS_LABELS['draft']}）"
    return title


def _date(value: object) -> str:
    from datetime import date

    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return ""


def _coverage_map(coverage: PolicyCoverage) -> dict[str, str]:
    return {c.clause.citation: c.status for c in coverage.clauses}


def _clauses(
    program: ir.Program, policy: ir.Policy, coverage_of: dict[str, str]
) -> Iterator[ShownClause]:
    source = _PolicySource(_policy_file(policy), policy)
    # What each clause shows, by the clause it cites, in the policy's order: looked for among
    # all of them, clause by clause, it was 6 % of the five documents' pages (0.62 ms against
    # 0.14 ms), and grew as the clauses times the rules.
    rules_at, defines_at = _cited(policy.rules), _cited(policy.defines)
    limits_at, marks_at = _cited(policy.limits), _cited(policy.marks)
    for clause in policy.document.root.walk():
        if not clause.path:
            continue  # the root: its own text is the preamble, a clause of its own
        statements = [
            _rule(program, policy, rule, source) for rule in rules_at.get(clause.citation, ())
        ]
        statements += [
            _define(program, policy, define, source)
            for define in defines_at.get(clause.citation, ())
        ]
        # A step's limit may cite another clause than its statement: shown there too.
        statements += [
            Shown(
                limit.name,
                kind_label(Kind.DEADLINE),
                "",
                (_limit(program, limit),),
                (),
                *_cite(policy, policy.rule(limit.rule).clause),
            )
            for limit in limits_at.get(clause.citation, ())
            if policy.rule(limit.rule).clause.clause.citation != clause.citation
        ]
        marks = marks_at.get(clause.citation, ())
        status = coverage_of.get(clause.citation, "uncovered")
        yield ShownClause(
            anchor=clause_anchor(clause),
            citation=clause.citation,
            heading=clause.heading,
            level=min(1 + len(clause.path), 6),
            text=_own_text(clause),
            coverage=COVERAGE_LABELS.get(status, status),
            statements=tuple(statements),
            # One line for every reason a mark gives (序言 may be both 文件信息 and 目的条款).
            informative=tuple(
                dict.fromkeys(
                    REASON_LABELS.get(m.reason or "", m.reason or "")
                    for m in marks
                    if m.status == "informative"
                )
            ),
            pending=any(m.status == "pending" for m in marks),
        )


class _Citing(Protocol):
    @property
    def clause(self) -> ir.ClauseRef: ...


_C = TypeVar("_C", bound=_Citing)


def _cited(items: Iterable[_C]) -> dict[str, list[_C]]:
    """`items` by the citation of the clause each cites, each list in their order."""
    out: dict[str, list[_C]] = {}
    for item in items:
        out.setdefault(item.clause.citation, []).append(item)
    return out


def _own_text(clause: Clause) -> str:
    return "\n".join(line.strip() for line in clause.own_text.strip().splitlines() if line.strip())


def _policy_file(policy: ir.Policy) -> Path:
    path = Path(policy.file)
    if path.is_absolute():
        return path
    # A project-relative path (policies/x.policy): the project holds policies/sources/.
    return policy.document.path.resolve().parents[2] / path


class ChangedDuringBuild(PolicycError):
    """A policy file that is no longer the text its rules were lowered from."""


class _PolicySource:
    """The policy file's lines, to show each statement exactly as written."""

    def __init__(self, path: Path, policy: ir.Policy) -> None:
        data = path.read_bytes()
        # Read again, after the check: a file saved since (an editor's autosave) would show
        # statements that are not the rules the page lists.  The lowered policy records the
        # hash of the bytes its rules were made from.
        if hashlib.sha256(data).hexdigest() != policy.version.get("policy_sha256"):
            raise ChangedDuringBuild(
                f"{policy.file} changed while the site was built (its rules were read before "
                "the change): build the site again"
            )
        self.lines = data.decode("utf-8").splitlines()

    def statement(self, line: int) -> str:
        """The statement starting at 1-based `line`, through its closing brace."""
        depth, opened, out = 0, False, []
        for text in self.lines[line - 1 :]:
            out.append(text)
            depth, opened = _braces(text, depth, opened)
            if opened and depth == 0:
                break
        return "\n".join(out)

    def definition(self, name: str) -> str:
        """A `define` statement: from its line to the next blank line."""
        pattern = re.compile(rf"^define\s+{re.escape(name)}\b")
        for index, text in enumerate(self.lines):
            if pattern.match(text):
                out = [text]
                for more in self.lines[index + 1 :]:
                    if not more.strip() or not more[:1].isspace():
                        break
                    out.append(more)
                return "\n".join(out)
        return ""


# What `_braces` reads of a line: a string (to its closing quote, or to the line's end), a
# comment (to the line's end), or a brace; every other character is passed over (DOTALL: as
# the loop it replaced, were a line end ever in the text).
_BRACE_TOKENS: Final = re.compile(r'"(?:[^"\\]|\\.)*"?|#.*|[{}]', re.DOTALL)


def _braces(text: str, depth: int, opened: bool) -> tuple[int, bool]:
    """The depth of braces after the line `text`, and whether one was opened: braces in a
    string or a comment do not count.  By a regular expression: a loop over the characters was
    a sixth of generating a province's document pages."""
    for token in _BRACE_TOKENS.findall(text):
        if token == "{":
            depth, opened = depth + 1, True
        elif token == "}":
            depth -= 1
    return depth, opened


def _rule(program: ir.Program, policy: ir.Policy, rule: ir.Rule, source: _PolicySource) -> Shown:
    return Shown(
        name=rule.name,
        kind=kind_label(rule.kind),
        code=source.statement(rule.line),
        meaning=tuple(_meaning(program, policy, rule)),
        notes=rule.notes,
        cite=_cite(policy, rule.clause)[0],
        link=_cite(policy, rule.clause)[1],
        overrides=_overridden(policy, rule),
    )


def _overridden(policy: ir.Policy, rule: ir.Rule) -> tuple[tuple[str, str], ...]:
    """The clauses whose statements an exclusion takes precedence over, each once."""
    if rule.kind is not Kind.EXCLUSION:
        return ()
    targets = [o.target for o in policy.precedence if o.exclusion == rule.name]
    seen: dict[str, tuple[str, str]] = {}
    for target in targets:
        ref = policy.rule(target).clause
        seen.setdefault(ref.clause.citation, _cite(policy, ref))
    return tuple(seen.values())


def _define(
    program: ir.Program, policy: ir.Policy, define: ir.Define, source: _PolicySource
) -> Shown:
    return Shown(
        name=define.name,
        kind="定义",
        code=source.definition(define.name),
        meaning=(
            f"计算：{condition(program, define.expr)}。",
            f"原文：{'……'.join(f'“{q}”' for q in define.clause.quotes)}。",
        ),
        notes=(),
        cite=_cite(policy, define.clause)[0],
        link=_cite(policy, define.clause)[1],
    )


def _cite(policy: ir.Policy, ref: ir.ClauseRef) -> tuple[str, str]:
    return ref.clause.citation, clause_link(policy.id, ref.clause, document_page(policy.id))


def _labels(program: ir.Program, names: tuple[str, ...]) -> str:
    return "、".join(f"「{name_label(program, name)}」" for name in names)


def _actors(program: ir.Program, names: tuple[str, ...]) -> str:
    return "、".join(program.actors[a].label if a in program.actors else a for a in names)


def _meaning(program: ir.Program, policy: ir.Policy, rule: ir.Rule) -> Iterator[str]:
    kind = rule.kind
    when = condition(program, rule.when) if rule.when is not None else ""
    match kind:
        case Kind.GATE:
            yield f"前提条件：须{when}。"
        case Kind.SITUATION:
            yield f"情形：{when}时，适用本条。"
            if rule.excuses:
                yield f"可免除：{'、'.join(rule.excuses)}。"
        case Kind.EXCLUSION:
            which = "全部情形" if rule.overrides_all else "所列情形"
            yield f"排除情形：{when}时，不予适用（优先于{which}）。"
        case Kind.OUTCOME:
            yield f"处理结果：{_labels(program, rule.grants)}。"
            if rule.effects:
                yield f"并且：{_labels(program, rule.effects)}。"
            if when:
                yield f"条件：{when}。"
        case Kind.SCOPE:
            for covers in rule.covers:
                shown = [name_label(program, x) for x in covers.names] + list(covers.texts)
                dimension = _DIMENSIONS.get(covers.dimension, covers.dimension)
                yield f"适用范围（{dimension}）：{'、'.join(shown)}。"
        case Kind.DEADLINE | Kind.PROCEDURE | Kind.DUTY | Kind.REQUIREMENT:
            yield from _doing(program, rule, when)
        case Kind.LIABILITY:
            yield f"责任：{when}时，{_actors(program, rule.actors)}承担责任。"
        case Kind.SANCTION:
            target = _TARGETS.get(rule.target or "", rule.target or "")
            yield f"处分（对{target}）：{_labels(program, rule.penalties)}。"
        case Kind.RESPONSIBILITY:
            for role, actor in rule.roles:
                yield f"{_ROLES.get(role, role)}：{_actors(program, (actor,))}。"
            if rule.actors:
                yield f"责任主体：{_actors(program, rule.actors)}。"
        case Kind.FORM:
            yield f"表单栏目：{'、'.join(f.label for f in rule.fields)}。"
        case _:
            assert_never(kind)


def _doing(program: ir.Program, rule: ir.Rule, when: str) -> Iterator[str]:
    # A deadline's limit line says 时限; its actor and task are the matter the limit is for.
    head = "事项" if rule.kind is Kind.DEADLINE else kind_label(rule.kind)
    who = _actors(program, rule.actors)
    task = rule.task or ""
    if who or task:
        yield f"{head}：{who}{'：' if who and task else ''}{task}。"
    if rule.every is not None:
        by_day = f"（第{rule.every.by_day}日前）" if rule.every.by_day is not None else ""
        yield f"频次：{_EVERY.get(rule.every.period, rule.every.period)}{by_day}。"
    if rule.require is not None:
        yield f"要求：{condition(program, rule.require)}。"
    if when:
        yield f"适用于：{when}时。"
    if rule.limit is not None:
        yield _limit(program, rule.limit, known=rule.when)
    for step in rule.steps:
        actors = _actors(program, step.actors)
        parts = [f"第{step.order}步 {step.label}"]
        if actors or step.task:
            parts.append(f"：{actors}{'：' if actors and step.task else ''}{step.task or ''}")
        if step.when is not None:
            parts.append(f"（{condition(program, step.when)}时）")
        yield "".join(parts) + "。"
        if step.limit is not None:
            yield "　" + _limit(program, step.limit, known=step.when)


def _limit(program: ir.Program, limit: ir.Limit, known: n.Expr | None = None) -> str:
    """A limit in Chinese; its condition is left out when it is `known` (already said)."""
    parts = [f"时限：{duration_label(limit.amount)}内"]
    if limit.start is not None:
        parts.append(f"，自「{name_label(program, limit.start)}」起算")
    if limit.end is not None:
        parts.append(f"，至「{name_label(program, limit.end)}」")
    if limit.excluding is not None:
        period = _PERIODS.get(limit.excluding, limit.excluding)
        parts.append(f"，不含{period}")
    if limit.when is not None and limit.when != known:
        parts.append(f"；适用于{condition(program, limit.when)}时")
    if limit.extend is not None:
        longer = duration_label(limit.extend.amount)
        parts.append(f"；{condition(program, limit.extend.when)}时可延长{longer}")
    return "".join(parts) + "。"


__all__ = ["TEMPLATE", "Shown", "ShownClause", "context", "pages"]
