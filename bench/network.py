"""The consortium on a four-validator Clique network against anvil, in the same run: issuance certificates/s at
batch 1,000 and 10,000, anchoring latency (submit → receipt, in blocks and seconds), single verifications/s
(each with its own chain reads), and issuance while one validator of four is down.

    python -m bench.network [--out bench/results/network.json]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import percentile, write_json
from bench.consortium import ISSUER, ISSUER_NAME, one_agency, sample_licence
from ledger.certificates import build_credential
from ledger.chain.bootstrap import bootstrap, parse_description
from ledger.chain.client import HurongClient
from ledger.chain.node import Anvil
from ledger.issuance.issuer import Issuer
from ledger.issuance.journal import Journal
from ledger.verification.verifier import VALID, VerificationContext, Verifier


def _credentials(agency: HurongClient, start: int, count: int) -> list[dict[str, Any]]:
    assert agency.address is not None
    return [build_credential(sample_licence(i), issuer_address=agency.address, chain_id=agency.deployment.chain_id,
                             issuer_name=ISSUER_NAME, registry=agency.certificates.address)
            for i in range(start, start + count)]  # fmt: skip


def measure(url: str, folder: Path, *, quick: bool = False) -> dict[str, Any]:
    """Bootstrap the one-agency consortium on the chain at `url` and take every figure."""
    result = bootstrap(parse_description(one_agency()), url)
    agency = HurongClient.connect(url, result.deployment, result.keys[ISSUER])
    reader = HurongClient.connect(url, result.deployment)
    out: dict[str, Any] = {}
    serial = 0
    for batch, count in ((1_000, 3_000), (10_000, 20_000)):
        issuer = Issuer(agency, Journal(folder / f"issue-{batch}.sqlite"), max_batch=batch)
        creds = _credentials(agency, serial, count)
        serial += count
        started = time.perf_counter()
        issuer.issue(creds)
        elapsed = time.perf_counter() - started
        out[f"issue_batch_{batch}_per_second"] = round(count / elapsed)
        print(f"  batch {batch:>6,}: {count:,} certificates in {elapsed:.2f} s = {count / elapsed:,.0f}/s")
    out.update(latency(agency, reader, folder, serial, anchors=8 if quick else 20))
    serial += 1_000
    wrapped = Issuer(agency, Journal(folder / "verify.sqlite"), max_batch=1_000).issue(_credentials(agency, serial,
                                                                                                   300))  # fmt: skip
    verifier = Verifier(reader)
    context = VerificationContext(province=330000)
    started = time.perf_counter()
    for doc in wrapped:
        if verifier.verify(copy.deepcopy(doc), context).verdict != VALID:
            raise RuntimeError("a valid certificate was not verified VALID")
    elapsed = time.perf_counter() - started
    out["verify_single_per_second"] = round(len(wrapped) / elapsed)
    print(f"  single verification: {len(wrapped) / elapsed:,.0f}/s")
    out["_agency"] = agency
    out["_serial"] = serial + 300
    return out


def latency(agency: HurongClient, reader: HurongClient, folder: Path, serial: int, *, anchors: int) -> dict[str, Any]:
    """Anchoring latency of `anchors` batches of 50, one after another: submit → receipt."""
    issuer = Issuer(agency, Journal(folder / f"latency-{serial}.sqlite"), max_batch=50)
    seconds: list[float] = []
    blocks: list[int] = []
    for i in range(anchors):
        head = reader.w3.eth.block_number
        started = time.perf_counter()
        wrapped = issuer.issue(_credentials(agency, serial + i * 50, 50))
        seconds.append(time.perf_counter() - started)
        blocks.append(int(wrapped[0]["proof"]["anchor"]["blockNumber"]) - int(head))
    figures = {"anchor_p50_s": round(statistics.median(seconds), 3), "anchor_p99_s": round(percentile(seconds, 99), 3),
               "anchor_p50_blocks": statistics.median(blocks), "anchor_p99_blocks": percentile(blocks, 99)}  # fmt: skip
    print(f"  anchoring: p50 {figures['anchor_p50_s']} s / {figures['anchor_p50_blocks']} blocks, "
          f"p99 {figures['anchor_p99_s']} s / {figures['anchor_p99_blocks']} blocks")  # fmt: skip
    return figures


def run(quick: bool = False) -> dict[str, Any]:
    from ledger.network import Network

    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="hurong-bench-net-") as tmp:
        folder = Path(tmp)
        print("anvil (one node, a block per transaction)")
        with Anvil(accounts=len(one_agency()["accounts"])) as anvil:
            (folder / "anvil").mkdir()
            figures["anvil"] = measure(anvil.url, folder / "anvil", quick=quick)
        print("Clique, four validators, one block per second")
        network = Network.create(folder / "net", validators=4, block_period=1)
        try:
            network.up()
            (folder / "clique").mkdir()
            clique = measure(network.url, folder / "clique", quick=quick)
            agency, serial = clique["_agency"], clique["_serial"]
            network.stop_node(3)
            print("Clique with one validator of four down")
            down: dict[str, Any] = {}
            issuer = Issuer(agency, Journal(folder / "clique" / "down.sqlite"), max_batch=1_000)
            started = time.perf_counter()
            issuer.issue(_credentials(agency, serial, 3_000))
            elapsed = time.perf_counter() - started
            down["issue_batch_1000_per_second"] = round(3_000 / elapsed)
            print(f"  batch  1,000: 3,000 certificates in {elapsed:.2f} s = {3_000 / elapsed:,.0f}/s")
            down.update(latency(agency, HurongClient.connect(network.url, agency.deployment), folder / "clique",
                                serial + 3_000, anchors=8 if quick else 20))  # fmt: skip
            figures["clique"] = clique
            figures["clique_one_down"] = down
        finally:
            network.down()
    for side in ("anvil", "clique"):
        figures[side] = {k: v for k, v in figures[side].items() if not k.startswith("_")}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="fewer anchors for the latency figures")
    args = parser.parse_args()
    figures = run(quick=args.quick)
    if args.out:
        write_json(args.out, figures, indent=1)
    print(figures)


if __name__ == "__main__":
    main()
