"""CertificateRegistry on a live chain: anchoring Merkle roots and changing certificate statuses with real proofs.

Trees come from `ledger.certificates.merkle.MerkleTree` over random 32-byte digests, so every proof is the one an
issuing agency would present. Batches and statuses are keyed by the issuing agency: every status change names the agency
whose batch it touches, and two agencies anchoring the same root hold two independent batches. Each mutating
function is checked on its success path (views and event) and refused with its exact custom error for every role
that must not call it.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import pytest
from eth_utils import to_checksum_address
from multiformats import CID, multihash

from ledger.certificates.merkle import MerkleTree, leaf_hash, verify
from ledger.chain import contract_errors
from ledger.chain.codes import NO_MANIFEST, decode_manifest, encode_manifest
from ledger.chain.models import Batch, CertificateStatus, StatusRecord
from ledger.chain.transactions import PendingTransaction, Receipt
from ledger.errors import LedgerValueError
from ledger.store.cid import digest_cids
from tests.conftest import SUSPENDED_PROVINCE, World, reverts

VALID, SUSPENDED, REVOKED, SUPERSEDED = (
    CertificateStatus.VALID,
    CertificateStatus.SUSPENDED,
    CertificateStatus.REVOKED,
    CertificateStatus.SUPERSEDED,
)
ZERO32 = b"\0" * 32
MANIFEST = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
#: MANIFEST's sha2-256 digest, as the contract takes it and the `BatchAnchored` event carries it.
MANIFEST_BYTES = bytes.fromhex("c3c4733ec8affd06cf9e9ff50ffc6bcd2ec85a6170004bb709669c31de94391a")


def raw_cid(text: str) -> str:
    """The CIDv1 (raw codec, sha2-256, base32) of `text`'s UTF-8 bytes."""
    return str(CID("base32", 1, "raw", multihash.digest(text.encode(), "sha2-256")))


GD = 440000

_rng = random.Random(310115)


def random_digests(n: int) -> list[bytes]:
    return [_rng.randbytes(32) for _ in range(n)]


def block_time(world: World, receipt: Receipt) -> int:
    return int(world.reader.w3.eth.get_block(receipt.block_number)["timestamp"])


@dataclass
class AnchoredBatch:
    tree: MerkleTree
    digests: list[bytes]
    agency: str
    receipt: Receipt

    @property
    def root(self) -> bytes:
        return self.tree.root

    def proof(self, digest: bytes) -> list[bytes]:
        return self.tree.proof(digest)


def anchor_batch(world: World, agency: str, digests: list[bytes] | None = None, count: int = 8) -> AnchoredBatch:
    digests = digests if digests is not None else random_digests(count)
    tree = MerkleTree(digests)
    receipt = world.as_(agency).certificates.anchor(tree.root, len(digests), MANIFEST).wait()
    return AnchoredBatch(tree, digests, world.addr(agency), receipt)


@pytest.fixture
def batch(world: World) -> AnchoredBatch:
    """Eight certificates anchored by the Pudong district bureau."""
    return anchor_batch(world, "sh_pudong")


@dataclass
class BigTree:
    digests: list[bytes]
    tree: MerkleTree


@pytest.fixture(scope="module")
def big() -> BigTree:
    """A batch of 10,000 certificates (built once: only its anchoring touches the chain)."""
    digests = random_digests(10_000)
    return BigTree(digests, MerkleTree(digests))


def status(world: World, batch: AnchoredBatch, digest: bytes) -> CertificateStatus:
    return world.reader.certificates.certificate_status(batch.agency, batch.root, digest).status


def record_of(world: World, batch: AnchoredBatch, digest: bytes) -> StatusRecord:
    return world.reader.certificates.certificate_status(batch.agency, batch.root, digest)


def never_anchored(agency: str, root: bytes) -> Batch:
    return Batch(agency=agency, root=root, anchored_at=0, count=0, revoked_at=None, revoke_reason=0)


# ------------------------------------------------------------------------------------------------------ anchor


def test_an_active_agency_anchors_a_batch(world: World) -> None:
    digests = random_digests(5)
    tree = MerkleTree(digests)
    pudong = world.addr("sh_pudong")

    receipt = world.as_("sh_pudong").certificates.anchor(tree.root, 5, MANIFEST).wait()

    assert receipt.event("BatchAnchored").args == {
        "root": tree.root,
        "agency": pudong,
        "count": 5,
        "manifest": MANIFEST_BYTES,
    }
    record = world.reader.certificates.batch(pudong, tree.root)
    assert record == Batch(pudong, tree.root, block_time(world, receipt), 5, None, 0)
    assert record.anchored
    assert not record.revoked
    assert world.reader.certificates.is_anchored(pudong, tree.root)
    for digest in digests:
        assert world.reader.certificates.certificate_status(pudong, tree.root, digest) == StatusRecord(
            VALID, 0, 0, None
        )


def test_a_root_never_anchored_reads_as_an_empty_batch(world: World) -> None:
    root, pudong = random_digests(1)[0], world.addr("sh_pudong")
    record = world.reader.certificates.batch(pudong, root)
    assert record == never_anchored(pudong, root)
    assert not record.anchored
    assert not record.revoked
    assert not world.reader.certificates.is_anchored(pudong, root)


def test_a_root_is_anchored_only_for_the_agency_that_anchored_it(world: World, batch: AnchoredBatch) -> None:
    town = world.addr("sh_town")
    assert world.reader.certificates.is_anchored(batch.agency, batch.root)
    assert not world.reader.certificates.is_anchored(town, batch.root)
    assert world.reader.certificates.batch(town, batch.root) == never_anchored(town, batch.root)
    with reverts(contract_errors.CertificateRegistryUnknownRoot, agency=town, root=batch.root):
        world.reader.certificates.certificate_status(town, batch.root, batch.digests[0])


def test_an_agency_cannot_anchor_the_same_root_twice(world: World, batch: AnchoredBatch) -> None:
    with reverts(contract_errors.CertificateRegistryAlreadyAnchored, agency=batch.agency, root=batch.root):
        world.as_("sh_pudong").certificates.anchor(batch.root, 8, MANIFEST).wait()
    assert world.reader.certificates.batch(batch.agency, batch.root).anchored_at == block_time(world, batch.receipt)


