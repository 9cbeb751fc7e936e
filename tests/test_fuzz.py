"""Fuzzing: mutated policy files and hostile case records never crash policyc or the validators.

Whatever the input, `check` and `validate` end with 0, 1 or 2 and a message, never a traceback,
an internal error (3) or a hang.  The mutations are those of hand editing and of broken exports:
a file cut short, lines duplicated or swapped, bytes corrupted, odd characters inserted; records
made from each policy's JSON Schema, then given wrong types, extreme numbers and dates, deep
nesting and hostile strings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.cli import main
from compiler.interpret import info
from compiler.lower import load_program
from compiler.runtime import cli as runtime_cli

ROOT = Path(__file__).resolve().parent.parent
POLICY_FILES = ["ningbo", "weihai", "yuquan", "taierzhuang", "lucheng"]
PROGRAM = load_program(ROOT)
POLICIES = {pid: info(PROGRAM, PROGRAM.policies[pid]) for pid in POLICY_FILES}

ODD = st.sampled_from(
    [
        "\x00",
        "\u202e",
        "\u2028",
        "\ufeff",
        "\r",
        '"',
        "{",
        "}",
        "(",
        "#",
        "৪",
        "　",
        "第",
        "\\",
        "𠀀",
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from(POLICY_FILES))
    lines = (ROOT / "policies" / f"{name}.policy").read_bytes().split(b"\n")
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        match draw(st.sampled_from(["cut", "duplicate", "swap", "corrupt", "insert", "drop"])):
            case "cut":
                lines = [*lines[:i], lines[i][: draw(st.integers(0, len(lines[i])))]]
            case "duplicate":
                lines = lines[: j + 1] + lines[i : i + draw(st.integers(1, 5))] + lines[j + 1 :]
            case "swap":
                lines[i], lines[j] = lines[j], lines[i]
            case "corrupt":
                line = bytearray(lines[i] or b" ")
                line[draw(st.integers(0, len(line) - 1))] = draw(st.integers(0, 255))
                lines[i] = bytes(line)
            case "insert":
                at = draw(st.integers(0, len(lines[i])))
                text = draw(ODD).encode()
                lines[i] = lines[i][:at] + text + lines[i][at:]
            case "drop":
                del lines[i]
    return b"\n".join(lines)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=mutated())
def test_check_never_crashes_on_a_mutated_policy(
    data: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mutated.policy"
    path.write_bytes(data)
    code = main(["--root", str(ROOT), "check", str(path)])
    err = capsys.readouterr().err
    assert code in (0, 1, 2), err
    assert "internal error" not in err and "Traceback" not in err


HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "1e999999999",
            "9999-12-31",
            "0001-01-01",
            "2024-02-30",
            "2024-W40-1",
            "20241001",
            "3650 days",
            "² years",
            "1_000",
            " 17",
            "+17",
            "-5",
            "NaN",
            "\ud800",
            "x" * 5000,
            "9" * 5000,
        ]
    ),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@st.composite
def records(draw: st.DrawFn) -> tuple[str, list[dict[str, object]]]:
    policy_id = draw(st.sampled_from(POLICY_FILES))
    fields = sorted(POLICIES[policy_id].facts)
    chosen = draw(st.lists(st.sampled_from(fields), max_size=6, unique=True))
    rows = [
        {"id": draw(st.text(max_size=8)), **{f: draw(HOSTILE_VALUES) for f in chosen}}
        for _ in range(draw(st.integers(1, 3)))
    ]
    return policy_id, rows


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=records(), fmt=st.sampled_from(["text", "json", "junit"]))
def test_validate_never_crashes_on_hostile_records(
    case: tuple[str, list[dict[str, object]]],
    fmt: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    policy_id, rows = case
    path = tmp_path / "cases.jsonl"
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    code = runtime_cli.main(
        ["validate", "--policy", policy_id, str(path), "--format", fmt], POLICIES, "pv"
    )
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), err
    assert "internal error" not in err
    out.encode("utf-8")


def test_deeply_nested_records_are_a_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cases.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code = runtime_cli.main(["validate", "--policy", "ningbo", str(path)], POLICIES, "pv")
    err = capsys.readouterr().err
    assert code == 2, err
    assert "nested too deeply" in err
