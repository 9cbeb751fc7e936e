"""Whole `policyc build`s of a synthetic corpus (benchmarks/corpus.py) by two compilers, taken
in turns: this checkout and another one (`--before`, a git worktree of an earlier commit).
Prints figures only.

.venv/bin/python benchmarks/abbuild.py --before DIR [--size 3000] [--runs 2] [--work DIR]
    [--after-change]

Each run builds once with each compiler, alternately, so that what else slows the machine
slows both alike; compare within one run of this script, never across machines or hours.

- cold: the cache and the output set aside first (moved into a trash folder in `--work`,
  deleted when the script ends: benchmarks/aside.py), so that the build creates its files as
  on a fresh machine, not just after tens of thousands of files were deleted.
- `--after-change` adds, per run, a build through the other compiler's cache: its parse
  entries are used, everything else (summaries, findings, outputs) is made again, as after
  an upgrade of policyc.  (With `--before` this very checkout, that build is a warm one.)

Printed per build: wall seconds; user and system CPU seconds of the command and its workers
(`os.wait4`); the peak resident memory of its largest process.  Then each compiler's best and
the ratio of the checkout's to `--before`'s.  The two compilers' outputs are compared file by
file after the last cold run; a difference is printed (the build should not change them).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


@dataclass(frozen=True)
class Build:
    side: str
    kind: str  # "cold" or "after change"
    wall: float
    user: float
    system: float
    peak_mib: float


def _build(side: str, kind: str, src: Path, root: Path, out: Path) -> Build:
    argv = [sys.executable, "-m", "compiler.cli", "--root", str(root), "build", "--out", str(out)]
    # The compiler of `src`, run from an empty folder: a `compiler/` in the working directory
    # would come before PYTHONPATH.
    env = {**os.environ, "PYTHONPATH": str(src), "CI": "1"}
    with tempfile.TemporaryDirectory(prefix="policyc-ab-") as cwd:
        stderr = Path(cwd) / "stderr"
        with stderr.open("wb") as errors:
            start = time.perf_counter()
            child = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors
            )
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - start
        # Reaped here (for its resource usage, workers included): Popen is told its exit code.
        child.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            sys.exit(f"{side}: policyc build exited {code}:\n{stderr.read_text('utf-8')[-2000:]}")
    return Build(side, kind, wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss / 1024)


def _differences(a: Path, b: Path) -> list[str]:
    files = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files |= {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    return sorted(
        str(f)
        for f in files
        if not (a / f).is_file()
        or not (b / f).is_file()
        or (a / f).read_bytes() != (b / f).read_bytes()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the other checkout")
    parser.add_argument("--size", type=int, default=3000, help="jurisdictions (default 3000)")
    parser.add_argument("--runs", type=int, default=2, help="builds per compiler and kind")
    parser.add_argument("--work", type=Path, help="where the corpus is made (default: a temp dir)")
    parser.add_argument(
        "--after-change", action="store_true", help="also through the other's cache"
    )
    args = parser.parse_args()
    if args.work is None:
        with tempfile.TemporaryDirectory(prefix="policyc-ab-") as work:
            _compare(args, Path(work))
    else:
        _compare(args, args.work)


def _compare(args: argparse.Namespace, work: Path) -> None:
    from aside import SetAside

    with SetAside(work) as aside:
        _builds(args, work, aside)


def _builds(args: argparse.Namespace, work: Path, aside: Callable[[Path], None]) -> None:
    from corpus import generate

    sides = {"before": args.before.resolve(), "after": HERE.parent}
    for side, src in sides.items():
        if not (src / "compiler" / "cli.py").is_file():
            sys.exit(f"{side}: no compiler in {src}")
    root = (work / f"n{args.size}").resolve()
    if not (root / "policies").is_dir():
        generate(args.size, root)
    outs = {side: work / f"out-{side}" for side in sides}
    print(
        f"{args.size} jurisdictions in {root}; before = {sides['before']}, after = {sides['after']}"
    )
    print(f"{'build':<26}{'wall s':>8}{'user s':>8}{'sys s':>7}{'peak MiB':>9}", flush=True)
    builds: list[Build] = []
    for run in range(args.runs):
        order = ["before", "after"] if run % 2 == 0 else ["after", "before"]
        for first in order:
            other = "after" if first == "before" else "before"
            # Only the outputs about to be made are set aside: each side's latest stays, to be
            # compared at the end.
            aside(root / ".policyc-cache")
            for side in [first, other] if args.after_change else [first]:
                aside(outs[side])
            made = [_build(first, "cold", sides[first], root, outs[first])]
            if args.after_change:
                made.append(_build(other, "after change", sides[other], root, outs[other]))
            for b in made:
                print(
                    f"{b.side + ', ' + b.kind:<26}{b.wall:>8.1f}{b.user:>8.1f}{b.system:>7.1f}"
                    f"{b.peak_mib:>9.0f}",
                    flush=True,
                )
            builds += made
    print()
    for kind in ("cold", "after change"):
        best = {
            side: min(
                (b for b in builds if b.side == side and b.kind == kind), key=lambda b: b.wall
            )
            for side in sides
            if any(b.side == side and b.kind == kind for b in builds)
        }
        if len(best) == 2:
            b, a = best["before"], best["after"]
            print(
                f"{kind}, best of each: wall {b.wall:.1f} -> {a.wall:.1f} s "
                f"({a.wall / b.wall:.2f}x), user {b.user:.1f} -> {a.user:.1f} s, "
                f"peak {b.peak_mib:.0f} -> {a.peak_mib:.0f} MiB"
            )
    if all(out.is_dir() for out in outs.values()):
        differ = _differences(outs["before"], outs["after"])
        print(
            f"outputs: {'identical' if not differ else f'{len(differ)} files differ: {differ[:5]}'}"
        )


if __name__ == "__main__":
    main()
