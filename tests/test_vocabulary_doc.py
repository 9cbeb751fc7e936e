"""docs/vocabulary.md lists every shared fact that two or more cities read (directly or through
a related fact) and every city fact related to a shared one, so it cannot go stale."""

from __future__ import annotations

from pathlib import Path

from compiler.lower import load_program

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = load_program(ROOT)
DOC = (ROOT / "docs" / "vocabulary.md").read_text(encoding="utf-8")


def _cities_reading(fact: str) -> set[str]:
    names = {fact} | {f for f, i in PROGRAM.facts.items() if i.related and i.related.shared == fact}
    return {pid for pid, policy in PROGRAM.policies.items() if names & set(policy.inputs)}


def test_every_shared_fact_of_two_cities_is_in_the_doc() -> None:
    shared = [f for c in PROGRAM.concepts.values() for f in c.facts]
    missing = [f for f in shared if len(_cities_reading(f)) >= 2 and f"`{f}`" not in DOC]
    assert missing == []


def test_every_related_fact_is_in_the_doc_with_its_relation() -> None:
    for name, fact in PROGRAM.facts.items():
        if fact.related is not None:
            row = f"| `{name}` |"
            assert row in DOC, name
            line = next(x for x in DOC.splitlines() if x.startswith(row))
            assert f"| {fact.related.relation} | `{fact.related.shared}` |" in line, name
