"""Issuance batch by batch with the journal written beside the hashing: the same certificates as the plain sequence
(copy, status, salts, digest, tree, paths) for the same salts, every batch journaled before any is sent, and a batch
refused mid-call (a licence already held, a key that cannot sign) leaving nothing of the call issued."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.certificates.hashing import _py_salt_fields
from ledger.certificates.merkle import MerkleTree
from ledger.certificates.model import PROOF_TYPE, STATUS_TYPE
from ledger.errors import DuplicateLicence, JournalError
from ledger.issuance import pipeline
from ledger.issuance.issuer import Issuer
from ledger.issuance.journal import AUTOCHECKPOINT_BYTES, PAGE_SIZE, Journal
from ledger.issuance.pipeline import JournalWriter, salt_credentials, wrap_batch
from ledger.issuance.sealing import DocumentSealer
from ledger.issuance.sqlite_files import use_write_ahead_log
from tests.conftest import World
from tests.ledger.issuance.test_issuance import credentials


def _fixed_salts(documents: Iterable[dict[str, Any]], suite: str) -> list[tuple[dict[str, str], bytes]]:
    """Salts drawn from a counter: the same for the same documents, whichever path hashes them."""
    out = []
    for document in documents:
        counter = iter(range(10**6))
        out.append(_py_salt_fields(document, suite, salt=lambda c=counter: f"{next(c):032x}"))
    return out


def _reference(
    creds: list[dict[str, Any]],
    registry_status: dict[str, Any],
    chain_id: int,
    registry: str,
    signature: dict[str, Any] | None,
) -> Any:
    """The certificates of one batch as the issuer made them before it had a pipeline, step by step."""
    docs = [orjson.loads(orjson.dumps(c)) for c in creds]
    for doc in docs:
        if doc.get("credentialStatus", registry_status) == registry_status:
            doc["credentialStatus"] = dict(registry_status)
    digests = []
    for doc, (salts, digest) in zip(docs, _fixed_salts(docs, "sm"), strict=True):
        doc["proof"] = {"type": PROOF_TYPE, "suite": "sm", "digest": "0x" + digest.hex(), "salts": salts,
                        "obfuscated": []}  # fmt: skip
        digests.append(digest)
    tree = MerkleTree(digests)
    for doc, path in zip(docs, tree.proofs(digests), strict=True):
        proof = doc["proof"]
        proof["merkleRoot"] = "0x" + tree.root.hex()
        proof["merklePath"] = ["0x" + h.hex() for h in path]
        proof["chainId"] = chain_id
        proof["registry"] = registry
        if signature is not None:
            proof["signature"] = signature
    return tree.root, docs


@pytest.mark.parametrize("core", ["native", "reference"])
@pytest.mark.parametrize("signed", [False, True])
def test_the_pipeline_makes_the_same_bytes_as_the_plain_sequence(
    world: World, monkeypatch: Any, core: str, signed: bool
) -> None:
    if core == "native" and pipeline._native is None:
        pytest.skip("the native core is not installed")
    if core == "reference":
        monkeypatch.setattr(pipeline, "_native", None)
    monkeypatch.setattr(pipeline, "salt_documents", _fixed_salts)
    agency = world.as_("sh_amr")
    registry = agency.certificates.address
    creds = credentials(world, 37)
    creds[3]["credentialSubject"]["note"] = '𠀀 e\u0301 \x7f \\ " /'  # non-BMP, combining mark, escapes
    status = {"id": f"eip155:31337:{registry}", "type": STATUS_TYPE, "chainId": 31337, "registry": registry}
    signature = {"keyId": "0x" + "ab" * 32, "value": "0x01"} if signed else None
    root, expected = _reference(creds, status, 31337, registry, signature)
    salted = salt_credentials(creds, "sm", status, None)
    roots: list[bytes] = []
    got_root, digests = wrap_batch(salted, suite="sm", chain_id=31337, registry=registry,
                                   sign=lambda r: roots.append(r) or signature)  # fmt: skip
    assert got_root == root and roots == [root]
    assert [orjson.dumps(d) for d in salted.documents] == [orjson.dumps(d) for d in expected]
    assert digests == [bytes.fromhex(d["proof"]["digest"][2:]) for d in expected]


def test_every_batch_is_journaled_before_any_is_sent_and_the_journal_holds_each_certificate(
    world: World, tmp_path: Path, monkeypatch: Any
) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    issuer = Issuer(world.as_("sh_amr"), journal, max_batch=7)
    sent: list[int] = []
    send = issuer._send

    def checked_send(batch: Any) -> None:
        assert [b.state for b in journal.batches()][: len(sent)] == ["sent"] * len(sent)
        assert len(journal.batches()) == 4  # all four batches journaled before the first is sent
        sent.append(batch.id)
        send(batch)

    monkeypatch.setattr(issuer, "_send", checked_send)
    events: list[tuple[str, int, int]] = []
    wrapped = issuer.issue(credentials(world, 25), progress=lambda *e: events.append(e))
    assert len(sent) == 4 and [b.count for b in journal.batches()] == [7, 7, 7, 4]
    assert events[-1] == ("anchored", 25, 25) and ("hashed", 25, 25) in events
    for batch in journal.batches():
        for digest, sealed in journal.certificates(batch.id):
            opened = issuer.sealer.open(digest, sealed)
            assert opened["proof"]["merkleRoot"] == "0x" + batch.root.hex()
    assert {w["proof"]["digest"] for w in wrapped} == {
        "0x" + d.hex() for b in journal.batches() for d in journal.digests(b.id)
    }


def test_a_licence_already_held_in_a_later_batch_refuses_the_whole_call(world: World, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    issuer = Issuer(world.as_("sh_amr"), journal, max_batch=3)
    creds = credentials(world, 8)
    creds[7]["credentialSubject"]["licenceNumber"] = creds[1]["credentialSubject"]["licenceNumber"]
    anchored_before = world.reader.certificates.contract.events.BatchAnchored.get_logs(from_block=0, to_block="latest")
    with pytest.raises(DuplicateLicence) as info:
        issuer.issue(creds, replaceable=set())
    assert [position for position, _ in info.value.conflicts] == [7]  # its position in the call, not its batch
    batches = journal.batches()
    assert [b.state for b in batches] == ["failed", "failed"]  # the third batch was never journaled
    assert all(b.error == "refused: a licence of the request is already held" for b in batches)
    assert info.value.conflicts[0][1] == journal.digests(batches[0].id)[1]
    after = world.reader.certificates.contract.events.BatchAnchored.get_logs(from_block=0, to_block="latest")
    assert len(after) == len(anchored_before)  # nothing of the call was sent


def test_a_key_refused_for_a_later_batch_leaves_the_earlier_ones_failed(world: World, tmp_path: Path) -> None:
    from ledger.chain.models import KeyAlgorithm
    from ledger.errors import SigningKeyError
    from ledger.keys.signing import generate, sign_root

    agency = world.addr("sh_amr")
    good, unregistered = generate(KeyAlgorithm.ED25519), generate(KeyAlgorithm.ED25519)
    world.as_("sh_amr").authorities.add_signing_key(agency, good).wait()
    keys: Iterator[Any] = iter([good, unregistered])
    journal = Journal(tmp_path / "journal.sqlite")
    issuer = Issuer(world.as_("sh_amr"), journal, max_batch=2,
                    signer=lambda root: sign_root(next(keys), root, agency=agency))  # fmt: skip
    with pytest.raises(SigningKeyError):
        issuer.issue(credentials(world, 4))
    assert [(b.state, b.error) for b in journal.batches()] == [
        ("failed", "refused: the signing key cannot sign for the agency")
    ]


def test_the_writer_records_in_order_and_stops_after_a_failure(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    writer = JournalWriter(journal)
    roots = [os.urandom(32) for _ in range(3)]

    def batch(root: bytes) -> dict[str, Any]:
        return {"agency": "0xA", "chain_id": 1, "registry": "0xR", "root": root, "suite": "default",
                "manifest_cid": "", "certificates": [(os.urandom(32), b"sealed")]}  # fmt: skip

    for root in [roots[0], roots[1], roots[0], roots[2]]:  # the third repeats the first: refused by the journal
        writer.record(**batch(root))
    ids, error = writer.finish()
    assert isinstance(error, JournalError) and "already journaled" in str(error)
    assert [journal.batch(i).root for i in ids] == roots[:2]
    assert [b.root for b in journal.batches()] == roots[:2]  # nothing after the failure
    inline = JournalWriter(journal, background=False)
    inline.record(**batch(roots[2]))
    assert [journal.batch(i).root for i in inline.finish()[0]] == [roots[2]]


#: Any character, lone surrogates and those JSON escapes among them.
_CHARACTERS = st.characters(exclude_categories=()) | st.sampled_from('"\\/\x00\x1f\x7f\u2028')


@given(st.text(_CHARACTERS), st.text(_CHARACTERS))
@settings(max_examples=300, deadline=None)
def test_a_licence_key_is_the_hmac_of_the_json_text_json_writes(kind: str, number: str) -> None:
    import hashlib
    import hmac
    import json

    sealer = DocumentSealer(b"\x07" * 32, "0xA")
    document = {"credentialSubject": {"certificateType": kind, "licenceNumber": number}}
    try:
        message = json.dumps([kind, number], ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a lone surrogate: refused alike
        with pytest.raises(UnicodeEncodeError):
            sealer.licence_key(document)
        return
    assert sealer.licence_key(document) == hmac.new(sealer._licence_key, message, hashlib.sha256).digest()


def test_a_call_whose_later_batch_fails_to_hash_leaves_nothing_to_anchor(
    world: World, tmp_path: Path, monkeypatch: Any
) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    issuer = Issuer(world.as_("sh_amr"), journal, max_batch=3)
    calls = 0

    def entries(documents: Any) -> list[list[dict[str, Any]]]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise sqlite3.OperationalError("database is locked")  # the status list file, for the second batch
        return [[] for _ in documents]

    issuer.status_list_entries = entries
    with pytest.raises(sqlite3.OperationalError):
        issuer.issue(credentials(world, 5))
    [batch] = journal.batches()  # the first batch was journaled beside the hashing of the second
    assert batch.state == "failed" and batch.error is not None and "OperationalError" in batch.error
    assert issuer.reconcile() == [] and journal.batches()[0].state == "failed"  # never sent, now or later
    assert not world.reader.certificates.is_anchored(world.addr("sh_amr"), batch.root)


def test_a_batch_is_journaled_row_for_row_whatever_the_statements_it_takes(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    journal._db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 11)  # two rows of five a statement, one of three
    certificates = [(os.urandom(32), os.urandom(40 + i)) for i in range(7)]
    licences = [os.urandom(32) if i % 3 else None for i in range(7)]
    refs = [f"ref-{i}" if i % 2 else None for i in range(7)]
    batch_id = journal.record_batch(agency="0xA", chain_id=1, registry="0xR", root=os.urandom(32), suite="default",
                                    manifest_cid="", certificates=certificates, request_refs=refs,
                                    licences=licences)  # fmt: skip
    assert journal.certificates(batch_id) == certificates
    assert [journal.by_request(r)[0][1] for r in refs if r] == [certificates[i][0] for i in (1, 3, 5)]
    assert journal.licence_holders([k for k in licences if k]) == {
        k: [certificates[i][0]] for i, k in enumerate(licences) if k
    }
    assert [b.id for b in journal.batches()] == [batch_id]


def test_a_commit_leaves_the_log_to_a_checkpoint_in_the_background(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    certificates = [(os.urandom(32), os.urandom(4000)) for _ in range(1200)]
    for _ in range(4):  # ~1,300 pages of 16 KiB of log: past SQLite's default of 1,000, when a commit would checkpoint
        journal.record_batch(agency="0xA", chain_id=1, registry="0xR", root=os.urandom(32), suite="default",
                             manifest_cid="", certificates=certificates)  # fmt: skip
    wal, database = tmp_path / "journal.sqlite-wal", tmp_path / "journal.sqlite"
    assert wal.stat().st_size > 1000 * PAGE_SIZE  # every batch still in the log: no commit checkpointed it
    assert database.stat().st_size < 1200 * 4000
    journal.checkpoint_later()
    assert journal._checkpointing is not None
    journal._checkpointing.join(timeout=30)
    assert database.stat().st_size > 4 * 1200 * 4000  # the background checkpoint copied the log into the database
    reader = sqlite3.connect(database)
    busy, logged, copied = reader.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and logged == copied
    assert oct(wal.stat().st_mode & 0o777) == "0o600"
    reader.close()
    journal.close()


def test_a_new_journal_has_pages_a_sealed_document_fits_in_and_an_older_one_keeps_its_own(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "new.sqlite")
    assert journal._db.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 16_384
    assert journal._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == AUTOCHECKPOINT_BYTES // PAGE_SIZE
    certificates = [(os.urandom(32), os.urandom(3900)) for _ in range(50)]
    journal.record_batch(agency="0xA", chain_id=1, registry="0xR", root=os.urandom(32), suite="default",
                         manifest_cid="", certificates=certificates)  # fmt: skip
    assert journal.certificates(1) == certificates
    journal.close()

    old = sqlite3.connect(tmp_path / "old.sqlite")
    old.execute("PRAGMA page_size=4096")
    old.execute("PRAGMA journal_mode=WAL")
    old.execute("CREATE TABLE kept (x)")
    old.close()
    reopened = Journal(tmp_path / "old.sqlite")
    assert reopened._db.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert reopened._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == AUTOCHECKPOINT_BYTES // 4096
    batch = reopened.record_batch(agency="0xA", chain_id=1, registry="0xR", root=os.urandom(32), suite="default",
                                  manifest_cid="", certificates=certificates)  # fmt: skip
    assert reopened.certificates(batch) == certificates
    reopened.close()


def test_a_sealed_document_opens_with_its_integers_beyond_64_bits_as_integers() -> None:
    sealer = DocumentSealer(b"\x07" * 32, "0xA")
    document = {"credentialSubject": {"n": 2**64, "m": -(2**70), "k": 2**63 - 1}, "id": "urn:x"}
    opened = sealer.open(b"\x01" * 32, sealer.seal(b"\x01" * 32, document))
    assert opened == document and type(opened["credentialSubject"]["n"]) is int


def test_switching_to_the_write_ahead_log_waits_for_a_lock_sqlite_refuses_at_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # another process in the middle of a write
    waiter = sqlite3.connect(path, timeout=0, isolation_level=None)  # SQLite answers "locked" at once
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_write_ahead_log(waiter, timeout=0.2)
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    use_write_ahead_log(waiter, timeout=10)
    release.join()
    assert waiter.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    waiter.close()
    holder.close()
