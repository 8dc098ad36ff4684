"""Both implementations give the bytes and errors of the shared vectors (`tests/vectors/*.json`, written by the
reference with `python -m tests.vectors.generate`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).parents[1] / "vectors"


def load(name: str) -> list[dict[str, Any]]:
    return json.loads((VECTORS / name).read_text("ascii"))  # type: ignore[no-any-return]


def raises_as(expected: dict[str, str], exc: BaseException) -> None:
    assert (type(exc).__name__, str(exc)) == (expected["type"], expected["message"])


def unhex(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


@pytest.mark.parametrize("case", load("salting.json"), ids=lambda c: f"{c['name']}-{c['suite']}")
def test_salted_documents_hash_to_the_vectors(impl: Any, case: dict[str, Any]) -> None:
    salts = iter(case["salts"])
    if "error" in case:
        with pytest.raises(Exception) as caught:
            impl.salt_fields(case["document"], case["suite"], salt=lambda: next(salts))
        raises_as(case["error"], caught.value)
        return
    by_pointer, digest = impl.salt_fields(case["document"], case["suite"], salt=lambda: next(salts))
    assert list(by_pointer.items()) == [(pointer, salt) for pointer, salt, _ in case["fields"]]
    assert digest.hex() == case["digest"]
    values = dict(_fields(case["document"]))
    for pointer, salt, expected in case["fields"]:
        assert impl.field_hash(case["suite"], salt, pointer, values[pointer]).hex() == expected
    assert impl.combine(case["suite"], [bytes.fromhex(h) for _, _, h in case["fields"]]).hex() == case["digest"]


def _fields(document: dict[str, Any]) -> list[tuple[str, Any]]:
    from ledger.certificates.hashing import iter_fields

    return list(iter_fields(document))


def returns_or_raises(case: dict[str, Any], call: Any, key: str) -> None:
    """`call()` returns `case[key]`, or raises `case["error"]`."""
    if "error" in case:
        with pytest.raises(Exception) as caught:
            call()
        raises_as(case["error"], caught.value)
    else:
        assert call() == case[key]


@pytest.mark.parametrize("case", load("disclosure.json"), ids=lambda c: c["name"])
def test_disclosed_documents_recompute_the_vectors(impl: Any, case: dict[str, Any]) -> None:
    returns_or_raises(case, lambda: impl.recompute_digest(case["document"]).hex(), "digest")


@pytest.mark.parametrize("case", load("scalars.json"), ids=lambda c: repr(c["value"]))
def test_scalars_serialise_as_the_vectors(impl: Any, case: dict[str, Any]) -> None:
    returns_or_raises(case, lambda: impl.canonical_scalar(case["value"]), "canonical")


@pytest.mark.parametrize("case", load("merkle.json"), ids=lambda c: f"{len(c['digests'])}-leaves")
def test_trees_have_the_roots_and_proofs_of_the_vectors(impl: Any, case: dict[str, Any]) -> None:
    digests = unhex(case["digests"])
    tree = impl.MerkleTree(digests)
    root = bytes.fromhex(case["root"])
    assert tree.root == root
    assert len(tree) == len(digests)
    assert [d.hex() for d in tree.digests()] == case["order"]
    assert [impl.leaf_hash(d).hex() for d in digests] == case["leaves"]
    proofs = [unhex(p) for p in case["proofs"]]
    assert [tree.proof(d) for d in digests] == proofs
    assert tree.proofs(digests) == proofs
    for digest, proof in zip(digests, proofs, strict=True):
        assert digest in tree
        assert impl.verify(root, digest, proof)
        assert impl.process_proof(impl.leaf_hash(digest), proof) == root
    for multi in case["multi_proofs"]:
        leaves, proof, flags = tree.multi_proof(unhex(multi["of"]))
        assert [d.hex() for d in leaves] == multi["digests"]
        assert [h.hex() for h in proof] == multi["proof"]
        assert list(flags) == multi["flags"]
