"""The browser test harness: serve a built site on loopback, drive Debian's Chromium with
Playwright, and watch every page for console errors and for requests to other hosts.

Everything here is plain functions and context managers so that the harness can be tested on
a tiny site of its own (test_harness.py) as well as used by the fixtures in conftest.py.

Why these choices:
- The browser is the system's `/usr/bin/chromium` (Debian package), never Playwright's own
  download, which cannot work on a machine without general network access.
- Chromium is started with the background-networking flags off: otherwise it keeps trying
  Google's hosts, which a test that watches the network would see as foreign requests.
- Every request is routed through `Watch`: one to the local server goes on, any other is
  aborted and recorded.  The site must work with no network at all (issue 10), so a single
  foreign request is a failure, even one that a browser on the internet would have answered.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest

ROOT: Final = Path(__file__).resolve().parents[2]

# The README names this folder.  Not under build/: `policyc build` owns build/ and refuses a
# folder holding entries it did not write, so artifacts there would break the next build.
ARTIFACTS: Final = Path(os.environ.get("POLICYC_TEST_ARTIFACTS", ROOT / "test-artifacts"))
SCREENSHOTS: Final = ARTIFACTS / "screenshots"

# Set by .ci/run: in CI a missing browser or Playwright is a failure, not a skip.
REQUIRE_ENV: Final = "POLICYC_REQUIRE_BROWSER"
CHROMIUM_ENV: Final = "POLICYC_CHROMIUM"
DEFAULT_CHROMIUM: Final = "/usr/bin/chromium"

CHROMIUM_ARGS: Final = (
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=zh-CN",  # date and time inputs in Chinese form, as the site's readers see them
)

# Material renders each Mermaid diagram into a *closed* shadow root, which no selector can
# reach.  Pages under test get attachShadow forced open (the theme keeps its own reference,
# so nothing else changes) so that a test can see the <svg> Mermaid drew.
OPEN_SHADOW_ROOTS: Final = """
(() => {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    return attach.call(this, Object.assign({}, init, { mode: "open" }));
  };
})();
"""

DEFAULT_TIMEOUT_MS: Final = 15_000


@dataclass(frozen=True)
class Device:
    """A screen the site is tested on; `width` names its screenshots."""

    name: str
    width: int
    height: int
    mobile: bool


DESKTOP: Final = Device("desktop", 1280, 900, mobile=False)
PHONE: Final = Device("phone", 390, 844, mobile=True)
DEVICES: Final = (DESKTOP, PHONE)


def unavailable(reason: str) -> None:
    """Skip, or fail where the browser is required (CI sets POLICYC_REQUIRE_BROWSER=1)."""
    if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
        pytest.fail(f"{reason} ({REQUIRE_ENV} is set, so the browser tests must run)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    """The system Chromium: $POLICYC_CHROMIUM, /usr/bin/chromium, or `chromium` on PATH."""
    wanted = os.environ.get(CHROMIUM_ENV)
    if wanted:
        return wanted if Path(wanted).is_file() else None
    if Path(DEFAULT_CHROMIUM).is_file():
        return DEFAULT_CHROMIUM
    return shutil.which("chromium")


# ---------------------------------------------------------------- the local server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site; logs nothing (a test's output is its assertions)."""

    extensions_map: dict[str, str] = {  # noqa: RUF012 - the stdlib declares it a plain dict
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".woff2": "font/woff2",
        ".csv": "text/csv; charset=utf-8",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that closes a connection mid-response is no test failure; stay quiet.
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 at a free port; yields the base URL ("http://…/")."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------- watching a page


@dataclass
class Watch:
    """What a page did wrong: console errors, uncaught exceptions, requests to any host but
    the local server, and local requests that failed.  Mutable: the page's events fill it."""

    origin: str  # "http://127.0.0.1:PORT"
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def is_local(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return True
        return f"{parts.scheme}://{parts.netloc}" == self.origin

    def foreign(self, url: str) -> None:
        if url not in self.foreign_requests:
            self.foreign_requests.append(url)

    def problems(self) -> list[str]:
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"page error: {m}" for m in self.page_errors]
            + [f"request to another host: {u}" for u in self.foreign_requests]
            + [f"failed request: {m}" for m in self.failed_requests]
        )

    def check(self) -> None:
        """Fail (pytest.fail) listing every problem seen, if any."""
        found = self.problems()
        if found:
            pytest.fail(
                f"the page had {len(found)} problem(s):\n" + "\n".join(f"  {p}" for p in found),
                pytrace=False,
            )


