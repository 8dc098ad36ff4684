"""Merkle trees byte-compatible with OpenZeppelin's `StandardMerkleTree` over `bytes32` leaves.

Leaf of a digest `d`: `keccak256(keccak256(abi.encode(d)))`; inner nodes hash the sorted pair of children;
leaves are sorted by hash and laid out as in `@openzeppelin/merkle-tree`, so roots and proofs are identical to
the JavaScript library's and verify with OpenZeppelin's `MerkleProof.sol` on chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.errors import LedgerValueError

try:  # C implementation (safe-pysha3), ~4x faster than pycryptodome's
    from sha3 import keccak_256 as _keccak_256  # type: ignore[import-untyped,import-not-found,unused-ignore]

    def keccak256(data: bytes) -> bytes:
        return bytes(_keccak_256(data).digest())

except ImportError:  # pragma: no cover
    from Crypto.Hash import keccak as _keccak

    def keccak256(data: bytes) -> bytes:
        return _keccak.new(digest_bits=256, data=data).digest()


def leaf_hash(digest: bytes) -> bytes:
    """`keccak256(bytes.concat(keccak256(abi.encode(digest))))` for a `bytes32` digest."""
    if len(digest) != 32:
        raise LedgerValueError(f"a Merkle leaf digest must be 32 bytes, got {len(digest)}")
    return keccak256(keccak256(digest))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak256(a + b) if a < b else keccak256(b + a)


def process_proof(leaf: bytes, proof: Iterable[bytes]) -> bytes:
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


def verify(root: bytes, digest: bytes, proof: Sequence[bytes]) -> bool:
    """Whether `proof` leads from `digest`'s leaf to `root` (as `MerkleProof.verify`)."""
    return process_proof(leaf_hash(digest), proof) == root


@dataclass(frozen=True)
class MultiProof:
    """An OpenZeppelin multi-proof: `digests` in the order `MerkleProof.multiProofVerify` expects."""

    digests: tuple[bytes, ...]
    proof: tuple[bytes, ...]
    proof_flags: tuple[bool, ...]


class MerkleTree:
    """A complete tree over distinct `bytes32` digests (the `StandardMerkleTree` array layout)."""

    def __init__(self, digests: Sequence[bytes]) -> None:
        if not digests:
            raise LedgerValueError("a Merkle tree needs at least one leaf")
        leaves = sorted((leaf_hash(d), d) for d in digests)
        n = len(leaves)
        tree: list[bytes] = [b""] * (2 * n - 1)
        self._index: dict[bytes, int] = {}
        for i, (leaf, digest) in enumerate(leaves):
            position = len(tree) - 1 - i
            tree[position] = leaf
            if digest in self._index:
                raise LedgerValueError(f"duplicate digest 0x{digest.hex()} in a batch")
            self._index[digest] = position
        for i in range(len(tree) - 1 - n, -1, -1):
            tree[i] = hash_pair(tree[2 * i + 1], tree[2 * i + 2])
        self._tree = tree
        self._digest_at = {position: digest for digest, position in self._index.items()}

    @classmethod
    def from_digests(cls, digests: Iterable[bytes]) -> MerkleTree:
        return cls(list(digests))

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, digest: object) -> bool:
        return digest in self._index

    def digests(self) -> list[bytes]:
        """The leaves' digests in tree order (the order of `StandardMerkleTree` values after sorting)."""
        return [self._digest_at[i] for i in range(len(self._tree) - 1, len(self._tree) - 1 - len(self), -1)]

    @property
    def root(self) -> bytes:
        return self._tree[0]

    def _position(self, digest: bytes) -> int:
        try:
            return self._index[digest]
        except KeyError:
            raise LedgerValueError(f"0x{digest.hex()} is not a leaf of this tree") from None

    def proof(self, digest: bytes) -> list[bytes]:
        """The sibling path from `digest`'s leaf to the root."""
        i = self._position(digest)
        path: list[bytes] = []
        while i > 0:
            path.append(self._tree[i + 1 if i % 2 else i - 1])
            i = (i - 1) // 2
        return path

    def multi_proof(self, digests: Iterable[bytes]) -> MultiProof:
        """A multi-proof for several leaves (as `StandardMerkleTree.getMultiProof`)."""
        indices = sorted({self._position(d) for d in digests}, reverse=True)
        if not indices:
            raise LedgerValueError("a multi-proof needs at least one leaf")
        stack = list(indices)
        proof: list[bytes] = []
        flags: list[bool] = []
        head = 0
        while head < len(stack) and stack[head] > 0:
            j = stack[head]
            head += 1
            sibling = j + 1 if j % 2 else j - 1
            if head < len(stack) and stack[head] == sibling:
                flags.append(True)
                head += 1
            else:
                flags.append(False)
                proof.append(self._tree[sibling])
            stack.append((j - 1) // 2)
        return MultiProof(tuple(self._digest_at[i] for i in indices), tuple(proof), tuple(flags))
