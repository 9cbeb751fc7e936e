"""The JavaScript decision (compiler/backends/javascript.py and its runtime in
compiler/backends/js/): run by node, it agrees with the Python runtime — the same JSON as
`policyc decide --json` on hundreds of random fact sets per policy and on every policy test —,
its `relevant` asks only what can still change the decision and always reaches one, and the
generated modules are readable, stable and valid JavaScript."""

from __future__ import annotations

import json
import random
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from compiler import ir
from compiler import nodes as n
from compiler.backends.javascript import ASSETS, ModuleWriter, assets, js_string
from compiler.backends.pycode import Code, flat
from compiler.build import write_tree
from compiler.exprtext import to_text
from compiler.interpret import FactError, coerce_facts, decide, explain, literal_facts
from compiler.lower import load_program
from compiler.runtime.values import FactSpec, Unknown, to_json
from tests.nodejs import NODE, needs_node

ROOT = Path(__file__).resolve().parent.parent
HARNESS = Path(__file__).resolve().parent / "js" / "harness.mjs"
PROGRAM = load_program(ROOT)
IDS = sorted(p for p in PROGRAM.policies if PROGRAM.policies[p].makes_decision())

SMALLEST = min(IDS, key=lambda p: len(assets(PROGRAM)[f"{ASSETS}/policies/{p}.js"]))
FINAL = {"applies", "applies_in_part", "excluded", "not_covered"}
# Random fact sets per policy for the differential test.
RANDOM_FACT_SETS = 300


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    write_tree(root, {path: text.encode() for path, text in assets(PROGRAM).items()})
    return root


