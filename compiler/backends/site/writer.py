"""The site's pages written ahead, on every core.

Once every page's Markdown is rendered (ahead.py), MkDocs writes each page: the theme's
template around the page's HTML (Material's, with the whole nav), into the page's file in the
site, one page after another in its own process.  On a province's site that loop had one core
for the last 25 s of the 195 s of 3,000 jurisdictions, 17 s of it Material's templates (the
thirty-third round of benchmarks/README.md; the thirty-fourth measures this module).  Once
the pages are rendered (the hook's `on_env`, before MkDocs copies the static files and begins
that loop), `Writer` has worker processes, forked with MkDocs' configuration, files, nav and
templates (`project.forked_map`), write the pages in MkDocs' order, a batch at a time, as
MkDocs' loop does (its `_build_page`: the `page_context` and `post_page` events, the template,
the file).  MkDocs' loop then passes over each page a worker wrote:
- its template is one that renders nothing (`PASS`, set on each page in the hook's `on_env`,
  before MkDocs picks a page's template), so MkDocs writes no file over the worker's;
- MkDocs' note that the page rendered empty (shown by `policyc serve`) is not logged
  (`_Passed`), and what MkDocs logged while the worker wrote the page is logged here, where
  strict mode counts the warnings (the page's turn in MkDocs' loop: the same order);
- a page a worker could not write is written here (`fallback`: its own template rendered in
  `on_post_page`), where the error is reported as MkDocs would.

Only where nothing else reads a page while it is written (`plan`): the hook holds the pages
(`hook._held`: no plugin but Material's search), Material's search is off (a province's site:
it reads each page's HTML in `page_context`), and no page is a draft (MkDocs writes a draft
with a mark, and lists the pages otherwise for `serve`).  The same pages give the same bytes
as MkDocs alone (tests/test_site_ahead.py builds a site both ways): `_build_page` is MkDocs'
own, private, and pyproject.toml keeps MkDocs below 2.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import jinja2
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files, InclusionLevel
from mkdocs.structure.pages import Page

from compiler.backends.site.ahead import Heard, Pages

# The template of a page a worker wrote, in MkDocs' own loop: it renders nothing.
PASS: Final = "policyc-written-ahead.html"
# The template MkDocs gives a page whose front matter names none (its `_build_page`).
DEFAULT: Final = "main.html"
# The logger of MkDocs' loop, which notes each page that renders empty.
BUILD_LOGGER: Final = "mkdocs.commands.build"
# A page's template when its front matter names none.
_NONE: Final = object()


@dataclass(frozen=True)
class Written:
    """A page a worker wrote: what MkDocs logged meanwhile, (logger, level, message) in order."""

    logged: tuple[tuple[str, int, str], ...]


def plan(files: Files, config: MkDocsConfig) -> list[str]:
    """The pages workers write, in MkDocs' order (the hook has checked the plugins): none where
    a page is a draft, or where they would be too few to share (`Pages.enough`).  A page whose
    file in the site is another's too (a static file's, another page's, a theme's template,
    404.html where `use_directory_urls` is off) is left to MkDocs, which writes them in its
    order: the theme's templates and the static files before the pages, which the workers
    write meanwhile."""
    pages = files.documentation_pages()
    if any(f.is_documentation_page() and f.inclusion is InclusionLevel.DRAFT for f in files):
        return []
    targets = Counter(file.dest_uri for file in files)
    targets.update(config.theme.static_templates)
    planned = [file.src_uri for file in pages if targets[file.dest_uri] == 1]
    return planned if Pages.enough(len(planned)) else []


class _Passed(logging.Filter):
    """MkDocs' note that a page rendered empty, left out for the page it passes over.  The note
    of a page whose own template renders nothing, made by the worker and logged again here, is
    kept: a record logged again has the message as its argument (`ahead.replay`)."""

    def __init__(self) -> None:
        super().__init__()
        self.uri: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        uri = self.uri
        return uri is None or record.msg != f"Page skipped: '{uri}'. Generated empty output."


class Writer(Pages[Written]):
    """The pages `planned` (`plan`) of one build written by workers, from `on_env` (`begin`),
    with the template environment MkDocs writes with; taken in MkDocs' loop
    (`on_page_context`)."""

    # MkDocs' DEBUG lines of a page are logged by its own pass over the page too.
    HEARD = logging.INFO

    def __init__(
        self,
        config: MkDocsConfig,
        files: Files,
        nav: Any,
        env: jinja2.Environment,
        planned: Sequence[str],
    ) -> None:
        self._config = config
        self._nav = nav
        self._env = env
        self._pages = files.documentation_pages()  # what `_build_page` lists as `pages`
        # Each planned page's own template (_NONE: its front matter names none), while MkDocs'
        # loop is given PASS.
        self._templates: dict[str, Any] = {}
        for uri in planned:
            file = files.get_file_from_path(uri)
            if file is not None and file.page is not None:
                self._templates[uri] = file.page.meta.get("template", _NONE)
                file.page.meta["template"] = PASS
        passes = jinja2.DictLoader({PASS: ""})
        env.loader = jinja2.ChoiceLoader([passes, env.loader] if env.loader else [passes])
        self._passed = _Passed()
        logging.getLogger(BUILD_LOGGER).addFilter(self._passed)
        super().__init__(files, window=None, pages=planned)  # a result: a few log lines

    def passing(self, page: Page, written: Written | None) -> None:
        """MkDocs' loop is at `page`, which a worker wrote (`written`), or could not (None)."""
        self._restore(page)
        self._passed.uri = page.file.src_uri if written is not None else None

    def fallback(self, page: Page, context: Any) -> str:
        """A page the workers could not write, rendered here with its own template."""
        return self._env.get_template(page.meta.get("template", DEFAULT)).render(context)

    def close(self) -> None:
        super().close()
        logging.getLogger(BUILD_LOGGER).removeFilter(self._passed)

    def _restore(self, page: Page) -> None:
        """The page's own template back in its front matter (once)."""
        if page.file.src_uri not in self._templates:
            return
        template = self._templates.pop(page.file.src_uri)
        if template is _NONE:
            page.meta.pop("template", None)
        else:
            page.meta["template"] = template

    # ---------------------------------------------------------------- in a worker

    def _done(self, uri: str, heard: Heard) -> Written | None:
        # MkDocs' loop for one page, as `mkdocs build` and `serve` run it (no draft: `plan`;
        # `--dirty`, which policyc never asks for, would write every page, not only those
        # changed).
        from mkdocs.commands.build import _build_page

        file = self._files.get_file_from_path(uri)
        if file is None or file.page is None:
            return None
        self._restore(file.page)
        try:
            _build_page(file.page, self._config, self._pages, self._nav, self._env)
        except Exception:  # MkDocs writes it again, and reports the error as it would
            return None
        return Written(tuple(heard.records))
