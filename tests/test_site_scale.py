"""The site at province scale: no page grows with the square of the jurisdictions.

Material writes the nav into every page, so a section of more than `nav.NAV_PAGES` pages is
listed by its index alone; the conflict report is one page for a few decisions, a page per
decision for more, and without its pairwise sections beyond `PAIRWISE_POLICIES` policies
(compiler/backends/site/conflicts.py).  A synthetic corpus of 10 jurisdictions (benchmarks/
corpus.py) is built whole with MkDocs, strict, with the limits lowered so that every shape is
reached; the shapes are also checked on the model alone."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import ir
from compiler.backends.site import conflicts as site_conflicts
from compiler.backends.site import nav
from compiler.backends.site import tables as site_tables
from compiler.backends.site.build import _OverProgress, build_site
from compiler.backends.site.hook import generated_files
from compiler.backends.site.page import Page
from compiler.backends.site.render import environment
from compiler.backends.tables import to_csv, to_json
from compiler.comparison import EXAMPLE_START, Cell, Column, Row, Status, Table, tables
from compiler.conflicts import decisions, report
from compiler.lower import load_program
from tests.sitemarkdown import readable

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- the nav


def _documents(count: int) -> dict[str, str]:
    return {f"documents/d{i:02}.md": f"文件{i}" for i in range(count)}


def test_a_section_up_to_the_limit_is_listed_page_by_page() -> None:
    titles = {"index.md": "首页", **_documents(nav.NAV_PAGES)}
    assert nav.indexes(titles) == []
    listed = nav.nav(titles)[1]["文件"]
    assert listed == [{t: p} for p, t in _documents(nav.NAV_PAGES).items()]


def test_a_longer_section_is_listed_by_its_index_alone() -> None:
    titles = {"index.md": "首页", **_documents(nav.NAV_PAGES + 1)}
    [index] = nav.indexes(titles)
    assert index.path == "documents/index.md" and index.title == "文件一览"
    rows = index.context["rows"]
    assert isinstance(rows, list)
    # Every page of the section, in the kinds' order, by a link relative to the index.
    assert [r["link"] for r in rows] == [f"d{i:02}.md" for i in range(nav.NAV_PAGES + 1)]
    assert [r["name"] for r in rows] == [f"d{i:02}" for i in range(nav.NAV_PAGES + 1)]
    titles[index.path] = index.title
    assert nav.nav(titles) == [{"首页": "index.md"}, {"文件": "documents/index.md"}]


def test_a_kinds_own_index_is_used_and_not_made_again() -> None:
    titles = {"diffs/index.md": "修订比较"}
    titles |= {f"diffs/p{i}.md": f"p{i}" for i in range(nav.NAV_PAGES + 1)}
    assert nav.indexes(titles) == []
    assert nav.nav(titles) == [{"修订": "diffs/index.md"}]


def test_a_sections_index_is_listed_first_wherever_its_kind_made_it() -> None:
    """A kind may make its index last (the tables' counts every table's rows): the nav lists
    it first, then the pages in the kind's order."""
    tables = {f"tables/t{i}.md": f"表{i}" for i in range(3)}
    titles = {**tables, "tables/index.md": "对照表"}
    assert nav.nav(titles) == [
        {"对照表": [{"对照表": "tables/index.md"}, *({t: p} for p, t in tables.items())]}
    ]


def test_the_index_page_is_made_with_the_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's five documents with the limit at 4: `documents/index.md` is generated,
    linking each document page; the titles are escaped as all policy text is."""
    monkeypatch.setattr(nav, "NAV_PAGES", 4)
    files, titles = generated_files(load_program(ROOT))
    index = files["documents/index.md"]
    assert isinstance(index, str)
    for policy_id in ("lucheng", "ningbo", "taierzhuang", "weihai", "yuquan"):
        assert f"]({policy_id}.md) | <code>{policy_id}</code> |" in index
    assert titles["documents/index.md"] == "文件一览"
    assert nav.nav(titles)[0] == {"文件": "documents/index.md"}


# ---------------------------------------------------------------- the comparison tables


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(list(Status)), min_size=7, max_size=7), max_size=12),
    st.integers(min_value=1, max_value=8),
)
def test_each_part_of_a_cut_table_has_the_rows_its_columns_say_something_on(
    statuses: list[list[Status]], per_page: int
) -> None:
    """`_rows_of_parts` (one pass over the cells) gives each part the rows on which one of its
    columns says something, in order: what reading each part's columns of every row gives."""
    columns = tuple(Column(f"c{i}", f"城市{i}") for i in range(7))
    rows = tuple(
        Row(f"r{k}", f"行{k}", tuple(Cell(f"c{i}", (), s) for i, s in enumerate(row)))
        for k, row in enumerate(statuses)
    )
    table = Table("t", "表", "", columns, rows)
    parts = [range(i, min(i + per_page, 7)) for i in range(0, 7, per_page)]
    expected = [
        [row for row in rows if any(row.cells[i].status is not Status.SILENT for i in part)]
        for part in parts
    ]
    assert site_tables._rows_of_parts(table, parts) == expected


