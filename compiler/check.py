"""Checks: names, types, citations, quotes, precedence -> diagnostics, and the checked `Model`.

Codes (the README lists them): E0xx syntax and input, E1xx names and structure, E2xx types,
E3xx citations, quotes and sources, E4xx policy tests.  Every check collects diagnostics and
goes on, so that one run shows every problem; but where a file has a syntax error (E0xx, but
E007) nothing is checked and the input and syntax errors alone are reported
(`diagnostics.syntax_stage`): what checking would find then follows from that file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, assert_never

from compiler import codes, declare
from compiler import nodes as n
from compiler.diagnostics import Diagnostic, Label, SourceLines, did_you_mean, syntax_stage
from compiler.ids import reserved_because
from compiler.kinds import ENUM_OF_ITEM, SINGLE_ITEMS, SPECS, STEP_ITEMS, TARGETS
from compiler.model import Model, Policy, WrittenLimit, citation_key
from compiler.progress import Steps, quiet
from compiler.project import SHARED_FILES, LoadedFiles, gc_paused
from compiler.runtime.kinds import CHECKED_KINDS, DECISION_KINDS, Kind
from compiler.runtime.policy import ROLLOVER_UNITS
from compiler.runtime.values import DAY_UNITS, MOMENT_TYPES, NUMERIC, ORDERED, TYPES
from compiler.sources import (
    CitationSyntaxError,
    Clause,
    SourceDocument,
    SourceError,
    load_source,
    parse_citation,
)

REQUIRED_EXAMPLES: dict[type, str] = {
    n.When: "when some_fact and other_fact",
    n.Overrides: "overrides all   (or: overrides situation_a, situation_b)",
    n.Within: "within 7 workdays from start_date until end_date",
    n.Grants: "grants exempt, lighter",
    n.Target: "target individual",
}
FUNCTIONS = {"min", "max", "day_of_month", "inclusive_days"}


def _t(name: str, enum: str | None = None) -> n.TypeRef:
    return n.TypeRef(name, enum)


class Checker:
    """The project-wide passes (`declare`: every file's declarations, their uniqueness and
    relations, test suites' policies) and the per-policy passes (`check_policy`: the official
    text, quotes, statements, definitions, tests).

    A policy's passes see only its scope (`scope_of`): the shared vocabulary
    (`project.SHARED_FILES`) and the declarations of its own file.  So what they find depends
    on those files, the policy's tests and its official text alone, which is what lets
    `compiler.incremental` keep a policy's findings by content and re-check only the policies
    an edit touches.  A name declared in another policy's file is an error there (E122)."""

    def __init__(self, loaded: LoadedFiles, elsewhere: Mapping[str, str] | None = None) -> None:
        self.loaded = loaded
        self.lines: SourceLines = loaded.lines
        self.model = Model(texts=loaded.texts)  # every file's declarations: project-wide
        self.scope = self.model  # what the pass running now may read (see scope_of)
        self.by_file: dict[str, Model] = {}  # each file's own declarations, by display path
        self._shared: Model | None = None
        self._visible: frozenset[str] = frozenset()  # the files the running pass can see
        # Which file first declares a name, for a name a policy cannot see: the project's
        # tables, or (incremental checking, where they are not all loaded) an index of them.
        self.elsewhere = elsewhere
        # The names a policy's passes looked up there and what they found: what its findings
        # depend on beyond its scope (compiler.incremental checks them before reusing them).
        self.lookups: dict[str, str | None] = {}
        self.diagnostics: list[Diagnostic] = []

    # ------------------------------------------------------------ reporting

    def error(
        self,
        code: codes.Code,
        message: str,
        span: n.Span | None,
        *help: str,
        labels: Sequence[Label] = (),
    ) -> None:
        # The checker knows every file's lines: quote them for the secondary places too.
        quoted = tuple(replace(label, source_line=self.lines.line(label.span)) for label in labels)
        self.diagnostics.append(
            Diagnostic(code, message, span, self.lines.line(span), help, quoted)
        )

    # ------------------------------------------------------------ passes

    def run(self, steps: Steps = quiet) -> Model:
        self.declare()
        total = len(self.model.policies)
        for done, policy in enumerate(self.model.policies.values(), start=1):
            self.check_policy(policy)
            steps("checking", done, total, "policies")
        return self.model

    def check_policy(self, policy: Policy) -> None:
        """The per-policy passes, in the policy's scope."""
        self.scope = self.scope_of(policy)
        self._visible = frozenset({*SHARED_FILES, policy.file})
        try:
            self._load_source(policy)
            for name, define in sorted(self.by_file[policy.file].defines.items()):
                self._check_define(name, define)
            self._check_policy(policy)
        finally:
            self.scope = self.model

    def scope_of(self, policy: Policy) -> Model:
        """The names a policy's rules, definitions and tests may read: the shared vocabulary's
        and its own file's (its own first where both declare one: E100 reports that)."""
        if self._shared is None:
            self._shared = Model()
            for file in SHARED_FILES:
                self._shared.include(self.by_file.get(file, Model()))
        scope = Model(policies=self.model.policies)
        scope.include(self._shared)
        scope.include(self.by_file[policy.file])
        return scope

    def _declared_elsewhere(self, name: str) -> str | None:
        """The file declaring `name` when the running pass cannot see it there: another
        policy's file.  None in the project-wide passes, which see everything."""
        if self.scope is self.model:
            return None
        if self.elsewhere is not None:
            file = self.elsewhere.get(name)
        else:
            file = _declaring_file(self.model, name)
        self.lookups[name] = file
        # Declared where the policy can see it, as another kind of name (a judgment where a
        # fact is wanted): unknown as what it is looked up for.
        return None if file in self._visible else file

    def _unknown(
        self, code: codes.Code, what: str, name: str, span: n.Span, known: Iterable[str]
    ) -> None:
        file = self._declared_elsewhere(name)
        if file is None:
            self.error(code, f"unknown {what} '{name}'", span, *did_you_mean(name, known))
            return
        self.error(
            codes.E122,
            f"'{name}' is declared in {file}, another policy's file",
            span,
            "a policy reads its own declarations and the shared vocabulary "
            f"({', '.join(SHARED_FILES)}) only: declare it in this policy's file, or share it",
        )

    # ------------------------------------------------------------ declarations

    def declare(self) -> None:
        """The project-wide passes (compiler/declare.py, over every file's declarations), and
        the model's tables: each name's first declaration, each file's own, each policy's
        rules and tests."""
        found = declare.run([declare.of(module) for module in self.loaded.modules], self.error)
        model = self.model

        path = ""  # the file the loop below is at

        def first(what: str, item: Any, table: dict[str, Any], mine: dict[str, Any]) -> None:
            # A file's own tables keep its first of a name; the model's, the project's first
            # (`run` says whose: this file's, as this kind).
            mine.setdefault(item.name, item)
            if item.name not in table and found.first(what, item.name, path):
                table[item.name] = item

        for module in self.loaded.modules:
            path = module.path
            own = self.by_file.setdefault(path, Model())

            header = module.header
            policy: Policy | None = None
            if header is not None and found.policies.get(header.id) == path:
                policy = Policy(header)
                model.policies[header.id] = policy

            for item in module.items:
                match item:
                    case n.ConceptDecl():
                        first("concept", item, model.concepts, own.concepts)
                        for fact in item.facts:
                            first("fact", fact, model.facts, own.facts)
                    case n.FactDecl():
                        first("fact", item, model.facts, own.facts)
                    case n.JudgmentDecl():
                        first("judgment", item, model.judgments, own.judgments)
                    case n.EnumDecl():
                        first("enum", item, model.enums, own.enums)
                    case n.ActorDecl():
                        first("actor", item, model.actors, own.actors)
                    case n.DefineDecl():
                        first("definition", item, model.defines, own.defines)
                        if policy is not None:
                            policy.defines.append(item)
                    case n.Statement():
                        if policy is not None:
                            policy.statements.append(item)
                    case n.Informative():
                        if policy is not None:
                            policy.informatives.append(item)
                    case n.Pending():
                        if policy is not None:
                            policy.pending.append(item)
                    case n.TestSuite() | n.PolicyHeader():
                        pass  # suites attach to their policy below; headers made the policy
                    case _:
                        assert_never(item)
        for module in self.loaded.modules:
            for item in module.items:
                if isinstance(item, n.TestSuite) and item.policy in model.policies:
                    model.policies[item.policy].tests.append(item)

    # ------------------------------------------------------------ sources

    def _load_source(self, policy: Policy) -> None:
        header = policy.header
        if header.source is None:
            self.error(
                codes.E301,
                f"policy '{header.id}' names no official text",
                header.span,
                'add: source "sources/<id>.txt" sha256 "<hash>"',
            )
            return
        path = self.loaded.root / "policies" / header.source
        # A policy file supplied in memory (a version from git) brings its own official text.
        supplied = self.loaded.sources.get(header.span.file)
        try:
            if isinstance(supplied, SourceError):
                path = supplied.path
                raise supplied
            document = supplied if supplied is not None else load_source(path)
        except SourceError as error:
            reason = str(error).removeprefix(f"{path}: ")
            self.error(
                codes.E301,
                f"cannot read the official text {header.source}: {reason}",
                header.span,
                "the path is relative to policies/, e.g. sources/ningbo.txt",
            )
            return
        if header.source_sha256 != document.sha256:
            self.error(
                codes.E302,
                f"the official text {header.source} does not match the recorded sha256",
                header.span,
                f"recorded {header.source_sha256}",
                f"actual   {document.sha256}",
                "the official text must stay byte-identical to the published document",
            )
        policy.source = document
        for statement in policy.statements:
            self._resolve(policy, statement.citation, statement.quotes)
        for define in policy.defines:
            self._resolve(policy, define.citation, define.quotes)
        for informative in policy.informatives:
            self._resolve(policy, informative.citation, informative.quotes)
        for pending in policy.pending:
            self._resolve(policy, pending.citation, pending.quotes)

    def _resolve(self, policy: Policy, citation: n.Citation, quotes: Iterable[n.Quote]) -> None:
        document = policy.source
        assert document is not None
        try:
            parse_citation(citation.text)
        except CitationSyntaxError as error:
            self.error(
                codes.E303, f"cannot read the citation {citation.text}: {error}", citation.span
            )
            return
        resolution = document.resolve(citation.text)
        if resolution.clause is None and resolution.candidates:
            self.error(
                codes.E304,
                f"the citation {citation.text} is ambiguous in {policy.id}",
                citation.span,
                "it could be " + ", ".join(c.citation for c in resolution.candidates),
            )
            return
        if resolution.clause is None:
            hint = (
                ("nearest clauses: " + ", ".join(resolution.suggestions),)
                if resolution.suggestions
                else ()
            )
            self.error(
                codes.E305, f"{policy.id} has no clause {citation.text}", citation.span, *hint
            )
            return
        clause = resolution.clause
        policy.clauses[citation_key(citation)] = clause
        for quote in quotes:
            verdict = document.verify_quote(clause, quote.text)
            if not verdict.ok:
                elsewhere = _clause_quoting(document, quote.text)
                quote_hint = (
                    f"the quote is in {elsewhere.citation}: cite that clause"
                    if elsewhere is not None
                    else f"nearest passage ({verdict.similarity:.0%} alike): {verdict.nearest}"
                )
                self.error(
                    codes.E306,
                    f"this quote is not in {clause.citation} of {policy.id}",
                    quote.span,
                    quote_hint,
                )

    # ------------------------------------------------------------ statements

    def _check_policy(self, policy: Policy) -> None:
        header = policy.header
        reserved = reserved_because(header.id)
        if reserved is not None:
            self.error(
                codes.E119,
                f"'{header.id}' cannot be a policy id: it is {reserved}",
                header.span,
                "choose another id",
            )
        if header.title is None:
            self.error(codes.E108, f"policy '{header.id}' has no title", header.span)
        # Only a policy that decides something needs to say what its decision is.
        if header.decision is None and any(s.kind in DECISION_KINDS for s in policy.statements):
            self.error(
                codes.E109,
                f"policy '{header.id}' has gates, situations or exclusions but no decision",
                header.span,
                'add e.g.: decision tolerance "容错纠错"',
            )
        names: dict[str, n.Span] = {}
        for statement in policy.statements:
            if statement.name in names:
                self.error(
                    codes.E100,
                    f"'{statement.name}' is used twice in policy {policy.id}",
                    statement.span,
                    labels=(Label(names[statement.name], "first used here"),),
                )
            names[statement.name] = statement.span
            for step in statement.all(n.Step):
                if step.name in names:
                    self.error(
                        codes.E100,
                        f"'{step.name}' is used twice in policy {policy.id}",
                        step.span,
                        labels=(Label(names[step.name], "first used here"),),
                    )
                names[step.name] = step.span
        for statement in policy.statements:
            self._check_statement(policy, statement)
        for suite in policy.tests:
            self._check_tests(policy, suite)

    def _check_statement(self, policy: Policy, statement: n.Statement) -> None:
        spec = SPECS[statement.kind]
        self._check_items(statement.kind, statement.items, spec.allowed, statement.span)
        self._check_limit_items(statement.items, statement.span)
        for required in spec.required:
            if statement.first(required) is None:
                article = "an" if statement.kind[0] in "aeiou" else "a"
                example = REQUIRED_EXAMPLES.get(required)
                self.error(
                    codes.E111,
                    f"{article} {statement.kind} needs '{n.ITEM_KEYWORDS[required]}'",
                    statement.span,
                    *((f"for example: {example}",) if example else ()),
                )
        for item in statement.items:
            self._check_item(policy, statement, item)

    def _check_items(
        self, where: str, items: Iterable[n.Item], allowed: tuple[type, ...], span: n.Span
    ) -> None:
        counts: dict[type, int] = {}
        for item in items:
            counts[type(item)] = counts.get(type(item), 0) + 1
            if not isinstance(item, allowed):
                words = ", ".join(n.ITEM_KEYWORDS[t] for t in allowed)
                self.error(
                    codes.E110,
                    f"'{n.ITEM_KEYWORDS[type(item)]}' has no meaning in a {where}",
                    item.span,
                    f"a {where} takes: {words}",
                )
            elif isinstance(item, SINGLE_ITEMS) and counts[type(item)] == 2:
                self.error(
                    codes.E112,
                    f"a {where} takes one '{n.ITEM_KEYWORDS[type(item)]}'",
                    item.span,
                    "join the conditions with 'and' / 'or'",
                )

    def _check_item(self, policy: Policy, statement: n.Statement, item: n.Item) -> None:
        match item:
            case n.When() | n.Require():
                self._expect_bool(item.condition, "condition")
            case n.Within():
                self._check_within(item)
            case n.Extend():
                self._expect_bool(item.condition, "condition")
            case n.NoRollover():
                if not item.reason.strip():
                    self.error(
                        codes.E118,
                        "'no rollover' must say why the limit does not move off a holiday",
                        item.span,
                        "民法典 第二百零四条 allows another counting only where a law or the "
                        'parties provide otherwise: write which, e.g. no rollover "…另有规定"',
                    )
            case n.Actors():
                for name in item.names:
                    self._known_actor(name, item.span)
            case n.Role():
                self._known_actor(item.actor, item.span)
            case n.Overrides():
                self._check_overrides(policy, item)
            case n.Excuses():
                self._check_liabilities(policy, item.names, item.span, codes.E116, "excuses")
            case n.Grants() | n.Effects() | n.Penalties():
                enum = ENUM_OF_ITEM[type(item)]
                members = self.scope.members(enum)
                for name in item.names:
                    if name not in members:
                        self.error(
                            codes.E103,
                            f"'{name}' is not a member of enum {enum}",
                            item.span,
                            *did_you_mean(name, members),
                        )
            case n.Covers():
                self._check_covers(item)
            case n.Target():
                if item.name not in TARGETS:
                    self.error(
                        codes.E103,
                        f"a sanction targets an individual or a unit, not '{item.name}'",
                        item.span,
                        "write: target individual | target unit",
                    )
            case n.Step():
                self._check_items("step", item.items, STEP_ITEMS, item.span)
                self._check_limit_items(item.items, item.span)
                for inner in item.items:
                    self._check_item(policy, statement, inner)
            case n.Field():
                self._check_type(item.type, item.span)
            case n.Every() | n.Task() | n.Note():
                pass
            case _:
                assert_never(item)

    def _check_within(self, within: n.Within) -> None:
        for fact in (within.start, within.end, within.excluded_from, within.excluded_until):
            if fact is None:
                continue
            decl = self.scope.facts.get(fact)
            if decl is None:
                self._unknown(codes.E101, "fact", fact, within.span, self.scope.facts)
            elif decl.type.name not in MOMENT_TYPES:
                self.error(
                    codes.E201,
                    f"a time limit counts from and until dates or date-times; '{fact}' is "
                    f"{decl.type}",
                    within.span,
                )
        if within.excluding is not None and within.excluding not in self.scope.members("period"):
            self.error(
                codes.E103,
                f"'{within.excluding}' is not a period (enum period)",
                within.span,
                *did_you_mean(within.excluding, self.scope.members("period")),
            )

    def _check_overrides(self, policy: Policy, item: n.Overrides) -> None:
        # An exclusion takes away the relief a situation gives; a gate is a precondition of all
        # relief and the decision never lets an exclusion defeat one (docs/language.md).
        kinds = {s.name: s.kind for s in policy.statements}
        situations = {name for name, kind in kinds.items() if kind is Kind.SITUATION}
        for name in item.names:
            if name in situations:
                continue
            help = (
                (f"'{name}' is a {kinds[name]}: an exclusion overrides situations only",)
                if name in kinds
                else did_you_mean(name, situations)
            )
            self.error(
                codes.E104, f"'{name}' is not a situation of policy {policy.id}", item.span, *help
            )

    def _check_liabilities(
        self, policy: Policy, names: tuple[str, ...], span: n.Span, code: codes.Code, what: str
    ) -> None:
        """Names of liabilities of the policy: what a situation excuses, or what a test expects
        relief to cover.  Only a liability has a failing whose `when` the facts decide
        (docs/language.md, "What relief covers")."""
        kinds = {s.name: s.kind for s in policy.statements}
        liabilities = {name for name, kind in kinds.items() if kind is Kind.LIABILITY}
        for name in names:
            if name in liabilities:
                continue
            help = (
                (f"'{name}' is a {kinds[name]}: '{what}' names liabilities only",)
                if name in kinds
                else did_you_mean(name, liabilities)
            )
            self.error(code, f"'{name}' is not a liability of policy {policy.id}", span, *help)

    def _check_limit_items(self, items: tuple[n.Item, ...], span: n.Span) -> None:
        """An `extend` extends the `within` beside it; a period is excluded from days."""
        within = next((i for i in items if isinstance(i, n.Within)), None)
        for extend in (i for i in items if isinstance(i, n.Extend)):
            if within is None:
                self.error(
                    codes.E114,
                    "'extend' needs the time limit it extends: a 'within' beside it",
                    extend.span,
                    "for example: within 7 workdays … extend to 15 workdays when complex_case",
                )
            elif within.excluding is not None and extend.limit.unit not in DAY_UNITS:
                self.error(
                    codes.E115,
                    f"the limit excludes {within.excluding}, but its extension counts "
                    f"{extend.limit.unit}",
                    extend.span,
                    "a period is left out of a count of days or workdays only",
                )
        extension = next((i for i in items if isinstance(i, n.Extend)), None)
        units = {d.limit.unit for d in (within, extension) if d is not None}
        for keep in (i for i in items if isinstance(i, n.NoRollover)):
            if within is None:
                self.error(
                    codes.E117,
                    "'no rollover' needs the time limit it keeps: a 'within' beside it",
                    keep.span,
                )
            elif not units & set(ROLLOVER_UNITS):
                self.error(
                    codes.E117,
                    f"a count of {' or '.join(sorted(units))} never moves off a holiday",
                    keep.span,
                    "only a limit in days, months or years rolls over (民法典 第二百零三条); "
                    "workdays end on a working day anyway and hours run from the moment",
                )
        if (
            within is not None
            and within.excluding is not None
            and within.limit.unit not in DAY_UNITS
        ):
            self.error(
                codes.E115,
                f"a count of {within.limit.unit} cannot leave out {within.excluding}",
                within.span,
                "a period is left out of a count of days or workdays only",
            )

    def _check_covers(self, item: n.Covers) -> None:
        for name in item.names:
            if item.dimension == "staff":
                self._known_actor(name, item.span)
            elif item.dimension == "programmes" and name not in self.scope.members("programme"):
                self.error(
                    codes.E103,
                    f"'{name}' is not a programme (enum programme)",
                    item.span,
                    *did_you_mean(name, self.scope.members("programme")),
                )
            elif item.dimension not in ("staff", "programmes"):
                self.error(
                    codes.E113,
                    f"'covers {item.dimension}' takes quoted descriptions, not names",
                    item.span,
                )

    def _known_actor(self, name: str, span: n.Span) -> None:
        if name not in self.scope.actors:
            self._unknown(codes.E102, "actor", name, span, self.scope.actors)

    def _check_type(self, type_: n.TypeRef, span: n.Span) -> None:
        if type_.name == "enum" and type_.enum not in self.scope.enums:
            self._unknown(codes.E101, "enum", type_.enum or "", span, self.scope.enums)

    def _check_define(self, name: str, define: n.DefineDecl) -> None:
        actual = self.type_of(define.expr)
        if actual is not None and not _assignable(actual, define.type):
            self.error(
                codes.E201,
                f"'{name}' is declared {define.type} but its formula gives {actual}",
                define.span,
            )

    # ------------------------------------------------------------ types

    def _expect_bool(self, expr: n.Expr, what: str) -> None:
        actual = self.type_of(expr)
        if actual is not None and actual.name != "bool":
            self.error(
                codes.E201,
                f"a {what} must be true or false, but this is {actual}",
                _span_of(expr),
                "compare it: e.g. x >= 3",
            )

    def type_of(self, expr: n.Expr, enum_hint: str | None = None) -> n.TypeRef | None:
        """The type of an expression, or None after reporting why it has none."""
        match expr:
            case n.Literal():
                return self._usable(expr.type, expr.span)
            case n.Name():
                found = self._type_of_name(expr, enum_hint)
                return None if found is None else self._usable(found, expr.span)
            case n.Not():
                self._expect_bool(expr.operand, "operand of 'not'")
                return _t("bool")
            case n.BoolOp():
                for operand in expr.operands:
                    self._expect_bool(operand, f"operand of '{expr.op}'")
                return _t("bool")
            case n.InSet():
                left = self.type_of(expr.operand)
                if left is None:
                    return _t("bool")
                if left.name != "enum":
                    self.error(codes.E202, f"'in {{…}}' tests an enum value, not {left}", expr.span)
                    return _t("bool")
                members = self.scope.members(left.enum or "")
                for member in expr.members:
                    if member not in members:
                        self.error(
                            codes.E103,
                            f"'{member}' is not a member of enum {left.enum}",
                            expr.span,
                            *did_you_mean(member, members),
                        )
                return _t("bool")
            case n.Compare():
                return self._type_of_compare(expr)
            case n.Arith():
                return self._type_of_arith(expr)
            case n.Call():
                if expr.function not in FUNCTIONS:
                    self.error(
                        codes.E203,
                        f"unknown function '{expr.function}'",
                        expr.span,
                        "the functions are min(…), max(…), day_of_month(…) and inclusive_days(…)",
                    )
                    return None
                types = [self.type_of(a) for a in expr.args]
                if expr.function == "day_of_month":
                    if len(types) != 1 or (types[0] is not None and types[0].name != "date"):
                        self.error(codes.E202, "day_of_month(…) takes one date", expr.span)
                    return _t("int")
                if expr.function == "inclusive_days":
                    if len(types) != 2 or any(t is not None and t.name != "date" for t in types):
                        self.error(
                            codes.E202,
                            "inclusive_days(…) takes two dates: the first and the last day",
                            expr.span,
                        )
                    return _t("int")
                if any(t is None for t in types):
                    return None
                known = [t for t in types if t is not None]
                if all(t.name in NUMERIC for t in known):
                    return _t("int") if all(t.name == "int" for t in known) else _t("ratio")
                if all(t == known[0] for t in known) and known[0].name in ORDERED:
                    return known[0]
                self.error(
                    codes.E202,
                    f"{expr.function}(…) needs values of one kind, got "
                    + ", ".join(str(t) for t in known),
                    expr.span,
                )
                return None
            case n.Conditional():
                self._expect_bool(expr.condition, "condition of 'if'")
                then, otherwise = self.type_of(expr.then), self.type_of(expr.otherwise)
                if then is None or otherwise is None:
                    return None
                if then == otherwise:
                    return then
                if then.name in NUMERIC and otherwise.name in NUMERIC:
                    return _t("ratio")
                self.error(
                    codes.E202, f"the branches of 'if' differ: {then} and {otherwise}", expr.span
                )
                return None
            case _:
                assert_never(expr)

    def _usable(self, type_: n.TypeRef, span: n.Span) -> n.TypeRef | None:
        """The type, if an expression may use its values (the value table says which)."""
        if type_.name == "enum" or TYPES[type_.name].in_expressions:
            return type_
        self.error(
            codes.E202,
            f"a {type_} value cannot be used in a condition or formula",
            span,
            "a date-time is only the start or end of a time limit ('within … from … until …'); "
            "it may be a date alone, whose time of day is unknown",
        )
        return None

    def _type_of_name(self, expr: n.Name, enum_hint: str | None) -> n.TypeRef | None:
        if expr.name in self.scope.facts:
            return self.scope.facts[expr.name].type
        if expr.name in self.scope.judgments:
            return _t("bool")
        if expr.name in self.scope.defines:
            return self.scope.defines[expr.name].type
        if enum_hint is not None and expr.name in self.scope.members(enum_hint):
            return _t("enum", enum_hint)
        owners = self.scope.enums_with_member(expr.name)
        if len(owners) == 1:
            return _t("enum", owners[0])
        known = [*self.scope.facts, *self.scope.judgments, *self.scope.defines]
        self._unknown(codes.E101, "name", expr.name, expr.span, known)
        return None

    def _type_of_compare(self, expr: n.Compare) -> n.TypeRef:
        # A bare enum member takes its enum from the other side (program == dibao), so type
        # the side that is a value first, and each side exactly once.
        left_first = not (isinstance(expr.left, n.Name) and not self._is_value(expr.left.name))
        if left_first:
            left = self.type_of(expr.left)
            right = self.type_of(expr.right, left.enum if left and left.name == "enum" else None)
        else:
            right = self.type_of(expr.right)
            left = self.type_of(expr.left, right.enum if right and right.name == "enum" else None)
        if left is None or right is None:
            return _t("bool")
        if expr.op in ("==", "!="):
            if left == right or (left.name in NUMERIC and right.name in NUMERIC):
                return _t("bool")
        elif (left.name in NUMERIC and right.name in NUMERIC) or (
            left == right and left.name in ORDERED
        ):
            return _t("bool")
        self.error(
            codes.E202,
            f"cannot compare {left} {expr.op} {right}",
            expr.span,
            *(
                ("order compares numbers, money, dates or durations",)
                if expr.op not in ("==", "!=")
                else ()
            ),
        )
        return _t("bool")

    def _value_names(self) -> set[str]:
        return {*self.scope.facts, *self.scope.judgments, *self.scope.defines}

    def _is_value(self, name: str) -> bool:
        # Not `name in self._value_names()`: that set holds every policy's facts, and building
        # it per comparison made checking quadratic in the number of policies.
        model = self.scope
        return name in model.facts or name in model.judgments or name in model.defines

    def _type_of_arith(self, expr: n.Arith) -> n.TypeRef | None:
        left, right = self.type_of(expr.left), self.type_of(expr.right)
        if left is None or right is None:
            return None
        result = arith_result(expr.op, left.name, right.name)
        if result is None:
            self.error(codes.E202, f"cannot compute {left} {expr.op} {right}", expr.span)
            return None
        return _t(result)

    # ------------------------------------------------------------ policy tests

    def _check_tests(self, policy: Policy, suite: n.TestSuite) -> None:
        names: set[str] = set()
        limits = policy.limits()
        for case in suite.cases:
            if case.name in names:
                self.error(codes.E100, f"test case '{case.name}' is written twice", case.span)
            names.add(case.name)
            for binding in case.given:
                self._check_binding(binding)
            for citation in case.cites:
                if (
                    policy.source is not None
                    and policy.source.resolve(citation.text).clause is None
                ):
                    self.error(
                        codes.E305, f"{policy.id} has no clause {citation.text}", citation.span
                    )
            for name in case.missing or ():
                if name not in self.scope.facts:
                    self._unknown(codes.E101, "fact", name, case.span, self.scope.facts)
            relief = self.scope.members(ENUM_OF_ITEM[n.Grants])
            for grant_check in case.grant_checks:
                for name in grant_check.names:
                    if name not in relief:
                        self.error(
                            codes.E103,
                            f"'{name}' is not a member of enum {ENUM_OF_ITEM[n.Grants]}",
                            grant_check.span,
                            *did_you_mean(name, relief),
                        )
            for exempt_check in case.exempt_checks:
                word = "not_exempted" if exempt_check.not_exempted else "exempts"
                self._check_liabilities(
                    policy, exempt_check.names, exempt_check.span, codes.E407, word
                )
            for due in case.dues:
                if due.limit not in limits:
                    self.error(
                        codes.E401,
                        f"policy {policy.id} has no time limit '{due.limit}'",
                        due.span,
                        *did_you_mean(due.limit, limits),
                    )
                elif limits[due.limit].within.limit.unit == "hours" and not (
                    isinstance(due.start, datetime) and isinstance(due.expected, datetime)
                ):
                    self.error(
                        codes.E402,
                        f"the time limit '{due.limit}' counts hours: it runs from a moment, "
                        "and is due at one",
                        due.span,
                        "write both as date-times: due … from 2024-03-01T09:30 is 2024-03-02T09:30",
                    )
                elif limits[due.limit].within.limit.unit != "hours" and isinstance(
                    due.expected, datetime
                ):
                    self.error(
                        codes.E402,
                        f"the time limit '{due.limit}' counts "
                        f"{limits[due.limit].within.limit.unit}: it is due on a day",
                        due.span,
                        "write the expected due date as YYYY-MM-DD (a date-time start counts "
                        "from its day)",
                    )
                elif due.extended and limits[due.limit].extend is None:
                    self.error(
                        codes.E402, f"the time limit '{due.limit}' cannot be extended", due.span
                    )
                elif due.excluded is not None and limits[due.limit].within.excluding is None:
                    self.error(
                        codes.E402,
                        f"the time limit '{due.limit}' excludes no period",
                        due.span,
                        "only a limit written with 'excluding PERIOD' (不含公示期) takes one",
                    )
                if due.excluded is not None and due.excluded[0] > due.excluded[1]:
                    self.error(codes.E406, "the excluded period ends before it starts", due.span)
            rules = {s.name: s for s in policy.statements}
            for record_check in case.record_checks:
                self._check_record_check(record_check, limits, rules)
            for check in case.rule_checks:
                rule = rules.get(check.rule)
                if rule is None:
                    self.error(
                        codes.E405,
                        f"policy {policy.id} has no rule '{check.rule}'",
                        check.span,
                        *did_you_mean(check.rule, rules),
                    )
                elif rule.first(n.When) is None and rule.first(n.Require) is None:
                    self.error(
                        codes.E405,
                        f"the {rule.kind} '{check.rule}' has no condition to test",
                        check.span,
                        "'holds' and 'fails' test a rule's 'when' or 'require'",
                    )
            decides = case.expect is not None or bool(case.grant_checks) or bool(case.exempt_checks)
            if not decides and not case.dues and not case.rule_checks and not case.record_checks:
                self.error(
                    codes.E403,
                    f"test case '{case.name}' expects nothing",
                    case.span,
                    "add 'expect OUTCOME', a 'due … is …' check, 'holds'/'fails RULE' or "
                    "'check NAME is STATUS'",
                )
            if decides and not any(s.kind in DECISION_KINDS for s in policy.statements):
                self.error(
                    codes.E404, f"policy {policy.id} makes no relief decision to test", case.span
                )

    def _check_record_check(
        self,
        check: n.RecordCheck,
        limits: dict[str, WrittenLimit],
        rules: dict[str, n.Statement],
    ) -> None:
        """`check NAME is STATUS` names a time limit with both dates, or a checked rule with a
        condition: what a case record's checks report (runtime/checks.py)."""
        limit = limits.get(check.name)
        if limit is not None and limit.within.start is not None and limit.within.end is not None:
            return
        rule = rules.get(check.name)
        if (
            rule is not None
            and rule.kind in CHECKED_KINDS
            and (rule.first(n.When) is not None or rule.first(n.Require) is not None)
        ):
            return
        checkable = sorted(
            {name for name, w in limits.items() if w.within.start and w.within.end}
            | {
                name
                for name, r in rules.items()
                if r.kind in CHECKED_KINDS
                and (r.first(n.When) is not None or r.first(n.Require) is not None)
            }
        )
        self.error(
            codes.E408,
            f"'{check.name}' is not a time limit with 'from' and 'until' dates, nor a duty, "
            "requirement or liability with a condition: a record has no check of it",
            check.span,
            *did_you_mean(check.name, checkable),
        )

    def _check_binding(self, binding: n.Binding) -> None:
        decl_type: n.TypeRef | None = None
        if binding.name in self.scope.facts:
            decl_type = self.scope.facts[binding.name].type
        elif binding.name in self.scope.judgments:
            decl_type = _t("bool")
        else:
            known = [*self.scope.facts, *self.scope.judgments]
            self._unknown(codes.E101, "fact", binding.name, binding.span, known)
            return
        value = binding.value
        if isinstance(value, n.Name):
            if decl_type.name != "enum" or value.name not in self.scope.members(
                decl_type.enum or ""
            ):
                self.error(
                    codes.E204,
                    f"'{binding.name}' is {decl_type}; '{value.name}' is not one of its values",
                    binding.span,
                    *did_you_mean(value.name, self.scope.members(decl_type.enum or "")),
                )
            return
        if not _assignable(value.type, decl_type):
            self.error(
                codes.E204, f"'{binding.name}' is {decl_type}, not {value.type}", binding.span
            )


