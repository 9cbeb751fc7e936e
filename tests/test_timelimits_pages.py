"""The time-limit pages (compiler/backends/site/timelimits.py, site_templates/timelimits.md.j2)
and the calculator widget (site_templates/assets/policyc/calculator.js)."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from compiler.backends import js_due
from compiler.backends.site import timelimits
from compiler.backends.site.anchors import clause_anchor
from compiler.backends.site.page import EXAMPLE_START, Page
from compiler.backends.site.render import environment
from compiler.inert import inert
from compiler.lower import load_program
from tests.nodejs import NODE, needs_node
from tests.sitemarkdown import readable

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = load_program(ROOT)
PAGES = {page.path: page for page in timelimits.pages(PROGRAM)}


def render(page: Page) -> str:
    """The page's Markdown, its blocks made ahead written out as HTML (the calendar)."""
    return readable(environment().get_template(page.template).render(page.context))


def test_one_page_per_procedure_with_deadlines() -> None:
    assert sorted(PAGES) == [
        "timelimits/lucheng-s4.md",  # 鹿城 四
        "timelimits/ningbo-a6.md",  # 宁波 第六条
        "timelimits/taierzhuang-s2-i3.md",  # 台儿庄 二（三）
        "timelimits/weihai-s5-i2.md",  # 威海 五（二）
        "timelimits/yuquan-ch2-a4.md",  # 玉泉 第四条: 低保/特困/临时救助
        "timelimits/yuquan-ch4-a15.md",  # 玉泉 第十五条: the bank statement after payment
    ]
    every = [limit.name for page in PAGES.values() for limit in _limits(page)]
    assert sorted(every) == sorted(
        limit.name for policy in PROGRAM.policies.values() for limit in policy.limits
    )


def _limits(page: Page) -> list[timelimits.ir.Limit]:
    policy = PROGRAM.policies[page.path.split("/")[1].split("-")[0]]
    names = re.findall(r'data-limit="([^"]+)"', render(page))
    return [
        limit
        for limit in policy.limits
        if limit.name.replace("_", "&#95;") in names or limit.name in names
    ]


@pytest.mark.parametrize("path", sorted(PAGES), ids=lambda p: Path(p).stem)
def test_page_snapshot(path: str, text_snapshot: SnapshotAssertion) -> None:
    assert render(PAGES[path]) == text_snapshot


def _cells(markdown: str) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """date -> (kind, [(mark kind, limit name)]) from the calendar strip."""
    cells = {}
    for match in re.finditer(
        r'<td [^>]*data-date="([^"]+)" data-kind="([^"]+)"[^>]*>(.*?)</td>', markdown
    ):
        marks = re.findall(r'policyc-mark policyc-mark-(\w+)" data-limit="([^"]+)"', match.group(3))
        cells[match.group(1)] = (
            match.group(2),
            [(kind, name.replace("&#95;", "_")) for kind, name in marks],
        )
    return cells


def test_timeline_marks_the_official_calendar() -> None:
    """台儿庄 二（三） from Friday 2024-09-27, checked by hand against the State Council's 2024
    schedule (国庆 10月1日至7日放假, 9月29日（星期日）、10月12日（星期六）上班):
    8 工作日 -> 10-14 (9-29, 9-30, 10-8 … 10-11, 10-12, 10-14); 12 -> 10-18 (LIBRARIES.md);
    10 -> 10-16; 5 -> 10-10; 1 日 -> Saturday 9-28, a day off, moved to Sunday 9-29, an
    adjusted working day (民法典 第二百零三条); 24 小时 from 09:00 -> 9-28 09:00."""
    markdown = render(PAGES["timelimits/taierzhuang-s2-i3.md"])
    cells = _cells(markdown)
    assert EXAMPLE_START.isoformat() == "2024-09-27"
    for day in ("2024-10-01", "2024-10-02", "2024-10-03", "2024-10-04", "2024-10-07"):
        assert cells[day][0] == "holiday", day
    for day in ("2024-09-29", "2024-10-12"):
        assert cells[day][0] == "adjusted", day
    for day in ("2024-09-28", "2024-10-05", "2024-10-06", "2024-10-13"):
        assert cells[day][0] == "weekend", day
    assert cells["2024-09-30"][0] == "work"
    due = {name: day for day, (_, marks) in cells.items() for kind, name in marks if kind == "due"}
    assert due == {
        "check_and_visit": "2024-10-14",
        "approval_limit": "2024-10-18",
        "objection_review": "2024-10-16",
        "paperwork": "2024-10-10",
        "approval_after_notice": "2024-09-29",
        "pre_aid": "2024-09-28",
    }
    assert ("counted", "approval_after_notice") in cells["2024-09-28"][1]
    assert "民法典 第二百零三条顺延至休假日结束的次日2024年9月29日（星期日）" in markdown
    assert "2024年9月28日（星期六）09:00" in markdown
    # 休 and 班 are printed in the cells, so the strip reads without the stylesheet.
    assert '<span class="policyc-sign">休</span>' in markdown
    assert '<span class="policyc-sign">班</span>' in markdown


