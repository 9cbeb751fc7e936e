"""The search of a province's site (compiler/backends/site/search.py, site_templates/search-
engine.js): the text of a page as it is indexed, the tokens, and, in Node, the engine the
browser runs, over the index of a synthetic corpus of 10 jurisdictions built as a province's
site is (the bound lowered to 4).

The property Pagefind failed (benchmarks/README.md, the twenty-seventh round): a term finds
every page whose text holds it, and only those.  The engine's normalization, tokens and shard
hash are checked against this module's on every character the corpus's pages hold.
"""

from __future__ import annotations

import itertools
import json
import pickle
import re
from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpus import generate, with_site
from compiler.backends.site import hook, nav, search, spool
from compiler.backends.site.build import build_site
from compiler.backends.site.render import TEMPLATES
from compiler.progress import Steps, quiet
from tests.nodejs import needs_node, run_json

Heard = list[tuple[str, int, int, str]]


# ---------------------------------------------------------------- the text and its tokens


def test_each_character_is_normalized_on_its_own() -> None:
    assert search.normalize("ＡＢｃ（一）１５") == "abc(一)15"
    # One character stays one: ﬁ (NFKC "fi") and İ (lower case "i̇") are kept as they are, so
    # that a place in the normalized text is the same place in the text.
    assert search.normalize("ﬁİ") == "ﬁİ"
    text = "第三条　低保（特困）ＡＢ𝐀"
    assert len(search.normalize(text)) == len(text)


def test_the_tokens_are_characters_and_pairs_within_a_run() -> None:
    assert search.tokens(["民主评议"]) == {"民", "主", "评", "议", "民主", "主评", "评议"}
    # Whitespace parts runs: no pair across it, nor across two texts.
    assert search.tokens(["甲 乙", "丙"]) == {"甲", "乙", "丙"}
    assert search.tokens(["（一）"]) == {"(", "一", ")", "(一", "一)"}
    # A term asks for its pairs, or its one character: each among the tokens of a text that
    # holds it.
    assert search.term_tokens("评议评议") == ["评议", "议评"]
    assert search.term_tokens("议") == ["议"]


def test_a_page_is_cut_at_its_headings_without_code() -> None:
    content = (
        "<p>前言<code>x</code>文字</p>"
        '<h2 id="a1">第一条<a class="headerlink" href="#a1">&para;</a></h2>'
        '<div class="policyc-text">第<a href="#">一</a>条 为了&lt;保障&gt;</div><p>下一段</p>'
        '<div class="highlight"><pre><span></span><code>rule "只在代码里"</code></pre></div>'
        '<pre class="mermaid">graph TD; 图里的字</pre>'
        "<h3>无锚</h3><ul><li>甲</li><li>乙</li></ul>"
        '<h4 data-id="x">空节</h4>'
    )
    assert search.sections(content, "页名") == [
        search.Section("", "页名", "前言x文字"),
        search.Section("a1", "第一条", "第一条 为了<保障> 下一段"),
        search.Section("", "无锚", "甲 乙"),
        search.Section("", "空节", ""),  # a heading alone is searched too
    ]


def test_a_line_ending_mid_word_is_joined() -> None:
    """The official texts keep their lines as <br>, and a line may end mid-word (公<br>示);
    the hand-written pages' Chinese is wrapped mid-word in Markdown.  Next to a Chinese
    character a line break is no space; a block's end is."""
    assert search.plain("公<br>示") == "公示"
    assert search.plain("共同<br />\n富裕") == "共同富裕"
    assert search.plain("应当在5<br>个工作日内") == "应当在5个工作日内"
    assert search.plain("<p>工作日\n公示</p>") == "工作日公示"
    assert search.plain("policy<br>language\nfile") == "policy language file"
    assert search.plain("<p>甲</p>\n<p>乙</p>") == "甲 乙"
    assert search.plain("<td>甲</td><td>乙</td>") == "甲 乙"
    assert search.plain("第一条  为了") == "第一条 为了"


