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
from typing import Any

import orjson

from ledger.certificates.hashing import salt_documents
from ledger.certificates.merkle import MerkleTree
from ledger.certificates.model import PROOF_TYPE
from ledger.issuance.journal import Journal

#: The `BitstringStatusListEntry` objects of new certificates (a list for each), asked before hashing.
StatusEntries = Callable[[Sequence[Mapping[str, Any]]], list[list[dict[str, Any]]]]


def copy_credential(credential: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a validated credential: orjson's round trip (several times faster than `deepcopy` or
    `json`'s), `json`'s where orjson refuses a value `json` writes (an integer beyond 64 bits)."""
    try:
        copied: dict[str, Any] = orjson.loads(orjson.dumps(credential))
    except orjson.JSONEncodeError:
        copied = json.loads(json.dumps(credential, ensure_ascii=False))
    return copied


def salt_credentials(
    credentials: Sequence[dict[str, Any]],
    suite: str,
    registry_status: dict[str, Any],
    status_list_entries: StatusEntries | None,
) -> list[tuple[bytes, dict[str, Any]]]:
    """Copies of `credentials` with their status entries, salted and hashed: `(digest, document)` each.

    A credential with no status, or just the registry's, is given the registry's and then the status list entries
    (when `status_list_entries` is given and returns any; asked once for all of them)."""
    docs = [copy_credential(c) for c in credentials]
    plain = [doc for doc in docs if doc.get("credentialStatus", registry_status) == registry_status]
    drawn = status_list_entries(plain) if status_list_entries is not None and plain else [[] for _ in plain]
    for doc, entries in zip(plain, drawn, strict=True):
        doc["credentialStatus"] = [dict(registry_status), *entries] if entries else dict(registry_status)
    prepared = []
    for doc, (salts, digest) in zip(docs, salt_documents(docs, suite), strict=True):
        doc["proof"] = {
            "type": PROOF_TYPE,
            "suite": suite,
            "digest": "0x" + digest.hex(),
            "salts": salts,
            "obfuscated": [],
        }
        prepared.append((digest, doc))
    return prepared


def wrap_batch(
    prepared: Sequence[tuple[bytes, dict[str, Any]]],
    *,
    chain_id: int,
    registry: str,
    signature: dict[str, Any] | None,
    tree: MerkleTree | None = None,
) -> tuple[bytes, list[dict[str, Any]]]:
    """The batch's Merkle root, and its documents with the root, their paths, the chain and registry (and the root's
    signature, when given) in their proofs."""
    digests = [d for d, _ in prepared]
    tree = tree if tree is not None else MerkleTree(digests)
    root_hex = "0x" + tree.root.hex()
    hexes: dict[bytes, str] = {}  # upper nodes are shared by many paths: each written once
    documents = []
    for (_, doc), path in zip(prepared, tree.proofs(digests), strict=True):
        proof = doc["proof"]
        proof["merkleRoot"] = root_hex
        proof["merklePath"] = [hexes.get(h) or hexes.setdefault(h, "0x" + h.hex()) for h in path]
        proof["chainId"] = chain_id
        proof["registry"] = registry
        if signature is not None:
            proof["signature"] = signature
        documents.append(doc)
    return tree.root, documents


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
