// The relief decision of a policy, with its explanation: a port of compiler/runtime/decision.py
// for the site's questionnaire, and `relevant`, the questions still worth asking.
//
// Hand-written: this is the runtime's one decision algorithm, not a rule of any policy.  The
// policy — its facts, rules, conditions and precedence — comes from a generated module
// (assets/policyc/policies/<id>.js, compiler/backends/javascript.py), whose conditions are
// compiled from the same model as the Python validators'.  tests/test_javascript_backend.py
// holds this port to the Python runtime: the same JSON for hundreds of random fact sets per
// policy, and every policy test.

import { Unknown, coerceAll } from "./logic.js";

export { FactError } from "./logic.js";

export const OUTCOMES = [
  "applies",
  "applies_in_part",
  "excluded",
  "not_covered",
  "needs_judgment",
  "undetermined",
];

function status(rule, facts) {
  const value = rule.when !== null ? rule.when(facts) : true;
  if (value instanceof Unknown) return { rule, value: null, needs: value.needs, overriddenBy: [] };
  return { rule, value: Boolean(value), needs: new Set(), overriddenBy: [] };
}

function defeats(exclusion, situation) {
  return exclusion.overrides === null || exclusion.overrides.includes(situation.name);
}

function ofKind(policy, kind) {
  return policy.rules.filter((r) => r.kind === kind);
}

function isJudgment(policy, name) {
  const spec = Object.hasOwn(policy.facts, name) ? policy.facts[name] : undefined;
  return spec !== undefined && spec.judgment;
}

function sorted(names) {
  // Names are ASCII identifiers: code-unit order is Python's code-point order.
  return [...names].sort();
}

// The decision for typed facts (a Map, see `coerceAll`): decision.py `decide`.
function decideTyped(policy, facts) {
  const gates = ofKind(policy, "gate").map((r) => status(r, facts));
  const exclusions = ofKind(policy, "exclusion").map((r) => status(r, facts));
  const heldExclusions = exclusions.filter((e) => e.value === true);
  const situations = ofKind(policy, "situation").map((rule) => {
    const current = status(rule, facts);
    if (current.value === true) {
      const by = heldExclusions.filter((e) => defeats(e.rule, rule)).map((e) => e.rule.name);
      return { ...current, overriddenBy: by };
    }
    return current;
  });
  const order = new Map(policy.rules.map((r, i) => [r.name, i]));
  const rules = [...gates, ...situations, ...exclusions].sort(
    (a, b) => order.get(a.rule.name) - order.get(b.rule.name),
  );

  function result(outcome, decisive, needs = []) {
    const needed = new Set(needs);
    const judgments = sorted([...needed].filter((x) => isJudgment(policy, x)));
    const missing = sorted([...needed].filter((x) => !isJudgment(policy, x)));
    const base = {
      policy: policy.id,
      outcome,
      decisive,
      rules,
      missing,
      judgments,
      grants: [],
      pending: [],
      exempts: [],
      notExempted: [],
    };
    if (outcome !== "applies") return base;
    const [exempts, notExempted] = covered(policy, facts, decisive);
    const [grants, pending] = granted(policy, facts);
    return {
      ...base,
      outcome: notExempted.length ? "applies_in_part" : outcome,
      grants,
      pending,
      exempts,
      notExempted,
    };
  }

  const live = situations.filter((s) => !heldExclusions.some((e) => defeats(e.rule, s.rule)));
  if (
    heldExclusions.length &&
    (heldExclusions.some((e) => e.rule.overrides === null) || live.every((s) => s.value === false))
  ) {
    return result("excluded", heldExclusions);
  }
  const failedGates = gates.filter((g) => g.value === false);
  if (failedGates.length) return result("not_covered", failedGates);
  if (live.every((s) => s.value === false)) return result("not_covered", []);
  const held = live.filter((s) => s.value === true);
  const openGates = gates.filter((g) => g.value === null);
  const possible = live.filter((s) => s.value !== false);
  const openExclusions = exclusions.filter(
    (e) => e.value === null && possible.some((s) => defeats(e.rule, s.rule)),
  );
  // Relief is certain once a situation holds that no open exclusion could defeat.
  const secure = held.filter((s) => !openExclusions.some((e) => defeats(e.rule, s.rule)));
  if (secure.length && !openGates.length) return result("applies", secure);
  // The facts still needed: those of the open rules whose value alone can decide relief
  // (decision.py explains each case).
  const unsettled = exclusions.filter((e) => e.value === null);
  const fallsSparing = (heldOne, spared, but) =>
    unsettled.some(
      (x) => x !== but && defeats(x.rule, heldOne.rule) && !defeats(x.rule, spared.rule),
    );
  const situationMatters = (openOne) => held.every((h) => fallsSparing(h, openOne, null));
  const exclusionMatters = (exclusion) =>
    possible.some(
      (s) =>
        defeats(exclusion.rule, s.rule) &&
        held
          .filter((h) => h !== s)
          .every((h) => defeats(exclusion.rule, h.rule) || fallsSparing(h, s, exclusion)),
    );
  const needs = new Set();
  const add = (names) => names.forEach((x) => needs.add(x));
  for (const gate of openGates) add(gate.needs);
  for (const exclusion of unsettled) if (exclusionMatters(exclusion)) add(exclusion.needs);
  for (const situation of possible) {
    if (situation.value === null && situationMatters(situation)) add(situation.needs);
  }
  const onlyJudgments = [...needs].every((x) => isJudgment(policy, x));
  return result(onlyJudgments ? "needs_judgment" : "undetermined", held, needs);
}

