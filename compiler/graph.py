"""The rule graph: the checked `Model` as a typed networkx `MultiDiGraph`.

One job: say what is connected to what, so that later backends (validators, the comparison
site) can ask "which rules of which cities read this fact?" without walking the AST again.

Nodes carry ``type`` and readable attributes; ids are prefixed by their type so that a fact and
a rule of the same name never clash:

- policy ``policy:ningbo``: policy, title, jurisdiction, level, number, status, sha256, …
- rule ``rule:ningbo/concealment_undetected``: policy, kind, name, citation, quotes, label,
  file, line, and per item: when, require, limit, extension, task, every, target, covers,
  fields, grants, effects, penalties, notes
- clause ``clause:ningbo/第四条（一）2``: policy, citation, kind, heading, text (its own),
  line, coverage (cited | informative | heading | pending | uncovered), covered_by
- fact ``fact:applicant_concealed_finances``: name, value_type, label, concept
- judgment ``judgment:major_adverse_impact``: name, label, refers
- concept ``concept:concealment``: name, label;  actor ``actor:township``: name, label, of
- define ``define:lucheng_temporary_aid_cap``: policy, name, value_type, expression, citation
- step ``step:ningbo/ningbo_finding/written_report``: policy, procedure, name, label, order,
  and the step's items as for a rule
- enum_member ``enum_member:relief/exempt``: enum, name, label, enum_label (only the members
  that outcomes grant or name as effects, and sanctions impose)

A node belonging to one policy has a ``policy`` attribute; shared vocabulary has none.

Edges carry ``type`` and are keyed by it (a role is part of the key), so that the same pair
is never joined twice by the same relation:

- ``has``: policy -> rule, policy -> define
- ``cites``: rule -> clause, define -> clause
- ``child_of``: clause -> parent clause (every clause of the source text)
- ``reads``: rule / step / define -> fact, judgment or define (``via``: when, require,
  extend, within, formula)
- ``in_concept``: fact -> concept;  ``part_of``: actor -> actor (``of``)
- ``actor``: rule / step -> actor (``role``: actor or a responsibility role)
- ``overrides``: exclusion -> situation (or a gate it names) of the same policy (``all``:
  from ``overrides all``, which reaches every situation)
- ``step``: procedure -> step (``order``, from 1)
- ``grants`` / ``effect``: outcome -> enum member;  ``imposes``: sanction -> penalty member

Time limits are attributes: ``limit`` (amount, unit, from, until, excluding …) and
``extension`` (amount, unit, when) on deadline, duty, procedure and step nodes.

Every attribute is plain JSON (str, int, bool, None, list, dict); expressions are policy text
(`compiler.exprtext`).  `to_json` writes a deterministic node-link document.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

import networkx as nx

from compiler import nodes as n
from compiler.coverage import ClauseCoverage, policy_coverage
from compiler.exprtext import to_text
from compiler.kinds import ENUM_OF_ITEM
from compiler.model import Model, Policy
from compiler.sources import Clause

NODE_TYPES = (
    "policy",
    "rule",
    "clause",
    "fact",
    "judgment",
    "concept",
    "actor",
    "define",
    "step",
    "enum_member",
)
EDGE_TYPES = (
    "has",
    "cites",
    "child_of",
    "reads",
    "in_concept",
    "part_of",
    "actor",
    "overrides",
    "step",
    "grants",
    "effect",
    "imposes",
)
# The relation from a statement to the enum members an item names.
EDGE_OF_ITEM: dict[type, str] = {n.Grants: "grants", n.Effects: "effect", n.Penalties: "imposes"}

# Nodes whose values a rule reads: what a case must supply (or a formula computes).
INPUT_TYPES = ("fact", "judgment")


def node_id(type_: str, *parts: str) -> str:
    """`node_id("rule", "ningbo", "x")` -> "rule:ningbo/x"."""
    return f"{type_}:{'/'.join(parts)}"


# ---------------------------------------------------------------- building


def build_graph(model: Model) -> nx.MultiDiGraph:
    """The rule graph of a checked, error-free model."""
    graph = nx.MultiDiGraph(policies=sorted(model.policies))
    _add_vocabulary(graph, model)
    for policy_id in sorted(model.policies):
        _add_policy(graph, model, model.policies[policy_id])
    return graph


def _add_vocabulary(graph: nx.MultiDiGraph, model: Model) -> None:
    for concept in model.concepts.values():
        graph.add_node(
            node_id("concept", concept.name), type="concept", name=concept.name, label=concept.label
        )
    for fact in model.facts.values():
        graph.add_node(
            node_id("fact", fact.name),
            type="fact",
            name=fact.name,
            value_type=str(fact.type),
            label=fact.label,
            concept=fact.concept,
        )
        if fact.concept is not None:
            _edge(graph, node_id("fact", fact.name), node_id("concept", fact.concept), "in_concept")
    for judgment in model.judgments.values():
        graph.add_node(
            node_id("judgment", judgment.name),
            type="judgment",
            name=judgment.name,
            label=judgment.label,
            refers=judgment.refers,
        )
    for actor in model.actors.values():
        graph.add_node(
            node_id("actor", actor.name),
            type="actor",
            name=actor.name,
            label=actor.label,
            of=actor.part_of,
        )
    for actor in model.actors.values():
        if actor.part_of is not None:
            _edge(graph, node_id("actor", actor.name), node_id("actor", actor.part_of), "part_of")
    for define in model.defines.values():
        # The owning policy and the cites edge are added with the policy.
        graph.add_node(
            node_id("define", define.name),
            type="define",
            name=define.name,
            value_type=str(define.type),
            expression=to_text(define.expr),
            citation=define.citation.text,
            quotes=[q.text for q in define.quotes],
        )
        _add_reads(graph, model, node_id("define", define.name), [("formula", define.expr)])


def _add_policy(graph: nx.MultiDiGraph, model: Model, policy: Policy) -> None:
    pid = node_id("policy", policy.id)
    graph.add_node(pid, **_policy_attributes(policy))
    clause_ids = _add_clauses(graph, policy)
    for define in policy.defines:
        did = node_id("define", define.name)
        graph.nodes[did]["policy"] = policy.id
        _edge(graph, pid, did, "has")
        _add_cites(graph, policy, clause_ids, did, define.citation)
    situations = [s.name for s in policy.of_kind("situation")]
    for statement in policy.statements:
        rid = node_id("rule", policy.id, statement.name)
        graph.add_node(rid, **_rule_attributes(policy, statement))
        _edge(graph, pid, rid, "has")
        _add_cites(graph, policy, clause_ids, rid, statement.citation)
        _add_items(graph, model, rid, statement.items)
        _add_overrides(graph, policy, rid, statement, situations)
        _add_steps(graph, model, policy, statement)


def _policy_attributes(policy: Policy) -> dict[str, Any]:
    header = policy.header
    return {
        "type": "policy",
        "policy": policy.id,
        "title": header.title,
        "jurisdiction": header.jurisdiction,
        "level": header.level,
        "issuers": list(header.issuers),
        "number": header.number,
        "issued": _iso(header.issued),
        "status": header.status,
        "status_label": header.status_label,
        "effective": _iso(header.effective),  # a date, or "on_issue"
        "source": header.source,
        "sha256": header.source_sha256,
        "decision": header.decision,
        "decision_label": header.decision_label,
    }


def _iso(value: date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def _add_clauses(graph: nx.MultiDiGraph, policy: Policy) -> dict[tuple[object, ...], str]:
    """Every clause of the source text, linked to its parent; returns path -> node id."""
    document = policy.source
    if document is None:
        return {}
    coverage = {c.clause.path: c for c in policy_coverage(policy).clauses}
    ids: dict[tuple[object, ...], str] = {}
    for clause in document.clauses():
        cid = node_id("clause", policy.id, clause.citation)
        if cid in graph:  # two clauses with one canonical citation: tell them apart by line
            cid = f"{cid}@{clause.line}"
        ids[clause.path] = cid
        graph.add_node(cid, **_clause_attributes(policy, clause, coverage.get(clause.path)))
        parent = ids.get(clause.path[:-1])
        if parent is not None:
            _edge(graph, cid, parent, "child_of")
    return ids


def _clause_attributes(
    policy: Policy, clause: Clause, coverage: ClauseCoverage | None
) -> dict[str, Any]:
    return {
        "type": "clause",
        "policy": policy.id,
        "citation": clause.citation,
        "kind": clause.kind,
        "marker": clause.marker,
        "heading": clause.heading,
        "text": clause.own_text,
        "line": clause.line,
        "implicit": clause.implicit,
        "coverage": coverage.status if coverage else None,
        "covered_by": list(coverage.by) if coverage else [],
    }


def _add_cites(
    graph: nx.MultiDiGraph,
    policy: Policy,
    clause_ids: dict[tuple[object, ...], str],
    source: str,
    citation: n.Citation,
) -> None:
    clause = policy.clause_of(citation)
    if clause is not None and clause.path in clause_ids:
        _edge(graph, source, clause_ids[clause.path], "cites")


def _rule_attributes(policy: Policy, statement: n.Statement) -> dict[str, Any]:
    clause = policy.clause_of(statement.citation)
    quotes = [q.text for q in statement.quotes]
    # A readable one-line label: the document's own words where there are any.
    label = quotes[0] if quotes else (clause.heading if clause and clause.heading else "")
    attributes: dict[str, Any] = {
        "type": "rule",
        "policy": policy.id,
        "kind": statement.kind,
        "name": statement.name,
        "citation": statement.citation.text,
        "quotes": quotes,
        "label": label or statement.name,
        "file": statement.span.file,
        "line": statement.span.line,
    }
    attributes.update(_item_attributes(statement.items))
    return attributes


def _item_attributes(items: Iterable[n.Item]) -> dict[str, Any]:
    """Readable attributes of a statement's (or a step's) items; absent items add no key."""
    out: dict[str, Any] = {}
    for item in items:
        match item:
            case n.When():
                out["when"] = to_text(item.condition)
            case n.Require():
                out.setdefault("require", []).append(to_text(item.condition))
            case n.Within():
                out["limit"] = _limit(item)
            case n.Extend():
                out["extension"] = {
                    "amount": item.limit.amount,
                    "unit": item.limit.unit,
                    "when": to_text(item.condition),
                }
            case n.Task():
                out["task"] = item.text
            case n.Every():
                out["every"] = {"period": item.period, "by_day": item.by_day}
            case n.Target():
                out["target"] = item.name
            case n.Covers():
                out.setdefault("covers", []).append(
                    {
                        "dimension": item.dimension,
                        "names": list(item.names),
                        "texts": list(item.texts),
                    }
                )
            case n.Field():
                out.setdefault("fields", []).append(
                    {"name": item.name, "type": str(item.type), "label": item.label}
                )
            case n.Grants() | n.Effects() | n.Penalties():
                key = {n.Grants: "grants", n.Effects: "effects", n.Penalties: "penalties"}
                out.setdefault(key[type(item)], []).extend(item.names)
            case n.Note():
                out.setdefault("notes", []).append(item.text)
    return out


def _limit(within: n.Within) -> dict[str, Any]:
    return {
        "amount": within.limit.amount,
        "unit": within.limit.unit,
        "from": within.start,
        "until": within.end,
        "excluding": within.excluding,
        "excluded_from": within.excluded_from,
        "excluded_until": within.excluded_until,
    }


def _add_items(graph: nx.MultiDiGraph, model: Model, source: str, items: Iterable[n.Item]) -> None:
    """The edges a statement's or a step's own items make: reads, actors, enum members."""
    items = tuple(items)
    _add_reads(graph, model, source, _read_sites(items))
    for item in items:
        match item:
            case n.Actors():
                for actor in item.names:
                    _edge(graph, source, node_id("actor", actor), "actor", role="actor")
            case n.Role():
                _edge(graph, source, node_id("actor", item.actor), "actor", role=item.role)
            case n.Grants() | n.Effects() | n.Penalties():
                enum = ENUM_OF_ITEM[type(item)]
                for member in item.names:
                    mid = _enum_member(graph, model, enum, member)
                    _edge(graph, source, mid, EDGE_OF_ITEM[type(item)])


def _read_sites(items: Iterable[n.Item]) -> list[tuple[str, n.Expr | str]]:
    """(where, expression or fact name) for everything the items read."""
    sites: list[tuple[str, n.Expr | str]] = []
    for item in items:
        match item:
            case n.When():
                sites.append(("when", item.condition))
            case n.Require():
                sites.append(("require", item.condition))
            case n.Extend():
                sites.append(("extend", item.condition))
            case n.Within():
                bounds = (item.start, item.end, item.excluded_from, item.excluded_until)
                sites += [("within", fact) for fact in bounds if fact is not None]
    return sites


def _add_reads(
    graph: nx.MultiDiGraph, model: Model, source: str, sites: Iterable[tuple[str, n.Expr | str]]
) -> None:
    via: dict[str, set[str]] = {}
    for where, read in sites:
        names = [read] if isinstance(read, str) else n.names_in(read)
        for name in names:
            target = _value_node(model, name)
            if target is not None:
                via.setdefault(target, set()).add(where)
    for target in sorted(via):
        _edge(graph, source, target, "reads", via=sorted(via[target]))


def _value_node(model: Model, name: str) -> str | None:
    """The node a name in an expression reads; None for an enum member (a constant)."""
    for kind, table in (
        ("fact", model.facts),
        ("judgment", model.judgments),
        ("define", model.defines),
    ):
        if name in table:
            return node_id(kind, name)
    return None


def _enum_member(graph: nx.MultiDiGraph, model: Model, enum: str, member: str) -> str:
    mid = node_id("enum_member", enum, member)
    if mid not in graph:
        decl = model.enums.get(enum)
        found = model.members(enum).get(member)
        graph.add_node(
            mid,
            type="enum_member",
            enum=enum,
            name=member,
            label=found.label if found else None,
            enum_label=decl.label if decl else None,
        )
    return mid


def _add_overrides(
    graph: nx.MultiDiGraph, policy: Policy, rid: str, statement: n.Statement, situations: list[str]
) -> None:
    item = statement.first(n.Overrides)
    if item is None:
        return
    # `overrides all` defeats every situation (compiler.interpret), so it gets one edge each.
    targets = situations if item.all else list(item.names)
    for target in targets:
        _edge(graph, rid, node_id("rule", policy.id, target), "overrides", all=item.all)


def _add_steps(
    graph: nx.MultiDiGraph, model: Model, policy: Policy, statement: n.Statement
) -> None:
    rid = node_id("rule", policy.id, statement.name)
    for order, step in enumerate(statement.all(n.Step), start=1):
        sid = node_id("step", policy.id, statement.name, step.name)
        graph.add_node(
            sid,
            type="step",
            policy=policy.id,
            procedure=statement.name,
            name=step.name,
            label=step.label,
            order=order,
            **_item_attributes(step.items),
        )
        _edge(graph, rid, sid, "step", order=order)
        _add_items(graph, model, sid, step.items)


def _edge(graph: nx.MultiDiGraph, source: str, target: str, type_: str, **attributes: Any) -> None:
    """One edge per (source, target, relation[, role]): the key says which relation it is."""
    role = attributes.get("role")
    key = type_ if role in (None, "actor") else f"{type_}:{role}"
    graph.add_edge(source, target, key=key, type=type_, **attributes)


# ---------------------------------------------------------------- selecting


def policy_subgraph(graph: nx.MultiDiGraph, policies: Iterable[str]) -> nx.MultiDiGraph:
    """The named policies' own nodes and everything they lead to (facts, concepts, actors …)."""
    wanted = set(policies)
    owned = {v for v, data in graph.nodes(data=True) if data.get("policy") in wanted}
    keep = set(owned)
    for v in owned:
        keep |= nx.descendants(graph, v)
    sub: nx.MultiDiGraph = graph.subgraph(keep).copy()
    sub.graph["policies"] = sorted(wanted)
    return sub