def test_two_agencies_anchor_the_same_root_as_two_independent_batches(world: World, batch: AnchoredBatch) -> None:
    town = world.addr("sh_town")

    receipt = world.as_("sh_town").certificates.anchor(batch.root, 3, raw_cid("another manifest")).wait()

    assert receipt.event("BatchAnchored").args == {
        "root": batch.root,
        "agency": town,
        "count": 3,
        "manifest": encode_manifest(raw_cid("another manifest")),
    }
    certificates = world.reader.certificates
    assert certificates.batch(town, batch.root) == Batch(town, batch.root, block_time(world, receipt), 3, None, 0)
    assert certificates.batch(batch.agency, batch.root) == Batch(
        batch.agency, batch.root, block_time(world, batch.receipt), 8, None, 0
    )
    with reverts(contract_errors.CertificateRegistryAlreadyAnchored, agency=town, root=batch.root):
        world.as_("sh_town").certificates.anchor(batch.root, 3, "").wait()

    # the copy is town's own: revoking it leaves Pudong's batch and certificates untouched
    digest = batch.digests[0]
    world.as_("sh_town").certificates.revoke(town, batch.root, digest, batch.proof(digest), 5).wait()
    world.as_("sh_town").certificates.revoke_batch(town, batch.root, 6).wait()
    assert certificates.certificate_status(town, batch.root, digest).status == REVOKED
    assert certificates.batch(town, batch.root).revoked
    assert not certificates.batch(batch.agency, batch.root).revoked
    assert [status(world, batch, d) for d in batch.digests] == [VALID] * 8
    assert certificates.status_of(batch.agency, digest) == StatusRecord(VALID, 0, 0, None)


def test_copying_a_pending_root_no_longer_blocks_its_agency(world: World) -> None:
    """The front-running attack: another agency sees Pudong's anchoring in the mempool and sends the same root
    first, in the same block. Both anchorings now succeed and the copy gives no right over Pudong's batch."""
    digests = random_digests(6)
    tree = MerkleTree(digests)
    pudong, town = world.addr("sh_pudong"), world.addr("sh_town")
    world.rpc("evm_setAutomine", [False])
    try:
        honest = world.as_("sh_pudong").certificates.anchor(tree.root, 6, MANIFEST)
        copied_root = bytes.fromhex(str(honest.tx["data"])[2 + 8 : 2 + 8 + 64])
        copy = world.as_("sh_town").certificates.anchor(copied_root, 6, MANIFEST)
        world.rpc("evm_mine", [])
    finally:
        world.rpc("evm_setAutomine", [True])

    honest_receipt, copy_receipt = honest.wait(), copy.wait()

    assert copied_root == tree.root
    assert honest_receipt.block_number == copy_receipt.block_number
    assert honest_receipt.event("BatchAnchored").args["agency"] == pudong
    assert copy_receipt.event("BatchAnchored").args["agency"] == town
    certificates = world.reader.certificates
    assert certificates.is_anchored(pudong, tree.root) and certificates.is_anchored(town, tree.root)
    digest = digests[2]
    with reverts(contract_errors.CertificateRegistryUnauthorized, caller=town, agency=pudong):
        world.as_("sh_town").certificates.revoke(pudong, tree.root, digest, tree.proof(digest), 1).wait()
    with reverts(contract_errors.CertificateRegistryUnauthorized, caller=town, agency=pudong):
        world.as_("sh_town").certificates.revoke_batch(pudong, tree.root, 1).wait()
    world.as_("sh_pudong").certificates.suspend(pudong, tree.root, digest, tree.proof(digest), 3).wait()
    assert certificates.certificate_status(pudong, tree.root, digest).status == SUSPENDED
    assert certificates.certificate_status(town, tree.root, digest).status == VALID


def test_anchoring_an_empty_batch_or_the_zero_root_is_refused(world: World) -> None:
    root = random_digests(1)[0]
    with reverts(contract_errors.CertificateRegistryInvalidBatch, root=root, count=0):
        world.as_("sh_pudong").certificates.anchor(root, 0, MANIFEST).wait()
    with reverts(contract_errors.CertificateRegistryInvalidBatch, root=ZERO32, count=3):
        world.as_("sh_pudong").certificates.anchor(ZERO32, 3, MANIFEST).wait()
    assert not world.reader.certificates.is_anchored(world.addr("sh_pudong"), root)


def test_the_manifest_goes_on_chain_as_its_digest_and_rebuilds_the_same_cid_text(world: World) -> None:
    cid = raw_cid("a manifest")
    tree = MerkleTree(random_digests(2))
    receipt = world.as_("sh_pudong").certificates.anchor(tree.root, 2, cid).wait()
    raw = receipt.event("BatchAnchored").args["manifest"]
    assert raw == hashlib.sha256(b"a manifest").digest()
    assert decode_manifest(raw) == "0x" + raw.hex()
    assert digest_cids(raw)[0] == cid  # a one-block manifest: its raw CID
    big = world.as_("sh_pudong").certificates.anchor(MerkleTree(random_digests(2)).root, 2, MANIFEST).wait()
    assert digest_cids(big.event("BatchAnchored").args["manifest"])[1] == MANIFEST  # a larger one: dag-pb
    empty = world.as_("sh_pudong").certificates.anchor(random_digests(1)[0], 1, "").wait()
    assert empty.event("BatchAnchored").args["manifest"] == NO_MANIFEST and decode_manifest(NO_MANIFEST) == ""


@pytest.mark.parametrize(
    "cid",
    [
        "bnotacid",  # not base32 of a CID
        MANIFEST[:-1],  # truncated
        MANIFEST.upper(),  # multibase B: would not read back as the same text
        "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",  # CIDv0
        "zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA",  # CIDv1 in base58btc
        "b" + "a" * 300,  # too long
        "a manifest",
        str(CID("base32", 1, "dag-cbor", multihash.digest(b"m", "sha2-256"))),  # a codec no store here addresses
        str(CID("base32", 1, "raw", multihash.digest(b"m", "sha2-512"))),  # not sha2-256
        str(CID("base32", 1, "raw", multihash.wrap(bytes(32), "sha2-256"))),  # zero: would read as no manifest
    ],
)
def test_an_invalid_manifest_cid_is_refused_before_sending(world: World, cid: str) -> None:
    client = world.as_("sh_pudong").certificates
    with pytest.raises(LedgerValueError, match="manifest CID"):
        client.anchor(random_digests(1)[0], 1, cid)
    with pytest.raises(LedgerValueError, match="manifest CID"):
        client.anchor(random_digests(1)[0], 1, 42)  # type: ignore[arg-type]


def test_a_manifest_digest_reads_back_as_hex_and_rebuilds_both_cids() -> None:
    assert encode_manifest(MANIFEST) == MANIFEST_BYTES
    assert encode_manifest("") == NO_MANIFEST
    assert decode_manifest(MANIFEST_BYTES) == "0x" + MANIFEST_BYTES.hex()
    assert digest_cids(MANIFEST_BYTES) == (raw_cid_of_digest(MANIFEST_BYTES), MANIFEST)
    with pytest.raises(LedgerValueError, match="32 bytes"):
        decode_manifest(MANIFEST_BYTES[:31])
    with pytest.raises(LedgerValueError, match="32 bytes"):
        digest_cids(b"\x01\x02")


