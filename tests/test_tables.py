"""The comparison tables (compiler/comparison.py), their renderings (compiler/backends/tables.py),
`policyc tables`, and the site's table pages (compiler/backends/site/tables.py).

The model's cells are checked against the official texts (each quoted below as the document
words it), the renderings against snapshots (tests/__snapshots__/test_tables/)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from compiler import comparison, ir
from compiler.backends import tables as render
from compiler.backends.site import tables as site_tables
from compiler.backends.site.page import EXAMPLE_START
from compiler.backends.site.render import environment
from compiler.cli import main
from compiler.comparison import TABLE_IDS, Cell, Status, Table, city, concept_table, tables
from compiler.lower import load_program
from compiler.runtime.kinds import Kind
from tests.sitemarkdown import readable

ROOT = Path(__file__).resolve().parent.parent


@cache
def program() -> ir.Program:
    return load_program(ROOT)


@cache
def table(table_id: str) -> Table:
    return tables(program(), EXAMPLE_START, [table_id])[0]


def cell(table_id: str, row_key: str, column: str) -> Cell:
    t = table(table_id)
    row = next(r for r in t.rows if r.key == row_key)
    index = [c.key for c in t.columns].index(column)
    return row.cells[index]


def text(table_id: str, row_key: str, column: str) -> str:
    found = cell(table_id, row_key, column)
    assert found.status is Status.STATED
    return found.entries[0].text


# ---------------------------------------------------------------- the model against the texts


def test_city_names_come_from_the_jurisdiction() -> None:
    names = {pid: city(p) for pid, p in program().policies.items()}
    assert names == {
        "lucheng": "鹿城区",
        "ningbo": "宁波市",
        "taierzhuang": "台儿庄区",
        "weihai": "威海市",
        "yuquan": "玉泉区",
    }


def test_yuquan_dibao_30_workdays_not_counting_the_notice() -> None:
    # 玉泉 第四条（一）1: "低保审批流程要求在30个工作日内(不含公示期)"
    key = "yuquan.yuquan_dibao_approval"
    assert text("timelimits", key, "count") == "30"
    assert text("timelimits", key, "unit") == "工作日"
    assert text("timelimits", key, "excluding") == "公示期"
    assert cell("timelimits", key, "count").entries[0].clause.citation == "第四条（一）1"


def test_taierzhuang_12_workdays_and_its_due_date_on_the_official_calendar() -> None:
    # 台儿庄 二（三）: "审核审批时限压缩到12个工作日内"; 2024-09-27 + 12 working days: 9-29 and
    # 10-12 are adjusted working days, 10-01..10-07 the 国庆 holiday -> 2024-10-18.
    key = "taierzhuang.approval_limit"
    assert text("timelimits", key, "count") == "12"
    assert text("timelimits", key, "unit") == "工作日"
    assert cell("timelimits", key, "excluding").status is Status.SILENT  # 未写“不含公示期”
    assert text("timelimits", key, "due") == "2024-10-18"


def test_lucheng_24_hours_has_no_due_date_without_a_time_of_day() -> None:
    # 鹿城 四（二）: "确保救助措施在24小时内到位"
    key = "lucheng.pre_aid"
    assert text("timelimits", key, "count") == "24"
    assert text("timelimits", key, "unit") == "小时"
    assert text("timelimits", key, "due").startswith("—")
    assert cell("timelimits", key, "count").entries[0].clause.citation == "四（二）"


def test_due_dates_agree_with_policyc_due(capsys: pytest.CaptureFixture[str]) -> None:
    # The table's due dates come from the one algorithm `policyc due` uses.
    assert (
        main(
            [
                "--root",
                str(ROOT),
                "due",
                "ningbo",
                "第六条（二）",
                "--start",
                EXAMPLE_START.isoformat(),
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    entry = report["limits"][0]
    shown = text("timelimits", "ningbo.ningbo_verification", "due")
    assert shown == f"{entry['due']}；延长 15 工作日：{entry['extended']['due']}"


def test_lucheng_savings_band_and_caps_print_the_formulas() -> None:
    # 鹿城 三（四）: "个人银行存款超过我区年最低生活保障标准4倍但低于10倍";
    # 三（五）: "家庭人数乘以当地月低保标准20倍", "剩余医疗费用的70%"
    band = text("thresholds", "lucheng.savings_band", "formula")
    assert "lucheng_bank_savings > 4 * lucheng_annual_dibao_standard" in band
    assert "lucheng_bank_savings < 10 * lucheng_annual_dibao_standard" in band
    cap = text("thresholds", "lucheng.lucheng_temporary_aid_cap", "formula")
    assert cap.endswith("lucheng_household_size * lucheng_monthly_dibao_standard * 20")
    assert text("thresholds", "lucheng.lucheng_medical_cost_cap", "formula").endswith(
        "70% * lucheng_remaining_medical_costs"
    )


def test_yuquan_ratios_and_taierzhuang_staffing() -> None:
    # 玉泉 第四条（一）2 "不少于30%比例进行入户抽查"; 第十八条（四） "审批总户数5%及以上";
    # 台儿庄 三（一） "人口5万人以下的镇（街）配备专职社会救助工作人员不少于4人，
    # 5万人以上的镇（街）不少于6人"
    assert "30% *" in text("thresholds", "yuquan.yuquan_new_beneficiary_spot_check", "formula")
    assert ">= 5% *" in text("thresholds", "yuquan.yuquan_township_misidentification", "formula")
    staffing = text("thresholds", "taierzhuang.township_staffing", "formula")
    assert "taierzhuang_township_population < 50000" in staffing
    assert "taierzhuang_fulltime_staff >= 4" in staffing and ">= 6" in staffing
    quote = text("thresholds", "taierzhuang.township_staffing", "quote")
    assert "不少于4人" in quote


def test_situations_line_up_through_concepts() -> None:
    # 台儿庄 四（二） "被救助对象故意隐瞒家庭人口、财产、收入及支出、家庭经济状况变化等原因":
    # its own words, narrower than the shared concealment facts; 玉泉 第二十条 says nothing of it.
    found = cell("situations", "concealment", "taierzhuang")
    assert found.entries[0].clause.citation == "四（二）"
    assert "窄于" in found.entries[0].note
    assert cell("situations", "concealment", "yuquan").status is Status.SILENT
    # 数据平台: all four staff-relief decisions relieve it, each in its own words.
    assert all(
        cell("situations", "data_platform", pid).status is Status.STATED
        for pid in ("ningbo", "taierzhuang", "weihai", "yuquan")
    )
    # 鹿城 一事一议 reads no concept in its decision: no column.
    assert "lucheng" not in [c.key for c in table("situations").columns]


def test_exclusions_say_when_a_city_relieves_what_another_excludes() -> None:
    # 宁波 第五条（五） excludes "“应保尽保”未履行到位，造成恶劣社会影响的"; 威海 relieves missed
    # grants in other circumstances (三（十）…): not simply the opposite, a person must judge.
    assert cell("exclusions", "error_consequence", "ningbo").entries[0].clause.citation == (
        "第五条（五）"
    )
    weihai = cell("exclusions", "error_consequence", "weihai")
    assert weihai.status is Status.JUDGMENT and weihai.entries
    assert cell("exclusions", "misconduct", "weihai").entries[0].text == (
        "为个人、家属、他人或单位谋取不正当利益的"
    )


def test_each_concept_table_is_made_once_per_program() -> None:
    """The site's tables and its conflict report read the same two tables (frozen)."""
    assert concept_table(program(), Kind.SITUATION) is concept_table(program(), Kind.SITUATION)
    assert concept_table(program(), Kind.EXCLUSION) is table("exclusions")
    assert concept_table(program(), Kind.SITUATION).id == "situations"
    assert concept_table(program(), Kind.EXCLUSION).id == "exclusions"


