"""The issuance pipeline: validate, salt, hash, batch, journal, anchor, and hand back wrapped certificates.

    issuer = Issuer(agency_client, Journal(".hurong/journal.sqlite"))
    wrapped = issuer.issue(credentials)

Every batch is written to the journal before its anchoring transaction is sent. `reconcile()` (run at every
start) settles batches left behind by a crash of the process or of the chain: a root already anchored by the
agency is marked as such (its transaction is found from the `BatchAnchored` event), a transaction still
pending is awaited, and anything else is sent again. The registry refuses a root the agency already anchored,
so nothing is ever anchored twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hexbytes import HexBytes
from web3.exceptions import TransactionNotFound

from .client import HurongClient
from .did import agency_did
from .errors import ContractRevertError, LedgerError, LedgerValueError
from .failpoints import failpoint
from .hashing import hash_function, salt_fields
from .journal import BatchRecord, Journal
from .merkle import MerkleTree
from .store import BlobStore
from .transactions import PendingTransaction

PROOF_TYPE = "HurongMerkleProof2026"
STATUS_TYPE = "HurongRegistryStatus"
DEFAULT_MAX_BATCH = 10_000
#: Far below the 16,777,216 gas cap: anchoring costs ~65,000 gas whatever the batch size, and a batch's
#: size is bounded so that its journal transaction and proofs stay small.
MAX_BATCH_LIMIT = 100_000

Progress = Callable[[str, int, int], None]


class IssuanceError(LedgerValueError):
    """Credentials were refused before anything was hashed or anchored; `problems` lists them."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"credential {first['index']}: {first['pointer']}: {first['message']}{more}")


