"""The site build's spool (compiler/backends/site/spool.py): what a page's HTML and the
generated files are while MkDocs renders the others."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from compiler.backends.site.spool import Sources, Spool, removed


def test_the_spool_gives_back_each_page_as_put() -> None:
    spool = Spool()
    pages = {
        "a.md": "<p>公示期满</p>",
        "b/c.md": "",
        "d.md": "<h1>𠀀 \ud800 \u2028</h1>" * 1000,  # outside the BMP, a lone surrogate
    }
    for key, html in pages.items():
        spool.put(key, html)
    assert "a.md" in spool
    assert spool.take("d.md") == pages["d.md"]  # in any order
    assert spool.take("a.md") == pages["a.md"]
    spool.put("e.md", "<p>后来</p>")  # after a take
    assert spool.take("b/c.md") == ""
    assert spool.take("e.md") == "<p>后来</p>"
    assert "a.md" not in spool  # taken once
    with pytest.raises(KeyError):
        spool.take("a.md")
    spool.close()


def test_sources_are_written_as_given_and_removed() -> None:
    sources = Sources()
    page = Path(sources.write("documents/ningbo.md", "# 宁波\n"))
    data = Path(sources.write("tables/duties.json", b"\x00\xff"))
    assert page.read_bytes() == "# 宁波\n".encode()
    assert data.read_bytes() == b"\x00\xff"
    assert page.is_relative_to(sources.root)
    sources.close()
    assert not sources.root.exists()


def test_sources_removed_later_are_gone_once_waited_for() -> None:
    """A build that ended leaves its generated files to a thread (`close(later=True)`), and
    `removed` waits until they are gone: `build_site` before it returns, the next build of
    `policyc serve` before it forks."""
    sources = Sources()
    written = [Path(sources.write(f"documents/{n}/page.md", "# 页\n" * 100)) for n in range(300)]
    sources.close(later=True)
    removed()
    assert not sources.root.exists()
    assert not any(path.exists() for path in written)
    removed()  # nothing left to wait for


def test_a_removal_that_fails_is_raised_where_the_build_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What went wrong in the thread is raised by `removed` (the build fails, as when the
    folder was removed in the build's own thread), not printed by the thread."""
    sources = Sources()

    def fails(folder: tempfile.TemporaryDirectory[str]) -> None:
        raise PermissionError(folder.name)

    with monkeypatch.context() as patch:
        patch.setattr(tempfile.TemporaryDirectory, "cleanup", fails)
        sources.close(later=True)
        with pytest.raises(PermissionError, match="policyc-site-sources-"):
            removed()
    removed()  # raised once, and forgotten
    sources.close()
    assert not sources.root.exists()
