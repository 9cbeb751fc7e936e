"""The emitted SQL on Spark: PySpark in local mode runs a policy's SQL over a small table and
returns exactly DuckDB's rows.  Slow (a JVM starts: ~30-60 s) and heavy (pyspark is ~500 MB),
so CI does not install pyspark and this test skips there; CI parses the SQL as Spark SQL
instead (tests/test_sql.py).  To run it:

    .venv/bin/pip install pyspark      # Java 17: apt-get install openjdk-17-jre-headless
    .venv/bin/python -m pytest tests/test_sql_spark.py -m slow
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from compiler.backends.sql import sql_files
from compiler.interpret import info
from compiler.lower import load_program

duckdb = pytest.importorskip("duckdb")
pyspark_sql = pytest.importorskip("pyspark.sql")

from compiler.runtime.sqlengine import Cases, _source, load_calendar_table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from validators import RecordMaker, policy_numbers  # noqa: E402

POLICIES = ("taierzhuang", "weihai")
RECORDS = 300

pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17")
def test_spark_returns_the_duckdb_rows(tmp_path: Path) -> None:
    model = load_program(ROOT)
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    for name, data in sql_files(model).items():
        (sql_dir / name).write_bytes(data)
    spark = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    try:
        for policy_id in POLICIES:
            policy = info(model, model.policies[policy_id])
            maker = RecordMaker(policy, policy_numbers(model, model.policies[policy_id]), 3)
            cases = tmp_path / f"{policy_id}.jsonl"
            records = maker.batch(RECORDS)
            cases.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
            # The typed tables, as DuckDB gives them to the SQL, handed to Spark as Parquet.
            con = duckdb.connect()
            Cases(con, policy.facts, [_source(0, str(cases))])
            load_calendar_table(con, sql_dir, None)
            typed, calendar = tmp_path / f"{policy_id}.parquet", tmp_path / "calendar.parquet"
            con.execute(f"COPY policyc_cases TO '{typed}' (FORMAT parquet)")
            con.execute(f"COPY policyc_calendar TO '{calendar}' (FORMAT parquet)")
            body = (sql_dir / f"{policy_id}.sql").read_text(encoding="utf-8").strip()
            body = body.removesuffix(";")
            cursor = con.execute(f"SELECT * FROM ({body}) ORDER BY CAST(id AS BIGINT)")
            names = [d[0] for d in cursor.description]
            expected = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

            spark.read.parquet(str(typed)).createOrReplaceTempView("policyc_cases")
            spark.read.parquet(str(calendar)).createOrReplaceTempView("policyc_calendar")
            rows = spark.sql(body).collect()
            got = sorted((row.asDict() for row in rows), key=lambda r: int(r["id"]))
            assert [list(r) for r in got] == [names] * len(got)
            assert got == expected, policy_id
    finally:
        spark.stop()
