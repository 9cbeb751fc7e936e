"""`validate` streams (issue 13): records are read, checked and reported one at a time, the
report is the same, byte for byte, as the old in-memory rendering (tests/legacy_validate.py),
memory stays flat in the number of records, bad input still leaves stdout empty with exit 2,
an internal failure (MemoryError included) is exit 3, and a terminal shows progress.

The memory tests run the generated package in a subprocess and read its peak RSS; the test of
1,000,000 records (slow) is in tests/test_streaming_million.py, so that it runs beside this file.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import legacy_validate as legacy
import pytest
from streaming_run import main_of, ningbo_lines, package_run, peak_kib, write_lines

import compiler.runtime.cli as runtime_cli
import compiler.runtime.records as runtime_records
import compiler.runtime.validation as runtime_validation
from compiler.backends.package import PACKAGE, package_files
from compiler.build import write_tree
from compiler.interpret import info
from compiler.lower import load_program
from compiler.runtime.policy import PolicyInfo
from compiler.runtime.records import iter_records, read_records
from compiler.runtime.report import FORMATS, report
from compiler.runtime.timelimits import CalendarNotCovered, load_calendar
from compiler.runtime.validation import Tally, validate_records
from compiler.runtime.values import FactSpec

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = load_program(ROOT)
IDS = sorted(PROGRAM.policies)
POLICIES: dict[str, PolicyInfo] = {p: info(PROGRAM, PROGRAM.policies[p]) for p in IDS}
CALENDAR = load_calendar()
RECORDS_PER_POLICY = 250

# Record ids a report must carry safely (controls, a forged line, XML specials, a bidi
# override).  One holding a lone surrogate is refused (tests/engines/test_engines_agree.py): no
# UTF-8 report can carry it.
ODD_IDS = ["A\x00B", "C\x1b[2K\rD", "E\nX: decision", "<&\"'>", "H\u202eI", "\t\r\n"]


# ---------------------------------------------------------------- random records


def random_record(rng: random.Random, specs: list[FactSpec], index: int) -> dict[str, object]:
    """A record over the policy's facts: sparse or dense, mostly well typed, dates around a
    base day (some in 2027, where only statutory holidays are known: `undetermined`)."""
    base = date(2023, 1, 1) + timedelta(days=rng.randrange(3 * 365 + 200))
    presence = rng.uniform(0.1, 0.9)
    record: dict[str, object] = {}
    if rng.random() < 0.9:
        record["id"] = rng.choice(ODD_IDS) + str(index) if rng.random() < 0.05 else f"R-{index}"
    for spec in specs:
        if rng.random() >= presence:
            continue
        day = base + timedelta(days=rng.randrange(40))
        match spec.type:
            case "bool":
                record[spec.name] = rng.random() < 0.5
            case "enum":
                record[spec.name] = rng.choice(spec.members)
            case "date":
                record[spec.name] = day.isoformat()
            case "datetime":
                record[spec.name] = f"{day.isoformat()}T{rng.randrange(24):02d}:30"
            case "duration":
                record[spec.name] = f"{rng.randint(1, 30)} {rng.choice(['months', 'years'])}"
            case "int":
                record[spec.name] = rng.randint(0, 60)
            case "money" | "ratio":
                record[spec.name] = round(rng.uniform(0, 3000), 2)
            case _:
                record[spec.name] = rng.choice(["是", "否"])
    return record


def records_of(policy_id: str, count: int, seed: int = 13) -> list[dict[str, object]]:
    rng = random.Random(f"{seed}:{policy_id}")
    specs = list(POLICIES[policy_id].facts.values())
    return [random_record(rng, specs, i) for i in range(count)]


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")  # \\ud800 escaped
    return path


@pytest.fixture(scope="module")
def random_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("records")
    return {p: write_jsonl(folder / f"{p}.jsonl", records_of(p, RECORDS_PER_POLICY)) for p in IDS}


def stream(policy: PolicyInfo, results: list[Any], fmt: str) -> str:
    """The streaming writers' report of `results`: head + each record + tail."""
    writer, tally = report(policy, fmt), Tally(policy)
    body = []
    for result in results:
        tally.add(result)
        body.append(writer.record(result))
    return writer.head(tally) + "".join(body) + writer.tail(tally)


# ---------------------------------------------------------------- byte-identical reports


