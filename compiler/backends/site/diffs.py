"""Revision pages: for each policy, what changed in meaning since a base revision.

Legal staff read these pages to see what the transcription's revisions changed: each page is
`policyc diff BASE:policies/<id>.policy <working tree>` (compiler/diff), the official text
aligned clause by clause and the rules compared structurally, with the verdict.  The new side
is the model the site is built from; the old side is read from git at `BASE`.

Where git or the revision is not available (a tarball, a shallow clone), or the old version no
longer checks against today's vocabulary, the page says so plainly and the build goes on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from compiler import ir
from compiler.backends.site.anchors import clause_link
from compiler.backends.site.page import Page
from compiler.diff import report
from compiler.diff.load import BadVersion, CheckFailed, has_revision, load_version
from compiler.diff.part import Version
from compiler.inert import inert
from compiler.runtime.values import cut
from compiler.sources import Clause

TEMPLATE = "diffs.md.j2"
INDEX = "diffs/index.md"

# The base revision: the last commit before the fixes from the independent (second) legal
# reading of the transcriptions landed (5c0e289 玉泉 第四条（二）, then 01f53e0 宁波, 79cecfd and
# fb7fd5e 台儿庄, …; `git log --oneline -- policies/`).  Its parent a184f42 changed the language
# only, so every policy file there is the first complete transcription.
BASE: Final = "a184f42"
BASE_LABEL: Final = "第二次独立法律审读修正之前的版本"


@dataclass(frozen=True)
class Outcome:
    """One policy's comparison: the report's Markdown, or why there is none."""

    policy: ir.Policy
    markdown: str | None
    changes_meaning: bool
    problem: str | None


def page_path(policy_id: str) -> str:
    return f"diffs/{policy_id}.md"


def pages(program: ir.Program) -> Iterator[Page]:
    base: dict[Path, str | None] = {}
    outcomes = [_compare(program, program.policies[pid], base) for pid in sorted(program.policies)]
    yield Page(
        path=INDEX,
        title="修订比较",
        template=TEMPLATE,
        context={
            "index": True,
            "base": BASE,
            "base_label": BASE_LABEL,
            "rows": [
                {
                    "title": o.policy.title,
                    "link": f"{o.policy.id}.md",
                    "verdict": _verdict(o),
                }
                for o in outcomes
            ],
        },
    )
    for outcome in outcomes:
        yield Page(
            path=page_path(outcome.policy.id),
            title=_short_title(outcome.policy),
            template=TEMPLATE,
            context={
                "index": False,
                "base": BASE,
                "base_label": BASE_LABEL,
                "title": outcome.policy.title,
                "body": outcome.markdown,
                "problem": outcome.problem,
            },
        )


def _compare(program: ir.Program, policy: ir.Policy, base: dict[Path, str | None]) -> Outcome:
    """The policy's comparison with its version at BASE.  `base`: for each project folder where
    a policy could not be read at BASE, why git cannot read BASE there at all (the same for
    every policy there), or None where it can (the file was not there).  Asked once a folder:
    two `git` processes a policy were a tenth of generating a province's pages, where the
    repository is not ours or not a repository."""
    root = project_root(policy)
    new = Version("工作区（当前版本）", program, policy)
    spec = f"{BASE}:{policy.file}"
    if root is None:
        return Outcome(policy, None, False, "找不到项目目录，无法读取基准版本。")
    try:
        why = base.get(root)
        if why is not None:
            raise BadVersion(f"{cut(spec)}: {why}")
        old = load_version(spec, root)
    except BadVersion as error:
        # The error names the file as `cut` shortens a long one: its reason alone is kept.
        reason = str(error).removeprefix(f"{cut(spec)}: ")
        if root not in base:
            base[root] = None if has_revision(root, BASE) else reason
        return Outcome(
            policy,
            None,
            False,
            f"无法从 git 读取基准版本 {BASE}（{reason}）。从压缩包或浅克隆构建网站时没有历史版本，"
            "本页因此没有比较结果。",
        )
    except CheckFailed as error:
        return Outcome(
            policy,
            None,
            False,
            f"基准版本 {BASE} 的政策文件按当前的共享词汇检查不通过（{len(error.errors)} 个错误），"
            "无法比较。",
        )
    found = report.parts(old, new)
    page = page_path(policy.id)

    def cite(policy_id: str, clause: Clause) -> str:
        return f"[{inert(clause.citation)}]({clause_link(policy_id, clause, page)})"

    markdown = report.to_markdown(found, old, new, cite, level=2)
    return Outcome(policy, markdown, report.changes_meaning(found), None)


def project_root(policy: ir.Policy) -> Path | None:
    """The project directory: the folder above the official text's path that holds the policy
    file (the page kinds receive the model only; the text's path is absolute)."""
    for folder in policy.document.path.parents:
        if (folder / policy.file).is_file():
            return folder
    return None


def _verdict(outcome: Outcome) -> str:
    if outcome.problem is not None:
        return "无法比较"
    return report.CHANGE if outcome.changes_meaning else report.NO_CHANGE


def _short_title(policy: ir.Policy) -> str:
    jurisdiction = policy.header.jurisdiction or ""
    # "浙江省宁波市" -> the last place name, as the document pages' nav titles.
    place = re.split(r"[省市区县]", jurisdiction.rstrip("省市区县"))[-1] if jurisdiction else ""
    return f"{place}：修订比较" if place else f"{policy.title}：修订比较"
