"""A relief decision as Mermaid flowcharts, and the structure its outline shares.

The decision of a policy (docs/language.md, "Meaning") is drawn as it is decided: the gates,
which must all hold; the situations, any one of which grants relief; the exclusions, which
override the situations they name; and the outcome rules, what relief grants.  Labels are the
documents' own words (a rule's first quote, shortened with an ellipsis) behind the clause's
citation, so a reader can match every box with the official text.

Readability: a chart with twenty boxes in one rank (威海 三（一）至（二十）) is unreadable, so
situations are folded.  A decision with at most `FOLD_ABOVE` situations is one chart.  Above
that, the situations are grouped by clause structure (the clause that holds them: 宁波 第四条
（一）至（四）) and a group larger than `GROUP_SIZE` is cut into consecutive runs (威海 三（一）至
（七）, （八）至（十四）, （十五）至（二十））; the overview chart shows one node per group, and
each group has a chart of its own with its situations and the exclusions that override them.
Every gate, situation, exclusion and outcome rule therefore appears in some chart (a test
checks it for every decision).

Mermaid text: node ids are positional ASCII (`g1`, `s3`, `exc2`, `res1`, `sg2`), so a rule name
never reaches the syntax.  Every label is a double-quoted string in which each character that
is not a letter, a digit, a space or an ordinary non-ASCII character is written as Mermaid's
entity code `#<decimal>;` (Mermaid turns it into an HTML character reference after parsing),
so a quote containing `"`, `]`, `;`, `#`, `<script>` or `{{` can neither end the label nor
become markup.  `click` links are not used: the site runs Mermaid with securityLevel
"strict", which disables them; the clauses are linked in a list under each chart instead.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from compiler import ir
from compiler.backends.site.words import condition
from compiler.runtime.kinds import Kind
from compiler.sources import Clause

# One chart holds at most this many situations; above it, the overview folds them into groups.
FOLD_ABOVE = 8
# A folded group holds at most this many situations (a chart's column stays on one screen).
GROUP_SIZE = 7
# A node shows this many characters of its rule's quote before the ellipsis.
LABEL_CHARS = 28
# An edge label (an outcome's condition) shows at most this many characters.
EDGE_CHARS = 36
# A box of the overview with at most this many nodes lays them out in a row.
ROW = 4
# A label line is broken after this many characters, so that it fits Mermaid's 200-pixel
# label width at its 16-pixel font and Mermaid does not break it again elsewhere.
LINE_CHARS = 11


@dataclass(frozen=True)
class Group:
    """Consecutive situations of one clause, as one node of the overview."""

    key: str  # the ASCII node id in the overview: "sg1"
    title: str  # "三（一）至三（七）"
    heading: str  # the holding clause's heading ("社会救助经办环节"), "" if none
    situations: tuple[ir.Rule, ...]


@dataclass(frozen=True)
class DecisionParts:
    """The rules of a policy's relief decision, in document order, by part."""

    policy: ir.Policy
    gates: tuple[ir.Rule, ...]
    situations: tuple[ir.Rule, ...]
    exclusions: tuple[ir.Rule, ...]
    outcomes: tuple[ir.Rule, ...]
    groups: tuple[Group, ...]  # empty: the situations are not folded

    @property
    def folded(self) -> bool:
        return bool(self.groups)


@dataclass(frozen=True)
class Chart:
    """One Mermaid chart and the rules it shows (for the clause list under it)."""

    key: str  # ASCII: "overview", "group1"
    title: str  # the heading above the chart, in Chinese
    mermaid: str  # the chart's text, without the fence
    rules: tuple[ir.Rule, ...]  # every rule drawn, in document order


def decision_parts(policy: ir.Policy) -> DecisionParts:
    situations = policy.of_kind(Kind.SITUATION)
    groups = _groups(policy, situations) if len(situations) > FOLD_ABOVE else ()
    return DecisionParts(
        policy,
        policy.of_kind(Kind.GATE),
        situations,
        policy.of_kind(Kind.EXCLUSION),
        policy.of_kind(Kind.OUTCOME),
        groups,
    )