@pytest.mark.parametrize("policy_id", IDS)
def test_streamed_reports_equal_the_in_memory_rendering(
    policy_id: str, random_files: dict[str, Path]
) -> None:
    policy, path = POLICIES[policy_id], random_files[policy_id]
    assert legacy.read_records(path, policy.facts) == read_records(path, policy.facts)
    try:
        results = list(validate_records(policy, iter_records(path, policy.facts), CALENDAR))
    except runtime_records.RecordError:
        pytest.fail("the random records are well formed")
    assert len(results) == RECORDS_PER_POLICY
    findings = sum(len(r.findings) for r in results)
    assert findings > 0 and any(r.decision for r in results) == bool(policy.decision)
    run = legacy.Run(policy, tuple(results))  # type: ignore[arg-type]
    for fmt in FORMATS:
        assert stream(policy, results, fmt) == legacy.render(run, fmt), fmt


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_end_to_end_over_several_files(fmt: str, tmp_path: Path) -> None:
    policy = POLICIES["taierzhuang"]
    records = records_of("taierzhuang", 80, seed=7)
    first = write_jsonl(tmp_path / "a.jsonl", records[:40])
    second = tmp_path / "b.json"
    second.write_text(json.dumps(records[40:]), encoding="utf-8")
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    for paths in ([first, second], [empty], [empty, first]):
        names = [str(p) for p in paths]
        expected = legacy.run_validate(policy, names, fmt, CALENDAR)
        assert runtime_cli.run_validate(policy, names, fmt, CALENDAR) == expected


def test_csv_and_bom_are_read_as_before(tmp_path: Path) -> None:
    policy = POLICIES["taierzhuang"]
    # A lone surrogate cannot be written in a CSV file (JSON escapes it).
    records = [r for r in records_of("taierzhuang", 60, seed=3) if "\ud800" not in str(r.get("id"))]
    columns = sorted({k for r in records for k in r})
    lines = [",".join(columns)]
    for r in records:
        cells = [str(r.get(c, "")).lower() if isinstance(r.get(c), bool) else str(r.get(c, ""))
                 for c in columns]  # fmt: skip
        lines.append(",".join(json.dumps(c) if "," in c or "\n" in c else c for c in cells))
    for ending in ("\n", "\r\n", "\r"):
        path = tmp_path / "cases.csv"
        path.write_bytes(b"\xef\xbb\xbf" + ending.join(lines).encode() + ending.encode())
        assert read_records(path, policy.facts) == legacy.read_records(path, policy.facts)
    jsonl = write_jsonl(tmp_path / "cases.jsonl", records)
    jsonl.write_bytes(b"\xef\xbb\xbf" + jsonl.read_bytes().replace(b"\n", b"\r\n"))
    assert read_records(jsonl, policy.facts) == legacy.read_records(jsonl, policy.facts)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bad.jsonl", b'{"id": "a"}\n{"id": "b"\n'),
        ("bad.jsonl", b'{"id": "a"}\n\n[1]\n'),
        ("bad.jsonl", b'\xef\xbb\xbf{"id": "a"}\n{"id": "\xff"}\n'),
        ("bad.jsonl", b'{"id": "a", "nosuch_fact": 1}\n'),
        ("bad.csv", b"id,objection_raised\na,true\nb,maybe\n"),
        ("bad.csv", b'id,objection_raised\na,"true\n'),
        ("bad.csv", b"id,objection_raised\r\na,true,1\r\n"),
        ("bad.csv", b"id,id\na,b\n"),
        ("bad.json", b'[{"id": "a"}, 3]'),
        ("bad.json", b'[{"id": "a"},'),
    ],
)
def test_bad_input_has_the_same_message(tmp_path: Path, name: str, data: bytes) -> None:
    policy = POLICIES["taierzhuang"]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(runtime_records.RecordError) as old:
        legacy.read_records(path, policy.facts)
    with pytest.raises(runtime_records.RecordError) as new:
        read_records(path, policy.facts)
    assert str(new.value) == _IMPROVED.get(data, str(old.value)).format(path=path)


# Messages made more exact since streaming landed (the legacy path keeps the old ones): a JSONL
# record's column, and the line a bad CSV record starts on (the old one named the line before).
_IMPROVED = {
    b'{"id": "a"}\n{"id": "b"\n': "{path}:2:11: not valid JSON: Expecting ',' delimiter",
    b'id,objection_raised\na,"true\n': (
        "{path}:2: not valid CSV, in the record starting here: unexpected end of data"
    ),
}


# ---------------------------------------------------------------- bad input: stdout stays empty


