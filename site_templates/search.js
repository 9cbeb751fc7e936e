// policyc: the search page of a province's site (compiler/backends/site/search.py).  Pagefind's
// own interface over the index the build wrote into pagefind/ at the site's root, merged with
// the bundles listed in pagefind/policyc-bundles.json (a province's pages are indexed a
// thousand at a time); a search loads only the index chunks of its words.  `?q=词语` in the
// page's address searches at once.
// Written beside the search page as assets/policyc/search.js (search.py SCRIPT).
const siteRoot = new URL("../../", import.meta.url);
const bundle = new URL("pagefind/", siteRoot);

function load(tag, attributes) {
  return new Promise((resolve, reject) => {
    const element = Object.assign(document.createElement(tag), attributes);
    element.addEventListener("load", resolve);
    element.addEventListener("error", () => reject(new Error(`cannot load ${attributes.href || attributes.src}`)));
    document.head.appendChild(element);
  });
}

async function bundles() {
  const response = await fetch(new URL("policyc-bundles.json", bundle));
  if (!response.ok) throw new Error(`cannot load the list of indexes (${response.status})`);
  const others = await response.json();
  return others.map((folder) => ({ bundlePath: new URL(folder, siteRoot).pathname }));
}

async function start() {
  const [mergeIndex] = await Promise.all([
    bundles(),
    load("link", { rel: "stylesheet", href: new URL("pagefind-ui.css", bundle).href }),
    load("script", { src: new URL("pagefind-ui.js", bundle).href }),
  ]);
  const ui = new window.PagefindUI({
    element: "#policyc-search",
    bundlePath: bundle.pathname,
    mergeIndex,
    baseUrl: siteRoot.pathname, // the site may be served under a folder, not at "/"
    showSubResults: true, // the clause a word is found at, with its anchor
    showImages: false,
    autofocus: true,
  });
  const query = new URLSearchParams(window.location.search).get("q");
  if (query) ui.triggerSearch(query);
}

start().catch((error) => {
  const place = document.getElementById("policyc-search");
  if (place) place.textContent = `搜索无法载入：${error.message}`;
  throw error;
});
