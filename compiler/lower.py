"""Lowering: the checked `Model` (declarations and statements as written) -> `ir.Program`.

This is the only pass after the checker that reads statements and their items.  It assumes a
model without errors: every name resolves, every citation names a clause, every required
item is there (`compiler.check` reported anything else).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from compiler import ir
from compiler import nodes as n
from compiler.errors import PolicycError
from compiler.model import Model
from compiler.model import Policy as CheckedPolicy
from compiler.progress import Steps, quiet
from compiler.project import SHARED_FILES
from compiler.runtime.kinds import Kind


class LoweringError(PolicycError, RuntimeError):
    """The model has a defect the checker should have reported: a bug, not bad input."""


def lower(
    model: Model, root: Path, texts: Mapping[str, bytes] | None = None, steps: Steps = quiet
) -> ir.Program:
    """The lowered program of a checked, error-free model; `root` is the project directory;
    `texts`: the bytes of policy files, by display path, for the content hashes that version
    each policy, beside those the model was checked from (`Model.texts`); a file in neither
    is read from `root`.  `steps` hears of each policy lowered."""
    from compiler.project import gc_paused

    with gc_paused():  # thousands of policies' IR: see project.gc_paused
        return _lower(model, root, texts, steps)


def _lower(model: Model, root: Path, texts: Mapping[str, bytes] | None, steps: Steps) -> ir.Program:
    enums = {
        e.name: ir.Enum(e.name, e.label, tuple(ir.EnumMember(m.name, m.label) for m in e.members))
        for e in model.enums.values()
    }
    facts = {
        f.name: ir.Input(
            f.name,
            f.type,
            f.label,
            concept=f.concept,
            related=ir.Related(f.relation.relation, f.relation.shared) if f.relation else None,
            members=tuple(m.name for m in enums[f.type.enum].members)
            if f.type.name == "enum" and f.type.enum in enums
            else (),
        )
        for f in model.facts.values()
    }
    judgments = {
        j.name: ir.Input(j.name, n.TypeRef("bool"), j.label, judgment=True, refers=j.refers)
        for j in model.judgments.values()
    }
    lowering = _Lowering(model, root, frozenset({*facts, *judgments}), texts or {})
    defines = {
        define.name: lowering.define(policy, define)
        for policy in model.policies.values()
        for define in policy.defines
    }
    lowering.defines = defines
    return ir.Program(
        facts=facts,
        judgments=judgments,
        defines=defines,
        enums=enums,
        concepts={
            c.name: ir.Concept(
                c.name,
                c.label,
                tuple(f.name for f in c.facts),
                tuple(
                    name
                    for name, fact in facts.items()
                    if fact.related is not None
                    and fact.concept != c.name  # a shared fact relating to another of its own
                    and facts[fact.related.shared].concept == c.name
                ),
            )
            for c in model.concepts.values()
        },
        actors={a.name: ir.Actor(a.name, a.label, a.part_of) for a in model.actors.values()},
        policies=lowering.policies(steps),
    )


class _Lowering:
    def __init__(
        self, model: Model, root: Path, inputs: frozenset[str], texts: Mapping[str, bytes]
    ) -> None:
        self.model = model
        self.root = root
        self.texts = {**model.texts, **texts}
        self.inputs = inputs  # the facts and judgments: what a condition can read
        self.defines: dict[str, ir.Define] = {}  # lowered first: policies list their own
        self._vocabulary_sha256: str | None = None  # the same for every policy: hashed once

    def policies(self, steps: Steps) -> dict[str, ir.Policy]:
        lowered: dict[str, ir.Policy] = {}
        for done, policy_id in enumerate(sorted(self.model.policies), start=1):
            lowered[policy_id] = self.policy(self.model.policies[policy_id])
            steps("lowering", done, len(self.model.policies), "policies")
        return lowered

    def reads(self, *exprs: n.Expr) -> tuple[str, ...]:
        """The inputs the expressions read, through definitions, sorted."""
        names = ir.names_through(exprs, self.formula)
        return tuple(sorted({name for name in names if name in self.inputs}))

    def formula(self, name: str) -> n.Expr | None:
        define = self.model.defines.get(name)
        return define.expr if define is not None else None

    def clause(
        self, policy: CheckedPolicy, citation: n.Citation, quotes: tuple[n.Quote, ...]
    ) -> ir.ClauseRef:
        clause = policy.clause_of(citation)
        if clause is None:
            raise LoweringError(f"{citation.span}: the citation {citation.text} is unresolved")
        return ir.ClauseRef(citation.text, clause, tuple(q.text for q in quotes))

    def define(self, policy: CheckedPolicy, define: n.DefineDecl) -> ir.Define:
        return ir.Define(
            define.name,
            define.type,
            policy.id,
            self.clause(policy, define.citation, define.quotes),
            define.expr,
            self.reads(define.expr),
        )

    # ------------------------------------------------------------ policies

    def policy(self, policy: CheckedPolicy) -> ir.Policy:
        header = policy.header
        if policy.source is None:
            raise LoweringError(f"{header.span}: policy {policy.id} has no official text")
        rules = tuple(self.rule(policy, s) for s in policy.statements)
        limits = tuple(
            limit
            for rule in rules
            for limit in (rule.limit, *(step.limit for step in rule.steps))
            if limit is not None
        )
        inputs: set[str] = set()
        for rule in rules:
            inputs |= set(rule.reads)
            for step in rule.steps:
                if step.when is not None:
                    inputs |= set(self.reads(step.when))
        for limit in limits:
            inputs |= set(limit.reads)
        own_defines = tuple(self.defines[d.name] for d in policy.defines)
        for define in own_defines:
            inputs |= set(define.reads)
        marks = [
            ir.Mark(self.clause(policy, i.citation, i.quotes), "informative", i.reason)
            for i in policy.informatives
        ] + [
            ir.Mark(self.clause(policy, p.citation, p.quotes), "pending", None)
            for p in policy.pending
        ]
        return ir.Policy(
            id=policy.id,
            title=header.title or policy.id,
            header=header,
            file=header.span.file,
            document=policy.source,
            rules=rules,
            limits=limits,
            defines=own_defines,
            inputs=tuple(sorted(inputs)),
            precedence=_precedence(rules),
            marks=tuple(marks),
            cases=tuple(case for suite in policy.tests for case in suite.cases),
            version=self.version(policy),
        )

    def rule(self, policy: CheckedPolicy, statement: n.Statement) -> ir.Rule:
        items = statement.index()
        when, require = items.first(n.When), items.first(n.Require)
        overrides = items.first(n.Overrides)
        # What its conditions read: `when`, `require`, and its own limit's extension.
        extend = items.first(n.Extend)
        conditions = [c.condition for c in (when, require, extend) if c is not None]
        clause = self.clause(policy, statement.citation, statement.quotes)
        task = items.first(n.Task)
        every = items.first(n.Every)
        target = items.first(n.Target)
        limit = self.limit(statement, None, statement.items, clause, task)
        return ir.Rule(
            name=statement.name,
            kind=statement.kind,
            clause=clause,
            file=statement.span.file,
            line=statement.span.line,
            when=when.condition if when else None,
            require=require.condition if require else None,
            overrides=overrides.names if overrides and not overrides.all else (),
            overrides_all=bool(overrides and overrides.all),
            excuses=tuple(x for item in items.all(n.Excuses) for x in item.names),
            reads=self.reads(*conditions),
            actors=tuple(a for item in items.all(n.Actors) for a in item.names),
            roles=tuple((r.role, r.actor) for r in items.all(n.Role)),
            task=task.text if task else None,
            every=ir.Every(every.period, every.by_day) if every else None,
            limit=limit,
            steps=tuple(
                self.step(statement, step, order, clause, task)
                for order, step in enumerate(items.all(n.Step), start=1)
            ),
            grants=tuple(g for item in items.all(n.Grants) for g in item.names),
            effects=tuple(e for item in items.all(n.Effects) for e in item.names),
            target=target.name if target else None,
            penalties=tuple(p for item in items.all(n.Penalties) for p in item.names),
            covers=tuple(ir.Covers(c.dimension, c.names, c.texts) for c in items.all(n.Covers)),
            fields=tuple(ir.Field(f.name, f.type, f.label) for f in items.all(n.Field)),
            notes=tuple(note.text for note in items.all(n.Note)),
        )

    def step(
        self,
        statement: n.Statement,
        step: n.Step,
        order: int,
        clause: ir.ClauseRef,
        task: n.Task | None,
    ) -> ir.Step:
        items = step.items
        own_task = _first(items, n.Task)
        when = _first(items, n.When)
        return ir.Step(
            name=step.name,
            label=step.label,
            order=order,
            actors=tuple(a for item in items if isinstance(item, n.Actors) for a in item.names),
            task=own_task.text if own_task else None,
            when=when.condition if when else None,
            limit=self.limit(statement, step, items, clause, task),
            notes=tuple(i.text for i in items if isinstance(i, n.Note)),
        )

    def limit(
        self,
        statement: n.Statement,
        step: n.Step | None,
        items: tuple[n.Item, ...],
        clause: ir.ClauseRef,
        task: n.Task | None,
    ) -> ir.Limit | None:
        within = _first(items, n.Within)
        if within is None:
            return None
        when, extend = _first(items, n.When), _first(items, n.Extend)
        require, keep = _first(items, n.Require), _first(items, n.NoRollover)
        conditions = [c.condition for c in (when, require, extend) if c is not None]
        dates = (within.start, within.end, within.excluded_from, within.excluded_until)
        label = step.label if step is not None else (task.text if task else statement.name)
        return ir.Limit(
            name=step.name if step is not None else statement.name,
            rule=statement.name,
            step=step.name if step is not None else None,
            clause=clause,
            label=label,
            amount=within.limit,
            start=within.start,
            end=within.end,
            excluding=within.excluding,
            excluded_from=within.excluded_from,
            excluded_until=within.excluded_until,
            when=when.condition if when else None,
            extend=ir.Extension(extend.limit, extend.condition) if extend else None,
            reads=tuple(sorted({d for d in dates if d is not None} | set(self.reads(*conditions)))),
            no_rollover=keep.reason if keep else None,
        )

    def version(self, policy: CheckedPolicy) -> dict[str, str]:
        """Content hashes: the policy file, the shared vocabulary, and the official text."""
        supplied = self.texts.get(policy.header.span.file)
        policy_file = Path(policy.header.span.file)
        if not policy_file.is_absolute():
            policy_file = self.root / policy_file
        data = supplied if supplied is not None else policy_file.read_bytes()
        return {
            "policy_sha256": hashlib.sha256(data).hexdigest(),
            "vocabulary_sha256": self.vocabulary_sha256(),
            "source_sha256": policy.header.source_sha256 or "",
        }

    def vocabulary_sha256(self) -> str:
        """The hash of the shared files (`project.SHARED_FILES`: what every policy may read
        besides its own file), whatever else the model holds: lowering a few policies with
        their scopes (compiler/rebuild.py) gives each what lowering all of them does.  Once
        per program."""
        if self._vocabulary_sha256 is None:
            digest = hashlib.sha256()
            for shown in sorted(SHARED_FILES, key=lambda s: Path(s).name):
                path = self.root / shown
                data = self.texts.get(shown)
                if data is None and path.is_file():
                    data = path.read_bytes()
                if data is not None:
                    digest.update(path.name.encode() + b"\0" + data)
            self._vocabulary_sha256 = digest.hexdigest()
        return self._vocabulary_sha256


def _precedence(rules: tuple[ir.Rule, ...]) -> tuple[ir.Override, ...]:
    """Which exclusion defeats which rule: `overrides all` reaches every situation."""
    situations = [r.name for r in rules if r.kind is Kind.SITUATION]
    edges: list[ir.Override] = []
    for rule in rules:
        if rule.kind is not Kind.EXCLUSION:
            continue
        targets = situations if rule.overrides_all else list(rule.overrides)
        edges += [ir.Override(rule.name, target, rule.overrides_all) for target in targets]
    return tuple(edges)


def _first(items: tuple[n.Item, ...], item_type: type[n.ItemT]) -> n.ItemT | None:
    return next((i for i in items if isinstance(i, item_type)), None)


def load_program(root: Path, steps: Steps = quiet, *, cached: bool = False) -> ir.Program:
    """The lowered program of the project at `root` (for tools, tests and the site); a project
    with check errors raises ProjectError with the rendered diagnostics.  `steps` hears of the
    files parsed and the policies checked (`policyc site`'s line on a terminal).  `cached`:
    the files are read through the project's parse cache (compiler/cache.py), where it can
    be used safely."""
    from compiler.cache import open_cache
    from compiler.check import check  # the checker is a front-end pass: import it only here
    from compiler.diagnostics import render_all, skipped, stopped_at_syntax
    from compiler.project import load

    def parsed(done: int, total: int) -> None:
        steps("parsing", done, total, "files")

    root = root.resolve()  # the spans' paths are relative to it, as `load` makes them
    cache = open_cache(root) if cached else None
    model, diagnostics = check(load(root, cache=cache, progress=parsed), steps)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        rendered = render_all(errors)
        if stopped_at_syntax(errors):  # as `policyc check` says it (compiler/cli.py)
            rendered += f"\n{skipped(errors)}"
        raise ProjectError(rendered)
    return lower(model, root, steps=steps)


class ProjectError(PolicycError, ValueError):
    """A project that does not check clean cannot be lowered."""
