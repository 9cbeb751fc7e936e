"""Blocks whose HTML the generator makes (compiler/backends/site/prebuilt.py): a statement's
block under its clause and a comparison table render as the Markdown they replace rendered,
their links stay links that MkDocs resolves and checks, and nothing in a block's text becomes
Markdown, HTML or a placeholder of Markdown's stash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import comparison, ir
from compiler.backends.site import decisions, documents, prebuilt, tables, timelimits
from compiler.backends.site.page import EXAMPLE_START
from compiler.backends.site.prebuilt import (
    MARK,
    Fence,
    element,
    line,
    link,
    paragraph,
    raw_block,
)
from compiler.backends.site.render import environment
from compiler.inert import inert
from compiler.lower import load_program
from tests.sitemarkdown import extensions

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def program() -> ir.Program:
    return load_program(ROOT)


def _md() -> markdown.Markdown:
    """Markdown with mkdocs.yml's extensions and this one, as MkDocs renders a page (links are
    left as written: MkDocs resolves them after)."""
    names, configs = extensions()
    return markdown.Markdown(extensions=[*names, prebuilt.EXTENSION], extension_configs=configs)


def _html(text: str) -> str:
    md = _md()
    return str(md.convert(text))


# What the pages wrote before (site_templates/, the last commit before prebuilt.py), rendered
# by Markdown, is what the blocks must give.
_RULE_MARKDOWN = """\
<div class="policyc-rule" markdown="1">

**{{ s.kind | text }}** `{{ s.name }}`（[{{ s.cite | text }}]({{ s.link }})）

{% for sentence in s.meaning %}
- {{ sentence | text }}
{% endfor %}
{% if s.overrides %}
- 优先于：{% for cite, link in s.overrides %}[{{ cite | text }}]({{ link }})\
{% if not loop.last %}、{% endif %}{% endfor %}

{% endif %}
{% for note in s.notes %}
- 注：{{ note | text }}
{% endfor %}

{% if s.code %}
{{ s.code | fence("policy") }}
{% endif %}

</div>
"""

_TABLE_MARKDOWN = """\
| {{ table.row_header|text }} |{% for c in table.columns %} {{ c|text }} |{% endfor %}

|{% for _ in range(table.columns|length + 1) %} --- |{% endfor %}

{% for row in table.rows %}
| **{{ row.label|text }}** |{% for cell in row.cells %} \
{% if cell.status %}<em>{{ cell.status|text }}</em>{% if cell.entries %}<br>{% endif %}{% endif %}\
{% for e in cell.entries %}{% if not loop.first %}<br>{% endif %}{{ e.text|text }}\
{% if e.citation %} [〔{{ e.citation|text }}〕]({{ e.link }}){% endif %}\
{% if e.note %}（{{ e.note|text }}）{% endif %}{% endfor %} |{% endfor %}

{% endfor %}
"""


def _template(source: str) -> jinja2.Template:
    return environment().from_string(source)


def _statements(program: ir.Program) -> list[documents.Shown]:
    return [
        shown
        for policy in program.policies.values()
        for clause in documents.context(program, policy)["clauses"]  # type: ignore[attr-defined]
        for shown in clause.statements
    ]


def test_every_statement_renders_as_its_markdown_did(program: ir.Program) -> None:
    statements = _statements(program)
    assert len(statements) > 250  # every statement and definition of the five
    for shown in statements:
        assert _after(shown) == _before(shown), shown.name
    assert any(s.overrides and s.notes for s in statements)  # links in a list, then notes
    assert any("<li>\u3000" in _html(s.block) for s in statements)  # an indented time limit


def _before(shown: documents.Shown) -> str:
    """The HTML of the statement's Markdown as the pages wrote it."""
    return _html(_template(_RULE_MARKDOWN).render(s=shown))


def _after(shown: documents.Shown) -> str:
    """The block's HTML, as the Markdown gave it: Markdown took a leading ideographic space off
    a list item (a step's time limit, indented under its step), which the block keeps."""
    return _html(shown.block).replace("<li>\u3000", "<li>")