def run(site: Path, policy_id: str, requests: list[list[Any]]) -> list[Any]:
    """Every request through one node process; each answer {"ok": …} or {"error": …}."""
    assert NODE is not None
    payload = {
        "runtime": str(site / ASSETS / "decision.js"),
        "module": str(site / ASSETS / "policies" / f"{policy_id}.js"),
        "requests": requests,
    }
    done = subprocess.run(
        [NODE, str(HARNESS)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    answers: list[Any] = json.loads(done.stdout)
    assert len(answers) == len(requests)
    return answers


def python_decide(policy: ir.Policy, raw: dict[str, object]) -> dict[str, Any]:
    """What `policyc decide ID --facts F --json` prints, or the error it reports."""
    try:
        facts = coerce_facts(PROGRAM, raw)
    except FactError as error:
        return {"error": f"FactError: {error}"}
    report = explain(PROGRAM, decide(PROGRAM, policy, facts))
    report["version"] = dict(policy.version)
    # Through JSON, as the CLI prints it: the outcome is a plain string there.
    return {"ok": json.loads(json.dumps(report, ensure_ascii=False))}


# ---------------------------------------------------------------- random facts


def _literals(policy: ir.Policy) -> list[object]:
    """The constants the decision compares with: values worth generating around."""
    found: list[object] = []
    for rule in policy.rules:
        for condition in rule.conditions:
            for name in (None, *PROGRAM.defines_of(condition)):
                expr = condition if name is None else PROGRAM.defines[name].expr
                found += [e.value for e in n.walk(expr) if isinstance(e, n.Literal)]
    return found


def _value(rng: random.Random, spec: FactSpec, literals: list[object]) -> object:
    """A valid JSON value of the fact's type, often near a constant the policy uses."""
    numbers = [v for v in literals if isinstance(v, Decimal)] + [Decimal(0), Decimal(1)]
    match spec.type:
        case "bool":
            return rng.random() < 0.5
        case "enum":
            return rng.choice(spec.members)
        case "int" | "money":
            near = int(rng.choice(numbers)) + rng.choice((-1, 0, 0, 1))
            big = rng.randint(0, 200_000)
            value = max(0, near) if rng.random() < 0.7 else big
            return str(value) if rng.random() < 0.2 else value
        case "ratio":
            choice = rng.random()
            if choice < 0.3:
                return float(rng.choice(numbers)) + rng.choice((-0.01, 0.0, 0.01))
            if choice < 0.6:
                return f"{rng.randint(0, 100)}%"
            return round(rng.uniform(0, 2), rng.randint(1, 17))
        case "date":
            days = [v for v in literals if isinstance(v, date)] + [date(2024, 9, 27)]
            return (rng.choice(days) + timedelta(days=rng.randint(-400, 400))).isoformat()
        case "datetime":
            day = (date(2024, 9, 27) + timedelta(days=rng.randint(-3, 3))).isoformat()
            return day if rng.random() < 0.3 else f"{day}T{rng.randint(0, 23):02d}:30"
        case "duration":
            unit = rng.choice(("days", "months", "years", "workdays", "hours"))
            return f"{rng.randint(0, 30)} {unit}"
        case _:
            return rng.choice(("", "甲", "a b"))


def _invalid(rng: random.Random, spec: FactSpec) -> object:
    """A JSON value the fact's type refuses."""
    if spec.type == "bool":
        return rng.choice(("yes", 1))
    if spec.type in ("int", "money", "ratio"):
        return rng.choice(("1e999", "abc", True, "1.5" if spec.type == "int" else "x"))
    if spec.type in ("date", "datetime"):
        return rng.choice(("2024-02-30", "20240927", 5))
    return 7


def random_facts(
    rng: random.Random, policy: ir.Policy, literals: list[object]
) -> dict[str, object]:
    """Facts of the policy: many unknown (absent or null), judgments included, now and then
    one invalid value."""
    raw: dict[str, object] = {}
    known = rng.choice((0.2, 0.5, 0.8))
    for name in policy.inputs:
        spec = PROGRAM.input(name).spec()
        roll = rng.random()
        if roll < 0.05:
            raw[name] = None
        elif roll < 0.05 + known:
            raw[name] = _value(rng, spec, literals)
    if rng.random() < 0.03:
        name = rng.choice(policy.inputs)
        raw[name] = _invalid(rng, PROGRAM.input(name).spec())
    return raw


def all_known(rng: random.Random, policy: ir.Policy, literals: list[object]) -> dict[str, object]:
    return {name: _value(rng, PROGRAM.input(name).spec(), literals) for name in policy.inputs}


# ---------------------------------------------------------------- agreement with Python


@needs_node
@pytest.mark.parametrize("policy_id", IDS)
def test_javascript_decides_as_python_on_random_facts(site: Path, policy_id: str) -> None:
    policy = PROGRAM.policies[policy_id]
    rng = random.Random(f"js-decide-{policy_id}")
    literals = _literals(policy)
    fact_sets = [random_facts(rng, policy, literals) for _ in range(RANDOM_FACT_SETS)]
    got = run(site, policy_id, [["decide", raw] for raw in fact_sets])
    outcomes: set[str] = set()
    for raw, actual in zip(fact_sets, got, strict=True):
        expected = python_decide(policy, raw)
        assert actual == expected, json.dumps(raw, ensure_ascii=False)
        if "ok" in expected:
            outcomes.add(expected["ok"]["outcome"])
    # The random facts reach the decision's open outcomes and at least one final one.
    assert "undetermined" in outcomes
    assert outcomes & FINAL


@needs_node
def test_random_facts_reach_every_outcome(site: Path) -> None:
    """Across the policies, the differential test's facts (and fuller ones) reach every
    outcome, applies_in_part and needs_judgment included: the comparison covers them all."""
    seen: set[str] = set()
    for policy_id in IDS:
        policy = PROGRAM.policies[policy_id]
        rng = random.Random(f"js-outcomes-{policy_id}")
        literals = _literals(policy)
        fact_sets = [all_known(rng, policy, literals) for _ in range(100)]
        fact_sets += [random_facts(rng, policy, literals) for _ in range(100)]
        # Every fact known, judgments often open: the decision may wait on a person only.
        fact_sets += [
            {
                k: v
                for k, v in all_known(rng, policy, literals).items()
                if not _judgment(k) or rng.random() < 0.5
            }
            for _ in range(100)
        ]
        answers = run(site, policy_id, [["decide", f] for f in fact_sets])
        for raw, actual in zip(fact_sets, answers, strict=True):
            assert actual == python_decide(policy, raw)
            if "ok" in actual:
                seen.add(actual["ok"]["outcome"])
    assert seen == FINAL | {"undetermined", "needs_judgment"}


def _judgment(name: str) -> bool:
    return PROGRAM.input(name).judgment


CASES = [
    pytest.param(policy_id, case, id=f"{policy_id}-{case.name}")
    for policy_id in IDS
    for case in PROGRAM.policies[policy_id].cases
    if case.expect is not None or case.grant_checks or case.exempt_checks
]


@needs_node
@pytest.mark.parametrize("policy_id", IDS)
def test_policy_tests_through_javascript(site: Path, policy_id: str) -> None:
    """Every policy test that expects a decision gets it from the JavaScript, the same JSON as
    Python's, and its expectations (outcome, cites, missing, grants, exempts) hold."""
    policy = PROGRAM.policies[policy_id]
    cases = [c for c in policy.cases if c.expect is not None or c.grant_checks or c.exempt_checks]
    raws = [
        {k: to_json(v) for k, v in literal_facts(c.given).items() if k in policy.inputs}
        for c in cases
    ]
    got = run(site, policy_id, [["decide", raw] for raw in raws])
    for case, raw, answer in zip(cases, raws, got, strict=True):
        assert answer == python_decide(policy, raw), case.label
        report = answer["ok"]
        if case.expect is not None:
            assert report["outcome"] == case.expect, case.label
            if case.cites:
                expected = {_clause(policy, c.text) for c in case.cites}
                assert {_clause(policy, r["clause"]) for r in report["decided_by"]} == expected
            if case.missing is not None:
                assert set(report["missing"]) == set(case.missing), case.label
        pending = {p["grant"] for p in report["pending_grants"]}
        for check in case.grant_checks:
            assert (pending if check.pending else set(report["grants"])) == set(check.names)
        for exempt in case.exempt_checks:
            listed = report["not_exempted" if exempt.not_exempted else "exempts"]
            assert {x["rule"] for x in listed} == set(exempt.names), case.label


def _clause(policy: ir.Policy, citation: str) -> str:
    clause = policy.document.resolve(citation).clause
    return clause.citation if clause is not None else citation


def test_policy_tests_are_there() -> None:
    assert len(CASES) > 50


# ---------------------------------------------------------------- the questions still relevant


def _outcome(policy: ir.Policy, raw: dict[str, object]) -> str:
    report = python_decide(policy, raw)
    outcome: str = report["ok"]["outcome"]
    return outcome


def _alternatives(spec: FactSpec, answer: object) -> list[object]:
    if spec.type == "bool":
        return [True, False]
    if spec.type == "enum":
        return list(spec.members)
    return [answer]


@needs_node
@pytest.mark.parametrize("policy_id", IDS)
def test_relevant_questions_reach_a_decision(site: Path, policy_id: str) -> None:
    """Answering the relevant questions, first one first, with random known answers, ends
    with nothing relevant and a final outcome; every question asked was unanswered, and they
    come in the policy's question order.  And no question left out could, answered alone,
    change the outcome, at any step (but for an exclusion that turns not_covered into excluded:
    relief is settled, and the runtime does not ask for it either)."""
    policy = PROGRAM.policies[policy_id]
    rng = random.Random(f"js-relevant-{policy_id}")
    literals = _literals(policy)
    requests: list[list[Any]] = []
    for i in range(24):
        answers = all_known(rng, policy, literals)
        start: dict[str, object] = {}
        if i % 2:  # a case already partly answered, some of it 不确定 (null)
            start = {
                k: v if rng.random() < 0.8 else None
                for k, v in answers.items()
                if rng.random() < 0.3
            }
        requests.append(["walk", start, answers])
    walks = run(site, policy_id, requests)
    # Only the facts the decision's rules read can change it (the others are time limits').
    questions = ModuleWriter(PROGRAM, policy).questions()
    finals: set[str] = set()
    for i, ((_, _start, answers), walk) in enumerate(zip(requests, walks, strict=True)):
        steps = walk["ok"]
        for facts, asked in steps:
            assert [q for q in questions if q in asked] == asked  # in the question order
            assert all(facts.get(name) is None for name in asked)
        final, left = steps[-1]
        assert left == []
        outcome = _outcome(policy, final)
        assert outcome in FINAL, final
        finals.add(outcome)
        for facts, asked in steps if i % 4 == 0 else steps[-1:]:
            _assert_nothing_else_matters(policy, facts, asked, questions, answers)
    assert len(finals) >= 2  # the walks end in different outcomes


def _assert_nothing_else_matters(
    policy: ir.Policy,
    facts: dict[str, object],
    asked: list[str],
    questions: tuple[str, ...],
    answers: dict[str, object],
) -> None:
    outcome = _outcome(policy, facts)
    for name in questions:
        if name in asked or facts.get(name) is not None:
            continue
        for value in _alternatives(PROGRAM.input(name).spec(), answers[name]):
            changed = _outcome(policy, {**facts, name: value})
            if changed != outcome:
                assert (outcome, changed) == ("not_covered", "excluded"), (name, value, facts)


@needs_node
@pytest.mark.parametrize("policy_id", IDS)
def test_relevant_is_what_the_decision_still_needs(site: Path, policy_id: str) -> None:
    """Before relief applies, the relevant questions are exactly the facts and judgments the
    decision lists as still needed; at the start that is every fact of the decision."""
    policy = PROGRAM.policies[policy_id]
    rng = random.Random(f"js-needed-{policy_id}")
    literals = _literals(policy)
    fact_sets = [{}] + [random_facts(rng, policy, literals) for _ in range(150)]
    fact_sets = [f for f in fact_sets if "ok" in python_decide(policy, f)]
    relevant = run(site, policy_id, [["relevant", f] for f in fact_sets])
    for raw, answer in zip(fact_sets, relevant, strict=True):
        report = python_decide(policy, raw)["ok"]
        needed = {*report["missing"], *(j["judgment"] for j in report["judgments"])}
        if report["outcome"] in ("undetermined", "needs_judgment", "excluded", "not_covered"):
            assert set(answer["ok"]) == needed
        else:
            assert set(answer["ok"]) >= needed
    start = python_decide(policy, {})["ok"]
    assert set(relevant[0]["ok"]) == {
        *start["missing"],
        *(j["judgment"] for j in start["judgments"]),
    }


# ---------------------------------------------------------------- the code itself


def test_generated_module_snapshot(text_snapshot: SnapshotAssertion) -> None:
    """The smallest policy's module, read in review: readable and stable."""
    assert assets(PROGRAM)[f"{ASSETS}/policies/{SMALLEST}.js"] == text_snapshot


def test_assets_are_deterministic() -> None:
    first = assets(PROGRAM)
    assert first == assets(load_program(ROOT))
    assert list(first) == list(assets(PROGRAM))  # the same order too
    assert set(first) == {
        f"{ASSETS}/logic.js",
        f"{ASSETS}/decision.js",
        *(f"{ASSETS}/policies/{p}.js" for p in IDS),
    }


@needs_node
def test_generated_javascript_is_valid(site: Path) -> None:
    assert NODE is not None
    widget = sorted((ROOT / "site_templates" / "assets" / "policyc").glob("*.js"))
    assert widget  # questionnaire.js, copied to the site as it is
    # A province's search page's only (compiler/backends/site/search.py).
    widget += [ROOT / "site_templates" / name for name in ("search.js", "search-engine.js")]
    for path in [*sorted(site.rglob("*.js")), *widget]:
        done = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, f"{path.name}: {done.stderr}"


@needs_node
def test_module_facts_are_the_policys(site: Path) -> None:
    """Each module's facts are the policy's inputs with the runtime's types and labels."""
    assert NODE is not None
    for policy_id in IDS:
        policy = PROGRAM.policies[policy_id]
        module = site / ASSETS / "policies" / f"{policy_id}.js"
        script = (
            f"const p = (await import({json.dumps(module.as_uri())})).default;"
            "console.log(JSON.stringify(p.facts));"
        )
        done = subprocess.run(
            [NODE, "--input-type=module", "-e", script], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        facts = json.loads(done.stdout)
        assert sorted(facts) == sorted(policy.inputs)
        for name in policy.inputs:
            spec = PROGRAM.input(name).spec()
            fact = facts[name]
            assert (fact["type"], fact["label"], fact["judgment"], fact["refers"]) == (
                spec.type,
                spec.label,
                spec.judgment,
                spec.refers,
            )
            assert tuple(fact.get("members", ())) == spec.members


@needs_node
def test_policy_text_cannot_inject_code(tmp_path: Path) -> None:
    """Quotes with quotes, backslashes, line terminators or `</script>` stay string literals."""
    assert NODE is not None
    nasty = [
        '"; alert(1); "',
        "x\\",
        "a\u2028b\u2029c",
        "</script><script>",
        "'`${x}`",
        "\x00\n\r",
        '中文”"',
        "\U0001f600",
    ]
    source = f"console.log(JSON.stringify([{', '.join(js_string(t) for t in nasty)}]));"
    assert "</" not in source
    done = subprocess.run([NODE, "-e", source], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == nasty


# ---------------------------------------------------------------- every expression form

_AT = n.Span("test", 1, 1, 1, 1)


def _n(name: str) -> n.Name:
    return n.Name(name, _AT)


def _lit(value: n.Value, type_name: str) -> n.Literal:
    return n.Literal(value, n.TypeRef(type_name), _AT)


def _expressions() -> list[n.Expr]:
    """Every form of n.Expr, over real facts and definitions of the program: numbers (exact
    decimals, division that rounds), dates shifted by durations, durations compared across
    units, min/max, the date functions, enum members and conditionals."""
    age, savings, standard = (
        _n("lucheng_age"),
        _n("lucheng_bank_savings"),
        _n("lucheng_annual_dibao_standard"),
    )
    applied, missing = _n("lucheng_application_date"), _n("lucheng_member_missing_since")
    programme, retention = _n("taierzhuang_case_programme"), _n("yuquan_record_retention")
    flag, other = _n("lucheng_requests_inclusion"), _n("lucheng_member_not_living_together")
    three = _lit(Decimal("3"), "int")
    years = _lit(n.Duration(3, "years"), "duration")
    return [
        _lit(True, "bool"),
        _n("lucheng_temporary_aid_cap"),  # a definition: household × monthly standard × 20
        _n("lucheng_medical_cost_cap"),  # 70% × costs
        n.Not(flag, _AT),
        n.BoolOp("and", (flag, other, n.Not(flag, _AT)), _AT),
        n.BoolOp("or", (flag, n.Compare(">", age, three, _AT)), _AT),
        n.InSet(programme, ("dibao", "tekun"), _AT),
        n.Compare("==", programme, _n("temporary"), _AT),
        *(n.Compare(op, savings, n.Arith("*", _lit(Decimal("4"), "int"), standard, _AT), _AT)
          for op in (">=", "<=", "==", "!=", ">", "<")),
        n.Arith("/", savings, standard, _AT),
        n.Arith("/", savings, three, _AT),
        n.Arith("-", savings, n.Arith("/", standard, _lit(Decimal("7"), "int"), _AT), _AT),
        n.Arith("+", age, _lit(Decimal("0.1"), "ratio"), _AT),
        n.Compare("<=", n.Arith("+", missing, years, _AT), applied, _AT),
        n.Arith("-", applied, _lit(n.Duration(1, "months"), "duration"), _AT),
        n.Arith("+", missing, _lit(n.Duration(40, "days"), "duration"), _AT),
        n.Compare(">", retention, _lit(n.Duration(24, "months"), "duration"), _AT),
        n.Compare("<", retention, _lit(n.Duration(10, "workdays"), "duration"), _AT),
        n.Arith("+", retention, _lit(n.Duration(1, "days"), "duration"), _AT),
        n.Call("min", (savings, standard, three), _AT),
        n.Call("max", (missing, applied), _AT),
        n.Call("day_of_month", (applied,), _AT),
        n.Call("inclusive_days", (missing, applied), _AT),
        n.Conditional(flag, savings, standard, _AT),
        n.Conditional(flag, three, three, _AT),
    ]  # fmt: skip


def _canonical(value: object) -> object:
    if isinstance(value, Unknown):
        return {"unknown": sorted(value.needs)}
    if isinstance(value, bool | str):
        return {"value": value}
    if isinstance(value, Decimal):
        if value == 0:
            return {"number": "0E0"}
        sign, digits, exponent = value.normalize().as_tuple()
        coefficient = int("".join(map(str, digits))) * (-1 if sign else 1)
        return {"number": f"{coefficient}E{exponent}"}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return {"duration": str(value)}


@needs_node
def test_every_expression_form_evaluates_as_in_python(tmp_path: Path) -> None:
    assert NODE is not None
    from compiler.backends.javascript import _Compiler, _function
    from compiler.interpret import Evaluator

    expressions = _expressions()
    compiler = _Compiler(PROGRAM)
    names = sorted({x for e in expressions for x in PROGRAM.inputs_of(e)})
    defines = sorted({d for e in expressions for d in PROGRAM.defines_of(e)})
    names = sorted({*names, *(x for d in defines for x in PROGRAM.defines[d].reads)})
    specs = {
        x: vars(PROGRAM.input(x).spec()) | {"members": list(PROGRAM.input(x).members)}
        for x in names
    }
    lines = [f"import * as L from {json.dumps((tmp_path / 'logic.js').as_uri())};"]
    lines += [_function(f"define_{d}", d, compiler.expr(PROGRAM.defines[d].expr)) for d in defines]
    lines.append(f"export const specs = {json.dumps(specs, ensure_ascii=False)};")
    lines.append("export const expressions = [")
    lines += [f"    (facts) => {_flat(compiler.expr(e))}," for e in expressions]
    lines.append("];")
    (tmp_path / "logic.js").write_text(assets(PROGRAM)[f"{ASSETS}/logic.js"])
    (tmp_path / "expressions.js").write_text("\n".join(lines) + "\n")

    rng = random.Random("js-expressions")
    literals = [Decimal(3), Decimal(4), Decimal(10), date(2021, 2, 28)]
    fact_sets = []
    for _ in range(400):
        raw = {}
        for x in names:
            if rng.random() < 0.8:
                spec = PROGRAM.input(x).spec()
                raw[x] = (
                    _value(rng, spec, literals)
                    if spec.type != "int"
                    else rng.choice((0, 3, 17, "4"))
                )
                if spec.type == "money" and rng.random() < 0.3:
                    raw[x] = rng.choice(("0.1", "12345678901234.56", "0.001", 0.3, "7"))
        fact_sets.append(raw)
    payload = {
        "logic": str(tmp_path / "logic.js"),
        "module": str(tmp_path / "expressions.js"),
        "facts": fact_sets,
    }
    script = Path(__file__).resolve().parent / "js" / "expressions.mjs"
    done = subprocess.run(
        [NODE, str(script)], input=json.dumps(payload), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    for raw, values in zip(fact_sets, got, strict=True):
        facts = coerce_facts(PROGRAM, raw)
        for expr, actual in zip(expressions, values, strict=True):
            try:
                expected = _canonical(Evaluator(PROGRAM, facts).eval(expr))
            except (FactError, TypeError, ValueError, OverflowError) as error:
                expected = {
                    "error": "FactError" if isinstance(error, FactError) else actual.get("error")
                }
            assert actual == expected, (to_text(expr), raw)


def _flat(code: Code) -> str:
    return flat(code)
