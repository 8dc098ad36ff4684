// Verify wrapped OpenAttestation v2 documents with oa-verify 9.4: its document-integrity verifier
// (openAttestationHash) and document-store issued/revoked status verifier
// (openAttestationEthereumDocumentStoreStatus), reading chain 31337 through a StaticJsonRpcProvider.
// The DNS-TXT identity verifier is not run: it resolves the issuer's domain over the internet.
//   node verify.js --rpc URL --in wrapped.json [--concurrency 1] [--warmup 20]
// Prints throughput, latency percentiles, JSON-RPC calls per document, and each document's validity.
"use strict";

const { performance } = require("perf_hooks");
const {
  isValid,
  openAttestationEthereumDocumentStoreStatus,
  openAttestationHash,
  verificationBuilder,
} = require("@govtechsg/oa-verify");
const { main, makeProvider, percentile, readJson, required, round } = require("./common");

const TYPES = ["DOCUMENT_INTEGRITY", "DOCUMENT_STATUS"];

function summary(fragments) {
  return fragments
    .filter((f) => f.status !== "VALID")
    .map((f) => `${f.name}:${f.status}${f.reason ? `:${f.reason.codeString || f.reason.message}` : ""}`);
}

main(async (args) => {
  const documents = readJson(required(args, "in"));
  const concurrency = Math.max(1, parseInt(args.concurrency || "1", 10));
  const provider = makeProvider(required(args, "rpc"));
  const verify = verificationBuilder([openAttestationHash, openAttestationEthereumDocumentStoreStatus], { provider });

  const warmup = Math.min(parseInt(args.warmup || "0", 10), documents.length);
  for (let i = 0; i < warmup; i++) await verify(documents[i]);
  for (const key of Object.keys(provider.rpcCalls)) delete provider.rpcCalls[key];

  const valid = new Array(documents.length);
  const problems = new Array(documents.length);
  const latencies = new Array(documents.length);
  let next = 0;
  async function worker() {
    while (next < documents.length) {
      const i = next++;
      const t0 = performance.now();
      const fragments = await verify(documents[i]);
      latencies[i] = performance.now() - t0;
      valid[i] = isValid(fragments, TYPES);
      problems[i] = valid[i] ? [] : summary(fragments);
    }
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, documents.length) }, worker));
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const calls = Object.values(provider.rpcCalls).reduce((a, b) => a + b, 0);
  return {
    count: documents.length,
    concurrency,
    seconds: round(seconds, 4),
    verifications_per_second: round(documents.length / seconds, 1),
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    rpc_calls_per_document: round(calls / Math.max(1, documents.length), 2),
    rpc_calls: provider.rpcCalls,
    checks: TYPES,
    skipped: ["ISSUER_IDENTITY (DNS-TXT: needs the internet)"],
    valid,
    problems,
  };
});
