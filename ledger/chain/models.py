"""Domain snapshots read from the contracts, as frozen dataclasses, and the contracts' enums."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ProvinceStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    REMOVED = 3


class ProposalState(IntEnum):
    NONE = 0
    PENDING = 1
    APPROVED = 2
    EXECUTED = 3
    EXPIRED = 4
    CANCELLED = 5


class AgencyStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2


class KeyAlgorithm(IntEnum):
    NONE = 0
    ED25519 = 1
    SM2 = 2


class CertificateStatus(IntEnum):
    VALID = 0
    SUSPENDED = 1
    REVOKED = 2
    SUPERSEDED = 3


#: `uint48` maximum: "no end" for validity windows.
NO_END = 2**48 - 1


@dataclass(frozen=True)
class Province:
    code: int
    status: ProvinceStatus
    status_since: int
    epoch: int
    name: str
    admins: tuple[str, ...]


@dataclass(frozen=True)
class Proposal:
    id: int
    proposer: int
    state: ProposalState
    created_at: int
    expires_at: int
    target: str
    data: bytes
    description: str
    voters: tuple[int, ...]


@dataclass(frozen=True)
class Agency:
    account: str
    parent: str | None
    province: int
    region: int
    depth: int
    status: AgencyStatus
    effectively_active: bool
    name: str
    children: tuple[str, ...]
    certificate_types: tuple[str, ...]


@dataclass(frozen=True)
class SigningKey:
    key_id: bytes
    agency: str
    algorithm: KeyAlgorithm
    valid_from: int
    valid_until: int
    public_key: bytes


@dataclass(frozen=True)
class Batch:
    agency: str
    root: bytes
    anchored_at: int
    count: int
    revoked_at: int | None
    revoke_reason: int

    @property
    def anchored(self) -> bool:
        return self.anchored_at != 0

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class StatusRecord:
    status: CertificateStatus
    reason: int
    updated_at: int
    successor: bytes | None


@dataclass(frozen=True)
class RecognitionRule:
    id: int
    accepting_province: int
    issuing_province: int | None
    certificate_type: str | None
    service_item: str | None
    effective_from: int
    effective_until: int
    created_at: int
    revoked_at: int | None
    legal_basis: str

    def in_force_at(self, timepoint: int) -> bool:
        return self.effective_from <= timepoint < self.effective_until and (
            self.revoked_at is None or timepoint < self.revoked_at
        )