def test_steps_in_order_with_the_objection_branch() -> None:
    markdown = render(PAGES["timelimits/taierzhuang-s2-i3.md"])
    section = markdown.split("## 程序 <code>approval&#95;process</code>")[1].split("\n## ")[0]
    # The steps as a numbered list (<ol>, numbered by place): the procedure's steps 1 to 5,
    # each at the place its number gives.
    rule = PROGRAM.policies["taierzhuang"].rule("approval_process")
    by_number = sorted(rule.steps, key=lambda step: step.order)
    assert [step.order for step in by_number] == [1, 2, 3, 4, 5]
    [listed] = re.findall(r"<ol>\n(.*?)</ol>", section, re.S)
    labels = re.findall(r"^<li><p><strong>([^<]*)</strong>", listed, re.M)
    assert labels == [inert(step.label) for step in by_number]
    assert "（本步未规定时限）" in section  # 拟审批决定 and 公示 carry no limit of their own
    assert "分支：不满足“对公示有异议”（否则见第5步）" in section
    assert "分支：满足“对公示有异议”（否则见第4步）" in section


def test_extension_and_excluded_period_are_shown() -> None:
    ningbo = render(PAGES["timelimits/ningbo-a6.md"])
    assert "7 个工作日（可延长至 15 个工作日）" in ningbo
    assert "2024年10月12日（星期六）" in ningbo  # 7 工作日: the adjusted working Saturday
    yuquan = render(PAGES["timelimits/yuquan-ch2-a4.md"])
    assert "不计入公示期：这里没有扣除公示期" in yuquan


def test_every_citation_links_to_an_existing_clause() -> None:
    for path, page in PAGES.items():
        # As Markdown's links, and as a block's (prebuilt.py)
        links = re.findall(
            r"(?:\]\(|<a href=\")\.\./documents/(\w+)\.md#([\w-]+)[)\"]", render(page)
        )
        assert len(links) > 2, path
        for policy_id, anchor in links:
            anchors = {clause_anchor(c) for c in PROGRAM.policies[policy_id].document.clauses()}
            assert anchor in anchors, (path, anchor)


def test_policy_text_is_inert() -> None:
    page = PAGES["timelimits/taierzhuang-s2-i3.md"]
    rules = list(page.context["rules"])  # type: ignore[call-overload]
    hostile = "<script>alert(1)</script> {{ x }} | **b**"
    # The blocks are made from the page's data when the page is generated: made again here.
    limit = {**rules[0]["limits"][0], "label": hostile, "from": hostile, "excluding": hostile}
    rules[0] = {**rules[0], "quotes": [hostile], "notes": [hostile], "limits": [limit]}
    rules[0]["blocks"] = timelimits.rule_blocks(rules[0])
    example = page.context["example"]  # type: ignore[index]
    row = {**example["rows"][0], "label": hostile, "moved": hostile, "excluding": hostile}
    context = {
        **page.context,
        "rules": rules,
        "limits_block": timelimits.limits_block(rules),
        "example_block": timelimits.example_block({**example, "rows": [row]}),
    }
    markdown = render(replace(page, context=context))
    # Each place it is shown: the quote, the note, the limit's label and start in its list and
    # its label, start and excluded period in the table, the example's label and two notes.
    assert markdown.count("&#60;script&#62;alert&#40;1&#41;") == 10
    assert "<script>alert" not in markdown
    assert "{{ x }}" not in markdown


def test_pages_are_deterministic() -> None:
    again = {page.path: render(page) for page in timelimits.pages(load_program(ROOT))}
    assert again == {path: render(page) for path, page in PAGES.items()}


