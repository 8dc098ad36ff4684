"""Fetching a holder's certificate: the sealed document from a store or from the service, opened and checked."""

from __future__ import annotations

from typing import Any

import httpx

from ledger.errors import StoreError
from ledger.store import open_store
from ledger.store.cid import content_id, parse_cid
from ledger.store.sealed import open_document


def fetch_sealed(cid: str, *, store: str | None = None, service: str | None = None, timeout: float = 30.0) -> bytes:
    """The sealed document `cid` names, from a store specification or a service's `GET /api/v1/documents/{cid}`;
    its bytes are checked against the CID either way."""
    parse_cid(cid)
    if store is not None:
        return open_store(store).get(cid)
    if service is None:
        raise StoreError("no store and no service to fetch the document from")
    url = f"{service.rstrip('/')}/api/v1/documents/{cid}"
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        raise StoreError(f"the service at {service} does not answer: {exc}") from exc
    if response.status_code == 404:
        raise StoreError(f"the service holds no document {cid}")
    if response.status_code != 200:
        raise StoreError(f"the service answered {response.status_code} for document {cid}")
    if content_id(response.content) != cid:
        raise StoreError(f"the service answered bytes that are not document {cid}")
    return response.content


def fetch_certificate(cid: str, key: str, *, store: str | None = None, service: str | None = None) -> dict[str, Any]:
    """The certificate sealed in document `cid`, opened with `key` (`DocumentDecryptionError` when it does not)."""
    return open_document(fetch_sealed(cid, store=store, service=service), key)