def test_every_stated_cell_carries_its_clause() -> None:
    for t in tables(program(), EXAMPLE_START):
        for row in t.rows:
            assert len(row.cells) == len(t.columns)
            for c in row.cells:
                assert (c.status is Status.SILENT) == (not c.entries), (t.id, row.key)
                for entry in c.entries:
                    source = program().policies[c.policy].document
                    assert entry.clause.clause.citation in {x.citation for x in source.clauses()}


def test_ids_are_ascii_and_unique() -> None:
    for t in tables(program(), EXAMPLE_START):
        assert t.id.isascii()
        keys = [r.key for r in t.rows]
        assert len(keys) == len(set(keys)) and all(k.isascii() for k in keys)


# ---------------------------------------------------------------- renderings


@pytest.mark.parametrize("table_id", TABLE_IDS)
def test_markdown_snapshot(table_id: str, text_snapshot: SnapshotAssertion) -> None:
    assert render.to_markdown(table(table_id)) == text_snapshot


@pytest.mark.parametrize("table_id", TABLE_IDS)
def test_csv_snapshot(table_id: str, text_snapshot: SnapshotAssertion) -> None:
    # The snapshot file is read back with universal newlines: compare with LF row ends (the
    # CRLF of the bytes is checked in test_csv_has_a_bom_and_reads_back).
    assert render.to_csv(table(table_id)).decode("utf-8").replace("\r\n", "\n") == text_snapshot