# ---------------------------------------------------------------- queries


def rules_reading(graph: nx.MultiDiGraph, name: str) -> dict[str, list[str]]:
    """Policy id -> names of its rules that read a fact, judgment or definition.

    Reading through a definition or a procedure's step counts: this is how two cities'
    treatment of one shared fact is compared.
    """
    found: dict[str, set[str]] = {}
    for reader in _readers(graph, name):
        data = graph.nodes[reader]
        if data["type"] == "rule":
            found.setdefault(data["policy"], set()).add(data["name"])
        elif data["type"] == "step":
            found.setdefault(data["policy"], set()).add(data["procedure"])
    return {policy: sorted(rules) for policy, rules in sorted(found.items())}


def _readers(graph: nx.MultiDiGraph, name: str) -> set[str]:
    """Every node that reads `name`, directly or through definitions."""
    start = [node_id(t, name) for t in ("fact", "judgment", "define") if node_id(t, name) in graph]
    seen: set[str] = set()
    todo = list(start)
    while todo:
        target = todo.pop()
        for source, _, data in graph.in_edges(target, data=True):
            if data["type"] == "reads" and source not in seen:
                seen.add(source)
                if graph.nodes[source]["type"] == "define":
                    todo.append(source)
    return seen


def facts_of_policy(graph: nx.MultiDiGraph, policy: str) -> list[str]:
    """Names of the facts and judgments a policy's rules, steps and definitions read
    (through definitions too): the inputs a case of that policy can need."""
    todo = [
        v
        for v, data in graph.nodes(data=True)
        if data.get("policy") == policy and data["type"] in ("rule", "step", "define")
    ]
    seen: set[str] = set(todo)
    inputs: set[str] = set()
    while todo:
        source = todo.pop()
        for _, target, data in graph.out_edges(source, data=True):
            if data["type"] != "reads" or target in seen:
                continue
            seen.add(target)
            if graph.nodes[target]["type"] in INPUT_TYPES:
                inputs.add(graph.nodes[target]["name"])
            else:  # a definition: follow what it reads
                todo.append(target)
    return sorted(inputs)


