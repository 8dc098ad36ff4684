"""Supervision alerts (预警): stored once per incident, listed, acknowledged, pushed to a webhook, counted.

An alert is kept in `supervision_alerts` of the usage database under a key naming its incident (the rule and
what it is about: a certificate reference and day, a caller and hour, an agency and day, a province's period, a
block): raising it again only counts and dates it, so the service's workers and successive evaluations never
duplicate one. Each alert names the provinces it concerns (none: the whole consortium); a province admin sees
and acknowledges those of its province and the consortium's.

The webhook receives each new alert as JSON, POSTed with `X-Hurong-Timestamp` (Unix seconds) and
`X-Hurong-Signature: sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<body>` under the webhook secret; a failed
delivery (an error, a timeout, a status outside 2xx) is retried with exponential backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field
from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, Text, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from api.supervision.config import Webhook
from ledger.issuance.sqlite_files import create_tables

log = logging.getLogger("hurong.api.alerts")

#: The rules, and the Chinese and English name of each.
RULES = {
    "revoked_presented": "吊销或暂停的证照被出示 / revoked or suspended certificate presented",
    "many_provinces": "同一证照短时间内在多省核验 / one certificate verified in many provinces",
    "caller_failures": "调用方核验失败率过高 / caller's failure rate high",
    "issuance_spike": "签发量异常 / unusual issuance",
    "status_burst": "状态变更激增 / burst of status changes",
    "anchoring_latency": "存证上链延迟 / usage log anchoring late",
    "chain_stalled": "区块链停止出块 / chain not advancing",
    "assist_overdue": "协查超时 / assist request overdue",
}
SIGNATURE_HEADER = "X-Hurong-Signature"
TIMESTAMP_HEADER = "X-Hurong-Timestamp"

metadata = MetaData()
alerts = Table(
    "supervision_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("rule", String(32), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("provinces", String(64), nullable=False, default=""),  # space separated; "" the whole consortium
    Column("message", Text, nullable=False),
    Column("details", Text, nullable=False),
    Column("first_at", Float, nullable=False),
    Column("last_at", Float, nullable=False),
    Column("count", Integer, nullable=False, default=1),
    Column("state", String(12), nullable=False, default="open"),  # open | acknowledged
    Column("acknowledged_by", String(64)),
    Column("acknowledged_at", Float),
    Column("delivered", Integer, nullable=False, default=0),  # webhook: 1 delivered, -1 given up, 0 not sent
)


@dataclass(frozen=True)
class Alert:
    rule: str
    key: str
    message: str
    provinces: tuple[str, ...] = ()
    details: dict[str, Any] | None = None
    severity: str = "warning"


class AlertPublic(BaseModel):
    id: int
    rule: str = Field(description="The rule's name (`revoked_presented`, `many_provinces`, ...)")
    ruleName: str = Field(description="The rule in Chinese and English")
    severity: Literal["info", "warning", "critical"]
    provinces: list[str] = Field(description="The provinces concerned; empty: the whole consortium")
    message: str = Field(description="What happened, in Chinese and English")
    details: dict[str, Any]
    firstAt: float = Field(description="When first raised (Unix seconds)")
    lastAt: float = Field(description="When last raised (Unix seconds)")
    count: int = Field(description="How often raised")
    state: Literal["open", "acknowledged"]
    acknowledgedBy: str | None
    acknowledgedAt: float | None


class AlertsPublic(BaseModel):
    data: list[AlertPublic]
    count: int = Field(description="Alerts matching the filters (beyond `limit`)")


def public(row: Any) -> dict[str, Any]:
    """An alert as the API answers it."""
    return {
        "id": int(row.id), "rule": row.rule, "ruleName": RULES.get(row.rule, row.rule), "severity": row.severity,
        "provinces": row.provinces.split(), "message": row.message, "details": json.loads(row.details),
        "firstAt": row.first_at, "lastAt": row.last_at, "count": int(row.count), "state": row.state,
        "acknowledgedBy": row.acknowledged_by, "acknowledgedAt": row.acknowledged_at,
    }  # fmt: skip


class AlertStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_tables(engine, metadata)  # other workers may be creating them at the same moment

    def raise_(self, alert: Alert, now: float | None = None) -> int | None:
        """Store `alert`; its id when it is new, None when its incident was raised already (then counted)."""
        now = time.time() if now is None else now
        row = {"key": f"{alert.rule}:{alert.key}", "rule": alert.rule, "severity": alert.severity,
               "provinces": " ".join(sorted(set(alert.provinces))), "message": alert.message,
               "details": json.dumps(alert.details or {}, ensure_ascii=False, sort_keys=True),
               "first_at": now, "last_at": now, "count": 1, "state": "open", "delivered": 0}  # fmt: skip
        try:
            with self.engine.begin() as db:
                inserted = db.execute(alerts.insert().values(**row)).inserted_primary_key
        except IntegrityError:
            inserted = None
        if inserted is not None:
            return int(inserted[0])
        with self.engine.begin() as db:
            db.execute(update(alerts).where(alerts.c.key == row["key"]).values(count=alerts.c.count + 1, last_at=now))
        return None

    def get(self, alert_id: int) -> Any:
        with self.engine.connect() as db:
            return db.execute(select(alerts).where(alerts.c.id == alert_id)).first()

    def find(self, *, province: str | None = None, state: str | None = None, rule: str | None = None,
             since: float | None = None, limit: int = 100, offset: int = 0) -> tuple[list[Any], int]:  # fmt: skip
        """Alerts, newest first, with the total matching; `province`: those of that province and the
        consortium's."""
        where = []
        if province is not None:
            where.append(or_(alerts.c.provinces == "", (" " + alerts.c.provinces + " ").contains(f" {province} ")))
        if state is not None:
            where.append(alerts.c.state == state)
        if rule is not None:
            where.append(alerts.c.rule == rule)
        if since is not None:
            where.append(alerts.c.last_at >= since)
        with self.engine.connect() as db:
            total = int(db.execute(select(func.count()).select_from(alerts).where(*where)).scalar_one())
            rows = db.execute(select(alerts).where(*where).order_by(alerts.c.id.desc())
                              .limit(limit).offset(offset)).all()  # fmt: skip
        return list(rows), total

    def acknowledge(self, alert_id: int, by: str, now: float | None = None) -> bool:
        """Acknowledge an open alert; False when it was acknowledged already."""
        with self.engine.begin() as db:
            done = db.execute(update(alerts).where(alerts.c.id == alert_id, alerts.c.state == "open")
                              .values(state="acknowledged", acknowledged_by=by,
                                      acknowledged_at=time.time() if now is None else now))  # fmt: skip
        return bool(done.rowcount)

    def open_counts(self) -> dict[tuple[str, str], int]:
        """Open alerts by rule and severity."""
        with self.engine.connect() as db:
            rows = db.execute(select(alerts.c.rule, alerts.c.severity, func.count()).where(alerts.c.state == "open")
                              .group_by(alerts.c.rule, alerts.c.severity)).all()  # fmt: skip
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def mark_delivered(self, alert_id: int, delivered: bool) -> None:
        with self.engine.begin() as db:
            db.execute(update(alerts).where(alerts.c.id == alert_id).values(delivered=1 if delivered else -1))


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The webhook signature of `body` sent at `timestamp`: `sha256=` and the hex HMAC of `<timestamp>.<body>`."""
    return "sha256=" + hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def deliver(webhook: Webhook, secret: bytes, alert: dict[str, Any],
            sleep: Callable[[float], None] = time.sleep) -> bool:  # fmt: skip
    """POST `alert` to the webhook, signed, retrying with exponential backoff; whether it was accepted (2xx)."""
    body = json.dumps({"alert": alert}, ensure_ascii=False, sort_keys=True).encode("utf-8")
    wait = webhook.backoff_seconds
    for attempt in range(webhook.retries + 1):
        if attempt:
            sleep(wait)
            wait *= 2
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(secret, timestamp, body)}  # fmt: skip
        try:
            response = httpx.post(webhook.url, content=body, headers=headers, timeout=webhook.timeout_seconds)
        except httpx.HTTPError as exc:
            log.warning("alert webhook attempt %d failed: %s", attempt + 1, type(exc).__name__)
            continue
        if 200 <= response.status_code < 300:
            return True
        log.warning("alert webhook attempt %d answered %d", attempt + 1, response.status_code)
    return False
