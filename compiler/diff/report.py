"""The diff's report: the parts in order, the verdict, and the exit code.

The verdict is "no change in meaning" exactly when no part found a change in meaning
(`Part.changes_meaning`): the rules part's structural comparison (renames and reorderings
applied) or the behaviour part (cases decided differently, verified by running both versions,
and due dates that moved).  A structural change that the behaviour part could not confirm
with a case still counts as a change (the rules part compares more than the behaviour part
runs: what relief covers, for one), and the verdict says that no case was found; the verdict
is never decided by one part alone.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from typing import Final, TextIO

from compiler.diff import behaviour, rules, text
from compiler.diff.part import Cite, Part, Version
from compiler.inert import inert
from compiler.runtime.exits import EXIT_FINDINGS, EXIT_OK
from compiler.sources import Clause

# The JSON's shape (docs/diff.md); raised when it changes incompatibly.
JSON_VERSION: Final = 1

NO_CHANGE: Final = "含义没有变化"
CHANGE: Final = "含义有变化"

# The analyses, in report order.
Analysis = Callable[[Version, Version], Part]


def analyses() -> tuple[Analysis, ...]:
    return (text.part, rules.part, behaviour.part)


def parts(old: Version, new: Version) -> tuple[Part, ...]:
    return tuple(analysis(old, new) for analysis in analyses())


def changes_meaning(found: Sequence[Part]) -> bool:
    return any(p.changes_meaning for p in found)


def exit_code(found: Sequence[Part]) -> int:
    """Like diff(1): 0 no change in meaning, 1 changes (2, bad input, is the caller's)."""
    return EXIT_FINDINGS if changes_meaning(found) else EXIT_OK


def _verdict(found: Sequence[Part]) -> str:
    if changes_meaning(found):
        return CHANGE + _confirmation(found)
    if any(p.changed for p in found):
        return f"{NO_CHANGE}（只有文字、编号、名称或顺序的变化）"
    return f"{NO_CHANGE}（两个版本相同）"


def _confirmation(found: Sequence[Part]) -> str:
    """Whether running both versions confirmed the change: what a reader most wants to know."""
    ran = next((p for p in found if p.id == "behaviour"), None)
    if ran is None:
        return ""
    match ran.json.get("verdict"):
        case "different":
            return "（已由两个版本实际运行的案例证实）"
        case "equivalent":
            return "（规则写法有改变；在所查的全部情形上两个版本的判断相同，请人工确认）"
        case _:
            return "（规则写法有改变；在搜索上限内未找到两个版本判断不同的案例，请人工确认）"


def to_json(found: Sequence[Part], old: Version, new: Version) -> str:
    document = {
        "version": JSON_VERSION,
        "policy": new.policy.id,
        "old": old.spec,
        "new": new.spec,
        "changes_meaning": changes_meaning(found),
        "verdict": _verdict(found),
        "parts": [
            {
                "id": p.id,
                "title": p.title,
                "changed": p.changed,
                "changes_meaning": p.changes_meaning,
                "details": p.json,
            }
            for p in found
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def plain_cite(policy_id: str, clause: Clause) -> str:
    """A citation on stdout: the clause's citation as text (the site links it instead)."""
    del policy_id
    return inert(clause.citation)


def to_markdown(
    found: Sequence[Part], old: Version, new: Version, cite: Cite = plain_cite, level: int = 1
) -> str:
    head = "#" * level
    lines = [
        f"{head} {inert(new.policy.title)}：版本比较",
        "",
        # <code>, not a Markdown code span: a code span would show the character references.
        f"- 旧版本：<code>{inert(old.spec)}</code>",
        f"- 新版本：<code>{inert(new.spec)}</code>",
        f"- **结论：{_verdict(found)}**",
        "",
    ]
    for p in found:
        flag = "（改变含义）" if p.changes_meaning else ""
        lines += [f"{head}# {p.title}{flag}", "", *p.markdown(cite), ""]
    return "\n".join(lines).rstrip() + "\n"


# Terminal colours: removals red, insertions green, headings bold.
_RED, _GREEN, _BOLD, _RESET = "\033[31m", "\033[32m", "\033[1m", "\033[0m"
_REMOVED = re.compile(r"\[-(.*?)-\]", re.S)
_ADDED = re.compile(r"\{\+(.*?)\+\}", re.S)


def use_colour(stream: TextIO) -> bool:
    """Colour on a terminal only, and never when NO_COLOR is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def to_text(found: Sequence[Part], old: Version, new: Version, colour: bool = False) -> str:
    def bold(line: str) -> str:
        return f"{_BOLD}{line}{_RESET}" if colour else line

    lines = [bold(f"policyc diff {old.spec} {new.spec}（{new.policy.id}）")]
    for p in found:
        flag = "（改变含义）" if p.changes_meaning else ""
        lines += ["", bold(f"== {p.title}{flag} =="), *(_coloured(t, colour) for t in p.text)]
    lines += ["", bold(f"结论：{_verdict(found)}")]
    return "\n".join(lines) + "\n"


def _coloured(line: str, colour: bool) -> str:
    if not colour:
        return line
    line = _REMOVED.sub(lambda m: f"{_RED}[-{m.group(1)}-]{_RESET}", line)
    line = _ADDED.sub(lambda m: f"{_GREEN}{{+{m.group(1)}+}}{_RESET}", line)
    stripped = line.lstrip()
    if stripped.startswith(("删除", "- ")):
        return f"{_RED}{line}{_RESET}"
    if stripped.startswith(("新增", "+ ")):
        return f"{_GREEN}{line}{_RESET}"
    return line
