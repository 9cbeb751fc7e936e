"""The MkDocs hook (mkdocs.yml `hooks:`) that makes the site a backend of the checked model.

On every build (and every rebuild of `policyc serve`) it checks the project — a policy with
errors fails the build with the diagnostics, so no half site is published —, renders every
page kind of the registry (compiler/backends/site/kinds.py) from its template into a
generated file (on disk: spool.py), adds the generated assets and the static files of
site_templates/assets/, feeds the policy vocabulary to jieba (Material's Chinese search) or,
on a province's site, indexes the pages for search.py's search, and builds the nav.  While
MkDocs renders the pages, workers render them ahead (ahead.py), and each page's HTML waits on
disk until MkDocs writes it (spool.py).  On a province's site, workers then write the pages too
(writer.py).
"""

from __future__ import annotations

import gc
import logging
import posixpath
import sys
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import File, Files

from compiler import interpret, ir
from compiler.backends.site import kinds, prebuilt, search, spool
from compiler.backends.site import nav as navigation
from compiler.backends.site.ahead import Ahead, Rendered, replay
from compiler.backends.site.documents import ChangedDuringBuild
from compiler.backends.site.page import CACHED, STEPS, Page
from compiler.backends.site.render import TEMPLATES, environment
from compiler.backends.site.segmenter import feed_jieba
from compiler.backends.site.writer import Writer, plan
from compiler.lower import ProjectError, load_program
from compiler.progress import Steps
from compiler.project import gc_paused, in_a_fork, stop_if_interrupted

# Static files shipped with the site (our CSS/JS, vendored libraries), served under assets/.
STATIC: Final = TEMPLATES / "assets"

# Terms Material's search must keep whole when jieba segments Chinese text: without them jieba
# splits 低保 or 一事一议 and a search for the term finds nothing.  The vocabulary's short labels
# (enum members, actors, concepts) are added from the model.
DOMAIN_TERMS: Final = (
    "低保",
    "特困",
    "特困供养",
    "临时救助",
    "尽职免责",
    "容错纠错",
    "容错",
    "纠错",
    "一事一议",
    "追缴",
    "公示",
    "公示期",
    "民主评议",
    "入户调查",
    "工作日",
    "应保尽保",
    "应救尽救",
    "急难型",
    "支出型",
    "救助对象",
    "征求意见稿",
    "免予处理",
    "从轻",
    "减轻",
)
# Longer labels are phrases: as one token, a phrase would hide the words after its start.
_SHORT_TERM: Final = 4


def program_for(config: MkDocsConfig, cached: bool = False) -> ir.Program:
    """The checked, lowered model of the project holding mkdocs.yml (its files read through
    the parse cache if `cached`); check errors fail the build with the diagnostics."""
    root = Path(config.config_file_path).resolve().parent
    try:
        return load_program(root, STEPS.get(), cached=cached)
    except ProjectError as error:
        raise PluginError(f"the policies have errors; the site was not built:\n{error}") from None


def rendered(program: ir.Program) -> Iterator[tuple[Page, str]]:
    """Every generated page with its Markdown, in registry order."""
    env = environment()
    try:
        for kind in kinds.PAGE_KINDS:
            for page in kind(program):
                yield page, env.get_template(page.template).render(page.context)
    except ChangedDuringBuild as error:
        raise PluginError(str(error)) from None


@dataclass(frozen=True)
class Generated:
    """A generated file: its docs-root path, its content, and if it is a page, its nav title."""

    path: str
    content: str | bytes
    title: str | None = None


