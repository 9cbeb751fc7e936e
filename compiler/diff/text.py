"""The official texts of two versions, aligned clause by clause.

Each clause's body (its own text outside its sub-clauses, with its marker "（三）" / "第八条"
taken off) is what is compared, so that a clause keeps its identity when only its number moves:

1. a clause whose body and citation are both unchanged pairs with itself;
2. then equal bodies pair, in document order, whatever their numbers: a *renumbering*;
3. then the remaining clauses pair by similarity (`difflib.SequenceMatcher.ratio` on the
   bodies, characters compared: Chinese has no spaces), best pair first, when the ratio is at
   least `THRESHOLD`: a *rewording* (and a renumbering too if the number moved);
4. what is left is *removed* (old only) or *added* (new only).

The text alone never changes what the rules decide (`changes_meaning` is false): a rewording
that breaks a rule's quote is a check error of that version, reported before any diff.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from compiler.diff.part import Cite, Part, Version
from compiler.inert import inert
from compiler.sources import Clause, SourceDocument

# Two bodies at least this similar are one clause reworded; below it, one removed and one
# added.  0.6 is difflib's own customary cutoff (get_close_matches): a clause that kept more
# than half its characters in order.
THRESHOLD: Final = 0.6

# The part of the document outside every numbered clause (title, preamble, closing lines).
_OUTSIDE: Final = "（条款之外）"

# An unchanged stretch longer than this is shortened in a shown rewording (its ends kept).
_CONTEXT: Final = 12


@dataclass(frozen=True)
class Pairing:
    old: Clause | None
    new: Clause | None
    similarity: float  # 1.0 for equal bodies, 0.0 for an added or removed clause

    @property
    def change(self) -> str:
        """same | renumbered | reworded | added | removed"""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        if _body(self.old) != _body(self.new):
            return "reworded"
        return "same" if self.old.citation == self.new.citation else "renumbered"


@dataclass(frozen=True)
class Alignment:
    pairs: tuple[Pairing, ...]  # in the new document's order, removed clauses after

    def new_citation(self, old: str) -> str | None:
        """The new citation of the old clause `old` (None: removed)."""
        for pair in self.pairs:
            if pair.old is not None and pair.old.citation == old:
                return pair.new.citation if pair.new is not None else None
        return None


def align(old: SourceDocument, new: SourceDocument) -> Alignment:
    before, after = list(old.root.walk()), list(new.root.walk())
    left, right = set(range(len(before))), set(range(len(after)))
    pairs: list[tuple[int, int, float]] = []

    def take(i: int, j: int, ratio: float) -> None:
        pairs.append((i, j, ratio))
        left.discard(i)
        right.discard(j)

    # 1, 2: equal bodies, the same citation first, then in document order.
    for same_number in (True, False):
        for i in sorted(left):
            match = next(
                (
                    j
                    for j in sorted(right)
                    if _body(before[i]) == _body(after[j])
                    and (before[i].citation == after[j].citation or not same_number)
                ),
                None,
            )
            if match is not None:
                take(i, match, 1.0)
    # 3: the most similar pairs first (ties in document order, for a stable result).
    candidates: list[tuple[float, int, int]] = []
    for i in sorted(left):
        for j in sorted(right):
            ratio = _similarity(_body(before[i]), _body(after[j]))
            if ratio >= THRESHOLD:
                candidates.append((-ratio, i, j))
    for negative, i, j in sorted(candidates):
        if i in left and j in right:
            take(i, j, -negative)
    by_new = {j: (i, ratio) for i, j, ratio in pairs}
    ordered = [
        Pairing(before[by_new[j][0]], after[j], by_new[j][1])
        if j in by_new
        else Pairing(None, after[j], 0.0)
        for j in range(len(after))
    ]
    ordered += [Pairing(before[i], None, 0.0) for i in sorted(left)]
    return Alignment(tuple(ordered))


def _similarity(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    # The cheap upper bounds first: most pairs of a document are far apart.
    if matcher.real_quick_ratio() < THRESHOLD or matcher.quick_ratio() < THRESHOLD:
        return 0.0
    return matcher.ratio()


def _body(clause: Clause) -> str:
    body = clause.own_text.strip()
    if clause.marker and body.startswith(clause.marker):
        body = body[len(clause.marker) :]
    return body.strip()


def _name(clause: Clause | None) -> str:
    if clause is None:
        return "-"
    return clause.citation or _OUTSIDE


def wording(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """The character-level difference of two texts as (op, text) runs: "=" kept, "-" taken out,
    "+" put in.  A kept run of one character between two changes joins them, so that a
    rewording reads as whole words rather than scattered characters."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    runs: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(("=", old[i1:i2]))
            continue
        if i2 > i1:
            runs.append(("-", old[i1:i2]))
        if j2 > j1:
            runs.append(("+", new[j1:j2]))
    merged: list[tuple[str, str]] = []
    for index, (kind, text) in enumerate(runs):
        inside = 0 < index < len(runs) - 1
        if kind == "=" and len(text) == 1 and inside:
            merged += [("-", text), ("+", text)]
        else:
            merged.append((kind, text))
    out: list[tuple[str, str]] = []
    # Join neighbouring runs of one kind, removals before insertions within a change.
    pending_minus, pending_plus = "", ""
    for kind, text in merged:
        if kind == "-":
            pending_minus += text
        elif kind == "+":
            pending_plus += text
        else:
            out += [(o, t) for o, t in (("-", pending_minus), ("+", pending_plus)) if t]
            pending_minus, pending_plus = "", ""
            out.append(("=", text))
    out += [(o, t) for o, t in (("-", pending_minus), ("+", pending_plus)) if t]
    return tuple(out)


