"""The validators' command line at province scale (300–3,000 jurisdictions, ids such as
weihai0003): `--help` and the message of an unknown id stay short, name close ids and the
command that lists them all (`policies`); with a few policies they name every one, as before."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from compiler.interpret import info
from compiler.lower import load_program
from compiler.runtime.cli import LISTED_AT_MOST, main
from compiler.runtime.policy import PolicyInfo

ROOT = Path(__file__).resolve().parent.parent
PROG = "python -m policyc_validators"
LISTER = f"`{PROG} policies`"


@pytest.fixture(scope="module")
def five() -> dict[str, PolicyInfo]:
    """The project's own policies."""
    model = load_program(ROOT)
    return {pid: info(model, model.policies[pid]) for pid in sorted(model.policies)}


def copies(base: PolicyInfo, prefix: str, count: int) -> dict[str, PolicyInfo]:
    """`base` under the ids prefix0001 … (a province's jurisdictions), each titled by its id."""
    ids = [f"{prefix}{n:04d}" for n in range(1, count + 1)]
    return {i: dataclasses.replace(base, id=i, title=f"{base.title} {i}") for i in ids}


@pytest.fixture(scope="module")
def province(five: dict[str, PolicyInfo]) -> dict[str, PolicyInfo]:
    """300 policies: 200 of Weihai, 100 of Ningbo."""
    return {**copies(five["weihai"], "weihai", 200), **copies(five["ningbo"], "ningbo", 100)}


def run(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    try:
        code = main(list(argv), policies, PROG)
    except SystemExit as exit_:  # argparse: --help, or a usage error
        code = exit_.code if isinstance(exit_.code, int) else 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def unknown(
    policies: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], policy_id: str
) -> str:
    """The message of `validate --policy policy_id`: exit 2, one line on stderr, no stdout."""
    code, out, err = run(policies, capsys, "validate", "--policy", policy_id, "t.jsonl")
    assert (code, out) == (2, "")
    assert err.startswith(f"{PROG}: no policy ") and err.count("\n") == 1
    return err


# ---------------------------------------------------------------- a few policies: as before


def test_few_policies_are_all_named_in_the_message(
    five: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    err = unknown(five, capsys, "nosuch")
    assert err == f"{PROG}: no policy 'nosuch'; policies: {', '.join(sorted(five))}\n"


@pytest.mark.parametrize("verb", ["validate", "decide", "due", "schema"])
def test_few_policies_are_all_named_in_the_help(
    five: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], verb: str
) -> None:
    code, out, _ = run(five, capsys, verb, "--help")
    assert code == 0
    assert f"one of: {', '.join(sorted(five))}" in " ".join(out.split())


def test_up_to_the_limit_all_are_named_and_beyond_it_counted(
    five: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    at_limit = copies(five["weihai"], "weihai", LISTED_AT_MOST)
    assert f"policies: {', '.join(sorted(at_limit))}" in unknown(at_limit, capsys, "nosuch")
    beyond = copies(five["weihai"], "weihai", LISTED_AT_MOST + 1)
    err = unknown(beyond, capsys, "nosuch")
    assert "policies: " not in err
    assert f"{LISTED_AT_MOST + 1} policies, listed by {LISTER}" in err


# ---------------------------------------------------------------- many policies: --help


@pytest.mark.parametrize("verb", ["validate", "decide", "due", "schema"])
def test_help_counts_the_policies_and_names_the_lister(
    province: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], verb: str
) -> None:
    code, out, _ = run(province, capsys, verb, "--help")
    assert code == 0
    assert "weihai0001" not in out and "ningbo0100" not in out
    assert f"one of 300 policies ({LISTER} lists them)" in " ".join(out.split())
    assert len(out.splitlines()) < 40


def test_validate_help_names_parquet_and_explains_cases(
    province: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    _, top, _ = run(province, capsys, "--help")
    assert "Parquet with --engine duckdb" in " ".join(top.split())
    assert "policies" in top  # the verb is offered
    _, out, _ = run(province, capsys, "validate", "--help")
    cases = " ".join(out.split()).split("positional arguments: CASES ")[1]  # its help
    assert cases.startswith("files of case records: .json, .jsonl")
    assert ".parquet with --engine duckdb" in cases.split(" options:")[0]


# ---------------------------------------------------------------- many policies: an unknown id


def test_the_start_of_ids_is_answered_with_the_first_of_them(
    province: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    err = unknown(province, capsys, "weihai")
    meant = ", ".join(f"'weihai000{n}'" for n in range(1, 6))
    assert f"did you mean {meant} (195 more start with 'weihai')?" in err
    assert err.endswith(f"300 policies, listed by {LISTER}\n")
    assert len(err) < 300  # not the 4 KB of every id


def test_a_typo_is_answered_with_the_id_meant_first(
    province: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    err = unknown(province, capsys, "weihia0003")
    assert "did you mean 'weihai0003'," in err
    assert err.count("'weihai0") + err.count("'ningbo0") <= 5
    assert "more start with" not in err


def test_an_id_like_none_is_answered_with_the_count_and_the_lister(
    province: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    err = unknown(province, capsys, "atlantis")
    assert err == f"{PROG}: no policy 'atlantis'; 300 policies, listed by {LISTER}\n"


@pytest.mark.parametrize("policy_id", ["", "w" * 5000, "weihai0003\n"])
def test_odd_ids_are_answered_briefly(
    province: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str], policy_id: str
) -> None:
    code, out, err = run(province, capsys, "validate", "--policy", policy_id, "t.jsonl")
    assert (code, out) == (2, "")
    assert "300 policies" in err and len(err) < 400


def test_every_verb_answers_an_unknown_id_alike(
    province: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    expected = unknown(province, capsys, "ningbo01")
    assert "did you mean 'ningbo0001'" in expected
    for argv in (
        ["decide", "--facts", "-"],
        ["due", "一", "--start", "2024-01-02"],
        ["schema"],
    ):
        code, out, err = run(province, capsys, *argv, "--policy", "ningbo01")
        assert (code, out, err) == (2, "", expected)


def test_a_known_id_among_many_is_used(
    province: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(province, capsys, "schema", "--policy", "weihai0003")
    assert (code, err) == (0, "")
    assert "weihai0003 — case record" in json.loads(out)["title"]


# ---------------------------------------------------------------- `policies`: the list


def test_policies_lists_every_id_with_its_title(
    province: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(province, capsys, "policies")
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"{i}\t{province[i].title}" for i in sorted(province)]


def test_policies_lists_the_projects_own(
    five: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(five, capsys, "policies")
    assert code == 0
    assert out == "".join(f"{i}\t{p.title}\n" for i, p in sorted(five.items()))


def test_policies_takes_no_argument(
    five: dict[str, PolicyInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(five, capsys, "policies", "--policy", "weihai")
    assert (code, out) == (2, "")
    assert "unrecognized arguments" in err
