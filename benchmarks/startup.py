"""Start-up cost of the command line: import time and the wall time of the light verbs, for
policyc and for the generated validator package.

.venv/bin/python benchmarks/startup.py [--repeat N] [--package-only]

Each figure is the best of N runs, each in a fresh interpreter (subprocess).  The baseline
is the set of modules the command line imported eagerly before its imports were made lazy
(the rule graph with networkx, the code generator, the example finder …), so one run shows
what a light verb no longer pays for.  The package part builds `policyc_validators` into a
temporary directory and times `import policyc_validators` (in-process, the interpreter's own
start-up excluded), `import policyc_validators.taierzhuang`, and the whole
`python -m policyc_validators validate` of 3 records.  Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "cases" / "taierzhuang_valid.jsonl"

# What compiler/cli.py imported at module level before start-up was made light.
EAGER = (
    "compiler.cli",
    "compiler.build",
    "compiler.coverage",
    "compiler.examples",
    "compiler.graph",
    "compiler.interpret",
    "compiler.policytests",
    "compiler.skeleton",
    "compiler.tables",
    "compiler.timelimits",
    "compiler.runtime.cli",
    "networkx",
)

_IMPORT = (
    "import time\n"
    "start = time.perf_counter()\n"
    "import {modules}\n"
    "print(time.perf_counter() - start)\n"
)
_MAIN = "import sys\nfrom compiler.cli import main\nsys.exit(main(sys.argv[1:]))\n"


# Three records of 台儿庄 for the package's `validate`: the two valid ones of the test data, and
# one late approval.
THREE = [
    *(json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line),
    {
        "id": "TEZ-2024-103",
        "taierzhuang_case_programme": "dibao",
        "taierzhuang_application_date": "2024-09-27",
        "taierzhuang_approval_date": "2024-10-25",
    },
]


def import_times(sets: list[tuple[str, ...]], repeat: int, cwd: Path = ROOT) -> list[float]:
    """Best in-process time of `import MODULES` for each set, each run in a fresh interpreter.

    The sets are measured in turn within each round, so a busy machine skews them alike.
    """
    best = [float("inf")] * len(sets)
    for _ in range(repeat):
        for i, modules in enumerate(sets):
            code = _IMPORT.format(modules=", ".join(modules))
            out = subprocess.run(
                [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True
            )
            best[i] = min(best[i], float(out.stdout))
    return best


def wall_time(argv: list[str], stdin: str, repeat: int) -> float:
    """Best wall time of `policyc ARGV` (interpreter start-up included)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", _MAIN, "--root", str(ROOT), *argv],
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - start
        if result.returncode not in (0, 1):
            sys.exit(f"policyc {' '.join(argv)} failed ({result.returncode}):\n{result.stderr}")
        best = min(best, elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (best is kept)")
    parser.add_argument(
        "--package-only", action="store_true", help="only the generated package's figures"
    )
    args = parser.parse_args()
    repeat: int = args.repeat

    print(f"python {sys.version.split()[0]}; best of {repeat}, each in a fresh interpreter")
    bare = wall_time_of_python(repeat)
    if args.package_only:
        print(f"{'interpreter start-up (python -c pass)':<44} {bare:7.3f} s")
        package(repeat, bare)
        return
    light, eager = import_times([("compiler.cli",), EAGER], repeat)
    print(f"{'interpreter start-up (python -c pass)':<44} {bare:7.3f} s")
    print(f"{'import compiler.cli':<44} {light:7.3f} s")
    print(f"{'import the old eager set (with networkx)':<44} {eager:7.3f} s")
    print(f"{'  ratio eager / compiler.cli':<44} {eager / light:7.2f} x")

    cases = str(CASES.relative_to(ROOT))
    # `check` reads parse results from the project's cache (compiler/cache.py): the first
    # run below fills it, the best of the runs is a warm start; `--no-cache` parses every file.
    verbs = [
        (["check", "--no-cache"], ""),
        (["check"], ""),
        (["decide", "ningbo", "--facts", "-"], '{"abused_power": true}'),
        (["due", "taierzhuang", "二（三）", "--start", "2024-09-27"], ""),
        (["validate", "--policy", "taierzhuang", cases], ""),
    ]
    for argv, stdin in verbs:
        label = "policyc " + " ".join(Path(a).name if a == cases else a for a in argv)
        print(f"{label:<44} {wall_time(argv, stdin, repeat):7.3f} s")
    package(repeat, bare)


def package(repeat: int, bare: float) -> None:
    """The generated package: its import, one policy's import, and `validate` of 3 records;
    beside each, what importing all five policy modules costs (the package's `__init__` did
    that before its policies were imported lazily), measured in the same run."""
    from compiler.backends.package import PACKAGE, package_files
    from compiler.build import write_tree
    from compiler.lower import load_program

    program = load_program(ROOT)
    every = tuple(f"{PACKAGE}.{policy_id}" for policy_id in sorted(program.policies))
    with tempfile.TemporaryDirectory(prefix="policyc-startup-") as tmp:
        where = Path(tmp) / "validators"
        write_tree(where, package_files(program))
        cases = Path(tmp) / "three.jsonl"
        cases.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in THREE), encoding="utf-8"
        )
        whole, one, five = import_times(
            [(PACKAGE,), (f"{PACKAGE}.taierzhuang",), every], repeat, where
        )
        argv = ["validate", "--policy", "taierzhuang", str(cases)]
        now = [sys.executable, "-m", PACKAGE, *argv]
        # The old start-up: every policy module imported before the command line runs.
        eager = (
            f"import runpy, sys\nimport {', '.join(every)}\nsys.argv[0] = '{PACKAGE}'\n"
            f"runpy.run_module('{PACKAGE}', run_name='__main__', alter_sys=True)\n"
        )
        old = [sys.executable, "-c", eager, *argv]
        best = {"now": float("inf"), "old": float("inf")}
        for _ in range(repeat):
            for name, command in (("now", now), ("old", old)):
                start = time.perf_counter()
                result = subprocess.run(command, cwd=where, capture_output=True, text=True)
                elapsed = time.perf_counter() - start
                if result.returncode not in (0, 1):
                    sys.exit(f"{' '.join(command[1:])} failed:\n{result.stderr}")
                best[name] = min(best[name], elapsed)
    print(f"{'import ' + PACKAGE:<44} {whole:7.3f} s")
    print(f"{'import ' + PACKAGE + '.taierzhuang':<44} {one:7.3f} s")
    print(f"{'import all five policy modules (old import)':<44} {five:7.3f} s")
    print(f"{'  ratio all five / ' + PACKAGE:<44} {five / whole:7.1f} x")
    label = f"python -m {PACKAGE} validate (3 records)"
    print(f"{label:<44} {best['now']:7.3f} s")
    print(f"{'  the same, all five imported first (old)':<44} {best['old']:7.3f} s")
    print(
        f"{'  beyond python -c pass, now / old':<44} {best['now'] - bare:7.3f} s / "
        f"{best['old'] - bare:.3f} s"
    )


def wall_time_of_python(repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        best = min(best, time.perf_counter() - start)
    return best


if __name__ == "__main__":
    main()
