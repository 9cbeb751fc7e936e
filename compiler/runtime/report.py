"""Reports of a validation run: text for people, JSON for tools, JUnit XML for CI.

Each report is written in three parts so that a run can stream: `record` gives the text of
one record as soon as it is checked, `head` and `tail` what comes before and after the
records once all are known (the JUnit root element carries the counts).  The text is the same,
byte for byte, as rendering the whole run at once with `json.dumps` and ElementTree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json.encoder import encode_basestring as _string  # json's own (C) string escaping
from typing import Final, Protocol

from .errors import PolicycError
from .policy import PolicyInfo
from .validation import RecordResult, Tally

FORMATS = ("text", "json", "junit")

# What a line of the text report must not carry from a record: controls (a newline or an
# escape sequence would forge or hide lines on a terminal), bidi controls, line separators,
# lone surrogates (not encodable).  XML 1.0 cannot carry controls, surrogates, U+FFFE/U+FFFF.
_HIDING: Final = (  # all but the newline, which `visible_lines` keeps between lines
    "\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029\ud800-\udfff\ufffe\uffff"
)
_NOT_IN_TEXT: Final = re.compile(f"[\n{_HIDING}]")
_NOT_IN_LINES: Final = re.compile(f"[{_HIDING}]")
_NOT_IN_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` for one line of the text report: what could forge or hide a line, escaped."""
    return _NOT_IN_TEXT.sub(_escape, text)


def visible_lines(text: str) -> str:
    """`text`, lines joined by newlines, each line as `visible` gives it."""
    return _NOT_IN_LINES.sub(_escape, text)


def shown_as_is(text: str) -> bool:
    """Whether `visible_lines` leaves `text` as it is."""
    return _NOT_IN_LINES.search(text) is None


def _xml(text: str) -> str:
    return _NOT_IN_XML.sub(_escape, text)


class Report(Protocol):
    """One format of the report: the whole text is head + every record's text + tail."""

    def record(self, result: RecordResult) -> str:
        """The text of one record, in the records' order."""
        ...

    def head(self, tally: Tally) -> str:
        """What comes before the records, once every record has been given."""
        ...

    def tail(self, tally: Tally) -> str:
        """What comes after the records."""
        ...


def report(policy: PolicyInfo, fmt: str) -> Report:
    if fmt == "json":
        return JsonReport(policy)
    if fmt == "junit":
        return JunitReport(policy)
    if fmt == "text":
        return TextReport(policy)
    raise ValueError(f"no report format '{fmt}'; formats: {', '.join(FORMATS)}")


def _summary(tally: Tally) -> dict[str, object]:
    checkable, exercised = tally.checkable_clauses(), tally.exercised_clauses()
    return {
        "records": tally.records,
        "findings": tally.findings,
        "checks": tally.counts(),
        "clauses_checkable": checkable,
        "clauses_exercised": exercised,
        "clauses_not_exercised": [c for c in checkable if c not in exercised],
    }


def _dumps(value: object, depth: int) -> str:
    """`value` as `json.dumps(ensure_ascii=False, indent=2, sort_keys=True)` writes it `depth`
    levels down in a document.  A lone surrogate (from a "\\ud800" in the input) can only be
    inside a JSON string, where its escape means the same and can be encoded."""
    try:
        text = _layout(value, "  " * depth)
    except _Unusual:  # what the fast layout does not know: json's own, then indented
        text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
        text = text.replace("\n", "\n" + "  " * depth)  # a JSON string holds no raw newline
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class _Unusual(PolicycError):
    """Internal: a value `_layout` leaves to json.dumps (a key that is not a string, a float,
    …); caught in `_dumps`."""


def _layout(value: object, pad: str) -> str:
    """The same text as json.dumps(indent=2, sort_keys=True, ensure_ascii=False) for the
    strings, integers, booleans, None, lists and string-keyed dicts of a report, at a fifth of
    its time: with an indent, json.dumps runs its pure-Python encoder."""
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    inner = pad + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        if not all(type(key) is str for key in value):
            raise _Unusual
        items = sorted(value.items())
        return (
            "{\n"
            + ",\n".join(f"{inner}{_string(k)}: {_layout(v, inner)}" for k, v in items)
            + f"\n{pad}}}"
        )
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + _layout(v, inner) for v in value) + f"\n{pad}]"
    raise _Unusual


