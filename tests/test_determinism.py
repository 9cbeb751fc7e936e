"""The same input gives byte-identical output: two builds of everything (validators, site,
tables in every format), under different hash seeds and with the project's files written to
disk in opposite orders, are the same bytes — and nothing embeds the day of the build."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
POLICYC = Path(sys.executable).with_name("policyc")


# What the site is built from besides policies/: the MkDocs configuration, its hand-written
# pages and templates, and the hook it names by path.
SITE_INPUTS = ("mkdocs.yml", "docs", "site_templates", "compiler")


def copy_project(target: Path, reverse: bool, inputs: tuple[str, ...] = ("policies",)) -> Path:
    """The project's inputs, each file created in the given order (directory order on disk
    follows creation order on most file systems)."""
    files = sorted(
        p
        for name in inputs
        for p in ([ROOT / name] if (ROOT / name).is_file() else (ROOT / name).rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    )
    for path in reversed(files) if reverse else files:
        destination = target / path.relative_to(ROOT)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return target


def share_history(project: Path) -> None:
    """The site's revision pages (diffs/) read each policy's base version from git: the copy
    reads the project's history (a `.git` file naming the project's git directory), so that
    both builds see the same; with no git here, neither does."""
    if shutil.which("git") is None:
        return
    found = subprocess.run(
        ["git", "rev-parse", "--absolute-git-dir"], cwd=ROOT, capture_output=True, text=True
    )
    if found.returncode == 0:
        (project / ".git").write_text(f"gitdir: {found.stdout.strip()}\n", encoding="utf-8")


def build(project: Path, out: Path, seed: str, *verb: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    env.pop("SOURCE_DATE_EPOCH", None)
    result = subprocess.run(
        [POLICYC, "--root", project, *(verb or ("build",)), "--out", out],
        capture_output=True, text=True, env=env, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return tree(out)


def tree(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build(copy_project(tmp_path / "a", reverse=False), tmp_path / "out-a", "0")
    second = build(copy_project(tmp_path / "b", reverse=True), tmp_path / "out-b", "4242")
    assert sorted(first) == sorted(second)
    different = [path for path in first if first[path] != second[path]]
    assert different == []
    assert len(first) > 20


@pytest.mark.site
def test_two_site_builds_are_byte_identical(site: Path, tmp_path: Path) -> None:
    # One extra build: the session's site (built in this process under pytest's hash seed, or
    # by `policyc site` before the tests, see POLICYC_SITE_DIR) against a build of a copy
    # written in reverse order, in another process and hash seed.
    seed = "4242" if os.environ.get("PYTHONHASHSEED") == "0" else "0"
    project = copy_project(tmp_path / "b", reverse=True, inputs=("policies", *SITE_INPUTS))
    share_history(project)
    first = tree(site)
    second = build(project, tmp_path / "site-b", seed, "site")
    assert sorted(first) == sorted(second)
    different = [path for path in first if first[path] != second[path]]
    assert different == []
    assert len(first) > 50


@pytest.mark.site
def test_the_site_does_not_embed_the_day_it_was_built(site: Path) -> None:
    # MkDocs stamps the gzip header of sitemap.xml.gz (and each page's update_date, the
    # sitemap's <lastmod>) with the build day unless SOURCE_DATE_EPOCH says otherwise: two
    # builds on different days differed.  A gzip mtime of 0 means "no timestamp".
    with (site / "sitemap.xml.gz").open("rb") as stream:
        header = stream.read(10)
    assert int.from_bytes(header[4:8], "little") == 0
    sitemap = gzip.decompress((site / "sitemap.xml.gz").read_bytes()).decode()
    assert "<lastmod>" not in sitemap or "<lastmod>1970-01-01</lastmod>" in sitemap


@pytest.mark.parametrize("fmt", ["markdown", "csv", "json"])
def test_two_table_outputs_are_byte_identical(tmp_path: Path, fmt: str) -> None:
    first = build(
        copy_project(tmp_path / "a", reverse=False), tmp_path / "out-a", "0",
        "tables", "--format", fmt,
    )  # fmt: skip
    second = build(
        copy_project(tmp_path / "b", reverse=True), tmp_path / "out-b", "4242",
        "tables", "--format", fmt,
    )  # fmt: skip
    assert sorted(first) == sorted(second)
    different = [path for path in first if first[path] != second[path]]
    assert different == []
    assert len(first) == 8  # the seven tables and the marker naming them
