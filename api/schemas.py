"""Request and response bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ledger.codes import encode_code


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any | None = None


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


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: int | str = Field(examples=["fraud", 3])
    successor: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{64}$")
    certificate: dict[str, Any] | None = Field(
        default=None, description="The wrapped certificate, when the service did not issue it"
    )


class StatusChangeOut(BaseModel):
    digest: str
    agency: str
    action: str
    reason: int
    transactionHash: str
    blockNumber: int
