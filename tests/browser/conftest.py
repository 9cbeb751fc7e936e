"""Fixtures of the browser tests (marker `browser`; `-m "not browser"` leaves them out).

    built_site       session: the site built once (`policyc site --out`), a directory
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
.ci/run), where they fail.  POLICYC_SITE_DIR=<dir> tests an already built site instead of
building one.
"""

from __future__ import annotations

import os
import subprocess
import sys
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

SITE_DIR_ENV = "POLICYC_SITE_DIR"

# Figures for the summary line (the suite's cost is printed, not asserted).
_TIMES: dict[str, float] = {}


def _build_site(out: Path) -> Path:
    """Build the site into `out` the way a user does (`policyc site`)."""
    command = [sys.executable, "-m", "compiler.cli", "site", "--out", str(out)]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    _TIMES["site build"] = time.perf_counter() - started
    if done.returncode != 0:
        pytest.fail(
            f"building the site failed ({' '.join(command[1:])}, exit {done.returncode}):\n"
            + (done.stdout + done.stderr)[-4000:],
            pytrace=False,
        )
    if not (out / "index.html").is_file():
        pytest.fail(f"the site build wrote no index.html into {out}", pytrace=False)
    return out


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get(SITE_DIR_ENV)
    if given:
        site = Path(given)
        if not (site / "index.html").is_file():
            pytest.fail(f"{SITE_DIR_ENV}={given} holds no built site (no index.html)")
        return site
    return _build_site(tmp_path_factory.mktemp("site") / "site")


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