@pytest.mark.parametrize("table_id", TABLE_IDS)
def test_json_snapshot(table_id: str, text_snapshot: SnapshotAssertion) -> None:
    assert render.to_json(table(table_id)).decode("utf-8") == text_snapshot


@pytest.mark.parametrize("table_id", TABLE_IDS)
def test_csv_has_a_bom_and_reads_back(table_id: str) -> None:
    data = render.to_csv(table(table_id))
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.endswith(b"\r\n") and data.count(b"\r\n") == len(table(table_id).rows) + 1
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    t = table(table_id)
    assert rows[0] == [t.row_header, *(c.label for c in t.columns)]
    assert [r[0] for r in rows[1:]] == [r.label for r in t.rows]
    assert all(len(r) == len(t.columns) + 1 for r in rows)


def stdlib_json(value: object) -> bytes:
    """What the tables' JSON is defined as: the standard library's, sorted, indented by two."""
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def test_json_is_stable_and_sorted() -> None:
    data = json.loads(render.to_json(table("timelimits")))
    assert render.dumps(data).encode("utf-8") == render.to_json(table("timelimits"))
    assert stdlib_json(data) == render.to_json(table("timelimits"))
    assert data["columns"][0] == {"key": "task", "label": "事项"}


@pytest.mark.parametrize("table_id", TABLE_IDS)
def test_json_written_row_by_row_is_the_whole_tables_dump(table_id: str) -> None:
    """`to_json` writes one row at a time (a province's time limits are 58 MB of JSON): the
    same bytes as the whole `table_json` dumped, with its rows, with one, and with none."""
    whole = table(table_id)
    for shown in (whole, replace(whole, rows=whole.rows[:1]), replace(whole, rows=())):
        assert render.to_json(shown) == stdlib_json(render.table_json(shown))


def test_json_row_by_row_keeps_line_breaks_and_quotes_in_the_text() -> None:
    whole = table("duties")
    row = whole.rows[0]
    odd = 'a "quote", a line\nbreak, "rows": [] and a tab\t'
    cells = tuple(
        replace(c, entries=tuple(replace(e, text=odd) for e in c.entries)) for c in row.cells
    )
    shown = replace(
        whole, title=odd, description=odd, rows=(replace(row, label=odd, cells=cells), row)
    )
    assert render.to_json(shown) == stdlib_json(render.table_json(shown))


def test_determinism() -> None:
    again = tables(load_program(ROOT), EXAMPLE_START)
    for first, second in zip(tables(program(), EXAMPLE_START), again, strict=True):
        for fmt in render.FORMATS:
            assert render.render(first, fmt) == render.render(second, fmt)


