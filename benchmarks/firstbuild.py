"""A first `policyc build` of a synthetic corpus (benchmarks/corpus.py), phase by phase, the
way the CLI makes it through the cache (compiler/rebuild.py).  Prints figures only.

.venv/bin/python benchmarks/firstbuild.py [--size 600] [--work DIR] [--parsed]

Phases:
- read: every file read, parsed (or its parse taken from the cache) and summarized, in forked
  workers when there are more files than a batch (compiler/incremental.py, `_summaries`);
- check: the project-wide passes and each policy's checks and W501, a batch at a time on
  every core; a build makes each clean policy's outputs there, where the check lowered it;
- outputs: the outputs the check did not make (none on a first build of a clean project);
- calendar: calendar.csv, from the working-day counts the policies need.

Wall seconds, and CPU seconds of this process and of its workers (forked children, counted
when they end).  The cache starts empty (an earlier one is set aside: benchmarks/aside.py);
with --parsed its parse entries are filled first (a first build after a compiler change:
nothing to parse).  What a build writes to its output folder afterwards (links, the wheel) is
not timed here; `/usr/bin/time policyc build` times the whole command.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, workers.ru_utime + workers.ru_stime


class _Clock:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float]] = []
        self.last = (time.perf_counter(), *_cpu())

    def mark(self, phase: str) -> None:
        now = (time.perf_counter(), *_cpu())
        wall, here, workers = (b - a for a, b in zip(self.last, now, strict=True))
        self.rows.append((phase, wall, here, workers))
        self.last = now


def _timed(module: Any, name: str, clock: _Clock, phase: str) -> None:
    work: Callable[..., Any] = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        result = work(*args, **kwargs)
        clock.mark(phase)
        return result

    setattr(module, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=600, help="jurisdictions (default 600)")
    parser.add_argument("--work", type=Path, help="where the corpus is made (default: a temp dir)")
    parser.add_argument(
        "--parsed", action="store_true", help="the parse cache filled first (nothing parsed)"
    )
    args = parser.parse_args()

    from aside import SetAside
    from corpus import generate

    work = args.work or Path(tempfile.mkdtemp(prefix="policyc-firstbuild-"))
    root = (work / f"n{args.size}").resolve()
    if not (root / "policies").is_dir():
        generate(args.size, root)
    with SetAside(work) as aside:
        # Set aside, not deleted: a fresh machine's first build (benchmarks/aside.py).
        aside(root / ".policyc-cache")
        _first_build(root, args.parsed)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


def _first_build(root: Path, parsed: bool) -> None:
    from compiler import incremental, rebuild
    from compiler.cache import open_cache
    from compiler.project import load

    cache = open_cache(root)
    if cache is None:
        sys.exit(f"no cache can be used in {root}")
    if parsed:
        load(root, cache=cache)  # the parse entries alone: summaries, findings, outputs to make
    clock = _Clock()
    _timed(incremental, "_read", clock, "read")
    _timed(incremental, "_check", clock, "check (and outputs made there)")
    made_stale = rebuild._made

    def made(*args: Any) -> Iterator[Any]:
        yield from made_stale(*args)
        clock.mark("outputs not made by the check")

    rebuild._made = made  # type: ignore[assignment]
    outputs = rebuild.policy_outputs(root, cache)
    clock.mark("calendar.csv")
    if outputs is None or not outputs.policies:
        sys.exit("the corpus did not check clean")
    files = sum(1 for p in (root / "policies").rglob("*.policy"))
    print(f"first build of {root} ({files} files, {len(outputs.policies)} policies)")
    print(f"{'phase':32} {'wall s':>8} {'CPU s here':>11} {'CPU s workers':>14}")
    for phase, wall, here, workers in clock.rows:
        print(f"{phase:32} {wall:8.2f} {here:11.2f} {workers:14.2f}")
    wall, here, workers = (sum(column) for column in list(zip(*clock.rows, strict=True))[1:])
    print(f"{'total':32} {wall:8.2f} {here:11.2f} {workers:14.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"peak memory of this process {peak} MB")


if __name__ == "__main__":
    main()