# Characters where the breaks and line ends of `plain` meet: wide and narrow ones, whitespace
# inside the wide range (U+3000) and outside ASCII (U+0085, U+00A0, U+001C), a hard break, and
# one that is no whitespace (U+200B).
_WHERE_BREAKS_MEET: Final = st.text(
    st.sampled_from(
        [
            "中",
            "a",
            "，",
            "Ａ",
            " ",
            "\n",
            "\t",
            "\x0b",
            "\u3000",
            "\x85",
            "\xa0",
            "\x1c",
            "\x01",
            "\u200b",
        ]
    ),
    max_size=16,
)


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(_WHERE_BREAKS_MEET)
def test_the_breaks_and_line_ends_are_taken_as_their_expressions_take_them(text: str) -> None:
    """`plain` looks for breaks and line ends only where they are (the thirty-sixth round):
    the text is the same as with the expressions that say what is taken, tried everywhere."""
    assert search._hard(text) == search._HARD.sub(" ", text)
    assert search._soft(text) == search._SOFT.sub("", text)


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(st.lists(_WHERE_BREAKS_MEET, max_size=4))
def test_the_tokens_are_each_texts_own(texts: list[str]) -> None:
    """Each distinct run's tokens made once (the thirty-sixth round): the tokens of the texts
    together are those of each text on its own."""
    own: set[str] = set()
    for text in texts:
        for run in search.normalize(text).split():
            own.update(run)
            own.update(run[i : i + 2] for i in range(len(run) - 1))
    assert search.tokens(texts) == own


def test_the_index_is_the_same_whatever_order_its_pages_come_in(tmp_path: Path) -> None:
    pages = [
        ("tables/x/", "表", "<p>低保 公示</p>"),
        ("documents/b/", "乙", "<h2 id='s'>一</h2><p>公示期</p>".replace("'", '"')),
        ("documents/a/", "甲", "<p>民主评议</p>"),
        ("reading/", "如何阅读", "<p>低保</p>"),
    ]
    folders = []
    for order, name in ((pages, "one"), (pages[::-1], "two")):
        indexer = search.Indexer(tmp_path / name)
        for url, title, content in order:
            indexer.add(url, title, content)
        indexer.finish()
        folders.append(tmp_path / name / search.FOLDER)
    files = [sorted(p.relative_to(f).as_posix() for p in f.rglob("*.json")) for f in folders]
    assert files[0] == files[1]
    for name in files[0]:
        assert (folders[0] / name).read_bytes() == (folders[1] / name).read_bytes(), name
    # The results' order: the nav's sections (文件 first, then 对照表), then the other pages.
    urls = [_page(folders[0], n)["url"] for n in range(4)]
    assert urls == ["documents/a/", "documents/b/", "tables/x/", "reading/"]


def test_every_page_is_posted_under_exactly_its_tokens(tmp_path: Path) -> None:
    """Each page's number is under every token of its text and under no other, as MkDocs'
    process adds the entries a worker made and sent (pickled: the tokens as one string).  A
    page without text is under none (no empty token)."""
    pages = [
        ("documents/a/", "甲", "<p>民主评议</p><h2 id='s'>一</h2><p>公示期 低保</p>"),
        ("documents/b/", "", ""),
        ("tables/x/", "表", "<p>(一) １５ 公示</p>"),
        ("reading/", "如", "<p>x</p>"),
    ]
    indexer = search.Indexer(tmp_path)
    for url, title, content in pages:
        indexer.add_entry(pickle.loads(pickle.dumps(search.entry(url, title, content))))
    indexer.finish()
    folder = tmp_path / search.FOLDER
    urls = [_page(folder, n)["url"] for n in range(len(pages))]
    posted: dict[str, set[str]] = {url: set() for url in urls}
    for shard in sorted((folder / "shards").glob("*.json")):
        for token, gaps in json.loads(shard.read_text("utf-8")).items():
            assert token, "an empty token"
            numbers = list(itertools.accumulate(gaps))
            assert numbers == sorted(set(numbers))
            for number in numbers:
                posted[urls[number]].add(token)
    for number, url in enumerate(urls):
        assert posted[url] == search.tokens(search.texts(_page(folder, number))), url
    assert posted["documents/b/"] == set()
    assert "民主" in posted["documents/a/"] and "(一" in posted["tables/x/"]