def test_policy_text_is_escaped_on_the_site() -> None:
    # Values pass through `text`: a pipe or a bracket in a quote cannot break the table.
    env = environment()
    for page in site_tables.pages(program()):
        out = env.get_template(page.template).render(**page.context)
        for line in out.splitlines():
            if line.startswith("| **"):
                assert line.count(" | ") >= 1
        assert "<script" not in out


# ---------------------------------------------------------------- the site's pages


def test_site_pages_render_with_links_and_downloads(text_snapshot: SnapshotAssertion) -> None:
    env = environment()
    pages = list(site_tables.pages(program()))
    # The index last, from what the tables' pages counted (the nav lists it first).
    assert [p.path for p in pages] == [*(f"tables/{i}.md" for i in TABLE_IDS), "tables/index.md"]
    # The pages' Markdown, the tables made ahead written out as HTML (prebuilt.py).
    rendered = {p.path: readable(env.get_template(p.template).render(**p.context)) for p in pages}
    timelimits = next(p for p in pages if p.path == "tables/timelimits.md")
    assert timelimits.attachments == {
        "tables/timelimits.csv": render.to_csv(table("timelimits")),
        "tables/timelimits.json": render.to_json(table("timelimits")),
    }
    page = rendered["tables/timelimits.md"]
    assert "](timelimits.csv)" in page and "](timelimits.json)" in page
    assert '<a href="../documents/yuquan.md#' in page  # a link MkDocs resolves and checks
    assert rendered["tables/index.md"] + rendered["tables/situations.md"] == text_snapshot


# ---------------------------------------------------------------- the command line


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--root", str(ROOT), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tables", "--format", "json")
    assert code == 0
    assert [t["id"] for t in json.loads(out)] == list(TABLE_IDS)


def test_cli_bad_format_and_unknown_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "tables", "--format", "xml")
    assert code == 2 and "invalid choice" in err
    code, _, err = run(capsys, "tables", "nosuch")
    assert code == 2 and "no table nosuch" in err
    code, _, err = run(capsys, "tables", "--format", "csv")
    assert code == 2 and "--out" in err


def test_cli_out_writes_the_site_bytes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for fmt in ("csv", "json"):
        code, _, _ = run(
            capsys, "tables", "timelimits", "sanctions", "--format", fmt, "--out", str(tmp_path)
        )
        assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".policyc-tables",  # which files policyc tables wrote there: it replaces only those
        "sanctions.csv",
        "sanctions.json",
        "timelimits.csv",
        "timelimits.json",
    ]
    assert (tmp_path / "timelimits.csv").read_bytes() == render.to_csv(table("timelimits"))
    assert (tmp_path / "timelimits.json").read_bytes() == render.to_json(table("timelimits"))


def test_cli_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tables", "timelimits")
    assert code == 0 and out.startswith("## 时限对照")


# ---------------------------------------------------------------- silent, opposite, judgment

NINGBO_SHA256 = "cb0eeb5b5fef6fa5e40fb26a267488a9f313231a4d884eed4886e4deda41f394"


def _policy(pid: str, body: str) -> str:
    return (
        f'policy {pid} {{ title "{pid}" jurisdiction "浙江省{pid}市" city '
        'decision exemption "尽职免责" '
        f'source "sources/ningbo.txt" sha256 "{NINGBO_SHA256}" }}\n'
        "outcome o at 第四条 { grants exempt }\n" + body
    )


