"""The emitted SQL on Spark: PySpark in local mode runs every policy's two statements (the full
SELECT `<id>.sql` and the decision-only `<id>.decide.sql`, docs/sql.md) over a table of random
records (tests/sqlcases.py: settled dates, and dates in years whose holidays are unpublished)
and returns exactly DuckDB's rows, column for column.  With test_sql_differential.py (DuckDB's
rows are the Python package's results), Spark's are the package's results too.  Spark reads the
calendar as build/sql/README.md tells its users to: calendar.csv, the types inferred.

CI installs pyspark (the `spark` extra), and Debian's Java where the machine has none, and sets
POLICYC_REQUIRE_SPARK=1: there a missing pyspark or java fails these tests instead of skipping
them.  Elsewhere they skip without either.  Marked slow: a JVM starts.  To run them:

    .venv/bin/pip install -e '.[spark]'    # and Java 17 or newer (Debian: default-jre-headless)
    .venv/bin/python -m pytest tests/test_sql_spark.py
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb  # in the test extra
import pytest

from compiler import ir
from compiler.interpret import info
from compiler.lower import load_program
from compiler.runtime.sqlengine import Cases, _source, load_calendar_table
from tests.sqlcases import POLICIES, Raw, case_records, write_jsonl, write_sql

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = os.environ.get("POLICYC_REQUIRE_SPARK") == "1"
RECORDS = 200  # per policy and set (settled dates, then moved into unpublished years)
SEED = 3
STATEMENTS = ("sql", "decide.sql")


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None:
        return "Spark needs Java 17 or newer (Debian: apt-get install default-jre-headless)"
    return None


MISSING = _missing()
if MISSING is not None and not REQUIRED:
    pytest.skip(MISSING, allow_module_level=True)

pytestmark = pytest.mark.slow

Rows = list[dict[str, Any]]


@pytest.fixture(scope="module")
def spark(sql_dir: Path) -> Iterator[Any]:
    """One local Spark for the module (its JVM takes most of the time), the calendar read as
    build/sql/README.md tells Spark users to read it (CSV, its types inferred)."""
    if MISSING is not None:
        pytest.fail(f"POLICYC_REQUIRE_SPARK=1, but {MISSING}")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("policyc-tests")
        .config("spark.ui.enabled", "false")
        # On loopback: a CI machine's own host name may not resolve (a closed network).
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    calendar = session.read.csv(str(sql_dir / "calendar.csv"), header=True, inferSchema=True)
    calendar.createOrReplaceTempView("policyc_calendar")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def model() -> ir.Program:
    return load_program(ROOT)


@pytest.fixture(scope="module")
def sql_dir(model: ir.Program, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sql(model, tmp_path_factory.mktemp("sql"))


def _rows(cursor_rows: list[tuple[Any, ...]], names: list[str]) -> Rows:
    return [dict(zip(names, row, strict=True)) for row in cursor_rows]


@pytest.fixture(scope="module")
def duckdb_side(
    model: ir.Program, sql_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Path, dict[str, Rows]]]:
    """Per policy: the typed `policyc_cases` as DuckDB gives it to the SQL (validate --engine
    duckdb), written as Parquet for Spark, and DuckDB's rows of each statement in id order."""
    target = tmp_path_factory.mktemp("spark-cases")
    return {
        policy_id: _duckdb_rows(
            model, sql_dir, target, policy_id, case_records(model, policy_id, RECORDS, SEED)
        )
        for policy_id in POLICIES
    }


def _duckdb_rows(
    model: ir.Program, sql_dir: Path, target: Path, policy_id: str, records: list[Raw]
) -> tuple[Path, dict[str, Rows]]:
    """`records` typed by DuckDB as `validate --engine duckdb` types them, written as Parquet
    in `target`, and DuckDB's rows of each statement over them, in id order."""
    cases = write_jsonl(target / f"{policy_id}.jsonl", records)
    con = duckdb.connect()
    Cases(con, info(model, model.policies[policy_id]).facts, [_source(0, str(cases))])
    load_calendar_table(con, sql_dir, None)
    typed = target / f"{policy_id}.parquet"
    con.execute(f"COPY policyc_cases TO '{typed}' (FORMAT parquet)")
    rows = {}
    for statement in STATEMENTS:
        body = _statement(sql_dir, policy_id, statement)
        cursor = con.execute(f"SELECT * FROM ({body}) ORDER BY CAST(id AS BIGINT)")
        rows[statement] = _rows(cursor.fetchall(), [d[0] for d in cursor.description])
    return typed, rows


