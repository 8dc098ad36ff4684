"""Issuance with the document store on a real Kubo node: every certificate encrypted under its own key and pinned,
the batch manifest stored and pinned before its root is anchored with its CID, and a batch whose store went down
waiting in the journal until the node is back, then anchored once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.client import HurongClient
from ledger.chain.codes import decode_manifest
from ledger.errors import StoreError
from ledger.issuance.issuer import Issuer
from ledger.issuance.journal import Journal
from ledger.store import IpfsStore, LocalStore, cid_digest, content_id, fetch_by_digest
from ledger.store.node import KuboNode
from ledger.store.sealed import encode_key, open_document
from tests.conftest import World
from tests.ledger.certificates.samples import LICENCES
from tests.ledger.issuance.test_issuance import credentials

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]


def _anchor_events(client: HurongClient, root: bytes) -> list[Any]:
    event = client.certificates.contract.events.BatchAnchored
    return list(event.get_logs(from_block=0, to_block=int(client.w3.eth.block_number), argument_filters={"root": root}))


def _without_anchor(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "proof": {k: v for k, v in doc["proof"].items() if k != "anchor"}}


def test_issued_certificates_are_encrypted_pinned_and_listed_in_the_anchored_manifest(
    world: World, ipfs: IpfsStore, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    issuer = Issuer(world.as_("sh_amr"), journal, max_batch=4, store=ipfs)
    wrapped = issuer.issue(credentials(world, 6))
    digests = [bytes.fromhex(w["proof"]["digest"][2:]) for w in wrapped]
    refs = issuer.document_refs(digests)
    assert set(refs) == set(digests) and len({r.key for r in refs.values()}) == 6
    licence = LICENCES["business_licence"]
    for doc, digest in zip(wrapped, digests, strict=True):
        sealed = ipfs.get(refs[digest].cid)
        assert licence["holderName"].encode() not in sealed and licence["holderId"].encode() not in sealed
        assert open_document(sealed, refs[digest].key) == _without_anchor(doc)
        assert ipfs.pinned(refs[digest].cid)
    records = journal.batches()
    assert [r.count for r in records] == [4, 2]
    for record in records:
        manifest = json.loads(ipfs.get(record.manifest_cid))
        batch_digests = journal.digests(record.id)
        assert manifest["root"] == "0x" + record.root.hex() and manifest["count"] == record.count
        assert manifest["digests"] == ["0x" + d.hex() for d in batch_digests]
        assert manifest["documents"] == [refs[d].cid for d in batch_digests]
        assert manifest["agency"] == world.addr("sh_amr") and manifest["suite"] == "default" and manifest["createdAt"]
        assert ipfs.pinned(record.manifest_cid)
        (event,) = _anchor_events(world.as_("sh_amr"), record.root)
        on_chain = event["args"]["manifest"]  # the CID's sha2-256 digest on chain
        assert decode_manifest(on_chain) == "0x" + cid_digest(record.manifest_cid).hex()
        found = fetch_by_digest(ipfs, on_chain)
        assert found is not None and found[0] == record.manifest_cid  # the reader rebuilds the same CID
        for key in (refs[d].key for d in batch_digests):  # the key is never beside the ciphertext
            assert key.encode() not in ipfs.get(record.manifest_cid)


class _NodeKilledAfterDocuments:
    """The real store, whose real node is killed (SIGKILL) right after a batch's documents went in, before its
    manifest: a crash mid-batch."""

    def __init__(self, store: IpfsStore, node: KuboNode) -> None:
        self.store, self.node = store, node

    def put_many(self, blobs: list[bytes]) -> list[str]:
        cids = self.store.put_many(blobs)
        self.node.kill()
        return cids

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_a_batch_whose_node_dies_mid_batch_waits_in_the_journal_and_is_anchored_once(
    world: World, ipfs: IpfsStore, kubo: KuboNode, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    agency = world.as_("sh_amr")
    issuer = Issuer(agency, journal, max_batch=10, store=_NodeKilledAfterDocuments(ipfs, kubo))  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="does not answer"):
        issuer.issue(credentials(world, 5))
    (record,) = journal.batches()
    assert record.state == "prepared" and record.manifest_cid == ""  # nothing anchored without its manifest
    assert _anchor_events(agency, record.root) == []
    with pytest.raises(StoreError, match="does not answer"):  # still down: the batch stays journaled
        issuer.reconcile()
    assert journal.batch(record.id).state == "prepared"
    kubo.up()
    restarted = Issuer(agency, journal, max_batch=10, store=IpfsStore(kubo.api_url))
    (settled,) = restarted.reconcile()
    assert settled.batch_id == record.id and len(settled.certificates) == 5
    final = journal.batch(record.id)
    assert final.state == "anchored" and final.manifest_cid
    assert len(_anchor_events(agency, record.root)) == 1
    manifest = json.loads(restarted.store.get(final.manifest_cid))  # type: ignore[union-attr]
    refs = restarted.document_refs(journal.digests(record.id))
    assert manifest["documents"] == [refs[d].cid for d in journal.digests(record.id)]
    assert restarted.reconcile() == [] and len(_anchor_events(agency, record.root)) == 1
    restarted.store.close()  # type: ignore[union-attr]


def _hurong(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "ledger.cli", *args], capture_output=True, text=True, env=full, timeout=180, check=False
    )


def test_fetch_decrypts_and_checks_a_holders_certificate(world: World, ipfs: IpfsStore, tmp_path: Path) -> None:
    issuer = Issuer(world.as_("sh_amr"), Journal(tmp_path / "journal.sqlite"), store=ipfs)
    (doc,) = issuer.issue(credentials(world, 1))
    digest = bytes.fromhex(doc["proof"]["digest"][2:])
    ref = issuer.document_refs([digest])[digest]
    out = tmp_path / "mine.json"
    fetched = _hurong("fetch", ref.link("http://127.0.0.1:1"), "--store", f"ipfs:{ipfs.url}", "--out", str(out))
    assert fetched.returncode == 0, fetched.stderr
    assert json.loads(out.read_text()) == _without_anchor(doc)
    printed = _hurong("fetch", ref.cid, "--key", ref.key, env={"HURONG_STORE": f"ipfs:{ipfs.url}"})
    assert printed.returncode == 0 and json.loads(printed.stdout) == _without_anchor(doc)
    other = encode_key(os.urandom(32))
    wrong = _hurong("fetch", ref.cid, "--key", other, "--store", f"ipfs:{ipfs.url}")
    assert wrong.returncode == 1 and "key is wrong or the ciphertext was changed" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    # A copy of the ciphertext in a folder store, changed on disk: refused before decryption is tried.
    folder = LocalStore(tmp_path / "copy")
    assert folder.put(ipfs.get(ref.cid)) == ref.cid
    path = next((tmp_path / "copy").rglob(ref.cid))
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    tampered = _hurong("fetch", ref.cid, "--key", ref.key, "--store", str(tmp_path / "copy"))
    assert tampered.returncode == 1 and "corrupted" in tampered.stderr
    assert content_id(bytes(data)) != ref.cid
