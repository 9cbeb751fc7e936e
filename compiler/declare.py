"""The checker's project-wide passes: every file's declarations and their uniqueness across
the project, fact types, relations to shared facts, actors' parents, the policies test suites
name, and rules standing outside a policy.

They read little of a file: the names it declares and where, facts' types and relations,
actors' parents, its policy header and its test suites' policies.  So a file is first reduced
to its `Declarations` (`of`: per file, as plain JSON data), and the passes run over those
(`run`).  `Checker.declare` runs both steps on parsed files; `compiler.incremental` keeps each
file's `Declarations` in its summary and, after an edit that changes a declaration, runs `run`
over them without decoding any syntax tree.  One implementation, so the two paths report the
same diagnostics in the same order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, assert_never

from compiler import codes
from compiler import nodes as n
from compiler.cache import CorruptEntry
from compiler.diagnostics import Label, did_you_mean

# A place in the file whose declarations hold it: line, column, end line, end column (a
# tuple, or the list JSON gives back: it is only ever unpacked into a span).
Where = Sequence[int]


def _where(span: n.Span) -> Where:
    return (span.line, span.column, span.end_line, span.end_column)


# ---------------------------------------------------------------- what a file declares
# The events of a file, in the order the passes meet them.  Each is a NamedTuple: as JSON, a
# list of its tag (`TAGS`) and its fields.


class ExtraHeader(NamedTuple):
    """A second `policy` header in one file (E106)."""

    where: Where


class PolicyClaim(NamedTuple):
    """The file's policy header: its id must be the project's only one (E100)."""

    id: str
    where: Where


class Claim(NamedTuple):
    """A declared name (`what`: concept, judgment, enum or definition): unique in the project,
    whatever its kind (E100)."""

    what: str
    name: str
    where: Where


class Related(NamedTuple):
    relation: str  # an n.Relation's value
    shared: str
    where: Where


class FactClaim(NamedTuple):
    """A fact's name, as `Claim`, with what the relation and type passes read of it."""

    name: str
    where: Where
    type: str  # its TypeRef: the type's name, and the enum's for `enum`
    enum: str | None
    concept: str | None  # the concept it belongs to (a shared fact), if any
    relation: Related | None


class ActorClaim(NamedTuple):
    """An actor's name, as `Claim`, and the actor it is part of (E102 if unknown)."""

    name: str
    where: Where
    part_of: str | None


class Member(NamedTuple):
    """An enum member listed twice in its enum (E100)."""

    name: str
    where: Where


class Orphans(NamedTuple):
    """Rules, definitions or passages one after the other: each an error (E107) in a file
    without a policy of its own."""

    where: Where  # the first's
    more: tuple[Where, ...]  # the others'

    @property
    def places(self) -> Iterator[Where]:
        yield self.where
        yield from self.more


Event = ExtraHeader | PolicyClaim | Claim | FactClaim | ActorClaim | Member | Orphans
TAGS: dict[str, type[Event]] = {
    "h": ExtraHeader,
    "p": PolicyClaim,
    "c": Claim,
    "f": FactClaim,
    "a": ActorClaim,
    "m": Member,
    "o": Orphans,
}
_TAG_OF = {cls: tag for tag, cls in TAGS.items()}


@dataclass(frozen=True)
class Declarations:
    """What the project-wide passes read of one file."""

    path: str  # the file's display path: every span of its nodes is in it
    events: tuple[Event, ...]
    suites: tuple[tuple[str, Where], ...]  # each test suite's policy, in the file's order

    def names(self) -> Iterator[str]:
        """The names the file declares, in order (policy ids aside)."""
        for event in self.events:
            if isinstance(event, Claim | FactClaim | ActorClaim):
                yield event.name

    def lines(self) -> set[int]:
        """The lines on which its places start: the lines a diagnostic of the passes quotes."""
        found = {where[0] for _, where in self.suites}
        for event in self.events:
            found.add(event.where[0])
            if type(event) is FactClaim and event.relation is not None:
                found.add(event.relation.where[0])
            elif type(event) is Orphans:
                found.update(where[0] for where in event.more)
        return found

    def to_json(self) -> list[Any]:
        return [
            self.path,
            [[_TAG_OF[type(e)], *e] for e in self.events],
            [list(s) for s in self.suites],
        ]

    @classmethod
    def from_json(cls, value: Any) -> Declarations:
        """Read back what `to_json` wrote; CorruptEntry (it is read from the project's cache)
        for anything else.  An entry's name is a key of the cache's secret, so what is there
        was written by `to_json` or damaged: its arrays are checked for their tags and lengths,
        not each field for its type (the cost of reading hundreds of thousands of them)."""
        try:
            path, events, suites = value
            if type(path) is not str:
                raise TypeError("a path that is not text")
            read = tuple(map(_event, events))
            return cls(path, read, tuple((policy, where) for policy, where in suites))
        except (TypeError, ValueError, KeyError) as error:
            raise CorruptEntry(str(error) or type(error).__name__) from None