def test_every_clause_s_text_renders_as_its_markdown_did(program: ir.Program) -> None:
    clauses = [
        clause
        for policy in program.policies.values()
        for clause in documents.context(program, policy)["clauses"]  # type: ignore[attr-defined]
        if clause.text
    ]
    assert len(clauses) > 200  # every clause with a text of its own, of the five
    raw = _template('<div class="policyc-text">{{ text | lines }}</div>')
    for clause in clauses:
        # Between a heading and an admonition, as a page has it: the blank line after the
        # HTML block, which Markdown keeps, is kept.
        around = '## 一\n\n{}\n\n!!! note "说明"\n\n    甲\n'
        before = _html(around.format(raw.render(text=clause.text)))
        assert _html(around.format(clause.text_block)) == before, clause.anchor


def test_a_template_s_html_block_renders_as_its_markdown_did() -> None:
    # The time-limit pages' calendar (site_templates/timelimits.md.j2), as a page writes it:
    # lines of HTML, nested tags, attributes, then a paragraph.
    html = (
        '<div class="policyc-timeline" data-start="2024-09-27">\n'
        '<link rel="stylesheet" href="../../assets/policyc/timelimits.css">\n'
        '<table class="policyc-strip">\n<tbody>\n<tr><td title="国庆节&#40;休&#41;">'
        '<span class="policyc-date">1</span></td></tr>\n</tbody>\n</table>\n'
        '<p class="policyc-legend"><span>休：法定节假日</span> </p>\n</div>\n'
    )
    page = "## 示例\n\n{}\n末日逢法定休假日的，顺延。\n"
    block = _template("{% filter html_block %}\n{{ html }}{% endfilter %}").render(html=html)
    assert _html(page.format(block)) == _html(page.format(html))


def test_every_table_renders_as_its_markdown_did(program: ir.Program) -> None:
    table_markdown = _template(_TABLE_MARKDOWN)
    seen = 0
    for page in tables.pages(program):
        table = page.context["table"]
        if table is None:
            continue  # the index
        seen += 1
        assert table["rows"], page.path  # the five documents' tables all have rows
        assert _html(table["block"]) == _html(table_markdown.render(table=table)), page.path
    assert seen == len(tables.TABLE_IDS)


# What a cut table's page wrote before its pages' paragraph was a block (tables._pages_of).
_PAGES_MARKDOWN = """\
本表共 {{ columns_total }} 个政策文件，按编号排列，分 {{ siblings|length }} 页，每页至多 \
{{ per_page }} 个：{% for s in siblings %}{% if not loop.first %} · {% endif %}\
{% if s.current %}**第 {{ s.number }} 页（{{ s.cities|text }}）**\
{% else %}[第 {{ s.number }} 页（{{ s.cities|text }}）]({{ s.link }}){% endif %}{% endfor %}。\
每页只列出本页至少一地有规定（或作相反规定、需人工判断）的行；本页下载的 CSV 和 JSON 即本页所列\
的列和行。全表可用命令 `policyc tables --out 目录` 生成。
"""