@pytest.mark.parametrize("spool", [1 << 20, 100], ids=["in-memory", "on-disk"])
def test_a_malformed_record_at_the_end_leaves_stdout_empty(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    spool: int,
) -> None:
    # The report of the records before it was being written (to memory, or to a temporary
    # file past SPOOL_IN_MEMORY); none of it reaches stdout.
    monkeypatch.setattr(runtime_cli, "SPOOL_IN_MEMORY", spool)
    records = records_of("ningbo", 60)
    records.append({"id": "LAST", "ningbo_finding_date": "27/09/2024"})
    path = write_jsonl(tmp_path / "cases.jsonl", records)
    for fmt in FORMATS:
        code = runtime_cli.main(main_of("ningbo", str(path), "--format", fmt), POLICIES, "pv")
        out, err = capsys.readouterr()
        assert (code, out) == (2, ""), err
        assert err.startswith("pv: record LAST: field 'ningbo_finding_date'"), err


def test_a_year_outside_the_calendar_late_in_the_file_leaves_stdout_empty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    late = {"id": "L", "ningbo_application_accepted_date": "2051-01-06",
            "ningbo_finding_date": "2051-01-20"}  # fmt: skip
    path = write_jsonl(tmp_path / "cases.jsonl", [*records_of("ningbo", 60), late])
    with pytest.raises(CalendarNotCovered):
        legacy.run_validate(POLICIES["ningbo"], [str(path)], "text", CALENDAR)
    code = runtime_cli.main(main_of("ningbo", str(path)), POLICIES, "pv")
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert "2051" in err and "--calendar" in err


def test_a_large_report_goes_through_the_disk_unchanged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = str(write_jsonl(tmp_path / "cases.jsonl", records_of("taierzhuang", 60)))
    policy = POLICIES["taierzhuang"]
    expected = runtime_cli.run_validate(policy, [path], "junit", CALENDAR)
    monkeypatch.setattr(runtime_cli, "SPOOL_IN_MEMORY", 1000)
    assert runtime_cli.run_validate(policy, [path], "junit", CALENDAR) == expected


# ---------------------------------------------------------------- internal failures: exit 3


def _exhausted(*_args: object, **_kwargs: object) -> Any:
    raise MemoryError


class _Exhausting(io.StringIO):
    """A stdout that runs out of memory on its first write."""

    def write(self, text: str) -> int:
        raise MemoryError


@pytest.mark.parametrize("where", ["reading", "checking", "writing-stdout", "writing-spool"])
def test_memory_error_anywhere_in_the_stream_is_exit_3(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    random_files: dict[str, Path],
    where: str,
) -> None:
    # Exit 1 is "findings": CI must never read a crash as findings (it did at 1,000,000).
    if where == "reading":  # inside the generator that reads the records
        monkeypatch.setattr(runtime_records, "typed", _exhausted)
    elif where == "checking":  # inside the generator that checks them
        monkeypatch.setattr(runtime_validation, "check_record", _exhausted)
    elif where == "writing-stdout":
        monkeypatch.setattr(sys, "stdout", _Exhausting())
    else:
        monkeypatch.setattr(runtime_cli, "SPOOL_IN_MEMORY", 10)
        monkeypatch.setattr(tempfile, "TemporaryFile", _exhausted)
    argv = main_of("taierzhuang", str(random_files["taierzhuang"]), "--format", "junit")
    code = runtime_cli.main(argv, POLICIES, "pv")
    out, err = capsys.readouterr()
    assert code == 3
    assert err == "pv: internal error: out of memory\n"
    assert out == ""


def test_a_real_memory_error_is_exit_3(package_dir: Path, tmp_path: Path) -> None:
    # One record too big for the address space the process is given: Python's own MemoryError.
    path = tmp_path / "huge.jsonl"
    with path.open("w", encoding="utf-8") as file:
        file.write('{"id": "' + "x" * (40 << 20) + '"}\n')  # read, decoded, parsed: 120 MB
    result = package_run(package_dir, main_of("ningbo", str(path)), limit=100 << 20)
    assert result.returncode == 3, result.stderr[-500:]
    assert result.stderr.startswith("pv: internal error: out of memory\n")
    assert result.stdout == ""


