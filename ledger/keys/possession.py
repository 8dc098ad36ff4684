"""Proofs of possession of a signing key: what registering a key in `AuthorityRegistry` takes.

`proof_of_possession_message` builds the 136 bytes the proof signs (`POSSESSION_DOMAIN`, the chain id, the
registry's and the agency's addresses and the key's id for the agency), `sign_proof_of_possession` signs them with
the new key and `verify_proof_of_possession` checks a proof as the client does before sending a registration.
"""

from __future__ import annotations

from ledger.chain.codes import parse_bytes32
from ledger.chain.models import KeyAlgorithm
from ledger.errors import LedgerValueError
from ledger.keys.pairs import SigningKeyPair, _address_bytes, _signing_algorithm, compute_key_id, sign, verify

#: The first 32 bytes of the message a proof of possession signs (`AuthorityRegistry.proofOfPossessionMessage`).
POSSESSION_DOMAIN: bytes = b"hurong/signing-key-possession/v1"


def proof_of_possession_message(*, chain_id: int, registry: str, agency: str, key_id: bytes | str) -> bytes:
    """The 136 bytes a proof of possession signs, as `AuthorityRegistry.proofOfPossessionMessage` returns them.

    `POSSESSION_DOMAIN || chain_id (32 bytes, big-endian) || registry (20 bytes) || agency (20 bytes) || key_id`.
    """
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or not 0 < chain_id < 2**256:
        raise LedgerValueError(f"chain id must be a positive integer, got {chain_id!r}")
    return (
        POSSESSION_DOMAIN
        + chain_id.to_bytes(32, "big")
        + _address_bytes(registry, "registry address")
        + _address_bytes(agency, "agency")
        + parse_bytes32(key_id, what="key id")
    )


def sign_proof_of_possession(key: SigningKeyPair, *, chain_id: int, registry: str, agency: str) -> bytes:
    """The proof that the holder of `key` registers it for `agency` in the registry at `registry` on `chain_id`."""
    message = proof_of_possession_message(
        chain_id=chain_id, registry=registry, agency=agency, key_id=key.key_id_for(agency)
    )
    return sign(key, message)


def verify_proof_of_possession(
    algorithm: KeyAlgorithm,
    public_key: bytes,
    proof: bytes,
    *,
    chain_id: int,
    registry: str,
    agency: str,
) -> bool:
    """Whether `proof` is the signature by `public_key` over the proof-of-possession message of its id for `agency`.

    Returns `False`, never raises, for a wrong, malformed or missing proof and for malformed key bytes (as
    `verify`); raises `LedgerValueError` for an algorithm other than Ed25519 or SM2, a chain id that is not a
    positive integer, or a malformed registry or agency address.
    """
    algorithm = _signing_algorithm(algorithm)
    if not isinstance(public_key, bytes | bytearray | memoryview) or not isinstance(proof, bytes | bytearray):
        return False
    key_id = compute_key_id(algorithm, bytes(public_key), agency=agency)
    message = proof_of_possession_message(chain_id=chain_id, registry=registry, agency=agency, key_id=key_id)
    return verify(algorithm, bytes(public_key), message, bytes(proof))
