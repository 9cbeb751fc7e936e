"""The whole site, built once per session with `policyc site` (MkDocs, strict, anchors
validated): it builds, loads nothing from another host, finds Chinese words in search at
their clauses, keeps policy text inert, and a failed build leaves the previous site intact."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import new_project

from compiler.backends.site import spool
from compiler.build import MARKER
from compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent
HOOK = ROOT / "compiler" / "backends" / "site" / "hook.py"

pytestmark = pytest.mark.site


def _site(capsys: pytest.CaptureFixture[str], root: Path, out: Path) -> tuple[int, str]:
    code = main(["--root", str(root), "site", "--out", str(out)])
    return code, capsys.readouterr().err


def test_the_site_builds_strict_with_every_document(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / MARKER).is_file()
    for source in (ROOT / "policies" / "sources").glob("*.txt"):
        assert (site / "documents" / source.stem / "index.html").is_file()
    assert (site / "assets" / "policyc" / "site.css").is_file()


def test_no_character_reference_is_shown_to_the_reader(site: Path) -> None:
    # The `text` filter writes policy text as character references, which Markdown passes
    # through and the browser shows as characters; inside a code span they would be escaped
    # once more and shown as "&#46;".  (No policy or official text contains "&#" itself.)
    shown = [
        str(path.relative_to(site))
        for path in sorted(site.rglob("*.html"))
        if "&amp;#" in path.read_text(encoding="utf-8")
    ]
    assert not shown, f"character references shown as text in {shown}"


# A reference that makes the browser fetch something: an attribute or a CSS url() naming a
# scheme-relative or http(s) address.  Plain text (an address quoted in a policy) is escaped
# as character references and is not matched.
_LOAD = re.compile(
    r"""(?:\b(?:src|href|srcset|action|poster|data)\s*=\s*["']?|url\(\s*["']?|@import\s+["'])"""
    r"""(?:https?:)?//""",
    re.IGNORECASE,
)


