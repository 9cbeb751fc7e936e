"""`policyc fmt`: the canonical layout changes whitespace only, keeps every comment, is idempotent
and deterministic, refuses a file that does not parse, and the project's own files are in it."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import compiler.atomic
from compiler import fmt
from compiler.cli import main
from compiler.parser import parse_text

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "policies").rglob("*.policy"))
NAMES = [str(p.relative_to(ROOT / "policies")) for p in FILES]
# Smaller files for the fuzzed variants (a format of the largest takes half a second).
SMALL = ["vocabulary.policy", "concepts.policy", "lucheng.policy", "cases/taierzhuang.policy"]


def _format(text: str) -> str:
    formatted, diagnostics = fmt.format_text(text, "x.policy")
    assert formatted is not None, diagnostics
    return formatted


def _comments(text: str) -> list[str]:
    """The comments of a file, outside strings (a `#` in a quote is not a comment)."""
    found: list[str] = []
    for line in text.split("\n"):
        code = re.sub(r'"([^"\\\n]|\\.)*"', lambda m: "_" * len(m.group()), line)
        if "#" in code:
            found.append(line[code.index("#") :].rstrip())
    return found


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "policies", root / "policies")
    return root


# ---------------------------------------------------------------- the project's files


@pytest.mark.parametrize("name", NAMES)
def test_project_file_is_canonical_idempotent_and_meaning_preserving(name: str) -> None:
    text = (ROOT / "policies" / name).read_text(encoding="utf-8")
    formatted = _format(text)
    assert formatted == text, "run `policyc fmt` on the project's files"
    assert _format(formatted) == formatted
    before, _ = parse_text(text, name)
    after, _ = parse_text(formatted, name)
    assert fmt.strip_spans(before) == fmt.strip_spans(after)
    assert _comments(formatted) == _comments(text)


def test_fmt_check_passes_on_the_project() -> None:
    assert main(["--root", str(ROOT), "fmt", "--check"]) == 0


def test_strip_spans_sees_a_changed_token() -> None:
    # The AST comparison that guards every write is not vacuous.
    a, _ = parse_text('fact x: int "甲"\n', "a")
    b, _ = parse_text('fact y: int "甲"\n', "a")
    c, _ = parse_text('\n\nfact   x:int   "甲"', "a")
    assert fmt.strip_spans(a) != fmt.strip_spans(b)
    assert fmt.strip_spans(a) == fmt.strip_spans(c)


# ---------------------------------------------------------------- fuzzed layouts

_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')
_BLANKS = st.sampled_from([" ", "  ", "\t", " \t ", "   "])


@st.composite
def _relaid(draw: st.DrawFn, text: str) -> str:
    """The same tokens in another layout: indentation scrambled, spaces between tokens changed,
    added where none are needed and removed where the tokens stay apart, trailing blanks, extra
    blank lines where there was one, other line endings.  Line breaks stay (they are kept)."""
    lines = []
    for line in text.split("\n"):
        if not line.strip():
            lines.append(draw(st.sampled_from(["", " ", "\t", "\n", "  \n "])))
            continue
        pieces = _STRING_OR_COMMENT.split(line.strip())
        kept = _STRING_OR_COMMENT.findall(line.strip())
        out = []
        for index, piece in enumerate(pieces):
            piece = re.sub(r" ", lambda _: draw(_BLANKS), piece)
            if draw(st.booleans()):
                piece = re.sub(r" ?([,():=%]) ?", r"\1", piece)  # tokens that need no space
            if draw(st.booleans()):
                piece = re.sub(r"([,(]) ?", lambda m: m.group(1) + draw(_BLANKS), piece)
            out.append(piece)
            if index < len(kept):
                out.append(kept[index])
        indent = draw(st.sampled_from(["", " ", "  ", "\t", "        ", "   \t"]))
        lines.append(indent + "".join(out) + draw(st.sampled_from(["", " ", "\t "])))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return newline.join("\n".join(lines).split("\n")) + draw(st.sampled_from(["", "\n", "\n\n"]))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), name=st.sampled_from(SMALL))
def test_any_layout_of_the_same_tokens_formats_to_the_canonical_text(
    data: st.DataObject, name: str
) -> None:
    text = (ROOT / "policies" / name).read_text(encoding="utf-8")
    relaid = data.draw(_relaid(text))
    assert _format(relaid) == text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    name=st.sampled_from(SMALL),
    comment=st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Cf")), max_size=20
    ),
)
def test_added_comments_survive_and_the_result_is_stable(
    data: st.DataObject, name: str, comment: str
) -> None:
    text = (ROOT / "policies" / name).read_text(encoding="utf-8")
    lines = text.split("\n")
    where = data.draw(st.integers(0, len(lines) - 1))
    note = "# " + comment.strip()
    inside_string = lines[where].count('"') % 2 == 1
    if data.draw(st.booleans()) or not lines[where].strip() or inside_string:
        lines.insert(where, note)  # a comment on a line of its own
    else:
        lines[where] += "   " + note  # after code
    edited = "\n".join(lines)
    formatted = _format(edited)
    assert _comments(formatted) == [c.rstrip() for c in _comments(edited)]
    assert _format(formatted) == formatted
    before, _ = parse_text(edited, name)
    after, _ = parse_text(formatted, name)
    assert fmt.strip_spans(before) == fmt.strip_spans(after)


# ---------------------------------------------------------------- rules


def test_canonical_layout_of_a_messy_file() -> None:
    messy = (
        '\n\n# vocabulary\nfact  x :int "数"   \n\n\n\n'
        'gate g at 一、 "甲" {\n\n  when   x>=3 and(x<=  5\n or x==9)  # why\n\n}\r\n'
        'tests t {\ncase c "乙" {given x=4,\nx = 5\nexpect applies}}'
    )
    assert _format(messy) == (
        "# vocabulary\n"
        'fact x: int "数"\n'
        "\n"
        'gate g at 一、 "甲" {\n'
        "    when x >= 3 and (x <= 5\n"
        "            or x == 9)  # why\n"
        "}\n"
        "tests t {\n"
        '    case c "乙" {\n'
        "        given x = 4,\n"
        "              x = 5\n"
        "        expect applies\n"
        "    }\n"
        "}\n"
    )


def test_a_header_on_several_lines_puts_its_brace_on_a_line_of_its_own() -> None:
    text = 'gate g at 一、\n"甲"\n"乙" {\nwhen x\n}\n'
    assert _format(text) == 'gate g at 一、\n    "甲"\n    "乙"\n{\n    when x\n}\n'
    assert (
        _format('gate g at 一、 "甲"\n{\nwhen x\n}\n') == 'gate g at 一、 "甲" {\n    when x\n}\n'
    )


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_become_lf(newline: str) -> None:
    text = (ROOT / "policies" / "vocabulary.policy").read_text(encoding="utf-8")
    assert _format(text.replace("\n", newline)) == text


def test_formatting_is_deterministic() -> None:
    text = (ROOT / "policies" / "concepts.policy").read_text(encoding="utf-8")
    messy = re.sub(r"\n    ", "\n\t", text)
    assert len({_format(messy) for _ in range(3)}) == 1


# ---------------------------------------------------------------- the command


def test_fmt_writes_changed_files_only_keeping_permissions(tmp_path: Path) -> None:
    root = _project(tmp_path)
    target = root / "policies" / "vocabulary.policy"
    canonical = target.read_bytes()
    target.write_bytes(canonical.replace(b"\n", b"\r\n").replace(b"    ", b"\t"))
    os.chmod(target, 0o640)
    other = root / "policies" / "concepts.policy"
    untouched = other.stat().st_mtime_ns
    assert main(["--root", str(root), "fmt", "--check"]) == 1
    assert target.read_bytes() != canonical  # --check writes nothing
    assert main(["--root", str(root), "fmt", "--diff"]) == 0
    assert main(["--root", str(root), "fmt"]) == 0
    assert target.read_bytes() == canonical
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert other.stat().st_mtime_ns == untouched
    assert main(["--root", str(root), "fmt", "--check"]) == 0
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]


def test_check_lists_the_files_and_diff_shows_the_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    target = root / "policies" / "vocabulary.policy"
    target.write_text(target.read_text(encoding="utf-8").replace("\n    ", "\n  "), "utf-8")
    assert main(["--root", str(root), "fmt", "--check", "--diff", str(target)]) == 1
    out, err = capsys.readouterr()
    assert "would reformat policies/vocabulary.policy" in err
    assert out.startswith("--- a/policies/vocabulary.policy\n+++ b/policies/vocabulary.policy\n")
    assert "\n-  " in out and "\n+    " in out


def test_a_file_with_a_syntax_error_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    broken = root / "policies" / "vocabulary.policy"
    messy = root / "policies" / "concepts.policy"
    broken.write_bytes(broken.read_bytes() + b"\nfact oops: \n")
    messy.write_bytes(messy.read_bytes().replace(b"\n    ", b"\n "))
    before = {p: p.read_bytes() for p in (broken, messy)}
    assert main(["--root", str(root), "fmt"]) == 1
    err = capsys.readouterr().err
    assert "error[E" in err and "vocabulary.policy" in err and "nothing written" in err
    assert {p: p.read_bytes() for p in (broken, messy)} == before
    assert main(["--root", str(root), "fmt", "--check"]) == 1


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert main(["--root", str(root), "fmt", str(root / "nosuch.policy")]) == 2
    (root / "policies" / "bad.policy").write_bytes(b'fact x: int "\xff"\n')
    assert main(["--root", str(root), "fmt", "--check"]) == 1  # not UTF-8: refused, as check does


def test_a_failing_write_leaves_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    target = root / "policies" / "vocabulary.policy"
    messy = target.read_bytes().replace(b"\n    ", b"\n  ")
    target.write_bytes(messy)

    def fail(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(compiler.atomic.os, "replace", fail)
    assert main(["--root", str(root), "fmt"]) == 2
    assert target.read_bytes() == messy
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]
