"""A policy file saved in another encoding (UTF-16, GBK) is one E001 that names the encoding,
at the line, column and caret of the first byte that is not UTF-8 text (issue: CLI
hardening).  Those that name one failed before the fix: E001 said nothing of the encoding, and
a UTF-16 file of ASCII characters without a byte order mark was an E006 a character."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import new_project

from compiler.cli import main

POLICY = 'policy zz {\n  title "社会救助审核确认办法"\n}\n'
UTF16 = "   = the file looks like UTF-16; policy files are UTF-8 text: re-save it as UTF-8"


def check(capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes) -> tuple[int, str]:
    root = new_project(tmp_path / "p")
    (root / "policies" / "zz.policy").write_bytes(data)
    code = main(["--root", str(root), "check", "--no-cache"])
    return code, capsys.readouterr().err


def test_utf16_with_a_byte_order_mark(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = check(capsys, tmp_path, b"\xff\xfe" + POLICY.encode("utf-16-le"))
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == (
        "policies/zz.policy:1:1: error[E001]: the file is not valid UTF-8 (byte 0xff at offset 0)"
    )
    assert lines[3:5] == ["   | ^", UTF16]


@pytest.mark.parametrize("text", [POLICY, "policy zz {\n}\n"], ids=["chinese", "ascii"])
def test_utf16_without_a_byte_order_mark(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> None:
    # Where all its characters are ASCII they are valid UTF-8, each followed by a NUL: the
    # file was an E006 a character.  Else UTF-8 stopped at a later byte, not the first NUL.
    code, err = check(capsys, tmp_path, text.encode("utf-16-le"))
    assert code == 1
    assert err.count("error[") == 1 and "E006" not in err
    lines = err.splitlines()
    assert lines[0] == (
        "policies/zz.policy:1:2: error[E001]: the file is not valid UTF-8 (byte 0x00 at offset 1)"
    )
    assert lines[2].startswith(" 1 | p\ufffdo\ufffdl")
    assert lines[3:5] == ["   |  ^", UTF16]


def test_utf16_big_endian(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = check(capsys, tmp_path, POLICY.encode("utf-16-be"))
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == (
        "policies/zz.policy:1:1: error[E001]: the file is not valid UTF-8 (byte 0x00 at offset 0)"
    )
    assert lines[3:5] == ["   | ^", UTF16]


def test_gbk(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = check(capsys, tmp_path, POLICY.encode("gbk"))
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == (
        "policies/zz.policy:2:10: error[E001]: the file is not valid UTF-8 (byte 0xc9 at offset 21)"
    )
    assert lines[3:5] == [
        "   |          ^",
        "   = the file looks like GBK/GB18030; policy files are UTF-8 text: re-save it as UTF-8",
    ]


@pytest.mark.parametrize(
    "data",
    [
        "# café\n".encode("latin-1"),
        "# Zürich München\n".encode("latin-1"),
        b"# a stray NUL \x00 in a comment\n",
    ],
    ids=["latin1", "latin1_valid_gbk", "one_nul"],
)
def test_no_guess_where_the_bytes_do_not_say(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes
) -> None:
    code, err = check(capsys, tmp_path, data)
    assert code == 1
    assert "looks like" not in err
    assert ("E006" in err) == (b"\x00" in data)