def test_calculator_container() -> None:
    markdown = render(PAGES["timelimits/lucheng-s4.md"])
    match = re.search(r'<div class="policyc-calculator" ([^>]*)>', markdown)
    assert match is not None
    attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))
    assert attributes["data-policy"] == "lucheng"
    assert attributes["data-root"] == "../../"
    assert attributes["data-example"] == "2024-09-27"
    assert attributes["data-time"] == "09:00"  # 鹿城 四（二） counts 24 hours
    clauses = json.loads(
        re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), attributes["data-clauses"])
    )
    assert clauses == ["四（二）", "四（三）"]
    assert '<script type="module" src="../../assets/policyc/calculator.js"></script>' in markdown


# A DOM just large enough for calculator.js: elements, attributes, dataset, text, events.
FAKE_DOM = """
class Node {
  constructor(tag) { this.tag = tag; this.attributes = {}; this.children = []; this.text = "";
    this.dataset = {}; this.listeners = {}; this.value = ""; }
  setAttribute(name, value) { this.attributes[name] = String(value); }
  getAttribute(name) { return this.attributes[name]; }
  append(...nodes) { this.children.push(...nodes); }
  replaceChildren(...nodes) { this.children = nodes; }
  addEventListener(type, listener) { (this.listeners[type] ??= []).push(listener); }
  set textContent(value) { this.text = String(value); this.children = []; }
  get textContent() { return this.text + this.children.map((c) => c.textContent).join(""); }
  all() { return [this, ...this.children.flatMap((c) => (c.all ? c.all() : []))]; }
}
const container = new Node("div");
Object.assign(container.dataset, JSON.parse(process.argv[2]));
globalThis.document = {
  createElement: (tag) => new Node(tag),
  createTextNode: (text) => ({ textContent: text }),
  querySelectorAll: () => [container],
};
await import("./assets/policyc/calculator.js");
// The calculator loads its data asynchronously: wait until it says it is ready (or failed),
// not a fixed time, which a busy CI machine can outlast.
const tick = () => new Promise((resolve) => setTimeout(resolve, 10));
const settle = async () => {
  for (let waited = 0; waited < 30000 && !["ready", "error"].includes(container.dataset.state);
       waited += 10) await tick();
};
const results = () => Object.fromEntries(container.all()
  .filter((n) => n.attributes["data-due"] !== undefined)
  .map((n) => [n.attributes["data-due"], n.attributes["data-date"]]));
await settle();
const out = { state: container.dataset.state, first: results() };
const day = container.all().find((n) => n.attributes["data-start"] !== undefined);
day.value = process.argv[3];
for (const listener of day.listeners.input) listener();
out.second = { state: container.dataset.state, results: results(),
  error: container.all().find((n) => n.attributes["data-error"] !== undefined).textContent };
process.stdout.write(JSON.stringify(out));
"""


@needs_node
def test_calculator_widget_gives_policyc_due(tmp_path: Path) -> None:
    assert NODE is not None
    for path, content in {**js_due.assets(PROGRAM), **js_due.scripts()}.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(content, encoding="utf-8")
    (tmp_path / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    (tmp_path / "dom.js").write_text(FAKE_DOM, encoding="utf-8")
    data = {
        "policy": "taierzhuang",
        "clauses": '["二（三）"]',
        "root": "../../",
        "example": "2024-09-27",
        "time": "09:00",
    }

    def run(start: str) -> dict[str, object]:
        done = subprocess.run(
            [NODE, "dom.js", json.dumps(data), start],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        result: dict[str, object] = json.loads(done.stdout)
        return result

    def policyc_due(start: str) -> dict[str, str]:
        done = subprocess.run(
            [
                str(ROOT / ".venv/bin/policyc"),
                "due",
                "taierzhuang",
                "二（三）",
                "--start",
                start,
                "--json",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        return {e["limit"]: e["due"] for e in json.loads(done.stdout)["limits"]}

    out = run("2029-01-29")
    assert out["state"] == "ready"
    assert out["first"] == policyc_due("2024-09-27T09:00")
    second = out["second"]
    assert isinstance(second, dict)
    assert second["state"] == "ready"
    assert second["results"] == policyc_due("2029-01-29T09:00")  # 2029: provisional
    bad = run("2099-01-01")["second"]
    assert isinstance(bad, dict)
    assert bad["state"] == "error" and "日历" in bad["error"]
