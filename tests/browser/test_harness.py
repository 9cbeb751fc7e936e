"""The harness proves itself on a tiny MkDocs-Material site built here: a clean page raises
nothing, a page with a console error and a foreign image is caught, a clause anchor is
reached, Chinese search finds a section, and screenshots are written."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import (
    DESKTOP,
    DEVICES,
    Device,
    follow,
    open_page,
    screenshot,
    search,
    serve,
    settle,
)
from .test_site import OUTCOME, QUESTIONNAIRE, answer_questionnaire, python_outcome

pytestmark = pytest.mark.browser

MKDOCS_YML = """\
site_name: 测试站点
theme:
  name: material
  language: zh
  font: false
markdown_extensions:
  - attr_list
plugins:
  - search
nav:
  - 首页: index.md
  - 条款: clauses.md
  - 错误: broken.md
"""

INDEX_MD = """\
# 首页

这是一个测试站点。阅读[第四条](clauses.md#a4)。
"""

CLAUSES_MD = """\
# 条款

<style>:target { background-color: rgb(255, 235, 59); }</style>

## 第三条 {#a3}

对于不符合条件的，应当及时停发。

## 第四条 {#a4}

对骗取社会救助资金的，由民政部门追缴其违法所得。
"""

BROKEN_MD = """\
# 错误

<script>console.error("policyc-harness-boom");</script>

<img src="https://example.com/x.png" alt="外部图片">
"""


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-page mkdocs-material site (language zh, no Google Fonts), built with mkdocs."""
    root = tmp_path_factory.mktemp("tiny")
    docs = root / "docs"
    docs.mkdir()
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    for name, text in (("index", INDEX_MD), ("clauses", CLAUSES_MD), ("broken", BROKEN_MD)):
        (docs / f"{name}.md").write_text(textwrap.dedent(text), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "--site-dir", str(root / "site")],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "site"


@pytest.fixture(scope="module")
def tiny_url(tiny_site: Path) -> Iterator[str]:
    with serve(tiny_site) as url:
        yield url


def test_clean_page_raises_nothing(chromium: Any, tiny_url: str) -> None:
    with open_page(chromium, tiny_url, DESKTOP) as (page, watch):
        page.goto("")
        assert page.title().startswith("测试站点") or "首页" in page.title()
        assert page.locator("html").get_attribute("lang") == "zh"
        settle(page)
        assert watch.problems() == []
        watch.check()  # passes: nothing to report


def test_watcher_reports_console_error_and_foreign_request(chromium: Any, tiny_url: str) -> None:
    with open_page(chromium, tiny_url, DESKTOP) as (page, watch):
        page.goto("broken/")
        settle(page)
        assert any("policyc-harness-boom" in m for m in watch.console_errors), watch.problems()
        assert watch.foreign_requests == ["https://example.com/x.png"]
        with pytest.raises(pytest.fail.Exception) as failure:
            watch.check()
    message = str(failure.value)
    assert "console error: policyc-harness-boom" in message
    assert "request to another host: https://example.com/x.png" in message


def test_watcher_reports_page_errors_and_missing_local_files(chromium: Any, tiny_url: str) -> None:
    with open_page(chromium, tiny_url, DESKTOP) as (page, watch):
        page.goto("")
        page.evaluate("setTimeout(() => { throw new Error('policyc-harness-uncaught'); })")
        page.evaluate("fetch('/no-such-file.js').catch(() => {})")
        settle(page)
        assert any("policyc-harness-uncaught" in m for m in watch.page_errors), watch.problems()
        assert any("/no-such-file.js: HTTP 404" in m for m in watch.failed_requests)


def test_page_fixture_fails_at_teardown(tmp_path: Path) -> None:
    """The `page` fixture itself turns a console error into a test failure (in a pytest of
    its own, on a one-page site given by POLICYC_SITE_DIR)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        "<!doctype html><title>t</title><script>console.error('boom-in-fixture')</script>",
        encoding="utf-8",
    )
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(Path(__file__).parents[1])!r})\n"
        "from browser.conftest import (  # noqa: F401\n"
        "    _watched, built_site, chromium, device, page, page_watch, shoot, site_url,\n"
        ")\n"
        # tests/conftest.py's `site`, which `built_site` reads, as it is with POLICYC_SITE_DIR.
        "import os, pathlib, pytest\n"
        "@pytest.fixture(scope='session')\n"
        "def site():\n"
        "    return pathlib.Path(os.environ['POLICYC_SITE_DIR'])\n",
        encoding="utf-8",
    )
    (tmp_path / "test_one.py").write_text(
        "def test_opens(page):\n    page.goto('')\n", encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--rootdir", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "POLICYC_SITE_DIR": str(site)},
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 passed, 2 errors" in done.stdout, done.stdout
    assert "console error: boom-in-fixture" in done.stdout


@pytest.mark.parametrize("device", DEVICES, ids=[d.name for d in DEVICES])
def test_anchor_search_and_screenshots(chromium: Any, tiny_url: str, device: Device) -> None:
    with open_page(chromium, tiny_url, device) as (page, watch):
        page.goto("clauses/")
        plain = page.locator("#a4").evaluate("e => getComputedStyle(e).backgroundColor")
        # A citation reaches its clause, which :target highlights.
        page.goto("")
        follow(page, page.locator('.md-content a[href$="#a4"]'), "**/clauses/#a4")
        target = page.locator("#a4")
        assert target.evaluate("e => e.matches(':target')")
        after = target.evaluate("e => getComputedStyle(e).backgroundColor")
        assert after == "rgb(255, 235, 59)" != plain
        # Chinese search: 追缴 is inside one section; its result lands on the section.
        page.goto("")
        follow(page, search(page, "追缴").first, "**/clauses/#*")
        assert page.url.split("#", 1)[1] == "a4"
        shot = screenshot(page, "harness_search", device)
        assert shot.name == f"harness_search-{device.width}.png"
        assert shot.read_bytes().startswith(b"\x89PNG")
        settle(page)
        watch.check()


FAKE_QUESTIONNAIRE = """<!doctype html><html lang="zh"><meta charset="utf-8"><title>问卷</title>
<div class="policyc-questionnaire" data-policy="{policy}">
{questions}
<p data-outcome=""></p>
</div>
<script>
const table = {table};
const facts = {facts};
const answers = {{}};
const widget = document.querySelector(".policyc-questionnaire");
function show() {{
  const key = facts.map(f => answers[f] || "unknown").join(",");
  widget.querySelector("[data-outcome]").setAttribute("data-outcome", table[key]);
  // As the real widget asks only what is still relevant: the last question goes once the
  // first is answered "false".
  widget.querySelector(`[data-fact="${{facts[2]}}"]`).hidden = answers[facts[0]] === "false";
}}
for (const button of document.querySelectorAll("[data-answer]")) {{
  button.addEventListener("click", () => {{
    answers[button.closest("[data-fact]").dataset.fact] = button.dataset.answer;
    show();
  }});
}}
show();
</script>
"""


@pytest.mark.parametrize("plan", ["yes", "no", "mixed"])
def test_questionnaire_driver_on_a_stand_in_widget(
    chromium: Any, program: Any, tmp_path: Path, plan: str
) -> None:
    """The questionnaire test's driver and its Python comparison, on a stand-in widget of the
    documented contract whose outcomes are the Python runtime's own (for three facts)."""
    import itertools
    import json

    # Three facts of 玉泉 第二十条 that decide between applies and undetermined on their own.
    policy = "yuquan"
    facts = ["force_majeure_delay", "yuquan_review_delayed", "yuquan_delay_human_caused"]
    answers = ("true", "false", "unknown")
    table = {
        ",".join(combo): python_outcome(program, policy, dict(zip(facts, combo, strict=True)))
        for combo in itertools.product(answers, repeat=len(facts))
    }
    assert len(set(table.values())) >= 2, "the stand-in must be able to reach two outcomes"
    questions = "\n".join(
        f'<div data-fact="{fact}">{fact}'
        + "".join(f'<button data-answer="{a}">{a}</button>' for a in answers)
        + "</div>"
        for fact in facts
    )
    html = FAKE_QUESTIONNAIRE.format(
        policy=policy, questions=questions, table=json.dumps(table), facts=json.dumps(facts)
    )
    (tmp_path / "index.html").write_text(html, encoding="utf-8")
    with serve(tmp_path) as url, open_page(chromium, url, DESKTOP) as (page, watch):
        page.goto("")
        widget = page.locator(QUESTIONNAIRE).first
        given = answer_questionnaire(page, widget, plan, policy)
        assert given and set(given) <= set(facts)
        if given[facts[0]] == "false":
            assert facts[2] not in given  # a hidden question is not answered
        shown = widget.locator(OUTCOME).first.get_attribute("data-outcome")
        assert shown == python_outcome(program, policy, given)
        watch.check()
