"""Build time of the published site: the model (check + lower), the page Markdown, and the
whole MkDocs build (strict), as `policyc site` runs it.

.venv/bin/python benchmarks/site.py [--repeat N] [--size N [--work DIR]]

Each figure is the best of N runs in this process (MkDocs' own import is paid once, before the
first run).  Figures are printed, never asserted.

With `--size N`, the site of a synthetic corpus of N jurisdictions (benchmarks/corpus.py) instead
of the project's, built once by `policyc site` in a process of its own: the time, the peak
memory of its largest process, the files and bytes, and what grows with the
jurisdictions: the nav's share of the HTML (Material writes it into every page), the largest
page, the shape of the conflict report (compiler/backends/site/conflicts.py), the comparison
tables' downloads (a cut table's are per page: compiler/backends/site/tables.py), and the
search: Material's index, the one file a reader's browser loads whole at the first search, or
beyond 30 policies the chunked index (compiler/backends/site/search.py), its files and what a
search of a few terms loads.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import generate, with_site  # noqa: E402
from compiler.backends.site import conflicts, search  # noqa: E402
from compiler.backends.site.build import render  # noqa: E402
from compiler.backends.site.hook import generated_files  # noqa: E402
from compiler.backends.site.spool import removed  # noqa: E402
from compiler.lower import load_program  # noqa: E402


def best(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


# Material's nav in a page: from the primary nav to the content.
_NAV = re.compile(rb'class="md-nav md-nav--primary".*?<div class="md-content"', re.DOTALL)


def render_aside(root: Path) -> tuple[float, Path, list[str]]:
    """The site of `root` built into a new temporary folder (the caller removes it): the
    seconds, the folder, its files."""
    into = Path(tempfile.mkdtemp(prefix="policyc-site-bench-"))
    start = time.perf_counter()
    try:
        try:
            files = render(root, into)
        finally:
            removed()  # its generated files, removed by a thread: within the time, as the CLI's
    except BaseException:
        shutil.rmtree(into)
        raise
    return time.perf_counter() - start, into, files


def built_apart(root: Path) -> tuple[float, int, Path, list[str]]:
    """`policyc site` of `root` in a process of its own, into a new temporary folder (the
    caller removes it): the seconds, the peak memory of its largest process in bytes (the
    build's and its workers', as the system accounts a child it waits for), the folder, its
    files."""
    into = Path(tempfile.mkdtemp(prefix="policyc-site-bench-"))
    command = [sys.executable, "-m", "compiler.cli", "--root", str(root), "site"]
    command += ["--out", str(into / "site")]
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "CI": "1"})
    _, status, usage = os.wait4(child.pid, 0)
    took = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        shutil.rmtree(into)
        raise SystemExit(f"policyc site exited {code}")
    site = into / "site"
    files = sorted(
        os.path.relpath(os.path.join(folder, name), site).replace(os.sep, "/")
        for folder, _, names in os.walk(site)
        for name in names
    )
    return took, usage.ru_maxrss * 1024, site, files


def corpus_site(size: int, work: Path) -> None:
    root = work / f"corpus{size}"
    generate(size, root)
    with_site(root)
    took, peak, into, files = built_apart(root)
    try:
        sizes = {path: (into / path).stat().st_size for path in files}
        pages = [path for path in files if path.endswith(".html")]
        html = sum(sizes[p] for p in pages)
        nav = sum(len(m.group(0)) for p in pages for m in _NAV.finditer((into / p).read_bytes()))
        largest = max(pages, key=lambda p: sizes[p])
        cases = sum(1 for p in pages if p.startswith("conflicts/cases/"))
        if size > conflicts.PAIRWISE_POLICIES:
            shape = f"no pairwise sections (more than {conflicts.PAIRWISE_POLICIES} policies)"
        elif cases:
            shape = f"a page per decision ({cases} pages)"
        else:
            shape = "one page"
        print(f"{size} jurisdictions: the whole site (MkDocs, strict) in {took:.1f} s")
        print(f"  peak memory of the largest process: {peak / 1e6:,.0f} MB")
        print(f"  {len(files):,} files, {sum(sizes.values()) / 1e6:.1f} MB")
        print(f"  {len(pages):,} HTML pages, {html / 1e6:.1f} MB; the nav {100 * nav / html:.0f} %")
        print(f"  largest page {largest}: {sizes[largest] / 1e6:.2f} MB")
        print(f"  conflict report: {shape}")
        downloads = sum(
            sizes[p] for p in files if p.startswith("tables/") and p.endswith((".csv", ".json"))
        )
        print(f"  the tables' downloads: {downloads / 1e6:.1f} MB")
        if "search/meta.json" in sizes:
            chunked_search(into, sizes)
        else:
            index = sizes.get("search/search_index.json", 0)
            print(f"  the search index (loaded whole by a reader's browser): {index / 1e6:.1f} MB")
    finally:
        shutil.rmtree(into.parent)


# What a reader of a province's site might search: terms of two, four and three characters.
SEARCHED = ("低保", "公示", "民主评议", "一事一议", "入户调查", "工作日")


def chunked_search(into: Path, sizes: dict[str, int]) -> None:
    """A province's search (compiler/backends/site/search.py): its files, and for each of
    SEARCHED the bytes a reader's browser loads for the first 20 results, as
    site_templates/search.js reads them (the meta, the shards of the term's tokens, then the
    candidates' texts 20 at a time until 20 hold the term)."""
    folder = into / search.FOLDER
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    shards = {p: n for p, n in sizes.items() if p.startswith("search/shards/")}
    texts = {p: n for p, n in sizes.items() if p.startswith("search/pages/")}
    print(
        f"  the search: {meta['pages']:,} pages; {len(shards):,} shards, "
        f"{sum(shards.values()) / 1e6:.1f} MB (largest {max(shards.values()) / 1e3:.0f} KB); "
        f"the pages' texts {sum(texts.values()) / 1e6:.1f} MB (largest "
        f"{max(texts.values()) / 1e3:.0f} KB)"
    )
    for term in SEARCHED:
        loaded = {"search/meta.json"}
        lists = []
        for token in search.term_tokens(search.normalize(term)):
            shard = f"search/shards/{search.shard_of(token, meta['shards'])}.json"
            loaded.add(shard)
            postings = json.loads((into / shard).read_text(encoding="utf-8")).get(token, [])
            lists.append(set(itertools.accumulate(postings)))
        candidates = sorted(set.intersection(*lists))
        found = read = 0
        while found < 20 and read < len(candidates):
            for number in candidates[read : read + 20]:
                path = f"search/pages/{number}.json"
                loaded.add(path)
                page = json.loads((into / path).read_text(encoding="utf-8"))
                found += any(term in search.normalize(text) for text in search.texts(page))
            read += 20
        print(
            f"    {term}: {len(candidates):,} candidate pages; the first {found} results "
            f"load {sum(sizes[p] for p in loaded) / 1e3:,.0f} KB in {len(loaded)} files"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--size", type=int, help="a synthetic corpus of N jurisdictions")
    parser.add_argument("--work", type=Path, help="where the corpus is written (a temp dir)")
    args = parser.parse_args()
    if args.size is not None:
        if args.work is not None:
            corpus_site(args.size, args.work)
            return 0
        with tempfile.TemporaryDirectory(prefix="policyc-site-bench-") as work:
            corpus_site(args.size, Path(work))
        return 0
    program = load_program(ROOT)
    model_s, _ = best(args.repeat, lambda: load_program(ROOT))
    pages_s, generated = best(args.repeat, lambda: generated_files(program))
    times = []
    for _ in range(args.repeat):
        took, into, files = render_aside(ROOT)
        try:
            size = sum((into / path).stat().st_size for path in files)
        finally:
            shutil.rmtree(into)
        times.append(took)
    assert isinstance(generated, tuple)
    print(f"model (check + lower):        {model_s * 1000:8.0f} ms")
    print(f"generated pages ({len(generated[0]):3d} files):  {pages_s * 1000:8.0f} ms")
    print(f"whole site (MkDocs, strict):  {min(times) * 1000:8.0f} ms")
    print(f"  {len(files)} files, {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
