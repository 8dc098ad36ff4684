#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the local consortium until Ctrl-C: anvil on 127.0.0.1:8545, the contracts
# deployed, three provinces with two agencies each and their recognition rules, a few hundred demo
# certificates, and the service (API, docs, verification page, metrics) on http://127.0.0.1:8000.
# State is kept in .hurong/ and reused on the next start; .hurong/demo.json holds the API keys.
# Extra arguments go to `hurong demo` (e.g. --port 8001 --chain-port 8546 --home /tmp/hurong).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/hurong demo "$@"
