"""Build time of the published site: the model (check + lower), the page Markdown, and the
whole MkDocs build (strict), as `policyc site` runs it.

.venv/bin/python benchmarks/site.py [--repeat N]

Each figure is the best of N runs in this process (MkDocs' own import is paid once, before the
first run).  Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler.backends.site.build import render  # noqa: E402
from compiler.backends.site.hook import generated_files  # noqa: E402
from compiler.lower import load_program  # noqa: E402


def best(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    program = load_program(ROOT)
    model_s, _ = best(args.repeat, lambda: load_program(ROOT))
    pages_s, generated = best(args.repeat, lambda: generated_files(program))
    site_s, files = best(args.repeat, lambda: render(ROOT))
    assert isinstance(generated, tuple) and isinstance(files, dict)
    size = sum(len(data) for data in files.values())
    print(f"model (check + lower):        {model_s * 1000:8.0f} ms")
    print(f"generated pages ({len(generated[0]):3d} files):  {pages_s * 1000:8.0f} ms")
    print(f"whole site (MkDocs, strict):  {site_s * 1000:8.0f} ms")
    print(f"  {len(files)} files, {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
