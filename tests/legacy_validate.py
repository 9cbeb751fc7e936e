"""The validate path as it was before it streamed (issue 13): the whole file read and decoded,
every record, result and decision held, the report rendered at once with json.dumps and
ElementTree.  Kept verbatim (imports aside) as the reference the streaming path must equal,
byte for byte (tests/test_streaming.py); not used by policyc itself."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from compiler.runtime import jsontext
from compiler.runtime.checks import EXERCISED, CheckResult, check_record
from compiler.runtime.decision import decide, explain
from compiler.runtime.kinds import CHECKED_KINDS, DECISION_KINDS
from compiler.runtime.policy import PolicyInfo
from compiler.runtime.records import Record, RecordError, typed
from compiler.runtime.timelimits import WorkdayCalendar
from compiler.runtime.values import FactError, FactSpec, cut

# ---------------------------------------------------------------- compiler/runtime/records.py


def read_records(path: Path, specs: Mapping[str, FactSpec]) -> list[Record]:
    """Every record of a file, typed; RecordError on the first malformed one."""
    _format(path)  # before reading: `cases.bin` -> /dev/zero must not be read to the end
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise RecordError(f"{path}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise RecordError(f"{path}: not UTF-8 (byte {error.start})") from None
    return [typed(origin, raw, specs) for origin, raw in raw_records(path, text)]


_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise RecordError(f"{path}: unknown format '{suffix}'; expected .json, .jsonl or .csv")
    return _FORMATS[suffix]


def raw_records(path: Path, text: str) -> Iterator[tuple[str, dict[str, object]]]:
    fmt = _format(path)
    if fmt == "csv":
        yield from _csv_records(path, text)
    elif fmt == "jsonl":
        # Only \n ends a record: str.splitlines would also split at U+2028 inside a string.
        for number, line in enumerate(text.split("\n"), 1):
            if line.strip():
                yield (
                    f"{path.name}:{number}",
                    _object(_json(path, line, number), f"{path.name}:{number}"),
                )
    else:
        document = _json(path, text, None)
        items = document if isinstance(document, list) else [document]
        for index, item in enumerate(items, 1):
            yield f"{path.name}#{index}", _object(item, f"{path.name}#{index}")


def _json(path: Path, text: str, line: int | None) -> object:
    try:
        return jsontext.loads(text)
    except jsontext.JSONInputError as error:
        where = f"{path}:{line}" if line is not None else f"{path}"
        if line is None and error.line:
            where += f":{error.line}:{error.column}"
        raise RecordError(f"{where}: not valid JSON: {error.message}") from None


def _object(item: object, origin: str) -> dict[str, object]:
    if not isinstance(item, dict):
        raise RecordError(
            f"record {origin}: a record is a JSON object of facts, not {type(item).__name__}"
        )
    return item


def _csv_records(path: Path, text: str) -> Iterator[tuple[str, dict[str, object]]]:
    # strict: a quote never closed is an error, not a cell swallowing every later row.
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        yield from _csv_rows(path, reader)
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            # The reader gives up before counting the record's lines: it starts on the next.
            raise RecordError(
                f"{path}:{reader.line_num + 1}: the record starting here has a cell longer "
                f"than {csv.field_size_limit():,} characters"
            ) from None
        raise RecordError(f"{path}:{reader.line_num}: not valid CSV: {error}") from None


def _csv_rows(path: Path, reader: csv.DictReader[str]) -> Iterator[tuple[str, dict[str, object]]]:
    header = reader.fieldnames or []
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise RecordError(f"{path}:1: the column {', '.join(repeated)} appears twice in the header")
    for row in reader:
        origin = f"{path.name}:{reader.line_num}"
        if None in row:
            raise RecordError(f"record {origin}: more cells than the header has columns")
        if any(value is None for value in row.values()):
            # DictReader fills a short row with None: a cell lost, not a fact left empty.
            raise RecordError(f"record {origin}: fewer cells than the header has columns")
        # An empty cell is a fact not given; CSV has no types, so they come from the policy.
        yield origin, {key: value for key, value in row.items() if key is not None and value != ""}


# ---------------------------------------------------------------- compiler/runtime/validation.py


@dataclass(frozen=True)
class RecordResult:
    record: Record
    checks: tuple[CheckResult, ...]
    decision: dict[str, object] | None  # when the record gives facts of the relief decision

    @property
    def findings(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.finding)


@dataclass(frozen=True)
class Run:
    policy: PolicyInfo
    results: tuple[RecordResult, ...]

    @property
    def findings(self) -> int:
        return sum(len(r.findings) for r in self.results)

    def checkable_clauses(self) -> list[str]:
        """The clauses a record can exercise (time limits, requirements, liabilities), in the
        order the policy states them."""
        clauses = [limit.clause for limit in self.policy.limits if limit.start and limit.end]
        clauses += [r.clause for r in self.policy.rules if r.kind in CHECKED_KINDS]
        return list(dict.fromkeys(sorted(clauses, key=self._order)))

    def _order(self, clause: str) -> int:
        for index, rule in enumerate(self.policy.rules):
            if rule.clause == clause:
                return index
        return len(self.policy.rules)

    def _all_checks(self) -> list[CheckResult]:
        return [c for result in self.results for c in result.checks]

    def exercised_clauses(self) -> list[str]:
        exercised = {c.clause for c in self._all_checks() if c.status in EXERCISED}
        return [c for c in self.checkable_clauses() if c in exercised]

    def counts(self) -> dict[str, int]:
        tally: dict[str, int] = {}
        for check in self._all_checks():
            tally[check.status] = tally.get(check.status, 0) + 1
        return dict(sorted(tally.items()))


def validate(policy: PolicyInfo, records: Sequence[Record], calendar: WorkdayCalendar) -> Run:
    decision_facts = {
        name for rule in policy.rules if rule.kind in DECISION_KINDS for name in rule.reads
    }
    results = []
    for record in records:
        try:
            checks = tuple(check_record(policy, record.facts, calendar))
            decision = None
            if decision_facts & set(record.facts):
                decision = explain(policy, decide(policy, record.facts))
        except FactError as error:
            # What a record's values cannot compute (3650 days against 10 years, 9999-12-31
            # plus a year) is that record's bad input, named by its id.
            raise RecordError(f"record {cut(record.id)}: {error}") from None
        results.append(RecordResult(record, checks, decision))
    return Run(policy, tuple(results))


# ---------------------------------------------------------------- compiler/runtime/report.py


FORMATS = ("text", "json", "junit")

# What a line of the text report must not carry from a record: controls (a newline or an
# escape sequence would forge or hide lines on a terminal), bidi controls, line separators,
# lone surrogates (not encodable).  XML 1.0 cannot carry controls, surrogates, U+FFFE/U+FFFF.
_NOT_IN_TEXT: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029\ud800-\udfff\ufffe\uffff]"
)
_NOT_IN_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` for one line of the text report: what could forge or hide a line, escaped."""
    return _NOT_IN_TEXT.sub(_escape, text)


