"""`policyc diff` and the site's revision pages: how long each step takes.  Prints figures only.

.venv/bin/python benchmarks/diff.py
"""

from __future__ import annotations

import time
from pathlib import Path

from compiler.backends.site import diffs
from compiler.diff import report
from compiler.diff.load import BadVersion, CheckFailed, load_version
from compiler.lower import load_program

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    program = load_program(ROOT)
    for policy_id in sorted(program.policies):
        spec = f"policies/{policy_id}.policy"
        start = time.perf_counter()
        new = load_version(str(ROOT / spec), ROOT)
        loaded = time.perf_counter()
        try:
            old = load_version(f"{diffs.BASE}:{spec}", ROOT)
        except (BadVersion, CheckFailed) as error:
            print(f"{policy_id:<12} base {diffs.BASE} unavailable: {error}")
            continue
        from_git = time.perf_counter()
        report.parts(old, new)
        compared = time.perf_counter()
        print(
            f"{policy_id:<12} load {loaded - start:6.3f} s   from git {from_git - loaded:6.3f} s"
            f"   compare {compared - from_git:6.3f} s"
        )
    start = time.perf_counter()
    pages = list(diffs.pages(program))
    print(f"site revision pages: {len(pages)} pages in {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