def test_a_cut_table_s_pages_render_as_their_markdown_did(
    program: ir.Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two cities to a page: each table of the five's cities is cut into three pages, and each
    # links the others.
    monkeypatch.setattr(tables, "TABLE_COLUMNS", 2)
    pages_markdown = _template(_PAGES_MARKDOWN)
    seen = 0
    for page in tables.pages(program):
        siblings = page.context.get("siblings")
        if not siblings:
            continue  # the index, and the tables whose columns are not cities
        seen += 1
        table_id = siblings[0]["link"].removesuffix(".md")  # its first page's
        [whole] = comparison.tables(program, EXAMPLE_START, [table_id])
        before = pages_markdown.render(
            siblings=siblings, columns_total=len(whole.columns), per_page=2
        )
        page_block = page.context["pages_block"]
        assert _html(page_block) == _html(before), page.path
        assert _html(page_block).count("<a ") == len(siblings) - 1
    assert seen >= 3 * 3  # three pages of each table with a column per city


def test_a_table_without_rows_has_an_empty_body() -> None:
    # Markdown's tables made one row of empty cells for a table without rows.
    block = tables._block("概念", ["甲", "乙"], [])
    assert "<tbody></tbody>" in _html(block)


def test_the_site_adds_the_extension_to_markdown() -> None:
    from mkdocs.config import load_config

    from compiler.backends.site.hook import on_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    assert prebuilt.EXTENSION not in config.markdown_extensions
    on_config(config)
    on_config(config)
    assert config.markdown_extensions.count(prebuilt.EXTENSION) == 1


def test_a_block_is_one_line_without_markup() -> None:
    text = 'a<b>&amp;"\n\r\t\x02\x03\u2028</div>'
    block = line(element("div", text, link("x.md#a", text), Fence(text), class_="c"))
    assert block.startswith(MARK)
    assert "\n" not in block and "\r" not in block
    assert not set("<>&\x02\x03") & set(block)
    decoded = json.loads(block[len(MARK) :])
    assert decoded == [
        "div",
        {"class": "c"},
        text,
        ["a", {"href": "x.md#a"}, text],
        {"policy": text},
    ]


def test_links_are_elements_that_mkdocs_resolves() -> None:
    from markdown.treeprocessors import Treeprocessor

    found: list[str] = []

    class Links(Treeprocessor):  # type: ignore[misc]
        def run(self, root: Any) -> None:
            found.extend(a.get("href") for a in root.iter("a"))

    md = _md()
    # Where MkDocs' own link processor sits (mkdocs.structure.pages: "relpath", 0).
    md.treeprocessors.register(Links(md), "links", 0)
    block = line(element("div", paragraph("见", link("other.md#s1", "第一条"), "。")))
    assert '<a href="other.md#s1">第一条</a>' in md.convert(block)
    assert found == ["other.md#s1"]


def test_a_line_that_is_not_a_block_is_text() -> None:
    for text in [f"{MARK}not json", f'{MARK}["div", 1]', f'{MARK}["div", {{}}, 2]', f"{MARK}[]"]:
        html = _html(text)
        assert html.startswith("<p>!policyc-block "), html


def test_a_block_between_paragraphs() -> None:
    block = line(element("div", "甲", class_="x"))
    html = _html(f"前\n\n{block}\n\n后\n")
    assert html == '<p>前</p>\n<div class="x">甲</div>\n<p>后</p>'
    # A block's line followed by more lines in its paragraph: they stay Markdown.
    assert _html(f"{block}\n**后**") == '<div class="x">甲</div>\n<p><strong>后</strong></p>'


# Text as policies hold it: Chinese, quotes, spaces, Markdown's and HTML's syntax, Markdown's
# stash placeholders.
_TEXT = st.lists(
    st.sampled_from(
        [*"社会救助「」“”（）\u3000 *_`[]()<>&#!|{}:\\\"'\x02\x03", "\x02wzxhzdk:0\x03", "&#40;"]
    ),
    max_size=30,
).map("".join)


def _some(text: str, otherwise: str) -> str:
    """`text` without spaces (or the stash's marks, which Markdown takes out) at its ends, or
    `otherwise` where nothing is left.  The texts the tests compare with Markdown are so:
    Markdown took the spaces at an item's, a cell's or a quote's ends off, showed an empty
    bold label as ****, and read a quote that begins with four spaces as code, where a block
    keeps what it is given (prebuilt.py's docstring)."""
    return text.strip(" \u3000\x02\x03") or otherwise


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TEXT, min_size=2, max_size=5), st.integers(min_value=0, max_value=4))
def test_any_city_s_name_in_a_table_s_pages_is_shown_as_written(
    names: list[str], current: int
) -> None:
    """The cities' names that label a cut table's pages (one city to a page here), inert,
    render as Markdown rendered them: nothing read as syntax, a link's text or HTML."""
    # A city's name is never empty nor begins with a space (Markdown took those off a link's
    # text); one page is this one.
    labels = [_some(name, "甲") for name in names]
    columns = tuple(comparison.Column(f"p{i}", label) for i, label in enumerate(labels))
    table = comparison.Table("situations", "表", "", columns, ())
    parts = [range(i, i + 1) for i in range(len(labels))]
    path = tables.page_path(table.id, current % len(labels) + 1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tables, "TABLE_COLUMNS", 1)
        made = tables._pages_of(table, parts, path)
        before = _template(_PAGES_MARKDOWN).render(
            siblings=made["siblings"], columns_total=len(labels), per_page=1
        )
    assert _html(made["pages_block"]) == _html(before)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT, _TEXT)
