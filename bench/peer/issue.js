// Wrap OpenAttestation v2 raw documents in batches and anchor each batch's Merkle root on the DocumentStore.
//   node issue.js --rpc URL --key 0x… --store 0x… --in raw.json --batch 100 [--out wrapped.json]
//                 [--warmup 50] [--repeat 3] [--no-anchor]
// End to end per batch: wrapDocuments (schema check, salting, hashing, Merkle tree) + issue(merkleRoot) sent;
// then every receipt by polling eth_getTransactionReceipt. Timing starts after the input is read and the
// warm-up is done, and stops at the last receipt; with --repeat R the same documents are issued R times
// (new salts, so new roots) and the median run is reported. --no-anchor wraps only (a never-issued document).
"use strict";

const { performance } = require("perf_hooks");
const { ethers } = require("ethers");
const { wrapDocuments } = require("@govtechsg/open-attestation");
const {
  documentStoreArtifact,
  main,
  makeProvider,
  makeSender,
  readJson,
  required,
  round,
  waitForReceipt,
  writeJson,
} = require("./common");

async function anchorAll(documents, batch, store, sender, provider) {
  const roots = [];
  const pending = [];
  const wrapped = [];
  let wrapMs = 0;
  for (let i = 0; i < documents.length; i += batch) {
    const t0 = performance.now();
    const batchWrapped = wrapDocuments(documents.slice(i, i + batch));
    wrapMs += performance.now() - t0;
    const root = "0x" + batchWrapped[0].signature.merkleRoot;
    if (store) pending.push((await store.issue(root, sender.overrides())).hash);
    roots.push(root);
    for (const doc of batchWrapped) wrapped.push(doc);
  }
  const receipts = [];
  for (const hash of pending) receipts.push(await waitForReceipt(provider, hash));
  return { roots, wrapped, receipts, wrapMs };
}

main(async (args) => {
  const documents = readJson(required(args, "in"));
  const batch = parseInt(required(args, "batch"), 10);
  if (!(batch >= 1)) throw new Error("--batch must be a positive integer");
  const anchor = !args["no-anchor"];
  const provider = makeProvider(required(args, "rpc"));
  let store = null;
  let sender = null;
  if (anchor) {
    sender = await makeSender(provider, required(args, "key"));
    store = new ethers.Contract(required(args, "store"), documentStoreArtifact().abi, sender.wallet);
  }
  const warmup = Math.min(parseInt(args.warmup || "0", 10), documents.length);
  if (warmup > 0) {
    // Same work on copies of the first documents (new salts, so a different root): JIT and connections warm.
    await anchorAll(JSON.parse(JSON.stringify(documents.slice(0, warmup))), warmup, store, sender, provider);
  }
  const repeat = Math.max(1, parseInt(args.repeat || "1", 10));
  const runs = [];
  let last = null;
  for (let r = 0; r < repeat; r++) {
    for (const key of Object.keys(provider.rpcCalls)) delete provider.rpcCalls[key];
    const started = performance.now();
    last = await anchorAll(documents, batch, store, sender, provider);
    runs.push({ seconds: (performance.now() - started) / 1000, wrapSeconds: last.wrapMs / 1000 });
  }
  const { roots, wrapped, receipts } = last;
  const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor((runs.length - 1) / 2)];
  const seconds = median.seconds;
  if (typeof args.out === "string") writeJson(args.out, wrapped);
  const gas = receipts.map((r) => parseInt(r.gasUsed, 16));
  const totalGas = gas.reduce((a, b) => a + b, 0);
  return {
    count: documents.length,
    batch,
    roots: roots.length,
    anchored: anchor,
    seconds: round(seconds, 4),
    wrap_seconds: round(median.wrapSeconds, 4),
    runs_seconds: runs.map((r) => round(r.seconds, 4)),
    certificates_per_second: round(documents.length / seconds, 1),
    gas_per_root: gas,
    total_gas: totalGas,
    gas_per_certificate: anchor ? round(totalGas / documents.length, 2) : null,
    transactions: receipts.map((r) => r.transactionHash),
    rpc_calls: provider.rpcCalls,
    target_hashes: wrapped.map((d) => d.signature.targetHash),
    node: process.version,
  };
});