def overriders(graph: nx.MultiDiGraph, rule: str) -> list[str]:
    """Names of the exclusions that override a rule, given as "policy/name" or a node id."""
    rid = rule if rule.startswith("rule:") else f"rule:{rule}"
    if rid not in graph:
        return []
    return sorted(
        graph.nodes[source]["name"]
        for source, _, data in graph.in_edges(rid, data=True)
        if data["type"] == "overrides"
    )


def counts(graph: nx.MultiDiGraph) -> tuple[Counter[str], Counter[str]]:
    """Nodes and edges by type."""
    nodes = Counter(data["type"] for _, data in graph.nodes(data=True))
    edges = Counter(data["type"] for _, _, data in graph.edges(data=True))
    return nodes, edges


# ---------------------------------------------------------------- node-link JSON


def node_link(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """Node-link data with nodes sorted by id and edges by (source, target, key)."""
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    data["nodes"] = sorted(data["nodes"], key=lambda node: node["id"])
    data["edges"] = sorted(
        data["edges"], key=lambda edge: (edge["source"], edge["target"], edge["key"])
    )
    return data


def to_json(graph: nx.MultiDiGraph) -> str:
    """The graph as deterministic node-link JSON: the same model gives the same bytes."""
    return json.dumps(node_link(graph), ensure_ascii=False, sort_keys=True, indent=1)


def from_json(text: str) -> nx.MultiDiGraph:
    """A graph read back from `to_json`."""
    graph: nx.MultiDiGraph = nx.node_link_graph(
        json.loads(text), directed=True, multigraph=True, edges="edges"
    )
    return graph
