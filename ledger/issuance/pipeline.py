"""The per-certificate work of issuance, batch by batch, with the journal written beside it.

`salt_credentials` copies credentials and salts and hashes them; `wrap_batch` puts a batch's Merkle root and paths
in their proofs; `JournalWriter` records prepared batches in the journal from one background thread, in order, while
the issuer prepares the next batch (SQLite inserts and the commit's fsync run without the GIL). Every batch of a call
is journaled before any is sent, as before: the writer only overlaps the journal with the hashing of later batches.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson

from ledger.certificates.hashing import salt_documents
from ledger.certificates.merkle import MerkleTree
from ledger.certificates.model import PROOF_TYPE
from ledger.certificates.native import native as _native
from ledger.issuance.journal import Journal

#: The `BitstringStatusListEntry` objects of new certificates (a list for each), asked before hashing.
StatusEntries = Callable[[Sequence[Mapping[str, Any]]], list[list[dict[str, Any]]]]


_copy_json: Callable[[Any], Any] | None = getattr(_native, "copy_json", None)


def copy_credential(credential: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a validated credential: new dicts and lists sharing the immutable values (natively, ~2× faster
    than the reference), else orjson's round trip (several times faster than `deepcopy` or `json`'s), `json`'s where
    orjson refuses a value `json` writes (an integer beyond 64 bits). All three give equal values of the same types."""
    if _copy_json is not None and (shared := _copy_json(credential)) is not None:
        return shared  # type: ignore[no-any-return]
    return _reference_copy(credential)


def _reference_copy(credential: dict[str, Any]) -> dict[str, Any]:
    """`copy_credential`'s reference: a JSON round trip."""
    try:
        copied: dict[str, Any] = orjson.loads(orjson.dumps(credential))
    except orjson.JSONEncodeError:
        copied = json.loads(json.dumps(credential, ensure_ascii=False))
    return copied


@dataclass
class Salted:
    """Copies of credentials with their status entries, and the salts and digest of each (`salt_documents`)."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    salted: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def extend(self, other: Salted) -> None:
        self.documents.extend(other.documents)
        self.salted.extend(other.salted)


def salt_credentials(
    credentials: Sequence[dict[str, Any]],
    suite: str,
    registry_status: dict[str, Any],
    status_list_entries: StatusEntries | None,
) -> Salted:
    """Copies of `credentials` with their status entries, salted and hashed.

    A credential with no status, or just the registry's, is given the registry's and then the status list entries
    (when `status_list_entries` is given and returns any; asked once for all of them)."""
    docs = [copy_credential(c) for c in credentials]
    plain = [doc for doc in docs if doc.get("credentialStatus", registry_status) == registry_status]
    drawn = status_list_entries(plain) if status_list_entries is not None and plain else [[] for _ in plain]
    for doc, entries in zip(plain, drawn, strict=True):
        doc["credentialStatus"] = [dict(registry_status), *entries] if entries else dict(registry_status)
    return Salted(docs, salt_documents(docs, suite))


def wrap_batch(
    batch: Salted,
    *,
    suite: str,
    chain_id: int,
    registry: str,
    sign: Callable[[bytes], dict[str, Any] | None],
) -> tuple[bytes, list[bytes]]:
    """Build the batch's Merkle tree, sign its root (`sign` returns the signature, or None), and give each document
    its proof: suite, digest, salts, the root and its path, the chain and registry (and the signature). Returns the
    root and the digests, in order."""
    digests = [digest for _, digest in batch.salted]
    if _native is None:
        return _py_wrap_batch(batch, digests, suite=suite, chain_id=chain_id, registry=registry, sign=sign)
    tree = _native.MerkleTree(digests)
    signature = sign(tree.root)
    _native.complete_proofs(batch.documents, batch.salted, tree, PROOF_TYPE, suite, chain_id, registry, signature)
    return tree.root, digests


def _py_wrap_batch(
    batch: Salted,
    digests: list[bytes],
    *,
    suite: str,
    chain_id: int,
    registry: str,
    sign: Callable[[bytes], dict[str, Any] | None],
) -> tuple[bytes, list[bytes]]:
    """`wrap_batch`'s reference."""
    tree = MerkleTree(digests)
    signature = sign(tree.root)
    root_hex = "0x" + tree.root.hex()
    hexes: dict[bytes, str] = {}  # upper nodes are shared by many paths: each written once
    for doc, (salts, digest), path in zip(batch.documents, batch.salted, tree.proofs(digests), strict=True):
        path_hex = [hexes.get(h) or hexes.setdefault(h, "0x" + h.hex()) for h in path]
        doc["proof"] = proof_object(suite, salts, digest, root_hex, path_hex, chain_id=chain_id, registry=registry)
        if signature is not None:
            doc["proof"]["signature"] = signature
    return tree.root, digests


def proof_object(
    suite: str,
    salts: dict[str, str],
    digest: bytes,
    root_hex: str,
    path_hex: list[str],
    *,
    chain_id: int,
    registry: str,
) -> dict[str, Any]:
    """A certificate's proof (without a signature): what `wrap_batch` gives each document of a batch."""
    return {"type": PROOF_TYPE, "suite": suite, "digest": "0x" + digest.hex(), "salts": salts, "obfuscated": [],
            "merkleRoot": root_hex, "merklePath": path_hex, "chainId": chain_id, "registry": registry}  # fmt: skip


class JournalWriter:
    """Records batches in the journal in the order they are given, from one background thread.

    Once a batch fails to be recorded, later ones are not attempted. `finish` waits for every batch and returns the
    ids of those recorded, in order, and the first failure, if any."""

    def __init__(self, journal: Journal, *, background: bool = True) -> None:
        self.journal = journal
        self.background = background
        self._pool: ThreadPoolExecutor | None = None
        self._futures: list[Future[int | None]] = []
        self._failed = threading.Event()

    def record(self, **batch: Any) -> None:
        """Journal a batch (`Journal.record_batch`'s arguments) once the batches given before it are (at once,
        without `background`)."""
        if not self.background:
            future: Future[int | None] = Future()
            try:
                future.set_result(self._record(batch))
            except BaseException as exc:  # noqa: BLE001 (handed over by `finish`)
                future.set_exception(exc)
            self._futures.append(future)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hurong-journal")
        self._futures.append(self._pool.submit(self._record, batch))

    @property
    def failed(self) -> bool:
        """Whether a batch given so far failed to be recorded (later ones are not recorded)."""
        return self._failed.is_set()

    def _record(self, batch: dict[str, Any]) -> int | None:
        if self._failed.is_set():
            return None  # an earlier batch of the call failed: this one is not recorded
        try:
            return self.journal.record_batch(**batch)
        except BaseException:
            self._failed.set()
            raise

    def finish(self) -> tuple[list[int], BaseException | None]:
        ids: list[int] = []
        error: BaseException | None = None
        for future in self._futures:
            try:
                batch_id = future.result()
            except BaseException as exc:  # noqa: BLE001 (handed to the caller, who raises it)
                error = error or exc
                continue
            if batch_id is not None:
                ids.append(batch_id)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._futures = []
        return ids, error
