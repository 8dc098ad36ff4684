"""The service's long-lived state: chain client, deployment, API keys, index, verifier, issuers."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from eth_account import Account

from ledger.client import HurongClient, make_web3
from ledger.deployment import Deployment
from ledger.errors import ChainError, LedgerError
from ledger.issuance import Issuer
from ledger.journal import Journal
from ledger.verify import ChainReader, Verifier

from .batching import BatchingIssuer
from .errors import ApiError
from .keys import ApiKeyStore
from .metrics import Metrics
from .settings import Settings

log = logging.getLogger("hurong.api")


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        w3 = make_web3(settings.rpc_url)
        try:
            chain_id = int(w3.eth.chain_id)
        except Exception as exc:  # noqa: BLE001
            raise ChainError(f"cannot reach the chain at {settings.rpc_url}: {exc}") from None
        self.deployment = Deployment.for_chain(settings.deployments, chain_id)
        self.client = HurongClient.connect(w3, self.deployment)
        self.keys = ApiKeyStore(settings.keys_database)
        self.verifier = Verifier(self.client)
        self.metrics = Metrics()
        self._issuers: dict[str, BatchingIssuer] = {}
        self._signers: dict[str, HurongClient] = {}
        self._lock = threading.Lock()
        from ledger.indexer import Indexer

        self.indexer = Indexer(self.client, settings.index_database)
        self._indexer_thread: threading.Thread | None = None
        self._index_reader: Any = None
        self._stop = threading.Event()

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

    def stop(self) -> None:
        self._stop.set()
        if self._indexer_thread:
            self._indexer_thread.join(timeout=5)

    def wait_indexed(self, block: int, timeout: float = 5.0) -> None:
        """Wait until the index has reached `block`, so a caller reads its own writes (bounded wait)."""
        import time

        deadline = time.monotonic() + timeout
        while self.indexer.indexed_block < block and time.monotonic() < deadline:
            if self._indexer_thread is None:
                self.indexer.sync()
            else:
                time.sleep(0.02)

    # ------------------------------------------------------------------ readers

    def reader(self, consistency: str) -> Any:
        """A reader at the indexed block (default) or the chain's head (`consistency=chain`)."""
        if consistency == "chain":
            return ChainReader(self.client, "latest")
        if not self.settings.run_indexer or self._indexer_thread is None:
            self.indexer.sync()
        from ledger.indexer import IndexReader

        position = self.indexer.position()
        with self._lock:
            cached = self._index_reader
            if cached is not None and (cached.block_number, cached.block_hash) == position:
                return cached  # one reader per indexed block: its memoised reads serve every request
        reader = IndexReader(self.indexer, self.client)
        with self._lock:
            self._index_reader = reader
        return reader

    # ------------------------------------------------------------------ signing accounts

    def signer(self, address: str) -> HurongClient:
        """A client acting as `address`, with its key from the encrypted keystore."""
        with self._lock:
            if address in self._signers:
                return self._signers[address]
        path = Path(self.settings.keystore_folder) / f"{address}.json"
        if not path.is_file():
            raise ApiError(503, "no_signing_key", f"the service holds no chain key for {address}")
        from ledger.keystore import load_account_key

        key = load_account_key(path, self.settings.key_passphrase.get_secret_value())
        if Account.from_key(key).address != address:
            raise ApiError(503, "keystore_mismatch", f"key file {path.name} is not the key of {address}")
        client = self.client.as_account(key)
        with self._lock:
            return self._signers.setdefault(address, client)

    def issuer(self, agency: str) -> BatchingIssuer:
        with self._lock:
            existing = self._issuers.get(agency)
        if existing is not None:
            return existing
        client = self.signer(agency)
        journal = Journal(Path(self.settings.home) / "journals" / f"{agency}.sqlite")
        issuer = Issuer(client, journal, suite=self.settings.hash_suite, max_batch=self.settings.batch_max_size)
        recovered = issuer.reconcile()
        if recovered:
            log.info("recovered %d batches of %s", len(recovered), agency)
        batching = BatchingIssuer(
            issuer,
            max_size=self.settings.batch_max_size,
            max_wait=self.settings.batch_max_wait,
            on_batch=self.metrics.batch_anchored,
        )
        with self._lock:
            return self._issuers.setdefault(agency, batching)

    def journals(self) -> list[Journal]:
        folder = Path(self.settings.home) / "journals"
        return [Journal(p) for p in sorted(folder.glob("0x*.sqlite"))] if folder.is_dir() else []
