"""The per-policy drivers of a generated module: the record checks and the relief decision as
straight-line code (issue 13).

What is fixed per policy is decided here, at compile time, not per record: which checks run and
in which order, each check's branches by its kind (a liability, a requirement, a time limit),
the facts a message shows, and the decision algorithm of compiler/runtime/decision.py unrolled
over the policy's own gates, situations and exclusions with the constant `defeats` relation
folded (as the SQL backend does: compiler/backends/sql.py `_decision`).  The runtime's
`checks.check_record` and `decision.decide` stay the specification and the interpreter's path;
tests/test_codegen.py compares these drivers with them on random records of every policy.

Boolean combinations are written as assignments short enough for one line (a long one is
accumulated over several), so that the module is ruff-formatted as it is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import assert_never

from compiler import ir
from compiler.backends.pycode import (
    INDENT,
    WIDTH,
    Call,
    Code,
    Prefixed,
    layout,
    py_string,
    string,
    width_of,
)
from compiler.backends.unroll import Algebra, defeats, unroll
from compiler.runtime.kinds import CHECKED_KINDS, Kind

# ---------------------------------------------------------------- boolean expressions


@dataclass(frozen=True)
class Const:
    value: bool


@dataclass(frozen=True)
class Test:
    """`var is value`, or `var is not value` when negated; `value` "True", "False" or "None"."""

    var: str
    value: str
    negated: bool = False


@dataclass(frozen=True)
class Not:
    operand: Bool


@dataclass(frozen=True)
class Op:
    op: str  # "and" | "or"
    operands: tuple[Bool, ...]
    # Kept: `_op` keeps its operands in a dict (once each, in order), which hashes each, and
    # a hash made afresh would walk the whole tree below it every time.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.op, self.operands)))

    def __hash__(self) -> int:
        return self._hash


Bool = Const | Test | Not | Op
TRUE, FALSE = Const(True), Const(False)


def b_not(x: Bool) -> Bool:
    match x:
        case Const():
            return Const(not x.value)
        case Test():
            return Test(x.var, x.value, not x.negated)
        case Not():
            return x.operand
        case Op():
            return Not(x)
        case _:
            assert_never(x)


def _op(op: str, operands: Iterable[Bool]) -> Bool:
    decisive = op == "or"  # the value that settles the whole
    kept: dict[Bool, None] = {}  # each operand once, in order
    for x in operands:
        if isinstance(x, Const):
            if x.value is decisive:
                return x
            continue
        # A nested operation stays whole (not flattened into this one): it is given a
        # variable once, and every operation that shares it reads that variable.
        kept[x] = None
    if not kept:
        return Const(not decisive)
    return next(iter(kept)) if len(kept) == 1 else Op(op, tuple(kept))


def b_and(*operands: Bool) -> Bool:
    return _op("and", operands)


def b_or(*operands: Bool) -> Bool:
    return _op("or", operands)


class Emitter:
    """Statements of a function body: boolean variables assigned once each (the same
    expression is given the same variable), every line within the width."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, str] = {}  # rendered expression -> its variable
        self.count = 0
        # Each node's text, by identity: the flags are a graph that shares its nodes (unroll.py),
        # and rendering a node anew at every use re-rendered every shared subtree each time
        # (module generation took ~80 ms a policy, most of a build).  The node is kept with
        # its text, so that its id is not reused by another while the emitter lives.
        self._texts: dict[int, tuple[Bool, str]] = {}

    def mark(self) -> int:
        """Where a block starts: variables assigned inside it are not visible after it."""
        return len(self.names)

    def reset(self, mark: int) -> None:
        for text in list(self.names)[mark:]:
            del self.names[text]

    def line(self, depth: int, text: str) -> None:
        self.lines.append(f"{INDENT * depth}{text}")

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def atom(self, x: Bool, depth: int) -> str:
        """An expression for `x` that is a name, a constant or one test: for conditions."""
        match x:
            case Const():
                return str(x.value)
            case Test():
                return self._render(x)
            case Not() | Op():
                return self.variable(x, depth)
            case _:
                assert_never(x)

    def variable(self, x: Bool, depth: int) -> str:
        text = self._render(x)
        known = self.names.get(text)
        if known is not None:
            return known
        name = self.fresh("b")
        match x:
            case Const() | Test():
                self.line(depth, f"{name} = {text}")
            case Not():
                self.line(depth, f"{name} = not {self.atom(x.operand, depth)}")
            case Op():
                parts = [self._part(y, depth) for y in x.operands]
                self._accumulate(name, x.op, parts, depth)
            case _:
                assert_never(x)
        self.names[text] = name
        return name

    def _part(self, x: Bool, depth: int) -> str:
        """An operand of and/or: a test as it is, anything compound as a variable."""
        return self._render(x) if isinstance(x, Const | Test) else self.variable(x, depth)

    def _accumulate(self, name: str, op: str, parts: list[str], depth: int) -> None:
        pad = width_of(INDENT * depth)
        current = f"{name} = {parts[0]}"
        for part in parts[1:]:
            longer = f"{current} {op} {part}"
            if pad + width_of(longer) <= WIDTH:
                current = longer
            else:
                self.line(depth, current)
                current = f"{name} = {name} {op} {part}"
        self.line(depth, current)

    def _render(self, x: Bool) -> str:
        known = self._texts.get(id(x))
        if known is not None and known[0] is x:
            return known[1]
        text = self._text(x)
        self._texts[id(x)] = (x, text)
        return text

    def _text(self, x: Bool) -> str:
        match x:
            case Const():
                return str(x.value)
            case Test():
                return f"{x.var} is {'not ' if x.negated else ''}{x.value}"
            case Not():
                return f"not ({self._render(x.operand)})"
            case Op():
                inner = f" {x.op} ".join(
                    f"({self._render(y)})" if isinstance(y, Op) else self._render(y)
                    for y in x.operands
                )
                return inner
            case _:
                assert_never(x)


