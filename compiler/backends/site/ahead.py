"""The site's pages rendered ahead, on every core.

MkDocs renders every page's Markdown in its own process, one page after another: two thirds of
a province's site build (83 of 125 s at 600 jurisdictions, 424 of 780 s at 3,000; the
twenty-ninth round of benchmarks/README.md).  When MkDocs has made the nav (the hook's
`on_nav`), `Ahead` has worker processes, forked with MkDocs' configuration, files and nav
(`project.forked_map`), render the pages in MkDocs' order, a batch at a time, as MkDocs'
own loop does (`Page.read_source`, the `page_markdown` events, `Page.render`).  MkDocs' loop
then takes each page's rendering from them (the hook's `on_pre_page`): MkDocs reads not the
page's source but the values of its front matter as the worker read them, the hook gives it no
Markdown to render (`on_page_markdown`), then puts back what the worker found
(`on_page_content`: the HTML, the table of contents, the title from the first heading, the
anchors and the links to anchors that MkDocs checks when every page is written, and what
MkDocs logged while rendering it, logged again here, where strict mode counts the warnings).
On a province's site the worker also makes the page's entry of the search index (search.py's
`entry`: its text cut into sections, and its tokens), which MkDocs' process only adds: that
was a third of its work at 600 jurisdictions, on one core.  A page a worker could not render
is rendered by MkDocs itself, which reports the error as it would.  The workers that write the
pages (writer.py) are made the same way (`Pages`).

The same pages give the same bytes as MkDocs alone (tests/test_site_ahead.py builds a site
both ways).  With one core (or `POLICYC_JOBS=1`, or no fork) MkDocs renders every page itself.
"""

from __future__ import annotations

import gc
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Generic, TypeVar

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from compiler.backends.site import search
from compiler.project import cores, forked_map, forks, gc_paused, stop_if_interrupted

# Pages a job renders: enough that a result is worth a message, few enough that the pages
# MkDocs has not taken yet stay few (a page's HTML is held until it is taken).
BATCH: Final = 8
# Jobs given to the workers and not yet taken, for each worker: MkDocs' loop takes the pages
# more slowly than the workers render them at times (a page it writes to the search index
# while they render several), and given every job at once they rendered 70 pages ahead of it
# at 30 jurisdictions, each held in this process until taken.
WINDOW: Final = 2
# Jobs given and not yet taken, in all, while the page MkDocs waits for is still being
# rendered and a worker has nothing to do (`forked_map`'s `stretch`): the conflict report's
# page took 11 s at 3,000 jurisdictions, early in MkDocs' order, and the other worker stood
# idle once it had rendered the window's pages.  At most this many batches' pages are held
# meanwhile, however many the cores (at 3,000 on two cores: with 64 the other worker went on
# for 2 of the 11 s; with 256, all processes together stayed under 0.9 GB from the rendering
# on, the model's 1.8 GB before).
STRETCH: Final = 256
# The logger MkDocs reports on (strict mode counts its warnings there).
LOGGER: Final = "mkdocs"

_Done = TypeVar("_Done")


@dataclass(frozen=True)
class Rendered:
    """What MkDocs' `Page.render` leaves on a page, as a worker found it."""

    html: str
    meta: MutableMapping[str, Any]  # the values of its front matter
    toc: Any  # mkdocs.structure.toc.TableOfContents
    title: str | None  # from the first heading (MkDocs' `_title_from_render`)
    anchors: set[str] | None
    links: dict[str, dict[str, str]] | None  # by the linked file's path in the docs
    logged: tuple[tuple[str, int, str], ...]  # (logger, level, message), in order
    entry: search.Entry | None = None  # the page's entry of a province's search index

    def apply(self, page: Page, files: Files) -> str:
        """Put the rendering on MkDocs' `page`, log what was logged; the HTML."""
        page.toc = self.toc
        page._title_from_render = self.title
        page.present_anchor_ids = self.anchors
        if self.links is not None:
            linked = ((files.get_file_from_path(path), links) for path, links in self.links.items())
            page.links_to_anchors = {file: links for file, links in linked if file is not None}
        replay(self.logged)
        return self.html


def replay(logged: Sequence[tuple[str, int, str]]) -> None:
    """Log here what a worker logged: (logger, level, message), in order."""
    for name, level, message in logged:
        logging.getLogger(name).log(level, "%s", message)


class Heard(logging.Handler):
    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


