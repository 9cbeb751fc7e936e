"""The conflict report's pages (冲突报告): `conflicts/report.md`, the Markdown of `policyc
conflicts --markdown` with every citation linked to its clause (`clause_link`), and the whole
report's JSON beside it (`conflicts/conflicts.json`).

Not `conflicts/index.md`: docs/conflicts.md (how to read the report) is served at
`conflicts/`, and the two would collide.

The report has cases for every ordered pair of comparable decisions, so it grows with the
square of the jurisdictions (benchmarks/README.md, the twenty-fourth and twenty-sixth rounds):
at 50 jurisdictions one page of it was 31 MB of HTML, and at a province's thousands no
machine would finish the search.  So the site publishes it in one of three shapes:

* up to ONE_PAGE_PAIRS pairs of comparable decisions (the five cities have 6): one page, as
  `policyc conflicts --markdown` prints it;
* more: a page per comparable decision (`conflicts/cases/<id>.md`: the cases found through
  its rules, against each decision it is compared with, and links to the pages that hold the
  cases it is the other side of), the report page listing those pages with their counts in
  the cases' place; every case is on one page, as in the report;
* a project of more than PAIRWISE_POLICIES policies: nothing is searched, and the sections
  that grow with the square of the jurisdictions (`report.PAIRWISE`) are left out; the page
  says so and how to get them (`policyc conflicts --against ID`, one jurisdiction against
  each other, a report that grows with the jurisdictions).
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from compiler import ir
from compiler.backends.site.anchors import clause_link
from compiler.backends.site.page import STEPS, Page
from compiler.conflicts import decisions, report
from compiler.conflicts.section import Cite, Section
from compiler.inert import inert
from compiler.sources import Clause

PATH: Final = "conflicts/report.md"
CASES: Final = "conflicts/cases/"  # a page per decision: conflicts/cases/<id>.md
TEMPLATE: Final = "conflicts.md.j2"

# The most pairs of comparable decisions whose cases are on the report page itself: about 11
# cases a pair (both ways), 20 KB of HTML each.
ONE_PAGE_PAIRS: Final = 15
# The most policies for which the site searches for cases and compares limits two by two:
# at 50 the search takes about a minute on two cores, and four times that at 100.
PAIRWISE_POLICIES: Final = 50


def _cite(page: str) -> Cite:
    def cite(policy_id: str, clause: Clause) -> str:
        # The citation is the document's numbering (CJK and digits): nothing Markdown reads.
        return f"[{clause.citation}]({clause_link(policy_id, clause, page)})"

    return cite


def case_page(policy_id: str) -> str:
    return f"{CASES}{policy_id}.md"


def pages(program: ir.Program) -> Iterator[Page]:
    if len(program.policies) > PAIRWISE_POLICIES:
        parts = report.sections(program, pairwise=False)
        yield _report(program, parts, omitted=True)
        return
    infos = decisions.decision_infos(program)
    found = decisions.cases(program, infos, STEPS.get())
    parts = report.sections(program, found=found)
    compared = decisions.pairs(infos)
    if len(compared) <= ONE_PAGE_PAIRS:
        yield _report(program, parts)
        return
    paired = {p.a for p in compared} | {p.b for p in compared}
    listed = tuple(i.policy for i in infos if i.policy in paired)
    rows = {policy_id: _Row.of(found, policy_id) for policy_id in listed}
    whole = next(s for s in parts if s.id == "pairs")
    yield _report(
        program,
        tuple(_summary(program, whole, len(found.cases), rows) if s is whole else s for s in parts),
    )
    for policy_id, row in rows.items():
        section = decisions.pairs_section(program, row.own)
        path = case_page(policy_id)
        label = decisions.policy_label(program, policy_id)
        yield Page(
            path,
            label,
            TEMPLATE,
            {
                "title": f"{label}：{section.title}",
                "report": posixpath.relpath(PATH, posixpath.dirname(path)),
                "cases": True,
                "omitted": False,
                "elsewhere": [
                    {
                        "label": decisions.policy_label(program, other),
                        "id": other,
                        "link": posixpath.relpath(case_page(other), posixpath.dirname(path)),
                        "count": count,
                    }
                    for other, count in row.elsewhere.items()
                ],
                "elsewhere_total": sum(row.elsewhere.values()),
                "body": "\n".join(section.markdown(_cite(path))) + "\n",
            },
        )


@dataclass(frozen=True)
class _Row:
    """One decision's part of the report when the cases are on a page per decision."""

    own: decisions.Found  # the cases found through its rules, and its searches cut
    # The cases it is the other side of, counted by the decision through whose rules each was
    # found (the page that holds them), in the report's order.
    elsewhere: Mapping[str, int]

    @staticmethod
    def of(found: decisions.Found, policy_id: str) -> _Row:
        own = decisions.Found(
            tuple(c for c in found.cases if c.a == policy_id),
            tuple(u for u in found.unsettled if u[0] == policy_id),
        )
        elsewhere: dict[str, int] = {}
        for case in found.cases:
            if case.b == policy_id:
                elsewhere[case.a] = elsewhere.get(case.a, 0) + 1
        return _Row(own, elsewhere)


def _report(program: ir.Program, parts: Sequence[Section], *, omitted: bool = False) -> Page:
    body = report.to_markdown(parts, _cite(PATH), title=False)
    return Page(
        PATH,
        "冲突报告",
        TEMPLATE,
        {
            "title": report.TITLE,
            "cases": False,
            "omitted": omitted,
            "policies": len(program.policies),
            "limit": PAIRWISE_POLICIES,
            "body": body,
        },
        {"conflicts/conflicts.json": report.json_bytes(program, parts)},
    )


def _summary(program: ir.Program, whole: Section, total: int, rows: Mapping[str, _Row]) -> Section:
    """The cases section (`whole`) of the report page when the cases are on a page per
    decision: the same JSON, text and witnesses; in Markdown, each decision's page with its
    counts: its own cases of each group, its searches cut by the bound, and the cases found
    through the others' rules that it is the other side of."""
    groups = [title.removesuffix("（另列）") for title, _ in decisions.GROUPS]
    columns = ["决定", "编号", *groups, "搜索达到上限", "经其他决定的规则找到、涉及本决定"]

    def markdown(cite: Cite) -> tuple[str, ...]:
        lines = [
            f"共 {total:,} 个案例，每个可比较的决定一页。每页列出经该决定的规则"
            "（其适用情形和排除情形）找到的、与其他决定判定不同的案例；该决定作为另一方的案例，"
            "在找到它们的决定的页面上，每页开头列出这些页面。类别的含义见各页开头。"
            "“搜索达到上限”是搜索未能完成的规则数：未找到案例的，不能据此认为双方一致。",
            "",
            f"| {' | '.join(columns)} |",
            f"|{' --- |' * len(columns)}",
        ]
        for policy_id, row in rows.items():
            counts = [sum(c.kind in kinds for c in row.own.cases) for _, kinds in decisions.GROUPS]
            counts += [len(row.own.unsettled), sum(row.elsewhere.values())]
            link = posixpath.relpath(case_page(policy_id), posixpath.dirname(PATH))
            lines.append(
                f"| [{inert(decisions.policy_label(program, policy_id))}]({link}) | "
                f"`{policy_id}` | {' | '.join(f'{n:,}' for n in counts)} |"
            )
        return tuple(lines)

    return dataclasses.replace(whole, markdown=markdown)