// What relief that applies covers (decision.py `covered`).
function covered(policy, facts, deciding) {
  if (deciding.some((s) => !s.rule.excuses.length)) return [[], []];
  const excused = new Set(deciding.flatMap((s) => s.rule.excuses));
  const liabilities = ofKind(policy, "liability").map((r) => status(r, facts));
  const exempts = liabilities.filter((x) => excused.has(x.rule.name));
  const notExempted = liabilities.filter((x) => x.value === true && !excused.has(x.rule.name));
  return [exempts, notExempted];
}

// What a decision that applies grants (decision.py `granted`).
function granted(policy, facts) {
  const grants = [];
  const pending = [];
  for (const rule of ofKind(policy, "outcome")) {
    const current = status(rule, facts);
    if (current.value === true) {
      for (const g of rule.grants) if (!grants.includes(g)) grants.push(g);
    } else if (current.value === null) {
      for (const g of new Set(rule.grants)) pending.push({ grant: g, outcome: rule, needs: current.needs });
    }
  }
  return [grants, pending.filter((p) => !grants.includes(p.grant))];
}

// A decision as the stable JSON of decision.py `explain`.
function explain(policy, decision) {
  const liabilityJson = (current) => ({
    rule: current.rule.name,
    clause: current.rule.clause,
    quote: current.rule.quote,
    holds: current.value,
    needs: sorted(current.needs),
  });
  const ruleJson = (current) => ({
    rule: current.rule.name,
    kind: current.rule.kind,
    clause: current.rule.clause,
    quote: current.rule.quote,
    holds: current.value,
    needs: sorted(current.needs),
    overridden_by: [...current.overriddenBy],
  });
  return {
    policy: decision.policy,
    outcome: decision.outcome,
    grants: [...decision.grants],
    pending_grants: decision.pending.map((p) => ({
      grant: p.grant,
      outcome: p.outcome.name,
      clause: p.outcome.clause,
      needs: sorted(p.needs),
    })),
    exempts: decision.exempts.map(liabilityJson),
    not_exempted: decision.notExempted.map(liabilityJson),
    decided_by: decision.decisive.map(ruleJson),
    missing: [...decision.missing],
    judgments: decision.judgments.map((j) => ({
      judgment: j,
      label: policy.facts[j].label,
      refers: policy.facts[j].refers,
    })),
    rules: decision.rules.map(ruleJson),
  };
}