def raw_cid_of_digest(digest: bytes) -> str:
    return str(CID("base32", 1, "raw", multihash.wrap(digest, "sha2-256")))


@pytest.mark.parametrize(
    "actor",
    ["outsider", "sh_suspended", "sh_parent_suspended", "sh_child_of_suspended", "bj_amr", "sh_admin", "bj_admin"],
)
def test_anchor_is_refused_to_accounts_that_are_not_active_agencies(world: World, actor: str) -> None:
    root = random_digests(1)[0]
    with reverts(contract_errors.CertificateRegistryAgencyNotActive, agency=world.addr(actor)):
        world.as_(actor).certificates.anchor(root, 1, MANIFEST).wait()
    assert not world.reader.certificates.is_anchored(world.addr(actor), root)


def test_an_agency_loses_the_right_to_anchor_when_its_parent_is_suspended(world: World) -> None:
    world.as_("sh_admin").authorities.suspend_agency(world.addr("sh_amr"), 1).wait()
    with reverts(contract_errors.CertificateRegistryAgencyNotActive, agency=world.addr("sh_town")):
        world.as_("sh_town").certificates.anchor(random_digests(1)[0], 1, MANIFEST).wait()


# -------------------------------------------------------------------------------------------- status changes


def test_the_issuing_agency_suspends_and_reinstates_a_certificate(world: World, batch: AnchoredBatch) -> None:
    digest, pudong = batch.digests[3], batch.agency
    client = world.as_("sh_pudong").certificates

    receipt = client.suspend(pudong, batch.root, digest, batch.proof(digest), 12).wait()

    assert receipt.event("CertificateSuspended").args == {
        "digest": digest,
        "agency": pudong,
        "by": pudong,
        "reason": 12,
    }
    record = StatusRecord(SUSPENDED, 12, block_time(world, receipt), None)
    assert world.reader.certificates.status_of(pudong, digest) == record
    assert record_of(world, batch, digest) == record
    assert status(world, batch, batch.digests[4]) == VALID

    receipt = client.reinstate(pudong, batch.root, digest, batch.proof(digest), 13).wait()

    assert receipt.event("CertificateReinstated").args == {
        "digest": digest,
        "agency": pudong,
        "by": pudong,
        "reason": 13,
    }
    assert record_of(world, batch, digest) == StatusRecord(VALID, 13, block_time(world, receipt), None)


def test_the_issuing_agency_revokes_a_certificate(world: World, batch: AnchoredBatch) -> None:
    digest, pudong = batch.digests[0], batch.agency

    receipt = world.as_("sh_pudong").certificates.revoke(pudong, batch.root, digest, batch.proof(digest), 4).wait()

    assert receipt.event("CertificateRevoked").args == {"digest": digest, "agency": pudong, "by": pudong, "reason": 4}
    assert record_of(world, batch, digest) == StatusRecord(REVOKED, 4, block_time(world, receipt), None)
    assert [status(world, batch, d) for d in batch.digests] == [REVOKED] + [VALID] * 7


def test_the_issuing_agency_supersedes_a_certificate(world: World, batch: AnchoredBatch) -> None:
    digest, successor, pudong = batch.digests[1], random_digests(1)[0], batch.agency

    receipt = (
        world.as_("sh_pudong")
        .certificates.supersede(pudong, batch.root, digest, batch.proof(digest), successor, 6)
        .wait()
    )

    assert receipt.event("CertificateSuperseded").args == {
        "digest": digest,
        "agency": pudong,
        "by": pudong,
        "reason": 6,
        "successor": successor,
    }
    record = StatusRecord(SUPERSEDED, 6, block_time(world, receipt), successor)
    assert world.reader.certificates.status_of(pudong, digest) == record
    assert record_of(world, batch, digest) == record


def test_suspended_and_superseded_certificates_can_move_on(world: World, batch: AnchoredBatch) -> None:
    client = world.as_("sh_pudong").certificates
    pudong, first, second = batch.agency, batch.digests[0], batch.digests[1]
    successor = random_digests(1)[0]

    client.suspend(pudong, batch.root, first, batch.proof(first), 1).wait()
    client.supersede(pudong, batch.root, first, batch.proof(first), successor, 2).wait()
    assert record_of(world, batch, first).status == SUPERSEDED
    assert record_of(world, batch, first).successor == successor
    client.revoke(pudong, batch.root, first, batch.proof(first), 3).wait()
    assert record_of(world, batch, first).status == REVOKED

    client.suspend(pudong, batch.root, second, batch.proof(second), 1).wait()
    client.revoke(pudong, batch.root, second, batch.proof(second), 3).wait()
    assert record_of(world, batch, second).status == REVOKED


def send(
    world: World, actor: str, batch: AnchoredBatch, operation: str, digest: bytes, *, agency: str | None = None
) -> PendingTransaction:
    """One status operation on `digest` of `batch` (as a batch of `agency`, by default its own), sent by `actor`,
    with a real proof."""
    client = world.as_(actor).certificates
    owner = agency or batch.agency
    proof = batch.proof(digest)
    if operation == "suspend":
        return client.suspend(owner, batch.root, digest, proof, 1)
    if operation == "reinstate":
        return client.reinstate(owner, batch.root, digest, proof, 1)
    if operation == "revoke":
        return client.revoke(owner, batch.root, digest, proof, 1)
    if operation == "supersede":
        return client.supersede(owner, batch.root, digest, proof, leaf_hash(digest), 1)
    raise AssertionError(operation)


# (steps that bring the certificate to its current status, refused operation, current, requested)
INVALID_TRANSITIONS = [
    ([], "reinstate", VALID, VALID),
    (["suspend"], "suspend", SUSPENDED, SUSPENDED),
    (["revoke"], "suspend", REVOKED, SUSPENDED),
    (["supersede"], "suspend", SUPERSEDED, SUSPENDED),
    (["revoke"], "reinstate", REVOKED, VALID),
    (["supersede"], "reinstate", SUPERSEDED, VALID),
    (["revoke"], "revoke", REVOKED, REVOKED),
    (["suspend", "revoke"], "revoke", REVOKED, REVOKED),
    (["revoke"], "supersede", REVOKED, SUPERSEDED),
    (["supersede"], "supersede", SUPERSEDED, SUPERSEDED),
]


@pytest.mark.parametrize(
    ("steps", "operation", "current", "requested"),
    INVALID_TRANSITIONS,
    ids=["-".join([*steps, operation]) for steps, operation, _, _ in INVALID_TRANSITIONS],
)
def test_an_invalid_transition_is_refused_with_both_statuses(
    world: World,
    batch: AnchoredBatch,
    steps: list[str],
    operation: str,
    current: CertificateStatus,
    requested: CertificateStatus,
) -> None:
    digest = batch.digests[2]
    for step in steps:
        send(world, "sh_pudong", batch, step, digest).wait()
    before = world.reader.certificates.status_of(batch.agency, digest)
    assert before.status == current

    with reverts(
        contract_errors.CertificateRegistryInvalidTransition,
        digest=digest,
        current=int(current),
        requested=int(requested),
    ):
        send(world, "sh_pudong", batch, operation, digest).wait()
    assert world.reader.certificates.status_of(batch.agency, digest) == before


