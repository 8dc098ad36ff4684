// Shared helpers of the peer scripts: arguments, the JSON-RPC provider, the DocumentStore artifact and
// receipt polling. Every script prints one JSON object on its last line of stdout.
"use strict";

const fs = require("fs");
const { performance } = require("perf_hooks");
const { ethers } = require("ethers");

const CHAIN_ID = 31337;

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    if (!name.startsWith("--")) throw new Error(`unexpected argument ${name}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) {
      args[name.slice(2)] = true;
    } else {
      args[name.slice(2)] = next;
      i++;
    }
  }
  return args;
}

function required(args, name) {
  if (args[name] === undefined || args[name] === true) throw new Error(`--${name} is required`);
  return args[name];
}

// A provider with a fixed network (no eth_chainId round trip per call), counting the JSON-RPC calls it makes.
function makeProvider(url) {
  const provider = new ethers.providers.StaticJsonRpcProvider(url, { chainId: CHAIN_ID, name: "anvil" });
  provider.rpcCalls = {};
  const send = provider.send.bind(provider);
  provider.send = (method, params) => {
    provider.rpcCalls[method] = (provider.rpcCalls[method] || 0) + 1;
    return send(method, params);
  };
  return provider;
}

// The DocumentStore of @govtechsg/document-store 3.0.0: its ABI and bytecode only. The package's own factory
// classes target ethers 6; the contract is deployed and called here with ethers 5.7 like oa-verify 9.4 does.
function documentStoreArtifact() {
  const factory = require("@govtechsg/document-store/dist/contracts/factories/contracts/DocumentStore__factory.js");
  const { abi, bytecode } = factory.DocumentStore__factory;
  return { abi, bytecode };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Poll eth_getTransactionReceipt (5 ms, backing off to 100 ms), as Hurong does: never ethers' tx.wait(),
// which polls blocks every 4 s by default (and adds ~120 ms per transaction on anvil at best).
async function waitForReceipt(provider, hash, timeoutMs = 120000) {
  const deadline = performance.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    const receipt = await provider.send("eth_getTransactionReceipt", [hash]);
    if (receipt) {
      if (receipt.status !== "0x1") throw new Error(`transaction ${hash} failed`);
      return receipt;
    }
    if (performance.now() > deadline) throw new Error(`no receipt for ${hash} within ${timeoutMs} ms`);
    await sleep(delay);
    delay = Math.min(delay * 1.5, 100);
  }
}

// A wallet with a local nonce counter and the fees read once per run, as Hurong's transactor does (it also
// estimates gas per transaction). The fees are given as a full EIP-1559 pair: with a legacy gasPrice, or with
// no fees, ethers 5 reads the latest block and the gas price again before every estimate or send. The gas a
// transaction uses does not depend on its type.
async function makeSender(provider, key) {
  const wallet = new ethers.Wallet(key, provider);
  let nonce = await provider.getTransactionCount(wallet.address, "pending");
  const fees = await provider.getFeeData();
  const maxPriorityFeePerGas = fees.maxPriorityFeePerGas;
  const maxFeePerGas = fees.maxFeePerGas.mul(2);
  return {
    wallet,
    overrides: () => ({ nonce: nonce++, type: 2, maxFeePerGas, maxPriorityFeePerGas }),
  };
}

function readJson(path) {
  return JSON.parse(fs.readFileSync(path, "utf8"));
}

function writeJson(path, value) {
  fs.writeFileSync(path, JSON.stringify(value));
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

function round(value, digits = 2) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function main(run) {
  run(parseArgs(process.argv.slice(2)))
    .then((result) => {
      process.stdout.write(JSON.stringify(result) + "\n");
    })
    .catch((error) => {
      process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
      process.exit(1);
    });
}

module.exports = {
  CHAIN_ID,
  documentStoreArtifact,
  main,
  makeProvider,
  makeSender,
  percentile,
  readJson,
  required,
  round,
  waitForReceipt,
  writeJson,
};
