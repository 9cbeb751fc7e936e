// The questionnaire of a decision page: asks, in Chinese, only the questions still relevant,
// accepts 不确定, and shows the outcome the generated validators reach, with the clauses that
// decide it, a link to share the answers and a print button.
//
// The logic is not here: `decide` and `relevant` (./decision.js) run the policy's generated
// module (./policies/<id>.js), compiled from the same model as the Python validators.  This
// file only asks and shows.  No framework, nothing from another host, no inline handlers, and
// every text from a policy enters the page through textContent.
//
// DOM contract (stable; the browser tests rely on it):
//   <div class="policyc-questionnaire" data-policy="ID" data-root="../../"> — the page writes
//     it; data-root is the relative path to the site root (for the clause links).  The widget
//     sets on it: data-state="loading|ready|error", data-facts (JSON: the known answers, as
//     `policyc decide --facts` takes them), data-pending (how many questions are open).
//   .policyc-question[data-fact=NAME][data-type=TYPE][data-judgment=true|false]: a question
//     still relevant; its buttons [data-answer=true|false|unknown] (bool), [data-answer=MEMBER]
//     (enum), or input[data-input] with [data-answer=submit] (numbers, dates, text), and
//     always [data-answer=unknown] (不确定).
//   .policyc-answered[data-fact=NAME][data-value=VALUE|unknown]: an answer given, with
//     button[data-action=change] to take it back.
//   [data-outcome=OUTCOME]: the outcome word (applies, applies_in_part, excluded, not_covered,
//     undetermined, needs_judgment), its Chinese label as text; data-missing lists the facts
//     and judgments still needed (space-separated).
//   .policyc-decisive a[data-rule=NAME]: a deciding rule's clause, linking to
//     ROOT/documents/ID/#ANCHOR.
//   button[data-action=share|print|reset]; input[data-share-link]: the link with the answers
//     (also kept in the address: #policyc=…, restored on load).

import { coerce } from "./logic.js";
import { decide, relevant } from "./decision.js";

const OUTCOME_LABELS = {
  applies: "适用",
  applies_in_part: "部分适用",
  excluded: "排除",
  not_covered: "不在范围内",
  undetermined: "尚不能确定",
  needs_judgment: "需要人工判断",
};
const KIND_LABELS = { gate: "前提", situation: "情形", exclusion: "排除情形", liability: "责任", outcome: "处理" };
const HASH = "#policyc=";
const UNKNOWN = "unknown";

function element(tag, attributes = {}, text = null) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  return node;
}

function button(text, attributes) {
  return element("button", { type: "button", ...attributes }, text);
}

function shown(spec, value) {
  if (value === null) return "不确定";
  if (spec.type === "bool") return value ? "是" : "否";
  if (spec.choices) {
    const choice = spec.choices.find(([member]) => member === value);
    return choice ? choice[1] : String(value);
  }
  return String(value);
}