def generate(program: ir.Program, chunked_search: bool = False) -> Iterator[Generated]:
    """Every generated file (pages, their attachments, the assets), one at a time as it is
    made: pages in registry order, then the sections' indexes (with `chunked_search`, the
    search page of a province's site too: search.py), then the assets."""
    seen: set[str] = set()
    titles: dict[str, str] = {}

    def checked(path: str, what: str) -> str:
        if path in seen:
            raise PluginError(f"two generators write {path} (the second is {what})")
        seen.add(path)
        return path

    def files_of(page: Page, markdown: str, what: str) -> Iterator[Generated]:
        yield Generated(checked(page.path, what), markdown, page.title)
        titles[page.path] = page.title
        for path, data in page.attachments.items():
            yield Generated(checked(path, f"an attachment of {page.path}"), data)

    for page, markdown in rendered(program):
        yield from files_of(page, markdown, f"page {page.title}")
    for page, what in [
        *((index, "an index") for index in navigation.indexes(titles)),
        *([(search.page(), "the search page")] if chunked_search else []),
    ]:
        yield from files_of(
            page, environment().get_template(page.template).render(page.context), what
        )
    for asset in kinds.ASSETS:
        for path, data in asset(program).items():
            what = f"an asset of {getattr(asset, '__module__', asset)}"
            yield Generated(checked(path, what), data)


def generated_files(
    program: ir.Program, chunked_search: bool = False
) -> tuple[dict[str, str | bytes], dict[str, str]]:
    """Every generated file by docs-root path, and the nav title of each page (`generate`)."""
    out: dict[str, str | bytes] = {}
    titles: dict[str, str] = {}
    for item in generate(program, chunked_search):
        out[item.path] = item.content
        if item.title is not None:
            titles[item.path] = item.title
    return out, titles


def vocabulary_terms(program: ir.Program) -> tuple[str, ...]:
    """The words jieba must keep whole: the domain terms and the vocabulary's short labels
    (enum members, actors, concepts).  Facts' labels are phrases, not terms: cut into runs they
    give fragments such as 审批由镇 that, kept whole, would hide 审批 from search."""
    labels = [m.label for e in program.enums.values() for m in e.members]
    labels += [a.label for a in program.actors.values()]
    labels += [c.label for c in program.concepts.values()]
    short = {
        label
        for label in labels
        if 2 <= len(label) <= _SHORT_TERM
        and label.isalpha()
        # Search matches a token by its start: 予以容错 as one token would hide 容错.
        and not any(term in label[1:] for term in DOMAIN_TERMS)
    }
    return tuple(sorted(short | set(DOMAIN_TERMS)))


# ---------------------------------------------------------------- MkDocs events


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # jieba reports building its cache on stderr at INFO/DEBUG: only its warnings matter.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    # The generated pages write their largest blocks as HTML made ahead (prebuilt.py), which
    # this extension renders: the pages need it, whatever mkdocs.yml lists.
    if prebuilt.EXTENSION not in config.markdown_extensions:
        config.markdown_extensions.append(prebuilt.EXTENSION)
    return config


# MkDocs' pages rendered, and written, so far in this build, of how many: the progress of
# MkDocs' two loops, most of a province's site build.
_PAGES: dict[str, int] = {"rendered": 0, "written": 0, "total": 0}
RENDERING: Final = "rendering"
WRITING: Final = "writing"
# Material's search plugin, by its name in config.plugins.
MATERIAL_SEARCH: Final = "material/search"


@dataclass
class _Build:
    """What one build keeps outside MkDocs' objects (spool.py): the generated files, the pages'
    HTML while they wait to be written, the index of a province's site (search.py), made as
    the pages are rendered (None when Material's search serves the site), and the workers
    rendering the pages ahead (ahead.py; from `on_nav`) with the rendering of the page
    MkDocs is at (from `on_pre_page` to `on_page_content`) and its entry of the index,
    which the worker made; then the workers writing the pages (writer.py; from `on_env`,
    with the nav MkDocs made) with the context of a page they could not write, which MkDocs'
    process writes (from `on_page_context` to `on_post_page`)."""

    sources: spool.Sources
    html: spool.Spool | None  # None: MkDocs keeps the pages (`_held`)
    indexer: search.Indexer | None
    ahead: Ahead | None = None
    taken: Rendered | None = None
    indexed: tuple[str, search.Entry] | None = None  # the HTML taken, and its search entry
    nav: Any = None
    writer: Writer | None = None
    unwritten: Any = None  # the template context of a page the workers could not write

    def close(self, later: bool = False) -> None:
        """End the build: its workers stopped, its files removed (the generated files
        `later`, by a thread of their own: `spool.Sources.close`)."""
        if self.ahead is not None:
            self.ahead.close()
        if self.writer is not None:
            self.writer.close()
        if self.html is not None:
            self.html.close()
        self.sources.close(later)
        spool.closed(self)