def _page(folder: Path, number: int) -> dict[str, Any]:
    page: dict[str, Any] = json.loads((folder / "pages" / f"{number}.json").read_text("utf-8"))
    return page


def test_a_failed_builds_index_is_not_kept(tmp_path: Path) -> None:
    """`policyc serve` rebuilds in one process: a build that fails lets its postings go, with
    its files (the hook's `on_build_error`, as MkDocs calls it), and the next build starts its
    own."""
    build = hook._Build(spool.Sources(), spool.Spool(), search.Indexer(tmp_path))
    hook._BUILD[0] = build
    try:
        hook.on_build_error(error=RuntimeError("a page failed"))
        assert hook._BUILD[0] is None
        assert not build.sources.root.exists()
    finally:
        hook._BUILD[0] = None


# ---------------------------------------------------------------- a province's site


def build_province(corpus: Path, out: Path, steps: Steps = quiet) -> None:
    """The site of `corpus` built as a province's is: the bounds lowered to 4 (the search,
    the nav)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "CHUNKED_POLICIES", 4)
        patch.setattr(nav, "NAV_PAGES", 4)
        build_site(corpus, out, steps)


def province_site(work: Path, steps: Steps = quiet) -> Path:
    """A corpus of 10 jurisdictions written into `work`, and its site built as a province's
    is (`build_province`): the site's folder.  tests/browser/test_search_province.py too."""
    generate(10, work / "corpus")
    with_site(work / "corpus")
    build_province(work / "corpus", work / "site", steps)
    return work / "site"


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Heard]:
    """A province's site (`province_site`) and the progress it told."""
    heard: Heard = []
    site = province_site(tmp_path_factory.mktemp("province-search"), lambda *s: heard.append(s))
    return site, heard


def indexed(site: Path) -> list[dict[str, Any]]:
    folder = site / search.FOLDER
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return [_page(folder, n) for n in range(meta["pages"])]


def test_a_province_site_has_the_search_page_and_not_materials(
    province: tuple[Path, Heard],
) -> None:
    site, heard = province
    assert not (site / "search" / "search_index.json").exists()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="search/"' in home  # in the nav
    assert "md-search" not in home  # Material's search box is out of the header
    page = (site / "search" / "index.html").read_text(encoding="utf-8")
    assert 'id="policyc-search"' in page
    assert (site / "assets" / "policyc" / "search.js").is_file()
    assert (site / "assets" / "policyc" / "search-engine.js").is_file()
    meta = json.loads((site / "search" / "meta.json").read_text(encoding="utf-8"))
    assert meta["format"] == search.FORMAT
    shards = sorted(int(p.stem) for p in (site / "search" / "shards").glob("*.json"))
    assert shards == list(range(meta["shards"]))
    # The shards written, told to the end, after the pages.
    indexing = [step for step in heard if step[0] == search.INDEXING]
    assert indexing == [
        (search.INDEXING, n, meta["shards"], search.INDEXED) for n in range(meta["shards"] + 1)
    ]
    assert heard[-len(indexing) :] == indexing


def test_every_page_materials_search_would_hold_is_indexed(province: tuple[Path, Heard]) -> None:
    site, _ = province
    urls = [page["url"] for page in indexed(site)]
    assert len(urls) == len(set(urls))
    built = {
        p.parent.relative_to(site).as_posix() + "/"
        for folder in ("documents", "decisions", "timelimits", "tables")
        for p in (site / folder).glob("*/index.html")
    }
    assert built and built <= set(urls)
    # Left out as Material's search leaves them: the search page, the conflict report.
    assert "search/" not in urls and "conflicts/report/" not in urls
    # In the nav's order: the documents first.
    assert urls[0].startswith("documents/") and urls == sorted(urls, key=search._rank)


