#!/usr/bin/env python3
"""Set-up and everyday commands, needing nothing but Python 3.11.

    python3 dev.py build   check every policy, measure clause coverage, run the policy tests,
                           build the validators (build/validators, build/sql) and the site
                           (build/site)
    python3 dev.py test    run the whole test suite (pytest)

Each command creates ``.venv`` on first use and reinstalls the project there only when
``pyproject.toml`` changed, so repeated runs start at once.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".policyc-installed"
# The site's tools for `build`, chinesecalendar (the maintainer extra) as the tests' oracle,
# lark-cython and orjson (the fast extra: parsing in two thirds of the time, the build's JSON
# 5-8 times faster).
EXTRAS = ".[test,site,maintainer,fast]"
# Where lark-cython has no wheel (Linux on ARM, Python 3.14, …) pip compiles it, which needs a
# C compiler: without one, the project is installed without the fast extra; it parses with
# Lark alone and writes JSON with json, the same output.
WITHOUT_FAST = ".[test,site,maintainer]"


def _run(*argv: str | Path) -> int:
    print("+", " ".join(str(a) for a in argv), flush=True)
    return subprocess.call([str(a) for a in argv], cwd=ROOT)


def ensure_venv() -> None:
    if not (BIN / "python").exists():
        print(f"creating virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + EXTRAS.encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    pip = [BIN / "python", "-m", "pip", "--disable-pip-version-check", "-q"]
    if _run(*pip, "install", "-e", EXTRAS) != 0:
        print("dev.py: that failed; trying again without the fast extra", flush=True)
        if _run(*pip, "install", "-e", WITHOUT_FAST) != 0:
            sys.exit("dev.py: installing the project into .venv failed (see pip's message above)")
    STAMP.write_text(wanted)


def build() -> int:
    policyc = BIN / "policyc"
    for verb in (["check"], ["coverage"], ["test"], ["build"], ["site"]):
        code = _run(policyc, *verb)
        if code != 0:
            return code
    return 0


# The whole suite runs on every core (pytest-xdist), each test file on one worker so that a
# file's module fixtures (a wheel installed into a venv, the generated package) are made once.
# With arguments (one file, `-k`, `--snapshot-update`, which must not run under xdist) pytest
# gets exactly those.  The 15 slowest tests are listed at the end, so that CI time can be read.
WHOLE_SUITE = ("-n", "auto", "--dist", "loadfile", "--durations=15")


def test(extra: list[str]) -> int:
    return _run(BIN / "python", "-m", "pytest", *(extra or WHOLE_SUITE))


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"build", "test"}:
        print(__doc__, file=sys.stderr)
        return 2
    ensure_venv()
    if sys.argv[1] == "build":
        return build()
    return test(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
