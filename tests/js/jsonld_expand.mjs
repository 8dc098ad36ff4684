// Expands JSON-LD documents with jsonld.js in safe mode, loading contexts only from local files.
// stdin:  {"contexts": {"<url>": "<path of the bundled file>", ...}, "documents": [<document>, ...]}
// stdout: {"results": [{"ok": true, "expanded": [...], "compacted": {...}}
//                      | {"ok": false, "error": "...", "code": "...", "details": [...]}, ...],
//          "loaded": ["<url>", ...]}
// The document loader never reaches the network: a URL not in "contexts" fails the document. Safe mode makes
// every dropped term (an undefined property or type, a relative IRI) an error. `compacted` is the expanded
// form compacted again with the document's own @context, so a caller can check nothing was lost.
import { readFile } from "node:fs/promises";
import jsonld from "jsonld";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const files = new Map(Object.entries(input.contexts || {}));
const cache = new Map();
const loaded = new Set();

async function documentLoader(url) {
  if (!files.has(url)) throw new Error(`refusing to load ${url}: not a bundled context`);
  if (!cache.has(url)) cache.set(url, JSON.parse(await readFile(files.get(url), "utf8")));
  loaded.add(url);
  return { contextUrl: null, documentUrl: url, document: structuredClone(cache.get(url)) };
}

function describe(error) {
  const details = error.details || {};
  const events = (details.event ? [details.event] : []).map((e) => ({
    code: e.code,
    level: e.level,
    message: e.message,
    details: e.details,
  }));
  const cause = details.cause ? [describe(details.cause)] : [];
  return {
    ok: false,
    error: String(error.message || error),
    code: details.code || error.name,
    details: events.concat(cause),
  };
}

const results = [];
for (const document of input.documents || []) {
  try {
    const expanded = await jsonld.expand(document, { documentLoader, safe: true });
    const compacted = await jsonld.compact(
      expanded,
      { "@context": document["@context"] },
      { documentLoader, safe: true },
    );
    results.push({ ok: true, expanded, compacted });
  } catch (error) {
    results.push(describe(error));
  }
}
process.stdout.write(JSON.stringify({ results, loaded: [...loaded].sort() }));