def _event(value: Any) -> Event:
    cls = TAGS[value[0]]
    event = cls._make(value[1:])  # TypeError unless it has the class's fields
    if type(event) is FactClaim and event.relation is not None:
        return event._replace(relation=Related._make(event.relation))
    return event


def _fact(fact: n.FactDecl) -> FactClaim:
    related = fact.relation
    relation = (
        None
        if related is None
        else Related(related.relation.value, related.shared, _where(related.span))
    )
    return FactClaim(
        fact.name, _where(fact.span), fact.type.name, fact.type.enum, fact.concept, relation
    )


def of(module: n.Module) -> Declarations:
    """What the project-wide passes read of a parsed file."""
    events: list[Event] = []
    headers = [i for i in module.items if isinstance(i, n.PolicyHeader)]
    events += (ExtraHeader(_where(extra.span)) for extra in headers[1:])
    if headers:
        events.append(PolicyClaim(headers[0].id, _where(headers[0].span)))
    suites: list[tuple[str, Where]] = []

    def orphan(span: n.Span) -> None:
        last = events[-1] if events else None
        if isinstance(last, Orphans):
            events[-1] = last._replace(more=(*last.more, _where(span)))
        else:
            events.append(Orphans(_where(span), ()))

    for item in module.items:
        match item:
            case n.ConceptDecl():
                events.append(Claim("concept", item.name, _where(item.span)))
                events += (_fact(fact) for fact in item.facts)
            case n.FactDecl():
                events.append(_fact(item))
            case n.JudgmentDecl():
                events.append(Claim("judgment", item.name, _where(item.span)))
            case n.EnumDecl():
                events.append(Claim("enum", item.name, _where(item.span)))
                members: set[str] = set()
                for member in item.members:
                    if member.name in members:
                        events.append(Member(member.name, _where(member.span)))
                    members.add(member.name)
            case n.ActorDecl():
                events.append(ActorClaim(item.name, _where(item.span), item.part_of))
            case n.DefineDecl():
                events.append(Claim("definition", item.name, _where(item.span)))
                orphan(item.span)
            case n.Statement() | n.Informative() | n.Pending():
                orphan(item.span)
            case n.TestSuite():
                suites.append((item.policy, _where(item.span)))
            case n.PolicyHeader():
                pass  # the first is the file's policy, the others E106s (above)
            case _:
                assert_never(item)
    return Declarations(module.path, tuple(events), tuple(suites))


# ---------------------------------------------------------------- the passes


class Report(Protocol):
    """Where the passes report (`Checker.error`, which quotes the lines)."""

    def __call__(
        self,
        code: codes.Code,
        message: str,
        span: n.Span | None,
        *help: str,
        labels: Sequence[Label] = (),
    ) -> None: ...


@dataclass
class Found:
    """The first declaration of each name and policy id: what the model's tables hold."""

    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (what, file)
    policies: dict[str, str] = field(default_factory=dict)  # policy id -> file, in order

    def first(self, what: str, name: str, path: str) -> bool:
        """Whether `path`'s declaration of `name` as `what` is the project's first of `name`."""
        return self.names.get(name) == (what, path)


