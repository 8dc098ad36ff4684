"""Hurong's Merkle trees against `@openzeppelin/merkle-tree` (JavaScript, via Node) and `MerkleProof.sol`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ledger.certificates.merkle import MerkleTree, leaf_hash, verify
from ledger.chain.contract_errors import CertificateRegistryInvalidProof
from ledger.chain.models import CertificateStatus
from ledger.toolchain.compiler import find_project_root, node_executable
from tests.conftest import World, reverts

ROOT = find_project_root()
SCRIPT = ROOT / "tests" / "js" / "oz_merkle.mjs"


def oz_tree(digests: list[bytes], prove: list[bytes] = (), multi: list[bytes] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    payload = {
        "digests": ["0x" + d.hex() for d in digests],
        "prove": ["0x" + d.hex() for d in prove],
        "multi": ["0x" + d.hex() for d in multi],
    }
    proc = subprocess.run(
        [node_executable(ROOT), str(SCRIPT)],
        input=json.dumps(payload).encode(),
        capture_output=True,
        check=True,
        cwd=Path(ROOT),
    )
    return json.loads(proc.stdout)


def hexes(items: Any) -> list[str]:
    return ["0x" + bytes(i).hex() for i in items]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 33, 100, 1001, 10_000])
def test_root_and_proofs_match_openzeppelin_merkle_tree(size: int) -> None:
    digests = [os.urandom(32) for _ in range(size)]
    sample = digests[:: max(1, size // 25)]
    multi = digests[: min(size, 6)]
    oz = oz_tree(digests, sample, multi)
    ours = MerkleTree(digests)
    assert "0x" + ours.root.hex() == oz["root"]
    assert sorted(ours.digests()) == sorted(digests)
    assert [leaf_hash(d) for d in ours.digests()] == sorted(leaf_hash(d) for d in digests)  # tree order
    for digest in sample:
        assert hexes(ours.proof(digest)) == oz["proofs"]["0x" + digest.hex()]
        assert verify(ours.root, digest, ours.proof(digest))
    mp = ours.multi_proof(multi)
    assert hexes(mp.digests) == oz["multi"]["leaves"]
    assert hexes(mp.proof) == oz["multi"]["proof"]
    assert list(mp.proof_flags) == oz["multi"]["proofFlags"]


def test_certificate_registry_accepts_a_proof_made_by_openzeppelin_merkle_tree(world: World) -> None:
    digests = [os.urandom(32) for _ in range(1000)]
    target = digests[123]
    oz = oz_tree(digests, [target], digests[200:205])
    agency, amr = world.as_("sh_amr"), world.addr("sh_amr")
    agency.certificates.anchor(oz["root"], len(digests), "").wait()
    proof = oz["proofs"]["0x" + target.hex()]
    assert agency.certificates.verify_inclusion(oz["root"], target, proof)
    receipt = agency.certificates.revoke(amr, oz["root"], target, proof, 2).wait()
    assert receipt.event("CertificateRevoked").args["digest"] == target
    status = agency.certificates.status_of(amr, target)
    assert status.status == CertificateStatus.REVOKED and status.reason == 2
    assert agency.certificates.certificate_status(amr, oz["root"], target) == status

    multi = oz["multi"]
    agency.certificates.revoke_multiple(amr, oz["root"], multi["leaves"], multi["proof"], multi["proofFlags"], 3).wait()
    for digest in digests[200:205]:
        assert agency.certificates.status_of(amr, digest).status == CertificateStatus.REVOKED

    wrong = oz["proofs"]["0x" + target.hex()][1:]
    with reverts(CertificateRegistryInvalidProof, root=bytes.fromhex(oz["root"][2:]), digest=digests[5]):
        agency.certificates.suspend(amr, oz["root"], digests[5], wrong, 1).wait()
