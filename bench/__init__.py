"""Hurong's benchmarks and the gas report, apart from the product (nothing in `ledger` or `api` imports `bench`).

Every benchmark and its command (figures in BENCHMARKS.md):

- `hurong bench issue`: batch issuance end to end (certificates/s) and gas per certificate at batch 1, 100,
  1,000 and 10,000, library level (`bench/library.py`).
- `hurong bench verify`: bulk and single verification (verifications/s), library level (`bench/library.py`).
- `hurong bench api`: the service under load from wrk, `POST /verify` requests/s with p50/p99 and
  `POST /verify/bulk` certificates/s (`bench/service.py`).
- `hurong bench peer`: the same as `python -m bench.compare` (its options pass through).
- `hurong gas-report`: the gas of every mutating contract function, from receipts (`bench/gasreport.py`).
- `python -m bench.compare --n 1000`: Hurong and OpenAttestation side by side on one anvil (`bench/compare/`;
  the peer's pinned npm packages and Node scripts are in `bench/peer/`, the figures land in `bench/results/`).
- `python -m bench.mixed --minutes 10`: a mixed load on the service (issue, verify, status changes) for a
  fixed time (`bench/mixed.py`).

Shared by them: `bench/consortium.py` (the consortiums, the sample licences, the demo consortium served),
`bench/wrk.py` (running and reading wrk), `bench/common.py` (folders, percentiles, JSON output);
`bench/cli.py` plugs the `hurong` commands in through the `hurong.commands` entry point.
"""