function ensureStylesheet() {
  const href = new URL("./questionnaire.css", import.meta.url).href;
  if ([...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) return;
  document.head.append(element("link", { rel: "stylesheet", href }));
}

class Questionnaire {
  constructor(container, policy) {
    this.container = container;
    this.policy = policy;
    this.root = container.dataset.root || "";
    // name -> JSON value, or null for 不确定.  Insertion order: the order answered.
    this.answers = new Map();
    this.restore();
  }

  // The known answers, as `decide` and `policyc decide --facts` take them.
  facts() {
    const facts = {};
    for (const [name, value] of this.answers) if (value !== null) facts[name] = value;
    return facts;
  }

  restore() {
    if (!location.hash.startsWith(HASH)) return;
    try {
      const saved = JSON.parse(decodeURIComponent(location.hash.slice(HASH.length)));
      for (const [name, value] of Object.entries(saved)) {
        if (!Object.hasOwn(this.policy.facts, name)) continue;
        if (value !== null) coerce(this.policy.facts[name], value); // refuses a bad value
        this.answers.set(name, value);
      }
    } catch {
      this.answers.clear(); // a damaged link starts afresh rather than half-restored
    }
  }

  link() {
    const saved = Object.fromEntries(this.answers);
    const url = new URL(location.href);
    url.hash = HASH.slice(1) + encodeURIComponent(JSON.stringify(saved));
    return url.href;
  }

  answer(name, value) {
    this.answers.set(name, value);
    this.render();
  }

  render() {
    const policy = this.policy;
    const facts = this.facts();
    const report = decide(policy, facts);
    const pending = relevant(policy, facts).filter((name) => !this.answers.has(name));
    if (this.answers.size) history.replaceState(null, "", this.link());

    const box = this.container;
    box.replaceChildren();
    box.dataset.state = "ready";
    box.dataset.facts = JSON.stringify(facts);
    box.dataset.pending = String(pending.length);

    box.append(this.outcome(report));
    box.append(this.questions(pending));
    box.append(this.answered());
    box.append(this.actions());
  }

  outcome(report) {
    const policy = this.policy;
    const section = element("section", { class: "policyc-result", "aria-live": "polite" });
    const needed = new Set([...report.missing, ...report.judgments.map((j) => j.judgment)]);
    const open = policy.questions.filter((name) => needed.has(name)); // in the question order
    const heading = element("p", {
      class: `policyc-outcome policyc-outcome-${report.outcome}`,
      "data-outcome": report.outcome,
      "data-missing": open.join(" "),
    });
    heading.append(element("span", { class: "policyc-outcome-decision" }, `${policy.decision ?? "结论"}：`));
    heading.append(element("strong", {}, OUTCOME_LABELS[report.outcome]));
    section.append(heading);
    if (open.length) {
      const what = report.outcome === "needs_judgment" ? "尚需人工判断：" : "缺少：";
      const list = element("ul", { class: "policyc-missing" });
      for (const name of open) list.append(element("li", { "data-fact": name }, policy.facts[name].label));
      section.append(element("p", {}, what), list);
    }
    if (report.grants.length) {
      const labels = report.grants.map((g) => policy.grantLabels[g] ?? g);
      section.append(element("p", { class: "policyc-grants" }, `处理：${labels.join("、")}`));
    }
    for (const pendingGrant of report.pending_grants) {
      const label = policy.grantLabels[pendingGrant.grant] ?? pendingGrant.grant;
      section.append(element("p", { class: "policyc-pending-grant" }, `视情况还可：${label}`));
    }
    const decisive = report.decided_by;
    const settled = !["undetermined", "needs_judgment"].includes(report.outcome);
    if (decisive.length) {
      // An open decision lists the situations that hold so far, not yet what decides.
      section.append(element("p", {}, settled ? "依据：" : "已成立的情形："));
      section.append(this.clauses(decisive, "policyc-decisive"));
    } else if (report.outcome === "not_covered") {
      section.append(element("p", {}, "没有任何情形成立。"));
    }
    if (report.exempts.length) {
      section.append(element("p", {}, "免责范围仅限下列责任："));
      section.append(this.clauses(report.exempts, "policyc-exempts"));
    }
    if (report.not_exempted.length) {
      section.append(element("p", {}, "下列责任成立，且不在免责范围内："));
      section.append(this.clauses(report.not_exempted, "policyc-not-exempted"));
    }
    return section;
  }

  clauses(statuses, className) {
    const byName = new Map(this.policy.rules.map((r) => [r.name, r]));
    const list = element("ul", { class: className });
    for (const status of statuses) {
      const rule = byName.get(status.rule);
      const item = element("li");
      const href = `${this.root}documents/${this.policy.id}/#${rule.anchor}`;
      item.append(element("a", { href, "data-rule": rule.name }, rule.clause));
      const kind = KIND_LABELS[rule.kind] ?? rule.kind;
      item.append(element("span", { class: "policyc-kind" }, ` ${kind} `));
      item.append(element("q", {}, rule.quote));
      list.append(item);
    }
    return list;
  }

  questions(pending) {
    const section = element("section", { class: "policyc-questions" });
    if (!pending.length) {
      const unsure = [...this.answers.values()].includes(null);
      const text = unsure
        ? "没有其他需要回答的问题了；回答为“不确定”的问题查明后，结论可能改变。"
        : "没有需要回答的问题了。";
      section.append(element("p", { class: "policyc-done" }, text));
      return section;
    }
    section.append(element("p", {}, `请回答（还有 ${pending.length} 个问题可能影响结论）：`));
    for (const name of pending) section.append(this.question(name));
    return section;
  }

  question(name) {
    const spec = this.policy.facts[name];
    const box = element("fieldset", {
      class: "policyc-question",
      "data-fact": name,
      "data-type": spec.type,
      "data-judgment": String(spec.judgment),
    });
    box.append(element("legend", {}, spec.label));
    if (spec.judgment) {
      const note = spec.refers ? `需要人工判断（${spec.refers}）` : "需要人工判断";
      box.append(element("p", { class: "policyc-judgment" }, note));
    }
    const row = element("div", { class: "policyc-answers" });
    const choose = (value) => () => this.answer(name, value);
    if (spec.type === "bool") {
      for (const [value, text] of [[true, "是"], [false, "否"]]) {
        const b = button(text, { "data-answer": String(value) });
        b.addEventListener("click", choose(value));
        row.append(b);
      }
    } else if (spec.choices) {
      for (const [member, label] of spec.choices) {
        const b = button(label, { "data-answer": member });
        b.addEventListener("click", choose(member));
        row.append(b);
      }
    } else {
      const input = element("input", { "data-input": "", "aria-label": spec.label });
      input.type = spec.type === "date" ? "date" : "text";
      if (["int", "money", "ratio"].includes(spec.type)) input.inputMode = "decimal";
      const error = element("span", { class: "policyc-error", role: "alert" });
      const submit = button("确定", { "data-answer": "submit" });
      const accept = () => {
        const raw = input.value.trim();
        try {
          coerce(spec, raw);
        } catch {
          error.textContent = "请填写有效的值";
          return;
        }
        this.answer(name, raw);
      };
      submit.addEventListener("click", accept);
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") accept();
      });
      row.append(input, submit, error);
    }
    const unsure = button("不确定", { "data-answer": UNKNOWN });
    unsure.addEventListener("click", choose(null));
    row.append(unsure);
    box.append(row);
    return box;
  }

  answered() {
    const section = element("section", { class: "policyc-given" });
    if (!this.answers.size) return section;
    section.append(element("p", {}, "已回答："));
    const list = element("ol");
    for (const [name, value] of this.answers) {
      const spec = this.policy.facts[name];
      const item = element("li", {
        class: "policyc-answered",
        "data-fact": name,
        "data-value": value === null ? UNKNOWN : String(value),
      });
      item.append(element("span", { class: "policyc-label" }, spec.label));
      item.append(element("span", { class: "policyc-value" }, `：${shown(spec, value)} `));
      const change = button("修改", { "data-action": "change" });
      change.addEventListener("click", () => {
        this.answers.delete(name);
        this.render();
      });
      item.append(change);
      list.append(item);
    }
    section.append(list);
    return section;
  }

  actions() {
    const bar = element("div", { class: "policyc-actions" });
    const share = button("复制链接", { "data-action": "share" });
    const field = element("input", { "data-share-link": "", readonly: "", "aria-label": "分享链接" });
    field.value = this.link();
    share.addEventListener("click", async () => {
      field.value = this.link();
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
        share.textContent = "已复制";
      } catch {
        share.textContent = "请手动复制";
      }
    });
    const print = button("打印", { "data-action": "print" });
    print.addEventListener("click", () => window.print());
    const reset = button("重新开始", { "data-action": "reset" });
    reset.addEventListener("click", () => {
      this.answers.clear();
      history.replaceState(null, "", location.pathname + location.search);
      this.render();
    });
    bar.append(share, print, reset, field);
    return bar;
  }
}

async function start(container) {
  if (container.dataset.state) return; // already started (Material's instant navigation)
  container.dataset.state = "loading";
  const id = container.dataset.policy ?? "";
  try {
    if (!/^[a-z][a-z0-9_]*$/.test(id)) throw new Error(`not a policy id: ${id}`);
    const module = await import(new URL(`./policies/${id}.js`, import.meta.url).href);
    new Questionnaire(container, module.default).render();
  } catch (error) {
    container.dataset.state = "error";
    container.replaceChildren(element("p", { class: "policyc-error" }, `问卷无法加载：${error.message}`));
  }
}

function startAll() {
  const found = document.querySelectorAll(".policyc-questionnaire");
  if (found.length) ensureStylesheet();
  found.forEach((container) => start(container));
}

// Material's instant navigation swaps pages without reloading scripts: it announces each page
// on `document$`; without it, the page is ready once this module runs (modules are deferred).
if (typeof window.document$?.subscribe === "function") window.document$.subscribe(startAll);
else startAll();
