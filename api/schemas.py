"""Request and response bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from ledger.certificates.reasons import InvalidReason, Reason, parse_reason
from ledger.chain.codes import encode_code


class ErrorBody(BaseModel):
    code: str = Field(description="Machine-readable error code", examples=["invalid_request"])
    message: str = Field(description="What went wrong, for a person")
    details: Any | None = Field(default=None, description="Each problem with its JSON Pointer, code and message")
    requestId: str | None = Field(default=None, description="The request's id, also in the X-Request-Id header")


class ErrorResponse(BaseModel):
    error: ErrorBody


class VerificationContextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    province: str | None = Field(default=None, pattern=r"^[1-8][0-9]0000$", examples=["330000"])
    service_item: str | None = Field(default=None, max_length=32, examples=["company-registration"])

    @field_validator("service_item")
    @classmethod
    def _item(cls, value: str | None) -> str | None:
        if value is not None:
            encode_code(value, what="service item")
        return value


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    certificate: dict[str, Any]
    context: VerificationContextIn | None = None


class BulkVerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    certificates: list[dict[str, Any]] = Field(min_length=1)
    context: VerificationContextIn | None = None


class CheckOut(BaseModel):
    name: str
    outcome: str
    code: str
    message: str
    details: dict[str, Any] = {}


class VerificationOut(BaseModel):
    verdict: str
    checks: list[CheckOut]
    block: dict[str, Any]
    checkedAt: int
    digest: str | None
    issuer: str | None
    issuingProvince: str | None
    certificateType: str | None
    context: dict[str, Any] | None


class BulkVerificationOut(BaseModel):
    block: dict[str, Any]
    count: int
    verdicts: dict[str, int]
    results: list[VerificationOut]


class CertificatesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    certificates: list[dict[str, Any]] = Field(min_length=1)


class CertificatesPublic(BaseModel):
    count: int
    transactions: list[str]
    data: list[dict[str, Any]]


_REASON_NAMES = ", ".join(r.name.lower() for r in Reason)


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: int | str = Field(
        examples=["fraud", 3],
        description=f"A reason code 0-{max(Reason)} (a number or its ASCII digits) or its name: {_REASON_NAMES}",
    )
    successor: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{64}$")
    certificate: dict[str, Any] | None = Field(
        default=None, description="The wrapped certificate, when the service did not issue it"
    )

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: Any) -> int:
        try:
            return int(parse_reason(value))
        except InvalidReason as exc:
            raise PydanticCustomError(InvalidReason.code, str(exc)) from None


class StatusChangeOut(BaseModel):
    digest: str
    agency: str
    action: str
    reason: int
    transactionHash: str
    blockNumber: int
