"""Fixtures of the browser tests (marker `browser`; `-m "not browser"` leaves them out).

    built_site       session: the site built once (`policyc site --out`, the `site` fixture
                     of tests/conftest.py), a directory
    site_url         session: that directory served on 127.0.0.1 at a free port ("http://…/")
    chromium         session: the Playwright Browser on Debian's /usr/bin/chromium
    device           a Device, parametrized: desktop (1280×900) and phone (390×844, mobile)
    page             a fresh watched page on `device`, relative URLs resolve on `site_url`;
                     FAILS the test at teardown on any console error, uncaught exception,
                     request to another host or failed local request
    page_watch       the Watch of `page` (what it recorded so far)
    program          session: the project's lowered ir.Program (compiler.lower.load_program)
    shoot            shoot(label="", focus=None) saves a PNG of `page` (the full page, or the
                     viewport scrolled to the `focus` locator when the page is longer than
                     4000 px) to test-artifacts/screenshots/<test>[-label]-<width>.png; returns
                     its path

Without Playwright or Chromium the tests skip, unless POLICYC_REQUIRE_BROWSER=1 (set by
.ci/run), where they fail.  The site is the session's one (tests/conftest.py `site`);
POLICYC_SITE_DIR=<dir> tests an already built site instead of building one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import (
    DEVICES,
    ROOT,
    SCREENSHOTS,
    Device,
    Watch,
    launch,
    open_page,
    screenshot,
    serve,
    settle,
)

# Figures for the summary line (the suite's cost is printed, not asserted).
_TIMES: dict[str, float] = {}


@pytest.fixture(scope="session")
def built_site(request: pytest.FixtureRequest) -> Path:
    # The session's one site (tests/conftest.py `site`: built with `policyc site`, or the one
    # POLICYC_SITE_DIR names), shared with test_site_build.py and test_determinism.py.
    started = time.perf_counter()
    site: Path = request.getfixturevalue("site")
    _TIMES["site build"] = time.perf_counter() - started
    if not (site / "index.html").is_file():
        pytest.fail(f"the site build wrote no index.html into {site}", pytrace=False)
    return site


@pytest.fixture(scope="session")
def program() -> Any:
    """The checked, lowered model of this project (what the Python runtime decides with)."""
    from compiler.lower import load_program

    return load_program(ROOT)


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    with serve(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    started = time.perf_counter()
    with launch() as browser:
        _TIMES["browser start"] = time.perf_counter() - started
        yield browser


@pytest.fixture(params=DEVICES, ids=[d.name for d in DEVICES])
def device(request: pytest.FixtureRequest) -> Device:
    chosen: Device = request.param
    return chosen


@pytest.fixture
def _watched(chromium: Any, site_url: str, device: Device) -> Iterator[tuple[Any, Watch]]:
    with open_page(chromium, site_url, device) as (opened, watch):
        yield opened, watch
        settle(opened)
        watch.check()  # fails the test at teardown, listing what was seen


@pytest.fixture
def page(_watched: tuple[Any, Watch]) -> Any:
    return _watched[0]


@pytest.fixture
def page_watch(_watched: tuple[Any, Watch]) -> Watch:
    return _watched[1]


@pytest.fixture
def shoot(page: Any, device: Device, request: pytest.FixtureRequest) -> Callable[..., Path]:
    name = request.node.originalname or request.node.name

    def take(label: str = "", focus: Any = None) -> Path:
        return screenshot(page, name, device, label, focus)

    return take


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and "browser" in report.keywords:
        _TIMES["browser tests"] = _TIMES.get("browser tests", 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TIMES:
        figures = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in _TIMES.items())
        terminalreporter.write_line(f"browser suite: {figures}; screenshots in {SCREENSHOTS}")
