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
- ``relates``: a city's fact -> the shared fact it is related to (``relation``: same,
  narrower, wider)
- ``actor``: rule / step -> actor (``role``: actor or a responsibility role)
- ``overrides``: exclusion -> situation of the same policy (``all``:
  from ``overrides all``, which reaches every situation)
- ``excuses``: situation -> liability of the same policy whose failing it excuses
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

from compiler import ir
from compiler import nodes as n
from compiler.coverage import ClauseCoverage, policy_coverage
from compiler.exprtext import to_text
from compiler.kinds import ENUM_OF_ITEM
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
    "relates",
    "part_of",
    "actor",
    "overrides",
    "excuses",
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


def build_graph(program: ir.Program) -> nx.MultiDiGraph:
    """The rule graph of a lowered program."""
    graph = nx.MultiDiGraph(policies=sorted(program.policies))
    _add_vocabulary(graph, program)
    for policy_id in sorted(program.policies):
        _add_policy(graph, program, program.policies[policy_id])
    return graph


def _add_vocabulary(graph: nx.MultiDiGraph, program: ir.Program) -> None:
    for concept in program.concepts.values():
        graph.add_node(
            node_id("concept", concept.name), type="concept", name=concept.name, label=concept.label
        )
    for fact in program.facts.values():
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
        if fact.related is not None:
            _edge(
                graph,
                node_id("fact", fact.name),
                node_id("fact", fact.related.shared),
                "relates",
                relation=str(fact.related.relation),
            )
    for judgment in program.judgments.values():
        graph.add_node(
            node_id("judgment", judgment.name),
            type="judgment",
            name=judgment.name,
            label=judgment.label,
            refers=judgment.refers,
        )
    for actor in program.actors.values():
        graph.add_node(
            node_id("actor", actor.name),
            type="actor",
            name=actor.name,
            label=actor.label,
            of=actor.part_of,
        )
    for actor in program.actors.values():
        if actor.part_of is not None:
            _edge(graph, node_id("actor", actor.name), node_id("actor", actor.part_of), "part_of")
    for define in program.defines.values():
        # The owning policy and the cites edge are added with the policy.
        graph.add_node(
            node_id("define", define.name),
            type="define",
            name=define.name,
            value_type=str(define.type),
            expression=to_text(define.expr),
            citation=define.clause.written,
            quotes=list(define.clause.quotes),
        )
        _add_reads(graph, program, node_id("define", define.name), [("formula", define.expr)])


def _add_policy(graph: nx.MultiDiGraph, program: ir.Program, policy: ir.Policy) -> None:
    pid = node_id("policy", policy.id)
    graph.add_node(pid, **_policy_attributes(policy))
    clause_ids = _add_clauses(graph, policy)
    for define in policy.defines:
        did = node_id("define", define.name)
        graph.nodes[did]["policy"] = policy.id
        _edge(graph, pid, did, "has")
        _add_cites(graph, clause_ids, did, define.clause)
    for rule in policy.rules:
        rid = node_id("rule", policy.id, rule.name)
        graph.add_node(rid, **_rule_attributes(policy, rule))
        _edge(graph, pid, rid, "has")
        _add_cites(graph, clause_ids, rid, rule.clause)
        _add_reads(graph, program, rid, _read_sites(rule.when, rule.require, rule.limit))
        _add_actors(graph, rid, rule.actors, rule.roles)
        for item, members in ((n.Grants, rule.grants), (n.Effects, rule.effects)):
            _add_members(graph, program, rid, item, members)
        _add_members(graph, program, rid, n.Penalties, rule.penalties)
        _add_steps(graph, program, policy, rule)
    for override in policy.precedence:
        # `overrides all` defeats every situation, so it gets one edge each.
        source = node_id("rule", policy.id, override.exclusion)
        target = node_id("rule", policy.id, override.target)
        _edge(graph, source, target, "overrides", all=override.all)
    for rule in policy.rules:
        for liability in rule.excuses:
            target = node_id("rule", policy.id, liability)
            _edge(graph, node_id("rule", policy.id, rule.name), target, "excuses")


def _policy_attributes(policy: ir.Policy) -> dict[str, Any]:
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


def _add_clauses(graph: nx.MultiDiGraph, policy: ir.Policy) -> dict[tuple[object, ...], str]:
    """Every clause of the source text, linked to its parent; returns path -> node id."""
    coverage = {c.clause.path: c for c in policy_coverage(policy).clauses}
    ids: dict[tuple[object, ...], str] = {}
    for clause in policy.document.clauses():
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
    policy: ir.Policy, clause: Clause, coverage: ClauseCoverage | None
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
    clause_ids: dict[tuple[object, ...], str],
    source: str,
    clause: ir.ClauseRef,
) -> None:
    if clause.clause.path in clause_ids:
        _edge(graph, source, clause_ids[clause.clause.path], "cites")


def _rule_attributes(policy: ir.Policy, rule: ir.Rule) -> dict[str, Any]:
    quotes = list(rule.clause.quotes)
    heading = rule.clause.clause.heading
    # A readable one-line label: the document's own words where there are any.
    label = quotes[0] if quotes else (heading or "")
    attributes: dict[str, Any] = {
        "type": "rule",
        "policy": policy.id,
        "kind": str(rule.kind),
        "name": rule.name,
        "citation": rule.clause.written,
        "quotes": quotes,
        "label": label or rule.name,
        "file": rule.file,
        "line": rule.line,
    }
    attributes.update(_condition_attributes(rule.when, rule.require, rule.limit, rule.notes))
    if rule.task is not None:
        attributes["task"] = rule.task
    if rule.every is not None:
        attributes["every"] = {"period": rule.every.period, "by_day": rule.every.by_day}
    if rule.target is not None:
        attributes["target"] = rule.target
    if rule.covers:
        attributes["covers"] = [
            {"dimension": c.dimension, "names": list(c.names), "texts": list(c.texts)}
            for c in rule.covers
        ]
    if rule.fields:
        attributes["fields"] = [
            {"name": f.name, "type": str(f.type), "label": f.label} for f in rule.fields
        ]
    for key, names in (
        ("grants", rule.grants),
        ("effects", rule.effects),
        ("penalties", rule.penalties),
    ):
        if names:
            attributes[key] = list(names)
    return attributes