def test_any_text_is_shown_as_written(text: str, note: str) -> None:
    """A statement's texts, inert, render as Markdown rendered them: the characters shown as
    written, nothing read as syntax or as a stash's placeholder."""
    # Markdown took the spaces at an item's ends off, and read an empty item as a heading's
    # underline: a statement's sentences, notes and citation are never empty nor begin with a
    # space.
    shown = documents.Shown(
        name="x",
        kind="情形",
        code=f'gate x at 第一条 "{note}"',
        meaning=(_some(text, "甲"), _some(note, "乙")),
        notes=(_some(note, "丙"),),
        cite=_some(text, "第一条"),
        link="a.md#s1",
        overrides=(("第二条", "a.md#s2"),),
    )
    assert _after(shown) == _before(shown)


def test_a_tab_in_a_text_stays_a_tab() -> None:
    # Markdown made it spaces to the next tab stop of the page's line: whitespace either way.
    block = line(element("div", paragraph(inert("甲\t乙"))))
    assert _html(block) == "<div>\n<p>甲\t乙</p>\n</div>"


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('gate x"\t\r\n \x02{}#社')), max_size=60))
def test_any_source_is_highlighted_as_its_fence_was(code: str) -> None:
    block = line(element("div", Fence(code)))
    before = _html(
        '<div markdown="1">\n\n'
        + _template('{{ c | fence("policy") }}').render(c=code)
        + "\n\n</div>"
    )
    assert _html(block) == before


def test_without_superfences_a_fence_is_highlighted_as_pymdownx_does_by_default() -> None:
    code = 'gate x at 第一条 "甲"\n{\n    when y\n}'
    alone = markdown.Markdown(extensions=[prebuilt.EXTENSION])
    fenced = markdown.Markdown(extensions=["pymdownx.superfences"])
    block = line(element("div", Fence(code)))
    made = _template('<div markdown="1">\n\n{{ c | fence("policy") }}\n\n</div>').render(c=code)
    with_md_in_html = markdown.Markdown(extensions=["pymdownx.superfences", "md_in_html"])
    assert alone.convert(block) == with_md_in_html.convert(made)
    assert 'class="highlight"' in fenced.convert(made)


def test_a_raw_block_with_an_anchor_is_refused() -> None:
    # MkDocs would not see the id, and a link to it would fail a strict build.
    for html in ['<div id="cal">甲</div>', "<div class='x'><a name=x>甲</a></div>"]:
        with pytest.raises(ValueError, match="an anchor in a raw block"):
            raw_block(html)
    raw_block(f'<div class="policyc-text">{inert("id=甲 name=乙")}</div>')  # text, not anchors


def test_a_line_that_is_not_a_block_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="mkdocs"):
        _html(f"{MARK}not json")
    assert [r.name for r in caplog.records] == ["mkdocs.plugins.policyc.prebuilt"]