class Pages(ABC, Generic[_Done]):
    """The pages of one build done by workers, a batch at a time in MkDocs' order, and taken one
    at a time in that order (`take`): what is done to a page (`_done`), and what MkDocs' process
    is given of it (`_Done`), are a subclass's.  The workers are forked when the first page is
    taken (or `begin`), with what this process holds then.  `pages`: the pages the workers do
    (by default every page of `files`), in MkDocs' order, more than a batch of them (`enough`):
    a single job would run in this process (`forked_map`).  `window` and `stretch`: how many
    jobs the workers are given ahead of the pages taken, as `forked_map`'s."""

    # What a worker hears on MkDocs' logger while it does a page, for MkDocs' process.
    HEARD: ClassVar[int] = logging.NOTSET

    def __init__(
        self,
        files: Files,
        window: int | None,
        pages: Sequence[str] | None = None,
        stretch: int | None = None,
    ) -> None:
        self._files = files
        self._in_worker = False
        self._parent = os.getpid()  # MkDocs' process, where the workers come from
        if pages is None:
            pages = [file.src_uri for file in files.documentation_pages()]
        self._planned = set(pages)
        self._ready: dict[str, _Done | None] = {}
        jobs = [pages[i : i + BATCH] for i in range(0, len(pages), BATCH)]
        assert self.enough(len(pages)), len(pages)
        self._results: Iterator[list[tuple[str, _Done | None]]] | None = forked_map(
            self._batch, jobs, window=window, stretch=stretch
        )

    @staticmethod
    def enough(count: int) -> bool:
        """Whether workers do `count` pages: more than one core, fork, and more than a batch."""
        return forks() and cores() > 1 and count > BATCH

    @staticmethod
    def worth(files: Files) -> bool:
        """Whether workers do the pages of `files` (`enough`)."""
        return Pages.enough(len(files.documentation_pages()))

    @property
    def in_worker(self) -> bool:
        """Whether this process is one of the workers."""
        return self._in_worker

    def takes(self, page: Page) -> bool:
        """Whether a worker does `page` (not in a worker itself)."""
        return not self._in_worker and page.file.src_uri in self._planned

    def begin(self) -> None:
        """Fork the workers now, and wait for their first batch."""
        self._next()

    def take(self, page: Page) -> _Done | None:
        """What a worker made of the page; None if it could not."""
        uri = page.file.src_uri
        self._planned.discard(uri)
        while uri not in self._ready:
            if not self._next():
                return None
        return self._ready.pop(uri)

    def _next(self) -> bool:
        """The workers' next batch taken; False when there is none."""
        if self._results is None:
            return False
        try:
            batch = next(self._results, None)
        except Exception as error:  # a worker lost, a result that could not be sent
            # MkDocs does this page and the rest itself (Ctrl-C still stops the build).
            logging.getLogger(LOGGER).info("the pages are done in one process: %s", error)
            self.close()
            return False
        if batch is None:
            return False
        self._ready.update(batch)
        return True

    def close(self) -> None:
        """Stop the workers (a build that failed, or ended)."""
        results, self._results = self._results, None
        close = getattr(results, "close", None)
        if close is not None:
            close()

    # ---------------------------------------------------------------- in a worker

    def _batch(self, uris: Sequence[str]) -> list[tuple[str, _Done | None]]:
        self._in_worker = os.getpid() != self._parent
        logger = logging.getLogger(LOGGER)
        heard = Heard(self.HEARD)
        saved = logger.handlers[:]
        logger.handlers = [heard]
        try:
            out = []
            with gc_paused():
                for uri in uris:
                    stop_if_interrupted()
                    heard.records.clear()
                    out.append((uri, self._done(uri, heard)))
                if os.getpid() != self._parent:  # never MkDocs' own process (`_collected`)
                    _collected()
            return out
        finally:
            logger.handlers = saved

    @abstractmethod
    def _done(self, uri: str, heard: Heard) -> _Done | None:
        """What a worker does to the page `uri`, for MkDocs' process; None where it could not
        (MkDocs then does it, and reports the error as it would).  `heard` holds what was
        logged on MkDocs' logger since the page was begun."""


class Ahead(Pages[Rendered]):
    """The pages of one build being rendered by workers, from the nav's making (`on_nav`)."""

    def __init__(self, config: MkDocsConfig, files: Files, indexed: bool = False) -> None:
        self._config = config
        self._indexed = indexed
        super().__init__(files, window=WINDOW * cores(), stretch=STRETCH)

    def _done(self, uri: str, heard: Heard) -> Rendered | None:
        config, files = self._config, self._files
        file = files.get_file_from_path(uri)
        if file is None:
            return None
        page = file.page if file.page is not None else Page(None, file, config)
        config._current_page = page
        try:
            page.read_source(config)
            page.markdown = config.plugins.on_page_markdown(
                page.markdown or "", page=page, config=config, files=files
            )
            page.render(config, files)
        except Exception:  # MkDocs renders it again, and reports the error as it would
            return None
        finally:
            config._current_page = None
        links = page.links_to_anchors
        html = page.content or ""
        rendered = Rendered(
            html,
            page.meta,
            page.toc,
            page._title_from_render,
            page.present_anchor_ids,
            None if links is None else {f.src_uri: dict(v) for f, v in links.items()},
            tuple(heard.records),
            # The search's work on the page, done here on every core (the hook's process
            # then adds it), as the hook would do it with this HTML, title and address (the
            # hook does it again if a plugin changes the HTML; one that changed only the
            # title would be missed: `_held` allows none that could).
            search.entry(page.url, page.title or "", html)
            if self._indexed and not search.excluded(page.meta)
            else None,
        )
        page.markdown = page.content = None  # this worker's copy: let go
        return rendered


def _collected() -> None:
    """The cycles a batch of pages left collected (each page's Markdown and its extensions
    are one), and what it kept set aside from the collector (`gc.freeze`), as what the worker
    was forked with is (`project._frozen`): each collection then goes through one batch's
    objects.  Collected as they came, every collection went through every page's table of
    contents the worker had kept (MkDocs' page objects, this worker's copies), and took 7 of
    the 115 s each worker rendered at 3,000 jurisdictions.  Only in a worker: what MkDocs'
    process set aside would stay there for good (`policyc serve` builds again and again)."""
    gc.collect()
    gc.freeze()
