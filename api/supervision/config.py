"""The supervision rules (监察规则): alert thresholds, the alert webhook and the deadlines of assist requests, from
a TOML file (`HURONG_SUPERVISION_CONFIG`, else `<home>/supervision.toml` when it exists); whatever the file does
not set keeps its default. `deploy/supervision.example.toml` lists every key with its default."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ledger.errors import ConfigurationError

CONFIG_FILE = "supervision.toml"


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    severity: str = Field(default="warning", pattern=r"^(info|warning|critical)$")


class RevokedPresented(_Rule):
    """A revoked or suspended certificate presented for verification."""

    severity: str = Field(default="critical", pattern=r"^(info|warning|critical)$")


class ManyProvinces(_Rule):
    """One certificate verified in at least `provinces` provinces within `window_minutes`."""

    provinces: int = Field(default=3, ge=2)
    window_minutes: float = Field(default=10, gt=0)


class CallerFailures(_Rule):
    """One caller's (API key's agency or province) share of failed verifications above `rate`, over at least
    `min_requests` in `window_minutes`."""

    rate: float = Field(default=0.5, gt=0, le=1)
    min_requests: int = Field(default=20, ge=1)
    window_minutes: float = Field(default=60, gt=0)


class IssuanceSpike(_Rule):
    """An agency's certificates issued in the last 24 hours above `factor` times its daily average of the 7 days
    before, and at least `min_certificates`."""

    factor: float = Field(default=5.0, gt=1)
    min_certificates: int = Field(default=1000, ge=1)


class StatusBurst(_Rule):
    """At least `changes` status changes (revoke, suspend, reinstate, supersede) by one agency in
    `window_minutes`."""

    changes: int = Field(default=100, ge=1)
    window_minutes: float = Field(default=10, gt=0)


class AnchoringLatency(_Rule):
    """A period of usage records anchored, or still not anchored, more than `seconds` after it ended."""

    seconds: float = Field(default=900, gt=0)


class ChainStalled(_Rule):
    """The chain's head block unchanged for `seconds` (0: off, the default, as a development chain mines only when
    it has transactions; set it on a chain that seals blocks at an interval)."""

    severity: str = Field(default="critical", pattern=r"^(info|warning|critical)$")
    seconds: float = Field(default=0, ge=0)


class AssistOverdue(_Rule):
    """An assist request (协查) not answered by its deadline (超时)."""


class Alerts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    #: Seconds between two evaluations of the rules.
    evaluate_every_seconds: float = Field(default=15, gt=0, le=3600)
    revoked_presented: RevokedPresented = RevokedPresented()
    many_provinces: ManyProvinces = ManyProvinces()
    caller_failures: CallerFailures = CallerFailures()
    issuance_spike: IssuanceSpike = IssuanceSpike()
    status_burst: StatusBurst = StatusBurst()
    anchoring_latency: AnchoringLatency = AnchoringLatency()
    chain_stalled: ChainStalled = ChainStalled()
    assist_overdue: AssistOverdue = AssistOverdue()


class Webhook(BaseModel):
    """Where new alerts are pushed (POST, JSON, signed with HMAC-SHA256 under `HURONG_ALERT_WEBHOOK_SECRET`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str = Field(default="", pattern=r"^(https?://\S+)?$")
    timeout_seconds: float = Field(default=5, gt=0, le=60)
    #: Attempts after the first, waiting `backoff_seconds`, then twice that, and so on.
    retries: int = Field(default=4, ge=0, le=10)
    backoff_seconds: float = Field(default=1.0, ge=0, le=300)


class Assist(BaseModel):
    """Deadlines of assist requests (the consortium's, as each consortium runs its services with its own file):
    `working_days` after filing, weekends and `holidays` skipped."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    working_days: int = Field(default=3, ge=1, le=60)
    holidays: tuple[dt.date, ...] = ()
    #: Working days by issuing province (GB/T 2260 code), where a province agreed another deadline.
    provinces: dict[str, int] = Field(default_factory=dict)


class SupervisionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    alerts: Alerts = Alerts()
    webhook: Webhook = Webhook()
    assist: Assist = Assist()


def load_config(path: Path | None, home: Path) -> SupervisionConfig:
    """The rules of `path`, else of `<home>/supervision.toml` when it exists, else the defaults;
    `ConfigurationError` naming the key for a file that is not valid."""
    chosen = path if path is not None else home / CONFIG_FILE
    if path is None and not chosen.is_file():
        return SupervisionConfig()
    try:
        data: dict[str, Any] = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read the supervision rules {chosen}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{chosen} is not valid TOML: {exc}") from None
    try:
        return SupervisionConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"{chosen}: {problems}") from None
