"""`policyc new SOURCE`: a skeleton policy file written from an official text.

Adding a document starts from its structure, not from a blank file: every clause the
segmenter finds is listed in document order as `pending at CITATION "its own text"`, which
`policyc check` verifies like any quote and `policyc coverage` counts as uncovered.  The
transcriber replaces each `pending` with the clause's rules (or an `informative` mark).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from compiler.atomic import write_whole
from compiler.errors import PolicycError
from compiler.ids import POLICY_ID, reserved_because
from compiler.sources import Clause, SourceDocument, SourceError, load_source

_INDENT = "    "


class SkeletonError(PolicycError):
    """The skeleton cannot be written (bad id, a file in the way, an unreadable text)."""


@dataclass(frozen=True)
class Skeleton:
    policy_id: str
    source: Path  # the official text inside policies/sources/
    policy_file: Path
    text: str
    clauses: int


def policy_id_for(source: Path, wanted: str | None) -> str:
    policy_id = wanted if wanted is not None else source.stem
    if not POLICY_ID.fullmatch(policy_id):
        raise SkeletonError(
            f"'{policy_id}' cannot be a policy id: ids are ASCII snake_case "
            "(they become Python names and URLs); choose one with --id, e.g. --id yuquan"
        )
    reserved = reserved_because(policy_id)
    if reserved is not None:
        # --force does not reach here: it overwrites a policy, never the project's own files.
        raise SkeletonError(
            f"'{policy_id}' cannot be a policy id: it is {reserved}; choose another with --id"
        )
    return policy_id


def quote_literal(text: str) -> str:
    """`text` as a policy-language string: only `"` and `\\` need escaping."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(policy_id: str, document: SourceDocument, source_name: str) -> str:
    """The skeleton's text: a header to complete, then every clause as `pending`."""
    lines = [
        f"# Skeleton written by `policyc new` from policies/sources/{source_name}.",
        "# Replace each `pending` with the clause's rules, or mark it `informative at … REASON`;",
        "# `policyc coverage` counts pending clauses as not yet covered.",
        "",
        f"policy {policy_id} {{",
        f"{_INDENT}title {quote_literal(_title(document))}",
        f'{_INDENT}source "sources/{source_name}" sha256 "{document.sha256}"',
        f'{_INDENT}# jurisdiction "…" district     # province | city | district | county',
        f'{_INDENT}# issuer "…"',
        f'{_INDENT}# number "…"',
        f"{_INDENT}# issued YYYY-MM-DD",
        f"{_INDENT}# status in_force",
        f"{_INDENT}# effective on_issue",
        f'{_INDENT}# decision NAME "…"               # once it has gates, situations, exclusions',
        "}",
    ]
    for clause in document.clauses():
        lines.append("")
        lines.extend(_pending(clause))
    return "\n".join(lines) + "\n"


def _title(document: SourceDocument) -> str:
    first = next((line.strip() for line in document.text.splitlines() if line.strip()), "")
    return first or "（无标题）"


def _pending(clause: Clause) -> list[str]:
    own = [line.strip() for line in clause.own_text.splitlines() if line.strip()]
    heading = f"  # {clause.heading}" if clause.heading else ""
    if not own:  # implicit levels have no text of their own
        return [f"pending at {clause.citation}{heading}"]
    head = f"pending at {clause.citation}{heading}"
    return [head, *(f"{_INDENT}{quote_literal(line)}" for line in own)]


def write_skeleton(
    root: Path, source: Path, wanted_id: str | None = None, *, force: bool = False
) -> Skeleton:
    """Copy the official text into policies/sources/ (verbatim) and write policies/<id>.policy."""
    policy_id = policy_id_for(source, wanted_id)
    sources_dir = root / "policies" / "sources"
    target = sources_dir / f"{policy_id}.txt"
    policy_file = root / "policies" / f"{policy_id}.policy"
    if policy_file.exists() and not force:
        raise SkeletonError(f"{policy_file} exists; pass --force to overwrite it")
    try:
        data = source.read_bytes()
    except OSError as error:
        raise SkeletonError(f"cannot read {source}: {error.strerror}") from None
    if target.exists() and target.resolve() != source.resolve() and target.read_bytes() != data:
        raise SkeletonError(
            f"{target} exists with other content; the official text is kept verbatim, "
            "so remove it first or choose another --id"
        )
    sources_dir.mkdir(parents=True, exist_ok=True)
    try:
        document = load_source(source)  # read and segmented before anything is written
    except SourceError as error:
        raise SkeletonError(str(error)) from None
    try:
        if not target.exists():
            write_atomically(target, data)  # the bytes read and segmented above, verbatim
        _record_hash(sources_dir / "SHA256SUMS", target.name, hashlib.sha256(data).hexdigest())
        text = render(policy_id, document, target.name)
        write_atomically(policy_file, text.encode("utf-8"))
    except OSError as error:
        raise SkeletonError(f"cannot write {error.filename or target}: {error.strerror}") from None
    return Skeleton(policy_id, target, policy_file, text, len(list(document.clauses())))


def _record_hash(sums: Path, name: str, digest: str) -> None:
    entries: dict[str, str] = {}
    if sums.exists():
        for line in sums.read_text(encoding="utf-8").splitlines():
            if line.strip():
                hash_, _, file_name = line.partition("  ")
                entries[file_name] = hash_
    entries[name] = digest
    lines = "".join(f"{entries[f]}  {f}\n" for f in sorted(entries))
    write_atomically(sums, lines.encode("utf-8"))


def write_atomically(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all: a full disk or a kill never leaves half a file (a
    truncated official text would then be refused as "other content" on the retry)."""
    write_whole(path, data, prefix=f".{path.name}.", durable=True)
