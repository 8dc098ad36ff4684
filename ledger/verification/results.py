"""What a verification answers: the context it was asked in, the nine checks, the verdict and the warnings.

Every value here is a frozen dataclass; `VerificationResult.to_json()` is the answer the service, the command
line and the benchmarks send (plain JSON types only, camelCase keys, GB/T 2260 codes as strings). Each check and
warning says what it found in Chinese (`message`) and in English (`messageEn`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from ledger.chain.codes import encode_code, is_province_code
from ledger.errors import LedgerValueError

T = TypeVar("T")

#: The nine checks, in the order they are made and reported.
CHECKS = ("format", "integrity", "inclusion", "anchoring", "issuer", "signature", "status", "validity", "recognition")

#: Verdicts: any of the first eight checks failed (INVALID), only recognition failed (NOT_RECOGNIZED), or neither.
VALID, INVALID, NOT_RECOGNIZED = "VALID", "INVALID", "NOT_RECOGNIZED"
#: The code of the warning that the issuer, a parent of it or its province is no longer active today.
NOT_IN_GOOD_STANDING = "issuer_not_in_good_standing"


class Outcome(StrEnum):
    """The outcome of one check. A `str`: it compares equal to, and serialises as, its value."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class VerificationContext:
    """Where the certificate is presented: an accepting province and optionally a service item."""

    province: int | None = None
    service_item: str | None = None

    def __post_init__(self) -> None:
        if self.province is not None and not is_province_code(self.province):
            raise LedgerValueError(f"province {self.province!r} is not a GB/T 2260 province-level code")
        if self.service_item is not None:
            encode_code(self.service_item, what="service item")

    def to_json(self) -> dict[str, Any]:
        province = str(self.province) if self.province is not None else None
        return {"province": province, "serviceItem": self.service_item}


@dataclass(frozen=True)
class CheckResult:
    """One check: its name (one of `CHECKS`), outcome, machine-readable code, message in Chinese, details, and
    the message in English (`message_en`, the Chinese one when not given)."""

    name: str
    outcome: Outcome
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    message_en: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.outcome, Outcome):  # "passed" | "failed" | "skipped" given as text
            object.__setattr__(self, "outcome", Outcome(self.outcome))
        if not self.message_en:
            object.__setattr__(self, "message_en", self.message)

    def to_json(self) -> dict[str, Any]:
        """The check as JSON: written once, then the same dict every time (a result is shared by every certificate
        of a bulk answer it applies to, so nothing may change the dict)."""
        written: dict[str, Any] | None = self.__dict__.get("_json")
        if written is None:
            written = {"name": self.name, "outcome": self.outcome.value, "code": self.code, "message": self.message,
                       "messageEn": self.message_en, "details": self.details}  # fmt: skip
            object.__setattr__(self, "_json", written)
        return written


@dataclass(frozen=True)
class VerificationWarning:
    """Something a verifier should know beside the verdict, such as an issuer no longer in good standing; its
    message in Chinese and in English (`message_en`, the Chinese one when not given)."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    message_en: str = ""

    def __post_init__(self) -> None:
        if not self.message_en:
            object.__setattr__(self, "message_en", self.message)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "messageEn": self.message_en, "details": self.details}


@dataclass(frozen=True)
class VerificationResult:
    verdict: str
    checks: tuple[CheckResult, ...]
    block_number: int
    block_hash: str
    checked_at: int
    digest: str | None = None
    issuer: str | None = None
    issuing_province: str | None = None
    certificate_type: str | None = None
    context: VerificationContext | None = None
    #: The time validity and recognition were judged at (`checked_at` unless a past time or block was asked).
    at: int | None = None
    warnings: tuple[VerificationWarning, ...] = ()

    def check(self, name: str) -> CheckResult:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def failed(self) -> list[str]:
        return [c.name for c in self.checks if c.outcome == Outcome.FAILED]

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "checks": [c.to_json() for c in self.checks],
            "block": {"number": self.block_number, "hash": self.block_hash},
            "checkedAt": self.checked_at,
            "at": self.checked_at if self.at is None else self.at,
            "digest": self.digest,
            "issuer": self.issuer,
            "issuingProvince": self.issuing_province,
            "certificateType": self.certificate_type,
            "context": self.context.to_json() if self.context else None,
            "warnings": [w.to_json() for w in self.warnings],
        }


def frozen(cls: type[T], **values: Any) -> T:
    """`cls(**values)` for a frozen dataclass without `__post_init__`, given every field: its instance dictionary
    filled at once instead of field by field through `object.__setattr__` (bulk verification makes a result and a
    set of claims per certificate, and the dataclass's own `__init__` costs four times as much)."""
    made = object.__new__(cls)
    made.__dict__.update(values)
    return made


def verdict_of(checks: tuple[CheckResult, ...]) -> str:
    """INVALID if any of the first eight checks failed, NOT_RECOGNIZED if only recognition failed, else VALID."""
    outcomes = [c.outcome for c in checks]
    if Outcome.FAILED in outcomes[:8]:
        return INVALID
    if outcomes[8] == Outcome.FAILED:
        return NOT_RECOGNIZED
    return VALID