def _statement(sql_dir: Path, policy_id: str, statement: str) -> str:
    """The statement as `spark.sql` takes it: one SELECT, without its final `;`."""
    text = (sql_dir / f"{policy_id}.{statement}").read_text(encoding="utf-8")
    return text.strip().removesuffix(";")


@pytest.mark.parametrize("statement", STATEMENTS)
@pytest.mark.parametrize("policy_id", POLICIES)
def test_spark_returns_the_duckdb_rows(
    spark: Any,
    sql_dir: Path,
    duckdb_side: dict[str, tuple[Path, dict[str, Rows]]],
    policy_id: str,
    statement: str,
) -> None:
    typed, expected_rows = duckdb_side[policy_id]
    expected = expected_rows[statement]
    _same_rows(spark, sql_dir, typed, policy_id, statement, expected)
    assert len(expected) == 2 * RECORDS
    # The records reach several outcomes, open ones among them: rows of NULLs prove nothing.
    outcomes = Counter(str(row["outcome"]) for row in expected)
    assert outcomes["undetermined"] and len(outcomes) >= 3, outcomes


def _same_rows(
    spark: Any, sql_dir: Path, typed: Path, policy_id: str, statement: str, expected: Rows
) -> None:
    """Spark's rows of `statement` over the Parquet file `typed` are `expected`."""
    spark.read.parquet(str(typed)).createOrReplaceTempView("policyc_cases")
    frame = spark.sql(_statement(sql_dir, policy_id, statement))
    assert frame.columns == list(expected[0])  # the same columns in the same order
    got = sorted((row.asDict() for row in frame.collect()), key=lambda r: int(r["id"]))
    assert len(got) == len(expected)
    differ = [
        f"id {want['id']}: "
        + "; ".join(f"{k}: spark {row[k]!r}, duckdb {v!r}" for k, v in want.items() if row[k] != v)
        for row, want in zip(got, expected, strict=True)
        if row != want
    ]
    assert not differ, f"{len(differ)} of {len(expected)} rows differ:\n" + "\n".join(differ[:10])


def test_spark_marks_the_numbers_duckdb_marks(
    spark: Any, model: ir.Program, sql_dir: Path, tmp_path: Path
) -> None:
    """鹿城's cap (家庭人数 × 当地月低保标准 × 20) past the SQL's DECIMAL (docs/sql.md, "Numbers
    too large"): Spark, in whichever decimal mode, marks the rows DuckDB marks
    `number_too_large` and computes the others alike, at the guard's edge too."""
    size, standard, aid = (
        "lucheng_household_size",
        "lucheng_monthly_dibao_standard",
        "lucheng_deliberated_temporary_aid",
    )
    records: list[Raw] = [
        {size: 10**14, standard: 10**14, aid: 5},
        {size: 10**15, standard: "999999999999999.5", aid: 1},
        {size: 5000, standard: 10**12, aid: 1},  # the cap 10^17: marked
        {size: 4999, standard: 10**12, aid: 10**15},  # the cap 9.998 × 10^16: computed
        {size: 2, standard: 700, aid: 28001},  # over the cap of 28,000
        {size: 3, standard: "850.5", aid: 51030},  # the cap itself
    ]
    typed, rows = _duckdb_rows(model, sql_dir, tmp_path, "lucheng", records)
    errors = [row["error"] for row in rows["sql"]]
    assert errors == ["number_too_large"] * 3 + [None] * 3
    statuses = [row["temporary_aid_household_cap__status"] for row in rows["sql"][3:]]
    assert statuses == ["pass", "fail", "pass"]
    _same_rows(spark, sql_dir, typed, "lucheng", "sql", rows["sql"])