class JsonReport:
    """{"policy", "records", "summary", "version"}: the keys sorted, so the records come before
    the summary and each is written when checked."""

    def __init__(self, policy: PolicyInfo) -> None:
        self.policy = policy
        self.first = True

    def record(self, result: RecordResult) -> str:
        entry = {
            "id": result.record.id,
            "findings": len(result.findings),
            "checks": [c.to_json() for c in result.checks if c.status != "skipped"],
            "decision": result.decision,
        }
        separator = "\n    " if self.first else ",\n    "
        self.first = False
        return separator + _dumps(entry, 2)

    def head(self, tally: Tally) -> str:
        return '{\n  "policy": ' + _dumps(self.policy.id, 1) + ',\n  "records": ['

    def tail(self, tally: Tally) -> str:
        close = "]" if tally.records == 0 else "\n  ]"
        return (
            f'{close},\n  "summary": {_dumps(_summary(tally), 1)},'
            f'\n  "version": {_dumps(dict(self.policy.version), 1)}\n}}\n'
        )


class TextReport:
    """One line per check that failed, holds or is undetermined, one per decision, then the
    summary."""

    def __init__(self, policy: PolicyInfo) -> None:
        self.policy = policy

    def record(self, result: RecordResult) -> str:
        lines: list[str] = []
        for check in result.checks:
            if check.status in ("fail", "holds", "undetermined"):
                needs = f" (needs {', '.join(check.needs)})" if check.needs else ""
                lines.append(
                    visible(
                        f"{result.record.id}: {check.status.upper()} {check.rule} "
                        f"[{self.policy.id} {check.clause}]: {check.message}{needs}"
                    )
                    + "\n"
                )
        if result.decision is not None:
            lines.append(
                visible(f"{result.record.id}: decision {result.decision['outcome']}") + "\n"
            )
        return "".join(lines)

    def head(self, tally: Tally) -> str:
        return ""

    def tail(self, tally: Tally) -> str:
        checkable, exercised = tally.checkable_clauses(), tally.exercised_clauses()
        counts = ", ".join(f"{k} {v}" for k, v in tally.counts().items()) or "none"
        lines = [
            f"{self.policy.id}: {tally.records} record(s), {tally.findings} finding(s); "
            f"checks: {counts}",
            f"clauses exercised by the records: {len(exercised)}/{len(checkable)}"
            + (
                f" (not: {', '.join(c for c in checkable if c not in exercised)})"
                if len(exercised) < len(checkable)
                else ""
            ),
            "policy version: "
            + ", ".join(f"{k} {v[:12]}" for k, v in sorted(self.policy.version.items())),
        ]
        return "".join(line + "\n" for line in lines)


class JunitReport:
    """A <testsuite> of one <testcase> per check that was not skipped; its counts go in the
    root element, written last (`head`).  The text is ElementTree's: its own escaping, and the
    layout of ET.indent, written directly (building elements costs a third of a record)."""

    def __init__(self, policy: PolicyInfo) -> None:
        import xml.etree.ElementTree as ET  # only for this format: the others do not pay for it

        # ElementTree's escaping, the very functions ET.tostring applies.
        self.attribute: Callable[[str], str] = ET._escape_attrib  # type: ignore[attr-defined]
        self.text: Callable[[str], str] = ET._escape_cdata  # type: ignore[attr-defined]
        self.policy = policy
        self.tests = self.failures = self.skipped = 0

    def record(self, result: RecordResult) -> str:
        attribute, text = self.attribute, self.text
        parts: list[str] = []
        classname = None
        for check in result.checks:
            if check.status == "skipped":
                continue
            self.tests += 1
            if classname is None:
                classname = attribute(_xml(f"{self.policy.id}.{result.record.id}"))
            case = (
                f'\n  <testcase classname="{classname}" '
                f'name="{attribute(_xml(f"{check.rule} {check.clause}"))}"'
            )
            if check.finding:
                self.failures += 1
                message = attribute(_xml(check.message))
                body = text(_xml(f"{check.clause}: {check.quote}"))
                parts.append(
                    f'{case}>\n    <failure message="{message}" type="{attribute(check.status)}">'
                    f"{body}</failure>\n  </testcase>"
                )
            elif check.status == "undetermined":
                self.skipped += 1
                message = attribute(_xml(f"{check.message}; needs {', '.join(check.needs)}"))
                parts.append(f'{case}>\n    <skipped message="{message}" />\n  </testcase>')
            else:
                parts.append(f"{case} />")
        return "".join(parts)

    def head(self, tally: Tally) -> str:
        import xml.etree.ElementTree as ET

        suite = ET.Element("testsuite", name=f"policyc.{self.policy.id}")
        suite.set("tests", str(self.tests))
        suite.set("failures", str(self.failures))
        suite.set("skipped", str(self.skipped))
        suite.set("errors", "0")
        # The audit trail: which version of the policy and of its official text was applied.
        properties = ET.SubElement(suite, "properties")
        for key, value in sorted(self.policy.version.items()):
            ET.SubElement(properties, "property", name=key, value=value)
        ET.indent(suite)
        whole = ET.tostring(suite, encoding="unicode")
        # The suite holds only its properties here; the testcases follow them.
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + whole[: whole.rindex("\n</testsuite>")]

    def tail(self, tally: Tally) -> str:
        return "\n</testsuite>\n"
