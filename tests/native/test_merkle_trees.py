"""Native Merkle trees are the reference's: the same nodes, order, proofs and errors for every size."""

from __future__ import annotations

import hashlib
import random

import pytest

from tests.native.conftest import REFERENCE, native, outcome


def digests(n: int, seed: int = 0) -> list[bytes]:
    return [hashlib.sha256(f"{seed}/{i}".encode()).digest() for i in range(n)]


def assert_same_tree(leaves: list[bytes]) -> None:
    ours, reference = native.MerkleTree(leaves), REFERENCE.MerkleTree(leaves)
    assert ours.root == reference.root
    assert ours.digests() == reference.digests()
    assert ours.proofs(leaves) == reference.proofs(leaves)
    rng = random.Random(len(leaves))
    for _ in range(3):
        subset = rng.sample(leaves, rng.randint(1, len(leaves)))
        assert ours.multi_proof(subset) == reference.multi_proof(subset)


def test_trees_of_1_to_300_leaves_equal_the_reference() -> None:
    for n in range(1, 301):
        assert_same_tree(digests(n, seed=n))


@pytest.mark.parametrize("n", [2047, 2048, 2049, 5000, 20_000])
def test_large_trees_built_on_all_cores_equal_the_reference(n: int) -> None:
    assert_same_tree(digests(n))


def test_every_native_proof_verifies_in_both() -> None:
    leaves = digests(777)
    tree = native.MerkleTree(leaves)
    for leaf, proof in zip(leaves, tree.proofs(leaves), strict=True):
        assert native.verify(tree.root, leaf, proof)
        assert REFERENCE.verify(tree.root, leaf, proof)
        assert not native.verify(tree.root, leaf, proof[:-1])


@pytest.mark.parametrize(
    "leaves",
    [[], [b"short"], [b"\0" * 32, b"\0" * 33], digests(5) + digests(5)[2:3], [b"\1" * 32] * 2],
    ids=["empty", "short", "long", "duplicate", "all-duplicate"],
)
def test_bad_leaves_are_refused_the_same_way(leaves: list[bytes]) -> None:
    assert outcome(native.MerkleTree, leaves)[:3] == outcome(REFERENCE.MerkleTree, leaves)[:3]


def test_unknown_leaves_are_refused_the_same_way() -> None:
    leaves = digests(9)
    stranger = hashlib.sha256(b"stranger").digest()
    for tree in (native.MerkleTree(leaves), REFERENCE.MerkleTree(leaves)):
        assert stranger not in tree
        assert leaves[3] in tree
    for method in ("proof", "proofs", "multi_proof"):
        arg = stranger if method == "proof" else [stranger]
        expected = outcome(getattr(REFERENCE.MerkleTree(leaves), method), arg)
        assert outcome(getattr(native.MerkleTree(leaves), method), arg) == expected
    assert outcome(native.MerkleTree(leaves).multi_proof, []) == outcome(REFERENCE.MerkleTree(leaves).multi_proof, [])


def test_pairs_and_paths_hash_the_same() -> None:
    a, b = digests(2)
    assert native.hash_pair(a, b) == REFERENCE.hash_pair(a, b) == native.hash_pair(b, a)
    assert native.hash_pair(b"", b"x") == REFERENCE.hash_pair(b"", b"x")
    assert native.process_proof(a, [b, a]) == REFERENCE.process_proof(a, [b, a])
    assert outcome(native.leaf_hash, b"x") == outcome(REFERENCE.leaf_hash, b"x")
