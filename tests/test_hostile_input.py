"""Hostile and careless input (issue: hardening, "Security" and "Wrong acceptance"): what looks
like one thing and means another is diagnosed, reports cannot be forged, records are read
strictly.  Every test here failed before its fix."""

from __future__ import annotations

import io
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import new_project

from compiler.cli import main
from compiler.interpret import info
from compiler.lower import load_program
from compiler.parser import decode, parse_text

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = load_program(ROOT)
RECORD = {
    "taierzhuang_case_programme": "dibao",
    "taierzhuang_application_date": "2024-09-27",
    "taierzhuang_checked_date": "2024-10-21",
    "taierzhuang_approval_date": "2024-10-25",
    "objection_raised": False,
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--root", str(ROOT), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def check_text(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: bytes) -> tuple[int, str]:
    (tmp_path / "policies").mkdir(exist_ok=True)
    (tmp_path / "policies" / "x.policy").write_bytes(text)
    code = main(["--root", str(tmp_path), "check"])
    return code, capsys.readouterr().err


# ---------------------------------------------------------------- policy files


def test_digits_of_other_scripts_are_not_numbers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # `1৪` looks like 18 and, read with Python's \d, meant 14.
    text = "deadline d at 第一条 { within 1৪ workdays from a until b }\n".encode()
    code, err = check_text(capsys, tmp_path, text)
    assert code == 1
    assert "error[E002]: unexpected character '৪'" in err
    assert "ASCII digits 0-9" in err


@pytest.mark.parametrize(
    ("where", "char"),
    [
        ('title "a\u202eb"', "U+202E"),  # RIGHT-TO-LEFT OVERRIDE in a string
        ("# note \u2066hidden\u2069", "U+2066"),  # isolates in a comment
        (
            "# a comment\u2028situation s at 第一条 { when a }",
            "U+2028",
        ),  # a line break only to eyes
        ("# bell \x07", "U+0007"),
        ("sta\u200btus in_force", "U+200B"),  # a keyword that reads as `status`
        ('title "a\u200db"', "U+200D"),  # ZERO WIDTH JOINER in a string
        ("# word\u2060joiner", "U+2060"),
        ('title "a\ufeffb"', "U+FEFF"),  # a BOM past the file's start
    ],
)
def test_characters_that_hide_or_reorder_text_are_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, where: str, char: str
) -> None:
    code, err = check_text(capsys, tmp_path, f"{where}\n".encode())
    assert code == 1
    assert f"error[E006]: the invisible character {char}" in err
    assert "policies/x.policy:1:" in err


def test_a_file_with_cr_line_endings_is_read_line_by_line() -> None:
    lf = (ROOT / "policies" / "vocabulary.policy").read_bytes()
    for ending in (b"\r", b"\r\n"):
        text, problems = decode(lf.replace(b"\n", ending), "vocabulary.policy")
        assert text is not None and problems == []
        module, errors = parse_text(text, "vocabulary.policy")
        reference, _ = parse_text(lf.decode(), "vocabulary.policy")
        assert errors == [] and module is not None and reference is not None
        assert len(module.items) == len(reference.items) > 10


# ---------------------------------------------------------------- records and facts


