"""`policyc site` and `policyc serve`: MkDocs run programmatically on the project's mkdocs.yml.

The site is built into a private temporary folder and handed to compiler/build.py's
`write_tree`, which swaps it into place only when complete: a failed build (check errors,
a warning in strict mode, a template error) leaves the previous site as it was.  MkDocs' INFO
chatter is hidden; its warnings and errors are shown.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from compiler.backends.site.page import CACHED, STEPS
from compiler.backends.site.spool import removed
from compiler.build import claim, preflight, write_tree
from compiler.errors import PolicycError
from compiler.progress import Steps, quiet
from compiler.runtime.terminal import draws_progress

CONFIG = "mkdocs.yml"


class SiteFailed(PolicycError):
    """The site was not built (the reasons were printed); the previous site is intact."""


class SiteUnavailable(PolicycError):
    """MkDocs is missing or the project has no mkdocs.yml: a usage problem (exit 2)."""


def _quiet() -> None:
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # the "MkDocs 2.0" banner on every run
    logging.getLogger("jieba").setLevel(logging.WARNING)


class _OverProgress(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler that first clears the line `policyc site`'s progress may have drawn on a
    terminal: a warning is then a line of its own (the progress is drawn again below it)."""

    def emit(self, record: logging.LogRecord) -> None:
        if draws_progress(self.stream):
            self.stream.write("\r\x1b[K")
        super().emit(record)


@contextlib.contextmanager
def _warnings_shown(level: int = logging.WARNING, verb: str = "site") -> Iterator[None]:
    """MkDocs' warnings and errors on stderr, its INFO lines not (unless `level` says)."""
    logger = logging.getLogger("mkdocs")
    handler = _OverProgress(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(f"policyc {verb}: %(levelname)s: %(message)s"))
    saved_level, saved_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)
        logger.propagate = saved_propagate


@contextlib.contextmanager
def _no_build_date() -> Iterator[None]:
    """MkDocs stamps every page's update_date (the sitemap's <lastmod>) and the gzip header of
    sitemap.xml.gz with the day of the build, unless SOURCE_DATE_EPOCH (the reproducible-builds
    convention, which MkDocs honours) names another: two builds on different days differed.
    Epoch 0 is gzip's "no timestamp"; a SOURCE_DATE_EPOCH the user set is kept."""
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    if saved is None:
        os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


@contextlib.contextmanager
def _told(steps: Steps = quiet, *, cached: bool = True) -> Iterator[None]:
    """The hook told, for the builds inside: who hears of the long steps, and whether the
    project's files are read through its parse cache (`page.CACHED`)."""
    token, cache_token = STEPS.set(steps), CACHED.set(cached)
    try:
        yield
    finally:
        CACHED.reset(cache_token)
        STEPS.reset(token)


def _config_file(root: Path) -> Path:
    path = root / CONFIG
    if not path.is_file():
        raise SiteUnavailable(f"{path} not found: the site is configured there")
    return path


def render(root: Path, into: Path, *, steps: Steps = quiet, cached: bool = True) -> list[str]:
    """Build the site into the empty folder `into` (strict mode) and list its files, by path
    relative to it, sorted; `steps` hears of the long steps (`page.STEPS`), `cached` says
    whether the project is read through its parse cache.  The files stay on disk, not in
    memory: a province's site is gigabytes.  The build's generated files may still be being
    removed when it returns: `spool.removed()` waits for them (`build_site` does)."""
    _quiet()
    try:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        from mkdocs.exceptions import Abort, ConfigurationError
    except ImportError:
        raise SiteUnavailable(
            "MkDocs is not installed: install the site extra (pip install -e '.[site]')"
        ) from None
    import jinja2

    from compiler.backends.site.spool import close_all

    config_file = _config_file(root)
    with _warnings_shown(), _no_build_date(), _told(steps, cached=cached):
        try:
            config = load_config(config_file=str(config_file), site_dir=str(into), strict=True)
            try:
                build(config)
            finally:
                # Ctrl-C outside the hook's reach (MkDocs tells it only of an `Exception`): its
                # workers stop before the folder they write into is removed.
                close_all()
        except ConfigurationError as error:
            raise SiteUnavailable(f"{config_file}: {error}") from None
        except Abort as error:
            raise SiteFailed(str(error) or "the site build was aborted") from None
        except jinja2.TemplateError as error:
            where = getattr(error, "filename", None) or getattr(error, "name", None) or ""
            raise SiteFailed(f"template error {where}: {error}") from None
    return sorted(
        os.path.relpath(os.path.join(folder, name), into).replace(os.sep, "/")
        for folder, _, names in os.walk(into)
        for name in names
    )


def build_site(root: Path, out: Path, steps: Steps = quiet, *, cached: bool = True) -> int:
    """Build the site into `out` (replacing it only when the build succeeded); the number of
    files written.  `cached`: the project is read through its parse cache."""
    preflight(out)  # a folder the site may not replace is refused before seconds of MkDocs
    try:
        with tempfile.TemporaryDirectory(prefix="policyc-site-") as staging:
            built = Path(staging)
            # write_tree links each file from staging, or copies it where the system's
            # temporary folder is on another file system (or in memory, a tmpfs).
            files = render(root, built, steps=steps, cached=cached)
            count = write_tree(out, {path: built / path for path in files})
    finally:
        removed()  # the build's generated files, removed meanwhile by a thread of their own
    if Path(os.path.abspath(out)) == Path(os.path.abspath(root / "build" / "site")):
        # build/ is `policyc build`'s folder: record site/ there as built output, so that the
        # next `policyc build` replaces it instead of refusing a folder it did not write.
        claim(out.parent, out.name)
    return count


def serve(root: Path, port: int, *, cached: bool = True) -> None:
    """Serve the site on localhost, rebuilding on every change (the hook watches policies/,
    their official texts and site_templates/; MkDocs watches docs/ and mkdocs.yml)."""
    _quiet()
    try:
        from mkdocs.commands.serve import serve as mkdocs_serve
    except ImportError:
        raise SiteUnavailable(
            "MkDocs is not installed: install the site extra (pip install -e '.[site]')"
        ) from None
    # MkDocs rebuilds in this thread, so each rebuild sees what `_told` set.
    with _warnings_shown(logging.INFO, "serve"), _told(cached=cached):  # "Serving on …", rebuilds
        mkdocs_serve(config_file=str(_config_file(root)), dev_addr=f"127.0.0.1:{port}")
