"""The generated `policyc_validators` package, installed into a fresh virtual environment
offline and run as agencies run it: `python -m policyc_validators validate …`.

These tests run in the normal suite (CI runs everything); one venv is made per module, so the
module costs a few seconds.  Every run uses isolated mode (`-I`), an empty PYTHONPATH and a
working directory outside the project, so only the installed package can answer.

Installing: `pip install --no-index --no-deps dist/<wheel>`, the wheel `policyc build` writes
beside the sources, offline: a fresh venv needs nothing else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from compiler import ir
from compiler.backends.package import PACKAGE, package_files
from compiler.build import write_tree
from compiler.interpret import info
from compiler.lower import load_program
from compiler.runtime.cli import run_validate
from compiler.runtime.decision import decide_json
from compiler.runtime.policy import PolicyInfo
from compiler.runtime.records import record_schema
from compiler.runtime.timelimits import load_calendar

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "cases"
VALID = CASES / "taierzhuang_valid.jsonl"
FINDINGS = CASES / "taierzhuang_findings.csv"
MALFORMED = CASES / "taierzhuang_malformed.json"
PROG = f"python -m {PACKAGE}"

# Facts under which 宁波 第四条（一）2 applies (from `policyc example ningbo 第四条（一）2`).
NINGBO_FACTS: dict[str, bool] = {
    "abused_power": False,
    "application_procedure_skipped": False,
    "checks_found_no_anomaly": True,
    "complies_with_policy": True,
    "found_ineligible_on_check": False,
    "major_adverse_impact": False,
    "missed_grant": False,
    "ningbo_applicant_misreported": True,
    "ningbo_info_and_home_checked": True,
    "ningbo_other_violation": False,
    "ningbo_procedure_regular": True,
    "ningbo_self_dealing": False,
    "reports_not_handled": False,
    "shirked_eligible_application": False,
    "wrong_grant": True,
}


@dataclass(frozen=True)
class Installed:
    python: Path
    venv: Path
    workdir: Path  # outside the project: nothing importable by accident


@pytest.fixture(scope="module")
def model() -> ir.Program:
    return load_program(ROOT)


def _info(program: ir.Program, policy_id: str) -> PolicyInfo:
    return info(program, program.policies[policy_id])


@pytest.fixture(scope="module")
def package_dir(model: ir.Program, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("build") / "validators"
    write_tree(target, package_files(model))
    return target


def _quiet_env() -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": "",
        "LC_ALL": "C.UTF-8",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        "PIP_NO_CACHE_DIR": "1",
    }


_GENERIC = ("error: subprocess-exited-with-error", "error: metadata-generation-failed")


def _tail(result: subprocess.CompletedProcess[str]) -> str:
    """The specific error lines of a failed command (pip's own boilerplate left out)."""
    lines = [line.strip() for line in (result.stdout + result.stderr).splitlines()]
    errors = [line for line in lines if line.startswith("error:") and line not in _GENERIC]
    return "; ".join(errors[-3:] or [line for line in lines if line][-3:])


@pytest.fixture(scope="module")
def installed(package_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("venv")
    venv = base / "venv"
    # Without pip of its own (ensurepip takes ~8 s of CPU): this pip installs into it.
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        capture_output=True, text=True, check=False, env=_quiet_env(), timeout=300,
    )  # fmt: skip
    python = venv / "bin" / "python"
    assert made.returncode == 0 and python.exists(), f"cannot create a venv: {_tail(made)}"
    workdir = base / "work"
    workdir.mkdir()
    wheels = sorted((package_dir / "dist").glob("*.whl"))
    assert len(wheels) == 1, wheels
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index",
         "--no-deps", str(wheels[0])],
        capture_output=True, text=True, check=False, env=_quiet_env(), cwd=workdir,
        timeout=300,
    )  # fmt: skip
    assert pip.returncode == 0, f"pip cannot install the wheel offline: {_tail(pip)}"
    return Installed(python, venv, workdir)


def run(
    installed: Installed, *argv: str, stdin: str | None = None, module: bool = True
) -> subprocess.CompletedProcess[str]:
    command = [str(installed.python), "-I"]
    command += ["-m", PACKAGE, *argv] if module else list(argv)
    result = subprocess.run(
        command,
        input=stdin, capture_output=True, text=True, encoding="utf-8", check=False,
        env=_quiet_env(), cwd=installed.workdir, timeout=120,
    )  # fmt: skip
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


# ---------------------------------------------------------------- installation


