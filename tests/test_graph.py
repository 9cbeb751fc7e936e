"""The rule graph: its shape on the real project, every relation on a small project, the
deterministic node-link JSON, the query helpers and `policyc graph`.

Documents are still being transcribed, so the real-project tests assert structure (every rule
cites one clause, overrides stay inside a policy …), never counts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from compiler import ir
from compiler.check import check
from compiler.cli import main
from compiler.graph import (
    EDGE_TYPES,
    NODE_TYPES,
    build_graph,
    facts_of_policy,
    from_json,
    node_link,
    overriders,
    policy_subgraph,
    rules_reading,
    to_json,
)
from compiler.lower import lower
from compiler.project import load
from compiler.runtime.kinds import Kind

ROOT = Path(__file__).resolve().parent.parent
NINGBO_SHA256 = "cb0eeb5b5fef6fa5e40fb26a267488a9f313231a4d884eed4886e4deda41f394"


def _model(root: Path) -> ir.Program:
    model, diagnostics = check(load(root))
    errors = [d.render() for d in diagnostics if d.severity == "error"]
    assert not errors, "\n\n".join(errors)
    return lower(model, root)


MODEL = _model(ROOT)
GRAPH = build_graph(MODEL)


def nodes_of(graph: Any, type_: str) -> dict[str, dict[str, Any]]:
    return {v: data for v, data in graph.nodes(data=True) if data["type"] == type_}


def edges_of(graph: Any, type_: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [(u, v, data) for u, v, data in graph.edges(data=True) if data["type"] == type_]


# ---------------------------------------------------------------- the real project


def test_node_and_edge_types_are_known_and_present() -> None:
    node_types = {data["type"] for _, data in GRAPH.nodes(data=True)}
    edge_types = {data["type"] for _, _, data in GRAPH.edges(data=True)}
    assert node_types <= set(NODE_TYPES)
    assert edge_types <= set(EDGE_TYPES)
    # What Ningbo and Weihai alone already contain (the real project has no define yet).
    assert node_types >= set(NODE_TYPES) - {"define"}
    assert edge_types >= set(EDGE_TYPES) - {"imposes"}


def test_ids_are_prefixed_by_type_and_keys_name_the_relation() -> None:
    for v, data in GRAPH.nodes(data=True):
        assert v.startswith(data["type"] + ":"), v
    for _, _, key, data in GRAPH.edges(keys=True, data=True):
        assert key == data["type"] or key.startswith(data["type"] + ":")


def test_every_statement_is_one_rule_node_of_its_policy() -> None:
    rules = nodes_of(GRAPH, "rule")
    statements = {(p.id, s.name) for p in MODEL.policies.values() for s in p.rules}
    assert {(d["policy"], d["name"]) for d in rules.values()} == statements
    for rid, data in rules.items():
        assert GRAPH.has_edge(f"policy:{data['policy']}", rid, key="has")


def test_every_rule_cites_exactly_one_existing_clause_of_its_policy() -> None:
    for rid, data in nodes_of(GRAPH, "rule").items():
        cited = [v for _, v, d in GRAPH.out_edges(rid, data=True) if d["type"] == "cites"]
        assert len(cited) == 1, rid
        clause = GRAPH.nodes[cited[0]]
        assert clause["type"] == "clause"
        assert clause["policy"] == data["policy"]


def test_every_clause_of_each_source_is_a_node_linked_to_its_parent() -> None:
    for policy in MODEL.policies.values():
        clauses = list(policy.document.clauses())
        own = {v: d for v, d in nodes_of(GRAPH, "clause").items() if d["policy"] == policy.id}
        assert len(own) == len(clauses)
        nested = sum(1 for c in clauses if len(c.path) > 1)
        child_of = [(u, v) for u, v, _ in edges_of(GRAPH, "child_of") if u in own]
        assert len(child_of) == nested
        assert all(v in own for _, v in child_of)


def test_overrides_go_from_an_exclusion_to_a_situation_of_the_same_policy() -> None:
    edges = edges_of(GRAPH, "overrides")
    assert edges
    for u, v, data in edges:
        source, target = GRAPH.nodes[u], GRAPH.nodes[v]
        assert source["kind"] == "exclusion"
        assert target["kind"] in ("situation", "gate")
        assert source["policy"] == target["policy"]
        assert isinstance(data["all"], bool)


def test_excuses_go_from_a_situation_to_a_liability_of_the_same_policy() -> None:
    edges = edges_of(GRAPH, "excuses")
    # 玉泉 第二十条（五）: force majeure excuses the arrears of 第十八条（七）, not the misuse.
    assert (
        "rule:yuquan/yuquan_force_majeure_funds",
        "rule:yuquan/yuquan_township_payment_arrears",
    ) in {(u, v) for u, v, _ in edges}
    assert not GRAPH.has_edge(
        "rule:yuquan/yuquan_force_majeure_funds", "rule:yuquan/yuquan_township_funds_misuse"
    )
    for u, v, _ in edges:
        source, target = GRAPH.nodes[u], GRAPH.nodes[v]
        assert (source["kind"], target["kind"]) == ("situation", "liability")
        assert source["policy"] == target["policy"]


def test_overrides_all_reaches_every_situation() -> None:
    for policy in MODEL.policies.values():
        situations = {s.name for s in policy.of_kind(Kind.SITUATION)}
        for exclusion in policy.of_kind(Kind.EXCLUSION):
            rid = f"rule:{policy.id}/{exclusion.name}"
            targets = {
                GRAPH.nodes[v]["name"]
                for _, v, d in GRAPH.out_edges(rid, data=True)
                if d["type"] == "overrides" and d["all"]
            }
            assert not targets or targets == situations


def test_the_shared_fact_is_read_by_both_cities() -> None:
    readers = rules_reading(GRAPH, "wrong_grant")
    assert {"ningbo", "weihai"} <= set(readers)
    for policy, rules in readers.items():
        assert rules == sorted(rules)
        for rule in rules:
            assert GRAPH.has_edge(f"rule:{policy}/{rule}", "fact:wrong_grant", key="reads")


def test_a_shared_fact_is_read_through_the_cities_related_facts() -> None:
    # Each city words the concealment its own way: its rules read its own fact, which
    # `relates` to the shared one, so a comparison of the shared fact still finds them all.
    readers = rules_reading(GRAPH, "applicant_concealed_finances")
    assert readers == {
        "ningbo": ["concealment_undetected"],
        "taierzhuang": ["beneficiary_concealment"],
        "weihai": ["concealment"],
    }
    edge = GRAPH.get_edge_data(
        "fact:weihai_applicant_concealed_property", "fact:applicant_concealed_finances"
    )
    assert edge == {"relates": {"type": "relates", "relation": "narrower"}}
    for _, v, data in edges_of(GRAPH, "relates"):
        assert GRAPH.nodes[v]["concept"] is not None  # always to a shared fact
        assert data["relation"] in {"same", "narrower", "wider"}


def test_facts_of_policy_are_declared_inputs() -> None:
    inputs = set(MODEL.facts) | set(MODEL.judgments)
    for policy in MODEL.policies:
        facts = facts_of_policy(GRAPH, policy)
        assert facts == sorted(facts)
        assert set(facts) <= inputs
    assert "ningbo_applicant_misreported" in facts_of_policy(GRAPH, "ningbo")
    assert facts_of_policy(GRAPH, "no_such_policy") == []


def test_overriders_of_a_real_situation() -> None:
    policy = MODEL.policies["ningbo"]
    situation = policy.of_kind(Kind.SITUATION)[0]
    found = overriders(GRAPH, f"ningbo/{situation.name}")
    # 宁波 第五条: every exclusion overrides all.
    assert found == sorted(e.name for e in policy.of_kind(Kind.EXCLUSION))
    assert overriders(GRAPH, f"rule:ningbo/{situation.name}") == found
    assert overriders(GRAPH, "ningbo/no_such_rule") == []


def test_facts_belong_to_their_concepts() -> None:
    for u, v, _ in edges_of(GRAPH, "in_concept"):
        assert GRAPH.nodes[u]["concept"] == GRAPH.nodes[v]["name"]


def test_policy_subgraph_holds_only_that_policy() -> None:
    sub = policy_subgraph(GRAPH, ["weihai"])
    owners = {d.get("policy") for _, d in sub.nodes(data=True)} - {None}
    assert owners == {"weihai"}
    assert "fact:applicant_concealed_finances" in sub
    assert sub.graph["policies"] == ["weihai"]


# ---------------------------------------------------------------- node-link JSON


def test_json_is_byte_identical_across_builds() -> None:
    first, second = (build_graph(_model(ROOT)) for _ in range(2))
    assert to_json(first) == to_json(second)


def test_json_does_not_depend_on_the_hash_seed() -> None:
    """Sets and dicts are ordered by hashing in places; the output must not be."""
    outputs = set()
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-m", "compiler.cli", "--root", str(ROOT), "graph", "--json"],
            capture_output=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_json_round_trips_and_is_plain() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no FutureWarning from node_link_data
        text = to_json(GRAPH)
    # Equal to the in-memory data only if nothing was a tuple, date or Decimal.
    assert json.loads(text) == node_link(GRAPH)
    assert to_json(from_json(text)) == text
    data = json.loads(text)
    assert [v["id"] for v in data["nodes"]] == sorted(v["id"] for v in data["nodes"])
    ends = [(e["source"], e["target"], e["key"]) for e in data["edges"]]
    assert ends == sorted(ends)
    assert "宁波" in text  # ensure_ascii=False


def test_conditions_are_policy_text() -> None:
    rule = GRAPH.nodes["rule:ningbo/" + MODEL.policies["ningbo"].of_kind(Kind.SITUATION)[0].name]
    assert isinstance(rule["when"], str)
    assert any(
        "staff_investigated_per_rules and" in d.get("when", "") for _, d in GRAPH.nodes(data=True)
    )


# ---------------------------------------------------------------- every relation, small


SMALL = """
fact household_size: int "家庭人数"
fact monthly_standard: money "低保标准"
fact concealed: bool "隐瞒"
fact accepted_date: date "受理日期"
fact finding_date: date "认定日期"
fact complex_case: bool "情况复杂"
judgment other "其他情形" refers "其他规定"
concept hiding "隐瞒" { fact hid_income: bool "隐瞒收入" }
enum relief "处理结果" { exempt "免除相关责任" lighter "从轻处理" }
enum effect "处理的效果" { no_negative_evaluation "不作负面评价" }
enum penalty "处理决定" { public_criticism "通报批评" }
actor township "乡镇"
actor township_head "乡镇一把手" of township
define base_cap: money at 第四条（一）3 = household_size * monthly_standard
define cap: money at 第四条（一）3 = base_cap * 20
gate g at 第四条 { when not concealed }
situation s1 at 第四条（一）2 "申请人家庭及其供养义务人家庭" { when concealed and hid_income }
situation s2 at 第四条（一）1 { when other }
exclusion e1 at 第五条（一） { when concealed overrides s1 }
exclusion e2 at 第五条（二） { when other overrides all }
outcome o at 第四条 { grants exempt, lighter effect no_negative_evaluation }
requirement r at 第四条（一）3 { require cap >= 0 yuan }
deadline d at 第六条（二） {
    within 7 workdays from accepted_date until finding_date
    extend to 15 workdays when complex_case
    actor township
}
procedure p at 第六条（二） {
    step one "第一步" { actor township within 3 workdays from accepted_date until finding_date }
    step two "第二步" { actor township_head when complex_case }
}
sanction san at 第五条（三） { target individual penalty public_criticism }
responsibility resp at 第五条（四） { actor township first_responsible township }
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("small")
    write_project(root, SMALL)
    return build_graph(_model(root))


