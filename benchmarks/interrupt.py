"""How soon a first `policyc build` of a synthetic corpus (benchmarks/corpus.py) stops after
Ctrl-C.  Prints figures only.

.venv/bin/python benchmarks/interrupt.py [--size 600] [--after 5,12,20] [--work DIR] [--src DIR]

For each delay: the cache emptied, `policyc build` started in a process group of its own, and
SIGINT sent after that many seconds, to the whole group (what Ctrl-C on a terminal does) and,
in a second run, to the parent alone (`kill -INT`).  Printed: seconds from the signal to the
exit, the exit code (130: interrupted), what it wrote on stderr and whether any of its
processes outlived it.  --src runs another checkout's compiler (a git worktree of an earlier
commit, to compare).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _interrupted(src: Path, root: Path, out: Path, after: float, group: bool) -> str:
    shutil.rmtree(root / ".policyc-cache", ignore_errors=True)
    build = subprocess.Popen(
        [sys.executable, "-m", "compiler.cli", "--root", str(root), "build", "--out", str(out)],
        cwd=src,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # a group of its own, as a terminal's foreground job is
    )
    time.sleep(after)
    try:
        if build.poll() is not None:
            raise ProcessLookupError
        (os.killpg if group else os.kill)(build.pid, signal.SIGINT)
    except ProcessLookupError:
        build.communicate()
        return f"ended before the signal (exit {build.returncode}): choose a shorter delay"
    sent = time.perf_counter()
    try:
        _, err = build.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(build.pid, signal.SIGKILL)
        return "still running 300 s after the signal (killed)"
    took = time.perf_counter() - sent
    try:
        os.killpg(build.pid, 0)
        left = "processes left behind"
    except ProcessLookupError:
        left = "no process left"
    said = f"{len(err)} bytes on stderr" + (" (a traceback)" if b"Traceback" in err else "")
    return f"exit {build.returncode} after {took:.2f} s; {said}; {left}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=600, help="jurisdictions (default 600)")
    parser.add_argument(
        "--after", default="5,12,20", help="seconds before the signal, comma-separated"
    )
    parser.add_argument("--work", type=Path, help="where the corpus is made (default: a temp dir)")
    parser.add_argument(
        "--src", type=Path, default=HERE.parent, help="the checkout whose compiler runs"
    )
    args = parser.parse_args()

    from corpus import generate

    work = args.work or Path(tempfile.mkdtemp(prefix="policyc-interrupt-"))
    root = (work / f"n{args.size}").resolve()
    if not (root / "policies").is_dir():
        generate(args.size, root)
    out = Path(tempfile.mkdtemp(prefix="policyc-interrupt-out-")) / "build"
    print(f"first builds of {root} by {args.src.resolve()}, interrupted")
    for after in (float(a) for a in args.after.split(",")):
        for group in (True, False):
            whom = "the group " if group else "the parent"
            stopped = _interrupted(args.src, root, out, after, group)
            print(f"after {after:5.1f} s, {whom}: {stopped}")
    shutil.rmtree(out.parent, ignore_errors=True)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
