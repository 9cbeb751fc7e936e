"""The diagnostics corpus: malformed policy files and what `policyc check` says about them.

Each file in tests/corpus/ has one defect (its first-line comment says which, unless the defect
is in the first line or the bytes themselves).  For every file the test snapshots the exit code
and the full rendered diagnostics, and checks the shape every diagnostic must have: no
traceback, `file:line:col`, a code like E123, the offending line with a caret under the right
column, then any secondary locations (`--> file:line:col`, the line, a labelled caret under the
right column) and the help lines.  The snapshots record current behaviour; review them when a
message changes.

Two substitutions keep the snapshots portable and readable as text: the checkout's absolute
path becomes <root>, and control characters other than a line break are shown as <U+0000>.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from compiler import codes
from compiler.cli import main
from compiler.diagnostics import Diagnostic, Label, display_width
from compiler.nodes import Span

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
FILES = sorted(CORPUS.glob("*.policy"), key=lambda p: int(p.stem.split("_", 1)[0]))

# Cases whose caret is known to stand in the wrong column (the compiler expands tabs in the
# quoted line but not in the caret's padding).  strict: fixing it makes the test say so.
CARET_MISPLACED: set[str] = set()  # cases whose caret is known to be off (none now)

HEADER = re.compile(
    r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning)"
    r"\[(?P<code>[EW]\d{3})\]: \S"
)
# Line numbers are left-aligned in a gutter as wide as the longest one in the diagnostic.
SOURCE = re.compile(r"^ (?P<number>\d+) +\| (?P<text>.*)$")
CARET = re.compile(r"^ +\| (?P<pad> *)(?P<carets>\^+)$")
ARROW = re.compile(r"^ +--> (?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+)$")
LABELLED = re.compile(r"^ +\| (?P<pad> *)(?P<carets>\^+) (?P<message>\S.*)$")
SUMMARY = re.compile(r"^policyc check: (\d+) error\(s\) in 1 file\(s\)$")


def run_check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["--root", str(ROOT), "check", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def printable(text: str) -> str:
    """Show control characters (a NUL byte echoed from the source) so the snapshot stays text."""
    return "".join(
        f"<U+{ord(ch):04X}>" if unicodedata.category(ch) == "Cc" and ch != "\n" else ch
        for ch in text
    )


def portable(text: str) -> str:
    return printable(text.replace(str(ROOT), "<root>"))


def blocks(stderr: str) -> tuple[list[list[str]], str]:
    """The rendered diagnostics, one list of lines each, and the summary line (the line
    saying the other checks were skipped, after syntax errors, dropped)."""
    body, _, summary = stderr.rstrip("\n").rpartition("\n")
    body = re.sub(r"\npolicyc check: the other checks \(.*\) were skipped until .*$", "", body)
    return [block.split("\n") for block in body.split("\n\n")], summary


def secondary(block: list[str]) -> list[tuple[re.Match[str], re.Match[str]]]:
    """The secondary locations after the primary caret: (arrow, labelled caret) of each.

    Each is four lines: `--> file:line:col`, a bar, the quoted line, the labelled caret."""
    found = []
    rest = block[4:]
    while rest and (arrow := ARROW.match(rest[0])):
        assert len(rest) >= 4, "\n".join(block)
        assert re.fullmatch(r" +\|", rest[1]), rest[1]
        source = SOURCE.match(rest[2])
        assert source and source["number"] == arrow["line"], rest[2]
        caret = LABELLED.match(rest[3])
        assert caret, f"no labelled caret under {rest[2]!r}"
        found.append((arrow, caret))
        rest = rest[4:]
    assert all(re.match(r" += \S", line) for line in rest), block
    return found


def source_line(path: Path, number: int) -> str:
    """The line as policyc reads it: UTF-8 (BOM dropped), undecodable bytes as U+FFFD."""
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    return data.decode("utf-8", errors="replace").splitlines()[number - 1]


def stem_ids() -> list[str]:
    return [p.stem for p in FILES]


def test_corpus_is_large_and_well_named() -> None:
    assert len(FILES) >= 35
    for path in FILES:
        assert re.fullmatch(r"\d{2,3}_[a-z0-9_]+", path.stem), path.name
    numbers = [p.stem.split("_", 1)[0] for p in FILES]
    assert len(set(numbers)) == len(numbers), "two corpus files share a number"


@pytest.mark.parametrize("path", FILES, ids=stem_ids())
def test_corpus_file_says_what_is_wrong(path: Path) -> None:
    # A first-line comment, except where the defect lies in the first line or in the bytes.
    first = path.read_bytes().split(b"\n", 1)[0]
    if path.stem.endswith(("_on_line_1", "_in_comment")):
        return
    assert first.startswith(b"# ") and len(first) > 10, path.name


@pytest.mark.parametrize("path", FILES, ids=stem_ids())
def test_corpus_diagnostics(
    path: Path, capsys: pytest.CaptureFixture[str], text_snapshot: SnapshotAssertion
) -> None:
    code, out, err = run_check(path, capsys)
    shown = path.relative_to(ROOT).as_posix()
    assert text_snapshot == f"$ policyc check {shown}\nexit code: {code}\n{portable(err)}"

    assert code == 1, err
    assert out == ""
    assert "Traceback" not in err and "internal error" not in err
    found, summary = blocks(err)
    match = SUMMARY.match(summary)
    assert match, summary
    assert int(match[1]) == len(found)
    for block in found:
        header = HEADER.match(block[0])
        assert header, f"no file:line:col and code in {block[0]!r}"
        assert header["file"] == shown
        # Every diagnostic of the corpus points into a line of the file, so it quotes that line
        # and puts a caret under it.
        assert len(block) >= 4, "\n".join(block)
        assert re.fullmatch(r" +\|", block[1]), block[1]
        source = SOURCE.match(block[2])
        assert source and source["number"] == header["line"], block[2]
        assert CARET.match(block[3]), f"no caret line under {block[2]!r}"
        secondary(block)  # checks the secondary locations and that only help lines follow
        # One gutter for the whole diagnostic: every bar stands in one column.
        bars = {line.index("|") for line in block[1:] if re.match(r"^ [\d ]+\|", line)}
        assert len(bars) == 1, "\n".join(block)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(
            p,
            id=p.stem,
            marks=pytest.mark.xfail(strict=True, reason="caret ignores tab expansion")
            if p.stem in CARET_MISPLACED
            else (),
        )
        for p in FILES
    ],
)
def test_caret_stands_under_the_reported_column(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The caret's padding is the display width (Chinese characters count two, a tab runs to
    the next stop of 4) of the line up to the reported column, as it is shown above it."""
    _, _, err = run_check(path, capsys)
    found, _ = blocks(err)
    for block in found:
        header = HEADER.match(block[0])
        caret = CARET.match(block[3])
        assert header and caret
        raw = source_line(path, int(header["line"]))
        column = int(header["col"])
        assert column <= len(raw) + 1, f"column {column} is past the end of {raw!r}"
        expected = display_width(raw[: column - 1].expandtabs(4))
        assert len(caret["pad"]) == expected, "\n".join(block[:4])
        for arrow, labelled in secondary(block):
            raw = source_line(ROOT / arrow["file"], int(arrow["line"]))
            column = int(arrow["col"])
            expected = display_width(raw[: column - 1].expandtabs(4))
            assert len(labelled["pad"]) == expected, "\n".join(block)