def test_a_document_page_is_indexed_with_every_clause(province: tuple[Path, Heard]) -> None:
    """Each clause's official text, as the page shows it, is the text of its section, under
    the clause's anchor; no code block is."""
    site, _ = province
    documents = [page for page in indexed(site) if page["url"].startswith("documents/")]
    assert len(documents) == 10
    for page in documents:
        html = (site / page["url"] / "index.html").read_text(encoding="utf-8")
        by_anchor = {anchor: text for anchor, _, text in page["sections"]}
        for anchor, clause in re.findall(
            r'<h\d class="policyc-clause" id="([^"]+)">.*?<div class="policyc-text">(.*?)</div>',
            html,
            re.S,
        ):
            assert search.plain(clause) in by_anchor[anchor], (page["url"], anchor)
        assert not any("scope " in text for text in by_anchor.values())


# ---------------------------------------------------------------- the engine, in Node

RUNNER: Final = """
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as engine from "./search-engine.js";
const asked = JSON.parse(readFileSync(0, "utf-8"));
// The build's name is for a browser's cache: files are read as they are.
const load = async (path, build) => JSON.parse(readFileSync(join(asked.folder, path), "utf-8"));
const index = new engine.Index(load);
const out = {
  normalized: asked.texts.map(engine.normalize),
  shards: asked.tokens.map((t) => engine.shardOf(t, asked.shards)),
  termTokens: asked.terms.map((term) => engine.termTokens(engine.normalize(term))),
  searches: [],
};
for (const query of asked.queries) {
  const terms = engine.terms(query);
  const candidates = await index.candidates(terms);
  const found = [];
  for (const n of candidates) {
    const checked = engine.check(await index.page(n), terms);
    if (checked !== null) found.push(checked.url);
  }
  out.searches.push({ terms, candidates: candidates.length, found, exact: engine.exact(terms) });
}
process.stdout.write(JSON.stringify(out));
"""

# Terms of the corpus's documents (the clauses' words, numbers, a full-width form, one
# character, two terms at once) and one that no page holds.
QUERIES: Final = (
    "民主评议",
    "公示",
    "追缴",
    "低保",
    "一事一议",
    "入户调查",
    "第三条",
    "工作日",
    "（一）",
    "(一)",
    "１５",
    "议",
    "公示 追缴",
    "尽职免责  低保",
    "Mermaid",
    "不在任何页面里的词语",
)


def _node(asked: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "search-engine.js").write_bytes((TEMPLATES / "search-engine.js").read_bytes())
    (tmp_path / "package.json").write_text('{"type": "module"}\n', encoding="utf-8")
    (tmp_path / "runner.js").write_text(RUNNER, encoding="utf-8")
    out: dict[str, Any] = run_json(tmp_path, "runner.js", asked)
    return out


def holding(pages: list[dict[str, Any]], terms: list[str]) -> list[str]:
    """The pages whose title, a heading or a text holds every term (normalized), in order."""
    found = []
    for page in pages:
        normal = [search.normalize(text) for text in search.texts(page)]
        if all(any(term in text for text in normal) for term in terms):
            found.append(page["url"])
    return found


