"""What the issuer acknowledges stays anchored: sealed journals, confirmation depth, a chain that restarts
without its latest blocks, and requests found again by their reference."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.bootstrap import bootstrap, parse_description
from ledger.chain.client import HurongClient
from ledger.chain.node import Anvil
from ledger.errors import LedgerValueError
from ledger.issuance.issuer import DocumentSealer, Issuer
from ledger.issuance.journal import Journal
from tests.conftest import WORLD, World
from tests.ledger.certificates.samples import LICENCES
from tests.ledger.issuance.test_issuance import credentials

pytestmark = pytest.mark.timeout(300)


def _anchors(client: HurongClient, root: bytes) -> int:
    """How many `BatchAnchored` events name `root` on the chain."""
    event = client.certificates.contract.events.BatchAnchored
    head = int(client.w3.eth.block_number)
    return len(event.get_logs(from_block=0, to_block=head, argument_filters={"root": root}))


def test_the_journal_holds_no_personal_data_in_plaintext_and_is_private(world: World, tmp_path: Path) -> None:
    path = tmp_path / "journals" / "agency.sqlite"
    journal = Journal(path)
    issuer = Issuer(world.as_("sh_amr"), journal)
    wrapped = issuer.issue(credentials(world, 3))
    journal.close()
    licence = LICENCES["business_licence"]
    secrets = [licence["holderName"], licence["holderId"], next(iter(wrapped[0]["proof"]["salts"].values()))]
    for file in path.parent.iterdir():
        data = file.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, (file.name, secret)
        assert file.stat().st_mode & 0o777 == 0o600, file.name
    assert path.parent.stat().st_mode & 0o777 == 0o700
    reopened = Journal(path)
    digest, sealed = reopened.certificates(reopened.batches()[0].id)[0]
    assert issuer.sealer.open(digest, sealed)["proof"]["digest"] == "0x" + digest.hex()
    stranger = DocumentSealer(bytes.fromhex(world.key("zj_amr")[2:]), world.addr("sh_amr"))
    with pytest.raises(LedgerValueError):
        stranger.open(digest, sealed)


def test_a_request_reference_finds_what_its_first_attempt_issued(world: World, tmp_path: Path) -> None:
    issuer = Issuer(world.as_("sh_amr"), Journal(tmp_path / "j.sqlite"), max_batch=2)
    creds = credentials(world, 5)
    wrapped = issuer.issue(creds, request_refs=["a", "a", "b", "a", None])
    found = issuer.for_request("a")
    assert found is not None
    assert [d["proof"]["digest"] for d in found] == [wrapped[i]["proof"]["digest"] for i in (0, 1, 3)]
    assert all(d["proof"]["anchor"]["transactionHash"] for d in found)
    assert issuer.for_request("unknown") is None


def test_an_anchor_is_acknowledged_only_at_the_confirmation_depth(world: World, tmp_path: Path) -> None:
    issuer = Issuer(world.as_("sh_amr"), Journal(tmp_path / "j.sqlite"), confirmations=4)
    stop = threading.Event()

    def mine() -> None:
        while not stop.wait(0.1):
            world.rpc("evm_mine")

    miner = threading.Thread(target=mine, daemon=True)
    miner.start()
    try:
        doc = issuer.issue(credentials(world, 1))[0]
    finally:
        stop.set()
        miner.join()
    block = doc["proof"]["anchor"]["blockNumber"]
    assert int(world.reader.w3.eth.block_number) >= block + 3
    record = issuer.journal.batches()[0]
    assert record.state == "anchored" and record.block_hash is not None


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[Anvil]:
    chain = Anvil(accounts=len(WORLD["accounts"]), state=tmp_path / "chain" / "state.json")
    chain.start()
    try:
        yield chain
    finally:
        chain.stop()


def _kill(chain: Anvil) -> None:
    assert chain.process is not None
    os.kill(chain.process.pid, signal.SIGKILL)
    chain.process.wait()
    chain.process = None


def test_batches_a_restarted_chain_lost_are_anchored_again_exactly_once(restartable: Anvil, tmp_path: Path) -> None:
    result = bootstrap(parse_description(WORLD), restartable.url)
    restartable.stop()  # a clean stop writes the state: the consortium survives the restarts below
    restartable.start()
    client = HurongClient.connect(restartable.url, result.deployment, result.keys["sh_amr"])
    journal = Journal(tmp_path / "journal.sqlite")
    issuer = Issuer(client, journal, max_batch=5)
    wrapped = issuer.issue(credentials(client, 15))
    roots = sorted({bytes.fromhex(w["proof"]["merkleRoot"][2:]) for w in wrapped})
    assert len(roots) == 3 and all(client.certificates.is_anchored(client.address, r) for r in roots)
    _kill(restartable)  # the state is written every 30 s: the three anchors are lost
    restartable.start()
    assert not any(client.certificates.is_anchored(client.address, r) for r in roots)
    lost = issuer.recheck()
    assert sorted(lost) == sorted(b.id for b in journal.batches())
    for root in roots:
        assert client.certificates.is_anchored(client.address, root)
        assert _anchors(client, root) == 1
    assert [b.state for b in journal.batches()] == ["anchored"] * 3
    assert issuer.recheck() == []  # nothing lost twice, and nothing re-sent
    with sqlite3.connect(tmp_path / "journal.sqlite") as db:
        (blocks,) = db.execute("SELECT COUNT(DISTINCT block_hash) FROM batches").fetchone()
    assert blocks >= 1


def test_a_key_that_cannot_sign_for_the_agency_refuses_the_batch_before_anything_is_anchored(
    world: World, tmp_path: Path
) -> None:
    from ledger.chain.models import KeyAlgorithm
    from ledger.keys.signing import (
        ForeignSigningKeyError,
        RevokedSigningKeyError,
        UnregisteredSigningKeyError,
        generate,
        sign_root,
    )

    agency = world.addr("sh_amr")
    unregistered = generate(KeyAlgorithm.ED25519)
    foreign = generate(KeyAlgorithm.ED25519)
    world.as_("zj_amr").authorities.add_signing_key(world.addr("zj_amr"), foreign).wait()
    revoked = generate(KeyAlgorithm.ED25519)
    world.as_("sh_amr").authorities.add_signing_key(agency, revoked).wait()
    world.as_("sh_amr").authorities.revoke_signing_key(revoked.key_id_for(agency)).wait()
    good = generate(KeyAlgorithm.ED25519)
    world.as_("sh_amr").authorities.add_signing_key(agency, good).wait()
    cases = [
        (unregistered, agency, UnregisteredSigningKeyError),
        (foreign, world.addr("zj_amr"), ForeignSigningKeyError),
        (revoked, agency, RevokedSigningKeyError),
    ]
    for pair, named_for, error in cases:
        journal = Journal(tmp_path / f"{error.__name__}.sqlite")
        issuer = Issuer(
            world.as_("sh_amr"), journal, signer=lambda root, p=pair, a=named_for: sign_root(p, root, agency=a)
        )
        with pytest.raises(error):
            issuer.issue(credentials(world, 2))
        assert journal.batches() == []  # nothing journaled, nothing sent
    issuer = Issuer(world.as_("sh_amr"), Journal(tmp_path / "good.sqlite"),
                    signer=lambda root: sign_root(good, root, agency=agency))  # fmt: skip
    doc = issuer.issue(credentials(world, 1))[0]
    assert doc["proof"]["signature"]["keyId"] == "0x" + good.key_id_for(agency).hex()
