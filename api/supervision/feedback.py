"""Feedback (好差评) on one verification: a rating of 1-5 and an optional short comment, once per usage record.

A comment that looks like it carries personal data — an 18-character resident ID number or an 11-digit mobile
phone number, spaces and hyphens aside — is refused: the supervision records keep none.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

_RESIDENT_ID = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_SEPARATORS = re.compile(r"[\s\-‐-―－]")


def looks_personal(text: str) -> bool:
    """Whether `text` holds what looks like a resident ID number or a mobile phone number."""
    squeezed = _SEPARATORS.sub("", text)
    return any(p.search(t) for p in (_RESIDENT_ID, _PHONE) for t in (text, squeezed))


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    usageId: str = Field(pattern=r"^[A-Za-z0-9_-]{16,64}$", description="The `usageId` of a verification's answer")
    rating: int = Field(strict=True, ge=1, le=5, description="1 (差评, poor) to 5 (好评, very good)")
    comment: str | None = Field(default=None, max_length=200, description="No personal data: no ID or phone numbers")

    @field_validator("comment")
    @classmethod
    def _no_personal_data(cls, value: str | None) -> str | None:
        if value is not None and looks_personal(value):
            raise PydanticCustomError(
                "personal_data", "the comment looks like it holds an ID number or a phone number; leave them out"
            )
        return value


class FeedbackOut(BaseModel):
    usageId: str
    rating: int
