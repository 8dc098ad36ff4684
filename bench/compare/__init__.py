"""Hurong and OpenAttestation side by side: the same licences, one anvil, one run.

    python -m bench.compare --n 1000            # batch sizes 1, 100, 1,000 (and 10,000 when N ≥ 10,000)

1. Installs the peer (`bench/peer/`: pinned `@govtechsg/open-attestation` 6.9, `@govtechsg/document-store`
   3.0.0, `ethers` 5.7.2, `@govtechsg/oa-verify` 9.4) with `npm install` from its lockfile, under Node 22.
2. Starts one anvil (`ledger.chain.node.Anvil`), bootstraps Hurong's contracts with the one-agency consortium
   (`bench.consortium.one_agency`, as `hurong bench issue|verify`) and deploys the peer's DocumentStore (3.0.0
   ABI and bytecode, ethers 5.7) to it.
3. Builds the same N business licences for both (`bench.consortium.sample_licence`: the same fields, Chinese
   text, ~1.2–1.5 KiB): a VC 2.0 `ElectronicLicense` for Hurong, an OpenAttestation v2 raw document (the same
   data plus `issuers` with the `documentStore` and a DNS-TXT identity-proof placeholder) for the peer.
4. Issues them end to end with both at each batch size (Hurong: `Issuer.issue`; the peer: `wrapDocuments`
   + `issue(merkleRoot)` per batch), both polling `eth_getTransactionReceipt`, and reads the gas of every
   anchoring transaction from its receipt.
5. Verifies the certificates issued at the largest batch size with both: the peer through oa-verify (hash
   and document-store status verifiers, one at a time and concurrently; its DNS identity check is skipped),
   Hurong through the library (`verify` one at a time, `verify_many`) and the HTTP API (`POST /verify` under
   wrk, `POST /verify/bulk`).
6. Checks that every verifier accepts a valid certificate and rejects the same tampered, never-issued and
   revoked ones. Any verifier accepting a forgery (or rejecting a valid certificate) fails the run.
7. Prints the table Hurong / OpenAttestation / ratio, writes it as JSON and Markdown to `bench/results/`
   and draws a PNG chart of issuance throughput (and gas per certificate) against batch size.

Modules: `peer` (the peer's Node packages and scripts, its documents), `chain` (the shared anvil, Hurong's
service on it, Hurong's forgeries), `run` (the phases: issuance, probes, verification; the failures), `report`
(the table, Markdown, chart and JSON), `main` (the command line; `__main__` runs it).

Exit status: 0 when every check passed, 1 when the run found a failure (listed in the output).
"""

from __future__ import annotations

from bench.compare.chain import BenchmarkFailure, SharedChain, hurong_service
from bench.compare.main import main
from bench.compare.peer import PeerUnavailable, ensure_peer, run_peer
from bench.compare.report import draw_chart, markdown, print_table, table_rows, write_results
from bench.compare.run import CASES, Comparison, compare, default_batches, failures_of

__all__ = [
    "CASES",
    "BenchmarkFailure",
    "Comparison",
    "PeerUnavailable",
    "SharedChain",
    "compare",
    "default_batches",
    "draw_chart",
    "ensure_peer",
    "failures_of",
    "hurong_service",
    "main",
    "markdown",
    "print_table",
    "run_peer",
    "table_rows",
    "write_results",
]
