"""Within one document: rules with different outcomes that can hold at once with no stated
precedence (issue 11; `policyc check` warning W501).

Two shapes, each found with the example solver (`compiler.examples.solve`/`minimize`) and
verified with the interpreter before it is reported:

- **situation and exclusion**: a relief situation and an exclusion of the same decision that
  can both hold, where the exclusion does not override the situation (no `overrides` edge, and
  not `overrides all`).  The decision algorithm then lets the situation stand (the exclusion
  excludes only the situations it names); whether the document meant that is a point the text
  leaves open.  Witness: the facts under which both hold, with the decision they give.
- **contradictory requirements**: two requirements or duties whose conditions (`when`) can hold
  at once while their requirements (`require`) cannot both be met: every record they both
  apply to breaks one of them.  Witnesses: one record meeting the first and breaking the
  second, one the other way round (their statuses computed by the record check `validate`
  runs).  "Cannot both be met" is the solver's finding on `when₁ ∧ when₂ ∧ require₁ ∧ require₂`:
  it is reported only when the search ran to its end (not when it stopped at its bound) and
  each requirement alone can be met, and only between rules whose requirements read a common
  fact, so that two unrelated requirements are never compared.

Only pairs of one policy are compared, through the facts they share; the search is bounded
(`examples.MAX_STEPS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler import codes, ir
from compiler import nodes as n
from compiler.comparison import city, official_calendar
from compiler.conflicts.quantities import fact_label, literal
from compiler.conflicts.section import Cite, Given, Section, Witness
from compiler.diagnostics import Diagnostic, Label
from compiler.examples import SYNTHETIC, Accept, solve
from compiler.interpret import Evaluator, decide, info
from compiler.runtime.checks import check_record
from compiler.runtime.kinds import Kind

SITUATION_EXCLUSION = "situation_exclusion"
CONTRADICTORY = "contradictory_requirements"

_KIND_WORDS = {
    SITUATION_EXCLUSION: "适用情形与不覆盖它的排除情形可同时成立",
    CONTRADICTORY: "两项要求可同时适用却不能同时满足",
}


@dataclass(frozen=True)
class Finding:
    kind: str  # SITUATION_EXCLUSION | CONTRADICTORY
    policy: ir.Policy
    first: ir.Rule
    second: ir.Rule
    witnesses: tuple[Witness, ...]
    outcome: str | None = None  # the decision on the witness, for a situation and exclusion


# ---------------------------------------------------------------- search


def _true() -> n.Expr:
    return n.Literal(True, n.TypeRef("bool"), SYNTHETIC)


def _cond(expr: n.Expr | None) -> n.Expr:
    return expr if expr is not None else _true()


def _all(*parts: n.Expr) -> n.Expr:
    return n.BoolOp("and", tuple(parts), SYNTHETIC)


def _holds(program: ir.Program, exprs: tuple[n.Expr, ...], facts: Mapping[str, Any]) -> bool:
    try:
        evaluator = Evaluator(program, facts)
        return all(evaluator.eval(e) is True for e in exprs)
    except (ValueError, ArithmeticError, RecursionError):
        return False


def _givens(program: ir.Program, facts: Mapping[str, Any]) -> tuple[Given, ...]:
    return tuple(Given(k, literal(program, k, facts[k])) for k in sorted(facts))


def _situation_exclusions(program: ir.Program, policy: ir.Policy) -> list[Finding]:
    out: list[Finding] = []
    gates = tuple(_cond(g.when) for g in policy.of_kind(Kind.GATE))
    for exclusion in policy.of_kind(Kind.EXCLUSION):
        if exclusion.overrides_all:
            continue
        for situation in policy.of_kind(Kind.SITUATION):
            if policy.defeats(exclusion.name, situation.name):
                continue
            parts = (_cond(situation.when), _cond(exclusion.when), *gates)

            def accept(
                facts: Mapping[str, Any],
                parts: tuple[n.Expr, ...] = parts,
                situation: ir.Rule = situation,
                exclusion: ir.Rule = exclusion,
            ) -> bool:
                if not _holds(program, parts, facts):
                    return False
                statuses = {s.rule.name: s for s in decide(program, policy, facts).rules}
                held = statuses[situation.name]
                return (
                    held.value is True
                    and statuses[exclusion.name].value is True
                    and exclusion.name not in held.overridden_by
                )

            solution = solve(program, _all(*parts), accept)
            if solution.facts is None:
                continue
            decision = decide(program, policy, solution.facts)
            name = f"internal_{situation.name}_with_{exclusion.name}"
            witness = Witness(
                policy.id,
                name,
                f"{situation.clause.citation}的适用情形与{exclusion.clause.citation}的排除情形同时成立，"
                f"排除情形未写明优先于该情形：决定为 {decision.outcome}",
                _givens(program, solution.facts),
                expect=str(decision.outcome),
                cites=tuple(dict.fromkeys(s.rule.clause for s in decision.decisive)),
            )
            out.append(
                Finding(
                    SITUATION_EXCLUSION,
                    policy,
                    situation,
                    exclusion,
                    (witness,),
                    str(decision.outcome),
                )
            )
    return out


def _accepting(program: ir.Program, exprs: tuple[n.Expr, ...]) -> Accept:
    def accept(facts: Mapping[str, Any]) -> bool:
        return _holds(program, exprs, facts)

    return accept


def _require_reads(program: ir.Program, rule: ir.Rule) -> set[str]:
    assert rule.require is not None
    out: set[str] = set()
    for sub in n.walk(rule.require):
        if isinstance(sub, n.Name):
            if sub.name in program.defines:
                out |= set(program.defines[sub.name].reads)
            elif sub.name in program.facts or sub.name in program.judgments:
                out.add(sub.name)
    return out


def _status(program: ir.Program, policy: ir.Policy, rule: ir.Rule, facts: Mapping[str, Any]) -> str:
    results = check_record(info(program, policy), facts, official_calendar())
    found = [r for r in results if r.rule == rule.name and r.kind != "time_limit"]
    return found[0].status if found else "skipped"


def _contradictions(program: ir.Program, policy: ir.Policy) -> list[Finding]:
    checked = [
        r for r in policy.rules if r.kind in (Kind.REQUIREMENT, Kind.DUTY) and r.require is not None
    ]
    reads = {r.name: _require_reads(program, r) for r in checked}
    out: list[Finding] = []
    for i, first in enumerate(checked):
        for second in checked[i + 1 :]:
            if not reads[first.name] & reads[second.name]:
                continue
            assert first.require is not None and second.require is not None
            whens = (_cond(first.when), _cond(second.when))
            both = (*whens, first.require, second.require)
            together = solve(program, _all(*both), _accepting(program, both))
            if together.facts is not None or "bound" in together.reason:
                continue  # compatible, or not known to be incompatible
            cases: list[tuple[dict[str, Any], str, str]] = []
            for met, broken in ((first, second), (second, first)):
                assert met.require is not None and broken.require is not None
                goal = (*whens, met.require, n.Not(broken.require, SYNTHETIC))
                found = solve(program, _all(*goal), _accepting(program, goal))
                if found.facts is None:
                    break
                facts = dict(found.facts)
                cases.append(
                    (
                        facts,
                        _status(program, policy, met, facts),
                        _status(program, policy, broken, facts),
                    )
                )
            if len(cases) != 2:
                continue
            witnesses = []
            for (facts, met_status, broken_status), (met, broken) in zip(
                cases, ((first, second), (second, first)), strict=True
            ):
                if (met_status, broken_status) != ("pass", "fail"):
                    break
                witnesses.append(
                    Witness(
                        policy.id,
                        f"internal_{met.name}_against_{broken.name}",
                        f"{met.clause.citation}与{broken.clause.citation}同时适用：满足前者即违反后者",
                        _givens(program, facts),
                        cites=tuple(dict.fromkeys((met.clause.citation, broken.clause.citation))),
                        checks=((met.name, "pass"), (broken.name, "fail")),
                    )
                )
            if len(witnesses) == 2:
                out.append(Finding(CONTRADICTORY, policy, first, second, tuple(witnesses)))
    return out


def findings(program: ir.Program) -> tuple[Finding, ...]:
    out: list[Finding] = []
    for policy_id in sorted(program.policies):
        policy = program.policies[policy_id]
        out += _situation_exclusions(program, policy)
        out += _contradictions(program, policy)
    return tuple(out)


# ---------------------------------------------------------------- diagnostics


def _line(root: Path | None, file: str, line: int) -> str | None:
    path = Path(file) if root is None or Path(file).is_absolute() else root / file
    try:
        return path.read_text(encoding="utf-8").splitlines()[line - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        return None


def _span(rule: ir.Rule, text: str | None) -> n.Span:
    """The statement's head (`requirement NAME`), where the policy file states it."""
    head = f"{rule.kind} {rule.name}"
    width = len(head) if text is not None and text.startswith(head) else 1
    return n.Span(rule.file, rule.line, 1, rule.line, width + 1)


