// Hardhat 3 runs the Solidity tests of the contracts (tests/contracts/*.t.sol, forge-std style).
// The compiler is solc-js from node_modules: nothing is downloaded. Settings match ledger/compiler.py.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** @type {import("hardhat/config").HardhatUserConfig} */
export default {
  solidity: {
    version: "0.8.30",
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 1000 },
      evmVersion: "paris",
    },
  },
  paths: {
    sources: "./contracts",
    tests: { solidity: "./tests/contracts" },
  },
};