# The build under way, or None between builds (`policyc serve` builds again and again).
_BUILD: list[_Build | None] = [None]


def _end_build(later: bool = False) -> _Build | None:
    build, _BUILD[0] = _BUILD[0], None
    if build is not None:
        build.close(later)
    return build


def on_files(files: Files, config: MkDocsConfig) -> Files:
    _end_build()  # one a failed rebuild of `policyc serve` left
    # The last build's generated files (`policyc serve`) gone before this one writes its own,
    # and no removal half done in the process this build forks.
    spool.removed()
    sources = spool.Sources()
    try:
        # The model is made, and the files generated from it, in a process of its own: its
        # memory (1.75 GB at the most at 3,000 jurisdictions) goes back to the system when it
        # ends, and MkDocs' workers (ahead.py) are forked from a process without it.  Each
        # file is on disk as it is made: MkDocs reads a page from there when it renders it,
        # and copies the rest.
        cached = CACHED.get()
        made = in_a_fork(lambda steps: _make(config, sources, steps, cached), STEPS.get())
    except BaseException:
        sources.close()
        raise
    # Made here (one core, or no fork): the interpreter's tables of the last policies read
    # (the caches of `interpret.info` and `interpret.limit_tables`, for the conflict report
    # and the due dates) hold the model too.  Let go before MkDocs renders, and before its
    # workers are forked with this process's memory.
    interpret.info.cache_clear()
    interpret.limit_tables.cache_clear()
    gc.collect()
    material = _material_search(config)
    if made.chunked:
        # search.py's index serves the site: Material's search is off for this build (MkDocs
        # loads the config again for each build, `policyc serve`'s rebuilds too), which also
        # takes its search box out of the header.
        material.config.enabled = False
    else:
        feed_jieba(made.terms)
    build = _Build(
        sources,
        spool.Spool() if _held(config) else None,
        search.Indexer(Path(config.site_dir)) if made.chunked else None,
    )
    _BUILD[0] = build
    spool.opened(build)
    written, titles = made.written, dict(made.titles)
    for path in sorted(written):
        _add(files, File.generated(config, path, abs_src_path=written[path]), path)
    for source in sorted(STATIC.rglob("*")):
        if source.is_file():
            path = posixpath.join("assets", source.relative_to(STATIC).as_posix())
            _add(files, File.generated(config, path, abs_src_path=str(source)), path)
    for title, path in (*navigation.HOME, *navigation.REFERENCE):
        if files.get_file_from_path(path) is not None:
            titles[path] = title
    config.nav = navigation.nav(titles)
    _PAGES.update(rendered=0, written=0, total=len(files.documentation_pages()))
    return files


def _held(config: MkDocsConfig) -> bool:
    """Whether this build holds the pages' HTML on disk (spool.py) and has workers render
    them (ahead.py): when no plugin but Material's search and this hook is on.  Another may
    read or rewrite a page between its rendering and its writing (Material's tags plugin
    writes its listings into pages in `on_env`, and found them empty), or keep what it saw of
    each page in `on_page_markdown` (a worker's copy): with one, MkDocs keeps the pages and
    renders them itself, as without this hook."""
    this = sys.modules.get(__name__)
    return all(name == MATERIAL_SEARCH or plugin is this for name, plugin in config.plugins.items())


def _material_search(config: MkDocsConfig) -> Any:
    """Material's search plugin, if mkdocs.yml has it on; else None."""
    material = config.plugins.get(MATERIAL_SEARCH)
    enabled = material is not None and getattr(material.config, "enabled", True)
    return material if enabled else None


