"""Batch sealing and licence keys (`DocumentSealer.seal_many`, `licence_keys`): the native core's bytes are the
reference's (`cryptography`'s AES-256-GCM for the nonce it drew, `hmac` of the JSON text `json` writes), what it
seals opens with the reference and nowhere else, and any changed byte is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import LedgerValueError
from ledger.issuance import sealing
from ledger.issuance.sealing import DocumentSealer

KEY = b"\x07" * 32
AGENCY = "0xA"

IMPLEMENTATIONS = ["reference"] + (["native"] if sealing._NATIVE is not None else [])

#: Every character, lone surrogates included, and the ones JSON escapes or writes as they are.
_CHARACTERS = st.characters(exclude_categories=()) | st.sampled_from('"\\/\x00\x08\x1f\x7f\u2028中文𠀀')
#: Text UTF-8 holds (no lone surrogate): what a document may carry.
_TEXT = st.text(st.characters(exclude_categories=("Cs",)) | st.sampled_from('"\\\x00\x1f中𠀀'), max_size=40)
#: Integers beyond 64 bits above only: `loads_exact` reads one of 19 digits below -2**63 as a float.
_NUMBERS = st.integers(-(2**63), 2**80) | st.floats(allow_nan=False, allow_infinity=False)
_SCALARS = st.none() | st.booleans() | _NUMBERS | _TEXT
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4))
_DOCUMENTS = st.lists(st.dictionaries(_TEXT, _JSON, max_size=6), max_size=8)


@pytest.fixture(params=IMPLEMENTATIONS)
def sealer(request: pytest.FixtureRequest) -> DocumentSealer:
    return DocumentSealer(KEY, AGENCY, native=request.param == "native")


def _reference() -> DocumentSealer:
    return DocumentSealer(KEY, AGENCY, native=False)


def _documents(count: int, big: int = 2**64) -> list[dict[str, Any]]:
    """Documents with text to escape, CJK, and an integer `big` (orjson refuses one beyond 64 bits)."""
    return [{"id": f"urn:uuid:{i}", "credentialSubject": {"name": '张三"\\\n]},' * (i % 5), "n": i, "big": big + i}}
            for i in range(count)]  # fmt: skip


def _check_sealed(digests: list[bytes], documents: list[dict[str, Any]], sealed: list[bytes]) -> None:
    """Each sealed document is the reference's for its nonce and opens with the reference to the document."""
    reference = _reference()
    assert len(sealed) == len(documents)
    for digest, document, blob in zip(digests, documents, sealed, strict=True):
        nonce = blob[1:13]
        assert blob == reference.seal_text(digest, sealing.json_text(document), nonce)
        assert reference.open(digest, blob) == document


@given(_DOCUMENTS)
@settings(max_examples=150, deadline=None)
def test_sealed_documents_are_the_references_bytes_and_open_with_it(documents: list[dict[str, Any]]) -> None:
    digests = [os.urandom(32) for _ in documents]
    for native in (False, True):
        sealed = DocumentSealer(KEY, AGENCY, native=native).seal_many(digests, documents)
        _check_sealed(digests, documents, sealed)


@pytest.mark.parametrize("big", [2**64, 2**63 - 10_000])
@pytest.mark.parametrize("count", [0, 1, 63, 64, 1000])
def test_a_batch_of_any_size_seals_each_document_with_its_own_nonce(
    sealer: DocumentSealer, count: int, big: int
) -> None:
    documents = _documents(count, big)
    digests = [hashlib.sha256(str(i).encode()).digest() for i in range(count)]
    sealed = sealer.seal_many(digests, documents)
    _check_sealed(digests, documents, sealed)
    assert len({blob[1:13] for blob in sealed}) == count  # fresh nonces, never one reused
    opened = [sealer.open(d, s) for d, s in zip(digests, sealed, strict=True)]
    assert type(opened[0]["credentialSubject"]["big"]) is int if count else opened == []


