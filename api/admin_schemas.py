"""Request and response bodies of the administration API: governance, agencies, signing keys, recognition rules
and API keys.

Field names are camelCase in JSON (the VC documents are), province and region codes are strings (`"310000"`),
addresses are EIP-55 checksummed. A refused field is answered 422 with its JSON Pointer and one of the codes
raised here (`invalid_province_code`, `invalid_region_code`, `invalid_address`, `unknown_certificate_type`, …).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from eth_utils import is_address, is_checksum_address, to_checksum_address
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from ledger.certificates import regions
from ledger.certificates.catalogue import grantable_types
from ledger.chain.codes import encode_code, is_province_code
from ledger.errors import LedgerValueError

_HEX = re.compile(r"^0x(?:[0-9a-fA-F]{2})+$")
_UINT48 = 2**48


class _In(BaseModel):
    """A request body: camelCase names, nothing beyond the declared fields."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False)


class _Out(BaseModel):
    """A response body: camelCase names in JSON."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# ---------------------------------------------------------------------------------------------------- fields


def _province(value: str) -> str:
    shaped = len(value) == 6 and value.isascii() and value.isdigit() and is_province_code(int(value))
    if not (shaped and regions.is_province(value)):
        raise PydanticCustomError(
            "invalid_province_code", "{value} is not a GB/T 2260 province-level code like 310000", {"value": value}
        )
    return value


def _region(value: str) -> str:
    if not (len(value) == 6 and value.isascii() and value.isdigit() and regions.is_current(value)):
        raise PydanticCustomError(
            "invalid_region_code", "{value} is not a current GB/T 2260 division code like 310115", {"value": value}
        )
    return value


def checksummed(value: str) -> str | None:
    """The checksummed form of an address: all lower or upper case hex, or mixed case that is its EIP-55
    checksum; None for anything else."""
    if not is_address(value) or not value.startswith("0x"):
        return None
    digits = value[2:]
    if digits not in (digits.lower(), digits.upper()) and not is_checksum_address(value):
        return None
    return str(to_checksum_address(value))


def _address(value: str) -> str:
    found = checksummed(value)
    if found is None or int(value, 16) == 0:
        raise PydanticCustomError(
            "invalid_address",
            "{value} is not an account address (0x and 40 hex digits; mixed case must be the EIP-55 checksum)",
            {"value": value[:64]},
        )
    return found


def _known_type(value: str) -> str:
    known = set(grantable_types())
    if value not in known:
        raise PydanticCustomError(
            "unknown_certificate_type",
            "unknown certificate type {value}; known: {known}",
            {"value": value[:64], "known": ", ".join(sorted(known))},
        )
    return value


def _code(value: str) -> str:
    try:
        encode_code(value, what="service item")
    except LedgerValueError as exc:
        raise PydanticCustomError("invalid_code", str(exc)) from None
    return value


def _hex(value: str) -> str:
    if not _HEX.fullmatch(value):
        raise PydanticCustomError("invalid_hex", "expected 0x followed by an even number of hex digits")
    return value.lower()


def _utf8_at_most(limit: int) -> Any:
    def check(value: str) -> str:
        if len(value.encode()) > limit:
            raise PydanticCustomError("too_long", "at most {limit} bytes of UTF-8", {"limit": limit})
        return value

    return AfterValidator(check)


ProvinceCode = Annotated[
    str, AfterValidator(_province), Field(description="GB/T 2260 province-level code", examples=["310000"])
]
RegionCode = Annotated[
    str, AfterValidator(_region), Field(description="GB/T 2260 division code (any level)", examples=["310115"])
]
Address = Annotated[
    str,
    AfterValidator(_address),
    Field(description="Account address", examples=["0x90F79bf6EB2c4f870365E785982E1f101E93b906"]),
]
CertificateType = Annotated[
    str, AfterValidator(_known_type), Field(description="Certificate type code", examples=["business_licence"])
]
ServiceItem = Annotated[
    str, AfterValidator(_code), Field(description="Service item code", examples=["company-registration"])
]
HexBytes = Annotated[str, AfterValidator(_hex), Field(max_length=2 + 2 * 256, examples=["0x4f1c…"])]
Timestamp = Annotated[int, Field(ge=0, lt=_UINT48, description="Unix time in seconds (0: now / no end)")]


# ---------------------------------------------------------------------------------------------------- writes


class TransactionOut(_Out):
    step: str = Field(description="What the transaction did", examples=["propose", "vote", "execute"])
    transaction_hash: str
    block_number: int


class WriteOut(_Out):
    """What every write answers: its last transaction, once mined, and every transaction it sent in order."""

    transaction_hash: str = Field(description="Hash of the request's last transaction")
    block_number: int = Field(description="Block of the request's last transaction")
    transactions: list[TransactionOut]


# ---------------------------------------------------------------------------------------------------- governance


class _ProposalIn(_In):
    description: Annotated[str, _utf8_at_most(4096)] = Field(
        default="", description="What the proposal is for (a default names the action)"
    )
    expires_at: Timestamp | None = Field(
        default=None, description="When the proposal closes (default: the service's proposal lifetime from now)"
    )


class AdmitProvince(_ProposalIn):
    """Admit a province (or re-admit a removed one) with its admin accounts: 接纳省份."""

    action: Literal["admitProvince"]
    province: ProvinceCode
    name: Annotated[str, _utf8_at_most(256)] = Field(min_length=1, examples=["江苏省"])
    admins: list[Address] = Field(min_length=1, max_length=16)


class SuspendProvince(_ProposalIn):
    """Suspend an active province: 暂停省份."""

    action: Literal["suspendProvince"]
    province: ProvinceCode


class ReinstateProvince(_ProposalIn):
    """Reinstate a suspended province: 恢复省份."""

    action: Literal["reinstateProvince"]
    province: ProvinceCode


class RemoveProvince(_ProposalIn):
    """Remove a province from the consortium: 移除省份."""

    action: Literal["removeProvince"]
    province: ProvinceCode


class SetThreshold(_ProposalIn):
    """Change the number of provinces whose votes approve a proposal: 修改表决门槛."""

    action: Literal["setThreshold"]
    threshold: int = Field(ge=1, le=64)


class AddProvinceAdmin(_ProposalIn):
    """Add an admin account to a province by vote: 增加省级管理员."""

    action: Literal["addProvinceAdmin"]
    province: ProvinceCode
    account: Address


class RemoveProvinceAdmin(_ProposalIn):
    """Remove an admin account of a province by vote: 移除省级管理员."""

    action: Literal["removeProvinceAdmin"]
    province: ProvinceCode
    account: Address


ProposalCreate = Annotated[
    AdmitProvince
    | SuspendProvince
    | ReinstateProvince
    | RemoveProvince
    | SetThreshold
    | AddProvinceAdmin
    | RemoveProvinceAdmin,
    Field(discriminator="action"),
]

ProposalStateName = Literal["pending", "approved", "executed", "expired", "cancelled"]


class ProposalOut(_Out):
    id: int
    proposer: str = Field(description="The proposing province's code")
    state: ProposalStateName
    created_at: int
    expires_at: int
    target: str = Field(description="The contract the proposal calls")
    data: str = Field(description="The call's ABI-encoded data")
    description: str
    action: str | None = Field(description="The function called, when the target is a Hurong contract")
    arguments: dict[str, Any] = Field(description="The call's arguments (province codes as strings)")
    voters: list[str] = Field(description="Provinces that voted for it, in order")
    votes: int = Field(description="Votes that count now (of provinces still active)")
    threshold: int = Field(description="Votes needed now")


class ProposalList(_Out):
    count: int
    threshold: int
    data: list[ProposalOut]


class ExecutionError(_Out):
    code: str
    message: str


class ProposalWriteOut(WriteOut):
    proposal: ProposalOut
    execution_error: ExecutionError | None = Field(
        default=None, description="Why executing the approved proposal right away was refused (it stays approved)"
    )


# ---------------------------------------------------------------------------------------------------- agencies


class AgencyCreate(_In):
    """Register an issuing agency (登记发证机构): under the province (a province admin) or under a parent agency
    (delegation, 下级机构)."""

    address: Address | None = Field(
        default=None, description="The agency's account; absent: the service generates one in its keystore"
    )
    province: ProvinceCode | None = Field(default=None, description="Default: the caller's province")
    parent: Address | None = Field(default=None, description="Parent agency; an agency caller defaults to itself")
    region: RegionCode
    name: Annotated[str, _utf8_at_most(256)] = Field(min_length=1, examples=["上海市浦东新区市场监督管理局"])
    certificate_types: list[CertificateType] = Field(default_factory=list, max_length=32)

    @model_validator(mode="after")
    def _distinct_types(self) -> AgencyCreate:
        if len(set(self.certificate_types)) != len(self.certificate_types):
            raise PydanticCustomError("duplicate_certificate_type", "a certificate type is listed twice")
        return self


class AgencySuspension(_In):
    reason: int = Field(default=0, ge=0, le=65_535, description="A reason code recorded with the suspension")


class AgencyOut(_Out):
    address: str
    parent: str | None
    province: str
    region: str
    depth: int
    status: Literal["active", "suspended"]
    effectively_active: bool = Field(description="It, every ancestor and its province are active")
    name: str
    children: list[str]
    certificate_types: list[str]
    key_held: bool = Field(description="Whether the service's keystore holds the agency's chain key")


class AgencyWriteOut(WriteOut):
    agency: AgencyOut
    funded_wei: str | None = Field(
        default=None, description="Wei sent to a generated account by the registering account (chains with fees)"
    )


# ---------------------------------------------------------------------------------------------------- signing keys


class SigningKeyCreate(_In):
    """A signing key (签名密钥): generated in the service's keystore, or a public key held elsewhere with its proof
    of possession."""

    algorithm: Literal["Ed25519", "SM2"]
    public_key: HexBytes | None = Field(default=None, description="Ed25519 32 bytes; SM2 64 bytes x || y (or 04 || …)")
    proof_of_possession: HexBytes | None = Field(
        default=None, description="The key's signature over its proof-of-possession message (with publicKey)"
    )
    valid_from: Timestamp = 0
    valid_until: Timestamp = 0

    @model_validator(mode="after")
    def _consistent(self) -> SigningKeyCreate:
        if (self.public_key is None) != (self.proof_of_possession is None):
            raise PydanticCustomError(
                "proof_of_possession_required", "publicKey and proofOfPossession are given together, or neither"
            )
        if self.valid_until and self.valid_from >= self.valid_until:
            raise PydanticCustomError("invalid_window", "validFrom must be before validUntil")
        return self


class SigningKeyOut(_Out):
    key_id: str
    agency: str
    algorithm: Literal["Ed25519", "SM2"]
    public_key: str
    valid_from: int
    valid_until: int
    revoked_at: int | None
    valid_now: bool
    held_by_service: bool = Field(description="Whether the service's keystore holds the private key")


class SigningKeyList(_Out):
    count: int
    data: list[SigningKeyOut]


class SigningKeyWriteOut(WriteOut):
    signing_key: SigningKeyOut


# ---------------------------------------------------------------------------------------------------- rules


class RuleCreate(_In):
    """A recognition rule (互认规则) of the caller's province."""

    accepting_province: ProvinceCode | None = Field(default=None, description="Default: the caller's province")
    issuing_province: ProvinceCode | None = Field(default=None, description="Absent: any issuing province")
    certificate_type: CertificateType
    service_item: ServiceItem | None = Field(default=None, description="Absent: every service item")
    effective_from: Timestamp = 0
    effective_until: Timestamp = 0
    legal_basis: Annotated[str, _utf8_at_most(1024)] = Field(default="", examples=["长三角电子证照互认共享合作协议"])

    @model_validator(mode="after")
    def _window(self) -> RuleCreate:
        if self.effective_until and self.effective_from >= self.effective_until:
            raise PydanticCustomError("invalid_window", "effectiveFrom must be before effectiveUntil")
        return self


class RuleOut(_Out):
    id: int
    accepting_province: str
    issuing_province: str | None
    certificate_type: str | None
    service_item: str | None
    effective_from: int
    effective_until: int
    created_at: int
    revoked_at: int | None
    legal_basis: str


class RuleWriteOut(WriteOut):
    rule: RuleOut


# ---------------------------------------------------------------------------------------------------- API keys


class ApiKeyCreate(_In):
    agency: Address
    label: str = Field(default="", max_length=128)


class ApiKeyOut(_Out):
    id: str
    role: Literal["agency", "province"]
    subject: str = Field(description="The agency's address or the province's code")
    label: str
    created_at: float
    revoked_at: float | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The API key: shown once, never stored in plain text")


class ApiKeyList(_Out):
    count: int
    data: list[ApiKeyOut]
