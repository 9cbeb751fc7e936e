"""The conflict report's pages (冲突报告): `conflicts/report.md`, the Markdown of `policyc
conflicts --markdown` with every citation linked to its clause (`clause_link`), and the whole
report's JSON beside it (`conflicts/conflicts.json`).

Not `conflicts/index.md`: docs/conflicts.md (how to read the report) is served at
`conflicts/`, and the two would collide.

The report has cases for every ordered pair of comparable decisions, so it grows with the
square of the jurisdictions (benchmarks/README.md, the twenty-fourth and twenty-sixth rounds):
at 50 jurisdictions one page of it was 31 MB of HTML, and at a province's thousands no
machine would finish the search.  So the site publishes it in one of three shapes:

* up to ONE_PAGE_PAIRS ordered pairs (the five cities have 12): one page, as `policyc
  conflicts --markdown` prints it;
* more: the cases on a page per decision (`conflicts/cases/<id>.md`: those found through its
  rules, against each decision it is compared with), the report page listing those pages with
  their counts in the cases' place; every case is on one page, as in the report;
* a project of more than PAIRWISE_POLICIES policies: nothing is searched, and the sections
  that grow with the square of the jurisdictions (`report.PAIRWISE`) are left out; the page
  says so and how to get them (`policyc conflicts --against ID`, one jurisdiction against
  each other, a report that grows with the jurisdictions).
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Iterator, Sequence
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

# The most ordered pairs of comparable decisions whose cases are on the report page itself:
# about 5.7 cases a pair, 20 KB of HTML each.
ONE_PAGE_PAIRS: Final = 30
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
    if 2 * len(decisions.pairs(infos)) <= ONE_PAGE_PAIRS:
        yield _report(program, parts)
        return
    # The decisions through whose rules a case was found (or a search was cut), in order.
    heads = {c.a for c in found.cases} | {a for a, _, _ in found.unsettled}
    listed = tuple(i.policy for i in infos if i.policy in heads)
    whole = next(s for s in parts if s.id == "pairs")
    summary = _summary(program, whole, found, listed)
    yield _report(program, tuple(summary if s.id == "pairs" else s for s in parts))
    for policy_id in listed:
        own = decisions.Found(
            tuple(c for c in found.cases if c.a == policy_id),
            tuple(u for u in found.unsettled if u[0] == policy_id),
        )
        section = decisions.pairs_section(program, own)
        path = case_page(policy_id)
        yield Page(
            path,
            decisions.policy_label(program, policy_id),
            TEMPLATE,
            {
                "title": f"{decisions.policy_label(program, policy_id)}：{section.title}",
                "report": posixpath.relpath(PATH, posixpath.dirname(path)),
                "cases": True,
                "omitted": False,
                "body": "\n".join(section.markdown(_cite(path))) + "\n",
            },
        )


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


def _summary(
    program: ir.Program, whole: Section, found: decisions.Found, listed: Sequence[str]
) -> Section:
    """The cases section (`whole`) of the report page when the cases are on a page per
    decision: the same JSON, text and witnesses; in Markdown, each decision's page with its
    counts of each group of cases."""
    groups = [title.removesuffix("（另列）") for title, _ in decisions.GROUPS]

    def markdown(cite: Cite) -> tuple[str, ...]:
        lines = [
            f"共 {len(found.cases):,} 个案例，按经其规则找到案例的决定分页列出："
            "每页列出经该决定的规则找到的、与其他各决定判定不同的案例"
            "（经其他决定的规则找到的，在其他决定的页面）。类别的含义见各页开头。",
            "",
            f"| 决定 | 政策 | {' | '.join(groups)} |",
            f"| --- | --- |{' --- |' * len(groups)}",
        ]
        for policy_id in listed:
            own = [c for c in found.cases if c.a == policy_id]
            counts = [sum(c.kind in kinds for c in own) for _, kinds in decisions.GROUPS]
            link = posixpath.relpath(case_page(policy_id), posixpath.dirname(PATH))
            lines.append(
                f"| [{inert(decisions.policy_label(program, policy_id))}]({link}) | "
                f"`{policy_id}` | {' | '.join(f'{n:,}' for n in counts)} |"
            )
        return tuple(lines)

    return dataclasses.replace(whole, markdown=markdown)
