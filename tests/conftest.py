"""Shared pytest fixtures: readable one-file-per-snapshot text snapshots."""

from __future__ import annotations

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
