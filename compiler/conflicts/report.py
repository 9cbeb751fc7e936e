"""The conflict report: sections in order, rendered as terminal text, Markdown and JSON, and
their witnesses written out as policy tests (`policyc conflicts --emit-tests DIR`).

The report knows nothing of what a section found: each section brings its own renderings
(`compiler.conflicts.section`).  It adds the headings, the order, the JSON envelope (docs/
conflicts.md documents it: sorted keys, a `version`), and the test files.
"""

from __future__ import annotations

import dataclasses
import errno
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from compiler import ir
from compiler.comparison import EXAMPLE_START
from compiler.conflicts import decisions, internal, quantities
from compiler.conflicts.section import Cite, Section, Witness
from compiler.exprtext import string_text
from compiler.jsontext import indented
from compiler.progress import Steps, quiet
from compiler.skeleton import write_atomically
from compiler.sources import Clause

# Raised when the JSON's shape changes in a way a reader must know of.
VERSION = 2  # 2: a case's kind may be `unsettled`

TITLE = "冲突报告：各地规定的分歧"


def restrict(program: ir.Program, ids: Iterable[str] | None) -> ir.Program:
    """The program with only the given policies (all when None); KeyError names an unknown id."""
    if ids is None:
        return program
    wanted = list(dict.fromkeys(ids))
    unknown = [i for i in wanted if i not in program.policies]
    if unknown:
        raise KeyError(", ".join(unknown))
    if not wanted:
        return program
    kept = {i: program.policies[i] for i in sorted(wanted)}
    return dataclasses.replace(program, policies=kept)


# The sections that grow with the square of the jurisdictions (pairs of decisions and their
# cases, time limits compared two by two), left out by `sections(pairwise=False)`; the
# decisions section then gives the number of comparable pairs, not the list.
PAIRWISE = ("pairs", "boundaries")


def sections(
    program: ir.Program,
    start: date = EXAMPLE_START,
    steps: Steps = quiet,
    against: Collection[str] = (),
    *,
    found: decisions.Found | None = None,
    pairwise: bool = True,
) -> tuple[Section, ...]:
    """Every section of the report on `program`, in order: the decisions' first, then the
    quantities and boundaries (due dates counted from `start`), then the conflicts within one
    document; everything below takes any list of sections.  `steps` hears of the one long
    step, the search for cases pair by pair (`decisions.cases`).  With `against`, the decisions
    are compared only in pairs with one of those policies on a side (`decisions.compared`);
    the other sections, which grow with the jurisdictions and not with their pairs, are whole.
    `found`: the cases, searched already (`decisions.cases`).  Without `pairwise`, the
    sections that grow with the square of the jurisdictions (PAIRWISE) are left out, and
    nothing is searched: the site's report of a province (compiler/backends/site/
    conflicts.py)."""
    return (
        *decisions.sections(program, steps, against, found=found, pairwise=pairwise),
        *quantities.sections(program, start, pairwise=pairwise),
        internal.section(program),
    )


def to_json(program: ir.Program, parts: Sequence[Section], against: Collection[str] = ()) -> str:
    return json_bytes(program, parts, against).decode()


def json_bytes(
    program: ir.Program, parts: Sequence[Section], against: Collection[str] = ()
) -> bytes:
    """The report's JSON as UTF-8, made by orjson where it is installed (`jsontext.indented`:
    the same bytes as json's): at a hundred jurisdictions it is 150 MB, which json's indenting
    encoder wrote in Python, as a str of twice that."""
    # `against` only when given: the whole report's JSON is as it was before the option.
    ids = {s.id for s in parts}
    # The sections left out (`sections(pairwise=False)`), only when some are: the whole
    # report's JSON is as it was.
    omitted = [i for i in PAIRWISE if i not in ids]
    data: Mapping[str, object] = {
        **({"against": sorted(against)} if against else {}),
        **({"omitted": omitted} if omitted else {}),
        "version": VERSION,
        "policies": sorted(program.policies),
        "sections": [
            {"id": s.id, "title": s.title, **s.json, "witnesses": len(s.witnesses)} for s in parts
        ],
    }
    return indented(data)