def test_supersede_with_a_zero_or_self_successor_is_refused(world: World, batch: AnchoredBatch) -> None:
    digest = batch.digests[5]
    client = world.as_("sh_pudong").certificates
    for successor in (ZERO32, digest):
        with reverts(contract_errors.CertificateRegistryInvalidSuccessor, digest=digest, successor=successor):
            client.supersede(batch.agency, batch.root, digest, batch.proof(digest), successor, 1).wait()
    assert status(world, batch, digest) == VALID


def test_a_status_change_with_an_invalid_proof_is_refused(world: World, batch: AnchoredBatch) -> None:
    client = world.as_("sh_pudong").certificates
    digest, stranger = batch.digests[0], random_digests(1)[0]
    other_batch = anchor_batch(world, "sh_pudong")
    bad_proofs = [
        (digest, batch.proof(batch.digests[1])),  # someone else's path
        (digest, batch.proof(digest)[:-1]),  # truncated
        (digest, []),  # empty
        (stranger, batch.proof(digest)),  # a digest not in the tree
        (digest, other_batch.proof(other_batch.digests[0])),  # a path of another tree
    ]
    for candidate, proof in bad_proofs:
        assert not world.reader.certificates.verify_inclusion(batch.root, candidate, proof)
        with reverts(contract_errors.CertificateRegistryInvalidProof, root=batch.root, digest=candidate):
            client.revoke(batch.agency, batch.root, candidate, proof, 1).wait()
    assert status(world, batch, digest) == VALID


def test_operations_on_an_unknown_root_are_refused(world: World) -> None:
    digests = random_digests(4)
    tree, digest = MerkleTree(digests), digests[0]
    pudong = world.addr("sh_pudong")
    client = world.as_("sh_pudong").certificates
    error = contract_errors.CertificateRegistryUnknownRoot
    with reverts(error, agency=pudong, root=tree.root):
        client.suspend(pudong, tree.root, digest, tree.proof(digest), 1).wait()
    with reverts(error, agency=pudong, root=tree.root):
        client.revoke(pudong, tree.root, digest, tree.proof(digest), 1).wait()
    multi = tree.multi_proof(digests[:2])
    with reverts(error, agency=pudong, root=tree.root):
        client.revoke_multiple(pudong, tree.root, multi.digests, multi.proof, multi.proof_flags, 1).wait()
    with reverts(error, agency=pudong, root=tree.root):
        client.revoke_batch(pudong, tree.root, 1).wait()
    with reverts(error, agency=pudong, root=tree.root):
        world.reader.certificates.certificate_status(pudong, tree.root, digest)


def test_a_root_of_another_agency_is_unknown_under_ones_own_name(world: World, batch: AnchoredBatch) -> None:
    """Naming oneself as the agency of another agency's root finds no batch: the root is not one's own."""
    town = world.addr("sh_town")
    error = contract_errors.CertificateRegistryUnknownRoot
    for operation in ("suspend", "revoke", "supersede"):
        with reverts(error, agency=town, root=batch.root):
            send(world, "sh_town", batch, operation, batch.digests[0], agency=town).wait()
    with reverts(error, agency=town, root=batch.root):
        world.as_("sh_town").certificates.revoke_batch(town, batch.root, 1).wait()
    assert [status(world, batch, d) for d in batch.digests] == [VALID] * 8


# ------------------------------------------------------------------------------------------------ authorization


@pytest.mark.parametrize("actor", ["sh_pudong", "sh_admin", "sh_admin2"])
def test_the_issuing_agency_and_its_province_admins_change_statuses(
    world: World, batch: AnchoredBatch, actor: str
) -> None:
    d, pudong, by = batch.digests, batch.agency, world.addr(actor)
    assert world.reader.authorities.can_manage_certificates_of(by, pudong)
    events = [
        send(world, actor, batch, "suspend", d[0]).wait().event("CertificateSuspended"),
        send(world, actor, batch, "reinstate", d[0]).wait().event("CertificateReinstated"),
        send(world, actor, batch, "supersede", d[1]).wait().event("CertificateSuperseded"),
        send(world, actor, batch, "revoke", d[2]).wait().event("CertificateRevoked"),
    ]
    multi = batch.tree.multi_proof([d[3], d[4]])
    receipt = world.as_(actor).certificates.revoke_multiple(
        pudong, batch.root, multi.digests, multi.proof, multi.proof_flags, 1
    )
    events += [e for e in receipt.wait().events if e.name == "CertificateRevoked"]

    assert [(e.args["digest"], e.args["agency"], e.args["by"]) for e in events] == [
        (d[0], pudong, by),
        (d[0], pudong, by),
        (d[1], pudong, by),
        (d[2], pudong, by),
        *[(digest, pudong, by) for digest in multi.digests],
    ]
    assert [status(world, batch, digest) for digest in d[:5]] == [VALID, SUPERSEDED, REVOKED, REVOKED, REVOKED]

    receipt = world.as_(actor).certificates.revoke_batch(pudong, batch.root, 8).wait()
    assert receipt.event("BatchRevoked").args == {"root": batch.root, "agency": pudong, "by": by, "reason": 8}


def assert_every_status_change_refused(world: World, actor: str, batch: AnchoredBatch) -> None:
    """`actor` can neither suspend, reinstate, supersede, revoke (one, several or all) certificates of `batch`."""
    d = batch.digests
    suspended = d[7]
    if status(world, batch, suspended) != SUSPENDED:
        send(world, "sh_admin", batch, "suspend", suspended).wait()
    before = [record_of(world, batch, digest) for digest in d]
    caller = world.addr(actor)
    error = contract_errors.CertificateRegistryUnauthorized
    client = world.as_(actor).certificates
    assert not world.reader.authorities.can_manage_certificates_of(caller, batch.agency)

    for operation, digest in [("suspend", d[0]), ("reinstate", suspended), ("supersede", d[1]), ("revoke", d[2])]:
        with reverts(error, caller=caller, agency=batch.agency):
            send(world, actor, batch, operation, digest).wait()
    multi = batch.tree.multi_proof([d[3], d[4]])
    with reverts(error, caller=caller, agency=batch.agency):
        client.revoke_multiple(batch.agency, batch.root, multi.digests, multi.proof, multi.proof_flags, 1).wait()
    with reverts(error, caller=caller, agency=batch.agency):
        client.revoke_batch(batch.agency, batch.root, 1).wait()

    assert [record_of(world, batch, digest) for digest in d] == before
    assert not world.reader.certificates.batch(batch.agency, batch.root).revoked


