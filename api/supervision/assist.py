"""Assisted verification (协查): a clerk's agency asks the issuing province about a certificate it cannot
recognise automatically; an agency of that province answers before a deadline (working days, weekends and the
configured holidays skipped, counted in China Standard Time); an open request past its deadline is overdue and
raises a 超时 alert.

A request names the certificate by its digest, kept only as its pseudonymous reference (HMAC-SHA256 under the
consortium's secret, as in the usage records), or by its licence number, kept encrypted (AES-256-GCM under a key
derived from that secret) and shown only to the two provinces. The question and the answer's note are refused
when they look like they hold an ID or phone number. Filing and answering each leave a usage record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import time
from typing import Any, Literal

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import Column, Engine, Float, Index, MetaData, String, Table, Text, func, or_, select, update

from api.supervision.config import Assist
from api.supervision.feedback import looks_personal
from api.supervision.records import DAY_OFFSET, new_usage_id
from ledger.issuance.sqlite_files import create_tables

ANSWERS = ("confirmed", "not_confirmed", "needs_documents")
#: The verdict column of the usage records of each step.
STEP_VERDICTS = {"filed": "ASSIST_FILED", "confirmed": "ASSIST_CONFIRMED", "not_confirmed": "ASSIST_NOT_CONFIRMED",
                 "needs_documents": "ASSIST_NEEDS_DOCUMENTS"}  # fmt: skip

metadata = MetaData()
requests = Table(
    "assist_requests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("deadline", Float, nullable=False),
    Column("state", String(16), nullable=False),  # open | answered
    Column("requesting_province", String(6), nullable=False),
    Column("requesting_agency", String(42), nullable=False),
    Column("target_province", String(6), nullable=False),
    Column("service_item", String(32), nullable=False),
    Column("certificate_ref", String(64)),
    Column("licence_sealed", Text),  # hex of nonce + AES-GCM ciphertext
    Column("question", Text, nullable=False),
    Column("answer", String(16)),
    Column("note", Text),
    Column("answered_by", String(42)),
    Column("answered_at", Float),
    Column("usage_id", String(32), nullable=False),  # the usage record of the filing (for feedback)
    Index("assist_requests_target", "target_province", "state"),
    Index("assist_requests_requesting", "requesting_province", "state"),
)


def _no_personal_data(value: str | None) -> str | None:
    if value is not None and looks_personal(value):
        raise PydanticCustomError("personal_data", "the text looks like it holds an ID number or a phone number")
    return value


class AssistRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    issuingProvince: str = Field(pattern=r"^[1-8][0-9]0000$", description="The province asked (GB/T 2260)")
    certificateDigest: str | None = Field(
        default=None, pattern=r"^0x[0-9a-fA-F]{64}$", description="The certificate's digest (kept as its reference)"
    )
    licenceNumber: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[0-9A-Za-z\-()（）]+$",
                                      description="The licence number (kept encrypted)")  # fmt: skip
    question: str = Field(min_length=1, max_length=500, description="What to confirm; no personal data")
    serviceItem: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]{0,31}$", description="The service item asked for")

    _question = field_validator("question")(classmethod(lambda cls, v: _no_personal_data(v)))

    @model_validator(mode="after")
    def _one_reference(self) -> AssistRequestIn:
        if (self.certificateDigest is None) == (self.licenceNumber is None):
            raise PydanticCustomError("reference_required", "give either certificateDigest or licenceNumber")
        return self


class AssistAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Literal["confirmed", "not_confirmed", "needs_documents"]
    note: str | None = Field(default=None, max_length=500, description="No personal data")

    _note = field_validator("note")(classmethod(lambda cls, v: _no_personal_data(v)))


class AssistRequestPublic(BaseModel):
    id: str
    state: Literal["open", "overdue", "answered"] = Field(description="`overdue`: open past the deadline (超时)")
    createdAt: float
    deadline: float = Field(description="The end of the last working day to answer (Unix seconds)")
    requestingProvince: str
    requestingAgency: str
    issuingProvince: str = Field(description="The province asked")
    serviceItem: str
    certificateRef: str | None = Field(description="The certificate's pseudonymous reference, if named by digest")
    licenceNumber: str | None = Field(description="The licence number, if named by it (kept encrypted)")
    question: str
    answer: Literal["confirmed", "not_confirmed", "needs_documents"] | None
    note: str | None
    answeredBy: str | None
    answeredAt: float | None
    usageId: str = Field(description="The usage record of the filing, for feedback (好差评)")


class AssistRequestsPublic(BaseModel):
    data: list[AssistRequestPublic]
    count: int = Field(description="Requests matching the filters (beyond `limit`)")


def add_working_days(start: float, days: int, holidays: tuple[dt.date, ...] = ()) -> float:
    """The end (23:59:59 China Standard Time) of the `days`-th working day after the day of `start`."""
    day = dt.datetime.fromtimestamp(start + DAY_OFFSET, dt.UTC).date()
    left = days
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            left -= 1
    end = dt.datetime.combine(day, dt.time(23, 59, 59), dt.UTC)
    return end.timestamp() - DAY_OFFSET


class AssistStore:
    def __init__(self, engine: Engine, rules: Assist, secret: bytes) -> None:
        self.engine = engine
        self.rules = rules
        self._key = hmac.new(secret, b"hurong assist licence numbers", hashlib.sha256).digest()
        create_tables(engine, metadata)  # other workers may be creating them at the same moment

    def _seal(self, text: str, request_id: str) -> str:
        nonce = os.urandom(12)
        return (nonce + AESGCM(self._key).encrypt(nonce, text.encode("utf-8"), request_id.encode())).hex()

    def _open(self, sealed: str | None, request_id: str) -> str | None:
        if not sealed:
            return None
        raw = bytes.fromhex(sealed)
        return AESGCM(self._key).decrypt(raw[:12], raw[12:], request_id.encode()).decode("utf-8")

    def file(self, body: AssistRequestIn, agency: str, province: str, reference: str | None,
             now: float | None = None) -> dict[str, Any]:  # fmt: skip
        now = time.time() if now is None else now
        request_id = new_usage_id()
        days = self.rules.provinces.get(body.issuingProvince, self.rules.working_days)
        row = {"id": request_id, "created_at": now, "deadline": add_working_days(now, days, self.rules.holidays),
               "state": "open", "requesting_province": province, "requesting_agency": agency,
               "target_province": body.issuingProvince, "service_item": body.serviceItem, "certificate_ref": reference,
               "licence_sealed": self._seal(body.licenceNumber, request_id) if body.licenceNumber else None,
               "question": body.question, "usage_id": new_usage_id()}  # fmt: skip
        with self.engine.begin() as db:
            db.execute(requests.insert().values(**row))
        return self.get(request_id) or {}

    def answer(self, request_id: str, body: AssistAnswerIn, agency: str, now: float | None = None) -> bool:
        """Answer an open request; False when it was answered already."""
        with self.engine.begin() as db:
            done = db.execute(update(requests).where(requests.c.id == request_id, requests.c.state == "open")
                              .values(state="answered", answer=body.answer, note=body.note, answered_by=agency,
                                      answered_at=time.time() if now is None else now))  # fmt: skip
        return bool(done.rowcount)

    def row(self, request_id: str) -> Any:
        with self.engine.connect() as db:
            return db.execute(select(requests).where(requests.c.id == request_id)).first()

    def get(self, request_id: str, now: float | None = None) -> dict[str, Any] | None:
        row = self.row(request_id)
        return None if row is None else self.public(row, now)

    def public(self, row: Any, now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        state = "overdue" if row.state == "open" and row.deadline < now else row.state
        return {
            "id": row.id, "state": state, "createdAt": row.created_at, "deadline": row.deadline,
            "requestingProvince": row.requesting_province, "requestingAgency": row.requesting_agency,
            "issuingProvince": row.target_province, "serviceItem": row.service_item,
            "certificateRef": row.certificate_ref, "licenceNumber": self._open(row.licence_sealed, row.id),
            "question": row.question, "answer": row.answer, "note": row.note, "answeredBy": row.answered_by,
            "answeredAt": row.answered_at, "usageId": row.usage_id,
        }  # fmt: skip

    def find(self, province: str, *, state: str | None = None, direction: str | None = None,
             service_item: str | None = None, limit: int = 100, offset: int = 0,
             now: float | None = None) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
        """The requests `province` filed (`outgoing`) or was asked (`incoming`), newest first; `state`: open,
        overdue (open past the deadline), answered."""
        now = time.time() if now is None else now
        mine = {"incoming": requests.c.target_province == province,
                "outgoing": requests.c.requesting_province == province}  # fmt: skip
        where = [mine[direction] if direction else or_(*mine.values())]
        if state == "answered":
            where.append(requests.c.state == "answered")
        elif state == "open":
            where += [requests.c.state == "open", requests.c.deadline >= now]
        elif state == "overdue":
            where += [requests.c.state == "open", requests.c.deadline < now]
        if service_item is not None:
            where.append(requests.c.service_item == service_item)
        with self.engine.connect() as db:
            total = int(db.execute(select(func.count()).select_from(requests).where(*where)).scalar_one())
            rows = db.execute(select(requests).where(*where).order_by(requests.c.created_at.desc())
                              .limit(limit).offset(offset)).all()  # fmt: skip
        return [self.public(r, now) for r in rows], total

    def overdue(self, now: float | None = None) -> list[Any]:
        now = time.time() if now is None else now
        with self.engine.connect() as db:
            return list(db.execute(select(requests).where(requests.c.state == "open", requests.c.deadline < now)))

    def counts(self, now: float | None = None) -> dict[str, int]:
        """Open and overdue requests of the whole consortium (for the metrics)."""
        now = time.time() if now is None else now
        with self.engine.connect() as db:
            rows = db.execute(select(requests.c.deadline).where(requests.c.state == "open")).all()
        overdue = sum(1 for r in rows if r.deadline < now)
        return {"open": len(rows) - overdue, "overdue": overdue}
