// Runs the bundled verification core (api/static/dist/verify-core.js, as the page loads it) on the shared
// vectors and prints what it computes, in the vectors' own shape, as one JSON document on stdout:
//     node tests/js/verify-core/vectors.mjs BUNDLE VECTORS_DIR
import { readFileSync } from "node:fs";
import { join } from "node:path";
import vm from "node:vm";

const [bundlePath, vectors] = process.argv.slice(2);
vm.runInThisContext(readFileSync(bundlePath, "utf8"), { filename: bundlePath });
const H = globalThis.HurongVerify;

const load = (name) => H.parseJson(readFileSync(join(vectors, name), "ascii"));
const hex = (bytes) => H.bytesToHex(bytes);
const unhex = (list) => list.map((h) => H.hexToBytes(h));
const error = (e) => {
  if (!(e instanceof H.LedgerValueError)) throw e;
  return { error: { type: e.name, message: e.message } };
};
async function attempt(run) {
  try {
    return await run();
  } catch (e) {
    return error(e);
  }
}

const out = { scalars: [], salting: [], disclosure: [], merkle: [] };
for (const c of load("scalars.json")) {
  out.scalars.push(await attempt(() => ({ canonical: H.canonicalScalar(c.get("value")) })));
}
for (const c of load("salting.json")) {
  out.salting.push(await attempt(async () => {
    const suite = c.get("suite");
    const { salts, digest } = await H.saltFields(c.get("document"), suite, c.get("salts"));
    const values = new Map(H.iterFields(c.get("document")));
    const fields = [];
    for (const [pointer, salt] of salts) fields.push([pointer, salt, hex(await H.fieldHash(suite, salt, pointer, values.get(pointer)))]);
    const combined = hex(await H.combine(suite, fields.map((f) => H.hexToBytes(f[2]))));
    return { fields, digest: hex(digest), combined };
  }));
}
for (const c of load("disclosure.json")) {
  out.disclosure.push(await attempt(async () => ({ digest: hex(await H.recomputeDigest(c.get("document"))) })));
}
for (const c of load("merkle.json")) {
  const digests = unhex(c.get("digests"));
  const tree = H.merkleTree(digests);
  const root = tree.root;
  const proofs = digests.map((d) => tree.proof(d));
  out.merkle.push({
    root: hex(root),
    order: tree.order,
    leaves: digests.map((d) => hex(H.leafHash(d))),
    proofs: proofs.map((p) => p.map(hex)),
    verified: digests.map((d, i) => H.verifyProof(root, d, proofs[i]) && hex(H.processProof(H.leafHash(d), proofs[i])) === hex(root)),
    tampered: digests.map((d, i) => {
      const other = Uint8Array.from(d);
      other[0] ^= 1;
      return H.verifyProof(root, other, proofs[i]);
    }),
  });
}
process.stdout.write(JSON.stringify(out));