@pytest.mark.parametrize(
    "actor",
    [
        "outsider",
        "sh_amr",  # the issuing agency's parent
        "sh_town",  # its child
        "sh_suspended",
        "sh_child_of_suspended",
        "zj_amr",
        "zj_admin",
        "gd_admin",
        "bj_admin",
        "bj_amr",
    ],
)
def test_status_changes_are_refused_to_everyone_else(world: World, batch: AnchoredBatch, actor: str) -> None:
    assert_every_status_change_refused(world, actor, batch)


def test_a_suspended_agency_loses_its_rights_but_its_province_admin_keeps_them(
    world: World, batch: AnchoredBatch
) -> None:
    world.as_("sh_admin").authorities.suspend_agency(batch.agency, 2).wait()

    assert_every_status_change_refused(world, "sh_pudong", batch)

    digest = batch.digests[0]
    receipt = send(world, "sh_admin2", batch, "revoke", digest).wait()
    assert receipt.event("CertificateRevoked").args == {
        "digest": digest,
        "agency": batch.agency,
        "by": world.addr("sh_admin2"),
        "reason": 1,
    }
    assert status(world, batch, digest) == REVOKED


def test_an_agency_loses_its_rights_when_its_parent_is_suspended(world: World, batch: AnchoredBatch) -> None:
    world.as_("sh_admin").authorities.suspend_agency(world.addr("sh_amr"), 2).wait()
    assert_every_status_change_refused(world, "sh_pudong", batch)
    send(world, "sh_admin", batch, "suspend", batch.digests[0]).wait()
    assert status(world, batch, batch.digests[0]) == SUSPENDED


def test_no_one_changes_statuses_of_an_agency_of_a_suspended_province(world: World) -> None:
    consortium = world.reader.consortium
    world.govern(consortium.address, consortium.encode("reinstateProvince", SUSPENDED_PROVINCE))
    beijing = anchor_batch(world, "bj_amr")
    world.govern(consortium.address, consortium.encode("suspendProvince", SUSPENDED_PROVINCE))

    for actor in ("bj_amr", "bj_admin", "sh_admin"):
        error = contract_errors.CertificateRegistryUnauthorized
        for operation in ("suspend", "revoke"):
            with reverts(error, caller=world.addr(actor), agency=beijing.agency):
                send(world, actor, beijing, operation, beijing.digests[0]).wait()
        with reverts(error, caller=world.addr(actor), agency=beijing.agency):
            world.as_(actor).certificates.revoke_batch(beijing.agency, beijing.root, 1).wait()
    assert status(world, beijing, beijing.digests[0]) == VALID
    assert world.reader.certificates.batch(beijing.agency, beijing.root).anchored


def test_an_agency_cannot_change_another_agencys_certificate_by_anchoring_its_digest(
    world: World, batch: AnchoredBatch
) -> None:
    shared = batch.digests[0]
    town, pudong = world.addr("sh_town"), batch.agency
    own = anchor_batch(world, "sh_town", [shared, *random_digests(3)])

    with reverts(contract_errors.CertificateRegistryUnauthorized, caller=town, agency=pudong):
        send(world, "sh_town", batch, "revoke", shared).wait()
    receipt = send(world, "sh_town", own, "revoke", shared).wait()

    assert receipt.event("CertificateRevoked").args["agency"] == town
    assert world.reader.certificates.status_of(town, shared).status == REVOKED
    assert world.reader.certificates.status_of(pudong, shared) == StatusRecord(VALID, 0, 0, None)
    assert status(world, own, shared) == REVOKED
    assert status(world, batch, shared) == VALID
    send(world, "sh_pudong", batch, "suspend", shared).wait()
    assert status(world, batch, shared) == SUSPENDED
    assert status(world, own, shared) == REVOKED


def test_batches_of_an_agency_of_a_readmitted_province_are_frozen(world: World) -> None:
    """After 广东省 is removed and admitted again, its former agency belongs to the old membership: it can no
    longer anchor or change statuses, and neither can the new membership's admins; its records stay readable."""
    old = anchor_batch(world, "gd_amr")
    gd_amr, gd_admin = old.agency, world.addr("gd_admin")
    consortium = world.reader.consortium
    world.govern(consortium.address, consortium.encode("removeProvince", GD))
    world.govern(consortium.address, consortium.encode("admitProvince", GD, "广东省", [gd_admin]))
    assert consortium.province_epoch(GD) == (2, True)

    assert not world.reader.authorities.can_manage_certificates_of(gd_admin, gd_amr)
    assert not world.reader.authorities.can_manage_certificates_of(gd_amr, gd_amr)
    with reverts(contract_errors.CertificateRegistryAgencyNotActive, agency=gd_amr):
        world.as_("gd_amr").certificates.anchor(random_digests(1)[0], 1, MANIFEST).wait()
    for actor in ("gd_amr", "gd_admin"):
        caller = world.addr(actor)
        for operation in ("suspend", "revoke"):
            with reverts(contract_errors.CertificateRegistryUnauthorized, caller=caller, agency=gd_amr):
                send(world, actor, old, operation, old.digests[0]).wait()
        with reverts(contract_errors.CertificateRegistryUnauthorized, caller=caller, agency=gd_amr):
            world.as_(actor).certificates.revoke_batch(gd_amr, old.root, 1).wait()
    assert world.reader.certificates.batch(gd_amr, old.root).count == 8
    assert [status(world, old, d) for d in old.digests] == [VALID] * 8

    # an agency registered in the new membership anchors and manages its batches as usual
    world.as_("gd_admin").authorities.register_agency(world.addr("new_agency"), GD, None, 440100, "广州市").wait()
    fresh = anchor_batch(world, "new_agency")
    send(world, "gd_admin", fresh, "revoke", fresh.digests[0]).wait()
    assert status(world, fresh, fresh.digests[0]) == REVOKED


# --------------------------------------------------------------------------------- several and whole batches


def test_revoke_multiple_revokes_the_certificates_of_a_multi_proof(world: World) -> None:
    batch = anchor_batch(world, "sh_pudong", count=16)
    chosen = [batch.digests[i] for i in (1, 4, 5, 9, 15)]
    multi = batch.tree.multi_proof(chosen)

    receipt = (
        world.as_("sh_pudong")
        .certificates.revoke_multiple(batch.agency, batch.root, multi.digests, multi.proof, multi.proof_flags, 21)
        .wait()
    )

    revoked = [e.args for e in receipt.events if e.name == "CertificateRevoked"]
    assert [a["digest"] for a in revoked] == list(multi.digests)
    assert sorted(multi.digests) == sorted(chosen)
    assert all((a["agency"], a["by"], a["reason"]) == (batch.agency, batch.agency, 21) for a in revoked)
    at = block_time(world, receipt)
    for digest in batch.digests:
        expected = StatusRecord(REVOKED, 21, at, None) if digest in chosen else StatusRecord(VALID, 0, 0, None)
        assert record_of(world, batch, digest) == expected


