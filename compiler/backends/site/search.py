"""The site's search at province scale: Pagefind's index, cut into chunks, in place of Material's
one file.

Material's search plugin (mkdocs.yml `search`) writes the whole site's text, segmented by jieba,
into one file, search/search_index.json, that a reader's browser loads whole at the first
search: 1.6 MB for the five cities, 80 MB at 300 jurisdictions, about 800 MB at 3,000.  Making
it (jieba and an HTML parse of every page, in MkDocs' one process) was 37 % of the build of
the site of 300 (benchmarks/README.md, the twenty-seventh round).

Beyond CHUNKED_POLICIES policies the hook (compiler/backends/site/hook.py) turns Material's
search off and, once MkDocs has written the site, indexes it with Pagefind, a program made for
the job: its index is cut by word into chunks, and a search loads only the chunks of its words
and the fragments of the pages it shows (13 MB in all at 300, of which a search of one word
loads some hundreds of KB).  Its "extended" build segments Chinese.  The site then has a
search page (`PAGE`, in the nav after the home page), Pagefind's own interface run by
site_templates/search.js; Material's search box leaves the header.  Below the
bound nothing changes: the five cities' site is the same bytes as before.

Like Material's, this search needs the site served over HTTP (`policyc serve`, or any static
server): a browser does not let a page opened from a file fetch the index.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from compiler import ir
from compiler.backends.site.page import Page, site_root
from compiler.backends.site.render import TEMPLATES
from compiler.errors import PolicycError
from compiler.progress import Steps, quiet

# The most policies whose site keeps Material's one-file search (about 8 MB of index at 30).
CHUNKED_POLICIES: Final = 30

# The search page, its nav title and template, its script (site_templates/search.js, written
# beside the page only: a site with Material's search has no use for it), and the folder of
# Pagefind's index in the site (the script finds it there).
PAGE: Final = "search.md"
TITLE: Final = "搜索"
TEMPLATE: Final = "search.md.j2"
SCRIPT: Final = "assets/policyc/search.js"
BUNDLE: Final = "pagefind"
# In the first bundle: the list of the others, which the search page merges (a JSON list of
# folders relative to the site root: ["pagefind-2/", …]).
MERGED: Final = "policyc-bundles.json"

# The most pages one run of Pagefind indexes.  Pagefind holds every word of the pages it
# indexes in memory: 1.25 MB a document page (0.78 GB for 600), 6.2 GB for the 10,065 pages of
# 3,000 jurisdictions in one run.  A run of PAGES_PER_INDEX pages writes a bundle of its own
# (pagefind/, pagefind-2/, …) and the search page merges them (Pagefind's mergeIndex): each
# run holds at most about 1.3 GB, and a search loads each bundle's entry, metadata and engine
# (about 130 KB a bundle) beside the chunks of its words.
PAGES_PER_INDEX: Final = 1_000

# What the progress line shows while Pagefind runs.
INDEXING: Final = "indexing"
INDEXED: Final = "pages for search"

# What Pagefind leaves out of the content the hook marks (its `on_page_content`):
# - the headings' permalink sign (¶), which would end every title;
# - the code blocks (`.highlight`): the transcription in the policy language, whose quotes
#   repeat the official text indexed at its clause (a word would be found twice for one
#   clause) and whose identifiers are English.  Pagefind holds every word of every page in
#   memory as it indexes: the code was two fifths of a document page's words, and leaving it
#   out took Pagefind from 1.17 to 0.78 GB on the 600 document pages of 600 jurisdictions;
# - a decision page's diagram (`.mermaid`): Mermaid's source, whose labels repeat the page's
#   text with their markup (`<br/>`), which an excerpt would show as is.
EXCLUDED: Final = (".headerlink", ".highlight", ".mermaid")


class SearchUnavailable(PolicycError):
    """The site needs Pagefind's search and Pagefind's extended build is not installed."""


def chunked(program: ir.Program) -> bool:
    """Whether the site's search is Pagefind's (when mkdocs.yml has Material's search on)."""
    return len(program.policies) > CHUNKED_POLICIES


def page() -> Page:
    """The search page: Pagefind's interface (search.js), found from the nav."""
    return Page(
        PAGE,
        TITLE,
        TEMPLATE,
        {"bound": CHUNKED_POLICIES, "script": site_root(PAGE) + SCRIPT},
        {SCRIPT: (TEMPLATES / "search.js").read_text(encoding="utf-8")},
    )


def executable() -> Path:
    """Pagefind's extended build (PyPI `pagefind-bin-extended`: a binary for Linux, macOS and
    Windows); SearchUnavailable without it.  The plain build would index Chinese unsegmented."""
    try:
        from pagefind_bin_extended import get_executable  # type: ignore[import-untyped]
    except ImportError:
        raise SearchUnavailable(
            f"a site of more than {CHUNKED_POLICIES} policies is searched with Pagefind, "
            "which is not installed: install the site extra (pip install -e '.[site]')"
        ) from None
    return Path(get_executable())


def bundle(number: int) -> str:
    """The folder of the `number`-th index (from 0), relative to the site root."""
    return BUNDLE if number == 0 else f"{BUNDLE}-{number + 1}"


def index(site: Path, pages: Sequence[str], steps: Steps = quiet) -> None:
    """Index the `pages` (HTML files, relative to the built site in `site`) PAGES_PER_INDEX at a
    time, each run into a bundle of its own (`bundle`), and list the bundles after the first
    in MERGED, which the search page merges into its search.  The same bytes for the same
    pages: tests/test_site_scale.py builds twice.  `steps` hears of the pages indexed."""
    command = executable()
    ordered = sorted(pages)
    runs = [ordered[i : i + PAGES_PER_INDEX] for i in range(0, len(ordered), PAGES_PER_INDEX)]
    done = 0
    steps(INDEXING, done, len(ordered), INDEXED)
    for number, run in enumerate(runs):
        # Pagefind indexes a folder: the run's pages are linked into one of their own, at the
        # same paths, so that its results have the site's addresses.
        with tempfile.TemporaryDirectory(prefix="policyc-search-", dir=site.parent) as tree:
            for page in run:
                _link(site / page, Path(tree) / page)
            _pagefind(command, Path(tree), site / bundle(number))
        done += len(run)
        steps(INDEXING, done, len(ordered), INDEXED)
    merged = [f"{bundle(number)}/" for number in range(1, len(runs))]
    (site / BUNDLE).mkdir(exist_ok=True)  # no page to index: no bundle, an empty list
    (site / BUNDLE / MERGED).write_text(json.dumps(merged) + "\n", encoding="utf-8")


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without links
        shutil.copyfile(source, target)


def _pagefind(command: Path, tree: Path, out: Path) -> None:
    argv = [
        str(command),
        "--site",
        str(tree),
        "--output-path",
        str(out),
        *(arg for selector in EXCLUDED for arg in ("--exclude-selectors", selector)),
        # Its errors only: with --quiet it still notes, on every build, that it has no
        # stemmer for Chinese (Chinese words have no stems to match across).
        "--silent",
    ]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as error:  # not an executable for this machine, say
        raise SearchFailed(f"cannot run Pagefind ({command}): {error.strerror or error}") from None
    said = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise SearchFailed(f"Pagefind failed to index the site (exit {done.returncode}):\n{said}")


class SearchFailed(PolicycError):
    """Pagefind failed or warned: the site is not published without its search."""