def _origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def watch_context(context: Any, base_url: str) -> Watch:
    """Route every request of a Playwright BrowserContext through a new Watch."""
    watch = Watch(_origin(base_url))

    def route(route: Any) -> None:
        url = route.request.url
        if watch.is_local(url):
            route.continue_()
        else:
            watch.foreign(url)
            route.abort("blockedbyclient")

    def request(request: Any) -> None:
        # Requests routing does not see (e.g. from a service worker) still count.
        if not watch.is_local(request.url):
            watch.foreign(request.url)

    def failed(request: Any) -> None:
        # ERR_ABORTED: the page navigated away before the answer came (a test moving on, not
        # a broken site); a missing file is caught by `response` as HTTP 404.
        if watch.is_local(request.url) and request.failure != "net::ERR_ABORTED":
            watch.failed_requests.append(f"{request.url}: {request.failure}")

    def response(response: Any) -> None:
        if watch.is_local(response.url) and response.status >= 400:
            watch.failed_requests.append(f"{response.url}: HTTP {response.status}")

    context.route("**/*", route)
    context.on("request", request)
    context.on("requestfailed", failed)
    context.on("response", response)
    return watch


def watch_page(page: Any, watch: Watch) -> None:
    """Record the console errors and uncaught exceptions of one page."""

    def console(message: Any) -> None:
        if message.type == "error":
            where = message.location or {}
            at = f" ({where.get('url', '')}:{where.get('lineNumber', '')})" if where else ""
            watch.console_errors.append(f"{message.text}{at}")

    def page_error(error: Any) -> None:
        watch.page_errors.append(str(error))

    def websocket(socket: Any) -> None:
        if not watch.is_local(socket.url):
            watch.foreign(socket.url)

    page.on("console", console)
    page.on("pageerror", page_error)
    page.on("websocket", websocket)


# ---------------------------------------------------------------- the browser