def test_an_empty_cell_says_silent_opposite_or_judgment(tmp_path: Path) -> None:
    """x relieves a wrong grant; y excludes exactly that (the opposite); z excludes it only
    with abuse of power (a person must judge); w speaks of something else (silent)."""
    from conftest import new_project

    project = new_project(tmp_path)
    sources = project / "policies" / "sources"
    sources.mkdir()
    (sources / "ningbo.txt").write_bytes((ROOT / "policies/sources/ningbo.txt").read_bytes())
    bodies = {
        "x": "situation s at 第四条（一）2 { when wrong_grant }\n",
        "y": "situation s at 第四条（一）4 { when applicant_waived_assistance }\n"
        "exclusion e at 第五条（一） { when wrong_grant overrides all }\n",
        "z": "situation s at 第四条（一）4 { when applicant_waived_assistance }\n"
        "exclusion e at 第五条（六） { when wrong_grant and abused_power overrides all }\n",
        "w": "situation s at 第四条（一）4 { when applicant_waived_assistance }\n",
    }
    for pid, body in bodies.items():
        (project / "policies" / f"{pid}.policy").write_text(_policy(pid, body), encoding="utf-8")
    built = load_program(project)
    situations = tables(built, EXAMPLE_START, ["situations"])[0]
    row = next(r for r in situations.rows if r.key == "error_consequence")
    status = {c.policy: c.status for c in row.cells}
    assert status == {
        "w": Status.SILENT,
        "x": Status.STATED,
        "y": Status.OPPOSITE,
        "z": Status.JUDGMENT,
    }
    opposite = next(c for c in row.cells if c.policy == "y")
    assert opposite.entries[0].clause.citation == "第五条（一）"
    # And the other way round: the exclusions table sees x relieve what y excludes.
    exclusions = tables(built, EXAMPLE_START, ["exclusions"])[0]
    row = next(r for r in exclusions.rows if r.key == "error_consequence")
    assert {c.policy: c.status for c in row.cells}["x"] is Status.OPPOSITE
    csv_text = render.to_csv(situations).decode("utf-8-sig")
    assert "【相反规定】" in csv_text and "【需人工判断】" in csv_text


def test_cli_exits_1_on_check_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from conftest import new_project

    project = new_project(tmp_path)
    (project / "policies" / "x.policy").write_text("policy x {\n", encoding="utf-8")
    code = main(["--root", str(project), "tables", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1 and out == "" and "error" in err


def test_a_rule_s_polarity_is_made_once_and_is_what_its_conditions_read() -> None:
    """`rule_polarity`, kept for each rule of a program, is `polarity` of its conditions."""
    model = program()
    rules = [rule for policy in model.policies.values() for rule in policy.rules]
    assert len(rules) > 200
    for rule in rules:
        kept = comparison.rule_polarity(model, rule)
        found = comparison.polarity(model, *rule.conditions)
        assert kept == {name: frozenset(signs) for name, signs in found.items()}
        assert comparison.rule_polarity(model, rule) is kept
    # Some input is read both ways, some only under `not`: every kind of polarity is kept.
    kinds = {signs for rule in rules for signs in comparison.rule_polarity(model, rule).values()}
    assert {frozenset({True}), frozenset({False})} <= kinds


def test_a_policy_s_rules_by_concept_are_those_that_read_its_facts() -> None:
    """`_concept_rules`, indexed once per policy, gives the rules, in the policy's order, that
    read one of the concept's facts (its own or a city's related one): as every rule read."""
    model = program()
    found = 0
    for policy in model.policies.values():
        for concept in model.concepts.values():
            facts = {*concept.facts, *concept.related}
            reading = [rule for rule in policy.rules if facts & set(rule.reads)]
            assert list(comparison._concept_rules(model, policy, concept)) == reading
            found += len(reading)
    assert found > 20  # the four decisions read the concepts through many rules
    # A concept or a policy that is not the program's own is read as it is, not looked up.
    concept = next(iter(model.concepts.values()))
    stranger = replace(concept, facts=(), related=())
    policy = next(
        p for p in model.policies.values() if comparison._concept_rules(model, p, concept)
    )
    assert list(comparison._concept_rules(model, policy, stranger)) == []
    other = replace(policy, rules=policy.rules[:1])
    assert list(comparison._concept_rules(model, other, concept)) == [
        rule for rule in policy.rules[:1] if set(rule.reads) & {*concept.facts, *concept.related}
    ]
