"""The native proofs of an issued batch (`complete_proofs`) are the reference's (`_py_wrap_batch`) to the byte: the
same keys in the same order, the same hex text, for every batch size, signed or not; bad input is refused."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.certificates.model import PROOF_TYPE
from ledger.errors import LedgerValueError
from ledger.issuance import pipeline
from ledger.issuance.pipeline import Salted, _py_wrap_batch
from tests.native.conftest import native

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _batch(n: int, seed: int) -> Salted:
    documents = [{"id": f"urn:uuid:{seed}-{i}", "credentialSubject": {"n": i}} for i in range(n)]
    salted = [({"/id": f"{i:032x}"}, hashlib.sha256(f"{seed}/{i}".encode()).digest()) for i in range(n)]
    return Salted(documents, salted)


def _both(n: int, seed: int, suite: str, signature: dict[str, Any] | None) -> tuple[list[bytes], list[bytes]]:
    ours, theirs = _batch(n, seed), _batch(n, seed)
    root, digests = pipeline.wrap_batch(ours, suite=suite, chain_id=31337, registry=REGISTRY, sign=lambda _: signature)
    expected = _py_wrap_batch(theirs, [d for _, d in theirs.salted], suite=suite, chain_id=31337, registry=REGISTRY,
                              sign=lambda _: signature)  # fmt: skip
    assert (root, digests) == expected
    return [orjson.dumps(d) for d in ours.documents], [orjson.dumps(d) for d in theirs.documents]


@pytest.mark.skipif(pipeline._native is None, reason="the issuer runs the reference (HURONG_NATIVE=0)")
@given(st.integers(1, 70), st.integers(0, 10**6), st.sampled_from(["default", "sm"]), st.booleans())
@settings(max_examples=60, deadline=None)
def test_native_proofs_are_the_references_for_any_batch(n: int, seed: int, suite: str, signed: bool) -> None:
    signature = {"keyId": "0x" + "cd" * 32, "algorithm": "ed25519", "value": "0x00"} if signed else None
    ours, theirs = _both(n, seed, suite, signature)
    assert ours == theirs


def test_a_batch_of_ten_thousand_equals_the_reference() -> None:
    if pipeline._native is None:
        pytest.skip("the issuer runs the reference (HURONG_NATIVE=0)")
    ours, theirs = _both(10_000, 7, "default", None)
    assert ours == theirs


def test_pairs_that_do_not_match_the_documents_or_the_tree_are_refused() -> None:
    batch = _batch(3, 1)
    tree = native.MerkleTree([d for _, d in batch.salted])
    with pytest.raises(LedgerValueError, match="one \\(salts, digest\\) pair and one tree leaf per document"):
        native.complete_proofs(batch.documents[:2], batch.salted, tree, PROOF_TYPE, "default", 1, REGISTRY)
    foreign = [*batch.salted[:2], ({}, b"\x01" * 32)]
    with pytest.raises(LedgerValueError, match="is not a leaf of this tree"):
        native.complete_proofs(batch.documents, foreign, tree, PROOF_TYPE, "default", 1, REGISTRY)
    with pytest.raises(TypeError):
        native.complete_proofs(batch.documents, [list(p) for p in batch.salted], tree, PROOF_TYPE, "default", 1, "r")
