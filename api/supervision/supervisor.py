"""The supervisor: a background thread of the service that anchors the usage log and evaluates the alert rules.

Every worker process runs one, but only the holder of a lease in the usage database (renewed each round, taken
over when its holder stops renewing it) works, so periods are anchored and rules evaluated once. New alerts are
pushed to the webhook by a thread of their own (a slow or failing receiver, retried with backoff, never holds up a
round); the Prometheus gauges are set every round.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Float, MetaData, String, Table, insert, or_, update
from sqlalchemy.exc import IntegrityError

from api.supervision import rules
from api.supervision.alerts import RULES, Alert, AlertStore, deliver, public
from api.supervision.assist import AssistStore
from api.supervision.callers import CallerShares
from api.supervision.config import ChainStalled, SupervisionConfig, load_config
from api.supervision.spread import ProvinceSpread
from ledger.audit import AuditLog, UsageLogClient, UsageLogRecord
from ledger.errors import DeploymentError, LedgerError
from ledger.issuance.sqlite_files import create_tables

if TYPE_CHECKING:
    from api.service import Service

log = logging.getLogger("hurong.api.supervision")

metadata = MetaData()
leases = Table(
    "supervision_lease",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("until", Float, nullable=False),
)


class Supervisor:
    def __init__(self, service: Service, config: SupervisionConfig | None = None) -> None:
        settings = service.settings
        self.service = service
        self.config = config or load_config(settings.supervision_config, Path(settings.home))
        engine = service.usage.engine
        self.alerts = AlertStore(engine)
        self.assist = AssistStore(engine, self.config.assist, service.usage.secret)
        interval = settings.usage_anchor_interval
        self.audit = AuditLog(engine, interval, delay=settings.usage_anchor_delay) if interval else None
        self.webhook_secret = settings.alert_webhook_secret.get_secret_value().encode("utf-8")
        self.chain = rules.ChainWatch()
        self.spread = ProvinceSpread()
        self.shares = CallerShares()
        self.holder = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._outbox: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._courier: threading.Thread | None = None
        self._since = time.time() - rules.DAY
        self._anchorers: dict[str, str] = {}
        create_tables(engine, metadata)  # other workers may be creating them at the same moment
        try:
            record = UsageLogRecord.of(service.deployment)
        except DeploymentError as exc:
            log.warning("the usage log is not anchored: %s", exc)
            record = None
        self.usage_log = UsageLogClient(service.client.w3, record.address) if record else None
        if self.usage_log is None and self.audit is not None:
            log.warning("the deployment has no UsageLog contract: usage records are not anchored "
                        "(`hurong audit deploy` adds it)")  # fmt: skip

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
            self._thread.start()
        if self._courier is None and self.config.webhook.url:
            self._courier = threading.Thread(target=self._deliver, name="alert-webhook", daemon=True)
            self._courier.start()

    def stop(self) -> None:
        self._stop.set()
        self._outbox.put(None)
        for thread in (self._thread, self._courier):
            if thread is not None:
                thread.join(timeout=10)

    def _deliver(self) -> None:
        """Push the alerts queued by `store` to the webhook, one after the other."""
        while (alert_id := self._outbox.get()) is not None:
            try:
                delivered = deliver(self.config.webhook, self.webhook_secret, public(self.alerts.get(alert_id)))
                self.alerts.mark_delivered(alert_id, delivered)
            except Exception:
                log.exception("pushing alert %d to the webhook failed", alert_id)

    def _run(self) -> None:
        every = self.config.alerts.evaluate_every_seconds
        while not self._stop.wait(min(every, self.service.settings.usage_anchor_delay or every)):
            try:
                if self._lease(ttl=3 * every + 30):
                    self.run_once()
            except Exception:
                log.exception("supervision round failed")

    def _lease(self, ttl: float) -> bool:
        """Take or renew the lease; whether this process holds it."""
        now = time.time()
        with self.service.usage.engine.begin() as db:
            taken = db.execute(update(leases).where(leases.c.name == "supervisor",
                                                    or_(leases.c.holder == self.holder, leases.c.until < now))
                               .values(holder=self.holder, until=now + ttl)).rowcount  # fmt: skip
        if taken:
            return True
        try:
            with self.service.usage.engine.begin() as db:
                db.execute(insert(leases).values(name="supervisor", holder=self.holder, until=now + ttl))
        except IntegrityError:
            return False
        return True

    # ------------------------------------------------------------------ one round

    def run_once(self, now: float | None = None) -> list[int]:
        """Flush this worker's usage records, anchor the periods due, evaluate every rule; the new alerts' ids."""
        now = time.time() if now is None else now
        self.service.usage.flush()
        self.anchor(now)
        found = self.evaluate(now)
        new = self.store(found)
        self._since = now
        self.update_metrics(now)
        return new

    def _client_for(self, province: str) -> UsageLogClient | None:
        """A client of the log acting as an account of `province` the keystore holds (an admin, else an agency)."""
        assert self.usage_log is not None
        chosen = self._anchorers.get(province)
        folder = Path(self.service.settings.keystore_folder)
        candidates = [chosen] if chosen else self._candidates(folder, int(province))
        for address in candidates:
            try:
                if self.usage_log.can_anchor(address, int(province)):
                    signer = self.service.signer(address)
                    self._anchorers[province] = address
                    return UsageLogClient(self.usage_log.w3, self.usage_log.address, signer.transactor)
            except LedgerError as exc:
                log.warning("cannot anchor usage records of %s as %s: %s", province, address, exc)
        self._anchorers.pop(province, None)
        return None

    def _candidates(self, folder: Path, province: int) -> list[str]:
        """The keystore's accounts, the province's admins first (their anchor reads one registry less: less gas)."""
        held = sorted(p.stem for p in folder.glob("0x*.json"))
        consortium = self.service.client.consortium
        return sorted(held, key=lambda address: not consortium.is_province_admin(province, address))

    def anchor(self, now: float) -> None:
        if self.audit is None or self.usage_log is None:
            return
        try:
            for done in self.audit.anchor_due(self._client_for, now):
                self.service.metrics.usage_anchored(done.province, done.latency)
                log.info("usage records of %s, period %d: %d anchored (%s)", done.province, done.period, done.count,
                         done.tx_hash)  # fmt: skip
        except LedgerError as exc:
            log.warning("anchoring usage records failed: %s", exc)

    def evaluate(self, now: float) -> list[Alert]:
        """Every enabled rule's alerts now."""
        cfg = self.config.alerts
        usage, index = self.service.usage.engine, self.service.indexer.engine
        found: list[Alert] = []
        checks: list[tuple[Any, Any]] = [
            (cfg.revoked_presented, lambda r: rules.revoked_presented(usage, r, self._since - 60, now)),
            (cfg.many_provinces, lambda r: self.spread.observe(usage, r, now)),
            (cfg.caller_failures, lambda r: self.shares.observe(usage, r, now)),
            (cfg.issuance_spike, lambda r: rules.issuance_spike(index, r, now)),
            (cfg.status_burst, lambda r: rules.status_burst(index, r, now)),
            (cfg.anchoring_latency, lambda r: rules.anchoring_latency(self.audit, r, now) if self.audit else []),
            (cfg.chain_stalled, lambda r: self._chain_stalled(r, now)),
            (cfg.assist_overdue, lambda r: rules.assist_overdue(self.assist.overdue(now), r)),
        ]
        for rule, check in checks:
            if not rule.enabled:
                continue
            try:
                found += check(rule)
            except Exception as exc:  # noqa: BLE001 (a failing rule, the chain unreachable, stops no other)
                log.warning("alert rule %s failed: %s", type(rule).__name__, exc)
        return found

    def _chain_stalled(self, rule: ChainStalled, now: float) -> list[Alert]:
        if rule.seconds <= 0:
            return []  # off: no need to ask the chain
        return self.chain.observe(int(self.service.client.w3.eth.block_number), rule, now)

    def store(self, found: list[Alert]) -> list[int]:
        """Store the alerts; push the new ones to the webhook and count them."""
        new = []
        for alert in found:
            alert_id = self.alerts.raise_(alert)
            if alert_id is None:
                continue
            new.append(alert_id)
            self.service.metrics.alerts_raised.labels(alert.rule, alert.severity).inc()
            log.warning("alert %d %s: %s", alert_id, alert.rule, alert.message)
            if self.config.webhook.url:
                self._outbox.put(alert_id)
        return new

    def update_metrics(self, now: float) -> None:
        metrics = self.service.metrics
        counts = self.alerts.open_counts()
        for rule in RULES:
            for severity in ("info", "warning", "critical"):
                metrics.alerts_open.labels(rule, severity).set(counts.get((rule, severity), 0))
        for state, n in self.assist.counts(now).items():
            metrics.assist_requests.labels(state).set(n)