def _shortened(text: str, first: bool, last: bool) -> str:
    if len(text) <= 2 * _CONTEXT + 1:
        return text
    head = "" if first else text[:_CONTEXT]
    tail = "" if last else text[-_CONTEXT:]
    return f"{head}…{tail}"


def _runs_shown(runs: tuple[tuple[str, str], ...]) -> Iterator[tuple[str, str]]:
    for index, (op, text) in enumerate(runs):
        if op == "=":
            yield op, _shortened(text, index == 0, index == len(runs) - 1)
        else:
            yield op, text


def part(old: Version, new: Version) -> Part:
    alignment = align(old.policy.document, new.policy.document)
    changes = [p for p in alignment.pairs if p.change != "same"]
    policy_id = new.policy.id
    entries: list[dict[str, object]] = []
    text: list[str] = []
    for pair in changes:
        entry: dict[str, object] = {
            "change": pair.change,
            "old": pair.old.citation if pair.old is not None else None,
            "new": pair.new.citation if pair.new is not None else None,
            "similarity": round(pair.similarity, 3),
        }
        if pair.change in ("removed", "reworded"):
            entry["old_text"] = _body(pair.old) if pair.old is not None else None
        if pair.change in ("added", "reworded"):
            entry["new_text"] = _body(pair.new) if pair.new is not None else None
        if pair.change == "reworded" and pair.old is not None and pair.new is not None:
            runs = wording(_body(pair.old), _body(pair.new))
            entry["wording"] = [[op, t] for op, t in runs]
        entries.append(entry)
        text += _text_lines(pair)
    counts = {
        kind: sum(1 for p in changes if p.change == kind)
        for kind in ("added", "removed", "renumbered", "reworded")
    }
    summary = "，".join(f"{_LABEL[k]} {v}" for k, v in counts.items() if v) or "没有变化"
    old_doc, new_doc = old.policy.document, new.policy.document
    json: dict[str, object] = {
        "old_sha256": old_doc.sha256,
        "new_sha256": new_doc.sha256,
        "threshold": THRESHOLD,
        "counts": counts,
        "clauses": entries,
    }

    def markdown(cite: Cite) -> tuple[str, ...]:
        if not changes:
            return ("官方文本没有变化。",)
        lines = [f"条款对齐：{inert(summary)}（官方文本本身的变化不改变规则的含义）。", ""]
        for pair in changes:
            lines += _markdown_lines(pair, policy_id, cite)
        return tuple(lines)

    return Part(
        id="text",
        title="官方文本",
        changed=bool(changes),
        changes_meaning=False,
        json=json,
        markdown=markdown,
        text=(f"条款对齐：{summary}", *text) if changes else ("官方文本没有变化",),
    )


_LABEL: Final = {"added": "新增", "removed": "删除", "renumbered": "重新编号", "reworded": "改写"}


def _text_lines(pair: Pairing) -> list[str]:
    if pair.change == "added":
        return [f"  新增 {_name(pair.new)}", f"    + {_body(pair.new) if pair.new else ''}"]
    if pair.change == "removed":
        return [f"  删除 {_name(pair.old)}", f"    - {_body(pair.old) if pair.old else ''}"]
    if pair.change == "renumbered":
        return [f"  重新编号 {_name(pair.old)} → {_name(pair.new)}（文字未变）"]
    assert pair.old is not None and pair.new is not None  # reworded
    moved = f"{_name(pair.old)} → " if pair.old.citation != pair.new.citation else ""
    shown = "".join(
        t if op == "=" else f"[-{t}-]" if op == "-" else f"{{+{t}+}}"
        for op, t in _runs_shown(wording(_body(pair.old), _body(pair.new)))
    )
    return [f"  改写 {moved}{_name(pair.new)}（相似度 {pair.similarity:.1%}）", f"    {shown}"]


def _markdown_lines(pair: Pairing, policy_id: str, cite: Cite) -> list[str]:
    # Old clauses are named as text: they exist only in the old version, so no page of the
    # site has an anchor for them; new clauses link to their place in the current document.
    old = inert(_name(pair.old))
    new = inert(_name(pair.new))
    if pair.new is not None and pair.new.citation:
        new = cite(policy_id, pair.new)
    if pair.change == "added":
        body = inert(_body(pair.new)) if pair.new else ""
        return [f"- **新增** {new}：<ins>{body}</ins>"]
    if pair.change == "removed":
        body = inert(_body(pair.old)) if pair.old else ""
        return [f"- **删除** {old}：<del>{body}</del>"]
    if pair.change == "renumbered":
        return [f"- **重新编号** {old} → {new}（文字未变）"]
    assert pair.old is not None and pair.new is not None  # reworded
    moved = f"{old} → " if pair.old.citation != pair.new.citation else ""
    shown = "".join(
        inert(t) if op == "=" else f"<{_TAG[op]}>{inert(t)}</{_TAG[op]}>"
        for op, t in _runs_shown(wording(_body(pair.old), _body(pair.new)))
    )
    return [f"- **改写** {moved}{new}（相似度 {pair.similarity:.1%}）：{shown}"]


_TAG: Final = {"-": "del", "+": "ins"}
