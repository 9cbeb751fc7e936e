"""Random case records for the tests that run the generated SQL (test_sql_differential.py
against the Python package, test_sql_spark.py on Spark): one place says how they are made.

Per policy, two sets from benchmarks/records.py's generator: dates in 2020-2025 (settled holiday
schedules), and the same records moved two years later, into the years whose schedule is not
yet published (provisional due dates, the calendar table's `unknown` years).
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

from benchmarks.records import Raw, RecordMaker, policy_numbers
from compiler import ir
from compiler.backends.sql import sql_files
from compiler.interpret import info

POLICIES = ("lucheng", "ningbo", "taierzhuang", "weihai", "yuquan")
LATER = timedelta(days=730)  # into the years whose holiday schedule is unpublished
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def later(raw: Raw) -> Raw:
    """The record with every date and date-time moved by LATER."""
    moved: Raw = {}
    for key, value in raw.items():
        found = _DAY.match(value) if isinstance(value, str) else None
        if found and isinstance(value, str):
            day = date.fromisoformat(found.group(1)) + LATER
            moved[key] = day.isoformat() + value[10:]
        else:
            moved[key] = value
    return moved


def case_records(model: ir.Program, policy_id: str, count: int, seed: int) -> list[Raw]:
    """`count` records of the policy with settled dates, then `count` moved by LATER."""
    policy = model.policies[policy_id]
    maker = RecordMaker(info(model, policy), policy_numbers(model, policy), seed)
    records = maker.batch(count)
    return records + [later(r) for r in maker.batch(count)]


def write_jsonl(path: Path, records: list[Raw]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def write_sql(model: ir.Program, folder: Path) -> Path:
    """`folder` holding the build's sql/ files for `model`, as `policyc build` writes them."""
    for name, data in sql_files(model).items():
        (folder / name).write_bytes(data)
    return folder
