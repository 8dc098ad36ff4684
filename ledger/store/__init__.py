"""The off-chain store: content-addressed blobs (encrypted certificate documents, batch manifests) by CIDv1.

Two backends give the same CID for the same bytes (`ledger.store.cid.content_id`): `LocalStore`, a directory
(the embedded default), and `IpfsStore`, a Kubo node through its RPC API (`ledger.store.node.KuboNode` runs a
private one). `open_store` picks one from a specification such as `HURONG_STORE` holds:
`ipfs:http://127.0.0.1:5001` or a folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from ledger.errors import LedgerValueError
from ledger.errors import StoreError as StoreError
from ledger.store.cid import cid_digest, cid_v1_raw, content_id, digest_cids, parse_cid
from ledger.store.ipfs import CidMismatch, IpfsStore, StoreUnavailable
from ledger.store.local import LocalStore


class Store(Protocol):
    """A content-addressed blob store: `put` answers the CID of the bytes (kept and pinned), `get` the bytes of a
    CID (checked against it), `StoreError` when the store cannot."""

    def put(self, data: bytes) -> str: ...

    def put_many(self, blobs: Sequence[bytes]) -> list[str]: ...

    def get(self, cid: str) -> bytes: ...

    def has(self, cid: str) -> bool: ...

    def pin(self, cid: str) -> None: ...

    def pinned(self, cid: str) -> bool: ...


#: What the issuer needs of a store (kept for the name the issuance modules used).
BlobStore = Store


def fetch_by_digest(store: Store, digest: bytes) -> tuple[str, bytes] | None:
    """The CID and the bytes of the blob `store` holds whose root block has the SHA-256 `digest` (a batch manifest
    as anchored: a `raw` block if it fits in one, a `dag-pb` UnixFS root if it is larger), or None if it holds
    neither; `StoreUnavailable` when the store cannot answer.

    A node keys its blocks by multihash, so both candidates may look present: the `dag-pb` one is tried first and
    believed only if the blob it gives has that CID (`get` checks it; a `raw` block's bytes are no UnixFS node),
    then the `raw` one."""
    raw, dag_pb = digest_cids(digest)
    for cid in (dag_pb, raw):
        try:
            if store.has(cid):
                return cid, store.get(cid)
        except StoreUnavailable:
            raise
        except StoreError:
            continue
    return None


def open_store(spec: str | Path) -> Store:
    """The store a specification names: `ipfs:<RPC API URL>` for a Kubo node, otherwise a folder."""
    text = str(spec).strip()
    if not text:
        raise LedgerValueError("an empty store specification")
    if text.startswith("ipfs:"):
        url = text[len("ipfs:") :]
        if not url.startswith(("http://", "https://")):
            raise LedgerValueError(f"an IPFS store is named ipfs:http://HOST:PORT, not {text!r}")
        return IpfsStore(url)
    return LocalStore(Path(text))


__all__ = [
    "BlobStore",
    "CidMismatch",
    "IpfsStore",
    "LocalStore",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "cid_digest",
    "cid_v1_raw",
    "content_id",
    "digest_cids",
    "fetch_by_digest",
    "open_store",
    "parse_cid",
]