def run(files: Sequence[Declarations], report: Report) -> Found:
    """The project-wide passes over every file's declarations, in the project's file order:
    each diagnostic reported, and who declared each name first."""
    found = Found()
    # Where each name and policy id was first declared (a span is made only to be reported:
    # there are hundreds of thousands of names at province scale).
    first: dict[str, tuple[str, Where]] = {}
    first_policy: dict[str, tuple[str, Where]] = {}
    facts: dict[str, tuple[str, FactClaim]] = {}
    actors: dict[str, tuple[str, ActorClaim]] = {}
    enums: set[str] = set()

    def unique(what: str, name: str, where: Where, path: str) -> bool:
        if name in first:
            report(
                codes.E100,
                f"{what} '{name}' is declared twice",
                n.Span(path, *where),
                labels=(Label(n.Span(first[name][0], *first[name][1]), "first declared here"),),
            )
            return False
        found.names[name] = (what, path)
        first[name] = (path, where)
        return True

    for file in files:
        path = file.path
        has_policy = False
        for event in file.events:
            match event:
                case ExtraHeader():
                    report(
                        codes.E106,
                        "a file holds one policy; this is a second 'policy' header",
                        n.Span(path, *event.where),
                        "split the document into its own file",
                    )
                case PolicyClaim():
                    if event.id in first_policy:
                        at, where = first_policy[event.id]
                        report(
                            codes.E100,
                            f"policy '{event.id}' is declared twice",
                            n.Span(path, *event.where),
                            labels=(Label(n.Span(at, *where), "first declared here"),),
                        )
                    else:
                        found.policies[event.id] = path
                        first_policy[event.id] = (path, event.where)
                        has_policy = True
                case Claim():
                    if unique(event.what, event.name, event.where, path) and event.what == "enum":
                        enums.add(event.name)
                case FactClaim():
                    if unique("fact", event.name, event.where, path):
                        facts[event.name] = (path, event)
                case ActorClaim():
                    if unique("actor", event.name, event.where, path):
                        actors[event.name] = (path, event)
                case Member():
                    report(
                        codes.E100,
                        f"enum member '{event.name}' is listed twice",
                        n.Span(path, *event.where),
                    )
                case Orphans():
                    for where in () if has_policy else event.places:
                        report(
                            codes.E107,
                            "a rule must stand in a policy file (one with a 'policy' header)",
                            n.Span(path, *where),
                            "shared files hold only facts, judgments, enums, actors and concepts",
                        )
                case _:
                    assert_never(event)
    for file in files:
        for policy, where in file.suites:
            if policy not in found.policies:
                report(
                    codes.E105,
                    f"tests for an unknown policy '{policy}'",
                    n.Span(file.path, *where),
                    *did_you_mean(policy, found.policies),
                )
    for path, fact in facts.values():
        if fact.type == "enum" and fact.enum not in enums:
            name = fact.enum or ""
            span = n.Span(path, *fact.where)
            report(codes.E101, f"unknown enum '{name}'", span, *did_you_mean(name, enums))
    _relations(facts, report)
    for path, actor in actors.values():
        if actor.part_of is not None and actor.part_of not in actors:
            report(
                codes.E102,
                f"unknown actor '{actor.part_of}'",
                n.Span(path, *actor.where),
                *did_you_mean(actor.part_of, actors),
            )
    return found


def _type(fact: FactClaim) -> n.TypeRef:
    return n.TypeRef(fact.type, fact.enum)


def _relations(facts: dict[str, tuple[str, FactClaim]], report: Report) -> None:
    """A city fact's relation to a shared fact (`narrower sought_improper_benefit`): the
    target is a concept's fact, of the same type; `narrower` and `wider` are implications,
    so only between yes/no facts; and following relations never comes back to a fact."""
    for path, fact in facts.values():
        related = fact.relation
        if related is None:
            continue
        at = n.Span(path, *related.where)
        target = facts.get(related.shared)
        if target is None:
            report(
                codes.E101,
                f"unknown fact '{related.shared}'",
                at,
                *did_you_mean(related.shared, facts),
            )
            continue
        target_path, shared = target
        declared = n.Span(target_path, *shared.where)
        if shared.concept is None:
            report(
                codes.E120,
                f"'{fact.name}' is related to '{shared.name}', which is not a shared fact",
                at,
                "relate a city's fact to a fact declared in a concept (concepts.policy)",
                labels=(Label(declared, "declared outside any concept"),),
            )
            continue
        if _type(fact) != _type(shared):
            report(
                codes.E205,
                f"'{fact.name}' is {_type(fact)} but the shared fact '{shared.name}' is "
                f"{_type(shared)}",
                at,
                "related facts describe the same thing and have the same type",
                labels=(Label(declared, f"'{shared.name}' declared here"),),
            )
        elif related.relation != n.Relation.SAME.value and fact.type != "bool":
            report(
                codes.E205,
                f"'{related.relation}' relates yes/no facts; '{fact.name}' is {_type(fact)}",
                at,
                "narrower and wider say which fact implies the other; "
                "other values can only be the same",
            )
    reported: set[str] = set()
    for start in facts:
        path_names: list[str] = []
        name: str | None = start
        while name is not None and name not in path_names and name in facts:
            path_names.append(name)
            relation = facts[name][1].relation
            name = relation.shared if relation is not None else None
        if name is None or name not in path_names or name in reported:
            continue
        cycle = path_names[path_names.index(name) :]
        reported.update(cycle)
        where, fact = facts[name]
        assert fact.relation is not None
        report(
            codes.E121,
            f"relations to shared facts go round: {' → '.join([*cycle, name])}",
            n.Span(where, *fact.relation.where),
            "a city fact relates to a shared fact; relations cannot go round",
        )