def write_project(root: Path, body: str) -> None:
    """A one-policy project `x` citing the Ningbo text."""
    policies = root / "policies"
    (policies / "sources").mkdir(parents=True)
    shutil.copy(ROOT / "policies" / "sources" / "ningbo.txt", policies / "sources" / "ningbo.txt")
    (policies / "x.policy").write_text(
        'policy x { title "x" decision exemption "尽职免责" '
        f'source "sources/ningbo.txt" sha256 "{NINGBO_SHA256}" }}\n' + body,
        encoding="utf-8",
    )


def test_small_defines_read_through(small: Any) -> None:
    cap = small.nodes["define:cap"]
    assert cap["expression"] == "base_cap * 20"
    assert cap["policy"] == "x"
    assert cap["value_type"] == "money"
    assert small.has_edge("policy:x", "define:cap", key="has")
    assert small.has_edge("define:cap", "clause:x/第四条（一）3", key="cites")
    assert small.has_edge("define:cap", "define:base_cap", key="reads")
    assert small.has_edge("define:base_cap", "fact:household_size", key="reads")
    assert small.has_edge("rule:x/r", "define:cap", key="reads")
    # Through two definitions: the requirement reads the household size.
    assert rules_reading(small, "household_size") == {"x": ["r"]}
    assert rules_reading(small, "cap") == {"x": ["r"]}
    assert {"household_size", "monthly_standard"} <= set(facts_of_policy(small, "x"))


