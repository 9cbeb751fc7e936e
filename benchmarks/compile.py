"""Compile stages at province scale: time and peak memory on synthetic corpora of 50, 500 and
3,000 jurisdictions (benchmarks/corpus.py), with the growth from one size to the next.
Prints figures only.

.venv/bin/python benchmarks/compile.py [--sizes 50,500,3000] [--work DIR] [--keep]

Each size runs in fresh interpreters (so that peak memory is that size's):
- cold: parse (project.load, no cache: every file parsed, on all cores when there are many),
  check, lower, the within-policy conflicts `policyc check` adds (W501), the rule graph
  (networkx, what the site reads) and the validators package (`policyc build`'s output);
- cached: the same project loaded through the parse cache (compiler/cache.py) once to fill it,
  then warm, then after an edit of one policy (a changed number), parse + check + lower;
- incremental: `policyc check` through the cache (compiler/incremental.py) with the parse
  cache filled: first run, warm, after an edit of a rule, after an edit adding a fact (the
  project-wide passes run again), after the file is put back;
- rebuild: `policyc build` through the cache (compiler/rebuild.py), the same stages.
Wall and CPU seconds (CPU: this process and its parsing workers; on a machine shared with
other work the wall time is not the program's, the CPU time is); growth ratios are of CPU time.
Peak memory is the interpreter's maximum resident set after the stage (it only grows), in MB.
The targets (issue 13): 3,000 in under 60 s and 2 GB, about linear; an edit of one policy
among 3,000 rebuilt in under 5 s.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

COLD = ("parse", "check", "lower", "conflicts", "graph", "validators")
CACHED = ("fill cache", "warm parse", "edit: parse", "edit: check", "edit: lower")
INCREMENTAL = ("first", "warm", "edit a rule", "edit a declaration", "edit back")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds of this process and its finished workers (the parallel parse)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _stage(results: dict[str, Any], name: str, work: Callable[[], Any]) -> Any:
    start, cpu = time.perf_counter(), _cpu()
    value = work()
    results[name] = {
        "seconds": time.perf_counter() - start,
        "cpu": _cpu() - cpu,
        "peak_mb": _peak_mb(),
    }
    return value


def run_cold(root: Path, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    from compiler.backends.package import package_files
    from compiler.check import check
    from compiler.conflicts.internal import diagnostics as internal_conflicts
    from compiler.graph import build_graph
    from compiler.lower import lower
    from compiler.parser import _lark
    from compiler.project import load

    _lark()  # the grammar's tables: start-up, not parsing (benchmarks/startup.py)
    results: dict[str, Any] = {}
    loaded = _stage(results, "parse", lambda: load(root))
    model, diagnostics = _stage(results, "check", lambda: check(loaded))
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        sys.exit(f"{root}: {len(errors)} check errors, first: {errors[0].render()}")
    program = _stage(results, "lower", lambda: lower(model, root))
    _stage(results, "conflicts", lambda: internal_conflicts(program, root))
    if "graph" not in skip:
        _stage(results, "graph", lambda: build_graph(program))
    if "validators" not in skip:
        _stage(results, "validators", lambda: package_files(program))
    results["files"] = len(loaded.modules)
    results["bytes"] = sum(p.stat().st_size for p in (root / "policies").glob("*.policy"))
    return results


def run_cached(root: Path) -> dict[str, Any]:
    from compiler.cache import open_cache
    from compiler.check import check
    from compiler.lower import lower
    from compiler.parser import _lark
    from compiler.project import load

    _lark()
    results: dict[str, Any] = {}
    shutil.rmtree(root / ".policyc-cache", ignore_errors=True)
    _stage(results, "fill cache", lambda: load(root, cache=open_cache(root)))
    _stage(results, "warm parse", lambda: load(root, cache=open_cache(root)))
    edited = _edited(root)
    original = edited.read_text(encoding="utf-8")
    edited.write_text(original.replace("within ", "within 1", 1), encoding="utf-8")
    try:
        loaded = _stage(results, "edit: parse", lambda: load(root, cache=open_cache(root)))
        model, _ = _stage(results, "edit: check", lambda: check(loaded))
        _stage(results, "edit: lower", lambda: lower(model, root))
    finally:
        edited.write_text(original, encoding="utf-8")
    return results


def _edited(root: Path) -> Path:
    return sorted((root / "policies").glob("*0*.policy"))[0]


def run_incremental(root: Path) -> dict[str, Any]:
    """`policyc check` through the cache (compiler/incremental.py), the parse cache filled:
    its first run (every file's summary and every policy's findings made), a warm run, an edit
    of a rule (a number), an edit adding a fact (the project-wide passes run again), and the
    file put back.  Each stage is the whole command but the interpreter's start-up."""
    from compiler.cache import open_cache
    from compiler.incremental import check_project

    def check() -> None:
        cache = open_cache(root)
        assert cache is not None
        found = check_project(root, cache)
        assert found is not None and not any(d.severity == "error" for d in found[0])

    return _edits(root, check)


def run_rebuild(root: Path) -> dict[str, Any]:
    """`policyc build` through the cache (compiler/rebuild.py), the parse cache filled: its
    first run (every policy's files made and kept), a warm run, an edit of a rule, an edit
    adding a fact, and the file put back; each writes the whole build directory (links to the
    kept files, the shared files and the wheel made anew).  Each stage is the whole command
    (`compiler.cli.main`) but the interpreter's start-up."""
    import contextlib
    import io

    from compiler.cli import main as policyc

    out = root.parent / f"{root.name}-build"

    def build() -> None:
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code = policyc(["--root", str(root), "build", "--out", str(out)])
        assert code == 0, err.getvalue()

    results = _edits(root, build)
    shutil.rmtree(out, ignore_errors=True)
    return results


