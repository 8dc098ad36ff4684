#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs a local consortium until Ctrl-C: anvil on 127.0.0.1:8545 with its
# state kept in .hurong/, the contracts deployed and the three-province consortium of
# examples/consortium.yaml bootstrapped on first start and reused afterwards. Extra arguments go to
# `hurong local`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/hurong local "$@"
