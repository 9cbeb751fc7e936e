"""The search page of a province's site (compiler/backends/site/search.py, site_templates/
search.js) in headless Chromium: a synthetic corpus of 10 jurisdictions (benchmarks/corpus.py)
built as a province's site is (the bound lowered to 4), served, and searched from its search
page, at desktop and phone width.  A term finds exactly the pages whose text holds it (the
count the page says, and every result read), a result reaches its clause, a term the page
would show as markup is shown as text, and the page fetches nothing from another host and
logs no error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit

import pytest

from tests.test_site_search import holding, indexed
from tests.test_site_search import province_site as build_province_site

from .harness import Device, open_page, screenshot, serve, settle

pytestmark = pytest.mark.browser

# The interface (search.js): the contracts of these tests, in one place.
INPUT: Final = "input.policyc-search__input"
STATUS: Final = ".policyc-search__status"
RESULT: Final = "li.policyc-search__result"
TITLE: Final = "a.policyc-search__title"
MORE: Final = "#policyc-search > button"


@pytest.fixture(scope="module")
def province_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_province_site(tmp_path_factory.mktemp("province-search"))


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


def _holding(site: Path, term: str) -> list[str]:
    """The indexed pages whose text holds `term`, by path ("/documents/x/"), in order."""
    return ["/" + url for url in holding(indexed(site), [term])]


def _shown(page: Any) -> list[str]:
    """The results' page paths, after every "显示更多" is pressed."""
    more = page.locator(MORE)
    for _ in range(100):
        if not more.is_visible():
            break
        more.click()
        # The button is disabled while the next pages are read.
        page.wait_for_function(f"!document.querySelector({MORE!r}).disabled")
    else:
        raise AssertionError("显示更多 is still shown after 100 presses")
    hrefs = page.locator(TITLE).evaluate_all("links => links.map((a) => a.href)")
    return [urlsplit(href).path for href in hrefs]


# A term of two characters, whose count is known before a page is read, and one of four,
# whose candidates are read to be sure; each held by more than one batch of pages (20).
@pytest.mark.parametrize("term", ["低保", "社会救助"])
def test_a_term_finds_exactly_the_pages_that_hold_it(
    province_page: Any, province_site: Path, device: Device, term: str
) -> None:
    page = province_page
    asked: list[str] = []
    page.on("request", lambda request: asked.append(urlsplit(request.url)))
    page.goto(f"search/?q={quote(term)}")
    page.locator(RESULT).first.wait_for(state="visible")
    holding = _holding(province_site, term)
    # The index's files under its build's name, so that no cached file of another build is
    # read; the meta that names it afresh.
    meta = json.loads((province_site / "search" / "meta.json").read_text(encoding="utf-8"))
    index = [u for u in asked if u.path.startswith(("/search/shards/", "/search/pages/"))]
    assert index and all(u.query == f"v={meta['build']}" for u in index)
    assert [u.query for u in asked if u.path == "/search/meta.json"] == [""]
    assert len(holding) > 20  # more than one batch: "显示更多" is pressed
    first = page.locator(STATUS).inner_text()
    if len(term) == 2:
        assert first == f"找到 {len(holding)} 个含有“{term}”的页面，已显示 20 个"
    else:
        assert first.startswith("已找到 20 个含有“社会救助”的页面；还有 ")
    paths = _shown(page)
    assert paths == holding
    assert page.locator(STATUS).inner_text() == f"找到 {len(holding)} 个含有“{term}”的页面"
    # Each term shown is marked in its result.
    assert page.locator(f"{RESULT} mark").first.inner_text() == term
    screenshot(page, f"test_province_search-{len(term)}", device)


def test_a_typed_term_reaches_a_clause(province_page: Any, province_site: Path) -> None:
    page = province_page
    page.goto("search/")
    box = page.locator(INPUT)
    box.wait_for(state="visible")
    box.fill("一事一议")
    box.press("Enter")
    page.locator(RESULT).first.wait_for(state="visible")
    assert "q=%E4%B8%80" in page.url  # the query is in the address, to be shared
    # The first section link that lands on a clause of a document (a section may also be the
    # text before the first clause, under the page's title).
    links = page.locator(f"{RESULT} ul a[href*='#']")
    for number in range(links.count()):
        href = str(links.nth(number).get_attribute("href"))
        path, anchor = urlsplit(href).path, unquote(href.split("#", 1)[1])
        html = (province_site / path.strip("/") / "index.html").read_text(encoding="utf-8")
        if path.startswith("/documents/") and f'class="policyc-clause" id="{anchor}"' in html:
            break
    else:
        raise AssertionError("no result reaches a clause")
    links.nth(number).click()
    page.wait_for_url(f"**{path}#*")
    assert page.locator(f"[id='{anchor}']").count() == 1
    assert page.locator(f"[id='{anchor}']").is_visible()


def test_a_query_is_shown_as_text(province_page: Any) -> None:
    page = province_page
    page.goto(f"search/?q={quote('<img src=x onerror=alert(1)>')}")
    status = page.locator(STATUS)
    status.wait_for(state="visible")
    page.wait_for_function(f"document.querySelector({STATUS!r}).textContent.startsWith('没有')")
    assert "<img" in status.inner_text()
    assert page.locator("#policyc-search img").count() == 0


def test_an_input_method_is_searched_once_it_has_composed(
    province_page: Any, province_site: Path
) -> None:
    """Pinyin typed into an input method ("di" before 低) is not searched; the characters it
    gives are.  Chromium's DevTools protocol composes as an input method does."""
    page = province_page
    page.goto("search/")
    box = page.locator(INPUT)
    box.wait_for(state="visible")
    box.focus()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(urlsplit(request.url).path))
    ime = page.context.new_cdp_session(page)
    ime.send("Input.imeSetComposition", {"text": "di", "selectionStart": 2, "selectionEnd": 2})
    page.wait_for_timeout(800)  # longer than the page waits after typing (300 ms)
    assert box.input_value() == "di"
    assert not [path for path in asked if path.startswith("/search/")]
    assert page.locator(STATUS).inner_text() == ""
    ime.send("Input.insertText", {"text": "低保"})
    page.locator(RESULT).first.wait_for(state="visible")
    holding = len(_holding(province_site, "低保"))
    assert page.locator(STATUS).inner_text().startswith(f"找到 {holding} 个含有“低保”的页面")
