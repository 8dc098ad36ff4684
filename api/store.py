"""The service's document store: where issued certificates are kept encrypted and batch manifests are kept.

`HURONG_STORE` names it (`ipfs:http://127.0.0.1:5001` for a Kubo node, or a folder); unset, the service issues
without storing documents or manifests (and anchors an empty manifest CID), as before the store existed.
`HURONG_PUBLIC_URL` is the base of the holder links the service hands out (`<base>/wallet#cid=…&key=…`).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.index.documents import DocumentIndex
from ledger.store import Store, open_store


class StoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HURONG_", env_file=".env", extra="ignore")

    #: `ipfs:<Kubo RPC API URL>` or a folder; empty: no document store.
    store: str = ""
    #: The base URL of holder links; empty: links relative to the service's own address.
    public_url: str = ""


@lru_cache
def store_settings() -> StoreSettings:
    return StoreSettings()


@lru_cache
def service_store() -> Store | None:
    """The store `HURONG_STORE` names (one per process), or None."""
    spec = store_settings().store
    return open_store(spec) if spec else None


_indexes: dict[str, DocumentIndex] = {}
_indexes_lock = threading.Lock()


def document_index(home: Path) -> DocumentIndex | None:
    """The document index of the service whose state is in `home` (`<home>/documents.sqlite`, one per process), or
    None without a store."""
    store = service_store()
    if store is None:
        return None
    key = str(Path(home).resolve())
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            index = _indexes[key] = DocumentIndex(Path(home) / "documents.sqlite", store)
        return index
