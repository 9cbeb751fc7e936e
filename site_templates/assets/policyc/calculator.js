// The date calculator of the time-limit pages: every limit of the page's clauses, due from a
// start date the reader types, computed by due.js (the port of policyc's due-date algorithm,
// tested against `policyc due`) on the generated limits module of the policy.
//
// Contract (site_templates/timelimits.md.j2 writes the container; tests select on these):
//   div.policyc-calculator[data-policy][data-clauses (JSON array of citations)][data-root]
//       [data-example (YYYY-MM-DD)][data-time (HH:MM, or "" when no limit counts hours)]
//   built here, inside it:
//     input[data-start]          type=date, the start day (not counted)
//     input[data-start-time]     type=time, only when a limit counts hours
//     [data-error]               a message in Chinese when the input cannot be computed
//     [data-results] > [data-due="<limit name>"]   one per limit, in document order, with
//         data-date      the due date (YYYY-MM-DD) or moment (YYYY-MM-DDTHH:MM); "" if none
//         data-counted   the last day counted, when the due date moved off a 法定休假日
//         data-provisional  "true" when a holiday schedule it depends on is unpublished
//       and inside it [data-extended] with data-date for a limit that can be extended.
//   The container gets data-state="ready" after each computation ("error" on bad input).
// DOM is built with textContent only; no inline handlers.

import { InputError, calendar, dueDates, parseIsoDay, weekday } from "./due.js";

const WEEKDAYS = "一二三四五六日";
const KIND_WORDS = {
  adjusted: "调休上班日",
  holiday: "法定节假日",
  weekend: "周末",
  unsettled: "放假安排未公布",
};
const POLICY_ID = /^[A-Za-z0-9_-]+$/;

function element(tag, attributes = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text;
  return node;
}

// "2024-10-18" -> "2024年10月18日（星期五）"; a moment keeps its time.
function chinese(text) {
  if (text === null || text === undefined) return "—";
  const day = parseIsoDay(text.slice(0, 10));
  const [y, m, d] = text.slice(0, 10).split("-").map(Number);
  let out = `${y}年${m}月${d}日（星期${WEEKDAYS[weekday(day)]}）`;
  if (text.length > 10) out += text.slice(11);
  const kind = KIND_WORDS[calendar.kind(day)];
  if (kind && text.length === 10) out += `，${kind}`;
  return out;
}

function notes(entry, limit) {
  const out = [];
  if (entry.due === null) {
    out.push(`以小时计，从时刻起算：请填写起算时刻。`);
  }
  if (entry.counted) {
    out.push(
      `数到${chinese(entry.counted)}，是法定休假日；依民法典 第二百零三条，` +
        `顺延至休假日结束的次日${chinese(entry.due)}。`,
    );
  }
  if (entry.provisional) {
    const p = entry.provisional;
    out.push(
      `暂定：${p.unpublished.join("、")}年的放假安排尚未公布，按法定节假日计算；` +
        `公布后到期日可能在${chinese(p.earliest)}至${chinese(p.latest)}之间。`,
    );
  }
  if (entry.no_rollover) out.push(`末日逢法定休假日不顺延：${entry.no_rollover}`);
  if (limit.excluding) {
    out.push(
      `不计入${limit.excluding_label}：上面的日期没有扣除${limit.excluding_label}，` +
        `实际到期日还要按${limit.excluding_label}内不计入的日数相应推后。`,
    );
  }
  return out;
}

function errorText(error) {
  if (!(error instanceof InputError)) return `无法计算：${error.message}`;
  if (error.code === "calendar") {
    return `无法计算：日期超出工作日日历的范围（${calendar.coverageText()}）。${error.message}`;
  }
  if (error.code === "start") return `请填写有效的起算日（及时刻）。${error.message}`;
  return `无法计算：${error.message}`;
}

function render(container, module, root, results, entries) {
  results.replaceChildren();
  const byName = new Map(module.limits.map((limit) => [limit.name, limit]));
  for (const entry of entries) {
    const limit = byName.get(entry.limit);
    const item = element("li", {
      "data-due": entry.limit,
      "data-date": entry.due ?? "",
      "data-counted": entry.counted ?? "",
      "data-provisional": entry.provisional ? "true" : "false",
    });
    item.append(
      element("span", { class: "policyc-limit-label" }, limit.label),
      document.createTextNode(`（${entry.count} ${limit.unit_label}）：`),
      element("span", { class: "policyc-due-date" }, chinese(entry.due)),
    );
    if (entry.extended) {
      const longer = entry.extended;
      const line = element("div", { "data-extended": "", "data-date": longer.due ?? "" });
      line.textContent = `延长至${longer.count} ${limit.extension.unit_label}的：${chinese(longer.due)}`;
      item.append(line);
    }
    for (const text of notes(entry, limit)) {
      item.append(element("div", { class: "policyc-note" }, text));
    }
    const cite = element("div", { class: "policyc-note" }, "条款：");
    const link = element(
      "a",
      { href: `${root}documents/${module.policy}/#${limit.anchor}` },
      limit.clause,
    );
    cite.append(link);
    item.append(cite);
    results.append(item);
  }
}

async function setUp(container) {
  const policy = container.dataset.policy || "";
  if (!POLICY_ID.test(policy)) return;
  const clauses = JSON.parse(container.dataset.clauses || "[]");
  const root = container.dataset.root || "";
  const url = new URL(`limits/${policy}.js`, import.meta.url);
  const module = (await import(url.href)).default;

  const form = element("div", { class: "policyc-calculator-inputs" });
  const dayLabel = element("label", {}, "起算日（当日不计入）：");
  const day = element("input", { type: "date", "data-start": "" });
  day.value = container.dataset.example || "";
  dayLabel.append(day);
  form.append(dayLabel);
  let time = null;
  if (container.dataset.time) {
    const timeLabel = element("label", {}, "起算时刻（以小时计的时限用）：");
    time = element("input", { type: "time", "data-start-time": "" });
    time.value = container.dataset.time;
    timeLabel.append(time);
    form.append(timeLabel);
  }
  const error = element("p", { "data-error": "", role: "alert" });
  const results = element("ol", { "data-results": "" });
  const coverage = element(
    "p",
    { class: "policyc-note" },
    `工作日日历：${calendar.firstYear}—${calendar.lastYear}年按国务院公布的放假安排；` +
      "此后各年只知法定节假日，结果标为“暂定”。",
  );
  container.replaceChildren(form, error, results, coverage);

  const compute = () => {
    error.textContent = "";
    if (!day.value) {
      results.replaceChildren();
      error.textContent = "请填写起算日。";
      container.dataset.state = "error";
      return;
    }
    const start = time && time.value ? `${day.value}T${time.value}` : day.value;
    try {
      const entries = clauses.flatMap((clause) => dueDates(module, clause, start).limits);
      render(container, module, root, results, entries);
      container.dataset.state = "ready";
    } catch (problem) {
      results.replaceChildren();
      error.textContent = errorText(problem);
      container.dataset.state = "error";
    }
  };
  for (const input of [day, time]) {
    if (input) {
      input.addEventListener("input", compute);
      input.addEventListener("change", compute);
    }
  }
  compute();
}

for (const container of document.querySelectorAll(".policyc-calculator")) {
  setUp(container).catch((problem) => {
    container.dataset.state = "error";
    container.append(element("p", { "data-error": "" }, `计算器无法加载：${problem.message}`));
  });
}