def plain_cite(policy_id: str, clause: Clause) -> str:
    """A citation as text (`policyc conflicts --markdown`): the document's numbering (the
    city is always named beside it)."""
    return clause.citation


def to_markdown(parts: Sequence[Section], cite: Cite, *, title: bool = True) -> str:
    lines: list[str] = [f"# {TITLE}", ""] if title else []
    for section in parts:
        lines += [f"## {section.title}", "", *section.markdown(cite), ""]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def to_text(parts: Sequence[Section]) -> str:
    lines = [TITLE, ""]
    for section in parts:
        lines += [f"== {section.title} ==", *section.text, ""]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- witnesses as policy tests

HEADER = (
    "# Written by `policyc conflicts --emit-tests`: the witness cases of the conflict report\n"
    "# (docs/conflicts.md).  Every expectation was computed by running the rules on the case,\n"
    "# not written by hand; `policyc test` keeps the difference checked.\n"
)


def _case_lines(witness: Witness) -> list[str]:
    lines = [f"    case {witness.name} {string_text(witness.title)} {{"]
    if witness.givens:
        bindings = [f"{g.fact} = {g.literal}" for g in witness.givens]
        lines.append("        given " + ",\n              ".join(bindings))
    if witness.expect is not None:
        lines.append(f"        expect {witness.expect}")
        if witness.cites:
            lines.append(f"        cites {', '.join(witness.cites)}")
    lines += [f"        check {rule} is {status}" for rule, status in witness.checks]
    lines.append("    }")
    return lines


def test_files(parts: Sequence[Section]) -> dict[str, str]:
    """File name -> text: one file per policy (`<id>.policy`), its witnesses in report order."""
    by_policy: dict[str, list[Witness]] = {}
    for section in parts:
        for witness in section.witnesses:
            by_policy.setdefault(witness.policy, []).append(witness)
    files = {}
    for policy_id in sorted(by_policy):
        lines = [HEADER, f"tests {policy_id} {{"]
        seen: set[str] = set()
        for witness in by_policy[policy_id]:
            if witness.name in seen:  # the same case found twice is one test
                continue
            seen.add(witness.name)
            lines += _case_lines(witness)
        lines.append("}")
        files[f"{policy_id}.policy"] = "\n".join(lines) + "\n"
    return files


def _ours(path: Path) -> bool:
    """Whether `path` is a file an `--emit-tests` wrote: a regular file starting with HEADER."""
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as stream:
        first = stream.readline().decode("utf-8", "replace").rstrip("\r\n")
    return first == HEADER.splitlines()[0]


def refuse_foreign(out: Path, policy_ids: Iterable[str]) -> None:
    """Raise FileExistsError if writing the tests of `policy_ids` into `out` would replace a
    file this command did not write: `--emit-tests policies` must never overwrite a policy
    file (they share the `<id>.policy` names).  A file is ours when it starts with HEADER."""
    for policy_id in sorted(policy_ids):
        path = out / f"{policy_id}.policy"
        if not path.exists() and not path.is_symlink():
            continue
        if not _ours(path):
            raise FileExistsError(
                errno.EEXIST,
                f"{path} exists and was not written by --emit-tests (it would be replaced); "
                "choose an empty folder",
            )


@dataclass(frozen=True)
class Emitted:
    written: tuple[Path, ...]
    removed: tuple[Path, ...]  # an earlier --emit-tests wrote them; this report has none


def emit_tests(parts: Sequence[Section], out: Path) -> Emitted:
    """Write the policy tests into `out` (created), each file atomically, replacing only files
    an earlier `--emit-tests` wrote (`refuse_foreign`, checked before anything is written).
    The files an earlier `--emit-tests` wrote for a policy this report has no witness of are
    removed: `out` then holds this report's tests, not a mix of two reports (after a report of
    every city, one `--against` a city left the others' cases of the whole report)."""
    files = test_files(parts)
    refuse_foreign(out, (name.removesuffix(".policy") for name in files))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = out / name
        write_atomically(path, text.encode("utf-8"))
        written.append(path)
    removed = []
    for path in sorted(out.glob("*.policy")):
        if path.name not in files and _ours(path):
            path.unlink()
            removed.append(path)
    return Emitted(tuple(written), tuple(removed))