def test_the_installed_package_is_the_one_that_runs(
    installed: Installed, package_dir: Path
) -> None:
    result = run(
        installed,
        "-c",
        f"import {PACKAGE} as p, json; print(json.dumps([p.__file__, p.__version__, "
        "sorted(p.POLICIES)]))",
        module=False,
    )
    assert result.returncode == 0, result.stderr
    where, version, ids = json.loads(result.stdout)
    assert Path(where).resolve().is_relative_to(installed.venv.resolve())
    pyproject = tomllib.loads((package_dir / "pyproject.toml").read_text(encoding="utf-8"))
    assert version == pyproject["project"]["version"]
    assert ids == ["lucheng", "ningbo", "taierzhuang", "weihai", "yuquan"]


def test_the_installed_package_has_its_data(installed: Installed) -> None:
    script = textwrap.dedent(
        f"""
        import json
        from importlib import resources
        root = resources.files("{PACKAGE}")
        print(json.dumps({{
            "calendar": root.joinpath("runtime/data/cn_workdays.json").is_file(),
            "schemas": sorted(p.name for p in root.joinpath("schemas").iterdir()),
            "typed": root.joinpath("py.typed").is_file(),
        }}))
        """
    )
    result = run(installed, "-c", script, module=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "calendar": True,
        "schemas": [
            f"{p}.schema.json" for p in ("lucheng", "ningbo", "taierzhuang", "weihai", "yuquan")
        ],
        "typed": True,
    }


# ---------------------------------------------------------------- validate


def test_validate_valid_records(installed: Installed) -> None:
    result = run(installed, "validate", "--policy", "taierzhuang", str(VALID))
    assert result.returncode == 0, result.stderr
    assert "taierzhuang: 2 record(s), 0 finding(s)" in result.stdout
    assert "FAIL" not in result.stdout


def test_validate_findings_name_rules_and_clauses(installed: Installed) -> None:
    result = run(installed, "validate", "--policy", "taierzhuang", str(FINDINGS))
    assert result.returncode == 1, result.stderr
    fails = sorted(line for line in result.stdout.splitlines() if ": FAIL " in line)
    assert [line.split(": ", 1)[1].split("]")[0] for line in fails] == [
        "FAIL approval_limit [taierzhuang 二（三）",
        "FAIL check_and_visit [taierzhuang 二（三）",
        "FAIL township_staffing [taierzhuang 三（一）",
    ]
    assert "due 2024-10-18; taierzhuang_approval_date 2024-10-25 is late" in result.stdout


def test_validate_malformed_names_record_and_field(installed: Installed) -> None:
    result = run(installed, "validate", "--policy", "taierzhuang", str(MALFORMED))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"{PROG}: record TEZ-2024-202: field 'taierzhuang_application_date'"
    )
    assert "27/09/2024" in result.stderr


def test_validate_unknown_policy(installed: Installed) -> None:
    result = run(installed, "validate", "--policy", "nosuch", str(VALID))
    assert result.returncode == 2
    assert "no policy 'nosuch'" in result.stderr and "taierzhuang" in result.stderr


def test_validate_year_outside_the_calendar(installed: Installed, tmp_path: Path) -> None:
    path = tmp_path / "late.jsonl"
    path.write_text(
        '{"id": "L", "taierzhuang_application_date": "2051-01-06", '
        '"taierzhuang_approval_date": "2051-01-20"}\n',
        encoding="utf-8",
    )
    result = run(installed, "validate", "--policy", "taierzhuang", str(path))
    assert result.returncode == 2
    assert "2051" in result.stderr and "--calendar" in result.stderr


