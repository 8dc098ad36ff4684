"""The records the issuance journal hands back: batches and status changes (`ledger.issuance.journal`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BatchRecord:
    id: int
    agency: str
    chain_id: int
    registry: str
    root: bytes
    count: int
    suite: str
    manifest_cid: str
    state: str
    tx_hash: str | None
    block_number: int | None
    error: str | None
    created_at: float
    block_hash: str | None = None


@dataclass(frozen=True)
class StatusChangeRecord:
    """A status change the service sent: what, by whom, and where the chain applied it."""

    id: int
    agency: str
    chain_id: int
    registry: str
    signer: str
    action: str
    digest: bytes
    root: bytes
    proof: list[bytes]
    reason: int
    successor: bytes | None
    state: str
    tx_hash: str | None
    block_number: int | None
    block_hash: str | None
    error: str | None
    created_at: float
    updated_at: float
    #: Whether the change was ever confirmed (and so may have been answered to a client): never given up.
    acknowledged: bool

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> StatusChangeRecord:
        values = list(row)
        values[6], values[7] = bytes(values[6]), bytes(values[7])
        proof = bytes(values[8])
        values[8] = [proof[i : i + 32] for i in range(0, len(proof), 32)]
        values[10] = bytes(values[10]) if values[10] is not None else None
        values[18] = bool(values[18])
        return cls(*values)