@pytest.mark.parametrize("directory_urls", [True, False])
def test_mkdocs_resolves_and_checks_a_block_s_links(
    directory_urls: bool, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A link in a block is resolved as a Markdown link is, and one to a missing anchor fails a
    strict build, with the site's URLs either way."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort

    def site(target: str) -> Path:
        docs = tmp_path / "docs"
        docs.mkdir(exist_ok=True)
        (docs / "other.md").write_text("# 其他\n\n## s1\n", encoding="utf-8")
        block = line(element("div", paragraph("见", link(target, "第一条"), "。")))
        (docs / "index.md").write_text(f"# 首页\n\n{block}\n", encoding="utf-8")
        (tmp_path / "mkdocs.yml").write_text(
            "site_name: t\nstrict: true\n"
            f"use_directory_urls: {str(directory_urls).lower()}\n"
            "validation:\n  links:\n    anchors: warn\n"
            f"markdown_extensions:\n  - {prebuilt.EXTENSION}\n",
            encoding="utf-8",
        )
        config = load_config(str(tmp_path / "mkdocs.yml"), site_dir=str(tmp_path / "site"))
        build(config)
        return tmp_path / "site"

    out = site("other.md#s1")
    href = "other/#s1" if directory_urls else "other.html#s1"
    assert f'<a href="{href}">第一条</a>' in (out / "index.html").read_text(encoding="utf-8")
    with pytest.raises(Abort):
        site("other.md#s9")
    assert "does not contain an anchor '#s9'" in caplog.text


# What a decision page wrote before its lists were blocks (site_templates/decisions.md.j2):
# the outline's sections, the scopes, the clauses under a chart.
_OUTLINE_MARKDOWN = """\
{% for holder, heading, items in section.groups %}
{% if holder %}
- [{{ holder.citation|text }}]({{ holder.link }}){% if heading %} {{ heading|text }}{% endif +%}
{% for item in items %}
    - [{{ item.cite.citation|text }}]({{ item.cite.link }})：“{{ item.quote|text }}”
{% for detail in item.details %}
        - {{ detail.text|text }}{% for cite, words in detail.refs %}\
[{{ cite.citation|text }}]({{ cite.link }})“{{ words|text }}”{% if not loop.last %}；{% endif %}\
{% endfor +%}
{% endfor %}
{% for note in item.notes %}
        - 注：{{ note|text }}
{% endfor %}
{% endfor %}
{% else %}
{% for item in items %}
- [{{ item.cite.citation|text }}]({{ item.cite.link }})：“{{ item.quote|text }}”
{% for detail in item.details %}
    - {{ detail.text|text }}{% for cite, words in detail.refs %}\
[{{ cite.citation|text }}]({{ cite.link }})“{{ words|text }}”{% if not loop.last %}；{% endif %}\
{% endfor +%}
{% endfor %}
{% for note in item.notes %}
    - 注：{{ note|text }}
{% endfor %}
{% endfor %}
{% endif %}

{% endfor %}
"""

_SCOPES_MARKDOWN = """\
{% for item in scopes %}
- [{{ item.cite.citation|text }}]({{ item.cite.link }})：“{{ item.quote|text }}”
{% for note in item.notes %}
    - 注：{{ note|text }}
{% endfor %}
{% endfor %}
"""

_CHARTED_MARKDOWN = """\
图中条款：{% for c in clauses %}[{{ c.citation|text }}]({{ c.link }}){% if not loop.last %}、\
{% endif %}{% endfor +%}
"""

# A decision page's lists between the headings they stand under, as a page has them.
_UNDER = "### 甲\n\n{}\n\n### 乙\n"


def _decision_contexts(program: ir.Program) -> list[dict[str, Any]]:
    return [page.context for page in decisions.pages(program)]


def test_every_decision_s_outline_renders_as_its_markdown_did(program: ir.Program) -> None:
    outline = _template(_OUTLINE_MARKDOWN)
    sections = [s for c in _decision_contexts(program) for s in c["sections"]]
    assert len(sections) >= 15  # 条件, 情形, 排除情形, 结果 of the five decisions
    for section in sections:
        before = _html(_UNDER.format(outline.render(section=section)))
        assert _html(_UNDER.format(section.block)) == before, section.title
    # 宁波's situations: four groups under their clauses, loose, each a paragraph of its own.
    assert any(
        len(s.groups) > 2 and "<li>\n<p>" in _html(s.block) for s in sections if s.groups[0][0]
    )
    # Details that link clauses, "；" between them (玉泉's situations, the liabilities each
    # relieves).
    assert any("”；<a " in _html(s.block) for s in sections)


def test_every_decision_s_scopes_and_charts_render_as_their_markdown_did(
    program: ir.Program,
) -> None:
    scopes = _template(_SCOPES_MARKDOWN)
    charted = _template(_CHARTED_MARKDOWN)
    seen = 0
    for context in _decision_contexts(program):
        before = _html(_UNDER.format(scopes.render(scopes=context["scopes"])))
        assert _html(_UNDER.format(context["scopes_block"])) == before, context["policy_id"]
        for chart in context["charts"]:
            clauses = chart["clauses"]
            seen += len(clauses)
            before = _html(_UNDER.format(charted.render(clauses=clauses)))
            assert _html(_UNDER.format(chart["clauses_block"])) == before, chart["key"]
    assert seen > 20


_CITE = st.builds(
    decisions.Cite,
    _TEXT.map(lambda text: _some(text, "第一条")),
    st.sampled_from(["a.md#s1", "../documents/x.md#a4-i1", "b.md"]),
)
_WORDS = _TEXT.map(lambda text: _some(text, "甲"))
_ITEM = st.builds(
    decisions.Item,
    _CITE,
    _WORDS,
    st.lists(
        st.builds(
            decisions.Detail, _WORDS, st.lists(st.tuples(_CITE, _WORDS), max_size=3).map(tuple)
        ),
        max_size=2,
    ).map(tuple),
    st.lists(_WORDS, max_size=2).map(tuple),
)
_GROUP = st.tuples(
    st.none() | _CITE,
    st.sampled_from(["", "社会救助经办环节"]),
    st.lists(_ITEM, max_size=3).map(tuple),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_GROUP, max_size=4).map(tuple))