def _groups(policy: ir.Policy, situations: Sequence[ir.Rule]) -> tuple[Group, ...]:
    runs: list[tuple[Clause | None, list[ir.Rule]]] = []
    for rule in situations:
        holder = _holder(policy, rule.clause.clause)
        if runs and runs[-1][0] is holder:
            runs[-1][1].append(rule)
        else:
            runs.append((holder, [rule]))
    groups: list[Group] = []
    for holder, rules in runs:
        for start in range(0, len(rules), GROUP_SIZE):
            chunk = tuple(rules[start : start + GROUP_SIZE])
            title = citation_range(chunk[0].clause.citation, chunk[-1].clause.citation)
            heading = holder.heading if holder is not None else ""
            groups.append(Group(f"sg{len(groups) + 1}", title, heading, chunk))
    return tuple(groups)


def citation_range(first: str, last: str) -> str:
    """ "三（一）至（七）", "第四条（一）1至6": the last citation without the segments it shares
    with the first (cut only where a segment ends)."""
    if first == last:
        return first
    k = 0
    while k < min(len(first), len(last)) and first[k] == last[k]:
        k += 1
    while k > 0 and not (last[k] == "（" or last[k - 1] in "）条章"):
        k -= 1
    return f"{first}至{last[k:]}"


def _holder(policy: ir.Policy, clause: Clause) -> Clause | None:
    """The clause that holds `clause` (its parent in the official text's tree)."""
    parent = clause.path[:-1]
    if not parent:
        return None
    return policy.document.clause_at(parent)


# ---------------------------------------------------------------- labels


def mermaid_text(value: str) -> str:
    """A value as the inside of a double-quoted Mermaid label: inert, on one line."""
    out = []
    for char in value:
        if char in "\r\n\t":
            out.append(" ")
        elif char.isascii():
            out.append(char if char.isalnum() or char == " " else f"#{ord(char)};")
        elif unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}:
            # Invisible or undefined characters: written as codes so that none is lost or
            # reorders the text (bidi controls).
            out.append(f"#{ord(char)};")
        else:
            out.append(char)
    return "".join(out)