def test_revoke_multiple_refuses_bad_multi_proofs_and_revoked_certificates(world: World) -> None:
    batch = anchor_batch(world, "sh_pudong", count=16)
    client = world.as_("sh_pudong").certificates
    pudong = batch.agency
    multi = batch.tree.multi_proof([batch.digests[i] for i in (2, 3, 11)])
    first = multi.digests[0]

    tampered = [leaf_hash(p) for p in multi.proof]
    with reverts(contract_errors.CertificateRegistryInvalidProof, root=batch.root, digest=first):
        client.revoke_multiple(pudong, batch.root, multi.digests, tampered, multi.proof_flags, 1).wait()
    with reverts(contract_errors.CertificateRegistryInvalidProof, root=batch.root, digest=first):
        client.revoke_multiple(
            pudong, batch.root, [first, *random_digests(2)], multi.proof, multi.proof_flags, 1
        ).wait()
    with reverts(contract_errors.CertificateRegistryInvalidProof, root=batch.root, digest=ZERO32):
        client.revoke_multiple(pudong, batch.root, [], [batch.root], [], 1).wait()
    with reverts(contract_errors.MerkleProofInvalidMultiproof):
        client.revoke_multiple(pudong, batch.root, multi.digests, multi.proof, multi.proof_flags[:-1], 1).wait()

    send(world, "sh_pudong", batch, "revoke", multi.digests[1]).wait()
    with reverts(
        contract_errors.CertificateRegistryInvalidTransition,
        digest=multi.digests[1],
        current=int(REVOKED),
        requested=int(REVOKED),
    ):
        client.revoke_multiple(pudong, batch.root, multi.digests, multi.proof, multi.proof_flags, 1).wait()
    assert [status(world, batch, d) for d in multi.digests] == [VALID, REVOKED, VALID]


def test_revoke_batch_revokes_every_certificate_with_the_batchs_reason_and_time(world: World) -> None:
    batch = anchor_batch(world, "sh_pudong", count=10)
    early, superseded, successor = batch.digests[6], batch.digests[7], random_digests(1)[0]
    early_receipt = send(world, "sh_pudong", batch, "revoke", early).wait()
    early_record = StatusRecord(REVOKED, 1, block_time(world, early_receipt), None)
    world.as_("sh_pudong").certificates.supersede(
        batch.agency, batch.root, superseded, batch.proof(superseded), successor, 2
    ).wait()
    world.advance(30)

    receipt = world.as_("sh_pudong").certificates.revoke_batch(batch.agency, batch.root, 30).wait()

    assert receipt.event("BatchRevoked").args == {
        "root": batch.root,
        "agency": batch.agency,
        "by": batch.agency,
        "reason": 30,
    }
    revoked_at = block_time(world, receipt)
    record = world.reader.certificates.batch(batch.agency, batch.root)
    assert record == Batch(batch.agency, batch.root, block_time(world, batch.receipt), 10, revoked_at, 30)
    assert record.anchored and record.revoked
    for digest in batch.digests:
        expected = early_record if digest == early else StatusRecord(REVOKED, 30, revoked_at, None)
        assert record_of(world, batch, digest) == expected
    # the per-agency records are untouched: only reads through the revoked batch change
    assert world.reader.certificates.status_of(batch.agency, batch.digests[0]) == StatusRecord(VALID, 0, 0, None)
    assert world.reader.certificates.status_of(batch.agency, superseded).status == SUPERSEDED


def test_a_revoked_batch_refuses_every_further_change(world: World, batch: AnchoredBatch) -> None:
    world.as_("sh_pudong").certificates.revoke_batch(batch.agency, batch.root, 1).wait()
    error = contract_errors.CertificateRegistryBatchRevoked
    for actor in ("sh_pudong", "sh_admin"):
        with reverts(error, agency=batch.agency, root=batch.root):
            world.as_(actor).certificates.revoke_batch(batch.agency, batch.root, 2).wait()
        for operation in ("suspend", "revoke", "supersede"):
            with reverts(error, agency=batch.agency, root=batch.root):
                send(world, actor, batch, operation, batch.digests[0]).wait()
        multi = batch.tree.multi_proof(batch.digests[:2])
        with reverts(error, agency=batch.agency, root=batch.root):
            world.as_(actor).certificates.revoke_multiple(
                batch.agency, batch.root, multi.digests, multi.proof, multi.proof_flags, 1
            ).wait()
    with reverts(contract_errors.CertificateRegistryAlreadyAnchored, agency=batch.agency, root=batch.root):
        world.as_("sh_pudong").certificates.anchor(batch.root, 8, MANIFEST).wait()
    assert world.reader.certificates.batch(batch.agency, batch.root).revoke_reason == 1


# ------------------------------------------------------------------------------ revocation by consortium vote

DAY = 86_400


def proposal_id_of(receipt: Receipt) -> int:
    return int(receipt.event("ProposalCreated").args["proposalId"])


def vote_and_execute(world: World, proposal_id: int, voters: tuple[str, ...] = ("sh_admin", "zj_admin")) -> Receipt:
    for voter in voters:
        world.as_(voter).consortium.vote(proposal_id).wait()
    receipt: Receipt = world.as_(voters[0]).consortium.execute(proposal_id).wait()
    return receipt


def beijing_batch(world: World) -> AnchoredBatch:
    """A batch anchored by 北京市's agency while its province is (briefly) reinstated; suspended again after."""
    consortium = world.reader.consortium
    world.govern(consortium.address, consortium.encode("reinstateProvince", SUSPENDED_PROVINCE))
    beijing = anchor_batch(world, "bj_amr")
    world.govern(consortium.address, consortium.encode("suspendProvince", SUSPENDED_PROVINCE))
    return beijing


def nonce_and_head(world: World, account: str) -> tuple[int, int]:
    w3 = world.reader.w3
    return w3.eth.get_transaction_count(to_checksum_address(world.addr(account))), w3.eth.block_number


