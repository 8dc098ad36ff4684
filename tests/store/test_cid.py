"""The local directory store and a real Kubo node give the same CID for the same bytes, one chunk or many."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from ledger.errors import LedgerValueError, StoreError
from ledger.store import (
    CidMismatch,
    IpfsStore,
    LocalStore,
    cid_digest,
    content_id,
    digest_cids,
    fetch_by_digest,
    open_store,
    parse_cid,
)
from ledger.store.cid import CHUNK_SIZE, MAX_LINKS, check_cid


def _bytes(n: int, seed: int = 0) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:n])


@pytest.mark.parametrize(
    "size",
    [0, 1, 2048, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 5, MAX_LINKS * CHUNK_SIZE + 1],
    ids=["empty", "1B", "2KiB", "chunk-1", "chunk", "chunk+1", "3chunks+5", "175chunks-two-levels"],
)
def test_the_directory_store_and_kubo_give_the_same_cid(ipfs: IpfsStore, tmp_path: Path, size: int) -> None:
    data = _bytes(size, size)
    local = LocalStore(tmp_path / "store")
    cid = local.put(data)
    assert ipfs.put(data) == cid  # the node's own answer, compared inside put as well
    assert cid.startswith("bafkrei" if size <= CHUNK_SIZE else "bafybei")
    assert ipfs.get(cid) == data and local.get(cid) == data
    assert ipfs.pinned(cid) and local.pinned(cid)


def test_many_blobs_put_at_once_get_the_cids_of_one_at_a_time(ipfs: IpfsStore, tmp_path: Path) -> None:
    blobs = [_bytes(n, n) for n in (0, 10, 2048, CHUNK_SIZE + 7, 10, 99)]  # a repeat among them
    expected = [content_id(b) for b in blobs]
    assert ipfs.put_many(blobs, chunk=4) == expected
    assert LocalStore(tmp_path).put_many(blobs) == expected
    assert all(ipfs.pinned(cid) for cid in expected)


def test_a_node_answering_another_cid_is_refused(ipfs: IpfsStore, kubo: object) -> None:
    api = f"{ipfs.url}/api/v0/config"
    # The node's own chunker setting, which add uses when the request names none: IpfsStore names none, so a
    # node chunking otherwise answers another CID for a blob above its chunk size.
    httpx.post(api, params={"arg": ["Import.UnixFSChunker", "size-1024"]}).raise_for_status()
    try:
        data = _bytes(5000, 7)
        with pytest.raises(CidMismatch) as caught:
            ipfs.put(data)
        assert caught.value.expected == content_id(data) and caught.value.answered != content_id(data)
        assert "CID mismatch" in str(caught.value)
    finally:
        httpx.post(api, params={"arg": ["Import.UnixFSChunker", "size-262144"]}).raise_for_status()
    assert ipfs.put(data) == content_id(data)


def test_one_block_cids_match_the_multiformats_reference() -> None:
    from multiformats import CID, multihash

    for data in (b"", b"x", _bytes(CHUNK_SIZE, 3)):
        reference = CID("base32", 1, "raw", multihash.digest(data, "sha2-256"))
        assert content_id(data) == str(reference) == parse_cid(str(reference))
    with pytest.raises(LedgerValueError):
        check_cid(str(CID("base32", 1, "dag-cbor", multihash.digest(b"x", "sha2-256"))))


def test_corrupted_blob_in_the_directory_store_is_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    cid = store.put(b"manifest")
    path = next(p for p in tmp_path.rglob(cid))
    path.write_bytes(b"manifesT")
    with pytest.raises(StoreError, match="corrupted"):
        store.get(cid)
    with pytest.raises(StoreError, match="no blob"):
        store.get(content_id(b"absent"))


def test_unknown_cid_on_the_node_is_missing_not_searched_for(ipfs: IpfsStore) -> None:
    cid = content_id(b"never added " + _bytes(16, 99))
    assert not ipfs.has(cid) and not ipfs.pinned(cid)
    with pytest.raises(StoreError, match="no blob"):
        ipfs.get(cid)


@pytest.mark.parametrize(
    "text",
    ["", "Qm" + "a" * 44, "bafkrei" + "A" * 52, "zb2rh" + "a" * 44, json.dumps({"a": 1})],
)
def test_malformed_cids_are_refused(text: str) -> None:
    with pytest.raises(LedgerValueError):
        parse_cid(text)


def test_a_store_is_chosen_by_its_specification(tmp_path: Path, ipfs: IpfsStore) -> None:
    assert isinstance(open_store(tmp_path / "s"), LocalStore)
    chosen = open_store(f"ipfs:{ipfs.url}")
    assert isinstance(chosen, IpfsStore) and chosen.url == ipfs.url
    chosen.close()
    with pytest.raises(LedgerValueError):
        open_store("ipfs:127.0.0.1:5001")


@pytest.mark.parametrize("size", [1_000, CHUNK_SIZE + 1])
def test_a_manifest_anchored_by_its_digest_is_found_under_the_cid_it_was_stored_as(
    ipfs: IpfsStore, tmp_path: Path, size: int
) -> None:
    blob = json.dumps({"digests": ["0x" + "ab" * 32] * (size // 70 + 1)}).encode()[:size]
    cid = content_id(blob)
    digest = cid_digest(cid)  # what `anchor` takes and `BatchAnchored` carries
    raw, dag_pb = digest_cids(digest)
    assert cid == (raw if size <= CHUNK_SIZE else dag_pb)
    for store in (LocalStore(tmp_path), ipfs):
        assert fetch_by_digest(store, digest) is None  # not stored yet: the reader tries again later
        assert store.put(blob) == cid
        assert fetch_by_digest(store, digest) == (cid, blob)


def test_a_digest_of_another_length_has_no_cid() -> None:
    with pytest.raises(LedgerValueError, match="32 bytes"):
        digest_cids(hashlib.sha256(b"x").digest()[:20])