# What the policies' text is written in: the normalization of these must be the same in the
# build's Python and in the reader's browser, whatever Unicode version each has.  (Outside
# them a character new in a later version may be normalized otherwise: Python 3.11 has
# Unicode 14.)
_POLICY_TEXT: Final = re.compile(
    "[\u0020-\u024f\u2000-\u206f\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)


def _split_mid_word(site: Path, pages: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Terms of four Chinese characters that a document page's official text splits at a line
    end (<br>), read from the page's HTML, not through search.py: each with its pages."""
    found: dict[str, set[str]] = {}
    for page in pages:
        if page["url"].startswith("documents/"):
            html = (site / page["url"] / "index.html").read_text(encoding="utf-8")
            for a, b in re.findall(r"([\u4e00-\u9fff]{2})<br\s*/?>\s*([\u4e00-\u9fff]{2})", html):
                found.setdefault(a + b, set()).add(page["url"])
    return found


@needs_node
def test_the_engine_finds_every_page_that_holds_the_terms_and_no_other(
    province: tuple[Path, Heard], tmp_path: Path
) -> None:
    site, _ = province
    pages = indexed(site)
    meta = json.loads((site / "search" / "meta.json").read_text(encoding="utf-8"))
    assert re.fullmatch("[0-9a-f]{16}", meta["build"])
    chars = [chr(c) for c in range(0x20, 0x10000) if not 0xD800 <= c <= 0xDFFF]
    chars += ["𝐀", "𠀀"]
    shard = json.loads((site / "search" / "shards" / "0.json").read_text(encoding="utf-8"))
    corpus = sorted({c for page in pages for text in search.texts(page) for c in text})
    tokens = sorted(search.tokens(["".join(corpus)]) | set(shard))[:5000]
    split = _split_mid_word(site, pages)
    assert len(split) > 20
    queries = [*QUERIES, *sorted(split)[:40]]
    asked = {
        "folder": str(site / search.FOLDER),
        "texts": chars,
        "tokens": tokens,
        "shards": meta["shards"],
        "terms": ["民主评议", "议", "(一)", "𝐀b"],
        "queries": queries,
    }
    out = _node(asked, tmp_path)
    # The engine reads the index as this module wrote it: each character normalized alike (in
    # what policy text is written in; every character the corpus's pages hold), each token in
    # the same shard, a term asking for the tokens a page holding it has.
    differ = [
        c for c, js in zip(chars, out["normalized"], strict=True) if js != search.normalize(c)
    ]
    assert not [c for c in differ if _POLICY_TEXT.match(c) or c in corpus], differ[:20]
    assert out["shards"] == [search.shard_of(t, meta["shards"]) for t in tokens]
    for term, asked_for in zip(asked["terms"], out["termTokens"], strict=True):
        normal = search.normalize(term)
        assert asked_for == search.term_tokens(normal), term
        assert set(asked_for) <= search.tokens([normal]), term
    # Every search: exactly the pages that hold every term, in the index's order.
    found_any = 0
    for query, searched in zip(queries, out["searches"], strict=True):
        expected = holding(pages, searched["terms"])
        assert searched["found"] == expected, query
        if searched["exact"]:  # the count is known before a candidate is read
            assert searched["candidates"] == len(expected), query
        found_any += bool(expected)
    assert out["searches"][0]["terms"] == ["民主评议"] and out["searches"][0]["found"]
    assert out["searches"][len(QUERIES) - 1]["found"] == []
    assert out["searches"][9]["terms"] == out["searches"][8]["terms"] == ["(一)"]
    assert out["searches"][13]["terms"] == ["尽职免责", "低保"]
    assert found_any >= len(queries) - 2
    # A term the official text splits at a line end finds the pages that show it so.
    for term, searched in zip(
        queries[len(QUERIES) :], out["searches"][len(QUERIES) :], strict=True
    ):
        assert split[term] <= set(searched["found"]), term


def test_the_index_is_the_same_bytes_when_built_again(
    province: tuple[Path, Heard], tmp_path: Path
) -> None:
    site, _ = province
    corpus = site.parent / "corpus"
    build_province(corpus, tmp_path / "again")
    first = sorted(p.relative_to(site).as_posix() for p in (site / "search").rglob("*"))
    again = sorted(
        p.relative_to(tmp_path / "again").as_posix()
        for p in (tmp_path / "again" / "search").rglob("*")
    )
    assert first == again
    for name in first:
        if (site / name).is_file():
            assert (site / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name


def test_the_site_benchmark_reads_a_province_search(
    province: tuple[Path, Heard], capsys: pytest.CaptureFixture[str]
) -> None:
    """benchmarks/site.py's figures of the search (run at 300, 600 and 3,000 jurisdictions)
    read this index as the page does."""
    from benchmarks.site import SEARCHED, chunked_search

    site, _ = province
    sizes = {p.relative_to(site).as_posix(): p.stat().st_size for p in site.rglob("*.json")}
    chunked_search(site, sizes)
    out = capsys.readouterr().out.splitlines()
    pages = len(indexed(site))
    assert out[0].startswith(f"  the search: {pages:,} pages; ")
    for term, line in zip(SEARCHED, out[1:], strict=True):
        expected = len(holding(indexed(site), [term]))
        # Here every candidate holds the term (the engine's test above shows it in Node).
        assert line.startswith(f"    {term}: {expected:,} candidate pages; "), line
        assert f"the first {min(expected, 20)} results load" in line, line