def test_a_consortium_vote_revokes_a_certificate_of_a_suspended_province(world: World) -> None:
    """Finding: a suspended province's certificates could be revoked by no one. Suspended by vote, its agency and
    admin can no longer act, and a vote of the other provinces revokes the certificate."""
    beijing = beijing_batch(world)
    digest = beijing.digests[3]
    for actor in ("bj_amr", "bj_admin", "sh_admin"):
        with reverts(contract_errors.CertificateRegistryUnauthorized, caller=world.addr(actor), agency=beijing.agency):
            send(world, actor, beijing, "revoke", digest).wait()
    assert world.reader.authorities.can_consortium_revoke_certificates_of(beijing.agency)

    proposed = (
        world.as_("sh_admin")
        .propose_revocation(
            beijing.agency,
            beijing.root,
            digest,
            beijing.proof(digest),
            2,
            expires_at=world.now() + DAY,
            description="吊销北京市暂停期间的营业执照",
        )
        .wait()
    )
    proposal = world.reader.consortium.proposal(proposal_id_of(proposed))
    assert proposal.target == world.reader.certificates.address
    executed = vote_and_execute(world, proposal.id)

    consortium = world.reader.consortium.address
    assert world.reader.certificates.consortium() == consortium
    assert executed.event("CertificateRevoked").args == {
        "digest": digest,
        "agency": beijing.agency,
        "by": consortium,
        "reason": 2,
    }
    assert "ProposalExecuted" in [e.name for e in executed.events]
    assert record_of(world, beijing, digest) == StatusRecord(REVOKED, 2, block_time(world, executed), None)
    assert [status(world, beijing, d) for d in beijing.digests if d != digest] == [VALID] * 7


def test_a_consortium_vote_revokes_several_certificates_and_whole_batches_of_a_removed_province(world: World) -> None:
    several, whole = anchor_batch(world, "gd_amr", count=16), anchor_batch(world, "gd_amr")
    consortium = world.reader.consortium
    world.govern(consortium.address, consortium.encode("removeProvince", GD))
    chosen = [several.digests[i] for i in (0, 5, 6, 11)]
    multi = several.tree.multi_proof(chosen)
    proposer = world.as_("zj_admin")
    expires_at = world.now() + DAY

    first = proposer.propose_multiple_revocation(
        several.agency,
        several.root,
        multi.digests,
        multi.proof,
        multi.proof_flags,
        4,
        expires_at=expires_at,
        description="吊销四张",
    ).wait()
    second = proposer.propose_batch_revocation(
        whole.agency, whole.root, 5, expires_at=expires_at, description="整批"
    ).wait()
    revoked = vote_and_execute(world, proposal_id_of(first))
    batch_revoked = vote_and_execute(world, proposal_id_of(second))

    by = world.reader.consortium.address
    assert sorted(e.args["digest"] for e in revoked.events if e.name == "CertificateRevoked") == sorted(chosen)
    assert {e.args["by"] for e in revoked.events if e.name == "CertificateRevoked"} == {by}
    assert [status(world, several, d) for d in several.digests].count(REVOKED) == 4
    assert batch_revoked.event("BatchRevoked").args == {
        "root": whole.root,
        "agency": whole.agency,
        "by": by,
        "reason": 5,
    }
    batch = world.reader.certificates.batch(whole.agency, whole.root)
    assert (batch.revoked_at, batch.revoke_reason) == (block_time(world, batch_revoked), 5)
    assert [status(world, whole, d) for d in whole.digests] == [REVOKED] * 8


def test_a_revocation_is_checked_as_the_consortium_would_make_it_before_it_is_proposed(
    world: World, batch: AnchoredBatch
) -> None:
    proposer = world.as_("sh_admin")
    digest = batch.digests[0]
    before = nonce_and_head(world, "sh_admin")
    with reverts(contract_errors.CertificateRegistryIssuerInGoodStanding, agency=batch.agency, province=310000):
        proposer.propose_revocation(
            batch.agency, batch.root, digest, batch.proof(digest), 2, expires_at=world.now() + DAY, description="x"
        )
    assert nonce_and_head(world, "sh_admin") == before
    beijing = beijing_batch(world)
    before = nonce_and_head(world, "sh_admin")
    with reverts(contract_errors.CertificateRegistryInvalidProof, root=beijing.root, digest=beijing.digests[0]):
        proposer.propose_revocation(
            beijing.agency,
            beijing.root,
            beijing.digests[0],
            beijing.proof(beijing.digests[1]),
            2,
            expires_at=world.now() + DAY,
            description="x",
        )
    with reverts(contract_errors.CertificateRegistryUnknownRoot, agency=beijing.agency, root=batch.root):
        proposer.propose_batch_revocation(beijing.agency, batch.root, 2, expires_at=world.now() + DAY, description="x")
    assert nonce_and_head(world, "sh_admin") == before


def test_a_revocation_proposed_before_the_suspension_is_executed_after_it(world: World) -> None:
    """`check=False` proposes in advance; execution succeeds only once the province can no longer act."""
    gd = anchor_batch(world, "gd_amr")
    digest = gd.digests[0]
    proposer = world.as_("sh_admin")
    proposal_id = proposal_id_of(
        proposer.propose_revocation(
            gd.agency,
            gd.root,
            digest,
            gd.proof(digest),
            2,
            expires_at=world.now() + DAY,
            description="预先提出",
            check=False,
        ).wait()
    )
    world.as_("sh_admin").consortium.vote(proposal_id).wait()
    world.as_("zj_admin").consortium.vote(proposal_id).wait()
    with reverts(contract_errors.CertificateRegistryIssuerInGoodStanding, agency=gd.agency, province=GD):
        proposer.consortium.execute(proposal_id).wait()

    consortium = world.reader.consortium
    world.govern(consortium.address, consortium.encode("suspendProvince", GD))
    proposer.consortium.execute(proposal_id).wait()
    assert status(world, gd, digest) == REVOKED


@pytest.mark.parametrize("actor", ["bj_amr", "bj_admin", "sh_admin", "zj_admin", "outsider"])
def test_consortium_revocations_are_refused_to_every_account(world: World, actor: str) -> None:
    beijing = beijing_batch(world)
    digest = beijing.digests[0]
    caller = world.addr(actor)
    client = world.as_(actor).certificates
    multi = beijing.tree.multi_proof([digest])
    with reverts(contract_errors.CertificateRegistryOnlyConsortium, caller=caller):
        client.consortium_revoke(beijing.agency, beijing.root, digest, beijing.proof(digest), 2).wait()
    with reverts(contract_errors.CertificateRegistryOnlyConsortium, caller=caller):
        client.consortium_revoke_multiple(
            beijing.agency, beijing.root, multi.digests, multi.proof, multi.proof_flags, 2
        ).wait()
    with reverts(contract_errors.CertificateRegistryOnlyConsortium, caller=caller):
        client.consortium_revoke_batch(beijing.agency, beijing.root, 2).wait()
    assert status(world, beijing, digest) == VALID


