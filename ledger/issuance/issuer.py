"""The issuance pipeline: validate, salt, hash, batch, journal, anchor, and hand back wrapped certificates.

    issuer = Issuer(agency_client, Journal(".hurong/journal.sqlite"))
    wrapped = issuer.issue(credentials)

Every batch is written to the journal before its anchoring transaction is sent. `reconcile()` (run at every
start) settles batches left behind by a crash of the process or of the chain: a root already anchored by the
agency is marked as such (its transaction is found from the `BatchAnchored` event), a transaction still
pending is awaited, and anything else is sent again. `recheck()` (run at every start and whenever the chain's
history changed under the journal: a node restarted without its latest blocks, a reorg) re-reads anchored
batches from the chain and sends again those the chain lost. The registry refuses a root the agency already
anchored, so nothing is ever anchored twice.

A batch counts as anchored once its transaction is `confirmations` blocks deep and its block is still on the
canonical chain. Journaled documents are sealed with a key derived from the agency's own private key
(`DocumentSealer`), so the journal holds no personal data in plaintext.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hexbytes import HexBytes

from ledger.certificates.clearing import cleared_by
from ledger.certificates.collection import collection_paused
from ledger.certificates.credential import LicenceData, build_credential
from ledger.certificates.did import agency_did
from ledger.certificates.hashing import hash_function
from ledger.certificates.model import PROOF_TYPE as PROOF_TYPE
from ledger.certificates.model import STATUS_TYPE
from ledger.chain.client import HurongClient
from ledger.chain.models import Agency
from ledger.chain.transactions import Canonical, PendingTransaction, Receipt
from ledger.errors import AnchoringFailed as AnchoringFailed
from ledger.errors import ChainError, ContractRevertError, LedgerValueError, SigningKeyError
from ledger.errors import IssuanceError as IssuanceError
from ledger.issuance.failpoints import failpoint
from ledger.issuance.journal import BatchRecord, DuplicateLicence, Journal
from ledger.issuance.pipeline import JournalWriter, Salted, StatusEntries, salt_credentials, wrap_batch
from ledger.issuance.sealing import DocumentSealer as DocumentSealer
from ledger.store import Store
from ledger.store.sealed import DocumentRef, seal_document

DEFAULT_MAX_BATCH = 10_000
# Credentials salted and hashed per call (progress is reported after each).
_HASH_CHUNK = 1000
#: Far below the 16,777,216 gas cap: anchoring costs ~65,000 gas whatever the batch size, and a batch's
#: size is bounded so that its journal transaction and proofs stay small.
MAX_BATCH_LIMIT = 100_000

Progress = Callable[[str, int, int], None]


@dataclass
class _Batch:
    id: int
    root: bytes
    documents: list[dict[str, Any]]
    pending: PendingTransaction | None = None


@dataclass(frozen=True)
class IssuedBatch:
    batch_id: int
    root: bytes
    tx_hash: str | None
    block_number: int | None
    certificates: list[dict[str, Any]] = field(repr=False)


class Issuer:
    """Issues certificates for the agency account of `client`."""

    def __init__(
        self,
        client: HurongClient,
        journal: Journal,
        *,
        suite: str = "default",
        signer: Callable[[bytes], dict[str, Any]] | None = None,
        store: Store | None = None,
        max_batch: int = DEFAULT_MAX_BATCH,
        validate: Callable[[dict[str, Any]], None] | None = None,
        confirmations: int = 1,
        confirmation_timeout: float = 120.0,
    ) -> None:
        if client.address is None or client.transactor is None:
            raise LedgerValueError("the issuer needs a client with the agency's private key")
        if not 1 <= max_batch <= MAX_BATCH_LIMIT:
            raise LedgerValueError(f"max_batch must be between 1 and {MAX_BATCH_LIMIT}")
        hash_function(suite)
        self.client = client
        self.journal = journal
        self.suite = suite
        self.signer = signer
        self.store = store
        self.max_batch = max_batch
        self.confirmations = confirmations
        self.chain = Canonical(client.w3, confirmations)
        self.confirmation_timeout = confirmation_timeout
        self.agency: str = client.address
        self.sealer = DocumentSealer(bytes(client.transactor.account.key), client.address)
        #: Height and hash up to which every anchored batch of the journal was found on the chain.
        self._checked: tuple[int, str] | None = None
        #: Issuing, reconciling and re-checking take turns, so that no batch is sent by two of them at once.
        self._lock = threading.RLock()
        self.chain_id = client.deployment.chain_id
        self.registry = client.certificates.address
        self.did = agency_did(self.chain_id, self.agency)
        #: The `BitstringStatusListEntry` objects of new certificates, asked before hashing (covered by the digest).
        self.status_list_entries: StatusEntries | None = None
        if validate is None:
            from ledger.certificates import validate_credential

            validate = validate_credential
        self._validate = validate
        self._agency_info: Agency | None = None
        self._licences_keyed = False

    # ------------------------------------------------------------------ preparation

    @property
    def agency_record(self) -> Agency:
        """The issuing agency's registry record (name, province, granted types), read once from the chain."""
        if self._agency_info is None:
            self._agency_info = self.client.authorities.agency(self.agency)
        return self._agency_info

    def credential(
        self, record: LicenceData | Mapping[str, Any], *, credential_id: str | None = None
    ) -> dict[str, Any]:
        """The unsigned credential this agency issues for a licence record: issued by the issuer's DID on its chain,
        named after the agency as the registry records it, with the status entry of its certificate registry.

        A record that is already an unsigned credential (it has an `@context`) is returned as it is.
        Raises `CertificateValidationError` naming every field refused."""
        if isinstance(record, Mapping) and "@context" in record:
            return record if isinstance(record, dict) else dict(record)
        return build_credential(
            record,
            issuer_address=self.agency,
            chain_id=self.chain_id,
            issuer_name=self.agency_record.name,
            registry=self.registry,
            credential_id=credential_id,
        )

    def check(self, credentials: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Validate unsigned credentials for this agency; returns the problems (empty when all are fine)."""
        from ledger.certificates import CertificateValidationError

        agency = self.agency_record
        granted = set(agency.certificate_types)
        problems: list[dict[str, Any]] = []
        valid = cleared_by(self._validate, credentials)  # what the native core cleared needs no second look
        for index, credential in enumerate(credentials):
            if not isinstance(credential, dict):
                problems.append(_problem(index, "", "not_an_object", "a credential must be a JSON object"))
                continue
            if "proof" in credential:
                problems.append(_problem(index, "/proof", "already_wrapped", "the credential already has a proof"))
                continue
            issuer = credential.get("issuer")
            issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
            if issuer_id != self.did:
                problems.append(
                    _problem(index, "/issuer/id", "issuer_mismatch", f"issuer must be {self.did}, got {issuer_id!r}")
                )
                continue
            try:
                if not valid[index]:
                    self._validate(credential)
            except CertificateValidationError as exc:
                problems.extend({"index": index, **p.as_dict()} for p in exc.problems)
                continue
            except LedgerValueError as exc:
                problems.append(_problem(index, "", "invalid_credential", str(exc)))
                continue
            subject = credential["credentialSubject"]
            if str(subject.get("issuingProvince")) != str(agency.province):
                message = f"the agency belongs to province {agency.province}"
                problems.append(_problem(index, "/credentialSubject/issuingProvince", "province_mismatch", message))
            if subject.get("certificateType") not in granted:
                problems.append(
                    _problem(
                        index,
                        "/credentialSubject/certificateType",
                        "type_not_granted",
                        f"the agency is not granted {subject.get('certificateType')!r}",
                    )
                )
        return problems

    def _status_entry(self) -> dict[str, Any]:
        return {
            "id": f"eip155:{self.chain_id}:{self.registry}",
            "type": STATUS_TYPE,
            "chainId": self.chain_id,
            "registry": self.registry,
        }

    # ------------------------------------------------------------------ issuing

    def issue(
        self,
        credentials: Iterable[dict[str, Any]],
        *,
        progress: Progress | None = None,
        request_refs: Sequence[str | None] | None = None,
        replaceable: Collection[bytes] | None = None,
        signer: Callable[[bytes], dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Validate, hash, journal and anchor `credentials`; return them wrapped, in the same order.

        `request_refs` (one per credential) are journaled beside them, so a retried request finds what its first
        attempt issued (`for_request`). With `replaceable`, each licence (type and number) may be held by one
        certificate only: `DuplicateLicence` (nothing issued) names the credentials whose licence a journaled
        certificate outside `replaceable`, or an earlier credential of the call, holds. Raises `IssuanceError`
        (nothing issued) when any credential is refused, `AnchoringFailed` when a batch's transaction is refused
        (its certificates stay in the journal as failed). `signer` signs this call's roots instead of the issuer's
        own; a key that cannot sign for the agency now is refused (`SigningKeyError`) before anything is sent."""
        with self._lock, collection_paused():
            return self._issue(
                credentials, progress=progress, request_refs=request_refs, replaceable=replaceable, signer=signer
            )

    def _issue(
        self,
        credentials: Iterable[dict[str, Any]],
        *,
        progress: Progress | None = None,
        request_refs: Sequence[str | None] | None = None,
        replaceable: Collection[bytes] | None = None,
        signer: Callable[[bytes], dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        items = list(credentials)
        if not items:
            return []
        refs: list[str | None] = list(request_refs) if request_refs is not None else [None] * len(items)
        if len(refs) != len(items):
            raise LedgerValueError("one request reference per credential")
        problems = self.check(items)
        if problems:
            raise IssuanceError(problems)
        if replaceable is not None:
            self.key_licences()
        batches = self._journal_batches(items, refs, progress, replaceable, signer)
        failpoint("after_journal")
        for batch in batches:
            self._send(batch)
        failpoint("after_send")
        out: list[dict[str, Any]] = []
        done = 0
        for batch in batches:
            out.extend(self._settle(batch))
            done += len(batch.documents)
            if progress:
                progress("anchored", done, len(items))
        self.journal.checkpoint_later()
        return out

    def _journal_batches(
        self,
        items: Sequence[dict[str, Any]],
        refs: Sequence[str | None],
        progress: Progress | None,
        replaceable: Collection[bytes] | None,
        signer: Callable[[bytes], dict[str, Any]] | None,
    ) -> list[_Batch]:
        """Salt, hash and wrap the credentials batch by batch, each batch journaled (by `JournalWriter`, beside the
        hashing of the next) before this returns. A batch refused (its signing key, a licence already held) or failing
        to be hashed or journaled marks those journaled before it failed: nothing of the call is sent."""
        writer = JournalWriter(self.journal, background=len(items) > self.max_batch)
        wrapped: list[tuple[bytes, list[dict[str, Any]]]] = []
        error: BaseException | None = None
        try:
            for start in range(0, len(items), self.max_batch):
                if writer.failed:
                    break
                digests, root, documents = self._prepare(items, start, progress, signer)
                writer.record(
                    agency=self.agency,
                    chain_id=self.chain_id,
                    registry=self.registry,
                    root=root,
                    suite=self.suite,
                    manifest_cid="",
                    certificates=list(zip(digests, self.sealer.seal_many(digests, documents), strict=True)),
                    request_refs=refs[start : start + self.max_batch],
                    licences=self.sealer.licence_keys(documents),
                    replaceable=replaceable,
                )
                wrapped.append((root, documents))
        except BaseException as exc:  # noqa: BLE001 (raised below, once the batches given to the writer are journaled)
            error = exc
        ids, failure = writer.finish()
        error = failure or error  # the writer's failure is of an earlier batch than one the hashing raised
        if error is not None:
            self._abandon(ids, error)
            raise error
        return [_Batch(batch_id, root, documents) for batch_id, (root, documents) in zip(ids, wrapped, strict=True)]

    def _abandon(self, journaled: Sequence[int], error: BaseException) -> None:
        """Mark the batches journaled by a call that failed failed: never sent, so none is issued, now or by
        `reconcile`. A `DuplicateLicence` is raised again with the positions of its conflicts in the call."""
        if isinstance(error, SigningKeyError):
            reason = "refused: the signing key cannot sign for the agency"
        elif isinstance(error, DuplicateLicence):
            reason = "refused: a licence of the request is already held"
        else:
            reason = f"abandoned: a later batch of the call failed ({type(error).__name__}: {error})"
        for batch_id in journaled:
            self.journal.mark_failed(batch_id, reason)
        if isinstance(error, DuplicateLicence):
            offset = len(journaled) * self.max_batch  # the batches before the refused one were all journaled
            raise DuplicateLicence([(offset + position, holder) for position, holder in error.conflicts]) from None

    def _prepare(
        self,
        items: Sequence[dict[str, Any]],
        start: int,
        progress: Progress | None,
        signer: Callable[[bytes], dict[str, Any]] | None,
    ) -> tuple[list[bytes], bytes, list[dict[str, Any]]]:
        """The batch of `items` from `start`: its digests, root and documents with their proofs, the root signed by
        `signer` (or the issuer's own), whose key must be able to sign for the agency now (`SigningKeyError`)."""
        batch = items[start : start + self.max_batch]
        salted = Salted()
        for i in range(0, len(batch), _HASH_CHUNK):
            chunk = batch[i : i + _HASH_CHUNK]
            salted.extend(salt_credentials(chunk, self.suite, self._status_entry(), self.status_list_entries))
            if progress:
                progress("hashed", start + len(salted.documents), len(items))
        signer = signer or self.signer

        def sign(root: bytes) -> dict[str, Any] | None:
            signature = signer(root) if signer else None
            if signature is not None:  # an unregistered, revoked, foreign or mismatched key would fail every check
                from ledger.keys.signing import check_signing_key, parse_root_signature

                parsed = parse_root_signature(signature)
                check_signing_key(self.client, self.agency, parsed.key_id, parsed.algorithm)
            return signature

        root, digests = wrap_batch(salted, suite=self.suite, chain_id=self.chain_id, registry=self.registry, sign=sign)
        return digests, root, salted.documents

    def _store_batch(self, batch: _Batch, record: BatchRecord) -> BatchRecord:
        """Encrypt each certificate under a fresh key and put it in the store (pinned), then the batch manifest
        (root, digests, document CIDs, agency, suite, time), and journal the CIDs and the sealed keys: the batch is
        anchored with its manifest's CID or not at all. `StoreError` (the store is down) leaves the batch
        prepared in the journal, where `reconcile` finds it and tries again."""
        if self.store is None or record.manifest_cid:
            return record
        digests = [bytes.fromhex(doc["proof"]["digest"][2:]) for doc in batch.documents]
        sealed = [seal_document(doc, digest) for digest, doc in zip(digests, batch.documents, strict=True)]
        cids = self.store.put_many([blob for blob, _ in sealed])
        keys = self.sealer.seal_many(digests, [{"cid": c, "key": k} for c, (_, k) in zip(cids, sealed, strict=True)])
        stored = list(zip(digests, cids, keys, strict=True))
        failpoint("after_documents_stored")
        manifest = {
            "version": 2,
            "agency": self.agency,
            "chainId": self.chain_id,
            "registry": self.registry,
            "suite": self.suite,
            "root": "0x" + record.root.hex(),
            "count": len(digests),
            "digests": ["0x" + d.hex() for d in digests],
            "documents": [cid for _, cid, _ in stored],
            "createdAt": datetime.fromtimestamp(record.created_at, UTC).isoformat(timespec="seconds"),
        }
        manifest_cid = self.store.put(json.dumps(manifest, separators=(",", ":")).encode())
        self.journal.record_stored(batch.id, manifest_cid, stored)
        return self.journal.batch(batch.id)

    def _send(self, batch: _Batch) -> None:
        record = self._store_batch(batch, self.journal.batch(batch.id))
        try:
            batch.pending = self.client.certificates.anchor(batch.root, record.count, record.manifest_cid)
        except ContractRevertError as exc:
            if exc.error_name == "CertificateRegistryAlreadyAnchored":
                return  # settled from the chain below
            self.journal.mark_failed(batch.id, str(exc))
            raise AnchoringFailed(batch.id, exc) from exc
        self.journal.mark_sent(batch.id, batch.pending.tx_hash)

    def _settle(self, batch: _Batch) -> list[dict[str, Any]]:
        """Wait until the batch's root is anchored `confirmations` deep on the canonical chain (sending it again
        if the chain lost it meanwhile), journal it as anchored, and return its wrapped documents."""
        deadline = time.monotonic() + self.confirmation_timeout
        while True:
            tx_hash, block, block_hash = self._anchor_of(batch)
            if block is not None and self.chain.confirmed(block, block_hash, deadline):
                break
            if time.monotonic() > deadline:
                raise AnchoringFailed(batch.id, ChainError("the anchor did not reach the confirmation depth"))
            batch.pending = None
            if self.client.certificates.is_anchored(self.agency, batch.root):
                time.sleep(0.05)  # anchored in another block than the receipt named (a reorg): find it again
                continue
            self._send(batch)
        self.journal.mark_anchored(batch.id, tx_hash, block, block_hash)
        if tx_hash is not None:  # the batch's documents are this call's own copies: anchored in place
            for doc in batch.documents:
                doc["proof"]["anchor"] = {"transactionHash": tx_hash, "blockNumber": block}
        return batch.documents

    def _anchor_of(self, batch: _Batch) -> tuple[str | None, int | None, str | None]:
        """Transaction, block number and block hash that anchored the batch (its own receipt, or the event)."""
        try:
            if batch.pending is None:
                raise _AlreadyAnchored
            receipt: Receipt = batch.pending.wait()
            return receipt.tx_hash, receipt.block_number, receipt.block_hash
        except (_AlreadyAnchored, ContractRevertError) as exc:
            if isinstance(exc, ContractRevertError) and exc.error_name != "CertificateRegistryAlreadyAnchored":
                self.journal.mark_failed(batch.id, str(exc))
                raise AnchoringFailed(batch.id, exc) from exc
            tx_hash, block = self._find_anchor(batch.root)
            return tx_hash, block, self.chain.block_hash(block) if block is not None else None

    # ------------------------------------------------------------------ recovery

    def _find_anchor(self, root: bytes) -> tuple[str | None, int | None]:
        """Transaction and block of this agency's `BatchAnchored` event for `root`, if on chain."""
        event = self.client.certificates.contract.events.BatchAnchored
        start = self.client.deployment.block_number
        head = int(self.client.w3.eth.block_number)
        step = 10_000
        for from_block in range(start, head + 1, step):
            logs = event.get_logs(
                from_block=from_block,
                to_block=min(head, from_block + step - 1),
                argument_filters={"root": root, "agency": self.agency},
            )
            for log in logs:
                return HexBytes(log["transactionHash"]).to_0x_hex(), int(log["blockNumber"])
        return None, None

    def reconcile(self, *, timeout: float = 120.0, min_age: float = 0.0) -> list[IssuedBatch]:
        """Settle every batch of this agency left prepared or sent; return them with their certificates.

        `min_age` (seconds) leaves alone batches journaled more recently, which another process issuing for the
        same agency may still be sending."""
        with self._lock:
            return self._reconcile(timeout, min_age)

    def _reconcile(self, timeout: float, min_age: float = 0.0) -> list[IssuedBatch]:
        settled: list[IssuedBatch] = []
        cutoff = time.time() - min_age
        for record in self.journal.pending(self.agency):
            if record.chain_id != self.chain_id or record.registry != self.registry:
                continue
            if min_age and record.created_at > cutoff:
                continue
            settled.append(self._reconcile_one(record, timeout))
        return settled

    def _reconcile_one(self, record: BatchRecord, timeout: float) -> IssuedBatch:
        documents = [self.sealer.open(d, sealed) for d, sealed in self.journal.certificates(record.id)]
        batch = _Batch(record.id, record.root, documents)
        if not self.client.certificates.is_anchored(self.agency, record.root):
            if record.tx_hash and self.chain.known(record.tx_hash):
                batch.pending = PendingTransaction(self.client.transactor, record.tx_hash, {})  # type: ignore[arg-type]
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline and not self.client.certificates.is_anchored(
                    self.agency, record.root
                ):
                    if self.chain.receipt(record.tx_hash) is not None:
                        break
                    time.sleep(0.05)
            if not self.client.certificates.is_anchored(self.agency, record.root):
                batch.pending = None
                self._send(batch)
        else:
            batch.pending = None
        certificates = self._settle(batch)
        final = self.journal.batch(record.id)
        return IssuedBatch(record.id, record.root, final.tx_hash, final.block_number, certificates)

    def recheck(self) -> list[int]:
        """Send again every batch the journal holds as anchored that the chain no longer has (a node restarted
        without its latest blocks, a reorg); return their ids. Cheap when nothing changed: only batches above the
        last height found intact are read, while the block at that height keeps its hash."""
        with self._lock:
            return self._recheck()

    def _recheck(self) -> list[int]:
        head = int(self.client.w3.eth.block_number)
        floor = 0
        if (
            self._checked is not None
            and self._checked[0] <= head
            and self.chain.block_hash(self._checked[0]) == self._checked[1]
        ):
            floor = self._checked[0]
        lost: list[int] = []
        for record in self.journal.anchored_above(floor):
            if record.agency != self.agency or record.chain_id != self.chain_id or record.registry != self.registry:
                continue
            intact = record.block_number is not None and self.chain.block_hash(record.block_number) == record.block_hash
            if intact or self.client.certificates.is_anchored(self.agency, record.root):
                continue
            self.journal.mark_lost(record.id)
            lost.append(record.id)
        if lost:
            self.reconcile()
        head_hash = self.chain.block_hash(head)
        if head_hash is not None:
            self._checked = (head, head_hash)
        return lost

    def same_licence(self, credentials: Sequence[Any], keys: Sequence[bytes | None] | None = None) -> list[list[bytes]]:
        """For each credential, the digests of the journaled certificates (in batches not failed) of its licence;
        `keys`: the credentials' licence keys (`DocumentSealer.licence_keys`) when the caller has them already."""
        self.key_licences()
        keys = self.sealer.licence_keys(credentials) if keys is None else keys  # None: a credential that is no object
        holders = self.journal.licence_holders([k for k in keys if k is not None])
        return [holders.get(k, []) if k is not None else [] for k in keys]

    def licence_certificates(self, certificate_type: str, licence_number: str) -> list[dict[str, Any]]:
        """The agency's anchored certificates of one licence (type and licence number), oldest first, wrapped with
        their anchors; found through the licence key, never by storing the number."""
        self.key_licences()
        key = self.sealer.licence_key({"credentialSubject": {"certificateType": certificate_type,
                                                             "licenceNumber": licence_number}})  # fmt: skip
        holders = self.journal.licence_holders([key]).get(key, []) if key is not None else []
        return self.anchored_documents(holders)

    def anchored_documents(self, digests: Sequence[bytes]) -> list[dict[str, Any]]:
        """The wrapped certificates, with anchors, of `digests` journaled here in anchored batches (batch order)."""
        out: list[dict[str, Any]] = []
        seen: set[bytes] = set()
        for batch, digest, sealed in self.journal.documents(list(digests)):
            if batch.state == "anchored" and batch.agency.lower() == self.agency.lower() and digest not in seen:
                seen.add(digest)
                out.append(_with_anchor(self.sealer.open(digest, sealed), batch.tx_hash, batch.block_number))
        return out

    def key_licences(self) -> None:
        """Record the licence key of certificates journaled before licences were (once per journal and process)."""
        if self._licences_keyed:
            return
        while rows := self.journal.unkeyed():
            keys = self.sealer.licence_keys([self.sealer.open(d, sealed) for _, d, sealed in rows])
            keyed = [(b, d, key or b"") for (b, d, _), key in zip(rows, keys, strict=True)]
            self.journal.add_licences(keyed)
        self._licences_keyed = True

    def document_refs(self, digests: Sequence[bytes]) -> dict[bytes, DocumentRef]:
        """The stored encrypted document (CID and key) of each of these certificates that has one."""
        out: dict[bytes, DocumentRef] = {}
        for digest, (cid, sealed_key) in self.journal.stored_documents(list(digests)).items():
            opened = self.sealer.open(digest, sealed_key)
            out[digest] = DocumentRef(cid=cid, key=str(opened["key"]))
        return out

    def for_request(self, request_ref: str) -> list[dict[str, Any]] | None:
        """The wrapped certificates a request with this reference submitted, once anchored (settling what is
        left), in submission order; None when no certificate of that request was journaled."""
        rows = self.journal.by_request(request_ref)
        if not rows:
            return None
        if any(batch.state in ("prepared", "sent") for batch, _, _ in rows):
            self.reconcile()
            rows = self.journal.by_request(request_ref)
        out = []
        for batch, digest, sealed in rows:
            if batch.state != "anchored":
                raise AnchoringFailed(batch.id, ChainError(batch.error or f"batch {batch.id} is {batch.state}"))
            out.append(_with_anchor(self.sealer.open(digest, sealed), batch.tx_hash, batch.block_number))
        return out


class _AlreadyAnchored(Exception):
    pass


def _with_anchor(doc: dict[str, Any], tx_hash: str | None, block: int | None) -> dict[str, Any]:
    out = dict(doc)
    proof = dict(doc["proof"])
    if tx_hash is not None:
        proof["anchor"] = {"transactionHash": tx_hash, "blockNumber": block}
    out["proof"] = proof
    return out


def _problem(index: int, pointer: str, code: str, message: str) -> dict[str, Any]:
    return {"index": index, "pointer": pointer, "code": code, "message": message}