def test_comments_and_blank_lines_only_are_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "only_comments.policy"
    text = (
        "# 宁波市社会救助尽职免责办法：草稿\r\n"
        "\r\n"
        "\t   # an indented comment, CRLF line endings\r\n"
        "   \t\r\n"
        '# policy ningbo { title "not code: a comment" }\r\n'
        "\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    code, out, err = run_check(path, capsys)
    assert code == 0, err
    assert out == ""
    # No error of the BOM, the CRLFs or the indented comments; only the warning that the file
    # declares nothing (W001: a jurisdiction's file emptied by a save that went wrong).
    assert "error[" not in err and err.count("warning[") == 1
    assert f"{path}:1:1: warning[W001]: the file declares nothing" in err
    assert err.endswith("policyc check: 1 file(s) clean, 1 warning(s)\n")


def test_unusable_path(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text_snapshot: SnapshotAssertion,
) -> None:
    monkeypatch.chdir(ROOT)
    code = main(["--root", str(ROOT), "check", "tests/corpus/no_such_file.policy"])
    err = capsys.readouterr().err
    assert text_snapshot == f"exit code: {code}\n{portable(err)}"
    assert code == 2
    assert "Traceback" not in err
    assert re.search(r"error\[E007\]: .*no_such_file\.policy", err)


def test_secondary_location_is_rendered_like_the_primary() -> None:
    """A label's caret is padded by display width too (Chinese counts two, a tab runs to 4), in
    the gutter of the widest line number; without its line only the place and message show."""
    diagnostic = Diagnostic(
        codes.E100,
        "fact '救助' is declared twice",
        Span("b.policy", 120, 6, 120, 8),
        '\t"低保"对象 x',
        ("a help line",),
        (
            Label(
                Span("a.policy", 7, 8, 7, 10), "first declared here", 'fact 救助金额: money "甲"'
            ),
            Label(Span("c.policy", 3, 1, 3, 2), "and here, in a file not loaded"),
        ),
    )
    assert diagnostic.render().split("\n") == [
        "b.policy:120:6: error[E100]: fact '救助' is declared twice",
        "     |",
        ' 120 |     "低保"对象 x',
        "     |           ^^^^",
        "    --> a.policy:7:8",
        "     |",
        ' 7   | fact 救助金额: money "甲"',
        "     |          ^^^^ first declared here",
        "    --> c.policy:3:1: and here, in a file not loaded",
        "     = a help line",
    ]
    assert diagnostic.to_json()["labels"] == [
        {
            "file": "a.policy",
            "line": 7,
            "column": 8,
            "end_line": 7,
            "end_column": 10,
            "message": "first declared here",
        },
        {
            "file": "c.policy",
            "line": 3,
            "column": 1,
            "end_line": 3,
            "end_column": 2,
            "message": "and here, in a file not loaded",
        },
    ]