def test_a_wide_table_is_cut_into_pages_of_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cities two to a page: the columns in order, on each page the rows on which one of
    its cities says something, and beside it the CSV and JSON of just that, named and titled
    as that part; each page links the others.  A table whose columns are attributes (time
    limits, thresholds) is one page whatever its width, its downloads the whole table's."""
    monkeypatch.setattr(site_tables, "TABLE_COLUMNS", 2)
    program = load_program(ROOT)
    env = environment()
    by_table: dict[str, list[Page]] = {}
    built = list(site_tables.pages(program))
    for page in built:
        if page.path != site_tables.INDEX:
            name = page.path.removeprefix("tables/").removesuffix(".md").split("-")[0]
            by_table.setdefault(name, []).append(page)
    whole = {t.id: t for t in tables(program, EXAMPLE_START)}
    assert set(by_table) == set(whole)
    for table_id, pages in by_table.items():
        table = whole[table_id]
        cut = len(pages) > 1
        for number, page in enumerate(pages, 1):
            # The page links its own downloads: the table's, or for a cut table the part's.
            stem = f"{table_id}-{number}" if cut else table_id
            assert (page.context["csv"], page.context["json"]) == (f"{stem}.csv", f"{stem}.json")
            assert set(page.attachments) == {f"tables/{stem}.csv", f"tables/{stem}.json"}
        if not all(c.key in program.policies for c in table.columns):
            assert table_id in ("timelimits", "thresholds")
            [page] = pages
            assert page.attachments[f"tables/{table_id}.json"] == to_json(table)
            assert page.attachments[f"tables/{table_id}.csv"] == to_csv(table)
            context = page.context["table"]
            assert isinstance(context, dict)
            assert len(context["columns"]) == len(table.columns) > 2
            assert len(context["rows"]) == len(table.rows)
            continue
        count = -(-len(table.columns) // 2)
        assert [p.path for p in pages] == [
            site_tables.page_path(table_id, k) for k in range(1, count + 1)
        ]
        shown: list[str] = []
        for number, page in enumerate(pages):
            context = page.context["table"]
            assert isinstance(context, dict)
            shown += context["columns"]
            columns = range(2 * number, min(2 * number + 2, len(table.columns)))
            said = [
                r.label
                for r in table.rows
                if any(r.cells[i].status is not Status.SILENT for i in columns)
            ]
            assert [r["label"] for r in context["rows"]] == said
            assert all(len(r["cells"]) == len(columns) for r in context["rows"])
            # The downloads hold what the page shows: its cities, its rows, each cell whole; the
            # JSON names the part and says which page it is.
            part = f"{table_id}-{number + 1}"
            data = json.loads(page.attachments[f"tables/{part}.json"])
            assert data["id"] == part and data["title"] == f"{table.title}（第 {number + 1} 页）"
            assert context["title"] == data["title"]  # the page's heading
            assert [c["label"] for c in data["columns"]] == context["columns"]
            assert [r["label"] for r in data["rows"]] == said
            whole_rows = {r["key"]: r for r in json.loads(to_json(table))["rows"]}
            keys = [c["key"] for c in data["columns"]]
            assert keys == [table.columns[i].key for i in columns]
            for row in data["rows"]:
                full = whole_rows[row["key"]]["cells"]
                assert row["cells"] == {key: full[key] for key in keys}
            csv_bytes = page.attachments[f"tables/{part}.csv"]
            assert isinstance(csv_bytes, bytes)
            lines = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
            assert lines[0][1:] == context["columns"]
            assert [line[0] for line in lines[1:]] == said
            siblings = page.context["siblings"]
            assert isinstance(siblings, list)
            assert [s["current"] for s in siblings] == [k == number for k in range(count)]
        assert shown == [c.label for c in table.columns]
        # The pages' paragraph is HTML made ahead (prebuilt.py), read here as what it makes.
        second = readable(env.get_template(pages[1].template).render(pages[1].context))
        assert f'<a href="{table_id}.md">第 1 页（' in second
        assert "<strong>第 2 页（" in second
        assert f"下载本页：[CSV（Excel）]({table_id}-2.csv)" in second
        assert (
            f"本表共 {len(table.columns)} 个政策文件，按编号排列，分 {count} 页，每页至多 2 个"
            in second
        )
        assert pages[1].title == f"{table.title}（第 2 页）"
    # The index, made last (from what the tables' pages counted): a cut table's downloads are
    # its pages', and the index says so.
    index = env.get_template(built[-1].template).render(built[-1].context)
    assert built[-1].path == site_tables.INDEX
    assert "分页的表，每页下载本页所列的列和行" in index
    for table_id, pages in by_table.items():
        if len(pages) > 1:
            assert re.search(rf"\]\({table_id}\.md\) \|.*\| 各页分别下载 \|", index)
        else:
            assert f"[CSV]({table_id}.csv) · [JSON]({table_id}.json)" in index


# ---------------------------------------------------------------- the conflict report


@pytest.fixture(scope="module")
def corpus(site_corpus: Path) -> Path:
    """A project of 10 synthetic jurisdictions that the site can be built from."""
    return site_corpus


@pytest.fixture(scope="module")
def corpus_program(corpus: Path) -> ir.Program:
    return load_program(corpus)


def test_the_five_cities_report_is_one_page() -> None:
    program = load_program(ROOT)
    [page] = site_conflicts.pages(program)
    assert page.path == site_conflicts.PATH
    assert "#### " in str(page.context["body"])  # the cases themselves


def test_a_province_report_leaves_out_the_pairwise_sections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Beyond PAIRWISE_POLICIES policies nothing is searched; the page says what is left out
    and how to get it, and its JSON names the sections left out."""
    monkeypatch.setattr(site_conflicts, "PAIRWISE_POLICIES", 4)

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the cases were searched for")

    monkeypatch.setattr(decisions, "cases", never)
    program = load_program(ROOT)
    [page] = site_conflicts.pages(program)
    data = json.loads(page.attachments["conflicts/conflicts.json"])
    assert data["omitted"] == ["pairs", "boundaries"]
    ids = [s["id"] for s in data["sections"]]
    assert ids == ["decisions", "concepts", "quantities", "internal"]
    first = data["sections"][0]
    assert "pairs" not in first
    assert first["pair_count"] == len(decisions.pairs(decisions.decision_infos(program))) == 6
    body = str(page.context["body"])
    assert "可比较的决定共 6 对，本报告未逐对列出。" in body
    assert "| 决定 | 决定 | 共同涉及的共享概念 |" not in body
    assert page.context["omitted"] is True
    assert page.context["policies"] == 5 and page.context["limit"] == 4
    # The page does not promise the cases it leaves out, and says what its JSON holds.
    shown = environment().get_template(page.template).render(page.context)
    assert "本页未列出两两比较的部分" in shown and "policyc conflicts --against" in shown
    assert "每个分歧都附有" not in shown and "（不含下述略去的部分）" in shown


def test_the_whole_reports_json_has_no_omitted_key() -> None:
    program = load_program(ROOT)
    [page] = site_conflicts.pages(program)
    data = json.loads(page.attachments["conflicts/conflicts.json"])
    assert "omitted" not in data
    assert "pairs" in data["sections"][0] and "pair_count" not in data["sections"][0]


def test_many_pairs_give_a_page_per_decision(corpus_program: ir.Program) -> None:
    """A page per comparable decision with the cases found through its rules, and links to
    the pages holding those it is the other side of; each case on exactly one page; the
    report page lists every page with its counts (each group, the searches cut by the
    bound, the cases elsewhere); the JSON is the whole report's, as `policyc conflicts
    --json`."""
    program = corpus_program
    pages = list(site_conflicts.pages(program))
    head, rest = pages[0], pages[1:]
    assert head.path == site_conflicts.PATH
    data = json.loads(head.attachments["conflicts/conflicts.json"])
    whole = json.loads(report.to_json(program, report.sections(program)))
    assert data == whole
    pairs = next(s for s in data["sections"] if s["id"] == "pairs")
    found, cut = pairs["cases"], pairs["unsettled"]
    infos = decisions.decision_infos(program)
    compared = decisions.pairs(infos)
    assert len(compared) > site_conflicts.ONE_PAGE_PAIRS
    paired = {p.a for p in compared} | {p.b for p in compared}
    listed = [i.policy for i in infos if i.policy in paired]
    assert [p.path for p in rest] == [site_conflicts.case_page(i) for i in listed]
    summary = str(head.context["body"])
    assert "#### " not in summary  # no case on the report page
    assert f"共 {len(found):,} 个案例" in summary and "搜索达到上限" in summary
    for page, policy_id in zip(rest, listed, strict=True):
        own = [c for c in found if c["a"] == policy_id]
        body = str(page.context["body"])
        # A case is a fourth-level heading "A ↔ B"; A is the page's decision each time.
        heads = re.findall(r"^#### (.*)$", body, re.MULTILINE)
        assert len(heads) == len(own), policy_id
        label = decisions.policy_label(program, policy_id)
        assert all(h.startswith(label) for h in heads)
        assert page.attachments == {}
        # Where the cases it is the other side of are: each page, and how many.
        others: dict[str, int] = {}
        for case in found:
            if case["b"] == policy_id:
                others[case["a"]] = others.get(case["a"], 0) + 1
        elsewhere = page.context["elsewhere"]
        assert isinstance(elsewhere, list)
        assert {e["id"]: e["count"] for e in elsewhere} == others
        assert all(e["link"] == f"{e['id']}.md" for e in elsewhere)
        row = next(line for line in summary.splitlines() if f"(cases/{policy_id}.md)" in line)
        cells = [int(c.strip().replace(",", "")) for c in row.strip("|").split("|")[2:]]
        groups = [sum(c["kind"] in kinds for c in own) for _, kinds in decisions.GROUPS]
        assert cells == [*groups, sum(u["a"] == policy_id for u in cut), sum(others.values())]
    env = environment()
    text = env.get_template(rest[0].template).render(rest[0].context)
    assert "本决定作为另一方的案例" in text or "没有以本决定为另一方的" in text


def test_the_corpus_site_builds_with_every_shape(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MkDocs, strict: every link of the index pages and of the case pages resolves.  The nav
    of a page lists no document page once the section is long."""
    monkeypatch.setattr(nav, "NAV_PAGES", 4)
    monkeypatch.setattr(site_tables, "TABLE_COLUMNS", 4)
    out = tmp_path / "site"
    heard: list[tuple[str, int, int, str]] = []
    # Without the parse cache, which another test's build of the corpus may have filled:
    # every file parsed, its progress heard.
    build_site(corpus, out, lambda *step: heard.append(step), cached=False)
    home = (out / "index.html").read_text(encoding="utf-8")
    ids = sorted(p.stem for p in (corpus / "policies" / "sources").glob("*.txt"))
    assert 'href="documents/"' in home
    assert not any(f'href="documents/{i}/"' in home for i in ids)
    listing = (out / "documents" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="../{i}/"' in listing or f'href="{i}/"' in listing for i in ids)
    assert (out / "decisions" / "index.html").is_file()
    cases = sorted(p.name for p in (out / "conflicts" / "cases").iterdir())
    assert cases and set(cases) <= set(ids)
    page = (out / "conflicts" / "report" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="../cases/{c}/"' in page for c in cases)
    # Ten cities four to a page; the tables' own index lists each table (its first page).
    assert (out / "tables" / "duties-3" / "index.html").is_file()
    assert not (out / "tables" / "duties-4").exists()
    # The progress of the long steps, each to its end (`policyc site`'s terminal line): the
    # project read (files parsed, policies checked), the search, the pages.
    files = len(list((corpus / "policies").glob("*.policy")))
    assert ("parsing", files, files, "files") in heard
    assert ("checking", 10, 10, "policies") in heard
    program = load_program(corpus)
    pairs = 2 * len(decisions.pairs(decisions.decision_infos(program)))
    assert ("comparing", pairs, pairs, "pairs of decisions") in heard
    for doing in ("rendering", "writing"):  # MkDocs' two loops
        pages = [step for step in heard if step[0] == doing]
        assert [done for _, done, _, _ in pages] == list(range(1, len(pages) + 1))
        assert pages[-1][2] == len(pages) == len(list(out.rglob("*.html"))) - 1  # and 404.html


def test_a_warning_clears_the_progress_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """MkDocs' warnings are written below the progress line, not after its text."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for stream, cleared in ((Terminal(), True), (io.StringIO(), False)):
        handler = _OverProgress(stream)
        handler.emit(logging.makeLogRecord({"msg": "a warning", "levelno": logging.WARNING}))
        assert stream.getvalue() == ("\r\x1b[K" if cleared else "") + "a warning\n"