def write_records(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def validate(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "validate", "--policy", "taierzhuang", str(path), *extra)


@pytest.mark.parametrize("name", ["cases.json", "cases.jsonl"])
def test_a_field_given_twice_is_refused_not_the_last_one_kept(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    late, on_time = (
        '"taierzhuang_approval_date": "2024-12-25"',
        '"taierzhuang_approval_date": "2024-10-25"',
    )
    body = json.dumps(RECORD, ensure_ascii=False)[:-1] + f", {late}, {on_time}}}"
    path = write_records(tmp_path, name, body + "\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert "'taierzhuang_approval_date' is given twice" in err


def test_facts_given_twice_are_refused_by_decide(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_records(
        tmp_path, "facts.json", '{"objection_raised": true, "objection_raised": false}'
    )
    code, _, err = run(capsys, "decide", "taierzhuang", "--facts", str(path))
    assert code == 2 and "given twice" in err


def test_facts_on_stdin_may_carry_a_bom(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('\ufeff{"objection_raised": false}'))
    code, out, err = run(capsys, "decide", "taierzhuang", "--facts", "-", "--json")
    assert code == 0, err
    assert json.loads(out)["policy"] == "taierzhuang"


def test_a_csv_quote_never_closed_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    header = "id,taierzhuang_case_programme,taierzhuang_application_date,taierzhuang_approval_date"
    rows = ['A,dibao,"2024-09-27,2024-10-25', "B,dibao,2024-09-27,2024-12-25"]
    path = write_records(tmp_path, "cases.csv", "\n".join([header, *rows]) + "\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert "not valid CSV" in err


def test_a_csv_row_with_too_few_cells_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    header = "id,taierzhuang_case_programme,taierzhuang_application_date,taierzhuang_approval_date"
    path = write_records(tmp_path, "cases.csv", f"{header}\nA,dibao,2024-09-27\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert "fewer cells than the header" in err


def test_the_format_is_known_before_anything_is_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    endless = tmp_path / "cases.bin"
    endless.symlink_to("/dev/zero")
    code, _, err = validate(capsys, endless)
    assert code == 2 and "unknown format '.bin'" in err


# ---------------------------------------------------------------- reports cannot be forged

HOSTILE_IDS = [
    "A\x00B",
    "C\x1b[2K\rD",  # erase the line, return: hides what came before on a terminal
    "E\nTEZ-9: decision applies",  # forges a line of the text report
    "F\uffffG",
    "J\u202eK",
]


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_reports_carry_any_record_id_safely(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    lines = [json.dumps({**RECORD, "id": record_id}) for record_id in HOSTILE_IDS]
    path = write_records(tmp_path, "cases.jsonl", "\n".join(lines) + "\n")
    code, out, err = validate(capsys, path, "--format", fmt)
    assert code in (0, 1), err
    out.encode("utf-8")  # every character can be written
    if fmt == "junit":
        suite = ET.fromstring(out.encode("utf-8"))  # well-formed XML
        assert suite.tag == "testsuite"
    elif fmt == "json":
        assert [r["id"] for r in json.loads(out)["records"]] == HOSTILE_IDS
    else:
        assert not any(c in out for c in "\x00\x1b\r\uffff\u202e\ud800")
        assert "\nTEZ-9: decision applies" not in out
        assert "E\\x0aTEZ-9" in out or all(not line.startswith("TEZ-9") for line in out.split("\n"))


def test_every_junit_report_of_the_test_data_is_well_formed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = [
        p
        for p in sorted((ROOT / "tests" / "data" / "cases").iterdir())
        if "malformed" not in p.name
    ]
    assert files
    for path in files:
        policy = path.name.split("_", 1)[0]
        code, out, err = run(capsys, "validate", "--policy", policy, str(path), "--format", "junit")
        assert code in (0, 1), (path, err)
        ET.fromstring(out.encode("utf-8"))


# ---------------------------------------------------------------- exit codes mean one thing


def test_an_internal_error_is_exit_3_in_one_line_never_findings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import compiler.runtime.cli as runtime_cli
    from compiler.interpret import info
    from compiler.lower import load_program

    def exhausted(*_args: object) -> object:
        raise MemoryError

    monkeypatch.setattr(runtime_cli, "decide_json", exhausted)
    program = load_program(ROOT)
    policies = {"taierzhuang": info(program, program.policies["taierzhuang"])}
    monkeypatch.setattr(sys, "stdin", io.StringIO("{}"))
    code = runtime_cli.main(["decide", "--policy", "taierzhuang", "--facts", "-"], policies, "pv")
    err = capsys.readouterr().err
    assert code == 3 and err == "pv: internal error: out of memory\n"


def test_a_closed_stdout_is_not_an_internal_error() -> None:
    import subprocess

    policyc = Path(sys.executable).with_name("policyc")
    process = subprocess.Popen(
        [policyc, "--root", ROOT, "dump", "--ir"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # as `| head -0` does: gone before the first line is written
    code = process.wait(timeout=120)
    err = process.stderr.read().decode()
    assert code == 141, err
    assert "Traceback" not in err and "internal error" not in err


# ---------------------------------------------------------------- limits the language sets


def test_a_time_limit_longer_than_a_century_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = "deadline d at 第一条 { within 999999999999 days from a until b }\n"
    code, err = check_text(capsys, tmp_path, text.encode())
    assert code == 1
    assert "error[E013]: a time limit of 999999999999 days is longer than any policy sets" in err


@pytest.mark.parametrize(
    "condition",
    ["(" * 500 + "a" + ")" * 500, "not " * 1000 + "a", " + ".join(["n"] * 500) + " > 2"],
    ids=["parentheses", "nots", "sum"],
)
def test_deep_nesting_is_a_diagnostic_not_a_recursion_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, condition: str
) -> None:
    header = 'policy x {\n    title "t"\n    decision d "d"\n}\nfact n: int "n"\n'
    text = f"{header}situation s at 第一条 {{ when {condition} }}\n"
    code, err = check_text(capsys, tmp_path, text.encode())
    assert code == 1
    assert "error[E014]: an expression nested more than 100 levels deep" in err
    assert "internal error" not in err


def test_the_deepest_policy_of_the_project_is_far_from_the_limit() -> None:
    from lark import Tree

    from compiler.parser import MAX_NESTING, _lark

    def depth(tree: Tree[object]) -> int:
        deepest, stack = 0, [(tree, 1)]
        while stack:
            node, level = stack.pop()
            deepest = max(deepest, level)
            stack += [(c, level + 1) for c in node.children if isinstance(c, Tree)]
        return deepest

    files = sorted((ROOT / "policies").rglob("*.policy"))
    assert max(depth(_lark().parse(p.read_text(encoding="utf-8"))) for p in files) < MAX_NESTING / 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["test", "nosuch"], "no policy nosuch"),
        (["check", "{empty}"], "no .policy files in"),
        (["check", "/dev/null"], "not a regular file: /dev/null"),
        # An editor's copy, named: it was reported clean without being read.
        (["check", "{copy}"], "not a policy file (its name must end in .policy)"),
        (["fmt", "--check", "{copy}"], "not a policy file"),
    ],
)
def test_naming_nothing_is_an_error_not_everything(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    copy = ROOT / "policies" / "weihai.policy"
    (tmp_path / "weihai.policy.txt").write_bytes(b"garbage {{{\n" + copy.read_bytes())
    argv = [
        a.replace("{empty}", str(tmp_path / "none")).replace(
            "{copy}", str(tmp_path / "weihai.policy.txt")
        )
        for a in argv
    ]
    (tmp_path / "none").mkdir()
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err


# ---------------------------------------------------------------- new documents, odd shapes


@pytest.mark.parametrize(
    "body",
    [
        "（一）第一项。\n（二）第二项。\n",
        "1.第一点。\n2.第二点。\n",
        "一、甲。\n（一）乙。\n1.丙。\n",
    ],
    ids=["items_at_top", "points_at_top", "three_levels"],
)
def test_a_skeleton_of_any_shape_passes_its_own_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, body: str
) -> None:
    project = new_project(tmp_path)
    source = tmp_path / "draft.txt"
    source.write_text(f"标题\n{body}", encoding="utf-8")
    assert main(["--root", str(project), "new", str(source)]) == 0
    code = main(["--root", str(project), "check"])
    err = capsys.readouterr().err
    assert code == 0, err


def test_quotes_of_one_long_clause_are_checked_in_linear_time(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 1,500 repeated `一、` sections are one clause; each of its 1,500 quotes was checked
    # against the whole clause made anew (quadratic).  The blank-free text is made once.
    from compiler.sources import _blanks_removed, _without_blanks

    project = new_project(tmp_path)
    source = tmp_path / "rep.txt"
    lines = "".join(f"一、第{i}段内容。\n" for i in range(1500))
    source.write_text(f"标题\n{lines}", encoding="utf-8")
    assert main(["--root", str(project), "new", str(source)]) == 0
    _without_blanks.cache_clear()
    _blanks_removed.cache_clear()
    assert main(["--root", str(project), "check"]) == 0, capsys.readouterr().err
    # Found quotes need only the blank-free text; the positions are for a quote not found.
    info = _blanks_removed.cache_info()
    assert info.hits >= 1499 and info.misses <= 3
    assert _without_blanks.cache_info().misses <= 3


def test_an_article_cited_in_arabic_digits_is_explained(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "due", "yuquan", "第4条", "--start", "2024-01-02")
    assert code == 2
    assert "in Chinese numerals: 第四条, not 第4条" in err


def test_an_end_before_its_start_is_a_finding_not_in_time(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    reversed_dates = {**RECORD, "id": "R", "taierzhuang_approval_date": "2024-09-20"}
    path = write_records(tmp_path, "cases.jsonl", json.dumps(reversed_dates) + "\n")
    code, out, _ = validate(capsys, path)
    assert code == 1
    assert "is before taierzhuang_application_date 2024-09-27: the dates are out of order" in out


def test_the_python_api_names_an_unknown_time_limit() -> None:
    from compiler.runtime.policy import UnknownName

    policy = info(PROGRAM, PROGRAM.policies["yuquan"])
    with pytest.raises(UnknownName, match="yuquan has no time limit 'unknown'; it has: "):
        policy.limit("unknown")
    with pytest.raises(UnknownName, match="yuquan has no rule 'nowhere'"):
        policy.rule("nowhere")


def test_a_calendar_file_nested_too_deeply_is_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # json.loads recursed once per level: 100,000 `[` were an internal error (RecursionError).
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code, _, err = run(capsys, "due", "taierzhuang", "二（三）", "--start", "2024-10-01",
                       "--calendar", str(deep))  # fmt: skip
    assert code == 2
    assert "nested too deeply" in err
    assert "internal error" not in err


@pytest.mark.parametrize(
    ("policy", "record", "expected"),
    [
        # A year is not a whole number of days: the comparison is refused, never guessed.
        (
            "yuquan",
            {"yuquan_record_retention": "3650 days", "yuquan_records_destroyed_arbitrarily": False},
            "cannot compare 3650 days with 10 years",
        ),
        (
            "yuquan",
            {
                "yuquan_record_retention": "5 workdays",
                "yuquan_records_destroyed_arbitrarily": False,
            },
            "cannot compare 5 workdays with 10 years",
        ),
        # 9999-12-31 + 1 years is past the last date there is.
        (
            "lucheng",
            {"lucheng_assistance_end_date": "9999-12-31", "lucheng_inclusion_date": "9999-12-31"},
            "9999-12-31 + 1 years is after 9999-12-31",
        ),
    ],
    ids=["days-vs-years", "workdays-vs-years", "year-9999"],
)
def test_what_a_record_cannot_compute_is_a_per_record_error(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    policy: str,
    record: dict[str, object],
    expected: str,
) -> None:
    # Both were internal errors (FactError, ValueError: year 10000 is out of range).
    path = write_records(tmp_path, "cases.json", json.dumps([{"id": "r1", **record}]))
    code, _, err = run(capsys, "validate", "--policy", policy, str(path))
    assert code == 2
    assert err.startswith("policyc: record r1: ")
    assert expected in err
    assert "internal error" not in err


def test_years_and_months_still_compare_exactly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    record = {"id": "r1", "yuquan_record_retention": "120 months",
              "yuquan_records_destroyed_arbitrarily": False}  # fmt: skip
    path = write_records(tmp_path, "cases.json", json.dumps([record]))
    code, out, _ = run(capsys, "validate", "--policy", "yuquan", str(path))
    assert code == 0
    assert "pass 1" in out


HUGE = 1_000_000


@pytest.mark.parametrize(
    "case",
    ["record-value", "record-field", "facts-value", "facts-duration", "start", "policy", "clause"],
)
def test_a_huge_invalid_value_is_shown_by_its_start_and_length(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    # Messages repeated the refused value up to the whole message's cut (2,000 characters);
    # now a value is shown by its first 80 characters and its length.
    big = "9" * HUGE
    argv: tuple[str, ...]
    if case.startswith("record"):
        record = {"id": "r1", "taierzhuang_application_date": big}
        if case == "record-field":
            record = {"id": "r1", big: 1}
        path = write_records(tmp_path, "cases.json", json.dumps([record]))
        argv = ("validate", "--policy", "taierzhuang", str(path))
    elif case.startswith("facts"):
        facts = {"objection_raised": big}
        if case == "facts-duration":
            facts = {"yuquan_record_retention": "1 " + big}
        path = write_records(tmp_path, "facts.json", json.dumps(facts))
        policy = "yuquan" if case == "facts-duration" else "taierzhuang"
        argv = ("decide", policy, "--facts", str(path))
    elif case == "start":
        argv = ("due", "taierzhuang", "二（三）", "--start", big[:100_000])
    elif case == "policy":
        argv = ("decide", "p" * 100_000, "--facts", "-")
    else:
        argv = ("due", "taierzhuang", "三" * 20_000, "--start", "2024-10-01")
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "characters)" in err
    assert len(err) < 600, err[:200]


@pytest.mark.parametrize(
    ("text", "line", "shown"),
    [
        # The invalid-UTF-8 diagnostic cut lines with splitlines(): U+2028 or NEL on line 1
        # showed line 2 under the caret of line 3.
        (b"# a \xe2\x80\xa8 b\n# second\n# third \xff bad\n", 3, "# third \ufffd bad"),
        (b"# a \xc2\x85 b\n# second\n# third \xff bad\n", 3, "# third \ufffd bad"),
        # CR-only line endings: the column counted from the file's start, line 1 shown.
        (b"# a\r# second\r# third \xff bad\r", 3, "# third \ufffd bad"),
    ],
    ids=["u2028", "nel", "cr"],
)
def test_a_bad_byte_is_shown_on_its_own_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: bytes, line: int, shown: str
) -> None:
    code, err = check_text(capsys, tmp_path, text)
    assert code == 1
    assert f"x.policy:{line}:9: error[E001]" in err
    assert f" {line} | {shown}\n" in err


def test_a_policy_file_over_the_size_limit_is_refused_before_parsing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A 10 MB one-line expression took 33 s (about 3 s a megabyte, linear); the largest file
    # of the project is 65 KB.  Over 1 MiB a file is refused at once.
    line = "# " + "x" * 1000 + "\n"
    text = (line * (1_048_576 // len(line) + 1)).encode()
    code, err = check_text(capsys, tmp_path, text)
    assert code == 1
    assert "error[E015]: the file is larger than 1,048,576 bytes, the most a policy" in err


def test_the_largest_policy_of_the_project_is_far_from_the_size_limit() -> None:
    from compiler.parser import MAX_FILE_BYTES

    largest = max(p.stat().st_size for p in (ROOT / "policies").rglob("*.policy"))
    assert largest * 10 < MAX_FILE_BYTES


@pytest.mark.parametrize(
    ("rows", "line"),
    [
        ("r1," + "x" * 200_000 + "\n", 2),
        ('r1,dibao\nr2,"a\nb' + "x" * 200_000 + '"\n', 3),
    ],
    ids=["plain", "quoted-over-lines"],
)
def test_a_csv_cell_over_the_size_limit_names_its_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, rows: str, line: int
) -> None:
    # It said "cases.csv:1: not valid CSV: field larger than field limit (131072)": the line
    # before the record, in Python's words.
    path = write_records(tmp_path, "cases.csv", "id,taierzhuang_case_programme\n" + rows)
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"cases.csv:{line}: the record starting here has a cell longer than 131,072" in err


# ---------------------------------------------------------------- tables, fmt, site, serve


def test_tables_never_replace_a_file_they_did_not_write(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # `--out DIR` replaced DIR/duties.md, whatever it was: a user's notes of that name were lost.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "duties.md").write_text("precious\n", encoding="utf-8")
    code, _, err = run(capsys, "tables", "--out", str(mine))
    assert code == 2
    assert "not written by policyc tables" in err and "nothing was changed" in err
    assert (mine / "duties.md").read_text(encoding="utf-8") == "precious\n"
    assert sorted(p.name for p in mine.iterdir()) == ["duties.md"]


@pytest.mark.parametrize("where", [".", "policies"])
def test_tables_refuse_the_project_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, where: str
) -> None:
    project = new_project(tmp_path / "p")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    code = main(["--root", str(project), "tables", "--out", str(project / where)])
    err = capsys.readouterr().err
    assert code == 2
    assert "is not empty and was not written by policyc tables" in err
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_tables_rewrite_their_own_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "t"
    assert run(capsys, "tables", "duties", "--out", str(out))[0] == 0
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")  # added beside the tables
    (out / "duties.md").write_text("stale\n", encoding="utf-8")  # a table of an older run
    code, _, err = run(capsys, "tables", "duties", "sanctions", "--out", str(out))
    assert code == 0, err
    assert (out / "duties.md").read_text(encoding="utf-8").startswith("## ")
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert {"duties.md", "sanctions.md", "notes.txt"} <= {p.name for p in out.iterdir()}


def _loop(tmp_path: Path) -> Path:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    return tmp_path / "a"


def _file(tmp_path: Path) -> Path:
    (tmp_path / "f").write_text("x\n", encoding="utf-8")
    return tmp_path / "f"


def _dangling(tmp_path: Path) -> Path:
    (tmp_path / "d").symlink_to(tmp_path / "nowhere" / "x")
    return tmp_path / "d"


def _table_name_taken(tmp_path: Path) -> Path:
    # A folder of tables (its marker lists duties.md) where duties.md became a folder.
    from compiler.build import TABLES_MARKER

    (tmp_path / "t" / "duties.md").mkdir(parents=True)
    marker = {"written_by": "policyc tables", "files": ["duties.md"]}
    (tmp_path / "t" / TABLES_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return tmp_path / "t"


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_file, "is a file, not a folder"),
        (_dangling, "a symbolic link to"),
        (_loop, "a symbolic link to"),
        (_table_name_taken, "duties.md"),
    ],
    ids=["file", "dangling_link", "link_loop", "table_name_is_a_folder"],
)
def test_tables_out_that_cannot_be_a_folder_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, make: Any, says: str
) -> None:
    # These said "cannot write X: File exists", or named the folder for its content.
    out = make(tmp_path)
    code, _, err = run(capsys, "tables", "duties", "--out", str(out))
    assert code == 2
    assert says in err
    assert "File exists" not in err and "internal error" not in err


@pytest.mark.parametrize("verb", ["fmt", "check"])
def test_a_symlink_loop_among_the_paths_is_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, verb: str
) -> None:
    # pathlib's resolve() raises RuntimeError on a loop: it was an internal error (exit 3).
    project = new_project(tmp_path / "p")
    loop = _loop(tmp_path)
    code = main(["--root", str(project), verb, str(loop)])
    err = capsys.readouterr().err
    assert code == 2
    assert "symbolic link loop" in err and "internal error" not in err


def test_fmt_through_a_symlink_formats_its_target_and_keeps_the_link(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = new_project(tmp_path / "p")
    target = tmp_path / "real.txt"
    target.write_text("#   c\n\n\n\n# d\n", encoding="utf-8")
    link = project / "policies" / "link.policy"
    link.symlink_to(target)
    assert main(["--root", str(project), "fmt", str(link)]) == 0
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == "#   c\n\n# d\n"


@pytest.mark.parametrize("port", ["0", "65536", "-1", "abc", "80.5", ""])
def test_serve_refuses_a_port_out_of_range(capsys: pytest.CaptureFixture[str], port: str) -> None:
    # Each is refused before anything is built or bound (argparse's own exit, or policyc's).
    try:
        code: object = main(["--root", str(ROOT), "serve", "--port", port])
    except SystemExit as exited:
        code = exited.code
    assert code == 2
    err = capsys.readouterr().err
    assert "--port" in err and "Traceback" not in err


@pytest.mark.parametrize("where", [".", "policies", "file"])
def test_site_refuses_a_foreign_out_before_building(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # The refusal came after the whole site was rendered (seconds of MkDocs for nothing); now
    # the folder is looked at first, and nothing is rendered.
    from compiler.backends.site import build as site_build

    def render(*args: object, **kwargs: object) -> list[str]:
        raise AssertionError("the site was rendered for a folder it may not write")

    monkeypatch.setattr(site_build, "render", render)
    project = new_project(tmp_path / "p")
    (project / "file").write_text("x\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    code = main(["--root", str(project), "site", "--out", str(project / where)])
    err = capsys.readouterr().err
    assert code == 2
    assert "nothing was changed" in err or "is a file, not a folder" in err
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


# ---------------------------------------------------------------- one message for `due`


def test_policyc_due_offers_the_clause_meant_by_an_ambiguous_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # It listed 一（三）, 二（三）, 四（三） and stopped; the package's `due` offered 二（三）.
    code, _, err = run(capsys, "due", "taierzhuang", "（三）", "--start", "2024-09-27")
    assert code == 2
    assert (
        "the clause （三） is ambiguous in taierzhuang: it could be 一（三）, 二（三）, 四（三）; "
        "did you mean 二（三）?"
    ) in err


def test_policyc_due_and_the_package_say_one_thing_for_a_clause_without_limits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from compiler.runtime.cli import no_limit_message

    code, _, err = run(capsys, "due", "taierzhuang", "一（三）", "--start", "2024-09-27")
    assert code == 2
    tables = info(PROGRAM, PROGRAM.policies["taierzhuang"])
    assert err == f"policyc: {no_limit_message(tables, '一（三）')}\n"
    assert "has no time limit; clauses with limits: 二（三）" in err


def test_an_item_number_is_not_the_ending_of_a_longer_number() -> None:
    # （三） ends 二（三）; 一（三） does not end 十一（三）, nor 2 the point 12.
    from compiler.runtime.cli import _ends_with

    assert _ends_with("二（三）", "（三）")
    assert _ends_with("第四条（一）2", "（一）2")
    assert not _ends_with("十一（三）", "一（三）")
    assert not _ends_with("第四条（一）12", "2")
    assert not _ends_with("二（三）", "二（三）")