// The decision for raw JSON facts ({name: value}, null or absent: not known), as the JSON of
// `policyc decide ID --facts F --json` (decision.py `decide_json`).  Throws FactError for a
// fact the policy does not have or a value of the wrong type (as the generated validators'
// `decide` does; `policyc decide` also takes, and ignores, a fact of another policy).  A
// number given as a JSON number is a double here: give a long one as a string.
export function decide(policy, raw) {
  const decision = decideTyped(policy, coerceAll(policy.facts, raw));
  return { ...explain(policy, decision), version: { ...policy.version } };
}

// The questions still worth asking: the facts and judgments, not yet answered, whose answers
// can still change the decision, in the policy's question order (`policy.questions`: the order
// in which its decision's rules, in document order, first read them).  A fact is relevant when
//
//   1. the decision still needs it: it is in `missing` or `judgments` (undetermined,
//      needs_judgment: exactly the runtime's "facts still needed");
//   2. relief applies (in full) but is tied to the liabilities it excuses (`exempts` not
//      empty), and the fact is needed by a liability not known to hold that none of the
//      deciding situations excuses: if it holds, relief applies only in part;
//   3. relief applies in part, and the fact is needed by a situation (not known false, not
//      defeated by an exclusion that holds) that excuses nothing or excuses a liability not
//      exempted, or by an open exclusion that could defeat such a situation: if it comes to
//      decide, relief may cover that liability too;
//   4. relief applies (in full or in part) and the fact is needed by an outcome whose grants
//      are pending: it decides what relief grants.
//
// Nothing else is asked.  Once the decision is excluded or not_covered, nothing is: relief is
// settled (an open exclusion after no situation can hold only says once more why not, and
// the runtime does not ask for it either).  Answering the relevant questions, with known
// answers, always ends in applies, applies_in_part, excluded or not_covered.
export function relevant(policy, raw) {
  const report = decide(policy, raw);
  const wanted = new Set([...report.missing, ...report.judgments.map((j) => j.judgment)]);
  const add = (names) => names.forEach((x) => wanted.add(x));
  const applies = report.outcome === "applies" || report.outcome === "applies_in_part";
  if (applies && report.exempts.length) {
    const excused = new Set(report.exempts.map((x) => x.rule));
    if (report.outcome === "applies") {
      const facts = coerceAll(policy.facts, raw);
      for (const rule of ofKind(policy, "liability")) {
        const current = status(rule, facts);
        if (current.value === null && !excused.has(rule.name)) add(current.needs);
      }
    } else {
      const notExempted = new Set(report.not_exempted.map((x) => x.rule));
      const deciding = new Set(report.decided_by.map((x) => x.rule));
      const statuses = new Map(report.rules.map((r) => [r.rule, r]));
      const held = ofKind(policy, "exclusion").filter((e) => statuses.get(e.name).holds === true);
      const open = ofKind(policy, "exclusion").filter((e) => statuses.get(e.name).holds === null);
      for (const situation of ofKind(policy, "situation")) {
        const current = statuses.get(situation.name);
        const widens =
          !situation.excuses.length || situation.excuses.some((x) => notExempted.has(x));
        if (
          deciding.has(situation.name) ||
          current.holds === false ||
          held.some((e) => defeats(e, situation)) ||
          !widens
        ) {
          continue;
        }
        add(current.needs);
        for (const e of open) if (defeats(e, situation)) add(statuses.get(e.name).needs);
      }
    }
  }
  if (applies) for (const p of report.pending_grants) add(p.needs);
  const answered = (name) => raw[name] !== undefined && raw[name] !== null;
  return policy.questions.filter((name) => wanted.has(name) && !answered(name));
}
