"""Reports of a validation run: text for people, JSON for tools, JUnit XML for CI."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Final

from .validation import Run

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
