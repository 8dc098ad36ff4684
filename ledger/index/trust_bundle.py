"""Trust bundles: what a verifier needs to check certificates with no connection, signed by the service.

A bundle is a snapshot of the index at one block — the anchored roots (agency, block, time, batch revocation),
the agencies (name, province, parent, status and since when), the provinces, the certificates whose status is
not valid (suspended, revoked, superseded), the agencies' signing keys (algorithm, public key, validity window),
the latest anchored hash of each Bitstring Status List — with the chain id, the registry's address, the block and
the time it was generated. Its `payload` is signed with the
service's Ed25519 key over the payload's RFC 8785 form::

    {"payload": {"format": "hurong-trust-bundle/1", "chainId": ..., "generatedAt": ..., ...},
     "signature": {"algorithm": "Ed25519", "keyId": "<16 hex>", "value": "<128 hex>"}}

The verification page (`web/src/verify-core.mjs`) checks the same signature in the browser and says how old the
bundle is; `check` is the Python side of that check. The key lives in `<home>/trust-bundle-key.json` (0600),
generated once.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine, Select, select
from sqlalchemy.exc import SQLAlchemyError

from ledger.errors import IndexerError, TrustBundleError
from ledger.index.tables import (
    agencies,
    batches,
    certificate_status,
    index_state,
    provinces,
    signing_keys,
    status_lists,
)
from ledger.keys.keystore import create_once

FORMAT = "hurong-trust-bundle/1"
KEY_FILE = "trust-bundle-key.json"
REGISTRY = "CertificateRegistry"
_STATUS = {1: "active", 2: "suspended", 3: "removed"}
_AGENCY_STATUS = {1: "active", 2: "suspended"}
_ALGORITHMS = {1: "Ed25519", 2: "SM2"}
_PAYLOAD_KEYS = {"format", "chainId", "registry", "block", "generatedAt", "keyId", "provinces", "agencies",
                 "roots", "statuses", "statusLists", "signingKeys"}  # fmt: skip


@dataclass(frozen=True)
class BundleKey:
    """The service's bundle-signing key: the private key and its public half as hex."""

    private: Ed25519PrivateKey
    public_hex: str

    @property
    def key_id(self) -> str:
        """The first 16 hex digits of the SHA-256 of the raw public key."""
        return key_id(self.public_hex)

    def public_document(self) -> dict[str, str]:
        """What `GET /api/v1/trust-bundle/key` answers and `hurong trust-bundle check --key` reads."""
        return {"algorithm": "Ed25519", "keyId": self.key_id, "publicKey": self.public_hex}


