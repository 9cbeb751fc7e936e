// policyc: the search of a province's site, the engine (no page, no DOM: Node runs it in
// tests/test_site_search.py).  The index is written by compiler/backends/site/search.py, whose
// docstring says what it holds; the normalization, the tokens and the shard hash here are the
// same as there, and the tests check that they agree.  Keep the two in step.
//
// A search: the query's terms (split at whitespace); each term's tokens (its pairs of adjacent
// characters, or its one character); the pages listed under every token (the candidates: they
// include every page that holds every term); then each candidate's text, read to keep the
// pages that hold every term and to show where.

export const FORMAT = 1;

// Each character by its NFKC form in lower case, where that is one character: as long as the
// text, character for character (search.py `normalize`).
export function normalizeChar(char) {
  const normal = char.normalize("NFKC").toLowerCase();
  return Array.from(normal).length === 1 ? normal : char;
}

export function normalize(text) {
  return Array.from(text, normalizeChar).join("");
}

// The query's terms, normalized, without repeats, in the order typed.
export function terms(query) {
  const out = [];
  for (const word of query.split(/\s+/)) {
    const term = normalize(word).trim();
    if (term && !out.includes(term)) out.push(term);
  }
  return out;
}

// What the index must list a page under for it to hold `term`: its pairs of adjacent
// characters, or its one character (search.py `tokens`).  A term holds no whitespace.
export function termTokens(term) {
  const chars = Array.from(term);
  if (chars.length === 1) return chars;
  const out = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
  return [...new Set(out)];
}

// FNV-1a (32 bits) over the token's UTF-8, modulo the number of shards (search.py `shard_of`).
const encoder = new TextEncoder();
export function shardOf(token, shards) {
  let value = 0x811c9dc5;
  for (const byte of encoder.encode(token)) {
    value = Math.imul(value ^ byte, 0x01000193) >>> 0;
  }
  return value % shards;
}

function intersect(lists) {
  const sorted = [...lists].sort((a, b) => a.length - b.length);
  let out = sorted[0];
  for (const other of sorted.slice(1)) {
    const set = new Set(other);
    out = out.filter((n) => set.has(n));
  }
  return out;
}

function undoGaps(gaps) {
  const out = [];
  let at = 0;
  for (const gap of gaps) out.push((at += gap));
  return out;
}

// An index over `load(path, build)`, which reads a file of the index's folder as JSON
// ("meta.json", "shards/3.json", "pages/12.json") and rejects when it cannot.  `build` is null
// for the meta, which must be read afresh, and the meta's build for the others: a file cached
// under it is this build's (search.py `Indexer.finish`).
export class Index {
  constructor(load) {
    this.load = load;
    this.meta = null;
    this.shards = new Map();
  }

  async open() {
    if (this.meta === null) {
      const meta = await this.load("meta.json", null);
      if (meta.format !== FORMAT) throw new Error(`index format ${meta.format}, not ${FORMAT}`);
      this.meta = meta;
    }
    return this.meta;
  }

  shard(number) {
    if (!this.shards.has(number)) {
      const loading = this.load(`shards/${number}.json`, this.meta.build);
      loading.catch(() => this.shards.delete(number)); // tried again by the next search
      this.shards.set(number, loading);
    }
    return this.shards.get(number);
  }

  // The numbers of the pages whose tokens include every token of every term, in the
  // results' order (the nav's sections, then the address).
  async candidates(searched) {
    const meta = await this.open();
    const wanted = [...new Set(searched.flatMap(termTokens))];
    if (wanted.length === 0) return [];
    const lists = await Promise.all(
      wanted.map(async (token) => {
        const shard = await this.shard(shardOf(token, meta.shards));
        return undoGaps(Object.hasOwn(shard, token) ? shard[token] : []);
      }),
    );
    return intersect(lists);
  }

  async page(number) {
    const meta = await this.open();
    return this.load(`pages/${number}.json`, meta.build);
  }
}

// Where each term is in a text: [start, end] in characters (code points), in order, not
// overlapping.
export function places(text, searched) {
  const chars = Array.from(normalize(text));
  const found = [];
  for (const term of searched) {
    const want = Array.from(term);
    for (let i = 0; i + want.length <= chars.length; i++) {
      let same = true;
      for (let j = 0; j < want.length && same; j++) same = chars[i + j] === want[j];
      if (same) found.push([i, i + want.length]);
    }
  }
  found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const out = [];
  for (const place of found) {
    if (out.length && place[0] < out[out.length - 1][1]) continue;
    out.push(place);
  }
  return out;
}

// A page read from pages/<n>.json, checked against the terms: null when some term is in none
// of its title, headings and texts; else its sections that hold a term, each with the places
// of the terms in its heading and in its text.
export function check(page, searched) {
  // The page's texts (search.py `texts`), each searched on its own.
  const all = [page.title, ...page.sections.flatMap(([, heading, text]) => [heading, text])];
  const normal = all.map(normalize);
  if (!searched.every((term) => normal.some((text) => text.includes(term)))) return null;
  const hits = [];
  for (const [anchor, heading, text] of page.sections) {
    const inHeading = places(heading, searched);
    const inText = places(text, searched);
    if (inHeading.length || inText.length) hits.push({ anchor, heading, text, inHeading, inText });
  }
  return { url: page.url, title: page.title, inTitle: places(page.title, searched), hits };
}

// Whether every candidate holds the terms, unread: each term of one or two characters is a
// token itself, and a page is listed under a token only if one of its texts holds it.
export function exact(searched) {
  return searched.every((term) => Array.from(term).length <= 2);
}