class AnchoringFailed(LedgerError):
    """A batch could not be anchored; its certificates are in the journal as `failed`."""

    def __init__(self, batch_id: int, cause: Exception) -> None:
        self.batch_id = batch_id
        self.cause = cause
        super().__init__(f"batch {batch_id} was not anchored: {cause}")


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
        store: BlobStore | None = None,
        max_batch: int = DEFAULT_MAX_BATCH,
        validate: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        if client.address is None:
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
        self.agency: str = client.address
        self.chain_id = client.deployment.chain_id
        self.registry = client.certificates.address
        self.did = agency_did(self.chain_id, self.agency)
        if validate is None:
            from .certificates import validate_credential

            validate = validate_credential
        self._validate = validate
        self._agency_info: Any = None

    # ------------------------------------------------------------------ preparation

    def _agency(self) -> Any:
        if self._agency_info is None:
            self._agency_info = self.client.authorities.agency(self.agency)
        return self._agency_info

    def check(self, credentials: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Validate unsigned credentials for this agency; returns the problems (empty when all are fine)."""
        from .certificates import CertificateValidationError

        agency = self._agency()
        granted = set(agency.certificate_types)
        problems: list[dict[str, Any]] = []
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
                self._validate(credential)
            except CertificateValidationError as exc:
                problems.extend({"index": index, **p.as_dict()} for p in exc.problems)
                continue
            except LedgerValueError as exc:
                problems.append(_problem(index, "", "invalid_credential", str(exc)))
                continue
            subject = credential["credentialSubject"]
            if str(subject.get("issuingProvince")) != str(agency.province):
                problems.append(
                    _problem(
                        index,
                        "/credentialSubject/issuingProvince",
                        "province_mismatch",
                        f"the agency belongs to province {agency.province}",
                    )  # fmt: skip
                )
            if subject.get("certificateType") not in granted:
                problems.append(
                    _problem(
                        index,
                        "/credentialSubject/certificateType",
                        "type_not_granted",
                        f"the agency is not granted {subject.get('certificateType')!r}",
                    )  # fmt: skip
                )
        return problems

    def _status_entry(self) -> dict[str, Any]:
        return {
            "id": f"eip155:{self.chain_id}:{self.registry}",
            "type": STATUS_TYPE,
            "chainId": self.chain_id,
            "registry": self.registry,
        }

    def _salt(self, credential: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
        doc = json.loads(json.dumps(credential, ensure_ascii=False))  # a deep copy, faster than copy.deepcopy
        doc.setdefault("credentialStatus", self._status_entry())
        salts, digest = salt_fields(doc, self.suite)
        doc["proof"] = {
            "type": PROOF_TYPE,
            "suite": self.suite,
            "digest": "0x" + digest.hex(),
            "salts": salts,
            "obfuscated": [],
        }
        return digest, doc

    # ------------------------------------------------------------------ issuing

    def issue(self, credentials: Iterable[dict[str, Any]], *, progress: Progress | None = None) -> list[dict[str, Any]]:
        """Validate, hash, journal and anchor `credentials`; return them wrapped, in the same order.

        Raises `IssuanceError` (nothing issued) when any credential is refused, `AnchoringFailed` when a
        batch's transaction is refused (its certificates stay in the journal as failed)."""
        items = list(credentials)
        if not items:
            return []
        problems = self.check(items)
        if problems:
            raise IssuanceError(problems)
        prepared: list[tuple[bytes, dict[str, Any]]] = []
        for i, credential in enumerate(items):
            prepared.append(self._salt(credential))
            if progress and (i + 1) % 1000 == 0:
                progress("hashed", i + 1, len(items))
        if progress:
            progress("hashed", len(items), len(items))
        batches = [
            self._journal_batch(prepared[i : i + self.max_batch]) for i in range(0, len(prepared), self.max_batch)
        ]
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
        return out

    def _journal_batch(self, prepared: Sequence[tuple[bytes, dict[str, Any]]]) -> _Batch:
        digests = [d for d, _ in prepared]
        tree = MerkleTree(digests)
        root = tree.root
        root_hex = "0x" + root.hex()
        signature = self.signer(root) if self.signer else None
        documents = []
        for digest, doc in prepared:
            proof = doc["proof"]
            proof["merkleRoot"] = root_hex
            proof["merklePath"] = ["0x" + h.hex() for h in tree.proof(digest)]
            proof["chainId"] = self.chain_id
            proof["registry"] = self.registry
            if signature is not None:
                proof["signature"] = signature
            documents.append(doc)
        manifest_cid = ""
        if self.store is not None:
            manifest = {
                "version": 1,
                "agency": self.agency,
                "chainId": self.chain_id,
                "registry": self.registry,
                "suite": self.suite,
                "root": root_hex,
                "digests": ["0x" + d.hex() for d in digests],
            }
            manifest_cid = self.store.put(json.dumps(manifest, separators=(",", ":")).encode())
        batch_id = self.journal.record_batch(
            agency=self.agency,
            chain_id=self.chain_id,
            registry=self.registry,
            root=root,
            suite=self.suite,
            manifest_cid=manifest_cid,
            certificates=list(zip(digests, documents, strict=True)),
        )
        return _Batch(batch_id, root, documents)

    def _send(self, batch: _Batch) -> None:
        record = self.journal.batch(batch.id)
        try:
            batch.pending = self.client.certificates.anchor(batch.root, record.count, record.manifest_cid)
        except ContractRevertError as exc:
            if exc.error_name == "CertificateRegistryAlreadyAnchored":
                return  # settled from the chain below
            self.journal.mark_failed(batch.id, str(exc))
            raise AnchoringFailed(batch.id, exc) from exc
        self.journal.mark_sent(batch.id, batch.pending.tx_hash)

    def _settle(self, batch: _Batch) -> list[dict[str, Any]]:
        tx_hash: str | None
        block: int | None
        try:
            if batch.pending is None:
                raise _AlreadyAnchored
            receipt = batch.pending.wait()
            tx_hash, block = receipt.tx_hash, receipt.block_number
        except (_AlreadyAnchored, ContractRevertError) as exc:
            if isinstance(exc, ContractRevertError) and exc.error_name != "CertificateRegistryAlreadyAnchored":
                self.journal.mark_failed(batch.id, str(exc))
                raise AnchoringFailed(batch.id, exc) from exc
            tx_hash, block = self._find_anchor(batch.root)
        self.journal.mark_anchored(batch.id, tx_hash, block)
        return [_with_anchor(doc, tx_hash, block) for doc in batch.documents]

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

    def reconcile(self, *, timeout: float = 120.0) -> list[IssuedBatch]:
        """Settle every batch of this agency left prepared or sent; return them with their certificates."""
        settled: list[IssuedBatch] = []
        for record in self.journal.pending(self.agency):
            if record.chain_id != self.chain_id or record.registry != self.registry:
                continue
            settled.append(self._reconcile_one(record, timeout))
        return settled

    def _reconcile_one(self, record: BatchRecord, timeout: float) -> IssuedBatch:
        documents = [doc for _, doc in self.journal.certificates(record.id)]
        batch = _Batch(record.id, record.root, documents)
        if not self.client.certificates.is_anchored(self.agency, record.root):
            if record.tx_hash and self._still_pending(record.tx_hash):
                batch.pending = PendingTransaction(self.client.transactor, record.tx_hash, {})  # type: ignore[arg-type]
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline and not self.client.certificates.is_anchored(
                    self.agency, record.root
                ):
                    if self._mined(record.tx_hash):
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

    def _still_pending(self, tx_hash: str) -> bool:
        try:
            self.client.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return False
        return True

    def _mined(self, tx_hash: str) -> bool:
        try:
            return self.client.w3.eth.get_transaction_receipt(tx_hash) is not None  # type: ignore[arg-type]
        except TransactionNotFound:
            return False


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