_MESSAGES = {
    SITUATION_EXCLUSION: (
        "{policy}: situation {first} ({first_at}) and exclusion {second} ({second_at}) can "
        "hold at once, and the exclusion does not override the situation: no precedence is "
        "stated"
    ),
    CONTRADICTORY: (
        "{policy}: {first_kind} {first} ({first_at}) and {second_kind} {second} ({second_at}) "
        "can apply at once but cannot both be met: no precedence is stated"
    ),
}


def _case_text(witness: Witness) -> str:
    given = ", ".join(f"{g.fact} = {g.literal}" for g in witness.givens)
    if witness.expect:
        return f"given {given}: the decision is {witness.expect}"
    checks = ", ".join(f"{rule} is {status}" for rule, status in witness.checks)
    return f"given {given}: {checks}"


def _diagnostic(finding: Finding, root: Path | None) -> Diagnostic:
    first, second = finding.first, finding.second
    message = _MESSAGES[finding.kind].format(
        policy=finding.policy.id,
        first=first.name,
        first_at=first.clause.citation,
        first_kind=first.kind,
        second=second.name,
        second_at=second.clause.citation,
        second_kind=second.kind,
    )
    first_line = _line(root, first.file, first.line)
    second_line = _line(root, second.file, second.line)
    label = Label(
        _span(second, second_line), f"{second.name} ({second.clause.citation})", second_line
    )
    return Diagnostic(
        codes.W501,
        message,
        _span(first, first_line),
        first_line,
        help=tuple(f"a case ({w.name}): {_case_text(w)}" for w in finding.witnesses),
        labels=(label,),
    )


