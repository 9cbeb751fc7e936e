"""Shared pytest fixtures: readable one-file-per-snapshot text snapshots."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

ROOT = Path(__file__).resolve().parent.parent


class TextSnapshotExtension(SingleFileSnapshotExtension):
    """Store each snapshot as a UTF-8 .txt file so that reviews read as plain diffs."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


@pytest.fixture
def text_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(TextSnapshotExtension)


@pytest.fixture
def project_root() -> Path:
    return ROOT


def new_project(path: Path) -> Path:
    """An empty policy project at `path`: the shared vocabulary and concepts, no policy."""
    (path / "policies").mkdir(parents=True, exist_ok=True)
    for name in ("vocabulary.policy", "concepts.policy"):
        (path / "policies" / name).write_bytes((ROOT / "policies" / name).read_bytes())
    return path


def made_up_policy(project: Path, name: str, source: str, policy: str) -> Path:
    """NOT REAL POLICY, for a test: `source` written as `policies/sources/<name>.txt`, and
    `policy` as `policies/<name>.policy` with `{sha}` in it the source's SHA-256."""
    sources = project / "policies" / "sources"
    sources.mkdir(exist_ok=True)
    (sources / f"{name}.txt").write_text(source, encoding="utf-8")
    sha = hashlib.sha256(source.encode()).hexdigest()
    path = project / "policies" / f"{name}.policy"
    path.write_text(policy.replace("{sha}", sha), encoding="utf-8")
    return path


# A site already built from this tree by `policyc site` (.ci/run sets it to build/site, which
# `python3 dev.py build` has just written): the tests read it instead of building their own.
SITE_DIR_ENV = "POLICYC_SITE_DIR"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's site, built once for every test of the session (test_site_build.py,
    test_determinism.py and the browser tests share it: a site build takes ~10 s), or the
    one POLICYC_SITE_DIR names."""
    from compiler.cli import main

    given = os.environ.get(SITE_DIR_ENV)
    if given:
        if not (Path(given) / "index.html").is_file():
            pytest.fail(f"{SITE_DIR_ENV}={given} holds no built site (no index.html)")
        return Path(given)
    out = tmp_path_factory.mktemp("site") / "site"
    code = main(["--root", str(ROOT), "site", "--out", str(out)])
    assert code == 0, "policyc site failed (its messages are above)"
    return out


@pytest.fixture(scope="session")
def site_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project of 10 synthetic jurisdictions that the site can be built from (benchmarks/
    corpus.py), made once for the site's tests; a test that changes it changes a copy."""
    from benchmarks.corpus import generate, with_site

    root = tmp_path_factory.mktemp("site-corpus") / "corpus"
    generate(10, root)
    with_site(root)
    return root