def test_a_changed_byte_or_another_digest_or_key_is_refused(sealer: DocumentSealer) -> None:
    [document] = _documents(1)
    digest = b"\x01" * 32
    [blob] = sealer.seal_many([digest], [document])
    assert sealer.open(digest, blob) == document
    with pytest.raises(LedgerValueError, match="does not open"):
        sealer.open(b"\x02" * 32, blob)  # another certificate's digest as associated data
    with pytest.raises(LedgerValueError, match="does not open"):
        DocumentSealer(KEY, "0xB").open(digest, blob)  # another agency's key
    with pytest.raises(LedgerValueError, match="unknown format"):
        sealer.open(digest, b"\x02" + blob[1:])
    for position in range(1, len(blob)):  # nonce, ciphertext and tag
        for bit in (0, 7):
            changed = bytearray(blob)
            changed[position] ^= 1 << bit
            with pytest.raises(LedgerValueError, match="does not open"):
                sealer.open(digest, bytes(changed))
    with pytest.raises(LedgerValueError, match="does not open"):
        sealer.open(digest, blob[:-1])


def test_one_digest_per_document(sealer: DocumentSealer) -> None:
    with pytest.raises(LedgerValueError, match="one digest per document"):
        sealer.seal_many([b"\x01" * 32], _documents(2))


def test_a_document_json_cannot_write_is_refused_alike(sealer: DocumentSealer) -> None:
    with pytest.raises(UnicodeEncodeError):
        sealer.seal_many([b"\x01" * 32], [{"name": "\ud800"}])


def _expected_key(kind: str, number: str) -> bytes:
    message = json.dumps([kind, number], ensure_ascii=False, separators=(",", ":")).encode()
    return hmac.new(_reference()._licence_key, message, hashlib.sha256).digest()


@given(st.lists(st.tuples(st.text(_CHARACTERS, max_size=12), st.text(_CHARACTERS, max_size=12)), max_size=80))
@settings(max_examples=300, deadline=None)
def test_licence_keys_are_the_hmac_of_the_json_text_json_writes(pairs: list[tuple[str, str]]) -> None:
    documents = [{"credentialSubject": {"certificateType": k, "licenceNumber": n}} for k, n in pairs]
    try:
        expected: list[bytes | None] = [_expected_key(k, n) for k, n in pairs]
    except UnicodeEncodeError:  # a lone surrogate: refused alike
        for native in (False, True):
            with pytest.raises(UnicodeEncodeError):
                DocumentSealer(KEY, AGENCY, native=native).licence_keys(documents)
        return
    for native in (False, True):
        keyed = DocumentSealer(KEY, AGENCY, native=native)
        assert keyed.licence_keys(documents) == expected
        assert [keyed.licence_key(d) for d in documents] == expected


def test_a_document_naming_no_licence_has_no_key(sealer: DocumentSealer) -> None:
    documents: list[Any] = [
        {"credentialSubject": {"certificateType": "FOOD", "licenceNumber": "JY1"}},
        {"credentialSubject": {"certificateType": "FOOD"}},
        {"credentialSubject": {"certificateType": "FOOD", "licenceNumber": 7}},
        {"credentialSubject": "FOOD"},
        {},
        "not an object",
        None,
    ]
    keys = sealer.licence_keys(documents * 20)  # past the size keyed on all cores
    assert keys[:7] == [_expected_key("FOOD", "JY1"), None, None, None, None, None, None]
    assert keys == keys[:7] * 20
    assert sealer.licence_keys([]) == []


@given(_DOCUMENTS)
@settings(max_examples=100, deadline=None)
def test_an_array_text_is_its_documents_texts_between_brackets(documents: list[dict[str, Any]]) -> None:
    assert sealing.json_array(documents) == b"[" + b",".join(sealing.json_text(d) for d in documents) + b"]"
    assert sealing.json_array(tuple(documents)) == sealing.json_array(documents)


@pytest.mark.skipif(sealing._NATIVE is None, reason="the native core is not built (scripts/build-native.sh)")
@pytest.mark.parametrize(
    ("digests", "text", "message"),
    [
        ([b"d"], b'{"a":1}', "not the JSON text of an array"),
        ([b"d"], b'[{"a":"]}', "not the JSON text of an array"),
        ([b"d"], b'[{"a":1}]]', "not the JSON text of an array"),
        ([b"d", b"e"], b'[{"a":1}]', "one digest per document"),
        (["d"], b'[{"a":1}]', "a digest must be bytes"),
    ],
)
def test_the_native_core_refuses_what_is_not_one_document_per_digest(
    digests: list[Any], text: bytes, message: str
) -> None:
    assert sealing._NATIVE is not None
    with pytest.raises(LedgerValueError, match=message):
        sealing._NATIVE.seal_batch(KEY, digests, text)
    with pytest.raises(LedgerValueError, match="32 bytes"):
        sealing._NATIVE.seal_batch(KEY[:16], [b"d"], b"[{}]")
