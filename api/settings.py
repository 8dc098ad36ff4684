"""Service settings, from `HURONG_*` environment variables (or a `.env` file)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from api.keys import keys_database


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HURONG_", env_file=".env", extra="ignore")

    rpc_url: str = "http://127.0.0.1:8545"
    #: JSON-RPC endpoints of the chain, the province's own node first (JSON list or comma-separated); the service
    #: fails over to the next on errors and timeouts. Empty: `rpc_url` alone.
    rpc_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: `/health` says `degraded` when the head block is older than this (seconds) on a chain that seals blocks at
    #: an interval; 0 turns the check off (a development chain mines only when it has transactions).
    max_block_age_seconds: float = Field(default=0.0, ge=0)
    #: Folder of deployment records (`<chainId>.json`).
    deployments: Path = Path(".hurong/deployments")
    #: Folder of service state: API keys, journals, index, keystore.
    home: Path = Path(".hurong")
    #: Index database URL (SQLite by default; PostgreSQL by URL).
    index_url: str = ""
    #: Folder of encrypted chain-account key files of agencies (`<address>.json`), and their passphrase.
    keystore: Path | None = None
    key_passphrase: SecretStr = SecretStr("")
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    #: Most certificates in one issuance or bulk verification request.
    max_certificates: int = Field(default=10_000, ge=1)
    #: Issuance batching across concurrent requests: most certificates per root, longest wait (seconds).
    batch_max_size: int = Field(default=10_000, ge=1, le=100_000)
    batch_max_wait: float = Field(default=0.25, ge=0, le=60)
    hash_suite: str = "default"
    #: The suite an agency issues in, by agency address or GB/T 2260 province code (JSON: `{"440000": "sm"}`);
    #: agencies not named issue in `hash_suite`. `sm`: SM3 digests, SM2 signatures; `default`: SHA-256, Ed25519.
    agency_suites: dict[str, str] = Field(default_factory=dict)
    #: Batches issued through the API must be signed: an agency without a current signing key the keystore holds
    #: is refused (409 `no_signing_key`) instead of issuing unsigned.
    require_signed_issuance: bool = False
    #: Run the indexer inside this process (off when a separate process runs it).
    run_indexer: bool = True
    #: How long a worker answers from the index position it last read (seconds; 0: read it for every request). A
    #: worker's own writes are seen at once (it waits for them to be indexed); another worker's, at most this much
    #: later than the index has them.
    index_position_ttl: float = Field(default=0.005, ge=0, le=1)
    #: FastAPI's own OpenTelemetry tracing, metrics and logs (global providers, when an OpenTelemetry SDK configures
    #: them). Off by default: the service's metrics are Prometheus's (`/metrics`), and looking up the three providers
    #: on every request costs ~8 µs of every answer (`BENCHMARKS.md`).
    opentelemetry: bool = False
    #: Malloc arenas a worker's threads share at most (glibc; 0: glibc's default of eight per core). Fewer arenas
    #: keep a long-running worker's memory from growing with the pages each thread's arena keeps (`api.memory`).
    malloc_arenas: int = Field(default=2, ge=0, le=64)
    #: A write is answered once its transaction is this many blocks deep (1: mined in the head block).
    confirmations: int = Field(default=1, ge=1, le=64)
    #: Fees (EIP-1559): the tip offered to block producers, and the most a transaction may pay per gas unit.
    priority_fee_gwei: float = Field(default=1.0, ge=0, le=10_000)
    max_fee_per_gas_gwei: float = Field(default=500.0, gt=0, le=1_000_000)
    #: `/health` says `degraded` when an agency account cannot pay this many anchors at the current fees.
    low_balance_anchors: int = Field(default=1_000, ge=0)
    #: How long the outcome of a write is kept for a retry with the same `Idempotency-Key` (hours).
    idempotency_ttl_hours: float = Field(default=24.0, gt=0, le=24 * 365)
    #: Seconds between checks that anchored batches are still on the chain (chain restarts, reorgs).
    reconcile_interval: float = Field(default=2.0, gt=0, le=3600)
    #: Rate limits (token buckets, counted in each worker process separately; 0 turns a limit off). Requests
    #: per second and burst of one API key, and of one client address (the address the connection comes from;
    #: no forwarding header is trusted). Verification needs no key and is not limited per address by default.
    rate_limit_per_key: float = Field(default=0.0, ge=0)
    rate_limit_per_key_burst: int = Field(default=200, ge=1)
    rate_limit_per_address: float = Field(default=0.0, ge=0)
    rate_limit_per_address_burst: int = Field(default=1_000, ge=1)
    #: Wrong API keys one client address may present per minute (burst: as many at once) before its requests
    #: carrying a key are refused with 429 until the allowance refills.
    auth_failures_per_minute: float = Field(default=30.0, ge=0)
    auth_failures_burst: int = Field(default=30, ge=1)
    #: How long a worker starting while the chain does not answer waits for it before giving up (seconds).
    chain_wait_seconds: float = Field(default=60.0, ge=0, le=3600)
    #: The `Retry-After` (seconds) of a 503 while the chain cannot be reached.
    retry_after_seconds: int = Field(default=5, ge=1, le=3600)
    #: Governance: execute a proposal right after the vote that approves it (off: someone calls `/execute`).
    auto_execute_proposals: bool = True
    #: How long a proposal made through the API stays open when its body names no expiry (seconds).
    proposal_lifetime_seconds: int = Field(default=7 * 86_400, ge=60, le=90 * 86_400)
    #: What a chain account generated for a new agency is given by the account that registers it (ether), on a
    #: chain that charges for gas; 0 gives nothing.
    new_account_funding_eth: float = Field(default=1.0, ge=0, le=1_000_000)
    #: Supervision: record every verification (用证记录) in `<home>/usage.sqlite`, kept this many days; the secret
    #: certificates are pseudonymised under (HMAC-SHA256 of the digest; else one generated into the home).
    usage_recording: bool = True
    usage_retention_days: float = Field(default=180, gt=0, le=36_500)
    usage_secret: SecretStr = SecretStr("")
    #: The tamper-evident log: each province's usage records rolled into a Merkle root every this many seconds and
    #: anchored on `UsageLog` (when the deployment has one) this long after the period ends; 0 turns it off.
    usage_anchor_interval: int = Field(default=3600, ge=0, le=31 * 86_400)
    usage_anchor_delay: float = Field(default=30.0, ge=0, le=3600)
    #: Supervision rules: alert thresholds, the alert webhook, assist-request deadlines (TOML; see
    #: docs/supervision.md). Empty: `<home>/supervision.toml` when it exists, else the defaults.
    supervision_config: Path | None = None
    #: The secret the alert webhook's requests are signed with (HMAC-SHA256).
    alert_webhook_secret: SecretStr = SecretStr("")
    #: W3C Bitstring Status Lists: seconds between the rounds that anchor the hash of each changed list on chain (at
    #: most one transaction per list per round); 0 turns publishing off.
    status_list_interval: float = Field(default=30.0, ge=0, le=86_400)
    #: The service's public base URL (`https://licences.example.gov.cn`), on which status list URLs are built. Empty:
    #: the request's base URL (and, for publishing, the last one a list or an entry was asked through).
    public_url: str = Field(default="", pattern=r"^(https?://[^\s/?#]+(/[^\s?#]*)?)?$")

    @field_validator("rpc_urls", mode="before")
    @classmethod
    def _urls(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [u.strip() for u in text.split(",") if u.strip()]
        if isinstance(value, list):
            for url in value:
                if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                    raise ValueError(f"RPC URL must start with http:// or https://, got {url!r}")
        return value

    @property
    def endpoints(self) -> list[str]:
        """The chain's JSON-RPC endpoints in order of preference."""
        return list(self.rpc_urls) or [self.rpc_url]

    @field_validator("agency_suites")
    @classmethod
    def _suites(cls, value: dict[str, str]) -> dict[str, str]:
        from ledger.certificates.hashing import SUITES

        out: dict[str, str] = {}
        for name, suite in value.items():
            if suite not in SUITES:
                raise ValueError(f"unknown suite {suite!r} for {name}; expected one of {', '.join(SUITES)}")
            if not re.fullmatch(r"0x[0-9a-fA-F]{40}|[1-9][0-9]0000", name):
                raise ValueError(f"{name!r} is neither an agency address nor a province code")
            out[name.lower()] = suite
        return out

    @property
    def index_database(self) -> str:
        return self.index_url or f"sqlite:///{self.home / 'index.sqlite'}"

    @property
    def keys_database(self) -> Path:
        return keys_database(self.home)

    @property
    def keystore_folder(self) -> Path:
        return self.keystore or self.home / "keystore"


@lru_cache
def get_settings() -> Settings:
    return Settings()
