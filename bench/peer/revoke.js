// Revoke one wrapped document on the DocumentStore: revoke(targetHash).
//   node revoke.js --rpc URL --key 0x… --store 0x… --hash <targetHash>
"use strict";

const { ethers } = require("ethers");
const { documentStoreArtifact, main, makeProvider, makeSender, required, waitForReceipt } = require("./common");

main(async (args) => {
  const provider = makeProvider(required(args, "rpc"));
  const sender = await makeSender(provider, required(args, "key"));
  const store = new ethers.Contract(required(args, "store"), documentStoreArtifact().abi, sender.wallet);
  const raw = required(args, "hash");
  const hash = raw.startsWith("0x") ? raw : "0x" + raw;
  const tx = await store.revoke(hash, sender.overrides());
  const receipt = await waitForReceipt(provider, tx.hash);
  return { revoked: hash, transactionHash: receipt.transactionHash, gasUsed: parseInt(receipt.gasUsed, 16) };
});
