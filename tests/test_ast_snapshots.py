"""Snapshots of the AST of every policy file, as `policyc dump` prints it.

One readable text file per policy file under tests/__snapshots__/test_ast_snapshots/.  After a
deliberate change to a policy (or to the parser), review the diff and regenerate with
`.venv/bin/pytest tests/test_ast_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from compiler.cli import format_module
from compiler.parser import parse_file

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
# policies/cases/conflicts/ is written by `policyc conflicts --emit-tests`: its text is
# snapshotted as a whole by tests/test_conflicts.py (and kept equal to the report's output there).
GENERATED = POLICIES / "cases" / "conflicts"
FILES = sorted(p for p in POLICIES.glob("**/*.policy") if GENERATED not in p.parents)


def snapshot_id(path: Path) -> str:
    """policies/cases/ningbo.policy -> cases_ningbo: ASCII, one per file."""
    relative = path.relative_to(POLICIES).with_suffix("").as_posix()
    ident = re.sub(r"[^A-Za-z0-9_]", "_", relative)
    assert ident.isascii(), path
    return ident


IDS = [snapshot_id(p) for p in FILES]


def test_every_policy_file_has_its_own_id() -> None:
    assert FILES, "no policy files found"
    assert len(set(IDS)) == len(IDS)
    assert {"ningbo", "weihai", "vocabulary"} <= set(IDS)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_ast_snapshot(path: Path, text_snapshot: SnapshotAssertion) -> None:
    module, diagnostics = parse_file(path, path.relative_to(ROOT).as_posix())
    assert not diagnostics, "\n".join(d.render() for d in diagnostics)
    assert module is not None
    assert format_module(module) + "\n" == text_snapshot
