// Checks trust bundles with the bundled verification core, as the page does: reads
// [{"bundle": ..., "publicKey": "<hex>"}, ...] on stdin and prints, for each, {"ok": true, "age": seconds at
// "now"} or {"ok": false, "code": "..."}.
//     node tests/js/verify-core/bundle.mjs BUNDLE NOW < cases.json
import { readFileSync } from "node:fs";
import vm from "node:vm";

const [bundlePath, now] = process.argv.slice(2);
vm.runInThisContext(readFileSync(bundlePath, "utf8"), { filename: bundlePath });
const H = globalThis.HurongVerify;
const cases = JSON.parse(readFileSync(0, "utf8"));
const out = cases.map(({ bundle, publicKey }) => {
  try {
    const payload = H.checkBundle(bundle, publicKey);
    return { ok: true, age: H.bundleAge(payload, Number(now)) };
  } catch (e) {
    if (typeof e.code !== "string") throw e;
    return { ok: false, code: e.code };
  }
});
process.stdout.write(JSON.stringify(out));
