// policyc: the search page of a province's site (compiler/backends/site/search.py), over the
// index in the page's own folder (search/).  search-engine.js finds the candidates; this
// module reads them twenty at a time, keeps the pages that hold every term and shows each with
// the sections where the terms are, each linked to its anchor.  `?q=词语` in the page's address
// searches at once.  Policy text is only ever set as text (textContent), never as HTML.
// Written beside the search page as assets/policyc/search.js (search.py SCRIPTS).
import { Index, check, exact, terms } from "./search-engine.js";

const siteRoot = new URL("../../", import.meta.url);
const folder = new URL("search/", siteRoot);
const BATCH = 20; // the candidates read at a time, and the results shown at a time
const SECTIONS_SHOWN = 3; // a page's sections shown under it; the others counted
const BEFORE = 30; // characters of a snippet before the first term, and at most in all
const LENGTH = 120;

const index = new Index(async (path, build) => {
  // The meta afresh (a new build may be deployed); the other files under its build's name.
  const url = new URL(path, folder);
  if (build) url.searchParams.set("v", build);
  const response = await fetch(url, build ? {} : { cache: "no-cache" });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
});

function element(tag, properties = {}, ...children) {
  const made = Object.assign(document.createElement(tag), properties);
  made.append(...children);
  return made;
}

// The text with the places marked (<mark>), cut around the first place when `cut`.
function marked(text, placed, cut) {
  const chars = Array.from(text);
  let start = 0;
  let end = chars.length;
  if (cut && chars.length > LENGTH) {
    start = Math.max(0, (placed.length ? placed[0][0] : 0) - BEFORE);
    end = Math.min(chars.length, start + LENGTH);
  }
  const out = [];
  if (start > 0) out.push("…");
  let at = start;
  for (const [from, to] of placed) {
    if (to <= start || from >= end) continue;
    const a = Math.max(from, start);
    const b = Math.min(to, end);
    if (a > at) out.push(chars.slice(at, a).join(""));
    out.push(element("mark", { textContent: chars.slice(a, b).join("") }));
    at = b;
  }
  if (end > at) out.push(chars.slice(at, end).join(""));
  if (end < chars.length) out.push("…");
  return out;
}

function result(found) {
  const url = new URL(found.url, siteRoot);
  const item = element(
    "li",
    { className: "policyc-search__result" },
    element("a", { href: url.href, className: "policyc-search__title" }, ...marked(found.title, found.inTitle, false)),
    // The address too: a province's jurisdictions may share a document's title.
    element("span", { className: "policyc-search__url", textContent: found.url }),
  );
  const list = element("ul", { className: "policyc-search__sections" });
  for (const hit of found.hits.slice(0, SECTIONS_SHOWN)) {
    const link = new URL(found.url, siteRoot);
    if (hit.anchor) link.hash = hit.anchor;
    list.append(
      element(
        "li",
        {},
        element("a", { href: link.href }, ...marked(hit.heading, hit.inHeading, false)),
        element("p", {}, ...marked(hit.text, hit.inText, true)),
      ),
    );
  }
  if (found.hits.length > SECTIONS_SHOWN) {
    list.append(element("li", { className: "policyc-search__more", textContent: `该页另有 ${found.hits.length - SECTIONS_SHOWN} 处` }));
  }
  if (found.hits.length) item.append(list);
  return item;
}

function mount() {
  const place = document.getElementById("policyc-search");
  const form = element("form", { role: "search", className: "policyc-search__form" });
  const input = element("input", {
    type: "search",
    name: "q",
    className: "policyc-search__input",
    placeholder: "输入词语，多个词语用空格分开",
    autocomplete: "off",
  });
  input.setAttribute("aria-label", "搜索");
  const status = element("p", { className: "policyc-search__status" });
  status.setAttribute("role", "status");
  const results = element("ol", { className: "policyc-search__results" });
  const more = element("button", { type: "button", className: "md-button", textContent: "显示更多" });
  // Material's .md-button is display: inline-block, which the `hidden` attribute does not beat.
  const showMore = (shown) => {
    more.style.display = shown ? "" : "none";
  };
  showMore(false);
  form.append(input);
  place.replaceChildren(form, status, results, more);

  let run = 0; // the search under way; an older one stops when a newer starts
  let state = null;

  async function next() {
    const mine = run;
    // The button stays while the next pages are read, disabled: a second press would read
    // them twice.
    more.disabled = true;
    more.textContent = "正在读取……";
    try {
      let shown = 0;
      while (shown < BATCH && state.read < state.candidates.length) {
        const batch = state.candidates.slice(state.read, state.read + BATCH);
        const pages = await Promise.all(batch.map((n) => index.page(n)));
        if (mine !== run) return;
        state.read += batch.length;
        for (const page of pages) {
          const found = check(page, state.terms);
          if (found === null) continue;
          results.append(result(found));
          state.found += 1;
          shown += 1;
        }
      }
    } finally {
      // A page that could not be read is read again at the next press (state.read stays).
      if (mine === run) {
        more.disabled = false;
        more.textContent = "显示更多";
      }
    }
    const left = state.candidates.length - state.read;
    const quoted = state.terms.map((t) => `“${t}”`).join("、");
    // Where the terms are exact (engine `exact`), every candidate holds them: the count is
    // known before they are read.
    const total = state.exact ? state.candidates.length : state.found;
    if (state.exact || left === 0) {
      status.textContent = total ? `找到 ${total} 个含有${quoted}的页面` : `没有含有${quoted}的页面`;
      if (left > 0) status.textContent += `，已显示 ${state.found} 个`;
    } else {
      status.textContent = `已找到 ${state.found} 个含有${quoted}的页面；还有 ${left} 个页面可能含有，未读`;
    }
    showMore(left > 0);
  }

  async function search(query) {
    const mine = ++run;
    const url = new URL(window.location.href);
    if (query.trim()) url.searchParams.set("q", query.trim());
    else url.searchParams.delete("q");
    window.history.replaceState(null, "", url);
    results.replaceChildren();
    showMore(false);
    const searched = terms(query);
    if (searched.length === 0) {
      status.textContent = "";
      return;
    }
    status.textContent = "正在搜索……";
    const candidates = await index.candidates(searched);
    if (mine !== run) return;
    state = { terms: searched, candidates, read: 0, found: 0, exact: exact(searched) };
    await next();
  }

  // A failure of a search that a newer one has replaced is not this one's.
  const failed = (mine) => (error) => {
    if (mine !== run) return;
    // (A page opened from a file never gets here: the browser does not load this module
    // there, and the page's own text says that search needs the site served.)
    status.textContent = `搜索无法完成：${error.message}`;
    console.error(error);
  };
  const begin = (query) => {
    const searching = search(query); // its run is `run` from here on
    searching.catch(failed(run));
  };

  // While an input method composes (pinyin: "min" before 民), the box holds letters that are
  // not the query: it is searched when the composition ends.
  let timer = 0;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => begin(input.value), 300);
  };
  input.addEventListener("input", (event) => {
    if (!event.isComposing) soon();
  });
  input.addEventListener("compositionend", soon);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    begin(input.value);
  });
  more.addEventListener("click", () => next().catch(failed(run)));

  const query = new URLSearchParams(window.location.search).get("q");
  if (query) {
    input.value = query;
    begin(query);
  }
  input.focus();
}

mount();
