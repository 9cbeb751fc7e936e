"""The search of a province's site (compiler/backends/site/search.py) in headless Chromium: a
synthetic corpus of 10 jurisdictions (benchmarks/corpus.py) built as a province's site is
(Pagefind's search beyond the bound, lowered here to 4), served, and searched from its search
page, at desktop and phone width.  A Chinese word finds the document pages that contain it, a
result reaches its clause, and the page fetches nothing from another host and logs no error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlsplit

import pytest

from benchmarks.corpus import generate, with_site
from compiler.backends.site import search
from compiler.backends.site.build import build_site

from .harness import Device, open_page, screenshot, serve, settle

pytestmark = pytest.mark.browser

# Pagefind's interface (pagefind-ui.js): the contracts of these tests, in one place.
RESULT: Final = ".pagefind-ui__result"
MESSAGE: Final = ".pagefind-ui__message"
INPUT: Final = ".pagefind-ui__search-input"
QUERY: Final = "追缴"


@pytest.fixture(scope="module")
def province_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("province-search")
    generate(10, work / "corpus")
    with_site(work / "corpus")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "CHUNKED_POLICIES", 4)
        patch.setattr(search, "PAGES_PER_INDEX", 20)  # three bundles, merged by the page
        build_site(work / "corpus", work / "site")
    return work / "site"


@pytest.fixture(scope="module")
def province_url(province_site: Path) -> Iterator[str]:
    with serve(province_site) as url:
        yield url


@pytest.fixture
def province_page(chromium: Any, province_url: str, device: Device) -> Iterator[Any]:
    with open_page(chromium, province_url, device) as (opened, watch):
        yield opened
        settle(opened)
        watch.check()  # console errors, requests to other hosts, failed requests


def _holding(site: Path, word: str) -> set[str]:
    """The document pages whose article holds `word`, by path ("/documents/x/")."""
    found = set()
    for html in sorted((site / "documents").glob("*/index.html")):
        article = re.search(r"<article.*?</article>", html.read_text(encoding="utf-8"), re.S)
        assert article is not None
        if word in re.sub(r"<[^>]+>", "", article.group(0)):
            found.add(f"/documents/{html.parent.name}/")
    return found


# Pagefind's own engine (pagefind.js, an instance of its own: the query string keeps it apart
# from the one the interface loaded and merged), every bundle merged: every result's path, not
# only the first few the interface shows.
_ALL_RESULTS: Final = """async (query) => {
  const first = new URL("../pagefind/", location.href);
  const pagefind = await import(new URL("pagefind.js?all-results", first).href);
  const others = await (await fetch(new URL("policyc-bundles.json", first))).json();
  for (const folder of others) {
    await pagefind.mergeIndex(new URL("../" + folder, location.href).pathname);
  }
  const found = await pagefind.search(query);
  return Promise.all(found.results.map(async (r) => (await r.data()).url));
}"""


def test_a_word_finds_every_document_that_holds_it(
    province_page: Any, province_site: Path, device: Device
) -> None:
    page = province_page
    page.goto(f"search/?q={quote(QUERY)}")
    page.locator(RESULT).first.wait_for(state="visible")
    count = len(page.evaluate(_ALL_RESULTS, QUERY))
    assert f"找到 {count} 个" in page.locator(MESSAGE).inner_text()
    screenshot(page, "test_province_search", device)
    paths = {urlsplit(u).path for u in page.evaluate(_ALL_RESULTS, QUERY)}
    holding = _holding(province_site, QUERY)
    assert holding and holding <= paths, sorted(holding - paths)


def test_a_typed_word_reaches_a_clause(province_page: Any) -> None:
    page = province_page
    page.goto("search/")
    box = page.locator(INPUT)
    box.wait_for(state="visible")
    box.fill(QUERY)
    page.locator(RESULT).first.wait_for(state="visible")
    # A sub-result is a heading of the page with its anchor: the clause's.
    anchored = page.locator(f"{RESULT} a[href*='#']").first
    anchored.wait_for(state="visible")
    href = str(anchored.get_attribute("href"))
    assert "/documents/" in href, href
    anchored.click()
    page.wait_for_url(f"**{href}")
    anchor = href.split("#", 1)[1]
    assert page.locator(f"[id='{anchor}']").count() == 1