def test_nothing_is_loaded_from_another_host(site: Path) -> None:
    offenders = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in {".html", ".css", ".js"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in _LOAD.finditer(text):
            context = text[match.start() : match.start() + 80]
            offenders.append(f"{path.relative_to(site)}: {context}")
    assert not offenders, "\n".join(offenders)
    page = (site / "documents" / "ningbo" / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis" not in page and "fonts.gstatic" not in page


@pytest.mark.parametrize("word", ["追缴", "公示", "民主评议", "容错"])
def test_search_finds_the_word_at_a_clause(site: Path, word: str) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    # jieba segments Chinese with zero-width spaces: the word must be one whole token.
    at_clauses = [
        doc["location"]
        for doc in index["docs"]
        if re.fullmatch(r"documents/[a-z0-9_]+/#[a-z0-9-]+", doc["location"])
        and f"\u200b{word}\u200b" in f"\u200b{doc['text']}\u200b"
    ]
    assert at_clauses, f"no clause of any document is found by {word}"


def test_the_five_cities_are_searched_by_material(site: Path) -> None:
    """The chunked search is a province's (compiler/backends/site/search.py): not here."""
    assert (site / "search" / "search_index.json").is_file()
    assert not (site / "search" / "index.html").exists()
    assert not (site / "search" / "meta.json").exists()
    assert not (site / "assets" / "policyc" / "search.js").exists()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'class="md-search"' in home and 'href="search/"' not in home


def test_citations_link_to_clause_anchors_that_exist(site: Path) -> None:
    page = (site / "documents" / "ningbo" / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    # Citations on the page itself are "./#a4-i1-p1" once MkDocs resolved them.
    targets = re.findall(r'href="\./#(a[0-9][a-z0-9-]*)"', page)
    assert len(targets) > 20
    assert set(targets) <= ids
    assert 'id="a4-i1-p2"' in page and "policyc-clause" in page


def test_code_is_highlighted_by_the_policy_lexer(site: Path) -> None:
    page = (site / "documents" / "ningbo" / "index.html").read_text(encoding="utf-8")
    assert '<span class="kd">situation</span>' in page


# ---------------------------------------------------------------- a small project of our own

HOSTILE = (
    "测试办法\n"
    "第一条 本办法所称<script>alert(1)</script>是指{{ config }}和{% raw %}。\n"
    "第二条 对符合条件的困难群众，应当及时追缴。\n"
)


def _project(path: Path, note: str = "注") -> Path:
    project = new_project(path)
    (project / "policies" / "sources").mkdir()
    (project / "policies" / "sources" / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    sha = hashlib.sha256(HOSTILE.encode()).hexdigest()
    policy = f"""policy hostile {{
    title "测试办法"
    jurisdiction "某市" city
    status in_force
    source "sources/hostile.txt" sha256 "{sha}"
}}

informative at 序言 metadata "测试办法"
informative at 第一条 definition "<script>alert(1)</script>" "{{{{ config }}}}"
fact recovered: bool "已追缴<b>"
requirement recover at 第二条 "应当及时追缴" {{
    require recovered
    note "{note}"
}}
"""
    (project / "policies" / "hostile.policy").write_text(policy, encoding="utf-8")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("compiler/backends/site/hook.py", HOOK.as_posix())
    (project / "mkdocs.yml").write_text(config, encoding="utf-8")
    (project / "docs").mkdir()
    (project / "docs" / "index.md").write_text("# 首页\n", encoding="utf-8")
    return project


def test_policy_text_shows_as_text(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    project = _project(tmp_path / "p", note="注<script>x()</script>{{ y }}")
    code, err = _site(capsys, project, tmp_path / "out")
    assert code == 0, err
    page = (tmp_path / "out" / "documents" / "hostile" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<script>x()" not in page
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "本办法所称<script>alert(1)</script>是指{{ config }}和{% raw %}。" in shown
    assert "注<script>x()</script>{{ y }}" in shown
    assert "已追缴<b>" in shown


def _contents(site: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _built_once(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[Path, Path]:
    """The test project (`_project`) and its site, built; each test then fails a build."""
    project = _project(tmp_path / "p")
    code, err = _site(capsys, project, tmp_path / "out")
    assert code == 0, err
    return project, tmp_path / "out"


def test_a_check_error_leaves_the_previous_site(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project, out = _built_once(capsys, tmp_path)
    before = _contents(out)
    broken = project / "policies" / "hostile.policy"
    broken.write_text(broken.read_text(encoding="utf-8") + "\nfact x: nonsense\n")
    code, err = _site(capsys, project, out)
    assert code == 1
    assert "error[" in err and "hostile.policy" in err
    assert "previous site" in err
    assert _contents(out) == before
    assert not [p for p in tmp_path.iterdir() if ".staging-" in p.name]


def test_a_policy_saved_while_the_site_is_built_fails_it_and_leaves_the_previous_site(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The document pages show each statement as written, read from the policy file after it
    was checked: a file saved in between (an editor's autosave) would show statements that
    are not the rules the page lists.  The build stops and says so."""
    project, out = _built_once(capsys, tmp_path)
    before = _contents(out)
    policy = project / "policies" / "hostile.policy"
    # The hook as MkDocs loaded it for this project: from its path, once a process, named by
    # the line of mkdocs.yml that lists it (`_project`).
    loaded = sys.modules[HOOK.as_posix()]
    checked = loaded.load_program

    def saved_after_the_check(root: Path, *steps: object, **options: object) -> object:
        program = checked(root, *steps, **options)
        policy.write_text(policy.read_text(encoding="utf-8") + "\n# 已保存\n", encoding="utf-8")
        return program

    monkeypatch.setattr(loaded, "load_program", saved_after_the_check)
    code, err = _site(capsys, project, out)
    assert code == 1
    assert "policies/hostile.policy changed while the site was built" in err, err
    assert "build the site again" in err and "previous site" in err and "Traceback" not in err
    assert _contents(out) == before
    monkeypatch.undo()
    code, err = _site(capsys, project, out)  # built again: the saved text
    assert code == 0, err


def test_a_link_to_a_missing_clause_fails_the_build(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _project(tmp_path / "p")
    (project / "docs" / "index.md").write_text("# 首页\n\n[x](documents/hostile.md#a9)\n")
    code, err = _site(capsys, project, tmp_path / "out")
    assert code == 1
    assert "does not contain an anchor '#a9'" in err
    assert not (tmp_path / "out").exists()


def test_a_missing_configuration_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _project(tmp_path / "p")
    (project / "mkdocs.yml").unlink()
    code, err = _site(capsys, project, tmp_path / "out")
    assert code == 2
    assert "mkdocs.yml" in err
    assert not (tmp_path / "out").exists()


def test_the_site_does_not_overwrite_a_folder_it_did_not_write(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _project(tmp_path / "p")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    code, err = _site(capsys, project, mine)
    assert code == 2
    assert "site refused" in err
    assert (mine / "notes.txt").read_text() == "keep"
    shutil.rmtree(mine)


def test_pages_wait_on_disk_not_in_mkdocs_pages(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MkDocs renders every page before it writes any and keeps each page's source and HTML
    until the build ends: a province's site held gigabytes.  The hook keeps the generated
    files on disk and each page's HTML in its spool until the page's template needs it."""
    import mkdocs.commands.build as mkdocs_build

    project = _project(tmp_path / "p")
    held: list[tuple[str, object, object]] = []
    writes = mkdocs_build._build_page

    def first_written(page: Any, *args: Any, **kwargs: Any) -> None:
        if not held:  # every page rendered, none written yet
            for file in args[1]:  # the documentation pages
                held.append((file.src_uri, file.page.content, file.page.markdown))
        writes(page, *args, **kwargs)

    monkeypatch.setattr(mkdocs_build, "_build_page", first_written)
    code, err = _site(capsys, project, tmp_path / "out")
    assert code == 0, err
    uris = [uri for uri, _, _ in held]
    assert "documents/hostile.md" in uris and "index.md" in uris
    assert held == [(uri, "", "") for uri in uris]
    page = (tmp_path / "out" / "documents" / "hostile" / "index.html").read_text("utf-8")
    assert "应当及时追缴" in page  # the HTML came back for the template


@pytest.mark.parametrize("fails", [False, True])
def test_a_build_leaves_no_temporary_file(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fails: bool,
) -> None:
    project = _project(tmp_path / "p")
    if fails:  # a link to a clause that is not there: the build fails after every page
        (project / "docs" / "index.md").write_text("# 首页\n\n[x](documents/hostile.md#a9)\n")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    code, err = _site(capsys, project, tmp_path / "out")
    assert code == (1 if fails else 0), err
    # (jieba keeps its dictionary's cache there: not the build's.)
    assert [p.name for p in temporary.iterdir() if p.name != "jieba.cache"] == []


def test_the_site_command_returns_once_its_generated_files_are_gone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated files are removed by a thread of their own while the build ends
    (`spool.Sources.close`): `policyc site` waits for it, however long it takes, before it
    returns; nothing is left in the temporary folder."""
    project = _project(tmp_path / "p")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    cleanup = tempfile.TemporaryDirectory.cleanup
    by_a_thread: list[str] = []

    def slowly(folder: tempfile.TemporaryDirectory[str]) -> None:
        if threading.current_thread() is not threading.main_thread():
            by_a_thread.append(folder.name)
            time.sleep(0.5)  # as a province's 31,000 files
        cleanup(folder)

    monkeypatch.setattr(tempfile.TemporaryDirectory, "cleanup", slowly)
    code, err = _site(capsys, project, tmp_path / "out")
    assert code == 0, err
    assert len(by_a_thread) == 1 and f"{spool.PREFIX}sources-" in by_a_thread[0]
    assert [p.name for p in temporary.iterdir() if p.name != "jieba.cache"] == []
