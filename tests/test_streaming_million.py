"""`validate` of 1,000,000 records in bounded memory (issue 13; slow: about two minutes on a
busy 2-core machine at the speed of the checks when it was written)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streaming_run import main_of, ningbo_lines, package_run, peak_kib, write_lines

from compiler.backends.package import package_files
from compiler.build import write_tree
from compiler.lower import load_program

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("build") / "validators"
    write_tree(target, package_files(load_program(ROOT)))
    return target


def _array(lines: Iterator[str]) -> Iterator[str]:
    """The records of JSONL `lines` as one JSON array, an item a line."""
    yield "["
    for number, line in enumerate(lines):
        yield ("," if number else "") + line
    yield "]\n"


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_a_million_records_in_bounded_memory(package_dir: Path, tmp_path: Path, fmt: str) -> None:
    # At 1,000,000 records the old path died with MemoryError after 23 minutes (and exit 1).
    # Here the whole policy checks every record within 256 MiB of address space, ~1/100 of
    # what the old path needed (26 KB a record).  A JSON array was read whole until issue
    # 13's twenty-first round (2.8 GB for a million 威海 records): now an item at a time.
    lines = ningbo_lines(1_000_000)
    path = write_lines(tmp_path / f"million.{fmt}", _array(lines) if fmt == "json" else lines)
    report = tmp_path / "report.txt"
    start = time.perf_counter()
    result = package_run(package_dir, main_of("ningbo", str(path)), limit=256 << 20, out=report)
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stderr[-1000:]
    with report.open(encoding="utf-8") as text:
        assert text.readline().startswith("N0: UNDETERMINED ningbo_verification")
    with report.open("rb") as text:
        text.seek(-600, os.SEEK_END)
        assert b"ningbo: 1000000 record(s), 0 finding(s)" in text.read()
    peak = peak_kib(result)
    assert peak < 100 << 10, result.stderr[-200:]
    print(f"1,000,000 records of {fmt} in {elapsed:.0f} s, peak RSS {peak / 1024:.0f} MiB")


# How a file larger than DuckDB's memory limit is read: (its name, its padding, whether one
# JSON array, the way it goes).
_LARGER = {
    "jsonl": ("padded.jsonl", " " * 1000, False, "by DuckDB's CSV reader"),
    "jsonl_cr": ("padded.jsonl", " " * 999 + "\r", False, "by blocks"),
    "json": ("padded.json", " " * 1000, True, "by DuckDB's JSON reader"),
}


@pytest.mark.slow
@pytest.mark.parametrize("way", list(_LARGER))
def test_the_duckdb_engine_reads_a_file_larger_than_its_memory(
    package_dir: Path, tmp_path: Path, way: str
) -> None:
    # DuckDB's read_text took a file whole: under a memory limit smaller than the file it ran
    # out of memory ("cannot read it as records", exit 2), and without one its memory grew
    # with the file (JSONL: 5.2 GB for a million 威海 records; a JSON array, held then as a
    # list: 2.3 GB for 300,000).  Here 150 MB of records (padded with white space) through a
    # 128 MB limit: JSONL read by DuckDB's CSV reader in its buffers of a sixteenth of the
    # limit, or, with a `\r` in the padding (JSON's white space, a line's end to that
    # reader), handed over a block at a time and typed a batch at a time; a JSON array read
    # by DuckDB's JSON reader an item at a time.
    name, padding, array, how = _LARGER[way]
    lines = (line.replace("}", padding + "}") for line in ningbo_lines(160_000))
    path = write_lines(tmp_path / name, _array(lines) if array else lines)
    assert path.stat().st_size > 150 << 20
    argv = main_of("ningbo", "--engine", "duckdb", "--memory-limit", "128MB", str(path))
    report = tmp_path / "report.txt"
    result = package_run(package_dir, argv, out=report)
    assert result.returncode == 0, result.stderr[-1000:]
    assert "ningbo: 160000 record(s), 0 finding(s)" in report.read_text(encoding="utf-8")
    peak = peak_kib(result)
    print(f"150 MB of {name} {how}, DuckDB within 128 MB: peak RSS {peak / 1024:.0f} MiB")
    assert peak < 400 << 10, result.stderr[-200:]
