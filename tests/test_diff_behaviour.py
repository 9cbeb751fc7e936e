"""The behaviour part of `policyc diff` (compiler/diff/behaviour.py) on versions of 台儿庄 made
for the tests (tests/data/diff_behaviour/, NOT real policy): a renaming, a reworded quote, a
changed limit, a removed exclusion, a moved boundary; and, edited here, a reordered condition
(equivalent on every case) and an equivalent rewrite of a number (undecided).

Each version is loaded as a project of its own (the shared vocabulary and the one policy);
every witness is run again on both versions, by the reference interpreter and by the
generated validator module of each version (compiled conditions), and must give the results
the part reports."""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from compiler.backends.python import module_source
from compiler.diff import behaviour
from compiler.diff.part import Part, Version
from compiler.interpret import coerce_facts, decide, info
from compiler.lower import load_program
from compiler.runtime.checks import check_record
from compiler.runtime.timelimits import load_calendar
from compiler.sources import Clause

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "diff_behaviour"
REAL_POLICY = (ROOT / "policies" / "taierzhuang.policy").read_text(encoding="utf-8")
REAL_TEXT = (ROOT / "policies" / "sources" / "taierzhuang.txt").read_bytes()
CALENDAR = load_calendar()
VARIANTS = ("renamed", "reworded", "limit", "no_exclusion", "boundary")

# Edits made here, to the real policy, on top of the data files.
EDITS: dict[str, tuple[tuple[str, str], ...]] = {
    # `a or b` written `b or a`: the structure differs, the meaning does not; 8 yes/no facts.
    "reordered": (
        (
            "when taierzhuang_concealed_household or taierzhuang_concealed_changes",
            "when taierzhuang_concealed_changes or taierzhuang_concealed_household",
        ),
    ),
    # x >= 1 written x + 1 >= 2: equivalent, but a number cannot be enumerated, and no case
    # tells them apart: the part must say it could not decide.
    "rewritten_number": (
        (
            "require taierzhuang_village_assistants >= 1",
            "require taierzhuang_village_assistants + 1 >= 2",
        ),
    ),
    # 急难型 先行救助 24 hours became 48: due moments from 2024-09-27T09:00.
    "hours": (
        (
            "within 24 hours from emergency_found_date",
            "within 48 hours from emergency_found_date",
        ),
    ),
    # A fact only the new version has: the old version's record must leave it out.
    "new_fact": (
        (
            "require taierzhuang_village_assistants >= 1",
            "require taierzhuang_village_assistants >= 1 or taierzhuang_assistants_waived",
        ),
        (
            "fact taierzhuang_village_workstation:",
            'fact taierzhuang_assistants_waived: bool "（测试用）免予配备协理员"\n'
            "fact taierzhuang_village_workstation:",
        ),
    ),
}


def _project(tmp: Path, policy: str, text: bytes) -> Version:
    (tmp / "policies" / "sources").mkdir(parents=True)
    for name in ("vocabulary.policy", "concepts.policy"):
        shutil.copy(ROOT / "policies" / name, tmp / "policies" / name)
    (tmp / "policies" / "taierzhuang.policy").write_text(policy, encoding="utf-8")
    (tmp / "policies" / "sources" / "taierzhuang.txt").write_bytes(text)
    program = load_program(tmp)
    return Version(str(tmp), program, program.policies["taierzhuang"])


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Version]:
    found = {"real": _project(tmp_path_factory.mktemp("real"), REAL_POLICY, REAL_TEXT)}
    for variant in VARIANTS:
        policy = (DATA / variant / "taierzhuang.policy").read_text(encoding="utf-8")
        text = (DATA / variant / "sources" / "taierzhuang.txt").read_bytes()
        found[variant] = _project(tmp_path_factory.mktemp(variant), policy, text)
    for name, edits in EDITS.items():
        edited = REAL_POLICY
        for old, new in edits:
            assert edited.count(old) == 1, old
            edited = edited.replace(old, new)
        found[name] = _project(tmp_path_factory.mktemp(name), edited, REAL_TEXT)
    return found


@pytest.fixture(scope="module")
def parts(versions: dict[str, Version]) -> dict[str, Part]:
    real = versions["real"]
    return {name: behaviour.part(real, v) for name, v in versions.items() if name != "real"}


def _cite(policy_id: str, clause: Clause) -> str:
    return f"[{clause.citation}](../documents/{policy_id}.md)"


# ---------------------------------------------------------------- verdicts


@pytest.mark.parametrize("name", ["renamed", "reworded"])
def test_renaming_and_rewording_are_equivalent_by_structure(
    parts: dict[str, Part], name: str
) -> None:
    part = parts[name]
    assert part.json["verdict"] == "equivalent"
    assert part.json["method"] == "structural"
    assert not part.changed and not part.changes_meaning
    assert part.json["witnesses"] == [] and part.json["components"] == []


