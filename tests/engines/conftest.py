"""The project's policies as the validators' command line takes them, and their SQL where the
DuckDB engine finds it (in the package it sits beside runtime/; here it is the build's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import ir
from compiler.interpret import info
from compiler.lower import load_program
from compiler.runtime import sqlengine
from compiler.runtime.policy import PolicyInfo
from tests.engines import ROOT
from tests.sqlcases import write_sql


@pytest.fixture(scope="module")
def model() -> ir.Program:
    return load_program(ROOT)


@pytest.fixture(scope="module")
def policies(model: ir.Program) -> dict[str, PolicyInfo]:
    return {pid: info(model, model.policies[pid]) for pid in sorted(model.policies)}


@pytest.fixture(scope="module")
def sql_dir(model: ir.Program, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sql(model, tmp_path_factory.mktemp("sql"))


@pytest.fixture(autouse=True)
def _package_sql(sql_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlengine, "SQL_DIR", sql_dir)
