"""The service's long-lived state: chain client, deployment, API keys, index, verifier, issuers."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_account import Account

from api.batching import BatchingIssuer
from api.idempotency import IdempotencyStore
from api.identifiers import SERIALS_FILE, IdentifyingIssuer, Serials, credit_code
from api.keys import ApiKeyStore
from api.metrics import Metrics
from api.settings import Settings
from api.signing import SigningKeys
from api.status_lists import STATUS_LISTS_FILE, StatusListPublisher, StatusLists
from api.supervision.records import USAGE_FILE, UsageLog, load_secret
from ledger.chain.client import HurongClient, chain_id_of, make_web3
from ledger.chain.deployment import Deployment
from ledger.chain.transactions import FeePolicy
from ledger.errors import ChainError, ConfigurationError, KeystoreError, LedgerError
from ledger.issuance.journal import Journal
from ledger.issuance.status_changes import StatusChanges
from ledger.verification import ChainReader, Reader, Verifier

if TYPE_CHECKING:
    from ledger.chain.models import KeyAlgorithm
    from ledger.index.indexer import IndexReader
    from ledger.keys.pairs import SigningKeyPair

log = logging.getLogger("hurong.api")
_HEX = frozenset("0123456789abcdefABCDEF")


def _wait_for_chain(w3: Any, seconds: float) -> int:
    """The chain's id, waiting up to `seconds` for a chain that does not answer yet: a worker restarted while its
    node restarts waits for the node instead of failing its start-up (which stops every worker of the service)."""
    deadline = time.monotonic() + seconds
    told = 0.0
    while True:
        try:
            return chain_id_of(w3)
        except ChainError as exc:
            now = time.monotonic()
            if now >= deadline:
                raise
            if now - told >= 5:
                log.warning("waiting for the chain (%.0f s left): %s", deadline - now, exc)
                told = now
            time.sleep(min(0.5, max(deadline - now, 0.0)))


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        w3 = make_web3(settings.endpoints)
        chain_id = _wait_for_chain(w3, settings.chain_wait_seconds)
        self.deployment = Deployment.for_chain(settings.deployments, chain_id)
        self.client = HurongClient.connect(w3, self.deployment)
        self.keys = ApiKeyStore(settings.keys_database)
        self.serials = Serials(Path(settings.home) / SERIALS_FILE)
        self.status_lists = StatusLists(Path(settings.home) / STATUS_LISTS_FILE)
        self.idempotency = IdempotencyStore(
            Path(settings.home) / "idempotency.sqlite", settings.idempotency_ttl_hours * 3600
        )
        self.fees = FeePolicy.from_gwei(settings.priority_fee_gwei, settings.max_fee_per_gas_gwei)
        self.verifier = Verifier(self.client)
        self.metrics = Metrics()
        home = Path(settings.home)
        self.usage = UsageLog(
            home / USAGE_FILE,
            load_secret(home, settings.usage_secret.get_secret_value()),
            retention_days=settings.usage_retention_days,
            enabled=settings.usage_recording,
        )
        self._agency_provinces: tuple[float, dict[str, str]] = (0.0, {})
        self._issuers: dict[str, BatchingIssuer] = {}
        self.signing_keys = SigningKeys(self)
        self._journals: dict[str, Journal] = {}
        self._status_changes: dict[str, StatusChanges] = {}
        self._signers: dict[str, HurongClient] = {}
        self._lock = threading.Lock()
        self._issuer_lock = threading.Lock()
        from ledger.index.indexer import Indexer

        self.indexer = Indexer(self.client, settings.index_database)
        self._indexer_thread: threading.Thread | None = None
        self._reconciler_thread: threading.Thread | None = None
        self._index_reader: IndexReader | None = None
        # When the index position of `_index_reader` was last read (monotonic), and the count of this worker's
        # waits for its own writes (a read begun before one ends is not trusted for `index_position_ttl`).
        self._position_read = (0.0, 0)
        self._stop = threading.Event()
        self.status_list_publisher = StatusListPublisher(
            self.status_lists,
            chain_id,
            base_url=self.status_list_base,
            statuses=self.indexer.statuses,
            revoked_roots=self.revoked_roots,
            signer=lambda agency: self.signer(agency) if self.holds_key(agency) else None,
            interval=settings.status_list_interval,
            lock_file=Path(settings.home) / "status-lists.publisher.lock",
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        try:
            self.indexer.sync()
        except LedgerError as exc:
            log.warning("initial index sync failed: %s", exc)
        if self.settings.run_indexer:
            self._indexer_thread = threading.Thread(
                target=self.indexer.run, args=(self._stop,), name="indexer", daemon=True
            )
            self._indexer_thread.start()
        self._reconciler_thread = threading.Thread(target=self._reconcile_loop, name="reconciler", daemon=True)
        self._reconciler_thread.start()
        self.usage.start()
        self.status_list_publisher.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._indexer_thread, self._reconciler_thread):
            if thread:
                thread.join(timeout=5)
        self.usage.stop()
        self.status_list_publisher.stop()

    def _reconcile_loop(self) -> None:
        """Settle every journal at start, then keep checking that anchored batches are still on the chain (a node
        restarted without its latest blocks, a reorg) and send again what it lost: same roots, never twice."""
        first = True
        while not self._stop.is_set():
            for agency in self._journaled_agencies():
                try:
                    if self.holds_key(agency) and self.journal(agency).batches():
                        issuer = self.issuer(agency)
                        # Batches of the last minute may still be in the hands of another worker issuing them.
                        issuer.issuer.reconcile(min_age=0 if first else 60)
                        lost = issuer.issuer.recheck()
                        if lost:
                            log.warning("the chain lost %d anchored batches of %s: sent again", len(lost), agency)
                    again = self.status_changes(agency).recheck(self.signer)
                    if again:
                        log.warning("the chain lost %d status changes of %s: applied again", len(again), agency)
                except (LedgerError, OSError) as exc:
                    log.warning("reconciling the journal of %s failed: %s", agency, exc)
                except Exception:
                    log.exception("reconciling the journal of %s failed", agency)
            first = False
            self._stop.wait(self.settings.reconcile_interval)

    def _journaled_agencies(self) -> list[str]:
        folder = Path(self.settings.home) / "journals"
        if not folder.is_dir():
            return []
        return [p.stem for p in sorted(folder.glob("0x*.sqlite"))]

    def wait_indexed(self, block: int, timeout: float = 5.0) -> None:
        """Wait until the index has reached `block`, so a caller reads its own writes (bounded wait)."""
        import time

        deadline = time.monotonic() + timeout
        while self.indexer.indexed_block < block and time.monotonic() < deadline:
            if self._indexer_thread is None:
                self.indexer.sync()
            else:
                self.indexer.wake()
                time.sleep(0.005)
        with self._lock:  # the next reader reads the position again: the caller sees its write
            self._position_read = (0.0, self._position_read[1] + 1)

    # ------------------------------------------------------------------ readers

    def reader(self, consistency: str) -> Reader:
        """A reader at the indexed block (default) or the chain's head (`consistency=chain`).

        One reader serves every request at one indexed block (its memoised reads with it); the index's position is
        read again once `index_position_ttl` has passed, and always after this worker waited for its own write."""
        if consistency == "chain":
            return ChainReader(self.client, "latest")
        if not self.settings.run_indexer or self._indexer_thread is None:
            self.indexer.sync()
        else:
            with self._lock:
                cached, (read_at, _) = self._index_reader, self._position_read
            if cached is not None and time.monotonic() < read_at + self.settings.index_position_ttl:
                return cached
        from ledger.index.indexer import IndexReader

        with self._lock:
            epoch = self._position_read[1]
        read_at = time.monotonic()
        position = self.indexer.position()
        with self._lock:
            cached = self._index_reader
            fresh = self._position_read[1] == epoch  # no write of this worker was indexed since the read began
            if cached is not None and (cached.block_number, cached.block_hash) == position:
                if fresh:
                    self._position_read = (read_at, epoch)
                return cached
        reader = IndexReader(self.indexer, self.client)
        with self._lock:
            self._index_reader = reader
            if fresh:
                self._position_read = (read_at, epoch)
        return reader

    def province_of_agency(self, agency: str) -> str | None:
        """The province code of `agency` from the index (the map is read again at most every 30 s)."""
        read_at, provinces = self._agency_provinces
        if agency not in provinces and time.monotonic() - read_at > 30:
            provinces = {a["account"]: str(a["province"]) for a in self.indexer.agencies()}
            self._agency_provinces = (time.monotonic(), provinces)
        return provinces.get(agency)

    # ------------------------------------------------------------------ signing accounts

    def holds_key(self, address: str) -> bool:
        """Whether the service's keystore holds the chain key of `address`."""
        return (Path(self.settings.keystore_folder) / f"{address}.json").is_file()

    def signer(self, address: str) -> HurongClient:
        """A client acting as `address`, with its key from the encrypted keystore.

        Raises `ConfigurationError` when the keystore holds no key of `address`, `KeystoreError` when the key file
        under its name holds another account's key (or cannot be read or decrypted)."""
        with self._lock:
            if address in self._signers:
                return self._signers[address]
        path = Path(self.settings.keystore_folder) / f"{address}.json"
        if not self.holds_key(address):
            raise ConfigurationError(f"the service holds no chain key for {address}")
        from ledger.keys.keystore import load_account_key

        key = load_account_key(path, self.settings.key_passphrase.get_secret_value())
        if Account.from_key(key).address != address:
            raise KeystoreError(f"key file {path.name} is not the key of {address}")
        client = self.client.as_account(key)
        assert client.transactor is not None
        lock = Path(self.settings.home) / "locks" / f"{address}.lock"
        client.transactor.configure(fees=self.fees, lock_path=lock)  # one nonce sequence across workers
        with self._lock:
            return self._signers.setdefault(address, client)

    def _passphrase(self) -> str:
        passphrase = self.settings.key_passphrase.get_secret_value()
        if not passphrase:
            raise ConfigurationError("the service has no keystore passphrase (HURONG_KEY_PASSPHRASE_FILE)")
        return passphrase

    def new_account(self) -> str:
        """Generate a chain account and store its key, encrypted, in the keystore (before anything is sent for it,
        so the service can always sign for it); returns its address."""
        from ledger.keys.keystore import AccountKey, save_key

        key = AccountKey.generate()
        save_key(Path(self.settings.keystore_folder) / f"{key.address}.json", key, self._passphrase())
        return key.address

    def signing_key_file(self, agency: str, key_id: bytes) -> Path:
        """Where the keystore keeps a signing key the service generated for `agency`:
        `<keystore>/signing/<agency>/<registry key id>.json`."""
        return Path(self.settings.keystore_folder) / "signing" / agency / f"0x{key_id.hex()}.json"

    def new_signing_key(self, agency: str, algorithm: KeyAlgorithm) -> SigningKeyPair:
        """Generate an Ed25519 or SM2 signing key for `agency` and store it, encrypted, in the keystore."""
        from ledger.keys.keystore import save_key
        from ledger.keys.pairs import generate

        pair = generate(algorithm)
        path = self.signing_key_file(agency, pair.key_id_for(agency))
        for folder in (path.parents[2], path.parents[1], path.parent):
            folder.mkdir(mode=0o700, exist_ok=True)
        save_key(path, pair, self._passphrase())
        return pair

    def holds_signing_key(self, agency: str, key_id: bytes) -> bool:
        """Whether the keystore holds the private half of `agency`'s signing key `key_id`."""
        return self.signing_key_file(agency, key_id).is_file()

    def load_signing_key(self, agency: str, key_id: bytes) -> SigningKeyPair:
        """The signing key `key_id` of `agency` from the keystore (`KeystoreError` when absent or unreadable)."""
        from ledger.keys.keystore import load_signing_key

        pair = load_signing_key(self.signing_key_file(agency, key_id), self._passphrase())
        if pair.key_id_for(agency) != key_id:
            raise KeystoreError(f"the key file of {agency}'s key 0x{key_id.hex()} holds another key")
        return pair

    def held_signing_keys(self, agency: str) -> list[bytes]:
        """The ids of `agency`'s signing keys whose private half the keystore holds."""
        folder = Path(self.settings.keystore_folder) / "signing" / agency
        if not folder.is_dir():
            return []
        names = (p.stem for p in folder.glob("0x*.json"))
        return [bytes.fromhex(n[2:]) for n in names if len(n) == 66 and all(c in _HEX for c in n[2:])]

    def suite_of(self, agency: str) -> str:
        """The suite `agency` issues in: `HURONG_AGENCY_SUITES` by its address, else by its province, else the
        consortium description's `suite` of the agency (kept with the deployment), else `HURONG_HASH_SUITE`."""
        suites = self.settings.agency_suites
        if agency.lower() in suites:
            return suites[agency.lower()]
        if any(not name.startswith("0x") for name in suites):
            province = str(self.client.authorities.agency(agency).province)
            if province in suites:
                return suites[province]
        described = self.client.deployment.extra.get("suites")
        if isinstance(described, dict) and described.get(agency.lower()) in ("default", "sm"):
            return str(described[agency.lower()])
        return self.settings.hash_suite

    def issuer(self, agency: str) -> BatchingIssuer:
        existing = self._issuers.get(agency)
        if existing is not None:
            return existing
        with self._issuer_lock:  # one issuer (and batching thread) per agency
            existing = self._issuers.get(agency)
            if existing is not None:
                return existing
            batching = self._new_issuer(agency)
            self._issuers[agency] = batching
            return batching

    def revoked_roots(self, agency: str) -> frozenset[bytes]:
        """The roots of `agency`'s revoked batches, for its status lists. When there are some and the service issues
        for the agency, its journal is read once per process first (`ensure_recorded`), so that certificates
        anchored before the status-lists file recorded their batch are found in it too."""
        roots = self.indexer.revoked_roots(agency)
        if roots and self.holds_key(agency):
            issuer = self.issuer(agency).issuer
            if isinstance(issuer, IdentifyingIssuer):
                issuer.ensure_recorded()
        return roots

    def status_list_base(self) -> str | None:
        """The base URL status lists are published under: the public URL, else the one last asked through."""
        return self.settings.public_url.rstrip("/") or self.status_lists.remembered_base()

    def _new_issuer(self, agency: str) -> BatchingIssuer:
        client = self.signer(agency)
        journal = self.journal(agency)
        suite = self.suite_of(agency)
        issuer = IdentifyingIssuer(
            client,
            journal,
            suite=suite,
            max_batch=self.settings.batch_max_size,
            confirmations=self.settings.confirmations,
            serials=self.serials,
            issuer_code=credit_code(self.deployment, agency),
            status_lists=self.status_lists,
            status_list_base=self.status_list_base,
        )
        batching = BatchingIssuer(
            issuer,
            max_size=self.settings.batch_max_size,
            max_wait=self.settings.batch_max_wait,
            on_batch=self.metrics.batch_anchored,
            signing=lambda refresh: self.signing_keys.signer(agency, suite, refresh=refresh),
        )
        return batching

    def journal(self, agency: str) -> Journal:
        """The issuance journal of `agency` (one open journal per agency and process)."""
        with self._lock:
            journal = self._journals.get(agency)
            if journal is None:
                journal = Journal(Path(self.settings.home) / "journals" / f"{agency}.sqlite")
                self._journals[agency] = journal
            return journal

    def status_changes(self, agency: str) -> StatusChanges:
        """The journaled status changes of `agency`'s certificates (one tracker per agency and process)."""
        journal = self.journal(agency)
        with self._lock:
            changes = self._status_changes.get(agency)
            if changes is None:
                changes = StatusChanges(self.client, journal, confirmations=self.settings.confirmations)
                self._status_changes[agency] = changes
            return changes

    def journals(self) -> list[Journal]:
        return [self.journal(agency) for agency in self._journaled_agencies()]