def _edits(root: Path, run: Callable[[], None]) -> dict[str, Any]:
    """The stages of INCREMENTAL: `run` first, warm, after two edits of one file, and after
    it is put back."""
    results: dict[str, Any] = {}
    _stage(results, "first", run)
    _stage(results, "warm", run)
    edited = _edited(root)
    original = edited.read_text(encoding="utf-8")
    try:
        edited.write_text(original.replace("within ", "within 1", 1), encoding="utf-8")
        _stage(results, "edit a rule", run)
        fact = 'fact benchmark_added_fact: bool "基准测试添加的事实"\n'
        edited.write_text(original.replace("\nfact ", f"\n{fact}fact ", 1), encoding="utf-8")
        _stage(results, "edit a declaration", run)
    finally:
        edited.write_text(original, encoding="utf-8")
    _stage(results, "edit back", run)
    return results


def _worker(mode: str, root: Path, skip: str = "") -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, f"--{mode}", str(root), "--skip", skip],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if out.returncode != 0:
        sys.exit(f"{mode} {root} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def _table(sizes: list[int], figures: dict[int, dict[str, Any]], stages: tuple[str, ...]) -> None:
    growth = [f"×{b // a} ideal" for a, b in itertools.pairwise(sizes)]
    head = f"{'stage':<13}" + "".join(f"{f'{n:,}: wall':>13} {'cpu':>7} {'MB':>5}" for n in sizes)
    print(head + "".join(f"{g:>11}" for g in growth))
    totals = {size: [0.0, 0.0] for size in sizes}
    for stage in (*stages, "total"):
        row = f"{stage:<13}"
        cpus = []
        for size in sizes:
            if stage == "total":
                wall, cpu = totals[size]
                peak = max(figures[size][s]["peak_mb"] for s in stages)
            else:
                figure = figures[size][stage]
                wall, cpu, peak = figure["seconds"], figure["cpu"], figure["peak_mb"]
                totals[size][0] += wall
                totals[size][1] += cpu
            cpus.append(cpu)
            row += f"{wall:>13.2f} {cpu:>7.2f} {peak:>5.0f}"
        for a, b in itertools.pairwise(cpus):
            row += f"{(b / a if a else float('nan')):>10.1f}×"
        print(row)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="50,500,3000")
    parser.add_argument("--work", type=Path, help="where the corpora are written (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the corpora")
    parser.add_argument(
        "--skip", default="", help="stages left out, e.g. graph,validators (not the parser's)"
    )
    parser.add_argument("--cold", type=Path, help=argparse.SUPPRESS)  # a worker
    parser.add_argument("--cached", type=Path, help=argparse.SUPPRESS)  # a worker
    parser.add_argument("--incremental", type=Path, help=argparse.SUPPRESS)  # a worker
    parser.add_argument("--rebuild", type=Path, help=argparse.SUPPRESS)  # a worker
    args = parser.parse_args()
    if args.cold:
        print(json.dumps(run_cold(args.cold, frozenset(args.skip.split(",")))))
        return
    if args.cached:
        print(json.dumps(run_cached(args.cached)))
        return
    if args.incremental:
        print(json.dumps(run_incremental(args.incremental)))
        return
    if args.rebuild:
        print(json.dumps(run_rebuild(args.rebuild)))
        return

    from corpus import generate

    sizes = [int(s) for s in args.sizes.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="policyc-corpora-"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; corpora in {work}")
    cold: dict[int, dict[str, Any]] = {}
    cached: dict[int, dict[str, Any]] = {}
    incremental: dict[int, dict[str, Any]] = {}
    rebuilt: dict[int, dict[str, Any]] = {}
    try:
        for size in sizes:
            root = work / f"n{size}"
            generate(size, root)
            cold[size] = _worker("cold", root, args.skip)
            cached[size] = _worker("cached", root)
            incremental[size] = _worker("incremental", root)
            rebuilt[size] = _worker("rebuild", root)
            mb = cold[size]["bytes"] / 1e6
            print(f"  {size:,} jurisdictions: {cold[size]['files']:,} files, {mb:.1f} MB of policy")
            # The raw figures too, as each size ends: a long run stopped early keeps them.
            raw = {
                "cold": cold[size],
                "cached": cached[size],
                "incremental": incremental[size],
                "rebuild": rebuilt[size],
            }
            print(f"  {json.dumps(raw)}", flush=True)
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print("\ncold (no cache): seconds and peak MB per stage; growth from one size to the next")
    _table(sizes, cold, tuple(s for s in COLD if s not in args.skip.split(",")))
    print("\nthrough the parse cache: filled, warm, and an edit of one policy (whole program)")
    _table(sizes, cached, CACHED)
    print("\npolicyc check through the cache (compiler/incremental.py), the parse cache filled")
    _table(sizes, incremental, INCREMENTAL)
    print("\npolicyc build through the cache (compiler/rebuild.py), the parse cache filled")
    _table(sizes, rebuilt, INCREMENTAL)


if __name__ == "__main__":
    main()