def key_id(public_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def load_or_create_key(home: Path) -> BundleKey:
    """The key in `<home>/trust-bundle-key.json`, generated once (0600; the first of several processes starting
    together writes it, the others read it)."""
    path = Path(home) / KEY_FILE
    if not path.exists():
        private = Ed25519PrivateKey.generate()
        create_once(path, json.dumps({"algorithm": "Ed25519", "privateKey": private.private_bytes_raw().hex()}))
    try:
        record = json.loads(path.read_text(encoding="ascii"))
        private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(record["privateKey"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TrustBundleError("bad_key", f"{path} is not a trust bundle key file: {exc}") from None
    return BundleKey(private, private.public_key().public_bytes_raw().hex())


def _same(value: Any) -> Any:
    return value


def _named(names: dict[int, str]) -> Callable[[Any], str]:
    return lambda value: names.get(int(value), "unknown")


#: Each section of the payload: the query of the index it is read with, and its fields as (column, conversion).
_SECTIONS: dict[str, tuple[Select[Any], dict[str, tuple[str, Callable[[Any], Any]]]]] = {
    "provinces": (
        select(provinces).order_by(provinces.c.code),
        {"code": ("code", str), "name": ("name", str), "status": ("status", _named(_STATUS)),
         "statusSince": ("status_since", int)},
    ),
    "agencies": (
        select(agencies).order_by(agencies.c.account),
        {"address": ("account", str), "name": ("name", str), "province": ("province", str), "parent": ("parent", _same),
         "status": ("status", _named(_AGENCY_STATUS)), "statusSince": ("status_since", int)},
    ),
    "roots": (
        select(batches).order_by(batches.c.block, batches.c.log_index),
        {"root": ("root", str), "agency": ("agency", str), "count": ("count", int), "block": ("block", int),
         "anchoredAt": ("anchored_at", int), "revokedAt": ("revoked_at", _same)},
    ),
    "statuses": (
        select(certificate_status)
        .where(certificate_status.c.status != 0)
        .order_by(certificate_status.c.agency, certificate_status.c.digest),
        {"agency": ("agency", str), "digest": ("digest", str), "status": ("status", int), "reason": ("reason", int),
         "successor": ("successor", _same), "updatedAt": ("updated_at", int)},
    ),
    "signingKeys": (
        select(signing_keys).order_by(signing_keys.c.block, signing_keys.c.key_id),
        {"keyId": ("key_id", str), "agency": ("agency", str), "algorithm": ("algorithm", _named(_ALGORITHMS)),
         "publicKey": ("public_key", str), "validFrom": ("valid_from", int), "validUntil": ("valid_until", int),
         "revokedAt": ("revoked_at", _same)},
    ),
    "statusLists": (
        select(status_lists).order_by(status_lists.c.agency, status_lists.c.list_id),
        {"agency": ("agency", str), "listId": ("list_id", str), "listHash": ("list_hash", str),
         "block": ("block", int), "publishedAt": ("published_at", int)},
    ),
}  # fmt: skip


def snapshot(engine: Engine) -> dict[str, Any]:
    """The unsigned payload (without `generatedAt` and `keyId`), read from the index in one transaction."""
    sections: dict[str, list[dict[str, Any]]] = {}
    try:
        with engine.connect() as conn, conn.begin():
            state = conn.execute(select(index_state)).mappings().first()
            if state is None:
                raise IndexerError("the index has not been initialised: nothing to put in a trust bundle")
            for name, (query, fields) in _SECTIONS.items():
                sections[name] = [
                    {key: convert(row[column]) for key, (column, convert) in fields.items()}
                    for row in conn.execute(query).mappings()
                ]
    except SQLAlchemyError as exc:
        raise IndexerError(f"the index database failed: {exc}") from exc
    return {
        "format": FORMAT,
        "chainId": int(state["chain_id"]),
        "registry": json.loads(state["contracts"]).get(REGISTRY),
        "block": {"number": int(state["last_block"]), "hash": state["last_hash"]},
        **sections,
    }


def sign(payload: dict[str, Any], key: BundleKey) -> dict[str, Any]:
    """`payload` with its Ed25519 signature over its RFC 8785 form."""
    value = key.private.sign(rfc8785.dumps(payload)).hex()
    return {"payload": payload, "signature": {"algorithm": "Ed25519", "keyId": key.key_id, "value": value}}


def build(engine: Engine, key: BundleKey, *, now: int | None = None) -> dict[str, Any]:
    """A signed bundle of the index as it stands, dated `now` (default the clock)."""
    payload = snapshot(engine)
    payload["generatedAt"] = int(time.time()) if now is None else now
    payload["keyId"] = key.key_id
    return sign(payload, key)


def parse_public_key(document: Any) -> str:
    """The raw public key (64 hex digits) of a key document (`{"publicKey": ...}`) or of the hex itself."""
    value = document.get("publicKey") if isinstance(document, dict) else document
    if not isinstance(value, str) or len(value) != 64:
        raise TrustBundleError("bad_key", "the public key must be 64 hex digits (an Ed25519 key)")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(value))
    except ValueError:
        raise TrustBundleError("bad_key", "the public key must be 64 hex digits (an Ed25519 key)") from None
    return value.lower()


def check(bundle: Any, public_key: Any, *, now: int | None = None, max_age: int | None = None) -> dict[str, Any]:
    """The payload of `bundle` once its signature verifies with `public_key` (a key document or hex) and, when
    `max_age` is given, it is at most that many seconds old; `TrustBundleError` otherwise."""
    public_hex = parse_public_key(public_key)
    if not isinstance(bundle, dict) or set(bundle) != {"payload", "signature"}:
        raise TrustBundleError("bad_bundle", "a trust bundle is an object with a payload and a signature")
    payload, signature = bundle["payload"], bundle["signature"]
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or not set(payload) >= _PAYLOAD_KEYS:
        raise TrustBundleError("bad_bundle", f"the payload is not a {FORMAT} payload")
    generated = payload["generatedAt"]
    if isinstance(generated, bool) or not isinstance(generated, int) or generated < 0:
        raise TrustBundleError("bad_bundle", "payload.generatedAt must be Unix seconds")
    if not isinstance(signature, dict) or signature.get("algorithm") != "Ed25519":
        raise TrustBundleError("bad_signature", "the bundle carries no Ed25519 signature")
    value = signature.get("value")
    if not isinstance(value, str) or len(value) != 128:
        raise TrustBundleError("bad_signature", "the signature must be 128 hex digits")
    try:
        message = rfc8785.dumps(payload)
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(bytes.fromhex(value), message)
    except (InvalidSignature, ValueError, rfc8785.CanonicalizationError):
        raise TrustBundleError("bad_signature", "the bundle's signature does not verify with the key given") from None
    if max_age is not None:
        age = age_seconds(payload, now)
        if age > max_age:
            raise TrustBundleError("too_old", f"the bundle is {age} s old, over the {max_age} s allowed")
    return payload


def age_seconds(payload: dict[str, Any], now: int | None = None) -> int:
    """How old the bundle is, in seconds (never negative)."""
    return max(0, (int(time.time()) if now is None else now) - int(payload["generatedAt"]))