def test_malformed_revocation_proposals_are_refused_before_anything_is_sent(world: World, batch: AnchoredBatch) -> None:
    proposer = world.as_("sh_admin")
    digest = batch.digests[0]
    expires_at = world.now() + DAY
    before = nonce_and_head(world, "sh_admin")
    calls = [
        lambda: proposer.propose_revocation("0x12", batch.root, digest, [], 2, expires_at=expires_at, description=""),
        lambda: proposer.propose_revocation(batch.agency, b"x", digest, [], 2, expires_at=expires_at, description=""),
        lambda: proposer.propose_revocation(
            batch.agency, batch.root, digest, [], 70_000, expires_at=expires_at, description=""
        ),
        lambda: proposer.propose_multiple_revocation(
            batch.agency, batch.root, [], [], [], 2, expires_at=expires_at, description=""
        ),
        lambda: proposer.propose_batch_revocation(
            batch.agency,
            batch.root,
            2,
            expires_at=expires_at,
            description=None,  # type: ignore[arg-type]
        ),
    ]
    for call in calls:
        with pytest.raises(LedgerValueError):
            call()
    assert nonce_and_head(world, "sh_admin") == before


# ------------------------------------------------------------------------------ transactions, history and gas


def test_many_anchors_in_flight_from_one_account_all_succeed(world: World) -> None:
    client = world.as_("sh_town").certificates
    trees = [MerkleTree(random_digests(3)) for _ in range(25)]
    address = world.addr("sh_town")
    first_nonce = world.reader.w3.eth.get_transaction_count(address)

    pending = [client.anchor(tree.root, 3, raw_cid(f"manifest-{i}")) for i, tree in enumerate(trees)]
    receipts = world.reader.wait_all(pending)

    assert [p.tx["nonce"] for p in pending] == list(range(first_nonce, first_nonce + 25))
    cids = [digest_cids(r.event("BatchAnchored").args["manifest"])[0] for r in receipts]
    assert cids == [raw_cid(f"manifest-{i}") for i in range(25)]
    assert all(world.reader.certificates.batch(address, tree.root).count == 3 for tree in trees)
    assert world.reader.w3.eth.get_transaction_count(address) == first_nonce + 25


def test_an_anchor_refused_after_mining_raises_the_decoded_error_with_its_hash(world: World) -> None:
    client = world.as_("sh_town").certificates
    root = MerkleTree(random_digests(2)).root
    town = world.addr("sh_town")

    first = client.anchor(root, 2, MANIFEST, gas=200_000)
    second = client.anchor(root, 2, MANIFEST, gas=200_000)
    first.wait()
    with pytest.raises(contract_errors.CertificateRegistryAlreadyAnchored) as info:
        second.wait()

    assert info.value.arguments == {"agency": town, "root": root}
    assert info.value.tx_hash == second.tx_hash
    assert second.tx["nonce"] == first.tx["nonce"] + 1
    assert world.reader.w3.eth.get_transaction_receipt(second.tx_hash)["status"] == 0
    assert world.reader.certificates.batch(town, root).anchored_at == block_time(world, first.wait())


def test_reads_at_an_earlier_block_see_the_earlier_status(world: World) -> None:
    # anvil keeps the state of the last 512 blocks mined (reverted ones included): the block before the anchoring
    # must be one mined in this test, not the session snapshot's block every test starts on
    world.rpc("evm_mine", [])
    batch = anchor_batch(world, "sh_pudong")
    digest = batch.digests[0]
    suspended = send(world, "sh_pudong", batch, "suspend", digest).wait()
    revoked = send(world, "sh_pudong", batch, "revoke", digest).wait()
    batch_revoked = world.as_("sh_pudong").certificates.revoke_batch(batch.agency, batch.root, 9).wait()
    certificates = world.reader.certificates

    def at(block: int) -> CertificateStatus:
        return certificates.certificate_status(batch.agency, batch.root, digest, block_identifier=block).status

    assert [at(batch.receipt.block_number), at(suspended.block_number), at(revoked.block_number)] == [
        VALID,
        SUSPENDED,
        REVOKED,
    ]
    assert certificates.status_of(batch.agency, digest, block_identifier=suspended.block_number).reason == 1
    before = batch.receipt.block_number - 1
    assert not certificates.is_anchored(batch.agency, batch.root, block_identifier=before)
    assert certificates.batch(batch.agency, batch.root, block_identifier=before) == never_anchored(
        batch.agency, batch.root
    )
    assert not certificates.batch(batch.agency, batch.root, block_identifier=revoked.block_number).revoked
    assert certificates.batch(batch.agency, batch.root, block_identifier=batch_revoked.block_number).revoked
    with reverts(contract_errors.CertificateRegistryUnknownRoot, agency=batch.agency, root=batch.root):
        certificates.certificate_status(batch.agency, batch.root, digest, block_identifier=before)


def test_a_ten_thousand_leaf_batch_is_anchored_and_revoked_within_gas_budgets(
    world: World, big: BigTree, request: pytest.FixtureRequest
) -> None:
    big_tree, leaves = big.tree, big.digests
    client = world.as_("sh_pudong").certificates
    pudong = world.addr("sh_pudong")
    anchored = client.anchor(big_tree.root, len(big_tree), MANIFEST).wait()
    deepest = max(leaves, key=lambda d: len(big_tree.proof(d)))
    proof = big_tree.proof(deepest)
    assert len(proof) == 14
    assert verify(big_tree.root, deepest, proof)
    assert world.reader.certificates.verify_inclusion(big_tree.root, deepest, proof)
    assert world.reader.certificates.leaf_of(deepest) == leaf_hash(deepest)

    revoked = client.revoke(pudong, big_tree.root, deepest, proof, 1).wait()

    # Recorded on the test report (what `record_property` does, without its warning under the xunit2 family).
    request.node.user_properties += [("anchor_gas", anchored.gas_used), ("revoke_gas_10000_leaves", revoked.gas_used)]
    assert anchored.gas_used <= 52_000  # with a manifest, by an agency two levels down
    deeper = world.as_("sh_town").certificates.anchor(MerkleTree(random_digests(3)).root, 3, MANIFEST).wait()
    assert deeper.gas_used <= 52_000 and abs(deeper.gas_used - anchored.gas_used) < 100  # depth costs nothing
    assert revoked.gas_used < 100_000
    assert world.reader.certificates.batch(pudong, big_tree.root).count == 10_000
    assert world.reader.certificates.certificate_status(pudong, big_tree.root, deepest).status == REVOKED

    others = [d for d in leaves[:4] + leaves[-4:] if d != deepest][:6]
    multi = big_tree.multi_proof(others)
    client.revoke_multiple(pudong, big_tree.root, multi.digests, multi.proof, multi.proof_flags, 2).wait()
    assert all(world.reader.certificates.certificate_status(pudong, big_tree.root, d).status == REVOKED for d in others)
    with reverts(contract_errors.CertificateRegistryInvalidProof, root=big_tree.root, digest=leaves[5]):
        client.suspend(pudong, big_tree.root, leaves[5], big_tree.proof(leaves[6]), 1).wait()
