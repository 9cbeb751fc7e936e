"""The site at province scale: no page grows with the square of the jurisdictions.

Material writes the nav into every page, so a section of more than `nav.NAV_PAGES` pages is
listed by its index alone; the conflict report is one page for a few decisions, a page per
decision for more, and without its pairwise sections beyond `PAIRWISE_POLICIES` policies
(compiler/backends/site/conflicts.py).  A synthetic corpus of 10 jurisdictions (benchmarks/
corpus.py) is built whole with MkDocs, strict, with the limits lowered so that every shape is
reached; the shapes are also checked on the model alone."""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.corpus import generate, with_site
from compiler import ir
from compiler.backends.site import conflicts as site_conflicts
from compiler.backends.site import hook, nav, search
from compiler.backends.site import tables as site_tables
from compiler.backends.site.build import SiteFailed, SiteUnavailable, _OverProgress, build_site
from compiler.backends.site.hook import generated_files
from compiler.backends.site.page import Page
from compiler.backends.site.render import environment
from compiler.backends.tables import to_json
from compiler.build import write_tree
from compiler.comparison import EXAMPLE_START, Status, tables
from compiler.conflicts import decisions, report
from compiler.lower import load_program

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


def test_a_wide_table_is_cut_into_pages_of_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cities two to a page: the columns in order, on each page the rows on which one of
    its cities says something, and beside it the CSV and JSON of just that; each page links
    the others.  A table whose columns are attributes (time limits, thresholds) is one page
    whatever its width, its downloads the whole table."""
    monkeypatch.setattr(site_tables, "TABLE_COLUMNS", 2)
    program = load_program(ROOT)
    env = environment()
    by_table: dict[str, list[Page]] = {}
    for page in site_tables.pages(program):
        if page.path != site_tables.INDEX:
            name = page.path.removeprefix("tables/").removesuffix(".md").split("-")[0]
            by_table.setdefault(name, []).append(page)
    whole = {t.id: t for t in tables(program, EXAMPLE_START)}
    assert set(by_table) == set(whole)
    for table_id, pages in by_table.items():
        table = whole[table_id]
        for page in pages:
            stem = page.path.removesuffix(".md")
            assert set(page.attachments) == {f"{stem}.csv", f"{stem}.json"}
        if not all(c.key in program.policies for c in table.columns):
            assert table_id in ("timelimits", "thresholds")
            [page] = pages
            assert page.attachments[f"tables/{table_id}.json"] == to_json(table)
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
            # The downloads hold what the page shows: its cities, its rows, each cell whole.
            data = json.loads(page.attachments[page.path.removesuffix(".md") + ".json"])
            assert [c["label"] for c in data["columns"]] == context["columns"]
            assert [r["label"] for r in data["rows"]] == said
            whole_rows = {r["label"]: r for r in json.loads(to_json(table))["rows"]}
            keys = [c["key"] for c in data["columns"]]
            assert keys == [table.columns[i].key for i in columns]
            for row in data["rows"]:
                full = whole_rows[row["label"]]["cells"]
                assert row["cells"] == {key: full[key] for key in keys}
            csv_bytes = page.attachments[page.path.removesuffix(".md") + ".csv"]
            assert isinstance(csv_bytes, bytes)
            lines = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
            assert lines[0][1:] == context["columns"]
            assert [line[0] for line in lines[1:]] == said
            siblings = page.context["siblings"]
            assert isinstance(siblings, list)
            assert [s["current"] for s in siblings] == [k == number for k in range(count)]
        assert shown == [c.label for c in table.columns]
        second = env.get_template(pages[1].template).render(pages[1].context)
        assert f"]({table_id}.md)" in second and "**第 2 页（" in second
        assert (
            f"本表共 {len(table.columns)} 个政策文件，按编号排列，分 {count} 页，每页至多 2 个"
            in second
        )
        assert pages[1].title == f"{table.title}（第 2 页）"


# ---------------------------------------------------------------- the conflict report


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project of 10 synthetic jurisdictions that the site can be built from."""
    root = tmp_path_factory.mktemp("corpus") / "p"
    generate(10, root)
    with_site(root)
    return root


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


Heard = list[tuple[str, int, int, str]]