def test_any_outline_renders_as_its_markdown_did(
    groups: tuple[tuple[decisions.Cite | None, str, tuple[decisions.Item, ...]], ...],
) -> None:
    """Any groups, with a clause that holds them or without, of any items (none too), with
    details that link clauses and notes, render as the Markdown that wrote them: which items
    a blank line made loose, and nothing in a text read as syntax."""
    section = decisions.Section("情形", "符合其一即可", groups)
    before = _html(_UNDER.format(_template(_OUTLINE_MARKDOWN).render(section=section)))
    assert _html(_UNDER.format(section.block)) == before


# What a time-limit page wrote before its tables and its statements' sections were blocks
# (site_templates/timelimits.md.j2).
_LIMITS_MARKDOWN = """\
{% macro row(limit) -%}
| {{ limit.marker }} | {{ limit.label|text }} <code>{{ limit.name|text }}</code> | \
{{ limit.amount }}{% if limit.extension %}（可延长至 {{ limit.extension.amount }}）{% endif %} | \
{{ (limit.from or "—")|text }} | {{ (limit.until or "—")|text }} | \
{{ (limit.excluding or "—")|text }} | {{ limit.holidays|text }} | \
[{{ limit.citation|text }}]({{ limit.link }}) |
{%- endmacro %}
| | 时限 | 期限 | 起算（当日不计入） | 应完成 | 不计入 | 节假日 | 条款 |
| --- | --- | --- | --- | --- | --- | --- | --- |
{% for rule in rules %}
{% for limit in rule.limits %}
{{ row(limit) }}
{% endfor %}
{% for step in rule.steps if step.limit %}
{{ row(step.limit) }}
{% endfor %}
{% endfor %}
"""

