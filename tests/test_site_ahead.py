"""The site's pages rendered ahead by worker processes (compiler/backends/site/ahead.py): the
same site, byte for byte, as MkDocs rendering every page itself; a page a worker cannot render
is rendered by MkDocs; what MkDocs warns of in a worker fails the strict build as it would."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from compiler.backends.site import ahead, search, spool, writer
from compiler.backends.site.build import SiteFailed, build_site
from compiler.cache import FOLDER
from compiler.project import JOBS_VARIABLE, forked_map, forks

pytestmark = pytest.mark.site

HOOK = Path(__file__).resolve().parent.parent / "compiler" / "backends" / "site" / "hook.py"


@pytest.fixture(scope="module")
def corpus(site_corpus: Path) -> Path:
    """A project of 10 synthetic jurisdictions: some 80 pages, ten batches."""
    return site_corpus


@pytest.fixture(scope="module")
def alone(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus's site as MkDocs renders it without workers (one process)."""
    out = tmp_path_factory.mktemp("alone") / "site"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(JOBS_VARIABLE, "1")
        build_site(corpus, out)
    return out


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _renders(monkeypatch: pytest.MonkeyPatch, log: Path, fails: str = "") -> None:
    """Every `Page.render` noted in `log` (process, page, Markdown's length), in whatever
    process it runs; `fails`: a page whose rendering raises in a worker."""
    render: Callable[..., None] = Page.render
    parent = os.getpid()

    def noted(page: Page, config: Any, files: Any) -> None:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} {page.file.src_uri} {len(page.markdown or '')}\n")
        if page.file.src_uri == fails and os.getpid() != parent:
            raise RuntimeError("a worker could not render this page")
        render(page, config, files)

    monkeypatch.setattr(Page, "render", noted)


def _read(log: Path) -> list[tuple[int, str, int]]:
    rows = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    return [(int(pid), uri, int(length)) for pid, uri, length in rows]


