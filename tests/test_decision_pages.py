"""Decision pages: the Mermaid charts, the outline, the page's Markdown, the vendored Mermaid."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from compiler import ir
from compiler.backends.site import decision_diagram as dd
from compiler.backends.site.decisions import decision_page, pages
from compiler.backends.site.page import site_root
from compiler.backends.site.render import environment
from compiler.lower import load_program
from compiler.runtime.kinds import Kind
from tests.sitemarkdown import readable

ROOT = Path(__file__).resolve().parent.parent
DECISIONS = ("lucheng", "ningbo", "taierzhuang", "weihai", "yuquan")
MERMAID = ROOT / "site_templates" / "assets" / "vendor" / "mermaid.min.js"
MERMAID_SHA256 = "581ed7d74bd9048d0e3a91363927d72ef22942d7722546b27f7cc29e35390eb8"


@cache
def program() -> ir.Program:
    return load_program(ROOT)


def render(program: ir.Program, policy: ir.Policy) -> str:
    """The page's Markdown, its blocks made ahead written out as HTML (`readable`)."""
    page = decision_page(program, policy)
    return readable(environment().get_template(page.template).render(**page.context))


def test_one_page_per_decision() -> None:
    found = [(p.path, p.template) for p in pages(program())]
    assert found == [(f"decisions/{d}.md", "decisions.md.j2") for d in DECISIONS]
    assert site_root("decisions/weihai.md") == "../../"
    assert site_root("index.md") == "../"


@pytest.mark.parametrize("policy_id", DECISIONS)
def test_page_markdown(policy_id: str, text_snapshot: SnapshotAssertion) -> None:
    assert render(program(), program().policies[policy_id]) == text_snapshot


@pytest.mark.parametrize("policy_id", DECISIONS)
def test_charts(policy_id: str, text_snapshot: SnapshotAssertion) -> None:
    charts = dd.charts(program(), program().policies[policy_id])
    text = "".join(f"%% {c.key}: {c.title}\n{c.mermaid}\n" for c in charts)
    assert text == text_snapshot


def _node_text(rule: ir.Rule) -> str:
    """How a rule's node shows its clause and the start of its words in a chart."""
    words = dd.shorten(dd.rule_words(rule), dd.LABEL_CHARS)
    first = dd.wrap(words)[0] if words else ""
    return f'["{dd.mermaid_text(rule.clause.citation)}<br/>{dd.mermaid_text(first)}'


@pytest.mark.parametrize("policy_id", DECISIONS)
def test_every_rule_of_the_decision_is_drawn(policy_id: str) -> None:
    policy = program().policies[policy_id]
    charts = dd.charts(program(), policy)
    text = "\n".join(c.mermaid for c in charts)
    kinds = (Kind.GATE, Kind.SITUATION, Kind.EXCLUSION, Kind.OUTCOME)
    rules = [r for r in policy.rules if r.kind in kinds]
    assert rules
    for rule in rules:
        if rule.kind is Kind.OUTCOME:
            assert dd.mermaid_text(rule.clause.citation) in text, rule.name
        else:
            assert _node_text(rule) in text, rule.name
        # … and every rule drawn is listed under some chart, linked to its clause.
        assert any(rule in c.rules for c in charts), rule.name
    # No chart is unreadably crowded: the folding holds.
    for chart in charts:
        boxes = [r for r in chart.rules if r.kind is Kind.SITUATION]
        shown = boxes if chart.key != "overview" or len(boxes) <= dd.FOLD_ABOVE else []
        assert len(shown) <= dd.FOLD_ABOVE, chart.key


def test_weihai_is_folded_into_three_groups() -> None:
    parts = dd.decision_parts(program().policies["weihai"])
    assert [g.title for g in parts.groups] == [
        "三（一）至（七）",
        "三（八）至（十四）",
        "三（十五）至（二十）",
    ]
    assert sum(len(g.situations) for g in parts.groups) == 20


@pytest.mark.parametrize("policy_id", DECISIONS)
def test_outline_links_every_rule(policy_id: str) -> None:
    policy = program().policies[policy_id]
    page = render(program(), policy)
    outline = page.split("## 提纲", 1)[1]
    for rule in policy.rules:
        if rule.kind in (Kind.GATE, Kind.SITUATION, Kind.EXCLUSION, Kind.OUTCOME):
            link = f'<a href="../documents/{policy_id}.md#{_anchor(rule)}">'
            assert re.search(rf"{re.escape(link)}[^<]+</a>：“", outline), rule.name


def _anchor(rule: ir.Rule) -> str:
    from compiler.backends.site.anchors import clause_anchor

    return clause_anchor(rule.clause.clause)


# ---------------------------------------------------------------- Mermaid text stays inert

HOSTILE = 'a "quote"] ; #x; <script>alert(1)</script> {{ x }} |pipe| `tick` & -->\n\u202e end'

# The lines the charts are made of (a subset of Mermaid's flowchart syntax).  A label is
# "…" holding no quote, bracket, brace, pipe, angle bracket or semicolon except within an
# entity code `#<decimal>;` or our own `<br/>`.
_INSIDE = r'(?:[^"\[\]{}()<>|;#`&]|#\d+;|<br/>)*'
LABEL = rf'"{_INSIDE}"'
ID = r"[a-z][a-z0-9_]*"
_FORMS = (
    r"flowchart (?:TD|LR)",
    rf"  subgraph {ID}\[{LABEL}\]",
    r"    direction TB",
    r"  end",
    rf"\s+{ID}\[{LABEL}\]",
    rf"  {ID}\(\[{LABEL}\]\)",
    rf"  {ID} (?:-->|-\.->)(?:\|{LABEL}\|)? {ID}",
)
LINE = re.compile("^(?:" + "|".join(_FORMS) + ")$")


