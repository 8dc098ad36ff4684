"""Service settings, from `HURONG_*` environment variables (or a `.env` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HURONG_", env_file=".env", extra="ignore")

    rpc_url: str = "http://127.0.0.1:8545"
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
    #: Run the indexer inside this process (off when a separate process runs it).
    run_indexer: bool = True

    @property
    def index_database(self) -> str:
        return self.index_url or f"sqlite:///{self.home / 'index.sqlite'}"

    @property
    def keys_database(self) -> Path:
        return self.home / "api-keys.sqlite"

    @property
    def keystore_folder(self) -> Path:
        return self.keystore or self.home / "keystore"


@lru_cache
def get_settings() -> Settings:
    return Settings()