def test_workers_render_the_site_mkdocs_renders(
    corpus: Path, alone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(JOBS_VARIABLE, "2")  # workers, on any machine
    log = tmp_path / "renders"
    _renders(monkeypatch, log)
    build_site(corpus, tmp_path / "site")
    assert _files(tmp_path / "site") == _files(alone)
    renders = _read(log)
    by_workers = {uri for pid, uri, length in renders if pid != os.getpid() and length}
    pages = {p.relative_to(corpus / "docs").as_posix() for p in (corpus / "docs").rglob("*.md")}
    assert pages <= by_workers  # the hand-written pages, and the generated ones
    assert len(by_workers) > 60
    # MkDocs itself rendered no page, not even with the empty Markdown the hook leaves it
    # (a Markdown made with every extension, for nothing): each page came from a worker.
    assert [uri for pid, uri, length in renders if pid == os.getpid()] == []


def test_mkdocs_reads_no_source_a_worker_read(
    corpus: Path, alone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page a worker rendered: MkDocs' process reads not its source but the values of its
    front matter as the worker read them (the search's `exclude`, a page's template), and
    the site is the same."""
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    read_source: Callable[..., None] = Page.read_source
    log = tmp_path / "reads"

    def noted(page: Page, config: Any) -> None:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} {page.file.src_uri}\n")
        read_source(page, config)

    monkeypatch.setattr(Page, "read_source", noted)
    build_site(corpus, tmp_path / "site")
    assert _files(tmp_path / "site") == _files(alone)
    reads = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(reads) > 60
    assert [uri for pid, uri in reads if int(pid) == os.getpid()] == []
    # Material's search read each page's front matter here: the conflict report is left out.
    index = (tmp_path / "site" / "search" / "search_index.json").read_text(encoding="utf-8")
    assert '"location":"documents/' in index.replace(" ", "")
    assert '"location":"conflicts/' not in index.replace(" ", "")


def test_workers_index_a_province_s_search_as_mkdocs_does(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With search.py's index (a site of more than CHUNKED_POLICIES policies), each worker
    makes the entry of the pages it renders, and MkDocs' process only adds them: the same
    index, and the same site, as MkDocs alone makes."""
    monkeypatch.setattr(search, "CHUNKED_POLICIES", 3)  # the corpus's ten: chunked
    made = tmp_path / "entries"
    entry = search.entry

    def noted(url: str, title: str, content: str) -> search.Entry:
        with made.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} {url}\n")
        return entry(url, title, content)

    monkeypatch.setattr(search, "entry", noted)
    monkeypatch.setenv(JOBS_VARIABLE, "1")
    build_site(corpus, tmp_path / "alone")
    assert (tmp_path / "alone" / search.FOLDER / "meta.json").is_file()
    here = [line.partition(" ")[2] for line in made.read_text(encoding="utf-8").splitlines()]
    made.unlink()
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    build_site(corpus, tmp_path / "site")
    assert _files(tmp_path / "site") == _files(tmp_path / "alone")
    rows = [line.partition(" ")[::2] for line in made.read_text(encoding="utf-8").splitlines()]
    assert sorted(url for _, url in rows) == sorted(here)
    assert len(here) > 40  # every page but those the search leaves out
    assert all(int(pid) != os.getpid() for pid, _ in rows)  # every entry made by a worker


def test_a_page_a_worker_cannot_render_is_rendered_by_mkdocs(
    corpus: Path, alone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    log = tmp_path / "renders"
    failing = "tables/duties.md"
    _renders(monkeypatch, log, fails=failing)
    build_site(corpus, tmp_path / "site")
    assert _files(tmp_path / "site") == _files(alone)
    here = [uri for pid, uri, length in _read(log) if pid == os.getpid() and length]
    assert here == [failing]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_warning_in_a_worker_fails_the_strict_build(
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    jobs: str,
) -> None:
    project = tmp_path / "corpus"
    shutil.copytree(corpus, project)
    (project / "docs" / "index.md").write_text("# 首页\n\n[去处](nowhere.md)\n", encoding="utf-8")
    monkeypatch.setenv(JOBS_VARIABLE, jobs)
    with pytest.raises(SiteFailed, match="strict mode"):
        build_site(project, tmp_path / "site")
    err = capsys.readouterr().err
    assert err.count("'nowhere.md'") == 1, err  # said once, by this process
    assert "WARNING" in err
    assert not (tmp_path / "site").exists()


def test_the_workers_render_no_more_than_a_window_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The results wait in this process until MkDocs takes them: the workers are given a
    window of jobs, not every job (given every one, they rendered 70 pages ahead of MkDocs at
    30 jurisdictions)."""
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    started = tmp_path / "started"

    def work(job: int) -> int:
        with started.open("a", encoding="utf-8") as out:
            out.write(f"{job}\n")
        return job

    for read, job in enumerate(forked_map(work, list(range(24)), window=3)):
        assert job == read
        time.sleep(0.05)  # a reader slower than the workers
        assert len(started.read_text(encoding="utf-8").split()) <= read + 3


def test_while_a_long_job_runs_the_other_workers_go_on_up_to_the_stretch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first job runs until the other worker has done six jobs, beyond the window of three
    (a page that takes long early in MkDocs' order, as the conflict report's at 3,000
    jurisdictions): while the reader waits for it, the other worker is given the next jobs,
    up to the stretch of eight given and not yet read, and no more.  The results come in the
    jobs' order."""
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    done = tmp_path / "done"

    def finished() -> int:
        return len(done.read_text(encoding="utf-8").split()) if done.exists() else 0

    def work(job: int) -> int:
        if job:
            with done.open("a", encoding="utf-8") as out:
                out.write(f"{job}\n")
            return job
        deadline = time.monotonic() + 60  # without the stretch it would wait for good
        while finished() < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(1)  # time for the stretch's last job, and for one beyond, were it given
        return -finished()

    results = list(forked_map(work, list(range(16)), window=3, stretch=8))
    assert results[1:] == list(range(1, 16))
    assert -results[0] == 7  # the eight jobs of the stretch given, the first among them


def test_mkdocs_s_workers_render_with_a_stretch(monkeypatch: pytest.MonkeyPatch) -> None:
    """`Ahead` gives the workers a window of batches for each, and a stretch in all."""
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    asked: dict[str, object] = {}

    def recorded(work: object, jobs: list[object], **kwargs: object) -> Iterator[object]:
        asked.update(kwargs, jobs=len(jobs))
        return iter(())

    monkeypatch.setattr(ahead, "forked_map", recorded)
    files = Files([File(f"p{i}.md", "docs", "site", use_directory_urls=True) for i in range(20)])
    ahead.Ahead(MkDocsConfig(), files)
    assert asked == {"jobs": 3, "window": 2 * ahead.WINDOW, "stretch": ahead.STRETCH}
    assert ahead.STRETCH > 2 * ahead.WINDOW


def test_with_another_plugin_mkdocs_keeps_and_renders_the_pages(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Material's tags plugin writes its listing into a page between the pages' rendering and
    their writing (`on_env`): it found the page held on disk, empty, and the listing was lost.
    With a plugin other than Material's search, MkDocs keeps the pages, as without the hook."""
    project = tmp_path / "corpus"
    shutil.copytree(corpus, project)
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "      lang: zh\n" in text
    config.write_text(text.replace("      lang: zh\n", "      lang: zh\n  - tags\n", 1), "utf-8")
    docs = project / "docs"
    (docs / "tagged.md").write_text("---\ntags:\n  - 救助\n---\n# 标签页\n\n正文\n", "utf-8")
    (docs / "tags.md").write_text("# 标签\n\n<!-- material/tags -->\n", encoding="utf-8")
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    log = tmp_path / "renders"
    _renders(monkeypatch, log)
    build_site(project, tmp_path / "site")
    listing = (tmp_path / "site" / "tags" / "index.html").read_text(encoding="utf-8")
    assert 'href="../tagged/"' in listing and "救助" in listing
    assert "tags.md:" not in listing  # the plugin's placeholder, not replaced
    assert {pid for pid, _, _ in _read(log)} == {os.getpid()}  # no worker rendered


def test_a_build_that_fails_while_workers_render_leaves_nothing(
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A page MkDocs cannot render (here in every process: the worker's failure sends it back
    to MkDocs, which fails the build) stops the workers still rendering; no temporary file of
    the build is left."""
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    render: Callable[..., None] = Page.render

    def failing(page: Page, config: Any, files: Any) -> None:
        if page.file.src_uri.startswith("decisions/"):  # early: most pages still to render
            raise RuntimeError("this page cannot be rendered")
        render(page, config, files)

    monkeypatch.setattr(Page, "render", failing)
    before = multiprocessing.active_children()
    with pytest.raises(RuntimeError, match="cannot be rendered"):
        build_site(corpus, tmp_path / "site")
    assert "Error reading page 'decisions/" in capsys.readouterr().err
    assert multiprocessing.active_children() == before
    # (jieba keeps its dictionary's cache there: not the build's.)
    assert [p.name for p in temporary.iterdir() if p.name != "jieba.cache"] == []
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_model_is_let_go_before_mkdocs_renders(
    corpus: Path, alone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    """MkDocs' loops (and the workers, forked with this process's memory) do not need the
    model.  With workers, it is made, and the pages generated from it, in a process of its own
    (`project.in_a_fork`): this one never holds it.  Without (POLICYC_JOBS=1), it is let go
    here: the interpreter's cache of the policies' tables (read for the due dates) held it."""
    import mkdocs.commands.build as mkdocs_build

    monkeypatch.setenv(JOBS_VARIABLE, jobs)
    models: list[weakref.ref[Any]] = []
    alive: list[bool] = []
    generated_in = tmp_path / "generated-in"
    # The hook as MkDocs loaded it for `alone`: from its path in mkdocs.yml, a module of its own.
    loaded = sys.modules[HOOK.as_posix()]
    generate_pages = loaded.generate

    def noted(program: Any, *args: Any) -> Any:
        models.append(weakref.ref(program))
        generated_in.write_text(str(os.getpid()))
        return generate_pages(program, *args)

    populate = mkdocs_build._populate_page

    def first_rendered(*args: Any, **kwargs: Any) -> None:
        if not alive:
            alive.append(any(model() is not None for model in models))
        populate(*args, **kwargs)

    monkeypatch.setattr(loaded, "generate", noted)
    monkeypatch.setattr(mkdocs_build, "_populate_page", first_rendered)
    build_site(corpus, tmp_path / "site")
    assert alive == [False]
    here = generated_in.read_text() == str(os.getpid())
    assert here == (jobs == "1" or not forks())
    assert _files(tmp_path / "site") == _files(alone)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_pages_are_generated_with_the_collector_paused(
    corpus: Path, alone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    """The cycle collector is off while the model is made and the pages generated from it
    (each collection went through the whole model), and on again after, in this process too
    when the pages are generated here."""
    monkeypatch.setenv(JOBS_VARIABLE, jobs)
    loaded = sys.modules[HOOK.as_posix()]
    generate_pages = loaded.generate
    seen = tmp_path / "collector"

    def noted(program: Any, *args: Any) -> Any:
        for generated in generate_pages(program, *args):
            with seen.open("a", encoding="utf-8") as out:
                out.write(f"{gc.isenabled()}\n")
            yield generated

    monkeypatch.setattr(loaded, "generate", noted)
    assert gc.isenabled()
    build_site(corpus, tmp_path / "site")
    assert gc.isenabled()
    states = seen.read_text(encoding="utf-8").split()
    assert len(states) > 60 and set(states) == {"False"}
    assert _files(tmp_path / "site") == _files(alone)


# Objects with a cycle each, one made by every page a worker renders (`test_a_worker_…`).
_CYCLES: list[weakref.ref[Any]] = []


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_worker_collects_the_cycles_of_each_batch_it_renders(
    corpus: Path, alone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker renders a batch of pages with the cycle collector off, then collects what the
    batch left in cycles (a page's Markdown and its extensions are one) and sets the rest
    aside: however many pages it renders, no more than a batch's cycles are alive at once."""
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    render: Callable[..., None] = Page.render
    parent = os.getpid()
    log = tmp_path / "cycles"

    def noted(page: Page, config: Any, files: Any) -> None:
        if os.getpid() != parent:
            alive = sum(ref() is not None for ref in _CYCLES)
            with log.open("a", encoding="utf-8") as out:
                out.write(f"{os.getpid()} {gc.isenabled()} {alive} {len(gc.get_objects())}\n")
            _CYCLES.append(weakref.ref(_Cycle()))  # garbage at once, in a cycle
        render(page, config, files)

    monkeypatch.setattr(Page, "render", noted)
    build_site(corpus, tmp_path / "site")
    assert _files(tmp_path / "site") == _files(alone)
    rows = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    by_worker: dict[str, list[int]] = {}
    for pid, _, _, tracked in rows:
        by_worker.setdefault(pid, []).append(int(tracked))
    busiest = max(by_worker.values(), key=len)
    assert len(busiest) > 2 * ahead.BATCH  # a worker rendered several batches
    assert {enabled for _, enabled, _, _ in rows} == {"False"}
    # Without the collector the cycles grew with the pages; each batch's are collected.
    assert max(int(alive) for _, _, alive, _ in rows) < ahead.BATCH
    # What a batch kept is set aside (`gc.freeze`): the objects a collection would read when a
    # batch begins (the collector's own count of them) do not grow with the batches before.
    begun = busiest[:: ahead.BATCH]  # a worker's pages come a batch at a time, in order
    assert max(begun[1:]) <= begun[0] + 300, begun


def test_the_site_reads_the_project_through_its_parse_cache(
    corpus: Path, alone: Path, tmp_path: Path
) -> None:
    """As `policyc build` does (compiler/cache.py): once the project's files are parsed, a
    site parses none of them again, and after an edit only the file edited; `--no-cache`
    (`cached=False`) parses every file and neither reads nor writes the cache.  The same site
    each time."""
    project = tmp_path / "project"
    shutil.copytree(corpus, project, ignore=shutil.ignore_patterns(FOLDER))
    parsed: list[int] = []

    def steps(doing: str, done: int, total: int, unit: str) -> None:
        if doing == "parsing" and done == total:
            parsed.append(total)

    def site(name: str, *, cached: bool = True) -> Path:
        parsed.clear()
        build_site(project, tmp_path / name, steps, cached=cached)
        return tmp_path / name

    files = len(list((project / "policies").glob("*.policy")))
    assert _files(site("uncached", cached=False)) == _files(alone)
    assert parsed == [files]
    assert not (project / FOLDER).exists()
    assert _files(site("first")) == _files(alone)
    assert parsed == [files]
    assert (project / FOLDER).is_dir()
    assert _files(site("again")) == _files(alone)
    assert parsed == []
    assert _files(site("uncached-again", cached=False)) == _files(alone)  # the cache not read
    assert parsed == [files]
    edited = sorted((project / "policies").glob("*.policy"))[-1]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# 改过\n", encoding="utf-8")
    site("edited")
    assert parsed == [1]


@pytest.mark.parametrize("cached", [True, False])
def test_serve_rebuilds_as_told(
    cached: bool, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MkDocs' serve builds, and rebuilds, in the thread that called it: what `serve` tells the
    hook (`page.CACHED`) holds there."""
    import mkdocs.commands.serve as mkdocs_serve

    from compiler.backends.site.build import serve
    from compiler.backends.site.page import CACHED

    seen: list[bool] = []
    monkeypatch.setattr(mkdocs_serve, "serve", lambda **options: seen.append(CACHED.get()))
    serve(corpus, 8765, cached=cached)
    assert seen == [cached]
    assert CACHED.get() is True  # set for the serve only


@pytest.mark.parametrize("verb", ["site", "serve"])
def test_no_cache_reaches_the_site(
    verb: str, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`policyc site --no-cache` and `policyc serve --no-cache` build without the cache; the
    cache is used without it."""
    import compiler.backends.site.build as site_build
    from compiler.cli import main

    asked: list[bool] = []

    def noted(*args: Any, cached: bool = True) -> int:
        asked.append(cached)
        return 0

    monkeypatch.setattr(site_build, "build_site" if verb == "site" else "serve", noted)
    where = ["--out", str(tmp_path / "site")] if verb == "site" else ["--port", "8765"]
    for extra in ([], ["--no-cache"]):
        assert main(["--root", str(corpus), verb, *where, *extra]) == 0
    assert asked == [True, False]


# ---------------------------------------------------------------- the pages written ahead


@pytest.fixture(scope="module")
def province_alone(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus's site as a province's (search.py's index: Material's search off), as MkDocs
    writes it without workers."""
    out = tmp_path_factory.mktemp("province-alone") / "site"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "CHUNKED_POLICIES", 3)
        patch.setenv(JOBS_VARIABLE, "1")
        build_site(corpus, out)
    return out


def _writes(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Every file MkDocs' loops write noted in `log` (process, file), in whatever process."""
    import mkdocs.utils

    write: Callable[[bytes, str], None] = mkdocs.utils.write_file

    def noted(content: bytes, output_path: str) -> None:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} {output_path}\n")
        write(content, output_path)

    monkeypatch.setattr(mkdocs.utils, "write_file", noted)


def _written_by(log: Path) -> dict[str, set[int]]:
    """Each file of the site (relative to the folder the site is built in: `build_site`'s
    temporary folder) by the processes that wrote it."""
    out: dict[str, set[int]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        pid, path = line.split(" ", 1)
        relative = path.split(f"{os.sep}policyc-site-", 1)[1].split(os.sep, 1)[1]
        out.setdefault(relative, set()).add(int(pid))
    return out


def test_workers_write_a_province_s_pages_as_mkdocs_does(
    corpus: Path,
    province_alone: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On a province's site the workers write every page (the theme's template around its
    HTML): the same files, byte for byte, as MkDocs alone writes; MkDocs' process writes none
    of them, and says nothing of the pages it passes over, even where its INFO lines are shown
    (`policyc serve`)."""
    import compiler.backends.site.build as site_build

    monkeypatch.setattr(search, "CHUNKED_POLICIES", 3)
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    shown = site_build._warnings_shown
    monkeypatch.setattr(site_build, "_warnings_shown", lambda: shown(logging.INFO))
    log = tmp_path / "writes"
    _writes(monkeypatch, log)
    site = tmp_path / "site"
    build_site(corpus, site)
    assert _files(site) == _files(province_alone)
    by = _written_by(log)
    pages = {path for path in _files(site) if path.endswith("index.html")}
    assert len(pages) > 60
    assert pages <= set(by)
    assert all(os.getpid() not in by[path] and len(by[path]) == 1 for path in pages)
    assert len({pid for path in pages for pid in by[path]}) == 2  # two workers
    err = capsys.readouterr().err
    assert "INFO" in err  # MkDocs' INFO lines are shown ...
    assert "Generated empty output" not in err  # ... not a note of a page passed over


def test_a_page_a_worker_cannot_write_is_written_by_mkdocs(
    corpus: Path, province_alone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "CHUNKED_POLICIES", 3)
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    import mkdocs.commands.build as mkdocs_build

    build_page: Callable[..., None] = mkdocs_build._build_page
    parent = os.getpid()

    def failing(page: Page, *args: Any, **kwargs: Any) -> None:
        if page.file.src_uri == "tables/duties.md" and os.getpid() != parent:
            raise RuntimeError("a worker could not write this page")
        build_page(page, *args, **kwargs)

    monkeypatch.setattr(mkdocs_build, "_build_page", failing)
    log = tmp_path / "writes"
    _writes(monkeypatch, log)
    site = tmp_path / "site"
    build_site(corpus, site)
    assert _files(site) == _files(province_alone)
    here = [path for path, pids in _written_by(log).items() if os.getpid() in pids]
    assert "tables/duties/index.html" in here
    assert [path for path in here if path.endswith("index.html")] == ["tables/duties/index.html"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_warning_while_a_worker_writes_fails_the_strict_build(
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    jobs: str,
) -> None:
    """What MkDocs is told while a worker writes a page is told in MkDocs' process, where
    strict mode counts the warnings: once, as when MkDocs writes the page itself."""
    monkeypatch.setattr(search, "CHUNKED_POLICIES", 3)
    monkeypatch.setenv(JOBS_VARIABLE, jobs)
    import mkdocs.commands.build as mkdocs_build

    build_page: Callable[..., None] = mkdocs_build._build_page

    def warning(page: Page, *args: Any, **kwargs: Any) -> None:
        # Not where MkDocs passes over a page a worker wrote.
        if page.file.src_uri == "tables/duties.md" and page.meta.get("template") != writer.PASS:
            logging.getLogger("mkdocs.plugins").warning("a theme's warning on this page")
        build_page(page, *args, **kwargs)

    monkeypatch.setattr(mkdocs_build, "_build_page", warning)
    with pytest.raises(SiteFailed, match="strict mode"):
        build_site(corpus, tmp_path / "site")
    err = capsys.readouterr().err
    assert err.count("a theme's warning on this page") == 1, err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_template_missing_fails_as_mkdocs_fails(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    """A page whose front matter names a template the theme does not have: the worker cannot
    write it, MkDocs' process writes it with that template and fails as MkDocs fails."""
    project = tmp_path / "corpus"
    shutil.copytree(corpus, project)
    (project / "docs" / "about.md").write_text(
        "---\ntemplate: nowhere.html\n---\n# 关于\n\n正文\n", encoding="utf-8"
    )
    monkeypatch.setattr(search, "CHUNKED_POLICIES", 3)
    monkeypatch.setenv(JOBS_VARIABLE, jobs)
    with pytest.raises(SiteFailed, match=r"nowhere\.html"):
        build_site(project, tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_a_page_whose_file_is_another_s_is_written_after_it(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page and a static file of docs/ that MkDocs writes to one file of the site: the page,
    written after the static files as MkDocs writes it, not by a worker while MkDocs copies
    them."""
    project = tmp_path / "corpus"
    shutil.copytree(corpus, project)
    docs = project / "docs"
    (docs / "about.md").write_text("# 关于\n\n页面的正文\n", encoding="utf-8")
    (docs / "about").mkdir()
    (docs / "about" / "index.html").write_text("<p>a static file</p>\n", encoding="utf-8")
    monkeypatch.setattr(search, "CHUNKED_POLICIES", 3)
    monkeypatch.setenv(JOBS_VARIABLE, "1")
    build_site(project, tmp_path / "alone")
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    log = tmp_path / "writes"
    _writes(monkeypatch, log)
    build_site(project, tmp_path / "site")
    assert _files(tmp_path / "site") == _files(tmp_path / "alone")
    assert "页面的正文" in (tmp_path / "site" / "about" / "index.html").read_text("utf-8")
    assert _written_by(log)["about/index.html"] == {os.getpid()}


def _planned(
    tmp_path: Path, corpus: Path, paths: list[str], directory_urls: bool = True
) -> list[str]:
    """`writer.plan` of a site whose files are `paths` (Markdown pages, or static files), with
    the corpus's theme."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files, InclusionLevel

    config = load_config(
        config_file=str(corpus / "mkdocs.yml"),
        site_dir=str(tmp_path / "site"),
        use_directory_urls=directory_urls,
    )
    files = []
    for path in paths:
        name, _, mark = path.partition(" ")
        file = File(name, str(tmp_path / "docs"), str(tmp_path / "site"), directory_urls)
        file.inclusion = InclusionLevel.DRAFT if mark == "draft" else InclusionLevel.INCLUDED
        files.append(file)
    return writer.plan(Files(files), config)


def test_the_workers_write_each_page_whose_file_is_its_own(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages the workers write: each whose file in the site no other file, page or theme's
    template has (MkDocs writes those in its order); none where a page is a draft (MkDocs
    marks it), or where they would be a batch or fewer (one job runs in MkDocs' process)."""
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    pages = [f"p{n}.md" for n in range(12)]
    assert _planned(tmp_path, corpus, pages) == pages
    # A static file, another page, where the page's file is.
    clashing = [*pages, "p3/index.html", "p5/index.md", "404.md"]
    expected = [p for p in pages if p not in ("p3.md", "p5.md")] + ["404.md"]
    assert _planned(tmp_path, corpus, clashing) == expected
    # 404.html is the theme's template's where the pages are files, not folders.
    assert "404.md" not in _planned(tmp_path, corpus, clashing, directory_urls=False)
    assert _planned(tmp_path, corpus, [*pages, "draft.md draft"]) == []
    assert _planned(tmp_path, corpus, pages[: ahead.BATCH]) == []
    assert _planned(tmp_path, corpus, [*pages[: ahead.BATCH], "p3/index.html", "x.md"]) == []
    monkeypatch.setenv(JOBS_VARIABLE, "1")
    assert _planned(tmp_path, corpus, pages) == []


def test_only_mkdocs_process_tells_of_the_pages_written(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The progress line counts each page once, told by MkDocs' process as it passes over the
    page: a worker that wrote it tells nothing (on a terminal it would draw a line of its
    own)."""
    from compiler.backends.site.hook import WRITING

    monkeypatch.setattr(search, "CHUNKED_POLICIES", 3)
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    told = tmp_path / "told"

    def steps(doing: str, done: int, total: int, unit: str) -> None:
        if doing == WRITING:
            with told.open("a", encoding="utf-8") as out:
                out.write(f"{os.getpid()} {done} {total}\n")

    build_site(corpus, tmp_path / "site", steps)
    rows = [tuple(map(int, line.split())) for line in told.read_text("utf-8").splitlines()]
    total = rows[0][2]
    assert total > 60
    assert rows == [(os.getpid(), done, total) for done in range(1, total + 1)]


def test_a_build_stopped_while_the_workers_write_leaves_nothing(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while MkDocs copies the static files (the workers writing the pages meanwhile),
    where MkDocs tells no plugin of it: the workers are stopped before the folder they write
    into is removed, and no temporary file of the build is left."""
    from mkdocs.structure.files import Files

    monkeypatch.setattr(search, "CHUNKED_POLICIES", 3)
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))

    def stopped(files: Files, *args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Files, "copy_static_files", stopped)
    before = multiprocessing.active_children()
    with pytest.raises(KeyboardInterrupt):
        build_site(corpus, tmp_path / "site")
    assert multiprocessing.active_children() == before
    assert spool._OPEN == []
    assert [p.name for p in temporary.iterdir() if p.name != "jieba.cache"] == []
    assert not (tmp_path / "site").exists()


def test_two_province_builds_in_one_process_leave_nothing_behind(
    corpus: Path, province_alone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `policyc serve` builds again and again in one process: each province's build has its
    pages written by workers, and leaves no worker, no filter on MkDocs' logger and no page
    template set for the next; the same site both times."""
    monkeypatch.setattr(search, "CHUNKED_POLICIES", 3)
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    build_logger = logging.getLogger(writer.BUILD_LOGGER)
    filters = list(build_logger.filters)
    before = multiprocessing.active_children()
    for name in ("first", "second"):
        log = tmp_path / f"writes-{name}"
        _writes(monkeypatch, log)
        build_site(corpus, tmp_path / name)
        assert _files(tmp_path / name) == _files(province_alone)
        by = _written_by(log)
        assert by["index.html"] != {os.getpid()}  # a worker wrote it
        assert build_logger.filters == filters
        assert multiprocessing.active_children() == before
        assert spool._OPEN == []