def diagnostics(program: ir.Program, root: Path | None = None) -> list[Diagnostic]:
    """W501 for each finding, at the first rule, labelled at the second, with its witness
    cases; `root` is where the policy files' paths are relative to (for the quoted lines)."""
    return [_diagnostic(f, root) for f in findings(program)]


# ---------------------------------------------------------------- section


def _json(finding: Finding) -> dict[str, Any]:
    def rule(r: ir.Rule) -> dict[str, Any]:
        return {
            "rule": r.name,
            "kind": str(r.kind),
            "clause": r.clause.citation,
            "quote": r.clause.quote,
        }

    return {
        "kind": finding.kind,
        "policy": finding.policy.id,
        "first": rule(finding.first),
        "second": rule(finding.second),
        "outcome": finding.outcome,
        "witnesses": [w.name for w in finding.witnesses],
    }


def section(program: ir.Program) -> Section:
    from compiler.inert import inert as esc

    found = findings(program)
    checked = sorted(program.policies)
    data = {
        "policies": checked,
        "findings": [_json(f) for f in found],
    }

    def markdown(cite: Cite) -> tuple[str, ...]:
        out = [
            "每份文件之内：结果不同的两条规则能否同时成立而文件未写明何者优先"
            "（适用情形与不覆盖它的排除情形；可同时适用却不能同时满足的两项要求）。"
            "每一处都附一个由求解器找到、由解释器验证的情形。",
            "",
        ]
        cities = "、".join(esc(city(program.policies[p])) for p in checked)
        out += [f"已检查：{cities}。", ""]
        if not found:
            out.append("未发现。")
        for f in found:
            out.append(
                f"- {esc(f.policy.title)}："
                f"{cite(f.policy.id, f.first.clause.clause)}（{esc(f.first.name)}）与"
                f"{cite(f.policy.id, f.second.clause.clause)}（{esc(f.second.name)}）："
                f"{esc(_KIND_WORDS[f.kind])}"
            )
            for w in f.witnesses:
                given = "，".join(
                    f"{fact_label(program, g.fact)}（{g.fact}）= {g.literal}" for g in w.givens
                )
                result = (
                    f"决定为 {w.expect}"
                    if w.expect
                    else "；".join(f"{rule} {status}" for rule, status in w.checks)
                )
                out.append(f"    - 情形 {esc(w.name)}：{esc(given)} → {esc(result)}")
        return tuple(out)

    text = [f"已检查：{'、'.join(checked)}；发现 {len(found)} 处"]
    for f in found:
        text.append(
            f"  {f.policy.id} {f.first.name} ({f.first.clause.citation}) / "
            f"{f.second.name} ({f.second.clause.citation}): {f.kind}"
        )
    witnesses = tuple(w for f in found for w in f.witnesses)
    return Section("internal", "文件内部：未写明优先的规则", data, markdown, tuple(text), witnesses)