def _make(config: MkDocsConfig, sources: spool.Sources, steps: Steps, cached: bool) -> spool.Made:
    """Check the project (its files read through the parse cache if `cached`) and write every
    generated file into `sources`, as it is made; `steps` hears of the long steps (the project
    read, the conflict report's search)."""
    token = STEPS.set(steps)
    try:
        # The cycle collector paused from the model's making to the last file's: every
        # collection went through the whole model (1.5 GB at 3,000 jurisdictions), which
        # generating the pages neither frees nor links in cycles.  Measured there (the model
        # and the pages, one core): 88 s -> 72 s, the same peak of memory, 431 objects left
        # for the collector at the end.  Made in this process (one core, no fork), they are
        # collected after (`on_files`).
        with gc_paused():
            program = program_for(config, cached)
            chunked = _material_search(config) is not None and search.chunked(program)
            written: dict[str, str] = {}
            titles: dict[str, str] = {}
            for item in generate(program, chunked):
                written[item.path] = sources.write(item.path, item.content)
                if item.title is not None:
                    titles[item.path] = item.title
                stop_if_interrupted()  # in a worker (`in_a_fork`): Ctrl-C stops it here
            terms = () if chunked else vocabulary_terms(program)
        return spool.Made(written, titles, chunked, terms)
    finally:
        STEPS.reset(token)


@event_priority(-100)  # the nav as every other plugin left it
def on_nav(nav: Any, config: MkDocsConfig, files: Files) -> Any:
    build = _BUILD[0]
    if build is not None and build.html is not None:
        build.nav = nav
        if Ahead.worth(files):
            build.ahead = Ahead(config, files, indexed=build.indexer is not None)
    return nav


@event_priority(-100)  # after every other plugin's
def on_pre_page(page: Any, config: MkDocsConfig, files: Files) -> Any:
    build = _BUILD[0]
    if build is None or build.ahead is None or not build.ahead.takes(page):
        return page
    build.taken = build.ahead.take(page)
    if build.taken is not None:
        # Read by a worker: MkDocs reads not the page's source but its front matter's values,
        # as the worker found them (reading the sources was 4 s of this process at 3,000
        # jurisdictions).
        page.read_source = partial(_read_by_a_worker, page, build.taken.meta)
    return page


def _read_by_a_worker(page: Any, meta: MutableMapping[str, Any], config: MkDocsConfig) -> None:
    """`Page.read_source` of a page a worker rendered: its front matter's values, and no
    Markdown (MkDocs renders none: `on_page_markdown`)."""
    del page.read_source  # the page's own method again
    page.markdown, page.meta = "", meta


