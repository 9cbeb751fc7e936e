"""The site's pages rendered ahead by worker processes (compiler/backends/site/ahead.py): the
same site, byte for byte, as MkDocs rendering every page itself; a page a worker cannot render
is rendered by MkDocs; what MkDocs warns of in a worker fails the strict build as it would."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mkdocs.structure.pages import Page

from benchmarks.corpus import generate, with_site
from compiler.backends.site.build import SiteFailed, build_site
from compiler.project import JOBS_VARIABLE

pytestmark = pytest.mark.site


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project of 10 synthetic jurisdictions: some 80 pages, ten batches."""
    root = tmp_path_factory.mktemp("ahead") / "corpus"
    generate(10, root)
    with_site(root)
    return root


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
    # MkDocs itself rendered no Markdown: each page's came from a worker.
    assert [uri for pid, uri, length in renders if pid == os.getpid() and length] == []


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