@pytest.fixture(scope="module")
def province_site(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Heard]:
    """The corpus's whole site, built as a province's is (every limit lowered to 4: the nav,
    the table pages, Pagefind's search; and 25 pages to an index), and the progress it told."""
    out = tmp_path_factory.mktemp("province") / "site"
    heard: Heard = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nav, "NAV_PAGES", 4)
        patch.setattr(site_tables, "TABLE_COLUMNS", 4)
        patch.setattr(search, "CHUNKED_POLICIES", 4)
        patch.setattr(search, "PAGES_PER_INDEX", 25)
        build_site(corpus, out, lambda *step: heard.append(step))
    return out, heard


def test_the_corpus_site_builds_with_every_shape(
    corpus: Path, province_site: tuple[Path, Heard]
) -> None:
    """MkDocs, strict: every link of the index pages and of the case pages resolves.  The nav
    of a page lists no document page once the section is long."""
    out, heard = province_site

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
    pages = [step for step in heard if step[0] == "rendering"]
    assert [done for _, done, _, _ in pages] == list(range(1, len(pages) + 1))
    assert pages[-1][2] == len(pages) == len(list(out.rglob("*.html"))) - 1  # and 404.html
    # Then Pagefind's runs, 25 pages each.
    indexing = [step for step in heard if step[0] == "indexing"]
    total = len(_fragments(out))
    assert heard[-len(indexing) :] == indexing
    assert [done for _, done, _, _ in indexing] == [*range(0, total, 25), total]
    assert {(of, unit) for _, _, of, unit in indexing} == {(total, "pages for search")}


# ---------------------------------------------------------------- the search of a province


def _bundles(site: Path) -> list[str]:
    """Pagefind's bundles, the first and those it lists to be merged."""
    merged = json.loads((site / search.BUNDLE / search.MERGED).read_text(encoding="utf-8"))
    return [f"{search.BUNDLE}/", *merged]


def _fragments(site: Path, bundle: str | None = None) -> dict[str, dict[str, Any]]:
    """Pagefind's page fragments by URL, of every bundle or of one: gzip, a signature, then
    the page's JSON.  No page is in two bundles."""
    fragments: dict[str, dict[str, Any]] = {}
    for folder in _bundles(site) if bundle is None else [bundle]:
        for path in sorted((site / folder / "fragment").glob("*.pf_fragment")):
            data = gzip.decompress(path.read_bytes())
            fragment = json.loads(data[data.index(b"{") :])
            assert fragment["url"] not in fragments, fragment["url"]
            fragments[fragment["url"]] = fragment
    return fragments


def test_a_province_site_is_searched_by_pagefind(
    corpus: Path, province_site: tuple[Path, Heard]
) -> None:
    out, _ = province_site
    # Material's one-file index and its search box are gone; Pagefind's chunks are there.
    assert not (out / "search" / "search_index.json").exists()
    # The pages 25 to an index, in the order of their files; the first bundle lists the others.
    bundles = _bundles(out)
    assert bundles == [f"pagefind{'' if k == 0 else f'-{k + 1}'}/" for k in range(len(bundles))]
    assert len(bundles) > 1
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("pagefind")) == sorted(
        b.rstrip("/") for b in bundles
    )
    for number, folder in enumerate(bundles):
        assert (out / folder / "pagefind-entry.json").is_file()
        assert list((out / folder / "index").glob("*.pf_index"))
        count = len(_fragments(out, folder))
        assert count == 25 or (number == len(bundles) - 1 and 0 < count < 25)
    home = (out / "index.html").read_text(encoding="utf-8")
    assert 'class="md-search"' not in home and 'for="__search"' not in home
    # The search page, second in the nav, runs Pagefind's interface.
    assert '<link rel="next" href="search/">' in home  # the page after the home page
    assert re.search(r'href="search/" class="md-nav__link">\s*<span[^>]*>\s*搜索', home)
    page = (out / "search" / "index.html").read_text(encoding="utf-8")
    assert '<div id="policyc-search"></div>' in page
    assert 'src="../assets/policyc/search.js"' in page
    assert (out / "assets" / "policyc" / "search.js").is_file()
    # Indexed: the pages Material's search indexes; not the reports that repeat the clauses,
    # the section indexes or the search page (front matter `search: exclude`).
    urls = set(_fragments(out))
    ids = sorted(p.stem for p in (corpus / "policies" / "sources").glob("*.txt"))
    assert {f"/documents/{i}/" for i in ids} <= urls
    assert any(u.startswith("/decisions/") for u in urls)
    assert any(u.startswith("/timelimits/") for u in urls)
    assert any(u.startswith("/tables/") for u in urls)
    left_out = ("/conflicts/", "/diffs/", "/search/")
    assert not [u for u in urls if u.startswith(left_out)]
    assert not urls & {"/documents/", "/decisions/", "/timelimits/"}  # the section indexes
    # Exactly the pages whose content the hook marked are indexed.
    for html in out.rglob("index.html"):
        folder = html.relative_to(out).parent.as_posix()
        url = "/" if folder == "." else f"/{folder}/"
        assert ("data-pagefind-body" in html.read_text(encoding="utf-8")) == (url in urls), url