@event_priority(-100)  # after every other plugin's: the worker rendered what they made
def on_page_markdown(markdown: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    build = _BUILD[0]
    if build is None or build.taken is None:
        return markdown
    # Rendered by a worker: MkDocs renders nothing (on_page_content puts the rendering back),
    # not even an empty page: its `Page.render` makes a Markdown, every extension anew, a
    # seventh of this process's work at 600 jurisdictions.
    page.render = partial(_rendered_by_a_worker, page)
    return ""


def _rendered_by_a_worker(page: Any, config: MkDocsConfig, files: Files) -> None:
    """`Page.render` of a page a worker rendered: an empty content, which MkDocs requires
    (not None), and which `on_page_content` replaces with the worker's HTML."""
    del page.render  # the page's own method again
    page.content = ""


@event_priority(100)  # first: every other plugin reads the page as rendered
def _rendered_content(html: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    build = _BUILD[0]
    if build is None or build.taken is None:
        return html
    taken, build.taken = build.taken, None
    html = taken.apply(page, files)
    if taken.entry is not None:
        # The worker's entry of the search index, of this very HTML (`_held_content`).
        build.indexed = (html, taken.entry)
    return html


@event_priority(-100)  # last: the page as every other plugin left it
def _held_content(html: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    build = _BUILD[0]
    if build is None:  # not a build that on_files began
        return html
    indexed, build.indexed = build.indexed, None
    # The pages Material's search would leave out stay out of this index too.
    if build.indexer is not None and not search.excluded(page.meta):
        if indexed is None or indexed[0] is not html:  # not the page as a worker indexed it
            build.indexer.add(page.url, page.title or "", html)
        else:
            build.indexer.add_entry(indexed[1])
    _PAGES["rendered"] += 1
    STEPS.get()(RENDERING, _PAGES["rendered"], _PAGES["total"], "pages")
    if build.html is None:
        return html
    # Held on disk until the page is written (on_page_context); its source is not read again.
    build.html.put(page.file.src_uri, html)
    # Not None: MkDocs reads a page without Markdown as a page without a title.
    page.markdown = ""
    return ""


on_page_content = CombinedEvent(_rendered_content, _held_content)


@event_priority(-100)  # the templates as every other plugin left them
def on_env(env: Any, config: MkDocsConfig, files: Files) -> Any:
    build = _BUILD[0]
    # Every page is rendered.  Workers write them where nothing else reads a page as it is
    # written: the pages held (`_held`), and not Material's search (writer.py).
    if build is None or build.html is None or build.nav is None:
        return env
    if build.ahead is not None:
        build.ahead.close()  # every page taken: its workers are let go before others fork
        build.ahead = None
    planned = plan(files, config) if _material_search(config) is None else []
    if planned:
        build.writer = Writer(config, files, build.nav, env, planned)
        # Forked now, their first batch waited for: they write while MkDocs copies the static
        # files.
        build.writer.begin()
    return env


@event_priority(100)  # before Material's search reads the page (a site of five cities)
def on_page_context(context: Any, page: Any, config: MkDocsConfig, nav: Any) -> Any:
    build = _BUILD[0]
    if build is None or build.html is None:
        return context
    writer = build.writer
    if writer is not None and writer.takes(page):
        written = writer.take(page)
        writer.passing(page, written)
        if written is not None:  # MkDocs passes over it (its HTML is not read)
            replay(written.logged)
            return context
        build.unwritten = context
    if page.file.src_uri in build.html:
        page.content = build.html.take(page.file.src_uri)
    return context


@event_priority(100)  # first: every other plugin reads the page as written
def _unwritten_output(output: str, page: Any, config: MkDocsConfig) -> str:
    build = _BUILD[0]
    if build is None or build.unwritten is None or build.writer is None:
        return output
    context, build.unwritten = build.unwritten, None
    return build.writer.fallback(page, context)


@event_priority(-100)  # after every other plugin's
def _written_output(output: str, page: Any, config: MkDocsConfig) -> str:
    build = _BUILD[0]
    if build is not None and build.html is not None:
        page.content = ""  # written: the HTML is let go (None would change the page's title)
    if build is not None and build.writer is not None and build.writer.in_worker:
        return output  # MkDocs' process counts the page when it passes over it
    _PAGES["written"] += 1
    STEPS.get()(WRITING, _PAGES["written"], _PAGES["total"], "pages")
    return output


on_post_page = CombinedEvent(_unwritten_output, _written_output)


def on_post_build(config: MkDocsConfig) -> None:
    # Every file is written: the generated ones are removed while the index is written.
    build = _end_build(later=True)
    if build is not None and build.indexer is not None:
        build.indexer.finish(STEPS.get())


def on_build_error(error: Exception) -> None:
    # A failed build's files and postings are not kept until the next (`policyc serve`).
    _end_build()


def on_shutdown() -> None:
    # `policyc serve` stopped (Ctrl-C lands wherever MkDocs is, not only in an `Exception`
    # that `on_build_error` hears of): the workers stop before MkDocs removes its folder.
    _end_build()


def on_serve(server: Any, config: MkDocsConfig, builder: Any) -> Any:
    # Rebuild when a policy, an official text (policies/sources/) or a template changes.
    root = Path(config.config_file_path).resolve().parent
    for folder in (root / "policies", TEMPLATES):
        server.watch(str(folder))
    return server


def _add(files: Files, file: File, path: str) -> None:
    if files.get_file_from_path(path) is not None:
        raise PluginError(f"{path} is generated; a file of that name in docs/ would hide it")
    files.append(file)
