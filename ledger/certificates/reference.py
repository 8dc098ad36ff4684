"""The pure-Python reference of the hashing and Merkle core, whichever implementation the package runs.

The native core (`hurong_native`) must give the same bytes and raise the same exceptions; the shared vectors
in `tests/vectors/` are written from this module and both implementations are tested against them.
"""

from __future__ import annotations

from ledger.certificates.hashing import _py_canonical_scalar as canonical_scalar
from ledger.certificates.hashing import _py_combine as combine
from ledger.certificates.hashing import _py_field_hash as field_hash
from ledger.certificates.hashing import _py_new_salt as new_salt
from ledger.certificates.hashing import _py_recompute_digest as recompute_digest
from ledger.certificates.hashing import _py_salt_documents as salt_documents
from ledger.certificates.hashing import _py_salt_fields as salt_fields
from ledger.certificates.merkle import ReferenceMerkleTree as MerkleTree
from ledger.certificates.merkle import _py_hash_pair as hash_pair
from ledger.certificates.merkle import _py_leaf_hash as leaf_hash
from ledger.certificates.merkle import _py_process_proof as process_proof
from ledger.certificates.merkle import _py_verify as verify

__all__ = [
    "MerkleTree",
    "canonical_scalar",
    "combine",
    "field_hash",
    "hash_pair",
    "leaf_hash",
    "new_salt",
    "process_proof",
    "recompute_digest",
    "salt_documents",
    "salt_fields",
    "verify",
]