def test_small_overrides(small: Any) -> None:
    assert small.edges["rule:x/e1", "rule:x/s1", "overrides"]["all"] is False
    assert small.edges["rule:x/e2", "rule:x/s1", "overrides"]["all"] is True
    assert small.has_edge("rule:x/e2", "rule:x/s2", key="overrides")
    assert not small.has_edge("rule:x/e2", "rule:x/g")  # a gate is not a situation
    assert overriders(small, "x/s1") == ["e1", "e2"]
    assert overriders(small, "x/s2") == ["e2"]


def test_small_limits_steps_and_their_reads(small: Any) -> None:
    deadline = small.nodes["rule:x/d"]
    assert deadline["limit"] == {
        "amount": 7,
        "unit": "workdays",
        "from": "accepted_date",
        "until": "finding_date",
        "excluding": None,
        "excluded_from": None,
        "excluded_until": None,
    }
    assert deadline["extension"] == {"amount": 15, "unit": "workdays", "when": "complex_case"}
    assert small.edges["rule:x/d", "fact:complex_case", "reads"]["via"] == ["extend"]
    assert small.edges["rule:x/d", "fact:accepted_date", "reads"]["via"] == ["within"]
    one, two = "step:x/p/one", "step:x/p/two"
    assert small.edges["rule:x/p", one, "step"]["order"] == 1
    assert small.edges["rule:x/p", two, "step"]["order"] == 2
    assert small.nodes[one]["limit"]["amount"] == 3
    assert small.nodes[two]["when"] == "complex_case"
    assert small.has_edge(one, "fact:accepted_date", key="reads")
    assert small.has_edge(two, "actor:township_head", key="actor")
    # A step's reads count for its procedure.
    assert rules_reading(small, "accepted_date") == {"x": ["d", "p"]}