def test_a_renamed_rule_keeps_its_counterpart(versions: dict[str, Version]) -> None:
    # The correspondence pairs the renamed exclusion with the old one (by meaning), so the
    # precedence it names and the decisions it makes compare equal.
    pairs = behaviour._correspond(versions["real"].policy, versions["renamed"].policy)
    named = {(o.name if o else None, w.name if w else None) for o, w in pairs}
    assert ("not_tolerable", "intolerable") in named
    assert ("data_sharing_deficient", "sharing_deficient") in named
    assert ("village_assistants", "assistants_per_village") in named
    assert all(o is not None and w is not None for o, w in pairs)


def test_a_reordered_condition_is_equivalent_on_every_case(parts: dict[str, Part]) -> None:
    part = parts["reordered"]
    assert part.json["verdict"] == "equivalent"
    assert part.json["method"] == "exhaustive"
    assert part.changed and not part.changes_meaning
    [component] = part.json["components"]  # type: ignore[misc]
    assert component["method"] == "exhaustive"
    assert component["cases"] == 3**8 and len(component["facts"]) == 8
    assert "6561" in part.text[0]


def test_an_equivalent_rewrite_of_a_number_is_undecided_never_equivalent(
    parts: dict[str, Part],
) -> None:
    part = parts["rewritten_number"]
    assert part.json["verdict"] == "undecided"
    assert part.changed and not part.changes_meaning
    [component] = part.json["components"]  # type: ignore[misc]
    assert component["result"] == "undecided" and component["method"] == "search"
    assert "未能在限度内判定" in part.text[0]


def test_a_changed_limit_gives_its_due_dates_before_and_after(parts: dict[str, Part]) -> None:
    part = parts["limit"]
    assert part.changes_meaning and part.json["verdict"] == "different"
    [due] = part.json["due_dates"]  # type: ignore[misc]
    assert due["changed"] == ["amount"] and due["differs"]
    # From Friday 2024-09-27: 8 working days end on 10-14, 10 on 10-16 (国庆 not counted,
    # 10-12 an adjusted working Saturday).
    assert (due["old"]["count"], due["old"]["due"]) == (8, "2024-10-14")
    assert (due["new"]["count"], due["new"]["due"]) == (10, "2024-10-16")
    [witness] = part.json["witnesses"]  # type: ignore[misc]
    assert (witness["old"]["result"], witness["new"]["result"]) == ("fail", "pass")
    assert witness["facts"]["taierzhuang_checked_date"] == "2024-10-16"


def test_a_limit_in_hours_is_counted_from_a_moment(parts: dict[str, Part]) -> None:
    part = parts["hours"]
    assert part.changes_meaning
    [due] = part.json["due_dates"]  # type: ignore[misc]
    assert due["start"] == "2024-09-27T09:00:00"
    assert (due["old"]["due"], due["new"]["due"]) == ("2024-09-28T09:00", "2024-09-29T09:00")
    [witness] = part.json["witnesses"]  # type: ignore[misc]
    assert (witness["old"]["result"], witness["new"]["result"]) == ("fail", "pass")


def test_a_fact_new_in_one_version_is_left_out_of_the_other_versions_record(
    parts: dict[str, Part],
) -> None:
    part = parts["new_fact"]
    assert part.changes_meaning
    witnesses: Any = part.json["witnesses"]
    [waived] = [w for w in witnesses if "taierzhuang_assistants_waived" in w["facts"]]
    assert waived["facts"] == {"taierzhuang_assistants_waived": True}
    assert waived["old"]["unread"] == ["taierzhuang_assistants_waived"]
    assert waived["new"]["unread"] == []
    # The old version's record has none of the rule's facts: its check is skipped.
    assert (waived["old"]["result"], waived["new"]["result"]) == ("skipped", "pass")
    assert "修改前的版本不读此事实" in "\n".join(part.text)


def test_a_removed_exclusion_relieves_a_case_it_excluded(parts: dict[str, Part]) -> None:
    part = parts["no_exclusion"]
    assert part.changes_meaning
    witnesses: Any = part.json["witnesses"]
    relieved = [w for w in witnesses if w["new"]["result"] == "applies"]
    first = relieved[0]
    assert first["old"]["result"] == "excluded"
    assert [r["rule"] for r in first["old"]["decided_by"]] == ["not_tolerable"]
    assert first["facts"]["taierzhuang_should_tolerate"] is False
    # Settled outcomes that grant or take away relief come first.
    assert witnesses[0] is first


def test_a_boundary_moved_from_ge_to_gt_has_a_witness_at_the_boundary(
    parts: dict[str, Part],
) -> None:
    part = parts["boundary"]
    assert part.changes_meaning
    [witness] = part.json["witnesses"]  # type: ignore[misc]
    assert witness["facts"] == {"taierzhuang_village_assistants": 1}
    assert (witness["old"]["result"], witness["new"]["result"]) == ("pass", "fail")


