#!/usr/bin/env node
// Compiles Solidity through solc-js (wasm): reads a standard-JSON input on stdin, resolves imports from the
// project's node_modules and contracts folders, and writes solc's standard-JSON output on stdout.
// Usage: node solc_compile.cjs <project-root>   (stdin: standard JSON input)
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(process.argv[2] || process.cwd());
let solc;
try {
  solc = require(require.resolve('solc', { paths: [root] }));
} catch (err) {
  process.stderr.write(`solc-js not found under ${root}/node_modules: run npm install\n`);
  process.exit(3);
}

function findImports(importPath) {
  const candidates = [path.join(root, 'node_modules', importPath), path.join(root, importPath)];
  for (const candidate of candidates) {
    const resolved = path.resolve(candidate);
    if (!resolved.startsWith(root + path.sep)) continue;
    if (fs.existsSync(resolved)) return { contents: fs.readFileSync(resolved, 'utf8') };
  }
  return { error: `File not found: ${importPath}` };
}

const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  const input = Buffer.concat(chunks).toString('utf8');
  const output = solc.compile(input, { import: findImports });
  const parsed = JSON.parse(output);
  parsed.compilerVersion = solc.version();
  process.stdout.write(JSON.stringify(parsed));
});
