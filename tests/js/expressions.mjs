// Evaluates compiled expressions for tests/test_javascript_backend.py: reads {"logic": path of
// logic.js, "module": path of a module exporting `specs` and `expressions`, "facts": [...]}
// and prints, for each fact set, each expression's value in a canonical JSON form.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const input = JSON.parse(readFileSync(0, "utf8"));
const L = await import(pathToFileURL(input.logic).href);
const { specs, expressions } = await import(pathToFileURL(input.module).href);

function canonical(value) {
  if (value instanceof L.Unknown) return { unknown: [...value.needs].sort() };
  if (value instanceof L.Dec) {
    let { c, e } = value;
    if (c === 0n) return { number: "0E0" };
    while (c % 10n === 0n) {
      c /= 10n;
      e += 1;
    }
    return { number: `${c}E${e}` };
  }
  if (value instanceof L.Day) return { date: value.iso() };
  if (value instanceof L.Duration) return { duration: value.toString() };
  return { value };
}

const out = input.facts.map((raw) => {
  const facts = L.coerceAll(specs, raw);
  return expressions.map((expression) => {
    try {
      return canonical(expression(facts));
    } catch (error) {
      return { error: error.name };
    }
  });
});
process.stdout.write(JSON.stringify(out));
