"""Reports of a validation run: text for people, JSON for tools, JUnit XML for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from .validation import Run

FORMATS = ("text", "json", "junit")


def render(run: Run, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_json(run), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
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
                    f"{result.record.id}: {check.status.upper()} {check.rule} "
                    f"[{run.policy.id} {check.clause}]: {check.message}{needs}"
                )
        if result.decision is not None:
            lines.append(f"{result.record.id}: decision {result.decision['outcome']}")
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
                classname=f"{run.policy.id}.{result.record.id}",
                name=f"{check.rule} {check.clause}",
            )
            if check.finding:
                failures += 1
                failure = ET.SubElement(case, "failure", message=check.message, type=check.status)
                failure.text = f"{check.clause}: {check.quote}"
            elif check.status == "undetermined":
                skipped += 1
                ET.SubElement(
                    case, "skipped", message=f"{check.message}; needs {', '.join(check.needs)}"
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
