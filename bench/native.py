"""The native core against the pure-Python reference, in the same run (no chain): certificates/s of salting,
hashing and the Merkle tree with every proof for a batch of example licences, bulk verifications/s of the
local checks (digest recomputed from the disclosed fields, Merkle path to the root), and validations/s of
`validate_credential` (schemas, GB checks, text; the reference measured in a child process with
`HURONG_NATIVE=0`, since validation chooses its implementation at start-up).

    .venv/bin/python -m bench.native [--count 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.common import Report
from bench.consortium import ISSUER_NAME, sample_licence
from ledger.certificates import reference
from ledger.issuance.pipeline import proof_object

CHAIN_ID = 31337
ISSUER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


@dataclass(frozen=True)
class Core:
    """One implementation of the hashing and Merkle core."""

    name: str
    salt_documents: Callable[[Sequence[dict[str, Any]], str], list[tuple[dict[str, str], bytes]]]
    tree: Callable[[Sequence[bytes]], Any]
    recompute_digest: Callable[[dict[str, Any]], bytes]
    verify: Callable[[bytes, bytes, Sequence[bytes]], bool]


def cores() -> list[Core]:
    found = [
        Core("reference", reference.salt_documents, reference.MerkleTree, reference.recompute_digest, reference.verify)
    ]
    try:
        import hurong_native as native
    except ImportError:
        return found
    from ledger.certificates.native import native as bound  # binds the package's exceptions

    assert bound is None or bound is native
    found.append(Core("native", native.salt_documents, native.MerkleTree, native.recompute_digest, native.verify))
    return found


def credentials(count: int) -> list[dict[str, Any]]:
    from ledger.certificates import build_credential

    return [
        build_credential(
            sample_licence(i), issuer_address=ISSUER, chain_id=CHAIN_ID, issuer_name=ISSUER_NAME, registry=REGISTRY
        )
        for i in range(count)
    ]


def copies(batch: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(json.dumps(c, ensure_ascii=False)) for c in batch]


def salt_and_tree(core: Core, docs: Sequence[dict[str, Any]], suite: str) -> tuple[list[Any], Any, list[Any]]:
    """The core's work for a batch: salts and digests, the tree, every proof."""
    salted = core.salt_documents(docs, suite)
    digests = [digest for _, digest in salted]
    tree = core.tree(digests)
    return salted, tree, tree.proofs(digests)


def wrap(core: Core, batch: Sequence[dict[str, Any]], suite: str) -> list[dict[str, Any]]:
    """Salt, hash and tree a batch as the issuer does: copies of the credentials with their proofs."""
    docs = copies(batch)
    salted, tree, proofs = salt_and_tree(core, docs, suite)
    root = "0x" + tree.root.hex()
    for doc, (salts, digest), path in zip(docs, salted, proofs, strict=True):
        path_hex = ["0x" + h.hex() for h in path]
        doc["proof"] = proof_object(suite, salts, digest, root, path_hex, chain_id=CHAIN_ID, registry=REGISTRY)
    return docs


def verify_all(core: Core, docs: Sequence[dict[str, Any]]) -> int:
    """The local checks of each document (integrity, inclusion); how many pass."""
    passed = 0
    for doc in docs:
        proof = doc["proof"]
        digest = bytes.fromhex(proof["digest"][2:])
        path = [bytes.fromhex(h[2:]) for h in proof["merklePath"]]
        root = bytes.fromhex(proof["merkleRoot"][2:])
        passed += core.recompute_digest(doc) == digest and core.verify(root, digest, path)
    return passed


def best(repeat: int, run: Callable[[Any], Any], setup: Callable[[], Any] = lambda: None) -> tuple[float, Any]:
    """The shortest of `repeat` runs of `run(setup())` (shared machines are noisy; `setup` is not timed) and the
    last run's result."""
    times, result = [], None
    for _ in range(repeat):
        arg = setup()
        started = time.perf_counter()
        result = run(arg)
        times.append(time.perf_counter() - started)
    return min(times), result


def validations_per_second(count: int, repeat: int) -> float:
    """`validate_credential` of `count` example licences, in whichever implementation this process runs."""
    from ledger.certificates import validate_credential

    def run(docs: Sequence[dict[str, Any]]) -> None:
        for doc in docs:
            validate_credential(doc)

    batch = credentials(count)
    seconds, _ = best(repeat, run, lambda: batch)
    return count / seconds


def _reference_validations_per_second(count: int, repeat: int) -> float:
    env = {**os.environ, "HURONG_NATIVE": "0"}
    command = [sys.executable, "-m", "bench.native", "--count", str(count), "--repeat", str(repeat), "--validation"]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return float(out.split()[-1])


def bench_native(count: int = 10_000, repeat: int = 3, report: Report = print) -> dict[str, Any]:
    batch = credentials(count)
    figures: dict[str, Any] = {"count": count, "cpus": os.cpu_count()}
    if len(cores()) > 1:
        rates = {"reference": 0.0, "native": 0.0}
        for _ in range(repeat):  # alternated, the best of each: the machine's load changes between them
            rates["reference"] = max(rates["reference"], _reference_validations_per_second(count, 1))
            rates["native"] = max(rates["native"], validations_per_second(count, 1))
        for name, rate in rates.items():
            figures[f"validation/{name}_per_second"] = round(rate)
            report(f"{'':>7} {name:>9}: validate_credential (schemas, GB checks, text): {rate:>9,.0f}/s")
        figures["validation_speedup"] = round(rates["native"] / rates["reference"], 2)
        report(f"{'':>7} native / reference, validation: {rates['native'] / rates['reference']:.1f}x")
    for suite in ("default", "sm"):
        wrapped: dict[str, list[dict[str, Any]]] = {}
        for core in cores():
            run = functools.partial(salt_and_tree, core, suite=suite)
            seconds, _ = best(repeat, run, functools.partial(copies, batch))
            figures[f"{suite}/{core.name}/core_per_second"] = round(count / seconds)
            report(f"{suite:>7} {core.name:>9}: salts, digests, tree, proofs of {count:,}: {count / seconds:>9,.0f}/s")
            seconds, wrapped[core.name] = best(repeat, lambda _, core=core, suite=suite: wrap(core, batch, suite))
            figures[f"{suite}/{core.name}/issue_per_second"] = round(count / seconds)
            report(f"{suite:>7} {core.name:>9}: the same with copies and proof objects:  {count / seconds:>9,.0f}/s")
        for core in cores():
            for name, docs in wrapped.items():  # each verifies what the other issued
                seconds, passed = best(repeat, lambda docs, core=core: verify_all(core, docs), lambda docs=docs: docs)
                if passed != count:
                    raise RuntimeError(f"{core.name} verified {passed} of {count} issued by {name}")
            figures[f"{suite}/{core.name}/verify_per_second"] = round(count / seconds)
            report(f"{suite:>7} {core.name:>9}: bulk verification (integrity, inclusion):  {count / seconds:>9,.0f}/s")
        for kind in ("core", "issue", "verify"):
            native_rate = figures.get(f"{suite}/native/{kind}_per_second")
            if native_rate:
                ratio = native_rate / figures[f"{suite}/reference/{kind}_per_second"]
                figures[f"{suite}/{kind}_speedup"] = round(ratio, 2)
                report(f"{suite:>7} native / reference, {kind}: {ratio:.1f}x")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--validation", action="store_true", help="only print validate_credential's rate")
    args = parser.parse_args()
    if args.validation:
        print(f"{validations_per_second(args.count, args.repeat):.1f}")
        return
    bench_native(args.count, args.repeat)


if __name__ == "__main__":
    main()