# ---------------------------------------------------------------- progress on a terminal


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    random_files: dict[str, Path],
) -> None:
    argv = main_of("taierzhuang", str(random_files["taierzhuang"]))
    expected = runtime_cli.main(argv, POLICIES, "pv"), capsys.readouterr()
    assert expected[1].err == ""  # not a terminal (CI): quiet
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(runtime_cli, "PROGRESS_EVERY", 0.0)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    code = runtime_cli.main(argv, POLICIES, "pv")
    assert (code, capsys.readouterr().out) == (expected[0], expected[1].out)  # same report
    shown = terminal.getvalue()
    assert f"\r\x1b[Kpv: {RECORDS_PER_POLICY // 64 * 64:,} records, " in shown
    assert "records/s" in shown
    assert shown.endswith("\r\x1b[K")  # erased before the report
    # A CI job's terminal, or one that cannot redraw a line: quiet, as policyc build is.
    for name, value in (("CI", "true"), ("TERM", "dumb")):
        with monkeypatch.context() as scoped:
            scoped.setenv(name, value)
            quiet = _Terminal()
            scoped.setattr(sys, "stderr", quiet)
            assert runtime_cli.main(argv, POLICIES, "pv") == expected[0]
            assert quiet.getvalue() == "" and capsys.readouterr().out == expected[1].out


def test_progress_line_says_records_and_rate() -> None:
    now = [100.0]
    terminal = _Terminal()
    progress = runtime_cli.Progress(terminal, "pv", every=1.0, clock=lambda: now[0])
    for _ in range(64 * 10):
        now[0] += 0.01
        progress.tick()
    progress.close()
    lines = terminal.getvalue().split("\r\x1b[K")
    assert lines[1] == "pv: 128 records, 100 records/s"
    assert lines[-1] == ""
    assert runtime_cli.Progress.on_terminal(io.StringIO(), "pv") is None


# ---------------------------------------------------------------- memory: flat in the records


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("build") / "validators"
    write_tree(target, package_files(PROGRAM))
    return target


@pytest.mark.parametrize("piped", [False, True], ids=["file", "stdin"])
def test_peak_memory_does_not_grow_with_the_records(
    package_dir: Path, tmp_path: Path, piped: bool
) -> None:
    # The old path held every record, result and decision (~26 KB a record): 100,000 took
    # about five times the memory of 20,000.  The policy is kept to its time limits (its rules
    # dropped) to stay within the time of a fast test; the 1,000,000-record test runs it whole.
    # JUnit: the format whose counts are written before the testcases.  Standard input (`-`,
    # through a pipe) is read as a file is, line by line: the same flat memory.
    peaks = {}
    for count in (20_000, 100_000):
        path = write_lines(tmp_path / f"n{count}.jsonl", ningbo_lines(count))
        report = tmp_path / "report.xml"
        cases = ["--input-format", "jsonl", "-"] if piped else [str(path)]
        argv = main_of("ningbo", *cases, "--format", "junit")
        result = package_run(
            package_dir, argv, restrict=True, out=report, stdin_from=path if piped else None
        )
        assert result.returncode == 0, result.stderr[-1000:]
        with report.open(encoding="utf-8") as xml:
            head = xml.readline() + xml.readline()
        assert f'tests="{count}" failures="0" skipped="{count}"' in head
        peaks[count] = peak_kib(result)
    assert peaks[100_000] < peaks[20_000] * 1.1, peaks


# ---------------------------------------------------------------- lazy imports

_IMPORTS = """
import io, json, sys
import {package}
before = sorted(m for m in sys.modules if m.startswith("{package}."))
from {package} import POLICIES
ids = sorted(POLICIES)
from {package}.runtime.cli import main
sys.stdout = io.StringIO()
code = main(["validate", "--policy", "taierzhuang", sys.argv[1]], POLICIES, "pv")
sys.stdout = sys.__stdout__
from {package} import ningbo
after = sorted(m for m in sys.modules if m.startswith("{package}.") and "runtime" not in m)
print(json.dumps({{"before": before, "ids": ids, "code": code, "after": after,
                  "csv": "csv" in sys.modules, "xml": "xml.etree.ElementTree" in sys.modules,
                  "ningbo": ningbo.POLICY.id}}))
"""


def test_a_policy_is_imported_only_when_asked_for(package_dir: Path) -> None:
    cases = ROOT / "tests" / "data" / "cases" / "taierzhuang_valid.jsonl"
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTS.format(package=PACKAGE), str(cases)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(package_dir)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["before"] == []  # `import policyc_validators` imports nothing of its own
    assert seen["ids"] == IDS and seen["code"] == 0
    # validate imported its one policy; `from … import ningbo` then imported ningbo.
    assert seen["after"] == [f"{PACKAGE}.ningbo", f"{PACKAGE}.taierzhuang"]
    assert seen["ningbo"] == "ningbo"
    assert not seen["csv"] and not seen["xml"]  # JSONL in, text out: neither is needed
