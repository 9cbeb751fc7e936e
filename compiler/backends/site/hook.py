"""The MkDocs hook (mkdocs.yml `hooks:`) that makes the site a backend of the checked model.

On every build (and every rebuild of `policyc serve`) it checks the project — a policy with
errors fails the build with the diagnostics, so no half site is published —, renders every
page kind of the registry (compiler/backends/site/kinds.py) from its template into a
generated file, adds the generated assets and the static files of site_templates/assets/,
feeds the policy vocabulary to jieba (Material's Chinese search) or, on a province's site,
indexes the pages for search.py's search, and builds the nav.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from compiler import ir
from compiler.backends.site import kinds, search
from compiler.backends.site import nav as navigation
from compiler.backends.site.documents import ChangedDuringBuild
from compiler.backends.site.page import STEPS, Page
from compiler.backends.site.render import TEMPLATES, environment
from compiler.lower import ProjectError, load_program

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


def program_for(config: MkDocsConfig) -> ir.Program:
    """The checked, lowered model of the project holding mkdocs.yml; check errors fail the
    build with the diagnostics."""
    root = Path(config.config_file_path).resolve().parent
    try:
        return load_program(root, STEPS.get())
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


def generated_files(
    program: ir.Program, chunked_search: bool = False
) -> tuple[dict[str, str | bytes], dict[str, str]]:
    """Every generated file by docs-root path (pages, their attachments, the assets), and the
    nav title of each page; with `chunked_search`, the search page of a province's site too
    (search.py)."""
    out: dict[str, str | bytes] = {}
    titles: dict[str, str] = {}

    def add(path: str, content: str | bytes, what: str) -> None:
        if path in out:
            raise PluginError(f"two generators write {path} (the second is {what})")
        out[path] = content

    def add_page(page: Page, markdown: str, what: str) -> None:
        add(page.path, markdown, what)
        titles[page.path] = page.title
        for path, data in page.attachments.items():
            add(path, data, f"an attachment of {page.path}")

    for page, markdown in rendered(program):
        add_page(page, markdown, f"page {page.title}")
    for page, what in [
        *((index, "an index") for index in navigation.indexes(titles)),
        *([(search.page(), "the search page")] if chunked_search else []),
    ]:
        add_page(page, environment().get_template(page.template).render(page.context), what)
    for asset in kinds.ASSETS:
        for path, data in asset(program).items():
            add(path, data, f"an asset of {getattr(asset, '__module__', asset)}")
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
    return config


# MkDocs' pages rendered so far in this build, of how many (`on_post_page`).
_PAGES: dict[str, int] = {"done": 0, "total": 0}
RENDERING: Final = "rendering"
# The index of a province's site (search.py), made as the pages are rendered: this build's,
# or None when Material's search serves the site.
_INDEXER: list[search.Indexer | None] = [None]
# Material's search plugin, by its name in config.plugins.
MATERIAL_SEARCH: Final = "material/search"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    program = program_for(config)
    chunked = _chunked_search(program, config)
    if not chunked:
        _feed_jieba(vocabulary_terms(program))
    _INDEXER[0] = search.Indexer(Path(config.site_dir)) if chunked else None
    generated, titles = generated_files(program, chunked)
    for path, content in sorted(generated.items()):
        _add(files, File.generated(config, path, content=content), path)
    for source in sorted(STATIC.rglob("*")):
        if source.is_file():
            path = posixpath.join("assets", source.relative_to(STATIC).as_posix())
            _add(files, File.generated(config, path, abs_src_path=str(source)), path)
    for title, path in (*navigation.HOME, *navigation.REFERENCE):
        if files.get_file_from_path(path) is not None:
            titles[path] = title
    config.nav = navigation.nav(titles)
    _PAGES.update(done=0, total=len(files.documentation_pages()))
    return files


def _chunked_search(program: ir.Program, config: MkDocsConfig) -> bool:
    """Whether the site is searched by search.py's index: a province's, whose mkdocs.yml has
    Material's search on.  Material's is then turned off for this build (MkDocs loads the
    config again for each build, `policyc serve`'s rebuilds too), which also takes its search
    box out of the header."""
    material = config.plugins.get(MATERIAL_SEARCH)
    enabled = material is not None and getattr(material.config, "enabled", True)
    if not (enabled and search.chunked(program)):
        return False
    material.config.enabled = False  # type: ignore[union-attr]
    return True


def on_page_content(html: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    # The pages Material's search would leave out (front matter `search: exclude`: the
    # conflict reports, the revisions, the section indexes, the search page) stay out of this
    # index too.
    indexer = _INDEXER[0]
    meta = page.meta.get("search")
    if indexer is not None and not (isinstance(meta, dict) and meta.get("exclude")):
        indexer.add(page.url, page.title or "", html)
    return html


def on_post_page(output: str, page: Any, config: MkDocsConfig) -> str:
    # A page written: MkDocs' own loop, half a province's site build.
    _PAGES["done"] += 1
    STEPS.get()(RENDERING, _PAGES["done"], _PAGES["total"], "pages")
    return output


def on_post_build(config: MkDocsConfig) -> None:
    indexer, _INDEXER[0] = _INDEXER[0], None
    if indexer is not None:
        indexer.finish(STEPS.get())


def on_build_error(error: Exception) -> None:
    # A failed build's postings are not kept until the next (`policyc serve` rebuilds).
    _INDEXER[0] = None


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


def _feed_jieba(terms: Sequence[str]) -> None:
    try:
        import jieba
    except ImportError:  # Material then indexes Chinese without segmenting: search is worse
        logging.getLogger("mkdocs.hooks.policyc").warning(
            "jieba is not installed: Chinese search will not segment words (pip install jieba)"
        )
        return
    for term in terms:
        jieba.add_word(term)