_RULE_SECTION_MARKDOWN = """\
原文（[{{ rule.citation|text }}]({{ rule.link }})）：

{% for quote in rule.quotes %}
> {{ quote|text }}
{% if not loop.last %}
>
{% endif %}
{% endfor %}

{% if rule.actors %}
承办：{{ rule.actors|map("text")|join("、") }}

{% endif %}
{% if rule.when %}
适用条件：<code>{{ rule.when|text }}</code>

{% endif %}
{% for limit in rule.limits %}
- {{ limit.marker }} **{{ limit.label|text }}**：{{ limit.amount }}\
{% if limit.from %}，自“{{ limit.from|text }}”起算{% endif %}\
{% if limit.until %}，至“{{ limit.until|text }}”{% endif %}。
{% if limit.when and limit.when != rule.when %}
    - 适用条件：<code>{{ limit.when|text }}</code>
{% endif %}
{% if limit.extension %}
    - 可延长至 {{ limit.extension.amount }}，条件：<code>{{ limit.extension.when|text }}</code>
{% endif %}
{% endfor %}
{% if rule.limits %}

{% endif %}

{% if rule.steps %}
步骤（按原文顺序）：

{% for step in rule.steps %}
{{ step.order }}. **{{ step.label|text }}**{% if step.limit %}：{{ step.limit.marker }} \
{{ step.limit.amount }}{% if step.limit.from %}，自“{{ step.limit.from|text }}”起算{% endif %}\
{% if step.limit.until %}，至“{{ step.limit.until|text }}”{% endif %}\
{% else %}（本步未规定时限）{% endif %}

{% if step.branch %}
    - {{ step.branch|text }}
{% endif %}
{% if step.actors %}
    - 承办：{{ step.actors|map("text")|join("、") }}
{% endif %}
{% if step.when %}
    - 条件：<code>{{ step.when|text }}</code>
{% endif %}
{% for note in step.notes %}
    - 说明：{{ note|text }}
{% endfor %}

{% endfor %}
{% endif %}
{% if rule.notes %}
说明（建模者的理解，不是原文）：

{% for note in rule.notes %}
- {{ note|text }}
{% endfor %}

{% endif %}
"""

_EXAMPLE_MARKDOWN = """\
| | 时限 | 起算 | 到期 | 说明 |
| --- | --- | --- | --- | --- |
{% for row in example.rows %}
| {{ row.marker }} | {{ row.label|text }} | {{ row.from }} | **{{ row.due }}**\
{% if row.extended %}；延长至{{ row.extended.amount }}的：{{ row.extended.due }}{% endif %} | \
{% if row.moved %}{{ row.moved|text }}{% endif %}\
{% if row.provisional %}{{ row.provisional|text }}{% endif %}\
{% if row.excluding %}{{ row.excluding|text }}{% endif %} |
{% endfor %}
"""


def _time_limit_contexts(program: ir.Program) -> list[dict[str, Any]]:
    return [page.context for page in timelimits.pages(program)]


def test_every_time_limit_page_s_tables_render_as_their_markdown_did(program: ir.Program) -> None:
    contexts = _time_limit_contexts(program)
    assert len(contexts) == 6  # the six procedures with limits of the five
    for context in contexts:
        before = _html(_UNDER.format(_template(_LIMITS_MARKDOWN).render(rules=context["rules"])))
        assert _html(_UNDER.format(context["limits_block"])) == before, context["title"]
        example = context["example"]
        before = _html(_UNDER.format(_template(_EXAMPLE_MARKDOWN).render(example=example)))
        assert _html(_UNDER.format(context["example_block"])) == before, context["title"]
    rows = [row for c in contexts for row in c["example"]["rows"]]
    assert any(row["extended"] for row in rows)  # 宁波's 7 working days, 15 when extended
    assert any(row["moved"] for row in rows)  # a last day on a holiday, moved on
    assert any(row["excluding"] for row in rows)  # 玉泉's notice period, not counted


def test_every_statement_s_section_on_a_time_limit_page_renders_as_its_markdown_did(
    program: ir.Program,
) -> None:
    section = _template(_RULE_SECTION_MARKDOWN)
    rules = [rule for context in _time_limit_contexts(program) for rule in context["rules"]]
    for rule in rules:
        before = _html(_UNDER.format(section.render(rule=rule)))
        assert _html(_UNDER.format(rule["blocks"])) == before, rule["name"]
    steps = [step for rule in rules for step in rule["steps"]]
    # Steps loose, a blank line between two (one step alone, tight, is in none of the five:
    # the test of any section below makes it).
    assert any(len(rule["steps"]) > 1 for rule in rules)
    assert any(step["branch"] and step["when"] and step["notes"] for step in steps)
    assert any(len(rule["quotes"]) > 1 and rule["notes"] and rule["limits"] for rule in rules)
    limits = [limit for rule in rules for limit in rule["limits"]]
    assert any(limit["extension"] for limit in limits)


