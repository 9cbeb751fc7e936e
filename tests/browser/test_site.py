"""The built site in headless Chromium (issue 10, "Search, offline, quality"): the home page,
a document page and a citation followed to its highlighted clause, a comparison table with
its downloads, a decision page (Mermaid drew its diagram; the questionnaire answered to an
outcome that the Python runtime reaches too), a time-limit page's calculator (the dates
`policyc due` gives), and a Chinese search landing on a clause.

Every test runs at desktop and phone width (the `device` fixture), fails on any console error
or request to another host (the `page` fixture), and saves screenshots to
test-artifacts/screenshots/.  A page kind missing from the built site fails its test.

The DOM contracts below are the page kinds' promises to these tests: change a selector here,
in one place.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest

from compiler import ir
from compiler.backends.site import diffs

from .harness import follow, search

pytestmark = pytest.mark.browser

# ---------------------------------------------------------------- the contracts

HOME: Final = ""
DOCUMENT_PAGE: Final = "documents/ningbo/"
DECISION_PAGE: Final = "decisions/weihai/"
TABLES_DIR: Final = "tables"
TIMELIMITS_DIR: Final = "timelimits"

# compiler/backends/site/anchors.py: 第四条（一）2 -> a4-i1-p2; "doc" for the whole text.
_SEGMENT: Final = r"(?:ch|a|s|i|p|ax|pre|sig)\d+"
CLAUSE_ANCHOR: Final = re.compile(rf"^(?:doc|{_SEGMENT}(?:-{_SEGMENT})*)$")

CONTENT: Final = ".md-content"
PRIMARY_NAV_LINK: Final = ".md-nav--primary .md-nav__link"
CITATION_LINK: Final = '.md-content a[href*="#"]'  # those whose fragment is a clause anchor

COMPARISON_TABLE: Final = ".md-content table"
CSV_DOWNLOAD: Final = '.md-content a[href$=".csv"]'
JSON_DOWNLOAD: Final = '.md-content a[href$=".json"]'
CITIES: Final = ("宁波", "威海", "玉泉", "台儿庄", "鹿城")

MERMAID_SVG: Final = ".mermaid svg"  # Material's closed shadow root is forced open (harness)

QUESTIONNAIRE: Final = ".policyc-questionnaire[data-policy]"
QUESTIONNAIRE_MARK: Final = "policyc-questionnaire"  # in the built HTML
QUESTION: Final = "[data-fact]"  # attribute value: the fact's name (answered ones lack buttons)
ANSWER: Final = "[data-answer]"  # attribute value: true | false | unknown (or an enum member)
OUTCOME: Final = "[data-outcome]"  # attribute value: the outcome word
OUTCOMES: Final = frozenset(
    {"applies", "applies_in_part", "excluded", "not_covered", "needs_judgment", "undetermined"}
)

CALCULATOR: Final = ".policyc-calculator"
CALCULATOR_MARK: Final = "policyc-calculator"  # in the built HTML
CALCULATOR_START: Final = "[data-start]"  # <input type=date>: the start day (not counted)
CALCULATOR_START_TIME: Final = "[data-start-time]"  # <input type=time>, when a limit counts hours
CALCULATOR_DUE: Final = "[data-due]"  # attribute value: the limit's name; data-date: ISO date
DUE_DATE_ATTRIBUTE: Final = "data-date"
POLICY_ATTRIBUTE: Final = "data-policy"  # on the widget or an ancestor
# Not the pages' own example start (compiler/backends/site/page.py EXAMPLE_START, 2024-09-27),
# so that the page must recompute; it crosses 国庆 and 中秋 2025.
CALCULATOR_START_DATE: Final = "2025-09-30"

SEARCH_QUERY: Final = "追缴"
SEARCH_QUERIES: Final = ("追缴", "公示", "民主评议", "容错")

# ---------------------------------------------------------------- helpers

Shoot = Callable[..., Path]


def require(site: Path, path: str) -> None:
    """Skip while the site has no such page (other page kinds are built in parallel)."""
    built = site / path / "index.html" if not path.endswith(".html") else site / path
    if not built.is_file():
        pytest.fail(f"missing from the built site: {path or 'home'} ({built.name} missing)")


def pages_under(site: Path, folder: str, mark: str) -> list[str]:
    """The site-relative URLs of the built pages under `folder` (not the folder's own index
    page, which lists them) whose HTML contains `mark`."""
    found = []
    for html in sorted((site / folder).rglob("*/index.html")):
        if mark in html.read_text(encoding="utf-8"):
            found.append(html.parent.relative_to(site).as_posix() + "/")
    return found


def _scripts_mention(site: Path, mark: str) -> bool:
    """Whether any script the site serves mentions `mark` (a widget's class)."""
    scripts = site.rglob("*.js")
    return any(mark in js.read_text(encoding="utf-8", errors="replace") for js in scripts)


def fragment(url: str) -> str:
    return urlsplit(url).fragment


# The computed look of a clause's element and of its parent: what a :target rule changes.
STYLE_OF_JS: Final = """id => {
  const look = e => {
    const c = getComputedStyle(e);
    return [c.backgroundColor, c.backgroundImage, c.outlineStyle, c.outlineColor,
            c.boxShadow, c.borderLeftStyle, c.borderLeftColor].join("|");
  };
  const e = document.getElementById(id);
  if (e === null) return "";
  return look(e) + " / " + (e.parentElement ? look(e.parentElement) : "");
}"""


def style_of(page: Any, anchor: str) -> str:
    return str(page.evaluate(STYLE_OF_JS, anchor))


def python_outcome(program: ir.Program, policy_id: str, answers: dict[str, str]) -> str:
    """The outcome the Python runtime (the generated validators' decision) reaches."""
    from compiler.interpret import coerce_facts, decide, explain

    raw: dict[str, Any] = {}
    for fact, answer in answers.items():
        match answer:
            case "true":
                raw[fact] = True
            case "false":
                raw[fact] = False
            case "unknown":
                pass  # not known: left out, as the questionnaire's 不确定
            case _:
                try:
                    raw[fact] = json.loads(answer)
                except json.JSONDecodeError:
                    raw[fact] = answer  # an enum member
    policy = program.policies[policy_id]
    return str(explain(program, decide(program, policy, coerce_facts(program, raw)))["outcome"])


def python_due(program: ir.Program, policy_id: str, limit: str, start: str) -> str | None:
    """The due date `policyc due` gives for the named limit (None: needs a time of day)."""
    from compiler.interpret import info
    from compiler.runtime import cli as runtime_cli
    from compiler.runtime.timelimits import load_calendar

    tables = info(program, program.policies[policy_id])
    limits = [each for each in tables.limits if each.name == limit]
    assert limits, f"{policy_id} has no time limit named {limit!r}"
    report: Any = runtime_cli.due_json(
        tables, limits[:1], runtime_cli.parse_start(start), load_calendar([])
    )
    due = report["limits"][0]["due"]
    return None if due is None else str(due)


def policy_of_limit(program: ir.Program, limit: str) -> str:
    """The one policy with a time limit of that name (when the page does not say)."""
    from compiler.interpret import info

    owners = [
        pid
        for pid, policy in sorted(program.policies.items())
        if any(each.name == limit for each in info(program, policy).limits)
    ]
    assert len(owners) == 1, f"limit {limit!r} is in {owners or 'no policy'}: say data-policy"
    return owners[0]


# ---------------------------------------------------------------- the pages


def test_home_page(page: Any, shoot: Shoot, built_site: Path) -> None:
    require(built_site, HOME)
    page.goto(HOME)
    assert page.title().strip(), "the home page has no title"
    assert page.locator("html").get_attribute("lang") == "zh"
    assert page.locator(PRIMARY_NAV_LINK).count() >= 2, "the home page has no navigation"
    shoot()


def test_document_page_citation_reaches_its_clause(
    page: Any, shoot: Shoot, built_site: Path
) -> None:
    require(built_site, DOCUMENT_PAGE)
    page.goto(DOCUMENT_PAGE)
    assert page.locator(f"{CONTENT} h1").first.inner_text().strip()
    links = page.locator(CITATION_LINK)
    # The first visible citation of a clause (not the whole text), resolved to an absolute URL.
    chosen = None
    for index in range(links.count()):
        link = links.nth(index)
        target = str(link.evaluate("a => a.href"))
        anchor = fragment(target)
        if anchor != "doc" and CLAUSE_ANCHOR.match(anchor) and link.is_visible():
            chosen = (link, target, anchor)
            break
    assert chosen is not None, f"no visible link to a clause anchor on {DOCUMENT_PAGE}"
    link, target, anchor = chosen
    # How the clause looks when it is not the target, on its own page.
    page.goto(target.split("#", 1)[0])
    assert page.locator(f"[id='{anchor}']").count() == 1, f"no element with id {anchor}"
    plain = style_of(page, anchor)
    page.goto(DOCUMENT_PAGE)
    follow(page, links.nth(_index_of(links, target)), f"**#{anchor}")
    clause = page.locator(f"[id='{anchor}']")
    assert clause.evaluate("e => e.matches(':target')")
    # A :target rule may fade in: wait a moment for the look to change.
    try:
        page.wait_for_function(
            f"id => ({STYLE_OF_JS})(id) !== {json.dumps(plain)}", arg=anchor, timeout=3_000
        )
    except Exception:
        pytest.fail(f"#{anchor} looks the same when reached: {plain}", pytrace=False)
    assert clause.is_visible()
    shoot()


def _index_of(links: Any, target: str) -> int:
    for index in range(links.count()):
        if links.nth(index).evaluate("a => a.href") == target and links.nth(index).is_visible():
            return index
    raise AssertionError(f"the citation to {target} is gone")


def test_comparison_tables(page: Any, shoot: Shoot, built_site: Path) -> None:
    tables = pages_under(built_site, TABLES_DIR, "<table")
    if not tables:
        pytest.fail(f"missing from the built site: {TABLES_DIR}/ (no page with a table)")
    for number, url in enumerate(tables):
        page.goto(url)
        table = page.locator(COMPARISON_TABLE).first
        assert table.locator("tr").count() >= 2, f"{url}: a table with no rows"
        # Across the cities: by column (concepts × cities) or by row (a city column).
        text = table.inner_text()
        cities = [city for city in CITIES if city in text]
        assert len(cities) >= 2, f"{url}: the table compares {cities}, not the cities"
        cited = [
            fragment(str(href))
            for href in table.locator("a[href]").evaluate_all("as => as.map(a => a.href)")
            if "/documents/" in str(href)
        ]
        assert any(CLAUSE_ANCHOR.match(a) for a in cited), f"{url}: no cell links to a clause"
        for selector, check in ((CSV_DOWNLOAD, _is_csv), (JSON_DOWNLOAD, _is_json)):
            download = page.locator(selector).first
            assert download.count() == 1, f"{url}: no {selector} download"
            response = page.request.get(str(download.evaluate("a => a.href")))
            assert response.status == 200, f"{url}: {selector} answers {response.status}"
            check(response.body())
        if number == 0:
            shoot()


def _is_csv(body: bytes) -> None:
    assert body.startswith(b"\xef\xbb\xbf"), "the CSV has no UTF-8 BOM (Excel would garble it)"
    body.decode("utf-8")


def _is_json(body: bytes) -> None:
    json.loads(body.decode("utf-8"))


def test_decision_page_diagram(page: Any, shoot: Shoot, built_site: Path) -> None:
    require(built_site, DECISION_PAGE)
    page.goto(DECISION_PAGE)
    diagrams = page.locator(MERMAID_SVG)
    diagrams.first.wait_for(state="attached")
    for index in range(diagrams.count()):
        svg = diagrams.nth(index)
        assert svg.get_attribute("aria-roledescription") != "error"
        assert "Syntax error" not in (svg.text_content() or ""), "Mermaid could not parse"
    box = diagrams.first.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    shoot(focus=diagrams.first)


def answer_questionnaire(page: Any, widget: Any, plan: str, seed: str) -> dict[str, str]:
    """Answer the first visible question not answered yet, until none is left (the widget
    shows only the questions still relevant); returns fact -> the data-answer clicked."""
    questions = widget.locator(QUESTION).filter(has=page.locator(ANSWER))
    try:
        questions.first.wait_for(state="visible")  # the widget renders once its script runs
    except Exception:
        pytest.fail("the questionnaire shows no question", pytrace=False)
    rng = random.Random(f"{seed}-{plan}")
    answers: dict[str, str] = {}
    while True:
        pending = None
        for index in range(questions.count()):
            question = questions.nth(index)
            fact = question.get_attribute("data-fact")
            if fact and fact not in answers and question.is_visible():
                pending = (question, fact)
                break
        if pending is None:
            return answers
        question, fact = pending
        buttons = question.locator(ANSWER)
        offered = buttons.evaluate_all("bs => bs.map(b => b.dataset.answer)")
        # A number, date or text question takes typed input and [data-answer=submit]; the
        # driver answers those 不确定 (unknown), which every question offers.
        choices = [str(c) for c in offered if c != "submit"]
        assert choices, f"question {fact} offers no answer"
        answer = _answer(plan, rng, choices)
        question.locator(f'{ANSWER}[data-answer="{answer}"]').first.click()
        answers[fact] = answer
        assert len(answers) <= 500, "the questionnaire does not end"


def _answer(plan: str, rng: random.Random, choices: list[str]) -> str:
    match plan:
        case "yes" | "no":
            wanted = "true" if plan == "yes" else "false"
            return wanted if wanted in choices else choices[0]
        case "mixed":
            return rng.choice(choices)
        case _:
            raise AssertionError(f"unknown plan {plan}")


@pytest.mark.parametrize("plan", ["yes", "no", "mixed"])
def test_questionnaire_reaches_the_python_outcome(
    page: Any, shoot: Shoot, built_site: Path, program: ir.Program, plan: str
) -> None:
    require(built_site, DECISION_PAGE)
    page.goto(DECISION_PAGE)
    if page.locator(QUESTIONNAIRE).count() == 0 or not _scripts_mention(
        built_site, QUESTIONNAIRE_MARK
    ):
        # The container alone, with no script that fills it, is no questionnaire.
        pytest.fail(f"missing from the built site: the questionnaire on {DECISION_PAGE}")
    widget = page.locator(QUESTIONNAIRE).first
    policy_id = widget.get_attribute("data-policy")
    assert policy_id in program.policies, f"data-policy={policy_id!r} names no policy"
    answers = answer_questionnaire(page, widget, plan, str(policy_id))
    assert answers, "the questionnaire asked nothing"
    from playwright.sync_api import expect

    expected = python_outcome(program, str(policy_id), answers)
    outcome = widget.locator(OUTCOME).first
    expect(outcome).to_have_attribute("data-outcome", expected, timeout=3_000)
    assert expected in OUTCOMES
    shoot(plan, focus=outcome)


def test_calculator_gives_policyc_due_dates(
    page: Any, shoot: Shoot, built_site: Path, program: ir.Program
) -> None:
    found = pages_under(built_site, TIMELIMITS_DIR, CALCULATOR_MARK)
    if not found:
        pytest.fail(f"missing from the built site: {TIMELIMITS_DIR}/ (no page with a calculator)")
    for url in found:
        _check_calculator(page, program, url)
        shoot(url.strip("/").split("/")[-1], focus=page.locator(CALCULATOR).first)


def _check_calculator(page: Any, program: ir.Program, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    calculator = page.locator(CALCULATOR).first
    start = calculator.locator(CALCULATOR_START).first
    dues = calculator.locator(CALCULATOR_DUE)
    dues.first.wait_for(state="attached")  # the widget renders once its module is loaded
    given = CALCULATOR_START_DATE
    time_input = calculator.locator(CALCULATOR_START_TIME)
    if time_input.count():
        # Limits in hours count from a moment: keep the page's time of day, as policyc due
        # takes YYYY-MM-DDTHH:MM.
        given += "T" + str(time_input.first.input_value() or "09:00")
    said = calculator.evaluate(f"e => e.closest('[{POLICY_ATTRIBUTE}]')?.dataset.policy ?? null")
    expected: dict[str, str] = {}
    for index in range(dues.count()):
        limit = str(dues.nth(index).get_attribute("data-due"))
        policy_id = str(said) if said else policy_of_limit(program, limit)
        due = python_due(program, policy_id, limit, given)
        if due is not None:
            expected[limit] = due
    assert expected, f"{url}: no limit has a due date from {given}"
    start.fill(CALCULATOR_START_DATE)
    start.dispatch_event("change")
    for limit, due in expected.items():
        shown = calculator.locator(f'{CALCULATOR_DUE}[data-due="{limit}"]').first
        expect(shown, f"{url}: {limit} from {given}").to_have_attribute(
            DUE_DATE_ATTRIBUTE, due, timeout=5_000
        )


def _clause_hits(hits: Any, query: str) -> list[tuple[str, str]]:
    """(url, text) of the result links that land on a document's clause and quote `query`."""
    found = []
    for url, text in hits.evaluate_all("as => as.map(a => [a.href, a.innerText])"):
        anchor = fragment(str(url))
        if "/documents/" in str(url) and CLAUSE_ANCHOR.match(anchor) and query in str(text):
            found.append((str(url), str(text)))
    return found


def test_chinese_search_lands_on_a_clause(page: Any, shoot: Shoot, built_site: Path) -> None:
    require(built_site, DOCUMENT_PAGE)
    page.goto(HOME)
    hits = search(page, SEARCH_QUERY)
    found = _clause_hits(hits, SEARCH_QUERY)
    shown = [str(t).split("\n", 1)[0] for t in hits.all_inner_texts()[:5]]
    assert found, f"searching {SEARCH_QUERY} lists no clause that contains it: {shown}"
    url, _ = found[0]
    follow(page, hits.and_(page.locator(f'[href="{url}"]')).first, "**#*")
    anchor = fragment(page.url)
    assert anchor == fragment(url), f"the result {url} landed on {page.url}"
    clause = page.locator(f"[id='{anchor}']")
    assert clause.evaluate("e => e.matches(':target')")
    shoot()


def test_chinese_search_finds_each_term(page: Any, built_site: Path) -> None:
    require(built_site, DOCUMENT_PAGE)
    page.goto(HOME)
    missing = {}
    for query in SEARCH_QUERIES:
        hits = search(page, query)
        if not _clause_hits(hits, query):
            missing[query] = [str(t).split("\n", 1)[0] for t in hits.all_inner_texts()[:5]]
        page.keyboard.press("Escape")
    assert not missing, f"no clause that contains the term among the results: {missing}"


# ---------------------------------------------------------------- conflicts and revisions

ROOT: Final = Path(__file__).resolve().parents[2]
CONFLICTS_PAGE: Final = "conflicts/report/"
DIFF_PAGE: Final = "diffs/taierzhuang/"


def _cited_clause_resolves(page: Any, url: str) -> None:
    """The page's first link to a clause of a document page reaches an element with that id."""
    hrefs = page.locator(CITATION_LINK).evaluate_all("as => as.map(a => a.href)")
    cited = [str(h) for h in hrefs if "/documents/" in str(h)]
    cited = [h for h in cited if CLAUSE_ANCHOR.match(fragment(h)) and fragment(h) != "doc"]
    assert cited, f"{url}: no citation links to a clause"
    target = cited[0]
    page.goto(target.split("#", 1)[0])
    assert page.locator(f"[id='{fragment(target)}']").count() == 1, f"{url}: {target} dangles"


def test_conflict_report_page(page: Any, shoot: Shoot, built_site: Path) -> None:
    require(built_site, CONFLICTS_PAGE)
    page.goto(CONFLICTS_PAGE)
    text = page.locator(CONTENT).inner_text()
    # The report's sections, in Chinese, and cities on both sides of a case.
    for heading in ("比较哪些决定及理由", "判定不同的具体案例", "时限与程序对照", "界限划法不同"):
        assert heading in text, f"{CONFLICTS_PAGE}: no section {heading}"
    assert sum(city in text for city in CITIES) >= 4
    download = page.locator(JSON_DOWNLOAD).first
    assert download.count() == 1, f"{CONFLICTS_PAGE}: no JSON download"
    response = page.request.get(str(download.evaluate("a => a.href")))
    assert response.status == 200
    _is_json(response.body())
    shoot()
    _cited_clause_resolves(page, CONFLICTS_PAGE)


def _has_revision(revision: str) -> bool:
    git = shutil.which("git")
    if git is None:
        return False
    found = subprocess.run(
        [git, "-C", str(ROOT), "cat-file", "-e", f"{revision}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


def test_revision_page(page: Any, shoot: Shoot, built_site: Path) -> None:
    require(built_site, DIFF_PAGE)
    page.goto(DIFF_PAGE)
    text = page.locator(CONTENT).inner_text()
    # The semantic diff since the base revision wherever the project's git history has it (a
    # tarball or a shallow clone gets a plain word instead, tested in tests/test_diff.py).
    if not _has_revision(diffs.BASE):
        pytest.skip(f"this checkout has no git revision {diffs.BASE} to compare with")
    assert "没有比较结果" not in text, f"{DIFF_PAGE}: no comparison though git has {diffs.BASE}"
    assert "结论" in text and "含义" in text, f"{DIFF_PAGE}: no verdict"
    shoot()
    _cited_clause_resolves(page, DIFF_PAGE)
