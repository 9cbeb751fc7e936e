// Runs the generated decision modules for tests/test_javascript_backend.py: one process per
// policy, every request read from stdin as JSON, every answer printed as one JSON array.
//
// Input: {"runtime": path of decision.js, "module": path of policies/<id>.js,
//         "requests": [[op, facts, answers?], ...]}
//   op "decide" / "relevant": the runtime's function on `facts`;
//   op "walk": answer the questionnaire from `facts` on: ask relevant(...)[0], take its answer
//   from `answers`, until nothing is relevant; the steps [[facts, relevant], ...].
// Output: [{"ok": result} | {"error": "Name: message"}, ...]
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const input = JSON.parse(readFileSync(0, "utf8"));
const runtime = await import(pathToFileURL(input.runtime).href);
const policy = (await import(pathToFileURL(input.module).href)).default;

function walk(start, answers) {
  const facts = { ...start };
  const steps = [];
  for (;;) {
    const questions = runtime.relevant(policy, facts);
    steps.push([{ ...facts }, questions]);
    if (!questions.length || steps.length > 500) return steps;
    facts[questions[0]] = answers[questions[0]];
  }
}

const out = input.requests.map(([op, facts, answers]) => {
  try {
    if (op === "walk") return { ok: walk(facts, answers) };
    return { ok: runtime[op](policy, facts) };
  } catch (error) {
    return { error: `${error.name}: ${error.message}` };
  }
});
process.stdout.write(JSON.stringify(out));