def _hostile(policy: ir.Policy) -> ir.Policy:
    def spoil(rule: ir.Rule) -> ir.Rule:
        clause = dataclasses.replace(rule.clause, quotes=(HOSTILE, HOSTILE))
        return dataclasses.replace(rule, clause=clause)

    return dataclasses.replace(policy, rules=tuple(spoil(r) for r in policy.rules))


def test_mermaid_text_escapes_everything_mermaid_reads() -> None:
    escaped = dd.mermaid_text(HOSTILE)
    assert re.fullmatch(_INSIDE, escaped)
    assert "#34;quote#34;#93;" in escaped  # "quote"]
    assert "#60;script#62;" in escaped and "#123;#123;" in escaped
    assert "#59;" in escaped and "#35;x#59;" in escaped  # ; and #x;
    assert "#8238;" in escaped  # the right-to-left override is written out, not obeyed
    assert "\n" not in escaped


@pytest.mark.parametrize("policy_id", ["ningbo", "weihai"])
def test_hostile_quotes_give_valid_charts(policy_id: str) -> None:
    policy = _hostile(program().policies[policy_id])
    for chart in dd.charts(program(), policy):
        for line in chart.mermaid.splitlines():
            assert LINE.match(line), line
        assert "<script>" not in chart.mermaid and "{{" not in chart.mermaid
    page = render(program(), policy)
    assert "<script>" not in page and "{{" not in page


def test_generated_charts_follow_the_subset() -> None:
    for policy_id in DECISIONS:
        for chart in dd.charts(program(), program().policies[policy_id]):
            for line in chart.mermaid.splitlines():
                assert LINE.match(line), (policy_id, line)


def test_wrap_never_starts_a_line_with_closing_punctuation() -> None:
    lines = dd.wrap("一二三四五六七八九十甲，乙丙", 11)
    assert lines == ["一二三四五六七八九十甲，", "乙丙"]
    assert dd.citation_range("第四条（四）12", "第四条（四）15") == "第四条（四）12至15"
    assert dd.citation_range("三（十五）", "三（二十）") == "三（十五）至（二十）"


def test_deterministic() -> None:
    first = [render(program(), program().policies[d]) for d in DECISIONS]
    again = load_program(ROOT)
    assert first == [render(again, again.policies[d]) for d in DECISIONS]


# ---------------------------------------------------------------- the vendored bundle


def test_vendored_mermaid_is_the_recorded_one() -> None:
    digest = hashlib.sha256(MERMAID.read_bytes()).hexdigest()
    assert digest == MERMAID_SHA256, "mermaid.min.js changed: update vendor/README.md and here"
    readme = (MERMAID.parent / "README.md").read_text(encoding="utf-8")
    assert MERMAID_SHA256 in readme and "11.17.2" in readme
    assert b'"11.17.2"' in MERMAID.read_bytes()
    assert (
        (MERMAID.parent / "mermaid.LICENSE")
        .read_text(encoding="utf-8")
        .startswith("The MIT License")
    )


# ---------------------------------------------------------------- Mermaid itself reads them

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (installed by .ci/run)")
def test_mermaid_renders_every_chart(tmp_path: Path) -> None:
    """The vendored Mermaid, in headless Chromium from a local file (no server, no network),
    draws every chart and a chart of hostile quotes without a syntax error, and the hostile
    text stays text.  (`mermaid.parse` under plain node cannot run: its DOMPurify needs a DOM.)"""
    texts = [c.mermaid for d in DECISIONS for c in dd.charts(program(), program().policies[d])]
    texts += [c.mermaid for c in dd.charts(program(), _hostile(program().policies["ningbo"]))]
    blocks = "".join(f'<pre class="mermaid">{html.escape(t)}</pre>' for t in texts)
    (tmp_path / "mermaid.min.js").write_bytes(MERMAID.read_bytes())
    script = (
        'mermaid.initialize({startOnLoad: false, securityLevel: "strict"});'
        'mermaid.run({querySelector: "pre.mermaid"})'
        '.then(() => document.body.setAttribute("data-done", "yes"))'
        '.catch((e) => document.body.setAttribute("data-error", String(e)));'
    )
    (tmp_path / "index.html").write_text(
        '<!doctype html><meta charset="utf-8"><script src="mermaid.min.js"></script>'
        f"<body>{blocks}<script>{script}</script></body>",
        encoding="utf-8",
    )
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=30000",
            "--dump-dom",
            (tmp_path / "index.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    dom = result.stdout
    assert 'data-done="yes"' in dom, (result.stderr[-2000:], re.findall(r'data-error="[^"]*"', dom))
    assert dom.count("<svg") == len(texts)
    assert "Syntax error" not in dom and "Parse error" not in dom
    # The hostile quote is shown as text: escaped inside the SVG, never an element.
    assert 'a "quote"] ;' in dom and "&lt;scrip" in dom and "#34;" not in dom
    assert dom.count("<script") == 2  # the page's own two
