"""The benchmarks still run against the compiler's current API (tiny sizes: figures are not
checked here, only that each script runs to its end; speed is read from their output)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "argv",
    [
        [
            "benchmarks/validators.py",
            *("--records", "50", "--interpreter-records", "10"),
            *("--pair-records", "20", "--repeat", "1"),
        ],
        ["benchmarks/frontend.py", "--repeat", "1"],
        [
            "benchmarks/sql.py",
            *("--policy", "weihai", "--records", "1000", "--bulk", "1000", "--repeat", "1"),
            "--no-engine",  # the engine has its own tests; its child is seconds of start-up
        ],
        ["benchmarks/floor.py", "--records", "20", "--repeat", "1"],
        ["benchmarks/workdays.py", "--counts", "3", "--repeat", "1"],
        ["benchmarks/firstbuild.py", "--size", "10"],
        ["benchmarks/interrupt.py", "--size", "10", "--after", "0.5"],
        [
            "benchmarks/abbuild.py",
            *("--before", ".", "--size", "10", "--runs", "1", "--after-change"),
        ],
        ["benchmarks/conflicts.py", "--copies", "0"],
        ["benchmarks/site.py", "--size", "6"],
    ],
    ids=[
        "validators",
        "frontend",
        "sql",
        "floor",
        "workdays",
        "firstbuild",
        "interrupt",
        "abbuild",
        "conflicts",
        "site",
    ],
)
def test_benchmark_runs(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip(), "a benchmark prints its figures"


def test_side_by_side_engines_agree() -> None:
    """benchmarks/sidebyside.py on a few records: the hand-written baselines and the
    interpreter give the generated package's full output on every record (times are printed,
    never checked)."""
    argv = ["benchmarks/sidebyside.py", "--records", "50", "--repeat", "1"]
    result = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "DISAGREE" not in result.stdout
    for engine in ("hand-written", "interpreter"):
        assert f"agree    {engine}: 100 of 100 records identical" in result.stdout, result.stdout
    assert "| generated package |" in result.stdout
    if importlib.util.find_spec("openfisca_core") is not None:
        assert "agree    openfisca: 50 of 50 records identical" in result.stdout, result.stdout
        assert "| OpenFisca, the arrays given |" in result.stdout


def test_a_benchmark_sets_folders_aside_and_deletes_them_when_it_ends(tmp_path: Path) -> None:
    """benchmarks/aside.py: what a benchmark clears between first builds is moved, not deleted
    (no inode freed just before a build), and deleted when the block ends; a trash left by a
    stopped run is deleted when the next begins."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from aside import TRASH, SetAside
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    cache = tmp_path / "n10" / ".policyc-cache"
    cache.mkdir(parents=True)
    (cache / "entry.json").write_text("[]")
    (tmp_path / TRASH / "0").mkdir(parents=True)  # left by a run that was stopped
    with SetAside(tmp_path) as aside:
        assert not (tmp_path / TRASH).exists()
        aside(cache)
        aside(tmp_path / "never-made")  # nothing to set aside
        assert not cache.exists()
        assert (tmp_path / TRASH / "0" / "entry.json").read_text() == "[]"
        assert sorted(p.name for p in (tmp_path / TRASH).iterdir()) == ["0"]
    assert not (tmp_path / TRASH).exists()


# ---------------------------------------------------------------- the OpenFisca yardstick

# CI installs the `openfisca` extra and sets this, so that the yardstick is tested there.
OPENFISCA_REQUIRED = os.environ.get("POLICYC_REQUIRE_OPENFISCA") == "1"
needs_openfisca = pytest.mark.skipif(
    importlib.util.find_spec("openfisca_core") is None and not OPENFISCA_REQUIRED,
    reason="openfisca-core is not installed (pip install -e '.[openfisca]')",
)


@needs_openfisca
def test_the_openfisca_model_decides_as_the_generated_package() -> None:
    """benchmarks/baselines/openfisca_weihai.py, the benchmarks' vectorised yardstick, gives
    the generated package's outcome on every record: random records, the same with every
    exclusion fact false (so that the twenty situations decide) or absent (open exclusions),
    and a record of only false facts (not covered)."""
    from benchmarks.baselines import openfisca_weihai as model
    from benchmarks.sidebyside import generated_package, make_records
    from compiler.lower import load_program

    program = load_program(ROOT)
    excluding = (
        "weihai_violated_political_discipline",
        "weihai_violated_eight_point_rules",
        "weihai_serious_violation",
        "sought_improper_benefit",
        "weihai_other_non_tolerable",
    )
    random = make_records(program, 1500, 11)["weihai"]
    records = [
        *random[:500],
        *({**r, **dict.fromkeys(excluding, False)} for r in random[500:1000]),
        *({k: v for k, v in r.items() if k not in excluding} for r in random[1000:]),
        dict.fromkeys(model.BOOLS, False),
    ]
    outcomes = model.outcomes(model.system(), model.columns(records))
    with generated_package(program, "policyc-openfisca-") as (module_of, _, _):
        expected = [str(module_of["weihai"].decide(r)["outcome"]) for r in records]
    differ = [
        f"record {i}: OpenFisca {got}, generated package {want}"
        for i, (got, want) in enumerate(zip(outcomes, expected, strict=True))
        if got != want
    ]
    assert not differ, "\n".join(differ[:10])
    # What the model was written for (its docstring): no gate, no liability, every exclusion
    # defeating every situation, no situation naming what it excuses.  It reads the
    # decision's facts, each as the policy types it.
    policy = module_of["weihai"].POLICY
    assert not [r.name for r in policy.rules if r.kind in ("gate", "liability")]
    assert all(r.overrides is None for r in policy.rules if r.kind == "exclusion")
    assert not any(r.excuses for r in policy.rules if r.kind == "situation")
    read = {n for r in policy.rules if r.kind in ("situation", "exclusion") for n in r.reads}
    typed = {
        **dict.fromkeys(model.BOOLS, "bool"),
        **dict.fromkeys(model.INTS, "int"),
        **dict.fromkeys(model.DATES, "date"),
    }
    assert typed == {n: policy.facts[n].type for n in read}
    assert model.JUDGMENTS & read == {n for n in read if policy.facts[n].judgment}
    # Every outcome the model can give is reached (applies_in_part cannot be: no liability).
    assert set(expected) == {"excluded", "not_covered", "applies", "needs_judgment", "undetermined"}
