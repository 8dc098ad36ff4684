"""Content-addressed storage, now `ledger.store`: the names the issuance modules used, kept importable here."""

from __future__ import annotations

from ledger.store import BlobStore as BlobStore
from ledger.store import LocalStore as LocalStore
from ledger.store import StoreError as StoreError
from ledger.store import cid_digest as cid_digest
from ledger.store import cid_v1_raw as cid_v1_raw

__all__ = ["BlobStore", "LocalStore", "StoreError", "cid_digest", "cid_v1_raw"]
