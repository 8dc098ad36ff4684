"""The key the service signs an agency's batches with (签名密钥的选用).

An agency issues in the suite the service is configured for it (`HURONG_AGENCY_SUITES`, by agency address or
province code; otherwise `HURONG_HASH_SUITE`): `default` (SHA-256 digests, Ed25519 signatures) or `sm` (SM3
digests, SM2 signatures). Its current signing key is a key registered on chain to the agency in the suite's
algorithm, valid now (inside its window, not revoked), whose private half the service's keystore holds
(`<keystore>/signing/<agency>/<keyId>.json`); of several, the most recently registered.

- The keystore holds no key of the agency: its batches are issued unsigned, or refused with 409
  `no_signing_key` when `HURONG_REQUIRE_SIGNED_ISSUANCE` is on.
- The keystore holds keys of the agency but none is current: refused with 409 `signing_key_unusable`, each held
  key named in `details.keys` with why it cannot sign (`not_registered`, `wrong_algorithm`, `revoked`,
  `not_yet_valid`, `expired`).

Both refusals come before anything is journaled or sent. The choice is read from the index (its `signing_keys`
table) and kept per agency until the index's keys of the agency or the keystore's files change, or `ttl` seconds
pass (windows open and close with time); a decrypted key is kept for the process's life. The issuer checks the
chosen key against the chain once more before it journals a batch, so a key revoked after the index was read
still signs nothing: the choice is then made again from an index brought up to date.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from api.errors import ApiError
from ledger.chain.models import KeyAlgorithm
from ledger.errors import (
    LedgerError,
    RevokedSigningKeyError,
    SigningKeyError,
    SigningKeyNotValidError,
    UnregisteredSigningKeyError,
    WrongKeyAlgorithmError,
)
from ledger.keys.pairs import ALGORITHM_NAMES, algorithm_for_suite

if TYPE_CHECKING:
    from api.service import Service
    from ledger.keys.pairs import SigningKeyPair

RootSigner = Callable[[bytes], dict[str, Any]]

#: How long a choice is kept while neither the index's keys nor the keystore's files of the agency change.
DEFAULT_TTL = 5.0

_ALGORITHMS: Mapping[str, KeyAlgorithm] = {name.lower(): algorithm for algorithm, name in ALGORITHM_NAMES.items()}


@dataclass(frozen=True)
class _Choice:
    fingerprint: tuple[Any, ...]
    expires: float
    key_id: bytes | None = None
    problems: tuple[dict[str, Any], ...] = ()
    held: bool = False
    signer: RootSigner | None = field(default=None, compare=False)


class SigningKeys:
    """The current signing key of each agency, chosen from the index and the keystore, cached per agency."""

    def __init__(self, service: Service, *, ttl: float = DEFAULT_TTL) -> None:
        self._service = service
        self._ttl = ttl
        self._choices: dict[str, _Choice] = {}
        self._pairs: dict[tuple[str, bytes], SigningKeyPair] = {}
        self._lock = threading.Lock()

    def signer(self, agency: str, suite: str, *, refresh: bool = False) -> RootSigner | None:
        """A signer of Merkle roots with `agency`'s current key in `suite`; None when the keystore holds no key of
        the agency and signed issuance is not required. `refresh`: bring the index up to the chain's head and
        choose again (the chain refused the key chosen before). Raises `ApiError` 409 `signing_key_unusable` or
        `no_signing_key`."""
        if refresh:  # else the choice is made from the index as it is; the issuer's check on the chain stays
            with contextlib.suppress(LedgerError):
                self._service.indexer.sync()
        held = tuple(sorted(self._service.held_signing_keys(agency)))
        rows = self._service.indexer.signing_keys(agency)
        fingerprint = (suite, held, tuple((r["keyId"], r["validUntil"], r["revokedAt"]) for r in rows))
        with self._lock:
            choice = self._choices.get(agency)
        if refresh or choice is None or choice.fingerprint != fingerprint or time.monotonic() >= choice.expires:
            choice = self._choose(agency, suite, held, rows, fingerprint)
            with self._lock:
                self._choices[agency] = choice
        return self._answer(agency, suite, choice)

    def _choose(
        self,
        agency: str,
        suite: str,
        held: Sequence[bytes],
        rows: Sequence[Mapping[str, Any]],
        fingerprint: tuple[Any, ...],
    ) -> _Choice:
        expected = algorithm_for_suite(suite)
        now = int(self._service.client.w3.eth.get_block("latest")["timestamp"])
        registered = {bytes.fromhex(str(r["keyId"])[2:]): r for r in rows}
        problems = [_problem(key_id, registered.get(key_id), expected, now) for key_id in held]
        usable = [key_id for key_id, problem in zip(held, problems, strict=True) if problem is None]
        expires = time.monotonic() + self._ttl
        if not usable:
            found = tuple(p for p in problems if p is not None)
            return _Choice(fingerprint, expires, problems=found, held=bool(held))
        # The most recently registered: rows come in registration order.
        order = {key_id: position for position, key_id in enumerate(registered)}
        key_id = max(usable, key=order.__getitem__)
        until = int(registered[key_id]["validUntil"])
        expires = min(expires, time.monotonic() + max(until - now, 0))
        pair = self._pair(agency, key_id)
        return _Choice(fingerprint, expires, key_id, held=True, signer=_root_signer(pair, agency))

    def _pair(self, agency: str, key_id: bytes) -> SigningKeyPair:
        with self._lock:
            pair = self._pairs.get((agency, key_id))
        if pair is None:  # decrypting a key file (scrypt) is slow: once per key and process
            pair = self._service.load_signing_key(agency, key_id)
            with self._lock:
                self._pairs[(agency, key_id)] = pair
        return pair

    def _answer(self, agency: str, suite: str, choice: _Choice) -> RootSigner | None:
        if choice.signer is not None:
            return choice.signer
        if choice.held:
            raise ApiError(
                409,
                "signing_key_unusable",
                f"no signing key of {agency} that the service holds can sign in the {suite!r} suite now",
                details={"agency": agency, "suite": suite, "keys": list(choice.problems)},
            )
        if self._service.settings.require_signed_issuance:
            raise ApiError(
                409,
                "no_signing_key",
                f"batches must be signed, and the service holds no signing key of {agency}: register one with "
                "POST /agencies/{address}/signing-keys",
                details={"agency": agency, "suite": suite},
            )
        return None


def refusal(exc: SigningKeyError, suite: str) -> ApiError:
    """The answer to a key the chain refused (409 `signing_key_unusable`, the key and why in `details`)."""
    problem = (
        "not_registered"
        if isinstance(exc, UnregisteredSigningKeyError)
        else "wrong_algorithm"
        if isinstance(exc, WrongKeyAlgorithmError)
        else "revoked"
        if isinstance(exc, RevokedSigningKeyError)
        else "outside_window"
        if isinstance(exc, SigningKeyNotValidError)
        else "not_this_agency"
    )
    entry = {"keyId": "0x" + exc.key_id.hex(), "problem": problem, "message": str(exc)}
    return ApiError(
        409,
        "signing_key_unusable",
        f"the signing key of {exc.agency} cannot sign now: {exc}",
        details={"agency": exc.agency, "suite": suite, "keys": [entry]},
    )


def _problem(key_id: bytes, row: Mapping[str, Any] | None, expected: KeyAlgorithm, now: int) -> dict[str, Any] | None:
    """Why a held key cannot sign now (None: it can)."""
    name = "0x" + key_id.hex()
    if row is None:
        return {"keyId": name, "problem": "not_registered", "message": f"{name} is not registered to the agency"}
    algorithm = _ALGORITHMS.get(str(row["algorithm"]))
    if algorithm is not expected:
        return {
            "keyId": name,
            "problem": "wrong_algorithm",
            "algorithm": ALGORITHM_NAMES.get(algorithm, str(row["algorithm"])) if algorithm else str(row["algorithm"]),
            "message": f"{name} is not an {ALGORITHM_NAMES[expected]} key",
        }
    revoked_at, valid_from, valid_until = row["revokedAt"], int(row["validFrom"]), int(row["validUntil"])
    if revoked_at is not None and int(revoked_at) <= now:
        return {"keyId": name, "problem": "revoked", "revokedAt": int(revoked_at), "message": f"{name} is revoked"}
    if now < valid_from:
        return {"keyId": name, "problem": "not_yet_valid", "validFrom": valid_from,
                "message": f"{name} is not valid before {valid_from}"}  # fmt: skip
    if now >= valid_until:
        return {"keyId": name, "problem": "expired", "validUntil": valid_until,
                "message": f"{name} expired at {valid_until}"}  # fmt: skip
    return None


def _root_signer(pair: SigningKeyPair, agency: str) -> RootSigner:
    from ledger.keys.signatures import sign_root

    def sign(root: bytes) -> dict[str, Any]:
        return sign_root(pair, root, agency=agency)

    return sign
