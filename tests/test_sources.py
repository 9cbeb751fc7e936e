"""Tests for compiler.sources: clause trees of the official texts, citations, quotes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion

from compiler.sources import (
    CitationSyntaxError,
    Clause,
    Segment,
    SourceDocument,
    SourceError,
    chinese_to_int,
    citation_of,
    int_to_chinese,
    load_source,
    normalize_for_quote,
    parse_citation,
    segment,
    source_from_bytes,
)

SOURCES = Path(__file__).resolve().parent.parent / "policies" / "sources"
POLICY_IDS = ("ningbo", "weihai", "yuquan", "taierzhuang", "lucheng")

# Loaded once: the documents are immutable and hypothesis dislikes function-scoped fixtures.
DOCS = {policy_id: load_source(SOURCES / f"{policy_id}.txt") for policy_id in POLICY_IDS}


def render_tree(doc: SourceDocument) -> str:
    """One line per clause, indented by depth: citation, line, marker, heading, own text."""
    out = [f"# {doc.policy_id}: {sum(1 for _ in doc.clauses())} clauses"]
    for clause in doc.clauses():
        indent = "  " * (len(clause.path) - 1)
        preview = " ".join(clause.own_text.split())[:30].rstrip()
        flags = " implicit" if clause.implicit else ""
        out.append(
            f"{indent}{clause.citation}  L{clause.line}  marker={clause.marker!r}"
            f"  heading={clause.heading!r}{flags}  | {preview}"
        )
    return "\n".join(out) + "\n"


def cites(clauses: tuple[Clause, ...] | list[Clause]) -> list[str]:
    return [c.citation for c in clauses]


def numbers(clause: Clause, kind: str) -> list[int]:
    return [c.number for c in clause.children if c.kind == kind]


def resolve(policy_id: str, citation: str) -> Clause:
    found = DOCS[policy_id].resolve(citation).clause
    assert found is not None, f"{policy_id}: {citation} did not resolve"
    return found


# ---------------------------------------------------------------- the five trees


@pytest.mark.parametrize("policy_id", POLICY_IDS, ids=POLICY_IDS)
def test_clause_tree_snapshot(policy_id: str, text_snapshot: SnapshotAssertion) -> None:
    assert render_tree(DOCS[policy_id]) == text_snapshot


@pytest.mark.parametrize("policy_id", POLICY_IDS, ids=POLICY_IDS)
def test_tree_invariants(policy_id: str) -> None:
    doc = DOCS[policy_id]
    assert doc.root.path == () and doc.root.citation == "" and doc.root.text == doc.text
    seen: set[str] = set()
    for clause in doc.clauses():
        assert clause.citation not in seen, f"duplicate citation {clause.citation}"
        seen.add(clause.citation)
        assert clause.text == doc.text[clause.start : clause.end]
        assert clause.text == clause.text.strip()
        assert clause.line == doc.line_col(clause.start)[0]
        assert clause.citation == citation_of(clause.path)
        assert clause.text.startswith(clause.marker)
        assert clause.implicit == (
            clause.marker == "" and clause.kind not in ("preamble", "signature")
        )
        # The children lie inside the clause, in order, without overlapping.
        pos = clause.start
        for child in clause.children:
            assert child.path[:-1] == clause.path
            assert pos <= child.start < child.end <= clause.end
            pos = child.end
        # Own text and children together are the whole text (up to blanks).
        parts = len(normalize_for_quote(clause.own_text)) + sum(
            len(normalize_for_quote(child.text)) for child in clause.children
        )
        assert parts == len(normalize_for_quote(clause.text))
    top = [c.start for c in doc.root.children]
    assert top == sorted(top)


@pytest.mark.parametrize("policy_id", POLICY_IDS, ids=POLICY_IDS)
def test_every_clause_is_found_at_its_path(policy_id: str) -> None:
    doc = DOCS[policy_id]
    for clause in doc.root.walk():
        assert doc.clause_at(clause.path) is clause
    assert doc.clause_at(()) is doc.root
    last = doc.root.children[-1].path
    assert doc.clause_at((Segment(last[0].kind, last[0].number + 1),)) is None
    assert doc.clause_at((*last, *last)) is None


def test_of_two_clauses_at_one_path_the_first_is_found() -> None:
    # Two annexes of one number make two clauses at one path (none of the five texts has
    # any): the first, as a walk through the text finds it.
    text = "一、甲。\n附件1\n表一\n附件1\n表二\n"
    doc = source_from_bytes(Path("twice.txt"), text.encode())
    first, second = (c for c in doc.root.walk() if c.kind == "annex")
    assert first.path == second.path and first.start < second.start
    assert doc.clause_at(first.path) is first


def test_ningbo_structure() -> None:
    root = DOCS["ningbo"].root
    assert cites(root.children) == [
        "序言",
        *[f"第{int_to_chinese(n)}条" for n in range(1, 9)],
        "落款",
        "附件",
    ]
    assert numbers(resolve("ningbo", "第三条"), "item") == [1, 2, 3, 4]
    article4 = resolve("ningbo", "第四条")
    assert numbers(article4, "item") == [1, 2, 3, 4]
    assert [numbers(group, "point") for group in article4.children] == [
        [1, 2, 3, 4, 5, 6],
        [7, 8],
        [9, 10, 11],
        [12, 13, 14, 15],
    ]
    assert [g.heading for g in article4.children] == [
        "社会救助经办环节",
        "救助对象动态管理环节",
        "救助待遇服务环节",
        "其他救助环节",
    ]
    assert numbers(resolve("ningbo", "第五条"), "item") == list(range(1, 8))
    assert numbers(resolve("ningbo", "第六条"), "item") == [1, 2, 3, 4]
    assert resolve("ningbo", "第六条").heading == "处理程序"
    assert resolve("ningbo", "第三条（一）").heading == "兜底保障，应救尽救"
    # The attachment note is closing matter, not part of 第八条.
    assert "附件" not in resolve("ningbo", "第八条").text
    assert resolve("ningbo", "落款").text == "附件：宁波市社会救助尽职免责申请表（样表）"
    assert resolve("ningbo", "附件").heading == "宁波市社会救助尽职免责申请表（样表）"


def test_weihai_structure() -> None:
    root = DOCS["weihai"].root
    assert cites(root.children) == ["序言", "一", "二", "三", "四", "五", "落款", "附件1", "附件2"]
    assert numbers(resolve("weihai", "三"), "item") == list(range(1, 21))
    assert numbers(resolve("weihai", "四"), "item") == [1, 2, 3, 4]
    assert numbers(resolve("weihai", "五"), "item") == [1, 2, 3, 4]
    assert [resolve("weihai", s).heading for s in "一二三四五"] == [
        "总体要求",
        "适用对象",
        "适用情形",
        "不予容错情形清单",
        "保障措施",
    ]
    # A page break inside an item does not start a clause; a stray leading space before a
    # real marker does not hide it.
    assert resolve("weihai", "四（二）").text.endswith("违法的；")
    assert resolve("weihai", "三（七）").marker == "（七）"
    # "1号）精神" is the preamble's, and "2.容错免责决定书" is the attachment list's.
    assert "1号）精神" in resolve("weihai", "序言").text
    signature = resolve("weihai", "落款").text
    assert signature.startswith("附件：1.容错申请表") and signature.endswith("2023年 10月 7日")
    assert "附件" not in resolve("weihai", "五（四）").text
    assert [resolve("weihai", a).heading for a in ("附件1", "附件2")] == [
        "容错申请表",
        "容错免责决定书",
    ]


def test_yuquan_structure() -> None:
    root = DOCS["yuquan"].root
    assert cites(root.children) == ["序言", *[f"第{int_to_chinese(n)}章" for n in range(1, 6)]]
    articles = [c for c in DOCS["yuquan"].clauses() if c.kind == "article"]
    assert [a.number for a in articles] == list(range(1, 23))
    assert [len(ch.children) for ch in root.children[1:]] == [2, 4, 5, 5, 6]
    # "第八条系统监督检查" has no space after its marker.
    assert resolve("yuquan", "第八条").marker == "第八条"
    assert numbers(resolve("yuquan", "第三条"), "item") == list(range(1, 8))
    assert numbers(resolve("yuquan", "第五条"), "item") == list(range(1, 10))
    assert numbers(resolve("yuquan", "第六条"), "point") == [1, 2, 3, 4]
    assert numbers(resolve("yuquan", "第七条"), "point") == [1, 2]
    assert numbers(resolve("yuquan", "第十七条"), "item") == list(range(1, 6))
    assert numbers(resolve("yuquan", "第十八条"), "item") == list(range(1, 10))
    assert numbers(resolve("yuquan", "第十九条"), "item") == [1, 2, 3, 4]
    assert numbers(resolve("yuquan", "第二十条"), "item") == [1, 2, 3, 4, 5]
    assert numbers(resolve("yuquan", "第二十一条"), "point") == [1, 2]
    # The metadata header, the cover letter and its date are the preamble's.
    preamble = resolve("yuquan", "序言").text
    assert preamble.startswith("索引号") and "2020年8月3日" in preamble


def test_yuquan_implicit_item() -> None:
    article4 = resolve("yuquan", "第四条")
    assert numbers(article4, "item") == [1, 2, 3]
    group = article4.children[0]
    assert group.implicit and group.marker == ""
    assert group.heading == "城乡低保、特困供养工作"
    assert group.citation == "第四条（一）"
    assert numbers(group, "point") == [1, 2, 3]
    assert [p.heading for p in group.children] == [
        "审核审批责任",
        "动态管理责任",
        "低保资金申请和发放责任",
    ]
    assert [s.kind for s in group.children[0].path] == ["chapter", "article", "item", "point"]
    assert resolve("yuquan", "第四条（一）1") is group.children[0]
    assert resolve("yuquan", "第四条（二）").marker == "(二)"


def test_taierzhuang_and_lucheng_structure() -> None:
    t = DOCS["taierzhuang"].root
    assert cites(t.children) == ["序言", "一", "二", "三", "四", "落款"]
    assert [len(s.children) for s in t.children[1:5]] == [4, 4, 2, 3]
    assert resolve("taierzhuang", "一").heading == "明确职责，全面推进社会救助审批权下放"
    assert resolve("taierzhuang", "落款").text == "台儿庄区人民政府\n\n2020年7月27日"
    # A paragraph after an item belongs to that item.
    assert "公示期为3天" in resolve("taierzhuang", "二（三）").text
    lc = DOCS["lucheng"].root
    assert cites(lc.children) == ["序言", "一", "二", "三", "四", "五", "落款"]
    assert [len(s.children) for s in lc.children[1:6]] == [0, 3, 7, 4, 3]
    assert resolve("lucheng", "落款").text.startswith("相关政策解读链接")
    assert "【返回顶部】" not in resolve("lucheng", "五（三）").text
    assert resolve("lucheng", "序言").text.startswith("索引号")


@pytest.mark.parametrize("policy_id", POLICY_IDS, ids=POLICY_IDS)
def test_sha256_matches_sha256sums(policy_id: str) -> None:
    sums = dict(
        reversed(line.split())
        for line in (SOURCES / "SHA256SUMS").read_text().splitlines()
        if line.strip()
    )
    doc = DOCS[policy_id]
    assert doc.sha256 == sums[f"{policy_id}.txt"]
    assert doc.policy_id == policy_id and doc.path == SOURCES / f"{policy_id}.txt"


# ---------------------------------------------------------------- marker recognition


def test_in_text_references_are_not_markers() -> None:
    text = (
        "标题\n"
        "第一条 总则。\n"
        "第一责任人要签字；\n"
        "（玉政办发〔2020〕51号）文件要求。\n"
        "《办法》第三条规定的。\n"
        "1.5倍以内。\n"
        "第二条 其他。\n"
    )
    root = segment(text)
    assert [c.citation for c in root.walk()][1:] == ["序言", "第一条", "第二条"]
    assert "第一责任人" in root.children[1].text


def test_numbering_must_continue() -> None:
    root = segment("一、甲\n（一）子。\n（三）跳号的。\n二、乙\n3.孤立的点。\n")
    assert [c.citation for c in root.walk()][1:] == ["一", "一（一）", "二"]
    assert "（三）跳号的" in root.children[0].children[0].text


def test_line_ending_open_continues() -> None:
    # A line ending in "，" cannot be followed by a new clause.
    root = segment("一、甲\n（一）第一项，\n（二）仍是第一项。\n（二）第二项。\n")
    items = root.children[0].children
    assert [c.citation for c in items] == ["一（一）", "一（二）"]
    assert items[1].line == 4


def test_annex_marker_needs_whole_line() -> None:
    root = segment("一、甲。\n附件：表一\n附件 2\n表二\n")
    assert [c.citation for c in root.children] == ["一", "落款", "附件2"]
    assert root.children[2].heading == "表二"


pieces = st.sampled_from(
    [
        "第一章",
        "第二条",
        "第三条",
        "一、",
        "二、",
        "（一）",
        "(二)",
        "（三）",
        "1.",
        "2、",
        "3．",
        "附件",
        "附件 1",
        "附件：",
        "甲",
        "乙，",
        "丙。",
        "的；",
        " ",
        "\u3000",
        "\n",
        "\n\n",
        "2023年10月7日",
        "某某局",
        "【返回顶部】",
    ]
)


@given(st.lists(pieces, max_size=40).map("".join))
def test_segment_never_breaks_its_invariants(text: str) -> None:
    root = segment(text)
    assert root.text == text
    for clause in root.walk():
        assert clause.text == text[clause.start : clause.end]
        pos = clause.start
        for child in clause.children:
            assert pos <= child.start < child.end <= clause.end
            pos = child.end
        parts = len(normalize_for_quote(clause.own_text)) + sum(
            len(normalize_for_quote(child.text)) for child in clause.children
        )
        assert parts == len(normalize_for_quote(clause.text))
    # Every non-blank character belongs to some top-level clause.
    assert sum(len(normalize_for_quote(c.text)) for c in root.children) == len(
        normalize_for_quote(text)
    )


# ---------------------------------------------------------------- citations


@pytest.mark.parametrize(
    ("citation", "expected"),
    [
        ("第四条（一）2", [("article", 4), ("item", 1), ("point", 2)]),
        ("第四条(一)2.", [("article", 4), ("item", 1), ("point", 2)]),
        ("第四条（一）2．", [("article", 4), ("item", 1), ("point", 2)]),
        ("第四条 12", [("article", 4), ("point", 12)]),
        ("三（十三）", [("section", 3), ("item", 13)]),
        ("三、（十三）", [("section", 3), ("item", 13)]),
        ("三、(十三)", [("section", 3), ("item", 13)]),
        ("第二十条（三）", [("article", 20), ("item", 3)]),
        ("第一百零五条", [("article", 105)]),
        ("第一章", [("chapter", 1)]),
        ("第二章第四条", [("chapter", 2), ("article", 4)]),
        ("十", [("section", 10)]),
        ("12", [("point", 12)]),
        ("2、", [("point", 2)]),
        ("附件", [("annex", 0)]),
        ("附件1", [("annex", 1)]),
        ("附件 2", [("annex", 2)]),
        ("附件二", [("annex", 2)]),
        ("序言", [("preamble", 0)]),
        ("落款", [("signature", 0)]),
        ("  第八条  ", [("article", 8)]),
    ],
)
def test_parse_citation(citation: str, expected: list[tuple[str, int]]) -> None:
    assert parse_citation(citation) == tuple(Segment(k, n) for k, n in expected)


@pytest.mark.parametrize(
    ("citation", "message"),
    [
        ("", "empty citation"),
        ("   ", "empty citation"),
        ("第四条x", "unexpected 'x' at position 4"),
        ("article 4", "unexpected 'a'"),
        ("第〇条", "bad number"),
        ("十十", "bad number"),
        ("（一）第四条", "cannot follow"),
        ("第四条第五条", "cannot follow"),
        ("1（一）", "cannot follow"),
        ("序言1", "cannot have sub-clauses"),
        ("第一条落款", "must stand alone"),
    ],
)
def test_parse_citation_errors(citation: str, message: str) -> None:
    with pytest.raises(CitationSyntaxError, match=message) as info:
        parse_citation(citation)
    assert isinstance(info.value, ValueError)


@given(st.integers(min_value=1, max_value=999))
def test_chinese_numerals_round_trip(number: int) -> None:
    assert chinese_to_int(int_to_chinese(number)) == number


segments = st.builds(
    Segment, st.sampled_from(["article", "section"]), st.integers(min_value=1, max_value=120)
)


@given(segments, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
def test_canonical_citations_round_trip(first: Segment, item: int, point: int) -> None:
    path = [first]
    if item:
        path.append(Segment("item", item))
    if point:
        path.append(Segment("point", point))
    assert parse_citation(citation_of(path)) == tuple(path)


def test_canonical_form() -> None:
    path = (Segment("chapter", 2), Segment("article", 4), Segment("item", 1), Segment("point", 2))
    assert citation_of(path) == "第四条（一）2"
    assert citation_of((Segment("chapter", 2),)) == "第二章"
    assert citation_of((Segment("section", 3), Segment("item", 13))) == "三（十三）"
    assert citation_of((Segment("annex", 0),)) == "附件"


# ---------------------------------------------------------------- resolution


def test_resolve_exact() -> None:
    found = DOCS["ningbo"].resolve("第四条（二）7")
    assert found.clause is not None and found.clause.citation == "第四条（二）7"
    assert found.candidates == (found.clause,) and not found.ambiguous
    assert resolve("weihai", "三、(十三)").citation == "三（十三）"
    assert resolve("weihai", "附件 1").kind == "annex"
    assert resolve("ningbo", "附件").number == 0


@pytest.mark.parametrize(
    ("policy_id", "citation", "expected"),
    [
        ("ningbo", "第四条 12", "第四条（四）12"),  # skips the group （四）
        ("ningbo", "第四条12.", "第四条（四）12"),
        ("ningbo", "12", "第四条（四）12"),  # unique anywhere
        ("yuquan", "第三条", "第三条"),  # skips 第二章
        ("yuquan", "第二章第三条", "第三条"),
        ("yuquan", "第四条1", "第四条（一）1"),  # skips the implicit item
        ("yuquan", "第四条（一）1", "第四条（一）1"),
        ("yuquan", "第一章", "第一章"),
    ],
)
def test_resolve_skipping_levels(policy_id: str, citation: str, expected: str) -> None:
    assert resolve(policy_id, citation).citation == expected


def test_resolve_ambiguous() -> None:
    found = DOCS["weihai"].resolve("（一）")
    assert found.clause is None and found.ambiguous
    assert cites(found.candidates) == ["三（一）", "四（一）", "五（一）"]
    assert cites(DOCS["yuquan"].resolve("1").candidates) == [
        "第四条（一）1",
        "第六条1",
        "第七条1",
        "第二十一条1",
    ]


@pytest.mark.parametrize(
    ("policy_id", "citation", "suggested"),
    [
        ("weihai", "三（二十一）", "三（二十）"),
        ("weihai", "六", "五"),
        ("ningbo", "第三条 12", "第四条（四）12"),
        ("ningbo", "第四条（五）", "第四条（四）"),
        ("ningbo", "第九条", "第八条"),
        ("ningbo", "附件1", "附件"),
        ("yuquan", "第一章第三条", "第三条"),  # 第三条 is in 第二章
        ("yuquan", "第二十三条", "第二十二条"),
    ],
)
def test_resolve_missing_suggests(policy_id: str, citation: str, suggested: str) -> None:
    found = DOCS[policy_id].resolve(citation)
    assert found.clause is None and found.candidates == ()
    assert suggested in found.suggestions
    assert len(found.suggestions) <= 5


def test_resolve_bad_syntax_raises() -> None:
    with pytest.raises(CitationSyntaxError):
        DOCS["ningbo"].resolve("第四条?")


# ---------------------------------------------------------------- quotes


def test_normalize_for_quote_strips_only_whitespace() -> None:
    text = " 或者严重违纪\n 违法的；\u3000\xa0\t\r\n，,"
    assert normalize_for_quote(text) == "或者严重违纪违法的；，,"


@pytest.mark.parametrize(
    ("citation", "quote"),
    [
        ("四（二）", "或者严重违纪违法的"),  # a page break and a stray space
        ("四（二）", "或者严重违纪\n违法的；"),
        ("三（十四）", "入户巡访、邻里走访等工作，因申请人、在册对象"),
        ("三（一）", "推进社会救助体制机制创新工作中先行先试"),  # a blank line
        ("三", "可以依照有关规定予以容错处理"),  # the section's own text
        ("三", "造成错保救助的"),  # a child's text is part of the parent's
        ("五（二）", "应在 7个工作日内"),
        ("五（二）", "应在7个工作日内"),
    ],
)
def test_quote_across_line_and_page_breaks(citation: str, quote: str) -> None:
    doc = DOCS["weihai"]
    check = doc.verify_quote(resolve("weihai", citation), quote)
    assert check.ok and check.similarity == 1.0 and check.nearest == ""


def test_tampered_quote_gives_nearest_passage() -> None:
    doc = DOCS["weihai"]
    check = doc.verify_quote(resolve("weihai", "四（二）"), "或者严重违记违法的")
    assert not check.ok
    assert check.nearest == "或者严重违纪 违法的"  # as in the source, blanks collapsed
    assert 0.85 < check.similarity < 1.0


def test_punctuation_width_is_not_normalized() -> None:
    doc = DOCS["ningbo"]
    clause = resolve("ningbo", "第三条（一）")
    assert doc.verify_quote(clause, "兜底保障，应救尽救").ok
    check = doc.verify_quote(clause, "兜底保障,应救尽救")
    assert not check.ok and check.nearest == "兜底保障，应救尽救"


def test_quote_is_checked_against_its_own_clause() -> None:
    doc = DOCS["weihai"]
    check = doc.verify_quote(resolve("weihai", "四（一）"), "或者严重违纪违法的")
    assert not check.ok and 0.0 <= check.similarity < 1.0


def test_empty_quote_is_not_ok() -> None:
    doc = DOCS["weihai"]
    check = doc.verify_quote(resolve("weihai", "四（一）"), " \n ")
    assert not check.ok and check.similarity == 0.0


def test_long_tampered_quote_in_long_clause() -> None:
    doc = DOCS["yuquan"]
    clause = resolve("yuquan", "第四条")
    original = normalize_for_quote(clause.text)[400:700]
    tampered = original[:150] + "错" + original[151:]
    check = doc.verify_quote(clause, tampered)
    assert not check.ok and check.similarity > 0.98
    assert normalize_for_quote(check.nearest) == original


def test_unrelated_quote() -> None:
    doc = DOCS["ningbo"]
    check = doc.verify_quote(resolve("ningbo", "第七条"), "完全不相干的话")
    assert not check.ok and check.similarity < 0.5 and check.nearest


# ---------------------------------------------------------------- documents


def test_line_col() -> None:
    doc = DOCS["weihai"]
    clause = resolve("weihai", "三（七）")
    assert doc.line_col(clause.start) == (84, 2)  # after the stray space
    assert doc.line_col(0) == (1, 1)
    with pytest.raises(ValueError, match="outside the text"):
        doc.line_col(len(doc.text) + 1)


def test_load_source_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    with pytest.raises(SourceError, match=r"missing\.txt") as info:
        load_source(missing)
    assert info.value.path == missing
    bad = tmp_path / "bad.txt"
    bad.write_bytes("第一条".encode("gbk"))
    with pytest.raises(SourceError, match=r"bad\.txt"):
        load_source(bad)