def shorten(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


# Punctuation that must not begin a line (Chinese line-breaking rules, 避头点).
_NO_LINE_START = set("，。、；：？！）》」』”’…%,.;:?!)")


def wrap(line: str, width: int = LINE_CHARS) -> list[str]:
    """A line broken every `width` characters, never before closing punctuation."""
    out: list[str] = []
    current = ""
    for char in line:
        if len(current) >= width and char not in _NO_LINE_START:
            out.append(current)
            current = ""
        current += char
    if current:
        out.append(current)
    return out


def _label(head: str, *body: str) -> str:
    """A quoted Mermaid label: `head` (a citation or a title, kept whole) and the `body`
    lines, wrapped; each line escaped after wrapping, so that no entity code is cut."""
    lines = [head] if head else []
    lines += [part for line in body for part in wrap(line)]
    return '"' + "<br/>".join(mermaid_text(line) for line in lines) + '"'


def rule_words(rule: ir.Rule) -> str:
    """The document's words for a rule, for a node.  A gate's first quote is its condition
    (the others give the sentence it stands in: "有下列情形的，适用…"); a situation's or an
    exclusion's quotes are read together, since its first is often only the setting ("在创造
    性开展社会救助工作中").  A rule without quotes: its clause's heading, else nothing."""
    quotes = rule.clause.quotes
    if not quotes:
        return rule.clause.clause.heading
    return quotes[0] if rule.kind is Kind.GATE else "…".join(quotes)


def member_labels(program: ir.Program, enum: str, names: Sequence[str]) -> tuple[str, ...]:
    found = program.enums.get(enum)
    labels = []
    for name in names:
        member = found.member(name) if found is not None else None
        labels.append(member.label if member is not None else name)
    return tuple(labels)


def outcome_words(program: ir.Program, rule: ir.Rule) -> str:
    """What an outcome rule grants, in the vocabulary's Chinese labels."""
    parts = [
        "、".join(member_labels(program, "relief", rule.grants)),
        "、".join(member_labels(program, "effect", rule.effects)),
    ]
    return "；".join(p for p in parts if p)


# ---------------------------------------------------------------- charts


def charts(program: ir.Program, policy: ir.Policy) -> tuple[Chart, ...]:
    """The decision's charts: the overview, then one per folded group of situations."""
    parts = decision_parts(policy)
    label = policy.header.decision_label or policy.header.decision or policy.id
    out = [_overview(program, parts, label)]
    for number, group in enumerate(parts.groups, start=1):
        out.append(_group_chart(parts, group, number))
    return tuple(out)


def _node(key: str, rule: ir.Rule) -> str:
    return f"{key}[{_label(rule.clause.citation, shorten(rule_words(rule), LABEL_CHARS))}]"


class _Ids:
    """Positional ASCII ids: g1…, s1…, exc1…, res1… in document order."""

    def __init__(self, parts: DecisionParts) -> None:
        self.of: dict[str, str] = {}
        # No id starts with "o" or "x": after an arrow Mermaid may read them as edge ends.
        for prefix, rules in (
            ("g", parts.gates),
            ("s", parts.situations),
            ("exc", parts.exclusions),
            ("res", parts.outcomes),
        ):
            for number, rule in enumerate(rules, start=1):
                self.of[rule.name] = f"{prefix}{number}"


def _overview(program: ir.Program, parts: DecisionParts, label: str) -> Chart:
    ids = _Ids(parts)
    lines = ["flowchart TD"]
    drawn: list[ir.Rule] = []
    if parts.gates:
        lines.append(f"  subgraph gates[{_label('条件（须全部满足）')}]")
        lines += _direction(len(parts.gates))
        lines += [f"    {_node(ids.of[g.name], g)}" for g in parts.gates]
        lines.append("  end")
        drawn += parts.gates
    lines.append(f"  subgraph situations[{_label('情形（符合其一即可）')}]")
    lines += _direction(len(parts.groups) if parts.folded else len(parts.situations))
    group_of: dict[str, str] = {}
    if parts.folded:
        for group in parts.groups:
            count = f"{len(group.situations)}项情形"
            lines.append(f"    {group.key}[{_label(group.title, group.heading, count)}]")
            for s in group.situations:
                group_of[s.name] = group.key
    else:
        lines += [f"    {_node(ids.of[s.name], s)}" for s in parts.situations]
    drawn += parts.situations
    lines.append("  end")
    if parts.exclusions:
        lines.append(f"  subgraph exclusions[{_label('排除情形（优先于情形）')}]")
        lines += _direction(len(parts.exclusions))
        lines += [f"    {_node(ids.of[x.name], x)}" for x in parts.exclusions]
        lines.append("  end")
        drawn += parts.exclusions
    lines.append(f"  applies([{_label('适用' + label)}])")
    lines += _outcome_lines(program, parts, ids)
    drawn += parts.outcomes
    if parts.gates:
        lines.append("  gates --> situations")
    if not parts.exclusions:
        lines.append("  situations --> applies")
    else:
        lines.append(f"  excluded([{_label('不适用' + label)}])")
        if all(x.overrides_all for x in parts.exclusions):
            # Every exclusion overrides every situation: the decision reads as a path, a
            # situation, then the exclusions (any one holding excludes), then the outcome.
            lines.append("  situations --> exclusions")
            lines.append(f"  exclusions -->|{_label('任一成立')}| excluded")
            lines.append(f"  exclusions -->|{_label('均不成立')}| applies")
        else:
            # Some exclusion names its situations: the precedence edges show which.
            lines.append("  situations --> applies")
            lines.append("  exclusions --> excluded")
            lines += _override_lines(parts, ids, group_of)
    return Chart("overview", "总图", "\n".join(lines) + "\n", _in_order(parts.policy, drawn))


def _direction(count: int) -> list[str]:
    """A box of at most `ROW` nodes lays them side by side; a longer one stacks them, since a
    row of seven labels would shrink the chart to an unreadable size.  (In a TD chart Mermaid
    11.17 stacks a subgraph's unlinked nodes unless it says `direction TB`, which puts them in
    a row: seen in Chromium, surprising, hence this note.)"""
    return ["    direction TB"] if count <= ROW else []


def _outcome_lines(program: ir.Program, parts: DecisionParts, ids: _Ids) -> list[str]:
    lines = []
    for rule in parts.outcomes:
        key = ids.of[rule.name]
        lines.append(f"  {key}[{_label(rule.clause.citation, outcome_words(program, rule))}]")
        if rule.when is not None:
            words = shorten("若" + condition(program, rule.when), EDGE_CHARS)
            lines.append(f"  applies -->|{_label('', words)}| {key}")
        else:
            lines.append(f"  applies --> {key}")
    return lines


def _override_lines(parts: DecisionParts, ids: _Ids, group_of: dict[str, str]) -> list[str]:
    """Precedence edges: an exclusion over every situation points at the situations box; one
    over named situations points at each (at its group's node when folded)."""
    lines = []
    for rule in parts.exclusions:
        key = ids.of[rule.name]
        if rule.overrides_all:
            lines.append(f"  {key} -.->|{_label('优先于全部情形')}| situations")
            continue
        targets = [
            group_of.get(t, ids.of[t])
            for t in _targets(parts.policy, rule)
            if t in ids.of or t in group_of
        ]
        for target in dict.fromkeys(targets):
            lines.append(f"  {key} -.->|{_label('优先')}| {target}")
    return lines


def _targets(policy: ir.Policy, exclusion: ir.Rule) -> tuple[str, ...]:
    """The situations an exclusion overrides, in document order (the IR's precedence)."""
    named = {o.target for o in policy.precedence if o.exclusion == exclusion.name}
    return tuple(s.name for s in policy.of_kind(Kind.SITUATION) if s.name in named)


def _group_chart(parts: DecisionParts, group: Group, number: int) -> Chart:
    ids = _Ids(parts)
    lines = ["flowchart LR"]
    title = f"{group.title}（{group.heading}）" if group.heading else group.title
    lines.append(f"  subgraph {group.key}[{_label(title)}]")
    lines += [f"    {_node(ids.of[s.name], s)}" for s in group.situations]
    lines.append("  end")
    lines.append(f"  any([{_label('符合其一即可', '见总图')}])")
    lines += [f"  {ids.of[s.name]} --> any" for s in group.situations]
    drawn: list[ir.Rule] = list(group.situations)
    names = {s.name for s in group.situations}
    # The exclusions over every situation are drawn once, in the overview; here only those
    # that name a situation of this group, with their edges to it.
    for rule in parts.exclusions:
        if rule.overrides_all:
            continue
        hit = [t for t in _targets(parts.policy, rule) if t in names]
        if not hit:
            continue
        key = ids.of[rule.name]
        lines.append(f"  {_node(key, rule)}")
        lines += [f"  {key} -.->|{_label('优先')}| {ids.of[t]}" for t in hit]
        drawn.append(rule)
    overall = [x for x in parts.exclusions if x.overrides_all]
    if overall:
        cites = citation_range(overall[0].clause.citation, overall[-1].clause.citation)
        lines.append(f"  all_x[{_label('排除情形', cites, '优先于全部情形')}]")
        lines.append(f"  all_x -.-> {group.key}")
    text = "\n".join(lines) + "\n"
    return Chart(f"group{number}", f"情形 {title}", text, _in_order(parts.policy, drawn))


def _in_order(policy: ir.Policy, rules: Sequence[ir.Rule]) -> tuple[ir.Rule, ...]:
    order = {r.name: i for i, r in enumerate(policy.rules)}
    return tuple(sorted(dict.fromkeys(rules), key=lambda r: order[r.name]))