def _clause_quoting(document: SourceDocument, quote: str) -> Clause | None:
    """The innermost clause whose text holds `quote`, if any: for a quote cited to the wrong
    clause, naming the right one helps more than the nearest near-miss."""
    found: Clause | None = None
    for clause in document.clauses():
        if document.verify_quote(clause, quote).ok and (
            found is None or len(clause.path) > len(found.path)
        ):
            found = clause
    return found


def arith_result(op: str, left: str, right: str) -> str | None:
    """The type of `left op right`, or None when the operation makes no sense."""
    if left in NUMERIC and right in NUMERIC:
        return "int" if left == right == "int" and op != "/" else "ratio"
    if op in "+-":
        if left == right and left in ("money", "duration"):
            return left
        if left == "date" and right == "duration":
            return "date"
        return None
    if op == "*":
        if {left, right} <= {"money"} | NUMERIC and "money" in (left, right) and left != right:
            return "money"
        return None
    if left == "money" and right in NUMERIC:
        return "money"
    if left == right == "money":
        return "ratio"
    return None


def _assignable(actual: n.TypeRef, declared: n.TypeRef) -> bool:
    if actual == declared:
        return True
    if declared.name == "datetime" and actual.name == "date":
        return True  # a date alone: the time of day is not known
    if declared.name == "ratio" and actual.name == "int":
        return True
    return declared.name == "money" and actual.name in NUMERIC


def _span_of(expr: n.Expr) -> n.Span:
    return expr.span


def _declaring_file(model: Model, name: str) -> str | None:
    """The file whose declaration of `name` the project's tables hold (the first one)."""
    for table in (
        model.concepts,
        model.facts,
        model.judgments,
        model.enums,
        model.actors,
        model.defines,
    ):
        decl = table.get(name)
        if decl is not None:
            return decl.span.file
    return None


def check(loaded: LoadedFiles, steps: Steps = quiet) -> tuple[Model, list[Diagnostic]]:
    """The checked model and every diagnostic; where a file has a syntax error, an empty
    model and the input and syntax diagnostics alone (`diagnostics.syntax_stage`).  `steps`
    hears of each policy checked."""
    stopped = syntax_stage(loaded.diagnostics)
    if stopped is not None:
        return Model(), stopped
    checker = Checker(loaded)
    with gc_paused():  # thousands of policies' tables: see project.gc_paused
        model = checker.run(steps)
    diagnostics = loaded.diagnostics + checker.diagnostics
    return model, diagnostics