# ---------------------------------------------------------------- witnesses, run again


@pytest.fixture(scope="module")
def generated(
    versions: dict[str, Version], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], ModuleType]]:
    """The generated validator module of a version, written and imported on demand, each as a
    package of its own (the module imports the runtime relatively)."""
    base = tmp_path_factory.mktemp("generated")
    runtime = ROOT / "compiler" / "runtime"
    sys.path.insert(0, str(base))
    loaded: dict[str, ModuleType] = {}

    def module(name: str) -> ModuleType:
        if name not in loaded:
            version = versions[name]
            package = base / f"diff_behaviour_{name}"
            shutil.copytree(runtime, package / "runtime", ignore=shutil.ignore_patterns("__py*"))
            (package / "__init__.py").write_text("")
            source = module_source(version.program, version.policy)
            (package / "taierzhuang.py").write_text(source, encoding="utf-8")
            loaded[name] = importlib.import_module(f"diff_behaviour_{name}.taierzhuang")
        return loaded[name]

    try:
        yield module
    finally:
        sys.path.remove(str(base))
        for key in [m for m in sys.modules if m.startswith("diff_behaviour_")]:
            del sys.modules[key]


def _interpreted(version: Version, component: str, name: str, facts: dict[str, Any]) -> Any:
    typed = coerce_facts(version.program, facts)
    if component == "decision":
        decision = decide(version.program, version.policy, typed)
        return str(decision.outcome), [s.rule.name for s in decision.decisive]
    results = check_record(info(version.program, version.policy), typed, CALENDAR)
    return next((r.status for r in results if r.rule == name), "absent")


def _compiled(module: ModuleType, component: str, name: str, facts: dict[str, Any]) -> Any:
    if component == "decision":
        report = module.decide(facts)
        return report["outcome"], [r["rule"] for r in report["decided_by"]]
    results = module.check_record(facts, CALENDAR)
    return next((r.status for r in results if r.rule == name), "absent")


@pytest.mark.parametrize("name", ["limit", "no_exclusion", "boundary", "hours", "new_fact"])
def test_every_witness_holds_in_the_interpreter_and_the_generated_validators(
    parts: dict[str, Part],
    versions: dict[str, Version],
    generated: Callable[[str], ModuleType],
    name: str,
) -> None:
    witnesses: Any = parts[name].json["witnesses"]
    assert witnesses
    for witness in witnesses:
        for side, version_name in (("old", "real"), ("new", name)):
            reported = witness[side]
            # As a file would give them, without the facts this version does not read.
            facts = {
                k: v
                for k, v in json.loads(json.dumps(witness["facts"])).items()
                if k not in reported["unread"]
            }
            component = witness["component"]
            # A check's rule is its own in each version (a renamed one keeps its counterpart).
            rule = reported["decided_by"][0]["rule"] if reported["decided_by"] else ""
            if component == "decision":
                expected: Any = (reported["result"], [r["rule"] for r in reported["decided_by"]])
            else:
                expected = reported["result"]
            version = versions[version_name]
            assert _interpreted(version, component, rule, facts) == expected, (witness, side)
            module = generated(version_name)
            assert _compiled(module, component, rule, facts) == expected, (witness, side)


# ---------------------------------------------------------------- outputs


SNAPSHOTS = ("limit", "no_exclusion", "boundary", "renamed", "reordered", "hours")


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_outputs_snapshot(
    parts: dict[str, Part], name: str, text_snapshot: SnapshotAssertion
) -> None:
    part = parts[name]
    document = "\n".join(
        [
            "# JSON",
            json.dumps(part.json, ensure_ascii=False, indent=2, sort_keys=True),
            "# text",
            *part.text,
            "# Markdown",
            *part.markdown(_cite),
        ]
    )
    assert document + "\n" == text_snapshot


def test_outputs_are_deterministic(versions: dict[str, Version]) -> None:
    real, new = versions["real"], versions["limit"]
    first, second = behaviour.part(real, new), behaviour.part(real, new)
    assert json.dumps(first.json, sort_keys=True) == json.dumps(second.json, sort_keys=True)
    assert first.text == second.text and first.markdown(_cite) == second.markdown(_cite)


def test_policy_values_are_escaped_in_markdown(parts: dict[str, Part]) -> None:
    # Labels and quotes pass through the site's `text` filter: a Markdown character in a
    # label (here the quote marks and parentheses of 台儿庄's labels) comes out inert.
    markdown = "\n".join(parts["no_exclusion"].markdown(_cite))
    assert "（“等原因”）" in markdown or "&#" in markdown
    assert "taierzhuang&#95;should&#95;tolerate" in markdown