# ---------------------------------------------------------------- the writer


def _checked(policy: ir.Policy) -> tuple[list[ir.Limit], list[ir.Rule]]:
    """What a record's check covers, in the runtime's order (`PolicyInfo.checked`)."""
    limits = [x for x in policy.limits if x.start is not None and x.end is not None]
    rules = [
        r
        for r in policy.rules
        if r.kind in CHECKED_KINDS and (r.when is not None or r.require is not None)
    ]
    return limits, rules


class DriverWriter:
    """The drivers' source for one policy: `_check(facts, calendar)` and
    `_decision(facts)`, with their constants.  Conditions are the module's own
    `fast_<x>`/`needs_<x>` functions (compiler/backends/python.py names them)."""

    def __init__(self, program: ir.Program, policy: ir.Policy) -> None:
        self.program = program
        self.policy = policy
        self.constants: list[str] = []
        self.functions: list[str] = []
        self.given: dict[tuple[str, ...], str] = {}  # reads -> its message function
        self.uses: set[str] = set()  # names of runtime.values the drivers use

    def write(self) -> str:
        checks = self._checks()
        decision = self._decision()
        self.constants += self.judgments()
        parts = [
            "# ---------------------------------------------------------------- drivers",
            "# The record checks and the relief decision of this policy, straight-line",
            "# (compiler/backends/pydriver.py): the runtime's check_record and decide are",
            "# their specification.",
            "",
            *self.constants,
            "",
            "",
            *(f + "\n\n" for f in self.functions),
            checks,
            "",
            "",
            decision,
        ]
        return "\n".join(parts)

    # ------------------------------------------------------------ checks

    def _checks(self) -> str:
        limits, rules = _checked(self.policy)
        calls: list[str] = []
        for index, limit in enumerate(self.policy.limits):
            if limit in limits:
                calls.append(self._limit_check(index, limit) + "(facts, calendar)")
        for rule in rules:
            calls.append(self._rule_check(rule) + "(facts)")
        head = "def _check(facts: Facts, calendar: WorkdayCalendar) -> list[checks.CheckResult]:"
        body = layout(Call("", tuple(calls), open="[", close="]"), 1, "return ")
        return "\n".join(
            [
                head,
                f'{INDENT}"""Every check of one record\'s typed facts, in document order."""',
                body,
            ]
        )

    def _head(self, name: str, kind: str, clause: str, quote: str) -> str:
        """The constant holding a check's fixed fields (rule, kind, clause, quote)."""
        constant = f"_HEAD_{len(self.constants)}"
        value = Call("", (py_string(name), py_string(kind), py_string(clause), string(quote)))
        self.constants.append(layout(value, 0, f"{constant} = "))
        return constant

    def _fixed(self, head: str, status: str, message: str) -> str:
        """A result that is the same for every record (skipped, not applicable): built once."""
        constant = f"_RESULT_{len(self.constants)}"
        self.constants.append(
            layout(
                Call("checks.CheckResult", (f"*{head}", py_string(status), py_string(message))),
                0,
                f"{constant} = ",
            )
        )
        return constant

    def _mentions(self, reads: tuple[str, ...], lines: list[str], result: str) -> None:
        """Skipped when the record mentions none of `reads`."""
        test = " or ".join(f"{py_string(x)} in facts" for x in reads)
        condition = f"not ({test})" if len(reads) > 1 else f"{py_string(reads[0])} not in facts"
        if len(reads) > 3 or width_of(f"{INDENT}if {condition}:") > WIDTH:
            constant = f"_READS_{len(self.constants)}"
            value = Call(
                "frozenset", (Call("", tuple(py_string(x) for x in reads), open="{", close="}"),)
            )
            self.constants.append(layout(value, 0, f"{constant} = "))
            condition = f"facts.keys().isdisjoint({constant})"
        lines.append(layout(condition, 1, "if ", ":"))
        lines.append(f"{INDENT * 2}return {result}")

    def _given_function(self, reads: tuple[str, ...]) -> str:
        """`_given_<n>(facts)`: the record's values of `reads` for a message, as the runtime's
        `checks._given` writes them (`staff = 5, population = 62000`)."""
        name = self.given.get(reads)
        if name is not None:
            return name
        name = self.given[reads] = f"_given_{len(self.given) + 1}"
        lines = [
            f"def {name}(facts: Facts) -> str:",
            f"{INDENT}given: list[str] = []",
        ]
        for fact in reads:
            typed = self.program.input(fact).type.name
            shown = "{value}" if typed in ("bool", "enum", "text") else "{to_json(value)}"
            if "to_json" in shown:
                self.uses.add("to_json")
            lines.append(f"{INDENT}value = facts.get({py_string(fact)})")
            lines.append(f"{INDENT}if value is not None:")
            lines.append(layout(f'f"{_fstring_text(fact)} = {shown}"', 2, "given.append(", ")"))
        lines.append(f'{INDENT}return ", ".join(given)')
        self.functions.append("\n".join(lines))
        return name

    def _rule_check(self, rule: ir.Rule) -> str:
        name = f"_check_{rule.name}"
        head = self._head(rule.name, str(rule.kind), rule.clause.citation, rule.clause.quote)
        skipped = self._fixed(head, "skipped", "the record mentions none of its facts")
        lines = [
            _def(name, "facts: Facts", "checks.CheckResult"),
            f"{INDENT}# {rule.kind} {rule.name} at {rule.clause.citation}",
        ]
        self._mentions(rule.reads, lines, skipped)
        given = self._given_function(rule.reads)
        applies = "True"
        if rule.when is not None:
            applies = "applies"
            not_applicable = self._fixed(head, "not_applicable", "its condition does not hold")
            lines.append(f"{INDENT}applies = fast_when_{rule.name}(facts)")
            lines.append(f"{INDENT}if applies is False:")
            lines.append(f"{INDENT * 2}return {not_applicable}")

        def result(status: str, message: str, needs: str = "", depth: int = 1) -> str:
            args = [f"*{head}", py_string(status), message] + ([needs] if needs else [])
            return layout(Call("checks.CheckResult", tuple(args)), depth, "return ")

        def occurred(text: str) -> str:
            return f'lambda: f"{text} ({{{given}(facts)}})"'

        if rule.require is None:  # a liability: its condition is the failing
            assert rule.when is not None  # a checked rule has a condition
            lines.append(f"{INDENT}if applies is None:")
            needs = f"tuple(sorted(needs_when_{rule.name}(facts)))"
            lines.append(result("undetermined", '"facts are missing"', needs, 2))
            lines.append(result("holds", occurred("the failing it describes occurred")))
        else:
            lines.append(f"{INDENT}met = fast_require_{rule.name}(facts)")
            lines.append(f"{INDENT}if met is True:")
            lines.append(result("pass", occurred("the requirement is met"), depth=2))
            if applies == "True":
                lines.append(f"{INDENT}if met is None:")
                needs = f"tuple(sorted(needs_require_{rule.name}(facts)))"
            else:
                lines.append(f"{INDENT}if applies is None or met is None:")
                lines.append(
                    f"{INDENT * 2}needs = needs_when_{rule.name}(facts) "
                    "if applies is None else L.NO_NEEDS"
                )
                lines.append(f"{INDENT * 2}if met is None:")
                lines.append(f"{INDENT * 3}needs = needs | needs_require_{rule.name}(facts)")
                needs = "tuple(sorted(needs))"
            lines.append(result("undetermined", '"facts are missing"', needs, 2))
            lines.append(result("fail", occurred("the requirement is not met")))
        self.functions.append("\n".join(lines))
        return name

    def _limit_check(self, index: int, limit: ir.Limit) -> str:
        name = f"_check_limit_{limit.name}"
        head = self._head(limit.name, "time_limit", limit.clause.citation, limit.clause.quote)
        skipped = self._fixed(head, "skipped", "the record mentions none of its dates")
        lines = [
            _def(name, "facts: Facts, calendar: WorkdayCalendar", "checks.CheckResult"),
            f"{INDENT}# time limit {limit.name} at {limit.clause.citation}",
        ]
        self._mentions(limit.reads, lines, skipped)
        applies = "True"
        if limit.when is not None:
            applies = "applies"
            not_applicable = self._fixed(head, "not_applicable", "its condition does not hold")
            lines.append(f"{INDENT}known = fast_limit_when_{limit.name}(facts)")
            lines.append(f"{INDENT}if known is False:")
            lines.append(f"{INDENT * 2}return {not_applicable}")
            self.uses.add("Unknown")
            # Not false: true, or unknown with the facts it waits on.
            lines.append(f"{INDENT}applies: Value = True")
            lines.append(f"{INDENT}if known is None:")
            lines.append(f"{INDENT * 2}applies = Unknown(needs_limit_when_{limit.name}(facts))")
        call = Call(
            "checks.check_dates", ("POLICY", f"LIMITS[{index}]", "facts", "calendar", applies)
        )
        lines.append(layout(call, 1, "return "))
        self.functions.append("\n".join(lines))
        return name

    # ------------------------------------------------------------ the decision

    def _decision(self) -> str:
        """`_decision(facts)`: decision.explain(policy, decision.decide(policy, facts)) for
        this policy, the algorithm unrolled over its rules (see the module's docstring)."""
        policy = self.policy
        gates = list(policy.of_kind(Kind.GATE))
        situations = list(policy.of_kind(Kind.SITUATION))
        exclusions = list(policy.of_kind(Kind.EXCLUSION))
        liabilities = list(policy.of_kind(Kind.LIABILITY))
        outcomes = list(policy.of_kind(Kind.OUTCOME))
        out = Emitter()
        place = {r.name: i for i, r in enumerate(policy.rules)}
        value: dict[str, str] = {}  # rule -> the variable of its value (True/False/None)
        needs: dict[str, str] = {}  # rule -> the variable of its needs (a frozenset)

        def constant(prefix: str, entries: dict[str, Code]) -> str:
            name = f"{prefix}{len(self.constants)}"
            pairs = tuple(_pair(k, v) for k, v in entries.items())
            display = Call("", pairs, open="{", close="}")
            self.constants.append(layout(display, 0, f"{name}: dict[str, object] = "))
            return name

        heads: dict[str, str] = {}

        def head(rule: ir.Rule) -> str:
            """The fixed part of a rule's JSON in a decision (decision._heads)."""
            if rule.name not in heads:
                heads[rule.name] = constant(
                    "_RULE_",
                    {
                        "rule": py_string(rule.name),
                        "kind": py_string(str(rule.kind)),
                        "clause": py_string(rule.clause.citation),
                        "quote": string(rule.clause.quote),
                    },
                )
            return heads[rule.name]

        def evaluate(rule: ir.Rule, depth: int) -> None:
            """The rule's value and needs (decision.status), evaluated where the runtime
            evaluates them: the order decides which FactError a bad record raises."""
            if rule.when is None:
                return
            i = place[rule.name]
            value[rule.name], needs[rule.name] = f"w{i}", f"n{i}"
            out.line(depth, f"w{i} = fast_when_{rule.name}(facts)")
            out.line(depth, f"n{i} = needs_when_{rule.name}(facts) if w{i} is None else L.NO_NEEDS")

        def test(rule: ir.Rule, which: str) -> Bool:
            if rule.name not in value:  # no condition: it holds
                return Const(which == "True")
            return Test(value[rule.name], which)

        def holds(rule: ir.Rule) -> Bool:
            return test(rule, "True")

        def fails(rule: ir.Rule) -> Bool:
            return test(rule, "False")

        def open_(rule: ir.Rule) -> Bool:
            return test(rule, "None")

        def value_of(rule: ir.Rule) -> str:
            return value.get(rule.name, "True")

        def needs_of(rule: ir.Rule) -> str:
            # Sorted only when open: a known value waits on nothing.
            if rule.name not in needs:
                return "[]"
            return f"sorted({needs[rule.name]}) if {value[rule.name]} is None else []"

        def status_json(rule: ir.Rule, holds_value: str, needs_value: str, by: str) -> Code:
            return _display(
                f"**{head(rule)}",
                _pair("holds", holds_value),
                _pair("needs", needs_value),
                _pair("overridden_by", by),
            )

        def known_json(rule: ir.Rule, holds_value: str) -> Code:
            return status_json(rule, holds_value, "[]", "[]")

        def append(depth: int, target: str, entry: Code, method: str = "append") -> None:
            out.lines.append(layout(Call(f"{target}.{method}", (entry,)), depth))

        def append_if(depth: int, condition: Bool, target: str, entry: Code) -> None:
            atom = out.atom(condition, depth)
            if atom == "False":
                return
            if atom == "True":
                append(depth, target, entry)
            else:
                out.line(depth, f"if {atom}:")
                append(depth + 1, target, entry)

        # decision.decide evaluates the gates, the exclusions, then the situations.
        for rule in [*gates, *exclusions, *situations]:
            evaluate(rule, 1)
        flags = unroll(
            Algebra(b_and, b_or, b_not, holds, fails, open_), gates, situations, exclusions
        )
        held, possible, secure = flags.held, flags.possible, flags.secure
        excluded, failed, none_live, applies = (
            flags.excluded,
            flags.failed,
            flags.none_live,
            flags.applies,
        )
        # The branches' conditions, computed before the branches (decision.decide's order).
        conditions = [out.atom(x, 1) for x in (excluded, failed, none_live, applies)]
        for name in ("grants", "missing"):
            out.line(1, f"{name}: list[str] = []")
        for name in ("pending", "exempts", "not_exempted", "decided", "judgments"):
            out.line(1, f"{name}: list[dict[str, object]] = []")

        def excluded_branch(depth: int) -> None:
            out.line(depth, "outcome = Outcome.EXCLUDED")
            for e in exclusions:
                append_if(depth, holds(e), "decided", known_json(e, "True"))

        def failed_branch(depth: int) -> None:
            out.line(depth, "outcome = Outcome.NOT_COVERED")
            for g in gates:
                append_if(depth, fails(g), "decided", known_json(g, "False"))

        def none_live_branch(depth: int) -> None:
            out.line(depth, "outcome = Outcome.NOT_COVERED")

        def applies_branch(depth: int) -> None:
            out.line(depth, "outcome = Outcome.APPLIES")
            for s in situations:
                append_if(depth, secure[s.name], "decided", known_json(s, "True"))
            # decision.covered: what relief covers, when every situation that decided names it.
            if liabilities and any(s.excuses for s in situations):
                covers_all = out.atom(
                    b_or(*(secure[s.name] for s in situations if not s.excuses)), depth
                )
                inner = depth
                if covers_all != "False":
                    out.line(depth, f"if not {covers_all}:")
                    inner = depth + 1
                out.line(inner, "excused: set[str] = set()")
                for s in situations:
                    if s.excuses:
                        excuses = Call("", tuple(py_string(x) for x in s.excuses), one_tuple=True)
                        atom = out.atom(secure[s.name], inner)
                        if atom == "True":
                            append(inner, "excused", excuses, "update")
                        elif atom != "False":
                            out.line(inner, f"if {atom}:")
                            append(inner + 1, "excused", excuses, "update")
                for x in liabilities:
                    evaluate(x, inner)
                for x in liabilities:
                    fixed = constant(
                        "_LIABILITY_",
                        {
                            "rule": py_string(x.name),
                            "clause": py_string(x.clause.citation),
                            "quote": string(x.clause.quote),
                        },
                    )
                    entry = _display(
                        f"**{fixed}", _pair("holds", value_of(x)), _pair("needs", needs_of(x))
                    )
                    out.line(inner, f"if {py_string(x.name)} in excused:")
                    append(inner + 1, "exempts", entry)
                    condition = out.atom(holds(x), inner)
                    if condition == "True":
                        out.line(inner, "else:")
                        append(inner + 1, "not_exempted", entry)
                    elif condition != "False":
                        out.line(inner, f"elif {condition}:")
                        append(inner + 1, "not_exempted", entry)
                out.line(inner, "if not_exempted:")
                out.line(inner + 1, "outcome = Outcome.APPLIES_IN_PART")
            # decision.granted: each outcome's grants when its condition holds, pending when open.
            for o in outcomes:
                evaluate(o, depth)
                granted = Call("", tuple(py_string(g) for g in o.grants), one_tuple=True)
                add = ("grants += [g for g in ", " if g not in grants]")
                if o.name not in value:
                    out.lines.append(layout(granted, depth, *add))
                    continue
                out.line(depth, f"if {value[o.name]} is True:")
                out.lines.append(layout(granted, depth + 1, *add))
                out.line(depth, f"elif {value[o.name]} is None:")
                for g in dict.fromkeys(o.grants):
                    entry = _display(
                        _pair("grant", py_string(g)),
                        _pair("outcome", py_string(o.name)),
                        _pair("clause", py_string(o.clause.citation)),
                        _pair("needs", f"sorted({needs[o.name]})"),
                    )
                    append(depth + 1, "pending", entry)
            if any(o.name in value for o in outcomes):
                out.line(depth, 'pending = [p for p in pending if p["grant"] not in grants]')

        def open_branch(depth: int) -> None:
            for s in situations:
                append_if(depth, held[s.name], "decided", known_json(s, "True"))
            out.line(depth, "needs: set[str] = set()")

            matters = [(g, open_(g)) for g in gates]
            matters += [(e, b_and(open_(e), flags.exclusion_matters(e))) for e in exclusions]
            matters += [
                (s, b_and(possible[s.name], open_(s), flags.situation_matters(s)))
                for s in situations
            ]
            for rule, flag in matters:
                atom = out.atom(flag, depth)
                if atom != "False":
                    out.line(depth, f"if {atom}:")
                    out.line(depth + 1, f"needs |= {needs[rule.name]}")
            out.lines.append(
                layout(
                    "Outcome.NEEDS_JUDGMENT if needs <= _JUDGMENTS else Outcome.UNDETERMINED",
                    depth,
                    "outcome = ",
                )
            )
            out.line(depth, "missing = sorted(needs - _JUDGMENTS)")
            out.line(
                depth, "judgments = [dict(_JUDGMENT_JSON[x]) for x in sorted(needs & _JUDGMENTS)]"
            )

        bodies = (excluded_branch, failed_branch, none_live_branch, applies_branch)
        chosen = list(zip(bodies, conditions, strict=True))
        keyword = "if"
        for body, atom in chosen:
            if atom == "False":
                continue
            mark = out.mark()
            if atom == "True":
                if keyword == "if":
                    body(1)
                else:
                    out.line(1, "else:")
                    body(2)
                out.reset(mark)
                break
            out.line(1, f"{keyword} {atom}:")
            body(2)
            out.reset(mark)
            keyword = "elif"
        else:
            if keyword == "if":
                open_branch(1)
            else:
                out.line(1, "else:")
                open_branch(2)
        # Each situation's overriding exclusions that hold (decision.decide's `by`).
        overridden: dict[str, str] = {}
        if any(defeats(e, s) for e in exclusions for s in situations):
            out.line(1, "overriding: list[str] = []")
            for e in exclusions:
                append_if(1, holds(e), "overriding", py_string(e.name))
            for s in situations:
                defeating = [e.name for e in exclusions if defeats(e, s)]
                if not defeating:
                    continue
                i = place[s.name]
                overridden[s.name] = f"o{i}"
                if len(defeating) == len(exclusions):
                    kept = "overriding.copy()"
                else:
                    members = Call("", tuple(py_string(x) for x in defeating), one_tuple=True)
                    kept = f"[x for x in overriding if x in {layout(members, 0)}]"
                if s.name in value:
                    out.line(1, f"o{i} = {kept} if {value[s.name]} is True else []")
                else:
                    out.line(1, f"o{i} = {kept}")
        ordered = sorted([*gates, *situations, *exclusions], key=lambda r: place[r.name])
        rules = tuple(
            status_json(r, value_of(r), needs_of(r), overridden.get(r.name, "[]")) for r in ordered
        )
        result: dict[str, Code] = {
            "policy": py_string(policy.id),
            "outcome": "outcome",
            "grants": "grants",
            "pending_grants": "pending",
            "exempts": "exempts",
            "not_exempted": "not_exempted",
            "decided_by": "decided",
            "missing": "missing",
            "judgments": "judgments",
            "rules": Call("", rules, open="[", close="]"),
        }
        display = Call("", tuple(_pair(k, v) for k, v in result.items()), open="{", close="}")
        lines = [
            "def _decision(facts: Facts) -> dict[str, object]:",
            f'{INDENT}"""The relief decision, explained (decision.explain of decision.decide)."""',
            *out.lines,
            layout(display, 1, "return "),
        ]
        return "\n".join(lines)

    def judgments(self) -> list[str]:
        """`_JUDGMENTS` and `_JUDGMENT_JSON`: the policy's judgments and their JSON."""
        names = [x for x in self.policy.inputs if self.program.input(x).judgment]
        members = Call("", tuple(py_string(x) for x in names), open="{", close="}")
        entries: list[Code] = []
        for x in names:
            spec = self.program.input(x).spec()
            refers = string(spec.refers) if spec.refers is not None else "None"
            fields: dict[str, Code] = {
                "judgment": py_string(x),
                "label": string(spec.label),
                "refers": refers,
            }
            inner = Call("", tuple(_pair(k, v) for k, v in fields.items()), open="{", close="}")
            entries.append(_pair(x, inner))
        return [
            layout(
                Call("frozenset", (members,)) if names else "frozenset()",
                0,
                "_JUDGMENTS: frozenset[str] = ",
            ),
            layout(
                Call("", tuple(entries), open="{", close="}"),
                0,
                "_JUDGMENT_JSON: dict[str, dict[str, object]] = ",
            ),
        ]


def _pair(key: str, value: Code) -> Code:
    return Prefixed(f"{py_string(key)}: ", value)


def _display(*entries: Code) -> Code:
    """A dict display of these entries (`"key": value` pairs, `**constant`)."""
    return Call("", entries, open="{", close="}")


def _def(name: str, parameters: str, returns: str) -> str:
    """A function's first line, its parameters on their own line when it is too long (as
    ruff formats it)."""
    line = f"def {name}({parameters}) -> {returns}:"
    if width_of(line) <= WIDTH:
        return line
    return f"def {name}(\n{INDENT}{parameters}\n) -> {returns}:"


def _fstring_text(text: str) -> str:
    """A fact name inside an f-string: ids are ASCII snake_case, nothing to escape."""
    assert text.isidentifier(), text
    return text
