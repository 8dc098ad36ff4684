"""Ed25519 and SM2 signing keys: key pairs, signatures, the proof's signature object, and registration on chain."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import gmssl_pyx  # type: ignore[import-untyped,unused-ignore]
import pytest

from ledger.certificates.merkle import keccak256
from ledger.chain.models import NO_END, KeyAlgorithm
from ledger.errors import LedgerValueError
from ledger.keys.signing import (
    POSSESSION_DOMAIN,
    SM2_SIGNER_ID,
    ForeignSigningKeyError,
    ProofOfPossessionError,
    RevokedSigningKeyError,
    SignatureFormatError,
    SigningKeyError,
    SigningKeyNotValidError,
    SigningKeyPair,
    UnregisteredSigningKeyError,
    WrongKeyAlgorithmError,
    algorithm_for_suite,
    b64url_decode,
    b64url_encode,
    check_signing_key,
    compute_key_id,
    generate,
    parse_root_signature,
    proof_of_possession_message,
    sign,
    sign_proof_of_possession,
    sign_root,
    verify,
    verify_proof_of_possession,
    verify_root_signature,
)
from tests.conftest import World

ALGORITHMS = [KeyAlgorithm.ED25519, KeyAlgorithm.SM2]
MESSAGE = "上海市市场监督管理局 — 营业执照".encode()
ROOT = bytes.fromhex("5f2b7c1e0d9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f3021120300")
AGENCY = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
OTHER_AGENCY = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
REGISTRY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123


@pytest.fixture(params=ALGORITHMS, ids=["Ed25519", "SM2"])
def key(request: pytest.FixtureRequest) -> SigningKeyPair:
    return generate(request.param)


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


# ---------------------------------------------------------------------------------------------------- key pairs


def test_generated_key_has_the_shape_the_contract_accepts(key: SigningKeyPair) -> None:
    assert len(key.private_key) == 32
    assert len(key.public_key) == (32 if key.algorithm is KeyAlgorithm.ED25519 else 64)
    assert key.key_id == keccak256(key.public_key)  # the fingerprint key files name it by
    assert key.key_id_hex == "0x" + key.key_id.hex()
    agency = bytes.fromhex(AGENCY[2:])
    assert key.key_id_for(AGENCY) == keccak256(agency + bytes([int(key.algorithm)]) + key.public_key)
    assert key.key_id_for(AGENCY.lower()) == key.key_id_for(AGENCY) != key.key_id_for(OTHER_AGENCY)
    assert generate(key.algorithm).public_key != key.public_key


def test_key_pair_repr_hides_the_private_key(key: SigningKeyPair) -> None:
    text = repr(key)
    assert key.private_key.hex() not in text
    assert repr(key.private_key) not in text
    assert "private_key" not in text


def test_key_pair_is_rebuilt_from_its_private_key(key: SigningKeyPair) -> None:
    assert SigningKeyPair.from_private_key(key.algorithm, key.private_key) == key


def test_sm2_public_key_derivation_matches_gmssl() -> None:
    for _ in range(10):
        public_key, private_key = gmssl_pyx.sm2_key_generate()
        assert SigningKeyPair.from_private_key(KeyAlgorithm.SM2, private_key).public_key == public_key


def test_key_pair_refuses_a_public_key_of_another_key(key: SigningKeyPair) -> None:
    other = generate(key.algorithm)
    with pytest.raises(LedgerValueError, match="does not match"):
        SigningKeyPair(key.algorithm, key.private_key, other.public_key)


@pytest.mark.parametrize(
    "algorithm, private_key",
    [
        (KeyAlgorithm.ED25519, b"\x01" * 31),
        (KeyAlgorithm.SM2, b"\x01" * 33),
        (KeyAlgorithm.SM2, bytes(32)),
        (KeyAlgorithm.SM2, (SM2_N - 1).to_bytes(32, "big")),
        (KeyAlgorithm.SM2, b"\xff" * 32),
        (KeyAlgorithm.NONE, b"\x01" * 32),
        (7, b"\x01" * 32),
    ],
)
def test_invalid_private_keys_and_algorithms_are_refused(algorithm: Any, private_key: bytes) -> None:
    with pytest.raises(LedgerValueError):
        SigningKeyPair.from_private_key(algorithm, private_key)


def test_private_keys_must_be_bytes() -> None:
    with pytest.raises(LedgerValueError, match="must be bytes"):
        SigningKeyPair.from_private_key(KeyAlgorithm.ED25519, 32)  # type: ignore[arg-type]
    with pytest.raises(LedgerValueError, match="must be bytes"):
        SigningKeyPair.from_private_key(KeyAlgorithm.SM2, "11" * 32)  # type: ignore[arg-type]


def test_unsupported_algorithms_cannot_generate_or_verify() -> None:
    with pytest.raises(LedgerValueError):
        generate(KeyAlgorithm.NONE)
    with pytest.raises(LedgerValueError):
        verify(KeyAlgorithm.NONE, b"\x00" * 32, MESSAGE, b"\x00" * 64)


@pytest.mark.parametrize(
    "suite, algorithm", [("default", KeyAlgorithm.ED25519), ("sm", KeyAlgorithm.SM2)], ids=["default", "sm"]
)
def test_suites_map_to_algorithms(suite: str, algorithm: KeyAlgorithm) -> None:
    assert algorithm_for_suite(suite) is algorithm


@pytest.mark.parametrize("suite", ["", "SM", "sha256", None])
def test_unknown_suites_are_refused(suite: Any) -> None:
    with pytest.raises(LedgerValueError, match="unknown proof suite"):
        algorithm_for_suite(suite)


# ---------------------------------------------------------------------------------------------------- signatures


def test_signature_verifies(key: SigningKeyPair) -> None:
    signature = sign(key, MESSAGE)
    assert verify(key.algorithm, key.public_key, MESSAGE, signature)
    assert verify(key.algorithm, key.public_key, b"", sign(key, b""))


def test_ed25519_matches_rfc8032_test_vector_1() -> None:
    key = SigningKeyPair.from_private_key(
        KeyAlgorithm.ED25519, bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    )
    assert key.public_key.hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    expected = (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
        "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    assert sign(key, b"").hex() == expected
    assert verify(KeyAlgorithm.ED25519, key.public_key, b"", bytes.fromhex(expected))


def test_sm2_signature_verifies_with_gmssl_directly() -> None:
    key = generate(KeyAlgorithm.SM2)
    signature = sign(key, MESSAGE)
    assert signature[0] == 0x30  # DER SEQUENCE { r, s }
    assert gmssl_pyx.sm2_verify(key.public_key, MESSAGE, signature, gmssl_pyx.SM2_DEFAULT_SIGNER_ID)
    assert gmssl_pyx.sm2_verify(key.public_key, MESSAGE, signature)  # the library's default id is the same
    assert SM2_SIGNER_ID == b"1234567812345678"


def test_sm2_signature_covers_the_signer_id() -> None:
    key = generate(KeyAlgorithm.SM2)
    signature = sign(key, MESSAGE)
    assert not gmssl_pyx.sm2_verify(key.public_key, MESSAGE, signature, b"8765432187654321")
    assert not gmssl_pyx.sm2_verify(key.public_key, MESSAGE, signature, None)


def test_gmssl_sm2_signature_verifies_with_ours() -> None:
    public_key, private_key = gmssl_pyx.sm2_key_generate()
    signature = gmssl_pyx.sm2_sign(private_key, public_key, MESSAGE, gmssl_pyx.SM2_DEFAULT_SIGNER_ID)
    assert verify(KeyAlgorithm.SM2, public_key, MESSAGE, signature)
    assert verify(KeyAlgorithm.SM2, b"\x04" + public_key, MESSAGE, signature)


def test_verification_fails_for_a_changed_message(key: SigningKeyPair) -> None:
    signature = sign(key, MESSAGE)
    assert not verify(key.algorithm, key.public_key, MESSAGE + b"\x00", signature)
    assert not verify(key.algorithm, key.public_key, flip(MESSAGE, 0), signature)
    assert not verify(key.algorithm, key.public_key, b"", signature)


def test_verification_fails_for_a_changed_signature(key: SigningKeyPair) -> None:
    signature = sign(key, MESSAGE)
    for index in (0, 5, len(signature) // 2, len(signature) - 1):
        assert not verify(key.algorithm, key.public_key, MESSAGE, flip(signature, index))


def test_verification_fails_for_another_key(key: SigningKeyPair) -> None:
    signature = sign(key, MESSAGE)
    assert not verify(key.algorithm, generate(key.algorithm).public_key, MESSAGE, signature)


def test_verification_fails_under_the_other_algorithm() -> None:
    ed, sm = generate(KeyAlgorithm.ED25519), generate(KeyAlgorithm.SM2)
    assert not verify(KeyAlgorithm.SM2, ed.public_key, MESSAGE, sign(ed, MESSAGE))
    assert not verify(KeyAlgorithm.ED25519, sm.public_key, MESSAGE, sign(sm, MESSAGE))


def _malformed(key: SigningKeyPair, signature: bytes) -> list[tuple[bytes, bytes]]:
    """(public key, signature) pairs with malformed bytes."""
    cases = [
        (key.public_key, b""),
        (key.public_key, signature[:-1]),
        (key.public_key, signature + b"\x00"),
        (key.public_key, b"\x00" * len(signature)),
        (key.public_key, b"\xff" * 200),
        (b"", signature),
        (key.public_key[:-1], signature),
        (key.public_key + b"\x00", signature),
        (b"\x00" * len(key.public_key), signature),
        (b"\xff" * len(key.public_key), signature),
    ]
    if key.algorithm is KeyAlgorithm.SM2:
        x, y = key.public_key[:32], key.public_key[32:]
        r_len = signature[3]
        r = signature[4 : 4 + r_len]
        s = signature[4 + r_len + 2 :]
        padded_r = b"\x02" + bytes([len(r) + 1]) + b"\x00" + r  # a non-minimal INTEGER encoding of r
        cases += [
            (b"\x03" + key.public_key, signature),  # 65 bytes without the 04 prefix
            (key.public_key[:32], signature),  # a bare x
            (b"\x02" + x, signature),  # compressed form: not accepted by the contract
            (x + flip(y, 31), signature),  # off the curve
            (key.public_key, b"\x30" + bytes([len(signature) - 1]) + padded_r + signature[4 + r_len :]),
            (key.public_key, b"\x30\x44\x02\x20" + (0).to_bytes(32, "big") + b"\x02\x20" + s[-32:].rjust(32, b"\0")),
            (key.public_key, b"\x30\x44\x02\x20" + SM2_N.to_bytes(32, "big") + b"\x02\x20" + b"\x01" * 32),
            (key.public_key, b"\x31" + signature[1:]),
        ]
    return cases


def test_verification_returns_false_for_malformed_bytes(key: SigningKeyPair) -> None:
    signature = sign(key, MESSAGE)
    for public_key, bad_signature in _malformed(key, signature):
        assert verify(key.algorithm, public_key, MESSAGE, bad_signature) is False


def test_verification_returns_false_for_values_that_are_not_bytes(key: SigningKeyPair) -> None:
    signature = sign(key, MESSAGE)
    assert verify(key.algorithm, None, MESSAGE, signature) is False  # type: ignore[arg-type]
    assert verify(key.algorithm, key.public_key, MESSAGE, "signature") is False  # type: ignore[arg-type]
    assert verify(key.algorithm, 32, MESSAGE, signature) is False  # type: ignore[arg-type]
    assert verify_root_signature(sign_root(key, ROOT, agency=AGENCY), ROOT, None) is False  # type: ignore[arg-type]


def test_sm2_key_in_65_byte_form_verifies() -> None:
    key = generate(KeyAlgorithm.SM2)
    assert verify(KeyAlgorithm.SM2, b"\x04" + key.public_key, MESSAGE, sign(key, MESSAGE))


# ---------------------------------------------------------------------------------------------------- proof.signature


def test_root_signature_object_has_the_documented_shape(key: SigningKeyPair) -> None:
    signature = sign_root(key, ROOT, agency=AGENCY)
    assert set(signature) == {"algorithm", "keyId", "value"}
    assert signature["algorithm"] == ("Ed25519" if key.algorithm is KeyAlgorithm.ED25519 else "SM2")
    assert signature["keyId"] == "0x" + key.key_id_for(AGENCY).hex()
    assert "=" not in signature["value"]
    raw = base64.urlsafe_b64decode(signature["value"] + "=" * (-len(signature["value"]) % 4))
    assert verify(key.algorithm, key.public_key, ROOT, raw)
    if key.algorithm is KeyAlgorithm.ED25519:
        assert len(raw) == 64
    parsed = parse_root_signature(signature)
    assert (parsed.algorithm, parsed.key_id, parsed.value) == (key.algorithm, key.key_id_for(AGENCY), raw)
    assert parsed.to_json() == signature


def test_root_signature_verifies(key: SigningKeyPair) -> None:
    signature = sign_root(key, ROOT, agency=AGENCY)
    assert verify_root_signature(signature, ROOT, key.public_key)
    assert verify_root_signature(signature, "0x" + ROOT.hex(), key.public_key)
    assert verify_root_signature(signature, ROOT, key.public_key, algorithm=key.algorithm)
    assert verify_root_signature(signature, ROOT, key.public_key, algorithm=key.algorithm, agency=AGENCY)


def test_root_signature_with_an_agency_checks_the_key_id_is_the_keys_id_for_that_agency(key: SigningKeyPair) -> None:
    signature = sign_root(key, ROOT, agency=AGENCY)
    assert not verify_root_signature(signature, ROOT, key.public_key, agency=OTHER_AGENCY)
    fingerprint = {**signature, "keyId": key.key_id_hex}
    assert not verify_root_signature(fingerprint, ROOT, key.public_key, agency=AGENCY)
    # Without an agency the caller vouches for the binding of keyId to the key (it read the key by that id).
    assert verify_root_signature(fingerprint, ROOT, key.public_key)
    with pytest.raises(LedgerValueError, match="agency"):
        verify_root_signature(signature, ROOT, key.public_key, agency="0x1234")


def test_root_signature_accepts_a_hex_root(key: SigningKeyPair) -> None:
    assert verify_root_signature(sign_root(key, "0x" + ROOT.hex(), agency=AGENCY), ROOT, key.public_key)


def test_root_signature_fails_for_another_root(key: SigningKeyPair) -> None:
    assert not verify_root_signature(sign_root(key, ROOT, agency=AGENCY), flip(ROOT, 31), key.public_key)


def test_root_signature_fails_for_another_key(key: SigningKeyPair) -> None:
    signature = sign_root(key, ROOT, agency=AGENCY)
    other = generate(key.algorithm)
    assert not verify_root_signature(signature, ROOT, other.public_key)
    # The other key's id with this key's signature value: the id matches, the signature does not.
    other_id = "0x" + other.key_id_for(AGENCY).hex()
    assert not verify_root_signature({**signature, "keyId": other_id}, ROOT, other.public_key, agency=AGENCY)


def test_root_signature_fails_for_an_algorithm_other_than_the_registered_one(key: SigningKeyPair) -> None:
    other = KeyAlgorithm.SM2 if key.algorithm is KeyAlgorithm.ED25519 else KeyAlgorithm.ED25519
    assert not verify_root_signature(sign_root(key, ROOT, agency=AGENCY), ROOT, key.public_key, algorithm=other)


def test_root_signature_fails_for_a_changed_value(key: SigningKeyPair) -> None:
    signature = sign_root(key, ROOT, agency=AGENCY)
    raw = b64url_decode(signature["value"])
    for changed in (flip(raw, 10), raw[:-1], raw + b"\x00", b"\x00"):
        assert not verify_root_signature({**signature, "value": b64url_encode(changed)}, ROOT, key.public_key)


def test_root_signature_fails_for_a_malformed_registered_key(key: SigningKeyPair) -> None:
    signature = sign_root(key, ROOT, agency=AGENCY)
    for public_key in (b"", key.public_key[:-1], b"\x00" * 64):
        key_id = "0x" + compute_key_id(key.algorithm, public_key, agency=AGENCY).hex()
        assert not verify_root_signature({**signature, "keyId": key_id}, ROOT, public_key, agency=AGENCY)


@pytest.mark.parametrize(
    "change",
    [
        {"algorithm": "ed25519"},
        {"algorithm": "ECDSA"},
        {"algorithm": None},
        {"algorithm": 1},
        {"keyId": "0x1234"},
        {"keyId": "0x" + "AB" * 32},
        {"keyId": "ab" * 32},
        {"keyId": "0x" + "zz" * 32},
        {"keyId": 5},
        {"value": ""},
        {"value": None},
        {"value": "AAAA===="},
        {"value": "AAE="},
        {"value": "ab+/"},
        {"value": "ab cd"},
        {"value": "A"},
        {"value": "AB"},  # non-canonical: the unused low bits of "B" are set
    ],
    ids=lambda change: f"{next(iter(change))}={next(iter(change.values()))!r}",
)
def test_malformed_signature_objects_raise(change: dict[str, Any]) -> None:
    signature = {**sign_root(generate(KeyAlgorithm.ED25519), ROOT, agency=AGENCY), **change}
    with pytest.raises(SignatureFormatError):
        verify_root_signature(signature, ROOT, b"\x00" * 32)


@pytest.mark.parametrize(
    "signature",
    [None, "Ed25519", ["Ed25519", "0x", "AA"], {}, {"algorithm": "Ed25519", "keyId": "0x" + "00" * 32}],
    ids=["null", "string", "list", "empty", "no value"],
)
def test_signatures_that_are_not_complete_objects_raise(signature: Any) -> None:
    with pytest.raises(SignatureFormatError):
        verify_root_signature(signature, ROOT, b"\x00" * 32)


def test_signature_objects_with_extra_fields_raise(key: SigningKeyPair) -> None:
    with pytest.raises(SignatureFormatError, match="unexpected created"):
        verify_root_signature(
            {**sign_root(key, ROOT, agency=AGENCY), "created": "2026-01-01T00:00:00Z"}, ROOT, key.public_key
        )


def test_signature_format_error_is_a_value_error() -> None:
    assert issubclass(SignatureFormatError, LedgerValueError)
    assert issubclass(SignatureFormatError, ValueError)


@pytest.mark.parametrize("root", [b"\x00" * 31, b"\x00" * 33, "0x1234", "00" * 32])
def test_roots_that_are_not_32_bytes_are_refused(key: SigningKeyPair, root: Any) -> None:
    with pytest.raises(LedgerValueError):
        sign_root(key, root, agency=AGENCY)
    with pytest.raises(LedgerValueError):
        verify_root_signature(sign_root(key, ROOT, agency=AGENCY), root, key.public_key)


def test_base64url_round_trip() -> None:
    for length in range(80):
        data = bytes(range(256))[:length]
        text = b64url_encode(data)
        assert "=" not in text and "+" not in text and "/" not in text
        assert b64url_decode(text) == data


# -------------------------------------------------------------------------------------------------- proof of possession


def test_the_proof_of_possession_message_has_the_documented_layout() -> None:
    key_id = keccak256(b"key")
    message = proof_of_possession_message(chain_id=31337, registry=REGISTRY, agency=AGENCY, key_id=key_id)
    assert message == (
        b"hurong/signing-key-possession/v1"
        + (31337).to_bytes(32, "big")
        + bytes.fromhex(REGISTRY[2:])
        + bytes.fromhex(AGENCY[2:])
        + key_id
    )
    assert len(message) == 136 and message[:32] == POSSESSION_DOMAIN
    assert (
        proof_of_possession_message(chain_id=31337, registry=REGISTRY.lower(), agency=AGENCY, key_id=key_id) == message
    )


def possession_args(**change: Any) -> dict[str, Any]:
    return {"chain_id": 31337, "registry": REGISTRY, "agency": AGENCY, **change}


def test_a_proof_of_possession_verifies_only_for_its_chain_registry_agency_and_key(key: SigningKeyPair) -> None:
    proof = sign_proof_of_possession(key, **possession_args())
    assert verify_proof_of_possession(key.algorithm, key.public_key, proof, **possession_args())
    assert not verify_proof_of_possession(key.algorithm, key.public_key, proof, **possession_args(chain_id=1))
    assert not verify_proof_of_possession(key.algorithm, key.public_key, proof, **possession_args(registry=AGENCY))
    assert not verify_proof_of_possession(key.algorithm, key.public_key, proof, **possession_args(agency=OTHER_AGENCY))
    other = generate(key.algorithm)
    assert not verify_proof_of_possession(key.algorithm, other.public_key, proof, **possession_args())
    assert not verify_proof_of_possession(
        key.algorithm, other.public_key, sign_proof_of_possession(key, **possession_args()), **possession_args()
    )
    # a signature of the same key over anything else is no proof
    for message in (ROOT, MESSAGE, key.key_id_for(AGENCY)):
        assert not verify_proof_of_possession(key.algorithm, key.public_key, sign(key, message), **possession_args())


def test_an_sm2_proof_of_possession_verifies_for_either_form_of_the_key() -> None:
    key = generate(KeyAlgorithm.SM2)
    proof = sign_proof_of_possession(key, **possession_args())
    assert verify_proof_of_possession(KeyAlgorithm.SM2, b"\x04" + key.public_key, proof, **possession_args())


def test_a_malformed_proof_of_possession_does_not_verify_and_does_not_raise(key: SigningKeyPair) -> None:
    proof = sign_proof_of_possession(key, **possession_args())
    bad_proofs: list[Any] = [b"", proof[:-1], proof + b"\x00", flip(proof, 5), None, "proof", 64]
    for bad in bad_proofs:
        assert verify_proof_of_possession(key.algorithm, key.public_key, bad, **possession_args()) is False
    bad_keys: list[Any] = [b"", key.public_key[:-1], None]
    for public_key in bad_keys:
        assert verify_proof_of_possession(key.algorithm, public_key, proof, **possession_args()) is False


@pytest.mark.parametrize(
    "change",
    [{"chain_id": 0}, {"chain_id": True}, {"chain_id": "31337"}, {"registry": "0x12"}, {"agency": None}],
    ids=["chain-0", "chain-bool", "chain-str", "registry", "agency"],
)
def test_a_proof_of_possession_for_a_malformed_context_raises(change: dict[str, Any]) -> None:
    key = generate(KeyAlgorithm.ED25519)
    with pytest.raises(LedgerValueError):
        sign_proof_of_possession(key, **possession_args(**change))
    with pytest.raises(LedgerValueError):
        verify_proof_of_possession(key.algorithm, key.public_key, b"\x00" * 64, **possession_args(**change))


# ---------------------------------------------------------------------------------------------------- on chain


def test_generated_keys_register_on_chain_and_verify_from_the_registry(world: World) -> None:
    agency = world.addr("sh_amr")
    for algorithm in ALGORITHMS:
        key = generate(algorithm)
        key_id = key.key_id_for(agency)
        receipt = world.as_("sh_amr").authorities.add_signing_key(agency, key).wait()
        assert receipt.event("SigningKeyAdded").args["keyId"] == key_id
        assert world.reader.authorities.key_id_of(agency, algorithm, key.public_key) == key_id
        registered = world.reader.authorities.signing_key(key_id)
        assert registered.key_id == key_id
        assert registered.agency == agency
        assert registered.algorithm is algorithm
        assert registered.public_key == key.public_key
        assert registered.valid_until == NO_END
        assert world.reader.authorities.is_key_valid_at(agency, key_id, world.now())
        assert not world.reader.authorities.is_key_valid_at(world.addr("zj_amr"), key_id, world.now())
        signature = sign_root(key, ROOT, agency=agency)
        assert signature["keyId"] == "0x" + key_id.hex()
        assert verify_root_signature(
            signature, ROOT, registered.public_key, algorithm=registered.algorithm, agency=registered.agency
        )
        assert check_signing_key(world.reader, agency, key_id, algorithm) == registered


def test_the_registry_and_the_library_agree_on_the_proof_of_possession_message(world: World) -> None:
    authorities = world.reader.authorities
    agency = world.addr("sh_amr")
    key_id = generate(KeyAlgorithm.ED25519).key_id_for(agency)
    assert authorities.proof_of_possession_message(agency, key_id) == proof_of_possession_message(
        chain_id=world.deployment.chain_id, registry=authorities.address, agency=agency, key_id=key_id
    )


def test_sm2_key_registered_in_65_byte_form_keeps_the_key_id(world: World) -> None:
    agency = world.addr("sh_amr")
    key = generate(KeyAlgorithm.SM2)
    uncompressed = b"\x04" + key.public_key
    key_id = key.key_id_for(agency)
    assert compute_key_id(KeyAlgorithm.SM2, uncompressed, agency=agency) == key_id
    assert world.reader.authorities.key_id_of(agency, KeyAlgorithm.SM2, uncompressed) == key_id
    proof = sign_proof_of_possession(
        key, chain_id=world.deployment.chain_id, registry=world.reader.authorities.address, agency=agency
    )
    world.as_("sh_amr").authorities.add_signing_key_with_proof(agency, KeyAlgorithm.SM2, uncompressed, proof).wait()
    registered = world.reader.authorities.signing_key(key_id)
    assert registered.public_key == key.public_key  # stored without the 04 prefix
    assert world.reader.authorities.is_key_valid_at(agency, key_id, world.now())
    signature = sign_root(key, ROOT, agency=agency)
    assert verify_root_signature(signature, ROOT, registered.public_key, algorithm=KeyAlgorithm.SM2, agency=agency)
    assert verify_root_signature(signature, ROOT, uncompressed, algorithm=KeyAlgorithm.SM2, agency=agency)


# ---------------------------------------------------------------------------------------------------- check_signing_key


def register(world: World, agency: str, key: SigningKeyPair, valid_from: int = 0, valid_until: int = 0) -> bytes:
    world.as_(agency).authorities.add_signing_key(world.addr(agency), key, valid_from, valid_until).wait()
    return key.key_id_for(world.addr(agency))


def test_check_signing_key_returns_a_key_that_can_sign_now(world: World) -> None:
    key = generate(KeyAlgorithm.SM2)
    key_id = register(world, "sh_amr", key)
    checked = check_signing_key(world.reader, world.addr("sh_amr"), "0x" + key_id.hex(), KeyAlgorithm.SM2)
    assert (checked.key_id, checked.agency, checked.public_key) == (key_id, world.addr("sh_amr"), key.public_key)
    assert check_signing_key(world.reader, world.addr("sh_amr").lower(), key_id, KeyAlgorithm.SM2) == checked


def test_check_signing_key_refuses_an_unregistered_key(world: World) -> None:
    key = generate(KeyAlgorithm.ED25519)
    agency = world.addr("sh_amr")
    with pytest.raises(UnregisteredSigningKeyError, match="not registered") as info:
        check_signing_key(world.reader, agency, key.key_id_for(agency), KeyAlgorithm.ED25519)
    assert (info.value.key_id, info.value.agency) == (key.key_id_for(agency), agency)
    register(world, "sh_amr", key)
    with pytest.raises(UnregisteredSigningKeyError):  # the fingerprint is not the registry's id
        check_signing_key(world.reader, agency, key.key_id, KeyAlgorithm.ED25519)


def test_check_signing_key_refuses_another_agencys_key(world: World) -> None:
    key = generate(KeyAlgorithm.ED25519)
    key_id = register(world, "zj_amr", key)
    with pytest.raises(ForeignSigningKeyError, match="registered to") as info:
        check_signing_key(world.reader, world.addr("sh_amr"), key_id, KeyAlgorithm.ED25519)
    assert info.value.owner == world.addr("zj_amr")
    assert info.value.agency == world.addr("sh_amr")


def test_check_signing_key_refuses_a_key_of_the_wrong_algorithm(world: World) -> None:
    key_id = register(world, "sh_amr", generate(KeyAlgorithm.ED25519))
    with pytest.raises(WrongKeyAlgorithmError, match="SM2 is needed") as info:
        check_signing_key(world.reader, world.addr("sh_amr"), key_id, algorithm_for_suite("sm"))
    assert (info.value.expected, info.value.actual) == (KeyAlgorithm.SM2, KeyAlgorithm.ED25519)


def test_check_signing_key_refuses_a_revoked_key_but_not_for_before_its_revocation(world: World) -> None:
    agency = world.addr("sh_amr")
    key_id = register(world, "sh_amr", generate(KeyAlgorithm.ED25519))
    world.advance(60)
    receipt = world.as_("sh_amr").authorities.revoke_signing_key(key_id).wait()
    revoked_at = int(world.reader.w3.eth.get_block(receipt.block_number)["timestamp"])
    with pytest.raises(RevokedSigningKeyError, match="revoked") as info:
        check_signing_key(world.reader, agency, key_id, KeyAlgorithm.ED25519)
    assert info.value.revoked_at == revoked_at
    with pytest.raises(RevokedSigningKeyError):
        check_signing_key(world.reader, agency, key_id, KeyAlgorithm.ED25519, at=revoked_at)
    before = datetime.fromtimestamp(revoked_at - 1, tz=UTC)
    assert check_signing_key(world.reader, agency, key_id, KeyAlgorithm.ED25519, at=before).key_id == key_id


def test_check_signing_key_refuses_a_time_outside_the_window(world: World) -> None:
    agency = world.addr("sh_amr")
    start = world.now() + 100
    key_id = register(world, "sh_amr", generate(KeyAlgorithm.ED25519), start, start + 100)
    with pytest.raises(SigningKeyNotValidError, match="not valid before") as info:
        check_signing_key(world.reader, agency, key_id, KeyAlgorithm.ED25519)  # now: not yet valid
    assert (info.value.valid_from, info.value.valid_until) == (start, start + 100)
    assert check_signing_key(world.reader, agency, key_id, KeyAlgorithm.ED25519, at=start).key_id == key_id
    with pytest.raises(SigningKeyNotValidError, match="expired"):
        check_signing_key(world.reader, agency, key_id, KeyAlgorithm.ED25519, at=start + 100)
    world.advance(300)
    with pytest.raises(SigningKeyNotValidError, match="expired"):  # expired, never revoked
        check_signing_key(world.reader, agency, key_id, KeyAlgorithm.ED25519)


@pytest.mark.parametrize(
    ("agency", "key_id", "algorithm", "at"),
    [
        ("sh_amr", "0x1234", KeyAlgorithm.ED25519, None),
        ("0x12", "0x" + "00" * 32, KeyAlgorithm.ED25519, None),
        ("sh_amr", "0x" + "00" * 32, KeyAlgorithm.NONE, None),
        ("sh_amr", "0x" + "00" * 32, KeyAlgorithm.ED25519, datetime(2026, 1, 1)),  # no UTC offset
        ("sh_amr", "0x" + "00" * 32, KeyAlgorithm.ED25519, -1),
        ("sh_amr", "0x" + "00" * 32, KeyAlgorithm.ED25519, "now"),
    ],
    ids=["key-id", "agency", "algorithm", "naive-time", "negative-time", "text-time"],
)
def test_check_signing_key_refuses_malformed_arguments(
    world: World, agency: str, key_id: str, algorithm: KeyAlgorithm, at: Any
) -> None:
    address = world.addr(agency) if agency in world.result.accounts else agency
    with pytest.raises(LedgerValueError) as info:
        check_signing_key(world.reader, address, key_id, algorithm, at=at)
    assert not isinstance(info.value, SigningKeyError)


def test_signing_key_errors_are_value_errors() -> None:
    for error in (
        UnregisteredSigningKeyError,
        ForeignSigningKeyError,
        WrongKeyAlgorithmError,
        RevokedSigningKeyError,
        SigningKeyNotValidError,
        ProofOfPossessionError,
    ):
        assert issubclass(error, LedgerValueError) and issubclass(error, ValueError)
    assert all(issubclass(e, SigningKeyError) for e in (UnregisteredSigningKeyError, SigningKeyNotValidError))