def _xml(text: str) -> str:
    return _NOT_IN_XML.sub(_escape, text)


def render(run: Run, fmt: str) -> str:
    if fmt == "json":
        text = json.dumps(to_json(run), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        # A lone surrogate (from a "\\ud800" in the input) can only be inside a JSON string,
        # where its escape means the same and can be encoded.
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if fmt == "junit":
        return to_junit(run)
    return to_text(run)


def _summary(run: Run) -> dict[str, object]:
    checkable, exercised = run.checkable_clauses(), run.exercised_clauses()
    return {
        "records": len(run.results),
        "findings": run.findings,
        "checks": run.counts(),
        "clauses_checkable": checkable,
        "clauses_exercised": exercised,
        "clauses_not_exercised": [c for c in checkable if c not in exercised],
    }


def to_json(run: Run) -> dict[str, object]:
    return {
        "policy": run.policy.id,
        "version": dict(run.policy.version),
        "summary": _summary(run),
        "records": [
            {
                "id": result.record.id,
                "findings": len(result.findings),
                "checks": [c.to_json() for c in result.checks if c.status != "skipped"],
                "decision": result.decision,
            }
            for result in run.results
        ],
    }


def to_text(run: Run) -> str:
    lines: list[str] = []
    for result in run.results:
        for check in result.checks:
            if check.status in ("fail", "holds", "undetermined"):
                needs = f" (needs {', '.join(check.needs)})" if check.needs else ""
                lines.append(
                    visible(
                        f"{result.record.id}: {check.status.upper()} {check.rule} "
                        f"[{run.policy.id} {check.clause}]: {check.message}{needs}"
                    )
                )
        if result.decision is not None:
            lines.append(visible(f"{result.record.id}: decision {result.decision['outcome']}"))
    summary = _summary(run)
    checkable = summary["clauses_checkable"]
    exercised = summary["clauses_exercised"]
    assert isinstance(checkable, list) and isinstance(exercised, list)
    counts = ", ".join(f"{k} {v}" for k, v in run.counts().items()) or "none"
    records = len(run.results)
    lines.append(
        f"{run.policy.id}: {records} record(s), {run.findings} finding(s); checks: {counts}"
    )
    lines.append(
        f"clauses exercised by the records: {len(exercised)}/{len(checkable)}"
        + (
            f" (not: {', '.join(c for c in checkable if c not in exercised)})"
            if len(exercised) < len(checkable)
            else ""
        )
    )
    version = ", ".join(f"{k} {v[:12]}" for k, v in sorted(run.policy.version.items()))
    lines.append(f"policy version: {version}")
    return "\n".join(lines) + "\n"


def to_junit(run: Run) -> str:
    suite = ET.Element("testsuite", name=f"policyc.{run.policy.id}")
    tests = failures = skipped = 0
    for result in run.results:
        for check in result.checks:
            if check.status == "skipped":
                continue
            tests += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_xml(f"{run.policy.id}.{result.record.id}"),
                name=_xml(f"{check.rule} {check.clause}"),
            )
            if check.finding:
                failures += 1
                failure = ET.SubElement(
                    case, "failure", message=_xml(check.message), type=check.status
                )
                failure.text = _xml(f"{check.clause}: {check.quote}")
            elif check.status == "undetermined":
                skipped += 1
                ET.SubElement(
                    case,
                    "skipped",
                    message=_xml(f"{check.message}; needs {', '.join(check.needs)}"),
                )
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    # The audit trail: which version of the policy and of its official text was applied.
    properties = ET.Element("properties")
    for key, value in sorted(run.policy.version.items()):
        ET.SubElement(properties, "property", name=key, value=value)
    suite.insert(0, properties)
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )


# ---------------------------------------------------------------- compiler/runtime/cli.py


def run_validate(
    policy: PolicyInfo, paths: Sequence[str], fmt: str, calendar: WorkdayCalendar
) -> tuple[str, int]:
    """The old `run_validate`; bad input raises RecordError or CalendarNotCovered."""
    records: list[Record] = []
    for path in paths:
        records.extend(read_records(Path(path), policy.facts))
    run = validate(policy, records, calendar)
    return render(run, fmt), 1 if run.findings else 0