def test_a_document_is_found_at_its_clauses(province_site: tuple[Path, Heard]) -> None:
    out, _ = province_site
    fragments = _fragments(out)
    documents = {u: f for u, f in fragments.items() if u.startswith("/documents/")}
    for url, fragment in documents.items():
        # The page's heading is the title, without the permalink sign.
        html = (out / url.strip("/") / "index.html").read_text(encoding="utf-8")
        heading = re.search(r"<h1[^>]*>(.*?)<", html, re.DOTALL)
        assert heading is not None
        assert fragment["meta"]["title"] == heading.group(1).strip()
        assert "¶" not in fragment["content"]
        # Each clause is an anchor a result can link to.
        clause_ids = set(re.findall(r'<[^>]+class="policyc-clause[^"]*"[^>]*id="([^"]+)"', html))
        clause_ids |= set(re.findall(r'<[^>]+id="([^"]+)"[^>]*class="policyc-clause', html))
        anchored = {a["id"] for a in fragment["anchors"]}
        assert clause_ids and clause_ids <= anchored, url
    # Not indexed: the transcription's code (its quotes repeat the clause) and the decisions'
    # Mermaid source (its labels carry markup an excerpt would show).
    assert not [u for u, f in documents.items() if "situation" in f["content"]]
    assert not [u for u, f in fragments.items() if "<br/>" in f["content"]]
    # Pagefind segments Chinese with zero-width spaces; the words of the text are there.
    text = "".join(f["content"] for f in documents.values()).replace("\u200b", "")
    for word in ("追缴", "公示", "民主评议", "容错"):
        assert word in text


def test_the_province_site_is_the_same_bytes_when_built_again(
    corpus: Path, province_site: tuple[Path, Heard], tmp_path: Path
) -> None:
    first, _ = province_site
    again = tmp_path / "again"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nav, "NAV_PAGES", 4)
        patch.setattr(site_tables, "TABLE_COLUMNS", 4)
        patch.setattr(search, "CHUNKED_POLICIES", 4)
        patch.setattr(search, "PAGES_PER_INDEX", 25)
        build_site(corpus, again)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert any(p.parts[0] == search.BUNDLE for p in files)
    assert [p for p in files if (first / p).read_bytes() != (again / p).read_bytes()] == []


def test_a_province_site_without_pagefind_is_refused_before_its_pages(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "CHUNKED_POLICIES", 4)
    monkeypatch.setitem(sys.modules, "pagefind_bin_extended", None)  # import fails
    rendered: list[object] = []
    monkeypatch.setattr(hook, "rendered", lambda *a: rendered.append(a) or iter(()))
    with pytest.raises(SiteUnavailable, match=r"Pagefind.*pip install -e '\.\[site\]'"):
        build_site(corpus, tmp_path / "site")
    assert rendered == [] and not (tmp_path / "site").exists()


def test_a_failed_index_leaves_the_previous_site(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    write_tree(out, {"index.html": b"the previous site"})
    failing = shutil.which("false")
    assert failing is not None
    monkeypatch.setattr(search, "CHUNKED_POLICIES", 4)
    monkeypatch.setattr(search, "executable", lambda: Path(failing))
    with pytest.raises(SiteFailed):
        build_site(corpus, out)
    assert (out / "index.html").read_bytes() == b"the previous site"


def test_the_five_cities_keep_materials_search() -> None:
    program = load_program(ROOT)
    assert not search.chunked(program)
    assert len(program.policies) <= search.CHUNKED_POLICIES


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