@contextlib.contextmanager
def launch() -> Iterator[Any]:
    """Playwright's Chromium on the system browser; skips (or fails, in CI) without one.

    Playwright's `launch` gives every browser a fresh temporary profile (user-data-dir) and
    removes it afterwards, so no state carries over between runs."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install -e '.[test]')")
        raise AssertionError("unreachable") from None
    executable = chromium_path()
    if executable is None:
        where = os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM
        unavailable(f"no Chromium at {where} (apt-get install chromium; or set {CHROMIUM_ENV})")
        raise AssertionError("unreachable")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def open_page(browser: Any, base_url: str, device: Device) -> Iterator[tuple[Any, Watch]]:
    """A fresh context and page for `device`, watched; relative URLs resolve on `base_url`.
    The caller decides what to do with the Watch (the `page` fixture fails on problems)."""
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": device.width, "height": device.height},
        is_mobile=device.mobile,
        has_touch=device.mobile,
        device_scale_factor=1,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",  # due dates are reckoned in China's time
        service_workers="block",
    )
    try:
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.add_init_script(OPEN_SHADOW_ROOTS)
        watch = watch_context(context, base_url)
        page = context.new_page()
        watch_page(page, watch)
        yield page, watch
    finally:
        context.close()


def settle(page: Any, timeout_ms: int = 3_000) -> None:
    """Give late scripts (search worker, Mermaid) a moment to report their errors."""
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=timeout_ms)


# ---------------------------------------------------------------- screenshots


_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_.-]+")


def screenshot_path(test_name: str, label: str, device: Device) -> Path:
    """test-artifacts/screenshots/<test>[-<label>]-<width>.png (ASCII file names)."""
    stem = _UNSAFE.sub("_", test_name if not label else f"{test_name}-{label}")
    return SCREENSHOTS / f"{stem}-{device.width}.png"


# A full-page shot of a 20,000 px document page takes 8-20 s and 3-4 MB; a long page is shot
# where the test left it scrolled (a followed citation, a result) instead.
FULL_PAGE_MAX_HEIGHT: Final = 4_000
SCREENSHOT_TIMEOUT_MS: Final = 60_000


def screenshot(
    page: Any, test_name: str, device: Device, label: str = "", focus: Any = None
) -> Path:
    """A PNG of `page` as it is now: the full page, or for a page longer than
    FULL_PAGE_MAX_HEIGHT the viewport (scrolled to `focus`, a locator, if given)."""
    path = screenshot_path(test_name, label, device)
    path.parent.mkdir(parents=True, exist_ok=True)
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    full = height <= FULL_PAGE_MAX_HEIGHT
    if focus is not None and not full:
        focus.scroll_into_view_if_needed()
    page.screenshot(
        path=str(path), full_page=full, animations="disabled", timeout=SCREENSHOT_TIMEOUT_MS
    )
    return path


# ---------------------------------------------------------------- Material's search

SEARCH_TOGGLE: Final = 'label.md-header__button[for="__search"]'
SEARCH_INPUT: Final = "input.md-search__input"
SEARCH_RESULT_LINK: Final = ".md-search-result__list a.md-search-result__link"
# Material groups results by page and puts the page itself first (score 0 when only a section
# matched), so the best hit *on a section* is the first link with a fragment.
SEARCH_SECTION_LINK: Final = SEARCH_RESULT_LINK + '[href*="#"]'


def search(page: Any, query: str, attempts: int = 3) -> Any:
    """Type `query` into Material's search box and wait for results; returns the locator of
    the result links that land on a section (first = best; see SEARCH_SECTION_LINK).  On a
    phone the box hides behind the header's search button.

    Material shows the results while its search is open (the `__search` toggle), which
    focusing the box does.  Seen in CI on the desktop layout, in about one run in four: a
    query after Escape had closed the one before found the box focused and holding the
    query, the results made, and the toggle off, so that the results stayed hidden (the
    focus came before the close had settled).  The box is then focused again from outside,
    up to `attempts` times; the last timeout is raised."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # The header's search button shows only on narrow screens, where the box is off-screen
    # until it is pressed; on a desktop the box is in the header.
    toggle = page.locator(SEARCH_TOGGLE)
    if toggle.is_visible():
        toggle.click()
    box = page.locator(SEARCH_INPUT)
    box.wait_for(state="visible")
    box.focus()
    # Clear first, so that the results awaited below are this query's, not the last one's.
    box.fill("")
    box.press("End")
    page.locator(SEARCH_RESULT_LINK).first.wait_for(state="detached")
    box.fill(query)
    for attempt in range(1, attempts + 1):
        # Material reads the query on keyup, which fill() (an input event) does not send;
        # typing Han characters would not send it either (they arrive as composed text).
        box.press("End")
        try:
            page.locator(SEARCH_RESULT_LINK).first.wait_for(state="visible", timeout=5_000)
        except PlaywrightTimeout:
            if attempt == attempts:
                raise
            box.blur()
            box.focus()
        else:
            break
    return page.locator(SEARCH_SECTION_LINK)


def follow(page: Any, link: Any, url_glob: str, attempts: int = 3) -> None:
    """Click `link` and wait until the page's URL matches `url_glob` (as for wait_for_url).

    Material renders the search results again while a query settles; a click that lands in
    the instant the list is swapped reaches no link and the page stays where it was (seen once
    in CI on the phone layout: the URL never changed).  The click is then repeated, up to
    `attempts` times, with the locator resolved afresh; the last timeout is raised.  The URL
    is awaited at "commit" (a click that went nowhere shows within seconds), then the page's
    load, so that what the caller reads next (styles included) is the loaded page.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(1, attempts + 1):
        link.click()
        try:
            page.wait_for_url(url_glob, wait_until="commit", timeout=5_000)
        except PlaywrightTimeout:
            if attempt == attempts:
                raise
        else:
            page.wait_for_load_state("load")
            return
