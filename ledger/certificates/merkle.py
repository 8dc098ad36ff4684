"""Merkle trees byte-compatible with OpenZeppelin's `StandardMerkleTree` over `bytes32` leaves.

Leaf of a digest `d`: `keccak256(keccak256(abi.encode(d)))`; inner nodes hash the sorted pair of children;
leaves are sorted by hash and laid out as in `@openzeppelin/merkle-tree`, so roots and proofs are identical to
the JavaScript library's and verify with OpenZeppelin's `MerkleProof.sol` on chain.

`ReferenceMerkleTree` and the functions named `_py_*` are the reference; `MerkleTree` and the public functions
run the native core (`ledger.certificates.native`) when it is in use, with the same bytes and exceptions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ledger.certificates.native import native as _native
from ledger.errors import LedgerValueError

try:  # C implementation (safe-pysha3), ~4x faster than pycryptodome's
    from sha3 import keccak_256 as _keccak_256  # type: ignore[import-untyped,import-not-found,unused-ignore]

    def keccak256(data: bytes) -> bytes:
        return bytes(_keccak_256(data).digest())

except ImportError:  # pragma: no cover
    from Crypto.Hash import keccak as _keccak

    def keccak256(data: bytes) -> bytes:
        return _keccak.new(digest_bits=256, data=data).digest()


def _py_leaf_hash(digest: bytes) -> bytes:
    """`keccak256(bytes.concat(keccak256(abi.encode(digest))))` for a `bytes32` digest."""
    if len(digest) != 32:
        raise LedgerValueError(f"a Merkle leaf digest must be 32 bytes, got {len(digest)}")
    return keccak256(keccak256(digest))


def _py_hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak256(a + b) if a < b else keccak256(b + a)


def _py_process_proof(leaf: bytes, proof: Iterable[bytes]) -> bytes:
    node = leaf
    for sibling in proof:
        node = _py_hash_pair(node, sibling)
    return node


def _py_verify(root: bytes, digest: bytes, proof: Sequence[bytes]) -> bool:
    """Whether `proof` leads from `digest`'s leaf to `root` (as `MerkleProof.verify`)."""
    return _py_process_proof(_py_leaf_hash(digest), proof) == root


@dataclass(frozen=True)
class MultiProof:
    """An OpenZeppelin multi-proof: `digests` in the order `MerkleProof.multiProofVerify` expects."""

    digests: tuple[bytes, ...]
    proof: tuple[bytes, ...]
    proof_flags: tuple[bool, ...]


class ReferenceMerkleTree:
    """A complete tree over distinct `bytes32` digests (the `StandardMerkleTree` array layout)."""

    def __init__(self, digests: Sequence[bytes]) -> None:
        if not digests:
            raise LedgerValueError("a Merkle tree needs at least one leaf")
        leaves = sorted((_py_leaf_hash(d), d) for d in digests)
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
            tree[i] = _py_hash_pair(tree[2 * i + 1], tree[2 * i + 2])
        self._tree = tree
        self._digest_at = {position: digest for digest, position in self._index.items()}

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

    def proofs(self, digests: Iterable[bytes]) -> list[list[bytes]]:
        """The proof of each digest, in order."""
        return [self.proof(digest) for digest in digests]

    def multi_proof(self, digests: Iterable[bytes]) -> tuple[tuple[bytes, ...], tuple[bytes, ...], tuple[bool, ...]]:
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
        return tuple(self._digest_at[i] for i in indices), tuple(proof), tuple(flags)


class MerkleTree:
    """A complete tree over distinct `bytes32` digests (the `StandardMerkleTree` array layout), built by the
    native core where it is in use, else by `ReferenceMerkleTree`."""

    __slots__ = ("_tree",)

    def __init__(self, digests: Sequence[bytes]) -> None:
        if not digests:
            raise LedgerValueError("a Merkle tree needs at least one leaf")
        self._tree = _native.MerkleTree(digests) if _native else ReferenceMerkleTree(digests)

    @classmethod
    def from_digests(cls, digests: Iterable[bytes]) -> MerkleTree:
        return cls(list(digests))

    def __len__(self) -> int:
        return len(self._tree)

    def __contains__(self, digest: object) -> bool:
        return digest in self._tree

    def digests(self) -> list[bytes]:
        """The leaves' digests in tree order (the order of `StandardMerkleTree` values after sorting)."""
        return self._tree.digests()

    @property
    def root(self) -> bytes:
        return self._tree.root

    def proof(self, digest: bytes) -> list[bytes]:
        """The sibling path from `digest`'s leaf to the root."""
        return self._tree.proof(digest)

    def proofs(self, digests: Iterable[bytes]) -> list[list[bytes]]:
        """The proof of each digest, in order (a whole batch at once)."""
        return self._tree.proofs(digests)

    def multi_proof(self, digests: Iterable[bytes]) -> MultiProof:
        """A multi-proof for several leaves (as `StandardMerkleTree.getMultiProof`)."""
        return MultiProof(*self._tree.multi_proof(digests))


# Public entry points: the native core where it is in use, else the reference.
leaf_hash: Callable[[bytes], bytes] = _native.leaf_hash if _native else _py_leaf_hash
hash_pair: Callable[[bytes, bytes], bytes] = _native.hash_pair if _native else _py_hash_pair
process_proof: Callable[[bytes, Iterable[bytes]], bytes] = _native.process_proof if _native else _py_process_proof
verify: Callable[[bytes, bytes, Sequence[bytes]], bool] = _native.verify if _native else _py_verify