def test_small_actors_roles_and_members(small: Any) -> None:
    assert small.has_edge("actor:township_head", "actor:township", key="part_of")
    assert small.nodes["actor:township_head"]["of"] == "township"
    roles = {
        d["role"] for _, v, d in small.out_edges("rule:x/resp", data=True) if d["type"] == "actor"
    }
    assert roles == {"actor", "first_responsible"}
    assert small.has_edge("rule:x/o", "enum_member:relief/exempt", key="grants")
    assert small.has_edge("rule:x/o", "enum_member:relief/lighter", key="grants")
    assert small.has_edge("rule:x/o", "enum_member:effect/no_negative_evaluation", key="effect")
    assert small.has_edge("rule:x/san", "enum_member:penalty/public_criticism", key="imposes")
    member = small.nodes["enum_member:penalty/public_criticism"]
    assert (member["label"], member["enum_label"]) == ("通报批评", "处理决定")
    assert small.nodes["rule:x/san"]["target"] == "individual"


def test_small_vocabulary_and_labels(small: Any) -> None:
    assert small.has_edge("fact:hid_income", "concept:hiding", key="in_concept")
    assert small.nodes["judgment:other"]["refers"] == "其他规定"
    assert small.nodes["rule:x/s1"]["label"] == "申请人家庭及其供养义务人家庭"
    assert small.nodes["rule:x/s1"]["when"] == "concealed and hid_income"
    assert small.nodes["rule:x/g"]["when"] == "not concealed"
    assert small.nodes["rule:x/s1"]["quotes"] == ["申请人家庭及其供养义务人家庭"]
    assert small.nodes["clause:x/第四条（一）2"]["coverage"] == "cited"


def test_small_graph_is_json_and_back(small: Any) -> None:
    text = to_json(small)
    back = from_json(text)
    assert isinstance(back, nx.MultiDiGraph)
    assert set(back.nodes) == set(small.nodes)
    assert to_json(back) == text


# ---------------------------------------------------------------- policyc graph


def run(capsys: pytest.CaptureFixture[str], *argv: str, root: Path = ROOT) -> tuple[int, str, str]:
    code = main(["--root", str(root), *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_cli_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "graph")
    assert code == 0
    for policy in ("ningbo", "weihai", "all"):
        assert f"\n{policy}: " in "\n" + out
    assert "rule " in out and "cites " in out


def test_cli_json_of_the_project(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "graph", "--json")
    assert code == 0
    assert out == to_json(build_graph(_model(ROOT))) + "\n"


def test_cli_json_of_one_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "graph", "weihai", "--json")
    assert code == 0
    data = json.loads(out)
    owners = {v.get("policy") for v in data["nodes"]} - {None}
    assert owners == {"weihai"}
    assert data["graph"]["policies"] == ["weihai"]


def test_cli_unknown_policy_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "graph", "nowhere")
    assert code == 2
    assert "nowhere" in err


def test_cli_errors_in_the_policies_are_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_project(tmp_path, "situation s at 第四条（一）2 { when no_such_fact }\n")
    code, out, err = run(capsys, "graph", "--json", root=tmp_path)
    assert code == 1
    assert out == ""
    assert "no_such_fact" in err
