"""Status changes survive the chain: journaled before they are sent, confirmed before they are answered, and
applied again, in their order, when a restarted chain lost them."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from ledger.chain.bootstrap import bootstrap, parse_description
from ledger.chain.client import HurongClient
from ledger.chain.node import Anvil
from ledger.errors import ContractRevertError, LedgerValueError
from ledger.issuance.issuer import Issuer
from ledger.issuance.journal import Journal
from ledger.issuance.status_changes import StatusChanges
from tests.conftest import WORLD, World
from tests.ledger.issuance.test_issuance import credentials
from tests.ledger.issuance.test_issuance_recovery import _kill, restartable  # noqa: F401 (a fixture)

pytestmark = pytest.mark.timeout(300)


def _located(doc: dict) -> tuple[bytes, bytes, list[bytes]]:
    proof = doc["proof"]
    return (
        bytes.fromhex(proof["merkleRoot"][2:]),
        bytes.fromhex(proof["digest"][2:]),
        [bytes.fromhex(h[2:]) for h in proof["merklePath"]],
    )


def _status(client: HurongClient, doc: dict) -> str:
    return client.certificates.status_of(client.address, doc["proof"]["digest"]).status.name.lower()


def _events(client: HurongClient, name: str, digest: str) -> int:
    event = getattr(client.certificates.contract.events, name)
    head = int(client.w3.eth.block_number)
    return len(event.get_logs(from_block=0, to_block=head, argument_filters={"digest": bytes.fromhex(digest[2:])}))


def test_changes_a_restarted_chain_lost_are_applied_again_in_order(restartable: Anvil, tmp_path: Path) -> None:  # noqa: F811
    result = bootstrap(parse_description(WORLD), restartable.url)
    client = HurongClient.connect(restartable.url, result.deployment, result.keys["sh_amr"])
    journal = Journal(tmp_path / "journal.sqlite")
    docs = Issuer(client, journal).issue(credentials(client, 3))
    restartable.stop()  # a clean stop writes the state: the consortium and the batch survive the kill below
    restartable.start()
    changes = StatusChanges(client, journal)
    agency = client.address
    assert agency is not None
    first, second, third = (_located(d) for d in docs)
    changes.apply(client, "suspend", agency, *first, 1)
    changes.apply(client, "reinstate", agency, *first, 1)
    changes.apply(client, "revoke", agency, *second, 2)
    changes.apply(client, "suspend", agency, *third, 1)
    assert [c.state for c in journal.status_changes()] == ["applied"] * 4
    assert [_status(client, d) for d in docs] == ["valid", "revoked", "suspended"]

    _kill(restartable)  # the state is written every 30 s: the four changes are lost
    restartable.start()
    assert [_status(client, d) for d in docs] == ["valid", "valid", "valid"]
    client.certificates.suspend(agency, *third, 1).wait()  # someone applied the last one meanwhile

    signers: list[str] = []

    def signer_for(address: str) -> HurongClient:
        signers.append(address)
        return client

    again = changes.recheck(signer_for)
    ids = [c.id for c in journal.status_changes()]
    assert again == ids[:3]  # the suspension of the third was found applied: not sent a second time
    assert signers == [agency] * 3
    assert [_status(client, d) for d in docs] == ["valid", "revoked", "suspended"]
    digest = docs[0]["proof"]["digest"]
    assert _events(client, "CertificateSuspended", digest) == 1  # its history is whole again, in order
    assert _events(client, "CertificateReinstated", digest) == 1
    assert _events(client, "CertificateSuspended", docs[2]["proof"]["digest"]) == 1
    assert [c.state for c in journal.status_changes()] == ["applied"] * 4
    assert changes.recheck(signer_for) == []  # nothing lost twice, nothing sent again
    assert len(signers) == 3


def test_a_change_sent_by_a_process_that_died_is_settled_from_its_receipt(world: World, tmp_path: Path) -> None:
    client = world.as_("sh_amr")
    journal = Journal(tmp_path / "journal.sqlite")
    doc = Issuer(client, journal).issue(credentials(world, 1))[0]
    root, digest, proof = _located(doc)
    agency = client.address
    assert agency is not None
    # What a worker killed between sending and confirming leaves behind:
    change_id = journal.record_status_change(
        agency=agency, chain_id=client.deployment.chain_id, registry=client.certificates.address, signer=agency,
        action="suspend", digest=digest, root=root, proof=proof, reason=1,
    )  # fmt: skip
    pending = client.certificates.suspend(agency, root, digest, proof, 1)
    journal.mark_status_sent(change_id, pending.tx_hash)
    receipt = pending.wait()
    changes = StatusChanges(world.reader, journal)
    assert changes.recheck(lambda a: client) == []
    record = journal.status_change(change_id)
    assert (record.state, record.tx_hash, record.block_number) == ("applied", receipt.tx_hash, receipt.block_number)
    assert record.acknowledged
    # One that never reached the chain, long ago, is given up: its client was never answered.
    stale = journal.record_status_change(
        agency=agency, chain_id=client.deployment.chain_id, registry=client.certificates.address, signer=agency,
        action="reinstate", digest=digest, root=root, proof=proof, reason=1,
    )  # fmt: skip
    with sqlite3.connect(tmp_path / "journal.sqlite") as db:
        db.execute("UPDATE status_changes SET updated_at = ? WHERE id = ?", (time.time() - 3600, stale))
    changes.recheck(lambda a: client)
    assert journal.status_change(stale).state == "failed"
    assert _status(client, doc) == "suspended"


def test_a_change_whose_replacement_was_mined_is_settled_under_any_of_its_hashes(world: World, tmp_path: Path) -> None:
    client = world.as_("sh_amr")
    journal = Journal(tmp_path / "journal.sqlite")
    doc = Issuer(client, journal).issue(credentials(world, 1))[0]
    root, digest, proof = _located(doc)
    agency = client.address
    assert agency is not None
    change_id = journal.record_status_change(
        agency=agency, chain_id=client.deployment.chain_id, registry=client.certificates.address, signer=agency,
        action="suspend", digest=digest, root=root, proof=proof, reason=1,
    )  # fmt: skip
    # The first transaction was replaced with higher fees (same nonce) and dropped; the worker then died.
    dropped = "0x" + "ab" * 32
    journal.mark_status_sent(change_id, dropped)
    pending = client.certificates.change_status(
        "suspend", agency, root, digest, proof, 1, on_signed=lambda h: journal.mark_status_sent(change_id, h)
    )
    receipt = pending.wait()
    assert journal.status_change_transactions(change_id) == [dropped, receipt.tx_hash]
    # A client retrying with the first hash its idempotency record kept is answered from the replacement.
    settled = StatusChanges(world.reader, journal).settle(dropped)
    assert settled is not None and settled.tx_hash == receipt.tx_hash
    record = journal.status_change(change_id)
    assert (record.state, record.tx_hash, record.block_number) == ("applied", receipt.tx_hash, receipt.block_number)
    assert journal.status_change_by_transaction(dropped) == record
    assert _status(client, doc) == "suspended"


def test_a_refused_change_is_journaled_as_failed_and_raised(world: World, tmp_path: Path) -> None:
    client = world.as_("sh_amr")
    journal = Journal(tmp_path / "journal.sqlite")
    doc = Issuer(client, journal).issue(credentials(world, 1))[0]
    agency = client.address
    assert agency is not None
    changes = StatusChanges(client, journal)
    with pytest.raises(ContractRevertError):
        changes.apply(client, "reinstate", agency, *_located(doc), 1)  # it is not suspended
    (record,) = journal.status_changes()
    assert record.state == "failed" and record.error
    with pytest.raises(LedgerValueError):
        changes.apply(client, "supersede", agency, *_located(doc), 1)  # no successor
    with pytest.raises(LedgerValueError):
        changes.apply(client, "erase", agency, *_located(doc), 1)
    assert len(journal.status_changes()) == 1


def test_a_change_lost_with_its_batch_waits_for_the_batch_to_be_anchored_again(
    restartable: Anvil,  # noqa: F811
    tmp_path: Path,
) -> None:
    result = bootstrap(parse_description(WORLD), restartable.url)
    restartable.stop()  # the consortium survives the kill below; the batch and the change will not
    restartable.start()
    client = HurongClient.connect(restartable.url, result.deployment, result.keys["sh_amr"])
    journal = Journal(tmp_path / "journal.sqlite")
    issuer = Issuer(client, journal)
    (doc,) = issuer.issue(credentials(client, 1))
    changes = StatusChanges(client, journal)
    agency = client.address
    assert agency is not None
    changes.apply(client, "revoke", agency, *_located(doc), 2)
    _kill(restartable)
    restartable.start()
    assert changes.recheck(lambda a: client) == []  # the batch is gone: nothing can be applied yet
    (change,) = journal.status_changes()
    assert change.state == "lost"
    assert issuer.recheck() == [journal.batches()[0].id]
    assert changes.recheck(lambda a: client) == [change.id]
    assert _status(client, doc) == "revoked"
