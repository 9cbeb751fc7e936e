"""The MkDocs hook (mkdocs.yml `hooks:`) that makes the site a backend of the checked model.

On every build (and every rebuild of `policyc serve`) it checks the project — a policy with
errors fails the build with the diagnostics, so no half site is published —, renders every
page kind of the registry (compiler/backends/site/kinds.py) from its template into a
generated file, adds the generated assets and the static files of site_templates/assets/,
feeds the policy vocabulary to jieba (Chinese search), and builds the nav.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from compiler import ir
from compiler.backends.site import kinds
from compiler.backends.site.documents import ChangedDuringBuild
from compiler.backends.site.page import Page
from compiler.backends.site.render import TEMPLATES, environment
from compiler.lower import ProjectError, load_program

# Static files shipped with the site (our CSS/JS, vendored libraries), served under assets/.
STATIC: Final = TEMPLATES / "assets"

# The nav: hand-written pages first, then one section per folder of generated pages (in this
# order; a section with no pages is left out), then the reference pages.
HOME: Final = (("首页", "index.md"), ("如何阅读", "reading.md"))
SECTIONS: Final = (
    ("文件", "documents/"),
    ("对照表", "tables/"),
    ("决策", "decisions/"),
    ("时限", "timelimits/"),
    ("修订", "diffs/"),
    ("冲突报告", "conflicts/"),
)
REFERENCE: Final = (
    ("政策语言", "language.md"),
    ("校验器", "validators.md"),
    ("词汇", "vocabulary.md"),
    ("冲突报告的读法", "conflicts.md"),
    ("架构", "architecture.md"),
)

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
        return load_program(root)
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


def generated_files(program: ir.Program) -> tuple[dict[str, str | bytes], dict[str, str]]:
    """Every generated file by docs-root path (pages, their attachments, the assets), and the
    nav title of each page."""
    out: dict[str, str | bytes] = {}
    titles: dict[str, str] = {}

    def add(path: str, content: str | bytes, what: str) -> None:
        if path in out:
            raise PluginError(f"two generators write {path} (the second is {what})")
        out[path] = content

    for page, markdown in rendered(program):
        add(page.path, markdown, f"page {page.title}")
        titles[page.path] = page.title
        for path, data in page.attachments.items():
            add(path, data, f"an attachment of {page.path}")
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


def nav(paths: Mapping[str, str]) -> list[dict[str, Any]]:
    """The nav from every page's path and title (hand-written pages by their file names).

    Within a section, pages keep the order their page kind gives them (a kind puts its index
    first, then its pages in a meaningful order): `paths` is in registry order."""
    out: list[dict[str, Any]] = [{title: path} for title, path in HOME if path in paths]
    for title, folder in SECTIONS:
        pages = [{t: p} for p, t in paths.items() if p.startswith(folder)]
        if pages:
            out.append({title: pages})
    reference = [{title: path} for title, path in REFERENCE if path in paths]
    if reference:
        out.append({"参考": reference})
    return out


# ---------------------------------------------------------------- MkDocs events


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # jieba reports building its cache on stderr at INFO/DEBUG: only its warnings matter.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    program = program_for(config)
    _feed_jieba(vocabulary_terms(program))
    generated, titles = generated_files(program)
    for path, content in sorted(generated.items()):
        _add(files, File.generated(config, path, content=content), path)
    for source in sorted(STATIC.rglob("*")):
        if source.is_file():
            path = posixpath.join("assets", source.relative_to(STATIC).as_posix())
            _add(files, File.generated(config, path, abs_src_path=str(source)), path)
    for title, path in (*HOME, *REFERENCE):
        if files.get_file_from_path(path) is not None:
            titles[path] = title
    config.nav = nav(titles)
    return files


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
