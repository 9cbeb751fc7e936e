"""台儿庄 read on case records: `policyc validate` on small JSONL records, the status of each
rule asserted from the text of policies/sources/taierzhuang.txt.

- "配备1-2名兼职社会救助协理员": none is a breach, three is not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent


def validate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, *records: dict[str, Any]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Each record's checks by rule (a check the record gives no facts for is not listed)."""
    path = tmp_path / "records.jsonl"
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    main(["--root", str(ROOT), "validate", "--policy", "taierzhuang", str(path), "--json"])
    out, err = capsys.readouterr()
    assert err == ""
    report = json.loads(out)
    return {r["id"]: {c["rule"]: c for c in r["checks"]} for r in report["records"]}


def statuses(checks: dict[str, dict[str, Any]], *rules: str) -> dict[str, str]:
    return {rule: checks[rule]["status"] if rule in checks else "skipped" for rule in rules}


# ---------------------------------------------------------------- 三（一） 1-2名兼职协理员


@pytest.mark.parametrize(
    ("assistants", "status"), [(0, "fail"), (1, "pass"), (2, "pass"), (3, "pass")]
)
def test_village_assistants(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, assistants: int, status: str
) -> None:
    record = {"id": "A-1", "taierzhuang_village_assistants": assistants}
    assert validate(capsys, tmp_path, record)["A-1"]["village_assistants"]["status"] == status