def _condition_attributes(
    when: n.Expr | None,
    require: n.Expr | None,
    limit: ir.Limit | None,
    notes: tuple[str, ...],
) -> dict[str, Any]:
    """Readable attributes of a rule's (or a step's) conditions, limit and notes; absent ones
    add no key."""
    out: dict[str, Any] = {}
    if when is not None:
        out["when"] = to_text(when)
    if require is not None:
        out["require"] = [to_text(require)]
    if limit is not None:
        out["limit"] = {
            "amount": limit.amount.amount,
            "unit": limit.amount.unit,
            "from": limit.start,
            "until": limit.end,
            "excluding": limit.excluding,
            "excluded_from": limit.excluded_from,
            "excluded_until": limit.excluded_until,
        }
        if limit.extend is not None:
            out["extension"] = {
                "amount": limit.extend.amount.amount,
                "unit": limit.extend.amount.unit,
                "when": to_text(limit.extend.when),
            }
    if notes:
        out["notes"] = list(notes)
    return out


def _read_sites(
    when: n.Expr | None, require: n.Expr | None, limit: ir.Limit | None
) -> list[tuple[str, n.Expr | str]]:
    """(where, expression or fact name) for everything a rule or step reads."""
    sites: list[tuple[str, n.Expr | str]] = []
    if when is not None:
        sites.append(("when", when))
    if require is not None:
        sites.append(("require", require))
    if limit is not None:
        if limit.extend is not None:
            sites.append(("extend", limit.extend.when))
        sites += [("within", fact) for fact in limit.dates]
    return sites


def _add_reads(
    graph: nx.MultiDiGraph,
    program: ir.Program,
    source: str,
    sites: list[tuple[str, n.Expr | str]],
) -> None:
    via: dict[str, set[str]] = {}
    for where, read in sites:
        names = [read] if isinstance(read, str) else n.names_in(read)
        for name in names:
            target = _value_node(program, name)
            if target is not None:
                via.setdefault(target, set()).add(where)
    for target in sorted(via):
        _edge(graph, source, target, "reads", via=sorted(via[target]))


def _value_node(program: ir.Program, name: str) -> str | None:
    """The node a name in an expression reads; None for an enum member (a constant)."""
    for kind, table in (
        ("fact", program.facts),
        ("judgment", program.judgments),
        ("define", program.defines),
    ):
        if name in table:
            return node_id(kind, name)
    return None


def _add_actors(
    graph: nx.MultiDiGraph,
    source: str,
    actors: tuple[str, ...],
    roles: tuple[tuple[str, str], ...] = (),
) -> None:
    for actor in actors:
        _edge(graph, source, node_id("actor", actor), "actor", role="actor")
    for role, actor in roles:
        _edge(graph, source, node_id("actor", actor), "actor", role=role)


def _add_members(
    graph: nx.MultiDiGraph,
    program: ir.Program,
    source: str,
    item: type,
    members: tuple[str, ...],
) -> None:
    enum = ENUM_OF_ITEM[item]
    for member in members:
        mid = _enum_member(graph, program, enum, member)
        _edge(graph, source, mid, EDGE_OF_ITEM[item])


def _enum_member(graph: nx.MultiDiGraph, program: ir.Program, enum: str, member: str) -> str:
    mid = node_id("enum_member", enum, member)
    if mid not in graph:
        decl = program.enums.get(enum)
        found = decl.member(member) if decl else None
        graph.add_node(
            mid,
            type="enum_member",
            enum=enum,
            name=member,
            label=found.label if found else None,
            enum_label=decl.label if decl else None,
        )
    return mid


def _add_steps(
    graph: nx.MultiDiGraph, program: ir.Program, policy: ir.Policy, rule: ir.Rule
) -> None:
    rid = node_id("rule", policy.id, rule.name)
    for step in rule.steps:
        sid = node_id("step", policy.id, rule.name, step.name)
        attributes = _condition_attributes(step.when, None, step.limit, step.notes)
        if step.task is not None:
            attributes["task"] = step.task
        graph.add_node(
            sid,
            type="step",
            policy=policy.id,
            procedure=rule.name,
            name=step.name,
            label=step.label,
            order=step.order,
            **attributes,
        )
        _edge(graph, rid, sid, "step", order=step.order)
        _add_reads(graph, program, sid, _read_sites(step.when, None, step.limit))
        _add_actors(graph, sid, step.actors)


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

    Reading through a definition or a procedure's step counts, and so does reading a city's
    fact related to a shared one (``relates``: same, narrower or wider): this is how two
    cities' treatment of one shared fact is compared, their words differing or not.
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
    """Every node that reads `name`, directly, through definitions, or through a fact related
    to it."""
    start = [node_id(t, name) for t in ("fact", "judgment", "define") if node_id(t, name) in graph]
    seen: set[str] = set()
    todo = list(start)
    while todo:
        target = todo.pop()
        for source, _, data in graph.in_edges(target, data=True):
            if data["type"] == "relates" and source not in seen:
                seen.add(source)  # a city's fact: its readers read the shared fact's concept
                todo.append(source)
            elif data["type"] == "reads" and source not in seen:
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