_LIMIT = st.fixed_dictionaries(
    {
        "marker": st.sampled_from("①②"),
        "label": _WORDS,
        "name": st.sampled_from(["review", "a_b"]),
        "amount": st.sampled_from(["5 个工作日", "24 小时"]),
        "from": st.none() | _WORDS,
        "until": st.none() | _WORDS,
        "excluding": st.none() | _WORDS,
        "holidays": _WORDS,
        "extension": st.none()
        | st.fixed_dictionaries({"amount": st.just("15 个工作日"), "when": _WORDS}),
        "when": st.none() | st.sampled_from(["x and y", "x"]),
        "citation": _WORDS,
        "link": st.just("../documents/a.md#s1"),
    }
)
_STEP = st.fixed_dictionaries(
    {
        "order": st.just(1),
        "label": _WORDS,
        "limit": st.none() | _LIMIT,
        "branch": st.none() | _WORDS,
        "actors": st.lists(_WORDS, max_size=2),
        "when": st.none() | _WORDS,
        "notes": st.lists(_WORDS, max_size=2),
    }
)
_RULE = st.fixed_dictionaries(
    {
        "name": st.just("r"),
        "citation": _WORDS,
        "link": st.just("../documents/a.md#s1"),
        "quotes": st.lists(_WORDS, min_size=1, max_size=3),
        "actors": st.lists(_WORDS, max_size=2),
        "when": st.none() | st.sampled_from(["x and y", "x"]),
        "limits": st.lists(_LIMIT, max_size=2),
        "steps": st.lists(_STEP, max_size=3),
        "notes": st.lists(_WORDS, max_size=2),
    }
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_RULE)
def test_any_statement_s_section_on_a_time_limit_page_renders_as_its_markdown_did(
    rule: dict[str, Any],
) -> None:
    """Any statement's section (its limits with their conditions and extensions, steps with a
    limit or none, branches, actors, notes; texts of any characters) renders as the Markdown
    that wrote it."""
    before = _html(_UNDER.format(_template(_RULE_SECTION_MARKDOWN).render(rule=rule)))
    assert _html(_UNDER.format(timelimits.rule_blocks(rule))) == before


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_RULE, min_size=1, max_size=3).filter(lambda rules: _limits_of(rules) > 0))
def test_any_table_of_limits_renders_as_its_markdown_did(rules: list[dict[str, Any]]) -> None:
    """Any page's limits (a page has one at least: Markdown made a table without rows a row of
    empty cells, `test_a_table_without_rows_has_an_empty_body`)."""
    before = _html(_UNDER.format(_template(_LIMITS_MARKDOWN).render(rules=rules)))
    assert _html(_UNDER.format(timelimits.limits_block(rules))) == before


def _limits_of(rules: list[dict[str, Any]]) -> int:
    return sum(len(r["limits"]) + sum(1 for s in r["steps"] if s["limit"]) for r in rules)


_EXAMPLE_ROW = st.fixed_dictionaries(
    {
        "marker": st.sampled_from("①②"),
        "label": _WORDS,
        "from": st.just("2024年9月27日（星期五）"),
        "due": st.just("2024年10月12日（星期六）"),
        "extended": st.none()
        | st.fixed_dictionaries(
            {"amount": st.just("15 个工作日"), "due": st.just("2024年10月21日（星期一）")}
        ),
        "moved": st.none() | _WORDS,
        "provisional": st.none() | _WORDS,
        "excluding": st.none() | _WORDS,
    }
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_EXAMPLE_ROW, min_size=1, max_size=3))
def test_any_example_table_renders_as_its_markdown_did(rows: list[dict[str, Any]]) -> None:
    """Any example's rows (a limit's label, its due date, extended or not, and its notes: moved
    to after a holiday, provisional, a period not counted; texts of any characters) render as
    the Markdown that wrote them."""
    example = {"rows": rows}
    before = _html(_UNDER.format(_template(_EXAMPLE_MARKDOWN).render(example=example)))
    assert _html(_UNDER.format(timelimits.example_block(example))) == before
