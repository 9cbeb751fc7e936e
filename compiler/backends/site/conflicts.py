"""The conflict report's page: `conflicts/report.md` (冲突报告), the Markdown of
`policyc conflicts --markdown` with every citation linked to its clause (`clause_link`).

Not `conflicts/index.md`: docs/conflicts.md (how to read the report) is served at
`conflicts/`, and the two would collide."""

from __future__ import annotations

from collections.abc import Iterator

from compiler import ir
from compiler.backends.site.anchors import clause_link
from compiler.backends.site.page import Page
from compiler.conflicts import report
from compiler.conflicts.section import Cite
from compiler.sources import Clause

PATH = "conflicts/report.md"


def _cite(program: ir.Program) -> Cite:
    def cite(policy_id: str, clause: Clause) -> str:
        # The citation is the document's numbering (CJK and digits): nothing Markdown reads.
        return f"[{clause.citation}]({clause_link(policy_id, clause, PATH)})"

    return cite


def pages(program: ir.Program) -> Iterator[Page]:
    parts = report.sections(program)
    body = report.to_markdown(parts, _cite(program), title=False)
    yield Page(
        PATH,
        "冲突报告",
        "conflicts.md.j2",
        {"title": report.TITLE, "body": body},
        {"conflicts/conflicts.json": report.to_json(program, parts)},
    )