def test_validate_junit(installed: Installed) -> None:
    result = run(
        installed, "validate", "--policy", "taierzhuang", str(FINDINGS), "--format", "junit"
    )
    assert result.returncode == 1, result.stderr
    suite = ET.fromstring(result.stdout)
    assert suite.tag == "testsuite" and suite.get("name") == "policyc.taierzhuang"
    cases = suite.findall("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("tests", "-1")) == len(cases) > 0
    assert int(suite.get("failures", "-1")) == len(failures) == 3
    names = {p.get("name") for p in suite.iter("property")}
    assert names == {"policy_sha256", "source_sha256", "vocabulary_sha256"}


@pytest.mark.parametrize("cases", [VALID, FINDINGS], ids=["valid", "findings"])
def test_compiled_report_equals_the_interpreters(
    installed: Installed, model: ir.Program, cases: Path
) -> None:
    """Conditions compiled into the package and evaluated by the reference interpreter give
    the same report, byte for byte, version included."""
    result = run(installed, "validate", "--policy", "taierzhuang", str(cases), "--format", "json")
    expected, code = run_validate(
        _info(model, "taierzhuang"), [str(cases)], "json", load_calendar()
    )
    assert result.returncode == code
    assert result.stdout == expected


# ---------------------------------------------------------------- decide, due, schema


def test_decide_from_stdin(installed: Installed, model: ir.Program) -> None:
    result = run(
        installed, "decide", "--policy", "ningbo", "--facts", "-", stdin=json.dumps(NINGBO_FACTS)
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["policy"] == "ningbo"
    assert report["outcome"] == "applies"
    decided = {(r["rule"], r["clause"]) for r in report["decided_by"]}
    assert ("concealment_undetected", "第四条（一）2") in decided
    assert set(report["version"]) == {"policy_sha256", "source_sha256", "vocabulary_sha256"}
    assert report == json.loads(json.dumps(decide_json(_info(model, "ningbo"), NINGBO_FACTS)))


def test_decide_bad_facts(installed: Installed) -> None:
    result = run(installed, "decide", "--policy", "ningbo", "--facts", "-", stdin="[1, 2]")
    assert result.returncode == 2
    assert "JSON object" in result.stderr
    result = run(
        installed, "decide", "--policy", "ningbo", "--facts", "-", stdin='{"abused_power": 1}'
    )
    assert result.returncode == 2
    assert "abused_power" in result.stderr


def test_due(installed: Installed) -> None:
    result = run(installed, "due", "--policy", "taierzhuang", "二（三）", "--start", "2024-09-27")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    dues = {e["limit"]: (e["count"], e["unit"], e["due"]) for e in report["limits"]}
    # The 2024 schedule: National Day off 10-01..10-07; Sun 09-29 and Sat 10-12 worked.
    assert dues == {
        "approval_limit": (12, "workdays", "2024-10-18"),
        "check_and_visit": (8, "workdays", "2024-10-14"),
        "paperwork": (5, "workdays", "2024-10-10"),
        "objection_review": (10, "workdays", "2024-10-16"),
        # Saturday 09-28 is a day off: the last day moves to Sunday 09-29, a working day.
        "approval_after_notice": (1, "days", "2024-09-29"),
        "pre_aid": (24, "hours", None),
    }
    moved = next(e for e in report["limits"] if e["limit"] == "approval_after_notice")
    assert moved["counted"] == "2024-09-28" and "民法典 第二百零三条" in moved["note"]
    half = run(installed, "due", "--policy", "taierzhuang", "二(三)", "--start", "2024-09-27")
    assert half.returncode == 0 and half.stdout == result.stdout


def test_due_from_a_moment(installed: Installed) -> None:
    result = run(
        installed, "due", "--policy", "taierzhuang", "二（三）", "--start", "2024-03-01T09:30"
    )
    assert result.returncode == 0, result.stderr
    dues = {e["limit"]: e["due"] for e in json.loads(result.stdout)["limits"]}
    assert (dues["pre_aid"], dues["paperwork"]) == ("2024-03-02T09:30", "2024-03-08")
    bad = run(installed, "due", "--policy", "lucheng", "四（二）", "--start", "2024-03-01T01:30Z")
    assert bad.returncode == 2
    assert "+08:00" in bad.stderr


def test_due_provisional_in_an_unpublished_year(installed: Installed) -> None:
    # December 2026: 30 工作日 end in 2027, whose holiday schedule is not yet published.
    result = run(installed, "due", "--policy", "yuquan", "第四条（一）1", "--start", "2026-12-02")
    assert result.returncode == 0, result.stderr
    entry = json.loads(result.stdout)["limits"][0]
    assert entry["limit"] == "yuquan_dibao_approval" and entry["due"] == "2027-01-14"
    assert entry["provisional"]["unpublished"] == [2027]
    assert "not yet published" in entry["provisional"]["reason"]


def test_due_clause_without_a_limit(installed: Installed) -> None:
    result = run(installed, "due", "--policy", "taierzhuang", "三（一）", "--start", "2024-09-27")
    assert result.returncode == 2
    assert "clauses with limits: 二（三）" in result.stderr


def test_due_with_an_ambiguous_clause_says_which_is_meant(installed: Installed) -> None:
    # （三） is item (3) of sections 一, 二 and 四: "has no time limit" sent people looking for a
    # limit that 二（三） does state.
    result = run(installed, "due", "--policy", "taierzhuang", "（三）", "--start", "2024-09-27")
    assert result.returncode == 2
    assert "has no time limit" not in result.stderr
    assert "（三） is ambiguous in taierzhuang" in result.stderr
    assert "did you mean 二（三）?" in result.stderr


def test_due_past_the_last_date_is_bad_input(installed: Installed) -> None:
    result = run(installed, "due", "--policy", "yuquan", "第四条（二）", "--start", "9999-12-30")
    assert result.returncode == 2
    assert "3 days from 9999-12-30 is after 9999-12-31" in result.stderr
    assert "internal error" not in result.stderr


def test_schema(installed: Installed, model: ir.Program) -> None:
    result = run(installed, "schema", "--policy", "yuquan")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    info = _info(model, "yuquan")
    assert schema == json.loads(json.dumps(record_schema(info.id, info.title, info.facts)))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["properties"]) == set(info.facts) | {"id"}


# ---------------------------------------------------------------- standard library only


# Refuses every import outside the standard library and the package, then imports every
# module of the package and runs each verb in-process; prints the modules loaded since start.
STDLIB_ONLY = """
import importlib, importlib.abc, io, json, pkgutil, sys
BEFORE = set(sys.modules)
ALLOWED = set(sys.stdlib_module_names) | {"PACKAGE"}

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in ALLOWED:
            raise ImportError(f"import outside the standard library: {name}")
        return None

sys.meta_path.insert(0, Refuse())
import PACKAGE
for info in pkgutil.walk_packages(PACKAGE.__path__, "PACKAGE."):
    importlib.import_module(info.name)
from PACKAGE import POLICIES
from PACKAGE.runtime.cli import main
codes = []
for argv, stdin in ARGV:
    sys.stdin = io.StringIO(stdin)
    out, sys.stdout = sys.stdout, io.StringIO()
    try:
        codes.append(main(argv, POLICIES, "t"))
    finally:
        sys.stdout = out
loaded = sorted({m.split(".")[0] for m in set(sys.modules) - BEFORE})
print(json.dumps({"codes": codes, "loaded": loaded}))
"""


def test_installed_package_imports_only_the_standard_library(installed: Installed) -> None:
    argv = [
        (["validate", "--policy", "taierzhuang", str(VALID)], ""),
        (["validate", "--policy", "taierzhuang", str(FINDINGS), "--format", "junit"], ""),
        (["validate", "--policy", "taierzhuang", str(VALID), "--format", "json"], ""),
        (["decide", "--policy", "ningbo", "--facts", "-"], json.dumps(NINGBO_FACTS)),
        (["due", "--policy", "taierzhuang", "二（三）", "--start", "2024-09-27"], ""),
        (["schema", "--policy", "yuquan"], ""),
    ]
    script = STDLIB_ONLY.replace("PACKAGE", PACKAGE).replace("ARGV", repr(argv))
    result = run(installed, "-c", script, module=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["codes"] == [0, 1, 0, 0, 0, 0]
    outside = [m for m in report["loaded"] if m not in sys.stdlib_module_names and m != PACKAGE]
    assert outside == []
    assert PACKAGE in report["loaded"]


def test_isolated_mode_cannot_see_the_project(installed: Installed) -> None:
    """The runs above prove nothing if `compiler` (policyc itself) were importable."""
    result = run(
        installed,
        "-c",
        "import importlib.util as u; print(u.find_spec('compiler'), u.find_spec('lark'))",
        module=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None None"


def test_policies_lists_the_titles_without_importing_a_policy(
    model: ir.Program, package_dir: Path
) -> None:
    """`python -m policyc_validators policies` at 3,000 policies imported every module for its
    title: 75 s.  The package's registry holds the titles (`TITLES`), escaped literals."""
    child = (
        "import runpy, sys\n"
        "sys.argv = ['policyc_validators', 'policies']\n"
        "try:\n"
        "    runpy.run_module('policyc_validators', run_name='__main__')\n"
        "except SystemExit as stop:\n"
        "    assert stop.code in (0, None), stop.code\n"
        "import policyc_validators as p\n"
        "loaded = [m for m in sys.modules if m.split('.')[-1] in p.IDS]\n"
        "print(loaded, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", child],
        capture_output=True, text=True, check=False,
        env={**_quiet_env(), "PYTHONPATH": str(package_dir)}, cwd=package_dir,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "[]"
    expected = [
        f"{pid}\t{' '.join(model.policies[pid].title.split())}" for pid in sorted(model.policies)
    ]
    assert result.stdout.splitlines() == expected
